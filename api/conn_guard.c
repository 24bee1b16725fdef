/*
 * conn_guard.c - the table of open connections: a deadline for each request
 * to arrive, and a fair share of the slots for every client address.
 *
 * libmicrohttpd's connection timeout counts idle time only: a client that
 * trickles one header byte every few seconds (slowloris) is never idle and
 * holds its connection for ever. Here every connection has a deadline: from its
 * start, and again from the end of each request it made, the next request's
 * line, headers and body must all have arrived within the request timeout
 * (--request-timeout, 60 s by default). While rdpd answers a request (an
 * event stream, a `?wait=`), there is no deadline.
 *
 * A full table must not lock a new client out: a few addresses holding
 * every slot with idle sockets kept any other address waiting until the
 * idle timeout. libmicrohttpd closes a connection handed to it
 * (listen.c) at its connection limit, and asks the accept policy callback
 * only below it (daemon.c MHD_add_connection(), new_connection_prepare_()),
 * so its limit is set far above this table's share (api.c): at the share, a
 * newcomer takes the slot of the longest-idle connection of the address
 * holding the most slots, provided that address holds more than the
 * newcomer's own (a client never gains by pushing out another that holds
 * as many as it).
 *
 * A connection is ended with shutdown(2) on its socket: the MHD thread
 * serving it then sees the end of the stream and closes it as usual. MHD reports a
 * connection closed (MHD_CONNECTION_NOTIFY_CLOSED) before it closes the
 * socket, and the slot is released under the same lock the guard holds, so
 * the guard never touches a descriptor reused by another connection.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api/api.h"
#include "api/conn_guard.h"
#include "api/park.h"
#include "log.h"

#define CONN_GUARD_SLOTS 1024 /* > libmicrohttpd's connection limit, so a slot is always free */

/* Who a connection counts against: an IPv4 address, or an IPv6 /64 (one
 * host usually has a whole /64 to pick addresses from). */
struct conn_addr {
	unsigned char b[16];
};

/* used, fd, addr and closed_by_guard change under conn_guard_lock; answering and
 * since are the connection's own, written on every request without the
 * lock (atomics: the guard only reads them). */
struct conn_slot {
	_Alignas(64) bool used; /* a cache line each: no sharing between connections */
	bool closed_by_guard;
	int fd;
	struct conn_addr addr;
	atomic_bool answering; /* rdpd is answering: no deadline, not evicted */
	atomic_llong since_ms; /* start of the connection or end of its last request */
};

static struct conn_slot conn_guard_slots[CONN_GUARD_SLOTS];
static pthread_mutex_t conn_guard_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conn_guard_stop_cond = PTHREAD_COND_INITIALIZER;
static pthread_t conn_guard_reaper;
static bool conn_guard_reaper_running, conn_guard_stopping;
static unsigned conn_guard_timeout_s = 60, conn_guard_share = 256;
static atomic_uint conn_guard_closed_slow, conn_guard_evicted, conn_guard_open;

static long long conn_guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_guard_addr_of(const struct sockaddr *sa, struct conn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa && sa->sa_family == AF_INET) {
		memcpy(a->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;

		/* An IPv4 client of a dual-stack socket is its own address. */
		a->b[15] = 6;
		memcpy(a->b, in6, IN6_IS_ADDR_V4MAPPED(in6) ? 16 : 8);
	}
}

/* A slot that holds a place in the share: open, and not being closed. */
static bool conn_guard_live(const struct conn_slot *s)
{
	return s->used && !s->closed_by_guard;
}

/* What one address holds: its live slots and its longest-idle one. */
struct conn_tally {
	struct conn_addr addr;
	unsigned n;
	struct conn_slot *idlest;
};

static struct conn_tally conn_guard_tallies[CONN_GUARD_SLOTS]; /* under conn_guard_lock */

/* Admitted (on listen.c's thread) and not yet started on their pool thread
 * (MHD_CONNECTION_NOTIFY_STARTED), oldest first, under conn_guard_lock: they
 * count against the share, or a burst of newcomers would all be admitted
 * before the first is in the table, and libmicrohttpd would then refuse
 * the rest at its own limit with no eviction. One that never starts
 * (libmicrohttpd out of memory) stops counting after a second. */
#define CONN_PENDING_MS 1000
static long long conn_guard_pending_ms[CONN_GUARD_SLOTS];
static unsigned conn_guard_pending_head, conn_guard_pending_n;

