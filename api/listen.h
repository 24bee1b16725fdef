/*
 * listen.h - the listening socket, and the thread that hands each new
 * connection to libmicrohttpd's pool (listen.c says why).
 */
#ifndef RDPD_LISTEN_H
#define RDPD_LISTEN_H

#include <microhttpd.h>

#include "api/api.h"

/* Bind and listen as CFG says (or take systemd's socket); *PORT: the port
 * bound (the kernel's pick for port 0). */
int listen_open(const struct api_config *cfg, unsigned short *port);
/* Accept on it, handing every connection to DAEMON, while fewer than
 * LIMIT are open (conn_guard_count()). */
int listen_start(struct MHD_Daemon *daemon, unsigned limit);
/* No new connections from here on (before MHD_stop_daemon()). */
void listen_stop(void);
void listen_close(void);

#endif
