/*
 * http_errors.c - libmicrohttpd's own error answers, sent as problem+json.
 *
 * libmicrohttpd 0.9.75 answers some requests itself, before rdpd's handler
 * is called or instead of calling it (connection.c
 * transmit_error_response_len()): 400 for a line it cannot parse, a bad
 * Content-Length or a bad chunked body, 413 for a Content-Length beyond 64
 * bits, 414 and 431 for a request line or header block beyond the
 * connection's memory, 505 for an HTTP version it does not speak. Its
 * answer is an HTML page; and when the fault is found in
 * parse_connection_headers() (a Content-Length it cannot read), the header
 * block goes out twice: MHD_connection_handle_idle() then moves the state
 * back to HEADERS_PROCESSED and builds the headers again at START_REPLY.
 *
 * 0.9.75 has no hook to replace such an answer, but it logs each one
 * through the error logger first ("Error processing request (HTTP
 * response code is %u ('%s'))") and then, on the same thread and for the
 * same connection, queues it through its exported MHD_queue_response(),
 * called through the library's PLT (objdump -d libmicrohttpd.so.12: the
 * call after MHD_create_response_from_buffer in the error path). rdpd's
 * executable defines MHD_queue_response and exports it (Makefile,
 * --export-dynamic-symbol), so the dynamic linker binds that call here;
 * every call goes on to the library's own (dlsym(RTLD_NEXT)). The call
 * that follows the log line names the connection: rdpd writes its
 * problem+json answer to the socket there and shuts the socket for
 * sending (shutdown(2) SHUT_WR): libmicrohttpd's own answer then fails to
 * send (EPIPE) and it closes the connection. Nothing else can be in
 * flight on the socket at that moment: libmicrohttpd sends a whole answer
 * before it reads the next request, and rdpd has not begun answering this
 * one (conn_guard_is_answering()). Where the binding does not happen (a
 * libmicrohttpd built to call itself directly), its HTML answer stays, and
 * tests/api/test_http_framing.py fails.
 *
 * libmicrohttpd's HTML answer also stays:
 * - under HTTPS: the socket carries TLS records that only GnuTLS may write;
 * - for a request line with no space at all: libmicrohttpd closes the
 *   connection without any answer.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "api/api.h"
#include "api/conn_guard.h"
#include "api/http_errors.h"
#include "err.h"

#define HTTP_ERRORS_LOG_PREFIX "Error processing request (HTTP response code is %u"

/* The status libmicrohttpd just logged it answers with, on this thread. */
static _Thread_local unsigned http_errors_pending;

/* The error row and the sentence for a status libmicrohttpd answers with;
 * 0 for one rdpd does not expect (libmicrohttpd's answer then stays). */
static int http_errors_row(unsigned status)
{
	switch (status) {
	case MHD_HTTP_BAD_REQUEST:
		return err_setf(ERR_HTTP_MALFORMED, "the request is not valid HTTP/1.1 (RFC 9112): a header "
				"line without a colon, a Content-Length that is not a number, or a broken "
				"chunked body");
	case MHD_HTTP_CONTENT_TOO_LARGE:
		return err_setf(ERR_HTTP_BODY_TOO_LARGE, "the Content-Length is beyond any size; request bodies "
				"are limited to %d KiB", API_MAX_BODY / 1024);
	case MHD_HTTP_URI_TOO_LONG:
		return err_setf(ERR_HTTP_URI_TOO_LONG, "the request line does not fit in the %d KiB rdpd keeps "
				"per connection; rdpd's paths are short", API_MEMORY_LIMIT / 1024);
	case MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE:
		return err_setf(ERR_HTTP_HEADERS_TOO_LARGE, "the header fields do not fit in the %d KiB rdpd "
				"keeps per connection: send fewer or shorter ones (cookies?)",
				API_MEMORY_LIMIT / 1024);
	case MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED:
		return err_setf(ERR_HTTP_VERSION, "rdpd speaks HTTP/1.1 and HTTP/1.0");
	case MHD_HTTP_INTERNAL_SERVER_ERROR:
		return err_setf(ERR_INTERNAL, "the request did not fit in the connection's memory; retry");
	default:
		return 0;
	}
}

void http_errors_log(const char *fmt, va_list ap)
{
	va_list copy;

	if (strncmp(fmt, HTTP_ERRORS_LOG_PREFIX, strlen(HTTP_ERRORS_LOG_PREFIX)) != 0)
		return;
	va_copy(copy, ap);
	http_errors_pending = va_arg(copy, unsigned);
	va_end(copy);
}

/* rdpd's answer for libmicrohttpd's STATUS on CONN's socket. */
static void http_errors_answer(struct MHD_Connection *conn, unsigned status)
{
	const union MHD_ConnectionInfo *ci;
	char answer[2048];
	size_t n;
	int rc;

	if (api_config()->tls_cert_pem || conn_guard_is_answering(conn))
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || !(rc = http_errors_row(status)) || !(n = reply_problem_wire(rc, answer, sizeof(answer))))
		return;
	/* Non-blocking: a client that reads nothing gets a cut answer, never a stuck thread. */
	(void)send(ci->connect_fd, answer, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(ci->connect_fd, SHUT_WR);
}

/* The library's own name, bound here for libmicrohttpd's calls too (see
 * the top of this file); rdpd's calls pass straight through. */
enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *resp)
{
	static enum MHD_Result (*_Atomic library)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
	unsigned pending = http_errors_pending;

	if (!library)
		library = (enum MHD_Result (*)(struct MHD_Connection *, unsigned int, struct MHD_Response *))
			dlsym(RTLD_NEXT, "MHD_queue_response");
	http_errors_pending = 0;
	if (pending && pending == status)
		http_errors_answer(conn, status);
	return library ? library(conn, status, resp) : MHD_NO;
}
