/*
 * test_sim_kinetis.c - the simulated NXP Kinetis MKL25Z128 and MK64FN1M0 at
 * register level, through raw CMSIS-DAP bytes and sim.h only: a secured
 * part cuts the AHB-AP off while the MDM-AP (APSEL 1) answers; the MDM-AP's
 * mass erase (Control bit 0) erases the flash, programs the security byte
 * unsecure and leaves the part unsecure across resets; FSEC 0xEF (mass
 * erase disabled) refuses it; on an unsecure part the FTFx commands erase
 * the Flash Configuration Field's sector and program it, and the next reset
 * secures the part. Registers as docs/sim/sim_kinetis.md tables them
 * (KL25P80M48SF0RM, K64P144M120SF5RM, OpenOCD kinetis.c).
 */
#include "test_sim_util.h"

#include <errno.h>

#define MDM 1u
#define MDM_STATUS 0x00u
#define MDM_CTRL 0x04u
#define MDM_IDR 0xFCu

#define ST_FMEACK (1u << 0)
#define ST_FREADY (1u << 1)
#define ST_SYSSEC (1u << 2)
#define ST_SYSRES (1u << 3)
#define ST_MEEN (1u << 5)
#define ST_BACKDOOR (1u << 6)
#define ST_HALTED (1u << 16)

#define CTRL_FMEIP (1u << 0)
#define CTRL_DBG_REQ (1u << 2)
#define CTRL_SYS_RES_REQ (1u << 3)
#define CTRL_CORE_HOLD (1u << 4)

#define FTF_FSTAT 0x40020000u
#define FTF_FCNFG 0x40020001u
#define FTF_FSEC 0x40020002u
#define FTF_FCCOB3 0x40020004u /* FCCOB3..0: address [7:0] .. command */
#define FTF_FCCOB7 0x40020008u /* FCCOB7..4: the word programmed, lowest byte first */
#define FTF_FCCOBB 0x4002000Cu
#define FTF_FPROT3 0x40020010u
#define FSTAT_CCIF 0x80u
#define FSTAT_ACCERR 0x20u
#define FSTAT_FPVIOL 0x10u
#define FSTAT_MGSTAT0 0x01u

#define SIM_SOPT1 0x40047000u
#define SIM_SDID 0x40048024u
#define SIM_FCFG1 0x4004804Cu
#define SIM_FCFG2 0x40048050u
#define SIM_UIDH 0x40048054u
#define SIM_UIDMH 0x40048058u
#define SIM_UIDML 0x4004805Cu
#define SIM_UIDL 0x40048060u
#define SMC_PMSTAT 0x4007E003u
#define CPUID 0xE000ED00u
#define AIRCR 0xE000ED0Cu
#define DHCSR 0xE000EDF0u
#define ROM_PIDR4 0xE00FFFD0u
#define ROM_PIDR1 0xE00FFFE4u
#define ROM_PIDR2 0xE00FFFE8u

#define FSEC_WORD 0x40Cu /* FSEC, FOPT, FEPROT, FDPROT */

/* The two parts: what differs between them for these tests. */
struct kin_part {
	const char *stem;
	uint32_t dpidr, ap_idr, mdm_idr, cpuid, sdid, fcfg1, fcfg2, flash_bytes, sector_bytes;
	uint32_t sram_base, sram_bytes;
	unsigned pgm_bytes;
	uint8_t pgm_cmd;
	bool srr_while_secure;
};

static const struct kin_part kin_parts[] = {
	{ "mkl25z128", 0x0BC11477u, 0x04770031u, 0x001C0020u, 0x410CC601u, 0x25151006u, 0x07000000u,
	  0x10000000u, 128u * 1024u, 1024u, 0x1FFFF000u, 16u * 1024u, 4, 0x06, true },
	{ "mk64fn1m0", 0x2BA01477u, 0x24770011u, 0x001C0000u, 0x410FC241u, 0x62000348u, 0x0D0F0F00u,
	  0x40C00000u, 1024u * 1024u, 4096u, 0x1FFF0000u, 256u * 1024u, 8, 0x07, false },
};

#define NPARTS (sizeof(kin_parts) / sizeof(kin_parts[0]))

static struct sim_probe *kin_open(const struct kin_part *p, unsigned level, double scale)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-rdp%u", p->stem, level);
	return ts_open(name, scale);
}

