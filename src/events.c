// SPDX-License-Identifier: GPL-2.0-or-later
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "egressd/inventory.h"
#include "jsonout.h"
#include "egressd/procinfo.h"
#include "egressd/store.h"

/* Events waiting for the writer; past this, events are counted as dropped
 * rather than let the packet path wait. */
#define EVENTS_QUEUE_MAX 4096
/* Host facts are read again after this many seconds. */
#define HOST_FACTS_TTL_S 60
/* How long an event waits for a scan that knows its container. */
#define INVENTORY_WAIT_MS 1200

struct job {
	cJSON *o;
	uint32_t port;
	bool have_ip, have_flow;
	struct ip_addr ip;
	struct event_flow flow;
};

struct events {
	FILE *f;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job q[EVENTS_QUEUE_MAX];
	size_t head, n;
	bool stop;
	unsigned long dropped;
	const char *bridges[16];
	size_t nbridges;
	struct host_facts host;
	time_t host_read;
	struct store *store; /* this thread's connection, or NULL */
	unsigned long store_errors;
	int64_t retention_s;
	time_t pruned;
	bool syslog;
};

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

static void add_process(cJSON *o, const struct container *c,
			const struct event_flow *f)
{
	struct proc_attr pa;
	cJSON *arr;

	if (procinfo_attribute(c->netns, f->proto, &f->src, f->sport, &f->dst,
			       f->dport, &pa)) {
		cJSON *u = cJSON_AddObjectToObject(o, "process_unknown");
		cJSON_AddStringToObject(u, "reason", pa.reason);
		if (pa.have_socket_uid)
			cJSON_AddNumberToObject(u, "socket_uid", pa.socket_uid);
		return;
	}
	arr = cJSON_AddArrayToObject(o, "process");
	for (unsigned i = 0; i < pa.nlevels; i++) {
		const struct proc_level *l = &pa.lv[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "pid", l->pid);
		cJSON_AddStringToObject(x, "exe", l->exe);
		cJSON_AddStringToObject(x, "cmdline", l->cmdline);
		cJSON_AddNumberToObject(x, "uid", l->uid);
		cJSON_AddStringToObject(x, "user", l->user);
		cJSON_AddItemToArray(arr, x);
	}
}

static const char *str_of(const cJSON *o, const char *key)
{
	return json_str(o, key, "");
}

/* Aggregates the occurrence into the store's events (container, subject,
 * process path, user, day) and tags the exported line with the event. */
static void record(struct events *e, cJSON *o)
{
	const cJSON *rule = cJSON_GetObjectItemCaseSensitive(o, "rule");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "container");
	const cJSON *p0 = cJSON_GetArrayItem(
		cJSON_GetObjectItemCaseSensitive(o, "process"), 0);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
	struct ip_addr a;
	char user[32];
	bool fresh;
	int64_t id;

	if (!e->store)
		return;
	const char *subject = str_of(rule, "matched");
	snprintf(user, sizeof(user), "%s", str_of(p0, "user"));
	if (!user[0] && cJSON_GetObjectItemCaseSensitive(p0, "uid"))
		snprintf(user, sizeof(user), "%d",
			 (int)cJSON_GetObjectItemCaseSensitive(p0, "uid")->valuedouble);
	struct store_occurrence oc = {
		.type = ip_addr_parse(subject, &a) ? "domain" : "ip",
		.subject = subject,
		.container_id = c ? str_of(c, "id") : str_of(o, "container_ip"),
		.container_name = c ? str_of(c, "name") : str_of(o, "container_ip"),
		.process_path = str_of(p0, "exe"),
		.process_user = user,
		.action = str_of(o, "action"),
		.rule_list = str_of(rule, "list"),
		.rule_source = str_of(rule, "source"),
		.rule_pattern = str_of(rule, "pattern"),
		.rule_category = str_of(rule, "category"),
		.time = cJSON_IsNumber(t) ? (int64_t)t->valuedouble : time(NULL),
		.detail = o,
	};
	id = store_event_record(e->store, &oc, &fresh);
	if (id > 0) {
		cJSON_AddNumberToObject(o, "event_id", (double)id);
		cJSON_AddBoolToObject(o, "new_event", fresh);
	} else {
		e->store_errors++;
	}
}

