// SPDX-License-Identifier: GPL-2.0-or-later
/* Control commands on the lists: the operator's black and white entries
 * (add, list by pages, remove), the sources, feed imports, the audit log. */
#include "ctl_lists.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_internal.h"
#include "ctl_json.h"
#include "ctl_reply.h"
#include "egressd/domain.h"
#include "egressd/pattern.h"
#include "egressd/fileio.h"
#include "egressd/clock.h"
#include "policyload.h"

#define LIST_ADD_MAX 10000 /* patterns per request */
#define LIST_PAGE_DEFAULT 1000
/* An import's copy must be done within this (a regular file is read at
 * disk speed; the bound is for a disk that stalls). */
#define IMPORT_COPY_MS 60000

void ctl_lists_applied(struct ctl *c, cJSON *rep)
{
	char err[512];
	int e = ctl_policy_apply(c, CTL_APPLY_WAIT_MS, err, sizeof(err));

	cJSON_AddBoolToObject(rep, "applied", !e);
	if (e)
		cJSON_AddStringToObject(rep, "apply_error", err);
}

static bool list_name_ok(const char *l)
{
	return l && (!strcmp(l, "black") || !strcmp(l, "white"));
}

static void add_one(struct ctl_req *r, const char *list, const char *p,
		    const char *note, cJSON *one, int *added)
{
	char norm[300], why[200], what[400];
	int64_t id;

	cJSON_AddStringToObject(one, "pattern", p);
	if (pattern_check(p, bool_arg(r->req, "force"), norm, sizeof(norm),
			      why, sizeof(why))) {
		cJSON_AddStringToObject(one, "result", "invalid");
		cJSON_AddStringToObject(one, "error", why);
		return;
	}
	id = store_list_add(r->store, list, norm, note, r->uid);
	if (id == -EEXIST) {
		cJSON_AddStringToObject(one, "result", "duplicate");
		return;
	}
	if (id < 0) {
		cJSON_AddStringToObject(one, "result", "failed");
		cJSON_AddStringToObject(one, "error", id == -ENOSPC
							     ? "disk full"
							     : "store error");
		return;
	}
	snprintf(what, sizeof(what), "%s%s%s", norm, note ? ": " : "",
		 note ? note : "");
	store_audit(r->store, r->uid, r->actor,
		    !strcmp(list, "black") ? "blacklist add" : "whitelist add",
		    what);
	cJSON_AddStringToObject(one, "result", "added");
	cJSON_AddNumberToObject(one, "id", (double)id);
	(*added)++;
}

