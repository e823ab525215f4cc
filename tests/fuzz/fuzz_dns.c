// SPDX-License-Identifier: GPL-2.0-or-later
/* One DNS message, then the same bytes as a DNS-over-TCP stream; every
 * parsed answer goes through the chain builder and the DNS cache. */
#include <stdint.h>
#include <stddef.h>

#include "egressd/dns.h"
#include "egressd/dnscache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_msg m;
	static struct dnscache *c;
	struct cursor s, msg;

	if (!c)
		c = dnscache_new(64);
	if (!dns_parse(data, size, &m))
		chain(&m, c);
	cursor_init(&s, data, size);
	for (int i = 0; i < 8 && dns_tcp_next(&s, &msg) == 1; i++)
		if (!dns_parse(cursor_ptr(&msg), cursor_left(&msg), &m))
			chain(&m, c);
	return 0;
}
