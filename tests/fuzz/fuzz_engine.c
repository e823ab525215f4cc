// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine, fed packet sequences. Two engines take every packet in
 * lockstep (the second must decide exactly as the first: determinism),
 * and after every packet the harness checks what any verdict must
 * satisfy (engine.h): a known verdict, at most ENGINE_EVENTS_MAX events,
 * each with a known kind, NUL-terminated texts and at most
 * EVENT_ADDRS_MAX addresses, blocked only in block mode; a rewrite only
 * of a UDP answer coming in from port 53, no longer than the packet and
 * still the same addresses and ports; alert mode never stops anything
 * (no block, drop or rewrite); the flow table bounded.
 *
 * Input: cfg u8 | mode u8 | records.
 *   cfg:  block: bit 0; unreadable: bits 1-2; dns_bypass: bits 3-4;
 *         ech: bits 5-6 (0 allow, 1 alert, 2-3 block); trust_all: bit 7
 *   mode: raw: bit 0; the kernel's SYN map answers (tcp_isn): bit 1;
 *         a DNS cache of 4 entries, not 256: bit 2
 * Raw records: flags u8 (dir: bit 0, bridge port: bits 1-2, time step:
 *   bits 3-5) | length u16 | packet bytes.
 * Structured records: op u8 | fields (see the ops below): packets built
 *   around real shapes (TLS hellos, HTTP heads, DNS both ways over UDP and
 *   TCP, stratum lines, sealed QUIC Initials, SYNs seen or kept by the
 *   kernel), so that the fuzzer reaches the engine's depths at once.
 *
 * One structured op checks the claim rule (README): a ClientHello whose
 * SNI the blacklist names (not as dns-bypass), sent as the first payload
 * of a new TCP flow whose SYN the engine saw, stops the flow in block
 * mode whatever the address, the port and the names resolved, unless the
 * whitelist names that SNI. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/quic_build.h"
#include "egressd/domain.h"
#include "egressd/engine.h"
#include "egressd/flowtab.h"
#include "egressd/http.h"
#include "egressd/limits.h"
#include "egressd/match.h"
#include "egressd/pkt.h"
#include "egressd/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x)) {                                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",         \
				__FILE__, __LINE__, #x);                     \
			abort();                                             \
		}                                                            \
	} while (0)

/* Work per input: packets fed at most, the largest one built. */
#define PKTS_MAX 200
#define PKT_MAX 20000

/* ---- the input ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t rd_u16(struct rd *r)
{
	uint16_t hi = rd_u8(r);

	return (uint16_t)(hi << 8 | rd_u8(r));
}

static size_t rd_bytes(struct rd *r, uint8_t *out, size_t want)
{
	size_t n = want < r->n ? want : r->n;

	memcpy(out, r->p, n);
	r->p += n;
	r->n -= n;
	return n;
}

/* ---- the policy: the shapes of test_engine.c ---- */

#define CLIENT4_A "198.18.0.11"
#define CLIENT4_B "198.18.0.12"
#define CLIENT6_A "2001:db8:c::11"
#define CLIENT6_B "2001:db8:c::12"
/* The claim ops' own container: no other op sends from or to it, so it
 * resolved no name, and its flows are judged by their addresses and
 * claims alone. */
#define CLAIMER4 "198.18.0.13"
#define CLAIMER6 "2001:db8:c::13"

/* Servers, IPv4 and IPv6: good, listed, a pool, the trusted resolver,
 * another resolver, a dns-bypass resolver, a whitelisted address; the
 * last slot is an address the input gives. */
static const char *const servers4[] = {
	"203.0.113.80", "203.0.113.99", "203.0.113.33", "198.18.0.1",
	"192.0.2.53", "192.0.2.8", "203.0.113.10",
};
static const char *const servers6[] = {
	"2001:db8:5::80", "2001:db8:bad::99", "2001:db8:5::33",
	"2001:db8:53::1", "2001:db8:99::53", "2001:db8:d0::8",
	"2001:db8:1::10",
};
#define NSERVERS 8 /* the 7 above and one from the input */
/* Names in an answer's chain the harness writes, at most. */
#define DNS_CHAIN_NAMES 20

static const char *const names[] = {
	"evil.test", "x.bad.test", "bad.test", "good.test", "www.ok.test",
	"dns.google", "use-application-dns.net", "ok.bad.test", "pool.test",
	"a.white.test", "EVIL.TEST.", "c3.chain.test", "deep.x.bad.test",
	"www.pool.test",
};
static const char *const suffixes[] = { "bad.test", "ok.test", "white.test",
					"test", "pool.test", "google" };

static struct policy pol;
static struct ip_addr trusted[2];
static uint8_t srv4[7][4], srv6[7][16], cli4[2][4], cli6[2][16];
static uint8_t clm4[4], clm6[16];

static void add_cidr(struct match_set *s, int src, const char *a, unsigned l)
{
	struct ip_addr ip;

	CHECK(!ip_addr_parse(a, &ip));
	CHECK(!match_set_add_cidr(s, src, &ip, l));
}

