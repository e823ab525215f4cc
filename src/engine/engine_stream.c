// SPDX-License-Identifier: GPL-2.0-or-later
/* Flows in the engine: a TCP SYN judged by its address, the first payload
 * of every TCP flow read (in either direction: some servers speak first),
 * the first datagram of a UDP flow. A flow is decided once; the ruleset
 * then never queues it again. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "egressd/flowtab.h"
#include "egressd/limits.h"
#include "egressd/quic.h"
#include "engine_internal.h"

/* DNS over TLS: the resolver is whoever the container picked. */
#define DOT_PORT 853

static void key_of(const struct engine *e, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->client = *eng_client_of(e);
	k->server = *eng_server_of(e);
	k->cport = e->in->dir == ENGINE_OUT ? e->pk.sport : e->pk.dport;
	k->sport = eng_server_port(e);
	k->proto = e->pk.l4proto;
}

/* A decided flow is kept (its reassembly freed) until it ends or idles:
 * packets queued before its verdict took effect meet the same verdict,
 * never a new reading of bytes from the middle of the stream. */
static enum engine_verdict decide(struct engine *e, struct flow *f,
				  enum engine_verdict v)
{
	if (v != ENG_ALLOW && v != ENG_BLOCK)
		return v;
	bool known = f->up.known;

	f->decided = (uint8_t)v;
	reasm_free(&f->up);
	reasm_free(&f->down);
	/* Its start stays known: a later packet in its window needs no
	 * lookup of the kernel's map. */
	f->up.known = f->up.started = known;
	(void)e;
	return v;
}

/* A connection on the flow's addresses and ports, from its SYN: whatever
 * the flow held (an older connection's verdict, bytes read from an
 * unknown start) is not this one's. */
static void restart(struct flow *f, uint32_t isn)
{
	if (f->up.known && f->isn == isn)
		return; /* the same SYN again */
	reasm_free(&f->up);
	reasm_free(&f->down);
	f->decided = 0;
	f->unknown_waits = 0;
	f->not_dns = false;
	f->dns_read = false;
	f->blocked = false;
	reasm_start(&f->up, isn + 1);
	f->isn = isn;
}

/* Where the client's stream starts, when its SYN went by unseen (the
 * ruleset accepts a SYN to an unlisted address in the kernel, and keeps
 * its sequence number for egressd). Asked unless the segment lies in the
 * window of a start already known. Taken only if the segment lies within
 * the window after it: the entry may be an older connection's on the
 * same addresses and ports. */
static void start_of(struct engine *e, const struct flow_key *k,
		     struct flow *f)
{
	uint32_t isn;
	int32_t d;

	d = f->up.known ? (int32_t)(e->pk.tcp_seq - (f->isn + 1)) : INT32_MIN;
	if (d >= -(int32_t)REASM_MAX && d < (int32_t)REASM_MAX)
		return;
	if (!e->cfg.tcp_isn || e->cfg.tcp_isn(e->cfg.tcp_isn_ctx, k, &isn))
		return;
	/* A segment from just before the start (a stale byte) belongs to
	 * the connection too: the start then trims it. */
	d = (int32_t)(e->pk.tcp_seq - (isn + 1));
	if (d < -(int32_t)REASM_MAX || d >= (int32_t)REASM_MAX) {
		e->st.isn_stale++;
		return;
	}
	restart(f, isn);
}

/* Does a listed address decide its flow at the SYN? When it stops it, or
 * in alert mode when it is reported (no claim could add to that). A hit
 * that neither stops nor is reported in alert mode (the dns-bypass
 * list's: plain DNS on port 53, or its own action) leaves the flow to
 * its first payload: DNS over TCP is read, a claim may still stop it. */
static bool syn_decides(const struct engine *e, const struct observation *ob)
{
	enum engine_action a;

	if (ob->d.verdict != VERDICT_BLOCK)
		return false;
	a = eng_action_of(e, ob);
	return eng_stops(e, a) || (!e->cfg.block && a != ENGINE_ALLOW);
}

/* A SYN going out: only the address can say anything yet. A block is
 * final; anything else waits for the first payload, whose claim may
 * still block (a whitelisted address included: domain fronting). */
static enum engine_verdict syn_out(struct engine *e, const struct flow_key *k)
{
	struct observation ob = { 0 };
	struct flow *f = flowtab_get(e->flows, k, e->now_s, false);
	enum engine_verdict v;

