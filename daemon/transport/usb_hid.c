/*
 * usb_hid.c - CMSIS-DAP v1: commands and responses as USB HID reports,
 * through hidapi's hidraw backend.
 *
 * References:
 *   ARM CMSIS-DAP, Firmware/Template/MDK5/USBD_User_HID_0.c (reports are
 *     DAP_PACKET_SIZE long, responses padded to it); mainpage.md (v1 is
 *     deprecated, but many probes in use still speak only v1).
 *   OpenOCD src/jtag/drivers/cmsis_dap_usb_hid.c (discovery, report framing,
 *     Atmel packet sizes, LPC-Link2 quirk) and cmsis_dap.c (flush at open).
 *   docs/probe/transports.md, "CMSIS-DAP v1: USB HID".
 *
 * Addresses are those of usb_bulk.c: SERIAL, "VVVV:PPPP@BUS-PORTS" (the
 * location Linux gives the USB device, read from the hidraw node's sysfs
 * link, so a serial-less probe gets the same URI from both backends), or ""
 * for the only CMSIS-DAP v1 probe.
 *
 * Thread safety: hidapi's hidraw backend keeps its last global error in one
 * unguarded static string, written by hid_init, hid_enumerate and
 * hid_open_path; those calls are made under usb_hid_lock. Calls on an open
 * device touch only that device and need no lock.
 */
#include "transport/transport.h"

#include <errno.h>
#include <hidapi/hidapi.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

#include "err.h"
#include "log.h"
#include "utf8.h"

/* cmsis_dap.c cmsis_dap_flush_read: up to 64 stale responses, 10 ms each. */
#define USB_HID_FLUSH_READS 64
#define USB_HID_FLUSH_TIMEOUT_MS 10
/* cmsis_dap_usb_hid.c: hidapi cannot tell the report size, so assume 64
 * until DAP_Info 0xFF says otherwise... */
#define USB_HID_DEFAULT_PACKET 64
/* ...except on these Atmel/Microchip (VID 0x03eb) probes with 512-byte reports. */
#define USB_HID_ATMEL_VID 0x03eb
#define USB_HID_ATMEL_PACKET 512
/* cmsis_dap_usb_hid.c: LPC-Link2 offers CMSIS-DAP on HID interface 0 only. */
#define USB_HID_LPCLINK2_VID 0x1fc9
#define USB_HID_LPCLINK2_PID 0x0090
/* hidraw paths are "/dev/hidrawN"; anything longer is not ours. */
#define USB_HID_PATH_MAX 128

static const uint16_t usb_hid_atmel_pids[] = {
	0x2140, /* JTAGICE3 */
	0x2141, /* Atmel-ICE */
	0x2144, /* Power Debugger */
	0x2111, /* EDBG */
	0x2157,
	0x2169, /* EDBG + MSC */
	0x216a,
	0x2170,
};

struct usb_hid {
	struct transport base;
	hid_device *dev;
	uint8_t *tx; /* report ID 0x00 + packet_size bytes */
	uint8_t *rx; /* packet_size + 1, so an oversized report shows as such */
};

/* One hidapi device entry as discovery sees it. */
struct usb_hid_match {
	struct transport_probe_info info;
	char addr[64]; /* "0d28:0204@1-2.3" */
	char path[USB_HID_PATH_MAX];
};

static pthread_once_t usb_hid_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t usb_hid_lock = PTHREAD_MUTEX_INITIALIZER;
static int usb_hid_init_rc;

static void usb_hid_lib_init(void)
{
	pthread_mutex_lock(&usb_hid_lock);
	usb_hid_init_rc = hid_init();
	pthread_mutex_unlock(&usb_hid_lock);
}

/* hid_init once per process; 0 or -1 as hid_init returned. */
static int usb_hid_ready(void)
{
	pthread_once(&usb_hid_once, usb_hid_lib_init);
	return usb_hid_init_rc;
}

/* hidapi strings are wchar_t, UTF-32 on Linux; write them as UTF-8, whole
 * characters only, always terminated. Invalid code points become '?'. */
