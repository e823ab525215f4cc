// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/pkt.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "egressd/cursor.h"
#include "egressd/limits.h"

/*  UDP header (RFC 768)          TCP header (RFC 9293)
 *  0      2      4      6     8  0     2     4   8   12      13
 *  +------+------+------+-----+  +-----+-----+---+---+-------+-----+
 *  |sport |dport |len   |csum |  |sport|dport|seq|ack|off<<4 |flags| ...
 */
static int parse_udp(struct cursor *c, struct pkt_info *p)
{
	uint16_t ulen;

	if (cursor_u16(c, &p->sport) || cursor_u16(c, &p->dport) ||
	    cursor_u16(c, &ulen) || cursor_skip(c, 2))
		return -EMSGSIZE;
	/* A UDP length shorter than its header is malformed; a longer one than
	 * the bytes we hold means truncated capture or packet. */
	if (ulen < 8)
		return -EBADMSG;
	if (cursor_need(c, ulen - 8u))
		return -EMSGSIZE;
	p->payload = cursor_ptr(c);
	p->payload_len = ulen - 8u;
	return 0;
}

static int parse_tcp(struct cursor *c, struct pkt_info *p)
{
	uint8_t off, flags;
	size_t hlen;

	if (cursor_u16(c, &p->sport) || cursor_u16(c, &p->dport) ||
	    cursor_u32(c, &p->tcp_seq) || cursor_skip(c, 4) ||
	    cursor_u8(c, &off) || cursor_u8(c, &flags))
		return -EMSGSIZE;
	hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20)
		return -EBADMSG;
	/* 14 bytes read so far; the options run to hlen. */
	if (cursor_skip(c, hlen - 14))
		return -EMSGSIZE;
	p->tcp_flags = flags;
	p->payload = cursor_ptr(c);
	p->payload_len = cursor_left(c);
	return 0;
}

static int parse_l4(struct cursor *c, struct pkt_info *p)
{
	if (p->flags & PKT_F_NOT_FIRST)
		return 0;
	if (p->l4proto == IPPROTO_UDP)
		return parse_udp(c, p);
	if (p->l4proto == IPPROTO_TCP)
		return parse_tcp(c, p);
	return 0;
}

/*  IPv4 header (RFC 791)
 *  0       1      2        4    6             8    9     10   12    16    20
 *  +-------+------+--------+----+-------------+----+-----+----+-----+-----+
 *  |ver|ihl| tos  |tot len | id |flags|fragoff| ttl|proto|csum| src | dst |
 */
static int parse_ipv4(struct cursor *c, struct pkt_info *p)
{
	uint8_t vihl, proto;
	uint16_t tot, frag;
	const uint8_t *src, *dst;
	size_t hlen;

	if (cursor_u8(c, &vihl) || cursor_skip(c, 1) || cursor_u16(c, &tot) ||
	    cursor_skip(c, 2) || cursor_u16(c, &frag) || cursor_skip(c, 1) ||
	    cursor_u8(c, &proto) || cursor_skip(c, 2) ||
	    cursor_bytes(c, 4, &src) || cursor_bytes(c, 4, &dst))
		return -EMSGSIZE;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < 20 || tot < hlen)
		return -EBADMSG;
	if (tot > c->len)
		return -EMSGSIZE;
	c->len = tot; /* link-layer padding is not payload */
	if (cursor_skip(c, hlen - 20))
		return -EMSGSIZE;
	p->src.family = p->dst.family = AF_INET;
	memcpy(p->src.b, src, 4);
	memcpy(p->dst.b, dst, 4);
	p->l4proto = proto;
	if (frag & 0x3fff) /* MF set or offset non-zero */
		p->flags |= PKT_F_FRAGMENT;
	if (frag & 0x1fff)
		p->flags |= PKT_F_NOT_FIRST;
	return parse_l4(c, p);
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

/* Walks one extension header; *nh becomes the next header's type. */
static int ipv6_walk_ext(struct cursor *c, uint8_t *nh, struct pkt_info *p)
{
	uint8_t next, hlen;
	uint16_t off;
	size_t len;

	if (cursor_u8(c, &next) || cursor_u8(c, &hlen))
		return -EMSGSIZE;
	if (*nh == 44) { /* fragment: fixed 8 bytes, offset in bytes 2-3 */
		if (cursor_u16(c, &off) || cursor_skip(c, 4))
			return -EMSGSIZE;
		p->flags |= PKT_F_FRAGMENT;
		if (off & 0xfff8)
			p->flags |= PKT_F_NOT_FIRST;
	} else {
		/* AH counts 4-byte units minus 2, the others 8-byte units
		 * not counting the first 8 bytes. */
		len = *nh == 51 ? ((size_t)hlen + 2) * 4 : ((size_t)hlen + 1) * 8;
		if (cursor_skip(c, len - 2))
			return -EMSGSIZE;
	}
	*nh = next;
	return 0;
}

/*  IPv6 header (RFC 8200)
 *  0            4        6     7     8    24    40
 *  +------------+--------+-----+-----+-----+-----+
 *  |ver|tc|flow |pay len |next |hops | src | dst |
 */
static int parse_ipv6(struct cursor *c, struct pkt_info *p)
{
	uint16_t plen;
	uint8_t nh;
	const uint8_t *src, *dst;
	int r;

	if (cursor_skip(c, 4) || cursor_u16(c, &plen) || cursor_u8(c, &nh) ||
	    cursor_skip(c, 1) || cursor_bytes(c, 16, &src) ||
	    cursor_bytes(c, 16, &dst))
		return -EMSGSIZE;
	/* Jumbograms (payload length 0) do not cross a container veth. */
	if (cursor_need(c, plen))
		return -EMSGSIZE;
	c->len = c->pos + plen;
	p->src.family = p->dst.family = AF_INET6;
	memcpy(p->src.b, src, 16);
	memcpy(p->dst.b, dst, 16);
	for (unsigned i = 0; ipv6_is_ext(nh); i++) {
		if (i == IPV6_EXT_MAX)
			return -EBADMSG;
		r = ipv6_walk_ext(c, &nh, p);
		if (r)
			return r;
		if (p->flags & PKT_F_NOT_FIRST)
			break;
	}
	p->l4proto = nh;
	return parse_l4(c, p);
}

int pkt_parse(const uint8_t *buf, size_t len, struct pkt_info *ret)
{
	struct pkt_info p = { 0 };
	struct cursor c;
	int r;

	cursor_init(&c, buf, len);
	if (len < 1)
		return -EMSGSIZE;
	switch (buf[0] >> 4) {
	case 4:
		r = parse_ipv4(&c, &p);
		break;
	case 6:
		r = parse_ipv6(&c, &p);
		break;
	default:
		return -EBADMSG;
	}
	if (r)
		return r;
	*ret = p;
	return 0;
}
