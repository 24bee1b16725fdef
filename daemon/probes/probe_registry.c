/*
 * probe_registry.c - the table of probes, their states and leases.
 */
#include "probes/probe_registry.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "json_util.h"
#include "log.h"
#include "targets/target.h"
#include "transport/transport.h"

struct probe_entry {
	bool used;
	bool persistent;
	bool gone;
	bool usb;                 /* discovered on USB (comes and goes by itself) */
	char uri[TRANSPORT_URI_MAX];
	char serial[128];
	char transport[12];
	bool simulated;
	/* Identity from DAP_Info, once the probe has been opened. */
	bool has_identity;
	char vendor[64], product[128], firmware[32], protocol[32];
	uint8_t caps;
	unsigned packet_size, packet_count;
	uint64_t job_id;          /* running or queued job, 0 = none */
	char lease_holder[64];
	int64_t lease_until_ms;   /* CLOCK_MONOTONIC */
	time_t lease_until_wall;
	bool has_target;
	struct probe_target_summary target;
	char *last_rdp;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct probe_entry reg[REGISTRY_MAX_PROBES];
static char reg_state_dir[256];
/* GET /probes is the hottest request: its text is kept until the table changes. */
static uint64_t reg_version = 1, reg_cache_version;
static char *reg_cache;

static int64_t reg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool reg_leased_locked(struct probe_entry *e)
{
	if (e->lease_holder[0] && reg_mono_ms() >= e->lease_until_ms)
		e->lease_holder[0] = '\0'; /* expired */
	return e->lease_holder[0] != '\0';
}

static enum probe_state reg_state_locked(struct probe_entry *e)
{
	if (e->gone)
		return PROBE_GONE;
	if (reg_leased_locked(e))
		return PROBE_LEASED;
	return e->job_id ? PROBE_BUSY : PROBE_IDLE;
}

static const char *reg_transport_of(const char *uri)
{
	return strncmp(uri, "tcp:", 4) == 0 ? "tcp" : strncmp(uri, "sim:", 4) == 0 ? "sim" : "usb";
}

static int reg_find_uri_locked(const char *uri)
{
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (reg[i].used && strcmp(reg[i].uri, uri) == 0)
			return i;
	return -1;
}

static int reg_add_locked(const char *uri, const char *serial, const char *transport, bool persistent,
			  bool usb)
{
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		struct probe_entry *e = &reg[i];

		if (e->used)
			continue;
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->persistent = persistent;
		e->usb = usb;
		snprintf(e->uri, sizeof(e->uri), "%s", uri);
		snprintf(e->serial, sizeof(e->serial), "%s", serial && *serial ? serial : uri);
		snprintf(e->transport, sizeof(e->transport), "%s", transport);
		e->simulated = strcmp(transport, "sim") == 0;
		reg_version++;
		return i;
	}
	return err_setf(ERR_INVALID_ARGUMENT, "rdpd handles at most %d probes", REGISTRY_MAX_PROBES);
}

static void reg_save_locked(void)
{
	char path[300], tmp[310];
	json_object *arr = json_object_new_array();
	const char *text;
	int fd;

	if (!reg_state_dir[0])
		goto out;
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (reg[i].used && reg[i].persistent)
			json_object_array_add(arr, json_object_new_string(reg[i].uri));
	snprintf(path, sizeof(path), "%s/probes.json", reg_state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	text = json_text(arr, 1);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	/* temp + fsync + rename: the old list or the new one, never half. */
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 ||
	    close(fd) < 0 || rename(tmp, path) < 0) {
		log_err("cannot save %s: %m", path);
		if (fd >= 0)
			close(fd);
	}
out:
	json_object_put(arr);
}

