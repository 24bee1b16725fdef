/*
 * tcp.c - CMSIS-DAP over TCP in the framing of OpenOCD's cmsis_dap_tcp
 * backend (src/jtag/drivers/cmsis_dap_tcp.c), as wireless ESP32 probes and
 * rdpd-sim speak it: every packet is prefixed by an 8-byte little-endian
 * header {u32 signature "DAP\0", u16 payload length, u8 type, u8 reserved};
 * type 1 = request, 2 = response. Default port 4441.
 *
 * URI: tcp:HOST[:PORT]: a DNS name or IPv4 address, or an IPv6 literal in
 * brackets (RFC 3986 section 3.2.2: tcp:[fe80::1%eth0]:4441); PORT 1 to
 * 65535 in decimal, 4441 when left out.
 */
#include "transport/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

#define TCP_SIGNATURE 0x00504144u
#define TCP_HEADER_LEN 8
#define TCP_TYPE_REQUEST 0x01
#define TCP_TYPE_RESPONSE 0x02
#define TCP_DEFAULT_PORT "4441"
#define TCP_CONNECT_TIMEOUT_MS 3000
#define TCP_HOST_MAX 253 /* RFC 1035 section 2.3.4, without the final dot */

struct tcp_transport {
	struct transport base;
	int fd;
	char where[TCP_HOST_MAX + 10];
};

/* A DNS name or dotted IPv4 address: letters, digits, '-', '_' and '.'
 * between labels of 1 to 63 bytes. */
static bool tcp_host_name_ok(const char *h, size_t len)
{
	size_t label = 0;

	if (len == 0 || len > TCP_HOST_MAX + 1 || (len > TCP_HOST_MAX && h[len - 1] != '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return false; /* "..", or a leading dot */
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* The inside of "[...]": an IPv6 address, optionally with a zone ("%eth0"). */
static bool tcp_host_v6_ok(const char *h, size_t len)
{
	char a[64];
	struct in6_addr in6;
	const char *zone = memchr(h, '%', len);
	size_t alen = zone ? (size_t)(zone - h) : len;

	if (alen == 0 || alen >= sizeof(a))
		return false;
	if (zone && !tcp_host_name_ok(zone + 1, len - alen - 1))
		return false;
	memcpy(a, h, alen);
	a[alen] = '\0';
	return inet_pton(AF_INET6, a, &in6) == 1;
}

/*
 * Split ADDR into HOST (brackets removed) and PORT, checking both: the
 * parser of tcp_validate and tcp_open alike. 0, or -ERR_PROBE_URI_INVALID
 * with a sentence.
 */
static int tcp_parse(const char *addr, char *host, size_t host_cap, char *port, size_t port_cap)
{
	const char *p = addr, *colon, *hs = addr;
	size_t hlen;
	bool v6 = false;

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close)
			return err_setf(ERR_PROBE_URI_INVALID, "'tcp:%s': the IPv6 address has no closing ']'", addr);
		hs = p + 1;
		hlen = (size_t)(close - hs);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (!colon && close[1])
			return err_setf(ERR_PROBE_URI_INVALID, "'tcp:%s': only :PORT may follow ']'", addr);
		v6 = true;
	} else {
		colon = strchr(p, ':');
		if (colon && strchr(colon + 1, ':'))
			return err_setf(ERR_PROBE_URI_INVALID, "'tcp:%s': an IPv6 address goes in brackets, "
					"e.g. tcp:[::1]:4441", addr);
		hlen = colon ? (size_t)(colon - p) : strlen(p);
	}
	if (hlen == 0)
		return err_setf(ERR_PROBE_URI_INVALID,
				"'tcp:%s' names no host: use tcp:HOST:PORT (example: tcp:192.168.1.50:4441)", addr);
	if (hlen >= host_cap || !(v6 ? tcp_host_v6_ok(hs, hlen) : tcp_host_name_ok(hs, hlen)))
		return err_setf(ERR_PROBE_URI_INVALID,
				"'tcp:%s': the host is not a DNS name, an IPv4 address or a bracketed IPv6 "
				"address", addr);
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (!colon) {
		snprintf(port, port_cap, "%s", TCP_DEFAULT_PORT);
		return 0;
	}
	colon++;
	if (!*colon || strlen(colon) > 5 || strspn(colon, "0123456789") != strlen(colon) || colon[0] == '0' ||
	    atoi(colon) > 65535)
		return err_setf(ERR_PROBE_URI_INVALID,
				"'tcp:%s': the port must be a number from 1 to 65535 (CMSIS-DAP servers use 4441)",
				addr);
	snprintf(port, port_cap, "%s", colon);
	return 0;
}

static int tcp_validate(const char *addr)
{
	char host[TCP_HOST_MAX + 2], port[8];

	return tcp_parse(addr, host, sizeof(host), port, sizeof(port));
}

static int tcp_connect_one(const struct addrinfo *ai)
{
	struct pollfd pfd;
	int fd, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		goto fail;
	pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&pfd, 1, TCP_CONNECT_TIMEOUT_MS) != 1) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		errno = soerr ? soerr : errno;
		goto fail;
	}
	/* Small request/response packets: Nagle would add 40 ms per round trip. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:;
	int e = errno;

	close(fd);
	return -e;
}

static int tcp_open(const char *addr, struct transport **out)
{
	char host[TCP_HOST_MAX + 2], port[8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	struct tcp_transport *tt;
	int fd = -ENOENT, gai, rc;

	if ((rc = tcp_parse(addr, host, sizeof(host), port, sizeof(port))) < 0)
		return rc;
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0)
		return err_setf(ERR_PROBE_NOT_FOUND, "cannot resolve %s: %s", host, gai_strerror(gai));
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = tcp_connect_one(ai);
	freeaddrinfo(res);
	if (fd < 0)
		return err_setf(ERR_PROBE_OPEN_FAILED,
				"cannot connect to CMSIS-DAP server %s:%s: %s; check that the probe "
				"is powered and on the network and that nothing else is connected to it",
				host, port, strerror(-fd));
	tt = calloc(1, sizeof(*tt));
	if (!tt) {
		close(fd);
		return err_setf(ERR_NO_MEMORY, "out of memory");
	}
	tt->fd = fd;
	tt->base.ops = &tcp_ops;
	tt->base.packet_size = TRANSPORT_MAX_PACKET; /* until DAP_Info 0xFF says otherwise */
	snprintf(tt->where, sizeof(tt->where), "%s:%s", host, port);
	snprintf(tt->base.info.uri, sizeof(tt->base.info.uri), "%s:%s", tcp_ops.scheme, addr);
	snprintf(tt->base.info.serial, sizeof(tt->base.info.serial), "tcp-%.120s", tt->where);
	tt->base.info.transport = tcp_ops.name;
	tt->base.info.protocol = "cmsis-dap";
	*out = &tt->base;
	return 0;
}

