/*
 * soak - a bounded soak of the real daemon on loopback (issue 7; docs/service.md
 * rows 2, 3, 7). For SECONDS, all at once:
 *  - 32 keep-alive clients on GET /probes (24) and GET /metrics (8);
 *  - 8 Server-Sent Events subscribers joining /jobs/{id}/events of recent
 *    jobs and leaving after a while (or when the stream ends);
 *  - 4 simulated probes locked and unlocked over and over (?wait=20);
 *  - 2 simulated probes "unplugged and replugged": an unlock started, the
 *    probe removed at once (DELETE /probes/{ref}: 409 while the job runs,
 *    by design), the job followed to its end, the probe removed (204, then
 *    404), added again (POST /probes, 201) and locked (it works again);
 *  - a wireless probe lost for real: rdpd-sim serving CMSIS-DAP over TCP
 *    (as an ESP32 probe does), killed in the middle of an unlock and started
 *    again; the job must fail and say so (probe_disconnected) within 10 s,
 *    and an unlock and a lock on the restarted probe must succeed;
 *  - 80 slowloris sockets from another address (127.0.0.2): half connect and
 *    stay silent, half send a request line and trickle a header byte every
 *    5 s; counted: refused at once (per-IP limit 64), closed by the 30 s idle
 *    timeout, closed by the request timeout (--request-timeout 6; a
 *    trickler still open past it fails the soak), still open at the end;
 *  - a hostile client (127.0.0.3): headers over 32 KiB (431 or a closed
 *    connection), bodies over 64 KiB with a length and chunked (413).
 * Legitimate clients use 127.0.0.1, under the per-IP limit. Before the
 * clock starts, ~1000 jobs fill the daemon's job history (JOB_HISTORY_MAX),
 * so that memory which is there by design is in the start figure.
 * Prints requests by kind, unexpected answers and connection errors by kind,
 * GET /probes latency, and the daemon's RSS, fds and threads at start, after
 * warm-up, at the end of the load and once the clients are gone, with a
 * verdict. Exit status 0 only if nothing legitimate failed, every hostile
 * request was refused, the daemon is alive and answers, and fds and RSS are
 * flat.
 * Usage: soak path/to/rdpd [SECONDS]   (default 60, or $SOAK_SECONDS)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_port.h"

#define N_GET 24
#define N_METRICS 8
#define N_SSE 8
#define N_UNLOCK 4
#define N_REPLUG 2
#define N_SLOW 80
#define TRICKLE_S 5
#define REQUEST_TIMEOUT_S 6 /* rdpd --request-timeout */
#define REQUEST_TIMEOUT_S_STR "6"
#define WIRE_SERIAL "WIRE0"
#define RSS_SLACK_KB 4096
#define FD_SLACK 2
#define HISTORY_CAP 1000 /* JOB_HISTORY_MAX */

static int port;
static pid_t daemon_pid;
static atomic_bool stopping;
static double t_start;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- counters ---------------------------------------------------------- */

enum kind { K_PROBES, K_METRICS, K_SSE, K_LOCK, K_UNLOCK, K_REPLUG_UNLOCK, K_DELETE_BUSY, K_JOB_GET,
	    K_DELETE, K_GONE, K_ADD, K_REPLUG_LOCK, K_WIRE_UNLOCK, K_WIRE_JOB, K_WIRE_AGAIN, K_WIRE_LOCK,
	    K_BIG_HEADER,
	    K_BIG_BODY, K_CHUNKED_BODY, N_KINDS };
static const char *const kind_name[N_KINDS] = {
	"GET /probes", "GET /metrics", "GET /jobs/{id}/events", "POST lock?wait=20", "POST unlock?wait=20",
	"replug: POST unlock", "replug: DELETE, busy -> 409", "replug: GET /jobs/{id}",
	"replug: DELETE, idle -> 204", "replug: GET removed -> 404", "replug: POST /probes -> 201",
	"replug: POST lock?wait=20", "wireless: POST unlock", "wireless: GET /jobs/{id}",
	"wireless: back, unlock?wait=20", "wireless: lock?wait=20", "hostile: header > 32 KiB", "hostile: body > 64 KiB",
	"hostile: chunked body > 64 KiB"};
static const int kind_want[N_KINDS] = {200, 200, 200, 200, 200, 202, 409, 200, 204, 404, 201, 200,
					202, 200, 200, 200, 431, 413, 413};
static const bool kind_hostile[N_KINDS] = {[K_BIG_HEADER] = true, [K_BIG_BODY] = true, [K_CHUNKED_BODY] = true};

enum conn_err { E_CONNECT, E_CLOSED, E_TIMEOUT, E_SHORT, N_ERRS };
static const char *const err_name[N_ERRS] = {"connect failed", "closed or reset", "timed out", "bad reply"};

static atomic_uint served[N_KINDS];       /* answered as expected */
static atomic_uint status_seen[N_KINDS][600];
static atomic_uint conn_errs[N_KINDS][N_ERRS];
static atomic_uint unexpected[N_KINDS];   /* answered, but not as expected */
static atomic_uint job_outcome[8];        /* replugged jobs: see outcome_name */
static atomic_uint wire_outcome[8];       /* jobs whose wireless probe died */
static const char *const outcome_name[8] = {"succeeded", "failed (probe_disconnected)", "failed (other)",
					    "interrupted", "cancelled", "still running 10 s after the unplug",
					    "unreadable", "other"};
static atomic_uint sse_events, sse_left_early, sse_ended;
static atomic_ullong last_job;
static atomic_uint jobs_created;

