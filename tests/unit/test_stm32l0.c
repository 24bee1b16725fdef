/*
 * STM32L0/L1 identification details that need no chip: the F_SIZE quirks
 * of L1 0x436 (0 = 384 KB, 1 = 256 KB) and 0x429 (low byte only).
 */
#include "check.h"
#include "targets/target.h"

TEST(fsize_quirks)
{
	static const struct { uint16_t dev; uint16_t raw; unsigned kb; } c[] = {
		{0x436, 0x0000, 384}, {0x436, 0x0001, 256}, {0x429, 0xFF80, 128},
		{0x429, 0x0040, 64},  {0x416, 0x0080, 128}, {0x437, 0x0200, 512},
		{0x437, 0xFFFF, 512}, {0x447, 0x00C0, 192},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const struct target_driver *drv = NULL;
		uint32_t dbg = c[i].dev == 0x447 ? 0x40015800u : 0xE0042000u;
		const struct target_part *p = target_find_part(dbg, c[i].dev, &drv);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK(drv->flash_kb_from_fsize != NULL);
		CHECK_EQ_U(drv->flash_kb_from_fsize(p, c[i].raw), c[i].kb);
		CHECK_EQ_U(drv->erased_word, 0);
	}
}

int main(void)
{
	RUN(fsize_quirks);
	return check_summary();
}
