/*
 * sim_rp2040.c - Raspberry Pi RP2040: a chip with no read-out or debug
 * protection, modelled so that a mixed lab's list is complete and so that
 * the path to it, SWD multidrop, is exercised: its debug ports share one
 * bus and answer only once a TARGETSEL write has picked one.
 *
 * References:
 *   RP2040 datasheet (build-date 2023 or later), §2.3.4 "Debug": two
 *   Cortex-M0+ cores, each behind its own SW-DP on one multidrop bus, plus a
 *   Rescue DP; TARGETID 0x01002927 (TDESIGNER 0x493, Raspberry Pi), core 0
 *   instance 0, core 1 instance 1, Rescue DP instance 0xF; the DPs power up
 *   dormant. §2.2 "Address map": ROM 0x00000000 (16 KB), XIP 0x10000000,
 *   SRAM 0x20000000-0x20041FFF (264 KB), APB peripherals 0x40000000, SIO
 *   0xD0000000, PPB 0xE0000000. "SYSINFO" at 0x40000000: CHIP_ID
 *   (REVISION [31:28], PART [27:12] = 0x0002, MANUFACTURER [11:0] = 0x927),
 *   PLATFORM (bit 1 ASIC). "Bootrom": magic 'M' 'u' and version at
 *   0x10.
 *   ADIv5.2 (ARM IHI 0031C) B4.3.4: TARGETSEL and the multidrop reset state.
 * Constants and their sources: docs/sim/sim_rp2040.md.
 *
 * Modelled: core 0's DP (instance 0) and its AHB-AP; core 1's DP and the
 * Rescue DP exist on the bus only as DPs that a TARGETSEL for them would
 * select: the model never selects them (?). The QSPI flash (a 2 MB W25Q16JV
 * on the Raspberry Pi Pico) reads through XIP as the boot ROM leaves it; it
 * is not programmable here: nothing about protection depends on it.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RP_ROM_BASE 0x00000000u
#define RP_ROM_BYTES 0x4000u
#define RP_XIP_BASE 0x10000000u
#define RP_XIP_WINDOW 0x01000000u /* 16 MB, the flash mirrored in it */
#define RP_SRAM_BASE 0x20000000u
#define RP_SRAM_BYTES 0x42000u    /* SRAM0-5: 264 KB */
#define RP_APB_BASE 0x40000000u
#define RP_SYSINFO_CHIP_ID 0x40000000u
#define RP_SYSINFO_PLATFORM 0x40000004u
#define RP_PERIPH_END 0x60000000u /* APB 0x40000000, AHB-Lite 0x50000000 */
#define RP_SIO_BASE 0xD0000000u   /* SIO CPUID at +0: 0 on core 0 */
#define RP_SIO_BYTES 0x180u

#define RP_TARGETSEL_CORE0 0x01002927u
#define RP_DPIDR 0x0BC12477u  /* SW-DP DPv2, MINDP, designer Arm (?): docs/sim/sim_rp2040.md */
#define RP_AP_IDR 0x04770031u /* Cortex-M0+ AHB-AP (Arm DDI 0484C) */
#define RP_PLATFORM_ASIC 0x2u
#define RP_BOOT_SP 0x20042000u /* top of SRAM5 (?) */
#define RP_BOOT_PC 0x000000EBu /* boot ROM reset handler, Thumb (?) */

struct sim_rp2040_part {
	struct sim_part_id id;
	uint32_t chip_id;   /* SYSINFO CHIP_ID */
	uint32_t flash_bytes;
	struct sim_cortexm_desc core;
};

static const struct sim_rp2040_part sim_rp2040_parts[] = {
	{ { "rp2040", "Raspberry Pi RP2040 B2 (Pico), dual Cortex-M0+ on SWD multidrop, 2 MB QSPI flash, "
		      "no read protection" },
	  0x20002927u, 2u << 20,
	  /* ROM table of the Cortex-M0+: designer Arm 0x23B, part 0x4C0 (?) */
	  { SIM_CORTEX_M0PLUS, 0x410CC601u, false, 0, 0, 0, 0x4C0, 0x23B } },
};

#define RP_NPARTS (sizeof(sim_rp2040_parts) / sizeof(sim_rp2040_parts[0]))

struct sim_rp2040_chip {
	const struct sim_rp2040_part *part;
	uint8_t rom[RP_ROM_BYTES];
	uint8_t *sram, *flash;
};

static struct sim_rp2040_chip *sim_rp2040_of(struct sim_chip *c)
{
	return c->priv;
}

/* Only level 0 exists: the RP2040 has no protection to set. */
static int sim_rp2040_profile_rdp(size_t i, unsigned level, uint8_t *rdp)
{
	*rdp = 0;
	return level == 0 ? 0 : -1;
}

static void sim_rp2040_destroy(struct sim_chip *c)
{
	struct sim_rp2040_chip *r = sim_rp2040_of(c);

	if (!r)
		return;
	free(r->sram);
	free(r->flash);
	free(r);
	c->priv = NULL;
}

/* The boot ROM as a debugger sees its first words: the vector table, then
 * the magic 'M' 'u' and version 1 at 0x10 (datasheet "Bootrom"). */
static void sim_rp2040_fill_rom(uint8_t *rom)
{
	static const uint8_t magic[3] = {'M', 'u', 1};
	uint32_t vec[2] = {RP_BOOT_SP, RP_BOOT_PC};

	memset(rom, 0, RP_ROM_BYTES);
	memcpy(rom, vec, sizeof(vec));
	memcpy(rom + 0x10, magic, sizeof(magic));
}

