/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An IPv4 or IPv6 address as one value type: IPv4 sits in the first four
 * bytes, the rest zero, so addresses hash and compare with memcmp. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ip_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t b[16];
};

/* Longest text of ip_addr_format / ip_port_format, NUL included:
 * "[ffff:...:ffff]:65535". */
#define IP_ADDR_TEXT 48

/* Parses dotted IPv4 or IPv6 text. Returns 0 or -EINVAL. */
int ip_addr_parse(const char *s, struct ip_addr *ret);
/* Parses "ADDR" or "ADDR/LEN". A bare address gets the full length.
 * Host bits set below the prefix are refused (-EINVAL): a list line
 * "10.0.0.1/8" is more likely a typo than a network. */
int ip_cidr_parse(const char *s, struct ip_addr *ret_net, unsigned *ret_plen);
void ip_addr_format(const struct ip_addr *a, char *buf, size_t len);
/* "1.2.3.4:443" or "[2001:db8::1]:443". */
void ip_port_format(const struct ip_addr *a, uint16_t port, char *buf,
		    size_t len);
bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);
/* 127.0.0.0/8 or ::1. */
bool ip_addr_is_loopback(const struct ip_addr *a);
/* A 32-bit FNV-1a hash of the address (for tables keyed by address). */
uint32_t ip_addr_hash32(const struct ip_addr *a);
/* Clears host bits below plen. */
void ip_addr_mask(struct ip_addr *a, unsigned plen);
static inline unsigned ip_addr_bits(const struct ip_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}
