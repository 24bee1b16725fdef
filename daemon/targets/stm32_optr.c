/*
 * stm32_optr.c - unlock, program and load the option bytes of an OPTR-style
 * flash controller (see stm32_optr.h for the families and references).
 *
 * The sequence is RM0351 §3.4.2 (and the same section in RM0444, RM0440,
 * RM0434, RM0453, RM0438, RM0456): check BSY clear, clear LOCK with the two
 * flash keys, clear OPTLOCK with the two option keys, write the option
 * registers, set OPTSTRT, wait for BSY to clear, then OBL_LAUNCH (or a
 * power-on reset) makes the new values active.
 */
#include "targets/stm32_optr.h"

#include <stdio.h>

#include "err.h"

/* Option programming without an erase (options page erase + program). */
#define STM32_OPTR_PROGRAM_MAX_MS 2000
/* A flash operation somebody else started (or CPU2 on WB/WL). */
#define STM32_OPTR_PENDING_MAX_MS 1000
/* After OBL_LAUNCH the chip runs its reset and option load: give the debug
 * port a moment, then retry the connect a few times. */
#define STM32_OPTR_RECONNECT_TRIES 10
#define STM32_OPTR_RECONNECT_GAP_MS 20

/* Lock CR and the options again after a failure (setting LOCK sets
 * OPTLOCK too, RM0351 §3.7.5), so that a later read does not find options
 * that rdpd left unlocked. Best effort: the link may be gone, and the
 * controller ignores CR while BSY. */
static void stm32_optr_relock(struct target *t, const struct stm32_optr_regs *r)
{
	char detail[ERR_DETAIL_MAX];

	err_save(detail); /* the failure that matters */
	mem_write32(t->a, r->cr, STM32_OPTR_CR_LOCK | STM32_OPTR_CR_OPTLOCK);
	(void)adiv5_run(t->a);
	err_restore(detail);
}

int stm32_optr_unlock(struct target *t, const struct stm32_optr_regs *r)
{
	uint32_t cr = 0;
	int rc;

	if ((rc = mem_read32_now(t->a, r->cr, &cr)) < 0)
		return err_context(rc, "reading FLASH_CR: ");
	if (cr & STM32_OPTR_CR_LOCK) {
		mem_write32(t->a, r->keyr, STM32_FLASH_KEY1);
		mem_write32(t->a, r->keyr, STM32_FLASH_KEY2);
		mem_read32(t->a, r->cr, &cr);
		if ((rc = adiv5_run(t->a)) < 0)
			return err_context(rc, "writing the flash keys: ");
		if (cr & STM32_OPTR_CR_LOCK)
			return err_setf(ERR_FLASH_LOCKED,
					"FLASH_CR stayed locked after the flash keys (0x%08x); "
					"reset the board and try again", cr);
	}
	/* OPTKEYR is accepted only once LOCK is clear (RM0444, FLASH_OPTKEYR). */
	if (cr & STM32_OPTR_CR_OPTLOCK) {
		mem_write32(t->a, r->optkeyr, STM32_OPT_KEY1);
		mem_write32(t->a, r->optkeyr, STM32_OPT_KEY2);
		mem_read32(t->a, r->cr, &cr);
		if ((rc = adiv5_run(t->a)) < 0) {
			stm32_optr_relock(t, r);
			return err_context(rc, "writing the option keys: ");
		}
		if (cr & STM32_OPTR_CR_OPTLOCK) {
			stm32_optr_relock(t, r);
			return err_setf(ERR_FLASH_LOCKED,
					"FLASH_CR.OPTLOCK stayed set after the option keys (0x%08x); "
					"reset the board and try again", cr);
		}
	}
	return 0;
}

/* BSY (and CFGBSY) from an operation already under way, and on WB/WL the
 * PESD flag: CPU2 has suspended program/erase, and an OPTSTRT now would
 * not start (RM0453, FLASH_SR.PESD). */
static int stm32_optr_wait_idle(struct target *t, const struct stm32_optr_regs *r)
{
	uint32_t sr = 0;
	int rc;

	if ((rc = mem_read32_now(t->a, r->sr, &sr)) < 0)
		return err_context(rc, "reading FLASH_SR: ");
	if (!(sr & (r->sr_busy | r->sr_pesd)))
		return 0;
	rc = stm32_wait_not_busy(t, r->sr, r->sr_busy | r->sr_pesd, 0, STM32_OPTR_PENDING_MAX_MS,
				 NULL, &sr, NULL);
	if (rc == -ERR_FLASH_TIMEOUT && (sr & r->sr_pesd))
		return err_setf(ERR_FLASH_LOCKED,
				"FLASH_SR.PESD stays set (0x%08x): the second core holds the flash "
				"(program/erase suspended); stop its firmware and try again", sr);
	return rc < 0 ? err_context(rc, "waiting for a flash operation in progress: ") : 0;
}

