/*
 * The whole driver stack against the simulated F0/F1/F3 and GD32F1x0/E23x flash
 * interface, for every profile of sim_stm32f1.c: identify, read the level,
 * unlock (1 -> 0) and check what the model holds afterwards (flash erased,
 * the other option bytes kept, backup registers as the family does), lock
 * (0 -> 1), and refuse level 2 without a single flash-interface write.
 */
#include <time.h>

#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"

#define OB 0x1FFFF800u

static const struct f1_case {
	const char *part;
	const char *name;
	uint16_t dev_id;
	unsigned flash_kb;
	enum cortexm_core core;
	uint8_t level0;       /* RDP byte of level 0 */
	bool has_level2;
	bool obl;             /* options applied through OBL_LAUNCH */
	uint32_t bkp_addr;    /* a backup register, 0: none */
	bool bkp_cleared;     /* the regression clears it */
	unsigned wrp_bytes;
	bool obr_f1;          /* a GD32 whose FLASH_OBR has the F1 layout */
} cases[] = {
	/* part           name                             dev    KB    core        L0    L2     OBL    backup reg   cleared WRP */
	{"stm32f103c8", "STM32F10x medium density",       0x410,   64, CORTEXM_M3, 0xA5, false, false, 0x40006C04, false, 4},
	{"stm32f103ze", "STM32F10x high density",         0x414,  512, CORTEXM_M3, 0xA5, false, false, 0x40006C04, false, 4},
	{"stm32f105rc", "STM32F105/107 connectivity line", 0x418, 256, CORTEXM_M3, 0xA5, false, false, 0x40006C04, false, 4},
	{"stm32f103zg", "STM32F10x XL density",           0x430, 1024, CORTEXM_M3, 0xA5, false, false, 0x40006C04, false, 4},
	{"stm32f100rb", "STM32F100 value line low/medium density", 0x420, 128, CORTEXM_M3, 0xA5, false, false, 0x40006C04, false, 4},
	{"stm32f030r8", "STM32F05x/F030x8",               0x440,   64, CORTEXM_M0, 0xAA, true,  true,  0,          false, 2},
	{"stm32f030k6", "STM32F03x/F030x4/6",             0x444,   32, CORTEXM_M0, 0xAA, true,  true,  0,          false, 1},
	{"stm32f072rb", "STM32F07x",                      0x448,  128, CORTEXM_M0, 0xAA, true,  true,  0x40002850, true,  4},
	{"stm32f303vc", "STM32F302xB/C/F303xB/C/F358",    0x422,  256, CORTEXM_M4, 0xAA, true,  true,  0x40002850, true,  4},
	{"stm32f334r8", "STM32F303x6/8/F328/F334",        0x438,   64, CORTEXM_M4, 0xAA, true,  true,  0x40002850, true,  2},
	{"gd32f130c8",  "GD32F1x0 (or GD32F10x)",         0x410,   64, CORTEXM_M3, 0xA5, true,  false, 0,          false, 2},
	{"gd32e230c8",  "GD32E23x",                       0x410,   64, CORTEXM_M23, 0xA5, true, false, 0,          false, 2},
	{"gd32f205rc",  "GD32F20x",                       0x418,  256, CORTEXM_M3, 0xA5, false, false, 0,          false, 4, true},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static struct probe_link *open_profile(const struct f1_case *c, unsigned level)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%u" FAST, c->part, level);
	return stack_open(uri);
}

static uint16_t ob_half(struct probe_link *pl, unsigned idx)
{
	return (uint16_t)(stack_peek(pl, OB + 4 * (idx / 2)) >> (16 * (idx & 1)));
}

/* The byte the option loader makes of a half-word: 0xFF when erased or
 * when the complement does not match. */
static uint8_t ob_loaded(uint16_t hw)
{
	return (uint8_t)(hw >> 8) == (uint8_t)~hw ? (uint8_t)hw : 0xFF;
}

/* FLASH_OBR read-protection bits: RDPRT [2:1] on F0/F3/GD32F1x0/E23x, bit 1
 * on F1 and GD32F20x (bit 2 is IWDG_SW there). */
