/*
 * stlink_run.c - runs a queue of DP/AP accesses on an ST-LINK.
 *
 * The firmware does the SWD itself, one command per access: DP and AP
 * registers through READ/WRITE_DAP_REG (F2 45/46), memory through DRW as
 * the probe's own memory commands, which set CSW and TAR themselves. So
 * SELECT writes are never sent, and a CSW or TAR write that only aims the
 * next DRW access of its AP is not sent either (its CSW[31:8] travels in
 * the memory command); one that no memory command follows is.
 *
 * WAIT (docs/probe/stlink.md, "WAIT and side effects"): an SWD WAIT means
 * the access was not accepted (ADIv5.2 B4.2.2), so a read, a write without
 * side effects, and a DP register write the firmware reports as WAITed on
 * the DP (SWD_DP_WAIT) are simply repeated until the deadline. An AP write
 * is posted and confirmed by the RDBUFF read after it, one status for
 * both; a memory command is several SWD accesses (CSW, TAR, DRW and what
 * the firmware reads after). Neither status says which access waited: the
 * write may have been accepted. A write flagged ACCESS_OP_SIDE_EFFECT is
 * therefore never repeated after a WAIT from an AP register write or a
 * memory command, nor after a WAIT on the other port; the run ends with
 * ACCESS_ACK_WAIT at that op instead.
 *
 * Round trips (docs/probe/stlink.md, "Round trips"): 32-bit reads of one AP
 * at consecutive addresses travel as one READMEM_32 and its status where
 * that is fewer commands than one READDEBUGREG each; right after ENTER, the
 * power-up request is sent only if CTRL/STAT does not already hold it.
 */
#include "stlink/stlink.h"

#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"

/* Register offsets (ADIv5.2 B2.2 DP, C2.6 MEM-AP). */
#define STLINK_RUN_DP_CTRL_STAT 0x4
#define STLINK_RUN_DP_SELECT 0x8
#define STLINK_RUN_AP_CSW 0x00
#define STLINK_RUN_AP_TAR 0x04
#define STLINK_RUN_AP_IDR 0xFC
/* CTRL/STAT bit 0, ORUNDETECT: OpenOCD clears it in every write ("ST-Link
 * does not like that", stlink_dap_op_queue_dp_write). */
#define STLINK_RUN_ORUNDETECT 0x1u
/* CTRL/STAT CSYSPWRUPREQ | CDBGPWRUPREQ (ADIv5.2 B2.2.4). */
#define STLINK_RUN_PWRUPREQ 0x50000000u

static bool stlink_run_is_read(const struct access_op *op)
{
	return (op->flags & ACCESS_OP_READ) != 0;
}

static bool stlink_run_is_select(const struct access_op *op)
{
	return !op->ap && !stlink_run_is_read(op) && op->reg == STLINK_RUN_DP_SELECT;
}

/* A CSW or TAR write (not itself a DRW access, nor a command of another
 * kind of AP at those offsets: adiv5_ap_write flags those). */
static bool stlink_run_is_aim(const struct access_op *op)
{
	return op->ap && !stlink_run_is_read(op) && !(op->flags & (ACCESS_OP_DRW | ACCESS_OP_SIDE_EFFECT)) &&
	       (op->reg == STLINK_RUN_AP_CSW || op->reg == STLINK_RUN_AP_TAR);
}

/* Q[I] is a CSW or TAR write whose AP's next access (past SELECT writes and
 * other aiming writes of that AP) is a DRW access: a memory command. */
static bool stlink_run_skippable(const struct access_op *q, size_t n, size_t i)
{
	if (!stlink_run_is_aim(&q[i]))
		return false;
	for (size_t k = i + 1; k < n; k++) {
		if (stlink_run_is_select(&q[k]) || (stlink_run_is_aim(&q[k]) && q[k].apsel == q[i].apsel))
			continue;
		return q[k].ap && q[k].apsel == q[i].apsel && ((q[k].flags & ACCESS_OP_DRW) || q[k].block);
	}
	return false;
}

/* From V2J28 an AP is opened once per ENTER before it is used; OpenOCD
 * leaves IDR reads out (AP discovery reads APs that may not exist). */
static int stlink_run_open_ap(struct stlink *sl, uint8_t ap, uint8_t reg)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	int rc;

	if (!(sl->features & STLINK_F_INIT_AP) || sl->ap_open[ap] || reg == STLINK_RUN_AP_IDR)
		return 0;
	stlink_commands_init_ap(cmd, ap);
	if ((rc = stlink_simple(sl, cmd, "INIT_AP", true)) < 0)
		return err_context(rc, "opening AP %u: ", ap);
	sl->ap_open[ap] = true;
	return 0;
}

