/*
 * dap_run.c - an ADIv5 queue (daemon/access/access.h) as DAP_Transfer and
 * DAP_TransferBlock packets.
 *
 * The runner packs queued accesses into as few packets as the probe's
 * packet size allows and resumes after WAIT. Resuming is exact because
 * CMSIS-DAP reports how many transfers completed: writes before that point
 * are never repeated (a repeated flash key write would lock the controller
 * until reset), a read whose value did not arrive is repeated, and a DRW
 * access re-aims TAR first because TAR has already auto-incremented past
 * it. The packets: docs/probe/cmsis-dap.md.
 */
#include "dap/dap.h"

#include <time.h>

#include "err.h"

#define DAP_RUN_MAX 256             /* transfers in one DAP_Transfer (count is a byte) */
#define DAP_RUN_SYNTHETIC ((size_t)-1) /* a transfer the runner added (TAR re-aim) */
#define DAP_RUN_AP_TAR 0x04u

/* The DAP_Transfer request byte of OP (ADIv5 A[3:2] in bits 3:2). */
static uint8_t dap_run_req(const struct access_op *op)
{
	return (uint8_t)((op->ap ? DAP_XFER_APNDP : 0) | ((op->flags & ACCESS_OP_READ) ? DAP_XFER_RNW : 0) |
			 (op->reg & 0x0C));
}

/* OP as transfers into X (1, or 2 for a match: the mask, then the read). */
static size_t dap_run_expand(const struct access_op *op, struct dap_xfer *x)
{
	if (op->flags & ACCESS_OP_MATCH) {
		/* The mask is stored in the probe, not sent to the target. */
		x[0] = (struct dap_xfer){.req = DAP_XFER_MATCH_MASK, .data = op->mask};
		x[1] = (struct dap_xfer){.req = (uint8_t)(dap_run_req(op) | DAP_XFER_MATCH_VALUE), .data = op->data};
		return 2;
	}
	x[0] = (struct dap_xfer){.req = dap_run_req(op), .data = op->data};
	return 1;
}

/* How many ops from FIRST fit one DAP_Transfer (request and response). */
static size_t dap_run_chunk_len(const struct dap *d, const struct access_op *q, size_t first, size_t end)
{
	/* Room is kept for the TAR write a WAIT resumption may add, and for
	 * what is held to travel in front (dap_held.c). */
	size_t held = dap_held_overhead(d), cap = dap_usable_size(d) - (held > 5 ? held : 5);
	size_t req = 3, rsp = 3, k = first, xfers = 0;

	while (k < end && !q[k].block) {
		struct dap_xfer x[2];
		size_t nx = dap_run_expand(&q[k], x), r = 0, w = 0;

		for (size_t i = 0; i < nx; i++) {
			r += 1 + ((!(x[i].req & DAP_XFER_RNW) || (x[i].req & DAP_XFER_MATCH_VALUE)) ? 4 : 0);
			w += dap_commands_transfer_read_count(&x[i], 1) * 4;
		}
		if (xfers + nx > DAP_RUN_MAX - 2 || req + r > cap || rsp + w > cap)
			break;
		req += r;
		rsp += w;
		xfers += nx;
		k++;
	}
	return k - first;
}

/* The access_fail for a DAP_Transfer response byte RESP at op AT. */
static int dap_run_fail(uint8_t resp, size_t at, struct access_fail *fail)
{
	enum access_ack ack;

	if ((resp & 7) == DAP_ACK_FAULT && !(resp & DAP_RESP_PROTOCOL_ERROR))
		ack = ACCESS_ACK_FAULT;
	else if (resp & DAP_RESP_MISMATCH)
		ack = ACCESS_ACK_MISMATCH;
	else if (resp & DAP_RESP_PROTOCOL_ERROR)
		ack = ACCESS_ACK_PROTOCOL;
	else if ((resp & 7) == DAP_ACK_WAIT)
		ack = ACCESS_ACK_WAIT;
	else if ((resp & 7) == DAP_ACK_NO_ACK)
		ack = ACCESS_ACK_NO_ACK;
	else
		ack = ACCESS_ACK_INVALID;
	*fail = (struct access_fail){.ack = ack, .at = at, .raw = resp};
	return 1;
}

/* First op to redo after WAIT: the first read whose value did not arrive, or
 * the first op not executed, whichever comes first. IDX maps list entries to
 * queue ops (DAP_RUN_SYNTHETIC for a TAR re-aim the runner added). */
static size_t dap_run_resume_point(const struct dap_xfer *x, const size_t *idx, size_t n,
				   const struct dap_transfer_result *res, size_t next)
{
	size_t seen = 0;

	for (size_t i = 0; i < res->executed && i < n; i++) {
		if (dap_commands_transfer_read_count(&x[i], 1)) {
			if (seen == res->nwords)
				return idx[i];
			seen++;
		}
	}
	return res->executed < n ? idx[res->executed] : next;
}

/* Encode X[0, n), send, decode into WORDS and RES. */
static int dap_run_packet(struct dap *d, const struct dap_xfer *x, size_t n, uint32_t *words,
			  struct dap_transfer_result *res)
{
	const uint8_t *rsp;
	size_t rlen;
	int rc = dap_commands_transfer_encode(d->tx, sizeof(d->tx), x, n);

