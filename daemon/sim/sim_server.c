/*
 * sim_server.c - the simulated probe over TCP, in the framing of OpenOCD's
 * cmsis_dap_tcp backend (docs/probe/transports.md, "CMSIS-DAP over TCP"): an 8-byte
 * little-endian header {u32 0x00504144, u16 length, u8 type, u8 0} before
 * every request (type 1) and response (type 2). Nothing is ever sent
 * unsolicited: OpenOCD flushes the stream at start-up.
 */
#include "sim_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SERVER_SIGNATURE 0x00504144u
#define SERVER_TYPE_REQUEST 1u
#define SERVER_TYPE_RESPONSE 2u
#define SERVER_HDR 8u

struct sim_server {
	struct sim_probe *sp;
	int listen_fd, client_fd;
	int wake[2]; /* self-pipe: 'q' stop, 'p' power cycle */
	unsigned port;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
};

static int sim_server_parse(const char *listen, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(listen, ':');
	char *end;
	long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 || end == colon + 1)
		return -EINVAL;
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) != 1)
		return -EINVAL;
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

int sim_server_create(struct sim_probe *sp, const char *listen_addr, struct sim_server **out)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct sim_server *s;
	int one = 1, rc;

	rc = sim_server_parse(listen_addr ? listen_addr : "127.0.0.1:4441", &sa);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->sp = sp;
	s->client_fd = -1;
	s->wake[0] = s->wake[1] = -1;
	s->in_cap = SERVER_HDR + sim_probe_packet_size(sp);
	s->in = malloc(s->in_cap);
	s->out = malloc(s->in_cap);
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!s->in || !s->out || s->listen_fd < 0 || pipe(s->wake) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	fcntl(s->wake[1], F_SETFL, O_NONBLOCK);
	setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->listen_fd, 4) != 0 ||
	    getsockname(s->listen_fd, (struct sockaddr *)&sa, &sl) != 0) {
		rc = -errno;
		goto fail;
	}
	s->port = ntohs(sa.sin_port);
	*out = s;
	return 0;
fail:
	s->wake[0] >= 0 ? close(s->wake[0]) : 0;
	s->wake[1] >= 0 ? close(s->wake[1]) : 0;
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->in);
	free(s->out);
	free(s);
	return rc;
}

unsigned sim_server_port(const struct sim_server *srv)
{
	return srv->port;
}

void sim_server_stop(struct sim_server *srv)
{
	char c = 'q';

	(void)!write(srv->wake[1], &c, 1);
}

void sim_server_request_power_cycle(struct sim_server *srv)
{
	char c = 'p';

	(void)!write(srv->wake[1], &c, 1);
}

static void sim_server_drop_client(struct sim_server *s, const char *why)
{
	if (why)
		fprintf(stderr, "rdpd-sim: closing connection: %s\n", why);
	close(s->client_fd);
	s->client_fd = -1;
	s->in_len = 0;
}

static int sim_server_send_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Handle every complete frame in the input buffer. Returns -1 when the
 * connection must be closed. */
static int sim_server_frames(struct sim_server *s)
{
	size_t off = 0;

	while (s->in_len - off >= SERVER_HDR) {
		const uint8_t *h = s->in + off;
		uint32_t sig = (uint32_t)h[0] | ((uint32_t)h[1] << 8) | ((uint32_t)h[2] << 16) |
			       ((uint32_t)h[3] << 24);
		size_t len = (size_t)h[4] | ((size_t)h[5] << 8);
		int n;

		if (sig != SERVER_SIGNATURE) {
			sim_server_drop_client(s, "bad signature");
			return -1;
		}
		if (h[6] != SERVER_TYPE_REQUEST) {
			sim_server_drop_client(s, "packet type is not a request");
			return -1;
		}
		if (len > sim_probe_packet_size(s->sp)) {
			sim_server_drop_client(s, "length larger than the packet size");
			return -1;
		}
		if (s->in_len - off < SERVER_HDR + len)
			break;
		n = sim_probe_command(s->sp, h + SERVER_HDR, len, s->out + SERVER_HDR,
				      sim_probe_packet_size(s->sp));
		off += SERVER_HDR + len;
		if (n == -ENODEV) {
			sim_server_drop_client(s, "probe dropped (fault injection)");
			return -1;
		}
		if (n > 0) {
			s->out[0] = 0x44;
			s->out[1] = 0x41;
			s->out[2] = 0x50;
			s->out[3] = 0x00;
			s->out[4] = (uint8_t)n;
			s->out[5] = (uint8_t)(n >> 8);
			s->out[6] = SERVER_TYPE_RESPONSE;
			s->out[7] = 0;
			if (sim_server_send_all(s->client_fd, s->out, SERVER_HDR + (size_t)n)) {
				sim_server_drop_client(s, "send failed");
				return -1;
			}
		}
	}
	memmove(s->in, s->in + off, s->in_len - off);
	s->in_len -= off;
	return 0;
}

int sim_server_run(struct sim_server *s)
{
	for (;;) {
		struct pollfd pf[2] = { { s->wake[0], POLLIN, 0 }, { -1, POLLIN, 0 } };

		pf[1].fd = s->client_fd >= 0 ? s->client_fd : s->listen_fd;
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pf[0].revents & POLLIN) {
			char c;

			if (read(s->wake[0], &c, 1) == 1) {
				if (c == 'q')
					return 0;
				if (c == 'p') {
					sim_probe_power_cycle(s->sp);
					fprintf(stderr, "rdpd-sim: chip power-cycled\n");
				}
			}
			continue;
		}
		if (!(pf[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (s->client_fd < 0) {
			int one = 1;

			s->client_fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (s->client_fd >= 0) {
				setsockopt(s->client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				s->in_len = 0;
			}
			continue;
		}
		{
			ssize_t r = recv(s->client_fd, s->in + s->in_len, s->in_cap - s->in_len, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				sim_server_drop_client(s, NULL);
				continue;
			}
			s->in_len += (size_t)r;
			sim_server_frames(s);
		}
	}
}

void sim_server_destroy(struct sim_server *s)
{
	if (!s)
		return;
	if (s->client_fd >= 0)
		close(s->client_fd);
	close(s->listen_fd);
	close(s->wake[0]);
	close(s->wake[1]);
	free(s->in);
	free(s->out);
	free(s);
}
