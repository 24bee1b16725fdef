/*
 * adiv5.h - ADIv5 debug port and access ports over SWD, through whichever
 * probe protocol the probe speaks (daemon/access/access.h).
 *
 * Queue, then run (OpenOCD's dap_queue_ap_read + dap_run): callers queue
 * register accesses, adiv5_run() hands them to the probe protocol, which
 * sends them as few packets as it can (CMSIS-DAP: DAP_Transfer /
 * DAP_TransferBlock; ST-LINK: its register and memory commands), and reports
 * one error per batch. SELECT, CSW and TAR are cached so repeated accesses
 * cost no extra transfers. References: ARM IHI 0031 (ADIv5.2) B2 (DP), C2
 * (MEM-AP); docs/adiv5.md.
 */
#ifndef RDPD_ADIV5_H
#define RDPD_ADIV5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"

/* DP registers (A[3:2] as the byte offset). */
#define DP_DPIDR 0x0    /* read */
#define DP_ABORT 0x0    /* write */
#define DP_CTRL_STAT 0x4
#define DP_SELECT 0x8   /* write */
#define DP_RDBUFF 0xC   /* read */

#define DP_ABORT_DAPABORT (1u << 0)
#define DP_ABORT_CLEAR_STICKY 0x1Eu /* STKCMPCLR|STKERRCLR|WDERRCLR|ORUNERRCLR */
#define DP_CTRL_CDBGPWRUPREQ (1u << 28)
#define DP_CTRL_CDBGPWRUPACK (1u << 29)
#define DP_CTRL_CSYSPWRUPREQ (1u << 30)
#define DP_CTRL_CSYSPWRUPACK (1u << 31)
#define DP_CTRL_STICKYERR (1u << 5)

/* MEM-AP registers (offset in the AP's space). */
#define AP_CSW 0x00
#define AP_TAR 0x04
#define AP_DRW 0x0C
#define AP_BASE 0xF8
#define AP_IDR 0xFC

/* AP IDR fields (ADIv5.2 C2.6.1): CLASS [16:13], TYPE [3:0]. */
#define AP_IDR_CLASS_SHIFT 13
#define AP_IDR_CLASS_MEM_AP 0x8u
#define AP_IDR_TYPE_AHB3 0x1u
#define AP_IDR_TYPE_AHB5 0x5u
#define AP_IDR_TYPE_AHB5_HPROT 0x8u
#define ADIV5_AP_SCAN 4 /* APSELs searched for the core's AHB-AP */

#define ADIV5_QUEUE_MAX 512
#define ADIV5_TAR_BLOCK 1024u /* only TAR[9:0] are guaranteed to auto-increment */
#define ADIV5_DEFAULT_TIMEOUT_MS 2000

/* Words read ahead with a batch (mem_prefetch32). */
#define ADIV5_PREFETCH_MAX 12

struct adiv5_prefetch {
	uint32_t addr, value;
};

struct adiv5 {
	struct access *ac;
	struct access_op q[ADIV5_QUEUE_MAX];
	size_t n;
	int queue_rc;          /* first error while queuing (overflow) */
	uint32_t select;
	bool select_valid;
	uint32_t csw;
	bool csw_valid;
	uint32_t tar;
	bool tar_valid;
	uint8_t mem_ap;        /* APSEL of the AHB-AP on the core's bus: 0 but on STM32H5 */
	uint32_t dpidr;
	bool link_up;
	int timeout_ms;        /* deadline for one run while the target answers WAIT */
	/* Read ahead (mem.c): valid from the run that read them until anything
	 * else is queued or the next run, through the AP pf_ap. */
	struct adiv5_prefetch pf[ADIV5_PREFETCH_MAX];
	size_t n_pf;
	uint8_t pf_ap;
	bool pf_queued, pf_valid;
	/* The power-up (dp.c): its DPIDR, its ops at the queue's head, queued
	 * to ride with the next run (dp_connect_deferred), and whether that
	 * run found it failed. */
	uint32_t up_dpidr;
	size_t up_ops;
	bool up_pending, up_failed;
	bool swd_seen;         /* a power-up succeeded on this link: the DP speaks SWD */
	/* A run the probe failed (a malformed reply, an echo out of step) may
	 * have hidden a FAULT whose STICKYERR now refuses every AP access
	 * (ADIv5.2 B2.2.6): the next run clears the sticky bits first, unless
	 * a power-up (which clears them) comes before. */
	bool sticky_unknown;
	/* On an SWD multidrop bus, the TARGETSEL of the DP to talk to (TINSTANCE
	 * [31:28], TARGETID [27:0]: ADIv5.2 B4.3.4), written after every line
	 * reset; 0: a point-to-point link, nothing to select. */
	uint32_t targetsel;
};

