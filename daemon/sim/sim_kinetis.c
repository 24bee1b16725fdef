/*
 * sim_kinetis.c - NXP (Freescale) Kinetis MKL25Z128 and MK64FN1M0: flash
 * security through the Flash Configuration Field and the MDM-AP that erases
 * the chip to remove it. The protection is the FSEC byte at flash 0x40C,
 * loaded into the FTFx FSEC register at every reset; the way out is the
 * MDM-AP's mass erase, which FSEC[MEEN] can forbid for good.
 *
 * References:
 *   KL25 Sub-Family Reference Manual (KL25P80M48SF0RM), chapters "MDM-AP"
 *     (Status 0x00, Control 0x04, IDR 0xFC, which Control bits take effect
 *     while secure), "Flash Memory Module (FTFA)" (Flash Configuration Field
 *     0x400-0x40F; FSEC SEC [1:0] 0b10 unsecure, else secure; FSLACC [3:2];
 *     MEEN [5:4] 0b10 mass erase disabled, else enabled, relevant only while
 *     secure; KEYEN [7:6] 0b10 backdoor enabled; FSTAT, FCNFG, FSEC, FOPT,
 *     FCCOB3..0 7..4 B..8, FPROT3..0 at 0x40020000; Program Longword 0x06,
 *     Erase Flash Sector 0x09, Erase All Blocks 0x44; "Erase all flash
 *     contents" through the MDM-AP), "SIM" (SDID 0x40048024, FCFG1
 *     0x4004804C, FCFG2 0x40048050, UIDMH/UIDML/UIDL 0x40048058-60).
 *   K64 Sub-Family Reference Manual (K64P144M120SF5RM): the same chapters
 *     for the FTFE (Program Phrase 0x07, FEPROT, FDPROT), SOPT1 RAMSIZE,
 *     UIDH 0x40048054.
 *   K10/K20 Sub-Family Reference Manuals (FTFL chapter, as stored by
 *     manualshelf.com): Erase All Blocks releases security by setting
 *     FSEC[SEC] unsecure; the erase-all request from the MDM-AP also
 *     programs the security byte of the Flash Configuration Field to the
 *     unsecure state (FCNFG[ERSAREQ] set while it runs). The KL25 and K64
 *     manuals' wording of it was not read: the model takes the same (?).
 *   OpenOCD 0.12.0 src/flash/nor/kinetis.c (kinetis_mdm_mass_erase: Control
 *     = System Reset Request, 32 Status reads with Mass Erase Enable, Flash
 *     Ready and System Reset = 0, then FMEIP, poll Control bit 0;
 *     kinetis_check_flash_security_status; the MDM-AP IDs), tcl/target/
 *     klx.cfg (CPUTAPID 0x0BC11477) and kx.cfg (0x2BA01477); pyOCD
 *     target_kinetis.py (System Reset Request cannot be written while secure
 *     on an MDM-AP of IDR version 0); Black Magic Debug kinetis.c (FCCOB
 *     words, SDID of the KL25 and of the K64 with errata e7534); USBDM's
 *     Kinetis flash scripts (MDM-AP Status words logged on real parts).
 * Constants and their sources: docs/sim/sim_kinetis.md.
 *
 * Modelled: the AHB-AP on APSEL 0 and the MDM-AP on APSEL 1; flash, SRAM,
 * the FTFx command interface (enough to program the Flash Configuration
 * Field), the SIM identification registers. Other peripherals read 0 and
 * take writes (?).
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KIN_FLASH_BASE 0x00000000u
#define KIN_SRAM_U_BASE 0x20000000u /* SRAM_L ends here, SRAM_U starts ("Memory map") */
#define KIN_PERIPH_BASE 0x40000000u
#define KIN_PERIPH_END 0x40100000u  /* AIPS bridges and GPIO */
#define KIN_KL_PRIV_BASE 0xF0000000u /* KL25 MTB, MTBDWT, ROM table, MCM (?) */
#define KIN_KL_PRIV_BYTES 0x4000u

/* Flash Configuration Field ("Flash Configuration Field description"). */
#define KIN_FCF_BASE 0x400u
#define KIN_FCF_BYTES 16u
#define KIN_FCF_FPROT 0x8u /* FPROT3..FPROT0 */
#define KIN_FCF_FSEC 0xCu
#define KIN_FCF_FOPT 0xDu

/* FSEC fields. */
#define KIN_SEC_MASK 0x03u
#define KIN_SEC_UNSECURE 0x02u
#define KIN_MEEN_SHIFT 4
#define KIN_MEEN_DISABLED 0x2u
#define KIN_KEYEN_SHIFT 6
#define KIN_KEYEN_ENABLED 0x2u
#define KIN_FSEC_UNSECURE 0xFEu  /* SEC 0b10, all else erased: the factory byte */
#define KIN_FSEC_SECURE 0xFFu    /* an erased byte: SEC 0b11 */
#define KIN_FSEC_PERMANENT 0xEFu /* SEC 0b11, MEEN 0b10, KEYEN 0b11 (backdoor off) */