static int64_t tcp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int tcp_io_error(struct tcp_transport *tt, const char *what, int e)
{
	return err_setf(ERR_PROBE_DISCONNECTED, "%s %s: %s", what, tt->where,
			e ? strerror(e) : "connection closed by the probe");
}

static int tcp_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;
	uint8_t pkt[TCP_HEADER_LEN + TRANSPORT_MAX_PACKET];
	size_t total = TCP_HEADER_LEN + len, done = 0;

	if (len > TRANSPORT_MAX_PACKET)
		return err_setf(ERR_INTERNAL, "command too long for TCP framing");
	pkt[0] = 0x44, pkt[1] = 0x41, pkt[2] = 0x50, pkt[3] = 0x00; /* "DAP\0" */
	pkt[4] = (uint8_t)len, pkt[5] = (uint8_t)(len >> 8);
	pkt[6] = TCP_TYPE_REQUEST, pkt[7] = 0;
	memcpy(pkt + TCP_HEADER_LEN, buf, len);
	while (done < total) {
		ssize_t n = send(tt->fd, pkt + done, total - done, MSG_NOSIGNAL);

		if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pfd = {.fd = tt->fd, .events = POLLOUT};

			if (errno == EAGAIN && poll(&pfd, 1, 1000) != 1)
				return tcp_io_error(tt, "send to", ETIMEDOUT);
			continue;
		}
		if (n <= 0)
			return tcp_io_error(tt, "send to", n < 0 ? errno : 0);
		done += (size_t)n;
	}
	return 0;
}

/* Read exactly LEN bytes before DEADLINE (monotonic ms). */
static int tcp_read_exact(struct tcp_transport *tt, uint8_t *buf, size_t len, int64_t deadline)
{
	size_t done = 0;

	while (done < len) {
		struct pollfd pfd = {.fd = tt->fd, .events = POLLIN};
		int64_t left = deadline - tcp_now_ms();
		ssize_t n;

		if (left <= 0)
			return err_setf(ERR_PROBE_TIMEOUT, "no response from %s", tt->where);
		if (poll(&pfd, 1, (int)left) == 0)
			continue;
		n = recv(tt->fd, buf + done, len - done, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return tcp_io_error(tt, "receive from", n < 0 ? errno : 0);
		done += (size_t)n;
	}
	return 0;
}

static int tcp_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;
	int64_t deadline = tcp_now_ms() + timeout_ms;
	uint8_t hdr[TCP_HEADER_LEN];
	uint32_t sig;
	size_t plen;
	int rc;

	rc = tcp_read_exact(tt, hdr, sizeof(hdr), deadline);
	if (rc < 0)
		return rc;
	sig = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
	plen = (size_t)hdr[4] | (size_t)hdr[5] << 8;
	/* As OpenOCD: a wrong signature or type, or a length past the packet size,
	 * means the stream is out of step; nothing after it can be trusted. */
	if (sig != TCP_SIGNATURE || hdr[6] != TCP_TYPE_RESPONSE || plen == 0 || plen > cap ||
	    plen > t->packet_size)
		return err_setf(ERR_PROBE_PROTOCOL,
				"bad frame from %s (signature 0x%08x, type %u, length %zu)", tt->where,
				sig, hdr[6], plen);
	rc = tcp_read_exact(tt, buf, plen, deadline);
	if (rc < 0)
		return rc;
	*len = plen;
	return 0;
}

static void tcp_close(struct transport *t)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;

	close(tt->fd);
	free(tt);
}

const struct transport_ops tcp_ops = {
	.name = "tcp",
	.scheme = "tcp",
	.uri_form = "tcp:HOST:PORT",
	.api_addable = true,
	.enumerate = NULL,
	.validate = tcp_validate,
	.open = tcp_open,
	.send = tcp_send,
	.recv = tcp_recv,
	.close = tcp_close,
};