static int sim_rp2040_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_rp2040_part *p;
	struct sim_rp2040_chip *r;

	if (part >= RP_NPARTS)
		return -ENOENT;
	p = &sim_rp2040_parts[part];
	if (!(r = calloc(1, sizeof(*r))))
		return -ENOMEM;
	c->priv = r;
	r->part = p;
	r->sram = calloc(1, RP_SRAM_BYTES);
	r->flash = malloc(p->flash_bytes);
	if (!r->sram || !r->flash) {
		sim_rp2040_destroy(c);
		return -ENOMEM;
	}
	sim_rp2040_fill_rom(r->rom);
	sim_mech_fill_program(r->flash, p->flash_bytes, RP_SRAM_BASE + RP_SRAM_BYTES, RP_XIP_BASE + 0x101u);
	c->dpidr = RP_DPIDR;
	c->ap_idr = RP_AP_IDR;
	c->dp_version = 2;
	c->targetid = RP_TARGETSEL_CORE0 & 0x0FFFFFFFu;
	c->targetsel = RP_TARGETSEL_CORE0;
	c->dormant_at_power_on = true;
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* A register of the peripheral space: SYSINFO's, else 0. Peripherals the
 * model does not name read 0 and take writes (?: unused APB slots may
 * fault on silicon; nothing here depends on it). */
static uint32_t sim_rp2040_periph_read(const struct sim_rp2040_chip *r, uint32_t addr)
{
	switch (addr & ~3u) {
	case RP_SYSINFO_CHIP_ID: return r->part->chip_id;
	case RP_SYSINFO_PLATFORM: return RP_PLATFORM_ASIC;
	default: return 0;
	}
}

static int sim_rp2040_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val, bool debugger)
{
	struct sim_rp2040_chip *r = sim_rp2040_of(c);

	*val = 0;
	if (sim_mech_in(addr, size, RP_ROM_BASE, RP_ROM_BYTES)) {
		memcpy(val, r->rom + addr, size);
		return 0;
	}
	if (sim_mech_in(addr, size, RP_XIP_BASE, RP_XIP_WINDOW)) {
		memcpy(val, r->flash + (addr - RP_XIP_BASE) % r->part->flash_bytes, size);
		return 0;
	}
	if (sim_mech_in(addr, size, RP_SRAM_BASE, RP_SRAM_BYTES)) {
		memcpy(val, r->sram + (addr - RP_SRAM_BASE), size);
		return 0;
	}
	if (addr >= RP_APB_BASE && addr < RP_PERIPH_END) {
		*val = sim_mech_lane(sim_rp2040_periph_read(r, addr), addr, size);
		return 0;
	}
	if (sim_mech_in(addr, size, RP_SIO_BASE, RP_SIO_BYTES))
		return 0; /* SIO CPUID reads 0 for core 0, the core behind this DP */
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return -EFAULT;
}

static int sim_rp2040_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val, bool debugger)
{
	struct sim_rp2040_chip *r = sim_rp2040_of(c);

	if (sim_mech_in(addr, size, RP_SRAM_BASE, RP_SRAM_BYTES)) {
		memcpy(r->sram + (addr - RP_SRAM_BASE), &val, size);
		return 0;
	}
	/* The ROM, the XIP window (the flash is written through the SSI, not
	 * modelled) and the peripherals take writes and keep nothing (?). */
	if (sim_mech_in(addr, size, RP_ROM_BASE, RP_ROM_BYTES) || sim_mech_in(addr, size, RP_XIP_BASE, RP_XIP_WINDOW) ||
	    (addr >= RP_APB_BASE && addr < RP_PERIPH_END) || sim_mech_in(addr, size, RP_SIO_BASE, RP_SIO_BYTES))
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return -EFAULT;
}

/* Nothing is timed: the model has no flash operation. */
static void sim_rp2040_tick(struct sim_chip *c)
{
}

/* Nothing the model keeps is reset by a system reset: no options, no
 * protection (the SRAM keeps its contents, datasheet "Power-on state machine" (?)). */
static void sim_rp2040_system_reset(struct sim_chip *c)
{
}

static void sim_rp2040_power_on(struct sim_chip *c)
{
	memset(sim_rp2040_of(c)->sram, 0, RP_SRAM_BYTES);
}

static int sim_rp2040_rdp_level(struct sim_chip *c)
{
	return 0;
}

/* The cores start in the boot ROM (datasheet "Bootrom"), whatever the flash holds. */
static void sim_rp2040_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_rp2040_chip *r = sim_rp2040_of(c);

	memcpy(msp, r->rom, 4);
	memcpy(pc, r->rom + 4, 4);
}

const struct sim_chip_ops sim_rp2040_ops = {
	.family = "raspberry pi rp2040",
	.parts = SIM_PART_TABLE(sim_rp2040_parts),
	.profile_rdp = sim_rp2040_profile_rdp,
	.create = sim_rp2040_create,
	.destroy = sim_rp2040_destroy,
	.bus_read = sim_rp2040_bus_read,
	.bus_write = sim_rp2040_bus_write,
	.tick = sim_rp2040_tick,
	.system_reset = sim_rp2040_system_reset,
	.power_on = sim_rp2040_power_on,
	.rdp_level = sim_rp2040_rdp_level,
	.reset_vectors = sim_rp2040_reset_vectors,
};
