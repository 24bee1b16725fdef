/*
 * The whole driver stack against the simulated Artery AT32F4 (sim_at32f4.c),
 * for every profile: identify by the whole PID (F413 and F415 share one and
 * differ by the FPU), read FAP, unlock (FAP off: the chip mass-erases and
 * resets itself, the other USD contents come back), lock (FAP low), and the
 * FAP high level refused without a single flash-interface write.
 */
#include <time.h>

#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"

static const struct at32_case {
	const char *part;
	const char *name;
	uint32_t pid;
	unsigned flash_kb;
	uint32_t regs;        /* flash register base */
	uint32_t crm;         /* CRM_CTRL */
	uint32_t usd;         /* USD area */
	bool has_high;
	unsigned n_options;
} cases[] = {
	/* part            name                 PID         KB    regs        CRM         USD         high   opts */
	{"at32f403acgu7", "AT32F403A/407xG",  0x70050347, 1024, 0x40022000, 0x40021000, 0x1FFFF800, false, 3},
	{"at32f413kbu7",  "AT32F413xB",       0x700301C5,  128, 0x40022000, 0x40021000, 0x1FFFF800, false, 3},
	{"at32f415cbt7",  "AT32F415xB",       0x700301C5,  128, 0x40022000, 0x40021000, 0x1FFFF800, true,  3},
	{"at32f423cct7",  "AT32F423xC",       0x700A3249,  256, 0x40023C00, 0x40023800, 0x1FFFF800, true,  3},
	{"at32f437zct7",  "AT32F435/437xC",   0x70083251,  256, 0x40023C00, 0x40023800, 0x1FFFC000, false, 4},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct probe_link *open_profile(const struct at32_case *c, unsigned level, const char *q)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%u%s", c->part, level, q);
	return stack_open(uri);
}

TEST(identify_and_read_level1)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct at32_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 1, FAST);
		struct target t;
		struct target_protection p;
		uint32_t v = 0;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "at32f4");
		CHECK_STR(t.part->name, c->name);
		CHECK_EQ_U(t.idcode, c->pid);
		CHECK_EQ_U(t.flash_kb, c->flash_kb);
		CHECK_EQ_I(t.core, CORTEXM_M4);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		/* EPP0 = 0xFE: the first sector group is protected. */
		CHECK_EQ_U(p.wrp_raw, 0xFFFFFFFE);
		CHECK_EQ_U(p.wrp_sectors, 1);
		CHECK_STR(p.options[0].name, "usd");
		CHECK_EQ_U(p.options[0].value & 0x04000002u, 0x2); /* FAP, not FAP_HL */
		CHECK_EQ_U((p.options[0].value >> 10) & 0xFF, 0x12); /* user data 0 */
		CHECK_EQ_U(p.n_options, c->n_options);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		/* FAP on with the debugger attached: flash faults, the USD answers. */
		CHECK_EQ_I(mem_read32_now(&pl->a, 0x08000000, &v), -ERR_TARGET_FAULT);
		dp_clear_sticky(&pl->a);
		CHECK_EQ_I(mem_read32_now(&pl->a, c->usd, &v), 0);
		CHECK_EQ_U(v, 0x01FE44BB);
		probe_link_close(pl);
	}
}

TEST(read_level0)
{
	for (size_t i = 0; i < NCASES; i++) {
		struct probe_link *pl = open_profile(&cases[i], 0, FAST);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, 0xA5);
		CHECK_EQ_U(p.options[0].value & 0x2u, 0);
		probe_link_close(pl);
	}
}

TEST(unlock_level1)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct at32_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 1, FAST);
		struct target t;
		struct target_protection p;
		struct job_result res;
		uint32_t end = 0x08000000u + c->flash_kb * 1024u;
		struct sim_counters n;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		fprintf(stderr, "  %s\n", c->part);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		CHECK_EQ_U(stack_peek(pl, c->crm) & 2, 0); /* the firmware stopped HICK */
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		if (*err_detail())
			fprintf(stderr, "  detail: %s\n", err_detail());
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		if (res.power_cycle_required) {
			sim_probe_power_cycle(stack_model(pl));
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
			CHECK_EQ_I(p.level, RDP_LEVEL_0);
		} else {
			CHECK(res.flash_verified_blank);
		}
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		CHECK_EQ_U(stack_peek(pl, end - 4), 0xFFFFFFFF);
		/* FAP 0xA5 with its complement; SSB, user data and EPP back. */
		CHECK_EQ_U(stack_peek(pl, c->usd), 0x01FE5AA5);
		CHECK_EQ_U(stack_peek(pl, c->usd + 4), 0xCB34ED12);
		CHECK_EQ_U(stack_peek(pl, c->usd + 8), 0xFFFF01FE);
		/* ... and loaded by apply()'s reset. */
		CHECK_EQ_U(stack_peek(pl, c->regs + 0x1C) & 0x3FFFFFEu, 0x34u << 18 | 0x12u << 10 | 0xFEu << 2);
		CHECK_EQ_U(stack_peek(pl, c->regs + 0x20), 0xFFFFFFFE);
		n = stack_counters(pl);
		CHECK_EQ_U(n.mass_erases, 1);
		CHECK(n.resets >= 2); /* its own, then apply()'s */
		probe_link_close(pl);
	}
}

