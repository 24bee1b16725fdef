/*
 * test_sim_stm32l4.c - the simulated OPTR flash controllers (L4-style and
 * L5/U5) at register level, through raw CMSIS-DAP bytes: identity of the
 * M0+ and M33 parts, key rules, OPTR read-back, OPTSTRT and OBL_LAUNCH, the
 * debugger latch after a regression, TZEN rules, level 2 silence.
 */
#include "test_sim_util.h"

#define L4_KEYR 0x40022008u
#define L4_OPTKEYR 0x4002200Cu
#define L4_SR 0x40022010u
#define L4_CR 0x40022014u
#define L4_OPTR 0x40022020u
#define TZ_NSKEYR 0x40022008u
#define TZ_OPTKEYR 0x40022010u
#define TZ_NSSR 0x40022020u
#define TZ_NSCR 0x40022028u
#define TZ_OPTR 0x40022040u
#define CR_OPTSTRT (1u << 17)
#define CR_OBL_LAUNCH (1u << 27)
#define CR_OPTLOCK (1u << 30)
#define CR_LOCK (1u << 31)
#define SR_BSY (1u << 16)
#define ACK_OK 1u
#define ACK_FAULT 4u

static uint32_t rd(struct sim_probe *sp, uint32_t addr)
{
	uint32_t v = 0xDEADBEEFu;

	CHECK_EQ_U(ts_read32(sp, addr, &v), ACK_OK);
	return v;
}

static void wr(struct sim_probe *sp, uint32_t addr, uint32_t v)
{
	CHECK_EQ_U(ts_write32(sp, addr, v), ACK_OK);
}

static void wait_idle(struct sim_probe *sp, uint32_t sr)
{
	for (int i = 0; i < 2000 && (rd(sp, sr) & SR_BSY); i++)
		ts_sleep_ms(1);
	CHECK(!(rd(sp, sr) & SR_BSY));
}

static void unlock(struct sim_probe *sp, uint32_t keyr, uint32_t optkeyr)
{
	wr(sp, keyr, 0x45670123u);
	wr(sp, keyr, 0xCDEF89ABu);
	wr(sp, optkeyr, 0x08192A3Bu);
	wr(sp, optkeyr, 0x4C5D6E7Fu);
}

TEST(m0plus_part_identity)
{
	struct sim_probe *sp = ts_open("stm32g071rb-rdp1", 0.01);
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, 0xE000ED00u), 0x410CC601u);     /* CPUID Cortex-M0+ r0p1 */
	CHECK_EQ_U(rd(sp, 0x40015800u) & 0xFFF, 0x460);   /* DBGMCU_IDCODE */
	CHECK_EQ_U(ts_read32(sp, 0xE0042000u, &v), ACK_FAULT); /* no M4 DBGMCU on M0+ */
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, 0xE00FF000u), 0xFFF0F003u);     /* ROM: SCS at 0xE000E000 */
	CHECK_EQ_U(rd(sp, 0xE00FF00Cu), 0);               /* three entries, then the end */
	CHECK_EQ_U(rd(sp, 0xE000EFE0u) & 0xFF, 0x08);     /* SCS PIDR0: M0+ SCS */
	CHECK_EQ_U(rd(sp, 0x1FFF75E0u) & 0xFFFF, 128);    /* F_SIZE */
	CHECK_EQ_U(rd(sp, L4_OPTR) & 0xFF, 0xBB);
	CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), ACK_FAULT); /* level 1: flash closed */
	ts_abort(sp);
	CHECK(rd(sp, 0x20000000u) == 0);                  /* SRAM stays open */
	sim_probe_destroy(sp);
}

TEST(m33_part_identity)
{
	struct sim_probe *sp = ts_open("stm32l552ze-rdp0.5", 0.01);

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, 0xE000ED00u), 0x410FD214u);
	CHECK_EQ_U(rd(sp, 0xE0044000u) & 0xFFF, 0x472);
	CHECK_EQ_U(rd(sp, 0x0BFA05E0u) & 0xFFFF, 512);
	CHECK_EQ_U(rd(sp, TZ_OPTR), 0xFFEFF855u);          /* RDP 0x55 with TZEN */
	CHECK_EQ_I(sim_probe_rdp_level(sp), 5);
	CHECK(rd(sp, 0x08000000u) != 0xFFFFFFFFu);         /* 0.5: non-secure flash open */
	sim_probe_destroy(sp);
}

