// SPDX-License-Identifier: GPL-2.0-or-later
/* The containers: the inventory thread (rescans every second, at once on
 * a Docker event or when asked; isolation follows), and the commands
 * `containers`, `isolate` and `unisolate`. */
#include "ctl.h"
#include "log.h"
#include "ctl_internal.h"
#include "ctl_reply.h"
#include "egressd/clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "egressd/hostnet.h"
#include "egressd/inventory_docker.h"
#include "egressd/nft.h"
#include "egressd/watch.h"
#include "egressd/oci.h"
#include "jsonout.h"

/* ---- the inventory thread ---- */

#define BRIDGES_MAX (CONFIG_IFS_MAX + WATCH_IFS_MAX)

/* The configured interfaces, and those container_if = auto found. */
static size_t bridges_of(const struct ctl *c, const struct watch_set *w,
			 const char **br)
{
	size_t n = 0;

	for (size_t i = 0; i < c->cfg->nifs; i++)
		br[n++] = c->cfg->ifs[i];
	for (size_t i = 0; i < w->n && n < BRIDGES_MAX; i++)
		if (!strcmp(w->ifs[i].pattern, "auto"))
			br[n++] = w->ifs[i].name;
	return n;
}

/* The ruleset's container_ifs set follows what auto finds: the
 * configured names and the bridges found now, replaced whole when they
 * change. Returns 0 or a negative errno (logged). */
static int auto_sync(struct ctl *c, const struct watch_set *now)
{
	const char *all[BRIDGES_MAX];
	size_t n = bridges_of(c, now, all);
	bool changed = false;
	char err[256] = "";
	int r = 0;

	for (size_t i = 0; i < now->n; i++)
		changed |= !strcmp(now->ifs[i].pattern, "auto") &&
			   !watch_has(&c->watch, now->ifs[i].name);
	for (size_t i = 0; i < c->watch.n; i++)
		changed |= !strcmp(c->watch.ifs[i].pattern, "auto") &&
			   !watch_has(now, c->watch.ifs[i].name);
	if (changed)
		r = nft_container_ifs_replace(all, n, err, sizeof(err));
	if (r)
		log_err("container interfaces found by auto: "
			"%s\n", err);
	return r;
}

/* Said at the first scan and at every change: which interfaces are
 * watched, and loudly when none is (a host where egressd sees nothing
 * must not look like a quiet one). */
static void watch_log(const struct ctl *c, const struct watch_set *w)
{
	char text[1024], pats[512] = "";
	size_t o = 0;

	if (w->n) {
		watch_text(w, text, sizeof(text));
		log_info("watching %zu container interface%s: "
			"%s\n", w->n, w->n == 1 ? "" : "s", text);
		return;
	}
	for (size_t i = 0; i < c->cfg->nifs && o < sizeof(pats); i++)
		o += (size_t)snprintf(pats + o, sizeof(pats) - o, "%s%s",
				      i ? ", " : "", c->cfg->ifs[i]);
	log_warn("WARNING: no container interface exists "
		"(container_if: %s%s): egressd sees no container's traffic "
		"until one appears\n", pats,
		c->cfg->ifs_auto ? "; auto found no bridge with a container "
				   "on it" : "");
}

/* The interfaces of this scan; logged and synced when they changed. */
static void watch_update(struct ctl *c, const struct rtnl_dump *host)
{
	struct watch_set *now = &c->watch_next;

	watch_resolve(host, (const char (*)[16])c->cfg->ifs, c->cfg->nifs,
		      c->cfg->ifs_auto, now);
	if (c->watch_known && watch_same(now, &c->watch))
		return;
	if (c->cfg->ifs_auto && auto_sync(c, now))
		return; /* tried again at the next scan */
	watch_log(c, now);
	pthread_mutex_lock(&c->lock);
	c->watch = *now;
	c->watch_known = true;
	pthread_mutex_unlock(&c->lock);
}

/* Under c->lock: the host-network sets follow the scan and the
 * isolation state (logged once per failure streak). */
static void hostnet_step(struct ctl *c)
{
	static bool failing;
	char err[512];
	int r;

	if (!c->hostnet)
		return;
	r = hostnet_sync(c->hostnet, c->inv, c->iso, err, sizeof(err));
	if (r < 0 && !failing)
		log_warn("host-network containers: %s\n", err);
	failing = r < 0;
}

/* Scans into *scratch, outside the lock; then the scan becomes c->inv.
 * A failed scan changes nothing (it must not look like every container
 * was deleted). */
