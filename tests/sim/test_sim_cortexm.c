/*
 * The simulated Cortex-M core's debug and reset behaviour and its ROM table,
 * per core type, against the manuals (docs/sim-cortexm.md lists the
 * sources). Only the simulator's public test hooks are used: peeks and
 * pokes of the PPB and sim_probe_system_reset().
 */
#include "test_sim_util.h"

#define DHCSR 0xE000EDF0u
#define DCRSR 0xE000EDF4u
#define DCRDR 0xE000EDF8u
#define DEMCR 0xE000EDFCu
#define DFSR 0xE000ED30u
#define AIRCR 0xE000ED0Cu
#define ROM 0xE00FF000u

#define DBGKEY 0xA05F0000u
#define C_DEBUGEN (1u << 0)
#define C_HALT (1u << 1)
#define S_HALT (1u << 17)
#define S_RESET_ST (1u << 25)
#define VC_CORERESET (1u << 0)
#define DFSR_VCATCH (1u << 3)
#define SYSRESETREQ 0x05FA0004u

/* One rdp0 profile per core type the simulator has. */
static const char *const core_profiles[] = {
	"stm32f030r8-rdp0", /* Cortex-M0 */
	"stm32g071rb-rdp0", /* Cortex-M0+ */
	"stm32f103c8-rdp0", /* Cortex-M3 */
	"stm32f401re-rdp0", /* Cortex-M4 */
	"stm32f746zg-rdp0", /* Cortex-M7 */
	"gd32e230c8-rdp0",  /* Cortex-M23 */
	"stm32l552ze-rdp0", /* Cortex-M33 */
};

static uint32_t peek(struct sim_probe *sp, uint32_t addr)
{
	uint32_t v = 0xDEADBEEFu;

	CHECK_EQ_I(sim_probe_peek32(sp, addr, &v), 0);
	return v;
}

static void poke(struct sim_probe *sp, uint32_t addr, uint32_t v)
{
	CHECK_EQ_I(sim_probe_poke32(sp, addr, v), 0);
}

/* The PC, through DCRSR/DCRDR (REGSEL 15), of a halted core. */
static uint32_t halted_pc(struct sim_probe *sp)
{
	poke(sp, DCRSR, 15);
	return peek(sp, DCRDR);
}

/* Cortex-M3 TRM (DDI 0337G) Table 10-2: C_HALT "clears on core reset";
 * Cortex-M4 (TI SLAU356 §2.4.7.1, from Arm's Cortex-M4 documentation):
 * "the C_HALT bit always clears on a system reset. To halt on a reset,
 * [...] VC_CORERESET [...] and C_DEBUGEN". So a halted core that gets
 * SYSRESETREQ without the vector catch runs; S_RESET_ST says it was reset
 * (sticky, clear on read). */
