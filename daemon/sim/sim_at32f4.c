/*
 * sim_at32f4.c - Artery AT32F4: the F1-like flash controller with the user
 * system data (USD) area and flash access protection (FAP). One controller
 * lineage; the series differ by register base, USD base/size and whether
 * the FAP high level exists (rows of sim_at32f4_parts[]).
 *
 * References (an independent reading; no driver header is used):
 *   AT32F403A/407, F413, F415, F423, F435/437 reference manuals, chapter
 *     "Flash memory controller" (FLASH_STS, FLASH_CTRL, FLASH_USD, USD area,
 *     "Flash access protection"; the Artery firmware libraries' flash headers.
 *   Artery BSP: CRM_CTRL HICKEN bit 0, HICKSTBL bit 1; F_SIZE at 0x1FFFF7E0.
 *   OpenOCD src/flash/nor/artery.c (series table, PIDs, the FAP disable
 *     sequence: "directly after the FAP byte(s) are written, a device reset
 *     is performed").
 *   Constants, sources and the choices made: docs/sim/sim_at32f4.md.
 *
 * State: the USD area as stored (value/complement half-words) and the image
 * loaded from it at the last reset (FLASH_USD, EPPS0/1 and the FAP level).
 * Programming changes only the stored area, except the FAP half-word with
 * 0xA5 while FAP is on: the controller mass-erases the main flash, stores it
 * and resets the chip, which loads the area.
 *
 * Choices where the sources are silent (?):
 *   - the FAP write that starts the regression gets an error response (the
 *     chip is about to reset); the erase then runs for mass_erase_ms and the
 *     reset comes at its end;
 *   - USD_UNLOCK keys are only heard once OPLK is clear (as F1's OPTKEYR);
 *   - a flash operation started with HICK stopped does not run and sets
 *     PRGMERR; the profiles' firmware stops HICK (a board running from its
 *     crystal), so HICK is off whenever the flash holds a program;
 *   - the FAP high level silences the debug port like ST's level 2, and the
 *     USD can no longer be erased or programmed (PRGMERR);
 *   - a half-word whose complement does not match loads as 0xFF (FAP: low).
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AT_FLASH_BASE 0x08000000u
#define AT_SRAM_BASE 0x20000000u
#define AT_PERIPH_BASE 0x40000000u
#define AT_PERIPH_END 0x60000000u
#define AT_INFO_BASE 0x1FFF0000u
#define AT_INFO_END 0x1FFFFC00u
#define AT_FSIZE 0x1FFFF7E0u
#define AT_UID 0x1FFFF7E8u
#define AT_DBGMCU 0xE0042000u

/* Flash register offsets. */
#define AT_PSR 0x00u
#define AT_UNLOCK 0x04u
#define AT_USD_UNLOCK 0x08u
#define AT_STS 0x0Cu
#define AT_CTRL 0x10u
#define AT_ADDR 0x14u
#define AT_USD 0x1Cu
#define AT_EPPS0 0x20u
#define AT_EPPS1 0x2Cu

#define AT_KEY1 0x45670123u
#define AT_KEY2 0xCDEF89ABu

#define AT_STS_OBF (1u << 0)
#define AT_STS_PRGMERR (1u << 2)
#define AT_STS_EPPERR (1u << 4)
#define AT_STS_ODF (1u << 5)
#define AT_STS_W1C (AT_STS_PRGMERR | AT_STS_EPPERR | AT_STS_ODF)

#define AT_CTRL_FPRGM (1u << 0)
#define AT_CTRL_SECERS (1u << 1)
#define AT_CTRL_BANKERS (1u << 2)
#define AT_CTRL_USDPRGM (1u << 4)
#define AT_CTRL_USDERS (1u << 5)
#define AT_CTRL_ERSTR (1u << 6)
#define AT_CTRL_OPLK (1u << 7)
#define AT_CTRL_USDULKS (1u << 9)
#define AT_CTRL_WRITABLE (AT_CTRL_FPRGM | AT_CTRL_SECERS | AT_CTRL_BANKERS | AT_CTRL_USDPRGM | \
			  AT_CTRL_USDERS | AT_CTRL_ERSTR | AT_CTRL_OPLK | (1u << 10) | (1u << 12))

