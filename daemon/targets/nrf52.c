/*
 * nrf52.c - Nordic nRF52 (nRF52832, nRF52833, nRF52840): access port
 * protection (APPROTECT), scheme "nrf-approtect".
 *
 * References (constants and sources: docs/targets/nrf52.md):
 *   nRF52832 PS v1.8 / nRF52840 PS v1.8, "CTRL-AP - Control access port":
 *   a second AP (APSEL 1, IDR 0x02880000) that answers whatever the
 *   protection: RESET 0x000, ERASEALL 0x004, ERASEALLSTATUS 0x008,
 *   APPROTECTSTATUS 0x00C (0: protection enabled). ERASEALL erases the
 *   flash, the UICR and the RAM, which is the only way to open a protected
 *   part. "UICR": APPROTECT at 0x10001208, PALL [7:0]: 0xFF Disabled, 0x00
 *   Enabled, 0x5A HwDisabled on parts whose protection is "controlled by
 *   hardware and software". "FICR": INFO.PART 0x10000100, INFO.VARIANT
 *   0x10000104, INFO.FLASH 0x10000110 (KB), DEVICEID[0..1] 0x10000060.
 *   "NVMC": READY 0x4001E400, CONFIG 0x4001E504 (WEN 0 Ren, 1 Wen).
 *   Nordic, "Managing access port protection": on the newer build codes
 *   a reset closes the port again unless UICR.APPROTECT is HwDisabled and
 *   the firmware writes SwDisable to APPROTECT.DISABLE at every start.
 *
 * A protected part shows the debugger nothing but its CTRL-AP: the
 * locked row is named by the CTRL-AP's IDR, and the part (FICR) is read
 * once the erase has opened the port.
 */
#include "targets/target.h"

#include "err.h"

extern const struct target_driver nrf52_driver;

#define NRF52_CTRL_AP 1u
#define NRF52_CTRL_AP_IDR 0x02880000u
#define NRF52_CTRL_RESET 0x000u
#define NRF52_CTRL_ERASEALL 0x004u
#define NRF52_CTRL_ERASEALLSTATUS 0x008u
#define NRF52_CTRL_APPROTECTSTATUS 0x00Cu
#define NRF52_FICR_DEVICEID0 0x10000060u
#define NRF52_FICR_INFO_PART 0x10000100u
#define NRF52_FICR_INFO_VARIANT 0x10000104u
#define NRF52_FICR_INFO_FLASH 0x10000110u
#define NRF52_UICR_APPROTECT 0x10001208u
#define NRF52_NVMC_READY 0x4001E400u
#define NRF52_NVMC_CONFIG 0x4001E504u
#define NRF52_NVMC_REN 0u
#define NRF52_NVMC_WEN 1u
#define NRF52_PALL_DISABLED 0xFFu
#define NRF52_PALL_HW_DISABLED 0x5Au
#define NRF52_PALL_ENABLED 0x00u
#define NRF52_ROM_DESIGNER 0x244u /* JEP106 bank 3, 0x44: Nordic */
#define NRF52_POLL_MS 10
#define NRF52_NVMC_MAX_MS 100 /* one word: 41 us (PS "tWRITE") */

/* flags: the first build-code letter (INFO.VARIANT [15:8]) whose APPROTECT
 * is controlled by hardware and software; 0 on the locked row. uid_addr:
 * FICR DEVICEID, a 64-bit ID (docs/uid.md). */
#define NRF52_UID { NRF52_FICR_DEVICEID0, NRF52_FICR_DEVICEID0 + 4u, 0 }
static const struct target_part nrf52_parts[] = {
	{ .name = "nRF52 (APPROTECT on: part hidden until erased)", .core = CORTEXM_M4,
	  .erase_typ_ms = 200, .erase_max_ms = 15000, .openocd_target = "target/nrf52.cfg" },
	{ .name = "nRF52832", .core = CORTEXM_M4, .flash_kb_max = 512, .flags = 'G', .uid_addr = NRF52_UID,
	  .erase_typ_ms = 200, .erase_max_ms = 15000, .openocd_target = "target/nrf52.cfg" },
	{ .name = "nRF52833", .core = CORTEXM_M4, .flash_kb_max = 512, .flags = 'B', .uid_addr = NRF52_UID,
	  .erase_typ_ms = 200, .erase_max_ms = 15000, .openocd_target = "target/nrf52.cfg" },
	{ .name = "nRF52840", .core = CORTEXM_M4, .flash_kb_max = 1024, .flags = 'F', .uid_addr = NRF52_UID,
	  .erase_typ_ms = 200, .erase_max_ms = 15000, .openocd_target = "target/nrf52.cfg" },
};

