/*
 * routes_meta.c - /livez, /readyz, /metrics, /openapi.json and the
 * dashboard's fixed files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/assets.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/worker.h"
#include "json_util.h"
#include "probes/probe_registry.h"

#define METRICS_CAP_START 16384
#define METRICS_CAP_MAX (1024 * 1024)

static bool (*journal_ok)(void);

void api_set_journal_ok(bool (*fn)(void))
{
	journal_ok = fn;
}

enum MHD_Result route_livez(struct api_req *r)
{
	return reply_text(r, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}

enum MHD_Result route_readyz(struct api_req *r)
{
	json_object *o = json_object_new_object();
	bool journal = !journal_ok || journal_ok();

	json_object_object_add(o, "listening", json_object_new_boolean(true));
	json_object_object_add(o, "journal_writable", json_object_new_boolean(journal));
	json_object_object_add(o, "ready", json_object_new_boolean(journal));
	return reply_json(r, journal ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o, NULL);
}

/* The metrics into OUT (CAP bytes); returns the length they need, CAP or
 * more when they did not fit. */
static size_t metrics_render(char *out, size_t cap)
{
	static const char *const kinds[2] = {"unlock", "lock"};
	struct registry_transport_count probes[16];
	size_t n_probes = registry_transport_counts(probes, 16), used = 0;
	unsigned jobs[2][6];

	job_counts(jobs);
#define EMIT(...) used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, __VA_ARGS__)
	EMIT("# HELP rdpd_build_info rdpd version.\n# TYPE rdpd_build_info gauge\n"
	     "rdpd_build_info{version=\"%s\"} 1\n", RDPD_VERSION);
	EMIT("# HELP rdpd_probes Probes present, by transport.\n# TYPE rdpd_probes gauge\n");
	for (size_t t = 0; t < n_probes; t++)
		EMIT("rdpd_probes{transport=\"%s\"} %u\n", probes[t].transport, probes[t].count);
	EMIT("# HELP rdpd_jobs_total Jobs ended, by kind and outcome.\n# TYPE rdpd_jobs_total counter\n");
	for (int k = 0; k < 2; k++)
		for (int s = JOB_SUCCEEDED; s <= JOB_INTERRUPTED; s++)
			EMIT("rdpd_jobs_total{kind=\"%s\",outcome=\"%s\"} %u\n", kinds[k], job_state_name(s), jobs[k][s]);
	EMIT("# HELP rdpd_jobs_running Jobs running now.\n# TYPE rdpd_jobs_running gauge\n"
	     "rdpd_jobs_running %u\n", worker_busy_count());
	job_metrics_durations(out, cap, &used);
	worker_metrics_errors(out, cap, &used);
	EMIT("# HELP rdpd_http_requests_total HTTP responses, by status.\n"
	     "# TYPE rdpd_http_requests_total counter\n");
	api_metrics_http(out, cap, &used);
	routes_jobs_metrics(out, cap, &used);
#undef EMIT
	return used;
}

/* Every scrape renders into a buffer of its own: connection threads run at
 * once, and one shared buffer garbled concurrent scrapes. */
enum MHD_Result route_metrics(struct api_req *r)
{
	char *out = NULL;

	for (size_t cap = METRICS_CAP_START; cap <= METRICS_CAP_MAX; cap *= 2) {
		char *nb = realloc(out, cap);

		if (!nb)
			break;
		out = nb;
		if (metrics_render(out, cap) < cap)
			return reply_text_owned(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out);
	}
	free(out);
	return reply_problem(r, err_setf(ERR_NO_MEMORY, "the metrics did not fit in %d bytes, or memory "
					 "ran out", METRICS_CAP_MAX), NULL);
}

enum MHD_Result route_openapi(struct api_req *r)
{
	const struct asset *a = asset_find("/openapi.json");

	return reply_text(r, MHD_HTTP_OK, a->type, (const char *)a->data, a->len);
}

enum MHD_Result route_static(struct api_req *r)
{
	const struct asset *a = asset_find(strcmp(r->path, "/") == 0 ? "/index.html" : r->path);

	if (!a)
		return reply_problem(r, err_setf(ERR_NOT_FOUND, "No such file in the dashboard."), NULL);
	return reply_text(r, MHD_HTTP_OK, a->type, (const char *)a->data, a->len);
}
