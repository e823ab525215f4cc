// SPDX-License-Identifier: GPL-2.0-or-later
/* IP fragments put back together (replay): in order, reversed,
 * overlapping, duplicated, missing, timed out, past 65,535 bytes, and
 * IPv6's fragment header behind a hop-by-hop header. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include "egressd/ipfrag.h"
#include "util.h"

static struct ipfrag *F;
static uint8_t payload[70000]; /* the datagram's bytes after its header */
static uint8_t pkt[70000];
static const uint8_t *out;
static size_t out_len;

static void setup(void)
{
	F = ipfrag_new();
	ck_assert_ptr_nonnull(F);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void teardown(void)
{
	ipfrag_free(F);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 fragment 192.0.2.53 -> 198.18.0.11, UDP, id 0x4242: payload
 * bytes [off, off + len). */
static size_t frag4(uint32_t off, size_t len, bool more)
{
	memset(pkt, 0, 20);
	pkt[0] = 0x45; /* version 4, 5 words */
	put16(pkt + 2, 20 + len); /* total length */
	put16(pkt + 4, 0x4242); /* id */
	put16(pkt + 6, (more ? 0x2000 : 0) | off / 8); /* MF | offset */
	pkt[8] = 64; /* TTL */
	pkt[9] = IPPROTO_UDP;
	memcpy(pkt + 12, "\xc0\x00\x02\x35\xc6\x12\x00\x0b", 8);
	memcpy(pkt + 20, payload + off, len);
	return 20 + len;
}

/* An IPv6 fragment 2001:db8::53 -> 2001:db8::11 with a hop-by-hop header
 * before its fragment header (next header UDP, id 0x01020304). */
static size_t frag6(uint32_t off, size_t len, bool more)
{
	uint8_t *h = pkt + 40, *f = pkt + 48;

	memset(pkt, 0, 56);
	pkt[0] = 0x60;
	put16(pkt + 4, 16 + len); /* payload length: both headers and data */
	pkt[6] = 0; /* next: hop-by-hop */
	pkt[7] = 64;
	memcpy(pkt + 8, "\x20\x01\x0d\xb8", 4), pkt[23] = 0x53;
	memcpy(pkt + 24, "\x20\x01\x0d\xb8", 4), pkt[39] = 0x11;
	h[0] = 44; /* next: fragment */
	h[2] = 1, h[3] = 4; /* PadN, 4 bytes */
	f[0] = IPPROTO_UDP;
	put16(f + 2, off | (more ? 1 : 0));
	memcpy(f + 4, "\x01\x02\x03\x04", 4);
	memcpy(pkt + 56, payload + off, len);
	return 56 + len;
}

static int add4(uint32_t off, size_t len, bool more, uint64_t now)
{
	return ipfrag_add(F, pkt, frag4(off, len, more), now, &out, &out_len);
}

static int add6(uint32_t off, size_t len, bool more, uint64_t now)
{
	return ipfrag_add(F, pkt, frag6(off, len, more), now, &out, &out_len);
}

/* The whole IPv4 datagram of n payload bytes, no longer a fragment. */
static void assert_whole4(size_t n)
{
	ck_assert_uint_eq(out_len, 20 + n);
	ck_assert_uint_eq((size_t)out[2] << 8 | out[3], 20 + n);
	ck_assert_uint_eq(out[6] & 0x3f, 0);
	ck_assert_uint_eq(out[7], 0);
	ck_assert(!memcmp(out + 20, payload, n));
}

START_TEST(fragments_in_order)
{
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(1480, 1480, true, 1001), -EAGAIN);
	ck_assert_int_eq(add4(2960, 100, false, 1002), 0);
	assert_whole4(3060);
}
END_TEST

START_TEST(fragments_reversed)
{
	ck_assert_int_eq(add4(2960, 100, false, 1000), -EAGAIN);
	ck_assert_int_eq(add4(1480, 1480, true, 1001), -EAGAIN);
	ck_assert_int_eq(add4(0, 1480, true, 1002), 0);
	assert_whole4(3060);
}
END_TEST

/* RFC 5722: an overlap is how a reader is shown bytes the receiver never
 * keeps; the datagram is dropped, a duplicate too. */
START_TEST(overlapping_or_duplicate_fragments_drop_the_datagram)
{
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(1472, 16, true, 1001), -EBADMSG);
	/* what was held is gone: the rest no longer completes it */
	ck_assert_int_eq(add4(1480, 100, false, 1002), -EAGAIN);
	ck_assert_int_eq(add4(1480, 100, false, 1003), -EBADMSG);
	/* a fresh, clean set still works */
	ck_assert_int_eq(add4(0, 1480, true, 1004), -EAGAIN);
	ck_assert_int_eq(add4(1480, 100, false, 1005), 0);
	assert_whole4(1580);
}
END_TEST

