/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine: one packet in, one verdict and typed events out. The daemon's
 * packet thread and `egressd replay` both drive it, so that replay predicts
 * exactly what the daemon decides. Pure: no I/O, no clock (the caller passes
 * the time), no log; it owns its tables (the DNS cache, the flows, the
 * containers' addresses) and reads the lists it is given.
 *
 * What it reads: DNS (every answer maps its addresses to the names of its
 * chain, per container, before the answer is released), the first payload
 * of every TCP flow in either direction (TLS ClientHello, HTTP request head,
 * stratum), the client Initials of QUIC, and the address of every new flow.
 * What it decides, by the lists: a claim (SNI, Host, a request's URI host,
 * QUIC's SNI) can only add a reason to block; the address is judged by the
 * IP lists and the names the container resolved for it (white beats black,
 * and a resolved name whitelists a listed address only if a trusted
 * resolver gave it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/decide.h"
#include "egressd/event.h"
#include "egressd/inspect.h"

struct policy;
struct flow_key;

/* allow: nothing happens; alert: an event; block: an event and the flow
 * stopped (in block mode; alert mode never blocks). */
enum engine_action { ENGINE_ALLOW, ENGINE_ALERT, ENGINE_BLOCK };

struct engine_cfg {
	bool block; /* block mode, else alert */
	uint32_t ttl_floor; /* s: an answer's mapping lives at least this */
	/* (container, address) pairs the DNS cache holds; 0: the default,
	 * DNSCACHE_ENTRIES_DEFAULT. The fuzz harness takes a small one: a
	 * fresh engine per input, and evictions within reach. */
	size_t dns_cache_entries;
	/* A first payload that starts like TLS or HTTP (or on 443, 80) and
	 * cannot be read, a hello that never completes, a CNAME chain longer
	 * than egressd follows: what egressd does not know it cannot let
	 * pass silently. */
	enum engine_action unreadable;
	/* Encrypted DNS to resolvers on the dns-bypass list, DNS over TLS. */
	enum engine_action dns_bypass;
	/* A ClientHello with Encrypted ClientHello: its real name is hidden. */
	enum engine_action ech;
	/* Resolvers whose answers may whitelist an address an IP list
	 * blocks (the host's and its runtimes'); any other resolver's names
	 * can add reasons to block, never unblock. */
	const struct ip_addr *trusted;
	size_t ntrusted;
	bool trust_all; /* replay: every resolver in the capture */
	/* The client's initial sequence number of a TCP flow whose SYN the
	 * engine did not see (the daemon asks the ruleset's map; replay sees
	 * the SYNs). Returns 0 and *isn, or non-zero: not known. */
	int (*tcp_isn)(void *ctx, const struct flow_key *k, uint32_t *isn);
	void *tcp_isn_ctx;
	/* Replay: every reading (a DNS message, a hello, a request...) with
	 * its decision, as it is made. NULL in the daemon. */
	void (*observe)(void *ctx, const struct observation *ob);
	void *observe_ctx;
};

/* Which way a packet goes, as the ruleset tells (a mark bit): from a
 * container, or to one. Never guessed from ports: a container chooses its
 * source port freely. */
enum engine_dir { ENGINE_OUT, ENGINE_IN };

struct engine_pkt {
	const uint8_t *data; /* the IP packet */
	size_t len;
	enum engine_dir dir;
	uint32_t port; /* the container's bridge port (physin for OUT,
			  physout for IN), 0 if not known */
	uint64_t now_ms; /* monotonic */
	int64_t wall; /* s since the epoch, for events */
	bool host; /* a host socket's (output or input hook): its container,
		      if any, is told by the socket's cgroup afterwards */
};

enum engine_verdict {
	ENG_ACCEPT, /* pass, the flow stays undecided (more to read) */
	ENG_ALLOW, /* pass, and the flow is decided: never queue it again */
	ENG_BLOCK, /* stop the flow: reset / unreachable, never queue again */
	ENG_DROP, /* drop this packet only (a DNS answer over TCP) */
	ENG_REWRITE, /* pass these bytes instead (a DNS answer -> NXDOMAIN) */
};

#define ENGINE_EVENTS_MAX 4

struct engine_out {
	enum engine_verdict verdict;
	/* Hold the verdict (at most ENGINE_HOLD_MS): the event's process is
	 * looked up first (a lookup's socket is gone a moment later). */
	bool hold;
	const uint8_t *rewrite; /* EV_REWRITE: the new packet, engine-owned */
	size_t rewrite_len;
	unsigned nevents;
	struct event events[ENGINE_EVENTS_MAX];
};

/* A lookup or first payload whose event waits for its process at most
 * this long before its verdict (NFQUEUE verdicts may come out of order). */
#define ENGINE_HOLD_MS 100

struct engine_stats {
	unsigned long packets, malformed, unreadable, flows_evicted;
	unsigned long not_dns_on_53, quic_incomplete;
	unsigned long isn_stale; /* a kept ISN that did not fit the flow */
	size_t flows; /* undecided now */
	size_t dns_entries; /* addresses the DNS cache maps now */
};

struct engine;

struct engine *engine_new(const struct engine_cfg *cfg,
			  const struct policy *p);
void engine_free(struct engine *e);
/* New lists (the old ones may be freed after this returns). */
void engine_set_policy(struct engine *e, const struct policy *p);
/* Judges one packet. out is valid until the next call. */
void engine_packet(struct engine *e, const struct engine_pkt *pk,
		   struct engine_out *out);
/* After a list change: would the new lists stop the accepted connection
 * src -> dst:dport of the container at port? (conntrack's survivors) */
bool engine_judge_existing(struct engine *e, const struct ip_addr *src,
			   const struct ip_addr *dst, uint16_t dport,
			   uint64_t now_ms, struct event *ret);
/* Drops flows idle for ENGINE_FLOW_IDLE_MS. */
void engine_expire(struct engine *e, uint64_t now_ms);
void engine_get_stats(const struct engine *e, struct engine_stats *ret);
/* The end of a capture (replay): QUIC hellos that never completed are
 * observed (kind OBS_QUIC, unreadable "incomplete"). */
void engine_finish(struct engine *e);
