/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Turns a DNS answer packet (IPv4/IPv6 + UDP) into an NXDOMAIN answer to the
 * same question, so a blocked lookup fails at once instead of timing out.
 * Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Rewrites pkt in place: keeps the header and question, sets rcode 3, no
 * records, and fixes the IP and UDP lengths and checksums. question_end is
 * the DNS offset just after the question. Returns the new packet length or
 * a negative errno. */
int dns_rewrite_nxdomain(uint8_t *pkt, size_t len, size_t question_end);
