// SPDX-License-Identifier: GPL-2.0-or-later
/* egressctl: the operator's tool. Talks to egressd over its control socket
 * (JSON, one request per connection); `lists check` works offline.
 * Exit status: 0 success, 1 refused (by egressd or a bad list), 2 usage. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "egressd/fileio.h"
#include "egressd/limits.h"
#include "egressd/policy.h"
#include "console_user.h"
#include "ctlclient.h"
#include "jsonout.h"

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

static const char *sock_path = "/run/egressd/egressd.sock";
static bool json_out;
static long timeout_s = EGRESSCTL_TIMEOUT_S;

static void usage(FILE *f);
static bool verb_usage(FILE *f, const char *name);

/* ---- transport ---- */

static int pass_fd = -1; /* handed to egressd with the request */

/* Sends one request, returns the parsed reply or NULL (message printed).
 * The whole exchange is bound by --timeout. */
static cJSON *request(cJSON *req)
{
	struct ctlclient_call call = {
		.socket = sock_path,
		.pass_fd = pass_fd,
		.timeout_ms = timeout_s * 1000,
		.reply_max = EGRESSCTL_REPLY_MAX,
	};
	cJSON *reply;
	int e = ctlclient_request(&call, req, &reply);

	cJSON_Delete(req);
	if (!e)
		return reply;
	if (e == -EBADMSG)
		fprintf(stderr, "egressctl: egressd sent no valid reply\n");
	else
		fprintf(stderr, "egressctl: %s %s: %s\n", call.failed,
			sock_path,
			e == -ETIMEDOUT ? "no answer in time (see --timeout)"
					: strerror(-e));
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
	} else if (r && cJSON_GetObjectItemCaseSensitive(reply, "results")) {
		/* Partly done (some entries invalid, some ids unknown): each
		 * one says how it went. */
		if (table)
			table(reply);
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

/* A field for a table: "-" when absent or empty. */
static const char *str(const cJSON *o, const char *k)
{
	const char *v = json_str(o, k, "");

	return *v ? v : "-";
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
		       !strcmp(str(c, "network"), "host") ? "(host net)"
							   : str(c, "veth"),
		       addrs);
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

/* ---- status ---- */

static double num(const cJSON *o, const char *k);
static void when(double t, char *out, size_t len);

static void status_ifs(const cJSON *reply)
{
	const cJSON *ifs = cJSON_GetObjectItemCaseSensitive(reply, "interfaces");
	const cJSON *f;
	char cf[512], ports[512];

	join(cJSON_GetObjectItemCaseSensitive(reply, "container_if"), cf,
	     sizeof(cf));
	printf("container_if: %s%s\n", cf,
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
		       reply, "container_if_default"))
		       ? " (the defaults: none configured)"
		       : "");
	if (!cJSON_GetArraySize(ifs))
		printf("watching:     NOTHING (no such interface exists)\n");
	cJSON_ArrayForEach(f, ifs)
	{
		join(cJSON_GetObjectItemCaseSensitive(f, "ports"), ports,
		     sizeof(ports));
		printf("watching:     %-15s (%s) %.0f ports: %s\n",
		       str(f, "name"), str(f, "matched"), num(f, "nports"),
		       ports);
	}
}

static void status_counts(const cJSON *reply)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(reply, "counters");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(n, "verdicts");
	const cJSON *it;

	printf("packets:      %.0f (", num(n, "packets"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(n, "packets_by_kind"))
		printf("%s%s %.0f", it == cJSON_GetObjectItemCaseSensitive(
				      n, "packets_by_kind")->child ? "" : ", ",
		       it->string, it->valuedouble);
	printf(")\nverdicts:     ");
	cJSON_ArrayForEach(it, v)
		printf("%s%s %.0f", it == v->child ? "" : ", ", it->string,
		       it->valuedouble);
	printf("\nlosses:       queue drops %.0f (full) %.0f (user), ENOBUFS "
	       "%.0f, malformed %.0f, events dropped %.0f\n",
	       num(n, "queue_drops_full"), num(n, "queue_drops_user"),
	       num(n, "enobufs"), num(n, "malformed"), num(n, "events_dropped"));
	printf("events:       %.0f written, ", num(n, "events_written"));
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(reply, "events_by_category"))
		printf("%s %.0f; ", it->string, it->valuedouble);
	printf("DNS cache %.0f addresses, %.0f flows undecided\n",
	       num(n, "dns_cache_entries"), num(n, "flows_undecided"));
}

