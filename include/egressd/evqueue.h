/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event queue between the packet thread and the event writer: fair
 * and bounded. Each owner (a container: its bridge port, or its address)
 * has a lane; the writer takes the lanes in turn; an event that repeats
 * one still waiting in its lane is counted into it. So a flood from one
 * container costs one queued event with a count, and cannot crowd out
 * another container's events. Pure: no locks (the caller holds one), no
 * I/O, no allocation after evq_new. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/event.h"

/* Events waiting at most, owners with events waiting at once, and events
 * one owner may have waiting (distinct ones: repeats are counted). */
#define EVQ_SLOTS 4096
#define EVQ_LANES 256
#define EVQ_LANE_MAX 80
/* Of a lane, room only summaries may take: a lane full of distinct
 * events still sums up what comes next. */
#define EVQ_LANE_SUMMARIES 16
/* New distinct events an owner may queue: a burst of EVQ_BURST, then
 * EVQ_RATE a second. Past that its events are summed up per rule (one
 * "summary" event whose subject is the rule's pattern, with a count): a
 * flood of random names under one wildcard is one event, not thousands. */
#define EVQ_BURST 64
#define EVQ_RATE 20

struct evq_item {
	struct event ev; /* the first occurrence (its flow: the latest) */
	uint32_t count; /* occurrences */
	int64_t last; /* the latest one's time */
	bool summary; /* occurrences of the rule, ev.rule.matched is its
			 pattern and ev.name is "" */
	uint32_t token; /* a verdict held until the process is found (0:
			   none); given back by the writer */
};

struct evq;

struct evq *evq_new(void);
void evq_free(struct evq *q);
/* Queues ev for owner at now_ms (monotonic), with the token of its held
 * verdict (0: none), which a new item keeps. Returns 0 (queued), 1
 * (counted into the same event, or its rule's summary, waiting in the
 * lane), -ENOBUFS (the owner's lane is full) or -ENOSPC (the queue is
 * full, or too many owners are waiting). */
int evq_push(struct evq *q, uint64_t owner, const struct event *ev,
	     uint32_t token, int64_t now_ms);
/* Takes the next event, lanes in turn. Returns false when empty. */
bool evq_pop(struct evq *q, struct evq_item *ret);
size_t evq_len(const struct evq *q);
/* The owner of an event: its bridge port when known, else its address. */
uint64_t evq_owner_of(const struct event *ev);
