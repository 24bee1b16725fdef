/*
 * Every CMSIS-DAP command's encoding, byte for byte, against ARM's command
 * reference (ref_dap.txt; docs/probe/cmsis-dap.md), and every decoder
 * against truncated, mismatched and oversized replies.
 */
#include "check.h"
#include "dap/dap_commands.h"
#include "err.h"

static int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	return memcmp(a, b, n) == 0;
}

#define ENC(expr, ...)                                                         \
	do {                                                                   \
		static const uint8_t want_[] = {__VA_ARGS__};                  \
		uint8_t buf_[64];                                              \
		uint8_t *buf = buf_;                                           \
		int n_ = (expr);                                               \
		CHECK_EQ_I(n_, (int)sizeof(want_));                            \
		CHECK(n_ > 0 && bytes_eq(buf_, want_, sizeof(want_)));         \
		(void)buf;                                                     \
	} while (0)

TEST(encodings)
{
	ENC(dap_commands_info_encode(buf, 64, DAP_INFO_PACKET_SIZE), 0x00, 0xFF);
	ENC(dap_commands_host_status_encode(buf, 64, 0, 1), 0x01, 0x00, 0x01);
	ENC(dap_commands_connect_encode(buf, 64, DAP_PORT_SWD), 0x02, 0x01);
	ENC(dap_commands_disconnect_encode(buf, 64), 0x03);
	ENC(dap_commands_transfer_configure_encode(buf, 64, 0, 64, 0), 0x04, 0x00, 0x40, 0x00, 0x00, 0x00);
	ENC(dap_commands_swj_pins_encode(buf, 64, 0, 0x80, 0), 0x10, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00);
	ENC(dap_commands_swj_pins_encode(buf, 64, 0x80, 0x80, 100000), 0x10, 0x80, 0x80, 0xA0, 0x86, 0x01, 0x00);
	ENC(dap_commands_swj_clock_encode(buf, 64, 1000000), 0x11, 0x40, 0x42, 0x0F, 0x00);
	ENC(dap_commands_swd_configure_encode(buf, 64, 0), 0x13, 0x00);
	ENC(dap_commands_write_abort_encode(buf, 64, 0x1E), 0x08, 0x00, 0x1E, 0x00, 0x00, 0x00);
}

TEST(swj_sequence_jtag_to_swd)
{
	static const uint8_t seq[17] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E, 0xE7,
					0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
	uint8_t buf[64], all[32] = {0};

	CHECK_EQ_I(dap_commands_swj_sequence_encode(buf, sizeof(buf), 136, seq), 19);
	CHECK_EQ_U(buf[0], 0x12);
	CHECK_EQ_U(buf[1], 0x88);
	CHECK(bytes_eq(buf + 2, seq, 17));
	CHECK_EQ_I(dap_commands_swj_sequence_encode(buf, sizeof(buf), 256, all), 34);
	CHECK_EQ_U(buf[1], 0x00); /* 256 bits travel as 0 */
	CHECK(dap_commands_swj_sequence_encode(buf, sizeof(buf), 0, all) < 0);
	CHECK(dap_commands_swj_sequence_encode(buf, sizeof(buf), 257, all) < 0);
	CHECK(dap_commands_swj_sequence_encode(buf, 10, 136, seq) < 0); /* does not fit */
}

/* The multidrop TARGETSEL write (ADIv5.2 B4.3.4) as DAP_SWD_Sequence: the
 * request 0x99, 5 cycles in, 32 data bits and their even parity. */
TEST(swd_targetsel)
{
	static const uint8_t core0[] = {0x1D, 3, 8, 0x99, 0x85, 33, 0x27, 0x29, 0x00, 0x01, 0};
	static const uint8_t ok[] = {0x1D, 0x00, 0x1F}, err[] = {0x1D, 0xFF, 0x00}, unknown[] = {0xFF};
	uint8_t buf[64];

	CHECK_EQ_I(dap_commands_swd_targetsel_encode(buf, sizeof(buf), 0x01002927u), 11);
	CHECK(bytes_eq(buf, core0, sizeof(core0)));
	CHECK_EQ_I(dap_commands_swd_targetsel_encode(buf, sizeof(buf), 0x11002927u), 11);
	CHECK_EQ_U(buf[10], 1); /* nine ones: odd */
	CHECK(dap_commands_swd_targetsel_encode(buf, 10, 0x01002927u) < 0); /* does not fit */
	CHECK(dap_commands_swd_targetsel_decode(ok, 3) >= 0);
	CHECK_EQ_I(dap_commands_swd_targetsel_decode(ok, 2), -ERR_PROBE_PROTOCOL); /* the input byte missing */
	CHECK_EQ_I(dap_commands_swd_targetsel_decode(err, 3), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_swd_targetsel_decode(unknown, 1), -ERR_PROBE_UNSUPPORTED);
}

