/*
 * at32f4.c - the Artery AT32F4 flash controller (F1-like register layout,
 * "flash access protection" FAP instead of RDP) and its user system data.
 *
 * References:
 *   AT32F403A/407, AT32F413, AT32F415, AT32F421, AT32F423, AT32F425,
 *   AT32F435/437, AT32WB415 reference manuals, chapter "Flash memory
 *   controller": FLASH_USD (FAP, FAP_HL), "Flash access protection",
 *   "User system data area" (not re-read here).
 *   Artery BSP (at32f403a_407_crm.h): CRM_CTRL HICKEN bit 0, HICKSTBL bit 1;
 *   at32f403a_407 middlewares hid_iap_class.h: flash size at 0x1FFFF7E0.
 *   OpenOCD src/flash/nor/artery.c/.h: product ids (PID) per part and
 *   series, register bases, FAP readback, `artery fap disable/enable`.
 *   Artery firmware libraries at32f4xx_flash.h / _crm.h per series (flash
 *          registers, USD layout, keys, FAP values); constants and their
 *          sources: docs/targets/at32f4.md.
 *
 * Identification is by the whole 32-bit word at 0xE0042000 (the PID): its
 * bits 15:12 tell AT32F423C8T7 (0x7003210B) from AT32F415R8T7-7 (0x7003010B),
 * so the DEV_ID/REV_ID pair of the ST rows cannot be used. Three PIDs are
 * shared by AT32F413 and AT32F415; the F413 has an FPU (OpenOCD artery.c).
 *
 * Regression (OpenOCD artery_disable_fap): with HICK running, unlock the
 * controller (UNLOCK keys clear CTRL.OPLK) and the USD (USD_UNLOCK keys set
 * CTRL.USDULKS), erase the USD (USDERS + ERSTR), then program the FAP
 * half-word with 0xA5: the chip mass-erases the main flash and resets by
 * itself, so that write may not be acknowledged and the link must be
 * opened again. The other USD contents (SSB, user data, EPP) were erased
 * with the area; they are saved first and programmed back once the chip is
 * up again (into erased half-words: no second USD erase), then loaded by
 * the reset of apply().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define AT32F4_DBGMCU 0xE0042000u
#define AT32F4_FSIZE 0x1FFFF7E0u
/* The UID at 0x1FFFF7E8 on every AT32F4 series (Artery's firmware
 * libraries, middlewares/usbd_class/audio/audio_desc.h MCU_ID1..MCU_ID3 at
 * 0x1FFFF7E8..0x1FFFF7F0; docs/uid.md). Unreadable while FAP is on
 * (OpenOCD artery.c): then the identification reads none. */
#define AT32F4_UID TARGET_UID(0x1FFFF7E8u, 8)

/* Register offsets from the flash register base (OpenOCD artery.c). */
#define AT32F4_UNLOCK 0x04u
#define AT32F4_USD_UNLOCK 0x08u
#define AT32F4_STS 0x0Cu
#define AT32F4_CTRL 0x10u
#define AT32F4_USD 0x1Cu
#define AT32F4_EPPS0 0x20u
#define AT32F4_EPPS1 0x2Cu /* F435/437 only */

#define AT32F4_STS_OBF (1u << 0)
#define AT32F4_STS_PRGMERR (1u << 2)
#define AT32F4_STS_EPPERR (1u << 4)
#define AT32F4_STS_ODF (1u << 5)
#define AT32F4_STS_ERRORS (AT32F4_STS_PRGMERR | AT32F4_STS_EPPERR)

#define AT32F4_CTRL_USDPRGM (1u << 4)
#define AT32F4_CTRL_USDERS (1u << 5)
#define AT32F4_CTRL_ERSTR (1u << 6)
#define AT32F4_CTRL_OPLK (1u << 7)
#define AT32F4_CTRL_USDULKS (1u << 9)

#define AT32F4_USD_FAP (1u << 1)
#define AT32F4_USD_FAP_HL (1u << 26)

/* CRM_CTRL (Artery BSP; OpenOCD's artery.h names the two bits the other way
 * round, harmless there because HICK is on after reset). */
#define AT32F4_CRM_HICKEN (1u << 0)
#define AT32F4_CRM_HICKSTBL (1u << 1)

