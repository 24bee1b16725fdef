/*
 * dap.c - CMSIS-DAP command I/O: the only place packets are written and read.
 *
 * Replies come back strictly in request order (the firmware's ring buffers),
 * so a queue of up to min(packet count, 4) commands may be in flight; a HID
 * probe that receives more drops the extra report (ARM's USBD_User_HID_0.c;
 * docs/probe/cmsis-dap.md, "Rules every command follows"), so the limit is
 * never exceeded.
 */
#include "dap/dap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

unsigned dap_usable_size(const struct dap *d)
{
	return transport_usable_size(d->t);
}

uint64_t dap_packets_sent(const struct dap *d)
{
	return d->t->packets_sent;
}

int dap_submit(struct dap *d, const uint8_t *req, size_t len)
{
	int rc = dap_held_flush(d);

	return rc < 0 ? rc : dap_send_now(d, req, len);
}

int dap_send_now(struct dap *d, const uint8_t *req, size_t len)
{
	int rc;

	if (d->in_flight >= d->in_flight_max)
		return err_setf(ERR_INTERNAL, "more than %u CMSIS-DAP commands in flight",
				d->in_flight_max);
	rc = transport_send(d->t, req, len);
	if (rc < 0)
		return rc;
	d->in_flight++;
	return 0;
}

int dap_collect(struct dap *d, const uint8_t **rsp, size_t *rlen)
{
	int rc;

	if (d->in_flight == 0)
		return err_setf(ERR_INTERNAL, "no CMSIS-DAP command in flight");
	rc = transport_recv(d->t, d->rx, sizeof(d->rx), rlen, DAP_REPLY_TIMEOUT_MS);
	d->in_flight--;
	if (rc < 0)
		return rc;
	*rsp = d->rx;
	return 0;
}

void dap_drain(struct dap *d)
{
	while (d->in_flight) {
		size_t len;

		d->in_flight--;
		if (transport_recv(d->t, d->rx, sizeof(d->rx), &len, 100) < 0)
			break;
	}
	d->in_flight = 0;
}

int dap_xfer(struct dap *d, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rlen)
{
	int rc = dap_submit(d, req, len);

	if (rc < 0)
		return rc;
	return dap_collect(d, rsp, rlen);
}

/* Run the command just encoded into d->tx (N bytes, or an encoder error). */
static int dap_round_trip(struct dap *d, int n, const uint8_t **rsp, size_t *rlen)
{
	return n < 0 ? n : dap_xfer(d, d->tx, (size_t)n, rsp, rlen);
}

static int dap_info_string(struct dap *d, uint8_t id, char *out, size_t cap)
{
	const uint8_t *rsp = NULL, *val = NULL;
	size_t rlen, vlen;
	int rc = dap_round_trip(d, dap_commands_info_encode(d->tx, sizeof(d->tx), id), &rsp, &rlen);

	if (rc < 0 || (rc = dap_commands_info_decode(rsp, rlen, &val, &vlen)) < 0)
		return rc;
	dap_commands_info_text(val, vlen, out, cap);
	return 0;
}

static int dap_info_number(struct dap *d, uint8_t id, unsigned *out, size_t want_len)
{
	const uint8_t *rsp = NULL, *val = NULL;
	size_t rlen, vlen;
	int rc = dap_round_trip(d, dap_commands_info_encode(d->tx, sizeof(d->tx), id), &rsp, &rlen);

	if (rc < 0 || (rc = dap_commands_info_decode(rsp, rlen, &val, &vlen)) < 0)
		return rc;
	if (vlen < 1 || vlen > want_len)
		return err_setf(ERR_PROBE_PROTOCOL, "DAP_Info 0x%02x returned %zu bytes", id, vlen);
	*out = val[0] | (vlen > 1 ? (unsigned)val[1] << 8 : 0);
	return 0;
}

static int dap_read_identity(struct dap *d)
{
	unsigned caps = 0, size = 0, count = 0;
	int rc;

	if ((rc = dap_info_number(d, DAP_INFO_CAPABILITIES, &caps, 2)) < 0 ||
	    (rc = dap_info_number(d, DAP_INFO_PACKET_SIZE, &size, 2)) < 0 ||
	    (rc = dap_info_number(d, DAP_INFO_PACKET_COUNT, &count, 1)) < 0)
		return err_context(rc, "reading the probe's capabilities: ");
	d->caps = (uint8_t)caps;
	d->base.id.swd = d->caps & DAP_CAP_SWD;
	d->base.id.jtag = d->caps & DAP_CAP_JTAG;
	d->base.id.swo = d->caps & (DAP_CAP_SWO_UART | DAP_CAP_SWO_MANCHESTER);
	d->base.id.atomic = d->caps & DAP_CAP_ATOMIC;
	if (!(d->caps & DAP_CAP_SWD))
		return err_setf(ERR_PROBE_UNSUPPORTED, "probe %s does not support SWD", d->t->info.uri);
	if (count < 1)
		return err_setf(ERR_PROBE_PROTOCOL, "probe reports a packet count of 0");
	rc = transport_set_packet_size(d->t, size);
	if (rc < 0)
		return rc;
	d->base.id.packet_size = size;
	d->base.id.packet_count = count;
	d->in_flight_max = count < DAP_MAX_IN_FLIGHT ? count : DAP_MAX_IN_FLIGHT;
	/* Strings are optional (len 0): the USB descriptors fill the gaps. */
	dap_info_string(d, DAP_INFO_VENDOR, d->base.id.vendor, sizeof(d->base.id.vendor));
	dap_info_string(d, DAP_INFO_PRODUCT, d->base.id.product, sizeof(d->base.id.product));
	dap_info_string(d, DAP_INFO_SERIAL, d->base.id.serial, sizeof(d->base.id.serial));
	dap_info_string(d, DAP_INFO_PROTOCOL_VERSION, d->base.id.protocol_version, sizeof(d->base.id.protocol_version));
	dap_info_string(d, DAP_INFO_FIRMWARE_VERSION, d->base.id.firmware_version, sizeof(d->base.id.firmware_version));
	if (!d->base.id.vendor[0])
		snprintf(d->base.id.vendor, sizeof(d->base.id.vendor), "%s", d->t->info.vendor);
	if (!d->base.id.product[0])
		snprintf(d->base.id.product, sizeof(d->base.id.product), "%s", d->t->info.product);
	if (!d->base.id.serial[0])
		snprintf(d->base.id.serial, sizeof(d->base.id.serial), "%s", d->t->info.serial);
	err_clear();
	return 0;
}

