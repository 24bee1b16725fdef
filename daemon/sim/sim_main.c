/*
 * sim_main.c - rdpd-sim: a simulated DAPLink with a simulated STM32 behind
 * it, served over TCP in the framing of OpenOCD's cmsis_dap_tcp backend.
 */
#include "sim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sim_server *sim_main_server;

static void sim_main_usage(FILE *f)
{
	fprintf(f,
		"usage: rdpd-sim [--listen HOST:PORT] [--profile NAME] [--time-scale X]\n"
		"                [--latency-ms N] [--packet-size N] [--serial S] [--uid HEX]\n"
		"       rdpd-sim --list-profiles [--verbose]\n"
		"\n"
		"A simulated CMSIS-DAP probe (DAPLink firmware semantics) with a simulated\n"
		"STM32 behind it, served over TCP in the framing of OpenOCD's cmsis_dap_tcp\n"
		"backend. Use it to try rdpd or OpenOCD against a locked chip without hardware.\n"
		"The chip keeps its state (flash, option bytes, RDP level) across connections.\n"
		"\n"
		"  --listen HOST:PORT  where to listen (default 127.0.0.1:4441)\n"
		"  --profile NAME      chip and RDP level, e.g. stm32f401re-rdp1 (default)\n"
		"  --time-scale X      multiply simulated durations (a 4 s mass erase with\n"
		"                      0.01 takes 40 ms)\n"
		"  --latency-ms N      sleep N ms per command packet (USB full-speed ~1)\n"
		"  --packet-size N     CMSIS-DAP packet size, 64..32768 (default 64)\n"
		"  --serial S          serial number reported by DAP_Info\n"
		"  --uid HEX           the chip's 96-bit unique ID, 24 hex digits (default:\n"
		"                      derived from the profile and the serial)\n"
		"  --list-profiles     print the profile names (--verbose adds a summary)\n"
		"\n"
		"Signals: SIGUSR1 power-cycles the chip; SIGINT/SIGTERM exit.\n"
		"\n"
		"Examples:\n"
		"  rdpd-sim --profile stm32f401re-rdp1 --time-scale 0.01 &\n"
		"  rdpd ... (point rdpd's tcp transport at 127.0.0.1:4441)\n"
		"  openocd -c \"adapter driver cmsis-dap; cmsis-dap backend tcp;\n"
		"    cmsis-dap tcp host 127.0.0.1; cmsis-dap tcp port 4441; transport select swd\"\n"
		"    -f target/stm32f4x.cfg -c \"init; stm32f2x unlock 0; shutdown\"\n"
		"  kill -USR1 <pid>    # power cycle, as the manuals want after an unlock\n");
}

static void sim_main_on_signal(int sig)
{
	if (!sim_main_server)
		return;
	if (sig == SIGUSR1)
		sim_server_request_power_cycle(sim_main_server);
	else
		sim_server_stop(sim_main_server);
}

static int sim_main_list(bool verbose)
{
	for (size_t i = 0; i < sim_profiles_count(); i++) {
		if (verbose)
			printf("%-28s %s\n", sim_profiles_name(i), sim_profiles_summary(i));
		else
			printf("%s\n", sim_profiles_name(i));
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *listen_addr = "127.0.0.1:4441", *profile = "stm32f401re-rdp1";
	struct sim_options opt = { 0 };
	bool list = false, verbose = false;
	struct sim_probe *sp = NULL;
	struct sigaction sa;
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			sim_main_usage(stdout);
			return 0;
		} else if (strcmp(a, "--list-profiles") == 0) {
			list = true;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			verbose = true;
		} else if (v && strcmp(a, "--listen") == 0) {
			listen_addr = v, i++;
		} else if (v && strcmp(a, "--profile") == 0) {
			profile = v, i++;
		} else if (v && strcmp(a, "--time-scale") == 0) {
			opt.time_scale = strtod(v, NULL), i++;
		} else if (v && strcmp(a, "--latency-ms") == 0) {
			opt.latency_us = (unsigned)strtoul(v, NULL, 10) * 1000u, i++;
		} else if (v && strcmp(a, "--packet-size") == 0) {
			opt.packet_size = (unsigned)strtoul(v, NULL, 10), i++;
		} else if (v && strcmp(a, "--serial") == 0) {
			opt.serial = v, i++;
		} else if (v && strcmp(a, "--uid") == 0) {
			opt.uid = v, i++;
		} else {
			fprintf(stderr, "rdpd-sim: unknown or incomplete option '%s'\n", a);
			sim_main_usage(stderr);
			return 2;
		}
	}
	if (list)
		return sim_main_list(verbose);

	rc = sim_probe_create(profile, &opt, &sp);
	if (rc == -ENOENT) {
		fprintf(stderr, "rdpd-sim: unknown profile '%s' (see --list-profiles)\n", profile);
		return 2;
	}
	if (rc) {
		fprintf(stderr, "rdpd-sim: cannot create the probe: %s\n", strerror(-rc));
		return 2;
	}
	rc = sim_server_create(sp, listen_addr, &sim_main_server);
	if (rc) {
		fprintf(stderr, "rdpd-sim: cannot listen on %s: %s\n", listen_addr, strerror(-rc));
		sim_probe_destroy(sp);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sim_main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	{
		const char *colon = strrchr(listen_addr, ':');

		fprintf(stderr, "rdpd-sim: listening on %.*s:%u, profile %s, serial %s\n",
			(int)(colon - listen_addr), listen_addr, sim_server_port(sim_main_server), profile,
			sim_probe_serial(sp));
	}
	rc = sim_server_run(sim_main_server);
	sim_server_destroy(sim_main_server);
	sim_main_server = NULL;
	sim_probe_destroy(sp);
	fprintf(stderr, "rdpd-sim: exiting\n");
	return rc ? 1 : 0;
}