static void policy_build(void)
{
	int s;

	pol.black = match_set_new();
	pol.white = match_set_new();
	s = match_set_add_source(pol.black, "intel", "c2", true);
	match_set_add_domain(pol.black, s, "bad.test", MATCH_WILDCARD);
	match_set_add_domain(pol.black, s, "evil.test", MATCH_EXACT);
	add_cidr(pol.black, s, "203.0.113.99", 32);
	add_cidr(pol.black, s, "2001:db8:bad::", 48);
	s = match_set_add_source(pol.black, "pools", "mining-pool", true);
	match_set_add_domain(pol.black, s, "pool.test", MATCH_EXACT);
	match_set_add_domain(pol.black, s, "pool.test", MATCH_WILDCARD);
	add_cidr(pol.black, s, "203.0.113.33", 32);
	s = match_set_add_source(pol.black, "dns-bypass", "dns-bypass", true);
	match_set_add_domain(pol.black, s, "dns.google", MATCH_EXACT);
	add_cidr(pol.black, s, "192.0.2.8", 32);
	add_cidr(pol.black, s, "2001:db8:d0::8", 128);
	s = match_set_add_source(pol.white, "custom", "custom", false);
	match_set_add_domain(pol.white, s, "good.test", MATCH_EXACT);
	match_set_add_domain(pol.white, s, "ok.bad.test", MATCH_EXACT);
	match_set_add_domain(pol.white, s, "white.test", MATCH_WILDCARD);
	add_cidr(pol.white, s, "203.0.113.10", 32);
	add_cidr(pol.white, s, "2001:db8:1::10", 128);
	CHECK(match_set_finish(pol.black) >= 0);
	CHECK(match_set_finish(pol.white) >= 0);
}

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	policy_build();
	CHECK(!ip_addr_parse("198.18.0.1", &trusted[0]));
	CHECK(!ip_addr_parse("2001:db8:53::1", &trusted[1]));
	for (size_t i = 0; i < 7; i++) {
		CHECK(inet_pton(AF_INET, servers4[i], srv4[i]) == 1);
		CHECK(inet_pton(AF_INET6, servers6[i], srv6[i]) == 1);
	}
	CHECK(inet_pton(AF_INET, CLIENT4_A, cli4[0]) == 1);
	CHECK(inet_pton(AF_INET, CLIENT4_B, cli4[1]) == 1);
	CHECK(inet_pton(AF_INET6, CLIENT6_A, cli6[0]) == 1);
	CHECK(inet_pton(AF_INET6, CLIENT6_B, cli6[1]) == 1);
	CHECK(inet_pton(AF_INET, CLAIMER4, clm4) == 1);
	CHECK(inet_pton(AF_INET6, CLAIMER6, clm6) == 1);
}

/* ---- the harness's state for one input ---- */

/* The kernel's SYN map (syn4/syn6), as the daemon asks it. */
#define KEPT_MAX 16
struct kept {
	struct ip_addr client, server;
	uint16_t cport, sport;
	uint32_t isn;
};

static struct {
	struct engine *e[2];
	struct engine_cfg cfg;
	uint64_t now_ms;
	unsigned npkts;
	struct kept kept[KEPT_MAX];
	unsigned nkept;
	unsigned nclaims;
	bool claiming; /* a claim op feeds the packets */
	bool claimer_seen; /* another op's packet named the claimer */
	uint8_t rand_srv4[4], rand_srv6[16];
} H;

static struct engine_out out[2];

static int isn_cb(void *ctx, const struct flow_key *k, uint32_t *isn)
{
	(void)ctx;
	for (unsigned i = 0; i < H.nkept && i < KEPT_MAX; i++) {
		const struct kept *e = &H.kept[i];
		if (e->cport == k->cport && e->sport == k->sport &&
		    ip_addr_equal(&e->client, &k->client) &&
		    ip_addr_equal(&e->server, &k->server)) {
			*isn = e->isn;
			return 0;
		}
	}
	return -ENOENT;
}

static const uint64_t steps_ms[8] = { 0, 1, 10, 100, 999, 1001, 30001, 61000 };

static void step(unsigned i)
{
	H.now_ms += steps_ms[i % 8];
}

/* ---- the checks ---- */

static bool terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

static void check_event(const struct event *ev)
{
	CHECK((unsigned)ev->kind <= EV_UNREADABLE);
	CHECK(strcmp(event_kind_name(ev->kind), "?"));
	CHECK(terminated(ev->name, sizeof(ev->name)));
	CHECK(terminated(ev->rule.source, sizeof(ev->rule.source)));
	CHECK(terminated(ev->rule.category, sizeof(ev->rule.category)));
	CHECK(terminated(ev->rule.pattern, sizeof(ev->rule.pattern)));
	CHECK(terminated(ev->rule.matched, sizeof(ev->rule.matched)));
	CHECK(terminated(ev->detail, sizeof(ev->detail)));
	CHECK(ev->naddrs <= EVENT_ADDRS_MAX);
	CHECK(!ev->blocked || H.cfg.block);
	/* Every event says what it is about and which rule said so. */
	CHECK(ev->name[0] || (ev->have_dst && ev->dst.family));
	CHECK(ev->client.family == AF_INET || ev->client.family == AF_INET6);
	CHECK(*ev->rule.source && *ev->rule.category && *ev->rule.pattern &&
	      *ev->rule.matched);
}

/* The counters only grow; those counted once per packet never say more
 * than was fed (malformed and unreadable count DNS messages: a TCP
 * segment may carry several). */
static void check_stats(void)
{
	static struct engine_stats last;
	struct engine_stats st;

	engine_get_stats(H.e[0], &st);
	CHECK(st.packets == H.npkts);
	CHECK(st.not_dns_on_53 <= st.packets);
	CHECK(st.quic_incomplete <= st.packets && st.isn_stale <= st.packets);
	CHECK(st.flows <= ENGINE_FLOWS_MAX && st.flows <= st.packets);
	if (H.npkts > 1)
		CHECK(st.malformed >= last.malformed &&
		      st.unreadable >= last.unreadable &&
		      st.not_dns_on_53 >= last.not_dns_on_53 &&
		      st.quic_incomplete >= last.quic_incomplete &&
		      st.isn_stale >= last.isn_stale &&
		      st.flows_evicted >= last.flows_evicted);
	last = st;
}

/* A stopping event is never told with a verdict that lets it pass. */
static bool stops(enum engine_verdict v)
{
	return v == ENG_BLOCK || v == ENG_DROP || v == ENG_REWRITE;
}

static void check_rewrite(const struct engine_out *o, const uint8_t *p,
			  size_t len, enum engine_dir dir)
{
	struct pkt_info a, b;

	CHECK(dir == ENGINE_IN);
	CHECK(!pkt_parse(p, len, &a));
	CHECK(a.l4proto == IPPROTO_UDP && a.sport == 53);
	CHECK(o->rewrite && o->rewrite_len > 0 && o->rewrite_len <= len);
	CHECK(!pkt_parse(o->rewrite, o->rewrite_len, &b));
	CHECK(b.l4proto == IPPROTO_UDP && ip_addr_equal(&a.src, &b.src) &&
	      ip_addr_equal(&a.dst, &b.dst) && a.sport == b.sport &&
	      a.dport == b.dport);
}

