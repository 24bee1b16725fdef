/*
 * sim_cortexm.c - Cortex-M0/M0+/M3/M4/M7/M23/M33 debug and system registers, as seen from
 * the AHB-AP. The core never executes code: "running" only means "not halted
 * and not in reset".
 *
 * References:
 *   ARMv7-M ARM (DDI 0403E): B3.2 System control block (CPUID, AIRCR, CPACR),
 *     C1.6 Debug system registers (DHCSR, DCRSR, DCRDR, DEMCR, DFSR),
 *     C1.8 DWT, C1.11 FPB, B5.4 ROM table, B1.5.5 reset behaviour.
 *   ARMv8-M ARM (DDI 0553): D1.2 debug registers (DHCSR S_RESTART_ST, DEMCR
 *     of the Baseline), FP_CTRL.REV; Cortex-M23 TRM (DDI 0550C) §7.1
 *     (processor ROM table, component identification: part 0xD20).
 *   CoreSight component identification: ADIv5.2 (IHI 0031C) D1.2.
 */
#include "sim_internal.h"

#include <errno.h>
#include <string.h>

#define CM_PPB_BASE 0xE0000000u
#define CM_PPB_END 0xE0100000u

#define CM_DWT_CTRL 0xE0001000u
#define CM_DWT_COMP0 0xE0001020u
#define CM_FP_CTRL 0xE0002000u
#define CM_FP_COMP0 0xE0002008u
#define CM_CPUID 0xE000ED00u
#define CM_VTOR 0xE000ED08u
#define CM_AIRCR 0xE000ED0Cu
#define CM_DFSR 0xE000ED30u
#define CM_CPACR 0xE000ED88u
#define CM_DHCSR 0xE000EDF0u
#define CM_DCRSR 0xE000EDF4u
#define CM_DCRDR 0xE000EDF8u
#define CM_DEMCR 0xE000EDFCu
#define CM_FPCCR 0xE000EF34u
#define CM_FPCAR 0xE000EF38u
#define CM_FPDSCR 0xE000EF3Cu
#define CM_MVFR0 0xE000EF40u
#define CM_MVFR1 0xE000EF44u
#define CM_MVFR2 0xE000EF48u
#define CM_ROM_BASE 0xE00FF000u

#define DHCSR_DBGKEY 0xA05Fu
#define DHCSR_C_DEBUGEN (1u << 0)
#define DHCSR_C_HALT (1u << 1)
#define DHCSR_C_STEP (1u << 2)
#define DHCSR_C_CTRL_MASK 0x2Fu /* DEBUGEN, HALT, STEP, MASKINTS, SNAPSTALL */
#define DHCSR_S_REGRDY (1u << 16)
#define DHCSR_S_HALT (1u << 17)
#define DHCSR_S_RETIRE_ST (1u << 24)
#define DHCSR_S_RESET_ST (1u << 25)
#define DHCSR_S_RESTART_ST (1u << 26) /* ARMv8-M only */

#define DEMCR_VC_CORERESET (1u << 0)
#define DEMCR_WRITABLE 0x010F07F1u /* TRCENA, MON_*, VC_* (C1.6.5) */
/* ARMv6-M DWTENA, VC_HARDERR, VC_CORERESET; the ARMv8-M Baseline without
 * the Security Extension has the same three (TRCENA at bit 24, DDI 0553 D1.2). */
#define DEMCR_WRITABLE_BASELINE 0x01000401u

#define DFSR_HALTED (1u << 0)
#define DFSR_VCATCH (1u << 3)

#define AIRCR_VECTKEY 0x05FAu
#define AIRCR_VECTKEYSTAT 0xFA05u
#define AIRCR_SYSRESETREQ (1u << 2)
#define AIRCR_VECTRESET (1u << 0)

#define REGSEL_SP 13u
#define REGSEL_XPSR 16u
#define REGSEL_MSP 17u
#define REGSEL_FPSCR 0x21u

/* One CoreSight component of the core's ROM table: its base, PIDR part
 * number, CIDR1 class (0xE generic IP, 0x9 CoreSight), DEVTYPE (0xFCC) and
 * DEVARCH (0xFBC; 0 where the component predates it and reads it as zero).
 * The values per core and their sources are tabled in docs/sim-cortexm.md;
 * pyOCD names components by exactly this key (coresight/component_ids.py:
 * designer, class, part, DEVTYPE, DEVARCH.ARCHID). */
