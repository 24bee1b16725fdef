/*
 * job.c - the job store: every job, its journal snapshots and its events.
 *
 * One mutex guards the store; one condition variable wakes SSE listeners and
 * `?wait=` callers on any change. Snapshots are journaled (fsync'd) on every
 * state change, not on every progress tick: progress is live-only, the
 * record that matters after a crash is the state and the steps.
 *
 * Job ids are never reused, also when the journal lost records. Replay
 * resumes past damaged bytes (journal.c), and those may have held every
 * record of the newest jobs. Each job's first record is its creation and
 * ids are handed out in order, so the ids lost with D damaged bytes are at
 * most the D / JOB_RECORD_MIN_BYTES ids right after the highest one replayed
 * (or the high-water mark below): new ids start past them. For a damaged
 * record of a few KB that skips a few dozen ids. An unfinished last append
 * counts too: a flipped length can make a whole record look unfinished.
 *
 * Once the journal is rewritten without the damage, the bound is no longer
 * in the file, so the rewrite stores it: a record {"next_id": "N"} first and
 * last (one flipped byte cannot take both; any job created later carries a
 * higher id anyway). Why not a high-water mark of its own, kept in every
 * record or a file beside the journal: that costs a write on every job for
 * a case that needs one record after damage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jobs/job_internal.h"
#include "jobs/journal.h"
#include "json_util.h"
#include "log.h"

/* Past this size the journal is rewritten with only the jobs still kept. */
#define JOB_JOURNAL_COMPACT_BYTES (4u << 20)
/* The shortest record replay turns into a job: the journal's header and the
 * shortest snapshot job_json_parse() accepts (an id, a state, "_j"). */
#define JOB_SNAPSHOT_MIN "{\"id\":\"1\",\"state\":\"failed\",\"_j\":{}}"
#define JOB_RECORD_MIN_BYTES (JOURNAL_HEADER_BYTES + sizeof(JOB_SNAPSHOT_MIN) - 1)

static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
/* Told of every event, for the HTTP side's parked waits (job_set_listener). */
static void (*job_listener)(void *ctx);
static void *job_listener_ctx;
static struct job **job_table;  /* ascending id */
static size_t job_table_len, job_table_cap;
static uint64_t job_next_id = 1;
static struct journal *job_journal;
static unsigned job_outcomes[2][6];
/* Duration buckets (le, seconds), per kind; the last is everything longer. */
static const double job_buckets[JOB_DURATION_BUCKETS] = {1, 5, 10, 30, 60, 120, 300};
#define JOB_NBUCKETS JOB_DURATION_BUCKETS
static unsigned job_hist[2][JOB_NBUCKETS + 1];
static double job_hist_sum[2];

/* The names of states and kinds, as the API and the journal write them. */
static const char *const job_state_names[] = {
	"queued", "running", "succeeded", "failed", "cancelled", "interrupted",
};

const char *job_state_name(enum job_state st)
{
	return (unsigned)st < 6 ? job_state_names[st] : "unknown";
}

int job_state_from_name(const char *s)
{
	for (int i = 0; s && i < 6; i++)
		if (strcmp(s, job_state_names[i]) == 0)
			return i;
	return -1;
}

const char *job_kind_name(enum job_kind k)
{
	return k == JOB_KIND_LOCK ? "lock" : "unlock";
}

bool job_state_final(enum job_state st)
{
	return st != JOB_QUEUED && st != JOB_RUNNING;
}

/* job_add_log's stamp, "HH:MM:SS.mmm ", is 13 characters. */
const char *job_log_text(const char *stamped)
{
	return strlen(stamped) > 13 && stamped[2] == ':' && stamped[8] == '.' && stamped[12] == ' '
		       ? stamped + 13 : stamped;
}