TEST(halt_then_plain_reset_runs)
{
	for (size_t i = 0; i < sizeof(core_profiles) / sizeof(core_profiles[0]); i++) {
		struct sim_probe *sp = ts_open(core_profiles[i], 0.001);
		uint32_t d;

		fprintf(stderr, "  %s\n", core_profiles[i]);
		poke(sp, DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
		CHECK(peek(sp, DHCSR) & S_HALT);
		poke(sp, DEMCR, 0);
		poke(sp, AIRCR, SYSRESETREQ);
		d = peek(sp, DHCSR);
		CHECK_EQ_U(d & (S_HALT | C_HALT), 0);
		CHECK(d & S_RESET_ST);
		CHECK(d & C_DEBUGEN); /* the debug domain survives a system reset */
		CHECK_EQ_U(peek(sp, DHCSR) & S_RESET_ST, 0);
		sim_probe_destroy(sp);
	}
}

/* With C_DEBUGEN and DEMCR.VC_CORERESET the core halts on the reset vector
 * (ARMv7-M ARM C1.6.5 DEMCR, C1.6.1 DFSR.VCATCH), whatever C_HALT was. */
TEST(reset_with_vector_catch_halts_at_reset_vector)
{
	for (size_t i = 0; i < sizeof(core_profiles) / sizeof(core_profiles[0]); i++) {
		struct sim_probe *sp = ts_open(core_profiles[i], 0.001);
		uint32_t d, reset_pc = peek(sp, 0x08000004u) & ~1u;

		fprintf(stderr, "  %s\n", core_profiles[i]);
		poke(sp, DHCSR, DBGKEY | C_DEBUGEN);
		poke(sp, DEMCR, VC_CORERESET);
		poke(sp, DFSR, 0x1F);
		poke(sp, AIRCR, SYSRESETREQ);
		d = peek(sp, DHCSR);
		CHECK(d & S_HALT);
		CHECK(d & C_HALT);
		CHECK(d & S_RESET_ST);
		CHECK(peek(sp, DFSR) & DFSR_VCATCH);
		CHECK_EQ_U(halted_pc(sp), reset_pc);
		/* The vector catch off again: the next reset runs. */
		poke(sp, DEMCR, 0);
		poke(sp, AIRCR, SYSRESETREQ);
		CHECK_EQ_U(peek(sp, DHCSR) & S_HALT, 0);
		sim_probe_destroy(sp);
	}
}

/* A reset from outside (NRST, a watchdog: sim_probe_system_reset) follows
 * the same rule, and without C_DEBUGEN the vector catch does nothing. */
TEST(external_reset_follows_the_same_rule)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 0.001);

	poke(sp, DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
	sim_probe_system_reset(sp);
	CHECK_EQ_U(peek(sp, DHCSR) & S_HALT, 0);
	poke(sp, DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
	poke(sp, DEMCR, VC_CORERESET);
	sim_probe_system_reset(sp);
	CHECK(peek(sp, DHCSR) & S_HALT);
	poke(sp, DHCSR, DBGKEY); /* C_DEBUGEN = 0: leaves Debug state */
	sim_probe_system_reset(sp);
	CHECK_EQ_U(peek(sp, DHCSR) & S_HALT, 0);
	sim_probe_destroy(sp);
}

/* One component the ROM table should list. DEVARCH 0: none (ARMv6-M and
 * ARMv7-M components before CoreSight DEVARCH; reads as zero). */
struct rom_want {
	uint32_t base;
	uint16_t part;
	uint8_t cid_class, devtype;
	uint32_t devarch;
};

#define ARM_V8M_DEVARCH(rev, archid) (0x47600000u | (1u << 20) | ((uint32_t)(rev) << 16) | (archid))

/* Per core: the Cortex-M0/M0+ TRMs (DDI 0432C, DDI 0484C) ROM tables (SCS
 * 0x008, DWT 0x00A, BPU 0x00B); Cortex-M3 TRM (DDI 0337G) §10 (SCS 0x000,
 * TPIU-M3 0x923, ETM-M3 0x924); Cortex-M4 TRM (DDI 0439B) ch. 11 (SCS
 * 0x00C, TPIU 0x9A1 DEVTYPE 0x11, ETM-M4 0x925 DEVTYPE 0x13); Cortex-M7
 * TRM (DDI 0489) (FPBv2 0x00E, TPIU-M7 0x9A9, ETMv4 0x975); Cortex-M23
 * TRM (DDI 0550C) §7.1 and Cortex-M33 TRM (100230) (every component part
 * 0xD20 / 0xD21, told apart by DEVARCH / DEVTYPE). pyOCD's component map
 * (coresight/component_ids.py) names each of these keys. */
static const struct {
	const char *profile;
	unsigned n;
	struct rom_want c[6];
} rom_cases[] = {
	{"stm32f030r8-rdp0", 3, {
		{0xE000E000u, 0x008, 0xE, 0x00, 0}, {0xE0001000u, 0x00A, 0xE, 0x00, 0},
		{0xE0002000u, 0x00B, 0xE, 0x00, 0}}},
	{"stm32g071rb-rdp0", 3, {
		{0xE000E000u, 0x008, 0xE, 0x00, 0}, {0xE0001000u, 0x00A, 0xE, 0x00, 0},
		{0xE0002000u, 0x00B, 0xE, 0x00, 0}}},
	{"stm32f103c8-rdp0", 6, {
		{0xE000E000u, 0x000, 0xE, 0x00, 0}, {0xE0001000u, 0x002, 0xE, 0x00, 0},
		{0xE0002000u, 0x003, 0xE, 0x00, 0}, {0xE0000000u, 0x001, 0xE, 0x00, 0},
		{0xE0040000u, 0x923, 0x9, 0x11, 0}, {0xE0041000u, 0x924, 0x9, 0x13, 0}}},
	{"stm32f401re-rdp0", 6, {
		{0xE000E000u, 0x00C, 0xE, 0x00, 0}, {0xE0001000u, 0x002, 0xE, 0x00, 0},
		{0xE0002000u, 0x003, 0xE, 0x00, 0}, {0xE0000000u, 0x001, 0xE, 0x00, 0},
		{0xE0040000u, 0x9A1, 0x9, 0x11, 0}, {0xE0041000u, 0x925, 0x9, 0x13, 0}}},
	{"stm32f746zg-rdp0", 6, {
		{0xE000E000u, 0x00C, 0xE, 0x00, 0}, {0xE0001000u, 0x002, 0xE, 0x00, 0},
		{0xE0002000u, 0x00E, 0xE, 0x00, 0}, {0xE0000000u, 0x001, 0xE, 0x00, 0},
		{0xE0040000u, 0x9A9, 0x9, 0x11, 0},
		{0xE0041000u, 0x975, 0x9, 0x13, ARM_V8M_DEVARCH(0, 0x4A13)}}},
	{"gd32e230c8-rdp0", 3, {
		{0xE000E000u, 0xD20, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x2A04)},
		{0xE0001000u, 0xD20, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x1A02)},
		{0xE0002000u, 0xD20, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x1A03)}}},
	{"stm32l552ze-rdp0", 6, {
		{0xE000E000u, 0xD21, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x2A04)},
		{0xE0001000u, 0xD21, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x1A02)},
		{0xE0002000u, 0xD21, 0x9, 0x00, ARM_V8M_DEVARCH(0, 0x1A03)},
		{0xE0000000u, 0xD21, 0x9, 0x43, ARM_V8M_DEVARCH(0, 0x1A01)},
		{0xE0040000u, 0xD21, 0x9, 0x11, 0},
		{0xE0041000u, 0xD21, 0x9, 0x13, ARM_V8M_DEVARCH(2, 0x4A13)}}},
};

