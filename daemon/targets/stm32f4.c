/*
 * stm32f4.c - the STM32F2/F4/F7 flash controller (one lineage, one file).
 *
 * References:
 *   RM0033 (F205/207/215/217) §2.3.6-2.3.7 (option bytes, read protection)
 *   RM0090 (F405/407/415/417/42x/43x) §3.7.1-3.7.3 "Option bytes",
 *          "Programming user option bytes", "Read protection (RDP)"
 *   RM0368 (F401xB/C/D/E) §3.6.1-3.6.3; RM0383 (F411), RM0390 (F446),
 *   RM0402 (F412), RM0430 (F413/423), RM0401 (F410), RM0386 (F469/479)
 *   RM0385 (F74x/75x), RM0410 (F76x/77x), RM0431 (F72x/73x) §3.4 "Option bytes"
 *   OpenOCD src/flash/nor/stm32f2x.c (unlock/lock behaviour, 33 s budget).
 *   GigaDevice GD32F4xx firmware library gd32f4xx_fmc.h (GD32F405/407/450/
 *          470: the same controller, "FMC", at the same address: KEY 0x04,
 *          OBKEY 0x08 with ST's option keys, STAT 0x0C BUSY bit 16, CTL
 *          0x10, OBCTL0 0x14 = OPTCR (OB_LK 0, OB_START 1, SPC [15:8], WP0
 *          [27:16], DBS 30, DRP 31), OBCTL1 0x18 = OPTCR1 (WP1 [27:16]);
 *          SPC FMC_NSPC 0xAA, FMC_LSPC 0xAB, FMC_HSPC 0xCC: ST's encoding).
 *          Black Magic Debug src/target/stm32f4.c (gd32f4_probe, PR #1271)
 *          drives them with its STM32F4 option code, two option words.
 *
 * Programming user options (RM0090 §3.7.2): check BSY clear, write the new
 * value to FLASH_OPTCR, set OPTSTRT, wait for BSY to clear. Lowering RDP from
 * 1 to 0 makes the controller mass-erase the flash (and backup SRAM) before it
 * programs the options (RM0090 §3.7.3, fig. "RDP levels"); the other option
 * bits (write protection, BOR, user bits) keep the values written with it.
 * FLASH_OPTCR reads back the programmed value at once; the protection logic
 * uses it from the next reset.
 */
#include <stdio.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define STM32F4_FLASH_BASE 0x40023C00u
#define STM32F4_FLASH_OPTKEYR (STM32F4_FLASH_BASE + 0x08)
#define STM32F4_FLASH_SR (STM32F4_FLASH_BASE + 0x0C)
#define STM32F4_FLASH_OPTCR (STM32F4_FLASH_BASE + 0x14)
#define STM32F4_FLASH_OPTCR1 (STM32F4_FLASH_BASE + 0x18)
#define STM32F4_FLASH_OPTCR2 (STM32F4_FLASH_BASE + 0x1C)

#define STM32F4_SR_EOP (1u << 0)
#define STM32F4_SR_OPERR (1u << 1)
#define STM32F4_SR_WRPERR (1u << 4)
#define STM32F4_SR_PGAERR (1u << 5)
#define STM32F4_SR_PGPERR (1u << 6)
#define STM32F4_SR_PGSERR (1u << 7)
#define STM32F4_SR_BSY (1u << 16)
#define STM32F4_SR_ERRORS (STM32F4_SR_OPERR | STM32F4_SR_WRPERR | STM32F4_SR_PGAERR | \
			   STM32F4_SR_PGPERR | STM32F4_SR_PGSERR)

/* The option bytes as the user configuration sector holds them, RDP in
 * bits [15:8] of the first word: F2/F4 0x1FFFC000 (RM0090 "Option bytes
 * organization"; GD32F4 OB_SPC at 0x1FFFC001, gd32f4xx_fmc.h:64), F7
 * 0x1FFF0000 (?: stlink's F7 chip files, RM0385 not re-read). The debugger may read them at level 1 (RM0090 table 13
 * "Access versus read protection level": option bytes, level 1, read yes). */
#define STM32F4_OB 0x1FFFC000u
#define STM32F4_OB_F7 0x1FFF0000u

