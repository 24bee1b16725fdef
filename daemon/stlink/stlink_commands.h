/*
 * stlink_commands.h - one pure encoder or decoder per ST-LINK command.
 *
 * A command is 16 bytes, zero-padded; the reply, where there is one, is as
 * long as the host asks (docs/probe/stlink.md, "Framing"). Encoders fill a
 * STLINK_COMMANDS_CMD_LEN buffer; decoders check a reply's length and
 * bytes and return 0 or -ERR_PROBE_PROTOCOL with a sentence. No I/O here:
 * stlink.c does it once for all commands.
 */
#ifndef RDPD_STLINK_COMMANDS_H
#define RDPD_STLINK_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STLINK_COMMANDS_CMD_LEN 16

/* Top-level opcodes and the DEBUG_COMMAND (F2) sub-opcodes rdpd sends
 * (docs/probe/stlink.md, "Opening", "Connecting", "Running a queue"). */
enum stlink_commands_op {
	STLINK_GET_VERSION = 0xF1,
	STLINK_DEBUG_COMMAND = 0xF2,
	STLINK_DFU_COMMAND = 0xF3,
	STLINK_SWIM_COMMAND = 0xF4,
	STLINK_GET_CURRENT_MODE = 0xF5,
	STLINK_GET_TARGET_VOLTAGE = 0xF7,
	STLINK_GET_VERSION_EX = 0xFB,

	STLINK_DFU_EXIT = 0x07,
	STLINK_SWIM_EXIT = 0x01,

	STLINK_DEBUG_READMEM_32 = 0x07,
	STLINK_DEBUG_WRITEMEM_32 = 0x08,
	STLINK_DEBUG_EXIT = 0x21,
	STLINK_DEBUG_ENTER = 0x30,
	STLINK_DEBUG_WRITEDEBUGREG = 0x35,
	STLINK_DEBUG_READDEBUGREG = 0x36,
	STLINK_DEBUG_DRIVE_NRST = 0x3C,
	STLINK_DEBUG_GETLASTRWSTATUS2 = 0x3E,
	STLINK_DEBUG_SWD_SET_FREQ = 0x43,
	STLINK_DEBUG_READ_DAP_REG = 0x45,
	STLINK_DEBUG_WRITE_DAP_REG = 0x46,
	STLINK_DEBUG_READMEM_16 = 0x47,
	STLINK_DEBUG_WRITEMEM_16 = 0x48,
	STLINK_DEBUG_INIT_AP = 0x4B,
	STLINK_DEBUG_SET_COM_FREQ = 0x61,
	STLINK_DEBUG_GET_COM_FREQ = 0x62,
};

#define STLINK_ENTER_SWD 0xA3       /* ENTER's argument: SWD */
#define STLINK_DP_PORT 0xFFFF       /* READ/WRITE_DAP_REG port: the DP itself */
#define STLINK_NRST_LOW 0x00        /* DRIVE_NRST: asserted */
#define STLINK_NRST_HIGH 0x01       /* DRIVE_NRST: released */

/* GET_CURRENT_MODE byte 0. */
enum stlink_commands_mode {
	STLINK_MODE_DFU = 0,
	STLINK_MODE_MASS = 1,
	STLINK_MODE_DEBUG = 2,
	STLINK_MODE_SWIM = 3,
	STLINK_MODE_BOOTLOADER = 4,
};

/* Reply lengths (IN bytes) the host asks for. */
#define STLINK_REPLY_VERSION 6
#define STLINK_REPLY_VERSION_EX 12
#define STLINK_REPLY_MODE 2
#define STLINK_REPLY_VOLTAGE 8
#define STLINK_REPLY_STATUS 2
#define STLINK_REPLY_READ_REG 8      /* READ_DAP_REG, READDEBUGREG: status, 0, value */
#define STLINK_REPLY_RWSTATUS2 12
#define STLINK_REPLY_GET_COM_FREQ 52
#define STLINK_REPLY_SET_COM_FREQ 8

/* What a status byte says, as far as rdpd acts on it
 * (docs/probe/stlink.md, "Status codes"). */
enum stlink_commands_status {
	STLINK_STATUS_OK,
	STLINK_STATUS_AP_WAIT,   /* 0x10: WAIT on an AP access */
	STLINK_STATUS_DP_WAIT,   /* 0x14: WAIT on a DP access */
	STLINK_STATUS_FAULT,     /* 0x11 0x15 0x19 0x1A: FAULT, sticky error */
	STLINK_STATUS_FIRMWARE,  /* 0x81 DEBUG_ERR_FAULT: the firmware's own failure, no SWD answer */
	STLINK_STATUS_PARITY,    /* 0x13 0x17 0x18: parity */
	STLINK_STATUS_NO_ACK,    /* 0x05 0x12 0x16: no device, no good ACK */
	STLINK_STATUS_BAD_AP,    /* 0x1D: an AP number the firmware refuses */
	STLINK_STATUS_UNKNOWN,   /* any other byte: no status rdpd knows */
};

