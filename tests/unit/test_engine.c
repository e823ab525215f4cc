// SPDX-License-Identifier: GPL-2.0-or-later
/* The engine driven with packet sequences, as the daemon's packet thread
 * and replay drive it: each test is a container's traffic, packet by
 * packet, and the verdicts and events the daemon would act on. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "egressd/engine.h"
#include "egressd/flowtab.h"
#include "egressd/limits.h"
#include "egressd/policy.h"
#include "quic_build.h"
#include "util.h"

#define C1 "198.18.0.11"
#define RESOLVER "198.18.0.1"
#define OTHER_RESOLVER "192.0.2.53"
#define GOOD_IP "203.0.113.80"
#define LISTED_IP "203.0.113.99"
#define POOL_IP "203.0.113.33"
#define BYPASS_IP "192.0.2.8" /* a DoH resolver's (dns-bypass list) */

static struct policy pol;
static struct engine *eng;
static struct engine_cfg cfg;
static struct engine_out out;
static struct ip_addr trusted[1];
static uint64_t now_ms = 1000000;
static uint8_t pkt[70000];
static size_t plen;
/* The kernel's SYN map, as the daemon asks it. */
static uint32_t kept_isn;
static bool isn_kept;

static int isn_cb(void *ctx, const struct flow_key *k, uint32_t *isn)
{
	(void)ctx;
	(void)k;
	if (!isn_kept)
		return -ENOENT;
	*isn = kept_isn;
	return 0;
}

static void lists(void)
{
	struct ip_addr a;
	unsigned l;
	int s;

	pol.black = match_set_new();
	pol.white = match_set_new();
	s = match_set_add_source(pol.black, "intel", "c2", true);
	match_set_add_domain(pol.black, s, "bad.test", MATCH_WILDCARD);
	match_set_add_domain(pol.black, s, "evil.test", MATCH_EXACT);
	ip_cidr_parse(LISTED_IP, &a, &l);
	match_set_add_cidr(pol.black, s, &a, l);
	s = match_set_add_source(pol.black, "dns-bypass", "dns-bypass", true);
	match_set_add_domain(pol.black, s, "dns.google", MATCH_EXACT);
	ip_cidr_parse(BYPASS_IP, &a, &l);
	match_set_add_cidr(pol.black, s, &a, l);
	s = match_set_add_source(pol.white, "custom", "custom", false);
	match_set_add_domain(pol.white, s, "good.test", MATCH_EXACT);
	match_set_finish(pol.black);
	match_set_finish(pol.white);
}

static void start(bool block)
{
	lists();
	ip_addr_parse(RESOLVER, &trusted[0]);
	cfg = (struct engine_cfg){ .block = block, .ttl_floor = 60,
				   .unreadable = ENGINE_ALERT,
				   .dns_bypass = ENGINE_ALERT,
				   .ech = ENGINE_ALLOW, .trusted = trusted,
				   .ntrusted = 1, .tcp_isn = isn_cb };
	eng = engine_new(&cfg, &pol);
	ck_assert_ptr_nonnull(eng);
	isn_kept = false;
}

static void start_block(void)
{
	start(true);
}

static void start_alert(void)
{
	start(false);
}

static void stop(void)
{
	engine_free(eng);
	match_set_free(pol.black);
	match_set_free(pol.white);
}

/* ---- packets ---- */

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

/* An IPv4 packet, protocol proto, with an L4 header of hl bytes (already
 * in pkt + 20) and the payload after it. */
static void ip4(const char *src, const char *dst, uint8_t proto, size_t hl,
		const void *payload, size_t len)
{
	memset(pkt, 0, 20);
	pkt[0] = 0x45;
	put16(pkt + 2, (unsigned)(20 + hl + len));
	pkt[8] = 64;
	pkt[9] = proto;
	inet_pton(AF_INET, src, pkt + 12);
	inet_pton(AF_INET, dst, pkt + 16);
	if (len) /* a SYN has no payload (memcpy from NULL is undefined) */
		memcpy(pkt + 20 + hl, payload, len);
	plen = 20 + hl + len;
}

