/*
 * json_probe.c - probes as JSON (api/openapi.json, Probe) and GET /probes's
 * text.
 */
#include "api/json_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

static json_object *json_probe_caps(const struct probe_view *v)
{
	json_object *a = json_object_new_array();

	if (v->swd)
		json_object_array_add(a, json_object_new_string("swd"));
	if (v->jtag)
		json_object_array_add(a, json_object_new_string("jtag"));
	if (v->swo)
		json_object_array_add(a, json_object_new_string("swo"));
	if (v->atomic)
		json_object_array_add(a, json_object_new_string("atomic"));
	return a;
}

static json_object *json_probe_target(const struct probe_target_summary *t)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "chip", json_object_new_string(t->chip));
	json_object_object_add(o, "family", json_object_new_string(t->family));
	json_object_object_add(o, "dev_id", json_util_hex(t->dev_id));
	json_object_object_add(o, "flash_kb", json_object_new_int((int)t->flash_kb));
	json_object_object_add(o, "uid", t->uid[0] ? json_object_new_string(t->uid) : NULL);
	json_object_object_add(o, "rdp_level", json_util_level_tenths(t->rdp_level_tenths));
	json_object_object_add(o, "rdp_raw", json_util_hex(t->rdp_raw));
	json_object_object_add(o, "scheme", t->scheme ? json_object_new_string(t->scheme) : NULL);
	json_object_object_add(o, "read_at", json_util_time(t->read_at));
	return o;
}

/* "3.30": the text a JSON number of volts is written as. */
static const char *json_probe_volts(int mv)
{
	static _Thread_local char text[16];

	snprintf(text, sizeof(text), "%d.%02d", mv / 1000, mv % 1000 / 10);
	return text;
}

json_object *json_probe(const struct probe_view *v)
{
	static const char *const states[] = {"idle", "busy", "leased", "gone"};
	json_object *o = json_object_new_object();
	char job[32];

	json_object_object_add(o, "index", json_object_new_int(v->index));
	json_object_object_add(o, "serial", json_object_new_string(v->serial));
	json_object_object_add(o, "serial_unique", json_object_new_boolean(v->serial_unique));
	json_object_object_add(o, "uri", json_object_new_string(v->uri));
	json_object_object_add(o, "location", v->location[0] ? json_object_new_string(v->location) : NULL);
	json_object_object_add(o, "transport", json_object_new_string(v->transport));
	json_object_object_add(o, "protocol", v->probe_protocol ? json_object_new_string(v->probe_protocol) : NULL);
	json_object_object_add(o, "simulated", json_object_new_boolean(v->simulated));
	json_object_object_add(o, "vendor", json_object_new_string(v->vendor));
	json_object_object_add(o, "product", json_object_new_string(v->product));
	json_object_object_add(o, "firmware_version", v->has_identity ? json_object_new_string(v->firmware) : NULL);
	json_object_object_add(o, "protocol_version", v->has_identity ? json_object_new_string(v->protocol) : NULL);
	json_object_object_add(o, "capabilities", json_probe_caps(v));
	/* Volts with the probe's 10 mV steps (an ST-LINK's ADC); null where the
	 * probe does not measure it. */
	json_object_object_add(o, "target_voltage",
			       v->target_mv >= 0 ? json_object_new_double_s(v->target_mv / 1000.0,
									    json_probe_volts(v->target_mv)) : NULL);
	json_object_object_add(o, "packet_size", v->has_identity ? json_object_new_int((int)v->packet_size) : NULL);
	json_object_object_add(o, "packet_count", v->has_identity ? json_object_new_int((int)v->packet_count) : NULL);
	json_object_object_add(o, "state", json_object_new_string(states[v->state]));
	snprintf(job, sizeof(job), "/jobs/%llu", (unsigned long long)v->job_id);
	/* UINT64_MAX: claimed, the job record being written. */
	json_object_object_add(o, "job", v->job_id && v->job_id != UINT64_MAX ? json_object_new_string(job) : NULL);
	if (v->state == PROBE_LEASED) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "holder", json_object_new_string(v->lease_holder));
		json_object_object_add(l, "expires_at", json_util_time(v->lease_until));
		json_object_object_add(o, "lease", l);
	} else {
		json_object_object_add(o, "lease", NULL);
	}
	json_object_object_add(o, "target", v->has_target ? json_probe_target(&v->target) : NULL);
	return o;
}

json_object *json_probe_by_index(int index)
{
	struct probe_view v;

	return registry_view(index, &v) == 0 ? json_probe(&v) : NULL;
}

char *json_probe_list_text(uint64_t *version)
{
	struct probe_view *views = malloc(REGISTRY_MAX_PROBES * sizeof(*views));
	json_object *o, *arr;
	uint64_t shown;
	size_t n;
	char *text;

	if (!views)
		return NULL;
	n = registry_views(views, REGISTRY_MAX_PROBES, &shown);
	o = json_object_new_object();
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_probe(&views[i]));
	json_object_object_add(o, "probes", arr);
	text = strdup(json_util_text(o, 1));
	json_object_put(o);
	free(views);
	if (version)
		*version = shown;
	return text;
}
