/*
 * sim_stm32l0.c - STM32L0 (Cortex-M0+) and STM32L1 (Cortex-M3): the PECR
 * flash controller, option bytes as words with complements, data EEPROM,
 * read-out protection. One lineage; the parts differ by the rows of
 * sim_stm32l0_parts[].
 *
 * References:
 *   RM0367/RM0377 (L0) §3.3.4 unlocking (PELOCK, then OPTLOCK), §3.4.4
 *     option bytes programming, §3.8.2 read protection ("writing xx55xxAA
 *     ... generates a mass erase"), §3.7 registers; RM0038 (L1) §3.7.1,
 *     §3.9 registers (PECR, SR, OBR, WRPR).
 *   Constants, sources and the choices made: docs/sim/sim_stm32l0.md.
 *
 * Choices the manuals seen do not settle, marked (?) where made:
 *   - The regression erases flash and data EEPROM to 0x00; on L1 it also
 *     leaves the USER and WRP option words at 0x00000000 (ST community
 *     report on an L151, docs/sim/sim_stm32l0.md), on L0 it keeps them (RM0367 "does not
 *     delete the third word").
 *   - Option words with a wrong complement load as: RDP -> level 1, USER
 *     and WRP -> 0, with OPTVERR (L0) / OPTVERRUSR (L1) set.
 *   - The debugger latch closes flash and EEPROM while the loaded level is
 *     1; after OBL_LAUNCH to level 0 they open again: the RMs
 *     seen ask for a POR only on L4.
 *   - The PECR write that sets OBL_LAUNCH resets the chip and is answered
 *     with a bus error (OpenOCD: "SWD_DP_ERROR despite the write was
 *     successful").
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define L0_FLASH_BASE 0x08000000u
#define L0_EEPROM_BASE 0x08080000u
#define L0_SRAM_BASE 0x20000000u
#define L0_PERIPH_BASE 0x40000000u
#define L0_PERIPH_END 0x60000000u
#define L0_OB_BASE 0x1FF80000u
#define L0_OB_WORDS 8u   /* 0x1FF80000-0x1FF8001F: RDP, USER, WRP01..WRP1011 */
#define L0_OB_EXT 0x80u  /* L1 Cat.5/6: WRP1213 at +0x80, WRP1415 at +0x84 */
#define L0_OB_ALL 10u    /* ob[8], ob[9]: the two words at +0x80 */
#define L0_INFO_END 0x1FF80100u /* factory bytes after the options: UID, F_SIZE */
#define L0_SYSMEM_BASE 0x1FF00000u

#define L0_PECR 0x04u
#define L0_PDKEYR 0x08u
#define L0_PEKEYR 0x0Cu
#define L0_PRGKEYR 0x10u
#define L0_OPTKEYR 0x14u
#define L0_SR 0x18u
#define L0_OBR 0x1Cu
#define L0_WRPR1 0x20u
#define L0_WRPR2 0x80u /* WRPR2..4 at 0x80/0x84/0x88 (stm32l151xe.h:296-298) */

#define L0_PEKEY1 0x89ABCDEFu
#define L0_PEKEY2 0x02030405u
#define L0_PRGKEY1 0x8C9DAEBFu
#define L0_PRGKEY2 0x13141516u
#define L0_OPTKEY1 0xFBEAD9C8u
#define L0_OPTKEY2 0x24252627u

#define L0_PECR_PELOCK (1u << 0)
#define L0_PECR_PRGLOCK (1u << 1)
#define L0_PECR_OPTLOCK (1u << 2)
#define L0_PECR_LOCKS 0x7u
#define L0_PECR_OBL_LAUNCH (1u << 18)
/* PROG 3, DATA 4, FIX/FTDW 8, ERASE 9, FPRG 10, PARALLBANK 15, EOPIE 16,
 * ERRIE 17 (FLASH_PECR_*_Pos, stm32l073xx.h:2422-2443, stm32l151xe.h:3088-3109);
 * bits 5-7 are reserved. */
#define L0_PECR_WRITABLE 0x00038718u

#define L0_SR_BSY (1u << 0)
#define L0_SR_EOP (1u << 1)
#define L0_SR_ENDHV (1u << 2)
#define L0_SR_READY (1u << 3)
#define L0_SR_WRPERR (1u << 8)
#define L0_SR_SIZERR (1u << 10)
#define L0_SR_OPTVERR (1u << 11)
#define L0_SR_OPTVERRUSR (1u << 12)
#define L0_SR_W1C 0x3F02u

