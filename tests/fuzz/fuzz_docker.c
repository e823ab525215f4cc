// SPDX-License-Identifier: GPL-2.0-or-later
/* What is left of the Docker client to parse after libcurl has taken the
 * HTTP: dockerd's JSON (container list, inspect, event, error) and the
 * event stream's line splitter. Invariants, a failure aborts:
 *
 * - every string a parser fills is NUL-terminated within its field; ids
 *   are 64 lowercase hex digits; an action has no ':'; a pid is >= 0; an
 *   error message has no control character;
 * - the splitter gives the same events, in the same order, with the same
 *   count of skipped lines, fed whole, cut at any one byte, or in pieces
 *   of sizes the input picks; and exactly what docker_parse_event() gives
 *   on each whole line cut by hand (the last unfinished one left out);
 * - it never holds more than one line plus the piece being fed.
 *
 * Each input goes through all of them; the splitter runs with the real
 * line limit and with a small one the input picks, so that the skipping
 * of over-long lines is reached with small inputs. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

/* Cuts at every byte: up to this size (the harness is O(n^2) in it). */
#define EVERY_CUT_MAX 1024

static bool is_id(const char *id)
{
	if (strnlen(id, DOCKER_ID_LEN + 1) != DOCKER_ID_LEN)
		return false;
	for (size_t i = 0; i < DOCKER_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

#define IN_FIELD(s) (strnlen((s), sizeof(s)) < sizeof(s))

static void check_event(const struct docker_event *e)
{
	CHECK(is_id(e->id));
	CHECK(IN_FIELD(e->action) && IN_FIELD(e->name));
	CHECK(e->action[0] && !strchr(e->action, ':'));
	CHECK(e->exit_code >= -1);
	CHECK(e->time_ns >= 0);
}

static void fuzz_json(const char *p, size_t len)
{
	char ids[8][DOCKER_ID_LEN + 1], msg[128];
	struct docker_container c;
	struct docker_event e;
	size_t n = 99;
	int r;

	r = docker_parse_ids(p, len, ids, 8, &n);
	CHECK(!r || r == -ENOBUFS || r == -EBADMSG);
	if (r != -EBADMSG) {
		CHECK(n <= 8 && (r != -ENOBUFS || n == 8));
		for (size_t i = 0; i < n; i++)
			CHECK(is_id(ids[i]));
	}
	if (!docker_parse_container(p, len, &c)) {
		CHECK(is_id(c.id) && IN_FIELD(c.name) && IN_FIELD(c.image) &&
		      IN_FIELD(c.image_id));
		CHECK(c.pid >= 0);
	}
	r = docker_parse_event(p, len, &e);
	CHECK(!r || r == -ENOENT || r == -EBADMSG || r == -ENAMETOOLONG);
	if (!r)
		check_event(&e);
	if (!docker_parse_error(p, len, msg, sizeof(msg))) {
		CHECK(IN_FIELD(msg));
		for (const char *q = msg; *q; q++)
			CHECK((unsigned char)*q >= 0x20 && *q != 0x7f);
	}
}

/* The events of one run, to compare runs. */
struct digest {
	uint64_t h;
	size_t n;
	uint64_t skipped;
};

static void digest_bytes(struct digest *d, const void *p, size_t n)
{
	const unsigned char *q = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ q[i]) * 1099511628211u; /* FNV-1a */
}

static void digest_add(struct digest *d, const struct docker_event *e)
{
	check_event(e);
	digest_bytes(d, e->id, strlen(e->id) + 1);
	digest_bytes(d, e->action, strlen(e->action) + 1);
	digest_bytes(d, e->name, strlen(e->name) + 1);
	digest_bytes(d, &e->exit_code, sizeof(e->exit_code));
	digest_bytes(d, &e->time_ns, sizeof(e->time_ns));
	d->n++;
}

/* Feeds p[0..len) to s and takes every event. */
static void feed_take(struct docker_event_stream *s, const char *p, size_t len,
		      struct digest *d)
{
	struct docker_event e;

	CHECK(!docker_event_stream_feed(s, p, len));
	/* Nothing was left untaken before: one line and this piece. */
	CHECK(s->len - s->pos <= s->line_max + len);
	while (!docker_event_stream_next(s, &e))
		digest_add(d, &e);
	CHECK(!docker_event_stream_pending(s));
}

/* Feeds p cut at the offsets of cuts[0..ncuts) (ascending). */
static void split_run(const char *p, size_t len, size_t line_max,
		      const size_t *cuts, size_t ncuts, struct digest *d)
{
	struct docker_event_stream s;
	size_t off = 0;

	memset(d, 0, sizeof(*d));
	docker_event_stream_init(&s);
	s.line_max = line_max;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		feed_take(&s, p + off, end - off, d);
		off = end;
	}
	d->skipped = s.skipped;
	docker_event_stream_free(&s);
}

/* The same, by hand: each whole line, as the splitter promises. */
static void reference_run(const char *p, size_t len, size_t line_max,
			  struct digest *d)
{
	const char *l = p, *nl;
	struct docker_event e;

	memset(d, 0, sizeof(*d));
	for (; (nl = memchr(l, '\n', len - (size_t)(l - p))); l = nl + 1) {
		size_t n = (size_t)(nl - l);
		if (!n)
			continue;
		if (n <= line_max && !docker_parse_event(l, n, &e))
			digest_add(d, &e);
		else
			d->skipped++;
	}
}

static bool digest_eq(const struct digest *a, const struct digest *b)
{
	return a->h == b->h && a->n == b->n && a->skipped == b->skipped;
}

/* Piece sizes from a simple generator seeded by the input. */
static size_t pieces_cuts(size_t len, uint64_t seed, size_t *cuts, size_t max)
{
	size_t n = 0, off = 0;

	while (n < max) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		off += 1 + (size_t)(seed >> 33) % 97;
		if (off >= len)
			break;
		cuts[n++] = off;
	}
	return n;
}

static void fuzz_stream(const char *p, size_t len, size_t line_max,
			uint64_t seed)
{
	struct digest ref, whole, cut;
	size_t cuts[512], n;

	reference_run(p, len, line_max, &ref);
	split_run(p, len, line_max, NULL, 0, &whole);
	CHECK(digest_eq(&ref, &whole));
	n = pieces_cuts(len, seed, cuts, sizeof(cuts) / sizeof(cuts[0]));
	split_run(p, len, line_max, cuts, n, &cut);
	CHECK(digest_eq(&ref, &cut));
	for (size_t i = 1; i < len && len <= EVERY_CUT_MAX; i++) {
		split_run(p, len, line_max, &i, 1, &cut);
		CHECK(digest_eq(&ref, &cut));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	uint64_t seed = 14695981039346656037u;

	for (size_t i = 0; i < size; i++)
		seed = (seed ^ data[i]) * 1099511628211u;
	fuzz_json(p, size);
	fuzz_stream(p, size, DOCKER_EVENT_LINE_MAX, seed);
	/* A small limit: from 64 bytes (no event fits: all skipped) to
	 * 1087 (most of dockerd's fit). */
	fuzz_stream(p, size, 64 + (size_t)(seed >> 40) % 1024, seed >> 7);
	return 0;
}
