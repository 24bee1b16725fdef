/*
 * NXP Kinetis (sim_kinetis.c, targets/kinetis.c) through the whole stack:
 * a secured part shows only its MDM-AP, is named by it and reported at
 * level 1, or level 2 where mass erase is disabled (FSEC.MEEN), which is
 * refused with nothing written; the unlock is the MDM-AP mass erase under
 * reset (AN4835 §4.2.1), then FSEC = 0xFE programmed so that the part
 * stays unsecure after the next reset, as a bare erase would not; a lock
 * is refused (it would rewrite the first flash sector). On a CMSIS-DAP
 * probe and on an ST-LINK.
 */
#include <string.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.01"
#define FSEC_ADDR 0x40Cu

static const char *const probes[] = {"", "&probe=stlink-v2-1"};
static const char *const parts[] = {"mkl25z128", "mk64fn1m0"};
static const char *const names[] = {"MKL25Z128", "MK64FN1M0"};

static struct probe_link *k_open(const char *part, const char *level, const char *probe)
{
	char uri[160];

	snprintf(uri, sizeof(uri), "sim:%s-%s" FAST "%s", part, level, probe);
	return stack_open(uri);
}

TEST(secured_part_named_by_its_mdm_ap)
{
	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			struct probe_link *pl = k_open(parts[i], "rdp1", probes[k]);
			struct target t;
			struct target_protection p;

			CHECK(pl != NULL);
			if (!pl)
				continue;
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
			CHECK_STR(t.drv->name, "kinetis");
			CHECK_STR(t.drv->scheme, "kinetis-fsec");
			CHECK(strstr(t.part->name, "part hidden") != NULL);
			CHECK(t.chip_id_name && strcmp(t.chip_id_name, "MDM-AP.IDR") == 0);
			CHECK_EQ_U(t.chip_id, i == 0 ? 0x001C0020u : 0x001C0000u);
			CHECK_EQ_I(p.level, RDP_LEVEL_1);
			CHECK(p.state && strstr(p.state, "System Security = 1") != NULL);
			probe_link_close(pl);
		}
}

TEST(open_part_read_from_sim_sdid)
{
	for (size_t i = 0; i < 2; i++) {
		struct probe_link *pl = k_open(parts[i], "rdp0", "");
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.part->name, names[i]);
		CHECK(t.chip_id_name && strcmp(t.chip_id_name, "SIM.SDID") == 0);
		CHECK(t.has_uid);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, 0xFE);
		CHECK_EQ_U(stack_option(&p, "flash_fsec"), stack_peek(pl, FSEC_ADDR) & 0xFF);
		CHECK(!stack_has_option(&p, "rdp_stored", NULL));
		probe_link_close(pl);
	}
}

/* One mass erase; FSEC programmed 0xFE; unsecure after a power cycle. */
TEST(unlock_erases_once_and_holds_after_power_on)
{
	for (size_t i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof(probes) / sizeof(probes[0]); k++) {
			struct probe_link *pl = k_open(parts[i], "rdp1", probes[k]);
			struct target t;
			struct target_protection p;
			struct job_result res;
			int rc;

			CHECK(pl != NULL);
			if (!pl)
				continue;
			rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
			CHECK_EQ_I(rc, 0);
			if (rc)
				fprintf(stderr, "  %s%s: %s\n", parts[i], probes[k], err_detail());
			CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
			CHECK(res.flash_erased);
			CHECK(!res.relocks_at_reset);
			CHECK(!res.power_cycle_required);
			CHECK_STR(t.part->name, names[i]);
			CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
			CHECK_EQ_U(stack_peek(pl, FSEC_ADDR) & 0xFF, 0xFE);
			CHECK_EQ_U(stack_peek(pl, 0), 0xFFFFFFFFu);
			sim_probe_power_cycle(stack_model(pl));
			CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
			CHECK_EQ_I(p.level, RDP_LEVEL_0);
			probe_link_close(pl);
		}
}

/* The other reading of the manuals (fcf=erased): the erase leaves FSEC
 * at 0x40C erased, which would secure the part at its next reset; rdpd
 * programs it 0xFE before it lets the chip go, and the unlock holds. */
TEST(erase_that_leaves_fsec_blank_is_completed)
{
	for (size_t i = 0; i < 2; i++) {
		struct probe_link *pl = k_open(parts[i], "rdp1", "&fcf=erased");
		struct target t;
		struct job_result res;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		CHECK_EQ_I(rc, 0);
		if (rc)
			fprintf(stderr, "  %s: %s\n", parts[i], err_detail());
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(!res.relocks_at_reset);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		CHECK(stack_counters(pl).flash_if_writes > 0);
		CHECK_EQ_U(stack_peek(pl, FSEC_ADDR), 0xFFFFFFFEu);
		CHECK_EQ_U(stack_peek(pl, FSEC_ADDR - 4), 0xFFFFFFFFu);
		sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		probe_link_close(pl);
	}
}

/* Mass erase disabled: level 2, refused before anything is written. */
TEST(mass_erase_disabled_is_level_2)
{
	struct probe_link *pl = k_open("mkl25z128", "rdp2", "");
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_2);
	CHECK(p.state && strstr(p.state, "Mass Erase Enable = 0") != NULL);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), -ERR_RDP_LEVEL2_PERMANENT);
	CHECK(strstr(err_detail(), "Nothing was written") != NULL);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

TEST(lock_refused_nothing_written)
{
	struct probe_link *pl = k_open("mk64fn1m0", "rdp0", "");
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "Nothing was written") != NULL);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_peek(pl, FSEC_ADDR) & 0xFF, 0xFE);
	probe_link_close(pl);
}

/* A job cut short (the probe unplugged) can leave MDM-AP System Reset
 * Request set: the chip stays in reset until a power-on. The next read
 * releases it and names the part. */
TEST(reset_request_left_set_is_released)
{
	struct probe_link *pl = k_open("mkl25z128", "rdp0", "");
	struct target t;
	struct target_protection p;
	uint32_t ctrl = 0xFF;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(dp_connect(&pl->a, 1000000, false), 0);
	adiv5_ap_write(&pl->a, 1, 0x04, 0x08);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "MKL25Z128");
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	adiv5_ap_read(&pl->a, 1, 0x04, &ctrl);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(ctrl, 0);
	probe_link_close(pl);
}

int main(void)
{
	RUN(secured_part_named_by_its_mdm_ap);
	RUN(open_part_read_from_sim_sdid);
	RUN(unlock_erases_once_and_holds_after_power_on);
	RUN(erase_that_leaves_fsec_blank_is_completed);
	RUN(mass_erase_disabled_is_level_2);
	RUN(lock_refused_nothing_written);
	RUN(reset_request_left_set_is_released);
	return check_summary();
}
