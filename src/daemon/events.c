// SPDX-License-Identifier: GPL-2.0-or-later
#include "events.h"
#include "log.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"
#include "egressd/evqueue.h"
#include "egressd/fileio.h"
#include "egressd/inventory.h"
#include "egressd/store.h"
#include "egressd/clock.h"
#include "jsonout.h"

/* Host facts are read again after this many seconds. */
#define HOST_FACTS_TTL_S 60
/* The process behind a connection is looked for at most this long. */
#define ATTRIB_WAIT_MS 1000
/* An event from a source the inventory does not know waits (beside the
 * queue, never in the writer's way) for a rescan, at most this long; the
 * source is then remembered as unknown for UNKNOWN_TTL_MS, during which
 * its events are written at once without a container. */
#define DEFER_MS 2500
#define DEFER_MAX 256
#define UNKNOWN_MAX 256
#define UNKNOWN_TTL_MS 30000
/* The state dir's budget is checked this often, or after this many
 * events, whichever comes first. */
#define BUDGET_CHECK_MS 10000
#define BUDGET_CHECK_EVENTS 256
/* events.jsonl is rotated (to events.jsonl.1) past this share of the
 * budget: the export must not eat the store's room. */
#define EXPORT_SHARE 4
/* Problems are logged at once, then at most once per this many ms, with
 * what happened meanwhile. */
#define LOG_EVERY_MS 10000

struct deferred {
	struct evq_item it;
	int64_t until; /* ms */
	unsigned long gen; /* the inventory's generation when deferred */
};

struct unknown {
	uint64_t owner;
	int64_t until; /* ms */
};

/* A log line that repeats at most every LOG_EVERY_MS (or `every` ms). */
struct ratelog {
	int64_t last, every;
	unsigned long seen, told;
};
/* The state dir kept over its budget by feeds: the operator's to act on,
 * said at once, then as a reminder. */
#define BUDGET_SPARED_LOG_MS (10 * 60 * 1000)

struct events {
	int fd; /* events.jsonl, O_APPEND: copytruncate is safe too */
	_Atomic bool reopen; /* SIGHUP: logrotate moved the file away */
	char dir[512], path[600];
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct evq *q;
	bool stop;
	struct events_stats st; /* queued, coalesced, dropped: under lock */
	const char *bridges[16];
	size_t nbridges;
	struct host_facts host;
	time_t host_read;
	struct store *store;
	int64_t retention_s;
	time_t pruned;
	uint64_t max_bytes;
	int64_t budget_checked;
	unsigned since_budget;
	bool syslog;
	void (*rescan)(void *ctx);
	void *rescan_ctx;
	const struct redact_rules *redact;
	bool host_watch;
	void (*release)(void *ctx, uint32_t token);
	void *release_ctx;
	struct deferred *def;
	size_t ndef;
	struct unknown unk[UNKNOWN_MAX];
	size_t nunk;
	struct ratelog rl_drop, rl_store, rl_export, rl_budget;
	unsigned long drops_reported;
};

/* The writer's own counters, read by events_get_stats from elsewhere. */
#define COUNT(e, field) __atomic_fetch_add(&(e)->st.field, 1, __ATOMIC_RELAXED)

/* Logs at once, then at most every LOG_EVERY_MS with the count since. */
static void ratelog(struct ratelog *rl, const char *fmt, ...)
{
	int64_t now = clock_mono_ms();
	char msg[512];
	va_list ap;

	rl->seen++;
	if (rl->last && now - rl->last < (rl->every ? rl->every : LOG_EVERY_MS))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->seen - rl->told > 1)
		log_warn("%s (%lu times since the last report)\n",
			msg, rl->seen - rl->told);
	else
		log_warn("%s\n", msg);
	rl->told = rl->seen;
	rl->last = now;
}

/* ---- the event as JSON ---- */

