/*
 * The whole driver stack against the simulated OPTR-style parts (L4, L4+,
 * G4, G0, C0, U0, WB, WL): identify, read the level, unlock with the power
 * cycle the result asks for, lock, and level 2 untouched. Assertions look
 * at the model (option bytes, flash, SRAM2, backup registers, counters).
 */
#include "check.h"
#include "part_cases.h"
#include "stack_util.h"
#include "interrupt_cases.h"

#define FAST "?time_scale=0.001"

static const struct l4_case {
	const char *part;
	const char *name;
	uint16_t dev_id;
	unsigned flash_kb;
	enum cortexm_core core;
	uint32_t optr;      /* FLASH_OPTR address */
	uint32_t optr_user; /* the profile's OPTR without the RDP byte */
	uint32_t sram2;     /* an address erased by the regression, or 0 */
	uint32_t bkp0;      /* first backup register, or 0 */
} l4_cases[] = {
	{"stm32l476rg", "STM32L47x/48x", 0x415, 1024, CORTEXM_M4, 0x40022020, 0xFFEFF800, 0x10000000, 0x40002850},
	{"stm32l4r5zi", "STM32L4Rx/4Sx", 0x470, 2048, CORTEXM_M4, 0x40022020, 0xFFEFF800, 0x10000000, 0x40002850},
	{"stm32g474re", "STM32G47x/48x", 0x469, 512, CORTEXM_M4, 0x40022020, 0xFFEFF800, 0x10000000, 0x40002500},
	{"stm32g071rb", "STM32G07x/08x", 0x460, 128, CORTEXM_M0PLUS, 0x40022020, 0xFFFFFE00, 0, 0x4000B100},
	{"stm32c031c6", "STM32C031", 0x453, 32, CORTEXM_M0PLUS, 0x40022020, 0xFFFFFE00, 0, 0},
	{"stm32u083rc", "STM32U073/083", 0x489, 256, CORTEXM_M0PLUS, 0x40022020, 0xFFFFFE00, 0, 0x4000B100},
	{"stm32wb55rg", "STM32WB5x/WB35", 0x495, 1024, CORTEXM_M4, 0x58004020, 0x3FFFF100, 0x20030000, 0x40002850},
	{"stm32wb15cc", "STM32WB1x", 0x494, 320, CORTEXM_M4, 0x58004020, 0x3FFFF100, 0x20030000, 0x40002850},
	{"stm32wle5jc", "STM32WLE/WL5x", 0x497, 256, CORTEXM_M4, 0x58004020, 0x3FFFF000, 0x20008000, 0x4000B100},
};

#define N_CASES (sizeof(l4_cases) / sizeof(l4_cases[0]))

static struct probe_link *open_profile(const struct l4_case *c, const char *level)
{
	char uri[96];

	snprintf(uri, sizeof(uri), "sim:%s-rdp%s" FAST, c->part, level);
	return stack_open(uri);
}

/* Both ends of the flash read through the stack: 0 and all erased, or the
 * error of the read. */
static int read_flash_ends(struct probe_link *pl, const struct target *t, bool *erased)
{
	static uint32_t head[64], tail[64];
	uint32_t end = t->flash_base + t->flash_kb * 1024u;
	int rc;

	mem_read_block(&pl->a, t->flash_base, head, 64);
	mem_read_block(&pl->a, end - sizeof(tail), tail, 64);
	rc = adiv5_run(&pl->a);
	*erased = true;
	for (unsigned i = 0; i < 64; i++)
		if (head[i] != 0xFFFFFFFFu || tail[i] != 0xFFFFFFFFu)
			*erased = false;
	return rc;
}

