/*
 * conn_guard.c - closes connections that take too long to send a request.
 *
 * libmicrohttpd's connection timeout counts idle time only: a client that
 * trickles one header byte every few seconds (slowloris) is never idle and
 * holds its thread for ever. Here every connection has a deadline: from its
 * start, and again from the end of each request it made, the next request's
 * line, headers and body must all have arrived within the request timeout
 * (--request-timeout, 60 s by default). While rdpd answers a request (an
 * event stream, a `?wait=`), there is no deadline.
 *
 * The reaper thread ends an overdue connection with shutdown(2) on its
 * socket: MHD's own thread then sees the end of the stream and closes it
 * as usual. MHD reports a connection closed (MHD_CONNECTION_NOTIFY_CLOSED)
 * before it closes the socket, and the slot is released under the same lock
 * the reaper holds, so the reaper never touches a descriptor reused by
 * another connection.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "api/api.h"
#include "api/conn_guard.h"
#include "log.h"

#define CONN_GUARD_SLOTS 1024 /* > the connection limit, so a slot is always free */

/* used, fd and closed_by_guard change under conn_lock; answering and since
 * are the connection's own, written on every request without the lock
 * (atomics: the reaper only reads them). */
struct conn_slot {
	_Alignas(64) bool used; /* a cache line each: no sharing between connections */
	bool closed_by_guard;
	int fd;
	atomic_bool answering; /* rdpd is answering: no deadline */
	atomic_llong since_ms; /* start of the connection or end of its last request */
};

static struct conn_slot conn_slots[CONN_GUARD_SLOTS];
static pthread_mutex_t conn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_stop_cond = PTHREAD_COND_INITIALIZER;
static pthread_t conn_reaper;
static bool conn_reaper_running, conn_stopping;
static unsigned conn_timeout_s = 60;
static atomic_uint conn_closed_slow;

static long long conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void conn_guard_started(struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	*socket_context = NULL;
	if (!ci)
		return;
	pthread_mutex_lock(&conn_lock);
	for (size_t i = 0; i < CONN_GUARD_SLOTS; i++)
		if (!conn_slots[i].used) {
			conn_slots[i].used = true;
			conn_slots[i].closed_by_guard = false;
			conn_slots[i].fd = ci->connect_fd;
			atomic_store(&conn_slots[i].answering, false);
			atomic_store(&conn_slots[i].since_ms, conn_now_ms());
			*socket_context = &conn_slots[i];
			break;
		}
	pthread_mutex_unlock(&conn_lock);
}

void conn_guard_closed(void **socket_context)
{
	struct conn_slot *s = *socket_context;

	if (!s)
		return;
	pthread_mutex_lock(&conn_lock);
	s->used = false;
	pthread_mutex_unlock(&conn_lock);
	*socket_context = NULL;
}

static struct conn_slot *conn_slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void conn_guard_answering(struct MHD_Connection *conn, bool answering)
{
	struct conn_slot *s = conn_slot_of(conn);

	if (!s)
		return;
	if (!answering)
		atomic_store(&s->since_ms, conn_now_ms());
	atomic_store(&s->answering, answering);
}

static void conn_reap_overdue(void)
{
	long long now = conn_now_ms();

	for (size_t i = 0; i < CONN_GUARD_SLOTS; i++) {
		struct conn_slot *s = &conn_slots[i];

		if (!s->used || s->closed_by_guard || atomic_load(&s->answering) ||
		    now - atomic_load(&s->since_ms) <= (long long)conn_timeout_s * 1000)
			continue;
		s->closed_by_guard = true;
		shutdown(s->fd, SHUT_RDWR);
		atomic_fetch_add(&conn_closed_slow, 1);
		log_info("http: closed a connection that sent no whole request in %u s (slow client)",
			 conn_timeout_s);
	}
}

static void *conn_reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&conn_lock);
	while (!conn_stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&conn_stop_cond, &conn_lock, &until);
		if (!conn_stopping)
			conn_reap_overdue();
	}
	pthread_mutex_unlock(&conn_lock);
	return NULL;
}

int conn_guard_start(unsigned timeout_s)
{
	conn_timeout_s = timeout_s;
	conn_stopping = false;
	if (pthread_create(&conn_reaper, NULL, conn_reaper_main, NULL) != 0)
		return err_setf(ERR_IO, "cannot start the slow-client guard thread (out of threads?)");
	conn_reaper_running = true;
	return 0;
}

void conn_guard_stop(void)
{
	if (!conn_reaper_running)
		return;
	pthread_mutex_lock(&conn_lock);
	conn_stopping = true;
	pthread_cond_signal(&conn_stop_cond);
	pthread_mutex_unlock(&conn_lock);
	pthread_join(conn_reaper, NULL);
	conn_reaper_running = false;
}

void conn_guard_metrics(char *out, size_t cap, size_t *used)
{
	if (*used < cap)
		*used += (size_t)snprintf(out + *used, cap - *used,
					  "# HELP rdpd_http_slow_clients_closed_total Connections closed because "
					  "a request took longer than the request timeout to arrive.\n"
					  "# TYPE rdpd_http_slow_clients_closed_total counter\n"
					  "rdpd_http_slow_clients_closed_total %u\n",
					  atomic_load(&conn_closed_slow));
}
