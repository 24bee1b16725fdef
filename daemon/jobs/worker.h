/*
 * worker.h - one thread per probe owns all of its I/O. HTTP threads hand it
 * work and read job records; they never touch USB.
 */
#ifndef RDPD_WORKER_H
#define RDPD_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "jobs/rdp_report.h"
#include "jobs/unlock_job.h"

/* Run job JOB_ID (queued, and claimed on the registry) on probe INDEX. */
int worker_submit_job(int index, uint64_t job_id, uint32_t clock_hz, enum job_connect_mode connect_mode);
/* Read the protection on the probe's worker, waiting up to TIMEOUT_MS.
 * 0 and *OUT (what GET /probes/{ref}/rdp shows), or -ERR_* with the
 * failure's sentence in DETAIL. */
int worker_read_rdp(int index, uint32_t clock_hz, enum job_connect_mode connect_mode, int timeout_ms,
		    struct rdp_report *out, char *detail, size_t detail_cap);
/* Open the probe once in the background to learn its DAP_Info identity. */
void worker_probe_identity(int index);
/* Stop taking work; wait up to TIMEOUT_MS for running jobs to finish. Jobs
 * still running are left for the journal replay to mark interrupted. */
void worker_shutdown(int timeout_ms);
/* Probe-level failures so far (rdpd_usb_errors_total), by code: one row
 * per code counted, at most CAP; returns the rows. */
struct worker_error_count {
	int code;       /* -ERR_* */
	unsigned count;
};
size_t worker_error_counts(struct worker_error_count *out, size_t cap);
/* Jobs running now. */
unsigned worker_busy_count(void);

#endif