/* One DP or AP register access through READ/WRITE_DAP_REG. */
static int stlink_run_reg_try(struct stlink *sl, const struct access_op *op, uint32_t *value, uint8_t *status)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	uint16_t port = op->ap ? op->apsel : STLINK_DP_PORT, addr = op->reg;
	uint32_t data = op->data;
	int rc;

	if (op->ap && (rc = stlink_run_open_ap(sl, op->apsel, op->reg)) < 0)
		return rc;
	if (!op->ap && op->reg == STLINK_RUN_DP_CTRL_STAT && sl->dp_bank) {
		/* Banked DP registers: the bank in address bits 7:4 (OpenOCD BANK_REG). */
		if (!(sl->features & STLINK_F_CSW))
			return stlink_too_old(sl, "banked DP registers", sl->version.stlink >= 3 ? "V3J2" : "V2J32");
		addr = (uint16_t)(sl->dp_bank << 4 | op->reg);
	}
	if (stlink_run_is_read(op)) {
		stlink_commands_read_dap_reg(cmd, port, addr);
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_READ_REG, "READ_DAP_REG");
		return rc < 0 ? rc : stlink_commands_read_reg_decode(sl->rx, STLINK_REPLY_READ_REG, status, value);
	}
	if (!op->ap && op->reg == STLINK_RUN_DP_CTRL_STAT && sl->dp_bank == 0)
		data &= ~STLINK_RUN_ORUNDETECT;
	stlink_commands_write_dap_reg(cmd, port, addr, data);
	rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_STATUS, "WRITE_DAP_REG");
	return rc < 0 ? rc : stlink_commands_status_decode(sl->rx, STLINK_REPLY_STATUS, STLINK_REPLY_STATUS, status);
}

/* What a memory command of the op's AP carries as CSW[31:8]: the CSW last
 * written, from V2J32/V3J2 (zeros before: the firmware's default). */
static uint32_t stlink_run_csw(const struct stlink *sl, uint8_t ap)
{
	return (sl->features & STLINK_F_CSW) && sl->csw_known[ap] ? sl->csw[ap] : 0;
}

/* Memory commands report no status: GETLASTRWSTATUS2 does (from V2J15,
 * older than anything rdpd runs on). */
static int stlink_run_rw_status(struct stlink *sl, uint8_t *status)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN];
	uint32_t fault_addr = 0;
	int rc;

	stlink_commands_last_rw_status2(cmd);
	rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_RWSTATUS2, "GETLASTRWSTATUS2");
	if (rc < 0 || (rc = stlink_commands_rw_status2_decode(sl->rx, STLINK_REPLY_RWSTATUS2, status, &fault_addr)) < 0)
		return rc;
	if (*status != STLINK_STATUS_CODE_OK)
		log_debug("%s: memory access status 0x%02x, fault address 0x%08x", sl->base.t->info.uri, *status,
			  fault_addr);
	return 0;
}

static uint32_t stlink_run_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether the firmware can do OP's memory access at all. */
static int stlink_run_mem_check(const struct stlink *sl, const struct access_op *op)
{
	unsigned size = op->block ? 4 : op->size;

	if (size != 4 && size != 2)
		return err_setf(ERR_INTERNAL, "a %u-byte DRW access (ST-LINK memory commands move 2 or 4)", size);
	if (op->mem_addr % size)
		return err_setf(ERR_INVALID_ARGUMENT, "a %u-byte access at 0x%08x is not aligned", size, op->mem_addr);
	if (size == 2 && !(sl->features & STLINK_F_MEM16))
		return stlink_too_old(sl, "16-bit memory access (READ/WRITEMEM_16)", "V2J26");
	if (op->apsel != 0 && !(sl->features & STLINK_F_CSW))
		return stlink_too_old(sl, "memory access through an AP other than 0",
				      sl->version.stlink >= 3 ? "V3J2" : "V2J32");
	return 0;
}

/* One 32-bit or 16-bit DRW access as a memory command. On AP 0 a 32-bit
 * access is READ/WRITEDEBUGREG, which brings its own status: one round
 * trip instead of two. 16-bit data sits in the byte lanes of its address
 * (ADIv5.2 C2.2.6), as a DRW register holds it. */
