/*
 * transport.c - the table of backends and the URI dispatch.
 */
#include "transport/transport.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

/* In the order `usb:` tries them: v2 bulk first, as OpenOCD's backend auto;
 * ST-LINKs (their own VID:PIDs, no overlap with the CMSIS-DAP kinds) before
 * HID, so that HID's "not found" sentence, naming CMSIS-DAP, stays last. */
static const struct transport_ops *const transport_table[] = {
	&usb_bulk_ops,
	&usb_stlink_ops,
	&usb_hid_ops,
	&tcp_ops,
	&simulated_ops,
};

#define TRANSPORT_COUNT (sizeof(transport_table) / sizeof(transport_table[0]))

size_t transport_kind_count(void)
{
	return TRANSPORT_COUNT;
}

const struct transport_ops *transport_kind_at(size_t i)
{
	return i < TRANSPORT_COUNT ? transport_table[i] : NULL;
}

/* OPS serves the scheme of URI, whose ":" is at COLON. */
static bool transport_serves(const struct transport_ops *ops, const char *uri, const char *colon)
{
	return strlen(ops->scheme) == (size_t)(colon - uri) &&
	       strncmp(ops->scheme, uri, (size_t)(colon - uri)) == 0;
}

const struct transport_ops *transport_kind_of_uri(const char *uri)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;

	for (size_t i = 0; colon && i < TRANSPORT_COUNT; i++)
		if (transport_serves(transport_table[i], uri, colon))
			return transport_table[i];
	return NULL;
}

const char *transport_kind_name_of_uri(const char *uri)
{
	const struct transport_ops *first = transport_kind_of_uri(uri);

	for (size_t i = 0; first && i < TRANSPORT_COUNT; i++)
		if (transport_table[i] != first && strcmp(transport_table[i]->scheme, first->scheme) == 0)
			return first->scheme;
	return first ? first->name : NULL;
}

/* The first kind of table row I's scheme: each scheme is written once. */
static bool transport_first_of_scheme(size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(transport_table[k]->scheme, transport_table[i]->scheme) == 0)
			return false;
	return true;
}

/* A client may add probes of SCHEME: one of its kinds says so. */
static bool transport_scheme_addable(const char *scheme)
{
	for (size_t i = 0; i < TRANSPORT_COUNT; i++)
		if (strcmp(transport_table[i]->scheme, scheme) == 0 && transport_table[i]->api_addable)
			return true;
	return false;
}

/* "a, b or c" of every scheme's URI form (FORMS), else of its "scheme:". */
static const char *transport_list(char *out, size_t cap, bool addable_only, bool forms)
{
	size_t n = 0, listed = 0, total = 0;

	for (size_t i = 0; i < TRANSPORT_COUNT; i++)
		total += transport_first_of_scheme(i) &&
			 (!addable_only || transport_scheme_addable(transport_table[i]->scheme));
	out[0] = '\0';
	for (size_t i = 0; i < TRANSPORT_COUNT && n < cap; i++) {
		const struct transport_ops *ops = transport_table[i];

		if (!transport_first_of_scheme(i) || (addable_only && !transport_scheme_addable(ops->scheme)))
			continue;
		listed++;
		n += (size_t)snprintf(out + n, cap - n, "%s%s%s", listed == 1 ? "" : listed == total ? " or " : ", ",
				      forms ? ops->uri_form : ops->scheme, forms ? "" : ":");
	}
	return out;
}

const char *transport_uri_forms(char *out, size_t cap, bool addable_only)
{
	return transport_list(out, cap, addable_only, true);
}

int transport_check_addable(const char *uri)
{
	const struct transport_ops *ops = transport_kind_of_uri(uri);
	char forms[128];

	if (!ops || transport_scheme_addable(ops->scheme))
		return 0;
	return err_setf(ERR_PROBE_URI_INVALID,
			"%s: probes appear by themselves when plugged in; the kinds added by hand are %s",
			ops->scheme, transport_uri_forms(forms, sizeof(forms), true));
}

int transport_open(const char *uri, struct transport **out)
{
	const char *colon = uri ? strchr(uri, ':') : NULL;
	bool scheme_known = false;
	int rc = -ERR_PROBE_NOT_FOUND;
	char list[128];

	if (!colon || colon == uri)
		return err_setf(ERR_INVALID_ARGUMENT, "'%s' is not a probe URI: use %s", uri ? uri : "",
				transport_uri_forms(list, sizeof(list), false));
	for (size_t i = 0; i < TRANSPORT_COUNT; i++) {
		const struct transport_ops *ops = transport_table[i];

		if (!transport_serves(ops, uri, colon))
			continue;
		scheme_known = true;
		rc = ops->open(colon + 1, out);
		if (rc != -ERR_PROBE_NOT_FOUND)
			return rc;
	}
	if (!scheme_known)
		return err_setf(ERR_INVALID_ARGUMENT, "unknown probe URI scheme in '%s': use %s", uri,
				transport_list(list, sizeof(list), false, false));
	return rc;
}

int transport_validate_uri(const char *uri)
{
	const struct transport_ops *ops;
	char shown[64], list[128];
	size_t len;

	if (!uri || !*uri)
		return err_setf(ERR_PROBE_URI_INVALID, "no probe URI given: use %s",
				transport_uri_forms(list, sizeof(list), true));
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
	if ((ops = transport_kind_of_uri(uri)))
		return ops->validate ? ops->validate(strchr(uri, ':') + 1) : 0;
	return err_setf(ERR_PROBE_URI_INVALID, "'%s' is not a probe URI: use %s", shown,
			transport_uri_forms(list, sizeof(list), false));
}

/* The same USB device (by location when both know it, else by URI). */
static bool transport_same_device(const struct transport_probe_info *a,
				  const struct transport_probe_info *b)
{
	if (a->location[0] && b->location[0])
		return strcmp(a->location, b->location) == 0;
	return strcmp(a->uri, b->uri) == 0;
}

/* Probes reporting one serial are listed by location, in their own
 * scheme: each its own URI. */
static void transport_split_shared_serials(struct transport_probe_info *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(out[i].uri, ':');
		bool shared = false;

		for (size_t k = 0; k < n && !shared; k++)
			shared = k != i && out[i].serial[0] && strcmp(out[i].serial, out[k].serial) == 0;
		if (shared && out[i].location[0] && colon) {
			char uri[TRANSPORT_URI_MAX];

			snprintf(uri, sizeof(uri), "%.*s:%s", (int)(colon - out[i].uri), out[i].uri,
				 out[i].location);
			memcpy(out[i].uri, uri, sizeof(uri));
		}
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
