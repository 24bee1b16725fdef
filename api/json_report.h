/*
 * json_report.h - the protection report as clients see it (the Protection
 * schema of api/openapi.json): GET /probes/{ref}/rdp and `rdpd rdp --json`,
 * from one function so that both say the same.
 */
#ifndef RDPD_JSON_REPORT_H
#define RDPD_JSON_REPORT_H

#include <json-c/json.h>

#include "jobs/rdp_report.h"

json_object *json_report(const struct rdp_report *r);

#endif
