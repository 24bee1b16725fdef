/*
 * cortexm.c - halt and reset through the Debug Halting Control and Status
 * Register (DHCSR), DEMCR vector catch and AIRCR.SYSRESETREQ (ARMv7-M ARM
 * C1.6.2-C1.6.5, B3.2.6). A system reset does not reset the debug logic, so
 * the DP usually keeps answering; the link is re-checked all the same because
 * the write that resets may itself see no clean ACK.
 */
#include "cortexm/cortexm.h"

#include <time.h>

#include "err.h"
#include "log.h"

#define CORTEXM_HALT_TIMEOUT_MS 500
/* SYSRESETREQ is asked for up to this many times, each given this long to
 * show a reset in DHCSR.S_RESET_ST (the last one the whole timeout). */
#define CORTEXM_RESET_TRIES 3
#define CORTEXM_RESET_RETRY_MS 100

static const struct {
	uint16_t partno;
	enum cortexm_core core;
	const char *name;
} cortexm_parts[] = {
	{0xC20, CORTEXM_M0, "Cortex-M0"},   {0xC60, CORTEXM_M0PLUS, "Cortex-M0+"},
	{0xC23, CORTEXM_M3, "Cortex-M3"},   {0xC24, CORTEXM_M4, "Cortex-M4"},
	{0xC27, CORTEXM_M7, "Cortex-M7"},   {0xD20, CORTEXM_M23, "Cortex-M23"},
	{0xD21, CORTEXM_M33, "Cortex-M33"},
};

enum cortexm_core cortexm_core_from_cpuid(uint32_t cpuid)
{
	uint16_t partno = (cpuid >> 4) & 0xFFF;

	if ((cpuid >> 24) != 0x41)
		return CORTEXM_UNKNOWN;
	for (size_t i = 0; i < sizeof(cortexm_parts) / sizeof(cortexm_parts[0]); i++)
		if (cortexm_parts[i].partno == partno)
			return cortexm_parts[i].core;
	return CORTEXM_UNKNOWN;
}

const char *cortexm_core_name(enum cortexm_core core)
{
	for (size_t i = 0; i < sizeof(cortexm_parts) / sizeof(cortexm_parts[0]); i++)
		if (cortexm_parts[i].core == core)
			return cortexm_parts[i].name;
	return "unknown core";
}

static void cortexm_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int64_t cortexm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cortexm_wait_halted(struct adiv5 *a)
{
	int64_t deadline = cortexm_now_ms() + CORTEXM_HALT_TIMEOUT_MS;
	uint32_t dhcsr = 0;

	for (;;) {
		int rc = mem_read32_now(a, CORTEXM_DHCSR, &dhcsr);

		if (rc < 0)
			return rc;
		if (dhcsr & CORTEXM_DHCSR_S_HALT)
			return 0;
		if (cortexm_now_ms() > deadline)
			return err_setf(ERR_TARGET_HALT_FAILED,
					"the core did not halt within %d ms (DHCSR 0x%08x)",
					CORTEXM_HALT_TIMEOUT_MS, dhcsr);
		cortexm_sleep_ms(1);
	}
}

int cortexm_halt(struct adiv5 *a)
{
	int rc = mem_write32_now(a, CORTEXM_DHCSR,
				 CORTEXM_DHCSR_DBGKEY | CORTEXM_DHCSR_C_DEBUGEN | CORTEXM_DHCSR_C_HALT);

	return rc < 0 ? rc : cortexm_wait_halted(a);
}

/* Write AIRCR.SYSRESETREQ and get the link back. The write's own ACK is
 * ignored: the reset may cut it short (OpenOCD cortex_m_assert_reset). */
static int cortexm_sysreset(struct adiv5 *a)
{
	uint32_t ctrl = 0;
	int rc;

	mem_write32(a, CORTEXM_AIRCR, CORTEXM_AIRCR_VECTKEY | CORTEXM_AIRCR_SYSRESETREQ);
	(void)adiv5_run(a);
	adiv5_invalidate(a);
	cortexm_sleep_ms(2);
	adiv5_dp_read(a, DP_CTRL_STAT, &ctrl);
	rc = adiv5_run(a);
	if (rc < 0 || !(ctrl & DP_CTRL_CDBGPWRUPACK))
		rc = dp_reconnect(a);
	else if (ctrl & DP_CTRL_STICKYERR)
		rc = dp_clear_sticky(a);
	return rc;
}

/* Arm the reset vector catch for the next reset: C_DEBUGEN with C_HALT
 * kept (a DHCSR write with C_HALT = 0 would resume a halted core, ARMv7-M
 * C1.6.2, and firmware that turns SWD off could do so before the reset),
 * DEMCR.VC_CORERESET, and a DHCSR read that clears a stale S_RESET_ST so
 * the next one seen is this reset's. C_HALT itself does not survive the
 * reset (Cortex-M3 TRM DDI 0337G Table 10-2: "clears on core reset"):
 * only the vector catch stops the core before its first instruction. */
static void cortexm_queue_catch(struct adiv5 *a, uint32_t demcr_extra, uint32_t *dhcsr)
{
	mem_write32(a, CORTEXM_DHCSR, CORTEXM_DHCSR_DBGKEY | CORTEXM_DHCSR_C_DEBUGEN | CORTEXM_DHCSR_C_HALT);
	mem_write32(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA | CORTEXM_DEMCR_VC_CORERESET | demcr_extra);
	mem_read32(a, CORTEXM_DHCSR, dhcsr);
}

