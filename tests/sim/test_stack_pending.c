/*
 * An unlock whose link dies for good on the very write that sets OPTSTRT
 * leaves the option register holding the RDP byte written (0xAA) but never
 * programmed, with the options unlocked, until the next reset or option
 * load (RM0090 §3.6.2, RM0351 §3.7.8); the chip still applies level 1.
 * Reproduced exactly for one part of each option-register lineage: the
 * read that follows must say level 1 (the model's), name the edit as
 * "rdp_pending", and a normal unlock must then succeed. Also: an OPTSTRT
 * lost once leaves the options locked again, and a regression programmed
 * but not loaded yet (the link lost during the erase) reads as level 1.
 */
#include <time.h>

#include "check.h"
#include "stack_util.h"

struct pending_part {
	const char *uri;
	uint32_t optreg;   /* FLASH_OPTCR / FLASH_OPTR */
	unsigned rdp_shift;
	uint32_t lockreg;  /* where OPTLOCK lives */
	uint32_t optlock;
	bool page_mapped;  /* the option page is readable: rdp_raw is its byte */
};

static const struct pending_part pending_parts[] = {
	{"sim:stm32f401re-rdp1?time_scale=0.001", 0x40023C14u, 8, 0x40023C14u, 1u << 0, true},
	{"sim:stm32l476rg-rdp1?time_scale=0.001", 0x40022020u, 0, 0x40022014u, 1u << 30, true},
	{"sim:stm32wb55rg-rdp1?time_scale=0.001", 0x58004020u, 0, 0x58004014u, 1u << 30, true},
	/* WB1x: the page at 0x1FFF7800 (OPTION_BYTE_BASE, stm32wb15xx.h), not
	 * the WB5x's 0x1FFF8000 */
	{"sim:stm32wb15cc-rdp1?time_scale=0.001", 0x58004020u, 0, 0x58004014u, 1u << 30, true},
	{"sim:stm32l552ze-rdp1?time_scale=0.001", 0x40022040u, 0, 0x40022028u, 1u << 30, false},
};

#define N_PARTS (sizeof(pending_parts) / sizeof(pending_parts[0]))

static uint32_t pending_rdp(struct probe_link *pl, const struct pending_part *pp)
{
	return (stack_peek(pl, pp->optreg) >> pp->rdp_shift) & 0xFFu;
}

/* SWD transfers of a clean unlock up to the first report of the erase. */
struct pending_count {
	struct sim_probe *sp;
	uint64_t base, at_erase;
};

static void pending_progress(void *ctx, unsigned pct)
{
	struct pending_count *pc = ctx;
	struct sim_counters c;

	(void)pct;
	sim_probe_get_counters(pc->sp, &c);
	if (!pc->at_erase)
		pc->at_erase = c.swd_transfers - pc->base;
}

static uint64_t pending_erase_start(const struct pending_part *pp)
{
	struct probe_link *pl = stack_open(pp->uri);
	struct pending_count pc = {0};
	struct job_events ev = {.ctx = &pc, .progress = pending_progress};
	struct target t;
	struct job_result res;

	if (!pl)
		return 0;
	pc.sp = stack_model(pl);
	pc.base = stack_counters(pl).swd_transfers;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, &ev, &t, &res), 0);
	probe_link_close(pl);
	return pc.at_erase;
}

/* Open PP's board and run an unlock with FAULT at transfer N (for ever or
 * once). Returns the link, the unlock's result in *RC. */
static struct probe_link *pending_fail_at(const struct pending_part *pp, uint64_t n, bool forever,
					  int *rc)
{
	struct probe_link *pl = stack_open(pp->uri);
	struct sim_fault f = {.kind = SIM_FAULT_FAULT, .nth = n, .forever = forever};
	struct target t;
	struct job_result res;

	if (!pl)
		return NULL;
	pl->a.timeout_ms = 30;
	sim_probe_set_fault(stack_model(pl), &f);
	*rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
	sim_probe_set_fault(stack_model(pl), NULL);
	return pl;
}

/* The transfer that writes OPTSTRT: the last one before the erase whose
 * permanent loss leaves the register edited and nothing erased. */
