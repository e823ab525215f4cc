// SPDX-License-Identifier: GPL-2.0-or-later
/* Fleet mode: the containers of every host, and isolation as a command
 * row for the container's host, waited for a few seconds: the reply says
 * done, failed (the host's reason) or pending (the host runs it when it
 * is back). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"
#include "fleet_internal.h"
#include "fleet_sql.h"

/* A command's outcome as the host wrote it. */
struct cmd_state {
	long long id;
	char state[16], result[256];
};

static long long command_add(struct fq *q, const char *host, const char *verb,
			     cJSON *args)
{
	char *a = cJSON_PrintUnformatted(args);
	const char *p[] = { host, verb, a ? a : "{}", q->actor };
	PGresult *r = fq_exec(q, FLEET_COMMAND_ADD, 4, p);
	long long id = r ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;

	PQclear(r);
	free(a);
	return id;
}

/* The ids as a PostgreSQL array literal: digits and commas only. */
static char *ids_array(const struct cmd_state *c, size_t n)
{
	char *s = malloc(n * 22 + 3), *w = s;

	if (!s)
		return NULL;
	*w++ = '{';
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s%lld", i ? "," : "", c[i].id);
	strcpy(w, "}");
	return s;
}

/* Marks the commands that are done; the number still pending, or -1. */
static int poll_once(struct fq *q, struct cmd_state *c, size_t n,
		     const char *ids)
{
	PGresult *r = fq_exec(q, FLEET_COMMANDS_DONE, 1, &ids);
	int pending = 0;

	if (!r)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		long long id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		for (size_t k = 0; k < n; k++)
			if (c[k].id == id) {
				snprintf(c[k].state, sizeof(c[k].state), "%s",
					 PQgetvalue(r, i, 1));
				snprintf(c[k].result, sizeof(c[k].result), "%s",
					 PQgetvalue(r, i, 2));
			}
	}
	PQclear(r);
	for (size_t k = 0; k < n; k++)
		pending += !strcmp(c[k].state, "pending");
	return pending;
}

/* Waits up to FLEET_COMMAND_WAIT_MS for every command's outcome (a host
 * writes it back; there is no notice for the console). 0 or -1. */
static int commands_wait(struct fq *q, struct cmd_state *c, size_t n)
{
	char *ids = ids_array(c, n);
	int left = -1;

	for (size_t k = 0; k < n; k++)
		snprintf(c[k].state, sizeof(c[k].state), "pending");
	for (unsigned t = 0; ids; t += FLEET_COMMAND_POLL_MS) {
		left = poll_once(q, c, n, ids);
		if (left <= 0 || t >= FLEET_COMMAND_WAIT_MS)
			break;
		fq_sleep_ms(FLEET_COMMAND_POLL_MS);
	}
	free(ids);
	return left < 0 ? -1 : 0;
}

/* ---- isolation from events ---- */

struct iso_target {
	long long event;
	char host[80], container[80];
	size_t cmd; /* its command among the request's */
};

