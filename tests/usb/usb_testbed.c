/*
 * usb_testbed.c - the simulated DAPLink as a USB device, for programs that
 * do not know it is simulated.
 *
 * Runs one program (the argv after "--") inside a umockdev test bed in which
 * a DAPLink-like probe is plugged in (into port 1 of bus 1; with
 * --second-profile a second one into port 2, with its own simulated chip and
 * the same --serial if one is given: the cheap clones that share a serial):
 * either as CMSIS-DAP v2 (a vendor-class
 * interface named "CMSIS-DAP v2" with bulk OUT 0x01 and bulk IN 0x81, driven
 * through usbdevfs by libusb) or, with --hid, as CMSIS-DAP v1 (a HID
 * interface and a hidraw node, driven by read(2)/write(2) by hidapi). Each
 * command the program sends goes to the simulator (daemon/sim/sim.h) and
 * the simulator's answer comes back as the USB reply. The program is started
 * with LD_PRELOAD=libumockdev-preload.so.0 and UMOCKDEV_DIR set, which make
 * its view of /sys, /dev, udev and the ioctls on the device nodes that of the
 * test bed. The test bed exits with the program's exit status.
 *
 * With --stlink KIND the probe is an ST-LINK (V2, V2-1 or V3) instead: ST's
 * VID 0483 and the kind's PID, one vendor-class interface 0 with the bulk
 * OUT, IN and SWO endpoints of that PID (docs/sim/stlink.md, "USB
 * identity"); each bulk OUT goes to sim_probe_stlink_out, each bulk IN is
 * answered from sim_probe_stlink_in, and an IN with nothing pending waits
 * like a NAKed one until a reply comes, the program discards it, or the
 * probe goes. The mass-storage and virtual COM port interfaces of the
 * V2-1 and V3 are left out: no tool here opens them.
 *
 * For make bench (docs/bench.md): --latency-us N makes the simulator sleep
 * N us per bulk OUT transfer (per CMSIS-DAP command packet), as the sim:
 * transport's latency_us does, and --count prints at exit how many bulk OUT
 * transfers the first probe was sent and when (struct testbed_count).
 *
 * References:
 *   Linux include/uapi/linux/usbdevice_fs.h and drivers/usb/core/devio.c
 *     (what SUBMITURB/REAPURB do, URB status on disconnect: -ESHUTDOWN).
 *   libusb libusb/os/linux_usbfs.c (which ioctls it issues; it reaps with
 *     REAPURBNDELAY whenever the node polls writable) and tests/umockdev.c
 *     (answering URBs through UMockdevIoctlBase).
 *   hidapi linux/hid.c (hidraw: strings from the usb_device parent's sysfs
 *     attributes, HID_ID/HID_NAME/HID_UNIQ from the hid parent's uevent,
 *     HIDIOCGRDESCSIZE at open, report ID 0 prefixed to every write).
 *   DAPLink source/usb (device 0d28:0204, strings, HID report descriptor).
 *   docs/probe/transports.md, "Testing without USB hardware".
 *
 * Emulation limits (umockdev 0.17): device nodes are plain files, so poll()
 * on them always reports ready. libusb therefore reaps without waiting (a
 * busy loop while a transfer is pending, harmless here), and an empty hidraw
 * read returns EAGAIN at once, which hidapi reports as a timeout. A real
 * hidraw read would block until the timeout; no caller here depends on the
 * difference because the simulator answers every command synchronously.
 *
 * Threads: umockdev calls the ioctl/read/write handlers from its own worker
 * thread; the unplug/replug timers and the child watch run in the main loop.
 * struct testbed_plug and struct testbed_count are guarded by their mutexes.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <linux/hidraw.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <umockdev.h>
#include <unistd.h>

#include "sim/sim.h"

#define TESTBED_VID 0x0d28
#define TESTBED_PID 0x0204
#define TESTBED_MANUFACTURER "ARM"
#define TESTBED_PRODUCT "DAPLink CMSIS-DAP"
#define TESTBED_IF_BULK "CMSIS-DAP v2"
#define TESTBED_IF_HID "CMSIS-DAP v1"
#define TESTBED_EP_SIZE 64
#define TESTBED_SYS_USB "/devices/pci0000:00/0000:00:14.0/usb1"
#define TESTBED_MAX_DEVS 2 /* probes plugged in, on ports 1 and 2 */

/* String descriptor indexes (DAPLink's order). */
enum {
	TESTBED_STR_MANUFACTURER = 1,
	TESTBED_STR_PRODUCT = 2,
	TESTBED_STR_SERIAL = 3,
	TESTBED_STR_INTERFACE = 4,
};

/* DAPLink's CMSIS-DAP v1 report descriptor: vendor page 0xFF00, 64-byte
 * input, output and (1-byte) feature reports, no report IDs. */
static const uint8_t testbed_hid_report_desc[] = {
	0x06, 0x00, 0xff, /* Usage Page (Vendor Defined 0xFF00) */
	0x09, 0x01,       /* Usage (1) */
	0xa1, 0x01,       /* Collection (Application) */
	0x15, 0x00,       /*   Logical Minimum (0) */
	0x26, 0xff, 0x00, /*   Logical Maximum (255) */
	0x75, 0x08,       /*   Report Size (8) */
	0x95, 0x40,       /*   Report Count (64) */
	0x09, 0x01,       /*   Usage (1) */
	0x81, 0x02,       /*   Input (Data, Var, Abs) */
	0x95, 0x40,       /*   Report Count (64) */
	0x09, 0x01,       /*   Usage (1) */
	0x91, 0x02,       /*   Output (Data, Var, Abs) */
	0x95, 0x01,       /*   Report Count (1) */
	0x09, 0x01,       /*   Usage (1) */
	0xb1, 0x02,       /*   Feature (Data, Var, Abs) */
	0xc0,             /* End Collection */
};

struct testbed;

/* One simulated probe and the port it is plugged into; SIGUSR1/SIGUSR2 and
 * the --unplug/--replug timers act on the first. */
struct testbed_dev {
	struct testbed *tb;
	struct sim_probe *sp;
	unsigned port;             /* 1-PORT on bus 1 */
	struct testbed_plug *plug; /* NULL while unplugged */
};

/* One plugging-in of the probe: a device number, a device node and, in HID
 * mode, a hidraw node. After an unplug its nodes answer ENODEV for ever;
 * a replug is a new plug with the next device number, as on real USB. */
struct testbed_plug {
	struct testbed *tb;
	struct testbed_dev *dev;
	unsigned devnum;
	unsigned hidraw;
	char usb_node[64];    /* /dev/bus/usb/001/002 */
	char hidraw_node[64]; /* /dev/hidraw0 */
	UMockdevIoctlBase *usb_handler;
	UMockdevIoctlBase *hid_handler;
	GMutex lock;
	bool gone;
	GQueue replies;    /* GBytes: DAP responses not yet read */
	GQueue waiting_in; /* struct testbed_urb: bulk IN URBs waiting for a reply */
	GQueue waiting_swo; /* ST-LINK: IN URBs on the SWO endpoint (no trace ever comes) */
	GHashTable *reapable; /* per open file (UMockdevIoctlClient): GQueue of URBs */
};

/* A submitted URB and the completion queue of the open file that submitted
 * it. Completions must go back through that file: umockdev writes the URB
 * into the program's memory over the submitting file's socket, and libusb
 * reaps each handle's URBs through that handle's own file (a daemon may hold
 * the device open twice, e.g. a worker and a hotplug scan). */
struct testbed_urb {
	GQueue *reapable;
	UMockdevIoctlData *data;
};

/* What --count reports: the bulk OUT transfers the first probe was sent
 * (ST-LINK commands and data phases; CMSIS-DAP command packets, over bulk
 * or HID), the monotonic times (us) of the program's start, of the first
 * and the last of them and of the program's exit, and the transfer whose
 * command was the first to find the mass erase done (the simulator's
 * mass_erases counter went up: the host's poll saw BSY clear). */
