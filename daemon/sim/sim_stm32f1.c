/*
 * sim_stm32f1.c - STM32F0/F1/F3 and GD32F1x0/E23x/F20x: the FPEC flash interface with
 * 16-bit option bytes, the option byte loader and read-out protection. One
 * controller lineage; the parts differ by the rows of sim_stm32f1_parts[]
 * and flags.
 *
 * References:
 *   PM0075 (F10x flash programming) §2.3 (FPEC keys, OPTWRE, option erase
 *     and programming), §2.4.1 read protection, §2.5 option bytes, §3 registers.
 *   RM0008 (F10x) §3.3.3 XL-density bank-2 registers (KEYR2/SR2/CR2/AR2).
 *   RM0091 (F0x1/x2/x8) §3.2.2 option bytes, §3.3.1 read protection,
 *     §3.5 registers (CR.OBL_LAUNCH, OBR RDPRT [2:1]), §4.1 option byte loading.
 *   RM0316 (F303xB/C), RM0364 (F334) §4.2, §5: same controller as F0.
 *   GD32F1x0 user manual, FMC chapter: SPC 0xA5 = no protection, 0xCC = high.
 *   Constants, sources and the choices made: docs/sim/sim_stm32f1.md.
 *
 * State: the option page as stored (eight half-words at 0x1FFFF800) and the
 * image the loader made of it at the last reset (FLASH_OBR, FLASH_WRPR and
 * the level the protection logic uses). Programming changes only the stored
 * page; a system reset, OBL_LAUNCH (F0/F3, GD32F1x0) or a power-on reset loads
 * it.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define F1_FLASH_BASE 0x08000000u
#define F1_SRAM_BASE 0x20000000u
#define F1_PERIPH_BASE 0x40000000u
#define F1_PERIPH_END 0x60000000u
#define F1_OB_BASE 0x1FFFF800u
#define F1_OB_SIZE 16u
#define F1_INFO_END 0x1FFFFC00u

#define F1_FLASH_IF_BASE 0x40022000u
#define F1_FLASH_IF_END 0x40022400u
#define F1_ACR 0x00u
#define F1_KEYR 0x04u
#define F1_OPTKEYR 0x08u
#define F1_SR 0x0Cu
#define F1_CR 0x10u
#define F1_AR 0x14u
#define F1_OBR 0x1Cu
#define F1_WRPR 0x20u
#define F1_BANK2 0x40u /* XL: KEYR2 0x44, SR2 0x4C, CR2 0x50, AR2 0x54 */

#define F1_KEY1 0x45670123u
#define F1_KEY2 0xCDEF89ABu

#define F1_SR_BSY (1u << 0)
#define F1_SR_PGERR (1u << 2)
#define F1_SR_WRPRTERR (1u << 4)
#define F1_SR_EOP (1u << 5)
#define F1_SR_W1C (F1_SR_PGERR | F1_SR_WRPRTERR | F1_SR_EOP)

#define F1_CR_PG (1u << 0)
#define F1_CR_PER (1u << 1)
#define F1_CR_MER (1u << 2)
#define F1_CR_OPTPG (1u << 4)
#define F1_CR_OPTER (1u << 5)
#define F1_CR_STRT (1u << 6)
#define F1_CR_LOCK (1u << 7)
#define F1_CR_OPTWRE (1u << 9)
#define F1_CR_ERRIE (1u << 10)
#define F1_CR_EOPIE (1u << 12)
#define F1_CR_OBL_LAUNCH (1u << 13)
#define F1_CR_WRITABLE (F1_CR_PG | F1_CR_PER | F1_CR_MER | F1_CR_OPTPG | F1_CR_OPTER | \
			F1_CR_STRT | F1_CR_LOCK | F1_CR_ERRIE | F1_CR_EOPIE)

#define F1_RTC_BKP0R 0x40002850u /* F0/F3 RTC base 0x40002800 + 0x50 */
#define F1_BKP_DR1 0x40006C04u   /* F1 BKP_DR1..DR10, 16 bits in 32 */

/* Part flags. */
#define F1S_F0_STYLE (1u << 0) /* 0xAA = level 0, 0xCC = level 2; OBR USER at [15:8] */
#define F1S_OBL (1u << 1)      /* CR.OBL_LAUNCH exists */
#define F1S_XL (1u << 2)       /* bank-2 register set at +0x40, flash split at 512 KB */
#define F1S_WRP01 (1u << 3)    /* only WRP0/WRP1 are implemented */
#define F1S_GD32 (1u << 4)     /* SPC: 0xA5 none (FMC_NSPC) */
#define F1S_GD32_HSPC (1u << 8) /* SPC 0xCC = high (level 2): GD32F1x0/F3x0/E23x FMC_HSPC */
#define F1S_M0_DBG (1u << 5)   /* DBGMCU at 0x40015800; nothing at 0xE0040000.. */
#define F1S_OBR_F1 (1u << 6)   /* a GD32 with the F1 FMC_OBSTAT layout (GD32F20x) */
#define F1S_WRP0 (1u << 7)     /* only WRP0 is implemented (F030x4/x6, F031, F042...) */
/* A system reset does not run the option byte loader: only a power-on
 * reset or OBL_LAUNCH does (RM0360 §4, note: "The new programmed option
 * byte (user, read/write protection) are not loaded after a system reset";
 * RM0091's empty-check note says the same of F0x1/x2/x8 (?)). */
#define F1S_OBL_NOT_AT_RESET (1u << 9)

/* Option half-word programming (tPROG, 40-70 us) and option page erase
 * (tERASE, 20-40 ms) from the F103/F030 datasheets (?). */
#define F1_OPT_PROGRAM_MS 0.07
#define F1_PAGE_ERASE_MS 30.0

struct sim_stm32f1_part {
	struct sim_part_id id;
	uint16_t dev_id, rev_id;  /* REV_IDs are typical revisions (?) */
	uint32_t flags;
	uint32_t flash_kb, sram_kb, page_kb;
	uint32_t info_base;       /* system memory start */
	uint32_t dbgmcu, fsize_addr, uid_base;
	unsigned bkp_regs;
	uint8_t user;             /* stored USER byte the profile starts with */
	double mass_erase_ms;
	struct sim_cortexm_desc core;
	uint32_t dpidr, ap_idr;
	uint8_t rdp_level0;       /* the RDP byte of level 0 */
};

