/*
 * test_sim_stlink.c - the simulated ST-LINK firmware at the packet level,
 * through sim.h only: each command written out byte by byte from the
 * layouts of docs/sim/stlink.md (OpenOCD v0.12.0 stlink_usb.c, stlink
 * v1.7.0), each reply checked byte by byte.
 */
#include "check.h"
#include "sim/sim.h"

#include <errno.h>
#include <stdlib.h>

#define ST_CAP 128

static struct sim_probe *st_open(enum sim_probe_kind kind, const char *firmware, const char *profile)
{
	struct sim_options o = { 0 };
	struct sim_probe *sp = NULL;

	o.probe = kind;
	o.firmware = firmware;
	if (sim_probe_create(profile, &o, &sp) != 0) {
		fprintf(stderr, "cannot create %s behind %s\n", profile, firmware ? firmware : "the default");
		exit(2);
	}
	return sp;
}

/* One command (zero-padded to 16 bytes), then one IN of CAP bytes into R:
 * the IN's result (0: no reply pending). */
static int st_cmd(struct sim_probe *sp, const uint8_t *c, size_t n, uint8_t *r, size_t cap)
{
	uint8_t cmd[16] = { 0 };
	int rc;

	memcpy(cmd, c, n);
	rc = sim_probe_stlink_out(sp, cmd, sizeof(cmd));
	if (rc)
		return rc;
	memset(r, 0xEE, cap);
	return sim_probe_stlink_in(sp, r, cap);
}

static uint32_t st_get32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void st_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* ENTER (F2 30 A3): the status byte. */
static unsigned st_enter(struct sim_probe *sp)
{
	uint8_t r[2];

	return st_cmd(sp, (const uint8_t[]){ 0xF2, 0x30, 0xA3 }, 3, r, 2) == 2 ? r[0] : 0xFFFF;
}

/* READ_DAP_REG: status, *V the value. */
static unsigned st_dap_read(struct sim_probe *sp, unsigned port, unsigned addr, uint32_t *v)
{
	uint8_t r[8];
	const uint8_t c[] = { 0xF2, 0x45, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8) };

	if (st_cmd(sp, c, sizeof(c), r, 8) != 8)
		return 0xFFFF;
	*v = st_get32(r + 4);
	return r[0];
}

static unsigned st_dap_write(struct sim_probe *sp, unsigned port, unsigned addr, uint32_t v)
{
	uint8_t r[2], c[10] = { 0xF2, 0x46, (uint8_t)port, (uint8_t)(port >> 8), (uint8_t)addr, (uint8_t)(addr >> 8) };

	st_put32(c + 6, v);
	return st_cmd(sp, c, sizeof(c), r, 2) == 2 ? r[0] : 0xFFFF;
}

/* READDEBUGREG / WRITEDEBUGREG: the status. */
static unsigned st_rd(struct sim_probe *sp, uint32_t addr, uint32_t *v)
{
	uint8_t r[8], c[6] = { 0xF2, 0x36 };

	st_put32(c + 2, addr);
	if (st_cmd(sp, c, sizeof(c), r, 8) != 8)
		return 0xFFFF;
	*v = st_get32(r + 4);
	return r[0];
}

static unsigned st_wr(struct sim_probe *sp, uint32_t addr, uint32_t v)
{
	uint8_t r[2], c[10] = { 0xF2, 0x35 };

	st_put32(c + 2, addr);
	st_put32(c + 6, v);
	return st_cmd(sp, c, sizeof(c), r, 2) == 2 ? r[0] : 0xFFFF;
}

/* A memory command's 16 bytes: F2 op addr len ap csw[31:8]. */
static void st_memcmd(uint8_t *c, uint8_t op, uint32_t addr, uint16_t len, uint8_t ap)
{
	memset(c, 0, 16);
	c[0] = 0xF2;
	c[1] = op;
	st_put32(c + 2, addr);
	c[6] = (uint8_t)len;
	c[7] = (uint8_t)(len >> 8);
	c[8] = ap; /* then CSW[31:8] in 9..11, zero here: the firmware's default */
}

/* GETLASTRWSTATUS2: status, *FAULT the address. */
static unsigned st_rwstatus(struct sim_probe *sp, uint32_t *fault)
{
	uint8_t r[12];

	if (st_cmd(sp, (const uint8_t[]){ 0xF2, 0x3E }, 2, r, 12) != 12)
		return 0xFFFF;
	*fault = st_get32(r + 4);
	return (unsigned)(r[0] | r[1] << 8);
}

