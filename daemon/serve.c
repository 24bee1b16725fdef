/*
 * serve.c - `rdpd serve`: configuration, start-up order, hotplug, shutdown.
 *
 * Start-up order matters: the journal is replayed (running jobs become
 * interrupted) before the socket is bound, and systemd hears READY=1 only
 * once both are done (docs/service.md, "Jobs and the journal").
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/auth.h"
#include "config.h"
#include "dnssd.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/journal.h"
#include "jobs/worker.h"
#include "log.h"
#include "notify.h"
#include "probes/registry.h"

#define SERVE_HOTPLUG_MS 1000
#define SERVE_STOP_TIMEOUT_MS 10000

static struct journal *serve_journal;
static atomic_bool serve_hotplug_run = true;

static bool serve_journal_ok(void)
{
	return serve_journal && journal_writable(serve_journal);
}

static void *serve_hotplug(void *arg)
{
	struct config *cfg = arg;
	uint64_t wd_ms = notify_watchdog_interval_ms(), since_wd = 0;

	while (atomic_load(&serve_hotplug_run)) {
		struct timespec step = {.tv_nsec = 200 * 1000000L};

		nanosleep(&step, NULL);
		since_wd += 200;
		if (wd_ms && since_wd >= wd_ms) {
			notify_send("WATCHDOG=1");
			since_wd = 0;
		}
		if (cfg->usb && since_wd % SERVE_HOTPLUG_MS == 0)
			registry_rescan_usb();
		dnssd_tick();
	}
	return NULL;
}

static int serve_prepare_state(const struct config *cfg)
{
	struct journal_replay_report rep = {0};
	int rc;

	job_store_init(NULL);
	rc = journal_open(cfg->state_dir, job_store_replay_record, NULL, &serve_journal, &rep);
	if (rc < 0)
		return rc;
	job_store_init(serve_journal);
	job_store_finish_replay(&rep);
	log_info("journal %s/journal: %u records replayed, %u damaged spans (%llu bytes) set aside",
		 cfg->state_dir, rep.records, rep.damaged_spans, rep.damaged_bytes);
	registry_set_state_dir(cfg->state_dir);
	return registry_load_persistent();
}

/* The probes of the configuration, the attached ones, and the simulated
 * fallback; each is opened once in the background for its identity
 * (serial, firmware, packet size), discovered ones too: enumeration alone
 * tells no firmware version. The check that was here compared the kind
 * with "usb", which no kind is (usb-bulk, usb-hid), and so only skipped
 * the configuration's usb: probes. */
static void serve_add_probes(const struct config *cfg)
{
	static struct registry_candidate listed[REGISTRY_MAX_PROBES];
	size_t n;
	int index;

	for (unsigned i = 0; i < cfg->n_probes; i++)
		if (registry_add(cfg->probes[i], false, &index) < 0)
			log_warn("--probe %s: %s", cfg->probes[i], err_detail());
	if (cfg->usb)
		registry_rescan_usb();
	if (cfg->sim_if_empty[0] && registry_brief(listed, REGISTRY_MAX_PROBES) == 0) {
		char uri[128];

		snprintf(uri, sizeof(uri), "sim:%s", cfg->sim_if_empty);
		if (registry_add(uri, false, &index) == 0)
			log_notice("no probe attached: serving a SIMULATED probe, %s", uri);
	}
	n = registry_brief(listed, REGISTRY_MAX_PROBES);
	for (size_t i = 0; i < n; i++)
		worker_probe_identity(listed[i].index);
}

/*
 * Socket activation (rdpd.socket): systemd passes the bound socket as fd 3
 * with LISTEN_PID and LISTEN_FDS (sd_listen_fds(3)). Then the socket's own
 * address decides loopback (and so whether tokens are required), not
 * rdpd.conf. Returns true when a socket was passed.
 */
