// SPDX-License-Identifier: GPL-2.0-or-later
/* `egressctl status`: what this egressd is doing now. Answered from
 * memory (the packet thread's published counters, the last scan, the
 * lists' sources) and one look at the state dir's size: a cheap verb. */
#include "ctl.h"
#include "ctl_internal.h"
#include "ctl_reply.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

void ctl_set_hostnet(struct ctl *c, struct hostnet *h)
{
	c->hostnet = h;
}

void ctl_set_fleet(struct ctl *c, cJSON *(*fn)(void *arg), void *arg)
{
	c->fleet_status = fn;
	c->fleet_arg = arg;
}

void ctl_set_status(struct ctl *c, const struct status_board *b,
		    const struct status_cats *cats, const char *queue_kind)
{
	c->board = b;
	c->cats = cats;
	c->queue_kind = queue_kind;
	c->started = (int64_t)time(NULL);
}

/* Bytes on disk of the regular files in dir (not below). */
static uint64_t dir_bytes(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	const struct dirent *e;
	uint64_t n = 0;
	struct stat st;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (!fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode))
			n += (uint64_t)st.st_blocks * 512;
	closedir(d);
	return n;
}

static void add_config(const struct ctl *c, cJSON *o)
{
	const struct config *cfg = c->cfg;
	cJSON *q = cJSON_AddObjectToObject(o, "queue");

	cJSON_AddStringToObject(o, "version", EGRESSD_VERSION);
	cJSON_AddStringToObject(o, "mode", cfg->block ? "block" : "alert");
	cJSON_AddStringToObject(o, "fail", cfg->fail_closed ? "closed" : "open");
	cJSON_AddStringToObject(q, "kind", c->queue_kind ? c->queue_kind : "");
	cJSON_AddNumberToObject(q, "first", cfg->queue_first);
	cJSON_AddNumberToObject(q, "count", cfg->queue_count);
	cJSON_AddNumberToObject(q, "maxlen", cfg->queue_maxlen);
	cJSON_AddNumberToObject(o, "started", (double)c->started);
	cJSON_AddNumberToObject(o, "uptime_s",
				(double)((int64_t)time(NULL) - c->started));
}

/* Under c->lock. */
static void add_interfaces(const struct ctl *c, cJSON *o)
{
	cJSON *cf = cJSON_AddArrayToObject(o, "container_if");
	cJSON *w = cJSON_AddArrayToObject(o, "interfaces");

	for (size_t i = 0; i < c->cfg->nifs; i++)
		cJSON_AddItemToArray(cf, cJSON_CreateString(c->cfg->ifs[i]));
	if (c->cfg->ifs_auto)
		cJSON_AddItemToArray(cf, cJSON_CreateString("auto"));
	cJSON_AddBoolToObject(o, "container_if_default", c->cfg->ifs_default);
	for (size_t i = 0; i < c->watch.n; i++) {
		const struct watch_if *f = &c->watch.ifs[i];
		cJSON *x = cJSON_CreateObject(), *ports;

		cJSON_AddStringToObject(x, "name", f->name);
		cJSON_AddStringToObject(x, "matched", f->pattern);
		cJSON_AddBoolToObject(x, "bridge", f->bridge);
		cJSON_AddNumberToObject(x, "nports", (double)f->nports);
		ports = cJSON_AddArrayToObject(x, "ports");
		for (size_t k = 0; k < f->nports && k < WATCH_PORTS_SHOWN; k++)
			cJSON_AddItemToArray(ports,
					     cJSON_CreateString(f->ports[k]));
		cJSON_AddItemToArray(w, x);
	}
}

/* Under c->lock. */
static void add_containers(const struct ctl *c, cJSON *o)
{
	cJSON *k = cJSON_AddObjectToObject(o, "containers");
	size_t iso = 0;

	for (size_t i = 0; i < c->iso->n; i++)
		iso += c->iso->e[i].state == ISO_ISOLATED;
	cJSON_AddNumberToObject(k, "known", (double)(c->inv ? c->inv->n : 0));
	cJSON_AddNumberToObject(k, "isolated", (double)iso);
}

#define NUM(o, name, v) cJSON_AddNumberToObject(o, name, (double)(v))

