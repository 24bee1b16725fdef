/*
 * usb_stlink.c - ST-LINK/V2, V2-1 and V3 over USB: 16-byte commands and
 * their replies on the debug interface's bulk endpoints, through libusb-1.0.
 *
 * References:
 *   docs/probe/stlink.md, "USB": the PIDs, endpoints and serial quirk, with
 *     their sources (OpenOCD src/jtag/drivers/stlink_usb.c v0.12.0, stlink
 *     1.7.0 src/stlink-lib/usb.c, pyOCD pyocd/probe/stlink/usb.py).
 *   docs/probe/transports.md for the URI forms all USB backends share.
 *
 * The debug interface is always interface 0 (the others are mass storage,
 * the virtual COM port and the bridge: left alone); its endpoints are fixed
 * by PID, as every open host takes them. An ST-LINK answers exactly the
 * bytes the host asks for, so recv(cap) is one IN transfer of CAP bytes.
 *
 * Addresses (after "usb:") as usb_bulk.c: SERIAL, VVVV:PPPP@BUS-PORTS, or
 * "" for the only ST-LINK attached. A probe of either kind whose serial
 * another attached probe shares is listed by location (transport.c).
 *
 * Thread safety: one libusb context for this backend, created on first use.
 * A struct transport is used by one thread at a time.
 */
#include "transport/usb_stlink.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "transport/transport.h"
#include "transport/usb_common.h"
#include "utf8.h"

#define USB_STLINK_VID 0x0483
#define USB_STLINK_INTERFACE 0
#define USB_STLINK_SEND_TIMEOUT_MS 1000
/* pyOCD drains IN at open: a reply a killed session never read. */
#define USB_STLINK_FLUSH_READS 16
#define USB_STLINK_FLUSH_TIMEOUT_MS 5
/* bLength of an iSerial holding the 12 raw unique-ID bytes. */
#define USB_STLINK_RAW_SERIAL_LEN 26

/* docs/probe/stlink.md, "USB": every PID OpenOCD (and stlink, pyOCD) know. */
static const struct usb_stlink_model {
	uint16_t pid;
	uint8_t ep_out, ep_in;
	const char *name;
	bool loader; /* the USB loader (DFU): no debug firmware running */
} usb_stlink_models[] = {
	{0x3748, 0x02, 0x81, "ST-LINK/V2", false},
	{0x374A, 0x01, 0x81, "ST-LINK/V2-1", false},
	{0x374B, 0x01, 0x81, "ST-LINK/V2-1", false},
	{0x3752, 0x01, 0x81, "ST-LINK/V2-1", false},
	{0x374D, 0x01, 0x81, "STLINK-V3 loader", true},
	{0x374E, 0x01, 0x81, "STLINK-V3", false},
	{0x374F, 0x01, 0x81, "STLINK-V3", false},
	{0x3753, 0x01, 0x81, "STLINK-V3", false},
	{0x3754, 0x01, 0x81, "STLINK-V3", false},
	{0x3755, 0x01, 0x81, "STLINK-V3PWR loader", true},
	{0x3757, 0x01, 0x81, "STLINK-V3PWR", false},
};

struct usb_stlink {
	struct transport base;
	libusb_device_handle *handle;
	uint8_t ep_out, ep_in;
};

struct usb_stlink_match {
	struct transport_probe_info info;
	const struct usb_stlink_model *model;
	char location[32]; /* "1-2.3" */
	char addr[64];     /* "0483:3748@1-2.3" */
	int config_value;
	bool set_config;
};

static const struct usb_stlink_model *usb_stlink_model_of(uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; vid == USB_STLINK_VID && i < sizeof(usb_stlink_models) / sizeof(usb_stlink_models[0]); i++)
		if (usb_stlink_models[i].pid == pid)
			return &usb_stlink_models[i];
	return NULL;
}

static void usb_stlink_hex(const uint8_t *bytes, size_t n, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used + 2 < cap; i++)
		used += (size_t)snprintf(out + used, cap - used, "%02X", bytes[i]);
}

