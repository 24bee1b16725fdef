/*
 * sim_swd.c - the target side of the wire: the SWJ-DP's JTAG/SWD/dormant
 * selection, the SW-DP registers and the access ports: the AHB-AP on the
 * core's bus (AP0 on most parts, the family's c->core_ap) and whatever other
 * APs the family declares in c->aps.
 *
 * References (ADIv5.2, ARM IHI 0031C):
 *   B4.3.3 line reset and the reset state (first access must read DPIDR),
 *   B5.2 JTAG-to-SWD (0xE79E) and SWD-to-JTAG (0xE73C) select sequences,
 *   B5.3 dormant state (selection alert, activation code 0x1A; SWJ-DPv2),
 *   B2.2 DP registers (DPIDR, ABORT, CTRL/STAT, SELECT, RDBUFF, RESEND),
 *   B1.2 sticky flags: with one set the DP faults every access but DPIDR
 *     read, CTRL/STAT read and ABORT write,
 *   C2.2 MEM-AP (CSW, TAR, DRW, BD0-3, CFG, BASE, IDR), C2.2.2 TAR
 *     auto-increment only guaranteed within 1 KB (TAR[9:0]),
 *   C2.6 IDR: zero for an unimplemented AP; CLASS [16:13] 0b1000 = MEM-AP.
 * Described in docs/adiv5.md and docs/sim/README.md.
 */
#include "sim_internal.h"

#include <errno.h>
#include <string.h>

#define DP_ABORT_STKCMPCLR (1u << 1)
#define DP_ABORT_STKERRCLR (1u << 2)
#define DP_ABORT_WDERRCLR (1u << 3)
#define DP_ABORT_ORUNERRCLR (1u << 4)

#define DP_CS_STICKYORUN (1u << 1)
#define DP_CS_STICKYCMP (1u << 4)
#define DP_CS_STICKYERR (1u << 5)
#define DP_CS_WDATAERR (1u << 7)
#define DP_CS_STICKY (DP_CS_STICKYORUN | DP_CS_STICKYCMP | DP_CS_STICKYERR | DP_CS_WDATAERR)
#define DP_CS_CDBGRSTREQ (1u << 26)
#define DP_CS_CDBGPWRUPREQ (1u << 28)
#define DP_CS_CDBGPWRUPACK (1u << 29)
#define DP_CS_CSYSPWRUPREQ (1u << 30)
#define DP_CS_WRITABLE 0x543FFF0Du /* ORUNDETECT, TRNMODE, MASKLANE, TRNCNT, the REQs */

#define AP_CSW 0x00u
#define AP_TAR 0x04u
#define AP_DRW 0x0Cu
#define AP_BD0 0x10u
#define AP_CFG 0xF4u
#define AP_BASE 0xF8u
#define AP_IDR 0xFCu
#define AP_CSW_SIZE_MASK 0x7u
#define AP_CSW_ADDRINC_MASK 0x30u
#define AP_CSW_ADDRINC_SINGLE 0x10u
#define AP_CSW_DEVICEEN (1u << 6)
#define AP_CSW_RESET 0x03000042u /* Prot bits, 32-bit, no increment (?) */
#define AP_BASE_ROM 0xE00FF003u  /* ROM table present, ADIv5 format */
#define AP_IDR_CLASS_MEM 0x8u
#define AP_IDR_CLASS(idr) (((idr) >> 13) & 0xFu)

/* Dormant selection alert, 128 bits as sent LSB first (ADIv5.2 B5.3.4). */
#define SWD_ALERT_LO 0x86852D956209F392ull
#define SWD_ALERT_HI 0x19BC0EA2E3DDAFE9ull

void sim_swd_power_on(struct sim_swd *s, const struct sim_chip *c)
{
	memset(s, 0, sizeof(*s));
	/* SWJ-DP powers up in JTAG (B5.2); an SWD-v2 part may choose dormant
	 * (B5.3; the RP2040, docs/sim/sim_rp2040.md). */
	s->mode = c->dormant_at_power_on ? SIM_SWD_MODE_DORMANT : SIM_SWD_MODE_JTAG;
	s->act_left = -1;
	for (unsigned i = 0; i < SIM_AP_COUNT; i++)
		s->csw[i] = AP_CSW_RESET;
}

