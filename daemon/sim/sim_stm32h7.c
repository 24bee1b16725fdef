/*
 * sim_stm32h7.c - STM32H7 (H74x/75x, dual-core H745/747/755/757, H72x/73x,
 * H7A3/B0/B3): memory map, flash interface option registers and read-out
 * protection. The parts differ only by the rows of sim_stm32h7_parts[].
 *
 * References:
 *   RM0433 (H742/743/750/753) §4.4.3 option byte modification, §4.5.3 read
 *     protection, §4.9 registers (OPTKEYR, OPTCR, OPTSR_CUR/PRG, OPTCCR,
 *     PRAR, WPSN); RM0399 (dual core) OPTSR BCM4/BCM7, NRST_*_D2, IWDG2_SW;
 *   RM0468 (H72x/73x) single bank; RM0455 (H7A3/B0/B3) F_SIZE 0x08FFF80C,
 *     32 WPSN bits per bank.
 *   ST CMSIS headers stm32h743xx.h, stm32h747xx.h, stm32h723xx.h,
 *     stm32h7b3xx.h (offsets, bits, masks); every constant with its header
 *     line and where this model reads the manual its own way:
 *     docs/targets/stm32h7.md, "simulator model".
 *
 * Choices the manuals seen do not settle, marked (?) where made:
 *   - OPTSR_CUR (the loaded image) takes the new values as soon as OPT_BUSY
 *     clears; there is no OBL_LAUNCH on H7 (RM0433 §4.4.3).
 *   - After an RDP change with a debugger attached, flash stays closed to
 *     the debugger until a power-on reset; NRST does not help (community
 *     report on an H742, docs/targets/stm32h7.md).
 *   - The regression erases both banks and the backup SRAM; PCROP/secure
 *     areas are not modelled (no profile defines one).
 *   - OPTCR.SWAP_BANK is a live bit loaded from SWAP_BANK_OPT at reset and
 *     writable while unlocked; the address swap itself is not modelled.
 *
 * Access ports (OpenOCD stm32h7x.cfg: cpu0 on AP0, cpu1 on AP3, DBGMCU
 * through AP2; IDRs as pyOCD reads them on an H745, pyOCD issue #1499;
 * probe-rs issue #3088 lists the same kinds on an H747): AP0 the Cortex-M7's AHB-AP 0x84770001, AP1 the D3
 * domain AHB-AP 0x84770001, AP2 the debug APB-AP 0x54770002 (DBGMCU at
 * 0xE00E1000, OpenOCD stm32h7x.cfg), AP3 the Cortex-M4's AHB-AP 0x24770011
 * on dual-core parts only. Modelled reach (?): AP1 sees the D3 SRAMs and
 * D3 peripherals, AP2 only DBGMCU, AP3 the system bus without the M4's own
 * PPB (the M4 core is not modelled).
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define H7_FLASH_BASE 0x08000000u
#define H7_BANK2_BASE 0x08100000u /* whatever the bank size (RM0433 §4.3.4) */
#define H7_DTCM_BASE 0x20000000u
#define H7_DTCM_KB 128u
#define H7_AXI_BASE 0x24000000u
#define H7_BKPSRAM_BASE 0x38800000u
#define H7_BKPSRAM_KB 4u
#define H7_PERIPH_BASE 0x40000000u
#define H7_PERIPH_END 0x60000000u
#define H7_SYSMEM_BASE 0x1FF00000u
#define H7_SYSMEM_END 0x1FF20000u
#define H7_DBGMCU_IDCODE 0x5C001000u
#define H7_DBGMCU_CR 0x5C001004u
#define H7_DBGMCU_SIZE 0x1000u /* one 4 KB page; unlisted offsets read 0 */

#define H7_FLASH_IF_BASE 0x52002000u
#define H7_FLASH_IF_END 0x52003000u
#define H7_ACR 0x00u
#define H7_KEYR1 0x04u
#define H7_OPTKEYR 0x08u
#define H7_CR1 0x0Cu
#define H7_SR1 0x10u
#define H7_CCR1 0x14u
#define H7_OPTCR 0x18u
#define H7_OPTSR_CUR 0x1Cu
#define H7_OPTSR_PRG 0x20u
#define H7_OPTCCR 0x24u
#define H7_PRAR_CUR1 0x28u
#define H7_PRAR_PRG1 0x2Cu
#define H7_SCAR_CUR1 0x30u
#define H7_SCAR_PRG1 0x34u
#define H7_WPSN_CUR1 0x38u
#define H7_WPSN_PRG1 0x3Cu
#define H7_BANK2 0x100u /* KEYR2, CR2, SR2, ... WPSN_CUR2 at +0x100 */

