// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_addr_parse(const char *s, struct ip_addr *ret)
{
	struct ip_addr a = { 0 };

	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret = a;
	return 0;
}

static int parse_plen(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max || end - s > 3)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int ip_cidr_parse(const char *s, struct ip_addr *ret_net, unsigned *ret_plen)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	struct ip_addr a, m;
	unsigned plen;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (ip_addr_parse(buf, &a))
		return -EINVAL;
	plen = ip_addr_bits(&a);
	if (slash && parse_plen(slash + 1, plen, &plen))
		return -EINVAL;
	m = a;
	ip_addr_mask(&m, plen);
	if (!ip_addr_equal(&a, &m))
		return -EINVAL;
	*ret_net = a;
	*ret_plen = plen;
	return 0;
}

void ip_addr_mask(struct ip_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned lo = i * 8;

		if (lo >= plen)
			a->b[i] = 0;
		else if (plen < lo + 8)
			a->b[i] &= (uint8_t)(0xff << (8 - (plen - lo)));
	}
}

void ip_addr_format(const struct ip_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->b, buf,
		       (socklen_t)len))
		snprintf(buf, len, "?");
}

void ip_port_format(const struct ip_addr *a, uint16_t port, char *buf,
		    size_t len)
{
	char t[IP_ADDR_TEXT];

	ip_addr_format(a, t, sizeof(t));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", t, port);
	else
		snprintf(buf, len, "%s:%u", t, port);
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && !memcmp(a->b, b->b, 16);
}

uint32_t ip_addr_hash32(const struct ip_addr *a)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ a->family;
}

bool ip_addr_is_loopback(const struct ip_addr *a)
{
	static const uint8_t one6[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->b[0] == 127;
	return !memcmp(a->b, one6, 16);
}
