/*
 * The ST-LINK protocol (daemon/stlink/) against a scripted probe: every
 * command's bytes as docs/probe/stlink.md gives them, the replies checked
 * for length and status, the queue runner's WAIT, FAULT and match rules.
 *
 * The fake transport holds a script: each command (16 bytes, zero-padded)
 * or data phase the driver must send, and each reply the probe gives. A
 * byte out of place, a send the script does not expect, or a step left
 * over fails the test.
 */
#include <stdlib.h>
#include <time.h>

#include "access/access.h"
#include "check.h"
#include "err.h"
#include "transport/transport.h"

#define FAKE_STEPS 64
#define FAKE_BYTES 1040

struct fake_step {
	bool reply;      /* probe to host (else host to probe) */
	size_t len;
	uint8_t bytes[FAKE_BYTES];
};

struct fake {
	struct transport base;
	struct fake_step steps[FAKE_STEPS];
	size_t n, pos;
	bool broken;
};

static struct fake fake_probe;

static void fake_push(bool reply, const uint8_t *bytes, size_t len, size_t pad)
{
	struct fake_step *s = &fake_probe.steps[fake_probe.n++];

	memset(s, 0, sizeof(*s));
	s->reply = reply;
	s->len = len > pad ? len : pad;
	memcpy(s->bytes, bytes, len);
}

/* A command (padded to 16), a data phase, a reply. */
#define CMD(...) fake_push(false, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 16)
#define DATA(...) fake_push(false, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 0)
#define REPLY(...) fake_push(true, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 0)
/* A reply of N bytes: the status byte, zeros. */
#define REPLY_STATUS(st, n) fake_push(true, (const uint8_t[]){st}, 1, n)

static void fake_dump(const char *what, const uint8_t *b, size_t len)
{
	fprintf(stderr, "  %s:", what);
	for (size_t i = 0; i < len && i < 24; i++)
		fprintf(stderr, " %02x", b[i]);
	fprintf(stderr, "%s\n", len > 24 ? " ..." : "");
}

static int fake_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct fake_step *s = &fake_probe.steps[fake_probe.pos];

	if (fake_probe.pos >= fake_probe.n || s->reply || s->len != len || memcmp(s->bytes, buf, len) != 0) {
		fprintf(stderr, "  step %zu: unexpected send\n", fake_probe.pos);
		fake_dump("sent", buf, len);
		if (fake_probe.pos < fake_probe.n)
			fake_dump(s->reply ? "script has a reply" : "expected", s->bytes, s->len);
		fake_probe.broken = true;
		return err_setf(ERR_IO, "the script did not expect this");
	}
	fake_probe.pos++;
	return 0;
}

static int fake_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct fake_step *s = &fake_probe.steps[fake_probe.pos];

	if (fake_probe.pos >= fake_probe.n || !s->reply || s->len > cap) {
		fprintf(stderr, "  step %zu: unexpected read of %zu bytes\n", fake_probe.pos, cap);
		fake_probe.broken = true;
		return err_setf(ERR_PROBE_TIMEOUT, "the script has no reply here");
	}
	memcpy(buf, s->bytes, s->len);
	*len = s->len;
	fake_probe.pos++;
	return 0;
}

static void fake_close(struct transport *t)
{
}

static const struct transport_ops fake_ops = {
	.name = "fake-stlink",
	.scheme = "fake",
	.uri_form = "fake:X",
	.send = fake_send,
	.recv = fake_recv,
	.close = fake_close,
};

static void fake_reset(void)
{
	memset(&fake_probe, 0, sizeof(fake_probe));
	fake_probe.base.ops = &fake_ops;
	fake_probe.base.packet_size = TRANSPORT_MAX_PACKET;
	snprintf(fake_probe.base.info.uri, sizeof(fake_probe.base.info.uri), "usb:TEST");
	snprintf(fake_probe.base.info.serial, sizeof(fake_probe.base.info.serial), "TEST");
}

