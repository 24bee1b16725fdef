/*
 * The whole driver stack against the simulated STM32L0/L1 parts (L073RZ,
 * L011K4, L152RE, L151C8): identify, read the level, unlock through
 * OBL_LAUNCH with flash and data EEPROM reading 0x00 after, lock, refuse
 * level 2. Assertions look at the model itself.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"
#define OB_BASE 0x1FF80000u
#define EEPROM_BASE 0x08080000u

static const struct {
	const char *part;
	const char *name;
	uint16_t dev_id;
	unsigned flash_kb, eeprom_bytes;
	enum cortexm_core core;
	const char *obr_name;
} l0_cases[] = {
	{"stm32l073rz", "STM32L0 Cat.5 (L07x/L08x)", 0x447, 192, 6144, CORTEXM_M0PLUS, "optr"},
	{"stm32l011k4", "STM32L0 Cat.1 (L011/L021)", 0x457, 16, 512, CORTEXM_M0PLUS, "optr"},
	{"stm32l152re", "STM32L1 Cat.5/Cat.6", 0x437, 512, 16384, CORTEXM_M3, "obr"},
	{"stm32l151c8", "STM32L1 Cat.1", 0x416, 64, 4096, CORTEXM_M3, "obr"},
};

#define L0_NCASES (sizeof(l0_cases) / sizeof(l0_cases[0]))

static struct probe_link *l0_open(size_t i, unsigned level)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%u" FAST, l0_cases[i].part, level);
	return stack_open(uri);
}

TEST(identify_and_read_level1)
{
	for (size_t i = 0; i < L0_NCASES; i++) {
		struct probe_link *pl = l0_open(i, 1);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "stm32l0");
		CHECK_STR(t.part->name, l0_cases[i].name);
		CHECK_EQ_U(t.idcode & 0xFFF, l0_cases[i].dev_id);
		CHECK_EQ_U(t.flash_kb, l0_cases[i].flash_kb);
		CHECK_EQ_I(t.core, l0_cases[i].core);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xFF4400BB); /* the whole option word, complement included */
		CHECK_EQ_U(p.wrp_sectors, 0x3);      /* the profile protects sectors 0 and 1 */
		CHECK(stack_has_option(&p, l0_cases[i].obr_name, NULL));
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		probe_link_close(pl);
	}
}

TEST(read_level0)
{
	for (size_t i = 0; i < L0_NCASES; i++) {
		struct probe_link *pl = l0_open(i, 0);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, 0xFF5500AA);
		probe_link_close(pl);
	}
}

/* Level 1 -> 0: erased flash and EEPROM read 0x00, the USER and WRP words
 * are what they were (the L1 model clears them in the erase), and the
 * level reads 0 through the stack after whatever power cycle was asked. */
TEST(unlock_verify)
{
	for (size_t i = 0; i < L0_NCASES; i++) {
		struct probe_link *pl = l0_open(i, 1);
		uint32_t end = 0x08000000u + l0_cases[i].flash_kb * 1024u;
		uint32_t ob_before[8], head[16], tail[16], ee[4];
		struct target t;
		struct target_protection p;
		struct job_result res;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		for (unsigned k = 0; k < 8; k++)
			ob_before[k] = stack_peek(pl, OB_BASE + 4 * k);
		CHECK(stack_peek(pl, 0x08000008) != 0);
		CHECK(stack_peek(pl, EEPROM_BASE) != 0);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		CHECK_EQ_I(rc, 0);
		if (rc)
			fprintf(stderr, "  %s: %s\n", l0_cases[i].part, err_detail());
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK(stack_counters(pl).resets >= 1); /* OBL_LAUNCH */
		CHECK_EQ_U(stack_peek(pl, OB_BASE), 0xFF5500AA);
		for (unsigned k = 1; k < 8; k++)
			CHECK_EQ_U(stack_peek(pl, OB_BASE + 4 * k), ob_before[k]);
		/* L1 Cat.5/6 also has WRP1213/WRP1415 at +0x80/+0x84
		 * (stm32l151xe.h:315-316): written back too. */
		if (l0_cases[i].dev_id == 0x437) {
			CHECK_EQ_U(stack_peek(pl, OB_BASE + 0x80), 0xFFFF0000u);
			CHECK_EQ_U(stack_peek(pl, OB_BASE + 0x84), 0x7FFF8000u);
		}
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0);
		CHECK_EQ_U(stack_peek(pl, end - 4), 0);
		CHECK_EQ_U(stack_peek(pl, EEPROM_BASE + l0_cases[i].eeprom_bytes - 4), 0);
		if (res.power_cycle_required)
			sim_probe_power_cycle(stack_model(pl));
		else
			CHECK(res.flash_verified_blank);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.wrp_sectors, 0x3); /* WRP reloaded from the rewritten words */
		mem_read_block(&pl->a, 0x08000000u, head, 16);
		mem_read_block(&pl->a, end - sizeof(tail), tail, 16);
		mem_read_block(&pl->a, EEPROM_BASE, ee, 4);
		CHECK_EQ_I(adiv5_run(&pl->a), 0);
		CHECK_EQ_U(head[0] | head[15] | tail[0] | tail[15] | ee[0] | ee[3], 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		probe_link_close(pl);
	}
}

