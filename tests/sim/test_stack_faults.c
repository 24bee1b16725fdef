/*
 * Faults under the whole stack, SQLite FAULTSIM style: for every N, make the
 * simulated probe fail the Nth SWD transfer or command packet, once, in a
 * burst, or for ever, during an RDP read and during an unlock. Every run must
 * end in a truthful result and leave the probe usable; a WAIT storm that
 * outlasts the probe's own retries must be resumed exactly (a repeated flash
 * key write would lock the controller until reset).
 */
#include "check.h"
#include "stack_util.h"

#define URI "sim:stm32f401re-rdp1?time_scale=0.001"

static int read_once(struct probe_link *pl, struct target_protection *p)
{
	struct target t;
	struct target_connect_opts o = {.mode = TARGET_CONNECT_NORMAL, .clock_hz = 1000000};

	return unlock_job_read_rdp(&pl->a, &o, &t, p);
}

/* Count the SWD transfers and packets one clean RDP read takes. */
static void clean_costs(uint64_t *swd, uint64_t *packets)
{
	struct probe_link *pl = stack_open(URI);
	struct target_protection p;
	struct sim_counters c0, c1;

	c0 = stack_counters(pl);
	read_once(pl, &p);
	c1 = stack_counters(pl);
	*swd = c1.swd_transfers - c0.swd_transfers;
	*packets = c1.packets - c0.packets;
	probe_link_close(pl);
}

static bool rc_in(int rc, const int *ok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rc == ok[i])
			return true;
	return false;
}

/* Each SWD-level fault at every transfer of an RDP read. */
TEST(read_survives_every_swd_fault)
{
	static const int allowed[] = {0, -ERR_TARGET_FAULT, -ERR_TARGET_NOT_RESPONDING,
				      -ERR_TARGET_WAIT_TIMEOUT, -ERR_TARGET_UNKNOWN_CHIP};
	static const enum sim_fault_kind kinds[] = {SIM_FAULT_WAIT, SIM_FAULT_FAULT, SIM_FAULT_NO_ACK};
	uint64_t swd, packets;

	clean_costs(&swd, &packets);
	CHECK(swd > 5);
	for (size_t k = 0; k < 3; k++)
		for (uint64_t n = 1; n <= swd; n++) {
			struct probe_link *pl = stack_open(URI);
			struct sim_fault f = {.kind = kinds[k], .nth = n};
			struct target_protection p;
			int rc;

			if (!pl)
				continue;
			pl->a.timeout_ms = 200;
			sim_probe_set_fault(stack_model(pl), &f);
			rc = read_once(pl, &p);
			CHECK(rc_in(rc, allowed, 5));
			if (kinds[k] == SIM_FAULT_WAIT)
				CHECK_EQ_I(rc, 0); /* a single WAIT is retried by the probe */
			if (rc == 0)
				CHECK_EQ_I(p.level, RDP_LEVEL_1);
			/* The probe must still be usable once the fault is gone. */
			sim_probe_set_fault(stack_model(pl), NULL);
			CHECK_EQ_I(read_once(pl, &p), 0);
			probe_link_close(pl);
		}
}

/* A WAIT storm longer than the probe's 1000 retries, at every transfer of an
 * unlock: the host resumes, and the unlock still succeeds, exactly once. */
