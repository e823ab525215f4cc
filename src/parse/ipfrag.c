// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/ipfrag.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/cursor.h"

#define DGRAM_MAX 65535u
/* The IPv4 header with options, or IPv6's header and the extension
 * headers before its fragment header. */
#define HDR_MAX 512

/* What one fragment says about itself. */
struct frag {
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint32_t off; /* bytes */
	bool more;
	const uint8_t *data; /* the fragment's payload */
	size_t len;
	size_t hdr_len; /* the header to keep (offset-0 fragment's) */
	size_t nh_at; /* IPv6: where the next-header byte before the
			 fragment header is */
};

struct range {
	uint32_t lo, hi;
};

struct slot {
	bool used;
	struct frag key; /* family, proto, src, dst, id */
	uint64_t born;
	uint8_t hdr[HDR_MAX];
	size_t hdr_len, nh_at;
	bool have_first, have_last;
	uint32_t total;
	struct range r[IPFRAG_RANGES];
	unsigned nr;
	uint8_t *buf; /* DGRAM_MAX + HDR_MAX */
};

struct ipfrag {
	struct slot s[IPFRAG_SLOTS];
	uint8_t *out; /* the last whole datagram */
};

struct ipfrag *ipfrag_new(void)
{
	return calloc(1, sizeof(struct ipfrag));
}

void ipfrag_free(struct ipfrag *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < IPFRAG_SLOTS; i++)
		free(f->s[i].buf);
	free(f->out);
	free(f);
}

/* 1: a fragment, described in *fr; 0: not one; -EBADMSG. */
static int frag_of_v4(const uint8_t *p, size_t len, struct frag *fr)
{
	size_t hlen = (size_t)(p[0] & 0x0f) * 4, tot;
	uint16_t fl;

	if (len < 20 || hlen < 20 || hlen > len)
		return -EBADMSG;
	tot = (size_t)p[2] << 8 | p[3];
	if (tot < hlen || tot > len)
		return -EBADMSG;
	fl = (uint16_t)(p[6] << 8 | p[7]);
	if (!(fl & 0x3fff))
		return 0;
	fr->family = 4;
	fr->proto = p[9];
	memcpy(fr->src, p + 12, 4);
	memcpy(fr->dst, p + 16, 4);
	fr->id = (uint32_t)(p[4] << 8 | p[5]);
	fr->off = (uint32_t)(fl & 0x1fff) * 8;
	fr->more = fl & 0x2000;
	fr->data = p + hlen;
	fr->len = tot - hlen;
	fr->hdr_len = hlen;
	return 1;
}

static bool v6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60;
}

static int frag_of_v6(const uint8_t *p, size_t len, struct frag *fr)
{
	struct cursor c;
	size_t nh_at = 6, plen;
	uint8_t nh, hl;
	uint16_t off;

	if (len < 40)
		return -EBADMSG;
	plen = (size_t)p[4] << 8 | p[5];
	if (40 + plen > len)
		return -EBADMSG;
	cursor_init(&c, p, 40 + plen);
	c.pos = 40;
	nh = p[6];
	while (v6_ext(nh)) {
		nh_at = c.pos;
		if (cursor_u8(&c, &nh) || cursor_u8(&c, &hl) ||
		    cursor_skip(&c, (size_t)hl * 8 + 6))
			return -EBADMSG;
	}
	if (nh != 44)
		return 0;
	fr->hdr_len = c.pos;
	fr->nh_at = nh_at;
	if (cursor_u8(&c, &fr->proto) || cursor_skip(&c, 1) ||
	    cursor_u16(&c, &off) || cursor_u32(&c, &fr->id))
		return -EBADMSG;
	fr->family = 6;
	memcpy(fr->src, p + 8, 16);
	memcpy(fr->dst, p + 24, 16);
	fr->off = off & 0xfff8;
	fr->more = off & 1;
	fr->data = cursor_ptr(&c);
	fr->len = cursor_left(&c);
	return fr->hdr_len > HDR_MAX ? -EBADMSG : 1;
}

static bool same(const struct frag *a, const struct frag *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       a->id == b->id && !memcmp(a->src, b->src, 16) &&
	       !memcmp(a->dst, b->dst, 16);
}

static void slot_drop(struct slot *s)
{
	uint8_t *buf = s->buf;

	memset(s, 0, sizeof(*s));
	s->buf = buf;
}

