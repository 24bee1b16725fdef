/*
 * stm32f1.c - the F0/F1/F3 flash controller (FPEC) and its GigaDevice
 * clones (GD32F1x0/F3x0/E23x/F20x "FMC"): one register map, one lineage.
 *
 * References:
 *   PM0075 (F10x flash programming) §2.3.2 option byte programming/erase,
 *          §2.4.1 read protection, §2.5 option bytes; RM0008 (F10x) §3.3.3
 *          "Flash memory organisation", §4 "Option bytes"
 *   RM0091 (F0x1/x2/x8) §3.2.2 option byte programming/erase, §3.3.1 read
 *          protection, §4.1 option byte description, §3.5 registers (OBL_LAUNCH)
 *   RM0360 (F030/F070) §3, §4; RM0316 (F303xB/C/D/E, F358/398) §4.2.2,
 *   RM0365 (F302/F303x6/8) §4.3.1 "Read protection", Table 8
 *   GD32F1x0 / GD32F3x0 / GD32E23x user manuals, chapter FMC (SPC byte)
 *   OpenOCD src/flash/nor/stm32f1x.c (unlock/lock, GD32 REV_IDs)
 *   GigaDevice firmware libraries gd32f1x0_fmc.h, gd32f3x0_fmc.h,
 *          gd32e23x_fmc.h, gd32f10x_fmc.h, gd32f20x_fmc.h (FMC registers,
 *          option bytes, SPC values)
 *   Constants and their sources: docs/targets/stm32f1.md.
 *
 * Regression (PM0075 §2.4.1, RM0091 §3.3.1): the whole option page is
 * erased (OPTER), which by itself leaves RDP erased = protected; programming
 * the RDP half-word with the level-0 key (0xA5 on F1 and GD32, 0xAA on F0/F3)
 * makes the controller mass-erase the main flash first, BSY covering it.
 * USER, DATA0/1 and WRP0..3 were erased with the page and are written back.
 * The option registers (FLASH_OBR, FLASH_WRPR) show the new values only after
 * option-byte loading: a system reset (all), or OBL_LAUNCH (F0/F3).
 *
 * The values written back come from the stored option half-words at
 * 0x1FFFF800 (readable at level 1, RM0365 Table 8), not from decoding
 * FLASH_OBR: the OBR bit layout differs between F1 and F0/F3 and cannot be
 * told apart on GD32 parts with REV_ID 0x1303 (GD32F1x0 and GD32F10x share
 * it, docs/targets/stm32f1.md). A half-word whose complement does not
 * match was loaded as 0xFF (RM0091 §4.1) and is written back as 0xFF with
 * its complement.
 *
 * Power lost in the middle (after the page erase, or during the forced mass
 * erase before the RDP half-word is written) leaves the page erased: RDP
 * loads as 0xFF, level 1 (PM0075 §2.4.1), and on F1 FLASH_OBR.OPTERR is set
 * (PM0075 names no exception for erased half-words (?); F0/F3 skip them,
 * RM0091 §4.1). OPTERR is read-only: it is neither a reason to refuse nor
 * cleared by software; the next unlock rewrites every half-word with its
 * complement, and the next option-byte load clears it.
 */
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define STM32F1_FLASH_BASE 0x40022000u
#define STM32F1_FLASH_KEYR (STM32F1_FLASH_BASE + 0x04)
#define STM32F1_FLASH_OPTKEYR (STM32F1_FLASH_BASE + 0x08)
#define STM32F1_FLASH_SR (STM32F1_FLASH_BASE + 0x0C)
#define STM32F1_FLASH_CR (STM32F1_FLASH_BASE + 0x10)
#define STM32F1_FLASH_OBR (STM32F1_FLASH_BASE + 0x1C)
#define STM32F1_FLASH_WRPR (STM32F1_FLASH_BASE + 0x20)
/* XL density: bank-2 register set (RM0008 §3.3.3, CMSIS stm32f103xg.h). */
#define STM32F1_FLASH_SR2 (STM32F1_FLASH_BASE + 0x4C)

#define STM32F1_SR_BSY (1u << 0)
#define STM32F1_SR_PGERR (1u << 2)
#define STM32F1_SR_WRPRTERR (1u << 4)
#define STM32F1_SR_EOP (1u << 5)
#define STM32F1_SR_ERRORS (STM32F1_SR_PGERR | STM32F1_SR_WRPRTERR)

