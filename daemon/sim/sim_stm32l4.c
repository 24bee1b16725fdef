/*
 * sim_stm32l4.c - the OPTR flash controllers: L4, L4+, G4, G0, C0, U0, WB, WL
 * ("L4-style": KEYR 0x08, OPTKEYR 0x0C, SR 0x10, CR 0x14, OPTR 0x20) and the
 * TrustZone parts L5 and U5 (non-secure set: NSKEYR 0x08, OPTKEYR 0x10,
 * NSSR 0x20, NSCR 0x28, OPTR 0x40). One model; the parts differ by the rows
 * of sim_stm32l4_parts[] and the option register table each row points to.
 *
 * References:
 *   RM0351 (L47x/L49x) §3.4 option bytes and their programming, §3.5.1 read
 *     protection (level 1 with debugger: no flash/SRAM2 access; "apply a POR
 *     instead of a system reset" when protection changes with a debugger
 *     attached), §3.7 registers (CR: LOCK also sets OPTLOCK; OBL_LAUNCH).
 *   RM0432 (L4+) fig. 6 "RDP level regression", RM0440 (G4), RM0444 (G0)
 *     table 18 (what a regression erases, PCROP_RDP), "a read from the option
 *     registers still returns the last loaded option byte values".
 *   RM0490 (C0), RM0503 (U0), RM0434 (WB: PESD, CFGBSY, SFR), RM0453 (WL).
 *   RM0438 (L5) §6.4-6.5, RM0456 (U5) §7.4-7.6: level 0.5 (RDP 0x55 with
 *     TZEN = 1), TZEN cleared only with a regression to level 0, OEM keys.
 *   ST CMSIS device headers of each modelled part (offsets, bits, field
 *     widths); every constant with its header line, and where this model
 *     reads the manuals its own way: docs/targets/stm32l4.md and
 *     docs/targets/stm32l5.md, "simulator model".
 *
 * Choices where the sources do not say (marked (?) below): OPTR and the
 * other option registers read back the loaded values once BSY clears; the
 * OBL_LAUNCH write resets the chip and its own ACK is FAULT; a regression
 * made while a debugger is attached leaves flash answering the debugger
 * with a bus error until a power-on reset; the regression erases flash,
 * SRAM2/CCM and the backup registers, never OTP.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define L4_FLASH_BASE 0x08000000u
#define L4_SRAM_BASE 0x20000000u
#define L4_PERIPH_BASE 0x40000000u
#define L4_PERIPH_END 0x60000000u

#define L4_KEY1 0x45670123u
#define L4_KEY2 0xCDEF89ABu
#define L4_OPTKEY1 0x08192A3Bu
#define L4_OPTKEY2 0x4C5D6E7Fu

/* SR (NSSR) bits; the same positions on both register sets. */
#define L4_SR_EOP (1u << 0)
#define L4_SR_WRPERR (1u << 4)
#define L4_SR_PGSERR (1u << 7)
#define L4_SR_OPTWERR (1u << 13)   /* L5/U5 NSSR */
#define L4_SR_OPTVERR (1u << 15)   /* L4-style SR (not L5/U5 NSSR) */
#define L4_SR_BSY (1u << 16)
#define L4_SR_BSY2 (1u << 17)      /* G0B/C */
#define L4_SR_CFGBSY (1u << 18)    /* G0/C0/U0/WB/WL */
#define L4_SR_OEM1LOCK (1u << 18)  /* U5 NSSR, read-only */
#define L4_SR_U0_OEM1LOCK (1u << 20) /* U0 SR, read-only (RM0503 §3.7.4) */
#define L4_U0_OEMKEYSR 0xA8u       /* U0: OEM1KEYCRC [7:0], OEM2KEYCRC [23:16] */
/* CRC of the OEM1 key a "-oem1" U0 profile holds: any value; the model does
 * not compute it from a key (?). */
#define L4_U0_OEM1_CRC 0x5Au
/* SR flags cleared by writing 1 (FLASH_SR of RM0351 and RM0503, FLASH_NSSR
 * of RM0438; bit lists of stm32l476xx.h, stm32u083xx.h, stm32l552xx.h): EOP 0,
 * OPERR 1, PROGERR 3, WRPERR 4, PGAERR 5, SIZERR 6, PGSERR 7, MISERR 8,
 * FASTERR 9, RDERR 14, OPTVERR 15; U0 has HDPOPTWERR 11 and OEMOPTWERR 12
 * but no RDERR; the L5/U5 NSSR has EOP..PGSERR and OPTWERR 13. The rest is
 * reserved or read-only (BSY, CFGBSY, OPTNV, PESD): "keep at reset value". */
#define L4_SR_W1C 0xC3FBu
#define L4_SR_W1C_U0 0x9BFBu
#define L4_SR_W1C_TZ 0x20FBu

#define L4_CR_PG (1u << 0)
#define L4_CR_OPTSTRT (1u << 17)
#define L4_CR_EOPIE (1u << 24)
#define L4_CR_OBL_LAUNCH (1u << 27)
#define L4_CR_OPTLOCK (1u << 30)
#define L4_CR_LOCK (1u << 31)
#define L4_CR_WRITABLE 0xCF07FFFFu

#define L4_OPTR_TZEN (1u << 31)    /* L5/U5 */

#define L4_RDP_LEVEL0 0xAAu
#define L4_RDP_LEVEL05 0x55u
#define L4_RDP_LEVEL2 0xCCu

/* Option programming without an erase: the option page erase and write,
 * a few ms (?). */
#define L4_OPT_PROGRAM_MS 5.0

#define L4_MAX_OPTREGS 12

/* One option register: offset from the flash interface base, value of an
 * unprogrammed chip, bits software may change (0: read-only to CPU1/debug,
 * like the CPU2 options of WB). Entry 0 is always OPTR. */
struct sim_stm32l4_optreg {
	uint16_t off;
	uint32_t reset, mask;
};

/* Register set of the controller: offsets of the registers that the key
 * and start logic use. */
struct sim_stm32l4_layout {
	uint16_t keyr, optkeyr, sr, cr;
	uint32_t sr_refused; /* flag set when option programming is refused */
};

static const struct sim_stm32l4_layout sim_stm32l4_layout_l4 = { 0x08, 0x0C, 0x10, 0x14, L4_SR_WRPERR };
static const struct sim_stm32l4_layout sim_stm32l4_layout_tz = { 0x08, 0x10, 0x20, 0x28, L4_SR_OPTWERR };

/* Option register masks are the field widths of each part's CMSIS header
 * (docs/targets/stm32l4.md, "simulator model"), read independently of the
 * driver's tables. Reset values: no PCROP/WRP area (start > end) and
 * PCROP_RDP = 1 (?: the RMs give "option byte loaded" values). Where a WRP
 * page field is narrower than a byte, the bits above it read 1, the value
 * of the erased option byte behind them (?: OpenOCD stm32l4x.c says some
 * parts read such bits as 1, some as 0; 1 is the harder case for a driver
 * that reads a wider field than the part has). */

