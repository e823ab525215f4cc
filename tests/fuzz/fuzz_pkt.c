// SPDX-License-Identifier: GPL-2.0-or-later
/* Untrusted frames: the first byte picks a link type, the rest goes down
 * linkhdr -> pkt -> the payload parsers a packet would reach. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <pcap/dlt.h>

#include "egressd/dns.h"
#include "egressd/dnsrewrite.h"
#include "egressd/http.h"
#include "egressd/pkt.h"
#include "egressd/tls.h"
#include "linkhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = { DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL,
				    DLT_LINUX_SLL2, DLT_NULL };
	static struct dns_msg m;
	static uint8_t copy[65536];
	struct pkt_info pk;
	struct tls_hello h;
	struct http_req hr;
	const uint8_t *ip;
	size_t iplen;

	if (!size)
		return 0;
	if (linkhdr_to_ip(dlts[data[0] % 5], data + 1, size - 1, &ip, &iplen))
		return 0;
	if (pkt_parse(ip, iplen, &pk) || !pk.payload)
		return 0;
	if (pk.sport == 53 || pk.dport == 53) {
		/* A blocked answer is rewritten in a copy, as the daemon does. */
		if (!dns_parse(pk.payload, pk.payload_len, &m) && m.has_question &&
		    iplen <= sizeof(copy)) {
			memcpy(copy, ip, iplen);
			dns_rewrite_nxdomain(copy, iplen, m.question_end);
		}
	}
	else if (tls_is_handshake(pk.payload, pk.payload_len))
		tls_parse_client_hello(pk.payload, pk.payload_len, &h);
	else
		http_parse_request((const char *)pk.payload, pk.payload_len, &hr);
	return 0;
}
