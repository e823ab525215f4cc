// SPDX-License-Identifier: GPL-2.0-or-later
/* Control commands on the store: events (overview, list, show, handling),
 * the operator's black and white lists, the audit log. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "egressd/domain.h"
#include "policyload.h"

#define EVENTS_LIST_DEFAULT_S (7 * 86400)
#define EVENTS_LIST_LIMIT_MAX 1000
#define LIST_ADD_MAX 10000 /* patterns per request */
#define IMPORT_MAX (512u << 20) /* bytes of one imported feed */

static int64_t num_arg(const cJSON *req, const char *key, int64_t dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static bool bool_arg(const cJSON *req, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, key));
}

/* ---- policy ---- */

static cJSON *sources_json(const struct policy *p)
{
	cJSON *a = cJSON_CreateArray();
	const struct match_set *sets[2] = { p->black, p->white };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < match_set_nsources(sets[k]); i++) {
			const struct match_source *src = match_set_source(sets[k], i);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "list", k ? "white" : "black");
			cJSON_AddStringToObject(o, "source", src->name);
			cJSON_AddStringToObject(o, "category", src->category);
			cJSON_AddNumberToObject(o, "entries", (double)src->entries);
			cJSON_AddItemToArray(a, o);
		}
	return a;
}

int ctl_policy_rebuild(struct ctl *c, char *err, size_t errlen)
{
	struct policy_update *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	r = policy_load(c->cfg, c->store, &u->policy, err, errlen);
	if (r) {
		free(u);
		return r;
	}
	cJSON_Delete(c->sources);
	c->sources = sources_json(&u->policy);
	c->lists_loaded = time(NULL);
	/* The conntrack dump is the slow part: here, not in the packet
	 * thread. A connection accepted between this dump and the swap is
	 * judged by the old lists only; its next new flow meets the new. */
	r = ct_collect(c->cfg->marks.mask, c->cfg->marks.allow, &u->accepted);
	if (r)
		fprintf(stderr, "egressd: conntrack dump failed (%s): accepted "
			"connections are not re-judged\n", strerror(-r));
	if (write(c->policy_out[1], &u, sizeof(u)) != sizeof(u)) {
		policy_free(&u->policy);
		ct_list_free(u->accepted);
		free(u);
		snprintf(err, errlen, "cannot hand the new lists over");
		return -EIO;
	}
	return 0;
}

/* ---- events ---- */

static cJSON *cmd_overview(struct ctl *c)
{
	cJSON *o = store_events_overview(c->store), *r = reply_ok();

	cJSON_AddItemToObject(r, "overview", o ? o : cJSON_CreateObject());
	return r;
}

static cJSON *cmd_list(struct ctl *c, const cJSON *req)
{
	int64_t now = time(NULL);
	struct event_filter f = {
		.to = num_arg(req, "to", now),
		.status = str_arg(req, "status"),
		.container = str_arg(req, "container"),
		.domain = str_arg(req, "domain"),
		.limit = num_arg(req, "limit", 100),
		.offset = num_arg(req, "offset", 0),
	};
	cJSON *r;

	f.from = num_arg(req, "from",
			 now - num_arg(req, "since", EVENTS_LIST_DEFAULT_S));
	if (f.limit < 1 || f.limit > EVENTS_LIST_LIMIT_MAX || f.offset < 0)
		return reply_error("limit must be 1..1000 and offset >= 0", NULL);
	if (f.status && strcmp(f.status, "pending") && strcmp(f.status, "handled") &&
	    strcmp(f.status, "ignored") && strcmp(f.status, "whitelisted"))
		return reply_error("unknown status '%s' (pending, handled, "
				   "ignored, whitelisted)", f.status);
	r = reply_ok();
	cJSON_AddItemToObject(r, "events", store_events_list(c->store, &f));
	return r;
}