static void tcp(const char *src, unsigned sport, const char *dst,
		unsigned dport, uint32_t seq, uint8_t flags, const void *p,
		size_t len)
{
	uint8_t *t = pkt + 20;

	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	t[12] = 5 << 4;
	t[13] = flags;
	ip4(src, dst, IPPROTO_TCP, 20, p, len);
}

static void udp(const char *src, unsigned sport, const char *dst,
		unsigned dport, const void *p, size_t len)
{
	uint8_t *u = pkt + 20;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (unsigned)(8 + len));
	put16(u + 6, 0);
	ip4(src, dst, IPPROTO_UDP, 8, p, len);
}

/* The next packets are the host's own sockets' (output/input hooks). */
static bool host_socket;

static enum engine_verdict send_dir(enum engine_dir dir)
{
	struct engine_pkt in = { pkt, plen, dir, host_socket ? 0 : 7, now_ms,
				 1700000000, host_socket };

	now_ms += 1;
	engine_packet(eng, &in, &out);
	return out.verdict;
}

static enum engine_verdict send_out(void)
{
	return send_dir(ENGINE_OUT);
}

static enum engine_verdict send_in(void)
{
	return send_dir(ENGINE_IN);
}

/* ---- DNS ---- */

static size_t put_name(uint8_t *p, const char *name)
{
	size_t o = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);
		p[o++] = (uint8_t)l;
		memcpy(p + o, name, l);
		o += l;
		name += l + (dot ? 1 : 0);
	}
	p[o++] = 0;
	return o;
}

/* A query, or an answer: names[0] asked, CNAMEs to names[n-1], which
 * has address addr. */
static size_t dns_msg(uint8_t *m, bool answer, const char *const *names,
		      unsigned n, const char *addr)
{
	size_t o = 12;

	memset(m, 0, 12);
	put16(m, 0x1234);
	put16(m + 2, answer ? 0x8180 : 0x0100);
	put16(m + 4, 1);
	put16(m + 6, answer ? n : 0);
	o += put_name(m + o, names[0]);
	put16(m + o, 1), put16(m + o + 2, 1);
	o += 4;
	for (unsigned i = 0; answer && i < n; i++) {
		bool last = i == n - 1;
		o += put_name(m + o, names[i]);
		put16(m + o, last ? 1 : 5);
		put16(m + o + 2, 1);
		put32(m + o + 4, 300);
		o += 8;
		if (last) {
			put16(m + o, 4);
			inet_pton(AF_INET, addr, m + o + 2);
			o += 6;
		} else {
			size_t l = put_name(m + o + 2, names[i + 1]);
			put16(m + o, (unsigned)l);
			o += 2 + l;
		}
	}
	return o;
}

/* The container looks name up through resolver and gets addr. */
static enum engine_verdict resolve(const char *resolver, const char *name,
				   const char *addr)
{
	uint8_t m[4096];
	size_t n = dns_msg(m, false, &name, 1, NULL);

	udp(C1, 40000, resolver, 53, m, n);
	send_out();
	n = dns_msg(m, true, &name, 1, addr);
	udp(resolver, 53, C1, 40000, m, n);
	return send_in();
}

/* ---- TLS and HTTP ---- */

static uint8_t hello[20000];

/* A ClientHello naming sni (and sni2, if given), padded with pad bytes
 * of an unknown extension. */
