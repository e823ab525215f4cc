// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/watch.h"

#include <stdio.h>
#include <string.h>

bool watch_match(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, name, n - 1);
	return !strcmp(pattern, name);
}

/* A port whose peer lives in another namespace: a container's veth. A
 * VM's tap has no peer, and a veth pair inside the host has no nsid. */
static bool foreign_port(const struct rtnl_link *l)
{
	return l->link_netnsid != RTNL_NSID_NONE;
}

static void add_ports(const struct rtnl_dump *host, struct watch_if *w,
		      uint32_t ifindex)
{
	for (size_t i = 0; i < host->nlinks; i++) {
		const struct rtnl_link *l = &host->links[i];
		if (l->master != ifindex)
			continue;
		if (w->nports < WATCH_PORTS_SHOWN)
			snprintf(w->ports[w->nports], sizeof(w->ports[0]),
				 "%s", l->name);
		w->nports++;
	}
}

static bool has_foreign_port(const struct rtnl_dump *host, uint32_t ifindex)
{
	for (size_t i = 0; i < host->nlinks; i++)
		if (host->links[i].master == ifindex &&
		    foreign_port(&host->links[i]))
			return true;
	return false;
}

static const char *pattern_of(const char *name, const char (*patterns)[16],
			      size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (watch_match(patterns[i], name))
			return patterns[i];
	return NULL;
}

void watch_resolve(const struct rtnl_dump *host, const char (*patterns)[16],
		   size_t npatterns, bool autodetect, struct watch_set *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < host->nlinks; i++) {
		const struct rtnl_link *l = &host->links[i];
		bool bridge = !strcmp(l->kind, "bridge");
		const char *p = pattern_of(l->name, patterns, npatterns);
		struct watch_if *w;

		if (!p && !(autodetect && bridge &&
			    has_foreign_port(host, l->ifindex)))
			continue;
		if (ret->n == WATCH_IFS_MAX) {
			ret->truncated = true;
			return;
		}
		w = &ret->ifs[ret->n++];
		snprintf(w->name, sizeof(w->name), "%s", l->name);
		snprintf(w->pattern, sizeof(w->pattern), "%s", p ? p : "auto");
		w->bridge = bridge;
		if (bridge)
			add_ports(host, w, l->ifindex);
	}
}

bool watch_has(const struct watch_set *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->ifs[i].name, name))
			return true;
	return false;
}

bool watch_same(const struct watch_set *a, const struct watch_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->ifs[i].name, b->ifs[i].name) ||
		    a->ifs[i].nports != b->ifs[i].nports)
			return false;
	return true;
}

void watch_text(const struct watch_set *w, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = 0;
	if (!w->n) {
		snprintf(buf, len, "none");
		return;
	}
	for (size_t i = 0; i < w->n && o < len; i++) {
		const struct watch_if *f = &w->ifs[i];
		int r = f->bridge
				? snprintf(buf + o, len - o, "%s%s (%s, %zu port%s)",
					   i ? ", " : "", f->name, f->pattern,
					   f->nports, f->nports == 1 ? "" : "s")
				: snprintf(buf + o, len - o, "%s%s (%s)",
					   i ? ", " : "", f->name, f->pattern);
		if (r < 0)
			return;
		o += (size_t)r;
	}
	if (w->truncated && o < len)
		snprintf(buf + o, len - o, ", and more");
}