/* The event with what is known now of its container. */
static cJSON *cmd_show(struct ctl *c, const cJSON *req)
{
	int64_t id = num_arg(req, "id", 0);
	cJSON *e = store_event_get(c->store, id), *r, *now;
	const struct container *k;
	const struct iso_entry *iso;
	char buf[32];

	if (!e) {
		snprintf(buf, sizeof(buf), "%lld", (long long)id);
		return reply_error("no event %s", buf);
	}
	const char *cid = cJSON_GetObjectItem(e, "container_id")->valuestring;
	k = inventory_find(c->inv, cid);
	iso = isolation_find(c->iso, cid);
	now = cJSON_AddObjectToObject(e, "container_now");
	cJSON_AddStringToObject(now, "state",
				k ? (k->running ? "running" : "stopped") : "gone");
	cJSON_AddStringToObject(now, "isolation",
				iso ? iso_state_name(iso->state) : "none");
	r = reply_ok();
	cJSON_AddItemToObject(r, "event", e);
	return r;
}

static void audit_event(struct ctl *c, uid_t uid, const char *action,
			int64_t id, const char *more)
{
	char what[512];

	snprintf(what, sizeof(what), "event %lld%s%s", (long long)id,
		 more ? " " : "", more ? more : "");
	store_audit(c->store, uid, action, what);
}

/* handled / ignore / delete / isolate, for every id given. */
static cJSON *cmd_handle(struct ctl *c, const cJSON *req, uid_t uid)
{
	const char *action = str_arg(req, "action");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(req, "ids"), *it;
	cJSON *r, *res;
	int bad = 0;

	if (!action || (strcmp(action, "handled") && strcmp(action, "ignore") &&
			strcmp(action, "delete") && strcmp(action, "isolate")))
		return reply_error("action must be handled, ignore, delete or "
				   "isolate", NULL);
	if (!cJSON_IsArray(ids) || !cJSON_GetArraySize(ids))
		return reply_error("missing \"ids\"", NULL);
	if (!strcmp(action, "delete") && !bool_arg(req, "yes"))
		return reply_error("delete removes events for good: confirm "
				   "with --yes", NULL);
	r = reply_ok();
	res = cJSON_AddArrayToObject(r, "results");
	cJSON_ArrayForEach(it, ids)
	{
		int64_t id = cJSON_IsNumber(it) ? (int64_t)it->valuedouble : 0;
		cJSON *one = cJSON_CreateObject();
		int e = -ENOENT;
		cJSON_AddNumberToObject(one, "id", (double)id);
		if (!strcmp(action, "delete")) {
			e = store_event_delete(c->store, id);
		} else if (!strcmp(action, "isolate")) {
			cJSON *ev = store_event_get(c->store, id), *x = NULL;
			if (ev) {
				x = ctl_isolate_key(
					c,
					cJSON_GetObjectItem(ev, "container_id")->valuestring,
					"isolated from an event", uid);
				e = cJSON_IsTrue(cJSON_GetObjectItem(x, "ok"))
					    ? store_event_set_status(c->store, id,
								     "handled")
					    : -EPERM;
				if (e == -EPERM)
					cJSON_AddStringToObject(
						one, "error",
						cJSON_GetObjectItem(x, "error")->valuestring);
			}
			cJSON_Delete(x);
			cJSON_Delete(ev);
		} else {
			e = store_event_set_status(c->store, id,
						   !strcmp(action, "ignore") ? "ignored"
									    : "handled");
		}
		if (!e)
			audit_event(c, uid, action, id, NULL);
		cJSON_AddStringToObject(one, "result", e ? "failed" : "done");
		if (e == -ENOENT)
			cJSON_AddStringToObject(one, "error", "no such event");
		bad |= e != 0;
		cJSON_AddItemToArray(res, one);
	}
	if (bad)
		cJSON_ReplaceItemInObject(r, "ok", cJSON_CreateFalse());
	return r;
}

/* A pattern covers a subject: the same name or address, a parent
 * "*.domain", or a network containing the address. */
static bool covers(const char *pattern, const char *subject)
{
	struct ip_addr net, a;
	unsigned plen;
	size_t pl, sl = strlen(subject);

	if (!strcmp(pattern, subject))
		return true;
	if (!ip_cidr_parse(pattern, &net, &plen) && !ip_addr_parse(subject, &a)) {
		ip_addr_mask(&a, plen);
		return ip_addr_equal(&a, &net);
	}
	if (strncmp(pattern, "*.", 2))
		return false;
	pl = strlen(pattern + 1); /* ".domain" */
	return sl > pl && !strcmp(subject + sl - pl, pattern + 1);
}

