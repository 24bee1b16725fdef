/*
 * dp.c - SW-DP link bring-up and recovery.
 *
 * Sequences: ADIv5.2 B5.2 (line reset, JTAG-to-SWD), ADIv6 B5.3 (dormant
 * wake-up), OpenOCD adi_v5_swd.c swd_connect_single and arm_adi_v5.c
 * dap_dp_init; the bytes in docs/adiv5.md, "Link sequences" and "Power-up".
 */
#include "adiv5/adiv5.h"

#include <string.h>

#include "err.h"
#include "log.h"

/* >=50 ones, 0xE79E LSB first, >=50 ones (line reset), idle. */
static const uint8_t dp_seq_jtag_to_swd[17] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};

/* Line reset: 56 ones then 8 idle cycles. */
static const uint8_t dp_seq_line_reset[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

/* JTAG-to-dormant (>=5 TMS high + 0x33BBBBBA), then the selection alert and
 * the SWD activation code 0x1A, then a line reset (ADIv6 B5.3.4). */
static const uint8_t dp_seq_jtag_to_dormant[5] = {0xFF, 0x75, 0x77, 0x77, 0x67};
static const uint8_t dp_seq_dormant_to_swd[28] = {
	0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2,
	0x0E, 0xBC, 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00,
};

int dp_set_nreset(struct adiv5 *a, bool asserted)
{
	/* Release waits up to 100 ms for the pin to read high (open-drain line
	 * with a capacitor on many boards). */
	return dap_swj_pins(a->dap, asserted ? 0 : DAP_PIN_NRESET, DAP_PIN_NRESET,
			    asserted ? 0 : 100000, NULL);
}

int dp_clear_sticky(struct adiv5 *a)
{
	/* DAP_WriteABORT ignores the ACK, so it works even while the DP faults. */
	return dap_write_abort(a->dap, DP_ABORT_CLEAR_STICKY);
}

/* DPIDR read, sticky clear, then debug + system power-up, polled in the probe.
 * One DAP_Transfer: it stops at the first access that fails. */
static int dp_power_up(struct adiv5 *a)
{
	uint32_t dpidr = 0;
	int rc;

	adiv5_invalidate(a); /* SELECT is UNKNOWN after a line reset (ADIv5.2 B2.2.9) */
	adiv5_dp_read(a, DP_DPIDR, &dpidr);
	adiv5_dp_write(a, DP_ABORT, DP_ABORT_CLEAR_STICKY);
	adiv5_dp_write(a, DP_CTRL_STAT, DP_CTRL_CDBGPWRUPREQ | DP_CTRL_CSYSPWRUPREQ);
	adiv5_dp_match(a, DP_CTRL_STAT, DP_CTRL_CDBGPWRUPACK | DP_CTRL_CSYSPWRUPACK,
		       DP_CTRL_CDBGPWRUPACK | DP_CTRL_CSYSPWRUPACK);
	rc = adiv5_run(a);
	if (rc < 0 && dpidr == 0)
		return rc;
	if ((dpidr & 1) == 0 || dpidr == 0xFFFFFFFFu)
		return err_setf(ERR_TARGET_NOT_RESPONDING, "invalid DPIDR 0x%08x", dpidr);
	a->dpidr = dpidr;
	if (rc < 0)
		return err_context(rc, "debug power-up not acknowledged (DPIDR 0x%08x): ", dpidr);
	a->link_up = true;
	return 0;
}

static int dp_switch_and_power_up(struct adiv5 *a)
{
	int rc = dap_swj_sequence(a->dap, 136, dp_seq_jtag_to_swd);

	if (rc < 0)
		return rc;
	rc = dp_power_up(a);
	if (rc != -ERR_TARGET_NOT_RESPONDING)
		return rc;
	/* SWD-v2 parts may sleep in the dormant state: wake them the ADIv6 way. */
	if ((rc = dap_swj_sequence(a->dap, 40, dp_seq_jtag_to_dormant)) < 0 ||
	    (rc = dap_swj_sequence(a->dap, 224, dp_seq_dormant_to_swd)) < 0)
		return rc;
	return dp_power_up(a);
}

int dp_connect(struct adiv5 *a, uint32_t clock_hz, bool under_reset)
{
	int rc;

	a->link_up = false;
	/* DAP_Connect drives nRESET high (DAP_config.h PORT_SWD_SETUP), so the
	 * reset is asserted after it, as OpenOCD does. */
	if ((rc = dap_connect_swd(a->dap)) < 0)
		return rc;
	if (a->dap->clock_hz != clock_hz && (rc = dap_set_clock(a->dap, clock_hz)) < 0)
		return rc;
	if (under_reset && (rc = dp_set_nreset(a, true)) < 0)
		return rc;
	return dp_switch_and_power_up(a);
}

int dp_reconnect(struct adiv5 *a)
{
	int rc;

	a->link_up = false;
	rc = dap_swj_sequence(a->dap, 64, dp_seq_line_reset);
	if (rc < 0)
		return rc;
	rc = dp_power_up(a);
	if (rc == -ERR_TARGET_NOT_RESPONDING)
		rc = dp_switch_and_power_up(a);
	return rc;
}
