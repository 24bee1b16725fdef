/*
 * json_util.c - helpers over json-c 0.16 (Debian 12). Parsing follows
 * docs/service.md ("Endpoints and shapes"): explicit length, strict mode, low depth, no trailing bytes,
 * and before json-c sees the text, our own strict RFC 8259 check
 * (json_strict.c) for what json-c lets through.
 */
#include "json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json_strict.h"
#include "utf8.h"

void json_util_time_rfc3339(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_object *json_util_time(time_t t)
{
	char buf[32];

	if (t == 0)
		return NULL;
	json_util_time_rfc3339(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

json_object *json_util_hex(uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%x", v);
	return json_object_new_string(s);
}

json_object *json_util_level_tenths(int tenths)
{
	if (tenths < 0)
		return NULL;
	if (tenths % 10)
		return json_object_new_double(tenths / 10.0);
	return json_object_new_int(tenths / 10);
}

int json_util_level_to_tenths(json_object *o)
{
	double d;

	if (!o || !(json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)))
		return -1;
	d = json_object_get_double(o);
	if (d == 0 || d == 0.5 || d == 1 || d == 2)
		return (int)(d * 10 + 0.5);
	return -1;
}

json_object *json_util_parse_strict(const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *o;
	enum json_tokener_error e;

	if (json_strict_check(buf, len) < 0)
		return NULL;
	/* json-c counts the top level as one: one more than ours, so that the
	 * strict check (with its clearer sentence) is the one that refuses. */
	tok = json_tokener_new_ex(JSON_STRICT_MAX_DEPTH + 1);
	if (!tok) {
		err_setf(ERR_NO_MEMORY, "out of memory parsing JSON");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!o && e == json_tokener_continue) {
		/* A bare number or literal ends where the text does, which json-c
		 * learns from a terminating NUL (json_tokener.h). The strict check
		 * has seen the whole value, so nothing else can follow. */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		if (e == json_tokener_success)
			len = json_tokener_get_parse_end(tok);
	}
	if (!o && e == json_tokener_success) {
		/* json-c's null is a NULL object: nothing a caller could use. */
		err_setf(ERR_JSON_INVALID, "the body is null, not a JSON object");
	} else if (!o || e != json_tokener_success) {
		err_setf(ERR_JSON_INVALID, "the body is not valid JSON (%s at byte %zu)",
			 e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (json_tokener_get_parse_end(tok) != len) {
		err_setf(ERR_JSON_INVALID, "the body has bytes after its JSON value (at byte %zu)",
			 json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Every byte rdpd emits as JSON is UTF-8: text from outside is cleaned
 * where it enters (utf8_escape), and this is the net under that. json-c
 * escapes control bytes itself but copies other bytes as they are; an
 * ill-formed one becomes '?' in place (the length stays, so json-c's own
 * buffer can take it). */
static void json_util_utf8_repair(char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);

		if (n == 0) {
			s[i++] = '?';
			continue;
		}
		i += n;
	}
}

const char *json_util_text(json_object *o, int pretty)
{
	char *s = (char *)json_object_to_json_string_ext(
		o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return "null";
	json_util_utf8_repair(s);
	return s;
}

static const char *json_util_member_type_name(enum json_member_type t)
{
	switch (t) {
	case JSON_MEMBER_INT: return "an integer";
	case JSON_MEMBER_NUMBER: return "a number";
	case JSON_MEMBER_STRING: return "a string";
	default: return "an object";
	}
}

static const char *json_util_value_type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number with a fraction";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	default: return "a string";
	}
}

static bool json_util_member_type_ok(json_object *v, enum json_member_type t)
{
	switch (t) {
	case JSON_MEMBER_INT: return json_object_is_type(v, json_type_int);
	case JSON_MEMBER_NUMBER: return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
	case JSON_MEMBER_STRING: return json_object_is_type(v, json_type_string);
	default: return json_object_is_type(v, json_type_object);
	}
}

/* "clock_hz, connect, expect": what SCHEMA accepts, for the sentence. */
static void json_util_member_list(const struct json_member *schema, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (const struct json_member *m = schema; m->name && used < cap; m++)
		used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? ", " : "", m->name);
}

static int json_util_check_object(json_object *o, const struct json_member *schema, const char *prefix,
			     char *bad, size_t bad_cap)
{
	json_object_object_foreach(o, key, val) {
		const struct json_member *m = schema;
		char path[128], safe[64], list[160];

		while (m->name && strcmp(m->name, key) != 0)
			m++;
		utf8_escape((const uint8_t *)key, strlen(key), safe, sizeof(safe));
		snprintf(path, sizeof(path), "%s%s", prefix, safe);
		snprintf(bad, bad_cap, "%s", path);
		if (!m->name) {
			json_util_member_list(schema, list, sizeof(list));
			if (!list[0])
				return err_setf(ERR_BODY_MEMBER, "unknown member \"%s\": this request takes no "
						"members (send an empty body or {})", path);
			return err_setf(ERR_BODY_MEMBER, "unknown member \"%s\": %s takes %s", path,
					prefix[0] ? "this object" : "this request", list);
		}
		if (!json_util_member_type_ok(val, m->type))
			return err_setf(ERR_BODY_MEMBER, "member \"%s\" must be %s, not %s", path,
					json_util_member_type_name(m->type), json_util_value_type_name(val));
		if (m->type == JSON_MEMBER_STRING && m->max_len &&
		    (size_t)json_object_get_string_len(val) > m->max_len)
			return err_setf(ERR_BODY_MEMBER, "member \"%s\" is longer than %zu bytes", path, m->max_len);
		if (m->type == JSON_MEMBER_OBJECT) {
			char inner[130];
			int rc;

			snprintf(inner, sizeof(inner), "%s.", path);
			if ((rc = json_util_check_object(val, m->members, inner, bad, bad_cap)) < 0)
				return rc;
		}
	}
	bad[0] = '\0';
	return 0;
}

int json_util_check_members(json_object *o, const struct json_member *schema, char *bad, size_t bad_cap)
{
	bad[0] = '\0';
	if (!json_object_is_type(o, json_type_object))
		return err_setf(ERR_BODY_MEMBER, "the body must be a JSON object, not %s",
				json_util_value_type_name(o));
	return json_util_check_object(o, schema, "", bad, bad_cap);
}

static int json_util_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of O whose objects list their members in sorted order. Objects of
 * more than 64 members are not canonicalised past the 64th (no schema has
 * that many: json_util_check_members refused them first). */
static json_object *json_util_sorted_copy(json_object *o)
{
	json_object *c;
	const char *keys[64];
	size_t n = 0;

	if (!json_object_is_type(o, json_type_object))
		return json_object_get(o);
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (n < sizeof(keys) / sizeof(keys[0]))
			keys[n++] = key;
	}
	qsort(keys, n, sizeof(keys[0]), json_util_key_cmp);
	c = json_object_new_object();
	for (size_t i = 0; i < n; i++)
		json_object_object_add(c, keys[i], json_util_sorted_copy(json_object_object_get(o, keys[i])));
	return c;
}

char *json_util_canonical(json_object *o)
{
	json_object *c = json_util_sorted_copy(o);
	char *s = strdup(json_util_text(c, 0));

	json_object_put(c);
	return s;
}

json_object *json_util_error(int rc, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(err_name(rc)));
	json_object_object_add(o, "title", json_object_new_string(err_title(rc)));
	json_object_object_add(o, "detail", json_object_new_string(detail && *detail ? detail : err_title(rc)));
	return o;
}

