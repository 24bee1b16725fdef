/*
 * sim_profiles.c - the catalogue of simulated chips. Profile names are
 * generated from the family table: "<part>-rdp<level>" for every part of
 * every family, followed by the special profiles. A new family is one new
 * file with its `const struct sim_chip_ops` and one line in sim_families[].
 */
#include "sim_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern const struct sim_chip_ops sim_at32f4_ops;
extern const struct sim_chip_ops sim_stm32f1_ops;
extern const struct sim_chip_ops sim_stm32f4_ops;
extern const struct sim_chip_ops sim_stm32h5_ops;
extern const struct sim_chip_ops sim_stm32h7_ops;
extern const struct sim_chip_ops sim_stm32l0_ops;
extern const struct sim_chip_ops sim_stm32l4_ops;

static const struct sim_chip_ops *const sim_families[] = {
	&sim_stm32f4_ops,
	&sim_stm32f1_ops,
	&sim_stm32h5_ops,
	&sim_stm32h7_ops,
	&sim_stm32l0_ops,
	&sim_stm32l4_ops,
	&sim_at32f4_ops,
};

#define PROFILE_NFAMILIES (sizeof(sim_families) / sizeof(sim_families[0]))

/* The RDP option byte each level's profile starts with. Level 1 uses 0xBB,
 * a common "any other value" (OpenOCD's lock writes 0x00; both are level 1). */
static const uint8_t profile_rdp_byte[3] = { 0xAA, 0xBB, 0xCC };

struct profile_special {
	const char *name;
	const char *part;
	uint8_t rdp;
	unsigned flags;
	const char *summary;
};

static const struct profile_special profile_specials[] = {
	{ "no-target", "stm32f401re", 0xAA, SIM_CHIP_ABSENT,
	  "probe only: nothing on SWD, every transfer gets no ACK (7)" },
	{ "stm32f401re-swd-off-rdp1", "stm32f401re", 0xBB, SIM_CHIP_SWD_OFF,
	  "STM32F401RE at RDP level 1 whose firmware turns SWD off 5 ms after start: connect under reset" },
};

#define PROFILE_NSPECIAL (sizeof(profile_specials) / sizeof(profile_specials[0]))
#define PROFILE_MAX 256

struct profile_entry {
	char name[64];
	char summary[160];
	struct sim_profile_info info;
};

static struct profile_entry profile_table[PROFILE_MAX];
static size_t profile_n;
static pthread_once_t profile_once = PTHREAD_ONCE_INIT;

/* Row I (below parts.count) of the part table of OPS. */
static const struct sim_part_id *profile_part_id(const struct sim_chip_ops *ops, size_t i)
{
	return (const struct sim_part_id *)((const char *)ops->parts.first + i * ops->parts.stride);
}

static bool profile_part(const char *part, struct sim_profile_info *out)
{
	for (size_t f = 0; f < PROFILE_NFAMILIES; f++)
		for (size_t i = 0; i < sim_families[f]->parts.count; i++)
			if (strcmp(profile_part_id(sim_families[f], i)->name, part) == 0) {
				out->ops = sim_families[f];
				out->part = i;
				return true;
			}
	return false;
}

static void profile_build(void)
{
	for (size_t f = 0; f < PROFILE_NFAMILIES; f++) {
		const struct sim_chip_ops *ops = sim_families[f];

		for (size_t i = 0; i < ops->parts.count; i++)
			for (unsigned lvl = 0; lvl < 3 && profile_n < PROFILE_MAX; lvl++) {
				struct profile_entry *e;
				uint8_t rdp = profile_rdp_byte[lvl];

				if (ops->profile_rdp && ops->profile_rdp(i, lvl, &rdp) < 0)
					continue; /* the part has no such level */
				e = &profile_table[profile_n++];
				snprintf(e->name, sizeof(e->name), "%s-rdp%u", profile_part_id(ops, i)->name, lvl);
				snprintf(e->summary, sizeof(e->summary), "%s, RDP level %u (option byte 0x%02X)%s",
					 profile_part_id(ops, i)->summary, lvl, rdp,
					 lvl == 2 ? ": debug port silent" : "");
				e->info.ops = ops;
				e->info.part = i;
				e->info.rdp = rdp;
				e->info.flags = 0;
			}
		/* TrustZone parts: "<part>-rdp0.5", option byte 0x55 with TZEN = 1. */
		for (size_t i = 0; ops->part_has_level_half && i < ops->parts.count; i++) {
			struct profile_entry *e;

			if (!ops->part_has_level_half(i) || profile_n >= PROFILE_MAX)
				continue;
			e = &profile_table[profile_n++];
			snprintf(e->name, sizeof(e->name), "%s-rdp0.5", profile_part_id(ops, i)->name);
			snprintf(e->summary, sizeof(e->summary),
				 "%s, RDP level 0.5 (option byte 0x55, TZEN = 1)", profile_part_id(ops, i)->summary);
			e->info.ops = ops;
			e->info.part = i;
			e->info.rdp = 0x55;
			e->info.flags = 0;
		}
	}
	for (size_t s = 0; s < PROFILE_NSPECIAL && profile_n < PROFILE_MAX; s++) {
		struct profile_entry *e = &profile_table[profile_n];

		if (!profile_part(profile_specials[s].part, &e->info))
			continue;
		snprintf(e->name, sizeof(e->name), "%s", profile_specials[s].name);
		snprintf(e->summary, sizeof(e->summary), "%s", profile_specials[s].summary);
		e->info.rdp = profile_specials[s].rdp;
		e->info.flags = profile_specials[s].flags;
		profile_n++;
	}
}

size_t sim_profile_count(void)
{
	pthread_once(&profile_once, profile_build);
	return profile_n;
}

const char *sim_profile_name(size_t i)
{
	return i < sim_profile_count() ? profile_table[i].name : NULL;
}

const char *sim_profile_summary(size_t i)
{
	return i < sim_profile_count() ? profile_table[i].summary : NULL;
}

int sim_profile_find(const char *name, struct sim_profile_info *out)
{
	for (size_t i = 0; name && i < sim_profile_count(); i++)
		if (strcmp(profile_table[i].name, name) == 0) {
			*out = profile_table[i].info;
			return 0;
		}
	return -1;
}