/* Walk the ROM table as pyOCD and OpenOCD do (ADIv5.2 D3.4: 32-bit entries,
 * bit 0 present, signed offset in [31:12], a zero word ends the table) and
 * check each component's identification registers (ADIv5.2 D1.2: PIDR0-4,
 * CIDR0-3 preamble 0xB105_000D with the class in CIDR1[7:4], DEVTYPE at
 * 0xFCC, DEVARCH at 0xFBC). */
TEST(rom_table_components_per_core)
{
	for (size_t i = 0; i < sizeof(rom_cases) / sizeof(rom_cases[0]); i++) {
		struct sim_probe *sp = ts_open(rom_cases[i].profile, 0.001);
		unsigned n = 0;

		fprintf(stderr, "  %s\n", rom_cases[i].profile);
		for (uint32_t off = 0; off < 0xF00; off += 4) {
			uint32_t e = peek(sp, ROM + off), base, cidr, pidr;
			const struct rom_want *w;

			if (e == 0)
				break;
			CHECK_EQ_U(e & 3, 3);
			if (n >= rom_cases[i].n) {
				n++;
				continue;
			}
			w = &rom_cases[i].c[n++];
			base = ROM + (e & 0xFFFFF000u);
			CHECK_EQ_U(base, w->base);
			cidr = (peek(sp, base + 0xFF0) & 0xFF) | (peek(sp, base + 0xFF4) & 0xFF) << 8 |
			       (peek(sp, base + 0xFF8) & 0xFF) << 16 | (peek(sp, base + 0xFFC) & 0xFF) << 24;
			CHECK_EQ_U(cidr & 0xFFFF0FFFu, 0xB105000Du);
			CHECK_EQ_U((cidr >> 12) & 0xF, w->cid_class);
			pidr = (peek(sp, base + 0xFE0) & 0xFF) | (peek(sp, base + 0xFE4) & 0xFF) << 8 |
			       (peek(sp, base + 0xFE8) & 0xFF) << 16;
			CHECK_EQ_U(pidr & 0xFFF, w->part);
			CHECK_EQ_U((pidr >> 12) & 0x7F, 0x3B);      /* JEP106 identity: Arm */
			CHECK_EQ_U(pidr & (1u << 19), 1u << 19);      /* JEDEC code used */
			CHECK_EQ_U(peek(sp, base + 0xFD0) & 0xF, 4);  /* continuation: Arm */
			CHECK_EQ_U(peek(sp, base + 0xFCC), w->devtype);
			CHECK_EQ_U(peek(sp, base + 0xFBC), w->devarch);
		}
		CHECK_EQ_U(n, rom_cases[i].n);
		/* The table itself: CoreSight class 1, MEMTYPE.SYSMEM. */
		CHECK_EQ_U((peek(sp, ROM + 0xFF4) >> 4) & 0xF, 0x1);
		CHECK_EQ_U(peek(sp, ROM + 0xFCC) & 1, 1);
		sim_probe_destroy(sp);
	}
}

int main(void)
{
	RUN(halt_then_plain_reset_runs);
	RUN(reset_with_vector_catch_halts_at_reset_vector);
	RUN(external_reset_follows_the_same_rule);
	RUN(rom_table_components_per_core);
	return check_summary();
}
