/*
 * body.h - request bodies: strict JSON (json_util_parse_strict) checked against
 * the route's table of members (json_util_check_members), one helper for every
 * route that takes a body.
 */
#ifndef RDPD_API_BODY_H
#define RDPD_API_BODY_H

#include "api/api.h"
#include "json_util.h"

/* R's body as an object holding only members of SCHEMA, each of its type;
 * an empty body is an empty object. Returns 0 and *OUT (the caller puts
 * it), or -ERR_JSON_INVALID / -ERR_BODY_MEMBER with a sentence, and the
 * member at fault in BAD ("" when none is). */
int body_parse(struct api_req *r, const struct json_member *schema, json_object **out, char *bad, size_t bad_cap);
/* problem+json for a refused body: RC's sentence, plus "member" naming
 * BAD when it is not empty. */
enum MHD_Result body_problem(struct api_req *r, int rc, const char *bad);

#endif
