/*
 * stlink.c - the ST-LINK debug-access protocol: command I/O done once for
 * all commands, the probe's identity, and the wire up to a debug port.
 *
 * An ST-LINK runs SWD itself: the host sends 16-byte commands (ENTER, DAP
 * register and memory accesses) and reads replies of the length it chooses,
 * one command at a time. References: docs/probe/stlink.md ("Framing",
 * "Opening", "Connecting", "Firmware gates"), with OpenOCD
 * src/jtag/drivers/stlink_usb.c v0.12.0 as the host that tools agree with.
 */
#include "stlink/stlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

/* ENTER answers WAIT while the target's debug port is busy; OpenOCD
 * retries for about 255 ms (stlink_cmd_allow_retry), rdpd a little longer,
 * unless the caller gives a WAIT less time (its run deadline). */
#define STLINK_ENTER_WAIT_MS 1000
#define STLINK_ENTER_PAUSE_MS 10

int stlink_xfer(struct stlink *sl, const uint8_t cmd[STLINK_COMMANDS_CMD_LEN], const uint8_t *out,
		size_t out_len, size_t in_len, const char *what)
{
	struct transport *t = sl->base.t;
	size_t got = 0;
	int rc;

	if (in_len > sizeof(sl->rx))
		return err_setf(ERR_INTERNAL, "ST-LINK reply of %zu bytes asked for %s", in_len, what);
	rc = transport_send(t, cmd, STLINK_COMMANDS_CMD_LEN);
	if (rc == 0 && out && out_len)
		rc = transport_send(t, out, out_len);
	if (rc < 0)
		return err_context(rc, "sending %s: ", what);
	if (in_len == 0)
		return 0;
	rc = transport_recv(t, sl->rx, in_len, &got, STLINK_REPLY_TIMEOUT_MS);
	if (rc < 0)
		return err_context(rc, "waiting for the reply to %s: ", what);
	if (got != in_len)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered %s with %zu bytes; %zu expected",
				what, got, in_len);
	return 0;
}

int stlink_own_failure(const char *what, uint8_t status)
{
	return err_setf(ERR_PROBE_PROTOCOL,
			"the ST-LINK failed %s with %s (0x%02x), an error of its own rather than an SWD answer "
			"from the target",
			what, stlink_commands_status_name(status), status);
}

int stlink_simple(struct stlink *sl, const uint8_t cmd[STLINK_COMMANDS_CMD_LEN], const char *what, bool swd)
{
	uint8_t status;
	enum stlink_commands_status kind;
	int rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_STATUS, what);

	if (rc < 0 || (rc = stlink_commands_status_decode(sl->rx, STLINK_REPLY_STATUS,
							  STLINK_REPLY_STATUS, &status)) < 0)
		return rc;
	kind = stlink_commands_status(status);
	if (kind == STLINK_STATUS_OK)
		return 0;
	if (kind == STLINK_STATUS_UNKNOWN)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered %s with 0x%02x, which is no status",
				what, status);
	if (kind == STLINK_STATUS_BAD_AP)
		return err_setf(ERR_PROBE_UNSUPPORTED, "the ST-LINK refused %s: BAD_AP_ERROR (0x1d)", what);
	if (kind == STLINK_STATUS_FIRMWARE || !swd)
		return stlink_own_failure(what, status);
	return err_setf(ERR_TARGET_NOT_RESPONDING, "the ST-LINK could not do %s: %s (0x%02x)", what,
			stlink_commands_status_name(status), status);
}

int stlink_too_old(const struct stlink *sl, const char *what, const char *needed)
{
	return err_setf(ERR_PROBE_UNSUPPORTED,
			"the ST-LINK's firmware %s is too old for %s: rdpd needs %s or later; update it with "
			"ST's STLinkUpgrade or STM32CubeProgrammer",
			sl->base.id.firmware_version, what, needed);
}