static void check_out(const struct engine_out *o, const uint8_t *p, size_t len,
		      enum engine_dir dir)
{
	CHECK((unsigned)o->verdict <= ENG_REWRITE);
	CHECK(o->nevents <= ENGINE_EVENTS_MAX);
	for (unsigned i = 0; i < o->nevents; i++) {
		const struct event *ev = &o->events[i];
		if (ev->blocked && !stops(o->verdict) &&
		    ev->kind != EV_DNS_QUERY)
			fprintf(stderr, "verdict %d with a stopping %s event "
				"(%s: %s)\n", o->verdict,
				event_kind_name(ev->kind), ev->rule.category,
				ev->rule.pattern);
		check_event(&o->events[i]);
		/* (a query's event tells that its answer will be stopped) */
		CHECK(!o->events[i].blocked || stops(o->verdict) ||
		      o->events[i].kind == EV_DNS_QUERY);
	}
	CHECK(!o->hold || o->nevents);
	if (o->verdict == ENG_REWRITE)
		check_rewrite(o, p, len, dir);
	/* Alert mode never stops a flow, a packet or a lookup. */
	if (!H.cfg.block)
		CHECK(o->verdict == ENG_ACCEPT || o->verdict == ENG_ALLOW);
	check_stats();
}

/* The second engine decided exactly as the first. */
static void check_same(const struct engine_out *a, const struct engine_out *b)
{
	CHECK(a->verdict == b->verdict && a->hold == b->hold &&
	      a->nevents == b->nevents && a->rewrite_len == b->rewrite_len);
	CHECK(!a->rewrite_len || !memcmp(a->rewrite, b->rewrite, a->rewrite_len));
	for (unsigned i = 0; i < a->nevents; i++) {
		const struct event *x = &a->events[i], *y = &b->events[i];
		CHECK(x->kind == y->kind && x->blocked == y->blocked &&
		      x->naddrs == y->naddrs && !strcmp(x->name, y->name) &&
		      !strcmp(x->rule.pattern, y->rule.pattern) &&
		      !strcmp(x->detail, y->detail));
	}
}

static bool is_claimer(const struct ip_addr *a)
{
	return a->family == AF_INET ? !memcmp(a->b, clm4, 4)
				    : !memcmp(a->b, clm6, 16);
}

static void note_claimer(const uint8_t *p, size_t len)
{
	struct pkt_info pk;

	if (pkt_parse(p, len, &pk))
		return;
	if (!H.claiming && (is_claimer(&pk.src) || is_claimer(&pk.dst)))
		H.claimer_seen = true;
}

static enum engine_verdict feed(const uint8_t *p, size_t len,
				enum engine_dir dir, uint32_t port)
{
	struct engine_pkt in = { p, len, dir, port, H.now_ms,
				 1700000000 + (int64_t)(H.now_ms / 1000), false };

	H.npkts++;
	note_claimer(p, len);
	engine_packet(H.e[0], &in, &out[0]);
	check_out(&out[0], p, len, dir);
	engine_packet(H.e[1], &in, &out[1]);
	check_same(&out[0], &out[1]);
	return out[0].verdict;
}

/* ---- packets ---- */

static uint8_t pkt[PKT_MAX + 100];
static uint8_t pay[PKT_MAX];

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

struct ends {
	bool v6;
	const uint8_t *src, *dst;
};

/* An IP header for an L4 part of l4len bytes already at pkt + hdr.
 * Returns the packet's length. */
static size_t ip_hdr(const struct ends *e, uint8_t proto, size_t l4len)
{
	if (e->v6) {
		memset(pkt, 0, 40);
		pkt[0] = 0x60;
		put16(pkt + 4, (unsigned)l4len);
		pkt[6] = proto;
		pkt[7] = 64;
		memcpy(pkt + 8, e->src, 16);
		memcpy(pkt + 24, e->dst, 16);
		return 40 + l4len;
	}
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	put16(pkt + 2, (unsigned)(20 + l4len));
	pkt[8] = 64;
	pkt[9] = proto;
	memcpy(pkt + 12, e->src, 4);
	memcpy(pkt + 16, e->dst, 4);
	return 20 + l4len;
}

static size_t hdr_len(const struct ends *e)
{
	return e->v6 ? 40 : 20;
}

static size_t tcp_pkt(const struct ends *e, unsigned sport, unsigned dport,
		      uint32_t seq, uint8_t flags, const uint8_t *p, size_t len)
{
	uint8_t *t = pkt + hdr_len(e);

	if (len > PKT_MAX - 20)
		len = PKT_MAX - 20;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	if (len)
		memmove(t + 20, p, len);
	return ip_hdr(e, IPPROTO_TCP, 20 + len);
}

static size_t udp_pkt(const struct ends *e, unsigned sport, unsigned dport,
		      const uint8_t *p, size_t len)
{
	uint8_t *u = pkt + hdr_len(e);

	if (len > PKT_MAX - 8)
		len = PKT_MAX - 8;
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + len));
	put16(u + 6, 0);
	if (len)
		memmove(u + 8, p, len);
	return ip_hdr(e, IPPROTO_UDP, 8 + len);
}

/* ---- what the packets carry ---- */

/* A name: one of the table's, or a label the input gives under one of
 * the suffixes, or (rarely) raw bytes. */
static const char *name_sel(struct rd *r, uint8_t b, char *buf, size_t cap)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
	uint8_t lab[24];
	size_t n;

	if (b < 0xc0)
		return names[b % (sizeof(names) / sizeof(names[0]))];
	if (b >= 0xf8) {
		n = rd_bytes(r, (uint8_t *)buf, rd_u8(r) % 48);
		buf[n] = 0;
		return buf;
	}
	n = rd_bytes(r, lab, 1 + rd_u8(r) % sizeof(lab));
	for (size_t i = 0; i < n; i++)
		lab[i] = (uint8_t)alpha[lab[i] % (sizeof(alpha) - 1)];
	snprintf(buf, cap, "%.*s%s%s", (int)n, (const char *)lab, n ? "." : "",
		 suffixes[b % (sizeof(suffixes) / sizeof(suffixes[0]))]);
	return buf;
}