static int pattern_check(const char *p, char *norm, size_t len, char *why,
			 size_t wl);

static cJSON *cmd_whitelist_event(struct ctl *c, const cJSON *req, uid_t uid)
{
	int64_t id = num_arg(req, "id", 0);
	const char *want = str_arg(req, "domain"), *note = str_arg(req, "note");
	char pattern[300], why[200], more[400];
	cJSON *ev = store_event_get(c->store, id), *r;
	const char *subject;
	int64_t lid;
	int marked = 0;

	if (!ev)
		return reply_error("no such event", NULL);
	subject = cJSON_GetObjectItem(ev, "subject")->valuestring;
	if (pattern_check(want ? want : subject, pattern, sizeof(pattern), why,
			  sizeof(why)) ||
	    !covers(pattern, subject)) {
		snprintf(more, sizeof(more), "'%s' %s", want ? want : subject,
			 why[0] ? why : "does not cover the event's subject");
		cJSON_Delete(ev);
		return reply_error("%s", more);
	}
	lid = store_list_add(c->store, "white", pattern,
			     note ? note : "whitelisted from an event", uid);
	if (lid < 0 && lid != -EEXIST) {
		cJSON_Delete(ev);
		return reply_error("cannot store the entry", NULL);
	}
	store_event_set_status(c->store, id, "whitelisted");
	if (bool_arg(req, "all_pending"))
		marked = store_events_whitelist_pending(c->store, pattern);
	snprintf(more, sizeof(more), "whitelist %s%s", pattern,
		 bool_arg(req, "all_pending") ? " (all pending)" : "");
	audit_event(c, uid, "whitelist", id, more);
	if (ctl_policy_rebuild(c, why, sizeof(why)))
		fprintf(stderr, "egressd: lists not rebuilt: %s\n", why);
	r = reply_ok();
	cJSON_AddStringToObject(r, "pattern", pattern);
	cJSON_AddNumberToObject(r, "also_whitelisted", marked > 0 ? marked : 0);
	cJSON_Delete(ev);
	return r;
}

/* ---- lists ---- */

/* A list pattern: a domain, "*.domain", an address or a network. */
static int pattern_check(const char *p, char *norm, size_t len, char *why,
			 size_t wl)
{
	struct ip_addr a;
	unsigned plen;
	bool wild = !strncmp(p, "*.", 2);
	char tmp[DOMAIN_TEXT_MAX + 1];

	why[0] = 0;
	if (!wild && !ip_cidr_parse(p, &a, &plen)) {
		snprintf(norm, len, "%s", p);
		return 0;
	}
	if (domain_normalize(p + (wild ? 2 : 0), strlen(p + (wild ? 2 : 0)),
			     tmp) < 0) {
		snprintf(why, wl, "is not a domain, *.domain, address or network");
		return -EINVAL;
	}
	snprintf(norm, len, "%s%s", wild ? "*." : "", tmp);
	return 0;
}

static bool list_name_ok(const char *l)
{
	return l && (!strcmp(l, "black") || !strcmp(l, "white"));
}

