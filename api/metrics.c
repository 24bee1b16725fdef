/*
 * metrics.c - the Prometheus text of GET /metrics: "# HELP" and "# TYPE"
 * before each family, counters ending in _total (docs/service.md).
 */
#include "api/metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/worker.h"
#include "probes/registry.h"

#define EMIT(...) used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, __VA_ARGS__)

/* rdpd_probes: a row per transport kind (registry_transport_counts). */
static size_t metrics_probes(char *out, size_t cap, size_t used)
{
	struct registry_transport_count rows[16];
	size_t n = registry_transport_counts(rows, 16);

	EMIT("# HELP rdpd_probes Probes present, by transport.\n# TYPE rdpd_probes gauge\n");
	for (size_t t = 0; t < n; t++)
		EMIT("rdpd_probes{transport=\"%s\"} %u\n", rows[t].transport, rows[t].count);
	return used;
}

static size_t metrics_jobs(char *out, size_t cap, size_t used)
{
	unsigned jobs[2][6];

	job_counts(jobs);
	EMIT("# HELP rdpd_jobs_total Jobs ended, by kind and outcome.\n# TYPE rdpd_jobs_total counter\n");
	for (int k = JOB_KIND_UNLOCK; k <= JOB_KIND_LOCK; k++)
		for (int s = JOB_SUCCEEDED; s <= JOB_INTERRUPTED; s++)
			EMIT("rdpd_jobs_total{kind=\"%s\",outcome=\"%s\"} %u\n", job_kind_name(k), job_state_name(s),
			     jobs[k][s]);
	EMIT("# HELP rdpd_jobs_running Jobs running now.\n# TYPE rdpd_jobs_running gauge\n"
	     "rdpd_jobs_running %u\n", worker_busy_count());
	return used;
}

/* rdpd_job_duration_seconds: a histogram per kind, cumulative buckets. */
static size_t metrics_durations(char *out, size_t cap, size_t used)
{
	struct job_durations d;

	job_durations(&d);
	EMIT("# HELP rdpd_job_duration_seconds Time from start to end of a job.\n"
	     "# TYPE rdpd_job_duration_seconds histogram\n");
	for (int k = JOB_KIND_UNLOCK; k <= JOB_KIND_LOCK; k++) {
		unsigned cum = 0;

		for (size_t b = 0; b <= d.n_le; b++) {
			char le[16];

			cum += d.counts[k][b];
			if (b < d.n_le)
				snprintf(le, sizeof(le), "%g", d.le[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			EMIT("rdpd_job_duration_seconds_bucket{kind=\"%s\",le=\"%s\"} %u\n", job_kind_name(k), le, cum);
		}
		EMIT("rdpd_job_duration_seconds_sum{kind=\"%s\"} %.3f\n"
		     "rdpd_job_duration_seconds_count{kind=\"%s\"} %u\n",
		     job_kind_name(k), d.sum_s[k], job_kind_name(k), cum);
	}
	return used;
}

/* V as a Prometheus label value: backslash, quote and newline escaped
 * (exposition format, "Text format details"), into OUT of CAP bytes. */
static const char *metrics_label(const char *v, char *out, size_t cap)
{
	size_t n = 0;

	for (; *v && n + 3 < cap; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			out[n++] = '\\';
		out[n++] = *v == '\n' ? 'n' : *v;
	}
	out[n] = '\0';
	return out;
}

/* rdpd_probe_protection_level: the level last read from each probe's
 * chip on rdpd's scale (0 open, 0.5, 1 locked, 2 permanent), whatever its
 * vendor's scheme (the label): "which boards in this lab are locked". */
static size_t metrics_probe_levels(char *out, size_t cap, size_t used, const struct probe_view *views, size_t n)
{
	EMIT("# HELP rdpd_probe_protection_level Protection level last read from the probe's chip "
	     "(0 open, 0.5, 1 locked, 2 permanent).\n# TYPE rdpd_probe_protection_level gauge\n");
	for (size_t i = 0; i < n; i++) {
		const struct probe_target_summary *t = &views[i].target;
		char serial[2 * sizeof(views[i].serial)];

		if (views[i].has_target && t->rdp_level_tenths >= 0)
			EMIT("rdpd_probe_protection_level{index=\"%d\",serial=\"%s\",family=\"%s\",scheme=\"%s\"} %g\n",
			     views[i].index, metrics_label(views[i].serial, serial, sizeof(serial)), t->family,
			     t->scheme ? t->scheme : "", t->rdp_level_tenths / 10.0);
	}
	return used;
}

/* rdpd_probe_target_volts: VTref of each probe that measures it (an
 * ST-LINK), as read when the probe was last opened; then the levels. */
static size_t metrics_probe_gauges(char *out, size_t cap, size_t used)
{
	/* Scrapes run at once on several threads (routes_meta.c): a copy each. */
	struct probe_view *views = malloc(REGISTRY_MAX_PROBES * sizeof(*views));
	size_t n = views ? registry_views(views, REGISTRY_MAX_PROBES, NULL) : 0;

	EMIT("# HELP rdpd_probe_target_volts Target voltage (VTref) the probe measured when last opened.\n"
	     "# TYPE rdpd_probe_target_volts gauge\n");
	for (size_t i = 0; i < n; i++) {
		char serial[2 * sizeof(views[i].serial)];

		if (views[i].target_mv >= 0)
			EMIT("rdpd_probe_target_volts{index=\"%d\",serial=\"%s\"} %d.%03d\n", views[i].index,
			     metrics_label(views[i].serial, serial, sizeof(serial)), views[i].target_mv / 1000,
			     views[i].target_mv % 1000);
	}
	used = metrics_probe_levels(out, cap, used, views, n);
	free(views);
	return used;
}

static size_t metrics_probe_errors(char *out, size_t cap, size_t used)
{
	struct worker_error_count rows[16];
	size_t n = worker_error_counts(rows, 16);

	EMIT("# HELP rdpd_usb_errors_total Probe-level failures, by kind.\n"
	     "# TYPE rdpd_usb_errors_total counter\n");
	for (size_t i = 0; i < n; i++)
		EMIT("rdpd_usb_errors_total{kind=\"%s\"} %u\n", err_name(rows[i].code), rows[i].count);
	return used;
}

size_t metrics_render(char *out, size_t cap)
{
	size_t used = 0;

	EMIT("# HELP rdpd_build_info rdpd version.\n# TYPE rdpd_build_info gauge\n"
	     "rdpd_build_info{version=\"%s\"} 1\n", RDPD_VERSION);
	used = metrics_probes(out, cap, used);
	used = metrics_jobs(out, cap, used);
	used = metrics_durations(out, cap, used);
	used = metrics_probe_errors(out, cap, used);
	used = metrics_probe_gauges(out, cap, used);
	EMIT("# HELP rdpd_http_requests_total HTTP responses, by status.\n"
	     "# TYPE rdpd_http_requests_total counter\n");
	api_metrics_http(out, cap, &used);
	routes_jobs_metrics(out, cap, &used);
	return used;
}