TEST(wrong_key_locks_until_reset)
{
	struct sim_probe *sp = ts_open("stm32l476rg-rdp0", 0.01);

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, L4_CR), CR_LOCK | CR_OPTLOCK);
	/* OPTKEYR before KEYR is a wrong sequence. */
	CHECK_EQ_U(ts_write32(sp, L4_OPTKEYR, 0x08192A3Bu), ACK_FAULT);
	ts_abort(sp);
	CHECK_EQ_U(ts_write32(sp, L4_KEYR, 0x12345678u), ACK_FAULT);
	ts_abort(sp);
	CHECK_EQ_U(ts_write32(sp, L4_KEYR, 0x45670123u), ACK_FAULT); /* dead until reset */
	ts_abort(sp);
	CHECK(rd(sp, L4_CR) & CR_LOCK);
	wr(sp, 0xE000ED0Cu, 0x05FA0004u); /* SYSRESETREQ */
	unlock(sp, L4_KEYR, L4_OPTKEYR);
	CHECK_EQ_U(rd(sp, L4_CR) & (CR_LOCK | CR_OPTLOCK), 0);
	/* A key written to an unlocked register locks it again. */
	CHECK_EQ_U(ts_write32(sp, L4_KEYR, 0x45670123u), ACK_FAULT);
	ts_abort(sp);
	CHECK(rd(sp, L4_CR) & CR_LOCK);
	sim_probe_destroy(sp);
}

TEST(optr_readback_optstrt_and_obl_launch)
{
	struct sim_probe *sp = ts_open("stm32l476rg-rdp0", 0.01);
	struct sim_counters before, after;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	wr(sp, L4_OPTR, 0xFFEFF8BBu); /* ignored: OPTLOCK */
	CHECK_EQ_U(rd(sp, L4_OPTR), 0xFFEFF8AAu);
	unlock(sp, L4_KEYR, L4_OPTKEYR);
	wr(sp, L4_OPTR, 0xFFEFF8BBu);
	CHECK_EQ_U(rd(sp, L4_OPTR), 0xFFEFF8BBu); /* the value to program */
	wr(sp, L4_CR, CR_OPTSTRT);
	wait_idle(sp, L4_SR);
	CHECK_EQ_U(rd(sp, L4_OPTR), 0xFFEFF8AAu); /* loaded values until OBL (?) */
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	wr(sp, L4_CR, CR_LOCK);
	CHECK_EQ_U(rd(sp, L4_CR), CR_LOCK | CR_OPTLOCK); /* LOCK sets OPTLOCK */
	wr(sp, L4_CR, CR_OBL_LAUNCH);                    /* locked: ignored */
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	unlock(sp, L4_KEYR, L4_OPTKEYR);
	sim_probe_get_counters(sp, &before);
	CHECK_EQ_U(ts_write32(sp, L4_CR, CR_OBL_LAUNCH), ACK_FAULT); /* the reset cuts the ACK */
	ts_abort(sp);
	sim_probe_get_counters(sp, &after);
	CHECK_EQ_U(after.resets, before.resets + 1);
	CHECK_EQ_U(after.mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	CHECK_EQ_U(rd(sp, L4_OPTR), 0xFFEFF8BBu);
	CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), ACK_FAULT);
	ts_abort(sp);
	CHECK_EQ_U(ts_read32(sp, 0x10000000u, &v), ACK_FAULT); /* SRAM2 too */
	sim_probe_destroy(sp);
}

TEST(regression_needs_power_on_reset)
{
	struct sim_probe *sp = ts_open("stm32wb55rg-rdp1", 2.0); /* BSY long enough to be seen, even under valgrind */
	struct sim_counters cnt;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	unlock(sp, 0x58004008u, 0x5800400Cu);
	wr(sp, 0x58004020u, 0x3FFFF1AAu);
	wr(sp, 0x58004014u, CR_OPTSTRT);
	CHECK(rd(sp, 0x58004010u) & (1u << 18)); /* CFGBSY with BSY */
	wait_idle(sp, 0x58004010u);
	sim_probe_get_counters(sp, &cnt);
	CHECK_EQ_U(cnt.mass_erases, 1);
	wr(sp, 0x58004080u, 0); /* SFR belongs to CPU2: unchanged */
	CHECK_EQ_U(rd(sp, 0x58004080u), 0xFFFFE0FFu);
	wr(sp, 0x58004014u, CR_LOCK);
	unlock(sp, 0x58004008u, 0x5800400Cu);
	CHECK_EQ_U(ts_write32(sp, 0x58004014u, CR_OBL_LAUNCH), ACK_FAULT);
	ts_abort(sp);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	/* Level 0, but changed with the debugger attached: closed until POR. */
	CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), ACK_FAULT);
	ts_abort(sp);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, 0x08000000u), 0xFFFFFFFFu);
	CHECK_EQ_U(rd(sp, 0x20030000u), 0); /* SRAM2 erased */
	CHECK_EQ_U(rd(sp, 0x40002850u), 0); /* backup registers erased */
	sim_probe_destroy(sp);
}

