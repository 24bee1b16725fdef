/*
 * The fault matrix of issue 7, SQLite FAULTSIM style (docs/sim/README.md, "Faults, power loss and resets"),
 * for one simulated part of every part row the simulator covers (the first
 * profile, in the simulator's order, that identifies as the row: so every
 * DEV_ID variant of every driver, and a new family's model is in without a
 * line here), behind each simulated probe of fm_probes (a DAPLink and an
 * ST-LINK): during an RDP read and during an unlock,
 * make the simulated probe fail the Nth SWD transfer (WAIT, FAULT, no ACK, a parity error on the Nth read:
 * once, as a WAIT storm longer than the probe's 1000 retries, and for ever)
 * or the Nth command packet (short reply, wrong command echo: once and for
 * ever; the probe gone). test_stack_faults.c does the same densely for the
 * F401 alone; this file spreads N over every family with a step where the
 * operation is long (see fm_step()): each part behind each probe runs in
 * its own child process, in parallel, since the runs mostly sleep in the
 * drivers' polls. FM_FULL=1 (`make fault-matrix`) fails every N of the
 * unlock too: minutes, not for every `make test`. FM_FAMILY=stm32l476rg
 * and FM_PROBE=stlink-v2-1 run one part or one probe alone.
 *
 * Every run must tell the truth:
 *  - 0: the model's chip is at the level asked for (1 for the read of an
 *    -rdp1 profile; 0 for the unlock) and was mass-erased exactly once;
 *  - an error: a specific code of the kind the fault explains on that
 *    probe's protocol (fm_code_allowed; never internal_error), a non-empty
 *    detail, and the chip at level 1 with no
 *    erase or at level 0 with exactly one, also after a power cycle (options
 *    programmed but not yet loaded are level 1 now and level 0 after the
 *    power-on reset; the job then fails, which is the truth: not finished);
 *  - once the fault is cleared, the same link reads the chip again, and the
 *    level it reads is the one the model applies, also when the unlock left
 *    the option register edited but never programmed (an OPTSTRT lost for
 *    good; test_stack_pending.c has that case alone); closed and opened again,
 *    the probe reads it too (released and usable).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.001"
#define FM_MAX_FAILS 2000 /* printed per family; the rest are only counted */

#define FM_MAX_FAMILIES 128

/* A simulated part: profile "<part>-rdp1" is the one faulted. */
struct fm_family {
	char part[48];
};

/* A simulated probe the parts run behind: the URI option that picks it
 * (transport/simulated.c) and what its packet faults damage. */
struct fm_probe {
	const char *name;   /* in test names and FM_PROBE */
	const char *option; /* appended to the URI */
	/* WRONG_ECHO flips bit 0 of a reply's first byte, and on an ST-LINK
	 * that is a status or a data byte, not a command echo
	 * (docs/sim/stlink.md, "Faults"). */
	bool echo_is_status_or_data;
};

static const struct fm_probe fm_probes[] = {
	{"cmsis-dap", "", false},
	{"stlink-v2-1", "&probe=stlink-v2-1", true},
};

#define FM_N_PROBES (sizeof(fm_probes) / sizeof(fm_probes[0]))

static struct fm_family fm_families[FM_MAX_FAMILIES];
static size_t fm_n_families;

enum fm_mode { FM_ONCE, FM_STORM, FM_FOREVER };

static const char *const fm_mode_names[] = {"once", "storm", "forever"};

static const char *fm_kind_name(enum sim_fault_kind k)
{
	static const char *const names[] = {"none", "WAIT", "FAULT", "NO_ACK", "SHORT_REPLY",
					    "WRONG_ECHO", "DROP_PROBE", "PARITY"};

	return names[k];
}

/* One run's context, printed with every failed assertion. */
struct fm_run {
	const struct fm_family *fam;
	const struct fm_probe *probe;
	bool unlock;
	enum sim_fault_kind kind;
	enum fm_mode mode;
	uint64_t n;
	int rc;
	char detail[200];
	struct sim_probe *sp;
};