int registry_add(const char *uri, bool persistent, int *index)
{
	int i, rc;

	if (!uri || strlen(uri) >= TRANSPORT_URI_MAX || !strchr(uri, ':'))
		return err_setf(ERR_INVALID_ARGUMENT,
				"'%s' is not a probe URI: use tcp:HOST:PORT or sim:PROFILE", uri ? uri : "");
	pthread_mutex_lock(&reg_lock);
	i = reg_find_uri_locked(uri);
	if (i >= 0) {
		pthread_mutex_unlock(&reg_lock);
		*index = i;
		return err_setf(ERR_INVALID_ARGUMENT, "probe %s is already listed as index %d", uri, i);
	}
	rc = reg_add_locked(uri, NULL, reg_transport_of(uri), persistent, false);
	if (rc >= 0) {
		*index = rc;
		if (persistent)
			reg_save_locked();
		rc = 0;
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int registry_remove(int index)
{
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !reg[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else if (reg[index].usb) {
		rc = err_setf(ERR_INVALID_ARGUMENT,
			      "probe %d is a USB probe: unplug it instead (it is listed while attached)", index);
	} else if (reg[index].job_id) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is running job %llu; wait for it to end", index,
			      (unsigned long long)reg[index].job_id);
	} else {
		bool was_persistent = reg[index].persistent;

		free(reg[index].last_rdp);
		memset(&reg[index], 0, sizeof(reg[index]));
		reg_version++;
		if (was_persistent)
			reg_save_locked();
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int registry_resolve(const char *ref, int *index)
{
	char *end = NULL;
	long v;

	if (!ref || !*ref)
		return err_setf(ERR_PROBE_NOT_FOUND, "no probe given");
	v = strtol(ref, &end, 10);
	pthread_mutex_lock(&reg_lock);
	if (*end == '\0' && ref[0] != '-' && ref[0] != '+' && strlen(ref) < 6 && v >= 0 &&
	    v < REGISTRY_MAX_PROBES && reg[v].used) {
		*index = (int)v;
		pthread_mutex_unlock(&reg_lock);
		return 0;
	}
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (reg[i].used && strcmp(reg[i].serial, ref) == 0) {
			*index = i;
			pthread_mutex_unlock(&reg_lock);
			return 0;
		}
	pthread_mutex_unlock(&reg_lock);
	return err_setf(ERR_PROBE_NOT_FOUND,
			"no probe '%.64s': use an index or a serial number from GET /probes", ref);
}

void registry_rescan_usb(void)
{
	static struct transport_probe_info found[REGISTRY_MAX_PROBES];
	size_t n = 0;

	transport_enumerate(found, REGISTRY_MAX_PROBES, &n);
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		struct probe_entry *e = &reg[i];
		bool present = false;

		if (!e->used || !e->usb)
			continue;
		for (size_t k = 0; k < n && !present; k++)
			present = strcmp(found[k].uri, e->uri) == 0;
		if (e->gone != !present) {
			log_notice("probe %d (%s) %s", i, e->uri, present ? "plugged in again" : "unplugged");
			reg_version++;
		}
		e->gone = !present;
	}
	for (size_t k = 0; k < n; k++) {
		int i = reg_find_uri_locked(found[k].uri);

		if (i < 0 && (i = reg_add_locked(found[k].uri, found[k].serial, found[k].transport, false, true)) >= 0) {
			snprintf(reg[i].vendor, sizeof(reg[i].vendor), "%s", found[k].vendor);
			snprintf(reg[i].product, sizeof(reg[i].product), "%s", found[k].product);
			log_notice("probe %d: %s %s (%s) plugged in", i, found[k].vendor, found[k].product,
				   found[k].uri);
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

int registry_uri(int index, char *uri, size_t cap, char *serial, size_t serial_cap)
{
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !reg[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else {
		snprintf(uri, cap, "%s", reg[index].uri);
		if (serial)
			snprintf(serial, serial_cap, "%s", reg[index].serial);
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

static int reg_unavailable_locked(int index)
{
	struct probe_entry *e = &reg[index];

	if (e->gone)
		return err_setf(ERR_PROBE_DISCONNECTED,
				"probe %d (%s) is unplugged; plug it in again", index, e->serial);
	if (reg_leased_locked(e))
		return err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s for another %lld s", index,
				e->lease_holder, (long long)(e->lease_until_ms - reg_mono_ms()) / 1000);
	return 0;
}

int registry_claim(int index, uint64_t job_id)
{
	int rc;

	pthread_mutex_lock(&reg_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !reg[index].used)
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	else if ((rc = reg_unavailable_locked(index)) == 0 && reg[index].job_id)
		rc = err_setf(ERR_PROBE_BUSY,
			      "Probe %d is running job %llu. Wait for it or follow /jobs/%llu/events.",
			      index, (unsigned long long)reg[index].job_id,
			      (unsigned long long)reg[index].job_id);
	if (rc == 0) {
		reg[index].job_id = job_id;
		reg_version++;
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

void registry_claim_set(int index, uint64_t job_id)
{
	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		reg[index].job_id = job_id;
	reg_version++;
	pthread_mutex_unlock(&reg_lock);
}

void registry_release(int index)
{
	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		reg[index].job_id = 0;
	reg_version++;
	pthread_mutex_unlock(&reg_lock);
}

uint64_t registry_current_job(int index)
{
	uint64_t id = 0;

	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		id = reg[index].job_id;
	pthread_mutex_unlock(&reg_lock);
	return id;
}

bool registry_available(int index, int *rc_out)
{
	int rc;

	pthread_mutex_lock(&reg_lock);
	rc = index >= 0 && index < REGISTRY_MAX_PROBES && reg[index].used
		     ? reg_unavailable_locked(index)
		     : err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	pthread_mutex_unlock(&reg_lock);
	if (rc_out)
		*rc_out = rc;
	return rc == 0;
}

int registry_lease(int index, const char *holder, unsigned ttl_s)
{
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !reg[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else if (reg_leased_locked(&reg[index]) && strcmp(reg[index].lease_holder, holder) != 0) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s", index, reg[index].lease_holder);
	} else if (reg[index].job_id) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is running job %llu; lease it when it ends",
			      index, (unsigned long long)reg[index].job_id);
	} else {
		snprintf(reg[index].lease_holder, sizeof(reg[index].lease_holder), "%s", holder);
		reg[index].lease_until_ms = reg_mono_ms() + (int64_t)ttl_s * 1000;
		reg[index].lease_until_wall = time(NULL) + ttl_s;
		reg_version++;
	}
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

int registry_unlease(int index, const char *holder, bool force)
{
	int rc = 0;

	pthread_mutex_lock(&reg_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !reg[index].used)
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	else if (!reg_leased_locked(&reg[index]))
		rc = err_setf(ERR_NOT_FOUND, "probe %d is not leased", index);
	else if (!force && strcmp(reg[index].lease_holder, holder) != 0)
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s, not %s", index,
			      reg[index].lease_holder, holder);
	else
		reg[index].lease_holder[0] = '\0';
	reg_version++;
	pthread_mutex_unlock(&reg_lock);
	return rc;
}

void registry_set_identity(int index, const struct dap *d)
{
	struct probe_entry *e;

	pthread_mutex_lock(&reg_lock);
	e = &reg[index];
	if (index >= 0 && index < REGISTRY_MAX_PROBES && e->used) {
		e->has_identity = true;
		snprintf(e->vendor, sizeof(e->vendor), "%s", d->vendor);
		snprintf(e->product, sizeof(e->product), "%s", d->product);
		snprintf(e->firmware, sizeof(e->firmware), "%s", d->firmware_version);
		snprintf(e->protocol, sizeof(e->protocol), "%s", d->protocol_version);
		if (!e->usb && d->serial[0] && strcmp(e->serial, e->uri) == 0)
			snprintf(e->serial, sizeof(e->serial), "%s", d->serial);
		e->caps = d->caps;
		e->packet_size = d->packet_size;
		e->packet_count = d->packet_count;
		reg_version++;
	}
	pthread_mutex_unlock(&reg_lock);
}

void registry_set_target(int index, const struct probe_target_summary *t, const char *rdp_json)
{
	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && reg[index].used) {
		reg[index].has_target = true;
		reg[index].target = *t;
		reg_version++;
		if (rdp_json) {
			free(reg[index].last_rdp);
			reg[index].last_rdp = strdup(rdp_json);
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

bool registry_has_identity(int index)
{
	bool has = false;

	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		has = reg[index].used && reg[index].has_identity;
	pthread_mutex_unlock(&reg_lock);
	return has;
}

char *registry_last_rdp(int index)
{
	char *s = NULL;

	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && reg[index].last_rdp)
		s = strdup(reg[index].last_rdp);
	pthread_mutex_unlock(&reg_lock);
	return s;
}

static json_object *reg_caps_json(uint8_t caps)
{
	json_object *a = json_object_new_array();

	if (caps & DAP_CAP_SWD)
		json_object_array_add(a, json_object_new_string("swd"));
	if (caps & DAP_CAP_JTAG)
		json_object_array_add(a, json_object_new_string("jtag"));
	if (caps & (DAP_CAP_SWO_UART | DAP_CAP_SWO_MANCHESTER))
		json_object_array_add(a, json_object_new_string("swo"));
	if (caps & DAP_CAP_ATOMIC)
		json_object_array_add(a, json_object_new_string("atomic"));
	return a;
}

static json_object *reg_target_json(const struct probe_target_summary *t)
{
	json_object *o = json_object_new_object();
	char uid[25];

	target_uid_hex(t->uid, uid);
	json_object_object_add(o, "chip", json_object_new_string(t->chip));
	json_object_object_add(o, "family", json_object_new_string(t->family));
	json_object_object_add(o, "dev_id", json_hex(t->dev_id));
	json_object_object_add(o, "flash_kb", json_object_new_int((int)t->flash_kb));
	json_object_object_add(o, "uid", t->has_uid ? json_object_new_string(uid) : NULL);
	json_object_object_add(o, "rdp_level", json_level_tenths(t->rdp_level_tenths));
	json_object_object_add(o, "rdp_raw", json_hex(t->rdp_raw));
	json_object_object_add(o, "read_at", json_time(t->read_at));
	return o;
}

static json_object *reg_entry_json_locked(int i)
{
	static const char *const states[] = {"idle", "busy", "leased", "gone"};
	struct probe_entry *e = &reg[i];
	json_object *o = json_object_new_object();
	enum probe_state st = reg_state_locked(e);
	char job[32];

	json_object_object_add(o, "index", json_object_new_int(i));
	json_object_object_add(o, "serial", json_object_new_string(e->serial));
	json_object_object_add(o, "uri", json_object_new_string(e->uri));
	json_object_object_add(o, "transport", json_object_new_string(e->transport));
	json_object_object_add(o, "simulated", json_object_new_boolean(e->simulated));
	json_object_object_add(o, "vendor", json_object_new_string(e->vendor));
	json_object_object_add(o, "product", json_object_new_string(e->product));
	json_object_object_add(o, "firmware_version", e->has_identity ? json_object_new_string(e->firmware) : NULL);
	json_object_object_add(o, "protocol_version", e->has_identity ? json_object_new_string(e->protocol) : NULL);
	json_object_object_add(o, "capabilities", reg_caps_json(e->caps));
	json_object_object_add(o, "packet_size", e->has_identity ? json_object_new_int((int)e->packet_size) : NULL);
	json_object_object_add(o, "packet_count", e->has_identity ? json_object_new_int((int)e->packet_count) : NULL);
	json_object_object_add(o, "state", json_object_new_string(states[st]));
	snprintf(job, sizeof(job), "/jobs/%llu", (unsigned long long)e->job_id);
	/* UINT64_MAX: claimed, the job record being written. */
	json_object_object_add(o, "job", e->job_id && e->job_id != UINT64_MAX ? json_object_new_string(job) : NULL);
	if (st == PROBE_LEASED) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "holder", json_object_new_string(e->lease_holder));
		json_object_object_add(l, "expires_at", json_time(e->lease_until_wall));
		json_object_object_add(o, "lease", l);
	} else {
		json_object_object_add(o, "lease", NULL);
	}
	json_object_object_add(o, "target", e->has_target ? reg_target_json(&e->target) : NULL);
	return o;
}

json_object *registry_probe_json(int index)
{
	json_object *o = NULL;

	pthread_mutex_lock(&reg_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && reg[index].used)
		o = reg_entry_json_locked(index);
	pthread_mutex_unlock(&reg_lock);
	return o;
}

json_object *registry_list_json(void)
{
	json_object *arr = json_object_new_array();

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (reg[i].used)
			json_object_array_add(arr, reg_entry_json_locked(i));
	pthread_mutex_unlock(&reg_lock);
	return arr;
}

char *registry_list_text(void)
{
	char *copy;
	bool leases = false;

	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		leases |= reg[i].used && reg[i].lease_holder[0];
	/* A lease expires by the clock, not by a change: never cache across one. */
	if (!reg_cache || reg_cache_version != reg_version || leases) {
		json_object *o = json_object_new_object(), *arr = json_object_new_array();

		for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
			if (reg[i].used)
				json_object_array_add(arr, reg_entry_json_locked(i));
		json_object_object_add(o, "probes", arr);
		free(reg_cache);
		reg_cache = strdup(json_text(o, 1));
		reg_cache_version = reg_version;
		json_object_put(o);
	}
	copy = reg_cache ? strdup(reg_cache) : NULL;
	pthread_mutex_unlock(&reg_lock);
	return copy;
}

void registry_counts(unsigned out[4])
{
	memset(out, 0, 4 * sizeof(out[0]));
	pthread_mutex_lock(&reg_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		const char *t = reg[i].transport;

		if (!reg[i].used || reg[i].gone)
			continue;
		out[strcmp(t, "usb-bulk") == 0 ? 0 : strcmp(t, "usb-hid") == 0 ? 1 : strcmp(t, "tcp") == 0 ? 2 : 3]++;
	}
	pthread_mutex_unlock(&reg_lock);
}

void registry_set_state_dir(const char *dir)
{
	snprintf(reg_state_dir, sizeof(reg_state_dir), "%s", dir ? dir : "");
}

int registry_load_persistent(void)
{
	char path[300];
	json_object *arr;

	snprintf(path, sizeof(path), "%s/probes.json", reg_state_dir);
	if (access(path, F_OK) != 0)
		return 0;
	arr = json_object_from_file(path);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return err_setf(ERR_IO, "%s is not a JSON list of probe URIs; fix or remove it", path);
	}
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		json_object *u = json_object_array_get_idx(arr, i);
		int index;

		if (json_object_is_type(u, json_type_string) &&
		    registry_add(json_object_get_string(u), true, &index) < 0)
			log_warn("%s: %s", path, err_detail());
	}
	json_object_put(arr);
	return 0;
}
