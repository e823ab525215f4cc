// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/hostnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/nft.h"

static bool wants_cut(const struct isolation *iso, const char *id)
{
	const struct iso_entry *e = isolation_find(iso, id);

	return e && (e->state == ISO_ISOLATING || e->state == ISO_ISOLATED ||
		     e->state == ISO_ISOLATE_FAILED);
}

static bool has_id(const struct hostnet_set *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->cg[i].id == id)
			return true;
	return false;
}

void hostnet_collect(const struct inventory *inv, const struct isolation *iso,
		     struct hostnet_set *ret)
{
	ret->n = 0;
	ret->levels = 0;
	for (size_t i = 0; i < inv->n; i++) {
		const struct container *c = &inv->c[i];
		if (!c->host_network || !c->running || !c->cgroup_id ||
		    !c->cgroup_level || c->cgroup_level > HOSTNET_LEVEL_MAX)
			continue;
		if (iso && !wants_cut(iso, c->id))
			continue;
		if (has_id(ret, c->cgroup_id))
			continue;
		ret->cg[ret->n++] =
		    (struct hostnet_cg){c->cgroup_id, c->cgroup_level};
		ret->levels |= 1u << c->cgroup_level;
	}
}

size_t hostnet_minus(const struct hostnet_set *a, const struct hostnet_set *b,
		     uint64_t *ret)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++)
		if (!has_id(b, a->cg[i].id))
			ret[n++] = a->cg[i].id;
	return n;
}

int hostnet_init(struct hostnet *h, bool watch, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	h->watch = watch;
	h->can_match = !nft_probe_socket_cgroup(err, errlen);
	err[0] = 0;
	/* watch: every host socket, from the start */
	if (watch)
		return nft_host_chain("host_select_out", "host_cgroups", 0,
				      true, "jump host_out", err, errlen)
			   ?: nft_host_chain("host_select_in", "host_cgroups",
					     0, true, "jump host_in", err,
					     errlen);
	return 0;
}

bool hostnet_can_isolate(const struct hostnet *h)
{
	return h->can_match;
}

/* One set in step: new ids in first, the chains, then old ids out (a
 * socket in a container that stays is never unselected on the way). */
static int set_step(const char *set, const struct hostnet_set *now,
		    const struct hostnet_set *want, const char *out_chain,
		    const char *in_chain, const char *out_verdict,
		    const char *in_verdict, bool every, bool first,
		    bool *changed, char *err, size_t errlen)
{
	static uint64_t ids[INVENTORY_MAX];
	size_t n = hostnet_minus(want, now, ids);
	int r = 0;

	if (n)
		r = nft_cgroups_update(set, ids, n, true, err, errlen);
	*changed = n > 0;
	if (!r && !every && (want->levels != now->levels || first)) {
		r = nft_host_chain(out_chain, set, want->levels, false,
				   out_verdict, err, errlen)
			?: nft_host_chain(in_chain, set, want->levels, false,
					  in_verdict, err, errlen);
		*changed = true;
	}
	n = r ? 0 : hostnet_minus(now, want, ids);
	if (n) {
		r = nft_cgroups_update(set, ids, n, false, err, errlen);
		/* already gone (a sync that failed half way): no error,
		 * or every later sync would fail on it */
		if (r == -ENOENT)
			r = 0;
		*changed = true;
	}
	return r;
}

int hostnet_sync(struct hostnet *h, const struct inventory *inv,
		 const struct isolation *iso, char *err, size_t errlen)
{
	static struct hostnet_set sel, cut;
	bool c1 = false, c2 = false;
	int r;

	if (!h->can_match)
		return 0;
	hostnet_collect(inv, NULL, &sel);
	hostnet_collect(inv, iso, &cut);
	r = set_step("host_cgroups", &h->sel, &sel, "host_select_out",
		     "host_select_in", "jump host_out", "jump host_in",
		     h->watch, !h->synced, &c1, err, errlen);
	if (!r)
		r = set_step("isolated_cgroups", &h->cut, &cut, "host_cut_out",
			     "host_cut_in", "drop", "drop", false, !h->synced,
			     &c2, err, errlen);
	if (r) {
		h->synced = false;
		return r;
	}
	h->sel = sel;
	h->cut = cut;
	h->synced = true;
	return c1 + c2;
}
