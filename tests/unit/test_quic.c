// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "egressd/cursor.h"
#include "egressd/quic.h"
#include "quic_build.h"
#include "quic_vectors.h"
#include "util.h"

static const uint8_t dcid_a[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t dcid_b[] = { 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7 };
static const uint8_t server_cid[] = { 0x5e, 0x5e, 0x5e, 0x5e };

static uint8_t hello[4096];
static size_t hello_len;
static uint8_t frames[8192];
static size_t frames_len;

static void frames_reset(void)
{
	frames_len = 0;
}

static void add_crypto(size_t from, size_t to)
{
	frames_len += qb_crypto(frames + frames_len, from, hello + from, to - from);
}

static void add_byte(uint8_t b)
{
	frames[frames_len++] = b;
}

/* Seals the frames built so far as a 1250-byte v1 Initial (Chromium's
 * size) of connection dcid (keys of key_dcid). */
static size_t seal(uint8_t *out, uint32_t version, const uint8_t *dcid,
		   size_t dcid_len, const uint8_t *key_dcid, size_t key_len,
		   uint64_t pn, size_t pn_len)
{
	struct qb_initial in = {
		.version = version, .dcid = dcid, .dcid_len = dcid_len,
		.scid = server_cid, .scid_len = 0, .pn = pn, .pn_len = pn_len,
		.frames = frames, .frames_len = frames_len, .size = 1250,
	};
	struct quic_keys k;
	size_t n;

	ck_assert_int_eq(quic_initial_keys(version, key_dcid, key_len, &k), 0);
	n = qb_initial(out, 65536, &in, &k);
	ck_assert_uint_gt(n, 0);
	return n;
}

static size_t seal_a(uint8_t *out, uint64_t pn)
{
	return seal(out, QUIC_V1, dcid_a, sizeof(dcid_a), dcid_a,
		    sizeof(dcid_a), pn, 2);
}

/* --- RFC 9001 and RFC 9369 sample packets ------------------------------ */

START_TEST(rfc9001_keys)
{
	struct quic_keys k;

	ck_assert_int_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, &k), 0);
	ck_assert(!memcmp(k.key, rfc9001_key, 16));
	ck_assert(!memcmp(k.iv, rfc9001_iv, 12));
	ck_assert(!memcmp(k.hp, rfc9001_hp, 16));
	ck_assert_int_eq(quic_initial_keys(QUIC_V2, rfc_dcid, 8, &k), 0);
	ck_assert(!memcmp(k.key, rfc9369_key, 16));
	ck_assert(!memcmp(k.iv, rfc9369_iv, 12));
	ck_assert(!memcmp(k.hp, rfc9369_hp, 16));
	ck_assert_int_eq(quic_initial_keys(0xff00001d, rfc_dcid, 8, &k),
			 -EPROTONOSUPPORT);
	ck_assert_int_eq(quic_initial_keys(QUIC_V1, hello, 21, &k), -EINVAL);
}
END_TEST

/* Decrypts one RFC sample and checks every field on the way. */
static void check_rfc_packet(const uint8_t *pkt, uint32_t version)
{
	static uint8_t plain[1200];
	struct quic_header h;
	struct quic_keys k;
	struct quic_frame f;
	struct cursor c;
	size_t len;
	uint64_t pn;

	ck_assert_int_eq(quic_parse_header(pkt, 1200, &h), 0);
	ck_assert_uint_eq(h.version, version);
	ck_assert_int_eq(h.type, QUIC_PKT_INITIAL);
	ck_assert_uint_eq(h.dcid_len, 8);
	ck_assert(!memcmp(h.dcid, rfc_dcid, 8));
	ck_assert_uint_eq(h.scid_len, 0);
	ck_assert_uint_eq(h.token_len, 0);
	ck_assert_uint_eq(h.pn_offset, 18);
	ck_assert_uint_eq(h.len, 1200);
	ck_assert_int_eq(quic_initial_keys(version, h.dcid, h.dcid_len, &k), 0);
	ck_assert_int_eq(quic_initial_open(pkt, &h, &k, -1, plain, &len, &pn), 0);
	ck_assert_uint_eq(pn, 2);
	ck_assert_uint_eq(len, 1162);
	cursor_init(&c, plain, len);
	ck_assert_int_eq(quic_frame_next(&c, &f), 1);
	ck_assert_uint_eq(f.type, QUIC_FRAME_CRYPTO);
	ck_assert_uint_eq(f.offset, 0);
	ck_assert_uint_eq(f.len, 241);
	ck_assert(!memcmp(plain, rfc_crypto_frame, sizeof(rfc_crypto_frame)));
	ck_assert_int_eq(quic_frame_next(&c, &f), 1);
	ck_assert_uint_eq(f.type, QUIC_FRAME_PADDING);
	ck_assert_int_eq(quic_frame_next(&c, &f), 0); /* one run of padding */
}