#define AT_USD_ERR (1u << 0)
#define AT_USD_FAP (1u << 1)
#define AT_USD_FAP_HL (1u << 26)

#define AT_CRM_HICKEN (1u << 0)
#define AT_CRM_HICKSTBL (1u << 1)

/* Series flags. */
#define ATS_HIGH (1u << 0)     /* FAP high level (0xCC) exists */
#define ATS_BASE_3C00 (1u << 1) /* flash 0x40023C00, CRM 0x40023800 */
#define ATS_USD_C000 (1u << 2) /* USD at 0x1FFFC000 */
#define ATS_EPP_EXT (1u << 3)  /* EPPS1, EPP_EXT at USD + 0x14 */

#define AT_USD_PROGRAM_MS 0.05 /* (?) */
#define AT_USD_ERASE_MS 2.0    /* OpenOCD waits only 5 ms for it */
#define AT_SECTOR_ERASE_MS 20.0

struct sim_at32f4_part {
	struct sim_part_id id;
	uint32_t pid;
	uint32_t flags;
	uint32_t flash_kb, sram_kb, sector_bytes, usd_bytes;
	double mass_erase_ms;     /* (?) not in our sources; OpenOCD allows 2.4 s */
	struct sim_cortexm_desc core;
};

#define AT_M4F(pid) { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, (pid) & 0xFFF, 0 }
#define AT_M4(pid) { SIM_CORTEX_M4, 0x410FC241u, false, 0, 0, 0, (pid) & 0xFFF, 0 }

static const struct sim_at32f4_part sim_at32f4_parts[] = {
	{ { "at32f403acgu7", "AT32F403ACGU7, Cortex-M4F, 1 MB flash, 96 KB SRAM, FAP low only" },
	  0x70050347u, 0, 1024, 96, 2048, 48, 800.0, AT_M4F(0x70050347u) },
	{ { "at32f413kbu7", "AT32F413KBU7-4, Cortex-M4F, 128 KB flash, 32 KB SRAM (shares its PID with AT32F415CBT7)" },
	  0x700301C5u, 0, 128, 32, 1024, 48, 200.0, AT_M4F(0x700301C5u) },
	{ { "at32f415cbt7", "AT32F415CBT7, Cortex-M4 (no FPU), 128 KB flash, 32 KB SRAM, FAP high level" },
	  0x700301C5u, ATS_HIGH, 128, 32, 1024, 1024, 200.0, AT_M4(0x700301C5u) },
	{ { "at32f423cct7", "AT32F423CCT7, Cortex-M4F, 256 KB flash, 48 KB SRAM, flash registers at 0x40023C00" },
	  0x700A3249u, ATS_HIGH | ATS_BASE_3C00, 256, 48, 2048, 512, 300.0, AT_M4F(0x700A3249u) },
	{ { "at32f437zct7", "AT32F437ZCT7, Cortex-M4F, 256 KB flash, 384 KB SRAM (96 modelled), USD at 0x1FFFC000" },
	  0x70083251u, ATS_BASE_3C00 | ATS_USD_C000 | ATS_EPP_EXT, 256, 96, 2048, 512, 300.0,
	  AT_M4F(0x70083251u) },
};

#define AT_NPARTS (sizeof(sim_at32f4_parts) / sizeof(sim_at32f4_parts[0]))

enum sim_at32f4_op { AT_OP_NONE, AT_OP_PROGRAM, AT_OP_USD_ERASE, AT_OP_USD_PROGRAM, AT_OP_REGRESS,
	     AT_OP_SECTOR_ERASE, AT_OP_BANK_ERASE };

struct sim_at32f4_chip {
	const struct sim_at32f4_part *part;
	uint8_t *flash, *sram, *usd;
	uint32_t psr, sts, ctrl, addr, crm, dbgmcu_cr;
	bool usdulks;
	enum sim_mech_key key, usdkey;
	bool busy;
	enum sim_at32f4_op op;
	uint64_t busy_until_ns;
	uint32_t op_off;           /* USD offset or flash offset of the operation */
	uint16_t op_value;
	/* loaded image */
	uint32_t usd_reg, epps0, epps1;
	int level;
};

