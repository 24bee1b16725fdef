/*
 * sim_stm32h5.c - STM32H5, identification model: DBGMCU, F_SIZE, and the
 * product state in FLASH_OPTSR_CUR. Option programming, the debug
 * authentication mailbox and the regression are not modelled: rdpd only
 * reads H5 (docs/targets/stm32h5.md).
 *
 * Profiles come from the generic "<part>-rdp<level>" table with this
 * mapping of the profile's option byte to a product state:
 *   rdp0 (0xAA) -> OPEN (0xED), rdp1 (0xBB) -> CLOSED (0x72),
 *   rdp2 (0xCC) -> LOCKED (0x5C).
 *
 * Access ports, as on silicon: the Cortex-M33's AHB-AP is AP1 (OpenOCD
 * stm32h5x.cfg creates the cpu with -ap-num 1; probe-rs STM32H5_Series.yaml
 * "ap: !v1 1"). AP0 is the port debug authentication talks through (ST wiki
 * "Debug Authentication for STM32H5": "the JTAG dedicated access point
 * (ap0)"); OpenOCD drives it as a MEM-AP and writes DBGMCU_CR at 0xE0044004
 * through it, so it is modelled as an APB MEM-AP that reaches DBGMCU and
 * nothing else: no core, no flash. APSEL 2 and 3 have no AP (IDR 0).
 *
 * References: RM0481 §7.6 (product states, OPTSR_CUR/PRG), CMSIS
 * stm32h563xx.h (offsets), ST's OpenOCD tcl/target/stm32h5x.cfg (PSTATE
 * codes, SW-DP 0x0BE12477, DBGMCU at 0xE0044000, AP numbers); the constants with
 * their header lines: docs/targets/stm32h5.md, "simulator model".
 *
 * Simplifications (?):
 *   - AP0's IDR (an APB-AP's, the value the H7's APB-AP reports) and AP1's
 *     (the AHB5-AP value the L5/U5 models use) are not from an H5 source.
 *   - CLOSED: the DP answers, flash and SRAM fault to the debugger, the
 *     FLASH registers and DBGMCU stay readable. LOCKED: the DP is silent,
 *     like RDP level 2.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define H5_FLASH_BASE 0x08000000u
#define H5_SRAM_BASE 0x20000000u
#define H5_UID_BASE 0x08FFF800u
#define H5_FSIZE 0x08FFF80Cu
#define H5_DBGMCU_PPB 0xE0044000u
#define H5_DBGMCU_APB 0x44024000u
#define H5_PERIPH_BASE 0x40000000u
#define H5_PERIPH_END 0x60000000u

#define H5_FLASH_IF 0x40022000u
#define H5_OPTCR 0x1Cu
#define H5_NSCR 0x28u
#define H5_OPTSR_CUR 0x50u
#define H5_OPTSR_PRG 0x54u
#define H5_OPTSR2_CUR 0x70u
#define H5_OPTSR2_PRG 0x74u

#define H5_DBGMCU_SIZE 0x1000u

#define H5_PSTATE_OPEN 0xEDu
#define H5_PSTATE_CLOSED 0x72u
#define H5_PSTATE_LOCKED 0x5Cu

struct sim_stm32h5_part {
	struct sim_part_id id;
	uint16_t dev_id, rev_id;
	uint32_t flash_kb, sram_kb;
	uint32_t optsr_default; /* without PRODUCT_STATE (?) */
	uint32_t optsr2_default;
};

static const struct sim_stm32h5_part sim_stm32h5_parts[] = {
	{
		.id.name = "stm32h563zi",
		.id.summary = "STM32H563ZI, Cortex-M33, 2 MB flash; rdp0 = OPEN, rdp1 = CLOSED, rdp2 = LOCKED (product states)",
		.dev_id = 0x484, .rev_id = 0x1001, .flash_kb = 2048, .sram_kb = 640,
		.optsr_default = 0x003000D8u, .optsr2_default = 0xC3000000u, /* TZEN = 0xC3: off */
	},
};

#define H5_NPARTS (sizeof(sim_stm32h5_parts) / sizeof(sim_stm32h5_parts[0]))