static void usb_hid_utf8(const wchar_t *w, char *out, size_t cap)
{
	size_t used = 0;

	if (cap == 0)
		return;
	for (; w && *w; w++) {
		uint32_t c = (uint32_t)*w;
		char enc[4];
		size_t k;

		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			c = '?';
		if (c < 0x80) {
			enc[0] = (char)c;
			k = 1;
		} else if (c < 0x800) {
			enc[0] = (char)(0xc0 | (c >> 6));
			enc[1] = (char)(0x80 | (c & 0x3f));
			k = 2;
		} else if (c < 0x10000) {
			enc[0] = (char)(0xe0 | (c >> 12));
			enc[1] = (char)(0x80 | ((c >> 6) & 0x3f));
			enc[2] = (char)(0x80 | (c & 0x3f));
			k = 3;
		} else {
			enc[0] = (char)(0xf0 | (c >> 18));
			enc[1] = (char)(0x80 | ((c >> 12) & 0x3f));
			enc[2] = (char)(0x80 | ((c >> 6) & 0x3f));
			enc[3] = (char)(0x80 | (c & 0x3f));
			k = 4;
		}
		if (used + k >= cap)
			break;
		memcpy(out + used, enc, k);
		used += k;
	}
	out[used] = '\0';
}

/*
 * The USB location ("1-2.3") of the device behind hidraw node PATH. sysfs
 * links /sys/class/hidraw/hidrawN/device to .../1-2.3/1-2.3:1.0/0003:VID:PID.N;
 * the parent's name up to ':' is the USB device. When that cannot be read,
 * fall back to the node's name ("hidraw3"), stable while plugged.
 */
static void usb_hid_location(const char *path, char *out, size_t cap)
{
	const char *node = strrchr(path, '/');
	char link[128], real[PATH_MAX];
	char *last, *parent;

	node = node ? node + 1 : path;
	snprintf(out, cap, "%s", node);
	snprintf(link, sizeof(link), "/sys/class/hidraw/%s/device", node);
	if (!realpath(link, real))
		return;
	last = strrchr(real, '/');
	if (!last)
		return;
	*last = '\0';
	parent = strrchr(real, '/');
	if (!parent || !strchr(parent, ':') || !strchr(parent, '-'))
		return;
	parent++;
	parent[strcspn(parent, ":")] = '\0';
	snprintf(out, cap, "%s", parent);
}

static bool usb_hid_is_probe(const struct hid_device_info *d)
{
	if (!d->path || strlen(d->path) >= USB_HID_PATH_MAX)
		return false;
	if (!d->product_string || !wcsstr(d->product_string, L"CMSIS-DAP"))
		return false;
	if (d->vendor_id == USB_HID_LPCLINK2_VID && d->product_id == USB_HID_LPCLINK2_PID &&
	    d->interface_number != 0)
		return false;
	return true;
}

static void usb_hid_fill(const struct hid_device_info *d, struct usb_hid_match *m)
{
	char location[48];

	memset(m, 0, sizeof(*m));
	usb_hid_utf8(d->serial_number, m->info.serial, sizeof(m->info.serial));
	usb_hid_utf8(d->manufacturer_string, m->info.vendor, sizeof(m->info.vendor));
	usb_hid_utf8(d->product_string, m->info.product, sizeof(m->info.product));
	/* Valid UTF-8 now, but control characters are shown as text too. */
	utf8_escape_inplace(m->info.serial, sizeof(m->info.serial));
	utf8_escape_inplace(m->info.vendor, sizeof(m->info.vendor));
	utf8_escape_inplace(m->info.product, sizeof(m->info.product));
	usb_hid_location(d->path, location, sizeof(location));
	snprintf(m->addr, sizeof(m->addr), "%04x:%04x@%s", d->vendor_id, d->product_id, location);
	snprintf(m->info.location, sizeof(m->info.location), "%s", m->addr);
	snprintf(m->info.uri, sizeof(m->info.uri), "%s:%s", usb_hid_ops.scheme,
		 m->info.serial[0] ? m->info.serial : m->addr);
	snprintf(m->path, sizeof(m->path), "%s", d->path);
	m->info.transport = usb_hid_ops.name;
	m->info.protocol = "cmsis-dap";
	m->info.vid = d->vendor_id;
	m->info.pid = d->product_id;
}