#define H7_KEY1 0x45670123u
#define H7_KEY2 0xCDEF89ABu
#define H7_OPTKEY1 0x08192A3Bu
#define H7_OPTKEY2 0x4C5D6E7Fu

#define H7_CR_LOCK (1u << 0)
#define H7_OPTCR_OPTLOCK (1u << 0)
#define H7_OPTCR_OPTSTART (1u << 1)
#define H7_OPTCR_WRITABLE 0xC0000003u /* SWAP_BANK, OPTCHANGEERRIE, START, LOCK (MER, PG_OTP: not modelled) */
#define H7_OPTCR_SWAP_BANK (1u << 31)
#define H7_OPTSR_OPT_BUSY (1u << 0)
#define H7_OPTSR_RDP_SHIFT 8
#define H7_OPTSR_OPTCHANGEERR (1u << 30)
#define H7_OPTSR_SWAP_BANK_OPT (1u << 31)
#define H7_OPTCCR_CLR_OPTCHANGEERR (1u << 30)

#define H7_RDP_LEVEL0 0xAAu
#define H7_RDP_LEVEL2 0xCCu

/* Option change without an erase (?): the RMs give no figure. */
#define H7_OPT_PROGRAM_MS 100.0

struct sim_stm32h7_part {
	struct sim_part_id id;
	uint16_t dev_id, rev_id;   /* typical silicon revisions (?) */
	uint32_t flash_kb, axi_kb;
	bool dual_bank;
	bool dual_core;            /* a Cortex-M4 AHB-AP on AP3 */
	uint32_t uid_base, fsize_addr;
	uint32_t optsr_default;    /* factory image with RDP 0xAA (?) */
	uint32_t optsr_mask;       /* bits OPTSR_PRG can change */
	uint32_t wpsn_default;     /* all sectors unprotected */
	double mass_erase_ms;      /* about 4 s per MB (?) */
	struct sim_cortexm_desc core;
};

#define H7_CORE_M7(dev) { SIM_CORTEX_M7, 0x411FC271u, true, 0x10110221u, 0x12000011u, 0x00000040u, dev, 0x020 }

/* OPTSR_PRG masks, the FLASH_OPTSR bits of each part's header:
 * H743 (stm32h743xx.h): BOR_LEV, IWDG1_SW, NRST_STOP/STBY_D1, RDP,
 * FZ_IWDG_*, ST_RAM_SIZE, SECURITY, IO_HSLV, SWAP_BANK_OPT = 0xA03EFFDC;
 * dual core (stm32h747xx.h) adds IWDG2_SW, BCM4, BCM7, NRST_STOP/STBY_D2;
 * H7B3 (stm32h7b3xx.h) adds VDDMMC_HSLV; H723 (stm32h723xx.h, one bank)
 * has NRST_STOP/STBY_D2 but no SWAP_BANK_OPT = 0x233EFFDC. */