TEST(transfer_encoding)
{
	/* SELECT 0, CSW, TAR = CPUID, read DRW: the shape of the batch in
	 * docs/probe/cmsis-dap.md, "Example: the first batch after power-up". */
	static const uint8_t want[] = {0x05, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x01,
				       0x52, 0x00, 0x00, 0x23, 0x05, 0x00, 0xED, 0x00, 0xE0, 0x0F};
	const struct dap_xfer x[] = {
		{0x08, 0}, {0x01, 0x23000052}, {0x05, 0xE000ED00}, {0x0F, 0},
	};
	uint8_t buf[64];

	CHECK_EQ_I(dap_commands_transfer_encode(buf, sizeof(buf), x, 4), (int)sizeof(want));
	CHECK(bytes_eq(buf, want, sizeof(want)));
	CHECK_EQ_U(dap_commands_transfer_request_size(x, 4), sizeof(want));
	CHECK_EQ_U(dap_commands_transfer_response_size(x, 4), 3 + 4);
	CHECK(dap_commands_transfer_encode(buf, 10, x, 4) < 0);
	CHECK(dap_commands_transfer_encode(buf, sizeof(buf), x, 0) < 0);
}

TEST(transfer_block_encoding)
{
	static const uint8_t want_read[] = {0x06, 0x00, 0x10, 0x00, 0x0F};
	static const uint8_t want_write[] = {0x06, 0x00, 0x02, 0x00, 0x0D, 1, 0, 0, 0, 2, 0, 0, 0};
	const uint32_t w[2] = {1, 2};
	uint8_t buf[64];

	CHECK_EQ_I(dap_commands_transfer_block_encode(buf, sizeof(buf), 0x0F, NULL, 16), 5);
	CHECK(bytes_eq(buf, want_read, 5));
	CHECK_EQ_I(dap_commands_transfer_block_encode(buf, sizeof(buf), 0x0D, w, 2), 13);
	CHECK(bytes_eq(buf, want_write, 13));
	CHECK(dap_commands_transfer_block_encode(buf, sizeof(buf), 0x0F, NULL, 0) < 0);
	CHECK(dap_commands_transfer_block_encode(buf, 12, 0x0D, w, 2) < 0);
}

