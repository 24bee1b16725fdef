/*
 * sim_internal.h - what the simulator's files share among themselves.
 *
 * Never included outside daemon/sim/. The layering inside the simulator is:
 *
 *   sim_probe.c    public API, locking, fault hook, counters
 *   sim_dap.c      CMSIS-DAP firmware (command parsing, DAP_Transfer engine)
 *   sim_stlink.c   ST-LINK firmware (framing, version, mode, command dispatch)
 *   sim_stlink_mem.c  its SWD side: DP/AP registers, memory blocks, status codes
 *   sim_swd.c      SWJ-DP line state, SW-DP registers, the access ports
 *   sim_chip.c     one chip: reset sequencing, nRESET, debugger latch, firmware
 *   sim_cortexm.c  Cortex-M0/M0+/M3/M4/M7/M23/M33 debug and system registers (PPB)
 *   sim_stm32*.c, sim_at32f4.c  one family each: memory map, flash interface,
 *                  option bytes (its own reading of its manuals)
 *   sim_mech.c     mechanics the family models share (no register meaning)
 *   sim_profiles.c the catalogue: family table x part table x RDP level
 *
 * A chip family is one `const struct sim_chip_ops` plus one line in the
 * family table of sim_profiles.c.
 */
#ifndef RDPD_SIM_INTERNAL_H
#define RDPD_SIM_INTERNAL_H

#include "sim.h"

#include <pthread.h>

/* SWD ACK values as the CMSIS-DAP firmware reports them (raw 3 bits). */
#define SIM_ACK_OK 1u
#define SIM_ACK_WAIT 2u
#define SIM_ACK_FAULT 4u
#define SIM_ACK_NONE 7u /* line floats high: no target drove the ACK */
/* Not an ACK: ACK OK, then read data whose parity bit is wrong. What the
 * firmware reports for it: CMSIS-DAP response bit 3 (DAP_TRANSFER_ERROR,
 * whose value this is), an ST-LINK SWD_AP_PARITY / SWD_DP_PARITY. */
#define SIM_ACK_PARITY 8u

/* Return value of a bus write that asked for a system reset (AIRCR). */
#define SIM_BUS_SYSRESET 1
#define SIM_BUS_VECTRESET 2

/* ---- time (sim_chip.c) ---- */

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sim_chip_now_ns(void);

/* ---- Cortex-M core (sim_cortexm.c) ---- */

enum sim_cortexm_kind {
	SIM_CORTEX_M0 = 0,
	SIM_CORTEX_M0PLUS = 1,
	SIM_CORTEX_M3 = 3,
	SIM_CORTEX_M4 = 4,
	SIM_CORTEX_M7 = 7,
	SIM_CORTEX_M23 = 23, /* ARMv8-M Baseline, no Security Extension (GD32E23x) */
	SIM_CORTEX_M33 = 33,
};

struct sim_cortexm_desc {
	enum sim_cortexm_kind kind;
	uint32_t cpuid;
	bool fpu;
	uint32_t mvfr0, mvfr1, mvfr2;
	uint16_t rom_part;  /* PIDR part number of the MCU ROM table (the DEV_ID on STM32) */
	uint16_t rom_designer; /* JEP106 of that ROM table (0x020 = ST) */
};

#define SIM_CM_NREGS 0x60

struct sim_cortexm {
	struct sim_cortexm_desc d;
	uint32_t regs[SIM_CM_NREGS]; /* indexed by DCRSR.REGSEL */
	uint32_t dhcsr_ctrl;         /* C_DEBUGEN, C_HALT, C_STEP, C_MASKINTS, C_SNAPSTALL */
	bool halted, in_reset, regrdy, reset_st, retire_st, restart_st;
	uint32_t demcr, dfsr, dcrdr, vtor, prigroup, cpacr, fpccr, fpcar, fpdscr;
	uint32_t fp_ctrl, fp_comp[8];
	uint32_t dwt_ctrl, dwt_cmp[4][3];
};