void usb_stlink_serial_text(const uint8_t *desc, size_t len, char *out, size_t cap)
{
	size_t blen = len >= 2 && desc[0] <= len ? desc[0] : 0, o = 0;
	uint8_t raw[12];

	out[0] = '\0';
	if (blen < 2 || desc[1] != LIBUSB_DT_STRING || cap == 0)
		return;
	if (blen == USB_STLINK_RAW_SERIAL_LEN) {
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = desc[2 + 2 * i];
		usb_stlink_hex(raw, sizeof(raw), out, cap);
		return;
	}
	for (size_t i = 2; i + 1 < blen && o + 1 < cap; i += 2) {
		unsigned unit = desc[i] | desc[i + 1] << 8;

		out[o++] = unit >= 0x20 && unit < 0x7F ? (char)unit : '?';
	}
	out[o] = '\0';
}

void usb_stlink_serial_sysfs(const char *utf8, char *out, size_t cap)
{
	const uint8_t *s = (const uint8_t *)utf8;
	size_t len = strlen(utf8), n = 0;
	uint8_t raw[12];

	for (size_t at = 0; at < len;) {
		uint32_t cp;
		size_t k = utf8_decode(s + at, len - at, &cp);

		if (k == 0 || cp > 0xFF || n == sizeof(raw))
			goto keep;
		raw[n++] = (uint8_t)cp;
		at += k;
	}
	if (n == sizeof(raw)) {
		usb_stlink_hex(raw, n, out, cap);
		return;
	}
keep:
	snprintf(out, cap, "%s", utf8);
	utf8_escape_inplace(out, cap);
}

static void usb_stlink_string(libusb_device_handle *h, uint8_t index, char *out, size_t cap)
{
	out[0] = '\0';
	if (index && libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)cap) < 0)
		out[0] = '\0';
	utf8_escape_inplace(out, cap);
}

/* The raw iSerial in the first language string 0 lists (OpenOCD
 * stlink_usb_get_alternate_serial). */
static void usb_stlink_serial(libusb_device_handle *h, uint8_t index, char *out, size_t cap)
{
	uint8_t langs[4], desc[255];
	int n;

	out[0] = '\0';
	if (index == 0 || libusb_get_string_descriptor(h, 0, 0, langs, sizeof(langs)) < 4)
		return;
	n = libusb_get_string_descriptor(h, index, (uint16_t)(langs[2] | langs[3] << 8), desc, sizeof(desc));
	if (n > 0)
		usb_stlink_serial_text(desc, (size_t)n, out, cap);
}

static void usb_stlink_strings(libusb_device *dev, const struct libusb_device_descriptor *dd,
			       struct usb_stlink_match *m)
{
	libusb_device_handle *h = NULL;
	char raw[128];

	if (libusb_open(dev, &h) == 0) {
		usb_stlink_string(h, dd->iProduct, m->info.product, sizeof(m->info.product));
		usb_stlink_string(h, dd->iManufacturer, m->info.vendor, sizeof(m->info.vendor));
		usb_stlink_serial(h, dd->iSerialNumber, m->info.serial, sizeof(m->info.serial));
		libusb_close(h);
		return;
	}
	usb_common_sysfs(m->location, "product", m->info.product, sizeof(m->info.product));
	utf8_escape_inplace(m->info.product, sizeof(m->info.product));
	usb_common_sysfs(m->location, "manufacturer", m->info.vendor, sizeof(m->info.vendor));
	utf8_escape_inplace(m->info.vendor, sizeof(m->info.vendor));
	usb_common_sysfs(m->location, "serial", raw, sizeof(raw));
	usb_stlink_serial_sysfs(raw, m->info.serial, sizeof(m->info.serial));
}

/* DEV is an ST-LINK with a debug interface 0: fill M. -ERR_PROBE_NOT_FOUND
 * (no detail) for every other device. */
