/*
 * sim_stlink.c - the ST-LINK/V2, V2-1 and V3 firmware side: USB framing
 * (one 16-byte command OUT, an optional data OUT, one reply IN), the
 * version and identity, the mode machine, and one handler per command.
 * The SWD side is sim_stlink_mem.c.
 *
 * ST's protocol document is not public. The commands, layouts and status
 * codes are what the open hosts send and check: OpenOCD v0.12.0
 * src/jtag/drivers/stlink_usb.c ([OO] below, with its line numbers),
 * stlink-org/stlink v1.7.0 src/stlink-lib/usb.c and src/common.c ([ST]),
 * pyOCD pyocd/probe/stlink/ ([PY]) and tgree/psdb
 * psdb/probes/stlink/cdb.py ([PSDB]). docs/sim/stlink.md collects them
 * and the choices made where they say nothing ((?) here and there).
 *
 * Where a host sends something the firmware would misread (a short
 * command, an over-long length), the simulator stalls the transfer or
 * answers a status instead: never reading or writing out of bounds.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Top-level opcodes [OO L310-330] */
#define STLINK_GET_VERSION 0xF1u
#define STLINK_DEBUG_COMMAND 0xF2u
#define STLINK_DFU_COMMAND 0xF3u
#define STLINK_GET_CURRENT_MODE 0xF5u
#define STLINK_GET_TARGET_VOLTAGE 0xF7u
#define STLINK_GET_VERSION_EX 0xFBu
#define STLINK_DFU_EXIT 0x07u

/* F2 sub-opcodes [OO L387-450] */
#define DBG_READMEM_32 0x07u
#define DBG_WRITEMEM_32 0x08u
#define DBG_READMEM_8 0x0Cu
#define DBG_WRITEMEM_8 0x0Du
#define DBG_EXIT 0x21u
#define DBG_ENTER 0x30u
#define DBG_READ_IDCODES 0x31u
#define DBG_RESETSYS 0x32u
#define DBG_READREG 0x33u
#define DBG_WRITEREG 0x34u
#define DBG_WRITEDEBUGREG 0x35u
#define DBG_READDEBUGREG 0x36u
#define DBG_READALLREGS 0x3Au
#define DBG_GETLASTRWSTATUS 0x3Bu
#define DBG_DRIVE_NRST 0x3Cu
#define DBG_GETLASTRWSTATUS2 0x3Eu
#define DBG_START_TRACE_RX 0x40u
#define DBG_STOP_TRACE_RX 0x41u
#define DBG_GET_TRACE_NB 0x42u
#define DBG_SWD_SET_FREQ 0x43u
#define DBG_READ_DAP_REG 0x45u
#define DBG_WRITE_DAP_REG 0x46u
#define DBG_READMEM_16 0x47u
#define DBG_WRITEMEM_16 0x48u
#define DBG_INIT_AP 0x4Bu
#define DBG_CLOSE_AP 0x4Cu
#define DBG_WRITEMEM_32_NOINC 0x50u
#define DBG_RW_MISC_OUT 0x51u
#define DBG_RW_MISC_IN 0x52u
#define DBG_READMEM_32_NOINC 0x54u
#define DBG_SET_COM_FREQ 0x61u
#define DBG_GET_COM_FREQ 0x62u

#define ENTER_SWD 0xA3u
#define DP_PORT 0xFFFFu /* STLINK_DEBUG_PORT_ACCESS */

/* F5 modes [OO L348-353] */
#define MODE_DFU 0u
#define MODE_MASS 1u
#define MODE_DEBUG 2u

#define STLINK_VID 0x0483u
#define MEM_MAX_32 6144u  /* STLINK_DATA_SIZE [OO L87-99] */
#define MEM_MAX_8 64u
#define MEM_MAX_8_V3J6 512u
#define MISC_MAX_V2 64u    /* [OO L4480-4482] */
#define MISC_MAX_V3 1227u
#define MISC_ADDRESS 1u
#define MISC_WRITE 2u
#define MISC_READ 3u
#define MISC_APNUM 5u

/* Cortex-M debug registers READREG/WRITEREG go through (ARMv7-M C1.6). */
#define CM_DHCSR 0xE000EDF0u
#define CM_DCRSR 0xE000EDF4u
#define CM_DCRDR 0xE000EDF8u
#define CM_AIRCR 0xE000ED0Cu
#define DHCSR_S_REGRDY (1u << 16)
#define DCRSR_REGWNR (1u << 16)
#define AIRCR_SYSRESETREQ 0x05FA0004u
#define REGRDY_POLLS 10u
#define ALLREGS 21u /* r0-r15, xPSR, MSP, PSP, rw, rw2 */

/* V3 SWD clock list (GET_COM_FREQ: at most 10), kHz. The list is the
 * firmware's own and hosts take whatever it says [OO L3099-3173]; these
 * follow UM2448's values as blackmagic's src/platforms/stlinkv3/README.md
 * quotes them (24 MHz, 8 MHz, 3.3 MHz, ...) (?). */
