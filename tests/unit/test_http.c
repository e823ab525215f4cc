// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "egressd/http.h"
#include "util.h"

static const char req[] = "GET /index.html HTTP/1.1\r\n"
			  "User-Agent: curl/7.88.1\r\n"
			  "hOsT:  API.Example.COM:8080 \r\n"
			  "Accept: */*\r\n"
			  "\r\n";

/* Every prefix of p gives -EAGAIN or the whole's result (a result other
 * than -EAGAIN is final), and the prefixes of a request are requests. */
static void check_prefixes(const char *p, size_t len, int whole)
{
	struct http_req r;

	for (size_t n = 0; n < len; n++) {
		int e = http_parse_request(p, n, &r);
		if (e != -EAGAIN && e != whole)
			ck_abort_msg("prefix %zu of %.40s: %d, whole %d", n, p,
				     e, whole);
		if (!whole)
			ck_assert_msg(http_is_request(p, n), "prefix %zu", n);
	}
}

/* Parses a whole request expected to succeed, its prefixes too. */
static void parse_ok(const char *p, struct http_req *r)
{
	int e = http_parse_request(p, strlen(p), r);

	ck_assert_msg(!e, "%d on %s", e, p);
	ck_assert(http_is_request(p, strlen(p)));
	check_prefixes(p, strlen(p), 0);
}

static void parse_fails(const char *p, int want)
{
	struct http_req r;

	ck_assert_int_eq(http_parse_request(p, strlen(p), &r), want);
	check_prefixes(p, strlen(p), want);
}

static void assert_claim(const struct http_req *r, unsigned i,
			 const char *name, unsigned from)
{
	ck_assert_uint_gt(r->nclaim, i);
	ck_assert_str_eq(r->claim[i].name, name);
	ck_assert_uint_eq(r->claim[i].from, from);
}

START_TEST(host_case_folded_port_stripped)
{
	struct http_req r;

	parse_ok(req, &r);
	ck_assert_str_eq(r.method, "GET");
	ck_assert(r.has_host);
	ck_assert_str_eq(r.host, "api.example.com");
	ck_assert_uint_eq(r.nhost, 1);
	ck_assert_uint_eq(r.nclaim, 1);
	assert_claim(&r, 0, "api.example.com", HTTP_FROM_HOST);
	ck_assert(!r.has_uri_host);
	ck_assert_uint_eq(r.head_len, strlen(req));
}
END_TEST

START_TEST(every_truncation_asks_for_more)
{
	struct http_req r;

	for (size_t n = 0; n < strlen(req); n++) {
		ck_assert_int_eq(http_parse_request(req, n, &r), -EAGAIN);
		ck_assert(http_is_request(req, n));
	}
}
END_TEST

