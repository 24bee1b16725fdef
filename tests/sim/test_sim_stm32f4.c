/*
 * test_sim_stm32f4.c - the simulated STM32F2/F4/F7 at register level:
 * read-out protection, the RDP regression, key rules, level 2, the SWD-off
 * profile and identification, all through raw CMSIS-DAP bytes.
 */
#include "test_sim_util.h"

#include <errno.h>

#define FLASH_OPTKEYR 0x40023C08u
#define FLASH_SR 0x40023C0Cu
#define FLASH_OPTCR 0x40023C14u
#define FLASH_OPTCR1 0x40023C18u
#define AIRCR 0xE000ED0Cu
#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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

/* Poll FLASH_SR until BSY clears; returns the elapsed wall time in ms. */
static uint64_t wait_not_busy(struct sim_probe *sp, uint64_t limit_ms)
{
	uint64_t t0 = ms_now();

	while (rd(sp, FLASH_SR) & (1u << 16)) {
		if (ms_now() - t0 > limit_ms) {
			CHECK(0);
			break;
		}
		ts_sleep_ms(1);
	}
	return ms_now() - t0;
}

static void opt_unlock(struct sim_probe *sp)
{
	wr(sp, FLASH_OPTKEYR, 0x08192A3Bu);
	wr(sp, FLASH_OPTKEYR, 0x4C5D6E7Fu);
}

static void sysreset(struct sim_probe *sp)
{
	CHECK_EQ_U(ts_write32(sp, AIRCR, 0x05FA0004u), 1);
}

TEST(rdp1_flash_read_sticky_then_abort)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 0.01);
	uint8_t r[TS_CAP];
	uint32_t v = 0;
	int n;

	CHECK_EQ_U(ts_attach(sp), 1);
	/* SELECT, CSW, TAR all OK, the posted DRW read OK; the RDBUFF that
	 * collects it faults: count 4 of 4, response FAULT, no data. */
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00,
					 0x23, 0x05, 0x00, 0x00, 0x00, 0x08, 0x0F }, 19, r);
	CHECK_EQ_I(n, 3);
	CHECK_EQ_U(r[1], 4);
	CHECK_EQ_U(r[2], 4);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1); /* CTRL/STAT still readable */
	CHECK_EQ_U(v & 0x20, 0x20);                    /* STICKYERR */
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	CHECK_EQ_U(ts_read32(sp, 0x20000000u, &v), 4); /* everything else faults */
	CHECK_EQ_U(ts_xfer(sp, 0x0E, 0, &v, NULL), 4); /* RDBUFF too */
	CHECK_EQ_U(ts_abort(sp), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	CHECK_EQ_U(v & 0x20, 0);
	/* SRAM, DBGMCU, flash registers and option bytes stay readable */
	CHECK_EQ_U(rd(sp, 0xE0042000u) & 0xFFF, 0x433);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR), 0x0FFFBBEDu);
	CHECK_EQ_U(rd(sp, 0x1FFFC000u) & 0xFFFF, 0xBBECu);
	CHECK_EQ_U(ts_read32(sp, 0x00000000u, &v), 4); /* boot alias of flash */
	ts_abort(sp);
	CHECK_EQ_U(ts_read32(sp, 0x1FFF7800u, &v), 4); /* OTP: RM0090 Table 13 */
	ts_abort(sp);
	CHECK_EQ_U(ts_read32(sp, 0x60000000u, &v), 4); /* nothing there */
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, 0x40021000u), 0);             /* unmodelled peripheral */
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	sim_probe_destroy(sp);
}

