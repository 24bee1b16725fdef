/*
 * probe_link.c - open and close a probe as one unit.
 */
#include "probes/probe_link.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"

int probe_link_open(const char *uri, struct probe_link **out)
{
	struct probe_link *pl = calloc(1, sizeof(*pl));
	int rc;

	if (!pl)
		return err_setf(ERR_NO_MEMORY, "out of memory");
	rc = transport_open(uri, &pl->t);
	if (rc < 0)
		goto free_link;
	rc = dap_open(pl->t, &pl->dap);
	if (rc < 0)
		goto close_transport;
	adiv5_init(&pl->a, pl->dap);
	/* The probe's connect LED says on the bench who holds it (as OpenOCD
	 * does); a probe without LEDs answers anyway, so failure is ignored. */
	(void)dap_host_status(pl->dap, 0, true);
	*out = pl;
	return 0;
close_transport:
	transport_close(pl->t);
free_link:
	free(pl);
	return rc;
}

void probe_link_close(struct probe_link *pl)
{
	char detail[ERR_DETAIL_MAX];

	if (!pl)
		return;
	/* Closing an unplugged probe fails; the failure that matters is the
	 * caller's, so its sentence is kept. */
	err_save(detail);
	/* LED off, pins to high-Z: the board runs on without the probe. */
	(void)dap_host_status(pl->dap, 0, false);
	dap_disconnect(pl->dap);
	dap_close(pl->dap);
	transport_close(pl->t);
	free(pl);
	err_restore(detail);
}
