/*
 * The Raspberry Pi RP2040 (sim_rp2040.c, targets/rp2040.c): a chip with no
 * read protection on an SWD multidrop bus. Its debug port wakes dormant and
 * answers only once a TARGETSEL write has selected it (ADIv5.2 B4.3.4;
 * RP2040 datasheet §2.3.4): first at the wire, through raw CMSIS-DAP
 * commands to the simulated DAPLink, then through the whole stack: rdpd
 * finds it with no target named, reports it open under the scheme "none",
 * has nothing to unlock and refuses to lock it; an ST-LINK, which cannot
 * select a DP on such a bus, gets a sentence saying which probe can.
 */
#include <string.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.001"
#define RP_TARGETSEL 0x01002927u

/* ---- the wire, as raw CMSIS-DAP commands to the simulated DAPLink ---- */

static size_t rp_cmd(struct sim_probe *sp, const uint8_t *req, size_t len, uint8_t *rsp)
{
	int n = sim_probe_command(sp, req, len, rsp, 512);

	return n < 0 ? 0 : (size_t)n;
}

/* 64 cycles: 56 high then 8 low, a line reset (ADIv5.2 B4.3.3). */
static void rp_line_reset(struct sim_probe *sp)
{
	static const uint8_t req[] = {0x12, 64, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
	uint8_t rsp[512];

	rp_cmd(sp, req, sizeof(req), rsp);
}

/* JTAG-to-dormant then dormant-to-SWD (ADIv5.2 B5.3), ending in a line reset. */
static void rp_wake(struct sim_probe *sp)
{
	static const uint8_t to_dormant[] = {0x12, 40, 0xFF, 0x75, 0x77, 0x77, 0x67};
	static const uint8_t to_swd[] = {0x12, 224, 0xFF, 0x92, 0xF3, 0x09, 0x62,
					 0x95, 0x2D, 0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC,
					 0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
	uint8_t rsp[512];

	rp_cmd(sp, to_dormant, sizeof(to_dormant), rsp);
	rp_cmd(sp, to_swd, sizeof(to_swd), rsp);
}

/* TARGETSEL as OpenOCD sends it: DAP_SWD_Sequence, 8 out, 5 in, 33 out. */
static void rp_targetsel(struct sim_probe *sp, uint32_t v, unsigned parity)
{
	uint8_t req[] = {0x1D, 3, 8, 0x99, 0x85, 33, (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24), (uint8_t)parity};
	uint8_t rsp[512];

	CHECK_EQ_U(rp_cmd(sp, req, sizeof(req), rsp), 3);
	CHECK_EQ_U(rsp[1], 0); /* DAP_OK: the probe sent it; no DP acknowledges it */
}

/* DP DPIDR read by DAP_Transfer: the ACK (bits 2:0 of the response's
 * status byte) and *DPIDR. */
static unsigned rp_dpidr(struct sim_probe *sp, uint32_t *dpidr)
{
	static const uint8_t req[] = {0x05, 0, 1, 0x02};
	uint8_t rsp[512];
	size_t n = rp_cmd(sp, req, sizeof(req), rsp);

	*dpidr = n >= 7 ? (uint32_t)rsp[3] | (uint32_t)rsp[4] << 8 | (uint32_t)rsp[5] << 16 | (uint32_t)rsp[6] << 24
			: 0;
	return n >= 3 ? rsp[2] & 7u : 0;
}

TEST(dp_answers_only_once_selected)
{
	static const uint8_t connect[] = {0x02, 0x01};
	struct sim_probe *sp = NULL;
	uint8_t rsp[512];
	uint32_t id = 0;

	CHECK_EQ_I(sim_probe_create("rp2040-rdp0", NULL, &sp), 0);
	if (!sp)
		return;
	rp_cmd(sp, connect, sizeof(connect), rsp);
	/* Powered up dormant: a JTAG-to-SWD switch and a line reset wake nothing. */
	{
		static const uint8_t jtag_to_swd[] = {0x12, 136, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E,
						      0xE7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};

		rp_cmd(sp, jtag_to_swd, sizeof(jtag_to_swd), rsp);
	}
	CHECK_EQ_U(rp_dpidr(sp, &id), 7);
	/* Awake but not selected: still nothing drives the ACK. */
	rp_wake(sp);
	CHECK_EQ_U(rp_dpidr(sp, &id), 7);
	/* Another DP's TARGETSEL (core 1's instance), a bad parity: deselected. */
	rp_line_reset(sp);
	rp_targetsel(sp, RP_TARGETSEL | 0x10000000u, 1);
	CHECK_EQ_U(rp_dpidr(sp, &id), 7);
	rp_line_reset(sp);
	rp_targetsel(sp, RP_TARGETSEL, 1);
	CHECK_EQ_U(rp_dpidr(sp, &id), 7);
	/* Core 0's, with its parity: DPIDR answers. */
	rp_line_reset(sp);
	rp_targetsel(sp, RP_TARGETSEL, 0);
	CHECK_EQ_U(rp_dpidr(sp, &id), 1);
	CHECK_EQ_U(id, 0x0BC12477u);
	/* A line reset deselects again until the next TARGETSEL. */
	rp_line_reset(sp);
	CHECK_EQ_U(rp_dpidr(sp, &id), 7);
	sim_probe_destroy(sp);
}

/* ---- the whole stack ---- */

static struct probe_link *rp_open(const char *probe)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:rp2040-rdp0" FAST "%s", probe);
	return stack_open(uri);
}

TEST(identified_on_the_multidrop_bus)
{
	struct probe_link *pl = rp_open("");
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.drv->name, "rp2040");
	CHECK_STR(t.part->name, "RP2040");
	CHECK_STR(t.drv->scheme, "none");
	CHECK_EQ_I(t.core, CORTEXM_M0PLUS);
	CHECK_EQ_U(pl->a.targetsel, RP_TARGETSEL);
	CHECK_EQ_U(t.dpidr, 0x0BC12477u);
	CHECK(t.chip_id_name != NULL && strcmp(t.chip_id_name, "SYSINFO.CHIP_ID") == 0);
	CHECK_EQ_U(t.chip_id, 0x20002927u);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK(p.state != NULL && strstr(p.state, "no read-out or debug protection") != NULL);
	/* The same opened probe reads it again; so does one after a power
	 * cycle, which puts the DPs back to dormant. */
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "RP2040");
	probe_link_close(pl);
}