TEST(kind_names)
{
	static const struct {
		const char *name;
		int rc;
		enum sim_probe_kind kind;
	} t[] = {
		{ "daplink", 0, SIM_PROBE_DAPLINK },         { "stlink-v2", 0, SIM_PROBE_STLINK_V2 },
		{ "stlink-v2-1", 0, SIM_PROBE_STLINK_V2_1 }, { "stlink-v3", 0, SIM_PROBE_STLINK_V3 },
		{ "stlink", -EINVAL, 0 },                    { "", -EINVAL, 0 },
		{ NULL, -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		enum sim_probe_kind k = SIM_PROBE_STLINK_V3;

		CHECK_EQ_I(sim_probe_kind_parse(t[i].name, &k), t[i].rc);
		if (t[i].rc == 0)
			CHECK_EQ_I(k, t[i].kind);
	}
}

TEST(bad_firmware_versions)
{
	static const struct {
		enum sim_probe_kind kind;
		const char *fw;
	} t[] = {
		{ SIM_PROBE_STLINK_V2, "V3J15M7" }, /* hardware version of another kind */
		{ SIM_PROBE_STLINK_V3, "V2J37S7" }, { SIM_PROBE_STLINK_V2, "V2J0S7" }, /* J0: no SWD */
		{ SIM_PROBE_STLINK_V2, "V2J64S7" }, /* 6 bits */
		{ SIM_PROBE_STLINK_V2, "V2J37J5" }, { SIM_PROBE_STLINK_V2, "X2J37" },
		{ SIM_PROBE_STLINK_V2, "V2J" },     { SIM_PROBE_STLINK_V2, "V2J37Q1" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_options o = { 0 };
		struct sim_probe *sp = NULL;

		o.probe = t[i].kind;
		o.firmware = t[i].fw;
		CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &sp), -EINVAL);
		CHECK(sp == NULL);
	}
}

/* GET_VERSION and GET_VERSION_EX, byte for byte (docs/sim/stlink.md,
 * "Version and what each version has": V2J37S7 -> 29 47 83 04 48 37). */
TEST(version_bytes_per_kind)
{
	static const struct {
		enum sim_probe_kind kind;
		const char *fw;
		uint8_t v[6];
	} t[] = {
		{ SIM_PROBE_STLINK_V2, NULL, { 0x29, 0x47, 0x83, 0x04, 0x48, 0x37 } },
		{ SIM_PROBE_STLINK_V2_1, NULL, { 0x29, 0x5A, 0x83, 0x04, 0x4B, 0x37 } },
		{ SIM_PROBE_STLINK_V3, NULL, { 0x30, 0x00, 0x83, 0x04, 0x4E, 0x37 } },
		{ SIM_PROBE_STLINK_V2, "V2J21S4", { 0x25, 0x44, 0x83, 0x04, 0x48, 0x37 } },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(t[i].kind, t[i].fw, "stm32f401re-rdp1");
		uint8_t r[ST_CAP];

		CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF1 }, 1, r, 6), 6);
		CHECK(memcmp(r, t[i].v, 6) == 0);
		/* GET_VERSION_EX only on a V3: [0] hw, [1] SWIM, [2] JTAG, [3] MSD, [4] bridge, VID, PID */
		if (t[i].kind == SIM_PROBE_STLINK_V3) {
			static const uint8_t ex[12] = { 3, 0, 15, 7, 0, 0, 0, 0, 0x83, 0x04, 0x4E, 0x37 };

			CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xFB }, 1, r, 12), 12);
			CHECK(memcmp(r, ex, 12) == 0);
		} else {
			CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xFB }, 1, r, 12), 0);
		}
		sim_probe_destroy(sp);
	}
}

