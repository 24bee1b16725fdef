/*
 * http_errors.h - libmicrohttpd's own error answers, sent as problem+json.
 */
#ifndef RDPD_HTTP_ERRORS_H
#define RDPD_HTTP_ERRORS_H

#include <microhttpd.h>
#include <stdarg.h>

/* From the error logger, before the line is logged: notes that
 * libmicrohttpd is about to answer with an error page of its own, so that
 * its next MHD_queue_response() on this thread (http_errors.c) answers
 * with problem+json first and ends the connection. */
void http_errors_log(const char *fmt, va_list ap);

#endif
