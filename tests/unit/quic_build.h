/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds what a QUIC client sends, for the tests and the fuzz harness:
 * frames, ClientHellos, sealed Initial packets (RFC 9001 5: AES-128-GCM
 * payload, AES-128-ECB header protection). The reader under test is in
 * src/quic*.c; only the key schedule is shared with it, and the RFC 9001
 * and RFC 9369 sample packets check both sides. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "egressd/quic.h"

/* A varint in the shortest encoding (or in n bytes if n is 1, 2, 4, 8). */
size_t qb_varint(uint8_t *p, uint64_t v, size_t n);
/* A CRYPTO frame: type | offset | length | data. */
size_t qb_crypto(uint8_t *p, uint64_t off, const uint8_t *data, size_t len);

/* A TLS 1.3 ClientHello handshake message (no record) claiming sni (none
 * if NULL) with a padding extension of pad bytes (Chromium's post-quantum
 * key share makes its hello ~2 KB). Returns its length. */
size_t qb_hello(uint8_t *out, const char *sni, size_t pad);

struct qb_initial {
	uint32_t version;
	const uint8_t *dcid, *scid, *token;
	size_t dcid_len, scid_len, token_len;
	uint64_t pn;
	size_t pn_len; /* 1..4 */
	const uint8_t *frames;
	size_t frames_len;
	size_t size; /* PADDING frames are added up to this packet size */
};

/* Seals a client Initial with keys k (those of the connection's original
 * DCID). Returns the packet's length, or 0 if out (cap bytes) is short. */
size_t qb_initial(uint8_t *out, size_t cap, const struct qb_initial *in,
		  const struct quic_keys *k);
