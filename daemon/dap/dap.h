/*
 * dap.h - a CMSIS-DAP probe: its identity, and command I/O done once for all
 * commands (send, receive, echo check), with up to packet-count commands in
 * flight for batched transfers.
 */
#ifndef RDPD_DAP_H
#define RDPD_DAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "dap/dap_commands.h"
#include "transport/transport.h"

#define DAP_MAX_IN_FLIGHT 4 /* as OpenOCD's MAX_PENDING_REQUESTS */
#define DAP_REPLY_TIMEOUT_MS 5000
/* Held set-up commands (dap_held.c): at most this many, leaving a packet
 * room for a DAP_Transfer of DAP_HELD_ROOM bytes behind them (the DP
 * power-up of dp.c is 24). */
#define DAP_HELD_MAX 8
#define DAP_HELD_ROOM 24

struct dap {
	struct access base;    /* identity: DAP_Info's strings, packet size (0xFF) and count (0xFE) */
	struct transport *t;
	uint8_t caps;          /* DAP_Info 0xF0 byte 0 */
	unsigned in_flight_max;
	unsigned in_flight;
	uint32_t clock_hz;     /* last SWJ_Clock set, 0 = unknown */
	/* DAP_Connect (SWD) done, and since then no DAP_Disconnect and no
	 * transfer the target failed: the port need not be set up again. */
	bool swd_on;
	/* Commands held to go with the next transfer (dap_held.c). */
	uint8_t held[TRANSPORT_MAX_PACKET];
	size_t held_len;
	unsigned held_n;
	int (*held_check[DAP_HELD_MAX])(const uint8_t *rsp, size_t len);
	uint8_t tx[TRANSPORT_MAX_PACKET];
	uint8_t rx[TRANSPORT_MAX_PACKET + 1];
};

/* Query the probe's identity and packet geometry (DAP_Info); no target I/O. */
int dap_open(struct transport *t, struct dap **out);
void dap_close(struct dap *d);

/* Largest command or response, in bytes. */
unsigned dap_usable_size(const struct dap *d);
/* Command packets sent so far (the cost that matters on USB full speed). */
uint64_t dap_packets_sent(const struct dap *d);

/* One synchronous round trip: send REQ, receive the reply into d->rx.
 * Returns 0 and sets RSP and RLEN, or -ERR_*. */
int dap_xfer(struct dap *d, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rlen);
/* Pipelining: submit a command without waiting (what is held goes
 * first), then collect replies in order. */
int dap_submit(struct dap *d, const uint8_t *req, size_t len);
/* Submit without sending what is held first (dap_held.c). */
int dap_send_now(struct dap *d, const uint8_t *req, size_t len);
int dap_collect(struct dap *d, const uint8_t **rsp, size_t *rlen);
/* Throw away replies still in flight after an error. */
void dap_drain(struct dap *d);

/* dap_run.c: run an ADIv5 queue as DAP_Transfer and DAP_TransferBlock
 * packets (access_ops.run). */
int dap_run(struct dap *d, struct access_op *q, size_t n, int64_t deadline_ms, struct access_fail *fail);

/* dap_held.c. Hold the command just encoded in d->tx (N bytes, or an
 * encoder error), whose reply CHECK judges, to travel with the next
 * transfer; a probe without atomic commands runs it now. */
int dap_held_add(struct dap *d, int n, int (*check)(const uint8_t *rsp, size_t len));
/* Send what is held now. */
int dap_held_flush(struct dap *d);
/* Bytes what is held adds to the packet that carries it. */
size_t dap_held_overhead(const struct dap *d);
/* dap_xfer of the DAP_Transfer REQ with what is held in front of it, in one
 * DAP_ExecuteCommands packet where it fits; RSP is REQ's own reply. */
int dap_held_carry(struct dap *d, const uint8_t *req, size_t len, const uint8_t **rsp, size_t *rlen);

/* Commands used outside the transfer path. */
int dap_connect_swd(struct dap *d);
int dap_disconnect(struct dap *d);
int dap_set_clock(struct dap *d, uint32_t hz);
int dap_swj_sequence(struct dap *d, unsigned bits, const uint8_t *data);
int dap_swj_pins(struct dap *d, uint8_t out, uint8_t select, uint32_t wait_us, uint8_t *pins_in);
int dap_write_abort(struct dap *d, uint32_t abort);
int dap_swd_targetsel(struct dap *d, uint32_t targetsel);
int dap_host_status(struct dap *d, uint8_t type, bool on);

#endif