TEST(f401_unlock_register_level)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 0.01);
	struct sim_counters c;
	uint32_t v = 0;
	uint64_t ms;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR), 0x0FFFBBEDu);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x08000008u, &v), 0);
	CHECK_EQ_U(v, 0xC0DE0002u);
	opt_unlock(sp);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR), 0x0FFFBBECu);
	/* RDP 0xAA, BOR_LEV changed to 01, nWRP of sector 1 cleared */
	wr(sp, FLASH_OPTCR, 0x0FFDAAE4u);
	wr(sp, FLASH_OPTCR, 0x0FFDAAE6u);
	v = rd(sp, FLASH_SR);
	CHECK_EQ_U(v & (1u << 16), 1u << 16);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR) & 2u, 2u); /* OPTSTRT reads 1 while busy */
	ms = wait_not_busy(sp, 2000);
	CHECK(ms >= 35 && ms < 1000); /* 4 s x 0.01 */
	CHECK_EQ_U(rd(sp, FLASH_OPTCR), 0x0FFDAAE4u);
	CHECK_EQ_U(rd(sp, FLASH_SR), 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1); /* loaded at the next reset */
	CHECK_EQ_I(sim_probe_peek32(sp, 0x08000008u, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFFu);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x0807FFFCu, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFFu);
	wr(sp, FLASH_OPTCR, 0x0FFDAAE5u); /* OPTLOCK */
	sysreset(sp);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1); /* DP survives the reset */
	CHECK_EQ_U(v, 0xF0000000u);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR), 0x0FFDAAE5u);
	CHECK_EQ_U(rd(sp, 0x08000000u), 0xFFFFFFFFu); /* readable now */
	sim_probe_get_counters(sp, &c);
	CHECK_EQ_U(c.mass_erases, 1);
	CHECK_EQ_U(c.resets, 1);
	CHECK_EQ_U(c.flash_if_writes, 5);
	sim_probe_destroy(sp);
}

TEST(wrong_key_locks_until_reset)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 0.01);

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ts_write32(sp, FLASH_OPTKEYR, 0x12345678u), 4); /* bus error */
	CHECK_EQ_U(ts_abort(sp), 1);
	CHECK_EQ_U(ts_write32(sp, FLASH_OPTKEYR, 0x08192A3Bu), 4);
	ts_abort(sp);
	CHECK_EQ_U(ts_write32(sp, FLASH_OPTKEYR, 0x4C5D6E7Fu), 4);
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR) & 1u, 1u);
	wr(sp, FLASH_OPTCR, 0x0FFFAAEEu); /* ignored while locked */
	CHECK_EQ_U(rd(sp, FLASH_SR), 0);
	sysreset(sp);
	opt_unlock(sp);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR) & 1u, 0u);
	/* the sequence written twice also locks */
	CHECK_EQ_U(ts_write32(sp, FLASH_OPTKEYR, 0x08192A3Bu), 4);
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, FLASH_OPTCR) & 1u, 1u);
	/* the main KEYR follows the same rule */
	CHECK_EQ_U(ts_write32(sp, 0x40023C04u, 0x45670123u), 1);
	CHECK_EQ_U(ts_write32(sp, 0x40023C04u, 0x45670123u), 4);
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, 0x40023C10u), 0x80000000u);
	sim_probe_destroy(sp);
}

TEST(lock_to_level1_no_erase)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 0.01);
	struct sim_counters c;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, 0x08000008u), 0xC0DE0002u); /* level 0: readable */
	opt_unlock(sp);
	wr(sp, FLASH_OPTCR, 0x0FFFBBECu);
	wr(sp, FLASH_OPTCR, 0x0FFFBBEEu);
	wait_not_busy(sp, 1000);
	sim_probe_get_counters(sp, &c);
	CHECK_EQ_U(c.mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	sysreset(sp);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	CHECK_EQ_U(ts_read32(sp, 0x08000008u, &v), 4);
	ts_abort(sp);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x08000008u, &v), 0);
	CHECK_EQ_U(v, 0xC0DE0002u);
	/* after a power cycle without a debugger the latch is clear, but the
	 * first DP access sets it again */
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ts_read32(sp, 0x08000008u, &v), 4);
	sim_probe_destroy(sp);
}

TEST(level2_silent_and_final)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp2", 0.01);
	uint8_t r[TS_CAP];
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 7);
	ts_cmd(sp, (const uint8_t[]){ 0x10, 0x00, 0x80, 0, 0, 0, 0 }, 7, r); /* nRESET low */
	ts_jtag_to_swd(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	ts_cmd(sp, (const uint8_t[]){ 0x10, 0x80, 0x80, 0, 0, 0, 0 }, 7, r);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), 7);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 2);
	sim_probe_destroy(sp);

	/* 0 -> 2, then an attempt to go back before the reset is refused */
	sp = ts_open("stm32f401re-rdp0", 0.01);
	CHECK_EQ_U(ts_attach(sp), 1);
	opt_unlock(sp);
	wr(sp, FLASH_OPTCR, 0x0FFFCCEEu);
	wait_not_busy(sp, 1000);
	wr(sp, FLASH_OPTCR, 0x0FFFAAEEu);
	CHECK_EQ_U(rd(sp, FLASH_SR) & 0x10, 0x10); /* WRPERR */
	CHECK_EQ_U(rd(sp, FLASH_OPTCR) & 0xFF00, 0xCC00);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);            /* still level 0 until reset */
	/* The reset loads level 2: the write's trailing RDBUFF check already
	 * gets no ACK. */
	CHECK_EQ_U(ts_write32(sp, AIRCR, 0x05FA0004u), 7);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	CHECK_EQ_U(ts_attach(sp), 7);
	sim_probe_destroy(sp);
}

