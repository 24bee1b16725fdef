/*
 * sim_nrf52.c - Nordic nRF52832 and nRF52840: access port protection
 * (APPROTECT) and the control access port (CTRL-AP) that erases the chip to
 * remove it. Nothing here is an STM32 option byte: the protection is one
 * byte of the UICR, latched at reset, and the way out is a CTRL-AP ERASEALL
 * (the debugger cannot erase through the AHB-AP of a protected chip).
 *
 * References:
 *   nRF52832 Product Specification v1.8 and nRF52840 PS v1.8: "Memory"
 *     (flash at 0, FICR 0x10000000, UICR 0x10001000, RAM 0x20000000),
 *     "FICR" (CODEPAGESIZE, CODESIZE, DEVICEID, INFO.*), "UICR"
 *     (APPROTECT at 0x208, PALL [7:0]: 0xFF Disabled, any other value
 *     Enabled; on parts with hardened APPROTECT 0x5A HwDisabled), "NVMC"
 *     (READY, CONFIG.WEN Ren/Wen/Een, ERASEPAGE, ERASEALL, ERASEUICR; words
 *     only, bits only 1 to 0), "Debug and trace" (access port protection;
 *     APPROTECT.DISABLE 0x40000558 SwDisable 0x5A on the hardened parts),
 *     "CTRL-AP - Control access port" (RESET 0x000, ERASEALL 0x004,
 *     ERASEALLSTATUS 0x008, APPROTECTSTATUS 0x00C, IDR 0x0FC 0x02880000).
 *   Nordic, "Working with the nRF52 Series' improved APPROTECT", and nRF
 *     Connect SDK "Managing access port protection": on the hardened parts
 *     the port opens only with UICR HwDisabled and a SwDisable write by the
 *     firmware after every reset; after a CTRL-AP ERASEALL it is open until
 *     the next reset.
 *   OpenOCD 0.12.0 tcl/target/nrf52.cfg: CPUTAPID 0x2BA01477, CTRL-AP at
 *     AP 1 with IDR 0x02880000, nrf52_recover (ERASEALL, poll
 *     ERASEALLSTATUS, RESET 1 then 0).
 * Constants and their sources: docs/sim/sim_nrf52.md.
 *
 * Modelled: the AHB-AP on APSEL 0 and the CTRL-AP on APSEL 1; flash, FICR,
 * UICR, RAM and the NVMC; the firmware only as far as protection depends on
 * it (the hardened part's SwDisable write at boot). Peripherals other than
 * the NVMC and APPROTECT.DISABLE read 0 and take writes (?).
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NRF_FLASH_BASE 0x00000000u
#define NRF_FICR_BASE 0x10000000u
#define NRF_FICR_BYTES 0x1000u
#define NRF_UICR_BASE 0x10001000u
#define NRF_UICR_BYTES 0x1000u      /* one flash page (?) */
#define NRF_RAM_BASE 0x20000000u
#define NRF_PERIPH_BASE 0x40000000u
#define NRF_PERIPH_END 0x60000000u  /* APB 0x40000000, AHB (GPIO) 0x50000000 */
#define NRF_APPROTECT_DISABLE 0x40000558u
#define NRF_NVMC_BASE 0x4001E000u
#define NRF_NVMC_BYTES 0x1000u
#define NRF_PAGE_BYTES 4096u        /* FICR CODEPAGESIZE */

/* FICR word offsets ("FICR", register overview). */
#define NRF_FICR_CODEPAGESIZE 0x010u
#define NRF_FICR_CODESIZE 0x014u
#define NRF_FICR_DEVICEID0 0x060u
#define NRF_FICR_DEVICEID1 0x064u
#define NRF_FICR_INFO_PART 0x100u
#define NRF_FICR_INFO_VARIANT 0x104u
#define NRF_FICR_INFO_PACKAGE 0x108u
#define NRF_FICR_INFO_RAM 0x10Cu
#define NRF_FICR_INFO_FLASH 0x110u

#define NRF_UICR_APPROTECT 0x208u
#define NRF_PALL_ENABLED 0x00u
#define NRF_PALL_HWDISABLED 0x5Au
#define NRF_PALL_DISABLED 0xFFu
#define NRF_SWDISABLE 0x5Au

