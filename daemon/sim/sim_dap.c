/*
 * sim_dap.c - the CMSIS-DAP firmware side: one handler per command, the
 * DAP_Transfer/DAP_TransferBlock engines with posted AP reads, WAIT retry
 * and value match, exactly as ARM's reference firmware (DAP.c, SW_DP.c,
 * v2.1.x, as shipped in DAPLink) does them.
 *
 * Where the firmware would read past a short request or write past its
 * response buffer (it trusts the host), the simulator answers the single
 * byte 0xFF (ID_DAP_Invalid) instead: never reading or writing out of
 * bounds matters more than copying undefined behaviour.
 *
 * Described in docs/probe/cmsis-dap.md (what the firmware does for a host)
 * and docs/sim/README.md (what the model adds and leaves out).
 */
#include "sim_internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define DAP_OK 0x00u
#define DAP_ERROR 0xFFu
#define DAP_INVALID 0xFFu

#define ID_INFO 0x00u
#define ID_HOST_STATUS 0x01u
#define ID_CONNECT 0x02u
#define ID_DISCONNECT 0x03u
#define ID_TRANSFER_CONFIGURE 0x04u
#define ID_TRANSFER 0x05u
#define ID_TRANSFER_BLOCK 0x06u
#define ID_TRANSFER_ABORT 0x07u
#define ID_WRITE_ABORT 0x08u
#define ID_DELAY 0x09u
#define ID_RESET_TARGET 0x0Au
#define ID_SWJ_PINS 0x10u
#define ID_SWJ_CLOCK 0x11u
#define ID_SWJ_SEQUENCE 0x12u
#define ID_SWD_CONFIGURE 0x13u
#define ID_SWD_SEQUENCE 0x1Du
#define ID_QUEUE_COMMANDS 0x7Eu
#define ID_EXECUTE_COMMANDS 0x7Fu

#define XFER_APNDP (1u << 0)
#define XFER_RNW (1u << 1)
#define XFER_MATCH_VALUE (1u << 4)
#define XFER_MATCH_MASK (1u << 5)
#define XFER_TIMESTAMP (1u << 7)
#define XFER_MISMATCH 0x10u
#define DP_RDBUFF_READ 0x0Eu /* DP, RnW, A = 0xC */

/* Capabilities (DAP_Info 0xF0): SWD (bit 0), atomic commands (bit 4,
 * unless the build leaves them out), test-domain timer (bit 5). No JTAG,
 * SWO or UART in this firmware build. */
#define DAP_CAPS 0x31u
#define DAP_CAP_ATOMIC_BIT 0x10u
#define DAP_TIMER_HZ 1000000u

#define PIN_SWCLK (1u << 0)
#define PIN_SWDIO (1u << 1)
#define PIN_TDI (1u << 2)
#define PIN_TDO (1u << 3)
#define PIN_NTRST (1u << 5)
#define PIN_NRESET (1u << 7)

#define DAP_VENDOR "ARM"
#define DAP_PRODUCT "DAPLink CMSIS-DAP"
#define DAP_PROTOCOL "2.1.1"
#define DAP_FW_VERSION "0257"

/* A handler: consumed request bytes (>= 1) and response length, or -1 when
 * the request is short or the response would not fit. */
struct sim_dap_result {
	size_t used;
	size_t len;
};

static uint16_t sim_dap_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] | (b[1] << 8));
}

static uint32_t sim_dap_get32(const uint8_t *b)
{
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}

static void sim_dap_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

void sim_dap_defaults(struct sim_probe *p)
{
	/* DAP_Setup() defaults (DAP.c) */
	p->port = 0;
	p->idle_cycles = 0;
	p->wait_retry = 100;
	p->match_retry = 0;
	p->match_mask = 0;
	p->turnaround = 1;
	p->data_phase = false;
	p->pins_out = PIN_SWCLK | PIN_SWDIO | PIN_TDI | PIN_NTRST | PIN_NRESET;
}

static uint32_t sim_dap_timestamp(const struct sim_probe *p)
{
	return (uint32_t)((sim_chip_now_ns() - p->t0_ns) / 1000u);
}

/* SWD_Transfer with the firmware's WAIT loop: 1 + wait_retry attempts. */
static unsigned sim_dap_wire_retry(struct sim_probe *p, unsigned req, uint32_t *data)
{
	unsigned retry = p->wait_retry, ack;

	do {
		ack = sim_probe_wire(p, req, data);
	} while (ack == SIM_ACK_WAIT && retry-- != 0);
	return ack;
}

