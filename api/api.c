/*
 * api.c - libmicrohttpd glue: limits, request bodies, security
 * checks, then the router.
 *
 * Threading: libmicrohttpd's pool of epoll threads, one per CPU
 * (MHD_USE_EPOLL_INTERNAL_THREAD, MHD_OPTION_THREAD_POOL_SIZE), serves
 * every connection; none of them may block. Handlers never touch USB: they
 * read the registry and the job store and hand work to the probes'
 * workers. An answer that has to wait (an event stream between events, a
 * `?wait=`, a protection read on the worker) suspends its connection and
 * parks it (park.c) instead of holding a thread. A thread per connection
 * (rdpd's mode before) gave each waiting client a thread of its own, and
 * `make bench` measured it at 65 % of a minimal libmicrohttpd server.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/conn_guard.h"
#include "api/http_errors.h"
#include "api/http_framing.h"
#include "api/listen.h"
#include "api/park.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/worker.h"
#include "log.h"

#define API_CONNECTION_LIMIT 256 /* served at once; a newcomer then takes an idle one's slot */
#define API_CONNECTION_HEADROOM 32 /* listen.c's limit is above: room for those being closed */
#define API_PER_IP_LIMIT 64
#define API_TIMEOUT_S 30 /* idle time; a trickled request is conn_guard.c's */
#define API_THREADS_MAX 16
#define API_STOP_GRACE_MS 2000

static struct MHD_Daemon *api_daemon;
static struct api_config api_cfg;
static atomic_uint api_status_counts[6]; /* 1xx..5xx, index by status/100 */
static atomic_uint api_status_detail[600];
static atomic_uint api_requests_abandoned;

const struct api_config *api_config(void)
{
	return &api_cfg;
}

bool api_park(struct api_req *r, enum MHD_Result (*cont)(struct api_req *r))
{
	r->cont = cont;
	if (park_suspend(&r->park))
		return true;
	r->cont = NULL;
	return false;
}

void api_count_status(unsigned status)
{
	if (status < 600) {
		atomic_fetch_add(&api_status_detail[status], 1);
		atomic_fetch_add(&api_status_counts[status / 100], 1);
	}
}

void api_metrics_http(char *out, size_t cap, size_t *used)
{
	for (unsigned s = 100; s < 600; s++) {
		unsigned n = atomic_load(&api_status_detail[s]);

		if (n && *used < cap)
			*used += (size_t)snprintf(out + *used, cap - *used,
						  "rdpd_http_requests_total{code=\"%u\"} %u\n", s, n);
	}
	if (*used < cap)
		*used += (size_t)snprintf(out + *used, cap - *used,
					  "# HELP rdpd_http_requests_abandoned_total Requests whose client left "
					  "before sending all of it.\n"
					  "# TYPE rdpd_http_requests_abandoned_total counter\n"
					  "rdpd_http_requests_abandoned_total %u\n",
					  atomic_load(&api_requests_abandoned));
	if (*used < cap)
		*used += (size_t)snprintf(out + *used, cap - *used,
					  "# HELP rdpd_http_parked Answers waiting now without a thread (an event "
					  "stream between events, a ?wait=, a protection read).\n"
					  "# TYPE rdpd_http_parked gauge\n"
					  "rdpd_http_parked %u\n", park_count());
	conn_guard_metrics(out, cap, used);
}

static bool api_is_ip_literal(const char *host, size_t len)
{
	char buf[64];
	struct in6_addr a6;
	struct in_addr a4;

	if (len >= sizeof(buf))
		return false;
	if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		return inet_pton(AF_INET6, buf, &a6) == 1;
	}
	memcpy(buf, host, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, &a4) == 1;
}

/* Host names this daemon answers to. DNS rebinding needs a name: IP
 * literals cannot be rebound, so they always pass. */
