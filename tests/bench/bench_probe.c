/*
 * bench_probe - figures for issue 2, against the simulated DAPLink with 1 ms
 * per packet (USB full-speed HID): CMSIS-DAP packets and wall time for
 * identify + RDP read on an opened probe, and for a full unlock (not counting
 * the erase itself), in process. OpenOCD's figures, measured beside rdpd's
 * through the emulated USB probe, come from tests/bench/bench_openocd.sh
 * (docs/bench.md).
 */
#include <stdio.h>
#include <time.h>

#include "err.h"
#include "jobs/unlock_job.h"
#include "probes/probe_link.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct erase_clock {
	double done_at;
	uint64_t packets_at_erase_start, packets_at_erase_end;
	struct probe_link *pl;
	int running;
};

static void on_step(void *ctx, enum job_step step, enum job_step_state state)
{
	struct erase_clock *c = ctx;

	if (step == JOB_STEP_MASS_ERASE && state == JOB_STEP_RUNNING)
		c->packets_at_erase_start = c->pl->t->packets_sent;
	if (step == JOB_STEP_MASS_ERASE && state == JOB_STEP_DONE) {
		c->packets_at_erase_end = c->pl->t->packets_sent;
		c->done_at = now_ms();
	}
}

/* The simulated probes the figures are taken through: URI options. */
struct bench_probe_kind {
	const char *name, *option, *unit;
};

static const struct bench_probe_kind bench_kinds[] = {
	{"CMSIS-DAP", "", "packets"},
	{"CMSIS-DAP v2, 512-byte packets", "&packet_size=512", "packets"},
	{"ST-LINK/V2-1", "&probe=stlink-v2-1", "USB OUT transfers (commands and data phases)"},
};

/* One identify + RDP read: its packets and milliseconds added to *PACKETS, *MS. */
static int bench_read_once(struct probe_link *pl, uint64_t *packets, double *ms)
{
	struct target t;
	struct target_protection p;
	uint64_t p0 = pl->t->packets_sent;
	double t0 = now_ms();

	if (unlock_job_read_rdp(&pl->a, NULL, &t, &p) < 0)
		return fprintf(stderr, "bench: %s\n", err_detail()), 1;
	*ms += now_ms() - t0;
	*packets += pl->t->packets_sent - p0;
	return 0;
}

/* Opening with the first read (DAP_Info or GET_VERSION and the SWD clock
 * included), then reads on the opened probe. */
static int bench_read(const struct bench_probe_kind *k)
{
	char uri[128];
	struct probe_link *pl = NULL;
	const int runs = 20;
	uint64_t packets = 0, cold = 0;
	double ms = 0, cold_ms = 0, t0;

	snprintf(uri, sizeof(uri), "sim:stm32f401re-rdp1?latency_us=1000%s", k->option);
	t0 = now_ms();
	if (probe_link_open(uri, &pl) < 0)
		return fprintf(stderr, "bench: %s\n", err_detail()), 1;
	cold = pl->t->packets_sent;
	cold_ms = now_ms() - t0;
	if (bench_read_once(pl, &cold, &cold_ms))
		return 1;
	for (int i = 0; i < runs; i++)
		if (bench_read_once(pl, &packets, &ms))
			return 1;
	printf("%s: identify + RDP read (F401, in process, 1 ms per USB transfer): opened probe %.1f %s, %.1f ms; "
	       "open + first read %llu, %.1f ms (target: CMSIS-DAP <= 2 packets with atomic commands and <= 12 "
	       "cold, ST-LINK <= 12 round trips)\n",
	       k->name, (double)packets / runs, k->unit, ms / runs, (unsigned long long)cold, cold_ms);
	probe_link_close(pl);
	return 0;
}

static int bench_unlock(const struct bench_probe_kind *k)
{
	char uri[128];
	struct probe_link *pl = NULL;
	struct erase_clock c = {0};
	struct job_events ev = {.ctx = &c, .step = on_step};
	struct job_result res;
	struct target t;
	double t0, total;
	uint64_t p0, packets;

	/* time_scale 0.05: the F401's ~4 s regression erase lasts ~200 ms. */
	snprintf(uri, sizeof(uri), "sim:stm32f401re-rdp1?latency_us=1000&time_scale=0.05%s", k->option);
	if (probe_link_open(uri, &pl) < 0)
		return fprintf(stderr, "bench: %s\n", err_detail()), 1;
	c.pl = pl;
	p0 = pl->t->packets_sent;
	t0 = now_ms();
	if (unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, &ev, &t, &res) < 0)
		return fprintf(stderr, "bench: unlock: %s\n", err_detail()), 1;
	total = now_ms() - t0;
	double end = t0 + total;
	packets = pl->t->packets_sent - p0;
	printf("%s: full unlock (F401, in process, 1 ms per USB transfer): %llu %s of which %llu poll "
	       "the erase; %.0f ms total, erase %u ms, %.1f ms from the end of the erase to a verified "
	       "unlock (target: CMSIS-DAP <= 30 ms, ST-LINK <= 60 ms)\n",
	       k->name, (unsigned long long)packets, k->unit,
	       (unsigned long long)(c.packets_at_erase_end - c.packets_at_erase_start), total,
	       res.erase_ms, end - c.done_at);
	probe_link_close(pl);
	return 0;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(bench_kinds) / sizeof(bench_kinds[0]); i++)
		if (bench_read(&bench_kinds[i]) || bench_unlock(&bench_kinds[i]))
			return 1;
	return 0;
}
