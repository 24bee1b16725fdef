/*
 * stm32l0.c - the PECR flash controller of STM32L0 and STM32L1 (one lineage:
 * program/erase control register, PEKEYR/OPTKEYR keys, option bytes as
 * 32-bit words with their complements, erased flash reading 0x00).
 *
 * References:
 *   RM0367 (L0x3) / RM0376 (L0x2) / RM0377 (L0x1) §3.3.4 "Unlocking/locking
 *          operations" (PELOCK before OPTLOCK), §3.4.4 "Option bytes
 *          programming", §3.8.2 "Read protection (RDP)" ("writing xx55xxAA
 *          ... generates a mass erase"; flash and data EEPROM are erased),
 *          §3.7 registers (PECR, PEKEYR, OPTKEYR, SR, OPTR, WRPROT).
 *   RM0038 (L1) §3.9.2 "Unlocking the option bytes block", §3.9.4
 *          "Option byte programming", §3.7.1 "Read protection", §3.9
 *          registers (PECR, OBR, WRPR1..4), §3.7.x OBL_LAUNCH.
 *   OpenOCD src/flash/nor/stm32lx.c (unlock writes 0xFF5500AA, lock
 *          0xFFFF0000, 30 s budget, option_load = PECR.OBL_LAUNCH).
 *   Constants and their sources: docs/targets/stm32l0.md.
 *
 * Option byte word 0 at 0x1FF80000: RDP (byte 0), WPRMOD/SPRMOD (bit 8),
 * and the complement of the low half-word in the high half-word. Writing it
 * with RDP 0xAA at level 1 erases flash and data EEPROM; the change is used
 * after option-byte loading (PECR.OBL_LAUNCH, a system reset) or a power
 * cycle. An ST community report on an L151 says the USER and WRP words read
 * 0 after the forced erase (docs/targets/stm32l0.md (?)): they are saved before and written
 * back when they changed.
 *
 * A word write cut by a power loss leaves a word that does not match its
 * complement: SR.OPTVERR is set at every load and RDP loads as level 1. It
 * is no reason to refuse: each option write clears the SR flags (write 1,
 * RM0377 §3.7) and the regression word written whole makes the next load
 * valid again.
 */
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define STM32L0_REGS_L0 0x40022000u
#define STM32L0_REGS_L1 0x40023C00u
#define STM32L0_PECR 0x04u
#define STM32L0_PEKEYR 0x0Cu
#define STM32L0_OPTKEYR 0x14u
#define STM32L0_SR 0x18u
#define STM32L0_OBR 0x1Cu  /* OPTR on L0 */
#define STM32L0_WRPR1 0x20u /* WRPROT1 on L0 */
#define STM32L0_WRPR2 0x80u /* WRPROT2 on L0 Cat.5 (stm32l073xx.h:282); L1 Cat.3+ */

#define STM32L0_PEKEY1 0x89ABCDEFu
#define STM32L0_PEKEY2 0x02030405u
#define STM32L0_OPTKEY1 0xFBEAD9C8u
#define STM32L0_OPTKEY2 0x24252627u

#define STM32L0_PECR_PELOCK (1u << 0)
#define STM32L0_PECR_PRGLOCK (1u << 1)
#define STM32L0_PECR_OPTLOCK (1u << 2)
#define STM32L0_PECR_OBL_LAUNCH (1u << 18)

#define STM32L0_SR_BSY (1u << 0)
#define STM32L0_SR_EOP (1u << 1)
#define STM32L0_SR_WRPERR (1u << 8)
#define STM32L0_SR_PGAERR (1u << 9)
#define STM32L0_SR_SIZERR (1u << 10)
#define STM32L0_SR_OPTVERR (1u << 11)
#define STM32L0_SR_OPTVERRUSR (1u << 12) /* L1 only */
#define STM32L0_SR_W1C 0x3F02u /* EOP and the error flags [13:8] */
#define STM32L0_SR_FATAL (STM32L0_SR_WRPERR | STM32L0_SR_PGAERR | STM32L0_SR_SIZERR)

#define STM32L0_OB_BASE 0x1FF80000u
/* RDP, USER and the WRP words at 0x1FF80000-0x1FF8001F; L1 Cat.5/6 adds
 * WRP1213 at +0x80 and WRP1415 at +0x84 (OB_TypeDef, stm32l151xe.h:304-317). */