static int64_t job_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct job *job_find_locked(uint64_t id)
{
	size_t lo = 0, hi = job_table_len;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (job_table[mid]->id == id)
			return job_table[mid];
		if (job_table[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void job_free(struct job *j)
{
	for (unsigned i = 0; i < j->n_log; i++)
		free(j->log[i]);
	job_events_free(j->events, j->n_events);
	free(j->events);
	free(j);
}

/* Append event EV (its text, when set, copied) to J and wake listeners. */
static void job_event_locked(struct job *j, const struct job_event *ev)
{
	struct job_event *e;

	if (j->n_events == j->cap_events && j->cap_events < JOB_EVENTS_MAX) {
		/* Grown as needed: a typical job has a few dozen events. */
		unsigned cap = j->cap_events ? j->cap_events * 2 : 32;
		struct job_event *ne;

		if (cap > JOB_EVENTS_MAX)
			cap = JOB_EVENTS_MAX;
		ne = realloc(j->events, cap * sizeof(*ne));
		if (!ne)
			goto wake;
		j->events = ne;
		j->cap_events = cap;
	}
	if (j->n_events == JOB_EVENTS_MAX) {
		/* Keep the newest; a listener that fell this far behind resumes at
		 * the oldest kept event. */
		free(j->events[0].text);
		memmove(&j->events[0], &j->events[1], (JOB_EVENTS_MAX - 1) * sizeof(*e));
		j->n_events--;
		j->events_dropped++;
	}
	e = &j->events[j->n_events++];
	*e = *ev;
	e->seq = ++j->next_seq;
	e->text = ev->text ? strdup(ev->text) : NULL;
wake:
	if (job_listener)
		job_listener(job_listener_ctx);
}

/* The event of J entering state ST, with J's error when WITH_ERROR and it has one. */
static void job_state_event_locked(struct job *j, enum job_state st, bool with_error)
{
	struct job_event ev = {.type = JOB_EVENT_STATE, .state = st};

	if (with_error && j->error_rc) {
		ev.error_rc = j->error_rc;
		ev.text = j->error_detail;
	}
	job_event_locked(j, &ev);
}

static int job_journal_locked(const struct job *j)
{
	json_object *o;
	const char *text;
	int rc;

	if (!job_journal)
		return 0;
	o = job_json_journal(j);
	text = json_util_text(o, 0);
	rc = journal_append(job_journal, (const uint8_t *)text, strlen(text));
	json_object_put(o);
	if (rc < 0)
		log_err("job %llu: cannot journal its state: %s", (unsigned long long)j->id, err_detail());
	return rc;
}

/* The high-water mark a rewritten journal must carry: job_next_id when the
 * jobs kept do not imply it (ids skipped past damage), else 0. */
static uint64_t job_high_water_locked(void)
{
	uint64_t newest = job_table_len ? job_table[job_table_len - 1]->id : 0;

	return job_next_id > newest + 1 ? job_next_id : 0;
}

struct job_compaction {
	uint64_t high_water; /* 0: none written */
	json_object *last;
	char mark[48];
};

/* Record I of the rewrite: [mark] jobs... [mark]. */
static int job_compact_iter(void *ctx, size_t i, const uint8_t **rec, size_t *len)
{
	struct job_compaction *c = ctx;
	size_t first = c->high_water ? 1 : 0;

	json_object_put(c->last);
	c->last = NULL;
	if (c->high_water && (i == 0 || i == first + job_table_len)) {
		snprintf(c->mark, sizeof(c->mark), "{\"next_id\":\"%llu\"}", (unsigned long long)c->high_water);
		*rec = (const uint8_t *)c->mark;
		*len = strlen(c->mark);
		return 0;
	}
	if (i < first || i - first >= job_table_len)
		return err_setf(ERR_INTERNAL, "compaction past the end");
	c->last = job_json_journal(job_table[i - first]);
	*rec = (const uint8_t *)json_util_text(c->last, 0);
	*len = strlen((const char *)*rec);
	return 0;
}

/* Rewrite the journal with the jobs in memory (and the high-water mark when
 * they do not imply it). Caller holds job_lock. */
static int job_compact_locked(void)
{
	struct job_compaction c = {.high_water = job_high_water_locked()};
	int rc;

	rc = journal_compact(job_journal, job_compact_iter, &c, job_table_len + (c.high_water ? 2 : 0));
	json_object_put(c.last);
	if (rc < 0)
		log_err("cannot compact the job journal: %s", err_detail());
	return rc;
}

/* A finished job's events are for listeners that join late; past the newest
 * few, keep only its record (late listeners get its final state). */
#define JOB_EVENTS_KEPT_FINISHED 20

static void job_release_events_locked(struct job *j)
{
	job_events_free(j->events, j->n_events);
	free(j->events);
	j->events = NULL;
	j->n_events = j->cap_events = 0;
}

/* Drop the oldest finished jobs beyond JOB_HISTORY_MAX (never one still
 * queued or running); returns how many went. */
static size_t job_trim_history_locked(void)
{
	size_t finished = 0, dropped = 0;

	for (size_t i = 0; i < job_table_len; i++)
		finished += job_state_final(job_table[i]->state);
	for (size_t i = 0; i < job_table_len && finished > JOB_HISTORY_MAX;) {
		if (job_state_final(job_table[i]->state)) {
			job_free(job_table[i]);
			memmove(&job_table[i], &job_table[i + 1], (job_table_len - i - 1) * sizeof(job_table[0]));
			job_table_len--;
			finished--;
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

static void job_trim_locked(void)
{
	size_t with_events = 0;

	for (size_t i = job_table_len; i-- > 0;)
		if (job_state_final(job_table[i]->state) && job_table[i]->events &&
		    ++with_events > JOB_EVENTS_KEPT_FINISHED)
			job_release_events_locked(job_table[i]);
	job_trim_history_locked();
	if (job_journal && journal_size_bytes(job_journal) > JOB_JOURNAL_COMPACT_BYTES)
		job_compact_locked();
}

static int job_insert_locked(struct job *j)
{
	if (job_table_len == job_table_cap) {
		size_t cap = job_table_cap ? job_table_cap * 2 : 64;
		struct job **nj = realloc(job_table, cap * sizeof(*nj));

		if (!nj)
			return err_setf(ERR_NO_MEMORY, "out of memory for a new job");
		job_table = nj;
		job_table_cap = cap;
	}
	job_table[job_table_len++] = j;
	if (j->id >= job_next_id)
		job_next_id = j->id + 1;
	return 0;
}

int job_store_init(struct journal *journal)
{
	job_journal = journal;
	return 0;
}

void job_store_shutdown(void)
{
	pthread_mutex_lock(&job_lock);
	for (size_t i = 0; i < job_table_len; i++)
		job_free(job_table[i]);
	free(job_table);
	job_table = NULL;
	job_table_len = job_table_cap = 0;
	job_next_id = 1;
	job_journal = NULL;
	pthread_mutex_unlock(&job_lock);
}

/* A high-water-mark record written by job_compact_locked(): 1 and *ID, or 0
 * when REC is something else. */
static int job_high_water_from_json(json_object *o, uint64_t *id)
{
	json_object *v;
	const char *s;
	char *end;

	if (!json_object_is_type(o, json_type_object) || json_object_object_length(o) != 1 ||
	    !json_object_object_get_ex(o, "next_id", &v) || !json_object_is_type(v, json_type_string))
		return 0;
	s = json_object_get_string(v);
	errno = 0;
	*id = strtoull(s, &end, 10);
	return s[0] >= '1' && s[0] <= '9' && *end == '\0' && errno == 0;
}

int job_store_replay_record(void *ctx, const uint8_t *rec, size_t len)
{
	json_object *o = json_util_parse_strict((const char *)rec, len);
	struct job *j, *old;
	uint64_t mark;

	if (!o)
		return 0; /* an unreadable snapshot is skipped, not fatal */
	if (job_high_water_from_json(o, &mark)) {
		json_object_put(o);
		pthread_mutex_lock(&job_lock);
		if (mark > job_next_id)
			job_next_id = mark;
		pthread_mutex_unlock(&job_lock);
		return 0;
	}
	j = calloc(1, sizeof(*j));
	if (!j || job_json_parse(o, j) < 0) {
		free(j);
		json_object_put(o);
		return 0;
	}
	json_object_put(o);
	pthread_mutex_lock(&job_lock);
	old = job_find_locked(j->id);
	if (old) { /* the latest snapshot wins */
		for (size_t i = 0; i < job_table_len; i++)
			if (job_table[i] == old)
				job_table[i] = j;
		job_free(old);
	} else if (job_table_len && j->id < job_table[job_table_len - 1]->id) {
		job_free(j); /* out of order: not written by us */
	} else {
		job_insert_locked(j);
	}
	pthread_mutex_unlock(&job_lock);
	return 0;
}

/* Move job_next_id past every id the damaged or torn bytes REP reports could
 * have held (see the top of this file). Caller holds job_lock. */
static uint64_t job_skip_hidden_ids_locked(const struct journal_replay_report *rep)
{
	unsigned long long lost = rep->damaged_bytes + rep->torn_bytes;
	uint64_t skip = lost / JOB_RECORD_MIN_BYTES;

	if (!skip)
		return 0;
	log_warn("journal: %llu damaged or unfinished bytes could have held up to %llu jobs newer than "
		 "the ones replayed; new job ids start at %llu so none is reused", lost,
		 (unsigned long long)skip, (unsigned long long)(job_next_id + skip));
	job_next_id += skip;
	return skip;
}

/* A job journaled as queued or running: it may have been mass-erasing a
 * chip, so it is never re-run. */
static void job_mark_interrupted_locked(struct job *j, bool damaged)
{
	j->state = JOB_INTERRUPTED;
	j->finished_at = time(NULL);
	j->error_rc = -ERR_CANCELLED;
	snprintf(j->error_detail, sizeof(j->error_detail),
		 "rdpd stopped while this job ran%s; it was not re-run. Read the chip's level "
		 "(GET /probes/{ref}/rdp) and start a new unlock if it is still locked.",
		 damaged ? ", or the journal record of how it ended was damaged (kept in the state "
			   "directory as journal.corrupt.N)" : "");
	for (int s = 0; s < JOB_STEP_COUNT; s++)
		if (j->steps[s].state == JOB_STEP_RUNNING)
			j->steps[s].state = JOB_STEP_FAILED;
	job_journal_locked(j);
}

void job_store_finish_replay(const struct journal_replay_report *rep)
{
	static const struct journal_replay_report clean;
	uint64_t skipped;
	size_t dropped;

	if (!rep)
		rep = &clean;
	pthread_mutex_lock(&job_lock);
	skipped = job_skip_hidden_ids_locked(rep);
	/* The bound of run time (jobs it dropped stayed in the journal until its
	 * next compaction), before the unfinished ones become interrupted: those
	 * are news to whoever started them, not history. */
	dropped = job_trim_history_locked();
	if (dropped)
		log_info("journal: %zu finished jobs beyond the %u kept were dropped", dropped,
			 JOB_HISTORY_MAX);
	for (size_t i = 0; i < job_table_len; i++)
		if (!job_state_final(job_table[i]->state))
			job_mark_interrupted_locked(job_table[i], rep->damaged_spans > 0);
	for (size_t i = 0; i < job_table_len; i++) {
		struct job *j = job_table[i];

		/* A listener that joins after a restart still sees how it ended. */
		job_state_event_locked(j, j->state, false);
		if (j->kind <= JOB_KIND_LOCK && j->state < 6)
			job_outcomes[j->kind][j->state]++;
	}
	/* One rename drops the damage (kept aside by the journal) and the
	 * dropped jobs, and stores the high-water mark the skip needs. */
	if (job_journal && (rep->damaged_spans || dropped || skipped))
		job_compact_locked();
	pthread_mutex_unlock(&job_lock);
}

int job_create(enum job_kind kind, int probe_index, const char *serial, const char *uri,
	       const char *requested_by, const char *idem_key, const char *idem_body, uint32_t clock_hz,
	       enum job_connect_mode connect_mode, const struct job_expect *expect, uint64_t *id)
{
	struct job *j;
	int rc;

	if (idem_key && idem_body && strlen(idem_body) >= sizeof(j->idempotency_body))
		return err_setf(ERR_INVALID_ARGUMENT, "the body is too long to bind to an Idempotency-Key "
				"(at most %zu bytes in canonical form)", sizeof(j->idempotency_body) - 1);
	j = calloc(1, sizeof(*j));
	if (!j)
		return err_setf(ERR_NO_MEMORY, "out of memory for a new job");
	j->kind = kind;
	j->state = JOB_QUEUED;
	j->probe_index = probe_index;
	snprintf(j->probe_serial, sizeof(j->probe_serial), "%s", serial ? serial : "");
	snprintf(j->probe_uri, sizeof(j->probe_uri), "%s", uri ? uri : "");
	snprintf(j->requested_by, sizeof(j->requested_by), "%s", requested_by ? requested_by : "");
	snprintf(j->idempotency_key, sizeof(j->idempotency_key), "%s", idem_key ? idem_key : "");
	snprintf(j->idempotency_body, sizeof(j->idempotency_body), "%s", idem_key && idem_body ? idem_body : "");
	j->clock_hz = clock_hz;
	j->connect_mode = connect_mode;
	if (expect)
		j->expect = *expect;
	j->created_at = time(NULL);
	pthread_mutex_lock(&job_lock);
	j->id = job_next_id;
	rc = job_journal_locked(j);
	if (rc < 0) {
		/* A job nobody could find after a restart is not started: what
		 * the client can do about it is the state directory. */
		char why[ERR_DETAIL_MAX];

		err_save(why);
		rc = err_setf(ERR_STATE_UNWRITABLE, "cannot record the job, so it was not started: %s. "
			      "Free space or fix permissions on the state directory.", why);
	}
	if (rc == 0)
		rc = job_insert_locked(j);
	if (rc == 0) {
		job_state_event_locked(j, JOB_QUEUED, false);
		*id = j->id;
		job_trim_locked();
	}
	pthread_mutex_unlock(&job_lock);
	if (rc < 0)
		free(j);
	return rc;
}

int job_find_idempotent(const char *key, enum job_kind kind, int index, const char *uri, const char *body,
			uint64_t *id)
{
	const struct job *j = NULL;
	int rc = 0;

	*id = 0;
	if (!key || !*key)
		return 0;
	pthread_mutex_lock(&job_lock);
	for (size_t i = job_table_len; i-- > 0 && !j;)
		if (strcmp(job_table[i]->idempotency_key, key) == 0)
			j = job_table[i];
	/* A record from before keys were bound has no body: its kind and
	 * probe are what it can be checked against. */
	if (j && j->kind == kind && j->probe_index == index && strcmp(j->probe_uri, uri) == 0 &&
	    (!j->idempotency_body[0] || strcmp(j->idempotency_body, body ? body : "{}") == 0))
		*id = j->id;
	else if (j)
		rc = err_setf(ERR_IDEMPOTENCY_MISMATCH,
			      "Idempotency-Key \"%s\" was first used for another request (%s of probe %d, %s, "
			      "body %s); a retry must repeat that request exactly, and a new request needs a "
			      "new key", key, job_kind_name(j->kind), j->probe_index, j->probe_uri,
			      j->idempotency_body[0] ? j->idempotency_body : "not recorded");
	pthread_mutex_unlock(&job_lock);
	return rc;
}

int job_expect_of(uint64_t id, struct job_expect *out)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j)
		*out = j->expect;
	pthread_mutex_unlock(&job_lock);
	return j ? 0 : err_setf(ERR_NOT_FOUND, "no job %llu", (unsigned long long)id);
}

void job_set_state(uint64_t id, enum job_state st)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j && j->state != st) {
		j->state = st;
		if (st == JOB_RUNNING) {
			j->started_at = time(NULL);
			j->started_mono_ms = job_mono_ms();
		}
		job_state_event_locked(j, st, false);
		job_journal_locked(j);
	}
	pthread_mutex_unlock(&job_lock);
}

void job_set_step(uint64_t id, enum job_step step, enum job_step_state st)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j && step < JOB_STEP_COUNT) {
		struct job_step_record *r = &j->steps[step];

		if (st == JOB_STEP_RUNNING) {
			r->started_ms = job_mono_ms();
			r->started_at = time(NULL);
		} else if ((st == JOB_STEP_DONE || st == JOB_STEP_FAILED) && r->started_ms) {
			r->duration_ms = (unsigned)(job_mono_ms() - r->started_ms);
		}
		r->state = st;
		job_event_locked(j, &(struct job_event){.type = JOB_EVENT_STEP, .step = step, .step_state = st});
		if (st != JOB_STEP_RUNNING)
			job_journal_locked(j);
	}
	pthread_mutex_unlock(&job_lock);
}

