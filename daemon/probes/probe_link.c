/*
 * probe_link.c - open and close a probe as one unit.
 */
#include "probes/probe_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	rc = access_open(pl->t, &pl->ac);
	if (rc < 0)
		goto close_transport;
	adiv5_init(&pl->a, pl->ac);
	/* The probe's connect LED says on the bench who holds it (as OpenOCD
	 * does); a probe without LEDs answers anyway, so failure is ignored. */
	if (pl->ac->ops->host_status)
		(void)pl->ac->ops->host_status(pl->ac, true);
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
	/* LED off, then the protocol lets go of the target lines. */
	if (pl->ac->ops->host_status)
		(void)pl->ac->ops->host_status(pl->ac, false);
	access_close(pl->ac);
	transport_close(pl->t);
	free(pl);
	err_restore(detail);
}

void probe_link_info_of(const struct probe_link *pl, struct probe_link_info *out)
{
	const struct transport_probe_info *i = &pl->t->info;

	memset(out, 0, sizeof(*out));
	snprintf(out->uri, sizeof(out->uri), "%s", i->uri);
	snprintf(out->serial, sizeof(out->serial), "%s", pl->ac->id.serial);
	snprintf(out->location, sizeof(out->location), "%s", i->location);
	snprintf(out->vendor, sizeof(out->vendor), "%s", pl->ac->id.vendor);
	snprintf(out->product, sizeof(out->product), "%s", pl->ac->id.product);
	out->transport = i->transport;
	out->probe_protocol = pl->ac->id.protocol;
	out->vid = i->vid;
	out->pid = i->pid;
	out->simulated = i->simulated;
	out->opened = true;
	snprintf(out->firmware, sizeof(out->firmware), "%s", pl->ac->id.firmware_version);
	snprintf(out->protocol, sizeof(out->protocol), "%s", pl->ac->id.protocol_version);
}

int probe_link_list(struct probe_link_info *out, size_t cap, bool versions, size_t *n)
{
	struct transport_probe_info *found = calloc(cap ? cap : 1, sizeof(*found));
	int rc;

	*n = 0;
	if (!found)
		return err_setf(ERR_NO_MEMORY, "out of memory listing probes");
	rc = transport_enumerate(found, cap, n);
	for (size_t k = 0; rc == 0 && k < *n; k++) {
		struct probe_link_info *p = &out[k];
		struct probe_link *pl = NULL;

		memset(p, 0, sizeof(*p));
		snprintf(p->uri, sizeof(p->uri), "%s", found[k].uri);
		snprintf(p->serial, sizeof(p->serial), "%s", found[k].serial);
		snprintf(p->location, sizeof(p->location), "%s", found[k].location);
		snprintf(p->vendor, sizeof(p->vendor), "%s", found[k].vendor);
		snprintf(p->product, sizeof(p->product), "%s", found[k].product);
		p->transport = found[k].transport;
		p->probe_protocol = found[k].protocol;
		p->vid = found[k].vid;
		p->pid = found[k].pid;
		p->simulated = found[k].simulated;
		/* Only the protocol tells the versions; another program may hold it. */
		if (versions && probe_link_open(p->uri, &pl) == 0) {
			p->opened = true;
			snprintf(p->firmware, sizeof(p->firmware), "%s", pl->ac->id.firmware_version);
			snprintf(p->protocol, sizeof(p->protocol), "%s", pl->ac->id.protocol_version);
			probe_link_close(pl);
		}
	}
	free(found);
	return rc;
}