/* L47x/L49x (stm32l476xx.h): PCROP 16 bits, WRP 8 bits, bank 2 copies. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_l4[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0xFFFFFFFFu, 0x0000FFFFu }, { 0x28, 0x80000000u, 0x8000FFFFu },
	{ 0x2C, 0x000000FFu, 0x00FF00FFu }, { 0x30, 0x000000FFu, 0x00FF00FFu },
	{ 0x44, 0xFFFFFFFFu, 0x0000FFFFu }, { 0x48, 0x00000000u, 0x0000FFFFu },
	{ 0x4C, 0x000000FFu, 0x00FF00FFu }, { 0x50, 0x000000FFu, 0x00FF00FFu },
};
/* L4R/L4S (stm32l4r5xx.h): PCROP 17 bits, WRP 8 bits. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_l4r[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0xFFFFFFFFu, 0x0001FFFFu }, { 0x28, 0x80000000u, 0x8001FFFFu },
	{ 0x2C, 0x000000FFu, 0x00FF00FFu }, { 0x30, 0x000000FFu, 0x00FF00FFu },
	{ 0x44, 0xFFFFFFFFu, 0x0001FFFFu }, { 0x48, 0x00000000u, 0x0001FFFFu },
	{ 0x4C, 0x000000FFu, 0x00FF00FFu }, { 0x50, 0x000000FFu, 0x00FF00FFu },
};
/* G47x/48x (stm32g474xx.h): PCROP 15 bits, WRP 7 bits. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_g4[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0xFFFFFFFFu, 0x00007FFFu }, { 0x28, 0x80000000u, 0x80007FFFu },
	{ 0x2C, 0xFF80FFFFu, 0x007F007Fu }, { 0x30, 0xFF80FFFFu, 0x007F007Fu },
	{ 0x44, 0xFFFFFFFFu, 0x00007FFFu }, { 0x48, 0x00000000u, 0x00007FFFu },
	{ 0x4C, 0xFF80FFFFu, 0x007F007Fu }, { 0x50, 0xFF80FFFFu, 0x007F007Fu },
};
/* G07x/08x (stm32g071xx.h): PCROP1ASR/AER, WRP1AR/BR, PCROP1BSR/BER;
 * PCROP 8 bits, WRP 6 bits. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_g0[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0x000000FFu, 0x000000FFu }, { 0x28, 0x80000000u, 0x800000FFu },
	{ 0x2C, 0xFFC0FFFFu, 0x003F003Fu }, { 0x30, 0xFFC0FFFFu, 0x003F003Fu },
	{ 0x34, 0x000000FFu, 0x000000FFu }, { 0x38, 0x00000000u, 0x000000FFu },
};
/* C031 (stm32c031xx.h): as G0 with PCROP 6 bits, WRP 4 bits. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_c0[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0x0000003Fu, 0x0000003Fu }, { 0x28, 0x80000000u, 0x8000003Fu },
	{ 0x2C, 0xFFF0FFFFu, 0x000F000Fu }, { 0x30, 0xFFF0FFFFu, 0x000F000Fu },
	{ 0x34, 0x0000003Fu, 0x0000003Fu }, { 0x38, 0x00000000u, 0x0000003Fu },
};
/* U0 (stm32u083xx.h): no PCROP, WRP1AR/BR with 16-bit page fields. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_u0[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x2C, 0x0000007Fu, 0xFFFFFFFFu }, { 0x30, 0x0000007Fu, 0xFFFFFFFFu },
};
/* WB5x (stm32wb55xx.h) and WB1x (stm32wb15xx.h): PCROP 9 bits, WRP 8
 * bits, plus SFR and SRRVR which belong to CPU2 and cannot be changed from
 * CPU1 or the debugger. SFR 0x...FF: no CPU2 secure area in the profiles
 * (?), so the whole flash is CPU1's. */
#define L4_OPT_WB_COMMON \
	{ 0x20, 0, 0xFFFFFFFFu }, \
	{ 0x24, 0x000001FFu, 0x000001FFu }, { 0x28, 0x80000000u, 0x800001FFu }, \
	{ 0x2C, 0x000000FFu, 0x00FF00FFu }, { 0x30, 0x000000FFu, 0x00FF00FFu }, \
	{ 0x34, 0x000001FFu, 0x000001FFu }, { 0x38, 0x00000000u, 0x000001FFu }
static const struct sim_stm32l4_optreg sim_stm32l4_opt_wb[] = {
	L4_OPT_WB_COMMON, { 0x80, 0xFFFFE0FFu, 0 }, { 0x84, 0x00000000u, 0 },
};
/* A WB whose FUS and wireless stack are installed: SFR.SFSA = 0xC0, FSD = 0,
 * so pages 0xC0.. (0x080C0000 up, 256 KB) are CPU2's secure area (RM0434
 * §3.3.3 (?): FUS places it; the value is a typical one for a BLE stack). */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_wb_fus[] = {
	L4_OPT_WB_COMMON, { 0x80, 0xFFFFE0C0u, 0 }, { 0x84, 0x00000000u, 0 },
};
/* A WB1x with its stack: SFSA = 0x70, pages of 2 KB, so CPU2's area starts
 * at 0x08038000 (224 KB) (?: a typical value, FUS places it). */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_wb1x_fus[] = {
	L4_OPT_WB_COMMON, { 0x80, 0xFFFFE070u, 0 }, { 0x84, 0x00000000u, 0 },
};
/* WLE5 (stm32wle5xx.h): PCROP 8 bits, WRP 7 bits; its FLASH_TypeDef ends at
 * PCROP1BER (0x38): no SFR or SRRVR, which only the dual-core WL5x has. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_wl[] = {
	{ 0x20, 0, 0xFFFFFFFFu },
	{ 0x24, 0x000000FFu, 0x000000FFu }, { 0x28, 0x80000000u, 0x800000FFu },
	{ 0x2C, 0xFF80FFFFu, 0x007F007Fu }, { 0x30, 0xFF80FFFFu, 0x007F007Fu },
	{ 0x34, 0x000000FFu, 0x000000FFu }, { 0x38, 0x00000000u, 0x000000FFu },
};
#define L4_SFR 0x80u
#define L4_SFR_FSD (1u << 8)   /* 1: no secure area */

/* L5/U5 (RM0438, RM0456): boot addresses, secure watermarks, WRP of both
 * banks. Reset values: no secure area (start > end), no WRP (?). Field
 * widths: 7 bits on L5 (stm32l552xx.h) and U575/585 (stm32u585xx.h), 8 on
 * U59x/5Ax/5Fx/5Gx (stm32u5a5xx.h); WRPxyR bit 31 is UNLOCK on U5 only. */
