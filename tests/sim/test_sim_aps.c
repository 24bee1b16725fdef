/*
 * test_sim_aps.c - the simulated access ports, driven with raw CMSIS-DAP
 * bytes through sim.h only: which APSEL holds which AP on each family, what
 * a MEM-AP other than the core's reaches, and that an APSEL with no AP reads
 * IDR 0 (ADIv5.2 C2.6). Layouts: STM32H5 core on AP1 (OpenOCD stm32h5x.cfg),
 * STM32H7 AP0-AP3 (OpenOCD stm32h7x.cfg, pyOCD issue #1499), nRF52 AP0 and
 * its CTRL-AP, no MEM-AP, at AP1 (test_sim_nrf52.c), every other family AP0
 * only.
 */
#include "test_sim_util.h"

#include <errno.h>

#define SEL(apsel, bank) ((uint32_t)(apsel) << 24 | (bank))

/* One DAP_Transfer: SELECT APSEL bank 0xF, read IDR. Returns the ACK. */
static unsigned ap_idr(struct sim_probe *sp, unsigned apsel, uint32_t *idr)
{
	uint8_t q[] = { 0x05, 0x00, 0x02, 0x08, 0, 0, 0, 0, 0x0F };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 4, SEL(apsel, 0xF0));
	*idr = 0xDEADBEEFu;
	len = ts_cmd(sp, q, sizeof(q), r);
	if (len >= 7)
		*idr = ts_get32(r + 3);
	return len >= 3 ? r[2] : 0xEE;
}

/* One DAP_Transfer: SELECT APSEL bank 0, CSW 32-bit, TAR = ADDR, read DRW.
 * Returns the ACK; a bus error leaves a sticky error, cleared here. */
static unsigned ap_read32(struct sim_probe *sp, unsigned apsel, uint32_t addr, uint32_t *val)
{
	uint8_t q[] = { 0x05, 0x00, 0x04, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00, 0x23,
			0x05, 0, 0, 0, 0, 0x0F };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 4, SEL(apsel, 0x00));
	ts_put32(q + 14, addr);
	*val = 0xDEADBEEFu;
	len = ts_cmd(sp, q, sizeof(q), r);
	if (len < 3)
		return 0xEE;
	if (len >= 7)
		*val = ts_get32(r + 3);
	if (r[2] != 1)
		ts_abort(sp);
	return r[2];
}

/* The same for a write of VAL; a write's bus error shows as STICKYERR in
 * CTRL/STAT (ADIv5.2 B2.2.3, "Sticky flags"), returned here as 4 (FAULT)
 * like a read's, and cleared. */
static unsigned ap_write32(struct sim_probe *sp, unsigned apsel, uint32_t addr, uint32_t val)
{
	uint8_t q[] = { 0x05, 0x00, 0x05, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00, 0x23,
			0x05, 0, 0, 0, 0, 0x0D, 0, 0, 0, 0, 0x06 };
	uint8_t r[TS_CAP];
	int len;

	ts_put32(q + 4, SEL(apsel, 0x00));
	ts_put32(q + 14, addr);
	ts_put32(q + 19, val);
	len = ts_cmd(sp, q, sizeof(q), r);
	if (len < 7)
		return len >= 3 ? r[2] : 0xEE;
	if (ts_get32(r + 3) & (1u << 5)) {
		ts_abort(sp);
		return 4;
	}
	return r[2];
}

static struct sim_counters counters(struct sim_probe *sp)
{
	struct sim_counters c;

	sim_probe_get_counters(sp, &c);
	return c;
}

/* Table: every APSEL 0..4 of each layout, IDR as read on the wire. */
TEST(idr_per_apsel)
{
	static const struct {
		const char *profile;
		uint32_t idr[5];
	} t[] = {
		{ "stm32f401re-rdp0", { 0x24770011u, 0, 0, 0, 0 } },
		{ "stm32l552ze-rdp0", { 0x14770015u, 0, 0, 0, 0 } },
		{ "stm32h563zi-rdp0", { 0x54770002u, 0x14770015u, 0, 0, 0 } },
		{ "stm32h563zi-rdp1", { 0x54770002u, 0x14770015u, 0, 0, 0 } },
		{ "stm32h743zi-rdp0", { 0x84770001u, 0x84770001u, 0x54770002u, 0, 0 } },
		{ "stm32h747xi-rdp0", { 0x84770001u, 0x84770001u, 0x54770002u, 0x24770011u, 0 } },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = ts_open(t[i].profile, 0.001);

		CHECK_EQ_U(ts_attach(sp), 1);
		for (unsigned ap = 0; ap < 5; ap++) {
			uint32_t idr;

			CHECK_EQ_U(ap_idr(sp, ap, &idr), 1);
			if (idr != t[i].idr[ap])
				fprintf(stderr, "  %s AP%u\n", t[i].profile, ap);
			CHECK_EQ_U(idr, t[i].idr[ap]);
		}
		sim_probe_destroy(sp);
	}
}

