/*
 * sim_stm32f4.c - STM32F2/F4/F7: memory map, flash interface, option bytes
 * and read-out protection. One flash controller lineage; the parts differ
 * only by the rows of sim_stm32f4_parts[].
 *
 * References:
 *   RM0090 (F405/407/429) §3.5.3 mass erase, §3.6 FLASH_OPTCR programming,
 *     §3.7.3 read protection, Table 13 access vs. RDP level, Figure 5 RDP levels,
 *     §3.9 registers (ACR, KEYR, OPTKEYR, SR, CR, OPTCR, OPTCR1).
 *   PM0059 (F2/F40x flash programming manual) §2.6.2-2.6.3.
 *   RM0368 (F401), RM0383 (F411): same controller, no backup SRAM, SPRMOD.
 *   RM0385 (F74x/75x) §3.7: OPTCR layout, OPTCR1 = BOOT_ADD0/1.
 *   DS10086 (F401xD/E) flash characteristics: mass erase time (see parts).
 *   Constants, sources and the choices made: docs/sim/sim_stm32f4.md.
 *   GigaDevice GD32F4xx: gd32f4xx_fmc.h (FMC at 0x40023C00 with ST's
 *     layout: OBCTL0 = OPTCR, OBCTL1 = OPTCR1, OBKEY = OPTKEYR with ST's
 *     keys, SPC 0xAA none / 0xCC high / else low); Black Magic Debug
 *     stm32f4.c gd32f4_probe (ROM table part 0x2B3 F450, 0xA2E F470).
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F4_FLASH_BASE 0x08000000u
#define F4_SRAM_BASE 0x20000000u
#define F4_BKPSRAM_BASE 0x40024000u
#define F4_PERIPH_BASE 0x40000000u
#define F4_PERIPH_END 0x60000000u
#define F4_RTC_BKP0R 0x40002850u /* RTC base 0x40002800 + 0x50 */
#define F4_DBGMCU_IDCODE 0xE0042000u
#define F4_DBGMCU_CR 0xE0042004u
#define F4_DBGMCU_APB1_FZ 0xE0042008u
#define F4_DBGMCU_APB2_FZ 0xE004200Cu

#define F4_FLASH_IF_BASE 0x40023C00u
#define F4_FLASH_IF_END 0x40024000u
#define F4_FLASH_ACR 0x00u
#define F4_FLASH_KEYR 0x04u
#define F4_FLASH_OPTKEYR 0x08u
#define F4_FLASH_SR 0x0Cu
#define F4_FLASH_CR 0x10u
#define F4_FLASH_OPTCR 0x14u
#define F4_FLASH_OPTCR1 0x18u

#define F4_KEY1 0x45670123u
#define F4_KEY2 0xCDEF89ABu
#define F4_OPTKEY1 0x08192A3Bu
#define F4_OPTKEY2 0x4C5D6E7Fu

#define F4_SR_EOP (1u << 0)
#define F4_SR_OPERR (1u << 1)
#define F4_SR_WRPERR (1u << 4)
#define F4_SR_PGAERR (1u << 5)
#define F4_SR_PGPERR (1u << 6)
#define F4_SR_PGSERR (1u << 7)
#define F4_SR_RDERR (1u << 8)
#define F4_SR_BSY (1u << 16)
#define F4_SR_W1C 0x1F3u

#define F4_CR_PG (1u << 0)
#define F4_CR_MER (1u << 2)
#define F4_CR_MER1 (1u << 15)
#define F4_CR_STRT (1u << 16)
#define F4_CR_EOPIE (1u << 24)
#define F4_CR_LOCK (1u << 31)
/* PG 0, SER 1, MER 2, SNB [7:3], PSIZE [9:8], MER1/MER2 15, STRT 16, EOPIE
 * 24, ERRIE 25, LOCK 31 (FLASH_CR_*_Pos, stm32f429xx.h:7184-7219); bit 14
 * is reserved. */
#define F4_CR_WRITABLE 0x830183FFu

#define F4_OPTCR_OPTLOCK (1u << 0)
#define F4_OPTCR_OPTSTRT (1u << 1)
#define F4_OPTCR_RDP_SHIFT 8

#define F4_RDP_LEVEL0 0xAAu
#define F4_RDP_LEVEL2 0xCCu

/* Time to program the option bytes without a mass erase: the controller
 * erases the 16 KB user configuration sector first (PM0059 §2.6.2 note);
 * the sector erase time of a 16 KB sector at x32 is taken (?). */
#define F4_OPT_PROGRAM_MS 250.0

struct sim_stm32f4_part {
	struct sim_part_id id;
	uint16_t dev_id, rev_id;   /* REV_ID values are typical silicon revisions (?) */
	uint32_t flash_kb, sram_kb, bkpsram_kb;
	uint32_t extra_ram_base, extra_ram_kb; /* CCM (F40x/F42x) or ITCM RAM (F7) */
	uint32_t flash_alias;      /* second address of main flash (F7 ITCM bus) or 0 */
	bool boot_alias0;          /* flash aliased at 0x00000000 (BOOT0 = 0) */
	bool boot_add;             /* F7: OPTCR1 = BOOT_ADD0/1, option bytes +0x10/+0x18 */
	uint32_t info_base, info_end, otp_base, otp_size, uid_base, fsize_addr, opt_base;
	uint32_t opt_base2;        /* bank-2 option copy (F42x) or 0 (?) */
	unsigned bkp_regs;
	uint32_t optcr_default, optcr_mask;
	bool has_optcr1;
	uint32_t optcr1_default, optcr1_mask;
	double mass_erase_ms;
	struct sim_cortexm_desc core;
	uint32_t dpidr, ap_idr;
	unsigned dp_version;
};