/* ---- DAP_Info ---- */

static int sim_dap_info(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp, size_t cap,
			struct sim_dap_result *r)
{
	const char *s = NULL;
	uint8_t v[4];
	size_t n = 0;

	if (len < 2 || cap < 2)
		return -1;
	switch (req[1]) {
	case 0x01: s = DAP_VENDOR; break;
	case 0x02: s = DAP_PRODUCT; break;
	case 0x03: s = p->serial; break;
	case 0x04: s = DAP_PROTOCOL; break;
	case 0x09: s = DAP_FW_VERSION; break;
	case 0xF0: v[0] = p->atomic ? DAP_CAPS : DAP_CAPS & ~DAP_CAP_ATOMIC_BIT; v[1] = 0; n = 2; break; /* the firmware always sends 2 */
	case 0xF1: sim_dap_put32(v, DAP_TIMER_HZ); n = 4; break;
	case 0xFE: v[0] = (uint8_t)p->packet_count; n = 1; break;
	case 0xFF: v[0] = (uint8_t)p->packet_size; v[1] = (uint8_t)(p->packet_size >> 8); n = 2; break;
	default: break; /* 0x05..0x08 (no fixed target), SWO/UART sizes: none */
	}
	if (s)
		n = strlen(s) + 1; /* the length counts the NUL */
	if (2 + n > cap)
		return -1;
	rsp[0] = ID_INFO;
	rsp[1] = (uint8_t)n;
	memcpy(rsp + 2, s ? (const void *)s : (const void *)v, n);
	r->used = 2;
	r->len = 2 + n;
	return 0;
}

/* ---- DAP_Transfer ---- */

/* Walk the request once to know its length and the largest response. */
static int sim_dap_transfer_size(const uint8_t *req, size_t len, size_t *used, size_t *rsp_max)
{
	size_t off = 3, out = 3;
	unsigned count;

	if (len < 3)
		return -1;
	count = req[2];
	for (unsigned i = 0; i < count; i++) {
		unsigned rq;

		if (off >= len)
			return -1;
		rq = req[off++];
		if (rq & XFER_RNW) {
			if (rq & XFER_MATCH_VALUE) {
				off += 4;
			} else {
				out += 4;
				if (rq & XFER_TIMESTAMP)
					out += 4;
			}
		} else {
			off += 4;
			if (!(rq & XFER_MATCH_MASK) && (rq & XFER_TIMESTAMP))
				out += 4;
		}
		if (off > len)
			return -1;
	}
	*used = off;
	*rsp_max = out;
	return 0;
}

/* DAP_SWD_Transfer of DAP.c, step for step (docs/probe/cmsis-dap.md,
 * "DAP_Transfer"). */
