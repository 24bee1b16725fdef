/*
 * job_json.c - the journal's record of a job, to and from JSON. Its members
 * are those of the Job schema of api/openapi.json as they were when it was
 * written (older records replay into jobs), plus journal-only ones in "_j";
 * what clients see is api/json_job.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jobs/job_internal.h"
#include "json_util.h"

static json_object *job_json_result(const struct job_result *res)
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

/* {"uid": "...", "dev_id": "0x433"} with what the request named, or null. */
static json_object *job_json_expect(const struct job_expect *e)
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

/* The journal's "expect" back; a member that does not parse is dropped,
 * and the job (never re-run after a restart) keeps what did. */
static void job_json_parse_expect(json_object *o, struct job_expect *e)
{
	json_object *v;

	memset(e, 0, sizeof(*e));
	if (!json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "uid", &v) && json_object_is_type(v, json_type_string))
		unlock_job_expect_set_uid(e, json_object_get_string(v));
	if (json_object_object_get_ex(o, "dev_id", &v) && json_object_is_type(v, json_type_string)) {
		unsigned long id = strtoul(json_object_get_string(v), NULL, 16);

		e->dev_id_set = id <= 0xFFF;
		e->dev_id = (uint16_t)id;
	}
}

static json_object *job_json_steps(const struct job *j)
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

/* The members a record shares with the API's Job. */
static json_object *job_json_record(const struct job *j)
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
	json_object_object_add(o, "expect", job_json_expect(&j->expect));
	json_object_object_add(o, "state", json_object_new_string(job_state_name(j->state)));
	json_object_object_add(o, "progress_pct", json_object_new_int((int)j->progress_pct));
	json_object_object_add(o, "created_at", json_util_time(j->created_at));
	json_object_object_add(o, "started_at", json_util_time(j->started_at));
	json_object_object_add(o, "finished_at", json_util_time(j->finished_at));
	json_object_object_add(o, "requested_by", json_object_new_string(j->requested_by));
	json_object_object_add(o, "steps", job_json_steps(j));
	for (unsigned i = 0; i < j->n_log; i++)
		json_object_array_add(log, json_object_new_string(j->log[i] ? j->log[i] : ""));
	json_object_object_add(o, "log", log);
	json_object_object_add(o, "result", j->has_result ? job_json_result(&j->result) : NULL);
	if (j->error_rc) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "code", json_object_new_string(err_name(j->error_rc)));
		json_object_object_add(e, "detail", json_object_new_string(j->error_detail));
		json_object_object_add(o, "error", e);
	} else {
		json_object_object_add(o, "error", NULL);
	}
	return o;
}

/* Journal-only members (not part of the API shape) ride along in "_j". */
json_object *job_json_journal(const struct job *j)
{
	json_object *o = job_json_record(j), *x = json_object_new_object();

	json_object_object_add(x, "idempotency_key", json_object_new_string(j->idempotency_key));
	json_object_object_add(x, "idempotency_body", json_object_new_string(j->idempotency_body));
	json_object_object_add(x, "created", json_object_new_int64(j->created_at));
	json_object_object_add(x, "started", json_object_new_int64(j->started_at));
	json_object_object_add(x, "finished", json_object_new_int64(j->finished_at));
	json_object_object_add(x, "error_rc", json_object_new_int(j->error_rc));
	json_object_object_add(x, "clock_hz", json_object_new_int64(j->clock_hz));
	json_object_object_add(x, "connect_mode", json_object_new_int(j->connect_mode));
	json_object_object_add(o, "_j", x);
	return o;
}