#define L0_RDP_LEVEL0 0xAAu
#define L0_RDP_LEVEL2 0xCCu

/* EEPROM-style word write of an option (?: no RM figure seen). */
#define L0_OB_WRITE_MS 4.0

struct sim_stm32l0_part {
	struct sim_part_id id;
	bool l1;
	uint16_t dev_id, rev_id;    /* typical revisions (?) */
	uint32_t flash_kb, sram_kb, eeprom_bytes;
	uint32_t regs, dbgmcu, fsize_addr, uid_addr;
	unsigned wrpr_regs;         /* FLASH_WRPR1..4 that exist (FLASH_TypeDef) */
	bool ob_ext;                /* WRP1213/WRP1415 option words at +0x80/+0x84 */
	uint16_t fsize_raw;         /* what F_SIZE holds */
	uint32_t user_default;      /* option word 1 low half (BOR, watchdog, resets, BFB2) */
	double mass_erase_ms;
	struct sim_cortexm_desc core;
	uint32_t dpidr, ap_idr;
};

#define L0_CORE(dev) { SIM_CORTEX_M0PLUS, 0x410CC601u, false, 0, 0, 0, dev, 0x020 }
#define L1_CORE(dev) { SIM_CORTEX_M3, 0x412FC231u, false, 0, 0, 0, dev, 0x020 }

static const struct sim_stm32l0_part sim_stm32l0_parts[] = {
	{
		.id.name = "stm32l073rz", .id.summary = "STM32L073RZ, Cortex-M0+, 192 KB flash, 20 KB SRAM, 6 KB data EEPROM",
		.l1 = false, .dev_id = 0x447, .rev_id = 0x2000, .flash_kb = 192, .sram_kb = 20,
		.eeprom_bytes = 6144, .regs = 0x40022000u, .dbgmcu = 0x40015800u,
		.fsize_addr = 0x1FF8007Cu, .uid_addr = 0x1FF80050u, .fsize_raw = 192,
		.wrpr_regs = 2, /* WRPR and WRPR2 (stm32l073xx.h:280-282) */
		.user_default = 0x8070u, .mass_erase_ms = 200.0, .core = L0_CORE(0x447),
		.dpidr = 0x0BC11477u, .ap_idr = 0x04770031u,
	},
	{
		.id.name = "stm32l011k4", .id.summary = "STM32L011K4, Cortex-M0+, 16 KB flash, 2 KB SRAM, 512 B data EEPROM",
		.l1 = false, .dev_id = 0x457, .rev_id = 0x1000, .flash_kb = 16, .sram_kb = 2,
		.eeprom_bytes = 512, .regs = 0x40022000u, .dbgmcu = 0x40015800u,
		.fsize_addr = 0x1FF8007Cu, .uid_addr = 0x1FF80050u, .fsize_raw = 16, .wrpr_regs = 1,
		.user_default = 0x8070u, .mass_erase_ms = 50.0, .core = L0_CORE(0x457),
		.dpidr = 0x0BC11477u, .ap_idr = 0x04770031u,
	},
	{
		/* Cat.5: F_SIZE at 0x1FF800CC, UID at 0x1FF800D0 (FLASHSIZE_BASE,
		 * UID_BASE, stm32l151xe.h:699-700); WRPR1..4 and the option words
		 * WRP1213/WRP1415 at +0x80/+0x84 (stm32l151xe.h:294-298, 315-316) */
		.id.name = "stm32l152re", .id.summary = "STM32L152RE, Cortex-M3, 512 KB dual-bank flash, 80 KB SRAM, 16 KB data EEPROM",
		.l1 = true, .dev_id = 0x437, .rev_id = 0x1000, .flash_kb = 512, .sram_kb = 80,
		.eeprom_bytes = 16384, .regs = 0x40023C00u, .dbgmcu = 0xE0042000u,
		.fsize_addr = 0x1FF800CCu, .uid_addr = 0x1FF800D0u, .fsize_raw = 512,
		.wrpr_regs = 4, .ob_ext = true,
		.user_default = 0x00F8u, .mass_erase_ms = 400.0, .core = L1_CORE(0x437),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u,
	},
	{
		.id.name = "stm32l151c8", .id.summary = "STM32L151C8, Cortex-M3, 64 KB flash (Cat.1), 10 KB SRAM, 4 KB data EEPROM",
		.l1 = true, .dev_id = 0x416, .rev_id = 0x1008, .flash_kb = 64, .sram_kb = 10,
		.eeprom_bytes = 4096, .regs = 0x40023C00u, .dbgmcu = 0xE0042000u,
		.fsize_addr = 0x1FF8004Cu, .uid_addr = 0x1FF80050u, .fsize_raw = 64, .wrpr_regs = 1,
		.user_default = 0x0078u, .mass_erase_ms = 100.0, .core = L1_CORE(0x416),
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u,
	},
};

