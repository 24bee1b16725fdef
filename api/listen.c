/*
 * listen.c - the listening socket and the thread that accepts on it.
 *
 * Each new connection is handed to libmicrohttpd with MHD_add_connection(),
 * which puts it on pool thread (i + fd) % pool size, the first with room
 * (libmicrohttpd 0.9.75 daemon.c MHD_add_connection()): connections spread
 * over the pool. libmicrohttpd's own accept runs on whichever pool thread
 * wakes first and takes up to ten connections at once (daemon.c, the
 * "series_length < 10" loop), so clients that connect together land on one
 * thread, one CPU: `make bench` saw eight of them served at 55-60 k req/s
 * that way and at 75-90 k when spread.
 *
 * The accept policy and the per-address limit still apply: libmicrohttpd
 * runs both for an added connection (daemon.c new_connection_prepare_()).
 * At its connection limit it closes an added connection at once, where its
 * own accept would have left it in the listen backlog: so this thread
 * keeps the limit itself, below libmicrohttpd's (api.c), and stops
 * accepting until a connection ends (conn_guard.c evicts idle ones below
 * the limit to make room for newcomers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/conn_guard.h"
#include "api/listen.h"
#include "err.h"
#include "log.h"

static int listen_fd = -1, listen_stop_fd = -1;
static bool listen_running;
static pthread_t listen_thread;
static struct MHD_Daemon *listen_daemon;
static unsigned listen_limit;

static unsigned short listen_port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
					       : ((const struct sockaddr_in *)ss)->sin_port);
}

/* The port of a TCP socket handed over by systemd. */
static int listen_inherited(int fd, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return err_setf(ERR_INVALID_ARGUMENT, "the socket systemd passed (fd %d) is not a TCP "
				"socket: check ListenStream= in rdpd.socket", fd);
	*port = listen_port_of(&ss);
	listen_fd = fd;
	return 0;
}

/* HOST (an IPv4 or IPv6 literal) and PORT as a socket address. */
static int listen_address(const char *host, unsigned short port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return err_setf(ERR_INVALID_ARGUMENT, "--listen: '%s' is not an IPv6 address", host);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	*len = sizeof(*a);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return err_setf(ERR_INVALID_ARGUMENT, "--listen: '%s' is not an IPv4 address", host);
	return 0;
}

int listen_open(const struct api_config *cfg, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, rc;

	if (cfg->have_listen_fd)
		return listen_inherited(cfg->listen_fd, port);
	if ((rc = listen_address(cfg->listen_host, cfg->port, &ss, &len)) < 0)
		return rc;
	listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd >= 0 && ss.ss_family == AF_INET6)
		setsockopt(listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (listen_fd >= 0)
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&ss, len) < 0 || listen(listen_fd, SOMAXCONN) < 0 ||
	    getsockname(listen_fd, (struct sockaddr *)&ss, &len) < 0) {
		rc = err_setf(ERR_IO, "cannot listen on %s:%u: %s (the port is in use or the address is not on this "
			      "machine; try --listen 127.0.0.1:8081)", cfg->listen_host, cfg->port, strerror(errno));
		listen_close();
		return rc;
	}
	*port = listen_port_of(&ss);
	return 0;
}

/* One connection to libmicrohttpd; false when accept has nothing more. */
static bool listen_accept_one(void)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			log_warn("http: cannot accept a connection: %s", strerror(errno));
			nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000L}, NULL); /* until one closes */
		}
		return false;
	}
	/* It closes FD itself when it refuses it (limits, accept policy). */
	(void)MHD_add_connection(listen_daemon, fd, (struct sockaddr *)&ss, len);
	return true;
}

static void *listen_main(void *arg)
{
	struct pollfd fds[2] = {{.fd = listen_fd, .events = POLLIN}, {.fd = listen_stop_fd, .events = POLLIN}};

	(void)arg;
	for (;;) {
		bool full = conn_guard_count() >= listen_limit;

		/* Full: the stop descriptor only, and a look again in 10 ms. */
		if (poll(full ? fds + 1 : fds, full ? 1 : 2, full ? 10 : -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!full && (fds[0].revents & POLLIN))
			while (conn_guard_count() < listen_limit && listen_accept_one())
				;
	}
	return NULL;
}

int listen_start(struct MHD_Daemon *daemon, unsigned limit)
{
	int fl = fcntl(listen_fd, F_GETFL);

	/* Non-blocking: the accept loop ends at EAGAIN. */
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return err_setf(ERR_IO, "cannot make the listening socket non-blocking: %s", strerror(errno));
	listen_daemon = daemon;
	listen_limit = limit;
	listen_stop_fd = eventfd(0, EFD_CLOEXEC);
	if (listen_stop_fd < 0 || pthread_create(&listen_thread, NULL, listen_main, NULL) != 0)
		return err_setf(ERR_IO, "cannot start the thread that accepts connections (out of threads?)");
	listen_running = true;
	return 0;
}

void listen_stop(void)
{
	uint64_t one = 1;

	if (listen_running) {
		(void)!write(listen_stop_fd, &one, sizeof(one));
		pthread_join(listen_thread, NULL);
		listen_running = false;
	}
	if (listen_stop_fd >= 0)
		close(listen_stop_fd);
	listen_stop_fd = -1;
}

void listen_close(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
}
