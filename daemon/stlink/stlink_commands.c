/*
 * stlink_commands.c - ST-LINK command layouts and reply checks, byte for byte.
 *
 * References: docs/probe/stlink.md ("Opening", "Connecting", "Running a
 * queue", "Status codes"), which gives each byte its source: OpenOCD
 * src/jtag/drivers/stlink_usb.c v0.12.0, stlink-org/stlink 1.7.0, pyOCD.
 * All multi-byte fields are little-endian except GET_VERSION's first two
 * bytes.
 */
#include "stlink/stlink_commands.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

static void stlink_commands_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void stlink_commands_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t stlink_commands_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A command of one or two opcode bytes, the rest zero. */
static void stlink_commands_start(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t op, uint8_t sub)
{
	memset(cmd, 0, STLINK_COMMANDS_CMD_LEN);
	cmd[0] = op;
	cmd[1] = sub;
}

static int stlink_commands_short(const char *what, size_t len, size_t want)
{
	return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered %s with %zu bytes; %zu expected", what,
			len, want);
}

/* docs/probe/stlink.md, "Status codes". */
enum stlink_commands_status stlink_commands_status(uint8_t code)
{
	switch (code) {
	case 0x80: return STLINK_STATUS_OK;
	case 0x10: return STLINK_STATUS_AP_WAIT;
	case 0x14: return STLINK_STATUS_DP_WAIT;
	case 0x11: case 0x15: case 0x19: case 0x1A: return STLINK_STATUS_FAULT;
	case 0x81: return STLINK_STATUS_FIRMWARE;
	case 0x13: case 0x17: case 0x18: return STLINK_STATUS_PARITY;
	case 0x05: case 0x12: case 0x16: return STLINK_STATUS_NO_ACK;
	case 0x1D: return STLINK_STATUS_BAD_AP;
	default: return STLINK_STATUS_UNKNOWN;
	}
}

const char *stlink_commands_status_name(uint8_t code)
{
	static const struct {
		uint8_t code;
		const char *name;
	} names[] = {
		{0x05, "NO_DEVICE_CONNECTED"}, {0x10, "SWD_AP_WAIT"},         {0x11, "SWD_AP_FAULT"},
		{0x12, "SWD_AP_ERROR"},        {0x13, "SWD_AP_PARITY_ERROR"}, {0x14, "SWD_DP_WAIT"},
		{0x15, "SWD_DP_FAULT"},        {0x16, "SWD_DP_ERROR"},        {0x17, "SWD_DP_PARITY_ERROR"},
		{0x18, "SWD_AP_WDATA_ERROR"},  {0x19, "SWD_AP_STICKY_ERROR"}, {0x1A, "SWD_AP_STICKYORUN_ERROR"},
		{0x1D, "BAD_AP_ERROR"},        {0x80, "DEBUG_ERR_OK"},        {0x81, "DEBUG_ERR_FAULT"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "unknown";
}

/* The V2-1 PIDs (with and without mass storage) put the MSD version in
 * GET_VERSION's low field. */
static bool stlink_commands_v21(uint16_t pid)
{
	return pid == 0x374B || pid == 0x3752;
}

/* OpenOCD stlink_usb_version: an STM8 V2-1 that speaks SWIM only reports
 * MxSy in these patterns. */
static bool stlink_commands_swim_only(unsigned x, unsigned y)
{
	return (x <= 22 && y == 7) || (x >= 25 && y >= 7 && y <= 12);
}

void stlink_commands_get_version(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_GET_VERSION, 0);
}

/* docs/probe/stlink.md, "Opening": [0..1] big-endian, bits 15:12 hardware, 11:6 J, 5:0 the low
 * field; [2..5] VID, PID. On the V2-1 PIDs the low field is the MSD
 * version, except for the STM8 SWIM-only pattern. */
int stlink_commands_version_decode(const uint8_t *rsp, size_t len, struct stlink_commands_version *v)
{
	unsigned raw, x, y;

	if (len != STLINK_REPLY_VERSION)
		return stlink_commands_short("GET_VERSION", len, STLINK_REPLY_VERSION);
	raw = (unsigned)rsp[0] << 8 | rsp[1];
	memset(v, 0, sizeof(*v));
	v->stlink = raw >> 12 & 0x0F;
	x = raw >> 6 & 0x3F;
	y = raw & 0x3F;
	v->vid = (uint16_t)(rsp[2] | rsp[3] << 8);
	v->pid = (uint16_t)(rsp[4] | rsp[5] << 8);
	if (stlink_commands_v21(v->pid) && !stlink_commands_swim_only(x, y)) {
		v->jtag = x;
		v->msd = y;
	} else if (stlink_commands_v21(v->pid)) {
		v->msd = x;
		v->swim = y;
	} else {
		v->jtag = x;
		v->swim = y;
	}
	if (v->stlink == 0)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK reports hardware version 0 (%02x %02x): "
				"not a working ST-LINK", rsp[0], rsp[1]);
	/* OpenOCD at HEAD: v >= 3 (a V3PWR says 4) with J = 0 needs VERSION_EX. */
	v->need_ex = v->stlink >= 3 && x == 0 && y == 0;
	return 0;
}

