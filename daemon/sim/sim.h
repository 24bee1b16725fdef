/*
 * sim.h - the simulated probes (a DAPLink, an ST-LINK) and the simulated
 * chips behind them.
 *
 * This is the only header of the simulator that the rest of rdpd may include
 * (from daemon/transport/simulated.c and from tests). The simulator itself includes
 * no header of the driver stack: it is a second, independent reading of the
 * CMSIS-DAP firmware and of the STM32 reference manuals, with its own register
 * definitions, so that one wrong constant cannot hide in both.
 *
 * Thread safety: every function taking a struct sim_probe locks that probe's
 * mutex, so a TCP server thread, a signal-driven power cycle and a test may
 * call them concurrently.
 */
#ifndef RDPD_SIM_H
#define RDPD_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_probe;

/* Which probe firmware the simulated chip sits behind: ARM's DAPLink
 * (CMSIS-DAP, sim_probe_command) or an ST-LINK (sim_probe_stlink_out/_in). */
enum sim_probe_kind {
	SIM_PROBE_DAPLINK = 0,
	SIM_PROBE_STLINK_V2,   /* standalone dongle, PID 3748 */
	SIM_PROBE_STLINK_V2_1, /* on Nucleo/Discovery boards, PID 374B */
	SIM_PROBE_STLINK_V3,   /* STLINK-V3 without bridge, PID 374E */
};

/* Knobs that apply to one simulated probe. Zero-initialise, then set. */
struct sim_options {
	double time_scale;     /* simulated durations are multiplied by this; 0 means 1.0 */
	unsigned latency_us;   /* extra delay per command packet (1000 = USB full-speed HID) */
	unsigned packet_size;  /* CMSIS-DAP packet size reported by DAP_Info 0xFF; 0 means 64 */
	unsigned packet_count; /* DAP_Info 0xFE; 0 means 4 */
	bool no_atomic;        /* a firmware without DAP_ExecuteCommands/QueueCommands (capability bit 4 clear) */
	bool no_swd_sequence;  /* a firmware before CMSIS-DAP 1.2: DAP_SWD_Sequence answered 0xFF */
	/* Kinetis: the MDM-AP mass erase leaves the Flash Configuration Field
	 * erased (FSEC 0xFF: secure again at the next reset), the other
	 * reading of the manuals (docs/sim/sim_kinetis.md). */
	bool fcf_erased;
	const char *serial;    /* DAP_Info 0x03; NULL means a serial derived from the profile */
	/* The chip's 96-bit unique device ID, 24 hex digits, U_ID[95:0] most
	 * significant first; NULL means one derived from the profile and the
	 * serial, so two simulated probes differ. */
	const char *uid;
	enum sim_probe_kind probe;
	/* ST-LINK firmware version as the tools print it ("V2J37S7",
	 * "V2J37M26", "V3J15M7"); NULL means the kind's default, which these
	 * three are. An older one (e.g. "V2J21S4") lacks the newer commands. */
	const char *firmware;
	unsigned target_mv;    /* ST-LINK: target voltage GET_TARGET_VOLTAGE reports; 0 means 3300 */
	bool raw_serial;       /* ST-LINK: old V2 firmware's iSerial of 12 raw bytes */
};

/* Fault injection, SQLite FAULTSIM style. */
enum sim_fault_kind {
	SIM_FAULT_NONE = 0,
	SIM_FAULT_WAIT,        /* the Nth SWD transfer is answered WAIT */
	SIM_FAULT_FAULT,       /* the Nth SWD transfer is answered FAULT (and sets STICKYERR) */
	SIM_FAULT_NO_ACK,      /* the Nth SWD transfer gets no ACK (line floats high: 0b111) */
	SIM_FAULT_SHORT_REPLY, /* the Nth command packet's reply is cut to 1 byte */
	SIM_FAULT_WRONG_ECHO,  /* the Nth command packet's reply has a wrong command byte */
	SIM_FAULT_DROP_PROBE,  /* from the Nth command packet on, the probe is gone */
	SIM_FAULT_PARITY,      /* the Nth SWD read's data arrives with a wrong parity bit */
	/* From the command packet after the chip's Nth write to its flash
	 * interface registers (sim_counters.flash_if_writes) on, the probe is
	 * gone: an unplug in the middle of a flash operation, at the same step
	 * whatever the host's speed. */
	SIM_FAULT_DROP_AT_FLASH_WRITE,
};

