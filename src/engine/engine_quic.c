// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC in the engine: the client Initials of a UDP flow are decrypted and
 * their CRYPTO frames put together (quic.h) until the ClientHello is
 * whole; its names are then judged like a TLS hello's. The verdict falls
 * on the datagram that completes the hello: the earlier ones pass, since
 * a server can do nothing with part of a hello (it cannot derive the
 * handshake keys), and a blocked hello's completing datagram and every
 * later Initial of the flow are dropped, so the server never has it
 * whole. Every client Initial is queued (the ruleset matches their first
 * bytes), decided flow or not: a second connection on the same UDP flow,
 * or a hello sent again with other names, is read too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/limits.h"
#include "egressd/quic.h"
#include "engine_internal.h"

struct quic_state {
	struct quic_flow q;
	uint64_t born_ms;
	uint64_t seq; /* the order states were made in */
	unsigned long *live; /* the engine's count of states */
	struct observation where; /* client, dst, port: for engine_finish */
	bool judged; /* its hello was judged: later Initials that agree
			with it (retransmissions) are not judged again */
};

static void state_free(void *p)
{
	struct quic_state *s = p;

	quic_flow_free(&s->q);
	(*s->live)--;
	free(s);
}

static void state_drop(struct flow *f)
{
	if (f->app)
		state_free(f->app);
	f->app = NULL;
}

/* At the cap, a judged hello's state makes room (its flow then reads a
 * retransmission as a new hello, at worst judged again). */
static void drop_judged(struct flow *f, void *ctx)
{
	struct quic_state *s = f->app;
	bool *done = ctx;

	if (*done || !s || f->app_free != state_free || !s->judged)
		return;
	state_drop(f);
	*done = true;
}

static struct quic_state *state_of(struct engine *e, struct flow *f)
{
	struct quic_state *s = f->app;
	bool room = false;

	if (s)
		return s;
	if (e->quic_live >= ENGINE_QUIC_MAX)
		flowtab_foreach(e->flows, drop_judged, &room);
	if (e->quic_live >= ENGINE_QUIC_MAX || !(s = calloc(1, sizeof(*s))))
		return NULL;
	s->born_ms = e->in->now_ms;
	s->seq = ++e->quic_seq;
	eng_where(e, &s->where);
	s->live = &e->quic_live;
	e->quic_live++;
	f->app = s;
	f->app_free = state_free;
	return s;
}

/* The flow's verdict so far, or `v` for an undecided flow. */
static enum engine_verdict so_far(const struct flow *f, enum engine_verdict v)
{
	return f->decided ? (enum engine_verdict)f->decided : v;
}

/* A new judgement on the flow (a hello read again, or unreadable): a
 * blocked flow stays blocked, else the new verdict holds, so that an
 * event that says "blocked" is never let through. */
static enum engine_verdict judged_again(const struct flow *f,
					enum engine_verdict v)
{
	return f->decided == ENG_BLOCK ? ENG_BLOCK : v;
}

/* A complete hello: its names judged with the address. */
static enum engine_verdict hello(struct engine *e, struct flow *f,
				 const struct tls_hello *h)
{
	struct observation ob = { 0 };
	enum engine_verdict v;

	eng_where(e, &ob);
	ob.kind = OBS_QUIC;
	ob.tls = *h;
	inspect_tls_claims(&ob);
	inspect_claims(&e->ins, eng_owner(e), &ob.dst, e->now_s, &ob);
	ob.kind = OBS_QUIC;
	v = eng_judged(e, &ob);
	((struct quic_state *)f->app)->judged = true;
	return judged_again(f, v);
}

static enum engine_verdict unreadable(struct engine *e, struct flow *f,
				      const char *why)
{
	struct observation ob = { 0 };

	eng_where(e, &ob);
	state_drop(f);
	return judged_again(f, eng_unreadable(e, &ob, why));
}

static const char *why_of(int r)
{
	switch (r) {
	case -EPROTONOSUPPORT:
		return "a QUIC version egressd does not read";
	case -E2BIG:
		return "a QUIC hello larger than egressd reads";
	case -ENOMEM:
	case -EIO:
		return "no memory to read a QUIC hello";
	default:
		return "a QUIC Initial egressd cannot read";
	}
}

/* A new flow's address first: a listed one is stopped at its first
 * datagram, hello or not. */
static bool address_blocks(struct engine *e, enum engine_verdict *v)
{
	struct observation ob = { 0 };

	eng_where(e, &ob);
	inspect_flow(&e->ins, eng_owner(e), &ob.dst, e->now_s, &ob);
	if (ob.d.verdict != VERDICT_BLOCK)
		return false;
	*v = eng_judged(e, &ob);
	return *v == ENG_BLOCK;
}

enum engine_verdict eng_quic(struct engine *e, struct flow *f)
{
	struct quic_state *s;
	enum engine_verdict v;
	struct tls_hello h;
	int r;

	if (f->decided == ENG_BLOCK)
		return ENG_BLOCK;
	if (!f->decided && !f->app && address_blocks(e, &v))
		return v;
	s = state_of(e, f);
	if (!s)
		return unreadable(e, f, "too many QUIC hellos read at once");
	r = quic_flow_feed(&s->q, e->pk.payload, e->pk.payload_len, &h);
	if (r == -EXDEV) { /* another connection on the same flow */
		quic_flow_free(&s->q);
		memset(&s->q, 0, sizeof(s->q));
		s->born_ms = e->in->now_ms;
		r = quic_flow_feed(&s->q, e->pk.payload, e->pk.payload_len, &h);
	}
	if (!r && s->judged)
		return so_far(f, ENG_ALLOW); /* the same hello again */
	if (!r)
		return hello(e, f, &h);
	if (r == -EAGAIN) {
		if (s->judged || e->in->now_ms - s->born_ms <= ENGINE_QUIC_WAIT_MS)
			return so_far(f, ENG_ACCEPT);
		e->st.quic_incomplete++;
		return unreadable(e, f, "a QUIC hello that did not complete");
	}
	if (r == -ENOMSG) /* not an Initial after all: the address */
		return judged_again(f, eng_by_address(e));
	return unreadable(e, f, why_of(r));
}

/* ---- hellos that never completed (replay, at the end) ---- */

struct unfinished {
	struct quic_state *v[ENGINE_QUIC_MAX];
	size_t n;
};

static void collect(struct flow *f, void *ctx)
{
	struct unfinished *u = ctx;

	if (f->app && f->app_free == state_free && u->n < ENGINE_QUIC_MAX)
		u->v[u->n++] = f->app;
}

static int by_seq(const void *a, const void *b)
{
	const struct quic_state *x = *(struct quic_state *const *)a;
	const struct quic_state *y = *(struct quic_state *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

static size_t bytes_held(const struct quic_crypto *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->end && c->buf; i++)
		n += c->buf[c->cap + i / 8] >> (i % 8) & 1;
	return n;
}

void engine_finish(struct engine *e)
{
	struct unfinished *u = calloc(1, sizeof(*u));

	if (!u)
		return;
	flowtab_foreach(e->flows, collect, u);
	qsort(u->v, u->n, sizeof(u->v[0]), by_seq);
	for (size_t i = 0; i < u->n; i++) {
		struct observation ob = u->v[i]->where;
		if (!u->v[i]->q.initials || u->v[i]->judged)
			continue;
		ob.kind = OBS_QUIC;
		ob.unreadable = "incomplete";
		ob.quic_bytes = bytes_held(&u->v[i]->q.crypto);
		ob.quic_contig = u->v[i]->q.crypto.contig;
		eng_observe(e, &ob);
	}
	free(u);
}