#define STM32L0_OB_WORDS 10
#define STM32L0_OB_RDP_MASK 0xFFu
#define STM32L0_OB_WPRMOD (1u << 8)

#define STM32L0_RDP_LEVEL1 0x00u /* OpenOCD's level-1 word 0xFFFF0000 */

/* Part flags. */
#define STM32L0_IS_L1 (1u << 0)
#define STM32L0_FSIZE_436 (1u << 1) /* F_SIZE 0 = 384 KB, 1 = 256 KB */
#define STM32L0_FSIZE_LOW8 (1u << 2) /* only F_SIZE[7:0] is valid (0x429) */
#define STM32L0_OB_EXT (1u << 3)     /* WRP1213/WRP1415 option words at +0x80/+0x84 */
/* FLASH_WRPRx registers (FLASH_TypeDef): 1 on L0 Cat.1-3 and L1 Cat.1/2,
 * 2 on L0 Cat.5 and L1 Cat.3, 3 on L1 Cat.4, 4 on L1 Cat.5/6
 * (stm32l151xc.h:294, stm32l151xd.h:297-298, stm32l151xe.h:296-298). */
#define STM32L0_WRPR(n) ((uint32_t)(n) << 8)
#define STM32L0_WRPR_COUNT(flags) (((flags) >> 8) & 0x7u)

/* DBGMCU_IDCODE: on the APB for L0 (Cortex-M0+), on the private
 * peripheral bus for L1 (docs/targets/stm32l0.md). */
#define STM32L0_DBGMCU_APB 0x40015800u
#define STM32L0_DBGMCU_PPB 0xE0042000u
/* F_SIZE: L0; L1 Cat.1/2; L1 Cat.3 to 6. */
#define STM32L0_FSIZE_L0 0x1FF8007Cu
#define STM32L0_FSIZE_L1_CAT12 0x1FF8004Cu
#define STM32L0_FSIZE_L1_CAT36 0x1FF800CCu
/* UID_BASE (docs/uid.md): 0x1FF80050 on L0 (stm32l073xx.h:692) and L1
 * Cat.1/2 (stm32l152xb.h:639), 0x1FF800D0 on L1 Cat.3 to 6 (stm32l152xe.h:716).
 * The third word is at +0x14 (HAL_GetUIDw2, stm32l0xx_hal.c:471 and
 * stm32l1xx_hal.c:476; RM0377 and RM0038 "Unique device ID registers"). */
#define STM32L0_UID_CAT12 TARGET_UID(0x1FF80050u, 0x14)
#define STM32L0_UID_CAT36 TARGET_UID(0x1FF800D0u, 0x14)
/* OpenOCD allows 30 s for the erase (stm32lx.c); no RM gives a figure (?). */
#define STM32L0_ERASE_MAX_MS 30000

