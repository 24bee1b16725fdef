/*
 * bench_service - figures for issue 3, against the real daemon:
 *  - requests/s and p99 latency of GET /probes on loopback while four
 *    simulated unlocks run, in 10 rounds, beside a minimal libmicrohttpd
 *    server built here as the ceiling (a fixed body of the same size), in
 *    rdpd's threading mode and in the thread-per-connection mode;
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

struct load {
	int port;
	double until;
	double *samples;
	size_t n;
	unsigned errors;
};

static void *load_thread(void *arg)
{
	struct load *l = arg;
	int fd = connect_port(l->port);

	while (fd >= 0 && now_ms() < l->until) {
		double t0 = now_ms();

		if (http_do(fd, "GET", "/probes", NULL, 0) != 200) {
			l->errors++;
			close(fd);
			fd = connect_port(l->port);
			continue;
		}
		if (l->n < MAX_SAMPLES / CLIENTS)
			l->samples[l->n++] = now_ms() - t0;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Hammer GET /probes with CLIENTS keep-alive connections for RUN_MS. */
static void measure(int port, double *rps, double *p99, unsigned *errors)
{
	static double all[MAX_SAMPLES];
	struct load l[CLIENTS];
	pthread_t th[CLIENTS];
	size_t total = 0;
	double until = now_ms() + RUN_MS;

	for (int i = 0; i < CLIENTS; i++) {
		l[i] = (struct load){.port = port, .until = until, .samples = all + i * (MAX_SAMPLES / CLIENTS)};
		pthread_create(&th[i], NULL, load_thread, &l[i]);
	}
	*errors = 0;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		*errors += l[i].errors;
	}
	for (int i = 0; i < CLIENTS; i++) {
		memmove(all + total, l[i].samples, l[i].n * sizeof(double));
		total += l[i].n;
	}
	qsort(all, total, sizeof(double), cmp_double);
	*rps = total / (RUN_MS / 1000.0);
	*p99 = total ? all[(size_t)(total * 0.99)] : 0;
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

/* The ceiling in rdpd's own threading (api/http_server.c api_start():
 * libmicrohttpd's epoll thread pool, a thread per CPU, suspend/resume
 * allowed), and in the thread-per-connection mode rdpd used before. */
#define CEILING_FLAGS_POOL (MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO)
#define CEILING_FLAGS_TPC (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD)

static struct MHD_Daemon *ceiling_start(unsigned flags, int *port)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned pool = flags & MHD_USE_THREAD_PER_CONNECTION ? 0 : (unsigned)(cpus > 1 ? cpus : 1);
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, ceiling_handler, NULL,
						MHD_OPTION_THREAD_POOL_SIZE, pool, MHD_OPTION_END);
	const union MHD_DaemonInfo *di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;

	*port = di ? di->port : -1; /* port 0: the kernel picked one */
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
	unsigned err_r;
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
	       "OpenOCD ~6 MB per probe, one process each)\n", rss_kb(pid));
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
		int pport = -1, tport = -1, rport;
		double rp[ROUNDS], pp[ROUNDS], rt[ROUNDS], pt[ROUNDS], rr[ROUNDS], pr[ROUNDS], ratio[ROUNDS];
		double ratio_min = 1e9;
		unsigned err_p, err_t;
		pthread_t th[4];
		struct unlock_arg ua[4];
		struct MHD_Daemon *pool = ceiling_start(CEILING_FLAGS_POOL, &pport);

		ceiling = ceiling_start(CEILING_FLAGS_TPC, &tport);
		for (int i = 0; i < 16; i++)
			probes[i] = probe_uri(i + 48, "20"); /* an 80 s erase: it outlasts the runs */
		pid = start_rdpd(rdpd, &rport, probes, 4, state);
		for (int i = 0; i < 4; i++) {
			ua[i] = (struct unlock_arg){rport, i};
			pthread_create(&th[i], NULL, unlock_thread, &ua[i]);
		}
		usleep(300000);
		/* Alternate the servers round by round: the machine's other load
		 * then weighs on all alike. */
		for (int k = 0; k < ROUNDS; k++) {
			measure(pport, &rp[k], &pp[k], &err_p);
			measure(rport, &rr[k], &pr[k], &err_r);
			measure(tport, &rt[k], &pt[k], &err_t);
			ratio[k] = 100.0 * rr[k] / rp[k];
			if (ratio[k] < ratio_min)
				ratio_min = ratio[k];
			printf("  round %2d: minimal libmicrohttpd, rdpd's threading %.0f req/s (p99 %.2f ms); "
			       "rdpd %.0f req/s (p99 %.2f ms, %u errors): %.0f%%; minimal, thread per "
			       "connection %.0f req/s (p99 %.2f ms)\n", k + 1, rp[k], pp[k], rr[k], pr[k], err_r,
			       ratio[k], rt[k], pt[k]);
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		for (int i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		MHD_stop_daemon(ceiling);
		MHD_stop_daemon(pool);
		printf("GET /probes, %d keep-alive clients, %d x %d s runs, medians: minimal libmicrohttpd "
		       "with rdpd's threading %.0f req/s (p99 %.2f ms); rdpd with 4 unlocks running %.0f req/s "
		       "(p99 %.2f ms): %.0f%% of it, %.0f%% in the worst round (target >= 90%% in every "
		       "round); minimal libmicrohttpd, thread per connection %.0f req/s (p99 %.2f ms)\n",
		       CLIENTS, ROUNDS, RUN_MS / 1000, median(rp), median(pp), median(rr), median(pr),
		       median(ratio), ratio_min, median(rt), median(pt));
	}
	return 0;
}