#define F1_CORE_M3(dev) { SIM_CORTEX_M3, 0x411FC231u, false, 0, 0, 0, dev, 0x020 }
#define F1_CORE_M0(dev) { SIM_CORTEX_M0, 0x410CC200u, false, 0, 0, 0, dev, 0x020 }
#define F1_CORE_M4(dev) { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, dev, 0x020 }
#define F1_DP_M3 0x1BA01477u, 0x14770011u
#define F1_DP_M0 0x0BB11477u, 0x04770021u
#define F1_DP_M4 0x2BA01477u, 0x24770011u

/* Mass erase: datasheets give tME 20 ms typical, 40 ms max (F103, F030,
 * F303) (?); 40 ms is modelled so that BSY is seen. XL erases two banks. */
static const struct sim_stm32f1_part sim_stm32f1_parts[] = {
	{ { "stm32f103c8", "STM32F103C8, Cortex-M3, 64 KB flash, 20 KB SRAM (medium density)" },
	  0x410, 0x2003, 0, 64, 20, 1, 0x1FFFF000u, 0xE0042000u, 0x1FFFF7E0u, 0x1FFFF7E8u, 10, 0xFF,
	  40.0, F1_CORE_M3(0x410), F1_DP_M3, 0xA5 },
	{ { "stm32f103ze", "STM32F103ZE, Cortex-M3, 512 KB flash, 64 KB SRAM (high density)" },
	  0x414, 0x1003, 0, 512, 64, 2, 0x1FFFF000u, 0xE0042000u, 0x1FFFF7E0u, 0x1FFFF7E8u, 10, 0xFF,
	  40.0, F1_CORE_M3(0x414), F1_DP_M3, 0xA5 },
	{ { "stm32f105rc", "STM32F105RC, Cortex-M3, 256 KB flash, 64 KB SRAM (connectivity line)" },
	  0x418, 0x1001, 0, 256, 64, 2, 0x1FFFB000u, 0xE0042000u, 0x1FFFF7E0u, 0x1FFFF7E8u, 10, 0xFF,
	  40.0, F1_CORE_M3(0x418), F1_DP_M3, 0xA5 },
	{ { "stm32f103zg", "STM32F103ZG, Cortex-M3, 1 MB dual-bank flash, 96 KB SRAM (XL density)" },
	  0x430, 0x1000, F1S_XL, 1024, 96, 2, 0x1FFFE000u, 0xE0042000u, 0x1FFFF7E0u, 0x1FFFF7E8u, 10, 0xFF,
	  80.0, F1_CORE_M3(0x430), F1_DP_M3, 0xA5 },
	{ { "stm32f100rb", "STM32F100RB, Cortex-M3, 128 KB flash, 8 KB SRAM (value line)" },
	  0x420, 0x1001, 0, 128, 8, 1, 0x1FFFF000u, 0xE0042000u, 0x1FFFF7E0u, 0x1FFFF7E8u, 10, 0xFF,
	  40.0, F1_CORE_M3(0x420), F1_DP_M3, 0xA5 },
	{ { "stm32f030r8", "STM32F030R8, Cortex-M0, 64 KB flash, 8 KB SRAM" },
	  0x440, 0x1000, F1S_F0_STYLE | F1S_OBL | F1S_WRP01 | F1S_M0_DBG | F1S_OBL_NOT_AT_RESET, 64, 8, 1, 0x1FFFEC00u,
	  0x40015800u, 0x1FFFF7CCu, 0x1FFFF7ACu, 0, 0xFF,
	  40.0, F1_CORE_M0(0x440), F1_DP_M0, 0xAA },
	/* STM32F030K6: DEV_ID 0x444, 32 KB in 1 KB pages, 4 KB SRAM; the
	 * option page ends at WRP0 (stm32f030x6.h:215-222 OB_TypeDef), WRPR
	 * [15:0] (stm32f030x6.h:1775); system memory 0x1FFFEC00 (?); no RTC
	 * backup registers on the F030 (?). */
	{ { "stm32f030k6", "STM32F030K6, Cortex-M0, 32 KB flash, 4 KB SRAM, WRP0 only" },
	  0x444, 0x1000, F1S_F0_STYLE | F1S_OBL | F1S_WRP0 | F1S_M0_DBG | F1S_OBL_NOT_AT_RESET, 32, 4, 1, 0x1FFFEC00u,
	  0x40015800u, 0x1FFFF7CCu, 0x1FFFF7ACu, 0, 0xFF,
	  40.0, F1_CORE_M0(0x444), F1_DP_M0, 0xAA },
	{ { "stm32f072rb", "STM32F072RB, Cortex-M0, 128 KB flash, 16 KB SRAM, 5 RTC backup registers" },
	  0x448, 0x1000, F1S_F0_STYLE | F1S_OBL | F1S_M0_DBG | F1S_OBL_NOT_AT_RESET, 128, 16, 2, 0x1FFFC800u,
	  0x40015800u, 0x1FFFF7CCu, 0x1FFFF7ACu, 5, 0xFF,
	  40.0, F1_CORE_M0(0x448), F1_DP_M0, 0xAA },
	{ { "stm32f303vc", "STM32F303VC, Cortex-M4F, 256 KB flash, 40 KB SRAM, 16 RTC backup registers" },
	  0x422, 0x1003, F1S_F0_STYLE | F1S_OBL, 256, 40, 2, 0x1FFFD800u,
	  0xE0042000u, 0x1FFFF7CCu, 0x1FFFF7ACu, 16, 0xFF,
	  40.0, F1_CORE_M4(0x422), F1_DP_M4, 0xAA },
	{ { "stm32f334r8", "STM32F334R8, Cortex-M4F, 64 KB flash, 12 KB SRAM, WRP0/WRP1 only" },
	  0x438, 0x1001, F1S_F0_STYLE | F1S_OBL | F1S_WRP01, 64, 12, 2, 0x1FFFD800u,
	  0xE0042000u, 0x1FFFF7CCu, 0x1FFFF7ACu, 16, 0xFF,
	  40.0, F1_CORE_M4(0x438), F1_DP_M4, 0xAA },
	/* GD32F130C8: Cortex-M3, ST's DEV_ID 0x410 with REV_ID 0x1303, F0-style
	 * OBR (OpenOCD stm32f1x.c; FMC_OBSTAT_PLVL [2:1], gd32f1x0_fmc.h:104),
	 * option bytes up to WP1 (gd32f1x0_fmc.h:63-68). Its mass erase time is not in our sources:
	 * 200 ms (?). The ROM table designer is taken as ST's (?). */
	{ { "gd32f130c8", "GD32F130C8, Cortex-M3, 64 KB flash, 8 KB SRAM (STM32F0-like clone, SPC 0xA5)" },
	  0x410, 0x1303, F1S_GD32 | F1S_GD32_HSPC | F1S_OBL | F1S_WRP01, 64, 8, 1, 0x1FFFEC00u, 0xE0042000u, 0x1FFFF7E0u,
	  0x1FFFF7E8u, 0, 0xFF, 200.0, { SIM_CORTEX_M3, 0x412FC231u, false, 0, 0, 0, 0x410, 0x020 },
	  F1_DP_M3, 0xA5 },
	/* GD32E230C8: Cortex-M23 r1p0 (CPUID 0x411CD200, as the silicon reports
	 * it; Arm's TRM DDI 0550C gives PARTNO 0xD20), DEV_ID 0x410 with REV_ID
	 * 0x1909 in DBGMCU at 0x40015800, F_SIZE at 0x1FFFF7E0 (?: OpenOCD stm32f1x.c).
	 * SW-DP 0x0BF11477 (OpenOCD's GD32E23x config), AHB5-AP IDR 0x04770025 (pyOCD's table
	 * of Arm APs). Flash interface as the GD32F1x0 (same FMC, SPC 0xA5/0xCC,
	 * OBL_LAUNCH); WP0/WP1 only (OB_WP at OB + 8, gd32e23x_fmc.h:57);
	 * mass erase time not in our sources: 200 ms (?). */
	{ { "gd32e230c8", "GD32E230C8, Cortex-M23, 64 KB flash, 8 KB SRAM (STM32F0-like clone, SPC 0xA5)" },
	  0x410, 0x1909, F1S_GD32 | F1S_GD32_HSPC | F1S_OBL | F1S_WRP01 | F1S_M0_DBG, 64, 8, 1, 0x1FFFEC00u, 0x40015800u,
	  0x1FFFF7E0u, 0x1FFFF7E8u, 0, 0xFF, 200.0,
	  { SIM_CORTEX_M23, 0x411CD200u, false, 0, 0, 0, 0x410, 0x020 }, 0x0BF11477u, 0x04770025u, 0xA5 },
	/* GD32F205RC: the STM32F105/107 DEV_ID 0x418 with REV_ID 0x1508 (a
	 * GD32F205's IDCODE 0x15080418, CommunityGD32Cores/platform-gd32 issue
	 * #25); driven as an F1 (OpenOCD stm32f1x), so FMC_OBSTAT has the F1
	 * layout (gd32f20x_fmc.h:102-105) and there is no OBL_LAUNCH (no
	 * OBRLD in gd32f20x_fmc.h). No high protection: FMC_NSPC 0xA5 and
	 * FMC_USPC only (gd32f20x_fmc.h:228-229), so 0xCC is level 1 and there
	 * is no -rdp2 profile. 256 KB: one bank. Erase 200 ms (?). */
	{ { "gd32f205rc", "GD32F205RC, Cortex-M3, 256 KB flash, 128 KB SRAM (STM32F105-like clone, SPC 0xA5)" },
	  0x418, 0x1508, F1S_GD32 | F1S_OBR_F1, 256, 128, 2, 0x1FFFB000u, 0xE0042000u, 0x1FFFF7E0u,
	  0x1FFFF7E8u, 0, 0xFF, 200.0, { SIM_CORTEX_M3, 0x412FC231u, false, 0, 0, 0, 0x418, 0x020 },
	  F1_DP_M3, 0xA5 },
};

