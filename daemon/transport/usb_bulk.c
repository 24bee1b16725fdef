/*
 * usb_bulk.c - CMSIS-DAP v2: commands and responses over a pair of USB bulk
 * endpoints, through libusb-1.0.
 *
 * References:
 *   ARM CMSIS-DAP, Documentation/Doxygen/src/dap_firmware.md (v2 interface
 *     requirements) and Firmware/Template/MDK5/USBD_User_CustomClass_0.c.
 *   OpenOCD src/jtag/drivers/cmsis_dap_usb_bulk.c (discovery rules, packet
 *     size) and cmsis_dap.c (cmsis_dap_flush_read).
 *   docs/probe/transports.md, "CMSIS-DAP v2: USB bulk".
 *
 * Addresses (the part of the URI after "usb:"):
 *   SERIAL               the iSerialNumber string, exact match;
 *   VVVV:PPPP@BUS-PORTS  e.g. "0d28:0204@1-2.3": vendor and product id in hex,
 *                        the bus number and the chain of hub ports, as Linux
 *                        names the device in /sys/bus/usb/devices. It is what
 *                        a probe without a serial number is listed as; it stays
 *                        the same while the probe stays plugged into the same
 *                        port (unlike the device address, it survives a reset
 *                        and even a replug into that port). Accepted for any
 *                        probe, with or without a serial;
 *   ""                   the only CMSIS-DAP v2 probe attached.
 *
 * Thread safety: one libusb context for the process, created on first use;
 * libusb serialises its own state. A struct transport is used by one thread
 * at a time (its probe's worker).
 */
#include "transport/transport.h"

#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "log.h"
#include "transport/usb_common.h"
#include "utf8.h"

/* A command is a handful of bytes; a probe that does not take it within a
 * second has stopped reading (hung, or its packet queue is full). */
#define USB_BULK_SEND_TIMEOUT_MS 1000
/* OpenOCD cmsis_dap.c cmsis_dap_flush_read: some adapters keep buffered
 * responses over a USB close/open, so read up to 64 with a 10 ms timeout. */
#define USB_BULK_FLUSH_READS 64
#define USB_BULK_FLUSH_TIMEOUT_MS 10
/* A zero-length packet can trail a response that filled whole USB packets;
 * skip a few before calling the read empty. */
#define USB_BULK_MAX_ZLP_SKIP 4
/* dap_firmware.md: the name that marks a CMSIS-DAP product or interface. */
#define USB_BULK_MARK "CMSIS-DAP"

struct usb_bulk {
	struct transport base;
	libusb_device_handle *handle;
	int interface;
	uint8_t ep_out, ep_in;
	unsigned ep_in_max; /* wMaxPacketSize of the IN endpoint */
	uint8_t *rx;        /* IN transfers land here, then are copied out */
	size_t rx_cap;
};

/* One device as discovery sees it: what to list and how to claim it. */
struct usb_bulk_match {
	struct transport_probe_info info;
	char location[32]; /* "1-2.3" */
	char addr[64];     /* "0d28:0204@1-2.3" */
	int interface;
	uint8_t ep_out, ep_in;
	unsigned ep_out_max, ep_in_max;
	int config_value;
	bool set_config; /* the device is unconfigured: select config_value at open */
};

/* String descriptor INDEX through H, or from sysfs when H is NULL. */
static void usb_bulk_string(libusb_device_handle *h, uint8_t index, const char *sysfs_name,
			    const char *sysfs_attr, char *out, size_t cap)
{
	out[0] = '\0';
	if (index == 0)
		return;
	if (!h) {
		usb_common_sysfs(sysfs_name, sysfs_attr, out, cap);
		utf8_escape_inplace(out, cap);
		return;
	}
	/* libusb gives ASCII (others become '?'), which is what OpenOCD matches. */
	if (libusb_get_string_descriptor_ascii(h, index, (unsigned char *)out, (int)cap) < 0)
		out[0] = '\0';
	/* Control bytes are ASCII too: what the device says is shown as text. */
	utf8_escape_inplace(out, cap);
}

