/*
 * unlock_job.c - unlock and lock, step by step, with verification.
 *
 * Every rival tool stops at "a reset or power cycle is required" and leaves
 * the user to find out; this one applies the options, connects again, reads
 * the level back and checks that the flash reads erased, and says plainly
 * when only a power cycle will finish the job.
 */
#include "jobs/unlock_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"

/* Words read back at each end of the flash to check the erase: 256 bytes.
 * A mass erase clears the whole array or reports an error; what the read
 * back adds is that the debugger may read flash now (no latch left) and
 * that the words a program always fills are erased: an image begins with
 * its vector table (initial SP, reset vector and the system handlers are
 * the first 16 words on every Cortex-M, ARMv7-M B1.5.3), and the end of the
 * flash is the last bank's last page. 64 words are 5 DAP_TransferBlock
 * packets of a 64-byte probe per end (1 KB took 18), so the unlock ends
 * sooner after the erase (make bench). */
#define VERIFY_WORDS 64

static const char *const unlock_job_step_names[JOB_STEP_COUNT] = {
	"connect", "identify", "read_level", "program_options", "mass_erase", "reload", "verify",
};

const char *unlock_job_step_name(enum job_step step)
{
	return step < JOB_STEP_COUNT ? unlock_job_step_names[step] : "unknown";
}

