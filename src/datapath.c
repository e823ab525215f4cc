// SPDX-License-Identifier: GPL-2.0-or-later
/* The packet path: which container, DNS, new flows, first payloads,
 * verdicts and events. Never waits on disk, /proc or the network. */
#include "datapath.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <linux/netfilter.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "egressd/dnsrewrite.h"
#include "egressd/pkt.h"
#include "watchdog.h"

/* Which container a packet belongs to. A container has several addresses
 * (IPv4 and IPv6; its DNS may go over one and its connection over the
 * other), so the owner is its bridge port when the kernel tells it
 * (physindev going out, physoutdev for answers coming back), else the
 * address. Addresses seen on a port are remembered, so that a connection
 * known only by its addresses (a conntrack entry) finds its owner too. */
#define OWNER_PORT 0x80000000u

static uint32_t owner_of_addr(const struct ip_addr *a)
{
	return ip_addr_hash32(a) & ~OWNER_PORT;
}

static uint32_t owner_lookup(const struct daemon *d, const struct ip_addr *a)
{
	const struct addr_owner *e = &d->addrmap[owner_of_addr(a) % ADDRMAP_SIZE];

	return e->owner && ip_addr_equal(&e->addr, a) ? e->owner
						      : owner_of_addr(a);
}

static uint32_t owner_of(struct daemon *d, const struct ip_addr *a,
			 uint32_t port)
{
	struct addr_owner *e;

	if (!port)
		return owner_lookup(d, a);
	e = &d->addrmap[owner_of_addr(a) % ADDRMAP_SIZE];
	e->addr = *a;
	e->owner = OWNER_PORT | port;
	return e->owner;
}

/* ---- events ---- */

/* One event per match, typed, copied into the writer's queue. What the
 * packet thread must not wait for (the container's name and image, the
 * host, the process behind a connection) the event writer adds. */
static void copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.*s", (int)len - 1, src ? src : "");
}

static void event_emit(struct daemon *d, enum event_kind kind, uint32_t port,
		       const struct ip_addr *client, const struct ip_addr *dst,
		       uint16_t dport, const char *name,
		       const struct decision *dec, bool blocked,
		       const struct event_flow *flow, const struct dns_chain *chain)
{
	struct event ev = { .kind = kind, .blocked = blocked,
			    .time = (int64_t)time(NULL), .client = *client };

	if (!port) {
		uint32_t owner = owner_lookup(d, client);
		port = owner & OWNER_PORT ? owner & ~OWNER_PORT : 0;
	}
	ev.port = port;
	if (dst) {
		ev.have_dst = true;
		ev.dst = *dst;
		ev.dport = dport;
	}
	copy_text(ev.name, sizeof(ev.name), name);
	/* The addresses the name resolved to: from the answer, or the one the
	 * connection went to. */
	for (unsigned i = 0; chain && i < chain->n_addrs &&
			     ev.naddrs < EVENT_ADDRS_MAX; i++)
		ev.addrs[ev.naddrs++] = chain->addrs[i].addr;
	if (!chain && dst && kind != EV_DNS_QUERY)
		ev.addrs[ev.naddrs++] = *dst;
	copy_text(ev.rule.source, sizeof(ev.rule.source), dec->hit.source->name);
	copy_text(ev.rule.category, sizeof(ev.rule.category),
		  dec->hit.source->category);
	copy_text(ev.rule.pattern, sizeof(ev.rule.pattern), dec->hit.pattern);
	copy_text(ev.rule.matched, sizeof(ev.rule.matched), dec->subject);
	if (flow) {
		ev.have_flow = true;
		ev.flow = *flow;
	}
	events_push(d->events, &ev);
}

static void flow_of(const struct pkt_info *pk, struct event_flow *f)
{
	f->proto = pk->l4proto;
	f->src = pk->src;
	f->dst = pk->dst;
	f->sport = pk->sport;
	f->dport = pk->dport;
}

/* ---- verdicts ---- */

static uint32_t mark_with(const struct daemon *d, uint32_t pkt_mark,
			  uint32_t bits)
{
	return (pkt_mark & ~d->cfg.marks.mask) | bits;
}