static void rescan(struct ctl *c, struct inventory **scratch)
{
	const char *br[BRIDGES_MAX];
	size_t nbr = bridges_of(c, &c->watch, br);
	struct inventory_scan scan;
	struct inventory *t;
	int r;

	pthread_mutex_lock(&c->inv_gen_lock);
	c->inv_scanning = true;
	pthread_mutex_unlock(&c->inv_gen_lock);
	r = inventory_scan_begin(&scan, br, nbr, *scratch);
	scan.prev = c->inv; /* only this thread changes it */
	if (!r) {
		watch_update(c, scan.host);
		scan.nbridges = bridges_of(c, &c->watch, br);
	}

	if (!r)
		r = inventory_scan_netns(&scan, "/run/netns");
	if (!r && c->cfg->oci_bundle_root[0])
		r = inventory_scan_oci(&scan, c->cfg->oci_bundle_root);
	/* No dockerd (its socket absent or refusing) is no error: Docker's
	 * containers are then neither listed nor taken for deleted. */
	if (!r && c->docker)
		(void)inventory_scan_docker(&scan, c->docker);
	inventory_scan_end(&scan);
	if (!r) {
		pthread_mutex_lock(&c->lock);
		t = c->inv;
		c->inv = *scratch;
		*scratch = t;
		isolation_reconcile(c->iso, c->inv);
		inventory_publish(c->inv);
		hostnet_step(c);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->inv_gen_lock);
	c->inv_gen++;
	c->inv_scanning = false;
	pthread_cond_broadcast(&c->inv_gen_cond);
	pthread_mutex_unlock(&c->inv_gen_lock);
}

/* Docker's event stream makes a started, stopped or restarted container
 * known at once (the 1 s rescan is the fallback). Returns the stream's fd
 * to poll, or -1. */
static int docker_stream(struct ctl *c)
{
	time_t now = time(NULL);

	if (!c->docker)
		return -1;
	if (c->docker_up)
		return docker_events_fd(c->docker);
	if (now < c->docker_retry)
		return -1;
	c->docker_retry = now + 5;
	/* Replaces a broken stream; events missed meanwhile are covered by
	 * the rescan that follows any stream change. */
	c->docker_up = !docker_events_open(c->docker, NULL, 0);
	return c->docker_up ? docker_events_fd(c->docker) : -1;
}

/* Returns true if a container event came: time to rescan. */
static bool docker_events(struct ctl *c)
{
	struct docker_event ev[32];
	size_t n = 0;
	bool any = false;
	int r;

	do {
		r = docker_events_read(c->docker, ev, 32, &n);
		any |= n > 0;
	} while (!r && n == 32);
	if (r) { /* ended or broke: reopen soon, rescan now */
		c->docker_up = false;
		c->docker_retry = time(NULL) + 1;
	}
	return any || r;
}

static bool stopping(struct ctl *c)
{
	bool s;

	pthread_mutex_lock(&c->jobs_lock);
	s = c->stopping;
	pthread_mutex_unlock(&c->jobs_lock);
	return s;
}

static void *inventory_thread(void *arg)
{
	struct ctl *c = arg;
	struct inventory *scratch = malloc(sizeof(*scratch));
	struct pollfd pf[2] = { { c->inv_wake, POLLIN, 0 }, { -1, POLLIN, 0 } };

	if (!scratch)
		return NULL;
	rescan(c, &scratch);
	while (!stopping(c)) {
		uint64_t n;
		pf[1].fd = docker_stream(c);
		pf[1].revents = 0;
		if (poll(pf, 2, INVENTORY_RESCAN_MS) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			(void)!read(c->inv_wake, &n, sizeof(n));
		if (pf[1].revents && !docker_events(c) && !pf[0].revents)
			continue;
		if (!stopping(c))
			rescan(c, &scratch);
	}
	free(scratch);
	return NULL;
}

int ctl_inventory_start(struct ctl *c)
{
	pthread_mutex_init(&c->inv_gen_lock, NULL);
	pthread_cond_init(&c->inv_gen_cond, NULL);
	c->inv_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->inv_wake < 0 ||
	    pthread_create(&c->inv_thread, NULL, inventory_thread, c)) {
		if (c->inv_wake >= 0)
			close(c->inv_wake);
		c->inv_wake = -1;
		return -EAGAIN;
	}
	return 0;
}

void ctl_inventory_stop(struct ctl *c)
{
	uint64_t one = 1;

	if (c->inv_wake < 0)
		return;
	(void)!write(c->inv_wake, &one, sizeof(one));
	pthread_join(c->inv_thread, NULL);
	close(c->inv_wake);
	c->inv_wake = -1;
}

void ctl_request_rescan(struct ctl *c)
{
	uint64_t one = 1;

	if (c && c->inv_wake >= 0)
		(void)!write(c->inv_wake, &one, sizeof(one));
}