void job_set_progress(uint64_t id, unsigned pct)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j && pct != j->progress_pct && pct <= 100) {
		j->progress_pct = pct;
		job_event_locked(j, &(struct job_event){.type = JOB_EVENT_PROGRESS, .progress_pct = pct});
	}
	pthread_mutex_unlock(&job_lock);
}

void job_add_log(uint64_t id, const char *line)
{
	struct job *j;
	char stamped[320];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(stamped, sizeof(stamped), "%02d:%02d:%02d.%03ld %s", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000, line);
	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j) {
		if (j->n_log == JOB_LOG_MAX) {
			free(j->log[0]);
			memmove(&j->log[0], &j->log[1], (JOB_LOG_MAX - 1) * sizeof(char *));
			j->n_log--;
			j->log_dropped++;
		}
		j->log[j->n_log++] = strdup(stamped);
		job_event_locked(j, &(struct job_event){.type = JOB_EVENT_LOG, .text = stamped});
	}
	pthread_mutex_unlock(&job_lock);
}

void job_set_chip(uint64_t id, const char *chip)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j)
		snprintf(j->chip, sizeof(j->chip), "%s", chip);
	pthread_mutex_unlock(&job_lock);
}

void job_finish(uint64_t id, int rc, const char *detail, const struct job_result *res)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j) {
		j->state = rc == 0 ? JOB_SUCCEEDED : rc == -ERR_CANCELLED ? JOB_CANCELLED : JOB_FAILED;
		j->finished_at = time(NULL);
		j->error_rc = rc;
		snprintf(j->error_detail, sizeof(j->error_detail), "%s", rc ? (detail && *detail ? detail : err_title(rc)) : "");
		if (res) {
			j->result = *res;
			j->has_result = true;
		}
		if (rc == 0)
			j->progress_pct = 100;
		job_journal_locked(j);
		job_outcomes[j->kind][j->state]++;
		if (j->started_mono_ms) {
			double secs = (job_mono_ms() - j->started_mono_ms) / 1000.0;
			size_t b = 0;

			while (b < JOB_NBUCKETS && secs > job_buckets[b])
				b++;
			job_hist[j->kind][b]++;
			job_hist_sum[j->kind] += secs;
		}
		job_state_event_locked(j, j->state, true); /* the error as the job's own */
		job_trim_locked();
	}
	pthread_mutex_unlock(&job_lock);
}