START_TEST(a_missing_fragment_gives_nothing)
{
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(2960, 100, false, 1001), -EAGAIN);
	/* a middle fragment not a multiple of 8, or a last one that ends
	 * before data already held: invalid */
	ck_assert_int_eq(add4(1480, 1479, true, 1002), -EBADMSG);
	ck_assert_int_eq(add4(0, 1480, true, 1003), -EAGAIN);
	ck_assert_int_eq(add4(2960, 100, false, 1004), -EAGAIN);
	ck_assert_int_eq(add4(1480, 8, false, 1005), -EBADMSG);
}
END_TEST

START_TEST(a_datagram_older_than_the_timeout_is_dropped)
{
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(1480, 100, false, 1000 + IPFRAG_TIMEOUT_MS + 1),
			 -EAGAIN);
	/* the first fragment again: the datagram completes within time */
	ck_assert_int_eq(add4(0, 1480, true, 1000 + IPFRAG_TIMEOUT_MS + 2), 0);
	assert_whole4(1580);
}
END_TEST

START_TEST(past_65535_bytes_is_refused)
{
	/* 65,520 payload bytes + 20 header > 65,535 */
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(65512, 8, false, 1001), -EAGAIN);
	/* and a fragment ending past 65,535 */
	ck_assert_int_eq(add4(65528, 8, true, 1001), -EBADMSG);
	ck_assert_int_eq(add4(0, 1480, true, 1000), -EAGAIN);
	ck_assert_int_eq(add4(65512, 8, false, 1001), -EAGAIN);
	for (uint32_t off = 1480; off < 65512; off += 1480) {
		size_t n = 65512 - off < 1480 ? 65512 - off : 1480;
		int r = add4(off, n, true, 1002);
		ck_assert_int_ne(r, 0);
		if (r == -EBADMSG)
			return;
	}
	ck_abort_msg("a datagram of 65,540 bytes was not refused");
}
END_TEST

START_TEST(not_a_fragment_comes_back_as_itself)
{
	size_t n = frag4(0, 100, false);

	ck_assert_int_eq(ipfrag_add(F, pkt, n, 1000, &out, &out_len), 0);
	ck_assert_ptr_eq(out, pkt);
	ck_assert_uint_eq(out_len, n);
}
END_TEST

START_TEST(ipv6_fragments_behind_a_hop_by_hop_header)
{
	ck_assert_int_eq(add6(1232, 500, false, 1000), -EAGAIN);
	ck_assert_int_eq(add6(0, 1232, true, 1001), 0);
	/* the fragment header is gone: hop-by-hop's next header is UDP */
	ck_assert_uint_eq(out_len, 48 + 1732);
	ck_assert_uint_eq((size_t)out[4] << 8 | out[5], 8 + 1732);
	ck_assert_uint_eq(out[6], 0);
	ck_assert_uint_eq(out[40], IPPROTO_UDP);
	ck_assert(!memcmp(out + 48, payload, 1732));
	/* overlapping: dropped */
	ck_assert_int_eq(add6(0, 1232, true, 1002), -EAGAIN);
	ck_assert_int_eq(add6(1224, 500, false, 1003), -EBADMSG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ipfrag");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	ADD(tc, fragments_in_order);
	ADD(tc, fragments_reversed);
	ADD(tc, overlapping_or_duplicate_fragments_drop_the_datagram);
	ADD(tc, a_missing_fragment_gives_nothing);
	ADD(tc, a_datagram_older_than_the_timeout_is_dropped);
	ADD(tc, past_65535_bytes_is_refused);
	ADD(tc, not_a_fragment_comes_back_as_itself);
	ADD(tc, ipv6_fragments_behind_a_hop_by_hop_header);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