static bool serve_inherited_socket(struct config *cfg, int *fd)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
		return false;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	*fd = 3; /* SD_LISTEN_FDS_START */
	fcntl(*fd, F_SETFD, FD_CLOEXEC);
	if (getsockname(*fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, cfg->listen_host, sizeof(cfg->listen_host));
			cfg->port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, cfg->listen_host, sizeof(cfg->listen_host));
			cfg->port = ntohs(a->sin6_port);
		}
		cfg->loopback = strncmp(cfg->listen_host, "127.", 4) == 0 || strcmp(cfg->listen_host, "::1") == 0 ||
				strncmp(cfg->listen_host, "::ffff:127.", 11) == 0;
	}
	log_notice("socket activation: serving the socket systemd passed (%s port %u)", cfg->listen_host, cfg->port);
	return true;
}

/* The whole of a small file (a PEM certificate or key), NUL-terminated. */
static int serve_read_pem(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return err_setf(ERR_INVALID_ARGUMENT, "HTTPS: cannot read %s: %s (it must be readable by "
				"group rdpd: chgrp rdpd FILE; chmod 0640 FILE)", path, strerror(errno));
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = cap >= (1u << 20) ? NULL : realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return err_setf(ERR_INVALID_ARGUMENT, "HTTPS: %s is not a PEM file of sane size", path);
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, 4096, f);

		n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (!strstr(buf, "-----BEGIN ")) {
		free(buf);
		return err_setf(ERR_INVALID_ARGUMENT, "HTTPS: %s is not in PEM format (-----BEGIN ...)", path);
	}
	*out = buf;
	return 0;
}

/* Who may change things, for the banner and the "listening on" line. */
static const char *serve_token_mode(void)
{
	if (auth_tokens_required())
		return "tokens required for changes";
	if (auth_token_count())
		return "loopback: tokens loaded, but loopback_anonymous lets local clients change things without one";
	return "loopback: no tokens loaded, so anyone on this machine may change things";
}

/* The addresses to try, with the real index of each probe served (the
 * first one's in the examples): a banner that says /probes/0 when probe 0
 * is some other chip, or none, sends the reader's unlock to the wrong place. */
static void serve_print_urls(const struct config *cfg, unsigned port)
{
	static struct registry_candidate probes[REGISTRY_MAX_PROBES];
	const char *host = strcmp(cfg->listen_host, "0.0.0.0") == 0 || strcmp(cfg->listen_host, "::") == 0
				   ? "127.0.0.1" : cfg->listen_host;
	const char *br = strchr(host, ':') ? "[" : "", *bc = strchr(host, ':') ? "]" : "";
	const char *bearer = auth_tokens_required() ? "-H 'Authorization: Bearer SECRET' " : "";
	size_t n = registry_brief(probes, REGISTRY_MAX_PROBES);

	printf("rdpd %s listening on %s%s%s:%u\n"
	       "  tokens:     %s (%zu from %s)\n"
	       "  dashboard:  http://%s%s%s:%u/\n"
	       "  probes:     curl http://%s%s%s:%u/probes\n",
	       RDPD_VERSION, br, cfg->listen_host, bc, port, serve_token_mode(), auth_token_count(),
	       cfg->tokens[0] ? cfg->tokens : "no file", br, host, bc, port, br, host, bc, port);
	for (size_t i = 0; i < n; i++) {
		char label[24];

		snprintf(label, sizeof(label), "probe %d:", probes[i].index);
		printf("  %-11s %s (%s%s%s)\n", label, probes[i].uri, probes[i].transport,
		       strcmp(probes[i].serial, probes[i].uri) ? ", serial " : "",
		       strcmp(probes[i].serial, probes[i].uri) ? probes[i].serial : "");
	}
	if (n == 0)
		printf("  no probe yet: plug one in, or add one (--probe URI, POST /probes)\n");
	else
		printf("  protection: curl http://%s%s%s:%u/probes/%d/rdp\n"
		       "  unlock:     curl -X POST %s'http://%s%s%s:%u/probes/%d/unlock?wait=60'\n",
		       br, host, bc, port, probes[0].index, bearer, br, host, bc, port, probes[0].index);
	fflush(stdout);
}

