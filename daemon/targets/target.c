/*
 * target.c - the driver table, chip identification and the connect ladder.
 */
#include "targets/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

extern const struct target_driver at32f4_driver;
extern const struct target_driver kinetis_driver;
extern const struct target_driver nrf52_driver;
extern const struct target_driver rp2040_driver;
extern const struct target_driver stm32f1_driver;
extern const struct target_driver stm32f4_driver;
extern const struct target_driver stm32h5_driver;
extern const struct target_driver stm32h7_driver;
extern const struct target_driver stm32l0_driver;
extern const struct target_driver stm32l4_driver;
extern const struct target_driver stm32l5_driver;

static const struct target_driver *const target_drivers[] = {
	&at32f4_driver,
	&kinetis_driver,
	&nrf52_driver,
	&rp2040_driver,
	&stm32f1_driver,
	&stm32f4_driver,
	&stm32h5_driver,
	&stm32h7_driver,
	&stm32l0_driver,
	&stm32l4_driver,
	&stm32l5_driver,
};

#define TARGET_DRIVER_COUNT (sizeof(target_drivers) / sizeof(target_drivers[0]))

int64_t target_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void target_sleep_ms(unsigned ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L}, NULL);
}

size_t target_driver_count(void)
{
	return TARGET_DRIVER_COUNT;
}

const struct target_driver *target_driver_at(size_t i)
{
	return i < TARGET_DRIVER_COUNT ? target_drivers[i] : NULL;
}

const struct target_part *target_find_part(uint32_t dbgmcu_addr, uint16_t dev_id,
					   const struct target_driver **drv)
{
	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++)
		for (size_t k = 0; !target_drivers[i]->find_part && k < target_drivers[i]->n_parts; k++) {
			const struct target_part *p = &target_drivers[i]->parts[k];

			if (p->dev_id == dev_id && p->dbgmcu_addr == dbgmcu_addr && !p->rev_id) {
				*drv = target_drivers[i];
				return p;
			}
		}
	return NULL;
}

const struct target_part *target_find_part_rev(uint32_t dbgmcu_addr, uint32_t idcode,
					       const struct target_driver **drv)
{
	uint16_t dev_id = idcode & 0xFFF, rev_id = (uint16_t)(idcode >> 16);

	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++)
		for (size_t k = 0; !target_drivers[i]->find_part && k < target_drivers[i]->n_parts; k++) {
			const struct target_part *p = &target_drivers[i]->parts[k];

			if (p->dev_id == dev_id && p->dbgmcu_addr == dbgmcu_addr && p->rev_id &&
			    p->rev_id == rev_id) {
				*drv = target_drivers[i];
				return p;
			}
		}
	return target_find_part(dbgmcu_addr, dev_id, drv);
}

const struct target_part *target_find_part_rom(uint16_t designer, uint16_t part,
					       const struct target_driver **drv)
{
	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++)
		for (size_t k = 0; k < target_drivers[i]->n_parts; k++) {
			const struct target_part *p = &target_drivers[i]->parts[k];

			if (p->rom_designer && p->rom_designer == designer && p->rom_part == part) {
				*drv = target_drivers[i];
				return p;
			}
		}
	return NULL;
}

int target_read_protection(struct target *t, struct target_protection *p)
{
	memset(p, 0, sizeof(*p));
	return t->drv->read_protection(t, p);
}

double target_rdp_level_number(enum rdp_level level)
{
	return level == RDP_UNKNOWN ? -1 : level / 10.0;
}

const char *target_rdp_level_text(enum rdp_level level)
{
	switch (level) {
	case RDP_LEVEL_0: return "Level 0: no read protection.";
	case RDP_LEVEL_0_5: return "Level 0.5: non-secure debug only; secure flash protected.";
	case RDP_LEVEL_1: return "Level 1: flash cannot be read by a debugger. Unlocking erases the whole flash.";
	case RDP_LEVEL_2: return "Level 2: debug permanently disabled. This cannot be undone.";
	default: return "Unknown protection level.";
	}
}