/* Fleet mode only (README: Fleet). */
static void status_fleet(const cJSON *reply)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(reply, "fleet");
	const char *e = json_str(f, "last_error", "");
	char t[32] = "never";

	if (!f)
		return;
	if (num(f, "last_ship") > 0)
		when(num(f, "last_ship"), t, sizeof(t));
	printf("fleet:        host %s, database %s, %s%s%s\n", str(f, "host_id"),
	       str(f, "database"),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "connected"))
		       ? "connected"
		       : "NOT connected",
	       *e ? ": " : "", e);
	printf("              outbox %.0f rows pending, shipped rev %.0f, last "
	       "ship %s, central lists version %.0f\n",
	       num(f, "outbox_pending"), num(f, "shipped_rev"), t,
	       num(f, "list_version"));
}

static void status_table(const cJSON *reply)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(reply, "queue");
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(reply, "containers");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(reply, "state_dir");
	const cJSON *l;
	char t[32];

	printf("egressd %s, %s mode, fail-%s, queue %.0f (%.0f) via %s, up "
	       "%.0f s\n", str(reply, "version"), str(reply, "mode"),
	       str(reply, "fail"), num(q, "first"), num(q, "count"),
	       str(q, "kind"), num(reply, "uptime_s"));
	status_ifs(reply);
	when(num(reply, "lists_loaded"), t, sizeof(t));
	printf("lists:        loaded %s\n", t);
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(reply, "lists"))
		printf("  %-5s %-40.40s %-14s %.0f entries\n", str(l, "list"),
		       str(l, "source"), str(l, "category"), num(l, "entries"));
	status_counts(reply);
	printf("containers:   %.0f known, %.0f isolated\n", num(k, "known"),
	       num(k, "isolated"));
	printf("state dir:    %s, %.1f MiB of %.0f MiB\n", str(s, "path"),
	       num(s, "bytes") / 1048576.0, num(s, "budget_bytes") / 1048576.0);
	status_fleet(reply);
}

/* ---- events ---- */

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void when(double t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static void events_table(const cJSON *reply)
{
	const cJSON *e;
	char last[32];

	printf("%-6s %-19s %-9s %-6s %-16s %-28s %-8s %-22s %s\n", "ID",
	       "LAST SEEN", "STATUS", "COUNT", "CONTAINER", "DOMAIN/IP",
	       "ACTION", "RULE", "PROCESS");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(reply, "events"))
	{
		when(num(e, "last_seen"), last, sizeof(last));
		printf("%-6.0f %-19s %-9s %-6.0f %-16.16s %-28.28s %-8s %-22.22s %s\n",
		       num(e, "id"), last, str(e, "status"), num(e, "count"),
		       str(e, "container_name"), str(e, "subject"),
		       str(e, "action"), str(e, "rule_pattern"),
		       str(e, "process_path"));
	}
}

static void overview_table(const cJSON *reply)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(reply, "overview");

	printf("pending events: %.0f, containers affected: %.0f\n",
	       num(o, "pending"), num(o, "containers"));
}

static void proc_line(const char *label, const cJSON *p)
{
	printf("  %-12s pid %.0f, %s, user %s (uid %.0f)\n               %s\n",
	       label, num(p, "pid"), str(p, "exe"), str(p, "user"), num(p, "uid"),
	       str(p, "cmdline"));
}

static void show_table(const cJSON *reply)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "event");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "detail");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "container");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(d, "host");
	const cJSON *now = cJSON_GetObjectItemCaseSensitive(e, "container_now");
	const cJSON *p;
	char first[32], last[32], in[256], out[256];
	const char *labels[] = { "process", "parent", "grandparent" };
	int i = 0;

	when(num(e, "first_seen"), first, sizeof(first));
	when(num(e, "last_seen"), last, sizeof(last));
	printf("event %.0f: %s %s (%s), %s x%.0f, status %s\n", num(e, "id"),
	       !strcmp(str(e, "type"), "ip") ? "malicious IP connection"
					     : "malicious domain request",
	       str(e, "subject"), str(e, "action"), str(d, "kind"),
	       num(e, "count"), str(e, "status"));
	printf("seen:        %s .. %s\n", first, last);
	printf("rule:        %s list, %s (source %s, category %s)\n",
	       str(e, "rule_list"), str(e, "rule_pattern"), str(e, "rule_source"),
	       str(e, "rule_category"));
	printf("destination: %s\n", str(d, "dst"));
	join(cJSON_GetObjectItemCaseSensitive(d, "addrs"), in, sizeof(in));
	printf("addresses:   %s\n", in);
	printf("container:   %s (%s), %s, isolation %s\n", str(e, "container_name"),
	       str(e, "container_id"), str(now, "state"), str(now, "isolation"));
	printf("image:       %s %s\n", str(c, "image"), str(c, "image_id"));
	join(cJSON_GetObjectItemCaseSensitive(h, "inner"), in, sizeof(in));
	join(cJSON_GetObjectItemCaseSensitive(h, "outer"), out, sizeof(out));
	printf("host:        %s, inner %s, outer %s\n", str(h, "name"), in, out);
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(d, "process"))
	{
		if (i < 3)
			proc_line(labels[i++], p);
	}
	if (!i)
		printf("process:     unknown: %s\n",
		       str(cJSON_GetObjectItemCaseSensitive(d, "process_unknown"),
			   "reason"));
	printf("risk:        %s\nremedy:      %s\n", str(e, "risk"), str(e, "remedy"));
}

