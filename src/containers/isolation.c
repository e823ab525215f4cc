// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/isolation.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "egressd/ct.h"
#include "egressd/nft.h"
#include "egressd/policy.h"
#include "egressd/fileio.h"

static const char *const state_names[] = {
	"isolating", "isolated", "isolate-failed",
	"restoring", "restored", "restore-failed",
};

const char *iso_state_name(enum iso_state s)
{
	return (unsigned)s < 6 ? state_names[s] : "?";
}

static int state_parse(const char *s, enum iso_state *ret)
{
	for (unsigned i = 0; i < 6; i++)
		if (!strcmp(s, state_names[i])) {
			*ret = (enum iso_state)i;
			return 0;
		}
	return -EINVAL;
}

static void copy_str(char *dst, size_t len, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int entry_from_json(const cJSON *o, struct iso_entry *e)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(o, "since");
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(o, "by_uid");

	memset(e, 0, sizeof(*e));
	copy_str(e->id, sizeof(e->id), o, "id");
	copy_str(e->name, sizeof(e->name), o, "name");
	copy_str(e->runtime, sizeof(e->runtime), o, "runtime");
	copy_str(e->note, sizeof(e->note), o, "note");
	copy_str(e->reason, sizeof(e->reason), o, "reason");
	copy_str(e->veth, sizeof(e->veth), o, "veth");
	e->since = cJSON_IsNumber(since) ? (int64_t)since->valuedouble : 0;
	e->by_uid = cJSON_IsNumber(uid) ? (uint32_t)uid->valuedouble : 0;
	if (!e->id[0] || !cJSON_IsString(st) ||
	    state_parse(st->valuestring, &e->state))
		return -EINVAL;
	return 0;
}

int isolation_load(struct isolation *iso, const char *dir, char *err,
		   size_t errlen)
{
	char *text;
	size_t len;
	cJSON *root, *it;
	int r, i = 0;

	iso->n = 0;
	snprintf(iso->path, sizeof(iso->path), "%s/isolation.json", dir);
	r = file_read_all(iso->path, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r) {
		snprintf(err, errlen, "%s: %s", iso->path, strerror(-r));
		return r;
	}
	root = cJSON_Parse(text);
	free(text);
	if (!cJSON_IsArray(root)) {
		snprintf(err, errlen, "%s: not a JSON array", iso->path);
		cJSON_Delete(root);
		return -EINVAL;
	}
	cJSON_ArrayForEach(it, root)
	{
		if (iso->n == ISOLATION_MAX ||
		    entry_from_json(it, &iso->e[iso->n])) {
			snprintf(err, errlen, "%s: entry %d is invalid", iso->path,
				 i);
			cJSON_Delete(root);
			return -EINVAL;
		}
		iso->n++;
		i++;
	}
	cJSON_Delete(root);
	return 0;
}

static cJSON *entry_to_json(const struct iso_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "name", e->name);
	cJSON_AddStringToObject(o, "runtime", e->runtime);
	cJSON_AddStringToObject(o, "state", iso_state_name(e->state));
	cJSON_AddStringToObject(o, "note", e->note);
	cJSON_AddStringToObject(o, "reason", e->reason);
	cJSON_AddStringToObject(o, "veth", e->veth);
	cJSON_AddNumberToObject(o, "since", (double)e->since);
	cJSON_AddNumberToObject(o, "by_uid", e->by_uid);
	return o;
}

int isolation_save(const struct isolation *iso, char *err, size_t errlen)
{
	cJSON *root = cJSON_CreateArray();
	char *text;
	int r;

	for (size_t i = 0; i < iso->n; i++)
		cJSON_AddItemToArray(root, entry_to_json(&iso->e[i]));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -ENOMEM;
	/* Whole or not at all: a full disk leaves the old file, never a
	 * torn one, and no temporary file behind. */
	r = file_replace(iso->path, text, strlen(text), 0640);
	cJSON_free(text);
	if (r)
		snprintf(err, errlen, "%s: %s", iso->path, strerror(-r));
	((struct isolation *)iso)->unsaved = r != 0;
	return r;
}

size_t isolation_active_ifs(const struct isolation *iso, const char **ret,
			    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < iso->n && n < max; i++)
		if (iso->e[i].veth[0])
			ret[n++] = iso->e[i].veth;
	return n;
}

const struct iso_entry *isolation_find(const struct isolation *iso,
				       const char *key)
{
	for (size_t i = 0; i < iso->n; i++)
		if (!strcmp(iso->e[i].id, key) || !strcmp(iso->e[i].name, key))
			return &iso->e[i];
	return NULL;
}