TEST(lock_then_unlock)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct at32_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 0, FAST);
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		if (*err_detail())
			fprintf(stderr, "  %s detail: %s\n", c->part, err_detail());
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		if (res.power_cycle_required)
			sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xFF);
		CHECK_EQ_U(stack_peek(pl, c->usd), 0x01FE00FF); /* FAP low, SSB kept */
		CHECK_EQ_U(stack_peek(pl, c->usd + 4), 0xCB34ED12);
		pl = stack_reopen(pl);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		probe_link_close(pl);
	}
}

/* FAP high level: the debug port is silent; series without it have no
 * "-rdp2" profile. */
TEST(high_level_never_answers_and_is_never_written)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct at32_case *c = &cases[i];
		struct probe_link *pl;
		struct target t;
		struct job_result res;
		char name[64];
		struct sim_probe *sp = NULL;

		snprintf(name, sizeof(name), "%s-rdp2", c->part);
		if (!c->has_high) {
			CHECK(sim_probe_create(name, NULL, &sp) != 0);
			continue;
		}
		pl = open_profile(c, 2, FAST);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res),
			   -ERR_TARGET_NOT_RESPONDING);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 2);
		probe_link_close(pl);
	}
}

/* High level stored but not loaded yet (the test programs FAP 0xCC): the
 * chip still answers and rdpd refuses before any flash-interface write. */
TEST(pending_high_level_is_refused_before_any_write)
{
	struct probe_link *pl = stack_open("sim:at32f415cbt7-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint64_t writes;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	mem_write32(&pl->a, 0x40021000, 1);            /* HICK on */
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
	mem_write32(&pl->a, 0x40022008, 0x45670123);
	mem_write32(&pl->a, 0x40022008, 0xCDEF89AB);
	mem_write32(&pl->a, 0x40022010, 0x260);        /* USDULKS | USDERS | ERSTR */
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	nanosleep(&(struct timespec){.tv_nsec = 5000000L}, NULL);
	mem_write32(&pl->a, 0x40022010, 0x210);        /* USDULKS | USDPRGM */
	mem_write16(&pl->a, 0x1FFFF800, 0x33CC);
	mem_write32(&pl->a, 0x40022010, 0x80);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(stack_peek(pl, 0x1FFFF800) & 0xFFFF, 0x33CC);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	writes = stack_counters(pl).flash_if_writes;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res),
		   -ERR_RDP_LEVEL2_PERMANENT);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, writes);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res),
		   -ERR_RDP_LEVEL2_PERMANENT);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, writes);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	probe_link_close(pl);
}

/* At real speed the erase runs 200 ms after the FAP write, whose reply is
 * an error; the driver waits through it and the chip's own reset. */
TEST(unlock_at_real_speed)
{
	struct probe_link *pl = stack_open("sim:at32f415cbt7-rdp1");
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(res.flash_erased);
	CHECK(res.erase_ms >= 190);
	CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	probe_link_close(pl);
}

/* Model: a wrong UNLOCK key locks the controller until reset; the UID is
 * refused while FAP is on. */
TEST(model_wrong_key_and_uid)
{
	struct probe_link *pl = stack_open("sim:at32f403acgu7-rdp1" FAST);
	struct target t;
	struct target_protection p;
	uint32_t v = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK(!t.has_uid); /* so the identification reports none (docs/uid.md) */
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x1FFFF7E8, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x1FFFF7E0, &v), 0);
	CHECK_EQ_U(v & 0xFFFF, 1024);
	CHECK_EQ_I(mem_write32_now(&pl->a, 0x40022004, 0x12345678), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	(void)adiv5_run(&pl->a);
	dp_clear_sticky(&pl->a);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022010, &v), 0);
	CHECK_EQ_U(v & 0x80, 0x80); /* OPLK stays */
	CHECK_EQ_I(cortexm_reset_halt(&pl->a), 0);
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022010, &v), 0);
	CHECK_EQ_U(v & 0x80, 0);
	probe_link_close(pl);
}

/* The driver's look-up of a whole DBGMCU word: the part, or NULL when it
 * names none (1) or the look-up failed. */
static const struct target_part *at32_find(const struct target_driver *d, struct target *t, uint32_t addr,
					   uint32_t pid)
{
	const struct target_part *p = NULL;

	return d->find_part(t, addr, pid, &p) == 0 ? p : NULL;
}

/* Artery AT32F4 by the whole PID at 0xE0042000 (docs/targets/at32f4.md,
 * "Identification"; OpenOCD artery.c): bits 15:12 count, so no DEV_ID row
 * may claim these words. The PIDs F413 and F415 share need the FPU (read
 * from the target): not here. */