void stlink_commands_get_version_ex(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_GET_VERSION_EX, 0);
}

/* [0] hardware, [1] SWIM, [2] JTAG, [3] MSD, [4] bridge, [8..11] VID, PID. */
int stlink_commands_version_ex_decode(const uint8_t *rsp, size_t len, struct stlink_commands_version *v)
{
	if (len != STLINK_REPLY_VERSION_EX)
		return stlink_commands_short("GET_VERSION_EX", len, STLINK_REPLY_VERSION_EX);
	v->stlink = rsp[0];
	v->swim = rsp[1];
	v->jtag = rsp[2];
	v->msd = rsp[3];
	v->bridge = rsp[4];
	v->vid = (uint16_t)(rsp[8] | rsp[9] << 8);
	v->pid = (uint16_t)(rsp[10] | rsp[11] << 8);
	v->need_ex = false;
	return 0;
}

/* OpenOCD's string: "V%d", then J (if jtag or no msd), M (if msd), B (if
 * bridge), S (if swim or no msd). */
void stlink_commands_version_text(const struct stlink_commands_version *v, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "V%u", v->stlink);

	if ((v->jtag || !v->msd) && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "J%u", v->jtag);
	if (v->msd && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "M%u", v->msd);
	if (v->bridge && n < cap)
		n += (size_t)snprintf(out + n, cap - n, "B%u", v->bridge);
	if ((v->swim || !v->msd) && n < cap)
		snprintf(out + n, cap - n, "S%u", v->swim);
}

void stlink_commands_get_mode(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_GET_CURRENT_MODE, 0);
}

int stlink_commands_mode_decode(const uint8_t *rsp, size_t len, uint8_t *mode)
{
	if (len != STLINK_REPLY_MODE)
		return stlink_commands_short("GET_CURRENT_MODE", len, STLINK_REPLY_MODE);
	if (rsp[0] > STLINK_MODE_BOOTLOADER)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK reports mode %u, which no ST-LINK has", rsp[0]);
	*mode = rsp[0];
	return 0;
}

/* OpenOCD stlink_usb_mode_leave: DFU, DEBUG and SWIM are left; MASS and
 * BOOTLOADER need nothing. None of these commands has a reply. */
bool stlink_commands_leave_mode(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t mode)
{
	switch (mode) {
	case STLINK_MODE_DFU: stlink_commands_start(cmd, STLINK_DFU_COMMAND, STLINK_DFU_EXIT); return true;
	case STLINK_MODE_DEBUG: stlink_commands_exit(cmd); return true;
	case STLINK_MODE_SWIM: stlink_commands_start(cmd, STLINK_SWIM_COMMAND, STLINK_SWIM_EXIT); return true;
	default: return false;
	}
}

void stlink_commands_get_voltage(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_GET_TARGET_VOLTAGE, 0);
}

/* a0 = ADC of the 1.2 V reference, a1 = ADC of VTref / 2; no status byte. */
int stlink_commands_voltage_decode(const uint8_t *rsp, size_t len, int *mv)
{
	uint32_t a0, a1;

	if (len != STLINK_REPLY_VOLTAGE)
		return stlink_commands_short("GET_TARGET_VOLTAGE", len, STLINK_REPLY_VOLTAGE);
	a0 = stlink_commands_get32(rsp);
	a1 = stlink_commands_get32(rsp + 4);
	*mv = a0 ? (int)(((uint64_t)2400 * a1 + a0 / 2) / a0) : 0;
	return 0;
}

void stlink_commands_enter_swd(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_ENTER);
	cmd[2] = STLINK_ENTER_SWD;
}

void stlink_commands_exit(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_EXIT);
}

void stlink_commands_drive_nrst(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], bool asserted)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_DRIVE_NRST);
	cmd[2] = asserted ? STLINK_NRST_LOW : STLINK_NRST_HIGH;
}

/* docs/probe/stlink.md, "Connecting": OpenOCD's and stlink's V2 SWD
 * table, fastest first. */