static int usb_stlink_inspect(libusb_device *dev, struct usb_stlink_match *m)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg = NULL;
	int rc = -ERR_PROBE_NOT_FOUND;

	memset(m, 0, sizeof(*m));
	if (libusb_get_device_descriptor(dev, &dd) < 0 || !(m->model = usb_stlink_model_of(dd.idVendor, dd.idProduct)))
		return rc;
	if (libusb_get_active_config_descriptor(dev, &cfg) < 0) {
		if (libusb_get_config_descriptor(dev, 0, &cfg) < 0)
			return rc;
		m->set_config = true;
	}
	if (cfg->bNumInterfaces <= USB_STLINK_INTERFACE ||
	    cfg->interface[USB_STLINK_INTERFACE].num_altsetting < 1)
		goto free_config;
	m->config_value = cfg->bConfigurationValue;
	usb_common_location(dev, m->location, sizeof(m->location));
	usb_stlink_strings(dev, &dd, m);
	if (!m->info.product[0])
		snprintf(m->info.product, sizeof(m->info.product), "%s", m->model->name);
	m->info.vid = dd.idVendor;
	m->info.pid = dd.idProduct;
	m->info.transport = usb_stlink_ops.name;
	m->info.protocol = "stlink";
	snprintf(m->addr, sizeof(m->addr), "%04x:%04x@%s", dd.idVendor, dd.idProduct, m->location);
	snprintf(m->info.location, sizeof(m->info.location), "%s", m->addr);
	snprintf(m->info.uri, sizeof(m->info.uri), "%s:%s", usb_stlink_ops.scheme,
		 m->info.serial[0] ? m->info.serial : m->addr);
	rc = 0;
free_config:
	libusb_free_config_descriptor(cfg);
	return rc;
}

static int usb_stlink_enumerate(struct transport_probe_info *out, size_t cap, size_t *n)
{
	libusb_device **list;
	libusb_context *ctx;
	ssize_t count;
	int rc;

	if (!(ctx = usb_common_context(&rc)))
		return err_setf(ERR_IO, "USB is not available here (libusb: %s)", libusb_strerror(rc));
	if ((count = libusb_get_device_list(ctx, &list)) < 0)
		return err_setf(ERR_IO, "cannot list USB devices (libusb: %s)", libusb_strerror((int)count));
	for (ssize_t i = 0; i < count && *n < cap; i++) {
		struct usb_stlink_match m;

		if (usb_stlink_inspect(list[i], &m) == 0)
			out[(*n)++] = m.info;
	}
	libusb_free_device_list(list, 1);
	return 0;
}

static bool usb_stlink_addr_matches(const struct usb_stlink_match *m, const char *addr)
{
	return addr[0] == '\0' || (m->info.serial[0] && strcmp(m->info.serial, addr) == 0) ||
	       strcasecmp(m->addr, addr) == 0;
}

/* Append URI to a comma-separated list; "..." once it is full. */
/* The one ST-LINK ADDR names: 0 with *CHOSEN and *DEV (referenced), or -ERR_*. */
static int usb_stlink_find(const char *addr, struct usb_stlink_match *chosen, libusb_device **dev)
{
	char found[320] = "";
	libusb_device **list;
	libusb_context *ctx;
	size_t matches = 0;
	ssize_t count;
	int rc;

	if (!(ctx = usb_common_context(&rc)))
		return err_setf(ERR_PROBE_NOT_FOUND, "no ST-LINK%s%s%s: USB is not available here (libusb: %s)",
				addr[0] ? " '" : "", addr, addr[0] ? "'" : "", libusb_strerror(rc));
	if ((count = libusb_get_device_list(ctx, &list)) < 0)
		return err_setf(ERR_PROBE_NOT_FOUND, "no ST-LINK%s%s%s: cannot list USB devices (libusb: %s)",
				addr[0] ? " '" : "", addr, addr[0] ? "'" : "", libusb_strerror((int)count));
	for (ssize_t i = 0; i < count; i++) {
		struct usb_stlink_match m;

		if (usb_stlink_inspect(list[i], &m) < 0)
			continue;
		usb_common_list_add(found, sizeof(found), m.info.uri);
		if (usb_stlink_addr_matches(&m, addr) && matches++ == 0) {
			*chosen = m;
			*dev = libusb_ref_device(list[i]);
		}
	}
	libusb_free_device_list(list, 1);
	if (matches == 0 && addr[0])
		return err_setf(ERR_PROBE_NOT_FOUND, "no ST-LINK with serial or address '%s' is attached (found: %s)",
				addr, found[0] ? found : "none");
	if (matches == 0)
		return err_setf(ERR_PROBE_NOT_FOUND, "no ST-LINK is attached over USB");
	if (matches == 1)
		return 0;
	libusb_unref_device(*dev);
	if (addr[0])
		return err_setf(ERR_INVALID_ARGUMENT, "%zu ST-LINKs answer to '%s' (attached: %s): name one by its "
				"usb:VID:PID@BUS-PORTS address", matches, addr, found);
	return err_setf(ERR_INVALID_ARGUMENT, "%zu ST-LINKs are attached (%s): name one, e.g. %s", matches, found,
			chosen->info.uri);
}

