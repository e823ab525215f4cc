// SPDX-License-Identifier: GPL-2.0-or-later
/* TCP first-payload reassembly, fed segments cut from one true stream
 * (bytes before its start included: a stale segment, or an earlier one
 * when the start is unknown), in any order and overlap, with consumes.
 * Invariants after every call:
 * - a result is 0, -EAGAIN, -E2BIG, -ENOSPC or -ENOMEM;
 * - the bytes held in order are the true stream's from the base, and
 *   so are the bytes held past a gap; never more than REASM_MAX;
 * - ranges past the gap are sorted, apart, past the in-order bytes,
 *   within the buffer, at most REASM_RANGES;
 * - with the start known (SYN, or reasm_start): the base is the start
 *   plus what was consumed, and (nothing consumed) the in-order bytes
 *   reach exactly the first byte no accepted segment gave.
 *
 * Input: isn u32 | mode u8 (0: reasm_start, 1: a SYN segment, 2-3: no
 * start) | seed u8 | ops until the input ends. op u8 % 4:
 *   0-2 segment: offset u16 (from the start; bit 15 of the next u16
 *       moves it before the start) | length u16
 *   3   consume: n u16 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"
#include "egressd/reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x)) {                                                  \
			fprintf(stderr, "invariant failed: %s\n", #x);       \
			abort();                                             \
		}                                                            \
	} while (0)

/* The true stream: PRE bytes before its start, REASM_MAX + 4096 after. */
#define PRE 4096
#define POST (REASM_MAX + 4096)
#define OPS_MAX 300

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t rd_u16(struct rd *r)
{
	uint16_t hi = rd_u8(r);

	return (uint16_t)(hi << 8 | rd_u8(r));
}

static uint8_t stream[PRE + POST]; /* stream[PRE] is the first byte */
static bool fed[REASM_MAX]; /* known start: bytes accepted */
static uint32_t start; /* the true start's sequence number */
static bool known;
static size_t consumed;

/* The true byte at sequence number seq. */
static uint8_t true_at(uint32_t seq)
{
	int32_t off = (int32_t)(seq - start);

	CHECK(off >= -PRE && off < POST);
	return stream[PRE + off];
}

static void check_ranges(const struct reasm *r)
{
	CHECK(r->nr <= REASM_RANGES);
	for (unsigned i = 0; i < r->nr; i++) {
		const struct reasm_range *g = &r->r[i];
		CHECK(g->lo < g->hi && g->hi <= r->cap);
		CHECK(i ? g->lo > r->r[i - 1].hi : g->lo > r->len);
		for (uint32_t o = g->lo; o < g->hi; o++)
			CHECK(r->buf[o] == true_at(r->base + o));
	}
}

/* Known start, nothing consumed: in order up to the first byte missing. */
static void check_exact(const struct reasm *r)
{
	size_t want = 0;

	if (!known || consumed)
		return;
	CHECK(r->base == start);
	while (want < REASM_MAX && fed[want])
		want++;
	CHECK(r->len == want);
}

static void check(const struct reasm *r)
{
	CHECK(r->len <= REASM_MAX && r->cap <= REASM_MAX);
	CHECK(r->len <= r->cap || (!r->len && !r->cap));
	for (size_t i = 0; i < r->len; i++)
		CHECK(r->buf[i] == true_at(r->base + (uint32_t)i));
	check_ranges(r);
	if (known)
		CHECK(r->base == start + (uint32_t)consumed);
	check_exact(r);
}

static void op_segment(struct rd *r, struct reasm *ra)
{
	uint16_t o = rd_u16(r), l = rd_u16(r);
	int32_t off = o & 0x8000 ? -(int32_t)(o & 0x0fff)
				 : (int32_t)(o % POST);
	size_t len = l % 3000;
	int ret;

	if (off + (int64_t)len > POST)
		len = (size_t)(POST - off);
	ret = reasm_add(ra, start + (uint32_t)off, false,
			&stream[PRE + off], len);
	CHECK(ret == 0 || ret == -EAGAIN || ret == -E2BIG ||
	      ret == -ENOSPC || ret == -ENOMEM);
	if (ret && ret != -E2BIG)
		return;
	for (int64_t i = off < 0 ? 0 : off; i < off + (int64_t)len &&
					    i < REASM_MAX; i++)
		fed[i] = true;
}

static void begin(struct reasm *ra, uint8_t mode)
{
	known = mode < 2;
	if (mode == 0)
		reasm_start(ra, start);
	else if (mode == 1)
		CHECK(reasm_add(ra, start - 1, true, NULL, 0) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct reasm ra = { 0 };
	unsigned ops = 0;
	uint8_t seed, mode;

	if (size < 6)
		return 0;
	start = (uint32_t)rd_u16(&r) << 16 | rd_u16(&r);
	mode = rd_u8(&r) % 4;
	seed = rd_u8(&r);
	for (size_t i = 0; i < sizeof(stream); i++)
		stream[i] = (uint8_t)(seed ^ (i * 131) ^ (i >> 7));
	memset(fed, 0, sizeof(fed));
	consumed = 0;
	begin(&ra, mode);
	while (r.n && ops++ < OPS_MAX) {
		uint8_t op = rd_u8(&r);
		if (op % 4 < 3) {
			op_segment(&r, &ra);
		} else {
			size_t n = rd_u16(&r) % 4096;
			n = n < ra.len ? n : ra.len;
			reasm_consume(&ra, n);
			consumed += n;
		}
		check(&ra);
	}
	reasm_free(&ra);
	return 0;
}
