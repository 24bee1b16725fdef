/*
 * simulated.c - the in-process simulated probe: the only door from the driver stack
 * into daemon/sim/. Responses are produced when a command is sent and queued,
 * so the DAP layer's pipelining (packet count) behaves as on a real probe.
 *
 * URI: sim:PROFILE[?time_scale=X&latency_us=N&packet_size=N&packet_count=N&serial=S&uid=H
 *                  &probe=KIND&firmware=V&target_mv=N&atomic=0|1&swd_sequence=0|1]
 * PROFILE is one of sim_profiles_name(); each option at most once: time_scale
 * a decimal above 0 and at most 1000, latency_us 0 to 1000000, packet_size
 * 64 to 1024, packet_count 1 to 8, serial 1 to 63 of [A-Za-z0-9._:-], uid
 * the chip's 96-bit unique ID as 24 hex digits (docs/uid.md); probe the
 * simulated probe's firmware (daplink, the default, stlink-v2, stlink-v2-1,
 * stlink-v3), firmware an ST-LINK's version as the tools print it
 * ("V2J21S4": an old one), target_mv the target voltage an ST-LINK measures,
 * 1 to 5000 (docs/sim/stlink.md); atomic=0 a CMSIS-DAP firmware built
 * without DAP_ExecuteCommands, swd_sequence=0 one older than CMSIS-DAP 1.2,
 * without DAP_SWD_Sequence (docs/sim/README.md).
 *
 * Each probe kind has its framing (simulated_framings): a CMSIS-DAP
 * command gets its response queued when it is sent, so the DAP layer's
 * pipelining behaves as on a real probe; an ST-LINK's command and its data
 * phase go out as USB transfers and the reply is read at the length the
 * host asks (docs/probe/stlink.md, "Framing").
 */
#include "transport/transport.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sim/sim.h"
#include "transport/simulated.h"

#define SIM_QUEUE_DEPTH 8
#define SIM_MAX_MODELS 64

/* A simulated chip outlives the connections to it, as a real board on the
 * bench does: models are kept per URI for the life of the process, so the
 * daemon (which opens a probe per job) sees what the last job left. */
static struct {
	char uri[TRANSPORT_URI_MAX];
	struct sim_probe *probe;
	bool open;
	uint64_t closed_seq; /* for evicting the board left alone longest */
} simulated_models[SIM_MAX_MODELS];
static uint64_t simulated_close_seq;
static pthread_mutex_t simulated_models_lock = PTHREAD_MUTEX_INITIALIZER;

struct sim_transport;

/* How commands reach one kind of simulated probe firmware. */
struct simulated_framing {
	const char *protocol; /* the access_ops name the stack drives it with */
	int (*send)(struct sim_transport *st, const uint8_t *buf, size_t len);
	int (*recv)(struct sim_transport *st, uint8_t *buf, size_t cap, size_t *len);
};

/* [0]: DAPLink (CMSIS-DAP), [1]: every ST-LINK kind. */
static const struct simulated_framing simulated_framings[2];

struct sim_transport {
	struct transport base;
	const struct simulated_framing *framing;
	struct sim_probe *probe;
	uint8_t queue[SIM_QUEUE_DEPTH][TRANSPORT_MAX_PACKET];
	size_t queue_len[SIM_QUEUE_DEPTH];
	unsigned head, count;
};

#define SIM_TIME_SCALE_MAX 1000.0
#define SIM_LATENCY_MAX_US 1000000u
#define SIM_SERIAL_MAX 63
#define SIM_TARGET_MV_MAX 5000u
#define SIM_FIRMWARE_MAX 15

/* A plain decimal: digits, at most one '.', nothing else (no sign, no
 * exponent, no "inf" or "nan" that strtod would take). */
static bool simulated_decimal(const char *v, bool fraction, double *out)
{
	size_t digits = strspn(v, "0123456789"), rest;

	if (fraction && v[digits] == '.') {
		rest = strspn(v + digits + 1, "0123456789");
		if (rest == 0 || v[digits + 1 + rest])
			return false;
	} else if (v[digits]) {
		return false;
	}
	if (digits == 0 || digits > 9)
		return false;
	*out = strtod(v, NULL);
	return true;
}

