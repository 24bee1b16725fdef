/*
 * The whole driver stack against the simulated TrustZone parts STM32L552ZE
 * and STM32U585AI: levels 0, 0.5 (TZEN = 1), 1 and 2; unlock from 1 and
 * from 0.5 keeps TZEN; lock; level 2 and an OEM1 key refused before any
 * write to the flash interface.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"
#define OPTR 0x40022040u
#define TZEN 0x80000000u
#define OPTR_USER 0x7FEFF800u /* the profiles' OPTR without RDP and TZEN */

static const struct l5_case {
	const char *part;
	const char *name;
	uint16_t dev_id;
	unsigned flash_kb;
	uint32_t sram2;   /* an SRAM2 address the regression erases */
} l5_cases[] = {
	{"stm32l552ze", "STM32L55x/56x", 0x472, 512, 0x20030000},
	{"stm32u585ai", "STM32U575/585", 0x482, 2048, 0x20030000},
	{"stm32u5a5zj", "STM32U59x/5Ax", 0x481, 4096, 0x200C0000},
};

#define N_CASES (sizeof(l5_cases) / sizeof(l5_cases[0]))

static struct probe_link *open_profile(const char *part, const char *level)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%s" FAST, part, level);
	return stack_open(uri);
}

static bool flash_reads_erased(struct probe_link *pl, const struct target *t)
{
	static uint32_t head[64], tail[64];
	uint32_t end = t->flash_base + t->flash_kb * 1024u;

	mem_read_block(&pl->a, t->flash_base, head, 64);
	mem_read_block(&pl->a, end - sizeof(tail), tail, 64);
	if (adiv5_run(&pl->a) < 0)
		return false;
	for (unsigned i = 0; i < 64; i++)
		if (head[i] != 0xFFFFFFFFu || tail[i] != 0xFFFFFFFFu)
			return false;
	return true;
}

TEST(identify_and_read_every_level)
{
	static const struct {
		const char *level;
		enum rdp_level want;
		uint32_t rdp, tzen;
	} levels[] = {
		{"0", RDP_LEVEL_0, 0xAA, 0},
		{"0.5", RDP_LEVEL_0_5, 0x55, 1},
		{"1", RDP_LEVEL_1, 0xBB, 0},
	};

	for (size_t i = 0; i < N_CASES; i++)
		for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
			struct probe_link *pl = open_profile(l5_cases[i].part, levels[k].level);
			struct target t;
			struct target_protection p;

			CHECK(pl != NULL);
			if (!pl)
				continue;
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
			CHECK_STR(t.drv->name, "stm32l5");
			CHECK_STR(t.part->name, l5_cases[i].name);
			CHECK_EQ_U(t.idcode & 0xFFF, l5_cases[i].dev_id);
			CHECK_EQ_U(t.flash_kb, l5_cases[i].flash_kb);
			CHECK_EQ_I(t.core, CORTEXM_M33);
			CHECK_EQ_U(t.dpidr, 0x0BE12477);
			CHECK_EQ_I(p.level, levels[k].want);
			CHECK_EQ_U(p.rdp_raw, levels[k].rdp);
			CHECK_EQ_U(stack_option(&p, "tzen"), levels[k].tzen);
			CHECK_EQ_U(stack_option(&p, "optr"), OPTR_USER | (levels[k].tzen ? TZEN : 0) | levels[k].rdp);
			CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
			probe_link_close(pl);
		}
}

/* Unlock from LEVEL, power-cycle when asked, and check level 0, erased
 * flash and TZEN as it was. */
static void unlock_from(const struct l5_case *c, const char *level, enum rdp_level before,
			uint32_t tzen)
{
	struct probe_link *pl = open_profile(c->part, level);
	struct target t;
	struct target_protection p;
	struct job_result res;
	int rc;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
	rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
	CHECK_EQ_I(rc, 0);
	if (rc < 0)
		fprintf(stderr, "  %s-rdp%s: %s\n", c->part, level, err_detail());
	CHECK_EQ_I(res.rdp_before, before);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.flash_erased);
	CHECK(res.power_cycle_required); /* changed with the debugger attached */
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, OPTR), OPTR_USER | tzen | 0xAA);
	CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, c->sram2), 0); /* SRAM2 */
	CHECK_EQ_U(stack_counters(pl).reserved_writes, 0); /* only NSSR's flags written */
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(stack_option(&p, "tzen"), tzen ? 1 : 0);
	CHECK(flash_reads_erased(pl, &t));
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	probe_link_close(pl);
}

TEST(unlock_level1_keeps_tzen_off)
{
	for (size_t i = 0; i < N_CASES; i++)
		unlock_from(&l5_cases[i], "1", RDP_LEVEL_1, 0);
}

TEST(unlock_level0_5_keeps_tzen_on)
{
	for (size_t i = 0; i < N_CASES; i++)
		unlock_from(&l5_cases[i], "0.5", RDP_LEVEL_0_5, TZEN);
}

TEST(lock_from_0_5_then_unlock)
{
	for (size_t i = 0; i < N_CASES; i++) {
		struct probe_link *pl = open_profile(l5_cases[i].part, "0.5");
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_0_5);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK_EQ_U(stack_peek(pl, OPTR), OPTR_USER | TZEN | 0xBB);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, OPTR), OPTR_USER | TZEN | 0xAA);
		probe_link_close(pl);
	}
}

