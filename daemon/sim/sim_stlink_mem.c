/*
 * sim_stlink_mem.c - the SWD side of the simulated ST-LINK firmware: it
 * reaches the same simulated SW-DP and access ports as the DAPLink
 * (sim_swd.c, through sim_probe_wire and so through the fault hook),
 * selects DP banks and APs itself, walks MEM-AP blocks and turns ACKs into
 * the firmware's status bytes.
 *
 * References: ADIv5.2 (ARM IHI 0031C) B4.3.3 line reset, B5.2 the
 * JTAG-to-SWD sequence, B2.2 DP registers, C2.2 MEM-AP registers and TAR
 * auto-increment (1 KB); the status bytes as OpenOCD v0.12.0
 * src/jtag/drivers/stlink_usb.c (L1051-1146) and pyOCD
 * pyocd/probe/stlink/constants.py name them. Described in
 * docs/sim/stlink.md.
 */
#include "sim_internal.h"

#include <string.h>

#define SWD_REQ_APNDP 0x1u
#define SWD_REQ_RNW 0x2u
#define DP_ABORT 0x0u
#define DP_CTRL_STAT 0x4u
#define DP_SELECT 0x8u
#define DP_RDBUFF 0xCu
#define DP_ABORT_ALL_CLR 0x1Eu        /* STKCMPCLR, STKERRCLR, WDERRCLR, ORUNERRCLR */
#define DP_CS_PWRUP_REQ 0x50000000u   /* CSYSPWRUPREQ | CDBGPWRUPREQ */
#define DP_CS_CDBGPWRUPACK (1u << 29)
#define AP_CSW 0x00u
#define AP_TAR 0x04u
#define AP_DRW 0x0Cu
#define AP_CSW_ADDRINC_SINGLE 0x10u
#define MEM_AP_CORE 0u
/* The firmware's CSW[31:8] before V2J32/V3J2 and when a host sends 0:
 * the simulated AHB-AP's reset value (HPROT data, privileged) (?). */
#define CSW_HI_DEFAULT 0x030000u
#define TAR_WRAP 0x400u               /* auto-increment stays inside 1 KB (C2.2.2) */

/* A WAIT is retried this many times before the firmware reports it. No
 * source gives the ST-LINK's count; DAPLink's default (100) makes a WAIT
 * burst of a given length mean the same behind both probes (?). */
#define SIM_STLINK_WAIT_RETRIES 100u

/* One transaction with the firmware's WAIT retries: the last ACK. */
static unsigned sim_stlink_mem_xfer(struct sim_probe *p, unsigned req, uint32_t *data)
{
	unsigned tries = SIM_STLINK_WAIT_RETRIES, ack;

	do {
		ack = sim_probe_wire(p, req, data);
	} while (ack == SIM_ACK_WAIT && tries-- != 0);
	return ack;
}

/* The status byte for ACK in an access to an AP (else the DP). A missing
 * ACK is SWD_x_ERROR: what an ST-LINK answers when the target stops
 * talking in mid-access (OpenOCD v0.12.0 src/flash/nor/stm32l4x.c, at the
 * OBL_LAUNCH write: "ST-Link reports an SWD_DP_ERROR"). */
static unsigned sim_stlink_mem_status(unsigned ack, bool ap)
{
	switch (ack) {
	case SIM_ACK_OK: return SIM_STLINK_OK;
	case SIM_ACK_WAIT: return ap ? SIM_STLINK_AP_WAIT : SIM_STLINK_DP_WAIT;
	case SIM_ACK_FAULT: return ap ? SIM_STLINK_AP_FAULT : SIM_STLINK_DP_FAULT;
	case SIM_ACK_NONE: return ap ? SIM_STLINK_AP_ERROR : SIM_STLINK_DP_ERROR;
	default: return ap ? SIM_STLINK_AP_PARITY : SIM_STLINK_DP_PARITY;
	}
}

/* Write SELECT = SEL unless the firmware knows it holds that already. */
static unsigned sim_stlink_mem_select(struct sim_probe *p, uint32_t sel)
{
	struct sim_stlink *st = p->st;
	unsigned ack;

	if (st->select_known && st->select == sel)
		return SIM_ACK_OK;
	ack = sim_stlink_mem_xfer(p, DP_SELECT, &sel);
	st->select_known = ack == SIM_ACK_OK;
	st->select = sel;
	return ack;
}

/* Line reset, JTAG-to-SWD, line reset, idle (ADIv5.2 B5.2.1), then the
 * DPIDR read that leaves the reset state; sticky flags cleared and the
 * debug and system power requested, which HLA hosts never do themselves. */