/* docs/probe/stlink.md, "Firmware gates" (OpenOCD stlink_usb_version). */
static unsigned stlink_features(const struct stlink_commands_version *v)
{
	unsigned f = 0, j = v->jtag;

	if (v->stlink >= 3)
		return STLINK_F_VOLTAGE | STLINK_F_DAP_REG | STLINK_F_MEM16 | STLINK_F_INIT_AP |
		       STLINK_F_COM_FREQ | (j >= 2 ? STLINK_F_CSW : 0);
	if (v->stlink != 2)
		return 0; /* a V1 speaks SCSI and API1: nothing rdpd uses */
	f |= j >= 13 ? STLINK_F_VOLTAGE : 0;
	f |= j >= 22 ? STLINK_F_SWD_FREQ : 0;
	f |= j >= 24 ? STLINK_F_DAP_REG : 0;
	f |= j >= 26 ? STLINK_F_MEM16 : 0;
	f |= j >= 28 ? STLINK_F_INIT_AP : 0;
	f |= j >= 32 ? STLINK_F_CSW : 0;
	return f;
}

static int stlink_read_version(struct stlink *sl)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	int rc;

	stlink_commands_get_version(cmd);
	rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_VERSION, "GET_VERSION");
	if (rc < 0 || (rc = stlink_commands_version_decode(sl->rx, STLINK_REPLY_VERSION, &sl->version)) < 0)
		return rc;
	if (sl->version.need_ex) {
		stlink_commands_get_version_ex(cmd);
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_VERSION_EX, "GET_VERSION_EX");
		if (rc < 0 ||
		    (rc = stlink_commands_version_ex_decode(sl->rx, STLINK_REPLY_VERSION_EX, &sl->version)) < 0)
			return rc;
	}
	sl->features = stlink_features(&sl->version);
	return 0;
}

static int stlink_current_mode(struct stlink *sl, uint8_t *mode)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	int rc;

	stlink_commands_get_mode(cmd);
	rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_MODE, "GET_CURRENT_MODE");
	return rc < 0 ? rc : stlink_commands_mode_decode(sl->rx, STLINK_REPLY_MODE, mode);
}

/* OpenOCD stlink_usb_init_mode: leave DFU, DEBUG (left by an earlier
 * session) or SWIM, then ask again. */
static int stlink_leave_mode(struct stlink *sl, uint8_t *mode)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	int rc = stlink_current_mode(sl, mode);

	if (rc < 0 || !stlink_commands_leave_mode(cmd, *mode))
		return rc;
	rc = stlink_xfer(sl, cmd, NULL, 0, 0, "leaving the probe's mode");
	return rc < 0 ? rc : stlink_current_mode(sl, mode);
}

static int stlink_voltage(struct access *ac, int *mv)
{
	struct stlink *sl = (struct stlink *)ac;
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	int rc;

	if (!(sl->features & STLINK_F_VOLTAGE))
		return stlink_too_old(sl, "measuring the target voltage", "V2J13");
	stlink_commands_get_voltage(cmd);
	rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_VOLTAGE, "GET_TARGET_VOLTAGE");
	return rc < 0 ? rc : stlink_commands_voltage_decode(sl->rx, STLINK_REPLY_VOLTAGE, mv);
}

/* The product name when the USB descriptor gives none. */
static const char *stlink_product_name(const struct stlink_commands_version *v)
{
	if (v->stlink == 4)
		return "STLINK-V3PWR";
	if (v->stlink == 3)
		return "STLINK-V3";
	return v->pid == 0x374B || v->pid == 0x3752 ? "ST-LINK/V2-1" : "ST-LINK/V2";
}

static void stlink_fill_identity(struct stlink *sl)
{
	struct access_identity *id = &sl->base.id;
	const struct transport_probe_info *info = &sl->base.t->info;

	id->protocol = stlink_access_ops.name;
	snprintf(id->vendor, sizeof(id->vendor), "%s", info->vendor[0] ? info->vendor : "STMicroelectronics");
	snprintf(id->product, sizeof(id->product), "%s",
		 info->product[0] ? info->product : stlink_product_name(&sl->version));
	snprintf(id->serial, sizeof(id->serial), "%s", info->serial);
	/* The API level: 2 on V2 and V2-1, 3 on V3 (OpenOCD jtag_api). */
	snprintf(id->protocol_version, sizeof(id->protocol_version), "%u", sl->version.stlink >= 3 ? 3u : 2u);
	stlink_commands_version_text(&sl->version, id->firmware_version, sizeof(id->firmware_version));
	id->swd = true;
	id->jtag = sl->version.jtag != 0;
	id->swo = (sl->features & STLINK_F_VOLTAGE) != 0; /* TRACE came with the same J13 */
	id->atomic = false;
	id->packet_size = STLINK_COMMANDS_CMD_LEN;
	id->packet_count = 1;
	id->target_mv = -1;
}