#define STM32F1_CR_OPTPG (1u << 4)
#define STM32F1_CR_OPTER (1u << 5)
#define STM32F1_CR_STRT (1u << 6)
#define STM32F1_CR_LOCK (1u << 7)
#define STM32F1_CR_OPTWRE (1u << 9)
#define STM32F1_CR_OBL_LAUNCH (1u << 13) /* F0/F3 only */

#define STM32F1_OBR_OPTERR (1u << 0)     /* all: a half-word's complement did not match */
#define STM32F1_OBR_RDPRT1 (1u << 1)     /* all: read protection active */
#define STM32F1_OBR_RDPRT2 (1u << 2)     /* F0/F3: level 2 (on F1 this is IWDG_SW) */

/* Option bytes: eight half-words, value | ~value << 8 (RM0091 §4.1). */
#define STM32F1_OB_BASE 0x1FFFF800u
#define STM32F1_OB_HALFWORDS 8
#define STM32F1_OB_RDP 0
#define STM32F1_OB_WRP0 4

#define STM32F1_F1_RDP_LEVEL0 0xA5u /* F1 and GD32: RDP_KEY (stm32f103xb.h:9708), FMC_NSPC (gd32f1x0_fmc.h:136) */

/* Part flags. */
#define STM32F1_F0_STYLE (1u << 0) /* F0/F3: 0xAA = level 0, 0xCC = level 2 */
#define STM32F1_OBL (1u << 1)      /* CR.OBL_LAUNCH reloads the options */
#define STM32F1_XL (1u << 2)       /* F1 XL density: bank-2 registers */
#define STM32F1_WRP01 (1u << 3)    /* only WRP0/WRP1 exist; WRP2/3 stay 0xFF */
#define STM32F1_GD32 (1u << 4)     /* GigaDevice: SPC 0xA5 = no protection (FMC_NSPC) */
/* SPC 0xCC = high protection, level 2 (FMC_HSPC: gd32f1x0_fmc.h:138,
 * gd32f3x0_fmc.h:146, gd32e23x_fmc.h:132). GD32F10x/F20x/F30x have no high
 * level: FMC_NSPC and FMC_USPC only (gd32f20x_fmc.h:228-229), 0xCC is level 1. */
#define STM32F1_GD32_HSPC (1u << 6)
#define STM32F1_WRP0 (1u << 5)     /* only WRP0 exists (OB_TypeDef ends at WRP0) */

/* DBGMCU_IDCODE: on the APB for the Cortex-M0/M23 parts (F0, GD32E23x),
 * on the private peripheral bus elsewhere (docs/targets/stm32f1.md). */
#define STM32F1_DBGMCU_APB 0x40015800u
#define STM32F1_DBGMCU_PPB 0xE0042000u
/* F_SIZE: F0 and F3 at 0x1FFFF7CC, F1 and GD32 at 0x1FFFF7E0. */
#define STM32F1_FSIZE_F0F3 0x1FFFF7CCu
#define STM32F1_FSIZE_F1 0x1FFFF7E0u
/* UID_BASE (docs/uid.md): 0x1FFFF7AC on F0/F3 (stm32f072xb.h:696,
 * stm32f303xc.h:781), 0x1FFFF7E8 on F1 (stm32f103xb.h:627). The GigaDevice
 * rows have no address from a vendor source here, and the 0x1303 row may
 * be a GD32F1x0 or a GD32F10x: none rather than a guess. */
#define STM32F1_UID_F0F3 TARGET_UID(0x1FFFF7ACu, 8)
#define STM32F1_UID_F1 TARGET_UID(0x1FFFF7E8u, 8)
/* PM0075 / DS5319: tME 20 ms typical, 40 ms max on ST parts; the budget is
 * 25 times that (OpenOCD's fallback path polls BSY only 5 times, stm32f1x.c). */
#define STM32F1_ERASE_TYP_MS 40
#define STM32F1_ERASE_MAX_MS 1000
/* GD32 mass erase times are not in our sources (?): a wide budget. */
#define STM32F1_GD32_ERASE_TYP_MS 500
#define STM32F1_GD32_ERASE_MAX_MS 10000