static void check_rfc_flow(const uint8_t *pkt)
{
	struct quic_flow f = { 0 };
	struct tls_hello h;

	ck_assert(quic_is_initial(pkt, 1200));
	ck_assert_int_eq(quic_flow_feed(&f, pkt, 1200, &h), 0);
	ck_assert_uint_eq(h.nsni, 1);
	ck_assert_str_eq(h.sni, "example.com");
	ck_assert_uint_eq(h.n_alpn, 1);
	ck_assert_str_eq(h.alpn[0], "alpn");
	ck_assert(h.tls13);
	ck_assert_uint_eq(h.stream_len, 241);
	ck_assert_uint_eq(f.initials, 1);
	quic_flow_free(&f);
}

START_TEST(rfc9001_client_initial)
{
	check_rfc_packet(rfc9001_packet, QUIC_V1);
	check_rfc_flow(rfc9001_packet);
}
END_TEST

START_TEST(rfc9369_client_initial)
{
	check_rfc_packet(rfc9369_packet, QUIC_V2);
	check_rfc_flow(rfc9369_packet);
}
END_TEST

/* The builder the other tests (and the fuzz harness) use makes the RFC's
 * packets byte for byte from the RFC's plaintext. */
START_TEST(builder_makes_the_rfc_packets)
{
	static uint8_t out[1300];
	struct quic_keys k;
	struct qb_initial in = {
		.dcid = rfc_dcid, .dcid_len = 8, .pn = 2, .pn_len = 4,
		.frames = rfc_crypto_frame,
		.frames_len = sizeof(rfc_crypto_frame), .size = 1200,
	};

	in.version = QUIC_V1;
	ck_assert_int_eq(quic_initial_keys(QUIC_V1, rfc_dcid, 8, &k), 0);
	ck_assert_uint_eq(qb_initial(out, sizeof(out), &in, &k), 1200);
	ck_assert(!memcmp(out, rfc9001_packet, 1200));
	in.version = QUIC_V2;
	ck_assert_int_eq(quic_initial_keys(QUIC_V2, rfc_dcid, 8, &k), 0);
	ck_assert_uint_eq(qb_initial(out, sizeof(out), &in, &k), 1200);
	ck_assert(!memcmp(out, rfc9369_packet, 1200));
}
END_TEST

/* --- malformed and other packets --------------------------------------- */

START_TEST(every_truncation_refused)
{
	struct quic_header h;
	struct tls_hello hel;

	for (size_t n = 0; n < 1200; n++) {
		struct quic_flow f = { 0 };
		int want = n ? -EBADMSG : -ENOMSG;

		ck_assert_int_eq(quic_parse_header(rfc9001_packet, n, &h), want);
		ck_assert_int_eq(quic_flow_feed(&f, rfc9001_packet, n, &hel),
				 want);
		ck_assert_int_eq(quic_flow_feed(&f, rfc9369_packet, n, &hel),
				 want);
		ck_assert(!f.bound && !f.crypto.end);
		quic_flow_free(&f);
	}
}
END_TEST

START_TEST(corrupted_packet_refused_flow_goes_on)
{
	static uint8_t pkt[1200];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	/* first byte (protected bits), version, DCID length, Length, packet
	 * number, payload, tag */
	size_t at[] = { 0, 4, 5, 17, 18, 30, 600, 1199 };

	for (size_t i = 0; i < NELEM(at); i++) {
		memcpy(pkt, rfc9001_packet, sizeof(pkt));
		pkt[at[i]] ^= 0x01;
		ck_assert_int_eq(quic_flow_feed(&f, pkt, sizeof(pkt), &h),
				 at[i] == 4 ? -EPROTONOSUPPORT : -EBADMSG);
	}
	ck_assert(!f.bound);
	/* a packet that does not decrypt changes nothing */
	ck_assert_int_eq(quic_flow_feed(&f, rfc9001_packet, 1200, &h), 0);
	ck_assert_str_eq(h.sni, "example.com");
	quic_flow_free(&f);
}
END_TEST

