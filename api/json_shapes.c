/*
 * json_shapes.c - builders for the shared JSON shapes.
 */
#include "api/json_shapes.h"

#include <stdio.h>

#include "err.h"

void json_time_rfc3339(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_object *json_hex(uint32_t v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%x", v);
	return json_object_new_string(s);
}

json_object *json_rdp_level(enum rdp_level level)
{
	switch (level) {
	case RDP_LEVEL_0: return json_object_new_int(0);
	case RDP_LEVEL_0_5: return json_object_new_double(0.5);
	case RDP_LEVEL_1: return json_object_new_int(1);
	case RDP_LEVEL_2: return json_object_new_int(2);
	default: return NULL;
	}
}

static json_object *json_write_protection(const struct target_protection *p)
{
	json_object *o = json_object_new_object(), *sectors = json_object_new_array();

	json_object_object_add(o, "raw", json_hex(p->wrp_raw));
	for (unsigned i = 0; i < TARGET_MAX_SECTORS; i++)
		if (p->wrp_sectors & (1ull << i))
			json_object_array_add(sectors, json_object_new_int((int)i));
	json_object_object_add(o, "protected_sectors", sectors);
	return o;
}

json_object *json_rdp_report(int probe_index, const char *serial, const struct target *t,
			     const struct target_protection *p, time_t read_at)
{
	json_object *o = json_object_new_object(), *probe = json_object_new_object();
	json_object *opts = json_object_new_object(), *conn = json_object_new_object();
	char when[32];

	json_object_object_add(probe, "index", probe_index >= 0 ? json_object_new_int(probe_index) : NULL);
	json_object_object_add(probe, "serial", json_object_new_string(serial ? serial : ""));
	json_object_object_add(o, "probe", probe);
	json_object_object_add(o, "chip", json_object_new_string(t->part->name));
	json_object_object_add(o, "family", json_object_new_string(t->drv->name));
	json_object_object_add(o, "core", json_object_new_string(cortexm_core_name(t->core)));
	json_object_object_add(o, "dpidr", json_hex(t->dpidr));
	json_object_object_add(o, "dev_id", json_hex(t->idcode & 0xFFF));
	json_object_object_add(o, "rev_id", json_hex(t->idcode >> 16));
	json_object_object_add(o, "flash_kb", json_object_new_int((int)t->flash_kb));
	json_object_object_add(o, "rdp_level", json_rdp_level(p->level));
	json_object_object_add(o, "rdp_raw", json_hex(p->rdp_raw));
	json_object_object_add(o, "rdp_text", json_object_new_string(rdp_level_text(p->level)));
	json_object_object_add(o, "write_protection", json_write_protection(p));
	for (unsigned i = 0; i < p->n_options; i++)
		json_object_object_add(opts, p->options[i].name, json_hex(p->options[i].value));
	json_object_object_add(o, "options", opts);
	json_object_object_add(o, "erase_scope", json_object_new_string(t->drv->erase_scope));
	json_object_object_add(conn, "mode", json_object_new_string(t->under_reset ? "under-reset" : "normal"));
	json_object_object_add(conn, "clock_hz", json_object_new_int64(t->clock_hz));
	json_object_object_add(o, "connect", conn);
	json_time_rfc3339(read_at, when, sizeof(when));
	json_object_object_add(o, "read_at", json_object_new_string(when));
	return o;
}

json_object *json_job_result(const struct job_result *res)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rdp_before", json_rdp_level(res->rdp_before));
	json_object_object_add(o, "rdp_after", json_rdp_level(res->rdp_after));
	json_object_object_add(o, "flash_erased", json_object_new_boolean(res->flash_erased));
	json_object_object_add(o, "flash_verified_blank", json_object_new_boolean(res->flash_verified_blank));
	json_object_object_add(o, "power_cycle_required", json_object_new_boolean(res->power_cycle_required));
	json_object_object_add(o, "erase_ms", res->flash_erased ? json_object_new_int((int)res->erase_ms) : NULL);
	return o;
}

json_object *json_error(int rc, const char *detail)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "code", json_object_new_string(err_name(rc)));
	json_object_object_add(o, "title", json_object_new_string(err_title(rc)));
	json_object_object_add(o, "detail", json_object_new_string(detail && *detail ? detail : err_title(rc)));
	return o;
}

json_object *json_probe_identity(const struct dap *d)
{
	json_object *o = json_object_new_object(), *caps = json_object_new_array();

	json_object_object_add(o, "serial", json_object_new_string(d->serial));
	json_object_object_add(o, "uri", json_object_new_string(d->t->info.uri));
	json_object_object_add(o, "transport", json_object_new_string(d->t->info.transport));
	json_object_object_add(o, "simulated", json_object_new_boolean(d->t->info.simulated));
	json_object_object_add(o, "vendor", json_object_new_string(d->vendor));
	json_object_object_add(o, "product", json_object_new_string(d->product));
	json_object_object_add(o, "firmware_version", json_object_new_string(d->firmware_version));
	json_object_object_add(o, "protocol_version", json_object_new_string(d->protocol_version));
	if (d->caps & DAP_CAP_SWD)
		json_object_array_add(caps, json_object_new_string("swd"));
	if (d->caps & DAP_CAP_JTAG)
		json_object_array_add(caps, json_object_new_string("jtag"));
	if (d->caps & (DAP_CAP_SWO_UART | DAP_CAP_SWO_MANCHESTER))
		json_object_array_add(caps, json_object_new_string("swo"));
	if (d->caps & DAP_CAP_ATOMIC)
		json_object_array_add(caps, json_object_new_string("atomic"));
	json_object_object_add(o, "capabilities", caps);
	json_object_object_add(o, "packet_size", json_object_new_int((int)d->packet_size));
	json_object_object_add(o, "packet_count", json_object_new_int((int)d->packet_count));
	return o;
}