/* MVFR values for FPv4-SP (M4F) and FPv5-SP (M7, F74x) (?). */
#define F4_CORE_M4(dev) { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, dev, 0x020 }

/* GigaDevice GD32F4: Cortex-M4F; the MCU ROM table carries GigaDevice's
 * JEP106 code (continuation 7, identity 0x51: 0x3D1 in the 11-bit
 * designer packing sim_cortexm_id_regs uses, continuation in [10:7]) and
 * the part number Black Magic Debug matches. */
#define F4_CORE_GD32(part) { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, part, 0x3D1 }

static const struct sim_stm32f4_part sim_stm32f4_parts[] = {
	{
		/* DS10086: mass erase 512 KB at x32 about 4 s typ (?), RM0368 */
		.id.name = "stm32f401re", .id.summary = "STM32F401RE, Cortex-M4F, 512 KB flash, 96 KB SRAM",
		.dev_id = 0x433, .rev_id = 0x1001, .flash_kb = 512, .sram_kb = 96,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .bkp_regs = 20,
		.optcr_default = 0x0FFFAAEDu, .optcr_mask = 0x80FFFFECu,
		.mass_erase_ms = 4000.0, .core = F4_CORE_M4(0x433),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* PM0059 / DS6697: Cortex-M3 r2p0, mass erase 1 MB at x32 about 8 s (?) */
		.id.name = "stm32f205rg", .id.summary = "STM32F205RG, Cortex-M3, 1 MB flash, 128 KB SRAM, 4 KB backup SRAM",
		.dev_id = 0x411, .rev_id = 0x2000, .flash_kb = 1024, .sram_kb = 128, .bkpsram_kb = 4,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .bkp_regs = 20,
		.optcr_default = 0x0FFFAAEDu, .optcr_mask = 0x0FFFFFECu,
		.mass_erase_ms = 8000.0,
		.core = { SIM_CORTEX_M3, 0x412FC230u, false, 0, 0, 0, 0x411, 0x020 },
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0090, DS8626: mass erase 1 MB at x32 about 8 s typ (?) */
		.id.name = "stm32f407vg", .id.summary = "STM32F407VG, Cortex-M4F, 1 MB flash, 128+64 KB SRAM, 4 KB backup SRAM",
		.dev_id = 0x413, .rev_id = 0x1007, .flash_kb = 1024, .sram_kb = 128, .bkpsram_kb = 4,
		.extra_ram_base = 0x10000000u, .extra_ram_kb = 64,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .bkp_regs = 20,
		.optcr_default = 0x0FFFAAEDu, .optcr_mask = 0x0FFFFFECu,
		.mass_erase_ms = 8000.0, .core = F4_CORE_M4(0x413),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0383, DS10314: mass erase 512 KB at x32 about 4 s (?) */
		.id.name = "stm32f411re", .id.summary = "STM32F411RE, Cortex-M4F, 512 KB flash, 128 KB SRAM",
		.dev_id = 0x431, .rev_id = 0x1000, .flash_kb = 512, .sram_kb = 128,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .bkp_regs = 20,
		.optcr_default = 0x0FFFAAEDu, .optcr_mask = 0x80FFFFECu,
		.mass_erase_ms = 4000.0, .core = F4_CORE_M4(0x431),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0090: dual bank, OPTCR1 = nWRP of sectors 12-23; DS9405 mass
		 * erase of 2 MB at x32 about 16 s (?) */
		.id.name = "stm32f429zi", .id.summary = "STM32F429ZI, Cortex-M4F, 2 MB dual-bank flash, 192+64 KB SRAM, OPTCR1",
		.dev_id = 0x419, .rev_id = 0x1003, .flash_kb = 2048, .sram_kb = 192, .bkpsram_kb = 4,
		.extra_ram_base = 0x10000000u, .extra_ram_kb = 64,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .opt_base2 = 0x1FFEC000u,
		.bkp_regs = 20, .optcr_default = 0x0FFFAAEDu, .optcr_mask = 0xCFFFFFFCu,
		.has_optcr1 = true, .optcr1_default = 0x0FFF0000u, .optcr1_mask = 0x0FFF0000u,
		.mass_erase_ms = 16000.0, .core = F4_CORE_M4(0x419),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0385: OPTCR reset 0xC0FFAAFD, OPTCR1 = BOOT_ADD1:BOOT_ADD0 reset
		 * 0x00400080; flash also on ITCM at 0x00200000, ITCM RAM at 0;
		 * Cortex-M7 r0p1, AP IDR from the old pyOCD table (?); mass erase
		 * 1 MB at x32 about 8 s (?) */
		.id.name = "stm32f746zg", .id.summary = "STM32F746ZG, Cortex-M7F, 1 MB flash, 320 KB SRAM, OPTCR1 boot addresses",
		.dev_id = 0x449, .rev_id = 0x1001, .flash_kb = 1024, .sram_kb = 320, .bkpsram_kb = 4,
		.extra_ram_base = 0x00000000u, .extra_ram_kb = 16, .flash_alias = 0x00200000u,
		.boot_alias0 = false, .boot_add = true, .info_base = 0x1FF00000u, .info_end = 0x1FF0F450u,
		.otp_base = 0x1FF0F000u, .otp_size = 1056, .uid_base = 0x1FF0F420u,
		.fsize_addr = 0x1FF0F442u, .opt_base = 0x1FFF0000u, .bkp_regs = 32,
		.optcr_default = 0xC0FFAAFDu, .optcr_mask = 0xC0FFFFFCu,
		.has_optcr1 = true, .optcr1_default = 0x00400080u, .optcr1_mask = 0xFFFFFFFFu,
		.mass_erase_ms = 8000.0,
		.core = { SIM_CORTEX_M7, 0x410FC271u, true, 0x10110021u, 0x12000011u, 0x00000040u, 0x449, 0x020 },
		.dpidr = 0x5BA02477u, .ap_idr = 0x74770001u, .dp_version = 2,
	},
	{
		/* RM0410: as the F746 with 2 MB, 12 nWRP bits, nDBOOT 28 and
		 * nDBANK 29 (stm32f767xx.h:7893-7911); OPTCR reset 0xFFFFAAFD
		 * (?: every documented bit at its erased 1, RDP 0xAA); 512 KB
		 * SRAM from 0x20000000 (DTCM 128 + SRAM1 368 + SRAM2 16,
		 * stm32f767xx.h:1294-1300); Cortex-M7 r1p0 with the double
		 * precision FPU (?: CPUID and MVFR0 as the M7 TRM gives them);
		 * mass erase of 2 MB at x32 about 16 s (?) */
		.id.name = "stm32f767zi", .id.summary = "STM32F767ZI, Cortex-M7F, 2 MB flash, 512 KB SRAM, 12 nWRP bits",
		.dev_id = 0x451, .rev_id = 0x1001, .flash_kb = 2048, .sram_kb = 512, .bkpsram_kb = 4,
		.extra_ram_base = 0x00000000u, .extra_ram_kb = 16, .flash_alias = 0x00200000u,
		.boot_alias0 = false, .boot_add = true, .info_base = 0x1FF00000u, .info_end = 0x1FF0F450u,
		.otp_base = 0x1FF0F000u, .otp_size = 1056, .uid_base = 0x1FF0F420u,
		.fsize_addr = 0x1FF0F442u, .opt_base = 0x1FFF0000u, .bkp_regs = 32,
		.optcr_default = 0xFFFFAAFDu, .optcr_mask = 0xFFFFFFFCu,
		.has_optcr1 = true, .optcr1_default = 0x00400080u, .optcr1_mask = 0xFFFFFFFFu,
		.mass_erase_ms = 16000.0,
		.core = { SIM_CORTEX_M7, 0x411FC270u, true, 0x10110221u, 0x12000011u, 0x00000040u, 0x451, 0x020 },
		.dpidr = 0x5BA02477u, .ap_idr = 0x74770001u, .dp_version = 2,
	},
	{
		/* RM0430: 1.5 MB in 16 sectors, 15 nWRP bits [30:16] (bit 30
		 * guards sectors 14 and 15) and SPRMOD 31 (stm32f413xx.h:6951,
		 * stm32f4xx_hal_flash_ex.h:696); 320 KB SRAM (SRAM1 256 + SRAM2
		 * 64, stm32f413xx.h:915-916), no backup SRAM; OPTCR reset
		 * 0x7FFFAAED (?: the F4 value with 15 nWRP bits); mass erase of
		 * 1.5 MB at x32 about 12 s (?) */
		.id.name = "stm32f413zh", .id.summary = "STM32F413ZH, Cortex-M4F, 1.5 MB flash, 320 KB SRAM, 15 nWRP bits",
		.dev_id = 0x463, .rev_id = 0x1000, .flash_kb = 1536, .sram_kb = 320,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .bkp_regs = 20,
		.optcr_default = 0x7FFFAAEDu, .optcr_mask = 0xFFFFFFECu,
		.mass_erase_ms = 12000.0, .core = F4_CORE_M4(0x463),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* GD32F450ZK: 3 MB (bank 0 1 MB, bank 1 2 MB, contiguous), 256 KB
		 * SRAM + 64 KB TCM SRAM at 0x10000000, 4 KB backup SRAM (?: sizes
		 * from the GD32F450 datasheet's overview as remembered). The FMC
		 * behaves as the STM32F42x's here; where GigaDevice's behaviour
		 * is unpublished the ST one is modelled (?): mass erase on 1 -> 0
		 * with backup SRAM, reset applies the options. DBGMCU IDCODE is
		 * not published (BMD issue #1816): this part reads 0 there (?),
		 * as if DBG_ID held nothing; the F470ZG below reads its ROM part
		 * number there, as ST's DEV_ID equals theirs (?). The two model
		 * the two cases rdpd must survive. Mass erase of 3 MB 16 s (?);
		 * FLASH_DENSITY [31:16] of 0x1FFF7A20 = F_SIZE's place. SW-DP and
		 * AHB-AP ids are the Cortex-M4's (?). */
		.id.name = "gd32f450zk", .id.summary = "GD32F450ZK, Cortex-M4F, 3 MB flash, 256+64 KB SRAM, OBCTL1",
		.dev_id = 0x000, .rev_id = 0x0000, .flash_kb = 3072, .sram_kb = 256, .bkpsram_kb = 4,
		.extra_ram_base = 0x10000000u, .extra_ram_kb = 64,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .opt_base2 = 0x1FFEC000u,
		.bkp_regs = 20, .optcr_default = 0x0FFFAAEDu, .optcr_mask = 0xCFFFFFFCu,
		.has_optcr1 = true, .optcr1_default = 0x0FFF0000u, .optcr1_mask = 0x0FFF0000u,
		.mass_erase_ms = 16000.0, .core = F4_CORE_GD32(0x2B3),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* GD32F470ZG: 1 MB, otherwise as the F450ZK; DBGMCU reads 0xA2E,
		 * which no ST part uses (?). Mass erase of 1 MB 8 s (?). */
		.id.name = "gd32f470zg", .id.summary = "GD32F470ZG, Cortex-M4F, 1 MB flash, 256+64 KB SRAM, OBCTL1",
		.dev_id = 0xA2E, .rev_id = 0x0000, .flash_kb = 1024, .sram_kb = 256, .bkpsram_kb = 4,
		.extra_ram_base = 0x10000000u, .extra_ram_kb = 64,
		.boot_alias0 = true, .info_base = 0x1FFF0000u, .info_end = 0x1FFF7A30u,
		.otp_base = 0x1FFF7800u, .otp_size = 528, .uid_base = 0x1FFF7A10u,
		.fsize_addr = 0x1FFF7A22u, .opt_base = 0x1FFFC000u, .opt_base2 = 0x1FFEC000u,
		.bkp_regs = 20, .optcr_default = 0x0FFFAAEDu, .optcr_mask = 0xCFFFFFFCu,
		.has_optcr1 = true, .optcr1_default = 0x0FFF0000u, .optcr1_mask = 0x0FFF0000u,
		.mass_erase_ms = 8000.0, .core = F4_CORE_GD32(0xA2E),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
};

#define F4_NPARTS (sizeof(sim_stm32f4_parts) / sizeof(sim_stm32f4_parts[0]))

struct sim_stm32f4_chip {
	const struct sim_stm32f4_part *part;
	uint8_t *flash, *sram, *bkpsram, *extra_ram, *otp;
	uint32_t bkpr[32];
	uint32_t dbgmcu_cr, dbgmcu_apb1, dbgmcu_apb2;
	/* flash interface */
	uint32_t acr, sr, cr, optcr, optcr1;
	enum sim_mech_key key, optkey;
	/* option bytes: as programmed, and as loaded by the last reset */
	uint32_t stored_optcr, stored_optcr1, loaded_optcr;
	/* operation in progress */
	bool busy;
	uint64_t busy_until_ns;
	enum { F4_OP_NONE, F4_OP_OPTIONS, F4_OP_MASS_ERASE } op;
	bool op_regress, op_refused;
	uint32_t op_optcr, op_optcr1;
};

static struct sim_stm32f4_chip *sim_stm32f4_of(struct sim_chip *c)
{
	return c->priv;
}

static int sim_stm32f4_level_of(uint32_t optcr)
{
	uint8_t rdp = (optcr >> F4_OPTCR_RDP_SHIFT) & 0xFF;

	if (rdp == F4_RDP_LEVEL0)
		return 0;
	return rdp == F4_RDP_LEVEL2 ? 2 : 1; /* RM0090 §3.7.3: anything else is level 1 */
}

static void sim_stm32f4_destroy(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	if (!f)
		return;
	free(f->flash);
	free(f->sram);
	free(f->bkpsram);
	free(f->extra_ram);
	free(f->otp);
	free(f);
	c->priv = NULL;
}

static int sim_stm32f4_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_stm32f4_part *p;
	struct sim_stm32f4_chip *f;

	if (part >= F4_NPARTS)
		return -ENOENT;
	p = &sim_stm32f4_parts[part];
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	c->priv = f;
	f->part = p;
	f->flash = malloc(p->flash_kb * 1024u);
	f->sram = calloc(1, p->sram_kb * 1024u);
	f->otp = malloc(p->otp_size);
	f->bkpsram = p->bkpsram_kb ? calloc(1, p->bkpsram_kb * 1024u) : NULL;
	f->extra_ram = p->extra_ram_kb ? calloc(1, p->extra_ram_kb * 1024u) : NULL;
	if (!f->flash || !f->sram || !f->otp || (p->bkpsram_kb && !f->bkpsram) ||
	    (p->extra_ram_kb && !f->extra_ram)) {
		sim_stm32f4_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(f->flash, p->flash_kb * 1024u, F4_SRAM_BASE + p->sram_kb * 1024u, F4_FLASH_BASE + 0x1C1u);
	memset(f->otp, 0xFF, p->otp_size);
	f->stored_optcr = (p->optcr_default & ~(0xFFu << F4_OPTCR_RDP_SHIFT) & ~3u) |
			  ((uint32_t)rdp << F4_OPTCR_RDP_SHIFT);
	f->stored_optcr1 = p->optcr1_default;
	for (unsigned i = 0; i < p->bkp_regs; i++)
		f->bkpr[i] = 0xB4C40000u | i;
	if (f->bkpsram)
		memset(f->bkpsram, 0x5A, p->bkpsram_kb * 1024u);
	c->dpidr = p->dpidr;
	c->ap_idr = p->ap_idr;
	c->dp_version = p->dp_version;
	c->targetid = ((uint32_t)p->dev_id << 16) | (0x020u << 1) | 1u; /* DPv2 TARGETID (?) */
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* Complete the operation in progress (RM0090 §3.6.2: options are written
 * by erasing the user configuration sector and programming OPTCR's value;
 * Figure 5: a level decrease 1 -> 0 adds the mass erase of main flash and
 * backup SRAM). Called when BSY's time is up, or before a reset. */
static void sim_stm32f4_finish(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;

	if (!f->busy)
		return;
	if (f->op == F4_OP_OPTIONS && !f->op_refused) {
		f->stored_optcr = f->op_optcr;
		f->stored_optcr1 = f->op_optcr1;
	}
	if (f->op == F4_OP_MASS_ERASE || (f->op == F4_OP_OPTIONS && f->op_regress)) {
		memset(f->flash, 0xFF, p->flash_kb * 1024u);
		if (f->op_regress && f->bkpsram)
			memset(f->bkpsram, 0, p->bkpsram_kb * 1024u);
		/* RM0090 §3.7.3 names main flash and backup SRAM only: the RTC
		 * backup registers are not cleared on F2/F4/F7; OTP is kept. */
		c->counters->mass_erases++;
	}
	f->busy = false;
	f->sr &= ~F4_SR_BSY;
	f->optcr &= ~F4_OPTCR_OPTSTRT; /* cleared together with BSY (RM0090 §3.9.10) */
	f->cr &= ~F4_CR_STRT;
	if (f->cr & F4_CR_EOPIE)
		f->sr |= F4_SR_EOP; /* EOP is set only with EOPIE (RM0090 §3.9.4) */
	f->op = F4_OP_NONE;
}

static void sim_stm32f4_tick(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	if (sim_chip_op_due(c, f->busy, f->busy_until_ns))
		sim_stm32f4_finish(c);
}

static void sim_stm32f4_start(struct sim_chip *c, int op, double ms)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	f->op = op;
	f->busy = true;
	f->sr |= F4_SR_BSY;
	f->busy_until_ns = sim_chip_deadline_ns(c, ms);
}

/* OPTSTRT (RM0090 §3.6.2). At stored level 2 the option bytes "can no
 * longer be changed" (§3.7.3): the request is refused with an error flag
 * (WRPERR chosen (?): the F2/F4 manuals name no flag for this case). */
static void sim_stm32f4_option_start(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;
	uint32_t want = (p->optcr_default & ~p->optcr_mask) | (f->optcr & p->optcr_mask);
	int cur = sim_stm32f4_level_of(f->stored_optcr);

	if (cur == 2) {
		f->sr |= F4_SR_WRPERR;
		f->optcr = (f->stored_optcr & p->optcr_mask) | (f->optcr & F4_OPTCR_OPTLOCK) |
			   (p->optcr_default & ~p->optcr_mask & ~3u);
		f->optcr1 = f->stored_optcr1;
		return;
	}
	f->op_optcr = want & ~3u;
	f->op_optcr1 = p->has_optcr1 ? ((p->optcr1_default & ~p->optcr1_mask) |
					(f->optcr1 & p->optcr1_mask)) : 0;
	f->op_refused = false;
	/* Mass erase only on 1 -> 0; raising the level never erases (§3.7.3). */
	f->op_regress = cur == 1 && sim_stm32f4_level_of(want) == 0;
	sim_stm32f4_start(c, F4_OP_OPTIONS, f->op_regress ? p->mass_erase_ms : F4_OPT_PROGRAM_MS);
	sim_chip_option_started(c);
}

/* Power lost while OPTSTRT runs (sim_probe_power_fail_at_option_start).
 * Options are written by erasing the user configuration sector, then
 * programming it (RM0090 §3.6.2); cut in between, the sector reads erased:
 * RDP byte 0xFF, which is level 1 ("any other value", RM0090 §3.7.3) (?:
 * the manual does not say where an interrupted sequence stops). The other
 * option bits are kept (?: erased bytes would also set SPRMOD and nWRP,
 * the "secure configuration" RM0444's caution warns of). A regression had
 * begun its mass erase: the first half of the flash reads erased, the rest
 * keeps its content (?), and no mass erase is counted. F2/F4/F7 have no
 * option validity flag. */
static void sim_stm32f4_option_power_loss(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	if (!f->busy || f->op != F4_OP_OPTIONS)
		return;
	if (f->op_regress)
		memset(f->flash, 0xFF, f->part->flash_kb * 1024u / 2);
	f->stored_optcr |= 0xFFu << F4_OPTCR_RDP_SHIFT;
	f->busy = false;
	f->op = F4_OP_NONE;
	f->op_regress = false;
	f->sr &= ~F4_SR_BSY;
}

static uint32_t sim_stm32f4_if_read(struct sim_stm32f4_chip *f, uint32_t off)
{
	switch (off) {
	case F4_FLASH_ACR: return f->acr;
	case F4_FLASH_SR: return f->sr;
	case F4_FLASH_CR: return f->cr;
	case F4_FLASH_OPTCR: return f->optcr;
	case F4_FLASH_OPTCR1: return f->part->has_optcr1 ? f->optcr1 : 0;
	default: return 0; /* KEYR/OPTKEYR are write-only */
	}
}

static int sim_stm32f4_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;
	bool locked;
	int rc;

	switch (off) {
	case F4_FLASH_ACR:
		f->acr = v & 0x1F0Fu;
		return 0;
	/* Key registers: KEY1 then KEY2 unlocks; any other value, or a key
	 * written while already unlocked, locks the register until the next
	 * reset and raises a bus error (RM0090 §3.5.1, §3.6.2). */
	case F4_FLASH_KEYR:
		locked = f->cr & F4_CR_LOCK;
		rc = sim_mech_key_unlock(&f->key, &locked, F4_KEY1, F4_KEY2, v);
		f->cr = locked ? (f->cr | F4_CR_LOCK) : (f->cr & ~F4_CR_LOCK);
		return rc;
	case F4_FLASH_OPTKEYR:
		locked = f->optcr & F4_OPTCR_OPTLOCK;
		rc = sim_mech_key_unlock(&f->optkey, &locked, F4_OPTKEY1, F4_OPTKEY2, v);
		f->optcr = locked ? (f->optcr | F4_OPTCR_OPTLOCK) : (f->optcr & ~F4_OPTCR_OPTLOCK);
		return rc;
	case F4_FLASH_SR:
		f->sr &= ~(v & F4_SR_W1C);
		return 0;
	case F4_FLASH_CR:
		if ((f->cr & F4_CR_LOCK) || f->busy)
			return 0; /* CR is not writable while locked or busy */
		f->cr = v & F4_CR_WRITABLE;
		if (f->cr & F4_CR_LOCK)
			f->key = SIM_MECH_KEY_EXPECT1;
		if ((v & F4_CR_STRT) && (v & (F4_CR_MER | F4_CR_MER1))) {
			if (sim_stm32f4_level_of(f->loaded_optcr) != 0 && c->debugger_attached) {
				f->sr |= F4_SR_WRPERR; /* level 1: no erase by the debugger */
				f->cr &= ~F4_CR_STRT;
			} else {
				f->op_regress = false;
				sim_stm32f4_start(c, F4_OP_MASS_ERASE, p->mass_erase_ms);
			}
		} else {
			f->cr &= ~F4_CR_STRT;
		}
		return 0;
	case F4_FLASH_OPTCR:
		if ((f->optcr & F4_OPTCR_OPTLOCK) || f->busy)
			return 0; /* RM0090 §3.9.7: write-protected while OPTLOCK */
		f->optcr = (v & (p->optcr_mask | F4_OPTCR_OPTLOCK)) | (p->optcr_default & ~p->optcr_mask & ~3u);
		if (v & F4_OPTCR_OPTSTRT) {
			f->optcr |= F4_OPTCR_OPTSTRT;
			sim_stm32f4_option_start(c);
			if (!f->busy)
				f->optcr &= ~F4_OPTCR_OPTSTRT;
		}
		if (v & F4_OPTCR_OPTLOCK)
			f->optkey = SIM_MECH_KEY_EXPECT1;
		return 0;
	case F4_FLASH_OPTCR1:
		if (!p->has_optcr1 || (f->optcr & F4_OPTCR_OPTLOCK) || f->busy)
			return 0;
		f->optcr1 = (v & p->optcr1_mask) | (p->optcr1_default & ~p->optcr1_mask);
		return 0;
	default:
		return 0;
	}
}

/* Where an address falls: returns a byte pointer for RAM-like regions and
 * tells whether the region is flash-protected at level 1. NULL: not RAM. */
static uint8_t *sim_stm32f4_ram_at(struct sim_stm32f4_chip *f, uint32_t addr, unsigned size, bool *protected,
				   bool *is_flash)
{
	const struct sim_stm32f4_part *p = f->part;
	uint32_t fsz = p->flash_kb * 1024u;

	*protected = false;
	*is_flash = false;
#define F4_IN(base, len) sim_mech_in(addr, size, base, len)
	if (F4_IN(F4_FLASH_BASE, fsz)) {
		*protected = *is_flash = true;
		return f->flash + (addr - F4_FLASH_BASE);
	}
	if (p->flash_alias && F4_IN(p->flash_alias, fsz)) {
		*protected = *is_flash = true;
		return f->flash + (addr - p->flash_alias);
	}
	if (p->extra_ram_kb && F4_IN(p->extra_ram_base, p->extra_ram_kb * 1024u))
		return f->extra_ram + (addr - p->extra_ram_base);
	if (p->boot_alias0 && F4_IN(0u, fsz)) {
		*protected = *is_flash = true;
		return f->flash + addr;
	}
	if (F4_IN(F4_SRAM_BASE, p->sram_kb * 1024u))
		return f->sram + (addr - F4_SRAM_BASE);
	if (p->bkpsram_kb && F4_IN(F4_BKPSRAM_BASE, p->bkpsram_kb * 1024u)) {
		*protected = true; /* RM0090 §3.7.3: backup SRAM as flash */
		return f->bkpsram + (addr - F4_BKPSRAM_BASE);
	}
	if (F4_IN(p->otp_base, p->otp_size)) {
		*protected = true; /* RM0090 Table 13: OTP not readable by debug at level 1 */
		return f->otp + (addr - p->otp_base);
	}
#undef F4_IN
	return NULL;
}

/* Read-only bytes of the information block: system memory (a stand-in
 * pattern), unique id, F_SIZE; raw option bytes. */
static bool sim_stm32f4_info_byte(struct sim_chip *c, uint32_t a, bool debugger, uint8_t *b)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;

	if (sim_mech_uid_byte(c->uid, p->uid_base, 8, a, b) ||
	    sim_mech_field_byte(p->flash_kb, p->fsize_addr, 2, a, b))
		return true;
	/* Raw option bytes: user byte and RDP at +0 and the nWRP half-word at
	 * +8 (RM0090 §3.7.1 table 16); on parts with a second copy (F42x,
	 * GD32F4) its +8 holds OPTCR1's nWRP/WP1 (RM0090 table 16; GD32
	 * OB_WP1 at OB_BASE 0x1FFEC000 + 8, gd32f4xx_fmc.h:62, gd32f4xx.h:354);
	 * on F7 BOOT_ADD0 at +0x10 and BOOT_ADD1 at +0x18 (RM0385 §3.4.1 (?)).
	 * The complement half-words and everything else read 0xFF (?). */
	for (int bank = 0; bank < 2; bank++) {
		uint32_t base = bank ? p->opt_base2 : p->opt_base;

		if (!base || a < base || a >= base + 0x20)
			continue;
		if (bank == 0 && (sim_mech_field_byte(f->stored_optcr & 0xFFFCu, base, 2, a, b) ||
				  sim_mech_field_byte(f->stored_optcr >> 16, base + 8, 2, a, b)))
			return true;
		if (bank == 1 && sim_mech_field_byte(f->stored_optcr1 >> 16, base + 8, 2, a, b))
			return true;
		if (bank == 0 && p->boot_add && (sim_mech_field_byte(f->stored_optcr1, base + 0x10, 2, a, b) ||
						 sim_mech_field_byte(f->stored_optcr1 >> 16, base + 0x18, 2, a, b)))
			return true;
		*b = 0xFF;
		return true;
	}
	if (a >= p->info_base && a < p->info_end) {
		*b = (uint8_t)(0xB0 ^ (a & 0xFF)); /* the bootloader's bytes, any */
		return true;
	}
	return false;
}

static int sim_stm32f4_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32f4_tick(c);
	*val = 0;
	ram = sim_stm32f4_ram_at(f, addr, size, &prot, &is_flash);
	if (ram) {
		/* RM0090 §3.7.3: with a debugger connected at level 1 a read of
		 * flash or backup SRAM is answered with a bus error. */
		if (prot && debugger && c->debugger_attached && sim_stm32f4_level_of(f->loaded_optcr) >= 1)
			return -EFAULT;
		*val = sim_mech_load(ram, size);
		return 0;
	}
	if (addr >= F4_FLASH_IF_BASE && addr < F4_FLASH_IF_END) {
		*val = sim_mech_lane(sim_stm32f4_if_read(f, (addr - F4_FLASH_IF_BASE) & ~3u), addr, size);
		return 0;
	}
	if (addr >= F4_RTC_BKP0R && addr < F4_RTC_BKP0R + 4 * p->bkp_regs) {
		*val = sim_mech_lane(f->bkpr[(addr - F4_RTC_BKP0R) / 4], addr, size);
		return 0;
	}
	if (addr >= F4_PERIPH_BASE && addr < F4_PERIPH_END)
		return 0; /* unmodelled peripherals read as 0 */
	if ((addr & ~0xFu) == F4_DBGMCU_IDCODE) {
		uint32_t w = 0;

		switch (addr & ~3u) {
		case F4_DBGMCU_IDCODE: w = ((uint32_t)p->rev_id << 16) | p->dev_id; break;
		case F4_DBGMCU_CR: w = f->dbgmcu_cr; break;
		case F4_DBGMCU_APB1_FZ: w = f->dbgmcu_apb1; break;
		case F4_DBGMCU_APB2_FZ: w = f->dbgmcu_apb2; break;
		}
		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	/* Elsewhere nothing (e.g. FMC banks): a bus error. */
	return sim_mech_info_read(c, sim_stm32f4_info_byte, addr, size, debugger, val);
}

static int sim_stm32f4_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);
	const struct sim_stm32f4_part *p = f->part;
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32f4_tick(c);
	ram = sim_stm32f4_ram_at(f, addr, size, &prot, &is_flash);
	if (ram) {
		if (prot && debugger && c->debugger_attached && sim_stm32f4_level_of(f->loaded_optcr) >= 1)
			return -EFAULT;
		if (is_flash && debugger) {
			/* Flash programs only with PG set and CR unlocked; bits
			 * only go from 1 to 0 (RM0090 §3.5.4). */
			if ((f->cr & F4_CR_LOCK) || !(f->cr & F4_CR_PG) || f->busy) {
				f->sr |= F4_SR_PGSERR;
				return 0;
			}
			for (unsigned i = 0; i < size; i++)
				ram[i] &= (uint8_t)(val >> (8 * i));
			return 0;
		}
		if (prot && ram >= f->otp && ram < f->otp + p->otp_size && debugger)
			return 0; /* OTP programming not modelled */
		memcpy(ram, &val, size);
		return 0;
	}
	if (addr >= F4_FLASH_IF_BASE && addr < F4_FLASH_IF_END) {
		uint32_t off = (addr - F4_FLASH_IF_BASE) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (off == F4_FLASH_KEYR || off == F4_FLASH_OPTKEYR || size == 4)
			return sim_stm32f4_if_write(c, off,
						    size == 4 ? val : sim_mech_merge(0, addr, size, val));
		/* Byte access to OPTCR (e.g. the RDP byte at 0x40023C15) merges
		 * into the register's current value (RM0090 §3.9.7). */
		return sim_stm32f4_if_write(c, off,
					    sim_mech_merge(sim_stm32f4_if_read(f, off), addr, size, val));
	}
	if (addr >= F4_RTC_BKP0R && addr < F4_RTC_BKP0R + 4 * p->bkp_regs) {
		uint32_t *r = &f->bkpr[(addr - F4_RTC_BKP0R) / 4];

		*r = sim_mech_merge(*r, addr, size, val);
		return 0;
	}
	if (addr >= F4_PERIPH_BASE && addr < F4_PERIPH_END)
		return 0;
	if ((addr & ~0xFu) == F4_DBGMCU_IDCODE) {
		switch (addr & ~3u) {
		case F4_DBGMCU_CR: f->dbgmcu_cr = sim_mech_merge(f->dbgmcu_cr, addr, size, val); break;
		case F4_DBGMCU_APB1_FZ: f->dbgmcu_apb1 = sim_mech_merge(f->dbgmcu_apb1, addr, size, val); break;
		case F4_DBGMCU_APB2_FZ: f->dbgmcu_apb2 = sim_mech_merge(f->dbgmcu_apb2, addr, size, val); break;
		}
		return 0;
	}
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_stm32f4_info_byte, addr, debugger);
}

