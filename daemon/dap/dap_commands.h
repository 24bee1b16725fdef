/*
 * dap_commands.h - one pure encode/decode pair per CMSIS-DAP command.
 *
 * Encoders write a request into BUF (capacity CAP) and return its length, or
 * -ERR_INTERNAL when it does not fit. Decoders check a response (command echo,
 * status, counts no larger than asked, lengths inside the packet) and return
 * the number of bytes they consumed, or -ERR_PROBE_PROTOCOL /
 * -ERR_PROBE_UNSUPPORTED with a detail. No I/O here: dap.c does it once for
 * all commands. Byte layouts: ARM CMSIS-DAP Firmware/Source/DAP.c and the
 * command reference (ref_dap.txt), as docs/probe/cmsis-dap.md describes them.
 */
#ifndef RDPD_DAP_COMMANDS_H
#define RDPD_DAP_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dap_cmd {
	DAP_CMD_INFO = 0x00,
	DAP_CMD_HOST_STATUS = 0x01,
	DAP_CMD_CONNECT = 0x02,
	DAP_CMD_DISCONNECT = 0x03,
	DAP_CMD_TRANSFER_CONFIGURE = 0x04,
	DAP_CMD_TRANSFER = 0x05,
	DAP_CMD_TRANSFER_BLOCK = 0x06,
	DAP_CMD_TRANSFER_ABORT = 0x07,
	DAP_CMD_WRITE_ABORT = 0x08,
	DAP_CMD_SWJ_PINS = 0x10,
	DAP_CMD_SWJ_CLOCK = 0x11,
	DAP_CMD_SWJ_SEQUENCE = 0x12,
	DAP_CMD_SWD_CONFIGURE = 0x13,
	DAP_CMD_SWD_SEQUENCE = 0x1D,
	DAP_CMD_EXECUTE_COMMANDS = 0x7F,
	DAP_CMD_INVALID = 0xFF,
};

enum dap_info_id {
	DAP_INFO_VENDOR = 0x01,
	DAP_INFO_PRODUCT = 0x02,
	DAP_INFO_SERIAL = 0x03,
	DAP_INFO_PROTOCOL_VERSION = 0x04,
	DAP_INFO_FIRMWARE_VERSION = 0x09,
	DAP_INFO_CAPABILITIES = 0xF0,
	DAP_INFO_PACKET_COUNT = 0xFE,
	DAP_INFO_PACKET_SIZE = 0xFF,
};

/* DAP_Info 0xF0, byte 0. */
#define DAP_CAP_SWD (1u << 0)
#define DAP_CAP_JTAG (1u << 1)
#define DAP_CAP_SWO_UART (1u << 2)
#define DAP_CAP_SWO_MANCHESTER (1u << 3)
#define DAP_CAP_ATOMIC (1u << 4)

#define DAP_PORT_SWD 1

/* DAP_SWJ_Pins bits. */
#define DAP_PIN_SWCLK (1u << 0)
#define DAP_PIN_SWDIO (1u << 1)
#define DAP_PIN_NRESET (1u << 7)

/* Transfer request byte (ref_dap.txt, DAP_Transfer). */
#define DAP_XFER_APNDP (1u << 0)
#define DAP_XFER_RNW (1u << 1)
#define DAP_XFER_A2 (1u << 2)
#define DAP_XFER_A3 (1u << 3)
#define DAP_XFER_MATCH_VALUE (1u << 4)
#define DAP_XFER_MATCH_MASK (1u << 5)

/* Transfer response byte: ACK of the last transfer in bits 2:0. */
#define DAP_ACK_OK 0x1
#define DAP_ACK_WAIT 0x2
#define DAP_ACK_FAULT 0x4
#define DAP_ACK_NO_ACK 0x7
#define DAP_RESP_PROTOCOL_ERROR 0x08
#define DAP_RESP_MISMATCH 0x10

/* One DAP_Transfer entry: REQ as above, DATA for writes, match values and masks. */
struct dap_xfer {
	uint8_t req;
	uint32_t data;
};

struct dap_transfer_result {
	unsigned executed;   /* transfers completed */
	uint8_t response;    /* response byte (ACK of the last one attempted, flags) */
	unsigned nwords;     /* read words returned */
};

