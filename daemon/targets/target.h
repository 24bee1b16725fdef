/*
 * target.h - the chip behind the probe, and the per-family driver contract.
 *
 * The chip is identified by what it says about itself (CPUID, then
 * DBGMCU_IDCODE at the address that core's parts use), never by a name the
 * user gives. Each flash-controller lineage is one file ending in one
 * `const struct target_driver`, listed in the table in target.c.
 */
#ifndef RDPD_TARGET_H
#define RDPD_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adiv5/adiv5.h"
#include "cortexm/cortexm.h"

/* Protection levels in tenths, so 0.5 (TrustZone parts) is exact. */
enum rdp_level {
	RDP_UNKNOWN = -1,
	RDP_LEVEL_0 = 0,
	RDP_LEVEL_0_5 = 5,
	RDP_LEVEL_1 = 10,
	RDP_LEVEL_2 = 20,
};

/* One row of a driver's device table, written with designated initializers
 * (fields left out are 0). */
struct target_part {
	uint16_t dev_id;
	/* Where this part's DBGMCU_IDCODE lives, as the part's `core` sees
	 * it: target_identify() reads, for the core the CPUID names, the
	 * dbgmcu_addr of every row with that core (target_dbgmcu_addrs), so a
	 * family with a new address adds no line in target.c. */
	uint32_t dbgmcu_addr;
	enum cortexm_core core;   /* the core that identifies the part (CPU1 of dual-core parts) */
	const char *name;         /* "STM32F401xD/E" */
	uint32_t flash_size_addr; /* F_SIZE, a 16-bit count of KiB */
	uint16_t flash_kb_max;    /* used when F_SIZE reads blank */
	uint32_t flags;           /* the driver's own meaning */
	unsigned erase_typ_ms;    /* typical regression erase, for progress */
	unsigned erase_max_ms;    /* budget before the erase counts as failed */
	/* 0: any REV_ID. Otherwise the row matches only this REV_ID: GigaDevice
	 * clones reuse ST's DEV_ID 0x410 and differ by REV_ID (docs/targets/stm32f1.md, "Parts"). */
	uint16_t rev_id;
	/* 0: the row is found by DBGMCU_IDCODE. Otherwise the row is found only
	 * by the MCU ROM table's CoreSight PIDR, when DBGMCU_IDCODE matched no
	 * row (target_find_part_rom): JEP106 designer as (continuation << 8) |
	 * identity, Black Magic Debug's packing (GigaDevice 0x751), and the
	 * 12-bit part number. Such rows have dev_id 0 and dbgmcu_addr 0, which
	 * no DBGMCU lookup ever asks for. GD32F4 (docs/adiv5.md, "Identification by the ROM table"): its DBGMCU
	 * IDCODE is not published (Black Magic Debug issue #1816). */
	uint16_t rom_designer;
	uint16_t rom_part;
	/* The addresses of the three words of the 96-bit unique device ID,
	 * U_ID[31:0], U_ID[63:32], U_ID[95:64] (docs/uid.md lists them per
	 * part with their sources), read in the identification batch with
	 * F_SIZE. All 0: no UID address rdpd knows for the part. */
	uint32_t uid_addr[3];
	/* The target file OpenOCD 0.12.0 drives the part with, as its -f
	 * takes it ("target/stm32f4x.cfg"); NULL where that release cannot
	 * (no target file, or its flash driver does not know the DEV_ID).
	 * With the driver's openocd_unlock, the command line a user of
	 * Debian's OpenOCD runs (section "OpenOCD 0.12.0" of each driver's
	 * page in docs/targets/). */
	const char *openocd_target;
	/* A system reset does not load the option bytes: only a power-on
	 * reset or the family's own load command does (STM32F0: RM0360 §4,
	 * "not loaded after a system reset"; docs/targets/stm32f1.md). The
	 * driver's apply() uses that command; a tool that only resets leaves
	 * the new level stored but not in force. */
	bool options_not_loaded_by_reset;
	/* Nonzero: the part sits on an SWD multidrop bus (RP2040) and its DP
	 * answers only once this TARGETSEL (TINSTANCE [31:28], TARGETID
	 * [27:0]) selects it, ADIv5.2 B4.3.4. target_attach tries each such
	 * value once every point-to-point attempt has failed, where the probe
	 * can send it (dp_can_select_target). */
	uint32_t targetsel;
};

/* The uid_addr of a part whose words are at BASE, BASE + 4, BASE + THIRD
 * (THIRD is 8, or 0x14 on L0/L1: HAL_GetUIDw2 in stm32l0xx_hal.c:471). */
#define TARGET_UID(base, third) {(base), (base) + 4u, (base) + (third)}

#define TARGET_MAX_OPTIONS 8
#define TARGET_MAX_SECTORS 64