struct testbed_count {
	GMutex lock;
	uint64_t out, out_at_erase_done, erases;
	gint64 spawned_us, first_us, last_us, erase_done_us, exited_us;
};

struct testbed {
	UMockdevTestbed *bed;
	struct testbed_count count;
	bool stlink;               /* the probes are ST-LINKs (--stlink) */
	struct testbed_dev devs[TESTBED_MAX_DEVS];
	unsigned n_devs;
	bool hid;
	unsigned packet_size;
	GPtrArray *old_plugs;      /* unplugged ones: their open nodes still answer */
	unsigned next_devnum, next_hidraw;
	GPid child;
	int child_status;
	bool child_done;
	GMainLoop *loop;
	int verbose;
};

/* Offsets of struct usbdevfs_urb fields, for writing them back by name. */
#define URB_OFF(f) G_STRUCT_OFFSET(struct usbdevfs_urb, f)

static void testbed_log(const struct testbed *tb, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void testbed_log(const struct testbed *tb, const char *fmt, ...)
{
	va_list ap;

	if (!tb->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "usb_testbed: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- descriptors -------------------------------------------------------- */

/* ST-LINK: bcdUSB 2.00, class 0 (the IAD of the V2-1/V3 is left out with
 * their other interfaces), bcdDevice 1.00, strings 1-3 [OOdump]. */
static size_t testbed_stlink_device_desc(const struct testbed_dev *dev, uint8_t *d)
{
	struct sim_usb_identity id;

	sim_probe_usb_identity(dev->sp, &id);
	const uint8_t desc[18] = {
		18, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 64,
		(uint8_t)id.vid, (uint8_t)(id.vid >> 8), (uint8_t)id.pid, (uint8_t)(id.pid >> 8),
		0x00, 0x01,
		TESTBED_STR_MANUFACTURER, TESTBED_STR_PRODUCT, TESTBED_STR_SERIAL,
		1,
	};
	memcpy(d, desc, sizeof(desc));
	return sizeof(desc);
}

static size_t testbed_device_desc(const struct testbed_dev *dev, uint8_t *d)
{
	if (dev->tb->stlink)
		return testbed_stlink_device_desc(dev, d);
	const uint8_t desc[18] = {
		18, 0x01, 0x00, 0x02, /* bLength, DEVICE, bcdUSB 2.00 */
		0xef, 0x02, 0x01,     /* misc class / IAD, as DAPLink (composite) */
		64,                   /* bMaxPacketSize0 */
		TESTBED_VID & 0xff, TESTBED_VID >> 8, TESTBED_PID & 0xff, TESTBED_PID >> 8,
		0x00, 0x10,           /* bcdDevice 10.00 */
		TESTBED_STR_MANUFACTURER, TESTBED_STR_PRODUCT, TESTBED_STR_SERIAL,
		1, /* bNumConfigurations */
	};
	memcpy(d, desc, sizeof(desc));
	return sizeof(desc);
}

/* ST-LINK: configuration 1, bus powered (100 mA; 500 mA on the V3),
 * interface 0 vendor class FF/FF/FF with OUT, IN and SWO bulk endpoints. */
static size_t testbed_stlink_config_desc(const struct testbed_dev *dev, uint8_t *d)
{
	struct sim_usb_identity id;
	uint8_t lo, hi;

	sim_probe_usb_identity(dev->sp, &id);
	lo = (uint8_t)id.max_packet;
	hi = (uint8_t)(id.max_packet >> 8);
	const uint8_t desc[9 + 9 + 3 * 7] = {
		9, 0x02, sizeof(desc), 0, 1, 1, 0, 0x80, id.max_packet > 64 ? 250 : 50,
		9, 0x04, 0, 0, 3, 0xff, 0xff, 0xff, TESTBED_STR_INTERFACE,
		7, 0x05, id.ep_in, 0x02, lo, hi, 0,
		7, 0x05, id.ep_out, 0x02, lo, hi, 0,
		7, 0x05, id.ep_swo, 0x02, lo, hi, 0,
	};
	memcpy(d, desc, sizeof(desc));
	return sizeof(desc);
}

/* Configuration 1 with one interface: vendor class + two bulk endpoints
 * (v2), or HID + two interrupt endpoints (v1); an ST-LINK's above. */
static size_t testbed_config_desc(const struct testbed_dev *dev, uint8_t *d)
{
	const struct testbed *tb = dev->tb;
	size_t n = 0;
	size_t total = 9 + 9 + (tb->hid ? 9 : 0) + 7 + 7;

	if (tb->stlink)
		return testbed_stlink_config_desc(dev, d);

	const uint8_t cfg[9] = {9, 0x02, (uint8_t)total, 0, 1, 1, 0, 0x80, 50};
	memcpy(d + n, cfg, 9);
	n += 9;
	if (!tb->hid) {
		const uint8_t intf[9] = {9, 0x04, 0, 0, 2, 0xff, 0x00, 0x00, TESTBED_STR_INTERFACE};
		const uint8_t out[7] = {7, 0x05, 0x01, 0x02, TESTBED_EP_SIZE, 0, 0};
		const uint8_t in[7] = {7, 0x05, 0x81, 0x02, TESTBED_EP_SIZE, 0, 0};
		memcpy(d + n, intf, 9);
		n += 9;
		memcpy(d + n, out, 7);
		n += 7;
		memcpy(d + n, in, 7);
		n += 7;
	} else {
		const uint8_t intf[9] = {9, 0x04, 0, 0, 2, 0x03, 0x00, 0x00, TESTBED_STR_INTERFACE};
		const uint8_t hid[9] = {9, 0x21, 0x11, 0x01, 0, 1, 0x22,
					(uint8_t)sizeof(testbed_hid_report_desc), 0};
		const uint8_t in[7] = {7, 0x05, 0x81, 0x03, TESTBED_EP_SIZE, 0, 1};
		const uint8_t out[7] = {7, 0x05, 0x01, 0x03, TESTBED_EP_SIZE, 0, 1};
		memcpy(d + n, intf, 9);
		n += 9;
		memcpy(d + n, hid, 9);
		n += 9;
		memcpy(d + n, in, 7);
		n += 7;
		memcpy(d + n, out, 7);
		n += 7;
	}
	return n;
}

/* The debug interface's name: "ST Link" on the V2 dongle, "ST-Link Debug"
 * on the boards [OOdump]. */
static const char *testbed_stlink_if_name(const struct sim_usb_identity *id)
{
	return id->pid == 0x3748 ? "ST Link" : "ST-Link Debug";
}

/* Old V2 firmware's iSerial: the 12 bytes of the 24 hex digits SERIAL, one
 * per UTF-16 unit, bLength 26 (OpenOCD v0.12.0 stlink_usb.c L3271-3349). */
static size_t testbed_raw_serial_desc(const char *serial, uint8_t *d)
{
	d[0] = 26;
	d[1] = 0x03;
	for (unsigned i = 0; i < 12; i++) {
		char hex[3] = { serial[2 * i], serial[2 * i + 1], '\0' };

		d[2 + 2 * i] = (uint8_t)strtoul(hex, NULL, 16);
		d[3 + 2 * i] = 0;
	}
	return 26;
}

/* String descriptor INDEX (0: the language list) in UTF-16LE; 0 if none. */
static size_t testbed_string_desc(const struct testbed_dev *dev, unsigned index, uint8_t *d,
				  size_t cap)
{
	const struct testbed *tb = dev->tb;
	struct sim_usb_identity id;
	const char *s;
	size_t n;

	sim_probe_usb_identity(dev->sp, &id);
	if (tb->stlink && index == TESTBED_STR_SERIAL && id.raw_serial)
		return testbed_raw_serial_desc(id.serial, d);
	switch (index) {
	case 0:
		d[0] = 4;
		d[1] = 0x03;
		d[2] = 0x09; /* 0x0409 English (US) */
		d[3] = 0x04;
		return 4;
	case TESTBED_STR_MANUFACTURER:
		s = tb->stlink ? id.manufacturer : TESTBED_MANUFACTURER;
		break;
	case TESTBED_STR_PRODUCT:
		s = tb->stlink ? id.product : TESTBED_PRODUCT;
		break;
	case TESTBED_STR_SERIAL:
		s = sim_probe_serial(dev->sp);
		break;
	case TESTBED_STR_INTERFACE:
		s = tb->stlink ? testbed_stlink_if_name(&id) : tb->hid ? TESTBED_IF_HID : TESTBED_IF_BULK;
		break;
	default:
		return 0;
	}
	n = 2;
	for (; *s && n + 2 <= cap && n + 2 <= 254; s++) {
		d[n++] = (uint8_t)*s;
		d[n++] = 0;
	}
	d[0] = (uint8_t)n;
	d[1] = 0x03;
	return n;
}

static char *testbed_hex(const uint8_t *d, size_t n)
{
	GString *s = g_string_sized_new(n * 2 + 1);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02X", d[i]);
	return g_string_free(s, FALSE);
}

/* ---- the probe's side of a transfer ------------------------------------- */

/* One bulk OUT transfer to DEV has been executed: count it for --count. */
static void testbed_counted(struct testbed_dev *dev)
{
	struct testbed_count *c = &dev->tb->count;
	struct sim_counters sc;
	gint64 now = g_get_monotonic_time();

	if (dev != &dev->tb->devs[0])
		return;
	sim_probe_get_counters(dev->sp, &sc);
	g_mutex_lock(&c->lock);
	if (c->out++ == 0)
		c->first_us = now;
	c->last_us = now;
	if (sc.mass_erases > c->erases && c->erase_done_us == 0) {
		c->erase_done_us = now;
		c->out_at_erase_done = c->out;
	}
	c->erases = sc.mass_erases;
	g_mutex_unlock(&c->lock);
}

/* Run one command through the simulator and queue its response (none for
 * DAP_TransferAbort, which the firmware handles in the receive callback). */
static void testbed_command(struct testbed_plug *p, const uint8_t *req, size_t len)
{
	uint8_t rsp[4096];
	int n;

	if (len == 0)
		return;
	n = sim_probe_command(p->dev->sp, req, len, rsp, sizeof(rsp));
	if (n <= 0)
		return;
	/* v1 HID sends every response as a whole report (USBD_User_HID_0.c). */
	if (p->tb->hid && (unsigned)n < p->tb->packet_size) {
		memset(rsp + n, 0, p->tb->packet_size - (unsigned)n);
		n = (int)p->tb->packet_size;
	}
	g_queue_push_tail(&p->replies, g_bytes_new(rsp, (size_t)n));
}

/* Complete bulk IN URB (whose buffer child is at URB_OFF(buffer)) with the
 * oldest queued response. Caller holds p->lock and has a reply queued. */
static void testbed_fill_in(struct testbed_plug *p, struct testbed_urb *u)
{
	UMockdevIoctlData *urb_data = u->data;
	GQueue *reapable = u->reapable;
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)urb_data->data;
	UMockdevIoctlData *buf;
	GBytes *reply = g_queue_pop_head(&p->replies);
	gsize len;
	const uint8_t *bytes = g_bytes_get_data(reply, &len);

	buf = urb->buffer_length > 0 ? umockdev_ioctl_data_resolve(urb_data, URB_OFF(buffer),
								    (gsize)urb->buffer_length, NULL)
				     : NULL;
	if ((gsize)urb->buffer_length < len) {
		urb->status = -EOVERFLOW;
		len = (gsize)urb->buffer_length;
	} else {
		urb->status = 0;
	}
	if (buf) {
		memcpy(buf->data, bytes, len);
		umockdev_ioctl_data_unref(buf);
	}
	urb->actual_length = (int)len;
	g_bytes_unref(reply);
	g_queue_push_tail(reapable, urb_data);
	g_free(u);
}

/* A control transfer on endpoint 0: the standard requests a host makes. */
static void testbed_control(struct testbed_plug *p, struct usbdevfs_urb *urb, uint8_t *buf)
{
	uint8_t bm = buf[0], req = buf[1];
	unsigned value = buf[2] | (unsigned)buf[3] << 8;
	unsigned length = buf[6] | (unsigned)buf[7] << 8;
	uint8_t d[512];
	size_t n = 0;
	bool stall = false;

	if (bm == 0x80 && req == 0x06) { /* GET_DESCRIPTOR */
		switch (value >> 8) {
		case 0x01:
			n = testbed_device_desc(p->dev, d);
			break;
		case 0x02:
			n = testbed_config_desc(p->dev, d);
			break;
		case 0x03:
			n = testbed_string_desc(p->dev, value & 0xff, d, sizeof(d));
			stall = n == 0;
			break;
		default:
			stall = true;
		}
	} else if (bm == 0x80 && req == 0x00) { /* GET_STATUS */
		d[0] = 0;
		d[1] = 0;
		n = 2;
	} else if (bm == 0x80 && req == 0x08) { /* GET_CONFIGURATION */
		d[0] = 1;
		n = 1;
	} else if ((bm & 0x80) == 0) { /* SET_CONFIGURATION, SET_INTERFACE, HID SET_IDLE... */
		n = 0;
	} else {
		stall = true;
	}
	if (n > length)
		n = length;
	if (n > (size_t)urb->buffer_length - 8)
		n = (size_t)urb->buffer_length - 8;
	memcpy(buf + 8, d, n);
	urb->actual_length = (int)n;
	urb->status = stall ? -EPIPE : 0;
}

/* The completion queue of the open file CLIENT. Caller holds p->lock. */
static GQueue *testbed_reapable(struct testbed_plug *p, UMockdevIoctlClient *client)
{
	GQueue *q = g_hash_table_lookup(p->reapable, client);

	if (!q) {
		q = g_queue_new();
		/* The reference keeps the address from being reused by a later file. */
		g_hash_table_insert(p->reapable, g_object_ref(client), q);
	}
	return q;
}

static struct testbed_urb *testbed_urb_new(GQueue *reapable, UMockdevIoctlData *data)
{
	struct testbed_urb *u = g_new(struct testbed_urb, 1);

	u->reapable = reapable;
	u->data = data;
	return u;
}

/* Complete the waiting bulk IN U from the probe's pending reply, if it
 * has one. Caller holds p->lock. */
static bool testbed_stlink_fill_in(struct testbed_plug *p, struct testbed_urb *u)
{
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)u->data->data;
	UMockdevIoctlData *buf = umockdev_ioctl_data_resolve(u->data, URB_OFF(buffer),
							     (gsize)urb->buffer_length, NULL);
	int n;

	if (!buf)
		return false;
	n = sim_probe_stlink_in(p->dev->sp, (uint8_t *)buf->data, (size_t)urb->buffer_length);
	umockdev_ioctl_data_unref(buf);
	if (n == 0)
		return false;
	urb->status = n < 0 ? -EPROTO : 0;
	urb->actual_length = n < 0 ? 0 : n;
	g_queue_push_tail(u->reapable, u->data);
	g_free(u);
	return true;
}

static gboolean testbed_on_unplug(gpointer user);

/* An ST-LINK bulk URB: OUT to the firmware (a stall comes back as -EPIPE;
 * a dropped probe fails the URB and is unplugged from the main loop), IN
 * from its pending reply or held until one comes, SWO held. */
static int testbed_stlink_submit(struct testbed_plug *p, GQueue *reapable, UMockdevIoctlData *urb_data,
				 UMockdevIoctlData *buf)
{
	struct usbdevfs_urb *urb = (struct usbdevfs_urb *)urb_data->data;
	struct sim_usb_identity id;
	struct testbed_urb *u;
	int rc;

	sim_probe_usb_identity(p->dev->sp, &id);
	if (urb->type != USBDEVFS_URB_TYPE_BULK)
		goto bad_endpoint;
	if (urb->endpoint == id.ep_out) {
		rc = sim_probe_stlink_out(p->dev->sp, buf ? (const uint8_t *)buf->data : NULL,
					  (size_t)urb->buffer_length);
		testbed_counted(p->dev);
		urb->status = rc == -EPROTO ? -EPIPE : rc < 0 ? -EPROTO : 0;
		urb->actual_length = rc == 0 ? urb->buffer_length : 0;
		g_queue_push_tail(reapable, urb_data);
		if (rc == -ENODEV)
			g_idle_add(testbed_on_unplug, p->tb);
		while (!g_queue_is_empty(&p->waiting_in) &&
		       testbed_stlink_fill_in(p, g_queue_peek_head(&p->waiting_in)))
			g_queue_pop_head(&p->waiting_in);
		return 0;
	}
	u = testbed_urb_new(reapable, urb_data);
	if (urb->endpoint == id.ep_swo) {
		g_queue_push_tail(&p->waiting_swo, u);
		return 0;
	}
	if (urb->endpoint != id.ep_in) {
		g_free(u);
		goto bad_endpoint;
	}
	if (!g_queue_is_empty(&p->waiting_in) || !testbed_stlink_fill_in(p, u))
		g_queue_push_tail(&p->waiting_in, u);
	return 0;

bad_endpoint:
	umockdev_ioctl_data_unref(urb_data);
	return ENOENT;
}

/* USBDEVFS_SUBMITURB. Caller holds p->lock. Returns 0 or an errno. */
static int testbed_submit(struct testbed_plug *p, UMockdevIoctlClient *client,
			  UMockdevIoctlData *arg)
{
	GQueue *reapable = testbed_reapable(p, client);
	UMockdevIoctlData *urb_data, *buf;
	struct usbdevfs_urb *urb;

	urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	if (!urb_data)
		return EFAULT;
	urb = (struct usbdevfs_urb *)urb_data->data;
	buf = urb->buffer_length > 0
		      ? umockdev_ioctl_data_resolve(urb_data, URB_OFF(buffer),
						    (gsize)urb->buffer_length, NULL)
		      : NULL;
	if (urb->buffer_length < 0 || (!buf && urb->buffer_length > 0) ||
	    (urb->type == USBDEVFS_URB_TYPE_CONTROL && urb->buffer_length < 8)) {
		if (buf)
			umockdev_ioctl_data_unref(buf);
		umockdev_ioctl_data_unref(urb_data);
		return urb->buffer_length < 0 ? EINVAL : EFAULT;
	}
	urb->status = 0;
	urb->actual_length = 0;
	switch (urb->type) {
	case USBDEVFS_URB_TYPE_CONTROL:
		testbed_control(p, urb, buf->data);
		umockdev_ioctl_data_unref(buf);
		g_queue_push_tail(reapable, urb_data);
		return 0;
	case USBDEVFS_URB_TYPE_BULK:
	case USBDEVFS_URB_TYPE_INTERRUPT:
		break;
	default:
		if (buf)
			umockdev_ioctl_data_unref(buf);
		umockdev_ioctl_data_unref(urb_data);
		return EINVAL;
	}
	if (buf)
		umockdev_ioctl_data_unref(buf); /* urb_data keeps it as its child */
	if (p->tb->stlink)
		return testbed_stlink_submit(p, reapable, urb_data, buf);
	if (!(urb->endpoint & 0x80)) {
		if (urb->endpoint != 0x01)
			goto bad_endpoint;
		testbed_command(p, buf ? buf->data : NULL, (size_t)urb->buffer_length);
		testbed_counted(p->dev);
		urb->actual_length = urb->buffer_length;
		g_queue_push_tail(reapable, urb_data);
		/* A response may complete an IN transfer that was already waiting. */
		while (!g_queue_is_empty(&p->replies) && !g_queue_is_empty(&p->waiting_in))
			testbed_fill_in(p, g_queue_pop_head(&p->waiting_in));
		return 0;
	}
	if (urb->endpoint != 0x81)
		goto bad_endpoint;
	if (!g_queue_is_empty(&p->replies))
		testbed_fill_in(p, testbed_urb_new(reapable, urb_data));
	else
		g_queue_push_tail(&p->waiting_in, testbed_urb_new(reapable, urb_data));
	return 0;

bad_endpoint:
	umockdev_ioctl_data_unref(urb_data);
	return ENOENT;
}



/* Everything in flight ends as the kernel ends it on a disconnect. Caller
 * holds p->lock. */
static void testbed_plug_kill_urbs(struct testbed_plug *p)
{
	struct testbed_urb *u;

	while ((u = g_queue_pop_head(&p->waiting_in)) || (u = g_queue_pop_head(&p->waiting_swo))) {
		((struct usbdevfs_urb *)u->data->data)->status = -ESHUTDOWN;
		g_queue_push_tail(u->reapable, u->data);
		g_free(u);
	}
}

static gboolean testbed_usb_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
				  gpointer user)
{
	struct testbed_plug *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	gulong request = umockdev_ioctl_client_get_request(client);
	long res = 0;
	int err = 0;

	g_mutex_lock(&p->lock);
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);

		if (p->gone) {
			err = ENODEV;
			break;
		}
		/* No CAP_BULK_CONTINUATION or SG: libusb then sends each transfer as
		 * one URB, which is all a CMSIS-DAP packet needs. */
		if (d) {
			*(guint32 *)d->data = USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
					      USBDEVFS_CAP_ZERO_PACKET |
					      USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
			umockdev_ioctl_data_unref(d);
		}
		break;
	}
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
	case USBDEVFS_RESET:
		/* Releasing is allowed after a disconnect (devio.c), the rest not. */
		if (p->gone && request != USBDEVFS_RELEASEINTERFACE)
			err = ENODEV;
		break;
	case USBDEVFS_GETDRIVER:
		err = p->gone ? ENODEV : ENODATA; /* no kernel driver bound */
		break;
	case USBDEVFS_DISCONNECT_CLAIM: /* claim, unbinding any other driver: none is bound */
		err = p->gone ? ENODEV : 0;
		break;
	case USBDEVFS_IOCTL: /* driver (dis)connect requests: no kernel driver here */
		err = p->gone ? ENODEV : ENODATA;
		break;
	case USBDEVFS_SUBMITURB:
		err = p->gone ? ENODEV : testbed_submit(p, client, arg);
		break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY: {
		UMockdevIoctlData *urb_data = g_queue_pop_head(testbed_reapable(p, client));
		UMockdevIoctlData *ptr;

		if (!urb_data) {
			err = p->gone ? ENODEV : EAGAIN;
			break;
		}
		ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
		if (ptr)
			umockdev_ioctl_data_set_ptr(ptr, 0, urb_data);
		umockdev_ioctl_data_unref(urb_data); /* ptr holds it now */
		if (ptr)
			umockdev_ioctl_data_unref(ptr);
		break;
	}
	case USBDEVFS_DISCARDURB: {
		gulong addr = *(gulong *)arg->data;
		GQueue *reapable = testbed_reapable(p, client);
		GQueue *waiting = &p->waiting_in;
		GList *l;

		for (int pass = 0; pass < 2; pass++, waiting = &p->waiting_swo) {
			for (l = waiting->head; l; l = l->next) {
				struct testbed_urb *u = l->data;

				if (u->reapable == reapable && u->data->client_addr == addr)
					break;
			}
			if (l)
				break;
		}
		if (!l) {
			err = EINVAL; /* already completed: it will be reaped normally */
			break;
		}
		{
			struct testbed_urb *u = l->data;

			((struct usbdevfs_urb *)u->data->data)->status = -ENOENT;
			g_queue_push_tail(reapable, u->data);
			g_free(u);
			g_queue_delete_link(waiting, l);
		}
		break;
	}
	case USBDEVFS_CONNECTINFO: {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(
			arg, 0, sizeof(struct usbdevfs_connectinfo), NULL);

		if (d) {
			((struct usbdevfs_connectinfo *)d->data)->devnum = p->devnum;
			((struct usbdevfs_connectinfo *)d->data)->slow = 0;
			umockdev_ioctl_data_unref(d);
		}
		break;
	}
	default:
		testbed_log(p->tb, "%s: unhandled ioctl 0x%lx", p->usb_node, request);
		err = ENOTTY;
	}
	g_mutex_unlock(&p->lock);
	if (err)
		res = -1;
	umockdev_ioctl_client_complete(client, res, err);
	return TRUE;
}

