// SPDX-License-Identifier: GPL-2.0-or-later
/* IP defragmentation (replay's), fed fragments cut from known datagrams.
 * Each of three datagrams (the key: family, addresses, protocol, id) has
 * true bytes; a fragment carries the true bytes of its range, whatever
 * its offset, length and more-fragments flag say, amid raw packets of
 * any shape and jumps in time. Invariants:
 * - a result is 0, -EAGAIN, -EBADMSG or -ENOMEM; a packet that is not a
 *   fragment comes back as itself;
 * - a whole datagram is never longer than 65,535 bytes (IPv4) or its
 *   header and 65,535 (IPv6), its length fields agree with its length,
 *   it is no fragment any more, its protocol is the fragments';
 * - of a known datagram, its payload is the true bytes from offset 0;
 * - a clean set of fragments (no overlap, the whole covered, in any
 *   order, nothing else in between) gives the datagram exactly, at its
 *   last fragment, and only then;
 * - memory is bounded: IPFRAG_SLOTS datagrams and one whole one, however
 *   many fragments come (checked where the sanitizer counts it).
 *
 * Input: ops until the input ends. op u8 % 5:
 *   0-1 fragment: key u8 | offset u16 (8-byte units) | length u16 |
 *       flags u8 (bit 0: more as the truth says, else bit 1)
 *   2   raw packet: length u16 | bytes
 *   3   time: step u8 (bit 7: past the time-out)
 *   4   clean: key u8 | pieces u8 | cut points u8... | order bytes */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/ipfrag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* ASan's count of bytes allocated; absent from a plain build. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x)) {                                                  \
			fprintf(stderr, "invariant failed: %s\n", #x);       \
			abort();                                             \
		}                                                            \
	} while (0)

#define DGRAM_MAX 65535u
#define OPS_MAX 400

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

/* ---- the known datagrams ---- */

struct dgram {
	bool v6, hbh; /* IPv6; with a hop-by-hop header before the
			 fragment header */
	uint8_t proto;
	uint32_t id;
	size_t len; /* payload bytes */
};

static uint8_t truth[3][DGRAM_MAX + 8];
static struct dgram dg[3];
static struct ipfrag *F;
static uint64_t now;
static uint32_t next_id;

/* The true payload of datagram k, from the seed the input gives. */
static void dgram_init(unsigned k, uint8_t seed, size_t len)
{
	dg[k] = (struct dgram){ .v6 = k == 1 || k == 2, .hbh = k == 2,
				.proto = k == 0 ? IPPROTO_UDP : IPPROTO_TCP,
				.id = 0x1000 + k, .len = len };
	for (size_t i = 0; i < len + 8; i++)
		truth[k][i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static size_t hdr_v4(uint8_t *p, const struct dgram *d, uint32_t off,
		     size_t len, bool more)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, 20 + len);
	put16(p + 4, d->id & 0xffff);
	put16(p + 6, (more ? 0x2000 : 0) | (off / 8 & 0x1fff));
	p[8] = 64;
	p[9] = d->proto;
	memcpy(p + 12, "\xc0\x00\x02\x35\xc6\x12\x00\x0b", 8);
	return 20;
}

static size_t hdr_v6(uint8_t *p, const struct dgram *d, uint32_t off,
		     size_t len, bool more)
{
	size_t o = 40;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = d->hbh ? 0 : 44;
	p[7] = 64;
	p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 0x53;
	p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 0x11;
	if (d->hbh) { /* hop-by-hop: next 44, 8 bytes of padding */
		memset(p + o, 0, 8);
		p[o] = 44;
		p[o + 2] = 1, p[o + 3] = 4; /* PadN */
		o += 8;
	}
	p[o] = d->proto;
	p[o + 1] = 0;
	put16(p + o + 2, (off & 0xfff8) | (more ? 1 : 0));
	p[o + 4] = (uint8_t)(d->id >> 24), p[o + 5] = (uint8_t)(d->id >> 16);
	p[o + 6] = (uint8_t)(d->id >> 8), p[o + 7] = (uint8_t)d->id;
	o += 8;
	put16(p + 4, o - 40 + len);
	return o;
}

/* A fragment of datagram d (k's truth): bytes [off, off + len). */
static size_t frag_of(uint8_t *p, const struct dgram *d, unsigned k,
		      uint32_t off, size_t len, bool more)
{
	size_t h = d->v6 ? hdr_v6(p, d, off, len, more)
			 : hdr_v4(p, d, off, len, more);

	memcpy(p + h, truth[k] + off, len);
	return h + len;
}

/* ---- the checks ---- */

static size_t header_len(const uint8_t *p)
{
	return (p[0] >> 4) == 4 ? (size_t)(p[0] & 15) * 4 : 40;
}

/* Which known datagram this whole one is (by its addresses, which no
 * raw packet has), or -1. IPv6's two differ by the hop-by-hop header. */
static int known_of(const uint8_t *p, size_t len)
{
	if ((p[0] >> 4) == 4)
		return len >= 20 && !memcmp(p + 12, "\xc0\x00\x02\x35", 4) ? 0
									 : -1;
	if (len < 40 || p[23] != 0x53 || p[39] != 0x11 || p[8] != 0x20)
		return -1;
	return p[6] == 0 ? 2 : 1;
}