static void results_table(const cJSON *reply)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(reply, "results"))
	{
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "pattern");
		if (p)
			printf("%s: %s%s%s\n", str(r, "pattern"), str(r, "result"),
			       cJSON_GetObjectItem(r, "error") ? ": " : "",
			       cJSON_GetObjectItem(r, "error") ? str(r, "error") : "");
		else
			printf("%.0f: %s%s%s\n", num(r, "id"), str(r, "result"),
			       cJSON_GetObjectItem(r, "error") ? ": " : "",
			       cJSON_GetObjectItem(r, "error") ? str(r, "error") : "");
	}
	if (cJSON_GetObjectItem(reply, "pattern"))
		printf("whitelisted %s (%.0f more pending events)\n",
		       str(reply, "pattern"), num(reply, "also_whitelisted"));
}

/* A count (--limit, --offset, an id): digits only, at most 10^9. "2m"
 * is no count (it was read as a span: 120). */
static int parse_count(const char *s, double *ret)
{
	char *end;
	long long v;

	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end || v > 1000000000LL)
		return -1;
	*ret = (double)v;
	return 0;
}

/* "7d", "12h", "30m", "90s" or seconds; at most 100 years (1e300 made
 * the daemon's time arithmetic overflow). */
static int parse_span(const char *s, double *ret)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v >= 0 && v <= 36500.0 * 86400))
		return -1;
	switch (*end) {
	case 'd': v *= 86400; end++; break;
	case 'h': v *= 3600; end++; break;
	case 'm': v *= 60; end++; break;
	case 's': end++; break;
	}
	if (*end || v > 36500.0 * 86400)
		return -1;
	*ret = v;
	return 0;
}

/* "2026-11-28", "2026-11-28 13:00" (local time) or epoch seconds. */
static int parse_time(const char *s, double *ret)
{
	struct tm tm = { 0 };
	char *end;
	double v = strtod(s, &end);

	if (end != s && !*end) {
		if (!(v >= 0 && v < 1e11))
			return -1;
		*ret = v;
		return 0;
	}
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == ' ')
		end = strptime(end + 1, "%H:%M", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	*ret = (double)mktime(&tm);
	return 0;
}

static int ids_to(cJSON *req, int argc, char **argv, int from)
{
	cJSON *ids = cJSON_AddArrayToObject(req, "ids");

	for (int i = from; i < argc; i++) {
		char *end;
		long long v = strtoll(argv[i], &end, 10);
		if (*end || v <= 0) {
			fprintf(stderr, "egressctl: '%s' is not an id\n", argv[i]);
			return -1;
		}
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)v));
	}
	return argc > from ? 0 : -1;
}

static int cmd_events_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "status", required_argument, NULL, 'S' },
		{ "container", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ 0 }
	};
	cJSON *req = cJSON_CreateObject();
	double v;
	int c;

	cJSON_AddStringToObject(req, "cmd", "events_list");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *key = c == 's' ? "since" : c == 'f' ? "from"
						: c == 't' ? "to" : c == 'l' ? "limit"
						: c == 'o' ? "offset" : NULL;
		if (c == 'S' || c == 'c' || c == 'd') {
			cJSON_AddStringToObject(req, c == 'S' ? "status"
						     : c == 'c' ? "container"
								: "domain",
						optarg);
			continue;
		}
		if (!key || (c == 's' ? parse_span(optarg, &v)
			     : (c == 'f' || c == 't') ? parse_time(optarg, &v)
						      : parse_count(optarg, &v))) {
			fprintf(stderr, "egressctl: bad value '%s'\n", optarg ? optarg : "");
			cJSON_Delete(req);
			usage(stderr);
			return 2;
		}
		cJSON_AddNumberToObject(req, key, v);
	}
	if (optind != argc) {
		cJSON_Delete(req);
		usage(stderr);
		return 2;
	}
	return finish(request(req), events_table);
}

