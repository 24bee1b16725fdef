/*
 * json_job.c - jobs and their events as JSON (api/openapi.json, Job) and SSE.
 */
#include "api/json_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json_util.h"

/* Events taken from the store per call: more than a 16 KB chunk holds of
 * short ones, and a copy small enough for a connection's stack. */
#define JSON_JOB_EVENTS_BATCH 64

json_object *json_job_result(const struct job_result *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rdp_before", json_util_level_tenths(res->rdp_before));
	json_object_object_add(o, "rdp_after", json_util_level_tenths(res->rdp_after));
	json_object_object_add(o, "flash_erased", json_object_new_boolean(res->flash_erased));
	json_object_object_add(o, "flash_verified_blank", json_object_new_boolean(res->flash_verified_blank));
	json_object_object_add(o, "power_cycle_required", json_object_new_boolean(res->power_cycle_required));
	json_object_object_add(o, "relocks_at_reset", json_object_new_boolean(res->relocks_at_reset));
	json_object_object_add(o, "erase_ms", res->flash_erased ? json_object_new_int((int)res->erase_ms) : NULL);
	return o;
}

/* Expect: {"uid": "...", "dev_id": "0x433"} with what the request named, or null. */
static json_object *json_job_expect(const struct job_expect *e)
{
	json_object *o;
	char hex[25];

	if (!e->uid_set && !e->dev_id_set)
		return NULL;
	o = json_object_new_object();
	if (e->uid_set) {
		unlock_job_expect_uid_hex(e, hex);
		json_object_object_add(o, "uid", json_object_new_string(hex));
	}
	if (e->dev_id_set)
		json_object_object_add(o, "dev_id", json_util_hex(e->dev_id));
	return o;
}

static json_object *json_job_steps(const struct job *j)
{
	json_object *arr = json_object_new_array();

	for (int s = 0; s < JOB_STEP_COUNT; s++) {
		json_object *o = json_object_new_object();
		const struct job_step_record *r = &j->steps[s];
		bool has_duration = r->state == JOB_STEP_DONE || r->state == JOB_STEP_FAILED;

		json_object_object_add(o, "name", json_object_new_string(unlock_job_step_name(s)));
		json_object_object_add(o, "state", json_object_new_string(unlock_job_step_state_name(r->state)));
		json_object_object_add(o, "started_at", json_util_time(r->started_at));
		json_object_object_add(o, "duration_ms", has_duration ? json_object_new_int((int)r->duration_ms) : NULL);
		json_object_array_add(arr, o);
	}
	return arr;
}

/* {"code", "detail"}: the Job's "error", and a final state event's. */
static json_object *json_job_error(int rc, const char *detail)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(err_name(rc)));
	json_object_object_add(e, "detail", json_object_new_string(detail ? detail : ""));
	return e;
}

json_object *json_job(const struct job *j)
{
	json_object *o = json_object_new_object(), *probe = json_object_new_object();
	json_object *log = json_object_new_array();
	char id[24];

	snprintf(id, sizeof(id), "%llu", (unsigned long long)j->id);
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "kind", json_object_new_string(job_kind_name(j->kind)));
	json_object_object_add(probe, "index", j->probe_index >= 0 ? json_object_new_int(j->probe_index) : NULL);
	json_object_object_add(probe, "serial", json_object_new_string(j->probe_serial));
	json_object_object_add(probe, "uri", json_object_new_string(j->probe_uri));
	json_object_object_add(o, "probe", probe);
	json_object_object_add(o, "chip", j->chip[0] ? json_object_new_string(j->chip) : NULL);
	json_object_object_add(o, "expect", json_job_expect(&j->expect));
	json_object_object_add(o, "state", json_object_new_string(job_state_name(j->state)));
	json_object_object_add(o, "progress_pct", json_object_new_int((int)j->progress_pct));
	json_object_object_add(o, "created_at", json_util_time(j->created_at));
	json_object_object_add(o, "started_at", json_util_time(j->started_at));
	json_object_object_add(o, "finished_at", json_util_time(j->finished_at));
	json_object_object_add(o, "requested_by", json_object_new_string(j->requested_by));
	json_object_object_add(o, "steps", json_job_steps(j));
	for (unsigned i = 0; i < j->n_log; i++)
		json_object_array_add(log, json_object_new_string(j->log[i] ? j->log[i] : ""));
	json_object_object_add(o, "log", log);
	json_object_object_add(o, "result", j->has_result ? json_job_result(&j->result) : NULL);
	json_object_object_add(o, "error", j->error_rc ? json_job_error(j->error_rc, j->error_detail) : NULL);
	return o;
}

json_object *json_job_by_id(uint64_t id)
{
	struct job *j = malloc(sizeof(*j));
	json_object *o = NULL;

	if (j && job_snapshot(id, j) == 0) {
		o = json_job(j);
		job_snapshot_free(j);
	}
	free(j);
	return o;
}

json_object *json_job_list(int probe_index, int state, unsigned limit, uint64_t before, uint64_t *next)
{
	json_object *arr = json_object_new_array();
	struct job *jobs = NULL;
	size_t n = 0;

	if (job_list(probe_index, state, limit, before, &jobs, &n, next) == 0)
		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, json_job(&jobs[i]));
	job_list_free(jobs, n);
	return arr;
}

/* The "data:" of event E. */
static json_object *json_job_event_data(const struct job_event *e)
{
	json_object *d = json_object_new_object();

	switch (e->type) {
	case JOB_EVENT_STATE:
		json_object_object_add(d, "state", json_object_new_string(job_state_name(e->state)));
		if (e->error_rc) /* the same member as the job's own "error" */
			json_object_object_add(d, "error", json_job_error(e->error_rc, e->text));
		break;
	case JOB_EVENT_STEP:
		json_object_object_add(d, "name", json_object_new_string(unlock_job_step_name(e->step)));
		json_object_object_add(d, "state", json_object_new_string(unlock_job_step_state_name(e->step_state)));
		break;
	case JOB_EVENT_PROGRESS:
		json_object_object_add(d, "progress_pct", json_object_new_int((int)e->progress_pct));
		break;
	case JOB_EVENT_LOG:
		json_object_object_add(d, "line", json_object_new_string(e->text ? e->text : ""));
		break;
	}
	return d;
}

size_t json_job_event_sse(const struct job_event *e, char *out, size_t cap)
{
	static const char *const types[] = {
		[JOB_EVENT_STATE] = "state", [JOB_EVENT_STEP] = "step",
		[JOB_EVENT_PROGRESS] = "progress", [JOB_EVENT_LOG] = "log",
	};
	json_object *d = json_job_event_data(e);
	int n = snprintf(out, cap, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)e->seq,
			 types[e->type], json_util_text(d, 0));

	json_object_put(d);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t json_job_events_sse(uint64_t id, uint64_t after, char *out, size_t cap, uint64_t *last_seq,
			   bool *done)
{
	struct job_event ev[JSON_JOB_EVENTS_BATCH];
	bool all_done;
	size_t n = job_events_copy(id, after, ev, JSON_JOB_EVENTS_BATCH, &all_done), used = 0, k;

	*last_seq = after;
	for (k = 0; k < n; k++) {
		size_t w = json_job_event_sse(&ev[k], out + used, cap - used);

		if (!w)
			break;
		used += w;
		*last_seq = ev[k].seq;
	}
	*done = all_done && k == n;
	job_events_free(ev, n);
	return used;
}