#define L0_NPARTS (sizeof(sim_stm32l0_parts) / sizeof(sim_stm32l0_parts[0]))

struct sim_stm32l0_chip {
	const struct sim_stm32l0_part *part;
	uint8_t *flash, *eeprom, *sram;
	uint32_t dbgmcu[4];
	/* flash interface */
	uint32_t acr, pecr, sr;
	enum sim_mech_key pekey, prgkey, optkey;
	/* option words: stored (in the option area) and loaded (OBR, WRPRx) */
	uint32_t ob[L0_OB_ALL];
	uint8_t loaded_rdp;
	uint32_t loaded_obr, loaded_wrp[4];
	/* option word write in progress */
	bool busy, op_regress;
	uint64_t busy_until_ns;
	unsigned op_index;
	uint32_t op_word;
};

static struct sim_stm32l0_chip *sim_stm32l0_of(struct sim_chip *c)
{
	return c->priv;
}

static int sim_stm32l0_level_of(uint8_t rdp)
{
	if (rdp == L0_RDP_LEVEL0)
		return 0;
	return rdp == L0_RDP_LEVEL2 ? 2 : 1;
}

static uint32_t sim_stm32l0_word(uint16_t low)
{
	return ((uint32_t)(uint16_t)~low << 16) | low;
}

static bool sim_stm32l0_word_ok(uint32_t w)
{
	return (w >> 16) == (~w & 0xFFFFu);
}

static void sim_stm32l0_destroy(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	if (!l)
		return;
	free(l->flash);
	free(l->eeprom);
	free(l->sram);
	free(l);
	c->priv = NULL;
}