TEST(identify_and_read_level1)
{
	for (size_t i = 0; i < N_CASES; i++) {
		const struct l4_case *c = &l4_cases[i];
		struct probe_link *pl = open_profile(c, "1");
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_STR(t.drv->name, "stm32l4");
		CHECK_STR(t.part->name, c->name);
		CHECK_EQ_U(t.idcode & 0xFFF, c->dev_id);
		CHECK_EQ_U(t.flash_kb, c->flash_kb);
		CHECK_EQ_I(t.core, c->core);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		CHECK(p.n_options >= 3);
		CHECK_STR(p.options[0].name, "optr");
		CHECK_EQ_U(p.options[0].value, c->optr_user | 0xBB);
		/* PCROP_RDP is reported where the part has PCROP (not U0). */
		if (c->dev_id != 0x489) {
			CHECK_STR(p.options[2].name, "pcrop_rdp");
			CHECK_EQ_U(p.options[2].value, 1);
		}
		CHECK_EQ_U(p.wrp_sectors, 0);
		/* FLASH_SR is read on WB only: WLE5 has none (stm32wle5xx.h). */
		CHECK_EQ_I(stack_has_option(&p, "sfr", NULL), (c->dev_id == 0x495 || c->dev_id == 0x494));
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		probe_link_close(pl);
	}
}

TEST(unlock_level1_then_power_cycle)
{
	for (size_t i = 0; i < N_CASES; i++) {
		const struct l4_case *c = &l4_cases[i];
		struct probe_link *pl = open_profile(c, "1");
		struct target t;
		struct target_protection p;
		struct job_result res;
		bool erased = false;
		int rc;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF); /* the profile holds a program */
		if (c->sram2)
			CHECK(stack_peek(pl, c->sram2) != 0);
		rc = unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res);
		CHECK_EQ_I(rc, 0);
		if (rc < 0)
			fprintf(stderr, "  %s: %s\n", c->part, err_detail());
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_1);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
		CHECK(res.flash_erased);
		/* The regression was made with the debugger attached: the model
		 * keeps flash closed until a power-on reset, the job says so. */
		CHECK(res.power_cycle_required);
		CHECK(!res.flash_verified_blank);
		CHECK(stack_counters(pl).resets >= 1); /* OBL_LAUNCH */
		CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
		/* Only flags FLASH_SR clears were written: U0 has no RDERR. */
		CHECK_EQ_U(stack_counters(pl).reserved_writes, 0);
		CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
		CHECK_EQ_U(stack_peek(pl, 0x08000000 + c->flash_kb * 1024 - 4), 0xFFFFFFFF);
		if (c->sram2)
			CHECK_EQ_U(stack_peek(pl, c->sram2), 0);
		if (c->bkp0)
			CHECK_EQ_U(stack_peek(pl, c->bkp0), 0);
		/* Only the RDP byte changed: every user bit was written back. */
		CHECK_EQ_U(stack_peek(pl, c->optr), c->optr_user | 0xAA);
		if (res.power_cycle_required)
			sim_probe_power_cycle(stack_model(pl));
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.rdp_raw, 0xAA);
		CHECK_EQ_I(read_flash_ends(pl, &t, &erased), 0);
		CHECK(erased);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 0);
		probe_link_close(pl);
	}
}

TEST(lock_level0_and_read_back)
{
	for (size_t i = 0; i < N_CASES; i++) {
		const struct l4_case *c = &l4_cases[i];
		struct probe_link *pl = open_profile(c, "0");
		struct target t;
		struct target_protection p;
		struct job_result res;
		bool erased = true;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
		CHECK_EQ_I(res.rdp_before, RDP_LEVEL_0);
		CHECK_EQ_I(res.rdp_after, RDP_LEVEL_1);
		CHECK(!res.flash_erased);
		CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
		CHECK(stack_peek(pl, 0x08000000) != 0xFFFFFFFF); /* raising erases nothing */
		CHECK_EQ_U(stack_peek(pl, c->optr), c->optr_user | 0xBB);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.rdp_raw, 0xBB);
		/* Level 1 with the debugger attached: flash answers FAULT. */
		CHECK_EQ_I(read_flash_ends(pl, &t, &erased), -ERR_TARGET_FAULT);
		CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
		probe_link_close(pl);
	}
}

TEST(level2_refused_without_a_write)
{
	for (size_t i = 0; i < N_CASES; i++) {
		const struct l4_case *c = &l4_cases[i];
		struct probe_link *pl = open_profile(c, "2");

		CHECK(pl != NULL);
		if (!pl)
			continue;
		stack_unlock_refused_at_level2(pl);
		CHECK(strstr(err_detail(), "RDP level 2") != NULL);
		probe_link_close(pl);
	}
}

