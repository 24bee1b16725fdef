/*
 * stm32l4.c - the "L4-style" OPTR flash controller: STM32L4, L4+, G4, G0, C0,
 * U0, WB and WL. One lineage: the same KEYR/OPTKEYR/SR/CR/OPTR offsets and
 * the same CR bits; the parts differ by register base (WB/WL 0x58004000),
 * F_SIZE address, the user bits of OPTR, PCROP register names, a few SR
 * bits (BSY2, CFGBSY, PESD; U0 has no RDERR), the page size and the width
 * of the WRP page fields. Every constant, with the header line or manual
 * section it comes from: docs/targets/stm32l4.md.
 *
 * References:
 *   RM0351 (L47x/48x/49x/4Ax) §3.4 "FLASH option bytes", §3.4.2 "Option
 *     bytes programming", §3.5.1 "Read protection (RDP)", §3.7 registers
 *   RM0394 (L43x-L46x), RM0432 (L4+) §3.4-3.5 (fig. 6 "RDP level regression")
 *   RM0440 (G4) §3.4-3.5, RM0444 (G0) §3.4-3.5 (table 18), RM0454 (G0x0),
 *   RM0490 (C0), RM0503 (U0) §3.5.1 (OEM1/OEM2 RDP keys), §3.7 registers,
 *   RM0434 (WB5x/WB3x), RM0473 (WB1x), RM0453/RM0461 (WL)
 *   ST CMSIS device headers (cmsis_device_l4/g0/g4/c0/u0/wb/wl) and the
 *     HAL's stm32*xx_hal_flash.h (page sizes)
 *   OpenOCD src/flash/nor/stm32l4x.c (stm32l4_write_option, option_load,
 *     the bank/page layout of stm32l4_probe)
 *
 * Unlock (level 1 -> 0): read OPTR, replace only the RDP byte with 0xAA
 * (every user bit, DUALBANK/DBANK/nSWAP_BANK included, is written back as
 * read), OPTSTRT, wait BSY: the controller mass-erases the flash (both
 * banks; SRAM2 and backup registers too) and programs the options. OPTR
 * keeps showing the loaded options until OBL_LAUNCH, which resets the chip.
 * PCROP_RDP is read and reported, never changed: with PCROP_RDP = 0 and a
 * PCROP area the erase spares that area (RM0444 table 18).
 *
 * Second core: WB (RM0434, RM0473) keeps its CPU2 options (SFR, SRRVR) out
 * of reach of CPU1 and the debugger; they are only read here. WB/WL: PESD
 * (CPU2 has suspended program/erase) is waited for before OPTSTRT. WL5x
 * (DEV_ID 0x497 like WLE5) has a Cortex-M0+ CPU2 on AP1 that this driver
 * neither halts nor uses; OPTR's C2BOOT_LOCK/BOOT_LOCK bits are written back
 * unchanged. FLASH_SFR exists on WL5x only (stm32wle5xx.h: the WLE5's
 * FLASH_TypeDef ends at PCROP1BER), and the DEV_ID cannot tell the two
 * apart, so the driver reads SFR on WB only.
 */
#include <stdio.h>

#include "err.h"
#include "targets/stm32_optr.h"
#include "targets/target.h"

#define STM32L4_FLASH_BASE 0x40022000u    /* FLASH_R_BASE */
#define STM32L4_FLASH_BASE_WB 0x58004000u /* FLASH_REG_BASE, WB and WL */

/* The option page, one double word per option register (value, then its
 * complement), OPTR first: RM0351 §3.4.1, RM0444 §3.4.1, RM0453 §4.4.1.
 * The debugger may read it at level 1 (RM0351 table "Access status versus
 * protection level", RM0432 table 16). WB5x/WB3x keep it at 0x1FFF8000,
 * WB1x at 0x1FFF7800 (OPTION_BYTE_BASE of stm32wb55xx.h / stm32wb15xx.h).
 * U0: not known (its information block sits lower, PACKAGE_BASE
 * 0x1FFF6D00), so 0: flash alone tells a pending edit. */
#define STM32L4_OB 0x1FFF7800u
#define STM32L4_OB_WB 0x1FFF8000u

