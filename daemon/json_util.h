/*
 * json_util.h - small json-c helpers every layer may use (like err and log):
 * API.md's conventions for times, hex values and levels, and strict parsing.
 */
#ifndef RDPD_JSON_UTIL_H
#define RDPD_JSON_UTIL_H

#include <json-c/json.h>
#include <stdint.h>
#include <time.h>

/* "2026-11-25T15:00:00Z" into BUF (at least 21 bytes). */
void json_time_rfc3339(time_t t, char *buf, size_t cap);
json_object *json_time(time_t t); /* null for 0 */
/* "0x433": hex values are lower-case strings. */
json_object *json_hex(uint32_t v);
/* Levels in tenths -> 0, 0.5, 1, 2; null for a negative value. */
json_object *json_level_tenths(int tenths);
int json_level_to_tenths(json_object *o); /* -1 for null or nonsense */
/* Parse LEN bytes strictly: depth <= 8, no trailing bytes, valid UTF-8.
 * Returns NULL with a detail (err_setf ERR_INVALID_ARGUMENT) on failure. */
json_object *json_parse_strict(const char *buf, size_t len);
/* {"code", "title", "detail"} for a negative error code and its detail. */
json_object *json_error(int rc, const char *detail);
/* Pretty or compact text, no slash escaping. */
const char *json_text(json_object *o, int pretty);

#endif
