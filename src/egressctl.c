// SPDX-License-Identifier: GPL-2.0-or-later
/* egressctl: the operator's tool. Talks to egressd over its control socket
 * (JSON, one request per connection); `lists check` works offline.
 * Exit status: 0 success, 1 refused (by egressd or a bad list), 2 usage. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "egressd/limits.h"
#include "egressd/policy.h"

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

static const char *sock_path = "/run/egressd/egressd.sock";
static bool json_out;

static void usage(FILE *f)
{
	fputs("usage: egressctl [--socket PATH] [--json] COMMAND\n"
	      "commands:\n"
	      "  containers                    the containers egressd knows, with\n"
	      "                                their isolation state\n"
	      "  isolate CONTAINER [--note T]  cut a container off the network\n"
	      "                                (name or id prefix)\n"
	      "  unisolate CONTAINER           give it its network back\n"
	      "  lists check [--format F] [--strip-bogons] FILE...\n"
	      "                                validate list files (offline)\n"
	      "  version\n"
	      "exit status: 0 done, 1 refused, 2 usage error\n",
	      f);
}

/* ---- transport ---- */

/* Sends one request, returns the parsed reply or NULL (message printed). */
static cJSON *request(cJSON *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[CTL_REQUEST_MAX * 16];
	char *text = cJSON_PrintUnformatted(req);
	size_t n = 0;
	ssize_t r;
	int fd;

	cJSON_Delete(req);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "egressctl: cannot reach egressd at %s: %s\n",
			sock_path, strerror(errno));
		goto fail;
	}
	if (write(fd, text, strlen(text)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "egressctl: send: %s\n", strerror(errno));
		goto fail;
	}
	shutdown(fd, SHUT_WR);
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
	cJSON_free(text);
	cJSON *reply = cJSON_Parse(buf);
	if (!reply)
		fprintf(stderr, "egressctl: egressd sent no valid reply\n");
	return reply;
fail:
	if (fd >= 0)
		close(fd);
	cJSON_free(text);
	return NULL;
}

/* Prints the reply (JSON or via `table`) and returns the exit status. */
static int finish(cJSON *reply, void (*table)(const cJSON *))
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
	int r = cJSON_IsTrue(ok) ? 0 : 1;

	if (!reply)
		return 1;
	if (json_out) {
		char *s = cJSON_Print(reply);
		puts(s);
		cJSON_free(s);
	} else if (r) {
		fprintf(stderr, "egressctl: %s\n",
			cJSON_IsString(e) ? e->valuestring : "refused");
	} else if (table) {
		table(reply);
	}
	cJSON_Delete(reply);
	return r;
}

/* ---- commands ---- */

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : "-";
}

static void join(const cJSON *arr, char *out, size_t len)
{
	const cJSON *it;
	size_t o = 0;

	out[0] = 0;
	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s",
					      o ? "," : "", it->valuestring);
	}
	if (!o)
		snprintf(out, len, "-");
}

static void containers_table(const cJSON *reply)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(reply, "containers");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(reply, "host"), *c;
	char addrs[512];

	printf("%-24s %-16s %-20s %-8s %-9s %-14s %-13s %s\n", "ID", "NAME",
	       "IMAGE", "RUNTIME", "STATE", "ISOLATION", "VETH", "ADDRESSES");
	cJSON_ArrayForEach(c, arr)
	{
		const cJSON *iso = cJSON_GetObjectItemCaseSensitive(c, "isolation");
		join(cJSON_GetObjectItemCaseSensitive(c, "addrs"), addrs,
		     sizeof(addrs));
		printf("%-24.24s %-16.16s %-20.20s %-8s %-9s %-14s %-13s %s\n",
		       str(c, "id"), str(c, "name"), str(c, "image"),
		       str(c, "runtime"), str(c, "state"), str(iso, "state"),
		       str(c, "veth"), addrs);
	}
	if (h) {
		char in[256], out[256];
		join(cJSON_GetObjectItemCaseSensitive(h, "inner"), in, sizeof(in));
		join(cJSON_GetObjectItemCaseSensitive(h, "outer"), out, sizeof(out));
		printf("host %s: inner %s, outer %s\n", str(h, "name"), in, out);
	}
}

static void isolate_table(const cJSON *reply)
{
	printf("%s: %s\n", str(reply, "container"), str(reply, "state"));
}

static int cmd_isolate(int argc, char **argv, bool isolate)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' }, { 0 }
	};
	const char *note = NULL;
	cJSON *req;
	int c;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n' || !isolate) {
			usage(stderr);
			return 2;
		}
		note = optarg;
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", isolate ? "isolate" : "unisolate");
	cJSON_AddStringToObject(req, "container", argv[optind]);
	if (note)
		cJSON_AddStringToObject(req, "note", note);
	return finish(request(req), isolate_table);
}

static int cmd_containers(int argc, char **argv)
{
	cJSON *req;

	(void)argv;
	if (argc != 1) {
		usage(stderr);
		return 2;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "containers");
	return finish(request(req), containers_table);
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
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock_path = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json_out = true;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("egressctl %s\n", EGRESSD_VERSION);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	argc -= i;
	argv += i;
	/* Subcommand options may also carry --json. */
	for (int k = 0; k < argc; k++)
		if (!strcmp(argv[k], "--json")) {
			json_out = true;
			memmove(&argv[k], &argv[k + 1],
				(size_t)(argc - k) * sizeof(*argv));
			argc--;
			k--;
		}
	optind = 1;
	if (argc >= 2 && !strcmp(argv[0], "lists") && !strcmp(argv[1], "check"))
		return lists_check(argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "containers"))
		return cmd_containers(argc, argv);
	if (argc >= 1 && !strcmp(argv[0], "isolate"))
		return cmd_isolate(argc, argv, true);
	if (argc >= 1 && !strcmp(argv[0], "unisolate"))
		return cmd_isolate(argc, argv, false);
	if (argc == 1 && !strcmp(argv[0], "version")) {
		printf("egressctl %s\n", EGRESSD_VERSION);
		return 0;
	}
	usage(stderr);
	return 2;
}