/* A reset (or a power-on) while the controller is busy. No F2/F4/F7
 * manual we found says what a reset does to a mass erase or to the RDP
 * regression; ST's HAL says only that "the contents of the Flash memory
 * are not guaranteed if a device reset occurs during a Flash memory
 * operation" (stm32f7xx_hal_flash.c line 62). Modelled as the conservative
 * case (docs/sim-cortexm.md): the operation is aborted, the option bytes
 * keep what they stored (the level does not change), and an interrupted
 * erase leaves the first half of the flash erased, the rest as it was (?).
 * An operation whose time is already up has completed. */
static void sim_stm32f4_reset_abort(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	sim_stm32f4_tick(c);
	if (!f->busy)
		return;
	if (f->op == F4_OP_MASS_ERASE || f->op_regress)
		memset(f->flash, 0xFF, f->part->flash_kb * 1024u / 2);
	f->busy = false;
	f->op = F4_OP_NONE;
	f->op_regress = false;
	f->sr &= ~F4_SR_BSY;
	f->optcr &= ~F4_OPTCR_OPTSTRT;
	f->cr &= ~F4_CR_STRT;
}

/* Option bytes are loaded into OPTCR/OPTCR1 and the protection logic at
 * every reset (OpenOCD stm32f2x "reset or power cycle is
 * required"; the F4 manuals describe OPTCR as "loaded with the option
 * bytes at reset" (?)). An operation still running is aborted first. */