static const struct target_part stm32f1_parts[] = {
	{.dev_id = 0x440, .name = "STM32F05x/F030x8", .core = CORTEXM_M0, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f0x.cfg",
	 .options_not_loaded_by_reset = true},
	{.dev_id = 0x444, .name = "STM32F03x/F030x4/6", .core = CORTEXM_M0, .flash_kb_max = 32,
	 .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL | STM32F1_WRP0,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f0x.cfg",
	 .options_not_loaded_by_reset = true},
	{.dev_id = 0x445, .name = "STM32F04x/F070x6", .core = CORTEXM_M0, .flash_kb_max = 32,
	 .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL | STM32F1_WRP0,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f0x.cfg",
	 .options_not_loaded_by_reset = true},
	{.dev_id = 0x448, .name = "STM32F07x", .core = CORTEXM_M0, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f0x.cfg",
	 .options_not_loaded_by_reset = true},
	{.dev_id = 0x442, .name = "STM32F09x/F030xC", .core = CORTEXM_M0, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f0x.cfg",
	 .options_not_loaded_by_reset = true},
	{.dev_id = 0x412, .name = "STM32F10x low density", .core = CORTEXM_M3, .flash_kb_max = 32,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x410, .name = "STM32F10x medium density", .core = CORTEXM_M3,
	 .flash_kb_max = 128,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x414, .name = "STM32F10x high density", .core = CORTEXM_M3, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x418, .name = "STM32F105/107 connectivity line", .core = CORTEXM_M3,
	 .flash_kb_max = 256,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x430, .name = "STM32F10x XL density", .core = CORTEXM_M3, .flash_kb_max = 1024,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .flags = STM32F1_XL,
	 .erase_typ_ms = 2 * STM32F1_ERASE_TYP_MS, .erase_max_ms = 2 * STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x420, .name = "STM32F100 value line low/medium density", .core = CORTEXM_M3,
	 .flash_kb_max = 128,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x428, .name = "STM32F100 value line high density", .core = CORTEXM_M3,
	 .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F1, .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x422, .name = "STM32F302xB/C/F303xB/C/F358", .core = CORTEXM_M4,
	 .flash_kb_max = 256,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f3x.cfg"},
	{.dev_id = 0x432, .name = "STM32F37x", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f3x.cfg"},
	{.dev_id = 0x438, .name = "STM32F303x6/8/F328/F334", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f3x.cfg"},
	{.dev_id = 0x439, .name = "STM32F301/F302x6/8/F318", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f3x.cfg"},
	{.dev_id = 0x446, .name = "STM32F302/303xD/E/F398", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F0F3,
	 .flags = STM32F1_F0_STYLE | STM32F1_OBL,
	 .erase_typ_ms = STM32F1_ERASE_TYP_MS, .erase_max_ms = STM32F1_ERASE_MAX_MS,
	 .uid_addr = STM32F1_UID_F0F3, .openocd_target = "target/stm32f3x.cfg"},
	/* GigaDevice: DEV_ID 0x410 with their own REV_IDs (OpenOCD stm32f1x.c).
	 * GD32F10x was also reported with REV_ID 0x1303 (docs/targets/stm32f1.md):
	 * the name says so; the flow is the same, but a GD32F10x's WP2/WP3
	 * (gd32f10x_fmc.h:67-68) are then left erased. GD32F3x0's F_SIZE: 0x1FFFF7E0 as on
	 * every GD32 manual's "memory density information" (?) - OpenOCD reads
	 * 0x1FFFF7CC on Cortex-M4. GD32F10x/F30x with other REV_IDs are
	 * driven through the STM32F1 rows: same flow, same 0xA5 key. */
	{.dev_id = 0x410, .rev_id = 0x1303, .name = "GD32F1x0 (or GD32F10x)", .core = CORTEXM_M3,
	 .flash_kb_max = 64, .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .flags = STM32F1_GD32 | STM32F1_GD32_HSPC | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F1_GD32_ERASE_MAX_MS,
	 .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x410, .rev_id = 0x1704, .name = "GD32F3x0", .core = CORTEXM_M4,
	 .flash_kb_max = 128,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .flags = STM32F1_GD32 | STM32F1_GD32_HSPC | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F1_GD32_ERASE_MAX_MS,
	 .openocd_target = "target/stm32f1x.cfg"},
	{.dev_id = 0x410, .rev_id = 0x1909, .name = "GD32E23x", .core = CORTEXM_M23,
	 .flash_kb_max = 64, .dbgmcu_addr = STM32F1_DBGMCU_APB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .flags = STM32F1_GD32 | STM32F1_GD32_HSPC | STM32F1_WRP01,
	 .erase_typ_ms = STM32F1_GD32_ERASE_TYP_MS, .erase_max_ms = STM32F1_GD32_ERASE_MAX_MS,
	 .openocd_target = "target/gd32e23x.cfg"},
	/* GD32F20x says the connectivity line's DEV_ID 0x418 with REV_ID 0x1508
	 * (a GD32F205: IDCODE 0x15080418, programmed with OpenOCD's stm32f1x,
	 * CommunityGD32Cores/platform-gd32 issue #25). Up to 3 MB; above 512 KB
	 * a second FMC bank with its registers at +0x40 like the F1 XL
	 * (FMC_STAT1 0x4C, gd32f20x_fmc.h:57): BSY is watched in both.
	 * F1-style FMC_OBSTAT (gd32f20x_fmc.h:102-105). Erase budget x3 for the
	 * size (?). */
	{.dev_id = 0x418, .rev_id = 0x1508, .name = "GD32F20x", .core = CORTEXM_M3,
	 .flash_kb_max = 3072,
	 .dbgmcu_addr = STM32F1_DBGMCU_PPB, .flash_size_addr = STM32F1_FSIZE_F1,
	 .flags = STM32F1_GD32 | STM32F1_XL,
	 .erase_typ_ms = 2 * STM32F1_GD32_ERASE_TYP_MS,
	 .erase_max_ms = 3 * STM32F1_GD32_ERASE_MAX_MS,
	 .openocd_target = "target/stm32f1x.cfg"},
};

static bool stm32f1_is(const struct target *t, uint32_t flag)
{
	return (t->part->flags & flag) != 0;
}

/* The RDP byte that means level 0 on this part. */
static uint8_t stm32f1_level0_byte(const struct target *t)
{
	return stm32f1_is(t, STM32F1_F0_STYLE) ? STM32_RDP_LEVEL0 : STM32F1_F1_RDP_LEVEL0;
}

/* The byte a stored half-word loads as: its low byte when the complement
 * matches, 0xFF otherwise (erased, or OPTERR: RM0091 §4.1). */
static uint8_t stm32f1_ob_byte(uint16_t hw)
{
	uint8_t v = (uint8_t)hw;

	return (uint8_t)(hw >> 8) == (uint8_t)~v ? v : 0xFF;
}

static uint16_t stm32f1_ob_halfword(uint8_t v)
{
	return (uint16_t)(v | (uint16_t)(uint8_t)~v << 8);
}

/* Level from the loaded image (FLASH_OBR) and the stored RDP half-word.
 * A stored level-2 byte (0xCC on F0/F3, GigaDevice's "high" 0xCC) counts as
 * level 2 even before it is loaded: the next reset makes it permanent and
 * rdpd never touches such a chip. STM32F1 has no level 2: 0xCC is level 1
 * there (PM0075 §2.4.1). */
static enum rdp_level stm32f1_level(const struct target *t, uint32_t obr, uint16_t rdp_hw)
{
	uint8_t stored = (uint8_t)rdp_hw;

	if (stm32f1_is(t, STM32F1_F0_STYLE | STM32F1_GD32_HSPC) && stored == STM32_RDP_LEVEL2)
		return RDP_LEVEL_2;
	/* OBR RDPRT [2:1] on F0/F3: 01 level 1, 11 level 2 (RM0091 §3.5.6,
	 * CMSIS FLASH_OBR_RDPRT2). GD32 parts of REV 0x1303 may be F1-style,
	 * where bit 2 is IWDG_SW: only bit 1 is read there. */
	if (stm32f1_is(t, STM32F1_F0_STYLE) && (obr & STM32F1_OBR_RDPRT2))
		return RDP_LEVEL_2;
	return (obr & STM32F1_OBR_RDPRT1) ? RDP_LEVEL_1 : RDP_LEVEL_0;
}

/* The level the stored RDP half-word will give once loaded: the level-0
 * key, a level-2 byte where the part has level 2, anything else (a
 * complement that does not match loads as 0xFF) level 1. */
static enum rdp_level stm32f1_stored_level(const struct target *t, uint16_t rdp_hw)
{
	uint8_t b = (uint8_t)rdp_hw;

	if ((uint8_t)(rdp_hw >> 8) != (uint8_t)~b)
		return RDP_LEVEL_1;
	if (b == stm32f1_level0_byte(t))
		return RDP_LEVEL_0;
	return stm32f1_level(t, STM32F1_OBR_RDPRT1, rdp_hw);
}

/* WRP half-words the part has (OB_TypeDef: WRP0 only on F030x4/x6, F031,
 * F038, F042, F048, F070x6, stm32f030x6.h:221; WRP0/1 on F030x8/F05x,
 * F3x8, GD32F1x0/F3x0/E23x; WRP0..3 elsewhere). The others are reserved:
 * never written, never checked. */
static unsigned stm32f1_wrp_bytes(const struct target *t)
{
	if (stm32f1_is(t, STM32F1_WRP0))
		return 1;
	return stm32f1_is(t, STM32F1_WRP01) ? 2 : 4;
}

/* The FLASH_WRPR bits that exist: one byte per WRP half-word. */
static uint32_t stm32f1_wrp_mask(const struct target *t)
{
	unsigned n = stm32f1_wrp_bytes(t);

	return n == 4 ? 0xFFFFFFFFu : (1u << (8 * n)) - 1;
}

/* FLASH_OBR, FLASH_WRPR and the stored option half-words, in one batch. */
/* What stm32f1_read_options reads, in its order (read ahead). */
static size_t stm32f1_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	size_t n = 0;

	if (cap < 6)
		return 0;
	addr[n++] = STM32F1_FLASH_OBR;
	addr[n++] = STM32F1_FLASH_WRPR;
	for (unsigned i = 0; i < 4; i++)
		addr[n++] = STM32F1_OB_BASE + 4 * i;
	return n;
}

static int stm32f1_read_options(struct target *t, uint32_t *obr, uint32_t *wrpr, uint16_t ob[8])
{
	uint32_t w[4] = {0};
	int rc;

	mem_read32(t->a, STM32F1_FLASH_OBR, obr);
	mem_read32(t->a, STM32F1_FLASH_WRPR, wrpr);
	for (unsigned i = 0; i < 4; i++)
		mem_read32(t->a, STM32F1_OB_BASE + 4 * i, &w[i]);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "reading FLASH_OBR and the option bytes: ");
	for (unsigned i = 0; i < 4; i++) {
		ob[2 * i] = (uint16_t)w[i];
		ob[2 * i + 1] = (uint16_t)(w[i] >> 16);
	}
	return 0;
}

static int stm32f1_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t obr = 0, wrpr = 0, mask;
	uint16_t ob[8];
	int rc = stm32f1_read_options(t, &obr, &wrpr, ob);

	if (rc < 0)
		return rc;
	mask = stm32f1_wrp_mask(t);
	p->level = stm32f1_level(t, obr, ob[STM32F1_OB_RDP]);
	p->rdp_raw = ob[STM32F1_OB_RDP] & 0xFF;
	p->wrp_raw = wrpr & mask;
	/* WRPR bit = 0: that page group is write-protected (PM0075 §2.5). */
	p->wrp_sectors = ~wrpr & mask;
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){"obr", obr};
	p->options[p->n_options++] = (struct target_option){"wrpr", wrpr};
	p->options[p->n_options++] = (struct target_option){"ob_rdp_user", ob[0] | (uint32_t)ob[1] << 16};
	p->options[p->n_options++] = (struct target_option){"ob_data", ob[2] | (uint32_t)ob[3] << 16};
	if (stm32f1_wrp_bytes(t) == 1)
		p->options[p->n_options++] = (struct target_option){"ob_wrp0", ob[4]};
	else
		p->options[p->n_options++] = (struct target_option){"ob_wrp01", ob[4] | (uint32_t)ob[5] << 16};
	if (stm32f1_wrp_bytes(t) == 4)
		p->options[p->n_options++] = (struct target_option){"ob_wrp23", ob[6] | (uint32_t)ob[7] << 16};
	if (obr & STM32F1_OBR_OPTERR)
		p->options[p->n_options++] = (struct target_option){"opterr", 1};
	/* Programmed but not loaded: on an F0 a tool that only reset the chip
	 * leaves it so until a power-on reset or OBL_LAUNCH (RM0360 §4). */
	if (stm32f1_stored_level(t, ob[STM32F1_OB_RDP]) != p->level && p->n_options < TARGET_MAX_OPTIONS)
		p->options[p->n_options++] = (struct target_option){"rdp_stored", ob[STM32F1_OB_RDP] & 0xFF};
	return 0;
}

