/*
 * config.c - defaults, then the config file, then flags.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"

#define CONFIG_DEFAULT_PATH "/etc/rdpd/rdpd.conf"

static int config_set_listen(struct config *c, const char *v)
{
	const char *colon = v[0] == '[' ? strstr(v, "]:") : strrchr(v, ':');
	char *end = NULL;
	unsigned long port;
	size_t hlen;

	if (!colon)
		return err_setf(ERR_INVALID_ARGUMENT, "listen '%s': use ADDR:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080", v);
	if (v[0] == '[')
		colon++;
	port = strtoul(colon + 1, &end, 10);
	if (!*(colon + 1) || *end || port > 65535)
		return err_setf(ERR_INVALID_ARGUMENT, "listen '%s': the port must be 0 to 65535", v);
	hlen = (size_t)(colon - v);
	if (v[0] == '[') {
		v++;
		hlen -= 2;
	}
	if (hlen == 0)
		v = "0.0.0.0", hlen = 7;
	if (hlen >= sizeof(c->listen_host))
		return err_setf(ERR_INVALID_ARGUMENT, "listen '%s': address too long", v);
	memcpy(c->listen_host, v, hlen);
	c->listen_host[hlen] = '\0';
	if (strcmp(c->listen_host, "localhost") == 0)
		strcpy(c->listen_host, "127.0.0.1");
	c->port = (unsigned short)port;
	c->loopback = strncmp(c->listen_host, "127.", 4) == 0 || strcmp(c->listen_host, "::1") == 0;
	return 0;
}

static int config_add_probe(struct config *c, const char *uri)
{
	if (c->n_probes == CONFIG_MAX_PROBES)
		return err_setf(ERR_INVALID_ARGUMENT, "at most %d probes in the configuration", CONFIG_MAX_PROBES);
	if (strlen(uri) >= sizeof(c->probes[0]))
		return err_setf(ERR_INVALID_ARGUMENT, "probe URI too long: %.40s...", uri);
	snprintf(c->probes[c->n_probes++], sizeof(c->probes[0]), "%s", uri);
	return 0;
}

static int config_set(struct config *c, const char *key, const char *val)
{
	if (strcmp(key, "listen") == 0)
		return config_set_listen(c, val);
	if (strcmp(key, "probe") == 0)
		return config_add_probe(c, val);
	if (strcmp(key, "usb") == 0) {
		c->usb = strcmp(val, "no") != 0 && strcmp(val, "false") != 0;
		return 0;
	}
	if (strcmp(key, "dnssd") == 0) {
		c->dnssd = strcmp(val, "no") != 0 && strcmp(val, "false") != 0;
		return 0;
	}
	if (strcmp(key, "loopback_anonymous") == 0) {
		/* It gives every local user an admin's rights: only a clear yes. */
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return err_setf(ERR_INVALID_ARGUMENT, "loopback_anonymous '%s': yes or no", val);
		c->loopback_anonymous = strcmp(val, "yes") == 0;
		return 0;
	}
	if (strcmp(key, "tokens") == 0)
		c->tokens_explicit = true;
	if (strcmp(key, "request_timeout") == 0) {
		char *end = NULL;
		unsigned long v = strtoul(val, &end, 10);

		if (!*val || *end || v < 2 || v > 3600)
			return err_setf(ERR_INVALID_ARGUMENT, "request_timeout '%s': give whole seconds, 2 to 3600 "
					"(the time a client has to send a whole request; default 60)", val);
		c->request_timeout_s = (unsigned)v;
		return 0;
	}
	if (strcmp(key, "log_level") == 0) {
		log_set_level(strcmp(val, "debug") == 0 ? LOG_LVL_DEBUG : strcmp(val, "info") == 0 ? LOG_LVL_INFO
								      : LOG_LVL_NOTICE);
		return 0;
	}
	{
		char *dst = strcmp(key, "state_dir") == 0 ? c->state_dir
			    : strcmp(key, "tokens") == 0 ? c->tokens
			    : strcmp(key, "allow_host") == 0 ? c->allow_hosts
			    : strcmp(key, "sim_if_empty") == 0 ? c->sim_if_empty
			    : strcmp(key, "tls_cert") == 0 ? c->tls_cert
			    : strcmp(key, "tls_key") == 0 ? c->tls_key : NULL;

		if (!dst)
			return err_setf(ERR_INVALID_ARGUMENT, "unknown setting '%s'", key);
		if (dst == c->allow_hosts && dst[0]) {
			size_t n = strlen(dst);

			snprintf(dst + n, sizeof(c->allow_hosts) - n, ",%s", val);
		} else {
			snprintf(dst, 256, "%s", val);
		}
	}
	return 0;
}

static char *config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int config_load_file(struct config *c, const char *path, bool must_exist)
{
	char line[512];
	unsigned n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return must_exist ? err_setf(ERR_INVALID_ARGUMENT, "cannot read config file %s", path) : 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = config_trim(line), *eq;
		int rc;

		n++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			fclose(f);
			return err_setf(ERR_INVALID_ARGUMENT, "%s:%u: expected 'key = value'", path, n);
		}
		*eq = '\0';
		rc = config_set(c, config_trim(s), config_trim(eq + 1));
		if (rc < 0) {
			fclose(f);
			return err_context(rc, "%s:%u: ", path, n);
		}
	}
	fclose(f);
	return 0;
}