bool target_option(const struct target_protection *p, const char *name, uint32_t *val)
{
	for (unsigned i = 0; i < p->n_options; i++)
		if (strcmp(p->options[i].name, name) == 0) {
			if (val)
				*val = p->options[i].value;
			return true;
		}
	return false;
}

const char *target_rdp_describe(const struct target_protection *p, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s", target_rdp_level_text(p->level));
	uint32_t v;

	if (p->state && n < cap)
		n += (size_t)snprintf(out + n, cap - n, " %s", p->state);

	if (target_option(p, "rdp_pending", &v) && n < cap)
		n += (size_t)snprintf(out + n, cap - n,
				      " The option register holds RDP 0x%02x written but never "
				      "programmed (an unlock cut short?): the chip applies the level "
				      "above, and a reset discards the edit.", (unsigned)v & 0xFF);
	if (target_option(p, "rdp_stored", &v) && n < cap)
		snprintf(out + n, cap - n,
			 " Options with RDP 0x%02x are programmed but not loaded yet: the next "
			 "option-byte load applies them (a reset on most parts; a power cycle, or "
			 "rdpd's own unlock or lock, on parts a reset does not reload, such as "
			 "the STM32F0).", (unsigned)v & 0xFF);
	return out;
}

enum rdp_level target_rdp_level_from_byte(uint8_t rdp)
{
	return rdp == 0xAA ? RDP_LEVEL_0 : rdp == 0xCC ? RDP_LEVEL_2 : RDP_LEVEL_1;
}

/* Most parts (Cortex-M3/M4/M7) keep DBGMCU_IDCODE here, on the private
 * peripheral bus: the first identification batch reads it with the CPUID
 * (docs/targets/common.md, "DBGMCU_IDCODE (target.c)"). */
#define TARGET_DBGMCU_FIRST 0xE0042000u

static bool target_addr_listed(const uint32_t *list, size_t n, uint32_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == addr)
			return true;
	return false;
}

size_t target_dbgmcu_addrs(enum cortexm_core core, uint32_t *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++)
		for (size_t k = 0; k < target_drivers[i]->n_parts && n < cap; k++) {
			const struct target_part *p = &target_drivers[i]->parts[k];

			/* dbgmcu_addr 0: found by the ROM table, never by DBGMCU */
			if (p->core == core && p->dbgmcu_addr && !target_addr_listed(out, n, p->dbgmcu_addr))
				out[n++] = p->dbgmcu_addr;
		}
	if (n == 0 && cap > 0)
		out[n++] = TARGET_DBGMCU_FIRST;
	return n;
}

/* The driver's protection words, read ahead with the flash size. */
static void target_read_ahead(struct target *t)
{
	uint32_t addr[ADIV5_PREFETCH_MAX];
	size_t n = t->drv->protection_words ? t->drv->protection_words(t, addr, ADIV5_PREFETCH_MAX) : 0;

	for (size_t i = 0; i < n; i++)
		mem_prefetch32(t->a, addr[i]);
}

/* F_SIZE, the unique ID and the driver's protection words (read ahead) in
 * one batch: the UID and the protection read cost no packet of their own
 * (make bench). F_SIZE comes first; where the batch faults (the UID on an
 * AT32 while its flash access protection is on, OpenOCD artery.c
 * artery_probe), it is redone with F_SIZE alone and the UID stays unknown:
 * a fault costs a packet, a chip that answers none. */
