/*
 * kinetis.c - NXP (Freescale) Kinetis: flash security (FSEC), scheme
 * "kinetis-fsec", reached through the MDM-AP.
 *
 * References (constants and sources: docs/targets/kinetis.md):
 *   KL25 Sub-Family Reference Manual (KL25P80M48SF0RM) and K64 Sub-Family
 *   Reference Manual (K64P144M120SF5RM): "MDM-AP" (APSEL 1; Status 0x00,
 *   Control 0x04), "Flash Memory Module" (Flash Configuration Field, FSEC
 *   at 0x40C: SEC [1:0] 0b10 unsecure, MEEN [5:4] 0b10 mass erase
 *   disabled; FTFA/FTFE registers at 0x40020000), "SIM" (SDID 0x40048024,
 *   UID 0x40048058-0x40048060). NXP AN4835, "Production Flash Programming
 *   Best Practices for Kinetis K- and L-series MCUs", §4.2.1: the mass
 *   erase through the MDM-AP with the chip held in reset.
 *
 * A secured part shows the debugger nothing but its MDM-AP. After the
 * erase rdpd halts the core before its first instruction, names the part
 * and checks that FSEC reads unsecure in flash, programming it where the
 * erase left it blank, so that the unlock holds across resets.
 */
#include "targets/target.h"

#include "err.h"

#define KINETIS_MDM_AP 1u
#define KINETIS_MDM_STATUS 0x00u
#define KINETIS_MDM_CONTROL 0x04u
#define KINETIS_MDM_IDR_K 0x001C0000u
#define KINETIS_MDM_IDR_L 0x001C0020u
#define KINETIS_MDM_IDR_M7 0x001C0030u
#define KINETIS_ST_FMEACK (1u << 0)
#define KINETIS_ST_FREADY (1u << 1)
#define KINETIS_ST_SYSSEC (1u << 2)
#define KINETIS_ST_SYSRES (1u << 3) /* 0 while the system is in reset */
#define KINETIS_ST_FMEEN (1u << 5)
#define KINETIS_ST_BACKDOOR (1u << 6)
#define KINETIS_CT_FMEIP (1u << 0)
#define KINETIS_CT_SYS_RES_REQ (1u << 3)
#define KINETIS_SIM_SDID 0x40048024u
#define KINETIS_SIM_UIDMH 0x40048058u
#define KINETIS_FTF 0x40020000u        /* FSTAT, FCNFG, FSEC, FOPT as bytes 0-3 */
#define KINETIS_FTF_FCCOB3 0x40020004u /* FCCOB3..0: command in [31:24], address */
#define KINETIS_FTF_FCCOB7 0x40020008u /* FCCOB7..4: bytes 0..3 of the data */
#define KINETIS_FTF_FCCOBB 0x4002000Cu /* FCCOBB..8: bytes 4..7 (FTFE phrase) */
#define KINETIS_FSTAT_CCIF 0x80u
#define KINETIS_FSTAT_ACCERR 0x20u
#define KINETIS_FSTAT_FPVIOL 0x10u
#define KINETIS_CMD_PGM4 0x06u         /* Program Longword (FTFA, FTFL) */
#define KINETIS_CMD_PGM8 0x07u         /* Program Phrase (FTFE) */
#define KINETIS_FLASH_FSEC 0x40Cu
#define KINETIS_FSEC_UNSECURE 0xFEu    /* KEYEN off, MEEN on, FSLACC on, SEC 0b10 */
#define KINETIS_FSEC_SEC(b) ((b) & 0x3u)
#define KINETIS_SEC_UNSECURE 0x2u
#define KINETIS_SAMPLES 8              /* Status reads per look (SYSSEC blinks in reset) */
#define KINETIS_READY_MS 3000          /* AN4835: wait for stable erase conditions */
#define KINETIS_FTF_MAX_MS 100
#define KINETIS_POLL_MS 10
#define KINETIS_PHRASE 0x1u            /* flags: the controller programs phrases (FTFE) */

extern const struct target_driver kinetis_driver;