static int sim_stm32l0_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_stm32l0_part *p;
	struct sim_stm32l0_chip *l;

	if (part >= L0_NPARTS)
		return -ENOENT;
	p = &sim_stm32l0_parts[part];
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->priv = l;
	l->part = p;
	l->flash = malloc(p->flash_kb * 1024u);
	l->eeprom = malloc(p->eeprom_bytes);
	l->sram = calloc(1, p->sram_kb * 1024u);
	if (!l->flash || !l->eeprom || !l->sram) {
		sim_stm32l0_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(l->flash, p->flash_kb * 1024u, L0_SRAM_BASE + p->sram_kb * 1024u, L0_FLASH_BASE + 0xC1u);
	memset(l->eeprom, 0xEE, p->eeprom_bytes); /* recognisable data EEPROM */
	l->ob[0] = sim_stm32l0_word(rdp);
	l->ob[1] = sim_stm32l0_word((uint16_t)p->user_default);
	l->ob[2] = sim_stm32l0_word(0x0003); /* sectors 0 and 1 write-protected: a bootloader */
	for (unsigned i = 3; i < L0_OB_ALL; i++)
		l->ob[i] = sim_stm32l0_word(0);
	if (p->ob_ext)
		l->ob[9] = sim_stm32l0_word(0x8000); /* WRP1415: the last sector (127) too */
	c->dpidr = p->dpidr;
	c->ap_idr = p->ap_idr;
	c->dp_version = 1;
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* Option-byte loading (OBL_LAUNCH, reset, power-on): OBR and WRPR from the
 * stored words, checked against their complements. */
static void sim_stm32l0_load_options(struct sim_stm32l0_chip *l)
{
	uint32_t user = 0;

	l->sr &= ~(L0_SR_OPTVERR | L0_SR_OPTVERRUSR);
	if (sim_stm32l0_word_ok(l->ob[0])) {
		l->loaded_rdp = (uint8_t)l->ob[0];
	} else {
		l->loaded_rdp = 0x00; /* mismatch: level 1 (RM0367 §3.4.4) */
		l->sr |= L0_SR_OPTVERR;
	}
	if (sim_stm32l0_word_ok(l->ob[1]))
		user = l->ob[1] & 0xFFFFu;
	else
		l->sr |= l->part->l1 ? L0_SR_OPTVERRUSR : L0_SR_OPTVERR;
	/* Option word 2 + k holds WRPR(k / 2 + 1)'s half k % 2: WRP01 and
	 * WRP23 make WRPR1, ..., WRP1213 and WRP1415 WRPR4 (OB_TypeDef,
	 * stm32l151xe.h:304-317; L0: WRPROT1/WRPROT2, stm32l073xx.h:289-296).
	 * A mismatched word loads 0: nothing protected (?). */
	memset(l->loaded_wrp, 0, sizeof(l->loaded_wrp));
	for (unsigned k = 0; k < 8 && k / 2 < l->part->wrpr_regs; k++) {
		uint32_t w = l->ob[2 + k];

		if (!sim_stm32l0_word_ok(w)) {
			l->sr |= l->part->l1 ? L0_SR_OPTVERRUSR : L0_SR_OPTVERR;
			continue;
		}
		l->loaded_wrp[k / 2] |= (w & 0xFFFFu) << (16 * (k % 2));
	}
	/* OBR/OPTR: RDP [7:0], WPRMOD/SPRMOD 8, user bits from 16 (L1 keeps
	 * only the user byte, [23:16]). */
	l->loaded_obr = l->loaded_rdp | (sim_stm32l0_word_ok(l->ob[0]) ? (l->ob[0] & 0x100u) : 0) |
			((l->part->l1 ? (user & 0xFFu) : user) << 16);
}

/* End of an option word write. A 1 -> 0 RDP change erased flash and data
 * EEPROM first (RM0367 §3.8.2). */
static void sim_stm32l0_finish(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	if (!l->busy)
		return;
	l->ob[l->op_index] = l->op_word;
	if (l->op_regress) {
		memset(l->flash, 0x00, l->part->flash_kb * 1024u);
		memset(l->eeprom, 0x00, l->part->eeprom_bytes);
		if (l->part->l1)
			for (unsigned i = 1; i < L0_OB_ALL; i++)
				l->ob[i] = 0; /* (?) L151 report; WRP1213/1415 alike */
		c->counters->mass_erases++;
	}
	l->busy = false;
	l->op_regress = false;
	l->sr = (l->sr & ~L0_SR_BSY) | L0_SR_EOP;
}

static void sim_stm32l0_tick(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	if (sim_chip_op_due(c, l->busy, l->busy_until_ns))
		sim_stm32l0_finish(c);
}

/* A 32-bit write to the option area with OPTLOCK clear (RM0367 §3.4.4).
 * Level 2 loaded: RDP cannot change (WRPERR). */
static void sim_stm32l0_option_write(struct sim_chip *c, unsigned index, uint32_t w)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);
	double ms = L0_OB_WRITE_MS;

	if (index == 0 && sim_stm32l0_level_of(l->loaded_rdp) == 2) {
		l->sr |= L0_SR_WRPERR;
		return;
	}
	l->op_index = index;
	l->op_word = w;
	l->op_regress = index == 0 && sim_stm32l0_word_ok(w) && sim_stm32l0_level_of(l->loaded_rdp) == 1 &&
			sim_stm32l0_level_of((uint8_t)w) == 0;
	if (l->op_regress)
		ms = l->part->mass_erase_ms;
	l->busy = true;
	l->sr |= L0_SR_BSY;
	l->busy_until_ns = sim_chip_deadline_ns(c, ms);
	sim_chip_option_started(c);
}

/* Power lost while an option word is written (sim_probe_power_fail_at_
 * option_start). An option word write erases the word, then programs it
 * (RM0038 §3.9.4; erased reads 0x00 on L0/L1); cut in between the
 * word reads 0x00000000 (?: the manuals do not say where an interrupted
 * write stops), whose high half-word is not the complement of the low one.
 * The next option load finds the mismatch: OPTVERR is set and RDP loads as
 * level 1 (RM0377 §3.7 FLASH_SR.OPTVERR, option validity error; RM0038
 * §3.9 FLASH_SR: OPTVERR for the RDP word, OPTVERRUSR for the user words;
 * the value loaded for RDP is 0x00 (?)). A regression had begun
 * its mass erase: half the flash reads erased (?), no mass erase counted. */
