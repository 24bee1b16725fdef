/*
 * bench_port.h - the port rdpd or rdpd-sim bound. Both, started on port 0,
 * bind a port the kernel picks and name it in their banner ("listening on
 * HOST:PORT"); a port picked here first and bound by them later could be
 * taken in between by another process's outgoing connection (the same as
 * tests/cli/lib.sh port_in, for the shell tests).
 */
#ifndef RDPD_BENCH_PORT_H
#define RDPD_BENCH_PORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The port in the first "listening on HOST:PORT" line of the file at PATH,
 * once it is there; -1 after TIMEOUT_MS. */
static int bench_port_from(const char *path, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		char buf[8192];
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		const char *p;

		if (f)
			fclose(f);
		buf[n] = '\0';
		if ((p = strstr(buf, "listening on "))) {
			p += strlen("listening on ");
			if (*p == '[')
				p = strchr(p, ']');
			p = p ? strchr(p, ':') : NULL;
			if (p && p[1] >= '0' && p[1] <= '9')
				return atoi(p + 1);
		}
		usleep(20000);
	}
	return -1;
}

#endif
