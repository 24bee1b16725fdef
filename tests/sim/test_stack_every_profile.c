/*
 * Every profile the simulator lists (issue 4: "for every profile"), through
 * the whole stack, with the model as the judge:
 *  - <part>-rdp0: reads level 0;
 *  - <part>-rdp1: reads level 1; the unlock ends at level 0 with exactly one
 *    mass erase and both ends of the flash erased (after the power cycle the
 *    result asked for); the lock then reads level 1 again;
 *  - <part>-rdp0.5: reads 0.5 and unlocks to 0;
 *  - <part>-rdp2: the unlock fails, and nothing was written to the flash
 *    interface;
 *  - parts that rdpd refuses on purpose (H5 product states, an OEM1 key set):
 *    refused with not_supported before any flash-interface write.
 * Every profile runs behind each simulated probe firmware (a DAPLink, an
 * ST-LINK/V2-1: issue 14, "rdpd unlocks and locks every simulator profile
 * through the simulated ST-LINK"). The per-family files test each family in
 * depth; this one makes sure no profile is left out, including the ones
 * added later. It also checks the
 * part tables against the models (and each driver's read-ahead list
 * against what its protection read reads): the core each row names is the core the
 * simulated chip has, and every driver has a simulated part.
 */
#include <stdlib.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.001"

static unsigned ep_profiles;
static const struct target_driver *ep_seen[64]; /* the drivers some profile identified as */
static size_t ep_n_seen;

static void ep_saw(const struct target_driver *d)
{
	for (size_t i = 0; i < ep_n_seen; i++)
		if (ep_seen[i] == d)
			return;
	if (ep_n_seen < sizeof(ep_seen) / sizeof(ep_seen[0]))
		ep_seen[ep_n_seen++] = d;
}

static bool ep_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && strcmp(name + n - s, suffix) == 0;
}

/* The last flash word the job may read back (H7 dual bank, WB CPU2 area),
 * asked of the driver while the link is up. */
static uint32_t ep_last_word(struct target *t)
{
	uint32_t end = t->flash_base + t->flash_kb * 1024u;

	if (t->drv->flash_end)
		CHECK_EQ_I(t->drv->flash_end(t, &end), 0);
	return end - 4;
}

static bool ep_refused_on_purpose(const char *name, const struct target *t)
{
	return strstr(name, "-oem1-") != NULL || (t->drv && strcmp(t->drv->name, "stm32h5") == 0);
}

static void ep_level1(struct probe_link *pl, const char *name)
{
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t last;
	int rc;

	memset(&t, 0, sizeof(t));
	rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);
	CHECK_EQ_I(rc, 0);
	if (rc)
		return;
	CHECK(strcmp(t.drv->name, "stm32h5") == 0 || p.level == RDP_LEVEL_1);
	rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
	if (ep_refused_on_purpose(name, &t)) {
		CHECK_EQ_I(rc, -ERR_NOT_SUPPORTED);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		return;
	}
	CHECK_EQ_I(rc, 0);
	if (rc) {
		fprintf(stderr, "  %s unlock: %s\n", name, err_detail());
		return;
	}
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(res.flash_verified_blank || res.power_cycle_required);
	last = ep_last_word(&t);
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, t.flash_base), t.drv->erased_word);
	CHECK_EQ_U(stack_peek(pl, last), t.drv->erased_word);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	/* And back to level 1, which erases nothing; a Kinetis refuses
	 * (securing it rewrites its first flash sector: targets/kinetis.c). */
	if (strcmp(t.drv->name, "kinetis") == 0) {
		uint64_t writes = stack_counters(pl).flash_if_writes;

		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, writes);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		return;
	}
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
}

/* The probes every profile runs behind: URI options after FAST. */
/* Packets one lone register read of AP APSEL costs on PL's probe right
 * after an attach: BASE, read-only on a MEM-AP and reserved (reads 0) on a
 * control port, not IDR, which an ST-LINK from V2J28 reads without opening
 * the AP first (INIT_AP, once per ENTER: part of the cost). */
static uint64_t ep_ap_batch_packets(struct probe_link *pl, uint8_t apsel)
{
	uint64_t before = pl->t->packets_sent;
	uint32_t base = 0;

	adiv5_ap_read(&pl->a, apsel, AP_BASE, &base);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	return pl->t->packets_sent - before;
}