TEST(at32_by_whole_pid)
{
	static const struct {
		uint32_t pid;
		const char *name;
		unsigned flash_kb;
	} pid_cases[] = {
		{0x70050347, "AT32F403A/407xG",   1024},
		{0x700502CD, "AT32F403A/407xE",    512},
		{0x70050240, "AT32F403A/407xC",    256},
		{0x70030106, "AT32F413x8",          64},
		{0x700301C4, "AT32F415xB",         128},
		{0x7003010A, "AT32F415x8",          64},
		{0x50020100, "AT32F421x8",          64},
		{0x5001000C, "AT32F421x4",          16},
		{0x7003210B, "AT32F423x8",          64},
		{0x700A3249, "AT32F423xC",         256},
		{0x50092087, "AT32F425x6",          32},
		{0x70083251, "AT32F435/437xC",     256},
		{0x7008459A, "AT32F435/437xD",     448},
		{0x70030250, "AT32WB415xC",        256},
	};
	const struct target_driver *at32 = NULL, *drv = NULL;
	struct target t = {0};

	for (size_t i = 0; i < target_driver_count(); i++)
		if (strcmp(target_driver_at(i)->name, "at32f4") == 0)
			at32 = target_driver_at(i);
	CHECK(at32 != NULL && at32->find_part != NULL);
	if (!at32 || !at32->find_part)
		return;
	for (size_t i = 0; i < sizeof(pid_cases) / sizeof(pid_cases[0]); i++) {
		const struct target_part *p = at32_find(at32, &t, 0xE0042000, pid_cases[i].pid);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(p->name, pid_cases[i].name);
		CHECK_EQ_U(at32->flash_kb_from_fsize(p, 0xFFFF), pid_cases[i].flash_kb);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFFF7E0);
		CHECK(p->erase_typ_ms < p->erase_max_ms && p->erase_max_ms >= 2400);
		/* never by DEV_ID/REV_ID */
		CHECK(target_find_part_rev(0xE0042000, pid_cases[i].pid, &drv) == NULL);
	}
	/* 0x7003010B is not in OpenOCD's current table; 0x7003210B is F423. */
	CHECK(at32_find(at32, &t, 0xE0042000, 0x7003010B) == NULL);
	CHECK(at32_find(at32, &t, 0x40015800, 0x70050347) == NULL);
	/* Shared by F413/F415: without a link to read MVFR0, no guess. */
	CHECK(at32_find(at32, &t, 0xE0042000, 0x700301C5) == NULL);
}

/* F413 and F415 share PIDs and are told apart by the FPU (MVFR0): a probe
 * that fails while MVFR0 is read is the probe's failure, never "unknown
 * chip" (found by the fault matrix once it covered every part row). Every
 * command packet of the read fails once in turn, as a short reply. */
TEST(shared_pid_probe_failure_is_the_probes)
{
	for (size_t i = 1; i <= 2; i++) { /* at32f413kbu7, at32f415cbt7 */
		for (uint64_t n = 1; n <= 12; n++) {
			struct probe_link *pl = open_profile(&cases[i], 1, FAST);
			struct sim_fault f = {.kind = SIM_FAULT_SHORT_REPLY, .nth = n};
			struct target t;
			struct target_protection p;
			int rc;

			CHECK(pl != NULL);
			if (!pl)
				continue;
			sim_probe_set_fault(stack_model(pl), &f);
			rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
			if (rc == -ERR_TARGET_UNKNOWN_CHIP)
				fprintf(stderr, "  %s, packet %llu short: %s\n", cases[i].part,
					(unsigned long long)n, err_detail());
			CHECK(rc == 0 || rc == -ERR_PROBE_PROTOCOL || rc == -ERR_PROBE_UNSUPPORTED);
			probe_link_close(pl);
		}
	}
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		/* AT32F4: power lost during the USD erase, then during the mass erase
		 * the FAP half-word starts (the chip is back at once, FAP on, half the
		 * flash erased: the job says the erase was cut short, not that it never
		 * ran). No error flag: none of the AT32 sources of
		 * docs/targets/at32f4.md names one. */
		{"sim:at32f403acgu7-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "USD erase: ", 0xFF, NULL},
		{"sim:at32f403acgu7-rdp1" FAST, 2, -ERR_ERASE_INTERRUPTED, "the mass erase was cut short", 0xFF, NULL},
		{"sim:at32f415cbt7-rdp1" FAST, 2, -ERR_ERASE_INTERRUPTED, "the mass erase was cut short", 0xFF, NULL},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:at32f403acgu7-rdp1?time_scale=1", 2},    /* AT32F4: the FAP write */
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(at32_by_whole_pid);
	RUN(shared_pid_probe_failure_is_the_probes);
	RUN(identify_and_read_level1);
	RUN(read_level0);
	RUN(unlock_level1);
	RUN(lock_then_unlock);
	RUN(high_level_never_answers_and_is_never_written);
	RUN(pending_high_level_is_refused_before_any_write);
	RUN(unlock_at_real_speed);
	RUN(model_wrong_key_and_uid);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
