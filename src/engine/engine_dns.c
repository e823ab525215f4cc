// SPDX-License-Identifier: GPL-2.0-or-later
/* DNS in the engine: queries and answers over UDP and TCP. An answer's
 * addresses are mapped to the names of its chain for the container
 * before the answer is released; a blacklisted name stops it (NXDOMAIN
 * over UDP, the answer's segments dropped over TCP). DNS is read as well
 * as judged, never instead: the resolver's address is judged like any
 * other. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "egressd/cursor.h"
#include "egressd/dnsrewrite.h"
#include "engine_internal.h"

static bool trusted_resolver(const struct engine *e, const struct ip_addr *a)
{
	if (e->cfg.trust_all)
		return true;
	for (size_t i = 0; i < e->cfg.ntrusted; i++)
		if (ip_addr_equal(&e->cfg.trusted[i], a))
			return true;
	return false;
}

/* What happens to one DNS message. */
enum dns_action { DNS_PASS, DNS_NXDOMAIN, DNS_DROP };

static enum dns_action query(struct engine *e, struct observation *ob)
{
	if (ob->d.verdict == VERDICT_BLOCK && ob->dns->has_question)
		eng_hit(e, EV_DNS_QUERY, ob); /* the answer is where block acts */
	eng_observe(e, ob);
	return DNS_PASS;
}

/* A chain longer than egressd follows may hide its last name. */
static enum dns_action long_chain(struct engine *e, struct observation *ob)
{
	struct event *ev;
	char n[DOMAIN_TEXT_MAX + 1];

	e->st.unreadable++;
	eng_observe(e, ob);
	eng_copy_text(n, sizeof(n), dns_name(ob->dns, ob->dns->qname));
	ev = eng_event_new(e, EV_UNREADABLE, ob, e->cfg.block);
	if (ev) {
		eng_copy_text(ev->name, sizeof(ev->name), n);
		eng_rule_own(ev, "unreadable", "a CNAME chain longer than "
			     "egressd follows", n);
		ev->have_flow = false; /* an answer: no socket to look for */
	}
	return e->cfg.block ? DNS_DROP : DNS_PASS;
}

static enum dns_action answer(struct engine *e, struct observation *ob)
{
	const char *qname;
	bool stop;

	if (!ob->dns->has_question) {
		eng_observe(e, ob);
		return DNS_PASS;
	}
	qname = dns_name(ob->dns, ob->dns->qname);
	if (ob->chain.truncated)
		return long_chain(e, ob);
	if (e->cfg.block && !strcasecmp(qname, DOH_CANARY)) {
		eng_observe(e, ob);
		return DNS_NXDOMAIN;
	}
	if (ob->d.verdict != VERDICT_BLOCK) {
		eng_observe(e, ob);
		return DNS_PASS;
	}
	/* A name further down the CNAME chain: the query did not show it,
	 * so it is an event of its own. */
	if (strcmp(ob->d.subject, qname)) {
		stop = eng_hit(e, EV_DNS_ANSWER, ob);
		/* The socket that asked is the query's; the answer's event
		 * names no process by itself. */
		if (e->out->nevents)
			e->out->events[e->out->nevents - 1].have_flow = false;
	} else {
		/* The query's event said it; the answer only follows it. */
		stop = eng_stops(e, eng_action_of(e, ob));
	}
	eng_observe(e, ob);
	return stop ? DNS_NXDOMAIN : DNS_PASS;
}

/* One DNS message of the packet's container. Returns -1 when it is not
 * DNS. In block mode an answer egressd cannot read is dropped: its
 * addresses would go unmapped (a hostile resolver could hide a name). */
static int message(struct engine *e, const uint8_t *msg, size_t len,
		   enum dns_action *ret)
{
	bool in = e->in->dir == ENGINE_IN;
	struct observation ob = { 0 };

	eng_where(e, &ob);
	if (inspect_dns(&e->ins, eng_owner(e), msg, len, e->now_s,
			in && trusted_resolver(e, eng_server_of(e)), &ob))
		return -1;
	/* A message that says it is an answer is one only coming in: a
	 * container's "answer" on its way out is not trusted as one. */
	if (ob.dns->qr != in)
		return -1;
	*ret = in ? answer(e, &ob) : query(e, &ob);
	return 0;
}

bool eng_dns_udp(struct engine *e, enum engine_verdict *v)
{
	enum dns_action a;
	int n;

	if (message(e, e->pk.payload, e->pk.payload_len, &a)) {
		if (e->in->dir == ENGINE_OUT)
			return false; /* not DNS: a flow like any other */
		e->st.malformed++;
		*v = e->cfg.block ? ENG_DROP : ENG_ACCEPT;
		return true;
	}
	/* The resolver is an address like any other (a query to a
	 * blacklisted one stops there). */
	if (e->in->dir == ENGINE_OUT && eng_by_address(e) == ENG_BLOCK) {
		*v = ENG_BLOCK;
		return true;
	}
	*v = ENG_ACCEPT;
	if (a == DNS_DROP)
		*v = ENG_DROP;
	if (a != DNS_NXDOMAIN)
		return true;
	memcpy(e->rewrite, e->in->data, e->in->len);
	n = dns_rewrite_nxdomain(e->rewrite, e->in->len, e->ins.dns->question_end);
	if (n <= 0) {
		*v = ENG_DROP; /* cannot be rewritten: it must not pass */
		return true;
	}
	*v = ENG_REWRITE;
	e->out->rewrite = e->rewrite;
	e->out->rewrite_len = (size_t)n;
	return true;
}

/* DNS over TCP: both directions are reassembled; every complete message
 * is judged when its last byte arrives, before that segment is released.
 * A blocked answer cannot be rewritten inside a TCP stream: its segment,
 * its retransmissions and the rest of the answers are dropped (the
 * client's resolver then fails after its time-out). */
bool eng_dns_tcp(struct engine *e, struct flow *f, enum engine_verdict *v)
{
	bool in = e->in->dir == ENGINE_IN, stop = false;
	struct reasm *r = in ? &f->down : &f->up;
	struct cursor s, msg;
	enum dns_action a;
	int n;

	if (reasm_add(r, e->pk.tcp_seq, e->pk.tcp_flags & TCP_SYN, e->pk.payload,
		      e->pk.payload_len) == -E2BIG)
		reasm_consume(r, r->len); /* a hostile length: start over */
	/* A hello or a request read as a length would wait for thousands
	 * of bytes the server never needs: TLS on port 53 went unjudged. */
	if (!in && !f->dns_read && inspect_starts_like_web(r->buf, r->len))
		return false;
	cursor_init(&s, r->buf, r->len);
	while ((n = dns_tcp_next(&s, &msg)) == 1) {
		if (message(e, cursor_ptr(&msg), cursor_left(&msg), &a)) {
			if (!in)
				return false; /* not DNS: a flow like any other */
			e->st.malformed++;
			a = e->cfg.block ? DNS_DROP : DNS_PASS;
		}
		stop |= a != DNS_PASS;
		f->dns_read |= !in;
	}
	if (n == -EBADMSG && !in)
		return false;
	reasm_consume(r, s.pos);
	f->blocked |= stop && in;
	*v = f->blocked && in ? ENG_DROP : ENG_ACCEPT;
	if (e->pk.tcp_flags & (TCP_FIN | TCP_RST))
		flowtab_del(e->flows, f);
	return true;
}
