/*
 * dap_commands.c - CMSIS-DAP request encoders and response decoders.
 * Pure functions: bytes in, bytes out, every length checked.
 */
#include "dap/dap_commands.h"

#include <string.h>

#include "err.h"
#include "utf8.h"

#define DAP_OK 0x00

static void dap_commands_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void dap_commands_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t dap_commands_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int dap_commands_encode_fits(size_t need, size_t cap)
{
	return need <= cap ? (int)need
			   : err_setf(ERR_INTERNAL, "CMSIS-DAP command of %zu bytes exceeds %zu", need, cap);
}

/* Every reply starts with the command it answers; 0xFF alone = not implemented. */
static int dap_commands_check_echo(const uint8_t *buf, size_t len, uint8_t cmd, size_t min_len)
{
	if (len >= 1 && buf[0] == DAP_CMD_INVALID && cmd != DAP_CMD_INVALID)
		return err_setf(ERR_PROBE_UNSUPPORTED,
				"probe does not implement CMSIS-DAP command 0x%02x", cmd);
	if (len < 1 || buf[0] != cmd)
		return err_setf(ERR_PROBE_PROTOCOL,
				"probe answered command 0x%02x with 0x%02x (out of step)", cmd,
				len ? buf[0] : 0);
	if (len < min_len)
		return err_setf(ERR_PROBE_PROTOCOL,
				"reply to command 0x%02x is %zu bytes, expected at least %zu", cmd, len,
				min_len);
	return 0;
}

/* Replies of the form <cmd> <status>: status must be DAP_OK. */
static int dap_commands_decode_status(const uint8_t *buf, size_t len, uint8_t cmd)
{
	int rc = dap_commands_check_echo(buf, len, cmd, 2);

	if (rc < 0)
		return rc;
	if (buf[1] != DAP_OK)
		return err_setf(ERR_PROBE_PROTOCOL, "probe refused command 0x%02x (status 0x%02x)",
				cmd, buf[1]);
	return 2;
}

int dap_commands_info_encode(uint8_t *buf, size_t cap, uint8_t id)
{
	int n = dap_commands_encode_fits(2, cap);

	if (n > 0)
		buf[0] = DAP_CMD_INFO, buf[1] = id;
	return n;
}

int dap_commands_info_decode(const uint8_t *buf, size_t len, const uint8_t **val, size_t *vlen)
{
	int rc = dap_commands_check_echo(buf, len, DAP_CMD_INFO, 2);

	if (rc < 0)
		return rc;
	if ((size_t)buf[1] + 2 > len)
		return err_setf(ERR_PROBE_PROTOCOL, "DAP_Info claims %u bytes but the reply has %zu",
				buf[1], len - 2);
	*val = buf + 2;
	*vlen = buf[1];
	return 2 + buf[1];
}

/* CMSIS-DAP 2.1 DAP_Info: a string is UTF-8 (ASCII before 2.1) and its
 * length counts the NUL terminator; a probe on the network may send
 * anything, and these strings end up in JSON answers, logs and refs. */
size_t dap_commands_info_text(const uint8_t *val, size_t vlen, char *out, size_t cap)
{
	const uint8_t *nul = memchr(val, 0, vlen);

	return utf8_escape(val, nul ? (size_t)(nul - val) : vlen, out, cap);
}

int dap_commands_host_status_encode(uint8_t *buf, size_t cap, uint8_t type, uint8_t on)
{
	int n = dap_commands_encode_fits(3, cap);

	if (n > 0)
		buf[0] = DAP_CMD_HOST_STATUS, buf[1] = type, buf[2] = on ? 1 : 0;
	return n;
}

int dap_commands_host_status_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_HOST_STATUS);
}

int dap_commands_connect_encode(uint8_t *buf, size_t cap, uint8_t port)
{
	int n = dap_commands_encode_fits(2, cap);

	if (n > 0)
		buf[0] = DAP_CMD_CONNECT, buf[1] = port;
	return n;
}

