/*
 * The whole driver stack against the simulated STM32H7 parts (H743ZI with
 * banks swapped, H723ZG, H7B3AI, dual-core H747XI): identify, read the
 * level, unlock with the power cycle the result asks for, lock, refuse
 * level 2. Assertions look at the model itself.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"
#define H7_OPTCR 0x52002018u
#define H7_OPTSR_CUR 0x5200201Cu
#define H7_OPTSR_PRG 0x52002020u

static const struct {
	const char *part;
	const char *name;
	uint16_t dev_id;
	unsigned flash_kb;
	uint32_t optsr_rdp0; /* the model's OPTSR image at level 0 */
	bool dual_bank;
} h7_cases[] = {
	{"stm32h743zi", "STM32H742/743/750/753/745/747/755/757", 0x450, 2048, 0x8006AAD0, true},
	{"stm32h723zg", "STM32H72x/73x",                          0x483, 1024, 0x0006AAD0, false},
	{"stm32h7b3ai", "STM32H7A3/B0/B3",                        0x480, 2048, 0x0006AAD0, true},
	{"stm32h747xi", "STM32H742/743/750/753/745/747/755/757", 0x450, 2048, 0x03C6AAF0, true},
};

#define H7_NCASES (sizeof(h7_cases) / sizeof(h7_cases[0]))

static struct probe_link *h7_open(size_t i, unsigned level)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%u" FAST, h7_cases[i].part, level);
	return stack_open(uri);
}

TEST(identify_and_read_level1)
{
	for (size_t i = 0; i < H7_NCASES; i++) {
		struct probe_link *pl = h7_open(i, 1);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "stm32h7");
		CHECK_STR(t.part->name, h7_cases[i].name);
		CHECK_EQ_U(t.idcode & 0xFFF, h7_cases[i].dev_id);
		CHECK_EQ_U(t.flash_kb, h7_cases[i].flash_kb);
		CHECK_EQ_I(t.core, CORTEXM_M7);
		CHECK_EQ_U(t.dpidr, 0x6BA02477);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		CHECK_EQ_U(stack_option(&p, "optsr_cur"), (h7_cases[i].optsr_rdp0 & ~0xFF00u) | 0xBB00u);
		CHECK_EQ_U(p.wrp_sectors, 0);
		CHECK((stack_option(&p, "wpsn_cur2") != 0xDEADBEEF) == h7_cases[i].dual_bank);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		probe_link_close(pl);
	}
}

TEST(read_level0)
{
	for (size_t i = 0; i < H7_NCASES; i++) {
		struct probe_link *pl = h7_open(i, 0);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, 0xAA);
		probe_link_close(pl);
	}
}

/* Level 1 -> 0: the model keeps flash closed to the debugger until a power
 * cycle, the job must say so; after it, flash reads erased through the stack
 * and every option bit but RDP is what it was (BCM4/BCM7/D2 on the H747,
 * SWAP_BANK on the H743). */
TEST(unlock_power_cycle_verify)
{
	for (size_t i = 0; i < H7_NCASES; i++) {
		struct probe_link *pl = h7_open(i, 1);
		static uint32_t head[64], tail[64];
		uint32_t end = 0x08000000u + h7_cases[i].flash_kb * 1024u;
		uint32_t optcr_before;
		struct target t;
		struct target_protection p;
		struct job_result res;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		optcr_before = stack_peek(pl, H7_OPTCR);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		CHECK_EQ_I(rc, 0);
		if (rc)
			fprintf(stderr, "  %s: %s\n", h7_cases[i].part, err_detail());
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		CHECK(res.power_cycle_required);
		CHECK(!res.flash_verified_blank);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, H7_OPTSR_CUR), h7_cases[i].optsr_rdp0);
		CHECK_EQ_U(stack_peek(pl, H7_OPTSR_PRG), h7_cases[i].optsr_rdp0);
		/* Relocked, SWAP_BANK untouched (read-modify-write). */
		CHECK_EQ_U(stack_peek(pl, H7_OPTCR), optcr_before);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		CHECK_EQ_U(stack_peek(pl, end - 4), 0xFFFFFFFF);

		sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		mem_read_block(&pl->a, 0x08000000u, head, 64);
		mem_read_block(&pl->a, end - sizeof(tail), tail, 64);
		CHECK_EQ_I(adiv5_run(&pl->a), 0);
		CHECK_EQ_U(head[0], 0xFFFFFFFF);
		CHECK_EQ_U(head[63], 0xFFFFFFFF);
		CHECK_EQ_U(tail[0], 0xFFFFFFFF);
		CHECK_EQ_U(tail[63], 0xFFFFFFFF);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		probe_link_close(pl);
	}
}