	/* The same SYN again, of a connection stopped at its SYN: the daemon
	 * dropped the first one silently while its process was looked up
	 * (datapath.c); this one meets the verdict, and no second event. */
	if (f && f->decided == ENG_BLOCK && f->up.known &&
	    f->isn == e->pk.tcp_seq)
		return ENG_BLOCK;
	eng_where(e, &ob);
	inspect_flow(&e->ins, eng_owner(e), &k->server, e->now_s, &ob);
	if (syn_decides(e, &ob)) {
		v = eng_judged(e, &ob);
		f = v == ENG_BLOCK ? flowtab_get(e->flows, k, e->now_s, true)
				   : NULL;
		if (f) {
			restart(f, e->pk.tcp_seq);
			decide(e, f, v);
		}
		return v;
	}
	f = flowtab_get(e->flows, k, e->now_s, true);
	if (f)
		restart(f, e->pk.tcp_seq);
	return ENG_ACCEPT;
}

/* DNS over TLS goes around DNS inspection: the dns_bypass policy. */
static enum engine_verdict dot(struct engine *e, struct observation *ob)
{
	char at[IP_ADDR_TEXT];
	struct event *ev;

	inspect_flow(&e->ins, eng_owner(e), &ob->dst, e->now_s, ob);
	if (ob->d.verdict == VERDICT_BLOCK)
		return eng_judged(e, ob);
	eng_observe(e, ob);
	if (e->cfg.dns_bypass == ENGINE_ALLOW)
		return ENG_ALLOW;
	ev = eng_event_new(e, EV_FLOW, ob, eng_stops(e, e->cfg.dns_bypass));
	if (ev) {
		ip_port_format(&ob->dst, ob->dport, at, sizeof(at));
		eng_rule_own(ev, "dns-bypass", "protocol:dot", at);
		eng_addrs_of(ev, ob, false);
		e->out->hold = true;
	}
	return eng_stops(e, e->cfg.dns_bypass) ? ENG_BLOCK : ENG_ALLOW;
}

/* DNS over TLS's bytes: a hello whose names (or address) the lists stop
 * is judged as any (a C2 on port 853 passed as DoT); anything else has
 * the dns_bypass policy. Bytes past a gap wait for the start. */
static enum engine_verdict dot_bytes(struct engine *e, struct flow *f,
				     struct observation *ob, int r)
{
	if (!r && !f->up.len)
		return ENG_ACCEPT;
	if (!r) {
		r = inspect_stream(&e->ins, eng_owner(e), &ob->dst, f->up.buf,
				   f->up.len, e->now_s, ob);
		if (r == -EAGAIN)
			return ENG_ACCEPT;
		if (!r && ob->d.verdict == VERDICT_BLOCK)
			return eng_judged(e, ob);
	}
	return dot(e, ob);
}

/* Not TLS nor HTTP: on the ports of TLS and HTTP that cannot be read;
 * elsewhere the address and the resolved names decide. */
static enum engine_verdict other(struct engine *e, struct observation *ob)
{
	char why[64];

	if (ob->dport == 443 || ob->dport == 80) {
		snprintf(why, sizeof(why), "neither TLS nor HTTP on port %u",
			 ob->dport);
		/* why lives on the stack: the event copies it */
		return eng_unreadable(e, ob, why);
	}
	inspect_flow(&e->ins, eng_owner(e), &ob->dst, e->now_s, ob);
	return eng_judged(e, ob);
}

/* The client's bytes so far. */
static enum engine_verdict client_bytes(struct engine *e, struct flow *f)
{
	struct observation ob = { 0 };
	int r;

