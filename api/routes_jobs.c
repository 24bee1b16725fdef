/*
 * routes_jobs.c - /jobs: list, one job, its live events, cancel.
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/body.h"
#include "api/json_job.h"
#include "err.h"
#include "jobs/job.h"

#define SSE_HEARTBEAT_MS 15000
#define SSE_CHUNK 16384

static atomic_uint routes_jobs_sse_open; /* event streams being served */

/* Decimal job id, no sign, no overflow; 0 when it is not one. */
static uint64_t routes_jobs_parse_id(const char *s)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || !*s || strlen(s) > 19 || strspn(s, "0123456789") != strlen(s))
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	return errno || *end ? 0 : (uint64_t)v;
}

/* S percent-encoded for a query value (RFC 3986 unreserved characters kept). */
static void routes_jobs_query_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s && n + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~:@", c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
	}
	out[n] = '\0';
}

/* A job id in a path: canonical decimal only, so /jobs/01 is no job. */
static uint64_t routes_jobs_parse_path_id(const char *s)
{
	return s && s[0] == '0' ? 0 : routes_jobs_parse_id(s);
}

static enum MHD_Result routes_jobs_no_such_job(struct api_req *r)
{
	err_setf(ERR_NOT_FOUND, "no job '%.40s': GET /jobs lists them (history keeps the last %d)",
		 r->params[0], JOB_HISTORY_MAX);
	return reply_problem(r, -ERR_NOT_FOUND, NULL);
}

enum MHD_Result routes_jobs_list(struct api_req *r)
{
	const char *q_probe = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "probe");
	const char *q_state = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "state");
	const char *q_limit = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *q_before = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "before");
	json_object *o = json_object_new_object();
	int probe = -1, state = -1;
	unsigned limit = 20;
	uint64_t before = 0, next = 0;

	if (q_probe) {
		enum MHD_Result ret = MHD_NO;

		if (!routes_probes_ref(r, q_probe, &probe, &ret)) {
			json_object_put(o);
			return ret;
		}
	}
	if (q_state) {
		for (int s = JOB_QUEUED; s <= JOB_INTERRUPTED && state < 0; s++)
			if (strcmp(q_state, job_state_name(s)) == 0)
				state = s;
		if (state < 0) {
			json_object_put(o);
			err_setf(ERR_INVALID_ARGUMENT, "state must be queued, running, succeeded, failed, "
				 "cancelled or interrupted");
			return reply_problem(r, -ERR_INVALID_ARGUMENT, NULL);
		}
	}
	if (q_limit) {
		uint64_t l = routes_jobs_parse_id(q_limit);

		if (l < 1 || l > 100) {
			json_object_put(o);
			err_setf(ERR_INVALID_ARGUMENT, "limit must be 1 to 100");
			return reply_problem(r, -ERR_INVALID_ARGUMENT, NULL);
		}
		limit = (unsigned)l;
	}
	if (q_before && !(before = routes_jobs_parse_id(q_before))) {
		json_object_put(o);
		err_setf(ERR_INVALID_ARGUMENT, "before must be a job id");
		return reply_problem(r, -ERR_INVALID_ARGUMENT, NULL);
	}
	json_object_object_add(o, "jobs", json_job_list(probe, state, limit, before, &next));
	if (next) {
		char link[512], probe_q[400];

		/* A probe ref may be a URI ("sim:x?serial=A&..."): encoded, it stays one parameter. */
		routes_jobs_query_escape(q_probe ? q_probe : "", probe_q, sizeof(probe_q));
		snprintf(link, sizeof(link), "/jobs?before=%llu&limit=%u%s%s%s%s", (unsigned long long)next,
			 limit, q_probe ? "&probe=" : "", probe_q, q_state ? "&state=" : "",
			 q_state ? q_state : "");
		json_object_object_add(o, "next", json_object_new_string(link));
	} else {
		json_object_object_add(o, "next", NULL);
	}
	return reply_json(r, MHD_HTTP_OK, o, NULL);
}

enum MHD_Result routes_jobs_get(struct api_req *r)
{
	uint64_t id = routes_jobs_parse_path_id(r->params[0]);
	json_object *o = id ? json_job_by_id(id) : NULL;

	return o ? reply_json(r, MHD_HTTP_OK, o, NULL) : routes_jobs_no_such_job(r);
}