/* uid_addr: SIM UIDL, UIDML, UIDMH (docs/uid.md). */
#define KINETIS_UID { KINETIS_SIM_UIDMH + 8u, KINETIS_SIM_UIDMH + 4u, KINETIS_SIM_UIDMH }

static const struct target_part kinetis_parts[] = {
	{ .name = "Kinetis (secured: part hidden until erased)", .core = CORTEXM_M0PLUS,
	  .erase_typ_ms = 300, .erase_max_ms = 16000 },
	{ .name = "MKL25Z128", .core = CORTEXM_M0PLUS, .flash_kb_max = 128, .uid_addr = KINETIS_UID,
	  .erase_typ_ms = 300, .erase_max_ms = 16000, .openocd_target = "target/klx.cfg" },
	{ .name = "MK64FN1M0", .core = CORTEXM_M4, .flash_kb_max = 1024, .uid_addr = KINETIS_UID,
	  .flags = KINETIS_PHRASE, .erase_typ_ms = 300, .erase_max_ms = 16000, .openocd_target = "target/kx.cfg" },
};

/* SIM_SDID [31:20] (FAMID, SUBFAMID, SERIESID) of the rows after the
 * secured one; the K64 reads 0x620 as well (errata e7534: the subfamily
 * nibble reads 2; Black Magic Debug kinetis.c). */
static const struct {
	uint16_t sdid;
	uint8_t row;
} kinetis_sdids[] = { { 0x251, 1 }, { 0x640, 2 }, { 0x620, 2 } };

#define KINETIS_SECURED (&kinetis_parts[0])

static bool kinetis_mdm_idr(uint32_t idr)
{
	return idr == KINETIS_MDM_IDR_K || idr == KINETIS_MDM_IDR_L || idr == KINETIS_MDM_IDR_M7;
}

static int kinetis_mdm_read(struct target *t, uint8_t reg, uint32_t *val)
{
	int rc;

	adiv5_ap_read(t->a, KINETIS_MDM_AP, reg, val);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading MDM-AP register 0x%02x: ", reg);
	return 0;
}

static int kinetis_mdm_write(struct target *t, uint32_t val)
{
	int rc;

	adiv5_ap_write(t->a, KINETIS_MDM_AP, KINETIS_MDM_CONTROL, val);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "writing 0x%02x to MDM-AP Control: ", val);
	return 0;
}

static int kinetis_read_ids(struct target *t, uint32_t *sdid)
{
	mem_read32(t->a, KINETIS_SIM_SDID, sdid);
	for (int i = 0; i < 3; i++)
		mem_read32(t->a, kinetis_parts[1].uid_addr[i], &t->uid[i]);
	mem_prefetch32(t->a, KINETIS_FTF); /* kinetis_protection_words */
	mem_prefetch32(t->a, KINETIS_FLASH_FSEC);
	return adiv5_run(t->a);
}

/* The system bus refused SIM_SDID while the core's PPB answered: the chip
 * may be held in reset by an MDM-AP System Reset Request that a job cut
 * short left set (the probe unplugged mid-unlock); it stays so until a
 * power-on. Released here, unless a mass erase is running. 1: nothing to
 * release. */
static int kinetis_release_stuck_reset(struct target *t)
{
	uint32_t ctrl = 0;
	int rc;

	err_clear();
	if ((rc = kinetis_mdm_read(t, KINETIS_MDM_CONTROL, &ctrl)) < 0)
		return rc;
	if (!(ctrl & KINETIS_CT_SYS_RES_REQ) || (ctrl & KINETIS_CT_FMEIP))
		return 1;
	if ((rc = kinetis_mdm_write(t, 0)) < 0)
		return rc;
	target_sleep_ms(KINETIS_POLL_MS);
	return 0;
}