void sim_cortexm_init(struct sim_cortexm *cm, const struct sim_cortexm_desc *d);
void sim_cortexm_power_on(struct sim_cortexm *cm);
void sim_cortexm_hold_reset(struct sim_cortexm *cm);
void sim_cortexm_leave_reset(struct sim_cortexm *cm, uint32_t msp, uint32_t pc);
bool sim_cortexm_running(const struct sim_cortexm *cm);
bool sim_cortexm_owns(uint32_t addr);
int sim_cortexm_read(struct sim_cortexm *cm, uint32_t addr, uint32_t *val);
int sim_cortexm_write(struct sim_cortexm *cm, uint32_t addr, uint32_t val);
int sim_cortexm_read_sized(struct sim_cortexm *cm, uint32_t addr, unsigned size, uint32_t *val);
int sim_cortexm_write_sized(struct sim_cortexm *cm, uint32_t addr, unsigned size, uint32_t val);

/* ---- one chip (sim_chip.c) ---- */

struct sim_chip;

/* What the catalogue knows of a part: one member of every row of a
 * family's part table. */
struct sim_part_id {
	const char *name;    /* the stem of its profile names, e.g. "stm32f401re" */
	const char *summary; /* one line for rdpd-sim --list-profiles --verbose */
};

/* A family's part table as the catalogue walks it: COUNT rows, STRIDE
 * bytes apart, FIRST the id of row 0. */
struct sim_part_table {
	const struct sim_part_id *first;
	size_t count, stride;
};

/* The part table of the array TABLE, whose rows have a member ID. */
#define SIM_PART_TABLE(table) { &(table)[0].id, sizeof(table) / sizeof((table)[0]), sizeof((table)[0]) }

/* Family operations. Sizes are 1, 2 or 4 bytes; values are right-aligned.
 * DEBUGGER is true for accesses made through the AHB-AP (they obey read-out
 * protection) and false for test peeks/pokes and for the core's own fetches. */
struct sim_chip_ops {
	const char *family;
	struct sim_part_table parts; /* SIM_PART_TABLE(the family's part array) */
	/* Optional: the option byte a "<part>-rdp<level>" profile starts with;
	 * -1 when the part has no such level (F1: no level 2), so no profile is
	 * made. NULL: 0xAA / 0xBB / 0xCC for levels 0 / 1 / 2. */
	int (*profile_rdp)(size_t i, unsigned level, uint8_t *rdp);
	/* Optional: true when part I has RDP level 0.5 (TrustZone parts): a
	 * "<part>-rdp0.5" profile is made, created with option byte 0x55 (the
	 * family's create() turns TZEN on, without which 0x55 is level 1). */
	bool (*part_has_level_half)(size_t i);
	/* Fill c->priv, c->dpidr, c->ap_idr, c->dp_version, core desc (and,
	 * where the part has more than one AP, c->core_ap and c->aps); RDP is
	 * the option byte. */
	int (*create)(struct sim_chip *c, size_t part, uint8_t rdp);
	void (*destroy)(struct sim_chip *c);
	int (*bus_read)(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val, bool debugger);
	/* 0, -EFAULT (bus error), or SIM_BUS_SYSRESET / SIM_BUS_VECTRESET */
	int (*bus_write)(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val, bool debugger);
	void (*tick)(struct sim_chip *c);         /* finish timed operations that are due */
	void (*system_reset)(struct sim_chip *c); /* family part of a reset (options reload) */
	void (*power_on)(struct sim_chip *c);     /* family part of a power-on reset */
	int (*rdp_level)(struct sim_chip *c);     /* level the chip applies now */
	/* True where level 2 leaves the debug port answering (Kinetis: FSEC
	 * MEEN disabled, the MDM-AP answers and refuses the erase); false: at
	 * level 2 nothing drives SWDIO (the STM32 JTAG fuse). */
	bool level2_dp_answers;
	void (*reset_vectors)(struct sim_chip *c, uint32_t *msp, uint32_t *pc);
	/* Optional: power is lost while option programming runs: abort it and
	 * leave the option bytes as the manual says (then a power-on follows). */
	void (*option_power_loss)(struct sim_chip *c);
};

