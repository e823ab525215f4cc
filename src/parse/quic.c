// SPDX-License-Identifier: GPL-2.0-or-later
/* QUIC client Initials: long headers, Initial keys, header protection,
 * payload decryption, frames. The CRYPTO stream is in quic_crypto.c. */
#include "egressd/quic.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "egressd/cursor.h"

#define QUIC_VARINT_MAX ((UINT64_C(1) << 62) - 1)
#define QUIC_TAG_LEN 16
#define QUIC_SAMPLE_LEN 16
#define QUIC_PN_LEN_MAX 4

/* What differs between the versions for a client Initial. */
struct quic_version {
	uint32_t version;
	uint8_t salt[20]; /* RFC 9001 5.2; RFC 9369 3.3.1 */
	const char *key, *iv, *hp; /* HKDF labels; RFC 9369 3.3.2 */
	uint8_t wire_type[4]; /* enum quic_packet_type -> 2-bit wire value */
};

static const struct quic_version versions[] = {
	{ QUIC_V1,
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic key", "quic iv", "quic hp", { 0, 1, 2, 3 } },
	{ QUIC_V2,
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2 key", "quicv2 iv", "quicv2 hp", { 1, 2, 3, 0 } },
};

static const struct quic_version *version_find(uint32_t version)
{
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i].version == version)
			return &versions[i];
	return NULL;
}

static enum quic_packet_type packet_type(const struct quic_version *v,
					 uint8_t first)
{
	unsigned wire = (first >> 4) & 3, t = 0;

	while (v->wire_type[t] != wire)
		t++; /* wire_type is a permutation of 0..3 */
	return (enum quic_packet_type)t;
}

/* RFC 9000 16: the two high bits of the first byte give the length. */
static int cursor_varint(struct cursor *c, uint64_t *ret)
{
	uint8_t b;
	uint64_t v;
	size_t n;

	if (cursor_u8(c, &b))
		return -EMSGSIZE;
	n = (size_t)1 << (b >> 6);
	v = b & 0x3f;
	if (cursor_need(c, n - 1)) {
		c->pos--;
		return -EMSGSIZE;
	}
	for (size_t i = 1; i < n; i++)
		v = v << 8 | cursor_ptr(c)[i - 1];
	c->pos += n - 1;
	*ret = v;
	return 0;
}

static int read_cid(struct cursor *c, uint8_t *len, uint8_t *cid)
{
	const uint8_t *p;

	if (cursor_u8(c, len) || *len > QUIC_CID_MAX ||
	    cursor_bytes(c, *len, &p))
		return -EBADMSG;
	memcpy(cid, p, *len);
	return 0;
}

/*  long header: 1 | fixed 1 | type 2 | reserved 2 | pn length 2 (the low
 *  four bits under header protection) | version u32 | dcid len u8 | dcid |
 *  scid len u8 | scid | Initial: token length (i) | token |
 *  not Retry: length (i) = packet number + protected payload */
int quic_parse_header(const uint8_t *p, size_t len, struct quic_header *ret)
{
	const struct quic_version *v;
	struct quic_header h = { 0 };
	struct cursor c;
	uint64_t n;
	uint8_t first;

	cursor_init(&c, p, len);
	if (cursor_u8(&c, &first) || !(first & 0x80))
		return -ENOMSG;
	if (cursor_u32(&c, &h.version))
		return -EBADMSG;
	v = version_find(h.version);
	if (!v) {
		ret->version = h.version;
		return -EPROTONOSUPPORT;
	}
	h.type = packet_type(v, first);
	if (read_cid(&c, &h.dcid_len, h.dcid) ||
	    read_cid(&c, &h.scid_len, h.scid))
		return -EBADMSG;
	if (h.type == QUIC_PKT_RETRY) {
		h.len = len;
		*ret = h;
		return 0;
	}
	if (h.type == QUIC_PKT_INITIAL) {
		if (cursor_varint(&c, &n) || cursor_skip(&c, n))
			return -EBADMSG;
		h.token_len = n;
	}
	/* The sample is taken 4 bytes after the packet number's start,
	 * whatever its length (RFC 9001 5.4.2). */
	if (cursor_varint(&c, &n) || n > cursor_left(&c) ||
	    n < QUIC_PN_LEN_MAX + QUIC_SAMPLE_LEN)
		return -EBADMSG;
	h.pn_offset = c.pos;
	h.len = c.pos + n;
	*ret = h;
	return 0;
}