TEST(lock_level0)
{
	for (size_t i = 0; i < N_CASES; i++) {
		struct probe_link *pl = open_profile(l5_cases[i].part, "0");
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		probe_link_close(pl);
	}
}

TEST(level2_refused_without_a_write)
{
	for (size_t i = 0; i < N_CASES; i++) {
		struct probe_link *pl = open_profile(l5_cases[i].part, "2");

		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		probe_link_close(pl);
	}
}

TEST(oem1_key_refused_without_a_write)
{
	struct probe_link *pl = stack_open("sim:stm32u585ai-oem1-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK(stack_option(&p, "nssr") & (1u << 18)); /* OEM1LOCK reported */
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "OEM1") != NULL);
	CHECK(strstr(err_detail(), "not support") != NULL);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	probe_link_close(pl);
}

/* Program the option register at OFF (from 0x40022000) to VALUE, with
 * OPTR = NEW_OPTR in the same programming, and load them (OBL_LAUNCH, whose
 * reset cuts its own answer short). What a user's tool would do. */
static void program_options(struct probe_link *pl, uint32_t off, uint32_t value, uint32_t new_optr)
{
	uint32_t sr = 0;

	mem_write32(&pl->a, 0x40022008, 0x45670123);
	mem_write32(&pl->a, 0x40022008, 0xCDEF89AB);
	mem_write32(&pl->a, 0x40022010, 0x08192A3B);
	mem_write32(&pl->a, 0x40022010, 0x4C5D6E7F);
	mem_write32(&pl->a, 0x40022000 + off, value);
	mem_write32(&pl->a, OPTR, new_optr);
	mem_write32(&pl->a, 0x40022028, 1u << 17);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022020, &sr), 0);
		if (!(sr & (1u << 16)))
			break;
	}
	mem_write32(&pl->a, 0x40022028, 1u << 27);
	(void)adiv5_run(&pl->a);
	adiv5_invalidate(&pl->a);
}

/* WRP areas with the page-field width of the part's header and the page
 * size its OPTR selects: U59x/5Ax fields are 8 bits (stm32u5a5xx.h
 * WRP1A_PSTRT 0xFF; 512 pages of 8 KB, 8 a group); an L5 with DBANK = 0 is
 * one bank of 4 KB pages (stm32l5xx_hal_flash.h FLASH_PAGE_SIZE_128_BITS)
 * whose WRP2 areas count from its start. */
TEST(wrp_fields_and_pages_as_the_headers_say)
{
	static const struct {
		const char *part;
		uint32_t off, value, optr;
		uint64_t sectors;
	} cases[] = {
		{"stm32u5a5zj", 0x58, 0x80970090, OPTR_USER | 0xAA, 1ull << 18},
		{"stm32l552ze", 0x58, 0x00070000, (OPTR_USER & ~(1u << 22)) | 0xAA, 0xF},
		{"stm32l552ze", 0x68, 0x00170010, (OPTR_USER & ~(1u << 22)) | 0xAA, 0xF00},
		{"stm32l552ze", 0x58, 0x00070000, OPTR_USER | 0xAA, 0x3}, /* DBANK = 1: 2 KB */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_link *pl = open_profile(cases[i].part, "0");
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		program_options(pl, cases[i].off, cases[i].value, cases[i].optr);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_U(stack_option(&p, "optr"), cases[i].optr);
		if (p.wrp_sectors != cases[i].sectors)
			fprintf(stderr, "  %s +0x%02x = 0x%08x: sectors 0x%llx\n", cases[i].part,
				(unsigned)cases[i].off, cases[i].value, (unsigned long long)p.wrp_sectors);
		CHECK_EQ_U(p.wrp_sectors, cases[i].sectors);
		probe_link_close(pl);
	}
}

/* Every DEV_ID of docs/targets/stm32l5.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 1000 ms (about 25 ms per bank on L5, more on U5; 5 s budget). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name            KB  F_SIZE */
		{0xE0044000, 0x472, "STM32L55x/56x",  512, 0x0BFA05E0},
		{0xE0044000, 0x455, "STM32U535/545",  512, 0x0BFA07A0},
		{0xE0044000, 0x482, "STM32U575/585", 2048, 0x0BFA07A0},
		{0xE0044000, 0x481, "STM32U59x/5Ax", 4096, 0x0BFA07A0},
		{0xE0044000, 0x476, "STM32U5Fx/5Gx", 4096, 0x0BFA07A0},
	};

	part_cases_check("stm32l5", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 1000);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		{"sim:stm32u585ai-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, NULL}, /* NSSR: no OPTVERR modelled (?) */
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32u585ai-rdp1?time_scale=10", 1},     /* L5/U5 */
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(part_table);
	RUN(identify_and_read_every_level);
	RUN(unlock_level1_keeps_tzen_off);
	RUN(unlock_level0_5_keeps_tzen_on);
	RUN(lock_from_0_5_then_unlock);
	RUN(lock_level0);
	RUN(level2_refused_without_a_write);
	RUN(oem1_key_refused_without_a_write);
	RUN(wrp_fields_and_pages_as_the_headers_say);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