static int target_read_flash_size(struct target *t)
{
	uint32_t word = 0;
	uint32_t addr = t->part->flash_size_addr;
	const uint32_t *uid_addr = t->part->uid_addr;
	bool want_uid = uid_addr[0] != 0;
	uint16_t kb;
	int rc;

	mem_read32(t->a, addr & ~3u, &word);
	for (int i = 0; want_uid && i < 3; i++)
		mem_read32(t->a, uid_addr[i], &t->uid[i]);
	target_read_ahead(t);
	rc = adiv5_run(t->a);
	if (rc == -ERR_TARGET_FAULT && want_uid) {
		err_clear(); /* an unreadable UID is no failure of the identification */
		want_uid = false;
		rc = mem_read32_now(t->a, addr & ~3u, &word);
	}
	if (rc < 0)
		return err_context(rc, "reading the flash size: ");
	t->has_uid = want_uid;
	if (!want_uid)
		memset(t->uid, 0, sizeof(t->uid));
	kb = (uint16_t)(word >> ((addr & 2) * 8));
	/* Blank F_SIZE on early silicon: assume the family maximum (OpenOCD). */
	t->flash_kb = (kb == 0 || kb == 0xFFFF) ? t->part->flash_kb_max : kb;
	if (t->drv->flash_kb_from_fsize)
		t->flash_kb = t->drv->flash_kb_from_fsize(t->part, kb);
	return 0;
}

void target_uid_hex(const uint32_t uid[3], char out[25])
{
	snprintf(out, 25, "%08x%08x%08x", uid[2], uid[1], uid[0]);
}

int target_uid_parse(const char *hex, uint32_t uid[3])
{
	if (!hex || strlen(hex) != 24 || strspn(hex, "0123456789abcdefABCDEF") != 24)
		return err_setf(ERR_INVALID_ARGUMENT,
				"a unique ID is 24 hex digits (96 bits), e.g. \"0032004a3135510535383833\"");
	for (int i = 0; i < 3; i++) {
		char w[9];

		memcpy(w, hex + 8 * (2 - i), 8);
		w[8] = '\0';
		uid[i] = (uint32_t)strtoul(w, NULL, 16);
	}
	return 0;
}

/* DBGMCU_IDCODE read at ADDR: known part, unknown chip, or "not here". */
static int target_match_idcode(struct target *t, uint32_t addr, uint32_t id)
{
	if ((id & 0xFFF) == 0 || (id & 0xFFF) == 0xFFF)
		return 1; /* nothing here: try the next address */
	/* Drivers that know their chips by the whole word (Artery) first. */
	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++) {
		int rc = target_drivers[i]->find_part ? target_drivers[i]->find_part(t, addr, id, &t->part) : 1;

		if (rc < 0)
			return rc;
		if (rc == 0) {
			t->idcode = id;
			t->drv = target_drivers[i];
			return target_read_flash_size(t);
		}
	}
	/* Then the ids some silicon misreports, then DEV_ID and REV_ID. */
	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++)
		if (target_drivers[i]->idcode_quirk)
			id = target_drivers[i]->idcode_quirk(t->core, addr, id);
	t->idcode = id;
	t->part = target_find_part_rev(addr, id, &t->drv);
	if (t->part)
		return target_read_flash_size(t);
	return err_setf(ERR_TARGET_UNKNOWN_CHIP,
			"DBGMCU_IDCODE 0x%08x at 0x%08x (DEV_ID 0x%03x, %s) is not a chip rdpd knows",
			id, addr, id & 0xFFF, cortexm_core_name(t->core));
}

/* CoreSight component id registers (ARM IHI 0029 CoreSight architecture
 * §B2, ADIv5 IHI 0031): PIDR4 at 0xFD0, PIDR0-PIDR2 at 0xFE0-0xFE8; the
 * part number is PIDR0[7:0] | PIDR1[3:0] << 8, the JEP106 identity
 * PIDR1[7:4] | PIDR2[2:0] << 4 (PIDR2 bit 3: a JEP106 code is used), its
 * continuation code PIDR4[3:0]. */
#define TARGET_ROM_PIDR4 0xFD0u
#define TARGET_ROM_PIDR0 0xFE0u
#define TARGET_ROM_PIDR1 0xFE4u
#define TARGET_ROM_PIDR2 0xFE8u
#define TARGET_ROM_PIDR2_JEDEC (1u << 3)
#define TARGET_AP_BASE_PRESENT (1u << 0)
#define TARGET_AP_BASE_FORMAT (1u << 1)

