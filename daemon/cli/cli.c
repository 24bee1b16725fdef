/*
 * cli.c - `rdpd probes`, `rdpd rdp`, `rdpd unlock`, `rdpd lock`.
 *
 * Human output on stdout, progress on stderr when it is a terminal, one JSON
 * object with --json (the shapes of api/openapi.json, from api/'s own
 * serialisers). Exit status 0 only on success. The work runs through
 * jobs/oneshot.h, the steps the daemon's workers run, on this thread: this
 * file sees plain reports, never the probe's protocol or the target.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/json_job.h"
#include "api/json_report.h"
#include "err.h"
#include "jobs/oneshot.h"
#include "json_util.h"
#include "log.h"
#include "probes/probe_link.h"
#include "probes/registry.h"

#define CLI_MAX_PROBES 32

struct cli_opts {
	const char *probe;
	bool json;
	uint32_t clock_hz;              /* --clock; 0: the ladder */
	enum job_connect_mode connect;  /* --connect */
	struct job_expect expect;       /* --expect-uid, --expect-dev-id */
};

struct cli_job_view {
	bool json;
	bool tty;
	json_object *steps;
	json_object *log;
	unsigned last_pct;
};

void cli_usage(void)
{
	fputs("Usage: rdpd COMMAND [OPTIONS]\n"
	      "\n"
	      "rdpd owns the debug probes of a lab machine (CMSIS-DAP: DAPLink and friends;\n"
	      "ST-LINK/V2, V2-1, V3) and reads or removes flash read-out protection (STM32\n"
	      "RDP, nRF52 APPROTECT, Kinetis flash security). It identifies the chip itself\n"
	      "(DBGMCU_IDCODE, or the vendor's own registers): you never pick a target file.\n"
	      "\n"
	      "Commands:\n"
	      "  probes              list attached CMSIS-DAP probes (USB v2 bulk and v1 HID)\n"
	      "  rdp    --probe REF  connect, identify the chip, read its protection level\n"
	      "  unlock --probe REF  level 1 -> 0: the chip MASS-ERASES its flash, then the\n"
	      "                      level is read back and the flash checked blank\n"
	      "  lock   --probe REF  level 0 -> 1 (level 2 is permanent and never offered)\n"
	      "  serve               run the daemon (HTTP API + dashboard; see `rdpd serve --help`)\n"
	      "  help                this text\n"
	      "\n"
	      "REF is an index from `rdpd probes` (0, 1, ...), a serial number that one\n"
	      "attached probe alone reports, or a URI:\n"
	      "  usb:SERIAL          a USB probe (v2 bulk preferred, then v1 HID)\n"
	      "  usb:VVVV:PPPP@BUS-PORTS  the USB probe in that port, e.g. usb:0d28:0204@1-2.3\n"
	      "                      (how probes sharing one serial are listed)\n"
	      "  tcp:HOST[:PORT]     CMSIS-DAP over TCP (OpenOCD cmsis_dap_tcp framing, 4441)\n"
	      "  sim:PROFILE         the built-in simulator, e.g. sim:stm32f401re-rdp1;\n"
	      "                      add ?time_scale=0.01 to shorten the simulated erase\n"
	      "                      (`rdpd-sim --list-profiles` lists the profiles)\n"
	      "\n"
	      "Options:\n"
	      "  -p, --probe REF     the probe to use (default: the only one attached)\n"
	      "  -j, --json          print one JSON object (the HTTP API's shapes)\n"
	      "  -c, --clock HZ      SWD clock; default tries 1 MHz, then 200 kHz\n"
	      "      --connect MODE  normal | under-reset (default: normal, then under reset)\n"
	      "      --expect-uid HEX     unlock/lock only if the chip's 96-bit unique ID is\n"
	      "                           HEX (24 hex digits, as `rdpd rdp` shows it); checked\n"
	      "                           before anything is written\n"
	      "      --expect-dev-id 0xNNN  likewise for the DEV_ID (e.g. 0x433)\n"
	      "  -v, --verbose       debug log on stderr\n"
	      "\n"
	      "Examples:\n"
	      "  rdpd rdp --probe sim:stm32f401re-rdp1\n"
	      "  rdpd unlock --probe 0\n"
	      "  rdpd unlock --probe tcp:192.168.1.50:4441 --json\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 3 target not responding,\n"
	      "4 chip at RDP level 2 (permanent).\n",
	      stdout);
}