static const struct sim_stm32l4_optreg sim_stm32l4_opt_l5[] = {
	{ 0x40, 0, 0xFFFFFFFFu },
	{ 0x44, 0x0800007Fu, 0xFFFFFF80u }, { 0x48, 0x0BF9007Fu, 0xFFFFFF80u },
	{ 0x4C, 0x0C00007Cu, 0xFFFFFF81u },
	{ 0x50, 0x0000007Fu, 0x007F007Fu }, { 0x54, 0x0000007Fu, 0x807F0000u },
	{ 0x58, 0x0000007Fu, 0x007F007Fu }, { 0x5C, 0x0000007Fu, 0x007F007Fu },
	{ 0x60, 0x0000007Fu, 0x007F007Fu }, { 0x64, 0x0000007Fu, 0x807F0000u },
	{ 0x68, 0x0000007Fu, 0x007F007Fu }, { 0x6C, 0x0000007Fu, 0x007F007Fu },
};
static const struct sim_stm32l4_optreg sim_stm32l4_opt_u5[] = {
	{ 0x40, 0, 0xFFFFFFFFu },
	{ 0x44, 0x0800007Fu, 0xFFFFFF80u }, { 0x48, 0x0BF9007Fu, 0xFFFFFF80u },
	{ 0x4C, 0x0C00007Cu, 0xFFFFFF81u },
	{ 0x50, 0x0000007Fu, 0x007F007Fu }, { 0x54, 0x0000007Fu, 0x807F0000u },
	{ 0x58, 0x0000007Fu, 0x807F007Fu }, { 0x5C, 0x0000007Fu, 0x807F007Fu },
	{ 0x60, 0x0000007Fu, 0x007F007Fu }, { 0x64, 0x0000007Fu, 0x807F0000u },
	{ 0x68, 0x0000007Fu, 0x807F007Fu }, { 0x6C, 0x0000007Fu, 0x807F007Fu },
};
static const struct sim_stm32l4_optreg sim_stm32l4_opt_u5_4m[] = {
	{ 0x40, 0, 0xFFFFFFFFu },
	{ 0x44, 0x0800007Fu, 0xFFFFFF80u }, { 0x48, 0x0BF9007Fu, 0xFFFFFF80u },
	{ 0x4C, 0x0C00007Cu, 0xFFFFFF81u },
	{ 0x50, 0x000000FFu, 0x00FF00FFu }, { 0x54, 0x000000FFu, 0x80FF0000u },
	{ 0x58, 0x000000FFu, 0x80FF00FFu }, { 0x5C, 0x000000FFu, 0x80FF00FFu },
	{ 0x60, 0x000000FFu, 0x00FF00FFu }, { 0x64, 0x000000FFu, 0x80FF0000u },
	{ 0x68, 0x000000FFu, 0x80FF00FFu }, { 0x6C, 0x000000FFu, 0x80FF00FFu },
};

#define L4_OPTS(t) (t), (sizeof(t) / sizeof((t)[0]))

struct sim_stm32l4_part {
	struct sim_part_id id;
	uint16_t dev_id, rev_id;   /* REV_ID: a typical revision (?) */
	const struct sim_stm32l4_layout *lay;
	bool tz;                   /* L5/U5: level 0.5, TZEN */
	bool oem1_locked;          /* U5/U0 with an OEM1 key provisioned */
	bool oem_keys_u0;          /* U0: OEM key registers and FLASH_OEMKEYSR */
	bool cpu2_secure;          /* WB: flash from SFR.SFSA up is CPU2's */
	uint32_t sfsa_page;        /* WB: bytes per SFR.SFSA step (the page size) */
	uint32_t bank2_at;         /* G47x below 512 KB: bank 2's offset (a hole after bank 1); 0: none */
	uint32_t if_base;          /* flash interface registers */
	uint32_t dbgmcu;           /* DBGMCU_IDCODE address */
	uint32_t flash_kb, sram_kb;
	uint32_t sram2_base, sram2_kb; /* SRAM2 (L4/WB/WL/L5/U5) or CCM (G4): protected, erased */
	uint32_t bkp_base;         /* RTC_BKP0R or TAMP_BKP0R */
	unsigned bkp_regs;
	uint32_t fsize_addr, uid_base;
	uint32_t ob_base;          /* option bytes in the information block; 0: not mapped */
	const struct sim_stm32l4_optreg *opt;
	size_t n_opt;
	uint32_t optr_reset;       /* OPTR of a new chip; the profile sets the RDP byte */
	uint32_t busy_extra;       /* SR bits set with BSY: CFGBSY, BSY2 */
	double mass_erase_ms;
	struct sim_cortexm_desc core;
	uint32_t dpidr, ap_idr;
	unsigned dp_version;
};

#define L4_CORE_M4(dev) { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, dev, 0x020 }
#define L4_CORE_M0P(dev) { SIM_CORTEX_M0PLUS, 0x410CC601u, false, 0, 0, 0, dev, 0x020 }
#define L4_CORE_M33(dev) { SIM_CORTEX_M33, 0x410FD214u, true, 0x10110021u, 0x11000011u, 0x00000040u, dev, 0x020 }
#define L4_DBG_CM 0xE0042000u
#define L4_DBG_M0 0x40015800u
#define L4_DBG_M33 0xE0044000u

/* Mass erase times: "as high as 25 ms" per bank (OpenOCD stm32l4x.c from the
 * L476 datasheet), taken for every part and bank (?). DPIDR/AP IDR values
 * from OpenOCD's target configs (stm32l4x.cfg, stm32g0x.cfg, stm32wbx.cfg,
 * stm32l5x.cfg, ...); AP IDRs of the M0+ and M33 parts (?). */