static bool usb_hid_addr_matches(const struct usb_hid_match *m, const char *addr)
{
	if (addr[0] == '\0')
		return true;
	if (m->info.serial[0] && strcmp(m->info.serial, addr) == 0)
		return true;
	return strcasecmp(m->addr, addr) == 0;
}

/* Append URI to a comma-separated list; "..." once it is full. */
static void usb_hid_list_add(char *list, size_t cap, const char *uri)
{
	size_t used = strlen(list);

	if (used >= 3 && strcmp(list + used - 3, "...") == 0)
		return;
	if (used + 2 + strlen(uri) + 6 <= cap)
		snprintf(list + used, cap - used, "%s%s", used ? ", " : "", uri);
	else
		snprintf(list + used, cap - used, "%s...", used ? ", " : "");
}

/* Whether ITEM is already in the comma-separated LIST. */
static bool usb_hid_list_has(const char *list, const char *item)
{
	size_t len = strlen(item);

	for (const char *p = list; (p = strstr(p, item)) != NULL; p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ','))
			return true;
	return false;
}

/*
 * List attached CMSIS-DAP v1 probes into OUT[*n..cap), one entry per USB
 * device (a composite device shows one HID entry per interface). The hidraw
 * backend reads strings from sysfs, so probes we may not open are listed too.
 */
static int usb_hid_enumerate(struct transport_probe_info *out, size_t cap, size_t *n)
{
	struct hid_device_info *all;
	char seen[1024] = "";

	if (usb_hid_ready() < 0)
		return err_setf(ERR_IO, "HID devices cannot be listed here (hid_init failed)");
	pthread_mutex_lock(&usb_hid_lock);
	all = hid_enumerate(0, 0);
	pthread_mutex_unlock(&usb_hid_lock);
	for (const struct hid_device_info *d = all; d && *n < cap; d = d->next) {
		struct usb_hid_match m;

		if (!usb_hid_is_probe(d))
			continue;
		usb_hid_fill(d, &m);
		/* Another HID interface of a USB device already listed. */
		if (usb_hid_list_has(seen, m.addr))
			continue;
		usb_hid_list_add(seen, sizeof(seen), m.addr);
		out[(*n)++] = m.info;
	}
	hid_free_enumeration(all);
	return 0;
}

static int usb_hid_buffers(struct usb_hid *uh, unsigned packet_size)
{
	uint8_t *tx = realloc(uh->tx, (size_t)packet_size + 1);

	if (!tx)
		return err_setf(ERR_NO_MEMORY, "out of memory for %u-byte HID reports", packet_size);
	uh->tx = tx;
	tx = realloc(uh->rx, (size_t)packet_size + 1);
	if (!tx)
		return err_setf(ERR_NO_MEMORY, "out of memory for %u-byte HID reports", packet_size);
	uh->rx = tx;
	return 0;
}

static unsigned usb_hid_initial_packet_size(uint16_t vid, uint16_t pid)
{
	if (vid != USB_HID_ATMEL_VID)
		return USB_HID_DEFAULT_PACKET;
	for (size_t i = 0; i < sizeof(usb_hid_atmel_pids) / sizeof(usb_hid_atmel_pids[0]); i++)
		if (usb_hid_atmel_pids[i] == pid)
			return USB_HID_ATMEL_PACKET;
	return USB_HID_DEFAULT_PACKET;
}

/* cmsis_dap.c cmsis_dap_flush_read: drain responses left from a previous session. */
static void usb_hid_flush(struct usb_hid *uh)
{
	int i;

	for (i = 0; i < USB_HID_FLUSH_READS; i++)
		if (hid_read_timeout(uh->dev, uh->rx, uh->base.packet_size + 1,
				     USB_HID_FLUSH_TIMEOUT_MS) <= 0)
			break;
	if (i > 0)
		log_debug("%s: flushed %d stale HID reports", uh->base.info.uri, i);
}

