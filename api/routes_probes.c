/*
 * routes_probes.c - /probes: list, add, remove, read protection, unlock,
 * lock, lease. Handlers answer from the registry and the job store, and hand
 * probe I/O to the probe's worker.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/body.h"
#include "api/json_job.h"
#include "api/json_probe.h"
#include "api/json_report.h"
#include "err.h"
#include "jobs/job.h"
#include "jobs/worker.h"
#include "json_util.h"
#include "log.h"
#include "probes/registry.h"

#define API_RDP_TIMEOUT_MS 30000
#define API_WAIT_MAX_S 600
#define API_LEASE_MAX_S 86400

static json_object *routes_probes_job_link(uint64_t id)
{
	json_object *o = json_object_new_object();
	char link[40];

	snprintf(link, sizeof(link), "/jobs/%llu", (unsigned long long)id);
	json_object_object_add(o, "job", json_object_new_string(link));
	return o;
}

/* A candidate of an ambiguous ref, with the refs that name it alone. */
static json_object *routes_probes_candidate_json(const struct registry_candidate *c)
{
	json_object *o = json_object_new_object(), *refs = json_object_new_array();
	char index[16];

	snprintf(index, sizeof(index), "%d", c->index);
	json_object_array_add(refs, json_object_new_string(index));
	json_object_array_add(refs, json_object_new_string(c->uri));
	if (c->location[0] && strcmp(c->location, c->uri) != 0)
		json_object_array_add(refs, json_object_new_string(c->location));
	json_object_object_add(o, "index", json_object_new_int(c->index));
	json_object_object_add(o, "uri", json_object_new_string(c->uri));
	json_object_object_add(o, "serial", json_object_new_string(c->serial));
	json_object_object_add(o, "transport", json_object_new_string(c->transport));
	json_object_object_add(o, "product", json_object_new_string(c->product));
	json_object_object_add(o, "refs", refs);
	return o;
}

bool routes_probes_ref(struct api_req *r, const char *ref, int *index, enum MHD_Result *ret)
{
	struct registry_candidate cands[8];
	size_t n = 0;
	int rc = registry_resolve_ex(ref, index, cands, 8, &n);
	json_object *extra = NULL;

	if (rc == 0)
		return true;
	if (rc == -ERR_PROBE_REF_AMBIGUOUS) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(arr, routes_probes_candidate_json(&cands[i]));
		extra = json_object_new_object();
		json_object_object_add(extra, "candidates", arr);
	}
	*ret = reply_problem(r, rc, extra);
	return false;
}

/* {ref} -> index, or a 404 (409 when ambiguous) problem already queued (*ret). */
static bool routes_probes_param_ref(struct api_req *r, int *index, enum MHD_Result *ret)
{
	return routes_probes_ref(r, r->params[0], index, ret);
}

/* {"expect": {"uid": "<24 hex>", "dev_id": "0x433"}}: the chip the job must
 * find, either member or both, hex in either case; anything else is a 400
 * naming the member. */
static int routes_probes_expect(json_object *body, struct job_expect *e)
{
	json_object *x, *v;
	const char *s;

	memset(e, 0, sizeof(*e));
	if (!body || !json_object_object_get_ex(body, "expect", &x))
		return 0;
	if (!json_object_is_type(x, json_type_object) || json_object_object_length(x) == 0)
		return err_setf(ERR_BODY_MEMBER, "expect must be an object with uid, dev_id or "
				"both: {\"expect\": {\"uid\": \"<24 hex digits>\", \"dev_id\": \"0x433\"}}");
	json_object_object_foreach(x, key, val) {
		(void)val;
		if (strcmp(key, "uid") != 0 && strcmp(key, "dev_id") != 0)
			return err_setf(ERR_BODY_MEMBER, "expect.%.32s is not a member: use uid "
					"and dev_id", key);
	}
	if (json_object_object_get_ex(x, "uid", &v) &&
	    (!json_object_is_type(v, json_type_string) || unlock_job_expect_set_uid(e, json_object_get_string(v)) < 0))
		return err_setf(ERR_BODY_MEMBER, "expect.uid must be the chip's 96-bit "
				"unique ID as 24 hex digits, as GET /probes/{ref}/rdp shows it");
	if (json_object_object_get_ex(x, "dev_id", &v)) {
		s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
		if ((strncmp(s, "0x", 2) != 0 && strncmp(s, "0X", 2) != 0) || strlen(s) < 3 ||
		    strlen(s) > 5 || strspn(s + 2, "0123456789abcdefABCDEF") != strlen(s + 2))
			return err_setf(ERR_BODY_MEMBER, "expect.dev_id must be a hex string "
					"like \"0x433\" (DBGMCU_IDCODE[11:0])");
		e->dev_id = (uint16_t)strtoul(s + 2, NULL, 16);
		e->dev_id_set = true;
	}
	return 0;
}