static int usb_stlink_open_error(const struct usb_stlink_match *m, int rc, const char *what)
{
	switch (rc) {
	case LIBUSB_ERROR_ACCESS:
		return err_setf(ERR_PROBE_PERMISSION,
				"cannot %s %s (USB %s, %04x:%04x): permission denied; install the udev "
				"rule (60-rdpd.rules, installed with rdpd) and add the user to the rdpd group",
				what, m->info.uri, m->location, m->info.vid, m->info.pid);
	case LIBUSB_ERROR_BUSY:
		return err_setf(ERR_PROBE_OPEN_FAILED,
				"cannot %s %s: another program (OpenOCD, st-util, STM32CubeProgrammer, an IDE) "
				"is using the ST-LINK", what, m->info.uri);
	case LIBUSB_ERROR_NO_DEVICE:
		return err_setf(ERR_PROBE_DISCONNECTED, "probe %s was unplugged while opening it", m->info.uri);
	default:
		return err_setf(ERR_PROBE_OPEN_FAILED, "cannot %s %s: %s", what, m->info.uri, libusb_strerror(rc));
	}
}

/* Read and drop whatever a previous session left on IN. */
static void usb_stlink_flush(struct usb_stlink *us)
{
	uint8_t junk[512];
	int i, got;

	for (i = 0; i < USB_STLINK_FLUSH_READS; i++)
		if (libusb_bulk_transfer(us->handle, us->ep_in, junk, sizeof(junk), &got,
					 USB_STLINK_FLUSH_TIMEOUT_MS) != 0 || got == 0)
			break;
	if (i > 0)
		log_debug("%s: dropped %d stale ST-LINK replies", us->base.info.uri, i);
}

/* Claim interface 0 of the ST-LINK at ADDR. -ERR_PROBE_NOT_FOUND when none
 * matches, so transport_open() goes on to the next USB backend. */
static int usb_stlink_open(const char *addr, struct transport **out)
{
	struct usb_stlink_match m;
	libusb_device *dev = NULL;
	libusb_device_handle *h;
	struct usb_stlink *us;
	int rc = usb_stlink_find(addr, &m, &dev);

	if (rc < 0)
		return rc;
	if (m.model->loader) {
		rc = err_setf(ERR_PROBE_UNSUPPORTED,
			      "%s (%04x:%04x) is in its USB loader (DFU mode), not running its debug firmware: finish "
			      "or redo the firmware update with ST's STLinkUpgrade or STM32CubeProgrammer, then replug it",
			      m.info.uri, m.info.vid, m.info.pid);
		goto unref_device;
	}
	if ((rc = libusb_open(dev, &h)) < 0) {
		rc = usb_stlink_open_error(&m, rc, "open");
		goto unref_device;
	}
	/* stlink 1.7.0 detaches a kernel driver from interface 0; libusb puts it back at release. */
	libusb_set_auto_detach_kernel_driver(h, 1);
	if (m.set_config && (rc = libusb_set_configuration(h, m.config_value)) < 0) {
		rc = usb_stlink_open_error(&m, rc, "configure");
		goto close_handle;
	}
	if ((rc = libusb_claim_interface(h, USB_STLINK_INTERFACE)) < 0) {
		rc = usb_stlink_open_error(&m, rc, "claim");
		goto close_handle;
	}
	if (!(us = calloc(1, sizeof(*us)))) {
		rc = err_setf(ERR_NO_MEMORY, "out of memory opening %s", m.info.uri);
		goto release_interface;
	}
	us->base.ops = &usb_stlink_ops;
	us->base.info = m.info;
	/* The largest reply rdpd asks for is one 1 KB READMEM_32. */
	us->base.packet_size = TRANSPORT_MAX_PACKET;
	us->handle = h;
	us->ep_out = m.model->ep_out;
	us->ep_in = m.model->ep_in;
	libusb_unref_device(dev);
	usb_stlink_flush(us);
	*out = &us->base;
	return 0;

release_interface:
	libusb_release_interface(h, USB_STLINK_INTERFACE);
close_handle:
	libusb_close(h);
unref_device:
	libusb_unref_device(dev);
	return rc;
}

