/*
 * The whole driver stack (transport -> CMSIS-DAP -> ADIv5 -> Cortex-M ->
 * STM32F4 driver -> unlock job) against the simulated DAPLink and STM32F401RE
 * of every profile. Assertions look at the model itself, not only at what
 * rdpd says about it.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"

/* Set-up commands travel in front of the next transfer on a probe with
 * atomic commands (daemon/dap/dap_held.c), the DP power-up rides with the
 * first identification batch (docs/adiv5.md, "Power-up"), and FLASH_OPTCR
 * is read ahead with F_SIZE and the UID (docs/adiv5.md, "Read ahead"):
 * opening and the first read are 11 packets of 64 bytes, DAP_Info queries
 * included, a second read 2 (the port is up, the DP speaks SWD: a line
 * reset does); of 512 bytes, 10 and 2. A firmware without atomic commands
 * gets every command alone, with the same answers. */
TEST(read_with_and_without_atomic_commands)
{
	static const struct {
		const char *uri;
		uint64_t cold, warm;
	} cases[] = {
		{"sim:stm32f401re-rdp1" FAST, 11, 2},
		{"sim:stm32f401re-rdp1" FAST "&packet_size=512", 10, 2},
		{"sim:stm32f401re-rdp1" FAST "&atomic=0", 16, 3},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_link *pl = stack_open(cases[i].uri);
		struct target t;
		struct target_protection p;
		uint64_t cold, warm;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(pl->ac->id.atomic, strstr(cases[i].uri, "atomic=0") == NULL);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		cold = pl->t->packets_sent;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		warm = pl->t->packets_sent - cold;
		fprintf(stderr, "  %s: open + read %llu packets, read again %llu\n", cases[i].uri,
			(unsigned long long)cold, (unsigned long long)warm);
		CHECK_EQ_U(cold, cases[i].cold);
		CHECK_EQ_U(warm, cases[i].warm);
		CHECK_STR(t.part->name, "STM32F401xD/E");
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(t.clock_hz, 1000000);
		probe_link_close(pl);
	}
}

/* A word the erase left behind (a worn cell) where the check reads it, in
 * the vector table's first words or at the end of the flash: the unlock
 * says verify_failed with the address and the value, not "succeeded". */
struct f401_stuck {
	struct probe_link *pl;
	uint32_t addr;
};

static void f401_leave_a_word(void *ctx, enum job_step step, enum job_step_state state)
{
	struct f401_stuck *s = ctx;

	if (step == JOB_STEP_MASS_ERASE && state == JOB_STEP_DONE)
		sim_probe_poke32(stack_model(s->pl), s->addr, 0x20018000u);
}

TEST(verify_catches_a_word_the_erase_left)
{
	static const uint32_t addrs[] = {0x08000000u, 0x08000004u, 0x080000FCu, 0x0807FFFCu, 0x0807FF00u};

	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		struct f401_stuck s = {.pl = stack_open("sim:stm32f401re-rdp1" FAST), .addr = addrs[i]};
		struct job_events ev = {.ctx = &s, .step = f401_leave_a_word};
		struct target t;
		struct job_result res;
		char want[32];

		CHECK(s.pl != NULL);
		if (!s.pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&s.pl->a, JOB_KIND_UNLOCK, NULL, &ev, &t, &res), -ERR_VERIFY_FAILED);
		snprintf(want, sizeof(want), "at 0x%08x", addrs[i]);
		CHECK(strstr(err_detail(), want) != NULL);
		CHECK(strstr(err_detail(), "0x20018000") != NULL);
		CHECK_EQ_U(stack_counters(s.pl).mass_erases, 1);
		probe_link_close(s.pl);
	}
}

/* One read of a level-1 chip with DPIDR DPIDR, connected normally at 1 MHz
 * (not under reset). */
static void f401_reads_level1_normally(struct probe_link *pl, uint32_t dpidr)
{
	struct target t;
	struct target_protection p;

	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(t.dpidr, dpidr);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_U(t.clock_hz, 1000000);
	CHECK(!t.under_reset);
}

/* A board power-cycled between two reads on one opened probe: its SWJ-DP
 * is back in JTAG (ADIv5.2 B5.2.1), the line reset of the short way does
 * not reach it, and the attach switches it to SWD again, still at 1 MHz
 * and not under reset. */
TEST(power_cycle_between_reads_on_one_link)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1" FAST);
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	sim_probe_power_cycle(stack_model(pl));
	f401_reads_level1_normally(pl, 0x2BA01477u);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	probe_link_close(pl);
}

