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
 * response code is %u ('%s'))"), on the connection's own thread
 * (MHD_USE_THREAD_PER_CONNECTION), before queueing it. rdpd writes its
 * problem+json answer to the socket there and shuts the socket for
 * sending (shutdown(2) SHUT_WR): libmicrohttpd's own answer then fails to
 * send (EPIPE) and it closes the connection. Nothing else can be in
 * flight on the socket at that moment: libmicrohttpd sends a whole answer
 * before it reads the next request, and rdpd has not begun answering this
 * one (conn_guard_is_answering()).
 *
 * libmicrohttpd's HTML answer stays where this cannot work:
 * - under HTTPS: the socket carries TLS records that only GnuTLS may write;
 * - in the request line of a connection's first request (a bad version:
 *   400 or 505; a target beyond the memory limit: 414): the connection is
 *   known on its thread only from the request-begins callback, which runs
 *   after the version is read (parse_initial_message_line());
 * - a request line with no space at all: libmicrohttpd closes the
 *   connection without any answer.
 */
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>

#include "api/api.h"
#include "api/conn_guard.h"
#include "api/http_errors.h"
#include "err.h"

#define HTTP_ERRORS_LOG_PREFIX "Error processing request (HTTP response code is %u"

static _Thread_local struct MHD_Connection *http_errors_conn;

void http_errors_begin(struct MHD_Connection *conn)
{
	http_errors_conn = conn;
}

void http_errors_end(struct MHD_Connection *conn)
{
	if (http_errors_conn == conn)
		http_errors_conn = NULL;
}

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
	const union MHD_ConnectionInfo *ci;
	char answer[2048];
	unsigned status;
	size_t n;
	va_list copy;
	int rc;

	if (!http_errors_conn || api_config()->tls_cert_pem ||
	    strncmp(fmt, HTTP_ERRORS_LOG_PREFIX, strlen(HTTP_ERRORS_LOG_PREFIX)) != 0 ||
	    conn_guard_is_answering(http_errors_conn))
		return;
	va_copy(copy, ap);
	status = va_arg(copy, unsigned);
	va_end(copy);
	ci = MHD_get_connection_info(http_errors_conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci || !(rc = http_errors_row(status)) || !(n = reply_problem_wire(rc, answer, sizeof(answer))))
		return;
	/* Non-blocking: a client that reads nothing gets a cut answer, never a stuck thread. */
	(void)send(ci->connect_fd, answer, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(ci->connect_fd, SHUT_WR);
}
