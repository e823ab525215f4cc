/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One observation at a time: a DNS message, the first payload of a TCP
 * flow, or a new flow, turned into what was seen and the verdict of the
 * lists. Shared by the packet path and the offline replay. Pure: the
 * caller passes the time and owns the I/O. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "egressd/decide.h"
#include "egressd/dns.h"
#include "egressd/dnscache.h"
#include "egressd/http.h"
#include "egressd/stratum.h"
#include "egressd/tls.h"

enum obs_kind {
	OBS_DNS_QUERY,
	OBS_DNS_ANSWER,
	OBS_TLS,
	OBS_HTTP,
	OBS_QUIC, /* a QUIC Initial's ClientHello (in tls) */
	OBS_STRATUM, /* a mining client's first request */
	OBS_FLOW, /* a flow judged by address and resolved names */
	OBS_UNREADABLE, /* a first payload, hello or answer not readable */
};

/* Names one payload claims at most: two SNIs, two Hosts and a URI's. */
#define OBS_CLAIMS_MAX 4

struct inspector {
	const struct policy *policy; /* may have NULL sets: nothing matches */
	struct dnscache *cache;
	uint32_t ttl_floor;
	/* Remember the addresses of blacklisted answers? Not when they are
	 * blocked (the client never gets them: an address it uses anyway came
	 * from elsewhere), yes when they are only reported. */
	bool remember_blocked;
	struct dns_msg *dns; /* scratch, owned */
};

struct observation {
	enum obs_kind kind;
	const struct dns_msg *dns; /* DNS kinds: points into the inspector */
	struct dns_chain chain; /* OBS_DNS_ANSWER */
	struct tls_hello tls; /* OBS_TLS, OBS_QUIC */
	struct http_req http; /* OBS_HTTP */
	struct stratum_req stratum; /* OBS_STRATUM */
	const char *claims[OBS_CLAIMS_MAX]; /* what the payload says it is */
	unsigned nclaims;
	const char *resolved[DNSCACHE_NAMES_PER_ADDR]; /* the container's */
	bool trusted[DNSCACHE_NAMES_PER_ADDR]; /* ...from a trusted resolver */
	unsigned nresolved;
	struct decision d;
	const char *unreadable; /* OBS_UNREADABLE: why; OBS_QUIC: "incomplete"
				   for a hello that never completed */
	size_t quic_bytes, quic_contig; /* ...its bytes, and in order */
	/* Where, filled by the engine (for replay and events). */
	struct ip_addr client, dst;
	uint16_t dport;
	uint8_t proto;
};

int inspector_init(struct inspector *ins, const struct policy *p,
		   size_t cache_entries, uint32_t ttl_floor);
void inspector_fini(struct inspector *ins);

/* A DNS message seen on a flow of `owner` (the client container). A
 * response's chain is remembered for owner before the verdict is returned,
 * so the connection that follows finds its names; trusted: it came from a
 * trusted resolver (its names may then whitelist a listed address).
 * Returns 0 or the parser's error. */
int inspect_dns(struct inspector *ins, uint32_t owner, const uint8_t *msg,
		size_t len, uint64_t now, bool trusted, struct observation *ret);

/* The in-order bytes a client sent on a TCP flow to dst so far. Returns 0
 * (TLS, HTTP or stratum recognised, its claims judged with the address),
 * -EAGAIN (need more bytes), -ENOPROTOOPT (none of them), or the parser's
 * error (-EBADMSG, -E2BIG: it started like TLS or HTTP and cannot be
 * read; ret->unreadable says why). */
int inspect_stream(struct inspector *ins, uint32_t owner,
		   const struct ip_addr *dst, const uint8_t *p, size_t len,
		   uint64_t now, struct observation *ret);

/* Does the stream start like TLS or HTTP (whose unreadable forms the
 * `unreadable` setting covers)? */
bool inspect_starts_like_web(const uint8_t *p, size_t len);
/* The hello's server names as claims (a QUIC hello's). */
void inspect_tls_claims(struct observation *o);

/* Judges the claims already in ret (a QUIC hello's) with dst. */
void inspect_claims(struct inspector *ins, uint32_t owner,
		    const struct ip_addr *dst, uint64_t now,
		    struct observation *ret);

/* A new flow to dst, before any payload: addresses and resolved names. */
void inspect_flow(struct inspector *ins, uint32_t owner,
		  const struct ip_addr *dst, uint64_t now,
		  struct observation *ret);