static const char *name_of(struct rd *r, char *buf, size_t cap)
{
	return name_sel(r, rd_u8(r), buf, cap);
}

/* A ClientHello handshake message (no record): sni (and sni2), an ECH
 * extension, pad bytes of padding. */
static size_t hs_hello(uint8_t *h, const char *sni, const char *sni2,
		       bool ech, size_t pad)
{
	size_t o = 4, ext_at, names_at;

	h[o++] = 3, h[o++] = 3;
	memset(h + o, 0x11, 32), o += 32;
	h[o++] = 0; /* session id */
	h[o++] = 0, h[o++] = 2, h[o++] = 0x13, h[o++] = 1; /* one suite */
	h[o++] = 1, h[o++] = 0; /* compression */
	ext_at = o, o += 2;
	if (pad) {
		put16(h + o, 21), put16(h + o + 2, (unsigned)pad);
		memset(h + o + 4, 0, pad);
		o += 4 + pad;
	}
	if (ech) {
		put16(h + o, 0xfe0d), put16(h + o + 2, 4);
		memset(h + o + 4, 0xec, 4);
		o += 8;
	}
	/* supported_versions: TLS 1.3 (QUIC wants it) */
	put16(h + o, 43), put16(h + o + 2, 3);
	h[o + 4] = 2, put16(h + o + 5, 0x0304);
	o += 7;
	if (sni) {
		h[o++] = 0, h[o++] = 0; /* server_name */
		names_at = o, o += 4;
		for (int i = 0; i < 2; i++) {
			const char *s = i ? sni2 : sni;
			size_t l = s ? strlen(s) : 0;
			if (!s)
				continue;
			h[o++] = 0;
			put16(h + o, (unsigned)l), o += 2;
			memcpy(h + o, s, l), o += l;
		}
		put16(h + names_at, (unsigned)(o - names_at - 2));
		put16(h + names_at + 2, (unsigned)(o - names_at - 4));
	}
	put16(h + ext_at, (unsigned)(o - ext_at - 2));
	h[0] = 1;
	h[1] = (uint8_t)((o - 4) >> 16), h[2] = (uint8_t)((o - 4) >> 8);
	h[3] = (uint8_t)(o - 4);
	return o;
}

/* The same in a TLS record (TCP). */
static size_t tls_hello(uint8_t *p, const char *sni, const char *sni2,
			bool ech, size_t pad)
{
	size_t n = hs_hello(p + 5, sni, sni2, ech, pad);

	p[0] = 0x16, p[1] = 3, p[2] = 1;
	put16(p + 3, (unsigned)n);
	return n + 5;
}

static size_t hello_of(struct rd *r, uint8_t *p, bool record)
{
	char b1[64], b2[64];
	uint8_t f = rd_u8(r);
	const char *sni = f & 1 ? NULL : name_of(r, b1, sizeof(b1));
	const char *sni2 = f & 2 ? name_of(r, b2, sizeof(b2)) : NULL;
	size_t pad = f & 8 ? (size_t)rd_u8(r) * 16 : 0;

	if (f & 16)
		pad += TLS_HELLO_MAX; /* over what egressd reads */
	if (pad > PKT_MAX - 512)
		pad = PKT_MAX - 512; /* the names and the rest fit */
	return record ? tls_hello(p, sni, sni2, f & 4, pad)
		      : hs_hello(p, sni, sni2, f & 4, pad);
}

static size_t http_of(struct rd *r, uint8_t *p)
{
	static const char *const fmt[] = {
		"GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: %s\r\nHost: %s\r\nContent-Length: 0\r\n\r\n",
		"CONNECT %s:443 HTTP/1.1\r\nHost: %s\r\n\r\n",
		"GET / HTTP/1.0\r\nUser-Agent: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: %s\r\nHost: a.test\r\nHost: %s\r\n\r\n",
		"  GET   http://%s:80/p?q HTTP/1.1\r\nX: y\r\n host:%s\r\n\r\n",
	};
	char b1[64], b2[64];
	const char *f = fmt[rd_u8(r) % (sizeof(fmt) / sizeof(fmt[0]))];
	const char *n1 = name_of(r, b1, sizeof(b1));
	const char *n2 = name_of(r, b2, sizeof(b2));
	int n = snprintf((char *)p, 512, f, n1, n2);

	return n > 0 ? (size_t)(n < 512 ? n : 511) : 0;
}

static size_t stratum_of(struct rd *r, uint8_t *p)
{
	static const char *const fmt[] = {
		"{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4.10.0\"]}\n",
		"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"x\",\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\"}}\n",
		"{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":\"NiceHashMiner/3.1.0\",\"host\":\"%s\",\"port\":\"9200\",\"proto\":\"EthereumStratum/2.0.0\"}}\n",
		"{\"worker\": \"rig1\", \"jsonrpc\": \"2.0\", \"params\": [\"0x00\", \"x\"], \"id\": 1, \"method\": \"eth_submitLogin\"}\n",
		"{\"id\":1,\"result\":true,\"error\":null}\n",
	};
	char b[64];
	const char *f = fmt[rd_u8(r) % (sizeof(fmt) / sizeof(fmt[0]))];
	int n = snprintf((char *)p, 512, f, name_of(r, b, sizeof(b)));

	return n > 0 ? (size_t)(n < 512 ? n : 511) : 0;
}

static size_t put_name(uint8_t *p, const char *name)
{
	size_t o = 0;

	while (*name && o < 250) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		if (l > 63)
			l = 63;
		if (l) {
			p[o++] = (uint8_t)l;
			memcpy(p + o, name, l);
			o += l;
		}
		name += l;
		if (*name == '.')
			name++;
		else if (l == 63)
			while (*name && *name != '.')
				name++;
	}
	p[o++] = 0;
	return o;
}

static const uint8_t *server_addr(unsigned i, bool v6)
{
	i %= NSERVERS;
	if (i == 7)
		return v6 ? H.rand_srv6 : H.rand_srv4;
	return v6 ? srv6[i] : srv4[i];
}

