/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QUIC client Initial packets (RFC 9000 17.2.2, RFC 9001 5; version 2:
 * RFC 9369). Their payload is protected with keys that anyone can derive
 * from the client's Destination Connection ID, so the ClientHello they carry
 * in CRYPTO frames can be read on the path: the names a QUIC flow claims
 * (SNI) are judged like those of TLS over TCP.
 *
 * Layers, each usable alone: quic_parse_header() reads one long-header
 * packet of a datagram; quic_initial_keys() and quic_initial_open() decrypt
 * a client Initial; quic_frame_next() walks its frames; struct quic_crypto
 * reassembles the CRYPTO stream by offset; struct quic_flow does all of it
 * for the datagrams of one UDP flow.
 *
 * Pure: no I/O, no logging, no clock. libcrypto computes HKDF and AES. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/limits.h"
#include "egressd/tls.h"

enum {
	QUIC_V1 = 0x00000001, /* RFC 9000 */
	QUIC_V2 = 0x6b3343cf, /* RFC 9369 */
};

/* Long-header packet types, the same for every version (the wire values
 * differ between v1 and v2; quic_parse_header() maps them). */
enum quic_packet_type {
	QUIC_PKT_INITIAL,
	QUIC_PKT_0RTT,
	QUIC_PKT_HANDSHAKE,
	QUIC_PKT_RETRY,
};

/* Frame types allowed in a client Initial (RFC 9000 12.4, table 3). */
enum {
	QUIC_FRAME_PADDING = 0x00,
	QUIC_FRAME_PING = 0x01,
	QUIC_FRAME_ACK = 0x02,
	QUIC_FRAME_ACK_ECN = 0x03,
	QUIC_FRAME_CRYPTO = 0x06,
	QUIC_FRAME_CONNECTION_CLOSE = 0x1c,
};

/* Client Initial packet protection (RFC 9001 5.2): AEAD_AES_128_GCM key and
 * IV, AES-128 header protection key. */
struct quic_keys {
	uint8_t key[16];
	uint8_t iv[12];
	uint8_t hp[16];
};

/* A long-header packet as read before decryption. */
struct quic_header {
	uint32_t version;
	enum quic_packet_type type;
	uint8_t dcid_len, scid_len;
	uint8_t dcid[QUIC_CID_MAX], scid[QUIC_CID_MAX];
	size_t token_len; /* Initial only */
	size_t pn_offset; /* from the packet's first byte (not Retry) */
	size_t len; /* the whole packet, header and protected payload */
};

/* Reads the long header at the start of p, which holds the rest of a UDP
 * datagram. Returns 0; -ENOMSG for a short header (a 1-RTT packet runs to
 * the end of the datagram, so nothing after it is a long header) or an empty
 * p; -EPROTONOSUPPORT for a version other than QUIC_V1 and QUIC_V2
 * (ret->version is set; the rest of the datagram cannot be read); -EBADMSG
 * when the header or its Length runs past the datagram, a connection ID is
 * longer than QUIC_CID_MAX, or the packet is too short to hold a packet
 * number and a header protection sample. A Retry takes the rest of p. */
int quic_parse_header(const uint8_t *p, size_t len, struct quic_header *ret);

/* Derives a client Initial's keys from the Destination Connection ID of the
 * client's first Initial (RFC 9001 5.2; v2: RFC 9369 3.3). Returns 0;
 * -EPROTONOSUPPORT for another version; -EINVAL for a dcid longer than
 * QUIC_CID_MAX; -EIO when libcrypto fails. */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *ret);

/* Removes header protection from the Initial packet p (h from
 * quic_parse_header()) and decrypts its payload into plain, which must hold
 * h->len bytes. largest_pn is the largest packet number read so far on this
 * connection, or -1: the truncated number on the wire is expanded around it
 * (RFC 9000 A.3). On success writes the frames' length to *ret_len and the
 * packet number to *ret_pn and returns 0. -EBADMSG when the packet does not
 * authenticate with these keys (other keys, corrupted, forged) or holds no
 * frame; -EIO when libcrypto fails. p is not modified. */
int quic_initial_open(const uint8_t *p, const struct quic_header *h,
		      const struct quic_keys *k, int64_t largest_pn,
		      uint8_t *plain, size_t *ret_len, uint64_t *ret_pn);

/* One frame of a decrypted Initial payload. A run of PADDING bytes is one
 * frame; data and len are set for CRYPTO only, offset for CRYPTO only. */
struct quic_frame {
	uint64_t type;
	uint64_t offset;
	const uint8_t *data;
	size_t len;
};

struct cursor;
/* Reads the next frame of an Initial payload. Returns 1 with *ret, 0 at the
 * end of the payload, -EBADMSG for a frame that runs past the payload, a
 * CRYPTO frame that ends past 2^62 - 1, an ACK with more ranges than its
 * bytes can hold, or a frame type not allowed in an Initial (STREAM,
 * NEW_TOKEN, application CONNECTION_CLOSE 0x1d, ...). The frame type is read
 * as the varint it is; a longer encoding than needed is accepted, as most
 * stacks do. */