/* FICR INFO.PART of the rows after the locked one, in their order. */
static const uint32_t nrf52_info_part[] = { 0x52832u, 0x52833u, 0x52840u };

#define NRF52_LOCKED (&nrf52_parts[0])
#define NRF52_NPARTS (sizeof(nrf52_info_part) / sizeof(nrf52_info_part[0]))

static const struct target_part *nrf52_part_of(uint32_t info_part)
{
	for (size_t i = 0; i < NRF52_NPARTS; i++)
		if (nrf52_info_part[i] == info_part)
			return &nrf52_parts[i + 1];
	return NULL;
}

/* The hardware-and-software scheme, from the build code: INFO.VARIANT
 * holds four ASCII characters, the build code's letter in [15:8]. */
static bool nrf52_hardened(const struct target *t, uint32_t variant)
{
	uint8_t code = (uint8_t)(variant >> 8);

	return t->part->flags && code >= 'A' && code <= 'Z' && code >= t->part->flags;
}

static int nrf52_ctrl_read(struct target *t, uint8_t reg, uint32_t *val)
{
	int rc;

	adiv5_ap_read(t->a, NRF52_CTRL_AP, reg, val);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading CTRL-AP register 0x%03x: ", reg);
	return 0;
}

static int nrf52_ctrl_write(struct target *t, uint8_t reg, uint32_t val)
{
	int rc;

	adiv5_ap_write(t->a, NRF52_CTRL_AP, reg, val);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "writing 0x%x to CTRL-AP register 0x%03x: ", val, reg);
	return 0;
}

/* The open part, from FICR (its DEVICEID is the UID rdpd reports:
 * DEVICEID[0] in uid[0], DEVICEID[1] in uid[1], uid[2] 0; docs/uid.md). */
static int nrf52_identify_open(struct target *t)
{
	uint32_t part = 0, variant = 0, kb = 0;
	int rc;

	mem_read32(t->a, NRF52_FICR_INFO_PART, &part);
	mem_read32(t->a, NRF52_FICR_INFO_VARIANT, &variant);
	mem_read32(t->a, NRF52_FICR_INFO_FLASH, &kb);
	mem_read32(t->a, NRF52_FICR_DEVICEID0, &t->uid[0]);
	mem_read32(t->a, NRF52_FICR_DEVICEID0 + 4u, &t->uid[1]);
	mem_prefetch32(t->a, NRF52_UICR_APPROTECT); /* nrf52_protection_words */
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the nRF52 FICR: ");
	if (!(t->part = nrf52_part_of(part)))
		return 1;
	t->uid[2] = 0;
	t->has_uid = true;
	t->chip_id_name = "FICR.INFO.PART";
	t->chip_id = part;
	t->flash_kb = kb && kb <= t->part->flash_kb_max ? kb : t->part->flash_kb_max;
	t->flash_base = 0;
	return 0;
}

/* A core behind the AHB-AP whose ROM table names Nordic, or no core and a
 * CTRL-AP at APSEL 1. */
static int nrf52_identify(struct target *t, const struct target_seen *seen)
{
	if (seen->core)
		return seen->rom_designer == NRF52_ROM_DESIGNER ? nrf52_identify_open(t) : 1;
	if (seen->ap_idr[NRF52_CTRL_AP] != NRF52_CTRL_AP_IDR)
		return 1;
	t->part = NRF52_LOCKED;
	t->core = NRF52_LOCKED->core;
	t->chip_id_name = "CTRL-AP.IDR";
	t->chip_id = NRF52_CTRL_AP_IDR;
	t->has_uid = false;
	t->flash_kb = 0; /* FICR.INFO.FLASH is behind the closed port */
	t->flash_base = 0;
	return 0;
}

static size_t nrf52_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	if (t->part == NRF52_LOCKED || cap < 1)
		return 0;
	addr[0] = NRF52_UICR_APPROTECT;
	return 1;
}

/* APPROTECTSTATUS, and UICR.APPROTECT in the same batch where the part
 * was open at identification (read ahead then: free). A port closed since
 * (a hardened part after a reset) faults that batch: then the CTRL-AP
 * alone. *UICR_READ says whether *UICR came. */