TEST(unlock_level0_writes_nothing)
{
	struct probe_link *pl = stack_open("sim:stm32g071rb-rdp0" FAST);
	struct target t;
	struct job_result res;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK_EQ_I(res.rdp_after, RDP_LEVEL_0);
	CHECK(!res.flash_erased);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	probe_link_close(pl);
}

/* U0 with an OEM1 key (RM0503 §3.5.1): the stack reports the lock and the
 * key's CRC, refuses the regression before any flash-interface write, and
 * still raises the level; the model itself refuses OPTSTRT of 0xAA. */
TEST(u0_oem1_key_refused_without_a_write)
{
	struct probe_link *pl = stack_open("sim:stm32u083rc-oem1-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t sr = 0, optr = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "STM32U073/083");
	CHECK_EQ_U(stack_option(&p, "oem_locks"), 1);
	CHECK_EQ_U(stack_option(&p, "oemkeysr"), 0x5A);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), -ERR_NOT_SUPPORTED);
	CHECK(strstr(err_detail(), "OEM1 key set") != NULL);
	CHECK(strstr(err_detail(), "does not support") != NULL);
	CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	/* The test itself (not rdpd) tries the regression: refused, no erase. */
	mem_write32(&pl->a, 0x40022008, 0x45670123);
	mem_write32(&pl->a, 0x40022008, 0xCDEF89AB);
	mem_write32(&pl->a, 0x4002200C, 0x08192A3B);
	mem_write32(&pl->a, 0x4002200C, 0x4C5D6E7F);
	mem_write32(&pl->a, 0x40022020, 0xFFFFFEAA);
	mem_write32(&pl->a, 0x40022014, 1u << 17);
	mem_read32(&pl->a, 0x40022010, &sr);
	mem_read32(&pl->a, 0x40022020, &optr);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	CHECK_EQ_U(sr & (1u << 4), 1u << 4);  /* WRPERR */
	CHECK_EQ_U(sr & (1u << 20), 1u << 20); /* OEM1LOCK */
	CHECK_EQ_U(optr & 0xFF, 0xBB);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 0);
	probe_link_close(pl);

	/* Without the key nothing changes for the plain part... */
	pl = stack_open("sim:stm32u083rc-rdp1" FAST);
	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_U(stack_option(&p, "oem_locks"), 0);
	CHECK_EQ_U(stack_option(&p, "oemkeysr"), 0);
	probe_link_close(pl);

	/* ...and raising the level is not what the key guards. */
	pl = stack_open("sim:stm32u083rc-oem1-rdp0" FAST);
	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_LOCK, NULL, NULL, &t, &res), 0);
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(sim_probe_rdp_level(stack_model(pl)), 1);
	probe_link_close(pl);
}

/* WB with FUS and a wireless stack (SFR.SFSA = 0xC0): the flash from
 * 0x080C0000 up is CPU2's. The debugger cannot read it at any level, the
 * regression erases only below it, and the driver's end of flash for the
 * unlock job's read-back is SFSA * 4 KB, not the end of the array. */
TEST(wb_cpu2_secure_area)
{
	struct probe_link *pl = stack_open("sim:stm32wb55rg-fus-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t end = 0, v = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "STM32WB5x/WB35");
	CHECK_EQ_U(stack_option(&p, "sfr") & 0x1FF, 0xC0);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x080C0000);
	CHECK(stack_peek(pl, 0x080BFFFC) != 0xFFFFFFFF);
	CHECK(stack_peek(pl, 0x080C0000) != 0xFFFFFFFF);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(res.flash_erased);
	CHECK_EQ_U(stack_counters(pl).mass_erases, 1);
	CHECK_EQ_U(stack_peek(pl, 0x08000000), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, 0x080BFFFC), 0xFFFFFFFF);
	CHECK(stack_peek(pl, 0x080C0000) != 0xFFFFFFFF); /* CPU2's area kept */
	CHECK(stack_peek(pl, 0x080FFFFC) != 0xFFFFFFFF);
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	/* Level 0: user flash reads up to SFSA, CPU2's area still faults. */
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, end - 4, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFF);
	CHECK_EQ_I(mem_read32_now(&pl->a, end, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	probe_link_close(pl);

	/* Parts without a CPU2 area: the whole array. */
	pl = stack_open("sim:stm32l476rg-rdp0" FAST);
	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08100000);
	probe_link_close(pl);
}