TEST(usb_identity_per_kind)
{
	static const struct {
		enum sim_probe_kind kind;
		uint16_t pid;
		uint8_t out, swo;
		unsigned mps;
		const char *product;
	} t[] = {
		{ SIM_PROBE_STLINK_V2, 0x3748, 0x02, 0x83, 64, "STM32 STLink" },
		{ SIM_PROBE_STLINK_V2_1, 0x374B, 0x01, 0x82, 64, "STM32 STLink" },
		{ SIM_PROBE_STLINK_V3, 0x374E, 0x01, 0x82, 512, "STLINK-V3" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(t[i].kind, NULL, "stm32f103c8-rdp1");
		struct sim_usb_identity id;

		sim_probe_usb_identity(sp, &id);
		CHECK_EQ_U(id.vid, 0x0483);
		CHECK_EQ_U(id.pid, t[i].pid);
		CHECK_EQ_U(id.ep_out, t[i].out);
		CHECK_EQ_U(id.ep_in, 0x81);
		CHECK_EQ_U(id.ep_swo, t[i].swo);
		CHECK_EQ_U(id.max_packet, t[i].mps);
		CHECK_STR(id.manufacturer, "STMicroelectronics");
		CHECK_STR(id.product, t[i].product);
		CHECK(strlen(id.serial) == 24 && strspn(id.serial, "0123456789ABCDEF") == 24);
		CHECK_EQ_I(sim_probe_kind_of(sp), t[i].kind);
		CHECK(!id.raw_serial);
		sim_probe_destroy(sp);
	}
}

/* F7: a0 = 1200 and a1 = mV / 2, so 2 * a1 * 1.2 / a0 gives the volts;
 * older than V2J13: no reply. */
TEST(voltage_a0_a1)
{
	static const struct {
		unsigned mv;
		const char *fw;
		int n;
		uint32_t a1;
	} t[] = {
		{ 0, NULL, 8, 1650 },     /* 0: the default 3.3 V */
		{ 3300, NULL, 8, 1650 },
		{ 1800, NULL, 8, 900 },
		{ 1200, NULL, 8, 600 },
		{ 3300, "V2J13S4", 8, 1650 },
		{ 3300, "V2J12S4", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_options o = { 0 };
		struct sim_probe *sp;
		uint8_t r[ST_CAP];

		o.probe = SIM_PROBE_STLINK_V2;
		o.firmware = t[i].fw;
		o.target_mv = t[i].mv;
		CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &sp), 0);
		CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF7 }, 1, r, 8), t[i].n);
		if (t[i].n == 8) {
			uint32_t a0 = st_get32(r), a1 = st_get32(r + 4);

			CHECK_EQ_U(a0, 1200);
			CHECK_EQ_U(a1, t[i].a1);
			CHECK_EQ_U(2400u * a1 / a0, t[i].mv ? t[i].mv : 3300); /* stlink's mV */
		}
		sim_probe_destroy(sp);
	}
}

TEST(mode_machine)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	struct sim_probe *sp3 = st_open(SIM_PROBE_STLINK_V3, NULL, "stm32f401re-rdp1");
	uint8_t r[ST_CAP];

	/* The V2 dongle comes up in DFU, the V3 in MASS. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK(r[0] == 0 && r[1] == 0);
	CHECK_EQ_I(st_cmd(sp3, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 1);
	/* DFU_EXIT has no reply; MASS next. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF3, 0x07 }, 2, r, 2), 0);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 1);
	CHECK_EQ_U(st_enter(sp), 0x80);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 2);
	/* EXIT: no reply; back to MASS. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x21 }, 2, r, 2), 0);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 1);
	/* JTAG is not modelled: ENTER A4 gets a status, the mode stays. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x30, 0xA4 }, 3, r, 2), 2);
	CHECK_EQ_U(r[0], 0x08);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 1);
	sim_probe_destroy(sp);
	sim_probe_destroy(sp3);
}

/* READ_IDCODES: [0] 0x80, [4..7] the profile's DPIDR. */
TEST(read_idcodes_is_dpidr)
{
	static const struct {
		const char *profile;
		uint32_t dpidr;
	} t[] = {
		{ "stm32f401re-rdp1", 0x2BA01477u },
		{ "stm32f103c8-rdp1", 0x1BA01477u },
		{ "stm32h743zi-rdp1", 0x6BA02477u },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2_1, NULL, t[i].profile);
		uint8_t r[ST_CAP];

		CHECK_EQ_U(st_enter(sp), 0x80);
		CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x31 }, 2, r, 12), 12);
		CHECK_EQ_U(r[0], 0x80);
		CHECK_EQ_U(st_get32(r + 4), t[i].dpidr);
		sim_probe_destroy(sp);
	}
}

TEST(no_target)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "no-target");
	uint8_t r[ST_CAP];

	CHECK_EQ_U(st_enter(sp), 0x16); /* SWD_DP_ERROR: no ACK */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 0); /* still DFU */
	sim_probe_destroy(sp);
}

