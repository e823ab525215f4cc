/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The first bytes of one direction of a TCP stream, in order, bounded: what
 * is needed to read a ClientHello or an HTTP request head (or DNS messages
 * over TCP) that spans several segments. Pure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reasm {
	bool started;
	uint32_t next_seq; /* sequence number of the byte after buf[len-1] */
	size_t len, cap;
	uint8_t *buf; /* allocated on first use, at most REASM_MAX bytes */
};

/* Feeds one segment. A SYN fixes the stream start (ISN + 1); without one
 * the first data segment does. Retransmitted bytes already held are
 * dropped (the first copy wins, so overlapping segments cannot change what
 * was judged). Returns 0 when bytes were appended or nothing was new,
 * -EAGAIN for a segment after a gap (out of order; not kept), -E2BIG once
 * REASM_MAX bytes are held, -ENOMEM. */
int reasm_add(struct reasm *r, uint32_t seq, bool syn, const uint8_t *data,
	      size_t len);
/* Drops the first n bytes (consumed messages). */
void reasm_consume(struct reasm *r, size_t n);
void reasm_free(struct reasm *r);
