/*
 * park.h - answers that wait without holding a thread: the connection is
 * suspended in libmicrohttpd and resumed when what it waits for happens.
 */
#ifndef RDPD_PARK_H
#define RDPD_PARK_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Why a parked connection was resumed. */
enum park_wake {
	PARK_WAKE_NONE,
	PARK_WAKE_EVENT,    /* its job has an event after SEQ, or park_signal() */
	PARK_WAKE_DEADLINE, /* DEADLINE_MS passed */
	PARK_WAKE_GONE,     /* the client hung up (POLLRDHUP) */
	PARK_WAKE_STOP,     /* rdpd is stopping */
};

/* One wait; the caller's (it lives in the request or the event stream). */
struct park {
	struct MHD_Connection *conn;
	int fd;                /* the client's socket, watched for a hang-up */
	uint64_t job_id, seq;  /* resume once job JOB_ID has an event after SEQ (0: no job) */
	long long deadline_ms; /* park_now_ms() clock; resume then */
	atomic_bool signalled; /* park_signal() came */
	enum park_wake why;    /* set before the resume */
	bool parked;           /* under the park lock */
	unsigned slot;         /* its socket's place in the poll set (park.c) */
	bool counted;          /* in park_outstanding() until park_done() */
};

int park_start(void);
/* A wait of CONN's answer for an event of job JOB_ID (0: none) after
 * P->seq, until DEADLINE_MS (park_now_ms() clock). */
void park_init(struct park *p, struct MHD_Connection *conn, uint64_t job_id, long long deadline_ms);
/* Resume every parked connection and refuse new ones; the thread ends.
 * Before MHD_stop_daemon(), which must find none suspended. */
void park_stop(void);
/* From the access handler or the content reader of P->conn only: suspend
 * the connection until one of P's conditions holds. False, with the reason
 * in P->why, when the last wake-up ended the wait (its deadline passed,
 * the client left, rdpd is stopping) or it would now: answer now instead.
 * A wake-up by an event leaves P ready to park again. */
bool park_suspend(struct park *p);
/* From any thread: resume P soon (a no-op unless it is parked). */
void park_signal(struct park *p);
/* Something P's condition may depend on changed (a job event). */
void park_kick(void *unused);
long long park_now_ms(void);
/* The client behind socket FD has closed its side or reset it (POLLRDHUP,
 * poll(2)); true for FD < 0. */
bool park_client_gone(int fd);
/* The answer P waited for is done (its request completed, its stream
 * freed); a no-op for a P never initialised. */
void park_done(struct park *p);
/* Connections parked now, for /metrics. */
unsigned park_count(void);
/* Answers that have waited and are not done yet: at a stop, the time to
 * let them finish before libmicrohttpd closes every connection. */
unsigned park_outstanding(void);

#endif