/* A decided flow: its connection carries the decision from now on. A
 * blocked packet goes back through the hook (NF_REPEAT) with the block
 * mark, where the ruleset marks its connection and rejects it. */
static void verdict_decided(struct daemon *d, const struct nfqueue_packet *p,
			    bool block)
{
	uint32_t bits = block ? d->cfg.marks.block : d->cfg.marks.allow;

	nfqueue_verdict(d->q, p->id, block ? NF_REPEAT : NF_ACCEPT, true,
			mark_with(d, p->mark, bits), NULL, 0);
}

static void verdict_pass(struct daemon *d, const struct nfqueue_packet *p)
{
	nfqueue_verdict(d->q, p->id, NF_ACCEPT, false, 0, NULL, 0);
}

/* ---- DNS ---- */

/* What happens to a DNS packet. */
enum dns_action { DNS_PASS, DNS_NXDOMAIN, DNS_DROP };

/* Judges one DNS message of `client` and records events. In block mode a
 * blacklisted answer must not reach the client, nor may an answer egressd
 * cannot read: its addresses would go unmapped (a hostile resolver could
 * use that to hide a name). */
static enum dns_action dns_message(struct daemon *d,
				   const struct ip_addr *client, uint32_t port,
				   const struct pkt_info *pk, const uint8_t *msg,
				   size_t len, struct observation *ob)
{
	const char *qname;

	if (inspect_dns(&d->ins, owner_of(d, client, port), msg, len, d->now,
			ob)) {
		d->malformed++;
		return d->cfg.block && pk->sport == 53 ? DNS_DROP : DNS_PASS;
	}
	if (ob->d.verdict != VERDICT_BLOCK || !ob->dns->has_question)
		return DNS_PASS;
	qname = dns_name(ob->dns, ob->dns->qname);
	if (ob->kind == OBS_DNS_QUERY) { /* the answer is where block acts */
		struct event_flow f;
		flow_of(pk, &f);
		event_emit(d, EV_DNS_QUERY, port, client, &pk->dst, pk->dport,
			   qname, &ob->d, d->cfg.block, &f, NULL);
		return DNS_PASS;
	}
	/* A name further down the CNAME chain: the query did not show it. */
	if (strcmp(ob->d.subject, qname))
		event_emit(d, EV_DNS_ANSWER, port, client, &pk->src, pk->sport,
			   qname, &ob->d, d->cfg.block, NULL, &ob->chain);
	return d->cfg.block ? DNS_NXDOMAIN : DNS_PASS;
}

static void dns_udp(struct daemon *d, const struct nfqueue_packet *p,
		    const struct pkt_info *pk)
{
	bool answer = pk->sport == 53;
	const struct ip_addr *client = answer ? &pk->dst : &pk->src;
	uint32_t port = answer ? p->physoutdev : p->physindev;
	struct observation ob;
	int n = -1;

	switch (dns_message(d, client, port, pk, pk->payload, pk->payload_len,
			    &ob)) {
	case DNS_PASS:
		verdict_pass(d, p);
		return;
	case DNS_NXDOMAIN: /* the container fails at once, not after a
			      time-out */
		memcpy(d->rewrite, p->data, p->len);
		n = dns_rewrite_nxdomain(d->rewrite, p->len,
					 ob.dns->question_end);
		break;
	case DNS_DROP:
		break;
	}
	if (n > 0)
		nfqueue_verdict(d->q, p->id, NF_ACCEPT, false, 0, d->rewrite,
				(size_t)n);
	else
		nfqueue_verdict(d->q, p->id, NF_DROP, false, 0, NULL, 0);
}

/* DNS over TCP: both directions are reassembled; every complete message
 * is judged when its last byte arrives, before that segment is released.
 * A blocked answer cannot be rewritten inside a TCP stream: its segment,
 * its retransmissions and the rest of the answers are dropped (the
 * client's resolver then fails after its time-out). */
