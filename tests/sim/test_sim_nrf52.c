/*
 * test_sim_nrf52.c - the simulated nRF52832/nRF52840 at register level,
 * through raw CMSIS-DAP bytes and sim.h only: access port protection cuts
 * the AHB-AP off while the CTRL-AP (APSEL 1) answers; a CTRL-AP ERASEALL
 * erases flash, UICR and RAM and opens the port until the next reset; UICR
 * APPROTECT written through the NVMC locks the chip at the next reset; the
 * hardened nRF52840 (build code F0) opens only with UICR HwDisabled and the
 * firmware's SwDisable. Registers as docs/sim/sim_nrf52.md tables them
 * (nRF52832/nRF52840 PS v1.8, OpenOCD nrf52.cfg).
 */
#include "test_sim_util.h"

#include <errno.h>

#define CTRLAP 1u
#define CTRLAP_RESET 0x000u
#define CTRLAP_ERASEALL 0x004u
#define CTRLAP_ERASEALLSTATUS 0x008u
#define CTRLAP_APPROTECTSTATUS 0x00Cu
#define CTRLAP_IDR 0x0FCu

#define FICR_CODEPAGESIZE 0x10000010u
#define FICR_CODESIZE 0x10000014u
#define FICR_DEVICEID0 0x10000060u
#define FICR_DEVICEID1 0x10000064u
#define FICR_INFO_PART 0x10000100u
#define FICR_INFO_VARIANT 0x10000104u
#define FICR_INFO_PACKAGE 0x10000108u
#define FICR_INFO_RAM 0x1000010Cu
#define FICR_INFO_FLASH 0x10000110u
#define UICR_APPROTECT 0x10001208u
#define NVMC_READY 0x4001E400u
#define NVMC_CONFIG 0x4001E504u
#define NVMC_ERASEPAGE 0x4001E508u
#define NVMC_ERASEUICR 0x4001E514u
#define CPUID 0xE000ED00u
#define AIRCR 0xE000ED0Cu
#define DHCSR 0xE000EDF0u
#define ROM_PIDR4 0xE00FFFD0u
#define ROM_PIDR1 0xE00FFFE4u
#define ROM_PIDR2 0xE00FFFE8u

static uint32_t ctrlap(struct sim_probe *sp, unsigned reg)
{
	uint32_t v;

	CHECK_EQ_U(ts_ap_rd(sp, CTRLAP, reg, &v), 1);
	return v;
}

static void ctrlap_set(struct sim_probe *sp, unsigned reg, uint32_t v)
{
	CHECK_EQ_U(ts_ap_wr(sp, CTRLAP, reg, v), 1);
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

/* An AHB-AP read that must fail: FAULT, then ABORT clears the sticky error. */
static void rd_faults(struct sim_probe *sp, uint32_t addr)
{
	uint32_t v;

	CHECK_EQ_U(ts_read32(sp, addr, &v), 4);
	CHECK_EQ_U(ts_abort(sp), 1);
}

static uint64_t mass_erases(struct sim_probe *sp)
{
	struct sim_counters c;

	sim_probe_get_counters(sp, &c);
	return c.mass_erases;
}

/* CTRL-AP ERASEALL as OpenOCD's nrf52_recover does it: ERASEALL 0 then 1,
 * ERASEALLSTATUS 1 (busy) at first, polled until 0. */
static void ctrlap_eraseall(struct sim_probe *sp)
{
	uint64_t t0;

	ctrlap_set(sp, CTRLAP_ERASEALL, 0);
	ctrlap_set(sp, CTRLAP_ERASEALL, 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_ERASEALLSTATUS), 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_ERASEALL), 1); /* reads back what was written */
	for (t0 = ts_ms_now(); ctrlap(sp, CTRLAP_ERASEALLSTATUS) != 0;) {
		if (ts_ms_now() - t0 > 2000) {
			CHECK(0);
			break;
		}
		ts_sleep_ms(1);
	}
}

/* CTRL-AP RESET 1 then 0: a soft reset. */
static void ctrlap_reset(struct sim_probe *sp)
{
	ctrlap_set(sp, CTRLAP_RESET, 1);
	ctrlap_set(sp, CTRLAP_RESET, 0);
}

static void nvmc_wait_ready(struct sim_probe *sp)
{
	uint64_t t0 = ts_ms_now();

	while (rd(sp, NVMC_READY) != 1) {
		if (ts_ms_now() - t0 > 2000) {
			CHECK(0);
			break;
		}
		ts_sleep_ms(1);
	}
}