static size_t client_hello(const char *sni, const char *sni2, size_t pad)
{
	uint8_t *h = hello;
	size_t o = 9, ext_at, names_at;

	h[o++] = 3, h[o++] = 3;
	memset(h + o, 0x11, 32), o += 32;
	h[o++] = 0; /* session id */
	h[o++] = 0, h[o++] = 2, h[o++] = 0x13, h[o++] = 1; /* one suite */
	h[o++] = 1, h[o++] = 0; /* compression */
	ext_at = o, o += 2;
	if (pad) {
		put16(h + o, 0xff01 - 1), put16(h + o + 2, (unsigned)pad);
		memset(h + o + 4, 0, pad);
		o += 4 + pad;
	}
	h[o++] = 0, h[o++] = 0; /* server_name */
	names_at = o, o += 4;
	for (int i = 0; i < 2; i++) {
		const char *s = i ? sni2 : sni;
		if (!s)
			continue;
		h[o++] = 0;
		put16(h + o, (unsigned)strlen(s)), o += 2;
		memcpy(h + o, s, strlen(s)), o += strlen(s);
	}
	put16(h + names_at, (unsigned)(o - names_at - 2));
	put16(h + names_at + 2, (unsigned)(o - names_at - 4));
	put16(h + ext_at, (unsigned)(o - ext_at - 2));
	/* handshake header, then the record header */
	h[5] = 1;
	h[6] = (uint8_t)((o - 9) >> 16), h[7] = (uint8_t)((o - 9) >> 8);
	h[8] = (uint8_t)(o - 9);
	h[0] = 0x16, h[1] = 3, h[2] = 1;
	put16(h + 3, (unsigned)(o - 5));
	return o;
}

/* A connection from the container: its SYN (seen, as for a listed
 * address, or kept by the kernel's map), then data segments. */
static uint32_t isn = 5000;
static unsigned sport = 41000;

static enum engine_verdict syn(const char *dst, unsigned dport, bool seen)
{
	sport++;
	tcp(C1, sport, dst, dport, isn, 0x02, NULL, 0);
	kept_isn = isn;
	isn_kept = !seen;
	return seen ? send_out() : ENG_ACCEPT;
}

static enum engine_verdict data(const char *dst, unsigned dport, size_t off,
				const void *p, size_t len)
{
	tcp(C1, sport, dst, dport, isn + 1 + (uint32_t)off, 0x18, p, len);
	return send_out();
}

static bool has_event(enum event_kind k, bool blocked)
{
	for (unsigned i = 0; i < out.nevents; i++)
		if (out.events[i].kind == k && out.events[i].blocked == blocked)
			return true;
	return false;
}

/* ---- the cases ---- */

START_TEST(a_blacklisted_sni_to_an_address_with_a_good_name_is_reset)
{
	size_t n;

	ck_assert_int_eq(resolve(RESOLVER, "www.ok.test", GOOD_IP), ENG_ACCEPT);
	syn(GOOD_IP, 443, false);
	n = client_hello("x.bad.test", NULL, 0);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
	ck_assert(has_event(EV_TLS, true));
	ck_assert_str_eq(out.events[0].rule.pattern, "*.bad.test");
	ck_assert(out.hold);
	/* the same address, a good name: served */
	isn += 100000;
	syn(GOOD_IP, 443, false);
	n = client_hello("www.ok.test", NULL, 0);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_ALLOW);
	ck_assert_uint_eq(out.nevents, 0);
}
END_TEST

START_TEST(a_whitelisted_names_address_with_a_blacklisted_sni_is_reset)
{
	size_t n;

	resolve(RESOLVER, "good.test", GOOD_IP);
	syn(GOOD_IP, 443, false);
	n = client_hello("evil.test", NULL, 0);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
}
END_TEST

START_TEST(every_name_an_http_request_claims_is_judged)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: www.ok.test\r\nHost: evil.test\r\n\r\n",
		"GET http://evil.test/ HTTP/1.1\r\nHost: www.ok.test\r\n\r\n",
		"GET                 http://evil.test/ HTTP/1.1\r\nHost: good.test\r\n\r\n",
	};

	resolve(RESOLVER, "www.ok.test", GOOD_IP);
	for (unsigned i = 0; i < NELEM(reqs); i++, isn += 100000) {
		syn(GOOD_IP, 80, false);
		ck_assert_msg(data(GOOD_IP, 80, 0, reqs[i], strlen(reqs[i])) ==
				      ENG_BLOCK, "request %u", i);
		ck_assert(has_event(EV_HTTP, true));
	}
}
END_TEST

START_TEST(two_snis_block_if_either_is_blacklisted)
{
	size_t n = client_hello("www.ok.test", "evil.test", 0);

	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
}
END_TEST

