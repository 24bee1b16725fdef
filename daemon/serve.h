/*
 * serve.h - `rdpd serve`: the long-running daemon.
 */
#ifndef RDPD_SERVE_H
#define RDPD_SERVE_H

/* Parse ARGV (argv[0] is "serve"), run until SIGTERM/SIGINT. Exit status. */
int serve_main(int argc, char **argv);

#endif
