/*
 * sim_mech.c - mechanics the family models share: address windows, the
 * byte lanes of a 32-bit register, the read-only bytes of an information
 * block (F_SIZE, the unique ID, option words), the two-key unlock sequence,
 * the program a fresh flash array holds.
 *
 * No register meaning lives here. Which address is which register, which
 * bits a write may change, what is erased and when: each model says that
 * from its own reading of its manuals (docs/sim/README.md) and calls these
 * with its own values. A helper that needs a family's register layout to be
 * written belongs in that family's file.
 */
#include "sim_internal.h"

#include <errno.h>
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

/* Byte A of a little-endian field of BYTES (1 to 4) bytes that holds VALUE
 * at address AT (a size word, a word of the unique ID, an option
 * half-word): true and *B when A is one of its bytes. */
bool sim_mech_field_byte(uint32_t value, uint32_t at, unsigned bytes, uint32_t a, uint8_t *b)
{
	if (a - at >= bytes) /* below AT, the difference wraps: no byte either */
		return false;
	*b = (uint8_t)(value >> (8 * (a - at)));
	return true;
}

/* Byte A of the 96-bit unique ID UID (uid[0] = U_ID[31:0]) whose words
 * sit at BASE, BASE + 4 and BASE + THIRD (the model's manual says where):
 * true and *B when A is one of its 12 bytes. */
bool sim_mech_uid_byte(const uint32_t *uid, uint32_t base, uint32_t third, uint32_t a, uint8_t *b)
{
	return sim_mech_field_byte(uid[0], base, 4, a, b) || sim_mech_field_byte(uid[1], base + 4, 4, a, b) ||
	       sim_mech_field_byte(uid[2], base + third, 4, a, b);
}

/* A read of SIZE bytes at ADDR from the read-only bytes a model serves
 * one at a time with BYTE (true and the byte where it holds one; DEBUGGER
 * as the bus access's). Returns 0 and *VAL, or -EFAULT when BYTE holds
 * none of them at one address (nothing is mapped there), *VAL untouched. */
int sim_mech_info_read(struct sim_chip *c, bool (*byte)(struct sim_chip *, uint32_t, bool, uint8_t *),
		       uint32_t addr, unsigned size, bool debugger, uint32_t *val)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < size; i++) {
		uint8_t b;

		if (!byte(c, addr + i, debugger, &b))
			return -EFAULT;
		v |= (uint32_t)b << (8 * i);
	}
	*val = v;
	return 0;
}

/* A write at ADDR there: ignored (0) where BYTE holds the byte at ADDR,
 * as a read-only block takes it; -EFAULT where nothing is mapped. */
int sim_mech_info_write(struct sim_chip *c, bool (*byte)(struct sim_chip *, uint32_t, bool, uint8_t *),
			uint32_t addr, bool debugger)
{
	uint8_t b;

	return byte(c, addr, debugger, &b) ? 0 : -EFAULT;
}

/* The unlock sequence of a key register: K1 then K2, in that order, open
 * what it guards; any other value is a wrong sequence, after which the
 * sequence is dead (every write a wrong one) until the model sets *ST back
 * to SIM_MECH_KEY_EXPECT1 at its next reset. Returns 0, or -EFAULT for a
 * wrong write (the bus error controllers answer it with); *OPENED is true
 * when this write completed the pair. Which register, which keys, what a
 * completed pair opens and what a dead sequence locks: the model's. */
int sim_mech_key_feed(enum sim_mech_key *st, uint32_t k1, uint32_t k2, uint32_t v, bool *opened)
{
	*opened = false;
	if (*st == SIM_MECH_KEY_EXPECT1 && v == k1) {
		*st = SIM_MECH_KEY_EXPECT2;
		return 0;
	}
	if (*st == SIM_MECH_KEY_EXPECT2 && v == k2) {
		*st = SIM_MECH_KEY_EXPECT1;
		*opened = true;
		return 0;
	}
	*st = SIM_MECH_KEY_DEAD;
	return -EFAULT;
}

/* The same sequence on a key register whose lock bit is *LOCKED, for the
 * models whose manuals count a key written while the lock is already open
 * as a wrong sequence too: then the sequence dies and the lock closes
 * again. Otherwise the pair clears *LOCKED. Returns as sim_mech_key_feed(). */
int sim_mech_key_unlock(enum sim_mech_key *st, bool *locked, uint32_t k1, uint32_t k2, uint32_t v)
{
	bool opened;
	int rc;

	if (!*locked) {
		*st = SIM_MECH_KEY_DEAD;
		*locked = true;
		return -EFAULT;
	}
	rc = sim_mech_key_feed(st, k1, k2, v, &opened);
	if (opened)
		*locked = false;
	return rc;
}

/* Fill BYTES of FLASH with a recognisable program, so a test can tell it
 * from an erased array: the vector table (initial MSP, reset handler), then
 * 0xC0DE0000 | word index. */
void sim_mech_fill_program(uint8_t *flash, size_t bytes, uint32_t msp, uint32_t reset_pc)
{
	for (uint32_t i = 0; i < bytes / 4u; i++) {
		uint32_t w = i == 0 ? msp : i == 1 ? reset_pc : 0xC0DE0000u | (i & 0xFFFFu);

		memcpy(flash + 4u * i, &w, 4);
	}
}
