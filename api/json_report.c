/*
 * json_report.c - a protection report as JSON (api/openapi.json, Protection).
 */
#include "api/json_report.h"

#include "json_util.h"

static json_object *json_report_write_protection(const struct target_protection *p)
{
	json_object *o = json_object_new_object(), *sectors = json_object_new_array();

	json_object_object_add(o, "raw", json_util_hex(p->wrp_raw));
	for (unsigned i = 0; i < sizeof(p->wrp_sectors) * 8; i++) /* bit n: sector (group) n */
		if (p->wrp_sectors & (1ull << i))
			json_object_array_add(sectors, json_object_new_int((int)i));
	json_object_object_add(o, "protected_sectors", sectors);
	return o;
}

/* {"register": "FICR.INFO.PART", "value": "0x52840"} on chips named by a
 * vendor register rather than DBGMCU_IDCODE, else null. */
static json_object *json_report_chip_id(const struct rdp_report *r)
{
	json_object *o;

	if (!r->chip_id_name)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "register", json_object_new_string(r->chip_id_name));
	json_object_object_add(o, "value", json_util_hex(r->chip_id));
	return o;
}

json_object *json_report(const struct rdp_report *r)
{
	const struct target_protection *p = &r->protection;
	json_object *o = json_object_new_object(), *probe = json_object_new_object();
	json_object *opts = json_object_new_object(), *conn = json_object_new_object();
	char when[32];

	json_object_object_add(probe, "index", r->probe_index >= 0 ? json_object_new_int(r->probe_index) : NULL);
	json_object_object_add(probe, "serial", json_object_new_string(r->probe_serial));
	json_object_object_add(o, "probe", probe);
	json_object_object_add(o, "chip", json_object_new_string(r->chip));
	json_object_object_add(o, "family", json_object_new_string(r->family));
	json_object_object_add(o, "core", json_object_new_string(r->core));
	json_object_object_add(o, "dpidr", json_util_hex(r->dpidr));
	json_object_object_add(o, "dev_id", json_util_hex(r->dev_id));
	json_object_object_add(o, "rev_id", json_util_hex(r->rev_id));
	json_object_object_add(o, "flash_kb", json_object_new_int((int)r->flash_kb));
	json_object_object_add(o, "uid", r->uid[0] ? json_object_new_string(r->uid) : NULL);
	json_object_object_add(o, "scheme", json_object_new_string(r->scheme ? r->scheme : ""));
	json_object_object_add(o, "rdp_level", json_util_level_tenths((int)p->level));
	json_object_object_add(o, "rdp_raw", json_util_hex(p->rdp_raw));
	json_object_object_add(o, "rdp_text", json_object_new_string(r->rdp_text));
	json_object_object_add(o, "state", p->state ? json_object_new_string(p->state) : NULL);
	json_object_object_add(o, "chip_id", json_report_chip_id(r));
	json_object_object_add(o, "write_protection", json_report_write_protection(p));
	for (unsigned i = 0; i < p->n_options; i++)
		json_object_object_add(opts, p->options[i].name, json_util_hex(p->options[i].value));
	json_object_object_add(o, "options", opts);
	json_object_object_add(o, "erase_scope", json_object_new_string(r->erase_scope ? r->erase_scope : ""));
	json_object_object_add(conn, "mode", json_object_new_string(r->under_reset ? "under-reset" : "normal"));
	json_object_object_add(conn, "clock_hz", json_object_new_int64(r->clock_hz));
	json_object_object_add(o, "connect", conn);
	json_util_time_rfc3339(r->read_at, when, sizeof(when));
	json_object_object_add(o, "read_at", json_object_new_string(when));
	return o;
}
