/*
 * Request bodies and journal snapshots: strict parsing with a low depth and
 * no trailing bytes, then a job snapshot read from whatever parsed.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_targets.h"
#include "jobs/job_internal.h"
#include "json_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	json_object *o;

	memcpy(buf, data, size);
	o = json_parse_strict(buf, size);
	if (o) {
		struct job *j = calloc(1, sizeof(*j));

		if (job_from_json(o, j) == 0) {
			json_object *back = job_to_json(j);

			json_object_put(back);
		}
		for (unsigned i = 0; i < j->n_log; i++)
			free(j->log[i]);
		free(j);
		json_level_to_tenths(o);
		json_object_put(o);
	}
	free(buf);
	return 0;
}