/* Clear CR.LOCK, then set OPTWRE. A wrong or repeated key locks the FPEC
 * until the next reset (PM0075 §2.3.1), so each key pair is written only
 * when its lock is on, and the result is checked. */
static int stm32f1_unlock(struct target *t, uint32_t *cr)
{
	int rc;

	if (*cr & STM32F1_CR_LOCK) {
		mem_write32(t->a, STM32F1_FLASH_KEYR, STM32_FLASH_KEY1);
		mem_write32(t->a, STM32F1_FLASH_KEYR, STM32_FLASH_KEY2);
	}
	/* OPTKEYR takes the same keys once LOCK is clear (RM0091 §3.5.3). */
	if (!(*cr & STM32F1_CR_OPTWRE)) {
		mem_write32(t->a, STM32F1_FLASH_OPTKEYR, STM32_FLASH_KEY1);
		mem_write32(t->a, STM32F1_FLASH_OPTKEYR, STM32_FLASH_KEY2);
	}
	mem_read32(t->a, STM32F1_FLASH_CR, cr);
	rc = adiv5_run(t->a);
	if (rc < 0)
		return err_context(rc, "writing the flash and option keys: ");
	if ((*cr & STM32F1_CR_LOCK) || !(*cr & STM32F1_CR_OPTWRE))
		return err_setf(ERR_FLASH_LOCKED,
				"FLASH_CR stayed locked after the keys (0x%08x); reset the board and try again",
				*cr);
	return 0;
}