static uint32_t obr_rdp_bits(const struct f1_case *c, uint32_t obr)
{
	return obr & ((c->level0 == 0xAA || c->has_level2) && !c->obr_f1 ? 6u : 2u);
}

TEST(identify_and_read_level1)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct f1_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 1);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "stm32f1");
		CHECK_STR(t.part->name, c->name);
		CHECK_EQ_U(t.idcode & 0xFFF, c->dev_id);
		CHECK_EQ_U(t.flash_kb, c->flash_kb);
		CHECK_EQ_I(t.core, c->core);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		/* The profile's page: WRP0 = 0xFE, the rest unprotected. */
		if (c->wrp_bytes > 1)
			CHECK_EQ_U(p.wrp_raw & 0xFFFF, 0xFFFE);
		CHECK_EQ_U(p.wrp_sectors, 1);
		CHECK_STR(p.options[0].name, "obr");
		CHECK_EQ_U(p.options[0].value & 2, 2); /* RDPRT */
		CHECK_EQ_U(p.n_options, c->wrp_bytes == 4 ? 6u : 5u);
		/* Only the WRPR bits of the WRPx the part has (OB_TypeDef). */
		CHECK_EQ_U(p.wrp_raw, c->wrp_bytes == 4 ? 0xFFFFFFFEu : c->wrp_bytes == 2 ? 0xFFFEu : 0xFEu);
		CHECK(stack_has_option(&p, c->wrp_bytes == 1 ? "ob_wrp0" : "ob_wrp01", NULL));
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		probe_link_close(pl);
	}
}

TEST(read_level0)
{
	for (size_t i = 0; i < NCASES; i++) {
		struct probe_link *pl = open_profile(&cases[i], 0);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, cases[i].level0);
		CHECK_EQ_U(obr_rdp_bits(&cases[i], p.options[0].value), 0);
		probe_link_close(pl);
	}
}

TEST(unlock_level1)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct f1_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 1);
		struct target t;
		struct target_protection p;
		struct job_result res;
		uint32_t end = 0x08000000u + c->flash_kb * 1024u;
		uint16_t before[8];
		struct sim_counters n;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		fprintf(stderr, "  %s\n", c->part);
		for (unsigned k = 0; k < 8; k++)
			before[k] = ob_half(pl, k);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF);
		CHECK(stack_peek(pl, end - 4) != 0xFFFFFFFF);
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		if (*err_detail())
			fprintf(stderr, "  detail: %s\n", err_detail());
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		if (res.power_cycle_required) {
			sim_probe_power_cycle(stack_model(pl));
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
			CHECK_EQ_I(p.level, RDP_LEVEL_0);
		} else {
			CHECK(res.flash_verified_blank);
		}
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		CHECK_EQ_U(stack_peek(pl, end - 4), 0xFFFFFFFF);
		/* RDP is the level-0 key with its complement; USER, DATA0/1 and
		 * WRP0..3 are back as they were. */
		CHECK_EQ_U(ob_half(pl, 0), (uint16_t)(c->level0 | (uint8_t)~c->level0 << 8));
		for (unsigned k = 1; k < 8; k++)
			CHECK_EQ_U(ob_loaded(ob_half(pl, k)), ob_loaded(before[k]));
		CHECK_EQ_U(ob_half(pl, 2), 0xED12);
		CHECK_EQ_U(ob_half(pl, 3), 0xCB34);
		CHECK_EQ_U(ob_half(pl, 4), 0x01FE);
		CHECK_EQ_U(obr_rdp_bits(c, stack_peek(pl, 0x4002201C)), 0); /* OBR reloaded */
		CHECK_EQ_U(stack_peek(pl, 0x40022020) & 0xFF, 0xFE); /* WRPR reloaded */
		n = stack_counters(pl);
		CHECK_EQ_U(n.mass_erases, 1);
		CHECK(n.resets >= 1);
		if (c->bkp_addr)
			CHECK_EQ_U(stack_peek(pl, c->bkp_addr) == 0, c->bkp_cleared);
		probe_link_close(pl);
	}
}