static const struct target_part stm32l0_parts[] = {
	{.dev_id = 0x457, .name = "STM32L0 Cat.1 (L011/L021)", .core = CORTEXM_M0PLUS,
	 .flash_kb_max = 16, .dbgmcu_addr = STM32L0_DBGMCU_APB, .flash_size_addr = STM32L0_FSIZE_L0,
	 .flags = STM32L0_WRPR(1),
	 .erase_typ_ms = 50, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l0.cfg"},
	{.dev_id = 0x425, .name = "STM32L0 Cat.2 (L031/L041)", .core = CORTEXM_M0PLUS,
	 .flash_kb_max = 32, .dbgmcu_addr = STM32L0_DBGMCU_APB, .flash_size_addr = STM32L0_FSIZE_L0,
	 .flags = STM32L0_WRPR(1),
	 .erase_typ_ms = 50, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l0.cfg"},
	{.dev_id = 0x417, .name = "STM32L0 Cat.3 (L05x/L06x)", .core = CORTEXM_M0PLUS,
	 .flash_kb_max = 64, .dbgmcu_addr = STM32L0_DBGMCU_APB, .flash_size_addr = STM32L0_FSIZE_L0,
	 .flags = STM32L0_WRPR(1),
	 .erase_typ_ms = 100, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l0.cfg"},
	{.dev_id = 0x447, .name = "STM32L0 Cat.5 (L07x/L08x)", .core = CORTEXM_M0PLUS,
	 .flash_kb_max = 192,
	 .dbgmcu_addr = STM32L0_DBGMCU_APB, .flash_size_addr = STM32L0_FSIZE_L0,
	 .flags = STM32L0_WRPR(2),
	 .erase_typ_ms = 200, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l0.cfg"},
	{.dev_id = 0x416, .name = "STM32L1 Cat.1", .core = CORTEXM_M3, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L0_DBGMCU_PPB, .flash_size_addr = STM32L0_FSIZE_L1_CAT12,
	 .flags = STM32L0_IS_L1 | STM32L0_WRPR(1),
	 .erase_typ_ms = 100, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l1.cfg"},
	{.dev_id = 0x429, .name = "STM32L1 Cat.2", .core = CORTEXM_M3, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L0_DBGMCU_PPB, .flash_size_addr = STM32L0_FSIZE_L1_CAT12,
	 .flags = STM32L0_IS_L1 | STM32L0_FSIZE_LOW8 | STM32L0_WRPR(1),
	 .erase_typ_ms = 100, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT12, .openocd_target = "target/stm32l1.cfg"},
	{.dev_id = 0x427, .name = "STM32L1 Cat.3", .core = CORTEXM_M3, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32L0_DBGMCU_PPB, .flash_size_addr = STM32L0_FSIZE_L1_CAT36,
	 .flags = STM32L0_IS_L1 | STM32L0_WRPR(2),
	 .erase_typ_ms = 200, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT36, .openocd_target = "target/stm32l1.cfg"},
	{.dev_id = 0x436, .name = "STM32L1 Cat.4/Cat.3 (xD)", .core = CORTEXM_M3,
	 .flash_kb_max = 384,
	 .dbgmcu_addr = STM32L0_DBGMCU_PPB, .flash_size_addr = STM32L0_FSIZE_L1_CAT36,
	 .flags = STM32L0_IS_L1 | STM32L0_FSIZE_436 | STM32L0_WRPR(3),
	 .erase_typ_ms = 300, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT36, .openocd_target = "target/stm32l1.cfg"},
	{.dev_id = 0x437, .name = "STM32L1 Cat.5/Cat.6", .core = CORTEXM_M3, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L0_DBGMCU_PPB, .flash_size_addr = STM32L0_FSIZE_L1_CAT36,
	 .flags = STM32L0_IS_L1 | STM32L0_OB_EXT | STM32L0_WRPR(4),
	 .erase_typ_ms = 400, .erase_max_ms = STM32L0_ERASE_MAX_MS,
	 .uid_addr = STM32L0_UID_CAT36, .openocd_target = "target/stm32l1.cfg"},
};

static uint32_t stm32l0_reg(const struct target *t, uint32_t off)
{
	return ((t->part->flags & STM32L0_IS_L1) ? STM32L0_REGS_L1 : STM32L0_REGS_L0) + off;
}

static bool stm32l0_is_l1(const struct target *t)
{
	return (t->part->flags & STM32L0_IS_L1) != 0;
}

/* F_SIZE quirks (OpenOCD stm32lx_probe). */
static unsigned stm32l0_flash_kb(const struct target_part *part, uint16_t raw)
{
	if (part->flags & STM32L0_FSIZE_436)
		return raw == 1 ? 256 : 384;
	if (part->flags & STM32L0_FSIZE_LOW8)
		raw &= 0xFF;
	return (raw == 0 || raw == 0xFFFF || raw == 0xFF) ? part->flash_kb_max : raw;
}

/* The option words this part has, as offsets from 0x1FF80000: 8, or 10 with
 * WRP1213/WRP1415. */
static unsigned stm32l0_ob_words(const struct target *t)
{
	return (t->part->flags & STM32L0_OB_EXT) ? STM32L0_OB_WORDS : 8;
}

static uint32_t stm32l0_ob_addr(unsigned i)
{
	return STM32L0_OB_BASE + (i < 8 ? 4 * i : 0x80 + 4 * (i - 8));
}

/* An option word as stored: low half-word and its complement above it. */
static uint32_t stm32l0_ob_word(uint16_t low)
{
	return ((uint32_t)(uint16_t)~low << 16) | low;
}

/* What stm32l0_read_protection reads, in its order (read ahead). */
static size_t stm32l0_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	size_t n = 0;

	if (cap < 7)
		return 0;
	addr[n++] = stm32l0_reg(t, STM32L0_PECR);
	addr[n++] = stm32l0_reg(t, STM32L0_SR);
	addr[n++] = stm32l0_reg(t, STM32L0_OBR);
	addr[n++] = stm32l0_reg(t, STM32L0_WRPR1);
	if (STM32L0_WRPR_COUNT(t->part->flags) >= 2)
		addr[n++] = stm32l0_reg(t, STM32L0_WRPR2);
	addr[n++] = STM32L0_OB_BASE;
	addr[n++] = STM32L0_OB_BASE + 4;
	return n;
}

static int stm32l0_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t pecr = 0, sr = 0, obr = 0, wrpr = 0, wrpr2 = 0, ob0 = 0, ob1 = 0;
	int rc;

	mem_read32(t->a, stm32l0_reg(t, STM32L0_PECR), &pecr);
	mem_read32(t->a, stm32l0_reg(t, STM32L0_SR), &sr);
	mem_read32(t->a, stm32l0_reg(t, STM32L0_OBR), &obr);
	mem_read32(t->a, stm32l0_reg(t, STM32L0_WRPR1), &wrpr);
	if (STM32L0_WRPR_COUNT(t->part->flags) >= 2)
		mem_read32(t->a, stm32l0_reg(t, STM32L0_WRPR2), &wrpr2);
	/* The option words are readable at level 1 (information block). */
	mem_read32(t->a, STM32L0_OB_BASE, &ob0);
	mem_read32(t->a, STM32L0_OB_BASE + 4, &ob1);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, stm32l0_is_l1(t) ? "reading FLASH_OBR: " : "reading FLASH_OPTR: ");
	/* OBR/OPTR[7:0] is the loaded RDP byte, the one that protects now
	 * (RM0038 §3.9.8, RM0367 §3.7.8); the stored word can differ until
	 * the next option-byte load. */
	p->level = target_rdp_level_from_byte((uint8_t)(obr & 0xFF));
	p->rdp_raw = ob0;
	/* WRP bit = 1: the sector (4 KB) is write-protected (RM0038 §3.9.9).
	 * With WPRMOD = 1 on L0 the same bits select PCROP sectors (?).
	 * WRPR2 holds sectors 32-63; WRPR3/4 (sectors 64-127 on L1 Cat.4-6)
	 * do not fit the 64 sector groups a report carries. */
	p->wrp_raw = wrpr;
	p->wrp_sectors = wrpr | (uint64_t)wrpr2 << 32;
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){stm32l0_is_l1(t) ? "obr" : "optr", obr};
	p->options[p->n_options++] = (struct target_option){"pecr", pecr};
	p->options[p->n_options++] = (struct target_option){"sr", sr};
	p->options[p->n_options++] = (struct target_option){stm32l0_is_l1(t) ? "wrpr1" : "wrprot1", wrpr};
	p->options[p->n_options++] = (struct target_option){"ob_rdp_word", ob0};
	p->options[p->n_options++] = (struct target_option){"ob_user_word", ob1};
	/* An option word whose complement did not match at the last load
	 * (e.g. a write cut by a power loss): RDP then loads as level 1
	 * (RM0377 §3.7, RM0038 §3.9 FLASH_SR). */
	if (sr & STM32L0_SR_OPTVERR)
		p->options[p->n_options++] = (struct target_option){"optverr", 1};
	if (stm32l0_is_l1(t) && (sr & STM32L0_SR_OPTVERRUSR))
		p->options[p->n_options++] = (struct target_option){"optverrusr", 1};
	return 0;
}

/* PEKEYR clears PELOCK; OPTKEYR then clears OPTLOCK (RM0367 §3.3.4: the
 * option keys work only with PELOCK = 0). A wrong or repeated key locks the
 * controller until reset, so each pair is written only when needed. */
static int stm32l0_unlock_options(struct target *t)
{
	uint32_t pecr = 0;
	int rc;

	if ((rc = mem_read32_now(t->a, stm32l0_reg(t, STM32L0_PECR), &pecr)) < 0)
		return err_context(rc, "reading FLASH_PECR: ");
	if (pecr & STM32L0_PECR_PELOCK) {
		mem_write32(t->a, stm32l0_reg(t, STM32L0_PEKEYR), STM32L0_PEKEY1);
		mem_write32(t->a, stm32l0_reg(t, STM32L0_PEKEYR), STM32L0_PEKEY2);
	}
	if (pecr & (STM32L0_PECR_PELOCK | STM32L0_PECR_OPTLOCK)) {
		mem_write32(t->a, stm32l0_reg(t, STM32L0_OPTKEYR), STM32L0_OPTKEY1);
		mem_write32(t->a, stm32l0_reg(t, STM32L0_OPTKEYR), STM32L0_OPTKEY2);
	}
	mem_read32(t->a, stm32l0_reg(t, STM32L0_PECR), &pecr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "writing the PECR and option keys: ");
	if (pecr & (STM32L0_PECR_PELOCK | STM32L0_PECR_OPTLOCK))
		return err_setf(ERR_FLASH_LOCKED,
				"FLASH_PECR stayed locked after the keys (0x%08x); reset the board and "
				"try again", pecr);
	return 0;
}

/* Write one option word and wait for the controller (an EEPROM-style word
 * write: erase and program, RM0038 §3.9.4). */
static int stm32l0_write_ob(struct target *t, uint32_t addr, uint32_t word, unsigned typ_ms,
			    unsigned max_ms, const struct target_events *ev, uint32_t *sr)
{
	int rc;

	mem_write32(t->a, stm32l0_reg(t, STM32L0_SR), STM32L0_SR_W1C);
	mem_write32(t->a, addr, word);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "writing option word 0x%08x: ", addr);
	rc = stm32_wait_not_busy(t, stm32l0_reg(t, STM32L0_SR), STM32L0_SR_BSY, typ_ms, max_ms, ev,
				 sr, NULL);
	if (rc < 0)
		return err_context(rc, "option word 0x%08x: ", addr);
	if (*sr & STM32L0_SR_FATAL)
		return err_setf(ERR_FLASH_ERROR,
				"the flash controller refused option word 0x%08x (FLASH_SR 0x%08x)%s",
				addr, *sr, (*sr & STM32L0_SR_WRPERR) ? ": write protection" : "");
	return 0;
}