void sim_swd_set_stickyerr(struct sim_swd *s)
{
	s->ctrl_stat |= DP_CS_STICKYERR;
}

/* An SWD transaction on the wire interrupts any sequence in progress. */
void sim_swd_line_break(struct sim_swd *s)
{
	s->ones = 0;
	s->armed = false;
	s->act_left = -1;
	s->hist_lo = s->hist_hi = 0;
}

static void sim_swd_line_reset(struct sim_swd *s)
{
	if (s->mode != SIM_SWD_MODE_SWD)
		return;
	s->need_line_reset = false;
	s->reset_state = true;
	s->md_selected = false;
}

/* ADIv5.2 B4.3.4: in the reset state a TARGETSEL write selects the DP whose
 * TARGETID[27:0] and TINSTANCE match; any other DP stays deselected (it
 * drives nothing) until the next line reset. No DP acknowledges it. A write
 * with a parity error selects nothing (?: the data is not trusted). */
void sim_swd_targetsel(struct sim_swd *s, struct sim_chip *c, uint32_t value, unsigned parity)
{
	sim_swd_line_break(s);
	if (!sim_chip_dp_reachable(c) || s->mode != SIM_SWD_MODE_SWD || s->need_line_reset || !s->reset_state)
		return;
	s->md_selected = c->targetsel && value == c->targetsel && parity == (unsigned)__builtin_parity(value);
}

/* A select sequence matched: K bits ending at the current bit. */
static void sim_swd_select(struct sim_swd *s, struct sim_chip *c, enum sim_swd_mode to)
{
	if (to == SIM_SWD_MODE_DORMANT && c->dp_version < 2)
		return; /* an SWJ-DPv1 has no dormant state */
	s->mode = to;
	s->need_line_reset = to == SIM_SWD_MODE_SWD;
	s->reset_state = false;
}

static void sim_swd_bit(struct sim_swd *s, struct sim_chip *c, unsigned b)
{
	uint64_t pos = s->bitpos++;

	s->win = (s->win >> 1) | ((uint32_t)b << 31);
	s->hist_lo = (s->hist_lo >> 1) | (s->hist_hi << 63);
	s->hist_hi = (s->hist_hi >> 1) | ((uint64_t)b << 63);

	if (s->act_left > 0) {
		/* 4 idle cycles then the 8-bit activation code, LSB first */
		s->act_bits |= (uint32_t)b << (12 - s->act_left);
		if (--s->act_left == 0) {
			s->act_left = -1;
			if (s->act_bits == (0x1Au << 4))
				sim_swd_select(s, c, SIM_SWD_MODE_SWD);
			else if (s->act_bits == 0)
				sim_swd_select(s, c, SIM_SWD_MODE_JTAG);
		}
	}
	if (b) {
		s->ones++;
	} else {
		/* >= 50 ones then a low bit: line reset (B4.3.3). The same low bit
		 * may be the first of a select sequence (all start with 0). */
		if (s->ones >= 50)
			sim_swd_line_reset(s);
		if (s->ones >= 5) {
			s->armed = true;
			s->armed_ones = s->ones;
			s->armed_at = pos;
		}
		s->ones = 0;
	}
	if (s->armed && pos == s->armed_at + 15 && s->armed_ones >= 50) {
		uint16_t w = (uint16_t)(s->win >> 16);

		if (w == 0xE79E && s->mode == SIM_SWD_MODE_JTAG)
			sim_swd_select(s, c, SIM_SWD_MODE_SWD);
		else if (w == 0xE73C && s->mode == SIM_SWD_MODE_SWD)
			sim_swd_select(s, c, SIM_SWD_MODE_JTAG);
		else if (w == 0xE3BC && s->mode == SIM_SWD_MODE_SWD)
			sim_swd_select(s, c, SIM_SWD_MODE_DORMANT);
	}
	if (s->armed && pos == s->armed_at + 30) {
		/* JTAG-to-dormant: >= 5 TMS high then 31 bits 0x33BBBBBA (B5.3.2) */
		if ((s->win >> 1) == 0x33BBBBBAu && s->mode == SIM_SWD_MODE_JTAG)
			sim_swd_select(s, c, SIM_SWD_MODE_DORMANT);
		s->armed = false;
	}
	if (s->mode == SIM_SWD_MODE_DORMANT && s->hist_lo == SWD_ALERT_LO &&
	    s->hist_hi == SWD_ALERT_HI) {
		s->act_left = 12;
		s->act_bits = 0;
	}
}