static const struct sim_stm32l4_part sim_stm32l4_parts[] = {
	{
		.id.name = "stm32l476rg", .id.summary = "STM32L476RG, Cortex-M4F, 1 MB dual-bank flash, 96+32 KB SRAM",
		.dev_id = 0x415, .rev_id = 0x1007, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 1024, .sram_kb = 96, .sram2_base = 0x10000000u,
		.sram2_kb = 32, .bkp_base = 0x40002850u, .bkp_regs = 32, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_l4), .optr_reset = 0xFFEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M4(0x415),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		.id.name = "stm32l4r5zi", .id.summary = "STM32L4R5ZI, Cortex-M4F, 2 MB dual-bank flash, 192+64 KB SRAM",
		.dev_id = 0x470, .rev_id = 0x1001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 2048, .sram_kb = 192, .sram2_base = 0x10000000u,
		.sram2_kb = 64, .bkp_base = 0x40002850u, .bkp_regs = 32, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_l4r), .optr_reset = 0xFFEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M4(0x470),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0440: DBANK (bit 22) = 1, CCM SRAM at 0x10000000 (erased (?)) */
		.id.name = "stm32g474re", .id.summary = "STM32G474RE, Cortex-M4F, 512 KB dual-bank flash, 96 KB SRAM + 32 KB CCM",
		.dev_id = 0x469, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 512, .sram_kb = 96, .sram2_base = 0x10000000u,
		.sram2_kb = 32, .bkp_base = 0x40002500u, .bkp_regs = 32, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_g4), .optr_reset = 0xFFEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M4(0x469),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* A G47x with 256 KB in dual-bank mode (DBANK = 1, as shipped):
		 * bank 1 0x08000000-0x0801FFFF, a hole, bank 2 from 0x08040000
		 * where the 512 KB parts have it (OpenOCD stm32l4x.c "dual bank
		 * WITH gap"; RM0440 §3.3.1 (?)). Reads of the hole fault (?).
		 * DBANK changed by software does not move the banks here (?). */
		.id.name = "stm32g473cc", .id.summary = "STM32G473CC, Cortex-M4F, 256 KB dual-bank flash (bank 2 at 0x08040000), 96 KB SRAM + 32 KB CCM",
		.dev_id = 0x469, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 256, .sram_kb = 96, .sram2_base = 0x10000000u,
		.sram2_kb = 32, .bkp_base = 0x40002500u, .bkp_regs = 32, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u, .bank2_at = 0x40000u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_g4), .optr_reset = 0xFFEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M4(0x469),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .dp_version = 1,
	},
	{
		/* RM0444: OPTR reset 0xFFFFFEAA (?), TAMP_BKP0R 0x4000B100 */
		.id.name = "stm32g071rb", .id.summary = "STM32G071RB, Cortex-M0+, 128 KB flash, 36 KB SRAM",
		.dev_id = 0x460, .rev_id = 0x1000, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_M0, .flash_kb = 128, .sram_kb = 36, .bkp_base = 0x4000B100u,
		.bkp_regs = 5, .fsize_addr = 0x1FFF75E0u, .uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_g0), .optr_reset = 0xFFFFFEAAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M0P(0x460),
		.dpidr = 0x0BC11477u, .ap_idr = 0x04770031u, .dp_version = 1,
	},
	{
		/* RM0490: F_SIZE at 0x1FFF75A0; no backup registers modelled (?) */
		.id.name = "stm32c031c6", .id.summary = "STM32C031C6, Cortex-M0+, 32 KB flash, 12 KB SRAM",
		.dev_id = 0x453, .rev_id = 0x1001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_M0, .flash_kb = 32, .sram_kb = 12, .fsize_addr = 0x1FFF75A0u,
		.uid_base = 0x1FFF7550u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_c0), .optr_reset = 0xFFFFFEAAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M0P(0x453),
		.dpidr = 0x0BC11477u, .ap_idr = 0x04770031u, .dp_version = 1,
	},
	{
		/* RM0503: F_SIZE 0x1FFF6EA0, TAMP_BKP0R 0x4000B100 (?), 9 registers (?) */
		.id.name = "stm32u083rc", .id.summary = "STM32U083RC, Cortex-M0+, 256 KB flash, 40 KB SRAM",
		.dev_id = 0x489, .rev_id = 0x1000, .lay = &sim_stm32l4_layout_l4, .oem_keys_u0 = true,
		.if_base = 0x40022000u,
		.dbgmcu = L4_DBG_M0, .flash_kb = 256, .sram_kb = 40, .bkp_base = 0x4000B100u,
		.bkp_regs = 9, .fsize_addr = 0x1FFF6EA0u, .uid_base = 0x1FFF6E50u,
		.opt = L4_OPTS(sim_stm32l4_opt_u0), .optr_reset = 0xFFFFFEAAu, .busy_extra = L4_SR_CFGBSY,
		.mass_erase_ms = 25.0, .core = L4_CORE_M0P(0x489),
		.dpidr = 0x6BA02477u, .ap_idr = 0x04770031u, .dp_version = 2,
	},
	{
		/* The same chip with an OEM1 key provisioned (RM0503 §3.5.1):
		 * SR.OEM1LOCK = 1, OEMKEYSR holds the key's CRC, and a regression
		 * from level 1 is refused (the layout's WRPERR (?: the manual's
		 * flag for it is not in our sources)) until the key is presented
		 * through the debug mailbox, which is not modelled. */
		.id.name = "stm32u083rc-oem1", .id.summary = "STM32U083RC with an OEM1 key provisioned (SR.OEM1LOCK = 1)",
		.dev_id = 0x489, .rev_id = 0x1000, .lay = &sim_stm32l4_layout_l4, .oem_keys_u0 = true,
		.oem1_locked = true, .if_base = 0x40022000u,
		.dbgmcu = L4_DBG_M0, .flash_kb = 256, .sram_kb = 40, .bkp_base = 0x4000B100u,
		.bkp_regs = 9, .fsize_addr = 0x1FFF6EA0u, .uid_base = 0x1FFF6E50u,
		.opt = L4_OPTS(sim_stm32l4_opt_u0), .optr_reset = 0xFFFFFEAAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M0P(0x489),
		.dpidr = 0x6BA02477u, .ap_idr = 0x04770031u, .dp_version = 2,
	},
	{
		/* RM0434: flash registers at 0x58004000, SRAM2a/2b at 0x20030000;
		 * option bytes at 0x1FFF8000 (?: as Flipper Zero's WB55 scripts
		 * use them; the other parts' 0x1FFF7800 per RM0351/RM0444/RM0453) */
		.id.name = "stm32wb55rg", .id.summary = "STM32WB55RG, Cortex-M4F (+ CPU2 M0+), 1 MB flash, 192+64 KB SRAM",
		.dev_id = 0x495, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x58004000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 1024, .sram_kb = 192, .sram2_base = 0x20030000u,
		.sram2_kb = 64, .bkp_base = 0x40002850u, .bkp_regs = 20, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF8000u, .opt = L4_OPTS(sim_stm32l4_opt_wb), .optr_reset = 0x3FFFF1AAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M4(0x495),
		.dpidr = 0x6BA02477u, .ap_idr = 0x24770011u, .dp_version = 2,
	},
	{
		/* The same chip with FUS and a wireless stack installed: the flash
		 * from SFSA up belongs to CPU2; the debugger's reads of it fault and
		 * the regression erase spares it (?: an ST employee on the ST
		 * community forum: "All option bytes managed by CPU2 remain
		 * inaccessible"; the erase scope is not confirmed in RM0434 text
		 * we have). */
		.id.name = "stm32wb55rg-fus", .id.summary = "STM32WB55RG with FUS + wireless stack (CPU2 secure area from 0x080C0000)",
		.dev_id = 0x495, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_l4, .cpu2_secure = true,
		.sfsa_page = 4096, .if_base = 0x58004000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 1024, .sram_kb = 192, .sram2_base = 0x20030000u,
		.sram2_kb = 64, .bkp_base = 0x40002850u, .bkp_regs = 20, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u, .opt = L4_OPTS(sim_stm32l4_opt_wb_fus), .optr_reset = 0x3FFFF1AAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M4(0x495),
		.dpidr = 0x6BA02477u, .ap_idr = 0x24770011u, .dp_version = 2,
	},
	{
		/* RM0473 (WB1x): 320 KB of 2 KB pages (FLASH_PAGE_SIZE of
		 * stm32wbxx_hal_flash.h), option bytes at 0x1FFF7800
		 * (OPTION_BYTE_BASE, stm32wb15xx.h), SRAM2a + SRAM2b from
		 * 0x20030000 (32 + 4 KB) */
		.id.name = "stm32wb15cc", .id.summary = "STM32WB15CC, Cortex-M4 (+ CPU2 M0+), 320 KB flash (2 KB pages), 12+36 KB SRAM",
		.dev_id = 0x494, .rev_id = 0x2000, .lay = &sim_stm32l4_layout_l4, .if_base = 0x58004000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 320, .sram_kb = 12, .sram2_base = 0x20030000u,
		.sram2_kb = 36, .bkp_base = 0x40002850u, .bkp_regs = 20, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_wb), .optr_reset = 0x3FFFF1AAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M4(0x494),
		.dpidr = 0x6BA02477u, .ap_idr = 0x24770011u, .dp_version = 2,
	},
	{
		/* The same with FUS and a stack: SFSA = 0x70 in pages of 2 KB,
		 * CPU2's area from 0x08038000 (at 4 KB pages it would lie past
		 * the end of the flash). */
		.id.name = "stm32wb15cc-fus", .id.summary = "STM32WB15CC with FUS + wireless stack (CPU2 secure area from 0x08038000)",
		.dev_id = 0x494, .rev_id = 0x2000, .lay = &sim_stm32l4_layout_l4, .cpu2_secure = true,
		.sfsa_page = 2048, .if_base = 0x58004000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 320, .sram_kb = 12, .sram2_base = 0x20030000u,
		.sram2_kb = 36, .bkp_base = 0x40002850u, .bkp_regs = 20, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_wb1x_fus), .optr_reset = 0x3FFFF1AAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0, .core = L4_CORE_M4(0x494),
		.dpidr = 0x6BA02477u, .ap_idr = 0x24770011u, .dp_version = 2,
	},
	{
		/* RM0453: flash registers at 0x58004000, SRAM2 at 0x20008000 */
		.id.name = "stm32wle5jc", .id.summary = "STM32WLE5JC, Cortex-M4, 256 KB flash, 32+32 KB SRAM",
		.dev_id = 0x497, .rev_id = 0x1001, .lay = &sim_stm32l4_layout_l4, .if_base = 0x58004000u,
		.dbgmcu = L4_DBG_CM, .flash_kb = 256, .sram_kb = 32, .sram2_base = 0x20008000u,
		.sram2_kb = 32, .bkp_base = 0x4000B100u, .bkp_regs = 20, .fsize_addr = 0x1FFF75E0u,
		.uid_base = 0x1FFF7590u,
		.ob_base = 0x1FFF7800u, .opt = L4_OPTS(sim_stm32l4_opt_wl), .optr_reset = 0x3FFFF0AAu,
		.busy_extra = L4_SR_CFGBSY, .mass_erase_ms = 25.0,
		.core = { SIM_CORTEX_M4, 0x410FC241u, false, 0, 0, 0, 0x497, 0x020 },
		.dpidr = 0x6BA02477u, .ap_idr = 0x24770011u, .dp_version = 2,
	},
	{
		/* RM0438: TZEN = 0 as shipped; SRAM2 at 0x20030000; TAMP_BKP0R
		 * 0x40003500 (?). L5/U5: no option page mapped for the debugger
		 * (?: RM0438/RM0456 describe the options only through their
		 * registers), so ob_base stays 0. */
		.id.name = "stm32l552ze", .id.summary = "STM32L552ZE, Cortex-M33, 512 KB dual-bank flash, 192+64 KB SRAM, TrustZone",
		.dev_id = 0x472, .rev_id = 0x1001, .lay = &sim_stm32l4_layout_tz, .tz = true,
		.if_base = 0x40022000u, .dbgmcu = L4_DBG_M33, .flash_kb = 512, .sram_kb = 192,
		.sram2_base = 0x20030000u, .sram2_kb = 64, .bkp_base = 0x40003500u, .bkp_regs = 32,
		.fsize_addr = 0x0BFA05E0u, .uid_base = 0x0BFA0590u, .opt = L4_OPTS(sim_stm32l4_opt_l5),
		.optr_reset = 0x7FEFF8AAu, .mass_erase_ms = 50.0, .core = L4_CORE_M33(0x472),
		.dpidr = 0x0BE12477u, .ap_idr = 0x14770015u, .dp_version = 2,
	},
	{
		/* RM0456: 2 MB dual bank; TAMP_BKP0R 0x46007D00 (?) is not modelled */
		.id.name = "stm32u585ai", .id.summary = "STM32U585AI, Cortex-M33, 2 MB dual-bank flash, 768 KB SRAM, TrustZone",
		.dev_id = 0x482, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_tz, .tz = true,
		.if_base = 0x40022000u, .dbgmcu = L4_DBG_M33, .flash_kb = 2048, .sram_kb = 192,
		.sram2_base = 0x20030000u, .sram2_kb = 64, .fsize_addr = 0x0BFA07A0u,
		.uid_base = 0x0BFA0700u, .opt = L4_OPTS(sim_stm32l4_opt_u5), .optr_reset = 0x7FEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M33(0x482),
		.dpidr = 0x0BE12477u, .ap_idr = 0x14770015u, .dp_version = 2,
	},
	{
		/* The same chip with an OEM1 key provisioned: NSSR.OEM1LOCK = 1 and
		 * a regression from level 1 is refused until the key is presented
		 * through the debug mailbox (not modelled) (RM0456 §7.6.2 (?)). */
		.id.name = "stm32u585ai-oem1", .id.summary = "STM32U585AI with an OEM1 key provisioned (NSSR.OEM1LOCK = 1)",
		.dev_id = 0x482, .rev_id = 0x2001, .lay = &sim_stm32l4_layout_tz,
		.tz = true, .oem1_locked = true,
		.if_base = 0x40022000u, .dbgmcu = L4_DBG_M33, .flash_kb = 2048, .sram_kb = 192,
		.sram2_base = 0x20030000u, .sram2_kb = 64, .fsize_addr = 0x0BFA07A0u,
		.uid_base = 0x0BFA0700u, .opt = L4_OPTS(sim_stm32l4_opt_u5), .optr_reset = 0x7FEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M33(0x482),
		.dpidr = 0x0BE12477u, .ap_idr = 0x14770015u, .dp_version = 2,
	},
	{
		/* RM0456: 4 MB dual bank of 8 KB pages, 256 per bank, so the
		 * WRP and watermark page fields are 8 bits (stm32u5a5xx.h);
		 * SRAM2 at 0x200C0000 */
		.id.name = "stm32u5a5zj", .id.summary = "STM32U5A5ZJ, Cortex-M33, 4 MB dual-bank flash, 192+64 KB SRAM modelled, TrustZone",
		.dev_id = 0x481, .rev_id = 0x3001, .lay = &sim_stm32l4_layout_tz, .tz = true,
		.if_base = 0x40022000u, .dbgmcu = L4_DBG_M33, .flash_kb = 4096, .sram_kb = 192,
		.sram2_base = 0x200C0000u, .sram2_kb = 64, .fsize_addr = 0x0BFA07A0u,
		.uid_base = 0x0BFA0700u, .opt = L4_OPTS(sim_stm32l4_opt_u5_4m), .optr_reset = 0x7FEFF8AAu,
		.mass_erase_ms = 50.0, .core = L4_CORE_M33(0x481),
		.dpidr = 0x0BE12477u, .ap_idr = 0x14770015u, .dp_version = 2,
	},
};

