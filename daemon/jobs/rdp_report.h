/*
 * rdp_report.h - what a read of the protection found (the Protection
 * schema of api/openapi.json: GET /probes/{ref}/rdp, `rdpd rdp --json`), as
 * plain values taken from the target once the read is done. It outlives the
 * link and holds no pointer into it; api/json_report.c serialises it.
 */
#ifndef RDPD_RDP_REPORT_H
#define RDPD_RDP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "targets/target.h"

struct rdp_report {
	int probe_index;          /* -1: a probe named by URI, not a listed one */
	char probe_serial[128];
	char chip[48];            /* the part's name: "STM32F401xD/E" */
	char family[16];          /* the driver's key: "stm32f4" */
	char core[16];            /* "Cortex-M4" */
	uint32_t dpidr;
	uint16_t dev_id;          /* DBGMCU_IDCODE[11:0] */
	uint16_t rev_id;          /* DBGMCU_IDCODE[31:16] */
	const char *chip_id_name; /* the vendor register that named the part (target.h), or NULL */
	uint32_t chip_id;
	unsigned flash_kb;
	char uid[25];             /* the 96-bit unique ID in hex (target_uid_hex), "" when unknown */
	/* Level (in tenths, RDP_UNKNOWN = -1), raw bytes, write protection and
	 * the option registers under the driver's names (static strings). */
	struct target_protection protection;
	char rdp_text[512];       /* target_rdp_describe(): the level's sentence and what is pending */
	const char *erase_scope;  /* the driver's: what the regression erases */
	const char *scheme;       /* the driver's protection scheme: "stm32-rdp" */
	bool under_reset;         /* connected under reset */
	uint32_t clock_hz;        /* the SWD clock that worked */
	time_t read_at;
};

/* R from a read of probe PROBE_INDEX (-1 when not listed; SERIAL may be
 * NULL) that found T with P, at READ_AT. */
void rdp_report_fill(struct rdp_report *r, int probe_index, const char *serial, const struct target *t,
		     const struct target_protection *p, time_t read_at);

#endif