cJSON *cmd_list_add(struct ctl_req *r)
{
	const char *list = str_arg(r->req, "list"), *note;
	const cJSON *pats = cJSON_GetObjectItemCaseSensitive(r->req, "patterns"), *it;
	cJSON *rep, *res;
	int added = 0, n = 0;

	if (!note_arg(r->req, &note, &rep))
		return rep;
	if (!list_name_ok(list) || !cJSON_IsArray(pats))
		return reply_error("need \"list\" (black or white) and \"patterns\"",
				   NULL);
	if (cJSON_GetArraySize(pats) > LIST_ADD_MAX)
		return reply_error("too many patterns in one request", NULL);
	rep = reply_ok();
	res = cJSON_AddArrayToObject(rep, "results");
	cJSON_ArrayForEach(it, pats)
	{
		cJSON *one = cJSON_CreateObject();
		n++;
		add_one(r, list, cJSON_IsString(it) ? it->valuestring : "", note,
			one, &added);
		cJSON_AddItemToArray(res, one);
	}
	if (added)
		ctl_lists_applied(r->c, rep);
	if (added != n)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

/* One page: entries with id > "after", at most "limit"; "more" says
 * whether another page follows (egressctl asks for it). */
cJSON *cmd_list_get(struct ctl_req *r)
{
	const char *list = str_arg(r->req, "list");
	bool bad = false;
	int64_t after = num_arg(r->req, "after", 0, 0, INT64_MAX / 2, &bad);
	int64_t limit = num_arg(r->req, "limit", LIST_PAGE_DEFAULT, 1,
				CTL_PAGE_MAX, &bad);
	struct store_list_page page;
	cJSON *rep;
	int e;

	if (!list_name_ok(list))
		return reply_error("need \"list\" (black or white)", NULL);
	if (bad)
		return reply_error("bad number: after >= 0, limit 1..5000", NULL);
	e = store_list_get(r->store, list, after, limit, CTL_PAGE_BYTES, &page);
	if (e)
		return reply_store_error(e, "the list");
	rep = reply_ok();
	cJSON_AddBoolToObject(rep, "more", page.more);
	if (!cJSON_AddItemToObject(rep, "entries",
				   ctl_json_list_entries(&page))) {
		cJSON_Delete(rep);
		rep = reply_error("out of memory", NULL);
	}
	store_list_page_release(&page);
	return rep;
}

cJSON *cmd_list_remove(struct ctl_req *r)
{
	const char *list = str_arg(r->req, "list");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(r->req, "ids"), *it;
	char what[64];
	int removed = 0, n = 0;
	cJSON *rep, *res;

	if (!list_name_ok(list) || !cJSON_IsArray(ids))
		return reply_error("need \"list\" (black or white) and \"ids\"",
				   NULL);
	if (cJSON_GetArraySize(ids) > LIST_ADD_MAX)
		return reply_error("too many ids in one request", NULL);
	rep = reply_ok();
	res = cJSON_AddArrayToObject(rep, "results");
	cJSON_ArrayForEach(it, ids)
	{
		double v = cJSON_IsNumber(it) ? it->valuedouble : 0;
		int64_t id = v >= 1 && v <= 1e15 ? (int64_t)v : 0;
		int e = id ? store_list_remove(r->store, list, id) : -ENOENT;
		cJSON *one = cJSON_CreateObject();
		n++;
		cJSON_AddNumberToObject(one, "id", (double)id);
		cJSON_AddStringToObject(one, "result", e ? "no such entry" : "removed");
		cJSON_AddItemToArray(res, one);
		if (e)
			continue;
		snprintf(what, sizeof(what), "entry %lld", (long long)id);
		store_audit(r->store, r->uid, r->actor,
			    !strcmp(list, "black") ? "blacklist remove"
						   : "whitelist remove",
			    what);
		removed++;
	}
	if (removed)
		ctl_lists_applied(r->c, rep);
	if (removed != n)
		cJSON_ReplaceItemInObject(rep, "ok", cJSON_CreateFalse());
	return rep;
}

cJSON *cmd_lists(struct ctl_req *r)
{
	struct ctl *c = r->c;
	struct store_imports im;
	cJSON *rep, *imports;
	int e = store_imports_get(r->store, &im);

	if (e)
		return reply_store_error(e, "the imports");
	imports = ctl_json_imports(&im);
	store_imports_release(&im);
	if (!imports)
		return reply_error("out of memory", NULL);
	rep = reply_ok();
	pthread_mutex_lock(&c->lock);
	cJSON_AddItemToObject(rep, "sources", c->sources
						      ? cJSON_Duplicate(c->sources, 1)
						      : cJSON_CreateArray());
	cJSON_AddNumberToObject(rep, "loaded", (double)c->lists_loaded);
	pthread_mutex_unlock(&c->lock);
	cJSON_AddItemToObject(rep, "imports", imports);
	return rep;
}

/* Copies the client's feed (the fd it passed, checked to be a regular
 * file within the bound) to path, within IMPORT_COPY_MS. */
static int copy_fd(int in, const char *path)
{
	static _Thread_local char buf[1 << 16];
	int64_t deadline = clock_mono_ms() + IMPORT_COPY_MS;
	size_t total = 0;
	ssize_t n;
	int out, r = file_check_fd(in, CTL_IMPORT_MAX);

	if (r)
		return r;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		   0640);
	if (out < 0)
		return -errno;
	while (!r && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0)
			r = errno == EINTR ? 0 : -errno;
		else if ((total += (size_t)n) > CTL_IMPORT_MAX)
			r = -EFBIG;
		else if (write(out, buf, (size_t)n) != n)
			r = errno ? -errno : -ENOSPC;
		else if (clock_mono_ms() > deadline)
			r = -ETIMEDOUT;
	}
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

/* Validates the copy as a whole, as a feed (lenient: invalid lines are
 * skipped and counted; a file that is not a list, or has too many bad
 * lines, is refused and nothing is loaded); an empty feed is refused too
 * (a truncated download). */
