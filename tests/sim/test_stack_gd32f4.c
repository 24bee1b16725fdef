/*
 * The whole driver stack against simulated GigaDevice GD32F4 parts, which
 * rdpd cannot know by DBGMCU_IDCODE (none is published, Black Magic Debug
 * issue #1816) and finds by the MCU ROM table's PIDR instead (target.c).
 * GD32F450ZK reads 0 at DBGMCU_IDCODE in the model, GD32F470ZG an id no ST
 * part has: the two ways the DBGMCU lookup ends in "unknown chip".
 * Assertions look at the model itself, not only at what rdpd says.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"

#define GD32_FLASH 0x08000000u

TEST(identify_f450_by_rom_table)
{
	struct probe_link *pl = stack_open("sim:gd32f450zk-rdp1" FAST);
	struct target t;
	struct target_protection p;
	uint64_t before;
	uint32_t obctl0 = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	before = pl->t->packets_sent;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	if (*err_detail())
		fprintf(stderr, "  detail: %s\n", err_detail());
	fprintf(stderr, "  identify (ROM table) + RDP read: %llu packets\n",
		(unsigned long long)(pl->t->packets_sent - before));
	CHECK(t.part != NULL && t.drv != NULL);
	if (!t.part || !t.drv) {
		probe_link_close(pl);
		return;
	}
	CHECK_STR(t.part->name, "GD32F450");
	CHECK_STR(t.drv->name, "stm32f4");
	CHECK_EQ_U(t.idcode, 0);          /* what DBGMCU_IDCODE said: nothing */
	CHECK_EQ_U(t.flash_kb, 3072);     /* FLASH_DENSITY, not the table's maximum */
	CHECK_EQ_I(t.core, CORTEXM_M4);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_U(p.rdp_raw, 0xBB);      /* the profile's byte, FMC_LSPC-like */
	CHECK(stack_has_option(&p, "obctl0", &obctl0));
	CHECK(stack_has_option(&p, "obctl1", NULL));
	CHECK(!stack_has_option(&p, "optcr", NULL));
	CHECK_EQ_U((obctl0 >> 8) & 0xFF, 0xBB);
	CHECK_EQ_U(p.wrp_sectors, 0);     /* WP0/WP1 all ones: nothing protected */
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

TEST(identify_f470_with_unknown_dev_id)
{
	struct probe_link *pl = stack_open("sim:gd32f470zg-rdp0" FAST);
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK(t.part != NULL);
	if (t.part) {
		CHECK_STR(t.part->name, "GD32F470");
		CHECK_EQ_U(t.idcode & 0xFFF, 0xA2E);
		CHECK_EQ_U(t.flash_kb, 1024);
	}
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(p.rdp_raw, 0xAA);
	probe_link_close(pl);
}

/* The fallback sits on the failing path only: an ST part is identified and
 * read in the same 3 packets as test_stack_f401 counts. */
TEST(st_part_pays_nothing_for_the_fallback)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1" FAST);
	struct target t;
	struct target_protection p;
	uint64_t before;

	CHECK(pl != NULL);
	if (!pl)
		return;
	before = pl->t->packets_sent;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(pl->t->packets_sent - before, 3);
	CHECK_STR(t.part->name, "STM32F401xD/E");
	CHECK_EQ_U(t.part->rom_designer, 0);
	probe_link_close(pl);
}

/* Read through the stack once the unlock is done, after the power cycle the
 * result asked for. */
static void gd32_check_unlocked(struct probe_link *pl, const struct job_result *res)
{
	struct target t;
	struct target_protection p;

	if (res->power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(p.rdp_raw, 0xAA);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
}

TEST(unlock_f450_level1)
{
	struct probe_link *pl = stack_open("sim:gd32f450zk-rdp1" FAST);
	struct target t;
	struct job_result res;
	uint32_t obctl0 = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK(stack_peek(pl, GD32_FLASH) != 0xFFFFFFFF); /* the profile holds a program */
	CHECK(stack_peek(pl, GD32_FLASH + 3072u * 1024 - 4) != 0xFFFFFFFF);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	if (*err_detail())
		fprintf(stderr, "  detail: %s\n", err_detail());
	CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.flash_erased);
	CHECK(res.flash_verified_blank || res.power_cycle_required);
	CHECK_EQ_U(stack_peek(pl, GD32_FLASH), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, GD32_FLASH + 3072u * 1024 - 4), 0xFFFFFFFF); /* bank 1's end */
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	/* every other option bit kept: OBCTL0 is the default with SPC 0xAA */
	obctl0 = stack_peek(pl, 0x40023C14);
	CHECK_EQ_U(obctl0 & ~3u, 0x0FFFAAECu);
	gd32_check_unlocked(pl, &res);
	probe_link_close(pl);
}

