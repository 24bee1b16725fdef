/*
 * stm32_optr.h - the option-programming sequence of the "OPTR" flash
 * controllers: L4, L4+, G0, G4, C0, U0, WB, WL (stm32l4.c) and the
 * non-secure register set of L5 and U5 (stm32l5.c). The bits of CR and SR
 * that the sequence uses sit at the same positions on all of them; only the
 * register offsets differ, so each driver passes its layout.
 *
 * References: RM0351 §3.4.2 "Option bytes programming", RM0444 §3.4.2,
 * RM0438 §6.4.2, RM0456 §7.4.2; the bit positions, with their header lines:
 * docs/targets/common.md.
 */
#ifndef RDPD_STM32_OPTR_H
#define RDPD_STM32_OPTR_H

#include "targets/stm32.h"

#define STM32_OPTR_CR_OPTSTRT (1u << 17)
#define STM32_OPTR_CR_OBL_LAUNCH (1u << 27)
#define STM32_OPTR_CR_OPTLOCK (1u << 30)
#define STM32_OPTR_CR_LOCK (1u << 31)
#define STM32_OPTR_SR_BSY (1u << 16)
#define STM32_OPTR_RDP_MASK 0xFFu

/* Where one controller keeps its registers (absolute addresses) and which
 * SR bits mean what on it. */
struct stm32_optr_regs {
	uint32_t keyr, optkeyr, sr, cr, optr;
	uint32_t sr_busy;   /* BSY, plus BSY2 (G0B/C) and CFGBSY where they exist */
	uint32_t sr_errors; /* write-1-to-clear error flags (EOP, bit 0, not among them) */
	uint32_t sr_pesd;   /* WB/WL: program/erase suspended by CPU2; 0 elsewhere */
};

/* Clear CR.LOCK (KEYR keys) and then CR.OPTLOCK (OPTKEYR keys), each only
 * when set: a key written to an unlocked register locks it until reset.
 * Returns 0, or -ERR_FLASH_LOCKED when the keys did not take. */
int stm32_optr_unlock(struct target *t, const struct stm32_optr_regs *r);

/* Write OPTR = NEW_OPTR, start (OPTSTRT), wait until the controller is done
 * (ERASES: a regression mass erase, timed against the part's budget), check
 * SR and lock again. The caller has refused level 2 before calling. */
int stm32_optr_program(struct target *t, const struct stm32_optr_regs *r, uint32_t new_optr,
		       bool erases, const struct target_events *ev);

/* A protection report P made from OPTR tells the level the chip applies,
 * also when CR (read with it) says OPTLOCK = 0: someone unlocked the
 * options since the last reset, and OPTR may hold an edit that was never
 * programmed (an OPTSTRT lost for good), which the register keeps until the
 * next option load (RM0351 §3.7.8). LEVEL_OF is the controller's byte ->
 * level rule (on L5/U5 TZEN decides what 0x55 means). OB_ADDR is where the
 * option page's OPTR word is mapped for the debugger, 0 where it is not
 * (L5/U5). P may then change: the level and rdp_raw from the option page,
 * the edit in an "rdp_pending" option; or, when the page holds a value
 * programmed but not loaded yet, an "rdp_stored" option. Returns 0 or a
 * link error. */
int stm32_optr_check_pending(struct target *t, uint32_t cr, uint32_t optr, uint32_t ob_addr,
			     enum rdp_level (*level_of)(uint32_t optr), struct target_protection *p);

/* Load the options (CR.OBL_LAUNCH, which resets the chip and whose own ACK
 * is ignored) and connect again. *POWER_CYCLE is left false: the debugger
 * latch that may still close flash shows as a FAULT in the job's verify. */
int stm32_optr_launch(struct target *t, const struct stm32_optr_regs *r, bool *power_cycle);

#endif