static uint64_t pending_optstrt_n(const struct pending_part *pp)
{
	uint64_t first = pending_erase_start(pp);

	for (uint64_t n = first; n > 0 && n + 40 > first; n--) {
		int rc = 0;
		struct probe_link *pl = pending_fail_at(pp, n, true, &rc);
		bool edited;

		if (!pl)
			return 0;
		/* A programming that did start finishes (and counts its erase). */
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
		(void)sim_probe_rdp_level(stack_model(pl));
		edited = rc < 0 && pending_rdp(pl, pp) == 0xAA && stack_counters(pl).mass_erases == 0;
		probe_link_close(pl);
		if (edited)
			return n;
	}
	return 0;
}

static void pending_case(const struct pending_part *pp)
{
	uint64_t n = pending_optstrt_n(pp);
	struct probe_link *pl;
	struct target t;
	struct target_protection p;
	struct job_result res;
	char text[512];
	int rc = 0;

	CHECK(n > 0);
	if (n == 0)
		return;
	pl = pending_fail_at(pp, n, true, &rc);
	if (!pl)
		return;
	CHECK(rc < 0);
	CHECK(strstr(err_detail(), "starting option programming") != NULL);
	/* The gap as the chip has it: edited, unlocked, level 1, nothing erased. */
	CHECK_EQ_U(pending_rdp(pl, pp), 0xAA);
	CHECK_EQ_U(stack_peek(pl, pp->lockreg) & pp->optlock, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);

	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_U(stack_option(&p, "rdp_pending"), 0xAA);
	CHECK_EQ_U(p.rdp_raw, pp->page_mapped ? 0xBB : 0xAA);
	CHECK(!stack_has_option(&p, "rdp_stored", NULL));
	/* The sentence users read says it too. */
	CHECK(strstr(target_rdp_describe(&p, text, sizeof(text)), "RDP 0xaa written but never programmed") != NULL);
	CHECK(strncmp(text, "Level 1:", 8) == 0);

	/* A normal unlock from there: one erase, level 0. */
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.flash_erased);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK(!stack_has_option(&p, "rdp_pending", NULL));
	probe_link_close(pl);
}

TEST(optstrt_lost_for_good_reads_level_1)
{
	for (size_t i = 0; i < N_PARTS; i++) {
		check_current_name = pending_parts[i].uri;
		pending_case(&pending_parts[i]);
	}
}

/* The same write lost once: the link answers again at once, and the
 * driver puts the old value back and locks the options. */
TEST(optstrt_lost_once_relocks)
{
	for (size_t i = 0; i < N_PARTS; i++) {
		const struct pending_part *pp = &pending_parts[i];
		uint64_t n = pending_optstrt_n(pp);
		struct probe_link *pl;
		struct target t;
		struct target_protection p;
		int rc = 0;

		check_current_name = pp->uri;
		CHECK(n > 0);
		if (n == 0 || !(pl = pending_fail_at(pp, n, false, &rc)))
			continue;
		CHECK(rc < 0);
		CHECK_EQ_U(pending_rdp(pl, pp), 0xBB);
		CHECK_EQ_U(stack_peek(pl, pp->lockreg) & pp->optlock, pp->optlock);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK(!stack_has_option(&p, "rdp_pending", NULL));
		probe_link_close(pl);
	}
}

/* L4-style: the link lost for good during the erase. The page holds 0xAA,
 * programmed; OPTR shows the loaded options again (RM0444 §3.4.2), the
 * options stay unlocked, and the chip applies level 1 until the option
 * load: the read says 1 and names the stored byte; after a power cycle, 0. */
TEST(regression_programmed_not_loaded_reads_level_1)
{
	const struct pending_part *pp = &pending_parts[1];
	uint64_t first = pending_erase_start(pp);
	struct probe_link *pl;
	struct target t;
	struct target_protection p;
	char text[512];
	int rc = 0;

	CHECK(first > 0);
	if (!first || !(pl = pending_fail_at(pp, first + 2, true, &rc)))
		return;
	nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL); /* the erase ends */
	CHECK(rc < 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, pp->lockreg) & pp->optlock, 0);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_U(p.rdp_raw, 0xBB);
	CHECK_EQ_U(stack_option(&p, "rdp_stored"), 0xAA);
	CHECK(!stack_has_option(&p, "rdp_pending", NULL));
	CHECK(strstr(target_rdp_describe(&p, text, sizeof(text)), "programmed but not loaded yet") != NULL);
	sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	probe_link_close(pl);
}

int main(void)
{
	RUN(optstrt_lost_for_good_reads_level_1);
	RUN(optstrt_lost_once_relocks);
	RUN(regression_programmed_not_loaded_reads_level_1);
	return check_summary();
}