static struct sim_at32f4_chip *sim_at32f4_of(struct sim_chip *c)
{
	return c->priv;
}

/* FAP bytes per profile level: 0xA5 disabled, 0xBB low (anything but
 * 0xA5/0xCC), 0xCC high where the series has it; no "-rdp2" otherwise. */
static int sim_at32f4_profile_rdp(size_t i, unsigned level, uint8_t *rdp)
{
	if (i >= AT_NPARTS)
		return -1;
	switch (level) {
	case 0: *rdp = 0xA5; return 0;
	case 1: *rdp = 0xBB; return 0;
	case 2:
		if (!(sim_at32f4_parts[i].flags & ATS_HIGH))
			return -1;
		*rdp = 0xCC;
		return 0;
	default: return -1;
	}
}

static uint32_t sim_at32f4_regs(const struct sim_at32f4_part *p)
{
	return (p->flags & ATS_BASE_3C00) ? 0x40023C00u : 0x40022000u;
}

static uint32_t sim_at32f4_crm(const struct sim_at32f4_part *p)
{
	return (p->flags & ATS_BASE_3C00) ? 0x40023800u : 0x40021000u;
}

static uint32_t sim_at32f4_usd_base(const struct sim_at32f4_part *p)
{
	return (p->flags & ATS_USD_C000) ? 0x1FFFC000u : 0x1FFFF800u;
}

static uint16_t sim_at32f4_hw(const struct sim_at32f4_chip *a, uint32_t off)
{
	return (uint16_t)(a->usd[off] | a->usd[off + 1] << 8);
}

static void sim_at32f4_set_hw(struct sim_at32f4_chip *a, uint32_t off, uint16_t v)
{
	a->usd[off] = (uint8_t)v;
	a->usd[off + 1] = (uint8_t)(v >> 8);
}

/* The byte a stored half-word loads as; *ERR set on a complement mismatch
 * of a programmed half-word. */
static uint8_t sim_at32f4_byte(const struct sim_at32f4_chip *a, uint32_t off, bool *err)
{
	uint16_t hw = sim_at32f4_hw(a, off);
	uint8_t v = (uint8_t)hw;

	if ((uint8_t)(hw >> 8) == (uint8_t)~v)
		return v;
	if (hw != 0xFFFF)
		*err = true;
	return 0xFF;
}

/* The USD loader at reset: FAP, SSB, user data 0/1 into FLASH_USD; EPP
 * into EPPS0 (EPP_EXT into EPPS1 on F435/437). */
static void sim_at32f4_load(struct sim_at32f4_chip *a)
{
	const struct sim_at32f4_part *p = a->part;
	bool err = false;
	uint8_t fap = sim_at32f4_byte(a, 0, &err), ssb = sim_at32f4_byte(a, 2, &err);
	uint8_t d0 = sim_at32f4_byte(a, 4, &err), d1 = sim_at32f4_byte(a, 6, &err);

	a->level = fap == 0xA5 ? 0 : (fap == 0xCC && (p->flags & ATS_HIGH)) ? 2 : 1;
	a->epps0 = a->epps1 = 0;
	for (unsigned i = 0; i < 4; i++) {
		a->epps0 |= (uint32_t)sim_at32f4_byte(a, 8 + 2 * i, &err) << (8 * i);
		if (p->flags & ATS_EPP_EXT)
			a->epps1 |= (uint32_t)sim_at32f4_byte(a, 0x14 + 2 * i, &err) << (8 * i);
	}
	a->usd_reg = (a->level ? AT_USD_FAP : 0) | (a->level == 2 ? AT_USD_FAP_HL : 0) |
		     (uint32_t)ssb << 2 | (uint32_t)d0 << 10 | (uint32_t)d1 << 18 | (err ? AT_USD_ERR : 0);
}

