/*
 * sim_probe.c - the public face of the simulator (sim.h): one simulated
 * DAPLink with one simulated chip behind it, a mutex around both, the
 * packet-level fault hook and the counters.
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
	rc = sim_chip_create(info.ops, info.part, info.rdp, info.flags, p->time_scale,
			     &p->counters, &p->chip);
	if (rc == 0 && (rc = sim_probe_initial_uid(opt ? opt->uid : NULL, profile, p->serial, p->chip->uid)))
		sim_chip_destroy(p->chip);
	if (rc) {
		free(p);
		return rc;
	}
	sim_swd_power_on(&p->swd);
	sim_dap_defaults(p);
	p->t0_ns = sim_chip_now_ns();
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void sim_probe_destroy(struct sim_probe *sp)
{
	if (!sp)
		return;
	sim_chip_destroy(sp->chip);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

int sim_probe_command(struct sim_probe *sp, const uint8_t *req, size_t req_len, uint8_t *rsp,
		      size_t rsp_cap)
{
	enum sim_fault_kind fk;
	int n;

	if (!sp || (!req && req_len) || !rsp)
		return -EINVAL;
	if (sp->latency_us) {
		struct timespec ts = { sp->latency_us / 1000000u,
				       (long)(sp->latency_us % 1000000u) * 1000L };

		nanosleep(&ts, NULL); /* USB round trip: outside the lock */
	}
	pthread_mutex_lock(&sp->lock);
	fk = sim_fault_packet(&sp->fault);
	if (fk == SIM_FAULT_DROP_PROBE) {
		pthread_mutex_unlock(&sp->lock);
		return -ENODEV;
	}
	sp->counters.packets++;
	n = sim_dap_execute(sp, req, req_len, rsp, rsp_cap);
	if (fk != SIM_FAULT_NONE)
		sim_fault_mangle(fk, rsp, &n);
	sim_chip_packet_done(sp->chip);
	if (sp->chip->option_power_fail_now) {
		/* The packet that started option programming got its answer;
		 * then the power goes, and comes back. */
		sp->chip->option_power_fail_now = false;
		sp->chip->ops->option_power_loss(sp->chip);
		sim_chip_power_cycle(sp->chip);
		sim_swd_power_on(&sp->swd);
	}
	pthread_mutex_unlock(&sp->lock);
	return n;
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
	(void)sp;
	return "DAPLink CMSIS-DAP";
}

const char *sim_probe_vendor(const struct sim_probe *sp)
{
	(void)sp;
	return "ARM";
}

const char *sim_probe_profile(const struct sim_probe *sp)
{
	return sp->profile;
}

void sim_probe_power_cycle(struct sim_probe *sp)
{
	pthread_mutex_lock(&sp->lock);
	sim_chip_power_cycle(sp->chip);
	sim_swd_power_on(&sp->swd);
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

int sim_probe_rdp_level(struct sim_probe *sp)
{
	int lvl;

	pthread_mutex_lock(&sp->lock);
	sim_chip_tick(sp->chip);
	lvl = sp->chip->ops->rdp_level(sp->chip);
	pthread_mutex_unlock(&sp->lock);
	return lvl;
}
