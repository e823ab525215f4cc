// SPDX-License-Identifier: GPL-2.0-or-later
#include "linkhdr.h"

#include <errno.h>
#include <pcap/dlt.h>

#include "egressd/cursor.h"

enum { ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_VLAN = 0x8100,
       ETH_QINQ = 0x88a8 };

static int ethertype_ok(uint16_t t)
{
	return t == ETH_IPV4 || t == ETH_IPV6 ? 0 : -ENOENT;
}

/* dst[6] src[6] (tag[4])* type[2] */
static int ethernet(struct cursor *c)
{
	uint16_t type;

	if (cursor_skip(c, 12) || cursor_u16(c, &type))
		return -EMSGSIZE;
	for (int tags = 0; (type == ETH_VLAN || type == ETH_QINQ); tags++) {
		if (tags == 2 || cursor_skip(c, 2) || cursor_u16(c, &type))
			return tags == 2 ? -ENOENT : -EMSGSIZE;
	}
	return ethertype_ok(type);
}

/* SLL: type[2] arphrd[2] addrlen[2] addr[8] protocol[2] */
static int linux_sll(struct cursor *c)
{
	uint16_t proto;

	if (cursor_skip(c, 14) || cursor_u16(c, &proto))
		return -EMSGSIZE;
	return ethertype_ok(proto);
}

/* SLL2: protocol[2] reserved[2] ifindex[4] arphrd[2] type[1] alen[1]
 * addr[8] */
static int linux_sll2(struct cursor *c)
{
	uint16_t proto;

	if (cursor_u16(c, &proto) || cursor_skip(c, 18))
		return -EMSGSIZE;
	return ethertype_ok(proto);
}

/* BSD loopback: a 4-byte address family in the writer's byte order. */
static int null_loop(struct cursor *c)
{
	const uint8_t *f;

	if (cursor_bytes(c, 4, &f))
		return -EMSGSIZE;
	return cursor_left(c) && (*cursor_ptr(c) >> 4 == 4 ||
				  *cursor_ptr(c) >> 4 == 6)
		       ? 0
		       : -ENOENT;
}

int linkhdr_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

int linkhdr_to_ip(int dlt, const uint8_t *p, size_t len, const uint8_t **ip,
		  size_t *iplen)
{
	struct cursor c;
	int r;

	cursor_init(&c, p, len);
	switch (dlt) {
	case DLT_EN10MB:
		r = ethernet(&c);
		break;
	case DLT_LINUX_SLL:
		r = linux_sll(&c);
		break;
	case DLT_LINUX_SLL2:
		r = linux_sll2(&c);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		r = 0;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		r = null_loop(&c);
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	if (r)
		return r;
	*ip = cursor_ptr(&c);
	*iplen = cursor_left(&c);
	return 0;
}