static bool api_host_allowed(const char *host_hdr)
{
	char name[256], self[256];
	const char *colon;
	size_t len;

	if (!host_hdr)
		return true; /* HTTP/1.0 clients */
	colon = host_hdr[0] == '[' ? strchr(host_hdr, ']') : strrchr(host_hdr, ':');
	if (host_hdr[0] == '[' && colon)
		colon = colon[1] == ':' ? colon + 1 : NULL;
	len = colon ? (size_t)(colon - host_hdr) : strlen(host_hdr);
	if (len == 0 || len >= sizeof(name))
		return false;
	if (api_is_ip_literal(host_hdr, len))
		return true;
	memcpy(name, host_hdr, len);
	name[len] = '\0';
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (strcmp(name, "localhost") == 0)
		return true;
	if (gethostname(self, sizeof(self)) == 0) {
		size_t sl = strlen(self);

		if (strcasecmp(name, self) == 0 ||
		    (strncasecmp(name, self, sl) == 0 && strcasecmp(name + sl, ".local") == 0))
			return true;
	}
	if (api_cfg.allowed_hosts) {
		const char *p = api_cfg.allowed_hosts;

		while (*p) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);

			if (n == len && strncasecmp(p, name, n) == 0)
				return true;
			p += n + (e ? 1 : 0);
		}
	}
	return false;
}

/* A browser always sends Origin on a cross-site POST: it must be this host. */
static bool api_origin_allowed(const char *origin, const char *host)
{
	const char *h;

	if (!origin)
		return true;
	h = strstr(origin, "://");
	if (!h || !host)
		return false;
	return strcasecmp(h + 3, host) == 0;
}

static enum MHD_Result api_check_request(struct api_req *r)
{
	const char *host = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
	const char *ctype = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *authz = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	/* The safe methods (RFC 9110 9.2.1) change nothing. */
	bool mutating = strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0 &&
			strcmp(r->method, "OPTIONS") != 0;
	int auth;

	if (!api_host_allowed(host))
		return reply_problem(r, err_setf(ERR_HTTP_HOST_NOT_ALLOWED, "This Host name is not one rdpd "
						 "answers to (DNS rebinding guard). Add it with --allow-host "
						 "NAME or use the machine's address."), NULL);
	auth = auth_check(authz, &r->role, r->who, sizeof(r->who));
	if (auth < 0)
		return reply_problem(r, err_setf(ERR_HTTP_UNAUTHORIZED, "The bearer token is not in the tokens "
						 "file; check it, or ask the lab admin for one (rdpd --tokens "
						 "PATH)."), NULL);
	if (mutating && origin &&
	    (!api_origin_allowed(origin, host) ||
	     (!authz && !(ctype && strncasecmp(ctype, "application/json", 16) == 0))))
		return reply_problem(r, err_setf(ERR_HTTP_CROSS_SITE, "A page from another site cannot change "
						 "probes. Send requests from rdpd's own dashboard, or without "
						 "an Origin header (curl, CI), with Content-Type: "
						 "application/json."), NULL);
	/* A body of any type but JSON is what an HTML form sends: without a
	 * bearer token it is refused whatever the Origin says (docs/service.md, "Security").
	 * A body-less `curl -X POST` carries no type and stays welcome. */
	if (mutating && !authz && ctype && strncasecmp(ctype, "application/json", 16) != 0)
		return reply_problem(r, err_setf(ERR_HTTP_MEDIA_TYPE, "Changes take a JSON body: send "
						 "Content-Type: application/json (or an Authorization: Bearer "
						 "token)."), NULL);
	r->checked = true;
	return MHD_YES;
}

/* The first handler call: the request line and the header fields are in,
 * no byte of a body has been read. A request whose framing rdpd refuses,
 * or that declares a body over the cap, is answered now, before its body
 * is read and before any route runs, with Connection: close: libmicrohttpd
 * then discards the rest (connection.c MHD_queue_response() in state
 * HEADERS_PROCESSED) and never reads it as another request. */
static enum MHD_Result api_begin(struct api_req *r, const char *version)
{
	uint64_t body_len = 0;
	int rc;

