/*
 * json_util.h - small json-c helpers every layer may use (like err and log):
 * the conventions of docs/service.md for times, hex values and levels, and strict parsing.
 */
#ifndef RDPD_JSON_UTIL_H
#define RDPD_JSON_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "2026-11-25T15:00:00Z" into BUF (at least 21 bytes). */
void json_util_time_rfc3339(time_t t, char *buf, size_t cap);
json_object *json_util_time(time_t t); /* null for 0 */
/* "0x433": hex values are lower-case strings. */
json_object *json_util_hex(uint32_t v);
/* Levels in tenths -> 0, 0.5, 1, 2; null for a negative value. */
json_object *json_util_level_tenths(int tenths);
int json_util_level_to_tenths(json_object *o); /* -1 for null or nonsense */
/* Parse LEN bytes that pass json_strict_check() (RFC 8259 to the letter:
 * UTF-8, no duplicate names, no \u0000, depth <= 8, nothing after the
 * value, ...). Returns NULL with a detail (-ERR_JSON_INVALID) on failure. */
json_object *json_util_parse_strict(const char *buf, size_t len);

/* What a request body may hold: one row per member, ended by {NULL}. */
enum json_member_type { JSON_MEMBER_INT, JSON_MEMBER_NUMBER, JSON_MEMBER_STRING, JSON_MEMBER_OBJECT };
struct json_member {
	const char *name;
	enum json_member_type type;
	const struct json_member *members; /* JSON_MEMBER_OBJECT: its own table */
	size_t max_len;                    /* JSON_MEMBER_STRING: bytes at most, 0 = any */
};
/* Check that O is an object holding only members of SCHEMA, each of its
 * type (nested objects against their own tables). Returns 0, or
 * -ERR_BODY_MEMBER with a sentence naming the member and the type wanted;
 * BAD then holds the member's path ("expect.uid", "" for the body itself). */
int json_util_check_members(json_object *o, const struct json_member *schema, char *bad, size_t bad_cap);
/* O as compact text with every object's members sorted by name, so that two
 * bodies meaning the same compare equal (malloc'd; NULL without memory). */
char *json_util_canonical(json_object *o);
/* {"code", "title", "detail"} for a negative error code and its detail. */
json_object *json_util_error(int rc, const char *detail);
/* Pretty or compact text, no slash escaping, always well-formed UTF-8 (an
 * ill-formed byte that reached a string is emitted as '?'). */
const char *json_util_text(json_object *o, int pretty);

#endif
