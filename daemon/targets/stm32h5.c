/*
 * stm32h5.c - STM32H5: identification and the product state, read only.
 *
 * H5 has no RDP byte. Its protection is a PRODUCT_STATE byte in
 * FLASH_OPTSR_CUR [15:8] (OPEN, PROVISIONING, iROT_PROVISIONED, TZ_CLOSED,
 * CLOSED, LOCKED, REGRESSION, NS_REGRESSION); going back from CLOSED to OPEN
 * is done by debug authentication (a password on H503, a certificate on
 * H56x/57x) through the DBGMCU mailbox, which rdpd does not speak yet. So
 * this driver reads and names the state and refuses every change.
 *
 * References:
 *   RM0481 (H562/563/573) §7.6.2-7.6.3 product state, FLASH_OPTSR_CUR/PRG;
 *   RM0492 (H503) same sections; CMSIS stm32h563xx.h (offsets, bits);
 *   ST's OpenOCD (STMicroelectronics/OpenOCD) tcl/target/stm32h5x.cfg
 *   (PSTATE_* codes, OPTSR_CUR at 0x40022050, DBGMCU at 0xE0044000
 *   through AP0, the core on AP1, LOCKED "irreversible"); Black Magic
 *   Probe src/target/stm32h5.c (DEV_ID 0x484
 *   from RM0481 §18.12.4, 0x474 from RM0492 §41.12.4).
 *   Every constant with its header line: docs/targets/stm32h5.md.
 *
 * Level mapping (rdpd speaks RDP levels): OPEN is level 0 (debug and flash
 * open: "unlock" has nothing to do); LOCKED is level 2 (final, nothing may
 * be written); every other state is RDP_UNKNOWN, because it is not a level
 * and cannot be changed by an RDP regression.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "targets/stm32.h"
#include "targets/target.h"

#define STM32H5_FLASH_BASE 0x40022000u
#define STM32H5_FLASH_OPTCR (STM32H5_FLASH_BASE + 0x1C)
#define STM32H5_FLASH_NSSR (STM32H5_FLASH_BASE + 0x20)
#define STM32H5_FLASH_OPTSR_CUR (STM32H5_FLASH_BASE + 0x50)
#define STM32H5_FLASH_OPTSR_PRG (STM32H5_FLASH_BASE + 0x54)
#define STM32H5_FLASH_OPTSR2_CUR (STM32H5_FLASH_BASE + 0x70)

#define STM32H5_OPTSR_PSTATE_SHIFT 8
#define STM32H5_PSTATE_OPEN 0xEDu
#define STM32H5_PSTATE_LOCKED 0x5Cu

/* OpenOCD probes 0xE0044000 first for Cortex-M33 parts; CMSIS gives
 * 0x44024000 as DBGMCU_BASE: both rows are listed. */
#define STM32H5_DBGMCU_PPB 0xE0044000u
#define STM32H5_DBGMCU_APB 0x44024000u
#define STM32H5_FSIZE 0x08FFF80Cu
/* UID_BASE 0x08FFF800 on every H5 (stm32h563xx.h:2106, stm32h503xx.h:1283,
 * stm32h533xx.h:1857; docs/uid.md). */
#define STM32H5_UID TARGET_UID(0x08FFF800u, 8)