/* APSELs 0..SIM_AP_COUNT-1 are modelled; a higher APSEL selects no AP. */
#define SIM_AP_COUNT 4

/* An access port other than the core's AHB-AP (ADIv5.2 C1.1): a family
 * fills these in create(). A MEM-AP's data accesses go to BUS_READ /
 * BUS_WRITE (0 or -EFAULT; NULL: every access is a bus error). An AP of
 * another kind (a vendor's control port: Nordic CTRL-AP, NXP MDM-AP)
 * answers IDR itself and every other register through REG_READ /
 * REG_WRITE (REG: the register's byte offset 0x00-0xF8, bank included;
 * NULL: reads 0, writes ignored). IDR 0 means no AP at that APSEL (C2.6:
 * an unimplemented AP reads IDR as zero). */
struct sim_ap {
	uint32_t idr;
	int (*bus_read)(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val);
	int (*bus_write)(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val);
	void (*reg_read)(struct sim_chip *c, unsigned reg, uint32_t *val);
	void (*reg_write)(struct sim_chip *c, unsigned reg, uint32_t val);
};

#define SIM_CHIP_ABSENT 0x1u  /* no-target: nothing drives SWDIO */
#define SIM_CHIP_SWD_OFF 0x2u /* firmware turns PA13/PA14 into GPIOs after it starts */
#define SIM_CHIP_FCF_ERASED 0x4u /* sim_options.fcf_erased */

struct sim_chip {
	const struct sim_chip_ops *ops;
	void *priv;
	struct sim_cortexm core;
	uint32_t dpidr, ap_idr, targetid;
	unsigned dp_version;
	/* Nonzero: the DP sits on an SWD multidrop bus beside others (RP2040:
	 * the two cores' DPs and the rescue DP) and answers only once a
	 * TARGETSEL write with this value selected it after a line reset
	 * (ADIv5.2 B4.3.4). */
	uint32_t targetsel;
	bool dormant_at_power_on; /* SWJ-DPv2 that powers up dormant (B5.3) */
	/* APSEL of the AHB-AP on the core's bus, whose IDR is ap_idr: 0 (zero-
	 * initialised) on most parts, 1 on STM32H5. APS describes the others;
	 * aps[core_ap] is not used. */
	unsigned core_ap;
	struct sim_ap aps[SIM_AP_COUNT];
	/* The core AHB-AP's BASE register (ADIv5.2 C2.6.1): where its ROM
	 * table is, bit 1 ADIv5 format, bit 0 present. 0: 0xE00FF003, the
	 * Cortex-M PPB ROM table (SAM D keeps its own in the DSU). */
	uint32_t ap_base;
	double time_scale;
	struct sim_counters *counters;
	unsigned flags;
	bool debugger_attached; /* latched by the first DP access; cleared by power-on only */
	bool nreset_low;
	bool swd_pins_off;      /* SWD-off firmware has run long enough */
	bool running;           /* core state at the last sim_chip_track() */
	uint64_t run_ns, run_since_ns;
	unsigned option_power_fail_at; /* option steps until the cut, 0 = disarmed */
	bool option_power_fail_now;    /* armed and the step seen: cut after this packet */
	unsigned option_reset_at;      /* option steps until a system reset, 0 = disarmed */
	unsigned option_reset_after;   /* command packets to answer before it comes */
	bool option_reset_pending;     /* the step seen: reset after option_reset_after packets */
	/* The 96-bit unique device ID, uid[0] = U_ID[31:0]; set by
	 * sim_probe_create, answered by each family at its own address. */
	uint32_t uid[3];
};

int sim_chip_create(const struct sim_chip_ops *ops, size_t part, uint8_t rdp, unsigned flags,
		    double time_scale, struct sim_counters *counters, struct sim_chip **out);