static size_t sim_dap_swd_transfer(struct sim_probe *p, const uint8_t *req, uint8_t *rsp)
{
	unsigned count = req[2], done = 0, ack = 0, rq;
	bool post_read = false, check_write = false;
	const uint8_t *q = req + 3;
	uint8_t *out = rsp + 3;
	uint32_t data;

	for (; count; count--) {
		rq = *q++;
		if (rq & XFER_RNW) {
			if (post_read) {
				/* Collect the posted value: with the next AP read when
				 * this is a plain AP read, else through RDBUFF. */
				if ((rq & (XFER_APNDP | XFER_MATCH_VALUE)) == XFER_APNDP) {
					ack = sim_dap_wire_retry(p, rq, &data);
				} else {
					ack = sim_dap_wire_retry(p, DP_RDBUFF_READ, &data);
					post_read = false;
				}
				if (ack != SIM_ACK_OK)
					break;
				sim_dap_put32(out, data);
				out += 4;
				if (post_read && (rq & XFER_TIMESTAMP)) {
					sim_dap_put32(out, sim_dap_timestamp(p));
					out += 4;
				}
			}
			if (rq & XFER_MATCH_VALUE) {
				uint32_t match = sim_dap_get32(q);
				unsigned mretry = p->match_retry;

				q += 4;
				if (rq & XFER_APNDP) {
					ack = sim_dap_wire_retry(p, rq, NULL); /* post */
					if (ack != SIM_ACK_OK)
						break;
				}
				do {
					ack = sim_dap_wire_retry(p, rq, &data);
					if (ack != SIM_ACK_OK)
						break;
				} while ((data & p->match_mask) != match && mretry-- != 0);
				if (ack == SIM_ACK_OK && (data & p->match_mask) != match)
					ack |= XFER_MISMATCH;
				if (ack != SIM_ACK_OK)
					break;
			} else if (rq & XFER_APNDP) {
				if (!post_read) {
					ack = sim_dap_wire_retry(p, rq, NULL);
					if (ack != SIM_ACK_OK)
						break;
					if (rq & XFER_TIMESTAMP) {
						sim_dap_put32(out, sim_dap_timestamp(p));
						out += 4;
					}
					post_read = true;
				}
			} else {
				ack = sim_dap_wire_retry(p, rq, &data);
				if (ack != SIM_ACK_OK)
					break;
				if (rq & XFER_TIMESTAMP) {
					sim_dap_put32(out, sim_dap_timestamp(p));
					out += 4;
				}
				sim_dap_put32(out, data);
				out += 4;
			}
			check_write = false;
		} else {
			if (post_read) {
				ack = sim_dap_wire_retry(p, DP_RDBUFF_READ, &data);
				if (ack != SIM_ACK_OK)
					break;
				sim_dap_put32(out, data);
				out += 4;
				post_read = false;
			}
			data = sim_dap_get32(q);
			q += 4;
			if (rq & XFER_MATCH_MASK) {
				p->match_mask = data; /* nothing on the wire */
				ack = SIM_ACK_OK;
			} else {
				ack = sim_dap_wire_retry(p, rq, &data);
				if (ack != SIM_ACK_OK)
					break;
				if (rq & XFER_TIMESTAMP) {
					sim_dap_put32(out, sim_dap_timestamp(p));
					out += 4;
				}
				check_write = true;
			}
		}
		done++;
	}
	if (ack == SIM_ACK_OK) {
		if (post_read) {
			ack = sim_dap_wire_retry(p, DP_RDBUFF_READ, &data);
			if (ack == SIM_ACK_OK) {
				sim_dap_put32(out, data);
				out += 4;
			}
		} else if (check_write) {
			/* Make sure the last posted write went through. */
			ack = sim_dap_wire_retry(p, DP_RDBUFF_READ, NULL);
		}
	}
	rsp[1] = (uint8_t)done;
	rsp[2] = (uint8_t)ack;
	return (size_t)(out - rsp);
}

static int sim_dap_transfer(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
			    size_t cap, struct sim_dap_result *r)
{
	size_t used, rsp_max;

	if (sim_dap_transfer_size(req, len, &used, &rsp_max) || rsp_max > cap)
		return -1;
	rsp[0] = ID_TRANSFER;
	r->used = used;
	if (p->port != 1) {
		rsp[1] = 0; /* DAP_Dummy_Transfer: nothing connected */
		rsp[2] = 0;
		r->len = 3;
		return 0;
	}
	r->len = sim_dap_swd_transfer(p, req, rsp);
	return 0;
}

/* ---- DAP_TransferBlock ---- */

static int sim_dap_transfer_block(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
				  size_t cap, struct sim_dap_result *r)
{
	unsigned count, rq, done = 0, ack = 0;
	uint8_t *out = rsp + 4;
	const uint8_t *q;
	uint32_t data;

	if (len < 4)
		return -1;
	count = sim_dap_get16(req + 2);
	if (count == 0) {
		if (cap < 4)
			return -1;
		r->used = len < 5 ? 4 : 5;
		goto reply;
	}
	if (len < 5)
		return -1;
	rq = req[4] & 0x0Fu; /* no match or timestamp in block mode */
	r->used = 5 + ((rq & XFER_RNW) ? 0 : 4u * count);
	if (r->used > len || 4 + ((rq & XFER_RNW) ? 4u * count : 0) > cap)
		return -1;
	if (p->port != 1)
		goto reply;
	q = req + 5;
	if (rq & XFER_RNW) {
		if (rq & XFER_APNDP) {
			ack = sim_dap_wire_retry(p, rq, NULL); /* post the first AP read */
			if (ack != SIM_ACK_OK)
				goto reply;
		}
		while (count--) {
			unsigned this_rq = rq;

			if (count == 0 && (rq & XFER_APNDP))
				this_rq = DP_RDBUFF_READ; /* last value comes from RDBUFF */
			ack = sim_dap_wire_retry(p, this_rq, &data);
			if (ack != SIM_ACK_OK)
				goto reply;
			sim_dap_put32(out, data);
			out += 4;
			done++;
		}
	} else {
		while (count--) {
			data = sim_dap_get32(q);
			q += 4;
			ack = sim_dap_wire_retry(p, rq, &data);
			if (ack != SIM_ACK_OK)
				goto reply;
			done++;
		}
		ack = sim_dap_wire_retry(p, DP_RDBUFF_READ, NULL);
	}
reply:
	rsp[0] = ID_TRANSFER_BLOCK;
	rsp[1] = (uint8_t)done;
	rsp[2] = (uint8_t)(done >> 8);
	rsp[3] = (uint8_t)ack;
	r->len = (size_t)(out - rsp);
	return 0;
}

