// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC client Initials. The first byte picks one of three harnesses:
 *
 * 0  round trip: the harness seals the rest of the input as the CRYPTO
 *    stream of two Initials (keys from a DCID the input chooses, the stream
 *    split at an offset it chooses, each part cut into frames sent in
 *    reverse or forward order between PINGs) and asserts the flow holds
 *    exactly those bytes and answers as the ClientHello parser does on them
 *    whole.
 * 1  raw datagram: the input as a datagram, to a new flow and to a flow
 *    already bound; also the header reader and the frame walker on it.
 * 2  sealed frames: the input as the frames of a valid Initial; a packet
 *    whose frames do not walk must be refused and add nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/quic_build.h"
#include "egressd/cursor.h"
#include "egressd/quic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x))                                                    \
			abort();                                             \
	} while (0)

/* Input bytes sealed at most. A 1-byte piece of CRYPTO data costs 6 bytes
 * of frames (PING, type, 2-byte offset, length, data): the frames stay
 * under 29 KB, the Initial within a datagram, its Length a 2-byte varint
 * for sealed_frames(). */
#define INPUT_MAX 4096

static const uint8_t server_cid[] = { 0x5e, 0x5e, 0x5e, 0x5e };
static uint8_t frames[7 * INPUT_MAX];
static uint8_t d1[QUIC_DATAGRAM_MAX], d2[QUIC_DATAGRAM_MAX];

/* Frames for stream bytes [from, to) in pieces of `piece`, reversed or
 * not, a PING before each; a PING alone if the range is empty. */
static size_t put_range(const uint8_t *s, size_t from, size_t to,
			size_t piece, int reverse)
{
	size_t n = 0, count = (to - from + piece - 1) / piece;

	frames[n++] = QUIC_FRAME_PING;
	for (size_t i = 0; i < count; i++) {
		size_t k = reverse ? count - 1 - i : i;
		size_t a = from + k * piece, b = a + piece < to ? a + piece : to;
		n += qb_crypto(frames + n, a, s + a, b - a);
		frames[n++] = QUIC_FRAME_PING;
	}
	return n;
}

static size_t seal(uint8_t *out, uint32_t version, const uint8_t *dcid,
		   size_t dcid_len, const struct quic_keys *k, uint64_t pn,
		   size_t pn_len, size_t frames_len)
{
	struct qb_initial in = {
		.version = version, .dcid = dcid, .dcid_len = dcid_len,
		.pn = pn, .pn_len = pn_len, .frames = frames,
		.frames_len = frames_len, .size = 1200,
	};
	size_t n = qb_initial(out, QUIC_DATAGRAM_MAX, &in, k);

	CHECK(n);
	return n;
}

static bool same_names(const struct tls_hello *a, const struct tls_hello *b)
{
	if (a->nsni != b->nsni || a->stream_len != b->stream_len)
		return false;
	for (unsigned i = 0; i < a->nsni; i++)
		if (strcmp(a->sni_names[i], b->sni_names[i]))
			return false;
	return true;
}

/*  input: flags u8 (v2: bit 0, packet number length: bits 1-2, second
 *  Initial to the server's CID: bit 3) | DCID length u8 (mod 21) | DCID |
 *  split u16 | piece size u8 | CRYPTO stream */