struct sim_cortexm_component {
	uint32_t base;
	uint16_t part;
	uint8_t cid_class;
	uint8_t devtype;
	uint32_t devarch;
};

#define CM_MAX_COMPONENTS 6

/* DEVARCH of an Arm-architected component (ADIv5.2 D1.2.2 / CoreSight
 * v3.0 B2.3.3): ARCHITECT 0x23B [31:21], PRESENT [20], REVISION [19:16],
 * ARCHID [15:0]. */
#define CM_DEVARCH(rev, archid) ((0x23Bu << 21) | (1u << 20) | ((uint32_t)(rev) << 16) | (archid))
/* DEVTYPE: minor [7:4], major [3:0] (CoreSight v3.0 B2.3.8). */
#define CM_DEVTYPE_TPIU 0x11  /* trace sink, port */
#define CM_DEVTYPE_ETM 0x13   /* trace source, processor */
#define CM_DEVTYPE_ITM 0x43   /* trace source, stimulus (ARMv8-M ITM) */

/* Components as the STM32 ROM table at 0xE00FF000 lists them (order as
 * OpenOCD's `dap info` shows for F4: SCS, DWT, FPB, ITM, TPIU, ETM).
 *   Cortex-M0/M0+ (ARMv6-M; Cortex-M0 TRM DDI 0432C §4.1, M0+ DDI 0484C):
 *     SCS 0x008, DWT 0x00A, BPU 0x00B, generic class, no trace.
 *   Cortex-M3 (TRM DDI 0337G §10, ROM table): SCS 0x000, ITM 0x001, DWT
 *     0x002, FPB 0x003; TPIU-M3 0x923 and ETM-M3 0x924, CoreSight class.
 *   Cortex-M4 (TRM DDI 0439B §11.1, Table 11-1 and the TPIU/ETM ID
 *     tables): SCS 0x00C, the rest as M3; TPIU-M4 0x9A1, ETM-M4 0x925.
 *   Cortex-M7 (TRM DDI 0489): FPBv2 0x00E, TPIU-M7 0x9A9, ETMv4 0x975
 *     with DEVARCH ARCHID 0x4A13 (?: revision 0 picked).
 *   Cortex-M33 (TRM 100230): every component is part 0xD21 and told apart
 *     by DEVARCH (SCS 0x2A04, DWT 0x1A02, FPB 0x1A03, ITM 0x1A01 with
 *     DEVTYPE 0x43, ETMv4.2 0x4A13 revision 2) or DEVTYPE (TPIU 0x11).
 *   Cortex-M23 (TRM DDI 0550C §7.1): SCS, DWT and FPB are the components
 *     every debug configuration has, part 0xD20, DEVARCH as the M33's.
 *     ETM, MTB and CTI are build options; which ones the GD32E23x has is
 *     not in our sources, so the model has none (?).
 * The ARMv7-M TPIU and ETM are CoreSight components whose DEVTYPE says
 * what they are (0x11 sink/port, 0x13 source/processor): pyOCD names them
 * TPIU and ETM from it, and a zero there left them unnamed.
 * Returns the number of components. */
