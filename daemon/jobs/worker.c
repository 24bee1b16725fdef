/*
 * worker.c - per-probe threads and their queues.
 *
 * Each probe gets a thread on first use. It opens the probe for each piece
 * of work and closes it afterwards, so between jobs the USB handle is free
 * (for a lease, or for OpenOCD run by hand).
 */
#include "jobs/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "jobs/job.h"
#include "jobs/rdp_report.h"
#include "jobs/unlock_job.h"
#include "log.h"
#include "probes/probe_link.h"
#include "probes/registry.h"

enum work_kind { WORK_JOB, WORK_READ, WORK_IDENTITY };

struct work {
	enum work_kind kind;
	uint64_t job_id;
	uint32_t clock_hz;
	enum job_connect_mode connect_mode;
	/* WORK_READ: refs = 2 while the worker and the caller both hold it;
	 * on_done (under lock) tells the caller the answer is in. */
	pthread_mutex_t lock;
	void (*on_done)(void *ctx);
	void *on_done_ctx;
	bool done;
	int refs;
	int rc;
	struct rdp_report *report; /* WORK_READ: what it found (malloc'd) */
	char detail[ERR_DETAIL_MAX];
	struct work *next;
};

struct worker {
	bool started;
	pthread_t thread;
	struct work *head, *tail;
};

static pthread_mutex_t worker_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t worker_cond = PTHREAD_COND_INITIALIZER;
static struct worker worker_table[REGISTRY_MAX_PROBES];
static bool worker_stopping;
/* rdpd_usb_errors_total: probe-level failures by kind. */
static const int worker_error_codes[] = {ERR_PROBE_DISCONNECTED, ERR_PROBE_TIMEOUT, ERR_PROBE_PROTOCOL,
					 ERR_PROBE_OPEN_FAILED, ERR_PROBE_PERMISSION};
#define WORKER_NERR (sizeof(worker_error_codes) / sizeof(worker_error_codes[0]))
static atomic_uint worker_errors[WORKER_NERR];

static void worker_count_error(int rc)
{
	for (size_t i = 0; i < WORKER_NERR; i++)
		if (rc == -worker_error_codes[i])
			atomic_fetch_add(&worker_errors[i], 1);
}

size_t worker_error_counts(struct worker_error_count *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < WORKER_NERR && n < cap; i++, n++)
		out[n] = (struct worker_error_count){.code = -worker_error_codes[i],
						     .count = atomic_load(&worker_errors[i])};
	return n;
}
static atomic_uint worker_busy;

static void worker_work_put(struct work *w)
{
	bool last;

	pthread_mutex_lock(&w->lock);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->lock);
	if (last) {
		free(w->report);
		pthread_mutex_destroy(&w->lock);
		free(w);
	}
}

static void worker_work_complete(struct work *w, int rc, struct rdp_report *report)
{
	pthread_mutex_lock(&w->lock);
	w->rc = rc;
	w->report = report;
	if (rc < 0)
		err_save(w->detail);
	w->done = true;
	if (w->on_done)
		w->on_done(w->on_done_ctx);
	pthread_mutex_unlock(&w->lock);
	worker_work_put(w);
}

/* Job callbacks: every step, progress tick and log line goes to the record. */
static void worker_on_step(void *ctx, enum job_step step, enum job_step_state st)
{
	job_set_step(*(uint64_t *)ctx, step, st);
}

static void worker_on_progress(void *ctx, unsigned pct)
{
	job_set_progress(*(uint64_t *)ctx, pct);
}

static void worker_on_log(void *ctx, const char *line)
{
	job_add_log(*(uint64_t *)ctx, line);
}

static void worker_remember_target(int index, const struct target *t, enum rdp_level level, uint32_t raw)
{
	struct probe_target_summary s = {0};

	snprintf(s.chip, sizeof(s.chip), "%s", t->part->name);
	snprintf(s.family, sizeof(s.family), "%s", t->drv->name);
	s.dev_id = t->idcode & 0xFFF;
	s.flash_kb = t->flash_kb;
	if (t->has_uid)
		target_uid_hex(t->uid, s.uid);
	s.rdp_level_tenths = level;
	s.rdp_raw = raw;
	s.scheme = t->drv->scheme;
	s.read_at = time(NULL);
	registry_set_target(index, &s);
}

