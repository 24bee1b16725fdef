/*
 * probe_link.h - an opened probe: transport, its probe protocol (CMSIS-DAP
 * or ST-LINK, daemon/access/access.h) and the ADIv5 state on top, owned by
 * one thread at a time.
 */
#ifndef RDPD_PROBE_LINK_H
#define RDPD_PROBE_LINK_H

#include "access/access.h"
#include "adiv5/adiv5.h"
#include "transport/transport.h"

struct probe_link {
	struct transport *t;
	struct access *ac;
	struct adiv5 a;
};

/* Open the probe named by URI and read its identity (CMSIS-DAP: DAP_Info). */
int probe_link_open(const char *uri, struct probe_link **out);
/* Switch the target lines off and free everything. */
void probe_link_close(struct probe_link *pl);

/* A probe as the layers above see it: what discovery found, and, once it
 * has been opened, what it says of itself. Plain values, no link. */
struct probe_link_info {
	char uri[TRANSPORT_URI_MAX];
	char serial[128];       /* discovery's, or DAP_Info's once opened */
	char location[64];      /* discovered: "VVVV:PPPP@BUS-PORTS"; else "" */
	char vendor[64], product[128];
	const char *transport;  /* the kind (transport_ops name) */
	const char *probe_protocol; /* the access_ops name: "cmsis-dap", "stlink" */
	uint16_t vid, pid;      /* discovered: the USB ids */
	bool simulated;
	bool opened;            /* the members below were read (DAP_Info) */
	char firmware[32], protocol[32];
};

/* The attached probes of every discoverable kind (transport_enumerate),
 * up to CAP, in *N; with VERSIONS each is opened for a moment for its
 * firmware and protocol versions (a probe another program holds stays
 * !opened). Returns 0 or -ERR_*. */
int probe_link_list(struct probe_link_info *out, size_t cap, bool versions, size_t *n);
/* The identity of the opened link PL. */
void probe_link_info_of(const struct probe_link *pl, struct probe_link_info *out);

#endif