static void conn_guard_pending_expire(long long now)
{
	while (conn_guard_pending_n && now - conn_guard_pending_ms[conn_guard_pending_head] > CONN_PENDING_MS) {
		conn_guard_pending_head = (conn_guard_pending_head + 1) % CONN_GUARD_SLOTS;
		conn_guard_pending_n--;
	}
}

static void conn_guard_pending_push(long long now)
{
	if (conn_guard_pending_n < CONN_GUARD_SLOTS)
		conn_guard_pending_ms[(conn_guard_pending_head + conn_guard_pending_n++) % CONN_GUARD_SLOTS] = now;
}

static void conn_guard_pending_pop(void)
{
	if (conn_guard_pending_n) {
		conn_guard_pending_head = (conn_guard_pending_head + 1) % CONN_GUARD_SLOTS;
		conn_guard_pending_n--;
	}
}

/* Tallies every address with a live slot; returns how many there are and
 * the number of live slots in *LIVE. */
static size_t conn_guard_tally_all(unsigned *live)
{
	size_t n_addr = 0;

	*live = 0;
	for (size_t i = 0; i < CONN_GUARD_SLOTS; i++) {
		struct conn_slot *s = &conn_guard_slots[i];
		size_t k;

		if (!conn_guard_live(s))
			continue;
		(*live)++;
		for (k = 0; k < n_addr && memcmp(&conn_guard_tallies[k].addr, &s->addr, sizeof(s->addr)) != 0; k++)
			;
		if (k == n_addr)
			conn_guard_tallies[n_addr++] = (struct conn_tally){.addr = s->addr};
		conn_guard_tallies[k].n++;
		if (!atomic_load(&s->answering) &&
		    (!conn_guard_tallies[k].idlest ||
		     atomic_load(&s->since_ms) < atomic_load(&conn_guard_tallies[k].idlest->since_ms)))
			conn_guard_tallies[k].idlest = s;
	}
	return n_addr;
}

/* The longest-idle connection of the address holding the most slots, if
 * that address holds more than A's share would after A's new one; NULL
 * when there is none (every slot fairly shared, or all of them answering). */
static struct conn_slot *conn_guard_eviction_victim(const struct conn_addr *a, size_t n_addr)
{
	const struct conn_tally *most = NULL;
	unsigned mine = 0;

	for (size_t k = 0; k < n_addr; k++) {
		const struct conn_tally *t = &conn_guard_tallies[k];

		if (memcmp(&t->addr, a, sizeof(*a)) == 0)
			mine = t->n;
		else if (t->idlest && (!most || t->n > most->n))
			most = t;
	}
	return most && most->n > mine + 1 ? most->idlest : NULL;
}

bool conn_guard_admit(const struct sockaddr *addr)
{
	struct conn_addr a;
	struct conn_slot *victim = NULL;
	unsigned live;
	size_t n_addr;
	bool admit = true;

	conn_guard_addr_of(addr, &a);
	pthread_mutex_lock(&conn_guard_lock);
	n_addr = conn_guard_tally_all(&live);
	conn_guard_pending_expire(conn_guard_now_ms());
	if (live + conn_guard_pending_n >= conn_guard_share) {
		victim = conn_guard_eviction_victim(&a, n_addr);
		admit = victim != NULL;
	}
	if (victim) {
		victim->closed_by_guard = true;
		shutdown(victim->fd, SHUT_RDWR);
		atomic_fetch_add(&conn_guard_evicted, 1);
	}
	if (admit)
		conn_guard_pending_push(conn_guard_now_ms());
	pthread_mutex_unlock(&conn_guard_lock);
	if (!admit)
		log_info("http: refused a connection: all %u slots are taken, fairly shared", conn_guard_share);
	return admit;
}

void conn_guard_started(struct MHD_Connection *conn, void **socket_context)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *ca = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	*socket_context = NULL;
	if (!ci)
		return;
	pthread_mutex_lock(&conn_guard_lock);
	conn_guard_pending_pop();
	for (size_t i = 0; i < CONN_GUARD_SLOTS; i++)
		if (!conn_guard_slots[i].used) {
			conn_guard_slots[i].used = true;
			conn_guard_slots[i].closed_by_guard = false;
			conn_guard_slots[i].fd = ci->connect_fd;
			conn_guard_addr_of(ca ? ca->client_addr : NULL, &conn_guard_slots[i].addr);
			atomic_store(&conn_guard_slots[i].answering, false);
			atomic_store(&conn_guard_slots[i].since_ms, conn_guard_now_ms());
			*socket_context = &conn_guard_slots[i];
			atomic_fetch_add(&conn_guard_open, 1);
			break;
		}
	pthread_mutex_unlock(&conn_guard_lock);
}

