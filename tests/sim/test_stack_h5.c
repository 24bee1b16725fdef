/*
 * The whole driver stack against the simulated STM32H563ZI: identified,
 * its product state read and named, every change refused before any write.
 * Profiles: rdp0 = OPEN, rdp1 = CLOSED, rdp2 = LOCKED (sim_stm32h5.c).
 * The model puts the Cortex-M33 behind AP1, as the silicon does, and AP0
 * (debug authentication) reaches DBGMCU only: the stack must find AP1.
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"

#define FAST "?time_scale=0.001"

TEST(open_is_level0_and_lock_is_refused)
{
	struct probe_link *pl = stack_open("sim:stm32h563zi-rdp0" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.drv->name, "stm32h5");
	CHECK_STR(t.part->name, "STM32H562/563/573");
	CHECK_EQ_U(t.idcode & 0xFFF, 0x484);
	CHECK_EQ_I(t.core, CORTEXM_M33);
	CHECK_EQ_U(t.flash_kb, 2048);
	CHECK_EQ_U(t.dpidr, 0x0BE12477);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(stack_option(&p, "product_state"), 0xED);
	CHECK_EQ_U((stack_option(&p, "optsr_cur") >> 8) & 0xFF, 0xED);
	/* Unlocking an OPEN chip has nothing to do; locking is not offered. */
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "product state OPEN") != NULL);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	probe_link_close(pl);
}

TEST(closed_is_named_and_unlock_refused)
{
	struct probe_link *pl = stack_open("sim:stm32h563zi-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_UNKNOWN);
	CHECK_EQ_U(p.rdp_raw, 0x72);
	CHECK_EQ_U(stack_option(&p, "product_state"), 0x72);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "product state CLOSED (0x72)") != NULL);
	CHECK(strstr(err_detail(), "debug authentication") != NULL);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	probe_link_close(pl);
}

TEST(locked_never_answers)
{
	struct probe_link *pl = stack_open("sim:stm32h563zi-rdp2" FAST);
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res),
		   -ERR_TARGET_NOT_RESPONDING);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

/* Identification tries AP0 once (its bus refuses the CPUID read), finds
 * the core on AP1, and every later access goes there. */
TEST(core_found_on_ap1_and_kept)
{
	struct probe_link *pl = stack_open("sim:stm32h563zi-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct sim_counters c0, c1, c2;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(target_attach(&pl->a, NULL, &t), 0);
	CHECK_EQ_U(pl->a.mem_ap, 1);
	CHECK_EQ_U(t.idcode & 0xFFF, 0x484);
	CHECK_EQ_I(t.core, CORTEXM_M33);
	c0 = stack_counters(pl);
	CHECK_EQ_U(c0.ap_mem_accesses[0], 1); /* the refused CPUID read */
	/* CPUID, DBGMCU_IDCODE at 0xE0044000, F_SIZE, the three UID words and
	 * the four option registers read ahead (docs/adiv5.md, "Read ahead"). */
	CHECK_EQ_U(c0.ap_mem_accesses[1], 10);
	CHECK_EQ_U(c0.ap_mem_accesses[2] + c0.ap_mem_accesses[3], 0);

	CHECK_EQ_I(t.drv->read_protection(&t, &p), 0);
	CHECK_EQ_U(p.rdp_raw, 0x72);
	CHECK_EQ_U(stack_option(&p, "product_state"), 0x72);
	c1 = stack_counters(pl);
	CHECK_EQ_U(c1.ap_mem_accesses[0], c0.ap_mem_accesses[0]);
	CHECK_EQ_U(c1.ap_mem_accesses[1], c0.ap_mem_accesses[1]); /* all read ahead, through AP1 */

	/* A reconnect keeps AP1: halting and reading again never touch AP0. */
	CHECK_EQ_I(target_reattach(&t), 0);
	CHECK_EQ_I(cortexm_halt(&pl->a), 0);
	CHECK_EQ_I(t.drv->read_protection(&t, &p), 0);
	CHECK_EQ_U(p.rdp_raw, 0x72);
	c2 = stack_counters(pl);
	CHECK_EQ_U(c2.ap_mem_accesses[0], c0.ap_mem_accesses[0]);
	CHECK(c2.ap_mem_accesses[1] > c1.ap_mem_accesses[1]);
	CHECK_EQ_U(pl->a.mem_ap, 1);
	probe_link_close(pl);
}

/* Under reset the core is halted before identification: the AP that can
 * do it is found by IDR (AP0 is an APB-AP), then used throughout. */
TEST(under_reset_finds_ap1)
{
	struct probe_link *pl = stack_open("sim:stm32h563zi-rdp0" FAST);
	struct target_connect_opts o = {.mode = TARGET_CONNECT_UNDER_RESET};
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(target_attach(&pl->a, &o, &t), 0);
	CHECK(t.under_reset);
	CHECK_EQ_U(pl->a.mem_ap, 1);
	CHECK_EQ_U(stack_counters(pl).ap_mem_accesses[0], 1); /* the refused DHCSR write */
	CHECK_EQ_U(stack_peek(pl, 0xE000EDF0u) & 0x00020000u, 0x00020000u); /* S_HALT */
	CHECK_EQ_I(t.drv->read_protection(&t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_U(stack_option(&p, "product_state"), 0xED);
	CHECK_EQ_U(stack_counters(pl).ap_mem_accesses[0], 1);
	probe_link_close(pl);
}

/* Every DEV_ID of docs/targets/stm32h5.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 30000 ms (not used: rdpd changes no H5 product state). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name                KB  F_SIZE */
		{0xE0044000, 0x484, "STM32H562/563/573", 2048, 0x08FFF80C},
		{0xE0044000, 0x474, "STM32H503",          128, 0x08FFF80C},
		{0xE0044000, 0x478, "STM32H523/533",      512, 0x08FFF80C},
		{0x44024000, 0x484, "STM32H562/563/573", 2048, 0x08FFF80C},
		{0x44024000, 0x474, "STM32H503",          128, 0x08FFF80C},
		{0x44024000, 0x478, "STM32H523/533",      512, 0x08FFF80C},
	};

	part_cases_check("stm32h5", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 30000);
}

int main(void)
{
	RUN(part_table);
	RUN(open_is_level0_and_lock_is_refused);
	RUN(closed_is_named_and_unlock_refused);
	RUN(locked_never_answers);
	RUN(core_found_on_ap1_and_kept);
	RUN(under_reset_finds_ap1);
	return check_summary();
}