static int simulated_bad_option(const char *key, const char *val)
{
	return err_setf(ERR_PROBE_URI_INVALID,
			"unknown or out-of-range sim option %s=%s (time_scale above 0 to %g, latency_us 0-%u, "
			"packet_size 64-%d, packet_count 1-%d, serial of 1-%d letters, digits and ._:-, uid of 24 hex digits, "
			"probe daplink, stlink-v2, stlink-v2-1 or stlink-v3, firmware like V2J37S7, target_mv 1-%u, atomic 0 or 1, "
			"swd_sequence 0 or 1, fcf erased)",
			key, val, SIM_TIME_SCALE_MAX, SIM_LATENCY_MAX_US, TRANSPORT_MAX_PACKET, SIM_QUEUE_DEPTH,
			SIM_SERIAL_MAX, SIM_TARGET_MV_MAX);
}

/* An ST-LINK version as the tools print it: V2 or V3, J and a number, then
 * the other fields' letters and numbers ("V2J37S7", "V3J15M7"); the
 * simulator reads the J number from it. */
static bool simulated_firmware_ok(const char *v)
{
	size_t n = strlen(v);

	return n >= 4 && n <= SIM_FIRMWARE_MAX && v[0] == 'V' && (v[1] == '2' || v[1] == '3') && v[2] == 'J' &&
	       strspn(v + 3, "0123456789") > 0 && strspn(v + 3, "0123456789JMBSP") == n - 3;
}

static int simulated_parse_option(struct sim_options *o, const char *key, const char *val)
{
	double d = -1;

	if (strcmp(key, "serial") == 0) {
		size_t n = strlen(val);

		if (n == 0 || n > SIM_SERIAL_MAX ||
		    strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != n)
			return simulated_bad_option(key, val);
		o->serial = val;
	} else if (strcmp(key, "uid") == 0) {
		if (strlen(val) != 24 || strspn(val, "0123456789abcdefABCDEF") != 24)
			return err_setf(ERR_PROBE_URI_INVALID, "sim option uid=%s: give 24 hex digits", val);
		o->uid = val;
	} else if (strcmp(key, "time_scale") == 0 && simulated_decimal(val, true, &d) && d > 0 &&
		   d <= SIM_TIME_SCALE_MAX) {
		o->time_scale = d;
	} else if (strcmp(key, "latency_us") == 0 && simulated_decimal(val, false, &d) && d <= SIM_LATENCY_MAX_US) {
		o->latency_us = (unsigned)d;
	} else if (strcmp(key, "packet_size") == 0 && simulated_decimal(val, false, &d) && d >= 64 &&
		   d <= TRANSPORT_MAX_PACKET) {
		o->packet_size = (unsigned)d;
	} else if (strcmp(key, "packet_count") == 0 && simulated_decimal(val, false, &d) && d >= 1 &&
		   d <= SIM_QUEUE_DEPTH) {
		o->packet_count = (unsigned)d;
	} else if (strcmp(key, "atomic") == 0 && (strcmp(val, "0") == 0 || strcmp(val, "1") == 0)) {
		o->no_atomic = val[0] == '0';
	} else if (strcmp(key, "swd_sequence") == 0 && (strcmp(val, "0") == 0 || strcmp(val, "1") == 0)) {
		o->no_swd_sequence = val[0] == '0';
	} else if (strcmp(key, "fcf") == 0 && strcmp(val, "erased") == 0) {
		o->fcf_erased = true;
	} else if (strcmp(key, "probe") == 0 && sim_probe_kind_parse(val, &o->probe) == 0) {
		return 0;
	} else if (strcmp(key, "firmware") == 0 && simulated_firmware_ok(val)) {
		o->firmware = val;
	} else if (strcmp(key, "target_mv") == 0 && simulated_decimal(val, false, &d) && d >= 1 &&
		   d <= SIM_TARGET_MV_MAX) {
		o->target_mv = (unsigned)d;
	} else {
		return simulated_bad_option(key, val);
	}
	return 0;
}

/*
 * Split ADDR ("PROFILE?k=v&...") into SPEC (a copy, cut into the profile and
 * the option values OPT points into) and check every option: the parser of
 * simulated_validate and simulated_open alike. 0, or -ERR_PROBE_URI_INVALID.
 */
