/*
 * probe_registry.h - every probe rdpd knows: USB probes as they come and go,
 * network and simulated probes from the configuration or the API. Indices are
 * stable while a probe stays plugged in (a replugged probe gets its old index
 * back). One mutex guards the table; HTTP threads read snapshots of it.
 */
#ifndef RDPD_PROBE_REGISTRY_H
#define RDPD_PROBE_REGISTRY_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dap/dap.h"

#define REGISTRY_MAX_PROBES 64

enum probe_state { PROBE_IDLE, PROBE_BUSY, PROBE_LEASED, PROBE_GONE };

/* The last target read, as GET /probes shows it. */
struct probe_target_summary {
	char chip[48];
	char family[16];
	uint32_t dev_id;
	unsigned flash_kb;
	bool has_uid;          /* the 96-bit unique ID was read */
	uint32_t uid[3];       /* uid[0] = U_ID[31:0] (targets/target.h) */
	int rdp_level_tenths;  /* -1 unknown */
	uint32_t rdp_raw;
	time_t read_at;
};

/* Add a probe by URI (tcp:, sim:, or usb:SERIAL). PERSISTENT ones are saved
 * in the state directory. -ERR_INVALID_ARGUMENT when the URI is already there. */
int registry_add(const char *uri, bool persistent, int *index);
/* Remove a tcp/sim probe; USB probes come and go by themselves. */
int registry_remove(int index);
/* REF is an index or a serial number. -ERR_PROBE_NOT_FOUND otherwise. */
int registry_resolve(const char *ref, int *index);
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

void registry_set_identity(int index, const struct dap *d);
/* The probe has been opened once and its DAP_Info identity is known. */
bool registry_has_identity(int index);
void registry_set_target(int index, const struct probe_target_summary *t, const char *rdp_json);
/* The last GET /probes/{ref}/rdp answer (malloc'd text), or NULL. */
char *registry_last_rdp(int index);

json_object *registry_probe_json(int index);
json_object *registry_list_json(void);
/* GET /probes's body (malloc'd), rebuilt only when the table changed. */
char *registry_list_text(void);
/* Counts by transport for /metrics: usb-bulk, usb-hid, tcp, sim (present only). */
void registry_counts(unsigned out[4]);

/* Persistence of added probes: DIR/probes.json. */
void registry_set_state_dir(const char *dir);
int registry_load_persistent(void);

#endif