#define L4_NPARTS (sizeof(sim_stm32l4_parts) / sizeof(sim_stm32l4_parts[0]))

struct sim_stm32l4_chip {
	const struct sim_stm32l4_part *part;
	uint8_t *flash, *sram, *sram2;
	uint32_t bkpr[32];
	uint32_t dbgmcu_cr;
	/* flash interface */
	uint32_t acr, sr, cr;
	enum sim_mech_key key, optkey;
	/* option registers: what software sees/writes, what the option page
	 * holds, what the last option load put in force */
	uint32_t reg[L4_MAX_OPTREGS], stored[L4_MAX_OPTREGS], loaded[L4_MAX_OPTREGS];
	/* operation in progress */
	bool busy, op_regress;
	uint64_t busy_until_ns;
	uint32_t op_val[L4_MAX_OPTREGS];
	/* RM0351 §3.5.1: protection changed with the debugger attached; flash
	 * stays closed to the debugger until a power-on reset. */
	bool por_needed;
	/* The option page was being rewritten when power went: its words and
	 * their complements mismatch until the next complete programming. */
	bool opt_invalid;
};

static struct sim_stm32l4_chip *sim_stm32l4_of(struct sim_chip *c)
{
	return c->priv;
}

/* RDP byte -> level: 0, 1, 2, or 5 for 0.5 (0x55 with TZEN = 1 only). */
static int sim_stm32l4_level_of(const struct sim_stm32l4_part *p, uint32_t optr)
{
	uint8_t rdp = optr & 0xFF;

	if (rdp == L4_RDP_LEVEL0)
		return 0;
	if (rdp == L4_RDP_LEVEL2)
		return 2;
	if (p->tz && rdp == L4_RDP_LEVEL05 && (optr & L4_OPTR_TZEN))
		return 5;
	return 1; /* anything else, including an erased byte, is level 1 */
}

static bool sim_stm32l4_part_has_level_half(size_t i)
{
	return i < L4_NPARTS && sim_stm32l4_parts[i].tz;
}

static void sim_stm32l4_destroy(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	if (!f)
		return;
	free(f->flash);
	free(f->sram);
	free(f->sram2);
	free(f);
	c->priv = NULL;
}

