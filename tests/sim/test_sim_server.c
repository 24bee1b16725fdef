/*
 * test_sim_server.c - the TCP server in OpenOCD's cmsis_dap_tcp framing:
 * framed requests and replies byte for byte, pipelining, bad headers close
 * the connection, the chip keeps its state across connections.
 */
#include "test_sim_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static void *server_thread(void *arg)
{
	sim_server_run(arg);
	return NULL;
}

static int tcp_connect(unsigned port)
{
	struct sockaddr_in sa = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one framed request. */
static void send_frame(int fd, const uint8_t *payload, size_t n)
{
	uint8_t b[128] = { 0x44, 0x41, 0x50, 0x00, (uint8_t)n, (uint8_t)(n >> 8), 0x01, 0x00 };

	memcpy(b + 8, payload, n);
	CHECK_EQ_I(send(fd, b, 8 + n, MSG_NOSIGNAL), (long)(8 + n));
}

/* Read exactly N bytes with a timeout; returns the count read (0 on EOF). */
static size_t recv_n(int fd, uint8_t *b, size_t n, int timeout_ms)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&pf, 1, timeout_ms) <= 0)
			break;
		r = recv(fd, b + got, n - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Read one framed response; returns the payload length or -1. */
static int recv_frame(int fd, uint8_t *payload)
{
	uint8_t h[8];
	size_t len;

	if (recv_n(fd, h, 8, 2000) != 8)
		return -1;
	if (memcmp(h, "DAP\0", 4) != 0 || h[6] != 0x02 || h[7] != 0)
		return -1;
	len = (size_t)h[4] | ((size_t)h[5] << 8);
	if (recv_n(fd, payload, len, 2000) != len)
		return -1;
	return (int)len;
}

/* The peer closed: recv returns 0 within the timeout. */
static bool closed_by_peer(int fd)
{
	uint8_t b[8];
	struct pollfd pf = { fd, POLLIN, 0 };

	return poll(&pf, 1, 2000) == 1 && recv(fd, b, sizeof(b), 0) == 0;
}

TEST(tcp_framing)
{
	static const uint8_t conn[] = { 0x02, 0x01 };
	static const uint8_t swd[] = { 0x12, 0x88, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x9E,
				       0xE7, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
	static const uint8_t dpidr[] = { 0x05, 0x00, 0x01, 0x02 };
	struct sim_probe *sp = ts_open("stm32f401re-rdp1", 0.01);
	struct sim_server *srv = NULL;
	pthread_t th;
	uint8_t raw[32], p[128];
	int fd, n;

	CHECK_EQ_I(sim_server_create(sp, "127.0.0.1:0", &srv), 0);
	if (!srv)
		return;
	CHECK(sim_server_port(srv) != 0);
	pthread_create(&th, NULL, server_thread, srv);

	fd = tcp_connect(sim_server_port(srv));
	CHECK(fd >= 0);
	/* nothing unsolicited */
	{
		struct pollfd pf = { fd, POLLIN, 0 };

		CHECK_EQ_I(poll(&pf, 1, 50), 0);
	}
	send_frame(fd, conn, sizeof(conn));
	n = recv_frame(fd, p);
	CHECK(n == 2 && p[0] == 0x02 && p[1] == 0x01);
	send_frame(fd, swd, sizeof(swd));
	CHECK_EQ_I(recv_frame(fd, p), 2);
	/* the example of docs/probe/transports.md, "CMSIS-DAP over TCP" */
	send_frame(fd, dpidr, sizeof(dpidr));
	CHECK_EQ_U(recv_n(fd, raw, 15, 2000), 15);
	CHECK(memcmp(raw, "\x44\x41\x50\x00\x07\x00\x02\x00\x05\x01\x01\x77\x14\xA0\x2B", 15) == 0);
	/* two pipelined requests in one write, two replies in order */
	{
		uint8_t two[24] = { 0x44, 0x41, 0x50, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x04,
				    0x44, 0x41, 0x50, 0x00, 0x04, 0x00, 0x01, 0x00, 0x05, 0x00,
				    0x01, 0x02 };

		CHECK_EQ_I(send(fd, two, 22, MSG_NOSIGNAL), 22);
		n = recv_frame(fd, p);
		CHECK(n == 8 && p[0] == 0x00 && p[1] == 6);
		n = recv_frame(fd, p);
		CHECK(n == 7 && p[0] == 0x05 && p[2] == 0x01);
	}
	/* DAP_TransferAbort: no reply at all */
	send_frame(fd, (const uint8_t[]){ 0x07 }, 1);
	send_frame(fd, (const uint8_t[]){ 0x00, 0x01 }, 2);
	n = recv_frame(fd, p);
	CHECK(n == 6 && p[0] == 0x00);
	/* bad signature: the connection is closed */
	CHECK_EQ_I(send(fd, "XAP\0\x02\x00\x01\x00\x00\x01", 10, MSG_NOSIGNAL), 10);
	CHECK(closed_by_peer(fd));
	close(fd);

	/* a new client: the probe and chip kept their state (no JTAG-to-SWD) */
	fd = tcp_connect(sim_server_port(srv));
	CHECK(fd >= 0);
	send_frame(fd, dpidr, sizeof(dpidr));
	n = recv_frame(fd, p);
	CHECK(n == 7 && p[1] == 1 && p[2] == 1);
	/* wrong type: closed */
	CHECK_EQ_I(send(fd, "DAP\0\x02\x00\x02\x00\x00\x01", 10, MSG_NOSIGNAL), 10);
	CHECK(closed_by_peer(fd));
	close(fd);

	/* a length above the packet size: closed */
	fd = tcp_connect(sim_server_port(srv));
	CHECK(fd >= 0);
	CHECK_EQ_I(send(fd, "DAP\0\x41\x00\x01\x00", 8, MSG_NOSIGNAL), 8);
	CHECK(closed_by_peer(fd));
	close(fd);

	/* power cycle through the server's async request */
	sim_server_request_power_cycle(srv);
	fd = tcp_connect(sim_server_port(srv));
	send_frame(fd, dpidr, sizeof(dpidr));
	n = recv_frame(fd, p);
	CHECK(n == 3 && p[2] == 0x07); /* DP back in JTAG mode */
	close(fd);
	{
		struct sim_counters c;

		sim_probe_get_counters(sp, &c);
		CHECK_EQ_U(c.power_cycles, 1);
	}

	sim_server_stop(srv);
	pthread_join(th, NULL);
	sim_server_destroy(srv);
	sim_probe_destroy(sp);
}

TEST(bad_listen_address)
{
	struct sim_probe *sp = ts_open("no-target", 1.0);
	struct sim_server *srv = NULL;

	CHECK_EQ_I(sim_server_create(sp, "127.0.0.1", &srv), -EINVAL);
	CHECK_EQ_I(sim_server_create(sp, "127.0.0.1:99999", &srv), -EINVAL);
	CHECK_EQ_I(sim_server_create(sp, "nohost:4441", &srv), -EINVAL);
	sim_probe_destroy(sp);
}

int main(void)
{
	RUN(tcp_framing);
	RUN(bad_listen_address);
	return check_summary();
}