static void check_whole(const uint8_t *p, size_t len)
{
	size_t h;
	int k;

	CHECK(len >= 20);
	if ((p[0] >> 4) == 4) {
		CHECK(len <= DGRAM_MAX);
		CHECK(((size_t)p[2] << 8 | p[3]) == len);
		CHECK(!(p[6] & 0x3f) && !p[7]); /* no offset, no MF */
	} else {
		CHECK((p[0] >> 4) == 6 && len >= 40);
		CHECK(len <= 40 + DGRAM_MAX);
		CHECK(((size_t)p[4] << 8 | p[5]) + 40 == len);
	}
	k = known_of(p, len);
	if (k < 0)
		return;
	h = header_len(p) + (dg[k].hbh ? 8 : 0);
	CHECK(h <= len && len - h <= DGRAM_MAX);
	CHECK(p[dg[k].v6 ? (dg[k].hbh ? 40 : 6) : 9] == dg[k].proto);
	CHECK(!memcmp(p + h, truth[k], len - h));
}

/* The slots' buffers, the whole datagram's, the table itself. */
#define MEM_MAX (IPFRAG_SLOTS * (DGRAM_MAX + 1024) + 2 * DGRAM_MAX)
static size_t mem_base;

static size_t mem_now(void)
{
	return __sanitizer_get_current_allocated_bytes
		       ? __sanitizer_get_current_allocated_bytes()
		       : 0;
}

static int add(const uint8_t *p, size_t len)
{
	const uint8_t *ret = NULL;
	size_t ret_len = 0;
	int r = ipfrag_add(F, p, len, now, &ret, &ret_len);

	CHECK(r == 0 || r == -EAGAIN || r == -EBADMSG || r == -ENOMEM);
	if (r == 0 && ret == p)
		CHECK(ret_len == len); /* not a fragment: itself */
	else if (r == 0)
		check_whole(ret, ret_len);
	CHECK(mem_now() - mem_base <= MEM_MAX);
	return r;
}

/* ---- the ops ---- */

static uint8_t pkt[DGRAM_MAX + 600];

static void op_frag(struct rd *r)
{
	unsigned k = rd_u8(r) % 3;
	/* 8-byte units, up to one past the end */
	uint32_t off = rd_u16(r) % (uint32_t)(dg[k].len / 8 + 2) * 8 & 0xfff8;
	size_t len = rd_u16(r), end;
	uint8_t fl = rd_u8(r);
	bool more;

	end = off + len < dg[k].len ? off + len : dg[k].len;
	len = end > off ? end - off : 0;
	more = fl & 1 ? end < dg[k].len : fl & 2;
	add(pkt, frag_of(pkt, &dg[k], k, off, len, more));
}

static void op_raw(struct rd *r)
{
	size_t len = rd_u16(r) % 2048;

	len = len < r->n ? len : r->n;
	memcpy(pkt, r->p, len);
	r->p += len;
	r->n -= len;
	/* never a known datagram's source: its bytes are not the truth */
	if (len >= 40 && (pkt[0] >> 4) == 6)
		pkt[23] = 0x54;
	else if (len >= 20)
		pkt[12] = 10;
	if (len)
		add(pkt, len);
}

/* Cut points of a clean set: increasing, 8-byte units, all below len.
 * Returns the number of pieces. */
static unsigned cuts_of(struct rd *r, uint32_t *cut, size_t len)
{
	unsigned n = 1, want = 1 + rd_u8(r) % IPFRAG_RANGES;

	cut[0] = 0;
	while (n < want) {
		uint32_t c = cut[n - 1] + (1 + rd_u8(r)) * 8u;
		if (c >= len)
			break;
		cut[n++] = c;
	}
	cut[n] = (uint32_t)len;
	return n;
}

/* A clean set of fragments of a fresh datagram like k (at most 60,000
 * bytes: it fits), in any order: only the last one completes it, and
 * exactly. */
static void op_clean(struct rd *r)
{
	uint32_t cut[IPFRAG_RANGES + 1];
	unsigned order[IPFRAG_RANGES], n, k = rd_u8(r) % 3;
	struct dgram d = dg[k];

	d.id = next_id++;
	if (d.len > 60000)
		d.len = 60000;
	n = cuts_of(r, cut, d.len);
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	for (unsigned i = n - 1; i > 0; i--) { /* a permutation */
		unsigned j = rd_u8(r) % (i + 1), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned c = order[i];
		size_t fl = frag_of(pkt, &d, k, cut[c], cut[c + 1] - cut[c],
				    c + 1 < n);
		CHECK(add(pkt, fl) == (i + 1 < n ? -EAGAIN : 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	unsigned ops = 0;

	if (size < 4)
		return 0;
	/* the true datagrams: 1..2,000 bytes, or up to 65,535 */
	for (unsigned k = 0; k < 3; k++) {
		uint8_t b = rd_u8(&r);
		dgram_init(k, b, b & 0x80 ? 65535 - (b & 0x7f) * 41
					  : 1 + (b & 0x7f) * 15);
	}
	mem_base = mem_now();
	F = ipfrag_new();
	CHECK(F);
	now = 1000;
	next_id = 0x20000;
	while (r.n && ops++ < OPS_MAX) {
		uint8_t op = rd_u8(&r);
		switch (op % 5) {
		case 0:
		case 1:
			op_frag(&r);
			break;
		case 2:
			op_raw(&r);
			break;
		case 3:
			now += rd_u8(&r) & 0x80 ? IPFRAG_TIMEOUT_MS + 1 : 100;
			break;
		default:
			op_clean(&r);
			break;
		}
	}
	ipfrag_free(F);
	return 0;
}