static cJSON *event_json(const struct evq_item *it)
{
	const struct event *ev = &it->ev;
	cJSON *o = cJSON_CreateObject(), *r;

	cJSON_AddNumberToObject(o, "time", (double)it->last);
	cJSON_AddStringToObject(o, "kind", event_kind_name(ev->kind));
	json_add_endpoint(o, "container_ip", &ev->client, 0);
	if (ev->have_dst)
		json_add_endpoint(o, "dst", &ev->dst, ev->dport);
	if (ev->name[0])
		cJSON_AddStringToObject(o, "name", ev->name);
	json_add_addrs(o, "addrs", ev->addrs, ev->naddrs);
	if (ev->detail[0])
		cJSON_AddStringToObject(o, "detail", ev->detail);
	cJSON_AddStringToObject(o, "action", ev->blocked ? "blocked" : "alerted");
	if (it->count > 1) { /* a burst, counted in memory before the store */
		cJSON_AddNumberToObject(o, "count", it->count);
		cJSON_AddNumberToObject(o, "first_time", (double)ev->time);
	}
	if (it->summary) /* a flood of distinct names: summed up by rule */
		cJSON_AddStringToObject(o, "summary", "names under this rule, "
					"while the container sent more new events "
					"than egressd records one by one");
	r = cJSON_AddObjectToObject(o, "rule");
	cJSON_AddStringToObject(r, "list", "black");
	cJSON_AddStringToObject(r, "source", ev->rule.source);
	cJSON_AddStringToObject(r, "pattern", ev->rule.pattern);
	cJSON_AddStringToObject(r, "category", ev->rule.category);
	cJSON_AddStringToObject(r, "matched", ev->rule.matched);
	return o;
}

static void add_host(struct events *e, cJSON *o)
{
	time_t now = time(NULL);
	cJSON *h;

	if (now - e->host_read > HOST_FACTS_TTL_S &&
	    !host_facts_read(e->bridges, e->nbridges, &e->host))
		e->host_read = now;
	h = cJSON_AddObjectToObject(o, "host");
	cJSON_AddStringToObject(h, "name", e->host.name);
	json_add_addrs(h, "inner", e->host.inner, e->host.ninner);
	json_add_addrs(h, "outer", e->host.outer, e->host.nouter);
}

static void add_container(cJSON *o, const struct container *c)
{
	cJSON *k = cJSON_AddObjectToObject(o, "container");

	cJSON_AddStringToObject(k, "id", c->id);
	cJSON_AddStringToObject(k, "name", c->name);
	cJSON_AddStringToObject(k, "runtime", c->runtime);
	cJSON_AddStringToObject(k, "image", c->image);
	cJSON_AddStringToObject(k, "image_id", c->image_id);
	cJSON_AddStringToObject(k, "veth", c->veth);
}

static void put_process(struct events *e, cJSON *o, struct proc_attr *pa,
			int r);

/* The process behind the connection; pa->nlevels says whether found. */
static void add_process(struct events *e, cJSON *o, const struct container *c,
			const struct event_flow *f, struct proc_attr *pa)
{
	int r = attrib_lookup(c->netns, f, e->redact, ATTRIB_WAIT_MS, pa);

	put_process(e, o, pa, r);
}

/* The lookup's result (r its return) into the line. */
static void put_process(struct events *e, cJSON *o, struct proc_attr *pa,
			int r)
{
	cJSON *arr;

	if (r) {
		cJSON *u = cJSON_AddObjectToObject(o, "process_unknown");
		cJSON_AddStringToObject(u, "reason", pa->reason);
		if (pa->have_socket_uid)
			cJSON_AddNumberToObject(u, "socket_uid", pa->socket_uid);
		if (!strncmp(pa->reason, "the lookup", 10))
			COUNT(e, unattributed_timeouts);
		pa->nlevels = 0;
		return;
	}
	arr = cJSON_AddArrayToObject(o, "process");
	for (unsigned i = 0; i < pa->nlevels; i++) {
		const struct proc_level *l = &pa->lv[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "pid", l->pid);
		cJSON_AddStringToObject(x, "exe", l->exe);
		cJSON_AddStringToObject(x, "cmdline", l->cmdline);
		cJSON_AddNumberToObject(x, "uid", l->uid);
		cJSON_AddStringToObject(x, "user", l->user);
		cJSON_AddItemToArray(arr, x);
	}
}

/* ---- the store and the export ---- */

static void record_failed(struct events *e, const struct store_occurrence *oc,
			  int64_t id)
{
	COUNT(e, store_errors);
	ratelog(&e->rl_store, "events: %s event for %s not stored: %s",
		oc->subject, oc->container_name,
		id == -ENOSPC    ? "the disk is full"
		: id == -EBADMSG ? "the store is damaged (restart egressd to "
				   "set it aside)"
				 : strerror((int)-id));
}