static int kinetis_identify_open(struct target *t)
{
	uint32_t sdid = 0;
	int rc = kinetis_read_ids(t, &sdid), rel;

	if (rc == -ERR_TARGET_FAULT) {
		char why[ERR_DETAIL_MAX];

		err_save(why);
		if ((rel = kinetis_release_stuck_reset(t)) < 0)
			return rel;
		if (rel == 0)
			rc = kinetis_read_ids(t, &sdid);
		else
			err_restore(why);
	}
	if (rc < 0)
		return err_context(rc, "reading the Kinetis SIM_SDID and UID: ");
	t->part = NULL;
	for (size_t i = 0; i < sizeof(kinetis_sdids) / sizeof(kinetis_sdids[0]); i++)
		if (kinetis_sdids[i].sdid == sdid >> 20)
			t->part = &kinetis_parts[kinetis_sdids[i].row];
	if (!t->part)
		return 1;
	t->has_uid = true;
	t->chip_id_name = "SIM.SDID";
	t->chip_id = sdid;
	t->flash_kb = t->part->flash_kb_max;
	t->flash_base = 0;
	return 0;
}

/* A core whose ROM table names Freescale (JEP106 bank 1, 0x0E), or no core
 * and an MDM-AP at APSEL 1. */
static int kinetis_identify(struct target *t, const struct target_seen *seen)
{
	if (seen->core)
		return seen->rom_designer == 0x00E ? kinetis_identify_open(t) : 1;
	if (!kinetis_mdm_idr(seen->ap_idr[KINETIS_MDM_AP]))
		return 1;
	t->part = KINETIS_SECURED;
	t->core = KINETIS_SECURED->core;
	t->chip_id_name = "MDM-AP.IDR";
	t->chip_id = seen->ap_idr[KINETIS_MDM_AP];
	t->has_uid = false;
	t->flash_kb = 0;
	t->flash_base = 0;
	return 0;
}

static size_t kinetis_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	if (t->part == KINETIS_SECURED || cap < 2)
		return 0;
	addr[0] = KINETIS_FTF;
	addr[1] = KINETIS_FLASH_FSEC;
	return 2;
}

/* MDM-AP Status: one read, and where it shows System Security or the
 * flash not ready, KINETIS_SAMPLES more in one batch: System Security also
 * shows for a moment in every reset, and a blank part loops in reset
 * (OpenOCD kinetis.c, kinetis_check_flash_security_status, does the same
 * with 32). *SEC counts the samples with SYSSEC (all of them when the
 * first read was clean: 0), *LAST is the last read. */
static int kinetis_sample_status(struct target *t, unsigned *sec, uint32_t *last)
{
	uint32_t st[KINETIS_SAMPLES] = { 0 };
	int rc;

	adiv5_ap_read(t->a, KINETIS_MDM_AP, KINETIS_MDM_STATUS, last);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading MDM-AP Status: ");
	*sec = 0;
	if ((*last & (KINETIS_ST_SYSSEC | KINETIS_ST_FREADY)) == KINETIS_ST_FREADY)
		return 0;
	for (unsigned i = 0; i < KINETIS_SAMPLES; i++)
		adiv5_ap_read(t->a, KINETIS_MDM_AP, KINETIS_MDM_STATUS, &st[i]);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading MDM-AP Status: ");
	for (unsigned i = 0; i < KINETIS_SAMPLES; i++)
		*sec += (st[i] & KINETIS_ST_SYSSEC) != 0;
	*last = st[KINETIS_SAMPLES - 1];
	return 0;
}

static void kinetis_report_secured(struct target_protection *p, uint32_t status)
{
	if (status & KINETIS_ST_FMEEN) {
		p->level = RDP_LEVEL_1;
		p->state = "MDM-AP Status System Security = 1: the flash is secured (FSEC.SEC is not 0b10); "
			   "the debugger reaches nothing but the MDM-AP, whose mass erase opens it";
		return;
	}
	p->level = RDP_LEVEL_2;
	p->state = status & KINETIS_ST_BACKDOOR
		? "MDM-AP Status System Security = 1 and Mass Erase Enable = 0 (FSEC.MEEN = 0b10): no "
		  "debugger can erase it; only the firmware's backdoor key opens it."
		: "MDM-AP Status System Security = 1, Mass Erase Enable = 0 and Backdoor Key Enable = 0: "
		  "the chip is secured for good.";
}

/* The FSEC register in force and the byte at 0x40C, once the part is
 * unsecure: answered from the read ahead where identification found it
 * open, read now where it was secured then. */