const char *unlock_job_step_state_name(enum job_step_state state)
{
	static const char *const names[] = {"pending", "running", "done", "skipped", "failed"};

	return (unsigned)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

struct job_run {
	const struct job_events *ev;
	enum job_step current;
	bool erase_started;
	struct timespec erase_start;
};

static void unlock_job_step(struct job_run *r, enum job_step step, enum job_step_state state)
{
	if (state == JOB_STEP_RUNNING)
		r->current = step;
	if (r->ev && r->ev->step)
		r->ev->step(r->ev->ctx, step, state);
}

static void unlock_job_log(struct job_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unlock_job_log(struct job_run *r, const char *fmt, ...)
{
	char line[300];
	va_list ap;

	if (!r->ev || !r->ev->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->ev->log(r->ev->ctx, line);
}

static void unlock_job_target_log(void *ctx, const char *line)
{
	unlock_job_log(ctx, "%s", line);
}

/* The driver's first progress report means option programming has been
 * accepted and the erase is under way. */
static void unlock_job_target_progress(void *ctx, unsigned pct)
{
	struct job_run *r = ctx;

	if (!r->erase_started) {
		r->erase_started = true;
		clock_gettime(CLOCK_MONOTONIC, &r->erase_start);
		unlock_job_step(r, JOB_STEP_PROGRAM_OPTIONS, JOB_STEP_DONE);
		unlock_job_step(r, JOB_STEP_MASS_ERASE, JOB_STEP_RUNNING);
	}
	if (r->ev && r->ev->progress)
		r->ev->progress(r->ev->ctx, pct);
}

static int unlock_job_fail(struct job_run *r, int rc)
{
	unlock_job_step(r, r->current, JOB_STEP_FAILED);
	return rc;
}

bool unlock_job_connect_mode_from_name(const char *name, enum job_connect_mode *mode)
{
	if (name && strcmp(name, "normal") == 0)
		*mode = JOB_CONNECT_NORMAL;
	else if (name && strcmp(name, "under-reset") == 0)
		*mode = JOB_CONNECT_UNDER_RESET;
	else
		return false;
	return true;
}

struct target_connect_opts unlock_job_connect_opts(uint32_t clock_hz, enum job_connect_mode mode)
{
	static const int target_modes[] = {
		[JOB_CONNECT_AUTO] = TARGET_CONNECT_AUTO,
		[JOB_CONNECT_NORMAL] = TARGET_CONNECT_NORMAL,
		[JOB_CONNECT_UNDER_RESET] = TARGET_CONNECT_UNDER_RESET,
	};

	return (struct target_connect_opts){
		.clock_hz = clock_hz,
		.mode = (unsigned)mode <= JOB_CONNECT_UNDER_RESET ? target_modes[mode] : TARGET_CONNECT_AUTO,
	};
}

int unlock_job_expect_set_uid(struct job_expect *e, const char *hex)
{
	int rc = target_uid_parse(hex, e->uid);

	e->uid_set = rc == 0;
	return rc;
}

void unlock_job_expect_uid_hex(const struct job_expect *e, char out[25])
{
	if (e->uid_set)
		target_uid_hex(e->uid, out);
	else
		out[0] = '\0';
}

int unlock_job_lock_level_check(int level_tenths)
{
	if (level_tenths != RDP_LEVEL_1)
		return err_setf(ERR_NOT_SUPPORTED,
				"rdpd locks to level 1 only. Level 2 disables debug for good and cannot be "
				"undone, so it is never offered.");
	return 0;
}

int unlock_job_expect_check(const struct job_expect *e, const struct target *t)
{
	char want[25], got[25];

	if (!e)
		return 0;
	if (e->dev_id_set && (t->idcode & 0xFFF) != e->dev_id)
		return err_setf(ERR_CHIP_MISMATCH,
				"expected a chip with DEV_ID 0x%03x, found %s (DEV_ID 0x%03x): nothing "
				"was written. Check which board this probe is wired to.",
				e->dev_id, t->part->name, t->idcode & 0xFFF);
	if (!e->uid_set)
		return 0;
	target_uid_hex(e->uid, want);
	if (!t->has_uid)
		return err_setf(ERR_UID_UNREADABLE,
				"expected the chip with UID %s, but this %s's unique ID cannot be read "
				"(no known address, or read-protected): nothing was written. Drop "
				"expect.uid and name the chip by dev_id, or unlock it by hand.",
				want, t->part->name);
	target_uid_hex(t->uid, got);
	if (memcmp(e->uid, t->uid, sizeof(e->uid)) != 0)
		return err_setf(ERR_CHIP_MISMATCH,
				"expected the chip with UID %s, found %s with UID %s: nothing was "
				"written. Check which board this probe is wired to.",
				want, t->part->name, got);
	return 0;
}

static int unlock_job_attach(struct job_run *r, struct adiv5 *a, const struct target_connect_opts *co,
		      const struct job_expect *expect, struct target *t, struct target_protection *p)
{
	char uid[25] = "unknown";

	struct target_connect_opts o = co ? *co : (struct target_connect_opts){0};
	int rc;

	o.log = unlock_job_target_log;
	o.ctx = r;
	unlock_job_step(r, JOB_STEP_CONNECT, JOB_STEP_RUNNING);
	rc = target_attach(a, &o, t);
	if (rc < 0)
		return unlock_job_fail(r, rc);
	unlock_job_step(r, JOB_STEP_CONNECT, JOB_STEP_DONE);
	unlock_job_log(r, "connected at %u kHz%s (DPIDR 0x%08x)", t->clock_hz / 1000,
		t->under_reset ? " under reset" : "", t->dpidr);
	/* Identification happened inside the attach (it is how the attach
	 * knows the chip answers); report it as its own step. */
	unlock_job_step(r, JOB_STEP_IDENTIFY, JOB_STEP_RUNNING);
	if (t->has_uid)
		target_uid_hex(t->uid, uid);
	if (t->chip_id_name)
		unlock_job_log(r, "%s (%s 0x%08x), %s, %u KB flash", t->part->name, t->chip_id_name,
			       t->chip_id, cortexm_core_name(t->core), t->flash_kb);
	else
		unlock_job_log(r, "%s (DEV_ID 0x%03x, rev 0x%04x), %s, %u KB flash, UID %s", t->part->name,
			       t->idcode & 0xFFF, t->idcode >> 16, cortexm_core_name(t->core), t->flash_kb, uid);
	if ((rc = unlock_job_expect_check(expect, t)) < 0)
		return unlock_job_fail(r, rc);
	unlock_job_step(r, JOB_STEP_IDENTIFY, JOB_STEP_DONE);
	unlock_job_step(r, JOB_STEP_READ_LEVEL, JOB_STEP_RUNNING);
	rc = target_read_protection(t, p);
	if (rc < 0)
		return unlock_job_fail(r, rc);
	unlock_job_log(r, "RDP level %g (0x%02x)%s%s", target_rdp_level_number(p->level), p->rdp_raw,
		       p->state ? ": " : "", p->state ? p->state : "");
	unlock_job_step(r, JOB_STEP_READ_LEVEL, JOB_STEP_DONE);
	return 0;
}

int unlock_job_read_rdp(struct adiv5 *a, const struct target_connect_opts *co, struct target *t,
		 struct target_protection *p)
{
	struct job_run r = {0};

	return unlock_job_attach(&r, a, co, NULL, t, p);
}

/* Read both ends of the flash: erased words everywhere, or a fault that
 * says the debugger-attached latch still blocks flash until a power cycle.
 * The end is the driver's where the flash is not one block from
 * flash_base (target_flash_end): a read of a hole would fault too and
 * be taken for the latch. */
static int unlock_job_verify_blank(struct job_run *r, struct target *t, struct job_result *res)
{
	static uint32_t head[VERIFY_WORDS], tail[VERIFY_WORDS];
	uint32_t end;
	int rc;

	if ((rc = target_flash_end(t, &end)) < 0)
		return err_context(rc, "finding the end of flash: ");
	rc = target_read_flash(t, (const struct target_flash_span[]){
					  {t->flash_base, head, VERIFY_WORDS},
					  {end - VERIFY_WORDS * 4, tail, VERIFY_WORDS}},
			       2);
	if (rc == -ERR_TARGET_FAULT) {
		res->power_cycle_required = true;
		unlock_job_log(r, "flash still refuses debugger reads: power-cycle the board to finish");
		return 0;
	}
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < VERIFY_WORDS; i++)
		if (head[i] != t->drv->erased_word || tail[i] != t->drv->erased_word)
			return err_setf(ERR_VERIFY_FAILED,
					"flash is not erased: 0x%08x at 0x%08x",
					head[i] != t->drv->erased_word ? head[i] : tail[i],
					head[i] != t->drv->erased_word ? t->flash_base + 4 * i
								      : end - VERIFY_WORDS * 4 + 4 * i);
	res->flash_verified_blank = true;
	unlock_job_log(r, "flash reads back erased (first and last %u bytes)", VERIFY_WORDS * 4);
	return 0;
}

/* After set_level: had the chip been reset since the option programming
 * began (a watchdog, NRST), the operation was cut short, whatever the
 * driver concluded from the registers it found after the reset (BSY clear,
 * options reloaded). What a reset leaves is the family's: docs/sim-cortexm.md
 * "Reset during a mass erase" (RM0444's caution; PM0075's order; otherwise
 * nothing said and the level taken to stay). The level is read back to
 * tell which: the one asked for means the operation had completed and the
 * reset came after it; otherwise the job fails saying what the chip holds.
 * RC is set_level's result; returns the job's. */
static int unlock_job_check_reset(struct job_run *r, struct target *t, enum job_kind kind, enum rdp_level want,
			   int rc, struct job_result *res)
{
	char was[ERR_DETAIL_MAX] = "";
	struct target_protection p;
	bool seen = false;
	int rc2;

	if (rc < 0)
		err_save(was);
	if (target_reset_seen(t, &seen) < 0 || !seen) {
		if (rc < 0)
			err_restore(was);
		return rc;
	}
	rc2 = target_read_protection(t, &p);
	if (rc2 == 0) {
		res->rdp_after = p.level;
		res->rdp_raw_after = p.rdp_raw;
		if (p.level == want && rc == 0) {
			unlock_job_log(r, "the chip was reset at the end of the option programming; it reads level %g",
				target_rdp_level_number(p.level));
			return 0;
		}
		/* The level asked for was reached: the reset did not cut the
		 * operation short, whatever else failed (a probe error is then
		 * the job's truthful outcome, not "still locked"). */
		if (p.level == want) {
			err_restore(was);
			return rc;
		}
	}
	if (kind == JOB_KIND_UNLOCK && r->erase_started) {
		if (rc2 < 0)
			return err_setf(ERR_ERASE_INTERRUPTED,
					"the mass erase was cut short by a reset (or power loss) of the chip "
					"(DHCSR.S_RESET_ST set while rdpd waited), and the level could not be read back (%s): "
					"the chip is most likely still at level 1 with its flash partly erased. "
					"Check what resets it (watchdog, NRST), then unlock it again.%s%s",
					err_detail(), *was ? " The controller then showed: " : "", was);
		return err_setf(ERR_ERASE_INTERRUPTED,
				"the mass erase was cut short by a reset (or power loss) of the chip "
				"(DHCSR.S_RESET_ST set while rdpd waited): it reads RDP level %g (0x%02x), still locked, and its "
				"flash may be partly erased. Check what resets it (watchdog, NRST), then "
				"unlock it again: the next erase starts over.%s%s",
				target_rdp_level_number(p.level), p.rdp_raw,
				*was ? " The controller then showed: " : "", was);
	}
	if (rc2 < 0)
		return err_setf(ERR_OPTIONS_INTERRUPTED,
				"the option programming was cut short by a reset of the chip (DHCSR.S_RESET_ST "
				"set while rdpd waited), and the level could not be read back (%s). Check "
				"what resets it (watchdog, NRST), then try again.", err_detail());
	return err_setf(ERR_OPTIONS_INTERRUPTED,
			"the option programming was cut short by a reset of the chip (DHCSR.S_RESET_ST set "
			"while rdpd waited): it reads RDP level %g (0x%02x). Check what resets it "
			"(watchdog, NRST), then try again.%s%s",
			target_rdp_level_number(p.level), p.rdp_raw, *was ? " The controller then showed: " : "", was);
}

static void unlock_job_skip_remaining(struct job_run *r)
{
	for (enum job_step s = JOB_STEP_PROGRAM_OPTIONS; s < JOB_STEP_COUNT; s++)
		unlock_job_step(r, s, JOB_STEP_SKIPPED);
}

static int unlock_job_change_level(struct job_run *r, struct target *t, enum job_kind kind,
			    struct job_result *res)
{
	const struct target_events tev = {
		.ctx = r, .progress = unlock_job_target_progress, .log = unlock_job_target_log,
	};
	struct target_protection p;
	enum rdp_level want = kind == JOB_KIND_UNLOCK ? RDP_LEVEL_0 : RDP_LEVEL_1;
	bool baseline;
	int rc;

	unlock_job_step(r, JOB_STEP_PROGRAM_OPTIONS, JOB_STEP_RUNNING);
	/* A reset before this point is not this job's business: clear the
	 * sticky bit so that one seen after set_level came during it. If that
	 * read fails, a later one proves nothing: no check then. */
	baseline = target_reset_seen(t, &(bool){false}) == 0;
	rc = t->drv->set_level(t, want, &tev);
	if (baseline)
		rc = unlock_job_check_reset(r, t, kind, want, rc, res);
	if (rc < 0)
		return unlock_job_fail(r, rc);
	if (!r->erase_started) { /* nothing to erase: raising the level */
		unlock_job_step(r, JOB_STEP_PROGRAM_OPTIONS, JOB_STEP_DONE);
		unlock_job_step(r, JOB_STEP_MASS_ERASE, JOB_STEP_SKIPPED);
	} else {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		res->erase_ms = (unsigned)((now.tv_sec - r->erase_start.tv_sec) * 1000 +
					   (now.tv_nsec - r->erase_start.tv_nsec) / 1000000);
		res->flash_erased = kind == JOB_KIND_UNLOCK;
		unlock_job_log(r, "mass erase took %u ms", res->erase_ms);
		unlock_job_step(r, JOB_STEP_MASS_ERASE, JOB_STEP_DONE);
	}
	unlock_job_step(r, JOB_STEP_RELOAD, JOB_STEP_RUNNING);
	t->relocks_at_reset = false;
	rc = t->drv->apply(t, &res->power_cycle_required);
	if (rc < 0)
		return unlock_job_fail(r, err_context(rc, "applying the new options: "));
	res->relocks_at_reset = t->relocks_at_reset;
	if (res->relocks_at_reset)
		unlock_job_log(r, "open until the chip's next reset: its firmware must open the port at every start "
			       "(docs/targets/%s.md)", t->drv->name);
	unlock_job_step(r, JOB_STEP_RELOAD, JOB_STEP_DONE);
	unlock_job_step(r, JOB_STEP_VERIFY, JOB_STEP_RUNNING);
	rc = target_read_protection(t, &p);
	if (rc < 0)
		return unlock_job_fail(r, rc);
	res->rdp_after = p.level;
	res->rdp_raw_after = p.rdp_raw;
	if (p.level != want)
		return unlock_job_fail(r, err_setf(ERR_VERIFY_FAILED,
					    "the chip reads RDP level %g (0x%02x) after the change, not %g",
					    target_rdp_level_number(p.level), p.rdp_raw,
					    target_rdp_level_number(want)));
	if (kind == JOB_KIND_UNLOCK && !res->power_cycle_required &&
	    (rc = unlock_job_verify_blank(r, t, res)) < 0)
		return unlock_job_fail(r, rc);
	unlock_job_step(r, JOB_STEP_VERIFY, JOB_STEP_DONE);
	return 0;
}

int unlock_job_run(struct adiv5 *a, enum job_kind kind, const struct target_connect_opts *co,
		   const struct job_events *ev, struct target *t, struct job_result *res)
{
	return unlock_job_run_expect(a, kind, co, NULL, ev, t, res);
}

int unlock_job_run_expect(struct adiv5 *a, enum job_kind kind, const struct target_connect_opts *co,
			  const struct job_expect *expect, const struct job_events *ev,
			  struct target *t, struct job_result *res)
{
	struct job_run r = {.ev = ev};
	struct target_protection p;
	int rc;

	memset(res, 0, sizeof(*res));
	res->rdp_before = res->rdp_after = RDP_UNKNOWN;
	rc = unlock_job_attach(&r, a, co, expect, t, &p);
	if (rc < 0)
		return rc;
	res->rdp_before = res->rdp_after = p.level;
	res->rdp_raw_after = p.rdp_raw;
	if (p.level == RDP_LEVEL_2) {
		unlock_job_skip_remaining(&r);
		if (p.state)
			return err_setf(ERR_RDP_LEVEL2_PERMANENT,
					"%s is in a permanent state (level 2): %s No tool can undo it. "
					"Nothing was written.", t->part->name, p.state);
		return err_setf(ERR_RDP_LEVEL2_PERMANENT,
				"%s is at RDP level 2 (0x%02x): debug is disabled for good and no "
				"tool can unlock it. Nothing was written.",
				t->part->name, p.rdp_raw);
	}
	if ((kind == JOB_KIND_UNLOCK && p.level == RDP_LEVEL_0) ||
	    (kind == JOB_KIND_LOCK && p.level == RDP_LEVEL_1)) {
		unlock_job_log(&r, "already at level %g: nothing to do, nothing erased",
			target_rdp_level_number(p.level));
		unlock_job_skip_remaining(&r);
		return 0;
	}
	return unlock_job_change_level(&r, t, kind, res);
}