static unsigned sim_cortexm_components(const struct sim_cortexm *cm,
				       struct sim_cortexm_component out[CM_MAX_COMPONENTS])
{
	static const struct sim_cortexm_component v6m[] = {
		{ 0xE000E000u, 0x008, 0xE, 0, 0 },
		{ 0xE0001000u, 0x00A, 0xE, 0, 0 },
		{ 0xE0002000u, 0x00B, 0xE, 0, 0 },
	};
	static const struct sim_cortexm_component m3[] = {
		{ 0xE000E000u, 0x000, 0xE, 0, 0 },
		{ 0xE0001000u, 0x002, 0xE, 0, 0 },
		{ 0xE0002000u, 0x003, 0xE, 0, 0 },
		{ 0xE0000000u, 0x001, 0xE, 0, 0 },
		{ 0xE0040000u, 0x923, 0x9, CM_DEVTYPE_TPIU, 0 },
		{ 0xE0041000u, 0x924, 0x9, CM_DEVTYPE_ETM, 0 },
	};
	static const struct sim_cortexm_component m4[] = {
		{ 0xE000E000u, 0x00C, 0xE, 0, 0 },
		{ 0xE0001000u, 0x002, 0xE, 0, 0 },
		{ 0xE0002000u, 0x003, 0xE, 0, 0 },
		{ 0xE0000000u, 0x001, 0xE, 0, 0 },
		{ 0xE0040000u, 0x9A1, 0x9, CM_DEVTYPE_TPIU, 0 },
		{ 0xE0041000u, 0x925, 0x9, CM_DEVTYPE_ETM, 0 },
	};
	static const struct sim_cortexm_component m7[] = {
		{ 0xE000E000u, 0x00C, 0xE, 0, 0 },
		{ 0xE0001000u, 0x002, 0xE, 0, 0 },
		{ 0xE0002000u, 0x00E, 0xE, 0, 0 },
		{ 0xE0000000u, 0x001, 0xE, 0, 0 },
		{ 0xE0040000u, 0x9A9, 0x9, CM_DEVTYPE_TPIU, 0 },
		{ 0xE0041000u, 0x975, 0x9, CM_DEVTYPE_ETM, CM_DEVARCH(0, 0x4A13) },
	};
	static const struct sim_cortexm_component m23[] = {
		{ 0xE000E000u, 0xD20, 0x9, 0, CM_DEVARCH(0, 0x2A04) },
		{ 0xE0001000u, 0xD20, 0x9, 0, CM_DEVARCH(0, 0x1A02) },
		{ 0xE0002000u, 0xD20, 0x9, 0, CM_DEVARCH(0, 0x1A03) },
	};
	static const struct sim_cortexm_component m33[] = {
		{ 0xE000E000u, 0xD21, 0x9, 0, CM_DEVARCH(0, 0x2A04) },
		{ 0xE0001000u, 0xD21, 0x9, 0, CM_DEVARCH(0, 0x1A02) },
		{ 0xE0002000u, 0xD21, 0x9, 0, CM_DEVARCH(0, 0x1A03) },
		{ 0xE0000000u, 0xD21, 0x9, CM_DEVTYPE_ITM, CM_DEVARCH(0, 0x1A01) },
		{ 0xE0040000u, 0xD21, 0x9, CM_DEVTYPE_TPIU, 0 },
		{ 0xE0041000u, 0xD21, 0x9, CM_DEVTYPE_ETM, CM_DEVARCH(2, 0x4A13) },
	};
	const struct sim_cortexm_component *t = m4;
	unsigned n = 6;

	switch (cm->d.kind) {
	case SIM_CORTEX_M0:
	case SIM_CORTEX_M0PLUS: t = v6m; n = 3; break;
	case SIM_CORTEX_M3: t = m3; break;
	case SIM_CORTEX_M4: t = m4; break;
	case SIM_CORTEX_M7: t = m7; break;
	case SIM_CORTEX_M23: t = m23; n = 3; break;
	case SIM_CORTEX_M33: t = m33; break;
	}
	memcpy(out, t, n * sizeof(*t));
	return n;
}

/* ARMv6-M and ARMv8-M Baseline cores: no ITM, TPIU, FPU, MON_* bits. */
static bool sim_cortexm_baseline(const struct sim_cortexm *cm)
{
	return cm->d.kind == SIM_CORTEX_M0 || cm->d.kind == SIM_CORTEX_M0PLUS ||
	       cm->d.kind == SIM_CORTEX_M23;
}

static bool sim_cortexm_v8m(const struct sim_cortexm *cm)
{
	return cm->d.kind == SIM_CORTEX_M23 || cm->d.kind == SIM_CORTEX_M33;
}

/* ARMv6-M implements only DWT, BPU, SCS and the ROM table in the PPB
 * (ARMv6-M ARM DDI 0419, PPB memory map); anything else there is a bus
 * error (?: "unpredictable" in the manual; STM32G0 answers FAULT). The
 * Cortex-M23 without ETM/MTB/CTI has the same PPB (DDI 0550C §7.1) (?). */
static bool sim_cortexm_v6m_hole(const struct sim_cortexm *cm, uint32_t addr)
{
	if (!sim_cortexm_baseline(cm))
		return false;
	return !((addr >= 0xE0001000u && addr < 0xE0003000u) ||
		 (addr >= 0xE000E000u && addr < 0xE000F000u) ||
		 (addr >= CM_ROM_BASE && addr < CM_ROM_BASE + 0x1000));
}