static int stlink_run_mem_try(struct stlink *sl, const struct access_op *op, uint32_t *value, uint8_t *status)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN], data[4];
	unsigned shift = (op->mem_addr & 2) * 8;
	bool wide = op->size == 4, read = stlink_run_is_read(op);
	int rc;

	if ((rc = stlink_run_open_ap(sl, op->apsel, op->reg)) < 0)
		return rc;
	if (wide && op->apsel == 0) {
		if (read) {
			stlink_commands_read_debug_reg(cmd, op->mem_addr);
			rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_READ_REG, "READDEBUGREG");
			return rc < 0 ? rc : stlink_commands_read_reg_decode(sl->rx, STLINK_REPLY_READ_REG, status, value);
		}
		stlink_commands_write_debug_reg(cmd, op->mem_addr, op->data);
		rc = stlink_xfer(sl, cmd, NULL, 0, STLINK_REPLY_STATUS, "WRITEDEBUGREG");
		return rc < 0 ? rc : stlink_commands_status_decode(sl->rx, STLINK_REPLY_STATUS, STLINK_REPLY_STATUS, status);
	}
	if (read) {
		stlink_commands_mem(cmd, wide ? STLINK_DEBUG_READMEM_32 : STLINK_DEBUG_READMEM_16, op->mem_addr,
				    op->size, op->apsel, stlink_run_csw(sl, op->apsel));
		if ((rc = stlink_xfer(sl, cmd, NULL, 0, op->size, wide ? "READMEM_32" : "READMEM_16")) < 0)
			return rc;
		*value = wide ? stlink_run_le32(sl->rx) : (uint32_t)(sl->rx[0] | sl->rx[1] << 8) << shift;
	} else {
		uint32_t v = wide ? op->data : (op->data >> shift) & 0xFFFFu;

		for (int i = 0; i < 4; i++)
			data[i] = (uint8_t)(v >> (8 * i));
		stlink_commands_mem(cmd, wide ? STLINK_DEBUG_WRITEMEM_32 : STLINK_DEBUG_WRITEMEM_16, op->mem_addr,
				    op->size, op->apsel, stlink_run_csw(sl, op->apsel));
		if ((rc = stlink_xfer(sl, cmd, data, op->size, 0, wide ? "WRITEMEM_32" : "WRITEMEM_16")) < 0)
			return rc;
	}
	return stlink_run_rw_status(sl, status);
}

static bool stlink_run_is_wait(enum stlink_commands_status kind)
{
	return kind == STLINK_STATUS_AP_WAIT || kind == STLINK_STATUS_DP_WAIT;
}

/* The rule at the top of this file. */
static bool stlink_run_may_repeat(const struct access_op *op, enum stlink_commands_status kind, bool mem)
{
	if (stlink_run_is_read(op) || !(op->flags & ACCESS_OP_SIDE_EFFECT))
		return true;
	/* An AP write is posted: the firmware's status covers it and the
	 * RDBUFF read that confirms it, and a WAIT on that read means the
	 * write was accepted (ADIv5.2 B4.2.2). */
	if (mem || op->ap)
		return false;
	return kind == STLINK_STATUS_DP_WAIT;
}

/* A status that ends the run: 1 with *FAIL for the target's answers,
 * -ERR_* for the probe's. */
static int stlink_run_failed(const struct stlink *sl, const struct access_op *op, uint8_t status,
			     struct access_fail *fail)
{
	static const enum access_ack acks[] = {
		[STLINK_STATUS_AP_WAIT] = ACCESS_ACK_WAIT,  [STLINK_STATUS_DP_WAIT] = ACCESS_ACK_WAIT,
		[STLINK_STATUS_FAULT] = ACCESS_ACK_FAULT,   [STLINK_STATUS_PARITY] = ACCESS_ACK_PROTOCOL,
		[STLINK_STATUS_NO_ACK] = ACCESS_ACK_NO_ACK,
	};
	enum stlink_commands_status kind = stlink_commands_status(status);

	if (kind == STLINK_STATUS_BAD_AP)
		return err_setf(ERR_PROBE_UNSUPPORTED,
				"the ST-LINK's firmware %s does not reach AP %u (BAD_AP_ERROR, 0x1d)",
				sl->base.id.firmware_version, op->apsel);
	if (kind == STLINK_STATUS_UNKNOWN || kind == STLINK_STATUS_OK)
		return err_setf(ERR_PROBE_PROTOCOL, "the ST-LINK answered an access with 0x%02x, which is no status",
				status);
	if (kind == STLINK_STATUS_FIRMWARE)
		return stlink_own_failure(op->ap ? "an AP access" : "a DP access", status);
	fail->ack = acks[kind];
	fail->raw = status;
	return 1;
}

/*
 * One op that is not a block read: its command, repeated after WAIT as
 * stlink_run_may_repeat allows and, for a match, until the value matches,
 * both until DEADLINE. 0, 1 with *FAIL (at not set), or -ERR_*.
 */