static int kinetis_read_fsec(struct target *t, bool ahead, uint32_t *ftf, uint32_t *cfg)
{
	int rc;

	if (ahead)
		return 0;
	mem_read32(t->a, KINETIS_FTF, ftf);
	mem_read32(t->a, KINETIS_FLASH_FSEC, cfg);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading FTFx_FSEC and the Flash Configuration Field: ");
	return 0;
}

static int kinetis_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t status = 0, ftf = 0, cfg = 0;
	bool ahead = t->part != KINETIS_SECURED;
	unsigned sec = 0;
	int rc;

	/* Queued ahead of the Status batch: answered by the read ahead. */
	if (ahead) {
		mem_read32(t->a, KINETIS_FTF, &ftf);
		mem_read32(t->a, KINETIS_FLASH_FSEC, &cfg);
	}
	if ((rc = kinetis_sample_status(t, &sec, &status)) < 0) {
		if (rc != -ERR_TARGET_FAULT || !ahead)
			return rc;
		err_clear(); /* secured since: the MDM-AP alone */
		ahead = false;
		if ((rc = kinetis_sample_status(t, &sec, &status)) < 0)
			return rc;
	}
	p->options[p->n_options++] = (struct target_option){ "mdm_status", status };
	if (sec > KINETIS_SAMPLES * 3 / 4) {
		kinetis_report_secured(p, status);
		return 0;
	}
	if ((rc = kinetis_read_fsec(t, ahead, &ftf, &cfg)) < 0)
		return rc;
	p->level = RDP_LEVEL_0;
	p->rdp_raw = (ftf >> 16) & 0xFFu;
	p->options[p->n_options++] = (struct target_option){ "ftf_fsec", p->rdp_raw };
	p->options[p->n_options++] = (struct target_option){ "flash_fsec", cfg & 0xFFu };
	/* Unsecure now, secured at the next reset (the byte in flash says so). */
	if (KINETIS_FSEC_SEC(cfg) != KINETIS_SEC_UNSECURE)
		p->options[p->n_options++] = (struct target_option){ "rdp_stored", cfg & 0xFFu };
	p->state = "MDM-AP Status System Security = 0: the flash is unsecure";
	return 0;
}

/* Poll MDM-AP REG until (value & MASK) == WANT, within MAX_MS, with
 * progress against TYP_MS when EV has it. */
static int kinetis_mdm_wait(struct target *t, uint8_t reg, uint32_t mask, uint32_t want, unsigned max_ms,
			    const struct target_events *ev, unsigned typ_ms, uint32_t *last)
{
	int64_t start = target_now_ms();
	int rc;

	for (;;) {
		unsigned elapsed = (unsigned)(target_now_ms() - start);

		if ((rc = kinetis_mdm_read(t, reg, last)) < 0)
			return rc;
		if ((*last & mask) == want)
			return 0;
		if (elapsed > max_ms)
			return err_setf(ERR_FLASH_TIMEOUT, "MDM-AP register 0x%02x read 0x%08x for %u ms", reg,
					*last, elapsed);
		if (ev && ev->progress && typ_ms)
			ev->progress(ev->ctx, elapsed >= typ_ms ? 99 : elapsed * 99 / typ_ms);
		target_sleep_ms(KINETIS_POLL_MS);
	}
}

/* Hold the system in reset: nRESET where the probe drives it, and System
 * Reset Request, which the K series ignores while secure (MDM-AP version
 * 0: pyOCD target_kinetis.py; OpenOCD then asks for SRST). */
static int kinetis_hold_reset(struct target *t)
{
	int rc = dp_set_nreset(t->a, true);

	if (rc == -ERR_PROBE_UNSUPPORTED)
		err_clear();
	else if (rc < 0)
		return rc;
	return kinetis_mdm_write(t, KINETIS_CT_SYS_RES_REQ);
}

/* Let go of both. */
static int kinetis_release_reset(struct target *t)
{
	int rc = kinetis_mdm_write(t, 0);
	int nrc = dp_set_nreset(t->a, false);

	if (nrc == -ERR_PROBE_UNSUPPORTED) {
		err_clear();
		nrc = 0;
	}
	return rc < 0 ? rc : nrc;
}