/* Bits clocked on SWDIO/TMS by SWJ_Sequence or SWD_Sequence, LSB first. */
void sim_swd_line_bits(struct sim_swd *s, struct sim_chip *c, const uint8_t *data, unsigned nbits)
{
	if (!sim_chip_dp_reachable(c))
		return;
	for (unsigned i = 0; i < nbits; i++)
		sim_swd_bit(s, c, (data[i / 8] >> (i % 8)) & 1u);
}

static uint32_t sim_swd_ctrl_stat(const struct sim_swd *s)
{
	uint32_t v = s->ctrl_stat;

	/* The power controller grants requests at once: ACK = REQ. */
	if (v & DP_CS_CDBGRSTREQ)
		v |= 1u << 27;
	if (v & DP_CS_CDBGPWRUPREQ)
		v |= DP_CS_CDBGPWRUPACK;
	if (v & DP_CS_CSYSPWRUPREQ)
		v |= 1u << 31;
	return v;
}

/* A data access on the bus behind MEM-AP APSEL: the core's bus for the
 * core's AHB-AP (obeying read-out protection), the family's hook otherwise. */
static int sim_swd_bus(struct sim_chip *c, unsigned apsel, uint32_t addr, unsigned size, bool rnw,
		       uint32_t *v)
{
	const struct sim_ap *ap = &c->aps[apsel];

	c->counters->ap_mem_accesses[apsel]++;
	if (apsel == c->core_ap)
		return rnw ? sim_chip_read(c, addr, size, v, true) : sim_chip_write(c, addr, size, *v, true);
	if (rnw ? !ap->bus_read : !ap->bus_write) {
		if (rnw)
			*v = 0;
		return -EFAULT;
	}
	sim_chip_tick(c);
	return rnw ? ap->bus_read(c, addr, size, v) : ap->bus_write(c, addr, size, *v);
}

/* One MEM-AP data access at ADDR with the CSW size: byte lanes by address
 * (ADIv5.2 C2.2.5). Returns 0 or -EFAULT (bus error). */
static int sim_swd_mem(struct sim_swd *s, struct sim_chip *c, unsigned apsel, uint32_t addr, bool rnw,
		       uint32_t *data)
{
	unsigned size = 1u << (s->csw[apsel] & AP_CSW_SIZE_MASK);
	unsigned lane;
	uint32_t v;
	int rc;

	if (size == 4)
		addr &= ~3u; /* unaligned word access: treated as aligned (?) */
	else if (size == 2)
		addr &= ~1u;
	lane = 8 * (addr & 3);
	if (rnw) {
		rc = sim_swd_bus(c, apsel, addr, size, true, &v);
		*data = rc ? 0 : (size == 4 ? v : v << lane);
		return rc;
	}
	v = size == 4 ? *data : (*data >> lane) & ((1u << (8 * size)) - 1);
	return sim_swd_bus(c, apsel, addr, size, false, &v);
}

static void sim_swd_tar_increment(struct sim_swd *s, unsigned apsel)
{
	uint32_t size = 1u << (s->csw[apsel] & AP_CSW_SIZE_MASK);

	if ((s->csw[apsel] & AP_CSW_ADDRINC_MASK) == AP_CSW_ADDRINC_SINGLE)
		s->tar[apsel] = (s->tar[apsel] & ~0x3FFu) | ((s->tar[apsel] + size) & 0x3FFu);
}

/* IDR of the AP at APSEL, 0 where there is none. */
static uint32_t sim_swd_ap_idr(const struct sim_chip *c, unsigned apsel)
{
	if (apsel >= SIM_AP_COUNT)
		return 0;
	return apsel == c->core_ap ? c->ap_idr : c->aps[apsel].idr;
}