START_TEST(wrong_version_and_short_header)
{
	static uint8_t pkt[1200];
	struct quic_flow f = { 0 };
	struct quic_header qh;
	struct tls_hello h;
	static const uint32_t others[] = { 0, 0xff00001d, 0x51303530,
					   0x1a2a3a4a };

	memcpy(pkt, rfc9001_packet, sizeof(pkt));
	for (size_t i = 0; i < NELEM(others); i++) {
		for (int b = 0; b < 4; b++)
			pkt[1 + b] = (uint8_t)(others[i] >> (24 - 8 * b));
		ck_assert(!quic_is_initial(pkt, sizeof(pkt)));
		ck_assert_int_eq(quic_parse_header(pkt, sizeof(pkt), &qh),
				 -EPROTONOSUPPORT);
		ck_assert_uint_eq(qh.version, others[i]);
		ck_assert_int_eq(quic_flow_feed(&f, pkt, sizeof(pkt), &h),
				 -EPROTONOSUPPORT);
	}
	/* a short header (1-RTT, or not QUIC at all) is not read */
	pkt[0] = 0x40;
	ck_assert(!quic_is_initial(pkt, sizeof(pkt)));
	ck_assert_int_eq(quic_flow_feed(&f, pkt, sizeof(pkt), &h), -ENOMSG);
	ck_assert_int_eq(quic_flow_feed(&f, pkt, 0, &h), -ENOMSG);
	ck_assert_int_eq(quic_flow_feed(&f, rfc9001_packet, 1200, &h), 0);
	ck_assert_int_eq(quic_flow_feed(&f, pkt, sizeof(pkt), &h), -ENOMSG);
	/* v1 Initial type bits on a v2 packet make a v2 Retry */
	memcpy(pkt, rfc9369_packet, sizeof(pkt));
	pkt[0] &= 0xcf;
	ck_assert(!quic_is_initial(pkt, sizeof(pkt)));
	ck_assert(quic_is_initial(rfc9369_packet, 1200));
	quic_flow_free(&f);
}
END_TEST

/* A 0-RTT or Handshake packet (v1 types 1, 2) of Length n after the header. */
static size_t long_packet(uint8_t *p, uint8_t type, const uint8_t *dcid,
			  size_t dcid_len, size_t n)
{
	size_t o = 0;

	p[o++] = (uint8_t)(0xc0 | type << 4);
	p[o++] = 0, p[o++] = 0, p[o++] = 0, p[o++] = 1;
	p[o++] = (uint8_t)dcid_len;
	memcpy(p + o, dcid, dcid_len), o += dcid_len;
	p[o++] = 0; /* SCID */
	o += qb_varint(p + o, n, 2);
	memset(p + o, 0xab, n);
	return o + n;
}

START_TEST(coalesced_packets)
{
	static uint8_t d[4096], other[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n, half;

	hello_len = qb_hello(hello, "coalesced.example", 300);
	half = hello_len / 2;
	/* Initial (first half) + Initial (second half), then a 0-RTT and a
	 * Handshake packet and zeros, as clients pad: one datagram */
	frames_reset(), add_crypto(0, half);
	n = seal_a(d, 0);
	frames_reset(), add_crypto(half, hello_len);
	n += seal_a(d + n, 1);
	n += long_packet(d + n, 1, dcid_a, sizeof(dcid_a), 100);
	n += long_packet(d + n, 2, dcid_a, sizeof(dcid_a), 40);
	memset(d + n, 0, 30), n += 30;
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), 0);
	ck_assert_str_eq(h.sni, "coalesced.example");
	ck_assert_uint_eq(f.initials, 2);
	quic_flow_free(&f);

	/* a packet with another DCID after the first is ignored (RFC 9000
	 * 12.2), even one that would make the stream unreadable */
	memset(&f, 0, sizeof(f));
	frames_reset(), add_crypto(0, hello_len);
	n = seal_a(d, 0);
	memset(other, 0, sizeof(other));
	frames_reset();
	frames_len = qb_crypto(frames, 0, other, 100);
	n += seal(d + n, QUIC_V1, dcid_b, sizeof(dcid_b), dcid_b,
		  sizeof(dcid_b), 0, 1);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), 0);
	ck_assert_uint_eq(f.initials, 1);
	quic_flow_free(&f);

	/* a 0-RTT packet alone: nothing to read */
	memset(&f, 0, sizeof(f));
	n = long_packet(d, 1, dcid_a, sizeof(dcid_a), 1200);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -ENOMSG);
	/* too many coalesced packets */
	n = 0;
	for (int i = 0; i <= QUIC_COALESCED_MAX; i++)
		half = long_packet(d + n, 2, dcid_a, sizeof(dcid_a), 20), n += half;
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -EBADMSG);
	ck_assert_int_eq(quic_flow_feed(&f, d, n - half, &h), -ENOMSG);
	quic_flow_free(&f);
}
END_TEST