/* UICR APPROTECT through the NVMC: CONFIG Wen, the word, CONFIG Ren. */
static void uicr_approtect(struct sim_probe *sp, uint32_t v)
{
	wr(sp, NVMC_CONFIG, 1);
	wr(sp, UICR_APPROTECT, v);
	nvmc_wait_ready(sp);
	wr(sp, NVMC_CONFIG, 0);
}

/* Locked: DPIDR, both APs' IDR and the CTRL-AP answer; every AHB-AP data
 * access, the PPB included, is a bus error; test peeks still see the chip. */
TEST(locked_ahb_faults_ctrlap_answers)
{
	static const char *const t[] = { "nrf52832-rdp1", "nrf52840-rdp1", "nrf52840f0-rdp1" };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i], 0.01);
		uint32_t v = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(ts_dpidr(sp, &v), 1);
		CHECK_EQ_U(v, 0x2BA01477u);
		CHECK_EQ_U(ts_ap_rd(sp, 0, 0xFC, &v), 1);
		CHECK_EQ_U(v, 0x24770011u);
		CHECK_EQ_U(ctrlap(sp, CTRLAP_IDR), 0x02880000u);
		CHECK_EQ_U(ts_ap_rd(sp, 2, 0xFC, &v), 1);
		CHECK_EQ_U(v, 0); /* no AP at APSEL 2 */
		CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 0); /* enabled */
		CHECK_EQ_U(ctrlap(sp, CTRLAP_ERASEALLSTATUS), 0);
		rd_faults(sp, FICR_INFO_PART);
		rd_faults(sp, 0x00000000u);
		rd_faults(sp, 0x20000000u);
		rd_faults(sp, CPUID);
		rd_faults(sp, DHCSR);
		/* The firmware's closing RDBUFF read sees the write's bus error. */
		CHECK_EQ_U(ts_write32(sp, NVMC_CONFIG, 1), 4);
		CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1); /* CTRL/STAT: STICKYERR */
		CHECK(v & (1u << 5));
		CHECK_EQ_U(ts_abort(sp), 1);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
		CHECK_EQ_I(sim_probe_peek32(sp, UICR_APPROTECT, &v), 0);
		CHECK_EQ_U(v, 0xFFFFFF00u);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x00000000u, &v), 0);
		CHECK(v != 0xFFFFFFFFu); /* the programmed image */
		sim_probe_destroy(sp);
	}
}

/* Non-hardened parts: the CTRL-AP ERASEALL opens the port at once, erases
 * flash, UICR and RAM, counts one mass erase; after RESET 1/0 the port
 * stays open, as UICR PALL now reads 0xFF. */
TEST(eraseall_unlocks)
{
	static const struct {
		const char *profile;
		uint32_t part;
	} t[] = { { "nrf52832-rdp1", 0x52832u }, { "nrf52840-rdp1", 0x52840u } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i].profile, 0.1);
		struct sim_counters c0, c1;

		CHECK_EQ_I(sim_probe_poke32(sp, 0x20000000u, 0x12345678u), 0);
		CHECK_EQ_U(ts_attach(sp), 1);
		ctrlap_eraseall(sp);
		CHECK_EQ_U(mass_erases(sp), 1);
		CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1); /* open until the next reset */
		CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
		sim_probe_get_counters(sp, &c0);
		ctrlap_reset(sp);
		ctrlap_set(sp, CTRLAP_ERASEALL, 0);
		sim_probe_get_counters(sp, &c1);
		CHECK_EQ_U(c1.resets - c0.resets, 1);
		CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
		CHECK_EQ_U(rd(sp, FICR_INFO_PART), t[i].part);
		CHECK_EQ_U(rd(sp, UICR_APPROTECT), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x00000000u), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x00000004u), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x20000000u), 0);
		CHECK_EQ_U((rd(sp, CPUID) >> 4) & 0xFFF, 0xC24);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
		CHECK_EQ_U(mass_erases(sp), 1);
		sim_probe_destroy(sp);
	}
}

/* Hardened: open right after the erase, so UICR can be written HwDisabled;
 * after a reset with a blank flash nothing writes SwDisable: locked again.
 * Once a program is in the flash its SystemInit writes DISABLE = UICR
 * APPROTECT and the next reset leaves the port open. */