#define F1_NPARTS (sizeof(sim_stm32f1_parts) / sizeof(sim_stm32f1_parts[0]))

enum sim_stm32f1_op { F1_OP_NONE, F1_OP_OPT_ERASE, F1_OP_OPT_PROGRAM, F1_OP_MASS_ERASE, F1_OP_PAGE_ERASE };

struct sim_stm32f1_bank {
	uint32_t sr, cr, ar;
	enum sim_mech_key key;
	bool busy;
	enum sim_stm32f1_op op;
	uint64_t busy_until_ns;
	uint32_t op_addr;
};

struct sim_stm32f1_chip {
	const struct sim_stm32f1_part *part;
	uint8_t *flash, *sram;
	uint32_t bkpr[16];
	uint32_t acr, dbgmcu_cr, dbgmcu_apb1, dbgmcu_apb2;
	struct sim_stm32f1_bank b[2];       /* b[1]: XL bank 2 */
	enum sim_mech_key optkey;
	bool optwre;
	uint16_t ob[8];           /* stored option page */
	/* loaded image */
	uint32_t obr, wrpr;
	int level;
	/* option programming in progress */
	unsigned op_idx;
	uint16_t op_value;
	bool op_regress;
	bool obl_now;             /* the next system reset is a power-on or OBL_LAUNCH one */
};

static struct sim_stm32f1_chip *sim_stm32f1_of(struct sim_chip *c)
{
	return c->priv;
}

/* The RDP byte each profile level starts with; the F1 and GD32F10x/F20x/F30x
 * have no level 2 (PM0075 §2.4.1: any value but 0xA5 protects;
 * gd32f20x_fmc.h:228-229), so no "-rdp2" profile. */
static int sim_stm32f1_profile_rdp(size_t i, unsigned level, uint8_t *rdp)
{
	const struct sim_stm32f1_part *p;

	if (i >= F1_NPARTS)
		return -1;
	p = &sim_stm32f1_parts[i];
	switch (level) {
	case 0: *rdp = p->rdp_level0; return 0;
	case 1: *rdp = 0xBB; return 0;
	case 2:
		if (!(p->flags & (F1S_F0_STYLE | F1S_GD32_HSPC)))
			return -1;
		*rdp = 0xCC;
		return 0;
	default: return -1;
	}
}

