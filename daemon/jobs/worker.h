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
/* A read of a probe's protection (what GET /probes/{ref}/rdp shows), run
 * on the probe's worker while the caller goes on. */
struct worker_read;
/* Queue the read on probe INDEX: 0 and *OUT, or -ERR_*. ON_DONE(CTX) is
 * called on the worker's thread once the answer is in; it must not block
 * nor call back into the worker (api/park.c only notes the wake-up). */
int worker_read_start(int index, uint32_t clock_hz, enum job_connect_mode connect_mode,
		      void (*on_done)(void *ctx), void *ctx, struct worker_read **out);
/* 1 while the read runs; then 0 and *OUT, or -ERR_* with the failure's
 * sentence in DETAIL. */
int worker_read_result(struct worker_read *rd, struct rdp_report *out, char *detail, size_t detail_cap);
/* The caller is done with RD (read or not): ON_DONE is no longer called. */
void worker_read_free(struct worker_read *rd);
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
