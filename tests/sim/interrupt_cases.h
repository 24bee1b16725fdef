/*
 * interrupt_cases.h - option programming cut short, the checks every
 * family's own test runs over its cases (tests/sim/test_stack_FAMILY.c):
 * a case table per family, a new family's cases in its own file.
 *
 * Power lost in the middle of option programming (issue 7): the simulated
 * chip loses power right after the packet that started the Nth option
 * programming step (sim_probe_power_fail_at_option_step; step 1 is OPTSTRT
 * / OPTSTART / the L0 RDP word write / the F1 option page erase, step 2 on
 * F1-style parts the RDP half-word). Interrupted option programming leaves
 * the option bytes invalid, loaded as level 1 (RM0444 §3.4.2 caution;
 * RM0090 §3.7.3 for F2/F4/F7: an erased RDP byte is level 1; PM0075 §2.4.1
 * and RM0091 §3.3.1 for F0/F1/F3: an erased RDP half-word protects), with the
 * family's option error flag where it has one: OPTVERR on the L4-style parts
 * (RM0351 §3.4.2) and L0/L1 (RM0377 §3.7, RM0038 §3.9), OPTERR on F1
 * (PM0075 §3.4.6; not for an erased page on F0/F3, RM0091 §4.1),
 * OPTCHANGEERR on H7 (RM0433 §4.4.3); none on AT32F4, whose erased FAP
 * byte is the low level (docs/targets/at32f4.md,
 * "Registers the driver uses"). rdpd must fail the job truthfully, read
 * level 1 (and the flag) next, and recover the chip to level 0 with the next
 * unlock, erasing it exactly once.
 *
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
 *
 * Needs check.h and stack_util.h.
 */
#ifndef RDPD_TEST_INTERRUPT_CASES_H
#define RDPD_TEST_INTERRUPT_CASES_H

#include <string.h>

/* Power lost at option programming step STEP of the unlock of URI. */
struct pl_case {
	const char *uri;
	unsigned step;     /* the option programming step the power fails at */
	int err;           /* what the interrupted unlock fails with */
	const char *says;  /* ... and the start of its sentence */
	uint32_t rdp_raw;  /* what the next read reports as the stored RDP */
	const char *flag;  /* the option error flag reported, or NULL */
};

/* A system reset once rdpd has polled the erase of step STEP of the unlock
 * of URI once; URI's time_scale makes the erase last about half a second. */
struct rd_case {
	const char *uri;
	unsigned step; /* the option programming step the reset cuts */
};

/* The unlock fails truthfully, the next read says level 1 (and the flag),
 * the next unlock recovers the chip with one erase. */
static __attribute__((unused)) void interrupt_power_loss(const struct pl_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct pl_case *c = &cases[i];
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
		fprintf(stderr, "  %s step %u\n", c->uri, c->step);
		/* 1. The unlock is cut by the power loss: it fails, and says why. */
		sim_probe_power_fail_at_option_step(stack_model(pl), c->step);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		fprintf(stderr, "    interrupted unlock: %d %s\n", rc, rc ? err_detail() : "");
		CHECK_EQ_I(rc, c->err);
		CHECK(strncmp(err_detail(), c->says, strlen(c->says)) == 0);
		if (c->err == -ERR_TARGET_NOT_RESPONDING)
			CHECK(strstr(err_detail(), "stopped answering") != NULL);
		k = stack_counters(pl);
		CHECK_EQ_U(k.power_cycles, 1);
		CHECK_EQ_U(k.mass_erases, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);

		/* 2. The next read: level 1 from invalid option bytes, and the
		 * family's option error flag where it has one. */
		rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
		CHECK_EQ_I(rc, 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, c->rdp_raw);
		if (c->flag) {
			CHECK(stack_has_option(&p, c->flag, &v));
			CHECK_EQ_U(v, 1);
		}
		CHECK(!stack_has_option(&p, "optverr", NULL) || (c->flag && !strcmp(c->flag, "optverr")));
		CHECK(!stack_has_option(&p, "opterr", NULL) || (c->flag && !strcmp(c->flag, "opterr")));

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
		/* After a power cycle the options are valid again: no flag. */
		sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		if (c->flag)
			CHECK(!stack_has_option(&p, c->flag, &v));
		probe_link_close(pl);
	}
}

/* The unlock ends erase_interrupted and says so, the chip is still at level
 * 1 and partly erased, the next unlock recovers it with one erase. */
static __attribute__((unused)) void interrupt_reset_during_erase(const struct rd_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct rd_case *c = &cases[i];
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

#endif
