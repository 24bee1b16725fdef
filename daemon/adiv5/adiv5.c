/*
 * adiv5.c - the transfer queue and its runner.
 *
 * The runner packs queued accesses into DAP_Transfer packets and resumes
 * after WAIT. Resuming is exact because CMSIS-DAP reports how many transfers
 * completed: writes before that point are never repeated (a repeated flash
 * key write would lock the controller until reset), a read whose value did
 * not arrive is repeated, and a DRW access re-aims TAR first because TAR has
 * already auto-incremented past it.
 */
#include "adiv5/adiv5.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

void adiv5_init(struct adiv5 *a, struct dap *d)
{
	memset(a, 0, sizeof(*a));
	a->dap = d;
	a->timeout_ms = ADIV5_DEFAULT_TIMEOUT_MS;
}

void adiv5_invalidate(struct adiv5 *a)
{
	a->select_valid = a->csw_valid = a->tar_valid = false;
}

void adiv5_discard(struct adiv5 *a)
{
	a->n = 0;
	a->queue_rc = 0;
}

static struct adiv5_op *adiv5_push(struct adiv5 *a)
{
	struct adiv5_op *op;

	if (a->n == ADIV5_QUEUE_MAX) {
		if (!a->queue_rc)
			a->queue_rc = err_setf(ERR_INTERNAL, "ADIv5 queue overflow (%d)", ADIV5_QUEUE_MAX);
		return NULL;
	}
	op = &a->q[a->n++];
	memset(op, 0, sizeof(*op));
	return op;
}

static uint8_t adiv5_dp_req(uint8_t reg, bool read)
{
	return (uint8_t)((read ? DAP_XFER_RNW : 0) | (reg & 0x0C));
}

void adiv5_dp_read(struct adiv5 *a, uint8_t reg, uint32_t *out)
{
	struct adiv5_op *op = adiv5_push(a);

	if (op) {
		op->x.req = adiv5_dp_req(reg, true);
		op->out = out;
	}
}

void adiv5_dp_write(struct adiv5 *a, uint8_t reg, uint32_t val)
{
	struct adiv5_op *op = adiv5_push(a);

	if (op) {
		op->x.req = adiv5_dp_req(reg, false);
		op->x.data = val;
		if (reg != DP_SELECT)
			op->flags = ADIV5_OP_SIDE_EFFECT;
	}
}

void adiv5_dp_match(struct adiv5 *a, uint8_t reg, uint32_t mask, uint32_t value)
{
	struct adiv5_op *op = adiv5_push(a);

	if (op) {
		op->x.req = DAP_XFER_MATCH_MASK; /* stored in the probe, not sent to the target */
		op->x.data = mask;
	}
	op = adiv5_push(a);
	if (op) {
		op->x.req = (uint8_t)(adiv5_dp_req(reg, true) | DAP_XFER_MATCH_VALUE);
		op->x.data = value;
	}
}

/* SELECT = APSEL[31:24] | APBANKSEL[7:4]; written only when it changes. */
void adiv5_select_ap_bank(struct adiv5 *a, uint8_t apsel, uint8_t reg)
{
	uint32_t sel = (uint32_t)apsel << 24 | (reg & 0xF0u);

	if (a->select_valid && a->select == sel)
		return;
	adiv5_dp_write(a, DP_SELECT, sel);
	a->select = sel;
	a->select_valid = true;
}

void adiv5_ap_read(struct adiv5 *a, uint8_t apsel, uint8_t reg, uint32_t *out)
{
	struct adiv5_op *op;

	adiv5_select_ap_bank(a, apsel, reg);
	op = adiv5_push(a);
	if (op) {
		op->x.req = (uint8_t)(DAP_XFER_APNDP | DAP_XFER_RNW | (reg & 0x0C));
		op->out = out;
	}
}

void adiv5_ap_write(struct adiv5 *a, uint8_t apsel, uint8_t reg, uint32_t val)
{
	struct adiv5_op *op;

	adiv5_select_ap_bank(a, apsel, reg);
	op = adiv5_push(a);
	if (op) {
		op->x.req = (uint8_t)(DAP_XFER_APNDP | (reg & 0x0C));
		op->x.data = val;
		if (reg != AP_CSW && reg != AP_TAR)
			op->flags = ADIV5_OP_SIDE_EFFECT;
	}
}