uint16_t stlink_commands_swd_divisor(uint32_t khz, uint32_t *actual_khz)
{
	static const struct {
		uint32_t khz;
		uint16_t divisor;
	} table[] = {
		{4000, 0}, {1800, 1}, {1200, 2}, {950, 3}, {480, 7}, {240, 15},
		{125, 31}, {100, 40}, {50, 79},  {25, 158}, {15, 265}, {5, 798},
	};
	size_t n = sizeof(table) / sizeof(table[0]), i = 0;

	while (i < n - 1 && table[i].khz > khz)
		i++;
	*actual_khz = table[i].khz;
	return table[i].divisor;
}

void stlink_commands_swd_set_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t divisor)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_SWD_SET_FREQ);
	stlink_commands_put16(cmd + 2, divisor);
}

void stlink_commands_get_com_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_GET_COM_FREQ);
	cmd[2] = 0; /* SWD */
}

/* [0] status, [8] the count N (OpenOCD reads one byte), [12..] N u32 kHz. */
int stlink_commands_com_freq_choose(const uint8_t *rsp, size_t len, uint32_t khz, uint32_t *chosen)
{
	uint32_t best = 0, lowest = UINT32_MAX;
	unsigned n;

	if (len != STLINK_REPLY_GET_COM_FREQ)
		return stlink_commands_short("GET_COM_FREQ", len, STLINK_REPLY_GET_COM_FREQ);
	n = rsp[8];
	if (n == 0 || n > 10)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK lists %u SWD clocks (1 to 10 expected)", n);
	for (unsigned i = 0; i < n; i++) {
		uint32_t f = stlink_commands_get32(rsp + 12 + 4 * i);

		if (f <= khz && f > best)
			best = f;
		if (f < lowest)
			lowest = f;
	}
	*chosen = best ? best : lowest;
	return 0;
}

void stlink_commands_set_com_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t khz)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_SET_COM_FREQ);
	cmd[2] = 0; /* SWD */
	stlink_commands_put32(cmd + 4, khz);
}

void stlink_commands_read_dap_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t port, uint16_t addr)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_READ_DAP_REG);
	stlink_commands_put16(cmd + 2, port);
	stlink_commands_put16(cmd + 4, addr);
}

void stlink_commands_write_dap_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t port, uint16_t addr,
				   uint32_t value)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_WRITE_DAP_REG);
	stlink_commands_put16(cmd + 2, port);
	stlink_commands_put16(cmd + 4, addr);
	stlink_commands_put32(cmd + 6, value);
}

void stlink_commands_init_ap(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t ap)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_INIT_AP);
	cmd[2] = ap;
}

void stlink_commands_read_debug_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t addr)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_READDEBUGREG);
	stlink_commands_put32(cmd + 2, addr);
}

void stlink_commands_write_debug_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t addr, uint32_t value)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_WRITEDEBUGREG);
	stlink_commands_put32(cmd + 2, addr);
	stlink_commands_put32(cmd + 6, value);
}

/* F2 op addr(u32) len(u16) ap(u8) csw[31:8](3 bytes). */
void stlink_commands_mem(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t op, uint32_t addr, uint16_t len,
			 uint8_t ap, uint32_t csw)
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, op);
	stlink_commands_put32(cmd + 2, addr);
	stlink_commands_put16(cmd + 6, len);
	cmd[8] = ap;
	cmd[9] = (uint8_t)(csw >> 8);
	cmd[10] = (uint8_t)(csw >> 16);
	cmd[11] = (uint8_t)(csw >> 24);
}

void stlink_commands_last_rw_status2(uint8_t cmd[STLINK_COMMANDS_CMD_LEN])
{
	stlink_commands_start(cmd, STLINK_DEBUG_COMMAND, STLINK_DEBUG_GETLASTRWSTATUS2);
}

int stlink_commands_status_decode(const uint8_t *rsp, size_t len, size_t want, uint8_t *status)
{
	if (len != want)
		return stlink_commands_short("a command", len, want);
	*status = rsp[0];
	return 0;
}

int stlink_commands_read_reg_decode(const uint8_t *rsp, size_t len, uint8_t *status, uint32_t *value)
{
	if (len != STLINK_REPLY_READ_REG)
		return stlink_commands_short("a register read", len, STLINK_REPLY_READ_REG);
	*status = rsp[0];
	*value = stlink_commands_get32(rsp + 4);
	return 0;
}

/* [0..1] status (OpenOCD reads byte 0), [4..7] the fault address. */
int stlink_commands_rw_status2_decode(const uint8_t *rsp, size_t len, uint8_t *status, uint32_t *fault_addr)
{
	if (len != STLINK_REPLY_RWSTATUS2)
		return stlink_commands_short("GETLASTRWSTATUS2", len, STLINK_REPLY_RWSTATUS2);
	*status = rsp[0];
	*fault_addr = stlink_commands_get32(rsp + 4);
	return 0;
}