/* NVMC register offsets and CONFIG.WEN ("NVMC", register overview). */
#define NRF_NVMC_READY 0x400u
#define NRF_NVMC_CONFIG 0x504u
#define NRF_NVMC_ERASEPAGE 0x508u
#define NRF_NVMC_ERASEALL 0x50Cu
#define NRF_NVMC_ERASEUICR 0x514u
#define NRF_WEN_MASK 0x3u
#define NRF_WEN_WEN 0x1u
#define NRF_WEN_EEN 0x2u

/* CTRL-AP ("CTRL-AP - Control access port", register overview). */
#define NRF_CTRLAP_APSEL 1u
#define NRF_CTRLAP_IDR 0x02880000u
#define NRF_CTRLAP_RESET 0x000u
#define NRF_CTRLAP_ERASEALL 0x004u
#define NRF_CTRLAP_ERASEALLSTATUS 0x008u
#define NRF_CTRLAP_APPROTECTSTATUS 0x00Cu

#define NRF_DPIDR 0x2BA01477u  /* OpenOCD nrf52.cfg CPUTAPID */
#define NRF_AP_IDR 0x24770011u /* Cortex-M4 AHB-AP */

/* tERASEALL and tERASEPAGE are in the PS's NVMC "Electrical specification";
 * neither value was found in our sources: both taken as round numbers (?). */
#define NRF_ERASEALL_MS 200.0
#define NRF_ERASEPAGE_MS 85.0

/* Cortex-M4F r0p1, FPv4-SP; MCU ROM table designer Nordic, JEP106
 * continuation 2, identity 0x44 (0x144 in the 11-bit packing
 * sim_cortexm_id_regs uses, continuation in [10:7]); part number 0x006 (?). */
#define NRF_CORE_M4 { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, 0x006, 0x144 }

struct sim_nrf52_part {
	struct sim_part_id id;
	uint32_t info_part, info_variant, info_package;
	uint32_t flash_kb, ram_kb;
	bool hardened; /* APPROTECT "controlled by hardware and software" */
	struct sim_cortexm_desc core;
};

static const struct sim_nrf52_part sim_nrf52_parts[] = {
	{ { "nrf52832", "Nordic nRF52832 QFAAE0, Cortex-M4F, 512 KB flash, 64 KB RAM, APPROTECT in UICR" },
	  0x52832u, 0x41414530u /* 'AAE0' */, 0x2000u /* QF */, 512, 64, false, NRF_CORE_M4 },
	{ { "nrf52840", "Nordic nRF52840 QIAAD0, Cortex-M4F, 1 MB flash, 256 KB RAM, APPROTECT in UICR" },
	  0x52840u, 0x41414430u /* 'AAD0' */, 0x2004u /* QI */, 1024, 256, false, NRF_CORE_M4 },
	{ { "nrf52840f0", "Nordic nRF52840 QIAAF0, Cortex-M4F, 1 MB flash, 256 KB RAM, hardened APPROTECT "
			  "(UICR HwDisabled and firmware SwDisable)" },
	  0x52840u, 0x41414630u /* 'AAF0' */, 0x2004u /* QI */, 1024, 256, true, NRF_CORE_M4 },
};

#define NRF_NPARTS (sizeof(sim_nrf52_parts) / sizeof(sim_nrf52_parts[0]))

/* What the NVMC is doing; a CTRL-AP ERASEALL runs on it too. */
enum sim_nrf52_op {
	NRF_OP_NONE,
	NRF_OP_ERASEPAGE,
	NRF_OP_ERASEUICR,
	NRF_OP_ERASEALL,
	NRF_OP_CTRLAP_ERASEALL,
};

struct sim_nrf52_chip {
	const struct sim_nrf52_part *part;
	uint8_t *flash, *ram;
	uint8_t uicr[NRF_UICR_BYTES];
	uint32_t wen;               /* NVMC CONFIG.WEN */
	enum sim_nrf52_op op;
	uint32_t op_page;           /* ERASEPAGE: the page's first byte */
	uint64_t op_until_ns;
	uint32_t ctrlap_eraseall;   /* CTRL-AP ERASEALL as last written (?) */
	bool ctrlap_reset;          /* CTRL-AP RESET = 1: the chip is held in reset */
	uint8_t loaded_pall;        /* UICR APPROTECT.PALL as the last reset read it */
	bool sw_disabled;           /* APPROTECT.DISABLE = SwDisable since the last reset */
	bool erase_opened;          /* a CTRL-AP ERASEALL completed since the last reset */
};

