/*
 * adiv5.c - the transfer queue, its run through the probe protocol, and what
 * a failed run means for the link.
 *
 * The protocol (daemon/access/access.h) executes the queue and says where
 * and how the target failed; the sentence a user reads, the sticky-error
 * clear after FAULT and the abort after a WAIT that never ends are
 * ADIv5's, the same for every probe (ADIv5.2 B2.2.1 ABORT, B4.2.3 WAIT).
 */
#include "adiv5/adiv5.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

void adiv5_init(struct adiv5 *a, struct access *ac)
{
	memset(a, 0, sizeof(*a));
	a->ac = ac;
	a->timeout_ms = ADIV5_DEFAULT_TIMEOUT_MS;
}

void adiv5_invalidate(struct adiv5 *a)
{
	a->select_valid = a->csw_valid = a->tar_valid = false;
	a->pf_valid = false;
}

void adiv5_discard(struct adiv5 *a)
{
	a->n = 0;
	a->queue_rc = 0;
	a->pf_queued = false;
}

int adiv5_target_voltage(struct adiv5 *a, int *mv)
{
	if (!a->ac->ops->target_voltage)
		return err_setf(ERR_PROBE_UNSUPPORTED, "this probe does not measure the target voltage");
	return a->ac->ops->target_voltage(a->ac, mv);
}

static struct access_op *adiv5_push(struct adiv5 *a)
{
	struct access_op *op;

	if (a->n == ADIV5_QUEUE_MAX) {
		if (!a->queue_rc)
			a->queue_rc = err_setf(ERR_INTERNAL, "ADIv5 queue overflow (%d)", ADIV5_QUEUE_MAX);
		return NULL;
	}
	op = &a->q[a->n++];
	memset(op, 0, sizeof(*op));
	a->pf_valid = false; /* read ahead answers only what comes right after */
	return op;
}

void adiv5_dp_read(struct adiv5 *a, uint8_t reg, uint32_t *out)
{
	struct access_op *op = adiv5_push(a);

	if (op) {
		op->reg = reg;
		op->flags = ACCESS_OP_READ;
		op->out = out;
	}
}

void adiv5_dp_write(struct adiv5 *a, uint8_t reg, uint32_t val)
{
	struct access_op *op = adiv5_push(a);

	if (op) {
		op->reg = reg;
		op->data = val;
		if (reg != DP_SELECT)
			op->flags = ACCESS_OP_SIDE_EFFECT;
	}
}

void adiv5_dp_match(struct adiv5 *a, uint8_t reg, uint32_t mask, uint32_t value)
{
	struct access_op *op = adiv5_push(a);

	if (op) {
		op->reg = reg;
		op->flags = ACCESS_OP_READ | ACCESS_OP_MATCH;
		op->mask = mask;
		op->data = value;
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
	struct access_op *op;

	adiv5_select_ap_bank(a, apsel, reg);
	op = adiv5_push(a);
	if (op) {
		*op = (struct access_op){.ap = true, .apsel = apsel, .reg = reg, .flags = ACCESS_OP_READ, .out = out};
	}
}

void adiv5_ap_write(struct adiv5 *a, uint8_t apsel, uint8_t reg, uint32_t val)
{
	struct access_op *op;

	adiv5_select_ap_bank(a, apsel, reg);
	op = adiv5_push(a);
	if (op) {
		*op = (struct access_op){.ap = true, .apsel = apsel, .reg = reg, .data = val};
		/* Only the MEM-AP's CSW and TAR merely aim the next access; the
		 * same offsets of a vendor's control port are its commands
		 * (Nordic CTRL-AP: RESET 0x000, ERASEALL 0x004). */
		if (apsel != a->mem_ap || (reg != AP_CSW && reg != AP_TAR))
			op->flags = ACCESS_OP_SIDE_EFFECT;
	}
}

bool adiv5_idr_is_ahb_mem_ap(uint32_t idr)
{
	uint32_t type = idr & 0xFu;

	return ((idr >> AP_IDR_CLASS_SHIFT) & 0xFu) == AP_IDR_CLASS_MEM_AP &&
	       (type == AP_IDR_TYPE_AHB3 || type == AP_IDR_TYPE_AHB5 || type == AP_IDR_TYPE_AHB5_HPROT);
}

static const char *adiv5_ack_text(enum access_ack ack)
{
	switch (ack) {
	case ACCESS_ACK_PROTOCOL: return "SWD parity error";
	case ACCESS_ACK_WAIT: return "WAIT";
	case ACCESS_ACK_FAULT: return "FAULT";
	case ACCESS_ACK_NO_ACK: return "no ACK";
	default: return "invalid ACK";
	}
}

/* The memory address nearest before op I, for error messages. */
static int adiv5_nearest_addr(const struct adiv5 *a, size_t i, uint32_t *addr)
{
	for (size_t k = i + 1; k-- > 0;)
		if (k < a->n && (a->q[k].flags & ACCESS_OP_DRW)) {
			*addr = a->q[k].mem_addr;
			return 1;
		}
	return 0;
}

/* A failed run: recover what we can, say what failed. */
static int adiv5_fail(struct adiv5 *a, const struct access_fail *f)
{
	uint32_t addr = 0;
	bool has_addr = adiv5_nearest_addr(a, f->at, &addr);

	adiv5_invalidate(a);
	switch (f->ack) {
	case ACCESS_ACK_FAULT:
		dp_clear_sticky(a);
		if (has_addr)
			return err_setf(ERR_TARGET_FAULT,
					"the target refused the bus access at 0x%08x (FAULT)", addr);
		return err_setf(ERR_TARGET_FAULT, "the debug port answered FAULT");
	case ACCESS_ACK_MISMATCH:
		return err_setf(ERR_TARGET_WAIT_TIMEOUT, "a register never reached its expected value");
	case ACCESS_ACK_WAIT:
		/* DAPABORT ends the stalled transaction (ADIv5.2 B2.2.1). */
		a->ac->ops->abort(a->ac, DP_ABORT_DAPABORT);
		return err_setf(ERR_TARGET_WAIT_TIMEOUT, "the target answered WAIT for %d ms; the bus is stuck",
				a->timeout_ms);
	default:
		a->link_up = false;
		return err_setf(ERR_TARGET_NOT_RESPONDING, "the target stopped answering on SWD (%s)%s",
				adiv5_ack_text(f->ack),
				f->ack == ACCESS_ACK_INVALID && f->raw == 0 ? ": SWDIO held low?" : "");
	}
}

int adiv5_run(struct adiv5 *a)
{
	struct access_fail fail = {0};
	int rc = a->queue_rc;
	bool read_ahead = a->pf_queued;
	size_t at = rc ? 0 : a->n;

	/* Read-ahead words answer the reads queued before the next run. */
	a->pf_valid = false;
	if (rc == 0 && a->n > 0 && a->sticky_unknown && !a->up_pending) {
		rc = dp_clear_sticky(a);
		a->sticky_unknown = rc < 0;
	}
	if (rc == 0 && a->n > 0) {
		rc = a->ac->ops->run(a->ac, a->q, a->n, access_now_ms() + a->timeout_ms, &fail);
		if (rc > 0) {
			at = fail.at;
			rc = adiv5_fail(a, &fail);
		} else if (rc < 0) {
			at = 0; /* the probe failed: nothing is known to have run */
			a->sticky_unknown = true;
		}
		a->pf_valid = rc == 0 && read_ahead;
	}
	if (a->up_pending)
		rc = dp_power_up_finish(a, rc, at);
	adiv5_discard(a);
	if (rc < 0)
		adiv5_invalidate(a);
	return rc;
}
