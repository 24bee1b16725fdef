/*
 * cortexm.h - Cortex-M debug: identify the core, halt, reset-and-halt,
 * connect under reset. ARMv7-M ARM (DDI 0403) C1.6, ARMv6-M ARM (DDI 0419)
 * C1.6, ARMv8-M ARM (DDI 0553) D1.2; OpenOCD cortex_m.c.
 */
#ifndef RDPD_CORTEXM_H
#define RDPD_CORTEXM_H

#include <stdbool.h>
#include <stdint.h>

#include "adiv5/adiv5.h"

#define CORTEXM_CPUID 0xE000ED00u
#define CORTEXM_AIRCR 0xE000ED0Cu
#define CORTEXM_DHCSR 0xE000EDF0u
#define CORTEXM_DEMCR 0xE000EDFCu

#define CORTEXM_DHCSR_DBGKEY 0xA05F0000u
#define CORTEXM_DHCSR_C_DEBUGEN (1u << 0)
#define CORTEXM_DHCSR_C_HALT (1u << 1)
#define CORTEXM_DHCSR_S_HALT (1u << 17)
#define CORTEXM_DHCSR_S_RESET_ST (1u << 25)
#define CORTEXM_DEMCR_VC_CORERESET (1u << 0)
#define CORTEXM_DEMCR_VC_BUSERR (1u << 8)
#define CORTEXM_DEMCR_VC_HARDERR (1u << 10)
#define CORTEXM_DEMCR_TRCENA (1u << 24)
#define CORTEXM_AIRCR_VECTKEY 0x05FA0000u
#define CORTEXM_AIRCR_SYSRESETREQ (1u << 2)

enum cortexm_core {
	CORTEXM_UNKNOWN = 0,
	CORTEXM_M0,
	CORTEXM_M0PLUS,
	CORTEXM_M3,
	CORTEXM_M4,
	CORTEXM_M7,
	CORTEXM_M23,
	CORTEXM_M33,
};

/* Core kind from CPUID PARTNO [15:4] (implementer Arm, 0x41). */
enum cortexm_core cortexm_core_from_cpuid(uint32_t cpuid);
/* "Cortex-M4"; "unknown core" for CORTEXM_UNKNOWN. */
const char *cortexm_core_name(enum cortexm_core core);

int cortexm_halt(struct adiv5 *a);
/* Halt at the reset vector through DEMCR.VC_CORERESET + AIRCR.SYSRESETREQ:
 * 0 once DHCSR has shown S_RESET_ST and S_HALT, -ERR_TARGET_HALT_FAILED if
 * not within 500 ms. The vector catch is off again on return. */
int cortexm_reset_halt(struct adiv5 *a);
/* Reset and let the core run (vector catch and halting debug off),
 * re-establishing the link. */
int cortexm_reset_run(struct adiv5 *a);
/* With nRESET held low by dp_connect(): arm the reset vector catch, release
 * nRESET, wait for the halt. */
int cortexm_release_reset_halted(struct adiv5 *a);
/* For resets rdpd causes another way (OBL_LAUNCH): arm the vector catch
 * before, then wait for the reset and the halt on the reset vector after
 * (same result as cortexm_reset_halt; the catch is off again on return). */
int cortexm_catch_reset(struct adiv5 *a);
int cortexm_wait_reset_caught(struct adiv5 *a);
/* *SEEN = DHCSR.S_RESET_ST: the core was reset since DHCSR was last read
 * (ARMv7-M C1.6.2; sticky, the read clears it). */
int cortexm_reset_seen(struct adiv5 *a, bool *seen);

#endif