/* A register of an AP that is not a MEM-AP, other than IDR: the
 * family's (a vendor control port), else reads 0 and ignores writes. */
static int sim_swd_other_ap(struct sim_chip *c, unsigned apsel, unsigned reg, bool rnw, uint32_t *data)
{
	const struct sim_ap *ap = apsel < SIM_AP_COUNT && apsel != c->core_ap ? &c->aps[apsel] : NULL;

	sim_chip_tick(c);
	if (rnw)
		*data = 0;
	if (rnw && ap && ap->reg_read)
		ap->reg_read(c, reg, data);
	else if (!rnw && ap && ap->reg_write)
		ap->reg_write(c, reg, *data);
	return 0;
}

/* AP register access. An APSEL with no AP reads 0 (IDR included) and
 * ignores writes; an AP that is not a MEM-AP answers IDR and whatever
 * the family models of it. */
static int sim_swd_ap(struct sim_swd *s, struct sim_chip *c, unsigned reg, bool rnw, uint32_t *data)
{
	unsigned apsel = s->select >> 24;
	uint32_t idr = sim_swd_ap_idr(c, apsel);
	int rc;

	if (AP_IDR_CLASS(idr) != AP_IDR_CLASS_MEM && reg != AP_IDR)
		return sim_swd_other_ap(c, apsel, reg, rnw, data);
	switch (reg) {
	case AP_CSW:
		if (rnw) {
			*data = s->csw[apsel] | AP_CSW_DEVICEEN;
		} else {
			uint32_t v = *data, size = v & AP_CSW_SIZE_MASK, inc = v & AP_CSW_ADDRINC_MASK;

			/* Sizes above 32 bits and packed increment are not
			 * implemented: those fields keep their value, so a read
			 * back shows the host what is supported. */
			if (size > 2)
				size = s->csw[apsel] & AP_CSW_SIZE_MASK;
			if (inc > AP_CSW_ADDRINC_SINGLE)
				inc = s->csw[apsel] & AP_CSW_ADDRINC_MASK;
			s->csw[apsel] = (v & 0xFFFFFF00u) | inc | size;
		}
		return 0;
	case AP_TAR:
		if (rnw)
			*data = s->tar[apsel];
		else
			s->tar[apsel] = *data;
		return 0;
	case AP_DRW:
		rc = sim_swd_mem(s, c, apsel, s->tar[apsel], rnw, data);
		if (rc == 0)
			sim_swd_tar_increment(s, apsel); /* a failed transfer leaves TAR alone */
		return rc;
	case AP_BD0:
	case AP_BD0 + 4:
	case AP_BD0 + 8:
	case AP_BD0 + 12:
		return sim_swd_mem(s, c, apsel, (s->tar[apsel] & ~0xFu) + (reg - AP_BD0), rnw, data);
	case AP_CFG:
		if (rnw)
			*data = 0; /* little-endian, 32-bit addresses */
		return 0;
	case AP_BASE:
		if (rnw)
			*data = apsel == c->core_ap && c->ap_base ? c->ap_base : AP_BASE_ROM;
		return 0;
	case AP_IDR:
		if (rnw)
			*data = idr;
		return 0;
	default:
		if (rnw)
			*data = 0;
		return 0;
	}
}

static uint32_t sim_swd_dp_read(struct sim_swd *s, struct sim_chip *c, unsigned a)
{
	switch (a) {
	case 0x0:
		return c->dpidr;
	case 0x4:
		switch (s->select & 0xF) {
		case 0: return sim_swd_ctrl_stat(s);
		case 1: return s->dlcr;
		case 2: return c->dp_version >= 2 ? c->targetid : 0;
		case 3: /* DLPIDR: protocol 1, TINSTANCE [31:28] (B2.2.5) */
			return c->dp_version >= 2 ? 1u | (c->targetsel & 0xF0000000u) : 0;
		default: return 0;
		}
	case 0x8:
		return s->last_read; /* RESEND */
	default:
		return s->rdbuff; /* RDBUFF: no side effect */
	}
}

