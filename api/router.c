/*
 * router.c - the route table: method + path pattern -> handler, with the
 * role each needs. Paths are matched segment by segment; {name} captures
 * one non-empty segment.
 */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "err.h"

struct route {
	const char *method;
	const char *pattern;
	enum MHD_Result (*handler)(struct api_req *r);
	enum api_role role;
};

static const struct route router_table[] = {
	{"GET", "/probes", routes_probes_list, API_ROLE_READ},
	{"POST", "/probes", routes_probes_add, API_ROLE_ADMIN},
	{"GET", "/probes/{ref}", routes_probes_get, API_ROLE_READ},
	{"DELETE", "/probes/{ref}", routes_probes_delete, API_ROLE_ADMIN},
	{"GET", "/probes/{ref}/rdp", routes_probes_rdp, API_ROLE_READ},
	{"POST", "/probes/{ref}/unlock", routes_probes_unlock, API_ROLE_OPERATE},
	{"POST", "/probes/{ref}/lock", routes_probes_lock, API_ROLE_OPERATE},
	{"POST", "/probes/{ref}/lease", routes_probes_lease, API_ROLE_OPERATE},
	{"DELETE", "/probes/{ref}/lease", routes_probes_unlease, API_ROLE_OPERATE},
	{"GET", "/jobs", routes_jobs_list, API_ROLE_READ},
	{"GET", "/jobs/{id}", routes_jobs_get, API_ROLE_READ},
	{"GET", "/jobs/{id}/events", routes_jobs_events, API_ROLE_READ},
	{"POST", "/jobs/{id}/cancel", routes_jobs_cancel, API_ROLE_OPERATE},
	{"GET", "/livez", routes_meta_livez, API_ROLE_NONE},
	{"GET", "/readyz", routes_meta_readyz, API_ROLE_NONE},
	{"GET", "/metrics", routes_meta_metrics, API_ROLE_NONE},
	{"GET", "/openapi.json", routes_meta_openapi, API_ROLE_NONE},
	{"GET", "/", routes_meta_static, API_ROLE_NONE},
	{"GET", "/index.html", routes_meta_static, API_ROLE_NONE},
	{"GET", "/app.js", routes_meta_static, API_ROLE_NONE},
	{"GET", "/style.css", routes_meta_static, API_ROLE_NONE},
};

#define ROUTE_COUNT (sizeof(router_table) / sizeof(router_table[0]))
#define ROUTE_SEGMENT_MAX 128

/* Match PATH against PATTERN, capturing {x} segments into R->params (which
 * point into R's own copy of the path). */
static bool router_match(const char *pattern, const char *path, struct api_req *r, char *buf, size_t cap)
{
	const char *p = pattern, *s = path;
	size_t used = 0;

	r->n_params = 0;
	while (*p && *s) {
		const char *pe = strchr(p + 1, '/'), *se = strchr(s + 1, '/');
		size_t plen = pe ? (size_t)(pe - p) : strlen(p), slen = se ? (size_t)(se - s) : strlen(s);

		if (p[1] == '{') {
			if (slen < 2 || slen - 1 > ROUTE_SEGMENT_MAX || used + slen > cap || r->n_params == 3)
				return false;
			memcpy(buf + used, s + 1, slen - 1);
			buf[used + slen - 1] = '\0';
			r->params[r->n_params++] = buf + used;
			used += slen;
		} else if (plen != slen || strncmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	return *p == '\0' && *s == '\0';
}

/* ROUTE answers METHOD. HEAD is GET without the body (RFC 9110 9.3.2):
 * libmicrohttpd leaves the body out of an answer to HEAD itself
 * (connection.c is_reply_body_needed()), headers and Content-Length kept. */
static bool router_serves(const struct route *rt, const char *method)
{
	return strcmp(rt->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0);
}

static void router_allow_add(char *allow, size_t cap, const char *method)
{
	size_t n = strlen(allow);

	if (n < cap)
		snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", method);
}

int router_find(struct api_req *r, char *allow, size_t allow_cap)
{
	static _Thread_local char params[512];

	if (allow_cap)
		allow[0] = '\0';
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		const struct route *rt = &router_table[i];

		if (!router_match(rt->pattern, r->path, r, params, sizeof(params)))
			continue;
		if (router_serves(rt, r->method))
			return (int)i;
		if (allow_cap) {
			router_allow_add(allow, allow_cap, rt->method);
			if (strcmp(rt->method, "GET") == 0)
				router_allow_add(allow, allow_cap, "HEAD");
		}
	}
	if (!allow_cap || !allow[0])
		return -1;
	router_allow_add(allow, allow_cap, "OPTIONS");
	return -2;
}

/* OPTIONS (RFC 9110 9.3.7): 204 and the Allow list, and nothing else. No
 * Access-Control-Allow-* header: a browser's CORS preflight from another
 * site fails, so its page cannot go on to send the real request. */
static enum MHD_Result router_options(struct api_req *r, const char *allow)
{
	enum MHD_Result ret;

	r->allow = allow;
	ret = reply_text(r, MHD_HTTP_NO_CONTENT, NULL, "", 0);
	r->allow = NULL;
	return ret;
}

static enum MHD_Result router_not_allowed(struct api_req *r, const char *allow)
{
	enum MHD_Result ret;

	err_setf(ERR_HTTP_METHOD_NOT_ALLOWED, "%.16s %.40s is not supported; use %s.", r->method, r->path, allow);
	r->allow = allow; /* RFC 9110 15.5.6: a 405 carries Allow */
	ret = reply_problem(r, -ERR_HTTP_METHOD_NOT_ALLOWED, NULL);
	r->allow = NULL;
	return ret;
}

enum MHD_Result router_dispatch(struct api_req *r)
{
	bool options = strcmp(r->method, "OPTIONS") == 0;
	char allow[64];
	const struct route *rt;
	int i;

	if (options && strcmp(r->path, "*") == 0) /* the server as a whole */
		return router_options(r, "GET, HEAD, POST, DELETE, OPTIONS");
	i = router_find(r, allow, sizeof(allow));
	if (i == -2)
		return options ? router_options(r, allow) : router_not_allowed(r, allow);
	if (i < 0) {
		err_setf(ERR_NOT_FOUND, "No such resource. GET /openapi.json lists the endpoints.");
		return reply_problem(r, -ERR_NOT_FOUND, NULL);
	}
	rt = &router_table[i];
	if (r->role < rt->role) {
		if (strcmp(r->who, "anonymous") == 0) {
			err_setf(ERR_HTTP_UNAUTHORIZED, "Send Authorization: Bearer <token> (a token from "
				 "/etc/rdpd/tokens).");
			return reply_problem(r, -ERR_HTTP_UNAUTHORIZED, NULL);
		}
		err_setf(ERR_HTTP_FORBIDDEN, "Your token's role does not allow this; it needs the operate "
			 "or admin role.");
		return reply_problem(r, -ERR_HTTP_FORBIDDEN, NULL);
	}
	return rt->handler(r);
}