static int cmd_events_whitelist(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "note", required_argument, NULL, 'n' },
		{ "all-pending", no_argument, NULL, 'a' },
		{ 0 }
	};
	cJSON *req = cJSON_CreateObject();
	char *end;
	int c;

	cJSON_AddStringToObject(req, "cmd", "events_whitelist");
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'a')
			cJSON_AddTrueToObject(req, "all_pending");
		else if (c == 'd' || c == 'n')
			cJSON_AddStringToObject(req, c == 'd' ? "domain" : "note",
						optarg);
		else
			goto usage;
	}
	if (optind + 1 != argc)
		goto usage;
	long long id = strtoll(argv[optind], &end, 10);
	if (*end || id <= 0)
		goto usage;
	cJSON_AddNumberToObject(req, "id", (double)id);
	return finish(request(req), results_table);
usage:
	cJSON_Delete(req);
	usage(stderr);
	return 2;
}

static int cmd_events(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	cJSON *req;
	bool yes = false;

	if (argc == 1 || sub[0] == '-')
		return cmd_events_list(argc, argv);
	if (!strcmp(sub, "overview") && argc == 2) {
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "events_overview");
		return finish(request(req), overview_table);
	}
	if (!strcmp(sub, "show") && argc == 3) {
		double id;
		if (parse_count(argv[2], &id) || !id) {
			fprintf(stderr, "egressctl: '%s' is not an id\n", argv[2]);
			return 2;
		}
		req = cJSON_CreateObject();
		cJSON_AddStringToObject(req, "cmd", "events_show");
		cJSON_AddNumberToObject(req, "id", id);
		return finish(request(req), show_table);
	}
	if (!strcmp(sub, "whitelist"))
		return cmd_events_whitelist(argc - 1, argv + 1);
	if (strcmp(sub, "handled") && strcmp(sub, "ignore") &&
	    strcmp(sub, "delete") && strcmp(sub, "isolate")) {
		usage(stderr);
		return 2;
	}
	if (argc > 3 && !strcmp(argv[argc - 1], "--yes")) {
		yes = true;
		argc--;
	}
	if (!strcmp(sub, "isolate") && argc != 3) {
		usage(stderr);
		return 2;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "events_handle");
	cJSON_AddStringToObject(req, "action", sub);
	if (yes)
		cJSON_AddTrueToObject(req, "yes");
	if (ids_to(req, argc, argv, 2)) {
		cJSON_Delete(req);
		usage(stderr);
		return 2;
	}
	return finish(request(req), results_table);
}

/* ---- lists ---- */

static void entries_table(const cJSON *reply)
{
	const cJSON *e;
	char t[32];

	printf("%-6s %-40s %-19s %-6s %s\n", "ID", "PATTERN", "CREATED", "BY",
	       "NOTE");
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(reply, "entries"))
	{
		when(num(e, "created"), t, sizeof(t));
		printf("%-6.0f %-40s %-19s %-6.0f %s\n", num(e, "id"),
		       str(e, "pattern"), t, num(e, "created_by"), str(e, "note"));
	}
}

/* Moves the items of reply's array key to the end of all; returns the
 * number moved. */
static int take_items(cJSON *reply, const char *key, cJSON *all)
{
	cJSON *arr = cJSON_DetachItemFromObject(reply, key), *it;
	int n = 0;

	while (arr && (it = cJSON_DetachItemFromArray(arr, 0))) {
		cJSON_AddItemToArray(all, it);
		n++;
	}
	cJSON_Delete(arr);
	return n;
}

/* Every entry of a list, page after page: the daemon answers in pages,
 * so that a list of any size is shown whole. */
