/*
 * cli.h - the one-shot command line: `rdpd probes|rdp|unlock|lock`.
 */
#ifndef RDPD_CLI_H
#define RDPD_CLI_H

/* Exit statuses (documented in --help). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NOT_RESPONDING 3
#define CLI_EXIT_LEVEL2 4

/* Run COMMAND (argv[0] is the command name). Returns the exit status. */
int cli_run(const char *command, int argc, char **argv);
void cli_usage(void);

#endif