static int stm32l0_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	const bool erases = level == RDP_LEVEL_0;
	uint32_t obr = 0, sr = 0, ob[STM32L0_OB_WORDS], after[STM32L0_OB_WORDS], word;
	char why[ERR_DETAIL_MAX];
	uint8_t rdp;
	int rc, rc2;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	if (level == RDP_LEVEL_1)
		rdp = STM32L0_RDP_LEVEL1;
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	mem_read32(t->a, stm32l0_reg(t, STM32L0_OBR), &obr);
	mem_read32(t->a, stm32l0_reg(t, STM32L0_SR), &sr);
	for (unsigned i = 0; i < stm32l0_ob_words(t); i++)
		mem_read32(t->a, stm32l0_ob_addr(i), &ob[i]);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the option bytes: ");
	if ((obr & 0xFF) == STM32_RDP_LEVEL2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"FLASH_OBR RDP = 0xCC: level 2 is permanent; nothing was written");
	/* A level 2 written but never loaded can still be changed (RM0367
	 * §3.8.2): overwriting it now is what keeps the chip alive. */
	if ((ob[0] & 0xFF) == STM32_RDP_LEVEL2)
		stm32_log(ev, "option word 0x%08x holds a pending level 2 (0x%08x): replacing it",
			  STM32L0_OB_BASE, ob[0]);
	if (sr & STM32L0_SR_BSY) {
		rc = stm32_wait_not_busy(t, stm32l0_reg(t, STM32L0_SR), STM32L0_SR_BSY, 0, 1000, NULL,
					 &sr, NULL);
		if (rc < 0)
			return err_context(rc, "waiting for a flash operation in progress: ");
	}
	if ((rc = stm32l0_unlock_options(t)) < 0)
		return rc;
	/* RDP with its complement; WPRMOD/SPRMOD (bit 8) kept as loaded. */
	word = stm32l0_ob_word((uint16_t)((obr & STM32L0_OB_WPRMOD) | rdp));
	stm32_log(ev, "option word 0x%08x: 0x%08x -> 0x%08x%s", STM32L0_OB_BASE, ob[0], word,
		  erases ? ": the controller now erases flash and data EEPROM" : "");
	rc = stm32l0_write_ob(t, STM32L0_OB_BASE, word, erases ? t->part->erase_typ_ms : 0,
			      erases ? t->part->erase_max_ms : 2000, ev, &sr);
	/* Put back USER and WRP words the erase cleared (docs/targets/stm32l0.md). */
	for (unsigned i = 1; rc == 0 && i < stm32l0_ob_words(t); i++)
		mem_read32(t->a, stm32l0_ob_addr(i), &after[i]);
	if (rc == 0 && (rc = adiv5_run(t->a)) < 0)
		rc = err_context(rc, "reading the option bytes back: ");
	for (unsigned i = 1; rc == 0 && i < stm32l0_ob_words(t); i++) {
		if (after[i] == ob[i])
			continue;
		stm32_log(ev, "option word 0x%08x changed to 0x%08x: writing 0x%08x back",
			  stm32l0_ob_addr(i), after[i], ob[i]);
		rc = stm32l0_write_ob(t, stm32l0_ob_addr(i), ob[i], 0, 2000, NULL, &sr);
	}
	if (rc == 0) {
		mem_read32(t->a, STM32L0_OB_BASE, &ob[0]);
		if ((rc = adiv5_run(t->a)) == 0 && ob[0] != word)
			rc = err_setf(ERR_VERIFY_FAILED, "option word 0x%08x reads 0x%08x, not 0x%08x",
				      STM32L0_OB_BASE, ob[0], word);
	}
	/* PELOCK relocks PRGLOCK and OPTLOCK with it; after a failure the
	 * failure's sentence is the one kept. */
	err_save(why);
	rc2 = mem_write32_now(t->a, stm32l0_reg(t, STM32L0_PECR), STM32L0_PECR_PELOCK);
	if (rc < 0)
		err_restore(why);
	return rc < 0 ? rc : rc2;
}