/* FTFx registers at 0x40020000, one byte each ("Memory map and registers"). */
#define KIN_FTF_BASE 0x40020000u
#define KIN_FTF_BYTES 0x1000u
#define KIN_FSTAT 0x00u
#define KIN_FCNFG 0x01u
#define KIN_FSEC 0x02u
#define KIN_FOPT 0x03u
#define KIN_FCCOB 0x04u  /* FCCOB3 FCCOB2 FCCOB1 FCCOB0 FCCOB7 .. FCCOB4 FCCOBB .. FCCOB8 */
#define KIN_FCCOB_BYTES 12u
#define KIN_FPROT 0x10u  /* FPROT3 .. FPROT0 */
#define KIN_FEPROT 0x16u /* FTFE only */
#define KIN_FDPROT 0x17u

#define KIN_FSTAT_CCIF 0x80u
#define KIN_FSTAT_RDCOLERR 0x40u
#define KIN_FSTAT_ACCERR 0x20u
#define KIN_FSTAT_FPVIOL 0x10u
#define KIN_FSTAT_MGSTAT0 0x01u
#define KIN_FSTAT_W1C (KIN_FSTAT_RDCOLERR | KIN_FSTAT_ACCERR | KIN_FSTAT_FPVIOL)
#define KIN_FCNFG_ERSAREQ 0x20u

#define KIN_CMD_PGM4 0x06u
#define KIN_CMD_PGM8 0x07u
#define KIN_CMD_ERSSCR 0x09u
#define KIN_CMD_ERSALL 0x44u

/* SIM identification ("SIM", memory map). */
#define KIN_SIM_SOPT1 0x40047000u
#define KIN_SIM_SDID 0x40048024u
#define KIN_SIM_FCFG1 0x4004804Cu
#define KIN_SIM_FCFG2 0x40048050u
#define KIN_SIM_UIDH 0x40048054u
#define KIN_SIM_UIDMH 0x40048058u
#define KIN_SIM_UIDML 0x4004805Cu
#define KIN_SIM_UIDL 0x40048060u
/* SMC: PMPROT, PMCTRL, STOPCTRL, PMSTAT (byte 3) in one word ("SMC"). */
#define KIN_SMC_WORD 0x4007E000u
#define KIN_SMC_PMSTAT_RUN (0x01u << 24)

/* MDM-AP ("MDM-AP", register map). */
#define KIN_MDM_APSEL 1u
#define KIN_MDM_STATUS 0x00u
#define KIN_MDM_CTRL 0x04u

#define KIN_ST_FMEACK (1u << 0)
#define KIN_ST_FREADY (1u << 1)
#define KIN_ST_SYSSEC (1u << 2)
#define KIN_ST_SYSRES (1u << 3)   /* 0: the system is in reset */
#define KIN_ST_BIT4 (1u << 4)     /* reserved; reads 1 on every part USBDM logged (?) */
#define KIN_ST_MEEN (1u << 5)
#define KIN_ST_BACKDOOR (1u << 6)
#define KIN_ST_HALTED (1u << 16)

#define KIN_CTRL_FMEIP (1u << 0)
#define KIN_CTRL_DBG_REQ (1u << 2)
#define KIN_CTRL_SYS_RES_REQ (1u << 3)
#define KIN_CTRL_CORE_HOLD (1u << 4)
#define KIN_CTRL_STORED 0xFEu     /* bits 1-7 read back as written; bits 8-31 reserved */

#define KIN_DHCSR 0xE000EDF0u
#define KIN_DHCSR_KEY 0xA05F0000u
#define KIN_DHCSR_C_DEBUGEN (1u << 0)
#define KIN_DHCSR_C_HALT (1u << 1)

/* Cortex-M0+ r0p1 and Cortex-M4F r0p1 (FPv4-SP); the MCU ROM table's
 * designer Freescale, JEP106 continuation 0, identity 0x0E (0x00E in the
 * 11-bit packing of sim_cortexm_desc.rom_designer); part numbers those of
 * ARM's Cortex-M0+ / M4 ROM tables (?). */
#define KIN_CORE_M0P { SIM_CORTEX_M0PLUS, 0x410CC601u, false, 0, 0, 0, 0x4C0, 0x00E }
#define KIN_CORE_M4F { SIM_CORTEX_M4, 0x410FC241u, true, 0x10110021u, 0x11000011u, 0, 0x4C4, 0x00E }

struct sim_kinetis_part {
	struct sim_part_id id;
	uint32_t flash_kb, sram_kb, sram_l_kb; /* SRAM_L is the part below 0x20000000 */
	uint32_t sector_bytes;
	uint8_t pgm_cmd;           /* Program Longword (FTFA) or Program Phrase (FTFE) */
	unsigned pgm_bytes;        /* 4 or 8: the unit it programs and the alignment it asks */
	unsigned ftf_regs;         /* bytes of FTFx registers: 0x14 FTFA, 0x18 FTFE */
	uint8_t fcnfg;             /* FCNFG as it reads when idle */
	uint32_t sdid, fcfg1, fcfg2, sopt1;
	uint32_t uidmh_mask;       /* KL25: UIDMH holds UID[79:64] only */
	uint32_t mdm_idr;
	bool srr_while_secure;     /* System Reset Request takes effect while secure */
	bool kl_priv;              /* the KL25's private peripheral window at 0xF0000000 */
	double ersall_ms, erssec_ms;
	uint32_t dpidr, ap_idr;
	struct sim_cortexm_desc core;
};