struct target_option {
	const char *name; /* "optcr" */
	uint32_t value;
};

struct target_protection {
	enum rdp_level level;
	/* The RDP byte (word on L0/L1) of the level reported. An option
	 * "rdp_pending" names a byte written to the option register but never
	 * programmed (rdp_raw is then the option page's, where it is mapped);
	 * "rdp_stored" one programmed but not loaded yet. */
	uint32_t rdp_raw;
	uint32_t wrp_raw;          /* write-protection bits as the register holds them */
	uint64_t wrp_sectors;      /* bit n set: sector/page group n is write-protected */
	struct target_option options[TARGET_MAX_OPTIONS];
	unsigned n_options;
	/* Optional (NULL: the level's sentence says it all): the state in
	 * the vendor's own words, a static sentence naming its register
	 * ("CTRL-AP APPROTECTSTATUS = 0: access port protection enabled").
	 * Schemes other than the RDP byte set it; the report and the refusal
	 * of a permanent state quote it. */
	const char *state;
};

struct target;

/* What the link showed of a chip that DBGMCU_IDCODE did not name, for the
 * drivers' identify hooks (target_identify, docs/adiv5.md "Identification
 * by the vendor's own registers"). */
struct target_seen {
	/* The core answered a CPUID read through t->a->mem_ap (t->cpuid and
	 * t->core are set); false when no AHB-AP led to it (a locked nRF52,
	 * a secured Kinetis, a protected SAM D: their debuggers' view). */
	bool core;
	/* IDR of AP0 ... AP(ADIV5_AP_SCAN - 1); all 0 when the core answered
	 * (only read where it did not: an STM32 pays no packet for them). */
	uint32_t ap_idr[ADIV5_AP_SCAN];
	/* The ROM table's JEP106 designer, (continuation << 8) | identity, and
	 * PIDR part number, read through the AHB-AP at its BASE; 0 when it
	 * could not be read (a bus that refuses every access). */
	uint16_t rom_designer, rom_part;
};

/* What long operations report while they run (all members optional). */
struct target_events {
	void *ctx;
	void (*progress)(void *ctx, unsigned pct);
	void (*log)(void *ctx, const char *line);
	bool (*cancelled)(void *ctx);
};