static struct sim_nrf52_chip *sim_nrf52_of(struct sim_chip *c)
{
	return c->priv;
}

static uint32_t sim_nrf52_flash_bytes(const struct sim_nrf52_chip *n)
{
	return n->part->flash_kb * 1024u;
}

static uint32_t sim_nrf52_ram_bytes(const struct sim_nrf52_chip *n)
{
	return n->part->ram_kb * 1024u;
}

/* Whether access port protection is in force ("Debug and trace", access
 * port protection): a completed CTRL-AP ERASEALL opens the port until the
 * next reset; otherwise PALL as latched at reset decides, on the hardened
 * part together with the firmware's SwDisable write since that reset. */
static bool sim_nrf52_protected(const struct sim_nrf52_chip *n)
{
	if (n->erase_opened)
		return false;
	if (n->part->hardened)
		return !(n->loaded_pall == NRF_PALL_HWDISABLED && n->sw_disabled);
	return n->loaded_pall != NRF_PALL_DISABLED;
}

/* Level 0: PALL 0xFF (Disabled), 0x5A (HwDisabled) on the hardened part;
 * level 1: 0x00 (Enabled). There is no level 2: a CTRL-AP ERASEALL always
 * removes the protection. */
static int sim_nrf52_profile_rdp(size_t i, unsigned level, uint8_t *rdp)
{
	if (level > 1)
		return -1;
	if (level == 1)
		*rdp = NRF_PALL_ENABLED;
	else
		*rdp = sim_nrf52_parts[i].hardened ? NRF_PALL_HWDISABLED : NRF_PALL_DISABLED;
	return 0;
}

static void sim_nrf52_destroy(struct sim_chip *c)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	if (!n)
		return;
	free(n->flash);
	free(n->ram);
	free(n);
	c->priv = NULL;
}

static void sim_nrf52_start(struct sim_chip *c, enum sim_nrf52_op op, double ms)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	n->op = op;
	n->op_until_ns = sim_chip_deadline_ns(c, ms);
}

/* An erase that has run its time: its memory reads erased. A page erase
 * takes its page; ERASEUICR the UICR; both ERASEALLs the UICR and the
 * flash, and the CTRL-AP's the RAM too, after which the port is open until
 * the next reset ("CTRL-AP", erase all). */
static void sim_nrf52_finish(struct sim_chip *c)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	enum sim_nrf52_op op = n->op;

	n->op = NRF_OP_NONE;
	if (op == NRF_OP_ERASEPAGE) {
		memset(n->flash + n->op_page, 0xFF, NRF_PAGE_BYTES);
		return;
	}
	memset(n->uicr, 0xFF, NRF_UICR_BYTES);
	if (op == NRF_OP_ERASEUICR)
		return;
	memset(n->flash, 0xFF, sim_nrf52_flash_bytes(n));
	c->counters->mass_erases++;
	if (op == NRF_OP_CTRLAP_ERASEALL) {
		memset(n->ram, 0, sim_nrf52_ram_bytes(n));
		n->erase_opened = true;
	}
}

static void sim_nrf52_tick(struct sim_chip *c)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	if (sim_chip_op_due(c, n->op != NRF_OP_NONE, n->op_until_ns))
		sim_nrf52_finish(c);
}

/* APPROTECT.DISABLE: SwDisable opens the hardened part's port until the
 * next reset, when UICR says HwDisabled ("Debug and trace"). */
static void sim_nrf52_approtect_disable(struct sim_nrf52_chip *n, uint32_t v)
{
	if ((v & 0xFFu) == NRF_SWDISABLE)
		n->sw_disabled = true;
}