static const uint32_t sim_stlink_v3_khz[] = { 24000, 8000, 3300, 1000, 200, 50, 5 };

struct sim_stlink_kind {
	enum sim_probe_kind kind;
	uint16_t pid;
	const char *firmware; /* default */
	const char *product;  /* iProduct [OOdump] */
	uint8_t ep_out, ep_swo;
	unsigned max_packet;
	uint8_t power_up_mode;
};

/* PIDs, endpoints and packet sizes: [OO L66-86, L3399-3425], [ST usb.h
 * L15-46], OpenOCD doc/usb_adapters/stlink lsusb dumps. A V2 dongle comes
 * up in DFU mode, the boards with a mass-storage drive in MASS (?). */
static const struct sim_stlink_kind sim_stlink_kinds[] = {
	{ SIM_PROBE_STLINK_V2, 0x3748, "V2J37S7", "STM32 STLink", 0x02, 0x83, 64, MODE_DFU },
	{ SIM_PROBE_STLINK_V2_1, 0x374B, "V2J37M26", "STM32 STLink", 0x01, 0x82, 64, MODE_MASS },
	{ SIM_PROBE_STLINK_V3, 0x374E, "V3J15M7", "STLINK-V3", 0x01, 0x82, 512, MODE_MASS },
};

static const struct sim_stlink_kind *sim_stlink_kind_info(enum sim_probe_kind k)
{
	for (size_t i = 0; i < sizeof(sim_stlink_kinds) / sizeof(sim_stlink_kinds[0]); i++)
		if (sim_stlink_kinds[i].kind == k)
			return &sim_stlink_kinds[i];
	return NULL;
}

static uint16_t sim_stlink_get16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t sim_stlink_get32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void sim_stlink_put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* ---- version, serial, identity ---- */

/* "V<hw>J<jtag>[M<msd>][B<bridge>][S<swim>]", the form OpenOCD logs
 * [OO L1420-1434]; each field 0..63 (6 bits in GET_VERSION). */
static int sim_stlink_parse_version(struct sim_stlink *st, const char *s)
{
	unsigned *field[128] = { 0 };
	char *end;

	field['V'] = &st->hw;
	field['J'] = &st->jtag;
	field['M'] = &st->msd;
	field['B'] = &st->bridge;
	field['S'] = &st->swim;
	if (*s != 'V')
		return -EINVAL;
	while (*s) {
		unsigned char c = (unsigned char)*s++;
		unsigned long v;

		if (c >= 128 || !field[c] || *s < '0' || *s > '9')
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v > 63)
			return -EINVAL;
		*field[c] = (unsigned)v;
		field[c] = NULL; /* each field once */
		s = end;
	}
	return 0;
}

/* 24 upper-case hex digits (docs/sim/stlink.md, "USB identity"): the
 * SERIAL option when it is one,
 * else three FNV-1a words of the profile and the option (stable per
 * profile, like the DAPLink's). */
static void sim_stlink_serial(struct sim_probe *p, const char *opt_serial)
{
	uint32_t h[3];

	if (opt_serial && strlen(opt_serial) == 24 && strspn(opt_serial, "0123456789abcdefABCDEF") == 24) {
		for (size_t i = 0; i < 24; i++)
			p->serial[i] = (char)(opt_serial[i] >= 'a' ? opt_serial[i] - 32 : opt_serial[i]);
		p->serial[24] = '\0';
		return;
	}
	for (uint32_t i = 0; i < 3; i++) {
		h[i] = 2166136261u ^ i;
		for (const char *s = p->profile; *s; s++)
			h[i] = (h[i] ^ (uint8_t)*s) * 16777619u;
		for (const char *s = opt_serial ? opt_serial : ""; *s; s++)
			h[i] = (h[i] ^ (uint8_t)*s) * 16777619u;
	}
	snprintf(p->serial, sizeof(p->serial), "%08X%08X%08X", h[0], h[1], h[2]);
}

int sim_stlink_setup(struct sim_probe *p, const struct sim_options *opt)
{
	const struct sim_stlink_kind *k = sim_stlink_kind_info(p->kind);
	struct sim_stlink *st;

	if (!k)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	p->st = st;
	if (sim_stlink_parse_version(st, opt->firmware ? opt->firmware : k->firmware) ||
	    st->hw != (p->kind == SIM_PROBE_STLINK_V3 ? 3u : 2u) || st->jtag == 0)
		return -EINVAL;
	st->pid = k->pid;
	st->target_mv = opt->target_mv ? opt->target_mv : 3300;
	st->raw_serial = opt->raw_serial;
	st->mode = k->power_up_mode;
	st->com_khz = sim_stlink_v3_khz[0];
	sim_stlink_serial(p, opt->serial);
	return 0;
}