/* The whole script was played, nothing more. */
static bool fake_done(void)
{
	if (fake_probe.pos != fake_probe.n)
		fprintf(stderr, "  script stopped at step %zu of %zu\n", fake_probe.pos, fake_probe.n);
	return !fake_probe.broken && fake_probe.pos == fake_probe.n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET_VERSION of V2J37S7 (facts' worked encoding), mode MASS, 3.30 V. */
static void script_open_v2(uint8_t hi, uint8_t lo)
{
	CMD(0xF1);
	REPLY(hi, lo, 0x83, 0x04, 0x48, 0x37);
	CMD(0xF5);
	REPLY(0x01, 0x00);
	CMD(0xF7);
	REPLY(0xB0, 0x04, 0x00, 0x00, 0x72, 0x06, 0x00, 0x00); /* a0 1200, a1 1650 */
}

/* A fresh script: open V2J37S7, connect at 1 MHz: SWD_SET_FREQ divisor 3 (950 kHz), ENTER. */
static struct access *open_connected(void)
{
	struct access *ac = NULL;

	fake_reset();
	script_open_v2(0x29, 0x47);
	CMD(0xF2, 0x43, 0x03, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	CHECK(ac != NULL);
	if (ac)
		CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), 0);
	return ac;
}

/* Close after a connect: DEBUG_EXIT, no reply. */
static void close_connected(struct access *ac)
{
	CMD(0xF2, 0x21);
	if (ac)
		ac->ops->close(ac);
}

TEST(version_decode)
{
	static const struct {
		uint8_t reply[6];
		const char *text, *api;
		int mv;
	} cases[] = {
		{{0x29, 0x47, 0x83, 0x04, 0x48, 0x37}, "V2J37S7", "2", 3300},  /* V2 dongle */
		{{0x29, 0x5A, 0x83, 0x04, 0x4B, 0x37}, "V2J37M26", "2", 3300}, /* V2-1 on a Nucleo */
		{{0x24, 0x44, 0x83, 0x04, 0x48, 0x37}, "V2J17S4", "2", 3300},  /* an old clone */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct access *ac = NULL;

		fake_reset();
		CMD(0xF1);
		fake_push(true, cases[i].reply, 6, 0);
		CMD(0xF5);
		REPLY(0x01, 0x00);
		CMD(0xF7);
		REPLY(0xB0, 0x04, 0x00, 0x00, 0x72, 0x06, 0x00, 0x00);
		CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
		if (!ac)
			continue;
		CHECK_STR(ac->id.firmware_version, cases[i].text);
		CHECK_STR(ac->id.protocol_version, cases[i].api);
		CHECK_STR(ac->id.protocol, "stlink");
		CHECK_STR(ac->id.vendor, "STMicroelectronics");
		CHECK_STR(ac->id.serial, "TEST");
		CHECK(ac->id.swd);
		CHECK_EQ_I(ac->id.packet_count, 1);
		CHECK_EQ_I(ac->id.target_mv, cases[i].mv);
		ac->ops->close(ac); /* not connected: no EXIT */
		CHECK(fake_done());
	}
}

/* A V3 says 3.0.0 in GET_VERSION and the rest in GET_VERSION_EX; it was
 * left in debug mode by an earlier session, so it leaves it first. */
TEST(version_v3_and_mode_exit)
{
	struct access *ac = NULL;

	fake_reset();
	CMD(0xF1);
	REPLY(0x30, 0x00, 0x83, 0x04, 0x53, 0x37);
	CMD(0xFB);
	REPLY(0x03, 0x01, 0x07, 0x03, 0x05, 0x00, 0x00, 0x00, 0x83, 0x04, 0x53, 0x37);
	CMD(0xF5);
	REPLY(0x02, 0x00);
	CMD(0xF2, 0x21);
	CMD(0xF5);
	REPLY(0x01, 0x00);
	CMD(0xF7);
	REPLY(0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00); /* a0 = 0: 0 V, not a division by zero */
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_STR(ac->id.firmware_version, "V3J7M3B5S1");
	CHECK_STR(ac->id.protocol_version, "3");
	CHECK_STR(ac->id.product, "STLINK-V3");
	CHECK(ac->id.jtag);
	CHECK_EQ_I(ac->id.target_mv, 0);
	/* V3 clock: the probe's list, the highest not above 1000 kHz. */
	CMD(0xF2, 0x62, 0x00);
	REPLY(0x80, 0, 0, 0, 0x40, 0x1F, 0, 0, 3, 0, 0, 0,
	      0xC0, 0x5D, 0, 0, 0x28, 0x0D, 0, 0, 0xE8, 0x03, 0, 0, /* 24000, 3368, 1000 */
	      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CMD(0xF2, 0x61, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x00);
	REPLY(0x80, 0, 0, 0, 0xE8, 0x03, 0, 0);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->connect(ac, 2000000, false, now_ms() + 1000), 0);
	close_connected(ac);
	CHECK(fake_done());
}

TEST(voltage_arithmetic)
{
	struct access *ac = open_connected();
	int mv = 0;

	if (!ac)
		return;
	CMD(0xF7);
	REPLY(0xF1, 0x05, 0x00, 0x00, 0x0B, 0x08, 0x00, 0x00); /* openocd.texi's example: 3.249 V */
	CHECK_EQ_I(ac->ops->target_voltage(ac, &mv), 0);
	CHECK_EQ_I(mv, 3249);
	CMD(0xF7);
	REPLY(0xF1, 0x05, 0x00, 0x00); /* short */
	CHECK_EQ_I(ac->ops->target_voltage(ac, &mv), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "with 4 bytes; 8 expected") != NULL);
	close_connected(ac);
	CHECK(fake_done());
}