static const struct sim_kinetis_part sim_kinetis_parts[] = {
	{
		.id.name = "mkl25z128",
		.id.summary = "NXP Kinetis MKL25Z128VLK4 (FRDM-KL25Z), Cortex-M0+, 128 KB flash, 16 KB SRAM, "
			      "FTFA, MDM-AP",
		.flash_kb = 128, .sram_kb = 16, .sram_l_kb = 4, .sector_bytes = 1024,
		.pgm_cmd = KIN_CMD_PGM4, .pgm_bytes = 4, .ftf_regs = 0x14, .fcnfg = 0x00,
		/* FAMID 2 KL2x, SUBFAMID 5 KLx5, SERIESID 1 KL, SRAMSIZE 5 16 KB,
		 * REVID 1 (?), DIEID 0 (?), PINID 6 80-pin */
		.sdid = 0x25151006u,
		.fcfg1 = 0x07000000u, /* PFSIZE 0b0111: 128 KB */
		.fcfg2 = 0x10000000u, /* MAXADDR0 0x10: first invalid address 0x20000 */
		.uidmh_mask = 0xFFFFu, .mdm_idr = 0x001C0020u, .srr_while_secure = true, .kl_priv = true,
		.ersall_ms = 100.0, .erssec_ms = 14.0,
		.dpidr = 0x0BC11477u, .ap_idr = 0x04770031u, .core = KIN_CORE_M0P,
	},
	{
		.id.name = "mk64fn1m0",
		.id.summary = "NXP Kinetis MK64FN1M0VLL12 (FRDM-K64F), Cortex-M4F, 1 MB flash, 256 KB SRAM, "
			      "FTFE, MDM-AP",
		.flash_kb = 1024, .sram_kb = 256, .sram_l_kb = 64, .sector_bytes = 4096,
		.pgm_cmd = KIN_CMD_PGM8, .pgm_bytes = 8, .ftf_regs = 0x18, .fcnfg = 0x02 /* RAMRDY */,
		/* FAMILYID 6 K6x, SUBFAMID 2 (the RM's 4 read as 2: errata e7534),
		 * SERIESID 0 K, REVID 0 (?), DIEID 6 (?), FAMID 4 K6x, PINID 8 100-pin */
		.sdid = 0x62000348u,
		/* NVMSIZE 0, PFSIZE 0b1101 1 MB, EESIZE 0b1111 none, DEPART 0xF (?) */
		.fcfg1 = 0x0D0F0F00u,
		.fcfg2 = 0x40C00000u, /* MAXADDR0 0x40, PFLSH 1, MAXADDR1 0x40: two 512 KB blocks */
		.sopt1 = 0x0000B000u, /* RAMSIZE 0b1011: 256 KB */
		.uidmh_mask = 0xFFFFFFFFu, .mdm_idr = 0x001C0000u, .srr_while_secure = false,
		.ersall_ms = 200.0, .erssec_ms = 14.0,
		.dpidr = 0x2BA01477u, .ap_idr = 0x24770011u, .core = KIN_CORE_M4F,
	},
};

#define KIN_NPARTS (sizeof(sim_kinetis_parts) / sizeof(sim_kinetis_parts[0]))

/* What the flash memory module is doing; the MDM-AP's erase runs on it. */
enum sim_kinetis_op {
	KIN_OP_NONE,
	KIN_OP_ERSSCR,
	KIN_OP_ERSALL,
	KIN_OP_MDM_ERASE,
};

struct sim_kinetis_chip {
	const struct sim_kinetis_part *part;
	uint8_t *flash, *ram;
	/* The Flash Configuration Field as the last reset loaded it: the FSEC,
	 * FOPT, FPROT (and FEPROT, FDPROT) registers read from here. */
	uint8_t fcf[KIN_FCF_BYTES];
	uint8_t fstat;              /* FSTAT error bits; CCIF comes from op */
	uint8_t fccob[KIN_FCCOB_BYTES]; /* by register offset from FCCOB3 */
	enum sim_kinetis_op op;
	uint32_t op_addr;           /* ERSSCR: the sector's first byte */
	uint64_t op_until_ns;
	uint32_t mdm_ctrl;          /* Control bits 1-7 as written */
	bool mdm_ack;               /* Status bit 0 */
	bool mdm_refused;           /* a refused request keeps FMEIP set until the next reset */
	bool core_held;             /* Core Hold Reset caught the core at the last reset's end */
	/* fcf_erased: an MDM-AP erase finished while the chip was held in
	 * reset; that reset's end keeps FSEC unsecure ("until the next
	 * reset": the one in progress is not the next (?)). */
	bool unsecure_past_reset;
};