/* read(2) of the usbfs node: the descriptors, as devio.c serves them. */
static gboolean testbed_usb_read(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
				 gpointer user)
{
	struct testbed_plug *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	uint8_t d[256];
	size_t n = testbed_device_desc(p->dev, d);

	n += testbed_config_desc(p->dev, d + n);
	if (n > (size_t)arg->data_len)
		n = (size_t)arg->data_len;
	memcpy(arg->data, d, n);
	umockdev_ioctl_client_complete(client, (long)n, 0);
	return TRUE;
}

/* ---- hidraw ------------------------------------------------------------- */

static gboolean testbed_hid_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
				  gpointer user)
{
	struct testbed_plug *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	gulong request = umockdev_ioctl_client_get_request(client);
	int err = 0;

	g_mutex_lock(&p->lock);
	if (p->gone) {
		err = ENODEV;
	} else if (request == HIDIOCGRDESCSIZE) {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(arg, 0, sizeof(int), NULL);

		if (d) {
			*(int *)d->data = (int)sizeof(testbed_hid_report_desc);
			umockdev_ioctl_data_unref(d);
		}
	} else if (request == HIDIOCGRDESC) {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(
			arg, 0, sizeof(struct hidraw_report_descriptor), NULL);

		if (d) {
			struct hidraw_report_descriptor *rd = (void *)d->data;

			rd->size = sizeof(testbed_hid_report_desc);
			memcpy(rd->value, testbed_hid_report_desc, sizeof(testbed_hid_report_desc));
			umockdev_ioctl_data_unref(d);
		}
	} else if (request == HIDIOCGRAWINFO) {
		UMockdevIoctlData *d = umockdev_ioctl_data_resolve(
			arg, 0, sizeof(struct hidraw_devinfo), NULL);

		if (d) {
			struct hidraw_devinfo *di = (void *)d->data;

			di->bustype = 3; /* BUS_USB */
			di->vendor = (__s16)TESTBED_VID;
			di->product = (__s16)TESTBED_PID;
			umockdev_ioctl_data_unref(d);
		}
	} else {
		testbed_log(p->tb, "%s: unhandled ioctl 0x%lx", p->hidraw_node, request);
		err = ENOTTY;
	}
	g_mutex_unlock(&p->lock);
	umockdev_ioctl_client_complete(client, err ? -1 : 0, err);
	return TRUE;
}