/* ---- pins, clock, sequences ---- */

static uint8_t sim_dap_pins_in(struct sim_probe *p)
{
	uint8_t v = p->pins_out & (PIN_SWCLK | PIN_SWDIO | PIN_TDI | PIN_NTRST);

	v |= PIN_TDO; /* pulled up, nothing drives it (?) */
	if (!p->chip->nreset_low)
		v |= PIN_NRESET;
	return v;
}

static void sim_dap_drive_nreset(struct sim_probe *p, bool high)
{
	p->pins_out = high ? (p->pins_out | PIN_NRESET) : (p->pins_out & ~PIN_NRESET);
	sim_chip_set_nreset(p->chip, !high);
}

static int sim_dap_swj_pins(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
			    size_t cap, struct sim_dap_result *r)
{
	uint8_t out, sel;

	if (len < 7 || cap < 2)
		return -1;
	out = req[1];
	sel = req[2];
	/* pin_wait (req[3..6]) needs no waiting: nothing else holds nRESET. */
	p->pins_out = (uint8_t)((p->pins_out & ~sel) | (out & sel));
	if (sel & PIN_NRESET)
		sim_dap_drive_nreset(p, out & PIN_NRESET);
	rsp[0] = ID_SWJ_PINS;
	rsp[1] = sim_dap_pins_in(p);
	r->used = 7;
	r->len = 2;
	return 0;
}

static int sim_dap_swj_sequence(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
				size_t cap, struct sim_dap_result *r)
{
	unsigned nbits;

	if (len < 2 || cap < 2)
		return -1;
	nbits = req[1] ? req[1] : 256;
	if (len < 2 + (nbits + 7) / 8)
		return -1;
	/* With the port off the pins are not driven: the target sees nothing. */
	if (p->port == 1)
		sim_swd_line_bits(&p->swd, p->chip, req + 2, nbits);
	rsp[0] = ID_SWJ_SEQUENCE;
	rsp[1] = DAP_OK;
	r->used = 2 + (nbits + 7) / 8;
	r->len = 2;
	return 0;
}

/* The one SWD packet the model decodes from raw cycles: a write to DP
 * address 0xC (request 0x99, ADIv5.2 B4.2) as three sequences, 8 bits
 * out, 5 cycles in (turnaround, ACK, turnaround) and 33 bits out (data,
 * parity): the multidrop TARGETSEL write (B4.3.4), which DAP_Transfer
 * cannot send since no DP acknowledges it. OpenOCD sends exactly this
 * (cmsis_dap.c, "1D 03 08 99 85 21"); other splits reach the line
 * detector as plain bits (?). Returns true when REQ is that packet. */
static bool sim_dap_targetsel(struct sim_probe *p, const uint8_t *req, size_t len)
{
	static const uint8_t head[] = {3, 8, 0x99, 0x85, 33};
	uint32_t v;

	if (len < 1 + sizeof(head) + 5 || memcmp(req + 1, head, sizeof(head)) != 0)
		return false;
	v = (uint32_t)req[6] | (uint32_t)req[7] << 8 | (uint32_t)req[8] << 16 | (uint32_t)req[9] << 24;
	if (p->port == 1)
		sim_swd_targetsel(&p->swd, p->chip, v, req[10] & 1u);
	return true;
}