/* Aggregates the occurrences into the store's events (by container,
 * subject, process path, user, day), the line so far as its detail, then
 * tags the exported line with the event. */
static void record(struct events *e, const struct evq_item *it, cJSON *o,
		   const struct container *c, const struct proc_attr *pa)
{
	const struct event *ev = &it->ev;
	char ip[IP_ADDR_TEXT], user[64] = "", *detail;
	struct ip_addr a;
	unsigned plen;
	bool fresh;
	int64_t id;

	if (!e->store)
		return;
	ip_addr_format(&ev->client, ip, sizeof(ip));
	if (pa->nlevels && pa->lv[0].user[0])
		snprintf(user, sizeof(user), "%s", pa->lv[0].user);
	else if (pa->nlevels)
		snprintf(user, sizeof(user), "%u", pa->lv[0].uid);
	struct store_occurrence oc = {
		.type = ip_cidr_parse(ev->rule.matched, &a, &plen) ? "domain"
								  : "ip",
		.subject = ev->rule.matched,
		.container_id = c ? c->id : ip,
		.container_name = c ? c->name : ip,
		.process_path = pa->nlevels ? pa->lv[0].exe : "",
		.process_user = user,
		.action = ev->blocked ? "blocked" : "alerted",
		.rule_list = "black",
		.rule_source = ev->rule.source,
		.rule_pattern = ev->rule.pattern,
		.rule_category = ev->rule.category,
		.image = c ? c->image : "",
		.host = e->host.name,
		.time = it->last,
		.count = it->count,
		.first_time = ev->time,
	};
	oc.detail = detail = cJSON_PrintUnformatted(o); /* NULL: none */
	id = store_event_record(e->store, &oc, &fresh);
	cJSON_free(detail);
	if (id <= 0) {
		record_failed(e, &oc, id);
		return;
	}
	cJSON_AddNumberToObject(o, "event_id", (double)id);
	cJSON_AddBoolToObject(o, "new_event", fresh);
}

static void reopen_export(struct events *e);

/* One whole line or nothing: a full disk never leaves a torn line. */
static void export(struct events *e, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	int r;

	if (!buf)
		return;
	memcpy(buf, line, len);
	buf[len] = '\n';
	if (atomic_exchange(&e->reopen, false))
		reopen_export(e);
	r = e->fd >= 0 ? file_append_whole(e->fd, buf, len + 1) : -EBADF;
	free(buf);
	if (r) {
		COUNT(e, export_errors);
		ratelog(&e->rl_export, "events: %s not written: %s", e->path,
			r == -ENOSPC ? "the disk is full" : strerror(-r));
	}
	if (e->syslog)
		syslog(LOG_WARNING, "%s", line);
}

/* The held verdict of the event goes (once). */
static void give_back(struct events *e, const struct evq_item *it)
{
	if (it->token && e->release)
		e->release(e->release_ctx, it->token);
}

/* host: the process was looked up already (a host socket's event),
 * pa and r its result. */
static void write_attributed(struct events *e, const struct evq_item *it,
			     const struct container *c, struct proc_attr *host,
			     int r)
{
	struct proc_attr pa = { 0 };
	cJSON *o = event_json(it);
	char *s;

	if (c)
		add_container(o, c);
	if (host) {
		cJSON_AddBoolToObject(o, "host_network", true);
		if (!c)
			cJSON_AddBoolToObject(o, "host_process",
					      !r && !host->container_id[0]);
		pa = *host;
		put_process(e, o, &pa, r);
	} else if (c && it->ev.have_flow) {
		add_process(e, o, c, &it->ev.flow, &pa);
	}
	give_back(e, it);
	add_host(e, o);
	record(e, it, o, c, &pa);
	s = cJSON_PrintUnformatted(o);
	if (s)
		export(e, s);
	cJSON_free(s);
	cJSON_Delete(o);
	COUNT(e, written);
	e->since_budget++;
}

static void write_item(struct events *e, const struct evq_item *it,
		       const struct container *c)
{
	write_attributed(e, it, c, NULL, 0);
}