static void sim_stm32l0_option_power_loss(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	if (!l->busy)
		return;
	if (l->op_regress)
		memset(l->flash, 0x00, l->part->flash_kb * 1024u / 2);
	l->ob[l->op_index] = 0;
	l->busy = false;
	l->op_regress = false;
	l->sr &= ~L0_SR_BSY;
}

/* Key registers: the pair in order clears the lock; a wrong value, or keys
 * while unlocked (or OPTKEYR/PRGKEYR while PELOCK is set) lock the
 * controller until reset with a bus error (RM0367 §3.3.4). */
static int sim_stm32l0_key(struct sim_stm32l0_chip *l, enum sim_mech_key *st, uint32_t lock_bit, uint32_t k1,
			   uint32_t k2, uint32_t v)
{
	bool allowed = (l->pecr & lock_bit) &&
		       (lock_bit == L0_PECR_PELOCK || !(l->pecr & L0_PECR_PELOCK));
	bool opened;
	int rc;

	if (!allowed) {
		*st = SIM_MECH_KEY_DEAD;
		return -EFAULT;
	}
	rc = sim_mech_key_feed(st, k1, k2, v, &opened);
	if (opened)
		l->pecr &= ~lock_bit;
	return rc;
}

static uint32_t sim_stm32l0_if_read(struct sim_stm32l0_chip *l, uint32_t off)
{
	switch (off) {
	case 0x00: return l->acr;
	case L0_PECR: return l->pecr;
	case L0_SR: return l->sr | L0_SR_READY | (l->busy ? 0 : L0_SR_ENDHV);
	case L0_OBR: return l->loaded_obr;
	case L0_WRPR1: return l->loaded_wrp[0];
	case L0_WRPR2:
	case L0_WRPR2 + 4:
	case L0_WRPR2 + 8: {
		unsigned n = 1 + (off - L0_WRPR2) / 4;

		return n < l->part->wrpr_regs ? l->loaded_wrp[n] : 0;
	}
	default: return 0;
	}
}

static int sim_stm32l0_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	switch (off) {
	case 0x00:
		/* L0: LATENCY 0, PRFTEN 1, SLEEP_PD 3, RUN_PD 4, DISAB_BUF 5,
		 * PRE_READ 6 (stm32l073xx.h:2393-2408); L1: LATENCY, PRFTEN,
		 * ACC64 2, SLEEP_PD, RUN_PD (stm32l151xe.h:3062-3074). */
		l->acr = v & (l->part->l1 ? 0x1Fu : 0x7Bu);
		return 0;
	case L0_PEKEYR:
		return sim_stm32l0_key(l, &l->pekey, L0_PECR_PELOCK, L0_PEKEY1, L0_PEKEY2, v);
	case L0_PRGKEYR:
		return sim_stm32l0_key(l, &l->prgkey, L0_PECR_PRGLOCK, L0_PRGKEY1, L0_PRGKEY2, v);
	case L0_OPTKEYR:
		return sim_stm32l0_key(l, &l->optkey, L0_PECR_OPTLOCK, L0_OPTKEY1, L0_OPTKEY2, v);
	case L0_SR:
		l->sr &= ~(v & L0_SR_W1C);
		return 0;
	case L0_PECR:
		if (l->pecr & L0_PECR_PELOCK)
			return 0; /* PECR is write-protected while PELOCK is set */
		if ((v & L0_PECR_OBL_LAUNCH) && !(l->pecr & L0_PECR_OPTLOCK)) {
			/* Option loading resets the chip under this write. */
			sim_chip_system_reset(c);
			return -EFAULT;
		}
		/* Lock bits can be set, not cleared; PELOCK sets all three. */
		l->pecr = (l->pecr & L0_PECR_LOCKS) | (v & L0_PECR_LOCKS) | (v & L0_PECR_WRITABLE);
		if (v & L0_PECR_PELOCK)
			l->pecr |= L0_PECR_LOCKS;
		if (l->pecr & L0_PECR_PELOCK)
			l->pekey = SIM_MECH_KEY_EXPECT1;
		if (l->pecr & L0_PECR_OPTLOCK)
			l->optkey = SIM_MECH_KEY_EXPECT1;
		if (l->pecr & L0_PECR_PRGLOCK)
			l->prgkey = SIM_MECH_KEY_EXPECT1;
		return 0;
	default:
		return 0;
	}
}

