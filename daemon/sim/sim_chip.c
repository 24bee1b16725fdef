/*
 * sim_chip.c - one simulated chip, whatever its family: reset sequencing,
 * the nRESET pin, the "debugger attached" latch, the simulated firmware
 * (only the SWD-off profile's matters) and simulated time.
 *
 * References:
 *   ARMv7-M ARM B1.5.5 (reset), C1.6 (debug registers survive a local reset);
 *   ADIv5.2 B2.4 (a system reset does not reset the debug domain);
 *   RM0351 §3.5.1 (the debugger latch, cleared by power-on only) and the
 *   state model of docs/sim/README.md; connect under reset: docs/cortexm.md,
 *   "Connecting: the ladder".
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

/* The SWD-off firmware reconfigures PA13/PA14 this long (simulated) after
 * it starts running. */
#define CHIP_SWD_OFF_AFTER_MS 5.0

uint64_t sim_chip_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall-clock nanoseconds a simulated duration of SIM_MS lasts. */
uint64_t sim_chip_scaled_ns(const struct sim_chip *c, double sim_ms)
{
	double ns = sim_ms * 1e6 * c->time_scale;

	return ns < 1 ? 1 : (uint64_t)ns;
}

/* The sim_chip_now_ns() time at which an operation of SIM_MS simulated
 * milliseconds, started now, is done (BSY's end). */
uint64_t sim_chip_deadline_ns(const struct sim_chip *c, double sim_ms)
{
	return sim_chip_now_ns() + sim_chip_scaled_ns(c, sim_ms);
}

/* Whether a family's timed operation, BUSY until UNTIL_NS, is to finish
 * now: it runs, its time is up, and no power cut is armed for the end of
 * this packet (sim_chip_option_started: the power fails before anything
 * finishes). What finishing does is the family's. */
bool sim_chip_op_due(const struct sim_chip *c, bool busy, uint64_t until_ns)
{
	return busy && !c->option_power_fail_now && sim_chip_now_ns() >= until_ns;
}

/* Account the core's running time up to now (the firmware only "runs" in
 * that time) and let the SWD-off firmware act once it has run long enough. */
static void sim_chip_account(struct sim_chip *c)
{
	uint64_t now = sim_chip_now_ns();

	if (c->running) {
		c->run_ns += now - c->run_since_ns;
		c->run_since_ns = now;
	}
	if ((c->flags & SIM_CHIP_SWD_OFF) && c->running && !c->swd_pins_off &&
	    c->run_ns >= sim_chip_scaled_ns(c, CHIP_SWD_OFF_AFTER_MS))
		c->swd_pins_off = true;
}

/* Note the core's state after something may have changed it. */
static void sim_chip_track(struct sim_chip *c)
{
	bool run = sim_cortexm_running(&c->core);

	sim_chip_account(c);
	if (run && !c->running)
		c->run_since_ns = sim_chip_now_ns();
	c->running = run;
}

void sim_chip_tick(struct sim_chip *c)
{
	sim_chip_account(c);
	c->ops->tick(c);
}

static void sim_chip_leave_reset(struct sim_chip *c)
{
	uint32_t msp, pc;

	c->ops->reset_vectors(c, &msp, &pc);
	sim_cortexm_leave_reset(&c->core, msp, pc);
	/* The firmware starts from its beginning; until it reconfigures the
	 * pins they are in their reset (SWD) function. */
	c->run_ns = 0;
	c->swd_pins_off = false;
	c->running = false;
	sim_chip_track(c);
}

/* A system reset (AIRCR.SYSRESETREQ, nRESET): options reload, the core
 * restarts; the debug domain (DP, DHCSR/DEMCR) is kept. */
void sim_chip_system_reset(struct sim_chip *c)
{
	sim_chip_account(c);
	c->counters->resets++;
	c->ops->system_reset(c);
	sim_cortexm_hold_reset(&c->core);
	if (!c->nreset_low)
		sim_chip_leave_reset(c);
}

void sim_chip_set_nreset(struct sim_chip *c, bool low)
{
	if (low == c->nreset_low)
		return;
	sim_chip_account(c);
	c->nreset_low = low;
	if (low) {
		/* Held in reset: the core stops, the pins return to SWD. */
		sim_cortexm_hold_reset(&c->core);
		c->running = false;
		c->swd_pins_off = false;
		return;
	}
	sim_chip_system_reset(c);
}

