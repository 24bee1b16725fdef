/*
 * test_json_api.c - what api/ serialises from the snapshots jobs/ and
 * probes/ hand it: a job as the API shows it carries the very members of
 * the journal's record of it (so a replayed job reads as it did), events
 * are the SSE text clients have always read, and GET /probes's kept text
 * follows every change of the table.
 */
#include <stdlib.h>
#include <unistd.h>

#include "api/json_job.h"
#include "api/json_probe.h"
#include "check.h"
#include "err.h"
#include "jobs/job_internal.h"
#include "json_util.h"

static uint64_t a_job(const char *serial)
{
	uint64_t id = 0;
	struct job_expect e = {.dev_id_set = true, .dev_id = 0x433};

	CHECK_EQ_I(job_create(JOB_KIND_UNLOCK, 0, serial, "sim:stm32f401re-rdp1", "test", NULL, NULL, 0,
			      JOB_CONNECT_NORMAL, &e, &id), 0);
	return id;
}

/* A job that ran and failed: every member the Job schema has is set. */
static uint64_t a_failed_job(void)
{
	struct job_result res = {.rdp_before = RDP_LEVEL_1, .rdp_after = RDP_LEVEL_1};
	uint64_t id = a_job("S1");

	job_set_state(id, JOB_RUNNING);
	job_set_step(id, JOB_STEP_CONNECT, JOB_STEP_RUNNING);
	job_set_step(id, JOB_STEP_CONNECT, JOB_STEP_DONE);
	job_set_progress(id, 42);
	job_add_log(id, "connected at 1000 kHz");
	job_set_chip(id, "STM32F401xD/E");
	job_finish(id, -ERR_PROBE_DISCONNECTED, "probe unplugged during the erase", &res);
	return id;
}

TEST(api_job_is_the_journal_record_without_its_own_members)
{
	uint64_t id = a_failed_job();
	struct job j;
	json_object *api, *rec;
	char *a, *b;

	CHECK_EQ_I(job_snapshot(id, &j), 0);
	api = json_job(&j);
	rec = job_json_journal(&j);
	json_object_object_del(rec, "_j");
	a = strdup(json_util_text(api, 0));
	b = strdup(json_util_text(rec, 0));
	CHECK_STR(a, b);
	CHECK(strstr(a, "\"error\":{\"code\":\"probe_disconnected\",\"detail\":\"probe unplugged during the erase\"}"));
	CHECK(strstr(a, "\"expect\":{\"dev_id\":\"0x433\"}"));
	CHECK(strstr(a, "\"result\":{\"rdp_before\":1,\"rdp_after\":1,"));
	free(a);
	free(b);
	json_object_put(api);
	json_object_put(rec);
	job_snapshot_free(&j);
	CHECK(json_job_by_id(999999) == NULL);
}

/* The SSE text of each kind of event, byte for byte as before they were
 * typed records; a chunk too small for the next event stops before it. */
TEST(events_are_the_sse_text_clients_read)
{
	static const char head[] = "id: 1\nevent: state\ndata: {\"state\":\"queued\"}\n\n"
				   "id: 2\nevent: state\ndata: {\"state\":\"running\"}\n\n"
				   "id: 3\nevent: step\ndata: {\"name\":\"connect\",\"state\":\"running\"}\n\n"
				   "id: 4\nevent: step\ndata: {\"name\":\"connect\",\"state\":\"done\"}\n\n"
				   "id: 5\nevent: progress\ndata: {\"progress_pct\":42}\n\n"
				   "id: 6\nevent: log\ndata: {\"line\":\"";
	uint64_t id = a_failed_job(), last = 0;
	char buf[4096], *log;
	bool done = false;
	size_t n = json_job_events_sse(id, 0, buf, sizeof(buf), &last, &done);

	CHECK_EQ_U(n, strlen(buf));
	CHECK(strncmp(buf, head, strlen(head)) == 0);
	log = strstr(buf, "id: 6\n");
	CHECK(log && strstr(log, " connected at 1000 kHz\"}\n\n"
				 "id: 7\nevent: state\ndata: {\"state\":\"failed\",\"error\":{\"code\":"
				 "\"probe_disconnected\",\"detail\":\"probe unplugged during the erase\"}}\n\n"));
	CHECK_EQ_U(last, 7);
	CHECK(done);
	n = json_job_events_sse(id, 0, buf, 60, &last, &done);
	CHECK(n == strlen("id: 1\nevent: state\ndata: {\"state\":\"queued\"}\n\n") && strncmp(buf, head, n) == 0);
	CHECK_EQ_U(last, 1);
	CHECK(!done);
	n = json_job_events_sse(id, 7, buf, sizeof(buf), &last, &done);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(last, 7);
	CHECK(done);
	n = json_job_events_sse(999999, 3, buf, sizeof(buf), &last, &done);
	CHECK(n == 0 && last == 3 && done); /* no such job: the stream ends */
}

/* Past the newest finished jobs' events, an old job keeps only its end. */
TEST(an_old_job_gives_its_end)
{
	uint64_t first = a_job("OLD"), last = 0;
	char buf[256];
	bool done = false;

	job_finish(first, -ERR_CANCELLED, "cancelled", NULL);
	for (int i = 0; i < 25; i++)
		job_finish(a_job("NEWER"), 0, NULL, NULL);
	json_job_events_sse(first, 0, buf, sizeof(buf), &last, &done);
	CHECK_STR(buf, "id: 2\nevent: state\ndata: {\"state\":\"cancelled\"}\n\n");
	CHECK(last == 2 && done);
}

TEST(probe_list_text_follows_the_table)
{
	char *a, *b, *c;
	int index = -1;

	a = json_probe_list_text(NULL);
	CHECK(a && strcmp(a, "{\n  \"probes\":[\n  ]\n}") == 0);
	CHECK_EQ_I(registry_add("sim:stm32f401re-rdp1?serial=LIST", false, &index), 0);
	b = json_probe_list_text(NULL);
	CHECK(b && strstr(b, "\"serial\":\"sim:stm32f401re-rdp1?serial=LIST\"") && strstr(b, "\"state\":\"idle\""));
	CHECK_EQ_I(registry_claim(index, 7), 0);
	c = json_probe_list_text(NULL);
	CHECK(c && strstr(c, "\"state\":\"busy\"") && strstr(c, "\"job\":\"/jobs/7\""));
	registry_release(index);
	free(c);
	c = json_probe_list_text(NULL);
	CHECK_STR(c, b);
	CHECK_EQ_I(registry_lease(index, "ci", 60), 0);
	free(c);
	c = json_probe_list_text(NULL);
	CHECK(c && strstr(c, "\"holder\":\"ci\""));
	CHECK_EQ_I(registry_unlease(index, "ci", false), 0);
	free(c);
	c = json_probe_list_text(NULL);
	CHECK_STR(c, b);
	/* A lease that runs out is no change of the table: the text follows. */
	CHECK_EQ_I(registry_lease(index, "ci", 1), 0);
	free(c);
	c = json_probe_list_text(NULL);
	CHECK(c && strstr(c, "\"holder\":\"ci\""));
	for (int waited = 0; waited < 10000 && c && strcmp(c, b) != 0; waited += 50) {
		usleep(50000);
		free(c);
		c = json_probe_list_text(NULL);
	}
	CHECK_STR(c, b);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	job_store_init(NULL);
	RUN(api_job_is_the_journal_record_without_its_own_members);
	RUN(events_are_the_sse_text_clients_read);
	RUN(an_old_job_gives_its_end);
	RUN(probe_list_text_follows_the_table);
	return check_summary();
}