static int sim_stm32l4_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_stm32l4_part *p;
	struct sim_stm32l4_chip *f;

	if (part >= L4_NPARTS)
		return -ENOENT;
	p = &sim_stm32l4_parts[part];
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	c->priv = f;
	f->part = p;
	f->flash = malloc(p->flash_kb * 1024u);
	f->sram = calloc(1, p->sram_kb * 1024u);
	f->sram2 = p->sram2_kb ? malloc(p->sram2_kb * 1024u) : NULL;
	if (!f->flash || !f->sram || (p->sram2_kb && !f->sram2)) {
		sim_stm32l4_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(f->flash, f->part->flash_kb * 1024u, L4_SRAM_BASE + f->part->sram_kb * 1024u,
			      L4_FLASH_BASE + 0x1C1u);
	if (f->sram2)
		memset(f->sram2, 0x5A, p->sram2_kb * 1024u);
	for (size_t i = 0; i < p->n_opt; i++)
		f->stored[i] = p->opt[i].reset;
	f->stored[0] = (p->optr_reset & ~0xFFu) | rdp;
	/* Level 0.5 exists only with TrustZone on: its profile has TZEN = 1. */
	if (p->tz && rdp == L4_RDP_LEVEL05)
		f->stored[0] |= L4_OPTR_TZEN;
	for (unsigned i = 0; i < p->bkp_regs; i++)
		f->bkpr[i] = 0xB4C40000u | i;
	c->dpidr = p->dpidr;
	c->ap_idr = p->ap_idr;
	c->dp_version = p->dp_version;
	c->targetid = ((uint32_t)p->dev_id << 16) | (0x020u << 1) | 1u; /* DPv2 TARGETID (?) */
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* Option registers read back the loaded options outside a programming
 * sequence (RM0444: "a read from the option registers still returns the
 * last loaded option byte values" after BSY clears) (?). */
static void sim_stm32l4_show_loaded(struct sim_stm32l4_chip *f)
{
	memcpy(f->reg, f->loaded, sizeof(f->reg));
}

/* Complete the option programming: the page holds the new values; a
 * regression also erased flash (both banks), SRAM2/CCM and the backup
 * registers (RM0432 fig. 6, RM0444 table 18, RM0351 §3.5.1); OTP is kept.
 * PCROP_RDP = 0 with a PCROP area would spare that area: no profile has a
 * PCROP area, so that partial erase is not modelled. */
/* Offset in flash where CPU2's secure area starts (WB: SFSA pages of 4 KB
 * unless FSD), or the flash size when there is none. */
static uint32_t sim_stm32l4_cpu2_start(const struct sim_stm32l4_chip *f)
{
	const struct sim_stm32l4_part *p = f->part;
	uint32_t size = p->flash_kb * 1024u, sfr = 0, start;

	if (!p->cpu2_secure)
		return size;
	for (size_t i = 0; i < p->n_opt; i++)
		if (p->opt[i].off == L4_SFR)
			sfr = f->loaded[i];
	if (sfr & L4_SFR_FSD)
		return size;
	start = (sfr & 0xFFu) * p->sfsa_page;
	return start < size ? start : size;
}

static void sim_stm32l4_finish(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;

	if (!f->busy)
		return;
	memcpy(f->stored, f->op_val, sizeof(f->stored));
	if (f->op_regress) {
		memset(f->flash, 0xFF, sim_stm32l4_cpu2_start(f)); /* CPU2's area is spared */
		if (f->sram2)
			memset(f->sram2, 0, p->sram2_kb * 1024u);
		memset(f->bkpr, 0, sizeof(f->bkpr));
		c->counters->mass_erases++;
		if (c->debugger_attached)
			f->por_needed = true;
	}
	f->busy = false;
	f->op_regress = false;
	f->opt_invalid = false; /* the page holds words and complements again */
	f->sr &= ~(L4_SR_BSY | p->busy_extra);
	f->cr &= ~L4_CR_OPTSTRT;
	if (f->cr & L4_CR_EOPIE)
		f->sr |= L4_SR_EOP;
	sim_stm32l4_show_loaded(f);
}

static void sim_stm32l4_tick(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	if (sim_chip_op_due(c, f->busy, f->busy_until_ns))
		sim_stm32l4_finish(c);
}

/* OPTSTRT. Refusals (the flag of the layout, option page unchanged):
 * level 2 in force (its options "can no longer be changed"); on L5/U5,
 * TZEN 1 -> 0 without a regression to level 0 (RM0438 §6.4), and with an
 * OEM1 key any regression from level 1 (RM0456, RM0503) (?: the manuals name
 * OPTWERR for invalid option changes). */
static void sim_stm32l4_option_start(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;
	int cur = sim_stm32l4_level_of(p, f->loaded[0]), nxt;
	bool tz_off;

	for (size_t i = 0; i < p->n_opt; i++)
		f->op_val[i] = (f->stored[i] & ~p->opt[i].mask) | (f->reg[i] & p->opt[i].mask);
	nxt = sim_stm32l4_level_of(p, f->op_val[0]);
	tz_off = p->tz && (f->loaded[0] & L4_OPTR_TZEN) && !(f->op_val[0] & L4_OPTR_TZEN);
	if (cur == 2 || (tz_off && !(cur != 0 && nxt == 0)) ||
	    (p->oem1_locked && cur == 1 && (nxt == 0 || nxt == 5))) {
		f->sr |= p->lay->sr_refused;
		f->cr &= ~L4_CR_OPTSTRT;
		sim_stm32l4_show_loaded(f);
		return;
	}
	/* Any step down to level 0 (from 1, or from 0.5) erases; 1 -> 0.5
	 * erases only the non-secure part on silicon (?): modelled as all. */
	f->op_regress = (cur == 1 && (nxt == 0 || nxt == 5)) || (cur == 5 && nxt == 0);
	f->busy = true;
	f->sr |= L4_SR_BSY | p->busy_extra;
	f->busy_until_ns = sim_chip_deadline_ns(c, f->op_regress ? p->mass_erase_ms : L4_OPT_PROGRAM_MS);
	sim_chip_option_started(c);
}

/* Power lost while OPTSTRT runs (sim_probe_power_fail_at_option_start):
 * "a reset or power loss during option programming can leave mismatched
 * option bytes" (RM0444 §3.4.2 caution). At the next load a word whose
 * complement mismatches sets OPTVERR (RM0351 §3.4.2, FLASH_SR.OPTVERR:
 * "set again after each system reset" while the options are not valid)
 * and RDP is loaded as level 1 (?: the manuals say "default"/secure
 * value; 0xFF with the reset user bits is modelled). A regression had
 * begun: half the flash reads erased (?), no mass erase is counted. */
static void sim_stm32l4_option_power_loss(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	if (!f->busy)
		return;
	if (f->op_regress)
		memset(f->flash, 0xFF, f->part->flash_kb * 1024u / 2);
	f->opt_invalid = true;
	f->busy = false;
	f->op_regress = false;
	f->sr &= ~(L4_SR_BSY | f->part->busy_extra);
	f->cr &= ~L4_CR_OPTSTRT;
}

static int sim_stm32l4_optreg_index(const struct sim_stm32l4_part *p, uint32_t off)
{
	for (size_t i = 0; i < p->n_opt; i++)
		if (p->opt[i].off == off)
			return (int)i;
	return -1;
}

static uint32_t sim_stm32l4_if_read(struct sim_stm32l4_chip *f, uint32_t off)
{
	const struct sim_stm32l4_part *p = f->part;
	int i;

	if (off == 0x00)
		return f->acr;
	if (off == p->lay->sr)
		return f->sr | (!p->oem1_locked ? 0 : p->oem_keys_u0 ? L4_SR_U0_OEM1LOCK : L4_SR_OEM1LOCK);
	if (p->oem_keys_u0 && off == L4_U0_OEMKEYSR)
		return p->oem1_locked ? L4_U0_OEM1_CRC : 0;
	if (off == p->lay->cr)
		return f->cr;
	i = sim_stm32l4_optreg_index(p, off);
	return i >= 0 ? f->reg[i] : 0; /* key registers are write-only */
}

/* CR (RM0351 §3.7.5): write-protected while LOCK; LOCK set by software sets
 * OPTLOCK too; OPTLOCK is cleared only by the option keys; OPTSTRT and
 * OBL_LAUNCH act only with OPTLOCK clear. OBL_LAUNCH reloads the options
 * through a system reset, which cuts the write's own ACK short: FAULT (?). */
static int sim_stm32l4_cr_write(struct sim_chip *c, uint32_t v)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	uint32_t old = f->cr;

	if ((old & L4_CR_LOCK) || f->busy)
		return 0;
	f->cr = (v & L4_CR_WRITABLE & ~(L4_CR_OPTSTRT | L4_CR_OBL_LAUNCH)) | (old & L4_CR_OPTLOCK);
	if (f->cr & L4_CR_LOCK) {
		f->cr |= L4_CR_OPTLOCK;
		f->key = SIM_MECH_KEY_EXPECT1;
	}
	if (f->cr & L4_CR_OPTLOCK)
		f->optkey = SIM_MECH_KEY_EXPECT1;
	if ((v & L4_CR_OBL_LAUNCH) && !(old & L4_CR_OPTLOCK)) {
		sim_chip_system_reset(c);
		return -EFAULT;
	}
	if ((v & L4_CR_OPTSTRT) && !(old & L4_CR_OPTLOCK)) {
		f->cr |= L4_CR_OPTSTRT;
		sim_stm32l4_option_start(c);
	}
	return 0;
}

static int sim_stm32l4_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;
	bool locked;
	int i, rc;

	if (off == 0x00) {
		f->acr = v & 0x7FFFu;
		return 0;
	}
	/* KEY1 then KEY2 unlocks; a wrong value, or a key written to an
	 * unlocked register, locks it until the next reset with a bus error
	 * (RM0444 and RM0453, FLASH_KEYR and FLASH_OPTKEYR). */
	if (off == p->lay->keyr) {
		locked = f->cr & L4_CR_LOCK;
		rc = sim_mech_key_unlock(&f->key, &locked, L4_KEY1, L4_KEY2, v);
		f->cr = locked ? (f->cr | L4_CR_LOCK | L4_CR_OPTLOCK) : (f->cr & ~L4_CR_LOCK);
		return rc;
	}
	if (off == p->lay->optkeyr) {
		/* Only after LOCK is clear (RM0444, FLASH_OPTKEYR): otherwise a wrong
		 * sequence, and the option lock stays until reset (?). */
		if (f->cr & L4_CR_LOCK) {
			f->optkey = SIM_MECH_KEY_DEAD;
			return -EFAULT;
		}
		locked = f->cr & L4_CR_OPTLOCK;
		rc = sim_mech_key_unlock(&f->optkey, &locked, L4_OPTKEY1, L4_OPTKEY2, v);
		f->cr = locked ? (f->cr | L4_CR_OPTLOCK) : (f->cr & ~L4_CR_OPTLOCK);
		return rc;
	}
	if (off == p->lay->sr) {
		uint32_t w1c = p->tz ? L4_SR_W1C_TZ : p->oem_keys_u0 ? L4_SR_W1C_U0 : L4_SR_W1C;

		if (v & ~w1c)
			c->counters->reserved_writes++;
		f->sr &= ~(v & w1c);
		return 0;
	}
	if (off == p->lay->cr)
		return sim_stm32l4_cr_write(c, v);
	i = sim_stm32l4_optreg_index(p, off);
	/* Option registers are write-protected while OPTLOCK (RM0351 §3.7.8). */
	if (i >= 0 && !(f->cr & L4_CR_OPTLOCK) && !f->busy)
		f->reg[i] = (f->reg[i] & ~p->opt[i].mask) | (v & p->opt[i].mask);
	return 0;
}