static int list_entries(const char *list)
{
	cJSON *all = cJSON_CreateArray(), *out;
	double after = 0;
	bool more = true;

	while (more) {
		cJSON *req = cJSON_CreateObject(), *reply, *last;
		cJSON_AddStringToObject(req, "cmd", "list_get");
		cJSON_AddStringToObject(req, "list", list);
		cJSON_AddNumberToObject(req, "after", after);
		cJSON_AddNumberToObject(req, "limit", CTL_PAGE_MAX);
		reply = request(req);
		if (!reply || !cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok"))) {
			cJSON_Delete(all);
			return finish(reply, NULL);
		}
		more = cJSON_IsTrue(cJSON_GetObjectItem(reply, "more"));
		if (!take_items(reply, "entries", all))
			more = false;
		last = cJSON_GetArrayItem(all, cJSON_GetArraySize(all) - 1);
		after = num(last, "id");
		cJSON_Delete(reply);
	}
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "ok", true);
	cJSON_AddItemToObject(out, "entries", all);
	return finish(out, entries_table);
}

static int cmd_list(int argc, char **argv, const char *list)
{
	const char *sub = argc > 1 ? argv[1] : "";
	cJSON *req, *pats;

	if (!strcmp(sub, "list") && argc == 2)
		return list_entries(list);
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "list", list);
	if (!strcmp(sub, "remove") && argc > 2) {
		cJSON_AddStringToObject(req, "cmd", "list_remove");
		if (!ids_to(req, argc, argv, 2))
			return finish(request(req), results_table);
	} else if (!strcmp(sub, "add") && argc > 2) {
		cJSON_AddStringToObject(req, "cmd", "list_add");
		pats = cJSON_AddArrayToObject(req, "patterns");
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--note") && i + 1 < argc) {
				cJSON_AddStringToObject(req, "note", argv[++i]);
				continue;
			}
			if (!strcmp(argv[i], "--force")) {
				cJSON_AddTrueToObject(req, "force");
				continue;
			}
			cJSON_AddItemToArray(pats, cJSON_CreateString(argv[i]));
		}
		if (cJSON_GetArraySize(pats))
			return finish(request(req), results_table);
	}
	cJSON_Delete(req);
	usage(stderr);
	return 2;
}

static void sources_table(const cJSON *reply)
{
	const cJSON *s;
	char t[32];

	when(num(reply, "loaded"), t, sizeof(t));
	printf("%-6s %-32s %-18s %s\n", "LIST", "SOURCE", "CATEGORY", "ENTRIES");
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply, "sources"))
		printf("%-6s %-32s %-18s %.0f\n", str(s, "list"), str(s, "source"),
		       str(s, "category"), num(s, "entries"));
	printf("loaded %s\n", t);
}

static void image_table(const cJSON *reply)
{
	const cJSON *im = cJSON_GetObjectItemCaseSensitive(reply, "image"), *x;
	char t[32];

	printf("image %s (%s)\n", str(im, "id"), str(im, "source"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(im, "tags"))
		printf("  tag        %s\n", cJSON_IsString(x) ? x->valuestring : "");
	if (num(im, "created")) {
		when(num(im, "created"), t, sizeof(t));
		printf("  created    %s\n  size       %.0f bytes, %s/%s\n", t,
		       num(im, "size"), str(im, "os"), str(im, "architecture"));
	}
	if (*str(im, "note"))
		printf("  note       %s\n", str(im, "note"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(im, "history"))
	{
		when(num(x, "created"), t, sizeof(t));
		printf("  layer      %s %10.0f  %s\n", t, num(x, "size"),
		       str(x, "created_by"));
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(im, "containers"))
		printf("  container  %s (%s)\n", str(x, "name"), str(x, "id"));
}

static int cmd_image(int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();

	(void)argc;
	cJSON_AddStringToObject(req, "cmd", "image");
	cJSON_AddStringToObject(req, "id", argv[1]);
	return finish(request(req), image_table);
}

static void audit_table(const cJSON *reply)
{
	const cJSON *a;
	char t[32];

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(reply, "audit"))
	{
		const char *u = json_str(a, "user", "");
		when(num(a, "time"), t, sizeof(t));
		printf("%s uid %-5.0f %-18s %s%s%s%s\n", t, num(a, "uid"),
		       str(a, "action"), str(a, "what"), *u ? " (console user " : "",
		       u, *u ? ")" : "");
	}
}

/* The newest N lines, page after page. */
static int cmd_audit(int argc, char **argv)
{
	cJSON *all = cJSON_CreateArray(), *out;
	double before = 1e15;
	long want = 50, got = 0;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "--limit")) {
		want = strtol(argv[2], &end, 10);
		if (*end || want < 1 || want > 10000000)
			goto usage;
	} else if (argc != 1) {
		goto usage;
	}
	while (got < want) {
		cJSON *req = cJSON_CreateObject(), *reply;
		long page = want - got < CTL_PAGE_MAX ? want - got : CTL_PAGE_MAX;
		int n;
		cJSON_AddStringToObject(req, "cmd", "audit");
		cJSON_AddNumberToObject(req, "limit", (double)page);
		cJSON_AddNumberToObject(req, "before", before);
		reply = request(req);
		if (!reply || !cJSON_IsTrue(cJSON_GetObjectItem(reply, "ok"))) {
			cJSON_Delete(all);
			return finish(reply, NULL);
		}
		n = take_items(reply, "audit", all);
		cJSON_Delete(reply);
		got += n;
		before = num(cJSON_GetArrayItem(all, cJSON_GetArraySize(all) - 1), "id");
		if (n < page)
			break;
	}
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "ok", true);
	cJSON_AddItemToObject(out, "audit", all);
	return finish(out, audit_table);