#define AT32F4_FAP_DISABLED 0xA5u
#define AT32F4_FAP_LOW 0xFFu
#define AT32F4_FAP_HIGH 0xCCu

/* Part flags: the series' controller (OpenOCD artery_series table). */
#define AT32F4_HIGH (1u << 0)     /* has the FAP high level (0xCC) */
#define AT32F4_BASE_3C00 (1u << 1) /* flash regs 0x40023C00, CRM 0x40023800 */
#define AT32F4_USD_C000 (1u << 2) /* USD at 0x1FFFC000 instead of 0x1FFFF800 */
#define AT32F4_EPP_EXT (1u << 3)  /* EPPS1 */
#define AT32F4_FPU (1u << 4)      /* Cortex-M4F: tells F413 from F415 */
#define AT32F4_USD_SHIFT 16       /* USD area size in 16-byte units */
#define AT32F4_USD_SIZE(bytes) ((uint32_t)((bytes) / 16) << AT32F4_USD_SHIFT)

/* Each series' flags (docs/targets/at32f4.md, "Identification"). */
#define AT32F4_F403A (AT32F4_FPU | AT32F4_USD_SIZE(48))
#define AT32F4_F413 (AT32F4_FPU | AT32F4_USD_SIZE(48))
#define AT32F4_F415 (AT32F4_HIGH | AT32F4_USD_SIZE(1024))
#define AT32F4_F421 (AT32F4_HIGH | AT32F4_USD_SIZE(512))
#define AT32F4_F423 (AT32F4_HIGH | AT32F4_BASE_3C00 | AT32F4_FPU | AT32F4_USD_SIZE(512))
#define AT32F4_F425 (AT32F4_HIGH | AT32F4_USD_SIZE(512))
#define AT32F4_F435 (AT32F4_BASE_3C00 | AT32F4_USD_C000 | AT32F4_EPP_EXT | AT32F4_FPU)
#define AT32F4_WB415 (AT32F4_HIGH | AT32F4_USD_SIZE(1024))

/* Mass erase: OpenOCD allows 2.4 s (FLASH_MASS_ERASE_TIMEOUT); the typical
 * times are guesses scaled with size (?). */
#define AT32F4_ERASE_TYP_MS(kb) (100 + (kb) / 2)
#define AT32F4_ERASE_MAX_MS 10000

/* One row per series and flash size; the PID table below points here. The
 * F_SIZE address 0x1FFFF7E0 is the same on every series (each Artery
 * library's usart_iap_demo flash.h, "flash capacity register"), but the
 * PID's size is what counts (at32f4_flash_kb). */
