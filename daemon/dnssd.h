/*
 * dnssd.h - announce the daemon as _rdpd._tcp with DNS-SD (mDNS), through
 * avahi-daemon, by running avahi-publish (package avahi-utils).
 */
#ifndef RDPD_DNSSD_H
#define RDPD_DNSSD_H

#include <stdbool.h>

/*
 * Start announcing "rdpd on HOSTNAME" at PORT, with TXT records path=/,
 * version= and tls=. Does nothing (and says so at info level) when
 * avahi-publish is not installed. Returns 0 or -ERR_*.
 */
int dnssd_start(unsigned port, bool tls);
/* Called periodically: restarts avahi-publish after it exited (avahi-daemon
 * restarted or was not running yet), at most once a minute. */
void dnssd_tick(void);
/* Withdraw the announcement (stops avahi-publish). */
void dnssd_stop(void);

#endif
