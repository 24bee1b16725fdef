/*
 * test_sim_dap.c - the simulated DAPLink firmware and SW-DP, driven with raw
 * CMSIS-DAP bytes through sim.h only.
 */
#include "test_sim_util.h"

#include <errno.h>

TEST(info_answers)
{
	struct sim_options o = { 0 };
	struct sim_probe *sp;
	uint8_t r[TS_CAP];
	int n;

	o.serial = "0240000012345678";
	CHECK_EQ_I(sim_probe_create("stm32f401re-rdp1", &o, &sp), 0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r);
	CHECK_EQ_I(n, 6);
	CHECK(memcmp(r, "\x00\x04" "ARM\0", 6) == 0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0x02 }, 2, r);
	CHECK_EQ_I(n, 2 + 18);
	CHECK_STR((const char *)r + 2, "DAPLink CMSIS-DAP");
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0x03 }, 2, r);
	CHECK_EQ_I(r[1], 17);
	CHECK_STR((const char *)r + 2, "0240000012345678");
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0x04 }, 2, r);
	CHECK(n == 8 && memcmp(r, "\x00\x06" "2.1.1\0", 8) == 0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0xF0 }, 2, r);
	CHECK_EQ_I(n, 4);
	CHECK_EQ_U(r[1], 2);
	CHECK_EQ_U(r[2] & 0x01, 0x01); /* SWD */
	CHECK_EQ_U(r[2] & 0x02, 0x00); /* no JTAG */
	CHECK_EQ_U(r[2] & 0x10, 0x10); /* atomic commands */
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0xFF }, 2, r);
	CHECK(n == 4 && r[1] == 2 && r[2] == 0x40 && r[3] == 0x00);
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0xFE }, 2, r);
	CHECK(n == 3 && r[1] == 1 && r[2] == 4);
	n = ts_cmd(sp, (const uint8_t[]){ 0x00, 0x05 }, 2, r);
	CHECK(n == 2 && r[1] == 0); /* no fixed target */
	CHECK_STR(sim_probe_vendor(sp), "ARM");
	CHECK_EQ_U(sim_probe_packet_size(sp), 64);
	sim_probe_destroy(sp);
}

/* Simple commands: each answer byte for byte (table-driven). */
TEST(simple_commands)
{
	static const struct {
		uint8_t req[8];
		size_t req_len;
		uint8_t rsp[4];
		int rsp_len;
	} t[] = {
		{ { 0x01, 0x00, 0x01 }, 3, { 0x01, 0x00 }, 2 },               /* HostStatus */
		{ { 0x01, 0x05, 0x01 }, 3, { 0x01, 0xFF }, 2 },               /* bad LED */
		{ { 0x02, 0x02 }, 2, { 0x02, 0x00 }, 2 },                     /* JTAG: failed */
		{ { 0x02, 0x01 }, 2, { 0x02, 0x01 }, 2 },                     /* SWD */
		{ { 0x02, 0x00 }, 2, { 0x02, 0x01 }, 2 },                     /* default = SWD */
		{ { 0x11, 0x40, 0x42, 0x0F, 0x00 }, 5, { 0x11, 0x00 }, 2 },   /* 1 MHz */
		{ { 0x11, 0, 0, 0, 0 }, 5, { 0x11, 0xFF }, 2 },               /* 0 Hz */
		{ { 0x13, 0x00 }, 2, { 0x13, 0x00 }, 2 },
		{ { 0x09, 0x01, 0x00 }, 3, { 0x09, 0x00 }, 2 },               /* Delay 1 us */
		{ { 0x0A }, 1, { 0x0A, 0x00, 0x00 }, 3 },                     /* ResetTarget */
		{ { 0x07 }, 1, { 0 }, 0 },                                    /* TransferAbort */
		{ { 0x08, 0x00, 0x1E, 0, 0, 0 }, 6, { 0x08, 0x00 }, 2 },      /* WriteABORT */
		{ { 0x14, 0x00 }, 2, { 0xFF }, 1 },                           /* JTAG_Sequence */
		{ { 0x85 }, 1, { 0xFF }, 1 },                                 /* vendor */
		{ { 0x42 }, 1, { 0xFF }, 1 },                                 /* unknown */
		{ { 0x06, 0x00, 0x00, 0x00, 0x0F }, 5, { 0x06, 0, 0, 0 }, 4 }, /* block of 0 */
		{ { 0x03 }, 1, { 0x03, 0x00 }, 2 },                           /* Disconnect */
		{ { 0x08, 0x00, 0x1E, 0, 0, 0 }, 6, { 0x08, 0xFF }, 2 },      /* no port */
		{ { 0x05, 0x00, 0x01, 0x02 }, 4, { 0x05, 0x00, 0x00 }, 3 },   /* no port */
		{ { 0x06, 0x00, 0x02, 0x00, 0x0F }, 5, { 0x06, 0, 0, 0 }, 4 }, /* no port */
	};
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t r[TS_CAP];
		int n = ts_cmd(sp, t[i].req, t[i].req_len, r);

		CHECK_EQ_I(n, t[i].rsp_len);
		if (n == t[i].rsp_len && memcmp(r, t[i].rsp, (size_t)n) != 0) {
			fprintf(stderr, "  case %zu: response differs\n", i);
			CHECK(0);
		}
	}
	sim_probe_destroy(sp);
}