void config_usage(void)
{
	fputs("Usage: rdpd serve [OPTIONS]   (or just `rdpd` with options)\n"
	      "\n"
	      "Runs the daemon: owns the probes, answers the JSON API and serves the dashboard.\n"
	      "\n"
	      "  -l, --listen ADDR:PORT   where to listen (default 127.0.0.1:8080). Any address\n"
	      "                           other than loopback requires bearer tokens (--tokens)\n"
	      "  -s, --state-dir DIR      job journal and added probes (default /var/lib/rdpd)\n"
	      "  -c, --config FILE        settings file (default /etc/rdpd/rdpd.conf); flags win\n"
	      "  -t, --tokens FILE        'NAME ROLE SECRET' lines; roles read, operate, admin\n"
	      "                           (default /etc/rdpd/tokens; mode 0600, or 0640 with the\n"
	      "                           group rdpd runs as). Once loaded, every change needs a\n"
	      "                           token, on loopback too\n"
	      "      --loopback-anonymous on loopback, requests without a token act as \"local\"\n"
	      "                           (an admin) even when tokens are loaded\n"
	      "  -p, --probe URI          also serve this probe: tcp:HOST:PORT or sim:PROFILE\n"
	      "                           (repeatable; USB probes are found by themselves)\n"
	      "      --sim-if-empty PROF  when no probe at all is found, serve sim:PROF\n"
	      "      --allow-host NAME    another Host name to answer to (DNS-rebinding guard)\n"
	      "      --no-usb             do not scan USB (network and simulated probes only)\n"
	      "      --tls-cert FILE      HTTPS with this PEM certificate (and --tls-key FILE)\n"
	      "      --no-dnssd           do not announce _rdpd._tcp through avahi-daemon\n"
	      "      --request-timeout S  close a connection that takes more than S seconds to\n"
	      "                           send a whole request (slow clients; default 60)\n"
	      "  -v, --verbose            debug log\n"
	      "\n"
	      "Try: curl http://127.0.0.1:8080/probes\n"
	      "     curl -X POST 'http://127.0.0.1:8080/probes/0/unlock?wait=60'\n"
	      "Logs go to stderr with <N> priority prefixes: `journalctl -u rdpd -p warning`.\n",
	      stdout);
}

int config_parse(int argc, char **argv, struct config *c)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},    {"state-dir", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},    {"tokens", required_argument, NULL, 't'},
		{"probe", required_argument, NULL, 'p'},     {"sim-if-empty", required_argument, NULL, 'S'},
		{"allow-host", required_argument, NULL, 'A'}, {"no-usb", no_argument, NULL, 'U'},
		{"verbose", no_argument, NULL, 'v'},         {"help", no_argument, NULL, 'h'},
		{"tls-cert", required_argument, NULL, 'C'},  {"tls-key", required_argument, NULL, 'K'},
		{"no-dnssd", no_argument, NULL, 'D'},        {"request-timeout", required_argument, NULL, 'R'},
		{"loopback-anonymous", no_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	const char *path = CONFIG_DEFAULT_PATH;
	bool explicit_path = false;
	int opt, rc;

	memset(c, 0, sizeof(*c));
	c->usb = true;
	c->dnssd = true;
	c->request_timeout_s = 60;
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/rdpd");
	snprintf(c->tokens, sizeof(c->tokens), "/etc/rdpd/tokens");
	config_set_listen(c, "127.0.0.1:8080");
	/* First pass: only --config, so the file is read before flags apply. */
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "l:s:c:t:p:vh", longopts, NULL)) != -1)
		if (opt == 'c') {
			path = optarg;
			explicit_path = true;
		}
	if ((rc = config_load_file(c, path, explicit_path)) < 0)
		return rc;
	snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	optind = 1;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "l:s:c:t:p:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': rc = config_set_listen(c, optarg); break;
		case 's': rc = config_set(c, "state_dir", optarg); break;
		case 't': rc = config_set(c, "tokens", optarg); break;
		case 'p': rc = config_add_probe(c, optarg); break;
		case 'S': rc = config_set(c, "sim_if_empty", optarg); break;
		case 'A': rc = config_set(c, "allow_host", optarg); break;
		case 'U': c->usb = false; break;
		case 'C': rc = config_set(c, "tls_cert", optarg); break;
		case 'K': rc = config_set(c, "tls_key", optarg); break;
		case 'D': c->dnssd = false; break;
		case 'L': c->loopback_anonymous = true; break;
		case 'R': rc = config_set(c, "request_timeout", optarg); break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'c': break;
		case 'h': config_usage(); return 1;
		default: return err_setf(ERR_INVALID_ARGUMENT, "see `rdpd serve --help`");
		}
		if (rc < 0)
			return rc;
	}
	if (optind < argc)
		return err_setf(ERR_INVALID_ARGUMENT, "unexpected argument '%s' (see `rdpd serve --help`)", argv[optind]);
	if (!c->tls_cert[0] != !c->tls_key[0])
		return err_setf(ERR_INVALID_ARGUMENT, "HTTPS needs both a certificate and its key "
				"(--tls-cert FILE --tls-key FILE, or tls_cert and tls_key in %s)", c->config_path);
	return 0;
}
