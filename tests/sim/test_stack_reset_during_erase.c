/*
 * A system reset while rdpd changes the options (issue 12 §7). Each
 * family's own test (tests/sim/test_stack_FAMILY.c,
 * reset_during_mass_erase_is_reported_and_recovered) runs its cases of a
 * reset during the mass erase through tests/sim/interrupt_cases.h, which
 * says what must hold; here, the reset paths themselves, on the F401: a
 * reset during a lock, reset-and-halt, reset-and-run.
 */
#include "check.h"
#include "stack_util.h"

#include "cortexm/cortexm.h"

/* Raising the level erases nothing, but a reset can still cut the option
 * programming: options_interrupted, and the next lock completes. */
TEST(reset_during_lock_is_reported)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0?time_scale=1");
	struct target t;
	struct job_result res;
	int rc;

	CHECK(pl != NULL);
	if (!pl)
		return;
	sim_probe_reset_at_option_step(stack_model(pl), 1, 1);
	rc = unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res);
	fprintf(stderr, "  interrupted lock: %d %s\n", rc, rc ? err_detail() : "");
	CHECK_EQ_I(rc, -ERR_OPTIONS_INTERRUPTED);
	CHECK(strstr(err_detail(), "reset") != NULL);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	probe_link_close(pl);
}

/* The reset-and-halt path: vector catch, and the core stopped on the reset
 * vector with DFSR.VCATCH; the vector catch is off afterwards. */
TEST(reset_halt_stops_on_the_reset_vector)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0");
	struct target t;
	uint32_t dhcsr = 0, vec;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(target_attach(&pl->a, NULL, &t), 0);
	vec = stack_peek(pl, 0x08000004u) & ~1u;
	CHECK_EQ_I(cortexm_reset_halt(&pl->a), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, CORTEXM_DHCSR, &dhcsr), 0);
	CHECK(dhcsr & CORTEXM_DHCSR_S_HALT);
	CHECK(stack_peek(pl, 0xE000ED30u) & (1u << 3)); /* DFSR.VCATCH */
	CHECK_EQ_U(stack_peek(pl, CORTEXM_DEMCR) & CORTEXM_DEMCR_VC_CORERESET, 0);
	sim_probe_poke32(stack_model(pl), 0xE000EDF4u, 15); /* DCRSR: PC */
	CHECK_EQ_U(stack_peek(pl, 0xE000EDF8u), vec);
	CHECK_EQ_U(stack_counters(pl).resets, 1);
	probe_link_close(pl);
}

/* A plain reset to run the firmware leaves the core running, even from
 * halted (what pyOCD found the simulated core did not do). */
TEST(reset_run_leaves_the_core_running)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0");
	struct target t;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(target_attach(&pl->a, NULL, &t), 0);
	CHECK_EQ_I(cortexm_halt(&pl->a), 0);
	CHECK_EQ_I(cortexm_reset_run(&pl->a), 0);
	CHECK_EQ_U(stack_peek(pl, CORTEXM_DHCSR) & CORTEXM_DHCSR_S_HALT, 0);
	CHECK_EQ_U(stack_counters(pl).resets, 1);
	probe_link_close(pl);
}

int main(void)
{
	RUN(reset_during_lock_is_reported);
	RUN(reset_halt_stops_on_the_reset_vector);
	RUN(reset_run_leaves_the_core_running);
	return check_summary();
}