/* OPTSTRT did not take (a fault on the wire): FLASH_OPTR keeps the value
 * written to it until the next option load (RM0351 §3.7.8: the register is
 * loaded from the option bytes at reset/OBL_LAUNCH and written by software),
 * so every later RDP read would report the level asked for, not the one the
 * chip applies. Put the old value back and lock, unless the controller is
 * busy after all (the OPTSTRT write went through and only its answer was
 * lost: the programming runs). Best effort: the link may be gone. */
static void stm32_optr_restore(struct target *t, const struct stm32_optr_regs *r, uint32_t old_optr)
{
	char detail[ERR_DETAIL_MAX];
	uint32_t sr = 0;

	err_save(detail);
	if (mem_read32_now(t->a, r->sr, &sr) == 0 && !(sr & r->sr_busy)) {
		mem_write32(t->a, r->optr, old_optr);
		stm32_optr_relock(t, r);
	}
	err_restore(detail);
}

int stm32_optr_program(struct target *t, const struct stm32_optr_regs *r, uint32_t new_optr,
		       bool erases, const struct target_events *ev)
{
	uint32_t sr = 0;
	unsigned took = 0;
	uint32_t old_optr = 0;
	int rc;

	if ((rc = stm32_optr_wait_idle(t, r)) < 0 || (rc = stm32_optr_unlock(t, r)) < 0)
		return rc;
	if ((rc = mem_read32_now(t->a, r->optr, &old_optr)) < 0) {
		stm32_optr_relock(t, r);
		return err_context(rc, "reading FLASH_OPTR: ");
	}
	/* Stale error flags would stop OPTSTRT (PGSERR) or fool the check;
	 * EOP (bit 0, also write-1-to-clear) goes with them. */
	mem_write32(t->a, r->sr, r->sr_errors | 1u);
	mem_write32(t->a, r->optr, new_optr);
	mem_write32(t->a, r->cr, STM32_OPTR_CR_OPTSTRT);
	if ((rc = adiv5_run(t->a)) < 0) {
		stm32_optr_restore(t, r, old_optr);
		return err_context(rc, "starting option programming: ");
	}
	/* Progress only for an erase: the job reads the first report as "the
	 * mass erase has started". */
	rc = stm32_wait_not_busy(t, r->sr, r->sr_busy, erases ? t->part->erase_typ_ms : 0,
				 erases ? t->part->erase_max_ms : STM32_OPTR_PROGRAM_MAX_MS,
				 erases ? ev : NULL, &sr, &took);
	if (rc < 0) {
		stm32_optr_relock(t, r);
		return err_context(rc, erases ? "mass erase: " : "programming options: ");
	}
	/* Lock again whatever happened: setting LOCK sets OPTLOCK too. */
	mem_write32(t->a, r->cr, STM32_OPTR_CR_LOCK | STM32_OPTR_CR_OPTLOCK);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "locking the flash controller: ");
	if (sr & r->sr_errors)
		return err_setf(ERR_FLASH_ERROR,
				"the flash controller refused the options (FLASH_SR 0x%08x)", sr);
	stm32_log(ev, "option bytes programmed in %u ms", took);
	return 0;
}

static void stm32_optr_add_option(struct target_protection *p, const char *name, uint32_t value)
{
	if (p->n_options < TARGET_MAX_OPTIONS)
		p->options[p->n_options++] = (struct target_option){name, value};
}

/* Levels at which a debugger may read (non-secure) flash. */
static bool stm32_optr_level_open(enum rdp_level level)
{
	return level == RDP_LEVEL_0 || level == RDP_LEVEL_0_5;
}

/* Whether flash answers the debugger now: at level 1 every debugger read
 * of it is a bus error (RM0351 §3.5.1, RM0438 §6.5.1), at 0 and 0.5 the
 * first word reads. (?) Three other things also fault and read "closed":
 * a PCROP or secure area over the first page, the debugger latch owed a
 * power-on reset after a regression (RM0351 §3.5.1), and a FAULT ACK from
 * a failing link; each needs someone else's change to the options on top
 * of the edit for this to be asked at all. */
static int stm32_optr_flash_open(struct target *t, bool *open)
{
	uint32_t word = 0;
	int rc = mem_read32_now(t->a, t->flash_base, &word);

	*open = rc == 0;
	return rc == -ERR_TARGET_FAULT ? 0 : rc;
}