static void sim_swd_dp_write(struct sim_swd *s, unsigned a, uint32_t v)
{
	switch (a) {
	case 0x0: /* ABORT; DAPABORT has nothing to abort: no AP access stalls */
		if (v & DP_ABORT_STKCMPCLR)
			s->ctrl_stat &= ~DP_CS_STICKYCMP;
		if (v & DP_ABORT_STKERRCLR)
			s->ctrl_stat &= ~DP_CS_STICKYERR;
		if (v & DP_ABORT_WDERRCLR)
			s->ctrl_stat &= ~DP_CS_WDATAERR;
		if (v & DP_ABORT_ORUNERRCLR)
			s->ctrl_stat &= ~DP_CS_STICKYORUN;
		break;
	case 0x4:
		/* In SWD the sticky bits are cleared through ABORT only. */
		if ((s->select & 0xF) == 0)
			s->ctrl_stat = (s->ctrl_stat & DP_CS_STICKY) | (v & DP_CS_WRITABLE);
		else if ((s->select & 0xF) == 1)
			s->dlcr = v & 0x300u;
		break;
	case 0x8:
		s->select = v;
		break;
	default:
		break; /* DPv1: reserved */
	}
}

/* One SWD transaction. REQ holds APnDP (bit 0), RnW (bit 1), A[3:2]
 * (bits 3:2). Returns the ACK the probe samples. */
unsigned sim_swd_transfer(struct sim_swd *s, struct sim_chip *c, unsigned req, uint32_t *data)
{
	bool ap = req & 1u, rnw = req & 2u;
	unsigned a = req & 0xCu;
	uint32_t dummy = 0;

	if (!data)
		data = &dummy;
	sim_swd_line_break(s);
	if (!sim_chip_dp_reachable(c) || s->mode != SIM_SWD_MODE_SWD || s->need_line_reset)
		return SIM_ACK_NONE;
	/* Multidrop: unselected, this DP drives nothing. Several DPs of the
	 * bus (RP2040's three) would answer an unselected DPIDR read at once:
	 * the model answers none (?). */
	if (c->targetsel && !s->md_selected)
		return SIM_ACK_NONE;
	/* DPv2 TARGETSEL is never acknowledged (B4.3.4). */
	if (!ap && !rnw && a == 0xC && c->dp_version >= 2)
		return SIM_ACK_NONE;
	if (s->reset_state) {
		if (ap || !rnw || a != 0)
			return SIM_ACK_NONE;
		s->reset_state = false;
	}
	c->debugger_attached = true;

	if (s->ctrl_stat & DP_CS_STICKY) {
		bool allowed = !ap && ((rnw && (a == 0 || a == 4)) || (!rnw && a == 0));

		if (!allowed)
			return SIM_ACK_FAULT;
	}
	if (!ap) {
		if (rnw) {
			*data = sim_swd_dp_read(s, c, a);
			if (a != 0x8)
				s->last_read = *data;
		} else {
			sim_swd_dp_write(s, a, *data);
		}
		return SIM_ACK_OK;
	}
	if (!(sim_swd_ctrl_stat(s) & DP_CS_CDBGPWRUPACK)) {
		/* The AP is in the debug power domain; without CDBGPWRUPACK the
		 * access fails (?) - a host that skips the power-up sees it. */
		s->ctrl_stat |= DP_CS_STICKYERR;
		return SIM_ACK_FAULT;
	}
	{
		unsigned reg = (s->select & 0xF0u) | a;

		if (rnw) {
			uint32_t v = 0;

			/* Posted read: return the previous result, start this one. */
			*data = s->rdbuff;
			s->last_read = s->rdbuff;
			if (sim_swd_ap(s, c, reg, true, &v))
				s->ctrl_stat |= DP_CS_STICKYERR; /* seen on the next access */
			s->rdbuff = v;
		} else {
			if (sim_swd_ap(s, c, reg, false, data))
				s->ctrl_stat |= DP_CS_STICKYERR;
		}
	}
	return SIM_ACK_OK;
}