int dap_commands_connect_decode(const uint8_t *buf, size_t len, uint8_t *port)
{
	int rc = dap_commands_check_echo(buf, len, DAP_CMD_CONNECT, 2);

	if (rc < 0)
		return rc;
	*port = buf[1];
	return 2;
}

int dap_commands_disconnect_encode(uint8_t *buf, size_t cap)
{
	int n = dap_commands_encode_fits(1, cap);

	if (n > 0)
		buf[0] = DAP_CMD_DISCONNECT;
	return n;
}

int dap_commands_disconnect_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_DISCONNECT);
}

int dap_commands_transfer_configure_encode(uint8_t *buf, size_t cap, uint8_t idle, uint16_t wait_retry,
				  uint16_t match_retry)
{
	int n = dap_commands_encode_fits(6, cap);

	if (n > 0) {
		buf[0] = DAP_CMD_TRANSFER_CONFIGURE;
		buf[1] = idle;
		dap_commands_put_le16(buf + 2, wait_retry);
		dap_commands_put_le16(buf + 4, match_retry);
	}
	return n;
}

int dap_commands_transfer_configure_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_TRANSFER_CONFIGURE);
}

int dap_commands_swj_pins_encode(uint8_t *buf, size_t cap, uint8_t out, uint8_t select, uint32_t wait_us)
{
	int n = dap_commands_encode_fits(7, cap);

	if (n > 0) {
		buf[0] = DAP_CMD_SWJ_PINS;
		buf[1] = out;
		buf[2] = select;
		dap_commands_put_le32(buf + 3, wait_us);
	}
	return n;
}

int dap_commands_swj_pins_decode(const uint8_t *buf, size_t len, uint8_t *pins_in)
{
	int rc = dap_commands_check_echo(buf, len, DAP_CMD_SWJ_PINS, 2);

	if (rc < 0)
		return rc;
	*pins_in = buf[1];
	return 2;
}

int dap_commands_swj_clock_encode(uint8_t *buf, size_t cap, uint32_t hz)
{
	int n = dap_commands_encode_fits(5, cap);

	if (n > 0) {
		buf[0] = DAP_CMD_SWJ_CLOCK;
		dap_commands_put_le32(buf + 1, hz);
	}
	return n;
}

int dap_commands_swj_clock_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_SWJ_CLOCK);
}

int dap_commands_swj_sequence_encode(uint8_t *buf, size_t cap, unsigned bits, const uint8_t *data)
{
	size_t nbytes = (bits + 7) / 8;
	int n;

	if (bits < 1 || bits > 256)
		return err_setf(ERR_INTERNAL, "SWJ sequence of %u bits (1..256)", bits);
	n = dap_commands_encode_fits(2 + nbytes, cap);
	if (n > 0) {
		buf[0] = DAP_CMD_SWJ_SEQUENCE;
		buf[1] = (uint8_t)(bits == 256 ? 0 : bits); /* 256 is sent as 0 */
		memcpy(buf + 2, data, nbytes);
	}
	return n;
}

int dap_commands_swj_sequence_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_SWJ_SEQUENCE);
}

/* SWD request byte of a DP write to address 0xC (TARGETSEL): start 1,
 * APnDP 0, RnW 0, A[3:2] 0b11, parity 0 (an even count of ones), stop 0,
 * park 1: 0x99, LSB first (ADIv5.2 B4.2; docs/probe/cmsis-dap.md). */
#define DAP_SWD_REQ_TARGETSEL 0x99u
#define DAP_SWD_SEQ_IN 0x80u

int dap_commands_swd_targetsel_encode(uint8_t *buf, size_t cap, uint32_t targetsel)
{
	int n = dap_commands_encode_fits(11, cap);

	if (n > 0) {
		buf[0] = DAP_CMD_SWD_SEQUENCE;
		buf[1] = 3; /* sequences */
		buf[2] = 8;
		buf[3] = DAP_SWD_REQ_TARGETSEL;
		buf[4] = DAP_SWD_SEQ_IN | 5;
		buf[5] = 33;
		for (int i = 0; i < 4; i++)
			buf[6 + i] = (uint8_t)(targetsel >> (8 * i));
		buf[10] = (uint8_t)__builtin_parity(targetsel);
	}
	return n;
}