struct sim_stm32h5_chip {
	const struct sim_stm32h5_part *part;
	uint8_t *flash, *sram;
	uint8_t pstate;
	uint32_t dbgmcu_cr;
};

static struct sim_stm32h5_chip *sim_stm32h5_of(struct sim_chip *c)
{
	return c->priv;
}

static void sim_stm32h5_destroy(struct sim_chip *c)
{
	struct sim_stm32h5_chip *h = sim_stm32h5_of(c);

	if (!h)
		return;
	free(h->flash);
	free(h->sram);
	free(h);
	c->priv = NULL;
}

static int sim_stm32h5_ap0_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val);
static int sim_stm32h5_ap0_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val);

static int sim_stm32h5_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	static const struct sim_cortexm_desc m33 = {
		SIM_CORTEX_M33, 0x410FD214u, true, 0x10110021u, 0x11000011u, 0, 0x484, 0x020
	};
	const struct sim_stm32h5_part *p;
	struct sim_stm32h5_chip *h;

	if (part >= H5_NPARTS)
		return -ENOENT;
	p = &sim_stm32h5_parts[part];
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	c->priv = h;
	h->part = p;
	h->flash = malloc(p->flash_kb * 1024u);
	h->sram = calloc(1, p->sram_kb * 1024u);
	if (!h->flash || !h->sram) {
		sim_stm32h5_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(h->flash, p->flash_kb * 1024u, H5_SRAM_BASE + 0x1000u, H5_FLASH_BASE + 0x201u);
	h->pstate = rdp == 0xAA ? H5_PSTATE_OPEN : rdp == 0xCC ? H5_PSTATE_LOCKED : H5_PSTATE_CLOSED;
	c->dpidr = 0x0BE12477u; /* OpenOCD stm32h5x.cfg */
	c->core_ap = 1;
	c->ap_idr = 0x14770015u; /* AHB5-AP (?) */
	c->aps[0] = (struct sim_ap){0x54770002u /* APB-AP (?) */, sim_stm32h5_ap0_read,
				    sim_stm32h5_ap0_write};
	c->dp_version = 2;
	c->targetid = ((uint32_t)p->dev_id << 16) | (0x020u << 1) | 1u; /* (?) */
	sim_cortexm_init(&c->core, &m33);
	return 0;
}

static uint32_t sim_stm32h5_if_read(struct sim_stm32h5_chip *h, uint32_t off)
{
	uint32_t optsr = h->part->optsr_default | ((uint32_t)h->pstate << 8);

	switch (off) {
	case H5_OPTCR: return 1u;  /* OPTLOCK */
	case H5_NSCR: return 1u;   /* LOCK */
	case H5_OPTSR_CUR: case H5_OPTSR_PRG: return optsr;
	case H5_OPTSR2_CUR: case H5_OPTSR2_PRG: return h->part->optsr2_default;
	default: return 0;
	}
}

/* Flash and SRAM closed to the debugger in any state but OPEN (?). */
static uint8_t *sim_stm32h5_mem_at(struct sim_chip *c, uint32_t addr, unsigned size, bool debugger,
				   bool *fault)
{
	struct sim_stm32h5_chip *h = sim_stm32h5_of(c);
	uint8_t *m = NULL;

	if (sim_mech_in(addr, size, H5_FLASH_BASE, h->part->flash_kb * 1024u))
		m = h->flash + (addr - H5_FLASH_BASE);
	else if (sim_mech_in(addr, size, H5_SRAM_BASE, h->part->sram_kb * 1024u))
		m = h->sram + (addr - H5_SRAM_BASE);
	*fault = m && debugger && h->pstate != H5_PSTATE_OPEN;
	return m;
}