/* write(2): report ID 0 (unnumbered reports) then the output report. */
static gboolean testbed_hid_write(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
				  gpointer user)
{
	struct testbed_plug *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	size_t len = (size_t)arg->data_len;
	long res = (long)len;
	int err = 0;

	g_mutex_lock(&p->lock);
	if (p->gone) {
		err = ENODEV;
	} else if (len < 1 || len > 1 + p->tb->packet_size || arg->data[0] != 0) {
		/* hidraw: the first byte is the report number; this device has none. */
		err = EINVAL;
	} else {
		testbed_command(p, arg->data + 1, len - 1);
		testbed_counted(p->dev);
	}
	g_mutex_unlock(&p->lock);
	umockdev_ioctl_client_complete(client, err ? -1 : res, err);
	return TRUE;
}

/* read(2): one input report, or EAGAIN when none is queued (see the top). */
static gboolean testbed_hid_read(UMockdevIoctlBase *handler, UMockdevIoctlClient *client,
				 gpointer user)
{
	struct testbed_plug *p = user;
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	GBytes *reply;
	long res = -1;
	int err = 0;

	g_mutex_lock(&p->lock);
	reply = p->gone ? NULL : g_queue_pop_head(&p->replies);
	if (p->gone) {
		err = ENODEV;
	} else if (!reply) {
		err = EAGAIN;
	} else {
		gsize len;
		const uint8_t *bytes = g_bytes_get_data(reply, &len);

		if (len > (gsize)arg->data_len)
			len = (gsize)arg->data_len;
		memcpy(arg->data, bytes, len);
		res = (long)len;
		g_bytes_unref(reply);
	}
	g_mutex_unlock(&p->lock);
	umockdev_ioctl_client_complete(client, res, err);
	return TRUE;
}

