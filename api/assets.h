/*
 * assets.h - files compiled into the binary: the dashboard (web/) and the
 * OpenAPI document (api/openapi.json). A fixed table: no request path is ever
 * mapped onto the file system.
 */
#ifndef RDPD_ASSETS_H
#define RDPD_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;  /* "/app.js" */
	const char *type;  /* "text/javascript; charset=utf-8" */
	const unsigned char *data;
	size_t len;
};

extern const struct asset assets[];
extern const size_t n_assets;

const struct asset *asset_find(const char *path);

#endif