/* idle 0, WAIT retried by the probe itself up to 1000 times (a few ms at
 * 1 MHz; rdpd retries longer waits itself against a deadline), match retry
 * for power-up polls. */
static int dap_configure_transfers(struct dap *d)
{
	int rc = dap_held_add(d, dap_commands_transfer_configure_encode(d->tx, sizeof(d->tx), 0, 1000, 1000),
			  dap_commands_transfer_configure_decode);

	/* Turnaround 1 cycle, no data phase: the SW-DP reset default (ADIv5 B4.1.4). */
	return rc < 0 ? rc : dap_held_add(d, dap_commands_swd_configure_encode(d->tx, sizeof(d->tx), 0),
				      dap_commands_swd_configure_decode);
}

int dap_open(struct transport *t, struct dap **out)
{
	struct dap *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return err_setf(ERR_NO_MEMORY, "out of memory");
	d->t = d->base.t = t;
	d->base.ops = &dap_access_ops;
	d->base.id.protocol = dap_access_ops.name;
	d->base.id.target_mv = -1; /* CMSIS-DAP has no command for VTref */
	d->in_flight_max = 1; /* until DAP_Info 0xFE has been read */
	rc = dap_read_identity(d);
	/* Transfer settings are probe state: set them once per open. */
	if (rc == 0)
		rc = dap_configure_transfers(d);
	if (rc < 0) {
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

void dap_close(struct dap *d)
{
	if (!d)
		return;
	dap_drain(d);
	free(d);
}

static int dap_connect_check(const uint8_t *rsp, size_t rlen)
{
	uint8_t port = 0;
	int rc = dap_commands_connect_decode(rsp, rlen, &port);

	if (rc == 0 && port != DAP_PORT_SWD)
		return err_setf(ERR_PROBE_UNSUPPORTED, "probe refused to enter SWD mode");
	return rc;
}

int dap_connect_swd(struct dap *d)
{
	int rc;

	if (d->swd_on)
		return 0;
	rc = dap_held_add(d, dap_commands_connect_encode(d->tx, sizeof(d->tx), DAP_PORT_SWD), dap_connect_check);
	d->swd_on = rc == 0; /* held: dap_held.c forgets it if the probe refuses */
	return rc;
}

int dap_disconnect(struct dap *d)
{
	d->swd_on = false;
	const uint8_t *rsp = NULL;
	size_t rlen;
	int rc = dap_round_trip(d, dap_commands_disconnect_encode(d->tx, sizeof(d->tx)), &rsp, &rlen);

	return rc < 0 ? rc : (rc = dap_commands_disconnect_decode(rsp, rlen)) < 0 ? rc : 0;
}

int dap_set_clock(struct dap *d, uint32_t hz)
{
	int rc = dap_held_add(d, dap_commands_swj_clock_encode(d->tx, sizeof(d->tx), hz), dap_commands_swj_clock_decode);

	if (rc == 0)
		d->clock_hz = hz; /* held: dap_held.c forgets it if the probe refuses */
	return rc;
}

int dap_swj_sequence(struct dap *d, unsigned bits, const uint8_t *data)
{
	return dap_held_add(d, dap_commands_swj_sequence_encode(d->tx, sizeof(d->tx), bits, data),
			dap_commands_swj_sequence_decode);
}

int dap_swj_pins(struct dap *d, uint8_t out, uint8_t select, uint32_t wait_us, uint8_t *pins_in)
{
	const uint8_t *rsp = NULL;
	size_t rlen;
	uint8_t in = 0;
	int rc = dap_round_trip(d, dap_commands_swj_pins_encode(d->tx, sizeof(d->tx), out, select, wait_us),
				&rsp, &rlen);

	if (rc < 0 || (rc = dap_commands_swj_pins_decode(rsp, rlen, &in)) < 0)
		return rc;
	if (pins_in)
		*pins_in = in;
	return 0;
}

int dap_write_abort(struct dap *d, uint32_t abort)
{
	const uint8_t *rsp = NULL;
	size_t rlen;
	int rc = dap_round_trip(d, dap_commands_write_abort_encode(d->tx, sizeof(d->tx), abort), &rsp, &rlen);

	return rc < 0 ? rc : (rc = dap_commands_write_abort_decode(rsp, rlen)) < 0 ? rc : 0;
}

int dap_swd_targetsel(struct dap *d, uint32_t targetsel)
{
	const uint8_t *rsp = NULL;
	size_t rlen;
	int rc = dap_round_trip(d, dap_commands_swd_targetsel_encode(d->tx, sizeof(d->tx), targetsel), &rsp,
				&rlen);

	return rc < 0 ? rc : (rc = dap_commands_swd_targetsel_decode(rsp, rlen)) < 0 ? rc : 0;
}

int dap_host_status(struct dap *d, uint8_t type, bool on)
{
	return dap_held_add(d, dap_commands_host_status_encode(d->tx, sizeof(d->tx), type, on),
			dap_commands_host_status_decode);
}
