/*
 * unlock_job.h - the work behind `rdpd rdp`, `rdpd unlock` and `rdpd lock`
 * (and, later, the daemon's jobs): connect, identify, read the level, program
 * the options, wait for the mass erase, make them take effect, verify.
 * Steps and progress are reported through callbacks; this file does no
 * printing of its own.
 */
#ifndef RDPD_UNLOCK_JOB_H
#define RDPD_UNLOCK_JOB_H

#include <stdbool.h>

#include "targets/target.h"

enum job_step {
	JOB_STEP_CONNECT,
	JOB_STEP_IDENTIFY,
	JOB_STEP_READ_LEVEL,
	JOB_STEP_PROGRAM_OPTIONS,
	JOB_STEP_MASS_ERASE,
	JOB_STEP_RELOAD,
	JOB_STEP_VERIFY,
	JOB_STEP_COUNT,
};

enum job_step_state { JOB_STEP_PENDING, JOB_STEP_RUNNING, JOB_STEP_DONE, JOB_STEP_SKIPPED, JOB_STEP_FAILED };

enum job_kind { JOB_KIND_UNLOCK, JOB_KIND_LOCK };

/* How a job or a read connects, as the API ("connect": "normal" or
 * "under-reset", api/openapi.json) and `rdpd --connect` ask for it; the job
 * record keeps the number. AUTO tries normal, then under reset. */
enum job_connect_mode { JOB_CONNECT_AUTO, JOB_CONNECT_NORMAL, JOB_CONNECT_UNDER_RESET };

/* The mode NAME ("normal", "under-reset") names: true and *MODE. */
bool unlock_job_connect_mode_from_name(const char *name, enum job_connect_mode *mode);
/* The attach options for CLOCK_HZ (0: the ladder, 1 MHz then 200 kHz) and MODE. */
struct target_connect_opts unlock_job_connect_opts(uint32_t clock_hz, enum job_connect_mode mode);

struct job_events {
	void *ctx;
	void (*step)(void *ctx, enum job_step step, enum job_step_state state);
	void (*progress)(void *ctx, unsigned pct);
	void (*log)(void *ctx, const char *line);
};

struct job_result {
	enum rdp_level rdp_before;
	enum rdp_level rdp_after;
	bool flash_erased;         /* a regression erase ran */
	bool flash_verified_blank; /* flash read back erased */
	bool power_cycle_required; /* only a power-on reset will finish the job */
	bool relocks_at_reset;     /* open until the next reset unless the firmware opens it (target.h) */
	unsigned erase_ms;
	uint32_t rdp_raw_after;    /* the RDP byte (word) read back at the end */
};

/* The chip the caller says is behind the probe (api/openapi.json, Expect: a job body's
 * "expect"; `rdpd unlock --expect-uid`). Checked right after the chip is
 * identified, before anything is written: rdpd's answer to two probes that
 * report one serial, or a board swapped on the bench. */
struct job_expect {
	bool uid_set;
	uint32_t uid[3];   /* as target.h: uid[0] = U_ID[31:0] */
	bool dev_id_set;
	uint16_t dev_id;   /* DBGMCU_IDCODE[11:0] */
};

/* E expects the chip whose unique ID is HEX (24 hex digits, either case,
 * as GET /probes/{ref}/rdp shows it): 0, or -ERR_INVALID_ARGUMENT. */
int unlock_job_expect_set_uid(struct job_expect *e, const char *hex);
/* E's expected UID as 24 lower-case hex digits ("" when none); OUT takes 25 bytes. */
void unlock_job_expect_uid_hex(const struct job_expect *e, char out[25]);
/* A lock may set the level LEVEL_TENTHS (json_util_level_to_tenths): 0 for
 * level 1, else -ERR_NOT_SUPPORTED: level 2 disables debug for good and is
 * never offered. */
int unlock_job_lock_level_check(int level_tenths);

/* T against E (NULL: nothing expected): 0, or -ERR_CHIP_MISMATCH naming the
 * expected and the found values, or -ERR_UID_UNREADABLE when a UID is
 * expected and the chip's cannot be read (refused, never guessed). */
int unlock_job_expect_check(const struct job_expect *e, const struct target *t);

/* "connect", "mass_erase", ...: the names the API uses. */
const char *unlock_job_step_name(enum job_step step);
const char *unlock_job_step_state_name(enum job_step_state state);

/* Connect, identify and read the protection; nothing is written. */
int unlock_job_read_rdp(struct adiv5 *a, const struct target_connect_opts *co, struct target *t,
		 struct target_protection *p);

/* Unlock (level 1 -> 0, mass erase) or lock (-> level 1). Level 2 is refused
 * before anything is written. */
int unlock_job_run(struct adiv5 *a, enum job_kind kind, const struct target_connect_opts *co,
		   const struct job_events *ev, struct target *t, struct job_result *res);
/* The same, refused before the level is even read (the identify step
 * fails, later steps stay pending) when the chip is not EXPECT's. */
int unlock_job_run_expect(struct adiv5 *a, enum job_kind kind, const struct target_connect_opts *co,
			  const struct job_expect *expect, const struct job_events *ev,
			  struct target *t, struct job_result *res);

#endif
