// SPDX-License-Identifier: GPL-2.0-or-later
/* The packet path's shell: a queued packet to the engine, its verdict to
 * the kernel, its events to the writer. Never waits on disk, /proc or the
 * network; a verdict whose event needs its process is held (at most
 * ENGINE_HOLD_MS) while the writer looks it up. */
#include "datapath.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <linux/netfilter.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "egressd/clock.h"
#include "watchdog.h"

static uint32_t mark_with(const struct daemon *d, uint32_t pkt_mark,
			  uint32_t bits)
{
	return (pkt_mark & ~d->cfg.marks.mask) | bits;
}

/* The engine's verdict as the kernel's. A blocked packet goes back
 * through the hook (NF_REPEAT) with the block mark, where the ruleset
 * marks its connection and rejects it; a decided one carries its mark to
 * the connection. */
static void nf_of(const struct daemon *d, const struct nfqueue_packet *p,
		  const struct engine_out *o, struct held *h)
{
	h->set_mark = true;
	switch (o->verdict) {
	case ENG_ALLOW:
		h->verdict = NF_ACCEPT;
		h->mark = mark_with(d, p->mark, d->cfg.marks.allow);
		break;
	case ENG_BLOCK:
		h->verdict = NF_REPEAT;
		h->mark = mark_with(d, p->mark, d->cfg.marks.block);
		break;
	case ENG_DROP:
		h->verdict = NF_DROP;
		h->set_mark = false;
		break;
	default: /* accept, rewrite: the flow stays undecided */
		h->verdict = NF_ACCEPT;
		h->mark = mark_with(d, p->mark, 0);
		break;
	}
}

static void send_held(const struct held *h)
{
	nfqueue_verdict(h->q, h->id, h->verdict, h->set_mark, h->mark, NULL, 0);
}

/* Holds the verdict for the writer; false when no slot is free. */
static bool hold(struct daemon *d, const struct held *h)
{
	for (size_t i = 0; i < HELD_MAX; i++) {
		if (d->held[i].token)
			continue;
		d->held[i] = *h;
		d->nheld++;
		return true;
	}
	return false;
}

static uint32_t token_new(struct daemon *d)
{
	d->next_token = (d->next_token + 1) & ~DATAPATH_TOKEN_SILENT;
	if (!d->next_token)
		d->next_token = 1;
	return d->next_token;
}

/* Only an event with a process to look up holds its packet. */
static bool wants_hold(const struct engine_out *o)
{
	if (!o->hold || o->verdict == ENG_REWRITE)
		return false;
	for (unsigned i = 0; i < o->nevents; i++)
		if (o->events[i].have_flow)
			return true;
	return false;
}

static enum engine_dir dir_of(const struct daemon *d,
			      const struct nfqueue_packet *p)
{
	return (p->mark & d->cfg.marks.in) == d->cfg.marks.in && d->cfg.marks.in
		       ? ENGINE_IN
		       : ENGINE_OUT;
}

/* A block released "silent" (its container is not known yet: the writer
 * waits for a rescan) is dropped without a trace in the kernel: the
 * client sends the packet again (a SYN after ~1 s, a segment after its
 * RTO) and is still alive for the rescan to name (a one-shot container
 * whose connection was reset at once exited before it was known); the
 * engine's decided flow stops the retry with a reset and no second
 * event. Only then: a retry may meet a full queue. */
static void release_token(struct daemon *d, uint32_t token)
{
	bool silent = token & DATAPATH_TOKEN_SILENT;

	token &= ~DATAPATH_TOKEN_SILENT;
	for (size_t i = 0; i < HELD_MAX && d->nheld; i++) {
		if (d->held[i].token != token)
			continue;
		if (silent && d->held[i].verdict == NF_REPEAT) {
			d->held[i].verdict = NF_DROP;
			d->held[i].set_mark = false;
		}
		send_held(&d->held[i]);
		d->held[i].token = 0;
		d->nheld--;
		return;
	}
}

/* The engine's events to the writer; the first one with a process to
 * look up takes the held verdict's token (counted into an event already
 * waiting: nothing to wait for, the verdict goes now). */