/* One answer record: owner CNAME target, or (target NULL) owner's
 * address, server srv's. */
static size_t dns_rr(uint8_t *m, const char *owner, const char *target,
		     bool v6, uint32_t ttl, unsigned srv)
{
	size_t o = put_name(m, owner), l;

	put16(m + o, target ? 5 : v6 ? 28 : 1);
	put16(m + o + 2, 1);
	put32(m + o + 4, ttl);
	o += 8;
	if (target) {
		l = put_name(m + o + 2, target);
	} else {
		l = v6 ? 16 : 4;
		memcpy(m + o + 2, server_addr(srv, v6), l);
	}
	put16(m + o, (unsigned)l);
	return o + 2 + l;
}

/* A DNS message: a query, or an answer whose chain has n names (CNAMEs
 * from the asked name through c<i>.chain.test to the last, which has an
 * address). */
static size_t dns_of(struct rd *r, uint8_t *m, bool answer)
{
	char asked[64], last[64], cn[DNS_CHAIN_NAMES][24];
	const char *chain[DNS_CHAIN_NAMES];
	uint8_t f = rd_u8(r), srv = rd_u8(r);
	unsigned n = answer ? 1 + (f >> 4 == 15 ? 16 + (f & 3) : (f >> 4) % 3) : 0;
	bool v6 = f & 1;
	size_t o = 12;

	chain[0] = name_of(r, asked, sizeof(asked));
	for (unsigned i = 1; i < n; i++) {
		snprintf(cn[i], sizeof(cn[i]), "c%u.chain.test", i);
		chain[i] = cn[i];
	}
	if (n > 1)
		chain[n - 1] = name_of(r, last, sizeof(last));
	memset(m, 0, 12);
	put16(m, 0x1234);
	put16(m + 2, answer ? 0x8180 | (f & 2 ? 3 : 0) : 0x0100);
	put16(m + 4, 1);
	put16(m + 6, n);
	o += put_name(m + o, chain[0]);
	put16(m + o, v6 ? 28 : 1), put16(m + o + 2, 1);
	o += 4;
	for (unsigned i = 0; i < n; i++)
		o += dns_rr(m + o, chain[i], i + 1 < n ? chain[i + 1] : NULL, v6,
			    f & 4 ? 0 : 300, srv);
	if (f & 8) { /* one byte changed */
		uint16_t at = rd_u16(r);
		m[at % o] ^= rd_u8(r) | 1;
	}
	return o;
}

/* A payload of the kind the input picks. */
static size_t payload_of(struct rd *r, uint8_t kind, bool in, uint8_t *p)
{
	size_t n;

	switch (kind % 8) {
	case 1:
		return hello_of(r, p, true);
	case 2:
		return http_of(r, p);
	case 3: /* DNS over TCP: a length, the message */
		n = dns_of(r, p + 2, in);
		put16(p, (unsigned)n);
		return n + 2;
	case 4:
		return stratum_of(r, p);
	case 5:
		return rd_bytes(r, p, rd_u16(r) % 2048);
	case 6:
		memcpy(p, "SSH-2.0-OpenSSH_9.2\r\n", 21);
		return 21;
	case 7: /* a server's hello-ish answer */
		memcpy(p, "\x16\x03\x03\x00\x30\x02\x00\x00\x2c", 9);
		memset(p + 9, 0, 44);
		return 53;
	default:
		return 0;
	}
}

/* ---- endpoints ---- */

static uint16_t port_of(struct rd *r, uint8_t sel)
{
	static const uint16_t ports[] = { 443, 80, 53, 853, 3333, 22, 8080 };

	sel %= 8;
	return sel < 7 ? ports[sel] : rd_u16(r);
}

static const uint32_t bridge_ports[4] = { 0, 7, 8, 9 };

/* The fields most ops share: family, client, server, ports. */
struct where {
	struct ends out, in; /* client -> server, server -> client */
	unsigned cidx, sidx, cport_idx;
	uint16_t cport, sport;
	uint32_t port;
};

static void where_of(struct rd *r, struct where *w)
{
	uint8_t a = rd_u8(r), b = rd_u8(r);
	bool v6 = a & 1;
	const uint8_t *c, *s;

	w->cidx = a >> 1 & 1;
	w->cport_idx = a >> 2 & 7;
	w->port = bridge_ports[a >> 5 & 3];
	w->sidx = b % NSERVERS;
	w->sport = port_of(r, b >> 4);
	w->cport = (uint16_t)(40000 + w->cport_idx);
	c = v6 ? cli6[w->cidx] : cli4[w->cidx];
	s = server_addr(w->sidx, v6);
	w->out = (struct ends){ v6, c, s };
	w->in = (struct ends){ v6, s, c };
}

static uint32_t client_isn(const struct where *w)
{
	return 0x10000000u * (w->cport_idx + 1) + 7919u * w->sidx + w->sport;
}

static uint32_t server_isn(const struct where *w)
{
	return 0x80000000u + 0x1000000u * w->cport_idx + w->sport;
}

static void addr_of(struct ip_addr *a, bool v6, const uint8_t *b)
{
	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	memcpy(a->b, b, v6 ? 16 : 4);
}

static void keep_syn(const struct where *w, uint32_t isn)
{
	struct kept *k = &H.kept[H.nkept++ % KEPT_MAX];
	struct ip_addr a, b;

	addr_of(&a, w->out.v6, w->out.src);
	addr_of(&b, w->out.v6, w->out.dst);
	*k = (struct kept){ a, b, w->cport, w->sport, isn };
	if (H.nkept > KEPT_MAX)
		H.nkept = KEPT_MAX;
}

/* ---- the ops ---- */

/* A TCP segment: a window of a payload the input picks, at its place in
 * the stream (or moved), either way. */
