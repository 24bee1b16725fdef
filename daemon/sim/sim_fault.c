/*
 * sim_fault.c - fault injection, SQLite FAULTSIM style: fail the Nth SWD
 * transaction (WAIT, FAULT, no ACK; a parity error on the Nth read) or the
 * Nth command packet (short reply,
 * wrong echo, probe gone), once or from then on; or unplug the probe after
 * the chip's Nth flash-interface write.
 */
#include "sim_internal.h"

#include <string.h>

void sim_fault_set(struct sim_fault_state *fs, const struct sim_fault *f)
{
	memset(&fs->f, 0, sizeof(fs->f));
	if (f)
		fs->f = *f;
	fs->swd_seen = 0;
	fs->packets_seen = 0;
	fs->dropped = false; /* clearing the fault plugs the probe back in */
}

static bool sim_fault_fires(const struct sim_fault *f, uint64_t seen)
{
	if (f->nth == 0 || seen < f->nth)
		return false;
	if (f->forever)
		return true;
	/* A burst of COUNT (a WAIT storm longer than the probe's retries). */
	return seen < f->nth + (f->count ? f->count : 1);
}

/* Called for every SWD transaction on the wire (READ: the target sends
 * data); returns the ACK to force instead of the target's, or 0. A parity
 * fault counts reads only: a write's data travels the other way. */
unsigned sim_fault_swd(struct sim_fault_state *fs, bool read)
{
	unsigned ack;

	switch (fs->f.kind) {
	case SIM_FAULT_WAIT: ack = SIM_ACK_WAIT; break;
	case SIM_FAULT_FAULT: ack = SIM_ACK_FAULT; break;
	case SIM_FAULT_NO_ACK: ack = SIM_ACK_NONE; break;
	case SIM_FAULT_PARITY:
		if (!read)
			return 0;
		ack = SIM_ACK_PARITY;
		break;
	default: return 0;
	}
	return sim_fault_fires(&fs->f, ++fs->swd_seen) ? ack : 0;
}

/* Called for every command packet; returns the packet-level fault that
 * applies to it (SIM_FAULT_NONE if none). A dropped probe stays dropped. */
enum sim_fault_kind sim_fault_packet(struct sim_fault_state *fs, uint64_t flash_if_writes)
{
	if (fs->dropped)
		return SIM_FAULT_DROP_PROBE;
	switch (fs->f.kind) {
	case SIM_FAULT_SHORT_REPLY:
	case SIM_FAULT_WRONG_ECHO:
		return sim_fault_fires(&fs->f, ++fs->packets_seen) ? fs->f.kind : SIM_FAULT_NONE;
	case SIM_FAULT_DROP_PROBE:
		if (++fs->packets_seen >= fs->f.nth && fs->f.nth) {
			fs->dropped = true;
			return SIM_FAULT_DROP_PROBE;
		}
		return SIM_FAULT_NONE;
	case SIM_FAULT_DROP_AT_FLASH_WRITE:
		if (fs->f.nth && flash_if_writes >= fs->f.nth) {
			fs->dropped = true;
			return SIM_FAULT_DROP_PROBE;
		}
		return SIM_FAULT_NONE;
	default:
		return SIM_FAULT_NONE;
	}
}

/* Damage a reply: cut it to its first byte, or flip the echoed command
 * byte to another command's id (0x05 becomes 0x04). */
void sim_fault_mangle(enum sim_fault_kind k, uint8_t *rsp, int *len)
{
	if (*len <= 0)
		return;
	if (k == SIM_FAULT_SHORT_REPLY)
		*len = 1;
	else if (k == SIM_FAULT_WRONG_ECHO)
		rsp[0] ^= 0x01;
}