/* CIDR/PIDR words at 0xFD0..0xFFC of a 4 KB component (ADIv5.2 D1.2). */
static bool sim_cortexm_id_regs(uint32_t off, uint16_t part, uint16_t designer, uint8_t cid_class,
				uint32_t *val)
{
	uint8_t jep = designer & 0x7F, cont = (designer >> 7) & 0xF;

	switch (off) {
	case 0xFD4: case 0xFD8: case 0xFDC: *val = 0; return true;            /* PIDR5-7 */
	case 0xFD0: *val = cont; return true;                                 /* PIDR4 */
	case 0xFE0: *val = part & 0xFF; return true;                          /* PIDR0 */
	case 0xFE4: *val = ((part >> 8) & 0xF) | ((jep & 0xF) << 4); return true;
	case 0xFE8: *val = ((jep >> 4) & 0x7) | 0x8; return true;             /* JEDEC used */
	case 0xFEC: *val = 0; return true;
	case 0xFF0: *val = 0x0D; return true;
	case 0xFF4: *val = (uint32_t)cid_class << 4; return true;
	case 0xFF8: *val = 0x05; return true;
	case 0xFFC: *val = 0xB1; return true;
	default: return false;
	}
}

/* ROM table at 0xE00FF000 (ARMv7-M B5.4): signed offsets to each component,
 * bit 0 present, bit 1 32-bit format; a zero word ends it. */
static uint32_t sim_cortexm_rom_read(const struct sim_cortexm *cm, uint32_t off)
{
	struct sim_cortexm_component comp[CM_MAX_COMPONENTS];
	unsigned n = sim_cortexm_components(cm, comp);
	uint32_t v;

	if (off < n * 4)
		return (comp[off / 4].base - CM_ROM_BASE) | 3u;
	if (off == 0xFCC)
		return 1; /* MEMTYPE.SYSMEM: system memory is on this bus */
	if (sim_cortexm_id_regs(off, cm->d.rom_part, cm->d.rom_designer, 0x1, &v))
		return v;
	return 0;
}

void sim_cortexm_init(struct sim_cortexm *cm, const struct sim_cortexm_desc *d)
{
	memset(cm, 0, sizeof(*cm));
	cm->d = *d;
	sim_cortexm_power_on(cm);
}

/* Power-on reset resets the debug domain too (ARMv7-M C1.6: DHCSR, DEMCR
 * and the FPB/DWT enables are reset by power-on reset only). */
void sim_cortexm_power_on(struct sim_cortexm *cm)
{
	struct sim_cortexm_desc d = cm->d;

	memset(cm, 0, sizeof(*cm));
	cm->d = d;
	cm->fpccr = d.fpu ? 0xC0000000u : 0; /* ASPEN | LSPEN */
	/* FP_CTRL: NUM_CODE and NUM_LIT; M7 has FPBv2 with 8 code comparators (?) */
	cm->fp_ctrl = d.kind == SIM_CORTEX_M7 ? 0x10000080u : 0x00000260u;
	cm->dwt_ctrl = 0x40000000u; /* NUMCOMP = 4 */
	if (d.kind == SIM_CORTEX_M0 || d.kind == SIM_CORTEX_M0PLUS) {
		cm->fp_ctrl = 0x00000040u;  /* BP_CTRL: 4 comparators (DDI 0419 C1.11) (?) */
		cm->dwt_ctrl = 0x20000000u; /* NUMCOMP = 2 */
	}
	if (d.kind == SIM_CORTEX_M23) {
		/* FP_CTRL.REV = 1 (FPB version 2, DDI 0553) with 4 comparators;
		 * DWT: 2 comparators, NOTRCPKT/NOEXTTRIG/NOCYCCNT/NOPRFCNT set as
		 * the Baseline has none of them (?: the M23's build options). */
		cm->fp_ctrl = 0x10000040u;
		cm->dwt_ctrl = 0x2F000000u;
	}
	cm->in_reset = true;
}

void sim_cortexm_hold_reset(struct sim_cortexm *cm)
{
	cm->in_reset = true;
	cm->halted = false;
	cm->regrdy = false;
}