static void dns_tcp(struct daemon *d, const struct nfqueue_packet *p,
		    const struct pkt_info *pk)
{
	bool answer = pk->sport == 53, block = false;
	struct observation ob;
	struct flow_key k;
	struct cursor s, msg;
	struct reasm *r;
	struct flow *f;

	memset(&k, 0, sizeof(k));
	k.client = answer ? pk->dst : pk->src;
	k.server = answer ? pk->src : pk->dst;
	k.cport = answer ? pk->dport : pk->sport;
	k.sport = 53;
	f = flowtab_get(d->flows, &k, d->now, true);
	if (!f) {
		verdict_pass(d, p);
		return;
	}
	r = answer ? &f->down : &f->up;
	if (reasm_add(r, pk->tcp_seq, pk->tcp_flags & TCP_SYN, pk->payload,
		      pk->payload_len) == -E2BIG)
		reasm_consume(r, r->len); /* a hostile length: start over */
	cursor_init(&s, r->buf, r->len);
	while (dns_tcp_next(&s, &msg) == 1)
		block |= dns_message(d, &k.client,
				     answer ? p->physoutdev : p->physindev, pk,
				     cursor_ptr(&msg), cursor_left(&msg),
				     &ob) != DNS_PASS;
	reasm_consume(r, s.pos);
	f->blocked |= block;
	block = f->blocked && answer;
	if (pk->tcp_flags & (TCP_FIN | TCP_RST))
		flowtab_del(d->flows, f);
	if (block)
		nfqueue_verdict(d->q, p->id, NF_DROP, false, 0, NULL, 0);
	else
		verdict_pass(d, p);
}

static void on_dns(struct daemon *d, const struct nfqueue_packet *p,
		   const struct pkt_info *pk)
{
	if (pk->l4proto == IPPROTO_UDP)
		dns_udp(d, p, pk);
	else
		dns_tcp(d, p, pk);
}

/* ---- flows ---- */

static void flow_key_of(const struct pkt_info *pk, struct flow_key *k);

/* A blocked TCP connection is first held, not reset: its first packet is
 * dropped and the connection remembered, so that the client's socket (and
 * process) are still there while the event writer looks them up; the
 * client's retransmission, one RTO later, gets the reset. Nothing of the
 * connection passes meanwhile. Returns true if this packet is the hold. */
static bool hold_for_attribution(struct daemon *d,
				 const struct nfqueue_packet *p,
				 const struct pkt_info *pk)
{
	struct flow_key k;
	struct flow *f;

	if (pk->l4proto != IPPROTO_TCP)
		return false;
	flow_key_of(pk, &k);
	f = flowtab_get(d->flows, &k, d->now, true);
	if (!f || f->blocked)
		return false; /* the retransmission: reset it now */
	f->blocked = true;
	nfqueue_verdict(d->q, p->id, NF_DROP, false, 0, NULL, 0);
	return true;
}

static void judged(struct daemon *d, const struct nfqueue_packet *p,
		   const struct pkt_info *pk, const struct observation *ob,
		   const char *name)
{
	bool bad = ob->d.verdict == VERDICT_BLOCK, held;
	struct event_flow f;

	if (!bad) {
		verdict_decided(d, p, false);
		return;
	}
	held = d->cfg.block && hold_for_attribution(d, p, pk);
	if (held || !d->cfg.block) {
		flow_of(pk, &f);
		event_emit(d, ob->kind == OBS_TLS    ? EV_TLS
			      : ob->kind == OBS_HTTP ? EV_HTTP
						     : EV_FLOW,
			   p->physindev, &pk->src, &pk->dst, pk->dport, name,
			   &ob->d, d->cfg.block, &f, NULL);
	}
	if (!held)
		verdict_decided(d, p, d->cfg.block);
}

static void flow_key_of(const struct pkt_info *pk, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->client = pk->src;
	k->server = pk->dst;
	k->cport = pk->sport;
	k->sport = pk->dport;
}