static cJSON *import_check(const struct list_spec *spec, const char *name,
			   struct list_report *rep)
{
	char err[512], msg[700];
	struct policy p;

	if (policy_build(spec, 1, &p, rep, err, sizeof(err)))
		return reply_error("%s (feed refused, nothing loaded)", err);
	policy_free(&p);
	if (rep->refused) {
		/* the error names the temporary copy: say the feed's name */
		char *colon = strstr(rep->error, ".tmp:");
		snprintf(msg, sizeof(msg), "%s:%s", name,
			 colon ? colon + 5 : rep->error);
		return reply_error("%s (feed refused, nothing loaded)", msg);
	}
	if (!rep->stats.entries) {
		snprintf(msg, sizeof(msg), "%s: no entries in %u lines (%u "
			 "skipped, %u stripped, %u allow rules ignored)", name,
			 rep->stats.lines, rep->stats.skipped, rep->stats.stripped,
			 rep->stats.allows_ignored);
		return reply_error("%s: feed refused, nothing loaded", msg);
	}
	return NULL;
}

static cJSON *import_reply(const char *name, const struct store_import *im,
			   const struct list_report *rep)
{
	cJSON *o = reply_ok();

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "format", im->format);
	cJSON_AddStringToObject(o, "list", im->white ? "white" : "black");
	cJSON_AddNumberToObject(o, "entries", rep->stats.entries);
	cJSON_AddNumberToObject(o, "skipped", rep->stats.skipped);
	cJSON_AddNumberToObject(o, "stripped", rep->stats.stripped);
	cJSON_AddNumberToObject(o, "allows_ignored", rep->stats.allows_ignored);
	cJSON_AddNumberToObject(o, "rules", rep->stats.rules);
	cJSON_AddNumberToObject(o, "with_path", rep->stats.paths);
	cJSON_AddNumberToObject(o, "by_options", rep->stats.modifiers);
	cJSON_AddNumberToObject(o, "cancelled", rep->stats.cancelled);
	cJSON_AddNumberToObject(o, "invalid", rep->stats.invalid);
	if (rep->stats.invalid) {
		cJSON *a = cJSON_AddArrayToObject(o, "first_invalid");
		unsigned n = rep->stats.invalid < LIST_INVALID_KEPT
				     ? rep->stats.invalid
				     : LIST_INVALID_KEPT;
		for (unsigned i = 0; i < n; i++) {
			cJSON *l = cJSON_CreateObject();
			cJSON_AddNumberToObject(l, "line",
						rep->stats.first_invalid[i].line);
			cJSON_AddStringToObject(l, "error",
						rep->stats.first_invalid[i].msg);
			cJSON_AddItemToArray(a, l);
		}
	}
	return o;
}

/* A feed is kept in the state dir for good, and no budget deletes it:
 * it must fit in max_state_mb beside what egressd cannot delete already
 * (the other feeds, set-aside damaged stores), the copy it replaces not
 * counted. Returns the refusal, or NULL. */
static cJSON *import_fits(const struct ctl_req *r, const char *path)
{
	const struct config *cfg = r->c->cfg;
	uint64_t max = (uint64_t)cfg->max_state_mb << 20, feed, kept, was;
	struct store_usage u;
	struct stat in, old;
	char msg[512];

	/* What is wrong with the feed itself, copy_fd says. */
	if (fstat(r->fd, &in) || !S_ISREG(in.st_mode) ||
	    store_state_usage_split(cfg->state_dir, &u))
		return NULL;
	feed = ((uint64_t)in.st_size + 4095) / 4096 * 4096;
	kept = u.feeds + u.other;
	was = !lstat(path, &old) && S_ISREG(old.st_mode)
		      ? (uint64_t)old.st_blocks * 512
		      : 0;
	kept -= was < kept ? was : kept;
	if (kept + feed <= max)
		return NULL;
	snprintf(msg, sizeof(msg), "the feed does not fit in the state dir's "
		 "budget: it is %.1f MiB (%lld bytes), max_state_mb is %u MiB, "
		 "of which %.1f MiB already go to files egressd cannot delete "
		 "(imported feeds, set-aside damaged stores); raise max_state_mb "
		 "or remove a feed (feed refused, nothing loaded)",
		 (double)in.st_size / (1 << 20), (long long)in.st_size,
		 cfg->max_state_mb, (double)kept / (1 << 20));
	return reply_error("%s", msg);
}