int job_cancel(uint64_t id)
{
	struct job *j;
	int rc = 0;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (!j)
		rc = err_setf(ERR_NOT_FOUND, "no job %llu", (unsigned long long)id);
	else if (j->state == JOB_RUNNING)
		rc = err_setf(ERR_PROBE_BUSY,
			      "job %llu is running and cannot be stopped safely: an option-byte "
			      "write or a mass erase must not be cut short", (unsigned long long)id);
	else if (j->state != JOB_QUEUED)
		rc = err_setf(ERR_JOB_ENDED, "job %llu has already ended (%s)",
			      (unsigned long long)id, job_state_name(j->state));
	pthread_mutex_unlock(&job_lock);
	if (rc == 0)
		job_finish(id, -ERR_CANCELLED, "cancelled before it started; nothing was written", NULL);
	return rc;
}

/* *OUT = *J without its events, its log lines copied. Caller holds job_lock. */
static void job_copy_locked(const struct job *j, struct job *out)
{
	*out = *j;
	out->events = NULL;
	out->n_events = out->cap_events = 0;
	for (unsigned i = 0; i < j->n_log; i++)
		out->log[i] = strdup(j->log[i]);
}

int job_snapshot(uint64_t id, struct job *out)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j)
		job_copy_locked(j, out);
	pthread_mutex_unlock(&job_lock);
	return j ? 0 : err_setf(ERR_NOT_FOUND, "no job %llu", (unsigned long long)id);
}