TEST(hardened_eraseall_then_uicr)
{
	struct sim_probe *sp = ts_open("nrf52840f0-rdp1", 0.1);

	CHECK_EQ_U(ts_attach(sp), 1);
	ctrlap_eraseall(sp);
	CHECK_EQ_U(mass_erases(sp), 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_U(rd(sp, FICR_INFO_VARIANT), 0x41414630u); /* 'AAF0' */
	CHECK_EQ_U(rd(sp, UICR_APPROTECT), 0xFFFFFFFFu);
	uicr_approtect(sp, 0xFFFFFF5Au);
	CHECK_EQ_U(rd(sp, UICR_APPROTECT), 0xFFFFFF5Au);

	ctrlap_reset(sp);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 0);
	rd_faults(sp, UICR_APPROTECT);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);

	CHECK_EQ_I(sim_probe_poke32(sp, 0x00000000u, 0x20040000u), 0); /* a program's initial SP */
	ctrlap_reset(sp);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_U(rd(sp, UICR_APPROTECT), 0xFFFFFF5Au);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	sim_probe_destroy(sp);
}

/* nrf52840f0-rdp0: UICR HwDisabled and a programmed image, whose boot
 * writes SwDisable after every reset: open after AIRCR and CTRL-AP resets. */
TEST(hardened_rdp0_open)
{
	struct sim_probe *sp = ts_open("nrf52840f0-rdp0", 0.01);

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_U(rd(sp, UICR_APPROTECT), 0xFFFFFF5Au);
	wr(sp, AIRCR, 0x05FA0004u);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_U(rd(sp, FICR_INFO_PART), 0x52840u);
	ctrlap_reset(sp);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1);
	CHECK_EQ_U(mass_erases(sp), 0);
	sim_probe_destroy(sp);
}

/* Unlocked parts: UICR PALL 0x00 through the NVMC takes effect only at the
 * next reset (AIRCR SYSRESETREQ): then the port is locked. */
TEST(lock_through_uicr)
{
	static const char *const t[] = { "nrf52832-rdp0", "nrf52840-rdp0", "nrf52840f0-rdp0" };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i], 0.01);
		struct sim_counters c;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
		uicr_approtect(sp, 0xFFFFFF00u);
		sim_probe_get_counters(sp, &c);
		CHECK_EQ_U(c.flash_if_writes, 3); /* CONFIG, the UICR word, CONFIG */
		CHECK_EQ_U(rd(sp, UICR_APPROTECT) & 0xFF, 0x00);
		CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 1); /* latched at reset */
		wr(sp, AIRCR, 0x05FA0004u);
		CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 0);
		rd_faults(sp, FICR_INFO_PART);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
		sim_probe_destroy(sp);
	}
}

/* FICR: identity, sizes, DEVICEID from the chip's UID; the core and the
 * MCU ROM table's designer (Nordic, JEP106 continuation 2, 0x44). */
TEST(ficr_and_ids)
{
	static const struct {
		const char *profile;
		uint32_t part, variant, package, ram_kb, flash_kb;
	} t[] = {
		{ "nrf52832-rdp0", 0x52832u, 0x41414530u, 0x2000u, 64, 512 },
		{ "nrf52840-rdp0", 0x52840u, 0x41414430u, 0x2004u, 256, 1024 },
		{ "nrf52840f0-rdp0", 0x52840u, 0x41414630u, 0x2004u, 256, 1024 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i].profile, 0.01);
		uint32_t uid[3];

		sim_probe_uid(sp, uid);
		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(rd(sp, FICR_INFO_PART), t[i].part);
		CHECK_EQ_U(rd(sp, FICR_INFO_VARIANT), t[i].variant);
		CHECK_EQ_U(rd(sp, FICR_INFO_PACKAGE), t[i].package);
		CHECK_EQ_U(rd(sp, FICR_INFO_RAM), t[i].ram_kb);
		CHECK_EQ_U(rd(sp, FICR_INFO_FLASH), t[i].flash_kb);
		CHECK_EQ_U(rd(sp, FICR_CODEPAGESIZE), 4096);
		CHECK_EQ_U(rd(sp, FICR_CODESIZE), t[i].flash_kb / 4);
		CHECK_EQ_U(rd(sp, FICR_DEVICEID0), uid[0]);
		CHECK_EQ_U(rd(sp, FICR_DEVICEID1), uid[1]);
		CHECK_EQ_U(rd(sp, CPUID), 0x410FC241u);
		CHECK_EQ_U(rd(sp, ROM_PIDR4) & 0xF, 2);
		CHECK_EQ_U(rd(sp, ROM_PIDR1) >> 4, 0x4);
		CHECK_EQ_U(rd(sp, ROM_PIDR2) & 0xF, 0x8 | 0x4); /* JEDEC used, identity [6:4] */
		sim_probe_destroy(sp);
	}
}

/* NVMC: programming only with Wen, full words, bits 1 to 0; a page erase
 * keeps READY at 0 for its time; ERASEUICR does nothing while protected. */