static const struct sim_stm32h7_part sim_stm32h7_parts[] = {
	{
		/* A board whose firmware uses bank swapping: SWAP_BANK_OPT = 1,
		 * so a driver that writes OPTCR as a whole word shows. */
		.id.name = "stm32h743zi", .id.summary = "STM32H743ZI, Cortex-M7F, 2 MB dual-bank flash (banks swapped), 512 KB AXI SRAM",
		.dev_id = 0x450, .rev_id = 0x2003, .flash_kb = 2048, .axi_kb = 512, .dual_bank = true,
		.uid_base = 0x1FF1E800u, .fsize_addr = 0x1FF1E880u,
		.optsr_default = 0x8006AAD0u, .optsr_mask = 0xA03EFFDCu, .wpsn_default = 0xFFu,
		.mass_erase_ms = 8000.0, .core = H7_CORE_M7(0x450),
	},
	{
		/* 1 MB as two 512 KB banks: bank 2 still at 0x08100000. */
		.id.name = "stm32h743zg", .id.summary = "STM32H743ZG, Cortex-M7F, 1 MB flash as 2 x 512 KB banks (bank 2 at 0x08100000), 512 KB AXI SRAM",
		.dev_id = 0x450, .rev_id = 0x2003, .flash_kb = 1024, .axi_kb = 512, .dual_bank = true,
		.uid_base = 0x1FF1E800u, .fsize_addr = 0x1FF1E880u,
		.optsr_default = 0x0006AAD0u, .optsr_mask = 0xA03EFFDCu, .wpsn_default = 0xFFu,
		.mass_erase_ms = 4000.0, .core = H7_CORE_M7(0x450),
	},
	{
		.id.name = "stm32h723zg", .id.summary = "STM32H723ZG, Cortex-M7F, 1 MB single-bank flash, 128 KB AXI SRAM",
		.dev_id = 0x483, .rev_id = 0x1001, .flash_kb = 1024, .axi_kb = 128, .dual_bank = false,
		.uid_base = 0x1FF1E800u, .fsize_addr = 0x1FF1E880u,
		.optsr_default = 0x0006AAD0u, .optsr_mask = 0x233EFFDCu, .wpsn_default = 0xFFu,
		.mass_erase_ms = 4000.0, .core = H7_CORE_M7(0x483),
	},
	{
		.id.name = "stm32h7b3ai", .id.summary = "STM32H7B3AI, Cortex-M7F, 2 MB dual-bank flash (8 KB sectors), 1 MB AXI SRAM",
		.dev_id = 0x480, .rev_id = 0x1001, .flash_kb = 2048, .axi_kb = 1024, .dual_bank = true,
		.uid_base = 0x08FFF800u, .fsize_addr = 0x08FFF80Cu,
		.optsr_default = 0x0006AAD0u, .optsr_mask = 0xA03FFFDCu, .wpsn_default = 0xFFFFFFFFu,
		.mass_erase_ms = 8000.0, .core = H7_CORE_M7(0x480),
	},
	{
		/* Dual core: the CM7 is on AP0, the CM4 on AP3; both cores
		 * boot (BCM4 = BCM7 = 1), D2 reset bits and IWDG2_SW set. */
		.id.name = "stm32h747xi", .id.summary = "STM32H747XI, Cortex-M7F + Cortex-M4F (CM7 on AP0, CM4 on AP3), 2 MB dual-bank flash",
		.dev_id = 0x450, .rev_id = 0x2003, .flash_kb = 2048, .axi_kb = 512, .dual_bank = true,
		.dual_core = true,
		.uid_base = 0x1FF1E800u, .fsize_addr = 0x1FF1E880u,
		.optsr_default = 0x03C6AAF0u, .optsr_mask = 0xA3FEFFFCu, .wpsn_default = 0xFFu,
		.mass_erase_ms = 8000.0, .core = H7_CORE_M7(0x450),
	},
};

#define H7_NPARTS (sizeof(sim_stm32h7_parts) / sizeof(sim_stm32h7_parts[0]))

struct sim_stm32h7_chip {
	const struct sim_stm32h7_part *part;
	uint8_t *flash, *dtcm, *axi, *bkpsram;
	uint32_t dbgmcu_cr;
	uint32_t dbgmcu_fz[5]; /* APB3FZ1, APB1LFZ1, APB1HFZ1, APB2FZ1, APB4FZ1 */
	/* flash interface */
	uint32_t acr, cr[2], sr[2], optcr, optsr_prg, wpsn[2], prar[2], scar[2];
	enum sim_mech_key key[2], optkey;
	bool optchangeerr;
	/* option bytes: as stored in the option flash, and as loaded (OPTSR_CUR) */
	uint32_t stored_optsr, loaded_optsr;
	/* an RDP change happened while a debugger was attached: flash stays
	 * closed to the debugger until power-on (?) */
	bool por_needed;
	/* option change in progress */
	bool busy, op_regress;
	uint64_t busy_until_ns;
	uint32_t op_optsr;
	/* an option change was cut by a power loss and none completed since */
	bool opt_invalid;
};

static struct sim_stm32h7_chip *sim_stm32h7_of(struct sim_chip *c)
{
	return c->priv;
}

static int sim_stm32h7_level_of(uint32_t optsr)
{
	uint8_t rdp = (optsr >> H7_OPTSR_RDP_SHIFT) & 0xFF;

	if (rdp == H7_RDP_LEVEL0)
		return 0;
	return rdp == H7_RDP_LEVEL2 ? 2 : 1; /* RM0433 §4.5.3: any other value is level 1 */
}

static void sim_stm32h7_destroy(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	if (!h)
		return;
	free(h->flash);
	free(h->dtcm);
	free(h->axi);
	free(h->bkpsram);
	free(h);
	c->priv = NULL;
}

static int sim_stm32h7_d3_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val);
static int sim_stm32h7_d3_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val);
static int sim_stm32h7_apbd_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val);
static int sim_stm32h7_apbd_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val);
static int sim_stm32h7_m4_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val);
static int sim_stm32h7_m4_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val);

