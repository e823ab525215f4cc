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

/* Appends a server_name extension listing the given host_names. */
static size_t put_sni(uint8_t *ext, const char *const *names, unsigned n)
{
	size_t e = 4 + 2, list = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		ext[e++] = 0; /* host_name */
		ext[e++] = 0, ext[e++] = (uint8_t)l;
		memcpy(ext + e, names[i], l);
		e += l;
		list += 3 + l;
	}
	ext[0] = 0, ext[1] = 0; /* type SNI */
	ext[2] = 0, ext[3] = (uint8_t)(list + 2); /* ext len */
	ext[4] = 0, ext[5] = (uint8_t)list; /* list len */
	return e;
}

/* Wraps extension bytes in the hello above (up to its compression
 * methods), in one handshake record. */
static void build_exts(const uint8_t *ext, size_t e)
{
	uint8_t body[1024];
	size_t b = 2 + 32 + 1 + 4 + 2;

	memcpy(body, hello + 9, b); /* up to compression */
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

/* Builds variants of the hello above: another SNI (or none), in 1 +
 * extra_sni server_name extensions, with or without ECH; ALPN and
 * supported_versions are copied from it. */
static void build(const char *sni, int ech, int extra_sni)
{
	uint8_t ext[512];
	size_t e = 0;

	for (int k = 0; sni && k < 1 + extra_sni; k++)
		e += put_sni(ext + e, &sni, 1);
	memcpy(ext + e, hello + 5 + 4 + 2 + 32 + 1 + 4 + 2 + 2 + 25, 18 + 7);
	e += 18 + 7; /* ALPN + supported_versions from the array */
	if (ech) {
		memcpy(ext + e, hello + sizeof(hello) - 8, 8);
		e += 8;
	}
	build_exts(ext, e);
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

START_TEST(two_sni_extensions_both_read)
{
	static const char *const a[] = { "Good.Test" }, *const b[] = {
		"c2.bad.test."
	};
	uint8_t ext[256];
	size_t e = 0;
	struct tls_hello h;

	e += put_sni(ext + e, a, 1);
	e += put_sni(ext + e, b, 1);
	build_exts(ext, e);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), 0);
	ck_assert(h.has_sni);
	ck_assert_uint_eq(h.nsni, 2);
	ck_assert_str_eq(h.sni, "good.test"); /* sni is still the first */
	ck_assert_str_eq(h.sni_names[0], "good.test");
	ck_assert_str_eq(h.sni_names[1], "c2.bad.test");
}
END_TEST

START_TEST(two_names_in_one_list_both_read)
{
	static const char *const n[] = { "www.example.com", "evil.test" };
	uint8_t ext[256];
	struct tls_hello h;

	build_exts(ext, put_sni(ext, n, 2));
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), 0);
	ck_assert_uint_eq(h.nsni, 2);
	ck_assert_str_eq(h.sni, "www.example.com");
	ck_assert_str_eq(h.sni_names[1], "evil.test");
}
END_TEST

START_TEST(third_name_refused)
{
	static const char *const n[] = { "a.test", "b.test", "c.test" };
	uint8_t ext[256];
	size_t e;
	struct tls_hello h;

	build("good.test", 0, 2); /* three server_name extensions */
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
	build_exts(ext, put_sni(ext, n, 3)); /* three names in one list */
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
	e = put_sni(ext, n, 2); /* two in the list, one more in another */
	e += put_sni(ext + e, n + 2, 1);
	build_exts(ext, e);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
	e = put_sni(ext, n, 0); /* an empty list does not count */
	e += put_sni(ext + e, n, 2);
	build_exts(ext, e);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), 0);
	ck_assert_uint_eq(h.nsni, 2);
}
END_TEST

START_TEST(duplicate_extension_refused)
{
	uint8_t ext[256];
	size_t e = 0;
	struct tls_hello h;

	/* ALPN (16) twice: any duplicate but server_name is refused */
	for (int k = 0; k < 2; k++) {
		memcpy(ext + e, hello + 5 + 4 + 2 + 32 + 1 + 4 + 2 + 2 + 25, 18);
		e += 18;
	}
	build_exts(ext, e);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &h), -EBADMSG);
}
END_TEST

/* The same hello as a bare handshake message (QUIC's CRYPTO stream). */
START_TEST(message_without_records)
{
	struct tls_hello whole, msg;
	uint8_t tail[1100];

	build("www.example.com", 1, 1);
	ck_assert_int_eq(tls_parse_client_hello(buf, len, &whole), 0);
	ck_assert_int_eq(tls_parse_client_hello_msg(buf + 5, len - 5, &msg), 0);
	ck_assert_uint_eq(msg.stream_len, len - 5);
	ck_assert_uint_eq(msg.nsni, 2);
	ck_assert_str_eq(msg.sni, whole.sni);
	ck_assert_str_eq(msg.sni_names[1], whole.sni_names[1]);
	ck_assert_uint_eq(msg.n_alpn, whole.n_alpn);
	ck_assert(msg.ech == whole.ech && msg.tls13 == whole.tls13);
	ck_assert_uint_eq(msg.legacy_version, whole.legacy_version);
	for (size_t n = 0; n < len - 5; n++)
		ck_assert_int_eq(tls_parse_client_hello_msg(buf + 5, n, &msg),
				 -EAGAIN);
	/* bytes after the message (more CRYPTO data) are not read */
	memcpy(tail, buf + 5, len - 5);
	memset(tail + len - 5, 0xee, 40);
	ck_assert_int_eq(tls_parse_client_hello_msg(tail, len - 5 + 40, &msg),
			 0);
	ck_assert_uint_eq(msg.stream_len, len - 5);
}
END_TEST

START_TEST(message_refused_from_its_header)
{
	static const uint8_t server_hello[] = { 2 };
	static const uint8_t big[] = { 1, 0, 0x40, 0 }; /* 16384 + 4 bytes */
	static const uint8_t max[] = { 1, 0, 0x3f, 0xfc }; /* exactly 16384 */
	struct tls_hello h;

	ck_assert_int_eq(tls_parse_client_hello_msg(server_hello, 1, &h),
			 -EBADMSG);
	ck_assert_int_eq(tls_parse_client_hello_msg(big, sizeof(big), &h),
			 -E2BIG);
	ck_assert_int_eq(tls_parse_client_hello_msg(max, sizeof(max), &h),
			 -EAGAIN);
	ck_assert_int_eq(tls_parse_client_hello_msg(NULL, 0, &h), -EAGAIN);
	build("bad name.test", 0, 0);
	ck_assert_int_eq(tls_parse_client_hello_msg(buf + 5, len - 5, &h),
			 -EBADMSG);
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
	ADD(tc, two_sni_extensions_both_read);
	ADD(tc, two_names_in_one_list_both_read);
	ADD(tc, third_name_refused);
	ADD(tc, duplicate_extension_refused);
	ADD(tc, message_without_records);
	ADD(tc, message_refused_from_its_header);
	ADD(tc, invalid_sni_and_other_records_refused);
	ADD(tc, oversized_hello_refused);
	ADD(tc, inner_length_overflow_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