/* ---- plugging ----------------------------------------------------------- */

static UMockdevIoctlBase *testbed_handler(struct testbed_plug *p, GCallback on_ioctl,
					  GCallback on_read, GCallback on_write)
{
	UMockdevIoctlBase *h = umockdev_ioctl_base_new();

	g_signal_connect(h, "handle-ioctl", on_ioctl, p);
	if (on_read)
		g_signal_connect(h, "handle-read", on_read, p);
	if (on_write)
		g_signal_connect(h, "handle-write", on_write, p);
	return h;
}

/* An ST-LINK's sysfs and udev record: ST's identity, a high-speed V3. */
static void testbed_stlink_record(GString *s, const struct testbed_plug *p, const struct sim_usb_identity *id,
				  const char *hex)
{
	unsigned port = p->dev->port;

	g_string_append_printf(s,
			       "P: " TESTBED_SYS_USB "/1-%u\n"
			       "N: bus/usb/001/%03u\n"
			       "E: DEVNAME=/dev/bus/usb/001/%03u\n"
			       "E: DEVTYPE=usb_device\n"
			       "E: DRIVER=usb\n"
			       "E: SUBSYSTEM=usb\n"
			       "E: PRODUCT=%x/%x/100\n"
			       "E: BUSNUM=001\n"
			       "E: DEVNUM=%03u\n"
			       "E: ID_VENDOR_ID=%04x\n"
			       "E: ID_MODEL_ID=%04x\n"
			       "E: ID_SERIAL_SHORT=%s\n"
			       "A: busnum=1\\n\n"
			       "A: devnum=%u\\n\n"
			       "A: idVendor=%04x\\n\n"
			       "A: idProduct=%04x\\n\n"
			       "A: bcdDevice=0100\\n\n"
			       "A: speed=%u\\n\n"
			       "A: bConfigurationValue=1\\n\n"
			       "A: bNumConfigurations=1\\n\n"
			       "A: bNumInterfaces= 1\\n\n"
			       "A: bMaxPacketSize0=64\\n\n"
			       "A: manufacturer=%s\\n\n"
			       "A: product=%s\\n\n"
			       "A: serial=%s\\n\n"
			       "H: descriptors=%s\n"
			       "\n"
			       "P: " TESTBED_SYS_USB "/1-%u/1-%u:1.0\n"
			       "E: DEVTYPE=usb_interface\n"
			       "E: SUBSYSTEM=usb\n"
			       "E: INTERFACE=255/255/255\n"
			       "A: bInterfaceNumber=00\\n\n"
			       "A: bAlternateSetting= 0\\n\n"
			       "A: bInterfaceClass=ff\\n\n"
			       "A: bInterfaceSubClass=ff\\n\n"
			       "A: bInterfaceProtocol=ff\\n\n"
			       "A: bNumEndpoints=03\\n\n"
			       "A: interface=%s\\n\n"
			       "\n",
			       port, p->devnum, p->devnum, id->vid, id->pid, p->devnum, id->vid, id->pid, id->serial,
			       p->devnum, id->vid, id->pid, id->max_packet > 64 ? 480u : 12u, id->manufacturer,
			       id->product, id->serial, hex, port, port, testbed_stlink_if_name(id));
}