static int simulated_parse(const char *addr, char *spec, size_t cap, struct sim_options *opt)
{
	static const char *const keys[] = {"time_scale", "latency_us", "packet_size", "packet_count", "serial", "uid",
					   "probe", "firmware", "target_mv", "atomic", "swd_sequence"};
	char *query, *save = NULL, seen[sizeof(keys) / sizeof(keys[0])] = {0};

	memset(opt, 0, sizeof(*opt));
	if (strlen(addr) >= cap)
		return err_setf(ERR_PROBE_URI_INVALID, "sim URI too long");
	strcpy(spec, addr);
	query = strchr(spec, '?');
	if (query)
		*query++ = '\0';
	if (!spec[0])
		return err_setf(ERR_PROBE_URI_INVALID, "'sim:%s' names no profile: use sim:PROFILE, e.g. "
				"sim:stm32f401re-rdp1 (rdpd-sim --list-profiles lists them)", addr);
	if (query && (!*query || strstr(query, "&&") || query[strlen(query) - 1] == '&'))
		return err_setf(ERR_PROBE_URI_INVALID, "'sim:%s': an empty option", addr);
	for (char *kv = query ? strtok_r(query, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		int rc;

		if (!eq)
			return err_setf(ERR_PROBE_URI_INVALID, "sim option '%s' needs =value", kv);
		*eq = '\0';
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(kv, keys[k]) == 0) {
				if (seen[k])
					return err_setf(ERR_PROBE_URI_INVALID, "sim option %s given twice", kv);
				seen[k] = 1;
			}
		if ((rc = simulated_parse_option(opt, kv, eq + 1)) < 0)
			return rc;
	}
	return 0;
}

static int simulated_validate(const char *addr)
{
	struct sim_options opt;
	char spec[TRANSPORT_URI_MAX];
	int rc = simulated_parse(addr, spec, sizeof(spec), &opt);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sim_profiles_count(); i++)
		if (strcmp(sim_profiles_name(i), spec) == 0)
			return 0;
	return err_setf(ERR_PROBE_URI_INVALID,
			"no simulator profile '%s' (rdpd-sim --list-profiles lists them, e.g. stm32f401re-rdp1)",
			spec);
}

/* The model for URI ADDR: the existing one, or a new one. One connection at
 * a time, as a USB probe can be claimed by one program only. */
static int simulated_model_get(const char *addr, const char *profile, const struct sim_options *opt,
			 struct sim_probe **out)
{
	int rc = 0, free_slot = -1;