void sim_chip_destroy(struct sim_chip *c);
void sim_chip_tick(struct sim_chip *c);
bool sim_chip_dp_reachable(struct sim_chip *c);
int sim_chip_read(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t *val, bool debugger);
int sim_chip_write(struct sim_chip *c, uint32_t addr, unsigned size, uint32_t val, bool debugger);
void sim_chip_set_nreset(struct sim_chip *c, bool low);
void sim_chip_system_reset(struct sim_chip *c);
void sim_chip_power_cycle(struct sim_chip *c);
uint64_t sim_chip_scaled_ns(const struct sim_chip *c, double sim_ms);
uint64_t sim_chip_deadline_ns(const struct sim_chip *c, double sim_ms);
bool sim_chip_op_due(const struct sim_chip *c, bool busy, uint64_t until_ns);
/* A family's OPTSTRT handler calls this once option programming has started
 * (on F1-style controllers: each option page erase or half-word program). */
void sim_chip_option_started(struct sim_chip *c);
/* After each command packet: the armed reset of
 * sim_probe_reset_at_option_step comes when its packets are counted out. */
void sim_chip_packet_done(struct sim_chip *c);

/* ---- mechanics the family models share (sim_mech.c) ---- */

bool sim_mech_in(uint32_t addr, unsigned size, uint32_t base, uint32_t len);
uint32_t sim_mech_lane(uint32_t w, uint32_t addr, unsigned size);
uint32_t sim_mech_merge(uint32_t old, uint32_t addr, unsigned size, uint32_t v);
uint32_t sim_mech_load(const uint8_t *b, unsigned size);
bool sim_mech_field_byte(uint32_t value, uint32_t at, unsigned bytes, uint32_t a, uint8_t *b);
bool sim_mech_uid_byte(const uint32_t *uid, uint32_t base, uint32_t third, uint32_t a, uint8_t *b);
int sim_mech_info_read(struct sim_chip *c, bool (*byte)(struct sim_chip *, uint32_t, bool, uint8_t *),
		       uint32_t addr, unsigned size, bool debugger, uint32_t *val);
int sim_mech_info_write(struct sim_chip *c, bool (*byte)(struct sim_chip *, uint32_t, bool, uint8_t *),
			uint32_t addr, bool debugger);

/* Where a key register's unlock sequence stands (zero: at its start). */
enum sim_mech_key { SIM_MECH_KEY_EXPECT1, SIM_MECH_KEY_EXPECT2, SIM_MECH_KEY_DEAD };

int sim_mech_key_feed(enum sim_mech_key *st, uint32_t k1, uint32_t k2, uint32_t v, bool *opened);
int sim_mech_key_unlock(enum sim_mech_key *st, bool *locked, uint32_t k1, uint32_t k2, uint32_t v);
void sim_mech_fill_program(uint8_t *flash, size_t bytes, uint32_t msp, uint32_t reset_pc);

/* ---- SWJ-DP, SW-DP and AHB-AP (sim_swd.c) ---- */

enum sim_swd_mode { SIM_SWD_MODE_JTAG, SIM_SWD_MODE_SWD, SIM_SWD_MODE_DORMANT };

struct sim_swd {
	enum sim_swd_mode mode;
	bool need_line_reset; /* SWD selected, protocol not yet reset */
	bool reset_state;     /* after a line reset: only a DPIDR read is answered */
	/* line-sequence detector */
	uint64_t bitpos;
	unsigned ones;
	bool armed;           /* a 0 followed a long run of ones: a select sequence may follow */
	unsigned armed_ones;
	uint64_t armed_at;
	uint32_t win;         /* last 32 bits, newest in bit 31 */
	uint64_t hist_lo, hist_hi; /* last 128 bits, newest in bit 127 */
	int act_left;         /* bits still to collect after a selection alert, or -1 */
	uint32_t act_bits;
	/* DP */
	uint32_t ctrl_stat, select, dlcr, rdbuff, last_read;
	/* each MEM-AP's CSW and TAR, by APSEL */
	uint32_t csw[SIM_AP_COUNT], tar[SIM_AP_COUNT];
	bool md_selected;     /* multidrop: a TARGETSEL picked this DP since the last line reset */
};

