/*
 * json_util.c - helpers over json-c 0.16 (Debian 12). Parsing follows
 * SERVICE.md: explicit length, strict mode, low depth, no trailing bytes.
 */
#include "json_util.h"

#include <stdio.h>

#include "err.h"

#define JSON_MAX_DEPTH 8

void json_time_rfc3339(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_object *json_time(time_t t)
{
	char buf[32];

	if (t == 0)
		return NULL;
	json_time_rfc3339(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

json_object *json_hex(uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%x", v);
	return json_object_new_string(s);
}

json_object *json_level_tenths(int tenths)
{
	if (tenths < 0)
		return NULL;
	if (tenths % 10)
		return json_object_new_double(tenths / 10.0);
	return json_object_new_int(tenths / 10);
}

int json_level_to_tenths(json_object *o)
{
	double d;

	if (!o || !(json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double)))
		return -1;
	d = json_object_get_double(o);
	if (d == 0 || d == 0.5 || d == 1 || d == 2)
		return (int)(d * 10 + 0.5);
	return -1;
}

json_object *json_parse_strict(const char *buf, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	json_object *o;
	enum json_tokener_error e;

	if (!tok) {
		err_setf(ERR_NO_MEMORY, "out of memory parsing JSON");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	if (!o || e != json_tokener_success) {
		err_setf(ERR_INVALID_ARGUMENT, "the body is not valid JSON (%s at byte %zu)",
			 e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e),
			 json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	} else if (json_tokener_get_parse_end(tok) != len) {
		err_setf(ERR_INVALID_ARGUMENT, "the body has bytes after its JSON value (at byte %zu)",
			 json_tokener_get_parse_end(tok));
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

const char *json_text(json_object *o, int pretty)
{
	return json_object_to_json_string_ext(
		o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) | JSON_C_TO_STRING_NOSLASHESCAPE);
}

json_object *json_error(int rc, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(err_name(rc)));
	json_object_object_add(o, "title", json_object_new_string(err_title(rc)));
	json_object_object_add(o, "detail", json_object_new_string(detail && *detail ? detail : err_title(rc)));
	return o;
}