	eng_where(e, &ob);
	r = reasm_add(&f->up, e->pk.tcp_seq, false, e->pk.payload,
		      e->pk.payload_len);
	if (r == -EAGAIN)
		return ENG_ACCEPT; /* far past the start: not the first message */
	if (ob.dport == DOT_PORT)
		return dot_bytes(e, f, &ob, r);
	if (r == -E2BIG || r == -ENOMEM)
		return eng_unreadable(e, &ob, "a first message longer than "
				      "egressd reads");
	if (r == -ENOSPC)
		return eng_unreadable(e, &ob, "a first message in too many "
				      "pieces");
	if (!f->up.len)
		return ENG_ACCEPT; /* only bytes past a gap so far */
	r = inspect_stream(&e->ins, eng_owner(e), &ob.dst, f->up.buf,
			   f->up.len, e->now_s, &ob);
	if (r == -EAGAIN)
		return ENG_ACCEPT;
	if (!r)
		return eng_judged(e, &ob);
	/* Where the start is not known (the kernel kept no SYN: a flood
	 * filled its map, or the flow predates egressd), bytes that start
	 * nothing may be a later segment sent first: an earlier one may
	 * still come and move the start back. Wait for it, a few segments
	 * or until the server answers. */
	if (!f->up.known && ++f->unknown_waits <= ENGINE_UNKNOWN_START_WAIT)
		return ENG_ACCEPT;
	if (r == -ENOPROTOOPT)
		return other(e, &ob);
	return eng_unreadable(e, &ob, ob.unreadable ? ob.unreadable
						    : "an unreadable first "
						      "message");
}

/* A payload of an undecided flow: the first one decides. */
static enum engine_verdict payload(struct engine *e, struct flow *f)
{
	enum engine_verdict v;

	if (e->in->dir == ENGINE_IN && !f->up.known && f->up.len &&
	    !inspect_starts_like_web(f->up.buf, f->up.len)) {
		/* Bytes from an unknown start that start nothing: the
		 * address decides, as for any protocol egressd does not
		 * read. */
		v = eng_by_address(e);
	} else if (e->in->dir == ENGINE_IN && (f->up.len || reasm_has_gap(&f->up))) {
		/* The server answered a first message egressd could not
		 * read whole: what the server took is unknown. */
		struct observation ob = { 0 };
		eng_where(e, &ob);
		v = eng_unreadable(e, &ob, "the server answered a first "
				   "message egressd did not see whole");
	} else if (e->in->dir == ENGINE_IN) {
		/* The server spoke first (SSH, SMTP): no claim to read. */
		v = eng_by_address(e);
	} else {
		v = client_bytes(e, f);
	}
	return decide(e, f, v);
}

enum engine_verdict eng_tcp(struct engine *e)
{
	bool out = e->in->dir == ENGINE_OUT;
	uint8_t fl = e->pk.tcp_flags;
	enum engine_verdict v;
	struct flow_key k;
	struct flow *f;

	key_of(e, &k);
	if (out && (fl & TCP_SYN) && !(fl & TCP_ACK))
		return syn_out(e, &k);
	f = flowtab_get(e->flows, &k, e->now_s, true);
	if (!f) {
		struct observation ob = { 0 };
		eng_where(e, &ob);
		return eng_unreadable(e, &ob, "no memory to follow the flow");
	}
	if (out && e->pk.payload_len)
		start_of(e, &k, f);
	if (f->decided) {
		v = (enum engine_verdict)f->decided;
		if (fl & (TCP_FIN | TCP_RST))
			flowtab_del(e->flows, f);
		return v;
	}
	if (k.sport == 53 && !f->not_dns) {
		if (eng_dns_tcp(e, f, &v))
			return v;
		f->not_dns = true;
		e->st.not_dns_on_53++;
		/* The client's stream is whole from its start unless DNS
		 * messages were taken off it. */
		if (f->dns_read)
			reasm_free(&f->up);
		reasm_free(&f->down);
	}
	if (!e->pk.payload_len) {
		if (fl & (TCP_FIN | TCP_RST))
			flowtab_del(e->flows, f);
		return ENG_ACCEPT;
	}
	return payload(e, f);
}

/* A UDP flow's first datagram out (DNS aside): its address decides,
 * once per flow. */
enum engine_verdict eng_udp_first(struct engine *e)
{
	struct flow_key k;
	struct flow *f;

	key_of(e, &k);
	f = flowtab_get(e->flows, &k, e->now_s, true);
	/* Servers drop an Initial in a datagram under 1200 bytes (RFC 9000
	 * 14.1): one is no hello to judge. */
	if (f && e->pk.payload_len >= 1200 &&
	    quic_is_initial(e->pk.payload, e->pk.payload_len))
		return decide(e, f, eng_quic(e, f));
	if (f && f->decided)
		return (enum engine_verdict)f->decided;
	if (!f)
		return eng_by_address(e);
	return decide(e, f, eng_by_address(e));
}