/* --- Chromium's way: scrambled frames over two Initials ---------------- */

/* Chromium 156 as captured: the first Initial carries the hello's first
 * 64 bytes and its last ~920 in pieces of random size, out of order,
 * between PINGs and PADDING; the second one the middle. */
static size_t chromium_first(uint8_t *out, uint64_t pn)
{
	frames_reset();
	add_byte(QUIC_FRAME_PING);
	add_crypto(41, 49);
	add_byte(QUIC_FRAME_PADDING), add_byte(QUIC_FRAME_PADDING);
	add_crypto(1164, 1196);
	add_crypto(40, 41);
	add_byte(QUIC_FRAME_PING);
	add_crypto(0, 10);
	add_crypto(1075, 1164);
	add_byte(QUIC_FRAME_PADDING);
	add_crypto(10, 40);
	add_crypto(1196, hello_len);
	add_byte(QUIC_FRAME_PING);
	add_crypto(49, 64);
	return seal_a(out, pn);
}

static size_t chromium_second(uint8_t *out, const uint8_t *dcid,
			      size_t dcid_len, uint64_t pn)
{
	frames_reset();
	add_crypto(500, 1075);
	add_byte(QUIC_FRAME_PING);
	add_crypto(64, 500);
	return seal(out, QUIC_V1, dcid, dcid_len, dcid_a, sizeof(dcid_a), pn, 2);
}

START_TEST(hello_split_over_two_initials_scrambled)
{
	static uint8_t d1[1400], d2[1400];
	struct tls_hello h;
	size_t n1, n2;

	hello_len = qb_hello(hello, "www.chromium-split.test", 1900);
	ck_assert_uint_gt(hello_len, 1900);
	n1 = chromium_first(d1, 1);
	n2 = chromium_second(d2, dcid_a, sizeof(dcid_a), 2);
	for (int order = 0; order < 2; order++) {
		struct quic_flow f = { 0 };
		const uint8_t *a = order ? d2 : d1, *b = order ? d1 : d2;
		size_t na = order ? n2 : n1, nb = order ? n1 : n2;

		ck_assert_int_eq(quic_flow_feed(&f, a, na, &h), -EAGAIN);
		ck_assert_int_eq(quic_flow_feed(&f, b, nb, &h), 0);
		ck_assert_str_eq(h.sni, "www.chromium-split.test");
		ck_assert_uint_eq(h.stream_len, hello_len);
		ck_assert_uint_eq(f.crypto.contig, hello_len);
		ck_assert(!memcmp(f.crypto.buf, hello, hello_len));
		/* retransmissions that agree keep the answer */
		ck_assert_int_eq(quic_flow_feed(&f, a, na, &h), 0);
		ck_assert_int_eq(quic_flow_feed(&f, b, nb, &h), 0);
		quic_flow_free(&f);
	}
}
END_TEST

/* After the server's Initial the client addresses the server's CID, with
 * the keys of its original DCID still. */
START_TEST(second_initial_to_the_server_cid)
{
	static uint8_t d1[1400], d2[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n1, n2;

	hello_len = qb_hello(hello, "after-reply.test", 1900);
	n1 = chromium_first(d1, 1);
	n2 = chromium_second(d2, server_cid, sizeof(server_cid), 2);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), -EAGAIN);
	ck_assert_int_eq(quic_flow_feed(&f, d2, n2, &h), 0);
	ck_assert_str_eq(h.sni, "after-reply.test");
	quic_flow_free(&f);
}
END_TEST

/* A v1 connection that continues in v2 (compatible version negotiation,
 * RFC 9368): v2 keys of the original DCID. */