/* Flash and data EEPROM: closed to an attached debugger at level 1
 * (RM0367 §3.8.2). */
static uint8_t *sim_stm32l0_mem_at(struct sim_stm32l0_chip *l, uint32_t addr, unsigned size, bool *protected)
{
	const struct sim_stm32l0_part *p = l->part;

	*protected = true;
	if (sim_mech_in(addr, size, L0_FLASH_BASE, p->flash_kb * 1024u))
		return l->flash + (addr - L0_FLASH_BASE);
	if (sim_mech_in(addr, size, L0_EEPROM_BASE, p->eeprom_bytes))
		return l->eeprom + (addr - L0_EEPROM_BASE);
	*protected = false;
	if (sim_mech_in(addr, size, L0_SRAM_BASE, p->sram_kb * 1024u))
		return l->sram + (addr - L0_SRAM_BASE);
	return NULL;
}

/* The option word at address A, as an index of ob[], or -1. */
static int sim_stm32l0_ob_index(const struct sim_stm32l0_part *p, uint32_t a)
{
	if (a >= L0_OB_BASE && a < L0_OB_BASE + 4 * L0_OB_WORDS)
		return (int)((a - L0_OB_BASE) / 4);
	if (p->ob_ext && a >= L0_OB_BASE + L0_OB_EXT && a < L0_OB_BASE + L0_OB_EXT + 8)
		return (int)(L0_OB_WORDS + (a - L0_OB_BASE - L0_OB_EXT) / 4);
	return -1;
}

/* Option words (stored image) and the factory bytes after them. */
static bool sim_stm32l0_info_byte(struct sim_chip *c, uint32_t a, bool debugger, uint8_t *b)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);
	const struct sim_stm32l0_part *p = l->part;

	if (sim_stm32l0_ob_index(p, a) >= 0) {
		*b = (uint8_t)(l->ob[sim_stm32l0_ob_index(p, a)] >> (8 * (a & 3)));
		return true;
	}
	if (sim_mech_field_byte(p->fsize_raw, p->fsize_addr, 2, a, b))
		return true;
	/* RM0377 §28.2, RM0038 §31.2: U_ID[95:64] is at +0x14, not +8. */
	if (sim_mech_uid_byte(c->uid, p->uid_addr, 0x14, a, b))
		return true;
	if ((a >= L0_OB_BASE && a < L0_INFO_END) || (a >= L0_SYSMEM_BASE && a < L0_SYSMEM_BASE + 0x2000)) {
		*b = (uint8_t)(0x10 ^ (a & 0xFF));
		return true;
	}
	return false;
}

static bool sim_stm32l0_blocked(struct sim_chip *c, bool prot, bool debugger)
{
	return prot && debugger && c->debugger_attached &&
	       sim_stm32l0_level_of(sim_stm32l0_of(c)->loaded_rdp) >= 1;
}

static int sim_stm32l0_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);
	const struct sim_stm32l0_part *p = l->part;
	bool prot;
	uint8_t *m;

	sim_stm32l0_tick(c);
	*val = 0;
	m = sim_stm32l0_mem_at(l, addr, size, &prot);
	if (m) {
		if (sim_stm32l0_blocked(c, prot, debugger))
			return -EFAULT;
		memcpy(val, m, size);
		return 0;
	}
	if (addr >= p->regs && addr < p->regs + 0x400) {
		*val = sim_mech_lane(sim_stm32l0_if_read(l, (addr - p->regs) & ~3u), addr, size);
		return 0;
	}
	if (addr >= p->dbgmcu && addr < p->dbgmcu + 0x10) {
		uint32_t w = (addr & ~3u) == p->dbgmcu ? ((uint32_t)p->rev_id << 16) | p->dev_id :
							    l->dbgmcu[(addr - p->dbgmcu) / 4];

		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (addr >= L0_PERIPH_BASE && addr < L0_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr)) {
		/* A hole in the M0+'s PPB reads 0 here, where the other models
		 * pass on the bus error of sim_cortexm.c: kept as this model has
		 * always answered (?). */
		sim_cortexm_read_sized(&c->core, addr, size, val);
		return 0;
	}
	return sim_mech_info_read(c, sim_stm32l0_info_byte, addr, size, debugger, val);
}