static void op_tcp(struct rd *r)
{
	struct where w;
	uint8_t ctl, kind, fl;
	size_t n, off, len, pl;
	uint32_t seq;
	bool in;

	where_of(r, &w);
	ctl = rd_u8(r);
	kind = rd_u8(r);
	fl = rd_u8(r) & 0x3f;
	in = ctl & 1;
	step(ctl >> 1);
	pl = payload_of(r, kind, in, pay);
	off = pl ? rd_u16(r) % (pl + 1) : 0;
	len = pl - off;
	if (ctl & 0x10)
		len = rd_u16(r) % (len + 1);
	seq = (in ? server_isn(&w) : client_isn(&w)) + 1 + (uint32_t)off;
	if (ctl & 0x20)
		seq += (uint32_t)(int16_t)rd_u16(r);
	if (!(ctl & 0x40))
		fl |= TCP_ACK;
	n = in ? tcp_pkt(&w.in, w.sport, w.cport, seq, fl, pay + off, len)
	       : tcp_pkt(&w.out, w.cport, w.sport, seq, fl, pay + off, len);
	feed(pkt, n, in ? ENGINE_IN : ENGINE_OUT, w.port);
}

/* A SYN: seen by the engine (to a listed address the ruleset queues it),
 * or kept by the kernel's map; perhaps the server's SYN-ACK. */
static void op_syn(struct rd *r)
{
	struct where w;
	uint8_t ctl;
	size_t n;

	where_of(r, &w);
	ctl = rd_u8(r);
	step(ctl >> 3);
	if (ctl & 1) {
		n = tcp_pkt(&w.out, w.cport, w.sport, client_isn(&w), TCP_SYN,
			    NULL, 0);
		feed(pkt, n, ENGINE_OUT, w.port);
	} else {
		keep_syn(&w, client_isn(&w));
	}
	if (ctl & 2) {
		n = tcp_pkt(&w.in, w.sport, w.cport, server_isn(&w),
			    TCP_SYN | TCP_ACK, NULL, 0);
		feed(pkt, n, ENGINE_IN, w.port);
	}
	if (ctl & 4) /* the kernel keeps another connection's ISN */
		keep_syn(&w, client_isn(&w) + rd_u16(r) * 65536u);
}

/* DNS over UDP: a query out, or an answer in. */
static void op_dns(struct rd *r)
{
	struct where w;
	uint8_t ctl;
	size_t n;

	where_of(r, &w);
	ctl = rd_u8(r);
	step(ctl >> 2);
	if (!(ctl & 2))
		w.sport = 53;
	n = dns_of(r, pay, ctl & 1);
	n = ctl & 1 ? udp_pkt(&w.in, w.sport, w.cport, pay, n)
		    : udp_pkt(&w.out, w.cport, w.sport, pay, n);
	feed(pkt, n, ctl & 1 ? ENGINE_IN : ENGINE_OUT, w.port);
}

/* A UDP datagram of bytes the input gives, either way. */
static void op_udp(struct rd *r)
{
	struct where w;
	uint8_t ctl;
	size_t n;

	where_of(r, &w);
	ctl = rd_u8(r);
	step(ctl >> 1);
	n = rd_bytes(r, pay, rd_u16(r) % 1500);
	if (ctl & 0x10) { /* QUIC-looking, long enough to be read as one */
		if (n < 1200) {
			memset(pay + n, 0, 1200 - n);
			n = 1200;
		}
		pay[0] = 0xc0 | (pay[0] & 0x0f);
		memcpy(pay + 1, "\x00\x00\x00\x01", 4);
	}
	n = ctl & 1 ? udp_pkt(&w.in, w.sport, w.cport, pay, n)
		    : udp_pkt(&w.out, w.cport, w.sport, pay, n);
	feed(pkt, n, ctl & 1 ? ENGINE_IN : ENGINE_OUT, w.port);
}

/* Once a flow is decided (allowed or stopped), later verdicts repeat it. */
static enum engine_verdict first_decided(enum engine_verdict so_far,
					 enum engine_verdict v)
{
	return so_far == ENG_ALLOW || so_far == ENG_BLOCK ? so_far : v;
}

/* One sealed client Initial carrying hs[a, b) at its CRYPTO offset. */
static enum engine_verdict quic_one(const struct where *w,
				    const struct qb_initial *tmpl,
				    const struct quic_keys *k,
				    const uint8_t *hs, size_t a, size_t b)
{
	static uint8_t frames[PKT_MAX + 64], dgram[QUIC_DATAGRAM_MAX];
	struct qb_initial qi = *tmpl;
	size_t fl = 0, n;

	frames[fl++] = QUIC_FRAME_PING;
	fl += qb_crypto(frames + fl, a, hs + a, b - a);
	qi.frames = frames;
	qi.frames_len = fl;
	n = qb_initial(dgram, sizeof(dgram), &qi, k);
	if (!n)
		return ENG_ACCEPT;
	n = udp_pkt(&w->out, w->cport, w->sport, dgram, n);
	return feed(pkt, n, ENGINE_OUT, w->port);
}

/* The hello hs[0, hl) in client Initials: whole in one, or split at
 * `split` between two sent in either order (ctl: version bit 0, order
 * bit 2, packet number length bits 3-4). Returns the first verdict that
 * decided the flow, else the last one. */
static enum engine_verdict quic_send(struct rd *r, const struct where *w,
				     uint8_t ctl, const uint8_t *hs, size_t hl,
				     size_t split)
{
	struct qb_initial qi = { .version = ctl & 1 ? QUIC_V2 : QUIC_V1,
				 .pn_len = 1 + (ctl >> 3 & 3), .size = 1200 };
	enum engine_verdict v = ENG_ACCEPT;
	struct quic_keys k;
	uint8_t dcid[20] = { 0 };

	qi.dcid_len = 8 + rd_u8(r) % 13;
	rd_bytes(r, dcid, qi.dcid_len);
	qi.dcid = dcid;
	if (quic_initial_keys(qi.version, dcid, qi.dcid_len, &k))
		return v;
	for (int part = 0; part < 2; part++) {
		/* part 0: [split, hl) first; part 1: [0, split) */
		int which = ctl & 4 ? 1 - part : part;
		size_t a = which ? 0 : split, b = which ? split : hl;
		if (a == b && which)
			continue;
		qi.pn = (uint64_t)which;
		v = first_decided(v, quic_one(w, &qi, &k, hs, a, b));
	}
	return v;
}