	pthread_mutex_lock(&simulated_models_lock);
	for (int i = 0; i < SIM_MAX_MODELS; i++) {
		if (simulated_models[i].probe && strcmp(simulated_models[i].uri, addr) == 0) {
			if (simulated_models[i].open)
				rc = err_setf(ERR_PROBE_OPEN_FAILED, "simulated probe %s is in use", addr);
			simulated_models[i].open = rc == 0;
			*out = simulated_models[i].probe;
			goto out;
		}
		if (!simulated_models[i].probe && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		/* The bench is full: the board nobody has used for longest goes. */
		for (int i = 0; i < SIM_MAX_MODELS; i++)
			if (!simulated_models[i].open &&
			    (free_slot < 0 || simulated_models[i].closed_seq < simulated_models[free_slot].closed_seq))
				free_slot = i;
		if (free_slot < 0) {
			rc = err_setf(ERR_NO_MEMORY, "more than %d simulated probes in use", SIM_MAX_MODELS);
			goto out;
		}
		sim_probe_destroy(simulated_models[free_slot].probe);
		simulated_models[free_slot].probe = NULL;
	}
	rc = sim_probe_create(profile, opt, out);
	if (rc == -ENOENT)
		rc = err_setf(ERR_PROBE_NOT_FOUND,
			      "no simulator profile '%s' (rdpd-sim --list-profiles lists them)", profile);
	else if (rc < 0)
		rc = err_setf(ERR_NO_MEMORY, "cannot create simulator '%s'", profile);
	if (rc == 0) {
		snprintf(simulated_models[free_slot].uri, sizeof(simulated_models[free_slot].uri), "%s", addr);
		simulated_models[free_slot].probe = *out;
		simulated_models[free_slot].open = true;
	}
out:
	pthread_mutex_unlock(&simulated_models_lock);
	return rc;
}

static int simulated_open(const char *addr, struct transport **out)
{
	struct sim_options opt;
	char spec[TRANSPORT_URI_MAX];
	struct sim_transport *st;
	int rc;

	if ((rc = simulated_parse(addr, spec, sizeof(spec), &opt)) < 0)
		return rc;
	st = calloc(1, sizeof(*st));
	if (!st)
		return err_setf(ERR_NO_MEMORY, "out of memory opening sim:%s", spec);
	rc = simulated_model_get(addr, spec, &opt, &st->probe);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->base.ops = &simulated_ops;
	st->framing = &simulated_framings[sim_probe_kind_of(st->probe) == SIM_PROBE_DAPLINK ? 0 : 1];
	st->base.packet_size = sim_probe_packet_size(st->probe);
	snprintf(st->base.info.uri, sizeof(st->base.info.uri), "%s:%s", simulated_ops.scheme, addr);
	snprintf(st->base.info.serial, sizeof(st->base.info.serial), "%s", sim_probe_serial(st->probe));
	snprintf(st->base.info.vendor, sizeof(st->base.info.vendor), "%s", sim_probe_vendor(st->probe));
	snprintf(st->base.info.product, sizeof(st->base.info.product), "%s",
		 sim_probe_product(st->probe));
	st->base.info.transport = simulated_ops.name;
	st->base.info.protocol = st->framing->protocol;
	st->base.info.simulated = simulated_ops.simulated;
	*out = &st->base;
	return 0;
}

static int simulated_gone(struct sim_transport *st)
{
	return err_setf(ERR_PROBE_DISCONNECTED, "simulated probe %s is gone (unplugged)", st->base.info.serial);
}

static int simulated_dap_send(struct sim_transport *st, const uint8_t *buf, size_t len)
{
	unsigned slot;
	int n;

	if (st->count == SIM_QUEUE_DEPTH)
		return err_setf(ERR_INTERNAL, "more than %d commands in flight", SIM_QUEUE_DEPTH);
	slot = (st->head + st->count) % SIM_QUEUE_DEPTH;
	n = sim_probe_command(st->probe, buf, len, st->queue[slot], sizeof(st->queue[slot]));
	if (n < 0)
		return simulated_gone(st);
	if (n == 0)
		return 0; /* DAP_TransferAbort has no response */
	st->queue_len[slot] = (size_t)n;
	st->count++;
	return 0;
}

static int simulated_dap_recv(struct sim_transport *st, uint8_t *buf, size_t cap, size_t *len)
{
	size_t n;

	if (st->count == 0)
		return err_setf(ERR_PROBE_TIMEOUT, "simulated probe sent no response");
	n = st->queue_len[st->head];
	if (n > cap)
		return err_setf(ERR_PROBE_PROTOCOL, "response of %zu bytes exceeds %zu", n, cap);
	memcpy(buf, st->queue[st->head], n);
	*len = n;
	st->head = (st->head + 1) % SIM_QUEUE_DEPTH;
	st->count--;
	return 0;
}

/* One bulk OUT transfer: a command or its data phase. */
static int simulated_stlink_send(struct sim_transport *st, const uint8_t *buf, size_t len)
{
	int rc = sim_probe_stlink_out(st->probe, buf, len);

	if (rc == -ENODEV)
		return simulated_gone(st);
	if (rc < 0)
		return err_setf(ERR_PROBE_PROTOCOL, "the simulated ST-LINK stalled a transfer of %zu bytes", len);
	return 0;
}

/* One bulk IN transfer of CAP bytes: the reply the last command left. */
static int simulated_stlink_recv(struct sim_transport *st, uint8_t *buf, size_t cap, size_t *len)
{
	int n = sim_probe_stlink_in(st->probe, buf, cap);

	if (n == -ENODEV)
		return simulated_gone(st);
	if (n <= 0)
		return err_setf(ERR_PROBE_TIMEOUT, "simulated ST-LINK sent no reply");
	*len = (size_t)n;
	return 0;
}

static const struct simulated_framing simulated_framings[2] = {
	{.protocol = "cmsis-dap", .send = simulated_dap_send, .recv = simulated_dap_recv},
	{.protocol = "stlink", .send = simulated_stlink_send, .recv = simulated_stlink_recv},
};

static int simulated_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct sim_transport *st = (struct sim_transport *)t;

	return st->framing->send(st, buf, len);
}

static int simulated_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct sim_transport *st = (struct sim_transport *)t;

	return st->framing->recv(st, buf, cap, len);
}

static void simulated_close(struct transport *t)
{
	struct sim_transport *st = (struct sim_transport *)t;

	pthread_mutex_lock(&simulated_models_lock);
	for (int i = 0; i < SIM_MAX_MODELS; i++)
		if (simulated_models[i].probe == st->probe) {
			simulated_models[i].open = false;
			simulated_models[i].closed_seq = ++simulated_close_seq;
		}
	pthread_mutex_unlock(&simulated_models_lock);
	free(st);
}

struct sim_probe *simulated_model(struct transport *t)
{
	return t && t->ops == &simulated_ops ? ((struct sim_transport *)t)->probe : NULL;
}

const struct transport_ops simulated_ops = {
	.name = "sim",
	.scheme = "sim",
	.uri_form = "sim:PROFILE",
	.api_addable = true,
	.simulated = true,
	.enumerate = NULL,
	.validate = simulated_validate,
	.open = simulated_open,
	.send = simulated_send,
	.recv = simulated_recv,
	.close = simulated_close,
};