bool quic_is_initial(const uint8_t *p, size_t len)
{
	const struct quic_version *v;

	if (len < 5 || !(p[0] & 0x80))
		return false;
	v = version_find((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
			 (uint32_t)p[3] << 8 | p[4]);
	return v && packet_type(v, p[0]) == QUIC_PKT_INITIAL;
}

/* HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of
 * one SHA-256 block at most: T(1) = HMAC(secret, info | 0x01). */
static int expand_label(const uint8_t secret[32], const char *label,
			uint8_t *out, size_t out_len)
{
	uint8_t info[2 + 1 + 6 + 32 + 1 + 1], t[32];
	size_t l = strlen(label), n = 0;
	unsigned t_len = 0;

	info[n++] = 0, info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(6 + l);
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, l);
	n += 6 + l;
	info[n++] = 0; /* context */
	info[n++] = 1; /* block counter */
	if (!HMAC(EVP_sha256(), secret, 32, info, n, t, &t_len) || t_len != 32)
		return -EIO;
	memcpy(out, t, out_len);
	return 0;
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t dcid_len,
		      struct quic_keys *ret)
{
	static const uint8_t none;
	const struct quic_version *v = version_find(version);
	uint8_t initial[32], client[32];
	struct quic_keys k;
	unsigned n = 0;

	if (!v)
		return -EPROTONOSUPPORT;
	if (dcid_len > QUIC_CID_MAX)
		return -EINVAL;
	/* HKDF-Extract(salt, dcid) is HMAC(salt, dcid) */
	if (!HMAC(EVP_sha256(), v->salt, sizeof(v->salt),
		  dcid_len ? dcid : &none, dcid_len, initial, &n) || n != 32)
		return -EIO;
	if (expand_label(initial, "client in", client, sizeof(client)) ||
	    expand_label(client, v->key, k.key, sizeof(k.key)) ||
	    expand_label(client, v->iv, k.iv, sizeof(k.iv)) ||
	    expand_label(client, v->hp, k.hp, sizeof(k.hp)))
		return -EIO;
	*ret = k;
	return 0;
}

/* RFC 9001 5.4.3: mask = AES-ECB(hp, sample). */
static int hp_mask(const uint8_t hp[16], const uint8_t *sample,
		   uint8_t mask[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	if (!ctx)
		return -EIO;
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, hp, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_EncryptUpdate(ctx, mask, &n, sample, QUIC_SAMPLE_LEN) &&
	     n == 16;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* AEAD_AES_128_GCM open; -EBADMSG when the tag does not verify. */
static int gcm_open(const struct quic_keys *k, const uint8_t nonce[12],
		    const uint8_t *aad, size_t aad_len, const uint8_t *ct,
		    size_t ct_len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -EIO;

	if (!ctx)
		return -EIO;
	if (!EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) ||
	    !EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) ||
	    (ct_len && !EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len)) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, QUIC_TAG_LEN,
				 (void *)(ct + ct_len)))
		goto out;
	r = EVP_DecryptFinal_ex(ctx, out + ct_len, &n) > 0 ? 0 : -EBADMSG;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* RFC 9000 A.3: the full packet number closest to largest + 1. */
static uint64_t pn_expand(int64_t largest, uint64_t truncated, size_t pn_len)
{
	int64_t expected = largest + 1;
	int64_t win = (int64_t)1 << (8 * pn_len), hwin = win / 2;
	int64_t cand = (expected & ~(win - 1)) | (int64_t)truncated;

	if (cand <= expected - hwin && cand < (int64_t)QUIC_VARINT_MAX - win)
		return (uint64_t)(cand + win);
	if (cand > expected + hwin && cand >= win)
		return (uint64_t)(cand - win);
	return (uint64_t)cand;
}