/* The family part of every reset: an erase still running is abandoned
 * and its memory left as it was (?: the PS does not say), NVMC CONFIG
 * returns to Ren, the protection is latched from UICR. A programmed flash
 * (word 0, its initial stack pointer, not erased) holds firmware built
 * with Nordic's MDK, whose SystemInit writes APPROTECT.DISABLE =
 * UICR.APPROTECT (system_nrf52_approtect.h, nrf52_handle_approtect): on
 * the hardened part with HwDisabled that is SwDisable. The model makes
 * that write at the reset itself, even when the core is then held in
 * reset or halted (?). */
static void sim_nrf52_system_reset(struct sim_chip *c)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	sim_nrf52_tick(c);
	n->op = NRF_OP_NONE;
	n->wen = 0;
	n->erase_opened = false;
	n->sw_disabled = false;
	n->loaded_pall = n->uicr[NRF_UICR_APPROTECT];
	if (sim_mech_load(n->flash, 4) != 0xFFFFFFFFu)
		sim_nrf52_approtect_disable(n, sim_mech_load(n->uicr + NRF_UICR_APPROTECT, 4));
}

/* Power-on also clears the CTRL-AP's registers (it sits in the debug
 * domain, which a soft reset keeps) and the RAM. */
static void sim_nrf52_power_on(struct sim_chip *c)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	n->ctrlap_reset = false;
	n->ctrlap_eraseall = 0;
	memset(n->ram, 0, sim_nrf52_ram_bytes(n));
	sim_nrf52_system_reset(c);
}

static void sim_nrf52_ctrlap_read(struct sim_chip *c, unsigned reg, uint32_t *val)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	switch (reg) {
	case NRF_CTRLAP_RESET: *val = n->ctrlap_reset; break;
	case NRF_CTRLAP_ERASEALL: *val = n->ctrlap_eraseall; break;
	case NRF_CTRLAP_ERASEALLSTATUS: *val = n->op == NRF_OP_CTRLAP_ERASEALL; break; /* 1 Busy */
	case NRF_CTRLAP_APPROTECTSTATUS: *val = !sim_nrf52_protected(n); break;       /* 1 not enabled */
	default: *val = 0; break;
	}
}

/* RESET: 1 holds the chip in a soft reset, 0 lets it go, and the reset
 * then takes effect ("CTRL-AP", reset request); another reset source
 * (nRESET, AIRCR) that ends meanwhile releases the core too (?). ERASEALL:
 * a 1 starts the erase unless one runs; it replaces whatever the NVMC was
 * doing (?). The CTRL-AP answers whatever the protection. */
static void sim_nrf52_ctrlap_write(struct sim_chip *c, unsigned reg, uint32_t v)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	bool bit = v & 1u;

	switch (reg) {
	case NRF_CTRLAP_RESET:
		if (bit == n->ctrlap_reset)
			break;
		n->ctrlap_reset = bit;
		if (bit)
			sim_cortexm_hold_reset(&c->core);
		else
			sim_chip_system_reset(c);
		break;
	case NRF_CTRLAP_ERASEALL:
		n->ctrlap_eraseall = bit;
		if (bit && n->op != NRF_OP_CTRLAP_ERASEALL)
			sim_nrf52_start(c, NRF_OP_CTRLAP_ERASEALL, NRF_ERASEALL_MS);
		break;
	default:
		break;
	}
}