/* WB1x (0x494) counts SFSA in pages of 2 KB (FLASH_PAGE_SIZE of
 * stm32wbxx_hal_flash.h for WB10/WB15/WB1M): SFSA = 0x70 puts CPU2's area
 * at 0x08038000. Counted in 4 KB pages it would lie past the end of the
 * 320 KB, and the unlock's read-back of the end of flash would run into
 * CPU2's area. */
TEST(wb1x_cpu2_area_in_2k_pages)
{
	struct probe_link *pl = stack_open("sim:stm32wb15cc-fus-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t end = 0, v = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "STM32WB1x");
	CHECK_EQ_U(stack_option(&p, "sfr") & 0x1FF, 0x70);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08038000);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(res.flash_erased);
	CHECK_EQ_U(stack_peek(pl, 0x08037FFC), 0xFFFFFFFF);
	CHECK(stack_peek(pl, 0x08038000) != 0xFFFFFFFF); /* CPU2's area kept */
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_I(mem_read32_now(&pl->a, end - 4, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFF);
	CHECK_EQ_I(mem_read32_now(&pl->a, end, &v), -ERR_TARGET_FAULT);
	dp_clear_sticky(&pl->a);
	probe_link_close(pl);
}

/* A G47x with 256 KB in dual-bank mode keeps bank 2 at 0x08040000, where
 * the 512 KB parts have it (OpenOCD stm32l4x.c "dual bank WITH gap"): the
 * end of flash the unlock reads back is 0x08060000, not 0x08040000, which
 * is the hole after bank 1. */
TEST(g47x_trimmed_dual_bank_keeps_bank2_at_256k)
{
	struct probe_link *pl = stack_open("sim:stm32g473cc-rdp1" FAST);
	struct target t;
	struct target_protection p;
	struct job_result res;
	uint32_t end = 0, v = 0;

	CHECK(pl != NULL);
	if (!pl)
		return;
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_STR(t.part->name, "STM32G47x/48x");
	CHECK_EQ_U(t.flash_kb, 256);
	CHECK_EQ_I(t.drv->flash_end(&t, &end), 0);
	CHECK_EQ_U(end, 0x08060000);
	CHECK(stack_peek(pl, 0x0805FFFC) != 0xFFFFFFFF);
	CHECK_EQ_I(unlock_job_run(&pl->a, JOB_KIND_UNLOCK, NULL, NULL, &t, &res), 0);
	CHECK(res.flash_erased);
	CHECK_EQ_U(stack_peek(pl, 0x0801FFFC), 0xFFFFFFFF);
	CHECK_EQ_U(stack_peek(pl, 0x0805FFFC), 0xFFFFFFFF);
	if (res.power_cycle_required)
		sim_probe_power_cycle(stack_model(pl));
	CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
	CHECK_EQ_I(p.level, RDP_LEVEL_0);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x0805FFFC, &v), 0);
	CHECK_EQ_U(v, 0xFFFFFFFF);
	CHECK_EQ_I(mem_read32_now(&pl->a, 0x0803FFFC, &v), -ERR_TARGET_FAULT); /* the hole */
	dp_clear_sticky(&pl->a);
	probe_link_close(pl);
}

/* Program option register REG (at BASE + offset) to VALUE and load it:
 * the keys, the value, OPTSTRT, then OBL_LAUNCH, whose reset cuts its own
 * answer short. What a user's tool would do; rdpd never writes WRP. */
