/*
 * http_errors.h - libmicrohttpd's own error answers, sent as problem+json.
 */
#ifndef RDPD_HTTP_ERRORS_H
#define RDPD_HTTP_ERRORS_H

#include <microhttpd.h>
#include <stdarg.h>

/* From the request-begins callback, on the connection's own thread: the
 * connection this thread serves. */
void http_errors_begin(struct MHD_Connection *conn);
/* From MHD_CONNECTION_NOTIFY_CLOSED: forget CONN if this thread served it. */
void http_errors_end(struct MHD_Connection *conn);
/* From the error logger, before the line is logged: when libmicrohttpd is
 * about to answer this thread's connection with an error page of its own,
 * answer with problem+json first and end the connection. */
void http_errors_log(const char *fmt, va_list ap);

#endif
