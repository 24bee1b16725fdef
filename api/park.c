/*
 * park.c - the connections whose answer waits: an event stream in a quiet
 * stretch, a `?wait=` on a running job, a protection read on the probe's
 * worker.
 *
 * The HTTP threads are libmicrohttpd's pool (api.c), a few for all
 * connections, so none may block. A waiting answer suspends its connection
 * (MHD_suspend_connection(), allowed from the access handler and the
 * content reader, microhttpd.h) and parks it here; one thread watches
 * every parked one and resumes it (MHD_resume_connection(), safe from any
 * thread) when its job has a new event, when park_signal() is called, when
 * its deadline passes, or when its client hangs up: libmicrohttpd does not
 * watch a suspended connection's socket (microhttpd.h), so this thread
 * polls each one for POLLRDHUP, the peer's FIN (poll(2)).
 *
 * A connection is resumed only after it was suspended: both happen under
 * park_lock, the suspension inside park_suspend(). libmicrohttpd must find
 * no suspended connection at MHD_stop_daemon() (microhttpd.h): park_stop()
 * resumes them all first and refuses new ones.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "api/park.h"
#include "err.h"
#include "jobs/job.h"

#define PARK_MAX 512 /* > libmicrohttpd's connection limit: one wait per connection */
#define PARK_TICK_MS 1000 /* the longest poll: deadlines are checked at least this often */

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static struct park *park_list[PARK_MAX]; /* under park_lock */
static unsigned park_n;
static bool park_stopping, park_running;
static int park_wake_fd = -1;
static pthread_t park_thread;
static atomic_uint park_open; /* park_outstanding() */

long long park_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void park_kick(void *unused)
{
	uint64_t one = 1;

	(void)unused;
	if (park_wake_fd >= 0)
		(void)!write(park_wake_fd, &one, sizeof(one));
}

void park_signal(struct park *p)
{
	atomic_store(&p->signalled, true);
	park_kick(NULL);
}

/* Under park_lock: take P off the list and let libmicrohttpd run it again. */
static void park_resume_locked(unsigned i, enum park_wake why)
{
	struct park *p = park_list[i];

	park_list[i] = park_list[--park_n];
	p->parked = false;
	p->why = why;
	MHD_resume_connection(p->conn);
}

void park_init(struct park *p, struct MHD_Connection *conn, uint64_t job_id, long long deadline_ms)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

	if (!p->counted)
		atomic_fetch_add(&park_open, 1);
	p->counted = true;
	p->conn = conn;
	p->fd = ci ? ci->connect_fd : -1;
	p->job_id = job_id;
	p->deadline_ms = deadline_ms;
	p->why = PARK_WAKE_NONE;
}

bool park_client_gone(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};

	return fd < 0 || (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)));
}

bool park_suspend(struct park *p)
{
	bool ok;

	if (p->why == PARK_WAKE_GONE || p->why == PARK_WAKE_DEADLINE || p->why == PARK_WAKE_STOP)
		return false;
	if (park_now_ms() >= p->deadline_ms) {
		p->why = PARK_WAKE_DEADLINE;
		return false;
	}
	if (park_client_gone(p->fd)) {
		p->why = PARK_WAKE_GONE;
		return false;
	}
	pthread_mutex_lock(&park_lock);
	ok = !park_stopping && park_running && park_n < PARK_MAX;
	p->why = ok ? PARK_WAKE_NONE : PARK_WAKE_STOP;
	if (ok) {
		p->parked = true;
		p->slot = 0; /* not in the poll set the thread waits on now */
		park_list[park_n++] = p;
		MHD_suspend_connection(p->conn);
	}
	pthread_mutex_unlock(&park_lock);
	if (ok)
		park_kick(NULL); /* the thread then watches this one too */
	return ok;
}

void park_done(struct park *p)
{
	if (p->counted)
		atomic_fetch_sub(&park_open, 1);
	p->counted = false;
}

unsigned park_outstanding(void)
{
	return atomic_load(&park_open);
}

unsigned park_count(void)
{
	unsigned n;

	pthread_mutex_lock(&park_lock);
	n = park_n;
	pthread_mutex_unlock(&park_lock);
	return n;
}

/* What wakes P now, or PARK_WAKE_NONE; REVENTS from its socket's poll. */
static enum park_wake park_due(struct park *p, short revents, long long now)
{
	if (revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
		return PARK_WAKE_GONE;
	if (atomic_exchange(&p->signalled, false) || (p->job_id && job_last_seq(p->job_id) != p->seq))
		return PARK_WAKE_EVENT;
	return now >= p->deadline_ms ? PARK_WAKE_DEADLINE : PARK_WAKE_NONE;
}

/* Under park_lock: the poll set (the wake-up eventfd first, then each
 * parked socket at its entry's slot) and its timeout. */
static int park_poll_set(struct pollfd *fds, unsigned *n)
{
	long long now = park_now_ms(), next = now + PARK_TICK_MS;

	fds[0] = (struct pollfd){.fd = park_wake_fd, .events = POLLIN};
	*n = 1;
	for (unsigned i = 0; i < park_n; i++) {
		park_list[i]->slot = *n;
		fds[(*n)++] = (struct pollfd){.fd = park_list[i]->fd, .events = POLLRDHUP};
		if (park_list[i]->deadline_ms < next)
			next = park_list[i]->deadline_ms;
	}
	return next > now ? (int)(next - now) : 0;
}

static void *park_main(void *arg)
{
	static struct pollfd fds[PARK_MAX + 1];

	(void)arg;
	pthread_mutex_lock(&park_lock);
	while (!park_stopping) {
		unsigned n;
		int timeout = park_poll_set(fds, &n);
		long long now;

		pthread_mutex_unlock(&park_lock);
		if (poll(fds, n, timeout) < 0)
			for (unsigned k = 0; k < n; k++)
				fds[k].revents = 0; /* EINTR: nothing seen this round */
		if (fds[0].revents & POLLIN) {
			uint64_t v;

			(void)!read(park_wake_fd, &v, sizeof(v));
		}
		now = park_now_ms();
		pthread_mutex_lock(&park_lock);
		for (unsigned i = 0; i < park_n;) {
			struct park *p = park_list[i];
			enum park_wake why = park_due(p, p->slot ? fds[p->slot].revents : 0, now);

			if (why == PARK_WAKE_NONE)
				i++;
			else
				park_resume_locked(i, why); /* the last entry moves to I */
		}
	}
	while (park_n)
		park_resume_locked(0, PARK_WAKE_STOP);
	pthread_mutex_unlock(&park_lock);
	return NULL;
}

int park_start(void)
{
	park_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (park_wake_fd < 0)
		return err_setf(ERR_IO, "cannot create the wake-up descriptor for waiting answers: %s",
				strerror(errno));
	park_stopping = false;
	if (pthread_create(&park_thread, NULL, park_main, NULL) != 0) {
		close(park_wake_fd);
		park_wake_fd = -1;
		return err_setf(ERR_IO, "cannot start the thread for waiting answers (out of threads?)");
	}
	park_running = true;
	return 0;
}

void park_stop(void)
{
	pthread_mutex_lock(&park_lock);
	park_stopping = true;
	pthread_mutex_unlock(&park_lock);
	if (!park_running)
		return;
	park_kick(NULL);
	pthread_join(park_thread, NULL);
	park_running = false;
	close(park_wake_fd);
	park_wake_fd = -1;
}