static int sim_stm32h7_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_stm32h7_part *p;
	struct sim_stm32h7_chip *h;

	if (part >= H7_NPARTS)
		return -ENOENT;
	p = &sim_stm32h7_parts[part];
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	c->priv = h;
	h->part = p;
	h->flash = malloc(p->flash_kb * 1024u);
	h->dtcm = calloc(1, H7_DTCM_KB * 1024u);
	h->axi = calloc(1, p->axi_kb * 1024u);
	h->bkpsram = malloc(H7_BKPSRAM_KB * 1024u);
	if (!h->flash || !h->dtcm || !h->axi || !h->bkpsram) {
		sim_stm32h7_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(h->flash, h->part->flash_kb * 1024u, H7_AXI_BASE + h->part->axi_kb * 1024u,
			      H7_FLASH_BASE + 0x299u);
	memset(h->bkpsram, 0x5A, H7_BKPSRAM_KB * 1024u);
	h->stored_optsr = (p->optsr_default & ~(0xFFu << H7_OPTSR_RDP_SHIFT)) |
			  ((uint32_t)rdp << H7_OPTSR_RDP_SHIFT);
	h->wpsn[0] = h->wpsn[1] = p->wpsn_default;
	/* PROT_AREA_START > PROT_AREA_END: no PCROP / secure area (?) */
	h->prar[0] = h->prar[1] = 0x000000FFu;
	h->scar[0] = h->scar[1] = 0x000000FFu;
	c->dpidr = 0x6BA02477u;  /* H7 SW-DP (OpenOCD tcl/target/stm32h7x.cfg) */
	c->ap_idr = 0x84770001u; /* AP0, the M7's AHB-AP */
	c->aps[1] = (struct sim_ap){0x84770001u, sim_stm32h7_d3_read, sim_stm32h7_d3_write};
	c->aps[2] = (struct sim_ap){0x54770002u, sim_stm32h7_apbd_read, sim_stm32h7_apbd_write};
	if (p->dual_core)
		c->aps[3] = (struct sim_ap){0x24770011u, sim_stm32h7_m4_read, sim_stm32h7_m4_write};
	c->dp_version = 2;
	c->targetid = ((uint32_t)p->dev_id << 16) | (0x020u << 1) | 1u; /* (?) */
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* End of an option change (RM0433 §4.4.3): the new image is stored and,
 * no OBL_LAUNCH existing, loaded at once (?). A 1 -> 0 change erases the
 * user flash of both banks first (§4.5.3). */
static void sim_stm32h7_finish(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	if (!h->busy)
		return;
	if (h->op_regress) {
		memset(h->flash, 0xFF, h->part->flash_kb * 1024u);
		memset(h->bkpsram, 0, H7_BKPSRAM_KB * 1024u); /* (?) */
		c->counters->mass_erases++;
	}
	if ((((h->op_optsr ^ h->loaded_optsr) >> H7_OPTSR_RDP_SHIFT) & 0xFF) && c->debugger_attached)
		h->por_needed = true;
	h->stored_optsr = h->loaded_optsr = h->op_optsr;
	h->optsr_prg = h->op_optsr;
	h->opt_invalid = false;
	h->busy = false;
	h->op_regress = false;
	h->optcr &= ~H7_OPTCR_OPTSTART;
}

static void sim_stm32h7_tick(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	if (sim_chip_op_due(c, h->busy, h->busy_until_ns))
		sim_stm32h7_finish(c);
}

/* OPTSTART: at level 2 nothing may change (§4.5.3), reported with
 * OPTCHANGEERR; otherwise the masked OPTSR_PRG becomes the new image. */
static void sim_stm32h7_option_start(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);
	const struct sim_stm32h7_part *p = h->part;
	uint32_t want = (p->optsr_default & ~p->optsr_mask) | (h->optsr_prg & p->optsr_mask);
	int cur = sim_stm32h7_level_of(h->loaded_optsr);

	if (cur == 2) {
		h->optchangeerr = true;
		h->optcr &= ~H7_OPTCR_OPTSTART;
		return;
	}
	h->op_optsr = want;
	h->op_regress = cur == 1 && sim_stm32h7_level_of(want) == 0; /* raising never erases */
	h->busy = true;
	h->busy_until_ns = sim_chip_deadline_ns(c, h->op_regress ? p->mass_erase_ms : H7_OPT_PROGRAM_MS);
	sim_chip_option_started(c);
}

/* Power lost while OPT_BUSY is set (sim_probe_power_fail_at_option_start).
 * RM0433 §4.4.3: an option change that does not complete is reported with
 * FLASH_OPTSR_CUR.OPTCHANGEERR ("the option byte change operation did not
 * successfully complete", §4.9.9), cleared by OPTCCR.CLR_OPTCHANGEERR. What
 * the option words hold after a power loss the manual does not say (?):
 * modelled as RM0444's caution puts it for the other families, an invalid
 * RDP that loads as 0xFF = level 1 (§4.5.3: "any other value"), the other
 * bits kept, and OPTCHANGEERR shown at every option load until a change
 * completes (?). A regression had begun its bank erase: the first half of
 * the flash reads erased (?), no mass erase is counted. */