static uint32_t mdm(struct sim_probe *sp, unsigned reg)
{
	uint32_t v;

	CHECK_EQ_U(ts_ap_rd(sp, MDM, reg, &v), 1);
	return v;
}

static void mdm_ctrl(struct sim_probe *sp, uint32_t v)
{
	CHECK_EQ_U(ts_ap_wr(sp, MDM, MDM_CTRL, v), 1);
}

static uint32_t rd(struct sim_probe *sp, uint32_t addr)
{
	uint32_t v = 0xDEADBEEFu;

	CHECK_EQ_U(ts_read32(sp, addr, &v), 1);
	return v;
}

static void wr(struct sim_probe *sp, uint32_t addr, uint32_t v)
{
	CHECK_EQ_U(ts_write32(sp, addr, v), 1);
}

/* A byte through AP0: CSW 8-bit, TAR, DRW with the byte in ADDR's lane
 * (ADIv5.2 C2.2.5). Returns the ACK. */
static unsigned ts_byte(struct sim_probe *sp, uint32_t addr, bool read, uint8_t *b)
{
	uint8_t q[] = { 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x50, 0x00, 0x00, 0x23,
			0x05, 0, 0, 0, 0, 0x0D, 0, 0, 0, 0 };
	uint8_t r[TS_CAP];
	unsigned lane = 8 * (addr & 3);
	int len;

	ts_put32(q + 14, addr);
	if (read)
		q[18] = 0x0F;
	else
		ts_put32(q + 19, (uint32_t)*b << lane);
	len = ts_cmd(sp, q, read ? sizeof(q) - 4 : sizeof(q), r);
	if (read && len >= 7)
		*b = (uint8_t)(ts_get32(r + 3) >> lane);
	return len >= 3 ? r[2] : 0xEE;
}

static uint8_t rd8(struct sim_probe *sp, uint32_t addr)
{
	uint8_t b = 0xEE;

	CHECK_EQ_U(ts_byte(sp, addr, true, &b), 1);
	return b;
}

static void wr8(struct sim_probe *sp, uint32_t addr, uint8_t b)
{
	CHECK_EQ_U(ts_byte(sp, addr, false, &b), 1);
}

/* An AHB-AP read that must fail: FAULT, then ABORT clears the sticky error. */
static void rd_faults(struct sim_probe *sp, uint32_t addr)
{
	uint32_t v;

	CHECK_EQ_U(ts_read32(sp, addr, &v), 4);
	CHECK_EQ_U(ts_abort(sp), 1);
}

/* An AHB-AP write that must fail: the closing RDBUFF read sees the bus
 * error, CTRL/STAT shows STICKYERR, ABORT clears it. */
static void wr_faults(struct sim_probe *sp, uint32_t addr, uint32_t val)
{
	uint32_t v = 0;

	CHECK_EQ_U(ts_write32(sp, addr, val), 4);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	CHECK(v & (1u << 5));
	CHECK_EQ_U(ts_abort(sp), 1);
}

static struct sim_counters counters(struct sim_probe *sp)
{
	struct sim_counters c;

	sim_probe_get_counters(sp, &c);
	return c;
}

/* DAP_SWJ_Pins: nRESET (bit 7) driven low or released. */
static void nreset(struct sim_probe *sp, bool low)
{
	uint8_t q[] = { 0x10, low ? 0x00 : 0x80, 0x80, 0, 0, 0, 0 };
	uint8_t r[TS_CAP];

	ts_cmd(sp, q, sizeof(q), r);
}

/* Poll REG of the MDM-AP until (value & MASK) == WANT, at most 3 s. */
static void mdm_wait(struct sim_probe *sp, unsigned reg, uint32_t mask, uint32_t want)
{
	uint64_t t0 = ts_ms_now();

	while ((mdm(sp, reg) & mask) != want) {
		if (ts_ms_now() - t0 > 3000) {
			CHECK(0);
			break;
		}
		ts_sleep_ms(1);
	}
}

/* FSTAT polled until CCIF, then the error bits it shows. */
static uint8_t ftf_wait(struct sim_probe *sp)
{
	uint64_t t0 = ts_ms_now();
	uint8_t s;

	while (!((s = rd8(sp, FTF_FSTAT)) & FSTAT_CCIF)) {
		if (ts_ms_now() - t0 > 3000) {
			CHECK(0);
			break;
		}
		ts_sleep_ms(1);
	}
	return s & (uint8_t)~FSTAT_CCIF;
}