static int cli_exit_status(int rc)
{
	if (rc == 0)
		return CLI_EXIT_OK;
	if (rc == -ERR_TARGET_NOT_RESPONDING)
		return CLI_EXIT_NOT_RESPONDING;
	if (rc == -ERR_RDP_LEVEL2_PERMANENT)
		return CLI_EXIT_LEVEL2;
	if (rc == -ERR_INVALID_ARGUMENT || rc == -ERR_PROBE_URI_INVALID)
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAILED;
}

static int cli_report_error(const struct cli_opts *o, int rc)
{
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "error", json_util_error(rc, err_detail()));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		fprintf(stderr, "rdpd: %s: %s\n", err_title(rc), *err_detail() ? err_detail() : err_name(rc));
	}
	return cli_exit_status(rc);
}

/* A level in tenths as users read it: 0, 0.5, 1, 2; -1 for unknown. */
static double cli_level(int tenths)
{
	return tenths < 0 ? -1 : tenths / 10.0;
}

/* REF's serial is reported by more than one attached probe: refused, as
 * the daemon refuses it (docs/probes.md), naming each by its URI. */
static int cli_ambiguous(const char *ref, const struct probe_link_info *list, size_t n)
{
	char names[600] = "";
	size_t used = 0, count = 0;

	for (size_t i = 0; i < n; i++)
		if (strcmp(ref, list[i].serial) == 0 && used < sizeof(names)) {
			used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%zu (%s)",
						 count ? ", " : "", i, list[i].uri);
			count++;
		}
	return err_setf(ERR_PROBE_REF_AMBIGUOUS,
			"%zu attached probes report serial '%s': %s. Name one by its index or "
			"its URI (--probe usb:VVVV:PPPP@BUS-PORTS).", count, ref, names);
}

/* Turn REF (index, serial, URI, or nothing) into a URI. */
static int cli_resolve(const char *ref, char *uri, size_t cap, int *index)
{
	static struct probe_link_info list[CLI_MAX_PROBES];
	size_t n = 0, hits = 0;
	int want = -1, found = -1;

	*index = -1;
	if (ref && strchr(ref, ':')) {
		snprintf(uri, cap, "%s", ref);
		return 0;
	}
	probe_link_list(list, CLI_MAX_PROBES, false, &n);
	if (!ref) {
		if (n == 1) {
			*index = 0;
			snprintf(uri, cap, "%s", list[0].uri);
			return 0;
		}
		return err_setf(n ? ERR_INVALID_ARGUMENT : ERR_PROBE_NOT_FOUND,
				n ? "%zu probes attached: choose one with --probe (see `rdpd probes`)"
				  : "no CMSIS-DAP probe attached%zu; plug one in, or try "
				    "--probe sim:stm32f401re-rdp1 to meet the simulator",
				n);
	}
	if (registry_ref_is_index(ref, &want) && (size_t)want < n) {
		*index = want;
		snprintf(uri, cap, "%s", list[want].uri);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(ref, list[i].serial) == 0 && hits++ == 0)
			found = (int)i;
	if (hits > 1)
		return cli_ambiguous(ref, list, n);
	if (hits == 1) {
		*index = found;
		snprintf(uri, cap, "%s", list[found].uri);
		return 0;
	}
	return err_setf(ERR_PROBE_NOT_FOUND,
			"no probe '%s' among the %zu attached (`rdpd probes` lists them)", ref, n);
}

static int cli_open(const struct cli_opts *o, struct oneshot **os, int *index)
{
	struct probe_link_info pick;
	int rc = cli_resolve(o->probe, pick.uri, sizeof(pick.uri), index);

	return rc < 0 ? rc : oneshot_open(pick.uri, os);
}

static bool cli_serial_unique(const struct probe_link_info *list, size_t n, size_t i)
{
	for (size_t k = 0; k < n; k++)
		if (k != i && strcmp(list[k].serial, list[i].serial) == 0)
			return false;
	return true;
}