/* AN4835 §4.2.1: hold the system in reset, wait until the flash is ready
 * and mass erase enabled, set Flash Mass Erase in Progress, wait until it
 * clears. A WAIT on the write may hide an accepted one (docs/probe/stlink.md,
 * "WAIT and side effects"): Status Mass Erase Acknowledge then says
 * whether the erase started, and the write is sent again only if not. */
static int kinetis_mass_erase(struct target *t, const struct target_events *ev)
{
	uint32_t st = 0;
	int rc;

	if ((rc = kinetis_hold_reset(t)) < 0)
		return rc;
	if ((rc = kinetis_mdm_wait(t, KINETIS_MDM_STATUS, KINETIS_ST_FMEEN | KINETIS_ST_FREADY | KINETIS_ST_SYSRES,
				   KINETIS_ST_FMEEN | KINETIS_ST_FREADY, KINETIS_READY_MS, NULL, 0, &st)) < 0)
		return err_context(rc, "waiting for the chip to be held in reset with its flash ready "
				   "(connect the probe's nRESET line: the K series ignores System Reset Request "
				   "while secure): ");
	rc = kinetis_mdm_write(t, KINETIS_CT_SYS_RES_REQ | KINETIS_CT_FMEIP);
	if (rc == -ERR_TARGET_WAIT_TIMEOUT) {
		err_clear();
		if ((rc = kinetis_mdm_read(t, KINETIS_MDM_STATUS, &st)) == 0 && !(st & KINETIS_ST_FMEACK))
			rc = kinetis_mdm_write(t, KINETIS_CT_SYS_RES_REQ | KINETIS_CT_FMEIP);
	}
	if (rc < 0)
		return rc;
	if (ev && ev->progress)
		ev->progress(ev->ctx, 0);
	if ((rc = kinetis_mdm_wait(t, KINETIS_MDM_CONTROL, KINETIS_CT_FMEIP, 0, t->part->erase_max_ms, ev,
				   t->part->erase_typ_ms, &st)) < 0)
		return err_context(rc, "mass erase: ");
	if (ev && ev->progress)
		ev->progress(ev->ctx, 100);
	return 0;
}

static int kinetis_ftf_wait(struct target *t, uint32_t *fstat)
{
	int64_t start = target_now_ms();
	int rc;

	while ((rc = mem_read32_now(t->a, KINETIS_FTF, fstat)) == 0 && !(*fstat & KINETIS_FSTAT_CCIF))
		if (target_now_ms() - start > KINETIS_FTF_MAX_MS)
			return err_setf(ERR_FLASH_TIMEOUT, "FTFx_FSTAT.CCIF stayed 0 for %d ms", KINETIS_FTF_MAX_MS);
	return rc;
}

/* FSEC = 0xFE into the erased Flash Configuration Field: Program Longword
 * at 0x40C, or on FTFE Program Phrase at 0x408 with FPROT left erased
 * (RM "Flash Memory Module", "Program Longword" / "Program Phrase"). */
static int kinetis_program_fsec(struct target *t)
{
	bool phrase = t->part->flags & KINETIS_PHRASE;
	uint32_t fstat = 0, addr = phrase ? KINETIS_FLASH_FSEC - 4u : KINETIS_FLASH_FSEC;
	uint32_t fsec = 0xFFFFFF00u | KINETIS_FSEC_UNSECURE;
	int rc;

	if ((rc = kinetis_ftf_wait(t, &fstat)) < 0)
		return rc;
	mem_write32(t->a, KINETIS_FTF, KINETIS_FSTAT_ACCERR | KINETIS_FSTAT_FPVIOL); /* write 1 to clear */
	mem_write32(t->a, KINETIS_FTF_FCCOB3, (uint32_t)(phrase ? KINETIS_CMD_PGM8 : KINETIS_CMD_PGM4) << 24 | addr);
	mem_write32(t->a, KINETIS_FTF_FCCOB7, phrase ? 0xFFFFFFFFu : fsec);
	if (phrase)
		mem_write32(t->a, KINETIS_FTF_FCCOBB, fsec);
	mem_write32(t->a, KINETIS_FTF, KINETIS_FSTAT_CCIF); /* launch */
	if ((rc = adiv5_run(t->a)) < 0 || (rc = kinetis_ftf_wait(t, &fstat)) < 0)
		return rc;
	if (fstat & (KINETIS_FSTAT_ACCERR | KINETIS_FSTAT_FPVIOL))
		return err_setf(ERR_FLASH_ERROR, "programming FSEC = 0x%02x at 0x%03x: FTFx_FSTAT 0x%02x (%s)",
				KINETIS_FSEC_UNSECURE, KINETIS_FLASH_FSEC, fstat & 0xFFu,
				fstat & KINETIS_FSTAT_FPVIOL ? "FPVIOL" : "ACCERR");
	return 0;
}

