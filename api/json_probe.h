/*
 * json_probe.h - a probe as clients see it (the Probe schema of
 * api/openapi.json), from the registry's views; GET /probes's text.
 */
#ifndef RDPD_JSON_PROBE_H
#define RDPD_JSON_PROBE_H

#include <json-c/json.h>

#include "probes/registry.h"

json_object *json_probe(const struct probe_view *v);
/* Listed probe INDEX, or NULL when there is none. */
json_object *json_probe_by_index(int index);
/* GET /probes's body, {"probes": [...]} (malloc'd; NULL without memory),
 * and in *VERSION (may be NULL) the registry version it shows. */
char *json_probe_list_text(uint64_t *version);

#endif