static int sim_nrf52_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_nrf52_part *p;
	struct sim_nrf52_chip *n;

	if (part >= NRF_NPARTS)
		return -ENOENT;
	p = &sim_nrf52_parts[part];
	if (!(n = calloc(1, sizeof(*n))))
		return -ENOMEM;
	c->priv = n;
	n->part = p;
	n->flash = malloc(sim_nrf52_flash_bytes(n));
	n->ram = calloc(1, sim_nrf52_ram_bytes(n));
	if (!n->flash || !n->ram) {
		sim_nrf52_destroy(c);
		return -ENOMEM;
	}
	sim_mech_fill_program(n->flash, sim_nrf52_flash_bytes(n), NRF_RAM_BASE + sim_nrf52_ram_bytes(n),
			      NRF_FLASH_BASE + 0x201u);
	memset(n->uicr, 0xFF, NRF_UICR_BYTES);
	n->uicr[NRF_UICR_APPROTECT] = rdp;
	c->dpidr = NRF_DPIDR;
	c->ap_idr = NRF_AP_IDR;
	c->dp_version = 1;
	c->aps[NRF_CTRLAP_APSEL] = (struct sim_ap){
		.idr = NRF_CTRLAP_IDR,
		.reg_read = sim_nrf52_ctrlap_read,
		.reg_write = sim_nrf52_ctrlap_write,
	};
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* A FICR word; the ones the model does not name read as unprogrammed (?). */
static uint32_t sim_nrf52_ficr_word(const struct sim_chip *c, const struct sim_nrf52_part *p, uint32_t off)
{
	switch (off) {
	case NRF_FICR_CODEPAGESIZE: return NRF_PAGE_BYTES;
	case NRF_FICR_CODESIZE: return p->flash_kb * 1024u / NRF_PAGE_BYTES;
	case NRF_FICR_DEVICEID0: return c->uid[0];
	case NRF_FICR_DEVICEID1: return c->uid[1];
	case NRF_FICR_INFO_PART: return p->info_part;
	case NRF_FICR_INFO_VARIANT: return p->info_variant;
	case NRF_FICR_INFO_PACKAGE: return p->info_package;
	case NRF_FICR_INFO_RAM: return p->ram_kb;
	case NRF_FICR_INFO_FLASH: return p->flash_kb;
	default: return 0xFFFFFFFFu;
	}
}

static uint32_t sim_nrf52_nvmc_read(const struct sim_nrf52_chip *n, uint32_t off)
{
	switch (off) {
	case NRF_NVMC_READY: return n->op == NRF_OP_NONE; /* 1 Ready */
	case NRF_NVMC_CONFIG: return n->wen;
	default: return 0;
	}
}

/* An NVMC register write. While an operation runs the CPU would stall on
 * the bus; a write then is dropped (?). Erases need CONFIG = Een; ERASEUICR
 * does nothing while access port protection is in force ("NVMC", erasing
 * the UICR; "Access port protection behavior"), which only the firmware
 * can try: the debugger cannot reach the NVMC then. */
static void sim_nrf52_nvmc_write(struct sim_chip *c, uint32_t off, uint32_t v)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	bool een = n->wen == NRF_WEN_EEN;

	if (n->op != NRF_OP_NONE)
		return;
	switch (off) {
	case NRF_NVMC_CONFIG:
		n->wen = v & NRF_WEN_MASK;
		break;
	case NRF_NVMC_ERASEPAGE:
		if (een && v < sim_nrf52_flash_bytes(n)) {
			n->op_page = v & ~(NRF_PAGE_BYTES - 1); /* the page holding V (?) */
			sim_nrf52_start(c, NRF_OP_ERASEPAGE, NRF_ERASEPAGE_MS);
		}
		break;
	case NRF_NVMC_ERASEALL:
		if (een && (v & 1u))
			sim_nrf52_start(c, NRF_OP_ERASEALL, NRF_ERASEALL_MS);
		break;
	case NRF_NVMC_ERASEUICR:
		if (een && (v & 1u) && !sim_nrf52_protected(n))
			sim_nrf52_start(c, NRF_OP_ERASEUICR, NRF_ERASEPAGE_MS);
		break;
	default:
		break;
	}
}

/* A write to flash or UICR at MEM. Test pokes (not DEBUGGER) store as
 * given. Through the NVMC ("NVMC", writing to flash): only full words
 * (anything narrower is a hard fault, here a bus error), only with
 * CONFIG = Wen and no erase running (else ignored (?)), and bits only go
 * from 1 to 0. */
static int sim_nrf52_program(struct sim_chip *c, uint8_t *mem, unsigned size, uint32_t val, bool debugger)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	uint32_t w;

	if (!debugger) {
		memcpy(mem, &val, size);
		return 0;
	}
	if (size != 4)
		return -EFAULT;
	if (n->wen != NRF_WEN_WEN || n->op != NRF_OP_NONE)
		return 0;
	c->counters->flash_if_writes++;
	w = sim_mech_load(mem, 4) & val;
	memcpy(mem, &w, 4);
	return 0;
}

/* Where an address falls among the arrays: a byte pointer, and whether
 * the NVMC programs it (flash, UICR). NULL: none of them. */