	err_clear();
	rc = http_framing_check(r, version, &body_len);
	if (rc == 0 && body_len != HTTP_FRAMING_CHUNKED && body_len > API_MAX_BODY)
		rc = err_setf(ERR_HTTP_BODY_TOO_LARGE, "Request bodies are limited to %d KiB (this one declares "
			      "%llu bytes); rdpd's requests are small JSON objects.", API_MAX_BODY / 1024,
			      (unsigned long long)body_len);
	if (rc == 0)
		return MHD_YES;
	r->answered = true;
	r->close = true;
	conn_guard_answering(r->conn, true);
	return reply_problem(r, rc, NULL);
}

static enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct api_req *r = *con_cls;
	enum MHD_Result ret;

	if (!r && !(r = *con_cls = calloc(1, sizeof(*r))))
		return MHD_NO;
	if (r->cont) { /* resumed (park.c): the answer goes on */
		enum MHD_Result (*cont)(struct api_req *) = r->cont;

		r->cont = NULL;
		return cont(r);
	}
	if (!r->conn) { /* the headers are in; a body may follow */
		r->conn = conn;
		r->method = method;
		r->path = url;
		return api_begin(r, version);
	}
	if (*upload_size) {
		if (r->body_len + *upload_size > API_MAX_BODY) {
			r->body_too_large = true;
		} else if (!r->body_too_large) {
			char *nb = realloc(r->body, r->body_len + *upload_size + 1);

			if (!nb)
				return MHD_NO;
			r->body = nb;
			memcpy(r->body + r->body_len, upload_data, *upload_size);
			r->body_len += *upload_size;
			r->body[r->body_len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	r->answered = true;
	conn_guard_answering(conn, true);
	err_clear();
	if (r->body_too_large) /* a chunked one: its length was not known at the start */
		return reply_problem(r, err_setf(ERR_HTTP_BODY_TOO_LARGE, "Request bodies are limited to %d KiB; "
						 "rdpd's requests are small JSON objects.", API_MAX_BODY / 1024),
				     NULL);
	r->checked = false;
	ret = api_check_request(r);
	if (!r->checked) /* a refusal was queued */
		return ret;
	return router_dispatch(r);
}

static void api_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	(void)cls;
	(void)toe;
	conn_guard_answering(conn, false);
	if (r && !r->answered) {
		/* libmicrohttpd answered it itself (431 for oversized headers,
		 * 400, 414...) or the client left mid-request: counted too. */
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);

		if (ci && ci->http_status >= 100)
			api_count_status(ci->http_status);
		else
			atomic_fetch_add(&api_requests_abandoned, 1);
	}
	if (r) {
		park_done(&r->park);
		worker_read_free(r->rdp_read);
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* Called once the request line is in, before the headers: the request's record starts here so that
 * api_completed() also sees the requests that never reach api_handle()
 * (refused by libmicrohttpd, or abandoned). The target is checked here,
 * before libmicrohttpd decodes it in place. */
static void *api_request_begins(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct api_req *r = calloc(1, sizeof(*r));

	(void)cls;
	if (r)
		http_framing_target(r, uri);
	return r;
}

/* Before libmicrohttpd takes a connection (and after its own limits). */
static enum MHD_Result api_accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void)cls;
	(void)addrlen;
	return conn_guard_admit(addr) ? MHD_YES : MHD_NO;
}

static void api_connection_event(void *cls, struct MHD_Connection *conn, void **socket_context,
				 enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		conn_guard_started(conn, socket_context);
	else
		conn_guard_closed(socket_context);
}

/* Percent-decoding of the path, done here so that what cannot name a
 * resource never reaches the router: an encoded NUL, slash or backslash
 * (%00, %2f, %5c) turns the whole path into one that matches nothing. */
static size_t api_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	char *r = uri, *w = uri;

	while (*r) {
		if (r[0] == '%' && isxdigit((unsigned char)r[1]) && isxdigit((unsigned char)r[2])) {
			char hex[3] = {r[1], r[2], 0};
			char ch = (char)strtol(hex, NULL, 16);

			if (ch == '\0' || ch == '/' || ch == '\\') {
				strcpy(uri, "/\x7f");
				return strlen(uri);
			}
			*w++ = ch;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - uri);
}