/* Cancel takes no members: an empty body or {}, like every other route's
 * body checked before anything else is looked at. */
static const struct json_member routes_jobs_body_cancel[] = {{NULL}};

enum MHD_Result routes_jobs_cancel(struct api_req *r)
{
	uint64_t id = routes_jobs_parse_path_id(r->params[0]);
	json_object *body = NULL;
	char bad[64];
	int rc = body_parse(r, routes_jobs_body_cancel, &body, bad, sizeof(bad));

	json_object_put(body);
	if (rc < 0)
		return body_problem(r, rc, bad);
	if (!id || !job_exists(id))
		return routes_jobs_no_such_job(r);
	rc = job_cancel(id);
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	return reply_json(r, MHD_HTTP_OK, json_job_by_id(id), NULL);
}

struct sse_stream {
	uint64_t id;
	uint64_t last_seq;
	bool done;
	struct park park; /* between events (park.c) */
	char buf[SSE_CHUNK];
	size_t len, off;
};

/* Content reader. With nothing to send, it parks the connection until the
 * job's next event, the client leaving or, after 15 s of quiet, a comment
 * line that keeps proxies and the connection timeout from closing an idle
 * stream; it returns 0, which libmicrohttpd takes as "call again" once the
 * connection is resumed (microhttpd.h, MHD_ContentReaderCallback). */
static ssize_t routes_jobs_sse_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_stream *s = cls;
	size_t n;

	if (s->off == s->len) {
		s->off = 0;
		s->park.seq = job_last_seq(s->id); /* before the copy: a later event wakes it */
		s->len = json_job_events_sse(s->id, s->last_seq, s->buf, sizeof(s->buf), &s->last_seq, &s->done);
	}
	while (s->off == s->len) { /* park_suspend() says why it would not park */
		if (s->done || s->park.why == PARK_WAKE_STOP)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (s->park.why == PARK_WAKE_GONE)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (s->park.why == PARK_WAKE_DEADLINE)
			s->len = (size_t)snprintf(s->buf, sizeof(s->buf), ": keep-alive\n\n");
		else if (park_suspend(&s->park))
			return 0;
	}
	s->park.why = PARK_WAKE_NONE;
	s->park.deadline_ms = park_now_ms() + SSE_HEARTBEAT_MS;
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(out, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void routes_jobs_sse_free(void *cls)
{
	park_done(&((struct sse_stream *)cls)->park);
	free(cls);
	atomic_fetch_sub(&routes_jobs_sse_open, 1);
}

void routes_jobs_metrics(char *out, size_t cap, size_t *used)
{
	if (*used < cap)
		*used += (size_t)snprintf(out + *used, cap - *used,
					  "# HELP rdpd_http_event_streams Job event streams open now.\n"
					  "# TYPE rdpd_http_event_streams gauge\n"
					  "rdpd_http_event_streams %u\n", atomic_load(&routes_jobs_sse_open));
}

enum MHD_Result routes_jobs_events(struct api_req *r)
{
	const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	uint64_t id = routes_jobs_parse_path_id(r->params[0]);
	struct MHD_Response *resp;
	struct sse_stream *s;
	enum MHD_Result ret;

	if (!id || !job_exists(id))
		return routes_jobs_no_such_job(r);
	/* HEAD: the headers only. libmicrohttpd 0.9.75 would still send a
	 * chunked stream's last chunk ("0" CR LF CR LF) after a HEAD answer's
	 * headers, which a kept-alive client would read as the next answer. */
	if (strcmp(r->method, "HEAD") == 0)
		return reply_text(r, MHD_HTTP_OK, "text/event-stream", "", 0);
	s = calloc(1, sizeof(*s));
	if (!s)
		return MHD_NO;
	s->id = id;
	s->last_seq = last ? routes_jobs_parse_id(last) : 0; /* resume after the last event the client saw */
	park_init(&s->park, r->conn, id, park_now_ms() + SSE_HEARTBEAT_MS);
	atomic_fetch_add(&routes_jobs_sse_open, 1);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, routes_jobs_sse_read, s, routes_jobs_sse_free);
	if (!resp) {
		routes_jobs_sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	api_count_status(MHD_HTTP_OK);
	return ret;
}
