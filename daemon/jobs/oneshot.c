/*
 * oneshot.c - one piece of work on a probe opened for it (oneshot.h).
 */
#include "jobs/oneshot.h"

#include <stdlib.h>
#include <time.h>

#include "err.h"

struct oneshot {
	struct probe_link *pl;
};

int oneshot_open(const char *uri, struct oneshot **out)
{
	struct oneshot *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return err_setf(ERR_NO_MEMORY, "out of memory");
	rc = probe_link_open(uri, &o->pl);
	if (rc < 0) {
		free(o);
		return rc;
	}
	*out = o;
	return 0;
}

void oneshot_close(struct oneshot *o)
{
	if (!o)
		return;
	probe_link_close(o->pl); /* keeps the failure's sentence */
	free(o);
}

void oneshot_probe(const struct oneshot *o, struct probe_link_info *out)
{
	probe_link_info_of(o->pl, out);
}

int oneshot_read(struct oneshot *o, int index, uint32_t clock_hz, enum job_connect_mode mode,
		 struct rdp_report *out)
{
	struct target_connect_opts co = unlock_job_connect_opts(clock_hz, mode);
	struct target t;
	struct target_protection p;
	int rc = unlock_job_read_rdp(&o->pl->a, &co, &t, &p);

	if (rc == 0)
		rdp_report_fill(out, index, o->pl->ac->id.serial, &t, &p, time(NULL));
	return rc;
}

int oneshot_change(struct oneshot *o, enum job_kind kind, uint32_t clock_hz, enum job_connect_mode mode,
		   const struct job_expect *expect, const struct job_events *ev, struct job_result *res)
{
	struct target_connect_opts co = unlock_job_connect_opts(clock_hz, mode);
	struct target t;

	return unlock_job_run_expect(&o->pl->a, kind, &co, expect, ev, &t, res);
}