/* The MCU ROM table's designer and part number, read when DBGMCU_IDCODE
 * named no part: GigaDevice GD32F4 publishes no DBGMCU IDCODE (Black Magic
 * Debug issue #1816), and Black Magic Debug tells it apart by the ROM
 * table's PIDR (src/target/cortexm.c probe switch on the designer,
 * stm32f4.c gd32f4_probe on the part); Nordic, NXP and Microchip chips
 * name their designer there too. The ROM table is where the AHB-AP's BASE
 * register points (ADIv5 IHI 0031, MEM-AP BASE: BASEADDR [31:12], bit 1 =
 * ADIv5 format, bit 0 = entry present; 0xFFFFFFFF = none, legacy). Reached
 * only on the failing path, so no ST part pays a packet for it. A GD32F4
 * that did answer an ST DEV_ID would be taken for that STM32F4: the same
 * flash controller at the same address (gd32f4xx_fmc.h), so it is still
 * read and unlocked right. Returns 0 with *DESIGNER and *PART, 1 when there
 * is no table or no JEP106 code (both 0), or the link's error. */
static int target_read_rom_id(struct target *t, uint16_t *designer, uint16_t *part)
{
	uint32_t base = 0, pidr[4] = {0}, rom;
	int rc;

	*designer = *part = 0;
	adiv5_ap_read(t->a, t->a->mem_ap, AP_BASE, &base);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the AP BASE register: ");
	if (base == 0xFFFFFFFFu || ((base & TARGET_AP_BASE_FORMAT) && !(base & TARGET_AP_BASE_PRESENT)))
		return 1;
	rom = base & ~0xFFFu;
	mem_read32(t->a, rom + TARGET_ROM_PIDR0, &pidr[0]);
	mem_read32(t->a, rom + TARGET_ROM_PIDR1, &pidr[1]);
	mem_read32(t->a, rom + TARGET_ROM_PIDR2, &pidr[2]);
	mem_read32(t->a, rom + TARGET_ROM_PIDR4, &pidr[3]);
	/* Every ARMv6/7/8-M core has this ROM table (the architecture manuals'
	 * "ROM Table" sections): a fault reading it is the link's or the
	 * bus's, not "unknown chip", and the attach ladder may try again
	 * (under reset). */
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading the ROM table at 0x%08x: ", rom);
	if (!(pidr[2] & TARGET_ROM_PIDR2_JEDEC))
		return 1; /* no JEP106 code: nothing to look up */
	*part = (uint16_t)((pidr[0] & 0xFF) | (pidr[1] & 0xF) << 8);
	*designer = (uint16_t)((pidr[3] & 0xF) << 8 | ((pidr[1] >> 4) & 0xF) | (pidr[2] & 0x7) << 4);
	return 0;
}

/* The ROM table's id into SEEN, and the part whose row names it (GD32F4):
 * 0, 1 when no row does, or the link's error. */
static int target_identify_rom(struct target *t, struct target_seen *seen)
{
	int rc = target_read_rom_id(t, &seen->rom_designer, &seen->rom_part);

	if (rc != 0)
		return rc;
	t->part = target_find_part_rom(seen->rom_designer, seen->rom_part, &t->drv);
	if (!t->part)
		return 1;
	return target_read_flash_size(t);
}

/* Each driver's identify hook in table order, until one knows the chip:
 * 0, 1 when none does, or the link's error. */
static int target_identify_by_vendor(struct target *t, const struct target_seen *seen)
{
	for (size_t i = 0; i < TARGET_DRIVER_COUNT; i++) {
		int rc = target_drivers[i]->identify ? target_drivers[i]->identify(t, seen) : 1;

		if (rc <= 0) {
			if (rc == 0)
				t->drv = target_drivers[i];
			return rc;
		}
	}
	return 1;
}

/* DBGMCU_IDCODE told nothing (RC: the failure): try the ROM table (GD32F4
 * rows), then the vendors' own id registers, and keep RC's detail when
 * neither finds the chip. */