void sim_stlink_identity(const struct sim_probe *p, struct sim_usb_identity *out)
{
	const struct sim_stlink_kind *k = sim_stlink_kind_info(p->kind);

	memset(out, 0, sizeof(*out));
	out->vid = STLINK_VID;
	out->pid = k->pid;
	out->manufacturer = "STMicroelectronics";
	out->product = k->product;
	out->serial = p->serial;
	out->raw_serial = p->st->raw_serial;
	out->ep_out = k->ep_out;
	out->ep_in = 0x81;
	out->ep_swo = k->ep_swo;
	out->max_packet = k->max_packet;
}

const char *sim_stlink_product(const struct sim_probe *p)
{
	return sim_stlink_kind_info(p->kind)->product;
}

/* A command V2 firmware has from V2_JTAG on and V3 from V3_JTAG on (0:
 * never on that hardware) [OO L1320-1418]. */
bool sim_stlink_has(const struct sim_stlink *st, unsigned v2_jtag, unsigned v3_jtag)
{
	if (st->hw >= 3)
		return v3_jtag && st->jtag >= v3_jtag;
	return v2_jtag && st->jtag >= v2_jtag;
}

#define HAS_TRACE(st) sim_stlink_has(st, 13, 1)    /* trace, target voltage */
#define HAS_RWSTATUS2(st) sim_stlink_has(st, 15, 1)
#define HAS_SWD_FREQ(st) sim_stlink_has(st, 22, 0)
#define HAS_DAP_REG(st) sim_stlink_has(st, 24, 1)
#define HAS_MEM16(st) sim_stlink_has(st, 26, 1)    /* 47/48, and 50 */
#define HAS_AP_INIT(st) sim_stlink_has(st, 28, 1)
#define HAS_CSW(st) sim_stlink_has(st, 32, 2)      /* ap/CSW bytes, 54, RW_MISC, APs 4..8 */
#define HAS_COM_FREQ(st) sim_stlink_has(st, 0, 1)

/* ---- replies ---- */

/* The reply the host reads next: LEN bytes of REPLY (the caller fills them). */
static uint8_t *sim_stlink_reply(struct sim_stlink *st, size_t len)
{
	memset(st->reply, 0, len);
	st->reply_len = len;
	st->reply_pending = true;
	return st->reply;
}

static void sim_stlink_status(struct sim_stlink *st, unsigned status, size_t len)
{
	sim_stlink_reply(st, len)[0] = (uint8_t)status;
}

/* A status and a word at [4..7] (READ_DAP_REG, READDEBUGREG, READREG). */
static void sim_stlink_status_word(struct sim_stlink *st, unsigned status, uint32_t v)
{
	uint8_t *r = sim_stlink_reply(st, 8);

	r[0] = (uint8_t)status;
	sim_stlink_put32(r + 4, v);
}

static void sim_stlink_unknown(struct sim_stlink *st)
{
	sim_stlink_status(st, SIM_STLINK_UNKNOWN_COMMAND, 2);
}

/* ---- top-level commands ---- */

/* GET_VERSION: big-endian hw:4 J:6 low:6, then VID, PID little-endian; the
 * low field is the MSD version on the V2-1 and SWIM elsewhere; a V3 says
 * J0 S0 and tells the rest in GET_VERSION_EX [OO L1249-1441]. */
static void sim_stlink_get_version(struct sim_stlink *st)
{
	uint8_t *r = sim_stlink_reply(st, 6);
	unsigned low = st->pid == 0x374B ? st->msd : st->swim;
	unsigned v = st->hw >= 3 ? st->hw << 12 : st->hw << 12 | st->jtag << 6 | low;

	r[0] = (uint8_t)(v >> 8);
	r[1] = (uint8_t)v;
	r[2] = (uint8_t)STLINK_VID;
	r[3] = (uint8_t)(STLINK_VID >> 8);
	r[4] = (uint8_t)st->pid;
	r[5] = (uint8_t)(st->pid >> 8);
}

static void sim_stlink_get_version_ex(struct sim_stlink *st)
{
	uint8_t *r = sim_stlink_reply(st, 12);

	r[0] = (uint8_t)st->hw;
	r[1] = (uint8_t)st->swim;
	r[2] = (uint8_t)st->jtag;
	r[3] = (uint8_t)st->msd;
	r[4] = (uint8_t)st->bridge;
	r[8] = (uint8_t)STLINK_VID;
	r[9] = (uint8_t)(STLINK_VID >> 8);
	r[10] = (uint8_t)st->pid;
	r[11] = (uint8_t)(st->pid >> 8);
}

/* GET_TARGET_VOLTAGE: a0 = ADC of the 1.2 V reference, a1 = ADC of
 * Vtarget/2; hosts compute 2 * a1 * 1.2 / a0 [OO L1443-1473], [ST usb.c
 * L190-216]. With a0 = 1200, a1 = mV / 2 exactly (3300 mV: 1650). */
