/*
 * job.h - jobs as users see them: a durable record of one unlock or lock,
 * with steps, progress, log lines, result and error, plus the ordered events
 * that Server-Sent Events replay (the Job schema of api/openapi.json).
 *
 * The store owns every job. Probe workers change jobs through job_* calls,
 * which journal a snapshot per state change and wake event listeners; HTTP
 * threads read copies (job_snapshot, job_list, job_events_copy) taken under
 * the store lock and never wait on USB. Nothing here is JSON but the
 * journal's record (job_json.c): api/json_job.c writes what clients see.
 */
#ifndef RDPD_JOB_H
#define RDPD_JOB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "err.h"
#include "jobs/unlock_job.h"

enum job_state {
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_SUCCEEDED,
	JOB_FAILED,
	JOB_CANCELLED,
	JOB_INTERRUPTED,
};

#define JOB_LOG_MAX 200     /* lines kept per job */
#define JOB_EVENTS_MAX 600  /* events kept per job for SSE replay */
#define JOB_HISTORY_MAX 1000 /* finished jobs kept in memory and journal */

enum job_event_type { JOB_EVENT_STATE, JOB_EVENT_STEP, JOB_EVENT_PROGRESS, JOB_EVENT_LOG };

/* One event of a job, in the order they happened (seq increases by one). */
struct job_event {
	uint64_t seq;
	enum job_event_type type;
	enum job_state state;           /* STATE: the job's new state */
	int error_rc;                   /* STATE: a final state's failure, -ERR_*; 0 for none */
	enum job_step step;             /* STEP: which step ... */
	enum job_step_state step_state; /* ... and its new state */
	unsigned progress_pct;          /* PROGRESS */
	char *text;                     /* LOG: the stamped line; STATE with error_rc: its detail */
};

struct job_step_record {
	enum job_step_state state;
	int64_t started_ms;  /* CLOCK_MONOTONIC, for durations */
	time_t started_at;
	unsigned duration_ms;
};

struct job {
	uint64_t id;
	enum job_kind kind;
	enum job_state state;
	int probe_index;
	char probe_serial[128];
	char probe_uri[192];
	char requested_by[64];
	char idempotency_key[128];
	/* The request the key was first used for, besides kind and probe: its
	 * body in canonical form ("" in records older than the binding). */
	char idempotency_body[512];
	uint32_t clock_hz;       /* connect options asked for (0 = auto) */
	enum job_connect_mode connect_mode;
	struct job_expect expect; /* the chip the request named, checked before any write */
	unsigned progress_pct;
	time_t created_at, started_at, finished_at;
	int64_t started_mono_ms; /* CLOCK_MONOTONIC, for the duration histogram */
	struct job_step_record steps[JOB_STEP_COUNT];
	char *log[JOB_LOG_MAX];
	unsigned n_log, log_dropped;
	bool has_result;
	struct job_result result;
	int error_rc;            /* 0, or -ERR_* */
	char error_detail[ERR_DETAIL_MAX];
	char chip[48];
	/* Events for SSE. */
	struct job_event *events;
	unsigned n_events, cap_events, events_dropped;
	uint64_t next_seq;
};

struct journal;
struct journal_replay_report;

/* The store: start it (replaying JOURNAL when given), stop it (freeing every
 * job; the next replay starts afresh). A job that was running when the
 * daemon died is marked interrupted and never re-run. */
int job_store_init(struct journal *journal);
void job_store_shutdown(void);
/* Replay callback for journal_open(): one JSON snapshot per record. */
int job_store_replay_record(void *ctx, const uint8_t *rec, size_t len);
/* After replay, with journal_open()'s REPORT (NULL: nothing was damaged):
 * new ids skip every id the damaged bytes could have held, running/queued
 * jobs become interrupted (journaled), at most JOB_HISTORY_MAX finished jobs
 * stay (the oldest go), and the journal is rewritten when that dropped
 * anything or it had damage. Call after job_store_init(journal). */
void job_store_finish_replay(const struct journal_replay_report *report);

/* Create a queued job (journaled), with the chip it must find (EXPECT, may
 * be NULL). IDEM_KEY (or NULL) is bound to the request: KIND, the probe
 * (index and URI) and IDEM_BODY, the body in canonical form
 * (json_util_canonical). Returns its id, or -ERR_STATE_UNWRITABLE when the
 * journal cannot take its record, -ERR_INVALID_ARGUMENT for a body too
 * long to bind, -ERR_NO_MEMORY. */