/* Wait for BSY in FLASH_SR (and FLASH_SR2 on XL parts, whose bank 2 the
 * regression also erases (?)), then check the error flags. */
static int stm32f1_wait(struct target *t, unsigned typ_ms, unsigned max_ms,
			const struct target_events *ev, const char *what)
{
	uint32_t sr = 0, sr2 = 0;
	int rc = stm32_wait_not_busy(t, STM32F1_FLASH_SR, STM32F1_SR_BSY, typ_ms, max_ms, ev, &sr, NULL);

	if (rc == 0 && stm32f1_is(t, STM32F1_XL))
		rc = stm32_wait_not_busy(t, STM32F1_FLASH_SR2, STM32F1_SR_BSY, 0, max_ms, NULL, &sr2, NULL);
	if (rc < 0)
		return err_context(rc, "%s: ", what);
	if ((sr | sr2) & STM32F1_SR_ERRORS)
		return err_setf(ERR_FLASH_ERROR, "%s: FLASH_SR 0x%08x%s", what, sr | sr2,
				(sr & STM32F1_SR_WRPRTERR) ? ": the option bytes refused the change"
							   : ": the option half-word was not erased");
	return 0;
}

/* Program one option half-word (CR.OPTPG must be set) and wait for it. */
static int stm32f1_program_half(struct target *t, unsigned idx, uint16_t hw, unsigned typ_ms,
				unsigned max_ms, const struct target_events *ev, const char *what)
{
	int rc;

	mem_write16(t->a, STM32F1_OB_BASE + 2 * idx, hw);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "%s: ", what);
	return stm32f1_wait(t, typ_ms, max_ms, ev, what);
}

