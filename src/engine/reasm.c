// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/reasm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"

static int reserve(struct reasm *r, size_t need)
{
	size_t cap = r->cap ? r->cap : 2048;
	uint8_t *p;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > REASM_MAX)
		cap = REASM_MAX;
	p = realloc(r->buf, cap);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->cap = cap;
	return 0;
}

void reasm_start(struct reasm *r, uint32_t seq)
{
	r->started = r->known = true;
	r->base = seq;
	r->len = 0;
	r->nr = 0;
}

/* The end of what is held (in order or not). */
static uint32_t held_end(const struct reasm *r)
{
	return r->nr ? r->r[r->nr - 1].hi : (uint32_t)r->len;
}

/* An unknown start moves back to `by` bytes earlier: what was in order
 * becomes a range past the new gap. */
static int move_start_back(struct reasm *r, uint32_t by)
{
	uint32_t end = held_end(r);
	int e;

	if ((size_t)end + by > REASM_MAX || r->nr + (r->len ? 1 : 0) > REASM_RANGES)
		return -ENOSPC;
	if ((e = reserve(r, (size_t)end + by)))
		return e;
	memmove(r->buf + by, r->buf, end);
	for (unsigned i = 0; i < r->nr; i++) {
		r->r[i].lo += by;
		r->r[i].hi += by;
	}
	if (r->len) {
		memmove(&r->r[1], &r->r[0], r->nr * sizeof(r->r[0]));
		r->r[0] = (struct reasm_range){ by, by + (uint32_t)r->len };
		r->nr++;
	}
	r->len = 0;
	r->base -= by;
	return 0;
}

/* Copies the bytes of [lo,hi) that nothing held covers yet. */
static void copy_new(struct reasm *r, uint32_t lo, uint32_t hi,
		     const uint8_t *data)
{
	uint32_t pos = lo > r->len ? lo : (uint32_t)r->len;

	for (unsigned i = 0; i < r->nr && pos < hi; i++) {
		if (r->r[i].hi <= pos)
			continue;
		if (r->r[i].lo >= hi)
			break;
		if (r->r[i].lo > pos)
			memcpy(r->buf + pos, data + (pos - lo), r->r[i].lo - pos);
		pos = r->r[i].hi;
	}
	if (pos < hi)
		memcpy(r->buf + pos, data + (pos - lo), hi - pos);
}

/* [lo,hi) joins the ranges (merged, sorted); the in-order prefix grows
 * over every range it reaches. */
static int ranges_add(struct reasm *r, uint32_t lo, uint32_t hi)
{
	struct reasm_range out[REASM_RANGES + 1];
	unsigned n = 0, i = 0;

	while (i < r->nr && r->r[i].hi < lo)
		out[n++] = r->r[i++];
	while (i < r->nr && r->r[i].lo <= hi) {
		lo = r->r[i].lo < lo ? r->r[i].lo : lo;
		hi = r->r[i].hi > hi ? r->r[i].hi : hi;
		i++;
	}
	out[n++] = (struct reasm_range){ lo, hi };
	while (i < r->nr)
		out[n++] = r->r[i++];
	/* The prefix swallows what now touches it. */
	i = 0;
	while (i < n && out[i].lo <= r->len) {
		if (out[i].hi > r->len)
			r->len = out[i].hi;
		i++;
	}
	if (n - i > REASM_RANGES)
		return -ENOSPC;
	memmove(r->r, out + i, (n - i) * sizeof(out[0]));
	r->nr = n - i;
	return 0;
}

int reasm_add(struct reasm *r, uint32_t seq, bool syn, const uint8_t *data,
	      size_t len)
{
	int32_t off;
	uint32_t lo, hi;
	int e;

	if (syn) {
		if (!r->known)
			reasm_start(r, seq + 1);
		return 0;
	}
	if (!len)
		return 0;
	if (!r->started) {
		r->started = true;
		r->base = seq;
	}
	/* Serial arithmetic: the difference is signed across wrap-around. */
	off = (int32_t)(seq - r->base);
	if (off < 0 && !r->known && -(int64_t)off < REASM_MAX) {
		if ((e = move_start_back(r, (uint32_t)-off)))
			return e;
		off = 0;
	}
	if (off < 0) {
		if ((size_t)-(int64_t)off >= len)
			return 0; /* all old bytes */
		data += -(int64_t)off;
		len -= (size_t)-(int64_t)off;
		off = 0;
	}
	if ((size_t)off >= REASM_MAX)
		return -EAGAIN;
	lo = (uint32_t)off;
	hi = lo + (uint32_t)(len < REASM_MAX - lo ? len : REASM_MAX - lo);
	if ((e = reserve(r, hi)))
		return e;
	copy_new(r, lo, hi, data);
	if ((e = ranges_add(r, lo, hi)))
		return e;
	return r->len == REASM_MAX ? -E2BIG : 0;
}

void reasm_consume(struct reasm *r, size_t n)
{
	uint32_t end = held_end(r);

	if (!r->buf)
		return;
	if (n > r->len)
		n = r->len;
	memmove(r->buf, r->buf + n, end - n);
	r->len -= n;
	for (unsigned i = 0; i < r->nr; i++) {
		r->r[i].lo -= (uint32_t)n;
		r->r[i].hi -= (uint32_t)n;
	}
	r->base += (uint32_t)n;
}

bool reasm_has_gap(const struct reasm *r)
{
	return r->nr > 0;
}

void reasm_free(struct reasm *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}