static const struct target_part at32f4_parts[] = {
	{.name = "AT32F403A/407xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F403A,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F403A/407xE", .core = CORTEXM_M4, .flash_kb_max = 512,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F403A,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(512), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F403A/407xG", .core = CORTEXM_M4, .flash_kb_max = 1024,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F403A,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(1024), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F413x8", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F413,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(64), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F413xB", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F413,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(128), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F413xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F413,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F415x8", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F415,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(64), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F415xB", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F415,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(128), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F415xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F415,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F421x4", .core = CORTEXM_M4, .flash_kb_max = 16,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F421,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(16), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F421x6", .core = CORTEXM_M4, .flash_kb_max = 32,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F421,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(32), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F421x8", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F421,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(64), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F423x8", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F423,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(64), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F423xB", .core = CORTEXM_M4, .flash_kb_max = 128,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F423,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(128), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F423xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F423,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F425x6", .core = CORTEXM_M4, .flash_kb_max = 32,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F425,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(32), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F425x8", .core = CORTEXM_M4, .flash_kb_max = 64,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F425,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(64), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F435/437xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F435 | AT32F4_USD_SIZE(512),
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32F435/437xD", .core = CORTEXM_M4, .flash_kb_max = 448,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_F435 | AT32F4_USD_SIZE(4096),
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(448), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
	{.name = "AT32WB415xC", .core = CORTEXM_M4, .flash_kb_max = 256,
	 .dbgmcu_addr = AT32F4_DBGMCU, .flash_size_addr = AT32F4_FSIZE,
	 .flags = AT32F4_WB415,
	 .erase_typ_ms = AT32F4_ERASE_TYP_MS(256), .erase_max_ms = AT32F4_ERASE_MAX_MS,
	 .uid_addr = AT32F4_UID},
};

enum {
	F403A_C, F403A_E, F403A_G, F413_8, F413_B, F413_C, F415_8, F415_B, F415_C,
	F421_4, F421_6, F421_8, F423_8, F423_B, F423_C, F425_6, F425_8, F435_C, F435_D, WB415_C,
};

/* Product ids (OpenOCD artery.c artery_parts; the xG F403A/407 ids from its
 * earlier table), each to its row. */
static const struct at32f4_pid {
	uint32_t pid;
	uint8_t row;
} at32f4_pids[] = {
	{0x70050240, F403A_C}, {0x70050241, F403A_C}, {0x70050242, F403A_C}, {0x70050243, F403A_C},
	{0x70050249, F403A_C}, {0x7005024A, F403A_C}, {0x70050254, F403A_C},
	{0x700502CD, F403A_E}, {0x700502CE, F403A_E}, {0x700502CF, F403A_E}, {0x700502D0, F403A_E},
	{0x700502D1, F403A_E}, {0x700502D2, F403A_E},
	{0x70050344, F403A_G}, {0x70050345, F403A_G}, {0x70050346, F403A_G}, {0x70050347, F403A_G},
	{0x7005034B, F403A_G}, {0x7005034C, F403A_G}, {0x70050353, F403A_G},
	{0x70030106, F413_8},
	{0x700301C1, F413_B}, {0x700301C3, F413_B}, {0x700301C5, F413_B}, {0x700301CA, F413_B},
	{0x70030240, F413_C}, {0x70030242, F413_C}, {0x70030244, F413_C}, {0x70030247, F413_C},
	{0x70030108, F415_8}, {0x70030109, F415_8}, {0x7003010A, F415_8},
	{0x700301C4, F415_B}, {0x700301C5, F415_B}, {0x700301C6, F415_B}, {0x700301C7, F415_B},
	{0x700301CD, F415_B},
	{0x70030240, F415_C}, {0x70030241, F415_C}, {0x70030242, F415_C}, {0x70030243, F415_C},
	{0x7003024C, F415_C},
	{0x5001000C, F421_4}, {0x5001000D, F421_4}, {0x5001000E, F421_4}, {0x5001000F, F421_4},
	{0x50010010, F421_4}, {0x50010011, F421_4}, {0x50010014, F421_4},
	{0x50020086, F421_6}, {0x50020087, F421_6}, {0x50020088, F421_6}, {0x50020089, F421_6},
	{0x5002008A, F421_6}, {0x5002008B, F421_6}, {0x50020093, F421_6},
	{0x50020100, F421_8}, {0x50020101, F421_8}, {0x50020102, F421_8}, {0x50020103, F421_8},
	{0x50020104, F421_8}, {0x50020105, F421_8}, {0x50020112, F421_8},
	{0x70032102, F423_8}, {0x70032105, F423_8}, {0x70032108, F423_8}, {0x7003210B, F423_8},
	{0x7003210E, F423_8}, {0x70032112, F423_8}, {0x70032115, F423_8},
	{0x700A21C1, F423_B}, {0x700A21C4, F423_B}, {0x700A21C7, F423_B}, {0x700A21CA, F423_B},
	{0x700A21CD, F423_B}, {0x700A21D1, F423_B}, {0x700A21D4, F423_B},
	{0x700A3240, F423_C}, {0x700A3243, F423_C}, {0x700A3246, F423_C}, {0x700A3249, F423_C},
	{0x700A324C, F423_C}, {0x700A3250, F423_C}, {0x700A3253, F423_C},
	{0x50092081, F425_6}, {0x50092084, F425_6}, {0x50092087, F425_6}, {0x5009208A, F425_6},
	{0x5009208D, F425_6}, {0x50092090, F425_6}, {0x50092093, F425_6},
	{0x50092100, F425_8}, {0x50092103, F425_8}, {0x50092106, F425_8}, {0x50092109, F425_8},
	{0x5009210C, F425_8}, {0x5009210F, F425_8}, {0x50092112, F425_8},
	{0x70083242, F435_C}, {0x70083245, F435_C}, {0x70083248, F435_C}, {0x7008324B, F435_C},
	{0x7008324E, F435_C}, {0x70083251, F435_C}, {0x70083254, F435_C}, {0x70083257, F435_C},
	{0x70084598, F435_D}, {0x70084599, F435_D}, {0x7008459A, F435_D}, {0x7008459B, F435_D},
	{0x7008459C, F435_D}, {0x7008459D, F435_D}, {0x7008459E, F435_D}, {0x7008459F, F435_D},
	{0x70030250, WB415_C},
};

#define AT32F4_NPIDS (sizeof(at32f4_pids) / sizeof(at32f4_pids[0]))
#define AT32F4_MVFR0 0xE000EF40u

static bool at32f4_is(const struct target *t, uint32_t flag)
{
	return (t->part->flags & flag) != 0;
}

static uint32_t at32f4_reg(const struct target *t, uint32_t off)
{
	return (at32f4_is(t, AT32F4_BASE_3C00) ? 0x40023C00u : 0x40022000u) + off;
}

static uint32_t at32f4_crm_ctrl(const struct target *t)
{
	return at32f4_is(t, AT32F4_BASE_3C00) ? 0x40023800u : 0x40021000u;
}

static uint32_t at32f4_usd_base(const struct target *t)
{
	return at32f4_is(t, AT32F4_USD_C000) ? 0x1FFFC000u : 0x1FFFF800u;
}

static unsigned at32f4_usd_bytes(const struct target *t)
{
	return ((t->part->flags >> AT32F4_USD_SHIFT) & 0xFFFu) * 16u;
}

/* The row of PID; where F413 and F415 share it, the FPU decides (MVFR0 is
 * zero without one). 1: not an Artery id rdpd knows, or a shared one and
 * no link to read MVFR0 (T->a NULL); a failed MVFR0 read is the link's
 * error, not an unknown chip. */
static int at32f4_find_part(struct target *t, uint32_t dbgmcu_addr, uint32_t idcode,
			    const struct target_part **part)
{
	const struct target_part *hit[2];
	unsigned n = 0;
	uint32_t mvfr0 = 0;
	int rc;

	*part = NULL;
	if (dbgmcu_addr != AT32F4_DBGMCU)
		return 1;
	for (size_t i = 0; i < AT32F4_NPIDS && n < 2; i++)
		if (at32f4_pids[i].pid == idcode)
			hit[n++] = &at32f4_parts[at32f4_pids[i].row];
	if (n < 2) {
		*part = n ? hit[0] : NULL;
		return n ? 0 : 1;
	}
	if (!t || !t->a)
		return 1;
	if ((rc = mem_read32_now(t->a, AT32F4_MVFR0, &mvfr0)) < 0)
		return err_context(rc, "reading MVFR0 (an FPU tells AT32F413 from F415): ");
	*part = ((hit[0]->flags & AT32F4_FPU) != 0) == (mvfr0 != 0) ? hit[0] : hit[1];
	return 0;
}

/* The PID fixes the flash size (OpenOCD takes it from its table too). */
static unsigned at32f4_flash_kb(const struct target_part *part, uint16_t raw)
{
	(void)raw;
	return part->flash_kb_max;
}

/* Level from the loaded FLASH_USD bits and the stored FAP half-word: a
 * stored high level counts at once (the next reset makes it permanent). */
static enum rdp_level at32f4_level(const struct target *t, uint32_t usd, uint16_t fap_hw)
{
	bool high = at32f4_is(t, AT32F4_HIGH);

	if (high && (((usd & AT32F4_USD_FAP_HL) && (usd & AT32F4_USD_FAP)) ||
		     (uint8_t)fap_hw == AT32F4_FAP_HIGH))
		return RDP_LEVEL_2;
	return (usd & AT32F4_USD_FAP) ? RDP_LEVEL_1 : RDP_LEVEL_0;
}

/* FLASH_USD, EPPS0/1 and the first USD word (FAP, SSB) in one batch. */
/* What at32f4_read_regs reads, in its order (read ahead). */
static size_t at32f4_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	size_t n = 0;

	if (cap < 4)
		return 0;
	addr[n++] = at32f4_reg(t, AT32F4_USD);
	addr[n++] = at32f4_reg(t, AT32F4_EPPS0);
	if (at32f4_is(t, AT32F4_EPP_EXT))
		addr[n++] = at32f4_reg(t, AT32F4_EPPS1);
	addr[n++] = at32f4_usd_base(t);
	return n;
}