TEST(dpidr_needs_jtag_to_swd)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint32_t v = 0;
	unsigned cnt = 9;

	ts_port_on(sp);
	/* Power-on: the SWJ-DP is in JTAG mode; a line reset alone is not enough. */
	CHECK_EQ_U(ts_xfer(sp, 0x02, 0, &v, &cnt), 7);
	CHECK_EQ_U(cnt, 0);
	ts_line_reset(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	ts_jtag_to_swd(sp);
	CHECK_EQ_U(ts_xfer(sp, 0x02, 0, &v, &cnt), 1);
	CHECK_EQ_U(cnt, 1);
	CHECK_EQ_U(v, 0x2BA01477u);
	sim_probe_destroy(sp);
}

TEST(exact_dpidr_bytes)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint8_t r[TS_CAP];
	int n;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x01, 0x02 }, 4, r);
	CHECK_EQ_I(n, 7);
	CHECK(memcmp(r, "\x05\x01\x01\x77\x14\xA0\x2B", 7) == 0);
	sim_probe_destroy(sp);
}

TEST(line_reset_only_dpidr)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint32_t v = 0;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	/* reset state: CTRL/STAT read, SELECT write, AP read are not answered */
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 7);
	CHECK_EQ_U(ts_xfer(sp, 0x08, 0, NULL, NULL), 7);
	CHECK_EQ_U(ts_xfer(sp, 0x0F, 0, &v, NULL), 7);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	ts_line_reset(sp);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 7);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	sim_probe_destroy(sp);
}

TEST(dormant_wakeup_dpv2_only)
{
	/* JTAG-to-dormant, then dormant-to-SWD (§6), as one SWJ_Sequence each. */
	static const uint8_t to_dormant[] = { 0x12, 40, 0xFF, 0x75, 0x77, 0x77, 0x67 };
	static const uint8_t wake[] = { 0x12, 224 - 0, 0xFF, 0x92, 0xF3, 0x09, 0x62, 0x95, 0x2D,
					0x85, 0x86, 0xE9, 0xAF, 0xDD, 0xE3, 0xA2, 0x0E, 0xBC,
					0x19, 0xA0, 0xF1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
					0xFF, 0xFF, 0x00 };
	const char *prof[2] = { "stm32f746zg-rdp1", "stm32f401re-rdp1" };
	unsigned want[2] = { 1, 7 };

	for (int i = 0; i < 2; i++) {
		struct sim_probe *sp = ts_open(prof[i], 1.0);
		uint8_t r[TS_CAP];
		uint32_t v = 0;

		ts_port_on(sp);
		CHECK_EQ_I(ts_cmd(sp, to_dormant, sizeof(to_dormant), r), 2);
		CHECK_EQ_I(ts_cmd(sp, wake, 2 + 28, r), 2);
		CHECK_EQ_U(ts_dpidr(sp, &v), want[i]);
		if (i == 0)
			CHECK_EQ_U(v, 0x5BA02477u);
		sim_probe_destroy(sp);
	}
}

