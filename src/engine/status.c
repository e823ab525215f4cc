// SPDX-License-Identifier: GPL-2.0-or-later
#include "status.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

const char *const status_kind_names[STATUS_KINDS] = {
	"dns", "tcp", "udp", "icmp", "other",
};

const char *const status_action_names[STATUS_ACTIONS] = {
	"accept", "allow", "block", "drop", "rewrite",
};

_Static_assert(sizeof(struct status_counters) % sizeof(uint64_t) == 0,
	       "status_counters must be whole words");

void status_publish(struct status_board *b, const struct status_counters *c)
{
	uint64_t w[STATUS_WORDS];

	memcpy(w, c, sizeof(w));
	for (size_t i = 0; i < STATUS_WORDS; i++)
		atomic_store_explicit(&b->w[i], w[i], memory_order_relaxed);
}

void status_read(const struct status_board *b, struct status_counters *ret)
{
	uint64_t w[STATUS_WORDS];

	for (size_t i = 0; i < STATUS_WORDS; i++)
		w[i] = atomic_load_explicit(&b->w[i], memory_order_relaxed);
	memcpy(ret, w, sizeof(w));
}

void status_cats_count(struct status_cats *c, const char *category)
{
	size_t n = atomic_load_explicit(&c->n, memory_order_relaxed);

	if (!category || !*category) {
		atomic_fetch_add_explicit(&c->other, 1, memory_order_relaxed);
		return;
	}
	for (size_t i = 0; i < n; i++)
		if (!strncmp(c->names[i], category, STATUS_CAT_LEN - 1)) {
			atomic_fetch_add_explicit(&c->count[i], 1,
						  memory_order_relaxed);
			return;
		}
	if (n == STATUS_CATS_MAX) {
		atomic_fetch_add_explicit(&c->other, 1, memory_order_relaxed);
		return;
	}
	snprintf(c->names[n], STATUS_CAT_LEN, "%s", category);
	atomic_store_explicit(&c->count[n], 1, memory_order_relaxed);
	/* release: a reader that sees n+1 sees the name */
	atomic_store_explicit(&c->n, n + 1, memory_order_release);
}

/* Ports of a TCP or UDP header at off, if whole. */
static bool ports_53(const uint8_t *pkt, size_t len, size_t off)
{
	if (off + 4 > len)
		return false;
	return ((pkt[off] << 8) | pkt[off + 1]) == 53 ||
	       ((pkt[off + 2] << 8) | pkt[off + 3]) == 53;
}

static enum status_kind by_proto(uint8_t proto, const uint8_t *pkt,
				 size_t len, size_t l4)
{
	switch (proto) {
	case 6:
		return ports_53(pkt, len, l4) ? STATUS_KIND_DNS : STATUS_KIND_TCP;
	case 17:
		return ports_53(pkt, len, l4) ? STATUS_KIND_DNS : STATUS_KIND_UDP;
	case 1:
	case 58:
		return STATUS_KIND_ICMP;
	default:
		return STATUS_KIND_OTHER;
	}
}

/* Only the first header of IPv6 is looked at: a packet with extension
 * headers counts as "other" (rare from containers; never misnamed). */
enum status_kind status_kind_of(const uint8_t *pkt, size_t len)
{
	if (len >= 20 && pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4;
		return ihl < 20 ? STATUS_KIND_OTHER
				: by_proto(pkt[9], pkt, len, ihl);
	}
	if (len >= 40 && pkt[0] >> 4 == 6)
		return by_proto(pkt[6], pkt, len, 40);
	return STATUS_KIND_OTHER;
}
