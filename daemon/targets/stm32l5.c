/*
 * stm32l5.c - STM32L5 and STM32U5: the OPTR flash controller with TrustZone.
 *
 * The controller is the L4 lineage (same keys, same CR/SR bits, OPTSTRT and
 * OBL_LAUNCH); TrustZone splits its registers into a non-secure and a secure
 * set, which moves every offset, and adds level 0.5 and TZEN. The shared
 * sequence is stm32_optr.c; this file holds what TrustZone changes, so
 * stm32l4.c stays free of it.
 *
 * References:
 *   RM0438 (L552/L562) §6.3.5 "Flash option byte programming", §6.5.1
 *     "Readout protection (RDP)" (levels 0, 0.5, 1, 2; regression from 0.5
 *     and 1; TZEN deactivation only with a regression to level 0), §6.9
 *     registers (NSKEYR 0x08, OPTKEYR 0x10, NSSR 0x20, NSCR 0x28, OPTR 0x40)
 *   RM0456 (U5) §7.4-7.6: same, plus the OEM1/OEM2 keys (NSSR.OEM1LOCK 18,
 *     OEM2LOCK 19): with OEM1LOCK set a regression from level 1 needs the
 *     OEM1 key through the debug mailbox
 *   ST CMSIS device headers (cmsis_device_l5 stm32l552xx.h, cmsis_device_u5
 *     stm32u5*.h) and the HAL's stm32l5xx/u5xx_hal_flash.h; every constant
 *     with its header line: docs/targets/stm32l5.md
 *   OpenOCD src/flash/nor/stm32l4x.c (non-secure set for option bytes,
 *     "trustzone" command, the bank/page layout of stm32l4_probe)
 *
 * rdpd keeps TZEN as it finds it: turning TrustZone off is a separate
 * decision (a regression to 0 with TZEN = 0 in the same write) that the API
 * does not offer yet. Unlock from 0.5 or 1 is RDP 0xAA with TZEN unchanged.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "targets/stm32_optr.h"
#include "targets/target.h"

#define STM32L5_FLASH_BASE 0x40022000u /* non-secure alias (secure: 0x50022000) */
#define STM32L5_FLASH_NSKEYR (STM32L5_FLASH_BASE + 0x08)
#define STM32L5_FLASH_OPTKEYR (STM32L5_FLASH_BASE + 0x10)
#define STM32L5_FLASH_NSSR (STM32L5_FLASH_BASE + 0x20)
#define STM32L5_FLASH_NSCR (STM32L5_FLASH_BASE + 0x28)
#define STM32L5_FLASH_OPTR (STM32L5_FLASH_BASE + 0x40)
#define STM32L5_FLASH_WRP1AR (STM32L5_FLASH_BASE + 0x58)
#define STM32L5_FLASH_WRP1BR (STM32L5_FLASH_BASE + 0x5C)
#define STM32L5_FLASH_WRP2AR (STM32L5_FLASH_BASE + 0x68)
#define STM32L5_FLASH_WRP2BR (STM32L5_FLASH_BASE + 0x6C)

/* NSSR: OPERR 1, PROGERR 3, WRPERR 4, PGAERR 5, SIZERR 6, PGSERR 7, OPTWERR 13. */
#define STM32L5_NSSR_ERRORS 0x20FAu
#define STM32L5_NSSR_OEM1LOCK (1u << 18) /* U5 */
#define STM32L5_NSSR_OEM2LOCK (1u << 19) /* U5 */
#define STM32L5_OPTR_TZEN (1u << 31)
#define STM32L5_RDP_LEVEL0_5 0x55u
#define STM32L5_WRP_END_SHIFT 16
/* OPTR bank bits: L5 DB256K 21 / DBANK 22, U5 DUALBANK 21. */
#define STM32L5_OPTR_BIT21 (1u << 21)
#define STM32L5_OPTR_DBANK (1u << 22)

/* Part flags: U5 or L5, then the width of the WRPxyR page fields in
 * [12:8] (WRPxy_PSTRT/PEND of the part's header: 5 bits on U535/545, 7 on
 * L5 and U575/585, 8 on U59x/5Ax/5Fx/5Gx). */
#define STM32L5_IS_U5 (1u << 0) /* OEM keys; 8 KB pages */
#define STM32L5_WRP_BITS(flags) (((flags) >> 8) & 0x1Fu)
#define STM32L5_WRP_WIDTH(bits) ((uint32_t)(bits) << 8)