/* The words a driver lists for read ahead (target_driver.protection_words)
 * are all its protection read needs: after the attach, that read costs no
 * transfer, or, for a driver whose state is an AP register
 * (protection_ap), one batch as a lone read of that AP costs. A list that
 * misses one (or a driver that reads more than it lists) costs more, and
 * fails here. */
static void ep_read_ahead(struct probe_link *pl)
{
	struct target t;
	struct target_protection p;
	uint64_t before, allowed = 0;

	if (target_attach(&pl->a, NULL, &t) != 0) {
		CHECK(false);
		return;
	}
	if (t.drv->protection_ap) {
		allowed = ep_ap_batch_packets(pl, t.drv->protection_ap);
		CHECK(allowed > 0);
		CHECK_EQ_I(target_attach(&pl->a, NULL, &t), 0);
	}
	before = pl->t->packets_sent;
	CHECK_EQ_I(target_read_protection(&t, &p), 0);
	CHECK_EQ_U(pl->t->packets_sent - before, allowed);
}

static const char *const ep_probes[] = {"", "&probe=stlink-v2-1"};

static void ep_one(const char *name, const char *probe)
{
	char uri[160];
	struct probe_link *pl;
	struct target t;
	struct target_protection p;
	struct job_result res;

	snprintf(uri, sizeof(uri), "sim:%s" FAST "%s", name, probe);
	pl = stack_open(uri);
	CHECK(pl != NULL);
	if (!pl)
		return;
	ep_profiles++;
	if (sim_probe_multidrop(stack_model(pl)) && !dp_can_select_target(&pl->a)) {
		/* The ST-LINK's firmware cannot select a DP on a multidrop bus:
		 * the read says so, and which probe can. */
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), -ERR_TARGET_NOT_RESPONDING);
		CHECK(strstr(err_detail(), "multidrop SWD bus (RP2040)") != NULL);
	} else if (ep_suffix(name, "-rdp0")) {
		int rc = unlock_job_read_rdp(&pl->a, NULL, &t, &p);

		CHECK_EQ_I(rc, 0);
		if (rc == 0) {
			CHECK(strcmp(t.drv->name, "stm32h5") == 0 || p.level == RDP_LEVEL_0);
			/* The row's core is the one the chip's CPUID names. */
			CHECK_EQ_I(t.part->core, t.core);
			ep_saw(t.drv);
			ep_read_ahead(pl);
		}
	} else if (ep_suffix(name, "-rdp0.5")) {
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0_5);
		if (strstr(name, "-oem1-") == NULL) {
			CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
			CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		}
	} else if (ep_suffix(name, "-rdp1")) {
		ep_level1(pl, name);
	} else if (ep_suffix(name, "-rdp2")) {
		CHECK(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res) < 0);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 2);
	} else {
		ep_profiles--; /* no-target: test_stack_f401.c's */
	}
	probe_link_close(pl);
}

int main(void)
{
	for (size_t k = 0; k < sizeof(ep_probes) / sizeof(ep_probes[0]); k++)
		for (size_t i = 0; i < sim_profiles_count(); i++) {
			const char *name = sim_profiles_name(i);
			char label[128];

			/* EP_PROFILE=stm32l476rg-rdp1 runs that one alone. */
			if (getenv("EP_PROFILE") && strcmp(getenv("EP_PROFILE"), name) != 0)
				continue;
			snprintf(label, sizeof(label), "%s%s", name, ep_probes[k]);
			check_current_name = label;
			check_current_failed = 0;
			ep_one(name, ep_probes[k]);
			if (check_current_failed) {
				fprintf(stderr, "not ok %s\n", label);
				check_tests_failed++;
			} else {
				check_tests_passed++;
			}
		}
	fprintf(stderr, "  %u profile runs through the whole stack (%zu probe kinds)\n", ep_profiles,
		sizeof(ep_probes) / sizeof(ep_probes[0]));
	/* Every driver of the table has a simulated part (all profiles run). */
	if (!getenv("EP_PROFILE")) {
		check_current_name = "every_driver_has_a_profile";
		check_current_failed = 0;
		for (size_t i = 0; i < target_driver_count(); i++) {
			bool seen = false;

			for (size_t k = 0; k < ep_n_seen; k++)
				seen |= ep_seen[k] == target_driver_at(i);
			if (!seen)
				fprintf(stderr, "  no profile identifies as %s\n", target_driver_at(i)->name);
			CHECK(seen);
		}
		if (check_current_failed)
			check_tests_failed++;
		else
			check_tests_passed++;
	}
	return check_summary();
}