TEST(lock_then_unlock)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct f1_case *c = &cases[i];
		struct probe_link *pl = open_profile(c, 0);
		struct target t;
		struct target_protection p;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		if (*err_detail())
			fprintf(stderr, "  %s detail: %s\n", c->part, err_detail());
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		if (res.power_cycle_required)
			sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF); /* raising the level erases nothing */
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		CHECK_EQ_U(ob_half(pl, 2), 0xED12); /* DATA0 kept */
		/* A later session with the same board unlocks it again. */
		pl = stack_reopen(pl);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		probe_link_close(pl);
	}
}

/* Loaded level 2: the debug port is silent, nothing can be written. */
TEST(level2_never_answers_and_is_never_written)
{
	for (size_t i = 0; i < NCASES; i++) {
		const struct f1_case *c = &cases[i];
		struct probe_link *pl;
		char name[64];
		struct sim_probe *sp = NULL;

		snprintf(name, sizeof(name), "%s-rdp2", c->part);
		if (!c->has_level2) {
			/* F1 has no level 2: no such profile exists. */
			CHECK(sim_probe_create(name, NULL, &sp) != 0);
			continue;
		}
		pl = open_profile(c, 2);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		probe_link_close(pl);
	}
}

/* Level 2 stored but not yet loaded (0xCC programmed, no reset since): the
 * chip still answers, and rdpd refuses it before any flash-interface write. */
TEST(pending_level2_is_refused_before_any_write)
{
	static const char *const parts[] = {"stm32f030r8", "stm32f303vc", "gd32f130c8", "gd32e230c8"};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		char uri[96];
		struct probe_link *pl;
		struct target t;
		struct target_protection p;
		struct job_result res;
		uint64_t writes;

		snprintf(uri, sizeof(uri), "sim:%s-rdp1" FAST, parts[i]);
		pl = stack_open(uri);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		/* The test itself (not rdpd) erases the page and programs 0xCC. */
		mem_write32(&pl->a, 0x40022004, 0x45670123);
		mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
		mem_write32(&pl->a, 0x40022008, 0x45670123);
		mem_write32(&pl->a, 0x40022008, 0xCDEF89AB);
		mem_write32(&pl->a, 0x40022010, 0x220);
		mem_write32(&pl->a, 0x40022010, 0x260);
		CHECK_EQ_I(adiv5_run(&pl->a), 0);
		nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
		mem_write32(&pl->a, 0x40022010, 0x210);
		mem_write16(&pl->a, OB, 0x33CC);
		mem_write32(&pl->a, 0x40022010, 0x80);
		CHECK_EQ_I(adiv5_run(&pl->a), 0);
		CHECK_EQ_U(ob_half(pl, 0), 0x33CC);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1); /* not loaded yet */
		writes = stack_counters(pl).flash_if_writes;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res),
			   -ERR_RDP_LEVEL2_PERMANENT);
		CHECK(strstr(err_detail(), "Nothing was written") != NULL);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, writes);
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res),
			   -ERR_RDP_LEVEL2_PERMANENT);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, writes);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		probe_link_close(pl);
	}
}

/* GD32F10x/F20x/F30x have no high protection: FMC_NSPC 0xA5 and FMC_USPC
 * only (gd32f20x_fmc.h:228-229), so a stored SPC of 0xCC is level 1 there
 * and the unlock goes ahead (on GD32F1x0/F3x0/E23x it is FMC_HSPC, level 2:
 * pending_level2_is_refused_before_any_write). */
TEST(gd32f20x_spc_0xcc_is_level1)
{
	struct probe_link *pl = stack_open("sim:gd32f205rc-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	/* The test itself (not rdpd) erases the page and programs 0xCC. */
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
	mem_write32(&pl->a, 0x40022008, 0x45670123);
	mem_write32(&pl->a, 0x40022008, 0xCDEF89AB);
	mem_write32(&pl->a, 0x40022010, 0x220);
	mem_write32(&pl->a, 0x40022010, 0x260);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
	mem_write32(&pl->a, 0x40022010, 0x210);
	mem_write16(&pl->a, OB, 0x33CC);
	mem_write32(&pl->a, 0x40022010, 0x80);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(ob_half(pl, 0), 0x33CC);
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_1);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	probe_link_close(pl);
}