static void sim_stlink_voltage(struct sim_stlink *st)
{
	uint8_t *r = sim_stlink_reply(st, 8);

	sim_stlink_put32(r, 1200);
	sim_stlink_put32(r + 4, st->target_mv / 2);
}

/* Leaving debug (or DFU) mode: NRST released [PSDB], MASS next: logs
 * show MASS and DFU, none says which follows (?). */
static void sim_stlink_leave(struct sim_probe *p)
{
	struct sim_stlink *st = p->st;

	if (st->nrst_driven_low) {
		st->nrst_driven_low = false;
		sim_chip_set_nreset(p->chip, false);
	}
	st->mode = MODE_MASS;
}

/* ---- F2 debug commands ---- */

static void sim_stlink_enter(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;
	uint32_t dpidr = 0;
	unsigned status;

	if (c[2] != ENTER_SWD) {
		sim_stlink_status(st, SIM_STLINK_COMMAND_ERROR, 2); /* JTAG is not modelled */
		return;
	}
	status = sim_stlink_mem_connect(p, &dpidr);
	if (status == SIM_STLINK_OK)
		st->mode = MODE_DEBUG;
	sim_stlink_status(st, status, 2);
}

static void sim_stlink_read_idcodes(struct sim_probe *p)
{
	uint32_t dpidr = 0;
	unsigned status = sim_stlink_mem_dp_read(p, 0x0, &dpidr);
	uint8_t *r = sim_stlink_reply(p->st, 12);

	r[0] = (uint8_t)status;
	sim_stlink_put32(r + 4, dpidr);
}

static void sim_stlink_drive_nrst(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;

	if (c[2] > 2) {
		sim_stlink_status(st, SIM_STLINK_COMMAND_ERROR, 2);
		return;
	}
	/* 0 low, 1 high, 2 a pulse */
	sim_chip_set_nreset(p->chip, c[2] != 1);
	if (c[2] == 2)
		sim_chip_set_nreset(p->chip, false);
	st->nrst_driven_low = c[2] == 0;
	sim_stlink_status(st, SIM_STLINK_OK, 2);
}

/* Wait for DHCSR.S_REGRDY after a DCRSR write. */
static unsigned sim_stlink_regrdy(struct sim_probe *p)
{
	uint32_t dhcsr = 0;
	unsigned status = SIM_STLINK_OK;

	for (unsigned i = 0; i < REGRDY_POLLS; i++) {
		status = sim_stlink_mem_read32(p, CM_DHCSR, &dhcsr);
		if (status != SIM_STLINK_OK || (dhcsr & DHCSR_S_REGRDY))
			return status;
	}
	return SIM_STLINK_FAULT;
}

/* REGSEL goes to DCRSR as it is: 0-15 r0-r15, 16 xPSR, 17 MSP, 18 PSP,
 * 0x14 CONTROL/PRIMASK..., 0x21 FPSCR, 0x40+ S0.. (ARMv7-M C1.6.3); ST's
 * "rw/rw2" at 19/20 are taken as DCRSR 19/20 too (?). */
static unsigned sim_stlink_core_reg_read(struct sim_probe *p, unsigned regsel, uint32_t *v)
{
	unsigned status = sim_stlink_mem_write32(p, CM_DCRSR, regsel & 0x7Fu);

	if (status == SIM_STLINK_OK)
		status = sim_stlink_regrdy(p);
	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_read32(p, CM_DCRDR, v);
	return status;
}

static void sim_stlink_readreg(struct sim_probe *p, const uint8_t *c)
{
	uint32_t v = 0;
	unsigned status = sim_stlink_core_reg_read(p, c[2], &v);

	sim_stlink_status_word(p->st, status, v);
}

static void sim_stlink_writereg(struct sim_probe *p, const uint8_t *c)
{
	unsigned status = sim_stlink_mem_write32(p, CM_DCRDR, sim_stlink_get32(c + 3));

	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_write32(p, CM_DCRSR, DCRSR_REGWNR | (c[2] & 0x7Fu));
	if (status == SIM_STLINK_OK)
		status = sim_stlink_regrdy(p);
	sim_stlink_status(p->st, status, 2);
}

static void sim_stlink_readallregs(struct sim_probe *p)
{
	uint8_t regs[4 * ALLREGS];
	unsigned status = SIM_STLINK_OK;
	uint8_t *r;

	memset(regs, 0, sizeof(regs));
	for (unsigned i = 0; i < ALLREGS && status == SIM_STLINK_OK; i++) {
		uint32_t v = 0;

		status = sim_stlink_core_reg_read(p, i, &v);
		sim_stlink_put32(regs + 4 * i, v);
	}
	r = sim_stlink_reply(p->st, 4 + sizeof(regs));
	r[0] = (uint8_t)status;
	memcpy(r + 4, regs, sizeof(regs));
}

static void sim_stlink_readdebugreg(struct sim_probe *p, const uint8_t *c)
{
	uint32_t v = 0;
	unsigned status = sim_stlink_mem_read32(p, sim_stlink_get32(c + 2), &v);

	sim_stlink_status_word(p->st, status, v);
}