/* Leave reset (B1.5.5): registers from the vector table, xPSR.T from bit 0
 * of the reset vector; the debug registers survive a local reset, but not
 * C_HALT: "This bit clears on core reset" (Cortex-M3 TRM DDI 0337G Table
 * 10-2), "the C_HALT bit always clears on a system reset. To halt on a
 * reset, [...] VC_CORERESET [...] and C_DEBUGEN" (Cortex-M4, TI SLAU356
 * §2.4.7.1 after Arm's text). So only the reset vector catch stops the core
 * before its first instruction (ARMv7-M ARM C1.6.5 DEMCR.VC_CORERESET,
 * C1.6.1 DFSR.VCATCH; the same for ARMv6-M and ARMv8-M, the model assumes
 * (?)). A C_HALT written while the core is held in reset counts as cleared
 * by that reset (?: no manual says; rdpd always arms the vector catch). */
void sim_cortexm_leave_reset(struct sim_cortexm *cm, uint32_t msp, uint32_t pc)
{
	for (unsigned i = 0; i < 13; i++)
		cm->regs[i] = 0;
	cm->regs[14] = 0xFFFFFFFFu;
	cm->regs[15] = pc & ~1u;
	cm->regs[REGSEL_XPSR] = (pc & 1u) << 24;
	cm->regs[REGSEL_MSP] = msp & ~3u;
	cm->regs[REGSEL_SP] = msp & ~3u;
	cm->regs[0x14] = 0; /* CONTROL/FAULTMASK/BASEPRI/PRIMASK */
	cm->regs[REGSEL_FPSCR] = 0;
	cm->vtor = 0;
	cm->cpacr = 0;
	cm->in_reset = false;
	cm->reset_st = true;
	cm->restart_st = true;
	cm->halted = false;
	cm->dhcsr_ctrl &= ~DHCSR_C_HALT;
	if ((cm->dhcsr_ctrl & DHCSR_C_DEBUGEN) && (cm->demcr & DEMCR_VC_CORERESET)) {
		cm->halted = true;
		cm->regrdy = true;
		cm->dhcsr_ctrl |= DHCSR_C_HALT; /* set on entry to Debug state (DDI 0337G Table 10-2) */
		cm->dfsr |= DFSR_VCATCH;
	}
}

bool sim_cortexm_running(const struct sim_cortexm *cm)
{
	return !cm->in_reset && !cm->halted;
}

bool sim_cortexm_owns(uint32_t addr)
{
	return addr >= CM_PPB_BASE && addr < CM_PPB_END;
}

static uint32_t sim_cortexm_dhcsr_read(struct sim_cortexm *cm)
{
	uint32_t v = cm->dhcsr_ctrl;

	if (cm->regrdy)
		v |= DHCSR_S_REGRDY;
	if (cm->halted)
		v |= DHCSR_S_HALT;
	/* Both sticky bits clear on read (ARMv7-M C1.6.2); a running core keeps retiring. */
	if (cm->retire_st || sim_cortexm_running(cm))
		v |= DHCSR_S_RETIRE_ST;
	if (cm->reset_st || cm->in_reset)
		v |= DHCSR_S_RESET_ST;
	/* ARMv8-M D1.2.38: set when the core leaves halt (or reset), clear on read. */
	if (sim_cortexm_v8m(cm) && cm->restart_st)
		v |= DHCSR_S_RESTART_ST;
	cm->retire_st = false;
	cm->reset_st = false;
	cm->restart_st = false;
	return v;
}

static void sim_cortexm_dhcsr_write(struct sim_cortexm *cm, uint32_t val)
{
	if ((val >> 16) != DHCSR_DBGKEY)
		return; /* ARMv7-M C1.6.2: writes without DBGKEY are ignored */
	if (!(val & DHCSR_C_DEBUGEN)) {
		/* Clearing C_DEBUGEN leaves debug state: the core runs again. */
		cm->dhcsr_ctrl = 0;
		if (cm->halted)
			cm->retire_st = cm->restart_st = true;
		cm->halted = false;
		return;
	}
	cm->dhcsr_ctrl = val & DHCSR_C_CTRL_MASK;
	if (cm->in_reset)
		return; /* acted upon when the core leaves reset */
	if (val & DHCSR_C_HALT) {
		if (!cm->halted)
			cm->dfsr |= DFSR_HALTED;
		cm->halted = true;
		cm->regrdy = true;
	} else if (val & DHCSR_C_STEP) {
		cm->retire_st = true; /* one instruction, then halted again */
		cm->halted = true;
		cm->regrdy = true;
		cm->dhcsr_ctrl |= DHCSR_C_HALT;
	} else {
		if (cm->halted)
			cm->restart_st = true;
		cm->halted = false;
		cm->retire_st = true;
	}
}