static void add_verdicts(const struct status_counters *s, cJSON *o)
{
	cJSON *k = cJSON_AddObjectToObject(o, "packets_by_kind");
	cJSON *v = cJSON_AddObjectToObject(o, "verdicts");

	for (size_t i = 0; i < STATUS_KINDS; i++)
		NUM(k, status_kind_names[i], s->by_kind[i]);
	cJSON *m = cJSON_AddObjectToObject(o, "verdicts_by_kind");

	for (size_t a = 0; a < STATUS_ACTIONS; a++) {
		cJSON *row = cJSON_AddObjectToObject(m, status_action_names[a]);
		uint64_t n = 0;
		for (size_t i = 0; i < STATUS_KINDS; i++) {
			n += s->verdicts[a][i];
			NUM(row, status_kind_names[i], s->verdicts[a][i]);
		}
		NUM(v, status_action_names[a], n);
	}
}

static void add_counters(const struct ctl *c, cJSON *o)
{
	struct status_counters s = { 0 };
	cJSON *n = cJSON_AddObjectToObject(o, "counters");

	if (c->board)
		status_read(c->board, &s);
	NUM(n, "packets", s.packets);
	add_verdicts(&s, n);
	NUM(n, "queue_drops_full", s.queue_full);
	NUM(n, "queue_drops_user", s.queue_user);
	NUM(n, "enobufs", s.enobufs);
	NUM(n, "verdict_errors", s.verdict_errors);
	NUM(n, "malformed", s.malformed);
	NUM(n, "unreadable", s.unreadable);
	NUM(n, "events_queued", s.events_queued);
	NUM(n, "events_coalesced", s.events_coalesced);
	NUM(n, "events_dropped", s.events_dropped);
	NUM(n, "events_written", s.events_written);
	NUM(n, "store_errors", s.store_errors);
	NUM(n, "export_errors", s.export_errors);
	NUM(n, "verdicts_held_timed_out", s.held_timeouts);
	NUM(n, "flows_undecided", s.flows);
	NUM(n, "flows_evicted", s.flows_evicted);
	NUM(n, "dns_cache_entries", s.dns_cache_entries);
	NUM(n, "host_packets", s.host_packets);
	NUM(n, "host_events_ignored", s.host_ignored);
}

static void add_categories(const struct ctl *c, cJSON *o)
{
	cJSON *e = cJSON_AddObjectToObject(o, "events_by_category");
	size_t n;

	if (!c->cats)
		return;
	n = atomic_load_explicit(&c->cats->n, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		NUM(e, c->cats->names[i],
		    atomic_load_explicit(&c->cats->count[i],
					 memory_order_relaxed));
	NUM(e, "other", atomic_load_explicit(&c->cats->other,
					     memory_order_relaxed));
}

static void add_store(const struct ctl *c, cJSON *o)
{
	cJSON *s = cJSON_AddObjectToObject(o, "state_dir");
	int fd = open(c->cfg->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t n = 0;

	if (fd >= 0) {
		n = dir_bytes(fd, ".") + dir_bytes(fd, "imported");
		close(fd);
	}
	cJSON_AddStringToObject(s, "path", c->cfg->state_dir);
	NUM(s, "bytes", n);
	NUM(s, "budget_bytes", (uint64_t)c->cfg->max_state_mb << 20);
}

cJSON *cmd_status(struct ctl_req *r)
{
	return ctl_status(r->c);
}

cJSON *ctl_status(struct ctl *c)
{
	cJSON *o = reply_ok();

	add_config(c, o);
	pthread_mutex_lock(&c->lock);
	add_interfaces(c, o);
	add_containers(c, o);
	cJSON_AddItemToObject(o, "lists", c->sources
						  ? cJSON_Duplicate(c->sources, 1)
						  : cJSON_CreateArray());
	NUM(o, "lists_loaded", c->lists_loaded);
	pthread_mutex_unlock(&c->lock);
	add_counters(c, o);
	add_categories(c, o);
	add_store(c, o);
	if (c->fleet_status) {
		cJSON *f = c->fleet_status(c->fleet_arg);
		if (f)
			cJSON_AddItemToObject(o, "fleet", f);
	}
	return o;
}