static void on_new_flow(struct daemon *d, const struct nfqueue_packet *p,
			const struct pkt_info *pk)
{
	struct observation ob;
	struct flow_key k;

	inspect_flow(&d->ins, owner_of(d, &pk->src, p->physindev), &pk->dst,
		     d->now, &ob);
	/* Judged by its address or the names this container resolved; a
	 * TCP flow to an address with no known name waits for SNI / Host. */
	if (ob.d.verdict != VERDICT_NONE || ob.nresolved ||
	    pk->l4proto != IPPROTO_TCP) {
		judged(d, p, pk, &ob, ob.nresolved ? ob.resolved[0] : NULL);
		return;
	}
	flow_key_of(pk, &k);
	flowtab_get(d->flows, &k, d->now, true);
	verdict_pass(d, p);
}

static void on_payload(struct daemon *d, const struct nfqueue_packet *p,
		       const struct pkt_info *pk)
{
	struct observation ob;
	struct flow_key k;
	struct flow *f;
	int r;

	flow_key_of(pk, &k);
	f = flowtab_get(d->flows, &k, d->now, false);
	/* A flow we never saw start (its conntrack entry was deleted after a
	 * list change, or egressd started later) and that carries no bytes
	 * to read: judge it by address and names now. So is every flow when
	 * the table is full. */
	if (!f && (!pk->payload_len ||
		   !(f = flowtab_get(d->flows, &k, d->now, true)))) {
		on_new_flow(d, p, pk);
		return;
	}
	if (f->blocked) { /* held for attribution: now the reset */
		verdict_decided(d, p, true);
		return;
	}
	r = reasm_add(&f->up, pk->tcp_seq, false, pk->payload,
		      pk->payload_len);
	if (r == -EAGAIN || !pk->payload_len) {
		verdict_pass(d, p);
		return;
	}
	r = inspect_stream(&d->ins, owner_of(d, &pk->src, p->physindev),
			   &pk->dst, f->up.buf,
			   f->up.len, d->now, &ob);
	if (r == -EAGAIN) {
		verdict_pass(d, p);
		return;
	}
	flowtab_del(d->flows, f);
	if (r) { /* not TLS or HTTP, or malformed: judge by address */
		inspect_flow(&d->ins, owner_of(d, &pk->src, p->physindev), &pk->dst,
		     d->now, &ob);
		judged(d, p, pk, &ob, NULL);
		return;
	}
	judged(d, p, pk, &ob,
	       ob.kind == OBS_TLS ? (ob.tls.has_sni ? ob.tls.sni : NULL)
				  : (ob.http.has_host ? ob.http.host : NULL));
}

void datapath_on_packet(struct nfqueue *q, const struct nfqueue_packet *p,
			void *ctx)
{
	struct daemon *d = ctx;
	struct pkt_info pk;

	/* Also here, not only once per loop turn: under a flood the queue
	 * never runs dry and the loop never turns, yet the thread is well. */
	watchdog_beat(d->wd);
	d->q = q;
	if (pkt_parse(p->data, p->len, &pk)) {
		d->malformed++;
		verdict_pass(d, p);
		return;
	}
	if (!pk.payload) /* ICMP, other protocols, later fragments */
		on_new_flow(d, p, &pk);
	else if ((pk.l4proto == IPPROTO_UDP || pk.l4proto == IPPROTO_TCP) &&
		 (pk.sport == 53 || pk.dport == 53))
		on_dns(d, p, &pk);
	else if (pk.l4proto == IPPROTO_TCP && (pk.tcp_flags & TCP_SYN))
		on_new_flow(d, p, &pk);
	else if (pk.l4proto == IPPROTO_TCP)
		on_payload(d, p, &pk);
	else
		on_new_flow(d, p, &pk);
}

/* An accepted connection the new lists forbid (by its address or the
 * names its container resolved for it) must not live on. */
int datapath_judge_existing(const struct ip_addr *src,
			    const struct ip_addr *dst, uint16_t dport,
			    struct daemon *d)
{
	struct observation ob;

	(void)dport;
	inspect_flow(&d->ins, owner_lookup(d, src), dst, d->now, &ob);
	if (ob.d.verdict == VERDICT_BLOCK)
		event_emit(d, EV_FLOW, 0, src, dst, dport,
			   ob.nresolved ? ob.resolved[0] : NULL, &ob.d,
			   d->cfg.block, NULL, NULL);
	return ob.d.verdict == VERDICT_BLOCK && d->cfg.block;
}

