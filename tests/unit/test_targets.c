/*
 * What holds for every driver's part table, derived from the tables
 * themselves (target_driver_at()): each family's own test keeps its
 * expected rows (tests/sim/test_stack_FAMILY.c, "part_table"), so a new
 * family adds nothing here. Every row is complete, no two rows answer the
 * same identification, and identification reaches every row; every RDP
 * byte has its level.
 */
#include <string.h>

#include "check.h"
#include "targets/target.h"

/* Every row of every driver, with its driver. */
static struct row {
	const struct target_driver *drv;
	const struct target_part *part;
} rows[512];
static size_t n_rows;

static void collect_rows(void)
{
	n_rows = 0;
	for (size_t i = 0; i < target_driver_count(); i++)
		for (size_t k = 0; k < target_driver_at(i)->n_parts; k++)
			if (n_rows < sizeof(rows) / sizeof(rows[0]))
				rows[n_rows++] = (struct row){target_driver_at(i), &target_driver_at(i)->parts[k]};
}

/* How a row is found: by the DBGMCU word (DEV_ID, and REV_ID where the row
 * names one), by the driver's own look-up of the whole word (find_part), or
 * by the MCU ROM table. */
static bool by_dev_id(const struct target_driver *d, const struct target_part *p)
{
	return !d->find_part && p->dbgmcu_addr != 0;
}

static bool by_rom(const struct target_part *p)
{
	return p->rom_designer != 0;
}

/* Rows of drivers that know their chips by the vendor's own registers
 * (target_driver.identify: nRF FICR, Kinetis SIM_SDID, SAM DSU DID,
 * RP2040 CHIP_ID), never by DBGMCU or the ROM table's part: each driver's
 * stack test reaches them. */
static bool by_vendor(const struct target_driver *d)
{
	return d->identify != NULL;
}

/* Every row has what identification and the unlock use. */
TEST(every_row_is_complete)
{
	collect_rows();
	CHECK(n_rows > 0 && n_rows < sizeof(rows) / sizeof(rows[0]));
	for (size_t i = 0; i < n_rows; i++) {
		const struct target_part *p = rows[i].part;

		CHECK(p->name != NULL && p->name[0] != '\0');
		CHECK(p->core != CORTEXM_UNKNOWN);
		if (by_vendor(rows[i].drv)) {
			/* no F_SIZE, no DBGMCU: the hook reads the vendor's registers
			 * (and a chip with nothing to erase has no erase time) */
			CHECK(p->dev_id == 0 && p->dbgmcu_addr == 0 && p->rom_designer == 0);
			CHECK(p->erase_typ_ms <= p->erase_max_ms);
		} else {
			CHECK(p->flash_size_addr != 0);
			CHECK(p->flash_kb_max > 0);
			CHECK(p->erase_typ_ms < p->erase_max_ms);
			/* found one way: DBGMCU (dev_id, address) or the ROM table, not both */
			CHECK(by_rom(p) ? p->dev_id == 0 && p->dbgmcu_addr == 0 && p->rom_part != 0
					: p->dbgmcu_addr != 0);
		}
		CHECK(!p->rev_id || p->dev_id);
		/* all three words, none, or (a vendor's 64-bit ID, nRF FICR
		 * DEVICEID: docs/uid.md) the first two */
		CHECK(!p->uid_addr[0] == !p->uid_addr[1] &&
		      (!p->uid_addr[0] == !p->uid_addr[2] || (by_vendor(rows[i].drv) && !p->uid_addr[2])));
		if (check_current_failed) {
			fprintf(stderr, "  %s: %s\n", rows[i].drv->name, p->name ? p->name : "(no name)");
			return;
		}
	}
}

/* No two rows answer the same identification: (DBGMCU address, DEV_ID,
 * REV_ID) for the rows found by DEV_ID, (designer, part) for the ROM
 * table's. */
TEST(identification_keys_are_unique)
{
	collect_rows();
	for (size_t i = 0; i < n_rows; i++)
		for (size_t j = i + 1; j < n_rows; j++) {
			const struct target_part *p = rows[i].part, *q = rows[j].part;

			if (by_dev_id(rows[i].drv, p) && by_dev_id(rows[j].drv, q) &&
			    p->dbgmcu_addr == q->dbgmcu_addr && p->dev_id == q->dev_id && p->rev_id == q->rev_id) {
				fprintf(stderr, "  %s and %s: DEV_ID 0x%03x REV_ID 0x%04x at 0x%08x\n", p->name,
					q->name, p->dev_id, p->rev_id, p->dbgmcu_addr);
				CHECK(!"two rows for one DBGMCU word");
			}
			if (by_rom(p) && by_rom(q) && p->rom_designer == q->rom_designer &&
			    p->rom_part == q->rom_part) {
				fprintf(stderr, "  %s and %s: ROM table 0x%03x/0x%03x\n", p->name, q->name,
					p->rom_designer, p->rom_part);
				CHECK(!"two rows for one ROM table");
			}
		}
}

/* Identification reaches every row: its DBGMCU address is one its core
 * tries, and the word (or the ROM table's PIDR) it answers finds that very
 * row. Rows a driver finds by the whole word (AT32) are reached through the
 * driver, whose own test has the words. */
