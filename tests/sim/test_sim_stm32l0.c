/*
 * test_sim_stm32l0.c - the simulated STM32L0/L1 PECR controller at register
 * level through raw CMSIS-DAP bytes: key order, wrong keys, the regression
 * erasing flash and data EEPROM to 0x00, the L1 USER/WRP words, option
 * loading by OBL_LAUNCH, level 2. Addresses from RM0367/RM0038 (docs/sim/sim_stm32l0.md).
 */
#include "test_sim_util.h"

#define L0_REGS 0x40022000u
#define L1_REGS 0x40023C00u
#define PECR 0x04u
#define PEKEYR 0x0Cu
#define OPTKEYR 0x14u
#define SR 0x18u
#define OBR 0x1Cu
#define OB_BASE 0x1FF80000u

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

static void unlock_options(struct sim_probe *sp, uint32_t regs)
{
	wr(sp, regs + PEKEYR, 0x89ABCDEFu);
	wr(sp, regs + PEKEYR, 0x02030405u);
	wr(sp, regs + OPTKEYR, 0xFBEAD9C8u);
	wr(sp, regs + OPTKEYR, 0x24252627u);
}

static void wait_bsy(struct sim_probe *sp, uint32_t regs)
{
	int polls = 0;

	while ((rd(sp, regs + SR) & 1u) && polls++ < 2000)
		ts_sleep_ms(1);
	CHECK(polls < 2000);
}

TEST(identification)
{
	static const struct { const char *profile; uint32_t dbgmcu, dev, fsize, cpu; uint16_t kb; } c[] = {
		{"stm32l073rz-rdp1", 0x40015800u, 0x447, 0x1FF8007Cu, 0xC60, 192},
		{"stm32l011k4-rdp1", 0x40015800u, 0x457, 0x1FF8007Cu, 0xC60, 16},
		{"stm32l152re-rdp1", 0xE0042000u, 0x437, 0x1FF800CCu, 0xC23, 512},
		{"stm32l151c8-rdp1", 0xE0042000u, 0x416, 0x1FF8004Cu, 0xC23, 64},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct sim_probe *sp = ts_open(c[i].profile, 0.001);
		uint32_t v = 0;

		CHECK_EQ_U(ts_attach(sp), 1);
		CHECK_EQ_U(rd(sp, c[i].dbgmcu) & 0xFFF, c[i].dev);
		CHECK_EQ_U((rd(sp, c[i].fsize & ~3u) >> (8 * (c[i].fsize & 2))) & 0xFFFF, c[i].kb);
		CHECK_EQ_U((rd(sp, 0xE000ED00u) >> 4) & 0xFFF, c[i].cpu);
		CHECK_EQ_U(rd(sp, OB_BASE), 0xFF4400BBu); /* options readable at level 1 */
		CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), 4);
		ts_abort(sp);
		CHECK_EQ_U(ts_read32(sp, 0x08080000u, &v), 4); /* data EEPROM too */
		ts_abort(sp);
		sim_probe_destroy(sp);
	}
}

/* OPTKEYR with PELOCK still set, or a wrong key: locked until reset. */
TEST(key_order_and_wrong_keys)
{
	struct sim_probe *sp = ts_open("stm32l011k4-rdp1", 0.001);

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x7u);
	CHECK_EQ_U(ts_write32(sp, L0_REGS + OPTKEYR, 0xFBEAD9C8u), 4);
	ts_abort(sp);
	wr(sp, L0_REGS + PEKEYR, 0x89ABCDEFu);
	wr(sp, L0_REGS + PEKEYR, 0x02030405u);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x6u);
	CHECK_EQ_U(ts_write32(sp, L0_REGS + OPTKEYR, 0xFBEAD9C8u), 4); /* dead until reset */
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x6u);
	wr(sp, 0xE000ED0Cu, 0x05FA0004u);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x7u);
	unlock_options(sp, L0_REGS);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x2u);
	CHECK_EQ_U(ts_write32(sp, L0_REGS + PEKEYR, 0x12345678u), 4); /* keys while unlocked */
	ts_abort(sp);
	/* Reserved PECR bits 5-7 and ACR bit 2 (L0) stay 0 (stm32l073xx.h
	 * FLASH_PECR_*_Pos, FLASH_ACR_*_Pos). */
	wr(sp, L0_REGS + PECR, 0xE8u);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR) & 0xF8u, 0x08u);
	wr(sp, L0_REGS, 0xFFu);
	CHECK_EQ_U(rd(sp, L0_REGS), 0x7Bu);
	wr(sp, L0_REGS + PECR, 0x1u); /* PELOCK relocks everything */
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x7u);
	sim_probe_destroy(sp);
}