static int target_fall_back_to_rom(struct target *t, int rc)
{
	struct target_seen seen = {.core = true};
	char detail[ERR_DETAIL_MAX];
	int rom;

	err_save(detail);
	rom = target_identify_rom(t, &seen);
	if (rom == 1)
		rom = target_identify_by_vendor(t, &seen);
	if (rom == 0)
		err_clear(); /* the DBGMCU miss was no failure after all */
	if (rom <= 0)
		return rom;
	err_restore(detail);
	return rc;
}

/* No AHB-AP led to the core (RC: why): the chip may still say what it is
 * through its vendor's control port (Nordic CTRL-AP, NXP MDM-AP, whose
 * IDRs are read now) or a ROM table its protection leaves readable (SAM D:
 * the DSU's, Microchip DS40001882 §12.9). Reached only on the failing
 * path: a chip that answers pays nothing for it. */
static int target_identify_locked(struct target *t, int rc)
{
	struct target_seen seen = {.core = false};
	char detail[ERR_DETAIL_MAX];
	int found;

	err_save(detail);
	t->dpidr = t->a->dpidr;
	for (uint8_t ap = 0; ap < ADIV5_AP_SCAN; ap++)
		adiv5_ap_read(t->a, ap, AP_IDR, &seen.ap_idr[ap]);
	found = adiv5_run(t->a);
	if (found == 0 && adiv5_idr_is_ahb_mem_ap(seen.ap_idr[t->a->mem_ap])) {
		found = target_read_rom_id(t, &seen.rom_designer, &seen.rom_part);
		/* A bus that refuses the ROM table too: the IDRs remain. Any
		 * other failure (a malformed reply) leaves the DP's state
		 * unknown, a FAULT perhaps unseen and its sticky bit set. */
		if (found == -ERR_TARGET_FAULT || found == 1) {
			err_clear();
			found = 0;
		}
	}
	if (found == 0)
		found = target_identify_by_vendor(t, &seen);
	if (found == 0)
		err_clear();
	if (found <= 0)
		return found;
	err_restore(detail);
	return rc;
}

/* Read CPUID through AP APSEL if it is an AHB MEM-AP: its IDR is read in a
 * run of its own, so nothing is written to an AP of another kind. Returns 0
 * when the core answered (later accesses now use APSEL), 1 when APSEL holds
 * no AHB-AP, 2 when it does but the read faulted, or a negative error (an
 * IDR read never faults, even where there is no AP (ADIv5.2 C2.6): a fault
 * there is the wire's or the DP's, and is returned). */