/* The event's host and container into t: 0, -ENOENT or -EIO. */
static int iso_target(struct fq *q, long long id, struct iso_target *t)
{
	char ids[24];
	const char *p[] = { ids };
	PGresult *r;
	int n;

	fq_i64(ids, sizeof(ids), id);
	r = fq_exec(q, FLEET_EVENT_TARGET, 1, p);
	if (!r)
		return -EIO;
	n = PQntuples(r);
	t->event = id;
	if (n) {
		snprintf(t->host, sizeof(t->host), "%s", PQgetvalue(r, 0, 0));
		snprintf(t->container, sizeof(t->container), "%s",
			 PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return n ? 0 : -ENOENT;
}

/* One command per container however many of its events are given. */
static long long iso_command(struct fq *q, struct iso_target *t, size_t i,
			     struct cmd_state *c, size_t *nc)
{
	cJSON *args;

	for (size_t k = 0; k < i; k++)
		if (t[k].event && !strcmp(t[k].host, t[i].host) &&
		    !strcmp(t[k].container, t[i].container)) {
			t[i].cmd = t[k].cmd;
			return 0;
		}
	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "container", t[i].container);
	cJSON_AddStringToObject(args, "note", "isolated from an event");
	t[i].cmd = *nc;
	c[*nc].id = command_add(q, t[i].host, "isolate", args);
	cJSON_Delete(args);
	return c[(*nc)++].id;
}

/* An isolated container's event is handled, as on one host. */
static void iso_result(struct fq *q, cJSON *res, const struct iso_target *t,
		       const struct cmd_state *c, bool *bad)
{
	char err[400], ids[24];
	const char *p[] = { ids, "handled", "handled", q->actor };
	const char *st = c->state;

	if (!strcmp(st, "done")) {
		fq_i64(ids, sizeof(ids), t->event);
		PQclear(fq_exec(q, FLEET_EVENT_SET_STATUS, 4, p));
		snprintf(err, sizeof(err), "%s", "");
	} else if (!strcmp(st, "failed")) {
		snprintf(err, sizeof(err), "host %s: %s", t->host, c->result);
		*bad = true;
	} else {
		snprintf(err, sizeof(err), "host %s has not run command %lld "
			 "within %d s: it runs it when it is back", t->host,
			 c->id, FLEET_COMMAND_WAIT_MS / 1000);
	}
	cJSON *one = cJSON_CreateObject();
	cJSON_AddNumberToObject(one, "id", (double)t->event);
	cJSON_AddStringToObject(one, "result", st);
	cJSON_AddNumberToObject(one, "command", (double)c->id);
	cJSON_AddStringToObject(one, "host_id", t->host);
	if (err[0])
		cJSON_AddStringToObject(one, "error", err);
	cJSON_AddItemToArray(res, one);
}

static void iso_audit(struct fq *q, const struct iso_target *t,
		      const struct cmd_state *c)
{
	char what[300];

	snprintf(what, sizeof(what), "event %lld: container %s, command %lld "
		 "%s", t->event, t->container, c->id, c->state);
	fq_audit(q, t->host, "isolate", what);
}

static cJSON *iso_results(struct fq *q, struct iso_target *t, size_t n,
			  struct cmd_state *c)
{
	cJSON *rep = fq_ok(), *res = cJSON_AddArrayToObject(rep, "results");
	bool bad = false;

	for (size_t i = 0; i < n; i++) {
		if (!t[i].event) {
			cJSON *one = cJSON_CreateObject();
			cJSON_AddNumberToObject(one, "id", 0);
			cJSON_AddStringToObject(one, "result", "failed");
			cJSON_AddStringToObject(one, "error", "no such event");
			cJSON_AddItemToArray(res, one);
			bad = true;
			continue;
		}
		iso_result(q, res, &t[i], &c[t[i].cmd], &bad);
		iso_audit(q, &t[i], &c[t[i].cmd]);
	}
	if (bad)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

cJSON *fleet_events_isolate(struct fq *q, const cJSON *ids)
{
	struct iso_target t[FLEET_ISOLATE_MAX] = { 0 };
	struct cmd_state c[FLEET_ISOLATE_MAX] = { 0 };
	size_t n = 0, nc = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, ids)
	{
		long long id = fq_item_id(it);
		int e = id ? iso_target(q, id, &t[n]) : -ENOENT;
		if (e == -EIO || (!e && iso_command(q, t, n, c, &nc) < 0))
			return NULL;
		if (e)
			t[n].event = 0;
		n++;
	}
	if (nc && commands_wait(q, c, nc))
		return NULL;
	return iso_results(q, t, n, c);
}

/* ---- containers ---- */

/* The host's inventory row (info) with the console's facts over it. */
static cJSON *container_row(PGresult *r, int i)
{
	cJSON *o = cJSON_Parse(PQgetvalue(r, i, 0));
	cJSON *x = cJSON_Parse(PQgetvalue(r, i, 1)), *it, *iso;
	bool isolated;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = cJSON_CreateObject();
	}
	if (!x) {
		cJSON_Delete(o);
		return NULL;
	}
	isolated = cJSON_IsTrue(cJSON_GetObjectItem(x, "isolated"));
	while ((it = x->child)) {
		cJSON_DetachItemViaPointer(x, it);
		cJSON_DeleteItemFromObjectCaseSensitive(o, it->string);
		cJSON_AddItemToObject(o, it->string, it);
	}
	cJSON_Delete(x);
	if (!cJSON_GetObjectItem(o, "state"))
		cJSON_AddStringToObject(o, "state", "running");
	iso = cJSON_GetObjectItem(o, "isolation");
	if (!cJSON_IsObject(iso) || (isolated && !cJSON_IsString(
				       cJSON_GetObjectItem(iso, "state")))) {
		cJSON_DeleteItemFromObject(o, "isolation");
		iso = cJSON_AddObjectToObject(o, "isolation");
		cJSON_AddStringToObject(iso, "state", isolated ? "isolated" : "none");
	}
	return o;
}

