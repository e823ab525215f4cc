/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's state, shared by its lifecycle (daemon.c) and its packet
 * path (datapath.c). Internal. */
#pragma once
#include <stdint.h>

#include "config.h"
#include "egressd/flowtab.h"
#include "egressd/inspect.h"
#include "egressd/nfq.h"
#include "events.h"

/* Undecided TCP flows followed at once, and how long one may stay
 * undecided without traffic. */
#define FLOWS_MAX 65536
#define FLOW_IDLE_S 30
/* Queues read by the one packet thread (fanout spreads the kernel's work;
 * one reader keeps the DNS cache lock-free). */
#define QUEUES_MAX 16
/* Container addresses remembered with their bridge port. */
#define ADDRMAP_SIZE 4096

struct addr_owner {
	struct ip_addr addr;
	uint32_t owner;
};

struct daemon {
	struct addr_owner addrmap[ADDRMAP_SIZE];
	struct config cfg;
	struct policy policy;
	struct inspector ins;
	struct flowtab *flows;
	struct events *events;
	struct nfqueue *qs[QUEUES_MAX];
	size_t nq;
	struct nfqueue *q; /* the queue of the packet being judged */
	uint64_t now; /* seconds, monotonic */
	unsigned long malformed;
	unsigned long enobufs_reported;
	unsigned long qdrops_reported;
	struct ctl *ctl; /* the control thread (lists, containers) */
	struct watchdog *wd; /* the packet thread beats it */
	uint8_t rewrite[0xffff];
};

/* The nfqueue callback: judges one packet and sends its verdict. ctx is
 * the daemon. */
void datapath_on_packet(struct nfqueue *q, const struct nfqueue_packet *p,
			void *ctx);

/* After a list change: true if the accepted connection from src
 * to dst must be cut (block mode); records the event. ctx is the daemon. */
int datapath_judge_existing(const struct ip_addr *src,
			    const struct ip_addr *dst, uint16_t dport,
			    struct daemon *d);