static bool usb_bulk_is_bulk(const struct libusb_endpoint_descriptor *ep, bool in)
{
	return (ep->bmAttributes & 0x03) == LIBUSB_TRANSFER_TYPE_BULK &&
	       ((ep->bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN) == in;
}

/* dap_firmware.md and cmsis_dap_usb_bulk.c: endpoint 1 is bulk OUT (commands),
 * endpoint 2 bulk IN (responses), in descriptor order; an optional third is SWO. */
static bool usb_bulk_has_endpoints(const struct libusb_interface_descriptor *id)
{
	return id->bNumEndpoints >= 2 && usb_bulk_is_bulk(&id->endpoint[0], false) &&
	       usb_bulk_is_bulk(&id->endpoint[1], true);
}

/* Class 0xFF/0/0 is what the spec asks for. cmsis_dap_usb_bulk.c also takes
 * class 0 (KitProg3) or a class above 0x12 when the interface is otherwise
 * reliably identified; that still keeps CDC and MSC interfaces out. */
static bool usb_bulk_class_ok(const struct libusb_interface_descriptor *id, bool reliable)
{
	if (id->bInterfaceClass == LIBUSB_CLASS_VENDOR_SPEC && id->bInterfaceSubClass == 0 &&
	    id->bInterfaceProtocol == 0)
		return true;
	return reliable && (id->bInterfaceClass == 0 || id->bInterfaceClass > 0x12);
}

/* Cheap test before opening anything: could any interface carry CMSIS-DAP v2? */
static bool usb_bulk_maybe_probe(const struct libusb_config_descriptor *cfg)
{
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *id;

		if (cfg->interface[i].num_altsetting < 1)
			continue;
		id = &cfg->interface[i].altsetting[0];
		if (usb_bulk_has_endpoints(id) && usb_bulk_class_ok(id, true))
			return true;
	}
	return false;
}

/*
 * Pick the CMSIS-DAP interface of CFG, following cmsis_dap_usb_bulk.c: skip
 * interfaces unless the product or the interface string names CMSIS-DAP; need
 * bulk OUT then bulk IN; an interface whose own string names CMSIS-DAP wins at
 * once, else the first suitable one. OpenOCD also counts a matching serial or
 * a configured VID:PID as "reliable"; rdpd has neither setting and wants
 * listing and opening to agree, so only the product string counts here.
 * Returns the index into cfg->interface, or -1.
 */
static int usb_bulk_pick_interface(const struct libusb_config_descriptor *cfg,
				   libusb_device_handle *h, struct usb_bulk_match *m,
				   bool product_named, uint8_t config_value)
{
	int chosen = -1;

	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface_descriptor *id;
		char name[128], sysfs_name[48];
		bool if_named;

		if (cfg->interface[i].num_altsetting < 1)
			continue;
		id = &cfg->interface[i].altsetting[0];
		if (!usb_bulk_has_endpoints(id))
			continue;
		snprintf(sysfs_name, sizeof(sysfs_name), "%s:%u.%u", m->location, config_value,
			 id->bInterfaceNumber);
		usb_bulk_string(h, id->iInterface, sysfs_name, "interface", name, sizeof(name));
		if_named = strstr(name, USB_BULK_MARK) != NULL;
		if (!product_named && !if_named)
			continue;
		if (!usb_bulk_class_ok(id, if_named || (product_named && cfg->bNumInterfaces == 1)))
			continue;
		if (if_named || chosen < 0)
			chosen = i;
		if (if_named)
			break;
	}
	return chosen;
}

/*
 * Decide whether DEV is a CMSIS-DAP v2 probe and fill M. Returns 0 when it
 * is, or -ERR_PROBE_NOT_FOUND (no detail: most USB devices are not probes).
 * Opens the device briefly to read its strings, as OpenOCD does; when that is
 * not allowed, the strings come from sysfs and opening it for real later
 * reports the permission problem.
 */
