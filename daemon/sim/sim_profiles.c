/*
 * sim_profiles.c - the catalogue of simulated chips. Profile names are
 * generated from the family table: "<part>-rdp<level>" for every part of
 * every family, followed by the special profiles. A new family is one new
 * file with its `const struct sim_chip_ops` and one line in
 * sim_profiles_families[].
 */
#include "sim_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern const struct sim_chip_ops sim_at32f4_ops;
extern const struct sim_chip_ops sim_kinetis_ops;
extern const struct sim_chip_ops sim_nrf52_ops;
extern const struct sim_chip_ops sim_rp2040_ops;
extern const struct sim_chip_ops sim_stm32f1_ops;
extern const struct sim_chip_ops sim_stm32f4_ops;
extern const struct sim_chip_ops sim_stm32h5_ops;
extern const struct sim_chip_ops sim_stm32h7_ops;
extern const struct sim_chip_ops sim_stm32l0_ops;
extern const struct sim_chip_ops sim_stm32l4_ops;

static const struct sim_chip_ops *const sim_profiles_families[] = {
	&sim_stm32f4_ops,
	&sim_stm32f1_ops,
	&sim_stm32h5_ops,
	&sim_stm32h7_ops,
	&sim_stm32l0_ops,
	&sim_stm32l4_ops,
	&sim_at32f4_ops,
	&sim_rp2040_ops,
	&sim_nrf52_ops,
	&sim_kinetis_ops,
};

#define PROFILE_NFAMILIES (sizeof(sim_profiles_families) / sizeof(sim_profiles_families[0]))

/* The RDP option byte each level's profile starts with. Level 1 uses 0xBB,
 * a common "any other value" (OpenOCD's lock writes 0x00; both are level 1). */
static const uint8_t sim_profiles_rdp_byte[3] = { 0xAA, 0xBB, 0xCC };

struct sim_profiles_special {
	const char *name;
	const char *part;
	uint8_t rdp;
	unsigned flags;
	const char *summary;
};

static const struct sim_profiles_special sim_profiles_specials[] = {
	{ "no-target", "stm32f401re", 0xAA, SIM_CHIP_ABSENT,
	  "probe only: nothing on SWD, every transfer gets no ACK (7)" },
	{ "stm32f401re-swd-off-rdp1", "stm32f401re", 0xBB, SIM_CHIP_SWD_OFF,
	  "STM32F401RE at RDP level 1 whose firmware turns SWD off 5 ms after start: connect under reset" },
};

#define PROFILE_NSPECIAL (sizeof(sim_profiles_specials) / sizeof(sim_profiles_specials[0]))
#define PROFILE_MAX 256

struct sim_profiles_entry {
	char name[64];
	char summary[160];
	struct sim_profile_info info;
};

static struct sim_profiles_entry sim_profiles_table[PROFILE_MAX];
static size_t sim_profiles_n;
static pthread_once_t sim_profiles_once = PTHREAD_ONCE_INIT;

/* Row I (below parts.count) of the part table of OPS. */
static const struct sim_part_id *sim_profiles_part_id(const struct sim_chip_ops *ops, size_t i)
{
	return (const struct sim_part_id *)((const char *)ops->parts.first + i * ops->parts.stride);
}

static bool sim_profiles_part(const char *part, struct sim_profile_info *out)
{
	for (size_t f = 0; f < PROFILE_NFAMILIES; f++)
		for (size_t i = 0; i < sim_profiles_families[f]->parts.count; i++)
			if (strcmp(sim_profiles_part_id(sim_profiles_families[f], i)->name, part) == 0) {
				out->ops = sim_profiles_families[f];
				out->part = i;
				return true;
			}
	return false;
}

static void sim_profiles_build(void)
{
	for (size_t f = 0; f < PROFILE_NFAMILIES; f++) {
		const struct sim_chip_ops *ops = sim_profiles_families[f];

		for (size_t i = 0; i < ops->parts.count; i++)
			for (unsigned lvl = 0; lvl < 3 && sim_profiles_n < PROFILE_MAX; lvl++) {
				struct sim_profiles_entry *e;
				uint8_t rdp = sim_profiles_rdp_byte[lvl];

				if (ops->profile_rdp && ops->profile_rdp(i, lvl, &rdp) < 0)
					continue; /* the part has no such level */
				e = &sim_profiles_table[sim_profiles_n++];
				snprintf(e->name, sizeof(e->name), "%s-rdp%u", sim_profiles_part_id(ops, i)->name,
					 lvl);
				snprintf(e->summary, sizeof(e->summary), "%s, RDP level %u (option byte 0x%02X)%s",
					 sim_profiles_part_id(ops, i)->summary, lvl, rdp,
					 lvl == 2 && !ops->level2_dp_answers ? ": debug port silent" : "");
				e->info.ops = ops;
				e->info.part = i;
				e->info.rdp = rdp;
				e->info.flags = 0;
			}
		/* TrustZone parts: "<part>-rdp0.5", option byte 0x55 with TZEN = 1. */
		for (size_t i = 0; ops->part_has_level_half && i < ops->parts.count; i++) {
			struct sim_profiles_entry *e;

			if (!ops->part_has_level_half(i) || sim_profiles_n >= PROFILE_MAX)
				continue;
			e = &sim_profiles_table[sim_profiles_n++];
			snprintf(e->name, sizeof(e->name), "%s-rdp0.5", sim_profiles_part_id(ops, i)->name);
			snprintf(e->summary, sizeof(e->summary), "%s, RDP level 0.5 (option byte 0x55, TZEN = 1)",
				 sim_profiles_part_id(ops, i)->summary);
			e->info.ops = ops;
			e->info.part = i;
			e->info.rdp = 0x55;
			e->info.flags = 0;
		}
	}
	for (size_t s = 0; s < PROFILE_NSPECIAL && sim_profiles_n < PROFILE_MAX; s++) {
		struct sim_profiles_entry *e = &sim_profiles_table[sim_profiles_n];

		if (!sim_profiles_part(sim_profiles_specials[s].part, &e->info))
			continue;
		snprintf(e->name, sizeof(e->name), "%s", sim_profiles_specials[s].name);
		snprintf(e->summary, sizeof(e->summary), "%s", sim_profiles_specials[s].summary);
		e->info.rdp = sim_profiles_specials[s].rdp;
		e->info.flags = sim_profiles_specials[s].flags;
		sim_profiles_n++;
	}
}

size_t sim_profiles_count(void)
{
	pthread_once(&sim_profiles_once, sim_profiles_build);
	return sim_profiles_n;
}

const char *sim_profiles_name(size_t i)
{
	return i < sim_profiles_count() ? sim_profiles_table[i].name : NULL;
}

const char *sim_profiles_summary(size_t i)
{
	return i < sim_profiles_count() ? sim_profiles_table[i].summary : NULL;
}

int sim_profiles_find(const char *name, struct sim_profile_info *out)
{
	for (size_t i = 0; name && i < sim_profiles_count(); i++)
		if (strcmp(sim_profiles_table[i].name, name) == 0) {
			*out = sim_profiles_table[i].info;
			return 0;
		}
	return -1;
}