/*
 * What each route's body may hold. A member the table does not name is a
 * 400 naming it, and so is one of another type, before the handler looks
 * at anything (body_parse). To add a member: one row here (name, type, for
 * an object its own table, for a string its longest length), then read it
 * in the handler, whose only remaining check is its range or meaning.
 */
static const struct json_member routes_probes_body_expect[] = {
	{"uid", JSON_MEMBER_STRING, NULL, 64},    /* the STM32 96-bit unique ID, hex */
	{"dev_id", JSON_MEMBER_STRING, NULL, 64}, /* "0x433" */
	{NULL},
};

#define BODY_JOB_MEMBERS                                                                            \
	{"clock_hz", JSON_MEMBER_INT}, {"connect", JSON_MEMBER_STRING, NULL, 32},                   \
	{"expect", JSON_MEMBER_OBJECT, routes_probes_body_expect}

static const struct json_member routes_probes_body_unlock[] = {BODY_JOB_MEMBERS, {NULL}};
static const struct json_member routes_probes_body_lock[] = {BODY_JOB_MEMBERS, {"level", JSON_MEMBER_NUMBER}, {NULL}};
static const struct json_member routes_probes_body_lease[] = {
	{"ttl_s", JSON_MEMBER_INT},
	{"holder", JSON_MEMBER_STRING},
	{NULL},
};
static const struct json_member routes_probes_body_probe_add[] = {{"uri", JSON_MEMBER_STRING}, {NULL}};

/* Connect options from a checked body: {"clock_hz": N, "connect": "normal"|"under-reset"}. */
static int routes_probes_connect_opts(json_object *body, uint32_t *clock_hz, enum job_connect_mode *mode)
{
	json_object *v;

	*clock_hz = 0;
	*mode = JOB_CONNECT_AUTO;
	if (!body)
		return 0;
	if (json_object_object_get_ex(body, "clock_hz", &v)) {
		int64_t hz = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || hz < 1000 || hz > 50000000)
			return err_setf(ERR_INVALID_ARGUMENT,
					"clock_hz must be an integer from 1000 to 50000000 (Hz)");
		*clock_hz = (uint32_t)hz;
	}
	if (json_object_object_get_ex(body, "connect", &v)) {
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

		if (!unlock_job_connect_mode_from_name(s, mode))
			return err_setf(ERR_INVALID_ARGUMENT, "connect must be \"normal\" or \"under-reset\"");
	}
	return 0;
}

/* The hottest request: a repeat while the table stands still queues the
 * answer built for its version. While a lease is held the text is built
 * every time: a lease runs out by the clock, not by a change of the table. */
enum MHD_Result routes_probes_list(struct api_req *r)
{
	static struct reply_kept kept = REPLY_KEPT_INIT;
	bool leased;
	uint64_t version = registry_version(&leased);
	enum MHD_Result ret;
	char *text;

	if (!leased && reply_kept_queue(r, &kept, version, &ret))
		return ret;
	text = json_probe_list_text(&version);
	return text ? reply_kept_text(r, &kept, leased ? 0 : version, MHD_HTTP_OK, "application/json", text)
		    : MHD_NO;
}