static int serve_run(struct config *cfg)
{
	struct api_config acfg = {
		.listen_host = cfg->listen_host, .port = cfg->port, .require_token = !cfg->loopback,
		.tokens_path = cfg->tokens, .allowed_hosts = cfg->allow_hosts, .state_dir = cfg->state_dir,
	};
	pthread_t hotplug;
	sigset_t stop;
	int rc, sig = 0, listen_fd = -1;
	char *tls_cert = NULL, *tls_key = NULL;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* every thread inherits it; main waits */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a file size limit must give EFBIG, not kill us */
	acfg.have_listen_fd = serve_inherited_socket(cfg, &listen_fd);
	acfg.listen_fd = listen_fd;
	acfg.require_token = !cfg->loopback;
	if (cfg->tls_cert[0] &&
	    ((rc = serve_read_pem(cfg->tls_cert, &tls_cert)) < 0 || (rc = serve_read_pem(cfg->tls_key, &tls_key)) < 0))
		return rc;
	acfg.tls_cert_pem = tls_cert;
	acfg.tls_key_pem = tls_key;
	acfg.request_timeout_s = cfg->request_timeout_s;
	if ((rc = auth_load(cfg->tokens, cfg->loopback, cfg->loopback_anonymous, cfg->tokens_explicit)) < 0 ||
	    (rc = serve_prepare_state(cfg)) < 0)
		return rc;
	acfg.require_token = auth_tokens_required();
	if (cfg->loopback_anonymous && !cfg->loopback)
		log_warn("loopback_anonymous is ignored: rdpd listens on %s, beyond loopback", cfg->listen_host);
	serve_add_probes(cfg);
	routes_meta_set_journal_ok(serve_journal_ok);
	if ((rc = api_start(&acfg)) < 0)
		return rc;
	if (cfg->dnssd && !cfg->loopback)
		dnssd_start(api_config()->port, tls_cert != NULL);
	pthread_create(&hotplug, NULL, serve_hotplug, cfg);
	serve_print_urls(cfg, api_config()->port);
	if (tls_cert)
		printf("  HTTPS: use https:// in the addresses above (curl --cacert %s)\n", cfg->tls_cert);
	log_notice("listening on %s:%u (%s)", cfg->listen_host, api_config()->port, serve_token_mode());
	notify_send("READY=1\nSTATUS=serving probes");
	sigwait(&stop, &sig);
	log_notice("%s: stopping (running jobs get %d s to finish)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
		   SERVE_STOP_TIMEOUT_MS / 1000);
	notify_send("STOPPING=1");
	atomic_store(&serve_hotplug_run, false);
	pthread_join(hotplug, NULL);
	dnssd_stop();
	api_stop();
	free(tls_cert);
	free(tls_key);
	worker_shutdown(SERVE_STOP_TIMEOUT_MS);
	if (worker_busy_count()) {
		/* Leave the journal open: the job stays "running" there and is
		 * marked interrupted on the next start, never re-run. */
		log_warn("a job was still running at exit; it will show as interrupted");
		return 0;
	}
	journal_close(serve_journal);
	return 0;
}

int serve_main(int argc, char **argv)
{
	/* The HTTP pool, the probes' workers and the simulator all allocate;
	 * glibc would give busy threads arenas of their own and keep their
	 * freed memory. Two arenas
	 * keep the resident size flat under load (measured by make soak). */
	mallopt(M_ARENA_MAX, 2);
	struct config cfg;
	int rc = config_parse(argc, argv, &cfg);

	if (rc == 1)
		return 0; /* --help */
	if (rc < 0) {
		fprintf(stderr, "rdpd: %s\n", err_detail());
		return 2;
	}
	rc = serve_run(&cfg);
	if (rc < 0) {
		log_err("%s", err_detail());
		return 1;
	}
	return 0;
}
