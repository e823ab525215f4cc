// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine: which container, DNS, new flows, first payloads, verdicts
 * and events, for one packet at a time. Shared by the daemon's packet
 * thread and `egressd replay`. */
#include "egressd/engine.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egressd/cursor.h"
#include "egressd/dnsrewrite.h"
#include "egressd/flowtab.h"
#include "egressd/limits.h"
#include "egressd/pkt.h"
#include "engine_internal.h"

const char *event_kind_name(enum event_kind k)
{
	static const char *const names[] = {
		[EV_DNS_QUERY] = "dns_query", [EV_DNS_ANSWER] = "dns_answer",
		[EV_TLS] = "tls", [EV_HTTP] = "http", [EV_FLOW] = "flow",
		[EV_QUIC] = "quic", [EV_STRATUM] = "stratum",
		[EV_UNREADABLE] = "unreadable",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* ---- owners ---- */

static uint32_t owner_of_addr(const struct ip_addr *a)
{
	return ip_addr_hash32(a) & ~OWNER_PORT;
}

uint32_t eng_owner_lookup(const struct engine *e, const struct ip_addr *a)
{
	const struct addr_owner *o = &e->owners[owner_of_addr(a) % ENGINE_OWNERS];

	return o->owner && ip_addr_equal(&o->addr, a) ? o->owner
						      : owner_of_addr(a);
}

static uint32_t eng_owner_of(struct engine *e, const struct ip_addr *a,
			 uint32_t port)
{
	struct addr_owner *o;

	if (!port)
		return eng_owner_lookup(e, a);
	o = &e->owners[owner_of_addr(a) % ENGINE_OWNERS];
	o->addr = *a;
	o->owner = OWNER_PORT | port;
	return o->owner;
}

/* The container's side of the packet, and the other one. */
const struct ip_addr *eng_client_of(const struct engine *e)
{
	return e->in->dir == ENGINE_OUT ? &e->pk.src : &e->pk.dst;
}

const struct ip_addr *eng_server_of(const struct engine *e)
{
	return e->in->dir == ENGINE_OUT ? &e->pk.dst : &e->pk.src;
}

uint16_t eng_server_port(const struct engine *e)
{
	return e->in->dir == ENGINE_OUT ? e->pk.dport : e->pk.sport;
}

uint32_t eng_owner(struct engine *e)
{
	if (e->in->host)
		return OWNER_HOST;
	return eng_owner_of(e, eng_client_of(e), e->in->port);
}

/* ---- observations and events ---- */

void eng_where(const struct engine *e, struct observation *ob)
{
	ob->client = *eng_client_of(e);
	ob->dst = *eng_server_of(e);
	ob->dport = eng_server_port(e);
	ob->proto = e->pk.l4proto;
}

void eng_observe(struct engine *e, const struct observation *ob)
{
	if (e->cfg.observe)
		e->cfg.observe(e->cfg.observe_ctx, ob);
}

void eng_copy_text(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%.*s", (int)len - 1, src ? src : "");
}

/* A new event about ob, or NULL when there is no room (counted). */
struct event *eng_event_new(struct engine *e, enum event_kind kind,
			       const struct observation *ob, bool blocked)
{
	struct engine_out *out = e->out;
	struct event *ev;

	if (out->nevents == ENGINE_EVENTS_MAX)
		return NULL;
	ev = &out->events[out->nevents++];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->blocked = blocked;
	ev->time = e->in->wall;
	ev->port = e->in->port;
	ev->host = e->in->host;
	if (!ev->port && !ev->host) {
		uint32_t o = eng_owner_lookup(e, &ob->client);
		ev->port = o & OWNER_PORT ? o & ~OWNER_PORT : 0;
	}
	ev->client = ob->client;
	ev->have_dst = true;
	ev->dst = ob->dst;
	ev->dport = ob->dport;
	/* The process behind the flow, seen from the container. */
	ev->have_flow = true;
	ev->flow = (struct event_flow){ e->pk.l4proto, ob->client, ob->dst,
					e->in->dir == ENGINE_OUT ? e->pk.sport
								 : e->pk.dport,
					ob->dport };
	return ev;
}

static void eng_rule_of(struct event *ev, const struct decision *d)
{
	eng_copy_text(ev->rule.source, sizeof(ev->rule.source), d->hit.source->name);
	eng_copy_text(ev->rule.category, sizeof(ev->rule.category),
		  d->hit.source->category);
	eng_copy_text(ev->rule.pattern, sizeof(ev->rule.pattern), d->hit.pattern);
	eng_copy_text(ev->rule.matched, sizeof(ev->rule.matched), d->subject);
}

/* A rule of egressd's own (a protocol, something unreadable). */
void eng_rule_own(struct event *ev, const char *category,
		     const char *pattern, const char *matched)
{
	eng_copy_text(ev->rule.source, sizeof(ev->rule.source), "egressd");
	eng_copy_text(ev->rule.category, sizeof(ev->rule.category), category);
	eng_copy_text(ev->rule.pattern, sizeof(ev->rule.pattern), pattern);
	eng_copy_text(ev->rule.matched, sizeof(ev->rule.matched), matched);
}

void eng_addrs_of(struct event *ev, const struct observation *ob,
		     bool from_chain)
{
	for (unsigned i = 0; from_chain && i < ob->chain.n_addrs &&
			     ev->naddrs < EVENT_ADDRS_MAX; i++)
		ev->addrs[ev->naddrs++] = ob->chain.addrs[i].addr;
	if (!from_chain)
		ev->addrs[ev->naddrs++] = ob->dst;
}

/* What else the reading said, for the operator: a miner's method and
 * agent, a hello's ECH and its other names. */
static void eng_detail(struct event *ev, const struct observation *ob)
{
	const struct stratum_req *s = &ob->stratum;

	if (ob->kind == OBS_STRATUM)
		snprintf(ev->detail, sizeof(ev->detail), "%.40s%s%.60s%s%.40s",
			 s->method, *s->agent ? " agent=" : "", s->agent,
			 *s->worker ? " worker=" : "", s->worker);
	else if ((ob->kind == OBS_TLS || ob->kind == OBS_QUIC) &&
		 (ob->tls.ech || ob->tls.nsni > 1))
		snprintf(ev->detail, sizeof(ev->detail), "%s%s%s",
			 ob->tls.ech ? "ech (the real name is hidden)" : "",
			 ob->tls.nsni > 1 && ob->tls.ech ? "; " : "",
			 ob->tls.nsni > 1 ? "two server names" : "");
	else if (ob->kind == OBS_HTTP && ob->http.nclaim > 1)
		snprintf(ev->detail, sizeof(ev->detail),
			 "%u names claimed (Host headers and the URL)",
			 ob->http.nclaim);
}

/* The name an event shows: what was asked or claimed, else what the
 * container resolved. */
static const char *eng_shown_name(const struct observation *ob)
{
	if (ob->kind == OBS_DNS_QUERY || ob->kind == OBS_DNS_ANSWER)
		return dns_name(ob->dns, ob->dns->qname);
	if (ob->nclaims)
		return ob->claims[0];
	return ob->nresolved ? ob->resolved[0] : NULL;
}

static enum event_kind eng_kind_of(const struct observation *ob)
{
	switch (ob->kind) {
	case OBS_TLS:
		return EV_TLS;
	case OBS_HTTP:
		return EV_HTTP;
	case OBS_QUIC:
		return EV_QUIC;
	case OBS_STRATUM:
		return EV_STRATUM;
	default:
		return EV_FLOW;
	}
}

/* ---- actions ---- */

/* What a blacklist hit does: its category may have an action of its own.
 * Resolvers that go around DNS inspection (DoH, DoT) have dns_bypass;
 * plain DNS to the same address is read like any DNS, so an address of
 * that list on port 53 is nothing to report. */
enum engine_action eng_action_of(const struct engine *e,
				 const struct observation *ob)
{
	struct ip_addr a;

	if (strcmp(ob->d.hit.source->category, DECIDE_CATEGORY_DNS_BYPASS))
		return ENGINE_BLOCK;
	if (ob->dport == 53 && !ip_addr_parse(ob->d.subject, &a))
		return ENGINE_ALLOW;
	return e->cfg.dns_bypass;
}

bool eng_stops(const struct engine *e, enum engine_action a)
{
	return e->cfg.block && a == ENGINE_BLOCK;
}

/* Records an event for a blacklist hit. Returns whether the flow stops. */
bool eng_hit(struct engine *e, enum event_kind kind,
		const struct observation *ob)
{
	enum engine_action a = eng_action_of(e, ob);
	struct event *ev;

	if (a == ENGINE_ALLOW)
		return false;
	ev = eng_event_new(e, kind, ob, eng_stops(e, a));
	if (ev) {
		eng_copy_text(ev->name, sizeof(ev->name), eng_shown_name(ob));
		eng_rule_of(ev, &ob->d);
		eng_addrs_of(ev, ob, kind == EV_DNS_ANSWER);
		eng_detail(ev, ob);
		e->out->hold = true;
	}
	return eng_stops(e, a);
}

/* A rule of egressd's own (a protocol, ECH) applies: its event. Returns
 * whether the flow stops. */
static bool eng_own_hit(struct engine *e, const struct observation *ob,
			enum engine_action a, const char *category,
			const char *pattern)
{
	char at[IP_ADDR_TEXT];
	struct event *ev;

	if (a == ENGINE_ALLOW)
		return false;
	ev = eng_event_new(e, eng_kind_of(ob), ob, eng_stops(e, a));
	if (ev) {
		ip_port_format(&ob->dst, ob->dport, at, sizeof(at));
		eng_copy_text(ev->name, sizeof(ev->name), eng_shown_name(ob));
		eng_rule_own(ev, category, pattern, at);
		eng_addrs_of(ev, ob, false);
		eng_detail(ev, ob);
		e->out->hold = true;
	}
	return eng_stops(e, a);
}

/* A flow judged: allowed, or blocked (and recorded), from now on. A
 * mining client is stopped whatever its address (unless the whitelist
 * names it); a hello with ECH hides its real name (the `ech` setting). */
enum engine_verdict eng_judged(struct engine *e, struct observation *ob)
{
	bool stop = false;

	if (ob->d.verdict == VERDICT_BLOCK)
		stop = eng_hit(e, eng_kind_of(ob), ob);
	else if (ob->d.verdict == VERDICT_ALLOW)
		;
	else if (ob->kind == OBS_STRATUM)
		stop = eng_own_hit(e, ob, ENGINE_BLOCK, "mining-pool",
				   "protocol:stratum");
	else if ((ob->kind == OBS_TLS || ob->kind == OBS_QUIC) && ob->tls.ech)
		stop = eng_own_hit(e, ob, e->cfg.ech, "ech", "protocol:ech");
	eng_observe(e, ob);
	return stop ? ENG_BLOCK : ENG_ALLOW;
}

/* Something that started like TLS or HTTP and cannot be read (or a
 * hello that never completed): the `unreadable` policy, after the
 * address had its say. */
enum engine_verdict eng_unreadable(struct engine *e, struct observation *ob,
				      const char *why)
{
	struct event *ev;

	inspect_flow(&e->ins, eng_owner(e), &ob->dst, e->now_s, ob);
	if (ob->d.verdict == VERDICT_BLOCK)
		return eng_judged(e, ob);
	e->st.unreadable++;
	ob->kind = OBS_UNREADABLE;
	ob->unreadable = why;
	eng_observe(e, ob);
	if (e->cfg.unreadable == ENGINE_ALLOW)
		return ENG_ALLOW;
	ev = eng_event_new(e, EV_UNREADABLE, ob, eng_stops(e, e->cfg.unreadable));
	if (ev) {
		char at[IP_ADDR_TEXT];
		ip_port_format(&ob->dst, ob->dport, at, sizeof(at));
		eng_rule_own(ev, "unreadable", why, at);
		eng_addrs_of(ev, ob, false);
		e->out->hold = true;
	}
	return eng_stops(e, e->cfg.unreadable) ? ENG_BLOCK : ENG_ALLOW;
}

/* ---- flows by address ---- */

enum engine_verdict eng_by_address(struct engine *e)
{
	struct observation ob;

	eng_where(e, &ob);
	inspect_flow(&e->ins, eng_owner(e), eng_server_of(e), e->now_s, &ob);
	return eng_judged(e, &ob);
}


/* ---- the packet ---- */

static enum engine_verdict on_udp(struct engine *e)
{
	bool out = e->in->dir == ENGINE_OUT;

	/* Port 53 is read as DNS; what is not DNS there is a flow like any
	 * other. */
	if (out ? e->pk.dport == 53 : e->pk.sport == 53) {
		enum engine_verdict v;
		if (eng_dns_udp(e, &v))
			return v;
		e->st.not_dns_on_53++;
	}
	if (!out)
		return ENG_ACCEPT; /* replies of an undecided flow: nothing */
	return eng_udp_first(e);
}

static enum engine_verdict dispatch(struct engine *e)
{
	if (pkt_parse(e->in->data, e->in->len, &e->pk)) {
		e->st.malformed++;
		return ENG_ACCEPT;
	}
	if (e->pk.l4proto == IPPROTO_TCP && e->pk.payload)
		return eng_tcp(e);
	if (e->pk.l4proto == IPPROTO_UDP && e->pk.payload)
		return on_udp(e);
	/* ICMP, other protocols, later fragments: the address decides. */
	return e->in->dir == ENGINE_OUT ? eng_by_address(e) : ENG_ACCEPT;
}

void engine_packet(struct engine *e, const struct engine_pkt *in,
		   struct engine_out *out)
{
	memset(out, 0, sizeof(*out));
	e->in = in;
	e->out = out;
	e->now_s = in->now_ms / 1000;
	e->st.packets++;
	out->verdict = dispatch(e);
}

static void eng_where_existing(struct observation *ob,
			       const struct ip_addr *src,
			       const struct ip_addr *dst, uint16_t dport)
{
	ob->client = *src;
	ob->dst = *dst;
	ob->dport = dport;
}

bool engine_judge_existing(struct engine *e, const struct ip_addr *src,
			   const struct ip_addr *dst, uint16_t dport,
			   uint64_t now_ms, struct event *ret)
{
	struct observation ob = { 0 };
	bool stop;

	inspect_flow(&e->ins, eng_owner_lookup(e, src), dst, now_ms / 1000, &ob);
	if (ob.d.verdict != VERDICT_BLOCK)
		return false;
	eng_where_existing(&ob, src, dst, dport);
	stop = eng_stops(e, eng_action_of(e, &ob));
	memset(ret, 0, sizeof(*ret));
	ret->kind = EV_FLOW;
	ret->blocked = stop;
	ret->client = *src;
	ret->have_dst = true;
	ret->dst = *dst;
	ret->dport = dport;
	{
		uint32_t o = eng_owner_lookup(e, src);
		ret->port = o & OWNER_PORT ? o & ~OWNER_PORT : 0;
	}
	eng_copy_text(ret->name, sizeof(ret->name),
		  ob.nresolved ? ob.resolved[0] : NULL);
	eng_rule_of(ret, &ob.d);
	ret->addrs[ret->naddrs++] = *dst;
	return true;
}

/* ---- life ---- */

struct engine *engine_new(const struct engine_cfg *cfg, const struct policy *p)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = *cfg;
	if (inspector_init(&e->ins, p,
			   cfg->dns_cache_entries ? cfg->dns_cache_entries
						  : DNSCACHE_ENTRIES_DEFAULT,
			   cfg->ttl_floor) ||
	    !(e->flows = flowtab_new(ENGINE_FLOWS_MAX))) {
		engine_free(e);
		return NULL;
	}
	/* A blocked answer never reaches the client: an address it uses
	 * anyway came from elsewhere. Reported-only answers are kept. */
	e->ins.remember_blocked = !cfg->block;
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	inspector_fini(&e->ins);
	flowtab_free(e->flows);
	free(e);
}

void engine_set_policy(struct engine *e, const struct policy *p)
{
	e->ins.policy = p;
}

void engine_expire(struct engine *e, uint64_t now_ms)
{
	uint64_t idle = ENGINE_FLOW_IDLE_MS / 1000;

	flowtab_expire(e->flows, now_ms / 1000 > idle ? now_ms / 1000 - idle : 0);
}

void engine_get_stats(const struct engine *e, struct engine_stats *ret)
{
	*ret = e->st;
	ret->flows_evicted = flowtab_evicted(e->flows);
	ret->flows = flowtab_size(e->flows);
	ret->dns_entries = dnscache_size(e->ins.cache);
}