/* At real speed the F103's mass erase keeps BSY set for 40 ms: the driver
 * must wait for all of it (OpenOCD's fallback path polls only 5 times). */
TEST(unlock_waits_for_a_real_speed_erase)
{
	static const char *const uris[] = {"sim:stm32f103c8-rdp1", "sim:stm32f303vc-rdp1"};

	for (size_t i = 0; i < 2; i++) {
		struct probe_link *pl = stack_open(uris[i]);
		struct target t;
		struct job_result res;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
		CHECK(res.flash_erased);
		CHECK(res.erase_ms >= 35);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		probe_link_close(pl);
	}
}

/* Model behaviour seen through the AP: flash faults at level 1 while the
 * option page and the flash registers answer; a wrong key locks the FPEC
 * until reset; OBL_LAUNCH resets the chip and its write is not ACKed clean. */
TEST(model_keys_latch_and_obl_launch)
{
	struct probe_link *pl = stack_open("sim:stm32f303vc-rdp1" FAST);
	struct target t;
	struct target_protection p;
	uint32_t v = 0, cr = 0;
	uint64_t resets;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x08000000, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	CHECK_EQ_I(mem_read32_now(&pl->a, OB, &v), 0);
	CHECK_EQ_U(v & 0xFFFF, 0x44BB);
	/* Wrong second key: bus error, and the right keys no longer help. */
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0x12345678);
	CHECK(adiv5_run(&pl->a) < 0);
	dp_clear_sticky(&pl->a);
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
	(void)adiv5_run(&pl->a);
	dp_clear_sticky(&pl->a);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022010, &cr), 0);
	CHECK_EQ_U(cr & 0x80, 0x80);
	/* A reset clears it; OBL_LAUNCH is such a reset. */
	CHECK_EQ_I(cortexm_reset_halt(&pl->a), 0);
	mem_write32(&pl->a, 0x40022004, 0x45670123);
	mem_write32(&pl->a, 0x40022004, 0xCDEF89AB);
	mem_read32(&pl->a, 0x40022010, &cr);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(cr & 0x80, 0);
	resets = stack_counters(pl).resets;
	mem_write32(&pl->a, 0x40022010, 1u << 13);
	mem_read32(&pl->a, 0x40022010, &cr);
	CHECK(adiv5_run(&pl->a) < 0); /* the reset cuts the write short */
	dp_clear_sticky(&pl->a);
	CHECK_EQ_U(stack_counters(pl).resets, resets + 1);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x40022010, &cr), 0);
	CHECK_EQ_U(cr & 0x80, 0x80); /* locked again after the reset */
	/* Still level 1 and the debugger latch holds until power-on. */
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x08000000, &v), -ERR_TARGET_FAULT);
	probe_link_close(pl);
}

/* The GD32E23x's Cortex-M23 as the stack meets it: CPUID part 0xD20, no
 * DBGMCU at 0xE0042000 (the first identification batch faults and is
 * redone), DBGMCU_IDCODE 0x19090410 at 0x40015800, the core's ROM table
 * (SCS, DWT, FPB with part 0xD20, CoreSight class 9: DDI 0550C §7.1), the
 * Baseline's three DEMCR bits and DHCSR.S_RESTART_ST (ARMv8-M). */