static uint64_t fm_erases(struct sim_probe *sp)
{
	struct sim_counters c;

	sim_probe_get_counters(sp, &c);
	return c.mass_erases;
}

static unsigned fm_fails, fm_runs;
static bool fm_full; /* FM_FULL=1: every N of the unlock too */
/* What a clean read of the family's -rdp1 profile says (H5: a product
 * state, not a level). */
static enum rdp_level fm_clean_level = RDP_LEVEL_1;
/* A clean unlock is refused with not_supported (H5 product states): every
 * faulted unlock must fail, and nothing may be erased. */
static bool fm_unlock_refused;
static unsigned fm_codes[2][64]; /* [unlock][code index]: outcome histogram */

static void fm_fail(const struct fm_run *r, const char *cond, int line)
{
	check_current_failed = 1;
	if (++fm_fails > FM_MAX_FAILS)
		return;
	fprintf(stderr, "  FAIL %s:%d [%s %s %s %s %s N=%llu]: %s (rc %d: %s) model: level %d, %llu erase(s)\n",
		__FILE__, line, r->fam->part, r->probe->name, r->unlock ? "unlock" : "read", fm_kind_name(r->kind),
		fm_mode_names[r->mode], (unsigned long long)r->n, cond, r->rc, r->detail,
		r->sp ? sim_probe_rdp_level(r->sp) : -1,
		r->sp ? (unsigned long long)fm_erases(r->sp) : 0ull);
}

#define FM_CHECK(r, cond)                                  \
	do {                                               \
		if (!(cond))                               \
			fm_fail((r), #cond, __LINE__);     \
	} while (0)

static void fm_count_code(bool unlock, int rc)
{
	static const int codes[] = {0, ERR_TARGET_FAULT, ERR_TARGET_NOT_RESPONDING,
				    ERR_TARGET_WAIT_TIMEOUT, ERR_TARGET_UNKNOWN_CHIP,
				    ERR_TARGET_HALT_FAILED, ERR_FLASH_LOCKED, ERR_FLASH_ERROR,
				    ERR_FLASH_TIMEOUT, ERR_VERIFY_FAILED, ERR_PROBE_PROTOCOL,
				    ERR_PROBE_DISCONNECTED, ERR_PROBE_UNSUPPORTED, ERR_PROBE_TIMEOUT,
				    ERR_NOT_SUPPORTED};
	size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++)
		if (-rc == codes[i]) {
			fm_codes[unlock][i]++;
			return;
		}
	fm_codes[unlock][n]++; /* anything else: an assertion fails too */
}

/* A WRONG_ECHO behind a probe whose replies start with a status or data
 * (docs/sim/stlink.md, "Faults"): an OK status becomes DEBUG_ERR_FAULT,
 * which the driver reports as the probe's own failure, except from ENTER,
 * where it is the firmware's word that the debug port did not power up
 * (the target then is silent); a target's real FAULT becomes WAIT (0x11 to
 * 0x10) and WAIT becomes FAULT; a data byte carries one wrong bit that no
 * host can see, which an ID read or the blank check after the erase then
 * catches. */
static bool fm_status_or_data_flipped(const struct fm_probe *probe, enum sim_fault_kind kind)
{
	return probe->echo_is_status_or_data && kind == SIM_FAULT_WRONG_ECHO;
}

