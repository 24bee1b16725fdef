/*
 * api.h - the HTTP API: what the server, the router and the routes share.
 */
#ifndef RDPD_API_H
#define RDPD_API_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/park.h"

#define API_MAX_BODY (64 * 1024)
#define API_MEMORY_LIMIT (32 * 1024) /* per connection: request line, headers, answer headers */

struct api_config {
	const char *listen_host;   /* "127.0.0.1" */
	unsigned short port;
	bool require_token;        /* non-loopback listen */
	const char *tokens_path;   /* NAME ROLE SECRET per line */
	const char *web_dir;       /* dashboard files (fixed list) */
	const char *allowed_hosts; /* comma-separated extra Host names */
	const char *state_dir;
	bool have_listen_fd;       /* a bound socket from systemd (rdpd.socket) */
	int listen_fd;
	const char *tls_cert_pem;  /* both set: HTTPS (MHD with GnuTLS) */
	const char *tls_key_pem;
	unsigned request_timeout_s; /* a whole request must arrive within it (0: 60 s) */
};

enum api_role { API_ROLE_NONE, API_ROLE_READ, API_ROLE_OPERATE, API_ROLE_ADMIN };

/* One request, as the router sees it. */
struct api_req {
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	char *body;
	size_t body_len;
	bool body_too_large;
	const char *params[3];   /* {ref}, {id} captured by the router */
	unsigned n_params;
	char who[64];            /* token name, or "local" */
	bool checked;            /* passed the Host/Origin/token checks */
	bool answered;           /* rdpd answers it (else MHD answered it, or the client left) */
	bool close;              /* answer with Connection: close (its framing was refused) */
	const char *allow;       /* an Allow header for the answer (405, OPTIONS) */
	const char *target_end;  /* where the request-target ends in MHD's buffer */
	bool target_bad;         /* it holds a byte no request-target may (http_framing.c) */
	enum api_role role;
	/* An answer that waits (park.c): the connection is suspended, and
	 * when libmicrohttpd calls the handler again after the resume, CONT
	 * goes on with the request. */
	struct park park;
	enum MHD_Result (*cont)(struct api_req *r);
	uint64_t wait_job;           /* ?wait=: the job, and whether this request made it */
	bool wait_fresh;
	struct worker_read *rdp_read; /* GET /probes/{ref}/rdp: the worker's read */
	int busy_index;               /* a job POST that found the probe being claimed */
	unsigned busy_tries;
};

/* Replies (reply.c). Each returns the MHD result to hand back. */
enum MHD_Result reply_json(struct api_req *r, unsigned status, json_object *o, const char *location);
enum MHD_Result reply_text(struct api_req *r, unsigned status, const char *type, const char *text, size_t len);
/* TEXT (malloc'd) is handed to the response, which frees it. */
enum MHD_Result reply_text_owned(struct api_req *r, unsigned status, const char *type, char *text);
/* application/problem+json from RC and the thread's err_detail(); EXTRA
 * (may be NULL) adds members such as "job". */
enum MHD_Result reply_problem(struct api_req *r, int rc, json_object *extra);
/* An answer built once and queued again on every request that asks for
 * the same VERSION of it (GET /probes): libmicrohttpd counts a response's
 * users, so one response may go out on many connections at once. A
 * VERSION of 0 is never kept. */
struct reply_kept {
	pthread_rwlock_t lock;
	struct MHD_Response *resp;
	uint64_t version;
	unsigned status;
};
#define REPLY_KEPT_INIT {.lock = PTHREAD_RWLOCK_INITIALIZER}
/* Queue K's answer when it is for VERSION; false (nothing queued) else. */
bool reply_kept_queue(struct api_req *r, struct reply_kept *k, uint64_t version, enum MHD_Result *ret);
/* Answer with TEXT (malloc'd, taken) and keep the answer in K for VERSION. */
enum MHD_Result reply_kept_text(struct api_req *r, struct reply_kept *k, uint64_t version, unsigned status,
				const char *type, char *text);
/* The same problem as a whole HTTP/1.1 answer with Connection: close, for
 * writing to a socket directly (http_errors.c); 0 when CAP is too small. */
size_t reply_problem_wire(int rc, char *out, size_t cap);

/* Router (router.c). router_find: the route for R's method and path
 * (params captured into R; HEAD finds the GET route), -1 for no such path,
 * -2 for a path that exists with other methods (ALLOW then lists the
 * path's methods, HEAD and OPTIONS included). */
int router_find(struct api_req *r, char *allow, size_t allow_cap);
enum MHD_Result router_dispatch(struct api_req *r);

/* REF names one probe (registry_resolve_ex): true and *INDEX, or false with
 * the 404 problem (409 listing the candidates when ambiguous) queued in *RET. */
bool routes_probes_ref(struct api_req *r, const char *ref, int *index, enum MHD_Result *ret);

/* Routes. */
enum MHD_Result routes_probes_list(struct api_req *r);
enum MHD_Result routes_probes_add(struct api_req *r);
enum MHD_Result routes_probes_get(struct api_req *r);
enum MHD_Result routes_probes_delete(struct api_req *r);
enum MHD_Result routes_probes_rdp(struct api_req *r);
enum MHD_Result routes_probes_unlock(struct api_req *r);
enum MHD_Result routes_probes_lock(struct api_req *r);
enum MHD_Result routes_probes_lease(struct api_req *r);
enum MHD_Result routes_probes_unlease(struct api_req *r);
enum MHD_Result routes_jobs_list(struct api_req *r);
enum MHD_Result routes_jobs_get(struct api_req *r);
enum MHD_Result routes_jobs_events(struct api_req *r);
enum MHD_Result routes_jobs_cancel(struct api_req *r);
enum MHD_Result routes_meta_livez(struct api_req *r);
enum MHD_Result routes_meta_readyz(struct api_req *r);
enum MHD_Result routes_meta_metrics(struct api_req *r);
enum MHD_Result routes_meta_openapi(struct api_req *r);
enum MHD_Result routes_meta_static(struct api_req *r);

/* Server lifecycle (api.c). */
int api_start(const struct api_config *cfg);
void api_stop(void);
/* Ready = listening and the journal writable (for /readyz). */
void routes_meta_set_journal_ok(bool (*fn)(void));
const struct api_config *api_config(void);
/* Park R's connection (park_suspend(), R->park set by park_init()): true,
 * and CONT(R) runs when it is resumed; false with the reason in
 * R->park.why: answer now. */
bool api_park(struct api_req *r, enum MHD_Result (*cont)(struct api_req *r));
/* Metrics counters. */
void api_count_status(unsigned status);
void api_metrics_http(char *out, size_t cap, size_t *used);
void routes_jobs_metrics(char *out, size_t cap, size_t *used); /* event streams open */

#endif
