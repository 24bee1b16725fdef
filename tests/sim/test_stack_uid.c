/*
 * The chip's 96-bit unique ID through the whole stack, for every profile
 * the simulator lists (the list is the simulator's, as in
 * test_stack_every_profile.c), with the model as the judge:
 *  - the identification reads the UID the model was given (sim option uid=),
 *    at the family's address (docs/uid.md), or reports none where rdpd knows
 *    no address (the GD32 F1-class parts) or the chip refuses the read (AT32
 *    with its flash access protection on);
 *  - a job that expects another UID or DEV_ID is refused right after the
 *    identification: chip_mismatch (uid_unreadable where no UID can be
 *    read), no flash-interface write, no erase, the level unchanged, no step
 *    after identify started; a job that expects the chip found goes ahead.
 */
#include <stdlib.h>

#include "check.h"
#include "stack_util.h"

static bool uid_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

static bool uid_skipped(const char *name)
{
	return strcmp(name, "no-target") == 0 || uid_suffix(name, "-rdp2");
}

/* A UID of its own for profile I: "5a" then I then a fixed tail, 24 digits. */
static void uid_for(size_t i, char hex[25])
{
	snprintf(hex, 25, "5a%06x%08x%08x", (unsigned)(i & 0xFFFFFF), 0x13572468u, 0x0badc0deu + (unsigned)i);
}

static struct probe_link *uid_open(const char *name, const char *hex)
{
	char uri[160];

	snprintf(uri, sizeof(uri), "sim:%s?time_scale=0.001&uid=%s", name, hex);
	return stack_open(uri);
}

/* Where rdpd reports no UID on purpose (docs/uid.md), for the chip T
 * identified on PL: its part row names no address (the GD32 F1-class
 * parts), or the chip refuses the debugger's read of it (AT32 with its
 * flash access protection on). Which parts those are is each family's
 * own test's to say (test_stack_f1.c, test_stack_at32.c). */
static bool uid_unknown(struct probe_link *pl, const struct target *t)
{
	uint32_t v = 0;

	if (!t->part->uid_addr[0])
		return true;
	if (mem_read32_now(&pl->a, t->part->uid_addr[0], &v) != -ERR_TARGET_FAULT)
		return false;
	dp_clear_sticky(&pl->a);
	err_clear();
	return true;
}

/* The same for profile NAME, on a board of its own. */
static bool uid_unknown_profile(const char *name)
{
	struct probe_link *pl = uid_open(name, "000000000000000000000000");
	struct target t;
	struct target_protection p;
	bool unknown = false;

	CHECK(pl != NULL);
	if (!pl)
		return false;
	memset(&t, 0, sizeof(t));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	if (t.part)
		unknown = uid_unknown(pl, &t);
	probe_link_close(pl);
	return unknown;
}

TEST(every_profile_reads_its_own_uid)
{
	unsigned read = 0, none = 0;

	for (size_t i = 0; i < sim_profiles_count(); i++) {
		const char *name = sim_profiles_name(i);
		struct probe_link *pl;
		struct target t;
		struct target_protection p;
		char want[25], got[25] = "";
		int rc;

		if (uid_skipped(name))
			continue;
		uid_for(i, want);
		pl = uid_open(name, want);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		memset(&t, 0, sizeof(t));
		rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
		CHECK_EQ_I(rc, 0);
		if (t.has_uid)
			target_uid_hex(t.uid, got);
		/* A vendor's ID, 64 bits (nRF52 DEVICEID) or 80 (KL25 UIDMH
		 * keeps 16): what the model answers at the row's addresses
		 * (docs/uid.md). */
		if (rc == 0 && t.chip_id_name && t.part->uid_addr[0]) {
			uint32_t w[3];

			for (int k = 0; k < 3; k++)
				w[k] = t.part->uid_addr[k] ? stack_peek(pl, t.part->uid_addr[k]) : 0;
			target_uid_hex(w, want);
			CHECK(strcmp(want + 8, "0000000000000000") != 0); /* the model's own, not blank */
		}
		if (rc == 0 && uid_unknown(pl, &t)) {
			if (t.has_uid)
				fprintf(stderr, "  %s: a UID (%s) where none is known\n", name, got);
			CHECK(!t.has_uid);
			none++;
		} else {
			if (strcmp(got, want) != 0)
				fprintf(stderr, "  %s: UID \"%s\", the model's is %s\n", name, got, want);
			CHECK_STR(got, want);
			read++;
		}
		probe_link_close(pl);
	}
	CHECK(read > 60);
	CHECK(none >= 6);
}

struct uid_steps {
	bool started_after_identify;
	bool identify_failed;
};

