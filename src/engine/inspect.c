// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/inspect.h"

#include <errno.h>
#include <stdlib.h>

int inspector_init(struct inspector *ins, const struct policy *p,
		   size_t cache_entries, uint32_t ttl_floor)
{
	ins->policy = p;
	ins->ttl_floor = ttl_floor;
	ins->remember_blocked = true;
	ins->cache = dnscache_new(cache_entries);
	ins->dns = malloc(sizeof(*ins->dns));
	if (!ins->cache || !ins->dns) {
		inspector_fini(ins);
		return -ENOMEM;
	}
	return 0;
}

void inspector_fini(struct inspector *ins)
{
	dnscache_free(ins->cache);
	free(ins->dns);
	ins->cache = NULL;
	ins->dns = NULL;
}

static void remember_chain(struct inspector *ins, uint32_t owner,
			   const struct dns_msg *m, const struct dns_chain *ch,
			   uint64_t now, bool trusted)
{
	for (unsigned i = 0; i < ch->n_addrs; i++) {
		uint32_t ttl = ch->addrs[i].ttl;
		if (ttl < ins->ttl_floor)
			ttl = ins->ttl_floor;
		/* Every name of the chain maps to the address: a list entry
		 * for the CDN name or for the asked name both apply. */
		for (unsigned k = 0; k < ch->n_names; k++)
			dnscache_put(ins->cache, owner, &ch->addrs[i].addr,
				     dns_name(m, ch->names[k]), now + ttl,
				     trusted);
	}
}

int inspect_dns(struct inspector *ins, uint32_t owner, const uint8_t *msg,
		size_t len, uint64_t now, bool trusted, struct observation *o)
{
	const char *names[DNS_CHAIN_MAX];
	int r = dns_parse(msg, len, ins->dns);

	if (r)
		return r;
	o->dns = ins->dns;
	o->kind = ins->dns->qr ? OBS_DNS_ANSWER : OBS_DNS_QUERY;
	o->chain.n_names = o->chain.n_addrs = 0;
	o->d.verdict = VERDICT_NONE;
	if (!ins->dns->has_question)
		return 0;
	dns_chain_build(ins->dns, &o->chain);
	for (unsigned i = 0; i < o->chain.n_names; i++)
		names[i] = dns_name(ins->dns, o->chain.names[i]);
	decide_names(ins->policy, names, o->chain.n_names, &o->d);
	if (o->kind == OBS_DNS_ANSWER &&
	    (o->d.verdict != VERDICT_BLOCK || ins->remember_blocked))
		remember_chain(ins, owner, ins->dns, &o->chain, now, trusted);
	return 0;
}

static void judge_flow(struct inspector *ins, uint32_t owner,
		       const struct ip_addr *dst, uint64_t now,
		       struct observation *o)
{
	struct flow_claims fc;

	o->nresolved = dnscache_get(ins->cache, owner, dst, now, o->resolved,
				    o->trusted, DNSCACHE_NAMES_PER_ADDR);
	fc = (struct flow_claims){ o->claims, o->nclaims, o->resolved,
				   o->trusted, o->nresolved, dst };
	decide_flow(ins->policy, &fc, &o->d);
}

static void claim(struct observation *o, const char *name)
{
	if (o->nclaims < OBS_CLAIMS_MAX)
		o->claims[o->nclaims++] = name;
}

void inspect_tls_claims(struct observation *o)
{
	for (unsigned i = 0; i < o->tls.nsni; i++)
		claim(o, o->tls.sni_names[i]);
}

static int read_tls(const uint8_t *p, size_t len, struct observation *o)
{
	int r = tls_parse_client_hello(p, len, &o->tls);

	if (r == -EAGAIN)
		return r;
	if (r) {
		o->unreadable = r == -E2BIG ? "a ClientHello larger than egressd "
					      "reads"
					    : "a malformed ClientHello";
		return r;
	}
	o->kind = OBS_TLS;
	inspect_tls_claims(o);
	return 0;
}

static int read_http(const uint8_t *p, size_t len, struct observation *o)
{
	int r = http_parse_request((const char *)p, len, &o->http);

	if (r == -EAGAIN)
		return r;
	if (r) {
		o->unreadable = r == -E2BIG ? "an HTTP request head longer than "
					      "egressd reads"
					    : "a malformed HTTP request";
		return r;
	}
	o->kind = OBS_HTTP;
	/* Every Host header and the URL's host: a server may route by any
	 * of them (http.h). An address claims no name. */
	for (unsigned i = 0; i < o->http.nclaim; i++)
		if (!o->http.claim[i].is_ip)
			claim(o, o->http.claim[i].name);
	return 0;
}

/* A mining client's first message (stratum.h); the pool it names, if
 * any, is a claim like an SNI. */
static int read_stratum(const uint8_t *p, size_t len, struct observation *o)
{
	int r = stratum_parse(p, len, &o->stratum);

	if (r)
		return r;
	o->kind = OBS_STRATUM;
	if (o->stratum.has_host && !o->stratum.host_is_ip)
		claim(o, o->stratum.host);
	return 0;
}

bool inspect_starts_like_web(const uint8_t *p, size_t len)
{
	return len && (tls_is_handshake(p, len) ||
		       http_is_request((const char *)p, len));
}

int inspect_stream(struct inspector *ins, uint32_t owner,
		   const struct ip_addr *dst, const uint8_t *p, size_t len,
		   uint64_t now, struct observation *o)
{
	int r;

	o->nclaims = 0;
	o->unreadable = NULL;
	if (len && tls_is_handshake(p, len))
		r = read_tls(p, len, o);
	else if (len && http_is_request((const char *)p, len))
		r = read_http(p, len, o);
	else if (len)
		r = read_stratum(p, len, o);
	else
		r = -EAGAIN;
	if (r)
		return r;
	judge_flow(ins, owner, dst, now, o);
	return 0;
}

void inspect_claims(struct inspector *ins, uint32_t owner,
		    const struct ip_addr *dst, uint64_t now,
		    struct observation *o)
{
	judge_flow(ins, owner, dst, now, o);
}

void inspect_flow(struct inspector *ins, uint32_t owner,
		  const struct ip_addr *dst, uint64_t now,
		  struct observation *o)
{
	o->kind = OBS_FLOW;
	o->nclaims = 0;
	judge_flow(ins, owner, dst, now, o);
}
