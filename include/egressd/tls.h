/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TLS ClientHello (TLS 1.0 - 1.3 record layout): SNI host_name, ALPN, and
 * whether an Encrypted ClientHello extension is present. Pure: no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/limits.h"

enum {
	TLS_EXT_SNI = 0,
	TLS_EXT_ALPN = 16,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
	TLS_EXT_ECH = 0xfe0d,
};

/* The names a hello claims: host_name entries of server_name extensions,
 * normalised, in wire order. RFC 6066 allows one; a second (in the same list
 * or in a second server_name extension) is kept so that the caller judges
 * both, since servers differ in which one they use; a third is refused.
 * has_sni and sni keep their meaning: there is a name, and the first one. */
struct tls_hello {
	bool has_sni; /* nsni > 0 */
	unsigned nsni; /* 0 .. TLS_SNI_MAX */
	union {
		char sni[DOMAIN_TEXT_MAX + 1]; /* the first name */
		char sni_names[TLS_SNI_MAX][DOMAIN_TEXT_MAX + 1];
	};
	unsigned n_alpn;
	char alpn[TLS_ALPN_MAX][TLS_ALPN_LEN_MAX + 1];
	bool ech;
	bool tls13; /* supported_versions offers 0x0304 */
	uint16_t legacy_version;
	size_t stream_len; /* input bytes the hello took (records or message) */
};

/* True if the first bytes of a stream can be a TLS handshake record; with
 * fewer than 3 bytes it answers from what is there. */
bool tls_is_handshake(const uint8_t *p, size_t len);

/* Parses the ClientHello at the start of a TCP stream. The hello may span
 * several TLS records and any number of TCP segments: pass every in-order
 * byte seen so far. Returns 0; -EAGAIN when more bytes are needed;
 * -EBADMSG when this is not a well-formed ClientHello (other record type,
 * SSLv2 hello, bad lengths, duplicate extension other than server_name,
 * more than TLS_SNI_MAX names or server_name extensions,
 * invalid host name); -E2BIG when the hello is longer than TLS_HELLO_MAX. */
int tls_parse_client_hello(const uint8_t *stream, size_t len,
			   struct tls_hello *ret);

/* Parses a ClientHello handshake message without the record layer, as
 * QUIC's CRYPTO stream carries it (RFC 9001 4.1.3): msg_type 1, a 24-bit
 * length, the body. Pass the stream from its offset 0, as much as is
 * contiguous; bytes after the message are ignored. Returns 0 (stream_len is
 * the message's length); -EAGAIN when the message is not complete yet;
 * -EBADMSG and -E2BIG as tls_parse_client_hello, decided from the first
 * bytes when they suffice (another message type, a length over
 * TLS_HELLO_MAX). */
int tls_parse_client_hello_msg(const uint8_t *msg, size_t len,
			       struct tls_hello *ret);