/* One FTFx command as OpenOCD's kinetis_ftfx_command loads it: errors
 * cleared, FCCOB3..0 (address, command), FCCOB7..4 and FCCOBB..8 (the
 * data words), CCIF written 1, FSTAT polled. Returns the error bits. */
static uint8_t ftf_cmd(struct sim_probe *sp, uint8_t cmd, uint32_t addr, uint32_t w0, uint32_t w1)
{
	wr8(sp, FTF_FSTAT, 0x70);
	wr(sp, FTF_FCCOB3, (uint32_t)cmd << 24 | (addr & 0xFFFFFFu));
	wr(sp, FTF_FCCOB7, w0);
	wr(sp, FTF_FCCOBB, w1);
	wr8(sp, FTF_FSTAT, FSTAT_CCIF);
	return ftf_wait(sp);
}

/* Secured (FSEC 0xFF): DPIDR, both APs' IDR and the MDM-AP answer; Status
 * shows System Security and Mass Erase Enable; every AHB-AP data access,
 * the PPB included, is a bus error; test peeks still see the chip. */
TEST(secured_ahb_faults_mdm_answers)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct kin_part *p = &kin_parts[i];
		struct sim_probe *sp = kin_open(p, 1, 0.01);
		uint32_t v = 0, st;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(ts_dpidr(sp, &v), 1);
		CHECK_EQ_U(v, p->dpidr);
		CHECK_EQ_U(ts_ap_rd(sp, 0, 0xFC, &v), 1);
		CHECK_EQ_U(v, p->ap_idr);
		CHECK_EQ_U(mdm(sp, MDM_IDR), p->mdm_idr);
		CHECK_EQ_U(ts_ap_rd(sp, 2, 0xFC, &v), 1);
		CHECK_EQ_U(v, 0); /* no AP at APSEL 2 */
		st = mdm(sp, MDM_STATUS);
		CHECK_EQ_U(st & (ST_FMEACK | ST_FREADY | ST_SYSSEC | ST_SYSRES | ST_MEEN | ST_BACKDOOR),
			   ST_FREADY | ST_SYSSEC | ST_SYSRES | ST_MEEN);
		CHECK_EQ_U(mdm(sp, MDM_CTRL), 0);
		rd_faults(sp, 0x00000000u);
		rd_faults(sp, p->sram_base);
		rd_faults(sp, SIM_SDID);
		rd_faults(sp, FTF_FSTAT);
		rd_faults(sp, CPUID);
		rd_faults(sp, DHCSR);
		wr_faults(sp, p->sram_base, 0x12345678u);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
		CHECK_EQ_I(sim_probe_peek32(sp, FSEC_WORD, &v), 0);
		CHECK_EQ_U(v, 0xFFFFFFFFu);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x00001000u, &v), 0);
		CHECK(v != 0xFFFFFFFFu); /* the programmed image */
		CHECK_EQ_U(counters(sp).flash_if_writes, 0);
		sim_probe_destroy(sp);
	}
}

/* The erase done, the part reads unsecure at once and after resets: the
 * flash erased but for the security byte, programmed 0xFE. */
static void check_erased_unsecure(struct sim_probe *sp, const struct kin_part *p)
{
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & ST_SYSSEC, 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	CHECK_EQ_U(rd(sp, 0x00000000u), 0xFFFFFFFFu);
	CHECK_EQ_U(rd(sp, 0x00000404u), 0xFFFFFFFFu);
	CHECK_EQ_U(rd(sp, FSEC_WORD), 0xFFFFFFFEu);
	CHECK_EQ_U(rd(sp, p->flash_bytes - 4), 0xFFFFFFFFu);
	CHECK_EQ_U(rd8(sp, FTF_FSEC), 0xFE);
	CHECK_EQ_U(rd(sp, CPUID), p->cpuid);
}

/* OpenOCD's kinetis_mdm_mass_erase on the KL25: Control = System Reset
 * Request (it takes effect while secure: Status bit 3 reads 0), then
 * FMEIP too; Control bit 0 reads 1 until the erase is done, Status bit 0
 * acknowledges it; one mass erase; unsecure at once, after Control 0
 * (the reset the request held) and after a power cycle. */