static struct sim_kinetis_chip *sim_kinetis_of(struct sim_chip *c)
{
	return c->priv;
}

static uint32_t sim_kinetis_flash_bytes(const struct sim_kinetis_chip *k)
{
	return k->part->flash_kb * 1024u;
}

static uint32_t sim_kinetis_ram_bytes(const struct sim_kinetis_chip *k)
{
	return k->part->sram_kb * 1024u;
}

static uint32_t sim_kinetis_ram_base(const struct sim_kinetis_chip *k)
{
	return KIN_SRAM_U_BASE - k->part->sram_l_kb * 1024u;
}

/* FSEC[SEC] of the register: anything but 0b10 is secure. */
static bool sim_kinetis_secure(const struct sim_kinetis_chip *k)
{
	return (k->fcf[KIN_FCF_FSEC] & KIN_SEC_MASK) != KIN_SEC_UNSECURE;
}

/* FSEC[MEEN] counts only while secure ("FSEC", MEEN): mass erase is
 * refused only when the part is secure and MEEN is 0b10. */
static bool sim_kinetis_mass_erase_allowed(const struct sim_kinetis_chip *k)
{
	unsigned meen = (k->fcf[KIN_FCF_FSEC] >> KIN_MEEN_SHIFT) & 3u;

	return !sim_kinetis_secure(k) || meen != KIN_MEEN_DISABLED;
}

/* Release security in the FSEC register only ("Erase All Blocks"): the
 * SEC field goes unsecure, the other fields keep what they had. */
static void sim_kinetis_release(struct sim_kinetis_chip *k)
{
	k->fcf[KIN_FCF_FSEC] = (uint8_t)((k->fcf[KIN_FCF_FSEC] & ~KIN_SEC_MASK) | KIN_SEC_UNSECURE);
}

/* Level 0: FSEC 0xFE (as the factory ships it); level 1: 0xFF (secure,
 * mass erase enabled: an erased Flash Configuration Field); level 2: 0xEF
 * (secure, MEEN 0b10, backdoor disabled: nothing unsecures it). */
static int sim_kinetis_profile_rdp(size_t i, unsigned level, uint8_t *rdp)
{
	static const uint8_t fsec[3] = { KIN_FSEC_UNSECURE, KIN_FSEC_SECURE, KIN_FSEC_PERMANENT };

	(void)i;
	if (level > 2)
		return -1;
	*rdp = fsec[level];
	return 0;
}

static void sim_kinetis_destroy(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	if (!k)
		return;
	free(k->flash);
	free(k->ram);
	free(k);
	c->priv = NULL;
}

static void sim_kinetis_start(struct sim_chip *c, enum sim_kinetis_op op, double ms)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	k->op = op;
	k->op_until_ns = sim_chip_deadline_ns(c, ms);
}

/* An operation that has run its time. A sector erase erases its sector.
 * Erase All Blocks erases the flash and releases security in the FSEC
 * register; the 0x40C byte reads 0xFF, so the next reset secures the part
 * again. The MDM-AP's erase does the same and also programs the security
 * byte unsecure ("Erase all flash contents"): the part stays unsecure
 * across resets; with the option fcf_erased (SIM_CHIP_FCF_ERASED) it
 * leaves it erased, as other readings have it. */
static void sim_kinetis_finish(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	enum sim_kinetis_op op = k->op;

	k->op = KIN_OP_NONE;
	if (op == KIN_OP_ERSSCR) {
		memset(k->flash + k->op_addr, 0xFF, k->part->sector_bytes);
		return;
	}
	memset(k->flash, 0xFF, sim_kinetis_flash_bytes(k));
	sim_kinetis_release(k);
	c->counters->mass_erases++;
	if (op == KIN_OP_MDM_ERASE && !(c->flags & SIM_CHIP_FCF_ERASED))
		k->flash[KIN_FCF_BASE + KIN_FCF_FSEC] = KIN_FSEC_UNSECURE;
	else if (op == KIN_OP_MDM_ERASE)
		k->unsecure_past_reset = c->nreset_low || (k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ);
}

static void sim_kinetis_finish_due(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	if (sim_chip_op_due(c, k->op != KIN_OP_NONE, k->op_until_ns))
		sim_kinetis_finish(c);
}

/* Also the MDM-AP's hold on the core, which the common reset code does not
 * know: System Reset Request keeps the chip in reset while set, Core Hold
 * Reset keeps the core in reset after a reset ends; whatever else ended a
 * reset meanwhile (AIRCR, nRESET), the core goes back into it before the
 * next access sees it (?). Debug Request halts a running core whose halting
 * debug is enabled (an EDBGRQ). */
static void sim_kinetis_tick(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	struct sim_cortexm *cm = &c->core;

	sim_kinetis_finish_due(c);
	if (!cm->in_reset && ((k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ) || k->core_held))
		sim_cortexm_hold_reset(cm);
	if ((k->mdm_ctrl & KIN_CTRL_DBG_REQ) && sim_cortexm_running(cm) &&
	    (cm->dhcsr_ctrl & KIN_DHCSR_C_DEBUGEN))
		sim_cortexm_write(cm, KIN_DHCSR, KIN_DHCSR_KEY | cm->dhcsr_ctrl | KIN_DHCSR_C_HALT);
}