TEST(connect_under_reset)
{
	struct access *ac = NULL;

	fake_reset();
	script_open_v2(0x29, 0x47);
	CMD(0xF2, 0x43, 0x1F, 0x00); /* 125 kHz: divisor 31 */
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x3C, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x14, 0x00); /* DP WAIT: ENTER again */
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x3C, 0x00);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_EQ_I(ac->ops->connect(ac, 130000, true, now_ms() + 1000), 0);
	CMD(0xF2, 0x3C, 0x01);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->set_nreset(ac, false), 0);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x00, 0x00, 0x1E, 0x00, 0x00, 0x00);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->abort(ac, 0x1E), 0);
	CHECK_EQ_U(ac->ops->block_words(ac), 256);
	close_connected(ac);
	CHECK(fake_done());
}

TEST(connect_fails_without_target)
{
	struct access *ac = NULL;

	fake_reset();
	script_open_v2(0x29, 0x47);
	CMD(0xF2, 0x43, 0x03, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x12, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), -ERR_TARGET_NOT_RESPONDING);
	CHECK(strstr(err_detail(), "SWD_AP_ERROR (0x12)") != NULL);
	ac->ops->close(ac);
	CHECK(fake_done());
}

/* DP: port FFFF; SELECT never sent; CTRL/STAT writes lose ORUNDETECT. */
TEST(dp_read_write)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t dpidr = 0, ctrl = 0;
	struct access_op q[] = {
		{.reg = 0x0, .flags = ACCESS_OP_READ, .out = &dpidr},
		{.reg = 0x8, .data = 0},
		{.reg = 0x4, .data = 0x50000001, .flags = ACCESS_OP_SIDE_EFFECT},
		{.reg = 0x4, .flags = ACCESS_OP_READ, .out = &ctrl},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY(0x80, 0, 0, 0, 0x77, 0x14, 0xA0, 0x1B);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0xF0);
	CHECK_EQ_I(ac->ops->run(ac, q, 4, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(dpidr, 0x1BA01477);
	CHECK_EQ_U(ctrl, 0xF0000000);
	close_connected(ac);
	CHECK(fake_done());
}

/* AP registers: port = apsel, the full offset; INIT_AP once per AP except
 * before an IDR read; a banked DP register after a SELECT with DPBANKSEL. */
TEST(ap_read_with_apsel)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t idr = 0, base = 0, base2 = 0, targetid = 0;
	struct access_op q[] = {
		{.ap = true, .apsel = 1, .reg = 0xFC, .flags = ACCESS_OP_READ, .out = &idr},
		{.ap = true, .apsel = 1, .reg = 0xF8, .flags = ACCESS_OP_READ, .out = &base},
		{.ap = true, .apsel = 1, .reg = 0xF8, .flags = ACCESS_OP_READ, .out = &base2},
		{.reg = 0x8, .data = 0x2},
		{.reg = 0x4, .flags = ACCESS_OP_READ, .out = &targetid},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0x01, 0x00, 0xFC, 0x00);
	REPLY(0x80, 0, 0, 0, 0x11, 0x00, 0x77, 0x24);
	CMD(0xF2, 0x4B, 0x01);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x45, 0x01, 0x00, 0xF8, 0x00);
	REPLY(0x80, 0, 0, 0, 0x03, 0xF0, 0x0F, 0xE0);
	CMD(0xF2, 0x45, 0x01, 0x00, 0xF8, 0x00);
	REPLY(0x80, 0, 0, 0, 0x03, 0xF0, 0x0F, 0xE0);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x24, 0x00);
	REPLY(0x80, 0, 0, 0, 0x41, 0x00, 0x45, 0x04);
	CHECK_EQ_I(ac->ops->run(ac, q, 5, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(idr, 0x24770011);
	CHECK_EQ_U(base, 0xE00FF003);
	CHECK_EQ_U(targetid, 0x04450041);
	close_connected(ac);
	CHECK(fake_done());
}

/* A match read polled until the value comes; then one that never does. */
TEST(match_poll)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t ctrl = 0;
	struct access_op q[] = {
		{.reg = 0x4, .flags = ACCESS_OP_READ | ACCESS_OP_MATCH, .mask = 0xA0000000, .data = 0xA0000000, .out = &ctrl},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0x20);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0xF0);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(ctrl, 0xF0000000);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0x20);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() - 1, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_MISMATCH);
	CHECK_EQ_U(fail.at, 0);
	close_connected(ac);
	CHECK(fake_done());
}