/* Port 53 is no exemption, either way. */
START_TEST(port_53_that_is_not_dns_is_judged_like_any_flow)
{
	static const char junk[] = "hello, not dns at all";
	size_t n;

	/* a UDP "query" to a listed address on 53 */
	udp(C1, 40001, LISTED_IP, 53, junk, sizeof(junk));
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	ck_assert(has_event(EV_FLOW, true));
	/* TLS with a bad SNI from source port 53 */
	tcp(C1, 53, GOOD_IP, 443, isn, 0x18, NULL, 0);
	n = client_hello("evil.test", NULL, 0);
	isn_kept = false;
	tcp(C1, 53, GOOD_IP, 443, isn + 1, 0x18, hello, n);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	/* TCP to a listed address on port 53: its SYN is queued */
	tcp(C1, 41053, LISTED_IP, 53, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	/* an "answer" on its way out is not trusted as one */
	{
		uint8_t m[512];
		const char *name = "good.test";
		size_t l = dns_msg(m, true, &name, 1, LISTED_IP);
		udp(C1, 53, GOOD_IP, 40000, m, l);
		send_out();
		tcp(C1, 41054, LISTED_IP, 443, isn, 0x02, NULL, 0);
		ck_assert_int_eq(send_out(), ENG_BLOCK);
	}
}
END_TEST

START_TEST(blocked_udp_and_icmp_are_recorded)
{
	static const uint8_t ping[8] = { 8, 0 };

	udp(C1, 40002, LISTED_IP, 9999, "beacon", 6);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	ck_assert(has_event(EV_FLOW, true));
	ip4(C1, LISTED_IP, IPPROTO_ICMP, 0, ping, sizeof(ping));
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	ck_assert(has_event(EV_FLOW, true));
}
END_TEST

/* Segments in reverse order, or a stale byte first: the start is the
 * SYN's, kept by the kernel. */
START_TEST(reversed_and_stale_segments_cannot_move_the_start)
{
	size_t n = client_hello("evil.test", NULL, 0), half = n / 2;

	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, half, hello + half, n - half),
			 ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, half), ENG_BLOCK);
	isn += 100000;
	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, (size_t)-1, "X", 1), ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
	/* the same with no start known (the kernel's map was full): the
	 * later half alone starts nothing, the earlier one moves the start */
	isn += 100000;
	syn(GOOD_IP, 443, false);
	isn_kept = false;
	ck_assert_int_eq(data(GOOD_IP, 443, half, hello + half, n - half),
			 ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, half), ENG_BLOCK);
	/* the same with the SYN seen (a listed address's is queued) */
	isn += 100000;
	syn(GOOD_IP, 443, true);
	ck_assert_int_eq(data(GOOD_IP, 443, half, hello + half, n - half),
			 ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, half), ENG_BLOCK);
}
END_TEST

/* The container owns its ports: a tuple used before (a blocked flow, or
 * bytes sent ahead of a connection to plant a wrong start) does not
 * decide the next connection on it. */
START_TEST(a_reused_or_planted_tuple_does_not_decide_a_new_connection)
{
	size_t n = client_hello("evil.test", NULL, 0);

	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
	isn += 100000; /* the same ports again, a new SYN */
	kept_isn = isn;
	n = client_hello("www.ok.test", NULL, 0);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_ALLOW);
	/* bytes before the connection, then the connection */
	sport++;
	isn_kept = false;
	tcp(C1, sport, GOOD_IP, 443, 777, 0x18, "\x16\x03\x01", 3);
	send_out();
	isn += 100000;
	kept_isn = isn;
	isn_kept = true;
	n = client_hello("evil.test", NULL, 0);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
}
END_TEST