static int nrf52_read_state(struct target *t, uint32_t *status, uint32_t *uicr, bool *uicr_read)
{
	int rc;

	*uicr_read = t->part != NRF52_LOCKED;
	if (*uicr_read)
		mem_read32(t->a, NRF52_UICR_APPROTECT, uicr);
	adiv5_ap_read(t->a, NRF52_CTRL_AP, NRF52_CTRL_APPROTECTSTATUS, status);
	rc = adiv5_run(t->a);
	if (rc != -ERR_TARGET_FAULT || !*uicr_read)
		return rc < 0 ? err_context(rc, "reading CTRL-AP APPROTECTSTATUS: ") : 0;
	err_clear();
	*uicr_read = false;
	return nrf52_ctrl_read(t, NRF52_CTRL_APPROTECTSTATUS, status);
}

static int nrf52_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t status = 0, uicr = 0;
	bool uicr_read;
	int rc;

	if ((rc = nrf52_read_state(t, &status, &uicr, &uicr_read)) < 0)
		return rc;
	p->options[p->n_options++] = (struct target_option){ "ctrlap_approtectstatus", status };
	if (!(status & 1u)) {
		p->level = RDP_LEVEL_1;
		p->state = "CTRL-AP APPROTECTSTATUS = 0: access port protection enabled; the debugger reaches "
			   "nothing but the CTRL-AP, whose ERASEALL opens it";
		return 0;
	}
	/* Open, though identified locked: the erase opened it (until reset). */
	if (!uicr_read && (rc = mem_read32_now(t->a, NRF52_UICR_APPROTECT, &uicr)) < 0)
		return err_context(rc, "reading UICR.APPROTECT: ");
	p->level = RDP_LEVEL_0;
	p->rdp_raw = uicr & 0xFFu;
	p->options[p->n_options++] = (struct target_option){ "uicr_approtect", uicr };
	if (p->rdp_raw == NRF52_PALL_ENABLED)
		p->options[p->n_options++] = (struct target_option){ "rdp_stored", p->rdp_raw };
	p->state = "CTRL-AP APPROTECTSTATUS = 1: access port protection disabled";
	return 0;
}

/* Poll ERASEALLSTATUS until 0 within the part's budget, reporting
 * progress against its typical time. */
static int nrf52_wait_erase(struct target *t, const struct target_events *ev)
{
	int64_t start = target_now_ms();
	uint32_t busy = 1;
	int rc;

	if (ev && ev->progress)
		ev->progress(ev->ctx, 0);
	for (;;) {
		unsigned elapsed = (unsigned)(target_now_ms() - start);

		if ((rc = nrf52_ctrl_read(t, NRF52_CTRL_ERASEALLSTATUS, &busy)) < 0)
			return rc;
		if (!(busy & 1u))
			break;
		if (elapsed > t->part->erase_max_ms)
			return err_setf(ERR_FLASH_TIMEOUT, "CTRL-AP ERASEALLSTATUS stayed busy for %u ms", elapsed);
		if (ev && ev->progress)
			ev->progress(ev->ctx, elapsed >= t->part->erase_typ_ms ? 99 :
					      elapsed * 99 / t->part->erase_typ_ms);
		target_sleep_ms(NRF52_POLL_MS);
	}
	if (ev && ev->progress)
		ev->progress(ev->ctx, 100);
	return 0;
}

/* ERASEALL once. A write that came back WAIT may have been accepted (the
 * posted write and its confirming read share one status on an ST-LINK,
 * docs/probe/stlink.md "WAIT and side effects"): ERASEALLSTATUS and
 * APPROTECTSTATUS say whether the erase runs or ran, and the write is
 * sent again only when neither shows it. */
static int nrf52_start_erase(struct target *t)
{
	uint32_t busy = 0, open = 0;
	int rc = nrf52_ctrl_write(t, NRF52_CTRL_ERASEALL, 1);

	if (rc != -ERR_TARGET_WAIT_TIMEOUT)
		return rc;
	err_clear();
	adiv5_ap_read(t->a, NRF52_CTRL_AP, NRF52_CTRL_ERASEALLSTATUS, &busy);
	adiv5_ap_read(t->a, NRF52_CTRL_AP, NRF52_CTRL_APPROTECTSTATUS, &open);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "asking the CTRL-AP whether ERASEALL started: ");
	if ((busy & 1u) || (open & 1u))
		return 0;
	return nrf52_ctrl_write(t, NRF52_CTRL_ERASEALL, 1);
}

