/*
 * http_framing.c - a request's framing, checked at its first handler call:
 * before any body is read and before any route runs.
 *
 * libmicrohttpd 0.9.75 is lenient where a proxy in front of rdpd may not
 * be, and a request the two read differently hides a second request in its
 * body (request smuggling, RFC 9112 11.2). Its connection.c:
 * - uses the first of several Content-Length fields and ignores the rest,
 *   and uses Transfer-Encoding when both are present, keeping both
 *   (parse_connection_headers());
 * - keeps "Content-Length : 5" as a field named "Content-Length " (with
 *   the space), so it reads no body at all (process_header_line());
 * - appends an obs-fold continuation line to the field's name and cuts a
 *   field value at a NUL byte (process_broken_line(), strlen());
 * - takes a bare CR or any other control byte into a value;
 * - serves HTTP/1.1 without Host unless MHD_USE_PEDANTIC_CHECKS is set.
 * Each of these is refused here with 400 and Connection: close (RFC 9112
 * 6.3: a message with invalid framing is an unrecoverable error), so the
 * bytes after the refused header block are never read as a request.
 *
 * Two Content-Length fields are refused even when they agree: RFC 9112
 * 6.3 lets a recipient treat identical ones as one, but a proxy that
 * merged them differently would be out of step with rdpd, and no client
 * rdpd serves sends two.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/http_framing.h"
#include "err.h"

#define HTTP_FRAMING_PORT_DIGITS 5

struct http_framing_scan {
	const char *end;           /* the end of the previous string, in MHD's buffer */
	int rc;                    /* the first refusal, or 0 */
	unsigned hosts, lengths, encodings;
	const char *host, *length, *encoding;
	size_t host_len, length_len, encoding_len;
};

/* The target is read here, before libmicrohttpd cuts the query off and
 * percent-decodes the path in place (parse_initial_message_line()): only
 * visible ASCII (RFC 3986 2, RFC 9112 3.2), so no space, no control byte. */
void http_framing_target(struct api_req *r, const char *uri)
{
	size_t n = uri ? strlen(uri) : 0;

	r->target_end = uri ? uri + n : NULL;
	r->target_bad = n == 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f)
			r->target_bad = true;
}

/* libmicrohttpd 0.9.75 parses the request in place: the request line and
 * every field line stay where they arrived in the connection's read
 * buffer, each line end (CR LF or LF) overwritten by NULs and each field's
 * colon by a NUL (connection.c get_next_header_line(),
 * process_header_line()). From the end of one string it hands out to the
 * start of the next there are then only the line end's NULs: between LO
 * and HI of them. Anything else there is bytes it dropped: a value's rest
 * after a NUL, or a folded line. */
static bool http_framing_adjacent(const char *end, const char *next, size_t lo, size_t hi)
{
	uintptr_t a = (uintptr_t)end, b = (uintptr_t)next;

	if (b < a + lo || b > a + hi)
		return false;
	for (; a < b; a++)
		if (*(const char *)a != '\0')
			return false;
	return true;
}

/* A field name is a token (RFC 9110 5.1, 5.6.2): tchar only, so no space
 * before the colon and no byte a proxy could read another way. */
static bool http_framing_name_ok(const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr("!#$%&'*+-.^_`|~", c))))
			return false;
	}
	return n > 0;
}

/* A field value holds no control byte but HTAB (RFC 9110 5.5): no NUL,
 * no bare CR or LF, no DEL. */