static int at32f4_read_regs(struct target *t, uint32_t *usd, uint32_t epps[2], uint32_t *usd0)
{
	int rc;

	epps[1] = 0xFFFFFFFFu;
	mem_read32(t->a, at32f4_reg(t, AT32F4_USD), usd);
	mem_read32(t->a, at32f4_reg(t, AT32F4_EPPS0), &epps[0]);
	if (at32f4_is(t, AT32F4_EPP_EXT))
		mem_read32(t->a, at32f4_reg(t, AT32F4_EPPS1), &epps[1]);
	mem_read32(t->a, at32f4_usd_base(t), usd0);
	rc = adiv5_run(t->a);
	return rc < 0 ? err_context(rc, "reading FLASH_USD and the user system data: ") : 0;
}

static int at32f4_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t usd = 0, epps[2], usd0 = 0;
	int rc = at32f4_read_regs(t, &usd, epps, &usd0);

	if (rc < 0)
		return rc;
	p->level = at32f4_level(t, usd, (uint16_t)usd0);
	p->rdp_raw = usd0 & 0xFF; /* the stored FAP byte */
	/* EPPS bit = 0: that sector group is erase/program protected. */
	p->wrp_raw = epps[0];
	p->wrp_sectors = ~((uint64_t)epps[1] << 32 | epps[0]);
	if (!at32f4_is(t, AT32F4_EPP_EXT))
		p->wrp_sectors &= 0xFFFFFFFFu;
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){"usd", usd};
	p->options[p->n_options++] = (struct target_option){"epps0", epps[0]};
	if (at32f4_is(t, AT32F4_EPP_EXT))
		p->options[p->n_options++] = (struct target_option){"epps1", epps[1]};
	p->options[p->n_options++] = (struct target_option){"usd_fap_ssb", usd0};
	return 0;
}