TEST(lock_then_read_back)
{
	for (size_t i = 0; i < L0_NCASES; i++) {
		struct probe_link *pl = l0_open(i, 0);
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		CHECK(!res.power_cycle_required);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK_EQ_U(stack_peek(pl, OB_BASE), 0xFFFF0000); /* OpenOCD's level-1 word */
		CHECK(stack_peek(pl, 0x08000008) != 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		probe_link_close(pl);
	}
}

TEST(level2_refused_without_writes)
{
	for (size_t i = 0; i < L0_NCASES; i++) {
		struct probe_link *pl = l0_open(i, 2);

		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		probe_link_close(pl);
	}
}

/* Sectors 32-47 of an L0 Cat.5 are guarded by WRPROT2, loaded into
 * FLASH_WRPR2 at 0x80 (stm32l073xx.h:282) from the option word at
 * 0x1FF80010 (WRP45, stm32l073xx.h:295): the report includes them. */
TEST(wrpr2_sectors_reported)
{
	struct probe_link *pl = l0_open(0, 0);
	struct target t;
	struct target_protection p;
	uint32_t sr = 1;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(p.wrp_sectors, 0x3);
	mem_write32(&pl->a, 0x4002200C, 0x89ABCDEF);
	mem_write32(&pl->a, 0x4002200C, 0x02030405);
	mem_write32(&pl->a, 0x40022014, 0xFBEAD9C8);
	mem_write32(&pl->a, 0x40022014, 0x24252627);
	mem_write32(&pl->a, OB_BASE + 0x10, 0xFFFE0001); /* sector 32 */
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	for (int i = 0; i < 1000 && (sr & 1); i++)
		CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022018, &sr), 0);
	sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(p.wrp_sectors, 0x100000003ull);
	probe_link_close(pl);
}

TEST(driver_never_offers_level2)
{
	struct probe_link *pl = l0_open(0, 0);
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(t.drv->set_level(&t, RDP_LEVEL_2, NULL), -ERR_NOT_SUPPORTED);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

/* Every DEV_ID of docs/targets/stm32l0.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 30000 ms (OpenOCD allows 30 s). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name                        KB  F_SIZE */
		{0x40015800, 0x457, "STM32L0 Cat.1 (L011/L021)",   16, 0x1FF8007C},
		{0x40015800, 0x425, "STM32L0 Cat.2 (L031/L041)",   32, 0x1FF8007C},
		{0x40015800, 0x417, "STM32L0 Cat.3 (L05x/L06x)",   64, 0x1FF8007C},
		{0x40015800, 0x447, "STM32L0 Cat.5 (L07x/L08x)",  192, 0x1FF8007C},
		{0xE0042000, 0x416, "STM32L1 Cat.1",              128, 0x1FF8004C},
		{0xE0042000, 0x429, "STM32L1 Cat.2",              128, 0x1FF8004C},
		{0xE0042000, 0x427, "STM32L1 Cat.3",              256, 0x1FF800CC},
		{0xE0042000, 0x436, "STM32L1 Cat.4/Cat.3 (xD)",   384, 0x1FF800CC},
		{0xE0042000, 0x437, "STM32L1 Cat.5/Cat.6",        512, 0x1FF800CC},
	};

	part_cases_check("stm32l0", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 30000);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		/* L0/L1: the RDP word is left erased (0x00000000), not its complement. */
		{"sim:stm32l073rz-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "option word 0x1ff80000: ", 0x00000000, "optverr"},
		{"sim:stm32l152re-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "option word 0x1ff80000: ", 0x00000000, "optverr"},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32l073rz-rdp1?time_scale=2.5", 1},    /* L0 */
		{"sim:stm32l152re-rdp1?time_scale=1.25", 1},   /* L1 */
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(part_table);
	RUN(identify_and_read_level1);
	RUN(read_level0);
	RUN(unlock_verify);
	RUN(lock_then_read_back);
	RUN(level2_refused_without_writes);
	RUN(wrpr2_sectors_reported);
	RUN(driver_never_offers_level2);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
