// SPDX-License-Identifier: GPL-2.0-or-later
/* inspect: what the engine builds on. An answer maps its addresses to
 * names for its container only; a blocked answer's addresses are not
 * remembered; a claim adds a reason to block, never whitelists; an
 * untrusted resolver's names never open a listed address; streams are
 * told apart (TLS, HTTP, need more, none, unreadable). */
#include <errno.h>
#include <string.h>

#include "egressd/inspect.h"
#include "egressd/match.h"
#include "egressd/policy.h"
#include "util.h"

#define LISTED_IP "203.0.113.99"
#define GOOD_IP "203.0.113.80"

static struct policy pol;
static struct inspector ins;
static struct observation ob;

static void setup(void)
{
	struct ip_addr a;
	unsigned l;
	int s;

	pol.black = match_set_new();
	pol.white = match_set_new();
	s = match_set_add_source(pol.black, "intel", "c2", true);
	match_set_add_domain(pol.black, s, "evil.test", MATCH_EXACT);
	ip_cidr_parse(LISTED_IP, &a, &l);
	match_set_add_cidr(pol.black, s, &a, l);
	s = match_set_add_source(pol.white, "custom", "custom", false);
	match_set_add_domain(pol.white, s, "good.test", MATCH_EXACT);
	match_set_finish(pol.black);
	match_set_finish(pol.white);
	ck_assert_int_eq(inspector_init(&ins, &pol, 1024, 60), 0);
}

static void teardown(void)
{
	inspector_fini(&ins);
	match_set_free(pol.black);
	match_set_free(pol.white);
}

/* A response: name A addr, TTL 300. Returns its length. */
static size_t answer(uint8_t *b, const char *name, const char *addr)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0 };
	struct ip_addr a;
	size_t o = 12;
	const char *p = name;

	memcpy(b, hdr, 12);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		b[o++] = (uint8_t)n;
		memcpy(b + o, p, n);
		o += n;
		p += n + (dot ? 1 : 0);
	}
	b[o++] = 0;
	memcpy(b + o, "\0\1\0\1\xc0\x0c\0\1\0\1\0\0\x01\x2c\0\4", 16);
	o += 16;
	ip_addr_parse(addr, &a);
	memcpy(b + o, a.b, 4);
	return o + 4;
}

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;

	ip_addr_parse(s, &a);
	return a;
}

START_TEST(an_answer_maps_names_for_its_container_only)
{
	uint8_t b[512];
	struct ip_addr a = ip(GOOD_IP);

	ck_assert_int_eq(inspect_dns(&ins, 1, b, answer(b, "www.example.com", GOOD_IP),
				     100, true, &ob), 0);
	ck_assert_int_eq(ob.kind, OBS_DNS_ANSWER);
	ck_assert_int_eq(ob.d.verdict, VERDICT_NONE);
	inspect_flow(&ins, 1, &a, 101, &ob);
	ck_assert_uint_eq(ob.nresolved, 1);
	ck_assert_str_eq(ob.resolved[0], "www.example.com");
	inspect_flow(&ins, 2, &a, 101, &ob);
	ck_assert_uint_eq(ob.nresolved, 0);
}
END_TEST

START_TEST(a_blocked_answer_is_not_remembered)
{
	uint8_t b[512];
	struct ip_addr a = ip("198.51.100.7");

	ins.remember_blocked = false;
	inspect_dns(&ins, 1, b, answer(b, "evil.test", "198.51.100.7"), 100, true, &ob);
	ck_assert_int_eq(ob.d.verdict, VERDICT_BLOCK);
	inspect_flow(&ins, 1, &a, 101, &ob);
	ck_assert_uint_eq(ob.nresolved, 0);
	ck_assert_int_ne(ob.d.verdict, VERDICT_BLOCK);
	ins.remember_blocked = true; /* alert mode: the connection is judged too */
	inspect_dns(&ins, 1, b, answer(b, "evil.test", "198.51.100.7"), 100, true, &ob);
	inspect_flow(&ins, 1, &a, 101, &ob);
	ck_assert_int_eq(ob.d.verdict, VERDICT_BLOCK);
}
END_TEST

START_TEST(only_a_trusted_resolver_opens_a_listed_address)
{
	uint8_t b[512];
	struct ip_addr a = ip(LISTED_IP);

	inspect_dns(&ins, 1, b, answer(b, "good.test", LISTED_IP), 100, false, &ob);
	inspect_flow(&ins, 1, &a, 101, &ob);
	ck_assert_int_eq(ob.d.verdict, VERDICT_BLOCK);
	inspect_dns(&ins, 2, b, answer(b, "good.test", LISTED_IP), 100, true, &ob);
	inspect_flow(&ins, 2, &a, 101, &ob);
	ck_assert_int_eq(ob.d.verdict, VERDICT_ALLOW);
}
END_TEST

START_TEST(a_claim_blocks_and_never_whitelists)
{
	static const char bad[] = "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	static const char white[] = "GET / HTTP/1.1\r\nHost: good.test\r\n\r\n";
	struct ip_addr good = ip(GOOD_IP), listed = ip(LISTED_IP);

	ck_assert_int_eq(inspect_stream(&ins, 1, &good, (const uint8_t *)bad,
					strlen(bad), 100, &ob), 0);
	ck_assert_int_eq(ob.kind, OBS_HTTP);
	ck_assert_int_eq(ob.d.verdict, VERDICT_BLOCK);
	ck_assert_int_eq(inspect_stream(&ins, 1, &listed, (const uint8_t *)white,
					strlen(white), 100, &ob), 0);
	ck_assert_int_eq(ob.d.verdict, VERDICT_BLOCK);
}
END_TEST

START_TEST(streams_are_told_apart)
{
	static const char part[] = "GET / HTTP/1.1\r\nHost: evil";
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2\r\n";
	static uint8_t big[10000];
	struct ip_addr good = ip(GOOD_IP);
	int r;

	ck_assert_int_eq(inspect_stream(&ins, 1, &good, (const uint8_t *)part,
					strlen(part), 100, &ob), -EAGAIN);
	ck_assert_int_eq(inspect_stream(&ins, 1, &good, (const uint8_t *)ssh,
					strlen(ssh), 100, &ob), -ENOPROTOOPT);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	r = inspect_stream(&ins, 1, &good, big, sizeof(big), 100, &ob);
	ck_assert_msg(r == -EBADMSG || r == -E2BIG, "a 10 KB head: %d", r);
	ck_assert_ptr_nonnull(ob.unreadable);
	ck_assert(inspect_starts_like_web((const uint8_t *)"\x16\x03\x01", 3));
	ck_assert(inspect_starts_like_web((const uint8_t *)"GET ", 4));
	ck_assert(!inspect_starts_like_web((const uint8_t *)ssh, strlen(ssh)));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inspect");
	TCase *tc = tcase_create("inspect");
	tcase_add_checked_fixture(tc, setup, teardown);
	ADD(tc, an_answer_maps_names_for_its_container_only);
	ADD(tc, a_blocked_answer_is_not_remembered);
	ADD(tc, only_a_trusted_resolver_opens_a_listed_address);
	ADD(tc, a_claim_blocks_and_never_whitelists);
	ADD(tc, streams_are_told_apart);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