#define STM32L5_DBGMCU 0xE0044000u
#define STM32L5_FSIZE_L5 0x0BFA05E0u
#define STM32L5_FSIZE_U5 0x0BFA07A0u
/* UID_BASE (docs/uid.md): 0x0BFA0590 on L5 (stm32l552xx.h:1680), 0x0BFA0700
 * on U5 (stm32u585xx.h:2103). */
#define STM32L5_UID_L5 TARGET_UID(0x0BFA0590u, 8)
#define STM32L5_UID_U5 TARGET_UID(0x0BFA0700u, 8)
/* Regression erase: the L4 lineage's ~25 ms per bank (?) for L5; U5 banks
 * are up to 2 MB of 8 KB pages, taken as 100 ms typical (?). Budgets are
 * far above both. */
#define STM32L5_ERASE_MAX_MS 5000

static const struct target_part stm32l5_parts[] = {
	{.dev_id = 0x472, .name = "STM32L55x/56x", .core = CORTEXM_M33, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L5_DBGMCU, .flash_size_addr = STM32L5_FSIZE_L5,
	 .flags = STM32L5_WRP_WIDTH(7),
	 .erase_typ_ms = 50, .erase_max_ms = STM32L5_ERASE_MAX_MS,
	 .uid_addr = STM32L5_UID_L5, .openocd_target = "target/stm32l5x.cfg"},
	{.dev_id = 0x455, .name = "STM32U535/545", .core = CORTEXM_M33, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L5_DBGMCU, .flash_size_addr = STM32L5_FSIZE_U5,
	 .flags = STM32L5_IS_U5 | STM32L5_WRP_WIDTH(5),
	 .erase_typ_ms = 100, .erase_max_ms = STM32L5_ERASE_MAX_MS,
	 .uid_addr = STM32L5_UID_U5},
	{.dev_id = 0x482, .name = "STM32U575/585", .core = CORTEXM_M33, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32L5_DBGMCU, .flash_size_addr = STM32L5_FSIZE_U5,
	 .flags = STM32L5_IS_U5 | STM32L5_WRP_WIDTH(7),
	 .erase_typ_ms = 100, .erase_max_ms = STM32L5_ERASE_MAX_MS,
	 .uid_addr = STM32L5_UID_U5, .openocd_target = "target/stm32u5x.cfg"},
	{.dev_id = 0x481, .name = "STM32U59x/5Ax", .core = CORTEXM_M33, .flash_kb_max = 4096,
	 .dbgmcu_addr = STM32L5_DBGMCU, .flash_size_addr = STM32L5_FSIZE_U5,
	 .flags = STM32L5_IS_U5 | STM32L5_WRP_WIDTH(8),
	 .erase_typ_ms = 200, .erase_max_ms = STM32L5_ERASE_MAX_MS,
	 .uid_addr = STM32L5_UID_U5},
	{.dev_id = 0x476, .name = "STM32U5Fx/5Gx", .core = CORTEXM_M33, .flash_kb_max = 4096,
	 .dbgmcu_addr = STM32L5_DBGMCU, .flash_size_addr = STM32L5_FSIZE_U5,
	 .flags = STM32L5_IS_U5 | STM32L5_WRP_WIDTH(8),
	 .erase_typ_ms = 200, .erase_max_ms = STM32L5_ERASE_MAX_MS,
	 .uid_addr = STM32L5_UID_U5},
};

static const struct stm32_optr_regs stm32l5_regs = {
	.keyr = STM32L5_FLASH_NSKEYR,
	.optkeyr = STM32L5_FLASH_OPTKEYR,
	.sr = STM32L5_FLASH_NSSR,
	.cr = STM32L5_FLASH_NSCR,
	.optr = STM32L5_FLASH_OPTR,
	.sr_busy = STM32_OPTR_SR_BSY,
	.sr_errors = STM32L5_NSSR_ERRORS,
	.sr_pesd = 0,
};

/* RM0438 §6.5.1, RM0456 §7.6.2: 0x55 is level 0.5 only with TZEN = 1,
 * otherwise level 1. */
static enum rdp_level stm32l5_level(uint32_t optr)
{
	uint8_t rdp = optr & STM32_OPTR_RDP_MASK;