bool adiv5_idr_is_ahb_mem_ap(uint32_t idr)
{
	uint32_t type = idr & 0xFu;

	return ((idr >> AP_IDR_CLASS_SHIFT) & 0xFu) == AP_IDR_CLASS_MEM_AP &&
	       (type == AP_IDR_TYPE_AHB3 || type == AP_IDR_TYPE_AHB5 || type == AP_IDR_TYPE_AHB5_HPROT);
}

static int64_t adiv5_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How many ops from FIRST fit one DAP_Transfer (request and response). */
static size_t adiv5_chunk_len(const struct adiv5 *a, size_t first, size_t end)
{
	/* Room is kept for the TAR write a WAIT resumption may add. */
	size_t cap = dap_usable_size(a->dap) - 5, req = 3, rsp = 3, k = first;

	while (k < end && k - first < 254 && !a->q[k].block) {
		size_t r = 1 + ((!(a->q[k].x.req & DAP_XFER_RNW) ||
				 (a->q[k].x.req & DAP_XFER_MATCH_VALUE)) ? 4 : 0);
		size_t w = dap_commands_transfer_read_count(&a->q[k].x, 1) * 4;

		if (req + r > cap || rsp + w > cap)
			break;
		req += r;
		rsp += w;
		k++;
	}
	return k - first;
}

static const char *adiv5_ack_text(uint8_t resp)
{
	if (resp & DAP_RESP_PROTOCOL_ERROR)
		return "SWD parity error";
	switch (resp & 7) {
	case DAP_ACK_WAIT: return "WAIT";
	case DAP_ACK_FAULT: return "FAULT";
	case DAP_ACK_NO_ACK: return "no ACK";
	default: return "invalid ACK";
	}
}

/* The memory address nearest before op I, for error messages. */
static int adiv5_nearest_addr(const struct adiv5 *a, size_t i, uint32_t *addr)
{
	for (size_t k = i + 1; k-- > 0;)
		if (k < a->n && (a->q[k].flags & ADIV5_OP_DRW)) {
			*addr = a->q[k].mem_addr;
			return 1;
		}
	return 0;
}

/* A FAULT or a lost link ends the run: recover what we can, say what failed. */
static int adiv5_fail(struct adiv5 *a, size_t at, uint8_t resp)
{
	uint32_t addr = 0;
	bool has_addr = adiv5_nearest_addr(a, at, &addr);

	adiv5_invalidate(a);
	if ((resp & 7) == DAP_ACK_FAULT && !(resp & DAP_RESP_PROTOCOL_ERROR)) {
		dp_clear_sticky(a);
		if (has_addr)
			return err_setf(ERR_TARGET_FAULT,
					"the target refused the bus access at 0x%08x (FAULT)", addr);
		return err_setf(ERR_TARGET_FAULT, "the debug port answered FAULT");
	}
	if (resp & DAP_RESP_MISMATCH)
		return err_setf(ERR_TARGET_WAIT_TIMEOUT,
				"a register never reached its expected value");
	a->link_up = false;
	return err_setf(ERR_TARGET_NOT_RESPONDING,
			"the target stopped answering on SWD (%s)%s", adiv5_ack_text(resp),
			(resp & 7) == 0 ? ": SWDIO held low?" : "");
}

#define ADIV5_SYNTHETIC ((size_t)-1)

/* First op to redo after WAIT: the first read whose value did not arrive, or
 * the first op not executed, whichever comes first. IDX maps list entries to
 * queue ops (ADIV5_SYNTHETIC for a TAR re-aim the runner added). */
