/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Conntrack: cut connections a new verdict forbids. The one file that talks
 * to nf_conntrack. The table dump (slow on a busy host) runs in the control
 * thread; the packet thread only judges the collected list (in memory) and
 * marks the few it forbids. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

struct ct_conn {
	struct ip_addr src, dst; /* original direction */
	uint16_t dport;
	void *ct; /* the entry, kept to update it */
};

struct ct_list {
	size_t n;
	struct ct_conn *v;
};

/* Dumps the conntrack table: every connection whose mark has `bits` under
 * `mask` (mask 0: all). Returns 0 with *ret, or a negative errno. */
int ct_collect(uint32_t mask, uint32_t bits, struct ct_list **ret);
void ct_list_free(struct ct_list *l);

/* Gives a collected connection `block_bits` under `mask` in its mark (the
 * ruleset resets it from then on). Returns 0 or a negative errno. */
int ct_mark(const struct ct_conn *c, uint32_t mask, uint32_t block_bits);

/* Deletes every connection to or from any of the addresses (an isolated
 * container's). Returns how many, or a negative errno. */
int ct_delete_addrs(const struct ip_addr *addrs, size_t n);
