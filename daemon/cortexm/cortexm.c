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

int cortexm_reset_halt(struct adiv5 *a)
{
	int rc;

	/* C_HALT stays set: a DHCSR write with C_HALT = 0 resumes a halted
	 * core (ARMv7-M C1.6.3), and firmware that turns SWD off could do so
	 * in the time before the reset (the SWD-off simulator profile did). */
	mem_write32(a, CORTEXM_DHCSR, CORTEXM_DHCSR_DBGKEY | CORTEXM_DHCSR_C_DEBUGEN | CORTEXM_DHCSR_C_HALT);
	mem_write32(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA | CORTEXM_DEMCR_VC_HARDERR |
					      CORTEXM_DEMCR_VC_BUSERR | CORTEXM_DEMCR_VC_CORERESET);
	rc = adiv5_run(a);
	if (rc < 0 || (rc = cortexm_sysreset(a)) < 0 || (rc = cortexm_wait_halted(a)) < 0)
		return rc;
	/* Leave the vector catch off so a later reset lets the chip run. */
	return mem_write32_now(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA);
}

int cortexm_reset_run(struct adiv5 *a)
{
	int rc;

	mem_write32(a, CORTEXM_DEMCR, 0);
	mem_write32(a, CORTEXM_DHCSR, CORTEXM_DHCSR_DBGKEY);
	rc = adiv5_run(a);
	return rc < 0 ? rc : cortexm_sysreset(a);
}

int cortexm_release_reset_halted(struct adiv5 *a)
{
	int rc;

	mem_write32(a, CORTEXM_DHCSR,
		    CORTEXM_DHCSR_DBGKEY | CORTEXM_DHCSR_C_DEBUGEN | CORTEXM_DHCSR_C_HALT);
	mem_write32(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA | CORTEXM_DEMCR_VC_CORERESET);
	rc = adiv5_run(a);
	if (rc < 0 || (rc = dp_set_nreset(a, false)) < 0)
		return rc;
	cortexm_sleep_ms(2);
	rc = cortexm_wait_halted(a);
	if (rc < 0)
		return rc;
	return mem_write32_now(a, CORTEXM_DEMCR, CORTEXM_DEMCR_TRCENA);
}