enum MHD_Result routes_probes_get(struct api_req *r)
{
	enum MHD_Result ret = MHD_NO;
	int index;

	if (!routes_probes_param_ref(r, &index, &ret))
		return ret;
	return reply_json(r, MHD_HTTP_OK, json_probe_by_index(index), NULL);
}

enum MHD_Result routes_probes_add(struct api_req *r)
{
	json_object *body = NULL, *v;
	const char *uri;
	char loc[32], bad[64];
	int index = -1, rc = body_parse(r, routes_probes_body_probe_add, &body, bad, sizeof(bad));

	if (rc < 0)
		return body_problem(r, rc, bad);
	uri = json_object_object_get_ex(body, "uri", &v) ? json_object_get_string(v) : NULL;
	if (!uri) {
		char forms[128];

		json_object_put(body);
		rc = err_setf(ERR_BODY_MEMBER, "send {\"uri\": \"URI\"} with the probe's URI: %s",
			      registry_addable_forms(forms, sizeof(forms)));
		return body_problem(r, rc, "uri");
	}
	rc = registry_add_by_client(uri, &index);
	if (rc == 0)
		log_notice("probe %d added: %s (by %s)", index, uri, r->who);
	json_object_put(body); /* URI pointed into it */
	if (rc == -ERR_PROBE_EXISTS) {
		json_object *extra = json_object_new_object();

		snprintf(loc, sizeof(loc), "/probes/%d", index);
		json_object_object_add(extra, "probe", json_object_new_string(loc));
		return reply_problem(r, rc, extra);
	}
	if (rc < 0)
		return body_problem(r, rc, rc == -ERR_PROBE_URI_INVALID ? "uri" : "");
	/* The worker opens it (probe I/O never runs on an HTTP thread); the
	 * answer is what the registry knows now, and the serial, firmware and
	 * packet size fill in on GET /probes/{ref} once it has. */
	worker_probe_identity(index);
	snprintf(loc, sizeof(loc), "/probes/%d", index);
	return reply_json(r, MHD_HTTP_CREATED, json_probe_by_index(index), loc);
}

enum MHD_Result routes_probes_delete(struct api_req *r)
{
	enum MHD_Result ret = MHD_NO;
	int index, rc;

	if (!routes_probes_param_ref(r, &index, &ret))
		return ret;
	rc = registry_remove(index);
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	log_notice("probe %d removed (by %s)", index, r->who);
	return reply_text(r, MHD_HTTP_NO_CONTENT, "text/plain", "", 0);
}

static enum MHD_Result routes_probes_reply_busy(struct api_req *r, uint64_t job)
{
	unsigned pct = 0;
	enum job_state st;

	job_state_of(job, &st, &pct);
	err_setf(ERR_PROBE_BUSY, "The probe is running job %llu (%u%%). Wait for it or follow /jobs/%llu/events.",
		 (unsigned long long)job, pct, (unsigned long long)job);
	return reply_problem(r, -ERR_PROBE_BUSY, routes_probes_job_link(job));
}

/* The worker has the answer: resume the request (on the worker's thread). */
static void routes_probes_rdp_read_done(void *ctx)
{
	park_signal(ctx);
}

/* GET /probes/{ref}/rdp once the worker answered, or its time ran out. */
static enum MHD_Result routes_probes_rdp_answer(struct api_req *r)
{
	char detail[ERR_DETAIL_MAX];
	struct rdp_report report;
	enum MHD_Result ret;
	json_object *o;
	const char *text;
	int rc = worker_read_result(r->rdp_read, &report, detail, sizeof(detail));