TEST(swd_off_only_under_reset)
{
	struct sim_probe *sp = ts_open("stm32f401re-swd-off-rdp1", 1.0);
	uint8_t r[TS_CAP];
	uint32_t v = 0;

	ts_sleep_ms(20); /* the firmware has taken PA13/PA14 */
	CHECK_EQ_U(ts_attach(sp), 7);
	/* connect under reset: Connect first (it releases nRESET), then assert */
	ts_cmd(sp, (const uint8_t[]){ 0x10, 0x00, 0x80, 0, 0, 0, 0 }, 7, r);
	CHECK_EQ_U(r[1] & 0x80, 0);
	CHECK_EQ_U(ts_swd_up(sp), 1);
	wr(sp, DHCSR, 0xA05F0003u);
	wr(sp, DEMCR, 0x01000501u);
	CHECK_EQ_U(ts_read32(sp, 0x20000000u, &v), 4); /* system bus in reset */
	ts_abort(sp);
	ts_cmd(sp, (const uint8_t[]){ 0x10, 0x80, 0x80, 0xA0, 0x86, 0x01, 0x00 }, 7, r);
	CHECK_EQ_U(r[1] & 0x80, 0x80);
	v = rd(sp, DHCSR);
	CHECK_EQ_U(v & (1u << 17), 1u << 17); /* S_HALT */
	CHECK_EQ_U(v & (1u << 25), 1u << 25); /* S_RESET_ST */
	CHECK_EQ_U(rd(sp, DHCSR) & (1u << 25), 0); /* cleared by the read */
	ts_sleep_ms(20);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1); /* halted at the reset vector: SWD stays on */
	wr(sp, DHCSR, 0xA05F0001u);      /* let it run */
	ts_sleep_ms(20);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	sim_probe_destroy(sp);
}

TEST(reset_halt_and_core_registers)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 0.01);
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	wr(sp, DHCSR, 0xA05F0001u);
	wr(sp, DEMCR, 0x01000501u);
	sysreset(sp);
	v = rd(sp, DHCSR);
	CHECK_EQ_U(v & 0x02030003u, 0x02030003u); /* S_RESET_ST S_HALT S_REGRDY C_HALT C_DEBUGEN */
	CHECK_EQ_U(rd(sp, DHCSR) & 0x03000000u, 0); /* both sticky bits cleared by the read */
	wr(sp, DCRSR, 15);
	CHECK_EQ_U(rd(sp, DHCSR) & (1u << 16), 1u << 16);
	CHECK_EQ_U(rd(sp, DCRDR), 0x080001C0u);
	wr(sp, DCRSR, 17);
	CHECK_EQ_U(rd(sp, DCRDR), 0x20018000u);
	wr(sp, DCRSR, 16);
	CHECK_EQ_U(rd(sp, DCRDR), 0x01000000u);
	wr(sp, DCRDR, 0x12345678u);
	wr(sp, DCRSR, 0x10000u | 3);
	wr(sp, DCRSR, 3);
	CHECK_EQ_U(rd(sp, DCRDR), 0x12345678u);
	CHECK_EQ_U(rd(sp, 0xE000ED30u) & 0x8, 0x8); /* DFSR.VCATCH */
	wr(sp, DHCSR, 0x12340003u);                 /* no DBGKEY: ignored */
	CHECK_EQ_U(rd(sp, DHCSR) & 3, 3);
	CHECK_EQ_U(rd(sp, AIRCR) >> 16, 0xFA05u);
	sim_probe_destroy(sp);
}

