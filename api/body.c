/*
 * body.c - one way into a request body for every route: nothing reaches a
 * handler that two JSON readers could understand differently, or that
 * holds a member the route does not know (docs/service.md, bad input row 19).
 */
#include "api/body.h"

#include "err.h"

int body_parse(struct api_req *r, const struct json_member *schema, json_object **out, char *bad, size_t bad_cap)
{
	json_object *o;
	int rc;

	*out = NULL;
	bad[0] = '\0';
	if (r->body_len == 0) {
		/* `curl -X POST` sends nothing: the route's defaults. */
		*out = json_object_new_object();
		return *out ? 0 : err_setf(ERR_NO_MEMORY, "out of memory");
	}
	o = json_util_parse_strict(r->body, r->body_len);
	if (!o)
		return -ERR_JSON_INVALID;
	rc = json_util_check_members(o, schema, bad, bad_cap);
	if (rc < 0) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}

enum MHD_Result body_problem(struct api_req *r, int rc, const char *bad)
{
	json_object *extra = NULL;

	if (bad && bad[0]) {
		extra = json_object_new_object();
		json_object_object_add(extra, "member", json_object_new_string(bad));
	}
	return reply_problem(r, rc, extra);
}
