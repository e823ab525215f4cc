/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's state, shared by its files: engine.c (owners, events,
 * actions, the packet), engine_dns.c (DNS over UDP and TCP),
 * engine_stream.c (TCP first payloads, UDP flows). Internal. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "egressd/engine.h"
#include "egressd/flowtab.h"
#include "egressd/pkt.h"

/* Which container a packet belongs to. A container has several addresses
 * (IPv4 and IPv6; its DNS may go over one and its connection over the
 * other), so the owner is its bridge port when the kernel tells it, else
 * the address. Addresses seen on a port are remembered, so that a
 * connection known only by its addresses (a conntrack entry) finds its
 * owner too. */
#define OWNER_PORT 0x80000000u
/* The host's own sockets, whatever their address (a lookup through a
 * stub resolver on 127.0.0.1, then a connection from the host's outer
 * address): one owner, as port 0 (never a bridge port's ifindex). Its
 * containers on the host's network share the host's DNS view. */
#define OWNER_HOST OWNER_PORT

struct addr_owner {
	struct ip_addr addr;
	uint32_t owner;
};

struct engine {
	struct engine_cfg cfg;
	struct inspector ins;
	struct flowtab *flows;
	struct addr_owner owners[ENGINE_OWNERS];
	struct engine_stats st;
	unsigned long quic_live; /* QUIC hellos being read */
	uint64_t quic_seq;
	/* the packet being judged */
	const struct engine_pkt *in;
	struct pkt_info pk;
	struct engine_out *out;
	uint64_t now_s;
	uint8_t rewrite[0xffff];
};

/* The name a client of a DoH-blocking network asks to learn whether DNS
 * over HTTPS should stay off (Firefox: an NXDOMAIN turns it off). */
#define DOH_CANARY "use-application-dns.net"

uint32_t eng_owner_lookup(const struct engine *e, const struct ip_addr *a);
/* The container's side of the packet, the other side, its port. */
const struct ip_addr *eng_client_of(const struct engine *e);
const struct ip_addr *eng_server_of(const struct engine *e);
uint16_t eng_server_port(const struct engine *e);
/* The packet's container (its port, else its address). */
uint32_t eng_owner(struct engine *e);
/* Fills ob's where (client, dst, port, protocol) from the packet. */
void eng_where(const struct engine *e, struct observation *ob);
void eng_observe(struct engine *e, const struct observation *ob);
void eng_copy_text(char *dst, size_t len, const char *src);
/* A new event about ob (NULL when the packet has too many, counted). */
struct event *eng_event_new(struct engine *e, enum event_kind kind,
			    const struct observation *ob, bool blocked);
void eng_rule_own(struct event *ev, const char *category, const char *pattern,
		  const char *matched);
void eng_addrs_of(struct event *ev, const struct observation *ob,
		  bool from_chain);
/* What a blacklist hit does (its category may have its own action). */
enum engine_action eng_action_of(const struct engine *e,
				 const struct observation *ob);
/* Would an action stop the flow (block mode and a block)? */
bool eng_stops(const struct engine *e, enum engine_action a);
/* A blacklist hit: its event; returns whether the flow stops. */
bool eng_hit(struct engine *e, enum event_kind kind,
	     const struct observation *ob);
/* A flow judged: ENG_ALLOW or ENG_BLOCK, with its event. */
enum engine_verdict eng_judged(struct engine *e, struct observation *ob);
/* A payload that cannot be read: the address first, then `unreadable`. */
enum engine_verdict eng_unreadable(struct engine *e, struct observation *ob,
				   const char *why);
/* A flow by its address and the names the container resolved for it. */
enum engine_verdict eng_by_address(struct engine *e);

/* engine_dns.c: true if the UDP packet was DNS (its verdict in *v). */
bool eng_dns_udp(struct engine *e, enum engine_verdict *v);
/* engine_dns.c: DNS over TCP on flow f; false if the stream is not DNS. */
bool eng_dns_tcp(struct engine *e, struct flow *f, enum engine_verdict *v);
/* engine_stream.c */
enum engine_verdict eng_tcp(struct engine *e);
enum engine_verdict eng_udp_first(struct engine *e);
/* engine_quic.c: a client Initial of UDP flow f. */
enum engine_verdict eng_quic(struct engine *e, struct flow *f);