usage:
	cJSON_Delete(all);
	usage(stderr);
	return 2;
}

static void import_table(const cJSON *reply)
{
	printf("imported %s (%s, %slist): %.0f entries, %.0f skipped, %.0f "
	       "stripped (private, loopback and reserved networks)",
	       str(reply, "name"), str(reply, "format"), str(reply, "list"),
	       num(reply, "entries"), num(reply, "skipped"),
	       num(reply, "stripped"));
	const cJSON *bad = cJSON_GetObjectItem(reply, "first_invalid"), *l;

	if (num(reply, "allows_ignored"))
		printf(", %.0f allow rules ignored (a blacklist cannot whitelist: "
		       "import it with --whitelist for that)",
		       num(reply, "allows_ignored"));
	if (num(reply, "with_path") || num(reply, "by_options"))
		printf(", %.0f rules with a path and %.0f narrowed by $options "
		       "skipped (not enforceable by name)",
		       num(reply, "with_path"), num(reply, "by_options"));
	if (num(reply, "cancelled"))
		printf(", %.0f cancelled by $badfilter", num(reply, "cancelled"));
	if (num(reply, "invalid"))
		printf(", %.0f invalid lines skipped", num(reply, "invalid"));
	putchar('\n');
	cJSON_ArrayForEach(l, bad)
		printf("  skipped line %.0f: %s\n", num(l, "line"), str(l, "error"));
}

