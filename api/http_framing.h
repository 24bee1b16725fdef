/*
 * http_framing.h - a request's framing, checked before its body is read.
 */
#ifndef RDPD_HTTP_FRAMING_H
#define RDPD_HTTP_FRAMING_H

#include <stdint.h>

#include "api/api.h"

#define HTTP_FRAMING_CHUNKED UINT64_MAX /* *BODY_LEN of a chunked body */

/* From the request-begins callback (the request line is in, the header
 * fields are not): remember R's request-target as libmicrohttpd saw it. */
void http_framing_target(struct api_req *r, const char *uri);
/* At the first handler call: 0 when R's request line and header fields
 * frame one request unambiguously, with the declared body length in
 * *BODY_LEN (0 for none, HTTP_FRAMING_CHUNKED); else -ERR_HTTP_MALFORMED
 * and a detail naming what is wrong. VERSION is the handler's argument. */
int http_framing_check(const struct api_req *r, const char *version, uint64_t *body_len);

#endif