TEST(status_decoders)
{
	static const struct {
		uint8_t rsp[3];
		size_t len;
		int (*decode)(const uint8_t *, size_t);
		int want;
	} cases[] = {
		{{0x11, 0x00}, 2, dap_commands_swj_clock_decode, 2},
		{{0x11, 0xFF}, 2, dap_commands_swj_clock_decode, -ERR_PROBE_PROTOCOL},  /* DAP_ERROR */
		{{0x12, 0x00}, 2, dap_commands_swj_sequence_decode, 2},
		{{0x13, 0x00}, 1, dap_commands_swd_configure_decode, -ERR_PROBE_PROTOCOL}, /* short */
		{{0x04, 0x00}, 2, dap_commands_transfer_configure_decode, 2},
		{{0x05, 0x00}, 2, dap_commands_transfer_configure_decode, -ERR_PROBE_PROTOCOL}, /* echo */
		{{0xFF}, 1, dap_commands_host_status_decode, -ERR_PROBE_UNSUPPORTED},
		{{0x08, 0x00}, 2, dap_commands_write_abort_decode, 2},
		{{0x03, 0x00}, 2, dap_commands_disconnect_decode, 2},
		{{0}, 0, dap_commands_disconnect_decode, -ERR_PROBE_PROTOCOL}, /* empty */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ_I(cases[i].decode(cases[i].rsp, cases[i].len), cases[i].want);
}

TEST(info_decoder)
{
	static const uint8_t ver[] = {0x00, 0x06, '2', '.', '1', '.', '2', 0x00};
	static const uint8_t lying[] = {0x00, 0x40, 'x'};
	static const uint8_t empty[] = {0x00, 0x00};
	const uint8_t *v;
	size_t vl;

	CHECK_EQ_I(dap_commands_info_decode(ver, sizeof(ver), &v, &vl), 8);
	CHECK_EQ_U(vl, 6);
	CHECK(memcmp(v, "2.1.2", 6) == 0);
	CHECK_EQ_I(dap_commands_info_decode(lying, sizeof(lying), &v, &vl), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_info_decode(empty, sizeof(empty), &v, &vl), 2);
	CHECK_EQ_U(vl, 0);
}

/* DAP_Info strings from a probe become text that is UTF-8 without control
 * bytes, whatever the probe sends (a TCP probe may send anything). */
TEST(info_text)
{
	static const struct {
		const char *val;
		size_t vlen;
		size_t cap;
		const char *want;
	} cases[] = {
		/* value                        vlen cap  text */
		{"DAPLink CMSIS-DAP\0",          18, 128, "DAPLink CMSIS-DAP"},
		{"caf\xc3\xa9\0",                 6, 128, "caf\xc3\xa9"},
		{"no terminator",                13, 128, "no terminator"},
		{"ab\0cd",                        5, 128, "ab"},
		{"\xc0\xafSER\x01\0",              7, 128, "\\xc0\\xafSER\\x01"},
		{"x\naudit: forged\0",            16, 128, "x\\naudit: forged"},
		{"\xed\xa0\x80\xff\0",             5, 128, "\\xed\\xa0\\x80\\xff"},
		{"0123456789\0",                 11,   8, "0123456"},
		{"\xff\xff\xff\0",                  4,   8, "\\xff"},
		{"",                              0, 128, ""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128];
		size_t n = dap_commands_info_text((const uint8_t *)cases[i].val, cases[i].vlen, out, cases[i].cap);

		CHECK_STR(out, cases[i].want);
		CHECK_EQ_U(n, strlen(cases[i].want));
	}
}

TEST(connect_and_pins_decoders)
{
	static const uint8_t ok[] = {0x02, 0x01}, pins[] = {0x10, 0x83};
	uint8_t port = 9, in = 0;

	CHECK_EQ_I(dap_commands_connect_decode(ok, 2, &port), 2);
	CHECK_EQ_U(port, 1);
	CHECK_EQ_I(dap_commands_swj_pins_decode(pins, 2, &in), 2);
	CHECK_EQ_U(in, 0x83);
	CHECK_EQ_I(dap_commands_swj_pins_decode(pins, 1, &in), -ERR_PROBE_PROTOCOL);
}

TEST(transfer_decoder_success)
{
	const struct dap_xfer x[] = {{0x02, 0}, {0x06, 0}, {0x04, 0x50000000}};
	static const uint8_t rsp[] = {0x05, 0x03, 0x01, 0x77, 0x14, 0xA0, 0x2B, 0x00, 0x00, 0x00, 0xF0};
	struct dap_transfer_result r;
	uint32_t w[4] = {0};

	CHECK_EQ_I(dap_commands_transfer_decode(rsp, sizeof(rsp), x, 3, w, &r), 11);
	CHECK_EQ_U(r.executed, 3);
	CHECK_EQ_U(r.response, 1);
	CHECK_EQ_U(r.nwords, 2);
	CHECK_EQ_U(w[0], 0x2BA01477);
	CHECK_EQ_U(w[1], 0xF0000000);
}

TEST(transfer_decoder_hostile)
{
	const struct dap_xfer x[] = {{0x02, 0}, {0x06, 0}};
	static const uint8_t too_many[] = {0x05, 0x07, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t short_data[] = {0x05, 0x02, 0x01, 0x77, 0x14};
	static const uint8_t wrong_echo[] = {0x06, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t no_ack[] = {0x05, 0x00, 0x07};
	struct dap_transfer_result r;
	uint32_t w[2];

	CHECK_EQ_I(dap_commands_transfer_decode(too_many, sizeof(too_many), x, 2, w, &r), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_transfer_decode(short_data, sizeof(short_data), x, 2, w, &r), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_transfer_decode(wrong_echo, sizeof(wrong_echo), x, 2, w, &r), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_transfer_decode(no_ack, sizeof(no_ack), x, 2, w, &r), 3);
	CHECK_EQ_U(r.executed, 0);
	CHECK_EQ_U(r.response, 7);
	CHECK_EQ_U(r.nwords, 0);
}

/* DAP.c posts AP reads: when the transfer after an AP read fails, that read's
 * value was never collected and must not be taken from the reply. */
TEST(transfer_decoder_posted_read_on_failure)
{
	const struct dap_xfer x[] = {{0x02, 0}, {0x0F, 0}, {0x0F, 0}};
	static const uint8_t rsp[] = {0x05, 0x02, 0x04, 0x77, 0x14, 0xA0, 0x2B};
	static const uint8_t rsp_dp[] = {0x05, 0x02, 0x02, 0x77, 0x14, 0xA0, 0x2B};
	const struct dap_xfer y[] = {{0x0F, 0}, {0x01, 5}};
	struct dap_transfer_result r;
	uint32_t w[3] = {0};

	CHECK_EQ_I(dap_commands_transfer_decode(rsp, sizeof(rsp), x, 3, w, &r), 7);
	CHECK_EQ_U(r.executed, 2);
	CHECK_EQ_U(r.nwords, 1); /* the DPIDR; the first DRW value stayed posted */
	CHECK_EQ_U(r.response, DAP_ACK_FAULT);
	CHECK_EQ_I(dap_commands_transfer_decode(rsp_dp, sizeof(rsp_dp), x, 3, w, &r), 7);
	CHECK_EQ_U(r.nwords, 1);
	/* A write after an AP read first collects it: executed 1 of [read, write]
	 * means the write failed before it could; the read stays posted. */
	CHECK_EQ_I(dap_commands_transfer_decode((const uint8_t[]){0x05, 0x01, 0x02}, 3, y, 2, w, &r), 3);
	CHECK_EQ_U(r.nwords, 0);
}

TEST(transfer_block_decoder)
{
	static const uint8_t rsp[] = {0x06, 0x02, 0x00, 0x01, 1, 0, 0, 0, 2, 0, 0, 0};
	static const uint8_t over[] = {0x06, 0x09, 0x00, 0x01};
	static const uint8_t partial[] = {0x06, 0x01, 0x00, 0x02, 7, 0, 0, 0};
	struct dap_transfer_result r;
	uint32_t w[2] = {0};

	CHECK_EQ_I(dap_commands_transfer_block_decode(rsp, sizeof(rsp), 0x0F, 2, w, &r), 12);
	CHECK_EQ_U(w[0], 1);
	CHECK_EQ_U(w[1], 2);
	CHECK_EQ_I(dap_commands_transfer_block_decode(over, sizeof(over), 0x0F, 2, w, &r), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_transfer_block_decode(rsp, 8, 0x0F, 2, w, &r), -ERR_PROBE_PROTOCOL);
	CHECK_EQ_I(dap_commands_transfer_block_decode(partial, sizeof(partial), 0x0F, 2, w, &r), 8);
	CHECK_EQ_U(r.nwords, 1);
	CHECK_EQ_U(r.response, DAP_ACK_WAIT);
}

/* Arbitrary bytes as the probe's answer never make a decoder read past LEN. */
TEST(decoders_never_overread)
{
	const struct dap_xfer x[] = {{0x02, 0}, {0x0F, 0}, {0x0F, 0}, {0x06, 0}};
	uint8_t buf[64];
	uint32_t seed = 1, w[64];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(seed % 40);
		struct dap_transfer_result r;
		const uint8_t *v;
		size_t vl;
		uint8_t port, in;
		int rc;

		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		buf[0] = (uint8_t)(iter % 3 == 0 ? 0x05 : iter % 3 == 1 ? 0x06 : 0x00);
		rc = dap_commands_transfer_decode(buf, len, x, 4, w, &r);
		CHECK(rc <= (int)len);
		rc = dap_commands_transfer_block_decode(buf, len, 0x0F, 12, w, &r);
		CHECK(rc <= (int)len);
		rc = dap_commands_info_decode(buf, len, &v, &vl);
		CHECK(rc <= (int)len);
		CHECK(rc < 0 || v + vl <= buf + len);
		CHECK(dap_commands_connect_decode(buf, len, &port) <= (int)len);
		CHECK(dap_commands_swj_pins_decode(buf, len, &in) <= (int)len);
	}
}

int main(void)
{
	RUN(encodings);
	RUN(swj_sequence_jtag_to_swd);
	RUN(swd_targetsel);
	RUN(transfer_encoding);
	RUN(transfer_block_encoding);
	RUN(status_decoders);
	RUN(info_decoder);
	RUN(info_text);
	RUN(connect_and_pins_decoders);
	RUN(transfer_decoder_success);
	RUN(transfer_decoder_hostile);
	RUN(transfer_decoder_posted_read_on_failure);
	RUN(transfer_block_decoder);
	RUN(decoders_never_overread);
	return check_summary();
}