static void sim_stm32h7_option_power_loss(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	if (!h->busy)
		return;
	if (h->op_regress)
		memset(h->flash, 0xFF, h->part->flash_kb * 1024u / 2);
	h->stored_optsr |= 0xFFu << H7_OPTSR_RDP_SHIFT;
	h->opt_invalid = true;
	h->busy = false;
	h->op_regress = false;
	h->optcr &= ~H7_OPTCR_OPTSTART;
}

static uint32_t sim_stm32h7_if_read(struct sim_stm32h7_chip *h, uint32_t off)
{
	unsigned b = off >= H7_BANK2 && h->part->dual_bank ? 1 : 0;
	uint32_t o = off & 0xFFu;

	if (off >= H7_BANK2 && !h->part->dual_bank && o != H7_OPTCR && o != H7_OPTSR_CUR &&
	    o != H7_OPTSR_PRG && o != H7_OPTCCR)
		return 0;
	switch (o) {
	case H7_ACR: return h->acr;
	case H7_CR1: return h->cr[b];
	case H7_SR1: return h->sr[b];
	case H7_OPTCR: return h->optcr;
	case H7_OPTSR_CUR:
		return (h->loaded_optsr & ~(H7_OPTSR_OPT_BUSY | H7_OPTSR_OPTCHANGEERR)) |
		       (h->busy ? H7_OPTSR_OPT_BUSY : 0) | (h->optchangeerr ? H7_OPTSR_OPTCHANGEERR : 0);
	case H7_OPTSR_PRG: return h->optsr_prg;
	case H7_PRAR_CUR1: case H7_PRAR_PRG1: return h->prar[b];
	case H7_SCAR_CUR1: case H7_SCAR_PRG1: return h->scar[b];
	case H7_WPSN_CUR1: case H7_WPSN_PRG1: return h->wpsn[b];
	default: return 0; /* KEYR/OPTKEYR/CCR write-only, the rest not modelled */
	}
}

static int sim_stm32h7_if_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);
	unsigned b = off >= H7_BANK2 ? 1 : 0;
	uint32_t o = off & 0xFFu;
	bool locked;
	int rc;

	switch (o) {
	case H7_ACR:
		h->acr = v & 0x3Fu;
		return 0;
	/* KEY1 then KEY2 unlocks; a wrong value, or keys written while
	 * unlocked, lock until the next reset with a bus error (RM0433,
	 * FLASH_KEYR and FLASH_OPTKEYR: a wrong sequence locks until reset). */
	case H7_KEYR1:
		if (b && !h->part->dual_bank)
			return 0;
		locked = h->cr[b] & H7_CR_LOCK;
		rc = sim_mech_key_unlock(&h->key[b], &locked, H7_KEY1, H7_KEY2, v);
		h->cr[b] = locked ? (h->cr[b] | H7_CR_LOCK) : (h->cr[b] & ~H7_CR_LOCK);
		return rc;
	case H7_OPTKEYR:
		locked = h->optcr & H7_OPTCR_OPTLOCK;
		rc = sim_mech_key_unlock(&h->optkey, &locked, H7_OPTKEY1, H7_OPTKEY2, v);
		h->optcr = locked ? (h->optcr | H7_OPTCR_OPTLOCK) : (h->optcr & ~H7_OPTCR_OPTLOCK);
		return rc;
	case H7_CR1:
		/* Programming and erase through CR are not modelled: only LOCK. */
		if (!(h->cr[b] & H7_CR_LOCK) && (v & H7_CR_LOCK)) {
			h->cr[b] |= H7_CR_LOCK;
			h->key[b] = SIM_MECH_KEY_EXPECT1;
		}
		return 0;
	case H7_CCR1:
		h->sr[b] &= ~(v & 0x0FEF0000u);
		return 0;
	case H7_OPTCR:
		if ((h->optcr & H7_OPTCR_OPTLOCK) || h->busy)
			return 0; /* §4.9.8: write-protected while OPTLOCK */
		/* One bank (H72x/73x): no SWAP_BANK (stm32h723xx.h FLASH_OPTCR). */
		h->optcr = v & H7_OPTCR_WRITABLE & ~H7_OPTCR_OPTSTART &
			   (h->part->dual_bank ? 0xFFFFFFFFu : ~H7_OPTCR_SWAP_BANK);
		if (v & H7_OPTCR_OPTLOCK) {
			h->optkey = SIM_MECH_KEY_EXPECT1;
			return 0;
		}
		if (v & H7_OPTCR_OPTSTART) {
			h->optcr |= H7_OPTCR_OPTSTART;
			sim_stm32h7_option_start(c);
		}
		return 0;
	case H7_OPTSR_PRG:
		if ((h->optcr & H7_OPTCR_OPTLOCK) || h->busy)
			return 0;
		h->optsr_prg = (h->part->optsr_default & ~h->part->optsr_mask) | (v & h->part->optsr_mask);
		return 0;
	case H7_OPTCCR:
		if (v & H7_OPTCCR_CLR_OPTCHANGEERR)
			h->optchangeerr = false;
		return 0;
	default:
		return 0; /* PRAR/SCAR/WPSN programming not modelled */
	}
}