/* Find the probe at ADDR among hidapi's devices; 0 with *CHOSEN filled, or -ERR_*. */
static int usb_hid_find(const char *addr, struct usb_hid_match *chosen)
{
	struct hid_device_info *all;
	char found[320] = "", seen[1024] = "";
	size_t matches = 0;

	if (usb_hid_ready() < 0)
		return err_setf(ERR_PROBE_NOT_FOUND,
				"no CMSIS-DAP probe%s%s%s: USB HID is not available here (hid_init failed)",
				addr[0] ? " '" : "", addr, addr[0] ? "'" : "");
	pthread_mutex_lock(&usb_hid_lock);
	all = hid_enumerate(0, 0);
	pthread_mutex_unlock(&usb_hid_lock);
	for (const struct hid_device_info *d = all; d; d = d->next) {
		struct usb_hid_match m;

		if (!usb_hid_is_probe(d))
			continue;
		usb_hid_fill(d, &m);
		/* Another HID interface of a USB device already seen. */
		if (usb_hid_list_has(seen, m.addr))
			continue;
		usb_hid_list_add(seen, sizeof(seen), m.addr);
		usb_hid_list_add(found, sizeof(found), m.info.uri);
		if (!usb_hid_addr_matches(&m, addr))
			continue;
		if (matches++ == 0)
			*chosen = m;
	}
	hid_free_enumeration(all);

	if (matches == 0 && addr[0])
		return err_setf(ERR_PROBE_NOT_FOUND,
				"no CMSIS-DAP probe with serial or address '%s' is attached (found: %s)",
				addr, found[0] ? found : "none");
	if (matches == 0)
		return err_setf(ERR_PROBE_NOT_FOUND, "no CMSIS-DAP probe is attached over USB");
	if (matches > 1 && addr[0])
		return err_setf(ERR_INVALID_ARGUMENT,
				"%zu CMSIS-DAP probes answer to '%s' (attached: %s): name one by its "
				"usb:VID:PID@BUS-PORTS address",
				matches, addr, found);
	if (matches > 1)
		return err_setf(ERR_INVALID_ARGUMENT,
				"%zu CMSIS-DAP probes are attached (%s): name one, e.g. %s", matches,
				found, chosen->info.uri);
	return 0;
}

/*
 * Open the CMSIS-DAP v1 probe at ADDR and drain stale responses.
 * -ERR_PROBE_NOT_FOUND when no v1 probe matches.
 */
static int usb_hid_open(const char *addr, struct transport **out)
{
	struct usb_hid_match m;
	struct usb_hid *uh;
	hid_device *dev;
	int rc;

	rc = usb_hid_find(addr, &m);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&usb_hid_lock);
	dev = hid_open_path(m.path);
	pthread_mutex_unlock(&usb_hid_lock);
	if (!dev) {
		/* hidapi does not promise errno; ask the node directly why. hidraw does not
		 * open exclusively, so a busy probe opens fine here. */
		if (access(m.path, R_OK | W_OK) != 0 && (errno == EACCES || errno == EPERM))
			rc = err_setf(ERR_PROBE_PERMISSION,
				      "cannot open %s (%s, %04x:%04x): permission denied; install the "
				      "udev rule (60-rdpd.rules, installed with rdpd) and add the user to the rdpd group",
				      m.info.uri, m.path, m.info.vid, m.info.pid);
		else if (access(m.path, F_OK) != 0)
			rc = err_setf(ERR_PROBE_DISCONNECTED, "probe %s was unplugged while opening it",
				      m.info.uri);
		else
			rc = err_setf(ERR_PROBE_OPEN_FAILED, "cannot open %s (%s)", m.info.uri,
				      m.path);
		return rc;
	}
	uh = calloc(1, sizeof(*uh));
	if (!uh) {
		rc = err_setf(ERR_NO_MEMORY, "out of memory opening %s", m.info.uri);
		goto close_device;
	}
	uh->dev = dev;
	uh->base.ops = &usb_hid_ops;
	uh->base.info = m.info;
	uh->base.packet_size = usb_hid_initial_packet_size(m.info.vid, m.info.pid);
	/* HID moves whole reports: a full command needs no zero-length packet. */
	uh->base.avoid_full_packets = false;
	rc = usb_hid_buffers(uh, uh->base.packet_size);
	if (rc < 0)
		goto free_transport;
	usb_hid_flush(uh);
	*out = &uh->base;
	return 0;

