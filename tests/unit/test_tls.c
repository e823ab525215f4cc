// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/reasm.h"
#include "egressd/tls.h"
#include "util.h"

/* A TLS 1.3 ClientHello in one record. */
static const uint8_t hello[] = {
	0x16, 0x03, 0x01, 0x00, 0x69, /* record: handshake, TLS 1.0, len 105 */
	0x01, 0x00, 0x00, 0x65, /* ClientHello, len 101 */
	0x03, 0x03, /* legacy_version TLS 1.2 */
	/* random[32] */
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	0x00, /* session_id: empty */
	0x00, 0x02, 0x13, 0x01, /* cipher_suites: TLS_AES_128_GCM_SHA256 */
	0x01, 0x00, /* compression: null */
	0x00, 0x3a, /* extensions: 58 bytes */
	/* server_name (0), len 21: list 19 = host_name (0), len 16 */
	0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10,
	'W', 'W', 'W', '.', 'E', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'C', 'O',
	'M', '.',
	/* ALPN (16): list 12 = "h2" "http/1.1" */
	0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't',
	't', 'p', '/', '1', '.', '1',
	/* supported_versions (43): 2 bytes list: 0x0304 */
	0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,
	/* encrypted_client_hello (0xfe0d): 4 opaque bytes */
	0xfe, 0x0d, 0x00, 0x04, 0xaa, 0xbb, 0xcc, 0xdd,
};

static uint8_t buf[1024];
static size_t len;

/* Builds variants of the hello above: another SNI (or none, or twice),
 * with or without ECH; ALPN and supported_versions are copied from it. */
static void build(const char *sni, int ech, int dup_sni)
{
	uint8_t ext[512], body[1024];
	size_t e = 0, b = 0, n = sni ? strlen(sni) : 0;

	if (sni) {
		for (int k = 0; k < 1 + dup_sni; k++) {
			ext[e++] = 0, ext[e++] = 0; /* type SNI */
			ext[e++] = 0, ext[e++] = (uint8_t)(n + 5); /* ext len */
			ext[e++] = 0, ext[e++] = (uint8_t)(n + 3); /* list len */
			ext[e++] = 0; /* host_name */
			ext[e++] = 0, ext[e++] = (uint8_t)n;
			memcpy(ext + e, sni, n);
			e += n;
		}
	}
	memcpy(ext + e, hello + 5 + 4 + 2 + 32 + 1 + 4 + 2 + 2 + 25, 18 + 7);
	e += 18 + 7; /* ALPN + supported_versions from the array */
	if (ech) {
		memcpy(ext + e, hello + sizeof(hello) - 8, 8);
		e += 8;
	}
	memcpy(body, hello + 9, 2 + 32 + 1 + 4 + 2); /* up to compression */
	b = 2 + 32 + 1 + 4 + 2;
	body[b++] = (uint8_t)(e >> 8), body[b++] = (uint8_t)e;
	memcpy(body + b, ext, e);
	b += e;
	len = 0;
	buf[len++] = 0x16, buf[len++] = 3, buf[len++] = 1;
	buf[len++] = (uint8_t)((b + 4) >> 8), buf[len++] = (uint8_t)(b + 4);
	buf[len++] = 1, buf[len++] = 0;
	buf[len++] = (uint8_t)(b >> 8), buf[len++] = (uint8_t)b;
	memcpy(buf + len, body, b);
	len += b;
}

START_TEST(fixture_parses_as_written)
{
	struct tls_hello h;

	ck_assert_int_eq(tls_parse_client_hello(hello, sizeof(hello), &h), 0);
	ck_assert_str_eq(h.sni, "www.example.com");
	ck_assert_uint_eq(h.n_alpn, 2);
	ck_assert(h.ech && h.tls13);
	ck_assert_uint_eq(h.legacy_version, 0x0303);
}
END_TEST

START_TEST(sni_alpn_ech_read)
{
	struct tls_hello h;

	build("WWW.Example.COM.", 1, 0);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), 0);
	ck_assert(h.has_sni);
	ck_assert_str_eq(h.sni, "www.example.com");
	ck_assert_uint_eq(h.n_alpn, 2);
	ck_assert_str_eq(h.alpn[0], "h2");
	ck_assert_str_eq(h.alpn[1], "http/1.1");
	ck_assert(h.ech);
	ck_assert(h.tls13);
	ck_assert_uint_eq(h.stream_len, len);
}
END_TEST