START_TEST(ipv6_literal_and_absolute_form)
{
	struct http_req r;

	parse_ok("GET / HTTP/1.0\nHost: [2001:DB8::80]:80\n\n", &r);
	ck_assert(r.host_is_ip);
	ck_assert_str_eq(r.host, "2001:db8::80");
	parse_ok("GET http://Proxy.Test:3128/x HTTP/1.1\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "proxy.test");
	ck_assert(r.has_uri_host);
	assert_claim(&r, 0, "proxy.test", HTTP_FROM_TARGET);
	parse_ok("CONNECT c2.bad.test:443 HTTP/1.1\r\n\r\n", &r);
	ck_assert_str_eq(r.method, "CONNECT");
	ck_assert_str_eq(r.host, "c2.bad.test");
	parse_ok("GET http://[2001:db8::1]:8080/ HTTP/1.1\r\n\r\n", &r);
	ck_assert(r.claim[0].is_ip);
	ck_assert_str_eq(r.claim[0].name, "2001:db8::1");
	parse_ok("GET / HTTP/1.1\r\nHost: 198.51.100.7:8080\r\n\r\n", &r);
	ck_assert(r.host_is_ip && r.claim[0].is_ip);
	ck_assert_str_eq(r.host, "198.51.100.7");
}
END_TEST

START_TEST(no_host_in_origin_form)
{
	struct http_req r;

	parse_ok("GET / HTTP/1.0\r\n\r\n", &r);
	ck_assert(!r.has_host);
	ck_assert_uint_eq(r.nclaim, 0);
	/* asterisk-form and an empty Host name nothing either */
	parse_ok("OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n", &r);
	ck_assert_uint_eq(r.nclaim, 0);
	ck_assert_uint_eq(r.nhost, 1);
	ck_assert(!r.has_host);
}
END_TEST

/* A client's claim is judged whichever of two Host headers a server
 * believes (h2o: the last, others the first or neither). */
START_TEST(two_hosts_both_claimed)
{
	struct http_req r;

	parse_ok("GET / HTTP/1.1\r\nHost: good.test\r\nAccept: */*\r\n"
		 "host: EVIL.test:80\r\n\r\n",
		 &r);
	ck_assert_uint_eq(r.nhost, 2);
	ck_assert_uint_eq(r.nclaim, 2);
	assert_claim(&r, 0, "good.test", HTTP_FROM_HOST);
	assert_claim(&r, 1, "evil.test", HTTP_FROM_HOST);
	ck_assert_str_eq(r.host, "good.test"); /* the first, for old callers */
	/* the same name twice is one claim */
	parse_ok("GET / HTTP/1.1\r\nHost: a.test\r\nHost: A.test.\r\n\r\n", &r);
	ck_assert_uint_eq(r.nhost, 2);
	ck_assert_uint_eq(r.nclaim, 1);
	/* an empty one and a name */
	parse_ok("GET / HTTP/1.1\r\nHost:\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_uint_eq(r.nhost, 2);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_HOST);
}
END_TEST

START_TEST(three_hosts_unreadable)
{
	parse_fails("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n"
		    "Host: c.test\r\n\r\n",
		    -EBADMSG);
	/* even empty ones count */
	parse_fails("GET / HTTP/1.1\r\nHost:\r\nHost:\r\nHost: c.test\r\n\r\n",
		    -EBADMSG);
}
END_TEST

/* nginx and Apache route an absolute-form request by the target's host,
 * not by Host (RFC 9112 3.2.2): both are claims. */
START_TEST(absolute_form_and_host_both_claimed)
{
	struct http_req r;

	parse_ok("GET http://evil.test/ HTTP/1.1\r\nHost: good.test\r\n\r\n",
		 &r);
	ck_assert_uint_eq(r.nclaim, 2);
	assert_claim(&r, 0, "good.test", HTTP_FROM_HOST);
	assert_claim(&r, 1, "evil.test", HTTP_FROM_TARGET);
	ck_assert(r.has_uri_host);
	ck_assert_str_eq(r.host, "good.test");
	/* same name in both: one claim, both sources */
	parse_ok("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n", &r);
	ck_assert_uint_eq(r.nclaim, 1);
	assert_claim(&r, 0, "a.test", HTTP_FROM_HOST | HTTP_FROM_TARGET);
	/* two Host headers and a target: three claims */
	parse_ok("GET https://c.test:8443?x HTTP/1.1\r\nHost: a.test\r\n"
		 "Host: b.test\r\n\r\n",
		 &r);
	ck_assert_uint_eq(r.nclaim, 3);
	assert_claim(&r, 2, "c.test", HTTP_FROM_TARGET);
	/* userinfo is not the host; any scheme (nginx takes any) */
	parse_ok("GET http://good.test@evil.test/ HTTP/1.1\r\n\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	parse_ok("GET ws+x.y://user:pw@Evil.Test#f HTTP/1.1\r\n\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	/* an empty authority names nothing */
	parse_ok("GET http:///x HTTP/1.1\r\nHost: a.test\r\n\r\n", &r);
	ck_assert_uint_eq(r.nclaim, 1);
	ck_assert(!r.has_uri_host);
}
END_TEST

START_TEST(whitespace_in_request_line)
{
	struct http_req r;
	char buf[256];

	/* "GET" then 17 spaces, as the hostile probe sent it */
	snprintf(buf, sizeof(buf), "GET%17shttp://evil.test/ HTTP/1.1\r\n"
		 "Host: good.test\r\n\r\n", "");
	parse_ok(buf, &r);
	assert_claim(&r, 1, "evil.test", HTTP_FROM_TARGET);
	snprintf(buf, sizeof(buf), "GET%17s/%17sHTTP/1.1%5s\r\nHost: evil.test"
		 "\r\n\r\n", "", "", "");
	parse_ok(buf, &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_HOST);
	ck_assert_uint_eq(r.head_len, strlen(buf));
	parse_ok("GET\t/\tHTTP/1.1\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	parse_ok("GET \v\f\r/ \rHTTP/1.1\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	parse_ok("CONNECT    evil.test:443    HTTP/1.1\r\n\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	/* version in any case, any minor */
	parse_ok("GET / http/1.10\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
}
END_TEST

/* nginx skips CR/LF before the request line; Apache blank lines. */
START_TEST(leading_blank_lines)
{
	struct http_req r;
	const char *a = "\r\n\n\r\nGET http://evil.test/ HTTP/1.1\r\n\r\n";

	parse_ok(a, &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	ck_assert_uint_eq(r.head_len, strlen(a));
	ck_assert(http_is_request("\r\n", 2));
}
END_TEST

/* nginx passes unknown upper-case methods on, h2o and Apache any token:
 * the Host is read whatever the method. */
START_TEST(any_method_token)
{
	struct http_req r;

	parse_ok("PROPFIND /d HTTP/1.1\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.method, "PROPFIND");
	ck_assert_str_eq(r.host, "evil.test");
	parse_ok("get http://evil.test/ HTTP/1.1\r\n\r\n", &r);
	ck_assert_str_eq(r.method, "get");
	ck_assert_str_eq(r.host, "evil.test");
	parse_ok("X-FOO_BAR.1 / HTTP/1.1\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	/* a method longer than kept is cut, still read */
	parse_ok("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\n"
		 "Host: evil.test\r\n\r\n",
		 &r);
	ck_assert_uint_eq(strlen(r.method), HTTP_METHOD_MAX);
	ck_assert_str_eq(r.host, "evil.test");
}
END_TEST

START_TEST(other_protocols_not_requests)
{
	const char *smtp = "EHLO mail.example.test\r\n";
	const char *ssh = "SSH-2.0-OpenSSH_9.6\r\n";
	const char *redis = "PING\r\n";

	ck_assert(!http_is_request(smtp, strlen(smtp)));
	ck_assert(!http_is_request(ssh, strlen(ssh)));
	ck_assert(!http_is_request(redis, strlen(redis)));
	ck_assert(!http_is_request("{\"id\":1}\n", 9));
	ck_assert(!http_is_request("\x16\x03\x01", 3));
	ck_assert(!http_is_request("GET\x01", 4));
	ck_assert(!http_is_request("FOO /\x01", 6));
	ck_assert(!http_is_request("FOO / HTTP/2", 12));
	/* could still be one: a token, then a request line so far */
	ck_assert(http_is_request("PO", 2));
	ck_assert(http_is_request("GETX", 4));
	ck_assert(http_is_request("FOO /x HTT", 10));
	ck_assert(http_is_request("", 0));
}
END_TEST

START_TEST(http09)
{
	struct http_req r;
	const char *a = "GET http://evil.test/\r\nHost: ignored.test\r\n\r\n";

	ck_assert_int_eq(http_parse_request(a, strlen(a), &r), 0);
	ck_assert(r.http09);
	ck_assert_uint_eq(r.nclaim, 1); /* HTTP/0.9 has no headers */
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	ck_assert_uint_eq(r.head_len, strlen("GET http://evil.test/\r\n"));
	check_prefixes(a, strlen(a), 0);
	parse_fails("POST /x\r\n\r\n", -EBADMSG);
	/* Apache in Unsafe mode takes any method: with an absolute target */
	parse_ok("FOO http://evil.test/\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_TARGET);
	ck_assert(!http_is_request("EHLO mail.example.test\r\n", 24));
}
END_TEST

/* Apache joins a folded line to the field before it with SP; nginx and
 * h2o refuse folding. A folded Host is read as Apache reads it. */
START_TEST(folded_host)
{
	struct http_req r;

	parse_ok("GET / HTTP/1.1\r\nHost:\r\n evil.test\r\n\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_HOST);
	parse_ok("GET / HTTP/1.1\r\nHost: evil.test\r\n \t\r\n\r\n", &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_HOST);
	parse_ok("GET / HTTP/1.1\r\nHost:\r\n\t\r\n evil.test \r\nA: b\r\n\r\n",
		 &r);
	assert_claim(&r, 0, "evil.test", HTTP_FROM_HOST);
	/* two words: no server reads a name from it */
	parse_fails("GET / HTTP/1.1\r\nHost: good.test\r\n evil.test\r\n\r\n",
		    -EBADMSG);
	/* a fold of another field is that field's; before any field, skipped */
	parse_ok("GET / HTTP/1.1\r\nX-A: b\r\n Host: evil.test\r\n\r\n", &r);
	ck_assert_uint_eq(r.nclaim, 0);
	ck_assert_uint_eq(r.nhost, 0);
	parse_ok("GET / HTTP/1.1\r\n Host: evil.test\r\nHost: a.test\r\n\r\n",
		 &r);
	ck_assert_uint_eq(r.nclaim, 1);
	assert_claim(&r, 0, "a.test", HTTP_FROM_HOST);
}
END_TEST

START_TEST(lenient_fields)
{
	static char big[HTTP_HEAD_MAX];
	struct http_req r;
	size_t n;

	/* whitespace before the colon, tab around the value */
	parse_ok("GET / HTTP/1.1\r\nHost \t: \tevil.test\t\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	/* a line without a colon is skipped (nginx keeps it, valueless) */
	parse_ok("GET / HTTP/1.1\r\nfoo\r\nHost: evil.test\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	/* a trailing dot is dropped, as nginx and Apache do */
	parse_ok("GET / HTTP/1.1\r\nHost: Evil.Test.\r\n\r\n", &r);
	ck_assert_str_eq(r.host, "evil.test");
	/* a long port does not hide the name */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: evil.test:");
	memset(big + n, '0', 1000);
	n += 1000;
	n += (size_t)sprintf(big + n, "80\r\n\r\n");
	ck_assert_int_eq(http_parse_request(big, n, &r), 0);
	ck_assert_str_eq(r.host, "evil.test");
	/* no count of fields: nginx reads a Host after any number of them */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)sprintf(big + n, "X%d: y\r\n", i);
	n += (size_t)sprintf(big + n, "Host: evil.test\r\n\r\n");
	ck_assert_uint_lt(n, HTTP_HEAD_MAX);
	ck_assert_int_eq(http_parse_request(big, n, &r), 0);
	ck_assert_str_eq(r.host, "evil.test");
	/* a target that is no authority names nothing (servers refuse it) */
	parse_ok("GET ?x=1 HTTP/1.1\r\nHost: a.test\r\n\r\n", &r);
	ck_assert_uint_eq(r.nclaim, 1);
}
END_TEST

START_TEST(invalid_refused)
{
	parse_fails("GET / HTTP/1.1\r\nHost: bad name\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/1.1\r\nHost: user@evil.test\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/1.1\r\nHost: [evil.test]\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/1.1\r\nHost: a..test\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/2.0\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/1.1 x\r\n\r\n", -EBADMSG);
	parse_fails("GET / HTTP/1.\r\n\r\n", -EBADMSG);
	parse_fails("GET /\x01 HTTP/1.1\r\n\r\n", -EBADMSG);
	parse_fails("SSH-2.0-OpenSSH\r\n\r\n", -EBADMSG);
	parse_fails(" GET / HTTP/1.1\r\n\r\n", -EBADMSG);
	parse_fails("GET\r\n\r\n", -EBADMSG);
	parse_fails("CONNECT bad_host!:443 HTTP/1.1\r\n\r\n", -EBADMSG);
	parse_fails("GET http://bad!host/ HTTP/1.1\r\n\r\n", -EBADMSG);
	ck_assert(!http_is_request("SSH-2.0-OpenSSH\r\n\r\n", 17));
}
END_TEST

START_TEST(oversized_head_refused)
{
	char *big = malloc(HTTP_HEAD_MAX + 100);
	struct http_req r;
	size_t n;

	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX + 100 - n);
	ck_assert_int_eq(http_parse_request(big, HTTP_HEAD_MAX + 100, &r),
			 -E2BIG);
	/* a Host after 8 KiB of headers stays unreadable */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nX: ");
	memset(big + n, 'a', HTTP_HEAD_MAX - n);
	n = HTTP_HEAD_MAX;
	n += (size_t)sprintf(big + n, "\r\nHost: evil.test\r\n\r\n");
	ck_assert_int_eq(http_parse_request(big, n, &r), -E2BIG);
	free(big);
}
END_TEST

/* A head of exactly HTTP_HEAD_MAX bytes is read, one more byte is not. */
START_TEST(head_max_boundary)
{
	char *big = malloc(HTTP_HEAD_MAX + 1);
	const char *start = "GET / HTTP/1.1\r\nHost: evil.test\r\nX: ";
	struct http_req r;
	size_t n = strlen(start);

	memcpy(big, start, n);
	memset(big + n, 'a', HTTP_HEAD_MAX - n - 4);
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(http_parse_request(big, HTTP_HEAD_MAX, &r), 0);
	ck_assert_uint_eq(r.head_len, HTTP_HEAD_MAX);
	ck_assert_str_eq(r.host, "evil.test");
	memmove(big + n + 1, big + n, HTTP_HEAD_MAX - n);
	ck_assert_int_eq(http_parse_request(big, HTTP_HEAD_MAX + 1, &r),
			 -E2BIG);
	free(big);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");
	ADD(tc, host_case_folded_port_stripped);
	ADD(tc, every_truncation_asks_for_more);
	ADD(tc, ipv6_literal_and_absolute_form);
	ADD(tc, no_host_in_origin_form);
	ADD(tc, two_hosts_both_claimed);
	ADD(tc, three_hosts_unreadable);
	ADD(tc, absolute_form_and_host_both_claimed);
	ADD(tc, whitespace_in_request_line);
	ADD(tc, leading_blank_lines);
	ADD(tc, any_method_token);
	ADD(tc, other_protocols_not_requests);
	ADD(tc, http09);
	ADD(tc, folded_host);
	ADD(tc, lenient_fields);
	ADD(tc, invalid_refused);
	ADD(tc, oversized_head_refused);
	ADD(tc, head_max_boundary);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
