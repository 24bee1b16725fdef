/*
 * report_json.c - the protection report (the Protection schema of
 * api/openapi.json), shared by GET /probes/{ref}/rdp and `rdpd rdp --json`.
 */
#include "jobs/report_json.h"

#include <stdio.h>

#include "err.h"

json_object *json_rdp_level(enum rdp_level level)
{
	return json_level_tenths(level == RDP_UNKNOWN ? -1 : (int)level);
}

json_object *json_uid(const struct target *t)
{
	char hex[25];

	if (!t->has_uid)
		return NULL;
	target_uid_hex(t->uid, hex);
	return json_object_new_string(hex);
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
	char when[32], text[512];

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
	json_object_object_add(o, "uid", json_uid(t));
	json_object_object_add(o, "rdp_level", json_rdp_level(p->level));
	json_object_object_add(o, "rdp_raw", json_hex(p->rdp_raw));
	json_object_object_add(o, "rdp_text", json_object_new_string(rdp_describe(p, text, sizeof(text))));
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

