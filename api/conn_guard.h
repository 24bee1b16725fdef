/*
 * conn_guard.h - a deadline for each request to arrive (slowloris guard).
 */
#ifndef RDPD_CONN_GUARD_H
#define RDPD_CONN_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The reaper thread; TIMEOUT_S for a whole request to arrive. */
int conn_guard_start(unsigned timeout_s);
void conn_guard_stop(void);
/* From MHD_OPTION_NOTIFY_CONNECTION. */
void conn_guard_started(struct MHD_Connection *conn, void **socket_context);
void conn_guard_closed(void **socket_context);
/* rdpd is answering (no deadline), or has answered (the deadline restarts). */
void conn_guard_answering(struct MHD_Connection *conn, bool answering);
void conn_guard_metrics(char *out, size_t cap, size_t *used);

#endif