/* lists import: a threat-intel feed becomes a system source, kept in
 * STATE_DIR/imported. Bogons are stripped; a blacklist's allow rules are
 * ignored (counted); only a feed imported as a whitelist allows. */
static cJSON *lists_import(struct ctl_req *r)
{
	const char *name = str_arg(r->req, "name"), *cat = str_arg(r->req, "category");
	const char *fmt = str_arg(r->req, "format"), *list = str_arg(r->req, "list");
	char dir[300], tmp[420], path[400], what[400];
	struct list_spec spec = { .system = true, .flags = LIST_STRIP_BOGONS };
	struct list_report rep;
	struct store_import im;
	cJSON *o;
	int e;

	if (r->fd < 0)
		return reply_error("no feed: pass the file's descriptor", NULL);
	if (!name_ok(name) || !name_ok(cat) || !fmt ||
	    list_format_parse(fmt, &spec.format) ||
	    (list && strcmp(list, "black") && strcmp(list, "white")))
		return reply_error("need a name and a category ([A-Za-z0-9._-]), "
				   "a format (auto, domains, wildcard, hosts, "
				   "adblock, rpz, cidr) and a list (black or "
				   "white)", NULL);
	spec.white = list && !strcmp(list, "white");
	snprintf(dir, sizeof(dir), "%s/imported", r->c->cfg->state_dir);
	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((o = import_fits(r, path)))
		return o;
	if ((e = copy_fd(r->fd, tmp))) {
		unlink(tmp);
		return reply_error("cannot take the feed: %s", file_strerror(e));
	}
	spec.path = tmp;
	spec.category = cat;
	if ((o = import_check(&spec, name, &rep))) {
		unlink(tmp);
		return o;
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return reply_error("cannot keep the feed: %s", strerror(errno));
	}
	im = (struct store_import){ .name = name, .path = path,
				    .format = list_format_name(rep.stats.format),
				    .category = cat,
				    .entries = rep.stats.entries,
				    .stripped = rep.stats.stripped,
				    .uid = r->uid, .white = spec.white };
	if (store_import_put(r->store, &im)) {
		unlink(path);
		return reply_error("cannot record the import in the store", NULL);
	}
	snprintf(what, sizeof(what), "%s (%s, %s, %slist): %u entries, %u "
		 "stripped, %u allow rules ignored", name, im.format, cat,
		 spec.white ? "white" : "black", rep.stats.entries,
		 rep.stats.stripped, rep.stats.allows_ignored);
	store_audit(r->store, r->uid, r->actor, "lists import", what);
	o = import_reply(name, &im, &rep);
	ctl_lists_applied(r->c, o);
	return o;
}

/* One import at a time: each holds a feed's copy, its check (the whole
 * feed as a list in memory) and the rebuild it waits for; four at once
 * took every worker for seconds and 0.7-1.9 GB. The others are told at
 * once, not queued. */
cJSON *cmd_lists_import(struct ctl_req *r)
{
	cJSON *o;

	if (atomic_exchange(&r->c->importing, true))
		return reply_error("busy: an import is running (one at a time); "
				   "try again when it is done", NULL);
	o = lists_import(r);
	atomic_store(&r->c->importing, false);
	return o;
}

/* Newest first, a page at a time: lines with id < "before". */
cJSON *cmd_audit(struct ctl_req *r)
{
	bool bad = false;
	int64_t limit = num_arg(r->req, "limit", 50, 1, CTL_PAGE_MAX, &bad);
	int64_t before = num_arg(r->req, "before", INT64_MAX / 2, 1,
				 INT64_MAX / 2, &bad);
	struct store_audit_page page;
	cJSON *rep;
	int e;

	if (bad)
		return reply_error("bad number: limit 1..5000, before >= 1", NULL);
	e = store_audit_get(r->store, before, limit, &page);
	if (e)
		return reply_store_error(e, "the audit log");
	rep = reply_ok_with("audit", ctl_json_audit(&page));
	store_audit_page_release(&page);
	return rep;
}
