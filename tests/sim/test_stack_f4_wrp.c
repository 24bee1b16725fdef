/*
 * The F2/F4/F7 driver's reading of FLASH_OPTCR's write-protection bits, per
 * part, against the simulated chips: how many nWRP bits the part has
 * (FLASH_OPTCR_nWRP_Msk: 8 on F74x, 12 on F76x, 15 on F413) and what bit 31
 * means (SPRMOD where the part has PCROP, IWDG_STOP on F7). The options are
 * programmed through the AP as firmware would, then read by the stack.
 * Sources: docs/targets/stm32f4.md.
 */
#include <time.h>

#include "check.h"
#include "stack_util.h"

#define FAST "?time_scale=0.001"

#define FLASH_OPTKEYR 0x40023C08u
#define FLASH_SR 0x40023C0Cu
#define FLASH_OPTCR 0x40023C14u

/* Program OPTCR = VALUE (OPTLOCK and OPTSTRT excluded) the way RM0090
 * §3.6.2 says, wait for BSY and reset so that the chip loads it. */
static void program_optcr(struct probe_link *pl, uint32_t value)
{
	uint32_t sr = 0x10000;

	mem_write32(&pl->a, FLASH_OPTKEYR, 0x08192A3Bu);
	mem_write32(&pl->a, FLASH_OPTKEYR, 0x4C5D6E7Fu);
	mem_write32(&pl->a, FLASH_OPTCR, value & ~3u);
	mem_write32(&pl->a, FLASH_OPTCR, (value & ~3u) | 2u);
	CHECK_EQ_I(adiv5_run(&pl->a), 0);
	for (int i = 0; i < 2000 && (sr & 0x10000); i++) {
		CHECK_EQ_I(mem_read32_now(&pl->a, FLASH_SR, &sr), 0);
		nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
	}
	CHECK_EQ_U(sr & 0x10000, 0);
	CHECK_EQ_I(cortexm_reset_halt(&pl->a), 0);
}

/* Table-driven: the OPTCR each case programs (level 0 kept: RDP 0xAA) and
 * the sector groups the driver must then report write-protected. */
TEST(nwrp_width_and_bit31_per_part)
{
	static const struct {
		const char *part;
		uint32_t optcr;       /* 0: the part's reset value, untouched */
		uint64_t sectors;     /* wrp_sectors expected */
		uint32_t raw;         /* wrp_raw expected */
	} t[] = {
		/* F746: OPTCR 0xC0FFAAFD at reset, IWDG_STOP = IWDG_STDBY = 1
		 * (stm32f746xx.h:7361-7365): nothing is protected. */
		{"stm32f746zg", 0,           0,          0xFF},
		/* F746 with nWRP0 cleared: sector 0 protected, bit 31 still 1. */
		{"stm32f746zg", 0xC0FEAAFCu, 1,          0xFE},
		/* F767: 12 nWRP bits (stm32f767xx.h:7893); nWRP11 cleared. */
		{"stm32f767zi", 0,           0,          0xFFF},
		{"stm32f767zi", 0xF7FFAAFCu, 1u << 11,   0x7FF},
		/* F413: 15 nWRP bits [30:16] (stm32f413xx.h:6951); nWRP14
		 * (sectors 14 and 15) cleared, SPRMOD 0. */
		{"stm32f413zh", 0,           0,          0x7FFF},
		{"stm32f413zh", 0x3FFFAAECu, 1u << 14,   0x3FFF},
		/* F413 in PCROP mode (SPRMOD = 1): the set bits select sectors. */
		{"stm32f413zh", 0x80030000u | 0xAAECu, 3, 0x0003},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char uri[96];
		struct probe_link *pl;
		struct target tg;
		struct target_protection p;

		snprintf(uri, sizeof(uri), "sim:%s-rdp0" FAST, t[i].part);
		pl = stack_open(uri);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		check_current_name = t[i].part;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &tg, &p), 0);
		if (t[i].optcr) {
			program_optcr(pl, t[i].optcr);
			CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &tg, &p), 0);
			CHECK_EQ_U(stack_option(&p, "optcr") & ~1u, t[i].optcr & ~3u);
		}
		CHECK_EQ_I(p.level, RDP_LEVEL_0);
		CHECK_EQ_U(p.wrp_raw, t[i].raw);
		CHECK_EQ_U(p.wrp_sectors, t[i].sectors);
		probe_link_close(pl);
	}
}

/* The new rows are what the driver says they are. */
TEST(identify_f767_and_f413)
{
	static const struct {
		const char *part, *name;
		uint16_t dev_id;
		unsigned kb;
		enum cortexm_core core;
	} t[] = {
		{"stm32f767zi", "STM32F76x/77x", 0x451, 2048, CORTEXM_M7},
		{"stm32f413zh", "STM32F413/423", 0x463, 1536, CORTEXM_M4},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char uri[96];
		struct probe_link *pl;
		struct target tg;
		struct target_protection p;

		snprintf(uri, sizeof(uri), "sim:%s-rdp1" FAST, t[i].part);
		pl = stack_open(uri);
		CHECK(pl != NULL);
		if (!pl)
			continue;
		CHECK_EQ_I(unlock_job_read_rdp(&pl->a, NULL, &tg, &p), 0);
		CHECK_STR(tg.part->name, t[i].name);
		CHECK_EQ_U(tg.idcode & 0xFFF, t[i].dev_id);
		CHECK_EQ_U(tg.flash_kb, t[i].kb);
		CHECK_EQ_I(tg.core, t[i].core);
		CHECK_EQ_I(p.level, RDP_LEVEL_1);
		CHECK_EQ_U(p.wrp_sectors, 0);
		CHECK_EQ_U(stack_counters(pl).flash_if_writes, 0);
		probe_link_close(pl);
	}
}

int main(void)
{
	RUN(nwrp_width_and_bit31_per_part);
	RUN(identify_f767_and_f413);
	return check_summary();
}