/* The level an RDP byte gives once loaded. */
static int sim_stm32f1_level_of(const struct sim_stm32f1_part *p, uint8_t rdp)
{
	if (rdp == p->rdp_level0)
		return 0;
	if (rdp == 0xCC && (p->flags & (F1S_F0_STYLE | F1S_GD32_HSPC)))
		return 2;
	return 1;
}

/* WRP half-words the part implements (its OB_TypeDef): 1, 2 or 4. The
 * option half-words after them are reserved: they read erased and a write
 * there programs nothing (?: the manuals only say "reserved"; RM0365 §5
 * asks to keep absent WRPx at their reset value). */
static unsigned sim_stm32f1_wrp_count(const struct sim_stm32f1_part *p)
{
	if (p->flags & F1S_WRP0)
		return 1;
	return (p->flags & F1S_WRP01) ? 2 : 4;
}

/* The option byte loader (RM0091 §4.1): each half-word loads its low byte
 * when the high byte is its complement; a mismatch loads 0xFF and sets
 * OPTERR. An erased half-word (0xFFFF) loads 0xFF without error on F0/F3
 * (RM0091 §4.1, RM0365: the check is skipped when both bytes are 0xFF);
 * PM0075 §2.5 and its FLASH_OBR.OPTERR description (§3.4.6) name no such
 * exception, so on F1 an erased half-word is a mismatch like any other (?).
 * GigaDevice parts follow the F0/F3 rule (?: their manuals are silent). */
static void sim_stm32f1_load_options(struct sim_stm32f1_chip *f)
{
	const struct sim_stm32f1_part *p = f->part;
	bool erased_ok = p->flags & (F1S_F0_STYLE | F1S_GD32);
	uint8_t v[8];
	bool opterr = false;
	uint32_t obr;

	for (unsigned i = 0; i < 8; i++) {
		uint16_t hw = f->ob[i];

		v[i] = (uint8_t)hw;
		if (!(hw == 0xFFFF && erased_ok) && (uint8_t)(hw >> 8) != (uint8_t)~v[i]) {
			v[i] = 0xFF;
			opterr = true;
		}
	}
	f->level = sim_stm32f1_level_of(p, v[0]);
	obr = opterr ? 1u : 0u;
	if ((p->flags & (F1S_F0_STYLE | F1S_GD32)) && !(p->flags & F1S_OBR_F1)) {
		/* RDPRT [2:1]: 01 level 1, 11 level 2 (RM0091 §3.5.6). */
		obr |= f->level == 1 ? 0x2u : f->level == 2 ? 0x6u : 0u;
		obr |= (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	} else {
		/* F1: RDPRT bit 1, USER [9:2], DATA0 [17:10], DATA1 [25:18]
		 * (PM0075 §3.4.6); unused USER bits load as they are (?). */
		obr |= f->level ? 0x2u : 0u;
		obr |= (uint32_t)v[1] << 2 | (uint32_t)v[2] << 10 | (uint32_t)v[3] << 18;
	}
	f->obr = obr;
	/* Parts without some WRPx read those WRPR bits as 1 (?). */
	f->wrpr = 0xFFFFFFFFu;
	for (unsigned i = 0; i < sim_stm32f1_wrp_count(p); i++)
		f->wrpr = (f->wrpr & ~(0xFFu << (8 * i))) | (uint32_t)v[4 + i] << (8 * i);
}

static void sim_stm32f1_destroy(struct sim_chip *c)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);

	if (!f)
		return;
	free(f->flash);
	free(f->sram);
	free(f);
	c->priv = NULL;
}

static uint16_t sim_stm32f1_halfword(uint8_t v)
{
	return (uint16_t)(v | (uint16_t)(uint8_t)~v << 8);
}

static int sim_stm32f1_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_stm32f1_part *p;
	struct sim_stm32f1_chip *f;

	if (part >= F1_NPARTS)
		return -ENOENT;
	p = &sim_stm32f1_parts[part];
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	c->priv = f;
	f->part = p;
	f->flash = malloc(p->flash_kb * 1024u);
	f->sram = calloc(1, p->sram_kb * 1024u);
	if (!f->flash || !f->sram) {
		sim_stm32f1_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(f->flash, f->part->flash_kb * 1024u, F1_SRAM_BASE + f->part->sram_kb * 1024u,
			      F1_FLASH_BASE + 0xC1u);
	/* A programmed page: RDP, USER, DATA0 = 0x12, DATA1 = 0x34, WRP0 =
	 * 0xFE (first page group write-protected), WRP1..3 0xFF with their
	 * complements as ST ships them (an erased one would set OPTERR on
	 * F1); absent WRPx stay erased (RM0365 §5 table 12). */
	for (unsigned i = 0; i < 8; i++)
		f->ob[i] = i >= 4 + sim_stm32f1_wrp_count(p) ? 0xFFFF : sim_stm32f1_halfword(0xFF);
	f->ob[0] = sim_stm32f1_halfword(rdp);
	f->ob[1] = sim_stm32f1_halfword(p->user);
	f->ob[2] = sim_stm32f1_halfword(0x12);
	f->ob[3] = sim_stm32f1_halfword(0x34);
	f->ob[4] = sim_stm32f1_halfword(0xFE);
	for (unsigned i = 0; i < p->bkp_regs; i++)
		f->bkpr[i] = 0xB4C40000u | i;
	if (!(p->flags & F1S_F0_STYLE))
		for (unsigned i = 0; i < 10; i++)
			f->bkpr[i] = 0xB400u | i; /* F1 BKP_DRx: 16 bits */
	c->dpidr = p->dpidr;
	c->ap_idr = p->ap_idr;
	c->dp_version = 1;
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

static uint32_t sim_stm32f1_flash_size(const struct sim_stm32f1_part *p)
{
	return p->flash_kb * 1024u;
}

/* Complete a bank's operation (time is up, or a reset comes). */
static void sim_stm32f1_finish(struct sim_chip *c, unsigned bank)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;
	struct sim_stm32f1_bank *b = &f->b[bank];

	if (!b->busy)
		return;
	switch (b->op) {
	case F1_OP_OPT_ERASE:
		for (unsigned i = 0; i < 8; i++)
			f->ob[i] = 0xFFFF;
		break;
	case F1_OP_OPT_PROGRAM:
		if (f->op_regress) {
			/* PM0075 §2.4.1 / RM0091 §3.3.1: main flash first (both
			 * banks on XL), then the RDP half-word. F0/F3 also reset
			 * the RTC backup registers (RM0091 §3.3.1 note); the F1 backup
			 * data registers are kept: the F1 manuals name only the
			 * main flash (?). */
			memset(f->flash, 0xFF, sim_stm32f1_flash_size(p));
			if (p->flags & F1S_F0_STYLE)
				memset(f->bkpr, 0, sizeof(f->bkpr));
			c->counters->mass_erases++;
			if (p->flags & F1S_XL) {
				f->b[1].busy = false;
				f->b[1].sr &= ~F1_SR_BSY;
			}
		}
		f->ob[f->op_idx] = f->op_value;
		break;
	case F1_OP_MASS_ERASE:
		if (p->flags & F1S_XL) {
			uint32_t half = 512u * 1024u;

			memset(f->flash + (bank ? half : 0), 0xFF,
			       bank ? sim_stm32f1_flash_size(p) - half : half);
		} else {
			memset(f->flash, 0xFF, sim_stm32f1_flash_size(p));
		}
		c->counters->mass_erases++;
		break;
	case F1_OP_PAGE_ERASE:
		memset(f->flash + b->op_addr, 0xFF, p->page_kb * 1024u);
		break;
	default:
		break;
	}
	b->busy = false;
	b->op = F1_OP_NONE;
	b->sr = (b->sr & ~F1_SR_BSY) | F1_SR_EOP; /* EOP is set whatever EOPIE (PM0075 §3.4.4) */
	b->cr &= ~F1_CR_STRT;
}

