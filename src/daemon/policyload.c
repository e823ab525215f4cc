// SPDX-License-Identifier: GPL-2.0-or-later
#include "policyload.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/grow.h"
#include "egressd/match.h"
#include "egressd/nft.h"

/* List files taken from the system lists directory: a bound on one
 * build's work when the directory is not what it should be. */
#define SYSTEM_LISTS_MAX 256

/* The specs of one build, and the strings they point to. Both grow as
 * needed: nothing here has a fixed count to overflow. */
struct specs {
	struct list_spec *v;
	size_t n, cap;
	char **owned;
	size_t nowned, capowned;
};

static int add(struct specs *s, const struct list_spec *sp)
{
	if (array_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)))
		return -ENOMEM;
	s->v[s->n++] = *sp;
	return 0;
}

/* Keeps p to free it with the specs; NULL stays NULL (out of memory). */
static char *keep(struct specs *s, char *p)
{
	if (!p || array_grow((void **)&s->owned, &s->capowned, s->nowned + 1,
		       sizeof(*s->owned))) {
		free(p);
		return NULL;
	}
	s->owned[s->nowned++] = p;
	return p;
}

/* The shipped threat intel: every regular file in dir, its category from
 * its "# egressd-category:" line. */
static int add_system(struct specs *s, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[600];
	unsigned k = 0;
	int r = 0;

	while (!r && d && (de = readdir(d)) && k++ < SYSTEM_LISTS_MAX) {
		struct list_spec sp = { .system = true,
					.flags = LIST_STRIP_BOGONS };
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%.300s/%.250s", dir, de->d_name);
		sp.path = keep(s, strdup(path));
		r = sp.path ? add(s, &sp) : -ENOMEM;
	}
	if (d)
		closedir(d);
	return r;
}

static int add_imports(struct specs *s, struct store *st)
{
	struct store_imports im;
	int r = 0;

	if (store_imports_get(st, &im))
		return -EIO; /* never a policy without the feeds it could not read */
	for (size_t i = 0; !r && i < im.n; i++) {
		struct list_spec sp = { .system = true,
					.flags = LIST_STRIP_BOGONS,
					.white = im.v[i].white };
		sp.path = keep(s, strdup(im.v[i].path));
		sp.category = keep(s, strdup(im.v[i].category));
		if (list_format_parse(im.v[i].format, &sp.format))
			sp.format = LIST_FMT_AUTO;
		r = sp.path && sp.category ? add(s, &sp) : -ENOMEM;
	}
	store_imports_release(&im);
	return r;
}

/* Entries of the store as four in-memory lists named `name`: black and
 * white, domains and networks (the list formats keep them apart). */
static int add_entries(struct specs *s, struct store *st, const char *name,
		       int (*text_of)(struct store *, const char *, char **,
				      char **))
{
	char *text[4] = { 0 };
	int r = 0;

	if (text_of(st, "black", &text[0], &text[1]) ||
	    text_of(st, "white", &text[2], &text[3]))
		r = -EIO;
	for (int i = 0; i < 4; i++) {
		struct list_spec sp = {
			.path = name,
			.text = keep(s, text[i]),
			.format = i % 2 ? LIST_FMT_CIDR : LIST_FMT_DOMAINS,
			.white = i >= 2,
			.category = name,
		};
		if (!r && (!sp.text || add(s, &sp)))
			r = -ENOMEM;
	}
	return r;
}

/* The operator's own entries, strict. */
static int add_custom(struct specs *s, struct store *st)
{
	return add_entries(s, st, "custom", store_list_text);
}

/* The fleet's central entries (README: Fleet), from their local copy: a
 * white one may allow, like the operator's own. Strict as those: the
 * fleet thread copies only patterns that load (pattern_check). */
static int add_central(struct specs *s, struct store *st)
{
	return add_entries(s, st, "central", store_fleet_list_text);
}

static int collect(const struct config *cfg, struct store *st,
		   struct specs *s, char *err, size_t errlen)
{
	int r = 0;

	if (cfg->system_lists[0])
		r = add_system(s, cfg->system_lists);
	for (size_t i = 0; !r && i < cfg->nlists; i++)
		r = add(s, &cfg->lists[i]);
	if (!r && st && (r = add_imports(s, st)) == -EIO) {
		snprintf(err, errlen, "cannot read the imported feeds from the "
			 "store");
		return r;
	}
	if (!r && st && (r = add_custom(s, st)) == -EIO) {
		snprintf(err, errlen, "cannot read the list entries from the store");
		return r;
	}
	if (!r && st && cfg->fleet_dsn[0] &&
	    (r = add_central(s, st)) == -EIO) {
		snprintf(err, errlen, "cannot read the central list entries "
			 "from the store");
		return r;
	}
	if (r)
		snprintf(err, errlen, "out of memory collecting the lists");
	return r;
}

/* What the feeds lost is said, each time the lists are built: a feed
 * left out, and the lines skipped in the others (the first with its
 * number). */
static void report_feeds(const struct list_spec *specs,
			 const struct list_report *reps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct list_report *r = &reps[i];
		if (!specs[i].system)
			continue;
		if (r->refused)
			log_warn("feed LEFT OUT: %s\n", r->error);
		else if (r->stats.invalid)
			log_warn("feed %s: %u invalid lines "
				"skipped (first at line %u: %s)\n", r->path,
				r->stats.invalid, r->stats.first_invalid[0].line,
				r->stats.first_invalid[0].msg);
	}
}

int policy_load(const struct config *cfg, struct store *st, struct policy *ret,
		char *err, size_t errlen)
{
	struct specs s = { 0 };
	struct list_report *reps = NULL;
	int r = collect(cfg, st, &s, err, errlen);

	if (!r && !(reps = calloc(s.n ? s.n : 1, sizeof(*reps)))) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
	}
	if (!r)
		r = policy_build(s.v, s.n, ret, reps, err, errlen);
	if (!r)
		report_feeds(s.v, reps, s.n);
	free(reps);
	for (size_t i = 0; i < s.nowned; i++)
		free(s.owned[i]);
	free(s.owned);
	free(s.v);
	return r;
}

int policy_listed_sync(const struct policy *p, char *err, size_t errlen)
{
	size_t n = p->black ? match_set_networks(p->black) : 0, k = 0;
	struct ip_addr *nets = calloc(n ? n : 1, sizeof(*nets));
	unsigned *plens = calloc(n ? n : 1, sizeof(*plens));
	int r = -ENOMEM;

	if (nets && plens) {
		for (size_t i = 0; i < n; i++)
			if (!match_set_network(p->black, i, &nets[k], &plens[k]))
				k++;
		r = nft_listed_replace(nets, plens, k, err, errlen);
	} else {
		snprintf(err, errlen, "out of memory");
	}
	free(nets);
	free(plens);
	return r;
}
