// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/dns.h"
#include "egressd/dnsrewrite.h"
#include "egressd/pkt.h"
#include "util.h"

static struct dns_msg m;

/* Internet checksum over the pseudo header and the UDP datagram: 0 (or
 * 0xffff) when the datagram is intact. */
static uint16_t udp_verify(const uint8_t *pkt, size_t l3, size_t ulen, bool v4)
{
	uint32_t s = 0;
	const uint8_t *src = pkt + (v4 ? 12 : 8);
	size_t alen = v4 ? 8 : 32;

	for (size_t i = 0; i < alen; i += 2)
		s += (uint32_t)(src[i] << 8 | src[i + 1]);
	s += 17 + (uint32_t)ulen;
	for (size_t i = 0; i < ulen; i += 2)
		s += (uint32_t)(pkt[l3 + i] << 8 |
				(i + 1 < ulen ? pkt[l3 + i + 1] : 0));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* IPv4/UDP answer 203.0.113.53:53 -> 198.18.0.11:40000:
 * evil.test A -> 192.0.2.66 */
static size_t build_v4(uint8_t *b)
{
	static const uint8_t dns[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, /* header */
		4, 'e', 'v', 'i', 'l', 4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2c, 0, 4, 192, 0, 2, 66,
	};
	size_t ulen = 8 + sizeof(dns), tot = 20 + ulen;
	uint8_t ip[] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, 0, 0, 0x40, 0,
			 64, 17, 0, 0, 203, 0, 113, 53, 198, 18, 0, 11 };

	memcpy(b, ip, 20);
	b[20] = 0, b[21] = 53, b[22] = 0x9c, b[23] = 0x40;
	b[24] = (uint8_t)(ulen >> 8), b[25] = (uint8_t)ulen, b[26] = b[27] = 0;
	memcpy(b + 28, dns, sizeof(dns));
	return tot;
}

START_TEST(v4_answer_becomes_nxdomain_with_valid_checksums)
{
	uint8_t b[256];
	size_t len = build_v4(b);
	struct pkt_info pk;
	int n;

	ck_assert_int_eq(pkt_parse(b, len, &pk), 0);
	ck_assert_int_eq(dns_parse(pk.payload, pk.payload_len, &m), 0);
	n = dns_rewrite_nxdomain(b, len, m.question_end);
	ck_assert_int_eq(n, 20 + 8 + 27);
	ck_assert_int_eq(pkt_parse(b, (size_t)n, &pk), 0);
	ck_assert_int_eq(dns_parse(pk.payload, pk.payload_len, &m), 0);
	ck_assert_uint_eq(m.rcode, 3);
	ck_assert_uint_eq(m.n_rr, 0);
	ck_assert_uint_eq(m.id, 0x1234);
	ck_assert_str_eq(dns_name(&m, m.qname), "evil.test");
	ck_assert_uint_eq(udp_verify(b, 20, (size_t)n - 20, true), 0xffff);
	/* IPv4 header checksum */
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	ck_assert_uint_eq(s, 0xffff);
}
END_TEST

START_TEST(v6_answer_becomes_nxdomain_with_valid_checksum)
{
	uint8_t v4[256], b[256];
	size_t l4 = build_v4(v4) - 20;
	struct pkt_info pk;
	int n;

	memset(b, 0, 40);
	b[0] = 0x60, b[4] = (uint8_t)(l4 >> 8), b[5] = (uint8_t)l4, b[6] = 17,
	b[7] = 64;
	b[8] = 0x20, b[9] = 0x01, b[10] = 0x0d, b[11] = 0xb8, b[23] = 0x53;
	b[24] = 0x20, b[25] = 0x01, b[26] = 0x0d, b[27] = 0xb8, b[39] = 0x11;
	memcpy(b + 40, v4 + 20, l4);
	ck_assert_int_eq(pkt_parse(b, 40 + l4, &pk), 0);
	ck_assert_int_eq(dns_parse(pk.payload, pk.payload_len, &m), 0);
	n = dns_rewrite_nxdomain(b, 40 + l4, m.question_end);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pkt_parse(b, (size_t)n, &pk), 0);
	ck_assert_int_eq(dns_parse(pk.payload, pk.payload_len, &m), 0);
	ck_assert_uint_eq(m.rcode, 3);
	ck_assert_uint_eq(udp_verify(b, 40, (size_t)n - 40, false), 0xffff);
}
END_TEST

START_TEST(refuses_what_it_cannot_rewrite)
{
	uint8_t b[256];
	size_t len = build_v4(b);

	ck_assert_int_eq(dns_rewrite_nxdomain(b, len, 5), -EINVAL);
	ck_assert_int_eq(dns_rewrite_nxdomain(b, len, 500), -EINVAL);
	ck_assert_int_eq(dns_rewrite_nxdomain(b, 10, 27), -EINVAL);
	b[9] = 6; /* TCP */
	ck_assert_int_eq(dns_rewrite_nxdomain(b, len, 27), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dnsrewrite");
	TCase *tc = tcase_create("core");
	ADD(tc, v4_answer_becomes_nxdomain_with_valid_checksums);
	ADD(tc, v6_answer_becomes_nxdomain_with_valid_checksum);
	ADD(tc, refuses_what_it_cannot_rewrite);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