TEST(nvmc_rules)
{
	struct sim_probe *sp = ts_open("nrf52832-rdp0", 0.2);
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, NVMC_READY), 1);
	CHECK_EQ_U(rd(sp, 0x00001000u), 0xC0DE0400u);
	wr(sp, 0x00001000u, 0); /* CONFIG Ren: ignored */
	CHECK_EQ_U(rd(sp, 0x00001000u), 0xC0DE0400u);
	wr(sp, NVMC_CONFIG, 1);
	CHECK_EQ_U(rd(sp, NVMC_CONFIG), 1);
	wr(sp, 0x00001000u, 0xFFFF0FFFu);
	CHECK_EQ_U(rd(sp, 0x00001000u), 0xC0DE0400u & 0xFFFF0FFFu);
	wr(sp, 0x00001000u, 0xFFFFFFFFu); /* no bit goes back to 1 */
	CHECK_EQ_U(rd(sp, 0x00001000u), 0xC0DE0400u & 0xFFFF0FFFu);
	{
		/* A byte write to flash (CSW size 8): a hard fault, here FAULT. */
		uint8_t q[] = { 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x50, 0x00, 0x00, 0x23,
				0x05, 0x00, 0x10, 0x00, 0x00, 0x0D, 0, 0, 0, 0 };
		uint8_t r[TS_CAP];

		ts_cmd(sp, q, sizeof(q), r);
		CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
		CHECK(v & (1u << 5));
		CHECK_EQ_U(ts_abort(sp), 1);
	}
	wr(sp, NVMC_CONFIG, 2);
	wr(sp, NVMC_ERASEPAGE, 0x00001000u);
	CHECK_EQ_U(rd(sp, NVMC_READY), 0);
	nvmc_wait_ready(sp);
	CHECK_EQ_U(rd(sp, 0x00001000u), 0xFFFFFFFFu);
	CHECK_EQ_U(rd(sp, 0x00001FFCu), 0xFFFFFFFFu);
	CHECK_EQ_U(rd(sp, 0x00002000u), 0xC0DE0800u); /* the next page kept */
	wr(sp, NVMC_CONFIG, 0);
	CHECK_EQ_U(mass_erases(sp), 0);
	sim_probe_destroy(sp);

	/* Locked, the firmware's ERASEUICR (a test poke) is refused. */
	sp = ts_open("nrf52832-rdp1", 0.02);
	CHECK_EQ_I(sim_probe_poke32(sp, NVMC_CONFIG, 2), 0);
	CHECK_EQ_I(sim_probe_poke32(sp, NVMC_ERASEUICR, 1), 0);
	CHECK_EQ_I(sim_probe_peek32(sp, NVMC_READY, &v), 0);
	CHECK_EQ_U(v, 1);
	CHECK_EQ_I(sim_probe_peek32(sp, UICR_APPROTECT, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFF00u);
	sim_probe_destroy(sp);
}

/* CTRL-AP RESET 1 holds the chip: only the PPB answers, DHCSR shows the
 * reset; 0 lets it go. A reset before the erase is done abandons it: the
 * chip keeps its image and its protection, no mass erase is counted (?). */
TEST(ctrlap_reset_hold_and_abort)
{
	struct sim_probe *sp = ts_open("nrf52840-rdp0", 1.0);
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	ctrlap_set(sp, CTRLAP_RESET, 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_RESET), 1);
	rd_faults(sp, FICR_INFO_PART);
	CHECK(rd(sp, DHCSR) & (1u << 25)); /* S_RESET_ST */
	ctrlap_set(sp, CTRLAP_RESET, 0);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_RESET), 0);
	CHECK_EQ_U(rd(sp, FICR_INFO_PART), 0x52840u);
	sim_probe_destroy(sp);

	sp = ts_open("nrf52840-rdp1", 1.0); /* 200 ms erase at full time */
	CHECK_EQ_U(ts_attach(sp), 1);
	ctrlap_set(sp, CTRLAP_ERASEALL, 1);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_ERASEALLSTATUS), 1);
	ctrlap_reset(sp);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_ERASEALLSTATUS), 0);
	CHECK_EQ_U(ctrlap(sp, CTRLAP_APPROTECTSTATUS), 0);
	CHECK_EQ_U(mass_erases(sp), 0);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x00000000u, &v), 0);
	CHECK(v != 0xFFFFFFFFu);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(locked_ahb_faults_ctrlap_answers);
	RUN(eraseall_unlocks);
	RUN(hardened_eraseall_then_uicr);
	RUN(hardened_rdp0_open);
	RUN(lock_through_uicr);
	RUN(ficr_and_ids);
	RUN(nvmc_rules);
	RUN(ctrlap_reset_hold_and_abort);
	return check_summary();
}