static bool sim_cortexm_regsel_valid(const struct sim_cortexm *cm, unsigned sel)
{
	if (sel <= 18 || sel == 0x14)
		return true;
	return cm->d.fpu && (sel == REGSEL_FPSCR || (sel >= 0x40 && sel < 0x60));
}

/* DCRSR (C1.6.4): the transfer completes at once while halted; while
 * running it never completes, so S_REGRDY stays 0. */
static void sim_cortexm_dcrsr_write(struct sim_cortexm *cm, uint32_t val)
{
	unsigned sel = val & 0x7F;
	bool wnr = val & (1u << 16);

	cm->regrdy = false;
	if (!cm->halted)
		return;
	if (sel == REGSEL_SP)
		sel = REGSEL_MSP; /* CONTROL.SPSEL is 0 after reset: SP is MSP */
	if (sim_cortexm_regsel_valid(cm, sel)) {
		if (wnr)
			cm->regs[sel] = cm->dcrdr;
		else
			cm->dcrdr = cm->regs[sel];
	} else if (!wnr) {
		cm->dcrdr = 0;
	}
	cm->regrdy = true;
}

/* Read one word of the PPB. Registers the model does not know read as 0,
 * which is what OpenOCD's examine needs. */
int sim_cortexm_read(struct sim_cortexm *cm, uint32_t addr, uint32_t *val)
{
	struct sim_cortexm_component comp[CM_MAX_COMPONENTS];
	unsigned n;

	addr &= ~3u;
	*val = 0;
	if (sim_cortexm_v6m_hole(cm, addr))
		return -EFAULT;
	if (addr >= CM_ROM_BASE && addr < CM_ROM_BASE + 0x1000) {
		*val = sim_cortexm_rom_read(cm, addr - CM_ROM_BASE);
		return 0;
	}
	n = sim_cortexm_components(cm, comp);
	for (unsigned i = 0; i < n; i++) {
		if ((addr & ~0xFFFu) != comp[i].base)
			continue;
		if (sim_cortexm_id_regs(addr & 0xFFF, comp[i].part, 0x23B, comp[i].cid_class, val))
			return 0;
		if ((addr & 0xFFF) == 0xFCC || (addr & 0xFFF) == 0xFBC) {
			*val = (addr & 0xFFF) == 0xFCC ? comp[i].devtype : comp[i].devarch;
			return 0;
		}
	}
	if (addr >= CM_FP_COMP0 && addr < CM_FP_COMP0 + 8 * 4) {
		*val = cm->fp_comp[(addr - CM_FP_COMP0) / 4];
		return 0;
	}
	if (addr >= CM_DWT_COMP0 && addr < CM_DWT_COMP0 + 4 * 16 && (addr & 0xF) != 0xC) {
		*val = cm->dwt_cmp[(addr - CM_DWT_COMP0) / 16][(addr & 0xF) / 4];
		return 0;
	}
	switch (addr) {
	case CM_CPUID: *val = cm->d.cpuid; break;
	case CM_VTOR: *val = cm->vtor; break;
	case CM_AIRCR: *val = (AIRCR_VECTKEYSTAT << 16) | (cm->prigroup << 8); break;
	case CM_DFSR: *val = cm->dfsr; break;
	case CM_CPACR: *val = cm->cpacr; break;
	case CM_DHCSR: *val = sim_cortexm_dhcsr_read(cm); break;
	case CM_DCRDR: *val = cm->dcrdr; break;
	case CM_DEMCR: *val = cm->demcr; break;
	case CM_FP_CTRL: *val = cm->fp_ctrl; break;
	case CM_DWT_CTRL: *val = cm->dwt_ctrl; break;
	case CM_FPCCR: *val = cm->fpccr; break;
	case CM_FPCAR: *val = cm->fpcar; break;
	case CM_FPDSCR: *val = cm->fpdscr; break;
	case CM_MVFR0: *val = cm->d.fpu ? cm->d.mvfr0 : 0; break;
	case CM_MVFR1: *val = cm->d.fpu ? cm->d.mvfr1 : 0; break;
	case CM_MVFR2: *val = cm->d.fpu ? cm->d.mvfr2 : 0; break;
	default: break;
	}
	return 0;
}