/* CSW and TAR writes that aim the next DRW access are not sent; on AP 0
 * a word is READ/WRITEDEBUGREG, on AP 1 READ/WRITEMEM_32 with the AP and
 * CSW[31:8], then GETLASTRWSTATUS2; 16-bit writes are WRITEMEM_16. */
TEST(mem32_read_write)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t a = 0, b = 0;
	struct access_op q[] = {
		{.ap = true, .reg = 0x00, .data = 0x23000052},
		{.ap = true, .reg = 0x04, .data = 0xE000ED00},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0xE000ED00, .out = &a},
		{.ap = true, .reg = 0x04, .data = 0x40022004},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_DRW | ACCESS_OP_SIDE_EFFECT, .size = 4, .mem_addr = 0x40022004, .data = 0x45670123},
		{.reg = 0x8, .data = 0x01000000},
		{.ap = true, .apsel = 1, .reg = 0x00, .data = 0xA2000002},
		{.ap = true, .apsel = 1, .reg = 0x04, .data = 0x30000000},
		{.ap = true, .apsel = 1, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x30000000, .out = &b},
		{.ap = true, .apsel = 1, .reg = 0x0C, .flags = ACCESS_OP_DRW | ACCESS_OP_SIDE_EFFECT, .size = 4, .mem_addr = 0x30000004, .data = 0x11223344},
		{.ap = true, .apsel = 1, .reg = 0x0C, .flags = ACCESS_OP_DRW | ACCESS_OP_SIDE_EFFECT, .size = 2, .mem_addr = 0x1FFFF802, .data = 0x55AA0000},
		{.ap = true, .reg = 0x04, .data = 0x20000000}, /* aims nothing: sent */
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x36, 0x00, 0xED, 0x00, 0xE0);
	REPLY(0x80, 0, 0, 0, 0x31, 0xC2, 0x1F, 0x41);
	CMD(0xF2, 0x35, 0x04, 0x20, 0x02, 0x40, 0x23, 0x01, 0x67, 0x45);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x4B, 0x01);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x07, 0x00, 0x00, 0x00, 0x30, 0x04, 0x00, 0x01, 0x00, 0x00, 0xA2);
	REPLY(0xEF, 0xBE, 0xAD, 0xDE);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CMD(0xF2, 0x08, 0x04, 0x00, 0x00, 0x30, 0x04, 0x00, 0x01, 0x00, 0x00, 0xA2);
	DATA(0x44, 0x33, 0x22, 0x11);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CMD(0xF2, 0x48, 0x02, 0xF8, 0xFF, 0x1F, 0x02, 0x00, 0x01, 0x00, 0x00, 0xA2);
	DATA(0xAA, 0x55);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CMD(0xF2, 0x46, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x20);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->run(ac, q, sizeof(q) / sizeof(q[0]), now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(a, 0x411FC231);
	CHECK_EQ_U(b, 0xDEADBEEF);
	close_connected(ac);
	CHECK(fake_done());
}

