/*
 * transport.h - moves a probe protocol's packets (CMSIS-DAP, ST-LINK) to and
 * from a probe; knows nothing of their meaning.
 *
 * A probe is named by a URI: "usb:SERIAL" (CMSIS-DAP v2 bulk first, then
 * ST-LINK, then CMSIS-DAP v1 HID, as OpenOCD's `cmsis-dap backend auto` does
 * for the CMSIS-DAP kinds), "tcp:HOST:PORT" (OpenOCD's
 * cmsis_dap_tcp framing), "sim:PROFILE[?key=value&...]" (in-process simulator).
 * Each backend is one file ending in one `const struct transport_ops`, listed
 * in the table in transport.c.
 */
#ifndef RDPD_TRANSPORT_H
#define RDPD_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSPORT_URI_MAX 192
#define TRANSPORT_MAX_PACKET 1024 /* largest packet rdpd handles (bytes of payload) */

/* What a probe says about itself before any CMSIS-DAP command is sent. */
struct transport_probe_info {
	char uri[TRANSPORT_URI_MAX];
	char serial[128];
	/* USB: "VVVV:PPPP@BUS-PORTS" ("0d28:0204@1-2.3"), the port the probe is
	 * plugged into; "usb:" + it opens exactly that probe. "" elsewhere. */
	char location[64];
	char vendor[64];
	char product[128];
	const char *transport; /* the backend's kind: its transport_ops name */
	/* The probe protocol the link carries: an access_ops name
	 * (daemon/access/access.h), "cmsis-dap" or "stlink". */
	const char *protocol;
	uint16_t vid, pid;
	bool simulated;
};

struct transport {
	const struct transport_ops *ops;
	struct transport_probe_info info;
	/* Bytes one command or response may take. Starts at the link's natural size
	 * (bulk wMaxPacketSize, 64 for HID, 1024 for TCP) and is set by the DAP layer
	 * from DAP_Info 0xFF through transport_set_packet_size(). */
	unsigned packet_size;
	/* USB bulk: never fill a whole packet, so no zero-length packet is needed
	 * (OpenOCD's packet_usable_size = packet_size - 1). */
	bool avoid_full_packets;
	uint64_t packets_sent; /* command packets written (bench and metrics) */
};

/*
 * One kind of probe link. Everything above the transport layer learns what
 * kinds there are from these fields (transport_kind_at), so a new kind is
 * its file and its line in transport.c's table, and no other file names it.
 */
struct transport_ops {
	const char *name;     /* the kind, as GET /probes "transport" shows it: "usb-bulk" */
	const char *scheme;   /* URI scheme it serves: "usb", "tcp", "sim" */
	/* How a URI of the scheme is written, in the sentences that teach it:
	 * "usb:SERIAL". Backends sharing a scheme give the same. */
	const char *uri_form;
	/* POST /probes may add a probe of this kind: one that no enumerate
	 * finds (a network or simulated probe). A discoverable kind is listed
	 * while attached, by itself. */
	bool api_addable;
	bool simulated;       /* the built-in simulator (GET /probes "simulated") */
	/* Append attached probes of this kind to OUT[*n..cap); NULL when the kind
	 * cannot be discovered (tcp, sim). Returns 0 or -ERR_*. */
	int (*enumerate)(struct transport_probe_info *out, size_t cap, size_t *n);
	/* Optional: whether ADDR (the URI without "scheme:") can ever name a
	 * probe of this kind, without any I/O (no DNS, no USB): 0, or
	 * -ERR_PROBE_URI_INVALID with a sentence saying what is wrong and
	 * what a good one looks like. */
	int (*validate)(const char *addr);
	/* Open the probe at ADDR (the URI without "scheme:"). -ERR_PROBE_NOT_FOUND
	 * when nothing of this kind matches, so the next backend is tried. */
	int (*open)(const char *addr, struct transport **out);
	int (*send)(struct transport *t, const uint8_t *buf, size_t len);
	/* Receive the next response into BUF (at least packet_size bytes). HID
	 * responses come padded to the report size; the DAP layer parses by
	 * structure. -ERR_PROBE_TIMEOUT after TIMEOUT_MS without a response.
	 * An ST-LINK's reply has no length of its own: the host chooses it
	 * (docs/probe/stlink.md, "Framing"), so usb-stlink reads exactly CAP
	 * bytes in one transfer and *LEN says how many came (fewer is a short
	 * reply, for the protocol to refuse); its send() is one transfer of
	 * exactly LEN bytes, a command or the data phase after it. */
	int (*recv)(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms);
	/* Optional: the link must resize buffers for a new packet size. */
	int (*set_packet_size)(struct transport *t, unsigned size);
	void (*close)(struct transport *t);
};

extern const struct transport_ops simulated_ops;
extern const struct transport_ops tcp_ops;
extern const struct transport_ops usb_bulk_ops;
extern const struct transport_ops usb_hid_ops;
extern const struct transport_ops usb_stlink_ops;

/* The table of kinds, in the order `usb:` tries them: I from 0 to
 * transport_kind_count() - 1 (NULL past the end). */
size_t transport_kind_count(void);
const struct transport_ops *transport_kind_at(size_t i);
/* The first kind serving URI's scheme, or NULL for no scheme rdpd knows. */
const struct transport_ops *transport_kind_of_uri(const char *uri);
/* The kind a probe named by URI is listed as before it is opened: that
 * kind's name when it alone serves the scheme, else the scheme itself
 * ("usb": bulk or HID, known once a backend finds it). NULL as above. */
const char *transport_kind_name_of_uri(const char *uri);
/* The URI forms of the schemes (only those a client may add when
 * ADDABLE_ONLY), for a sentence: "usb:SERIAL, tcp:HOST:PORT or
 * sim:PROFILE". Returns OUT. */
const char *transport_uri_forms(char *out, size_t cap, bool addable_only);
/* URI names a probe a client may add by hand (transport_ops api_addable):
 * 0, or -ERR_PROBE_URI_INVALID saying which kinds can be added (a
 * discoverable kind is listed by itself when plugged in). */
int transport_check_addable(const char *uri);

/* Check URI before it is kept anywhere (the registry, probes.json): at most
 * TRANSPORT_URI_MAX - 1 bytes of printable ASCII, a known scheme, and an
 * address the scheme's backend accepts (its validate). 0, or
 * -ERR_PROBE_URI_INVALID with a sentence. No I/O: safe on an HTTP thread. */
int transport_validate_uri(const char *uri);
/* Open the probe named by URI with the first backend of its scheme that finds it. */
int transport_open(const char *uri, struct transport **out);
/* List every discoverable probe (USB bulk, ST-LINK and HID; a probe offering
 * bulk and HID is listed once, as bulk). A probe's URI is "usb:SERIAL" while no other
 * attached probe reports its serial, else its location, "usb:VVVV:PPPP@BUS-
 * PORTS": cheap clones share serials, and both must be listed and opened. */
int transport_enumerate(struct transport_probe_info *out, size_t cap, size_t *n);
int transport_send(struct transport *t, const uint8_t *buf, size_t len);
int transport_recv(struct transport *t, uint8_t *buf, size_t cap, size_t *len, int timeout_ms);
int transport_set_packet_size(struct transport *t, unsigned size);
/* Largest command the link carries in one packet. */
unsigned transport_usable_size(const struct transport *t);
void transport_close(struct transport *t);

#endif
