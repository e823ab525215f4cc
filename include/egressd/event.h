/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An event as the packet path records it: typed, fixed-size, no pointer
 * into anything that may change (the lists are swapped while events
 * wait). JSON is made of it only at the edges (store, events.jsonl). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/limits.h"

/* The connection to attribute to a process (the container's side first). */
struct event_flow {
	uint8_t proto;
	struct ip_addr src, dst;
	uint16_t sport, dport;
};

enum event_kind {
	EV_DNS_QUERY, /* a query for a listed name */
	EV_DNS_ANSWER, /* a listed name further down an answer's CNAME chain */
	EV_TLS, /* the SNI of a ClientHello */
	EV_HTTP, /* the Host of a request */
	EV_FLOW, /* a new flow, by its address or the names resolved to it */
	EV_QUIC, /* the SNI of a QUIC Initial's ClientHello */
	EV_STRATUM, /* a mining client's first request */
	EV_UNREADABLE, /* what started like TLS, HTTP or DNS and cannot be read */
};

/* "dns_query", "tls"... as events.jsonl and replay name them. */
const char *event_kind_name(enum event_kind k);

#define EVENT_ADDRS_MAX 16
#define EVENT_TEXT_MAX (DOMAIN_TEXT_MAX + 8)

struct event {
	enum event_kind kind;
	bool blocked; /* else alerted */
	int64_t time; /* wall clock, s */
	uint32_t port; /* the container's bridge port, 0 if unknown */
	struct ip_addr client; /* the container's address */
	bool have_dst;
	struct ip_addr dst;
	uint16_t dport;
	char name[EVENT_TEXT_MAX]; /* the name asked or claimed, "" if none */
	unsigned naddrs; /* addresses the name resolved to */
	struct ip_addr addrs[EVENT_ADDRS_MAX];
	struct {
		char source[64], category[32];
		char pattern[EVENT_TEXT_MAX]; /* the list entry */
		char matched[EVENT_TEXT_MAX]; /* the name or address it matched */
	} rule;
	char detail[160]; /* what else was read ("" if nothing) */
	bool host; /* a host socket's: the container is its process's */
	bool have_flow; /* attribute to the process behind it */
	struct event_flow flow;
};