TEST(lock_f450_then_read_back)
{
	struct probe_link *pl = stack_open("sim:gd32f450zk-rdp0" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t word;

	CHECK(pl != NULL);
	if (!pl)
		return;
	word = stack_peek(pl, GD32_FLASH);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
	CHECK(!res.flash_erased);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_U(stack_peek(pl, GD32_FLASH), word); /* raising the level erases nothing */
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK(p.rdp_raw != 0xAA && p.rdp_raw != 0xCC);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	/* and back down, through the ROM-table identification again */
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	gd32_check_unlocked(pl, &res);
	probe_link_close(pl);
}

TEST(unlock_f470_level1)
{
	struct probe_link *pl = stack_open("sim:gd32f470zg-rdp1" FAST);
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_U(stack_peek(pl, GD32_FLASH + 1024u * 1024 - 4), 0xFFFFFFFF);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	gd32_check_unlocked(pl, &res);
	probe_link_close(pl);
}

TEST(level2_refused_without_a_write)
{
	static const char *const uris[] = {"sim:gd32f450zk-rdp2" FAST, "sim:gd32f470zg-rdp2" FAST};

	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		struct probe_link *pl = stack_open(uris[i]);

		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		CHECK(strstr(err_detail(), "RDP level 2") != NULL);
		CHECK(stack_peek(pl, GD32_FLASH) != 0xFFFFFFFF);
		probe_link_close(pl);
	}
}

/* GD32F4 by the MCU ROM table's PIDR (no DBGMCU IDCODE is published, Black
 * Magic Debug issue #1816): designer GigaDevice (JEP106 continuation 7,
 * identity 0x51) and the part number; only rows that ask for it match. */
TEST(gd32f4_by_rom_table)
{
	static const struct {
		uint16_t designer, part;
		const char *name; /* NULL: no row */
	} cases[] = {
		{0x751, 0x2B3, "GD32F450"},
		{0x751, 0xA2E, "GD32F470"},
		{0x751, 0xFA4, "GD32F405/407"},
		{0x051, 0x2B3, NULL}, /* the continuation code counts */
		{0x751, 0x413, NULL},
		{0x020, 0x433, NULL}, /* ST parts are found by DBGMCU, never here */
		{0x000, 0x000, NULL},
	};
	const struct target_driver *drv = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct target_part *p = target_find_part_rom(cases[i].designer, cases[i].part, &drv);

		CHECK((p != NULL) == (cases[i].name != NULL));
		if (!p || !cases[i].name)
			continue;
		CHECK_STR(drv->name, "stm32f4");
		CHECK_STR(p->name, cases[i].name);
		CHECK_EQ_U(p->flash_kb_max, 3072);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFF7A22);
		CHECK(p->erase_max_ms >= 60000 && p->erase_typ_ms < p->erase_max_ms);
		/* never by DBGMCU_IDCODE: a blank id or an ST id is not a GD32F4 */
		CHECK(p->dev_id == 0 && p->dbgmcu_addr == 0);
	}
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:gd32f450zk-rdp1?time_scale=0.03", 1},
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(gd32f4_by_rom_table);
	RUN(identify_f450_by_rom_table);
	RUN(identify_f470_with_unknown_dev_id);
	RUN(st_part_pays_nothing_for_the_fallback);
	RUN(unlock_f450_level1);
	RUN(lock_f450_then_read_back);
	RUN(unlock_f470_level1);
	RUN(level2_refused_without_a_write);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