/* 300 words from 0x20000300: 64 words up to the 1 KB boundary, then 236. */
TEST(block_read)
{
	struct access *ac;
	struct access_fail fail = {0};
	static uint32_t words[300];
	uint8_t reply[1024];
	struct access_op q[] = {
		{.ap = true, .reg = 0x04, .data = 0x20000300},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .block = 300,
		 .block_buf = words, .mem_addr = 0x20000300},
	};

	ac = open_connected();
	if (!ac)
		return;
	for (size_t i = 0; i < sizeof(reply); i++)
		reply[i] = (uint8_t)i;
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x07, 0x00, 0x03, 0x00, 0x20, 0x00, 0x01);
	fake_push(true, reply, 256, 0);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x10, 12); /* AP WAIT: the piece is read again */
	CMD(0xF2, 0x07, 0x00, 0x03, 0x00, 0x20, 0x00, 0x01);
	fake_push(true, reply, 256, 0);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CMD(0xF2, 0x07, 0x00, 0x04, 0x00, 0x20, 0xB0, 0x03);
	fake_push(true, reply, 944, 0);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CHECK_EQ_I(ac->ops->run(ac, q, 2, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(words[0], 0x03020100);
	CHECK_EQ_U(words[63], 0xFFFEFDFC);
	CHECK_EQ_U(words[64], 0x03020100);
	CHECK_EQ_U(words[299], 0xAFAEADAC);
	close_connected(ac);
	CHECK(fake_done());
}

/* WAIT on a read: repeated until it answers. */
TEST(wait_then_success)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t v = 0;
	struct access_op q[] = {
		{.reg = 0x4, .data = 0x50000000, .flags = ACCESS_OP_SIDE_EFFECT},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x40022010, .out = &v},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x14, 0x00); /* DP WAIT on a DP write: not accepted, so sent again */
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x36, 0x10, 0x20, 0x02, 0x40);
	REPLY_STATUS(0x10, 8);
	CMD(0xF2, 0x36, 0x10, 0x20, 0x02, 0x40);
	REPLY(0x80, 0, 0, 0, 0x80, 0, 0, 0);
	CHECK_EQ_I(ac->ops->run(ac, q, 2, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(v, 0x80);
	close_connected(ac);
	CHECK(fake_done());
}

/* FAULT ends the run at the op that faulted; earlier reads keep values. */
TEST(fault_sets_at)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t dpidr = 0, v = 0;
	struct access_op q[] = {
		{.reg = 0x0, .flags = ACCESS_OP_READ, .out = &dpidr},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x1FFFF7E0, .out = &v},
		{.reg = 0x4, .flags = ACCESS_OP_READ},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY(0x80, 0, 0, 0, 0x77, 0x14, 0xA0, 0x1B);
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x36, 0xE0, 0xF7, 0xFF, 0x1F);
	REPLY_STATUS(0x11, 8);
	CHECK_EQ_I(ac->ops->run(ac, q, 3, now_ms() + 1000, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_FAULT);
	CHECK_EQ_U(fail.at, 1);
	CHECK_EQ_U(fail.raw, 0x11);
	CHECK_EQ_U(dpidr, 0x1BA01477);
	close_connected(ac);
	CHECK(fake_done());
}

/* Right after ENTER the firmware has powered the debug domain up: the
 * power-up request is not written when CTRL/STAT already shows the
 * acknowledges, is written when it does not, and is always written once
 * anything else has run since the ENTER. */