/* RAM-like regions; *PROTECTED for those closed to the debugger at level 1. */
static uint8_t *sim_stm32l4_ram_at(struct sim_stm32l4_chip *f, uint32_t addr, unsigned size, bool *protected,
				   bool *is_flash)
{
	const struct sim_stm32l4_part *p = f->part;

	uint32_t bank1 = p->bank2_at ? p->flash_kb * 512u : p->flash_kb * 1024u;

	*protected = *is_flash = false;
	if (sim_mech_in(addr, size, L4_FLASH_BASE, bank1)) {
		*protected = *is_flash = true;
		return f->flash + (addr - L4_FLASH_BASE);
	}
	if (p->bank2_at && sim_mech_in(addr, size, L4_FLASH_BASE + p->bank2_at, bank1)) {
		*protected = *is_flash = true;
		return f->flash + bank1 + (addr - L4_FLASH_BASE - p->bank2_at);
	}
	if (p->sram2_kb && sim_mech_in(addr, size, p->sram2_base, p->sram2_kb * 1024u)) {
		*protected = true; /* RM0351 §3.5.1: SRAM2 as flash at level 1 */
		return f->sram2 + (addr - p->sram2_base);
	}
	if (sim_mech_in(addr, size, L4_SRAM_BASE, p->sram_kb * 1024u))
		return f->sram + (addr - L4_SRAM_BASE);
	return NULL;
}

/* Flash closed to the debugger: level 1 with a debugger attached, or the
 * power-on reset still owed after a change made with it attached. Level
 * 0.5 keeps non-secure flash open; no secure watermark area is modelled. */
static bool sim_stm32l4_closed(struct sim_chip *c, bool debugger)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	int lvl = sim_stm32l4_level_of(f->part, f->loaded[0]);

	return debugger && c->debugger_attached && (lvl == 1 || lvl == 2 || f->por_needed);
}

/* The option page (RM0351 §3.4.1 "Option bytes organization", RM0444
 * §3.4.1): one double word per option register of bank 1, the value in the
 * low word and its complement in the high one, OPTR first, so the register
 * at offset 0x20 + 4n sits at OB_BASE + 8n. It shows what the page holds
 * (stored), not what was loaded, and the debugger may read it at level 1
 * (RM0432 table 16 and RM0351 table "Access status versus protection
 * level": option bytes, debug, level 1: read yes). Words with no register
 * here (bank 2, CPU2's) read erased (?). A page cut short by a power loss
 * has mismatching complements (?: modelled as an erased complement). */
static bool sim_stm32l4_ob_byte(struct sim_stm32l4_chip *f, uint32_t a, uint8_t *b)
{
	const struct sim_stm32l4_part *p = f->part;
	uint32_t o, w = 0xFFFFFFFFu;
	int i;

	if (!p->ob_base || a < p->ob_base || a >= p->ob_base + 0x40)
		return false;
	o = a - p->ob_base;
	i = sim_stm32l4_optreg_index(p, 0x20 + (o / 8) * 4);
	if (i >= 0 && !(o & 4))
		w = f->stored[i];
	else if (i >= 0 && !f->opt_invalid)
		w = ~f->stored[i];
	*b = (uint8_t)(w >> (8 * (o & 3)));
	return true;
}