START_TEST(an_untrusted_resolver_cannot_open_a_listed_address)
{
	resolve(OTHER_RESOLVER, "good.test", LISTED_IP);
	tcp(C1, 41100, LISTED_IP, 443, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	/* the host's resolver can */
	resolve(RESOLVER, "good.test", LISTED_IP);
	tcp(C1, 41101, LISTED_IP, 443, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_ACCEPT);
}
END_TEST

/* A host-network container looks a name up through a resolver from one
 * of the host's addresses (a stub on loopback) and connects from another
 * (its outer address): the host's sockets share one DNS view. The same
 * addresses on a bridge would be two containers. */
START_TEST(host_sockets_share_one_dns_view)
{
	uint8_t m[512];
	const char *name = "good.test";
	size_t n;

	host_socket = true;
	n = dns_msg(m, false, &name, 1, NULL);
	udp("127.0.0.1", 40000, RESOLVER, 53, m, n);
	send_out();
	n = dns_msg(m, true, &name, 1, LISTED_IP);
	udp(RESOLVER, 53, "127.0.0.1", 40000, m, n);
	ck_assert_int_eq(send_in(), ENG_ACCEPT);
	tcp("198.18.0.1", 41200, LISTED_IP, 443, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_ACCEPT);
	ck_assert_uint_eq(out.nevents, 0);
	/* a bridged container at that address resolved nothing */
	host_socket = false;
	tcp("198.18.0.1", 41201, LISTED_IP, 443, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	ck_assert(!out.events[0].host);
	/* a host socket's event says so, with no port */
	host_socket = true;
	tcp("198.18.0.2", 41202, LISTED_IP, 80, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_ACCEPT);
	host_socket = false;
}
END_TEST

START_TEST(a_host_sockets_block_event_is_marked_host)
{
	host_socket = true;
	tcp("198.18.0.1", 41300, LISTED_IP, 443, isn, 0x02, NULL, 0);
	ck_assert_int_eq(send_out(), ENG_BLOCK);
	ck_assert_uint_ge(out.nevents, 1);
	ck_assert(out.events[0].host);
	ck_assert_uint_eq(out.events[0].port, 0);
	ck_assert(out.events[0].have_flow);
	{
		char a[IP_ADDR_TEXT];
		ip_addr_format(&out.events[0].flow.src, a, sizeof(a));
		ck_assert_str_eq(a, "198.18.0.1");
	}
	host_socket = false;
}
END_TEST

START_TEST(a_cname_chain_longer_than_egressd_follows_is_dropped)
{
	static char names[20][32];
	const char *chain[20];
	uint8_t m[4096];
	size_t n;

	for (unsigned i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "c%u.chain.test", i);
		chain[i] = names[i];
	}
	snprintf(names[19], sizeof(names[19]), "final.bad.test");
	n = dns_msg(m, false, chain, 1, NULL);
	udp(C1, 40003, RESOLVER, 53, m, n);
	send_out();
	n = dns_msg(m, true, chain, 20, GOOD_IP);
	udp(RESOLVER, 53, C1, 40003, m, n);
	ck_assert_int_eq(send_in(), ENG_DROP);
	ck_assert(has_event(EV_UNREADABLE, true));
}
END_TEST

START_TEST(unreadable_first_messages_are_alerted)
{
	size_t n = client_hello("evil.test", NULL, 17000);

	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n > REASM_MAX ? REASM_MAX : n),
			 ENG_ALLOW);
	ck_assert(has_event(EV_UNREADABLE, false));
}
END_TEST

START_TEST(unreadable_block_blocks)
{
	static const char h[] = "GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\nHost: c.test\r\n\r\n";
	struct engine_cfg c = cfg;

	engine_free(eng);
	c.unreadable = ENGINE_BLOCK;
	eng = engine_new(&c, &pol);
	syn(GOOD_IP, 80, false);
	ck_assert_int_eq(data(GOOD_IP, 80, 0, h, strlen(h)), ENG_BLOCK);
	ck_assert(has_event(EV_UNREADABLE, true));
}
END_TEST

START_TEST(a_stratum_client_is_stopped_on_any_port)
{
	static const char sub[] = "{\"id\":1,\"method\":\"mining.subscribe\","
				  "\"params\":[\"cgminer/4.10.0\"]}\n";

	syn(POOL_IP, 3333, false);
	ck_assert_int_eq(data(POOL_IP, 3333, 0, sub, strlen(sub)), ENG_BLOCK);
	ck_assert(has_event(EV_STRATUM, true));
	ck_assert_str_eq(out.events[0].rule.category, "mining-pool");
	ck_assert_str_eq(out.events[0].rule.pattern, "protocol:stratum");
	ck_assert_ptr_nonnull(strstr(out.events[0].detail, "cgminer"));
}
END_TEST