void conn_guard_closed(void **socket_context)
{
	struct conn_slot *s = *socket_context;

	if (!s)
		return;
	pthread_mutex_lock(&conn_guard_lock);
	s->used = false;
	pthread_mutex_unlock(&conn_guard_lock);
	atomic_fetch_sub(&conn_guard_open, 1);
	*socket_context = NULL;
}

static struct conn_slot *conn_guard_slot_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

void conn_guard_answering(struct MHD_Connection *conn, bool answering)
{
	struct conn_slot *s = conn_guard_slot_of(conn);

	if (!s)
		return;
	if (!answering)
		atomic_store(&s->since_ms, conn_guard_now_ms());
	atomic_store(&s->answering, answering);
}

unsigned conn_guard_count(void)
{
	unsigned n;

	pthread_mutex_lock(&conn_guard_lock);
	conn_guard_pending_expire(conn_guard_now_ms());
	n = atomic_load(&conn_guard_open) + conn_guard_pending_n;
	pthread_mutex_unlock(&conn_guard_lock);
	return n;
}

bool conn_guard_is_answering(struct MHD_Connection *conn)
{
	struct conn_slot *s = conn_guard_slot_of(conn);

	return s && atomic_load(&s->answering);
}

static void conn_guard_reap_overdue(void)
{
	long long now = conn_guard_now_ms();

	for (size_t i = 0; i < CONN_GUARD_SLOTS; i++) {
		struct conn_slot *s = &conn_guard_slots[i];

		if (!conn_guard_live(s) || atomic_load(&s->answering))
			continue;
		/* Its client has closed its side: no request can follow.
		 * libmicrohttpd 0.9.75's epoll threads sometimes miss that
		 * end (make soak: a refused oversized request whose client
		 * then left stayed in CLOSE-WAIT for seconds); shutting the
		 * socket makes them see it. */
		if (park_client_gone(s->fd)) {
			s->closed_by_guard = true;
			shutdown(s->fd, SHUT_RDWR);
			continue;
		}
		if (now - atomic_load(&s->since_ms) <= (long long)conn_guard_timeout_s * 1000)
			continue;
		s->closed_by_guard = true;
		shutdown(s->fd, SHUT_RDWR);
		atomic_fetch_add(&conn_guard_closed_slow, 1);
		log_info("http: closed a connection that sent no whole request in %u s (slow client)",
			 conn_guard_timeout_s);
	}
}

static void *conn_guard_reaper_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&conn_guard_lock);
	while (!conn_guard_stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&conn_guard_stop_cond, &conn_guard_lock, &until);
		if (!conn_guard_stopping)
			conn_guard_reap_overdue();
	}
	pthread_mutex_unlock(&conn_guard_lock);
	return NULL;
}

int conn_guard_start(unsigned timeout_s, unsigned share)
{
	conn_guard_timeout_s = timeout_s;
	conn_guard_share = share;
	conn_guard_stopping = false;
	if (pthread_create(&conn_guard_reaper, NULL, conn_guard_reaper_main, NULL) != 0)
		return err_setf(ERR_IO, "cannot start the slow-client guard thread (out of threads?)");
	conn_guard_reaper_running = true;
	return 0;
}

void conn_guard_stop(void)
{
	if (!conn_guard_reaper_running)
		return;
	pthread_mutex_lock(&conn_guard_lock);
	conn_guard_stopping = true;
	pthread_cond_signal(&conn_guard_stop_cond);
	pthread_mutex_unlock(&conn_guard_lock);
	pthread_join(conn_guard_reaper, NULL);
	conn_guard_reaper_running = false;
}

void conn_guard_metrics(char *out, size_t cap, size_t *used)
{
	if (*used < cap)
		*used += (size_t)snprintf(out + *used, cap - *used,
					  "# HELP rdpd_http_slow_clients_closed_total Connections closed because "
					  "a request took longer than the request timeout to arrive.\n"
					  "# TYPE rdpd_http_slow_clients_closed_total counter\n"
					  "rdpd_http_slow_clients_closed_total %u\n"
					  "# HELP rdpd_http_connections Connections open now.\n"
					  "# TYPE rdpd_http_connections gauge\n"
					  "rdpd_http_connections %u\n"
					  "# HELP rdpd_http_connections_evicted_total Idle connections closed to "
					  "let a client from another address in while every slot was taken.\n"
					  "# TYPE rdpd_http_connections_evicted_total counter\n"
					  "rdpd_http_connections_evicted_total %u\n",
					  atomic_load(&conn_guard_closed_slow), atomic_load(&conn_guard_open),
					  atomic_load(&conn_guard_evicted));
}