int quic_initial_open(const uint8_t *p, const struct quic_header *h,
		      const struct quic_keys *k, int64_t largest_pn,
		      uint8_t *plain, size_t *ret_len, uint64_t *ret_pn)
{
	uint8_t mask[16], nonce[12];
	size_t pn_len, hlen, ct_len;
	uint64_t pn = 0;
	uint8_t *aad;
	int r;

	r = hp_mask(k->hp, p + h->pn_offset + QUIC_PN_LEN_MAX, mask);
	if (r)
		return r;
	/* Long header: the low 4 bits of the first byte are protected. */
	pn_len = (size_t)((p[0] ^ mask[0]) & 3) + 1;
	hlen = h->pn_offset + pn_len;
	ct_len = h->len - hlen - QUIC_TAG_LEN; /* Length >= 20 > pn + tag */
	/* plain: the frames first, then the unprotected header (the AAD) */
	aad = plain + ct_len;
	memcpy(aad, p, hlen);
	aad[0] ^= mask[0] & 0x0f;
	for (size_t i = 0; i < pn_len; i++) {
		aad[h->pn_offset + i] ^= mask[1 + i];
		pn = pn << 8 | aad[h->pn_offset + i];
	}
	pn = pn_expand(largest_pn, pn, pn_len);
	memcpy(nonce, k->iv, sizeof(nonce));
	for (size_t i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(pn >> (56 - 8 * i));
	r = gcm_open(k, nonce, aad, hlen, p + hlen, ct_len, plain);
	if (r)
		return r;
	if (!ct_len)
		return -EBADMSG; /* RFC 9000 12.4: at least one frame */
	*ret_len = ct_len;
	*ret_pn = pn;
	return 0;
}

/* ACK (RFC 9000 19.3): largest | delay | range count | first range |
 * ranges (gap, length) | ECN counts (type 0x03). Each range takes two
 * bytes at least: a count the bytes cannot hold is refused at once. */
static int skip_ack(struct cursor *c, uint64_t type)
{
	uint64_t v, count;

	if (cursor_varint(c, &v) || cursor_varint(c, &v) ||
	    cursor_varint(c, &count) || cursor_varint(c, &v) ||
	    count > cursor_left(c) / 2)
		return -EBADMSG;
	for (uint64_t i = 0; i < 2 * count; i++)
		if (cursor_varint(c, &v))
			return -EBADMSG;
	for (int i = 0; type == QUIC_FRAME_ACK_ECN && i < 3; i++)
		if (cursor_varint(c, &v))
			return -EBADMSG;
	return 0;
}

/* CRYPTO (RFC 9000 19.6): offset | length | data. */
static int read_crypto(struct cursor *c, struct quic_frame *f)
{
	uint64_t len;

	if (cursor_varint(c, &f->offset) || cursor_varint(c, &len) ||
	    len > cursor_left(c) || f->offset + len > QUIC_VARINT_MAX)
		return -EBADMSG;
	f->len = len;
	return cursor_bytes(c, f->len, &f->data) ? -EBADMSG : 0;
}

/* CONNECTION_CLOSE of the transport (RFC 9000 19.19): error code | frame
 * type | reason length | reason. */
static int skip_close(struct cursor *c)
{
	uint64_t v, len;

	if (cursor_varint(c, &v) || cursor_varint(c, &v) ||
	    cursor_varint(c, &len) || len > cursor_left(c))
		return -EBADMSG;
	return cursor_skip(c, len) ? -EBADMSG : 0;
}

int quic_frame_next(struct cursor *c, struct quic_frame *ret)
{
	struct quic_frame f = { 0 };
	int r = 0;

	if (!cursor_left(c))
		return 0;
	if (cursor_varint(c, &f.type))
		return -EBADMSG;
	switch (f.type) {
	case QUIC_FRAME_PADDING:
		while (cursor_left(c) && !*cursor_ptr(c))
			c->pos++;
		break;
	case QUIC_FRAME_PING:
		break;
	case QUIC_FRAME_ACK:
	case QUIC_FRAME_ACK_ECN:
		r = skip_ack(c, f.type);
		break;
	case QUIC_FRAME_CRYPTO:
		r = read_crypto(c, &f);
		break;
	case QUIC_FRAME_CONNECTION_CLOSE:
		r = skip_close(c);
		break;
	default:
		return -EBADMSG;
	}
	if (r)
		return r;
	*ret = f;
	return 1;
}
