/*
 * part_cases.h - a family's expected part-table rows, the oracle each
 * family's own test keeps, written from its docs/targets/ page (the parts
 * table, from the reference manuals), never from the driver: every DEV_ID
 * at its DBGMCU address maps to the family's driver with the name, the
 * largest flash size and the F_SIZE address given, and no row of the
 * driver that DEV_ID matching finds is left without a case. Needs check.h.
 */
#ifndef RDPD_TEST_PART_CASES_H
#define RDPD_TEST_PART_CASES_H

#include <string.h>

#include "targets/target.h"

struct part_case {
	uint32_t dbgmcu;
	uint16_t dev_id;
	const char *name;
	unsigned flash_kb_max;
	uint32_t fsize_addr;
};

static __attribute__((unused)) const struct target_driver *part_cases_driver(const char *name)
{
	for (size_t i = 0; i < target_driver_count(); i++)
		if (strcmp(target_driver_at(i)->name, name) == 0)
			return target_driver_at(i);
	return NULL;
}

/* Check the N cases C against the driver tables: each is found by
 * (DBGMCU, DEV_ID) in DRIVER's table, named and sized as given, with an
 * erase budget of at least MIN_BUDGET_MS above its typical time; and every
 * row of DRIVER found by DEV_ID alone (no REV_ID, no ROM table) has a case. */
static __attribute__((unused)) void part_cases_check(const char *driver, const struct part_case *c,
						     size_t n, unsigned min_budget_ms)
{
	const struct target_driver *d = part_cases_driver(driver);
	size_t rows = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct target_driver *drv = NULL;
		const struct target_part *p = target_find_part(c[i].dbgmcu, c[i].dev_id, &drv);

		CHECK(p != NULL);
		if (!p) {
			fprintf(stderr, "  no part for DEV_ID 0x%03x at 0x%08x\n", c[i].dev_id, c[i].dbgmcu);
			continue;
		}
		CHECK_STR(drv->name, driver);
		CHECK_STR(p->name, c[i].name);
		CHECK_EQ_U(p->flash_kb_max, c[i].flash_kb_max);
		CHECK_EQ_U(p->flash_size_addr, c[i].fsize_addr);
		CHECK(p->erase_max_ms >= min_budget_ms);
		CHECK(p->erase_typ_ms < p->erase_max_ms);
	}
	for (size_t k = 0; k < d->n_parts; k++)
		if (!d->find_part && d->parts[k].dbgmcu_addr && !d->parts[k].rev_id)
			rows++;
	CHECK_EQ_U(rows, n);
}

#endif