static int stm32f1_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	static const char *const names[STM32F1_OB_HALFWORDS] = {
		"RDP", "USER", "DATA0", "DATA1", "WRP0", "WRP1", "WRP2", "WRP3",
	};
	const bool erases = level == RDP_LEVEL_0;
	uint32_t sr = 0, cr = 0, obr = 0, wrpr = 0;
	uint16_t ob[8], want[8], check[8];
	unsigned n_ob;
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	if (erases)
		rdp = stm32f1_level0_byte(t);
	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming options anyway", err_detail());
	if ((rc = stm32f1_read_options(t, &obr, &wrpr, ob)) < 0)
		return rc;
	if (stm32f1_level(t, obr, ob[STM32F1_OB_RDP]) == RDP_LEVEL_2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"option byte RDP = 0x%04x, FLASH_OBR 0x%08x: level 2 is permanent; nothing was written",
				ob[STM32F1_OB_RDP], obr);
	mem_read32(t->a, STM32F1_FLASH_SR, &sr);
	mem_read32(t->a, STM32F1_FLASH_CR, &cr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the flash controller: ");
	if (sr & STM32F1_SR_BSY) {
		rc = stm32_wait_not_busy(t, STM32F1_FLASH_SR, STM32F1_SR_BSY, 0, 1000, NULL, &sr, NULL);
		if (rc < 0)
			return err_context(rc, "waiting for a flash operation in progress: ");
	}
	/* What to write back after the page erase: every option byte as it
	 * loads today, each with its complement, as OpenOCD does: an erased
	 * half-word loads as 0xFF cleanly only on F0/F3 (RM0091 §4.1), on F1
	 * it sets OPTERR (?). WRPx only where they exist (RM0365 §5 table 12:
	 * "must be kept at reset value"; stm32f1_wrp_bytes). */
	n_ob = STM32F1_OB_WRP0 + stm32f1_wrp_bytes(t);
	want[STM32F1_OB_RDP] = stm32f1_ob_halfword(rdp);
	for (unsigned i = 1; i < STM32F1_OB_HALFWORDS; i++)
		want[i] = i < n_ob ? stm32f1_ob_halfword(stm32f1_ob_byte(ob[i])) : 0xFFFF;
	{
		uint32_t wrp_stored = 0;

		for (unsigned i = 0; i < stm32f1_wrp_bytes(t); i++)
			wrp_stored |= (uint32_t)stm32f1_ob_byte(ob[4 + i]) << (8 * i);
		if ((wrp_stored ^ wrpr) & stm32f1_wrp_mask(t))
			stm32_log(ev, "stored WRP 0x%08x differs from the loaded FLASH_WRPR 0x%08x "
				  "(a change waiting for reset): keeping the stored one", wrp_stored, wrpr);
	}
	if ((rc = stm32f1_unlock(t, &cr)) < 0)
		return rc;
	stm32_log(ev, "erasing the option bytes, then RDP 0x%04x%s", want[0],
		  erases ? ": the controller then mass-erases the flash" : "");
	/* Option page erase (PM0075 §2.3.2): RDP reads erased (protected)
	 * afterwards; nothing of the main flash is erased yet. */
	mem_write32(t->a, STM32F1_FLASH_SR, STM32F1_SR_ERRORS | STM32F1_SR_EOP);
	mem_write32(t->a, STM32F1_FLASH_CR, STM32F1_CR_OPTER | STM32F1_CR_OPTWRE);
	mem_write32(t->a, STM32F1_FLASH_CR, STM32F1_CR_OPTER | STM32F1_CR_STRT | STM32F1_CR_OPTWRE);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "starting the option erase: ");
	if ((rc = stm32f1_wait(t, 0, STM32F1_ERASE_MAX_MS, NULL, "option erase")) < 0)
		goto lock;
	mem_write32(t->a, STM32F1_FLASH_CR, STM32F1_CR_OPTPG | STM32F1_CR_OPTWRE);
	if ((rc = adiv5_run(t->a)) < 0)
		goto lock;
	/* "This operation first forces a Mass Erase of the main Flash memory"
	 * (PM0075 §2.4.1): BSY stays set for the whole erase. */
	rc = stm32f1_program_half(t, STM32F1_OB_RDP, want[0], erases ? t->part->erase_typ_ms : 0,
				  erases ? t->part->erase_max_ms : STM32F1_ERASE_MAX_MS, erases ? ev : NULL,
				  erases ? "mass erase" : "programming RDP");
	for (unsigned i = 1; rc == 0 && i < n_ob; i++)
		rc = stm32f1_program_half(t, i, want[i], 0, STM32F1_ERASE_MAX_MS, NULL, names[i]);
