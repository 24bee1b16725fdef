/*
 * dnssd.c - DNS-SD announcement by a child avahi-publish process.
 *
 * Why a child process and not a static /etc/avahi/services file: the file
 * cannot know the port (rdpd.conf, --listen, rdpd.socket) or whether HTTPS
 * is on, and it goes on announcing a daemon that is stopped. avahi-publish
 * runs only while rdpd serves, publishes what rdpd actually bound, and needs
 * no library: avahi-daemon's D-Bus policy lets any user publish. The child
 * dies with us (PR_SET_PDEATHSIG) even if we are killed.
 */
#include "dnssd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

#define DNSSD_RETRY_S 60
#define DNSSD_TYPE "_rdpd._tcp"

static pid_t dnssd_pid = -1;
static char dnssd_exe[512];
static char dnssd_name[128], dnssd_port[8], dnssd_txt_version[64], dnssd_txt_tls[16];
static bool dnssd_wanted;
static time_t dnssd_retry_at;

static bool dnssd_find_exe(void)
{
	const char *path = getenv("PATH");
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n && n + sizeof("/avahi-publish") < sizeof(dnssd_exe)) {
			snprintf(dnssd_exe, sizeof(dnssd_exe), "%.*s/avahi-publish", (int)n, p);
			if (access(dnssd_exe, X_OK) == 0)
				return true;
		}
		p += n + (e ? 1 : 0);
	}
	return false;
}

static time_t dnssd_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int dnssd_spawn(void)
{
	char *argv[] = {dnssd_exe, "-s", dnssd_name, DNSSD_TYPE, dnssd_port,
			"path=/", dnssd_txt_version, dnssd_txt_tls, NULL};
	pid_t pid = fork();

	if (pid < 0)
		return err_setf(ERR_IO, "dnssd: cannot start avahi-publish: %s", strerror(errno));
	if (pid == 0) {
		sigset_t none;

		/* The daemon blocks SIGTERM (sigwait) and ignores SIGPIPE:
		 * the child must not inherit either. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(dnssd_exe, argv);
		_exit(127);
	}
	dnssd_pid = pid;
	return 0;
}

int dnssd_start(unsigned port, bool tls)
{
	char host[64] = "localhost";

	if (!dnssd_find_exe()) {
		log_info("dnssd: avahi-publish not found (Debian package avahi-utils): not announcing %s",
			 DNSSD_TYPE);
		return 0;
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(dnssd_name, sizeof(dnssd_name), "rdpd on %s", host);
	snprintf(dnssd_port, sizeof(dnssd_port), "%u", port);
	snprintf(dnssd_txt_version, sizeof(dnssd_txt_version), "version=%s", RDPD_VERSION);
	snprintf(dnssd_txt_tls, sizeof(dnssd_txt_tls), "tls=%s", tls ? "yes" : "no");
	dnssd_wanted = true;
	log_info("dnssd: announcing '%s' %s port %u through avahi-daemon", dnssd_name, DNSSD_TYPE, port);
	return dnssd_spawn();
}

void dnssd_tick(void)
{
	int status;

	if (!dnssd_wanted)
		return;
	if (dnssd_pid > 0 && waitpid(dnssd_pid, &status, WNOHANG) == dnssd_pid) {
		dnssd_pid = -1;
		dnssd_retry_at = dnssd_now_s() + DNSSD_RETRY_S;
		log_warn("dnssd: avahi-publish stopped (%s %d): is avahi-daemon running? "
			 "(systemctl status avahi-daemon); retrying in %d s",
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), DNSSD_RETRY_S);
	}
	if (dnssd_pid < 0 && dnssd_now_s() >= dnssd_retry_at && dnssd_spawn() < 0)
		dnssd_retry_at = dnssd_now_s() + DNSSD_RETRY_S;
}

void dnssd_stop(void)
{
	dnssd_wanted = false;
	if (dnssd_pid > 0) {
		kill(dnssd_pid, SIGTERM);
		waitpid(dnssd_pid, NULL, 0);
	}
	dnssd_pid = -1;
}