static int lists_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "category", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "whitelist", no_argument, NULL, 'w' },
		{ 0 }
	};
	const char *fmt = NULL, *cat = NULL, *name = NULL, *base;
	bool white = false;
	cJSON *req;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f')
			fmt = optarg;
		else if (c == 'c')
			cat = optarg;
		else if (c == 'n')
			name = optarg;
		else if (c == 'w')
			white = true;
		else
			goto usage;
	}
	if (optind + 1 != argc || !fmt || !cat)
		goto usage;
	/* egressd reads the feed through this descriptor: only what this
	 * user can read can be imported. */
	/* O_NONBLOCK: a FIFO must not hang us in open() waiting for a
	 * writer; egressd reads regular files only, and says so too. */
	pass_fd = open(argv[optind], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (pass_fd < 0) {
		fprintf(stderr, "egressctl: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	int e = file_check_fd(pass_fd, CTL_IMPORT_MAX);
	if (e) {
		fprintf(stderr, "egressctl: %s: %s\n", argv[optind],
			file_strerror(e));
		return 1;
	}
	base = strrchr(argv[optind], '/');
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "lists_import");
	cJSON_AddStringToObject(req, "format", fmt);
	cJSON_AddStringToObject(req, "category", cat);
	cJSON_AddStringToObject(req, "list", white ? "white" : "black");
	cJSON_AddStringToObject(req, "name", name ? name : base ? base + 1 : argv[optind]);
	return finish(request(req), import_table);
usage:
	usage(stderr);
	return 2;
}

static int check_one(const char *path, enum list_format fmt, unsigned flags)
{
	struct list_spec spec = { .path = path, .format = fmt, .flags = flags };
	struct list_report rep;
	struct policy p;
	const struct list_stats *st = &rep.stats;
	char err[512];

	if (policy_build(&spec, 1, &p, &rep, err, sizeof(err))) {
		fprintf(stderr, "%s (file refused%s)\n", err,
			flags & LIST_LENIENT ? ""
				: "; --feed reads a feed, skipping bad lines");
		return 1;
	}
	printf("%s: format %s, category %s, %u lines, %u rules, %u entries "
	       "(%zu block domains, %zu block networks, %zu allow domains, "
	       "%zu allow networks), %u skipped (%u with a path, %u narrowed "
	       "by $options), %u cancelled by $badfilter, %u stripped, %u allow "
	       "rules ignored (a blacklist cannot whitelist), %u invalid lines "
	       "skipped\n",
	       path, list_format_name(st->format), rep.category, st->lines,
	       st->rules, st->entries, match_set_domains(p.black),
	       match_set_networks(p.black), match_set_domains(p.white),
	       match_set_networks(p.white), st->skipped, st->paths,
	       st->modifiers, st->cancelled, st->stripped, st->allows_ignored,
	       st->invalid);
	for (unsigned i = 0; i < st->invalid && i < LIST_INVALID_KEPT; i++)
		printf("  skipped %s:%u: %s\n", path, st->first_invalid[i].line,
		       st->first_invalid[i].msg);
	policy_free(&p);
	return 0;
}

static int lists_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "strip-bogons", no_argument, NULL, 's' },
		{ "feed", no_argument, NULL, 'F' },
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
		if (c == 'F') { /* a third-party feed, as lists import reads it */
			flags |= LIST_LENIENT;
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

/* ---- the verb table: dispatch and help come from it ---- */

static int v_status(int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();

	(void)argc;
	(void)argv;
	cJSON_AddStringToObject(req, "cmd", "status");
	return finish(request(req), status_table);
}

static int v_lists(int argc, char **argv)
{
	cJSON *req = cJSON_CreateObject();

	(void)argc;
	(void)argv;
	cJSON_AddStringToObject(req, "cmd", "lists");
	return finish(request(req), sources_table);
}

static int v_lists_check(int argc, char **argv)
{
	return lists_check(argc - 1, argv + 1);
}

static int v_lists_import(int argc, char **argv)
{
	return lists_import(argc - 1, argv + 1);
}

static int v_console_user(int argc, char **argv)
{
	int r = console_user_main(argc, argv);

	if (r == 2) {
		fprintf(stderr, "usage:\n");
		verb_usage(stderr, "console-user");
	}
	return r;
}

static int v_black(int argc, char **argv)
{
	return cmd_list(argc, argv, "black");
}

static int v_white(int argc, char **argv)
{
	return cmd_list(argc, argv, "white");
}

static int v_isolate(int argc, char **argv)
{
	return cmd_isolate(argc, argv, true);
}

static int v_unisolate(int argc, char **argv)
{
	return cmd_isolate(argc, argv, false);
}

static int v_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("egressctl %s\n", EGRESSD_VERSION);
	return 0;
}

static int v_help(int argc, char **argv);

#define ANY 1000
/* name [sub]: the words; min, max: the words after them. usage: the
 * lines `egressctl help` prints for it. First match wins (the "lists"
 * subcommands before "lists"). */