static int stlink_run_one(struct stlink *sl, const struct access_op *op, int64_t deadline, struct access_fail *fail)
{
	bool mem = (op->flags & ACCESS_OP_DRW) != 0;
	enum stlink_commands_status kind;
	uint32_t value = 0;
	uint8_t status = 0;
	int rc;

	if (mem && (rc = stlink_run_mem_check(sl, op)) < 0)
		return rc;
	for (;;) {
		rc = mem ? stlink_run_mem_try(sl, op, &value, &status) : stlink_run_reg_try(sl, op, &value, &status);
		if (rc < 0)
			return rc;
		kind = stlink_commands_status(status);
		if (kind == STLINK_STATUS_OK && stlink_run_is_read(op) && op->out)
			*op->out = value;
		if (kind == STLINK_STATUS_OK &&
		    (!(op->flags & ACCESS_OP_MATCH) || (value & op->mask) == op->data))
			break;
		if (access_now_ms() > deadline || (kind != STLINK_STATUS_OK && !stlink_run_is_wait(kind)) ||
		    (stlink_run_is_wait(kind) && !stlink_run_may_repeat(op, kind, mem))) {
			if (kind != STLINK_STATUS_OK)
				return stlink_run_failed(sl, op, status, fail);
			fail->ack = ACCESS_ACK_MISMATCH;
			fail->raw = status;
			return 1;
		}
	}
	return 0;
}

/* A block read: READMEM_32 pieces that stay inside one 1 KB block, each
 * followed by its status; a WAITed piece is read again until DEADLINE. */
static int stlink_run_block(struct stlink *sl, const struct access_op *op, int64_t deadline, struct access_fail *fail)
{
	uint8_t cmd[STLINK_COMMANDS_CMD_LEN], status;
	uint32_t addr = op->mem_addr, *buf = op->block_buf;
	size_t left = op->block;
	int rc;

	if ((rc = stlink_run_mem_check(sl, op)) < 0 || (rc = stlink_run_open_ap(sl, op->apsel, op->reg)) < 0)
		return rc;
	while (left > 0) {
		size_t room = STLINK_BLOCK_BYTES - (addr % STLINK_BLOCK_BYTES);
		size_t bytes = left * 4 < room ? left * 4 : room;

		stlink_commands_mem(cmd, STLINK_DEBUG_READMEM_32, addr, (uint16_t)bytes, op->apsel,
				    stlink_run_csw(sl, op->apsel));
		if ((rc = stlink_xfer(sl, cmd, NULL, 0, bytes, "READMEM_32")) < 0)
			return rc;
		/* Taken before the status reply reuses sl->rx; kept only if it is OK. */
		for (size_t i = 0; i < bytes / 4; i++)
			buf[i] = stlink_run_le32(sl->rx + 4 * i);
		if ((rc = stlink_run_rw_status(sl, &status)) < 0)
			return rc;
		if (status != STLINK_STATUS_CODE_OK) {
			if (stlink_run_is_wait(stlink_commands_status(status)) && access_now_ms() <= deadline)
				continue;
			return stlink_run_failed(sl, op, status, fail);
		}
		buf += bytes / 4;
		addr += (uint32_t)bytes;
		left -= bytes / 4;
	}
	return 0;
}

/* A 32-bit DRW read that returns its value (no match, no block). */
static bool stlink_run_plain_read32(const struct access_op *op)
{
	return op->ap && (op->flags & ACCESS_OP_DRW) && stlink_run_is_read(op) && !(op->flags & ACCESS_OP_MATCH) &&
	       !op->block && op->size == 4;
}

/* Q[I] starts a run of 32-bit reads of one AP at consecutive addresses
 * inside one 1 KB block (the TAR auto-increment's reach, ADIv5.2 C2.2.2):
 * its length. */
static size_t stlink_run_read_span(const struct access_op *q, size_t n, size_t i)
{
	size_t k = i;

	while (k < n && k - i < STLINK_BLOCK_BYTES / 4 && stlink_run_plain_read32(&q[k]) &&
	       q[k].apsel == q[i].apsel && q[k].mem_addr == q[i].mem_addr + 4 * (k - i) &&
	       q[k].mem_addr / STLINK_BLOCK_BYTES == q[i].mem_addr / STLINK_BLOCK_BYTES)
		k++;
	return k - i;
}

/* SPAN reads from Q[I] as one READMEM_32 and its status (two round trips)
 * where that beats one command each: on AP 0 READDEBUGREG brings its own
 * status, elsewhere every read is a READMEM_32 and a status. */
static bool stlink_run_worth_joining(const struct access_op *q, size_t i, size_t span)
{
	return span >= (q[i].apsel == 0 ? 3u : 2u);
}