/* Write one word of the PPB. Returns 0, or SIM_BUS_SYSRESET/SIM_BUS_VECTRESET
 * when AIRCR asked for a reset (the chip carries it out). */
int sim_cortexm_write(struct sim_cortexm *cm, uint32_t addr, uint32_t val)
{
	addr &= ~3u;
	if (sim_cortexm_v6m_hole(cm, addr))
		return -EFAULT;
	if (addr >= CM_FP_COMP0 && addr < CM_FP_COMP0 + 8 * 4) {
		cm->fp_comp[(addr - CM_FP_COMP0) / 4] = val;
		return 0;
	}
	if (addr >= CM_DWT_COMP0 && addr < CM_DWT_COMP0 + 4 * 16 && (addr & 0xF) != 0xC) {
		cm->dwt_cmp[(addr - CM_DWT_COMP0) / 16][(addr & 0xF) / 4] = val;
		return 0;
	}
	switch (addr) {
	case CM_VTOR: cm->vtor = val & 0xFFFFFF80u; break;
	case CM_AIRCR:
		if ((val >> 16) != AIRCR_VECTKEY)
			break; /* B3.2.6: ignored without VECTKEY */
		cm->prigroup = (val >> 8) & 7;
		if (val & AIRCR_SYSRESETREQ)
			return SIM_BUS_SYSRESET;
		if (val & AIRCR_VECTRESET)
			return SIM_BUS_VECTRESET;
		break;
	case CM_DFSR: cm->dfsr &= ~(val & 0x1F); break; /* write one to clear */
	case CM_CPACR: cm->cpacr = cm->d.fpu ? (val & 0x00F00000u) : 0; break;
	case CM_DHCSR: sim_cortexm_dhcsr_write(cm, val); break;
	case CM_DCRSR: sim_cortexm_dcrsr_write(cm, val); break;
	case CM_DCRDR: cm->dcrdr = val; break;
	case CM_DEMCR:
		cm->demcr = val & (sim_cortexm_baseline(cm) ? DEMCR_WRITABLE_BASELINE : DEMCR_WRITABLE);
		break;
	case CM_FP_CTRL:
		if (val & 2u) /* KEY must be written as 1 (C1.11.3) */
			cm->fp_ctrl = (cm->fp_ctrl & ~1u) | (val & 1u);
		break;
	case CM_DWT_CTRL: cm->dwt_ctrl = (cm->dwt_ctrl & 0xF0000000u) | (val & 0x0FFFFFFFu); break;
	case CM_FPCCR: if (cm->d.fpu) cm->fpccr = val & 0xC00003FBu; break;
	case CM_FPCAR: if (cm->d.fpu) cm->fpcar = val & ~7u; break;
	case CM_FPDSCR: if (cm->d.fpu) cm->fpdscr = val & 0x07C00000u; break;
	default: break; /* unknown PPB registers ignore writes */
	}
	return 0;
}

/* A read of SIZE (1, 2 or 4) bytes at ADDR in the PPB as the system bus
 * presents it: the byte lanes of the word that holds ADDR. Returns 0, or
 * -EFAULT for a hole in a Baseline core's PPB (*VAL is 0 then). */
int sim_cortexm_read_sized(struct sim_cortexm *cm, uint32_t addr, unsigned size, uint32_t *val)
{
	uint32_t w;
	int rc = sim_cortexm_read(cm, addr, &w);

	*val = sim_mech_lane(w, addr, size);
	return rc;
}

/* A write of SIZE bytes of VAL at ADDR in the PPB: a byte or half-word
 * merges into the word's current value, read first (-EFAULT for a hole,
 * nothing written). Returns as sim_cortexm_write(). */
int sim_cortexm_write_sized(struct sim_cortexm *cm, uint32_t addr, unsigned size, uint32_t val)
{
	uint32_t old = 0;

	if (size != 4 && sim_cortexm_read(cm, addr, &old) < 0)
		return -EFAULT;
	return sim_cortexm_write(cm, addr, sim_mech_merge(old, addr, size, val));
}
