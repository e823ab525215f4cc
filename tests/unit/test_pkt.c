// SPDX-License-Identifier: GPL-2.0-or-later
#include <netinet/in.h>
#include <string.h>

#include "egressd/pkt.h"
#include "util.h"

/* IPv4 + UDP 198.18.0.11:40000 -> 203.0.113.53:53, payload "abcd" */
static const uint8_t v4_udp[] = {
	0x45, 0x00, 0x00, 0x20, /* v4, ihl 5 | tos | total length 32 */
	0x12, 0x34, 0x00, 0x00, /* id | flags/fragment offset 0 */
	0x40, 0x11, 0x00, 0x00, /* ttl 64 | proto UDP | checksum */
	198,  18,   0,	  11, /* src */
	203,  0,    113,  53, /* dst */
	0x9c, 0x40, 0x00, 0x35, /* sport 40000 | dport 53 */
	0x00, 0x0c, 0x00, 0x00, /* udp length 12 | checksum */
	'a',  'b',  'c',  'd', /* payload */
};

/* IPv4 + TCP with 12 bytes of options, payload "GET " */
static const uint8_t v4_tcp[] = {
	0x45, 0x00, 0x00, 0x38, /* total 56 = 20 + 32 + 4 */
	0x00, 0x01, 0x40, 0x00, /* DF */
	0x40, 0x06, 0x00, 0x00, /* TCP */
	198,  18,   0,	  11,   203,  0,    113,  80,
	0xc0, 0x00, 0x00, 0x50, /* sport 49152 | dport 80 */
	0x00, 0x00, 0x10, 0x00, /* seq 4096 */
	0x00, 0x00, 0x00, 0x00, /* ack */
	0x80, 0x18, 0x01, 0x00, /* offset 8 words (32 bytes) | PSH ACK | win */
	0x00, 0x00, 0x00, 0x00, /* checksum | urgent */
	0x01, 0x01, 0x08, 0x0a, /* options: NOP NOP timestamp */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	'G',  'E',  'T',  ' ',
};

/* IPv6 + hop-by-hop (8 bytes) + UDP 2001:db8:1::11 -> 2001:db8:53::53 */
static const uint8_t v6_hbh_udp[] = {
	0x60, 0x00, 0x00, 0x00, /* v6 */
	0x00, 0x14, 0x00, 0x40, /* payload length 20 | next: hop-by-hop | hops */
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	0x11, 0x00, 0x01, 0x04, /* next UDP | len 0 (8 bytes) | PadN */
	0x00, 0x00, 0x00, 0x00,
	0x9c, 0x40, 0x00, 0x35, /* sport 40000 | dport 53 */
	0x00, 0x0c, 0x00, 0x00, /* udp length 12 */
	'a',  'b',  'c',  'd',
};

/* IPv6 + fragment header, offset 8: a later fragment */
static const uint8_t v6_frag_later[] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x2c, 0x40, /* next: fragment */
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11,
	0x20, 0x01, 0x0d, 0xb8, 0, 0x53, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
	0x11, 0x00, 0x00, 0x08, /* next UDP | res | offset 1 (8 bytes), M=0 */
	0x00, 0x00, 0x00, 0x01, /* id */
	'x',  'y',  'z',  'w',
};

START_TEST(ipv4_udp_to_payload)
{
	struct pkt_info p;
	char t[IP_ADDR_TEXT];

	ck_assert_int_eq(pkt_parse(v4_udp, sizeof(v4_udp), &p), 0);
	ck_assert_uint_eq(p.l4proto, IPPROTO_UDP);
	ip_addr_format(&p.src, t, sizeof(t));
	ck_assert_str_eq(t, "198.18.0.11");
	ck_assert_uint_eq(p.sport, 40000);
	ck_assert_uint_eq(p.dport, 53);
	ck_assert_uint_eq(p.payload_len, 4);
	ck_assert(!memcmp(p.payload, "abcd", 4));
}
END_TEST

START_TEST(ipv4_tcp_options_skipped)
{
	struct pkt_info p;

	ck_assert_int_eq(pkt_parse(v4_tcp, sizeof(v4_tcp), &p), 0);
	ck_assert_uint_eq(p.l4proto, IPPROTO_TCP);
	ck_assert_uint_eq(p.dport, 80);
	ck_assert_uint_eq(p.tcp_seq, 4096);
	ck_assert_uint_eq(p.tcp_flags, TCP_PSH | TCP_ACK);
	ck_assert_uint_eq(p.payload_len, 4);
	ck_assert(!memcmp(p.payload, "GET ", 4));
}
END_TEST