#define STM32F4_OPTCR_OPTLOCK (1u << 0)
#define STM32F4_OPTCR_OPTSTRT (1u << 1)
#define STM32F4_OPTCR_RDP_SHIFT 8
#define STM32F4_OPTCR_RDP_MASK (0xFFu << STM32F4_OPTCR_RDP_SHIFT)
#define STM32F4_OPTCR_NWRP_SHIFT 16
/* Bit 31 is SPRMOD only where the part has PCROP (the HAL's
 * OB_PCROP_SELECTED 0x80 in OPTCR byte 3, stm32f4xx_hal_flash_ex.h:696-702:
 * F401/F410/F411/F412/F413/F42x/F446/F469), GD32F4's DRP (gd32f4xx_fmc.h:109);
 * reserved on F2 and F405/407, IWDG_STOP on F7 (stm32f746xx.h:7364). */
#define STM32F4_OPTCR_SPRMOD (1u << 31)

/* Part flags. */
#define STM32F4_HAS_OPTCR1 (1u << 0)  /* F42x/43x/469/479: nWRP of sectors 12-23 */
#define STM32F4_IS_F7 (1u << 1)       /* OPTCR1 = boot addresses; F7 option bytes */
#define STM32F4_HAS_OPTCR2 (1u << 2)  /* F72x/73x: PCROP, PCROP_RDP */
#define STM32F4_IS_GD32 (1u << 3)     /* GigaDevice: registers named OBCTL0/OBCTL1 */
#define STM32F4_HAS_SPRMOD (1u << 4)  /* OPTCR bit 31 = 1: the nWRP bits select PCROP */
/* How many nWRP bits OPTCR has, from bit 16 (FLASH_OPTCR_nWRP_Msk): 12 on
 * F2/F4 (stm32f429xx.h:7260) and F76x/77x (stm32f767xx.h:7893), 15 on
 * F413/423 (stm32f413xx.h:6951), 8 on F74x/75x and F72x/73x
 * (stm32f746xx.h:7351, stm32f723xx.h:6506). */
#define STM32F4_NWRP(bits) ((uint32_t)(bits) << 8)
#define STM32F4_NWRP_BITS(flags) (((flags) >> 8) & 0x1Fu)

#define STM32F4_DBGMCU 0xE0042000u
/* F_SIZE: F2/F4, F74x-F77x, F72x/73x (docs/targets/stm32f4.md). */
#define STM32F4_FSIZE_F2F4 0x1FFF7A22u
#define STM32F4_FSIZE_F7 0x1FF0F442u
#define STM32F4_FSIZE_F72 0x1FF07A22u
/* UID_BASE (docs/uid.md): 0x1FFF7A10 on F2/F4 (stm32f205xx.h:952,
 * stm32f401xe.h:738) and on GD32F4xx (GigaDevice's library, usbd_enum.h
 * DEVICE_ID1); F74x-F77x 0x1FF0F420 (stm32f746xx.h:1228), F72x/73x
 * 0x1FF07A10 (stm32f723xx.h:1023). */
#define STM32F4_UID_F2F4 TARGET_UID(0x1FFF7A10u, 8)
#define STM32F4_UID_F7 TARGET_UID(0x1FF0F420u, 8)
#define STM32F4_UID_F72 TARGET_UID(0x1FF07A10u, 8)
#define STM32F4_ERASE_MAX_MS 35000 /* OpenOCD allows 33 s: "as high as 32 s in x8 mode" */
/* GD32F4 memory density: flash KB in the half-word at 0x1FFF7A22, SRAM KB
 * at 0x1FFF7A20 (GD32F4xx firmware library examples: FMC_SIZE in
 * FMC/Program_erase/fmc_operation.h:64; SRAM size read from 0x1FFF7A20). */
#define STM32F4_GD32_DENSITY 0x1FFF7A22u
/* GD32 erases are slower than ST's, and no GD32F4 mass-erase time is
 * published (GigaDevice's GD32F1 notes budget 3 s for a 128 KB mass
 * erase): 16 s typical and 120 s for up to 3 MB are picked (?). */
#define STM32F4_GD32_ERASE_TYP_MS 16000
#define STM32F4_GD32_ERASE_MAX_MS 120000
/* GigaDevice's JEP106 code: continuation 7, identity 0x51 (Black Magic
 * Debug JEP106_MANUFACTURER_GIGADEVICE). */
#define STM32F4_GD32_JEP106 0x751

/* Typical regression times follow the datasheets' tME at x32 parallelism,
 * scaled with flash size (?: not measured on silicon). */