TEST(powerup_after_enter)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t dpidr = 0, ctrl = 0;
	struct access_op q[] = {
		{.reg = 0x0, .flags = ACCESS_OP_READ, .out = &dpidr},
		{.reg = 0x0, .data = 0x1E, .flags = ACCESS_OP_SIDE_EFFECT},
		{.reg = 0x4, .data = 0x50000000, .flags = ACCESS_OP_SIDE_EFFECT},
		{.reg = 0x4, .flags = ACCESS_OP_READ | ACCESS_OP_MATCH, .mask = 0xA0000000, .data = 0xA0000000, .out = &ctrl},
	};

	ac = open_connected();
	if (!ac)
		return;
	/* Powered by ENTER: DPIDR, ABORT, one CTRL/STAT read. */
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY(0x80, 0, 0, 0, 0x77, 0x14, 0xA0, 0x1B);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x00, 0x00, 0x1E, 0x00, 0x00, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0xF0);
	CHECK_EQ_I(ac->ops->run(ac, q, 4, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(dpidr, 0x1BA01477);
	CHECK_EQ_U(ctrl, 0xF0000000);
	/* Not fresh any more: the request is written, then matched. */
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0xF0);
	CHECK_EQ_I(ac->ops->run(ac, q + 2, 2, now_ms() + 1000, &fail), 0);
	/* Connect again at the same clock: ENTER only, the firmware keeps its
	 * clock. CTRL/STAT shows no acknowledge: the request is written after all. */
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), 0);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0x00);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY(0x80, 0, 0, 0, 0x00, 0x00, 0x00, 0xF0);
	CHECK_EQ_I(ac->ops->run(ac, q + 2, 2, now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(ctrl, 0xF0000000);
	/* ENTER again, the read faults: the write runs and its FAULT is at op 0. */
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->line_reset(ac, now_ms() + 1000), 0);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x04, 0x00);
	REPLY_STATUS(0x15, 8);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x15, 0x00);
	CHECK_EQ_I(ac->ops->run(ac, q + 2, 2, now_ms() + 1000, &fail), 1);
	CHECK_EQ_U(fail.at, 0);
	close_connected(ac);
	CHECK(fake_done());
}

/* Three or more 32-bit reads of AP 0 at consecutive addresses are one
 * READMEM_32 and its status; two stay READDEBUGREG each; a FAULT of the
 * joined read is reported at its first op, with no value stored. */
TEST(consecutive_reads_joined)
{
	struct access *ac;
	struct access_fail fail = {0};
	uint32_t uid[3] = {0}, pair[2] = {0};
	struct access_op q[] = {
		{.ap = true, .reg = 0x00, .data = 0xA2000012},
		{.ap = true, .reg = 0x04, .data = 0x1FFF7A10},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x1FFF7A10, .out = &uid[0]},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x1FFF7A14, .out = &uid[1]},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x1FFF7A18, .out = &uid[2]},
		{.ap = true, .reg = 0x04, .data = 0x20000000},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x20000000, .out = &pair[0]},
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x20000004, .out = &pair[1]},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x07, 0x10, 0x7A, 0xFF, 0x1F, 0x0C, 0x00, 0x00, 0x00, 0x00, 0xA2);
	REPLY(0x11, 0, 0, 0, 0x22, 0, 0, 0, 0x33, 0, 0, 0);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x80, 12);
	CMD(0xF2, 0x36, 0x00, 0x00, 0x00, 0x20);
	REPLY(0x80, 0, 0, 0, 0x44, 0, 0, 0);
	CMD(0xF2, 0x36, 0x04, 0x00, 0x00, 0x20);
	REPLY(0x80, 0, 0, 0, 0x55, 0, 0, 0);
	CHECK_EQ_I(ac->ops->run(ac, q, sizeof(q) / sizeof(q[0]), now_ms() + 1000, &fail), 0);
	CHECK_EQ_U(uid[0], 0x11);
	CHECK_EQ_U(uid[1], 0x22);
	CHECK_EQ_U(uid[2], 0x33);
	CHECK_EQ_U(pair[0], 0x44);
	CHECK_EQ_U(pair[1], 0x55);
	memset(uid, 0, sizeof(uid));
	CMD(0xF2, 0x07, 0x10, 0x7A, 0xFF, 0x1F, 0x0C, 0x00, 0x00, 0x00, 0x00, 0xA2);
	REPLY(0x11, 0, 0, 0, 0x22, 0, 0, 0, 0x33, 0, 0, 0);
	CMD(0xF2, 0x3E);
	REPLY_STATUS(0x11, 12);
	CHECK_EQ_I(ac->ops->run(ac, q, 5, now_ms() + 1000, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_FAULT);
	CHECK_EQ_U(fail.at, 2);
	CHECK_EQ_U(uid[0], 0);
	close_connected(ac);
	CHECK(fake_done());
}