int quic_frame_next(struct cursor *c, struct quic_frame *ret);

/* The CRYPTO stream of a client's Initials, reassembled by offset: what a
 * Chromium sends scrambled over frames and packets. Holds the stream's
 * first TLS_HELLO_MAX bytes at most, allocated as data arrives (2 KiB, then
 * doubling), and which of them are here. Zero-initialise it; free it with
 * quic_crypto_free(). */
struct quic_crypto {
	uint8_t *buf; /* cap data bytes, then a bitmap of cap bits */
	size_t cap;
	size_t contig; /* bytes [0, contig) are all here */
	size_t end; /* 1 + the largest offset received */
};

/* Adds the data of one CRYPTO frame. Data already held must be the same
 * (RFC 9000 2.2: it must not change when sent again). Returns 0; -EBADMSG
 * when held bytes differ (a client showing us one hello and the server
 * another); -E2BIG when the data ends past TLS_HELLO_MAX; -ENOMEM. On an
 * error nothing is added. */
int quic_crypto_add(struct quic_crypto *s, uint64_t offset,
		    const uint8_t *data, size_t len);

/* Reads the ClientHello at the start of the stream (with
 * tls_parse_client_hello_msg()). Returns 0 with *ret when it is complete;
 * -EAGAIN when bytes of it are still missing; -EBADMSG when the stream is
 * not a ClientHello or is malformed; -E2BIG when it is longer than
 * TLS_HELLO_MAX. A client answers a HelloRetryRequest with a second
 * ClientHello after the first (RFC 8446 4.1.2: with the same names); once
 * that one is complete, names that differ from the first's, or any byte
 * after it, make the stream -EBADMSG. */
int quic_crypto_hello(const struct quic_crypto *s, struct tls_hello *ret);

void quic_crypto_free(struct quic_crypto *s);

/* What the caller keeps per UDP flow (one client address and port to one
 * server address and port) to read the ClientHello of the QUIC connection
 * the flow carries. The first client Initial read binds the flow to its
 * connection: its Destination Connection ID (the original one) gives the
 * keys of every later Initial of that connection, whatever DCID those
 * carry (the server's after its reply). Zero-initialise it; free it with
 * quic_flow_free(). */
struct quic_flow {
	struct quic_crypto crypto;
	bool bound;
	bool has_pn;
	uint8_t odcid_len;
	uint8_t odcid[QUIC_CID_MAX];
	uint32_t version; /* of keys */
	struct quic_keys keys;
	uint64_t largest_pn;
	unsigned initials; /* client Initial packets read */
	int err; /* once the stream is unreadable, every call returns it */
};

/* Reads one UDP datagram the client sent: its long-header packets in order
 * (coalesced packets; RFC 9000 12.2), the client Initials of QUIC_V1 and
 * QUIC_V2 decrypted and their CRYPTO frames added to the stream. Packets
 * after one whose DCID differs from the first packet's are ignored, as
 * servers do; 0-RTT and Handshake packets are skipped; a short header ends
 * the datagram.
 *
 * Returns, for the datagram just read:
 *   0        the ClientHello is complete: *ret holds it (its names judged).
 *            Every later datagram of the connection returns 0 again with it,
 *            as long as what they carry agrees, so feed every client
 *            Initial: a second connection or a disagreeing retransmission
 *            is then seen.
 *   -EAGAIN  Initials were read and bytes of the hello are still missing:
 *            Chromium's ~2 KB post-quantum hello needs two Initials, sent
 *            without waiting for the server.
 *   -ENOMSG  no client Initial in this datagram: short header (1-RTT, or
 *            not QUIC at all), 0-RTT or Handshake packets only.
 *   -EXDEV   the Initial belongs to another QUIC connection on the same UDP
 *            flow (it decrypts with keys of its own DCID, not the bound
 *            ones): read it with a new struct quic_flow. A client answering
 *            a Retry does this too (RFC 9000 17.2.5.2), with the same hello.
 *   -EPROTONOSUPPORT  the first packet is of another QUIC version (draft,
 *            Google QUIC, version 0): it cannot be read.
 *   -EBADMSG the datagram or the stream is unreadable: malformed packet or
 *            frame, a packet that does not decrypt, a frame type not
 *            allowed in an Initial; and, for every later call too, CRYPTO
 *            data that disagrees with what was read, a stream that is not a
 *            ClientHello, a second hello with other names.
 *   -E2BIG   CRYPTO data or the hello past TLS_HELLO_MAX (sticky too).
 *   -ENOMEM, -EIO  resources or libcrypto failed; nothing was added.
 * Whatever a datagram returns, the CRYPTO data of its packets read before
 * the failing one stays. ret is written only when 0 is returned. */
int quic_flow_feed(struct quic_flow *f, const uint8_t *dgram, size_t len,
		   struct tls_hello *ret);

void quic_flow_free(struct quic_flow *f);

/* True if the datagram starts with a client Initial of QUIC_V1 or QUIC_V2:
 * long header, known version, Initial type. A cheap test on the first 5
 * bytes for a caller that decides which UDP flows to follow. */
bool quic_is_initial(const uint8_t *p, size_t len);