static int sim_dap_swd_sequence(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
				size_t cap, struct sim_dap_result *r)
{
	size_t off = 2, out = 2;
	unsigned count;

	if (len < 2 || cap < 2)
		return -1;
	if (cap >= 3 && sim_dap_targetsel(p, req, len)) {
		rsp[0] = ID_SWD_SEQUENCE;
		rsp[1] = DAP_OK;
		rsp[2] = 0x1F; /* the 5 cycles read: nobody drives SWDIO, the pull-up reads 1 (?) */
		r->used = 11;
		r->len = 3;
		return 0;
	}
	count = req[1];
	/* validate first, then act */
	for (unsigned i = 0; i < count; i++) {
		unsigned info, n;

		if (off >= len)
			return -1;
		info = req[off++];
		n = (info & 0x3F) ? (info & 0x3F) : 64;
		if (info & 0x80)
			out += (n + 7) / 8;
		else
			off += (n + 7) / 8;
		if (off > len || out > cap)
			return -1;
	}
	off = 2;
	out = 2;
	for (unsigned i = 0; i < count; i++) {
		unsigned info = req[off++], n = (info & 0x3F) ? (info & 0x3F) : 64;

		if (info & 0x80) {
			/* Input: nobody drives SWDIO outside a transaction, the
			 * pull-up reads 1 (?). */
			memset(rsp + out, 0xFF, (n + 7) / 8);
			if (n % 8)
				rsp[out + n / 8] = (uint8_t)((1u << (n % 8)) - 1);
			out += (n + 7) / 8;
			sim_swd_line_break(&p->swd);
		} else {
			if (p->port == 1)
				sim_swd_line_bits(&p->swd, p->chip, req + off, n);
			off += (n + 7) / 8;
		}
	}
	rsp[0] = ID_SWD_SEQUENCE;
	rsp[1] = DAP_OK;
	r->used = off;
	r->len = out;
	return 0;
}

/* ---- dispatcher ---- */

static int sim_dap_simple(uint8_t id, uint8_t status, size_t need, size_t len, uint8_t *rsp,
			  size_t cap, struct sim_dap_result *r)
{
	if (len < need || cap < 2)
		return -1;
	rsp[0] = id;
	rsp[1] = status;
	r->used = need;
	r->len = 2;
	return 0;
}

static int sim_dap_execute_many(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
				size_t cap, struct sim_dap_result *r);
static int sim_dap_invalid(uint8_t *rsp, size_t cap, struct sim_dap_result *r);

/* Run one command. Returns 0 with R filled, or -1 (short / too large). */
static int sim_dap_one(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp, size_t cap,
		       bool nested, struct sim_dap_result *r)
{
	switch (req[0]) {
	case ID_INFO:
		return sim_dap_info(p, req, len, rsp, cap, r);
	case ID_HOST_STATUS:
		if (len < 3)
			return -1;
		return sim_dap_simple(ID_HOST_STATUS, req[1] <= 1 ? DAP_OK : DAP_ERROR, 3, len, rsp, cap, r);
	case ID_CONNECT:
		if (len < 2 || cap < 2)
			return -1;
		rsp[0] = ID_CONNECT;
		rsp[1] = 0; /* failed: JTAG is not in this build */
		if (req[1] == 0 || req[1] == 1) {
			/* PORT_SWD_SETUP: SWCLK, SWDIO and nRESET driven high */
			p->port = 1;
			p->pins_out |= PIN_SWCLK | PIN_SWDIO;
			sim_dap_drive_nreset(p, true);
			rsp[1] = 1;
		}
		r->used = 2;
		r->len = 2;
		return 0;
	case ID_DISCONNECT:
		/* PORT_OFF: pins high-Z; the target's pull-up releases nRESET */
		p->port = 0;
		sim_dap_drive_nreset(p, true);
		return sim_dap_simple(ID_DISCONNECT, DAP_OK, 1, len, rsp, cap, r);
	case ID_TRANSFER_CONFIGURE:
		if (len < 6)
			return -1;
		p->idle_cycles = req[1];
		p->wait_retry = sim_dap_get16(req + 2);
		p->match_retry = sim_dap_get16(req + 4);
		return sim_dap_simple(ID_TRANSFER_CONFIGURE, DAP_OK, 6, len, rsp, cap, r);
	case ID_TRANSFER:
		return sim_dap_transfer(p, req, len, rsp, cap, r);
	case ID_TRANSFER_BLOCK:
		return sim_dap_transfer_block(p, req, len, rsp, cap, r);
	case ID_TRANSFER_ABORT:
		/* Nothing runs concurrently here, so the abort has no effect;
		 * and it never has a response. */
		r->used = 1;
		r->len = 0;
		return 0;
	case ID_WRITE_ABORT:
		if (len < 6)
			return -1;
		if (p->port == 1) {
			uint32_t v = sim_dap_get32(req + 2);

			sim_probe_wire(p, 0x00, &v); /* DP ABORT; the ACK is ignored */
		}
		return sim_dap_simple(ID_WRITE_ABORT, p->port == 1 ? DAP_OK : DAP_ERROR, 6, len, rsp, cap, r);
	case ID_DELAY:
		if (len < 3)
			return -1;
		{
			unsigned us = sim_dap_get16(req + 1);
			struct timespec ts = { 0, (long)us * 1000L };

			nanosleep(&ts, NULL);
		}
		return sim_dap_simple(ID_DELAY, DAP_OK, 3, len, rsp, cap, r);
	case ID_RESET_TARGET:
		if (cap < 3)
			return -1;
		rsp[0] = ID_RESET_TARGET;
		rsp[1] = DAP_OK;
		rsp[2] = 0; /* no device-specific reset sequence */
		r->used = 1;
		r->len = 3;
		return 0;
	case ID_SWJ_PINS:
		return sim_dap_swj_pins(p, req, len, rsp, cap, r);
	case ID_SWJ_CLOCK:
		if (len < 5)
			return -1;
		return sim_dap_simple(ID_SWJ_CLOCK, sim_dap_get32(req + 1) ? DAP_OK : DAP_ERROR, 5, len, rsp,
				      cap, r);
	case ID_SWJ_SEQUENCE:
		return sim_dap_swj_sequence(p, req, len, rsp, cap, r);
	case ID_SWD_CONFIGURE:
		if (len < 2)
			return -1;
		p->turnaround = (req[1] & 3u) + 1;
		p->data_phase = req[1] & 4u;
		return sim_dap_simple(ID_SWD_CONFIGURE, DAP_OK, 2, len, rsp, cap, r);
	case ID_SWD_SEQUENCE:
		if (!p->swd_sequence)
			return sim_dap_invalid(rsp, cap, r); /* a firmware older than 1.2 */
		return sim_dap_swd_sequence(p, req, len, rsp, cap, r);
	case ID_EXECUTE_COMMANDS:
	case ID_QUEUE_COMMANDS:
		if (!nested && p->atomic)
			return sim_dap_execute_many(p, req, len, rsp, cap, r);
		/* No nesting, and a build without them: the firmware answers 0xFF. */
		return sim_dap_invalid(rsp, cap, r);
	default:
		return sim_dap_invalid(rsp, cap, r);
	}
}