static int cli_probes(const struct cli_opts *o)
{
	static struct probe_link_info list[CLI_MAX_PROBES];
	size_t n = 0;
	/* Each opened for a moment for what only the probe tells: firmware
	 * and protocol versions. A probe another program holds says so. */
	int rc = probe_link_list(list, CLI_MAX_PROBES, true, &n);
	json_object *arr = json_object_new_array(), *j;

	if (rc < 0) {
		json_object_put(arr);
		return cli_report_error(o, rc);
	}
	if (!o->json && n == 0)
		puts("No debug probe found. Check the USB cable, that the probe is a CMSIS-DAP probe\n"
		     "(DAPLink, Raspberry Pi Debug Probe) or an ST-LINK, and that the udev rule gives\n"
		     "you access (60-rdpd.rules, group rdpd). To try rdpd without hardware:\n"
		     "  rdpd rdp --probe sim:stm32f401re-rdp1");
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_new_object();
		const char *fw = list[i].opened ? list[i].firmware : "(busy)", *proto = list[i].protocol;

		if (!o->json)
			printf("%zu  %-40s  %-10s  %04x:%04x  %s %s, firmware %s, %s %s\n", i,
			       list[i].uri, list[i].transport, list[i].vid, list[i].pid, list[i].vendor,
			       list[i].product, fw, list[i].probe_protocol ? list[i].probe_protocol : "?",
			       proto[0] ? proto : "?");
		json_object_object_add(p, "index", json_object_new_int((int)i));
		json_object_object_add(p, "serial", json_object_new_string(list[i].serial));
		json_object_object_add(p, "serial_unique", json_object_new_boolean(cli_serial_unique(list, n, i)));
		json_object_object_add(p, "uri", json_object_new_string(list[i].uri));
		json_object_object_add(p, "location", list[i].location[0] ? json_object_new_string(list[i].location) : NULL);
		json_object_object_add(p, "transport", json_object_new_string(list[i].transport));
		json_object_object_add(p, "protocol", list[i].probe_protocol ? json_object_new_string(list[i].probe_protocol) : NULL);
		json_object_object_add(p, "simulated", json_object_new_boolean(list[i].simulated));
		json_object_object_add(p, "vendor", json_object_new_string(list[i].vendor));
		json_object_object_add(p, "product", json_object_new_string(list[i].product));
		json_object_object_add(p, "firmware_version", json_object_new_string(fw));
		json_object_object_add(p, "protocol_version", proto[0] ? json_object_new_string(proto) : NULL);
		json_object_array_add(arr, p);
	}
	if (!o->json) {
		json_object_put(arr);
		return CLI_EXIT_OK;
	}
	j = json_object_new_object();
	json_object_object_add(j, "probes", arr);
	puts(json_util_text(j, 1));
	json_object_put(j);
	return CLI_EXIT_OK;
}

static void cli_print_rdp(const struct probe_link_info *probe, const struct rdp_report *r)
{
	const struct target_protection *p = &r->protection;
	const char *text = strchr(r->rdp_text, ':');

	printf("Probe:    %s (%s %s, serial %s, firmware %s)\n", probe->uri, probe->vendor, probe->product,
	       probe->serial, probe->firmware);
	if (r->chip_id_name)
		printf("Chip:     %s (%s 0x%08x), %s, %u KB flash\n", r->chip, r->chip_id_name, r->chip_id,
		       r->core, r->flash_kb);
	else
		printf("Chip:     %s (DEV_ID 0x%03x, rev 0x%04x), %s, %u KB flash\n", r->chip, r->dev_id,
		       r->rev_id, r->core, r->flash_kb);
	printf("UID:      %s\n", r->uid[0] ? r->uid : "unknown (no address known for this part, or read-protected)");

	if ((int)p->level < 0)
		printf("RDP:      unknown (raw 0x%02x)\n", p->rdp_raw);
	else /* "Level 1: flash cannot..." without its "Level 1: " */
		printf("RDP:      level %g (0x%02x). %s\n", cli_level((int)p->level), p->rdp_raw,
		       text ? text + 2 : r->rdp_text);
	printf("Scheme:   %s\n", r->scheme ? r->scheme : "unknown");
	printf("WRP:      ");
	if (!p->wrp_sectors)
		printf("no sector write-protected");
	for (unsigned i = 0, first = 1; i < sizeof(p->wrp_sectors) * 8; i++)
		if (p->wrp_sectors & (1ull << i)) {
			printf("%ssector %u", first ? "" : ", ", i);
			first = 0;
		}
	printf("\nOptions: ");
	for (unsigned i = 0; i < p->n_options; i++)
		printf(" %s=0x%08x", p->options[i].name, p->options[i].value);
	printf("\nConnect:  %s at %u kHz\n", r->under_reset ? "under reset" : "normal", r->clock_hz / 1000);
}

