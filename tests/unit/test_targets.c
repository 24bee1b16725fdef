/*
 * Every device id of the part tables in docs/targets/ that rdpd drives maps
 * to the right driver, name and flash size; every RDP byte to its level.
 */
#include <string.h>

#include "check.h"
#include "targets/target.h"

static const struct {
	uint32_t dbgmcu;
	uint16_t dev_id;
	const char *driver;
	const char *name;
	unsigned flash_kb_max;
	uint32_t fsize_addr;
} id_cases[] = {
	/* dbgmcu      dev    driver     name                      KB    F_SIZE */
	{0xE0042000, 0x411, "stm32f4", "STM32F2xx",             1024, 0x1FFF7A22},
	{0xE0042000, 0x413, "stm32f4", "STM32F405/407/415/417", 1024, 0x1FFF7A22},
	{0xE0042000, 0x419, "stm32f4", "STM32F42x/43x",         2048, 0x1FFF7A22},
	{0xE0042000, 0x423, "stm32f4", "STM32F401xB/C",          256, 0x1FFF7A22},
	{0xE0042000, 0x433, "stm32f4", "STM32F401xD/E",          512, 0x1FFF7A22},
	{0xE0042000, 0x431, "stm32f4", "STM32F411xC/E",          512, 0x1FFF7A22},
	{0xE0042000, 0x421, "stm32f4", "STM32F446xx",            512, 0x1FFF7A22},
	{0xE0042000, 0x441, "stm32f4", "STM32F412xx",           1024, 0x1FFF7A22},
	{0xE0042000, 0x458, "stm32f4", "STM32F410xx",            128, 0x1FFF7A22},
	{0xE0042000, 0x434, "stm32f4", "STM32F469/479",         2048, 0x1FFF7A22},
	{0xE0042000, 0x463, "stm32f4", "STM32F413/423",         1536, 0x1FFF7A22},
	{0xE0042000, 0x449, "stm32f4", "STM32F74x/75x",         1024, 0x1FF0F442},
	{0xE0042000, 0x451, "stm32f4", "STM32F76x/77x",         2048, 0x1FF0F442},
	{0xE0042000, 0x452, "stm32f4", "STM32F72x/73x",          512, 0x1FF07A22},
	{0x5C001000, 0x450, "stm32h7", "STM32H742/743/750/753/745/747/755/757", 2048, 0x1FF1E880},
	{0x5C001000, 0x483, "stm32h7", "STM32H72x/73x",          1024, 0x1FF1E880},
	{0x5C001000, 0x480, "stm32h7", "STM32H7A3/B0/B3",        2048, 0x08FFF80C},
	{0x5C001000, 0x485, "stm32h7", "STM32H7R/S",               64, 0x08FFF80C},
	{0x40015800, 0x457, "stm32l0", "STM32L0 Cat.1 (L011/L021)",  16, 0x1FF8007C},
	{0x40015800, 0x425, "stm32l0", "STM32L0 Cat.2 (L031/L041)",  32, 0x1FF8007C},
	{0x40015800, 0x417, "stm32l0", "STM32L0 Cat.3 (L05x/L06x)",  64, 0x1FF8007C},
	{0x40015800, 0x447, "stm32l0", "STM32L0 Cat.5 (L07x/L08x)", 192, 0x1FF8007C},
	{0xE0042000, 0x416, "stm32l0", "STM32L1 Cat.1",            128, 0x1FF8004C},
	{0xE0042000, 0x429, "stm32l0", "STM32L1 Cat.2",            128, 0x1FF8004C},
	{0xE0042000, 0x427, "stm32l0", "STM32L1 Cat.3",            256, 0x1FF800CC},
	{0xE0042000, 0x436, "stm32l0", "STM32L1 Cat.4/Cat.3 (xD)", 384, 0x1FF800CC},
	{0xE0042000, 0x437, "stm32l0", "STM32L1 Cat.5/Cat.6",      512, 0x1FF800CC},
	{0xE0044000, 0x484, "stm32h5", "STM32H562/563/573",       2048, 0x08FFF80C},
	{0xE0044000, 0x474, "stm32h5", "STM32H503",                128, 0x08FFF80C},
	{0xE0044000, 0x478, "stm32h5", "STM32H523/533",            512, 0x08FFF80C},
	{0x44024000, 0x484, "stm32h5", "STM32H562/563/573",       2048, 0x08FFF80C},
	{0x44024000, 0x474, "stm32h5", "STM32H503",                128, 0x08FFF80C},
	{0x44024000, 0x478, "stm32h5", "STM32H523/533",            512, 0x08FFF80C},
	{0x40015800, 0x440, "stm32f1", "STM32F05x/F030x8",          64, 0x1FFFF7CC},
	{0x40015800, 0x444, "stm32f1", "STM32F03x/F030x4/6",        32, 0x1FFFF7CC},
	{0x40015800, 0x445, "stm32f1", "STM32F04x/F070x6",          32, 0x1FFFF7CC},
	{0x40015800, 0x448, "stm32f1", "STM32F07x",                128, 0x1FFFF7CC},
	{0x40015800, 0x442, "stm32f1", "STM32F09x/F030xC",         256, 0x1FFFF7CC},
	{0xE0042000, 0x412, "stm32f1", "STM32F10x low density",     32, 0x1FFFF7E0},
	{0xE0042000, 0x410, "stm32f1", "STM32F10x medium density", 128, 0x1FFFF7E0},
	{0xE0042000, 0x414, "stm32f1", "STM32F10x high density",   512, 0x1FFFF7E0},
	{0xE0042000, 0x418, "stm32f1", "STM32F105/107 connectivity line", 256, 0x1FFFF7E0},
	{0xE0042000, 0x430, "stm32f1", "STM32F10x XL density",    1024, 0x1FFFF7E0},
	{0xE0042000, 0x420, "stm32f1", "STM32F100 value line low/medium density", 128, 0x1FFFF7E0},
	{0xE0042000, 0x428, "stm32f1", "STM32F100 value line high density", 512, 0x1FFFF7E0},
	{0xE0042000, 0x422, "stm32f1", "STM32F302xB/C/F303xB/C/F358", 256, 0x1FFFF7CC},
	{0xE0042000, 0x432, "stm32f1", "STM32F37x",                256, 0x1FFFF7CC},
	{0xE0042000, 0x438, "stm32f1", "STM32F303x6/8/F328/F334",   64, 0x1FFFF7CC},
	{0xE0042000, 0x439, "stm32f1", "STM32F301/F302x6/8/F318",   64, 0x1FFFF7CC},
	{0xE0042000, 0x446, "stm32f1", "STM32F302/303xD/E/F398",   512, 0x1FFFF7CC},
	{0xE0042000, 0x415, "stm32l4", "STM32L47x/48x",           1024, 0x1FFF75E0},
	{0xE0042000, 0x461, "stm32l4", "STM32L49x/4Ax",           1024, 0x1FFF75E0},
	{0xE0042000, 0x435, "stm32l4", "STM32L43x/44x",            256, 0x1FFF75E0},
	{0xE0042000, 0x462, "stm32l4", "STM32L45x/46x",            512, 0x1FFF75E0},
	{0xE0042000, 0x464, "stm32l4", "STM32L41x/42x",            128, 0x1FFF75E0},
	{0xE0042000, 0x470, "stm32l4", "STM32L4Rx/4Sx",           2048, 0x1FFF75E0},
	{0xE0042000, 0x471, "stm32l4", "STM32L4P5/4Q5",           1024, 0x1FFF75E0},
	{0xE0042000, 0x468, "stm32l4", "STM32G43x/44x",            128, 0x1FFF75E0},
	{0xE0042000, 0x469, "stm32l4", "STM32G47x/48x",            512, 0x1FFF75E0},
	{0xE0042000, 0x479, "stm32l4", "STM32G49x/4Ax",            512, 0x1FFF75E0},
	{0x40015800, 0x466, "stm32l4", "STM32G03x/04x",             64, 0x1FFF75E0},
	{0x40015800, 0x456, "stm32l4", "STM32G05x/06x",             64, 0x1FFF75E0},
	{0x40015800, 0x460, "stm32l4", "STM32G07x/08x",            128, 0x1FFF75E0},
	{0x40015800, 0x467, "stm32l4", "STM32G0Bx/0Cx",            512, 0x1FFF75E0},
	{0x40015800, 0x443, "stm32l4", "STM32C011",                 32, 0x1FFF75A0},
	{0x40015800, 0x453, "stm32l4", "STM32C031",                 32, 0x1FFF75A0},
	{0x40015800, 0x44C, "stm32l4", "STM32C051",                 64, 0x1FFF75A0},
	{0x40015800, 0x493, "stm32l4", "STM32C071",                128, 0x1FFF75A0},
	{0x40015800, 0x44D, "stm32l4", "STM32C091/092",            256, 0x1FFF75A0},
	{0x40015800, 0x459, "stm32l4", "STM32U031",                 64, 0x1FFF3EA0},
	{0x40015800, 0x489, "stm32l4", "STM32U073/083",            256, 0x1FFF6EA0},
	{0xE0042000, 0x495, "stm32l4", "STM32WB5x/WB35",          1024, 0x1FFF75E0},
	{0xE0042000, 0x496, "stm32l4", "STM32WB3x",                512, 0x1FFF75E0},
	{0xE0042000, 0x494, "stm32l4", "STM32WB1x",                320, 0x1FFF75E0},
	{0xE0042000, 0x497, "stm32l4", "STM32WLE/WL5x",            256, 0x1FFF75E0},
	{0xE0044000, 0x472, "stm32l5", "STM32L55x/56x",            512, 0x0BFA05E0},
	{0xE0044000, 0x455, "stm32l5", "STM32U535/545",            512, 0x0BFA07A0},
	{0xE0044000, 0x482, "stm32l5", "STM32U575/585",           2048, 0x0BFA07A0},
	{0xE0044000, 0x481, "stm32l5", "STM32U59x/5Ax",           4096, 0x0BFA07A0},
	{0xE0044000, 0x476, "stm32l5", "STM32U5Fx/5Gx",           4096, 0x0BFA07A0},
};

