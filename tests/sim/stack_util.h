/*
 * stack_util.h - open the whole driver stack on a simulated probe, the way
 * the daemon does, and reach the model behind it for assertions.
 */
#ifndef RDPD_TEST_STACK_UTIL_H
#define RDPD_TEST_STACK_UTIL_H

#include "err.h"
#include "jobs/unlock_job.h"
#include "probes/probe_link.h"
#include "sim/sim.h"
#include "transport/simulated.h"

/* Open URI on a fresh simulated board: simulated chips live per URI for the
 * whole process (as boards on a bench do), so each call gets its own serial. */
static struct probe_link *stack_open(const char *uri)
{
	static unsigned n;
	struct probe_link *pl = NULL;
	char fresh[256];
	int rc;

	snprintf(fresh, sizeof(fresh), "%s%sserial=STACK%u", uri, strchr(uri, '?') ? "&" : "?", ++n);
	rc = probe_link_open(fresh, &pl);
	if (rc < 0)
		fprintf(stderr, "  cannot open %s: %s\n", fresh, err_detail());
	return rc < 0 ? NULL : pl;
}

/* Open URI again as it is (the same simulated board as before). */
static __attribute__((unused)) struct probe_link *stack_reopen(struct probe_link *pl)
{
	char uri[TRANSPORT_URI_MAX];
	struct probe_link *again = NULL;

	snprintf(uri, sizeof(uri), "%s", pl->t->info.uri);
	probe_link_close(pl);
	return probe_link_open(uri, &again) < 0 ? NULL : again;
}

static __attribute__((unused)) struct sim_probe *stack_model(struct probe_link *pl)
{
	return simulated_model(pl->t);
}

static __attribute__((unused)) struct sim_counters stack_counters(struct probe_link *pl)
{
	struct sim_counters c;

	sim_probe_get_counters(stack_model(pl), &c);
	return c;
}

static __attribute__((unused)) uint32_t stack_peek(struct probe_link *pl, uint32_t addr)
{
	uint32_t v = 0xDEADBEEF;

	sim_probe_peek32(stack_model(pl), addr, &v);
	return v;
}

/* A chip at level 2: the unlock ends as "not responding" (the debug port is
 * silent), and nothing reached the flash interface nor erased anything.
 * err_detail() is the job's sentence afterwards. Needs check.h. */
static __attribute__((unused)) void stack_unlock_refused_at_level2(struct probe_link *pl)
{
	struct target t;
	struct job_result res;

	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), -ERR_TARGET_NOT_RESPONDING);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 2);
}

/* The option register NAME of a protection report: true and *VAL (may be
 * NULL) when the driver reported it. */
static __attribute__((unused)) bool stack_has_option(const struct target_protection *p, const char *name,
						     uint32_t *val)
{
	return target_option(p, name, val);
}

/* Its value, or 0xDEADBEEF when it was not reported. */
static __attribute__((unused)) uint32_t stack_option(const struct target_protection *p, const char *name)
{
	uint32_t v = 0xDEADBEEFu;

	stack_has_option(p, name, &v);
	return v;
}

#endif