START_TEST(version_switch_keeps_original_dcid)
{
	static uint8_t d1[1400], d2[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n1, n2;

	hello_len = qb_hello(hello, "v2.test", 1900);
	n1 = chromium_first(d1, 1);
	frames_reset();
	add_crypto(64, 1075);
	n2 = seal(d2, QUIC_V2, server_cid, sizeof(server_cid), dcid_a,
		  sizeof(dcid_a), 2, 1);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), -EAGAIN);
	ck_assert_int_eq(quic_flow_feed(&f, d2, n2, &h), 0);
	ck_assert_str_eq(h.sni, "v2.test");
	quic_flow_free(&f);
}
END_TEST

/* The packet number on the wire is truncated: 256 sent in one byte after
 * 255 must be expanded to 256 for the nonce (RFC 9000 A.3). */
START_TEST(packet_number_expanded)
{
	static uint8_t d1[1400], d2[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n1, n2;

	hello_len = qb_hello(hello, "pn.test", 100);
	frames_reset(), add_crypto(0, 50);
	n1 = seal(d1, QUIC_V1, dcid_a, sizeof(dcid_a), dcid_a, sizeof(dcid_a),
		  255, 2);
	frames_reset(), add_crypto(50, hello_len);
	n2 = seal(d2, QUIC_V1, dcid_a, sizeof(dcid_a), dcid_a, sizeof(dcid_a),
		  256, 1);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), -EAGAIN);
	ck_assert_uint_eq(f.largest_pn, 255);
	ck_assert_int_eq(quic_flow_feed(&f, d2, n2, &h), 0);
	ck_assert_uint_eq(f.largest_pn, 256);
	quic_flow_free(&f);
}
END_TEST

/* --- connections and disagreements ------------------------------------- */

START_TEST(another_connection_on_the_flow)
{
	static uint8_t d1[1400], d2[1400], other[1400];
	struct quic_flow f = { 0 }, g = { 0 };
	struct tls_hello h;
	size_t n1, n2, no;

	hello_len = qb_hello(hello, "first.test", 1900);
	n1 = chromium_first(d1, 1);
	n2 = chromium_second(d2, dcid_a, sizeof(dcid_a), 2);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), -EAGAIN);
	/* a second connection (own DCID, own keys), e.g. after a Retry */
	hello_len = qb_hello(hello, "second.test", 10);
	frames_reset(), add_crypto(0, hello_len);
	no = seal(other, QUIC_V1, dcid_b, sizeof(dcid_b), dcid_b,
		  sizeof(dcid_b), 0, 1);
	ck_assert_int_eq(quic_flow_feed(&f, other, no, &h), -EXDEV);
	ck_assert_int_eq(quic_flow_feed(&g, other, no, &h), 0);
	ck_assert_str_eq(h.sni, "second.test");
	/* the first goes on unharmed */
	ck_assert_int_eq(quic_flow_feed(&f, d2, n2, &h), 0);
	ck_assert_str_eq(h.sni, "first.test");
	/* once complete, another connection is still told apart */
	ck_assert_int_eq(quic_flow_feed(&f, other, no, &h), -EXDEV);
	quic_flow_free(&f);
	quic_flow_free(&g);
}
END_TEST

START_TEST(disagreeing_data_makes_the_flow_unreadable)
{
	static uint8_t d1[1400], d2[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n1, n2;

	hello_len = qb_hello(hello, "allowed.test", 200);
	frames_reset(), add_crypto(0, hello_len);
	n1 = seal_a(d1, 0);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), 0);
	ck_assert_str_eq(h.sni, "allowed.test");
	/* the same connection sends another hello at the same offsets */
	hello_len = qb_hello(hello, "blocked.test", 200);
	frames_reset(), add_crypto(0, hello_len);
	n2 = seal_a(d2, 1);
	ck_assert_int_eq(quic_flow_feed(&f, d2, n2, &h), -EBADMSG);
	ck_assert_int_eq(quic_flow_feed(&f, d1, n1, &h), -EBADMSG); /* sticky */
	quic_flow_free(&f);
}
END_TEST

