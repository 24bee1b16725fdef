/*
 * routes_meta.c - /livez, /readyz, /metrics, /openapi.json and the
 * dashboard's fixed files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/assets.h"
#include "api/metrics.h"
#include "err.h"
#include "json_util.h"

#define METRICS_CAP_START 16384
#define METRICS_CAP_MAX (1024 * 1024)

static bool (*routes_meta_journal_ok)(void);

void routes_meta_set_journal_ok(bool (*fn)(void))
{
	routes_meta_journal_ok = fn;
}

enum MHD_Result routes_meta_livez(struct api_req *r)
{
	return reply_text(r, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n", 3);
}

enum MHD_Result routes_meta_readyz(struct api_req *r)
{
	json_object *o = json_object_new_object();
	bool journal = !routes_meta_journal_ok || routes_meta_journal_ok();

	json_object_object_add(o, "listening", json_object_new_boolean(true));
	json_object_object_add(o, "journal_writable", json_object_new_boolean(journal));
	json_object_object_add(o, "ready", json_object_new_boolean(journal));
	return reply_json(r, journal ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, o, NULL);
}

/* Every scrape renders into a buffer of its own: connection threads run at
 * once, and one shared buffer garbled concurrent scrapes. */
enum MHD_Result routes_meta_metrics(struct api_req *r)
{
	char *out = NULL;

	for (size_t cap = METRICS_CAP_START; cap <= METRICS_CAP_MAX; cap *= 2) {
		char *nb = realloc(out, cap);

		if (!nb)
			break;
		out = nb;
		if (metrics_render(out, cap) < cap)
			return reply_text_owned(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out);
	}
	free(out);
	return reply_problem(r, err_setf(ERR_NO_MEMORY, "the metrics did not fit in %d bytes, or memory "
					 "ran out", METRICS_CAP_MAX), NULL);
}

enum MHD_Result routes_meta_openapi(struct api_req *r)
{
	const struct asset *a = asset_find("/openapi.json");

	return reply_text(r, MHD_HTTP_OK, a->type, (const char *)a->data, a->len);
}

enum MHD_Result routes_meta_static(struct api_req *r)
{
	const struct asset *a = asset_find(strcmp(r->path, "/") == 0 ? "/index.html" : r->path);

	if (!a)
		return reply_problem(r, err_setf(ERR_NOT_FOUND, "No such file in the dashboard."), NULL);
	return reply_text(r, MHD_HTTP_OK, a->type, (const char *)a->data, a->len);
}
