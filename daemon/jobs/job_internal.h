/*
 * job_internal.h - what job.c and job_json.c share and nobody else needs:
 * the journal's record of a job.
 */
#ifndef RDPD_JOB_INTERNAL_H
#define RDPD_JOB_INTERNAL_H

#include <json-c/json.h>

#include "jobs/job.h"

/* The journal's record of J: the members of the API's Job (so a record
 * reads as the job it was) and journal-only ones in "_j". */
json_object *job_json_journal(const struct job *j);
/* Fill J from a journal snapshot; 0 or -ERR_INVALID_ARGUMENT. */
int job_json_parse(json_object *o, struct job *j);
int job_state_from_name(const char *s);

#endif