TEST(every_device_id)
{
	for (size_t i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		const struct target_driver *drv = NULL;
		const struct target_part *p = target_find_part(id_cases[i].dbgmcu, id_cases[i].dev_id, &drv);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(drv->name, id_cases[i].driver);
		CHECK_STR(p->name, id_cases[i].name);
		CHECK_EQ_U(p->flash_kb_max, id_cases[i].flash_kb_max);
		CHECK_EQ_U(p->flash_size_addr, id_cases[i].fsize_addr);
		/* a 2 MB F4 erase can take 32 s; F0/F1/F3's 40 ms gets 25 times that */
		/* (L4-style: ~25 ms per bank, 2 s budget; L5/U5 5 s) */
		CHECK(p->erase_max_ms >= (strcmp(id_cases[i].driver, "stm32f1") == 0 ||
					  strcmp(id_cases[i].driver, "stm32l4") == 0 ||
					  strcmp(id_cases[i].driver, "stm32l5") == 0 ? 1000u : 30000u));
		CHECK(p->erase_typ_ms < p->erase_max_ms);
	}
}

/* GigaDevice clones say DEV_ID 0x410 (0x418: GD32F20x) and are told apart
 * by REV_ID (docs/targets/stm32f1.md, "Parts"); an ST REV_ID keeps the
 * STM32F1 row. */