/*
 * Read the probe's version and bring it out of DFU, mass-storage or an
 * earlier debug session; measure VTref once. No target I/O.
 */
static int stlink_open(struct transport *t, struct access **out)
{
	struct stlink *sl = calloc(1, sizeof(*sl));
	uint8_t mode = 0;
	int rc, mv;

	if (!sl)
		return err_setf(ERR_NO_MEMORY, "out of memory opening an ST-LINK");
	sl->base.ops = &stlink_access_ops;
	sl->base.t = t;
	rc = stlink_read_version(sl);
	if (rc == 0)
		rc = stlink_leave_mode(sl, &mode);
	if (rc < 0) {
		free(sl);
		return err_context(rc, "opening ST-LINK %s: ", t->info.uri);
	}
	stlink_fill_identity(sl);
	/* OpenOCD skips the voltage in DFU mode; a failure leaves "unknown". */
	if (mode != STLINK_MODE_DFU && (sl->features & STLINK_F_VOLTAGE) && stlink_voltage(&sl->base, &mv) == 0)
		sl->base.id.target_mv = mv;
	err_clear();
	log_info("%s: ST-LINK %s (API v%s) VID:PID %04x:%04x", t->info.uri, sl->base.id.firmware_version,
		 sl->base.id.protocol_version, sl->version.vid, sl->version.pid);
	*out = &sl->base;
	return 0;
}

static void stlink_close(struct access *ac)
{
	struct stlink *sl = (struct stlink *)ac;
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];

	if (!sl)
		return;
	if (sl->debug_mode) {
		/* EXIT has no reply; it also releases NRST (psdb cdb.py). */
		stlink_commands_exit(cmd);
		stlink_xfer(sl, cmd, NULL, 0, 0, "DEBUG_EXIT");
	}
	free(sl);
}

/* V3: choose from the probe's own list; V2: the divisor table. */
static int stlink_set_clock(struct stlink *sl, uint32_t clock_hz)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	uint32_t khz = clock_hz / 1000, chosen = 0;
	uint8_t status;
	int rc;

	if (sl->clock_hz == clock_hz)
		return 0;
	if (sl->features & STLINK_F_COM_FREQ) {
		stlink_commands_get_com_freq(cmd);
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_GET_COM_FREQ, "GET_COM_FREQ");
		if (rc < 0 || (rc = stlink_commands_com_freq_choose(sl->rx, STLINK_REPLY_GET_COM_FREQ, khz,
								    &chosen)) < 0)
			return rc;
		if (sl->rx[0] != STLINK_STATUS_CODE_OK)
			return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered GET_COM_FREQ with status 0x%02x",
					sl->rx[0]);
		stlink_commands_set_com_freq(cmd, chosen);
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_SET_COM_FREQ, "SET_COM_FREQ");
		if (rc < 0 ||
		    (rc = stlink_commands_status_decode(sl->rx, STLINK_REPLY_SET_COM_FREQ,
							STLINK_REPLY_SET_COM_FREQ, &status)) < 0)
			return rc;
		if (status != STLINK_STATUS_CODE_OK)
			return err_setf(ERR_PROBE_UNSUPPORTED, "the ST-LINK refused an SWD clock of %u kHz (0x%02x)",
					chosen, status);
	} else if (sl->features & STLINK_F_SWD_FREQ) {
		stlink_commands_swd_set_freq(cmd, stlink_commands_swd_divisor(khz, &chosen));
		if ((rc = stlink_simple(sl, cmd, "SWD_SET_FREQ", false)) < 0)
			return rc;
	}
	log_debug("%s: SWD clock %u kHz (asked %u kHz)", sl->base.t->info.uri, chosen, khz);
	sl->clock_hz = clock_hz;
	return 0;
}

static int stlink_set_nreset(struct access *ac, bool asserted)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];

	stlink_commands_drive_nrst(cmd, asserted);
	/* DRIVE_NRST drives a pin: no SWD, so any refusal is the probe's. */
	return stlink_simple((struct stlink *)ac, cmd, asserted ? "asserting nRESET" : "releasing nRESET", false);
}