/* L1: writing xx55xxAA at level 1 erases flash and EEPROM to 0x00 and
 * leaves USER/WRP at 0 (?); the stored word shows at once, OBR only after
 * OBL_LAUNCH, whose write answers FAULT while the chip resets. */
TEST(l1_regression_and_obl_launch)
{
	struct sim_probe *sp = ts_open("stm32l152re-rdp1", 0.5); /* BSY long enough to be seen, even under valgrind */
	struct sim_counters n;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, OB_BASE + 4), 0xFF0700F8u);
	/* Cat.5/6: WRP1213 and WRP1415 at +0x80/+0x84 (stm32l151xe.h:315-316)
	 * load into FLASH_WRPR4 at 0x88 (stm32l151xe.h:298); the profile
	 * protects sector 127. */
	CHECK_EQ_U(rd(sp, OB_BASE + 0x80), 0xFFFF0000u);
	CHECK_EQ_U(rd(sp, OB_BASE + 0x84), 0x7FFF8000u);
	CHECK_EQ_U(rd(sp, L1_REGS + 0x88), 0x80000000u);
	CHECK_EQ_U(rd(sp, L1_REGS + 0x80), 0);
	unlock_options(sp, L1_REGS);
	wr(sp, OB_BASE, 0xFF5500AAu);
	CHECK_EQ_U(rd(sp, L1_REGS + SR) & 1u, 1u);
	wait_bsy(sp, L1_REGS);
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.mass_erases, 1);
	CHECK_EQ_U(rd(sp, OB_BASE), 0xFF5500AAu);
	CHECK_EQ_U(rd(sp, OB_BASE + 4), 0);
	CHECK_EQ_U(rd(sp, OB_BASE + 8), 0);
	CHECK_EQ_U(rd(sp, OB_BASE + 0x84), 0); /* erased with the other WRP words */
	CHECK_EQ_U(rd(sp, L1_REGS + OBR) & 0xFF, 0xBB); /* not loaded yet */
	CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), 4);
	ts_abort(sp);
	CHECK_EQ_U(ts_write32(sp, L1_REGS + PECR, 1u << 18), 4);
	ts_abort(sp);
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.resets, 1);
	CHECK_EQ_U(rd(sp, L1_REGS + OBR) & 0xFF, 0xAA);
	CHECK_EQ_U(rd(sp, L1_REGS + SR) & (1u << 12), 1u << 12); /* OPTVERRUSR: USER word blank */
	CHECK_EQ_U(rd(sp, 0x08000000u), 0);
	CHECK_EQ_U(rd(sp, 0x08083FFCu), 0);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 0);
	sim_probe_destroy(sp);
}