/* Offsets from the flash register base (FLASH_TypeDef). */
#define STM32L4_FLASH_KEYR 0x08u
#define STM32L4_FLASH_OPTKEYR 0x0Cu
#define STM32L4_FLASH_SR 0x10u
#define STM32L4_FLASH_CR 0x14u
#define STM32L4_FLASH_OPTR 0x20u
#define STM32L4_FLASH_PCROP1ER 0x28u /* PCROP1AER on G0/C0/WB/WL */
#define STM32L4_FLASH_WRP1AR 0x2Cu
#define STM32L4_FLASH_WRP1BR 0x30u
#define STM32L4_FLASH_WRP2AR 0x4Cu
#define STM32L4_FLASH_WRP2BR 0x50u
#define STM32L4_FLASH_SFR 0x80u      /* WB (and WL5x): CPU2 secure flash start */
#define STM32L4_FLASH_OEMKEYSR 0xA8u /* U0: CRCs of the OEM1/OEM2 keys */

/* SR write-1-to-clear error flags: OPERR 1, PROGERR 3, WRPERR 4, PGAERR 5,
 * SIZERR 6, PGSERR 7, MISERR 8, FASTERR 9, then RDERR 14 and OPTVERR 15;
 * U0 has no RDERR but HDPOPTWERR 11 and OEMOPTWERR 12. */
#define STM32L4_SR_ERRORS 0xC3FAu
#define STM32L4_SR_U0_ERRORS 0x9BFAu
#define STM32L4_SR_OPTVERR 0x8000u
#define STM32L4_SR_BSY2 (1u << 17)   /* G0B/C only (bit 17 is PEMPTY on L41x-L46x/L4+) */
#define STM32L4_SR_CFGBSY (1u << 18) /* G0/C0/U0/WB/WL */
#define STM32L4_SR_PESD (1u << 19)   /* WB/WL */
#define STM32L4_SR_U0_OEM1LOCK (1u << 20) /* U0: an OEM1 key guards level 1 */
#define STM32L4_SR_U0_OEM2LOCK (1u << 21) /* U0: an OEM2 key guards level 2 */

#define STM32L4_SFR_SFSA_MASK 0xFFu  /* WB: first page of CPU2's secure area */
#define STM32L4_SFR_FSD (1u << 8)    /* WB: 1 = no secure area */

/* OPTR bank bits: DUALBANK (L47x/L49x) and DB1M (L4+) and DUAL_BANK (G0B/C)
 * are bit 21, DBANK (L4+, G47x/48x) bit 22. */
#define STM32L4_OPTR_BIT21 (1u << 21)
#define STM32L4_OPTR_DBANK (1u << 22)

#define STM32L4_PCROP_RDP (1u << 31)
#define STM32L4_WRP_END_SHIFT 16

/* Part flags: the controller variant in [3:0], then features, then the
 * width of the WRPxyR start/end page fields in [12:8]. */
#define STM32L4_KIND_MASK 0xFu
enum stm32l4_kind {
	STM32L4_L4, STM32L4_L4P, STM32L4_G4, STM32L4_G0, STM32L4_C0, STM32L4_U0, STM32L4_WB,
	STM32L4_WL, STM32L4_NKINDS
};
#define STM32L4_F_BSY2 (1u << 4)    /* G0B/C: second bank busy flag */
#define STM32L4_F_DUAL (1u << 5)    /* WRP2AR/WRP2BR exist (dual-bank capable) */
#define STM32L4_F_WB1X (1u << 6)    /* WB1x: 2 KB pages, option page at 0x1FFF7800 */
#define STM32L4_WRP_BITS(flags) (((flags) >> 8) & 0x1Fu)
#define STM32L4_WRP_WIDTH(bits) ((uint32_t)(bits) << 8)

struct stm32l4_variant {
	uint32_t base;
	uint32_t ob_base;       /* the option page as the debugger reads it; 0: unknown */
	const char *pcrop_name; /* NULL: no PCROP (U0) */
	uint32_t sr_busy, sr_errors, sr_pesd;
	unsigned page_kb;       /* page size in single-bank mode */
};