	if (rdp == STM32L5_RDP_LEVEL0_5 && (optr & STM32L5_OPTR_TZEN))
		return RDP_LEVEL_0_5;
	return target_rdp_level_from_byte(rdp);
}

/* Page size and bank mode (RM0438 §6.3.1, RM0456 §7.3.1; OpenOCD
 * stm32l4x.c stm32l4_probe): U5 pages are 8 KB, dual bank on the largest
 * size and otherwise with DUALBANK; L5 pages are 2 KB with DBANK and 4 KB
 * without, dual bank with DBANK (DB256K below 512 KB). WRP2_FIRST: the page
 * WRP2AR/WRP2BR count from, or -1: a single-bank U5 leaves them unused, a
 * single-bank L5 uses all four areas over the one bank. */
struct stm32l5_geometry {
	unsigned page_kb;
	int wrp2_first;
};

static struct stm32l5_geometry stm32l5_geometry_of(const struct target *t, uint32_t optr)
{
	bool max = t->flash_kb >= t->part->flash_kb_max, dual;
	struct stm32l5_geometry g;

	if (t->part->flags & STM32L5_IS_U5) {
		g.page_kb = 8;
		dual = max || (optr & STM32L5_OPTR_BIT21);
	} else {
		g.page_kb = (optr & STM32L5_OPTR_DBANK) ? 2 : 4;
		dual = optr & (max ? STM32L5_OPTR_DBANK : STM32L5_OPTR_BIT21);
	}
	g.wrp2_first = dual ? (int)(t->flash_kb / g.page_kb / 2) : (t->part->flags & STM32L5_IS_U5) ? -1 : 0;
	return g;
}

/* WRPxyR pages START..END (empty when START > END) as 64 equal groups of
 * the whole flash, counted from FIRST_PAGE; the fields are as wide as the
 * part's header says, bits above them (U5: UNLOCK, bit 31) are not pages. */
static uint64_t stm32l5_wrp_groups(const struct target *t, const struct stm32l5_geometry *geo,
				   uint32_t wrp, unsigned first_page)
{
	uint32_t mask = (1u << STM32L5_WRP_BITS(t->part->flags)) - 1u;
	unsigned pages = t->flash_kb / geo->page_kb;
	unsigned per_group = pages > 64 ? (pages + 63) / 64 : 1;
	unsigned start = wrp & mask;
	unsigned end = (wrp >> STM32L5_WRP_END_SHIFT) & mask;
	uint64_t groups = 0;

	for (unsigned pg = start; pg <= end && first_page + pg < pages; pg++) {
		unsigned g = (first_page + pg) / per_group;

		if (g < 64)
			groups |= 1ull << g;
	}
	return groups;
}

/* What stm32l5_read_protection reads, in its order (read ahead). */
static size_t stm32l5_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	static const uint32_t regs[] = {STM32L5_FLASH_OPTR,   STM32L5_FLASH_NSSR,   STM32L5_FLASH_NSCR,
					STM32L5_FLASH_WRP1AR, STM32L5_FLASH_WRP1BR, STM32L5_FLASH_WRP2AR,
					STM32L5_FLASH_WRP2BR};

	if (cap < 7)
		return 0;
	memcpy(addr, regs, sizeof(regs));
	return 7;
}

