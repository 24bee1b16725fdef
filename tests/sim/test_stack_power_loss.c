/*
 * Power lost in the middle of option programming (issue 7). Each family's
 * own test (tests/sim/test_stack_FAMILY.c, power_loss_during_option_programming)
 * runs its cases through tests/sim/interrupt_cases.h, which says what must
 * hold; here, what holds for every family: the power-fail knob disarmed
 * leaves a normal unlock.
 */
#include "check.h"
#include "stack_util.h"

/* Disarmed, or on a family without the model, nothing changes. */
TEST(power_fail_disarmed_is_a_normal_unlock)
{
	struct probe_link *pl = stack_open("sim:stm32l476rg-rdp1?time_scale=0.001");
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	sim_probe_power_fail_at_option_start(stack_model(pl), true);
	sim_probe_power_fail_at_option_start(stack_model(pl), false);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_U(stack_counters(pl).power_cycles, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	probe_link_close(pl);
}

int main(void)
{
	RUN(power_fail_disarmed_is_a_normal_unlock);
	return check_summary();
}