/* A container that started a moment ago (a one-shot `docker run
 * --network host`) is not in the inventory yet: a rescan is asked for
 * and waited for here (two scans, at most HOST_RESCAN_WAIT_MS). Its
 * process was read already; the container, even once exited, stays
 * listed until it is removed. */
#define HOST_RESCAN_WAIT_MS 1500

static bool wait_for_container(struct events *e, const char *id,
			       struct container *c)
{
	unsigned long gen = inventory_generation();
	int64_t until = clock_mono_ms() + HOST_RESCAN_WAIT_MS;

	if (!e->rescan)
		return false;
	e->rescan(e->rescan_ctx);
	while (clock_mono_ms() < until) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		if (inventory_lookup_id(id, c))
			return true;
		if (inventory_generation() >= gen + 2)
			break;
	}
	return inventory_lookup_id(id, c);
}

/* A host socket's event (a container on the host's network, or a host
 * process): its container is its process's, by the process's cgroup
 * (procinfo: sock_diag in our namespace, /proc/PID/cgroup), looked up
 * here on the writer's side, never on the packet thread. A process in no
 * container is written only with host_processes = watch; one whose
 * process is not known is written (it was selected as a container's). */
static void handle_host(struct events *e, const struct evq_item *it)
{
	struct proc_attr pa = { 0 };
	struct container c;
	bool found = false;
	char ns[64];
	int r;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)getpid());
	r = attrib_lookup(ns, &it->ev.flow, e->redact, ATTRIB_WAIT_MS, &pa);
	if (!r && pa.container_id[0])
		found = inventory_lookup_id(pa.container_id, &c) ||
			wait_for_container(e, pa.container_id, &c);
	if (!r && !found && !pa.container_id[0] && !e->host_watch) {
		give_back(e, it);
		COUNT(e, host_ignored);
		return;
	}
	write_attributed(e, it, found ? &c : NULL, &pa, r);
}

/* ---- sources the inventory does not know ---- */

static bool known_unknown(struct events *e, uint64_t owner, int64_t now)
{
	for (size_t i = 0; i < e->nunk; i++)
		if (e->unk[i].owner == owner && e->unk[i].until > now)
			return true;
	return false;
}

static void remember_unknown(struct events *e, uint64_t owner, int64_t now)
{
	size_t i, oldest = 0;

	for (i = 0; i < e->nunk; i++) {
		if (e->unk[i].owner == owner || e->unk[i].until <= now)
			break;
		if (e->unk[i].until < e->unk[oldest].until)
			oldest = i;
	}
	if (i == e->nunk && e->nunk < UNKNOWN_MAX)
		e->nunk++;
	else if (i == e->nunk)
		i = oldest;
	e->unk[i] = (struct unknown){ owner, now + UNKNOWN_TTL_MS };
}

static bool lookup(const struct event *ev, struct container *c)
{
	return inventory_lookup(ev->port, &ev->client, c);
}

/* A container that started a moment ago (a one-shot `docker run`) may
 * not be in the inventory yet: its event waits beside the queue for a
 * rescan, and the writer goes on with the others. */
static void handle(struct events *e, const struct evq_item *it)
{
	uint64_t owner = evq_owner_of(&it->ev);
	int64_t now = clock_mono_ms();
	struct container c;

	if (it->ev.host) {
		handle_host(e, it);
		return;
	}
	if (lookup(&it->ev, &c)) {
		write_item(e, it, &c);
		return;
	}
	if (known_unknown(e, owner, now) || e->ndef == DEFER_MAX) {
		write_item(e, it, NULL);
		return;
	}
	/* Its verdict goes now, a block as a silent drop: the client (a
	 * one-shot container) tries again and lives on while the rescan
	 * finds it and its process (datapath.c). */
	if (it->token && e->release)
		e->release(e->release_ctx, it->token | EVENTS_TOKEN_SILENT);
	e->def[e->ndef++] = (struct deferred){ *it, now + DEFER_MS,
					       inventory_generation() };
	e->def[e->ndef - 1].it.token = 0;
	if (e->rescan)
		e->rescan(e->rescan_ctx);
}

/* Deferred events whose container is now known, or that waited long
 * enough (two scans since, or DEFER_MS), are written. */