void adiv5_init(struct adiv5 *a, struct access *ac);
/* Drop cached SELECT/CSW/TAR (after a reset, an error, a line reset). */
void adiv5_invalidate(struct adiv5 *a);

/* Queue raw DP/AP register accesses. */
void adiv5_dp_read(struct adiv5 *a, uint8_t reg, uint32_t *out);
void adiv5_dp_write(struct adiv5 *a, uint8_t reg, uint32_t val);
/* Read REG until (value & MASK) == VALUE, retried inside the probe. */
void adiv5_dp_match(struct adiv5 *a, uint8_t reg, uint32_t mask, uint32_t value);
/* Queue a SELECT write if the AP or its register bank differs from the cache. */
void adiv5_select_ap_bank(struct adiv5 *a, uint8_t apsel, uint8_t reg);
void adiv5_ap_read(struct adiv5 *a, uint8_t apsel, uint8_t reg, uint32_t *out);
void adiv5_ap_write(struct adiv5 *a, uint8_t apsel, uint8_t reg, uint32_t val);

/* True when IDR names an AHB MEM-AP, the kind a Cortex-M core's bus sits
 * behind (an APB-AP reaches debug components only). */
bool adiv5_idr_is_ahb_mem_ap(uint32_t idr);

/* Execute everything queued. Returns 0 or -ERR_TARGET_* with a detail; the
 * queue is empty afterwards either way. Out values of failed reads are left
 * untouched. */
int adiv5_run(struct adiv5 *a);
/* VTref as the probe measures it, in millivolts: 0, or -ERR_PROBE_UNSUPPORTED
 * for a probe that cannot (CMSIS-DAP has no command for it). */
int adiv5_target_voltage(struct adiv5 *a, int *mv);

/* Throw away what is queued (after a failure while queuing). */
void adiv5_discard(struct adiv5 *a);

/* dp.c: bring the SWD link up: the probe's connect (SWD mode, clock), the
 * JTAG-to-SWD switch (then dormant wake-up), DPIDR, sticky clear, debug and
 * system power-up.
 * UNDER_RESET holds nRESET low from before the switch; the caller releases it. */
int dp_connect(struct adiv5 *a, uint32_t clock_hz, bool under_reset);
/* dp_connect without a connect under reset, its power-up queued to run
 * with what the caller queues next, in the same packet (docs/adiv5.md,
 * "Power-up"): that run's result says whether the power-up failed, and so
 * does a->up_failed, where dp_connect (the JTAG-to-SWD switch again, and a
 * dormant wake-up) is the way on. */
int dp_connect_deferred(struct adiv5 *a, uint32_t clock_hz);
/* adiv5_run's end when the power-up rode with the queue: RC is the run's,
 * AT the first op that failed (a->n when none). */
int dp_power_up_finish(struct adiv5 *a, int rc, size_t at);
/* After a system reset or a lost link: line reset and power-up again. */
int dp_reconnect(struct adiv5 *a);
/* The probe can select one DP of a multidrop bus (access_ops select_target). */
bool dp_can_select_target(const struct adiv5 *a);
/* Clear sticky errors after a FAULT (ABORT 0x1E). */
int dp_clear_sticky(struct adiv5 *a);
/* Drive nRESET (true = asserted, low). */
int dp_set_nreset(struct adiv5 *a, bool asserted);

/* mem.c: MEM-AP accesses through the AP a->mem_ap, queued. */
/* Aim later accesses at the MEM-AP APSEL (its CSW and TAR are not known). */
void mem_use_ap(struct adiv5 *a, uint8_t apsel);
/* A read of an address mem_prefetch32 read in the batch that ran last,
 * with nothing queued and no run since, is answered from that batch: no
 * access. */
void mem_read32(struct adiv5 *a, uint32_t addr, uint32_t *out);
/* Read ADDR with the batch being queued, for the reads that follow it (the
 * words a driver reads next, target_driver.protection_words): one packet
 * less where they fit the batch. */
void mem_prefetch32(struct adiv5 *a, uint32_t addr);
void mem_write32(struct adiv5 *a, uint32_t addr, uint32_t val);
/* 16-bit write (option half-words on F0/F1/F3); the value travels on its byte lane. */
void mem_write16(struct adiv5 *a, uint32_t addr, uint16_t val);
/* Read N words from ADDR in block reads, split at 1 KB TAR boundaries. */
void mem_read_block(struct adiv5 *a, uint32_t addr, uint32_t *buf, size_t n);
/* Convenience: queue one read and run. */
int mem_read32_now(struct adiv5 *a, uint32_t addr, uint32_t *out);
int mem_write32_now(struct adiv5 *a, uint32_t addr, uint32_t val);

#endif