static int nrf52_nvmc_wait(struct target *t)
{
	int64_t start = target_now_ms();
	uint32_t ready = 0;
	int rc;

	while ((rc = mem_read32_now(t->a, NRF52_NVMC_READY, &ready)) == 0 && !(ready & 1u)) {
		if (target_now_ms() - start > NRF52_NVMC_MAX_MS)
			return err_setf(ERR_FLASH_TIMEOUT, "NVMC READY stayed 0 for %d ms", NRF52_NVMC_MAX_MS);
	}
	return rc;
}

/* PALL into UICR.APPROTECT through the NVMC (PS "NVMC", "Writing to
 * flash": CONFIG = Wen, the word, READY, CONFIG = Ren). */
static int nrf52_write_pall(struct target *t, uint8_t pall)
{
	int rc;

	if ((rc = mem_write32_now(t->a, NRF52_NVMC_CONFIG, NRF52_NVMC_WEN)) < 0 ||
	    (rc = mem_write32_now(t->a, NRF52_UICR_APPROTECT, 0xFFFFFF00u | pall)) < 0 ||
	    (rc = nrf52_nvmc_wait(t)) < 0)
		return err_context(rc, "writing 0x%02x to UICR.APPROTECT: ", pall);
	return mem_write32_now(t->a, NRF52_NVMC_CONFIG, NRF52_NVMC_REN);
}

static int nrf52_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	int rc;

	if (level == RDP_LEVEL_1)
		return nrf52_write_pall(t, NRF52_PALL_ENABLED);
	if (level != RDP_LEVEL_0)
		return err_setf(ERR_NOT_SUPPORTED, "an nRF52 has no level %g: APPROTECT is on (1) or off (0)",
				target_rdp_level_number(level));
	if ((rc = nrf52_start_erase(t)) < 0 || (rc = nrf52_wait_erase(t, ev)) < 0)
		return err_context(rc, "CTRL-AP ERASEALL: ");
	/* Back to no task, as OpenOCD's nrf52_recover leaves it. */
	return nrf52_ctrl_write(t, NRF52_CTRL_ERASEALL, 0);
}

/* The erase left the port open until the next reset. A part of the older
 * scheme stays open after one (UICR now erased: Disabled): pulse CTRL-AP
 * RESET. A hardened part would close again at it: write HwDisabled and
 * leave it running, open until its next reset. */
static int nrf52_apply_unlock(struct target *t)
{
	uint32_t variant = 0;
	int rc;

	if ((rc = target_identify(t)) < 0)
		return rc;
	if (t->drv != &nrf52_driver || t->part == NRF52_LOCKED)
		return err_setf(ERR_TARGET_UNKNOWN_CHIP, "after ERASEALL the chip no longer reads as an nRF52");
	if ((rc = mem_read32_now(t->a, NRF52_FICR_INFO_VARIANT, &variant)) < 0)
		return err_context(rc, "reading FICR.INFO.VARIANT: ");
	if (nrf52_hardened(t, variant)) {
		t->relocks_at_reset = true;
		return nrf52_write_pall(t, NRF52_PALL_HW_DISABLED);
	}
	if ((rc = nrf52_ctrl_write(t, NRF52_CTRL_RESET, 1)) < 0 || (rc = nrf52_ctrl_write(t, NRF52_CTRL_RESET, 0)) < 0)
		return err_context(rc, "pulsing CTRL-AP RESET: ");
	adiv5_invalidate(t->a);
	return target_identify(t);
}

static int nrf52_apply(struct target *t, bool *power_cycle)
{
	int rc;

	*power_cycle = false;
	if (t->part == NRF52_LOCKED)
		return nrf52_apply_unlock(t);
	/* A lock: the UICR takes effect at the next reset (PS "UICR"). */
	if ((rc = cortexm_reset_run(t->a)) < 0)
		return rc;
	return target_identify(t);
}

const struct target_driver nrf52_driver = {
	.name = "nrf52",
	.family = "Nordic nRF52",
	.parts = nrf52_parts,
	.n_parts = sizeof(nrf52_parts) / sizeof(nrf52_parts[0]),
	.scheme = "nrf-approtect",
	.erase_scope = "the whole flash, the UICR and the RAM (CTRL-AP ERASEALL)",
	.unlock_summary = "CTRL-AP ERASEALL, ERASEALLSTATUS, CTRL-AP RESET (hardened parts: UICR.APPROTECT = "
			  "HwDisabled, open until the next reset)",
	.openocd_unlock = "nrf52_recover",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = nrf52_read_protection,
	.protection_words = nrf52_protection_words,
	.protection_ap = NRF52_CTRL_AP,
	.set_level = nrf52_set_level,
	.apply = nrf52_apply,
	.identify = nrf52_identify,
};
