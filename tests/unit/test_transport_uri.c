/*
 * test_transport_uri.c - URI dispatch and the USB backends without hardware.
 *
 * On a build machine or in CI there is usually no USB at all: libusb_init may
 * fail (no usbfs) or list no devices, hid_enumerate may find nothing. Either
 * way opening a USB probe must be a clean "not found" with a sentence, never
 * a crash, and a malformed URI must be an invalid argument.
 */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "transport/transport.h"

/* Open URI, expecting it to fail with WANT and a detail naming NEEDLE. */
static bool open_fails(const char *uri, int want, const char *needle)
{
	struct transport *t = NULL;
	int rc;

	err_clear();
	rc = transport_open(uri, &t);
	if (rc != want) {
		fprintf(stderr, "  transport_open(\"%s\") = %d (%s), want %d: %s\n", uri ? uri : "NULL",
			rc, err_name(rc), want, err_detail());
		if (rc == 0)
			transport_close(t);
		return false;
	}
	if (t != NULL || err_detail()[0] == '\0')
		return false;
	return needle == NULL || strstr(err_detail(), needle) != NULL;
}

TEST(malformed_uris_are_invalid)
{
	static const struct {
		const char *uri;
		const char *needle;
	} cases[] = {
		{"bogus",   "bogus"},
		{"nope:x",  "nope:x"},
		{":x",      ":x"},
		{"",        "not a probe URI"},
		{NULL,      "not a probe URI"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(open_fails(cases[i].uri, -ERR_INVALID_ARGUMENT, cases[i].needle));
}

TEST(unknown_usb_probe_is_not_found)
{
	static const struct {
		const char *uri;
		const char *needle;
	} cases[] = {
		{"usb:NO-SUCH-SERIAL",       "NO-SUCH-SERIAL"},
		{"usb:0d28:0204@1-2.3",      "0d28:0204@1-2.3"},
		{"usb:hidraw99",             "hidraw99"},
		{"usb:",                     "CMSIS-DAP"}, /* "the only probe": there is none */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(open_fails(cases[i].uri, -ERR_PROBE_NOT_FOUND, cases[i].needle));
}

/* The libraries are initialised once; a second round must behave the same. */
TEST(not_found_twice)
{
	CHECK(open_fails("usb:NO-SUCH-SERIAL", -ERR_PROBE_NOT_FOUND, "NO-SUCH-SERIAL"));
	CHECK(open_fails("usb:NO-SUCH-SERIAL", -ERR_PROBE_NOT_FOUND, "NO-SUCH-SERIAL"));
}

TEST(enumerate_without_probes)
{
	struct transport_probe_info out[8];
	size_t n = 99;

	memset(out, 0xa5, sizeof(out));
	CHECK_EQ_I(transport_enumerate(out, 8, &n), 0);
	CHECK_EQ_U(n, 0); /* no USB here; sim and tcp are not discoverable */
	for (size_t i = 0; i < n && i < 8; i++) {
		CHECK(strncmp(out[i].uri, "usb:", 4) == 0);
		CHECK(strcmp(out[i].transport, "usb-bulk") == 0 || strcmp(out[i].transport, "usb-stlink") == 0 ||
		      strcmp(out[i].transport, "usb-hid") == 0);
	}
}

TEST(enumerate_zero_capacity_writes_nothing)
{
	struct transport_probe_info out[1];
	unsigned char untouched[sizeof(out)];
	size_t n = 99;

	memset(out, 0xa5, sizeof(out));
	memset(untouched, 0xa5, sizeof(untouched));
	CHECK_EQ_I(transport_enumerate(out, 0, &n), 0);
	CHECK_EQ_U(n, 0);
	CHECK(memcmp(out, untouched, sizeof(out)) == 0);
}

int main(void)
{
	RUN(malformed_uris_are_invalid);
	RUN(unknown_usb_probe_is_not_found);
	RUN(not_found_twice);
	RUN(enumerate_without_probes);
	RUN(enumerate_zero_capacity_writes_nothing);
	return check_summary();
}