static const struct target_part stm32f4_parts[] = {
	{.dev_id = 0x411, .name = "STM32F2xx", .core = CORTEXM_M3, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12),
	 .erase_typ_ms = 8000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f2x.cfg"},
	{.dev_id = 0x413, .name = "STM32F405/407/415/417", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12),
	 .erase_typ_ms = 8000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x419, .name = "STM32F42x/43x", .core = CORTEXM_M4, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD | STM32F4_HAS_OPTCR1,
	 .erase_typ_ms = 16000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x423, .name = "STM32F401xB/C", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 2000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x433, .name = "STM32F401xD/E", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 4000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x431, .name = "STM32F411xC/E", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 4000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x421, .name = "STM32F446xx", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 4000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x441, .name = "STM32F412xx", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 8000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x458, .name = "STM32F410xx", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 1000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x434, .name = "STM32F469/479", .core = CORTEXM_M4, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD | STM32F4_HAS_OPTCR1,
	 .erase_typ_ms = 16000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x463, .name = "STM32F413/423", .core = CORTEXM_M4, .flash_kb_max = 1536,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F2F4,
	 .flags = STM32F4_NWRP(15) | STM32F4_HAS_SPRMOD,
	 .erase_typ_ms = 12000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4, .openocd_target = "target/stm32f4x.cfg"},
	{.dev_id = 0x449, .name = "STM32F74x/75x", .core = CORTEXM_M7, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F7,
	 .flags = STM32F4_IS_F7 | STM32F4_NWRP(8),
	 .erase_typ_ms = 8000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F7, .openocd_target = "target/stm32f7x.cfg"},
	{.dev_id = 0x451, .name = "STM32F76x/77x", .core = CORTEXM_M7, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F7,
	 .flags = STM32F4_IS_F7 | STM32F4_NWRP(12),
	 .erase_typ_ms = 16000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F7, .openocd_target = "target/stm32f7x.cfg"},
	{.dev_id = 0x452, .name = "STM32F72x/73x", .core = CORTEXM_M7, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F4_DBGMCU, .flash_size_addr = STM32F4_FSIZE_F72,
	 .flags = STM32F4_IS_F7 | STM32F4_HAS_OPTCR2 | STM32F4_NWRP(8),
	 .erase_typ_ms = 4000, .erase_max_ms = STM32F4_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F72, .openocd_target = "target/stm32f7x.cfg"},
	/* GD32F4: no published DBGMCU IDCODE, so found by the MCU ROM table's
	 * PIDR part number (target.c): 0x2B3 GD32F450, 0xA2E GD32F470 (Black
	 * Magic Debug stm32f4.c ID_GD32F450/ID_GD32F470), 0xFA4 GD32F405
	 * (Black Magic Debug issue #1816, 2024; the GD32F407 is taken to share
	 * it (?)). Every GD32F4xx has OBCTL1 (gd32f4xx_fmc.h is one header for
	 * the series); parts go up to 3 MB. */
	{.name = "GD32F405/407", .core = CORTEXM_M4, .flash_kb_max = 3072,
	 .rom_designer = STM32F4_GD32_JEP106, .rom_part = 0xFA4,
	 .flash_size_addr = STM32F4_GD32_DENSITY,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD | STM32F4_HAS_OPTCR1 | STM32F4_IS_GD32,
	 .erase_typ_ms = STM32F4_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F4_GD32_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4},
	{.name = "GD32F450", .core = CORTEXM_M4, .flash_kb_max = 3072,
	 .rom_designer = STM32F4_GD32_JEP106, .rom_part = 0x2B3,
	 .flash_size_addr = STM32F4_GD32_DENSITY,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD | STM32F4_HAS_OPTCR1 | STM32F4_IS_GD32,
	 .erase_typ_ms = STM32F4_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F4_GD32_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4},
	{.name = "GD32F470", .core = CORTEXM_M4, .flash_kb_max = 3072,
	 .rom_designer = STM32F4_GD32_JEP106, .rom_part = 0xA2E,
	 .flash_size_addr = STM32F4_GD32_DENSITY,
	 .flags = STM32F4_NWRP(12) | STM32F4_HAS_SPRMOD | STM32F4_HAS_OPTCR1 | STM32F4_IS_GD32,
	 .erase_typ_ms = STM32F4_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F4_GD32_ERASE_MAX_MS,
	 .uid_addr = STM32F4_UID_F2F4},
};

