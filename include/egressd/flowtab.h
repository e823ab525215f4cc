/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TCP flows still waiting for their first payload (SNI / Host): the client
 * bytes seen so far, keyed by the 5-tuple. Bounded in count; idle flows
 * expire. Pure: the caller passes the time. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/reasm.h"

/* Zero the whole key (padding included) before filling it: keys compare
 * with memcmp. */
struct flow_key {
	struct ip_addr client, server;
	uint16_t cport, sport;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
};

struct flow {
	struct flow_key key;
	struct reasm up; /* client -> server */
	struct reasm down; /* server -> client (DNS over TCP answers) */
	uint64_t last_seen;
	bool blocked; /* DNS over TCP: an answer was stopped; so are its
			 retransmissions and the rest of the stream */
	bool done; /* judged: no more bytes needed (replay) */
	bool not_dns; /* on port 53, yet not DNS: read as any flow */
	bool dns_read; /* a DNS message was read off the client's stream */
	/* Decided (the caller's verdict, 0: not yet): kept a while so that
	 * packets queued before the verdict took effect find it. */
	uint8_t decided;
	uint32_t isn; /* the client's SYN sequence number, if up.known */
	uint8_t unknown_waits; /* segments waited for an unknown start */
	void *app; /* the caller's state (a QUIC hello), freed by app_free */
	void (*app_free)(void *app);
	struct flow *next;
	struct flow *lru_prev, *lru_next;
};

struct flowtab;

struct flowtab *flowtab_new(size_t max);
void flowtab_free(struct flowtab *t);
/* Finds the flow, or creates it; at capacity the flow seen least recently
 * is evicted for it (counted when it was still undecided). NULL only
 * without memory. */
struct flow *flowtab_get(struct flowtab *t, const struct flow_key *k,
			 uint64_t now, bool create);
void flowtab_del(struct flowtab *t, struct flow *f);
/* Drops flows idle since before `before`; returns how many. */
size_t flowtab_expire(struct flowtab *t, uint64_t before);
size_t flowtab_size(const struct flowtab *t);
/* Calls fn for every flow (it must not add or delete flows). */
void flowtab_foreach(struct flowtab *t, void (*fn)(struct flow *f, void *ctx),
		     void *ctx);
/* The bucket a key falls in (tests: the key is secret and per table). */
size_t flowtab_slot(const struct flowtab *t, const struct flow_key *k);
/* Flows evicted so far to make room. */
unsigned long flowtab_evicted(const struct flowtab *t);