struct target_driver {
	const char *name;         /* "stm32f4": the family key in the API */
	const char *family;       /* "STM32F2/F4/F7" */
	const struct target_part *parts;
	size_t n_parts;
	/* What the regression erases, for the user's confirmation. */
	const char *erase_scope;
	/* How the unlock (level 1 to 0) goes and takes effect, one line for
	 * the chip table of README.md (tests/tools/families.c --markdown). */
	const char *unlock_summary;
	/* OpenOCD 0.12.0's command that unlocks the parts, bank 0
	 * ("stm32f2x unlock 0"); NULL where it has no flash driver for them. */
	const char *openocd_unlock;
	uint32_t erased_word;     /* flash contents after a mass erase */
	/* The protection scheme whose states read_protection maps onto the
	 * levels 0 / 0.5 / 1 / 2, as the API names it ("stm32-rdp"). */
	const char *scheme;
	int (*read_protection)(struct target *t, struct target_protection *p);
	/* Optional: the words read_protection reads first, at most CAP into
	 * ADDR; identification reads them ahead with the flash size, so the
	 * protection read after it costs no packet (mem_prefetch32). Called
	 * with t->part known but not t->flash_kb (read in the same batch). A
	 * word listed but not read, or read but not listed, only costs a
	 * packet (tests/sim/test_stack_every_profile.c finds either). */
	size_t (*protection_words)(const struct target *t, uint32_t *addr, size_t cap);
	/* Nonzero: read_protection reads its state from a register of the AP
	 * at this APSEL, a vendor's control port that answers whatever the
	 * protection (nRF52 CTRL-AP, APSEL 1): one batch of its own that the
	 * identification cannot read ahead (tests/sim/test_stack_every_profile.c
	 * allows it and nothing more). 0: none (APSEL 0 is the core's AHB-AP). */
	uint8_t protection_ap;
	/* Program the RDP level LEVEL (0 or 1) into the option bytes and wait
	 * until the controller is done (the mass erase, for 1 -> 0). */
	int (*set_level)(struct target *t, enum rdp_level level, const struct target_events *ev);
	/* Make stored options take effect (reset or OBL_LAUNCH) and re-attach;
	 * *POWER_CYCLE set when only a power-on reset will finish the job. */
	int (*apply)(struct target *t, bool *power_cycle);
	/* Optional: KiB of flash from the raw F_SIZE half-word, for parts whose
	 * F_SIZE is not a plain count (L1 0x436: 0 = 384, 1 = 256; 0x429: low
	 * byte only). NULL: the raw count, a blank value meaning flash_kb_max. */
	unsigned (*flash_kb_from_fsize)(const struct target_part *part, uint16_t raw);
	/* Optional: *PART from the whole DBGMCU word at DBGMCU_ADDR, for
	 * chips whose id is not a DEV_ID/REV_ID pair (Artery AT32: a 32-bit
	 * product id whose bits 15:12 matter, docs/targets/at32f4.md,
	 * "Identification"). It may read the target (T->a) to tell apart parts
	 * sharing an id. Returns 0 with *PART set, 1 when the word is none of
	 * the driver's parts (*PART NULL), or the link's error. A driver with
	 * this hook is never matched by DEV_ID. NULL: its table is matched by
	 * DEV_ID. */
	int (*find_part)(struct target *t, uint32_t dbgmcu_addr, uint32_t idcode,
			 const struct target_part **part);
	/* Optional: the DBGMCU_IDCODE to look up (and keep in t->idcode) for
	 * the one a core of kind CORE read at DBGMCU_ADDR, for silicon that
	 * reports another part's DEV_ID (early F4: the F2's 0x411). Every
	 * driver's hook sees the word in table order, before DEV_ID matching.
	 * NULL: the word as read. */
	uint32_t (*idcode_quirk)(enum cortexm_core core, uint32_t dbgmcu_addr, uint32_t idcode);
	/* Optional: *END = the address just past the last flash word that the
	 * regression erases and a debugger may read, for the unlock job's
	 * read-back of the end of flash. A callback, not a field: it depends on
	 * the size read from F_SIZE (H7 with 2 x 512 KB keeps bank 2 at
	 * 0x08100000, leaving a hole after bank 1) and may read the chip (WB:
	 * the CPU2 secure area above SFSA is neither readable nor erased).
	 * NULL: flash_base + flash_kb KiB, right for every contiguous flash. */
	int (*flash_end)(struct target *t, uint32_t *end);
	/* Optional: identify a chip that has no DBGMCU_IDCODE, by its
	 * vendor's own means (nRF FICR or CTRL-AP, Kinetis SIM_SDID or MDM-AP,
	 * SAM DSU DID) from what SEEN shows. Returns 1 when the chip is none
	 * of the driver's, or 0 with t->part, t->flash_kb, t->flash_base set
	 * (and t->core from the part when !seen->core; t->chip_id and
	 * t->chip_id_name where a register says which part it is), or the
	 * link's error. Drivers without DBGMCU rows set it; their parts have
	 * dev_id 0 and dbgmcu_addr 0, which no DBGMCU lookup asks for. */
	int (*identify)(struct target *t, const struct target_seen *seen);
};

struct target {
	struct adiv5 *a;
	const struct target_driver *drv;
	const struct target_part *part;
	uint32_t dpidr;
	uint32_t cpuid;
	uint32_t idcode;          /* DBGMCU_IDCODE: REV_ID [31:16], DEV_ID [11:0] */
	enum cortexm_core core;
	unsigned flash_kb;
	uint32_t flash_base;
	uint32_t clock_hz;        /* the SWD clock that worked */
	bool under_reset;         /* connected under reset */
	/* The 96-bit unique device ID as the chip reported it: uid[0] =
	 * U_ID[31:0] ... uid[2] = U_ID[95:64]. HAS_UID is false where the
	 * driver knows no address for the part or the read faulted (AT32 with
	 * its flash access protection on). */
	bool has_uid;
	uint32_t uid[3];
	/* The register that named the part on chips without DBGMCU_IDCODE
	 * (the driver's identify hook): "FICR.INFO.PART" and its value; NULL
	 * on the others, where idcode says it. */
	const char *chip_id_name;
	uint32_t chip_id;
	/* Set by the driver's apply(): the protection returns at the chip's
	 * next reset unless its firmware opens the port again (nRF52 with
	 * hardened APPROTECT, nRF53/91: Nordic's "Managing access port
	 * protection"). The unlock job reports it beside power_cycle_required. */
	bool relocks_at_reset;
};

struct target_connect_opts {
	uint32_t clock_hz;        /* 0: the ladder 1 MHz, then 200 kHz */
	int mode;                 /* 0: normal then under reset; 1: normal only; 2: under reset only */
	void (*log)(void *ctx, const char *line);
	void *ctx;
};

#define TARGET_CONNECT_AUTO 0
#define TARGET_CONNECT_NORMAL 1
#define TARGET_CONNECT_UNDER_RESET 2

/* Bring the link up (trying clocks and connect modes) and identify the chip.
 * On -ERR_TARGET_NOT_RESPONDING the detail says what to check. */
int target_attach(struct adiv5 *a, const struct target_connect_opts *opts, struct target *t);
/* Identify the chip on an already powered-up link: the core through the AP
 * a->mem_ap (AP0 after target_attach's start), else the first other AHB-AP
 * among AP0-AP3 that answers a CPUID read, which then serves every later
 * access (STM32H5: AP1). */