/* For status and metrics; the verdicts' order is status.h's. */
static void count(struct daemon *d, const struct nfqueue_packet *p,
		  const struct engine_out *out)
{
	enum status_kind k = status_kind_of(p->data, p->len);

	_Static_assert(ENG_REWRITE == (int)STATUS_ACT_REWRITE,
		       "status.h's actions follow engine.h's verdicts");
	d->by_kind[k]++;
	if ((unsigned)out->verdict < STATUS_ACTIONS)
		d->verdicts[out->verdict][k]++;
	for (unsigned i = 0; i < out->nevents; i++)
		status_cats_count(&d->cats, out->events[i].rule.category);
}

static void push_events(struct daemon *d, const struct engine_out *out,
			uint32_t token)
{
	for (unsigned i = 0; i < out->nevents; i++) {
		bool mine = token && out->events[i].have_flow;
		if (events_push(d->events, &out->events[i], mine ? token : 0) &&
		    mine)
			release_token(d, token);
		if (mine)
			token = 0;
	}
	if (token)
		release_token(d, token);
}

void datapath_on_packet(struct nfqueue *q, const struct nfqueue_packet *p,
			void *ctx)
{
	struct daemon *d = ctx;
	struct engine_out out;
	struct held h = { .q = q, .id = p->id };

	/* Also here, not only once per loop turn: under a flood the queue
	 * never runs dry and the loop never turns, yet the thread is well. */
	watchdog_beat(d->wd);
	struct engine_pkt in = {
		.data = p->data,
		.len = p->len,
		.dir = dir_of(d, p),
		.now_ms = d->now_ms,
		.wall = (int64_t)time(NULL),
	};
	in.port = in.dir == ENGINE_OUT ? p->physindev : p->physoutdev;
	/* The output and input hooks see only the host's own sockets
	 * (forwarded container traffic passes neither). */
	in.host = p->hook == NF_INET_LOCAL_OUT || p->hook == NF_INET_LOCAL_IN;
	if (in.host) {
		in.port = 0;
		d->host_packets++;
	}
	engine_packet(d->eng, &in, &out);
	count(d, p, &out);
	nf_of(d, p, &out, &h);
	if (wants_hold(&out)) {
		h.token = token_new(d);
		h.deadline_ms = d->now_ms + ENGINE_HOLD_MS;
		if (hold(d, &h)) {
			push_events(d, &out, h.token);
			return;
		}
		d->held_full++;
	}
	push_events(d, &out, 0);
	if (out.verdict == ENG_REWRITE)
		nfqueue_verdict(q, p->id, NF_ACCEPT, h.set_mark, h.mark,
				out.rewrite, out.rewrite_len);
	else
		send_held(&h);
}

void datapath_release(struct daemon *d)
{
	uint32_t tokens[64];
	ssize_t n;

	while ((n = read(d->release[0], tokens, sizeof(tokens))) > 0)
		for (size_t i = 0; i < (size_t)n / sizeof(tokens[0]); i++)
			release_token(d, tokens[i]);
}

void datapath_expire_held(struct daemon *d)
{
	for (size_t i = 0; i < HELD_MAX && d->nheld; i++) {
		struct held *h = &d->held[i];
		if (!h->token || h->deadline_ms > d->now_ms)
			continue;
		send_held(h);
		h->token = 0;
		d->nheld--;
		d->held_timeouts++;
	}
}

void datapath_flush_held(struct daemon *d)
{
	for (size_t i = 0; i < HELD_MAX && d->nheld; i++) {
		if (!d->held[i].token)
			continue;
		send_held(&d->held[i]);
		d->held[i].token = 0;
		d->nheld--;
	}
}

/* The writer's thread: never blocks (a full pipe: the deadline frees the
 * packet instead). */
void datapath_attributed(void *ctx, uint32_t token)
{
	struct daemon *d = ctx;

	(void)!write(d->release[1], &token, sizeof(token));
}

int datapath_judge_existing(const struct ip_addr *src,
			    const struct ip_addr *dst, uint16_t dport,
			    struct daemon *d)
{
	struct event ev;

	if (!engine_judge_existing(d->eng, src, dst, dport, d->now_ms, &ev))
		return 0;
	events_push(d->events, &ev, 0);
	return ev.blocked;
}