unsigned sim_stlink_mem_connect(struct sim_probe *p, uint32_t *dpidr)
{
	static const uint8_t seq[] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
				       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
	uint32_t v = DP_ABORT_ALL_CLR;
	unsigned ack;

	p->st->select_known = false;
	sim_swd_line_bits(&p->swd, p->chip, seq, 8 * sizeof(seq));
	ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | 0x0u, dpidr);
	if (ack != SIM_ACK_OK)
		return sim_stlink_mem_status(ack, false);
	ack = sim_stlink_mem_xfer(p, DP_ABORT, &v);
	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_select(p, 0);
	v = DP_CS_PWRUP_REQ;
	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, DP_CTRL_STAT, &v);
	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | DP_CTRL_STAT, &v);
	if (ack == SIM_ACK_OK && !(v & DP_CS_CDBGPWRUPACK))
		return SIM_STLINK_FAULT;
	return sim_stlink_mem_status(ack, false);
}

/* DP register ADDR: offset in bits 3:0, bank in bits 7:4 (OpenOCD
 * BANK_REG); the bank goes to SELECT[3:0] for offset 0x4 only. */
static unsigned sim_stlink_mem_dp_bank(struct sim_probe *p, unsigned addr)
{
	uint32_t keep = p->st->select_known ? p->st->select & ~0xFu : 0;

	if ((addr & 0xFu) != DP_CTRL_STAT)
		return SIM_ACK_OK;
	return sim_stlink_mem_select(p, keep | ((addr >> 4) & 0xFu));
}

unsigned sim_stlink_mem_dp_read(struct sim_probe *p, unsigned addr, uint32_t *v)
{
	unsigned ack = sim_stlink_mem_dp_bank(p, addr);

	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | (addr & 0xCu), v);
	return sim_stlink_mem_status(ack, false);
}

unsigned sim_stlink_mem_dp_write(struct sim_probe *p, unsigned addr, uint32_t v)
{
	unsigned ack = sim_stlink_mem_dp_bank(p, addr);

	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, addr & 0xCu, &v);
	if (ack == SIM_ACK_OK && (addr & 0xFu) == DP_SELECT) {
		p->st->select = v;
		p->st->select_known = true;
	}
	return sim_stlink_mem_status(ack, false);
}

/* Raw AP register access: select, access, and the RDBUFF read that
 * collects a posted read or confirms a posted write. */
static unsigned sim_stlink_mem_ap_raw(struct sim_probe *p, unsigned ap, unsigned addr, bool rnw, uint32_t *v)
{
	uint32_t sel = (uint32_t)ap << 24 | (addr & 0xF0u);
	unsigned ack = sim_stlink_mem_select(p, sel);

	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_APNDP | (rnw ? SWD_REQ_RNW : 0) | (addr & 0xCu), v);
	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | DP_RDBUFF, rnw ? v : NULL);
	return ack;
}

unsigned sim_stlink_mem_ap_read(struct sim_probe *p, unsigned ap, unsigned addr, uint32_t *v)
{
	return sim_stlink_mem_status(sim_stlink_mem_ap_raw(p, ap, addr, true, v), true);
}

unsigned sim_stlink_mem_ap_write(struct sim_probe *p, unsigned ap, unsigned addr, uint32_t v)
{
	return sim_stlink_mem_status(sim_stlink_mem_ap_raw(p, ap, addr, false, &v), true);
}

/* After a failed memory access the firmware clears the sticky flags so
 * that the next command works: HLA hosts cannot write ABORT (?). */
static void sim_stlink_mem_recover(struct sim_probe *p, unsigned ack)
{
	uint32_t v = DP_ABORT_ALL_CLR;

	if (ack == SIM_ACK_FAULT)
		sim_probe_wire(p, DP_ABORT, &v);
}

static unsigned sim_stlink_mem_size_bits(unsigned size)
{
	return size == 4 ? 2u : size == 2 ? 1u : 0u;
}

/* CSW and TAR for a block: CSW once, TAR at the start and at each 1 KB
 * boundary the auto-increment would wrap at. */
static unsigned sim_stlink_mem_setup(struct sim_probe *p, unsigned ap, uint32_t csw_hi, bool inc, unsigned size)
{
	uint32_t csw = (csw_hi ? csw_hi : CSW_HI_DEFAULT) << 8 | (inc ? AP_CSW_ADDRINC_SINGLE : 0) |
		       sim_stlink_mem_size_bits(size);
	unsigned ack = sim_stlink_mem_select(p, (uint32_t)ap << 24);

	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_APNDP | AP_CSW, &csw);
	return ack;
}

static bool sim_stlink_mem_need_tar(uint32_t start, uint32_t a, bool inc)
{
	return a == start || (inc && a % TAR_WRAP == 0);
}

static unsigned sim_stlink_mem_tar(struct sim_probe *p, uint32_t a)
{
	return sim_stlink_mem_xfer(p, SWD_REQ_APNDP | AP_TAR, &a);
}

/* The bytes of one SIZE access at A out of the word on the byte lanes. */
static void sim_stlink_mem_unlane(uint8_t *dst, uint32_t w, uint32_t a, unsigned size)
{
	unsigned shift = size == 4 ? 0 : 8 * (a & 3u);

	for (unsigned i = 0; i < size; i++)
		dst[i] = (uint8_t)(w >> (shift + 8 * i));
}