/* DP CTRL/STAT after ENTER: the firmware powered the debug domain up. */
TEST(dap_reg_dp_ctrl_stat)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	uint32_t v = 0;

	CHECK_EQ_U(st_enter(sp), 0x80);
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x0, &v), 0x80);
	CHECK_EQ_U(v, 0x2BA01477u);
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x4, &v), 0x80);
	CHECK_EQ_U(v, 0xF0000000u);
	CHECK_EQ_U(st_dap_write(sp, 0xFFFF, 0x4, 0), 0x80);
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x4, &v), 0x80);
	CHECK_EQ_U(v, 0);
	CHECK_EQ_U(st_dap_write(sp, 0xFFFF, 0x4, 0x50000000u), 0x80);
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x4, &v), 0x80);
	CHECK_EQ_U(v, 0xF0000000u);
	/* AP0 IDR (0xFC) and CSW: the firmware selects the bank itself. */
	CHECK_EQ_U(st_dap_read(sp, 0, 0xFC, &v), 0x80);
	CHECK_EQ_U(v, 0x24770011u);
	CHECK_EQ_U(st_dap_write(sp, 0, 0x04, 0x20000000u), 0x80);
	CHECK_EQ_U(st_dap_read(sp, 0, 0x04, &v), 0x80);
	CHECK_EQ_U(v, 0x20000000u);
	/* Banked DP register (DLCR, bank 1), then CTRL/STAT again (bank 0). */
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x14, &v), 0x80);
	CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x4, &v), 0x80);
	CHECK_EQ_U(v, 0xF0000000u);
	sim_probe_destroy(sp);
}

TEST(bad_ap)
{
	static const struct {
		const char *fw;
		unsigned port, status;
	} t[] = {
		{ NULL, 0, 0x80 },      { NULL, 8, 0x80 }, /* no AP there: reads 0 */
		{ NULL, 9, 0x1D },      { NULL, 0xFFFE, 0x1D },
		{ "V2J29S7", 3, 0x80 }, { "V2J29S7", 4, 0x1D }, /* "V2J29 has 3 as maximum AP number" */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, t[i].fw, "stm32f401re-rdp1");
		uint8_t r[ST_CAP];
		uint32_t v;

		CHECK_EQ_U(st_enter(sp), 0x80);
		CHECK_EQ_U(st_dap_read(sp, t[i].port, 0xFC, &v), t[i].status);
		if (t[i].port < 256) {
			CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x4B, (uint8_t)t[i].port }, 3, r, 2), 2);
			CHECK_EQ_U(r[0], t[i].status);
		}
		sim_probe_destroy(sp);
	}
}

/* READMEM_32 of the F401's DBGMCU_IDCODE: what the chip holds there. */
TEST(readmem32_dbgmcu_idcode)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	uint8_t c[16], r[ST_CAP];
	uint32_t want = 0, fault;

	CHECK_EQ_I(sim_probe_peek32(sp, 0xE0042000u, &want), 0);
	CHECK_EQ_U(want & 0xFFFu, 0x433);
	CHECK_EQ_U(st_enter(sp), 0x80);
	st_memcmd(c, 0x07, 0xE0042000u, 4, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 4), 4);
	CHECK_EQ_U(st_get32(r), want);
	CHECK_EQ_U(st_rwstatus(sp, &fault), 0x80);
	/* The same through READDEBUGREG, and a 1-byte 8-bit read: 2 bytes. */
	CHECK_EQ_U(st_rd(sp, 0xE0042000u, &fault), 0x80);
	CHECK_EQ_U(fault, want);
	st_memcmd(c, 0x0C, 0xE0042000u, 1, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 2), 2);
	CHECK_EQ_U(r[0], want & 0xFFu);
	CHECK_EQ_U(r[1], 0);
	/* 8-bit of 3 at +1: the bytes of the word, by lane */
	st_memcmd(c, 0x0C, 0xE0042001u, 3, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 3), 3);
	CHECK(r[0] == (uint8_t)(want >> 8) && r[1] == (uint8_t)(want >> 16) && r[2] == (uint8_t)(want >> 24));
	sim_probe_destroy(sp);
}

/* Level 1: the flash read faults; the rest of the reply is zeros, the
 * status and address are in GETLASTRWSTATUS2, and the next command works. */