/* A debug port left dormant (ADIv6 B5.3; SWJ-DPv2, the F7's) answers no
 * JTAG-to-SWD: the attach wakes it with the selection alert and still
 * connects normally at 1 MHz, not under reset. */
TEST(dormant_dp_is_woken)
{
	static const uint8_t port_on[] = {0x02, 0x01};
	static const uint8_t to_dormant[] = {0x12, 40, 0xFF, 0x75, 0x77, 0x77, 0x67};
	struct probe_link *pl = stack_open("sim:stm32f746zg-rdp1" FAST);
	uint8_t r[64];

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(sim_probe_command(stack_model(pl), port_on, sizeof(port_on), r, sizeof(r)), 2);
	CHECK_EQ_I(sim_probe_command(stack_model(pl), to_dormant, sizeof(to_dormant), r, sizeof(r)), 2);
	f401_reads_level1_normally(pl, 0x5BA02477u);
	probe_link_close(pl);
}

TEST(read_level1)
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
	/* Issue 2's budget: identify + RDP read in at most 8 packets. */
	CHECK(pl->t->packets_sent - before <= 8);
	fprintf(stderr, "  identify + RDP read: %llu packets\n",
		(unsigned long long)(pl->t->packets_sent - before));
	CHECK_STR(t.part->name, "STM32F401xD/E");
	CHECK_STR(t.drv->name, "stm32f4");
	CHECK_EQ_U(t.idcode & 0xFFF, 0x433);
	CHECK_EQ_U(t.flash_kb, 512);
	CHECK_EQ_I(t.core, CORTEXM_M4);
	CHECK_EQ_U(t.dpidr, 0x2BA01477);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK(p.rdp_raw != 0xAA && p.rdp_raw != 0xCC);
	CHECK_EQ_U(t.clock_hz, 1000000);
	CHECK(!t.under_reset);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0); /* reading writes nothing */
	/* The F401's only AP is AP0: no other APSEL is ever tried. */
	CHECK_EQ_U(pl->a.mem_ap, 0);
	CHECK(stack_counters(pl).ap_mem_accesses[0] > 0);
	CHECK_EQ_U(stack_counters(pl).ap_mem_accesses[1], 0);
	probe_link_close(pl);
}

TEST(read_level0)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0" FAST);
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(p.rdp_raw, 0xAA);
	probe_link_close(pl);
}

TEST(level2_never_answers_and_is_never_written)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp2" FAST);

	CHECK(pl != NULL);
	if (!pl)
		return;
	stack_unlock_refused_at_level2(pl);
	CHECK(strstr(err_detail(), "RDP level 2") != NULL);
	CHECK(strstr(err_detail(), "VTref") != NULL);
	probe_link_close(pl);
}

TEST(no_target_says_what_to_check)
{
	struct probe_link *pl = stack_open("sim:no-target");
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), -ERR_TARGET_NOT_RESPONDING);
	CHECK(strstr(err_detail(), "SWDIO") != NULL);
	CHECK(strstr(err_detail(), "nRESET") != NULL);
	probe_link_close(pl);
}

TEST(unlock_level1)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1" FAST);
	struct target t;
	struct job_result res;
	uint32_t before_word;

	CHECK(pl != NULL);
	if (!pl)
		return;
	before_word = stack_peek(pl, 0x08000000);
	CHECK(before_word != 0xFFFFFFFF); /* the profile holds a program */
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	if (*err_detail())
		fprintf(stderr, "  detail: %s\n", err_detail());
	CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.flash_erased);
	CHECK(res.flash_verified_blank);
	CHECK(!res.power_cycle_required);
	CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, 0x0807FFFC), 0xFFFFFFFF);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	probe_link_close(pl);
}

TEST(unlock_level0_erases_nothing)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0" FAST);
	struct target t;
	struct job_result res;
	uint32_t word;

	CHECK(pl != NULL);
	if (!pl)
		return;
	word = stack_peek(pl, 0x08000000);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_before, RDP_LEVEL_0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(!res.flash_erased);
	CHECK_EQ_U(stack_peek(pl, 0x08000000), word);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	probe_link_close(pl);
}

TEST(lock_then_unlock)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp0" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
	CHECK(!res.flash_erased);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF); /* raising the level erases nothing */
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK(p.rdp_raw != 0xCC);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	probe_link_close(pl);
}