/* Client Initials carrying a ClientHello, sealed. */
static void op_quic(struct rd *r)
{
	static uint8_t hs[PKT_MAX];
	struct where w;
	uint8_t ctl;
	size_t hl;

	where_of(r, &w);
	ctl = rd_u8(r);
	step(ctl >> 5);
	hl = hello_of(r, hs, false);
	if (hl > 16000)
		hl = 16000; /* within one datagram */
	quic_send(r, &w, ctl, hs, hl, ctl & 2 ? rd_u16(r) % (hl + 1) : 0);
}
/* ICMP, or another protocol, either way. */
static void op_other(struct rd *r)
{
	struct where w;
	uint8_t ctl, proto;
	size_t n;

	where_of(r, &w);
	ctl = rd_u8(r);
	step(ctl >> 2);
	proto = ctl & 2 ? rd_u8(r) : w.out.v6 ? 58 : 1;
	memset(pkt + hdr_len(&w.out), 0, 8);
	pkt[hdr_len(&w.out)] = w.out.v6 ? 128 : 8;
	n = ip_hdr(ctl & 1 ? &w.in : &w.out, proto, 8);
	feed(pkt, n, ctl & 1 ? ENGINE_IN : ENGINE_OUT, w.port);
}

/* Bytes the input gives, as a packet. */
static void op_raw(struct rd *r)
{
	uint8_t ctl = rd_u8(r);
	size_t n = rd_bytes(r, pkt, rd_u16(r) % 2048);

	step(ctl >> 3);
	feed(pkt, n, ctl & 1 ? ENGINE_IN : ENGINE_OUT,
	     bridge_ports[ctl >> 1 & 3]);
}

/* ---- the claim rule (README: how a verdict is reached) ---- */

/* What the lists say of a name a flow claims: 0 nothing (or the
 * whitelist names it), 1 the dns-bypass list (an action of its own),
 * 2 blacklisted. */
static int claim_listed(const char *name)
{
	char n[DOMAIN_TEXT_MAX + 1];
	struct match_hit hit;

	if (!name || domain_normalize(name, strlen(name), n) < 0)
		return 0;
	if (match_domain(pol.white, n, strlen(n), NULL) ||
	    !match_domain(pol.black, n, strlen(n), &hit))
		return 0;
	return strcmp(hit.source->category, "dns-bypass") ? 2 : 1;
}

/* The same for the flow's address (the claimer resolved no name that
 * could unlock a listed one). */
static int addr_listed(const struct where *w)
{
	struct match_hit hit;
	struct ip_addr a;

	addr_of(&a, w->out.v6, w->out.dst);
	if (match_ip(pol.white, &a, NULL) || !match_ip(pol.black, &a, &hit))
		return 0;
	return strcmp(hit.source->category, "dns-bypass") ? 2 : 1;
}

struct claim {
	struct where w;
	const char *names[2];
	bool readable; /* the parser reads the payload */
};

/* What the flow's verdict must be: 1 stopped, -1 never stopped, 0 either
 * (an action of its own: the dns-bypass list; DNS over TLS). A claim
 * only adds a reason to stop: a blacklisted name stops the flow whatever
 * its address, and a whitelisted one never unlocks a listed address. */
static int claim_expect(const struct claim *c)
{
	int a = addr_listed(&c->w), n = 0;

	if (H.claimer_seen)
		return 0;
	for (int i = 0; i < 2; i++)
		if (claim_listed(c->names[i]) > n)
			n = claim_listed(c->names[i]);
	if (!c->readable) /* (on 853: the dns_bypass policy) */
		n = H.cfg.unreadable == ENGINE_BLOCK && c->w.sport != 853 ? 2
									 : 0;
	if (!H.cfg.block)
		return -1;
	if (a == 2 || n == 2)
		return 1;
	return a || n || c->w.sport == 853 ? 0 : -1;
}

static void claim_check(const struct claim *c, enum engine_verdict v,
			const char *how)
{
	int want = claim_expect(c);

	if (!want || (want > 0) == (v == ENG_BLOCK))
		return;
	fprintf(stderr, "%s claiming %s%s%s to server %u port %u: verdict %d, "
		"expected %s\n", how, c->names[0] ? c->names[0] : "(none)",
		c->names[1] ? " + " : "", c->names[1] ? c->names[1] : "",
		c->w.sidx, c->w.sport, v, want > 0 ? "stopped" : "passed");
	CHECK(!"the claim rule");
}

/* The claimer's flow: a new client port; its own address, no bridge
 * port (its owner is its address alone). */
static void claim_where(struct rd *r, struct claim *c)
{
	struct where *w = &c->w;

	where_of(r, w);
	if (w->sidx == 7)
		rd_bytes(r, w->out.v6 ? H.rand_srv6 : H.rand_srv4,
			 w->out.v6 ? 16 : 4);
	w->cport = (uint16_t)(50000 + H.nclaims++ % 10000);
	w->port = 0;
	w->out.src = w->in.dst = w->out.v6 ? clm6 : clm4;
}

/* A name, or none; never raw bytes (the claim rule is about names the
 * parsers read; what they refuse is judged by the unreadable rule). */
static const char *claim_name(struct rd *r, char *buf, size_t cap)
{
	uint8_t b = rd_u8(r);

	return b >= 0xf8 ? NULL : name_sel(r, b, buf, cap);
}

/* A request head claiming both names (Host headers, a URL's host). */
static size_t http_claim(struct rd *r, uint8_t *p, const char *const *n)
{
	static const char *const fmt[] = {
		"GET http://%s:8080/x HTTP/1.1\r\nHost: %s\r\n\r\n",
		"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: %s\r\nHost: %s\r\n\r\n",
		"CONNECT %s:443 HTTP/1.1\r\nHost: %s\r\n\r\n",
	};
	const char *f = fmt[rd_u8(r) % (sizeof(fmt) / sizeof(fmt[0]))];
	int len = snprintf((char *)p, 512, f, n[0], n[1]);

	return len > 0 ? (size_t)(len < 512 ? len : 511) : 0;
}