/* The codes a fault of KIND may explain behind PROBE. */
static bool fm_code_allowed(const struct fm_probe *probe, enum sim_fault_kind kind, bool unlock, int rc)
{
	bool swd = kind == SIM_FAULT_WAIT || kind == SIM_FAULT_FAULT || kind == SIM_FAULT_NO_ACK ||
		   kind == SIM_FAULT_PARITY;
	bool flipped = fm_status_or_data_flipped(probe, kind);

	switch (-rc) {
	case ERR_TARGET_FAULT:
	case ERR_TARGET_NOT_RESPONDING:
	case ERR_TARGET_WAIT_TIMEOUT:
	case ERR_TARGET_UNKNOWN_CHIP:
		return swd || flipped;
	case ERR_TARGET_HALT_FAILED:
		return swd;
	case ERR_VERIFY_FAILED:
		return unlock && (swd || flipped);
	case ERR_FLASH_LOCKED: /* a key write lost: the controller locks until reset */
	case ERR_FLASH_ERROR:
	case ERR_FLASH_TIMEOUT:
		return unlock && swd;
	case ERR_PROBE_PROTOCOL:
	case ERR_PROBE_UNSUPPORTED: /* a damaged DAP_Info answer at open/connect */
		return kind == SIM_FAULT_SHORT_REPLY || kind == SIM_FAULT_WRONG_ECHO;
	case ERR_PROBE_DISCONNECTED:
		return kind == SIM_FAULT_DROP_PROBE;
	default:
		return false;
	}
}

static struct probe_link *fm_open(const struct fm_family *fam, const struct fm_probe *probe)
{
	char uri[128];

	snprintf(uri, sizeof(uri), "sim:%s-rdp1" FAST "%s", fam->part, probe->option);
	return stack_open(uri);
}

/* ---- what a clean operation costs ---- */

struct fm_costs {
	uint64_t swd, packets;
	uint64_t poll_first, poll_last; /* SWD transfers at the erase poll's start and end */
};

struct fm_probe_ctx {
	struct sim_probe *sp;
	uint64_t base;
	struct fm_costs *c;
};

static void fm_costs_progress(void *ctx, unsigned pct)
{
	struct fm_probe_ctx *p = ctx;
	struct sim_counters now;

	sim_probe_get_counters(p->sp, &now);
	if (pct == 0 && !p->c->poll_first)
		p->c->poll_first = now.swd_transfers - p->base;
	if (pct == 100)
		p->c->poll_last = now.swd_transfers - p->base;
}

static int fm_op(struct probe_link *pl, bool unlock, const struct job_events *ev,
		 struct target *t, struct target_protection *p, struct job_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!unlock)
		return unlock_job_read_rdp(&pl->a, NULL, t, p);
	return unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, ev, t, res);
}

static void fm_measure(const struct fm_family *fam, const struct fm_probe *probe, bool unlock,
		       struct fm_costs *c)
{
	struct probe_link *pl = fm_open(fam, probe);
	struct sim_counters c0, c1;
	struct target t;
	struct target_protection p;
	struct job_result res;
	struct fm_probe_ctx ctx;
	struct job_events ev = {.ctx = &ctx, .progress = fm_costs_progress};
	int rc;

	memset(c, 0, sizeof(*c));
	if (!pl)
		return;
	c0 = stack_counters(pl);
	ctx = (struct fm_probe_ctx){.sp = stack_model(pl), .base = c0.swd_transfers, .c = c};
	rc = fm_op(pl, unlock, &ev, &t, &p, &res);
	if (rc == 0 && !unlock)
		fm_clean_level = p.level;
	if (unlock)
		fm_unlock_refused = rc == -ERR_NOT_SUPPORTED;
	c1 = stack_counters(pl);
	c->swd = c1.swd_transfers - c0.swd_transfers;
	c->packets = c1.packets - c0.packets;
	probe_link_close(pl);
}

/* Step through 1..COUNT with about BUDGET points (every N when it is short). */
static uint64_t fm_step(uint64_t count, unsigned budget)
{
	return count <= budget ? 1 : (count + budget - 1) / budget;
}

/* ---- one run ---- */

/* The model's level (0, 1, 2, 5 for 0.5) as the driver names it. */
static enum rdp_level fm_level(int sim_level)
{
	switch (sim_level) {
	case 0: return RDP_LEVEL_0;
	case 1: return fm_clean_level;
	case 2: return RDP_LEVEL_2;
	case 5: return RDP_LEVEL_0_5;
	default: return RDP_UNKNOWN;
	}
}