static int usb_stlink_io_error(const struct transport *t, int rc, const char *what)
{
	switch (rc) {
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_PIPE:
	case LIBUSB_ERROR_IO:
		return err_setf(ERR_PROBE_DISCONNECTED,
				"probe %s stopped responding on USB while %s (%s): was it unplugged or reset?",
				t->info.uri, what, libusb_strerror(rc));
	case LIBUSB_ERROR_OVERFLOW:
		return err_setf(ERR_PROBE_PROTOCOL, "probe %s sent more than was asked while %s", t->info.uri, what);
	default:
		return err_setf(ERR_IO, "USB error on probe %s while %s: %s", t->info.uri, what, libusb_strerror(rc));
	}
}

/* One bulk OUT transfer of exactly LEN bytes: a command or its data phase. */
static int usb_stlink_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct usb_stlink *us = (struct usb_stlink *)t;
	int done = 0, rc;

	/* libusb's buffer argument is not const; an OUT transfer only reads it. */
	rc = libusb_bulk_transfer(us->handle, us->ep_out, (unsigned char *)buf, (int)len, &done,
				  USB_STLINK_SEND_TIMEOUT_MS);
	if (rc == LIBUSB_ERROR_TIMEOUT)
		return err_setf(ERR_PROBE_TIMEOUT, "probe %s did not take a command within %d ms", t->info.uri,
				USB_STLINK_SEND_TIMEOUT_MS);
	if (rc < 0)
		return usb_stlink_io_error(t, rc, "sending a command");
	if ((size_t)done != len)
		return err_setf(ERR_IO, "probe %s took %d of %zu command bytes", t->info.uri, done, len);
	return 0;
}

/* One bulk IN transfer of exactly CAP bytes (the reply length the host
 * chose); *LEN says how many came, which the caller checks. */
static int usb_stlink_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms)
{
	struct usb_stlink *us = (struct usb_stlink *)t;
	int got = 0, rc;

	rc = libusb_bulk_transfer(us->handle, us->ep_in, buf, (int)cap, &got, timeout_ms < 1 ? 1 : timeout_ms);
	if (rc == LIBUSB_ERROR_TIMEOUT && got == 0)
		return err_setf(ERR_PROBE_TIMEOUT, "probe %s sent no reply within %d ms", t->info.uri, timeout_ms);
	if (rc < 0 && rc != LIBUSB_ERROR_TIMEOUT)
		return usb_stlink_io_error(t, rc, "reading a reply");
	*len = (size_t)got;
	return 0;
}

static void usb_stlink_close(struct transport *t)
{
	struct usb_stlink *us = (struct usb_stlink *)t;

	libusb_release_interface(us->handle, USB_STLINK_INTERFACE);
	libusb_close(us->handle);
	free(us);
}

const struct transport_ops usb_stlink_ops = {
	.name = "usb-stlink",
	.scheme = "usb",
	.uri_form = "usb:SERIAL",
	.enumerate = usb_stlink_enumerate,
	.open = usb_stlink_open,
	.send = usb_stlink_send,
	.recv = usb_stlink_recv,
	.close = usb_stlink_close,
};