/* The family part of every reset: an operation still running is abandoned
 * and the flash left as it was (?); the FTFx registers return to idle;
 * the FSEC, FOPT and FPROT registers load the Flash Configuration Field
 * ("FSEC": loaded during the reset sequence); the MDM-AP's acknowledge and
 * a refused erase request clear ("Control", FMEIP: asserted until the next
 * system reset) (?: the acknowledge). */
static void sim_kinetis_system_reset(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	sim_kinetis_finish_due(c);
	k->op = KIN_OP_NONE;
	k->fstat = 0;
	memset(k->fccob, 0, sizeof(k->fccob));
	memcpy(k->fcf, k->flash + KIN_FCF_BASE, KIN_FCF_BYTES);
	/* Kept while the chip is still held (nRESET and System Reset Request
	 * end one reset together: whichever is released first does not end
	 * it). */
	if (k->unsecure_past_reset)
		sim_kinetis_release(k);
	if (!c->nreset_low && !(k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ))
		k->unsecure_past_reset = false;
	k->mdm_ack = false;
	k->mdm_refused = false;
	k->core_held = k->mdm_ctrl & KIN_CTRL_CORE_HOLD;
}

/* Power-on also clears the MDM-AP's Control register (it sits in the debug
 * domain, which a system reset keeps) and the SRAM (?). */
static void sim_kinetis_power_on(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	k->mdm_ctrl = 0;
	k->unsecure_past_reset = false;
	memset(k->ram, 0, sim_kinetis_ram_bytes(k));
	sim_kinetis_system_reset(c);
}

static uint32_t sim_kinetis_mdm_status(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	bool in_reset = c->nreset_low || (k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ);
	uint32_t v = KIN_ST_FREADY | KIN_ST_BIT4; /* flash initialisation takes no time (?) */

	if (k->mdm_ack)
		v |= KIN_ST_FMEACK;
	if (sim_kinetis_secure(k))
		v |= KIN_ST_SYSSEC;
	if (!in_reset)
		v |= KIN_ST_SYSRES;
	if (sim_kinetis_mass_erase_allowed(k))
		v |= KIN_ST_MEEN;
	if (((k->fcf[KIN_FCF_FSEC] >> KIN_KEYEN_SHIFT) & 3u) == KIN_KEYEN_ENABLED)
		v |= KIN_ST_BACKDOOR;
	if (c->core.halted)
		v |= KIN_ST_HALTED;
	return v;
}

static void sim_kinetis_mdm_read(struct sim_chip *c, unsigned reg, uint32_t *val)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	bool fmeip = k->op == KIN_OP_MDM_ERASE || k->mdm_refused;

	if (reg == KIN_MDM_STATUS)
		*val = sim_kinetis_mdm_status(c);
	else if (reg == KIN_MDM_CTRL)
		*val = k->mdm_ctrl | (fmeip ? KIN_CTRL_FMEIP : 0);
}

/* FMEIP written 1 ("Control", bit 0): with mass erase allowed the request
 * is acknowledged (Status bit 0) and the erase runs for tERSALL, replacing
 * whatever the flash was doing (?); refused, nothing happens but FMEIP stays
 * set until the next system reset. A 1 while either shows is ignored. */
static void sim_kinetis_mdm_request(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	if (k->op == KIN_OP_MDM_ERASE || k->mdm_refused)
		return;
	if (!sim_kinetis_mass_erase_allowed(k)) {
		k->mdm_refused = true;
		return;
	}
	k->mdm_ack = true;
	sim_kinetis_start(c, KIN_OP_MDM_ERASE, k->part->ersall_ms);
}

/* Core Hold Reset cleared: a core it holds leaves reset, unless the system
 * itself is still in reset. */
static void sim_kinetis_core_release(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	uint32_t msp, pc;

	k->core_held = false;
	if (c->nreset_low || (k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ) || !c->core.in_reset)
		return;
	c->ops->reset_vectors(c, &msp, &pc);
	sim_cortexm_leave_reset(&c->core, msp, pc);
}

/* Control ("MDM-AP Control register"): while secure only FMEIP takes
 * effect, and on the KL25 System Reset Request too (pyOCD: that bit cannot
 * be written while secure on an MDM-AP of IDR version 0, the K64's); the
 * other bits keep their value. System Reset Request set holds the chip in
 * reset; cleared, the reset takes effect then. FMEIP written 0 does not
 * stop an erase (?). */