static int stlink_run_joined(struct stlink *sl, struct access_op *q, size_t i, size_t span, int64_t deadline,
			     struct access_fail *fail)
{
	uint32_t words[STLINK_BLOCK_BYTES / 4];
	struct access_op block = q[i];
	int rc;

	block.block = (uint16_t)span;
	block.block_buf = words;
	if ((rc = stlink_run_block(sl, &block, deadline, fail)) != 0)
		return rc;
	for (size_t k = 0; k < span; k++)
		if (q[i + k].out)
			*q[i + k].out = words[k];
	return 0;
}

/* Right after ENTER, a CTRL/STAT power-up request that a match read of
 * the acknowledges follows (dp.c's power-up). */
static bool stlink_run_pwrup_after_enter(const struct stlink *sl, const struct access_op *q, size_t n, size_t i)
{
	const struct access_op *w = &q[i], *m = &q[i + 1];

	return sl->fresh_enter && sl->dp_bank == 0 && i + 1 < n && !w->ap && !stlink_run_is_read(w) &&
	       w->reg == STLINK_RUN_DP_CTRL_STAT && (w->data & ~STLINK_RUN_ORUNDETECT) == STLINK_RUN_PWRUPREQ &&
	       !m->ap && (m->flags & ACCESS_OP_MATCH) && m->reg == STLINK_RUN_DP_CTRL_STAT;
}

/* One read of CTRL/STAT first: when it already shows the acknowledges, the
 * request is in place and is not written again (the REQ bits are read/
 * write, ADIv5.2 B2.2.4); otherwise the write and the match run as queued.
 * 0, or 1 with *FAIL (at: 0 the write, 1 the match), or -ERR_*. */
static int stlink_run_pwrup(struct stlink *sl, struct access_op *w, struct access_op *m, int64_t deadline,
			    struct access_fail *fail)
{
	uint32_t value = 0;
	uint8_t status = 0;
	int rc = stlink_run_reg_try(sl, m, &value, &status);

	if (rc < 0)
		return rc;
	if (stlink_commands_status(status) == STLINK_STATUS_OK && (value & m->mask) == m->data) {
		if (m->out)
			*m->out = value;
		return 0;
	}
	if ((rc = stlink_run_one(sl, w, deadline, fail)) != 0)
		return rc;
	rc = stlink_run_one(sl, m, deadline, fail);
	fail->at = 1;
	return rc;
}

/* ENTER's state holds while only DPIDR reads and ABORT writes follow. */
static bool stlink_run_keeps_fresh(const struct access_op *op)
{
	return !op->ap && op->reg == 0x0;
}

/* Keep what a CSW write says for later memory commands, sent or not. */
static void stlink_run_note(struct stlink *sl, const struct access_op *op)
{
	if (stlink_run_is_select(op))
		sl->dp_bank = (uint8_t)(op->data & 0xF);
	else if (stlink_run_is_aim(op) && op->reg == STLINK_RUN_AP_CSW) {
		sl->csw[op->apsel] = op->data;
		sl->csw_known[op->apsel] = true;
	}
}

int stlink_run_queue(struct access *ac, struct access_op *q, size_t n, int64_t deadline_ms,
		     struct access_fail *fail)
{
	struct stlink *sl = (struct stlink *)ac;

	if (!sl->debug_mode)
		return err_setf(ERR_INTERNAL, "ST-LINK queue run before connect");
	for (size_t i = 0; i < n; i++) {
		size_t span = 1;
		int rc;

		stlink_run_note(sl, &q[i]);
		if (stlink_run_is_select(&q[i]) || stlink_run_skippable(q, n, i))
			continue;
		if (stlink_run_pwrup_after_enter(sl, q, n, i)) {
			fail->at = 0;
			rc = stlink_run_pwrup(sl, &q[i], &q[i + 1], deadline_ms, fail);
			fail->at += i;
			span = 2;
		} else if (stlink_run_plain_read32(&q[i]) &&
			   stlink_run_worth_joining(q, i, (span = stlink_run_read_span(q, n, i)))) {
			rc = stlink_run_joined(sl, q, i, span, deadline_ms, fail);
			fail->at = i;
		} else {
			span = 1;
			rc = q[i].block ? stlink_run_block(sl, &q[i], deadline_ms, fail)
					: stlink_run_one(sl, &q[i], deadline_ms, fail);
			fail->at = i;
		}
		if (!stlink_run_keeps_fresh(&q[i]))
			sl->fresh_enter = false;
		if (rc != 0)
			return rc;
		i += span - 1;
	}
	return 0;
}