static int sim_stm32h5_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_stm32h5_chip *h = sim_stm32h5_of(c);
	bool fault;
	uint8_t *m = sim_stm32h5_mem_at(c, addr, size, debugger, &fault);

	*val = 0;
	if (m) {
		if (fault)
			return -EFAULT;
		memcpy(val, m, size);
		return 0;
	}
	if (addr >= H5_FLASH_IF && addr < H5_FLASH_IF + 0x400) {
		*val = sim_mech_lane(sim_stm32h5_if_read(h, (addr - H5_FLASH_IF) & ~3u), addr, size);
		return 0;
	}
	if ((addr & ~7u) == H5_DBGMCU_PPB || (addr & ~7u) == H5_DBGMCU_APB) {
		uint32_t w = (addr & 4) ? h->dbgmcu_cr : ((uint32_t)h->part->rev_id << 16) | h->part->dev_id;

		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (addr >= H5_UID_BASE && addr < H5_UID_BASE + 0x10) {
		uint32_t w = (addr & ~3u) == (H5_FSIZE & ~3u) ? h->part->flash_kb
							      : c->uid[((addr & ~3u) - H5_UID_BASE) / 4];

		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (addr >= H5_PERIPH_BASE && addr < H5_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return -EFAULT;
}

static int sim_stm32h5_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_stm32h5_chip *h = sim_stm32h5_of(c);
	bool fault;
	uint8_t *m = sim_stm32h5_mem_at(c, addr, size, debugger, &fault);

	if (m) {
		if (fault)
			return -EFAULT;
		if (m >= h->sram)
			memcpy(m, &val, size);
		return 0; /* flash programming not modelled */
	}
	if (addr >= H5_FLASH_IF && addr < H5_FLASH_IF + 0x400) {
		if (debugger)
			c->counters->flash_if_writes++;
		return 0; /* option programming not modelled: writes are ignored */
	}
	if ((addr & ~3u) == H5_DBGMCU_PPB + 4 || (addr & ~3u) == H5_DBGMCU_APB + 4) {
		h->dbgmcu_cr = val;
		return 0;
	}
	if (addr >= H5_PERIPH_BASE && addr < H5_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr)) {
		if (size != 4)
			return 0;
		return sim_cortexm_write(&c->core, addr, val);
	}
	return -EFAULT;
}

/* AP0's bus: DBGMCU at its debug-bus address only (OpenOCD reaches
 * DBGMCU_CR there through AP0); anything else is a bus error (?). */
static bool sim_stm32h5_ap0_reaches(uint32_t addr, unsigned size)
{
	return sim_mech_in(addr, size, H5_DBGMCU_PPB, H5_DBGMCU_SIZE);
}

static int sim_stm32h5_ap0_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val)
{
	if (!sim_stm32h5_ap0_reaches(addr, size)) {
		*val = 0;
		return -EFAULT;
	}
	return sim_stm32h5_bus_read(c, addr, size, val, true);
}

static int sim_stm32h5_ap0_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val)
{
	if (!sim_stm32h5_ap0_reaches(addr, size))
		return -EFAULT;
	return sim_stm32h5_bus_write(c, addr, size, val, true);
}

static void sim_stm32h5_tick(struct sim_chip *c)
{
	(void)c;
}

static void sim_stm32h5_system_reset(struct sim_chip *c)
{
	(void)c;
}

static void sim_stm32h5_power_on(struct sim_chip *c)
{
	sim_stm32h5_of(c)->dbgmcu_cr = 0;
}

static int sim_stm32h5_rdp_level(struct sim_chip *c)
{
	uint8_t s = sim_stm32h5_of(c)->pstate;

	return s == H5_PSTATE_OPEN ? 0 : s == H5_PSTATE_LOCKED ? 2 : 1;
}

static void sim_stm32h5_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	(void)c;
	*msp = H5_SRAM_BASE + 0x1000u;
	*pc = H5_FLASH_BASE + 0x201u;
}

const struct sim_chip_ops sim_stm32h5_ops = {
	.family = "stm32h5",
	.parts = SIM_PART_TABLE(sim_stm32h5_parts),
	.create = sim_stm32h5_create,
	.destroy = sim_stm32h5_destroy,
	.bus_read = sim_stm32h5_bus_read,
	.bus_write = sim_stm32h5_bus_write,
	.tick = sim_stm32h5_tick,
	.system_reset = sim_stm32h5_system_reset,
	.power_on = sim_stm32h5_power_on,
	.rdp_level = sim_stm32h5_rdp_level,
	.reset_vectors = sim_stm32h5_reset_vectors,
};
