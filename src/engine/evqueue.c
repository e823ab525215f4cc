// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/evqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Events a lane remembers having queued: a repeat of one of them is not
 * a new event, even when the writer took the first one already. */
#define LANE_RECENT 16

struct lane {
	uint64_t owner;
	uint32_t recent[LANE_RECENT]; /* keys of events queued lately */
	unsigned recent_next;
	bool used; /* owner is set */
	int64_t refilled; /* ms */
	uint32_t tokens; /* thousandths of a new event */
	uint16_t ring[EVQ_LANE_MAX]; /* slot numbers, oldest first */
	uint16_t head, n;
	bool active; /* in the turn order */
};

struct evq {
	struct evq_item slot[EVQ_SLOTS];
	uint16_t free_slots[EVQ_SLOTS];
	size_t nfree;
	struct lane lanes[EVQ_LANES];
	uint16_t turn[EVQ_LANES]; /* lanes with events, in turn order */
	size_t turn_head, turn_n;
	size_t len;
};

struct evq *evq_new(void)
{
	struct evq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	for (size_t i = 0; i < EVQ_SLOTS; i++)
		q->free_slots[i] = (uint16_t)(EVQ_SLOTS - 1 - i);
	q->nfree = EVQ_SLOTS;
	return q;
}

void evq_free(struct evq *q)
{
	free(q);
}

size_t evq_len(const struct evq *q)
{
	return q->len;
}

uint64_t evq_owner_of(const struct event *ev)
{
	if (ev->port)
		return (1ull << 32) | ev->port;
	return ip_addr_hash32(&ev->client);
}

/* The same event for the operator: what the store aggregates on, less
 * the process (not known yet) and the day (the same, within a queue). */
static bool same_event(const struct event *a, const struct event *b)
{
	return a->kind == b->kind && a->blocked == b->blocked &&
	       !strcmp(a->rule.matched, b->rule.matched) &&
	       !strcmp(a->rule.pattern, b->rule.pattern) &&
	       !strcmp(a->name, b->name);
}

/* The owner's lane, even an empty one (it keeps the owner's tokens: a
 * lane the writer just emptied must not hand a fresh burst out), else an
 * idle one, preferably never used. */
static struct lane *lane_of(struct evq *q, uint64_t owner, int64_t now)
{
	struct lane *idle = NULL;

	for (size_t i = 0; i < EVQ_LANES; i++) {
		struct lane *l = &q->lanes[i];
		if (l->used && l->owner == owner)
			return l;
		if (!l->n && (!idle || (idle->used && !l->used)))
			idle = l;
	}
	if (idle) {
		memset(idle->recent, 0, sizeof(idle->recent));
		idle->owner = owner;
		idle->used = true;
		idle->tokens = EVQ_BURST * 1000;
		idle->refilled = now;
	}
	return idle;
}

/* The rule's summary: what a flood of distinct names becomes. */
static bool same_rule(const struct evq_item *it, const struct event *ev)
{
	return it->summary && it->ev.kind == ev->kind &&
	       it->ev.blocked == ev->blocked &&
	       !strcmp(it->ev.rule.pattern, ev->rule.pattern);
}

static bool coalesce(struct evq *q, const struct lane *l,
		     const struct event *ev, bool summary)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct evq_item *it = &q->slot[l->ring[(l->head + i) % EVQ_LANE_MAX]];
		if (summary ? !same_rule(it, ev)
			    : it->summary || !same_event(&it->ev, ev))
			continue;
		if (it->count < UINT32_MAX)
			it->count++;
		it->last = ev->time;
		/* The latest occurrence's socket is the likeliest still open
		 * when the writer looks for its process. */
		if (ev->have_flow) {
			it->ev.have_flow = true;
			it->ev.flow = ev->flow;
		}
		return true;
	}
	return false;
}

/* The key of an event for the lane's memory (FNV-1a over what the store
 * aggregates on). */
static uint32_t event_key(const struct event *ev)
{
	const char *parts[3] = { ev->rule.matched, ev->rule.pattern, ev->name };
	uint32_t h = 2166136261u ^ (uint32_t)ev->kind ^ (ev->blocked ? 0x100u : 0);

	for (int i = 0; i < 3; i++)
		for (const char *c = parts[i]; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
	return h ? h : 1;
}

static bool recently_queued(struct lane *l, uint32_t key)
{
	for (unsigned i = 0; i < LANE_RECENT; i++)
		if (l->recent[i] == key)
			return true;
	l->recent[l->recent_next++ % LANE_RECENT] = key;
	return false;
}

/* A token per new distinct event; EVQ_RATE come back a second. */
static bool take_token(struct lane *l, int64_t now)
{
	if (now > l->refilled) {
		uint64_t t = l->tokens + (uint64_t)(now - l->refilled) * EVQ_RATE;
		l->tokens = t > EVQ_BURST * 1000 ? EVQ_BURST * 1000 : (uint32_t)t;
		l->refilled = now;
	}
	if (l->tokens < 1000)
		return false;
	l->tokens -= 1000;
	return true;
}

int evq_push(struct evq *q, uint64_t owner, const struct event *ev,
	     uint32_t token, int64_t now)
{
	struct lane *l = lane_of(q, owner, now);
	bool summary;
	uint16_t s;

	if (!l)
		return -ENOSPC;
	if (coalesce(q, l, ev, false))
		return 1;
	/* A repeat the writer already took is queued again, free: only new
	 * events are rationed. */
	summary = l->n >= EVQ_LANE_MAX - EVQ_LANE_SUMMARIES ||
		  (!recently_queued(l, event_key(ev)) && !take_token(l, now));
	if (summary && coalesce(q, l, ev, true))
		return 1;
	if (l->n == EVQ_LANE_MAX)
		return -ENOBUFS;
	if (!q->nfree)
		return -ENOSPC;
	s = q->free_slots[--q->nfree];
	q->slot[s] = (struct evq_item){ .ev = *ev, .count = 1, .last = ev->time,
					.summary = summary, .token = token };
	if (summary) {
		struct event *e = &q->slot[s].ev;
		memcpy(e->rule.matched, e->rule.pattern, sizeof(e->rule.matched));
		e->name[0] = 0;
		e->naddrs = 0;
	}
	l->ring[(l->head + l->n) % EVQ_LANE_MAX] = s;
	l->n++;
	q->len++;
	if (!l->active) {
		l->active = true;
		q->turn[(q->turn_head + q->turn_n++) % EVQ_LANES] =
			(uint16_t)(l - q->lanes);
	}
	return 0;
}

bool evq_pop(struct evq *q, struct evq_item *ret)
{
	struct lane *l;
	uint16_t s;

	if (!q->turn_n)
		return false;
	l = &q->lanes[q->turn[q->turn_head]];
	q->turn_head = (q->turn_head + 1) % EVQ_LANES;
	q->turn_n--;
	s = l->ring[l->head];
	*ret = q->slot[s];
	q->free_slots[q->nfree++] = s;
	l->head = (uint16_t)((l->head + 1) % EVQ_LANE_MAX);
	l->n--;
	q->len--;
	if (l->n)
		q->turn[(q->turn_head + q->turn_n++) % EVQ_LANES] =
			(uint16_t)(l - q->lanes);
	else
		l->active = false;
	return true;
}
