/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack: cut connections a new verdict forbids. The one file that talks
 * to nf_conntrack. Not on the packet path: run after a list change. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

/* Returns non-zero if the connection from src to dst:dport must go. */
typedef int (*ct_judge_fn)(const struct ip_addr *src, const struct ip_addr *dst,
			   uint16_t dport, void *ctx);

/* Walks the conntrack table; every connection whose mark has `bits` under
 * `mask` is judged, and the ones judged forbidden get `block_bits`
 * instead, which the ruleset answers with a reset from then on. Returns
 * how many were cut, or a negative errno. */
int ct_kill_forbidden(uint32_t mask, uint32_t bits, uint32_t block_bits,
		      ct_judge_fn judge, void *ctx);

/* Deletes every connection to or from any of the addresses (an isolated
 * container's). Returns how many, or a negative errno. */
int ct_delete_addrs(const struct ip_addr *addrs, size_t n);