TEST(kl25_mdm_mass_erase_unsecures)
{
	const struct kin_part *p = &kin_parts[0];
	struct sim_probe *sp = kin_open(p, 1, 0.2);
	struct sim_counters c0;

	CHECK_EQ_U(ts_attach(sp), 1);
	mdm_ctrl(sp, CTRL_SYS_RES_REQ);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), CTRL_SYS_RES_REQ);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_FREADY | ST_SYSRES | ST_MEEN), ST_FREADY | ST_MEEN);
	mdm_ctrl(sp, CTRL_SYS_RES_REQ | CTRL_FMEIP);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), CTRL_SYS_RES_REQ | CTRL_FMEIP);
	CHECK(mdm(sp, MDM_STATUS) & ST_FMEACK);
	CHECK_EQ_U(counters(sp).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1); /* secure until the erase is done */
	mdm_wait(sp, MDM_CTRL, CTRL_FMEIP, 0);
	CHECK_EQ_U(counters(sp).mass_erases, 1);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_FMEACK | ST_SYSSEC), ST_FMEACK);
	c0 = counters(sp);
	mdm_ctrl(sp, 0);
	CHECK_EQ_U(counters(sp).resets - c0.resets, 1);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_FMEACK | ST_SYSRES), ST_SYSRES);
	check_erased_unsecure(sp, p);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), 1);
	check_erased_unsecure(sp, p);
	CHECK_EQ_U(counters(sp).mass_erases, 1);
	sim_probe_destroy(sp);
}

/* The K64's MDM-AP (IDR version 0) ignores System Reset Request while
 * secure, so the reset comes from nRESET (OpenOCD's srst_only path):
 * Status shows the system in reset, the erase runs, nRESET released is a
 * reset that finds the security byte unsecure. */
TEST(k64_mdm_mass_erase_under_nreset)
{
	const struct kin_part *p = &kin_parts[1];
	struct sim_probe *sp = kin_open(p, 1, 0.2);

	CHECK_EQ_U(ts_attach(sp), 1);
	mdm_ctrl(sp, CTRL_SYS_RES_REQ | CTRL_CORE_HOLD | CTRL_DBG_REQ);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), 0);
	CHECK(mdm(sp, MDM_STATUS) & ST_SYSRES);
	nreset(sp, true);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_FREADY | ST_SYSRES | ST_MEEN), ST_FREADY | ST_MEEN);
	mdm_ctrl(sp, CTRL_FMEIP);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), CTRL_FMEIP);
	mdm_wait(sp, MDM_CTRL, CTRL_FMEIP, 0);
	CHECK_EQ_U(counters(sp).mass_erases, 1);
	nreset(sp, false);
	check_erased_unsecure(sp, p);
	sim_probe_destroy(sp);
}

/* A reset before the erase is done abandons it: the flash keeps its image,
 * the part stays secure, no mass erase is counted (?). */
TEST(reset_abandons_mdm_erase)
{
	const struct kin_part *p = &kin_parts[0];
	struct sim_probe *sp = kin_open(p, 1, 1.0);
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	mdm_ctrl(sp, CTRL_SYS_RES_REQ | CTRL_FMEIP);
	CHECK_EQ_U(mdm(sp, MDM_CTRL) & CTRL_FMEIP, CTRL_FMEIP);
	mdm_ctrl(sp, 0);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), 0);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_FMEACK | ST_SYSSEC), ST_SYSSEC);
	CHECK_EQ_U(counters(sp).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x00001000u, &v), 0);
	CHECK(v != 0xFFFFFFFFu);
	sim_probe_destroy(sp);
}

/* FSEC 0xEF: secure with MEEN 0b10. The MDM-AP answers; Status shows
 * Mass Erase Enable clear; an erase request does nothing but keep Control
 * bit 0 set until the next system reset; nothing is erased. */