static int stm32l5_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t optr = 0, nssr = 0, nscr = 0, wrp1a = 0, wrp1b = 0, wrp2a = 0, wrp2b = 0;
	struct stm32l5_geometry geo;
	int rc;

	mem_read32(t->a, STM32L5_FLASH_OPTR, &optr);
	mem_read32(t->a, STM32L5_FLASH_NSSR, &nssr);
	mem_read32(t->a, STM32L5_FLASH_NSCR, &nscr);
	mem_read32(t->a, STM32L5_FLASH_WRP1AR, &wrp1a);
	mem_read32(t->a, STM32L5_FLASH_WRP1BR, &wrp1b);
	mem_read32(t->a, STM32L5_FLASH_WRP2AR, &wrp2a);
	mem_read32(t->a, STM32L5_FLASH_WRP2BR, &wrp2b);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading FLASH_OPTR: ");
	p->rdp_raw = optr & STM32_OPTR_RDP_MASK;
	p->level = stm32l5_level(optr);
	p->wrp_raw = wrp1a;
	geo = stm32l5_geometry_of(t, optr);
	p->wrp_sectors = stm32l5_wrp_groups(t, &geo, wrp1a, 0) | stm32l5_wrp_groups(t, &geo, wrp1b, 0);
	if (geo.wrp2_first >= 0)
		p->wrp_sectors |= stm32l5_wrp_groups(t, &geo, wrp2a, (unsigned)geo.wrp2_first) |
				  stm32l5_wrp_groups(t, &geo, wrp2b, (unsigned)geo.wrp2_first);
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){"optr", optr};
	p->options[p->n_options++] = (struct target_option){"tzen", (optr & STM32L5_OPTR_TZEN) ? 1 : 0};
	/* NSSR carries OEM1LOCK/OEM2LOCK on U5: whether a key guards the levels. */
	p->options[p->n_options++] = (struct target_option){"nssr", nssr};
	p->options[p->n_options++] = (struct target_option){"wrp1ar", wrp1a};
	p->options[p->n_options++] = (struct target_option){"wrp1br", wrp1b};
	p->options[p->n_options++] = (struct target_option){"wrp2ar", wrp2a};
	/* An OPTR edit never programmed is told from flash alone here: the
	 * option page is not mapped for the debugger (?: RM0438/RM0456 show
	 * the options only through their registers). With TZEN = 1 the first
	 * page may be secure and fault at any level, so flash says nothing and
	 * OPTR is taken as it reads. */
	if (optr & STM32L5_OPTR_TZEN)
		return 0;
	return stm32_optr_check_pending(t, nscr, optr, 0, stm32l5_level, p);
}

static int stm32l5_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	uint32_t optr = 0, nssr = 0, new_optr;
	struct target_protection p;
	enum rdp_level cur;
	bool erases;
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	/* The level applied, not OPTR's byte, which may be an edit never
	 * programmed (stm32_optr_check_pending). */
	if ((rc = stm32l5_read_protection(t, &p)) < 0)
		return rc;
	target_option(&p, "optr", &optr);
	target_option(&p, "nssr", &nssr);
	cur = p.level;
	if (cur == RDP_LEVEL_2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"FLASH_OPTR RDP = 0xCC: level 2 is permanent here (an OEM2 key "
				"regression is not supported); nothing was written");
	erases = level == RDP_LEVEL_0 && cur != RDP_LEVEL_0;
	/* RM0456 §7.6: with an OEM1 key the chip refuses the regression until
	 * the key has been presented through the debug mailbox. */
	if (erases && cur == RDP_LEVEL_1 && (t->part->flags & STM32L5_IS_U5) &&
	    (nssr & STM32L5_NSSR_OEM1LOCK))
		return err_setf(ERR_NOT_SUPPORTED,
				"%s has an OEM1 key set (FLASH_NSSR 0x%08x, OEM1LOCK): leaving level 1 "
				"needs that key through the debug mailbox, which rdpd does not support "
				"yet; nothing was written", t->part->name, nssr);
	new_optr = (optr & ~STM32_OPTR_RDP_MASK) | rdp;
	stm32_log(ev, "FLASH_OPTR 0x%08x -> 0x%08x%s%s", optr, new_optr,
		  (optr & STM32L5_OPTR_TZEN) ? " (TZEN = 1 kept: TrustZone stays on)" : "",
		  erases ? ": the controller now mass-erases the flash" : "");
	return stm32_optr_program(t, &stm32l5_regs, new_optr, erases, ev);
}

/* OBL_LAUNCH (RM0438 §6.3.5), then connect again. */
static int stm32l5_apply(struct target *t, bool *power_cycle)
{
	return stm32_optr_launch(t, &stm32l5_regs, power_cycle);
}

const struct target_driver stm32l5_driver = {
	.name = "stm32l5",
	.family = "STM32L5/U5",
	.parts = stm32l5_parts,
	.n_parts = sizeof(stm32l5_parts) / sizeof(stm32l5_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the whole flash (secure and non-secure, both banks), SRAM2 and the "
		       "backup registers",
	.unlock_summary = "as L4, from level 1 or 0.5; TZEN kept",
	.openocd_unlock = "stm32l4x unlock 0",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32l5_read_protection,
	.protection_words = stm32l5_protection_words,
	.set_level = stm32l5_set_level,
	.apply = stm32l5_apply,
};