/* OBL_LAUNCH (PECR bit 18, writable only with OPTLOCK clear) loads the
 * options with a system reset (RM0038 §3.9.5); the write that sets it may
 * not be acknowledged cleanly (OpenOCD ignores its error). Then connect
 * again and, after a regression, read one flash word to learn whether the
 * debugger latch still closes the flash until a power cycle (docs/targets/stm32l0.md). */
static int stm32l0_apply(struct target *t, bool *power_cycle)
{
	uint32_t obr = 0, word = 0;
	int rc;

	*power_cycle = false;
	if ((rc = stm32l0_unlock_options(t)) < 0)
		return rc;
	/* Stop the core on the reset vector: the reset clears C_HALT, only the
	 * vector catch holds it (docs/sim-cortexm.md). */
	if ((rc = cortexm_catch_reset(t->a)) < 0)
		return err_context(rc, "arming the reset vector catch: ");
	mem_write32(t->a, stm32l0_reg(t, STM32L0_PECR), STM32L0_PECR_OBL_LAUNCH);
	(void)adiv5_run(t->a); /* the chip resets under this write */
	nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
	if ((rc = target_reattach(t)) < 0)
		return err_context(rc, "connecting again after OBL_LAUNCH: ");
	/* Only to keep an erased chip quiet: a core that ran anyway is no
	 * failure, and the vector catch is off again either way. */
	(void)cortexm_wait_reset_caught(t->a);
	err_clear();
	if ((rc = mem_read32_now(t->a, stm32l0_reg(t, STM32L0_OBR), &obr)) < 0)
		return err_context(rc, "reading the loaded options: ");
	if ((obr & 0xFF) != STM32_RDP_LEVEL0)
		return 0;
	rc = mem_read32_now(t->a, t->flash_base, &word);
	if (rc == -ERR_TARGET_FAULT) {
		*power_cycle = true;
		return 0;
	}
	return rc;
}

const struct target_driver stm32l0_driver = {
	.name = "stm32l0",
	.family = "STM32L0/L1",
	.parts = stm32l0_parts,
	.n_parts = sizeof(stm32l0_parts) / sizeof(stm32l0_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the whole flash and the data EEPROM (erased flash reads 0x00)",
	.unlock_summary = "option word with its complement, mass erase of flash and data EEPROM (erased flash "
			  "reads 0x00), OBL_LAUNCH",
	.openocd_unlock = "stm32lx unlock 0",
	.erased_word = 0x00000000u,
	.read_protection = stm32l0_read_protection,
	.protection_words = stm32l0_protection_words,
	.set_level = stm32l0_set_level,
	.apply = stm32l0_apply,
	.flash_kb_from_fsize = stm32l0_flash_kb,
};