static const char *job_json_str(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

static int64_t job_json_int(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
		       ? json_object_get_int64(v) : 0;
}

static bool job_json_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

static void job_json_parse_steps(struct job *j, json_object *steps)
{
	if (!json_object_is_type(steps, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(steps) && i < JOB_STEP_COUNT; i++) {
		json_object *s = json_object_array_get_idx(steps, i);
		const char *st = job_json_str(s, "state");

		for (int k = 0; k <= JOB_STEP_FAILED; k++)
			if (strcmp(st, unlock_job_step_state_name(k)) == 0)
				j->steps[i].state = k;
		j->steps[i].duration_ms = (unsigned)job_json_int(s, "duration_ms");
	}
}

int job_json_parse(json_object *o, struct job *j)
{
	json_object *x = NULL, *v = NULL, *probe = NULL;
	int st = job_state_from_name(job_json_str(o, "state"));

	if (!json_object_is_type(o, json_type_object) || st < 0 ||
	    !json_object_object_get_ex(o, "_j", &x) || !json_object_is_type(x, json_type_object))
		return err_setf(ERR_INVALID_ARGUMENT, "journal record is not a job snapshot");
	memset(j, 0, sizeof(*j));
	j->id = strtoull(job_json_str(o, "id"), NULL, 10);
	if (j->id == 0)
		return err_setf(ERR_INVALID_ARGUMENT, "journal record has no job id");
	j->kind = strcmp(job_json_str(o, "kind"), "lock") == 0 ? JOB_KIND_LOCK : JOB_KIND_UNLOCK;
	j->state = st;
	j->progress_pct = (unsigned)job_json_int(o, "progress_pct");
	if (json_object_object_get_ex(o, "probe", &probe)) {
		j->probe_index = json_object_object_get_ex(probe, "index", &v) && v ? (int)json_object_get_int(v) : -1;
		snprintf(j->probe_serial, sizeof(j->probe_serial), "%s", job_json_str(probe, "serial"));
		snprintf(j->probe_uri, sizeof(j->probe_uri), "%s", job_json_str(probe, "uri"));
	}
	snprintf(j->chip, sizeof(j->chip), "%s", job_json_str(o, "chip"));
	if (json_object_object_get_ex(o, "expect", &v))
		job_json_parse_expect(v, &j->expect);
	snprintf(j->requested_by, sizeof(j->requested_by), "%s", job_json_str(o, "requested_by"));
	snprintf(j->idempotency_key, sizeof(j->idempotency_key), "%s", job_json_str(x, "idempotency_key"));
	snprintf(j->idempotency_body, sizeof(j->idempotency_body), "%s", job_json_str(x, "idempotency_body"));
	j->created_at = job_json_int(x, "created");
	j->started_at = job_json_int(x, "started");
	j->finished_at = job_json_int(x, "finished");
	j->error_rc = (int)job_json_int(x, "error_rc");
	j->clock_hz = (uint32_t)job_json_int(x, "clock_hz");
	j->connect_mode = (enum job_connect_mode)job_json_int(x, "connect_mode");
	if (json_object_object_get_ex(o, "steps", &v))
		job_json_parse_steps(j, v);
	if (json_object_object_get_ex(o, "log", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v) && j->n_log < JOB_LOG_MAX; i++)
			j->log[j->n_log++] = strdup(json_object_get_string(json_object_array_get_idx(v, i)));
	if (json_object_object_get_ex(o, "result", &v) && json_object_is_type(v, json_type_object)) {
		json_object *l;

		j->has_result = true;
		j->result.rdp_before =
			json_object_object_get_ex(v, "rdp_before", &l) ? json_util_level_to_tenths(l) : -1;
		j->result.rdp_after = json_object_object_get_ex(v, "rdp_after", &l) ? json_util_level_to_tenths(l) : -1;
		j->result.flash_erased = job_json_bool(v, "flash_erased");
		j->result.flash_verified_blank = job_json_bool(v, "flash_verified_blank");
		j->result.power_cycle_required = job_json_bool(v, "power_cycle_required");
		j->result.relocks_at_reset = job_json_bool(v, "relocks_at_reset");
		j->result.erase_ms = (unsigned)job_json_int(v, "erase_ms");
	}
	if (json_object_object_get_ex(o, "error", &v) && json_object_is_type(v, json_type_object))
		snprintf(j->error_detail, sizeof(j->error_detail), "%s", job_json_str(v, "detail"));
	return 0;
}