/* L0: the erase keeps USER/WRP; raising the level erases nothing. */
TEST(l0_regression_keeps_user_and_lock_does_not_erase)
{
	struct sim_probe *sp = ts_open("stm32l073rz-rdp0", 0.001);
	struct sim_counters n;

	CHECK_EQ_U(ts_attach(sp), 1);
	unlock_options(sp, L0_REGS);
	wr(sp, OB_BASE, 0xFFFF0000u);
	wait_bsy(sp, L0_REGS);
	CHECK_EQ_U(ts_write32(sp, L0_REGS + PECR, 1u << 18), 4);
	ts_abort(sp);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.mass_erases, 0);
	unlock_options(sp, L0_REGS);
	wr(sp, OB_BASE, 0xFF5500AAu);
	wait_bsy(sp, L0_REGS);
	CHECK_EQ_U(rd(sp, OB_BASE + 4), 0x7F8F8070u);
	CHECK_EQ_U(rd(sp, OB_BASE + 8), 0xFFFC0003u);
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.mass_erases, 1);
	sim_probe_destroy(sp);
}

/* Power lost while the regression word is written (issue 7): the word is
 * left 0x00000000, which does not match its complement; every option load
 * then sets OPTVERR (bit 11) and loads RDP 0x00, level 1 (RM0377 §3.7).
 * Writing 1 clears the flag until the next load; a whole word written again
 * recovers the chip. */
TEST(power_loss_leaves_optverr)
{
	struct sim_probe *sp = ts_open("stm32l073rz-rdp1", 0.001);
	struct sim_counters n;
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	unlock_options(sp, L0_REGS);
	sim_probe_power_fail_at_option_start(sp, true);
	wr(sp, OB_BASE, 0xFF5500AAu); /* answered, then the power goes */
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.power_cycles, 1);
	CHECK_EQ_U(n.mass_erases, 0);
	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, OB_BASE), 0);
	CHECK_EQ_U(rd(sp, L0_REGS + OBR) & 0xFF, 0x00);
	CHECK_EQ_U(rd(sp, L0_REGS + SR) & (1u << 11), 1u << 11);
	CHECK_EQ_U(rd(sp, L0_REGS + PECR), 0x7u); /* locked again by the power-on */
	CHECK_EQ_I(sim_probe_rdp_level(sp), 1);
	CHECK_EQ_U(ts_read32(sp, 0x08000000u, &v), 4); /* still level 1 to a debugger */
	ts_abort(sp);
	CHECK_EQ_U(sim_probe_peek32(sp, 0x08000000u, &v), 0);
	CHECK_EQ_U(v, 0); /* the erase had begun: first half erased (?) */
	CHECK_EQ_U(sim_probe_peek32(sp, 0x0802FFFCu, &v), 0);
	CHECK(v != 0);
	wr(sp, L0_REGS + SR, 1u << 11);
	CHECK_EQ_U(rd(sp, L0_REGS + SR) & (1u << 11), 0);
	wr(sp, 0xE000ED0Cu, 0x05FA0004u); /* a reset loads the options again */
	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(rd(sp, L0_REGS + SR) & (1u << 11), 1u << 11);
	unlock_options(sp, L0_REGS);
	wr(sp, OB_BASE, 0xFF5500AAu);
	wait_bsy(sp, L0_REGS);
	CHECK_EQ_U(ts_write32(sp, L0_REGS + PECR, 1u << 18), 4);
	ts_abort(sp);
	CHECK_EQ_U(rd(sp, L0_REGS + SR) & (1u << 11), 0);
	CHECK_EQ_U(rd(sp, L0_REGS + OBR) & 0xFF, 0xAA);
	sim_probe_get_counters(sp, &n);
	CHECK_EQ_U(n.mass_erases, 1);
	sim_probe_destroy(sp);
}

TEST(level2_silent)
{
	struct sim_probe *sp = ts_open("stm32l151c8-rdp2", 0.001);
	uint32_t v = 0;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	sim_probe_power_cycle(sp);
	ts_jtag_to_swd(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	CHECK_EQ_I(sim_probe_rdp_level(sp), 2);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(identification);
	RUN(key_order_and_wrong_keys);
	RUN(l1_regression_and_obl_launch);
	RUN(l0_regression_keeps_user_and_lock_does_not_erase);
	RUN(power_loss_leaves_optverr);
	RUN(level2_silent);
	return check_summary();
}