static void sim_stm32f1_tick(struct sim_chip *c)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);

	for (unsigned k = 0; k < 2; k++)
		if (sim_chip_op_due(c, f->b[k].busy, f->b[k].busy_until_ns))
			sim_stm32f1_finish(c, k);
}

static void sim_stm32f1_start(struct sim_chip *c, unsigned bank, enum sim_stm32f1_op op, double ms)
{
	struct sim_stm32f1_bank *b = &sim_stm32f1_of(c)->b[bank];

	b->op = op;
	b->busy = true;
	b->sr |= F1_SR_BSY;
	b->busy_until_ns = sim_chip_deadline_ns(c, ms);
}

/* Debugger accesses to main flash are refused while the loaded level is
 * not 0 and a debugger has been attached since power-on (docs/sim/sim_stm32f1.md). */
static bool sim_stm32f1_blocked(struct sim_chip *c, bool debugger)
{
	return debugger && c->debugger_attached && sim_stm32f1_of(c)->level != 0;
}

/* KEYR/KEYR2: KEY1 then KEY2 clears LOCK; any other value locks the FPEC
 * until the next reset with a bus error (PM0075 §2.3.1: "any wrong
 * sequence"). The right keys written again while unlocked are accepted:
 * OpenOCD's stm32f1x unlock does exactly that on real F1 chips every day
 * (the "repeated sequence" rule comes from the G0/WL manuals). */
static int sim_stm32f1_key_write(struct sim_stm32f1_bank *b, uint32_t v)
{
	bool opened;
	int rc;

	if (b->key == SIM_MECH_KEY_DEAD)
		b->cr |= F1_CR_LOCK;
	rc = sim_mech_key_feed(&b->key, F1_KEY1, F1_KEY2, v, &opened);
	if (opened)
		b->cr &= ~F1_CR_LOCK;
	return rc;
}

/* OPTKEYR: the same keys set OPTWRE; they are only heard once CR.LOCK is
 * clear (RM0091 §3.5.3 (?)), a write while LOCK is set is
 * ignored. A wrong value disables option writes until reset; the right
 * keys again while OPTWRE is set are accepted, as for KEYR. */
static int sim_stm32f1_optkey_write(struct sim_stm32f1_chip *f, uint32_t v)
{
	bool opened;
	int rc;

	if (f->b[0].cr & F1_CR_LOCK)
		return 0;
	if (f->optkey == SIM_MECH_KEY_DEAD)
		f->optwre = false;
	rc = sim_mech_key_feed(&f->optkey, F1_KEY1, F1_KEY2, v, &opened);
	if (opened)
		f->optwre = true;
	return rc;
}

static uint32_t sim_stm32f1_if_read(struct sim_stm32f1_chip *f, uint32_t off)
{
	bool xl = f->part->flags & F1S_XL;

	switch (off) {
	case F1_ACR: return f->acr;
	case F1_SR: return f->b[0].sr;
	case F1_CR: return f->b[0].cr | (f->optwre ? F1_CR_OPTWRE : 0);
	case F1_AR: return f->b[0].ar;
	case F1_OBR: return f->obr;
	case F1_WRPR: return f->wrpr;
	case F1_BANK2 + F1_SR: return xl ? f->b[1].sr : 0;
	case F1_BANK2 + F1_CR: return xl ? f->b[1].cr : 0;
	case F1_BANK2 + F1_AR: return xl ? f->b[1].ar : 0;
	default: return 0;
	}
}