void sim_swd_power_on(struct sim_swd *s, const struct sim_chip *c);
/* A TARGETSEL write that arrived as raw wire cycles (DAP_SWD_Sequence),
 * its parity bit PARITY as sent. */
void sim_swd_targetsel(struct sim_swd *s, struct sim_chip *c, uint32_t value, unsigned parity);
void sim_swd_line_bits(struct sim_swd *s, struct sim_chip *c, const uint8_t *data, unsigned nbits);
void sim_swd_line_break(struct sim_swd *s);
unsigned sim_swd_transfer(struct sim_swd *s, struct sim_chip *c, unsigned req, uint32_t *data);
void sim_swd_set_stickyerr(struct sim_swd *s);

/* ---- fault hook (sim_fault.c) ---- */

struct sim_fault_state {
	struct sim_fault f;
	uint64_t swd_seen, packets_seen;
	bool dropped;
};

void sim_fault_set(struct sim_fault_state *fs, const struct sim_fault *f);
unsigned sim_fault_swd(struct sim_fault_state *fs, bool read); /* 0, or the ACK to force */
/* FLASH_IF_WRITES: the chip's count so far (SIM_FAULT_DROP_AT_FLASH_WRITE). */
enum sim_fault_kind sim_fault_packet(struct sim_fault_state *fs, uint64_t flash_if_writes);
void sim_fault_mangle(enum sim_fault_kind k, uint8_t *rsp, int *len);

/* ---- ST-LINK firmware state (sim_stlink.c, sim_stlink_mem.c) ---- */

/* Status byte values (docs/sim/stlink.md, "Status codes"). */
#define SIM_STLINK_OK 0x80u
#define SIM_STLINK_FAULT 0x81u
#define SIM_STLINK_COMMAND_ERROR 0x08u
#define SIM_STLINK_ALIGNMENT_ERROR 0x0Au
#define SIM_STLINK_AP_WAIT 0x10u
#define SIM_STLINK_AP_FAULT 0x11u
#define SIM_STLINK_AP_ERROR 0x12u
#define SIM_STLINK_AP_PARITY 0x13u
#define SIM_STLINK_DP_WAIT 0x14u
#define SIM_STLINK_DP_FAULT 0x15u
#define SIM_STLINK_DP_ERROR 0x16u
#define SIM_STLINK_DP_PARITY 0x17u
#define SIM_STLINK_BAD_AP 0x1Du
#define SIM_STLINK_UNKNOWN_COMMAND 0x42u

#define SIM_STLINK_CMD_LEN 16
/* The largest reply: RW_MISC_IN of 1227 items (8 bytes each) on a V3. */
#define SIM_STLINK_REPLY_MAX 9816
/* The largest data phase kept: WRITEMEM of 6144 bytes; RW_MISC_OUT of
 * 1227 items is 1228 + 4 * 1227 = 6136. */
#define SIM_STLINK_DATA_MAX 6144
#define SIM_STLINK_MAX_AP 8

struct sim_stlink {
	uint16_t pid;
	unsigned hw, jtag, swim, msd, bridge; /* the firmware version's fields */
	unsigned target_mv;
	bool raw_serial;
	uint8_t mode;
	/* A write command waiting for its data phase: DATA_NEED bytes in all,
	 * DATA_HAVE so far (only the first SIM_STLINK_DATA_MAX are kept). */
	uint8_t cmd[SIM_STLINK_CMD_LEN];
	size_t data_need, data_have;
	uint8_t data[SIM_STLINK_DATA_MAX];
	uint8_t reply[SIM_STLINK_REPLY_MAX];
	size_t reply_len;
	bool reply_pending;
	uint16_t rw_status;   /* of the last memory command (GETLASTRWSTATUS) */
	uint32_t rw_fault_addr;
	uint32_t select;      /* DP SELECT as the firmware last wrote it */
	bool select_known;
	bool nrst_driven_low;
	uint32_t com_khz;
	size_t misc_len;      /* RW_MISC results waiting for F2 52 (8 bytes an item) */
	uint8_t misc[SIM_STLINK_REPLY_MAX];
};