int cortexm_catch_reset(struct adiv5 *a)
{
	uint32_t dhcsr = 0;

	cortexm_queue_catch(a, 0, &dhcsr);
	return adiv5_run(a);
}

/* Poll DHCSR until the core is halted and, with *RESET false on entry,
 * S_RESET_ST (sticky, clear on read) has been seen since the catch was
 * armed; *RESET says whether it was. The reset must show within RESET_MS,
 * the halt within CORTEXM_HALT_TIMEOUT_MS. */
static int cortexm_poll_caught(struct adiv5 *a, int reset_ms, bool *reset)
{
	int64_t start = cortexm_now_ms();
	uint32_t dhcsr = 0;

	for (;;) {
		int rc = mem_read32_now(a, CORTEXM_DHCSR, &dhcsr);
		int64_t now = cortexm_now_ms();

		if (rc < 0)
			return rc;
		*reset |= (dhcsr & CORTEXM_DHCSR_S_RESET_ST) != 0;
		if (*reset && (dhcsr & CORTEXM_DHCSR_S_HALT))
			return 0;
		if (!*reset && now - start > reset_ms)
			return err_setf(ERR_TARGET_HALT_FAILED,
					"no reset was seen within %d ms of the reset request (DHCSR 0x%08x)",
					reset_ms, dhcsr);
		if (now - start > CORTEXM_HALT_TIMEOUT_MS)
			return err_setf(ERR_TARGET_HALT_FAILED,
					"the core did not stop on the reset vector within %d ms (DHCSR 0x%08x)",
					CORTEXM_HALT_TIMEOUT_MS, dhcsr);
		cortexm_sleep_ms(1);
	}
}

/* The vector catch off, whatever happened, so that a later reset lets the
 * firmware run; RC, the failure that matters, keeps its sentence. */
static int cortexm_catch_off(struct adiv5 *a, int rc)
{
	char detail[ERR_DETAIL_MAX];
	int rc2;

	err_save(detail);
	rc2 = mem_write32_now(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA);
	if (rc < 0)
		err_restore(detail);
	return rc < 0 ? rc : rc2;
}

/* The same, then the vector catch off. */
static int cortexm_wait_caught(struct adiv5 *a, bool need_reset)
{
	bool reset = !need_reset;

	return cortexm_catch_off(a, cortexm_poll_caught(a, CORTEXM_HALT_TIMEOUT_MS, &reset));
}

int cortexm_wait_reset_caught(struct adiv5 *a)
{
	return cortexm_wait_caught(a, true);
}

int cortexm_reset_halt(struct adiv5 *a)
{
	uint32_t dhcsr = 0;
	int rc;

	/* VC_HARDERR and VC_BUSERR too: a bad vector table halts rather than
	 * locks up (OpenOCD cortex_m_assert_reset does the same). */
	cortexm_queue_catch(a, CORTEXM_DEMCR_VC_HARDERR | CORTEXM_DEMCR_VC_BUSERR, &dhcsr);
	rc = adiv5_run(a);
	/* The AIRCR write's own ACK is ignored (the reset may cut it short), so
	 * a write the AP refused (WAIT, FAULT) looks the same: when no reset
	 * shows within the first tries, ask again. */
	for (int i = 0; rc == 0 && i < CORTEXM_RESET_TRIES; i++) {
		bool reset = false;

		if (i > 0)
			err_clear(); /* "no reset was seen": asked again */
		if ((rc = cortexm_sysreset(a)) < 0)
			break;
		rc = cortexm_poll_caught(a, i + 1 < CORTEXM_RESET_TRIES ? CORTEXM_RESET_RETRY_MS
								   : CORTEXM_HALT_TIMEOUT_MS, &reset);
		if (rc == 0 || reset || rc != -ERR_TARGET_HALT_FAILED || i + 1 == CORTEXM_RESET_TRIES)
			break;
		rc = 0;
	}
	return cortexm_catch_off(a, rc);
}

/* A plain reset: the vector catch and halting debug off first, so the core
 * runs from its reset vector (C_HALT is cleared by the reset anyway). */
int cortexm_reset_run(struct adiv5 *a)
{
	int rc;

	mem_write32(a, CORTEXM_DEMCR, 0);
	mem_write32(a, CORTEXM_DHCSR, CORTEXM_DHCSR_DBGKEY);
	rc = adiv5_run(a);
	return rc < 0 ? rc : cortexm_sysreset(a);
}

/* Held in reset, DHCSR reads S_RESET_ST as 1 on every read (DDI 0337G
 * Table 10-2), so whether a new one shows after the release is not relied
 * on: the core can only be halted on leaving reset through the catch. */
int cortexm_release_reset_halted(struct adiv5 *a)
{
	uint32_t dhcsr = 0;
	int rc;

	cortexm_queue_catch(a, 0, &dhcsr);
	rc = adiv5_run(a);
	if (rc < 0 || (rc = dp_set_nreset(a, false)) < 0)
		return rc;
	cortexm_sleep_ms(2);
	return cortexm_wait_caught(a, false);
}

int cortexm_reset_seen(struct adiv5 *a, bool *seen)
{
	uint32_t dhcsr = 0;
	int rc = mem_read32_now(a, CORTEXM_DHCSR, &dhcsr);

	*seen = rc == 0 && (dhcsr & CORTEXM_DHCSR_S_RESET_ST);
	return rc;
}