/* The option register as the part's manual names it, for messages. */
static const char *stm32f4_optcr_name(const struct target *t)
{
	return (t->part->flags & STM32F4_IS_GD32) ? "FMC_OBCTL0" : "FLASH_OPTCR";
}

/* Sector groups covered by OPTCR's nWRP, one bit each (the part's row). */
static unsigned stm32f4_wrp_bits(const struct target *t)
{
	return STM32F4_NWRP_BITS(t->part->flags);
}

/* The nWRP bits select PCROP sectors, active high, instead of write
 * protection, active low (RM0090 §3.7.4; GD32F4 DRP, gd32f4xx_fmc.c
 * ob_write_protection_enable clears WPx, ob_drp_enable sets them). */
static bool stm32f4_pcrop_mode(const struct target *t, uint32_t optcr)
{
	return (t->part->flags & STM32F4_HAS_SPRMOD) && (optcr & STM32F4_OPTCR_SPRMOD);
}

/* OPTCR is loaded from the option bytes at reset and reads back what was
 * programmed once BSY clears (RM0090 §3.6.2), so an OPTCR
 * whose RDP byte is not the stored one holds a value written but never
 * programmed: an OPTSTRT lost for good, or one still running. That takes
 * OPTLOCK = 0 (someone unlocked the options since the reset), and the
 * register keeps it until the next reset, which loads the stored byte:
 * the level the chip applies. Report that one, and the edit as
 * "rdp_pending". */
static int stm32f4_check_pending(struct target *t, uint32_t optcr, struct target_protection *p)
{
	uint32_t ob = (t->part->flags & STM32F4_IS_F7) ? STM32F4_OB_F7 : STM32F4_OB;
	uint32_t word = 0, stored;
	int rc;

	if (optcr & STM32F4_OPTCR_OPTLOCK)
		return 0;
	if ((rc = mem_read32_now(t->a, ob, &word)) < 0)
		return err_context(rc, "reading the option bytes at 0x%08x: ", ob);
	stored = (word & STM32F4_OPTCR_RDP_MASK) >> STM32F4_OPTCR_RDP_SHIFT;
	if (stored == p->rdp_raw)
		return 0;
	if (p->n_options < TARGET_MAX_OPTIONS)
		p->options[p->n_options++] = (struct target_option){"rdp_pending", p->rdp_raw};
	p->rdp_raw = stored;
	p->level = target_rdp_level_from_byte((uint8_t)stored);
	return 0;
}

/* What stm32f4_read_protection reads, in its order. */
static size_t stm32f4_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	size_t n = 0;

	if (cap < 3)
		return 0;
	addr[n++] = STM32F4_FLASH_OPTCR;
	if (t->part->flags & (STM32F4_HAS_OPTCR1 | STM32F4_IS_F7))
		addr[n++] = STM32F4_FLASH_OPTCR1;
	if (t->part->flags & STM32F4_HAS_OPTCR2)
		addr[n++] = STM32F4_FLASH_OPTCR2;
	return n;
}

static int stm32f4_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t optcr = 0, optcr1 = 0, optcr2 = 0, nwrp;
	bool has1 = (t->part->flags & (STM32F4_HAS_OPTCR1 | STM32F4_IS_F7)) != 0;
	bool has2 = (t->part->flags & STM32F4_HAS_OPTCR2) != 0;
	bool gd = (t->part->flags & STM32F4_IS_GD32) != 0;
	unsigned bits = stm32f4_wrp_bits(t);
	int rc;

	mem_read32(t->a, STM32F4_FLASH_OPTCR, &optcr);
	if (has1)
		mem_read32(t->a, STM32F4_FLASH_OPTCR1, &optcr1);
	if (has2)
		mem_read32(t->a, STM32F4_FLASH_OPTCR2, &optcr2);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "reading FLASH_OPTCR: ");
	p->rdp_raw = (optcr & STM32F4_OPTCR_RDP_MASK) >> STM32F4_OPTCR_RDP_SHIFT;
	p->level = target_rdp_level_from_byte((uint8_t)p->rdp_raw);
	nwrp = (optcr >> STM32F4_OPTCR_NWRP_SHIFT) & ((1u << bits) - 1);
	p->wrp_raw = nwrp;
	/* nWRP bit = 0 protects the sector group; in PCROP mode a 1 selects
	 * it for PCROP. Bit 31 means that only on parts with SPRMOD/DRP: on
	 * F7 it is IWDG_STOP, normally 1 (docs/targets/stm32f4.md). */
	p->wrp_sectors = stm32f4_pcrop_mode(t, optcr) ? nwrp : (~nwrp & ((1u << bits) - 1));
	if (t->part->flags & STM32F4_HAS_OPTCR1) {
		/* FLASH_OPTCR1_nWRP_Msk 0x0FFF0000 (stm32f429xx.h:7283) */
		uint32_t hi = (optcr1 >> STM32F4_OPTCR_NWRP_SHIFT) & 0xFFF;

		p->wrp_sectors |= (uint64_t)(stm32f4_pcrop_mode(t, optcr) ? hi : (~hi & 0xFFF)) << bits;
	}
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){gd ? "obctl0" : "optcr", optcr};
	if (has1)
		p->options[p->n_options++] = (struct target_option){gd ? "obctl1" : "optcr1", optcr1};
	if (has2)
		p->options[p->n_options++] = (struct target_option){"optcr2", optcr2};
	return stm32f4_check_pending(t, optcr, p);
}

