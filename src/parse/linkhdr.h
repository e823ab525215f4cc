/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Link-layer headers of captures, down to the IP packet. Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* True if replay can read captures of this pcap link type. */
int linkhdr_supported(int dlt);
/* Points *ip at the IP packet inside a frame. Returns 0, -ENOENT (not IPv4
 * or IPv6: ARP, LLDP...), -EMSGSIZE (truncated), -EPROTONOSUPPORT. */
int linkhdr_to_ip(int dlt, const uint8_t *p, size_t len, const uint8_t **ip,
		  size_t *iplen);
