/*
 * config.h - settings from /etc/rdpd/rdpd.conf and the command line (flags
 * win). The file has "key = value" lines: listen, state_dir, tokens,
 * allow_host, probe (repeatable), sim_if_empty, usb (yes/no), log_level,
 * tls_cert and tls_key (PEM files: HTTPS), dnssd (yes/no), request_timeout
 * (seconds a client has to send a whole request), loopback_anonymous
 * (yes/no: on loopback, requests without a token act as "local" even when
 * tokens are loaded).
 */
#ifndef RDPD_CONFIG_H
#define RDPD_CONFIG_H

#include <stdbool.h>

#define CONFIG_MAX_PROBES 32

struct config {
	char listen_host[64];
	unsigned short port;
	bool loopback;
	char state_dir[256];
	char tokens[256];
	bool tokens_explicit;      /* set by the config file or --tokens */
	bool loopback_anonymous;   /* tokens loaded, yet none needed on loopback */
	char allow_hosts[256];
	char probes[CONFIG_MAX_PROBES][192];
	unsigned n_probes;
	char sim_if_empty[64];
	bool usb;
	char config_path[256];
	char tls_cert[256];        /* both set: HTTPS */
	char tls_key[256];
	bool dnssd;                /* announce _rdpd._tcp through avahi-publish */
	unsigned request_timeout_s; /* slow clients are closed past it */
};

/* `rdpd serve --help`: every flag config_parse() takes. */
void config_usage(void);
/* 0, 1 after printing --help, or -ERR_INVALID_ARGUMENT with a detail. */
int config_parse(int argc, char **argv, struct config *cfg);

#endif
