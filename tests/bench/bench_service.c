/*
 * bench_service - figures for issue 3, against the real daemon:
 *  - requests/s and p99 latency of GET /probes on loopback while four
 *    simulated unlocks run, in 10 runs, beside a minimal libmicrohttpd
 *    server built here as the ceiling (a fixed body of the same size), in
 *    rdpd's threading mode and in the thread-per-connection mode, the
 *    three taking turns within each run;
 *  - wall time of 8 parallel unlocks against 1;
 *  - resident memory idle and with 16 simulated probes.
 * Usage: bench_service path/to/rdpd
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_port.h"

#define CLIENTS 8
#define RUN_MS 2000
#define MAX_SAMPLES 400000
#define ROUNDS 10

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int connect_port(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One HTTP/1.1 exchange on a kept-alive socket; returns the status or -1. */
static int http_do(int fd, const char *method, const char *path, char *body, size_t cap)
{
	char req[256], buf[65536];
	size_t have = 0, need = 0, hdr_end = 0;
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
			 method, path);

	if (write(fd, req, (size_t)n) != n)
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have - 1);
		char *e, *cl;

		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (!hdr_end && (e = strstr(buf, "\r\n\r\n"))) {
			hdr_end = (size_t)(e - buf) + 4;
			cl = strcasestr(buf, "Content-Length:");
			need = hdr_end + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		}
		if (hdr_end && have >= need)
			break;
	}
	if (body) {
		size_t blen = need - hdr_end < cap - 1 ? need - hdr_end : cap - 1;

		memcpy(body, buf + hdr_end, blen);
		body[blen] = '\0';
	}
	return atoi(buf + 9);
}

/* The servers a run compares: the ceiling in rdpd's mode, rdpd, the
 * ceiling with a thread per connection. */
#define SERVERS 3
#define SLICE_MS 20

struct load {
	const int *ports;
	double t0, until;
	double *samples[SERVERS];
	size_t n[SERVERS];
	unsigned errors[SERVERS];
};

/* One client: a kept-alive connection to each server, and requests to the
 * server whose SLICE_MS slice it is. The servers take turns ten times a
 * second, so a change in the machine's speed (this runs on shared virtual
 * CPUs) weighs on all of them alike instead of on one whole run. */
static void *load_thread(void *arg)
{
	struct load *l = arg;
	int fd[SERVERS];
	double t;

	for (int k = 0; k < SERVERS; k++)
		fd[k] = connect_port(l->ports[k]);
	while ((t = now_ms()) < l->until) {
		int k = (int)((t - l->t0) / SLICE_MS) % SERVERS;

		if (fd[k] < 0 || http_do(fd[k], "GET", "/probes", NULL, 0) != 200) {
			l->errors[k]++;
			if (fd[k] >= 0)
				close(fd[k]);
			fd[k] = connect_port(l->ports[k]);
			continue;
		}
		if (l->n[k] < MAX_SAMPLES / CLIENTS)
			l->samples[k][l->n[k]++] = now_ms() - t;
	}
	for (int k = 0; k < SERVERS; k++)
		if (fd[k] >= 0)
			close(fd[k]);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Hammer GET /probes on the SERVERS PORTS with CLIENTS keep-alive
 * connections, RUN_MS of slices each. */
static void measure(const int *ports, double *rps, double *p99, unsigned *errors)
{
	static double all[SERVERS][MAX_SAMPLES];
	struct load l[CLIENTS];
	pthread_t th[CLIENTS];
	double t0 = now_ms();

	for (int i = 0; i < CLIENTS; i++) {
		l[i] = (struct load){.ports = ports, .t0 = t0, .until = t0 + SERVERS * RUN_MS};
		for (int k = 0; k < SERVERS; k++)
			l[i].samples[k] = all[k] + i * (MAX_SAMPLES / CLIENTS);
		pthread_create(&th[i], NULL, load_thread, &l[i]);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	for (int k = 0; k < SERVERS; k++) {
		size_t total = 0;

		errors[k] = 0;
		for (int i = 0; i < CLIENTS; i++) {
			memmove(all[k] + total, l[i].samples[k], l[i].n[k] * sizeof(double));
			total += l[i].n[k];
			errors[k] += l[i].errors[k];
		}
		qsort(all[k], total, sizeof(double), cmp_double);
		rps[k] = total / (RUN_MS / 1000.0);
		p99[k] = total ? all[k][(size_t)(total * 0.99)] : 0;
	}
}

static char ceiling_body[65536];
static size_t ceiling_len;

static enum MHD_Result ceiling_handler(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version, const char *data,
				       size_t *size, void **ptr)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!*ptr) {
		*ptr = (void *)1;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(ceiling_len, ceiling_body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* The ceiling in rdpd's own threading (api/api.c, api/listen.c:
 * libmicrohttpd's epoll thread pool, a thread per CPU, suspend/resume
 * allowed, connections accepted by a thread of its own and handed over
 * with MHD_add_connection(), no MHD_USE_TURBO), and in the thread-per-connection mode rdpd
 * used before. */
#define CEILING_FLAGS_POOL                                                                           \
	(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET)
#define CEILING_FLAGS_TPC (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD)

struct ceiling_listener {
	struct MHD_Daemon *d;
	int fd;
};

static void *ceiling_accept(void *arg)
{
	struct ceiling_listener *l = arg;
	int fd;

	while ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		MHD_add_connection(l->d, fd, NULL, 0);
	return NULL; /* the listening socket was shut down */
}

static int ceiling_listen(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

static struct ceiling_listener ceiling_pool_listener;

static struct MHD_Daemon *ceiling_start(unsigned flags, int *port)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool pool = !(flags & MHD_USE_THREAD_PER_CONNECTION);
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, ceiling_handler, NULL,
						MHD_OPTION_THREAD_POOL_SIZE, pool ? (unsigned)(cpus > 1 ? cpus : 1) : 0u,
						MHD_OPTION_END);
	const union MHD_DaemonInfo *di;
	pthread_t th;

	*port = -1;
	if (d && pool) {
		ceiling_pool_listener = (struct ceiling_listener){d, ceiling_listen(port)};
		if (ceiling_pool_listener.fd >= 0)
			pthread_create(&th, NULL, ceiling_accept, &ceiling_pool_listener);
	} else if (d && (di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT))) {
		*port = di->port; /* port 0: the kernel picked one */
	}
	return d;
}

