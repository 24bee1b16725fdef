/*
 * stlink_raw.c - a careless ST-LINK host for tests/usb/test_stlink.sh: it
 * opens the first 0483 device it sees through libusb, claims interface 0,
 * takes the endpoints by PID as stlink-tools does (OUT 0x02 on the V2
 * dongle 3748, else 0x01; IN 0x81) and runs its arguments in order:
 *
 *   cHEX   one command: HEX, zero-padded to 16 bytes (a longer HEX is sent as it is)
 *   oHEX   one bulk OUT of exactly the bytes of HEX (a short command, a data phase)
 *   iN     one bulk IN of N bytes, 300 ms
 *
 * Each step prints one line: "out ok", "out stall", "in 80 00 ...", "in timeout",
 * or "<step> error NAME". It exits 0 once every step ran (whatever they
 * answered), 2 for bad arguments or no device.
 */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAW_VID 0x0483
#define RAW_TIMEOUT_MS 300
#define RAW_MAX 8192

static size_t raw_hex(const char *s, unsigned char *out, size_t cap)
{
	size_t n = 0;

	while (s[0] && s[1] && n < cap) {
		char b[3] = { s[0], s[1], '\0' };

		out[n++] = (unsigned char)strtoul(b, NULL, 16);
		s += 2;
	}
	return n;
}

static libusb_device_handle *raw_open(libusb_context *ctx, unsigned char *ep_out)
{
	libusb_device **list;
	libusb_device_handle *h = NULL;
	ssize_t n = libusb_get_device_list(ctx, &list);

	for (ssize_t i = 0; i < n && !h; i++) {
		struct libusb_device_descriptor d;

		if (libusb_get_device_descriptor(list[i], &d) || d.idVendor != RAW_VID)
			continue;
		if (libusb_open(list[i], &h))
			h = NULL;
		*ep_out = d.idProduct == 0x3748 ? 0x02 : 0x01;
	}
	if (n >= 0)
		libusb_free_device_list(list, 1);
	if (h && libusb_claim_interface(h, 0)) {
		libusb_close(h);
		h = NULL;
	}
	return h;
}

static void raw_out(libusb_device_handle *h, unsigned char ep, const unsigned char *b, int len)
{
	int done = 0, rc = libusb_bulk_transfer(h, ep, (unsigned char *)b, len, &done, RAW_TIMEOUT_MS);

	if (rc == LIBUSB_ERROR_PIPE) {
		printf("out stall\n");
		libusb_clear_halt(h, ep);
	} else if (rc) {
		printf("out error %s\n", libusb_error_name(rc));
	} else {
		printf("out ok\n");
	}
}

static void raw_in(libusb_device_handle *h, int len)
{
	unsigned char b[RAW_MAX];
	int done = 0, rc = libusb_bulk_transfer(h, 0x81, b, len, &done, RAW_TIMEOUT_MS);

	if (rc == LIBUSB_ERROR_TIMEOUT) {
		printf("in timeout\n");
		return;
	}
	if (rc) {
		printf("in error %s\n", libusb_error_name(rc));
		return;
	}
	printf("in");
	for (int i = 0; i < done; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	libusb_context *ctx;
	libusb_device_handle *h;
	unsigned char ep_out = 0x01, b[RAW_MAX];

	if (libusb_init(&ctx))
		return 2;
	h = raw_open(ctx, &ep_out);
	if (!h) {
		fprintf(stderr, "stlink_raw: no ST-LINK found\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n;

		switch (a[0]) {
		case 'c':
			memset(b, 0, 16);
			n = raw_hex(a + 1, b, sizeof(b));
			raw_out(h, ep_out, b, n < 16 ? 16 : (int)n);
			break;
		case 'o':
			raw_out(h, ep_out, b, (int)raw_hex(a + 1, b, sizeof(b)));
			break;
		case 'i':
			n = strtoul(a + 1, NULL, 10);
			if (n == 0 || n > RAW_MAX)
				return 2;
			raw_in(h, (int)n);
			break;
		default:
			fprintf(stderr, "stlink_raw: bad step '%s'\n", a);
			return 2;
		}
		fflush(stdout);
	}
	libusb_release_interface(h, 0);
	libusb_close(h);
	libusb_exit(ctx);
	return 0;
}