TEST(mass_erase_disabled_refuses)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct kin_part *p = &kin_parts[i];
		struct sim_probe *sp = kin_open(p, 2, 0.01);
		uint32_t v;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(mdm(sp, MDM_IDR), p->mdm_idr);
		CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_SYSSEC | ST_MEEN | ST_FMEACK), ST_SYSSEC);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 2);
		rd_faults(sp, 0x00000000u);
		mdm_ctrl(sp, CTRL_FMEIP);
		ts_sleep_ms(20); /* the erase, were it allowed, took 1-2 ms here */
		CHECK_EQ_U(mdm(sp, MDM_CTRL), CTRL_FMEIP);
		CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_SYSSEC | ST_FMEACK), ST_SYSSEC);
		CHECK_EQ_U(counters(sp).mass_erases, 0);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x00001000u, &v), 0);
		CHECK(v != 0xFFFFFFFFu);
		CHECK_EQ_I(sim_probe_peek32(sp, FSEC_WORD, &v), 0);
		CHECK_EQ_U(v & 0xFF, 0xEF);
		sim_probe_system_reset(sp);
		CHECK_EQ_U(mdm(sp, MDM_CTRL), 0);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 2);
		CHECK_EQ_U(counters(sp).flash_if_writes, 0);
		sim_probe_destroy(sp);
	}
}

/* Unsecure: erase the sector holding the Flash Configuration Field and
 * program it back with FSEC 0xFF through the FTFx; the FSEC register keeps
 * 0xFE until AIRCR SYSRESETREQ reloads it, then the part is secure. */
TEST(lock_through_ftfx)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct kin_part *p = &kin_parts[i];
		struct sim_probe *sp = kin_open(p, 0, 0.2);
		uint32_t sector = 0x400u & ~(p->sector_bytes - 1);
		uint32_t before = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_SYSSEC | ST_MEEN), ST_MEEN);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
		CHECK_EQ_U(rd8(sp, FTF_FSEC), 0xFE);
		CHECK_EQ_U(rd(sp, FSEC_WORD), 0xFFFFFFFEu);
		CHECK_EQ_I(sim_probe_peek32(sp, sector + p->sector_bytes, &before), 0);
		/* Erase Flash Sector: CCIF reads 0 for tERSSCR. */
		wr8(sp, FTF_FSTAT, 0x70);
		wr(sp, FTF_FCCOB3, 0x09000000u | 0x400u);
		wr8(sp, FTF_FSTAT, FSTAT_CCIF);
		CHECK_EQ_U(rd8(sp, FTF_FSTAT) & FSTAT_CCIF, 0);
		CHECK_EQ_U(ftf_wait(sp), 0);
		CHECK_EQ_U(rd(sp, FSEC_WORD), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, sector), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, sector + p->sector_bytes), before); /* the next sector kept */
		/* The FCF programmed as a locking driver writes it: FSEC 0xFF,
		 * FOPT 0xFB, the rest erased; the unit is a longword or a phrase. */
		if (p->pgm_bytes == 4)
			CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd, FSEC_WORD, 0xFFFFFBFFu, 0), 0);
		else
			CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd, 0x408u, 0xFFFFFFFFu, 0xFFFFFBFFu), 0);
		CHECK_EQ_U(rd(sp, FSEC_WORD), 0xFFFFFBFFu);
		CHECK_EQ_U(rd8(sp, FTF_FSEC), 0xFE); /* loaded at reset only */
		CHECK_EQ_U(mdm(sp, MDM_STATUS) & ST_SYSSEC, 0);
		CHECK_EQ_U(counters(sp).flash_if_writes, 3 + 5);
		wr(sp, AIRCR, 0x05FA0004u);
		CHECK_EQ_U(mdm(sp, MDM_STATUS) & (ST_SYSSEC | ST_MEEN), ST_SYSSEC | ST_MEEN);
		rd_faults(sp, FTF_FSTAT);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
		CHECK_EQ_U(counters(sp).mass_erases, 0);
		sim_probe_destroy(sp);
	}
}

/* The FTFx's rules: programming only clears bits (a 0 asked back to 1 is a
 * verify failure, MGSTAT0); misaligned addresses and unknown commands are
 * ACCERR, which blocks the next launch until written 1; FPROT bits only
 * clear, and a protected region is FPVIOL; Erase All Blocks erases the
 * flash but leaves the security byte erased: secure again after a reset;
 * the flash array takes no bus writes. */