TEST(swd_off_firmware_needs_connect_under_reset)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-swd-off-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct target_connect_opts normal = {.mode = TARGET_CONNECT_NORMAL};

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, &normal, &t, &p), -ERR_TARGET_NOT_RESPONDING);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK(t.under_reset);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	probe_link_close(pl);
}

TEST(user_clock_and_mode_are_used)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1" FAST);
	struct target_connect_opts o = {.clock_hz = 4000000, .mode = TARGET_CONNECT_UNDER_RESET};
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, &o, &t, &p), 0);
	CHECK_EQ_U(t.clock_hz, 4000000);
	CHECK(t.under_reset);
	probe_link_close(pl);
}

/* Every DEV_ID of docs/targets/stm32f4.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 30000 ms (a 2 MB F4 erase can take 32 s). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name                    KB  F_SIZE */
		{0xE0042000, 0x411, "STM32F2xx",             1024, 0x1FFF7A22},
		{0xE0042000, 0x413, "STM32F405/407/415/417", 1024, 0x1FFF7A22},
		{0xE0042000, 0x419, "STM32F42x/43x",         2048, 0x1FFF7A22},
		{0xE0042000, 0x423, "STM32F401xB/C",          256, 0x1FFF7A22},
		{0xE0042000, 0x433, "STM32F401xD/E",          512, 0x1FFF7A22},
		{0xE0042000, 0x431, "STM32F411xC/E",          512, 0x1FFF7A22},
		{0xE0042000, 0x421, "STM32F446xx",            512, 0x1FFF7A22},
		{0xE0042000, 0x441, "STM32F412xx",           1024, 0x1FFF7A22},
		{0xE0042000, 0x458, "STM32F410xx",            128, 0x1FFF7A22},
		{0xE0042000, 0x434, "STM32F469/479",         2048, 0x1FFF7A22},
		{0xE0042000, 0x463, "STM32F413/423",         1536, 0x1FFF7A22},
		{0xE0042000, 0x449, "STM32F74x/75x",         1024, 0x1FF0F442},
		{0xE0042000, 0x451, "STM32F76x/77x",         2048, 0x1FF0F442},
		{0xE0042000, 0x452, "STM32F72x/73x",          512, 0x1FF07A22},
	};

	part_cases_check("stm32f4", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 30000);
}

/* Early F4 silicon (rev A) says the F2's DEV_ID 0x411 (docs/targets/stm32f4.md,
 * "Quirks"): the driver takes a Cortex-M4 saying it for an F405/407/415/417;
 * a Cortex-M3 saying it is an F2, and no other id or address is touched. */
TEST(early_f4_reports_the_f2_id)
{
	const struct target_driver *f4 = part_cases_driver("stm32f4"), *drv = NULL;
	const struct target_part *p;
	uint32_t id;

	CHECK(f4 != NULL && f4->idcode_quirk != NULL);
	if (!f4 || !f4->idcode_quirk)
		return;
	id = f4->idcode_quirk(CORTEXM_M4, 0xE0042000, 0x10000411);
	CHECK_EQ_U(id, 0x10000413);
	p = target_find_part_rev(0xE0042000, id, &drv);
	CHECK(p != NULL);
	if (p)
		CHECK_STR(p->name, "STM32F405/407/415/417");
	CHECK_EQ_U(f4->idcode_quirk(CORTEXM_M3, 0xE0042000, 0x20000411), 0x20000411);
	CHECK_EQ_U(f4->idcode_quirk(CORTEXM_M4, 0xE0042000, 0x10000433), 0x10000433);
	CHECK_EQ_U(f4->idcode_quirk(CORTEXM_M4, 0x40015800, 0x10000411), 0x10000411);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		{"sim:stm32f401re-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, NULL},
		{"sim:stm32f746zg-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, NULL},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32f401re-rdp1?time_scale=0.125", 1},  /* F2/F4/F7: none says */
		{"sim:stm32f746zg-rdp1?time_scale=0.0625", 1},
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(part_table);
	RUN(early_f4_reports_the_f2_id);
	RUN(read_with_and_without_atomic_commands);
	RUN(verify_catches_a_word_the_erase_left);
	RUN(power_cycle_between_reads_on_one_link);
	RUN(dormant_dp_is_woken);
	RUN(read_level1);
	RUN(read_level0);
	RUN(level2_never_answers_and_is_never_written);
	RUN(no_target_says_what_to_check);
	RUN(unlock_level1);
	RUN(unlock_level0_erases_nothing);
	RUN(lock_then_unlock);
	RUN(swd_off_firmware_needs_connect_under_reset);
	RUN(user_clock_and_mode_are_used);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
