/*
 * access.h - debug access: what a probe protocol offers the ADIv5 layer.
 *
 * A probe protocol (CMSIS-DAP in daemon/dap/, ST-LINK in daemon/stlink/)
 * brings the SWD wire up to a debug port that answers, and runs queues of
 * DP and AP register accesses, each in its own way: CMSIS-DAP packs them
 * into DAP_Transfer packets, an ST-LINK sends its own DAP-register and
 * memory commands. Each protocol is one `const struct access_ops` listed in
 * access.c's table; the transport a probe was found on names its protocol
 * (transport_probe_info.protocol), so nothing above this layer knows which
 * protocol runs. References: ARM IHI 0031 (ADIv5.2) B2 (DP), C2 (MEM-AP);
 * docs/adiv5.md; docs/probe/access.md.
 */
#ifndef RDPD_ACCESS_H
#define RDPD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/transport.h"

/* One access of a queue. DP registers are named by their byte offset
 * (A[3:2]; DPIDR/ABORT 0x0, CTRL/STAT 0x4, SELECT 0x8, RDBUFF 0xC), AP
 * registers by their full offset in the AP's space (CSW 0x00 ... IDR 0xFC).
 * The ADIv5 layer queues the SELECT writes an AP access needs; a protocol
 * whose probe selects by itself (ST-LINK) may skip them. */
struct access_op {
	bool ap;            /* AP access (else DP) */
	uint8_t apsel;      /* AP accesses: the AP */
	uint8_t reg;
	uint8_t flags;      /* ACCESS_OP_* */
	uint8_t size;       /* ACCESS_OP_DRW: bytes per access, 4 or 2 (the CSW's size) */
	uint16_t block;     /* > 0: a read of this many words from DRW into block_buf */
	uint32_t data;      /* write: the value; match: the value awaited */
	uint32_t mask;      /* match: the bits compared */
	uint32_t *out;      /* read destination (NULL: discard) */
	uint32_t *block_buf;
	uint32_t mem_addr;  /* ACCESS_OP_DRW: the address TAR holds for this access */
};

#define ACCESS_OP_READ (1u << 0)
/* A read repeated (inside the probe where it can) until (value & mask) ==
 * data, within the run's deadline. */
#define ACCESS_OP_MATCH (1u << 1)
/* An access to DRW through TAR: mem_addr and size say which memory. */
#define ACCESS_OP_DRW (1u << 2)
/* A write the target acts on: never repeated once it has been done. */
#define ACCESS_OP_SIDE_EFFECT (1u << 3)

/* How a run failed at the target (not at the probe). */
enum access_ack {
	ACCESS_ACK_FAULT = 1,   /* FAULT: sticky error set, the bus access refused */
	ACCESS_ACK_NO_ACK,      /* no ACK (0b111): the target is not answering */
	ACCESS_ACK_PROTOCOL,    /* a parity error */
	ACCESS_ACK_INVALID,     /* an ACK no SW-DP sends */
	ACCESS_ACK_MISMATCH,    /* a match read never matched */
	ACCESS_ACK_WAIT,        /* WAIT until the deadline */
};

struct access_fail {
	enum access_ack ack;
	size_t at;         /* the op of the queue that failed */
	uint8_t raw;       /* the protocol's own code, for the log */
};

/* What a probe says of itself once opened. */
struct access_identity {
	const char *protocol;   /* the access_ops name: "cmsis-dap", "stlink" */
	char vendor[64];
	char product[128];
	char serial[128];
	char protocol_version[32]; /* CMSIS-DAP: "2.1.0"; ST-LINK: its API level, "2" */
	char firmware_version[32]; /* as users know it: "0257", "V2J37S7" */
	bool swd, jtag, swo, atomic;
	unsigned packet_size;   /* bytes per command */
	unsigned packet_count;  /* commands in flight (1: none pipelined) */
	int target_mv;          /* VTref in millivolts; -1: the probe cannot measure it */
};

struct access;

struct access_ops {
	const char *name;    /* the protocol: "cmsis-dap", as GET /probes "protocol" shows it */
	/* Open the protocol on T (already open) and read the probe's identity;
	 * no target I/O. */
	int (*open)(struct transport *t, struct access **out);
	/* Release the target lines and the probe's state; T stays open. */
	void (*close)(struct access *ac);
	/* The wire up to a debug port that may answer: the probe's SWD mode,
	 * CLOCK_HZ, nRESET asserted (held) when UNDER_RESET, and, unless
	 * switch_to_swd does it, the JTAG-to-SWD switch. No DP register is
	 * read by the host; a probe whose firmware reads one itself (an
	 * ST-LINK's ENTER) waits out a WAIT no later than WAIT_DEADLINE_MS
	 * (CLOCK_MONOTONIC), the deadline the caller's run would have. */
	int (*connect)(struct access *ac, uint32_t clock_hz, bool under_reset, int64_t wait_deadline_ms);
	/* Optional: the JTAG-to-SWD switch (ADIv5.2 B5.2.1), for a probe whose
	 * host sends the wire sequences itself. */
	int (*switch_to_swd)(struct access *ac);
	/* After a lost link: a line reset (or the probe's own re-entry, with
	 * WAIT_DEADLINE_MS as for connect). */
	int (*line_reset)(struct access *ac, int64_t wait_deadline_ms);
	/* Optional: wake an SWD-v2 debug port from dormant (ADIv6 B5.3). */
	int (*wake_dormant)(struct access *ac);
	/* Optional: on an SWD multidrop bus (RP2040), a line reset then the
	 * TARGETSEL write that selects the one DP TARGETSEL names (ADIv5.2
	 * B4.3.4); the DPIDR read must come next. NULL: the probe cannot
	 * (an ST-LINK's firmware sends its own line reset and no TARGETSEL). */
	int (*select_target)(struct access *ac, uint32_t targetsel);
	/* Run Q[0, n) in order until DEADLINE_MS (CLOCK_MONOTONIC) while the
	 * target answers WAIT. 0: all done; 1: the target failed, as *FAIL
	 * says (reads before FAIL->at have their values); -ERR_*: the probe
	 * failed (unplugged, a malformed reply), with a sentence. A write with
	 * ACCESS_OP_SIDE_EFFECT is never sent twice. */
	int (*run)(struct access *ac, struct access_op *q, size_t n, int64_t deadline_ms,
		   struct access_fail *fail);
	/* Write DP ABORT even while the DP faults. */
	int (*abort)(struct access *ac, uint32_t value);
	/* Drive nRESET (true: asserted, low). */
	int (*set_nreset)(struct access *ac, bool asserted);
	/* Words one block read may carry (queue ops with .block). */
	size_t (*block_words)(const struct access *ac);
	/* Optional: the probe's "connected" LED. */
	int (*host_status)(struct access *ac, bool on);
	/* Optional: VTref now, in millivolts (-ERR_* when it cannot tell). */
	int (*target_voltage)(struct access *ac, int *mv);
};

/* Every protocol embeds this first. */
struct access {
	const struct access_ops *ops;
	struct transport *t;
	struct access_identity id;
};

extern const struct access_ops dap_access_ops;
extern const struct access_ops stlink_access_ops;

/* CLOCK_MONOTONIC in milliseconds: the clock run deadlines are set on. */
int64_t access_now_ms(void);

/* The protocol named NAME (a transport_ops protocol), or NULL. */
const struct access_ops *access_protocol(const char *name);
/* Open the protocol T's kind carries. */
int access_open(struct transport *t, struct access **out);
void access_close(struct access *ac);

#endif
