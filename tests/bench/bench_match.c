// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_match LIST HITS MISSES: builds the blacklist from LIST (the real
 * list-file path: read, parse, validate, build) and times lookups of the
 * names in HITS (all must match) and MISSES (none may). Prints one JSON
 * object. Used by scripts/bench-match.sh.
 *
 * Lookup rates are given twice: per second of wall time (the headline
 * figure) and per second of this thread's CPU time ("_cpu_"), which a
 * shared, loaded machine disturbs less: time spent descheduled does not
 * count (cache pollution by the other tenants still does). */
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

/* Looks every name up `rounds` times; returns lookups per second of wall
 * time, and in *cpu_rate per second of thread CPU time. */
static double run(const struct match_set *s, const struct names *nm,
		  size_t *hits, double *cpu_rate)
{
	double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), dt;
	size_t rounds = 0, h = 0;

	do {
		for (size_t i = 0; i < nm->n; i++)
			h += match_domain(s, nm->v[i], nm->len[i], NULL);
		rounds++;
		dt = now_s() - t0;
	} while (dt < 1.0 && rounds < 100);
	*hits = h / rounds;
	*cpu_rate = (double)(nm->n * rounds) /
		    (clock_s(CLOCK_THREAD_CPUTIME_ID) - c0);
	return (double)(nm->n * rounds) / dt;
}

int main(int argc, char **argv)
{
	struct list_spec spec = { .format = LIST_FMT_DOMAINS };
	struct names hit, miss;
	struct policy p;
	char err[512];
	double t0, build, hit_rate, miss_rate, hit_cpu, miss_cpu;
	size_t nh, nm, n;

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
	hit_rate = run(p.black, &hit, &nh, &hit_cpu);
	miss_rate = run(p.black, &miss, &nm, &miss_cpu);
	n = match_set_domains(p.black);
	if (nh != hit.n || nm != 0) {
		fprintf(stderr, "bench_match: wrong results: %zu/%zu hits, "
			"%zu/%zu misses matched\n", nh, hit.n, nm, miss.n);
		return 1;
	}
	printf("{\"entries\":%zu,\"build_s\":%.3f,\"bytes_per_entry\":%.1f,"
	       "\"rss_kb\":%ld,\"hit_lookups_per_s\":%.0f,"
	       "\"miss_lookups_per_s\":%.0f,\"hit_cpu_lookups_per_s\":%.0f,"
	       "\"miss_cpu_lookups_per_s\":%.0f}\n",
	       n, build, (double)match_set_domain_bytes(p.black) / (double)n,
	       rss, hit_rate, miss_rate, hit_cpu, miss_cpu);
	policy_free(&p);
	return 0;
}