static int usb_bulk_inspect(libusb_device *dev, struct usb_bulk_match *m)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg = NULL;
	const struct libusb_interface_descriptor *id;
	libusb_device_handle *h = NULL;
	bool product_named;
	int rc, idx;

	memset(m, 0, sizeof(*m));
	if (libusb_get_device_descriptor(dev, &dd) < 0)
		return -ERR_PROBE_NOT_FOUND;
	if (libusb_get_active_config_descriptor(dev, &cfg) < 0) {
		if (libusb_get_config_descriptor(dev, 0, &cfg) < 0)
			return -ERR_PROBE_NOT_FOUND;
		m->set_config = true;
	}
	rc = -ERR_PROBE_NOT_FOUND;
	if (!usb_bulk_maybe_probe(cfg))
		goto free_config;
	usb_common_location(dev, m->location, sizeof(m->location));
	if (libusb_open(dev, &h) < 0)
		h = NULL;
	usb_bulk_string(h, dd.iProduct, m->location, "product", m->info.product,
			sizeof(m->info.product));
	product_named = strstr(m->info.product, USB_BULK_MARK) != NULL;
	idx = usb_bulk_pick_interface(cfg, h, m, product_named, cfg->bConfigurationValue);
	if (idx < 0)
		goto close_handle;
	usb_bulk_string(h, dd.iSerialNumber, m->location, "serial", m->info.serial,
			sizeof(m->info.serial));
	usb_bulk_string(h, dd.iManufacturer, m->location, "manufacturer", m->info.vendor,
			sizeof(m->info.vendor));
	id = &cfg->interface[idx].altsetting[0];
	m->interface = id->bInterfaceNumber;
	m->ep_out = id->endpoint[0].bEndpointAddress;
	m->ep_in = id->endpoint[1].bEndpointAddress;
	/* Bits 10..0 are the size; 12..11 count high-bandwidth extras (not bulk). */
	m->ep_out_max = id->endpoint[0].wMaxPacketSize & 0x7ff;
	m->ep_in_max = id->endpoint[1].wMaxPacketSize & 0x7ff;
	m->config_value = cfg->bConfigurationValue;
	m->info.vid = dd.idVendor;
	m->info.pid = dd.idProduct;
	m->info.transport = usb_bulk_ops.name;
	m->info.protocol = "cmsis-dap";
	snprintf(m->addr, sizeof(m->addr), "%04x:%04x@%s", dd.idVendor, dd.idProduct,
		 m->location);
	snprintf(m->info.location, sizeof(m->info.location), "%s", m->addr);
	snprintf(m->info.uri, sizeof(m->info.uri), "%s:%s", usb_bulk_ops.scheme,
		 m->info.serial[0] ? m->info.serial : m->addr);
	rc = 0;
close_handle:
	if (h)
		libusb_close(h);
free_config:
	libusb_free_config_descriptor(cfg);
	return rc;
}

static bool usb_bulk_addr_matches(const struct usb_bulk_match *m, const char *addr)
{
	if (addr[0] == '\0')
		return true;
	if (m->info.serial[0] && strcmp(m->info.serial, addr) == 0)
		return true;
	return strcasecmp(m->addr, addr) == 0; /* hex digits in either case */
}

/* A number of 1 to 3 decimal digits at *P, which moves past it. */
static bool usb_bulk_small_number(const char **p)
{
	size_t n = strspn(*p, "0123456789");

	*p += n;
	return n >= 1 && n <= 3;
}

/* Four hex digits at *P, which moves past them. */
static bool usb_bulk_hex4(const char **p)
{
	if (strspn(*p, "0123456789abcdefABCDEF") < 4)
		return false;
	*p += 4;
	return true;
}