static void sim_stm32f4_system_reset(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	sim_stm32f4_reset_abort(c);
	f->loaded_optcr = f->stored_optcr;
	f->optcr = f->stored_optcr | F4_OPTCR_OPTLOCK;
	f->optcr1 = f->stored_optcr1;
	f->cr = F4_CR_LOCK;
	f->sr = 0;
	f->acr = 0;
	f->key = SIM_MECH_KEY_EXPECT1;
	f->optkey = SIM_MECH_KEY_EXPECT1;
}

static void sim_stm32f4_power_on(struct sim_chip *c)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	f->dbgmcu_cr = f->dbgmcu_apb1 = f->dbgmcu_apb2 = 0; /* POR-only registers */
	sim_stm32f4_system_reset(c);
}

static int sim_stm32f4_rdp_level(struct sim_chip *c)
{
	sim_stm32f4_tick(c);
	return sim_stm32f4_level_of(sim_stm32f4_of(c)->loaded_optcr);
}

/* The core fetches its vectors itself: protection does not apply. F7 boots
 * from BOOT_ADD0 (flash on ITCM by default); F2/F4 from the flash alias. */
static void sim_stm32f4_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_stm32f4_chip *f = sim_stm32f4_of(c);

	*msp = sim_mech_load(f->flash, 4);
	*pc = sim_mech_load(f->flash + 4, 4);
}

const struct sim_chip_ops sim_stm32f4_ops = {
	.family = "stm32f2/f4/f7",
	.parts = SIM_PART_TABLE(sim_stm32f4_parts),
	.create = sim_stm32f4_create,
	.destroy = sim_stm32f4_destroy,
	.bus_read = sim_stm32f4_bus_read,
	.bus_write = sim_stm32f4_bus_write,
	.tick = sim_stm32f4_tick,
	.system_reset = sim_stm32f4_system_reset,
	.power_on = sim_stm32f4_power_on,
	.rdp_level = sim_stm32f4_rdp_level,
	.reset_vectors = sim_stm32f4_reset_vectors,
	.option_power_loss = sim_stm32f4_option_power_loss,
};