static uint8_t *sim_nrf52_mem_at(struct sim_nrf52_chip *n, uint32_t addr, unsigned size, bool *nvm)
{
	*nvm = true;
	if (sim_mech_in(addr, size, NRF_FLASH_BASE, sim_nrf52_flash_bytes(n)))
		return n->flash + (addr - NRF_FLASH_BASE);
	if (sim_mech_in(addr, size, NRF_UICR_BASE, NRF_UICR_BYTES))
		return n->uicr + (addr - NRF_UICR_BASE);
	*nvm = false;
	if (sim_mech_in(addr, size, NRF_RAM_BASE, sim_nrf52_ram_bytes(n)))
		return n->ram + (addr - NRF_RAM_BASE);
	return NULL;
}

/* With protection in force the AHB-AP is cut off: every debugger access,
 * the core's registers included, is a bus error ("Debug and trace"). */
static int sim_nrf52_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val, bool debugger)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	uint8_t *mem;
	bool nvm;

	*val = 0;
	if (debugger && sim_nrf52_protected(n))
		return -EFAULT;
	if ((mem = sim_nrf52_mem_at(n, addr, size, &nvm))) {
		*val = sim_mech_load(mem, size);
		return 0;
	}
	if (sim_mech_in(addr, size, NRF_FICR_BASE, NRF_FICR_BYTES)) {
		uint32_t w = sim_nrf52_ficr_word(c, n->part, (addr - NRF_FICR_BASE) & ~3u);

		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (sim_mech_in(addr, size, NRF_NVMC_BASE, NRF_NVMC_BYTES)) {
		*val = sim_mech_lane(sim_nrf52_nvmc_read(n, (addr - NRF_NVMC_BASE) & ~3u), addr, size);
		return 0;
	}
	if (addr >= NRF_PERIPH_BASE && addr < NRF_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return -EFAULT;
}

static int sim_nrf52_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val, bool debugger)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);
	uint8_t *mem;
	bool nvm;

	if (debugger && sim_nrf52_protected(n))
		return -EFAULT;
	if ((mem = sim_nrf52_mem_at(n, addr, size, &nvm))) {
		if (nvm)
			return sim_nrf52_program(c, mem, size, val, debugger);
		memcpy(mem, &val, size);
		return 0;
	}
	if (sim_mech_in(addr, size, NRF_FICR_BASE, NRF_FICR_BYTES))
		return 0; /* factory-programmed: writes are ignored (?) */
	if (sim_mech_in(addr, size, NRF_NVMC_BASE, NRF_NVMC_BYTES)) {
		if (debugger)
			c->counters->flash_if_writes++;
		sim_nrf52_nvmc_write(c, (addr - NRF_NVMC_BASE) & ~3u, sim_mech_merge(0, addr, size, val));
		return 0;
	}
	if ((addr & ~3u) == NRF_APPROTECT_DISABLE) {
		sim_nrf52_approtect_disable(n, sim_mech_merge(0, addr, size, val));
		return 0;
	}
	if (addr >= NRF_PERIPH_BASE && addr < NRF_PERIPH_END)
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return -EFAULT;
}

static int sim_nrf52_rdp_level(struct sim_chip *c)
{
	return sim_nrf52_protected(sim_nrf52_of(c)) ? 1 : 0;
}

/* The vector table sits at the start of the flash (no boot ROM). */
static void sim_nrf52_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_nrf52_chip *n = sim_nrf52_of(c);

	*msp = sim_mech_load(n->flash, 4);
	*pc = sim_mech_load(n->flash + 4, 4);
}

const struct sim_chip_ops sim_nrf52_ops = {
	.family = "nordic nrf52",
	.parts = SIM_PART_TABLE(sim_nrf52_parts),
	.profile_rdp = sim_nrf52_profile_rdp,
	.create = sim_nrf52_create,
	.destroy = sim_nrf52_destroy,
	.bus_read = sim_nrf52_bus_read,
	.bus_write = sim_nrf52_bus_write,
	.tick = sim_nrf52_tick,
	.system_reset = sim_nrf52_system_reset,
	.power_on = sim_nrf52_power_on,
	.rdp_level = sim_nrf52_rdp_level,
	.reset_vectors = sim_nrf52_reset_vectors,
};
