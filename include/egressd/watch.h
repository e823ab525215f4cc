/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which interfaces egressd watches now: the configured names and
 * patterns ("br-*") that exist, and with container_if = auto any bridge
 * with a port whose peer is in another network namespace (a container's
 * veth). Pure: works on an rtnetlink dump of the host. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/rtnl.h"

/* Interfaces shown with their ports, and ports named per interface: a
 * status line, not an inventory (`egressctl containers` is that). */
#define WATCH_IFS_MAX 64
#define WATCH_PORTS_SHOWN 8

struct watch_if {
	char name[16];
	char pattern[16]; /* the container_if it matched, "auto" if found */
	bool bridge;
	size_t nports; /* all of them */
	char ports[WATCH_PORTS_SHOWN][16]; /* the first ones */
};

struct watch_set {
	size_t n;
	bool truncated; /* more than WATCH_IFS_MAX */
	struct watch_if ifs[WATCH_IFS_MAX];
};

/* Does name match a container_if value (exact, or "prefix*")? */
bool watch_match(const char *pattern, const char *name);
/* Fills ret from the host's links. */
void watch_resolve(const struct rtnl_dump *host, const char (*patterns)[16],
		   size_t npatterns, bool autodetect, struct watch_set *ret);
/* Is an interface of that name in w? */
bool watch_has(const struct watch_set *w, const char *name);
/* Same interfaces, same ports count? (a change is logged) */
bool watch_same(const struct watch_set *a, const struct watch_set *b);
/* "br-1a2b (br-*, 3 ports), docker0 (docker0, 0 ports)" or "none". */
void watch_text(const struct watch_set *w, char *buf, size_t len);