void job_snapshot_free(struct job *j)
{
	for (unsigned i = 0; j && i < j->n_log; i++)
		free(j->log[i]);
	if (j)
		j->n_log = 0;
}

bool job_exists(uint64_t id)
{
	bool found;

	pthread_mutex_lock(&job_lock);
	found = job_find_locked(id) != NULL;
	pthread_mutex_unlock(&job_lock);
	return found;
}

int job_state_of(uint64_t id, enum job_state *st, unsigned *pct)
{
	struct job *j;
	int rc = -ERR_NOT_FOUND;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j) {
		*st = j->state;
		if (pct)
			*pct = j->progress_pct;
		rc = 0;
	}
	pthread_mutex_unlock(&job_lock);
	return rc;
}

int job_kind_of(uint64_t id, enum job_kind *kind)
{
	struct job *j;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j)
		*kind = j->kind;
	pthread_mutex_unlock(&job_lock);
	return j ? 0 : err_setf(ERR_NOT_FOUND, "no job %llu", (unsigned long long)id);
}

int job_list(int probe_index, int state, unsigned limit, uint64_t before, struct job **out, size_t *n,
	     uint64_t *next)
{
	uint64_t last = 0;
	struct job *list;
	size_t room;

	*n = 0;
	*next = 0;
	pthread_mutex_lock(&job_lock);
	/* Room for what can match: a LIMIT far above the store takes no more. */
	room = limit < job_table_len ? limit : job_table_len;
	*out = list = calloc(room ? room : 1, sizeof(*list));
	if (!list) {
		pthread_mutex_unlock(&job_lock);
		return err_setf(ERR_NO_MEMORY, "out of memory for a list of %u jobs", limit);
	}
	for (size_t i = job_table_len; i-- > 0;) {
		struct job *j = job_table[i];

		if ((before && j->id >= before) || (probe_index >= 0 && j->probe_index != probe_index) ||
		    (state >= 0 && (int)j->state != state))
			continue;
		if (*n == limit) {
			*next = last; /* more match: continue below the last one listed */
			break;
		}
		job_copy_locked(j, &list[(*n)++]);
		last = j->id;
	}
	pthread_mutex_unlock(&job_lock);
	return 0;
}