static void sim_kinetis_mdm_write(struct sim_chip *c, unsigned reg, uint32_t v)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	uint32_t mask = KIN_CTRL_FMEIP | KIN_CTRL_STORED, old = k->mdm_ctrl;

	if (reg != KIN_MDM_CTRL)
		return;
	if (sim_kinetis_secure(k))
		mask = KIN_CTRL_FMEIP | (k->part->srr_while_secure ? KIN_CTRL_SYS_RES_REQ : 0);
	k->mdm_ctrl = (old & ~mask) | (v & mask & KIN_CTRL_STORED);
	if (v & mask & KIN_CTRL_FMEIP)
		sim_kinetis_mdm_request(c);
	if ((old & KIN_CTRL_CORE_HOLD) && !(k->mdm_ctrl & KIN_CTRL_CORE_HOLD) && k->core_held)
		sim_kinetis_core_release(c);
	if (!(old & KIN_CTRL_SYS_RES_REQ) && (k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ))
		sim_cortexm_hold_reset(&c->core);
	else if ((old & KIN_CTRL_SYS_RES_REQ) && !(k->mdm_ctrl & KIN_CTRL_SYS_RES_REQ))
		sim_chip_system_reset(c);
}

static int sim_kinetis_create(struct sim_chip *c, size_t part, uint8_t rdp)
{
	const struct sim_kinetis_part *p;
	struct sim_kinetis_chip *k;

	if (part >= KIN_NPARTS)
		return -ENOENT;
	p = &sim_kinetis_parts[part];
	if (!(k = calloc(1, sizeof(*k))))
		return -ENOMEM;
	c->priv = k;
	k->part = p;
	k->flash = malloc(sim_kinetis_flash_bytes(k));
	k->ram = calloc(1, sim_kinetis_ram_bytes(k));
	if (!k->flash || !k->ram) {
		sim_kinetis_destroy(c);
		return -ENOMEM;
	}
	/* Initial SP at the top of SRAM_U; the reset handler after the FCF (?). */
	sim_mech_fill_program(k->flash, sim_kinetis_flash_bytes(k),
			      KIN_SRAM_U_BASE + (p->sram_kb - p->sram_l_kb) * 1024u, KIN_FLASH_BASE + 0x411u);
	memset(k->flash + KIN_FCF_BASE, 0xFF, KIN_FCF_BYTES);
	k->flash[KIN_FCF_BASE + KIN_FCF_FSEC] = rdp;
	c->dpidr = p->dpidr;
	c->ap_idr = p->ap_idr;
	c->dp_version = 1;
	c->aps[KIN_MDM_APSEL] = (struct sim_ap){
		.idr = p->mdm_idr,
		.reg_read = sim_kinetis_mdm_read,
		.reg_write = sim_kinetis_mdm_write,
	};
	sim_cortexm_init(&c->core, &p->core);
	return 0;
}

/* Region I of the 32 FPROT protects 1/32 of the flash, bit clear =
 * protected ("FPROT"); FPROT3 bit 0 (at 0x408 / 0x40020010) is the lowest. */
static bool sim_kinetis_protected(const struct sim_kinetis_chip *k, uint32_t addr)
{
	unsigned region = addr / (sim_kinetis_flash_bytes(k) / 32u);

	return !((sim_mech_load(k->fcf + KIN_FCF_FPROT, 4) >> region) & 1u);
}

static bool sim_kinetis_any_protected(const struct sim_kinetis_chip *k)
{
	return sim_mech_load(k->fcf + KIN_FCF_FPROT, 4) != 0xFFFFFFFFu;
}

/* Program Longword / Program Phrase: FCCOB7..4 hold the word at ADDR
 * (FCCOB7 its lowest byte), FCCOBB..8 the FTFE's second word. Bits only go
 * from 1 to 0; asking a 0 back to 1 fails the verify, MGSTAT0 (?). */
static void sim_kinetis_program(struct sim_kinetis_chip *k, uint32_t addr)
{
	for (unsigned i = 0; i < k->part->pgm_bytes; i += 4) {
		uint32_t want = sim_mech_load(k->fccob + 4 + i, 4);
		uint32_t got = sim_mech_load(k->flash + addr + i, 4) & want;

		memcpy(k->flash + addr + i, &got, 4);
		if (got != want)
			k->fstat |= KIN_FSTAT_MGSTAT0;
	}
}

/* Whether ADDR is a flash address a command may take: aligned to the
 * programming unit ("FCCOB requirements"), inside the flash. */
static bool sim_kinetis_cmd_addr_ok(const struct sim_kinetis_chip *k, uint32_t addr)
{
	return addr % k->part->pgm_bytes == 0 && addr < sim_kinetis_flash_bytes(k);
}

/* CCIF written 1 with no error flag set: the command in FCCOB0 runs
 * ("Flash command operations", and each command's error handling table).
 * An address out of place or a command the model does not know is
 * ACCERR; a protected region is FPVIOL. Erase All Blocks on a part that is
 * secure with MEEN 0b10 (only firmware could try) is ACCERR (?). */
