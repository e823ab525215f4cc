// SPDX-License-Identifier: GPL-2.0-or-later
#include "metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "egressd/limits.h"
#include "listen.h"

/* ---- rendering ---- */

struct text {
	char *s;
	size_t len, cap;
	bool failed;
};

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int tries = 0; tries < 2 && !t->failed; tries++) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL,
			      t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if (t->s && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *s = realloc(t->s, cap);
		if (!s) {
			t->failed = true;
			return;
		}
		t->s = s;
		t->cap = cap;
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(struct text *t, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(t, "\\%c", *v);
		else if (*v == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *v);
	}
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static const cJSON *obj(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static void head(struct text *t, const char *name, const char *type,
		 const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void single(struct text *t, const char *name, const char *type,
		   const char *help, double v)
{
	head(t, name, type, help);
	put(t, "%s %.0f\n", name, v);
}

/* One family with one label: each member of o is a sample. */
static void by_label(struct text *t, const char *name, const char *type,
		     const char *help, const char *label, const cJSON *o)
{
	const cJSON *it;

	head(t, name, type, help);
	cJSON_ArrayForEach(it, o)
	{
		put(t, "%s{%s=\"", name, label);
		put_label(t, it->string ? it->string : "");
		put(t, "\"} %.0f\n", cJSON_IsNumber(it) ? it->valuedouble : 0);
	}
}

static void render_info(struct text *t, const cJSON *s)
{
	const cJSON *q = obj(s, "queue");

	head(t, "egressd_build_info", "gauge",
	     "Always 1: the version, mode and queue kind in labels.");
	put(t, "egressd_build_info{version=\"");
	put_label(t, str(s, "version"));
	put(t, "\",mode=\"%s\",fail=\"%s\",queue=\"%s\"} 1\n", str(s, "mode"),
	    str(s, "fail"), str(q, "kind"));
	single(t, "egressd_start_time_seconds", "gauge",
	       "When egressd started, seconds since the epoch.",
	       num(s, "started"));
}

static void render_packets(struct text *t, const cJSON *n)
{
	const cJSON *act, *k;

	by_label(t, "egressd_packets_total", "counter",
		 "Packets read from the queues, by kind.", "kind",
		 obj(n, "packets_by_kind"));
	head(t, "egressd_verdicts_total", "counter",
	     "Verdicts given, by action and packet kind.");
	cJSON_ArrayForEach(act, obj(n, "verdicts_by_kind"))
		cJSON_ArrayForEach(k, act)
			put(t, "egressd_verdicts_total{action=\"%s\",kind=\"%s\"} "
			    "%.0f\n", act->string, k->string, k->valuedouble);
	head(t, "egressd_queue_drops_total", "counter",
	     "Packets lost on the way to egressd: queue full (kernel), could "
	     "not be sent (kernel), or queue messages lost (ENOBUFS).");
	put(t, "egressd_queue_drops_total{reason=\"full\"} %.0f\n",
	    num(n, "queue_drops_full"));
	put(t, "egressd_queue_drops_total{reason=\"user\"} %.0f\n",
	    num(n, "queue_drops_user"));
	put(t, "egressd_queue_drops_total{reason=\"enobufs\"} %.0f\n",
	    num(n, "enobufs"));
	single(t, "egressd_verdict_errors_total", "counter",
	       "Verdicts the kernel refused.", num(n, "verdict_errors"));
	single(t, "egressd_malformed_packets_total", "counter",
	       "Queued packets that could not be parsed.", num(n, "malformed"));
	single(t, "egressd_unreadable_total", "counter",
	       "Flows or answers egressd could not read (unreadable setting).",
	       num(n, "unreadable"));
	single(t, "egressd_verdicts_held_timeout_total", "counter",
	       "Verdicts held for attribution that waited their full time.",
	       num(n, "verdicts_held_timed_out"));
}

static void render_events(struct text *t, const cJSON *s, const cJSON *n)
{
	by_label(t, "egressd_events_total", "counter",
		 "Events recorded (alerted or blocked), by rule category.",
		 "category", obj(s, "events_by_category"));
	single(t, "egressd_events_written_total", "counter",
	       "Events written to the store.", num(n, "events_written"));
	single(t, "egressd_events_dropped_total", "counter",
	       "Events lost: the writer's queue was full.",
	       num(n, "events_dropped"));
	single(t, "egressd_store_errors_total", "counter",
	       "Store writes that failed.", num(n, "store_errors"));
}

static void render_lists(struct text *t, const cJSON *s)
{
	const cJSON *l;

	head(t, "egressd_list_entries", "gauge",
	     "Entries loaded, by list (black, white) and source.");
	cJSON_ArrayForEach(l, obj(s, "lists"))
	{
		put(t, "egressd_list_entries{list=\"%s\",source=\"",
		    str(l, "list"));
		put_label(t, str(l, "source"));
		put(t, "\"} %.0f\n", num(l, "entries"));
	}
	single(t, "egressd_lists_loaded_timestamp_seconds", "gauge",
	       "When the lists in force were built.", num(s, "lists_loaded"));
}

static void render_state(struct text *t, const cJSON *s, const cJSON *n)
{
	const cJSON *k = obj(s, "containers");

	single(t, "egressd_containers", "gauge",
	       "Containers in the inventory.", num(k, "known"));
	single(t, "egressd_isolated_containers", "gauge",
	       "Containers isolated now.", num(k, "isolated"));
	single(t, "egressd_watched_interfaces", "gauge",
	       "Container interfaces that exist and are watched (0: egressd "
	       "sees nothing).", cJSON_GetArraySize(obj(s, "interfaces")));
	single(t, "egressd_dns_cache_entries", "gauge",
	       "Addresses the DNS cache maps to names.",
	       num(n, "dns_cache_entries"));
	single(t, "egressd_flows_undecided", "gauge",
	       "Flows whose first payload is still awaited.",
	       num(n, "flows_undecided"));
	single(t, "egressd_flows_evicted_total", "counter",
	       "Undecided flows evicted from a full table.",
	       num(n, "flows_evicted"));
	single(t, "egressd_host_packets_total", "counter",
	       "Packets of the host's own sockets queued (host-network "
	       "containers; every host process with host_processes = watch).",
	       num(n, "host_packets"));
	single(t, "egressd_host_events_ignored_total", "counter",
	       "Events of host processes in no container, not recorded "
	       "(host_processes = ignore).",
	       num(n, "host_events_ignored"));
	single(t, "egressd_state_dir_bytes", "gauge",
	       "Bytes on disk in the state directory.",
	       num(obj(s, "state_dir"), "bytes"));
}

char *metrics_render(const cJSON *s, size_t *len)
{
	struct text t = { 0 };
	const cJSON *n = obj(s, "counters");

	render_info(&t, s);
	render_packets(&t, n);
	render_events(&t, s, n);
	render_lists(&t, s);
	render_state(&t, s, n);
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	*len = t.len;
	return t.s;
}

/* ---- serving ---- */

struct metrics {
	struct MHD_Daemon *mhd;
	struct ctl *ctl;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	static char not_found[] = "not found: try /metrics\n";
	static char not_allowed[] = "method not allowed: GET /metrics\n";
	cJSON *s;
	char *body;
	size_t len = 0;

	(void)version;
	(void)upload;
	(void)state;
	if (*upload_len)
		return MHD_NO; /* no body is expected */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, 405, "text/plain", not_allowed,
			     strlen(not_allowed), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, 404, "text/plain", not_found,
			     strlen(not_found), MHD_RESPMEM_PERSISTENT);
	s = ctl_status(m->ctl);
	body = s ? metrics_render(s, &len) : NULL;
	cJSON_Delete(s);
	if (!body)
		return MHD_NO;
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
		     body, len, MHD_RESPMEM_MUST_FREE);
}

int metrics_listen(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	if (listen_parse(spec, &ss)) {
		snprintf(err, errlen, "metrics_listen: bad address '%s'", spec);
		return -EINVAL;
	}
	sl = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
				     : sizeof(struct sockaddr_in6);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, sl) ||
	    listen(fd, METRICS_BACKLOG)) {
		int e = errno;
		snprintf(err, errlen, "metrics_listen %s: %s", spec, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

struct metrics *metrics_start(int fd, struct ctl *ctl, char *err,
			      size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		close(fd);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->ctl = ctl;
	/* One polling thread: a scrape is rare and cheap; a slow or stuck
	 * client is timed out and never holds a second slot for long. */
	m->mhd = MHD_start_daemon(
		MHD_USE_POLL_INTERNAL_THREAD, 0, NULL, NULL, on_request, m,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)METRICS_CLIENTS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)METRICS_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)METRICS_CONN_MEMORY, MHD_OPTION_END);
	if (!m->mhd) {
		close(fd);
		free(m);
		snprintf(err, errlen, "metrics: cannot start the HTTP server");
		return NULL;
	}
	return m;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->mhd);
	free(m);
}
