/*
 * Power lost in the middle of option programming (issue 7): the simulated
 * chip loses power right after the packet that set OPTSTRT
 * (sim_probe_power_fail_at_option_start). Interrupted option programming
 * leaves the option bytes invalid, loaded as level 1 (RM0444 caution,
 * facts §7; RM0090 §3.7.3 for F2/F4/F7: an erased RDP byte is level 1), with
 * OPTVERR on the L4-style parts (RM0351 §3.4.2). rdpd must fail the job
 * truthfully, read level 1 (and the flag) next, and recover the chip to
 * level 0 with the next unlock, erasing it exactly once.
 */
#include "check.h"
#include "stack_util.h"

static const struct pl_case {
	const char *uri;
	bool optverr; /* the family has FLASH_SR.OPTVERR */
} pl_cases[] = {
	{"sim:stm32f401re-rdp1?time_scale=0.001", false},
	{"sim:stm32f746zg-rdp1?time_scale=0.001", false},
	{"sim:stm32l476rg-rdp1?time_scale=0.001", true},
	{"sim:stm32g071rb-rdp1?time_scale=0.001", true},
	{"sim:stm32wb55rg-rdp1?time_scale=0.001", true},
	{"sim:stm32u585ai-rdp1?time_scale=0.001", false}, /* NSSR: no OPTVERR modelled (?) */
};

TEST(power_loss_during_option_programming)
{
	for (size_t i = 0; i < sizeof(pl_cases) / sizeof(pl_cases[0]); i++) {
		const struct pl_case *c = &pl_cases[i];
		struct probe_link *pl = stack_open(c->uri);
		struct target t;
		struct target_protection p;
		struct job_result res;
		struct sim_counters k;
		uint32_t v = 0;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		fprintf(stderr, "  %s\n", c->uri);
		/* 1. The unlock is cut by the power loss: it fails, and says why. */
		sim_probe_power_fail_at_option_start(stack_model(pl), true);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		fprintf(stderr, "    interrupted unlock: %d %s\n", rc, rc ? err_detail() : "");
		CHECK(rc == -ERR_TARGET_NOT_RESPONDING || rc == -ERR_TARGET_FAULT ||
		      rc == -ERR_VERIFY_FAILED || rc == -ERR_FLASH_ERROR);
		CHECK(*err_detail() != '\0');
		k = stack_counters(pl);
		CHECK_EQ_U(k.power_cycles, 1);
		CHECK_EQ_U(k.mass_erases, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);

		/* 2. The next read: level 1 from invalid option bytes (RDP 0xFF),
		 * and OPTVERR among the options where the family has it. */
		rc = rdp_read_run(&pl->a, NULL, &t, &p);
		CHECK_EQ_I(rc, 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xFF);
		CHECK(stack_has_option(&p, "optverr", &v) == c->optverr);
		if (c->optverr)
			CHECK_EQ_U(v, 1);

		/* 3. The next unlock recovers it: level 0, erased exactly once. */
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		if (rc)
			fprintf(stderr, "    recovery: %s\n", err_detail());
		CHECK_EQ_I(rc, 0);
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, t.flash_base), t.drv->erased_word);
		CHECK_EQ_U(stack_peek(pl, t.flash_base + t.flash_kb * 1024u - 4), t.drv->erased_word);
		/* After a power cycle the options are valid again: no OPTVERR. */
		sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(rdp_read_run(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK(!stack_has_option(&p, "optverr", &v));
		probe_link_close(pl);
	}
}

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
	RUN(power_loss_during_option_programming);
	RUN(power_fail_disarmed_is_a_normal_unlock);
	return check_summary();
}