TEST(ftfx_rules)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct kin_part *p = &kin_parts[i];
		struct sim_probe *sp = kin_open(p, 0, 0.05);
		uint32_t w = 0, w1 = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x1000u, &w), 0);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x1004u, &w1), 0);
		CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd, 0x1000u, w & 0xFFFF00FFu, w1), 0);
		CHECK_EQ_U(rd(sp, 0x1000u), w & 0xFFFF00FFu);
		CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd, 0x1000u, 0xFFFFFFFFu, 0xFFFFFFFFu), FSTAT_MGSTAT0);
		CHECK_EQ_U(rd(sp, 0x1000u), w & 0xFFFF00FFu); /* no bit back to 1 */
		CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd, 0x1002u, 0, 0), FSTAT_ACCERR);
		CHECK_EQ_U(ftf_cmd(sp, 0x7Fu, 0x1000u, 0, 0), FSTAT_ACCERR);
		CHECK_EQ_U(ftf_cmd(sp, p->pgm_cmd == 0x06 ? 0x07 : 0x06, 0x1000u, 0, 0), FSTAT_ACCERR);
		CHECK_EQ_U(ftf_cmd(sp, 0x09, p->flash_bytes, 0, 0), FSTAT_ACCERR);
		/* ACCERR left set: CCIF written 1 launches nothing. */
		wr(sp, FTF_FCCOB3, 0x09001000u);
		wr8(sp, FTF_FSTAT, FSTAT_CCIF);
		CHECK_EQ_U(rd8(sp, FTF_FSTAT), FSTAT_CCIF | FSTAT_ACCERR);
		CHECK_EQ_U(rd(sp, 0x1000u), w & 0xFFFF00FFu);
		wr_faults(sp, 0x2000u, 0);
		/* Region 0 protected from now until the next reset. */
		wr8(sp, FTF_FPROT3, 0xFE);
		wr8(sp, FTF_FPROT3, 0xFF);
		CHECK_EQ_U(rd8(sp, FTF_FPROT3), 0xFE);
		CHECK_EQ_U(ftf_cmd(sp, 0x09, 0x0u, 0, 0), FSTAT_FPVIOL);
		CHECK_EQ_U(ftf_cmd(sp, 0x44, 0, 0, 0), FSTAT_FPVIOL);
		sim_probe_system_reset(sp);
		CHECK_EQ_U(rd8(sp, FTF_FPROT3), 0xFF);
		CHECK_EQ_U(ftf_cmd(sp, 0x44, 0, 0, 0), 0);
		CHECK_EQ_U(counters(sp).mass_erases, 1);
		CHECK_EQ_U(rd(sp, FSEC_WORD), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x0u), 0xFFFFFFFFu);
		CHECK_EQ_U(rd8(sp, FTF_FSEC), 0xFE); /* released until the next reset */
		sim_probe_system_reset(sp);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
		sim_probe_destroy(sp);
	}
}

/* Identification: SIM_SDID, FCFG1, FCFG2, the UID words from the chip's
 * UID, the core, the MCU ROM table's designer (Freescale, JEP106
 * continuation 0, identity 0x0E), both SRAM halves, SMC_PMSTAT RUN. */
TEST(ids_and_uid)
{
	for (size_t i = 0; i < NPARTS; i++) {
		const struct kin_part *p = &kin_parts[i];
		struct sim_probe *sp = kin_open(p, 0, 0.01);
		uint32_t uid[3];

		sim_probe_uid(sp, uid);
		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(rd(sp, SIM_SDID), p->sdid);
		CHECK_EQ_U(rd(sp, SIM_FCFG1), p->fcfg1);
		CHECK_EQ_U(rd(sp, SIM_FCFG2), p->fcfg2);
		CHECK_EQ_U(rd(sp, SIM_UIDL), uid[0]);
		CHECK_EQ_U(rd(sp, SIM_UIDML), uid[1]);
		CHECK_EQ_U(rd(sp, SIM_UIDMH), i == 0 ? uid[2] & 0xFFFFu : uid[2]);
		CHECK_EQ_U(rd(sp, SIM_UIDH), 0);
		CHECK_EQ_U(rd(sp, SIM_SOPT1), i == 0 ? 0 : 0x0000B000u);
		CHECK_EQ_U(rd(sp, CPUID), p->cpuid);
		CHECK_EQ_U(rd(sp, ROM_PIDR4) & 0xF, 0);
		CHECK_EQ_U(rd(sp, ROM_PIDR1) >> 4, 0xE);
		CHECK_EQ_U(rd(sp, ROM_PIDR2) & 0xF, 0x8); /* JEDEC used, identity [6:4] 0 */
		wr(sp, p->sram_base, 0x11223344u);
		wr(sp, p->sram_base + p->sram_bytes - 4, 0x55667788u);
		CHECK_EQ_U(rd(sp, p->sram_base), 0x11223344u);
		CHECK_EQ_U(rd(sp, p->sram_base + p->sram_bytes - 4), 0x55667788u);
		rd_faults(sp, p->sram_base + p->sram_bytes);
		CHECK_EQ_U(rd(sp, 0x0u), 0x20000000u + p->sram_bytes - (0x20000000u - p->sram_base));
		CHECK_EQ_U(rd8(sp, FTF_FCNFG), i == 0 ? 0x00 : 0x02);
		CHECK_EQ_U(rd8(sp, SMC_PMSTAT), 0x01); /* RUN */
		sim_probe_destroy(sp);
	}
}