TEST(tzen_cleared_only_with_regression)
{
	struct sim_probe *sp = ts_open("stm32u585ai-rdp0.5", 0.01);
	struct sim_counters cnt;

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	unlock(sp, TZ_NSKEYR, TZ_OPTKEYR);
	wr(sp, TZ_OPTR, 0x7FEFF8BBu); /* level 1 and TZEN off: refused */
	wr(sp, TZ_NSCR, CR_OPTSTRT);
	CHECK(rd(sp, TZ_NSSR) & (1u << 13)); /* OPTWERR */
	CHECK_EQ_U(rd(sp, TZ_OPTR), 0xFFEFF855u);
	wr(sp, TZ_NSSR, 1u << 13);
	wr(sp, TZ_OPTR, 0x7FEFF8AAu); /* level 0 and TZEN off: allowed */
	wr(sp, TZ_NSCR, CR_OPTSTRT);
	wait_idle(sp, TZ_NSSR);
	CHECK(!(rd(sp, TZ_NSSR) & (1u << 13)));
	sim_probe_get_counters(sp, &cnt);
	CHECK_EQ_U(cnt.mass_erases, 1);
	wr(sp, TZ_NSCR, CR_LOCK);
	sim_probe_power_cycle(sp);
	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, TZ_OPTR), 0x7FEFF8AAu);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	sim_probe_destroy(sp);
}

TEST(oem1_key_refuses_regression)
{
	struct sim_probe *sp = ts_open("stm32u585ai-oem1-rdp1", 0.01);

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK(rd(sp, TZ_NSSR) & (1u << 18)); /* OEM1LOCK */
	unlock(sp, TZ_NSKEYR, TZ_OPTKEYR);
	wr(sp, TZ_OPTR, 0x7FEFF8AAu);
	wr(sp, TZ_NSCR, CR_OPTSTRT);
	CHECK(rd(sp, TZ_NSSR) & (1u << 13));
	sim_probe_power_cycle(sp);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	sim_probe_destroy(sp);
}

TEST(level2_is_silent)
{
	static const char *const profiles[] = { "stm32c031c6-rdp2", "stm32wle5jc-rdp2",
						"stm32l552ze-rdp2" };

	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		struct sim_probe *sp = ts_open(profiles[i], 0.01);
		uint32_t v = 0;

		ts_port_on(sp);
		ts_jtag_to_swd(sp);
		CHECK_EQ_U(ts_dpidr(sp, &v), 7); /* no ACK */
		CHECK_EQ_I(sim_probe_rdp_level(sp), 2);
		sim_probe_destroy(sp);
	}
}

/* Each option register's writable bits are the field widths of the part's
 * CMSIS header (stm32l4r5xx.h, stm32g474xx.h, stm32g071xx.h, stm32c031xx.h,
 * stm32wle5xx.h, stm32u083xx.h, stm32wb15xx.h, stm32l552xx.h,
 * stm32u585xx.h, stm32u5a5xx.h): write all zeros, then all ones; the bits
 * that changed are the field. */
