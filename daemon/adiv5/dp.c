/*
 * dp.c - SW-DP link bring-up and recovery.
 *
 * The wire (line reset, JTAG-to-SWD, dormant wake-up: ADIv5.2 B5.2, ADIv6
 * B5.3) is the probe protocol's (access_ops connect, switch_to_swd,
 * line_reset, wake_dormant); the power-up that follows is ADIv5's: OpenOCD
 * adi_v5_swd.c swd_connect_single and arm_adi_v5.c dap_dp_init,
 * docs/adiv5.md, "Link sequences" and "Power-up".
 */
#include "adiv5/adiv5.h"

#include <string.h>

#include "err.h"
#include "log.h"

int dp_set_nreset(struct adiv5 *a, bool asserted)
{
	return a->ac->ops->set_nreset(a->ac, asserted);
}

int dp_clear_sticky(struct adiv5 *a)
{
	return a->ac->ops->abort(a->ac, DP_ABORT_CLEAR_STICKY);
}

/* DPIDR read, sticky clear, then debug + system power-up, polled in the
 * probe, queued first: one DAP_Transfer stops at the first access that
 * fails. */
static void dp_power_up_queue(struct adiv5 *a)
{
	adiv5_invalidate(a); /* SELECT is UNKNOWN after a line reset (ADIv5.2 B2.2.9) */
	a->sticky_unknown = false; /* the power-up clears the sticky bits */
	a->up_dpidr = 0;
	adiv5_dp_read(a, DP_DPIDR, &a->up_dpidr);
	adiv5_dp_write(a, DP_ABORT, DP_ABORT_CLEAR_STICKY);
	adiv5_dp_write(a, DP_CTRL_STAT, DP_CTRL_CDBGPWRUPREQ | DP_CTRL_CSYSPWRUPREQ);
	adiv5_dp_match(a, DP_CTRL_STAT, DP_CTRL_CDBGPWRUPACK | DP_CTRL_CSYSPWRUPACK,
		       DP_CTRL_CDBGPWRUPACK | DP_CTRL_CSYSPWRUPACK);
	a->up_ops = a->n;
}

/* What the power-up's accesses answered (RC: their run's result). */
static int dp_power_up_judge(struct adiv5 *a, int rc)
{
	uint32_t dpidr = a->up_dpidr;

	if (rc < 0 && dpidr == 0)
		return rc;
	if ((dpidr & 1) == 0 || dpidr == 0xFFFFFFFFu)
		return err_setf(ERR_TARGET_NOT_RESPONDING, "invalid DPIDR 0x%08x", dpidr);
	a->dpidr = dpidr;
	if (rc < 0)
		return err_context(rc, "debug power-up not acknowledged (DPIDR 0x%08x): ", dpidr);
	a->link_up = a->swd_seen = true;
	return 0;
}

static int dp_power_up(struct adiv5 *a)
{
	dp_power_up_queue(a);
	return dp_power_up_judge(a, adiv5_run(a));
}

int dp_power_up_finish(struct adiv5 *a, int rc, size_t at)
{
	int up = dp_power_up_judge(a, at < a->up_ops ? rc : 0);

	a->up_pending = false;
	a->up_failed = up < 0;
	return up < 0 ? up : rc;
}

bool dp_can_select_target(const struct adiv5 *a)
{
	return a->ac->ops->select_target != NULL;
}

/* After the line reset that ends every wire sequence: on a multidrop bus
 * no DP answers until a TARGETSEL write picks one (ADIv5.2 B4.3.4). */
static int dp_select(struct adiv5 *a)
{
	if (!a->targetsel)
		return 0;
	if (!dp_can_select_target(a))
		return err_setf(ERR_PROBE_UNSUPPORTED, "this probe cannot select a debug port on a "
				"multidrop SWD bus (TARGETSEL 0x%08x): use a CMSIS-DAP probe", a->targetsel);
	return a->ac->ops->select_target(a->ac, a->targetsel);
}

/* The JTAG-to-SWD switch where the host sends it (else the probe did it
 * while connecting), the power-up, and once more after a dormant wake-up
 * where the probe can send one. */
static int dp_switch_and_power_up(struct adiv5 *a)
{
	const struct access_ops *ops = a->ac->ops;
	int rc = ops->switch_to_swd ? ops->switch_to_swd(a->ac) : 0;

	if (rc < 0 || (rc = dp_select(a)) < 0)
		return rc;
	rc = dp_power_up(a);
	if (rc != -ERR_TARGET_NOT_RESPONDING || !ops->wake_dormant)
		return rc;
	/* SWD-v2 parts may sleep in the dormant state: wake them the ADIv6 way. */
	if ((rc = ops->wake_dormant(a->ac)) < 0 || (rc = dp_select(a)) < 0)
		return rc;
	return dp_power_up(a);
}

int dp_connect(struct adiv5 *a, uint32_t clock_hz, bool under_reset)
{
	int rc;

	a->link_up = false;
	if ((rc = a->ac->ops->connect(a->ac, clock_hz, under_reset, access_now_ms() + a->timeout_ms)) < 0)
		return rc;
	return dp_switch_and_power_up(a);
}

int dp_connect_deferred(struct adiv5 *a, uint32_t clock_hz)
{
	const struct access_ops *ops = a->ac->ops;
	int rc;

	a->link_up = a->up_failed = false;
	adiv5_discard(a);
	if ((rc = ops->connect(a->ac, clock_hz, false, access_now_ms() + a->timeout_ms)) < 0)
		return rc;
	/* Where the host sends the wire sequences: a DP that spoke SWD on this
	 * link needs only a line reset (ADIv5.2 B4.3.3); one that never did (a
	 * SWJ-DP powers up in JTAG, B5.2.1) gets the JTAG-to-SWD switch. A chip
	 * power-cycled back into JTAG meanwhile fails the power-up, and the
	 * long way (dp_connect) switches it. */
	if (ops->switch_to_swd && (rc = a->swd_seen ? ops->line_reset(a->ac, access_now_ms() + a->timeout_ms)
						    : ops->switch_to_swd(a->ac)) < 0)
		return rc;
	if ((rc = dp_select(a)) < 0)
		return rc;
	dp_power_up_queue(a);
	a->up_pending = true;
	return 0;
}

int dp_reconnect(struct adiv5 *a)
{
	int rc;

	a->link_up = false;
	rc = a->ac->ops->line_reset(a->ac, access_now_ms() + a->timeout_ms);
	if (rc < 0 || (rc = dp_select(a)) < 0)
		return rc;
	rc = dp_power_up(a);
	if (rc == -ERR_TARGET_NOT_RESPONDING)
		rc = dp_switch_and_power_up(a);
	return rc;
}
