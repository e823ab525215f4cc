// SPDX-License-Identifier: GPL-2.0-or-later
/* The CRYPTO stream of a QUIC client's Initials, reassembled by offset.
 * Chromium sends its hello in frames of random size and order ("chaos
 * protection") over two packets, and retransmits it split differently: a
 * byte may arrive several times, and must be the same every time. */
#include "egressd/quic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool have(const struct quic_crypto *s, size_t i)
{
	return s->buf[s->cap + i / 8] >> (i % 8) & 1;
}

static void set_have(struct quic_crypto *s, size_t i)
{
	s->buf[s->cap + i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Grows buf to hold the stream up to need bytes: the data, then the
 * bitmap, so both move when it grows. */
static int reserve(struct quic_crypto *s, size_t need)
{
	size_t cap = s->cap ? s->cap : QUIC_CRYPTO_CAP_MIN;
	uint8_t *p;

	if (need <= s->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > TLS_HELLO_MAX)
		cap = TLS_HELLO_MAX;
	p = calloc(1, cap + cap / 8);
	if (!p)
		return -ENOMEM;
	if (s->buf) {
		memcpy(p, s->buf, s->cap);
		memcpy(p + cap, s->buf + s->cap, s->cap / 8);
		free(s->buf);
	}
	s->buf = p;
	s->cap = cap;
	return 0;
}

int quic_crypto_add(struct quic_crypto *s, uint64_t offset,
		    const uint8_t *data, size_t len)
{
	size_t off, i;
	int r;

	if (!len)
		return 0;
	if (offset > TLS_HELLO_MAX || len > TLS_HELLO_MAX - offset)
		return -E2BIG;
	off = (size_t)offset;
	r = reserve(s, off + len);
	if (r)
		return r;
	for (i = 0; i < len; i++)
		if (have(s, off + i) && s->buf[off + i] != data[i])
			return -EBADMSG;
	for (i = 0; i < len; i++) {
		s->buf[off + i] = data[i];
		set_have(s, off + i);
	}
	if (off + len > s->end)
		s->end = off + len;
	while (s->contig < s->end && have(s, s->contig))
		s->contig++;
	return 0;
}

static bool same_names(const struct tls_hello *a, const struct tls_hello *b)
{
	if (a->nsni != b->nsni)
		return false;
	for (unsigned i = 0; i < a->nsni; i++)
		if (strcmp(a->sni_names[i], b->sni_names[i]))
			return false;
	return true;
}

/* A second ClientHello after the first (the answer to a HelloRetryRequest)
 * must claim the same names and end the stream. Returns 0 while it is
 * incomplete, so that the first hello's verdict stands until then. */
static int check_second(const struct quic_crypto *s,
			const struct tls_hello *first)
{
	size_t n1 = first->stream_len;
	struct tls_hello h;
	int r;

	if (s->end <= n1)
		return 0;
	r = tls_parse_client_hello_msg(s->buf + n1, s->contig - n1, &h);
	if (r == -EAGAIN)
		return 0;
	if (r)
		return r;
	if (!same_names(first, &h) || s->end > n1 + h.stream_len)
		return -EBADMSG;
	return 0;
}

int quic_crypto_hello(const struct quic_crypto *s, struct tls_hello *ret)
{
	struct tls_hello h;
	int r;

	r = tls_parse_client_hello_msg(s->buf, s->contig, &h);
	if (r)
		return r;
	r = check_second(s, &h);
	if (r)
		return r;
	*ret = h;
	return 0;
}

void quic_crypto_free(struct quic_crypto *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}