TEST(power_up_handshake)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint8_t r[TS_CAP];
	uint32_t v = 0;
	int n;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	CHECK_EQ_U(v & 0xF0000000u, 0);
	/* Without power-up the AP does not answer. */
	CHECK_EQ_U(ts_xfer(sp, 0x0F, 0, &v, NULL), 4);
	CHECK_EQ_U(ts_abort(sp), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x04, 0x50000000u, NULL, NULL), 1);
	/* Let the probe poll: match mask A0000000, value-match read of CTRL/STAT. */
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x02, 0x20, 0x00, 0x00, 0x00, 0xA0, 0x16,
					 0x00, 0x00, 0x00, 0xA0 }, 13, r);
	CHECK_EQ_I(n, 3);
	CHECK(r[1] == 2 && r[2] == 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	CHECK_EQ_U(v, 0xF0000000u);
	/* AP0 IDR: SELECT bank 0xF, read 0x0F */
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x02, 0x08, 0xF0, 0x00, 0x00, 0x00, 0x0F }, 9, r);
	CHECK(n == 7 && r[1] == 2 && r[2] == 1);
	CHECK_EQ_U(ts_get32(r + 3), 0x24770011u);
	/* BASE then IDR of AP 1 (nothing there: 0) */
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x03, 0x0B, 0x08, 0xF0, 0x00, 0x00, 0x01, 0x0F }, 10, r);
	CHECK(n == 11 && r[1] == 3 && r[2] == 1);
	CHECK_EQ_U(ts_get32(r + 3), 0xE00FF003u);
	CHECK_EQ_U(ts_get32(r + 7), 0);
	sim_probe_destroy(sp);
}

TEST(value_match_mismatch)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint8_t r[TS_CAP];
	struct sim_counters c0, c1;
	int n;

	CHECK_EQ_U(ts_attach(sp), 1);
	/* match_retry 3; wait for a CTRL/STAT bit that never comes (CDBGRSTACK) */
	ts_cmd(sp, (const uint8_t[]){ 0x04, 0x00, 0x40, 0x00, 0x03, 0x00 }, 6, r);
	sim_probe_get_counters(sp, &c0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x02, 0x20, 0x00, 0x00, 0x00, 0x08, 0x16,
					 0x00, 0x00, 0x00, 0x08 }, 13, r);
	sim_probe_get_counters(sp, &c1);
	CHECK_EQ_I(n, 3);
	CHECK_EQ_U(r[1], 1);    /* the mask write completed */
	CHECK_EQ_U(r[2], 0x11); /* OK | mismatch */
	CHECK_EQ_U(c1.swd_transfers - c0.swd_transfers, 4); /* 1 + match_retry reads */
	sim_probe_destroy(sp);
}