/* CR writes of one bank: STRT starts what PER/MER/OPTER select. */
static void sim_stm32f1_cr_write(struct sim_chip *c, unsigned bank, uint32_t v)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;
	struct sim_stm32f1_bank *b = &f->b[bank];

	if ((b->cr & F1_CR_LOCK) || b->busy)
		return; /* PM0075 §3.4.5: CR is frozen while locked or busy (?) for busy */
	b->cr = v & F1_CR_WRITABLE;
	if (bank == 0 && !(v & F1_CR_OPTWRE))
		f->optwre = false; /* OPTWRE is cleared by writing 0 (PM0075 §3.4.5) */
	if (b->cr & F1_CR_LOCK) {
		b->key = SIM_MECH_KEY_EXPECT1;
		if (bank == 0) {
			f->optwre = false;
			f->optkey = SIM_MECH_KEY_EXPECT1;
		}
	}
	if (!(v & F1_CR_STRT))
		return;
	if (v & F1_CR_OPTER) {
		/* At level 2 the option bytes cannot be erased (RM0365 §4.3.1). */
		if (bank != 0 || !f->optwre || f->level == 2) {
			b->sr |= F1_SR_WRPRTERR;
			b->cr &= ~F1_CR_STRT;
			return;
		}
		sim_stm32f1_start(c, 0, F1_OP_OPT_ERASE, F1_PAGE_ERASE_MS);
		sim_chip_option_started(c);
		return;
	}
	if (v & (F1_CR_MER | F1_CR_PER)) {
		uint32_t a = b->ar - F1_FLASH_BASE;

		/* Level 1: the debugger cannot erase (PM0075 §2.4.1). */
		if (sim_stm32f1_blocked(c, true) ||
		    ((v & F1_CR_PER) && (a >= sim_stm32f1_flash_size(p)))) {
			b->sr |= F1_SR_WRPRTERR;
			b->cr &= ~F1_CR_STRT;
			return;
		}
		b->op_addr = a & ~(p->page_kb * 1024u - 1);
		sim_stm32f1_start(c, bank, (v & F1_CR_MER) ? F1_OP_MASS_ERASE : F1_OP_PAGE_ERASE,
				  (v & F1_CR_MER) ? p->mass_erase_ms : F1_PAGE_ERASE_MS);
		return;
	}
	b->cr &= ~F1_CR_STRT;
}

static int sim_stm32f1_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;
	bool xl = p->flags & F1S_XL;

	switch (off) {
	case F1_ACR:
		f->acr = v & 0x3Fu;
		return 0;
	case F1_KEYR:
		return sim_stm32f1_key_write(&f->b[0], v);
	case F1_OPTKEYR:
		return sim_stm32f1_optkey_write(f, v);
	case F1_SR:
		f->b[0].sr &= ~(v & F1_SR_W1C);
		return 0;
	case F1_CR:
		if ((v & F1_CR_OBL_LAUNCH) && (p->flags & F1S_OBL) && !(f->b[0].cr & F1_CR_LOCK)) {
			/* RM0091 §3.5.5: OBL_LAUNCH reloads the option bytes and
			 * generates a system reset. The reset cuts the write's own
			 * completion: the AP reports it as a fault (OpenOCD ignores it). */
			f->obl_now = true;
			sim_chip_system_reset(c);
			return -EFAULT;
		}
		sim_stm32f1_cr_write(c, 0, v);
		return 0;
	case F1_AR:
		if (!(f->b[0].cr & F1_CR_LOCK) && !f->b[0].busy)
			f->b[0].ar = v;
		return 0;
	case F1_BANK2 + F1_KEYR:
		return xl ? sim_stm32f1_key_write(&f->b[1], v) : 0;
	case F1_BANK2 + F1_SR:
		if (xl)
			f->b[1].sr &= ~(v & F1_SR_W1C);
		return 0;
	case F1_BANK2 + F1_CR:
		if (xl)
			sim_stm32f1_cr_write(c, 1, v & ~(F1_CR_OPTPG | F1_CR_OPTER));
		return 0;
	case F1_BANK2 + F1_AR:
		if (xl && !(f->b[1].cr & F1_CR_LOCK) && !f->b[1].busy)
			f->b[1].ar = v;
		return 0;
	default:
		return 0;
	}
}

/* A write into the option page with OPTPG (PM0075 §2.3.2): half-words only
 * (other sizes: PGERR (?)); the target half-word must be erased (PGERR);
 * the controller writes the low byte with its complement, whatever the high
 * byte written (the GD32 manual says so; for ST the tools differ:
 * OpenOCD writes the low byte, stlink both (?)). At level 2 nothing is programmed (WRPRTERR, RM0365 §4.3.1). */
static void sim_stm32f1_option_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t v)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	struct sim_stm32f1_bank *b = &f->b[0];
	unsigned idx = (addr - F1_OB_BASE) / 2;
	uint8_t byte = (uint8_t)v;

	if (!(b->cr & F1_CR_OPTPG) || !f->optwre || b->busy || size != 2 || (addr & 1)) {
		b->sr |= F1_SR_PGERR;
		return;
	}
	if (f->level == 2) {
		b->sr |= F1_SR_WRPRTERR;
		return;
	}
	if (f->ob[idx] != 0xFFFF) {
		b->sr |= F1_SR_PGERR;
		return;
	}
	if (idx >= 4 + sim_stm32f1_wrp_count(f->part))
		return; /* a reserved half-word: nothing is programmed (?) */
	f->op_idx = idx;
	f->op_value = sim_stm32f1_halfword(byte);
	/* The regression: the level-0 key programmed while the loaded level is
	 * 1 mass-erases the main flash first, BSY covering it (PM0075 §2.4.1:
	 * "This operation first forces a Mass Erase"; RM0091 §3.3.1: "as soon as
	 * 0xAA is programmed"). */
	f->op_regress = idx == 0 && byte == f->part->rdp_level0 && f->level == 1;
	sim_stm32f1_start(c, 0, F1_OP_OPT_PROGRAM,
			  f->op_regress ? f->part->mass_erase_ms : F1_OPT_PROGRAM_MS);
	if (f->op_regress && (f->part->flags & F1S_XL)) {
		f->b[1].busy = true; /* both banks are erased: SR2.BSY too (?) */
		f->b[1].op = F1_OP_NONE;
		f->b[1].sr |= F1_SR_BSY;
		f->b[1].busy_until_ns = b->busy_until_ns;
	}
	sim_chip_option_started(c);
}

/* Power lost while an option step runs (sim_probe_power_fail_at_option_step).
 * The option page erase (step 1 of an unlock): the page is left erased (?:
 * an erase cut short may leave cells in between; erased is the state the
 * manuals describe after OPTER, PM0075 §2.3.2), so RDP loads as 0xFF = level
 * 1 (PM0075 §2.4.1: any value but the key protects), with OPTERR on F1
 * (sim_stm32f1_load_options). The RDP half-word at level 1 (step 2): "this
 * operation first forces a Mass Erase" (PM0075 §2.4.1), so the half-word is
 * still erased when the power goes; half the main flash reads erased (?),
 * and no mass erase is counted. Any other half-word is cut mid-program: its
 * low byte is written, its complement byte not yet (?), a mismatch (OPTERR). */