static void sim_at32f4_destroy(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	if (!a)
		return;
	free(a->flash);
	free(a->sram);
	free(a->usd);
	free(a);
	c->priv = NULL;
}

static int sim_at32f4_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_at32f4_part *p;
	struct sim_at32f4_chip *a;

	if (part >= AT_NPARTS)
		return -ENOENT;
	p = &sim_at32f4_parts[part];
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->priv = a;
	a->part = p;
	a->flash = malloc(p->flash_kb * 1024u);
	a->sram = calloc(1, p->sram_kb * 1024u);
	a->usd = malloc(p->usd_bytes);
	if (!a->flash || !a->sram || !a->usd) {
		sim_at32f4_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(a->flash, p->flash_kb * 1024u, AT_SRAM_BASE + p->sram_kb * 1024u,
			      AT_FLASH_BASE + 0xC1u);
	/* A programmed USD: FAP, SSB 0xFE, user data 0x12/0x34, EPP0 0xFE
	 * (first sector group protected), the rest erased. */
	memset(a->usd, 0xFF, p->usd_bytes);
	sim_at32f4_set_hw(a, 0, (uint16_t)(rdp | (uint8_t)~rdp << 8));
	sim_at32f4_set_hw(a, 2, 0x01FE);
	sim_at32f4_set_hw(a, 4, 0xED12);
	sim_at32f4_set_hw(a, 6, 0xCB34);
	sim_at32f4_set_hw(a, 8, 0x01FE);
	c->dpidr = 0x1BA01477u; /* OpenOCD tcl/target/artery/at32f4x.cfg */
	c->ap_idr = 0x24770011u;
	c->dp_version = 1;
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

static uint32_t sim_at32f4_flash_size(const struct sim_at32f4_part *p)
{
	return p->flash_kb * 1024u;
}

static void sim_at32f4_finish(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	const struct sim_at32f4_part *p = a->part;
	bool reset = false;

	if (!a->busy)
		return;
	switch (a->op) {
	case AT_OP_USD_ERASE:
		memset(a->usd, 0xFF, p->usd_bytes);
		break;
	case AT_OP_USD_PROGRAM:
		sim_at32f4_set_hw(a, a->op_off, a->op_value);
		break;
	case AT_OP_REGRESS:
		/* OpenOCD artery.c (docs/targets/at32f4.md): FAP 0xA5 programmed while FAP is on mass-erases the
		 * main flash, then the device resets itself. */
		memset(a->flash, 0xFF, sim_at32f4_flash_size(p));
		sim_at32f4_set_hw(a, 0, a->op_value);
		c->counters->mass_erases++;
		reset = true;
		break;
	case AT_OP_BANK_ERASE:
		memset(a->flash, 0xFF, sim_at32f4_flash_size(p));
		c->counters->mass_erases++;
		break;
	case AT_OP_SECTOR_ERASE:
		memset(a->flash + a->op_off, 0xFF, p->sector_bytes);
		break;
	default:
		break;
	}
	a->busy = false;
	a->op = AT_OP_NONE;
	a->sts = (a->sts & ~AT_STS_OBF) | AT_STS_ODF;
	a->ctrl &= ~AT_CTRL_ERSTR;
	if (reset)
		sim_chip_system_reset(c);
}

static void sim_at32f4_tick(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	if (sim_chip_op_due(c, a->busy, a->busy_until_ns))
		sim_at32f4_finish(c);
}

static void sim_at32f4_start(struct sim_chip *c, enum sim_at32f4_op op, double ms)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	a->op = op;
	a->busy = true;
	a->sts |= AT_STS_OBF;
	a->busy_until_ns = sim_chip_deadline_ns(c, ms);
}

/* With FAP on and a debugger attached since power-on, main flash (and the
 * UID, OpenOCD artery.c) is refused (docs/sim/sim_at32f4.md). */
static bool sim_at32f4_blocked(struct sim_chip *c, bool debugger)
{
	return debugger && c->debugger_attached && sim_at32f4_of(c)->level != 0;
}

static bool sim_at32f4_hick(const struct sim_at32f4_chip *a)
{
	return (a->crm & AT_CRM_HICKSTBL) != 0;
}

