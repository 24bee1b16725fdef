/*
 * tcp.c - CMSIS-DAP over TCP in the framing of OpenOCD's cmsis_dap_tcp
 * backend (src/jtag/drivers/cmsis_dap_tcp.c), as wireless ESP32 probes and
 * rdpd-sim speak it: every packet is prefixed by an 8-byte little-endian
 * header {u32 signature "DAP\0", u16 payload length, u8 type, u8 reserved};
 * type 1 = request, 2 = response. Default port 4441.
 *
 * URI: tcp:HOST[:PORT]  (HOST may be [v6addr])
 */
#include "transport/transport.h"

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

struct tcp_transport {
	struct transport base;
	int fd;
	char where[100];
};

static int tcp_split_addr(const char *addr, char *host, size_t host_cap, char *port, size_t port_cap)
{
	const char *p = addr, *colon;
	size_t hlen;

	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close)
			return -1;
		hlen = (size_t)(close - p - 1);
		p++;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (!colon && close[1])
			return -1;
	} else {
		colon = strrchr(p, ':');
		hlen = colon ? (size_t)(colon - p) : strlen(p);
	}
	if (hlen == 0 || hlen >= host_cap)
		return -1;
	memcpy(host, p, hlen);
	host[hlen] = '\0';
	snprintf(port, port_cap, "%s", colon ? colon + 1 : TCP_DEFAULT_PORT);
	if (!*port || strspn(port, "0123456789") != strlen(port) || atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	return 0;
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
	char host[80], port[8];
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	struct tcp_transport *tt;
	int fd = -ENOENT, gai;

	if (tcp_split_addr(addr, host, sizeof(host), port, sizeof(port)) < 0)
		return err_setf(ERR_INVALID_ARGUMENT,
				"'tcp:%s' is not HOST:PORT (example: tcp:192.168.1.50:4441)", addr);
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
	tt->base.ops = &transport_tcp;
	tt->base.packet_size = TRANSPORT_MAX_PACKET; /* until DAP_Info 0xFF says otherwise */
	snprintf(tt->where, sizeof(tt->where), "%s:%s", host, port);
	snprintf(tt->base.info.uri, sizeof(tt->base.info.uri), "tcp:%s", addr);
	snprintf(tt->base.info.serial, sizeof(tt->base.info.serial), "tcp-%s", tt->where);
	tt->base.info.transport = "tcp";
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

const struct transport_ops transport_tcp = {
	.name = "tcp",
	.scheme = "tcp",
	.enumerate = NULL,
	.open = tcp_open,
	.send = tcp_send,
	.recv = tcp_recv,
	.close = tcp_close,
};