START_TEST(dns_over_tls_and_a_doh_name_are_alerted)
{
	size_t n = client_hello("dns.google", NULL, 0);

	syn(GOOD_IP, 853, false);
	ck_assert_int_eq(data(GOOD_IP, 853, 0, hello, n), ENG_ALLOW);
	ck_assert_str_eq(out.events[0].rule.category, "dns-bypass");
	isn += 100000;
	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_ALLOW);
	ck_assert(has_event(EV_TLS, false));
	ck_assert_str_eq(out.events[0].rule.category, "dns-bypass");
}
END_TEST

/* Port 853 is no exemption: a hello there claiming a C2 name passed as
 * DNS over TLS, alerted only (seen writing fuzz_engine's claim rule);
 * its halves in reverse order too. */
START_TEST(a_c2_hello_on_the_dot_port_is_reset)
{
	size_t n = client_hello("evil.test", NULL, 0);

	syn(GOOD_IP, 853, false);
	ck_assert_int_eq(data(GOOD_IP, 853, 0, hello, n), ENG_BLOCK);
	ck_assert(has_event(EV_TLS, true));
	ck_assert_str_eq(out.events[0].rule.category, "c2");
	isn += 100000;
	syn(GOOD_IP, 853, false);
	ck_assert_int_eq(data(GOOD_IP, 853, 30, hello + 30, n - 30), ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 853, 0, hello, 30), ENG_BLOCK);
	/* what is no hello has the dns_bypass policy at once (test_claims'
	 * probe) */
	isn += 100000;
	syn(GOOD_IP, 853, false);
	ck_assert_int_eq(data(GOOD_IP, 853, 0, "\x16\x03\x01\x00\x05hello", 10),
			 ENG_ALLOW);
	ck_assert_str_eq(out.events[0].rule.category, "dns-bypass");
}
END_TEST

/* A DoH resolver's address (dns-bypass list) decided its flow at the SYN
 * when its action did not stop it: DNS over TCP to it on port 53 went
 * unread (its answers unmapped, a blacklisted name resolved), and a
 * hello to it claiming a C2 name passed (found by fuzz_engine). */
START_TEST(a_dns_bypass_address_leaves_the_flow_to_its_payload)
{
	const char *name = "evil.test";
	uint8_t m[514];
	size_t n;

	ck_assert_int_eq(syn(BYPASS_IP, 53, true), ENG_ACCEPT);
	n = dns_msg(m + 2, false, &name, 1, NULL);
	put16(m, (unsigned)n);
	ck_assert_int_eq(data(BYPASS_IP, 53, 0, m, n + 2), ENG_ACCEPT);
	ck_assert(has_event(EV_DNS_QUERY, true));
	n = dns_msg(m + 2, true, &name, 1, LISTED_IP);
	put16(m, (unsigned)n);
	tcp(BYPASS_IP, 53, C1, sport, 777, 0x18, m, n + 2);
	ck_assert_int_eq(send_in(), ENG_DROP);
	/* a hello claiming a C2 name, to the same address on 443 */
	isn += 100000;
	ck_assert_int_eq(syn(BYPASS_IP, 443, true), ENG_ACCEPT);
	n = client_hello("evil.test", NULL, 0);
	ck_assert_int_eq(data(BYPASS_IP, 443, 0, hello, n), ENG_BLOCK);
	ck_assert(has_event(EV_TLS, true));
}
END_TEST

/* TLS or HTTP over TCP on port 53 was read as DNS: its first bytes as a
 * message length of thousands, waited for forever, so a hello claiming
 * a C2 name passed (found by fuzz_engine). Whole, or its two halves in
 * reverse order. */