TEST(gd32_by_rev_id)
{
	static const struct {
		uint32_t dbgmcu, idcode;
		const char *name;
		unsigned flash_kb_max;
	} cases[] = {
		{0xE0042000, 0x13030410, "GD32F1x0 (or GD32F10x)",   64},
		{0xE0042000, 0x17040410, "GD32F3x0",                128},
		{0x40015800, 0x19090410, "GD32E23x",                 64},
		{0xE0042000, 0x15080418, "GD32F20x",               3072},
		{0xE0042000, 0x10010418, "STM32F105/107 connectivity line", 256},
		{0xE0042000, 0x20030410, "STM32F10x medium density", 128},
		{0xE0042000, 0x00000410, "STM32F10x medium density", 128},
	};
	const struct target_driver *drv = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct target_part *p = target_find_part_rev(cases[i].dbgmcu, cases[i].idcode, &drv);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(drv->name, "stm32f1");
		CHECK_STR(p->name, cases[i].name);
		CHECK_EQ_U(p->flash_kb_max, cases[i].flash_kb_max);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFFF7E0);
	}
	/* A GD32E23x id with another revision is not guessed. */
	CHECK(target_find_part_rev(0x40015800, 0x10000410, &drv) == NULL);
}

/* Artery AT32F4 by the whole PID at 0xE0042000 (docs/targets/at32f4.md,
 * "Identification"; OpenOCD artery.c): bits 15:12 count, so no DEV_ID row
 * may claim these words. The PIDs F413 and F415 share need the FPU (read
 * from the target): not here. */