TEST(readmem_fault_on_protected_flash)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	uint8_t c[16], r[ST_CAP];
	uint32_t fault = 0, v;

	CHECK_EQ_U(st_enter(sp), 0x80);
	st_memcmd(c, 0x07, 0x08000000u, 16, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 16), 16);
	for (int i = 0; i < 16; i++)
		CHECK_EQ_U(r[i], 0);
	CHECK_EQ_U(st_rwstatus(sp, &fault), 0x11);
	CHECK_EQ_U(fault, 0x08000000u);
	CHECK_EQ_U(st_rd(sp, 0xE0042000u, &v), 0x80); /* sticky flags cleared */
	/* GETLASTRWSTATUS (3B): 2 bytes, the same code until the next memory command */
	st_memcmd(c, 0x07, 0x08000000u, 4, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 4), 4);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x3B }, 2, r, 2), 2);
	CHECK(r[0] == 0x11 && r[1] == 0);
	/* misaligned 32-bit, and over-long 8-bit */
	st_memcmd(c, 0x07, 0x20000002u, 4, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 4), 4);
	CHECK_EQ_U(st_rwstatus(sp, &fault), 0x0A);
	st_memcmd(c, 0x0C, 0x20000000u, 65, 0);
	CHECK_EQ_I(st_cmd(sp, c, 16, r, 65), 0); /* no reply */
	CHECK_EQ_U(st_rwstatus(sp, &fault), 0x08);
	sim_probe_destroy(sp);
}

/* WRITEMEM: the data phase may come in pieces; one byte too many stalls. */
TEST(writemem_data_phase)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp0");
	const uint8_t data[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	uint8_t c[16], r[ST_CAP];
	uint32_t v = 0, fault;

	CHECK_EQ_U(st_enter(sp), 0x80);
	st_memcmd(c, 0x08, 0x20000000u, 8, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	CHECK_EQ_I(sim_probe_stlink_in(sp, r, 2), 0); /* no reply */
	CHECK_EQ_I(sim_probe_stlink_out(sp, data, 3), 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, data + 3, 5), 0);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x20000004u, &v), 0);
	CHECK_EQ_U(v, 0x88776655u);
	CHECK_EQ_U(st_rwstatus(sp, &fault), 0x80);
	/* 8-bit at +1 and 16-bit at +6, by lane */
	st_memcmd(c, 0x0D, 0x20000001u, 2, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[]){ 0xAA, 0xBB }, 2), 0);
	st_memcmd(c, 0x48, 0x20000006u, 2, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[]){ 0xCC, 0xDD }, 2), 0);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x20000000u, &v), 0);
	CHECK_EQ_U(v, 0x44BBAA11u);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x20000004u, &v), 0);
	CHECK_EQ_U(v, 0xDDCC6655u);
	/* too much data: stalled, and the probe takes commands again */
	st_memcmd(c, 0x08, 0x20000000u, 4, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, data, 8), -EPROTO);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 2);
	sim_probe_destroy(sp);
}

/* WAIT is retried inside the firmware (100 times) and then reported;
 * FAULT and a missing ACK at once. DP commands get the DP codes, AP ones
 * the AP codes (docs/sim/stlink.md, "Status codes"). */