/* GET /probes latency histogram: 10 us bins to 100 ms, then 1 ms bins to 30 s. */
#define H_FINE 10000
#define H_BINS (H_FINE + 29900)
static atomic_uint hist[H_BINS];

static void hist_add(double ms)
{
	long us = (long)(ms * 1000);
	long b = us < 100000 ? us / 10 : H_FINE + (us / 1000 - 100);

	atomic_fetch_add_explicit(&hist[b < H_BINS ? b : H_BINS - 1], 1, memory_order_relaxed);
}

static double hist_pct(double p)
{
	unsigned long long total = 0, run = 0, want;

	for (int i = 0; i < H_BINS; i++)
		total += hist[i];
	if (!total)
		return 0;
	want = (unsigned long long)(total * p);
	for (int i = 0; i < H_BINS; i++) {
		run += hist[i];
		if (run > want)
			return i < H_FINE ? (i * 10 + 5) / 1000.0 : (100 + (i - H_FINE)) + 0.5;
	}
	return 0;
}

/* ---- sockets and HTTP -------------------------------------------------- */

static int connect_from(const char *src, double timeout_s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {(time_t)timeout_s, (suseconds_t)((timeout_s - (time_t)timeout_s) * 1e6)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	if (src) {
		struct sockaddr_in s = {.sin_family = AF_INET};

		inet_pton(AF_INET, src, &s.sin_addr);
		if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0) {
			close(fd);
			return -1;
		}
	}
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One exchange on a kept-alive socket; the reply must carry Content-Length.
 * Returns the status, or -1 - enum conn_err. BODY (cap bytes) gets the body. */
static int http_do(int fd, const char *method, const char *path, const char *json, char *body, size_t cap)
{
	static __thread char buf[262144];
	char req[1024];
	size_t have = 0, need = 0, hdr_end = 0;
	int n = snprintf(req, sizeof(req),
			 "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: %zu\r\n\r\n%s", method, path,
			 json ? "Content-Type: application/json\r\n" : "", json ? strlen(json) : (size_t)0,
			 json ? json : "");

	if (write_all(fd, req, (size_t)n) < 0)
		return -1 - E_CLOSED;
	for (;;) {
		ssize_t r = recv(fd, buf + have, sizeof(buf) - have - 1, 0);
		char *e, *cl;

		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1 - E_TIMEOUT;
		if (r <= 0)
			return have ? -1 - E_SHORT : -1 - E_CLOSED;
		have += (size_t)r;
		buf[have] = '\0';
		if (!hdr_end && (e = strstr(buf, "\r\n\r\n"))) {
			hdr_end = (size_t)(e - buf) + 4;
			cl = strcasestr(buf, "\r\nContent-Length:");
			need = hdr_end + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (hdr_end && have >= need)
			break;
		if (have >= sizeof(buf) - 1)
			return -1 - E_SHORT;
	}
	if (strncmp(buf, "HTTP/1.1 ", 9) != 0)
		return -1 - E_SHORT;
	if (body && cap) {
		size_t blen = need - hdr_end < cap - 1 ? need - hdr_end : cap - 1;

		memcpy(body, buf + hdr_end, blen);
		body[blen] = '\0';
	}
	return atoi(buf + 9);
}

/* Counts one exchange; true if it was answered with WANT. */
static bool tally(enum kind k, int status, int want)
{
	if (status < 0) {
		atomic_fetch_add(&conn_errs[k][-1 - status], 1);
		return false;
	}
	atomic_fetch_add(&status_seen[k][status < 600 ? status : 599], 1);
	if (status == want) {
		atomic_fetch_add(&served[k], 1);
		return true;
	}
	atomic_fetch_add(&unexpected[k], 1);
	return false;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - 1000 * (long)(ms / 1000)) * 1e6)};

	nanosleep(&ts, NULL);
}

static const char *json_str(const char *body, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = body ? strstr(body, pat) : NULL;
	if (!p)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '"');
	if (!e || (size_t)(e - p) >= cap)
		return NULL;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return out;
}

/* ---- load ---------------------------------------------------------------- */