static uint32_t sim_stlink_mem_lane(const uint8_t *src, uint32_t a, unsigned size)
{
	unsigned shift = size == 4 ? 0 : 8 * (a & 3u);
	uint32_t w = 0;

	for (unsigned i = 0; i < size; i++)
		w |= (uint32_t)src[i] << (shift + 8 * i);
	return w;
}

/* Posted DRW reads: each read returns the one before it; RDBUFF gives the
 * last (and precedes a TAR write, so no value is lost across it). */
unsigned sim_stlink_mem_read(struct sim_probe *p, unsigned ap, uint32_t csw_hi, bool inc, uint32_t addr,
			     size_t len, unsigned size, uint8_t *buf, uint32_t *fault_addr)
{
	unsigned ack = sim_stlink_mem_setup(p, ap, csw_hi, inc, size);
	bool posted = false;
	size_t prev = 0;
	uint32_t w;

	memset(buf, 0, len);
	*fault_addr = addr;
	for (size_t off = 0; ack == SIM_ACK_OK && off < len; off += size) {
		uint32_t a = inc ? addr + (uint32_t)off : addr;

		if (sim_stlink_mem_need_tar(addr, a, inc)) {
			if (posted) {
				ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | DP_RDBUFF, &w);
				if (ack != SIM_ACK_OK)
					break;
				sim_stlink_mem_unlane(buf + prev, w, inc ? addr + (uint32_t)prev : addr, size);
				posted = false;
			}
			ack = sim_stlink_mem_tar(p, a);
			if (ack != SIM_ACK_OK)
				break;
		}
		*fault_addr = posted ? (inc ? addr + (uint32_t)prev : addr) : a;
		ack = sim_stlink_mem_xfer(p, SWD_REQ_APNDP | SWD_REQ_RNW | AP_DRW, &w);
		if (ack != SIM_ACK_OK)
			break;
		if (posted)
			sim_stlink_mem_unlane(buf + prev, w, inc ? addr + (uint32_t)prev : addr, size);
		posted = true;
		prev = off;
	}
	if (ack == SIM_ACK_OK && posted) {
		*fault_addr = inc ? addr + (uint32_t)prev : addr;
		ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | DP_RDBUFF, &w);
		if (ack == SIM_ACK_OK)
			sim_stlink_mem_unlane(buf + prev, w, *fault_addr, size);
	}
	if (ack != SIM_ACK_OK) {
		/* What the firmware sends after a failed access is not known:
		 * zeros from the failed one on (?). */
		size_t from = (size_t)(*fault_addr - addr);

		if (inc && from < len)
			memset(buf + from, 0, len - from);
		sim_stlink_mem_recover(p, ack);
	}
	return sim_stlink_mem_status(ack, true);
}

/* Posted DRW writes; the closing RDBUFF read reports the last one. */
unsigned sim_stlink_mem_write(struct sim_probe *p, unsigned ap, uint32_t csw_hi, bool inc, uint32_t addr,
			      size_t len, unsigned size, const uint8_t *buf, uint32_t *fault_addr)
{
	unsigned ack = sim_stlink_mem_setup(p, ap, csw_hi, inc, size);
	uint32_t w;

	*fault_addr = addr;
	for (size_t off = 0; ack == SIM_ACK_OK && off < len; off += size) {
		uint32_t a = inc ? addr + (uint32_t)off : addr;

		if (sim_stlink_mem_need_tar(addr, a, inc) && (ack = sim_stlink_mem_tar(p, a)) != SIM_ACK_OK)
			break;
		*fault_addr = a;
		w = sim_stlink_mem_lane(buf + off, a, size);
		ack = sim_stlink_mem_xfer(p, SWD_REQ_APNDP | AP_DRW, &w);
	}
	if (ack == SIM_ACK_OK)
		ack = sim_stlink_mem_xfer(p, SWD_REQ_RNW | DP_RDBUFF, NULL);
	if (ack != SIM_ACK_OK)
		sim_stlink_mem_recover(p, ack);
	return sim_stlink_mem_status(ack, true);
}

/* READDEBUGREG / WRITEDEBUGREG: one word through the core's AHB-AP. */
unsigned sim_stlink_mem_read32(struct sim_probe *p, uint32_t addr, uint32_t *v)
{
	uint8_t b[4];
	uint32_t fault;
	unsigned st = sim_stlink_mem_read(p, MEM_AP_CORE, 0, true, addr, 4, 4, b, &fault);

	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return st;
}

unsigned sim_stlink_mem_write32(struct sim_probe *p, uint32_t addr, uint32_t v)
{
	const uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	uint32_t fault;

	return sim_stlink_mem_write(p, MEM_AP_CORE, 0, true, addr, 4, 4, b, &fault);
}