bool ctl_inventory_fresh(struct ctl *c, unsigned ms)
{
	struct timespec ts;
	uint64_t want;
	int r = 0;

	clock_deadline(&ts, ms);
	pthread_mutex_lock(&c->inv_gen_lock);
	/* A scan running now may have started before the call: then wait for
	 * the one after it. */
	want = c->inv_gen + (c->inv_scanning ? 2 : 1);
	ctl_request_rescan(c);
	while (c->inv_gen < want && r == 0)
		r = pthread_cond_timedwait(&c->inv_gen_cond, &c->inv_gen_lock, &ts);
	pthread_mutex_unlock(&c->inv_gen_lock);
	return r == 0;
}

/* ---- replies ---- */

static void add_isolation(cJSON *o, const struct iso_entry *e)
{
	cJSON *i = cJSON_AddObjectToObject(o, "isolation");

	cJSON_AddStringToObject(i, "state", e ? iso_state_name(e->state) : "none");
	if (!e)
		return;
	cJSON_AddStringToObject(i, "note", e->note);
	cJSON_AddStringToObject(i, "reason", e->reason);
	cJSON_AddNumberToObject(i, "since", (double)e->since);
}

static cJSON *container_json(const struct ctl *c, const struct container *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", k->id);
	cJSON_AddStringToObject(o, "name", k->name);
	cJSON_AddStringToObject(o, "runtime", k->runtime);
	cJSON_AddStringToObject(o, "image", k->image);
	cJSON_AddStringToObject(o, "image_id", k->image_id);
	cJSON_AddStringToObject(o, "state", k->running ? "running" : "stopped");
	cJSON_AddStringToObject(o, "veth", k->veth);
	cJSON_AddStringToObject(o, "bridge", k->bridge);
	if (k->host_network) /* no port, no address of its own */
		cJSON_AddStringToObject(o, "network", "host");
	json_add_addrs(o, "addrs", k->addrs, k->naddrs);
	add_isolation(o, isolation_find(c->iso, k->id));
	return o;
}

static void host_json(const struct ctl *c, cJSON *o)
{
	const char *br[CONFIG_IFS_MAX];
	size_t nbr = c->cfg->nifs;
	struct host_facts f;

	for (size_t i = 0; i < nbr; i++)
		br[i] = c->cfg->ifs[i];
	cJSON *h;

	if (host_facts_read(br, nbr, &f))
		return;
	h = cJSON_AddObjectToObject(o, "host");
	cJSON_AddStringToObject(h, "name", f.name);
	json_add_addrs(h, "inner", f.inner, f.ninner);
	json_add_addrs(h, "outer", f.outer, f.nouter);
}

/* ---- commands ---- */

/* The containers of the last scan, and the isolated ones not running. */
static void containers_add(struct ctl *c, cJSON *arr)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->inv->n; i++)
		cJSON_AddItemToArray(arr, container_json(c, &c->inv->c[i]));
	/* Isolated containers that are not running are shown too. */
	for (size_t i = 0; i < c->iso->n; i++) {
		const struct iso_entry *e = &c->iso->e[i];
		if (inventory_find(c->inv, e->id))
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", e->id);
		cJSON_AddStringToObject(x, "name", e->name);
		cJSON_AddStringToObject(x, "state", "absent");
		add_isolation(x, e);
		cJSON_AddItemToArray(arr, x);
	}
	pthread_mutex_unlock(&c->lock);
}

cJSON *ctl_containers(struct ctl *c)
{
	cJSON *arr = cJSON_CreateArray();

	if (arr)
		containers_add(c, arr);
	return arr;
}

cJSON *cmd_containers(struct ctl_req *r)
{
	struct ctl *c = r->c;
	cJSON *o = reply_ok(), *arr = cJSON_AddArrayToObject(o, "containers");

	ctl_inventory_fresh(c, 1500);
	containers_add(c, arr);
	host_json(c, o);
	return o;
}

/* A port is cut only while it is this container's: a fresh look at both
 * namespaces, not the last scan. A stopped container has no port. */
static bool port_still_ours(const struct ctl *c, const struct container *k)
{
	const char *br[BRIDGES_MAX];
	size_t nbr = bridges_of(c, &c->watch, br);

	return !k->veth[0] || !inventory_verify_port(k, br, nbr);
}

/* Under c->lock. The container key names, on its listed port now.
 * Returns 0, or a negative errno with err filled. */