TEST(posted_ap_reads_in_order)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 1.0);
	uint8_t r[TS_CAP];
	struct sim_counters c0, c1;
	int n;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_I(sim_probe_poke32(sp, 0x20000000, 0x11111111u), 0);
	CHECK_EQ_I(sim_probe_poke32(sp, 0x20000004, 0x22222222u), 0);
	CHECK_EQ_I(sim_probe_poke32(sp, 0x20000008, 0x33333333u), 0);
	/* SELECT 0, CSW, TAR, DRW, DRW, DP CTRL/STAT read, DRW */
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x07, 0x08, 0, 0, 0, 0, 0x01, 0x52, 0x00, 0x00,
					 0x23, 0x05, 0x00, 0x00, 0x00, 0x20, 0x0F, 0x0F, 0x06, 0x0F },
		   22, r);
	CHECK_EQ_I(n, 3 + 16);
	CHECK(r[1] == 7 && r[2] == 1);
	CHECK_EQ_U(ts_get32(r + 3), 0x11111111u);
	CHECK_EQ_U(ts_get32(r + 7), 0x22222222u);
	CHECK_EQ_U(ts_get32(r + 11), 0xF0000000u);
	CHECK_EQ_U(ts_get32(r + 15), 0x33333333u);
	/* TransferBlock read of 3 words: post + 2 AP reads + RDBUFF = 4 on the wire */
	ts_xfer(sp, 0x05, 0x20000000u, NULL, NULL);
	sim_probe_get_counters(sp, &c0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x06, 0x00, 0x03, 0x00, 0x0F }, 5, r);
	sim_probe_get_counters(sp, &c1);
	CHECK_EQ_I(n, 4 + 12);
	CHECK(r[1] == 3 && r[2] == 0 && r[3] == 1);
	CHECK_EQ_U(ts_get32(r + 4), 0x11111111u);
	CHECK_EQ_U(ts_get32(r + 12), 0x33333333u);
	CHECK_EQ_U(c1.swd_transfers - c0.swd_transfers, 4);
	/* Block write then read back */
	ts_xfer(sp, 0x05, 0x20000100u, NULL, NULL);
	n = ts_cmd(sp, (const uint8_t[]){ 0x06, 0x00, 0x02, 0x00, 0x0D, 1, 2, 3, 4, 5, 6, 7, 8 }, 13, r);
	CHECK(n == 4 && r[1] == 2 && r[3] == 1);
	{
		uint32_t v = 0;

		CHECK_EQ_I(sim_probe_peek32(sp, 0x20000104, &v), 0);
		CHECK_EQ_U(v, 0x08070605u);
	}
	sim_probe_destroy(sp);
}

TEST(tar_wraps_in_1k_block)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 1.0);
	uint32_t v = 0;

	CHECK_EQ_U(ts_attach(sp), 1);
	CHECK_EQ_U(ts_read32(sp, 0x200003FCu, &v), 1);
	CHECK_EQ_U(ts_xfer(sp, 0x07, 0, &v, NULL), 1); /* read TAR */
	CHECK_EQ_U(v, 0x20000000u);
	sim_probe_destroy(sp);
}

TEST(wait_retry_and_counts)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 1.0);
	struct sim_fault f = { SIM_FAULT_WAIT, 2, false };
	struct sim_counters c0, c1;
	uint8_t r[TS_CAP];
	uint32_t v = 0;
	int n;

	CHECK_EQ_U(ts_attach(sp), 1);
	/* WAIT once on the 2nd transfer: the firmware retries, all is well. */
	sim_probe_set_fault(sp, &f);
	sim_probe_get_counters(sp, &c0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x02, 0x02, 0x06 }, 5, r);
	sim_probe_get_counters(sp, &c1);
	CHECK(n == 11 && r[1] == 2 && r[2] == 1);
	CHECK_EQ_U(c1.swd_transfers - c0.swd_transfers, 3);
	/* WAIT forever from the 2nd: retries exhausted (1 + 64), count 1, rsp 2 */
	f.forever = true;
	sim_probe_set_fault(sp, &f);
	sim_probe_get_counters(sp, &c0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x03, 0x02, 0x06, 0x02 }, 6, r);
	sim_probe_get_counters(sp, &c1);
	CHECK_EQ_I(n, 7);
	CHECK(r[1] == 1 && r[2] == 2);
	CHECK_EQ_U(c1.swd_transfers - c0.swd_transfers, 1 + 65);
	/* FAULT is never retried, and sets STICKYERR */
	f.kind = SIM_FAULT_FAULT;
	f.nth = 1;
	f.forever = false;
	sim_probe_set_fault(sp, &f);
	sim_probe_get_counters(sp, &c0);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 4);
	sim_probe_get_counters(sp, &c1);
	CHECK_EQ_U(c1.swd_transfers - c0.swd_transfers, 1);
	CHECK_EQ_U(ts_xfer(sp, 0x06, 0, &v, NULL), 1);
	CHECK_EQ_U(v & 0x20, 0x20);
	CHECK_EQ_U(ts_abort(sp), 1);
	/* A write whose trailing RDBUFF check faults: count 1 == requested, rsp 4 */
	f.nth = 2;
	sim_probe_set_fault(sp, &f);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x01, 0x08, 0, 0, 0, 0 }, 8, r);
	CHECK(n == 3 && r[1] == 1 && r[2] == 4);
	/* NO_ACK */
	f.kind = SIM_FAULT_NO_ACK;
	f.nth = 1;
	sim_probe_set_fault(sp, &f);
	CHECK_EQ_U(ts_dpidr(sp, &v), 7);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	/* PARITY on the 2nd read (a write between does not count): response
	 * 0x08, DAP_TRANSFER_ERROR, and no data; the 1st read is whole. */
	CHECK_EQ_U(ts_abort(sp), 1); /* the FAULT above left STICKYERR set */
	f.kind = SIM_FAULT_PARITY;
	f.nth = 2;
	sim_probe_set_fault(sp, &f);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x03, 0x02, 0x08, 0, 0, 0, 0, 0x02 }, 10, r);
	CHECK(n == 7 && r[1] == 2 && r[2] == 0x08);
	CHECK_EQ_U(ts_dpidr(sp, &v), 1);
	sim_probe_destroy(sp);
}