free_transport:
	free(uh->tx);
	free(uh->rx);
	free(uh);
close_device:
	hid_close(dev);
	return rc;
}

/* hidapi answers -1 on an open device when the node is gone or the write or
 * read failed; hidraw reports an unplugged probe that way. */
static int usb_hid_io_error(struct usb_hid *uh, const char *what)
{
	char why[160];

	usb_hid_utf8(hid_error(uh->dev), why, sizeof(why));
	return err_setf(ERR_PROBE_DISCONNECTED,
			"probe %s stopped responding on USB HID while %s (%s): was it unplugged "
			"or reset?",
			uh->base.info.uri, what, why[0] ? why : "no detail from hidapi");
}

/* cmsis_dap_usb_hid.c: report ID 0x00 (unnumbered reports), the command, zeros
 * to the report size; hid_write always gets the full 1 + packet_size bytes. */
static int usb_hid_send(struct transport *t, const uint8_t *buf, size_t len)
{
	struct usb_hid *uh = (struct usb_hid *)t;
	size_t full = (size_t)t->packet_size + 1;
	int rc;

	if (len == 0 || len > t->packet_size)
		return err_setf(ERR_INTERNAL, "command of %zu bytes for a %u-byte report", len,
				t->packet_size);
	uh->tx[0] = 0x00;
	memcpy(uh->tx + 1, buf, len);
	memset(uh->tx + 1 + len, 0, full - 1 - len);
	rc = hid_write(uh->dev, uh->tx, full);
	if (rc < 0)
		return usb_hid_io_error(uh, "sending a command");
	if ((size_t)rc != full)
		return err_setf(ERR_IO, "probe %s took %d of %zu report bytes", t->info.uri, rc, full);
	return 0;
}

/* One input report. It comes padded to the report size (USBD_User_HID_0.c);
 * the DAP layer parses by structure. No report ID byte precedes the data. */
static int usb_hid_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len,
			int timeout_ms)
{
	struct usb_hid *uh = (struct usb_hid *)t;
	int n;

	/* hidapi reads -1 as "wait forever", which a worker must never do. */
	if (timeout_ms < 0)
		timeout_ms = 0;
	n = hid_read_timeout(uh->dev, uh->rx, (size_t)t->packet_size + 1, timeout_ms);
	if (n == 0)
		return err_setf(ERR_PROBE_TIMEOUT, "probe %s sent no response within %d ms",
				t->info.uri, timeout_ms);
	if (n < 0)
		return usb_hid_io_error(uh, "reading a response");
	if ((size_t)n > cap || (unsigned)n > t->packet_size)
		return err_setf(ERR_PROBE_PROTOCOL,
				"probe %s sent a %d-byte report; at most %zu expected (packet size %u)",
				t->info.uri, n, cap < t->packet_size ? cap : t->packet_size,
				t->packet_size);
	memcpy(buf, uh->rx, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static int usb_hid_set_packet_size(struct transport *t, unsigned size)
{
	return usb_hid_buffers((struct usb_hid *)t, size);
}

static void usb_hid_close(struct transport *t)
{
	struct usb_hid *uh = (struct usb_hid *)t;

	hid_close(uh->dev);
	free(uh->tx);
	free(uh->rx);
	free(uh);
}

const struct transport_ops usb_hid_ops = {
	.name = "usb-hid",
	.scheme = "usb",
	.uri_form = "usb:SERIAL",
	.enumerate = usb_hid_enumerate,
	.open = usb_hid_open,
	.send = usb_hid_send,
	.recv = usb_hid_recv,
	.set_packet_size = usb_hid_set_packet_size,
	.close = usb_hid_close,
};
