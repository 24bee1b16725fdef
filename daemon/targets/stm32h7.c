/*
 * stm32h7.c - the STM32H7 flash controller: H742/743/750/753, the dual-core
 * H745/747/755/757 (all DEV_ID 0x450), H72x/73x (0x483), H7A3/B0/B3 (0x480),
 * and identification only of H7R/S (0x485).
 *
 * References:
 *   RM0433 (H742/743/750/753) §4.4.3 "Option byte modification", §4.5.3
 *          "Read protection (RDP)", §4.9.8-4.9.12 FLASH_OPTCR, FLASH_OPTSR_CUR,
 *          FLASH_OPTSR_PRG, FLASH_OPTCCR; RM0399 (H745/747/755/757) §4.4.3,
 *          §4.5.3 (BCM4/BCM7, D2 reset bits in OPTSR); RM0468 (H72x/73x) §4.4.3;
 *          RM0455 (H7A3/B0/B3) §4.4.3 (different CR layout, F_SIZE 0x08FFF80C).
 *   ST CMSIS device headers (cmsis_device_h7 stm32h743xx.h, stm32h747xx.h,
 *          stm32h723xx.h, stm32h7b3xx.h; cmsis_device_h7rs) and the HAL's
 *          stm32h7xx_hal_flash*.h: every constant with its header line in
 *          docs/targets/stm32h7.md.
 *   OpenOCD src/flash/nor/stm32h7x.c stm32h7_set_rdp (sequence, OPT_BUSY poll).
 *
 * Option programming (RM0433 §4.4.3): clear OPTLOCK with the option keys,
 * write the new values to FLASH_OPTSR_PRG, set OPTSTART, wait for
 * FLASH_OPTSR_CUR.OPT_BUSY to clear, check OPTCHANGEERR. There is no
 * OBL_LAUNCH: OPTSR_CUR shows the new options once OPT_BUSY clears. Lowering
 * RDP from 1 to 0 makes the controller erase the user flash of both banks
 * first, which takes seconds. After an RDP change with a debugger attached,
 * a community report on an H742 says NRST did not give the flash back, a
 * power cycle did (docs/targets/stm32h7.md): the driver reports that
 * honestly.
 *
 * OPTCHANGEERR left by an earlier change (one cut by a power loss, say) is
 * cleared through OPTCCR before OPTSTART, so that the flag read afterwards
 * is this change's; it is never a reason to refuse.
 *
 * OPTCR is written read-modify-write: OpenOCD writes OPTSTART and OPTLOCK as
 * whole words, which also writes SWAP_BANK (bit 31) = 0 (stm32h7x.c
 * stm32h7_set_rdp).
 */
#include <stdio.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define STM32H7_FLASH_BASE 0x52002000u
#define STM32H7_FLASH_OPTKEYR (STM32H7_FLASH_BASE + 0x08)
#define STM32H7_FLASH_OPTCR (STM32H7_FLASH_BASE + 0x18)
#define STM32H7_FLASH_OPTSR_CUR (STM32H7_FLASH_BASE + 0x1C)
#define STM32H7_FLASH_OPTSR_PRG (STM32H7_FLASH_BASE + 0x20)
#define STM32H7_FLASH_OPTCCR (STM32H7_FLASH_BASE + 0x24)
#define STM32H7_FLASH_PRAR_CUR1 (STM32H7_FLASH_BASE + 0x28)
#define STM32H7_FLASH_WPSN_CUR1 (STM32H7_FLASH_BASE + 0x38)
#define STM32H7_FLASH_WPSN_CUR2 (STM32H7_FLASH_BASE + 0x138)

#define STM32H7_OPTCR_OPTLOCK (1u << 0)
#define STM32H7_OPTCR_OPTSTART (1u << 1)
#define STM32H7_OPTCR_MER (1u << 4)
#define STM32H7_OPTCR_PG_OTP (1u << 5) /* H7A3/B0/B3 */
#define STM32H7_OPTCR_SWAP_BANK (1u << 31)