/* Identification as OpenOCD's examine sees it, per part (table-driven). */
TEST(identification_table)
{
	static const struct {
		const char *profile;
		uint32_t dpidr, cpuid, idcode_dev, fsize_addr, flash_kb, mvfr0;
	} t[] = {
		{ "stm32f401re-rdp0", 0x2BA01477u, 0x410FC241u, 0x433, 0x1FFF7A20u, 512, 0x10110021u },
		{ "stm32f205rg-rdp0", 0x2BA01477u, 0x412FC230u, 0x411, 0x1FFF7A20u, 1024, 0 },
		{ "stm32f407vg-rdp0", 0x2BA01477u, 0x410FC241u, 0x413, 0x1FFF7A20u, 1024, 0x10110021u },
		{ "stm32f411re-rdp0", 0x2BA01477u, 0x410FC241u, 0x431, 0x1FFF7A20u, 512, 0x10110021u },
		{ "stm32f429zi-rdp0", 0x2BA01477u, 0x410FC241u, 0x419, 0x1FFF7A20u, 2048, 0x10110021u },
		{ "stm32f746zg-rdp0", 0x5BA02477u, 0x410FC271u, 0x449, 0x1FF0F440u, 1024, 0x10110021u },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i].profile, 0.01);
		uint32_t v = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(ts_dpidr(sp, &v), 1);
		CHECK_EQ_U(v, t[i].dpidr);
		CHECK_EQ_U(rd(sp, 0xE000ED00u), t[i].cpuid);
		CHECK_EQ_U(rd(sp, 0xE0042000u) & 0xFFF, t[i].idcode_dev);
		CHECK_EQ_U(rd(sp, t[i].fsize_addr) >> 16, t[i].flash_kb);
		CHECK_EQ_U(rd(sp, 0xE000EF40u), t[i].mvfr0);
		CHECK_EQ_U(rd(sp, 0xE00FF000u), 0xFFF0F003u); /* ROM table -> SCS */
		CHECK_EQ_U(rd(sp, 0xE0002000u) & 0xF0, t[i].dpidr == 0x5BA02477u ? 0x80 : 0x60);
		CHECK_EQ_U(rd(sp, 0xE000EFB8u), 0);           /* unknown PPB: 0 */
		CHECK_EQ_U(rd(sp, 0x08000008u), 0xC0DE0002u);
		sim_probe_destroy(sp);
	}
}

/* The regression keeps OPTCR1 (F429 nWRP of bank 2, F746 boot addresses). */
TEST(optcr1_kept_through_regression)
{
	static const struct {
		const char *profile;
		uint32_t optcr, optcr1;
	} t[] = {
		{ "stm32f429zi-rdp1", 0x0FFFAAECu, 0x0FFE0000u },
		{ "stm32f746zg-rdp1", 0xC0FFAAFCu, 0x00400080u },
	};

	for (size_t i = 0; i < 2; i++) {
		struct sim_probe *sp = ts_open(t[i].profile, 0.001);
		uint32_t v = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		opt_unlock(sp);
		if (i == 0)
			wr(sp, FLASH_OPTCR1, t[i].optcr1);
		CHECK_EQ_U(rd(sp, FLASH_OPTCR1), t[i].optcr1);
		wr(sp, FLASH_OPTCR, t[i].optcr);
		wr(sp, FLASH_OPTCR, t[i].optcr | 2u);
		wait_not_busy(sp, 2000);
		sysreset(sp);
		CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
		CHECK_EQ_U(rd(sp, FLASH_OPTCR1), t[i].optcr1);
		CHECK_EQ_U(rd(sp, FLASH_OPTCR), t[i].optcr | 1u);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x08000000u, &v), 0);
		CHECK_EQ_U(v, 0xFFFFFFFFu);
		CHECK_EQ_I(sim_probe_peek32(sp, 0x40024000u, &v), 0); /* backup SRAM cleared */
		CHECK_EQ_U(v, 0);
		sim_probe_destroy(sp);
	}
}

/* F7 OTP: 1,024 data bytes and the lock bytes, 0x1FF0F000-0x1FF0F41F
 * (FLASH_OTP_BASE/FLASH_OTP_END, stm32f746xx.h:1140-1141; the same on
 * F767, stm32f767xx.h:1303-1304), read erased; the unique id follows at
 * 0x1FF0F420 (UID_BASE, stm32f746xx.h:1228). */
