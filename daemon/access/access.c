/*
 * access.c - the table of probe protocols: a new one is its folder and one
 * line here (docs/probe/access.md, "A new protocol").
 */
#include "access/access.h"

#include <string.h>
#include <time.h>

#include "err.h"

static const struct access_ops *const access_protocols[] = {
	&dap_access_ops,
	&stlink_access_ops,
};

int64_t access_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct access_ops *access_protocol(const char *name)
{
	for (size_t i = 0; name && i < sizeof(access_protocols) / sizeof(access_protocols[0]); i++)
		if (strcmp(access_protocols[i]->name, name) == 0)
			return access_protocols[i];
	return NULL;
}

int access_open(struct transport *t, struct access **out)
{
	const struct access_ops *ops = access_protocol(t->info.protocol);

	if (!ops)
		return err_setf(ERR_PROBE_UNSUPPORTED, "probe %s speaks %s, a protocol rdpd does not drive",
				t->info.uri, t->info.protocol ? t->info.protocol : "no known protocol");
	return ops->open(t, out);
}

void access_close(struct access *ac)
{
	if (ac)
		ac->ops->close(ac);
}