static size_t adiv5_resume_point(const struct dap_xfer *x, const size_t *idx, size_t n,
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

/* Run ops [first, end) as DAP_Transfers, resuming after WAIT until DEADLINE. */
static int adiv5_run_transfer(struct adiv5 *a, size_t first, size_t end, int64_t deadline)
{
	struct dap_xfer x[256];
	size_t idx[256];
	uint32_t words[256];
	bool retar = false;

	while (first < end) {
		struct dap_transfer_result res;
		const uint8_t *rsp;
		size_t rlen, w = 0, n = 0;
		int rc;

		if (retar) {
			/* TAR has auto-incremented past the op being redone. */
			x[n] = (struct dap_xfer){.req = DAP_XFER_APNDP | AP_TAR, .data = a->q[first].mem_addr};
			idx[n++] = ADIV5_SYNTHETIC;
		}
		for (size_t k = first; k < end; k++) {
			x[n] = a->q[k].x;
			idx[n++] = k;
		}
		rc = dap_commands_transfer_encode(a->dap->tx, sizeof(a->dap->tx), x, n);
		if (rc < 0 || (rc = dap_xfer(a->dap, a->dap->tx, (size_t)rc, &rsp, &rlen)) < 0 ||
		    (rc = dap_commands_transfer_decode(rsp, rlen, x, n, words, &res)) < 0)
			return rc;
		a->transfers += res.executed;
		for (size_t i = 0; i < n && w < res.nwords; i++)
			if (dap_commands_transfer_read_count(&x[i], 1)) {
				if (idx[i] != ADIV5_SYNTHETIC && a->q[idx[i]].out)
					*a->q[idx[i]].out = words[w];
				w++;
			}
		if (res.response == DAP_ACK_OK && res.executed == n)
			return 0;
		if ((res.response & 0x1F) != DAP_ACK_WAIT) {
			size_t at = res.executed < n ? idx[res.executed] : end - 1;

			return adiv5_fail(a, at == ADIV5_SYNTHETIC ? first : at, res.response);
		}
		if (adiv5_now_ms() > deadline) {
			dap_write_abort(a->dap, DP_ABORT_DAPABORT);
			adiv5_invalidate(a);
			return err_setf(ERR_TARGET_WAIT_TIMEOUT,
					"the target answered WAIT for %d ms; the bus is stuck",
					a->timeout_ms);
		}
		{
			size_t r = adiv5_resume_point(x, idx, n, &res, end);

			if (r == ADIV5_SYNTHETIC)
				r = first; /* the TAR re-aim itself waited: do it again */
			retar = (a->q[r].flags & ADIV5_OP_DRW) != 0;
			first = r;
		}
	}
	return 0;
}

/* Run one block read; after WAIT, continue from the first word not read. */
static int adiv5_run_block(struct adiv5 *a, struct adiv5_op *op, int64_t deadline)
{
	uint32_t *buf = op->block_buf, addr = op->mem_addr;
	unsigned left = op->block;

	while (left > 0) {
		struct dap_transfer_result res;
		const uint8_t *rsp;
		size_t rlen;
		int rc = dap_commands_transfer_block_encode(a->dap->tx, sizeof(a->dap->tx), op->x.req, NULL,
						   (uint16_t)left);

		if (rc < 0 || (rc = dap_xfer(a->dap, a->dap->tx, (size_t)rc, &rsp, &rlen)) < 0 ||
		    (rc = dap_commands_transfer_block_decode(rsp, rlen, op->x.req, (uint16_t)left, buf, &res)) < 0)
			return rc;
		a->transfers += res.executed;
		if (res.response == DAP_ACK_OK && res.executed == left)
			return 0;
		if ((res.response & 0x1F) != DAP_ACK_WAIT || adiv5_now_ms() > deadline)
			return adiv5_fail(a, (size_t)(op - a->q), res.response);
		buf += res.executed;
		addr += 4 * res.executed;
		left -= res.executed;
		/* TAR moved on during the WAITed access: aim it at the next word. */
		{
			struct dap_xfer tar = {.req = DAP_XFER_APNDP | AP_TAR, .data = addr};
			uint32_t none[1];

			rc = dap_commands_transfer_encode(a->dap->tx, sizeof(a->dap->tx), &tar, 1);
			if (rc < 0 || (rc = dap_xfer(a->dap, a->dap->tx, (size_t)rc, &rsp, &rlen)) < 0 ||
			    (rc = dap_commands_transfer_decode(rsp, rlen, &tar, 1, none, &res)) < 0)
				return rc;
			if (res.response != DAP_ACK_OK)
				return adiv5_fail(a, (size_t)(op - a->q), res.response);
		}
	}
	return 0;
}

int adiv5_run(struct adiv5 *a)
{
	int64_t deadline = adiv5_now_ms() + a->timeout_ms;
	size_t i = 0;
	int rc = a->queue_rc;

	while (rc == 0 && i < a->n) {
		if (a->q[i].block) {
			rc = adiv5_run_block(a, &a->q[i], deadline);
			i++;
			continue;
		}
		size_t len = adiv5_chunk_len(a, i, a->n);

		rc = adiv5_run_transfer(a, i, i + len, deadline);
		i += len;
	}
	adiv5_discard(a);
	if (rc < 0)
		adiv5_invalidate(a);
	return rc;
}