TEST(identification_reaches_every_row)
{
	collect_rows();
	for (size_t i = 0; i < n_rows; i++) {
		const struct target_driver *d = rows[i].drv, *drv = NULL;
		const struct target_part *p = rows[i].part, *found = NULL;
		uint32_t addrs[TARGET_DBGMCU_MAX];
		size_t n = target_dbgmcu_addrs(p->core, addrs, TARGET_DBGMCU_MAX);
		bool listed = false;

		for (size_t k = 0; k < n; k++)
			listed |= addrs[k] == p->dbgmcu_addr;
		if (by_vendor(d))
			continue;
		if (by_rom(p)) {
			found = target_find_part_rom(p->rom_designer, p->rom_part, &drv);
		} else {
			CHECK(listed);
			CHECK(n < TARGET_DBGMCU_MAX); /* none cut off */
			if (by_dev_id(d, p))
				found = target_find_part_rev(p->dbgmcu_addr, (uint32_t)p->rev_id << 16 | p->dev_id,
							     &drv);
		}
		if (by_rom(p) || by_dev_id(d, p))
			CHECK(found == p && drv == d);
		if (check_current_failed) {
			fprintf(stderr, "  %s: %s\n", d->name, p->name);
			return;
		}
	}
}

/* A core no row names still has the address the first batch reads. */
TEST(every_core_has_a_dbgmcu_address)
{
	for (int c = CORTEXM_UNKNOWN; c <= CORTEXM_M33; c++) {
		uint32_t addrs[TARGET_DBGMCU_MAX];
		size_t n = target_dbgmcu_addrs((enum cortexm_core)c, addrs, TARGET_DBGMCU_MAX);

		CHECK(n >= 1);
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				CHECK(addrs[i] != addrs[j]);
	}
}

TEST(unknown_ids_are_not_guessed)
{
	const struct target_driver *drv = NULL;

	CHECK(target_find_part(0xE0042000, 0x000, &drv) == NULL);
	CHECK(target_find_part(0xE0042000, 0xFFF, &drv) == NULL);
	/* The right id at the wrong DBGMCU address is another chip. */
	CHECK(target_find_part(0x40015800, 0x433, &drv) == NULL);
}

TEST(every_rdp_byte)
{
	for (unsigned b = 0; b < 256; b++) {
		enum rdp_level want = b == 0xAA ? RDP_LEVEL_0 : b == 0xCC ? RDP_LEVEL_2 : RDP_LEVEL_1;

		CHECK_EQ_I(target_rdp_level_from_byte((uint8_t)b), want);
	}
	CHECK(target_rdp_level_number(RDP_LEVEL_0_5) == 0.5);
	CHECK(target_rdp_level_number(RDP_LEVEL_2) == 2.0);
	CHECK(target_rdp_level_number(RDP_UNKNOWN) < 0);
}

TEST(drivers_are_complete)
{
	for (size_t i = 0; i < target_driver_count(); i++) {
		const struct target_driver *d = target_driver_at(i);

		/* apply: what follows a set_level that succeeded; a chip with no
		 * protection (scheme "none") never gets one */
		CHECK(d->read_protection && d->set_level && (d->apply || strcmp(d->scheme, "none") == 0));
		CHECK(d->scheme != NULL);
		CHECK(d->n_parts > 0 && d->erase_scope && d->family);
		CHECK(d->unlock_summary != NULL);
	}
	CHECK(target_driver_at(target_driver_count()) == NULL);
}

/* OpenOCD's command line for a part is its row's target file and its
 * driver's unlock command: a row names a file ("target/NAME.cfg") only
 * where its driver names a command, and a driver with a command has a row
 * with a file. The command is a flash driver's "<driver> unlock <bank>",
 * a target file's own procedure, one word (nrf52_recover), or the Kinetis
 * driver's MDM-AP command ("kinetis mdm mass_erase"). */
TEST(openocd_lines_are_whole)
{
	for (size_t i = 0; i < target_driver_count(); i++) {
		const struct target_driver *d = target_driver_at(i);
		size_t with_file = 0;

		for (size_t k = 0; k < d->n_parts; k++) {
			const char *f = d->parts[k].openocd_target;

			if (!f)
				continue;
			with_file++;
			CHECK(strncmp(f, "target/", 7) == 0 && strlen(f) > 11 &&
			      strcmp(f + strlen(f) - 4, ".cfg") == 0);
		}
		CHECK(d->openocd_unlock ? with_file > 0 : with_file == 0);
		if (d->openocd_unlock)
			CHECK(strstr(d->openocd_unlock, " unlock ") != NULL ||
			      (strchr(d->openocd_unlock, ' ') == NULL && strlen(d->openocd_unlock) > 3) ||
			      strncmp(d->openocd_unlock, "kinetis mdm ", 12) == 0);
	}
}

int main(void)
{
	RUN(every_row_is_complete);
	RUN(identification_keys_are_unique);
	RUN(identification_reaches_every_row);
	RUN(every_core_has_a_dbgmcu_address);
	RUN(unknown_ids_are_not_guessed);
	RUN(every_rdp_byte);
	RUN(drivers_are_complete);
	RUN(openocd_lines_are_whole);
	return check_summary();
}