/* A side-effect write whose status is WAIT from a memory command, from an
 * AP register write (posted, confirmed by an RDBUFF read under the same
 * status), or on the other port, may have happened: never sent again. A DP
 * register write WAITed on the DP was not accepted: sent again. */
TEST(side_effect_write_never_twice)
{
	struct access *ac;
	struct access_fail fail = {0};
	struct access_op mem[] = {
		{.ap = true, .reg = 0x0C, .flags = ACCESS_OP_DRW | ACCESS_OP_SIDE_EFFECT, .size = 4, .mem_addr = 0x40022004, .data = 0x45670123},
	};
	struct access_op reg[] = {
		{.ap = true, .reg = 0x10, .data = 0x1, .flags = ACCESS_OP_SIDE_EFFECT},
	};
	struct access_op dp[] = {
		{.reg = 0x4, .data = 0x50000000, .flags = ACCESS_OP_SIDE_EFFECT},
	};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x4B, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x35, 0x04, 0x20, 0x02, 0x40, 0x23, 0x01, 0x67, 0x45);
	REPLY(0x10, 0x00);
	CHECK_EQ_I(ac->ops->run(ac, mem, 1, now_ms() + 1000, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_WAIT);
	CHECK_EQ_U(fail.at, 0);
	CMD(0xF2, 0x46, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00);
	REPLY(0x14, 0x00); /* DP WAIT on an AP write: the SELECT or the write? */
	CHECK_EQ_I(ac->ops->run(ac, reg, 1, now_ms() + 1000, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_WAIT);
	CMD(0xF2, 0x46, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00);
	REPLY(0x10, 0x00); /* AP WAIT: the write, or the RDBUFF read after it? */
	CHECK_EQ_I(ac->ops->run(ac, reg, 1, now_ms() + 1000, &fail), 1);
	CHECK_EQ_I(fail.ack, ACCESS_ACK_WAIT);
	CHECK_EQ_U(fail.raw, 0x10);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x14, 0x00); /* DP WAIT on a DP write: not accepted */
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x04, 0x00, 0x00, 0x00, 0x00, 0x50);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(ac->ops->run(ac, dp, 1, now_ms() + 1000, &fail), 0);
	close_connected(ac);
	CHECK(fake_done());
}

TEST(short_reply_and_no_status)
{
	struct access *ac;
	struct access_fail fail = {0};
	struct access_op q[] = {{.reg = 0x0, .flags = ACCESS_OP_READ}};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY(0x80, 0, 0, 0);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() + 1000, &fail), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "READ_DAP_REG with 4 bytes; 8 expected") != NULL);
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY_STATUS(0x77, 8);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() + 1000, &fail), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "0x77, which is no status") != NULL);
	close_connected(ac);
	CHECK(fake_done());
}

TEST(old_firmware_says_so)
{
	struct access *ac = NULL;
	struct access_fail fail = {0};
	struct access_op q[] = {
		{.ap = true, .apsel = 1, .reg = 0x0C, .flags = ACCESS_OP_READ | ACCESS_OP_DRW, .size = 4, .mem_addr = 0x0},
	};

	fake_reset();
	script_open_v2(0x24, 0x44); /* V2J17S4 */
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), -ERR_PROBE_UNSUPPORTED);
	CHECK(strstr(err_detail(), "V2J17S4 is too old") != NULL);
	CHECK(strstr(err_detail(), "needs V2J24 or later") != NULL);
	CHECK(strstr(err_detail(), "STLinkUpgrade or STM32CubeProgrammer") != NULL);
	ac->ops->close(ac);
	CHECK(fake_done());

	/* V2J29S7: DAP registers yes, memory through AP 1 no. */
	fake_reset();
	script_open_v2(0x27, 0x47);
	CMD(0xF2, 0x43, 0x03, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x80, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_STR(ac->id.firmware_version, "V2J29S7");
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), 0);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() + 1000, &fail), -ERR_PROBE_UNSUPPORTED);
	CHECK(strstr(err_detail(), "V2J29S7 is too old for memory access through an AP other than 0") != NULL);
	CHECK(strstr(err_detail(), "V2J32") != NULL);
	close_connected(ac);
	CHECK(fake_done());
}