static void sim_stm32f1_option_power_loss(struct sim_chip *c)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	struct sim_stm32f1_bank *b = &f->b[0];

	if (!b->busy)
		return;
	if (b->op == F1_OP_OPT_ERASE) {
		for (unsigned i = 0; i < 8; i++)
			f->ob[i] = 0xFFFF;
	} else if (b->op == F1_OP_OPT_PROGRAM && f->op_regress) {
		memset(f->flash, 0xFF, sim_stm32f1_flash_size(f->part) / 2);
	} else if (b->op == F1_OP_OPT_PROGRAM) {
		f->ob[f->op_idx] = (uint16_t)(0xFF00u | (f->op_value & 0xFFu));
	}
	f->op_regress = false;
	for (unsigned k = 0; k < 2; k++) {
		f->b[k].busy = false;
		f->b[k].op = F1_OP_NONE;
		f->b[k].sr &= ~F1_SR_BSY;
		f->b[k].cr &= ~F1_CR_STRT;
	}
}

/* Main flash (at 0x08000000 and aliased at 0 when booting from it). */
static uint8_t *sim_stm32f1_flash_at(struct sim_stm32f1_chip *f, uint32_t addr, unsigned size)
{
	uint32_t fsz = sim_stm32f1_flash_size(f->part);

	if (sim_mech_in(addr, size, F1_FLASH_BASE, fsz))
		return f->flash + (addr - F1_FLASH_BASE);
	if (sim_mech_in(addr, size, 0, fsz))
		return f->flash + addr;
	return NULL;
}

/* Read-only bytes of the information block: system memory (a stand-in
 * pattern), F_SIZE, unique id, the stored option page. */
static bool sim_stm32f1_info_byte(struct sim_chip *c, uint32_t a, bool debugger, uint8_t *b)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;

	if (a >= F1_OB_BASE && a < F1_OB_BASE + F1_OB_SIZE) {
		*b = (uint8_t)(f->ob[(a - F1_OB_BASE) / 2] >> (8 * (a & 1)));
		return true;
	}
	if (sim_mech_field_byte(p->flash_kb, p->fsize_addr, 2, a, b))
		return true;
	/* GD32: the upper half-word of the density word is the SRAM size. */
	if ((p->flags & F1S_GD32) && sim_mech_field_byte(p->sram_kb, p->fsize_addr + 2, 2, a, b))
		return true;
	if (sim_mech_uid_byte(c->uid, p->uid_base, 8, a, b))
		return true;
	if (a >= p->info_base && a < F1_INFO_END) {
		*b = a >= F1_OB_BASE ? 0xFF : (uint8_t)(0xB0 ^ (a & 0xFF));
		return true;
	}
	return false;
}

/* DBGMCU registers: IDCODE, CR, APB1_FZ, APB2_FZ from the part's base. */
static uint32_t *sim_stm32f1_dbgmcu_reg(struct sim_stm32f1_chip *f, uint32_t off)
{
	switch (off) {
	case 0x4: return &f->dbgmcu_cr;
	case 0x8: return &f->dbgmcu_apb1;
	case 0xC: return &f->dbgmcu_apb2;
	default: return NULL;
	}
}

static bool sim_stm32f1_bkp_at(const struct sim_stm32f1_part *p, uint32_t addr, unsigned *idx)
{
	if (p->flags & F1S_F0_STYLE) {
		if (addr >= F1_RTC_BKP0R && addr < F1_RTC_BKP0R + 4 * p->bkp_regs) {
			*idx = (addr - F1_RTC_BKP0R) / 4;
			return true;
		}
		return false;
	}
	if (!(p->flags & F1S_GD32) && addr >= F1_BKP_DR1 && addr < F1_BKP_DR1 + 40) {
		*idx = (addr - F1_BKP_DR1) / 4;
		return true;
	}
	return false;
}

static int sim_stm32f1_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;
	uint8_t *ram;
	unsigned idx;

	sim_stm32f1_tick(c);
	*val = 0;
	if ((ram = sim_stm32f1_flash_at(f, addr, size)) != NULL) {
		/* PM0075 §2.4.1: with the debugger connected at level 1 a flash
		 * read is answered with a bus error. */
		if (sim_stm32f1_blocked(c, debugger))
			return -EFAULT;
		memcpy(val, ram, size);
		return 0;
	}
	if (sim_mech_in(addr, size, F1_SRAM_BASE, p->sram_kb * 1024u)) {
		memcpy(val, f->sram + (addr - F1_SRAM_BASE), size);
		return 0;
	}
	if (addr >= F1_FLASH_IF_BASE && addr < F1_FLASH_IF_END) {
		*val = sim_mech_lane(sim_stm32f1_if_read(f, (addr - F1_FLASH_IF_BASE) & ~3u), addr, size);
		return 0;
	}
	if (sim_stm32f1_bkp_at(p, addr, &idx)) {
		*val = sim_mech_lane(f->bkpr[idx], addr, size);
		return 0;
	}
	if ((addr & ~0xFu) == p->dbgmcu) {
		uint32_t *r = sim_stm32f1_dbgmcu_reg(f, addr & 0xCu);
		uint32_t w = r ? *r : ((uint32_t)p->rev_id << 16) | p->dev_id;

		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (addr >= F1_PERIPH_BASE && addr < F1_PERIPH_END)
		return 0; /* unmodelled peripherals read as 0 */
	/* ARMv6-M parts have no DBGMCU in the PPB: the access faults. */
	if ((p->flags & F1S_M0_DBG) && addr >= 0xE0040000u && addr < 0xE00FF000u)
		return -EFAULT;
	/* The PPB holes of ARMv6-M/v8-M Baseline cores fault. */
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return sim_mech_info_read(c, sim_stm32f1_info_byte, addr, size, debugger, val);
}

/* Main flash programming with PG: half-words into erased locations only
 * (PM0075 §2.3.3). */