/*
 * The addresses of the top of this file: "" (the only probe), a serial
 * number (what the probe's iSerialNumber says: any printable text, which
 * transport_validate_uri already checked) or a location, recognised by its
 * "VVVV:PPPP@" start and then held to BUS-PORTS as Linux writes it
 * (drivers/usb/core/usb.c: bus number, '-', ports joined by '.'; USB 2.0
 * section 4.1.1 allows at most 7 tiers, so 6 hub ports).
 */
static int usb_bulk_validate(const char *addr)
{
	const char *p = addr;
	unsigned ports = 0;

	if (!*addr)
		return 0;
	if (addr[0] == ' ' || addr[strlen(addr) - 1] == ' ')
		return err_setf(ERR_PROBE_URI_INVALID, "'usb:%s': a serial number has no leading or trailing "
				"spaces", addr);
	if (strspn(addr, "0123456789abcdefABCDEF") != 4 || addr[4] != ':' ||
	    strspn(addr + 5, "0123456789abcdefABCDEF") != 4 || addr[9] != '@')
		return 0; /* a serial number */
	if (usb_bulk_hex4(&p) && *p++ == ':' && usb_bulk_hex4(&p) && *p++ == '@' && usb_bulk_small_number(&p) &&
	    *p++ == '-') {
		while (usb_bulk_small_number(&p) && ++ports <= 6) {
			if (*p == '\0')
				return 0;
			if (*p++ != '.')
				break;
		}
	}
	return err_setf(ERR_PROBE_URI_INVALID, "'usb:%s': a USB location is VVVV:PPPP@BUS-PORTS, e.g. "
			"usb:0d28:0204@1-2.3 (GET /probes lists the attached ones)", addr);
}

/* Append URI to a comma-separated list; "..." once it is full. */
/*
 * List attached CMSIS-DAP v2 probes into OUT[*n..cap). Probes we may not open
 * are listed too (their strings come from sysfs), so the operator sees them;
 * opening one reports the permission problem. Returns 0, or -ERR_IO when
 * libusb cannot work on this machine.
 */
static int usb_bulk_enumerate(struct transport_probe_info *out, size_t cap, size_t *n)
{
	libusb_device **list;
	libusb_context *ctx;
	ssize_t count;
	int rc;

	ctx = usb_common_context(&rc);
	if (!ctx)
		return err_setf(ERR_IO, "USB is not available here (libusb: %s)",
				libusb_strerror(rc));
	count = libusb_get_device_list(ctx, &list);
	if (count < 0)
		return err_setf(ERR_IO, "cannot list USB devices (libusb: %s)",
				libusb_strerror((int)count));
	for (ssize_t i = 0; i < count && *n < cap; i++) {
		struct usb_bulk_match m;

		if (usb_bulk_inspect(list[i], &m) == 0)
			out[(*n)++] = m.info;
	}
	libusb_free_device_list(list, 1);
	return 0;
}

static int usb_bulk_rx_alloc(struct usb_bulk *ub, unsigned packet_size)
{
	/* An IN transfer shorter than a USB packet risks LIBUSB_ERROR_OVERFLOW, so
	 * the buffer is the packet size rounded up to whole endpoint packets. */
	size_t want = packet_size > ub->ep_in_max ? packet_size : ub->ep_in_max;
	uint8_t *rx;

	want = (want + ub->ep_in_max - 1) / ub->ep_in_max * ub->ep_in_max;
	rx = realloc(ub->rx, want);
	if (!rx)
		return err_setf(ERR_NO_MEMORY, "out of memory for a %zu-byte USB buffer", want);
	ub->rx = rx;
	ub->rx_cap = want;
	return 0;
}