int dap_commands_swd_targetsel_decode(const uint8_t *buf, size_t len)
{
	int rc = dap_commands_decode_status(buf, len, DAP_CMD_SWD_SEQUENCE);

	/* One byte for the 5 cycles read; what they hold is nobody's ACK. */
	if (rc >= 0 && len < 3)
		return err_setf(ERR_PROBE_PROTOCOL, "DAP_SWD_Sequence reply is %zu bytes, expected 3", len);
	return rc;
}

int dap_commands_swd_configure_encode(uint8_t *buf, size_t cap, uint8_t cfg)
{
	int n = dap_commands_encode_fits(2, cap);

	if (n > 0)
		buf[0] = DAP_CMD_SWD_CONFIGURE, buf[1] = cfg;
	return n;
}

int dap_commands_swd_configure_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_SWD_CONFIGURE);
}

int dap_commands_write_abort_encode(uint8_t *buf, size_t cap, uint32_t abort)
{
	int n = dap_commands_encode_fits(6, cap);

	if (n > 0) {
		buf[0] = DAP_CMD_WRITE_ABORT;
		buf[1] = 0; /* DAP index, ignored in SWD */
		dap_commands_put_le32(buf + 2, abort);
	}
	return n;
}

int dap_commands_write_abort_decode(const uint8_t *buf, size_t len)
{
	return dap_commands_decode_status(buf, len, DAP_CMD_WRITE_ABORT);
}

static bool dap_commands_xfer_has_data(uint8_t req)
{
	/* Writes (incl. match-mask writes) and value-match reads carry a word. */
	return !(req & DAP_XFER_RNW) || (req & DAP_XFER_MATCH_VALUE);
}

static bool dap_commands_xfer_returns_word(uint8_t req)
{
	return (req & DAP_XFER_RNW) && !(req & DAP_XFER_MATCH_VALUE);
}

size_t dap_commands_transfer_read_count(const struct dap_xfer *x, size_t n)
{
	size_t words = 0;

	for (size_t i = 0; i < n; i++)
		words += dap_commands_xfer_returns_word(x[i].req);
	return words;
}

size_t dap_commands_transfer_request_size(const struct dap_xfer *x, size_t n)
{
	size_t len = 3;

	for (size_t i = 0; i < n; i++)
		len += 1 + (dap_commands_xfer_has_data(x[i].req) ? 4 : 0);
	return len;
}

size_t dap_commands_transfer_response_size(const struct dap_xfer *x, size_t n)
{
	return 3 + 4 * dap_commands_transfer_read_count(x, n);
}

int dap_commands_transfer_encode(uint8_t *buf, size_t cap, const struct dap_xfer *x, size_t n)
{
	size_t need = dap_commands_transfer_request_size(x, n), pos = 3;
	int rc;

	if (n < 1 || n > 255)
		return err_setf(ERR_INTERNAL, "DAP_Transfer of %zu entries (1..255)", n);
	rc = dap_commands_encode_fits(need, cap);
	if (rc < 0)
		return rc;
	buf[0] = DAP_CMD_TRANSFER;
	buf[1] = 0; /* DAP index, ignored in SWD */
	buf[2] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		buf[pos++] = x[i].req;
		if (dap_commands_xfer_has_data(x[i].req)) {
			dap_commands_put_le32(buf + pos, x[i].data);
			pos += 4;
		}
	}
	return (int)need;
}

/*
 * Words the firmware stored for the first EXECUTED entries when the transfer
 * failed. DAP.c posts AP reads: an AP read's value is stored only when a later
 * access (the next AP read, a DP read, a write, or the trailing RDBUFF) has
 * collected it. So if the last collecting-or-posting entry before the failure
 * is a plain AP read, its value never arrived.
 */