void job_list_free(struct job *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		job_snapshot_free(&list[i]);
	free(list);
}

size_t job_events_copy(uint64_t id, uint64_t after, struct job_event *out, size_t cap, bool *done)
{
	struct job *j;
	uint64_t last = after;
	size_t n = 0;

	*done = false;
	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (!j) {
		*done = true;
	} else if (!j->events && job_state_final(j->state) && after < j->next_seq) {
		/* An old job whose events were let go: its end is what is left. */
		if (cap) {
			out[n++] = (struct job_event){.seq = j->next_seq, .type = JOB_EVENT_STATE, .state = j->state};
			last = j->next_seq;
		}
		*done = last >= j->next_seq;
	} else {
		unsigned i = 0;

		while (i < j->n_events && j->events[i].seq <= after)
			i++;
		for (; i < j->n_events && n < cap; i++) {
			out[n] = j->events[i];
			out[n].text = j->events[i].text ? strdup(j->events[i].text) : NULL;
			last = out[n++].seq;
		}
		*done = job_state_final(j->state) && last >= j->next_seq;
	}
	pthread_mutex_unlock(&job_lock);
	return n;
}

void job_events_free(struct job_event *events, size_t n)
{
	for (size_t i = 0; events && i < n; i++) {
		free(events[i].text);
		events[i].text = NULL;
	}
}

void job_set_listener(void (*fn)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&job_lock);
	job_listener = fn;
	job_listener_ctx = ctx;
	pthread_mutex_unlock(&job_lock);
}

void job_counts(unsigned out[2][6])
{
	pthread_mutex_lock(&job_lock);
	memcpy(out, job_outcomes, sizeof(job_outcomes));
	pthread_mutex_unlock(&job_lock);
}

uint64_t job_last_seq(uint64_t id)
{
	struct job *j;
	uint64_t seq = 0;

	pthread_mutex_lock(&job_lock);
	j = job_find_locked(id);
	if (j)
		seq = j->next_seq;
	pthread_mutex_unlock(&job_lock);
	return seq;
}

void job_durations(struct job_durations *out)
{
	pthread_mutex_lock(&job_lock);
	out->le = job_buckets;
	out->n_le = JOB_NBUCKETS;
	memcpy(out->counts, job_hist, sizeof(out->counts));
	memcpy(out->sum_s, job_hist_sum, sizeof(out->sum_s));
	pthread_mutex_unlock(&job_lock);
}
