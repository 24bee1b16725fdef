/*
 * A system reset while rdpd waits for the mass erase (issue 12 §7): the
 * target resets itself (a watchdog) or someone pulls NRST. The simulated
 * chip is reset once rdpd has polled the busy flag once after starting the
 * erase (sim_probe_reset_at_option_step). What the chip then holds is the
 * family's (docs/sim-cortexm.md, "Reset during a mass erase"): RM0444's
 * caution for the L4-style parts, PM0075's order for F0/F1/F3, and the
 * conservative case where no manual says (erase aborted, level unchanged,
 * flash partly erased). Whatever the family, the job must end failed with
 * erase_interrupted and say the chip is still locked and may be partly
 * erased; the next unlock must recover it with one erase.
 *
 * The erase times are scaled to about half a second of wall time, so the
 * erase is still running when the reset comes even on a slow machine (the
 * reset is placed by packet count, not by time).
 */
#include "check.h"
#include "stack_util.h"

#include "cortexm/cortexm.h"

static const struct rd_case {
	const char *uri;
	unsigned step; /* the option programming step the reset cuts */
} rd_cases[] = {
	{"sim:stm32f401re-rdp1?time_scale=0.125", 1},  /* F2/F4/F7: none says */
	{"sim:stm32f746zg-rdp1?time_scale=0.0625", 1},
	{"sim:gd32f450zk-rdp1?time_scale=0.03", 1},
	{"sim:stm32l476rg-rdp1?time_scale=10", 1},     /* L4-style: RM0444 caution */
	{"sim:stm32g071rb-rdp1?time_scale=20", 1},
	{"sim:stm32wb55rg-rdp1?time_scale=20", 1},
	{"sim:stm32u585ai-rdp1?time_scale=10", 1},     /* L5/U5 */
	{"sim:stm32f103c8-rdp1?time_scale=10", 2},     /* F1: RDP half-word's erase */
	{"sim:stm32f072rb-rdp1?time_scale=10", 2},     /* F0 */
	{"sim:gd32f130c8-rdp1?time_scale=10", 2},      /* GD32F1x0 */
	{"sim:stm32l073rz-rdp1?time_scale=2.5", 1},    /* L0 */
	{"sim:stm32l152re-rdp1?time_scale=1.25", 1},   /* L1 */
	{"sim:stm32h743zi-rdp1?time_scale=0.0625", 1}, /* H7 */
	{"sim:at32f403acgu7-rdp1?time_scale=1", 2},    /* AT32F4: the FAP write */
};

TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	for (size_t i = 0; i < sizeof(rd_cases) / sizeof(rd_cases[0]); i++) {
		const struct rd_case *c = &rd_cases[i];
		struct probe_link *pl = stack_open(c->uri);
		struct target t;
		struct job_result res;
		struct sim_counters k;
		uint32_t last;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		fprintf(stderr, "  %s\n", c->uri);
		sim_probe_reset_at_option_step(stack_model(pl), c->step, 1);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		fprintf(stderr, "    interrupted unlock: %d %s\n", rc, rc ? err_detail() : "");
		CHECK_EQ_I(rc, -ERR_ERASE_INTERRUPTED);
		CHECK(strstr(err_detail(), "reset") != NULL);
		CHECK(strstr(err_detail(), "partly erased") != NULL);
		CHECK(strstr(err_detail(), "level 1") != NULL);
		CHECK(strstr(err_detail(), "unlock it again") != NULL);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		k = stack_counters(pl);
		CHECK(k.resets >= 1);
		CHECK_EQ_U(k.power_cycles, 0);
		CHECK_EQ_U(k.mass_erases, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		/* Partly erased: the start of the flash erased, its end not. */
		last = t.flash_base + t.flash_kb * 1024u;
		if (t.drv->flash_end)
			CHECK_EQ_I(t.drv->flash_end(&t, &last), 0);
		last -= 4;
		CHECK_EQ_U(stack_peek(pl, t.flash_base + 16), t.drv->erased_word);
		CHECK(stack_peek(pl, last) != t.drv->erased_word);

		/* The next unlock recovers it with one erase. */
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		if (rc)
			fprintf(stderr, "    recovery: %s\n", err_detail());
		CHECK_EQ_I(rc, 0);
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, t.flash_base), t.drv->erased_word);
		CHECK_EQ_U(stack_peek(pl, last), t.drv->erased_word);
		probe_link_close(pl);
	}
}

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
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	RUN(reset_during_lock_is_reported);
	RUN(reset_halt_stops_on_the_reset_vector);
	RUN(reset_run_leaves_the_core_running);
	return check_summary();
}