static void fm_check_truth(struct fm_run *r, struct probe_link *pl, const struct target *t,
			   const struct job_result *res)
{
	struct sim_probe *sp = stack_model(pl);
	struct sim_counters c;
	int level;

	/* The chip finishes what it started (an erase is ~16 ms here at most);
	 * a power loss in the middle is test_stack_power_loss.c's. */
	if (r->rc != 0 && r->unlock)
		nanosleep(&(struct timespec){.tv_nsec = 20 * 1000000L}, NULL);
	level = sim_probe_rdp_level(sp);
	c = stack_counters(pl);

	FM_CHECK(r, c.mass_erases <= 1);
	FM_CHECK(r, level != 0 || c.mass_erases == 1);
	if (!r->unlock) {
		FM_CHECK(r, c.mass_erases == 0 && level == 1);
		return;
	}
	if (r->rc == 0 && !fm_unlock_refused) {
		uint32_t first = 0xDEADBEEF;

		FM_CHECK(r, level == 0 && c.mass_erases == 1);
		FM_CHECK(r, res->rdp_after == RDP_LEVEL_0 && res->flash_erased);
		FM_CHECK(r, res->flash_verified_blank || res->power_cycle_required);
		sim_probe_peek32(sp, t->flash_base, &first);
		FM_CHECK(r, first == t->drv->erased_word);
	}
	if (level == 1 && c.mass_erases == 1) {
		/* Options programmed, not loaded yet: a power-on reset loads them. */
		sim_probe_power_cycle(sp);
		level = sim_probe_rdp_level(sp);
		FM_CHECK(r, level == 0);
	}
}

static void fm_run_one(struct fm_run *r, const struct sim_fault *f)
{
	struct probe_link *pl = fm_open(r->fam, r->probe);
	struct target t;
	struct target_protection p;
	struct job_result res;
	struct sim_fault none = {0};
	int level;

	fm_runs++;
	if (!pl) {
		FM_CHECK(r, pl != NULL);
		return;
	}
	r->sp = stack_model(pl);
	pl->a.timeout_ms = 30; /* a WAIT for ever outside the erase poll ends here */
	sim_probe_set_fault(stack_model(pl), f);
	r->rc = fm_op(pl, r->unlock, NULL, &t, &p, &res);
	snprintf(r->detail, sizeof(r->detail), "%s", r->rc ? err_detail() : "");
	fm_count_code(r->unlock, r->rc);
	sim_probe_set_fault(stack_model(pl), &none);

	if (r->rc != 0) {
		bool refused = r->unlock && fm_unlock_refused && r->rc == -ERR_NOT_SUPPORTED;

		FM_CHECK(r, refused || fm_code_allowed(r->probe, r->kind, r->unlock, r->rc));
		FM_CHECK(r, r->detail[0] != '\0');
	} else if (!r->unlock) {
		snprintf(r->detail, sizeof(r->detail), "read level %g raw 0x%x",
			 target_rdp_level_number(p.level), (unsigned)p.rdp_raw);
		FM_CHECK(r, p.level == fm_clean_level);
	}
	if (fm_unlock_refused && r->unlock)
		FM_CHECK(r, r->rc != 0);
	fm_check_truth(r, pl, &t, &res);

	/* The same link, fault cleared, reads the chip again, and truthfully. */
	level = sim_probe_rdp_level(stack_model(pl));
	r->rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
	snprintf(r->detail, sizeof(r->detail), "read again: %s", r->rc ? err_detail() : "");
	FM_CHECK(r, r->rc == 0);
	if (r->rc == 0)
		FM_CHECK(r, p.level == fm_level(level));
	/* Released and usable: closed, the same board opens and reads again. */
	pl = stack_reopen(pl);
	FM_CHECK(r, pl != NULL);
	if (pl) {
		r->sp = stack_model(pl);
		r->rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
		snprintf(r->detail, sizeof(r->detail), "reopened: %s", r->rc ? err_detail() : "");
		FM_CHECK(r, r->rc == 0);
		probe_link_close(pl);
	}
}