static size_t dap_commands_words_on_failure(const struct dap_xfer *x, size_t executed)
{
	size_t words = dap_commands_transfer_read_count(x, executed);

	for (size_t i = executed; i-- > 0;) {
		uint8_t r = x[i].req;

		if (r & DAP_XFER_MATCH_MASK)
			continue; /* stays in the probe: no wire access */
		if ((r & DAP_XFER_APNDP) && dap_commands_xfer_returns_word(r))
			return words - 1;
		return words;
	}
	return words;
}

int dap_commands_transfer_decode(const uint8_t *buf, size_t len, const struct dap_xfer *x, size_t n,
			uint32_t *words, struct dap_transfer_result *res)
{
	int rc = dap_commands_check_echo(buf, len, DAP_CMD_TRANSFER, 3);
	size_t nwords;

	if (rc < 0)
		return rc;
	res->executed = buf[1];
	res->response = buf[2];
	if (res->executed > n)
		return err_setf(ERR_PROBE_PROTOCOL, "probe reports %u transfers done of %zu asked",
				res->executed, n);
	if (res->response == DAP_ACK_OK && res->executed == n)
		nwords = dap_commands_transfer_read_count(x, n);
	else
		nwords = dap_commands_words_on_failure(x, res->executed);
	if (3 + 4 * nwords > len)
		return err_setf(ERR_PROBE_PROTOCOL,
				"DAP_Transfer reply of %zu bytes is short of its %zu data words", len,
				nwords);
	for (size_t i = 0; i < nwords; i++)
		words[i] = dap_commands_get_le32(buf + 3 + 4 * i);
	res->nwords = (unsigned)nwords;
	return (int)(3 + 4 * nwords);
}

int dap_commands_transfer_block_encode(uint8_t *buf, size_t cap, uint8_t req, const uint32_t *wdata,
			      uint16_t count)
{
	bool write = !(req & DAP_XFER_RNW);
	size_t need = 5 + (write ? 4u * count : 0);
	int rc;

	if (count == 0 || (req & (DAP_XFER_MATCH_VALUE | DAP_XFER_MATCH_MASK)))
		return err_setf(ERR_INTERNAL, "bad DAP_TransferBlock (count %u, request 0x%02x)",
				count, req);
	rc = dap_commands_encode_fits(need, cap);
	if (rc < 0)
		return rc;
	buf[0] = DAP_CMD_TRANSFER_BLOCK;
	buf[1] = 0;
	dap_commands_put_le16(buf + 2, count);
	buf[4] = req & 0x0F;
	for (size_t i = 0; write && i < count; i++)
		dap_commands_put_le32(buf + 5 + 4 * i, wdata[i]);
	return (int)need;
}

int dap_commands_transfer_block_decode(const uint8_t *buf, size_t len, uint8_t req, uint16_t count,
			      uint32_t *rdata, struct dap_transfer_result *res)
{
	int rc = dap_commands_check_echo(buf, len, DAP_CMD_TRANSFER_BLOCK, 4);
	size_t nwords = 0;

	if (rc < 0)
		return rc;
	res->executed = (unsigned)buf[1] | (unsigned)buf[2] << 8;
	res->response = buf[3];
	if (res->executed > count)
		return err_setf(ERR_PROBE_PROTOCOL, "probe reports %u block transfers of %u asked",
				res->executed, count);
	/* For block reads the executed count equals the words returned (DAP.c). */
	if (req & DAP_XFER_RNW)
		nwords = res->executed;
	if (4 + 4 * nwords > len)
		return err_setf(ERR_PROBE_PROTOCOL, "DAP_TransferBlock reply is short of %zu words",
				nwords);
	for (size_t i = 0; i < nwords; i++)
		rdata[i] = dap_commands_get_le32(buf + 4 + 4 * i);
	res->nwords = (unsigned)nwords;
	return (int)(4 + 4 * nwords);
}