#define STM32H7_OPTSR_OPT_BUSY (1u << 0)
#define STM32H7_OPTSR_RDP_SHIFT 8
#define STM32H7_OPTSR_RDP_MASK (0xFFu << STM32H7_OPTSR_RDP_SHIFT)
#define STM32H7_OPTSR_BCM4 (1u << 22)  /* dual core: CM4 boot enable */
#define STM32H7_OPTSR_BCM7 (1u << 23)  /* dual core: CM7 boot enable */
#define STM32H7_OPTSR_OPTCHANGEERR (1u << 30)
#define STM32H7_OPTCCR_CLR_OPTCHANGEERR (1u << 30)

/* Part flags. */
#define STM32H7_DUAL_BANK (1u << 0)   /* bank 2 at 0x08100000 unless the part has 128 KB */
#define STM32H7_WPSN_32 (1u << 1)     /* H7A3/B0/B3: 32 WPSN bits per bank (groups of 4 sectors) */
#define STM32H7_IS_RS (1u << 2)       /* H7R/S: other register map, no RDP byte */

#define STM32H7_BANK2_BASE 0x08100000u

#define STM32H7_DBGMCU 0x5C001000u
#define STM32H7_FSIZE 0x1FF1E880u
#define STM32H7_FSIZE_H7A 0x08FFF80Cu
/* UID_BASE (docs/uid.md): 0x1FF1E800 on H74x/75x and H72x/73x
 * (stm32h743xx.h:2084, stm32h723xx.h:2082), 0x08FFF800 on H7A3/B0/B3
 * (stm32h7a3xx.h:1978). H7R/S: no header here, so none. */
#define STM32H7_UID TARGET_UID(0x1FF1E800u, 8)
#define STM32H7_UID_H7A TARGET_UID(0x08FFF800u, 8)
/* Bank erase takes seconds (a 128 KB sector at x32: 1.1 s typical, 2.2 s
 * maximum, ST community answer for the H743); OpenOCD's mass-erase budget
 * is 30 s. Typical times assume about 4 s per MB (?: not measured). */
#define STM32H7_ERASE_MAX_MS 60000

static const struct target_part stm32h7_parts[] = {
	{.dev_id = 0x450, .name = "STM32H742/743/750/753/745/747/755/757", .core = CORTEXM_M7,
	 .flash_kb_max = 2048, .dbgmcu_addr = STM32H7_DBGMCU, .flash_size_addr = STM32H7_FSIZE,
	 .flags = STM32H7_DUAL_BANK,
	 .erase_typ_ms = 8000, .erase_max_ms = STM32H7_ERASE_MAX_MS,
	 .uid_addr = STM32H7_UID, .openocd_target = "target/stm32h7x.cfg"},
	{.dev_id = 0x483, .name = "STM32H72x/73x", .core = CORTEXM_M7, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32H7_DBGMCU, .flash_size_addr = STM32H7_FSIZE,
	 .erase_typ_ms = 4000, .erase_max_ms = STM32H7_ERASE_MAX_MS,
	 .uid_addr = STM32H7_UID, .openocd_target = "target/stm32h7x.cfg"},
	{.dev_id = 0x480, .name = "STM32H7A3/B0/B3", .core = CORTEXM_M7, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32H7_DBGMCU, .flash_size_addr = STM32H7_FSIZE_H7A,
	 .flags = STM32H7_DUAL_BANK | STM32H7_WPSN_32,
	 .erase_typ_ms = 8000, .erase_max_ms = STM32H7_ERASE_MAX_MS,
	 .uid_addr = STM32H7_UID_H7A, .openocd_target = "target/stm32h7x.cfg"},
	{.dev_id = 0x485, .name = "STM32H7R/S", .core = CORTEXM_M7, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32H7_DBGMCU, .flash_size_addr = STM32H7_FSIZE_H7A,
	 .flags = STM32H7_IS_RS,
	 .erase_max_ms = STM32H7_ERASE_MAX_MS},
};

static bool stm32h7_dual_bank(const struct target *t)
{
	return (t->part->flags & STM32H7_DUAL_BANK) && t->flash_kb > 128;
}