struct sim_fault {
	enum sim_fault_kind kind;
	uint64_t nth;  /* 1-based: counted in SWD transfers or command packets, per kind */
	bool forever;  /* true: every one from the Nth on; false: only the Nth */
	uint32_t count; /* not forever: this many in a row from the Nth (0 = 1) */
};

struct sim_counters {
	uint64_t packets;          /* command packets processed */
	uint64_t swd_transfers;    /* SWD transactions on the wire (incl. RDBUFF the firmware adds) */
	uint64_t flash_if_writes;  /* AHB writes that reached the flash interface registers */
	uint64_t mass_erases;      /* regressions (or mass erases) performed */
	uint64_t resets;           /* system resets (AIRCR, nRESET, OBL_LAUNCH) */
	uint64_t power_cycles;
	uint64_t ap_mem_accesses[4]; /* MEM-AP data accesses (DRW, BDx) by APSEL 0..3, bus errors included */
	/* Writes of 1 to status-register bits that a write does not clear
	 * (reserved or read-only; the RMs: "keep at reset value"). Counted by
	 * the models that check it (the OPTR-style flash SR). */
	uint64_t reserved_writes;
};

/* Create a probe with the chip of PROFILE (e.g. "stm32f401re-rdp1") behind it.
 * Returns 0, or -ENOENT for an unknown profile, -ENOMEM. */
int sim_probe_create(const char *profile, const struct sim_options *opt, struct sim_probe **out);
void sim_probe_destroy(struct sim_probe *sp);

/* Execute one CMSIS-DAP command packet exactly as DAPLink firmware would
 * (-EPROTO on an ST-LINK probe).
 * REQ/REQ_LEN is the command (no HID report id, no TCP header). The response
 * is written to RSP (at most RSP_CAP bytes, which should be >= packet size).
 * Returns the response length, 0 when the command has no response
 * (DAP_TransferAbort), or -ENODEV when the probe has been dropped (fault). */
int sim_probe_command(struct sim_probe *sp, const uint8_t *req, size_t req_len,
		      uint8_t *rsp, size_t rsp_cap);

/* "daplink", "stlink-v2", "stlink-v2-1" or "stlink-v3" to OUT: 0 or -EINVAL. */
int sim_probe_kind_parse(const char *name, enum sim_probe_kind *out);
enum sim_probe_kind sim_probe_kind_of(const struct sim_probe *sp);

/* ST-LINK: one bulk OUT transfer (a 16-byte command, or the data phase of
 * the write command before it), executed as the firmware does. Returns 0,
 * -EPROTO for a transfer the firmware would stall (a command of another
 * length; a DAPLink probe), or -ENODEV when the probe has been dropped. */
int sim_probe_stlink_out(struct sim_probe *sp, const uint8_t *buf, size_t len);

/* ST-LINK: one bulk IN transfer of at most CAP bytes: the reply the last
 * command left, cut to CAP (the host chooses each reply's length), which
 * consumes it. Returns the bytes that came (fewer than CAP: a short
 * transfer, the host sees it), 0 when nothing is
 * pending (a real device NAKs), -EPROTO on a DAPLink probe, or -ENODEV
 * when the probe has been dropped. */
int sim_probe_stlink_in(struct sim_probe *sp, uint8_t *buf, size_t cap);

/* The USB identity the probe enumerates with. */
struct sim_usb_identity {
	uint16_t vid, pid;
	const char *manufacturer, *product, *serial;
	bool raw_serial;  /* the string descriptor carries SERIAL's 12 bytes raw */
	uint8_t ep_out, ep_in, ep_swo; /* ep_swo 0: none */
	unsigned max_packet; /* of the bulk endpoints */
};

/* Fill OUT with SP's USB identity; the strings live as long as SP. */
void sim_probe_usb_identity(const struct sim_probe *sp, struct sim_usb_identity *out);

/* Packet size and count the probe reports (what DAP_Info 0xFF/0xFE return). */
unsigned sim_probe_packet_size(const struct sim_probe *sp);
unsigned sim_probe_packet_count(const struct sim_probe *sp);

/* The chip's unique ID words, U_ID[31:0] first (test-only, like the peeks). */
void sim_probe_uid(const struct sim_probe *sp, uint32_t uid[3]);

/* Identity strings the firmware reports; valid for the probe's lifetime. */
const char *sim_probe_serial(const struct sim_probe *sp);
const char *sim_probe_product(const struct sim_probe *sp);
const char *sim_probe_vendor(const struct sim_probe *sp);
const char *sim_probe_profile(const struct sim_probe *sp);

/* Remove power from the simulated chip and give it back (power-on reset):
 * clears the debugger-attached latch, reloads option bytes, resets the DP. */