static void sim_at32f4_ctrl_write(struct sim_chip *c, uint32_t v)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	const struct sim_at32f4_part *p = a->part;

	if ((a->ctrl & AT_CTRL_OPLK) || a->busy)
		return;
	a->ctrl = v & AT_CTRL_WRITABLE;
	if (!(v & AT_CTRL_USDULKS) || (v & AT_CTRL_OPLK))
		a->usdulks = false; /* software clears USDULKS, OPLK drops it */
	if (v & AT_CTRL_OPLK) {
		a->key = a->usdkey = SIM_MECH_KEY_EXPECT1;
		return;
	}
	if (!(v & AT_CTRL_ERSTR))
		return;
	if (!sim_at32f4_hick(a)) {
		a->sts |= AT_STS_PRGMERR;
		a->ctrl &= ~AT_CTRL_ERSTR;
		return;
	}
	if (v & AT_CTRL_USDERS) {
		if (!a->usdulks || a->level == 2) {
			a->sts |= AT_STS_PRGMERR;
			a->ctrl &= ~AT_CTRL_ERSTR;
			return;
		}
		sim_at32f4_start(c, AT_OP_USD_ERASE, AT_USD_ERASE_MS);
		sim_chip_option_started(c);
		return;
	}
	if (v & (AT_CTRL_BANKERS | AT_CTRL_SECERS)) {
		uint32_t off = a->addr - AT_FLASH_BASE;

		if (sim_at32f4_blocked(c, true) ||
		    ((v & AT_CTRL_SECERS) && off >= sim_at32f4_flash_size(p))) {
			a->sts |= AT_STS_EPPERR;
			a->ctrl &= ~AT_CTRL_ERSTR;
			return;
		}
		a->op_off = off & ~(p->sector_bytes - 1);
		sim_at32f4_start(c, (v & AT_CTRL_BANKERS) ? AT_OP_BANK_ERASE : AT_OP_SECTOR_ERASE,
				 (v & AT_CTRL_BANKERS) ? p->mass_erase_ms : AT_SECTOR_ERASE_MS);
		return;
	}
	a->ctrl &= ~AT_CTRL_ERSTR;
}

static uint32_t sim_at32f4_if_read(struct sim_at32f4_chip *a, uint32_t off)
{
	switch (off) {
	case AT_PSR: return a->psr;
	case AT_STS: return a->sts;
	case AT_CTRL: return a->ctrl | (a->usdulks ? AT_CTRL_USDULKS : 0);
	case AT_ADDR: return a->addr;
	case AT_USD: return a->usd_reg;
	case AT_EPPS0: return a->epps0;
	case AT_EPPS1: return (a->part->flags & ATS_EPP_EXT) ? a->epps1 : 0;
	default: return 0;
	}
}

static int sim_at32f4_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	bool ok = false;
	int rc;

	switch (off) {
	case AT_PSR:
		a->psr = v & 0x1Fu;
		return 0;
	/* UNLOCK / USD_UNLOCK: KEY1 then KEY2; a wrong value locks until
	 * reset with a bus error; the right pair again is accepted (as on F1). */
	case AT_UNLOCK:
		rc = sim_mech_key_feed(&a->key, AT_KEY1, AT_KEY2, v, &ok);
		if (ok)
			a->ctrl &= ~AT_CTRL_OPLK;
		return rc;
	case AT_USD_UNLOCK:
		if (a->ctrl & AT_CTRL_OPLK)
			return 0;
		rc = sim_mech_key_feed(&a->usdkey, AT_KEY1, AT_KEY2, v, &ok);
		if (ok)
			a->usdulks = true;
		return rc;
	case AT_STS:
		a->sts &= ~(v & AT_STS_W1C);
		return 0;
	case AT_CTRL:
		sim_at32f4_ctrl_write(c, v);
		return 0;
	case AT_ADDR:
		if (!(a->ctrl & AT_CTRL_OPLK) && !a->busy)
			a->addr = v;
		return 0;
	default:
		return 0;
	}
}

