/*
 * stlink.h - an ST-LINK/V2, V2-1 or V3 behind the debug-access ops table
 * (access/access.h): its state, shared by stlink.c (I/O, open, connect) and
 * stlink_run.c (the queue runner). docs/probe/stlink.md describes the
 * protocol and its sources.
 */
#ifndef RDPD_STLINK_H
#define RDPD_STLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "stlink/stlink_commands.h"

#define STLINK_REPLY_TIMEOUT_MS 3000
/* One READMEM_32 stays inside a 1 KB TAR auto-increment block (ADIv5.2
 * C2.2.2: 1 KB is the least any MEM-AP wraps at). */
#define STLINK_BLOCK_BYTES 1024
#define STLINK_AP_COUNT 256

/* Firmware features rdpd uses (docs/probe/stlink.md, "Firmware gates"). */
#define STLINK_F_VOLTAGE (1u << 0)   /* GET_TARGET_VOLTAGE: V2J13, V3 */
#define STLINK_F_SWD_FREQ (1u << 1)  /* SWD_SET_FREQ: V2J22 */
#define STLINK_F_DAP_REG (1u << 2)   /* READ/WRITE_DAP_REG: V2J24, V3 */
#define STLINK_F_MEM16 (1u << 3)     /* READ/WRITEMEM_16: V2J26, V3 */
#define STLINK_F_INIT_AP (1u << 4)   /* INIT_AP before AP access: V2J28, V3 */
#define STLINK_F_CSW (1u << 5)       /* AP and CSW in memory commands, banked DP: V2J32, V3J2 */
#define STLINK_F_COM_FREQ (1u << 6)  /* GET/SET_COM_FREQ: V3 */

struct stlink {
	struct access base; /* first: an access * is a stlink * */
	struct stlink_commands_version version;
	unsigned features;  /* STLINK_F_* */
	bool debug_mode;    /* ENTER done, EXIT owed at close */
	uint8_t dp_bank;    /* DPBANKSEL of the last SELECT write (never sent) */
	/* The SWD clock last set (0: none yet). The firmware keeps it across
	 * EXIT and ENTER: OpenOCD's reconnect (stlink_dap_reinit_interface)
	 * enters again without setting it. */
	uint32_t clock_hz;
	/* No access since the last ENTER but DPIDR reads: the firmware's ENTER
	 * left the debug domain powered up (docs/probe/stlink.md, "Connecting"),
	 * so the power-up request that follows is already in CTRL/STAT. */
	bool fresh_enter;
	/* Per AP: INIT_AP sent since the last ENTER; the CSW last written
	 * (its bits 31:8 travel in memory commands). */
	bool ap_open[STLINK_AP_COUNT];
	uint32_t csw[STLINK_AP_COUNT];
	bool csw_known[STLINK_AP_COUNT];
	uint8_t rx[STLINK_BLOCK_BYTES];
};

/* One command: the 16 bytes of CMD, then OUT_LEN data bytes when OUT is
 * given, then exactly IN_LEN reply bytes into sl->rx (none when 0). A
 * reply of any other length is -ERR_PROBE_PROTOCOL naming WHAT. */
int stlink_xfer(struct stlink *sl, const uint8_t cmd[STLINK_COMMANDS_CMD_LEN], const uint8_t *out,
		size_t out_len, size_t in_len, const char *what);
/* A command whose 2-byte reply is a status: 0, or -ERR_* saying WHAT
 * failed when the status is not OK. SWD: the command runs SWD itself, so
 * an SWD status is the target's answer (target_not_responding); for one
 * that does not (SWD_SET_FREQ, DRIVE_NRST) every refusal is the probe's. */
int stlink_simple(struct stlink *sl, const uint8_t cmd[STLINK_COMMANDS_CMD_LEN], const char *what, bool swd);
/* -ERR_PROBE_PROTOCOL: the ST-LINK failed WHAT with STATUS, which is no
 * SWD answer of the target's (DEBUG_ERR_FAULT, or any refusal of a command
 * that does not reach the target). */
int stlink_own_failure(const char *what, uint8_t status);
/* -ERR_PROBE_UNSUPPORTED: the firmware lacks what WHAT needs, which
 * NEEDED (a version, "V2J24") brought; how to update it. */
int stlink_too_old(const struct stlink *sl, const char *what, const char *needed);
/* The access_ops run of stlink_run.c. */
int stlink_run_queue(struct access *ac, struct access_op *q, size_t n, int64_t deadline_ms,
		     struct access_fail *fail);

#endif