	if (rc < 0 || (rc = dap_held_carry(d, d->tx, (size_t)rc, &rsp, &rlen)) < 0)
		return rc;
	return dap_commands_transfer_decode(rsp, rlen, x, n, words, res);
}

/* Hand the words of RES to the reads among X[0, n). */
static void dap_run_deliver(struct access_op *q, const struct dap_xfer *x, const size_t *idx, size_t n,
			    const uint32_t *words, const struct dap_transfer_result *res)
{
	size_t w = 0;

	for (size_t i = 0; i < n && w < res->nwords; i++)
		if (dap_commands_transfer_read_count(&x[i], 1)) {
			if (idx[i] != DAP_RUN_SYNTHETIC && q[idx[i]].out)
				*q[idx[i]].out = words[w];
			w++;
		}
}

/* Run ops [first, end) as DAP_Transfers, resuming after WAIT until DEADLINE. */
static int dap_run_transfer(struct dap *d, struct access_op *q, size_t first, size_t end, int64_t deadline,
			    struct access_fail *fail)
{
	struct dap_xfer x[DAP_RUN_MAX];
	size_t idx[DAP_RUN_MAX];
	uint32_t words[DAP_RUN_MAX];
	bool retar = false;

	while (first < end) {
		struct dap_transfer_result res;
		size_t n = 0;
		int rc;

		if (retar) {
			/* TAR has auto-incremented past the op being redone. */
			x[n] = (struct dap_xfer){.req = DAP_XFER_APNDP | DAP_RUN_AP_TAR, .data = q[first].mem_addr};
			idx[n++] = DAP_RUN_SYNTHETIC;
		}
		for (size_t k = first; k < end; k++) {
			size_t nx = dap_run_expand(&q[k], &x[n]);

			for (size_t i = 0; i < nx; i++)
				idx[n++] = k;
		}
		if ((rc = dap_run_packet(d, x, n, words, &res)) < 0)
			return rc;
		dap_run_deliver(q, x, idx, n, words, &res);
		if (res.response == DAP_ACK_OK && res.executed == n)
			return 0;
		if ((res.response & 0x1F) != DAP_ACK_WAIT || access_now_ms() > deadline) {
			size_t at = res.executed < n ? idx[res.executed] : end - 1;

			return dap_run_fail(res.response, at == DAP_RUN_SYNTHETIC ? first : at, fail);
		}
		{
			size_t r = dap_run_resume_point(x, idx, n, &res, end);

			if (r == DAP_RUN_SYNTHETIC)
				r = first; /* the TAR re-aim itself waited: do it again */
			retar = (q[r].flags & ACCESS_OP_DRW) != 0;
			first = r;
		}
	}
	return 0;
}

/* Run one block read; after WAIT, continue from the first word not read. */
static int dap_run_block(struct dap *d, struct access_op *q, size_t k, int64_t deadline,
			 struct access_fail *fail)
{
	struct access_op *op = &q[k];
	uint8_t req = dap_run_req(op);
	uint32_t *buf = op->block_buf, addr = op->mem_addr;
	unsigned left = op->block;

	while (left > 0) {
		struct dap_transfer_result res;
		const uint8_t *rsp;
		size_t rlen;
		int rc = dap_commands_transfer_block_encode(d->tx, sizeof(d->tx), req, NULL, (uint16_t)left);

		if (rc < 0 || (rc = dap_xfer(d, d->tx, (size_t)rc, &rsp, &rlen)) < 0 ||
		    (rc = dap_commands_transfer_block_decode(rsp, rlen, req, (uint16_t)left, buf, &res)) < 0)
			return rc;
		if (res.response == DAP_ACK_OK && res.executed == left)
			return 0;
		if ((res.response & 0x1F) != DAP_ACK_WAIT || access_now_ms() > deadline)
			return dap_run_fail(res.response, k, fail);
		buf += res.executed;
		addr += 4 * res.executed;
		left -= res.executed;
		/* TAR moved on during the WAITed access: aim it at the next word. */
		{
			struct dap_xfer tar = {.req = DAP_XFER_APNDP | DAP_RUN_AP_TAR, .data = addr};
			uint32_t none[1];

			if ((rc = dap_run_packet(d, &tar, 1, none, &res)) < 0)
				return rc;
			if (res.response != DAP_ACK_OK)
				return dap_run_fail(res.response, k, fail);
		}
	}
	return 0;
}

int dap_run(struct dap *d, struct access_op *q, size_t n, int64_t deadline_ms, struct access_fail *fail)
{
	size_t i = 0;
	int rc = 0;

	while (rc == 0 && i < n) {
		size_t len;

		if (q[i].block) {
			rc = dap_run_block(d, q, i, deadline_ms, fail);
			i++;
			continue;
		}
		len = dap_run_chunk_len(d, q, i, n);
		rc = dap_run_transfer(d, q, i, i + len, deadline_ms, fail);
		i += len;
	}
	if (rc != 0)
		d->swd_on = false; /* the next connect sets the port up again */
	return rc;
}