static int isolate_target(const struct ctl *c, const char *key,
			  const struct container **ret, char *err,
			  size_t errlen)
{
	const struct container *k = inventory_find(c->inv, key);

	if (!k && inventory_matches(c->inv, key) > 1) {
		snprintf(err, errlen, "'%s' matches several containers: give "
			 "more of the id", key);
		return -ENOTUNIQ;
	}
	if (!k) {
		snprintf(err, errlen, "no container '%s' (name or id prefix; "
			 "see egressctl containers)", key);
		return -ENOENT;
	}
	if (k->host_network && k->running &&
	    !(c->hostnet && hostnet_can_isolate(c->hostnet) && k->cgroup_id)) {
		snprintf(err, errlen, "'%s' is on the host's network and this "
			 "kernel cannot match its sockets by cgroup (nft socket "
			 "cgroupv2 and a cgroup v2 hierarchy): not isolated",
			 k->name);
		return -EOPNOTSUPP;
	}
	if (!port_still_ours(c, k)) {
		snprintf(err, errlen, "'%s' is not on its listed port now: not "
			 "isolated (try again)", k->name);
		return -EAGAIN;
	}
	*ret = k;
	return 0;
}

/* Under c->lock. */
static int isolate_locked(struct ctl_req *r, const char *key,
			  const char *note, bool isolate,
			  struct ctl_isolated *ret, char *err, size_t errlen)
{
	struct ctl *c = r->c;
	const struct container *k;
	const struct iso_entry *e;
	char why[256];
	int rc;

	if (isolate) {
		rc = isolate_target(c, key, &k, err, errlen);
		if (!rc && (rc = isolation_isolate(c->iso, k, note, r->uid, why,
						   sizeof(why))))
			snprintf(err, errlen, "isolation failed: %s", why);
		if (rc)
			return rc;
		key = k->id;
	} else if ((rc = isolation_restore(c->iso, key, r->uid, err, errlen))) {
		return rc;
	}
	hostnet_step(c);
	e = isolation_find(c->iso, key);
	if (!e) { /* it was there a moment ago, under the same lock */
		snprintf(err, errlen, "'%s' vanished from the isolation state", key);
		return -ENOENT;
	}
	ret->entry = *e;
	ret->saved = !c->iso->unsaved;
	return 0;
}

static void isolate_log(const struct ctl_req *r, const struct ctl_isolated *d,
			const char *note, bool isolate)
{
	log_notice("uid %u %s %s (%s)%s%s\n", (unsigned)r->uid,
		   isolate ? "isolated" : "restored", d->entry.name,
		   iso_state_name(d->entry.state), note ? ": " : "",
		   note ? note : "");
	if (!d->saved)
		log_err("isolation state not saved to %s (full disk?): the "
			"kernel holds it, egressd saves it when it can\n",
			r->c->iso->path);
}

int ctl_isolate_key(struct ctl_req *r, const char *key, const char *note,
		    bool isolate, struct ctl_isolated *ret, char *err,
		    size_t errlen)
{
	struct ctl_isolated done;
	char what[300];
	int rc;

	/* The port cut must be the container's now, not a second ago. */
	if (isolate)
		ctl_inventory_fresh(r->c, 1500);
	pthread_mutex_lock(&r->c->lock);
	rc = isolate_locked(r, key, note, isolate, &done, err, errlen);
	pthread_mutex_unlock(&r->c->lock);
	if (rc)
		return rc;
	isolate_log(r, &done, note, isolate);
	snprintf(what, sizeof(what), "%s (%s)%s%s", done.entry.name,
		 done.entry.id, note ? ": " : "", note ? note : "");
	if (r->store)
		store_audit(r->store, r->uid, r->actor, isolate ? "isolate" : "unisolate",
			    what);
	*ret = done;
	return 0;
}

/* The reply of isolate and unisolate: the wire edge of ctl_isolate_key. */
static cJSON *isolate_reply(const struct ctl_isolated *d)
{
	cJSON *o = reply_ok();

	cJSON_AddStringToObject(o, "container", d->entry.name);
	cJSON_AddStringToObject(o, "id", d->entry.id);
	cJSON_AddStringToObject(o, "state", iso_state_name(d->entry.state));
	cJSON_AddBoolToObject(o, "saved", d->saved);
	return o;
}

static cJSON *isolate_cmd(struct ctl_req *r, bool isolate)
{
	const char *key = str_arg(r->req, "container"), *note;
	struct ctl_isolated done;
	char err[512];
	cJSON *o;

	if (!key)
		return reply_error("missing \"container\"", NULL);
	if (!note_arg(r->req, &note, &o))
		return o;
	if (ctl_isolate_key(r, key, note, isolate, &done, err, sizeof(err)))
		return reply_error("%s", err);
	return isolate_reply(&done);
}

cJSON *cmd_isolate(struct ctl_req *r)
{
	return isolate_cmd(r, true);
}

cJSON *cmd_unisolate(struct ctl_req *r)
{
	return isolate_cmd(r, false);
}
