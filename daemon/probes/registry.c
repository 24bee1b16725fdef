/*
 * registry.c - the table of probes, their states and leases, and what
 * a ref names (docs/probes.md).
 *
 * A slot is "known" once a probe has been given its index, and stays so
 * (remembered in probes.json) while the probe is away, so no other probe
 * takes that index; it is "used" while the probe is listed.
 */
#include "probes/registry.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "probes/probe_store.h"
#include "transport/transport.h"

struct probe_entry {
	bool used;                /* listed (present, or a USB probe unplugged since) */
	bool known;               /* the index is this probe's, listed or not */
	bool persistent;
	bool gone;
	bool discovered;          /* found by a transport's enumerate (comes and goes by itself) */
	char uri[TRANSPORT_URI_MAX];
	char serial[128];
	char location[64];        /* discovered: where it is plugged in, "VVVV:PPPP@BUS-PORTS" */
	uint64_t seen;            /* registry_seen_seq when it last appeared */
	char transport[12];
	const char *probe_protocol; /* static: the access_ops name; NULL until found or opened */
	int target_mv;            /* VTref when last opened; -1: not measured */
	bool simulated;
	/* Identity from DAP_Info, once the probe has been opened. */
	bool has_identity;
	bool open_tried;          /* opened, or failed to open, at least once */
	char vendor[64], product[128], firmware[32], protocol[32];
	uint16_t vid, pid;
	bool swd, jtag, swo, atomic; /* what the probe says it offers */
	unsigned packet_size, packet_count;
	uint64_t job_id;          /* running or queued job, 0 = none */
	char lease_holder[64];
	int64_t lease_until_ms;   /* CLOCK_MONOTONIC */
	time_t lease_until_wall;
	bool has_target;
	struct probe_target_summary target;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct probe_entry registry[REGISTRY_MAX_PROBES];
static char registry_state_dir[256];
static uint64_t registry_seen_seq;  /* orders probes by when they last appeared */
static bool registry_store_dirty;   /* probes.json is behind the table */
/* Changes with every change a view shows (api/json_probe.c keeps GET
 * /probes's text until it does), and the number of listed probes leased
 * (a lease runs out by the clock, not by a change). Written under registry_lock,
 * read without it: GET /probes is the hottest request. */
static _Atomic uint64_t registry_generation = 1;
static atomic_uint registry_n_leased;

static int64_t registry_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Entry E's lease holder becomes HOLDER ("": no lease), registry_n_leased in step. */
static void registry_set_lease_locked(struct probe_entry *e, const char *holder)
{
	bool had = e->lease_holder[0] != '\0', has = holder[0] != '\0';

	snprintf(e->lease_holder, sizeof(e->lease_holder), "%s", holder);
	if (e->used && had && !has)
		atomic_fetch_sub(&registry_n_leased, 1);
	else if (e->used && !had && has)
		atomic_fetch_add(&registry_n_leased, 1);
}

static bool registry_leased_locked(struct probe_entry *e)
{
	if (e->lease_holder[0] && registry_mono_ms() >= e->lease_until_ms)
		registry_set_lease_locked(e, ""); /* expired */
	return e->lease_holder[0] != '\0';
}

static enum probe_state registry_state_locked(struct probe_entry *e)
{
	if (e->gone)
		return PROBE_GONE;
	if (registry_leased_locked(e))
		return PROBE_LEASED;
	return e->job_id ? PROBE_BUSY : PROBE_IDLE;
}

/* Entry E's location as a ref, in the scheme of its URI
 * ("usb:0d28:0204@1-2.3"), or "" when it has none. */
static void registry_location_ref(const struct probe_entry *e, char *out, size_t cap)
{
	const char *colon = strchr(e->uri, ':');

	if (e->location[0] && colon)
		snprintf(out, cap, "%.*s:%s", (int)(colon - e->uri), e->uri, e->location);
	else if (cap)
		out[0] = '\0';
}

static int registry_find_uri_locked(const char *uri)
{
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (registry[i].used && strcmp(registry[i].uri, uri) == 0)
			return i;
	return -1;
}

/* The index remembered for a probe: a USB probe's own port and serial
 * first (its URI changes when a twin with its serial comes or goes), else
 * its URI. Slots set in SKIP (may be NULL) are taken by other probes. */
static int registry_known_slot_locked(const char *uri, const char *serial, const char *location,
				 const bool *skip)
{
	const char *id = serial && *serial ? serial : uri;

	for (int i = 0; location && *location && i < REGISTRY_MAX_PROBES; i++)
		if (registry[i].known && !(skip && skip[i]) && strcmp(registry[i].location, location) == 0 &&
		    strcmp(registry[i].uri, uri) == 0)
			return i;
	for (int i = 0; location && *location && i < REGISTRY_MAX_PROBES; i++)
		if (registry[i].known && !(skip && skip[i]) && strcmp(registry[i].location, location) == 0 &&
		    strcmp(registry[i].serial, id) == 0)
			return i;
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (registry[i].known && !(skip && skip[i]) && strcmp(registry[i].uri, uri) == 0)
			return i;
	return -1;
}

/* The index for a probe never seen: the lowest no remembered probe holds.
 * When every index is held, the probe away longest (one removed through
 * the API first) is forgotten. -1 when all are listed. SKIP as above. */
static int registry_free_slot_locked(const bool *skip)
{
	int oldest = -1;

	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		if (skip && skip[i])
			continue;
		if (!registry[i].known)
			return i;
		if (!registry[i].used && (oldest < 0 || registry[i].seen < registry[oldest].seen))
			oldest = i;
	}
	if (oldest >= 0)
		log_notice("forgetting probe %s (index %d, away longest): a new probe takes its index",
			   registry[oldest].uri, oldest);
	return oldest;
}