/* ---- one family, one operation ---- */

static void fm_matrix(const struct fm_family *fam, const struct fm_probe *probe, bool unlock)
{
	static const enum sim_fault_kind swd_kinds[] = {SIM_FAULT_WAIT, SIM_FAULT_FAULT, SIM_FAULT_NO_ACK,
							 SIM_FAULT_PARITY};
	static const enum sim_fault_kind pkt_kinds[] = {SIM_FAULT_SHORT_REPLY, SIM_FAULT_WRONG_ECHO,
							 SIM_FAULT_DROP_PROBE};
	struct fm_costs c;
	/* The read is short: every N. The unlock: ~16 points plus the option
	 * writes, or every N with FM_FULL=1 (`make fault-matrix`). */
	unsigned budget = unlock && !fm_full ? 16 : 100000;

	fm_measure(fam, probe, unlock, &c);
	if (c.swd == 0 || c.packets == 0) {
		struct fm_run r = {.fam = fam, .probe = probe, .unlock = unlock};

		FM_CHECK(&r, c.swd > 0 && c.packets > 0);
		return;
	}
	for (size_t k = 0; k < 3; k++)
		for (int m = FM_ONCE; m <= FM_FOREVER; m++) {
			uint64_t step = fm_step(c.swd, budget);

			/* WAIT storms are resumed exactly: every N of the unlock up
			 * to the erase poll; only every few after it. */
			for (uint64_t n = 1 + (m * 3 + k) % step; n <= c.swd + 2; n += step) {
				struct fm_run r = {.fam = fam, .probe = probe, .unlock = unlock,
						   .kind = swd_kinds[k], .mode = m, .n = n};
				struct sim_fault f = {.kind = swd_kinds[k], .nth = n,
						      .forever = m == FM_FOREVER,
						      .count = m == FM_STORM ? 1500 : 0};

				if (m == FM_STORM && swd_kinds[k] != SIM_FAULT_WAIT)
					break; /* a FAULT or no-ACK burst is "for ever" for the host */
				/* Every N of the option writes just before the erase poll. */
				if (unlock && c.poll_first > 14 && n + step > c.poll_first - 14 &&
				    n < c.poll_first - 14)
					n = c.poll_first - 14, step = 1;
				if (step == 1 && c.swd > budget && n > c.poll_first)
					step = fm_step(c.swd, budget);
				/* A WAIT for ever inside the erase poll lasts the whole
				 * erase budget (tens of seconds; docs/service.md row 8):
				 * test_reliability.py covers that; here only outside it. */
				if (swd_kinds[k] == SIM_FAULT_WAIT && m == FM_FOREVER && unlock &&
				    c.poll_first && n >= c.poll_first && n <= c.poll_last + 12)
					continue;
				fm_run_one(&r, &f);
				if (swd_kinds[k] == SIM_FAULT_WAIT && m != FM_FOREVER)
					FM_CHECK(&r, r.rc == 0); /* retried by the probe or resumed */
			}
		}
	for (size_t k = 0; k < 3; k++)
		for (int m = FM_ONCE; m <= FM_FOREVER; m += FM_FOREVER) {
			uint64_t step = fm_step(c.packets, unlock && !fm_full ? 12 : 100000);

			if (pkt_kinds[k] == SIM_FAULT_DROP_PROBE && m == FM_ONCE)
				continue; /* gone is gone: for ever by nature */
			for (uint64_t n = 1 + k % step; n <= c.packets + 1; n += step) {
				struct fm_run r = {.fam = fam, .probe = probe, .unlock = unlock,
						   .kind = pkt_kinds[k], .mode = m, .n = n};
				struct sim_fault f = {.kind = pkt_kinds[k], .nth = n,
						      .forever = m == FM_FOREVER};

				fm_run_one(&r, &f);
			}
		}
	fprintf(stderr, "  %s %s %s: %llu SWD transfers, %llu packets clean\n", fam->part, probe->name,
		unlock ? "unlock" : "read", (unsigned long long)c.swd, (unsigned long long)c.packets);
}

