// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd: the container egress inspector. */
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "replay.h"

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

static void usage(FILE *f)
{
	fputs("usage: egressd COMMAND [OPTIONS]\n"
	      "commands:\n"
	      "  run [--config FILE] [--mode alert|block] [--fail-closed] ...\n"
	      "                     the daemon (root)\n"
	      "  check-config [--config FILE] [run's options]\n"
	      "                     validate the settings and lists; touches\n"
	      "                     nothing\n"
	      "  replay --pcap FILE [--blacklist FILE]... [--whitelist FILE]...\n"
	      "         [--json]    judge a capture offline\n"
	      "  version            print the version\n"
	      "Run 'egressd COMMAND --help' for a command's options.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "run"))
		return daemon_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check-config"))
		return daemon_check_config(argc - 1, argv + 1);
	if (!strcmp(argv[1], "replay"))
		return replay_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("egressd %s\n", EGRESSD_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "egressd: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