static void cli_log_line(void *ctx, const char *line)
{
	struct cli_job_view *v = ctx;

	if (v->json) {
		json_object_array_add(v->log, json_object_new_string(line));
		return;
	}
	if (v->tty && v->last_pct)
		fputc('\n', stderr);
	v->last_pct = 0;
	printf("  %s\n", line);
	fflush(stdout);
}

static int cli_rdp(const struct cli_opts *o)
{
	struct oneshot *os = NULL;
	struct probe_link_info probe;
	struct rdp_report report;
	int index, rc = cli_open(o, &os, &index);

	if (rc < 0)
		return cli_report_error(o, rc);
	oneshot_probe(os, &probe);
	rc = oneshot_read(os, index, o->clock_hz, o->connect, &report);
	oneshot_close(os);
	if (rc < 0)
		return cli_report_error(o, rc);
	if (o->json) { /* the very JSON of GET /probes/{ref}/rdp */
		json_object *j = json_report(&report);

		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		cli_print_rdp(&probe, &report);
	}
	return CLI_EXIT_OK;
}

static void cli_step(void *ctx, enum job_step step, enum job_step_state state)
{
	struct cli_job_view *v = ctx;

	if (v->json) {
		json_object *s = json_object_new_object();

		json_object_object_add(s, "name", json_object_new_string(unlock_job_step_name(step)));
		json_object_object_add(s, "state", json_object_new_string(unlock_job_step_state_name(state)));
		json_object_array_add(v->steps, s);
		return;
	}
	if (state == JOB_STEP_RUNNING || state == JOB_STEP_PENDING)
		return;
	if (v->tty && v->last_pct)
		fputc('\n', stderr);
	v->last_pct = 0;
	printf("%-16s %s\n", unlock_job_step_name(step), unlock_job_step_state_name(state));
	fflush(stdout);
}

static void cli_progress(void *ctx, unsigned pct)
{
	struct cli_job_view *v = ctx;
	char bar[41];

	if (v->json || !v->tty)
		return;
	memset(bar, '#', pct * 40 / 100);
	memset(bar + pct * 40 / 100, ' ', 40 - pct * 40 / 100);
	bar[40] = '\0';
	fprintf(stderr, "\rmass erase [%s] %3u%%", bar, pct);
	v->last_pct = pct ? pct : 1;
}

static void cli_print_result(const struct job_result *res, enum job_kind kind)
{
	printf("\nRDP level %g -> %g", cli_level(res->rdp_before), cli_level(res->rdp_after));
	if (res->flash_erased)
		printf(", flash erased in %.1f s", res->erase_ms / 1000.0);
	if (res->flash_verified_blank)
		printf(", verified blank");
	putchar('\n');
	if (res->power_cycle_required)
		puts("Power-cycle the board (remove and restore its supply) to finish: until then the\n"
		     "chip keeps refusing debugger access to its flash.");
	else if (kind == JOB_KIND_UNLOCK && cli_level(res->rdp_after) == 0 && res->relocks_at_reset)
		puts("Open until the chip's next reset: program firmware that opens the debug port at\n"
		     "every start (Nordic: APPROTECT.DISABLE = UICR.APPROTECT in SystemInit), or it locks again.");
	else if (kind == JOB_KIND_UNLOCK && cli_level(res->rdp_after) == 0)
		puts("Done: the chip is unlocked and can be programmed.");
}