TEST(wait_fault_status_codes)
{
	static const struct {
		enum sim_fault_kind kind;
		uint32_t count;
		bool ap;
		unsigned status;
	} t[] = {
		{ SIM_FAULT_WAIT, 50, false, 0x80 },  { SIM_FAULT_WAIT, 101, false, 0x14 },
		{ SIM_FAULT_WAIT, 50, true, 0x80 },   { SIM_FAULT_WAIT, 101, true, 0x10 },
		{ SIM_FAULT_FAULT, 1, false, 0x15 },  { SIM_FAULT_FAULT, 1, true, 0x11 },
		{ SIM_FAULT_NO_ACK, 1, false, 0x16 }, { SIM_FAULT_NO_ACK, 1, true, 0x12 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
		struct sim_fault f = { t[i].kind, 1, false, t[i].count };
		uint32_t v;

		CHECK_EQ_U(st_enter(sp), 0x80);
		sim_probe_set_fault(sp, &f);
		if (t[i].ap)
			CHECK_EQ_U(st_rd(sp, 0xE0042000u, &v), t[i].status);
		else
			CHECK_EQ_U(st_dap_read(sp, 0xFFFF, 0x0, &v), t[i].status);
		sim_probe_destroy(sp);
	}
}

/* Commands a firmware gets in a later version: the older one answers
 * JTAG_UNKNOWN_CMD (0x42) in the reply the host reads. */
TEST(old_firmware_refuses_newer_commands)
{
	static const struct {
		const char *fw;
		uint8_t c[4];
		size_t in;
		unsigned status;
	} t[] = {
		{ "V2J23S4", { 0xF2, 0x45, 0xFF, 0xFF }, 8, 0x42 }, /* DAP registers: V2J24 */
		{ "V2J24S4", { 0xF2, 0x45, 0xFF, 0xFF }, 8, 0x80 },
		{ "V2J25S4", { 0xF2, 0x47, 0x00, 0x00 }, 2, 0x42 }, /* 16-bit memory: V2J26 */
		{ "V2J27S4", { 0xF2, 0x4B, 0x00 }, 2, 0x42 },       /* INIT_AP: V2J28 */
		{ "V2J28S4", { 0xF2, 0x4B, 0x00 }, 2, 0x80 },
		{ "V2J12S4", { 0xF2, 0x40 }, 2, 0x42 },             /* trace: V2J13 */
		{ "V2J14S4", { 0xF2, 0x3E }, 12, 0x42 },            /* RWSTATUS2: V2J15 */
		{ "V2J21S4", { 0xF2, 0x43, 0x01 }, 2, 0x42 },       /* SWD_SET_FREQ: V2J22 */
		{ "V2J22S4", { 0xF2, 0x43, 0x01 }, 2, 0x80 },
		{ "V2J31S7", { 0xF2, 0x52 }, 2, 0x42 },             /* RW_MISC: V2J32 */
		{ "V2J37S7", { 0xF2, 0x62, 0x00 }, 52, 0x42 },      /* COM_FREQ: V3 only */
		{ "V2J37S7", { 0xF2, 0xFF }, 2, 0x42 },             /* never */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, t[i].fw, "stm32f401re-rdp1");
		uint8_t r[ST_CAP];

		CHECK_EQ_U(st_enter(sp), 0x80);
		/* A refusal is the 2-byte status reply, whatever the host asked for. */
		CHECK_EQ_I(st_cmd(sp, t[i].c, sizeof(t[i].c), r, t[i].in),
			   t[i].status == 0x42 && t[i].in > 2 ? 2 : (int)t[i].in);
		CHECK_EQ_U(r[0], t[i].status);
		sim_probe_destroy(sp);
	}
}

/* V3: GET_COM_FREQ lists the clocks, SET_COM_FREQ takes the highest not
 * above the request. */
TEST(v3_com_freq)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V3, NULL, "stm32f401re-rdp1");
	uint8_t r[ST_CAP], c[8] = { 0xF2, 0x61, 0x00, 0x00 };
	uint32_t n;

	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x62, 0x00 }, 3, r, 52), 52);
	CHECK_EQ_U(r[0], 0x80);
	n = st_get32(r + 8);
	CHECK(n >= 1 && n <= 10);
	CHECK_EQ_U(st_get32(r + 12), 24000);
	st_put32(c + 4, 2000);
	CHECK_EQ_I(st_cmd(sp, c, 8, r, 8), 8);
	CHECK_EQ_U(r[0], 0x80);
	CHECK_EQ_U(st_get32(r + 4), 1000);
	st_put32(c + 4, 1);
	CHECK_EQ_I(st_cmd(sp, c, 8, r, 8), 8);
	CHECK_EQ_U(r[0], 0x08); /* below the lowest */
	sim_probe_destroy(sp);
}

/* Core registers through DCRSR/DCRDR on a halted core. */
TEST(core_registers)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	uint8_t r[ST_CAP], c[8] = { 0xF2, 0x34, 0x00 };

	CHECK_EQ_U(st_enter(sp), 0x80);
	CHECK_EQ_U(st_wr(sp, 0xE000EDF0u, 0xA05F0003u), 0x80); /* halt */
	st_put32(c + 3, 0x12345678u);
	CHECK_EQ_I(st_cmd(sp, c, 7, r, 2), 2);
	CHECK_EQ_U(r[0], 0x80);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x33, 0x00 }, 3, r, 8), 8);
	CHECK_EQ_U(r[0], 0x80);
	CHECK_EQ_U(st_get32(r + 4), 0x12345678u);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x3A }, 2, r, 88), 88);
	CHECK_EQ_U(r[0], 0x80);
	CHECK_EQ_U(st_get32(r + 4), 0x12345678u);
	sim_probe_destroy(sp);
}