/* Flash operations need HICK (OpenOCD artery_enable_hiclk; the RMs' flash
 * chapter). Firmware running from a crystal may have stopped it. */
static int at32f4_hick_on(struct target *t)
{
	uint32_t crm = 0;
	int rc;

	if ((rc = mem_read32_now(t->a, at32f4_crm_ctrl(t), &crm)) < 0)
		return err_context(rc, "reading CRM_CTRL: ");
	if (crm & AT32F4_CRM_HICKSTBL)
		return 0;
	if ((rc = mem_write32_now(t->a, at32f4_crm_ctrl(t), crm | AT32F4_CRM_HICKEN)) < 0)
		return err_context(rc, "enabling HICK: ");
	/* HICK settles in microseconds: a few reads are plenty. */
	for (unsigned i = 0; rc == 0 && !(crm & AT32F4_CRM_HICKSTBL) && i < 100; i++)
		rc = mem_read32_now(t->a, at32f4_crm_ctrl(t), &crm);
	if (rc < 0)
		return err_context(rc, "waiting for HICK: ");
	if (!(crm & AT32F4_CRM_HICKSTBL))
		return err_setf(ERR_FLASH_ERROR, "HICK did not become stable (CRM_CTRL 0x%08x)", crm);
	return 0;
}

/* Clear OPLK, then set USDULKS; each key pair only when its lock is on: a
 * wrong or repeated sequence locks until reset (F1 heritage, PM0075 §2.3.1). */