START_TEST(no_sni_is_not_an_error)
{
	struct tls_hello h;

	build(NULL, 0, 0);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), 0);
	ck_assert(!h.has_sni);
	ck_assert(!h.ech);
}
END_TEST

START_TEST(every_truncation_asks_for_more)
{
	struct tls_hello h;

	build("www.example.com", 1, 0);
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(tls_parse_client_hello(buf, n, &h), -EAGAIN);
}
END_TEST

START_TEST(hello_split_over_many_records)
{
	uint8_t split[2048];
	size_t o = 0, hs;
	struct tls_hello h;

	build("c2.bad.test", 0, 0);
	hs = len - 5;
	/* Re-frame the handshake bytes into records of 3 bytes each: the
	 * 4-byte handshake header itself is split. */
	for (size_t i = 0; i < hs; i += 3) {
		size_t n = hs - i < 3 ? hs - i : 3;
		split[o++] = 0x16, split[o++] = 3, split[o++] = 3;
		split[o++] = 0, split[o++] = (uint8_t)n;
		memcpy(split + o, buf + 5 + i, n);
		o += n;
	}
	ck_assert_int_eq(tls_parse_client_hello(split, o, &h), 0);
	ck_assert_str_eq(h.sni, "c2.bad.test");
	ck_assert_int_eq(tls_parse_client_hello(split, o - 1, &h), -EAGAIN);
}
END_TEST

START_TEST(hello_across_two_tcp_segments)
{
	struct reasm r = { 0 };
	struct tls_hello h;
	size_t half;

	build("www.example.com", 1, 0);
	half = len / 2;
	reasm_add(&r, 999, true, NULL, 0);
	ck_assert_int_eq(reasm_add(&r, 1000, false, buf, half), 0);
	ck_assert_int_eq(tls_parse_client_hello(r.buf, r.len, &h), -EAGAIN);
	ck_assert_int_eq(reasm_add(&r, 1000 + (uint32_t)half, false, buf + half,
				   len - half), 0);
	ck_assert_int_eq(tls_parse_client_hello(r.buf, r.len, &h), 0);
	ck_assert_str_eq(h.sni, "www.example.com");
	reasm_free(&r);
}
END_TEST

START_TEST(duplicate_extension_refused)
{
	struct tls_hello h;

	build("good.test", 0, 1);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
}
END_TEST

START_TEST(invalid_sni_and_other_records_refused)
{
	struct tls_hello h;
	static const uint8_t appdata[] = { 0x17, 3, 3, 0, 1, 0 };
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01 };

	build("bad name.test", 0, 0);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
	ck_assert_int_eq(tls_parse_client_hello(appdata, sizeof(appdata), &h),
			 -EBADMSG);
	ck_assert_int_eq(tls_parse_client_hello(sslv2, sizeof(sslv2), &h),
			 -EBADMSG);
	ck_assert(!tls_is_handshake(appdata, sizeof(appdata)));
}
END_TEST

START_TEST(oversized_hello_refused)
{
	/* handshake length 0x010000 > TLS_HELLO_MAX */
	static const uint8_t big[] = { 0x16, 3, 1, 0x40, 0, 1, 1, 0, 0 };
	struct tls_hello h;

	ck_assert_int_eq(tls_parse_client_hello(big, sizeof(big), &h), -E2BIG);
}
END_TEST

START_TEST(inner_length_overflow_refused)
{
	struct tls_hello h;

	build("www.example.com", 0, 0);
	/* session_id length 0xff runs past the body */
	buf[9 + 2 + 32] = 0xff;
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("core");
	ADD(tc, fixture_parses_as_written);
	ADD(tc, sni_alpn_ech_read);
	ADD(tc, no_sni_is_not_an_error);
	ADD(tc, every_truncation_asks_for_more);
	ADD(tc, hello_split_over_many_records);
	ADD(tc, hello_across_two_tcp_segments);
	ADD(tc, duplicate_extension_refused);
	ADD(tc, invalid_sni_and_other_records_refused);
	ADD(tc, oversized_hello_refused);
	ADD(tc, inner_length_overflow_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