static bool http_framing_value_ok(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* uri-host [":" port] (RFC 9110 7.2, RFC 3986 3.2.2): an IP-literal in
 * brackets, or the characters of a reg-name or IPv4 address. No userinfo:
 * "127.0.0.1:1@evil.example" names evil.example to some parsers. */
static bool http_framing_host_ok(const char *h, size_t n)
{
	static const char reg_name[] = "-._~%!$&'()*+,;=";
	size_t i = 0;

	if (n && h[0] == '[') {
		for (i = 1; i < n && h[i] != ']'; i++)
			if (!h[i] || !strchr("0123456789abcdefABCDEF:.", h[i]))
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && h[i] != ':'; i++) {
			unsigned char c = (unsigned char)h[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      (c && strchr(reg_name, c))))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (h[i++] != ':' || n - i > HTTP_FRAMING_PORT_DIGITS)
		return false;
	return strspn(h + i, "0123456789") >= n - i;
}

static bool http_framing_is(const char *key, size_t len, const char *name)
{
	return len == strlen(name) && strncasecmp(key, name, len) == 0;
}

static enum MHD_Result http_framing_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
					  const char *value, size_t value_size)
{
	struct http_framing_scan *st = cls;

	(void)kind;
	if (!http_framing_adjacent(st->end, key, 1, 2))
		st->rc = err_setf(ERR_HTTP_MALFORMED, "a header line is folded onto the one before it "
				  "(obs-fold) or holds a NUL byte; send each field on one line");
	else if (!http_framing_name_ok(key, key_size))
		st->rc = err_setf(ERR_HTTP_MALFORMED, "a header field name holds a space or a byte a field "
				  "name cannot have (RFC 9110 5.1): write 'Name: value', no space before the colon");
	else if (!http_framing_value_ok(value, value_size))
		st->rc = err_setf(ERR_HTTP_MALFORMED, "the value of header field '%.40s' holds a control byte "
				  "(NUL, a bare CR or LF, DEL...)", key);
	if (st->rc)
		return MHD_NO;
	/* No trimming: libmicrohttpd compares these values whole (a
	 * "chunked " with a space is not chunked to it). */
	st->end = value + value_size;
	if (http_framing_is(key, key_size, MHD_HTTP_HEADER_HOST)) {
		st->hosts++;
		st->host = value;
		st->host_len = value_size;
	} else if (http_framing_is(key, key_size, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		st->lengths++;
		st->length = value;
		st->length_len = value_size;
	} else if (http_framing_is(key, key_size, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		st->encodings++;
		st->encoding = value;
		st->encoding_len = value_size;
	}
	return MHD_YES;
}

/* The request line: the target, one space, the version, all in place (a
 * NUL in the target hides the bytes after it from libmicrohttpd). */
static int http_framing_request_line(const struct api_req *r, const char *version)
{
	if (!r->target_end || !http_framing_adjacent(r->target_end, version, 1, 1))
		return err_setf(ERR_HTTP_MALFORMED, "the request line must be METHOD, one space, the path, one "
				"space, HTTP/1.1 (RFC 9112 3); this one has a NUL byte or a second space in it");
	if (r->target_bad)
		return err_setf(ERR_HTTP_MALFORMED, "the path holds a space, a control byte or a non-ASCII "
				"byte: percent-encode it (RFC 3986 2.1)");
	return 0;
}

/* Host, Content-Length and Transfer-Encoding, once all fields are seen. */
static int http_framing_fields(const struct http_framing_scan *st, bool http10, uint64_t *body_len)
{
	if (st->hosts > 1 || (!http10 && st->hosts == 0))
		return err_setf(ERR_HTTP_MALFORMED, "an HTTP/1.1 request carries exactly one Host field "
				"(RFC 9112 3.2); this one has %u", st->hosts);
	if (st->hosts && !http_framing_host_ok(st->host, st->host_len))
		return err_setf(ERR_HTTP_MALFORMED, "the Host field must be a host name or address and an "
				"optional :port (RFC 9110 7.2), with no user@ part and no other bytes");
	if (st->lengths && st->encodings)
		return err_setf(ERR_HTTP_MALFORMED, "a request has Content-Length or Transfer-Encoding, never "
				"both (RFC 9112 6.1: a proxy may read its body differently)");
	if (st->lengths > 1 || st->encodings > 1)
		return err_setf(ERR_HTTP_MALFORMED, "the request has %u Content-Length and %u "
				"Transfer-Encoding fields; send at most one", st->lengths, st->encodings);
	if (st->lengths && (st->length_len == 0 || st->length_len > 19 ||
			    strspn(st->length, "0123456789") < st->length_len))
		return err_setf(ERR_HTTP_MALFORMED, "Content-Length must be the body's length in decimal "
				"digits (RFC 9110 8.6)");
	if (st->encodings && (http10 || !http_framing_is(st->encoding, st->encoding_len, "chunked")))
		return err_setf(ERR_HTTP_MALFORMED, "Transfer-Encoding may only be 'chunked', and only in "
				"HTTP/1.1 (RFC 9112 6.1); send the body with Content-Length instead");
	*body_len = st->encodings ? HTTP_FRAMING_CHUNKED : st->lengths ? strtoull(st->length, NULL, 10) : 0;
	return 0;
}

int http_framing_check(const struct api_req *r, const char *version, uint64_t *body_len)
{
	const union MHD_ConnectionInfo *hs = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct http_framing_scan st = {.end = version + strlen(version)};
	int rc;

	*body_len = 0;
	if ((rc = http_framing_request_line(r, version)) < 0)
		return rc;
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, http_framing_field, &st);
	if (st.rc)
		return st.rc;
	/* The last line's end and the empty line that ends the header block. */
	if (!hs || !http_framing_adjacent(st.end, r->method + hs->header_size, 2, 4))
		return err_setf(ERR_HTTP_MALFORMED, "the last header line holds a NUL byte or is folded "
				"(obs-fold); send each field on one line");
	return http_framing_fields(&st, strcmp(version, MHD_HTTP_VERSION_1_0) == 0, body_len);
}