static int at32f4_unlock(struct target *t)
{
	uint32_t ctrl = 0;
	int rc;

	if ((rc = at32f4_hick_on(t)) < 0)
		return rc;
	if ((rc = mem_read32_now(t->a, at32f4_reg(t, AT32F4_CTRL), &ctrl)) < 0)
		return err_context(rc, "reading FLASH_CTRL: ");
	if (ctrl & AT32F4_CTRL_OPLK) {
		mem_write32(t->a, at32f4_reg(t, AT32F4_UNLOCK), STM32_FLASH_KEY1);
		mem_write32(t->a, at32f4_reg(t, AT32F4_UNLOCK), STM32_FLASH_KEY2);
	}
	if (!(ctrl & AT32F4_CTRL_USDULKS)) {
		mem_write32(t->a, at32f4_reg(t, AT32F4_USD_UNLOCK), STM32_FLASH_KEY1);
		mem_write32(t->a, at32f4_reg(t, AT32F4_USD_UNLOCK), STM32_FLASH_KEY2);
	}
	mem_read32(t->a, at32f4_reg(t, AT32F4_CTRL), &ctrl);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "writing the flash and USD keys: ");
	if ((ctrl & AT32F4_CTRL_OPLK) || !(ctrl & AT32F4_CTRL_USDULKS))
		return err_setf(ERR_FLASH_LOCKED,
				"FLASH_CTRL stayed locked after the keys (0x%08x); reset the board and try again",
				ctrl);
	return 0;
}

static int at32f4_wait(struct target *t, const char *what)
{
	uint32_t sts = 0;
	int rc = stm32_wait_not_busy(t, at32f4_reg(t, AT32F4_STS), AT32F4_STS_OBF, 0, 500, NULL,
				     &sts, NULL);

	if (rc < 0)
		return err_context(rc, "%s: ", what);
	if (sts & AT32F4_STS_ERRORS)
		return err_setf(ERR_FLASH_ERROR, "%s: FLASH_STS 0x%08x", what, sts);
	return 0;
}

/* Program the half-words of IMG that are not erased (from half-word FIRST:
 * 1 skips the FAP half-word, already in after the regression). Half-words,
 * so that no write lands on a programmed location. */
static int at32f4_program_usd(struct target *t, const uint32_t *img, unsigned words, unsigned first)
{
	int rc;

	mem_write32(t->a, at32f4_reg(t, AT32F4_STS), AT32F4_STS_ERRORS | AT32F4_STS_ODF);
	mem_write32(t->a, at32f4_reg(t, AT32F4_CTRL), AT32F4_CTRL_USDULKS | AT32F4_CTRL_USDPRGM);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "starting USD programming: ");
	for (unsigned h = first; h < 2 * words; h++) {
		uint16_t v = (uint16_t)(img[h / 2] >> (16 * (h & 1)));

		if (v == 0xFFFF)
			continue;
		mem_write16(t->a, at32f4_usd_base(t) + 2 * h, v);
		if ((rc = adiv5_run(t->a)) < 0)
			return err_context(rc, "programming USD half-word %u: ", h);
		if ((rc = at32f4_wait(t, "programming the user system data")) < 0)
			return rc;
	}
	return 0;
}

/* Relock: setting OPLK also drops USDULKS. After a failure (a chip that
 * lost power, say) the failure's sentence is the one kept. */
static int at32f4_lock(struct target *t, int rc)
{
	char why[ERR_DETAIL_MAX];
	int lrc;

	err_save(why);
	lrc = mem_write32_now(t->a, at32f4_reg(t, AT32F4_CTRL), AT32F4_CTRL_OPLK);
	if (rc < 0) {
		err_restore(why);
		return rc;
	}
	return lrc < 0 ? err_context(lrc, "locking FLASH_CTRL: ") : 0;
}


/* How long the wire may stay silent while the chip resets itself after the
 * erase. No source gives the reset duration (?); a reset lasts
 * milliseconds and the debug port answers during the erase (FLASH_STS.OBF is
 * polled), so two seconds without an answer mean the chip or the wire is
 * gone, not resetting. */
#define AT32F4_SILENCE_MS 2000

/* After the FAP write: the chip erases, then resets by itself. Poll
 * (connecting again whenever the link dropped) until FLASH_USD says FAP is
 * off and nothing is busy, reporting progress against the typical time.
 * A chip that answers idle with FAP on and its FAP half-word still erased
 * never ran the erase (power lost or reset under the write): that is said at
 * once rather than after the whole budget; it loads at the low level and the
 * next unlock starts over. */