static void round_trip(const uint8_t *p, size_t n)
{
	struct quic_crypto ref = { 0 };
	struct quic_flow f = { 0 };
	struct tls_hello hr, h1, h2;
	const uint8_t *dcid, *s;
	size_t dcid_len, len, split, piece, pn_len, n1, n2;
	uint32_t version;
	struct quic_keys k;
	int want, r1, r2;

	if (n < 2 || n < 2 + (size_t)p[1] % 21 + 3)
		return;
	version = p[0] & 1 ? QUIC_V2 : QUIC_V1;
	pn_len = 1 + (p[0] >> 1 & 3);
	dcid_len = p[1] % 21;
	dcid = p + 2;
	split = (size_t)p[2 + dcid_len] << 8 | p[3 + dcid_len];
	piece = 1 + (size_t)p[4 + dcid_len];
	s = p + 5 + dcid_len;
	len = n - 5 - dcid_len;
	if (len > INPUT_MAX)
		len = INPUT_MAX;
	split %= len + 1;

	CHECK(!quic_initial_keys(version, dcid, dcid_len, &k));
	n1 = seal(d1, version, dcid, dcid_len, &k, 0, pn_len,
		  put_range(s, split, len, piece, 1));
	if (p[0] & 8) /* after the server's reply: its CID, the same keys */
		n2 = seal(d2, version, server_cid, sizeof(server_cid), &k, 1,
			  pn_len, put_range(s, 0, split, piece, 0));
	else
		n2 = seal(d2, version, dcid, dcid_len, &k, 1, pn_len,
			  put_range(s, 0, split, piece, 0));

	CHECK(!quic_crypto_add(&ref, 0, s, len));
	want = quic_crypto_hello(&ref, &hr);
	r1 = quic_flow_feed(&f, d1, n1, &h1);
	r2 = quic_flow_feed(&f, d2, n2, &h2);
	if (split)
		CHECK(r1 == -EAGAIN); /* the stream's start is in d2 */
	CHECK(r2 == want);
	CHECK(f.crypto.contig == len && f.crypto.end == len);
	CHECK(!len || !memcmp(f.crypto.buf, s, len));
	CHECK(f.initials == (r1 == -EBADMSG || r1 == -E2BIG ? 1u : 2u));
	if (!want)
		CHECK(same_names(&h2, &hr));
	quic_crypto_free(&ref);
	quic_flow_free(&f);
}

static void raw(const uint8_t *p, size_t n)
{
	static const uint8_t dcid[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct quic_flow f = { 0 }, g = { 0 };
	struct quic_header qh;
	struct quic_frame fr;
	struct quic_keys k;
	struct tls_hello h;
	struct cursor c;
	size_t n1;

	quic_is_initial(p, n);
	quic_parse_header(p, n, &qh);
	cursor_init(&c, p, n);
	while (quic_frame_next(&c, &fr) > 0)
		;
	quic_flow_feed(&f, p, n, &h);
	quic_flow_feed(&f, p, n, &h);
	/* a flow bound to a connection whose hello is half there */
	CHECK(!quic_initial_keys(QUIC_V1, dcid, sizeof(dcid), &k));
	frames[0] = QUIC_FRAME_CRYPTO, frames[1] = 0, frames[2] = 2;
	frames[3] = 1, frames[4] = 0; /* ClientHello header, cut */
	n1 = seal(d1, QUIC_V1, dcid, sizeof(dcid), &k, 0, 1, 5);
	CHECK(quic_flow_feed(&g, d1, n1, &h) == -EAGAIN);
	quic_flow_feed(&g, p, n, &h);
	quic_flow_free(&f);
	quic_flow_free(&g);
}

static void sealed_frames(const uint8_t *p, size_t n)
{
	static const uint8_t dcid[] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	/* first, version, DCID length, DCID, SCID length, token length,
	 * Length (2 bytes), packet number (2 bytes) */
	const size_t hdr = 1 + 4 + 1 + sizeof(dcid) + 1 + 1 + 2 + 2;
	struct quic_flow f = { 0 };
	struct quic_frame fr;
	struct quic_keys k;
	struct tls_hello h;
	struct cursor c;
	size_t len;
	int walk, r;

	if (n > INPUT_MAX)
		n = INPUT_MAX;
	memcpy(frames, p, n);
	CHECK(!quic_initial_keys(QUIC_V1, dcid, sizeof(dcid), &k));
	len = seal(d1, QUIC_V1, dcid, sizeof(dcid), &k, 0, 2, n);
	r = quic_flow_feed(&f, d1, len, &h);
	/* what the packet holds: the input, then PADDING up to 1200 bytes */
	len -= hdr + 16;
	memset(frames + n, 0, len - n);
	cursor_init(&c, frames, len);
	while ((walk = quic_frame_next(&c, &fr)) > 0)
		;
	if (walk) {
		CHECK(r == -EBADMSG);
		CHECK(!f.crypto.end && !f.bound);
	} else {
		CHECK(r != -ENOMSG && r != -EXDEV && r != -EPROTONOSUPPORT);
		/* read, unless its CRYPTO frames disagree among themselves */
		CHECK((f.bound && f.initials == 1) || f.err);
	}
	quic_flow_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		round_trip(data + 1, size - 1);
		break;
	case 1:
		raw(data + 1, size - 1);
		break;
	default:
		sealed_frames(data + 1, size - 1);
		break;
	}
	return 0;
}
