/*
 * probe_link.h - an opened probe: transport, CMSIS-DAP and the ADIv5 state
 * on top, owned by one thread at a time.
 */
#ifndef RDPD_PROBE_LINK_H
#define RDPD_PROBE_LINK_H

#include "adiv5/adiv5.h"
#include "dap/dap.h"
#include "transport/transport.h"

struct probe_link {
	struct transport *t;
	struct dap *dap;
	struct adiv5 a;
};

/* Open the probe named by URI and read its identity (DAP_Info). */
int probe_link_open(const char *uri, struct probe_link **out);
/* Switch the target lines off (DAP_Disconnect) and free everything. */
void probe_link_close(struct probe_link *pl);

#endif
