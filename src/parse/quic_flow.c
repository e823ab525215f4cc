// SPDX-License-Identifier: GPL-2.0-or-later
/* The datagrams of one UDP flow, from the client: its QUIC connection's
 * Initials decrypted and their CRYPTO data reassembled into the
 * ClientHello. */
#include "egressd/quic.h"

#include <errno.h>
#include <string.h>

#include "egressd/cursor.h"

static bool same_cid(const uint8_t *a, size_t a_len, const uint8_t *b,
		     size_t b_len)
{
	return a_len == b_len && !memcmp(a, b, a_len);
}

/* Every frame is checked before any CRYPTO data is added, so that a packet
 * with a forbidden frame adds nothing. A CRYPTO error (data that disagrees,
 * past the bound) makes the stream unreadable for good. */
static int add_frames(struct quic_flow *f, const uint8_t *plain, size_t len)
{
	struct quic_frame fr;
	struct cursor c;
	int r;

	cursor_init(&c, plain, len);
	while ((r = quic_frame_next(&c, &fr)) > 0)
		;
	if (r)
		return r;
	cursor_init(&c, plain, len);
	while (quic_frame_next(&c, &fr) > 0) {
		if (fr.type != QUIC_FRAME_CRYPTO)
			continue;
		r = quic_crypto_add(&f->crypto, fr.offset, fr.data, fr.len);
		if (r == -EBADMSG || r == -E2BIG)
			f->err = r;
		if (r)
			return r;
	}
	return 0;
}

/* Opens p with the keys of the connection's original DCID; a version
 * other than the bound one (compatible version negotiation, RFC 9368)
 * derives them again for that version. */
static int open_bound(const struct quic_flow *f, const uint8_t *p,
		      const struct quic_header *h, uint8_t *plain,
		      size_t *len, uint64_t *pn)
{
	struct quic_keys k = f->keys;
	int64_t largest = f->has_pn ? (int64_t)f->largest_pn : -1;
	int r;

	if (h->version != f->version) {
		r = quic_initial_keys(h->version, f->odcid, f->odcid_len, &k);
		if (r)
			return r;
	}
	return quic_initial_open(p, h, &k, largest, plain, len, pn);
}

/* A packet the bound keys do not open: of another connection if its own
 * DCID's keys open it, else unreadable. */
static int open_other(const uint8_t *p, const struct quic_header *h,
		      uint8_t *plain)
{
	struct quic_keys k;
	size_t len;
	uint64_t pn;
	int r;

	r = quic_initial_keys(h->version, h->dcid, h->dcid_len, &k);
	if (r)
		return r;
	r = quic_initial_open(p, h, &k, -1, plain, &len, &pn);
	return r ? r : -EXDEV;
}

static void bind_flow(struct quic_flow *f, const struct quic_header *h,
		      const struct quic_keys *k)
{
	f->bound = true;
	f->version = h->version;
	f->keys = *k;
	f->odcid_len = h->dcid_len;
	memcpy(f->odcid, h->dcid, h->dcid_len);
}

static int read_initial(struct quic_flow *f, const uint8_t *p,
			const struct quic_header *h)
{
	static _Thread_local uint8_t plain[QUIC_DATAGRAM_MAX];
	struct quic_keys k;
	size_t len;
	uint64_t pn;
	int r;

	if (!f->bound) {
		r = quic_initial_keys(h->version, h->dcid, h->dcid_len, &k);
		if (!r)
			r = quic_initial_open(p, h, &k, -1, plain, &len, &pn);
		if (!r)
			r = add_frames(f, plain, len);
		if (r)
			return r;
		bind_flow(f, h, &k);
	} else {
		r = open_bound(f, p, h, plain, &len, &pn);
		if (r == -EBADMSG &&
		    !same_cid(h->dcid, h->dcid_len, f->odcid, f->odcid_len))
			return open_other(p, h, plain);
		if (!r)
			r = add_frames(f, plain, len);
		if (r)
			return r;
	}
	if (!f->has_pn || pn > f->largest_pn)
		f->largest_pn = pn;
	f->has_pn = true;
	f->initials++;
	return 0;
}

/* Reads the packets of a datagram in order. Returns the number of client
 * Initials read, -EPROTONOSUPPORT when the first packet is of an unknown
 * version, or the first error of an Initial. */
static int read_packets(struct quic_flow *f, const uint8_t *d, size_t len)
{
	struct quic_header h, first;
	size_t pos = 0;
	int n = 0, initials = 0, r;

	while (pos < len) {
		r = quic_parse_header(d + pos, len - pos, &h);
		if (r == -ENOMSG || (r == -EPROTONOSUPPORT && n))
			break;
		if (r)
			return r;
		if (++n > QUIC_COALESCED_MAX)
			return -EBADMSG;
		if (n == 1)
			first = h;
		else if (!same_cid(h.dcid, h.dcid_len, first.dcid,
				   first.dcid_len))
			break; /* RFC 9000 12.2: servers ignore it too */
		if (h.type == QUIC_PKT_INITIAL) {
			r = read_initial(f, d + pos, &h);
			if (r)
				return r;
			initials++;
		}
		pos += h.len;
	}
	return initials;
}

int quic_flow_feed(struct quic_flow *f, const uint8_t *dgram, size_t len,
		   struct tls_hello *ret)
{
	int r;

	if (f->err)
		return f->err;
	if (len > QUIC_DATAGRAM_MAX)
		return -EBADMSG;
	r = read_packets(f, dgram, len);
	if (r < 0)
		return r;
	if (!r)
		return -ENOMSG;
	r = quic_crypto_hello(&f->crypto, ret);
	if (r == -EBADMSG || r == -E2BIG)
		f->err = r;
	return r;
}

void quic_flow_free(struct quic_flow *f)
{
	quic_crypto_free(&f->crypto);
	memset(f, 0, sizeof(*f));
}