static double median(const double *v)
{
	double s[ROUNDS];

	memcpy(s, v, sizeof(s));
	qsort(s, ROUNDS, sizeof(double), cmp_double);
	return (s[ROUNDS / 2 - 1] + s[ROUNDS / 2]) / 2;
}

/* rdpd on port 0 with N_PROBES of PROBES; *PORT is the port it bound (-1
 * when it did not start). Each start gets a state directory of its own
 * under STATE: rdpd remembers every probe's index there (probes.json), so
 * in a shared one the probes of a later start took new indexes and the
 * unlocks below went to /probes/0.. that were not theirs; and a banner
 * left by the start before could be read for this one's port. */
static pid_t start_rdpd(const char *rdpd, int *port, char **probes, int n_probes, const char *state)
{
	static unsigned starts;
	char out[300], dir[256], *argv[64];
	int argc = 0;
	pid_t pid;

	snprintf(dir, sizeof(dir), "%s/%u", state, ++starts);
	mkdir(dir, 0700);
	state = dir;
	snprintf(out, sizeof(out), "%s/rdpd.out", state);
	argv[argc++] = (char *)rdpd;
	argv[argc++] = "serve";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--state-dir";
	argv[argc++] = (char *)state;
	argv[argc++] = "--no-usb";
	argv[argc++] = "--config";
	argv[argc++] = "/dev/null";
	for (int i = 0; i < n_probes; i++) {
		argv[argc++] = "--probe";
		argv[argc++] = probes[i];
	}
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(126);
		execv(rdpd, argv);
		_exit(127);
	}
	*port = bench_port_from(out, 10000);
	return pid;
}

