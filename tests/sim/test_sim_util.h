/*
 * test_sim_util.h - raw CMSIS-DAP byte helpers for the simulator's tests.
 * Every request is written out byte by byte from ARM's command reference
 * (docs/probe/cmsis-dap.md) and the ADIv5 sequences and registers
 * (docs/adiv5.md); nothing of the driver stack is used.
 */
#ifndef RDPD_TEST_SIM_UTIL_H
#define RDPD_TEST_SIM_UTIL_H

#include "check.h"
#include "sim/sim.h"

#include <stdlib.h>
#include <time.h>

#define TS_CAP 64

static inline struct sim_probe *ts_open(const char *profile, double scale)
{
	struct sim_options o = { 0 };
	struct sim_probe *sp = NULL;

	o.time_scale = scale;
	if (sim_probe_create(profile, &o, &sp) != 0) {
		fprintf(stderr, "cannot create %s\n", profile);
		exit(2);
	}
	return sp;
}

static inline int ts_cmd(struct sim_probe *sp, const uint8_t *req, size_t n, uint8_t *rsp)
{
	return sim_probe_command(sp, req, n, rsp, TS_CAP);
}

static inline void ts_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline uint32_t ts_get32(const uint8_t *b)
{
	return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
	       ((uint32_t)b[3] << 24);
}

static inline void ts_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* DAP_Connect(SWD) + TransferConfigure(0, 64, 0). */
static inline void ts_port_on(struct sim_probe *sp)
{
	static const uint8_t conn[] = { 0x02, 0x01 };
	static const uint8_t cfg[] = { 0x04, 0x00, 0x40, 0x00, 0x00, 0x00 };
	uint8_t r[TS_CAP];

	ts_cmd(sp, conn, sizeof(conn), r);
	ts_cmd(sp, cfg, sizeof(cfg), r);
}

/* JTAG-to-SWD: 56 ones, 0xE79E, 56 ones, 8 zeros (§6). */
static inline void ts_jtag_to_swd(struct sim_probe *sp)
{
	static const uint8_t seq[] = { 0x12, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
				       0x9E, 0xE7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
	uint8_t r[TS_CAP];

	ts_cmd(sp, seq, sizeof(seq), r);
}

static inline void ts_line_reset(struct sim_probe *sp)
{
	static const uint8_t seq[] = { 0x12, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
	uint8_t r[TS_CAP];

	ts_cmd(sp, seq, sizeof(seq), r);
}

/* One DAP_Transfer with one request; returns the response byte, stores the
 * executed count and (for reads) the data. */
static inline unsigned ts_xfer(struct sim_probe *sp, uint8_t rq, uint32_t wdata, uint32_t *rdata,
			unsigned *count)
{
	uint8_t q[8] = { 0x05, 0x00, 0x01, rq }, r[TS_CAP];
	size_t n = 4;
	int len;

	if (!(rq & 0x02) || (rq & 0x10)) {
		ts_put32(q + 4, wdata);
		n = 8;
	}
	len = ts_cmd(sp, q, n, r);
	if (len < 3 || r[0] != 0x05)
		return 0xEE;
	if (count)
		*count = r[1];
	if (rdata && len >= 7)
		*rdata = ts_get32(r + 3);
	return r[2];
}

static inline unsigned ts_dpidr(struct sim_probe *sp, uint32_t *v)
{
	return ts_xfer(sp, 0x02, 0, v, NULL);
}

/* The SWD part of OpenOCD's connect: JTAG-to-SWD, DPIDR, ABORT 0x1E,
 * power-up; returns the ACK of the final CTRL/STAT read (or the DPIDR's). */
static inline unsigned ts_swd_up(struct sim_probe *sp)
{
	uint32_t v = 0;
	unsigned ack;

	ts_jtag_to_swd(sp);
	ack = ts_dpidr(sp, &v);
	if (ack != 1)
		return ack;
	ts_xfer(sp, 0x00, 0x1E, NULL, NULL);
	ts_xfer(sp, 0x04, 0x50000000u, NULL, NULL);
	return ts_xfer(sp, 0x06, 0, &v, NULL);
}

/* DAP_Connect (which releases nRESET) and then ts_swd_up(). */
static inline unsigned ts_attach(struct sim_probe *sp)
{
	ts_port_on(sp);
	return ts_swd_up(sp);
}

/* SELECT AP0 bank 0, CSW = 32-bit single increment, TAR = addr, read DRW. */
static inline unsigned ts_read32(struct sim_probe *sp, uint32_t addr, uint32_t *val)
{
	uint8_t q[] = { 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00, 0x23,
			0x05, 0, 0, 0, 0, 0x0F };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 14, addr);
	len = ts_cmd(sp, q, sizeof(q), r);
	if (len < 3)
		return 0xEE;
	if (len >= 7 && val)
		*val = ts_get32(r + 3);
	return r[2];
}

static inline unsigned ts_write32(struct sim_probe *sp, uint32_t addr, uint32_t val)
{
	uint8_t q[] = { 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00, 0x23,
			0x05, 0, 0, 0, 0, 0x0D, 0, 0, 0, 0 };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 14, addr);
	ts_put32(q + 19, val);
	len = ts_cmd(sp, q, sizeof(q), r);
	return len >= 3 ? r[2] : 0xEE;
}

/* Clear sticky errors with ABORT = 0x1E. */
static inline unsigned ts_abort(struct sim_probe *sp)
{
	return ts_xfer(sp, 0x00, 0x1E, NULL, NULL);
}

/* CLOCK_MONOTONIC in milliseconds. */
static inline uint64_t ts_ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One DAP_Transfer: SELECT APSEL with REG's bank, read REG of that AP (a
 * vendor's control port as well as a MEM-AP). Returns the ACK. */
static inline unsigned ts_ap_rd(struct sim_probe *sp, unsigned apsel, unsigned reg, uint32_t *val)
{
	uint8_t q[] = { 0x05, 0x00, 0x02, 0x08, 0, 0, 0, 0, (uint8_t)(0x03 | (reg & 0xC)) };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 4, (uint32_t)apsel << 24 | (reg & 0xF0));
	*val = 0xDEADBEEFu;
	len = ts_cmd(sp, q, sizeof(q), r);
	if (len >= 7)
		*val = ts_get32(r + 3);
	return len >= 3 ? r[2] : 0xEE;
}

/* The same for a write of VAL. */
static inline unsigned ts_ap_wr(struct sim_probe *sp, unsigned apsel, unsigned reg, uint32_t val)
{
	uint8_t q[] = { 0x05, 0x00, 0x02, 0x08, 0, 0, 0, 0, (uint8_t)(0x01 | (reg & 0xC)), 0, 0, 0, 0 };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 4, (uint32_t)apsel << 24 | (reg & 0xF0));
	ts_put32(q + 9, val);
	len = ts_cmd(sp, q, sizeof(q), r);
	return len >= 3 ? r[2] : 0xEE;
}

#endif
