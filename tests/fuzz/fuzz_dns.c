// SPDX-License-Identifier: GPL-2.0-or-later
/* One DNS message, then the same bytes as a DNS-over-TCP stream; every
 * parsed answer goes through the chain builder and the DNS cache.
 * Invariants:
 *  - a parsed name, put back on the wire from its text (\DDD escapes
 *    decoded), parses to the same text: the text is a faithful, unique
 *    spelling, so no name can pose as another;
 *  - a message with a question, rewritten to NXDOMAIN inside an IPv4/UDP
 *    packet, parses again with RCODE 3, no record, the same id and the
 *    same question, and the IP and UDP lengths say the new length. */
#include <stdint.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "egressd/dns.h"
#include "egressd/dnscache.h"
#include "egressd/dnsrewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void chain(const struct dns_msg *m, struct dnscache *c)
{
	struct dns_chain ch;
	const char *names[4];

	if (dns_chain_build(m, &ch))
		return;
	for (unsigned i = 0; i < ch.n_addrs; i++) {
		dnscache_put(c, 1, &ch.addrs[i].addr,
			     dns_name(m, ch.names[ch.n_names - 1]), 100, i & 1);
		dnscache_get(c, 1, &ch.addrs[i].addr, 1, names, NULL, 4);
	}
}

/* The text form back to wire labels; returns the wire length. */
static size_t to_wire(const char *t, uint8_t *out)
{
	size_t o = 0, lab = 0;

	if (!*t || !strcmp(t, ".")) { /* the root */
		out[0] = 0;
		return 1;
	}
	out[o++] = 0;
	for (; *t; t++) {
		if (*t == '.') {
			lab = o;
			out[o++] = 0;
			continue;
		}
		if (*t == '\\') {
			out[o++] = (uint8_t)((t[1] - '0') * 100 + (t[2] - '0') * 10 +
					     (t[3] - '0'));
			t += 3;
		} else {
			out[o++] = (uint8_t)*t;
		}
		out[lab]++;
	}
	out[o++] = 0;
	return o;
}

static void name_round_trip(const char *text)
{
	static struct dns_msg m2;
	uint8_t q[12 + 300 + 4] = { 0x12, 0x34, 0x01, 0x00, 0, 1 };
	size_t n = to_wire(text, q + 12);

	q[12 + n + 1] = 1; /* A */
	q[12 + n + 3] = 1; /* IN */
	CHECK(dns_parse(q, 12 + n + 4, &m2) == 0 && m2.has_question);
	CHECK(!strcmp(dns_name(&m2, m2.qname), text));
}

static void nxdomain(const uint8_t *dns, size_t size, const struct dns_msg *m)
{
	static uint8_t pkt[28 + 65536];
	static struct dns_msg m2;
	static const uint8_t ip[28] = { 0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0,
					203, 0, 113, 53, 198, 18, 0, 11,
					0, 53, 0x9c, 0x40 };
	size_t len = 28 + size;
	int r;

	if (size > 65535 - 28)
		return;
	memcpy(pkt, ip, 28);
	pkt[2] = (uint8_t)(len >> 8), pkt[3] = (uint8_t)len;
	pkt[24] = (uint8_t)((size + 8) >> 8), pkt[25] = (uint8_t)(size + 8);
	memcpy(pkt + 28, dns, size);
	r = dns_rewrite_nxdomain(pkt, len, m->question_end);
	if (r < 0)
		return;
	CHECK((size_t)r >= 28 + 12 && (size_t)r <= len);
	CHECK(((size_t)pkt[2] << 8 | pkt[3]) == (size_t)r);
	CHECK(((size_t)pkt[24] << 8 | pkt[25]) == (size_t)r - 20);
	CHECK(dns_parse(pkt + 28, (size_t)r - 28, &m2) == 0);
	CHECK(m2.rcode == 3 && m2.n_rr == 0 && m2.id == m->id);
	CHECK(m2.has_question && m2.qtype == m->qtype && m2.qclass == m->qclass);
	CHECK(!strcmp(dns_name(&m2, m2.qname), dns_name(m, m->qname)));
}

static void check(const uint8_t *dns, size_t size, const struct dns_msg *m,
		  struct dnscache *c)
{
	for (unsigned i = 0; i < m->n_names; i++)
		name_round_trip(m->names[i]);
	if (m->has_question)
		nxdomain(dns, size, m);
	chain(m, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	static struct dnscache *c;
	struct cursor s, msg;

	if (!c)
		c = dnscache_new(64);
	if (!dns_parse(data, size, &m))
		check(data, size, &m, c);
	cursor_init(&s, data, size);
	for (int i = 0; i < 8 && dns_tcp_next(&s, &msg) == 1; i++)
		if (!dns_parse(cursor_ptr(&msg), cursor_left(&msg), &m))
			check(cursor_ptr(&msg), cursor_left(&msg), &m, c);
	return 0;
}