/*
 * Three images of the options: OPTR (what software wrote, or else the
 * loaded values), the option page (what the next option load takes), and
 * the loaded options the chip applies, which the debugger cannot read.
 * With OPTLOCK = 1 OPTR is taken as the loaded values (an edit someone
 * locked in without OPTSTRT is not looked for: rdpd never does that). With
 * OPTLOCK = 0 and OPTR's RDP byte not the page's, one of two things
 * happened: OPTR holds an edit never programmed (the page is what is
 * loaded), or an OPTSTRT completed and OPTR shows the loaded values again
 * while the page holds the new ones, not loaded yet ("a read from the
 * option registers still returns the last loaded option byte values",
 * RM0444 §3.4.2). When the two bytes mean different levels, flash decides:
 * it is closed to the debugger exactly at level 1. Without a mapped page
 * (L5/U5) flash alone says whether OPTR's level is the one applied.
 */
int stm32_optr_check_pending(struct target *t, uint32_t cr, uint32_t optr, uint32_t ob_addr,
			     enum rdp_level (*level_of)(uint32_t optr), struct target_protection *p)
{
	const uint32_t edit = optr & STM32_OPTR_RDP_MASK;
	enum rdp_level page_level = RDP_UNKNOWN;
	uint32_t page = 0;
	bool open;
	int rc;

	if (cr & STM32_OPTR_CR_OPTLOCK)
		return 0;
	if (ob_addr && (rc = mem_read32_now(t->a, ob_addr, &page)) < 0) {
		if (rc != -ERR_TARGET_FAULT)
			return err_context(rc, "reading the option bytes: ");
		ob_addr = 0; /* not mapped on this part after all (?): flash decides alone */
	}
	if (ob_addr) {
		page &= STM32_OPTR_RDP_MASK;
		if (page == edit)
			return 0;
		page_level = level_of((optr & ~STM32_OPTR_RDP_MASK) | page);
	}
	if (page_level == RDP_UNKNOWN || page_level != p->level) {
		if ((rc = stm32_optr_flash_open(t, &open)) < 0)
			return err_context(rc, "reading the first flash word: ");
	} else {
		open = stm32_optr_level_open(page_level); /* same level either way */
	}
	if (page_level == RDP_UNKNOWN) {
		if (stm32_optr_level_open(p->level) == open)
			return 0;
		/* OPTR's level is not the one applied: an edit never programmed.
		 * The page's byte is out of reach; rdp_raw stays OPTR's. */
		p->level = open ? RDP_LEVEL_0 : RDP_LEVEL_1;
		stm32_optr_add_option(p, "rdp_pending", edit);
		return 0;
	}
	if (stm32_optr_level_open(page_level) != open) {
		stm32_optr_add_option(p, "rdp_stored", page); /* programmed, loaded at the next OBL */
		return 0;
	}
	p->level = page_level;
	p->rdp_raw = page;
	stm32_optr_add_option(p, "rdp_pending", edit);
	return 0;
}

int stm32_optr_launch(struct target *t, const struct stm32_optr_regs *r, bool *power_cycle)
{
	int rc;

	/* Whether flash is readable now is for the job's verify step to find
	 * out: RM0351 §3.5.1 asks for a power-on reset after a protection
	 * change made with the debugger attached, and until then flash answers
	 * the debugger with a bus error, which that step reads as "power-cycle
	 * the board". */
	*power_cycle = false;
	if ((rc = stm32_optr_unlock(t, r)) < 0)
		return rc;
	/* Stop the core on the reset vector after the reload, so that firmware
	 * (a locked chip's, after a lock) cannot take the SWD pins before the
	 * verify step: the reset clears C_HALT, only the vector catch holds it. */
	if ((rc = cortexm_catch_reset(t->a)) < 0)
		return err_context(rc, "arming the reset vector catch: ");
	/* OBL_LAUNCH resets the chip while the write is still on the wire:
	 * "ST-Link reports an SWD_DP_ERROR despite the write was successful"
	 * (OpenOCD stm32l4x.c). Its result says nothing; connecting again does. */
	mem_write32(t->a, r->cr, STM32_OPTR_CR_OBL_LAUNCH);
	(void)adiv5_run(t->a);
	adiv5_invalidate(t->a);
	for (int i = 0;; i++) {
		target_sleep_ms(STM32_OPTR_RECONNECT_GAP_MS);
		rc = target_reattach(t);
		if (rc == 0)
			break;
		if (i + 1 >= STM32_OPTR_RECONNECT_TRIES)
			return err_context(rc, "connecting again after OBL_LAUNCH: ");
	}
	/* A core that ran anyway (the catch missed) is no failure here: the
	 * verify step reads the result. The vector catch is off either way. */
	(void)cortexm_wait_reset_caught(t->a);
	err_clear();
	return 0;
}