static void sim_stlink_writedebugreg(struct sim_probe *p, const uint8_t *c)
{
	sim_stlink_status(p->st, sim_stlink_mem_write32(p, sim_stlink_get32(c + 2), sim_stlink_get32(c + 6)), 2);
}

/* The highest AP number the firmware takes: 3 before V2J32 (openocd.texi:
 * "V2J29 has 3 as maximum AP number, while V2J32 has 8"), else 8. */
static unsigned sim_stlink_max_ap(const struct sim_stlink *st)
{
	return HAS_CSW(st) ? SIM_STLINK_MAX_AP : 3u;
}

/* READ/WRITE_DAP_REG: port 0xFFFF is the DP, 0..8 an AP, others BAD_AP
 * (OpenOCD commit 5c55fbb0) [OO L3952-3995]. */
static void sim_stlink_dap_reg(struct sim_probe *p, const uint8_t *c, bool write)
{
	struct sim_stlink *st = p->st;
	unsigned port = sim_stlink_get16(c + 2), addr = sim_stlink_get16(c + 4) & 0xFFu;
	uint32_t v = write ? sim_stlink_get32(c + 6) : 0;
	unsigned status;

	if (port == DP_PORT) {
		/* Banked DP registers need V2J32/V3J2; older firmware ignores the bank (?). */
		if (!HAS_CSW(st))
			addr &= 0xFu;
		status = write ? sim_stlink_mem_dp_write(p, addr, v) : sim_stlink_mem_dp_read(p, addr, &v);
	} else if (port > sim_stlink_max_ap(st)) {
		status = SIM_STLINK_BAD_AP;
	} else {
		status = write ? sim_stlink_mem_ap_write(p, port, addr, v) : sim_stlink_mem_ap_read(p, port, addr, &v);
	}
	if (write)
		sim_stlink_status(st, status, 2);
	else
		sim_stlink_status_word(st, status, v);
}

/* INIT_AP / CLOSE_AP: the AP number is checked; an AP works without them
 * (the firmware is not known to refuse it) (?). */
static void sim_stlink_ap_open(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;

	sim_stlink_status(st, c[2] > sim_stlink_max_ap(st) ? SIM_STLINK_BAD_AP : SIM_STLINK_OK, 2);
}

/* GETLASTRWSTATUS: [0] status; 2: [0..1] status, [4..7] fault address. */
static void sim_stlink_rwstatus(struct sim_stlink *st, bool v2)
{
	uint8_t *r = sim_stlink_reply(st, v2 ? 12 : 2);

	r[0] = (uint8_t)st->rw_status;
	r[1] = (uint8_t)(st->rw_status >> 8);
	if (v2)
		sim_stlink_put32(r + 4, st->rw_fault_addr);
}


/* GET_COM_FREQ (SWD): [0] status, [4..7] current kHz, [8] count, [12..]
 * the list [OO L3099-3173], [PY]. JTAG (byte 2 = 1) is not modelled. */