TEST(nothing_to_unlock_and_lock_refused)
{
	struct probe_link *pl = rp_open("");
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(!res.flash_erased);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "no read protection to set") != NULL);
	CHECK(strstr(err_detail(), "Nothing was written") != NULL);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

TEST(stlink_cannot_select_it)
{
	struct probe_link *pl = rp_open("&probe=stlink-v2-1");
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK(!dp_can_select_target(&pl->a));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), -ERR_TARGET_NOT_RESPONDING);
	CHECK(strstr(err_detail(), "needs a probe that can select it: a CMSIS-DAP probe") != NULL);
	probe_link_close(pl);
}

/* A CMSIS-DAP firmware older than 1.2 has no DAP_SWD_Sequence (it answers
 * 0xFF): the RP2040 behind it, like an empty connector, is silence, not a
 * probe failure. */
TEST(old_firmware_without_swd_sequence)
{
	static const char *const uris[] = {"sim:rp2040-rdp0" FAST "&swd_sequence=0",
					   "sim:no-target" FAST "&swd_sequence=0"};

	for (size_t i = 0; i < 2; i++) {
		struct probe_link *pl = stack_open(uris[i]);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), -ERR_TARGET_NOT_RESPONDING);
		CHECK(strstr(err_detail(), "does not answer on SWD") != NULL);
		probe_link_close(pl);
	}
}

/* A point-to-point chip never gets a TARGETSEL: the multidrop pass runs
 * only once nothing answered. */
TEST(point_to_point_chips_are_not_selected)
{
	struct probe_link *pl = stack_open("sim:stm32f401re-rdp1" FAST);
	struct target t;
	struct target_protection p;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(pl->a.targetsel, 0);
	probe_link_close(pl);
}

int main(void)
{
	RUN(dp_answers_only_once_selected);
	RUN(identified_on_the_multidrop_bus);
	RUN(nothing_to_unlock_and_lock_refused);
	RUN(stlink_cannot_select_it);
	RUN(old_firmware_without_swd_sequence);
	RUN(point_to_point_chips_are_not_selected);
	return check_summary();
}
