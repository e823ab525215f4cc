/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a running egressd is doing, for `egressctl status` and /metrics.
 * The packet thread fills a struct status_counters and publishes it about
 * once a second into a board of relaxed atomics: readers (the control
 * workers, the metrics thread) never take a lock the packet path could
 * wait on, and a counter they read is at most a second old. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Packets by kind: what the queued packet is, from its headers. */
enum status_kind {
	STATUS_KIND_DNS, /* TCP or UDP port 53, either side */
	STATUS_KIND_TCP,
	STATUS_KIND_UDP,
	STATUS_KIND_ICMP,
	STATUS_KIND_OTHER,
	STATUS_KINDS
};

/* The engine's verdicts (engine.h), in that order. */
enum status_action {
	STATUS_ACT_ACCEPT, /* passed, the flow still undecided */
	STATUS_ACT_ALLOW,
	STATUS_ACT_BLOCK,
	STATUS_ACT_DROP,
	STATUS_ACT_REWRITE,
	STATUS_ACTIONS
};

extern const char *const status_kind_names[STATUS_KINDS];
extern const char *const status_action_names[STATUS_ACTIONS];

/* Every field a uint64_t: the board copies them one by one. */
struct status_counters {
	uint64_t packets; /* read from the queues */
	uint64_t enobufs; /* queue messages the kernel could not send us */
	uint64_t verdict_errors;
	uint64_t malformed;
	uint64_t unreadable;
	uint64_t queue_full; /* the kernel's drops: queue full */
	uint64_t queue_user; /* the kernel's drops: could not send */
	uint64_t by_kind[STATUS_KINDS];
	uint64_t verdicts[STATUS_ACTIONS][STATUS_KINDS];
	uint64_t events_queued, events_coalesced, events_dropped;
	uint64_t events_written, store_errors, export_errors;
	uint64_t held_timeouts, held_full;
	uint64_t flows_evicted, flows; /* flows: undecided now */
	uint64_t dns_cache_entries;
	/* the host's own sockets (output/input hooks): packets queued, and
	 * events of host processes left out (host_processes = ignore) */
	uint64_t host_packets, host_ignored;
	uint64_t published_ms; /* monotonic: when this was published */
};

#define STATUS_WORDS (sizeof(struct status_counters) / sizeof(uint64_t))

struct status_board {
	_Atomic uint64_t w[STATUS_WORDS];
};

/* Events by their rule's category ("malware", "mining-pool"...): the
 * packet thread is the one writer. A name is written once, before the
 * count that makes it visible; past STATUS_CATS_MAX names, the rest count
 * as "other" (categories come from the list files: a handful). */
#define STATUS_CATS_MAX 32
#define STATUS_CAT_LEN 32

struct status_cats {
	_Atomic size_t n;
	char names[STATUS_CATS_MAX][STATUS_CAT_LEN];
	_Atomic uint64_t count[STATUS_CATS_MAX];
	_Atomic uint64_t other; /* past STATUS_CATS_MAX, or no category */
};

/* The packet thread: one event of this category. */
void status_cats_count(struct status_cats *c, const char *category);

void status_publish(struct status_board *b, const struct status_counters *c);
void status_read(const struct status_board *b, struct status_counters *ret);
/* The kind of an IP packet, by its headers (never fails: OTHER). */
enum status_kind status_kind_of(const uint8_t *pkt, size_t len);