static void *get_client(void *arg)
{
	bool metrics = (long)arg >= N_GET;
	enum kind k = metrics ? K_METRICS : K_PROBES;
	int fd = -1;

	while (!stopping) {
		double t0;
		int st;

		if (fd < 0 && (fd = connect_from(NULL, 10)) < 0) {
			atomic_fetch_add(&conn_errs[k][E_CONNECT], 1);
			sleep_ms(50);
			continue;
		}
		t0 = now_ms();
		st = http_do(fd, "GET", metrics ? "/metrics" : "/probes", NULL, NULL, 0);
		if (tally(k, st, 200)) {
			if (!metrics)
				hist_add(now_ms() - t0);
		} else {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Joins the event stream of a recent job, reads for 50 ms to 2 s, leaves. */
static void *sse_client(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u;

	while (!stopping) {
		unsigned long long id = atomic_load(&last_job);
		char req[256], buf[8192], tail[8] = "";
		double leave_at = now_ms() + 200 + rand_r(&seed) % 1800;
		bool got_status = false;
		int fd, n;

		if (!id) {
			sleep_ms(50);
			continue;
		}
		id -= id > 4 ? rand_r(&seed) % 4 : 0;
		if ((fd = connect_from(NULL, 10)) < 0) {
			atomic_fetch_add(&conn_errs[K_SSE][E_CONNECT], 1);
			sleep_ms(50);
			continue;
		}
		n = snprintf(req, sizeof(req), "GET /jobs/%llu/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Accept: text/event-stream\r\nConnection: close\r\n\r\n", id);
		if (write_all(fd, req, (size_t)n) < 0) {
			atomic_fetch_add(&conn_errs[K_SSE][E_CLOSED], 1);
			close(fd);
			continue;
		}
		for (;;) {
			struct pollfd p = {fd, POLLIN, 0};
			double left = leave_at - now_ms();
			ssize_t r;

			if (left <= 0 || stopping) {
				if (got_status)
					atomic_fetch_add(&sse_left_early, 1);
				else
					atomic_fetch_add(&conn_errs[K_SSE][E_TIMEOUT], 1);
				break;
			}
			if (poll(&p, 1, left > 200 ? 200 : (int)left + 1) <= 0)
				continue;
			r = recv(fd, buf, sizeof(buf) - 1, 0);
			if (r <= 0) {
				if (got_status)
					atomic_fetch_add(&sse_ended, 1);
				else
					atomic_fetch_add(&conn_errs[K_SSE][E_CLOSED], 1);
				break;
			}
			buf[r] = '\0';
			if (!got_status) {
				got_status = true;
				tally(K_SSE, strncmp(buf, "HTTP/1.1 ", 9) == 0 ? atoi(buf + 9) : -1 - E_SHORT, 200);
			}
			/* Count "\nid: " across reads (the tail of the previous read). */
			{
				char joined[sizeof(tail) + sizeof(buf)];
				const char *q = joined;

				snprintf(joined, sizeof(joined), "%s%s", tail, buf);
				while ((q = strstr(q, "\nid: ")))
					atomic_fetch_add(&sse_events, 1), q += 5;
				memcpy(tail, r >= 4 ? buf + r - 4 : buf, r >= 4 ? 4 : (size_t)r);
				tail[r >= 4 ? 4 : r] = '\0';
			}
		}
		close(fd);
	}
	return NULL;
}

static bool job_succeeded(const char *body)
{
	char st[32];

	return json_str(body, "state", st, sizeof(st)) && strcmp(st, "succeeded") == 0;
}

/* POST PATH (a ?wait= job) and tally it under K: 200 only when the job
 * succeeded (299: answered, but the job did not). Returns the status. */
static int post_job(int fd, const char *path, enum kind k)
{
	char body[65536];
	int st = http_do(fd, "POST", path, "{}", body, sizeof(body));

	if (st == 200 && !job_succeeded(body))
		st = 299;
	tally(k, st, 200);
	atomic_fetch_add(&jobs_created, 1);
	return st;
}

/* Locks and unlocks one probe for ever, each with ?wait=20. */
static void *unlock_client(void *arg)
{
	int i = (int)(long)arg, fd = -1;
	char path[96], body[65536], id[32];

	while (!stopping) {
		for (int step = 0; step < 2 && !stopping; step++) {
			enum kind k = step ? K_UNLOCK : K_LOCK;
			int st;

			if (fd < 0 && (fd = connect_from(NULL, 30)) < 0) {
				atomic_fetch_add(&conn_errs[k][E_CONNECT], 1);
				sleep_ms(50);
				continue;
			}
			snprintf(path, sizeof(path), "/probes/SOAK%d/%s?wait=20", i, step ? "unlock" : "lock");
			st = http_do(fd, "POST", path, "{}", body, sizeof(body));
			if (st == 200 && !job_succeeded(body))
				st = 299; /* answered, but the job did not succeed */
			if (!tally(k, st, 200)) {
				close(fd);
				fd = -1;
			}
			if (st >= 0 && json_str(body, "id", id, sizeof(id)))
				atomic_store(&last_job, strtoull(id, NULL, 10)), atomic_fetch_add(&jobs_created, 1);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Before the load: lock/unlock jobs until the daemon's job history is full. */
static atomic_uint prefill_jobs, prefill_failed;

static void *prefill_client(void *arg)
{
	int i = (int)(long)arg, fd = connect_from(NULL, 30);
	char path[96], body[65536];

	while (fd >= 0 && atomic_load(&prefill_jobs) < HISTORY_CAP + 20) {
		snprintf(path, sizeof(path), "/probes/SOAK%d/%s?wait=20", i, prefill_jobs % 2 ? "unlock" : "lock");
		atomic_fetch_add(&prefill_jobs, 1);
		if (http_do(fd, "POST", path, "{}", body, sizeof(body)) != 200 || !job_succeeded(body)) {
			atomic_fetch_add(&prefill_failed, 1);
			close(fd);
			fd = connect_from(NULL, 30);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Follows job ID for up to 10 s and counts how it ended in OUTCOME (see
 * outcome_name). Returns -1 when the connection broke. */
static int follow_job(int fd, const char *id, enum kind k, atomic_uint *outcome)
{
	char path[64], body[65536], st_s[32];
	double until = now_ms() + 10000;
	int o = 5, st = 0;

	snprintf(path, sizeof(path), "/jobs/%s", id);
	while (now_ms() < until) {
		st = http_do(fd, "GET", path, NULL, body, sizeof(body));
		tally(k, st, 200);
		if (st != 200 || !json_str(body, "state", st_s, sizeof(st_s))) {
			o = 6;
			break;
		}
		if (!strcmp(st_s, "queued") || !strcmp(st_s, "running")) {
			sleep_ms(20);
			continue;
		}
		o = !strcmp(st_s, "succeeded") ? 0 : !strcmp(st_s, "failed") ?
		    (strstr(body, "probe_disconnected") ? 1 : 2) : !strcmp(st_s, "interrupted") ? 3 :
		    !strcmp(st_s, "cancelled") ? 4 : 7;
		break;
	}
	atomic_fetch_add(&outcome[o], 1);
	return st < 0 ? -1 : 0;
}

/* Unplug and replug, with a job running on the probe at first: rdpd
 * refuses to forget a busy probe (409 with a link to the job); once the job
 * has ended the probe goes (204, then 404), comes back (201) and works (a
 * lock job, which the next unlock undoes with a real erase). */
static void *replug_client(void *arg)
{
	int i = (int)(long)arg, fd = -1;
	char path[128], body[65536], id[32], uri[256];

	snprintf(uri, sizeof(uri), "{\"uri\":\"sim:stm32f401re-rdp1?time_scale=0.05&serial=PLUG%d\"}", i);
	while (!stopping) {
		int st;
		bool have_job;

		if (fd < 0 && (fd = connect_from(NULL, 30)) < 0) {
			atomic_fetch_add(&conn_errs[K_REPLUG_UNLOCK][E_CONNECT], 1);
			sleep_ms(50);
			continue;
		}
		snprintf(path, sizeof(path), "/probes/PLUG%d/unlock", i);
		st = http_do(fd, "POST", path, "{}", body, sizeof(body));
		have_job = st == 202 && json_str(body, "id", id, sizeof(id));
		tally(K_REPLUG_UNLOCK, have_job ? 202 : st, 202);
		if (st < 0)
			goto reconnect;
		if (have_job)
			atomic_store(&last_job, strtoull(id, NULL, 10)), atomic_fetch_add(&jobs_created, 1);
		snprintf(path, sizeof(path), "/probes/PLUG%d", i);
		st = http_do(fd, "DELETE", path, NULL, NULL, 0);
		tally(K_DELETE_BUSY, st, 409);
		if (st < 0)
			goto reconnect;
		if (have_job && follow_job(fd, id, K_JOB_GET, job_outcome) < 0)
			goto reconnect;
		snprintf(path, sizeof(path), "/probes/PLUG%d", i);
		st = http_do(fd, "DELETE", path, NULL, NULL, 0);
		tally(K_DELETE, st, 204);
		if (st < 0)
			goto reconnect;
		st = http_do(fd, "GET", path, NULL, NULL, 0);
		tally(K_GONE, st, 404);
		if (st < 0)
			goto reconnect;
		sleep_ms(20);
		st = http_do(fd, "POST", "/probes", uri, NULL, 0);
		tally(K_ADD, st, 201);
		if (st < 0)
			goto reconnect;
		/* The 201 comes at once; PLUGn is the probe's own serial
		 * (DAP_Info), a ref once its worker has opened it. */
		snprintf(path, sizeof(path), "/probes/PLUG%d", i);
		for (int k = 0; k < 1000 && (st = http_do(fd, "GET", path, NULL, NULL, 0)) == 404; k++)
			sleep_ms(10);
		if (st < 0)
			goto reconnect;
		snprintf(path, sizeof(path), "/probes/PLUG%d/lock?wait=20", i);
		if ((st = post_job(fd, path, K_REPLUG_LOCK)) < 0)
			goto reconnect;
		continue;
reconnect:
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ---- a wireless probe lost for real ------------------------------------- */

static char wire_sim[600]; /* rdpd-sim, next to rdpd */
static char wire_log[160];
static int wire_port; /* 0 until the first start has bound one */
static pid_t wire_pid = -1;

/* rdpd-sim serving a locked F401 on wire_port (on port 0 the first time:
 * the port it binds is kept for the restarts, which rdpd's tcp: URI names);
 * returns once it listens. */
static pid_t wire_start(void)
{
	char listen[32];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", wire_port);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (!freopen(wire_log, "w", stdout) || dup2(1, 2) < 0)
			_exit(126);
		execl(wire_sim, wire_sim, "--listen", listen, "--profile", "stm32f401re-rdp1", "--time-scale",
		      "0.05", "--serial", WIRE_SERIAL, (char *)NULL);
		_exit(127);
	}
	if (wire_port == 0 && pid > 0)
		wire_port = bench_port_from(wire_log, 10000);
	for (int i = 0; i < 200 && pid > 0 && wire_port > 0; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)wire_port)};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up;

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		up = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (fd >= 0)
			close(fd);
		if (up)
			break;
		sleep_ms(10);
	}
	return pid;
}

static void wire_kill(void)
{
	if (wire_pid > 0) {
		kill(wire_pid, SIGKILL);
		waitpid(wire_pid, NULL, 0);
	}
	wire_pid = -1;
}

/* Until job ID's mass_erase step runs (at most 2 s). */
static void wait_for_erase(int fd, const char *id)
{
	char path[64], body[65536];
	double until = now_ms() + 2000;

	snprintf(path, sizeof(path), "/jobs/%s", id);
	while (now_ms() < until && http_do(fd, "GET", path, NULL, body, sizeof(body)) == 200) {
		const char *step = strstr(body, "\"mass_erase\"");
		const char *running = step ? strstr(step, "\"running\"") : NULL;

		if (running && running - step < 60)
			return;
		sleep_ms(2);
	}
}

/* An unlock, the probe's process killed during its erase (~200 ms here),
 * the job followed to its end, the probe started again, unlocked for real
 * and locked again. */
static void *wire_client(void *arg)
{
	unsigned seed = 7;
	int fd = -1;
	char body[65536], id[32];

	(void)arg;
	while (!stopping) {
		int st;
		bool have_job;

		if (fd < 0 && (fd = connect_from(NULL, 30)) < 0) {
			atomic_fetch_add(&conn_errs[K_WIRE_UNLOCK][E_CONNECT], 1);
			sleep_ms(50);
			continue;
		}
		st = http_do(fd, "POST", "/probes/" WIRE_SERIAL "/unlock", "{}", body, sizeof(body));
		have_job = st == 202 && json_str(body, "id", id, sizeof(id));
		tally(K_WIRE_UNLOCK, have_job ? 202 : st, 202);
		if (have_job)
			atomic_fetch_add(&jobs_created, 1);
		if (have_job)
			wait_for_erase(fd, id);
		sleep_ms(rand_r(&seed) % 60);
		wire_kill();
		if (st < 0 || (have_job && follow_job(fd, id, K_WIRE_JOB, wire_outcome) < 0)) {
			wire_pid = wire_start();
			goto reconnect;
		}
		wire_pid = wire_start();
		if (post_job(fd, "/probes/" WIRE_SERIAL "/unlock?wait=20", K_WIRE_AGAIN) < 0)
			goto reconnect;
		/* Locked again, for the next round's unlock to have an erase. */
		if (post_job(fd, "/probes/" WIRE_SERIAL "/lock?wait=20", K_WIRE_LOCK) < 0)
			goto reconnect;
		continue;
reconnect:
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* ---- hostile ------------------------------------------------------------- */

/* Sends REQ (it may be cut short by the server), reads the status line.
 * Returns the status, 0 for "closed without an answer", -1 for a timeout. */
static int hostile_once(const char *req, size_t len)
{
	char buf[512];
	int fd = connect_from("127.0.0.3", 10), st;
	ssize_t r;

	if (fd < 0)
		return -2;
	write_all(fd, req, len); /* a refusal may close the socket half way */
	shutdown(fd, SHUT_WR);
	r = recv(fd, buf, sizeof(buf) - 1, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		st = -1;
	else if (r <= 0)
		st = 0;
	else {
		buf[r] = '\0';
		st = strncmp(buf, "HTTP/1.", 7) == 0 ? atoi(buf + 9) : 1;
	}
	close(fd);
	return st;
}

static void hostile_tally(enum kind k, int st, int want)
{
	if (st == -2)
		atomic_fetch_add(&conn_errs[k][E_CONNECT], 1);
	else if (st == -1)
		atomic_fetch_add(&conn_errs[k][E_TIMEOUT], 1);
	else if (st == 0)
		atomic_fetch_add(&served[k], 1), atomic_fetch_add(&conn_errs[k][E_CLOSED], 1);
	else
		tally(k, st, want);
}

static void *hostile_client(void *arg)
{
	size_t big = 40 * 1024, cap = big + 100 * 1024;
	char *req = malloc(cap);
	size_t n;

	while (!stopping) {
		n = (size_t)snprintf(req, cap, "GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ");
		memset(req + n, 'a', big);
		n += big;
		n += (size_t)snprintf(req + n, cap - n, "\r\n\r\n");
		hostile_tally(K_BIG_HEADER, hostile_once(req, n), 431);

		n = (size_t)snprintf(req, cap, "POST /probes/SOAK0/unlock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", 70000);
		memset(req + n, ' ', 70000);
		n += 70000;
		hostile_tally(K_BIG_BODY, hostile_once(req, n), 413);

		n = (size_t)snprintf(req, cap, "POST /probes/SOAK0/unlock HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				     "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (int c = 0; c < 3; c++) {
			n += (size_t)snprintf(req + n, cap - n, "6000\r\n");
			memset(req + n, ' ', 0x6000);
			n += 0x6000;
			n += (size_t)snprintf(req + n, cap - n, "\r\n");
		}
		n += (size_t)snprintf(req + n, cap - n, "0\r\n\r\n");
		hostile_tally(K_CHUNKED_BODY, hostile_once(req, n), 413);
		sleep_ms(100);
	}
	free(req);
	return NULL;
}

/* Slowloris: N_SLOW sockets from 127.0.0.2, opened at the start. */
static struct slow {
	int fd;
	bool trickle, closed;
	double opened, closed_at, next_byte;
} slow[N_SLOW];
static unsigned slow_connect_failed;

static void *slowloris(void *arg)
{
	static const char head[] = "GET /probes HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

	for (int i = 0; i < N_SLOW; i++) {
		slow[i].trickle = i % 2;
		slow[i].fd = connect_from("127.0.0.2", 1);
		slow[i].opened = now_ms();
		if (slow[i].fd < 0) {
			slow_connect_failed++;
			slow[i].closed = true;
			slow[i].closed_at = slow[i].opened;
			continue;
		}
		if (slow[i].trickle)
			write_all(slow[i].fd, head, sizeof(head) - 1);
		slow[i].next_byte = slow[i].opened + TRICKLE_S * 1000;
	}
	while (!stopping) {
		struct pollfd p[N_SLOW];
		int map[N_SLOW], n = 0;

		for (int i = 0; i < N_SLOW; i++) {
			if (slow[i].closed)
				continue;
			if (slow[i].trickle && now_ms() >= slow[i].next_byte) {
				if (write_all(slow[i].fd, "a", 1) < 0) {
					slow[i].closed = true;
					slow[i].closed_at = now_ms();
					continue;
				}
				slow[i].next_byte += TRICKLE_S * 1000;
			}
			p[n] = (struct pollfd){slow[i].fd, POLLIN, 0};
			map[n++] = i;
		}
		if (poll(p, (nfds_t)n, 200) <= 0)
			continue;
		for (int j = 0; j < n; j++) {
			char b[256];

			if (p[j].revents && recv(p[j].fd, b, sizeof(b), MSG_DONTWAIT) <= 0) {
				slow[map[j]].closed = true;
				slow[map[j]].closed_at = now_ms();
			}
		}
	}
	for (int i = 0; i < N_SLOW; i++)
		if (slow[i].fd >= 0)
			close(slow[i].fd);
	return NULL;
}

/* ---- the daemon ------------------------------------------------------------ */

struct proc_figures {
	long rss_kb, fds, threads;
};

static struct proc_figures proc_figures(void)
{
	struct proc_figures f = {-1, 0, -1};
	char path[64], line[256];
	struct dirent *de;
	FILE *fp;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)daemon_pid);
	if ((fp = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), fp)) {
			if (!strncmp(line, "VmRSS:", 6))
				f.rss_kb = strtol(line + 6, NULL, 10);
			if (!strncmp(line, "Threads:", 8))
				f.threads = strtol(line + 8, NULL, 10);
		}
		fclose(fp);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)daemon_pid);
	if ((d = opendir(path))) {
		while ((de = readdir(d)))
			f.fds += de->d_name[0] != '.';
		closedir(d);
	}
	return f;
}

static bool daemon_alive(void)
{
	return waitpid(daemon_pid, NULL, WNOHANG) == 0;
}

static pid_t start_rdpd(const char *rdpd, const char *state, const char *log)
{
	char *argv[64], uris[N_UNLOCK + N_REPLUG][128], wire[64];
	int argc = 0;
	pid_t pid;

	argv[argc++] = (char *)rdpd;
	argv[argc++] = "serve";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--state-dir";
	argv[argc++] = (char *)state;
	argv[argc++] = "--no-usb";
	argv[argc++] = "--config";
	argv[argc++] = "/dev/null";
	argv[argc++] = "--request-timeout";
	argv[argc++] = REQUEST_TIMEOUT_S_STR;
	snprintf(wire, sizeof(wire), "tcp:127.0.0.1:%d", wire_port);
	argv[argc++] = "--probe";
	argv[argc++] = wire;
	for (int i = 0; i < N_UNLOCK + N_REPLUG; i++) {
		snprintf(uris[i], sizeof(uris[i]), "sim:stm32f401re-rdp1?time_scale=%s&serial=%s%d",
			 i < N_UNLOCK ? "0.002" : "0.05", i < N_UNLOCK ? "SOAK" : "PLUG", i < N_UNLOCK ? i : i - N_UNLOCK);
		argv[argc++] = "--probe";
		argv[argc++] = uris[i];
	}
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "r", stdin) || !freopen(log, "w", stdout) || dup2(1, 2) < 0)
			_exit(126);
		execv(rdpd, argv);
		_exit(127);
	}
	port = bench_port_from(log, 10000); /* its banner, on stdout */
	return pid;
}

static void print_figures(const char *when, struct proc_figures f)
{
	printf("  %-34s RSS %6ld KB   fds %4ld   threads %4ld\n", when, f.rss_kb, f.fds, f.threads);
}

int main(int argc, char **argv)
{
	const char *rdpd = argc > 1 ? argv[1] : "build/rdpd";
	const char *env = getenv("SOAK_SECONDS");
	double seconds = argc > 2 ? atof(argv[2]) : env ? atof(env) : 60, warm_s;
	char state[] = "/tmp/rdpd-soak-XXXXXX", log[128], body[65536];
	pthread_t th_get[N_GET + N_METRICS], th_sse[N_SSE], th_unlock[N_UNLOCK], th_replug[N_REPLUG], th_slow,
		th_hostile, th_wire;
	struct proc_figures f_fresh, f_start, f_warm = {-1, -1, -1}, f_loaded, f_end, f_max = {0, 0, 0};
	unsigned bad = 0, hostile_bad = 0;
	double prefill_s;
	bool ready = false, have_warm = false, alive, answers, flat_fd, flat_rss;
	int status = -1, fd;

	signal(SIGPIPE, SIG_IGN);
	if (seconds < 5)
		seconds = 5;
	warm_s = seconds * 0.2 < 2 ? 2 : seconds * 0.2;
	if (!mkdtemp(state))
		return 2;
	snprintf(log, sizeof(log), "%s/daemon.log", state);
	snprintf(wire_log, sizeof(wire_log), "%s/wire-sim.log", state);
	snprintf(wire_sim, sizeof(wire_sim), "%.*s/rdpd-sim",
		 strrchr(rdpd, '/') ? (int)(strrchr(rdpd, '/') - rdpd) : 1, strrchr(rdpd, '/') ? rdpd : ".");
	wire_pid = wire_start();
	daemon_pid = start_rdpd(rdpd, state, log);
	/* Listening, and every probe opened once (its firmware version known). */
	for (int i = 0; i < 500 && !ready; i++) {
		usleep(20000);
		if ((fd = connect_from(NULL, 5)) < 0)
			continue;
		ready = http_do(fd, "GET", "/probes", NULL, body, sizeof(body)) == 200 &&
			!strstr(body, "\"firmware_version\":null");
		close(fd);
	}
	if (!ready || !daemon_alive()) {
		printf("soak: rdpd did not start (log: %s)\n", log);
		return 1;
	}
	usleep(300000);
	f_fresh = proc_figures();
	prefill_s = now_ms();
	for (long i = 0; i < N_UNLOCK; i++)
		pthread_create(&th_unlock[i], NULL, prefill_client, (void *)i);
	for (int i = 0; i < N_UNLOCK; i++)
		pthread_join(th_unlock[i], NULL);
	prefill_s = (now_ms() - prefill_s) / 1000;
	sleep_ms(500);
	f_start = proc_figures();
	printf("soak: rdpd pid %d on 127.0.0.1:%d for %.0f s (warm-up %.0f s; MALLOC_ARENA_MAX %s); log %s\n",
	       (int)daemon_pid, port, seconds, warm_s, getenv("MALLOC_ARENA_MAX") ? getenv("MALLOC_ARENA_MAX") : "unset",
	       log);
	fflush(stdout);
	t_start = now_ms();

	pthread_create(&th_slow, NULL, slowloris, NULL);
	for (long i = 0; i < N_GET + N_METRICS; i++)
		pthread_create(&th_get[i], NULL, get_client, (void *)i);
	for (long i = 0; i < N_UNLOCK; i++)
		pthread_create(&th_unlock[i], NULL, unlock_client, (void *)i);
	for (long i = 0; i < N_REPLUG; i++)
		pthread_create(&th_replug[i], NULL, replug_client, (void *)i);
	for (long i = 0; i < N_SSE; i++)
		pthread_create(&th_sse[i], NULL, sse_client, (void *)(i + 1));
	pthread_create(&th_hostile, NULL, hostile_client, NULL);
	pthread_create(&th_wire, NULL, wire_client, NULL);

	/* Sample the daemon once a second: its peak, and that it is alive. */
	unsigned tick = 0, last_g = 0, last_m = 0, last_j = 0, last_e = 0;

	while ((alive = daemon_alive()) && now_ms() - t_start < seconds * 1000) {
		struct proc_figures f;

		sleep_ms(1000);
		f = proc_figures();
		if (f.rss_kb > f_max.rss_kb)
			f_max.rss_kb = f.rss_kb;
		if (f.fds > f_max.fds)
			f_max.fds = f.fds;
		if (f.threads > f_max.threads)
			f_max.threads = f.threads;
		if (!have_warm && now_ms() - t_start >= warm_s * 1000)
			f_warm = f, have_warm = true;
		/* A line every 10 s: rates over the last 10 s, and the daemon. */
		if (++tick % 10 == 0) {
			unsigned g = served[K_PROBES], m = served[K_METRICS], j = jobs_created, e = sse_events;

			printf("  t=%3d s: GET /probes %6.0f/s, GET /metrics %5.0f/s, jobs %4.1f/s, SSE events %5.0f/s; "
			       "rdpd RSS %ld KB, fds %ld, threads %ld\n", tick, (g - last_g) / 10.0, (m - last_m) / 10.0,
			       (j - last_j) / 10.0, (e - last_e) / 10.0, f.rss_kb, f.fds, f.threads);
			fflush(stdout);
			last_g = g, last_m = m, last_j = j, last_e = e;
		}
	}
	f_loaded = proc_figures();
	stopping = true;
	pthread_join(th_slow, NULL);
	pthread_join(th_hostile, NULL);
	pthread_join(th_wire, NULL);
	wire_kill();
	for (int i = 0; i < N_GET + N_METRICS; i++)
		pthread_join(th_get[i], NULL);
	for (int i = 0; i < N_UNLOCK; i++)
		pthread_join(th_unlock[i], NULL);
	for (int i = 0; i < N_REPLUG; i++)
		pthread_join(th_replug[i], NULL);
	for (int i = 0; i < N_SSE; i++)
		pthread_join(th_sse[i], NULL);
	/* The clients are gone: give the daemon's connection threads time to end. */
	for (int i = 0; i < 50; i++) {
		sleep_ms(100);
		f_end = proc_figures();
		if (f_end.fds <= f_start.fds && f_end.threads <= f_start.threads)
			break;
	}
	sleep_ms(500);
	f_end = proc_figures();
	alive = alive && daemon_alive();
	answers = false;
	if (alive && (fd = connect_from(NULL, 5)) >= 0) {
		answers = http_do(fd, "GET", "/probes", NULL, NULL, 0) == 200;
		if (http_do(fd, "GET", "/metrics", NULL, body, sizeof(body)) != 200)
			body[0] = '\0';
		close(fd);
	}

	printf("\nrequests (%.0f s, expected answer -> count; other answers and connection errors):\n", seconds);
	for (int k = 0; k < N_KINDS; k++) {
		unsigned errs = 0;

		printf("  %-32s %8u", kind_name[k], served[k]);
		for (int s = 100; s < 600; s++)
			if (status_seen[k][s] && s != kind_want[k])
				printf("   %d x%u", s == 299 ? 200 : s, status_seen[k][s]), errs += status_seen[k][s];
		for (int e = 0; e < N_ERRS; e++)
			if (conn_errs[k][e]) {
				printf("   %s x%u", err_name[e], conn_errs[k][e]);
				if (!(kind_hostile[k] && e == E_CLOSED) && !(k == K_SSE && e == E_TIMEOUT))
					errs += conn_errs[k][e];
			}
		if (status_seen[k][299])
			printf(" (200 x%u: the job did not succeed)", status_seen[k][299]);
		if (kind_hostile[k]) {
			if (kind_hostile[k] && conn_errs[k][E_CLOSED])
				printf(" (closed = refused: fine)");
			hostile_bad += errs;
		} else {
			bad += errs;
		}
		printf("\n");
	}
	printf("  SSE: %u events received, %u subscribers left mid-stream, %u streams ended by the daemon\n",
	       sse_events, sse_left_early, sse_ended);
	printf("  replug: the job running at the refused DELETE ended:");
	for (int o = 0; o < 8; o++)
		if (job_outcome[o])
			printf(" %s x%u;", outcome_name[o], job_outcome[o]);
	printf("\n");
	bad += job_outcome[5] + job_outcome[6];
	printf("  wireless: the job whose probe process was killed ended:");
	for (int o = 0; o < 8; o++)
		if (wire_outcome[o])
			printf(" %s x%u;", outcome_name[o], wire_outcome[o]);
	printf("\n");
	bad += wire_outcome[3] + wire_outcome[5] + wire_outcome[6] + wire_outcome[7];
	{
		unsigned refused = 0, timed_out = 0, open_ = 0, trickle_closed = 0, trickle_open = 0;
		double first_to = 0;

		for (int i = 0; i < N_SLOW; i++) {
			double life = slow[i].closed_at - slow[i].opened;

			if (!slow[i].closed)
				slow[i].trickle ? trickle_open++ : open_++;
			else if (life < 1000)
				refused++;
			else if (slow[i].trickle)
				trickle_closed++;
			else {
				timed_out++;
				if (!first_to || life < first_to)
					first_to = life;
			}
		}
		printf("  slowloris from 127.0.0.2: %d sockets (%u could not connect): %u closed within 1 s "
		       "(per-IP limit 64); silent: %u closed by the request or idle timeout (first after %.1f s), %u still "
		       "open at the end; trickling a byte every %d s: %u closed by the request timeout, %u still open "
		       "at the end\n",
		       N_SLOW, slow_connect_failed, refused, timed_out, first_to / 1000, open_, TRICKLE_S,
		       trickle_closed, trickle_open);
		if (seconds > REQUEST_TIMEOUT_S + TRICKLE_S + 2 && trickle_open) {
			printf("  a trickling client outlived the %d s request timeout\n", REQUEST_TIMEOUT_S);
			bad += trickle_open;
		}
	}
	printf("\nGET /probes latency under load: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms (%u requests)\n",
	       hist_pct(0.5), hist_pct(0.99), hist_pct(0.999), served[K_PROBES]);
	if (body[0]) {
		char *p = body;

		printf("the daemon's own count (rdpd_http_requests_total):");
		while ((p = strstr(p, "rdpd_http_requests_total{code=\""))) {
			printf(" %.3s:%ld", p + 31, strtol(strchr(p, '}') + 1, NULL, 10));
			p += 31;
		}
		printf("\n");
	}
	printf("\nthe daemon (pid %d):\n", (int)daemon_pid);
	print_figures("fresh, before the history fill", f_fresh);
	printf("  (%u jobs run first, %.1f s, %u failed: the history of %d finished jobs is full, so\n"
	       "   memory that is there by design is in the start figure)\n",
	       prefill_jobs, prefill_s, prefill_failed, HISTORY_CAP);
	print_figures("at start (history full)", f_start);
	print_figures("after warm-up (clients on)", f_warm);
	print_figures("peak", f_max);
	print_figures("end of load (clients on)", f_loaded);
	print_figures("end, clients gone", f_end);
	flat_fd = f_end.fds <= f_start.fds + FD_SLACK;
	flat_rss = f_end.rss_kb <= f_warm.rss_kb + RSS_SLACK_KB && f_end.rss_kb <= f_start.rss_kb + 2 * RSS_SLACK_KB;
	printf("  fds: %+ld from start (allowed +%d): %s\n", f_end.fds - f_start.fds, FD_SLACK,
	       flat_fd ? "flat" : "NOT FLAT (a leak)");
	printf("  RSS: %+ld KB from warm-up, %+ld KB from start (allowed +%d KB from warm-up, +%d KB from "
	       "start): %s\n", f_end.rss_kb - f_warm.rss_kb, f_end.rss_kb - f_start.rss_kb, RSS_SLACK_KB,
	       2 * RSS_SLACK_KB,
	       flat_rss ? "flat" : "NOT FLAT (growth)");

	if (!flat_rss && !getenv("MALLOC_ARENA_MAX"))
		printf("  (growth that levels off in the t= lines is likely glibc's per-thread malloc arenas under\n"
		       "   thread-per-connection, up to 8 per core, not a leak: rerun with MALLOC_ARENA_MAX=2 to tell)\n");
	if (alive) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &status, 0);
	}
	printf("\nverdict: %u legitimate requests failed, %u hostile ones not refused, daemon %s, %s after the "
	       "load, exit status %d after SIGTERM, fds %s, RSS %s: %s\n",
	       bad, hostile_bad, alive ? "alive" : "DEAD", answers ? "answering" : "NOT ANSWERING",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1, flat_fd ? "flat" : "not flat",
	       flat_rss ? "flat" : "not flat",
	       !bad && !hostile_bad && alive && answers && flat_fd && flat_rss && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? "PASS" : "FAIL");
	if (!(!bad && !hostile_bad && alive && answers && flat_fd && flat_rss))
		printf("daemon log: %s\n", log);
	return !bad && !hostile_bad && alive && answers && flat_fd && flat_rss && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : 1;
}