static void handle_deferred(struct events *e, bool all)
{
	unsigned long gen = inventory_generation();
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < e->ndef;) {
		struct deferred *d = &e->def[i];
		struct container c;
		bool found = lookup(&d->it.ev, &c);
		if (!found && !all && gen < d->gen + 2 && now < d->until) {
			i++;
			continue;
		}
		if (!found)
			remember_unknown(e, evq_owner_of(&d->it.ev), now);
		write_item(e, &d->it, found ? &c : NULL);
		e->def[i] = e->def[--e->ndef];
	}
}

/* ---- upkeep ---- */

/* Retention: at most once an hour, events last seen too long ago go. */
static void prune(struct events *e)
{
	time_t now = time(NULL);

	if (!e->store || now - e->pruned < 3600)
		return;
	e->pruned = now;
	store_prune(e->store, (int64_t)now - e->retention_s);
}

static int open_export(struct events *e)
{
	e->fd = open(e->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				      O_NOFOLLOW, 0640);
	return e->fd < 0 ? -errno : 0;
}

/* After SIGHUP: the name may now be another file (logrotate's rename
 * and create); the next line goes there. */
static void reopen_export(struct events *e)
{
	if (e->fd >= 0)
		close(e->fd);
	if (open_export(e))
		log_err("%s: cannot reopen: %s\n", e->path, strerror(errno));
}

void events_reopen(struct events *e)
{
	if (e)
		atomic_store(&e->reopen, true);
}

/* events.jsonl past its share: it becomes events.jsonl.1 (the older .1
 * goes), a log shipper that follows the name sees a new file. */
static void rotate_export(struct events *e)
{
	char old[640];
	struct stat st;

	if (e->fd < 0 || fstat(e->fd, &st) ||
	    (uint64_t)st.st_size <= e->max_bytes / EXPORT_SHARE)
		return;
	snprintf(old, sizeof(old), "%s.1", e->path);
	close(e->fd);
	e->fd = -1;
	if (rename(e->path, old))
		log_err("%s: cannot rotate: %s\n", e->path,
			strerror(errno));
	if (open_export(e))
		log_err("%s: %s\n", e->path, strerror(errno));
	else
		log_info("%s rotated to %s (over a quarter of "
			"max_state_mb)\n", e->path, old);
}

/* Over the budget, the export's rotation goes before any event: log
 * shippers have had it, the store is the record. */
static void shed_export(struct events *e)
{
	char old[640];
	uint64_t used;
	struct stat st;

	snprintf(old, sizeof(old), "%s.1", e->path);
	if (store_state_usage(e->dir, &used) || used <= e->max_bytes ||
	    stat(old, &st))
		return;
	if (!unlink(old))
		log_warn("state dir over its budget: removed %s "
			"(%lld bytes)\n", old, (long long)st.st_size);
}

static void budget(struct events *e)
{
	struct store_budget_report rep;
	int64_t now = clock_mono_ms();
	int r;

	if (!e->store || (now - e->budget_checked < BUDGET_CHECK_MS &&
			  e->since_budget < BUDGET_CHECK_EVENTS))
		return;
	e->budget_checked = now;
	e->since_budget = 0;
	rotate_export(e);
	shed_export(e);
	r = store_budget_enforce(e->store, e->dir, e->max_bytes, &rep);
	if (rep.deleted_handled + rep.deleted_ignored + rep.deleted_whitelisted +
	    rep.deleted_other + rep.deleted_pending)
		log_warn("state dir over its budget (%llu of %llu "
			"bytes): deleted the oldest events, %lld handled, ignored "
			"or whitelisted, %lld pending; now %llu bytes\n",
			(unsigned long long)rep.bytes_before,
			(unsigned long long)e->max_bytes,
			(long long)(rep.deleted_handled + rep.deleted_ignored +
				    rep.deleted_whitelisted + rep.deleted_other),
			(long long)rep.deleted_pending,
			(unsigned long long)rep.bytes_after);
	if (r)
		ratelog(&e->rl_store, "state dir %s: the budget cannot be kept: "
			"%s", e->dir, strerror(-r));
	else if (rep.exhausted && rep.bytes_after > e->max_bytes)
		ratelog(&e->rl_store, "state dir %s over its budget (%llu of %llu "
			"bytes) with no event left to delete", e->dir,
			(unsigned long long)rep.bytes_after,
			(unsigned long long)e->max_bytes);
	else if (rep.pending_spared && rep.bytes_after > e->max_bytes)
		ratelog(&e->rl_budget, "state dir %s over its budget (%llu of "
			"%llu bytes) by files egressd cannot delete: imported "
			"feeds %llu bytes, other files (set-aside damaged stores) "
			"%llu bytes; pending events are kept, never deleted to "
			"make room for them: remove a feed or a set-aside store, "
			"or raise max_state_mb", e->dir,
			(unsigned long long)rep.bytes_after,
			(unsigned long long)e->max_bytes,
			(unsigned long long)rep.feeds,
			(unsigned long long)rep.other);
}

