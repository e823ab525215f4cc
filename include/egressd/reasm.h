/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The first bytes of one direction of a TCP stream, in order, bounded: what
 * is needed to read a ClientHello or an HTTP request head (or DNS messages
 * over TCP) that spans several segments. Pure.
 *
 * Where the stream starts decides what is read, so a hostile client will
 * try to move it: a stale byte before the start, or its segments in
 * reverse order. The start is the SYN's sequence number + 1 when it is
 * known (reasm_start); then nothing before it is kept and segments after
 * a gap wait in place until the gap fills. Without it, the earliest byte
 * seen is the start so far: a segment from before it moves the start back
 * (the caller must not decide on a start it was not told). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Segments held beyond a gap, at most (more: -ENOSPC). */
#define REASM_RANGES 8

struct reasm_range {
	uint32_t lo, hi; /* offsets from base */
};

struct reasm {
	bool started;
	bool known; /* the start came from the SYN */
	uint32_t base; /* sequence number of buf[0] */
	size_t len; /* bytes in order from buf[0] */
	size_t cap;
	uint8_t *buf; /* allocated on first use, at most REASM_MAX bytes */
	unsigned nr;
	struct reasm_range r[REASM_RANGES]; /* held past a gap, sorted */
};

/* The stream's first byte is at seq (the SYN's sequence number + 1). */
void reasm_start(struct reasm *r, uint32_t seq);
/* Feeds one segment. A SYN fixes the stream start (ISN + 1); without one
 * the earliest data seen does, until an earlier segment comes. Bytes
 * already held are not replaced (the first copy wins, so overlapping
 * segments cannot change what was judged). Returns 0 (kept, or nothing
 * new), -EAGAIN (beyond REASM_MAX from the start: not kept), -E2BIG once
 * REASM_MAX bytes are held in order, -ENOSPC (too many gaps), -ENOMEM. */
int reasm_add(struct reasm *r, uint32_t seq, bool syn, const uint8_t *data,
	      size_t len);
/* Drops the first n in-order bytes (consumed messages). */
void reasm_consume(struct reasm *r, size_t n);
/* Bytes held past a gap (the stream is not whole yet). */
bool reasm_has_gap(const struct reasm *r);
void reasm_free(struct reasm *r);