/* Read-only information bytes: F_SIZE, the unique id, the option page. */
static bool sim_stm32l4_info_byte(struct sim_chip *c, uint32_t a, bool debugger, uint8_t *b)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;

	if (sim_mech_uid_byte(c->uid, p->uid_base, 8, a, b) ||
	    sim_mech_field_byte(p->flash_kb, p->fsize_addr, 2, a, b))
		return true;
	/* The rest of the words around them (package data etc.): 0xFF (?). */
	if ((a & ~0xFu) == (p->fsize_addr & ~0xFu) || (a & ~0xFu) == (p->uid_base & ~0xFu) ||
	    (a & ~0xFu) == ((p->uid_base + 8) & ~0xFu)) {
		*b = 0xFF;
		return true;
	}
	return sim_stm32l4_ob_byte(f, a, b);
}

static int sim_stm32l4_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32l4_tick(c);
	*val = 0;
	ram = sim_stm32l4_ram_at(f, addr, size, &prot, &is_flash);
	if (ram) {
		if (prot && sim_stm32l4_closed(c, debugger))
			return -EFAULT;
		/* WB: CPU2's secure flash is not readable from CPU1 or the debug
		 * port at any level (RM0434 §3.3.3 (?)). */
		if (is_flash && debugger && (uint32_t)(ram - f->flash) + size > sim_stm32l4_cpu2_start(f))
			return -EFAULT;
		*val = sim_mech_load(ram, size);
		return 0;
	}
	if (addr >= p->if_base && addr < p->if_base + 0x400) {
		*val = sim_mech_lane(sim_stm32l4_if_read(f, (addr - p->if_base) & ~3u), addr, size);
		return 0;
	}
	if ((addr & ~0x1Fu) == p->dbgmcu) {
		uint32_t w = 0;

		if ((addr & ~3u) == p->dbgmcu)
			w = ((uint32_t)p->rev_id << 16) | p->dev_id;
		else if ((addr & ~3u) == p->dbgmcu + 4)
			w = f->dbgmcu_cr;
		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (p->bkp_regs && addr >= p->bkp_base && addr < p->bkp_base + 4 * p->bkp_regs) {
		*val = sim_mech_lane(f->bkpr[(addr - p->bkp_base) / 4], addr, size);
		return 0;
	}
	if (addr >= L4_PERIPH_BASE && addr < L4_PERIPH_END)
		return 0; /* unmodelled peripherals read as 0 */
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return sim_mech_info_read(c, sim_stm32l4_info_byte, addr, size, debugger, val);
}

static int sim_stm32l4_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);
	const struct sim_stm32l4_part *p = f->part;
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32l4_tick(c);
	ram = sim_stm32l4_ram_at(f, addr, size, &prot, &is_flash);
	if (ram) {
		if (prot && sim_stm32l4_closed(c, debugger))
			return -EFAULT;
		if (is_flash && debugger && (uint32_t)(ram - f->flash) + size > sim_stm32l4_cpu2_start(f))
			return -EFAULT; /* CPU2's secure area */
		if (is_flash && debugger) {
			/* Programs only with PG set and CR unlocked; bits go 1 -> 0. */
			if ((f->cr & L4_CR_LOCK) || !(f->cr & L4_CR_PG) || f->busy) {
				f->sr |= L4_SR_PGSERR;
				return 0;
			}
			for (unsigned i = 0; i < size; i++)
				ram[i] &= (uint8_t)(val >> (8 * i));
			return 0;
		}
		memcpy(ram, &val, size);
		return 0;
	}
	if (addr >= p->if_base && addr < p->if_base + 0x400) {
		uint32_t off = (addr - p->if_base) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (size == 4 || off == p->lay->keyr || off == p->lay->optkeyr)
			return sim_stm32l4_if_write(c, off, val);
		/* Byte/half-word writes merge into the register (e.g. the RDP
		 * byte of OPTR) (?: the RMs ask for word accesses). */
		return sim_stm32l4_if_write(c, off,
					    sim_mech_merge(sim_stm32l4_if_read(f, off), addr, size, val));
	}
	if ((addr & ~0x1Fu) == p->dbgmcu) {
		if ((addr & ~3u) == p->dbgmcu + 4)
			f->dbgmcu_cr = sim_mech_merge(f->dbgmcu_cr, addr, size, val);
		return 0;
	}
	if (p->bkp_regs && addr >= p->bkp_base && addr < p->bkp_base + 4 * p->bkp_regs) {
		uint32_t *r = &f->bkpr[(addr - p->bkp_base) / 4];

		*r = sim_mech_merge(*r, addr, size, val);
		return 0;
	}
	if (addr >= L4_PERIPH_BASE && addr < L4_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_stm32l4_info_byte, addr, debugger);
}

/* Option load (OBL_LAUNCH, system reset, power-on): an operation whose
 * time is up has completed; one still running is cut as a power loss cuts
 * it, which is what RM0444 §3.4.2 says of a reset: "Upon an option byte
 * programming failure (for any reason, such as loss of power or a reset
 * during the option byte change sequence), the mismatch values of the
 * option bytes are loaded after reset" (the RDP regression's mass erase is
 * part of that sequence). Then the loaded image becomes the stored one and
 * the flash interface returns to its reset state, keys locked. That a
 * system reset reloads the options on these parts is the model of
 * docs/sim/README.md (?). */
static void sim_stm32l4_system_reset(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	sim_stm32l4_tick(c);
	sim_stm32l4_option_power_loss(c);
	memcpy(f->loaded, f->stored, sizeof(f->loaded));
	if (f->opt_invalid)
		f->loaded[0] = (f->part->optr_reset & ~0xFFu) | 0xFFu; /* level 1 */
	sim_stm32l4_show_loaded(f);
	f->cr = L4_CR_LOCK | L4_CR_OPTLOCK;
	f->sr = 0;
	if (f->opt_invalid && !f->part->tz)
		f->sr = L4_SR_OPTVERR;
	f->acr = 0;
	f->key = SIM_MECH_KEY_EXPECT1;
	f->optkey = SIM_MECH_KEY_EXPECT1;
}

static void sim_stm32l4_power_on(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	f->dbgmcu_cr = 0;
	f->por_needed = false;
	sim_stm32l4_system_reset(c);
}

static int sim_stm32l4_rdp_level(struct sim_chip *c)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	sim_stm32l4_tick(c);
	return sim_stm32l4_level_of(f->part, f->loaded[0]);
}

static void sim_stm32l4_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_stm32l4_chip *f = sim_stm32l4_of(c);

	*msp = sim_mech_load(f->flash, 4);
	*pc = sim_mech_load(f->flash + 4, 4);
}

const struct sim_chip_ops sim_stm32l4_ops = {
	.family = "stm32l4/g0/g4/c0/u0/wb/wl/l5/u5",
	.parts = SIM_PART_TABLE(sim_stm32l4_parts),
	.part_has_level_half = sim_stm32l4_part_has_level_half,
	.create = sim_stm32l4_create,
	.destroy = sim_stm32l4_destroy,
	.bus_read = sim_stm32l4_bus_read,
	.bus_write = sim_stm32l4_bus_write,
	.tick = sim_stm32l4_tick,
	.system_reset = sim_stm32l4_system_reset,
	.power_on = sim_stm32l4_power_on,
	.rdp_level = sim_stm32l4_rdp_level,
	.reset_vectors = sim_stm32l4_reset_vectors,
	.option_power_loss = sim_stm32l4_option_power_loss,
};