int target_identify(struct target *t);
/* RC says the chip did not answer as hoped (silent, faulting, busy, not
 * halting) rather than the probe failing: worth another try at another
 * clock, under reset, or once the chip's own reset is over. */
bool target_error_is_chip(int rc);
/* Connect again after a reset or power cycle, same clock and mode. */
int target_reattach(struct target *t);
/* *SEEN: the chip went through a reset since the last call (the core's
 * sticky DHCSR.S_RESET_ST, which this read clears). A reset rdpd did not
 * ask for while a flash operation runs cuts it short. */
int target_reset_seen(struct target *t, bool *seen);

/* One span of a target_read_flash() batch: WORDS 32-bit words from the
 * word-aligned ADDR into OUT. */
struct target_flash_span {
	uint32_t addr;
	uint32_t *out;
	size_t words;
};
/* *END = the address just past the last flash word that the regression
 * erases and a debugger may read: the driver's flash_end where the flash is
 * not one block from flash_base (a read of the hole would fault), else
 * flash_base + flash_kb KiB. */
int target_flash_end(struct target *t, uint32_t *end);
/* Read the N_SPANS spans of flash as one batch (MEM-AP block reads, one
 * error for all, docs/adiv5.md): 0, -ERR_TARGET_FAULT when the bus refuses
 * a read (flash still closed to the debugger, until a power cycle on some
 * families), or the link's error. */
int target_read_flash(struct target *t, const struct target_flash_span *spans, size_t n_spans);

/* The driver's read_protection into a zeroed P, so that what a driver
 * leaves out (state, options) reads as absent. */
int target_read_protection(struct target *t, struct target_protection *p);

/* Levels as users read them: 0, 0.5, 1, 2 (JSON numbers); -1 for unknown. */
double target_rdp_level_number(enum rdp_level level);
const char *target_rdp_level_text(enum rdp_level level);
/* The option register NAME of a protection report: true and *VAL (may be
 * NULL) when the driver reported it. */
bool target_option(const struct target_protection *p, const char *name, uint32_t *val);
/* The level's sentence, and what the options say is pending: an edit never
 * programmed (rdp_pending) or options programmed but not loaded yet
 * (rdp_stored). Returns OUT. */
const char *target_rdp_describe(const struct target_protection *p, char *out, size_t cap);
/* T's UID as api/openapi.json writes it: 24 lower-case hex digits, U_ID[95:0] as one
 * number, most significant digit first (docs/uid.md). OUT takes 25 bytes. */
void target_uid_hex(const uint32_t uid[3], char out[25]);
/* Parse 24 hex digits (either case) into UID; -ERR_INVALID_ARGUMENT otherwise. */
int target_uid_parse(const char *hex, uint32_t uid[3]);

/* Byte-coded families (F0/F2/F3/F4/F7/L4/...): 0xAA = 0, 0xCC = 2, else 1. */
enum rdp_level target_rdp_level_from_byte(uint8_t rdp);

/* CLOCK_MONOTONIC in milliseconds, and a sleep of MS: the drivers' polls. */
int64_t target_now_ms(void);
void target_sleep_ms(unsigned ms);

/* Driver table (target.c). */
size_t target_driver_count(void);
const struct target_driver *target_driver_at(size_t i);
/* The addresses where a core of kind CORE may find DBGMCU_IDCODE, most
 * likely first: the dbgmcu_addr of each part row with that core, in the
 * order of the driver table and its rows, each once; for a core no row
 * names, 0xE0042000, where the first identification batch reads anyway.
 * Writes at most CAP to OUT and returns how many it wrote; identification
 * asks for TARGET_DBGMCU_MAX, more than any core's parts use (two). */
#define TARGET_DBGMCU_MAX 4
size_t target_dbgmcu_addrs(enum cortexm_core core, uint32_t *out, size_t cap);
/* The part with this DBGMCU address and DEV_ID, or NULL (rows bound to one
 * REV_ID are skipped). */
const struct target_part *target_find_part(uint32_t dbgmcu_addr, uint16_t dev_id,
					   const struct target_driver **drv);
/* The same from the whole DBGMCU_IDCODE: a row bound to its REV_ID first,
 * then a row for any revision. */
const struct target_part *target_find_part_rev(uint32_t dbgmcu_addr, uint32_t idcode,
					       const struct target_driver **drv);
/* The part whose MCU ROM table names DESIGNER (JEP106, (continuation <<
 * 8) | identity) and PART (PIDR part number), or NULL. */
const struct target_part *target_find_part_rom(uint16_t designer, uint16_t part,
					       const struct target_driver **drv);

#endif
