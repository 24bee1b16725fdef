/*
 * dap_access.c - CMSIS-DAP as a debug-access protocol (daemon/access/access.h):
 * the host drives the SWD wire sequences itself through DAP_SWJ_Sequence,
 * and DP/AP accesses travel as DAP_Transfer packets (dap_run.c).
 *
 * Sequences: ADIv5.2 B5.2 (line reset, JTAG-to-SWD), ADIv6 B5.3 (dormant
 * wake-up), OpenOCD adi_v5_swd.c swd_connect_single; the bytes in
 * docs/adiv5.md, "Link sequences".
 */
#include "dap/dap.h"

#include <stdlib.h>

#include "err.h"

/* >=50 ones, 0xE79E LSB first, >=50 ones (line reset), idle. */
static const uint8_t dap_access_jtag_to_swd[17] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};

/* Line reset: 56 ones then 8 idle cycles. */
static const uint8_t dap_access_line_reset_seq[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

/* JTAG-to-dormant (>=5 TMS high + 0x33BBBBBA), then the selection alert and
 * the SWD activation code 0x1A, then a line reset (ADIv6 B5.3.4). */
static const uint8_t dap_access_jtag_to_dormant[5] = {0xFF, 0x75, 0x77, 0x77, 0x67};
static const uint8_t dap_access_dormant_to_swd[28] = {
	0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2,
	0x0E, 0xBC, 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};

static struct dap *dap_access_of(struct access *ac)
{
	return (struct dap *)ac; /* struct dap begins with its struct access */
}

static int dap_access_open(struct transport *t, struct access **out)
{
	struct dap *d = NULL;
	int rc = dap_open(t, &d);

	if (rc == 0)
		*out = &d->base;
	return rc;
}

static void dap_access_close(struct access *ac)
{
	struct dap *d = dap_access_of(ac);

	/* Pins to high-Z: the board runs on without the probe. */
	dap_disconnect(d);
	dap_close(d);
}

static int dap_access_set_nreset(struct access *ac, bool asserted)
{
	/* Release waits up to 100 ms for the pin to read high (open-drain line
	 * with a capacitor on many boards). */
	return dap_swj_pins(dap_access_of(ac), asserted ? 0 : DAP_PIN_NRESET, DAP_PIN_NRESET,
			    asserted ? 0 : 100000, NULL);
}

static int dap_access_connect(struct access *ac, uint32_t clock_hz, bool under_reset, int64_t wait_deadline_ms)
{
	struct dap *d = dap_access_of(ac);
	int rc;

	/* DAP_Connect drives nRESET high (DAP_config.h PORT_SWD_SETUP), so the
	 * reset is asserted after it, as OpenOCD does. */
	if ((rc = dap_connect_swd(d)) < 0)
		return rc;
	if (d->clock_hz != clock_hz && (rc = dap_set_clock(d, clock_hz)) < 0)
		return rc;
	return under_reset ? dap_access_set_nreset(ac, true) : 0;
}

static int dap_access_switch_to_swd(struct access *ac)
{
	return dap_swj_sequence(dap_access_of(ac), 136, dap_access_jtag_to_swd);
}

static int dap_access_line_reset(struct access *ac, int64_t wait_deadline_ms)
{
	return dap_swj_sequence(dap_access_of(ac), 64, dap_access_line_reset_seq);
}

static int dap_access_wake_dormant(struct access *ac)
{
	struct dap *d = dap_access_of(ac);
	int rc = dap_swj_sequence(d, 40, dap_access_jtag_to_dormant);

	return rc < 0 ? rc : dap_swj_sequence(d, 224, dap_access_dormant_to_swd);
}

static int dap_access_select_target(struct access *ac, uint32_t targetsel)
{
	struct dap *d = dap_access_of(ac);
	int rc = dap_swj_sequence(d, 64, dap_access_line_reset_seq);

	return rc < 0 ? rc : dap_swd_targetsel(d, targetsel);
}

static int dap_access_run(struct access *ac, struct access_op *q, size_t n, int64_t deadline_ms,
			  struct access_fail *fail)
{
	return dap_run(dap_access_of(ac), q, n, deadline_ms, fail);
}

static int dap_access_abort(struct access *ac, uint32_t value)
{
	/* DAP_WriteABORT ignores the ACK, so it works even while the DP faults. */
	return dap_write_abort(dap_access_of(ac), value);
}

static size_t dap_access_block_words(const struct access *ac)
{
	/* A block read reply carries 4 + 4*count bytes. */
	return (dap_usable_size((const struct dap *)ac) - 4) / 4;
}

static int dap_access_host_status(struct access *ac, bool on)
{
	return dap_host_status(dap_access_of(ac), 0, on);
}

const struct access_ops dap_access_ops = {
	.name = "cmsis-dap",
	.open = dap_access_open,
	.close = dap_access_close,
	.connect = dap_access_connect,
	.switch_to_swd = dap_access_switch_to_swd,
	.line_reset = dap_access_line_reset,
	.wake_dormant = dap_access_wake_dormant,
	.select_target = dap_access_select_target,
	.run = dap_access_run,
	.abort = dap_access_abort,
	.set_nreset = dap_access_set_nreset,
	.block_words = dap_access_block_words,
	.host_status = dap_access_host_status,
};