/* After the erase, still in reset: arm the reset vector catch, let go, and
 * the core halts before its first instruction (a blank flash would
 * otherwise lock it up). Then name the part (SIM_SDID) and check FSEC in
 * flash: the MDM-AP erase programs it unsecure itself (K20 RM, FTFL:
 * "the security byte in the Flash Configuration Field is also programmed
 * to the unsecure state"; (?) for the KL25 and K64); a part that left it
 * erased gets 0xFE programmed. A part the table does not know, or a
 * field that is neither, is left as it is: relocks_at_reset. */
static int kinetis_after_erase(struct target *t)
{
	uint32_t cfg = 0;
	int rc;

	if ((rc = cortexm_catch_reset(t->a)) < 0 || (rc = kinetis_release_reset(t)) < 0 ||
	    (rc = cortexm_wait_reset_caught(t->a)) < 0)
		return err_context(rc, "halting the core after the mass erase: ");
	if ((rc = target_identify(t)) < 0)
		return err_context(rc, "after the mass erase: ");
	if (t->drv != &kinetis_driver || t->part == KINETIS_SECURED) {
		t->relocks_at_reset = true;
		return 0;
	}
	if ((rc = mem_read32_now(t->a, KINETIS_FLASH_FSEC, &cfg)) < 0)
		return err_context(rc, "reading FSEC at 0x%03x: ", KINETIS_FLASH_FSEC);
	if (KINETIS_FSEC_SEC(cfg) == KINETIS_SEC_UNSECURE)
		return 0;
	if (cfg != 0xFFFFFFFFu) {
		t->relocks_at_reset = true; /* programming it again is not allowed */
		return 0;
	}
	return kinetis_program_fsec(t);
}

static int kinetis_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	int rc;

	if (level != RDP_LEVEL_0)
		return err_setf(ERR_NOT_SUPPORTED, "securing a Kinetis means rewriting FSEC at 0x40C, in the "
				"first flash sector beside the vector table: only an erase of that sector can turn "
				"its bits back on, and rdpd does not erase your program for a lock. Nothing was written.");
	if ((rc = kinetis_mass_erase(t, ev)) < 0) {
		kinetis_release_reset(t); /* best effort: let the chip run */
		return rc;
	}
	return kinetis_after_erase(t);
}

/* A reset loads FSEC from the Flash Configuration Field: the unlock holds
 * if the part comes back unsecure. */
static int kinetis_apply(struct target *t, bool *power_cycle)
{
	int rc;

	*power_cycle = false;
	if ((rc = cortexm_reset_run(t->a)) < 0)
		return rc;
	return target_identify(t);
}

const struct target_driver kinetis_driver = {
	.name = "kinetis",
	.family = "NXP Kinetis",
	.parts = kinetis_parts,
	.n_parts = sizeof(kinetis_parts) / sizeof(kinetis_parts[0]),
	.scheme = "kinetis-fsec",
	.erase_scope = "the whole flash (MDM-AP mass erase)",
	.unlock_summary = "MDM-AP mass erase under reset; FSEC checked unsecure in flash (programmed 0xFE "
			  "where the erase left it blank), then a reset",
	.openocd_unlock = "kinetis mdm mass_erase",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = kinetis_read_protection,
	.protection_words = kinetis_protection_words,
	.protection_ap = KINETIS_MDM_AP,
	.set_level = kinetis_set_level,
	.apply = kinetis_apply,
	.identify = kinetis_identify,
};