/* libusb errors of an open transfer: the probe went away, or something odd. */
static int usb_bulk_io_error(const struct transport *t, int rc, const char *what)
{
	switch (rc) {
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_PIPE:
	case LIBUSB_ERROR_IO:
		return err_setf(ERR_PROBE_DISCONNECTED,
				"probe %s stopped responding on USB while %s (%s): was it unplugged or reset?",
				t->info.uri, what, libusb_strerror(rc));
	case LIBUSB_ERROR_OVERFLOW:
		return err_setf(ERR_PROBE_PROTOCOL,
				"probe %s sent more than the %u-byte packet size while %s",
				t->info.uri, t->packet_size, what);
	default:
		return err_setf(ERR_IO, "USB error on probe %s while %s: %s", t->info.uri, what,
				libusb_strerror(rc));
	}
}

/* One IN transfer; *GOT = bytes received. Returns 0 or a libusb error. */
static int usb_bulk_read_raw(struct usb_bulk *ub, int timeout_ms, int *got)
{
	int rc;

	/* libusb reads 0 as "wait forever", which a worker must never do. */
	if (timeout_ms < 1)
		timeout_ms = 1;
	*got = 0;
	rc = libusb_bulk_transfer(ub->handle, ub->ep_in, ub->rx, (int)ub->rx_cap, got, timeout_ms);
	/* Data that arrived before a timeout is a whole response that happened to
	 * end on a USB packet boundary with no zero-length packet after it: one
	 * response per transfer (USBD_User_CustomClass_0.c), so keep it. */
	if (rc == LIBUSB_ERROR_TIMEOUT && *got > 0)
		rc = 0;
	return rc;
}

/* cmsis_dap.c cmsis_dap_flush_read: drain responses left from a previous session. */
static void usb_bulk_flush(struct usb_bulk *ub)
{
	int i, got;

	for (i = 0; i < USB_BULK_FLUSH_READS; i++)
		if (usb_bulk_read_raw(ub, USB_BULK_FLUSH_TIMEOUT_MS, &got) != 0)
			break;
	if (i > 0)
		log_debug("%s: flushed %d stale USB packets", ub->base.info.uri, i);
}

/* Error for a libusb failure to open or claim the probe M. */
static int usb_bulk_open_error(const struct usb_bulk_match *m, int rc, const char *what)
{
	switch (rc) {
	case LIBUSB_ERROR_ACCESS:
		return err_setf(ERR_PROBE_PERMISSION,
				"cannot %s %s (USB %s, %04x:%04x): permission denied; install the udev "
				"rule (60-rdpd.rules, installed with rdpd) and add the user to the rdpd group",
				what, m->info.uri, m->location, m->info.vid, m->info.pid);
	case LIBUSB_ERROR_BUSY:
		return err_setf(ERR_PROBE_OPEN_FAILED,
				"cannot %s %s: another program (OpenOCD, pyOCD, an IDE) is using the probe",
				what, m->info.uri);
	case LIBUSB_ERROR_NO_DEVICE:
		return err_setf(ERR_PROBE_DISCONNECTED, "probe %s was unplugged while opening it",
				m->info.uri);
	default:
		return err_setf(ERR_PROBE_OPEN_FAILED, "cannot %s %s: %s", what, m->info.uri,
				libusb_strerror(rc));
	}
}

/*
 * Open the CMSIS-DAP v2 probe at ADDR (see the top of the file), claim its
 * interface and drain stale responses. -ERR_PROBE_NOT_FOUND when no v2 probe
 * matches, so transport_open() goes on to the HID backend.
 */