static int worker_open(int index, struct probe_link **pl, char *serial, size_t cap)
{
	char uri[TRANSPORT_URI_MAX];
	int rc = registry_uri(index, uri, sizeof(uri), serial, cap);

	if (rc == 0 && !registry_available(index, &rc))
		return rc;
	if (rc == 0)
		rc = probe_link_open(uri, pl);
	if (rc == 0)
		registry_set_identity(index, &(*pl)->ac->id);
	else
		registry_set_open_failed(index);
	return rc;
}

static void worker_run_job(int index, struct work *w)
{
	struct job_events ev = {.ctx = &w->job_id, .step = worker_on_step,
				.progress = worker_on_progress, .log = worker_on_log};
	struct target_connect_opts co = unlock_job_connect_opts(w->clock_hz, w->connect_mode);
	struct probe_link *pl = NULL;
	struct job_result res = {.rdp_before = RDP_UNKNOWN, .rdp_after = RDP_UNKNOWN};
	struct target t = {0};
	struct job_expect expect = {0};
	char serial[128] = "";
	enum job_state st;
	enum job_kind kind = JOB_KIND_UNLOCK;
	int rc;

	if (job_state_of(w->job_id, &st, NULL) < 0 || st != JOB_QUEUED) {
		registry_release(index); /* cancelled while queued */
		return;
	}
	job_kind_of(w->job_id, &kind);
	job_expect_of(w->job_id, &expect);
	atomic_fetch_add(&worker_busy, 1);
	job_set_state(w->job_id, JOB_RUNNING);
	rc = worker_open(index, &pl, serial, sizeof(serial));
	if (rc < 0) {
		job_set_step(w->job_id, JOB_STEP_CONNECT, JOB_STEP_FAILED);
	} else {
		rc = unlock_job_run_expect(&pl->a, kind, &co, &expect, &ev, &t, &res);
		if (t.part) {
			job_set_chip(w->job_id, t.part->name);
			worker_remember_target(index, &t, res.rdp_after, res.rdp_raw_after);
		}
	}
	/* Free the probe before the job reads as ended, so whoever waited for
	 * the end finds the probe idle. Work for this probe is serialised on
	 * this thread, so nothing can reach it before the link is closed. */
	probe_link_close(pl); /* keeps the failure's sentence */
	registry_release(index);
	worker_count_error(rc);
	job_finish(w->job_id, rc, err_detail(), rc == 0 || res.rdp_before != RDP_UNKNOWN ? &res : NULL);
	/* The audit line: who, which probe and chip, what, the outcome. */
	log_notice("audit: job %llu %s probe %d (%s) chip %s: %s%s", (unsigned long long)w->job_id,
		   kind == JOB_KIND_LOCK ? "lock" : "unlock", index, serial,
		   t.part ? t.part->name : "unknown", rc == 0 ? "succeeded" : "failed: ",
		   rc == 0 ? "" : err_name(rc));
	atomic_fetch_sub(&worker_busy, 1);
}

static void worker_run_read(int index, struct work *w)
{
	struct target_connect_opts co = unlock_job_connect_opts(w->clock_hz, w->connect_mode);
	struct probe_link *pl = NULL;
	struct rdp_report *report = NULL;
	struct target t;
	struct target_protection p;
	char serial[128] = "";
	int rc = worker_open(index, &pl, serial, sizeof(serial));

	if (rc == 0)
		rc = unlock_job_read_rdp(&pl->a, &co, &t, &p);
	if (rc == 0 && !(report = malloc(sizeof(*report))))
		rc = err_setf(ERR_NO_MEMORY, "out of memory for the protection report");
	if (rc == 0) {
		rdp_report_fill(report, index, serial, &t, &p, time(NULL));
		worker_remember_target(index, &t, p.level, p.rdp_raw);
	}
	probe_link_close(pl); /* keeps the failure's sentence */
	worker_count_error(rc);
	worker_work_complete(w, rc, report);
}

static void worker_run_identity(int index)
{
	struct probe_link *pl = NULL;
	char serial[128];

	if (worker_open(index, &pl, serial, sizeof(serial)) < 0)
		log_info("probe %d: %s", index, err_detail());
	probe_link_close(pl);
}

struct worker_arg {
	int index;
};

static void *worker_main(void *arg)
{
	int index = ((struct worker_arg *)arg)->index;
	struct worker *wk = &worker_table[index];

	free(arg);
	for (;;) {
		struct work *w;

		pthread_mutex_lock(&worker_lock);
		while (!wk->head && !worker_stopping)
			pthread_cond_wait(&worker_cond, &worker_lock);
		w = wk->head;
		if (!w) {
			pthread_mutex_unlock(&worker_lock);
			return NULL;
		}
		wk->head = w->next;
		if (!wk->head)
			wk->tail = NULL;
		pthread_mutex_unlock(&worker_lock);
		err_clear();
		if (w->kind == WORK_JOB) {
			worker_run_job(index, w);
			worker_work_put(w);
		} else if (w->kind == WORK_READ) {
			worker_run_read(index, w);
		} else {
			worker_run_identity(index);
			worker_work_put(w);
		}
	}
}