START_TEST(tls_and_http_on_port_53_are_read_as_such)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	size_t n = client_hello("evil.test", NULL, 0);

	ck_assert_int_eq(syn(GOOD_IP, 53, true), ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 53, 0, hello, n), ENG_BLOCK);
	ck_assert(has_event(EV_TLS, true));
	isn += 100000;
	syn(GOOD_IP, 53, true);
	ck_assert_int_eq(data(GOOD_IP, 53, 40, hello + 40, n - 40), ENG_ACCEPT);
	ck_assert_int_eq(data(GOOD_IP, 53, 0, hello, 40), ENG_BLOCK);
	isn += 100000;
	syn(GOOD_IP, 53, true);
	ck_assert_int_eq(data(GOOD_IP, 53, 0, req, strlen(req)), ENG_BLOCK);
	ck_assert(has_event(EV_HTTP, true));
}
END_TEST

/* A client Initial to GOOD_IP:443 from port 42000, carrying hello[0,
 * len) of a hello whose whole length is in its header, for the
 * connection whose DCID starts with `tag`. */
static enum engine_verdict quic_initial(uint8_t tag, const uint8_t *h,
					size_t len)
{
	static uint8_t frames[2000], dgram[1500];
	uint8_t dcid[8] = { tag, 1, 2, 3, 4, 5, 6, 7 };
	struct qb_initial qi = { .version = QUIC_V1, .dcid = dcid,
				 .dcid_len = 8, .pn_len = 1, .frames = frames,
				 .size = 1200 };
	struct quic_keys k;
	size_t n;

	ck_assert_int_eq(quic_initial_keys(QUIC_V1, dcid, 8, &k), 0);
	qi.frames_len = qb_crypto(frames, 0, h, len);
	n = qb_initial(dgram, sizeof(dgram), &qi, &k);
	ck_assert_uint_gt(n, 0);
	udp(C1, 42000, GOOD_IP, 443, dgram, n);
	return send_out();
}

/* A UDP flow allowed by one QUIC hello, then a new connection on it whose
 * hello egressd cannot read (unreadable = block): the event said blocked
 * and the datagram passed, as did the connection (found by fuzz_engine). */
START_TEST(an_allowed_quic_flow_blocks_an_unreadable_new_hello)
{
	static uint8_t h[20000];
	struct engine_cfg c = cfg;
	size_t n;

	engine_free(eng);
	c.unreadable = ENGINE_BLOCK;
	eng = engine_new(&c, &pol);
	n = qb_hello(h, "www.ok.test", 0);
	ck_assert_int_eq(quic_initial(0xa0, h, n), ENG_ALLOW);
	ck_assert_uint_gt(qb_hello(h, "www.ok.test", TLS_HELLO_MAX),
			  TLS_HELLO_MAX); /* too large to read */
	ck_assert_int_eq(quic_initial(0xb0, h, 1000), ENG_BLOCK);
	ck_assert(has_event(EV_UNREADABLE, true));
}
END_TEST

START_TEST(the_doh_canary_is_nxdomain_in_block_mode)
{
	const char *name = "use-application-dns.net";
	uint8_t m[512];
	size_t n = dns_msg(m, true, &name, 1, GOOD_IP);

	udp(RESOLVER, 53, C1, 40004, m, n);
	ck_assert_int_eq(send_in(), ENG_REWRITE);
	ck_assert_uint_eq(out.rewrite[20 + 8 + 3] & 0x0f, 3);
}
END_TEST

START_TEST(a_lookup_of_a_blacklisted_name_holds_for_its_process)
{
	const char *name = "x.bad.test";
	uint8_t m[512];
	size_t n = dns_msg(m, false, &name, 1, NULL);

	udp(C1, 40005, RESOLVER, 53, m, n);
	ck_assert_int_eq(send_out(), ENG_ACCEPT);
	ck_assert(has_event(EV_DNS_QUERY, true));
	ck_assert(out.events[0].have_flow);
	ck_assert(out.hold);
	/* nothing else holds */
	name = "www.ok.test";
	n = dns_msg(m, false, &name, 1, NULL);
	udp(C1, 40006, RESOLVER, 53, m, n);
	send_out();
	ck_assert(!out.hold);
}
END_TEST

/* A flood of half-open flows fills the table: the oldest undecided go,
 * never the reading of a new one. */