/* H5: the core, flash and SRAM only through AP1; AP0 reaches DBGMCU alone. */
TEST(h5_core_on_ap1)
{
	struct sim_probe *sp = ts_open("stm32h563zi-rdp0", 0.001);
	struct sim_counters c0, c1;
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	c0 = counters(sp);
	CHECK_EQ_U(ap_read32(sp, 1, 0xE000ED00u, &v), 1);
	CHECK_EQ_U((v >> 4) & 0xFFF, 0xD21); /* Cortex-M33 */
	CHECK_EQ_U(ap_read32(sp, 1, 0x44024000u, &v), 1);
	CHECK_EQ_U(v & 0xFFF, 0x484);
	CHECK_EQ_U(ap_read32(sp, 1, 0x08000000u, &v), 1);
	CHECK_EQ_U(v, 0x20001000u); /* the program's initial MSP */
	c1 = counters(sp);
	CHECK_EQ_U(c1.ap_mem_accesses[1] - c0.ap_mem_accesses[1], 3);
	CHECK_EQ_U(c1.ap_mem_accesses[0] - c0.ap_mem_accesses[0], 0);

	/* AP0: DBGMCU at its debug-bus address; no core, no flash. */
	CHECK_EQ_U(ap_read32(sp, 0, 0xE0044000u, &v), 1);
	CHECK_EQ_U(v & 0xFFF, 0x484);
	CHECK_EQ_U(ap_read32(sp, 0, 0xE000ED00u, &v), 4);
	CHECK_EQ_U(ap_read32(sp, 0, 0x08000000u, &v), 4);
	c0 = counters(sp);
	CHECK_EQ_U(c0.ap_mem_accesses[0] - c1.ap_mem_accesses[0], 3);
	CHECK_EQ_U(c0.ap_mem_accesses[1], c1.ap_mem_accesses[1]);

	/* APSEL 2: no AP; its data register reads 0 and reaches nothing. */
	CHECK_EQ_U(ap_read32(sp, 2, 0x08000000u, &v), 1);
	CHECK_EQ_U(v, 0);
	CHECK_EQ_U(counters(sp).ap_mem_accesses[2], 0);
	sim_probe_destroy(sp);
}

/* Each AP keeps its own CSW and TAR: aiming AP0 does not move AP1's TAR. */
TEST(h5_tar_per_ap)
{
	struct sim_probe *sp = ts_open("stm32h563zi-rdp0", 0.001);
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ap_read32(sp, 1, 0x08000000u, &v), 1);
	CHECK_EQ_U(ap_read32(sp, 0, 0xE0044000u, &v), 1);
	/* SELECT AP1 bank 0, read DRW again: TAR auto-incremented to 0x08000004. */
	{
		uint8_t q[] = { 0x05, 0x00, 0x02, 0x08, 0, 0, 0, 1, 0x0F };
		uint8_t r[TS_CAP];

		CHECK_EQ_I(ts_cmd(sp, q, sizeof(q), r), 7);
		CHECK_EQ_U(r[2], 1);
		CHECK_EQ_U(ts_get32(r + 3), 0x08000201u); /* the reset vector */
	}
	sim_probe_destroy(sp);
}

/* H7: DBGMCU through the APB-AP (AP2) at 0xE00E1000, the core on AP0. */
TEST(h7_aps)
{
	struct sim_probe *sp = ts_open("stm32h747xi-rdp0", 0.001);
	uint32_t v;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ap_read32(sp, 0, 0xE000ED00u, &v), 1);
	CHECK_EQ_U((v >> 4) & 0xFFF, 0xC27);
	CHECK_EQ_U(ap_read32(sp, 2, 0xE00E1000u, &v), 1);
	CHECK_EQ_U(v & 0xFFF, 0x450);
	CHECK_EQ_U(ap_read32(sp, 2, 0x08000000u, &v), 4);
	CHECK_EQ_U(ap_read32(sp, 1, 0xE000ED00u, &v), 4); /* D3 AP: no M7 PPB */
	CHECK_EQ_U(ap_read32(sp, 3, 0xE000ED00u, &v), 4); /* M4 AP: its PPB is not the M7's */
	sim_probe_destroy(sp);
}

/* Nothing is mapped at the top of the 4 GB space on any family: a word or
 * byte there through every MEM-AP of every profile is a bus error, never an
 * access that wraps past 0xFFFFFFFF into the flash window at 0x08000000
 * (the H5 model computed its windows in 32 bits and read outside its flash
 * array; the H7 APB-AP answered 0 there). */
TEST(top_of_memory_every_profile)
{
	for (size_t i = 0; i < sim_profiles_count(); i++) {
		const char *name = sim_profiles_name(i);
		struct sim_probe *sp = ts_open(name, 0.001);

		if (ts_attach(sp) != 1) { /* level 2, no target: nothing answers */
			sim_probe_destroy(sp);
			continue;
		}
		for (unsigned ap = 0; ap < 4; ap++) {
			uint32_t idr, v;
			unsigned rd, wr;

			/* Only MEM-APs (IDR CLASS [16:13] 0b1000, ADIv5.2 C2.6):
			 * a control port such as Nordic's CTRL-AP has no TAR. */
			if (ap_idr(sp, ap, &idr) != 1 || ((idr >> 13) & 0xFu) != 0x8u)
				continue;
			rd = ap_read32(sp, ap, 0xFFFFFFFCu, &v);
			wr = ap_write32(sp, ap, 0xFFFFFFFCu, 0x12345678u);
			if (rd != 4 || wr != 4)
				fprintf(stderr, "  %s AP%u: read ACK %u, write %u\n", name, ap, rd, wr);
			CHECK_EQ_U(rd, 4);
			CHECK_EQ_U(wr, 4);
		}
		CHECK_EQ_I(sim_probe_peek32(sp, 0xFFFFFFFCu, &(uint32_t){0}), -EFAULT);
		sim_probe_destroy(sp);
	}
}

int main(void)
{
	RUN(idr_per_apsel);
	RUN(h5_core_on_ap1);
	RUN(h5_tar_per_ap);
	RUN(h7_aps);
	RUN(top_of_memory_every_profile);
	return check_summary();
}
