// SPDX-License-Identifier: GPL-2.0-or-later
#include "policyload.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* List files in the system lists directory, and imported feeds, taken at
 * most: a bound on one build's work. */
#define SYSTEM_LISTS_MAX 256

struct specs {
	struct list_spec v[CONFIG_LISTS_MAX + 4 + 2 * SYSTEM_LISTS_MAX];
	size_t n;
	char *owned[2 * SYSTEM_LISTS_MAX + 4]; /* strings to free */
	size_t nowned;
};

static char *keep(struct specs *s, char *p)
{
	if (p)
		s->owned[s->nowned++] = p;
	return p;
}

/* The shipped threat intel: every regular file in dir, its category from
 * its "# egressd-category:" line. */
static void add_system(struct specs *s, const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[600];
	unsigned k = 0;

	while (d && (de = readdir(d)) && k++ < SYSTEM_LISTS_MAX) {
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		snprintf(path, sizeof(path), "%.300s/%.250s", dir, de->d_name);
		s->v[s->n++] = (struct list_spec){
			.path = keep(s, strdup(path)),
			.system = true,
			.flags = LIST_STRIP_BOGONS,
		};
	}
	if (d)
		closedir(d);
}

static void add_imports(struct specs *s, struct store *st)
{
	cJSON *im = store_imports_get(st), *it;
	unsigned k = 0;

	cJSON_ArrayForEach(it, im)
	{
		struct list_spec sp = { .system = true, .flags = LIST_STRIP_BOGONS };
		if (k++ == SYSTEM_LISTS_MAX)
			break;
		sp.path = keep(s, strdup(cJSON_GetObjectItem(it, "path")->valuestring));
		sp.category = keep(s, strdup(cJSON_GetObjectItem(it, "category")->valuestring));
		list_format_parse(cJSON_GetObjectItem(it, "format")->valuestring,
				  &sp.format);
		s->v[s->n++] = sp;
	}
	cJSON_Delete(im);
}

/* The store's own entries as four in-memory lists: custom black and
 * white, domains and networks (the list formats keep them apart). */
static int add_custom(struct specs *s, struct store *st)
{
	char *text[4] = { 0 };

	if (store_list_text(st, "black", &text[0], &text[1]) ||
	    store_list_text(st, "white", &text[2], &text[3]))
		return -EIO;
	for (int i = 0; i < 4; i++)
		s->v[s->n++] = (struct list_spec){
			.path = "custom",
			.text = keep(s, text[i]),
			.format = i % 2 ? LIST_FMT_CIDR : LIST_FMT_DOMAINS,
			.white = i >= 2,
			.category = "custom",
		};
	return 0;
}

int policy_load(const struct config *cfg, struct store *st, struct policy *ret,
		char *err, size_t errlen)
{
	struct specs *s = calloc(1, sizeof(*s));
	int r = 0;

	if (!s)
		return -ENOMEM;
	if (cfg->system_lists[0])
		add_system(s, cfg->system_lists);
	memcpy(s->v + s->n, cfg->lists, cfg->nlists * sizeof(s->v[0]));
	s->n += cfg->nlists;
	if (st) {
		add_imports(s, st);
		if (add_custom(s, st)) {
			snprintf(err, errlen,
				 "cannot read the list entries from the store");
			r = -EIO;
		}
	}
	if (!r)
		r = policy_build(s->v, s->n, ret, NULL, err, errlen);
	for (size_t i = 0; i < s->nowned; i++)
		free(s->owned[i]);
	free(s);
	return r;
}