int dap_commands_info_encode(uint8_t *buf, size_t cap, uint8_t id);
/* *VAL points into BUF, *VLEN bytes (0 = no information). */
int dap_commands_info_decode(const uint8_t *buf, size_t len, const uint8_t **val, size_t *vlen);
/* A string DAP_Info answered (VAL, VLEN from dap_commands_info_decode) as text OUT
 * (CAP bytes, NUL-terminated) that is UTF-8 without control characters: up
 * to the first NUL, with every other byte that is not so shown as \xNN.
 * Returns the length written. */
size_t dap_commands_info_text(const uint8_t *val, size_t vlen, char *out, size_t cap);

int dap_commands_host_status_encode(uint8_t *buf, size_t cap, uint8_t type, uint8_t on);
int dap_commands_host_status_decode(const uint8_t *buf, size_t len);

int dap_commands_connect_encode(uint8_t *buf, size_t cap, uint8_t port);
int dap_commands_connect_decode(const uint8_t *buf, size_t len, uint8_t *port);

int dap_commands_disconnect_encode(uint8_t *buf, size_t cap);
int dap_commands_disconnect_decode(const uint8_t *buf, size_t len);

int dap_commands_transfer_configure_encode(uint8_t *buf, size_t cap, uint8_t idle, uint16_t wait_retry,
				  uint16_t match_retry);
int dap_commands_transfer_configure_decode(const uint8_t *buf, size_t len);

int dap_commands_swj_pins_encode(uint8_t *buf, size_t cap, uint8_t out, uint8_t select, uint32_t wait_us);
int dap_commands_swj_pins_decode(const uint8_t *buf, size_t len, uint8_t *pins_in);

int dap_commands_swj_clock_encode(uint8_t *buf, size_t cap, uint32_t hz);
int dap_commands_swj_clock_decode(const uint8_t *buf, size_t len);

/* BITS 1..256 clocked out LSB of DATA[0] first. */
int dap_commands_swj_sequence_encode(uint8_t *buf, size_t cap, unsigned bits, const uint8_t *data);
int dap_commands_swj_sequence_decode(const uint8_t *buf, size_t len);
/* The SWD multidrop TARGETSEL write (ADIv5.2 B4.3.4), which no DP
 * acknowledges, so DAP_Transfer cannot send it: a DAP_SWD_Sequence
 * (CMSIS-DAP 1.2) of the 8 request bits, 5 cycles read (turnaround, the
 * ACK nobody drives, turnaround) and 33 bits of data and parity. */
int dap_commands_swd_targetsel_encode(uint8_t *buf, size_t cap, uint32_t targetsel);
int dap_commands_swd_targetsel_decode(const uint8_t *buf, size_t len);

int dap_commands_swd_configure_encode(uint8_t *buf, size_t cap, uint8_t cfg);
int dap_commands_swd_configure_decode(const uint8_t *buf, size_t len);

int dap_commands_write_abort_encode(uint8_t *buf, size_t cap, uint32_t abort);
int dap_commands_write_abort_decode(const uint8_t *buf, size_t len);

/* Bytes a DAP_Transfer of these entries needs, request and response. */
size_t dap_commands_transfer_request_size(const struct dap_xfer *x, size_t n);
size_t dap_commands_transfer_response_size(const struct dap_xfer *x, size_t n);
int dap_commands_transfer_encode(uint8_t *buf, size_t cap, const struct dap_xfer *x, size_t n);
/* Decode the reply to X[0..N). Read words go to WORDS (room for every read in
 * X). On a failed transfer only the words the firmware really returned are
 * counted (a posted AP read whose value was never collected is not). */
int dap_commands_transfer_decode(const uint8_t *buf, size_t len, const struct dap_xfer *x, size_t n,
			uint32_t *words, struct dap_transfer_result *res);

int dap_commands_transfer_block_encode(uint8_t *buf, size_t cap, uint8_t req, const uint32_t *wdata,
			      uint16_t count);
int dap_commands_transfer_block_decode(const uint8_t *buf, size_t len, uint8_t req, uint16_t count,
			      uint32_t *rdata, struct dap_transfer_result *res);

/* Words a transfer list returns when all of it succeeds. */
size_t dap_commands_transfer_read_count(const struct dap_xfer *x, size_t n);

#endif