/* List a probe in SLOT (-1: its remembered one, else a free one). */
static int registry_add_locked(int slot, const char *uri, const char *serial, const char *location,
			  const char *transport, bool simulated, bool persistent, bool discovered)
{
	struct probe_entry *e;
	char remembered[128];
	int i = slot >= 0 ? slot : registry_known_slot_locked(uri, serial, location, NULL);

	if (i < 0 || registry[i].used)
		i = registry_free_slot_locked(NULL);
	if (i < 0)
		return err_setf(ERR_PROBE_TABLE_FULL, "rdpd handles at most %d probes and has %d; remove one "
				"(DELETE /probes/{ref}) before adding another", REGISTRY_MAX_PROBES, REGISTRY_MAX_PROBES);
	e = &registry[i];
	/* A network or simulated probe reports its serial only once opened:
	 * until then the one remembered for this URI stands in, so a serial it
	 * shares with another probe is refused as a ref from the first moment. */
	snprintf(remembered, sizeof(remembered), "%s",
		 e->known && strcmp(e->uri, uri) == 0 ? e->serial : "");
	memset(e, 0, sizeof(*e));
	e->used = e->known = true;
	e->persistent = persistent;
	e->discovered = discovered;
	snprintf(e->uri, sizeof(e->uri), "%s", uri);
	snprintf(e->serial, sizeof(e->serial), "%s",
		 serial && *serial ? serial : remembered[0] ? remembered : uri);
	snprintf(e->location, sizeof(e->location), "%s", location ? location : "");
	snprintf(e->transport, sizeof(e->transport), "%s", transport);
	e->simulated = simulated;
	e->seen = ++registry_seen_seq;
	registry_store_dirty = true;
	registry_generation++;
	return i;
}