/* Clear OPTLOCK with the option keys; a wrong sequence locks the register
 * until reset (RM0090 §3.6.2), so the keys are written once and checked. */
static int stm32f4_unlock_optcr(struct target *t, uint32_t *optcr)
{
	int rc;

	if (!(*optcr & STM32F4_OPTCR_OPTLOCK))
		return 0;
	mem_write32(t->a, STM32F4_FLASH_OPTKEYR, STM32_OPT_KEY1);
	mem_write32(t->a, STM32F4_FLASH_OPTKEYR, STM32_OPT_KEY2);
	mem_read32(t->a, STM32F4_FLASH_OPTCR, optcr);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "writing the option keys: ");
	if (*optcr & STM32F4_OPTCR_OPTLOCK)
		return err_setf(ERR_FLASH_LOCKED,
				"%s stayed locked after the option keys (0x%08x); "
				"reset the board and try again", stm32f4_optcr_name(t), *optcr);
	return 0;
}

/* Lock the options again after a failure, so that a later read does not
 * find them left unlocked by rdpd: with OLD, put that value back first
 * (the programming did not happen: an edit would otherwise stay in OPTCR
 * until reset); without, keep what OPTCR holds (it may have happened).
 * Best effort: the link may be gone, and while BSY the controller ignores
 * OPTCR (the programming runs, and nothing should be undone). */
static void stm32f4_relock(struct target *t, const uint32_t *old)
{
	char detail[ERR_DETAIL_MAX];
	uint32_t sr = 0, optcr = 0;

	err_save(detail); /* the failure that matters */
	if (mem_read32_now(t->a, STM32F4_FLASH_SR, &sr) == 0 && !(sr & STM32F4_SR_BSY) &&
	    (old || mem_read32_now(t->a, STM32F4_FLASH_OPTCR, &optcr) == 0))
		(void)mem_write32_now(t->a, STM32F4_FLASH_OPTCR,
				      ((old ? *old : optcr) & ~STM32F4_OPTCR_OPTSTRT) |
				      STM32F4_OPTCR_OPTLOCK);
	err_restore(detail);
}

