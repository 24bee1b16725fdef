/*
 * registry.h - every probe rdpd knows: USB probes as they come and go,
 * network and simulated probes from the configuration or the API. A probe
 * keeps its index across replugs and restarts: the index of every probe ever
 * seen is remembered in the state directory (probe_store.h), and a new probe
 * never takes a remembered one's (docs/probes.md). One mutex guards the
 * table; HTTP threads read snapshots of it (struct probe_view), which
 * api/json_probe.c serialises.
 */
#ifndef RDPD_REGISTRY_H
#define RDPD_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "access/access.h"
#include "transport/transport.h"

#define REGISTRY_MAX_PROBES 64

enum probe_state { PROBE_IDLE, PROBE_BUSY, PROBE_LEASED, PROBE_GONE };

/* The last target read, as GET /probes shows it. */
struct probe_target_summary {
	char chip[48];
	char family[16];
	uint32_t dev_id;
	unsigned flash_kb;
	char uid[25];          /* the 96-bit unique ID in hex, "" when it was not read */
	int rdp_level_tenths;  /* -1 unknown */
	uint32_t rdp_raw;
	const char *scheme;    /* static: the driver's protection scheme ("stm32-rdp") */
	time_t read_at;
};

/* Add a probe by URI (any scheme of the transport table). PERSISTENT ones
 * are saved in the state directory. -ERR_PROBE_URI_INVALID for a URI that can never
 * work (transport_validate_uri), -ERR_PROBE_EXISTS (and *INDEX) when it is
 * already there, -ERR_PROBE_TABLE_FULL past REGISTRY_MAX_PROBES. */
int registry_add(const char *uri, bool persistent, int *index);
/* A client adds URI (POST /probes): registry_add, persistent, refused with
 * -ERR_PROBE_URI_INVALID for a kind that is listed by itself while
 * attached (transport_check_addable). */
int registry_add_by_client(const char *uri, int *index);
/* The URI forms a client may add, for a sentence: "tcp:HOST:PORT or
 * sim:PROFILE". Returns OUT. */
const char *registry_addable_forms(char *out, size_t cap);
/* Remove an added probe; discovered ones come and go by themselves. */
int registry_remove(int index);
/* A probe a ref could mean, and how to name it unambiguously. */
struct registry_candidate {
	int index;
	char uri[TRANSPORT_URI_MAX];   /* unique in the registry: always a ref */
	char location[64];             /* discovered: "usb:VVVV:PPPP@BUS-PORTS", a ref; else "" */
	char serial[128];
	char transport[12];
	char product[128];
};

/* REF names exactly one listed probe (docs/probes.md): its index in
 * canonical decimal ("0", "12": no sign, space or leading zero), its URI,
 * its USB location ("usb:0d28:0204@1-2.3"), or a serial that one probe
 * alone reports. -ERR_PROBE_NOT_FOUND, or -ERR_PROBE_REF_AMBIGUOUS when two
 * or more report the serial; then the detail lists them and CANDS (up to
 * CAP, may be NULL) holds *N of them. */
int registry_resolve_ex(const char *ref, int *index, struct registry_candidate *cands, size_t cap,
			size_t *n);
int registry_resolve(const char *ref, int *index);
/* True when REF is an index in canonical decimal below REGISTRY_MAX_PROBES. */
bool registry_ref_is_index(const char *ref, int *index);
/* The listed probes (present or gone), lowest index first: up to CAP. */
size_t registry_brief(struct registry_candidate *out, size_t cap);
/* USB hotplug: compare with what is attached now (called every second). */
void registry_rescan_usb(void);

/* Copy of what a worker needs to open the probe. */
int registry_uri(int index, char *uri, size_t cap, char *serial, size_t serial_cap);
/* Reserve the probe for JOB_ID: fails with -ERR_PROBE_BUSY (naming the running
 * job) or when leased or gone. */
int registry_claim(int index, uint64_t job_id);
/* Replace the placeholder of a claim with the job's id once it exists. */
void registry_claim_set(int index, uint64_t job_id);
void registry_release(int index);
uint64_t registry_current_job(int index);
bool registry_available(int index, int *rc_out); /* not gone, not leased */

/* Exclusive use by an external tool for TTL_S seconds (monotonic clock). */
int registry_lease(int index, const char *holder, unsigned ttl_s);
int registry_unlease(int index, const char *holder, bool force);

void registry_set_identity(int index, const struct access_identity *d);
/* Opening the probe failed: it has been tried, whatever its serial is. */
void registry_set_open_failed(int index);
/* The probe has been opened once and its DAP_Info identity is known. */
bool registry_has_identity(int index);
void registry_set_target(int index, const struct probe_target_summary *t);

/* One listed probe as GET /probes shows it, copied under the table's lock. */
struct probe_view {
	int index;
	char serial[128];
	bool serial_unique;      /* no other listed probe reports it: the serial is a ref */
	char uri[TRANSPORT_URI_MAX];
	char location[64];       /* discovered: "VVVV:PPPP@BUS-PORTS"; else "" */
	char transport[12];      /* the kind (transport_ops name, or the scheme) */
	const char *probe_protocol; /* static: an access_ops name; NULL until found or opened */
	int target_mv;           /* VTref when last opened, in mV; -1: not measured */
	bool simulated;
	char vendor[64], product[128];
	bool has_identity;       /* opened once: the DAP_Info members below are known */
	char firmware[32], protocol[32];
	bool swd, jtag, swo, atomic; /* DAP_Info capabilities */
	unsigned packet_size, packet_count;
	uint16_t vid, pid;       /* discovered: the USB ids; else 0 */
	enum probe_state state;
	uint64_t job_id;         /* running or queued job; 0 none; UINT64_MAX claimed, its record being written */
	char lease_holder[64];   /* state == PROBE_LEASED */
	time_t lease_until;      /* wall clock, for display */
	bool has_target;
	struct probe_target_summary target;
};

/* Probe INDEX as listed: 0, or -ERR_PROBE_NOT_FOUND. */
int registry_view(int index, struct probe_view *out);
/* Every listed probe, lowest index first, up to CAP; *VERSION (may be
 * NULL) is the table's version the copy shows (registry_version). */
size_t registry_views(struct probe_view *out, size_t cap, uint64_t *version);
/* The table's version: it changes with every change a view shows, except
 * a lease running out, which the clock does: *LEASED says whether a lease
 * is held now (then a copy of an older view may be stale). */
uint64_t registry_version(bool *leased);
/* Probes present (not gone) by transport kind, for /metrics: a row for
 * every kind of the transport table (transport_kind_at), in its order,
 * then one for each other kind a listed probe shows (a scheme served by
 * several kinds, for a probe not opened yet). Returns the rows, at most CAP. */
struct registry_transport_count {
	const char *transport; /* static: a transport_ops name or scheme */
	unsigned count;
};
size_t registry_transport_counts(struct registry_transport_count *out, size_t cap);

/* Persistence in DIR/probes.json: the probes added through the API and the
 * index of every probe seen. Load before anything is added: a damaged file
 * is set aside with a warning and rdpd starts without it (probe_store.h). */
void registry_set_state_dir(const char *dir);
int registry_load_persistent(void);

#endif