START_TEST(a_full_flow_table_still_reads_new_flows)
{
	struct engine_stats st;
	static const uint8_t start[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	size_t n;

	for (unsigned i = 0; i < ENGINE_FLOWS_MAX + 1000; i++) {
		tcp(C1, 1024 + i % 60000, GOOD_IP, 443 + i / 60000, 7, 0x18,
		    start, sizeof(start));
		send_out();
	}
	engine_get_stats(eng, &st);
	ck_assert_uint_ge(st.flows_evicted, 1000);
	n = client_hello("evil.test", NULL, 0);
	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_BLOCK);
}
END_TEST

/* A server that speaks first (SSH, SMTP): judged on its first payload. */
START_TEST(a_server_that_speaks_first_is_judged)
{
	static const char banner[] = "SSH-2.0-OpenSSH_9.2\r\n";

	tcp(LISTED_IP, 22, C1, 41200, 9000, 0x18, banner, sizeof(banner) - 1);
	ck_assert_int_eq(send_in(), ENG_BLOCK);
	tcp(GOOD_IP, 22, C1, 41201, 9000, 0x18, banner, sizeof(banner) - 1);
	ck_assert_int_eq(send_in(), ENG_ALLOW);
}
END_TEST

/* Alert mode: events, nothing stopped. */
START_TEST(alert_mode_records_and_passes)
{
	size_t n = client_hello("evil.test", NULL, 0);

	syn(GOOD_IP, 443, false);
	ck_assert_int_eq(data(GOOD_IP, 443, 0, hello, n), ENG_ALLOW);
	ck_assert(has_event(EV_TLS, false));
	ck_assert(out.hold);
	udp(C1, 40007, LISTED_IP, 9999, "beacon", 6);
	ck_assert_int_eq(send_out(), ENG_ALLOW);
	ck_assert(has_event(EV_FLOW, false));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("engine");
	TCase *b = tcase_create("block");
	TCase *a = tcase_create("alert");

	tcase_add_checked_fixture(b, start_block, stop);
	tcase_add_checked_fixture(a, start_alert, stop);
	tcase_set_timeout(b, 60);
	ADD(b, a_blacklisted_sni_to_an_address_with_a_good_name_is_reset);
	ADD(b, a_whitelisted_names_address_with_a_blacklisted_sni_is_reset);
	ADD(b, every_name_an_http_request_claims_is_judged);
	ADD(b, two_snis_block_if_either_is_blacklisted);
	ADD(b, port_53_that_is_not_dns_is_judged_like_any_flow);
	ADD(b, blocked_udp_and_icmp_are_recorded);
	ADD(b, reversed_and_stale_segments_cannot_move_the_start);
	ADD(b, an_untrusted_resolver_cannot_open_a_listed_address);
	ADD(b, host_sockets_share_one_dns_view);
	ADD(b, a_host_sockets_block_event_is_marked_host);
	ADD(b, a_reused_or_planted_tuple_does_not_decide_a_new_connection);
	ADD(b, a_cname_chain_longer_than_egressd_follows_is_dropped);
	ADD(b, unreadable_first_messages_are_alerted);
	ADD(b, unreadable_block_blocks);
	ADD(b, a_stratum_client_is_stopped_on_any_port);
	ADD(b, dns_over_tls_and_a_doh_name_are_alerted);
	ADD(b, a_c2_hello_on_the_dot_port_is_reset);
	ADD(b, a_dns_bypass_address_leaves_the_flow_to_its_payload);
	ADD(b, tls_and_http_on_port_53_are_read_as_such);
	ADD(b, an_allowed_quic_flow_blocks_an_unreadable_new_hello);
	ADD(b, the_doh_canary_is_nxdomain_in_block_mode);
	ADD(b, a_lookup_of_a_blacklisted_name_holds_for_its_process);
	ADD(b, a_full_flow_table_still_reads_new_flows);
	ADD(b, a_server_that_speaks_first_is_judged);
	ADD(a, alert_mode_records_and_passes);
	suite_add_tcase(s, b);
	suite_add_tcase(s, a);
	return s;
}
TEST_MAIN(suite)
