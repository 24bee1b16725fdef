/*
 * rdp_report.c - a protection read as plain values (rdp_report.h).
 */
#include "jobs/rdp_report.h"

#include <stdio.h>
#include <string.h>

void rdp_report_fill(struct rdp_report *r, int probe_index, const char *serial, const struct target *t,
		     const struct target_protection *p, time_t read_at)
{
	memset(r, 0, sizeof(*r));
	r->probe_index = probe_index;
	snprintf(r->probe_serial, sizeof(r->probe_serial), "%s", serial ? serial : "");
	snprintf(r->chip, sizeof(r->chip), "%s", t->part->name);
	snprintf(r->family, sizeof(r->family), "%s", t->drv->name);
	snprintf(r->core, sizeof(r->core), "%s", cortexm_core_name(t->core));
	r->dpidr = t->dpidr;
	r->dev_id = t->idcode & 0xFFF;
	r->rev_id = t->idcode >> 16;
	r->chip_id_name = t->chip_id_name;
	r->chip_id = t->chip_id;
	r->flash_kb = t->flash_kb;
	if (t->has_uid)
		target_uid_hex(t->uid, r->uid);
	r->protection = *p;
	target_rdp_describe(p, r->rdp_text, sizeof(r->rdp_text));
	r->erase_scope = t->drv->erase_scope;
	r->scheme = t->drv->scheme;
	r->under_reset = t->under_reset;
	r->clock_hz = t->clock_hz;
	r->read_at = read_at;
}