#define STLINK_STATUS_CODE_OK 0x80

enum stlink_commands_status stlink_commands_status(uint8_t code);
/* "SWD_AP_WAIT" etc. for a sentence; "unknown" for codes without a name. */
const char *stlink_commands_status_name(uint8_t code);

/* The probe's version as GET_VERSION (and, on a V3, GET_VERSION_EX) give it. */
struct stlink_commands_version {
	unsigned stlink; /* hardware: 2 V2 and V2-1, 3 V3, 4 V3PWR */
	unsigned jtag;   /* the J number: the debug firmware's version */
	unsigned swim;
	unsigned msd;    /* mass storage / VCP */
	unsigned bridge;
	uint16_t vid, pid;
	bool need_ex;    /* a V3: the numbers are in GET_VERSION_EX */
};

void stlink_commands_get_version(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
int stlink_commands_version_decode(const uint8_t *rsp, size_t len, struct stlink_commands_version *v);
void stlink_commands_get_version_ex(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
int stlink_commands_version_ex_decode(const uint8_t *rsp, size_t len, struct stlink_commands_version *v);
/* "V2J37S7", "V2J37M26", "V3J7M3B5S1": OpenOCD's way of writing it. */
void stlink_commands_version_text(const struct stlink_commands_version *v, char *out, size_t cap);

void stlink_commands_get_mode(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
int stlink_commands_mode_decode(const uint8_t *rsp, size_t len, uint8_t *mode);
/* The command that leaves MODE, or false when none is needed (MASS). */
bool stlink_commands_leave_mode(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t mode);

void stlink_commands_get_voltage(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
/* V = 2 * a1 * 1.2 V / a0, in millivolts rounded to the nearest; a0 = 0
 * gives 0. */
int stlink_commands_voltage_decode(const uint8_t *rsp, size_t len, int *mv);

void stlink_commands_enter_swd(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
void stlink_commands_exit(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
void stlink_commands_drive_nrst(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], bool asserted);
/* V2: the SWD clock divisor for KHZ (the highest table entry not above it,
 * else the slowest) and the kHz it gives. */
uint16_t stlink_commands_swd_divisor(uint32_t khz, uint32_t *actual_khz);
void stlink_commands_swd_set_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t divisor);
/* V3: the list of SWD clocks, then one of them set. */
void stlink_commands_get_com_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);
/* Choose from the reply's list the highest kHz not above KHZ, else the
 * lowest one. */
int stlink_commands_com_freq_choose(const uint8_t *rsp, size_t len, uint32_t khz, uint32_t *chosen);
void stlink_commands_set_com_freq(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t khz);

void stlink_commands_read_dap_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t port, uint16_t addr);
void stlink_commands_write_dap_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint16_t port, uint16_t addr,
				   uint32_t value);
void stlink_commands_init_ap(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t ap);
void stlink_commands_read_debug_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t addr);
void stlink_commands_write_debug_reg(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint32_t addr, uint32_t value);
/* READMEM/WRITEMEM_32 and _16: OP, address, length in bytes, and (from
 * V2J32/V3J2; zeros before) the AP and CSW[31:8]. */
void stlink_commands_mem(uint8_t cmd[STLINK_COMMANDS_CMD_LEN], uint8_t op, uint32_t addr, uint16_t len,
			 uint8_t ap, uint32_t csw);
void stlink_commands_last_rw_status2(uint8_t cmd[STLINK_COMMANDS_CMD_LEN]);

/* The status byte of a reply that starts with one; -ERR_PROBE_PROTOCOL
 * when LEN is not WANT. */
int stlink_commands_status_decode(const uint8_t *rsp, size_t len, size_t want, uint8_t *status);
/* READ_DAP_REG / READDEBUGREG: status and the value at [4..7]. */
int stlink_commands_read_reg_decode(const uint8_t *rsp, size_t len, uint8_t *status, uint32_t *value);
/* GETLASTRWSTATUS2: the status (byte 0 of a LE16) and the fault address. */
int stlink_commands_rw_status2_decode(const uint8_t *rsp, size_t len, uint8_t *status, uint32_t *fault_addr);

#endif