int sim_stlink_setup(struct sim_probe *p, const struct sim_options *opt);
int sim_stlink_out(struct sim_probe *p, const uint8_t *buf, size_t len);
size_t sim_stlink_in(struct sim_probe *p, uint8_t *buf, size_t cap);
void sim_stlink_identity(const struct sim_probe *p, struct sim_usb_identity *out);
const char *sim_stlink_product(const struct sim_probe *p);

/* Feature gates by firmware version (docs/sim/stlink.md, "Version and what each version has"). */
bool sim_stlink_has(const struct sim_stlink *st, unsigned v2_jtag, unsigned v3_jtag);

/* The SWD side (sim_stlink_mem.c). Each returns an ST-LINK status byte. */
unsigned sim_stlink_mem_connect(struct sim_probe *p, uint32_t *dpidr);
unsigned sim_stlink_mem_dp_read(struct sim_probe *p, unsigned addr, uint32_t *v);
unsigned sim_stlink_mem_dp_write(struct sim_probe *p, unsigned addr, uint32_t v);
unsigned sim_stlink_mem_ap_read(struct sim_probe *p, unsigned ap, unsigned addr, uint32_t *v);
unsigned sim_stlink_mem_ap_write(struct sim_probe *p, unsigned ap, unsigned addr, uint32_t v);
/* LEN bytes at ADDR in SIZE-byte accesses (1, 2, 4) through MEM-AP AP
 * with CSW[31:8] = CSW_HI; INC false keeps TAR (the NO_ADDR_INC commands).
 * On an error *FAULT_ADDR is the address that failed and the rest of BUF
 * (read) is zero. */
unsigned sim_stlink_mem_read(struct sim_probe *p, unsigned ap, uint32_t csw_hi, bool inc, uint32_t addr,
			     size_t len, unsigned size, uint8_t *buf, uint32_t *fault_addr);
unsigned sim_stlink_mem_write(struct sim_probe *p, unsigned ap, uint32_t csw_hi, bool inc, uint32_t addr,
			      size_t len, unsigned size, const uint8_t *buf, uint32_t *fault_addr);
unsigned sim_stlink_mem_read32(struct sim_probe *p, uint32_t addr, uint32_t *v);
unsigned sim_stlink_mem_write32(struct sim_probe *p, uint32_t addr, uint32_t v);

/* ---- the probe (sim_probe.c) and its firmware (sim_dap.c, sim_stlink.c) ---- */

struct sim_probe {
	pthread_mutex_t lock;
	char profile[64];
	char serial[64];
	double time_scale;
	unsigned latency_us, packet_size, packet_count;
	bool atomic;           /* DAP_ExecuteCommands and DAP_QueueCommands built in */
	bool swd_sequence;     /* DAP_SWD_Sequence built in (CMSIS-DAP 1.2 and later) */
	struct sim_chip *chip;
	struct sim_swd swd;
	struct sim_counters counters;
	struct sim_fault_state fault;
	uint64_t t0_ns;
	/* firmware state (DAP_Data in DAP.c) */
	unsigned port;        /* 0 disabled, 1 SWD */
	unsigned idle_cycles, wait_retry, match_retry, turnaround;
	bool data_phase;
	uint32_t match_mask;
	uint8_t pins_out;     /* last driven SWJ pin values */
	enum sim_probe_kind kind;
	struct sim_stlink *st; /* NULL on a DAPLink */
};

/* One SWD transaction on the wire, through the fault hook and the
 * counters: the ACK the probe samples. */
unsigned sim_probe_wire(struct sim_probe *p, unsigned req, uint32_t *data);

int sim_dap_execute(struct sim_probe *p, const uint8_t *req, size_t req_len, uint8_t *rsp,
		    size_t cap);
void sim_dap_defaults(struct sim_probe *p);

/* ---- catalogue (sim_profiles.c) ---- */

struct sim_profile_info {
	const struct sim_chip_ops *ops;
	size_t part;
	uint8_t rdp;
	unsigned flags;
};

int sim_profiles_find(const char *name, struct sim_profile_info *out);

#endif