TEST(lock_then_read_back)
{
	for (size_t i = 0; i < H7_NCASES; i++) {
		struct probe_link *pl = h7_open(i, 0);
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
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		/* Only RDP changed. */
		CHECK_EQ_U(stack_option(&p, "optsr_cur"), (h7_cases[i].optsr_rdp0 & ~0xFF00u) | 0xBB00u);
		probe_link_close(pl);
	}
}

TEST(level2_refused_without_writes)
{
	for (size_t i = 0; i < H7_NCASES; i++) {
		struct probe_link *pl = h7_open(i, 2);

		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		CHECK(strstr(err_detail(), "RDP level 2") != NULL);
		probe_link_close(pl);
	}
}

/* The driver's own guard, below the job: asking it for level 2 is refused
 * before anything reaches the flash interface. */
TEST(driver_never_offers_level2)
{
	struct probe_link *pl = h7_open(0, 0);
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

/* H743ZG: 1 MB as two 512 KB banks, bank 2 still at 0x08100000 (RM0433
 * §4.3.4). The driver puts the last flash word at the end of bank 2, not
 * at flash_base + 1 MB, which is the hole after bank 1: the model faults
 * there, and the unlock job's read-back of the end would have been taken
 * for the power-on latch. The regression erases both banks. */
TEST(half_populated_banks_end_of_flash)
{
	struct probe_link *pl = stack_open("sim:stm32h743zg-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t end = 0, v = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(t.flash_kb, 1024);
	CHECK(t.drv->flash_end != NULL);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08180000);
	CHECK(stack_peek(pl, 0x0807FFFC) != 0xFFFFFFFF);
	CHECK(stack_peek(pl, 0x0817FFFC) != 0xFFFFFFFF);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(res.flash_erased);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, 0x0807FFFC), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, 0x08100000), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, 0x0817FFFC), 0xFFFFFFFF);
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	/* Level 0, latch cleared: both bank ends read, the hole faults. */
	CHECK_EQ_I(mem_read32_now(&pl->a, end - 4, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFF);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x0807FFFC, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFF);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x080FFFFC, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	probe_link_close(pl);

	/* Contiguous flash: the default end. */
	pl = h7_open(1, 0); /* H723ZG, 1 MB single bank */
	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08100000);
	probe_link_close(pl);
	pl = h7_open(0, 0); /* H743ZI, 2 x 1 MB */
	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08200000);
	probe_link_close(pl);
}

/* Every DEV_ID of docs/targets/stm32h7.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 30000 ms (a bank erase takes seconds; OpenOCD allows 30 s). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name                                    KB  F_SIZE */
		{0x5C001000, 0x450, "STM32H742/743/750/753/745/747/755/757", 2048, 0x1FF1E880},
		{0x5C001000, 0x483, "STM32H72x/73x",                         1024, 0x1FF1E880},
		{0x5C001000, 0x480, "STM32H7A3/B0/B3",                       2048, 0x08FFF80C},
		{0x5C001000, 0x485, "STM32H7R/S",                              64, 0x08FFF80C},
	};

	part_cases_check("stm32h7", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 30000);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		{"sim:stm32h743zi-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "bank erase: ", 0xFF, "optchangeerr"},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32h743zi-rdp1?time_scale=0.0625", 1}, /* H7 */
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(part_table);
	RUN(identify_and_read_level1);
	RUN(read_level0);
	RUN(unlock_power_cycle_verify);
	RUN(lock_then_read_back);
	RUN(level2_refused_without_writes);
	RUN(driver_never_offers_level2);
	RUN(half_populated_banks_end_of_flash);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
