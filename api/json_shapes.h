/*
 * json_shapes.h - the JSON objects of ../shared/API.md, built in one place so
 * the CLI's --json, the HTTP API and the dashboard agree on every name.
 */
#ifndef RDPD_JSON_SHAPES_H
#define RDPD_JSON_SHAPES_H

#include <json-c/json.h>
#include <time.h>

#include "dap/dap.h"
#include "jobs/unlock_job.h"
#include "targets/target.h"

/* "2026-11-25T15:00:00Z" into BUF (at least 21 bytes). */
void json_time_rfc3339(time_t t, char *buf, size_t cap);
/* "0x433": hex values are lower-case strings. */
json_object *json_hex(uint32_t v);
/* 0, 0.5, 1, 2 or null. */
json_object *json_rdp_level(enum rdp_level level);

/* GET /probes/{ref}/rdp and `rdpd rdp --json`. */
json_object *json_rdp_report(int probe_index, const char *serial, const struct target *t,
			     const struct target_protection *p, time_t read_at);
/* A job's "result" member. */
json_object *json_job_result(const struct job_result *res);
/* {"code": "...", "detail": "..."} from a negative error code and its detail. */
json_object *json_error(int rc, const char *detail);
/* The probe's own identity (from DAP_Info) for GET /probes. */
json_object *json_probe_identity(const struct dap *d);

#endif