START_TEST(ipv4_link_padding_is_not_payload)
{
	uint8_t b[sizeof(v4_tcp) + 6];
	struct pkt_info p;

	memcpy(b, v4_tcp, sizeof(v4_tcp));
	memset(b + sizeof(v4_tcp), 0xee, 6);
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), 0);
	ck_assert_uint_eq(p.payload_len, 4);
}
END_TEST

START_TEST(ipv6_extension_headers_walked)
{
	struct pkt_info p;

	ck_assert_int_eq(pkt_parse(v6_hbh_udp, sizeof(v6_hbh_udp), &p), 0);
	ck_assert_uint_eq(p.src.family, AF_INET6);
	ck_assert_uint_eq(p.l4proto, IPPROTO_UDP);
	ck_assert_uint_eq(p.dport, 53);
	ck_assert(!memcmp(p.payload, "abcd", 4));
}
END_TEST

START_TEST(ipv6_later_fragment_has_no_ports)
{
	struct pkt_info p;

	ck_assert_int_eq(pkt_parse(v6_frag_later, sizeof(v6_frag_later), &p), 0);
	ck_assert(p.flags & PKT_F_FRAGMENT);
	ck_assert(p.flags & PKT_F_NOT_FIRST);
	ck_assert_ptr_null(p.payload);
	ck_assert_uint_eq(p.dport, 0);
}
END_TEST

START_TEST(ipv4_fragment_noted)
{
	uint8_t b[sizeof(v4_udp)];
	struct pkt_info p;

	memcpy(b, v4_udp, sizeof(b));
	b[6] = 0x20; /* MF, offset 0: first fragment, ports present */
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), 0);
	ck_assert(p.flags & PKT_F_FRAGMENT);
	ck_assert(!(p.flags & PKT_F_NOT_FIRST));
	b[7] = 0x03; /* offset 24 bytes: later fragment */
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), 0);
	ck_assert(p.flags & PKT_F_NOT_FIRST);
	ck_assert_ptr_null(p.payload);
}
END_TEST

START_TEST(every_truncation_fails_cleanly)
{
	const uint8_t *pkts[] = { v4_udp, v4_tcp, v6_hbh_udp, v6_frag_later };
	size_t lens[] = { sizeof(v4_udp), sizeof(v4_tcp), sizeof(v6_hbh_udp),
			  sizeof(v6_frag_later) };
	struct pkt_info p;

	for (size_t k = 0; k < NELEM(pkts); k++)
		for (size_t n = 0; n < lens[k]; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			memcpy(copy, pkts[k], n);
			ck_assert_int_lt(pkt_parse(copy, n, &p), 0);
			free(copy);
		}
}
END_TEST

START_TEST(bad_headers_refused)
{
	uint8_t b[sizeof(v4_tcp)];
	struct pkt_info p;

	memcpy(b, v4_tcp, sizeof(b));
	b[0] = 0x44; /* ihl 4 < 5 */
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), -EBADMSG);
	memcpy(b, v4_tcp, sizeof(b));
	b[32] = 0x40; /* tcp data offset 4 words < 5 */
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), -EBADMSG);
	memcpy(b, v4_tcp, sizeof(b));
	b[0] = 0x55; /* version 5 */
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), -EBADMSG);
	memcpy(b, v4_udp, sizeof(v4_udp));
	b[25] = 0x04; /* udp length 4 < 8 */
	ck_assert_int_eq(pkt_parse(b, sizeof(v4_udp), &p), -EBADMSG);
}
END_TEST

START_TEST(ipv6_extension_chain_capped)
{
	/* 9 hop-by-hop style headers (destination options) in a row. */
	uint8_t b[40 + 9 * 8 + 8];
	struct pkt_info p;

	memset(b, 0, sizeof(b));
	b[0] = 0x60;
	b[4] = 0;
	b[5] = 9 * 8 + 8;
	b[6] = 60;
	for (int i = 0; i < 9; i++)
		b[40 + i * 8] = i < 8 ? 60 : 17;
	ck_assert_int_eq(pkt_parse(b, sizeof(b), &p), -EBADMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("core");
	ADD(tc, ipv4_udp_to_payload);
	ADD(tc, ipv4_tcp_options_skipped);
	ADD(tc, ipv4_link_padding_is_not_payload);
	ADD(tc, ipv6_extension_headers_walked);
	ADD(tc, ipv6_later_fragment_has_no_ports);
	ADD(tc, ipv4_fragment_noted);
	ADD(tc, every_truncation_fails_cleanly);
	ADD(tc, bad_headers_refused);
	ADD(tc, ipv6_extension_chain_capped);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