static double fm_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child process: one family behind one probe, both operations. Exit
 * status = failed. */
static int fm_child(const struct fm_family *fam, const struct fm_probe *probe)
{
	double t0 = fm_now();

	check_current_name = fam->part;
	fm_matrix(fam, probe, false);
	fm_matrix(fam, probe, true);
	fprintf(stderr,
		"  %s %s: %u runs in %.1f s; read outcomes ok/fault/no-resp/wait-to/unknown: %u/%u/%u/%u/%u; "
		"unlock ok/fault/no-resp/wait-to/halt/flash-locked/flash-err/flash-to/verify/proto/gone/unsupp/not-supp/other: "
		"%u/%u/%u/%u/%u/%u/%u/%u/%u/%u/%u/%u/%u/%u\n",
		fam->part, probe->name, fm_runs, fm_now() - t0, fm_codes[0][0], fm_codes[0][1], fm_codes[0][2],
		fm_codes[0][3], fm_codes[0][4], fm_codes[1][0], fm_codes[1][1], fm_codes[1][2],
		fm_codes[1][3], fm_codes[1][5], fm_codes[1][6], fm_codes[1][7], fm_codes[1][8],
		fm_codes[1][9], fm_codes[1][10], fm_codes[1][11], fm_codes[1][12], fm_codes[1][14],
		fm_codes[1][15]);
	if (fm_fails > FM_MAX_FAILS)
		fprintf(stderr, "  %s %s: %u more failures not shown\n", fam->part, probe->name,
			fm_fails - FM_MAX_FAILS);
	return check_current_failed ? 1 : 0;
}

static bool fm_profile_exists(const char *name)
{
	for (size_t i = 0; i < sim_profiles_count(); i++)
		if (strcmp(sim_profiles_name(i), name) == 0)
			return true;
	return false;
}

/* One simulated part per part row (docs/sim/README.md: a part P has the
 * profiles P-rdp0 and P-rdp1; the others are special ones): each P-rdp0 is
 * identified, and the first P for each row is kept. */
static void fm_list_families(void)
{
	const struct target_part *rows[FM_MAX_FAMILIES];

	for (size_t i = 0; i < sim_profiles_count() && fm_n_families < FM_MAX_FAMILIES; i++) {
		const char *name = sim_profiles_name(i);
		size_t n = strlen(name);
		char uri[96], part[48], rdp1[64];
		struct probe_link *pl;
		struct target t;
		struct target_protection p;
		bool seen = false;

		if (n < 6 || n - 5 >= sizeof(part) || strcmp(name + n - 5, "-rdp0") != 0)
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)(n - 5), name);
		snprintf(rdp1, sizeof(rdp1), "%s-rdp1", part);
		if (!fm_profile_exists(rdp1))
			continue;
		snprintf(uri, sizeof(uri), "sim:%s" FAST, name);
		if (!(pl = stack_open(uri)))
			continue;
		memset(&t, 0, sizeof(t));
		if (unlock_job_read_rdp(&pl->a, NULL, &t, &p) == 0) {
			for (size_t k = 0; k < fm_n_families; k++)
				seen |= rows[k] == t.part;
			if (!seen) {
				rows[fm_n_families] = t.part;
				snprintf(fm_families[fm_n_families++].part, sizeof(fm_families[0].part), "%s", part);
			}
		} else {
			fprintf(stderr, "  %s not identified: %s\n", name, err_detail());
		}
		probe_link_close(pl);
	}
}

