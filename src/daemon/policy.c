// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/policy.h"

#include "egressd/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct load_ctx {
	struct policy *p;
	const struct list_spec *spec;
	const char *source;
	const char *category;
	int src_white, src_black;
};

static int source_for(struct load_ctx *c, struct match_set *s, int *idx)
{
	if (*idx < 0)
		*idx = match_set_add_source(s, c->source, c->category,
					    c->spec->system);
	return *idx;
}

static int on_entry(const struct list_entry *e, void *opaque)
{
	struct load_ctx *c = opaque;
	bool white = c->spec->white; /* a blacklist passes no allows */
	struct match_set *s = white ? c->p->white : c->p->black;
	int src = source_for(c, s, white ? &c->src_white : &c->src_black);

	if (src < 0)
		return src;
	if (e->type == LIST_DOMAIN)
		return match_set_add_domain(s, src, e->name, e->kind);
	return match_set_add_cidr(s, src, &e->net, e->plen);
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* A blacklist passes no allow rules on; a third-party feed is lenient,
 * the operator's own file strict. */
static unsigned load_flags(const struct list_spec *spec)
{
	return spec->flags | (spec->white ? 0 : LIST_NO_ALLOW) |
	       (spec->system ? LIST_LENIENT : 0);
}

static int no_entry(const struct list_entry *e, void *opaque)
{
	(void)e;
	(void)opaque;
	return 0;
}

static int load_one(struct policy *p, const struct list_spec *spec,
		    struct list_report *rep, char *err, size_t errlen)
{
	struct load_ctx c = { .p = p, .spec = spec, .src_white = -1,
			      .src_black = -1 };
	struct list_error le;
	char category[64] = "custom";
	char *buf;
	size_t len;
	int r;

	snprintf(rep->path, sizeof(rep->path), "%s", spec->path);
	if (spec->text) {
		buf = strdup(spec->text);
		len = buf ? strlen(buf) : 0;
		r = buf ? 0 : -ENOMEM;
	} else {
		r = file_read_all(spec->path, &buf, &len);
	}
	if (r) {
		snprintf(err, errlen, "%s: %s", spec->path, file_strerror(r));
		return r;
	}
	if (spec->category)
		snprintf(category, sizeof(category), "%s", spec->category);
	else
		list_header_value(buf, len, "category", category,
				  sizeof(category));
	c.source = base_name(spec->path);
	c.category = category;
	/* A feed is checked whole first: refused, none of it is in the sets. */
	r = spec->system ? list_parse(buf, len, spec->format, load_flags(spec),
				      no_entry, NULL, &rep->stats, &le)
			 : 0;
	if (!r)
		r = list_parse(buf, len, spec->format, load_flags(spec),
			       on_entry, &c, &rep->stats, &le);
	free(buf);
	snprintf(rep->category, sizeof(rep->category), "%s", category);
	if (r == -EINVAL && le.msg[0] && le.line)
		snprintf(err, errlen, "%s:%u: %s", spec->path, le.line, le.msg);
	else if (r == -EINVAL && le.msg[0])
		snprintf(err, errlen, "%s: %s", spec->path, le.msg);
	else if (r)
		snprintf(err, errlen, "%s: %s", spec->path, strerror(-r));
	return r;
}

int policy_build(const struct list_spec *specs, size_t n, struct policy *ret,
		 struct list_report *reports, char *err, size_t errlen)
{
	struct policy p = { match_set_new(), match_set_new() };
	struct list_report dummy;
	int r = 0, d;

	if (!p.white || !p.black) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct list_report *rep = reports ? &reports[i] : &dummy;
		memset(rep, 0, sizeof(*rep));
		r = load_one(&p, &specs[i], rep, err, errlen);
		if (r && r != -ENOMEM && specs[i].system) {
			rep->refused = true;
			snprintf(rep->error, sizeof(rep->error), "%s", err);
			err[0] = 0;
			r = 0;
		}
		if (r)
			goto fail;
	}
	d = match_set_finish(p.white);
	r = d < 0 ? d : match_set_finish(p.black);
	if (r < 0) {
		snprintf(err, errlen, "out of memory building the lists");
		goto fail;
	}
	*ret = p;
	return 0;
fail:
	policy_free(&p);
	return r;
}

void policy_free(struct policy *p)
{
	match_set_free(p->white);
	match_set_free(p->black);
	p->white = p->black = NULL;
}