/* The sysfs and udev description of the probe, in umockdev's record format. */
static char *testbed_record(struct testbed *tb, struct testbed_plug *p)
{
	uint8_t d[256];
	size_t n = testbed_device_desc(p->dev, d);
	char *hex, *rdesc_hex, *out;
	GString *s = g_string_new(NULL);
	const char *serial = sim_probe_serial(p->dev->sp);
	unsigned port = p->dev->port;
	struct sim_usb_identity id;

	sim_probe_usb_identity(p->dev->sp, &id);
	n += testbed_config_desc(p->dev, d + n);
	if (tb->stlink) {
		hex = testbed_hex(d, n);
		testbed_stlink_record(s, p, &id, hex);
		g_free(hex);
		return g_string_free(s, FALSE);
	}
	hex = testbed_hex(d, n);
	g_string_append_printf(s,
			       "P: " TESTBED_SYS_USB "/1-%u\n"
			       "N: bus/usb/001/%03u\n"
			       "E: DEVNAME=/dev/bus/usb/001/%03u\n"
			       "E: DEVTYPE=usb_device\n"
			       "E: DRIVER=usb\n"
			       "E: SUBSYSTEM=usb\n"
			       "E: PRODUCT=%x/%x/1000\n"
			       "E: BUSNUM=001\n"
			       "E: DEVNUM=%03u\n"
			       "E: ID_VENDOR_ID=%04x\n"
			       "E: ID_MODEL_ID=%04x\n"
			       "E: ID_SERIAL_SHORT=%s\n"
			       "A: busnum=1\\n\n"
			       "A: devnum=%u\\n\n"
			       "A: idVendor=%04x\\n\n"
			       "A: idProduct=%04x\\n\n"
			       "A: bcdDevice=1000\\n\n"
			       "A: speed=12\\n\n"
			       "A: bConfigurationValue=1\\n\n"
			       "A: bNumConfigurations=1\\n\n"
			       "A: bNumInterfaces= 1\\n\n"
			       "A: bMaxPacketSize0=64\\n\n"
			       "A: manufacturer=" TESTBED_MANUFACTURER "\\n\n"
			       "A: product=" TESTBED_PRODUCT "\\n\n"
			       "A: serial=%s\\n\n"
			       "H: descriptors=%s\n"
			       "\n"
			       "P: " TESTBED_SYS_USB "/1-%u/1-%u:1.0\n"
			       "E: DEVTYPE=usb_interface\n"
			       "E: SUBSYSTEM=usb\n"
			       "E: INTERFACE=%u/0/0\n"
			       "A: bInterfaceNumber=00\\n\n"
			       "A: bAlternateSetting= 0\\n\n"
			       "A: bInterfaceClass=%02x\\n\n"
			       "A: bInterfaceSubClass=00\\n\n"
			       "A: bInterfaceProtocol=00\\n\n"
			       "A: bNumEndpoints=02\\n\n"
			       "A: interface=%s\\n\n"
			       "\n",
			       port, p->devnum, p->devnum, TESTBED_VID, TESTBED_PID, p->devnum, TESTBED_VID,
			       TESTBED_PID, serial, p->devnum, TESTBED_VID, TESTBED_PID, serial, hex, port, port,
			       tb->hid ? 3 : 255, tb->hid ? 0x03 : 0xff,
			       tb->hid ? TESTBED_IF_HID : TESTBED_IF_BULK);
	g_free(hex);
	if (tb->hid) {
		rdesc_hex = testbed_hex(testbed_hid_report_desc, sizeof(testbed_hid_report_desc));
		/* hidraw nodes get file contents so that umockdev makes a plain
		 * file (poll: always ready) rather than a pty nobody writes to. */
		g_string_append_printf(s,
				       "P: " TESTBED_SYS_USB "/1-%u/1-%u:1.0/0003:0D28:0204.%04X\n"
				       "E: DRIVER=hid-generic\n"
				       "E: HID_ID=0003:%08X:%08X\n"
				       "E: HID_NAME=" TESTBED_MANUFACTURER " " TESTBED_PRODUCT "\n"
				       "E: HID_PHYS=usb-0000:00:14.0-%u/input0\n"
				       "E: HID_UNIQ=%s\n"
				       "E: MODALIAS=hid:b0003g0001v00000D28p00000204\n"
				       "E: SUBSYSTEM=hid\n"
				       "H: report_descriptor=%s\n"
				       "\n"
				       "P: " TESTBED_SYS_USB "/1-%u/1-%u:1.0/0003:0D28:0204.%04X/hidraw/hidraw%u\n"
				       "N: hidraw%u=00\n"
				       "E: DEVNAME=/dev/hidraw%u\n"
				       "E: SUBSYSTEM=hidraw\n"
				       "A: dev=246:%u\\n\n"
				       "\n",
				       port, port, p->hidraw + 1, TESTBED_VID, TESTBED_PID, port, serial,
				       rdesc_hex, port, port, p->hidraw + 1, p->hidraw, p->hidraw, p->hidraw,
				       p->hidraw);
		g_free(rdesc_hex);
	}
	out = g_string_free(s, FALSE);
	return out;
}

static bool testbed_plug_in(struct testbed_dev *dev)
{
	struct testbed *tb = dev->tb;
	struct testbed_plug *p = g_new0(struct testbed_plug, 1);
	GError *error = NULL;
	char *record;

	p->tb = tb;
	p->dev = dev;
	p->devnum = tb->next_devnum++;
	p->hidraw = tb->next_hidraw++;
	g_mutex_init(&p->lock);
	g_queue_init(&p->replies);
	g_queue_init(&p->waiting_in);
	g_queue_init(&p->waiting_swo);
	p->reapable = g_hash_table_new(g_direct_hash, g_direct_equal);
	snprintf(p->usb_node, sizeof(p->usb_node), "/dev/bus/usb/001/%03u", p->devnum);
	snprintf(p->hidraw_node, sizeof(p->hidraw_node), "/dev/hidraw%u", p->hidraw);

	/* Handlers first, so that a program reacting to the add event can open
	 * the node (libusb tests/umockdev.c does the same). */
	p->usb_handler = testbed_handler(p, G_CALLBACK(testbed_usb_ioctl),
					 G_CALLBACK(testbed_usb_read), NULL);
	if (!umockdev_testbed_attach_ioctl(tb->bed, p->usb_node, p->usb_handler, &error))
		goto fail;
	if (tb->hid) {
		p->hid_handler = testbed_handler(p, G_CALLBACK(testbed_hid_ioctl),
						 G_CALLBACK(testbed_hid_read),
						 G_CALLBACK(testbed_hid_write));
		if (!umockdev_testbed_attach_ioctl(tb->bed, p->hidraw_node, p->hid_handler,
						   &error))
			goto fail;
	}
	record = testbed_record(tb, p);
	if (!umockdev_testbed_add_from_string(tb->bed, record, &error)) {
		g_free(record);
		goto fail;
	}
	g_free(record);
	dev->plug = p;
	testbed_log(tb, "plugged in %s%s%s on port 1-%u (serial %s)", p->usb_node, tb->hid ? " and " : "",
		    tb->hid ? p->hidraw_node : "", dev->port, sim_probe_serial(dev->sp));
	return true;

fail:
	fprintf(stderr, "usb_testbed: cannot add the emulated probe: %s\n",
		error ? error->message : "unknown error");
	g_clear_error(&error);
	return false;
}

/* The sysfs paths of plug P, parents first; returns how many (at most 4). */
static unsigned testbed_sys_paths(const struct testbed *tb, const struct testbed_plug *p,
				  char paths[4][256])
{
	unsigned n = 0, port = p->dev->port;

	snprintf(paths[n++], 256, "/sys" TESTBED_SYS_USB "/1-%u", port);
	snprintf(paths[n++], 256, "/sys" TESTBED_SYS_USB "/1-%u/1-%u:1.0", port, port);
	if (tb->hid) {
		snprintf(paths[n++], 256, "/sys" TESTBED_SYS_USB "/1-%u/1-%u:1.0/0003:0D28:0204.%04X",
			 port, port, p->hidraw + 1);
		snprintf(paths[n++], 256,
			 "/sys" TESTBED_SYS_USB "/1-%u/1-%u:1.0/0003:0D28:0204.%04X/hidraw/hidraw%u",
			 port, port, p->hidraw + 1, p->hidraw);
	}
	return n;
}