/* One child per part and probe, [part][probe], and how it ended. At most
 * fm_parallel() run at once: every child at once (over a hundred, each
 * a few hundred MB under ASan) ran a 24 GB machine out of memory, and the
 * kernel's OOM killer ended children that had failed nothing. */
static pid_t fm_pids[FM_MAX_FAMILIES][FM_N_PROBES];
static int fm_status[FM_MAX_FAMILIES][FM_N_PROBES];
static int fm_current_status = -1;

static size_t fm_parallel(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 2 : n > 8 ? 32 : (size_t)n * 4;
}

/* Wait for any child and keep its status: 0, or -1 when none is left. */
static int fm_reap(void)
{
	int status = 0;
	pid_t pid = waitpid(-1, &status, 0);

	if (pid <= 0)
		return -1;
	for (size_t i = 0; i < fm_n_families; i++)
		for (size_t p = 0; p < FM_N_PROBES; p++)
			if (fm_pids[i][p] == pid)
				fm_status[i][p] = status;
	return 0;
}

TEST(family_matrix)
{
	int status = fm_current_status;

	CHECK(status != -1);
	if (status == -1)
		return;
	if (WIFSIGNALED(status))
		fprintf(stderr, "  the child ended by signal %d\n", WTERMSIG(status));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* FM_FAMILY and FM_PROBE (either unset: all) select part I behind probe P. */
static bool fm_selected(size_t i, size_t p)
{
	const char *part = getenv("FM_FAMILY"), *probe = getenv("FM_PROBE");

	return (!part || strcmp(part, fm_families[i].part) == 0) &&
	       (!probe || strcmp(probe, fm_probes[p].name) == 0);
}

int main(void)
{
	double t0 = fm_now();
	size_t selected = 0, running = 0, total;
	char name[96];

	fm_full = getenv("FM_FULL") && strcmp(getenv("FM_FULL"), "1") == 0;
	fm_list_families();
	total = fm_n_families * FM_N_PROBES;
	fprintf(stderr, "  %zu simulated parts, one per part row, behind %zu probes\n", fm_n_families,
		FM_N_PROBES);
	fflush(NULL);
	for (size_t i = 0; i < fm_n_families; i++)
		for (size_t p = 0; p < FM_N_PROBES; p++) {
			/* One not selected is not run and not counted (a
			 * family not run has not passed). */
			fm_status[i][p] = -1;
			if (!fm_selected(i, p))
				continue;
			if (running >= fm_parallel() && fm_reap() == 0)
				running--;
			selected++;
			fm_pids[i][p] = fork();
			if (fm_pids[i][p] == 0)
				_exit(fm_child(&fm_families[i], &fm_probes[p]));
			running += fm_pids[i][p] > 0;
		}
	while (running > 0 && fm_reap() == 0)
		running--;
	for (size_t i = 0; i < fm_n_families; i++)
		for (size_t p = 0; p < FM_N_PROBES; p++) {
			if (!fm_selected(i, p))
				continue;
			snprintf(name, sizeof(name), "%.47s %.40s", fm_families[i].part, fm_probes[p].name);
			check_current_name = name;
			check_current_failed = 0;
			fm_current_status = fm_status[i][p];
			test_family_matrix();
			fprintf(stderr, "%s %s\n", check_current_failed ? "not ok" : "ok", name);
			if (check_current_failed)
				check_tests_failed++;
			else
				check_tests_passed++;
		}
	if (!selected) {
		fprintf(stderr, "  FAIL FM_FAMILY / FM_PROBE select nothing of the matrix\nnot ok fm_select\n");
		check_tests_failed++;
	} else if (selected < total) {
		/* tests/run.sh lists SKIPPED: lines in its summary. */
		printf("SKIPPED: %zu of %zu part and probe pairs not run (FM_FAMILY, FM_PROBE)\n",
		       total - selected, total);
	}
	fprintf(stderr, "fault matrix: %.1f s\n", fm_now() - t0);
	return check_summary();
}