cJSON *fleet_containers(struct fq *q)
{
	PGresult *r = fq_exec(q, FLEET_CONTAINERS, 0, NULL);
	cJSON *rep, *a;

	if (!r)
		return NULL;
	rep = fq_ok();
	a = cJSON_AddArrayToObject(rep, "containers");
	for (int i = 0; i < PQntuples(r); i++) {
		cJSON *o = container_row(r, i);
		if (o)
			cJSON_AddItemToArray(a, o);
	}
	PQclear(r);
	return rep;
}

/* ---- isolate and unisolate a container ---- */

struct container_key {
	char host[80], id[80], name[256];
};

/* "HOST:CONTAINER" or a container that is on one host only. A refusal,
 * or NULL with k filled (or NULL, k->host empty, if the database
 * failed). */
static cJSON *container_find(struct fq *q, const char *key,
			     struct container_key *k)
{
	const char *colon = strchr(key, ':');
	char host[80] = "";
	const char *p[] = { host, colon ? colon + 1 : key };
	PGresult *r;
	int n;

	/* A host part that is no host id, or nothing after the colon, is
	 * refused: either would search every host, or all of one. */
	if (colon && ((size_t)(colon - key) > 64 || !colon[1]))
		return fq_refuse("'%.100s': expected HOST:CONTAINER, a host id "
				 "of at most 64 characters and a container", key);
	if (colon)
		snprintf(host, sizeof(host), "%.*s", (int)(colon - key), key);
	r = fq_exec(q, FLEET_CONTAINER_FIND, 2, p);
	if (!r)
		return NULL;
	n = PQntuples(r);
	if (n == 1) {
		snprintf(k->host, sizeof(k->host), "%s", PQgetvalue(r, 0, 0));
		snprintf(k->id, sizeof(k->id), "%s", PQgetvalue(r, 0, 1));
		snprintf(k->name, sizeof(k->name), "%s", PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	if (!n)
		return fq_refuse("no container '%s' on any host", key);
	if (n > 1)
		return fq_refuse("'%s' names %s%d containers: say which, as "
				 "HOST:CONTAINER with a longer id", key,
				 n == 20 ? "20 or more " : "", n);
	return NULL;
}

static cJSON *container_reply(struct fq *q, const struct container_key *k,
			      bool isolate, const struct cmd_state *c)
{
	char what[400];
	cJSON *rep;

	snprintf(what, sizeof(what), "container %s (%s), command %lld %s",
		 k->name, k->id, c->id, c->state);
	fq_audit(q, k->host, isolate ? "isolate" : "unisolate", what);
	if (!strcmp(c->state, "failed"))
		return fq_refuse("host %s: %s", k->host,
				 c->result[0] ? c->result : "the command failed");
	rep = fq_ok();
	cJSON_AddStringToObject(rep, "container", k->name);
	cJSON_AddStringToObject(rep, "id", k->id);
	cJSON_AddStringToObject(rep, "host_id", k->host);
	cJSON_AddStringToObject(rep, "state", strcmp(c->state, "done") ? "pending"
					      : isolate ? "isolated" : "restored");
	cJSON_AddNumberToObject(rep, "command", (double)c->id);
	cJSON_AddStringToObject(rep, "command_state", c->state);
	return rep;
}

static cJSON *container_action(struct fq *q, bool isolate)
{
	const char *key = fq_str(q->req, "container"), *note = fq_str(q->req, "note");
	struct container_key k = { 0 };
	struct cmd_state c = { 0 };
	cJSON *args, *rep;

	if (!key || !*key)
		return fq_refuse("missing \"container\"");
	if (note && strlen(note) > CTL_NOTE_MAX)
		return fq_refuse("note too long: %zu bytes, at most %d",
				 strlen(note), CTL_NOTE_MAX);
	rep = container_find(q, key, &k);
	if (rep || !k.host[0])
		return rep;
	args = cJSON_CreateObject();
	cJSON_AddStringToObject(args, "container", k.id);
	if (note)
		cJSON_AddStringToObject(args, "note", note);
	c.id = command_add(q, k.host, isolate ? "isolate" : "unisolate", args);
	cJSON_Delete(args);
	if (c.id < 0 || commands_wait(q, &c, 1))
		return NULL;
	return container_reply(q, &k, isolate, &c);
}

cJSON *fleet_isolate(struct fq *q)
{
	return container_action(q, true);
}

cJSON *fleet_unisolate(struct fq *q)
{
	return container_action(q, false);
}