TEST(option_field_widths_match_the_headers)
{
	static const struct {
		const char *profile;
		uint32_t base, keyr, optkeyr, reg, mask;
	} cases[] = {
		{ "stm32l4r5zi-rdp0", 0x40022000u, 0x08, 0x0C, 0x24, 0x0001FFFFu }, /* PCROP1SR */
		{ "stm32g474re-rdp0", 0x40022000u, 0x08, 0x0C, 0x24, 0x00007FFFu }, /* PCROP1SR */
		{ "stm32g474re-rdp0", 0x40022000u, 0x08, 0x0C, 0x2C, 0x007F007Fu }, /* WRP1AR */
		{ "stm32g474re-rdp0", 0x40022000u, 0x08, 0x0C, 0x50, 0x007F007Fu }, /* WRP2BR */
		{ "stm32g071rb-rdp0", 0x40022000u, 0x08, 0x0C, 0x2C, 0x003F003Fu }, /* WRP1AR */
		{ "stm32c031c6-rdp0", 0x40022000u, 0x08, 0x0C, 0x24, 0x0000003Fu }, /* PCROP1ASR */
		{ "stm32c031c6-rdp0", 0x40022000u, 0x08, 0x0C, 0x30, 0x000F000Fu }, /* WRP1BR */
		{ "stm32wle5jc-rdp0", 0x58004000u, 0x08, 0x0C, 0x24, 0x000000FFu }, /* PCROP1ASR */
		{ "stm32wle5jc-rdp0", 0x58004000u, 0x08, 0x0C, 0x2C, 0x007F007Fu }, /* WRP1AR */
		{ "stm32u083rc-rdp0", 0x40022000u, 0x08, 0x0C, 0x2C, 0xFFFFFFFFu }, /* WRP1AR */
		{ "stm32wb15cc-rdp0", 0x58004000u, 0x08, 0x0C, 0x24, 0x000001FFu }, /* PCROP1ASR */
		{ "stm32wb15cc-rdp0", 0x58004000u, 0x08, 0x0C, 0x2C, 0x00FF00FFu }, /* WRP1AR */
		{ "stm32l552ze-rdp0", 0x40022000u, 0x08, 0x10, 0x58, 0x007F007Fu }, /* WRP1AR, no UNLOCK */
		{ "stm32u585ai-rdp0", 0x40022000u, 0x08, 0x10, 0x58, 0x807F007Fu }, /* WRP1AR */
		{ "stm32u5a5zj-rdp0", 0x40022000u, 0x08, 0x10, 0x58, 0x80FF00FFu }, /* WRP1AR */
		{ "stm32u5a5zj-rdp0", 0x40022000u, 0x08, 0x10, 0x50, 0x00FF00FFu }, /* SECWM1R1 */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim_probe *sp = ts_open(cases[i].profile, 0.01);
		uint32_t reg = cases[i].base + cases[i].reg, zeros, ones;

		CHECK_EQ_U(ts_attach(sp), ACK_OK);
		unlock(sp, cases[i].base + cases[i].keyr, cases[i].base + cases[i].optkeyr);
		wr(sp, reg, 0);
		zeros = rd(sp, reg);
		wr(sp, reg, 0xFFFFFFFFu);
		ones = rd(sp, reg);
		if ((zeros ^ ones) != cases[i].mask)
			fprintf(stderr, "  %s +0x%02x: writable 0x%08x\n", cases[i].profile,
				(unsigned)cases[i].reg, zeros ^ ones);
		CHECK_EQ_U(zeros ^ ones, cases[i].mask);
		sim_probe_destroy(sp);
	}
}

/* WLE5's flash interface ends at PCROP1BER (stm32wle5xx.h FLASH_TypeDef):
 * nothing at SFR (0x80), unlike the WB and the WL5x. WB1x keeps its option
 * page at 0x1FFF7800 (OPTION_BYTE_BASE, stm32wb15xx.h), the WB5x at
 * 0x1FFF8000 (stm32wb55xx.h). */
TEST(wle5_has_no_sfr_and_wb1x_option_page)
{
	struct sim_probe *sp = ts_open("stm32wle5jc-rdp1", 0.01);
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, 0x58004080u), 0);
	CHECK_EQ_U(rd(sp, 0x58004084u), 0);
	sim_probe_destroy(sp);

	sp = ts_open("stm32wb15cc-rdp1", 0.01);
	CHECK_EQ_U(ts_attach(sp), ACK_OK);
	CHECK_EQ_U(rd(sp, 0xE0042000u) & 0xFFF, 0x494);
	CHECK_EQ_U(rd(sp, 0x1FFF75E0u) & 0xFFFF, 320);
	CHECK_EQ_U(rd(sp, 0x58004080u), 0xFFFFE0FFu);    /* SFR: CPU2's */
	CHECK_EQ_U(rd(sp, 0x1FFF7800u), 0x3FFFF1BBu);    /* OPTR word of the page */
	CHECK_EQ_U(rd(sp, 0x1FFF7804u), ~0x3FFFF1BBu);   /* and its complement */
	CHECK_EQ_U(ts_read32(sp, 0x1FFF8000u, &v), ACK_FAULT);
	ts_abort(sp);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(m0plus_part_identity);
	RUN(m33_part_identity);
	RUN(wrong_key_locks_until_reset);
	RUN(optr_readback_optstrt_and_obl_launch);
	RUN(regression_needs_power_on_reset);
	RUN(tzen_cleared_only_with_regression);
	RUN(oem1_key_refuses_regression);
	RUN(level2_is_silent);
	RUN(option_field_widths_match_the_headers);
	RUN(wle5_has_no_sfr_and_wb1x_option_page);
	return check_summary();
}
