/*
 * metrics.h - GET /metrics in the Prometheus text format (version 0.0.4),
 * from the counters the registry, the job store, the workers and the HTTP
 * server keep.
 */
#ifndef RDPD_METRICS_H
#define RDPD_METRICS_H

#include <stddef.h>

/* The whole page into OUT (CAP bytes); returns the length it needs: CAP or
 * more when it did not fit (then call again with more room). */
size_t metrics_render(char *out, size_t cap);

#endif
