/*
 * transport.c - the table of backends and the URI dispatch.
 */
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

/* In the order `usb:` tries them: v2 bulk first, as OpenOCD's backend auto. */
static const struct transport_ops *const transport_table[] = {
	&transport_usb_bulk,
	&transport_usb_hid,
	&transport_tcp,
	&transport_sim,
};

#define TRANSPORT_COUNT (sizeof(transport_table) / sizeof(transport_table[0]))

int transport_open(const char *uri, struct transport **out)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;
	bool scheme_known = false;
	int rc = -ERR_PROBE_NOT_FOUND;

	if (!colon || colon == uri)
		return err_setf(ERR_INVALID_ARGUMENT,
				"'%s' is not a probe URI: use usb:SERIAL, tcp:HOST:PORT or sim:PROFILE",
				uri ? uri : "");
	for (size_t i = 0; i < TRANSPORT_COUNT; i++) {
		const struct transport_ops *ops = transport_table[i];

		if (strlen(ops->scheme) != (size_t)(colon - uri) ||
		    strncmp(ops->scheme, uri, (size_t)(colon - uri)) != 0)
			continue;
		scheme_known = true;
		rc = ops->open(colon + 1, out);
		if (rc != -ERR_PROBE_NOT_FOUND)
			return rc;
	}
	if (!scheme_known)
		return err_setf(ERR_INVALID_ARGUMENT,
				"unknown probe URI scheme in '%s': use usb:, tcp: or sim:", uri);
	return rc;
}

int transport_validate_uri(const char *uri)
{
	const char *colon;
	char shown[64];
	size_t len;

	if (!uri || !*uri)
		return err_setf(ERR_PROBE_URI_INVALID, "no probe URI given: use tcp:HOST:PORT or sim:PROFILE");
	len = strlen(uri);
	utf8_escape((const uint8_t *)uri, len, shown, sizeof(shown));
	if (len >= TRANSPORT_URI_MAX)
		return err_setf(ERR_PROBE_URI_INVALID,
				"the probe URI is %zu bytes long; probe URIs are at most %d bytes (%s...)", len,
				TRANSPORT_URI_MAX - 1, shown);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)uri[i] < 0x20 || (unsigned char)uri[i] > 0x7e)
			return err_setf(ERR_PROBE_URI_INVALID,
					"byte %zu of the probe URI '%s' is 0x%02x: probe URIs are printable ASCII",
					i, shown, (unsigned char)uri[i]);
	colon = strchr(uri, ':');
	for (size_t i = 0; colon && i < TRANSPORT_COUNT; i++) {
		const struct transport_ops *ops = transport_table[i];

		if (strlen(ops->scheme) == (size_t)(colon - uri) &&
		    strncmp(ops->scheme, uri, (size_t)(colon - uri)) == 0)
			return ops->validate ? ops->validate(colon + 1) : 0;
	}
	return err_setf(ERR_PROBE_URI_INVALID,
			"'%s' is not a probe URI: use usb:SERIAL, tcp:HOST:PORT or sim:PROFILE", shown);
}

/* The same USB device (by location when both know it, else by URI). */
static bool transport_same_device(const struct transport_probe_info *a,
				  const struct transport_probe_info *b)
{
	if (a->location[0] && b->location[0])
		return strcmp(a->location, b->location) == 0;
	return strcmp(a->uri, b->uri) == 0;
}

/* Probes reporting one serial are listed by location: each its own URI. */
static void transport_split_shared_serials(struct transport_probe_info *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool shared = false;

		for (size_t k = 0; k < n && !shared; k++)
			shared = k != i && out[i].serial[0] && strcmp(out[i].serial, out[k].serial) == 0;
		if (shared && out[i].location[0])
			snprintf(out[i].uri, sizeof(out[i].uri), "usb:%s", out[i].location);
	}
}

int transport_enumerate(struct transport_probe_info *out, size_t cap, size_t *n)
{
	*n = 0;
	for (size_t i = 0; i < TRANSPORT_COUNT; i++) {
		const struct transport_ops *ops = transport_table[i];
		size_t before = *n;

		if (!ops->enumerate)
			continue;
		if (ops->enumerate(out, cap, n) < 0)
			continue; /* one backend failing (no hidraw access) must not hide the others */
		/* A probe with both a v2 and a v1 interface has one URI: list it once, as bulk. */
		for (size_t j = before; j < *n;) {
			bool dup = false;

			for (size_t k = 0; k < before && !dup; k++)
				dup = transport_same_device(&out[j], &out[k]);
			if (dup) {
				memmove(&out[j], &out[j + 1], (*n - j - 1) * sizeof(out[0]));
				(*n)--;
			} else {
				j++;
			}
		}
	}
	transport_split_shared_serials(out, *n);
	return 0;
}

int transport_send(struct transport *t, const uint8_t *buf, size_t len)
{
	int rc;

	if (len == 0 || len > transport_usable_size(t))
		return err_setf(ERR_INTERNAL, "command of %zu bytes does not fit a %u-byte packet",
				len, transport_usable_size(t));
	rc = t->ops->send(t, buf, len);
	if (rc == 0)
		t->packets_sent++;
	return rc;
}

int transport_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	return t->ops->recv(t, buf, cap, len, timeout_ms);
}

int transport_set_packet_size(struct transport *t, unsigned size)
{
	if (size < 64 || size > TRANSPORT_MAX_PACKET)
		return err_setf(ERR_PROBE_PROTOCOL,
				"probe reports a packet size of %u bytes (expected 64 to %u)", size,
				TRANSPORT_MAX_PACKET);
	if (t->ops->set_packet_size) {
		int rc = t->ops->set_packet_size(t, size);

		if (rc < 0)
			return rc;
	}
	t->packet_size = size;
	return 0;
}

unsigned transport_usable_size(const struct transport *t)
{
	return t->avoid_full_packets ? t->packet_size - 1 : t->packet_size;
}

void transport_close(struct transport *t)
{
	if (t)
		t->ops->close(t);
}
