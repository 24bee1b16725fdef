/*
 * stm32.h - what every STM32 flash-controller driver shares.
 */
#ifndef RDPD_STM32_H
#define RDPD_STM32_H

#include "targets/target.h"

/* Flash (main) keys, all ST families but L0/L1 (FLASH_KEY1/2 of the HALs,
 * e.g. stm32l4xx_hal_flash.h:489; docs/targets/common.md). */
#define STM32_FLASH_KEY1 0x45670123u
#define STM32_FLASH_KEY2 0xCDEF89ABu
/* Option keys of the F2/F4/F7, L4-style, L5/U5, H7, H5 controllers
 * (FLASH_OPTKEY1/2, stm32l4xx_hal_flash.h:497; FLASH_OPT_KEY1/2,
 * stm32h7xx_hal_flash.h:339). */
#define STM32_OPT_KEY1 0x08192A3Bu
#define STM32_OPT_KEY2 0x4C5D6E7Fu

#define STM32_RDP_LEVEL0 0xAAu
#define STM32_RDP_LEVEL1 0xBBu /* any byte but 0xAA/0xCC; OB_RDP_LEVEL_1 of the L4/L5/U5 HALs */
#define STM32_RDP_LEVEL2 0xCCu

/* Poll ADDR until (value & BUSY_MASK) == 0, reporting progress against the
 * part's typical erase time; -ERR_FLASH_TIMEOUT after MAX_MS. The last value
 * read is left in *LAST, the time taken in *ELAPSED_MS. */
int stm32_wait_not_busy(struct target *t, uint32_t addr, uint32_t busy_mask, unsigned typ_ms,
			unsigned max_ms, const struct target_events *ev, uint32_t *last,
			unsigned *elapsed_ms);

/* The RDP byte to program for LEVEL (0 or 1). Level 2 is never produced:
 * rdpd does not offer it, so no code path can set it by accident. */
int stm32_rdp_byte_for(enum rdp_level level, uint8_t *byte);


void stm32_log(const struct target_events *ev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