TEST(unlock_resumes_wait_storms_exactly)
{
	struct probe_link *pl = stack_open(URI);
	struct target t;
	struct job_result res;
	struct sim_counters c0, c1;
	uint64_t swd;

	if (!pl)
		return;
	c0 = stack_counters(pl);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	c1 = stack_counters(pl);
	swd = c1.swd_transfers - c0.swd_transfers;
	probe_link_close(pl);
	/* Up to the erase polling, every transfer (the polls repeat themselves). */
	for (uint64_t n = 1; n <= swd && n <= 160; n++) {
		struct sim_fault f = {.kind = SIM_FAULT_WAIT, .nth = n, .count = 1500};
		int rc;

		pl = stack_open(URI);
		if (!pl)
			continue;
		sim_probe_set_fault(stack_model(pl), &f);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		if (rc != 0)
			fprintf(stderr, "  WAIT storm at transfer %llu: %s\n", (unsigned long long)n, err_detail());
		CHECK_EQ_I(rc, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		probe_link_close(pl);
	}
}

/* A fault that never ends fails the unlock with the right code and leaves
 * the chip at level 1 or erased at level 0, never in between. A FAULT that
 * starts only when the flash is read back after the change is what a chip
 * whose debugger latch survived the reset shows: success at level 0, with
 * the power cycle that will make the flash readable asked for. */
TEST(unlock_fails_truthfully_under_permanent_faults)
{
	static const enum sim_fault_kind kinds[] = {SIM_FAULT_FAULT, SIM_FAULT_NO_ACK};

	for (size_t k = 0; k < 2; k++)
		for (uint64_t n = 1; n <= 120; n += 7) {
			struct probe_link *pl = stack_open(URI);
			struct sim_fault f = {.kind = kinds[k], .nth = n, .forever = true};
			struct target t;
			struct job_result res;
			int rc, level;

			if (!pl)
				continue;
			pl->a.timeout_ms = 200;
			sim_probe_set_fault(stack_model(pl), &f);
			rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
			if (rc == 0) {
				CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
				CHECK(res.power_cycle_required && !res.flash_verified_blank);
			} else {
				CHECK(rc == -ERR_TARGET_FAULT || rc == -ERR_TARGET_NOT_RESPONDING ||
				      rc == -ERR_TARGET_WAIT_TIMEOUT || rc == -ERR_TARGET_HALT_FAILED);
				CHECK(*err_detail() != '\0');
			}
			sim_probe_set_fault(stack_model(pl), NULL);
			level = sim_probe_rdp_level(stack_model(pl));
			CHECK(level == 1 || (level == 0 && stack_counters(pl).mass_erases == 1));
			probe_link_close(pl);
		}
}

/* Probe-level faults: a short reply, a wrong command echo, the probe gone. */
TEST(probe_faults_are_reported)
{
	uint64_t swd, packets;

	clean_costs(&swd, &packets);
	for (uint64_t n = 1; n <= packets; n++) {
		static const struct {
			enum sim_fault_kind kind;
			int rc;
		} cases[] = {
			{SIM_FAULT_SHORT_REPLY, -ERR_PROBE_PROTOCOL},
			{SIM_FAULT_WRONG_ECHO, -ERR_PROBE_PROTOCOL},
			{SIM_FAULT_DROP_PROBE, -ERR_PROBE_DISCONNECTED},
		};

		for (size_t k = 0; k < 3; k++) {
			struct probe_link *pl = stack_open(URI);
			struct sim_fault f = {.kind = cases[k].kind, .nth = n};
			struct target_protection p;
			int rc;

			if (!pl)
				continue;
			sim_probe_set_fault(stack_model(pl), &f);
			rc = read_once(pl, &p);
			/* A short reply to a command whose answer is one byte long
			 * anyway cannot be told from a good one. */
			bool told = rc == cases[k].rc || (cases[k].kind == SIM_FAULT_SHORT_REPLY && rc == 0) ||
				    (cases[k].kind != SIM_FAULT_DROP_PROBE && rc == -ERR_PROBE_UNSUPPORTED);

			CHECK(told);
			if (!told)
				fprintf(stderr, "    packet %llu, fault %d: %d %s\n", (unsigned long long)n,
					(int)cases[k].kind, rc, err_detail());
			sim_probe_set_fault(stack_model(pl), NULL);
			probe_link_close(pl);
		}
	}
}

int main(void)
{
	RUN(read_survives_every_swd_fault);
	RUN(unlock_resumes_wait_storms_exactly);
	RUN(unlock_fails_truthfully_under_permanent_faults);
	RUN(probe_faults_are_reported);
	return check_summary();
}