static const struct target_part stm32h5_parts[] = {
	{.dev_id = 0x484, .name = "STM32H562/563/573", .core = CORTEXM_M33, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32H5_DBGMCU_PPB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
	{.dev_id = 0x474, .name = "STM32H503", .core = CORTEXM_M33, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32H5_DBGMCU_PPB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
	/* 0x478 (?): H523/533, in no source at hand (docs/targets/stm32h5.md) */
	{.dev_id = 0x478, .name = "STM32H523/533", .core = CORTEXM_M33, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32H5_DBGMCU_PPB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
	{.dev_id = 0x484, .name = "STM32H562/563/573", .core = CORTEXM_M33, .flash_kb_max = 2048,
	 .dbgmcu_addr = STM32H5_DBGMCU_APB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
	{.dev_id = 0x474, .name = "STM32H503", .core = CORTEXM_M33, .flash_kb_max = 128,
	 .dbgmcu_addr = STM32H5_DBGMCU_APB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
	{.dev_id = 0x478, .name = "STM32H523/533", .core = CORTEXM_M33, .flash_kb_max = 512,
	 .dbgmcu_addr = STM32H5_DBGMCU_APB, .flash_size_addr = STM32H5_FSIZE,
	 .erase_max_ms = 30000,
	 .uid_addr = STM32H5_UID},
};

static const struct {
	uint8_t code;
	const char *name;
} stm32h5_states[] = {
	{0xED, "OPEN"},      {0x17, "PROVISIONING"}, {0x2E, "iROT_PROVISIONED"},
	{0xC6, "TZ_CLOSED"}, {0x72, "CLOSED"},       {0x5C, "LOCKED"},
	{0x9A, "REGRESSION"}, {0xA3, "NS_REGRESSION"},
};

static const char *stm32h5_state_name(uint8_t code)
{
	for (size_t i = 0; i < sizeof(stm32h5_states) / sizeof(stm32h5_states[0]); i++)
		if (stm32h5_states[i].code == code)
			return stm32h5_states[i].name;
	return "not a product state";
}

static int stm32h5_read_state(struct target *t, uint32_t *cur)
{
	int rc = mem_read32_now(t->a, STM32H5_FLASH_OPTSR_CUR, cur);

	return rc < 0 ? err_context(rc, "reading FLASH_OPTSR_CUR: ") : 0;
}

/* What stm32h5_read_protection reads, in its order (read ahead). */
static size_t stm32h5_protection_words(const struct target *t, uint32_t *addr, size_t cap)
{
	static const uint32_t regs[] = {STM32H5_FLASH_OPTSR_CUR, STM32H5_FLASH_OPTSR_PRG, STM32H5_FLASH_OPTSR2_CUR,
					STM32H5_FLASH_OPTCR};

	if (cap < 4)
		return 0;
	memcpy(addr, regs, sizeof(regs));
	return 4;
}

static int stm32h5_read_protection(struct target *t, struct target_protection *p)
{
	uint32_t cur = 0, prg = 0, cur2 = 0, optcr = 0;
	uint8_t state;
	int rc;

	mem_read32(t->a, STM32H5_FLASH_OPTSR_CUR, &cur);
	mem_read32(t->a, STM32H5_FLASH_OPTSR_PRG, &prg);
	mem_read32(t->a, STM32H5_FLASH_OPTSR2_CUR, &cur2);
	mem_read32(t->a, STM32H5_FLASH_OPTCR, &optcr);
	if ((rc = adiv5_run(t->a)) < 0)
		return err_context(rc, "reading FLASH_OPTSR_CUR: ");
	state = (uint8_t)(cur >> STM32H5_OPTSR_PSTATE_SHIFT);
	p->rdp_raw = state;
	p->level = state == STM32H5_PSTATE_OPEN ? RDP_LEVEL_0 :
		   state == STM32H5_PSTATE_LOCKED ? RDP_LEVEL_2 : RDP_UNKNOWN;
	p->wrp_raw = 0;     /* WRP1R/WRP2R not read: identify-only driver */
	p->wrp_sectors = 0;
	p->n_options = 0;
	p->options[p->n_options++] = (struct target_option){"product_state", state};
	p->options[p->n_options++] = (struct target_option){"optsr_cur", cur};
	p->options[p->n_options++] = (struct target_option){"optsr_prg", prg};
	p->options[p->n_options++] = (struct target_option){"optsr2_cur", cur2};
	p->options[p->n_options++] = (struct target_option){"optcr", optcr};
	return 0;
}

static int stm32h5_refuse(struct target *t)
{
	uint32_t cur = 0;
	uint8_t state;

	/* Only a read, to name the state in the message. */
	if (stm32h5_read_state(t, &cur) < 0)
		cur = 0;
	state = (uint8_t)(cur >> STM32H5_OPTSR_PSTATE_SHIFT);
	return err_setf(ERR_NOT_SUPPORTED,
			"%s uses product states and debug authentication, not RDP levels; it is in "
			"product state %s (0x%02x). rdpd does not change product states or run debug "
			"authentication yet; nothing was written",
			t->part->name, stm32h5_state_name(state), state);
}

static int stm32h5_set_level(struct target *t, enum rdp_level level, const struct target_events *ev)
{
	uint8_t rdp;
	int rc;

	if ((rc = stm32_rdp_byte_for(level, &rdp)) < 0)
		return rc;
	return stm32h5_refuse(t);
}

static int stm32h5_apply(struct target *t, bool *power_cycle)
{
	*power_cycle = false;
	return stm32h5_refuse(t);
}

const struct target_driver stm32h5_driver = {
	.name = "stm32h5",
	.family = "STM32H5",
	.parts = stm32h5_parts,
	.n_parts = sizeof(stm32h5_parts) / sizeof(stm32h5_parts[0]),
	.scheme = "stm32-product-state",
	.erase_scope = "not applicable: rdpd does not change STM32H5 product states",
	.unlock_summary = "product state read and reported; changing it (debug authentication) is not supported",
	.erased_word = 0xFFFFFFFFu,
	.read_protection = stm32h5_read_protection,
	.protection_words = stm32h5_protection_words,
	.set_level = stm32h5_set_level,
	.apply = stm32h5_apply,
};