static int usb_bulk_open(const char *addr, struct transport **out)
{
	struct usb_bulk_match m, chosen;
	char found[320] = "";
	libusb_device **list, *dev = NULL;
	libusb_context *ctx;
	libusb_device_handle *h;
	struct usb_bulk *ub;
	size_t matches = 0;
	ssize_t count;
	int rc;

	ctx = usb_common_context(&rc);
	if (!ctx)
		return err_setf(ERR_PROBE_NOT_FOUND,
				"no CMSIS-DAP probe%s%s%s: USB is not available here (libusb: %s)",
				addr[0] ? " '" : "", addr, addr[0] ? "'" : "", libusb_strerror(rc));
	count = libusb_get_device_list(ctx, &list);
	if (count < 0)
		return err_setf(ERR_PROBE_NOT_FOUND,
				"no CMSIS-DAP probe%s%s%s: cannot list USB devices (libusb: %s)",
				addr[0] ? " '" : "", addr, addr[0] ? "'" : "",
				libusb_strerror((int)count));
	for (ssize_t i = 0; i < count; i++) {
		if (usb_bulk_inspect(list[i], &m) < 0)
			continue;
		usb_common_list_add(found, sizeof(found), m.info.uri);
		if (!usb_bulk_addr_matches(&m, addr))
			continue;
		if (matches++ == 0) {
			chosen = m;
			dev = libusb_ref_device(list[i]);
		}
	}
	libusb_free_device_list(list, 1);

	if (matches == 0 && addr[0])
		return err_setf(ERR_PROBE_NOT_FOUND,
				"no CMSIS-DAP probe with serial or address '%s' is attached (found: %s)",
				addr, found[0] ? found : "none");
	if (matches == 0)
		return err_setf(ERR_PROBE_NOT_FOUND, "no CMSIS-DAP probe is attached over USB");
	if (matches > 1) {
		if (addr[0])
			rc = err_setf(ERR_INVALID_ARGUMENT,
				      "%zu CMSIS-DAP probes answer to '%s' (attached: %s): name one by "
				      "its usb:VID:PID@BUS-PORTS address",
				      matches, addr, found);
		else
			rc = err_setf(ERR_INVALID_ARGUMENT,
				      "%zu CMSIS-DAP probes are attached (%s): name one, e.g. %s",
				      matches, found, chosen.info.uri);
		goto unref_device;
	}
	rc = libusb_open(dev, &h);
	if (rc < 0) {
		rc = usb_bulk_open_error(&chosen, rc, "open");
		goto unref_device;
	}
	/* A vendor-class interface normally has no kernel driver; if one is bound
	 * (class-0 interfaces such as KitProg3's can attract one), let libusb
	 * detach it for the claim and re-attach it at release. Not supported on
	 * every platform, which is fine: there is then nothing to detach. */
	libusb_set_auto_detach_kernel_driver(h, 1);
	if (chosen.set_config) {
		rc = libusb_set_configuration(h, chosen.config_value);
		if (rc < 0) {
			rc = usb_bulk_open_error(&chosen, rc, "configure");
			goto close_handle;
		}
	}
	rc = libusb_claim_interface(h, chosen.interface);
	if (rc < 0) {
		rc = usb_bulk_open_error(&chosen, rc, "claim");
		goto close_handle;
	}
	ub = calloc(1, sizeof(*ub));
	if (!ub) {
		rc = err_setf(ERR_NO_MEMORY, "out of memory opening %s", chosen.info.uri);
		goto release_interface;
	}
	ub->base.ops = &usb_bulk_ops;
	ub->base.info = chosen.info;
	/* cmsis_dap_usb_bulk.c: start from the OUT endpoint's packet size (64 on
	 * full speed, 512 on high speed); DAP_Info 0xFF refines it later. */
	ub->base.packet_size = chosen.ep_out_max;
	if (ub->base.packet_size < 64)
		ub->base.packet_size = 64;
	if (ub->base.packet_size > TRANSPORT_MAX_PACKET)
		ub->base.packet_size = TRANSPORT_MAX_PACKET;
	/* OpenOCD packet_usable_size = packet_size - 1: a command never fills a
	 * whole packet, so no zero-length packet has to follow it. */
	ub->base.avoid_full_packets = true;
	ub->handle = h;
	ub->interface = chosen.interface;
	ub->ep_out = chosen.ep_out;
	ub->ep_in = chosen.ep_in;
	ub->ep_in_max = chosen.ep_in_max ? chosen.ep_in_max : 64;
	rc = usb_bulk_rx_alloc(ub, ub->base.packet_size);
	if (rc < 0)
		goto free_transport;
	libusb_unref_device(dev);
	usb_bulk_flush(ub);
	*out = &ub->base;
	return 0;

free_transport:
	free(ub);
release_interface:
	libusb_release_interface(h, chosen.interface);
close_handle:
	libusb_close(h);
unref_device:
	libusb_unref_device(dev);
	return rc;
}