/* RW_MISC: a write item and a read item, results and statuses. */
TEST(rw_misc)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp0");
	uint8_t c[16] = { 0xF2, 0x51, 4, 0, 0, 0 }, d[4 + 16] = { 5, 1, 2, 3 }, r[ST_CAP];
	uint32_t v = 0;

	CHECK_EQ_U(st_enter(sp), 0x80);
	st_put32(d + 4, 0);            /* APNUM 0 */
	st_put32(d + 8, 0x20000010u);  /* ADDRESS */
	st_put32(d + 12, 0xCAFEF00Du); /* WRITE */
	st_put32(d + 16, 0x20000010u); /* READ */
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, d, sizeof(d)), 0);
	CHECK_EQ_I(sim_probe_peek32(sp, 0x20000010u, &v), 0);
	CHECK_EQ_U(v, 0xCAFEF00Du);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x52 }, 2, r, 32), 32);
	CHECK_EQ_U(st_get32(r + 12), 0xCAFEF00Du);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_U(st_get32(r + 16 + 4 * i), 0x80);
	sim_probe_destroy(sp);
}

/* Framing mistakes and packet faults. */
TEST(framing_and_packet_faults)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	struct sim_probe *dap = NULL;
	struct sim_options o = { 0 };
	struct sim_fault f = { SIM_FAULT_SHORT_REPLY, 1, false };
	uint8_t r[ST_CAP];

	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[]){ 0xF1 }, 1), -EPROTO);
	CHECK_EQ_I(sim_probe_stlink_in(sp, r, 6), 0); /* nothing pending */
	CHECK_EQ_I(sim_probe_command(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r, 64), -EPROTO);
	CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &dap), 0);
	CHECK_EQ_I(sim_probe_stlink_out(dap, (const uint8_t[16]){ 0xF1 }, 16), -EPROTO);
	sim_probe_destroy(dap);
	/* A reply not read is replaced by the next command's. */
	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[16]){ 0xF1 }, 16), 0);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF5 }, 1, r, 2), 2);
	CHECK_EQ_U(r[0], 0);
	/* An IN shorter than the reply cuts it; one reply per IN. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF1 }, 1, r, 2), 2);
	CHECK(r[0] == 0x29 && r[1] == 0x47);
	CHECK_EQ_I(sim_probe_stlink_in(sp, r, 4), 0);
	/* SHORT_REPLY: the first command's reply keeps one byte, and the IN
	 * brings that one. */
	sim_probe_set_fault(sp, &f);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF1 }, 1, r, 6), 1);
	CHECK_EQ_U(r[0], 0x29);
	/* DROP_PROBE from the 2nd command on: gone for OUT and IN. */
	f.kind = SIM_FAULT_DROP_PROBE;
	f.nth = 2;
	sim_probe_set_fault(sp, &f);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF1 }, 1, r, 6), 6);
	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[16]){ 0xF1 }, 16), -ENODEV);
	CHECK_EQ_I(sim_probe_stlink_in(sp, r, 6), -ENODEV);
	sim_probe_destroy(sp);
}

/* DROP_AT_FLASH_WRITE 2: reads and the first flash-interface write pass;
 * the command that carries the second write still lands; the command after
 * it finds the probe gone. */
TEST(drop_at_the_nth_flash_interface_write)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	struct sim_fault f = { .kind = SIM_FAULT_DROP_AT_FLASH_WRITE, .nth = 2 };
	struct sim_counters cnt;
	uint32_t optcr = 0;
	uint8_t r[ST_CAP];

	CHECK_EQ_U(st_enter(sp), 0x80);
	sim_probe_set_fault(sp, &f);
	CHECK_EQ_U(st_rd(sp, 0x40023C14u, &optcr), 0x80);
	CHECK_EQ_U(st_rd(sp, 0x40023C14u, &optcr), 0x80);
	CHECK_EQ_U(st_wr(sp, 0x40023C08u, 0x08192A3Bu), 0x80);
	CHECK_EQ_U(st_rd(sp, 0x40023C14u, &optcr), 0x80);
	CHECK_EQ_U(st_wr(sp, 0x40023C08u, 0x4C5D6E7Fu), 0x80);
	sim_probe_get_counters(sp, &cnt);
	CHECK_EQ_U(cnt.flash_if_writes, 2);
	CHECK_EQ_I(sim_probe_stlink_out(sp, (const uint8_t[16]){ 0xF1 }, 16), -ENODEV);
	CHECK_EQ_I(sim_probe_stlink_in(sp, r, 6), -ENODEV);
	/* Clearing the fault plugs it back in. */
	sim_probe_set_fault(sp, NULL);
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF1 }, 1, r, 6), 6);
	sim_probe_destroy(sp);
}

