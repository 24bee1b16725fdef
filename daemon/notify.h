/*
 * notify.h - the systemd notification protocol (sd_notify(3)) without
 * libsystemd: one datagram to $NOTIFY_SOCKET. A no-op outside systemd.
 */
#ifndef RDPD_NOTIFY_H
#define RDPD_NOTIFY_H

#include <stdint.h>

void notify_send(const char *state);
/* Half of $WATCHDOG_USEC in ms, or 0 when no watchdog is asked for. */
uint64_t notify_watchdog_interval_ms(void);

#endif