/* One half-word into the USD area (USDPRGM and USDULKS set, target erased).
 * Returns -EFAULT for the FAP write that starts the regression. */
static int sim_at32f4_usd_half(struct sim_chip *c, uint32_t off, uint16_t v)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	if (!(a->ctrl & AT_CTRL_USDPRGM) || !a->usdulks || a->busy || !sim_at32f4_hick(a) ||
	    a->level == 2 || sim_at32f4_hw(a, off) != 0xFFFF) {
		a->sts |= AT_STS_PRGMERR;
		return 0;
	}
	a->op_off = off;
	a->op_value = v;
	if (off == 0 && (uint8_t)v == 0xA5 && a->level == 1) {
		sim_at32f4_start(c, AT_OP_REGRESS, a->part->mass_erase_ms);
		sim_chip_option_started(c);
		return -EFAULT;
	}
	sim_at32f4_start(c, AT_OP_USD_PROGRAM, AT_USD_PROGRAM_MS);
	sim_chip_option_started(c);
	return 0;
}

/* Power lost while a USD step runs (sim_probe_power_fail_at_option_step).
 * OpenOCD's artery.c (docs/targets/at32f4.md) says only that an erased USD leaves FAP
 * 0xFF, the low level, and that the FAP write mass-erases, then resets;
 * the rest is picked (?) as on the F1 it copies (PM0075 §2.4.1): the USD
 * erase (step 1) leaves the area erased; the FAP half-word (step 2) is still
 * erased, its mass erase having come first, with half the flash erased and
 * no mass erase counted; any other half-word keeps its low byte without the
 * complement (a mismatch: USD_ERR, sim_at32f4_load). An erased FAP loads as
 * the low level; sim_at32f4_load raises no error for erased half-words (?). */
static void sim_at32f4_option_power_loss(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	if (!a->busy)
		return;
	if (a->op == AT_OP_USD_ERASE)
		memset(a->usd, 0xFF, a->part->usd_bytes);
	else if (a->op == AT_OP_REGRESS)
		memset(a->flash, 0xFF, sim_at32f4_flash_size(a->part) / 2);
	else if (a->op == AT_OP_USD_PROGRAM)
		sim_at32f4_set_hw(a, a->op_off, (uint16_t)(0xFF00u | (a->op_value & 0xFFu)));
	a->busy = false;
	a->op = AT_OP_NONE;
	a->sts &= ~AT_STS_OBF;
	a->ctrl &= ~AT_CTRL_ERSTR;
}

static int sim_at32f4_usd_write(struct sim_chip *c, uint32_t off, unsigned size, uint32_t v)
{
	int rc;

	if (size == 1 || (off & 1)) {
		sim_at32f4_of(c)->sts |= AT_STS_PRGMERR;
		return 0;
	}
	rc = sim_at32f4_usd_half(c, off, (uint16_t)v);
	if (size == 4 && rc == 0) {
		/* The second half-word follows once the first is in (?). */
		sim_at32f4_finish(c);
		rc = sim_at32f4_usd_half(c, off + 2, (uint16_t)(v >> 16));
	}
	return rc;
}

static uint8_t *sim_at32f4_flash_at(struct sim_at32f4_chip *a, uint32_t addr, unsigned size)
{
	uint32_t fsz = sim_at32f4_flash_size(a->part);

	if (sim_mech_in(addr, size, AT_FLASH_BASE, fsz))
		return a->flash + (addr - AT_FLASH_BASE);
	if (sim_mech_in(addr, size, 0, fsz))
		return a->flash + addr;
	return NULL;
}

/* The information block, byte by byte: USD, F_SIZE, UID, system memory.
 * False where nothing is there, and for the UID while FAP is on: both are
 * a bus error. */