lock:
	/* Setting LOCK also clears OPTWRE (PM0075 §3.4). After a failure (a
	 * chip that lost power, say) the lock is tried all the same, but the
	 * sentence that counts is the failure's. */
	{
		char why[ERR_DETAIL_MAX];
		int lrc;

		err_save(why);
		lrc = mem_write32_now(t->a, STM32F1_FLASH_CR, STM32F1_CR_LOCK);
		if (lrc < 0 && rc == 0)
			rc = err_context(lrc, "locking FLASH_CR: ");
		else if (rc < 0)
			err_restore(why);
	}
	if (rc < 0)
		return rc;
	if ((rc = stm32f1_read_options(t, &obr, &wrpr, check)) < 0)
		return rc;
	for (unsigned i = 0; i < n_ob; i++)
		if (check[i] != want[i])
			return err_setf(ERR_VERIFY_FAILED,
					"option byte %s reads 0x%04x after programming 0x%04x",
					names[i], check[i], want[i]);
	stm32_log(ev, "option bytes programmed; they load at the next reset");
	return 0;
}

/* F1 loads the options at a system reset (PM0075 §2.5); F0/F3 through
 * OBL_LAUNCH (RM0360 §4: a system reset does not load them on F030/F070),
 * which resets the chip, so the write that sets it may not be acknowledged
 * cleanly (OpenOCD ignores it). GD32F1x0/F3x0/E23x have the same bit
 * (FMC_CTL_OBRLD, gd32f1x0_fmc.h:97), but are reset like F1 here: a
 * GD32F10x behind REV_ID 0x1303 has no such bit (?).
 * With the level back at 0 the debugger may read flash without a power
 * cycle (?: the RMs ask for a POR only after *setting* protection with a
 * debugger attached); the unlock job's read-back still catches a fault. */