TEST(packet_faults)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 1.0);
	struct sim_fault f = { SIM_FAULT_SHORT_REPLY, 1, false };
	uint8_t r[TS_CAP];

	sim_probe_set_fault(sp, &f);
	CHECK_EQ_I(ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r), 1);
	CHECK_EQ_I(ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r), 6);
	f.kind = SIM_FAULT_WRONG_ECHO;
	sim_probe_set_fault(sp, &f);
	ts_cmd(sp, (const uint8_t[]){ 0x11, 0x40, 0x42, 0x0F, 0x00 }, 5, r);
	CHECK(r[0] != 0x11);
	f.kind = SIM_FAULT_DROP_PROBE;
	f.nth = 2;
	sim_probe_set_fault(sp, &f);
	CHECK_EQ_I(ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r), 6);
	CHECK_EQ_I(ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r), -ENODEV);
	CHECK_EQ_I(ts_cmd(sp, (const uint8_t[]){ 0x00, 0x01 }, 2, r), -ENODEV);
	sim_probe_destroy(sp);
}

TEST(execute_commands)
{
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 1.0);
	uint8_t r[TS_CAP];
	int n;

	ts_port_on(sp);
	/* assert nRESET, delay, release: 7F 03 10.. 09.. 10.. */
	n = ts_cmd(sp, (const uint8_t[]){ 0x7F, 0x03, 0x10, 0x00, 0x80, 0, 0, 0, 0, 0x09, 0x10, 0x00,
					 0x10, 0x80, 0x80, 0, 0, 0, 0 }, 19, r);
	CHECK_EQ_I(n, 8);
	CHECK(r[0] == 0x7F && r[1] == 3 && r[2] == 0x10 && (r[3] & 0x80) == 0);
	CHECK(r[4] == 0x09 && r[5] == 0 && r[6] == 0x10 && (r[7] & 0x80) == 0x80);
	/* nested: 0xFF */
	n = ts_cmd(sp, (const uint8_t[]){ 0x7F, 0x02, 0x7F, 0x01, 0x00 }, 5, r);
	CHECK(n >= 3 && r[0] == 0x7F && r[2] == 0xFF);
	/* QueueCommands answered as ExecuteCommands */
	n = ts_cmd(sp, (const uint8_t[]){ 0x7E, 0x01, 0x00, 0x04 }, 4, r);
	CHECK(n == 2 + 8 && r[0] == 0x7F && r[2] == 0x00 && r[3] == 6);
	sim_probe_destroy(sp);
}