TEST(gd32e23x_cortex_m23_debug)
{
	struct probe_link *pl = stack_open("sim:gd32e230c8-rdp1" FAST);
	struct target t;
	struct target_protection p;
	uint32_t v = 0, rom[4] = {0}, pidr0 = 0, pidr1 = 0, cidr1 = 0, dhcsr = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(t.cpuid, 0x411CD200);
	CHECK_STR(cortexm_core_name(t.core), "Cortex-M23");
	CHECK_EQ_U(t.idcode, 0x19090410);
	CHECK_EQ_U(t.dpidr, 0x0BF11477);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE0042000, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	for (unsigned i = 0; i < 4; i++)
		mem_read32(&pl->a, 0xE00FF000 + 4 * i, &rom[i]);
	mem_read32(&pl->a, 0xE0002FE0, &pidr0);
	mem_read32(&pl->a, 0xE0002FE4, &pidr1);
	mem_read32(&pl->a, 0xE0002FF4, &cidr1);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(rom[0], 0xFFF0F003);
	CHECK_EQ_U(rom[1], 0xFFF02003);
	CHECK_EQ_U(rom[2], 0xFFF03003);
	CHECK_EQ_U(rom[3], 0);
	CHECK_EQ_U(pidr0, 0x20);
	CHECK_EQ_U(pidr1, 0xBD);
	CHECK_EQ_U(cidr1, 0x90);
	/* No ITM on the Baseline: the access faults. */
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE0000000, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	/* DEMCR keeps TRCENA, VC_HARDERR and VC_CORERESET only. */
	CHECK_EQ_I(mem_write32_now(&pl->a, 0xE000EDFC, 0xFFFFFFFF), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE000EDFC, &v), 0);
	CHECK_EQ_U(v, 0x01000401);
	/* Halted (the read job halts it): resuming sets S_RESTART_ST once. */
	CHECK_EQ_I(cortexm_halt(&pl->a), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE000EDF0, &dhcsr), 0);
	CHECK_EQ_U(mem_write32_now(&pl->a, 0xE000EDF0, 0xA05F0001), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE000EDF0, &dhcsr), 0);
	CHECK_EQ_U(dhcsr & (1u << 26), 1u << 26);
	CHECK_EQ_U(dhcsr & (1u << 17), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0xE000EDF0, &dhcsr), 0);
	CHECK_EQ_U(dhcsr & (1u << 26), 0);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

/* Every DEV_ID of docs/targets/stm32f1.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 1000 ms (F0/F1/F3's 40 ms mass erase gets 25 times that). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name                                      KB  F_SIZE */
		{0x40015800, 0x440, "STM32F05x/F030x8",                          64, 0x1FFFF7CC},
		{0x40015800, 0x444, "STM32F03x/F030x4/6",                        32, 0x1FFFF7CC},
		{0x40015800, 0x445, "STM32F04x/F070x6",                          32, 0x1FFFF7CC},
		{0x40015800, 0x448, "STM32F07x",                                128, 0x1FFFF7CC},
		{0x40015800, 0x442, "STM32F09x/F030xC",                         256, 0x1FFFF7CC},
		{0xE0042000, 0x412, "STM32F10x low density",                     32, 0x1FFFF7E0},
		{0xE0042000, 0x410, "STM32F10x medium density",                 128, 0x1FFFF7E0},
		{0xE0042000, 0x414, "STM32F10x high density",                   512, 0x1FFFF7E0},
		{0xE0042000, 0x418, "STM32F105/107 connectivity line",          256, 0x1FFFF7E0},
		{0xE0042000, 0x430, "STM32F10x XL density",                    1024, 0x1FFFF7E0},
		{0xE0042000, 0x420, "STM32F100 value line low/medium density",  128, 0x1FFFF7E0},
		{0xE0042000, 0x428, "STM32F100 value line high density",        512, 0x1FFFF7E0},
		{0xE0042000, 0x422, "STM32F302xB/C/F303xB/C/F358",              256, 0x1FFFF7CC},
		{0xE0042000, 0x432, "STM32F37x",                                256, 0x1FFFF7CC},
		{0xE0042000, 0x438, "STM32F303x6/8/F328/F334",                   64, 0x1FFFF7CC},
		{0xE0042000, 0x439, "STM32F301/F302x6/8/F318",                   64, 0x1FFFF7CC},
		{0xE0042000, 0x446, "STM32F302/303xD/E/F398",                   512, 0x1FFFF7CC},
	};

	part_cases_check("stm32f1", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 1000);
}