	if (rc == 1 && api_park(r, routes_probes_rdp_answer))
		return MHD_YES;
	if (rc == 1 && r->park.why == PARK_WAKE_STOP)
		return reply_problem(r, err_setf(ERR_SHUTTING_DOWN, "rdpd is stopping; read the protection "
						 "again once it is back"), NULL);
	if (rc == 1)
		return reply_problem(r, err_setf(ERR_PROBE_TIMEOUT, "the probe's worker did not finish the read "
						 "within %d ms; it may still be busy with an earlier request",
						 API_RDP_TIMEOUT_MS), NULL);
	if (rc < 0) {
		err_setf((enum err_code)-rc, "%s", detail);
		return reply_problem(r, rc, NULL);
	}
	o = json_report(&report);
	text = json_util_text(o, 0);
	ret = reply_text(r, MHD_HTTP_OK, "application/json", text, strlen(text));
	json_object_put(o);
	return ret;
}

enum MHD_Result routes_probes_rdp(struct api_req *r)
{
	const char *q_clock = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "clock_hz");
	const char *q_mode = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "connect");
	json_object *opts = json_object_new_object();
	enum job_connect_mode mode;
	enum MHD_Result ret = MHD_NO;
	uint32_t clock_hz;
	uint64_t job;
	int index, rc;

	if (!routes_probes_param_ref(r, &index, &ret)) {
		json_object_put(opts);
		return ret;
	}
	if (q_clock)
		json_object_object_add(opts, "clock_hz", json_object_new_int64(strtoll(q_clock, NULL, 10)));
	if (q_mode)
		json_object_object_add(opts, "connect", json_object_new_string(q_mode));
	rc = routes_probes_connect_opts(opts, &clock_hz, &mode);
	json_object_put(opts);
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	if ((job = registry_current_job(index)))
		return routes_probes_reply_busy(r, job);
	park_init(&r->park, r->conn, 0, park_now_ms() + API_RDP_TIMEOUT_MS);
	rc = worker_read_start(index, clock_hz, mode, routes_probes_rdp_read_done, &r->park, &r->rdp_read);
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	return routes_probes_rdp_answer(r);
}

/* ?wait=: the job's record once it ended, its time ran out or the client
 * left; until then the connection is parked and woken by each event. */
static enum MHD_Result routes_probes_reply_job_wait(struct api_req *r)
{
	char loc[40];
	enum job_state st = JOB_QUEUED;
	uint64_t id = r->wait_job;

	r->park.seq = job_last_seq(id); /* before the state: an event in between wakes it */
	if (job_state_of(id, &st, NULL) == 0 && !job_state_final(st) && api_park(r, routes_probes_reply_job_wait))
		return MHD_YES;
	snprintf(loc, sizeof(loc), "/jobs/%llu", (unsigned long long)id);
	/* A finished job under ?wait= is a plain 200; otherwise the work goes on: 202. */
	return reply_json(r, job_state_final(st) ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED, json_job_by_id(id), loc);
}

static enum MHD_Result routes_probes_reply_job(struct api_req *r, uint64_t id, unsigned wait_s, bool fresh)
{
	char loc[40];
	enum job_state st = JOB_QUEUED;

	if (wait_s) {
		r->wait_job = id;
		park_init(&r->park, r->conn, id, park_now_ms() + wait_s * 1000LL);
		return routes_probes_reply_job_wait(r);
	}
	job_state_of(id, &st, NULL);
	snprintf(loc, sizeof(loc), "/jobs/%llu", (unsigned long long)id);
	return reply_json(r, job_state_final(st) && !fresh ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED,
			  json_job_by_id(id), loc);
}

/* Another request has claimed the probe and is writing its job record:
 * the job's id follows within milliseconds. The request is parked in 2 ms
 * steps, at most 100, rather than sleeping on one of the few HTTP threads. */
static enum MHD_Result routes_probes_busy_answer(struct api_req *r)
{
	uint64_t running = registry_current_job(r->busy_index);