/* RAM-like regions; *PROTECTED: closed to the debugger at level 1. */
static uint8_t *sim_stm32h7_ram_at(struct sim_stm32h7_chip *h, uint32_t addr, unsigned size, bool *protected,
				   bool *is_flash)
{
	const struct sim_stm32h7_part *p = h->part;

	uint32_t bank = p->flash_kb * 1024u / (p->dual_bank ? 2 : 1);

	*protected = false;
	*is_flash = false;
	/* Dual bank: bank 2 at 0x08100000 even when a bank is 512 KB; the
	 * hole after bank 1 is not memory and answers with a bus error (?). */
	if (sim_mech_in(addr, size, H7_FLASH_BASE, bank)) {
		*protected = *is_flash = true;
		return h->flash + (addr - H7_FLASH_BASE);
	}
	if (p->dual_bank && sim_mech_in(addr, size, H7_BANK2_BASE, bank)) {
		*protected = *is_flash = true;
		return h->flash + bank + (addr - H7_BANK2_BASE);
	}
	if (sim_mech_in(addr, size, H7_DTCM_BASE, H7_DTCM_KB * 1024u))
		return h->dtcm + (addr - H7_DTCM_BASE);
	if (sim_mech_in(addr, size, H7_AXI_BASE, p->axi_kb * 1024u))
		return h->axi + (addr - H7_AXI_BASE);
	if (sim_mech_in(addr, size, H7_BKPSRAM_BASE, H7_BKPSRAM_KB * 1024u)) {
		*protected = true; /* RM0433 §4.5.3: backup SRAM as flash (?) */
		return h->bkpsram + (addr - H7_BKPSRAM_BASE);
	}
	return NULL;
}

/* Read-only information bytes: unique id, F_SIZE, system memory stand-in. */
static bool sim_stm32h7_info_byte(struct sim_chip *c, uint32_t a, bool debugger, uint8_t *b)
{
	const struct sim_stm32h7_part *p = sim_stm32h7_of(c)->part;

	if (sim_mech_uid_byte(c->uid, p->uid_base, 8, a, b) ||
	    sim_mech_field_byte(p->flash_kb, p->fsize_addr, 2, a, b))
		return true;
	if ((a >= p->uid_base && a < p->uid_base + 0x100) ||
	    (a >= H7_SYSMEM_BASE && a < H7_SYSMEM_END)) {
		*b = (uint8_t)(0xB7 ^ (a & 0xFF));
		return true;
	}
	return false;
}

static bool sim_stm32h7_blocked(struct sim_chip *c, bool prot, bool debugger)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	return prot && debugger && c->debugger_attached &&
	       (sim_stm32h7_level_of(h->loaded_optsr) >= 1 || h->por_needed);
}

/* DBGMCU (RM0433 §60.5.8-60.5.14): IDC, CR and the five peripheral freeze
 * registers OpenOCD's stm32h7x.cfg sets (APB3FZ1 0x34, APB1LFZ1 0x3C,
 * APB1HFZ1 0x44, APB2FZ1 0x4C, APB4FZ1 0x54); the rest of the page reads 0
 * (reserved). */
static uint32_t *sim_stm32h7_dbgmcu_fz(struct sim_stm32h7_chip *h, uint32_t off)
{
	if (off >= 0x34 && off <= 0x54 && (off - 0x34) % 8 == 0)
		return &h->dbgmcu_fz[(off - 0x34) / 8];
	return NULL;
}

static uint32_t sim_stm32h7_dbgmcu_read(struct sim_stm32h7_chip *h, uint32_t off)
{
	uint32_t *fz = sim_stm32h7_dbgmcu_fz(h, off);

	if (off == 0)
		return ((uint32_t)h->part->rev_id << 16) | h->part->dev_id;
	if (off == 4)
		return h->dbgmcu_cr;
	return fz ? *fz : 0;
}

static void sim_stm32h7_dbgmcu_write(struct sim_stm32h7_chip *h, uint32_t off, uint32_t val)
{
	uint32_t *fz = sim_stm32h7_dbgmcu_fz(h, off);

	if (off == 4)
		h->dbgmcu_cr = val;
	else if (fz)
		*fz = val;
}

