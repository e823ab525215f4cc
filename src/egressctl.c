// SPDX-License-Identifier: GPL-2.0-or-later
/* egressctl: the operator's tool. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/policy.h"

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

static void usage(FILE *f)
{
	fputs("usage: egressctl COMMAND [OPTIONS]\n"
	      "commands:\n"
	      "  lists check [--format F] [--strip-bogons] FILE...\n"
	      "      validate list files: entries, skipped rules, the first\n"
	      "      invalid line (file:line); exit 1 if any file is refused\n"
	      "  version\n",
	      f);
}

static int check_one(const char *path, enum list_format fmt, unsigned flags)
{
	struct list_spec spec = { .path = path, .format = fmt, .flags = flags };
	struct list_report rep;
	struct policy p;
	char err[512];

	if (policy_build(&spec, 1, &p, &rep, err, sizeof(err))) {
		fprintf(stderr, "%s (file refused)\n", err);
		return 1;
	}
	printf("%s: format %s, category %s, %u lines, %u entries "
	       "(%zu block domains, %zu block networks, %zu allow domains, "
	       "%zu allow networks), %u skipped, %u stripped\n",
	       path, list_format_name(rep.stats.format), rep.category,
	       rep.stats.lines, rep.stats.entries, match_set_domains(p.black),
	       match_set_networks(p.black), match_set_domains(p.white),
	       match_set_networks(p.white), rep.stats.skipped,
	       rep.stats.stripped);
	policy_free(&p);
	return 0;
}

static int lists_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "strip-bogons", no_argument, NULL, 's' },
		{ 0 }
	};
	enum list_format fmt = LIST_FMT_AUTO;
	unsigned flags = 0;
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "f:s", opts, NULL)) != -1) {
		if (c == 'f' && !list_format_parse(optarg, &fmt))
			continue;
		if (c == 's') {
			flags |= LIST_STRIP_BOGONS;
			continue;
		}
		fprintf(stderr, "egressctl: bad option\n");
		usage(stderr);
		return 2;
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		bad |= check_one(argv[i], fmt, flags);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "lists") && !strcmp(argv[2], "check"))
		return lists_check(argc - 2, argv + 2);
	if (argc == 2 && (!strcmp(argv[1], "version") ||
			  !strcmp(argv[1], "--version"))) {
		printf("egressctl %s\n", EGRESSD_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