static void sim_stm32f1_flash_program(struct sim_chip *c, uint8_t *ram, uint32_t addr, unsigned size,
				      uint32_t val)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	unsigned bank = ((f->part->flags & F1S_XL) && addr - F1_FLASH_BASE >= 512u * 1024u) ? 1 : 0;
	struct sim_stm32f1_bank *b = &f->b[bank];
	uint16_t old;

	if ((b->cr & F1_CR_LOCK) || !(b->cr & F1_CR_PG) || b->busy || size != 2) {
		b->sr |= F1_SR_PGERR;
		return;
	}
	memcpy(&old, ram, 2);
	if (old != 0xFFFF && val != 0) {
		b->sr |= F1_SR_PGERR;
		return;
	}
	memcpy(ram, &val, 2);
	sim_stm32f1_start(c, bank, F1_OP_NONE, F1_OPT_PROGRAM_MS);
}

static int sim_stm32f1_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);
	const struct sim_stm32f1_part *p = f->part;
	uint8_t *ram;
	unsigned idx;

	sim_stm32f1_tick(c);
	if ((ram = sim_stm32f1_flash_at(f, addr, size)) != NULL) {
		if (sim_stm32f1_blocked(c, debugger))
			return -EFAULT;
		if (debugger) {
			if (addr < F1_FLASH_BASE)
				addr += F1_FLASH_BASE;
			sim_stm32f1_flash_program(c, ram, addr, size, val);
		} else {
			memcpy(ram, &val, size);
		}
		return 0;
	}
	if (sim_mech_in(addr, size, F1_SRAM_BASE, p->sram_kb * 1024u)) {
		memcpy(f->sram + (addr - F1_SRAM_BASE), &val, size);
		return 0;
	}
	if (addr >= F1_FLASH_IF_BASE && addr < F1_FLASH_IF_END) {
		uint32_t off = (addr - F1_FLASH_IF_BASE) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (off == F1_KEYR || off == F1_OPTKEYR || off == F1_BANK2 + F1_KEYR || size == 4)
			return sim_stm32f1_if_write(c, off,
						    size == 4 ? val : sim_mech_merge(0, addr, size, val));
		return sim_stm32f1_if_write(c, off,
					    sim_mech_merge(sim_stm32f1_if_read(f, off), addr, size, val));
	}
	if (addr >= F1_OB_BASE && addr < F1_OB_BASE + F1_OB_SIZE) {
		if (debugger)
			c->counters->flash_if_writes++;
		sim_stm32f1_option_write(c, addr, size, val);
		return 0;
	}
	if (sim_stm32f1_bkp_at(p, addr, &idx)) {
		f->bkpr[idx] = sim_mech_merge(f->bkpr[idx], addr, size, val);
		return 0;
	}
	if ((addr & ~0xFu) == p->dbgmcu) {
		uint32_t *r = sim_stm32f1_dbgmcu_reg(f, addr & 0xCu);

		if (r)
			*r = sim_mech_merge(*r, addr, size, val);
		return 0;
	}
	if (addr >= F1_PERIPH_BASE && addr < F1_PERIPH_END)
		return 0;
	if ((p->flags & F1S_M0_DBG) && addr >= 0xE0040000u && addr < 0xE00FF000u)
		return -EFAULT;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_stm32f1_info_byte, addr, debugger);
}

/* A system reset runs the option byte loader (PM0075 §2.5: "loaded after
 * a system reset"), except on the F0, where only a power-on reset and
 * OBL_LAUNCH do (F1S_OBL_NOT_AT_RESET). An operation whose time is up has
 * completed. An option step still running is cut as a power loss cuts it
 * (sim_stm32f1_option_power_loss): the RDP half-word "first forces a Mass
 * Erase" (PM0075 §2.4.1), so a reset during that erase finds the half-word
 * still erased, as OPTER left it: level 1. No F0/F1/F3 or GD32 manual we
 * found says more. Other operations in progress complete first (?). */
static void sim_stm32f1_system_reset(struct sim_chip *c)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);

	sim_stm32f1_tick(c);
	if (f->b[0].busy && (f->b[0].op == F1_OP_OPT_ERASE || f->b[0].op == F1_OP_OPT_PROGRAM))
		sim_stm32f1_option_power_loss(c);
	sim_stm32f1_finish(c, 0);
	sim_stm32f1_finish(c, 1);
	if (f->obl_now || !(f->part->flags & F1S_OBL_NOT_AT_RESET))
		sim_stm32f1_load_options(f);
	f->obl_now = false;
	for (unsigned k = 0; k < 2; k++) {
		f->b[k].cr = F1_CR_LOCK; /* reset value 0x80 (PM0075 §3.4.5) */
		f->b[k].sr = 0;
		f->b[k].ar = 0;
		f->b[k].key = SIM_MECH_KEY_EXPECT1;
	}
	f->optwre = false;
	f->optkey = SIM_MECH_KEY_EXPECT1;
	f->acr = 0x30u;
}

static void sim_stm32f1_power_on(struct sim_chip *c)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);

	f->dbgmcu_cr = f->dbgmcu_apb1 = f->dbgmcu_apb2 = 0;
	f->obl_now = true;
	sim_stm32f1_system_reset(c);
}

static int sim_stm32f1_rdp_level(struct sim_chip *c)
{
	sim_stm32f1_tick(c);
	return sim_stm32f1_of(c)->level;
}

static void sim_stm32f1_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_stm32f1_chip *f = sim_stm32f1_of(c);

	memcpy(msp, f->flash, 4);
	memcpy(pc, f->flash + 4, 4);
}

const struct sim_chip_ops sim_stm32f1_ops = {
	.family = "stm32f0/f1/f3, gd32f1x0/e23x/f20x",
	.parts = SIM_PART_TABLE(sim_stm32f1_parts),
	.profile_rdp = sim_stm32f1_profile_rdp,
	.create = sim_stm32f1_create,
	.destroy = sim_stm32f1_destroy,
	.bus_read = sim_stm32f1_bus_read,
	.bus_write = sim_stm32f1_bus_write,
	.tick = sim_stm32f1_tick,
	.system_reset = sim_stm32f1_system_reset,
	.power_on = sim_stm32f1_power_on,
	.rdp_level = sim_stm32f1_rdp_level,
	.reset_vectors = sim_stm32f1_reset_vectors,
	.option_power_loss = sim_stm32f1_option_power_loss,
};
