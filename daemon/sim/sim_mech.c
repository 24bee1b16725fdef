/*
 * sim_mech.c - mechanics the family models share: address windows.
 *
 * No register meaning lives here. Which address is which register, which
 * bits a write may change, what is erased and when: each model says that
 * from its own reading of its manuals (docs/sim/README.md) and calls these
 * with its own values. A helper that needs a family's register layout to be
 * written belongs in that family's file.
 */
#include "sim_internal.h"

/* Whether the SIZE bytes at ADDR lie inside the window of LEN bytes at
 * BASE. Computed in 64 bits, so neither a window that ends at 4 GB nor an
 * access that wraps past it is misjudged. */
bool sim_mech_in(uint32_t addr, unsigned size, uint32_t base, uint32_t len)
{
	return (uint64_t)addr >= base && (uint64_t)addr + size <= (uint64_t)base + len;
}