START_TEST(second_hello_after_retry_request)
{
	static uint8_t d[1400], ch1[4096];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n, l1;

	l1 = qb_hello(ch1, "same.test", 100);
	memcpy(hello, ch1, l1);
	/* the second ClientHello, same name, follows at offset l1 */
	hello_len = l1 + qb_hello(hello + l1, "same.test", 120);
	frames_reset(), add_crypto(0, l1);
	n = seal_a(d, 0);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), 0);
	frames_reset(), add_crypto(l1, l1 + 50);
	n = seal_a(d, 1);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), 0); /* pending */
	frames_reset(), add_crypto(l1 + 50, hello_len);
	n = seal_a(d, 2);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), 0);
	ck_assert_str_eq(h.sni, "same.test");
	/* anything after the second hello */
	frames_reset();
	frames_len = qb_crypto(frames, hello_len, ch1, 3);
	n = seal_a(d, 3);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -EBADMSG);
	quic_flow_free(&f);

	/* a second hello that claims another name */
	memset(&f, 0, sizeof(f));
	hello_len = l1 + qb_hello(hello + l1, "other.test", 120);
	frames_reset(), add_crypto(0, hello_len);
	n = seal_a(d, 0);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -EBADMSG);
	quic_flow_free(&f);
}
END_TEST

START_TEST(not_a_client_hello)
{
	static uint8_t d[1400];
	struct quic_flow f = { 0 };
	struct tls_hello h;
	size_t n;

	hello_len = qb_hello(hello, "x.test", 0);
	hello[0] = 2; /* ServerHello */
	frames_reset(), add_crypto(0, 1);
	n = seal_a(d, 0);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -EBADMSG);
	quic_flow_free(&f);
	/* a hello whose length is over the bound, from its header */
	memset(&f, 0, sizeof(f));
	hello[0] = 1, hello[1] = 0, hello[2] = 0x40, hello[3] = 0;
	frames_reset(), add_crypto(0, 4);
	n = seal_a(d, 0);
	ck_assert_int_eq(quic_flow_feed(&f, d, n, &h), -E2BIG);
	quic_flow_free(&f);
}
END_TEST

/* --- frames ------------------------------------------------------------ */

static int feed_frames(struct quic_flow *f, struct tls_hello *h)
{
	static uint8_t d[1400];

	return quic_flow_feed(f, d, seal_a(d, 0), h);
}

START_TEST(allowed_frames_read)
{
	struct quic_flow f = { 0 };
	struct tls_hello h;

	hello_len = qb_hello(hello, "frames.test", 0);
	frames_reset();
	/* ACK: largest 7, delay 0, 2 ranges, first 1, (gap 1, len 1) x2 */
	add_byte(0x02), add_byte(7), add_byte(0), add_byte(2), add_byte(1);
	add_byte(1), add_byte(1), add_byte(1), add_byte(1);
	/* ACK_ECN: largest 3, delay 0, 0 ranges, first 0, ECT0 ECT1 CE */
	add_byte(0x03), add_byte(3), add_byte(0), add_byte(0), add_byte(0);
	add_byte(0x40), add_byte(0x01), add_byte(2), add_byte(3);
	add_crypto(0, 20);
	/* CRYPTO with its type in a two-byte varint (0x40 0x06) */
	add_byte(0x40);
	add_crypto(20, hello_len);
	/* CONNECTION_CLOSE: code 10, frame type 6, reason "bye" */
	add_byte(0x1c), add_byte(10), add_byte(6), add_byte(3);
	add_byte('b'), add_byte('y'), add_byte('e');
	add_byte(QUIC_FRAME_PING);
	ck_assert_int_eq(feed_frames(&f, &h), 0);
	ck_assert_str_eq(h.sni, "frames.test");
	quic_flow_free(&f);
}
END_TEST

