// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/dnsrewrite.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "egressd/pkt.h"

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int dns_rewrite_nxdomain(uint8_t *pkt, size_t len, size_t question_end)
{
	struct pkt_info pi;
	uint8_t *udp, *dns;
	size_t l3, ulen;
	uint32_t s;
	bool v4;

	if (pkt_parse(pkt, len, &pi) || pi.l4proto != IPPROTO_UDP ||
	    !pi.payload || question_end < 12 || question_end > pi.payload_len)
		return -EINVAL;
	v4 = pi.src.family == AF_INET;
	dns = (uint8_t *)pi.payload;
	udp = dns - 8;
	l3 = (size_t)(udp - pkt);
	if (!v4 && l3 != 40)
		return -EINVAL; /* IPv6 extension headers: leave it alone */
	/* flags: keep QR, opcode, RD; set RA; rcode 3. Counts: qd 1, rest 0 */
	dns[2] = (uint8_t)((dns[2] & 0xf9) | 0x80);
	dns[3] = 0x83;
	memset(dns + 6, 0, 6);
	ulen = 8 + question_end;
	put16(udp + 4, (uint16_t)ulen);
	put16(udp + 6, 0);
	if (v4) {
		put16(pkt + 2, (uint16_t)(l3 + ulen));
		put16(pkt + 10, 0);
		put16(pkt + 10, fold(sum16(pkt, l3, 0)));
		s = sum16(pkt + 12, 8, 0);
	} else {
		put16(pkt + 4, (uint16_t)ulen);
		s = sum16(pkt + 8, 32, 0);
	}
	s += IPPROTO_UDP + (uint32_t)ulen;
	uint16_t c = fold(sum16(udp, ulen, s));
	put16(udp + 6, c ? c : 0xffff);
	return (int)(l3 + ulen);
}