/* Unplug: "remove" uevents go out (children first, as the kernel sends
 * them), the devices leave sysfs, everything in flight fails, and the
 * nodes the program still holds open answer ENODEV. The handlers stay
 * attached: umockdev's preload aborts the program when the socket behind
 * an open node closes. */
static void testbed_unplug(struct testbed *tb)
{
	struct testbed_plug *p = tb->devs[0].plug;
	char paths[4][256];
	unsigned n;

	if (!p)
		return;
	g_mutex_lock(&p->lock);
	p->gone = true;
	testbed_plug_kill_urbs(p);
	while (!g_queue_is_empty(&p->replies))
		g_bytes_unref(g_queue_pop_head(&p->replies));
	g_mutex_unlock(&p->lock);
	n = testbed_sys_paths(tb, p, paths);
	for (unsigned i = n; i-- > 0;)
		umockdev_testbed_uevent(tb->bed, paths[i], "remove");
	/* One by one, deepest first: removing a parent would leave its
	 * children's /sys/bus and /sys/class links behind. */
	for (unsigned i = n; i-- > 0;)
		umockdev_testbed_remove_device(tb->bed, paths[i]);
	g_ptr_array_add(tb->old_plugs, p);
	tb->devs[0].plug = NULL;
	testbed_log(tb, "unplugged %s", p->usb_node);
}

static gboolean testbed_on_unplug(gpointer user)
{
	testbed_unplug(user);
	return G_SOURCE_REMOVE;
}

/* Plug in again (a no-op while plugged): a new device number, "add" uevents
 * parents first. */
static gboolean testbed_on_replug(gpointer user)
{
	struct testbed *tb = user;
	char paths[4][256];
	unsigned n;

	if (tb->devs[0].plug || !testbed_plug_in(&tb->devs[0]))
		return G_SOURCE_REMOVE;
	n = testbed_sys_paths(tb, tb->devs[0].plug, paths);
	for (unsigned i = 0; i < n; i++)
		umockdev_testbed_uevent(tb->bed, paths[i], "add");
	return G_SOURCE_REMOVE;
}

static gboolean testbed_on_sigusr1(gpointer user)
{
	testbed_unplug(user);
	return G_SOURCE_CONTINUE;
}

static gboolean testbed_on_sigusr2(gpointer user)
{
	testbed_on_replug(user);
	return G_SOURCE_CONTINUE;
}

/* ---- the program under test --------------------------------------------- */

/* --count: one line of KEY=VALUE pairs on stderr, times in ms. The erase
 * keys are "none" when no mass erase was seen. */
static void testbed_count_report(struct testbed *tb)
{
	struct testbed_count *c = &tb->count;
	struct sim_counters sc;
	gint64 first, last;

	sim_probe_get_counters(tb->devs[0].sp, &sc);
	g_mutex_lock(&c->lock);
	first = c->out ? c->first_us : c->spawned_us;
	last = c->out ? c->last_us : c->spawned_us;
	fprintf(stderr, "usb_testbed: count out=%llu commands=%llu start_to_first_ms=%.1f "
		"first_to_last_ms=%.1f last_to_exit_ms=%.1f", (unsigned long long)c->out,
		(unsigned long long)sc.packets, (first - c->spawned_us) / 1e3, (last - first) / 1e3,
		(c->exited_us - last) / 1e3);
	if (c->erase_done_us)
		fprintf(stderr, " erase_done_out=%llu erase_done_to_last_ms=%.1f\n",
			(unsigned long long)c->out_at_erase_done, (last - c->erase_done_us) / 1e3);
	else
		fprintf(stderr, " erase_done_out=none erase_done_to_last_ms=none\n");
	g_mutex_unlock(&c->lock);
}

static void testbed_on_child_exit(GPid pid, gint status, gpointer user)
{
	struct testbed *tb = user;

	tb->child_status = status;
	tb->child_done = true;
	g_mutex_lock(&tb->count.lock);
	tb->count.exited_us = g_get_monotonic_time();
	g_mutex_unlock(&tb->count.lock);
	g_spawn_close_pid(pid);
	g_main_loop_quit(tb->loop);
}

static gboolean testbed_on_signal(gpointer user)
{
	struct testbed *tb = user;

	/* Pass SIGTERM/SIGINT on; the program's exit ends the loop. */
	if (!tb->child_done)
		kill(tb->child, SIGTERM);
	return G_SOURCE_CONTINUE;
}

static bool testbed_spawn(struct testbed *tb, char **argv)
{
	GError *error = NULL;
	char **env = g_get_environ();
	const char *old = g_environ_getenv(env, "LD_PRELOAD");
	char *preload = old && strstr(old, "libumockdev-preload.so")
				? g_strdup(old)
			: old && *old ? g_strdup_printf("libumockdev-preload.so.0:%s", old)
				      : g_strdup("libumockdev-preload.so.0");
	char *root = umockdev_testbed_get_root_dir(tb->bed);
	bool ok;

	env = g_environ_setenv(env, "LD_PRELOAD", preload, TRUE);
	env = g_environ_setenv(env, "UMOCKDEV_DIR", root, TRUE);
	tb->count.spawned_us = g_get_monotonic_time();
	ok = g_spawn_async(NULL, argv, env,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
				   G_SPAWN_CHILD_INHERITS_STDIN,
			   NULL, NULL, &tb->child, &error);
	if (!ok) {
		fprintf(stderr, "usb_testbed: cannot run %s: %s\n", argv[0], error->message);
		g_error_free(error);
	} else {
		g_child_watch_add(tb->child, testbed_on_child_exit, tb);
	}
	g_free(preload);
	g_free(root);
	g_strfreev(env);
	return ok;
}

/* umockdev_testbed_uevent() looks the device up through libudev in this
 * process, so this process must see the test bed's /sys too: run under the
 * preload library, as umockdev's own tests do (umockdev-wrapper). Until
 * umockdev_testbed_new() sets UMOCKDEV_DIR the preload changes nothing. */
static void testbed_reexec_preloaded(char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	char *value;

	if (pre && strstr(pre, "libumockdev-preload.so"))
		return;
	value = pre && *pre ? g_strdup_printf("libumockdev-preload.so.0:%s", pre)
			    : g_strdup("libumockdev-preload.so.0");
	g_setenv("LD_PRELOAD", value, TRUE);
	g_unsetenv("UMOCKDEV_DIR");
	/* Sanitizer builds (make sanitize): the preload now comes before the
	 * ASan runtime, here and in the program under test. */
	{
		const char *asan = getenv("ASAN_OPTIONS");
		char *opts = g_strdup_printf("%s%sverify_asan_link_order=0", asan ? asan : "",
					     asan && *asan ? ":" : "");

		g_setenv("ASAN_OPTIONS", opts, TRUE);
		g_free(opts);
	}
	execv("/proc/self/exe", argv);
	fprintf(stderr, "usb_testbed: cannot re-run itself under libumockdev-preload: %s\n",
		g_strerror(errno));
	exit(2);
}