static void set_state(struct iso_entry *e, enum iso_state s, const char *why)
{
	e->state = s;
	e->since = (int64_t)time(NULL);
	snprintf(e->reason, sizeof(e->reason), "%.199s", why ? why : "");
}

/* Puts the container's current veth in the sets (and its old one out). */
static int apply(struct iso_entry *e, const struct container *c, char *err,
		 size_t errlen)
{
	int r;

	if (e->veth[0] && strcmp(e->veth, c->veth))
		nft_isolate(e->veth, false, err, errlen);
	e->veth[0] = 0;
	if (!c->veth[0]) /* not running: applied when it starts */
		return 0;
	r = nft_isolate(c->veth, true, err, errlen);
	if (r)
		return r;
	snprintf(e->veth, sizeof(e->veth), "%s", c->veth);
	ct_delete_addrs(c->addrs, c->naddrs);
	return 0;
}

int isolation_isolate(struct isolation *iso, const struct container *c,
		      const char *note, uint32_t uid, char *err, size_t errlen)
{
	struct iso_entry *e = (struct iso_entry *)isolation_find(iso, c->id);
	int r;

	if (!e) {
		if (iso->n == ISOLATION_MAX) {
			snprintf(err, errlen, "too many isolated containers");
			return -E2BIG;
		}
		e = &iso->e[iso->n++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", c->id);
	}
	snprintf(e->name, sizeof(e->name), "%s", c->name);
	snprintf(e->runtime, sizeof(e->runtime), "%s", c->runtime);
	snprintf(e->note, sizeof(e->note), "%s", note ? note : "");
	e->by_uid = uid;
	/* "isolating" reaches the disk first when it can, so that a crash
	 * in between is finished at the next start; a disk that cannot take
	 * it must not stop the isolation: the kernel acts, the file follows
	 * when there is room (isolation_reconcile retries). */
	set_state(e, ISO_ISOLATING, NULL);
	(void)isolation_save(iso, err, errlen);
	r = apply(e, c, err, errlen);
	set_state(e, r ? ISO_ISOLATE_FAILED : ISO_ISOLATED, r ? err : NULL);
	(void)isolation_save(iso, r ? NULL : err, r ? 0 : errlen);
	return r;
}

int isolation_restore(struct isolation *iso, const char *key, uint32_t uid,
		      char *err, size_t errlen)
{
	struct iso_entry *e = (struct iso_entry *)isolation_find(iso, key);
	int r = 0;

	if (!e) {
		snprintf(err, errlen, "'%s' is not isolated", key);
		return -ENOENT;
	}
	e->by_uid = uid;
	set_state(e, ISO_RESTORING, NULL);
	(void)isolation_save(iso, err, errlen);
	if (e->veth[0])
		r = nft_isolate(e->veth, false, err, errlen);
	if (!r)
		e->veth[0] = 0;
	set_state(e, r ? ISO_RESTORE_FAILED : ISO_RESTORED, r ? err : NULL);
	(void)isolation_save(iso, r ? NULL : err, r ? 0 : errlen);
	return r;
}

static bool wants_isolation(const struct iso_entry *e)
{
	return e->state == ISO_ISOLATING || e->state == ISO_ISOLATED ||
	       e->state == ISO_ISOLATE_FAILED;
}

int isolation_reconcile(struct isolation *iso, const struct inventory *inv)
{
	char err[256];
	int changes = 0;

	for (size_t i = 0; i < iso->n; i++) {
		struct iso_entry *e = &iso->e[i];
		const struct container *c = inventory_find(inv, e->id);
		/* Only a source that answered can say a container is gone
		 * (dockerd restarting must not unisolate its containers). */
		if (!c && !(inv->sources_ok & inventory_source_of(e->runtime)))
			continue;
		if (c)
			e->missing = 0;
		else if (++e->missing < ISOLATION_MISSING_SCANS)
			continue;
		if (!c) { /* deleted: its entry goes, its veth is gone too */
			if (e->veth[0])
				nft_isolate(e->veth, false, err, sizeof(err));
			iso->e[i--] = iso->e[--iso->n];
			changes++;
			continue;
		}
		/* A stopped container has no veth: nothing to apply until it
		 * runs again (its old veth went with it). */
		if (!wants_isolation(e) || !c->veth[0] ||
		    !strcmp(e->veth, c->veth))
			continue;
		int r = apply(e, c, err, sizeof(err));
		set_state(e, r ? ISO_ISOLATE_FAILED : ISO_ISOLATED,
			  r ? err : NULL);
		changes++;
	}
	if (changes || iso->unsaved)
		isolation_save(iso, err, sizeof(err));
	return changes;
}