static int sim_stm32l0_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);
	const struct sim_stm32l0_part *p = l->part;
	bool prot;
	uint8_t *m;

	sim_stm32l0_tick(c);
	m = sim_stm32l0_mem_at(l, addr, size, &prot);
	if (m) {
		if (sim_stm32l0_blocked(c, prot, debugger))
			return -EFAULT;
		if (prot && debugger)
			return 0; /* flash / EEPROM programming is not modelled */
		memcpy(m, &val, size);
		return 0;
	}
	if (addr >= p->regs && addr < p->regs + 0x400) {
		uint32_t off = (addr - p->regs) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (size == 4)
			return sim_stm32l0_if_write(c, off, val);
		return sim_stm32l0_if_write(c, off,
					    sim_mech_merge(sim_stm32l0_if_read(l, off), addr, size, val));
	}
	if (sim_stm32l0_ob_index(p, addr) >= 0) {
		if (debugger)
			c->counters->flash_if_writes++; /* the option area is the interface's too */
		if ((l->pecr & L0_PECR_OPTLOCK) || l->busy) {
			l->sr |= L0_SR_WRPERR; /* (?) */
			return 0;
		}
		if (size != 4) {
			l->sr |= L0_SR_SIZERR; /* options are written as words (?) */
			return 0;
		}
		sim_stm32l0_option_write(c, (unsigned)sim_stm32l0_ob_index(p, addr), val);
		return 0;
	}
	if (addr >= p->dbgmcu && addr < p->dbgmcu + 0x10) {
		if ((addr & ~3u) != p->dbgmcu) {
			uint32_t *r = &l->dbgmcu[(addr - p->dbgmcu) / 4];

			*r = sim_mech_merge(*r, addr, size, val);
		}
		return 0;
	}
	if (addr >= L0_PERIPH_BASE && addr < L0_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_stm32l0_info_byte, addr, debugger);
}

/* A system reset (NRST, AIRCR, OBL_LAUNCH) loads the options (RM0038
 * §3.9.5). An option word write whose time is up has completed; one still
 * running (the RDP word's regression erase among them) is cut as a power
 * loss cuts it: RM0377/RM0038 say nothing we found of a reset there, and
 * the word write erases before it programs, so the conservative reading is
 * the same half-written word, loaded as level 1 with OPTVERR (?). */
static void sim_stm32l0_system_reset(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	sim_stm32l0_tick(c);
	sim_stm32l0_option_power_loss(c);
	l->sr = 0;
	sim_stm32l0_load_options(l);
	l->pecr = L0_PECR_LOCKS;
	l->acr = 0;
	l->pekey = l->prgkey = l->optkey = SIM_MECH_KEY_EXPECT1;
}

static void sim_stm32l0_power_on(struct sim_chip *c)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	memset(l->dbgmcu, 0, sizeof(l->dbgmcu));
	sim_stm32l0_system_reset(c);
}

static int sim_stm32l0_rdp_level(struct sim_chip *c)
{
	sim_stm32l0_tick(c);
	return sim_stm32l0_level_of(sim_stm32l0_of(c)->loaded_rdp);
}

static void sim_stm32l0_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_stm32l0_chip *l = sim_stm32l0_of(c);

	memcpy(msp, l->flash, 4);
	memcpy(pc, l->flash + 4, 4);
}

const struct sim_chip_ops sim_stm32l0_ops = {
	.family = "stm32l0/l1",
	.parts = SIM_PART_TABLE(sim_stm32l0_parts),
	.create = sim_stm32l0_create,
	.destroy = sim_stm32l0_destroy,
	.bus_read = sim_stm32l0_bus_read,
	.bus_write = sim_stm32l0_bus_write,
	.tick = sim_stm32l0_tick,
	.system_reset = sim_stm32l0_system_reset,
	.power_on = sim_stm32l0_power_on,
	.rdp_level = sim_stm32l0_rdp_level,
	.reset_vectors = sim_stm32l0_reset_vectors,
	.option_power_loss = sim_stm32l0_option_power_loss,
};
