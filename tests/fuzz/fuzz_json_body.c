/*
 * Request bodies and journal snapshots: the strict RFC 8259 check, json-c
 * behind it, a body schema, the canonical form, then a job snapshot read
 * from whatever parsed. Properties (abort on violation): json-c never
 * refuses what the strict check accepted (null aside, refused on purpose),
 * and the canonical text of any accepted value is itself accepted and
 * canonical.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fuzz_targets.h"
#include "jobs/job_internal.h"
#include "json_strict.h"
#include "json_util.h"

static const struct json_member fuzz_expect[] = {
	{"uid", JSON_MEMBER_STRING, NULL, 64},
	{"dev_id", JSON_MEMBER_STRING, NULL, 64},
	{NULL},
};

static const struct json_member fuzz_schema[] = {
	{"clock_hz", JSON_MEMBER_INT},
	{"connect", JSON_MEMBER_STRING},
	{"expect", JSON_MEMBER_OBJECT, fuzz_expect},
	{"level", JSON_MEMBER_NUMBER},
	{"holder", JSON_MEMBER_STRING},
	{NULL},
};

static void fuzz_canonical_round_trip(json_object *o)
{
	char *c = json_util_canonical(o), *again;
	json_object *back;

	if (!c)
		return;
	back = json_util_parse_strict(c, strlen(c));
	if (!back)
		abort(); /* rdpd wrote JSON it would refuse to read */
	again = json_util_canonical(back);
	if (!again || strcmp(c, again) != 0)
		abort();
	free(again);
	json_object_put(back);
	free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	json_object *o;
	char bad[64];
	int strict;

	memcpy(buf, data, size);
	strict = json_strict_check(buf, size);
	o = json_util_parse_strict(buf, size);
	/* The two readers agree; the one value json_util_parse_strict refuses after
	 * the check is a top-level null (json-c's NULL object). */
	if (strict == 0 && !o && !strstr(err_detail(), "is null"))
		abort();
	if (o) {
		struct job *j = calloc(1, sizeof(*j));

		json_util_check_members(o, fuzz_schema, bad, sizeof(bad));
		fuzz_canonical_round_trip(o);
		if (job_json_parse(o, j) == 0) {
			json_object *back = job_json_journal(j);

			json_object_put(back);
		}
		for (unsigned i = 0; i < j->n_log; i++)
			free(j->log[i]);
		free(j);
		json_util_level_to_tenths(o);
		json_object_put(o);
	}
	free(buf);
	return 0;
}
