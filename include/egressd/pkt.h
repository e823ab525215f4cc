/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv4 / IPv6 (extension headers walked) + UDP / TCP, up to the payload.
 * Pure: no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

enum {
	PKT_F_FRAGMENT = 1 << 0, /* part of a fragmented datagram */
	PKT_F_NOT_FIRST = 1 << 1, /* a later fragment: no L4 header here */
};

enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
};

struct pkt_info {
	struct ip_addr src, dst;
	uint8_t l4proto; /* IPPROTO_TCP, IPPROTO_UDP, other, or 0 if unknown */
	uint8_t flags; /* PKT_F_* */
	uint16_t sport, dport; /* host order; 0 unless TCP/UDP */
	uint8_t tcp_flags;
	uint32_t tcp_seq;
	const uint8_t *payload; /* L4 payload (TCP/UDP), NULL otherwise */
	size_t payload_len;
};

/* Parses an IP packet (first byte is the IP version nibble).
 * Returns 0, -EBADMSG (not IP, bad header fields) or -EMSGSIZE
 * (truncated). A later fragment parses with l4proto set, no ports and no
 * payload. On success the payload points into buf. */
int pkt_parse(const uint8_t *buf, size_t len, struct pkt_info *ret);