/* One bulk OUT transfer carrying the whole command. */
static int usb_bulk_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct usb_bulk *ub = (struct usb_bulk *)t;
	int done = 0, rc;

	if (len == 0 || len > t->packet_size)
		return err_setf(ERR_INTERNAL, "command of %zu bytes for a %u-byte packet", len,
				t->packet_size);
	/* libusb's buffer argument is not const; an OUT transfer only reads it. */
	rc = libusb_bulk_transfer(ub->handle, ub->ep_out, (unsigned char *)buf, (int)len, &done,
				  USB_BULK_SEND_TIMEOUT_MS);
	if (rc == LIBUSB_ERROR_TIMEOUT)
		return err_setf(ERR_PROBE_TIMEOUT,
				"probe %s did not accept a command within %d ms (hung, or more "
				"commands in flight than its packet count)",
				t->info.uri, USB_BULK_SEND_TIMEOUT_MS);
	if (rc < 0)
		return usb_bulk_io_error(t, rc, "sending a command");
	if ((size_t)done != len)
		return err_setf(ERR_IO, "probe %s took %d of %zu command bytes", t->info.uri, done,
				len);
	return 0;
}

/* One bulk IN transfer; v2 responses are not padded (USBD_User_CustomClass_0.c). */
static int usb_bulk_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len,
			 int timeout_ms)
{
	struct usb_bulk *ub = (struct usb_bulk *)t;
	int got = 0, rc = 0;

	for (int i = 0; i < USB_BULK_MAX_ZLP_SKIP; i++) {
		rc = usb_bulk_read_raw(ub, timeout_ms, &got);
		if (rc != 0 || got > 0)
			break;
	}
	if (rc == LIBUSB_ERROR_TIMEOUT || (rc == 0 && got == 0))
		return err_setf(ERR_PROBE_TIMEOUT, "probe %s sent no response within %d ms",
				t->info.uri, timeout_ms);
	if (rc < 0)
		return usb_bulk_io_error(t, rc, "reading a response");
	if ((size_t)got > cap || (unsigned)got > t->packet_size)
		return err_setf(ERR_PROBE_PROTOCOL,
				"probe %s sent a %d-byte response; at most %zu expected (packet size %u)",
				t->info.uri, got, cap < t->packet_size ? cap : t->packet_size,
				t->packet_size);
	memcpy(buf, ub->rx, (size_t)got);
	*len = (size_t)got;
	return 0;
}

static int usb_bulk_set_packet_size(struct transport *t, unsigned size)
{
	return usb_bulk_rx_alloc((struct usb_bulk *)t, size);
}

static void usb_bulk_close(struct transport *t)
{
	struct usb_bulk *ub = (struct usb_bulk *)t;

	libusb_release_interface(ub->handle, ub->interface);
	libusb_close(ub->handle);
	free(ub->rx);
	free(ub);
}

const struct transport_ops usb_bulk_ops = {
	.name = "usb-bulk",
	.scheme = "usb",
	.uri_form = "usb:SERIAL",
	.enumerate = usb_bulk_enumerate,
	.validate = usb_bulk_validate, /* usb_hid.c takes the same addresses */
	.open = usb_bulk_open,
	.send = usb_bulk_send,
	.recv = usb_bulk_recv,
	.set_packet_size = usb_bulk_set_packet_size,
	.close = usb_bulk_close,
};
