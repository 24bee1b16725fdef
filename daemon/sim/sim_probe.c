/*
 * sim_probe.c - the public face of the simulator (sim.h): one simulated
 * probe (a DAPLink, or an ST-LINK) with one simulated chip behind it, a
 * mutex around both, the packet-level fault hook and the counters.
 */
#include "sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A stable serial per profile (FNV-1a of its name), so rdpd's probe ids
 * survive a restart of the simulator. */
static void sim_probe_default_serial(char *out, size_t cap, const char *profile)
{
	uint32_t h = 2166136261u;

	for (const char *s = profile; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	snprintf(out, cap, "SIMDAP%08X", h);
}

/* The chip's UID: OPT's 24 hex digits, or three FNV-1a words of the profile
 * and the serial (a serial per simulated probe gives a UID per chip). */
static int sim_probe_initial_uid(const char *hex, const char *profile, const char *serial, uint32_t uid[3])
{
	if (hex) {
		if (strlen(hex) != 24 || strspn(hex, "0123456789abcdefABCDEF") != 24)
			return -EINVAL;
		for (int i = 0; i < 3; i++) {
			char w[9];

			memcpy(w, hex + 8 * (2 - i), 8);
			w[8] = '\0';
			uid[i] = (uint32_t)strtoul(w, NULL, 16);
		}
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		uint32_t h = 2166136261u ^ (uint32_t)i;

		for (const char *s = profile; *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
		h = (h ^ '/') * 16777619u;
		for (const char *s = serial; *s; s++)
			h = (h ^ (uint8_t)*s) * 16777619u;
		uid[i] = h;
	}
	return 0;
}

/* One SWD transaction on the wire, through the fault hook. */
unsigned sim_probe_wire(struct sim_probe *p, unsigned req, uint32_t *data)
{
	unsigned forced;

	p->counters.swd_transfers++;
	forced = sim_fault_swd(&p->fault, (req & 0x02u) != 0);
	if (forced == SIM_ACK_PARITY) {
		/* The target did the read; the host sees its data damaged. */
		sim_swd_transfer(&p->swd, p->chip, req & 0x0Fu, data);
		if (data)
			*data ^= 0x00000001u;
		return forced;
	}
	if (forced) {
		sim_swd_line_break(&p->swd);
		if (forced == SIM_ACK_FAULT)
			sim_swd_set_stickyerr(&p->swd);
		return forced;
	}
	return sim_swd_transfer(&p->swd, p->chip, req & 0x0Fu, data);
}

/* The target's debug port powers up; an ST-LINK's idea of SELECT is void. */
static void sim_probe_swd_power_on(struct sim_probe *sp)
{
	sim_swd_power_on(&sp->swd, sp->chip);
	if (sp->st)
		sp->st->select_known = false;
}

/* The configured USB round trip; called outside the lock. */
static void sim_probe_latency(const struct sim_probe *sp)
{
	struct timespec ts = { sp->latency_us / 1000000u, (long)(sp->latency_us % 1000000u) * 1000L };

	if (sp->latency_us)
		nanosleep(&ts, NULL);
}

/* After each command packet: an armed reset may come; the packet that
 * started option programming got its answer, then the power goes, and
 * comes back. Caller holds the lock. */
static void sim_probe_packet_done(struct sim_probe *sp)
{
	sim_chip_packet_done(sp->chip);
	if (sp->chip->option_power_fail_now) {
		sp->chip->option_power_fail_now = false;
		sp->chip->ops->option_power_loss(sp->chip);
		sim_chip_power_cycle(sp->chip);
		sim_probe_swd_power_on(sp);
	}
}

int sim_probe_create(const char *profile, const struct sim_options *opt, struct sim_probe **out)
{
	struct sim_profile_info info;
	struct sim_probe *p;
	int rc;

	if (!profile || !out)
		return -EINVAL;
	if (sim_profiles_find(profile, &info))
		return -ENOENT;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->time_scale = opt && opt->time_scale > 0 ? opt->time_scale : 1.0;
	p->latency_us = opt ? opt->latency_us : 0;
	p->packet_size = opt && opt->packet_size ? opt->packet_size : 64;
	p->packet_count = opt && opt->packet_count ? opt->packet_count : 4;
	p->atomic = !(opt && opt->no_atomic);
	p->swd_sequence = !(opt && opt->no_swd_sequence);
	/* The firmware's compile-time limits (DAP.c): 64..32768 and 1..255. */
	if (p->packet_size < 64 || p->packet_size > 32768 || p->packet_count > 255) {
		free(p);
		return -EINVAL;
	}
	snprintf(p->profile, sizeof(p->profile), "%s", profile);
	if (opt && opt->serial)
		snprintf(p->serial, sizeof(p->serial), "%s", opt->serial);
	else
		sim_probe_default_serial(p->serial, sizeof(p->serial), profile);
	p->kind = opt ? opt->probe : SIM_PROBE_DAPLINK;
	if (p->kind != SIM_PROBE_DAPLINK && (rc = sim_stlink_setup(p, opt)))
		goto fail;
	rc = sim_chip_create(info.ops, info.part, info.rdp,
			     info.flags | (opt && opt->fcf_erased ? SIM_CHIP_FCF_ERASED : 0), p->time_scale,
			     &p->counters, &p->chip);
	if (rc)
		goto fail;
	rc = sim_probe_initial_uid(opt ? opt->uid : NULL, profile, p->serial, p->chip->uid);
	if (rc) {
		sim_chip_destroy(p->chip);
		goto fail;
	}
	sim_swd_power_on(&p->swd, p->chip);
	sim_dap_defaults(p);
	p->t0_ns = sim_chip_now_ns();
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;

fail:
	free(p->st);
	free(p);
	return rc;
}

int sim_probe_kind_parse(const char *name, enum sim_probe_kind *out)
{
	static const char *const names[] = { "daplink", "stlink-v2", "stlink-v2-1", "stlink-v3" };

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum sim_probe_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum sim_probe_kind sim_probe_kind_of(const struct sim_probe *sp)
{
	return sp->kind;
}

void sim_probe_destroy(struct sim_probe *sp)
{
	if (!sp)
		return;
	sim_chip_destroy(sp->chip);
	pthread_mutex_destroy(&sp->lock);
	free(sp->st);
	free(sp);
}

int sim_probe_command(struct sim_probe *sp, const uint8_t *req, size_t req_len, uint8_t *rsp,
		      size_t rsp_cap)
{
	enum sim_fault_kind fk;
	int n;

	if (!sp || (!req && req_len) || !rsp)
		return -EINVAL;
	if (sp->st)
		return -EPROTO;
	sim_probe_latency(sp);
	pthread_mutex_lock(&sp->lock);
	fk = sim_fault_packet(&sp->fault, sp->counters.flash_if_writes);
	if (fk == SIM_FAULT_DROP_PROBE) {
		pthread_mutex_unlock(&sp->lock);
		return -ENODEV;
	}
	sp->counters.packets++;
	n = sim_dap_execute(sp, req, req_len, rsp, rsp_cap);
	if (fk != SIM_FAULT_NONE)
		sim_fault_mangle(fk, rsp, &n);
	sim_probe_packet_done(sp);
	pthread_mutex_unlock(&sp->lock);
	return n;
}

int sim_probe_stlink_out(struct sim_probe *sp, const uint8_t *buf, size_t len)
{
	enum sim_fault_kind fk = SIM_FAULT_NONE;
	bool command;
	int rc;

	if (!sp || (!buf && len))
		return -EINVAL;
	if (!sp->st)
		return -EPROTO;
	sim_probe_latency(sp);
	pthread_mutex_lock(&sp->lock);
	/* Packet faults count commands; a data phase belongs to its command. */
	command = sp->st->data_need == 0;
	if (command)
		fk = sim_fault_packet(&sp->fault, sp->counters.flash_if_writes);
	else if (sp->fault.dropped)
		fk = SIM_FAULT_DROP_PROBE;
	if (fk == SIM_FAULT_DROP_PROBE) {
		pthread_mutex_unlock(&sp->lock);
		return -ENODEV;
	}
	if (command)
		sp->counters.packets++;
	rc = sim_stlink_out(sp, buf, len);
	if (fk != SIM_FAULT_NONE && sp->st->reply_pending) {
		int n = (int)sp->st->reply_len;

		sim_fault_mangle(fk, sp->st->reply, &n);
		sp->st->reply_len = (size_t)n;
	}
	/* A write command is done when its data phase is (that is when an
	 * OPTSTRT write reaches the chip). */
	if (sp->st->data_need == 0)
		sim_probe_packet_done(sp);
	pthread_mutex_unlock(&sp->lock);
	return rc;
}

int sim_probe_stlink_in(struct sim_probe *sp, uint8_t *buf, size_t cap)
{
	size_t n;

	if (!sp || (!buf && cap))
		return -EINVAL;
	if (!sp->st)
		return -EPROTO;
	pthread_mutex_lock(&sp->lock);
	if (sp->fault.dropped) {
		pthread_mutex_unlock(&sp->lock);
		return -ENODEV;
	}
	n = sim_stlink_in(sp, buf, cap);
	pthread_mutex_unlock(&sp->lock);
	return (int)n;
}

void sim_probe_usb_identity(const struct sim_probe *sp, struct sim_usb_identity *out)
{
	if (sp->st) {
		sim_stlink_identity(sp, out);
		return;
	}
	/* DAPLink source/usb: 0d28:0204, CMSIS-DAP v2 bulk endpoints 01/81. */
	memset(out, 0, sizeof(*out));
	out->vid = 0x0D28;
	out->pid = 0x0204;
	out->manufacturer = sim_probe_vendor(sp);
	out->product = sim_probe_product(sp);
	out->serial = sp->serial;
	out->ep_out = 0x01;
	out->ep_in = 0x81;
	out->max_packet = 64;
}

void sim_probe_power_fail_at_option_start(struct sim_probe *sp, bool armed)
{
	sim_probe_power_fail_at_option_step(sp, armed ? 1 : 0);
}

void sim_probe_power_fail_at_option_step(struct sim_probe *sp, unsigned nth)
{
	pthread_mutex_lock(&sp->lock);
	sp->chip->option_power_fail_at = nth;
	pthread_mutex_unlock(&sp->lock);
}

unsigned sim_probe_packet_size(const struct sim_probe *sp)
{
	return sp->packet_size;
}

unsigned sim_probe_packet_count(const struct sim_probe *sp)
{
	return sp->packet_count;
}

void sim_probe_uid(const struct sim_probe *sp, uint32_t uid[3])
{
	memcpy(uid, sp->chip->uid, sizeof(sp->chip->uid));
}

const char *sim_probe_serial(const struct sim_probe *sp)
{
	return sp->serial;
}

const char *sim_probe_product(const struct sim_probe *sp)
{
	return sp->st ? sim_stlink_product(sp) : "DAPLink CMSIS-DAP";
}

const char *sim_probe_vendor(const struct sim_probe *sp)
{
	return sp->st ? "STMicroelectronics" : "ARM";
}

const char *sim_probe_profile(const struct sim_probe *sp)
{
	return sp->profile;
}

void sim_probe_power_cycle(struct sim_probe *sp)
{
	pthread_mutex_lock(&sp->lock);
	sim_chip_power_cycle(sp->chip);
	sim_probe_swd_power_on(sp);
	pthread_mutex_unlock(&sp->lock);
}

void sim_probe_system_reset(struct sim_probe *sp)
{
	pthread_mutex_lock(&sp->lock);
	sim_chip_tick(sp->chip);
	sim_chip_system_reset(sp->chip);
	pthread_mutex_unlock(&sp->lock);
}

void sim_probe_reset_at_option_step(struct sim_probe *sp, unsigned nth, unsigned after)
{
	pthread_mutex_lock(&sp->lock);
	sp->chip->option_reset_at = nth;
	sp->chip->option_reset_after = after;
	sp->chip->option_reset_pending = false;
	pthread_mutex_unlock(&sp->lock);
}

void sim_probe_set_fault(struct sim_probe *sp, const struct sim_fault *f)
{
	pthread_mutex_lock(&sp->lock);
	sim_fault_set(&sp->fault, f);
	pthread_mutex_unlock(&sp->lock);
}

void sim_probe_get_counters(struct sim_probe *sp, struct sim_counters *out)
{
	pthread_mutex_lock(&sp->lock);
	*out = sp->counters;
	pthread_mutex_unlock(&sp->lock);
}

int sim_probe_peek32(struct sim_probe *sp, uint32_t addr, uint32_t *out)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = sim_chip_read(sp->chip, addr, 4, out, false);
	pthread_mutex_unlock(&sp->lock);
	return rc ? -EFAULT : 0;
}

int sim_probe_poke32(struct sim_probe *sp, uint32_t addr, uint32_t val)
{
	int rc;

	pthread_mutex_lock(&sp->lock);
	rc = sim_chip_write(sp->chip, addr, 4, val, false);
	pthread_mutex_unlock(&sp->lock);
	return rc < 0 ? -EFAULT : 0;
}

bool sim_probe_multidrop(const struct sim_probe *sp)
{
	return sp->chip->targetsel != 0; /* fixed at creation: no lock needed */
}

int sim_probe_rdp_level(struct sim_probe *sp)
{
	int lvl;

	pthread_mutex_lock(&sp->lock);
	sim_chip_tick(sp->chip);
	lvl = sp->chip->ops->rdp_level(sp->chip);
	pthread_mutex_unlock(&sp->lock);
	return lvl;
}
