/*
 * Nordic nRF52 (sim_nrf52.c, targets/nrf52.c) through the whole stack:
 * a protected part shows only its CTRL-AP (nRF52840 PS, "CTRL-AP"), is
 * named by it and reported at level 1 in Nordic's words; the unlock is one
 * ERASEALL, after which the part is read from FICR; the older scheme stays
 * open after the reset, a hardened part (build code F0) is left open until
 * its next reset and says so; a lock writes UICR.APPROTECT and resets. On
 * a CMSIS-DAP probe and on an ST-LINK, whose firmware reaches the CTRL-AP
 * through its AP register commands.
 */
#include <string.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.01"
#define UICR_APPROTECT 0x10001208u

static const char *const probes[] = {"", "&probe=stlink-v2-1", "&probe=stlink-v3"};

static struct probe_link *nrf_open(const char *profile, const char *probe)
{
	char uri[160];

	snprintf(uri, sizeof(uri), "sim:%s" FAST "%s", profile, probe);
	return stack_open(uri);
}

TEST(protected_part_named_by_its_ctrl_ap)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct probe_link *pl = nrf_open("nrf52840-rdp1", probes[i]);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "nrf52");
		CHECK_STR(t.drv->scheme, "nrf-approtect");
		CHECK(strstr(t.part->name, "part hidden") != NULL);
		CHECK(t.chip_id_name && strcmp(t.chip_id_name, "CTRL-AP.IDR") == 0);
		CHECK_EQ_U(t.chip_id, 0x02880000u);
		CHECK(!t.has_uid);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK(p.state && strstr(p.state, "APPROTECTSTATUS = 0") != NULL);
		CHECK_EQ_U(stack_option(&p, "ctrlap_approtectstatus"), 0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		probe_link_close(pl);
	}
}

TEST(open_part_read_from_ficr)
{
	static const struct { const char *profile, *name; unsigned kb; } parts[] = {
		{"nrf52832-rdp0", "nRF52832", 512}, {"nrf52840-rdp0", "nRF52840", 1024},
		{"nrf52840f0-rdp0", "nRF52840", 1024},
	};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct probe_link *pl = nrf_open(parts[i].profile, "");
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.part->name, parts[i].name);
		CHECK_EQ_U(t.flash_kb, parts[i].kb);
		CHECK(t.chip_id_name && strcmp(t.chip_id_name, "FICR.INFO.PART") == 0);
		CHECK(t.has_uid);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(stack_option(&p, "ctrlap_approtectstatus"), 1);
		CHECK_EQ_U(p.rdp_raw, stack_peek(pl, UICR_APPROTECT) & 0xFF);
		probe_link_close(pl);
	}
}

/* The older scheme: one ERASEALL, the CTRL-AP reset, open for good. */
TEST(unlock_erases_once_and_stays_open)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct probe_link *pl = nrf_open("nrf52832-rdp1", probes[i]);
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		CHECK(!res.relocks_at_reset);
		CHECK(!res.power_cycle_required);
		CHECK_STR(t.part->name, "nRF52832");
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK_EQ_U(stack_peek(pl, UICR_APPROTECT), 0xFFFFFFFFu);
		CHECK_EQ_U(stack_peek(pl, 0), 0xFFFFFFFFu);
		/* A power cycle keeps it open: the UICR says Disabled. */
		sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		probe_link_close(pl);
	}
}

/* A hardened part: ERASEALL, then UICR.APPROTECT = HwDisabled with no
 * reset; open now, closed again at its next reset (no firmware writes
 * APPROTECT.DISABLE on an erased chip), and the job says so. */
TEST(hardened_unlock_open_until_reset)
{
	struct probe_link *pl = nrf_open("nrf52840f0-rdp1", "");
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.relocks_at_reset);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, UICR_APPROTECT) & 0xFF, 0x5A);
	sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	probe_link_close(pl);
}

TEST(lock_writes_uicr_and_resets)
{
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct probe_link *pl = nrf_open("nrf52840-rdp0", probes[i]);
		struct target t;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK_EQ_U(stack_peek(pl, UICR_APPROTECT) & 0xFF, 0x00);
		CHECK(strstr(t.part->name, "part hidden") != NULL);
		/* And back: the unlock from there erases once. */
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		probe_link_close(pl);
	}
}

int main(void)
{
	RUN(protected_part_named_by_its_ctrl_ap);
	RUN(open_part_read_from_ficr);
	RUN(unlock_erases_once_and_stays_open);
	RUN(hardened_unlock_open_until_reset);
	RUN(lock_writes_uicr_and_resets);
	return check_summary();
}