static int worker_enqueue(int index, struct work *w)
{
	struct worker *wk;
	int rc = 0;

	if (index < 0 || index >= REGISTRY_MAX_PROBES)
		return err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	wk = &worker_table[index];
	pthread_mutex_lock(&worker_lock);
	if (worker_stopping) {
		rc = err_setf(ERR_PROBE_BUSY, "rdpd is shutting down");
	} else if (!wk->started) {
		struct worker_arg *a = malloc(sizeof(*a));

		if (!a || (a->index = index, pthread_create(&wk->thread, NULL, worker_main, a)) != 0) {
			free(a);
			rc = err_setf(ERR_NO_MEMORY, "cannot start a worker thread for probe %d", index);
		} else {
			wk->started = true;
		}
	}
	if (rc == 0) {
		if (wk->tail)
			wk->tail->next = w;
		else
			wk->head = w;
		wk->tail = w;
		pthread_cond_broadcast(&worker_cond);
	}
	pthread_mutex_unlock(&worker_lock);
	return rc;
}

static struct work *worker_work_new(enum work_kind kind, int refs)
{
	struct work *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->kind = kind;
	w->refs = refs;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

int worker_submit_job(int index, uint64_t job_id, uint32_t clock_hz, enum job_connect_mode connect_mode)
{
	struct work *w = worker_work_new(WORK_JOB, 1);
	int rc;

	if (!w)
		return err_setf(ERR_NO_MEMORY, "out of memory");
	w->job_id = job_id;
	w->clock_hz = clock_hz;
	w->connect_mode = connect_mode;
	rc = worker_enqueue(index, w);
	if (rc < 0)
		worker_work_put(w);
	return rc;
}

int worker_read_start(int index, uint32_t clock_hz, enum job_connect_mode connect_mode,
		      void (*on_done)(void *ctx), void *ctx, struct worker_read **out)
{
	struct work *w = worker_work_new(WORK_READ, 2);
	int rc;

	*out = NULL;
	if (!w)
		return err_setf(ERR_NO_MEMORY, "out of memory");
	w->clock_hz = clock_hz;
	w->connect_mode = connect_mode;
	w->on_done = on_done;
	w->on_done_ctx = ctx;
	rc = worker_enqueue(index, w);
	if (rc < 0) {
		worker_work_put(w);
		worker_work_put(w);
		return rc;
	}
	*out = (struct worker_read *)w;
	return 0;
}

int worker_read_result(struct worker_read *rd, struct rdp_report *out, char *detail, size_t detail_cap)
{
	struct work *w = (struct work *)rd;
	int rc = 1;

	pthread_mutex_lock(&w->lock);
	if (w->done) {
		rc = w->rc;
		if (rc == 0)
			*out = *w->report;
		snprintf(detail, detail_cap, "%s", w->detail);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void worker_read_free(struct worker_read *rd)
{
	struct work *w = (struct work *)rd;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->on_done = NULL; /* the caller is gone: the worker must not call it */
	pthread_mutex_unlock(&w->lock);
	worker_work_put(w);
}

void worker_probe_identity(int index)
{
	struct work *w = worker_work_new(WORK_IDENTITY, 1);

	if (w && worker_enqueue(index, w) < 0)
		worker_work_put(w);
}

void worker_shutdown(int timeout_ms)
{
	struct timespec step = {.tv_nsec = 50 * 1000000L};

	pthread_mutex_lock(&worker_lock);
	worker_stopping = true;
	pthread_cond_broadcast(&worker_cond);
	pthread_mutex_unlock(&worker_lock);
	/* Let a running erase finish if it can; a job cut off here stays
	 * "running" in the journal and is marked interrupted on the next start. */
	for (int waited = 0; atomic_load(&worker_busy) && waited < timeout_ms; waited += 50)
		nanosleep(&step, NULL);
	if (atomic_load(&worker_busy))
		return; /* threads still in I/O: the process exits under them */
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (worker_table[i].started)
			pthread_join(worker_table[i].thread, NULL);
}

unsigned worker_busy_count(void)
{
	return atomic_load(&worker_busy);
}