static const struct stm32l4_variant stm32l4_variants[STM32L4_NKINDS] = {
	[STM32L4_L4] = {STM32L4_FLASH_BASE, STM32L4_OB, "pcrop1er",
			STM32_OPTR_SR_BSY, STM32L4_SR_ERRORS, 0, 2},
	[STM32L4_L4P] = {STM32L4_FLASH_BASE, STM32L4_OB, "pcrop1er",
			STM32_OPTR_SR_BSY, STM32L4_SR_ERRORS, 0, 8},
	[STM32L4_G4] = {STM32L4_FLASH_BASE, STM32L4_OB, "pcrop1er",
			STM32_OPTR_SR_BSY, STM32L4_SR_ERRORS, 0, 2},
	[STM32L4_G0] = {STM32L4_FLASH_BASE, STM32L4_OB, "pcrop1aer", STM32_OPTR_SR_BSY | STM32L4_SR_CFGBSY,
			STM32L4_SR_ERRORS, 0, 2},
	[STM32L4_C0] = {STM32L4_FLASH_BASE, STM32L4_OB, "pcrop1aer", STM32_OPTR_SR_BSY | STM32L4_SR_CFGBSY,
			STM32L4_SR_ERRORS, 0, 2},
	[STM32L4_U0] = {STM32L4_FLASH_BASE, 0, NULL, STM32_OPTR_SR_BSY | STM32L4_SR_CFGBSY,
			STM32L4_SR_U0_ERRORS, 0, 2},
	[STM32L4_WB] = {STM32L4_FLASH_BASE_WB, STM32L4_OB_WB, "pcrop1aer",
			STM32_OPTR_SR_BSY | STM32L4_SR_CFGBSY,
			STM32L4_SR_ERRORS, STM32L4_SR_PESD, 4},
	[STM32L4_WL] = {STM32L4_FLASH_BASE_WB, STM32L4_OB, "pcrop1aer",
			STM32_OPTR_SR_BSY | STM32L4_SR_CFGBSY,
			STM32L4_SR_ERRORS, STM32L4_SR_PESD, 2},
};

#define STM32L4_DBGMCU_PPB 0xE0042000u /* DBGMCU_IDCODE, Cortex-M4 parts */
#define STM32L4_DBGMCU_APB 0x40015800u /* DBGMCU_IDCODE, Cortex-M0+ parts */
#define STM32L4_FSIZE 0x1FFF75E0u
#define STM32L4_FSIZE_C0 0x1FFF75A0u
#define STM32L4_FSIZE_U031 0x1FFF3EA0u
#define STM32L4_FSIZE_U073 0x1FFF6EA0u
/* UID_BASE (docs/uid.md): 0x1FFF7590 on L4, L4+, G0, G4, WB and WL
 * (stm32l476xx.h:1310, stm32g071xx.h:732, stm32g474xx.h:1325,
 * stm32wb55xx.h:1071, stm32wle5xx.h:783); C011/C031/C071 0x1FFF7550
 * (stm32c031xx.h:573); U031 0x1FFF3E50 (stm32u031xx.h:706); U073/U083
 * 0x1FFF6E50 (stm32u083xx.h:809). C05x and C09x: no header here, so none. */
#define STM32L4_UID TARGET_UID(0x1FFF7590u, 8)
#define STM32L4_UID_C0 TARGET_UID(0x1FFF7550u, 8)
#define STM32L4_UID_U031 TARGET_UID(0x1FFF3E50u, 8)
#define STM32L4_UID_U073 TARGET_UID(0x1FFF6E50u, 8)
/* Regression erase: "as high as 25 ms" per bank (OpenOCD stm32l4x.c,
 * STM32L476 datasheet tME); the budget is eight times OpenOCD's 250 ms. */
#define STM32L4_ERASE_TYP_MS 25
#define STM32L4_ERASE_TYP_DUAL_MS 50
#define STM32L4_ERASE_MAX_MS 2000