/* A ClientHello or an HTTP request head as the first payload of a new
 * TCP connection whose SYN the engine sees: whole, or in two segments
 * sent in either order. */
static void claim_tcp(struct rd *r, struct claim *c, uint8_t ctl)
{
	struct tls_hello th;
	struct http_req hr;
	struct where *w = &c->w;
	enum engine_verdict v;
	uint32_t isn = 0x7000000u * (H.nclaims & 31) + rd_u16(r);
	size_t hl, split, n;

	if (ctl & 2) {
		for (int i = 0; i < 2; i++)
			if (!c->names[i])
				c->names[i] = "a.test"; /* listed nowhere */
		hl = http_claim(r, pay, c->names);
		c->readable = !http_parse_request((char *)pay, hl, &hr);
	} else {
		hl = tls_hello(pay, c->names[0], c->names[1], false,
			       ctl & 4 ? 300 : 0);
		c->readable = !tls_parse_client_hello(pay, hl, &th);
	}
	split = ctl & 8 && hl > 1 ? 1 + rd_u16(r) % (hl - 1) : hl;
	n = tcp_pkt(&w->out, w->cport, w->sport, isn, TCP_SYN, NULL, 0);
	v = feed(pkt, n, ENGINE_OUT, w->port);
	for (int part = 0; part < 2; part++) {
		int which = ctl & 16 ? 1 - part : part;
		size_t a = which ? split : 0, b = which ? hl : split;
		if (a == b || v == ENG_ALLOW || v == ENG_BLOCK)
			continue;
		n = tcp_pkt(&w->out, w->cport, w->sport, isn + 1 + (uint32_t)a,
			    TCP_ACK | TCP_PSH, pay + a, b - a);
		v = feed(pkt, n, ENGINE_OUT, w->port);
	}
	claim_check(c, v, ctl & 2 ? "an HTTP request" : "a ClientHello");
}

/* A ClientHello in QUIC Initials on a new UDP flow. */
static void claim_quic(struct rd *r, struct claim *c, uint8_t ctl)
{
	static uint8_t hs[PKT_MAX], rec[PKT_MAX];
	struct tls_hello th;
	size_t hl, split;

	hl = hs_hello(hs, c->names[0], c->names[1], false, ctl & 4 ? 300 : 0);
	tls_hello(rec, c->names[0], c->names[1], false, ctl & 4 ? 300 : 0);
	c->readable = !tls_parse_client_hello(rec, hl + 5, &th);
	split = ctl & 8 ? rd_u16(r) % (hl + 1) : 0;
	claim_check(c, quic_send(r, &c->w, ctl >> 4, hs, hl, split),
		    "a QUIC Initial");
}

static void op_claim(struct rd *r)
{
	char b1[64], b2[64];
	struct claim c = { 0 };
	uint8_t ctl = rd_u8(r);

	H.claiming = true;
	claim_where(r, &c);
	c.names[0] = claim_name(r, b1, sizeof(b1));
	c.names[1] = ctl & 1 ? claim_name(r, b2, sizeof(b2)) : NULL;
	if (!c.names[0]) { /* a hello without a first name has none */
		c.names[0] = c.names[1];
		c.names[1] = NULL;
	}
	if (ctl & 0x80)
		claim_quic(r, &c, ctl);
	else
		claim_tcp(r, &c, ctl);
	H.claiming = false;
}
static void structured(struct rd *r)
{
	while (r->n && H.npkts < PKTS_MAX) {
		uint8_t op = rd_u8(r);
		switch (op % 11) {
		case 0:
		case 1:
			op_tcp(r);
			break;
		case 2:
			op_syn(r);
			break;
		case 3:
			op_dns(r);
			break;
		case 4:
			op_udp(r);
			break;
		case 5:
			op_quic(r);
			break;
		case 6:
			op_other(r);
			break;
		case 7:
			op_raw(r);
			break;
		case 8:
			op_claim(r);
			break;
		case 9:
			rd_bytes(r, op & 0x10 ? H.rand_srv6 : H.rand_srv4,
				 op & 0x10 ? 16 : 4);
			break;
		default:
			step(op >> 4);
			engine_expire(H.e[0], H.now_ms);
			engine_expire(H.e[1], H.now_ms);
			break;
		}
	}
}

static void raw(struct rd *r)
{
	while (r->n && H.npkts < PKTS_MAX) {
		uint8_t f = rd_u8(r);
		size_t len = rd_u16(r);

		len = rd_bytes(r, pkt, len % 4096);
		step(f >> 3);
		feed(pkt, len, f & 1 ? ENGINE_IN : ENGINE_OUT,
		     bridge_ports[f >> 1 & 3]);
	}
}

static enum engine_action action_of(unsigned bits)
{
	return bits == 0 ? ENGINE_ALLOW : bits == 1 ? ENGINE_ALERT : ENGINE_BLOCK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	uint8_t c, mode;

	if (size < 2)
		return 0;
	init_once();
	c = rd_u8(&r);
	mode = rd_u8(&r);
	memset(&H, 0, sizeof(H));
	H.now_ms = 1000000;
	memcpy(H.rand_srv4, "\xc6\x12\x00\x63", 4);
	H.cfg = (struct engine_cfg){
		.block = c & 1, .ttl_floor = 60,
		/* small: evictions within reach of one input */
		.dns_cache_entries = mode & 4 ? 4 : 256,
		.unreadable = action_of(c >> 1 & 3),
		.dns_bypass = action_of(c >> 3 & 3),
		.ech = action_of(c >> 5 & 3),
		.trusted = trusted, .ntrusted = 2, .trust_all = c >> 7,
		.tcp_isn = mode & 2 ? isn_cb : NULL,
	};
	H.e[0] = engine_new(&H.cfg, &pol);
	H.e[1] = engine_new(&H.cfg, &pol);
	CHECK(H.e[0] && H.e[1]);
	if (mode & 1)
		raw(&r);
	else
		structured(&r);
	engine_finish(H.e[0]);
	engine_free(H.e[0]);
	engine_free(H.e[1]);
	return 0;
}