static bool sim_at32f4_info_byte(struct sim_chip *c, uint32_t x, bool debugger, uint8_t *b)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	const struct sim_at32f4_part *p = a->part;
	uint32_t ub = sim_at32f4_usd_base(p);

	if (x >= ub && x < ub + p->usd_bytes) {
		*b = a->usd[x - ub];
		return true;
	}
	if (sim_mech_field_byte(p->flash_kb, AT_FSIZE, 2, x, b))
		return true;
	if (x >= AT_UID && x < AT_UID + 12)
		return !sim_at32f4_blocked(c, debugger) && sim_mech_uid_byte(c->uid, AT_UID, 8, x, b);
	if (x >= AT_INFO_BASE && x < AT_INFO_END) {
		*b = (uint8_t)(0xA7 ^ (x & 0xFF));
		return true;
	}
	return false;
}

static int sim_at32f4_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
			       bool debugger)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	const struct sim_at32f4_part *p = a->part;
	uint8_t *ram;

	sim_at32f4_tick(c);
	*val = 0;
	if ((ram = sim_at32f4_flash_at(a, addr, size)) != NULL) {
		if (sim_at32f4_blocked(c, debugger))
			return -EFAULT;
		memcpy(val, ram, size);
		return 0;
	}
	if (sim_mech_in(addr, size, AT_SRAM_BASE, p->sram_kb * 1024u)) {
		memcpy(val, a->sram + (addr - AT_SRAM_BASE), size);
		return 0;
	}
	if (addr >= sim_at32f4_regs(p) && addr < sim_at32f4_regs(p) + 0x400u) {
		*val = sim_mech_lane(sim_at32f4_if_read(a, (addr - sim_at32f4_regs(p)) & ~3u), addr, size);
		return 0;
	}
	if ((addr & ~3u) == sim_at32f4_crm(p)) {
		*val = sim_mech_lane(a->crm, addr, size);
		return 0;
	}
	if ((addr & ~0xFu) == AT_DBGMCU) {
		*val = sim_mech_lane((addr & 0xCu) == 0 ? p->pid : (addr & 0xCu) == 4 ? a->dbgmcu_cr : 0,
			      addr, size);
		return 0;
	}
	if (addr >= AT_PERIPH_BASE && addr < AT_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return sim_mech_info_read(c, sim_at32f4_info_byte, addr, size, debugger, val);
}

static int sim_at32f4_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				bool debugger)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);
	const struct sim_at32f4_part *p = a->part;
	uint32_t ub = sim_at32f4_usd_base(p);
	uint8_t *ram;

	sim_at32f4_tick(c);
	if ((ram = sim_at32f4_flash_at(a, addr, size)) != NULL) {
		if (sim_at32f4_blocked(c, debugger))
			return -EFAULT;
		if (!debugger) {
			memcpy(ram, &val, size);
			return 0;
		}
		/* FPRGM: a word into erased flash (?: sizes other than 4 refused). */
		if ((a->ctrl & AT_CTRL_OPLK) || !(a->ctrl & AT_CTRL_FPRGM) || a->busy || size != 4 ||
		    !sim_at32f4_hick(a)) {
			a->sts |= AT_STS_PRGMERR;
			return 0;
		}
		{
			uint32_t old;

			memcpy(&old, ram, 4);
			if (old != 0xFFFFFFFFu) {
				a->sts |= AT_STS_PRGMERR;
				return 0;
			}
		}
		memcpy(ram, &val, 4);
		sim_at32f4_start(c, AT_OP_PROGRAM, AT_USD_PROGRAM_MS);
		return 0;
	}
	if (sim_mech_in(addr, size, AT_SRAM_BASE, p->sram_kb * 1024u)) {
		memcpy(a->sram + (addr - AT_SRAM_BASE), &val, size);
		return 0;
	}
	if (addr >= sim_at32f4_regs(p) && addr < sim_at32f4_regs(p) + 0x400u) {
		uint32_t off = (addr - sim_at32f4_regs(p)) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (size == 4 || off == AT_UNLOCK || off == AT_USD_UNLOCK)
			return sim_at32f4_if_write(c, off,
						   size == 4 ? val : sim_mech_merge(0, addr, size, val));
		return sim_at32f4_if_write(c, off,
					   sim_mech_merge(sim_at32f4_if_read(a, off), addr, size, val));
	}
	if (sim_mech_in(addr, size, ub, p->usd_bytes)) {
		if (debugger)
			c->counters->flash_if_writes++;
		return sim_at32f4_usd_write(c, addr - ub, size, val);
	}
	if ((addr & ~3u) == sim_at32f4_crm(p)) {
		uint32_t v = sim_mech_merge(a->crm, addr, size, val);

		/* HICK becomes stable at once (microseconds on silicon). */
		a->crm = (v & ~AT_CRM_HICKSTBL) | ((v & AT_CRM_HICKEN) ? AT_CRM_HICKSTBL : 0);
		return 0;
	}
	if ((addr & ~0xFu) == AT_DBGMCU) {
		if ((addr & 0xCu) == 4)
			a->dbgmcu_cr = sim_mech_merge(a->dbgmcu_cr, addr, size, val);
		return 0;
	}
	if (addr >= AT_PERIPH_BASE && addr < AT_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_at32f4_info_byte, addr, debugger);
}

