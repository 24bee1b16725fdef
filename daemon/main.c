/*
 * main.c - the composition root: `rdpd COMMAND ...`.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "serve.h"

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "serve";

	/* `rdpd` alone, or `rdpd --listen ...`, runs the daemon. */
	if (strcmp(cmd, "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (cmd[0] == '-' && strcmp(cmd, "--help") != 0 && strcmp(cmd, "-h") != 0 &&
	    strcmp(cmd, "--version") != 0)
		return serve_main(argc, argv);

	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		cli_usage();
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		puts("rdpd " RDPD_VERSION);
		return CLI_EXIT_OK;
	}
	return cli_run(cmd, argc - 1, argv + 1);
}