static void sim_kinetis_launch(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	uint32_t addr = sim_mech_load(k->fccob, 3);
	uint8_t cmd = k->fccob[3];

	k->fstat &= (uint8_t)~KIN_FSTAT_MGSTAT0;
	if (cmd == KIN_CMD_ERSALL) {
		if (!sim_kinetis_mass_erase_allowed(k))
			k->fstat |= KIN_FSTAT_ACCERR;
		else if (sim_kinetis_any_protected(k))
			k->fstat |= KIN_FSTAT_FPVIOL;
		else
			sim_kinetis_start(c, KIN_OP_ERSALL, k->part->ersall_ms);
	} else if ((cmd != k->part->pgm_cmd && cmd != KIN_CMD_ERSSCR) ||
		   !sim_kinetis_cmd_addr_ok(k, addr)) {
		k->fstat |= KIN_FSTAT_ACCERR;
	} else if (sim_kinetis_protected(k, addr)) {
		k->fstat |= KIN_FSTAT_FPVIOL;
	} else if (cmd == KIN_CMD_ERSSCR) {
		k->op_addr = addr - addr % k->part->sector_bytes;
		sim_kinetis_start(c, KIN_OP_ERSSCR, k->part->erssec_ms);
	} else {
		sim_kinetis_program(k, addr); /* tens of microseconds: done at once (?) */
	}
}

/* FTFx register byte OFF. CCIF reads 0 while an operation (the MDM-AP's
 * erase included) runs; FCNFG[ERSAREQ] while the MDM-AP's erase runs. */
static uint8_t sim_kinetis_ftf_byte(const struct sim_kinetis_chip *k, uint32_t off)
{
	if (off == KIN_FSTAT)
		return (uint8_t)((k->op == KIN_OP_NONE ? KIN_FSTAT_CCIF : 0) | k->fstat);
	if (off == KIN_FCNFG)
		return (uint8_t)(k->part->fcnfg | (k->op == KIN_OP_MDM_ERASE ? KIN_FCNFG_ERSAREQ : 0));
	if (off == KIN_FSEC)
		return k->fcf[KIN_FCF_FSEC];
	if (off == KIN_FOPT)
		return k->fcf[KIN_FCF_FOPT];
	if (off >= KIN_FCCOB && off < KIN_FCCOB + KIN_FCCOB_BYTES)
		return k->fccob[off - KIN_FCCOB];
	if (off >= KIN_FPROT && off < KIN_FPROT + 4)
		return k->fcf[KIN_FCF_FPROT + off - KIN_FPROT];
	if ((off == KIN_FEPROT || off == KIN_FDPROT) && off < k->part->ftf_regs)
		return k->fcf[off - KIN_FEPROT + 0xE]; /* 0x40E FEPROT, 0x40F FDPROT */
	return 0;
}

/* A byte written to the FTFx registers. FSTAT: RDCOLERR, ACCERR, FPVIOL
 * write 1 to clear, then CCIF 1 launches. FCCOB takes bytes while idle
 * (else dropped (?)). FPROT bits may only be cleared: protection grows
 * until the next reset ("FPROT"). The rest is read-only. */
static void sim_kinetis_ftf_write_byte(struct sim_chip *c, uint32_t off, uint8_t b)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	if (off == KIN_FSTAT) {
		k->fstat &= (uint8_t)~(b & KIN_FSTAT_W1C);
		if ((b & KIN_FSTAT_CCIF) && k->op == KIN_OP_NONE &&
		    !(k->fstat & (KIN_FSTAT_ACCERR | KIN_FSTAT_FPVIOL)))
			sim_kinetis_launch(c);
	} else if (off >= KIN_FCCOB && off < KIN_FCCOB + KIN_FCCOB_BYTES && k->op == KIN_OP_NONE) {
		k->fccob[off - KIN_FCCOB] = b;
	} else if (off >= KIN_FPROT && off < KIN_FPROT + 4) {
		k->fcf[KIN_FCF_FPROT + off - KIN_FPROT] &= b;
	}
}

/* Where an address falls among the arrays: a byte pointer, and whether it
 * is flash. NULL: neither. */
static uint8_t *sim_kinetis_mem_at(struct sim_kinetis_chip *k, uint32_t addr, unsigned size, bool *flash)
{
	*flash = true;
	if (sim_mech_in(addr, size, KIN_FLASH_BASE, sim_kinetis_flash_bytes(k)))
		return k->flash + (addr - KIN_FLASH_BASE);
	*flash = false;
	if (sim_mech_in(addr, size, sim_kinetis_ram_base(k), sim_kinetis_ram_bytes(k)))
		return k->ram + (addr - sim_kinetis_ram_base(k));
	return NULL;
}

/* A SIM identification register or the SMC word, or false when ADDR (a
 * word) is none of them. SMC_PMSTAT reads RUN, the only power mode the
 * model has (OpenOCD runs no flash command in another); the other SMC
 * registers read 0 (?). */
