/*
 * families - the driver table as the tests and README.md read it, so that
 * no list of families is kept by hand outside daemon/targets/.
 *
 *   build/tools/families --json      every driver and part row: names, ids,
 *                                    cores, OpenOCD 0.12.0's target file and
 *                                    unlock command (tests/api, tests/usb)
 *   build/tools/families --markdown  the "Supported chips" table of README.md
 *                                    (tests/cli/test_chip_table.sh)
 *
 * A test tool, not a command of rdpd: it reads targets/ directly, which the
 * command line (over jobs/) does not.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "cortexm/cortexm.h"
#include "targets/target.h"

static json_object *families_hex(unsigned v)
{
	char s[16];

	snprintf(s, sizeof(s), "0x%03x", v);
	return json_object_new_string(s);
}

static json_object *families_string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *families_part(const struct target_driver *d, const struct target_part *p)
{
	json_object *o = json_object_new_object();
	bool by_dbgmcu = p->dbgmcu_addr && !d->find_part;

	json_object_object_add(o, "name", json_object_new_string(p->name));
	json_object_object_add(o, "core", json_object_new_string(cortexm_core_name(p->core)));
	json_object_object_add(o, "dbgmcu", p->dbgmcu_addr ? families_hex(p->dbgmcu_addr) : NULL);
	json_object_object_add(o, "dev_id", by_dbgmcu ? families_hex(p->dev_id) : NULL);
	json_object_object_add(o, "rev_id", by_dbgmcu && p->rev_id ? families_hex(p->rev_id) : NULL);
	json_object_object_add(o, "rom_part", p->rom_designer ? families_hex(p->rom_part) : NULL);
	json_object_object_add(o, "flash_kb_max", json_object_new_int(p->flash_kb_max));
	json_object_object_add(o, "openocd_target", families_string_or_null(p->openocd_target));
	json_object_object_add(o, "options_not_loaded_by_reset",
			       json_object_new_boolean(p->options_not_loaded_by_reset));
	json_object_object_add(o, "targetsel", p->targetsel ? families_hex(p->targetsel) : NULL);
	return o;
}

static int families_json(void)
{
	json_object *root = json_object_new_object(), *drivers = json_object_new_array();

	for (size_t i = 0; i < target_driver_count(); i++) {
		const struct target_driver *d = target_driver_at(i);
		json_object *o = json_object_new_object(), *parts = json_object_new_array();

		json_object_object_add(o, "name", json_object_new_string(d->name));
		json_object_object_add(o, "family", json_object_new_string(d->family));
		json_object_object_add(o, "unlock_summary", json_object_new_string(d->unlock_summary));
		json_object_object_add(o, "openocd_unlock", families_string_or_null(d->openocd_unlock));
		for (size_t k = 0; k < d->n_parts; k++)
			json_object_array_add(parts, families_part(d, &d->parts[k]));
		json_object_object_add(o, "parts", parts);
		json_object_array_add(drivers, o);
	}
	json_object_object_add(root, "drivers", drivers);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

/* Whether an earlier row of D has NAME (H5 lists each part at two DBGMCU
 * addresses) or, with FILE set, the same openocd_target. */
static bool families_seen(const struct target_driver *d, size_t k, const char *name, const char *file)
{
	for (size_t j = 0; j < k; j++) {
		const char *v = file ? d->parts[j].openocd_target : d->parts[j].name;

		if (v && strcmp(v, file ? file : name) == 0)
			return true;
	}
	return false;
}

/* The OpenOCD cell: the command and the target files, and the parts
 * OpenOCD 0.12.0 cannot drive. */
static void families_openocd_cell(const struct target_driver *d)
{
	const char *sep = " with ";
	bool none = false;

	if (!d->openocd_unlock) {
		fputs("none (no flash driver for these parts)", stdout);
		return;
	}
	printf("`%s`", d->openocd_unlock);
	for (size_t k = 0; k < d->n_parts; k++) {
		const char *f = d->parts[k].openocd_target;

		if (f && !families_seen(d, k, NULL, f)) {
			printf("%s%s", sep, f);
			sep = ", ";
		}
		none |= !f;
	}
	sep = "; not ";
	for (size_t k = 0; none && k < d->n_parts; k++)
		if (!d->parts[k].openocd_target && !families_seen(d, k, d->parts[k].name, NULL)) {
			printf("%s%s", sep, d->parts[k].name);
			sep = ", ";
		}
}

static int families_markdown(void)
{
	puts("| Driver | Parts | Unlock (level 1 to 0) and how it takes effect | OpenOCD 0.12.0 |");
	puts("|---|---|---|---|");
	for (size_t i = 0; i < target_driver_count(); i++) {
		const struct target_driver *d = target_driver_at(i);
		const char *sep = ": ";

		printf("| %s | **%s**", d->name, d->family);
		for (size_t k = 0; k < d->n_parts; k++)
			if (!families_seen(d, k, d->parts[k].name, NULL)) {
				printf("%s%s", sep, d->parts[k].name);
				sep = ", ";
			}
		printf(" | %s | ", d->unlock_summary);
		families_openocd_cell(d);
		puts(" |");
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		return families_json();
	if (argc == 2 && strcmp(argv[1], "--markdown") == 0)
		return families_markdown();
	fprintf(stderr, "usage: %s --json | --markdown\n", argv[0]);
	return 2;
}