	while (running == UINT64_MAX && r->busy_tries++ < 100) {
		park_init(&r->park, r->conn, 0, park_now_ms() + 2);
		if (api_park(r, routes_probes_busy_answer))
			return MHD_YES;
		if (r->park.why != PARK_WAKE_DEADLINE)
			break; /* stopping, or the client left */
		running = registry_current_job(r->busy_index);
	}
	if (running && running != UINT64_MAX)
		return routes_probes_reply_busy(r, running);
	return reply_problem(r, err_setf(ERR_PROBE_BUSY, "Probe %d is starting another job; send the request "
					 "again in a moment.", r->busy_index), NULL);
}

/* Idempotency-Key: RFC 9110 field value characters, printable ASCII only
 * (it is journaled and may reach a log line). */
static bool routes_probes_idem_key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e)
			return false;
	return true;
}

/* Level 2 is permanent: rdpd never offers it, and says so. */
static int routes_probes_lock_level_ok(json_object *body)
{
	json_object *v;

	return json_object_object_get_ex(body, "level", &v) ? unlock_job_lock_level_check(json_util_level_to_tenths(v)) : 0;
}

static enum MHD_Result routes_probes_start_job(struct api_req *r, enum job_kind kind)
{
	const char *idem = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Idempotency-Key");
	const char *wait_q = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "wait");
	json_object *body = NULL;
	enum MHD_Result ret = MHD_NO;
	unsigned wait_s = 0;
	uint32_t clock_hz;
	uint64_t id, existing = 0;
	char serial[128], uri[192], bad[64], *canon = NULL;
	struct job_expect expect;
	enum job_connect_mode mode;
	int index, rc;

	if (!routes_probes_param_ref(r, &index, &ret))
		return ret;
	if (idem && !routes_probes_idem_key_ok(idem)) {
		err_setf(ERR_INVALID_ARGUMENT, "Idempotency-Key must be 1 to 100 printable ASCII characters");
		return reply_problem(r, -ERR_INVALID_ARGUMENT, NULL);
	}
	if (wait_q) {
		char *end = NULL;
		long w = strtol(wait_q, &end, 10);

		if (!*wait_q || *end || w < 0 || w > API_WAIT_MAX_S) {
			err_setf(ERR_INVALID_ARGUMENT, "wait must be a number of seconds from 0 to %d", API_WAIT_MAX_S);
			return reply_problem(r, -ERR_INVALID_ARGUMENT, NULL);
		}
		wait_s = (unsigned)w;
	}
	rc = body_parse(r, kind == JOB_KIND_LOCK ? routes_probes_body_lock : routes_probes_body_unlock, &body, bad,
			sizeof(bad));
	if (rc == 0 && kind == JOB_KIND_LOCK)
		rc = routes_probes_lock_level_ok(body);
	if (rc == 0)
		rc = routes_probes_connect_opts(body, &clock_hz, &mode);
	if (rc == 0 && (rc = routes_probes_expect(body, &expect)) < 0)
		snprintf(bad, sizeof(bad), "expect");
	/* A key binds to its whole request: this probe, this action, this body
	 * (canonical, so a retry that respaces it is still the same request). */
	if (rc == 0 && idem && !(canon = json_util_canonical(body)))
		rc = err_setf(ERR_NO_MEMORY, "out of memory");
	json_object_put(body);
	if (rc == 0)
		rc = registry_uri(index, uri, sizeof(uri), serial, sizeof(serial));
	if (rc == 0 && idem)
		rc = job_find_idempotent(idem, kind, index, uri, canon, &existing);
	if (rc < 0) {
		free(canon);
		return body_problem(r, rc, bad);
	}
	if (existing) {
		free(canon);
		return routes_probes_reply_job(r, existing, wait_s, false); /* a retried request: the same job */
	}
	if ((rc = registry_claim(index, UINT64_MAX)) < 0) {
		uint64_t running = registry_current_job(index);

		free(canon);
		r->busy_index = index;
		if (running == UINT64_MAX)
			return routes_probes_busy_answer(r);
		return running ? routes_probes_reply_busy(r, running) : reply_problem(r, rc, NULL);
	}
	rc = job_create(kind, index, serial, uri, r->who, idem, canon, clock_hz, mode, &expect, &id);
	free(canon);
	if (rc < 0) {
		registry_release(index);
		return reply_problem(r, rc, NULL);
	}
	registry_claim_set(index, id);
	log_notice("audit: job %llu %s of probe %d (%s) requested by %s", (unsigned long long)id,
		   job_kind_name(kind), index, serial, r->who);
	rc = worker_submit_job(index, id, clock_hz, mode);
	if (rc < 0) {
		job_finish(id, rc, err_detail(), NULL);
		registry_release(index);
		return reply_problem(r, rc, routes_probes_job_link(id));
	}
	return routes_probes_reply_job(r, id, wait_s, true);
}

