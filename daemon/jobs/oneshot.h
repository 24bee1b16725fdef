/*
 * oneshot.h - the work of `rdpd rdp`, `rdpd unlock` and `rdpd lock` on the
 * caller's thread: the probe named by a URI opened, the steps the daemon's
 * workers run (unlock_job.h) run on it, and closed again. The command line
 * drives this as the API drives the workers: what comes back is plain
 * reports, so the probe's protocol and the target's kind can change under
 * it unseen.
 */
#ifndef RDPD_ONESHOT_H
#define RDPD_ONESHOT_H

#include <stdint.h>

#include "jobs/rdp_report.h"
#include "jobs/unlock_job.h"
#include "probes/probe_link.h"

struct oneshot; /* an opened probe, owned by one thread */

/* Open the probe URI names: 0, or -ERR_* with the transport's sentence. */
int oneshot_open(const char *uri, struct oneshot **out);
/* Close it (the target lines switched off); the thread's detail is kept. */
void oneshot_close(struct oneshot *o);
/* What the opened probe says of itself (DAP_Info). */
void oneshot_probe(const struct oneshot *o, struct probe_link_info *out);
/* Connect, identify and read the protection (nothing is written) at
 * CLOCK_HZ (0: the ladder) in MODE; *OUT as GET /probes/{ref}/rdp shows
 * it, for the probe listed as INDEX (-1 when not listed). */
int oneshot_read(struct oneshot *o, int index, uint32_t clock_hz, enum job_connect_mode mode,
		 struct rdp_report *out);
/* Unlock or lock (unlock_job_run_expect) with steps, progress and log
 * lines reported through EV; *RES is filled as far as the job got. */
int oneshot_change(struct oneshot *o, enum job_kind kind, uint32_t clock_hz, enum job_connect_mode mode,
		   const struct job_expect *expect, const struct job_events *ev, struct job_result *res);

#endif
