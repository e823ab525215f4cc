// SPDX-License-Identifier: GPL-2.0-or-later
/* A list file in every format, read strictly (the operator's own list) and
 * leniently (a feed). Accepted entries go into a set that is then built and
 * queried. Invariants, checked with abort() so that libFuzzer reports them:
 *  - every entry's line exists, lines come in order, the counts add up;
 *  - a lenient parse keeps its first invalid lines in order, passes nothing
 *    on from them, and loads only when at most LIST_INVALID_PERCENT_MAX of
 *    its rules were invalid and something was usable;
 *  - where the strict parse loads, the lenient one loads the same entries;
 *  - where the strict parse refuses at line L for a bad line, the lenient
 *    one skipped that line (its first invalid line is L, same message) and
 *    loaded the same entries before it; a file refused as a whole (binary,
 *    unclosed zone, nothing usable) is refused the same way by both. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "egressd/listfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Entries remembered per parse: beyond, only counted. */
#define REC_MAX 4096

struct rec {
	struct match_set *set; /* NULL: not built */
	unsigned n, last_line;
	bool in_order;
	unsigned line[REC_MAX];
	uint32_t hash[REC_MAX];
};

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "fuzz_list: %s:%d: %s\n", __FILE__,   \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t entry_hash(const struct list_entry *e)
{
	uint8_t head[3] = { (uint8_t)e->type, (uint8_t)e->kind, e->allow };
	uint32_t h = fnv(2166136261u, head, sizeof(head));

	if (e->type == LIST_DOMAIN)
		return fnv(h, e->name, strlen(e->name));
	h = fnv(h, &e->net, sizeof(e->net));
	return fnv(h, &e->plen, sizeof(e->plen));
}

static int add(const struct list_entry *e, void *ctx)
{
	struct rec *r = ctx;
	int x = 0;

	r->in_order = r->in_order && e->line >= r->last_line;
	r->last_line = e->line;
	if (r->n < REC_MAX) {
		r->line[r->n] = e->line;
		r->hash[r->n] = entry_hash(e);
	}
	r->n++;
	if (r->set && e->type == LIST_DOMAIN)
		x = match_set_add_domain(r->set, 0, e->name, e->kind);
	else if (r->set)
		x = match_set_add_cidr(r->set, 0, &e->net, e->plen);
	return x == -ENOMEM ? -ENOMEM : 0;
}

static void check_stats(const struct rec *r, const struct list_stats *st)
{
	CHECK(r->in_order);
	CHECK(r->n == st->entries);
	CHECK(st->domains + st->networks == st->entries);
	CHECK(!r->n || (r->line[0] >= 1 && r->last_line <= st->lines));
	CHECK(st->rules <= st->lines);
	CHECK(st->paths + st->modifiers <= st->skipped);
}

static void check_lenient(const struct rec *r, const struct list_stats *st,
			  int ret)
{
	unsigned kept = st->invalid < LIST_INVALID_KEPT ? st->invalid
							 : LIST_INVALID_KEPT;

	CHECK(st->invalid <= st->rules);
	for (unsigned i = 0; i < kept; i++) {
		unsigned l = st->first_invalid[i].line;
		CHECK(l >= 1 && l <= st->lines);
		CHECK(!i || l > st->first_invalid[i - 1].line);
		for (unsigned k = 0; k < r->n && k < REC_MAX; k++)
			CHECK(r->line[k] != l);
	}
	if (!ret) {
		CHECK(st->entries > 0);
		CHECK((unsigned long long)st->invalid * 100 <=
		      (unsigned long long)st->rules * LIST_INVALID_PERCENT_MAX);
	}
}

/* a's entries below line upto (0: all of them) are b's first ones. */
static void check_same_prefix(const struct rec *a, const struct rec *b,
			      unsigned upto)
{
	unsigned i;

	for (i = 0; i < a->n && i < REC_MAX; i++) {
		if (upto && a->line[i] >= upto)
			break;
		CHECK(i < b->n);
		CHECK(a->line[i] == b->line[i] && a->hash[i] == b->hash[i]);
	}
	/* and no more of them in b */
	CHECK(!upto || i >= b->n || i >= REC_MAX || b->line[i] >= upto);
}

static void compare(const struct rec *strict, const struct list_stats *s1,
		    const struct list_error *e1, int r1,
		    const struct rec *lenient, const struct list_stats *s2,
		    const struct list_error *e2, int r2)
{
	if (!r1 && s1->entries) {
		CHECK(!r2 && !s2->invalid && s2->entries == s1->entries);
		check_same_prefix(strict, lenient, 0);
	} else if (!r1) {
		CHECK(r2 == -EINVAL && !e2->line); /* nothing usable */
	} else if (!s2->invalid) { /* refused as a whole by both */
		CHECK(r2 == r1 && e2->line == e1->line);
		CHECK(!strcmp(e2->msg, e1->msg));
	} else {
		CHECK(e1->line && s2->first_invalid[0].line == e1->line);
		CHECK(!strcmp(s2->first_invalid[0].msg, e1->msg));
		check_same_prefix(strict, lenient, e1->line);
	}
}

static void query(struct match_set *s)
{
	struct ip_addr a = { .family = AF_INET };

	if (match_set_finish(s) < 0)
		return;
	match_domain(s, "a.b.example.com", 15, NULL);
	match_ip(s, &a, NULL);
}

static void run(const uint8_t *data, size_t size, enum list_format f,
		unsigned flags)
{
	static struct rec strict, lenient;
	struct list_stats s1, s2;
	struct list_error e1, e2;
	int r1, r2;

	memset(&strict, 0, offsetof(struct rec, line));
	memset(&lenient, 0, offsetof(struct rec, line));
	strict.in_order = lenient.in_order = true;
	lenient.set = match_set_new();
	if (!lenient.set)
		return;
	match_set_add_source(lenient.set, "fuzz", "custom", true);
	r1 = list_parse((const char *)data, size, f, flags, add, &strict, &s1,
			&e1);
	r2 = list_parse((const char *)data, size, f, flags | LIST_LENIENT, add,
			&lenient, &s2, &e2);
	if (r1 != -ENOMEM && r2 != -ENOMEM) {
		check_stats(&strict, &s1);
		check_stats(&lenient, &s2);
		check_lenient(&lenient, &s2, r2);
		compare(&strict, &s1, &e1, r1, &lenient, &s2, &e2, r2);
	}
	if (!r2)
		query(lenient.set);
	match_set_free(lenient.set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Both kinds of list: a blacklist (allow rules ignored) when the
	 * input's size is odd, a whitelist when even. */
	unsigned flags = LIST_STRIP_BOGONS | (size & 1 ? LIST_NO_ALLOW : 0);
	char out[64];

	list_header_value((const char *)data, size, "category", out,
			  sizeof(out));
	for (int f = LIST_FMT_AUTO; f <= LIST_FMT_WILDCARD; f++)
		run(data, size, (enum list_format)f, flags);
	return 0;
}