static void program_option(struct probe_link *pl, uint32_t base, uint32_t reg, uint32_t value)
{
	uint32_t sr = 0;

	mem_write32(&pl->a, base + 0x08, 0x45670123);
	mem_write32(&pl->a, base + 0x08, 0xCDEF89AB);
	mem_write32(&pl->a, base + 0x0C, 0x08192A3B);
	mem_write32(&pl->a, base + 0x0C, 0x4C5D6E7F);
	mem_write32(&pl->a, base + reg, value);
	mem_write32(&pl->a, base + 0x14, 1u << 17);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ_I(mem_read32_now(&pl->a, base + 0x10, &sr), 0);
		if (!(sr & (1u << 16)))
			break;
	}
	mem_write32(&pl->a, base + 0x14, 1u << 27);
	(void)adiv5_run(&pl->a);
	adiv5_invalidate(&pl->a);
}

/* A WRP area read with the page-field width of the part's header and its
 * page size: bits above the field (which the model reads as 1, the erased
 * option byte) are no page, and the L4+ in its dual-bank mode has 4 KB
 * pages (stm32l4xx_hal_flash.h FLASH_PAGE_SIZE). WRP_SECTORS are 64 groups
 * over the whole flash. */
TEST(wrp_fields_as_wide_as_the_headers)
{
	static const struct {
		const char *uri;
		uint32_t base, reg, value;
		uint64_t sectors;
	} cases[] = {
		/* G47x: 7-bit fields (stm32g474xx.h); 256 pages of 2 KB, 4 a group */
		{"sim:stm32g474re-rdp0" FAST, 0x40022000, 0x2C, 0x00170010, 0x30},
		/* G07x: 6-bit fields (stm32g071xx.h); 64 pages */
		{"sim:stm32g071rb-rdp0" FAST, 0x40022000, 0x2C, 0x000F0008, 0xFF00},
		/* C031: 4-bit fields (stm32c031xx.h); 16 pages */
		{"sim:stm32c031c6-rdp0" FAST, 0x40022000, 0x2C, 0x00050002, 0x3C},
		/* U0: 16-bit fields (stm32u083xx.h): pages 0x80.. are past the 128 */
		{"sim:stm32u083rc-rdp0" FAST, 0x40022000, 0x2C, 0x00FF0080, 0},
		/* L4R5, dual bank (DBANK = 1): 512 pages of 4 KB, 8 a group */
		{"sim:stm32l4r5zi-rdp0" FAST, 0x40022000, 0x2C, 0x00070000, 0x1},
		/* WLE5: 7-bit fields (stm32wle5xx.h); 128 pages, 2 a group */
		{"sim:stm32wle5jc-rdp0" FAST, 0x58004000, 0x2C, 0x00170010, 0xF00},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_link *pl = stack_open(cases[i].uri);
		struct target t;
		struct target_protection p;

		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		program_option(pl, cases[i].base, cases[i].reg, cases[i].value);
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &t, &p), 0);
		if (p.wrp_sectors != cases[i].sectors)
			fprintf(stderr, "  %s: WRP1AR 0x%08x -> sectors 0x%llx\n", cases[i].uri,
				stack_option(&p, "wrp1ar"), (unsigned long long)p.wrp_sectors);
		CHECK_EQ_U(p.wrp_sectors, cases[i].sectors);
		probe_link_close(pl);
	}
}

/* Every DEV_ID of docs/targets/stm32l4.md, "Parts": the row it finds, with
 * the name, the largest flash and the F_SIZE address of the manual. The
 * erase budget is at least 1000 ms (about 25 ms per bank; 2 s budget). */
