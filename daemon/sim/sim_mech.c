/*
 * sim_mech.c - mechanics the family models share: address windows and the
 * byte lanes of a 32-bit register.
 *
 * No register meaning lives here. Which address is which register, which
 * bits a write may change, what is erased and when: each model says that
 * from its own reading of its manuals (docs/sim/README.md) and calls these
 * with its own values. A helper that needs a family's register layout to be
 * written belongs in that family's file.
 */
#include "sim_internal.h"

#include <string.h>

/* Whether the SIZE bytes at ADDR lie inside the window of LEN bytes at
 * BASE. Computed in 64 bits, so neither a window that ends at 4 GB nor an
 * access that wraps past it is misjudged. */
bool sim_mech_in(uint32_t addr, unsigned size, uint32_t base, uint32_t len)
{
	return (uint64_t)addr >= base && (uint64_t)addr + size <= (uint64_t)base + len;
}

/* What a read of SIZE (1, 2 or 4) bytes at ADDR returns from the 32-bit
 * register W that holds ADDR: its bytes from ADDR's lane on, right-aligned
 * (little-endian, as the AHB presents a register to a narrower read). */
uint32_t sim_mech_lane(uint32_t w, uint32_t addr, unsigned size)
{
	w >>= 8 * (addr & 3);
	return size == 4 ? w : w & ((1u << (8 * size)) - 1);
}

/* The value a 32-bit register holding OLD takes when SIZE (1, 2 or 4)
 * bytes of V are written at ADDR: the written lanes replaced, the others
 * kept. Whether the register takes sub-word writes at all, and which bits
 * then change, is the model's to say. */
uint32_t sim_mech_merge(uint32_t old, uint32_t addr, unsigned size, uint32_t v)
{
	unsigned sh = 8 * (addr & 3);
	uint32_t mask = size == 4 ? 0xFFFFFFFFu : ((1u << (8 * size)) - 1) << sh;

	return (old & ~mask) | ((v << sh) & mask);
}

/* SIZE (1, 2 or 4) bytes of a memory array at B as a value. */
uint32_t sim_mech_load(const uint8_t *b, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, b, size); /* little-endian host assumed, as the AHB is */
	return v;
}