static void stop_rdpd(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* POST unlock on probes [0, n) with ?wait, all at once; wall time in ms. */
struct unlock_arg {
	int port, index;
};

static void *unlock_thread(void *arg)
{
	struct unlock_arg *u = arg;
	char path[64];
	int fd = connect_port(u->port);

	snprintf(path, sizeof(path), "/probes/%d/unlock?wait=60", u->index);
	if (fd >= 0) {
		http_do(fd, "POST", path, NULL, 0);
		close(fd);
	}
	return NULL;
}

static double parallel_unlocks(int port, int n)
{
	pthread_t th[16];
	struct unlock_arg a[16];
	double t0 = now_ms();

	for (int i = 0; i < n; i++) {
		a[i] = (struct unlock_arg){port, i};
		pthread_create(&th[i], NULL, unlock_thread, &a[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return now_ms() - t0;
}

static char *probe_uri(int i, const char *scale)
{
	char *s = malloc(128);

	snprintf(s, 128, "sim:stm32f401re-rdp1?time_scale=%s&latency_us=1000&serial=BENCH%02d", scale, i);
	return s;
}

int main(int argc, char **argv)
{
	const char *rdpd = argc > 1 ? argv[1] : "build/rdpd";
	char state[] = "/tmp/rdpd-bench-XXXXXX", *probes[16];
	struct MHD_Daemon *ceiling;
	double one, eight;
	int port;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	mkdtemp(state);
	for (int i = 0; i < 16; i++)
		probes[i] = probe_uri(i, "0.25"); /* the F401's 4 s erase lasts 1 s */

	/* Idle memory, then with 16 probes. */
	pid = start_rdpd(rdpd, &port, probes, 0, state);
	usleep(200000);
	printf("resident memory idle: %ld KB (target < 10 MB)\n", rss_kb(pid));
	stop_rdpd(pid);
	pid = start_rdpd(rdpd, &port, probes, 16, state);
	{
		int fd = connect_port(port);
		char path[64];

		for (int i = 0; fd >= 0 && i < 16; i++) { /* every probe opened and read once */
			snprintf(path, sizeof(path), "/probes/%d/rdp", i);
			http_do(fd, "GET", path, NULL, 0);
		}
		if (fd >= 0)
			close(fd);
	}
	printf("resident memory with 16 simulated probes, each read once: %ld KB (target < 16 MB; "
	       "OpenOCD's, measured: bench_openocd's last line)\n", rss_kb(pid));
	stop_rdpd(pid);

	/* Parallel unlocks: 1 against 8. */
	pid = start_rdpd(rdpd, &port, probes, 8, state);
	one = parallel_unlocks(port, 1);
	stop_rdpd(pid);
	for (int i = 0; i < 16; i++)
		probes[i] = probe_uri(i + 16, "0.25");
	pid = start_rdpd(rdpd, &port, probes, 8, state);
	eight = parallel_unlocks(port, 8);
	printf("unlock wall time (1 s simulated erase, 1 ms/packet): 1 probe %.0f ms, 8 probes in parallel "
	       "%.0f ms: %.2fx (target <= 1.2x)\n", one, eight, eight / one);
	stop_rdpd(pid);

	/* GET /probes throughput against the ceiling, which answers with the
	 * very body rdpd gives for the same four probes. */
	for (int i = 0; i < 16; i++)
		probes[i] = probe_uri(i + 32, "1");
	pid = start_rdpd(rdpd, &port, probes, 4, state);
	{
		int fd = connect_port(port);

		if (fd >= 0) {
			http_do(fd, "GET", "/probes", ceiling_body, sizeof(ceiling_body));
			close(fd);
		}
		ceiling_len = strlen(ceiling_body);
	}
	stop_rdpd(pid);
	{
		int ports[SERVERS] = {-1, -1, -1};
		double rps[ROUNDS][SERVERS], p99[ROUNDS][SERVERS], ratio[ROUNDS], ratio_min = 1e9;
		double col[SERVERS][2][ROUNDS];
		unsigned err[SERVERS];
		pthread_t th[4];
		struct unlock_arg ua[4];
		struct MHD_Daemon *pool = ceiling_start(CEILING_FLAGS_POOL, &ports[0]);

		ceiling = ceiling_start(CEILING_FLAGS_TPC, &ports[2]);
		for (int i = 0; i < 16; i++)
			probes[i] = probe_uri(i + 48, "30"); /* a 120 s erase: it outlasts the runs */
		pid = start_rdpd(rdpd, &ports[1], probes, 4, state);
		for (int i = 0; i < 4; i++) {
			ua[i] = (struct unlock_arg){ports[1], i};
			pthread_create(&th[i], NULL, unlock_thread, &ua[i]);
		}
		usleep(300000);
		for (int k = 0; k < ROUNDS; k++) {
			measure(ports, rps[k], p99[k], err);
			ratio[k] = 100.0 * rps[k][1] / rps[k][0];
			if (ratio[k] < ratio_min)
				ratio_min = ratio[k];
			for (int j = 0; j < SERVERS; j++)
				col[j][0][k] = rps[k][j], col[j][1][k] = p99[k][j];
			printf("  run %2d: minimal libmicrohttpd, rdpd's threading %.0f req/s (p99 %.2f ms); "
			       "rdpd %.0f req/s (p99 %.2f ms, %u errors): %.0f%%; minimal, thread per "
			       "connection %.0f req/s (p99 %.2f ms)\n", k + 1, rps[k][0], p99[k][0], rps[k][1],
			       p99[k][1], err[1], ratio[k], rps[k][2], p99[k][2]);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		MHD_stop_daemon(ceiling);
		shutdown(ceiling_pool_listener.fd, SHUT_RDWR); /* its accept thread ends */
		MHD_stop_daemon(pool);
		printf("GET /probes, %d keep-alive clients, %d runs of %d s per server in %d ms turns, medians: "
		       "minimal libmicrohttpd with rdpd's threading %.0f req/s (p99 %.2f ms); rdpd with 4 unlocks "
		       "running %.0f req/s (p99 %.2f ms): %.0f%% of it, %.0f%% in the worst run (target >= 90%% "
		       "in every run); minimal libmicrohttpd, thread per connection %.0f req/s (p99 %.2f ms)\n",
		       CLIENTS, ROUNDS, RUN_MS / 1000, SLICE_MS, median(col[0][0]), median(col[0][1]),
		       median(col[1][0]), median(col[1][1]), median(ratio), ratio_min, median(col[2][0]),
		       median(col[2][1]));
	}
	return 0;
}
