/*
 * json_probe.h - a probe as clients see it (the Probe schema of
 * api/openapi.json), from the registry's views; GET /probes's text, kept
 * until the table changes.
 */
#ifndef RDPD_JSON_PROBE_H
#define RDPD_JSON_PROBE_H

#include <json-c/json.h>

#include "probes/registry.h"

json_object *json_probe(const struct probe_view *v);
/* Listed probe INDEX, or NULL when there is none. */
json_object *json_probe_by_index(int index);
/* GET /probes's body, {"probes": [...]} (malloc'd; NULL without memory):
 * the text is built again only when the registry's version moved, or while
 * a lease is held (a lease runs out by the clock, not by a change). The
 * hottest request: a repeat costs one copy. */
char *json_probe_list_text(void);

#endif