void sim_probe_power_cycle(struct sim_probe *sp);

/* Power loss in the middle of option programming: ARMED, the next option
 * programming the chip starts (OPTSTRT) is cut by a power-on reset right
 * after the command packet that started it. What the interrupted operation
 * leaves is the family's (RM0444 §3.4.2 caution: mismatched option bytes;
 * modelled for F0/F1/F3, F2/F4/F7, L0/L1, the L4-style parts incl. L5/U5,
 * H7 and AT32F4: option bytes invalid, loaded as level 1, with the family's
 * option error flag where it has one). Families without the model ignore it
 * and program normally. */
void sim_probe_power_fail_at_option_start(struct sim_probe *sp, bool armed);

/* The same, but the power fails at the NTH option programming step the chip
 * starts (1 = the first, as above; 0 disarms). On the F1-style and AT32
 * controllers one unlock starts several steps: the option page erase is the
 * first, the RDP (FAP) half-word the second, then the others. */
void sim_probe_power_fail_at_option_step(struct sim_probe *sp, unsigned nth);

/* A system reset now, from outside the debug port: the NRST pin pulled by a
 * button or a supervisor, a watchdog firing. What it does to an operation
 * the flash controller is running is the family's (docs/sim-cortexm.md,
 * "Reset during a mass erase"); the core halts out of it only with
 * DHCSR.C_DEBUGEN and DEMCR.VC_CORERESET set. */
void sim_probe_system_reset(struct sim_probe *sp);

/* The same reset, at a chosen moment of option programming: the NTH option
 * programming step the chip starts (counted as for
 * sim_probe_power_fail_at_option_step) is cut by a system reset once AFTER
 * more command packets have been answered (0: right after the packet that
 * started it). NTH 0 disarms. */
void sim_probe_reset_at_option_step(struct sim_probe *sp, unsigned nth, unsigned after);

/* Install (or clear, with kind NONE) a fault; counting starts from the call. */
void sim_probe_set_fault(struct sim_probe *sp, const struct sim_fault *f);
void sim_probe_get_counters(struct sim_probe *sp, struct sim_counters *out);

/* Test-only peeks at the chip, bypassing the debug port (never used by rdpd). */
int sim_probe_peek32(struct sim_probe *sp, uint32_t addr, uint32_t *out); /* 0 or -EFAULT */
int sim_probe_poke32(struct sim_probe *sp, uint32_t addr, uint32_t val);  /* e.g. fill flash */
/* The RDP level the chip applies now: 0, 1, 2, or 5 meaning 0.5 (TrustZone parts). */
int sim_probe_rdp_level(struct sim_probe *sp);
/* The chip's DP sits on an SWD multidrop bus (RP2040): a probe reaches it
 * only by selecting it with a TARGETSEL write, which the simulated DAPLink
 * passes on (DAP_SWD_Sequence) and the simulated ST-LINK cannot send. */
bool sim_probe_multidrop(const struct sim_probe *sp);

/* Profile catalogue: names are "<part>-rdp<level>" plus special ones
 * ("no-target", "stm32f401re-swd-off-rdp1", ...). */
size_t sim_profiles_count(void);
const char *sim_profiles_name(size_t i);
const char *sim_profiles_summary(size_t i); /* one line for --list-profiles --verbose */

/* Standalone TCP CMSIS-DAP server in the framing of OpenOCD's cmsis_dap_tcp
 * backend: every request and response is prefixed by an 8-byte header
 * {u32 0x00504144 "DAP\0", u16 payload length, u8 type 1=request 2=response,
 * u8 0}, little-endian. One client at a time; the chip keeps its state across
 * connections. A bad header closes the connection (logged to stderr). */
struct sim_server;

/* Bind and listen on LISTEN ("127.0.0.1:4441"; port 0 picks a free one).
 * Returns 0, -EINVAL for a bad address, or a negative errno. */
int sim_server_create(struct sim_probe *sp, const char *listen, struct sim_server **out);
/* The port actually bound (useful with port 0). */
unsigned sim_server_port(const struct sim_server *srv);
/* Serve until sim_server_stop(); returns 0. Call from one thread only. */
int sim_server_run(struct sim_server *srv);
/* Ask sim_server_run() to return / to power-cycle the chip between packets.
 * Both only write one byte to a pipe: async-signal-safe. */
void sim_server_stop(struct sim_server *srv);
void sim_server_request_power_cycle(struct sim_server *srv);
/* Close the sockets and free; sim_server_run() must have returned. */
void sim_server_destroy(struct sim_server *srv);

#endif