/* probes.json catches up with the table, if it has fallen behind. */
static void registry_save_locked(void)
{
	static struct probe_store st;

	if (!registry_store_dirty || !registry_state_dir[0])
		return;
	memset(&st, 0, sizeof(st));
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		const struct probe_entry *e = &registry[i];
		struct probe_store_known *k = &st.known[st.n_known];

		if (!e->known)
			continue;
		k->index = i;
		snprintf(k->uri, sizeof(k->uri), "%s", e->uri);
		snprintf(k->serial, sizeof(k->serial), "%s", e->serial);
		snprintf(k->location, sizeof(k->location), "%s", e->location);
		k->seen = e->seen;
		st.n_known++;
		if (e->used && e->persistent)
			snprintf(st.added[st.n_added++], TRANSPORT_URI_MAX, "%s", e->uri);
	}
	if (probe_store_save(registry_state_dir, &st) < 0)
		log_err("%s", err_detail());
	else
		registry_store_dirty = false;
}

int registry_add(const char *uri, bool persistent, int *index)
{
	int i, rc;

	/* Nothing that can never work is listed or saved to probes.json. */
	if ((rc = transport_validate_uri(uri)) < 0)
		return rc;
	pthread_mutex_lock(&registry_lock);
	i = registry_find_uri_locked(uri);
	if (i >= 0) {
		pthread_mutex_unlock(&registry_lock);
		*index = i;
		return err_setf(ERR_PROBE_EXISTS, "probe %s is already listed as index %d", uri, i);
	}
	rc = registry_add_locked(-1, uri, NULL, NULL, transport_kind_name_of_uri(uri),
			    transport_kind_of_uri(uri)->simulated, persistent, false);
	if (rc >= 0) {
		*index = rc;
		registry_save_locked();
		rc = 0;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

int registry_add_by_client(const char *uri, int *index)
{
	int rc = transport_check_addable(uri);

	return rc < 0 ? rc : registry_add(uri, true, index);
}

const char *registry_addable_forms(char *out, size_t cap)
{
	return transport_uri_forms(out, cap, true);
}

int registry_remove(int index)
{
	int rc = 0;

	pthread_mutex_lock(&registry_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !registry[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else if (registry[index].discovered) {
		rc = err_setf(ERR_INVALID_ARGUMENT,
			      "probe %d (%s) was found by itself: unplug it instead (it is listed while attached)",
			      index, registry[index].transport);
	} else if (registry[index].job_id) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is running job %llu; wait for it to end", index,
			      (unsigned long long)registry[index].job_id);
	} else {
		struct probe_entry *e = &registry[index];

		/* The index stays the probe's (added again, it gets it back), and is
		 * the first to go when every index is held. */
		registry_set_lease_locked(e, "");
		e->used = e->persistent = e->has_identity = e->has_target = false;
		e->seen = 0;
		registry_store_dirty = true;
		registry_generation++;
		registry_save_locked();
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

bool registry_ref_is_index(const char *ref, int *index)
{
	long v = 0;

	/* "0", or a non-zero digit and digits: no sign, space, tab or leading
	 * zero, so one number has one spelling (/probes/00, /probes/%200: 404). */
	if (!ref || !*ref || (ref[0] == '0' && ref[1]) || strspn(ref, "0123456789") != strlen(ref) ||
	    strlen(ref) > 3)
		return false;
	v = strtol(ref, NULL, 10);
	if (v >= REGISTRY_MAX_PROBES)
		return false;
	*index = (int)v;
	return true;
}

static void registry_candidate_locked(int i, struct registry_candidate *c)
{
	const struct probe_entry *e = &registry[i];

	c->index = i;
	snprintf(c->uri, sizeof(c->uri), "%s", e->uri);
	registry_location_ref(e, c->location, sizeof(c->location));
	snprintf(c->serial, sizeof(c->serial), "%s", e->serial);
	snprintf(c->transport, sizeof(c->transport), "%s", e->transport);
	snprintf(c->product, sizeof(c->product), "%s", e->product);
}

/* REF as entry I's location in the scheme of its URI,
 * "usb:VVVV:PPPP@BUS-PORTS" (hex in either case). */
static bool registry_is_location_locked(int i, const char *ref)
{
	const char *colon = strchr(registry[i].uri, ':');
	size_t scheme = colon ? (size_t)(colon - registry[i].uri) + 1 : 0;

	return registry[i].location[0] && scheme && strncmp(ref, registry[i].uri, scheme) == 0 &&
	       strcasecmp(ref + scheme, registry[i].location) == 0;
}

/* Entry I's serial is not known yet: a network or simulated probe never
 * opened, with no serial remembered from an earlier run. */
static bool registry_serial_pending_locked(int i)
{
	const struct probe_entry *e = &registry[i];

	return e->used && !e->discovered && !e->open_tried && strcmp(e->serial, e->uri) == 0;
}

/* Several probes answer to REF (a shared serial, or a port two listed
 * probes used): refuse, naming each and the refs that name it alone. */
static int registry_ambiguous_locked(const char *ref, const int *hits, size_t n_hits,
				struct registry_candidate *cands, size_t cap, size_t *n)
{
	char list[600] = "", port[TRANSPORT_URI_MAX] = "", by_port[TRANSPORT_URI_MAX + 48] = "";
	size_t used = 0;

	for (size_t k = 0; k < n_hits; k++) {
		const struct probe_entry *e = &registry[hits[k]];

		if (k < cap && cands)
			registry_candidate_locked(hits[k], &cands[k]);
		if (!port[0])
			registry_location_ref(e, port, sizeof(port));
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%d (%s%s%s%s)",
						 k ? ", " : "", hits[k], e->uri,
						 e->product[0] ? ", " : "", e->product,
						 registry_serial_pending_locked(hits[k])
							 ? ", serial not read yet" : "");
	}
	if (n)
		*n = n_hits < cap ? n_hits : cap;
	/* A discovered probe is also named by the port it is plugged into. */
	if (port[0])
		snprintf(by_port, sizeof(by_port), " (one plugged in also by its port, such as %s)", port);
	return err_setf(ERR_PROBE_REF_AMBIGUOUS,
			"'%.64s' could mean %zu probes: %s. Name one by its index or its URI%s; a serial "
			"is a ref only while one probe reports it.",
			ref, n_hits, list, by_port);
}

int registry_resolve_ex(const char *ref, int *index, struct registry_candidate *cands, size_t cap,
			size_t *n)
{
	int hits[REGISTRY_MAX_PROBES], v, rc;
	size_t n_hits = 0;

	if (n)
		*n = 0;
	if (!ref || !*ref)
		return err_setf(ERR_PROBE_NOT_FOUND, "no probe given");
	pthread_mutex_lock(&registry_lock);
	if (registry_ref_is_index(ref, &v) && registry[v].used) {
		*index = v;
		pthread_mutex_unlock(&registry_lock);
		return 0;
	}
	if ((v = registry_find_uri_locked(ref)) >= 0) { /* URIs are unique */
		*index = v;
		pthread_mutex_unlock(&registry_lock);
		return 0;
	}
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
		if (registry[i].used && registry_is_location_locked(i, ref))
			hits[n_hits++] = i;
	if (n_hits == 0) { /* a serial: a ref only while one probe reports it */
		for (int i = 0; i < REGISTRY_MAX_PROBES; i++)
			if (registry[i].used && strcmp(registry[i].serial, ref) == 0)
				hits[n_hits++] = i;
		/* A probe not opened yet may report that serial too (rdpd was
		 * just started): it could be meant as well. */
		for (int i = 0; n_hits && i < REGISTRY_MAX_PROBES; i++)
			if (registry_serial_pending_locked(i))
				hits[n_hits++] = i;
	}
	if (n_hits == 1) {
		*index = hits[0];
		rc = 0;
	} else if (n_hits > 1) {
		rc = registry_ambiguous_locked(ref, hits, n_hits, cands, cap, n);
	} else {
		rc = err_setf(ERR_PROBE_NOT_FOUND,
			      "no probe '%.64s': use an index, a URI or a serial number from GET /probes",
			      ref);
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

int registry_resolve(const char *ref, int *index)
{
	return registry_resolve_ex(ref, index, NULL, 0, NULL);
}

size_t registry_brief(struct registry_candidate *out, size_t cap)
{
	size_t n = 0;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES && n < cap; i++)
		if (registry[i].used)
			registry_candidate_locked(i, &out[n++]);
	pthread_mutex_unlock(&registry_lock);
	return n;
}

/* URI is about to be entry I's: another remembered discovered probe that
 * had it is named by its port from now on (URIs stay unique), or forgotten. */
static void registry_uri_free_locked(int i, const char *uri)
{
	const char *colon = strchr(uri, ':');

	for (int k = 0; k < REGISTRY_MAX_PROBES; k++) {
		struct probe_entry *e = &registry[k];

		if (k == i || !e->known || strcmp(e->uri, uri) != 0)
			continue;
		if (e->location[0] && colon && strcmp(e->location, colon + 1) != 0) {
			char ref[TRANSPORT_URI_MAX];

			registry_location_ref(e, ref, sizeof(ref));
			snprintf(e->uri, sizeof(e->uri), "%s", ref);
		} else if (!e->used) {
			e->known = false;
		}
		registry_store_dirty = true;
	}
}

/* A listed discovered probe seen attached as F: its URI follows F's (a
 * twin with its serial came or went), and so do its port and serial. */
static void registry_usb_update_locked(int i, const struct transport_probe_info *f)
{
	struct probe_entry *e = &registry[i];
	const char *serial = f->serial[0] ? f->serial : f->uri;

	registry_uri_free_locked(i, f->uri);
	if (strcmp(e->uri, f->uri) != 0)
		log_notice("probe %d (serial %s) is now %s, was %s: another attached probe "
			   "reports its serial, or no longer does", i, serial, f->uri, e->uri);
	if (strcmp(e->uri, f->uri) || strcmp(e->location, f->location) || strcmp(e->serial, serial)) {
		/* Bounded by the destination, not F's: both are the same size. */
		snprintf(e->uri, sizeof(e->uri), "%.*s", (int)sizeof(e->uri) - 1, f->uri);
		snprintf(e->location, sizeof(e->location), "%.*s", (int)sizeof(e->location) - 1, f->location);
		snprintf(e->serial, sizeof(e->serial), "%.*s", (int)sizeof(e->serial) - 1, serial);
		registry_store_dirty = true;
		registry_generation++;
	}
}

void registry_rescan_usb(void)
{
	static struct transport_probe_info found[REGISTRY_MAX_PROBES];
	bool taken[REGISTRY_MAX_PROBES] = {false};
	int slot[REGISTRY_MAX_PROBES];
	size_t n = 0;

	transport_enumerate(found, REGISTRY_MAX_PROBES, &n);
	pthread_mutex_lock(&registry_lock);
	/* Which index each attached probe has (no two get one). */
	for (size_t k = 0; k < n; k++) {
		slot[k] = registry_known_slot_locked(found[k].uri, found[k].serial, found[k].location, taken);
		if (slot[k] >= 0)
			taken[slot[k]] = true;
	}
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		struct probe_entry *e = &registry[i];
		bool present = taken[i];

		if (!e->used || !e->discovered)
			continue;
		if (e->gone != !present) {
			log_notice("probe %d (%s) %s", i, e->uri, present ? "plugged in again" : "unplugged");
			registry_generation++;
		}
		e->gone = !present;
	}
	for (size_t k = 0; k < n; k++) {
		int i = slot[k];

		if (i >= 0 && registry[i].used) {
			if (registry[i].discovered) /* else listed by the configuration (--probe usb:...) */
				registry_usb_update_locked(i, &found[k]);
			continue;
		}
		if (i < 0 && (i = registry_free_slot_locked(taken)) >= 0)
			taken[i] = true;
		if (i >= 0) {
			registry_uri_free_locked(i, found[k].uri);
			i = registry_add_locked(i, found[k].uri, found[k].serial, found[k].location,
					   found[k].transport, found[k].simulated, false, true);
		}
		if (i < 0) {
			log_debug("probe %s plugged in: rdpd handles at most %d probes", found[k].uri,
				  REGISTRY_MAX_PROBES);
		} else {
			registry[i].probe_protocol = found[k].protocol;
			snprintf(registry[i].vendor, sizeof(registry[i].vendor), "%s", found[k].vendor);
			snprintf(registry[i].product, sizeof(registry[i].product), "%s", found[k].product);
			registry[i].vid = found[k].vid;
			registry[i].pid = found[k].pid;
			log_notice("probe %d: %s %s (%s) plugged in", i, found[k].vendor, found[k].product,
				   found[k].uri);
		}
	}
	registry_save_locked();
	pthread_mutex_unlock(&registry_lock);
}

int registry_uri(int index, char *uri, size_t cap, char *serial, size_t serial_cap)
{
	int rc = 0;

	pthread_mutex_lock(&registry_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !registry[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else {
		snprintf(uri, cap, "%s", registry[index].uri);
		if (serial)
			snprintf(serial, serial_cap, "%s", registry[index].serial);
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

static int registry_unavailable_locked(int index)
{
	struct probe_entry *e = &registry[index];

	if (e->gone)
		return err_setf(ERR_PROBE_DISCONNECTED,
				"probe %d (%s) is unplugged; plug it in again", index, e->serial);
	if (registry_leased_locked(e))
		return err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s for another %lld s", index,
				e->lease_holder, (long long)(e->lease_until_ms - registry_mono_ms()) / 1000);
	return 0;
}

int registry_claim(int index, uint64_t job_id)
{
	int rc;

	pthread_mutex_lock(&registry_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !registry[index].used)
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	else if ((rc = registry_unavailable_locked(index)) == 0 && registry[index].job_id)
		rc = err_setf(ERR_PROBE_BUSY,
			      "Probe %d is running job %llu. Wait for it or follow /jobs/%llu/events.",
			      index, (unsigned long long)registry[index].job_id,
			      (unsigned long long)registry[index].job_id);
	if (rc == 0) {
		registry[index].job_id = job_id;
		registry_generation++;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

void registry_claim_set(int index, uint64_t job_id)
{
	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		registry[index].job_id = job_id;
	registry_generation++;
	pthread_mutex_unlock(&registry_lock);
}

void registry_release(int index)
{
	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		registry[index].job_id = 0;
	registry_generation++;
	pthread_mutex_unlock(&registry_lock);
}

uint64_t registry_current_job(int index)
{
	uint64_t id = 0;

	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		id = registry[index].job_id;
	pthread_mutex_unlock(&registry_lock);
	return id;
}

bool registry_available(int index, int *rc_out)
{
	int rc;

	pthread_mutex_lock(&registry_lock);
	rc = index >= 0 && index < REGISTRY_MAX_PROBES && registry[index].used
		     ? registry_unavailable_locked(index)
		     : err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	pthread_mutex_unlock(&registry_lock);
	if (rc_out)
		*rc_out = rc;
	return rc == 0;
}

int registry_lease(int index, const char *holder, unsigned ttl_s)
{
	int rc = 0;

	pthread_mutex_lock(&registry_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !registry[index].used) {
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	} else if (registry_leased_locked(&registry[index]) && strcmp(registry[index].lease_holder, holder) != 0) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s", index, registry[index].lease_holder);
	} else if (registry[index].job_id) {
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is running job %llu; lease it when it ends",
			      index, (unsigned long long)registry[index].job_id);
	} else {
		registry_set_lease_locked(&registry[index], holder);
		registry[index].lease_until_ms = registry_mono_ms() + (int64_t)ttl_s * 1000;
		registry[index].lease_until_wall = time(NULL) + ttl_s;
		registry_generation++;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

int registry_unlease(int index, const char *holder, bool force)
{
	int rc = 0;

	pthread_mutex_lock(&registry_lock);
	if (index < 0 || index >= REGISTRY_MAX_PROBES || !registry[index].used)
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	else if (!registry_leased_locked(&registry[index]))
		rc = err_setf(ERR_NOT_FOUND, "probe %d is not leased", index);
	else if (!force && strcmp(registry[index].lease_holder, holder) != 0)
		rc = err_setf(ERR_PROBE_BUSY, "probe %d is leased by %s, not %s", index,
			      registry[index].lease_holder, holder);
	else
		registry_set_lease_locked(&registry[index], "");
	registry_generation++;
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

void registry_set_identity(int index, const struct access_identity *d)
{
	struct probe_entry *e;

	pthread_mutex_lock(&registry_lock);
	e = &registry[index];
	if (index >= 0 && index < REGISTRY_MAX_PROBES && e->used) {
		e->has_identity = e->open_tried = true;
		e->probe_protocol = d->protocol;
		e->target_mv = d->target_mv;
		snprintf(e->vendor, sizeof(e->vendor), "%s", d->vendor);
		snprintf(e->product, sizeof(e->product), "%s", d->product);
		snprintf(e->firmware, sizeof(e->firmware), "%s", d->firmware_version);
		snprintf(e->protocol, sizeof(e->protocol), "%s", d->protocol_version);
		/* The serial remembered from the last run stands in until now. */
		if (!e->discovered && d->serial[0] && strcmp(e->serial, d->serial) != 0) {
			snprintf(e->serial, sizeof(e->serial), "%s", d->serial);
			registry_store_dirty = true;
		}
		e->swd = d->swd;
		e->jtag = d->jtag;
		e->swo = d->swo;
		e->atomic = d->atomic;
		e->packet_size = d->packet_size;
		e->packet_count = d->packet_count;
		registry_generation++;
		registry_save_locked();
	}
	pthread_mutex_unlock(&registry_lock);
}

void registry_set_target(int index, const struct probe_target_summary *t)
{
	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && registry[index].used) {
		registry[index].has_target = true;
		registry[index].target = *t;
		registry_generation++;
	}
	pthread_mutex_unlock(&registry_lock);
}

void registry_set_open_failed(int index)
{
	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && registry[index].used)
		registry[index].open_tried = true;
	pthread_mutex_unlock(&registry_lock);
}

bool registry_has_identity(int index)
{
	bool has = false;

	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES)
		has = registry[index].used && registry[index].has_identity;
	pthread_mutex_unlock(&registry_lock);
	return has;
}

/* No other listed probe reports entry I's serial: the serial is a ref. */
static bool registry_serial_unique_locked(int i)
{
	for (int k = 0; k < REGISTRY_MAX_PROBES; k++)
		if (k != i && registry[k].used && strcmp(registry[k].serial, registry[i].serial) == 0)
			return false;
	return true;
}

static void registry_view_locked(int i, struct probe_view *v)
{
	struct probe_entry *e = &registry[i];

	memset(v, 0, sizeof(*v));
	v->index = i;
	snprintf(v->serial, sizeof(v->serial), "%s", e->serial);
	v->serial_unique = registry_serial_unique_locked(i);
	snprintf(v->uri, sizeof(v->uri), "%s", e->uri);
	snprintf(v->location, sizeof(v->location), "%s", e->location);
	snprintf(v->transport, sizeof(v->transport), "%s", e->transport);
	v->probe_protocol = e->probe_protocol;
	v->target_mv = e->has_identity ? e->target_mv : -1;
	v->simulated = e->simulated;
	snprintf(v->vendor, sizeof(v->vendor), "%s", e->vendor);
	snprintf(v->product, sizeof(v->product), "%s", e->product);
	v->has_identity = e->has_identity;
	snprintf(v->firmware, sizeof(v->firmware), "%s", e->firmware);
	snprintf(v->protocol, sizeof(v->protocol), "%s", e->protocol);
	v->swd = e->swd;
	v->jtag = e->jtag;
	v->swo = e->swo;
	v->atomic = e->atomic;
	v->packet_size = e->packet_size;
	v->packet_count = e->packet_count;
	v->vid = e->vid;
	v->pid = e->pid;
	v->state = registry_state_locked(e);
	v->job_id = e->job_id;
	if (v->state == PROBE_LEASED) {
		snprintf(v->lease_holder, sizeof(v->lease_holder), "%s", e->lease_holder);
		v->lease_until = e->lease_until_wall;
	}
	v->has_target = e->has_target;
	v->target = e->target;
}

int registry_view(int index, struct probe_view *out)
{
	int rc = 0;

	pthread_mutex_lock(&registry_lock);
	if (index >= 0 && index < REGISTRY_MAX_PROBES && registry[index].used)
		registry_view_locked(index, out);
	else
		rc = err_setf(ERR_PROBE_NOT_FOUND, "no probe %d", index);
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

size_t registry_views(struct probe_view *out, size_t cap, uint64_t *version)
{
	size_t n = 0;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES && n < cap; i++)
		if (registry[i].used)
			registry_view_locked(i, &out[n++]);
	if (version)
		*version = registry_generation;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

uint64_t registry_version(bool *leased)
{
	*leased = atomic_load(&registry_n_leased) > 0;
	return atomic_load(&registry_generation);
}

size_t registry_transport_counts(struct registry_transport_count *out, size_t cap)
{
	size_t n = 0;

	for (size_t k = 0; k < transport_kind_count() && n < cap; k++)
		out[n++] = (struct registry_transport_count){.transport = transport_kind_at(k)->name};
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < REGISTRY_MAX_PROBES; i++) {
		size_t k = 0;

		if (!registry[i].used || registry[i].gone)
			continue;
		while (k < n && strcmp(out[k].transport, registry[i].transport) != 0)
			k++;
		if (k == n && n < cap) /* listed by its scheme, not opened yet ("usb") */
			out[n++] = (struct registry_transport_count){
				.transport = transport_kind_name_of_uri(registry[i].uri),
			};
		if (k < n)
			out[k].count++;
	}
	pthread_mutex_unlock(&registry_lock);
	return n;
}

void registry_set_state_dir(const char *dir)
{
	snprintf(registry_state_dir, sizeof(registry_state_dir), "%s", dir ? dir : "");
}

int registry_load_persistent(void)
{
	struct probe_store *st = calloc(1, sizeof(*st));
	int rc, index;

	if (!st)
		return err_setf(ERR_NO_MEMORY, "out of memory reading probes.json");
	rc = probe_store_load(registry_state_dir, st);
	if (rc < 0) {
		/* It cannot even be moved aside: run without touching it. */
		log_warn("%s; probe indexes are not remembered until then", err_detail());
		registry_state_dir[0] = '\0';
		free(st);
		return 0;
	}
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < st->n_known; i++) {
		const struct probe_store_known *k = &st->known[i];
		struct probe_entry *e = &registry[k->index];

		e->known = true;
		snprintf(e->uri, sizeof(e->uri), "%s", k->uri);
		snprintf(e->serial, sizeof(e->serial), "%s", k->serial[0] ? k->serial : k->uri);
		snprintf(e->location, sizeof(e->location), "%s", k->location);
		e->seen = k->seen;
		if (k->seen > registry_seen_seq)
			registry_seen_seq = k->seen;
	}
	pthread_mutex_unlock(&registry_lock);
	for (size_t i = 0; i < st->n_added; i++)
		if (registry_add(st->added[i], true, &index) < 0)
			log_warn("probes.json: %s", err_detail());
	free(st);
	return 0;
}
