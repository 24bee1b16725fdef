/*
 * json_job.h - jobs as clients see them: the Job schema of api/openapi.json
 * from the store's snapshots, and their events as Server-Sent Events
 * (GET /jobs/{id}/events). The journal's record is the store's own
 * (daemon/jobs/job_json.c).
 */
#ifndef RDPD_JSON_JOB_H
#define RDPD_JSON_JOB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobs/job.h"

/* The Job's "result" member (also `rdpd unlock --json`'s). */
json_object *json_job_result(const struct job_result *res);
json_object *json_job(const struct job *j);
/* Job ID now, or NULL when there is none. */
json_object *json_job_by_id(uint64_t id);
/* GET /jobs's "jobs" (job_list's filters; *NEXT as there). */
json_object *json_job_list(int probe_index, int state, unsigned limit, uint64_t before, uint64_t *next);
/* Event E as one SSE message, "id: N\nevent: TYPE\ndata: JSON\n\n", in OUT:
 * its length, or 0 when it does not fit in CAP bytes. */
size_t json_job_event_sse(const struct job_event *e, char *out, size_t cap);
/* The events of job ID after AFTER as SSE text in OUT (at most CAP bytes):
 * returns the bytes written, sets *LAST_SEQ to the last event written
 * (AFTER when none) and *DONE (the job ended and every event was written). */
size_t json_job_events_sse(uint64_t id, uint64_t after, char *out, size_t cap, uint64_t *last_seq,
			   bool *done);

#endif