static void sim_stlink_get_com_freq(struct sim_probe *p, const uint8_t *c)
{
	size_t n = sizeof(sim_stlink_v3_khz) / sizeof(sim_stlink_v3_khz[0]);
	uint8_t *r;

	if (c[2] != 0) {
		sim_stlink_status(p->st, SIM_STLINK_COMMAND_ERROR, 52);
		return;
	}
	r = sim_stlink_reply(p->st, 52);
	r[0] = SIM_STLINK_OK;
	sim_stlink_put32(r + 4, p->st->com_khz);
	sim_stlink_put32(r + 8, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		sim_stlink_put32(r + 12 + 4 * i, sim_stlink_v3_khz[i]);
}

/* SET_COM_FREQ: the highest listed clock not above the request; below the
 * lowest, status 0x08 [PSDB]. [4..7] the kHz set. */
static void sim_stlink_set_com_freq(struct sim_probe *p, const uint8_t *c)
{
	uint32_t want = sim_stlink_get32(c + 4), got = 0;
	uint8_t *r;

	for (size_t i = 0; i < sizeof(sim_stlink_v3_khz) / sizeof(sim_stlink_v3_khz[0]); i++)
		if (sim_stlink_v3_khz[i] <= want && sim_stlink_v3_khz[i] > got)
			got = sim_stlink_v3_khz[i];
	r = sim_stlink_reply(p->st, 8);
	if (c[2] != 0 || got == 0) {
		r[0] = SIM_STLINK_COMMAND_ERROR;
		return;
	}
	p->st->com_khz = got;
	r[0] = SIM_STLINK_OK;
	sim_stlink_put32(r + 4, got);
}

/* ---- memory commands ---- */

struct sim_stlink_memop {
	unsigned size;    /* access size in bytes */
	bool inc, write;
};

static bool sim_stlink_memop_of(const struct sim_stlink *st, unsigned op, struct sim_stlink_memop *m)
{
	switch (op) {
	case DBG_READMEM_32: *m = (struct sim_stlink_memop){ 4, true, false }; return true;
	case DBG_WRITEMEM_32: *m = (struct sim_stlink_memop){ 4, true, true }; return true;
	case DBG_READMEM_8: *m = (struct sim_stlink_memop){ 1, true, false }; return true;
	case DBG_WRITEMEM_8: *m = (struct sim_stlink_memop){ 1, true, true }; return true;
	case DBG_READMEM_16: *m = (struct sim_stlink_memop){ 2, true, false }; return HAS_MEM16(st);
	case DBG_WRITEMEM_16: *m = (struct sim_stlink_memop){ 2, true, true }; return HAS_MEM16(st);
	case DBG_WRITEMEM_32_NOINC: *m = (struct sim_stlink_memop){ 4, false, true }; return HAS_MEM16(st);
	case DBG_READMEM_32_NOINC: *m = (struct sim_stlink_memop){ 4, false, false }; return HAS_CSW(st);
	default: return false;
	}
}

/* The length limit of a memory command [OO L87-99, L566-576] and the
 * alignment OpenOCD's memory loops keep to; 0x80 or the status the command
 * ends with (?). */
static unsigned sim_stlink_mem_check(const struct sim_stlink *st, const struct sim_stlink_memop *m, uint32_t addr,
				     size_t len)
{
	size_t max = m->size > 1 ? MEM_MAX_32 : sim_stlink_has(st, 0, 6) ? MEM_MAX_8_V3J6 : MEM_MAX_8;

	if (len > max)
		return SIM_STLINK_COMMAND_ERROR;
	if (addr % m->size || len % m->size)
		return SIM_STLINK_ALIGNMENT_ERROR;
	return SIM_STLINK_OK;
}

/* The AP and CSW[31:8] of a memory command: byte 8 and bytes 9-11 (OpenOCD
 * stlink_usb.c stlink_usb_read_mem8/32: after the u16 length, the AP
 * number, then h_u24_to_le(csw >> 8)) from V2J32/V3J2, else AP 0 and the
 * default. 0 or BAD_AP. */
static unsigned sim_stlink_mem_ap(const struct sim_stlink *st, const uint8_t *c, unsigned *ap, uint32_t *csw_hi)
{
	*ap = 0;
	*csw_hi = 0;
	if (!HAS_CSW(st))
		return SIM_STLINK_OK;
	*ap = c[8];
	*csw_hi = (uint32_t)c[9] | (uint32_t)c[10] << 8 | (uint32_t)c[11] << 16;
	return *ap > SIM_STLINK_MAX_AP ? SIM_STLINK_BAD_AP : SIM_STLINK_OK;
}

/* A read: LEN bytes IN (2 for a 1-byte 8-bit read [OO L2482]); an
 * over-long one gets no reply at all (?). */
static void sim_stlink_mem_read_cmd(struct sim_probe *p, const uint8_t *c, const struct sim_stlink_memop *m)
{
	struct sim_stlink *st = p->st;
	uint32_t addr = sim_stlink_get32(c + 2), csw_hi;
	size_t len = sim_stlink_get16(c + 6);
	unsigned ap, status = sim_stlink_mem_check(st, m, addr, len);
	uint8_t *r;

	st->rw_fault_addr = 0;
	if (status == SIM_STLINK_COMMAND_ERROR) {
		st->rw_status = status;
		st->reply_pending = false;
		return;
	}
	r = sim_stlink_reply(st, m->size == 1 && len == 1 ? 2 : len);
	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_ap(st, c, &ap, &csw_hi);
	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_read(p, ap, csw_hi, m->inc, addr, len, m->size, r, &st->rw_fault_addr);
	st->rw_status = (uint16_t)status;
}

/* A write: remember the command; the data phase of LEN bytes follows. */
static void sim_stlink_mem_write_cmd(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;

	memcpy(st->cmd, c, SIM_STLINK_CMD_LEN);
	st->data_need = sim_stlink_get16(c + 6);
	st->data_have = 0;
	if (st->data_need == 0) {
		st->rw_status = SIM_STLINK_OK;
		st->rw_fault_addr = 0;
	}
}

static void sim_stlink_mem_write_done(struct sim_probe *p, const struct sim_stlink_memop *m)
{
	struct sim_stlink *st = p->st;
	const uint8_t *c = st->cmd;
	uint32_t addr = sim_stlink_get32(c + 2), csw_hi;
	size_t len = st->data_need;
	unsigned ap, status = sim_stlink_mem_check(st, m, addr, len);

	st->rw_fault_addr = 0;
	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_ap(st, c, &ap, &csw_hi);
	if (status == SIM_STLINK_OK)
		status = sim_stlink_mem_write(p, ap, csw_hi, m->inc, addr, len, m->size, st->data, &st->rw_fault_addr);
	st->rw_status = (uint16_t)status;
}

/* ---- RW_MISC (V2J32/V3J2) [OO L4328-4418] ---- */

static size_t sim_stlink_misc_max(const struct sim_stlink *st)
{
	return st->hw >= 3 ? MISC_MAX_V3 : MISC_MAX_V2;
}

static void sim_stlink_misc_cmd(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;
	uint32_t n = sim_stlink_get32(c + 2);

	st->misc_len = 0;
	if (n == 0 || n > sim_stlink_misc_max(st))
		return; /* nothing to run; F2 52 will have nothing (?) */
	memcpy(st->cmd, c, SIM_STLINK_CMD_LEN);
	st->data_need = ((n + 3) & ~3u) + 4 * n;
	st->data_have = 0;
}

/* The items: N opcodes, padding to 4, N payloads; results then statuses. */
static void sim_stlink_misc_done(struct sim_probe *p)
{
	struct sim_stlink *st = p->st;
	uint32_t n = sim_stlink_get32(st->cmd + 2), addr = 0;
	const uint8_t *payload = st->data + ((n + 3) & ~3u);
	unsigned ap = 0;

	memset(st->misc, 0, 8 * n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t arg = sim_stlink_get32(payload + 4 * i), v = 0, fault;
		unsigned status = SIM_STLINK_OK;
		uint8_t b[4];

		switch (st->data[i]) {
		case MISC_ADDRESS: addr = arg; break;
		case MISC_APNUM:
			ap = arg;
			status = ap > SIM_STLINK_MAX_AP ? SIM_STLINK_BAD_AP : SIM_STLINK_OK;
			break;
		case MISC_WRITE:
			sim_stlink_put32(b, arg);
			status = ap > SIM_STLINK_MAX_AP ? SIM_STLINK_BAD_AP
							: sim_stlink_mem_write(p, ap, 0, true, addr, 4, 4, b, &fault);
			break;
		case MISC_READ:
			status = ap > SIM_STLINK_MAX_AP ? SIM_STLINK_BAD_AP
							: sim_stlink_mem_read(p, ap, 0, true, arg, 4, 4, b, &fault);
			v = sim_stlink_get32(b);
			break;
		default: status = SIM_STLINK_COMMAND_ERROR; break;
		}
		sim_stlink_put32(st->misc + 4 * i, v);
		sim_stlink_put32(st->misc + 4 * (n + i), status);
	}
	st->misc_len = 8 * n;
}

static void sim_stlink_misc_in(struct sim_stlink *st)
{
	if (st->misc_len == 0) {
		st->reply_pending = false;
		return;
	}
	memcpy(sim_stlink_reply(st, st->misc_len), st->misc, st->misc_len);
	st->misc_len = 0;
}

/* ---- dispatch ---- */

/* Trace: answered, no data ever flows (no SWO model). */
static void sim_stlink_trace(struct sim_stlink *st, unsigned op)
{
	if (op == DBG_GET_TRACE_NB)
		sim_stlink_reply(st, 2); /* u16 bytes waiting, no status */
	else
		sim_stlink_status(st, SIM_STLINK_OK, 2);
}

/* The sub-commands behind a version gate: false when C is none of them
 * or this firmware lacks it. */
static bool sim_stlink_debug_more(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;

	switch (c[1]) {
	case DBG_START_TRACE_RX:
	case DBG_STOP_TRACE_RX:
	case DBG_GET_TRACE_NB:
		if (!HAS_TRACE(st))
			return false;
		sim_stlink_trace(st, c[1]);
		return true;
	case DBG_GETLASTRWSTATUS2:
		if (!HAS_RWSTATUS2(st))
			return false;
		sim_stlink_rwstatus(st, true);
		return true;
	case DBG_SWD_SET_FREQ:
		if (!HAS_SWD_FREQ(st))
			return false;
		/* Any divisor is taken: the clock changes nothing here. */
		sim_stlink_status(st, SIM_STLINK_OK, 2);
		return true;
	case DBG_READ_DAP_REG:
	case DBG_WRITE_DAP_REG:
		if (!HAS_DAP_REG(st))
			return false;
		sim_stlink_dap_reg(p, c, c[1] == DBG_WRITE_DAP_REG);
		return true;
	case DBG_INIT_AP:
	case DBG_CLOSE_AP:
		if (!HAS_AP_INIT(st))
			return false;
		sim_stlink_ap_open(p, c);
		return true;
	case DBG_RW_MISC_OUT:
	case DBG_RW_MISC_IN:
		if (!HAS_CSW(st))
			return false;
		if (c[1] == DBG_RW_MISC_OUT)
			sim_stlink_misc_cmd(p, c);
		else
			sim_stlink_misc_in(st);
		return true;
	case DBG_GET_COM_FREQ:
	case DBG_SET_COM_FREQ:
		if (!HAS_COM_FREQ(st))
			return false;
		if (c[1] == DBG_GET_COM_FREQ)
			sim_stlink_get_com_freq(p, c);
		else
			sim_stlink_set_com_freq(p, c);
		return true;
	default:
		return false;
	}
}

static void sim_stlink_debug(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;
	struct sim_stlink_memop m;

	if (sim_stlink_memop_of(st, c[1], &m)) {
		if (m.write)
			sim_stlink_mem_write_cmd(p, c);
		else
			sim_stlink_mem_read_cmd(p, c, &m);
		return;
	}
	switch (c[1]) {
	case DBG_EXIT: sim_stlink_leave(p); return; /* no reply */
	case DBG_ENTER: sim_stlink_enter(p, c); return;
	case DBG_READ_IDCODES: sim_stlink_read_idcodes(p); return;
	case DBG_RESETSYS:
		/* Undocumented inside; SYSRESETREQ is the likely way (?). */
		sim_stlink_status(st, sim_stlink_mem_write32(p, CM_AIRCR, AIRCR_SYSRESETREQ), 2);
		return;
	case DBG_READREG: sim_stlink_readreg(p, c); return;
	case DBG_WRITEREG: sim_stlink_writereg(p, c); return;
	case DBG_WRITEDEBUGREG: sim_stlink_writedebugreg(p, c); return;
	case DBG_READDEBUGREG: sim_stlink_readdebugreg(p, c); return;
	case DBG_READALLREGS: sim_stlink_readallregs(p); return;
	case DBG_GETLASTRWSTATUS: sim_stlink_rwstatus(st, false); return;
	case DBG_DRIVE_NRST: sim_stlink_drive_nrst(p, c); return;
	default:
		if (!sim_stlink_debug_more(p, c))
			sim_stlink_unknown(st); /* JTAG_UNKNOWN_CMD [PY constants.py] */
		return;
	}
}

/* One 16-byte command. Top-level opcodes the firmware does not have (or
 * not in this version) leave no reply: the host's IN waits (?). */
static void sim_stlink_command(struct sim_probe *p, const uint8_t *c)
{
	struct sim_stlink *st = p->st;

	st->reply_pending = false;
	switch (c[0]) {
	case STLINK_GET_VERSION: sim_stlink_get_version(st); break;
	case STLINK_GET_VERSION_EX:
		if (st->hw >= 3)
			sim_stlink_get_version_ex(st);
		break;
	case STLINK_GET_CURRENT_MODE: sim_stlink_status(st, st->mode, 2); break;
	case STLINK_DFU_COMMAND:
		if (c[1] == STLINK_DFU_EXIT)
			sim_stlink_leave(p); /* no reply */
		break;
	case STLINK_GET_TARGET_VOLTAGE:
		if (HAS_TRACE(st))
			sim_stlink_voltage(st);
		break;
	case STLINK_DEBUG_COMMAND: sim_stlink_debug(p, c); break;
	default: break;
	}
}

/* The data phase is complete: run the write command it belongs to. */
static void sim_stlink_data_done(struct sim_probe *p)
{
	struct sim_stlink *st = p->st;
	struct sim_stlink_memop m;

	if (st->cmd[1] == DBG_RW_MISC_OUT)
		sim_stlink_misc_done(p);
	else if (sim_stlink_memop_of(st, st->cmd[1], &m))
		sim_stlink_mem_write_done(p, &m);
	st->data_need = 0;
	st->data_have = 0;
}

/* A bulk OUT: a command, or (part of) the data phase the last command
 * announced, counted in bytes (no ZLP ends it [OO L761-797]). More data
 * than announced, or a command of another length than 16, is stalled (?). */
int sim_stlink_out(struct sim_probe *p, const uint8_t *buf, size_t len)
{
	struct sim_stlink *st = p->st;

	if (st->data_need) {
		size_t room = st->data_need - st->data_have;

		if (len > room) {
			st->data_need = 0;
			return -EPROTO;
		}
		if (st->data_have < SIM_STLINK_DATA_MAX)
			memcpy(st->data + st->data_have, buf,
			       len < SIM_STLINK_DATA_MAX - st->data_have ? len : SIM_STLINK_DATA_MAX - st->data_have);
		st->data_have += len;
		if (st->data_have == st->data_need)
			sim_stlink_data_done(p);
		return 0;
	}
	if (len != SIM_STLINK_CMD_LEN)
		return -EPROTO;
	sim_stlink_command(p, buf);
	return 0;
}

/* A bulk IN of CAP bytes: the pending reply, zero-padded or cut to CAP. */
size_t sim_stlink_in(struct sim_probe *p, uint8_t *buf, size_t cap)
{
	struct sim_stlink *st = p->st;
	size_t n;

	if (!st->reply_pending || cap == 0)
		return 0;
	/* The bytes the firmware sends, at most what the host asked for: a
	 * shorter reply ends the transfer early (a short packet, USB 2.0
	 * 5.8.3), and the host sees how many came. */
	n = st->reply_len < cap ? st->reply_len : cap;
	memcpy(buf, st->reply, n);
	st->reply_pending = false;
	return n;
}