/* Under `make sanitize` the test bed's own allocations at exit (GLib, the
 * model it serves until the program under test ends) are not leaks worth a
 * failed exit status; the daemon it runs keeps leak detection. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:verify_asan_link_order=0";
}

int main(int argc, char **argv)
{
	struct testbed tb = {0};
	struct sim_options opt = {0};
	char *profile = NULL, *serial = NULL, *second = NULL, *stlink = NULL, *firmware = NULL;
	double time_scale = 0;
	int unplug_ms = -1, replug_ms = -1, hid = 0, print_root = 0, raw_serial = 0, report_rdp = 0;
	int drop_at_write = 0, target_mv = 0, latency_us = 0, count = 0;
	GOptionEntry entries[] = {
		{"profile", 0, 0, G_OPTION_ARG_STRING, &profile,
		 "simulator profile (default stm32f401re-rdp1)", "NAME"},
		{"serial", 0, 0, G_OPTION_ARG_STRING, &serial, "probe serial number (both probes')", "S"},
		{"second-profile", 0, 0, G_OPTION_ARG_STRING, &second,
		 "plug a second probe into port 2, with a chip of this profile", "NAME"},
		{"time-scale", 0, 0, G_OPTION_ARG_DOUBLE, &time_scale,
		 "scale simulated durations (erase times)", "X"},
		{"hid", 0, 0, G_OPTION_ARG_NONE, &hid, "CMSIS-DAP v1 (HID) instead of v2 (bulk)",
		 NULL},
		{"unplug-after-ms", 0, 0, G_OPTION_ARG_INT, &unplug_ms,
		 "unplug the probe N ms after the program starts", "N"},
		{"replug-after-ms", 0, 0, G_OPTION_ARG_INT, &replug_ms,
		 "plug it in again N ms after the program starts", "N"},
		{"stlink", 0, 0, G_OPTION_ARG_STRING, &stlink,
		 "an ST-LINK instead of the DAPLink: stlink-v2, stlink-v2-1 or stlink-v3", "KIND"},
		{"stlink-firmware", 0, 0, G_OPTION_ARG_STRING, &firmware,
		 "the ST-LINK's firmware version (default per kind, e.g. V2J37S7)", "VERSION"},
		{"raw-serial", 0, 0, G_OPTION_ARG_NONE, &raw_serial,
		 "ST-LINK: iSerial of 12 raw bytes, as old V2 firmware has it", NULL},
		{"target-mv", 0, 0, G_OPTION_ARG_INT, &target_mv,
		 "ST-LINK: the target voltage it measures (default 3300)", "MV"},
		{"drop-at-flash-write", 0, 0, G_OPTION_ARG_INT, &drop_at_write,
		 "the probe is gone (unplugged) from the command after the chip's Nth flash-interface write",
		 "N"},
		{"latency-us", 0, 0, G_OPTION_ARG_INT, &latency_us,
		 "sleep N us per bulk OUT transfer (CMSIS-DAP: per command packet), 0 to 1000000", "N"},
		{"count", 0, 0, G_OPTION_ARG_NONE, &count,
		 "print the first probe's bulk OUT transfers and their times to stderr at exit", NULL},
		{"report-rdp", 0, 0, G_OPTION_ARG_NONE, &report_rdp,
		 "print the first chip's RDP level to stderr at exit", NULL},
		{"print-root", 0, 0, G_OPTION_ARG_NONE, &print_root,
		 "print the test bed's root directory to stderr", NULL},
		{"verbose", 'v', 0, G_OPTION_ARG_NONE, &tb.verbose, "log plug events and odd ioctls",
		 NULL},
		{NULL},
	};
	GOptionContext *ctx = g_option_context_new("-- PROGRAM [ARGS...]");
	GError *error = NULL;
	int dash, rc;

	testbed_reexec_preloaded(argv);
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_summary(ctx, "Run PROGRAM with a simulated DAPLink plugged into an "
					  "emulated USB bus (umockdev).");
	for (dash = 1; dash < argc && strcmp(argv[dash], "--") != 0; dash++)
		;
	{
		int oargc = dash;

		if (!g_option_context_parse(ctx, &oargc, &argv, &error)) {
			fprintf(stderr, "usb_testbed: %s\n", error->message);
			return 2;
		}
	}
	g_option_context_free(ctx);
	if (dash >= argc - 1) {
		fprintf(stderr, "usb_testbed: usage: usb_testbed [OPTIONS] -- PROGRAM [ARGS...]\n");
		return 2;
	}
	if (latency_us < 0 || latency_us > 1000000) {
		fprintf(stderr, "usb_testbed: --latency-us takes 0 to 1000000, not %d\n", latency_us);
		return 2;
	}
	opt.latency_us = (unsigned)latency_us;
	opt.time_scale = time_scale;
	opt.serial = serial;
	if (stlink && (sim_probe_kind_parse(stlink, &opt.probe) || opt.probe == SIM_PROBE_DAPLINK)) {
		fprintf(stderr, "usb_testbed: --stlink takes stlink-v2, stlink-v2-1 or stlink-v3, not '%s'\n",
			stlink);
		return 2;
	}
	if (stlink && hid) {
		fprintf(stderr, "usb_testbed: --stlink and --hid exclude each other\n");
		return 2;
	}
	opt.firmware = firmware;
	opt.raw_serial = raw_serial;
	opt.target_mv = target_mv > 0 ? (unsigned)target_mv : 0;
	tb.stlink = stlink != NULL;
	{
		const char *profiles[TESTBED_MAX_DEVS] = {profile ? profile : "stm32f401re-rdp1", second};

		for (unsigned i = 0; i < TESTBED_MAX_DEVS && profiles[i]; i++) {
			struct testbed_dev *dev = &tb.devs[tb.n_devs++];

			dev->tb = &tb;
			dev->port = i + 1;
			rc = sim_probe_create(profiles[i], &opt, &dev->sp);
			if (rc < 0) {
				fprintf(stderr, "usb_testbed: %s '%s'%s%s\n",
					rc == -ENOENT ? "unknown simulator profile" : "cannot create a probe for",
					profiles[i], firmware ? " with firmware " : "", firmware ? firmware : "");
				return 2;
			}
		}
	}
	if (drop_at_write > 0) {
		struct sim_fault f = { .kind = SIM_FAULT_DROP_AT_FLASH_WRITE,
				       .nth = (uint64_t)drop_at_write };

		sim_probe_set_fault(tb.devs[0].sp, &f);
	}
	tb.hid = hid;
	tb.packet_size = sim_probe_packet_size(tb.devs[0].sp);
	tb.next_devnum = 2;
	tb.next_hidraw = 0;
	tb.old_plugs = g_ptr_array_new();
	g_mutex_init(&tb.count.lock);

	tb.bed = umockdev_testbed_new();
	if (!tb.bed) {
		fprintf(stderr, "usb_testbed: umockdev_testbed_new failed\n");
		return 2;
	}
	if (print_root) {
		char *root = umockdev_testbed_get_root_dir(tb.bed);

		fprintf(stderr, "usb_testbed: root %s\n", root);
		g_free(root);
	}
	for (unsigned i = 0; i < tb.n_devs; i++)
		if (!testbed_plug_in(&tb.devs[i]))
			return 2;
	tb.loop = g_main_loop_new(NULL, FALSE);
	if (!testbed_spawn(&tb, argv + dash + 1))
		return 127;
	if (unplug_ms >= 0)
		g_timeout_add((guint)unplug_ms, testbed_on_unplug, &tb);
	if (replug_ms >= 0)
		g_timeout_add((guint)replug_ms, testbed_on_replug, &tb);
	/* For tests that pick the moment themselves: SIGUSR1 unplugs, SIGUSR2 plugs in. */
	g_unix_signal_add(SIGUSR1, testbed_on_sigusr1, &tb);
	g_unix_signal_add(SIGUSR2, testbed_on_sigusr2, &tb);
	g_unix_signal_add(SIGTERM, testbed_on_signal, &tb);
	g_unix_signal_add(SIGINT, testbed_on_signal, &tb);
	g_main_loop_run(tb.loop);
	if (report_rdp)
		fprintf(stderr, "usb_testbed: rdp level %d\n", sim_probe_rdp_level(tb.devs[0].sp));
	if (count)
		testbed_count_report(&tb);

	/* Keep the plugs (and their handlers) alive until here: the program may
	 * hold a node open until it exits. */
	g_object_unref(tb.bed);
	if (WIFEXITED(tb.child_status))
		return WEXITSTATUS(tb.child_status);
	if (WIFSIGNALED(tb.child_status)) {
		fprintf(stderr, "usb_testbed: %s killed by signal %d\n", argv[dash + 1],
			WTERMSIG(tb.child_status));
		return 128 + WTERMSIG(tb.child_status);
	}
	return 1;
}
