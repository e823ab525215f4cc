// SPDX-License-Identifier: GPL-2.0-or-later
/* The Docker client's byte-level parts: response head, chunked decoder,
 * response reader, event stream and JSON converters. Each reader is run
 * twice, on the whole input and one byte (or a few) at a time, and must
 * reach the same result: state kept across reads is where such parsers
 * go wrong. A difference aborts. */
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

static void fuzz_chunks(const char *p, size_t len)
{
	char *a = malloc(len + 1), *b = malloc(len + 1);
	struct docker_chunk ca, cb;
	size_t used_a, out_a, used_b = 0, out_b = 0, u, o;
	int ra, rb = -EAGAIN;

	docker_chunk_init(&ca);
	docker_chunk_init(&cb);
	ra = docker_chunk_decode(&ca, p, len, a, &used_a, &out_a);
	for (size_t i = 0; i < len && rb == -EAGAIN; i++) {
		rb = docker_chunk_decode(&cb, p + i, 1, b + out_b, &u, &o);
		if (rb == 0 || rb == -EAGAIN) {
			used_b += u;
			out_b += o;
		}
	}
	CHECK(ra == rb);
	if (!ra || ra == -EAGAIN) {
		CHECK(used_a == used_b && out_a == out_b && out_a <= len);
		CHECK(!memcmp(a, b, out_a));
	}
	free(a);
	free(b);
}

static void fuzz_json(const char *p, size_t len)
{
	char ids[8][DOCKER_ID_LEN + 1], msg[128];
	struct docker_container c;
	struct docker_event e;
	size_t n;

	if (docker_parse_ids(p, len, ids, 8, &n) != -EBADMSG)
		for (size_t i = 0; i < n; i++)
			CHECK(strlen(ids[i]) == DOCKER_ID_LEN);
	if (!docker_parse_container(p, len, &c))
		CHECK(strlen(c.id) == DOCKER_ID_LEN && c.pid >= 0);
	if (!docker_parse_event(p, len, &e))
		CHECK(strlen(e.id) == DOCKER_ID_LEN && !strchr(e.action, ':'));
	if (!docker_parse_error(p, len, msg, sizeof(msg)))
		CHECK(strlen(msg) < sizeof(msg));
}

/* Feeds the whole input, then the end of the connection if needed. */
static int response_whole(struct docker_response *r, const char *p, size_t len,
			  size_t *used)
{
	int ret = docker_response_feed(r, p, len, used);

	if (ret == -EAGAIN) {
		*used = len;
		ret = docker_response_eof(r);
	}
	return ret;
}

static int response_bytes(struct docker_response *r, const char *p, size_t len,
			  size_t *used)
{
	size_t u;
	int ret = -EAGAIN;

	for (*used = 0; *used < len && ret == -EAGAIN; (*used)++)
		ret = docker_response_feed(r, p + *used, 1, &u);
	return ret == -EAGAIN ? docker_response_eof(r) : ret;
}

static void fuzz_response(const char *p, size_t len)
{
	struct docker_response a, b;
	size_t ua, ub;
	int ra, rb;

	docker_response_init(&a, DOCKER_BODY_MAX);
	docker_response_init(&b, DOCKER_BODY_MAX);
	ra = response_whole(&a, p, len, &ua);
	rb = response_bytes(&b, p, len, &ub);
	CHECK(ra == rb);
	if (!ra) {
		CHECK(ua == ub && a.head.status == b.head.status);
		CHECK(a.body_len == b.body_len);
		CHECK(!a.body_len || !memcmp(a.body, b.body, a.body_len));
		fuzz_json(a.body, a.body_len);
	}
	docker_response_free(&a);
	docker_response_free(&b);
}

/* A digest of the events taken, to compare two runs. */
struct digest {
	uint64_t h;
	size_t n;
	int feed_err, last;
};

static void digest_bytes(struct digest *d, const void *p, size_t n)
{
	const unsigned char *q = p;

	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ q[i]) * 1099511628211u; /* FNV-1a */
}

static void digest_add(struct digest *d, const struct docker_event *e)
{
	digest_bytes(d, e->id, strlen(e->id) + 1);
	digest_bytes(d, e->action, strlen(e->action) + 1);
	digest_bytes(d, e->name, strlen(e->name) + 1);
	digest_bytes(d, &e->exit_code, sizeof(e->exit_code));
	digest_bytes(d, &e->time_ns, sizeof(e->time_ns));
	d->n++;
}

static void stream_run(const char *p, size_t len, size_t piece,
		       struct digest *d)
{
	struct docker_event_stream s;
	struct docker_event e;

	memset(d, 0, sizeof(*d));
	docker_event_stream_init(&s);
	for (size_t off = 0; off < len && !d->feed_err; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		d->feed_err = docker_event_stream_feed(&s, p + off, k);
		while (!d->feed_err &&
		       !(d->last = docker_event_stream_next(&s, &e)))
			digest_add(d, &e);
	}
	if (!d->feed_err) {
		docker_event_stream_eof(&s);
		while (!(d->last = docker_event_stream_next(&s, &e)))
			digest_add(d, &e);
	}
	docker_event_stream_free(&s);
}

static void fuzz_stream(const char *p, size_t len)
{
	struct digest a, b;

	stream_run(p, len, DOCKER_EVENT_READ_MAX, &a);
	stream_run(p, len, 1 + len % 13, &b);
	CHECK(a.feed_err == b.feed_err);
	if (!a.feed_err)
		CHECK(a.n == b.n && a.h == b.h && a.last == b.last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct docker_http_head h;

	if (!docker_http_parse_head(p, size, &h))
		CHECK(h.len <= size && h.status >= 200 && h.status <= 599);
	fuzz_chunks(p, size);
	fuzz_response(p, size);
	fuzz_stream(p, size);
	fuzz_json(p, size);
	return 0;
}