START_TEST(forbidden_or_broken_frames_refused)
{
	static const uint8_t bad[][12] = {
		{ 1, 0x08 }, /* STREAM */
		{ 4, 0x1d, 0, 0, 0 }, /* application CONNECTION_CLOSE, well formed */
		{ 1, 0x07 }, /* NEW_TOKEN */
		{ 1, 0x1e }, /* HANDSHAKE_DONE */
		{ 6, 0x02, 1, 0, 0x3f, 0, 0 }, /* ACK: 63 ranges in 2 bytes */
		{ 3, 0x02, 1, 0 }, /* ACK cut short */
		{ 5, 0x03, 1, 0, 0, 0 }, /* ACK_ECN without its counts */
		/* CRYPTO ending past 2^62 - 1 */
		{ 11, 0x06, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 0 },
		{ 4, 0x06, 0, 5, 1 }, /* CRYPTO longer than the packet */
		{ 4, 0x1c, 0, 0, 9 }, /* CONNECTION_CLOSE reason too long */
		{ 1, 0x40 }, /* a varint type cut short */
	};
	struct quic_flow f = { 0 };
	struct tls_hello h;

	hello_len = qb_hello(hello, "frames.test", 0);
	for (size_t i = 0; i < NELEM(bad); i++) {
		frames_reset();
		add_crypto(0, hello_len); /* a whole hello first */
		memcpy(frames + frames_len, bad[i] + 1, bad[i][0]);
		frames_len += bad[i][0];
		/* the bad frames end the payload (no PADDING after them) */
		struct qb_initial in = {
			.version = QUIC_V1, .dcid = dcid_a,
			.dcid_len = sizeof(dcid_a), .pn_len = 2,
			.frames = frames, .frames_len = frames_len,
		};
		struct quic_keys k;
		static uint8_t d[1400];
		size_t n;

		quic_initial_keys(QUIC_V1, dcid_a, sizeof(dcid_a), &k);
		n = qb_initial(d, sizeof(d), &in, &k);
		ck_assert_msg(quic_flow_feed(&f, d, n, &h) == -EBADMSG,
			      "bad frame %zu read", i);
		/* nothing of the packet was added */
		ck_assert_uint_eq(f.crypto.end, 0);
		ck_assert(!f.bound);
	}
	quic_flow_free(&f);
}
END_TEST

/* --- the CRYPTO stream alone ------------------------------------------- */

START_TEST(crypto_stream_by_offset)
{
	struct quic_crypto s = { 0 };
	struct tls_hello h;
	uint8_t x = 0x77;

	hello_len = qb_hello(hello, "stream.test", 3000);
	ck_assert_int_eq(quic_crypto_hello(&s, &h), -EAGAIN);
	/* backwards, byte ranges of 7 */
	for (size_t end = hello_len; end > 0;) {
		size_t from = end > 7 ? end - 7 : 0;
		ck_assert_int_eq(quic_crypto_hello(&s, &h), -EAGAIN);
		ck_assert_int_eq(quic_crypto_add(&s, from, hello + from,
						 end - from), 0);
		end = from;
	}
	ck_assert_int_eq(quic_crypto_hello(&s, &h), 0);
	ck_assert_str_eq(h.sni, "stream.test");
	/* overlapping data that agrees, and that does not */
	ck_assert_int_eq(quic_crypto_add(&s, 100, hello + 100, 500), 0);
	ck_assert_int_eq(quic_crypto_add(&s, 100, &x, 1), -EBADMSG);
	/* empty frames are nothing, wherever they point */
	ck_assert_int_eq(quic_crypto_add(&s, UINT64_C(1) << 61, NULL, 0), 0);
	ck_assert_int_eq(quic_crypto_add(&s, TLS_HELLO_MAX - 1, &x, 1), 0);
	ck_assert_int_eq(quic_crypto_add(&s, TLS_HELLO_MAX, &x, 1), -E2BIG);
	ck_assert_int_eq(quic_crypto_add(&s, UINT64_MAX, &x, 1), -E2BIG);
	ck_assert_uint_eq(s.cap, TLS_HELLO_MAX);
	quic_crypto_free(&s);
	ck_assert_ptr_null(s.buf);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("quic");
	TCase *tc = tcase_create("core");
	ADD(tc, rfc9001_keys);
	ADD(tc, rfc9001_client_initial);
	ADD(tc, rfc9369_client_initial);
	ADD(tc, builder_makes_the_rfc_packets);
	ADD(tc, every_truncation_refused);
	ADD(tc, corrupted_packet_refused_flow_goes_on);
	ADD(tc, wrong_version_and_short_header);
	ADD(tc, coalesced_packets);
	ADD(tc, hello_split_over_two_initials_scrambled);
	ADD(tc, second_initial_to_the_server_cid);
	ADD(tc, version_switch_keeps_original_dcid);
	ADD(tc, packet_number_expanded);
	ADD(tc, another_connection_on_the_flow);
	ADD(tc, disagreeing_data_makes_the_flow_unreadable);
	ADD(tc, second_hello_after_retry_request);
	ADD(tc, not_a_client_hello);
	ADD(tc, allowed_frames_read);
	ADD(tc, forbidden_or_broken_frames_refused);
	ADD(tc, crypto_stream_by_offset);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