TEST(no_target_silent)
{
	struct sim_probe *sp = ts_open("no-target", 1.0);
	uint8_t r[TS_CAP];
	int n;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	n = ts_cmd(sp, (const uint8_t[]){ 0x05, 0x00, 0x01, 0x02 }, 4, r);
	CHECK(n == 3 && memcmp(r, "\x05\x00\x07", 3) == 0);
	n = ts_cmd(sp, (const uint8_t[]){ 0x06, 0x00, 0x02, 0x00, 0x02 }, 5, r);
	CHECK(n == 4 && r[1] == 0 && r[2] == 0 && r[3] == 7);
	CHECK_EQ_U(ts_xfer(sp, 0x00, 0x1E, NULL, NULL), 7);
	sim_probe_destroy(sp);
}

/* Every command truncated at every length, plus random garbage: the answer
 * stays within the cap and the process does not crash. */
TEST(malformed_requests)
{
	static const uint8_t full[][24] = {
		{ 0x00, 0x01 }, { 0x01, 0x00, 0x01 }, { 0x02, 0x01 }, { 0x04, 0, 0x40, 0, 0, 0 },
		{ 0x05, 0x00, 0x03, 0x02, 0x05, 1, 2, 3, 4, 0x12, 0, 0, 0, 0 },
		{ 0x06, 0x00, 0x02, 0x00, 0x0D, 1, 2, 3, 4, 5, 6, 7, 8 },
		{ 0x08, 0x00, 0x1E, 0, 0, 0 }, { 0x09, 0x01, 0x00 },
		{ 0x10, 0x80, 0x80, 0, 0, 0, 0 }, { 0x11, 1, 2, 3, 4 },
		{ 0x12, 0x40, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 }, { 0x13, 0x00 },
		{ 0x1D, 0x02, 0x08, 0x99, 0x85 },
		{ 0x7F, 0x02, 0x00, 0x01, 0x05, 0x00, 0x01, 0x02 },
	};
	struct sim_probe *sp = ts_open("stm32f401re-rdp0", 1.0);
	uint8_t r[TS_CAP + 16];
	unsigned seed = 12345;

	ts_port_on(sp);
	ts_jtag_to_swd(sp);
	for (size_t c = 0; c < sizeof(full) / sizeof(full[0]); c++)
		for (size_t len = 0; len <= sizeof(full[0]); len++) {
			int n;

			memset(r, 0xA5, sizeof(r));
			n = sim_probe_command(sp, full[c], len, r, TS_CAP);
			CHECK(n >= 0 && n <= TS_CAP);
			CHECK_EQ_U(r[TS_CAP], 0xA5);
		}
	/* a transfer whose reads would not fit the packet: refused */
	{
		uint8_t q[64] = { 0x05, 0x00, 20 };

		memset(q + 3, 0x02, 20);
		CHECK_EQ_I(sim_probe_command(sp, q, 23, r, TS_CAP), 1);
		CHECK_EQ_U(r[0], 0xFF);
		CHECK_EQ_I(sim_probe_command(sp, q, 23, r, 0), -EINVAL);
	}
	for (int i = 0; i < 20000; i++) {
		uint8_t q[64];
		size_t len;
		int n;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % 65;
		for (size_t k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			q[k] = (uint8_t)(seed >> 16);
		}
		if (len && (q[0] == 0x09 || q[0] == 0x7F || q[0] == 0x7E))
			q[0] = 0x05; /* no long delays */
		if (len > 3 && q[0] == 0x10)
			q[1] |= 0x80; /* leave nRESET released */
		n = sim_probe_command(sp, q, len, r, TS_CAP);
		CHECK(n >= 0 && n <= TS_CAP);
	}
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(info_answers);
	RUN(simple_commands);
	RUN(dpidr_needs_jtag_to_swd);
	RUN(exact_dpidr_bytes);
	RUN(line_reset_only_dpidr);
	RUN(dormant_wakeup_dpv2_only);
	RUN(power_up_handshake);
	RUN(value_match_mismatch);
	RUN(posted_ap_reads_in_order);
	RUN(tar_wraps_in_1k_block);
	RUN(wait_retry_and_counts);
	RUN(packet_faults);
	RUN(execute_commands);
	RUN(no_target_silent);
	RUN(malformed_requests);
	return check_summary();
}