/* Retention: at most once an hour, events last seen too long ago go. */
static void prune(struct events *e)
{
	time_t now = time(NULL);

	if (!e->store || now - e->pruned < 3600)
		return;
	e->pruned = now;
	store_prune(e->store, (int64_t)now - e->retention_s);
}

static void write_job(struct events *e, struct job *j)
{
	struct container c;
	char *s;

	bool found = inventory_lookup(j->port, j->have_ip ? &j->ip : NULL, &c);

	/* A container that started a moment ago (a one-shot `docker run`)
	 * may not be in the inventory yet: wait for the next scans (up to
	 * two; they follow Docker's events at once). */
	for (int i = 0; !found && i < 2 && inventory_wait_newer(INVENTORY_WAIT_MS);
	     i++)
		found = inventory_lookup(j->port, j->have_ip ? &j->ip : NULL, &c);
	if (found) {
		add_container(j->o, &c);
		if (j->have_flow)
			add_process(j->o, &c, &j->flow);
	}
	add_host(e, j->o);
	record(e, j->o);
	s = cJSON_PrintUnformatted(j->o);
	if (s) {
		fputs(s, e->f);
		fputc('\n', e->f);
		fflush(e->f);
		if (e->syslog)
			syslog(LOG_WARNING, "%s", s);
	}
	prune(e);
	cJSON_free(s);
	cJSON_Delete(j->o);
}

static void *writer(void *arg)
{
	struct events *e = arg;
	struct job j;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->n && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!e->n && e->stop)
			break;
		j = e->q[e->head];
		e->head = (e->head + 1) % EVENTS_QUEUE_MAX;
		e->n--;
		pthread_mutex_unlock(&e->lock);
		write_job(e, &j);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct events *events_open(const char *dir, const struct events_options *opt,
			   char *err, size_t errlen)
{
	struct events *e = calloc(1, sizeof(*e));
	char path[512];

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_open(dir, &e->store, err, errlen)) {
		free(e);
		return NULL;
	}
	for (size_t i = 0; i < opt->nbridges && i < 16; i++)
		e->bridges[e->nbridges++] = opt->bridges[i];
	e->retention_s = (int64_t)opt->retention_days * 86400;
	e->syslog = opt->syslog;
	if (e->syslog)
		openlog("egressd", LOG_PID, LOG_DAEMON);
	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	e->f = fopen(path, "ae");
	if (!e->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	if (pthread_create(&e->thread, NULL, writer, e)) {
		snprintf(err, errlen, "cannot start the event writer");
		fclose(e->f);
		free(e);
		return NULL;
	}
	return e;
}

int events_push(struct events *e, cJSON *o, uint32_t port,
		const struct ip_addr *container_ip, const struct event_flow *flow)
{
	struct job *j;
	int r = 0;

	pthread_mutex_lock(&e->lock);
	if (!o || e->n == EVENTS_QUEUE_MAX) {
		e->dropped++;
		r = -ENOBUFS;
		cJSON_Delete(o);
	} else {
		j = &e->q[(e->head + e->n) % EVENTS_QUEUE_MAX];
		memset(j, 0, sizeof(*j));
		j->o = o;
		j->port = port;
		if (container_ip) {
			j->have_ip = true;
			j->ip = *container_ip;
		}
		if (flow) {
			j->have_flow = true;
			j->flow = *flow;
		}
		e->n++;
		pthread_cond_signal(&e->cond);
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
	pthread_join(e->thread, NULL);
	fclose(e->f);
	store_close(e->store);
	free(e);
}

unsigned long events_dropped(const struct events *e)
{
	return e->dropped;
}