static void uid_on_step(void *ctx, enum job_step step, enum job_step_state st)
{
	struct uid_steps *s = ctx;

	if (step > JOB_STEP_IDENTIFY && st != JOB_STEP_PENDING)
		s->started_after_identify = true;
	if (step == JOB_STEP_IDENTIFY && st == JOB_STEP_FAILED)
		s->identify_failed = true;
}

/* KIND on profile NAME expecting E: refused with WANT_RC before anything is
 * written, the level as it was. */
static void uid_refused(const char *name, const char *hex, enum job_kind kind, const struct job_expect *e,
			int want_rc)
{
	struct probe_link *pl = uid_open(name, hex);
	struct uid_steps steps = {0};
	struct job_events ev = {.ctx = &steps, .step = uid_on_step};
	struct job_result res;
	struct target t;
	int level, rc;

	CHECK(pl != NULL);
	if (!pl)
		return;
	level = sim_probe_rdp_level(stack_model(pl));
	rc = unlock_job_run_expect(&pl->a, kind, NULL, e, &ev, &t, &res);
	if (rc != want_rc)
		fprintf(stderr, "  %s: %s\n", name, err_detail());
	CHECK_EQ_I(rc, want_rc);
	CHECK(steps.identify_failed);
	CHECK(!steps.started_after_identify);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), level);
	probe_link_close(pl);
}

TEST(a_job_expecting_another_chip_writes_nothing)
{
	unsigned n = 0;

	for (size_t i = 0; i < sim_profiles_count(); i++) {
		const char *name = sim_profiles_name(i);
		bool unlock = uid_suffix(name, "-rdp1"), lock = uid_suffix(name, "-rdp0");
		enum job_kind kind = unlock ? JOB_KIND_UNLOCK : JOB_KIND_LOCK;
		struct job_expect other_uid = {.uid_set = true}, other_dev = {.dev_id_set = true};
		char hex[25];

		if (uid_skipped(name) || (!unlock && !lock))
			continue;
		uid_for(i, hex);
		CHECK_EQ_I(target_uid_parse(hex, other_uid.uid), 0);
		other_uid.uid[0] ^= 1; /* one bit off */
		uid_refused(name, hex, kind, &other_uid,
			    uid_unknown_profile(name) ? -ERR_UID_UNREADABLE : -ERR_CHIP_MISMATCH);
		/* No part has DEV_ID 0xFFF (an absent DBGMCU reads so, docs/targets/common.md). */
		other_dev.dev_id = 0xFFF;
		uid_refused(name, hex, kind, &other_dev, -ERR_CHIP_MISMATCH);
		n++;
	}
	CHECK(n > 60);
}

TEST(a_job_expecting_this_chip_goes_ahead)
{
	const char *hex = "00112233445566778899aabb";
	struct probe_link *pl = uid_open("stm32f401re-rdp1", hex);
	struct job_expect e = {.uid_set = true, .dev_id_set = true, .dev_id = 0x433};
	struct job_result res;
	struct target t;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(target_uid_parse("00112233445566778899AABB", e.uid), 0);
	CHECK_EQ_I(unlock_job_run_expect(&pl->a, JOB_KIND_UNLOCK, NULL, &e, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	probe_link_close(pl);
}

TEST(uid_text)
{
	uint32_t uid[3];
	char hex[25];

	CHECK_EQ_I(target_uid_parse("0123456789ABCDEFfedcba98", uid), 0);
	CHECK_EQ_U(uid[2], 0x01234567u);
	CHECK_EQ_U(uid[1], 0x89abcdefu);
	CHECK_EQ_U(uid[0], 0xfedcba98u);
	target_uid_hex(uid, hex);
	CHECK_STR(hex, "0123456789abcdeffedcba98");
	CHECK_EQ_I(target_uid_parse("0123456789abcdeffedcba9", uid), -ERR_INVALID_ARGUMENT);
	CHECK_EQ_I(target_uid_parse("0123456789abcdeffedcba988", uid), -ERR_INVALID_ARGUMENT);
	CHECK_EQ_I(target_uid_parse("0x23456789abcdeffedcba98", uid), -ERR_INVALID_ARGUMENT);
	CHECK_EQ_I(target_uid_parse(" 123456789abcdeffedcba98", uid), -ERR_INVALID_ARGUMENT);
	CHECK_EQ_I(target_uid_parse(NULL, uid), -ERR_INVALID_ARGUMENT);
}

int main(void)
{
	RUN(every_profile_reads_its_own_uid);
	RUN(a_job_expecting_another_chip_writes_nothing);
	RUN(a_job_expecting_this_chip_goes_ahead);
	RUN(uid_text);
	return check_summary();
}
