/*
 * dap_held.c - set-up commands held back to travel with the next transfer.
 *
 * On a probe with atomic commands (DAP_Info capabilities bit 4), a command
 * whose reply is only its id and a status byte (DAP_Connect, DAP_SWJ_Clock,
 * DAP_SWJ_Sequence, DAP_TransferConfigure, DAP_SWD_Configure,
 * DAP_HostStatus) is not sent alone: it is held, in order, and goes in
 * front of the next DAP_Transfer in one DAP_ExecuteCommands packet
 * (`7F n cmd...` answered `7F n reply...`, each command run in turn:
 * docs/probe/cmsis-dap.md, "Atomic commands"). Any other command sends
 * what is held first, so the probe sees every command in the order it was
 * asked for. Nothing is held whose timing matters: DAP_SWJ_Pins (a host may
 * wait after releasing nRESET) is never held.
 */
#include "dap/dap.h"

#include <string.h>

#include "err.h"

/* `7F n` in front of the commands, and in front of their replies. */
#define DAP_HELD_HEADER 2
/* Every held command's reply: its id, then the status (or the port). */
#define DAP_HELD_REPLY 2

static int dap_held_check(struct dap *d, const uint8_t *rsp, size_t rlen)
{
	for (unsigned i = 0; i < d->held_n; i++) {
		int rc = d->held_check[i](rsp + DAP_HELD_REPLY * i,
					  rlen >= DAP_HELD_REPLY * i ? rlen - DAP_HELD_REPLY * i : 0);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The packet of the held commands, then CARRY (LEN bytes; none when 0),
 * into PKT; returns its length. */
static size_t dap_held_encode(const struct dap *d, const uint8_t *carry, size_t len, uint8_t *pkt)
{
	if (d->held_n == 1 && len == 0) {
		memcpy(pkt, d->held, d->held_len);
		return d->held_len;
	}
	pkt[0] = DAP_CMD_EXECUTE_COMMANDS;
	pkt[1] = (uint8_t)(d->held_n + (len ? 1 : 0));
	memcpy(pkt + DAP_HELD_HEADER, d->held, d->held_len);
	if (len)
		memcpy(pkt + DAP_HELD_HEADER + d->held_len, carry, len);
	return DAP_HELD_HEADER + d->held_len + len;
}

/* Send what is held, with CARRY behind it when LEN > 0; check the held
 * replies and leave the carried command's own reply in *RSP. Whatever the
 * outcome nothing stays held; after a failure the clock and the port are
 * unknown. */
static int dap_held_send(struct dap *d, const uint8_t *carry, size_t len, const uint8_t **rsp, size_t *rlen)
{
	uint8_t pkt[TRANSPORT_MAX_PACKET];
	bool wrapped = d->held_n > 1 || len > 0;
	size_t n = dap_held_encode(d, carry, len, pkt), skip = wrapped ? DAP_HELD_HEADER : 0;
	const uint8_t *r = NULL;
	size_t rl = 0;
	int rc = dap_send_now(d, pkt, n);

	if (rc == 0)
		rc = dap_collect(d, &r, &rl);
	if (rc == 0 && wrapped && (rl < DAP_HELD_HEADER || r[0] != DAP_CMD_EXECUTE_COMMANDS || r[1] != pkt[1]))
		rc = err_setf(ERR_PROBE_PROTOCOL, "malformed DAP_ExecuteCommands reply (%zu bytes, 0x%02x)", rl,
			      rl ? r[0] : 0);
	if (rc == 0)
		rc = dap_held_check(d, r + skip, rl - skip);
	if (rc == 0 && len) {
		skip += DAP_HELD_REPLY * d->held_n;
		if (rl < skip)
			rc = err_setf(ERR_PROBE_PROTOCOL, "DAP_ExecuteCommands reply of %zu bytes is short", rl);
		*rsp = r + skip;
		*rlen = rl - skip;
	}
	if (rc < 0) {
		d->clock_hz = 0;
		d->swd_on = false;
	}
	d->held_n = 0;
	d->held_len = 0;
	return rc;
}

int dap_held_flush(struct dap *d)
{
	return d->held_n ? dap_held_send(d, NULL, 0, NULL, NULL) : 0;
}

size_t dap_held_overhead(const struct dap *d)
{
	return d->held_n ? DAP_HELD_HEADER + d->held_len : 0;
}

int dap_held_add(struct dap *d, int n, int (*check)(const uint8_t *rsp, size_t len))
{
	const uint8_t *rsp = NULL;
	size_t rlen;
	int rc;

	if (n < 0)
		return n;
	if (!(d->caps & DAP_CAP_ATOMIC)) {
		if ((rc = dap_xfer(d, d->tx, (size_t)n, &rsp, &rlen)) < 0 || (rc = check(rsp, rlen)) < 0)
			return rc;
		return 0;
	}
	if (d->held_n == DAP_HELD_MAX ||
	    DAP_HELD_HEADER + d->held_len + (size_t)n > dap_usable_size(d) - DAP_HELD_ROOM) {
		if ((rc = dap_held_flush(d)) < 0)
			return rc;
	}
	memcpy(d->held + d->held_len, d->tx, (size_t)n);
	d->held_len += (size_t)n;
	d->held_check[d->held_n++] = check;
	return 0;
}

int dap_held_carry(struct dap *d, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rlen)
{
	if (!d->held_n)
		return dap_xfer(d, req, len, rsp, rlen);
	if (DAP_HELD_HEADER + d->held_len + len > dap_usable_size(d))
		return dap_xfer(d, req, len, rsp, rlen); /* sends what is held first */
	return dap_held_send(d, req, len, rsp, rlen);
}