static bool sim_kinetis_fixed_reg(const struct sim_chip *c, const struct sim_kinetis_part *p,
				  uint32_t addr, uint32_t *v)
{
	switch (addr) {
	case KIN_SIM_SOPT1: *v = p->sopt1; return true;
	case KIN_SIM_SDID: *v = p->sdid; return true;
	case KIN_SIM_FCFG1: *v = p->fcfg1; return true;
	case KIN_SIM_FCFG2: *v = p->fcfg2; return true;
	case KIN_SIM_UIDH: *v = 0; return true; /* K64: the model's UID has 96 bits (?) */
	case KIN_SIM_UIDMH: *v = c->uid[2] & p->uidmh_mask; return true;
	case KIN_SIM_UIDML: *v = c->uid[1]; return true;
	case KIN_SIM_UIDL: *v = c->uid[0]; return true;
	case KIN_SMC_WORD: *v = KIN_SMC_PMSTAT_RUN; return true;
	default: return false;
	}
}

/* The peripheral windows that read 0 and take writes (?). */
static bool sim_kinetis_periph(const struct sim_kinetis_chip *k, uint32_t addr, unsigned size)
{
	return sim_mech_in(addr, size, KIN_PERIPH_BASE, KIN_PERIPH_END - KIN_PERIPH_BASE) ||
	       (k->part->kl_priv && sim_mech_in(addr, size, KIN_KL_PRIV_BASE, KIN_KL_PRIV_BYTES));
}

/* While secure the debugger reaches nothing through the AHB-AP: every
 * access, the core's registers included, is a bus error ("MDM-AP",
 * security: no access to the system bus or any memory-mapped peripheral). */
static int sim_kinetis_bus_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val,
				bool debugger)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	uint32_t w;
	uint8_t *mem;
	bool flash;

	*val = 0;
	if (debugger && sim_kinetis_secure(k))
		return -EFAULT;
	if ((mem = sim_kinetis_mem_at(k, addr, size, &flash))) {
		*val = sim_mech_load(mem, size);
		return 0;
	}
	if (sim_mech_in(addr, size, KIN_FTF_BASE, KIN_FTF_BYTES)) {
		for (unsigned i = 0; i < size; i++)
			*val |= (uint32_t)sim_kinetis_ftf_byte(k, addr - KIN_FTF_BASE + i) << (8 * i);
		return 0;
	}
	if (sim_kinetis_fixed_reg(c, k->part, addr & ~3u, &w)) {
		*val = sim_mech_lane(w, addr, size);
		return 0;
	}
	if (sim_kinetis_periph(k, addr, size))
		return 0;
	if (sim_cortexm_owns(addr))
		return sim_cortexm_read_sized(&c->core, addr, size, val);
	return -EFAULT;
}

/* The flash array takes no bus writes: only the FTFx programs it; a
 * debugger write there is a bus error (?). Test pokes store as given. */
static int sim_kinetis_bus_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val,
				 bool debugger)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);
	uint32_t w;
	uint8_t *mem;
	bool flash;

	if (debugger && sim_kinetis_secure(k))
		return -EFAULT;
	if ((mem = sim_kinetis_mem_at(k, addr, size, &flash))) {
		if (flash && debugger)
			return -EFAULT;
		memcpy(mem, &val, size);
		return 0;
	}
	if (sim_mech_in(addr, size, KIN_FTF_BASE, KIN_FTF_BYTES)) {
		if (debugger)
			c->counters->flash_if_writes++;
		for (unsigned i = 0; i < size; i++) {
			uint8_t b = (uint8_t)(val >> (8 * i));

			sim_kinetis_ftf_write_byte(c, addr - KIN_FTF_BASE + i, b);
		}
		return 0;
	}
	if (sim_kinetis_fixed_reg(c, k->part, addr & ~3u, &w) || sim_kinetis_periph(k, addr, size))
		return 0; /* these are read-only here; other peripherals take writes (?) */
	if (sim_cortexm_owns(addr))
		return sim_cortexm_write_sized(&c->core, addr, size, val);
	return -EFAULT;
}

/* 0 unsecure, 1 secure with mass erase enabled, 2 secure for good. */
static int sim_kinetis_rdp_level(struct sim_chip *c)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	sim_kinetis_finish_due(c);
	if (!sim_kinetis_secure(k))
		return 0;
	return sim_kinetis_mass_erase_allowed(k) ? 1 : 2;
}

/* The vector table sits at the start of the flash (no boot ROM on these). */
static void sim_kinetis_reset_vectors(struct sim_chip *c, uint32_t *msp, uint32_t *pc)
{
	struct sim_kinetis_chip *k = sim_kinetis_of(c);

	*msp = sim_mech_load(k->flash, 4);
	*pc = sim_mech_load(k->flash + 4, 4);
}

const struct sim_chip_ops sim_kinetis_ops = {
	.family = "nxp kinetis",
	.parts = SIM_PART_TABLE(sim_kinetis_parts),
	.profile_rdp = sim_kinetis_profile_rdp,
	.create = sim_kinetis_create,
	.destroy = sim_kinetis_destroy,
	.bus_read = sim_kinetis_bus_read,
	.bus_write = sim_kinetis_bus_write,
	.tick = sim_kinetis_tick,
	.system_reset = sim_kinetis_system_reset,
	.power_on = sim_kinetis_power_on,
	.rdp_level = sim_kinetis_rdp_level,
	.level2_dp_answers = true,
	.reset_vectors = sim_kinetis_reset_vectors,
};
