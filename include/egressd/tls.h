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

struct tls_hello {
	bool has_sni;
	char sni[DOMAIN_TEXT_MAX + 1]; /* normalised */
	unsigned n_alpn;
	char alpn[TLS_ALPN_MAX][TLS_ALPN_LEN_MAX + 1];
	bool ech;
	bool tls13; /* supported_versions offers 0x0304 */
	uint16_t legacy_version;
	size_t stream_len; /* stream bytes the hello's records took */
};

/* True if the first bytes of a stream can be a TLS handshake record; with
 * fewer than 3 bytes it answers from what is there. */
bool tls_is_handshake(const uint8_t *p, size_t len);

/* Parses the ClientHello at the start of a TCP stream. The hello may span
 * several TLS records and any number of TCP segments: pass every in-order
 * byte seen so far. Returns 0; -EAGAIN when more bytes are needed;
 * -EBADMSG when this is not a well-formed ClientHello (other record type,
 * SSLv2 hello, bad lengths, duplicate extension, invalid host name);
 * -E2BIG when the hello is longer than TLS_HELLO_MAX. */
int tls_parse_client_hello(const uint8_t *stream, size_t len,
			   struct tls_hello *ret);