static int stm32f1_apply(struct target *t, bool *power_cycle)
{
	struct timespec two_ms = {.tv_nsec = 2000000L};
	int rc;

	*power_cycle = false;
	if (!stm32f1_is(t, STM32F1_OBL))
		return cortexm_reset_halt(t->a);
	/* Halt at the reset vector after the reload, as reset_halt does: the
	 * reset clears C_HALT, only the vector catch stops the core. */
	if ((rc = cortexm_catch_reset(t->a)) < 0)
		return err_context(rc, "arming the reset vector catch: ");
	mem_write32(t->a, STM32F1_FLASH_KEYR, STM32_FLASH_KEY1);
	mem_write32(t->a, STM32F1_FLASH_KEYR, STM32_FLASH_KEY2);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "unlocking FLASH_CR for OBL_LAUNCH: ");
	mem_write32(t->a, STM32F1_FLASH_CR, STM32F1_CR_OBL_LAUNCH);
	(void)adiv5_run(t->a); /* the reset may cut the ACK short: ignored on purpose */
	err_clear();
	adiv5_invalidate(t->a);
	nanosleep(&two_ms, NULL);
	if ((rc = target_reattach(t)) < 0)
		return err_context(rc, "connecting again after OBL_LAUNCH: ");
	if ((rc = cortexm_wait_reset_caught(t->a)) < 0)
		return err_context(rc, "halting after OBL_LAUNCH: ");
	return 0;
}

const struct target_driver stm32f1_driver = {
	.name = "stm32f1",
	.family = "STM32F0/F1/F3, GD32F1x0/F3x0/E23x/F20x",
	.parts = stm32f1_parts,
	.n_parts = sizeof(stm32f1_parts) / sizeof(stm32f1_parts[0]),
	.scheme = "stm32-rdp",
	.erase_scope = "the whole main flash (both banks on XL parts) and, on F0/F3, the RTC backup registers",
	.unlock_summary = "option page erased, RDP written (0xA5 on F1 and GD32, 0xAA on F0/F3), other option bytes "
			  "restored; OBL_LAUNCH on F0/F3, a reset elsewhere",
	.openocd_unlock = "stm32f1x unlock 0",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32f1_read_protection,
	.protection_words = stm32f1_protection_words,
	.set_level = stm32f1_set_level,
	.apply = stm32f1_apply,
};
