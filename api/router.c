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

static const struct route routes[] = {
	{"GET", "/probes", route_probes_list, API_ROLE_READ},
	{"POST", "/probes", route_probes_add, API_ROLE_ADMIN},
	{"GET", "/probes/{ref}", route_probe_get, API_ROLE_READ},
	{"DELETE", "/probes/{ref}", route_probe_delete, API_ROLE_ADMIN},
	{"GET", "/probes/{ref}/rdp", route_probe_rdp, API_ROLE_READ},
	{"POST", "/probes/{ref}/unlock", route_probe_unlock, API_ROLE_OPERATE},
	{"POST", "/probes/{ref}/lock", route_probe_lock, API_ROLE_OPERATE},
	{"POST", "/probes/{ref}/lease", route_probe_lease, API_ROLE_OPERATE},
	{"DELETE", "/probes/{ref}/lease", route_probe_unlease, API_ROLE_OPERATE},
	{"GET", "/jobs", route_jobs_list, API_ROLE_READ},
	{"GET", "/jobs/{id}", route_job_get, API_ROLE_READ},
	{"GET", "/jobs/{id}/events", route_job_events, API_ROLE_READ},
	{"POST", "/jobs/{id}/cancel", route_job_cancel, API_ROLE_OPERATE},
	{"GET", "/livez", route_livez, API_ROLE_NONE},
	{"GET", "/readyz", route_readyz, API_ROLE_NONE},
	{"GET", "/metrics", route_metrics, API_ROLE_NONE},
	{"GET", "/openapi.json", route_openapi, API_ROLE_NONE},
	{"GET", "/", route_static, API_ROLE_NONE},
	{"GET", "/index.html", route_static, API_ROLE_NONE},
	{"GET", "/app.js", route_static, API_ROLE_NONE},
	{"GET", "/style.css", route_static, API_ROLE_NONE},
};

#define ROUTE_COUNT (sizeof(routes) / sizeof(routes[0]))
#define ROUTE_SEGMENT_MAX 128

/* Match PATH against PATTERN, capturing {x} segments into R->params (which
 * point into R's own copy of the path). */
static bool route_match(const char *pattern, const char *path, struct api_req *r, char *buf, size_t cap)
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

int router_find(struct api_req *r, char *allow, size_t allow_cap)
{
	static _Thread_local char params[512];

	if (allow_cap)
		allow[0] = '\0';
	for (size_t i = 0; i < ROUTE_COUNT; i++) {
		const struct route *rt = &routes[i];

		if (!route_match(rt->pattern, r->path, r, params, sizeof(params)))
			continue;
		if (strcmp(rt->method, r->method) == 0)
			return (int)i;
		if (allow_cap) {
			size_t n = strlen(allow);

			snprintf(allow + n, allow_cap - n, "%s%s", n ? ", " : "", rt->method);
		}
	}
	return allow_cap && allow[0] ? -2 : -1;
}

enum MHD_Result router_dispatch(struct api_req *r)
{
	char allow[64];
	int i = router_find(r, allow, sizeof(allow));
	const struct route *rt;

	if (i == -2) {
		char detail[192];

		snprintf(detail, sizeof(detail), "%.16s %.40s is not supported; use %s.", r->method, r->path, allow);
		return reply_problem_status(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
					    "Method not allowed", detail);
	}
	if (i < 0)
		return reply_problem_status(r, MHD_HTTP_NOT_FOUND, "not_found", "Not found",
					    "No such resource. GET /openapi.json lists the endpoints.");
	rt = &routes[i];
	if (r->role < rt->role) {
		bool anonymous = strcmp(r->who, "anonymous") == 0;

		return reply_problem_status(
			r, anonymous ? MHD_HTTP_UNAUTHORIZED : MHD_HTTP_FORBIDDEN,
			anonymous ? "unauthorized" : "forbidden",
			anonymous ? "Authentication required" : "Not allowed",
			anonymous ? "Send Authorization: Bearer <token> (a token from /etc/rdpd/tokens)."
				  : "Your token's role does not allow this; it needs the operate or admin role.");
	}
	return rt->handler(r);
}
