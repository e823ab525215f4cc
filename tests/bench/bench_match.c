// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_match LIST HITS MISSES: builds the blacklist from LIST (the real
 * list-file path: read, parse, validate, build) and times lookups of the
 * names in HITS (all must match) and MISSES (none may), three ways: one
 * name a match_domain call ("hit_lookups_per_s"), BATCH_MAX names a
 * match_domains call ("hit_batch_..."), and BATCH_FEW names a call
 * ("hit_few_...", what the engine has at once). Prints one JSON object.
 * Used by scripts/bench-match.sh.
 *
 * Lookup rates are given twice: per second of wall time (the headline
 * figure) and per second of this thread's CPU time ("_cpu_"), which a
 * shared, loaded machine disturbs less: time spent descheduled does not
 * count (cache pollution by the other tenants still does). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egressd/fileio.h"
#include "egressd/policy.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* Names a match_domains call in the batch runs: a long run of names, as
 * a caller with many at hand would pass; and a few, as the engine has for
 * one DNS answer (its question and CNAME chain) or one flow. */
#define BATCH_MAX 64
#define BATCH_FEW 4

struct names {
	char *buf;
	char **v;
	size_t *len;
	size_t n;
};

static int names_load(const char *path, struct names *ret)
{
	size_t len, cap = 1024;
	char *p;

	if (file_read_all(path, &ret->buf, &len))
		return -1;
	ret->v = malloc(cap * sizeof(char *));
	ret->len = malloc(cap * sizeof(size_t));
	ret->n = 0;
	for (p = strtok(ret->buf, "\n"); p; p = strtok(NULL, "\n")) {
		if (ret->n == cap) {
			cap *= 2;
			ret->v = realloc(ret->v, cap * sizeof(char *));
			ret->len = realloc(ret->len, cap * sizeof(size_t));
		}
		ret->len[ret->n] = strlen(p);
		ret->v[ret->n++] = p;
	}
	return ret->n ? 0 : -1;
}

/* Looks the names nm->v[i..i+m) up: one match_domain call a name
 * (batch 0) or one match_domains call for up to batch names. */
static size_t look_up(const struct match_set *s, const struct names *nm,
		      size_t i, size_t m, size_t batch)
{
	bool found[BATCH_MAX];
	size_t h = 0;

	if (!batch) {
		for (size_t j = i; j < i + m; j++)
			h += match_domain(s, nm->v[j], nm->len[j], NULL);
		return h;
	}
	match_domains(s, (const char *const *)nm->v + i, nm->len + i, m,
		      found, NULL);
	for (size_t j = 0; j < m; j++)
		h += found[j];
	return h;
}

/* Looks every name up `rounds` times, batch names a call (0: one name a
 * match_domain call); returns lookups per second of wall time, and in
 * *cpu_rate per second of thread CPU time. */
static double run(const struct match_set *s, const struct names *nm,
		  size_t batch, size_t *hits, double *cpu_rate)
{
	double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), dt;
	size_t rounds = 0, h = 0, step = batch ? batch : nm->n;

	do {
		for (size_t i = 0; i < nm->n; i += step)
			h += look_up(s, nm, i,
				     nm->n - i < step ? nm->n - i : step,
				     batch);
		rounds++;
		dt = now_s() - t0;
	} while (dt < 1.0 && rounds < 100);
	*hits = h / rounds;
	*cpu_rate = (double)(nm->n * rounds) /
		    (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
	return (double)(nm->n * rounds) / dt;
}

/* The rates of one way of calling: hits and misses, wall and CPU time. */
struct rates {
	double hit, miss, hit_cpu, miss_cpu;
};

static int measure(const struct match_set *s, const struct names *hit,
		   const struct names *miss, size_t batch, struct rates *r)
{
	size_t nh, nm;

	r->hit = run(s, hit, batch, &nh, &r->hit_cpu);
	r->miss = run(s, miss, batch, &nm, &r->miss_cpu);
	if (nh == hit->n && nm == 0)
		return 0;
	fprintf(stderr, "bench_match: wrong results (batch %zu): %zu/%zu "
		"hits, %zu/%zu misses matched\n", batch, nh, hit->n, nm,
		miss->n);
	return -1;
}

static void print_rates(const char *tag, const struct rates *r)
{
	printf(",\"hit%s_lookups_per_s\":%.0f,\"miss%s_lookups_per_s\":%.0f,"
	       "\"hit%s_cpu_lookups_per_s\":%.0f,"
	       "\"miss%s_cpu_lookups_per_s\":%.0f",
	       tag, r->hit, tag, r->miss, tag, r->hit_cpu, tag, r->miss_cpu);
}

int main(int argc, char **argv)
{
	struct list_spec spec = { .format = LIST_FMT_DOMAINS };
	struct names hit, miss;
	struct rates one, many, few;
	struct policy p;
	char err[512];
	double t0, build;
	size_t n;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_match LIST HITS MISSES\n");
		return 2;
	}
	spec.path = argv[1];
	t0 = now_s();
	if (policy_build(&spec, 1, &p, NULL, err, sizeof(err))) {
		fprintf(stderr, "bench_match: %s\n", err);
		return 1;
	}
	build = now_s() - t0;
	long rss = rss_kb();
	if (names_load(argv[2], &hit) || names_load(argv[3], &miss)) {
		fprintf(stderr, "bench_match: cannot read lookup names\n");
		return 1;
	}
	if (measure(p.black, &hit, &miss, 0, &one) ||
	    measure(p.black, &hit, &miss, BATCH_MAX, &many) ||
	    measure(p.black, &hit, &miss, BATCH_FEW, &few))
		return 1;
	n = match_set_domains(p.black);
	printf("{\"entries\":%zu,\"build_s\":%.3f,\"bytes_per_entry\":%.1f,"
	       "\"rss_kb\":%ld,\"batch\":%d,\"batch_few\":%d",
	       n, build, (double)match_set_domain_bytes(p.black) / (double)n,
	       rss, BATCH_MAX, BATCH_FEW);
	print_rates("", &one);
	print_rates("_batch", &many);
	print_rates("_few", &few);
	printf("}\n");
	policy_free(&p);
	return 0;
}
