/*
 * rp2040.c - Raspberry Pi RP2040: no read-out or debug protection, so
 * nothing to unlock; identified and reported (scheme "none", level 0) so
 * that a mixed lab's list is complete.
 *
 * References (constants and sources: docs/targets/rp2040.md):
 *   RP2040 datasheet §2.3.4 "Debug": the two cores' SW-DPs and the Rescue
 *   DP share one SWD multidrop bus; core 0's DP answers to TARGETSEL
 *   0x01002927 (TINSTANCE 0, TARGETID 0x01002927, as OpenOCD 0.12.0's
 *   tcl/target/rp2040.cfg names it). "SYSINFO" chapter, CHIP_ID at 0x40000000:
 *   MANUFACTURER [11:0] 0x927, PART [27:12] 0x0002, REVISION [31:28].
 *   "Memory": no on-chip flash; the program lives in an external QSPI
 *   flash that anyone holding the board can read, with or without a
 *   debugger. There is no protection to report beyond that.
 *
 * The part is reached only through target_attach_multidrop (its row's
 * targetsel), so the identify hook knows it is on the DP that TARGETSEL
 * selected: a->targetsel says which.
 */
#include "targets/target.h"

#include "err.h"

#define RP2040_TARGETSEL_CORE0 0x01002927u
#define RP2040_SYSINFO_CHIP_ID 0x40000000u
#define RP2040_CHIP_ID_MASK 0x0FFFFFFFu /* PART and MANUFACTURER, not REVISION */
#define RP2040_CHIP_ID 0x00002927u
#define RP2040_XIP_BASE 0x10000000u

static const struct target_part rp2040_parts[] = {
	{ .name = "RP2040", .core = CORTEXM_M0PLUS, .targetsel = RP2040_TARGETSEL_CORE0 },
};

static int rp2040_identify(struct target *t, const struct target_seen *seen)
{
	uint32_t id = 0;
	int rc;

	if (!seen->core || t->a->targetsel != RP2040_TARGETSEL_CORE0)
		return 1;
	if ((rc = mem_read32_now(t->a, RP2040_SYSINFO_CHIP_ID, &id)) < 0)
		return err_context(rc, "reading the RP2040 SYSINFO CHIP_ID: ");
	if ((id & RP2040_CHIP_ID_MASK) != RP2040_CHIP_ID)
		return err_setf(ERR_TARGET_UNKNOWN_CHIP, "the DP selected with the RP2040's TARGETSEL 0x%08x "
				"reads SYSINFO CHIP_ID 0x%08x, not an RP2040's (0x?0002927)",
				RP2040_TARGETSEL_CORE0, id);
	t->part = &rp2040_parts[0];
	t->chip_id_name = "SYSINFO.CHIP_ID";
	t->chip_id = id;
	t->flash_kb = 0; /* off-chip: its size is the QSPI part's, not the chip's */
	t->flash_base = RP2040_XIP_BASE;
	return 0;
}

static int rp2040_read_protection(struct target *t, struct target_protection *p)
{
	p->level = RDP_LEVEL_0;
	p->state = "The RP2040 has no read-out or debug protection: SWD always reaches both cores, and "
		   "its program sits in an external QSPI flash (RP2040 datasheet, \"Debug\").";
	return 0;
}

static int rp2040_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	return err_setf(ERR_NOT_SUPPORTED, "the RP2040 has no read protection to set: its program sits in "
			"an external QSPI flash that anyone holding the board can read. Nothing was written.");
}

const struct target_driver rp2040_driver = {
	.name = "rp2040",
	.family = "Raspberry Pi RP2040",
	.parts = rp2040_parts,
	.n_parts = sizeof(rp2040_parts) / sizeof(rp2040_parts[0]),
	.scheme = "none",
	.erase_scope = "nothing: the RP2040 has no read protection to remove",
	.unlock_summary = "no read protection: reported at level 0, never erased",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = rp2040_read_protection,
	.set_level = rp2040_set_level,
	.identify = rp2040_identify,
};