static int sim_stm32h7_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32h7_tick(c);
	*val = 0;
	ram = sim_stm32h7_ram_at(h, addr, size, &prot, &is_flash);
	if (ram) {
		if (sim_stm32h7_blocked(c, prot, debugger))
			return -EFAULT; /* §4.5.3: bus error to the debugger at level 1 */
		memcpy(val, ram, size); /* little-endian host, as the AXI is */
		return 0;
	}
	if (addr >= H7_FLASH_IF_BASE && addr < H7_FLASH_IF_END) {
		*val = sim_mech_lane(sim_stm32h7_if_read(h, (addr - H7_FLASH_IF_BASE) & ~3u), addr, size);
		return 0;
	}
	if (addr >= H7_DBGMCU_IDCODE && addr < H7_DBGMCU_IDCODE + H7_DBGMCU_SIZE) {
		*val = sim_mech_lane(sim_stm32h7_dbgmcu_read(h, (addr - H7_DBGMCU_IDCODE) & ~3u), addr, size);
		return 0;
	}
	if (addr >= H7_PERIPH_BASE && addr < H7_PERIPH_END)
		return 0; /* unmodelled peripherals read as 0 */
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return sim_mech_info_read(c, sim_stm32h7_info_byte, addr, size, debugger, val);
}

static int sim_stm32h7_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);
	bool prot, is_flash;
	uint8_t *ram;

	sim_stm32h7_tick(c);
	ram = sim_stm32h7_ram_at(h, addr, size, &prot, &is_flash);
	if (ram) {
		if (sim_stm32h7_blocked(c, prot, debugger))
			return -EFAULT;
		if (is_flash && debugger)
			return 0; /* flash programming is not modelled */
		memcpy(ram, &val, size);
		return 0;
	}
	if (addr >= H7_FLASH_IF_BASE && addr < H7_FLASH_IF_END) {
		uint32_t off = (addr - H7_FLASH_IF_BASE) & ~3u;

		if (debugger)
			c->counters->flash_if_writes++;
		if (size == 4)
			return sim_stm32h7_if_write(c, off, val);
		return sim_stm32h7_if_write(c, off,
					    sim_mech_merge(sim_stm32h7_if_read(h, off), addr, size, val));
	}
	if (addr >= H7_DBGMCU_IDCODE && addr < H7_DBGMCU_IDCODE + H7_DBGMCU_SIZE) {
		uint32_t off = (addr - H7_DBGMCU_IDCODE) & ~3u;

		sim_stm32h7_dbgmcu_write(h, off,
					 sim_mech_merge(sim_stm32h7_dbgmcu_read(h, off), addr, size, val));
		return 0;
	}
	if (addr >= H7_PERIPH_BASE && addr < H7_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return sim_mech_info_write(c, sim_stm32h7_info_byte, addr, debugger);
}

/* A reset (or a power-on) while OPT_BUSY is set. RM0433 says nothing we
 * found of a reset during an option change or its bank erase; ST's HAL
 * says "the contents of the Flash memory are not guaranteed if a device
 * reset occurs during a Flash memory operation" (stm32h7xx_hal_flash.c
 * line 64). Modelled as the conservative case (docs/sim-cortexm.md): the
 * change is aborted, the stored option image (and so the level) stays, and
 * a regression's bank erase leaves the first half of the flash erased (?).
 * An operation whose time is up has completed. */
static void sim_stm32h7_reset_abort(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	sim_stm32h7_tick(c);
	if (!h->busy)
		return;
	if (h->op_regress)
		memset(h->flash, 0xFF, h->part->flash_kb * 1024u / 2);
	h->busy = false;
	h->op_regress = false;
	h->optcr &= ~H7_OPTCR_OPTSTART;
}

/* System reset: the option image is read again (the same one: it was
 * loaded when OPT_BUSY cleared), OPTCR locks, SWAP_BANK follows
 * SWAP_BANK_OPT (RM0433 §4.9.8). The POR latch stays: NRST does not give
 * the flash back after an RDP change with a debugger (?) (docs/targets/stm32h7.md). */
static void sim_stm32h7_system_reset(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	sim_stm32h7_reset_abort(c);
	h->loaded_optsr = h->stored_optsr;
	h->optsr_prg = h->stored_optsr;
	h->optcr = H7_OPTCR_OPTLOCK | (h->loaded_optsr & H7_OPTSR_SWAP_BANK_OPT ? H7_OPTCR_SWAP_BANK : 0);
	h->cr[0] = h->cr[1] = H7_CR_LOCK;
	h->sr[0] = h->sr[1] = 0;
	h->acr = 0;
	h->key[0] = h->key[1] = h->optkey = SIM_MECH_KEY_EXPECT1;
	h->optchangeerr = h->opt_invalid;
}