TEST(part_table)
{
	static const struct part_case part_rows[] = {
		/* dbgmcu    dev    name             KB  F_SIZE */
		{0xE0042000, 0x415, "STM32L47x/48x",  1024, 0x1FFF75E0},
		{0xE0042000, 0x461, "STM32L49x/4Ax",  1024, 0x1FFF75E0},
		{0xE0042000, 0x435, "STM32L43x/44x",   256, 0x1FFF75E0},
		{0xE0042000, 0x462, "STM32L45x/46x",   512, 0x1FFF75E0},
		{0xE0042000, 0x464, "STM32L41x/42x",   128, 0x1FFF75E0},
		{0xE0042000, 0x470, "STM32L4Rx/4Sx",  2048, 0x1FFF75E0},
		{0xE0042000, 0x471, "STM32L4P5/4Q5",  1024, 0x1FFF75E0},
		{0xE0042000, 0x468, "STM32G43x/44x",   128, 0x1FFF75E0},
		{0xE0042000, 0x469, "STM32G47x/48x",   512, 0x1FFF75E0},
		{0xE0042000, 0x479, "STM32G49x/4Ax",   512, 0x1FFF75E0},
		{0x40015800, 0x466, "STM32G03x/04x",    64, 0x1FFF75E0},
		{0x40015800, 0x456, "STM32G05x/06x",    64, 0x1FFF75E0},
		{0x40015800, 0x460, "STM32G07x/08x",   128, 0x1FFF75E0},
		{0x40015800, 0x467, "STM32G0Bx/0Cx",   512, 0x1FFF75E0},
		{0x40015800, 0x443, "STM32C011",        32, 0x1FFF75A0},
		{0x40015800, 0x453, "STM32C031",        32, 0x1FFF75A0},
		{0x40015800, 0x44C, "STM32C051",        64, 0x1FFF75A0},
		{0x40015800, 0x493, "STM32C071",       128, 0x1FFF75A0},
		{0x40015800, 0x44D, "STM32C091/092",   256, 0x1FFF75A0},
		{0x40015800, 0x459, "STM32U031",        64, 0x1FFF3EA0},
		{0x40015800, 0x489, "STM32U073/083",   256, 0x1FFF6EA0},
		{0xE0042000, 0x495, "STM32WB5x/WB35", 1024, 0x1FFF75E0},
		{0xE0042000, 0x496, "STM32WB3x",       512, 0x1FFF75E0},
		{0xE0042000, 0x494, "STM32WB1x",       320, 0x1FFF75E0},
		{0xE0042000, 0x497, "STM32WLE/WL5x",   256, 0x1FFF75E0},
	};

	part_cases_check("stm32l4", part_rows, sizeof(part_rows) / sizeof(part_rows[0]), 1000);
}

/* Power lost in the middle of the unlock's option programming
 * (tests/sim/interrupt_cases.h): fails truthfully, reads level 1 and the
 * option error flag, recovers with one erase. */
TEST(power_loss_during_option_programming)
{
	static const struct pl_case cases_pl[] = {
		{"sim:stm32l476rg-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, "optverr"},
		{"sim:stm32g071rb-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, "optverr"},
		{"sim:stm32wb55rg-rdp1" FAST, 1, -ERR_TARGET_NOT_RESPONDING, "mass erase: ", 0xFF, "optverr"},
	};

	interrupt_power_loss(cases_pl, sizeof(cases_pl) / sizeof(cases_pl[0]));
}

/* A system reset during the unlock's mass erase (tests/sim/interrupt_cases.h):
 * erase_interrupted, still level 1 and partly erased, recovered with one
 * erase. */
TEST(reset_during_mass_erase_is_reported_and_recovered)
{
	static const struct rd_case cases_rd[] = {
		{"sim:stm32l476rg-rdp1?time_scale=10", 1},     /* L4-style: RM0444 caution */
		{"sim:stm32g071rb-rdp1?time_scale=20", 1},
		{"sim:stm32wb55rg-rdp1?time_scale=20", 1},
	};

	interrupt_reset_during_erase(cases_rd, sizeof(cases_rd) / sizeof(cases_rd[0]));
}

int main(void)
{
	RUN(part_table);
	RUN(identify_and_read_level1);
	RUN(unlock_level1_then_power_cycle);
	RUN(lock_level0_and_read_back);
	RUN(level2_refused_without_a_write);
	RUN(unlock_level0_writes_nothing);
	RUN(u0_oem1_key_refused_without_a_write);
	RUN(wb_cpu2_secure_area);
	RUN(wb1x_cpu2_area_in_2k_pages);
	RUN(g47x_trimmed_dual_bank_keeps_bank2_at_256k);
	RUN(wrp_fields_as_wide_as_the_headers);
	RUN(power_loss_during_option_programming);
	RUN(reset_during_mass_erase_is_reported_and_recovered);
	return check_summary();
}