static struct slot *slot_for(struct ipfrag *f, const struct frag *fr,
			     uint64_t now)
{
	struct slot *s, *free_s = NULL, *oldest = NULL;

	for (size_t i = 0; i < IPFRAG_SLOTS; i++) {
		s = &f->s[i];
		if (s->used && now - s->born > IPFRAG_TIMEOUT_MS)
			slot_drop(s);
		if (s->used && same(&s->key, fr))
			return s;
		if (!s->used && !free_s)
			free_s = s;
		if (s->used && (!oldest || s->born < oldest->born))
			oldest = s;
	}
	s = free_s ? free_s : oldest;
	slot_drop(s);
	if (!s->buf && !(s->buf = malloc(DGRAM_MAX)))
		return NULL;
	s->used = true;
	s->key = *fr;
	s->born = now;
	return s;
}

/* The fragment's bytes into the slot; false on overlap or overflow. */
static bool slot_add(struct slot *s, const struct frag *fr, const uint8_t *pkt)
{
	uint32_t lo = fr->off, hi = fr->off + (uint32_t)fr->len;

	if (hi > DGRAM_MAX || s->nr == IPFRAG_RANGES ||
	    (fr->more && fr->len % 8) || (s->have_last && hi > s->total))
		return false;
	for (unsigned i = 0; i < s->nr; i++)
		if (lo < s->r[i].hi && s->r[i].lo < hi)
			return false;
	if (!fr->more) {
		if (s->have_last || hi < s->total)
			return false;
		for (unsigned i = 0; i < s->nr; i++)
			if (s->r[i].hi > hi)
				return false;
		s->have_last = true;
	}
	if (hi > s->total)
		s->total = hi;
	if (!lo) {
		s->have_first = true;
		memcpy(s->hdr, pkt, fr->hdr_len);
		s->hdr_len = fr->hdr_len;
		s->nh_at = fr->nh_at;
	}
	memcpy(s->buf + lo, fr->data, fr->len);
	s->r[s->nr++] = (struct range){ lo, hi };
	return true;
}

static bool slot_whole(const struct slot *s)
{
	uint32_t have = 0;

	if (!s->have_first || !s->have_last)
		return false;
	for (unsigned i = 0; i < s->nr; i++)
		have += s->r[i].hi - s->r[i].lo;
	return have == s->total; /* no overlaps: the sum is the cover */
}

/* The header of the offset-0 fragment, made a whole datagram's. */
static int slot_out(struct ipfrag *f, struct slot *s, const uint8_t **ret,
		    size_t *ret_len)
{
	size_t n = s->hdr_len + s->total;
	uint8_t *o;

	if (s->key.family == 4 && n > DGRAM_MAX)
		return -EBADMSG;
	if (!f->out && !(f->out = malloc(DGRAM_MAX + HDR_MAX + 8)))
		return -ENOMEM;
	o = f->out;
	memcpy(o, s->hdr, s->hdr_len);
	memcpy(o + s->hdr_len, s->buf, s->total);
	if (s->key.family == 4) {
		o[2] = (uint8_t)(n >> 8);
		o[3] = (uint8_t)n;
		o[6] = o[7] = 0;
	} else {
		/* The fragment header goes: its next header takes its place. */
		size_t plen = n - 40;
		if (plen > 0xffff)
			return -EBADMSG;
		o[s->nh_at] = s->key.proto;
		o[4] = (uint8_t)(plen >> 8);
		o[5] = (uint8_t)plen;
	}
	*ret = o;
	*ret_len = n;
	return 0;
}

int ipfrag_add(struct ipfrag *f, const uint8_t *pkt, size_t len,
	       uint64_t now_ms, const uint8_t **ret, size_t *ret_len)
{
	struct frag fr = { 0 };
	struct slot *s;
	int r;

	*ret = pkt;
	*ret_len = len;
	if (!len)
		return -EBADMSG;
	r = (pkt[0] >> 4) == 4 ? frag_of_v4(pkt, len, &fr)
	    : (pkt[0] >> 4) == 6 ? frag_of_v6(pkt, len, &fr)
				 : -EBADMSG;
	if (r <= 0)
		return r == -EBADMSG ? 0 : r; /* pkt_parse says what is wrong */
	s = slot_for(f, &fr, now_ms);
	if (!s)
		return -ENOMEM;
	if (!slot_add(s, &fr, pkt)) {
		slot_drop(s);
		return -EBADMSG;
	}
	if (!slot_whole(s))
		return -EAGAIN;
	r = slot_out(f, s, ret, ret_len);
	slot_drop(s);
	return r;
}