static int target_try_ap(struct target *t, uint8_t apsel)
{
	uint32_t idr = 0;
	uint8_t was = t->a->mem_ap;
	int rc;

	adiv5_ap_read(t->a, apsel, AP_IDR, &idr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading AP%u IDR: ", apsel);
	if (!adiv5_idr_is_ahb_mem_ap(idr))
		return 1;
	mem_use_ap(t->a, apsel);
	rc = mem_read32_now(t->a, CORTEXM_CPUID, &t->cpuid);
	if (rc == -ERR_TARGET_FAULT)
		mem_use_ap(t->a, was);
	return rc == -ERR_TARGET_FAULT ? 2 : rc;
}

/* The core did not answer behind AP TRIED (IDR TRIED_IDR): look on the other
 * APs. STM32H5 keeps its Cortex-M33 on AP1 and AP0 for debug authentication
 * (OpenOCD stm32h5x.cfg -ap-num 1); every other part rdpd knows has its
 * core on AP0 and gets here only when that core's bus refuses the read. When an AHB-AP was there but refused the read,
 * the fault is what is reported (a sleeping core; connecting under reset
 * may help), with that AP kept for the next attempt. */
static int target_scan_aps(struct target *t, uint8_t tried, uint32_t tried_idr)
{
	bool faulted = adiv5_idr_is_ahb_mem_ap(tried_idr);
	uint8_t fault_ap = tried;

	for (uint8_t ap = 0; ap < ADIV5_AP_SCAN; ap++) {
		int rc;

		if (ap == tried)
			continue;
		rc = target_try_ap(t, ap);
		if (rc <= 0)
			return rc;
		if (rc == 2 && !faulted) {
			faulted = true;
			fault_ap = ap;
		}
	}
	mem_use_ap(t->a, fault_ap);
	if (faulted)
		return err_setf(ERR_TARGET_FAULT,
				"the core's bus refused the CPUID read through AP%u", fault_ap);
	return err_setf(ERR_TARGET_UNKNOWN_CHIP,
			"no AHB-AP on AP0-AP%d leads to a Cortex-M core (AP%u IDR 0x%08x)",
			ADIV5_AP_SCAN - 1, tried, tried_idr);
}

int target_identify(struct target *t)
{
	uint32_t idr = 0, first = 0, cands[TARGET_DBGMCU_MAX];
	uint8_t ap = t->a->mem_ap;
	bool have_first;
	size_t n;
	int rc;

	/* Most parts are M3/M4/M7 with DBGMCU at 0xE0042000: read it in the same
	 * packet as the core id. Where nothing is mapped there (M0 parts) the
	 * batch faults and is redone without it. */
	adiv5_ap_read(t->a, ap, AP_IDR, &idr);
	mem_read32(t->a, CORTEXM_CPUID, &t->cpuid);
	mem_read32(t->a, TARGET_DBGMCU_FIRST, &first);
	rc = adiv5_run(t->a);
	have_first = rc == 0;
	if (rc < 0 && t->a->up_failed)
		return rc; /* the power-up that rode with it (dp_connect_deferred) */
	if (rc < 0 && rc != -ERR_TARGET_FAULT)
		return err_context(rc, "reading the core id: ");
	/* An IDR that arrived and names no AHB-AP needs no second try. */
	if (!have_first && (idr == 0 || adiv5_idr_is_ahb_mem_ap(idr))) {
		err_clear(); /* the expected fault is no failure to report later */
		adiv5_ap_read(t->a, ap, AP_IDR, &idr);
		mem_read32(t->a, CORTEXM_CPUID, &t->cpuid);
		rc = adiv5_run(t->a);
		if (rc < 0 && rc != -ERR_TARGET_FAULT)
			return err_context(rc, "reading the core id: ");
	}
	if (rc < 0 || !adiv5_idr_is_ahb_mem_ap(idr)) {
		have_first = false;
		rc = target_scan_aps(t, ap, idr);
		if (rc == -ERR_TARGET_FAULT || rc == -ERR_TARGET_UNKNOWN_CHIP)
			return target_identify_locked(t, rc);
		if (rc < 0)
			return rc;
	}
	t->core = cortexm_core_from_cpuid(t->cpuid);
	t->dpidr = t->a->dpidr;
	n = target_dbgmcu_addrs(t->core, cands, TARGET_DBGMCU_MAX);
	for (size_t i = 0; i < n; i++) {
		uint32_t id = 0;

		if (cands[i] == TARGET_DBGMCU_FIRST && have_first)
			id = first;
		else if ((rc = mem_read32_now(t->a, cands[i], &id)) == -ERR_TARGET_FAULT)
			continue; /* nothing mapped there: the next candidate */
		else if (rc < 0) /* the probe or the wire, not the chip: say so */
			return err_context(rc, "reading DBGMCU_IDCODE at 0x%08x: ", cands[i]);
		rc = target_match_idcode(t, cands[i], id);
		if (rc == -ERR_TARGET_UNKNOWN_CHIP)
			return target_fall_back_to_rom(t, rc);
		if (rc <= 0)
			return rc;
	}
	rc = err_setf(ERR_TARGET_UNKNOWN_CHIP,
		      "no DBGMCU_IDCODE found for this %s (CPUID 0x%08x): not an STM32 rdpd knows",
		      cortexm_core_name(t->core), t->cpuid);
	return target_fall_back_to_rom(t, rc);
}

static void target_note(const struct target_connect_opts *o, const char *fmt, uint32_t hz,
			const char *detail)
{
	char line[300];

	if (!o->log)
		return;
	snprintf(line, sizeof(line), fmt, hz / 1000, detail);
	o->log(o->ctx, line);
}

/* Under reset the core is halted through a->mem_ap before anything is
 * identified. Where that AP is not an AHB-AP at all (AP0 on STM32H5), find
 * the first that is by IDR alone and use it. Returns true when it moved. */
static bool target_find_ahb_ap(struct adiv5 *a)
{
	uint32_t idr[ADIV5_AP_SCAN] = {0};

	for (uint8_t ap = 0; ap < ADIV5_AP_SCAN; ap++)
		adiv5_ap_read(a, ap, AP_IDR, &idr[ap]);
	if (adiv5_run(a) < 0 || adiv5_idr_is_ahb_mem_ap(idr[a->mem_ap]))
		return false;
	for (uint8_t ap = 0; ap < ADIV5_AP_SCAN; ap++)
		if (adiv5_idr_is_ahb_mem_ap(idr[ap])) {
			mem_use_ap(a, ap);
			return true;
		}
	return false;
}

static int target_try(struct adiv5 *a, struct target *t, uint32_t hz, bool under_reset)
{
	int rc;

	if (!under_reset) {
		/* The power-up rides with the first identification batch; where
		 * it fails, the link comes up the long way below (JTAG-to-SWD
		 * again, a dormant wake-up). */
		rc = dp_connect_deferred(a, hz);
		if (rc == 0)
			rc = target_identify(t);
		if (rc == 0 || !a->up_failed || !target_error_is_chip(rc))
			return rc;
		err_clear();
	}
	rc = dp_connect(a, hz, under_reset);

	if (rc == 0 && under_reset) {
		rc = cortexm_release_reset_halted(a);
		if (rc == -ERR_TARGET_FAULT && target_find_ahb_ap(a))
			rc = cortexm_release_reset_halted(a);
	}
	if (rc == 0)
		rc = target_identify(t);
	if (rc < 0 && under_reset)
		dp_set_nreset(a, false); /* never leave the board held in reset */
	return rc;
}

/* VTref under this, OpenOCD warns "target voltage may be too low for reliable
 * debugging" (stlink_usb.c, below 1.5 V; docs/probe/stlink.md, "Opening"). */
#define TARGET_LOW_MV 1500

/* Nothing answered at any clock, in any mode: the sentence says what was
 * tried and, where the probe measures it, the target voltage, the first
 * thing to check on a bench. */
static int target_silent(struct adiv5 *a, const struct target_connect_opts *opts, size_t n_clocks)
{
	const char *multidrop = dp_can_select_target(a) ? "" : " A chip on a multidrop SWD bus (RP2040) "
				"needs a probe that can select it: a CMSIS-DAP probe.";
	char volts[96] = "";
	int mv = 0;

	if (adiv5_target_voltage(a, &mv) == 0)
		snprintf(volts, sizeof(volts), mv < TARGET_LOW_MV ? " Target voltage %d.%02d V: the board is not "
			 "powered or VTref is not wired." : " Target voltage %d.%02d V.", mv / 1000, mv % 1000 / 10);
	err_clear();
	return err_setf(ERR_TARGET_NOT_RESPONDING,
			"The target does not answer on SWD (tried %s%s).%s Check: target power and "
			"VTref, GND between probe and board, SWDIO and SWCLK wiring, nRESET wiring "
			"(needed to connect under reset). A chip at RDP level 2 never answers.%s",
			n_clocks == 2 ? "1 MHz and 200 kHz" : "the requested clock",
			opts->mode == TARGET_CONNECT_AUTO ? ", with and without holding reset" : "", volts,
			multidrop);
}

/* Nothing answered point to point (RC: why): select, in turn, each
 * multidrop DP a part row names (its targetsel), at each clock, without
 * holding reset (the RP2040 has no nRESET pin, only RUN). 0 with the DP
 * kept selected (a->targetsel), or the last attempt's error with
 * a->targetsel 0. A probe that turns out not to implement the command
 * (CMSIS-DAP before 1.2: no DAP_SWD_Sequence) leaves RC as it was: the
 * silence is still the news. */
static int target_attach_multidrop(struct adiv5 *a, struct target *t, const uint32_t *clocks, size_t n_clocks,
				   int rc)
{
	for (size_t i = 0; dp_can_select_target(a) && i < TARGET_DRIVER_COUNT; i++)
		for (size_t k = 0; k < target_drivers[i]->n_parts; k++) {
			uint32_t sel = target_drivers[i]->parts[k].targetsel;

			for (size_t c = 0; sel && c < n_clocks; c++) {
				int got;

				a->targetsel = sel;
				if ((got = target_try(a, t, clocks[c], false)) == 0) {
					t->clock_hz = clocks[c];
					return 0;
				}
				a->targetsel = 0;
				if (got == -ERR_PROBE_UNSUPPORTED) {
					err_clear();
					return rc;
				}
				if (!target_error_is_chip(rc = got))
					return rc;
			}
		}
	return rc;
}

int target_attach(struct adiv5 *a, const struct target_connect_opts *opts, struct target *t)
{
	static const uint32_t ladder_hz[] = {1000000, 200000};
	const struct target_connect_opts none = {0};
	const uint32_t *clocks = ladder_hz;
	size_t n_clocks = 2;
	int rc = -ERR_TARGET_NOT_RESPONDING;

	if (!opts)
		opts = &none;
	if (opts->clock_hz) {
		clocks = &opts->clock_hz;
		n_clocks = 1;
	}
	memset(t, 0, sizeof(*t));
	t->a = a;
	t->flash_base = 0x08000000u;
	mem_use_ap(a, 0); /* a fresh chip may be behind the probe: AP0 first */
	a->targetsel = 0; /* and point to point: target_attach_multidrop selects */
	for (size_t c = 0; c < n_clocks; c++)
		for (int m = 0; m < 2; m++) {
			bool under_reset = m == 1;

			if ((under_reset && opts->mode == TARGET_CONNECT_NORMAL) ||
			    (!under_reset && opts->mode == TARGET_CONNECT_UNDER_RESET))
				continue;
			rc = target_try(a, t, clocks[c], under_reset);
			if (rc == 0) {
				t->clock_hz = clocks[c];
				t->under_reset = under_reset;
				return 0;
			}
			/* A chip that answered but is unknown will not change its
			 * mind, nor will a failed probe. */
			if (!target_error_is_chip(rc))
				return rc;
			target_note(opts, under_reset ? "no answer at %u kHz under reset: %s"
						      : "no answer at %u kHz: %s",
				    clocks[c], err_detail());
		}
	if (opts->mode != TARGET_CONNECT_UNDER_RESET && (rc = target_attach_multidrop(a, t, clocks, n_clocks, rc)) == 0)
		return 0;
	if (!target_error_is_chip(rc))
		return rc;
	return target_silent(a, opts, n_clocks);
}

/* The link comes back as it was, a->mem_ap included: the AP found at
 * attach time stays in use. */
bool target_error_is_chip(int rc)
{
	return rc == -ERR_TARGET_NOT_RESPONDING || rc == -ERR_TARGET_FAULT || rc == -ERR_TARGET_WAIT_TIMEOUT ||
	       rc == -ERR_TARGET_HALT_FAILED;
}

int target_reset_seen(struct target *t, bool *seen)
{
	return cortexm_reset_seen(t->a, seen);
}

int target_flash_end(struct target *t, uint32_t *end)
{
	*end = t->flash_base + t->flash_kb * 1024u;
	return t->drv->flash_end ? t->drv->flash_end(t, end) : 0;
}

int target_read_flash(struct target *t, const struct target_flash_span *spans, size_t n_spans)
{
	for (size_t i = 0; i < n_spans; i++)
		mem_read_block(t->a, spans[i].addr, spans[i].out, spans[i].words);
	return adiv5_run(t->a);
}

int target_reattach(struct target *t)
{
	int rc = dp_reconnect(t->a);

	if (rc < 0)
		rc = dp_connect(t->a, t->clock_hz, false);
	return rc;
}