/* ENTER SWD; WAIT is retried for STLINK_ENTER_WAIT_MS or until
 * WAIT_DEADLINE_MS, whichever comes first. A re-entry closes every AP the
 * firmware had open (OpenOCD stlink_usb_mode_enter). */
static int stlink_enter(struct stlink *sl, int64_t wait_deadline_ms)
{
	int64_t deadline = access_now_ms() + STLINK_ENTER_WAIT_MS;
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN], status;
	const struct timespec pause = {.tv_nsec = STLINK_ENTER_PAUSE_MS * 1000000L};
	enum stlink_commands_status kind;
	bool waiting;
	int rc;

	if (wait_deadline_ms < deadline)
		deadline = wait_deadline_ms;
	stlink_commands_enter_swd(cmd);
	do {
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_STATUS, "ENTER SWD");
		if (rc < 0 || (rc = stlink_commands_status_decode(sl->rx, STLINK_REPLY_STATUS, STLINK_REPLY_STATUS,
								  &status)) < 0)
			return rc;
		kind = stlink_commands_status(status);
		waiting = (kind == STLINK_STATUS_AP_WAIT || kind == STLINK_STATUS_DP_WAIT) && access_now_ms() < deadline;
		if (waiting)
			nanosleep(&pause, NULL);
	} while (waiting);
	memset(sl->ap_open, 0, sizeof(sl->ap_open));
	memset(sl->csw_known, 0, sizeof(sl->csw_known));
	sl->dp_bank = 0;
	sl->fresh_enter = false;
	if (kind == STLINK_STATUS_OK) {
		sl->debug_mode = sl->fresh_enter = true;
		return 0;
	}
	if (kind == STLINK_STATUS_UNKNOWN)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered ENTER SWD with 0x%02x, which is no status",
				status);
	return err_setf(ERR_TARGET_NOT_RESPONDING,
			"the ST-LINK could not connect to the target over SWD: %s (0x%02x); is it powered, "
			"and are SWDIO, SWCLK and GND wired?",
			stlink_commands_status_name(status), status);
}

/*
 * Clock, nRESET, ENTER. OpenOCD asserts nRESET both before and after ENTER
 * because V2 J27/J29 firmware drive T_NRST themselves after power-on
 * (stlink_usb_init_mode, docs/probe/stlink.md "Connecting").
 */
static int stlink_connect(struct access *ac, uint32_t clock_hz, bool under_reset, int64_t wait_deadline_ms)
{
	struct stlink *sl = (struct stlink *)ac;
	int rc;

	if (!(sl->features & STLINK_F_DAP_REG))
		return stlink_too_old(sl, "DAP register access (READ/WRITE_DAP_REG)", "V2J24");
	if ((rc = stlink_set_clock(sl, clock_hz)) < 0)
		return rc;
	if (under_reset && (rc = stlink_set_nreset(ac, true)) < 0)
		return rc;
	if ((rc = stlink_enter(sl, wait_deadline_ms)) < 0)
		return rc;
	return under_reset ? stlink_set_nreset(ac, true) : 0;
}

static int stlink_line_reset(struct access *ac, int64_t wait_deadline_ms)
{
	return stlink_enter((struct stlink *)ac, wait_deadline_ms);
}

/* WRITE_DAP_REG to DP register 0 is ABORT; ABORT is accepted even while
 * the DP answers WAIT or FAULT (ADIv5.2 B4.2.2). */
static int stlink_abort(struct access *ac, uint32_t value)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];

	stlink_commands_write_dap_reg(cmd, STLINK_DP_PORT, 0x0, value);
	return stlink_simple((struct stlink *)ac, cmd, "writing DP ABORT", true);
}

static size_t stlink_block_words(const struct access *ac)
{
	return STLINK_BLOCK_BYTES / 4;
}

const struct access_ops stlink_access_ops = {
	.name = "stlink",
	.open = stlink_open,
	.close = stlink_close,
	.connect = stlink_connect,
	.line_reset = stlink_line_reset,
	.run = stlink_run_queue,
	.abort = stlink_abort,
	.set_nreset = stlink_set_nreset,
	.block_words = stlink_block_words,
	.target_voltage = stlink_voltage,
};