TEST(f7_otp_is_1056_bytes)
{
	static const char *const profiles[] = {"stm32f746zg-rdp0", "stm32f767zi-rdp0"};

	for (size_t i = 0; i < 2; i++) {
		struct sim_probe *sp = ts_open(profiles[i], 0.01);

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(rd(sp, 0x1FF0F000u), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x1FF0F410u), 0xFFFFFFFFu);
		CHECK_EQ_U(rd(sp, 0x1FF0F41Cu), 0xFFFFFFFFu);
		CHECK(rd(sp, 0x1FF0F420u) != 0xFFFFFFFFu); /* UID */
		sim_probe_destroy(sp);
	}
}

/* The second option-byte copy: OPTCR1's nWRP (ST F42x, RM0090 option byte
 * organization) or GD32F4's WP1 (OB_WP1 = OB_BASE 0x1FFEC000 + 8,
 * gd32f4xx_fmc.h:62 and gd32f4xx.h:354) lives at 0x1FFEC008; OPTCR's
 * nWRP/WP0 at 0x1FFFC008 (OB_WP0, gd32f4xx_fmc.h:65). */
TEST(wp1_option_bytes_at_0x1ffec008)
{
	static const char *const profiles[] = {"gd32f450zk-rdp0", "stm32f429zi-rdp0"};

	for (size_t i = 0; i < 2; i++) {
		struct sim_probe *sp = ts_open(profiles[i], 0.001);
		uint32_t optcr;

		CHECK_EQ_U(ts_attach(sp), 1);
		optcr = rd(sp, FLASH_OPTCR);
		opt_unlock(sp);
		wr(sp, FLASH_OPTCR1, 0x0FFE0000u); /* sector 12 write-protected */
		wr(sp, FLASH_OPTCR, (optcr & ~3u) & ~(1u << 17)); /* and sector 1 */
		wr(sp, FLASH_OPTCR, ((optcr & ~3u) & ~(1u << 17)) | 2u);
		wait_not_busy(sp, 2000);
		CHECK_EQ_U(rd(sp, 0x1FFEC008u) & 0xFFFF, 0x0FFE);
		CHECK_EQ_U(rd(sp, 0x1FFFC008u) & 0xFFFF, 0x0FFD);
		CHECK_EQ_U((rd(sp, 0x1FFFC000u) >> 8) & 0xFF, 0xAA); /* RDP byte */
		CHECK_EQ_U(rd(sp, 0x1FFEC000u) & 0xFFFF, 0xFFFF);     /* reserved */
		sim_probe_destroy(sp);
	}
}

/* FLASH_CR keeps only the bits the F4 has: bit 14 is reserved
 * (FLASH_CR_*_Pos, stm32f429xx.h:7184-7219). */
TEST(flash_cr_reserved_bits)
{
	struct sim_probe *sp = ts_open("stm32f429zi-rdp0", 0.01);

	CHECK_EQ_U(ts_attach(sp), 1);
	wr(sp, 0x40023C04u, 0x45670123u);
	wr(sp, 0x40023C04u, 0xCDEF89ABu);
	wr(sp, 0x40023C10u, 0x0000C000u);
	CHECK_EQ_U(rd(sp, 0x40023C10u), 0x00008000u);
	sim_probe_destroy(sp);
}

TEST(power_cycle_resets_dp)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 0.01);
	struct sim_counters c;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7); /* back in JTAG mode */
	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(v = rd(sp, 0xE0042000u), 0x10010433u);
	sim_probe_get_counters(sp, &c);
	CHECK_EQ_U(c.power_cycles, 1);
	CHECK_EQ_I(sim_probe_create("stm32f999-rdp1", NULL, &sp), -ENOENT);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(rdp1_flash_read_sticky_then_abort);
	RUN(f401_unlock_register_level);
	RUN(wrong_key_locks_until_reset);
	RUN(lock_to_level1_no_erase);
	RUN(level2_silent_and_final);
	RUN(swd_off_only_under_reset);
	RUN(reset_halt_and_core_registers);
	RUN(identification_table);
	RUN(optcr1_kept_through_regression);
	RUN(f7_otp_is_1056_bytes);
	RUN(wp1_option_bytes_at_0x1ffec008);
	RUN(flash_cr_reserved_bits);
	RUN(power_cycle_resets_dp);
	return check_summary();
}
