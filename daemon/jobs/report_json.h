/*
 * report_json.h - GET /probes/{ref}/rdp's JSON, built in one place.
 */
#ifndef RDPD_REPORT_JSON_H
#define RDPD_REPORT_JSON_H

#include <json-c/json.h>
#include <time.h>

#include "json_util.h"
#include "targets/target.h"

/* 0, 0.5, 1, 2 or null. */
json_object *json_rdp_level(enum rdp_level level);
/* T's unique ID as 24 hex digits (api/openapi.json, Protection "uid"), or null when unknown. */
json_object *json_uid(const struct target *t);
json_object *json_rdp_report(int probe_index, const char *serial, const struct target *t,
			     const struct target_protection *p, time_t read_at);

#endif
