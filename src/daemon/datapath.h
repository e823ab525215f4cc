/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by its lifecycle (daemon.c) and its packet
 * path (datapath.c). Internal. */
#pragma once
#include <stdint.h>

#include "config.h"
#include "egressd/engine.h"
#include "egressd/hostnet.h"
#include "egressd/nfq.h"
#include "events.h"
#include "status.h"

/* Queues read by the one packet thread (fanout spreads the kernel's work;
 * one reader keeps the engine lock-free). */
#define QUEUES_MAX 16
/* Verdicts held at once while an event's process is looked up (each at
 * most ENGINE_HOLD_MS): past it, verdicts are not held. */
#define HELD_MAX 256

/* A verdict waiting for the event writer (or its deadline). */
struct held {
	struct nfqueue *q;
	uint32_t id;
	int verdict;
	bool set_mark;
	uint32_t mark;
	uint64_t deadline_ms;
	uint32_t token; /* 0: the slot is free */
};

struct daemon {
	struct config cfg;
	struct policy policy;
	struct engine *eng;
	struct synmap *synmap; /* the kernel's SYN sequence numbers */
	struct events *events;
	struct nfqueue *qs[QUEUES_MAX];
	size_t nq;
	uint64_t now; /* seconds, monotonic */
	uint64_t now_ms;
	unsigned long enobufs_reported;
	unsigned long qdrops_reported;
	unsigned long evicted_reported;
	struct ctl *ctl; /* the control thread (lists, containers) */
	struct fleet_host *fleet; /* fleet mode (fleet_dsn), else NULL */
	struct watchdog *wd; /* the packet thread beats it */
	struct held held[HELD_MAX];
	size_t nheld;
	uint32_t next_token;
	int release[2]; /* the writer's "attributed" tokens, to the loop */
	unsigned long held_timeouts, held_full;
	/* For `egressctl status` and /metrics: counted here by the packet
	 * thread, published to board about once a second (status.h). */
	uint64_t by_kind[STATUS_KINDS];
	uint64_t verdicts[STATUS_ACTIONS][STATUS_KINDS];
	unsigned long qdrop_full, qdrop_user; /* the kernel's, last read */
	uint64_t published_ms;
	struct status_board board;
	struct status_cats cats;
	enum nft_queue_kind queue_kind;
	int metrics_fd; /* bound while privileged, then served */
	struct metrics *metrics;
	/* the host's own sockets (containers on the host's network) */
	struct hostnet hostnet;
	uint64_t host_packets; /* queued from the output/input hooks */
};

/* The nfqueue callback: judges one packet and sends its verdict (or holds
 * it). ctx is the daemon. */
void datapath_on_packet(struct nfqueue *q, const struct nfqueue_packet *p,
			void *ctx);
/* Verdicts whose events were attributed (tokens on d->release) or whose
 * time is up. */
void datapath_release(struct daemon *d);
void datapath_expire_held(struct daemon *d);
/* Every held verdict now (stopping). */
void datapath_flush_held(struct daemon *d);
/* Passed to the event writer: a held verdict may go; with this bit, a
 * block goes as a silent drop (its container is being looked for). */
#define DATAPATH_TOKEN_SILENT EVENTS_TOKEN_SILENT
void datapath_attributed(void *ctx, uint32_t token);

/* After a list change: true if the accepted connection from src
 * to dst must be cut (block mode); records the event. */
int datapath_judge_existing(const struct ip_addr *src,
			    const struct ip_addr *dst, uint16_t dport,
			    struct daemon *d);