/* Bank 2 starts at 0x08100000 whatever the size (FLASH_BANK2_BASE,
 * stm32h743xx.h:2077; OpenOCD stm32h7x.c): on 2 x 512 KB parts
 * (H743xG/H753xG) bank 1 ends at 0x08080000 and nothing answers up to
 * 0x08100000 (RM0433 §4.3.4 "Flash memory organization" (?: the table for
 * the 1 MB parts was not re-read)).
 * The last word is the end of bank 2. */
static int stm32h7_flash_end(struct target *t, uint32_t *end)
{
	*end = stm32h7_dual_bank(t) ? STM32H7_BANK2_BASE + t->flash_kb / 2 * 1024u
				    : t->flash_base + t->flash_kb * 1024u;
	return 0;
}

static int stm32h7_rs_unsupported(void)
{
	return err_setf(ERR_NOT_SUPPORTED,
			"STM32H7R/S has no RDP byte: it protects with product states and option-byte "
			"keys through another register map, and rdpd does not read or change those yet");
}

/* What stm32h7_read_protection reads, in its order (read ahead); nothing
 * on H7R/S, whose protection it does not read. The flash size is not known
 * yet (it is read in the same batch): bank 2's WPSN is listed for every
 * part of a dual-bank line, and a part of 128 KB that does not read it
 * only costs the word. */
static size_t stm32h7_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	size_t n = 0;

	if (cap < 6 || (t->part->flags & STM32H7_IS_RS))
		return 0;
	addr[n++] = STM32H7_FLASH_OPTSR_CUR;
	addr[n++] = STM32H7_FLASH_OPTSR_PRG;
	addr[n++] = STM32H7_FLASH_OPTCR;
	addr[n++] = STM32H7_FLASH_WPSN_CUR1;
	addr[n++] = STM32H7_FLASH_PRAR_CUR1;
	if (t->part->flags & STM32H7_DUAL_BANK)
		addr[n++] = STM32H7_FLASH_WPSN_CUR2;
	return n;
}

static int stm32h7_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t cur = 0, prg = 0, optcr = 0, wpsn1 = 0, wpsn2 = 0xFFFFFFFFu, prar1 = 0;
	bool dual = stm32h7_dual_bank(t);
	unsigned bits = (t->part->flags & STM32H7_WPSN_32) ? 32 : 8;
	uint64_t mask = bits == 32 ? 0xFFFFFFFFull : 0xFFull;
	int rc;

	p->n_options = 0;
	if (t->part->flags & STM32H7_IS_RS) {
		/* Identified, but its protection is not an RDP byte (RM0477). */
		p->level = RDP_UNKNOWN;
		p->rdp_raw = 0;
		p->wrp_raw = 0;
		p->wrp_sectors = 0;
		return 0;
	}
	mem_read32(t->a, STM32H7_FLASH_OPTSR_CUR, &cur);
	mem_read32(t->a, STM32H7_FLASH_OPTSR_PRG, &prg);
	mem_read32(t->a, STM32H7_FLASH_OPTCR, &optcr);
	mem_read32(t->a, STM32H7_FLASH_WPSN_CUR1, &wpsn1);
	mem_read32(t->a, STM32H7_FLASH_PRAR_CUR1, &prar1);
	if (dual)
		mem_read32(t->a, STM32H7_FLASH_WPSN_CUR2, &wpsn2);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "reading FLASH_OPTSR_CUR: ");
	/* OPTSR_CUR is what the protection logic uses (RM0433 §4.9.9). */
	p->rdp_raw = (cur & STM32H7_OPTSR_RDP_MASK) >> STM32H7_OPTSR_RDP_SHIFT;
	p->level = target_rdp_level_from_byte((uint8_t)p->rdp_raw);
	/* nWRPSN bit = 0 write-protects the sector (group) (RM0433 §4.9.15). */
	p->wrp_raw = wpsn1;
	p->wrp_sectors = ~(uint64_t)wpsn1 & mask;
	if (dual)
		p->wrp_sectors |= (~(uint64_t)wpsn2 & mask) << bits;
	p->options[p->n_options++] = (struct target_option){"optsr_cur", cur};
	p->options[p->n_options++] = (struct target_option){"optsr_prg", prg};
	p->options[p->n_options++] = (struct target_option){"optcr", optcr};
	p->options[p->n_options++] = (struct target_option){"wpsn_cur1", wpsn1};
	if (dual)
		p->options[p->n_options++] = (struct target_option){"wpsn_cur2", wpsn2};
	p->options[p->n_options++] = (struct target_option){"prar_cur1", prar1};
	/* An option change that did not complete (RM0433 §4.9.9), e.g. one cut
	 * by a power loss. */
	if (cur & STM32H7_OPTSR_OPTCHANGEERR)
		p->options[p->n_options++] = (struct target_option){"optchangeerr", 1};
	return 0;
}