int job_create(enum job_kind kind, int probe_index, const char *serial, const char *uri,
	       const char *requested_by, const char *idem_key, const char *idem_body, uint32_t clock_hz,
	       enum job_connect_mode connect_mode, const struct job_expect *expect, uint64_t *id);
/* The chip job ID expects (all unset when the request named none). */
int job_expect_of(uint64_t id, struct job_expect *out);
/* The job Idempotency-Key KEY was first used for, when that was this same
 * request (KIND on probe INDEX at URI with canonical body BODY): 0 with *ID
 * set, or *ID = 0 for a key not seen (or forgotten with its job). A key
 * first used for another request is -ERR_IDEMPOTENCY_MISMATCH with a
 * sentence saying what it was used for: never the other request's job. */
int job_find_idempotent(const char *key, enum job_kind kind, int index, const char *uri, const char *body,
			uint64_t *id);

/* Worker-side updates. */
void job_set_state(uint64_t id, enum job_state st);
void job_set_step(uint64_t id, enum job_step step, enum job_step_state st);
void job_set_progress(uint64_t id, unsigned pct);
void job_add_log(uint64_t id, const char *line);
void job_set_chip(uint64_t id, const char *chip);
void job_finish(uint64_t id, int rc, const char *detail, const struct job_result *res);
/* Cancel a queued job: 0, -ERR_NOT_FOUND, -ERR_PROBE_BUSY when it runs,
 * or -ERR_JOB_ENDED when it has ended. */
int job_cancel(uint64_t id);

/* Readers (copies, under the store lock). */
/* A copy of job ID in *OUT, its log lines its own (job_snapshot_free) and
 * no events: 0, or -ERR_NOT_FOUND. */
int job_snapshot(uint64_t id, struct job *out);
void job_snapshot_free(struct job *j);
bool job_exists(uint64_t id);
int job_state_of(uint64_t id, enum job_state *st, unsigned *pct);
int job_kind_of(uint64_t id, enum job_kind *kind);
/* GET /jobs: snapshots, newest first, filtered (probe index < 0 = any,
 * state < 0 = any), at most LIMIT, ids below BEFORE (0 = from the newest),
 * in *OUT (malloc'd, *N of them; job_list_free). *NEXT is the id to
 * continue from, 0 when no more. 0, or -ERR_NO_MEMORY. */
int job_list(int probe_index, int state, unsigned limit, uint64_t before, struct job **out, size_t *n,
	     uint64_t *next);
void job_list_free(struct job *jobs, size_t n);
/* Copies of up to CAP events of job ID with seq > AFTER, oldest first,
 * into OUT (their texts their own: job_events_free); returns how many.
 * *DONE: the job is unknown, or it has ended and these are its last
 * events. A finished job whose events were let go gives its final state. */
size_t job_events_copy(uint64_t id, uint64_t after, struct job_event *out, size_t cap, bool *done);
void job_events_free(struct job_event *events, size_t n);
/* Sequence number of the job's newest event (0 if none or unknown). */
uint64_t job_last_seq(uint64_t id);
/* FN(CTX) is called after every event any job records, on the thread that
 * records it and with the job store's lock held: it must only note that
 * something happened (api/park.c wakes its thread), never call back in. */
void job_set_listener(void (*fn)(void *ctx), void *ctx);
/* Counters for /metrics: jobs ended, by kind and state. */
void job_counts(unsigned out[2][6]);

/* How long jobs took from start to end, by kind: counts[k][b] of the jobs
 * of kind k that took at most le[b] seconds and more than le[b - 1], the
 * last bucket (b == n_le) for the longer ones. */
#define JOB_DURATION_BUCKETS 7
struct job_durations {
	const double *le;        /* JOB_DURATION_BUCKETS bounds, ascending */
	size_t n_le;
	unsigned counts[2][JOB_DURATION_BUCKETS + 1];
	double sum_s[2];
};
void job_durations(struct job_durations *out);

const char *job_state_name(enum job_state st);
const char *job_kind_name(enum job_kind k);
bool job_state_final(enum job_state st);
/* The text of a log line, after the stamp job_add_log gave it
 * ("15:00:00.012 connected at 1 MHz" -> "connected at 1 MHz"). */
const char *job_log_text(const char *stamped);

#endif