/* Unknown, vendor and nested atomic commands: the single byte 0xFF, one
 * request byte consumed (DAP.c default case). */
static int sim_dap_invalid(uint8_t *rsp, size_t cap, struct sim_dap_result *r)
{
	if (cap < 1)
		return -1;
	rsp[0] = DAP_INVALID;
	r->used = 1;
	r->len = 1;
	return 0;
}

/* DAP_ExecuteCommands: `7F n cmd...` -> `7F n rsp...`. QueueCommands is
 * run at once and answered as ExecuteCommands, as the firmware does when
 * it finally runs a queued packet; only the timing differs. */
static int sim_dap_execute_many(struct sim_probe *p, const uint8_t *req, size_t len, uint8_t *rsp,
				size_t cap, struct sim_dap_result *r)
{
	size_t in = 2, out = 2;
	unsigned n;

	if (len < 2 || cap < 2)
		return -1;
	n = req[1];
	rsp[0] = ID_EXECUTE_COMMANDS;
	rsp[1] = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		struct sim_dap_result sub = { 0, 0 };

		if (in >= len || sim_dap_one(p, req + in, len - in, rsp + out, cap - out, true, &sub)) {
			if (out >= cap)
				return -1;
			rsp[out++] = DAP_INVALID; /* short command: stop here */
			in = len;
			break;
		}
		in += sub.used;
		out += sub.len;
	}
	r->used = in;
	r->len = out;
	return 0;
}

/* Execute one command packet. Returns the response length, 0 when there
 * is no response (DAP_TransferAbort), or -EINVAL without room for a byte. */
int sim_dap_execute(struct sim_probe *p, const uint8_t *req, size_t req_len, uint8_t *rsp,
		    size_t cap)
{
	struct sim_dap_result r = { 0, 0 };

	if (cap > p->packet_size)
		cap = p->packet_size;
	if (cap < 1)
		return -EINVAL;
	if (req_len == 0 || req_len > p->packet_size ||
	    sim_dap_one(p, req, req_len, rsp, cap, false, &r)) {
		rsp[0] = DAP_INVALID;
		return 1;
	}
	return (int)r.len;
}