static const struct target_part stm32l4_parts[] = {
	{.dev_id = 0x415, .name = "STM32L47x/48x", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4 | STM32L4_F_DUAL | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x461, .name = "STM32L49x/4Ax", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4 | STM32L4_F_DUAL | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x435, .name = "STM32L43x/44x", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4 | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x462, .name = "STM32L45x/46x", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4 | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x464, .name = "STM32L41x/42x", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4 | STM32L4_WRP_WIDTH(6),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x470, .name = "STM32L4Rx/4Sx", .core = CORTEXM_M4, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4P | STM32L4_F_DUAL | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x471, .name = "STM32L4P5/4Q5", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_L4P | STM32L4_F_DUAL | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32l4x.cfg"},
	{.dev_id = 0x468, .name = "STM32G43x/44x", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G4 | STM32L4_WRP_WIDTH(6),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g4x.cfg"},
	{.dev_id = 0x469, .name = "STM32G47x/48x", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G4 | STM32L4_F_DUAL | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g4x.cfg"},
	{.dev_id = 0x479, .name = "STM32G49x/4Ax", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G4 | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g4x.cfg"},
	{.dev_id = 0x466, .name = "STM32G03x/04x", .core = CORTEXM_M0PLUS, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G0 | STM32L4_WRP_WIDTH(5),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g0x.cfg"},
	{.dev_id = 0x456, .name = "STM32G05x/06x", .core = CORTEXM_M0PLUS, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G0 | STM32L4_WRP_WIDTH(5),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g0x.cfg"},
	{.dev_id = 0x460, .name = "STM32G07x/08x", .core = CORTEXM_M0PLUS, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G0 | STM32L4_WRP_WIDTH(6),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g0x.cfg"},
	{.dev_id = 0x467, .name = "STM32G0Bx/0Cx", .core = CORTEXM_M0PLUS, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_G0 | STM32L4_F_DUAL | STM32L4_F_BSY2 | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_DUAL_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32g0x.cfg"},
	{.dev_id = 0x443, .name = "STM32C011", .core = CORTEXM_M0PLUS, .flash_kb_max = 32,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_C0,
	 .flags = STM32L4_C0 | STM32L4_WRP_WIDTH(4),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID_C0},
	{.dev_id = 0x453, .name = "STM32C031", .core = CORTEXM_M0PLUS, .flash_kb_max = 32,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_C0,
	 .flags = STM32L4_C0 | STM32L4_WRP_WIDTH(4),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID_C0},
	{.dev_id = 0x44C, .name = "STM32C051", .core = CORTEXM_M0PLUS, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_C0,
	 .flags = STM32L4_C0 | STM32L4_WRP_WIDTH(5),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS},
	{.dev_id = 0x493, .name = "STM32C071", .core = CORTEXM_M0PLUS, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_C0,
	 .flags = STM32L4_C0 | STM32L4_WRP_WIDTH(6),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID_C0},
	{.dev_id = 0x44D, .name = "STM32C091/092", .core = CORTEXM_M0PLUS, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_C0,
	 .flags = STM32L4_C0 | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS},
	{.dev_id = 0x459, .name = "STM32U031", .core = CORTEXM_M0PLUS, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_U031,
	 .flags = STM32L4_U0 | STM32L4_WRP_WIDTH(16),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID_U031},
	{.dev_id = 0x489, .name = "STM32U073/083", .core = CORTEXM_M0PLUS, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32L4_DBGMCU_APB, .flash_size_addr = STM32L4_FSIZE_U073,
	 .flags = STM32L4_U0 | STM32L4_WRP_WIDTH(16),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID_U073},
	{.dev_id = 0x495, .name = "STM32WB5x/WB35", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_WB | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32wbx.cfg"},
	{.dev_id = 0x496, .name = "STM32WB3x", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_WB | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32wbx.cfg"},
	{.dev_id = 0x494, .name = "STM32WB1x", .core = CORTEXM_M4, .flash_kb_max = 320,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_WB | STM32L4_F_WB1X | STM32L4_WRP_WIDTH(8),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32wbx.cfg"},
	{.dev_id = 0x497, .name = "STM32WLE/WL5x", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32L4_DBGMCU_PPB, .flash_size_addr = STM32L4_FSIZE,
	 .flags = STM32L4_WL | STM32L4_WRP_WIDTH(7),
	 .erase_typ_ms = STM32L4_ERASE_TYP_MS, .erase_max_ms = STM32L4_ERASE_MAX_MS,
	 .uid_addr = STM32L4_UID, .openocd_target = "target/stm32wlx.cfg"},
};

static const struct stm32l4_variant *stm32l4_variant_of(const struct target *t)
{
	return &stm32l4_variants[t->part->flags & STM32L4_KIND_MASK];
}

/* Where the debugger reads the option page (0: not known for this part). */
static uint32_t stm32l4_ob_base(const struct target *t)
{
	return (t->part->flags & STM32L4_F_WB1X) ? STM32L4_OB : stm32l4_variant_of(t)->ob_base;
}

static void stm32l4_regs(const struct target *t, struct stm32_optr_regs *r)
{
	const struct stm32l4_variant *v = stm32l4_variant_of(t);

	r->keyr = v->base + STM32L4_FLASH_KEYR;
	r->optkeyr = v->base + STM32L4_FLASH_OPTKEYR;
	r->sr = v->base + STM32L4_FLASH_SR;
	r->cr = v->base + STM32L4_FLASH_CR;
	r->optr = v->base + STM32L4_FLASH_OPTR;
	r->sr_busy = v->sr_busy | ((t->part->flags & STM32L4_F_BSY2) ? STM32L4_SR_BSY2 : 0);
	r->sr_errors = v->sr_errors;
	r->sr_pesd = v->sr_pesd;
}

/* Page size and bank mode as the OPTR bank bits set them (RM0351 §3.3.1,
 * RM0432 §3.3.1, RM0440 §3.3.1, RM0444 §3.3.1; the HAL's FLASH_PAGE_SIZE;
 * OpenOCD stm32l4x.c stm32l4_probe): L47x/L49x are dual bank on the 1 MB
 * parts and with DUALBANK, 2 KB pages either way; L4+ dual bank (DBANK, or
 * DB1M below the largest size) has 4 KB pages, single bank 8 KB; G47x/48x
 * dual bank (DBANK) 2 KB, single bank 4 KB; G0B/C dual bank with
 * DUAL_BANK. WRP2_FIRST: the page WRP2AR/WRP2BR count from, or -1 where
 * they are not used; in single-bank mode the L4+ and the G47x/48x use all
 * four areas over the one bank. */
struct stm32l4_geometry {
	unsigned page_kb;
	int wrp2_first;
	bool dual;
};

static struct stm32l4_geometry stm32l4_geometry_of(const struct target *t, uint32_t optr)
{
	uint32_t flags = t->part->flags;
	bool max = t->flash_kb >= t->part->flash_kb_max, all_wrp = false;
	struct stm32l4_geometry g = {stm32l4_variant_of(t)->page_kb, -1, false};

	if (flags & STM32L4_F_WB1X)
		g.page_kb = 2;
	if (flags & STM32L4_F_DUAL) {
		switch (flags & STM32L4_KIND_MASK) {
		case STM32L4_L4:
			g.dual = max || (optr & STM32L4_OPTR_BIT21);
			break;
		case STM32L4_L4P:
			g.dual = optr & (max ? STM32L4_OPTR_DBANK : STM32L4_OPTR_BIT21);
			g.page_kb = g.dual ? 4 : 8;
			all_wrp = true;
			break;
		case STM32L4_G4:
			g.dual = optr & STM32L4_OPTR_DBANK;
			g.page_kb = g.dual ? 2 : 4;
			all_wrp = true;
			break;
		default: /* G0B/C */
			g.dual = optr & STM32L4_OPTR_BIT21;
			break;
		}
	}
	if (g.dual)
		g.wrp2_first = (int)(t->flash_kb / g.page_kb / 2);
	else if (all_wrp)
		g.wrp2_first = 0;
	return g;
}

/* Pages START..END of one WRPxyR (an empty area has START > END), as
 * 64 groups of equal size over the whole flash; FIRST_PAGE is the page the
 * register counts from (bank 2: the middle of the flash). The fields are
 * as wide as the part's header says (STM32L4_WRP_BITS): bits above them are
 * reserved and may read 1 (OpenOCD stm32l4x.c, stm32l4_probe). */
static uint64_t stm32l4_wrp_groups(const struct target *t, const struct stm32l4_geometry *geo,
				   uint32_t wrp, unsigned first_page)
{
	uint32_t mask = (1u << STM32L4_WRP_BITS(t->part->flags)) - 1u;
	unsigned pages = t->flash_kb / geo->page_kb;
	unsigned per_group = pages > 64 ? (pages + 63) / 64 : 1;
	unsigned start = wrp & mask;
	unsigned end = (wrp >> STM32L4_WRP_END_SHIFT) & mask;
	uint64_t groups = 0;

	for (unsigned pg = start; pg <= end && first_page + pg < pages; pg++) {
		unsigned g = (first_page + pg) / per_group;

		if (g < 64)
			groups |= 1ull << g;
	}
	return groups;
}

static enum rdp_level stm32l4_level(uint32_t optr)
{
	return target_rdp_level_from_byte((uint8_t)(optr & STM32_OPTR_RDP_MASK));
}

/* What stm32l4_read_protection reads, in its order (read ahead). */
static size_t stm32l4_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	const struct stm32l4_variant *v = stm32l4_variant_of(t);
	uint32_t kind = t->part->flags & STM32L4_KIND_MASK;
	size_t n = 0;

	if (cap < 10)
		return 0;
	addr[n++] = v->base + STM32L4_FLASH_OPTR;
	addr[n++] = v->base + STM32L4_FLASH_SR;
	addr[n++] = v->base + STM32L4_FLASH_CR;
	if (v->pcrop_name)
		addr[n++] = v->base + STM32L4_FLASH_PCROP1ER;
	addr[n++] = v->base + STM32L4_FLASH_WRP1AR;
	addr[n++] = v->base + STM32L4_FLASH_WRP1BR;
	if (t->part->flags & STM32L4_F_DUAL) {
		addr[n++] = v->base + STM32L4_FLASH_WRP2AR;
		addr[n++] = v->base + STM32L4_FLASH_WRP2BR;
	}
	if (kind == STM32L4_WB)
		addr[n++] = v->base + STM32L4_FLASH_SFR;
	if (kind == STM32L4_U0)
		addr[n++] = v->base + STM32L4_FLASH_OEMKEYSR;
	return n;
}

static int stm32l4_read_protection(struct target *t, struct target_protection *p)
{
	const struct stm32l4_variant *v = stm32l4_variant_of(t);
	bool dual = t->part->flags & STM32L4_F_DUAL;
	bool wb = (t->part->flags & STM32L4_KIND_MASK) == STM32L4_WB;
	bool u0 = (t->part->flags & STM32L4_KIND_MASK) == STM32L4_U0;
	uint32_t optr = 0, pcrop = 0, wrp1a = 0, wrp1b = 0, wrp2a = 0, wrp2b = 0, sfr = 0, sr = 0;
	uint32_t oemkeysr = 0, cr = 0;
	struct stm32l4_geometry geo;
	int rc;

	mem_read32(t->a, v->base + STM32L4_FLASH_OPTR, &optr);
	mem_read32(t->a, v->base + STM32L4_FLASH_SR, &sr);
	mem_read32(t->a, v->base + STM32L4_FLASH_CR, &cr);
	if (v->pcrop_name)
		mem_read32(t->a, v->base + STM32L4_FLASH_PCROP1ER, &pcrop);
	mem_read32(t->a, v->base + STM32L4_FLASH_WRP1AR, &wrp1a);
	mem_read32(t->a, v->base + STM32L4_FLASH_WRP1BR, &wrp1b);
	if (dual) {
		mem_read32(t->a, v->base + STM32L4_FLASH_WRP2AR, &wrp2a);
		mem_read32(t->a, v->base + STM32L4_FLASH_WRP2BR, &wrp2b);
	}
	if (wb)
		mem_read32(t->a, v->base + STM32L4_FLASH_SFR, &sfr);
	if (u0)
		mem_read32(t->a, v->base + STM32L4_FLASH_OEMKEYSR, &oemkeysr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading FLASH_OPTR: ");
	p->rdp_raw = optr & STM32_OPTR_RDP_MASK;
	p->level = stm32l4_level(optr);
	p->wrp_raw = wrp1a;
	geo = stm32l4_geometry_of(t, optr);
	p->wrp_sectors = stm32l4_wrp_groups(t, &geo, wrp1a, 0) | stm32l4_wrp_groups(t, &geo, wrp1b, 0);
	if (geo.wrp2_first >= 0)
		p->wrp_sectors |= stm32l4_wrp_groups(t, &geo, wrp2a, (unsigned)geo.wrp2_first) |
				  stm32l4_wrp_groups(t, &geo, wrp2b, (unsigned)geo.wrp2_first);
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){"optr", optr};
	if (v->pcrop_name) {
		p->options[p->n_options++] = (struct target_option){v->pcrop_name, pcrop};
		p->options[p->n_options++] = (struct target_option){"pcrop_rdp", (pcrop & STM32L4_PCROP_RDP) ? 1 : 0};
	}
	p->options[p->n_options++] = (struct target_option){"wrp1ar", wrp1a};
	p->options[p->n_options++] = (struct target_option){"wrp1br", wrp1b};
	/* WB: SFR holds the CPU2 secure area start, owned by CPU2 (RM0434). */
	if (wb)
		p->options[p->n_options++] = (struct target_option){"sfr", sfr};
	else if (dual)
		p->options[p->n_options++] = (struct target_option){"wrp2ar", wrp2a};
	/* U0: whether OEM keys guard the levels (SR.OEM1LOCK/OEM2LOCK) and the
	 * CRCs of the keys (RM0503 §3.5.1). */
	if (u0) {
		p->options[p->n_options++] = (struct target_option){"oem_locks",
			((sr & STM32L4_SR_U0_OEM1LOCK) ? 1u : 0u) | ((sr & STM32L4_SR_U0_OEM2LOCK) ? 2u : 0u)};
		p->options[p->n_options++] = (struct target_option){"oemkeysr", oemkeysr};
	}
	/* OPTVERR: the option bytes loaded at the last reset were not valid
	 * (a word and its complement mismatch, e.g. power lost during option
	 * programming); RDP was loaded as level 1 (RM0351 §3.4.2, RM0444
	 * caution). Shown only when set; the next unlock reprograms them. */
	if (sr & STM32L4_SR_OPTVERR)
		p->options[p->n_options++] = (struct target_option){"optverr", 1};
	return stm32_optr_check_pending(t, cr, optr, stm32l4_ob_base(t), stm32l4_level, p);
}

static int stm32l4_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	const struct stm32l4_variant *v = stm32l4_variant_of(t);
	struct stm32_optr_regs r;
	struct target_protection cur;
	uint32_t optr = 0, pcrop = STM32L4_PCROP_RDP, oem_locks = 0, new_optr;
	bool erases;
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	stm32l4_regs(t, &r);
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	/* The level applied, not OPTR's byte: OPTR may hold an edit never
	 * programmed (stm32_optr_check_pending), and whether the controller
	 * erases follows the applied level. The same read gives OPTR, PCROP
	 * and the U0's OEM locks. */
	if ((rc = stm32l4_read_protection(t, &cur)) < 0)
		return rc;
	target_option(&cur, "optr", &optr);
	if (v->pcrop_name)
		target_option(&cur, v->pcrop_name, &pcrop);
	target_option(&cur, "oem_locks", &oem_locks);
	if ((optr & STM32_OPTR_RDP_MASK) == STM32_RDP_LEVEL2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"FLASH_OPTR RDP = 0xCC: level 2 is permanent; nothing was written");
	erases = level == RDP_LEVEL_0 && cur.level != RDP_LEVEL_0;
	/* RM0503 §3.5.1: with an OEM1 key set, the U0 leaves level 1 only after
	 * the key has been presented through the debug mailbox
	 * (DBGMCU_DBG_AUTH_HOST, via AP1); as on the U5 (stm32l5.c). */
	if (erases && (oem_locks & 1u))
		return err_setf(ERR_NOT_SUPPORTED,
				"%s has an OEM1 key set (FLASH_SR.OEM1LOCK): leaving level 1 "
				"needs that key through the debug mailbox, which rdpd does not support "
				"yet; nothing was written", t->part->name);
	if (erases && !(pcrop & STM32L4_PCROP_RDP))
		stm32_log(ev, "%s PCROP_RDP = 0 (0x%08x): a PCROP area, if defined, survives the "
			  "erase; rdpd leaves the bit as it is", v->pcrop_name, pcrop);
	new_optr = (optr & ~STM32_OPTR_RDP_MASK) | rdp;
	stm32_log(ev, "FLASH_OPTR 0x%08x -> 0x%08x%s", optr, new_optr,
		  erases ? ": the controller now mass-erases the flash" : "");
	return stm32_optr_program(t, &r, new_optr, erases, ev);
}

/* The address just past the last flash word the regression erases and a
 * debugger may read. WB (RM0434 §3.3.3; RM0473 for WB1x): the flash from
 * SFR.SFSA up belongs to CPU2 (FUS and the wireless stack) unless FSD is
 * set. SFSA counts pages: 4 KB on WB5x/WB3x, 2 KB on WB1x (FLASH_PAGE_SIZE
 * of stm32wbxx_hal_flash.h). The debugger cannot read that area and the
 * regression is not known to erase it (?), so the read-back of the end of
 * flash stops below it. G47x/48x with less than 512 KB in dual-bank mode
 * (DBANK): bank 2 still starts at 0x08040000, after a hole (OpenOCD
 * stm32l4x.c stm32l4_probe "dual bank WITH gap"; RM0440 §3.3.1 (?: the
 * table for the trimmed parts was not read)). Other parts: the whole
 * flash. */
static int stm32l4_flash_end(struct target *t, uint32_t *end)
{
	const struct stm32l4_variant *v = stm32l4_variant_of(t);
	uint32_t size = t->flash_kb * 1024u, sfr = 0, optr = 0, secure;
	unsigned kind = t->part->flags & STM32L4_KIND_MASK;
	int rc;

	*end = t->flash_base + size;
	if (kind == STM32L4_G4 && (t->part->flags & STM32L4_F_DUAL) &&
	    t->flash_kb < t->part->flash_kb_max) {
		if ((rc = mem_read32_now(t->a, v->base + STM32L4_FLASH_OPTR, &optr)) < 0)
			return err_context(rc, "reading FLASH_OPTR: ");
		if (stm32l4_geometry_of(t, optr).dual)
			*end = t->flash_base + (t->part->flash_kb_max + t->flash_kb) / 2 * 1024u;
		return 0;
	}
	if (kind != STM32L4_WB)
		return 0;
	if ((rc = mem_read32_now(t->a, v->base + STM32L4_FLASH_SFR, &sfr)) < 0)
		return err_context(rc, "reading FLASH_SFR: ");
	secure = (sfr & STM32L4_SFR_SFSA_MASK) * stm32l4_geometry_of(t, 0).page_kb * 1024u;
	if (!(sfr & STM32L4_SFR_FSD) && secure > 0 && secure < size)
		*end = t->flash_base + secure;
	return 0;
}

/* OBL_LAUNCH (RM0351 §3.4.2): the options load and the chip resets. */
static int stm32l4_apply(struct target *t, bool *power_cycle)
{
	struct stm32_optr_regs r;

	stm32l4_regs(t, &r);
	return stm32_optr_launch(t, &r, power_cycle);
}

const struct target_driver stm32l4_driver = {
	.name = "stm32l4",
	.family = "STM32L4/L4+/G0/G4/C0/U0/WB/WL",
	.parts = stm32l4_parts,
	.n_parts = sizeof(stm32l4_parts) / sizeof(stm32l4_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the whole flash (both banks; a PCROP area survives when PCROP_RDP = 0; "
		       "on WB the CPU2 secure area from SFSA up, FUS and wireless stack, is CPU2's and "
		       "is left to it), SRAM2 and the backup registers",
	.unlock_summary = "FLASH_OPTR RDP = 0xAA, OPTSTRT, OBL_LAUNCH; PCROP_RDP and bank bits kept; on WB the "
			  "CPU2 area above SFSA is left alone",
	.openocd_unlock = "stm32l4x unlock 0",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32l4_read_protection,
	.protection_words = stm32l4_protection_words,
	.set_level = stm32l4_set_level,
	.apply = stm32l4_apply,
	.flash_end = stm32l4_flash_end,
};