static void sim_stm32h7_power_on(struct sim_chip *c)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	h->dbgmcu_cr = 0;
	memset(h->dbgmcu_fz, 0, sizeof(h->dbgmcu_fz));
	sim_stm32h7_system_reset(c);
	h->por_needed = false;
}

static int sim_stm32h7_rdp_level(struct sim_chip *c)
{
	sim_stm32h7_tick(c);
	return sim_stm32h7_level_of(sim_stm32h7_of(c)->loaded_optsr);
}

static void sim_stm32h7_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_stm32h7_chip *h = sim_stm32h7_of(c);

	memcpy(msp, h->flash, 4);
	memcpy(pc, h->flash + 4, 4);
}

/* AP1, the D3 domain's AHB-AP: SRAM4 and backup SRAM, D3 peripherals (?). */
static bool sim_stm32h7_d3_reaches(uint32_t addr)
{
	return (addr >= 0x38000000u && addr < 0x39000000u) || (addr >= 0x58000000u && addr < 0x5C000000u);
}

static int sim_stm32h7_d3_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val)
{
	if (!sim_stm32h7_d3_reaches(addr)) {
		*val = 0;
		return -EFAULT;
	}
	return sim_stm32h7_bus_read(c, addr, size, val, true);
}

static int sim_stm32h7_d3_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val)
{
	return sim_stm32h7_d3_reaches(addr) ? sim_stm32h7_bus_write(c, addr, size, val, true) : -EFAULT;
}

/* AP2, the debug APB-AP: the system debug components from 0xE00E0000
 * (RM0433 §60.2, Figure "system debug" memory map: ROM table, DBGMCU at
 * 0xE00E1000, TPIU, SWO, SWTF at 0xE00E4000, ...). DBGMCU is the one
 * modelled; the others read 0 and take writes (OpenOCD's stm32h7x.cfg
 * sets SWTF_CTRL on every part, with or without a funnel). */
#define H7_APBD_BASE 0xE00E0000u
#define H7_APBD_END 0xE0100000u
#define H7_APBD_DBGMCU 0xE00E1000u

static bool sim_stm32h7_apbd_reaches(uint32_t addr, unsigned size)
{
	return sim_mech_in(addr, size, H7_APBD_BASE, H7_APBD_END - H7_APBD_BASE);
}

static bool sim_stm32h7_apbd_dbgmcu(uint32_t addr)
{
	return addr >= H7_APBD_DBGMCU && addr < H7_APBD_DBGMCU + H7_DBGMCU_SIZE;
}

static int sim_stm32h7_apbd_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val)
{
	*val = 0;
	if (!sim_stm32h7_apbd_reaches(addr, size))
		return -EFAULT;
	if (!sim_stm32h7_apbd_dbgmcu(addr))
		return 0;
	return sim_stm32h7_bus_read(c, addr - H7_APBD_DBGMCU + H7_DBGMCU_IDCODE, size, val, true);
}

static int sim_stm32h7_apbd_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val)
{
	if (!sim_stm32h7_apbd_reaches(addr, size))
		return -EFAULT;
	if (!sim_stm32h7_apbd_dbgmcu(addr))
		return 0;
	return sim_stm32h7_bus_write(c, addr - H7_APBD_DBGMCU + H7_DBGMCU_IDCODE, size, val, true);
}

/* AP3 (dual core), the Cortex-M4's AHB-AP: the system bus; the M4's PPB is
 * not modelled, so it faults rather than show the M7's registers. */
static int sim_stm32h7_m4_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val)
{
	if (addr >= 0xE0000000u) {
		*val = 0;
		return -EFAULT;
	}
	return sim_stm32h7_bus_read(c, addr, size, val, true);
}

static int sim_stm32h7_m4_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val)
{
	return addr >= 0xE0000000u ? -EFAULT : sim_stm32h7_bus_write(c, addr, size, val, true);
}

const struct sim_chip_ops sim_stm32h7_ops = {
	.family = "stm32h7",
	.parts = SIM_PART_TABLE(sim_stm32h7_parts),
	.create = sim_stm32h7_create,
	.destroy = sim_stm32h7_destroy,
	.bus_read = sim_stm32h7_bus_read,
	.bus_write = sim_stm32h7_bus_write,
	.tick = sim_stm32h7_tick,
	.system_reset = sim_stm32h7_system_reset,
	.power_on = sim_stm32h7_power_on,
	.rdp_level = sim_stm32h7_rdp_level,
	.reset_vectors = sim_stm32h7_reset_vectors,
	.option_power_loss = sim_stm32h7_option_power_loss,
};