/* Clear OPTLOCK with the option keys (RM0433 §4.4.3 "Option byte
 * modification"); a wrong or repeated sequence locks OPTCR until reset, so
 * the keys go only when it is locked, once, and the result is checked. */
static int stm32h7_unlock_optcr(struct target *t, uint32_t *optcr)
{
	int rc;

	if (!(*optcr & STM32H7_OPTCR_OPTLOCK))
		return 0;
	mem_write32(t->a, STM32H7_FLASH_OPTKEYR, STM32_OPT_KEY1);
	mem_write32(t->a, STM32H7_FLASH_OPTKEYR, STM32_OPT_KEY2);
	mem_read32(t->a, STM32H7_FLASH_OPTCR, optcr);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "writing the option keys: ");
	if (*optcr & STM32H7_OPTCR_OPTLOCK)
		return err_setf(ERR_FLASH_LOCKED,
				"FLASH_OPTCR stayed locked after the option keys (0x%08x); "
				"reset the board and try again", *optcr);
	return 0;
}

static int stm32h7_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	const bool erases = level == RDP_LEVEL_0;
	uint32_t cur = 0, optcr = 0, prg, action;
	unsigned took = 0;
	uint8_t rdp;
	int rc, rc2;

	if (t->part->flags & STM32H7_IS_RS)
		return stm32h7_rs_unsupported();
	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	mem_read32(t->a, STM32H7_FLASH_OPTSR_CUR, &cur);
	mem_read32(t->a, STM32H7_FLASH_OPTCR, &optcr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the flash controller: ");
	if (((cur & STM32H7_OPTSR_RDP_MASK) >> STM32H7_OPTSR_RDP_SHIFT) == STM32_RDP_LEVEL2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"FLASH_OPTSR_CUR RDP = 0xCC: level 2 is permanent; nothing was written");
	if (cur & STM32H7_OPTSR_OPT_BUSY) {
		rc = stm32_wait_not_busy(t, STM32H7_FLASH_OPTSR_CUR, STM32H7_OPTSR_OPT_BUSY, 0,
					 t->part->erase_max_ms, NULL, &cur, NULL);
		if (rc < 0)
			return err_context(rc, "waiting for an option change in progress: ");
	}
	if ((rc = stm32h7_unlock_optcr(t, &optcr)) < 0)
		return rc;
	/* The new image is the active one with only RDP changed: every other
	 * bit (BOR, watchdogs, BCM4/BCM7 and the D2 reset bits of the dual-core
	 * parts, SWAP_BANK_OPT, ...) is kept. It starts from OPTSR_CUR rather
	 * than OPTSR_PRG (OpenOCD's choice) so that a value someone left
	 * unstarted in OPTSR_PRG cannot ride along; OPT_BUSY and OPTCHANGEERR
	 * are status bits, reserved in OPTSR_PRG (RM0433 §4.9.10). */
	prg = (cur & ~(STM32H7_OPTSR_RDP_MASK | STM32H7_OPTSR_OPT_BUSY | STM32H7_OPTSR_OPTCHANGEERR)) |
	      (uint32_t)rdp << STM32H7_OPTSR_RDP_SHIFT;
	/* OPTSTART read-modify-write: SWAP_BANK and OPTCHANGEERRIE keep their
	 * values; MER and PG_OTP are requests, never passed along. */
	action = (optcr & ~(STM32H7_OPTCR_OPTLOCK | STM32H7_OPTCR_MER | STM32H7_OPTCR_PG_OTP)) |
		 STM32H7_OPTCR_OPTSTART;
	stm32_log(ev, "FLASH_OPTSR_PRG 0x%08x -> 0x%08x%s", cur, prg,
		  erases ? ": the controller now erases both banks" : "");
	mem_write32(t->a, STM32H7_FLASH_OPTSR_PRG, prg);
	mem_write32(t->a, STM32H7_FLASH_OPTCCR, STM32H7_OPTCCR_CLR_OPTCHANGEERR);
	mem_write32(t->a, STM32H7_FLASH_OPTCR, action);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "starting option programming: ");
	rc = stm32_wait_not_busy(t, STM32H7_FLASH_OPTSR_CUR, STM32H7_OPTSR_OPT_BUSY,
				 erases ? t->part->erase_typ_ms : 0, t->part->erase_max_ms, ev, &cur,
				 &took);
	if (rc < 0)
		return err_context(rc, erases ? "bank erase: " : "programming options: ");
	/* Lock again whatever happened next (RMW, SWAP_BANK kept). */
	rc2 = mem_write32_now(t->a, STM32H7_FLASH_OPTCR,
			      (optcr & ~(STM32H7_OPTCR_MER | STM32H7_OPTCR_PG_OTP)) | STM32H7_OPTCR_OPTLOCK);
	if (cur & STM32H7_OPTSR_OPTCHANGEERR)
		return err_setf(ERR_FLASH_ERROR,
				"the option change was refused (FLASH_OPTSR_CUR 0x%08x, OPTCHANGEERR)", cur);
	if (((cur & STM32H7_OPTSR_RDP_MASK) >> STM32H7_OPTSR_RDP_SHIFT) != rdp)
		return err_setf(ERR_VERIFY_FAILED,
				"FLASH_OPTSR_CUR reads 0x%08x after programming RDP 0x%02x", cur, rdp);
	stm32_log(ev, "option bytes programmed in %u ms", took);
	return rc2;
}