/* GigaDevice clones say DEV_ID 0x410 (0x418: GD32F20x) and are told apart
 * by REV_ID (docs/targets/stm32f1.md, "Parts"); an ST REV_ID keeps the
 * STM32F1 row. */
TEST(gd32_by_rev_id)
{
	static const struct {
		uint32_t dbgmcu, idcode;
		const char *name;
		unsigned flash_kb_max;
	} gd32_cases[] = {
		{0xE0042000, 0x13030410, "GD32F1x0 (or GD32F10x)",   64},
		{0xE0042000, 0x17040410, "GD32F3x0",                128},
		{0x40015800, 0x19090410, "GD32E23x",                 64},
		{0xE0042000, 0x15080418, "GD32F20x",               3072},
		{0xE0042000, 0x10010418, "STM32F105/107 connectivity line", 256},
		{0xE0042000, 0x20030410, "STM32F10x medium density", 128},
		{0xE0042000, 0x00000410, "STM32F10x medium density", 128},
	};
	const struct target_driver *drv = NULL;

	for (size_t i = 0; i < sizeof(gd32_cases) / sizeof(gd32_cases[0]); i++) {
		const struct target_part *p = target_find_part_rev(gd32_cases[i].dbgmcu, gd32_cases[i].idcode, &drv);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(drv->name, "stm32f1");
		CHECK_STR(p->name, gd32_cases[i].name);
		CHECK_EQ_U(p->flash_kb_max, gd32_cases[i].flash_kb_max);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFFF7E0);
	}
	/* A GD32E23x id with another revision is not guessed. */
	CHECK(target_find_part_rev(0x40015800, 0x10000410, &drv) == NULL);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		/* F1-style: power lost during the option page erase, then during the
		 * mass erase that the RDP half-word forces before it is written. */
		{"sim:stm32f103c8-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "option erase: ", 0xFF, "opterr"},
		{"sim:stm32f103c8-rdp1" FAST, 2, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, "opterr"},
		{"sim:stm32f072rb-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "option erase: ", 0xFF, NULL},
		{"sim:stm32f072rb-rdp1" FAST, 2, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, NULL},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32f103c8-rdp1?time_scale=10", 2},     /* F1: RDP half-word's erase */
		{"sim:stm32f072rb-rdp1?time_scale=10", 2},     /* F0 */
		{"sim:gd32f130c8-rdp1?time_scale=10", 2},      /* GD32F1x0 */
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

/* The GigaDevice rows name no UID address (docs/uid.md: none from a vendor
 * source, and the 0x1303 row may be a GD32F1x0 or a GD32F10x): their chips
 * report no UID; ST's F0/F1/F3 do. */
TEST(gd32_parts_report_no_uid)
{
	static const struct {
		const char *profile;
		bool has_uid;
	} uid_cases[] = {
		{"sim:gd32f130c8-rdp0" FAST, false},
		{"sim:gd32e230c8-rdp0" FAST, false},
		{"sim:gd32f205rc-rdp0" FAST, false},
		{"sim:stm32f103c8-rdp0" FAST, true},
		{"sim:stm32f072rb-rdp0" FAST, true},
	};

	for (size_t i = 0; i < sizeof(uid_cases) / sizeof(uid_cases[0]); i++) {
		struct probe_link *pl = stack_open(uid_cases[i].profile);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(t.has_uid, uid_cases[i].has_uid);
		probe_link_close(pl);
	}
}

int main(void)
{
	RUN(part_table);
	RUN(gd32_by_rev_id);
	RUN(gd32_parts_report_no_uid);
	RUN(identify_and_read_level1);
	RUN(read_level0);
	RUN(unlock_level1);
	RUN(lock_then_unlock);
	RUN(level2_never_answers_and_is_never_written);
	RUN(pending_level2_is_refused_before_any_write);
	RUN(gd32f20x_spc_0xcc_is_level1);
	RUN(unlock_waits_for_a_real_speed_erase);
	RUN(model_keys_latch_and_obl_launch);
	RUN(gd32e23x_cortex_m23_debug);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