static void api_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	va_list copy;

	va_copy(copy, ap);
	http_errors_log(fmt, copy);
	va_end(copy);
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_info("http: %s", line);
}

/* The libmicrohttpd daemon: no listening socket of its own (listen.c
 * accepts), CFG's TLS when set. */
static struct MHD_Daemon *api_daemon_start(const struct api_config *cfg)
{
	/* Not MHD_USE_TURBO: with connections added by MHD_add_connection(),
	 * 0.9.75 then left a closed event stream's connection open until its
	 * 30 s timeout (tests/api/test_http_resources.py, wait_slots_freed). */
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
	/* libmicrohttpd splits its connection limit over the pool: the
	 * limit is listen.c's times the threads, so that no thread is ever at
	 * its share. A thread at its share closes a connection handed to it
	 * (daemon.c MHD_add_connection(), new_connection_process_()), and
	 * its count lags both the connections queued for it and those it
	 * reported closed (MHD_cleanup_connections() notifies before it
	 * counts): conn_guard.c had admitted that connection, perhaps
	 * evicting another for it, and its client got nothing. */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1 : cpus > API_THREADS_MAX ? API_THREADS_MAX : (unsigned)cpus;
	struct MHD_OptionItem opts[3] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};

	if (cfg->tls_cert_pem && cfg->tls_key_pem) {
		flags |= MHD_USE_TLS;
		opts[0] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem};
		opts[1] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem};
	}
	return MHD_start_daemon(
		flags, 0, api_accept_policy, NULL, api_handle, NULL,
		MHD_OPTION_ARRAY, opts,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(API_CONNECTION_LIMIT + API_CONNECTION_HEADROOM) * threads,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)API_PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_MEMORY_LIMIT,
		MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, api_connection_event, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, api_request_begins, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, api_mhd_log, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, api_unescape, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_END);
}

int api_start(const struct api_config *cfg)
{
	int rc;

	api_cfg = *cfg;
	if (cfg->tls_cert_pem && cfg->tls_key_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return err_setf(ERR_INVALID_ARGUMENT, "HTTPS: this libmicrohttpd was built without "
				"TLS (GnuTLS); remove tls_cert and tls_key");
	if ((rc = listen_open(cfg, &api_cfg.port)) < 0)
		return rc;
	if ((rc = conn_guard_start(cfg->request_timeout_s ? cfg->request_timeout_s : 60, API_CONNECTION_LIMIT)) < 0 ||
	    (rc = park_start()) < 0) {
		api_stop();
		return rc;
	}
	job_set_listener(park_kick, NULL);
	api_daemon = api_daemon_start(cfg);
	if (!api_daemon) {
		api_stop();
		if (cfg->tls_cert_pem)
			return err_setf(ERR_INVALID_ARGUMENT, "cannot start HTTPS: the certificate and key do not "
					"load or do not match (openssl x509 -noout -modulus -in CERT; openssl rsa "
					"-noout -modulus -in KEY)");
		return err_setf(ERR_IO, "cannot start the HTTP server (libmicrohttpd): out of memory or threads?");
	}
	if ((rc = listen_start(api_daemon, API_CONNECTION_LIMIT + API_CONNECTION_HEADROOM)) < 0) {
		api_stop();
		return rc;
	}
	return 0;
}

void api_stop(void)
{
	listen_stop();
	park_stop(); /* libmicrohttpd must find no connection suspended */
	job_set_listener(NULL, NULL);
	/* The resumed answers go out (a `?wait=`'s 202, a stream's last
	 * chunk) before libmicrohttpd closes every connection. */
	for (int i = 0; i < API_STOP_GRACE_MS / 10 && park_outstanding(); i++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000000L}, NULL);
	if (api_daemon)
		MHD_stop_daemon(api_daemon);
	api_daemon = NULL;
	conn_guard_stop();
	listen_close();
}