static int stm32f4_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	const bool erases = level == RDP_LEVEL_0;
	uint32_t sr = 0, optcr = 0, newcr;
	unsigned took = 0;
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	mem_read32(t->a, STM32F4_FLASH_SR, &sr);
	mem_read32(t->a, STM32F4_FLASH_OPTCR, &optcr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the flash controller: ");
	if (sr & STM32F4_SR_BSY) {
		rc = stm32_wait_not_busy(t, STM32F4_FLASH_SR, STM32F4_SR_BSY, 0, 1000, NULL, &sr, NULL);
		if (rc < 0)
			return err_context(rc, "waiting for a flash operation in progress: ");
	}
	if (((optcr & STM32F4_OPTCR_RDP_MASK) >> STM32F4_OPTCR_RDP_SHIFT) == STM32_RDP_LEVEL2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"%s RDP = 0xCC: level 2 is permanent; nothing was written",
				stm32f4_optcr_name(t));
	if ((rc = stm32f4_unlock_optcr(t, &optcr)) < 0)
		return rc;
	newcr = (optcr & ~(STM32F4_OPTCR_RDP_MASK | STM32F4_OPTCR_OPTSTRT | STM32F4_OPTCR_OPTLOCK)) |
		(uint32_t)rdp << STM32F4_OPTCR_RDP_SHIFT;
	stm32_log(ev, "%s 0x%08x -> 0x%08x%s", stm32f4_optcr_name(t), optcr, newcr,
		  erases ? ": the controller now mass-erases the flash" : "");
	/* Clear stale error flags (write 1 to clear), then write and start. */
	mem_write32(t->a, STM32F4_FLASH_SR, STM32F4_SR_ERRORS | STM32F4_SR_EOP);
	mem_write32(t->a, STM32F4_FLASH_OPTCR, newcr);
	mem_write32(t->a, STM32F4_FLASH_OPTCR, newcr | STM32F4_OPTCR_OPTSTRT);
	if ((rc = adiv5_run(t->a)) < 0) {
		/* OPTSTRT did not take: OPTCR would keep reading the RDP byte
		 * written, not the one programmed (RM0090 §3.6.2), and every
		 * later read meet it until a reset (stm32f4_check_pending tells
		 * it apart when the link is lost for good). */
		stm32f4_relock(t, &optcr);
		return err_context(rc, "starting option programming: ");
	}
	rc = stm32_wait_not_busy(t, STM32F4_FLASH_SR, STM32F4_SR_BSY,
				 erases ? t->part->erase_typ_ms : 0,
				 erases ? t->part->erase_max_ms : 2000, ev, &sr, &took);
	if (rc < 0) {
		stm32f4_relock(t, NULL);
		return err_context(rc, erases ? "mass erase: " : "programming options: ");
	}
	if (sr & STM32F4_SR_ERRORS) {
		stm32f4_relock(t, &optcr); /* refused: nothing was programmed */
		return err_setf(ERR_FLASH_ERROR, "the flash controller reported errors (FLASH_SR 0x%08x)%s",
				sr, (sr & STM32F4_SR_WRPERR) ? ": write protection refused it" : "");
	}
	mem_read32(t->a, STM32F4_FLASH_OPTCR, &optcr);
	if ((rc = adiv5_run(t->a)) < 0) {
		stm32f4_relock(t, NULL);
		return rc;
	}
	if (((optcr & STM32F4_OPTCR_RDP_MASK) >> STM32F4_OPTCR_RDP_SHIFT) != rdp) {
		stm32f4_relock(t, NULL);
		return err_setf(ERR_VERIFY_FAILED, "%s reads 0x%08x after programming RDP 0x%02x",
				stm32f4_optcr_name(t), optcr, rdp);
	}
	stm32_log(ev, "option bytes programmed in %u ms", took);
	return mem_write32_now(t->a, STM32F4_FLASH_OPTCR, optcr | STM32F4_OPTCR_OPTLOCK);
}

/* The new options are used from the next reset (RM0090 §3.7.3); a system
 * reset is enough on these parts, a power cycle is not required. */
static int stm32f4_apply(struct target *t, bool *power_cycle)
{
	*power_cycle = false;
	return cortexm_reset_halt(t->a);
}

/* Early F4 silicon (rev A) reports the F2's DEV_ID 0x411 (OpenOCD
 * stm32f2x.c stm32x_get_device_id; docs/targets/stm32f4.md, "Quirks"): a
 * Cortex-M4 saying 0x411 is an F405/407/415/417 (0x413); the F2 is a
 * Cortex-M3. */
static uint32_t stm32f4_idcode_quirk(enum cortexm_core core, uint32_t dbgmcu_addr, uint32_t idcode)
{
	if ((idcode & 0xFFF) == 0x411 && core == CORTEXM_M4 && dbgmcu_addr == STM32F4_DBGMCU)
		return (idcode & ~0xFFFu) | 0x413;
	return idcode;
}

const struct target_driver stm32f4_driver = {
	.name = "stm32f4",
	.family = "STM32F2/F4/F7, GD32F4xx",
	.parts = stm32f4_parts,
	.n_parts = sizeof(stm32f4_parts) / sizeof(stm32f4_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the whole flash and the backup SRAM (where the part has one)",
	.unlock_summary = "FLASH_OPTCR RDP = 0xAA, OPTSTRT, mass erase, reset",
	.openocd_unlock = "stm32f2x unlock 0",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32f4_read_protection,
	.protection_words = stm32f4_protection_words,
	.set_level = stm32f4_set_level,
	.apply = stm32f4_apply,
	.idcode_quirk = stm32f4_idcode_quirk,
};