/* The MDM-AP's hold on an unsecure part: System Reset Request keeps the
 * system in reset (Status bit 3 reads 0, only the PPB answers) and
 * releasing it is one reset; Core Hold Reset keeps the core in reset after
 * a reset while the system runs; Debug Request halts a core with
 * C_DEBUGEN (Status bit 16). */
TEST(mdm_reset_control)
{
	struct sim_probe *sp = kin_open(&kin_parts[0], 0, 0.01);
	struct sim_counters c0;

	CHECK_EQ_U(ts_attach(sp), 1);
	c0 = counters(sp);
	mdm_ctrl(sp, CTRL_SYS_RES_REQ);
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & ST_SYSRES, 0);
	rd_faults(sp, SIM_SDID);
	CHECK(rd(sp, DHCSR) & (1u << 25)); /* S_RESET_ST */
	wr(sp, AIRCR, 0x05FA0004u); /* another reset ends: the request still holds */
	rd_faults(sp, SIM_SDID);
	mdm_ctrl(sp, 0);
	CHECK_EQ_U(counters(sp).resets - c0.resets, 2);
	CHECK(mdm(sp, MDM_STATUS) & ST_SYSRES);
	CHECK_EQ_U(rd(sp, SIM_SDID), kin_parts[0].sdid);

	mdm_ctrl(sp, CTRL_CORE_HOLD);
	CHECK_EQ_U(mdm(sp, MDM_CTRL), CTRL_CORE_HOLD);
	wr(sp, AIRCR, 0x05FA0004u);
	CHECK(mdm(sp, MDM_STATUS) & ST_SYSRES);
	CHECK(rd(sp, DHCSR) & (1u << 25)); /* S_RESET_ST: the core held */
	CHECK(rd(sp, DHCSR) & (1u << 25)); /* and still: it reads 1 while in reset, not just once */
	wr(sp, DHCSR, 0xA05F0001u);        /* C_DEBUGEN */
	wr(sp, 0xE000EDFCu, 0x00000001u);  /* DEMCR VC_CORERESET */
	mdm_ctrl(sp, 0);
	CHECK_EQ_U(rd(sp, DHCSR) & (3u << 16), 3u << 16); /* S_HALT, S_REGRDY: caught at the reset vector */
	CHECK(mdm(sp, MDM_STATUS) & ST_HALTED);

	wr(sp, DHCSR, 0xA05F0001u); /* run */
	CHECK_EQ_U(mdm(sp, MDM_STATUS) & ST_HALTED, 0);
	mdm_ctrl(sp, CTRL_DBG_REQ);
	CHECK(mdm(sp, MDM_STATUS) & ST_HALTED);
	CHECK(rd(sp, DHCSR) & (1u << 17));
	mdm_ctrl(sp, 0);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(secured_ahb_faults_mdm_answers);
	RUN(kl25_mdm_mass_erase_unsecures);
	RUN(k64_mdm_mass_erase_under_nreset);
	RUN(reset_abandons_mdm_erase);
	RUN(mass_erase_disabled_refuses);
	RUN(lock_through_ftfx);
	RUN(ftfx_rules);
	RUN(ids_and_uid);
	RUN(mdm_reset_control);
	return check_summary();
}