static cJSON *cmd_list_add(struct ctl *c, const cJSON *req, uid_t uid)
{
	const char *list = str_arg(req, "list"), *note = str_arg(req, "note");
	const cJSON *pats = cJSON_GetObjectItemCaseSensitive(req, "patterns"), *it;
	char norm[300], why[200];
	cJSON *r, *res;
	int added = 0, n = 0;

	if (!list_name_ok(list) || !cJSON_IsArray(pats))
		return reply_error("need \"list\" (black or white) and \"patterns\"",
				   NULL);
	if (cJSON_GetArraySize(pats) > LIST_ADD_MAX)
		return reply_error("too many patterns in one request", NULL);
	r = reply_ok();
	res = cJSON_AddArrayToObject(r, "results");
	cJSON_ArrayForEach(it, pats)
	{
		cJSON *one = cJSON_CreateObject();
		const char *p = cJSON_IsString(it) ? it->valuestring : "";
		int64_t id;
		n++;
		cJSON_AddStringToObject(one, "pattern", p);
		if (pattern_check(p, norm, sizeof(norm), why, sizeof(why))) {
			cJSON_AddStringToObject(one, "result", "invalid");
			cJSON_AddStringToObject(one, "error", why);
		} else if ((id = store_list_add(c->store, list, norm, note, uid)) ==
			   -EEXIST) {
			cJSON_AddStringToObject(one, "result", "duplicate");
		} else if (id < 0) {
			cJSON_AddStringToObject(one, "result", "failed");
		} else {
			char what[400];
			snprintf(what, sizeof(what), "%s%s%s", norm,
				 note ? ": " : "", note ? note : "");
			store_audit(c->store, uid,
				    !strcmp(list, "black") ? "blacklist add"
							   : "whitelist add",
				    what);
			cJSON_AddStringToObject(one, "result", "added");
			cJSON_AddNumberToObject(one, "id", (double)id);
			added++;
		}
		cJSON_AddItemToArray(res, one);
	}
	if (added && ctl_policy_rebuild(c, why, sizeof(why)))
		fprintf(stderr, "egressd: lists not rebuilt: %s\n", why);
	if (added != n)
		cJSON_ReplaceItemInObject(r, "ok", cJSON_CreateFalse());
	return r;
}

static cJSON *cmd_list_get(struct ctl *c, const cJSON *req)
{
	const char *list = str_arg(req, "list");
	cJSON *r;

	if (!list_name_ok(list))
		return reply_error("need \"list\" (black or white)", NULL);
	r = reply_ok();
	cJSON_AddItemToObject(r, "entries", store_list_get(c->store, list));
	return r;
}

static cJSON *cmd_list_remove(struct ctl *c, const cJSON *req, uid_t uid)
{
	const char *list = str_arg(req, "list");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(req, "ids"), *it;
	char why[200], what[64];
	int removed = 0, n = 0;
	cJSON *r, *res;

	if (!list_name_ok(list) || !cJSON_IsArray(ids))
		return reply_error("need \"list\" (black or white) and \"ids\"",
				   NULL);
	r = reply_ok();
	res = cJSON_AddArrayToObject(r, "results");
	cJSON_ArrayForEach(it, ids)
	{
		int64_t id = cJSON_IsNumber(it) ? (int64_t)it->valuedouble : 0;
		int e = store_list_remove(c->store, list, id);
		cJSON *one = cJSON_CreateObject();
		n++;
		cJSON_AddNumberToObject(one, "id", (double)id);
		cJSON_AddStringToObject(one, "result", e ? "no such entry" : "removed");
		cJSON_AddItemToArray(res, one);
		if (!e) {
			snprintf(what, sizeof(what), "entry %lld", (long long)id);
			store_audit(c->store, uid,
				    !strcmp(list, "black") ? "blacklist remove"
							   : "whitelist remove",
				    what);
			removed++;
		}
	}
	if (removed && ctl_policy_rebuild(c, why, sizeof(why)))
		fprintf(stderr, "egressd: lists not rebuilt: %s\n", why);
	if (removed != n)
		cJSON_ReplaceItemInObject(r, "ok", cJSON_CreateFalse());
	return r;
}

static cJSON *cmd_lists(struct ctl *c)
{
	cJSON *r = reply_ok();

	cJSON_AddItemToObject(r, "sources", c->sources
						    ? cJSON_Duplicate(c->sources, 1)
						    : cJSON_CreateArray());
	cJSON_AddNumberToObject(r, "loaded", (double)c->lists_loaded);
	cJSON_AddItemToObject(r, "imports", store_imports_get(c->store));
	return r;
}

/* Copies the client's feed (the fd it passed) to path. */
static int copy_fd(int in, const char *path)
{
	char buf[65536];
	ssize_t n;
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640), r = 0;
	size_t total = 0;

	if (out < 0)
		return -errno;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		total += (size_t)n;
		if (total > IMPORT_MAX || write(out, buf, (size_t)n) != n) {
			r = total > IMPORT_MAX ? -EFBIG : -errno;
			break;
		}
	}
	if (n < 0)
		r = -errno;
	if (!r && fsync(out))
		r = -errno;
	close(out);
	return r;
}

static bool name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || s[0] == '.')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

/* lists import: a threat-intel feed becomes a system source. Validated as
 * a whole (one bad line refuses it, nothing half-loaded), bogons
 * stripped, kept in STATE_DIR/imported. */
