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

START_TEST(host_case_folded_port_stripped)
{
	struct http_req r;

	ck_assert_int_eq(http_parse_request(req, strlen(req), &r), 0);
	ck_assert_str_eq(r.method, "GET");
	ck_assert(r.has_host);
	ck_assert_str_eq(r.host, "api.example.com");
	ck_assert_uint_eq(r.head_len, strlen(req));
}
END_TEST

START_TEST(every_truncation_asks_for_more)
{
	struct http_req r;

	for (size_t n = 0; n < strlen(req); n++)
		ck_assert_int_eq(http_parse_request(req, n, &r), -EAGAIN);
}
END_TEST

START_TEST(ipv6_literal_and_absolute_form)
{
	struct http_req r;
	const char *a = "GET / HTTP/1.0\nHost: [2001:db8::80]:80\n\n";
	const char *b = "GET http://Proxy.Test:3128/x HTTP/1.1\r\n\r\n";
	const char *c = "CONNECT c2.bad.test:443 HTTP/1.1\r\n\r\n";

	ck_assert_int_eq(http_parse_request(a, strlen(a), &r), 0);
	ck_assert(r.host_is_ip);
	ck_assert_str_eq(r.host, "2001:db8::80");
	ck_assert_int_eq(http_parse_request(b, strlen(b), &r), 0);
	ck_assert_str_eq(r.host, "proxy.test");
	ck_assert_int_eq(http_parse_request(c, strlen(c), &r), 0);
	ck_assert_str_eq(r.method, "CONNECT");
	ck_assert_str_eq(r.host, "c2.bad.test");
}
END_TEST

START_TEST(no_host_in_origin_form)
{
	struct http_req r;
	const char *a = "GET / HTTP/1.0\r\n\r\n";

	ck_assert_int_eq(http_parse_request(a, strlen(a), &r), 0);
	ck_assert(!r.has_host);
}
END_TEST

START_TEST(ambiguous_or_invalid_refused)
{
	struct http_req r;
	const char *two = "GET / HTTP/1.1\r\nHost: good.test\r\nHost: bad.test\r\n\r\n";
	const char *bad = "GET / HTTP/1.1\r\nHost: bad name\r\n\r\n";
	const char *ver = "GET / HTTP/2.0\r\n\r\n";
	const char *junk = "SSH-2.0-OpenSSH\r\n\r\n";
	const char *nocolon = "GET / HTTP/1.1\r\nfoo\r\n\r\n";

	ck_assert_int_eq(http_parse_request(two, strlen(two), &r), -EBADMSG);
	ck_assert_int_eq(http_parse_request(bad, strlen(bad), &r), -EBADMSG);
	ck_assert_int_eq(http_parse_request(ver, strlen(ver), &r), -EBADMSG);
	ck_assert_int_eq(http_parse_request(junk, strlen(junk), &r), -EBADMSG);
	ck_assert_int_eq(http_parse_request(nocolon, strlen(nocolon), &r),
			 -EBADMSG);
	ck_assert(!http_is_request(junk, strlen(junk)));
	ck_assert(http_is_request("PO", 2));
	ck_assert(!http_is_request("GETX", 4));
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
	ADD(tc, ambiguous_or_invalid_refused);
	ADD(tc, oversized_head_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