enum MHD_Result routes_probes_unlock(struct api_req *r)
{
	return routes_probes_start_job(r, JOB_KIND_UNLOCK);
}

enum MHD_Result routes_probes_lock(struct api_req *r)
{
	return routes_probes_start_job(r, JOB_KIND_LOCK);
}

/* A lease holder is shown by GET /probes and written to the log: 1 to 63
 * bytes, no control characters (the strict check already made it UTF-8). */
static int routes_probes_lease_holder_ok(const char *h)
{
	size_t n = strlen(h);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)h[i] < 0x20 || h[i] == 0x7f)
			n = 0;
	if (n == 0 || n > 63)
		return err_setf(ERR_INVALID_ARGUMENT, "holder must be 1 to 63 bytes of text without "
				"control characters (a name such as \"ci-runner-3\")");
	return 0;
}

enum MHD_Result routes_probes_lease(struct api_req *r)
{
	json_object *body = NULL, *v;
	const char *holder = r->who;
	int64_t ttl = 300;
	enum MHD_Result ret = MHD_NO;
	char bad[64];
	int index, rc;

	if (!routes_probes_param_ref(r, &index, &ret))
		return ret;
	if ((rc = body_parse(r, routes_probes_body_lease, &body, bad, sizeof(bad))) < 0)
		return body_problem(r, rc, bad);
	if (json_object_object_get_ex(body, "ttl_s", &v)) {
		ttl = json_object_get_int64(v);
		if (ttl < 1 || ttl > API_LEASE_MAX_S)
			rc = err_setf(ERR_INVALID_ARGUMENT, "ttl_s must be 1 to %d seconds", API_LEASE_MAX_S);
		snprintf(bad, sizeof(bad), "ttl_s");
	}
	if (rc == 0 && json_object_object_get_ex(body, "holder", &v)) {
		holder = json_object_get_string(v);
		snprintf(bad, sizeof(bad), "holder");
		rc = routes_probes_lease_holder_ok(holder);
		/* The holder is who may release it: a token leases in its own
		 * name; only an admin may lease for someone else. */
		if (rc == 0 && strcmp(holder, r->who) != 0 && r->role < API_ROLE_ADMIN)
			rc = err_setf(ERR_HOLDER_FORBIDDEN,
				      "your token leases in its own name (\"%s\"); only an admin token may "
				      "name another holder. Leave holder out.", r->who);
	}
	if (rc < 0) {
		json_object_put(body);
		return body_problem(r, rc, bad);
	}
	rc = registry_lease(index, holder, (unsigned)ttl);
	if (rc == 0)
		log_notice("probe %d leased by %s for %lld s (by %s)", index, holder, (long long)ttl, r->who);
	json_object_put(body); /* HOLDER may point into it */
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	return reply_json(r, MHD_HTTP_OK, json_probe_by_index(index), NULL);
}

enum MHD_Result routes_probes_unlease(struct api_req *r)
{
	enum MHD_Result ret = MHD_NO;
	int index, rc;

	if (!routes_probes_param_ref(r, &index, &ret))
		return ret;
	/* Released by the holder's own token, or by an admin. */
	rc = registry_unlease(index, r->who, r->role >= API_ROLE_ADMIN);
	if (rc < 0)
		return reply_problem(r, rc, NULL);
	return reply_json(r, MHD_HTTP_OK, json_probe_by_index(index), NULL);
}