static const struct verb {
	const char *name, *sub;
	int min, max;
	int (*fn)(int argc, char **argv);
	const char *usage;
} verbs[] = {
	{ "status", NULL, 0, 0, v_status,
	  "  status                        mode, interfaces watched, lists,\n"
	  "                                counters, containers, state size\n" },
	{ "containers", NULL, 0, 0, cmd_containers,
	  "  containers                    the containers egressd knows, with\n"
	  "                                their isolation state\n" },
	{ "image", NULL, 1, 1, cmd_image,
	  "  image IMAGE                   what the runtime knows of an image\n"
	  "                                (name, name:tag or id): created,\n"
	  "                                size, layers with the commands that\n"
	  "                                built them, containers running it\n" },
	{ "isolate", NULL, 1, 3, v_isolate,
	  "  isolate CONTAINER [--note T]  cut a container off the network\n"
	  "                                (name or id prefix)\n" },
	{ "unisolate", NULL, 1, 3, v_unisolate,
	  "  unisolate CONTAINER           give it its network back\n" },
	{ "events", NULL, 0, ANY, cmd_events,
	  "  events overview               pending events, containers affected\n"
	  "  events [--since 7d | --from T --to T] [--status S]\n"
	  "         [--container C] [--domain D] [--limit N] [--offset N]\n"
	  "                                events, newest first (last 7 days)\n"
	  "  events show ID                every field of one event\n"
	  "  events whitelist ID [--domain D] [--note T] [--all-pending]\n"
	  "  events handled ID...  | events ignore ID...\n"
	  "  events delete ID... --yes | events isolate ID\n" },
	{ "blacklist", NULL, 1, ANY, v_black,
	  "  blacklist add PATTERN... [--note T] [--force] | blacklist list\n"
	  "  blacklist remove ID...\n" },
	{ "whitelist", NULL, 1, ANY, v_white,
	  "  whitelist add PATTERN... [--note T] [--force] | whitelist list\n"
	  "  whitelist remove ID...\n" },
	{ "lists", "check", 1, ANY, v_lists_check,
	  "  lists check [--format F] [--strip-bogons] [--feed] FILE...\n"
	  "                                validate list files (offline)\n" },
	{ "lists", "import", 1, ANY, v_lists_import,
	  "  lists import FILE --format F --category C [--name N] [--whitelist]\n"
	  "                                a threat-intel feed as a system\n"
	  "                                source (F: domains, wildcard, hosts,\n"
	  "                                adblock, rpz, cidr, auto); a\n"
	  "                                blacklist feed's allow rules are\n"
	  "                                ignored unless it is imported\n"
	  "                                --whitelist\n" },
	{ "lists", NULL, 0, 0, v_lists,
	  "  lists                         list sources, entries, loaded\n" },
	{ "audit", NULL, 0, 2, cmd_audit,
	  "  audit [--limit N]             who changed what\n" },
	{ "console-user", "add", 1, 3, v_console_user,
	  "  console-user add NAME [--users-file F]\n"
	  "                                a user of egressd-console; the\n"
	  "                                password from the terminal, or one\n"
	  "                                line of stdin\n" },
	{ "console-user", "passwd", 1, 3, v_console_user,
	  "  console-user passwd NAME [--users-file F]\n" },
	{ "console-user", "remove", 1, 3, v_console_user,
	  "  console-user remove NAME [--users-file F]\n" },
	{ "version", NULL, 0, 0, v_version, "  version\n" },
	{ "help", NULL, 0, 1, v_help,
	  "  help [COMMAND]                this text, or one command's\n" },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
	fputs("usage: egressctl [--socket PATH] [--timeout SECONDS] [--json] "
	      "COMMAND\ncommands:\n", f);
	for (size_t i = 0; i < NVERBS; i++)
		fputs(verbs[i].usage, f);
	fputs("COMMAND --help: that command's lines\n"
	      "exit status: 0 done, 1 refused, 2 usage error\n", f);
}

/* The lines of every verb called name (lists has three). */
static bool verb_usage(FILE *f, const char *name)
{
	bool found = false;

	for (size_t i = 0; i < NVERBS; i++)
		if (!strcmp(verbs[i].name, name)) {
			fputs(verbs[i].usage, f);
			found = true;
		}
	return found;
}

static int v_help(int argc, char **argv)
{
	if (argc == 1) {
		usage(stdout);
		return 0;
	}
	if (verb_usage(stdout, argv[1]))
		return 0;
	fprintf(stderr, "egressctl: no command '%s'\n", argv[1]);
	return 2;
}

static const struct verb *verb_find(int argc, char **argv)
{
	for (size_t i = 0; argc >= 1 && i < NVERBS; i++) {
		const struct verb *v = &verbs[i];
		if (strcmp(v->name, argv[0]))
			continue;
		if (!v->sub || (argc >= 2 && !strcmp(argv[1], v->sub)))
			return v;
	}
	return NULL;
}

static int dispatch(int argc, char **argv)
{
	const struct verb *v = verb_find(argc, argv);
	int words;

	if (!v) {
		if (argc >= 1)
			fprintf(stderr, "egressctl: no command '%s'\n", argv[0]);
		usage(stderr);
		return 2;
	}
	for (int k = 1; k < argc; k++)
		if (!strcmp(argv[k], "--help")) {
			verb_usage(stdout, v->name);
			return 0;
		}
	words = argc - 1 - (v->sub ? 1 : 0);
	if (words < v->min || words > v->max) {
		fprintf(stderr, "usage:\n");
		verb_usage(stderr, v->name);
		return 2;
	}
	return v->fn(argc, argv);
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc)
			sock_path = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			char *end;
			timeout_s = strtol(argv[++i], &end, 10);
			if (*end || timeout_s < 1 || timeout_s > 86400) {
				fprintf(stderr, "egressctl: --timeout takes "
					"seconds, 1 to 86400\n");
				return 2;
			}
		}
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
	return dispatch(argc, argv);
}
