/*
 * probe_store.h - the registry's memory across restarts: STATE_DIR/probes.json
 * holds the probes added through the API and the index of every probe the
 * registry has seen (docs/probes.md). The registry owns the table; this file
 * only reads and writes it, durably, and sets a damaged file aside instead
 * of refusing to start.
 */
#ifndef RDPD_PROBE_STORE_H
#define RDPD_PROBE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

#define PROBE_STORE_MAX 64 /* = REGISTRY_MAX_PROBES */

/* One probe the registry has given an index. */
struct probe_store_known {
	int index;
	char uri[TRANSPORT_URI_MAX];
	char serial[128];
	char location[64]; /* USB: "VVVV:PPPP@BUS-PORTS", else "" */
	uint64_t seen;     /* registry's counter when it last appeared: oldest goes first */
};

struct probe_store {
	struct probe_store_known known[PROBE_STORE_MAX];
	size_t n_known;
	char added[PROBE_STORE_MAX][TRANSPORT_URI_MAX]; /* POST /probes, in order */
	size_t n_added;
};

/* Read DIR/probes.json into *S (empty when there is none). A file that is
 * not exactly what probe_store_save writes (any parse failure, a wrong type,
 * a duplicate index or URI, bad UTF-8, a control byte, version 1's plain
 * list of URIs excepted: it is read as the added probes) is renamed to
 * probes.json.corrupt.N, *S holds every entry of it that is intact on its
 * own, a warning says how many were kept and lost, and 0 is returned, so
 * rdpd starts. -ERR_IO only when the damaged file cannot even be moved
 * aside (nothing would stop it being overwritten). */
int probe_store_load(const char *dir, struct probe_store *s);
/* Write *S to DIR/probes.json: temp file, fsync, rename, fsync of DIR. */
int probe_store_save(const char *dir, const struct probe_store *s);

#endif