/* Power lost right after the command that starts option programming: a
 * WRITEMEM_32 is done when its data phase is (RM0090 §3.6.2: OPTKEYR keys,
 * then OPTCR with the new RDP byte and OPTSTRT). */
TEST(power_fail_after_the_data_phase)
{
	struct sim_probe *sp = st_open(SIM_PROBE_STLINK_V2, NULL, "stm32f401re-rdp1");
	struct sim_counters cnt;
	uint8_t c[16], d[4], r[ST_CAP];
	uint32_t optcr = 0;

	CHECK_EQ_U(st_enter(sp), 0x80);
	CHECK_EQ_U(st_wr(sp, 0x40023C08u, 0x08192A3Bu), 0x80);
	CHECK_EQ_U(st_wr(sp, 0x40023C08u, 0x4C5D6E7Fu), 0x80);
	CHECK_EQ_U(st_rd(sp, 0x40023C14u, &optcr), 0x80);
	sim_probe_power_fail_at_option_start(sp, true);
	st_put32(d, (optcr & ~0xFF01u) | 0xAA00u | 0x2u);
	st_memcmd(c, 0x08, 0x40023C14u, 4, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, c, 16), 0);
	sim_probe_get_counters(sp, &cnt);
	CHECK_EQ_U(cnt.power_cycles, 0);
	CHECK_EQ_I(sim_probe_stlink_out(sp, d, 4), 0);
	sim_probe_get_counters(sp, &cnt);
	CHECK_EQ_U(cnt.power_cycles, 1);
	/* The target's DP powered up in JTAG: no ACK until ENTER again. */
	CHECK_EQ_I(st_cmd(sp, (const uint8_t[]){ 0xF2, 0x31 }, 2, r, 12), 12);
	CHECK_EQ_U(r[0], 0x16);
	CHECK_EQ_U(st_enter(sp), 0x80);
	sim_probe_destroy(sp);
}

TEST(serials)
{
	struct sim_options o = { 0 };
	struct sim_probe *a, *b, *c;
	struct sim_usb_identity id;

	o.probe = SIM_PROBE_STLINK_V2;
	CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &a), 0);
	CHECK_EQ_I(sim_probe_create("stm32f103c8-rdp1", &o, &b), 0);
	CHECK(strcmp(sim_probe_serial(a), sim_probe_serial(b)) != 0);
	o.serial = "0123456789abcdef01234567";
	o.raw_serial = true;
	CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &c), 0);
	CHECK_STR(sim_probe_serial(c), "0123456789ABCDEF01234567");
	sim_probe_usb_identity(c, &id);
	CHECK(id.raw_serial);
	CHECK_STR(sim_probe_vendor(c), "STMicroelectronics");
	sim_probe_destroy(a);
	sim_probe_destroy(b);
	sim_probe_destroy(c);
}

int main(void)
{
	RUN(kind_names);
	RUN(bad_firmware_versions);
	RUN(version_bytes_per_kind);
	RUN(usb_identity_per_kind);
	RUN(voltage_a0_a1);
	RUN(mode_machine);
	RUN(read_idcodes_is_dpidr);
	RUN(no_target);
	RUN(dap_reg_dp_ctrl_stat);
	RUN(bad_ap);
	RUN(readmem32_dbgmcu_idcode);
	RUN(readmem_fault_on_protected_flash);
	RUN(writemem_data_phase);
	RUN(wait_fault_status_codes);
	RUN(old_firmware_refuses_newer_commands);
	RUN(v3_com_freq);
	RUN(core_registers);
	RUN(rw_misc);
	RUN(framing_and_packet_faults);
	RUN(drop_at_the_nth_flash_interface_write);
	RUN(power_fail_after_the_data_phase);
	RUN(serials);
	return check_summary();
}
