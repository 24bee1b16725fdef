/*
 * conn_guard.h - the open connections: a deadline for each request to
 * arrive (slowloris guard) and a fair share of the slots per address.
 */
#ifndef RDPD_CONN_GUARD_H
#define RDPD_CONN_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "err.h"

/* The guard thread; TIMEOUT_S for a whole request to arrive, SHARE
 * connections at most before a newcomer takes an idle one's slot. */
int conn_guard_start(unsigned timeout_s, unsigned share);
void conn_guard_stop(void);
/* From libmicrohttpd's accept policy callback: true to take the connection
 * from ADDR (possibly after closing the longest-idle connection of the
 * address that holds the most slots), false to refuse it. */
bool conn_guard_admit(const struct sockaddr *addr);
/* From MHD_OPTION_NOTIFY_CONNECTION. */
void conn_guard_started(struct MHD_Connection *conn, void **socket_context);
void conn_guard_closed(void **socket_context);
/* rdpd is answering (no deadline), or has answered (the deadline restarts). */
void conn_guard_answering(struct MHD_Connection *conn, bool answering);
bool conn_guard_is_answering(struct MHD_Connection *conn);
void conn_guard_metrics(char *out, size_t cap, size_t *used);

/* Connections open now, and admitted ones libmicrohttpd has not started
 * yet: what listen.c compares with libmicrohttpd's connection limit. */
unsigned conn_guard_count(void);

#endif