static int at32f4_wait_regression(struct target *t, const struct target_events *ev)
{
	int64_t start = target_now_ms();
	unsigned last_pct = 0;

	if (ev && ev->progress)
		ev->progress(ev->ctx, 0);
	char last[256] = "";
	int64_t silent_since = -1;

	for (;;) {
		uint32_t usd = 0, sts = 0, usd0 = 0;
		unsigned elapsed;
		int rc = target_reattach(t);

		if (rc == 0) {
			mem_read32(t->a, at32f4_reg(t, AT32F4_STS), &sts);
			mem_read32(t->a, at32f4_reg(t, AT32F4_USD), &usd);
			mem_read32(t->a, at32f4_usd_base(t), &usd0);
			rc = adiv5_run(t->a);
		}
		if (rc == 0 && !(sts & AT32F4_STS_OBF) && !(usd & AT32F4_USD_FAP))
			break;
		if (rc == 0 && !(sts & AT32F4_STS_OBF) && (uint16_t)usd0 == 0xFFFF)
			return err_setf(ERR_FLASH_ERROR,
					"the chip came back with FAP on and the FAP half-word erased "
					"(FLASH_USD 0x%08x): the erase did not complete (power lost or "
					"reset under it?); unlock again", usd);
		/* The chip's own reset drops the wire, not the probe: a probe
		 * that fails or is gone ends the wait now, with its sentence. */
		if (rc < 0 && !target_error_is_chip(rc))
			return err_context(rc, "waiting for the erase: ");
		if (rc < 0)
			snprintf(last, sizeof(last), "%s", err_detail());
		err_clear();
		adiv5_invalidate(t->a);
		elapsed = (unsigned)(target_now_ms() - start);
		if (rc == 0)
			silent_since = -1;
		else if (silent_since < 0)
			silent_since = target_now_ms();
		if (rc < 0 && target_now_ms() - silent_since > AT32F4_SILENCE_MS)
			return err_setf(ERR_TARGET_NOT_RESPONDING,
					"the chip has not answered for %u ms, %u ms after the unlock write (%s)",
					(unsigned)(target_now_ms() - silent_since), elapsed, last);
		if (elapsed > t->part->erase_max_ms)
			return err_setf(ERR_FLASH_TIMEOUT,
					"FAP still on %u ms after the unlock write (FLASH_USD 0x%08x, FLASH_STS 0x%08x)",
					elapsed, usd, sts);
		if (ev && ev->progress) {
			unsigned pct = elapsed >= t->part->erase_typ_ms
					       ? 99 : (unsigned)((uint64_t)elapsed * 99 / t->part->erase_typ_ms);

			if (pct > last_pct)
				ev->progress(ev->ctx, pct);
			last_pct = pct;
		}
		target_sleep_ms(10);
	}
	if (ev && ev->progress)
		ev->progress(ev->ctx, 100);
	/* That reset was the chip's own, asked for by the FAP write: take its
	 * DHCSR.S_RESET_ST so the job does not count it as one that cut the
	 * erase short. */
	return target_reset_seen(t, &(bool){false});
}

static int at32f4_change(struct target *t, bool erases, uint32_t *img, uint32_t *check,
			 const struct target_events *ev);

static int at32f4_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	uint32_t *img, *check;
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	img = calloc(2, at32f4_usd_bytes(t));
	if (!img)
		return err_setf(ERR_NO_MEMORY, "no memory for the user system data image");
	check = img + at32f4_usd_bytes(t) / 4;
	rc = at32f4_change(t, level == RDP_LEVEL_0, img, check, ev);
	free(img);
	return rc;
}