/* No OBL_LAUNCH on H7: OPTSR_CUR already shows the new level. After a
 * regression, the flash stays closed to a debugger that was attached at
 * level 1 until a power-on reset (community report on an H742, see
 * docs/targets/stm32h7.md):
 * one word of flash is read to find out, rather than guessed. */
static int stm32h7_apply(struct target *t, bool *power_cycle)
{
	uint32_t cur = 0, word = 0;
	int rc;

	*power_cycle = false;
	if (t->part->flags & STM32H7_IS_RS)
		return stm32h7_rs_unsupported();
	if ((rc = mem_read32_now(t->a, STM32H7_FLASH_OPTSR_CUR, &cur)) < 0)
		return err_context(rc, "reading FLASH_OPTSR_CUR: ");
	if (((cur & STM32H7_OPTSR_RDP_MASK) >> STM32H7_OPTSR_RDP_SHIFT) != STM32_RDP_LEVEL0)
		return cortexm_reset_halt(t->a); /* locked: a reset restarts the firmware */
	rc = mem_read32_now(t->a, t->flash_base, &word);
	if (rc == -ERR_TARGET_FAULT) {
		*power_cycle = true;
		return 0;
	}
	return rc;
}

const struct target_driver stm32h7_driver = {
	.name = "stm32h7",
	.family = "STM32H7",
	.parts = stm32h7_parts,
	.n_parts = sizeof(stm32h7_parts) / sizeof(stm32h7_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the user flash of both banks (PCROP and secure-only areas only where their "
		       "delete-on-mass-erase bit is set)",
	.unlock_summary = "FLASH_OPTSR_PRG, OPTSTART; SWAP_BANK kept",
	.openocd_unlock = "stm32h7x unlock 0",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32h7_read_protection,
	.protection_words = stm32h7_protection_words,
	.set_level = stm32h7_set_level,
	.apply = stm32h7_apply,
	.flash_end = stm32h7_flash_end,
};