/* Drops are told at once, then every LOG_EVERY_MS. */
static void report_drops(struct events *e, unsigned long dropped)
{
	if (dropped > e->drops_reported) {
		ratelog(&e->rl_drop, "events: %lu dropped so far: a container "
			"floods with distinct events (its lane is full) or too "
			"many send at once", dropped);
		if (e->rl_drop.told == e->rl_drop.seen)
			e->drops_reported = dropped;
	}
}

/* ---- the writer ---- */

static void *writer(void *arg)
{
	struct events *e = arg;
	struct evq_item it;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		bool got;
		unsigned long dropped;
		if (!evq_len(e->q) && !e->stop) {
			struct timespec ts;
			clock_deadline(&ts, e->ndef ? 100 : 1000);
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
		}
		got = evq_pop(e->q, &it);
		dropped = e->st.dropped;
		if (!got && e->stop)
			break;
		pthread_mutex_unlock(&e->lock);
		if (got)
			handle(e, &it);
		handle_deferred(e, false);
		report_drops(e, dropped);
		budget(e);
		prune(e);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	handle_deferred(e, true);
	return NULL;
}

/* What events_open made, the thread aside. Accepts NULL. */
static void events_free(struct events *e)
{
	if (!e)
		return;
	if (e->fd >= 0)
		close(e->fd);
	store_close(e->store);
	evq_free(e->q);
	free(e->def);
	free(e);
}

struct events *events_open(const char *dir, const struct events_options *opt,
			   char *err, size_t errlen)
{
	struct events *e = calloc(1, sizeof(*e));

	if (e)
		e->fd = -1; /* before any failure: 0 is a descriptor */
	if (!e || !(e->q = evq_new()) ||
	    !(e->def = calloc(DEFER_MAX, sizeof(*e->def)))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(e->dir, sizeof(e->dir), "%s", dir);
	snprintf(e->path, sizeof(e->path), "%s/events.jsonl", dir);
	if (store_open(dir, &e->store, err, errlen))
		goto fail;
	for (size_t i = 0; i < opt->nbridges && i < 16; i++)
		e->bridges[e->nbridges++] = opt->bridges[i];
	e->retention_s = (int64_t)opt->retention_days * 86400;
	e->max_bytes = opt->max_state_bytes;
	e->syslog = opt->syslog;
	e->rescan = opt->rescan;
	e->rescan_ctx = opt->rescan_ctx;
	e->redact = opt->redact;
	e->host_watch = opt->host_watch;
	e->release = opt->release;
	e->release_ctx = opt->release_ctx;
	e->rl_budget.every = BUDGET_SPARED_LOG_MS;
	if (e->syslog)
		openlog("egressd", LOG_PID, LOG_DAEMON);
	if (open_export(e)) {
		snprintf(err, errlen, "%s: %s", e->path, strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	return e;
fail:
	events_free(e);
	return NULL;
}

int events_start(struct events *e)
{
	if (pthread_create(&e->thread, NULL, writer, e))
		return -EAGAIN;
	e->started = true;
	return 0;
}

int events_push(struct events *e, const struct event *ev, uint32_t token)
{
	int r;

	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&e->lock);
	r = evq_push(e->q, evq_owner_of(ev), ev, token, now);
	if (r == 0) {
		e->st.queued++;
		pthread_cond_signal(&e->cond);
	} else if (r == 1) {
		e->st.coalesced++;
	} else {
		e->st.dropped++;
		r = -ENOBUFS;
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

void events_close(struct events *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (e->started)
		pthread_join(e->thread, NULL);
	events_free(e);
}

void events_get_stats(struct events *e, struct events_stats *ret)
{
	pthread_mutex_lock(&e->lock);
	*ret = e->st;
	pthread_mutex_unlock(&e->lock);
}