TEST(at32_by_whole_pid)
{
	static const struct {
		uint32_t pid;
		const char *name;
		unsigned flash_kb;
	} cases[] = {
		{0x70050347, "AT32F403A/407xG",   1024},
		{0x700502CD, "AT32F403A/407xE",    512},
		{0x70050240, "AT32F403A/407xC",    256},
		{0x70030106, "AT32F413x8",          64},
		{0x700301C4, "AT32F415xB",         128},
		{0x7003010A, "AT32F415x8",          64},
		{0x50020100, "AT32F421x8",          64},
		{0x5001000C, "AT32F421x4",          16},
		{0x7003210B, "AT32F423x8",          64},
		{0x700A3249, "AT32F423xC",         256},
		{0x50092087, "AT32F425x6",          32},
		{0x70083251, "AT32F435/437xC",     256},
		{0x7008459A, "AT32F435/437xD",     448},
		{0x70030250, "AT32WB415xC",        256},
	};
	const struct target_driver *at32 = NULL, *drv = NULL;
	struct target t = {0};

	for (size_t i = 0; i < target_driver_count(); i++)
		if (strcmp(target_driver_at(i)->name, "at32f4") == 0)
			at32 = target_driver_at(i);
	CHECK(at32 != NULL && at32->find_part != NULL);
	if (!at32 || !at32->find_part)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct target_part *p = at32->find_part(&t, 0xE0042000, cases[i].pid);

		CHECK(p != NULL);
		if (!p)
			continue;
		CHECK_STR(p->name, cases[i].name);
		CHECK_EQ_U(at32->flash_kb_from_fsize(p, 0xFFFF), cases[i].flash_kb);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFFF7E0);
		CHECK(p->erase_typ_ms < p->erase_max_ms && p->erase_max_ms >= 2400);
		/* never by DEV_ID/REV_ID */
		CHECK(target_find_part_rev(0xE0042000, cases[i].pid, &drv) == NULL);
	}
	/* 0x7003010B is not in OpenOCD's current table; 0x7003210B is F423. */
	CHECK(at32->find_part(&t, 0xE0042000, 0x7003010B) == NULL);
	CHECK(at32->find_part(&t, 0x40015800, 0x70050347) == NULL);
	/* Shared by F413/F415: without a link to read MVFR0, no guess. */
	CHECK(at32->find_part(&t, 0xE0042000, 0x700301C5) == NULL);
}

/* GD32F4 by the MCU ROM table's PIDR (no DBGMCU IDCODE is published, Black
 * Magic Debug issue #1816): designer GigaDevice (JEP106 continuation 7,
 * identity 0x51) and the part number; only rows that ask for it match. */
TEST(gd32f4_by_rom_table)
{
	static const struct {
		uint16_t designer, part;
		const char *name; /* NULL: no row */
	} cases[] = {
		{0x751, 0x2B3, "GD32F450"},
		{0x751, 0xA2E, "GD32F470"},
		{0x751, 0xFA4, "GD32F405/407"},
		{0x051, 0x2B3, NULL}, /* the continuation code counts */
		{0x751, 0x413, NULL},
		{0x020, 0x433, NULL}, /* ST parts are found by DBGMCU, never here */
		{0x000, 0x000, NULL},
	};
	const struct target_driver *drv = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct target_part *p = target_find_part_rom(cases[i].designer, cases[i].part, &drv);

		CHECK((p != NULL) == (cases[i].name != NULL));
		if (!p || !cases[i].name)
			continue;
		CHECK_STR(drv->name, "stm32f4");
		CHECK_STR(p->name, cases[i].name);
		CHECK_EQ_U(p->flash_kb_max, 3072);
		CHECK_EQ_U(p->flash_size_addr, 0x1FFF7A22);
		CHECK(p->erase_max_ms >= 60000 && p->erase_typ_ms < p->erase_max_ms);
		/* never by DBGMCU_IDCODE: a blank id or an ST id is not a GD32F4 */
		CHECK(p->dev_id == 0 && p->dbgmcu_addr == 0);
	}
}

TEST(unknown_ids_are_not_guessed)
{
	const struct target_driver *drv = NULL;

	CHECK(target_find_part(0xE0042000, 0x000, &drv) == NULL);
	CHECK(target_find_part(0xE0042000, 0xFFF, &drv) == NULL);
	/* The right id at the wrong DBGMCU address is another chip. */
	CHECK(target_find_part(0x40015800, 0x433, &drv) == NULL);
}

TEST(every_rdp_byte)
{
	for (unsigned b = 0; b < 256; b++) {
		enum rdp_level want = b == 0xAA ? RDP_LEVEL_0 : b == 0xCC ? RDP_LEVEL_2 : RDP_LEVEL_1;

		CHECK_EQ_I(rdp_level_from_byte((uint8_t)b), want);
	}
	CHECK(rdp_level_number(RDP_LEVEL_0_5) == 0.5);
	CHECK(rdp_level_number(RDP_LEVEL_2) == 2.0);
	CHECK(rdp_level_number(RDP_UNKNOWN) < 0);
}

TEST(drivers_are_complete)
{
	for (size_t i = 0; i < target_driver_count(); i++) {
		const struct target_driver *d = target_driver_at(i);

		CHECK(d->read_protection && d->set_level && d->apply);
		CHECK(d->n_parts > 0 && d->erase_scope && d->family);
	}
	CHECK(target_driver_at(target_driver_count()) == NULL);
}

int main(void)
{
	RUN(every_device_id);
	RUN(gd32_by_rev_id);
	RUN(at32_by_whole_pid);
	RUN(gd32f4_by_rom_table);
	RUN(unknown_ids_are_not_guessed);
	RUN(every_rdp_byte);
	RUN(drivers_are_complete);
	return check_summary();
}
