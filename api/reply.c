/*
 * reply.c - every HTTP answer goes through here: JSON, text, and
 * application/problem+json (RFC 9457) carrying the error table's sentence.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "err.h"
#include "json_util.h"

/* The header fields every answer of TYPE carries. */
static void reply_common_headers(struct MHD_Response *resp, const char *type)
{
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

static enum MHD_Result reply_buffer_mode(struct api_req *r, unsigned status, const char *type,
					 const char *text, size_t len, const char *location,
					 enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)text, mode);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	reply_common_headers(resp, type);
	if (location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	/* libmicrohttpd 0.9.75 closes the connection after an answer that
	 * says so (connection.c keepalive_possible()): what follows a refused
	 * request's headers is never read as another request. */
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	api_count_status(status);
	return ret;
}

/* A request whose answer carries fields of its own cannot take a kept one. */
static bool reply_kept_fits(const struct api_req *r)
{
	return !r->close && !r->allow;
}

bool reply_kept_queue(struct api_req *r, struct reply_kept *k, uint64_t version, enum MHD_Result *ret)
{
	bool hit = false;

	if (!version || !reply_kept_fits(r))
		return false;
	/* Queued under the read lock: libmicrohttpd takes its reference
	 * (0.9.75 connection.c MHD_queue_response(), MHD_increment_response_rc())
	 * before a newer answer can replace this one and drop the kept
	 * reference. */
	pthread_rwlock_rdlock(&k->lock);
	if (k->resp && k->version == version) {
		*ret = MHD_queue_response(r->conn, k->status, k->resp);
		hit = true;
	}
	pthread_rwlock_unlock(&k->lock);
	if (hit)
		api_count_status(k->status);
	return hit;
}

enum MHD_Result reply_kept_text(struct api_req *r, struct reply_kept *k, uint64_t version, unsigned status,
				const char *type, char *text)
{
	struct MHD_Response *resp, *old;
	enum MHD_Result ret;

	if (!version || !reply_kept_fits(r))
		return reply_text_owned(r, status, type, text);
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	reply_common_headers(resp, type);
	ret = MHD_queue_response(r->conn, status, resp);
	api_count_status(status);
	pthread_rwlock_wrlock(&k->lock);
	old = k->resp;
	k->resp = resp; /* the kept reference: this request's becomes it */
	k->version = version;
	k->status = status;
	pthread_rwlock_unlock(&k->lock);
	if (old)
		MHD_destroy_response(old); /* freed once the last connection sending it is done */
	return ret;
}

static enum MHD_Result reply_buffer(struct api_req *r, unsigned status, const char *type,
				    const char *text, size_t len, const char *location)
{
	return reply_buffer_mode(r, status, type, text, len, location, MHD_RESPMEM_MUST_COPY);
}

enum MHD_Result reply_text_owned(struct api_req *r, unsigned status, const char *type, char *text)
{
	return reply_buffer_mode(r, status, type, text, strlen(text), NULL, MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result reply_json(struct api_req *r, unsigned status, json_object *o, const char *location)
{
	const char *text = json_util_text(o, 1);
	enum MHD_Result ret = reply_buffer(r, status, "application/json", text, strlen(text), location);

	json_object_put(o);
	return ret;
}

enum MHD_Result reply_text(struct api_req *r, unsigned status, const char *type, const char *text, size_t len)
{
	return reply_buffer(r, status, type, text, len, NULL);
}

/* The problem object for RC and the thread's err_detail(), plus EXTRA's
 * members (EXTRA is consumed). */
static json_object *reply_problem_object(int rc, json_object *extra)
{
	json_object *o = json_object_new_object();
	const char *detail = err_detail();

	json_object_object_add(o, "type", json_object_new_string("about:blank"));
	json_object_object_add(o, "title", json_object_new_string(err_title(rc)));
	json_object_object_add(o, "status", json_object_new_int(err_http_status(rc)));
	json_object_object_add(o, "code", json_object_new_string(err_name(rc)));
	json_object_object_add(o, "detail", json_object_new_string(*detail ? detail : err_title(rc)));
	if (extra) {
		json_object_object_foreach(extra, key, val)
			json_object_object_add(o, key, json_object_get(val));
		json_object_put(extra);
	}
	return o;
}

enum MHD_Result reply_problem(struct api_req *r, int rc, json_object *extra)
{
	json_object *o = reply_problem_object(rc, extra);
	const char *text = json_util_text(o, 1);
	enum MHD_Result ret;

	ret = reply_buffer(r, (unsigned)err_http_status(rc), "application/problem+json", text,
			   strlen(text), NULL);
	json_object_put(o);
	return ret;
}

size_t reply_problem_wire(int rc, char *out, size_t cap)
{
	json_object *o = reply_problem_object(rc, NULL);
	const char *text = json_util_text(o, 1);
	unsigned status = (unsigned)err_http_status(rc);
	char date[40];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&now, &tm));
	n = snprintf(out, cap,
		     "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\n"
		     "Content-Type: application/problem+json\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n%s",
		     status, MHD_get_reason_phrase_for(status), date, strlen(text), text);
	json_object_put(o);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
