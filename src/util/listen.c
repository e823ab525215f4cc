// SPDX-License-Identifier: GPL-2.0-or-later
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *v, uint16_t *ret)
{
	char *end;
	unsigned long x;

	if (*v < '0' || *v > '9')
		return -EINVAL;
	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || !x || x > 65535)
		return -EINVAL;
	*ret = (uint16_t)x;
	return 0;
}

int listen_parse(const char *v, struct sockaddr_storage *ret)
{
	char host[64];
	const char *colon = strrchr(v, ':'), *h = v;
	size_t hl = colon ? (size_t)(colon - v) : 0;
	uint16_t port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;

	if (!colon || !hl || parse_port(colon + 1, &port))
		return -EINVAL;
	if (*h == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	memset(ret, 0, sizeof(*ret));
	if (v[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (v[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

int listen_is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}