static int cli_change(const struct cli_opts *o, enum job_kind kind)
{
	struct cli_job_view view = {.json = o->json, .tty = isatty(STDERR_FILENO)};
	struct job_events ev = {.ctx = &view, .step = cli_step, .progress = cli_progress, .log = cli_log_line};
	struct oneshot *os = NULL;
	struct job_result res;
	int index, rc = cli_open(o, &os, &index);

	if (rc < 0)
		return cli_report_error(o, rc);
	view.steps = json_object_new_array();
	view.log = json_object_new_array();
	rc = oneshot_change(os, kind, o->clock_hz, o->connect,
			    o->expect.uid_set || o->expect.dev_id_set ? &o->expect : NULL, &ev, &res);
	oneshot_close(os);
	if (o->json) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "kind", json_object_new_string(job_kind_name(kind)));
		json_object_object_add(j, "state", json_object_new_string(rc == 0 ? "succeeded" : "failed"));
		json_object_object_add(j, "steps", view.steps);
		json_object_object_add(j, "log", view.log);
		json_object_object_add(j, "result", json_job_result(&res)); /* as the API's job shows it */
		json_object_object_add(j, "error", rc == 0 ? NULL : json_util_error(rc, err_detail()));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
		return cli_exit_status(rc);
	}
	json_object_put(view.steps);
	json_object_put(view.log);
	if (rc < 0)
		return cli_report_error(o, rc);
	cli_print_result(&res, kind);
	return CLI_EXIT_OK;
}

static int cli_parse(int argc, char **argv, struct cli_opts *o)
{
	static const struct option longopts[] = {
		{"probe", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
		{"clock", required_argument, NULL, 'c'}, {"connect", required_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},     {"help", no_argument, NULL, 'h'},
		{"expect-uid", required_argument, NULL, 'U'}, {"expect-dev-id", required_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:jc:vh", longopts, NULL)) != -1) {
		char *end = NULL;

		switch (c) {
		case 'p': o->probe = optarg; break;
		case 'j': o->json = true; break;
		case 'v': log_set_level(LOG_LVL_DEBUG); break;
		case 'c':
			o->clock_hz = (uint32_t)strtoul(optarg, &end, 10);
			if (!end || *end || o->clock_hz < 1000 || o->clock_hz > 50000000)
				return err_setf(ERR_INVALID_ARGUMENT,
						"--clock %s: give the SWD clock in Hz, 1000 to 50000000", optarg);
			break;
		case 'C':
			if (!unlock_job_connect_mode_from_name(optarg, &o->connect))
				return err_setf(ERR_INVALID_ARGUMENT,
						"--connect %s: use normal or under-reset", optarg);
			break;
		case 'U':
			if (unlock_job_expect_set_uid(&o->expect, optarg) < 0)
				return err_setf(ERR_INVALID_ARGUMENT, "--expect-uid %.40s: give the chip's "
						"unique ID as 24 hex digits (`rdpd rdp` shows it)", optarg);
			break;
		case 'D':
			if ((strncmp(optarg, "0x", 2) && strncmp(optarg, "0X", 2)) || strlen(optarg) < 3 ||
			    strlen(optarg) > 5 || strspn(optarg + 2, "0123456789abcdefABCDEF") != strlen(optarg + 2))
				return err_setf(ERR_INVALID_ARGUMENT, "--expect-dev-id %.40s: give the "
						"DEV_ID in hex, e.g. 0x433", optarg);
			o->expect.dev_id = (uint16_t)strtoul(optarg + 2, NULL, 16);
			o->expect.dev_id_set = true;
			break;
		case 'h': cli_usage(); exit(CLI_EXIT_OK);
		default:
			return err_setf(ERR_INVALID_ARGUMENT, "see `rdpd help`");
		}
	}
	if (optind < argc)
		return err_setf(ERR_INVALID_ARGUMENT, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cli_run(const char *command, int argc, char **argv)
{
	struct cli_opts o = {0};
	int rc = cli_parse(argc, argv, &o);

	if (rc < 0)
		return cli_report_error(&o, rc);
	if (strcmp(command, "probes") == 0)
		return cli_probes(&o);
	if (strcmp(command, "rdp") == 0)
		return cli_rdp(&o);
	if (strcmp(command, "unlock") == 0)
		return cli_change(&o, JOB_KIND_UNLOCK);
	if (strcmp(command, "lock") == 0)
		return cli_change(&o, JOB_KIND_LOCK);
	fprintf(stderr, "rdpd: unknown command '%s' (try `rdpd help`)\n", command);
	return CLI_EXIT_USAGE;
}
