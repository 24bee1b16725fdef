/*
 * stm32.c - busy polling with progress, and the RDP byte guard.
 */
#include "targets/stm32.h"

#include <stdarg.h>
#include <stdio.h>

#include "err.h"

/* Short enough that an unlock finishes within ~10 ms of the hardware. */
#define STM32_POLL_MS 10


void stm32_log(const struct target_events *ev, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!ev || !ev->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ev->log(ev->ctx, line);
}

int stm32_wait_not_busy(struct target *t, uint32_t addr, uint32_t busy_mask, unsigned typ_ms,
			unsigned max_ms, const struct target_events *ev, uint32_t *last,
			unsigned *elapsed_ms)
{
	int64_t start = target_now_ms();
	unsigned last_pct = 0;
	int saved_timeout = t->a->timeout_ms;
	int rc = 0;

	/* While the controller erases, some parts stall the AHB: let WAIT run
	 * for the whole erase budget rather than the default. */
	t->a->timeout_ms = (int)max_ms;
	if (ev && ev->progress && typ_ms)
		ev->progress(ev->ctx, 0); /* the erase has started */
	for (;;) {
		unsigned elapsed;

		rc = mem_read32_now(t->a, addr, last);
		elapsed = (unsigned)(target_now_ms() - start);
		if (rc < 0 || !(*last & busy_mask))
			break;
		if (elapsed > max_ms) {
			rc = err_setf(ERR_FLASH_TIMEOUT,
				      "the flash controller stayed busy for %u ms (register 0x%08x = 0x%08x)",
				      elapsed, addr, *last);
			break;
		}
		if (ev && ev->progress && typ_ms) {
			/* Never claim 100% before the hardware says so. */
			unsigned pct = elapsed >= typ_ms ? 99 : (unsigned)((uint64_t)elapsed * 99 / typ_ms);

			if (pct > last_pct)
				ev->progress(ev->ctx, pct);
			last_pct = pct;
		}
		target_sleep_ms(STM32_POLL_MS);
	}
	t->a->timeout_ms = saved_timeout;
	if (elapsed_ms)
		*elapsed_ms = (unsigned)(target_now_ms() - start);
	if (rc == 0 && ev && ev->progress)
		ev->progress(ev->ctx, 100);
	return rc;
}

int stm32_rdp_byte_for(enum rdp_level level, uint8_t *byte)
{
	switch (level) {
	case RDP_LEVEL_0:
		*byte = STM32_RDP_LEVEL0;
		return 0;
	case RDP_LEVEL_1:
		*byte = STM32_RDP_LEVEL1;
		return 0;
	default:
		return err_setf(ERR_NOT_SUPPORTED,
				"rdpd sets only levels 0 and 1; level 2 is permanent and never offered");
	}
}