static cJSON *cmd_import(struct ctl *c, const cJSON *req, uid_t uid)
{
	const char *name = str_arg(req, "name"), *cat = str_arg(req, "category");
	const char *fmt = str_arg(req, "format");
	char dir[300], tmp[420], path[400], err[512], what[300];
	struct list_spec spec = { .system = true, .flags = LIST_STRIP_BOGONS };
	struct list_report rep;
	struct store_import im;
	struct policy p;
	cJSON *r;
	int e;

	if (c->passed_fd < 0)
		return reply_error("no feed: pass the file's descriptor", NULL);
	if (!name_ok(name) || !name_ok(cat) || !fmt ||
	    list_format_parse(fmt, &spec.format))
		return reply_error("need a name and a category ([A-Za-z0-9._-]) "
				   "and a format (auto, domains, hosts, adblock, "
				   "rpz, cidr)", NULL);
	snprintf(dir, sizeof(dir), "%s/imported", c->cfg->state_dir);
	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((e = copy_fd(c->passed_fd, tmp))) {
		unlink(tmp);
		return reply_error("cannot copy the feed: %s", strerror(-e));
	}
	spec.path = tmp;
	spec.category = cat;
	if (policy_build(&spec, 1, &p, &rep, err, sizeof(err))) {
		unlink(tmp);
		/* err names the temporary copy: say the feed's own name. */
		char *colon = strstr(err, ".tmp:"), msg[600];
		snprintf(msg, sizeof(msg), "%s:%s", name, colon ? colon + 5 : err);
		return reply_error("%s (feed refused, nothing loaded)", msg);
	}
	policy_free(&p);
	if (rename(tmp, path)) {
		unlink(tmp);
		return reply_error("cannot keep the feed: %s", strerror(errno));
	}
	im = (struct store_import){ name, path, list_format_name(rep.stats.format),
				    cat, rep.stats.entries, rep.stats.stripped,
				    uid };
	store_import_put(c->store, &im);
	snprintf(what, sizeof(what), "%s (%s, %s): %u entries, %u stripped",
		 name, im.format, cat, rep.stats.entries, rep.stats.stripped);
	store_audit(c->store, uid, "lists import", what);
	if (ctl_policy_rebuild(c, err, sizeof(err)))
		fprintf(stderr, "egressd: lists not rebuilt: %s\n", err);
	r = reply_ok();
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "format", im.format);
	cJSON_AddNumberToObject(r, "entries", rep.stats.entries);
	cJSON_AddNumberToObject(r, "skipped", rep.stats.skipped);
	cJSON_AddNumberToObject(r, "stripped", rep.stats.stripped);
	return r;
}

static cJSON *cmd_audit(struct ctl *c, const cJSON *req)
{
	cJSON *r = reply_ok();

	cJSON_AddItemToObject(r, "audit",
			      store_audit_get(c->store, num_arg(req, "limit", 50)));
	return r;
}

cJSON *ctl_store_dispatch(struct ctl *c, const char *cmd, const cJSON *req,
			  uid_t uid)
{
	if (!c->store)
		return reply_error("the store is not available", NULL);
	if (!strcmp(cmd, "events_overview"))
		return cmd_overview(c);
	if (!strcmp(cmd, "events_list"))
		return cmd_list(c, req);
	if (!strcmp(cmd, "events_show"))
		return cmd_show(c, req);
	if (!strcmp(cmd, "events_handle"))
		return cmd_handle(c, req, uid);
	if (!strcmp(cmd, "events_whitelist"))
		return cmd_whitelist_event(c, req, uid);
	if (!strcmp(cmd, "list_add"))
		return cmd_list_add(c, req, uid);
	if (!strcmp(cmd, "list_get"))
		return cmd_list_get(c, req);
	if (!strcmp(cmd, "list_remove"))
		return cmd_list_remove(c, req, uid);
	if (!strcmp(cmd, "lists"))
		return cmd_lists(c);
	if (!strcmp(cmd, "lists_import"))
		return cmd_import(c, req, uid);
	if (!strcmp(cmd, "audit"))
		return cmd_audit(c, req);
	return NULL;
}