void sim_chip_power_cycle(struct sim_chip *c)
{
	c->counters->power_cycles++;
	c->debugger_attached = false;
	sim_cortexm_power_on(&c->core);
	c->ops->power_on(c);
	if (!c->nreset_low)
		sim_chip_leave_reset(c);
	else
		sim_chip_track(c);
}

int sim_chip_create(const struct sim_chip_ops *ops, size_t part, uint8_t rdp, unsigned flags,
		    double time_scale, struct sim_counters *counters, struct sim_chip **out)
{
	struct sim_chip *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->ops = ops;
	c->flags = flags;
	c->time_scale = time_scale;
	c->counters = counters;
	rc = ops->create(c, part, rdp);
	if (rc) {
		free(c);
		return rc;
	}
	sim_cortexm_power_on(&c->core);
	ops->power_on(c);
	sim_chip_leave_reset(c);
	/* The board was powered long before a probe was attached: its firmware
	 * has run, so an SWD-off firmware has already taken the pins. (After a
	 * simulated power cycle the 5 ms window is modelled as it is.) */
	if (flags & SIM_CHIP_SWD_OFF)
		c->swd_pins_off = true;
	*out = c;
	return 0;
}

void sim_chip_destroy(struct sim_chip *c)
{
	if (!c)
		return;
	c->ops->destroy(c);
	free(c);
}

/* Whether anything drives SWDIO: not on no-target, never at level 2
 * (RM0090 §3.7.3 "JTAG fuse", also under reset) unless the family's level
 * 2 keeps the port (Kinetis), not once the SWD-off firmware has taken the
 * pins. */
bool sim_chip_dp_reachable(struct sim_chip *c)
{
	sim_chip_tick(c);
	if (c->flags & SIM_CHIP_ABSENT)
		return false;
	if (!c->ops->level2_dp_answers && c->ops->rdp_level(c) == 2)
		return false;
	return !c->swd_pins_off;
}

/* While the chip is held in reset only the debug domain answers: the PPB
 * (core debug registers, and DBGMCU at 0xE0042000 inside it); the system
 * bus is in reset (?). */
static bool sim_chip_blocked_by_reset(const struct sim_chip *c, uint32_t addr, bool debugger)
{
	return debugger && c->core.in_reset && !sim_cortexm_owns(addr);
}

int sim_chip_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val, bool debugger)
{
	int rc;

	sim_chip_tick(c);
	if (sim_chip_blocked_by_reset(c, addr, debugger)) {
		*val = 0;
		return -EFAULT;
	}
	rc = c->ops->bus_read(c, addr, size, val, debugger);
	sim_chip_track(c); /* DHCSR reads do not change state, but stay uniform */
	return rc;
}

int sim_chip_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val, bool debugger)
{
	int rc;

	sim_chip_tick(c);
	if (sim_chip_blocked_by_reset(c, addr, debugger))
		return -EFAULT;
	rc = c->ops->bus_write(c, addr, size, val, debugger);
	if (rc == SIM_BUS_SYSRESET) {
		/* The AIRCR write itself completes (its ACK was given before
		 * the reset), and the debug domain survives it. */
		sim_chip_system_reset(c);
		rc = 0;
	} else if (rc == SIM_BUS_VECTRESET) {
		uint32_t msp, pc;

		/* Core-only reset: no option reload, no peripheral reset. */
		c->ops->reset_vectors(c, &msp, &pc);
		sim_cortexm_leave_reset(&c->core, msp, pc);
		rc = 0;
	}
	sim_chip_track(c);
	return rc;
}

void sim_chip_option_started(struct sim_chip *c)
{
	if (c->option_power_fail_at && c->ops->option_power_loss && --c->option_power_fail_at == 0)
		c->option_power_fail_now = true;
	if (c->option_reset_at && --c->option_reset_at == 0)
		c->option_reset_pending = true;
}

void sim_chip_packet_done(struct sim_chip *c)
{
	if (!c->option_reset_pending)
		return;
	if (c->option_reset_after) {
		c->option_reset_after--;
		return;
	}
	c->option_reset_pending = false;
	sim_chip_system_reset(c);
}