/* The USD erase and rewrite with FAP disabled (ERASES) or low. */
static int at32f4_change(struct target *t, bool erases, uint32_t *img, uint32_t *check,
			 const struct target_events *ev)
{
	unsigned words = at32f4_usd_bytes(t) / 4;
	uint32_t usd = 0, epps[2], usd0 = 0, sts = 0;
	int rc;

	if (cortexm_halt(t->a) < 0)
		stm32_log(ev, "core did not halt (%s); programming the USD anyway", err_detail());
	if ((rc = at32f4_read_regs(t, &usd, epps, &usd0)) < 0)
		return rc;
	if (at32f4_level(t, usd, (uint16_t)usd0) == RDP_LEVEL_2)
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"FAP high level (FLASH_USD 0x%08x, stored FAP 0x%04x) is permanent; nothing was written",
				usd, usd0 & 0xFFFF);
	/* The whole USD as stored: it is erased below and written back. */
	mem_read_block(t->a, at32f4_usd_base(t), img, words);
	mem_read32(t->a, at32f4_reg(t, AT32F4_STS), &sts);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the user system data: ");
	if (sts & AT32F4_STS_OBF && (rc = at32f4_wait(t, "a flash operation in progress")) < 0)
		return rc;
	if ((rc = at32f4_unlock(t)) < 0)
		return rc;
	stm32_log(ev, "erasing the user system data, then FAP 0x%02x%s", erases ? AT32F4_FAP_DISABLED : AT32F4_FAP_LOW,
		  erases ? ": the chip then mass-erases the flash and resets itself" : "");
	mem_write32(t->a, at32f4_reg(t, AT32F4_STS), AT32F4_STS_ERRORS | AT32F4_STS_ODF);
	mem_write32(t->a, at32f4_reg(t, AT32F4_CTRL),
		    AT32F4_CTRL_USDULKS | AT32F4_CTRL_USDERS | AT32F4_CTRL_ERSTR);
	if ((rc = adiv5_run(t->a)) < 0)
		return at32f4_lock(t, err_context(rc, "starting the USD erase: "));
	if ((rc = at32f4_wait(t, "USD erase")) < 0)
		return at32f4_lock(t, rc);
	if (!erases) {
		/* FAP low: 0xFF with its complement (OpenOCD artery fap enable). */
		img[0] = (img[0] & 0xFFFF0000u) | 0x00FFu;
		rc = at32f4_program_usd(t, img, words, 0);
	} else {
		mem_write32(t->a, at32f4_reg(t, AT32F4_CTRL), AT32F4_CTRL_USDULKS | AT32F4_CTRL_USDPRGM);
		if ((rc = adiv5_run(t->a)) < 0)
			return at32f4_lock(t, err_context(rc, "starting USD programming: "));
		/* The chip resets when this half-word is in: no clean ACK. */
		mem_write16(t->a, at32f4_usd_base(t), 0x5A00u | AT32F4_FAP_DISABLED);
		(void)adiv5_run(t->a);
		err_clear();
		adiv5_invalidate(t->a);
		if ((rc = at32f4_wait_regression(t, ev)) < 0)
			return rc;
		/* Back up after its own reset: locked again, FAP 0xA5 stored, the
		 * rest erased. Put SSB, user data and EPP back. */
		img[0] = (img[0] & 0xFFFF0000u) | 0x5AA5u;
		if ((rc = at32f4_unlock(t)) < 0)
			return rc;
		rc = at32f4_program_usd(t, img, words, 1);
	}
	if ((rc = at32f4_lock(t, rc)) < 0)
		return rc;
	mem_read_block(t->a, at32f4_usd_base(t), check, words);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the user system data back: ");
	for (unsigned i = 0; i < words; i++)
		if (check[i] != img[i])
			return err_setf(ERR_VERIFY_FAILED, "USD word %u reads 0x%08x after programming 0x%08x",
					i, check[i], img[i]);
	stm32_log(ev, "user system data programmed; it loads at the next reset");
	return 0;
}

/* The USD loads at a system reset ("changes need a reset to take effect",
 * OpenOCD doc). After the unlock the chip has reset itself already; this
 * second reset loads the restored SSB/user data/EPP. */
static int at32f4_apply(struct target *t, bool *power_cycle)
{
	*power_cycle = false;
	return cortexm_reset_halt(t->a);
}

const struct target_driver at32f4_driver = {
	.name = "at32f4",
	.family = "Artery AT32F4",
	.parts = at32f4_parts,
	.n_parts = sizeof(at32f4_parts) / sizeof(at32f4_parts[0]),
	.scheme = "at32-fap",
	.erase_scope = "the whole main flash; the user system data is erased and written back",
	.unlock_summary = "FAP cleared through the user system data; the chip resets itself",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = at32f4_read_protection,
	.protection_words = at32f4_protection_words,
	.set_level = at32f4_set_level,
	.apply = at32f4_apply,
	.flash_kb_from_fsize = at32f4_flash_kb,
	.find_part = at32f4_find_part,
};