/* Every system reset loads the USD (OpenOCD doc: "changes need a reset").
 * The regression's own reset comes from sim_at32f4_finish once it is done
 * (or is this one, when its time was up unseen). A USD step or regression
 * whose time is up has completed; one still running is cut by this
 * (external) reset as a power loss cuts it (sim_at32f4_option_power_loss:
 * the FAP half-word still erased, half the flash erased): no Artery
 * document we found says what a reset does there (?). Other operations in
 * progress complete first (?). */
static void sim_at32f4_system_reset(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	bool due = a->busy && sim_chip_now_ns() >= a->busy_until_ns;

	if (a->busy && a->op == AT_OP_REGRESS && due) { /* done: this is its own reset */
		a->busy = false;
		memset(a->flash, 0xFF, sim_at32f4_flash_size(a->part));
		sim_at32f4_set_hw(a, 0, a->op_value);
		c->counters->mass_erases++;
	} else if (a->busy && !due &&
		   (a->op == AT_OP_REGRESS || a->op == AT_OP_USD_ERASE || a->op == AT_OP_USD_PROGRAM)) {
		sim_at32f4_option_power_loss(c);
	}
	if (a->busy)
		sim_at32f4_finish(c);
	a->op = AT_OP_NONE;
	sim_at32f4_load(a);
	a->ctrl = AT_CTRL_OPLK;
	a->sts = 0;
	a->addr = 0;
	a->psr = 0;
	a->usdulks = false;
	a->key = a->usdkey = SIM_MECH_KEY_EXPECT1;
	/* HICK is on after reset; the profiles' firmware runs from the crystal
	 * and stops it at once (?), so a chip with a program in flash shows
	 * HICK off and the debugger must start it before any flash operation. */
	a->crm = AT_CRM_HICKEN | AT_CRM_HICKSTBL;
	{
		uint32_t w;

		memcpy(&w, a->flash, 4);
		if (w != 0xFFFFFFFFu)
			a->crm = 0;
	}
}

static void sim_at32f4_power_on(struct sim_chip *c)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	a->dbgmcu_cr = 0;
	sim_at32f4_system_reset(c);
}

static int sim_at32f4_rdp_level(struct sim_chip *c)
{
	sim_at32f4_tick(c);
	return sim_at32f4_of(c)->level;
}

static void sim_at32f4_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_at32f4_chip *a = sim_at32f4_of(c);

	memcpy(msp, a->flash, 4);
	memcpy(pc, a->flash + 4, 4);
}

const struct sim_chip_ops sim_at32f4_ops = {
	.family = "artery at32f4",
	.parts = SIM_PART_TABLE(sim_at32f4_parts),
	.profile_rdp = sim_at32f4_profile_rdp,
	.create = sim_at32f4_create,
	.destroy = sim_at32f4_destroy,
	.bus_read = sim_at32f4_bus_read,
	.bus_write = sim_at32f4_bus_write,
	.tick = sim_at32f4_tick,
	.system_reset = sim_at32f4_system_reset,
	.power_on = sim_at32f4_power_on,
	.rdp_level = sim_at32f4_rdp_level,
	.reset_vectors = sim_at32f4_reset_vectors,
	.option_power_loss = sim_at32f4_option_power_loss,
};