/* DEBUG_ERR_FAULT (0x81) is no SWD answer: the probe's own failure, in a
 * run and outside one; a command that does not reach the target
 * (SWD_SET_FREQ, DRIVE_NRST) blames the probe for any refusal. */
TEST(probe_own_failure_is_not_the_target)
{
	struct access *ac = NULL;
	struct access_fail fail = {0};
	struct access_op q[] = {{.reg = 0x0, .flags = ACCESS_OP_READ}};

	ac = open_connected();
	if (!ac)
		return;
	CMD(0xF2, 0x45, 0xFF, 0xFF, 0x00, 0x00);
	REPLY_STATUS(0x81, 8);
	CHECK_EQ_I(ac->ops->run(ac, q, 1, now_ms() + 1000, &fail), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "DEBUG_ERR_FAULT (0x81), an error of its own") != NULL);
	CMD(0xF2, 0x3C, 0x00);
	REPLY(0x14, 0x00);
	CHECK_EQ_I(ac->ops->set_nreset(ac, true), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "asserting nRESET with SWD_DP_WAIT (0x14)") != NULL);
	CMD(0xF2, 0x46, 0xFF, 0xFF, 0x00, 0x00, 0x1E, 0x00, 0x00, 0x00);
	REPLY(0x16, 0x00);
	CHECK_EQ_I(ac->ops->abort(ac, 0x1E), -ERR_TARGET_NOT_RESPONDING);
	close_connected(ac);
	CHECK(fake_done());

	fake_reset();
	script_open_v2(0x29, 0x47);
	CMD(0xF2, 0x43, 0x03, 0x00);
	REPLY(0x81, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms() + 1000), -ERR_PROBE_PROTOCOL);
	CHECK(strstr(err_detail(), "SWD_SET_FREQ with DEBUG_ERR_FAULT (0x81)") != NULL);
	ac->ops->close(ac);
	CHECK(fake_done());
}

/* ENTER repeats WAIT for 1 s at most, and no longer than the caller's
 * deadline: a caller that gives WAIT 0 ms gets one ENTER. */
TEST(enter_wait_until_the_callers_deadline)
{
	struct access *ac = NULL;

	fake_reset();
	script_open_v2(0x29, 0x47);
	CMD(0xF2, 0x43, 0x03, 0x00);
	REPLY(0x80, 0x00);
	CMD(0xF2, 0x30, 0xA3);
	REPLY(0x14, 0x00);
	CHECK_EQ_I(stlink_access_ops.open(&fake_probe.base, &ac), 0);
	if (!ac)
		return;
	CHECK_EQ_I(ac->ops->connect(ac, 1000000, false, now_ms()), -ERR_TARGET_NOT_RESPONDING);
	CHECK(strstr(err_detail(), "SWD_DP_WAIT (0x14)") != NULL);
	ac->ops->close(ac);
	CHECK(fake_done());
}

int main(void)
{
	RUN(version_decode);
	RUN(version_v3_and_mode_exit);
	RUN(voltage_arithmetic);
	RUN(connect_under_reset);
	RUN(connect_fails_without_target);
	RUN(dp_read_write);
	RUN(ap_read_with_apsel);
	RUN(match_poll);
	RUN(mem32_read_write);
	RUN(block_read);
	RUN(wait_then_success);
	RUN(fault_sets_at);
	RUN(powerup_after_enter);
	RUN(consecutive_reads_joined);
	RUN(side_effect_write_never_twice);
	RUN(short_reply_and_no_status);
	RUN(old_firmware_says_so);
	RUN(probe_own_failure_is_not_the_target);
	RUN(enter_wait_until_the_callers_deadline);
	return check_summary();
}
