// SPDX-License-Identifier: GPL-2.0-or-later
#include "quic_build.h"

#include <string.h>

#include <openssl/evp.h>

size_t qb_varint(uint8_t *p, uint64_t v, size_t n)
{
	static const uint8_t prefix[9] = { 0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0 };

	if (!n)
		n = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	p[0] |= prefix[n];
	return n;
}

size_t qb_crypto(uint8_t *p, uint64_t off, const uint8_t *data, size_t len)
{
	size_t n = 0;

	p[n++] = QUIC_FRAME_CRYPTO;
	n += qb_varint(p + n, off, 0);
	n += qb_varint(p + n, len, 0);
	memcpy(p + n, data, len);
	return n + len;
}

static size_t put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
	return 2;
}

size_t qb_hello(uint8_t *out, const char *sni, size_t pad)
{
	size_t n = 4, ext, l = sni ? strlen(sni) : 0;

	n += put16(out + n, 0x0303); /* legacy_version */
	memset(out + n, 0x5a, 32); /* random */
	n += 32;
	out[n++] = 0; /* session id */
	n += put16(out + n, 2), n += put16(out + n, 0x1301); /* suites */
	out[n++] = 1, out[n++] = 0; /* compression: null */
	ext = n, n += 2;
	if (sni) { /* server_name: list of one host_name */
		n += put16(out + n, 0), n += put16(out + n, l + 5);
		n += put16(out + n, l + 3);
		out[n++] = 0, n += put16(out + n, l);
		memcpy(out + n, sni, l), n += l;
	}
	/* supported_versions: TLS 1.3 */
	n += put16(out + n, 43), n += put16(out + n, 3);
	out[n++] = 2, n += put16(out + n, 0x0304);
	n += put16(out + n, 21), n += put16(out + n, pad); /* padding */
	memset(out + n, 0, pad), n += pad;
	put16(out + ext, n - ext - 2);
	out[0] = 1; /* ClientHello */
	out[1] = (uint8_t)((n - 4) >> 16), out[2] = (uint8_t)((n - 4) >> 8);
	out[3] = (uint8_t)(n - 4);
	return n;
}

static int seal(const struct quic_keys *k, uint64_t pn, const uint8_t *aad,
		size_t aad_len, const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t nonce[12];
	int n, ok;

	memcpy(nonce, k->iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(pn >> (56 - 8 * i));
	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, k->key, nonce) &&
	     EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) &&
	     EVP_EncryptUpdate(ctx, out, &n, pt, (int)len) &&
	     EVP_EncryptFinal_ex(ctx, out + len, &n) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + len);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int protect_header(const struct quic_keys *k, uint8_t *pkt,
			  size_t pn_offset, size_t pn_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t mask[16];
	int n, ok;

	ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, k->hp, NULL) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_EncryptUpdate(ctx, mask, &n, pkt + pn_offset + 4, 16);
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
		return -1;
	pkt[0] ^= mask[0] & 0x0f;
	for (size_t i = 0; i < pn_len; i++)
		pkt[pn_offset + i] ^= mask[1 + i];
	return 0;
}

static void put(uint8_t *out, size_t *n, const uint8_t *p, size_t len)
{
	if (len)
		memcpy(out + *n, p, len);
	*n += len;
}

size_t qb_initial(uint8_t *out, size_t cap, const struct qb_initial *in,
		  const struct quic_keys *k)
{
	static uint8_t pt[QUIC_DATAGRAM_MAX];
	size_t n = 0, hdr, pn_offset, body, len = in->frames_len;

	/* header size: first, version, CIDs, token, 2-byte Length */
	hdr = 1 + 4 + 1 + in->dcid_len + 1 + in->scid_len +
	      qb_varint(pt, in->token_len, 0) + in->token_len + 2 + in->pn_len;
	if (len + 4 > sizeof(pt) || hdr + 2 + len + 4 + 16 > cap ||
	    in->size > cap)
		return 0;
	if (len)
		memcpy(pt, in->frames, len);
	/* PADDING up to the size asked, and enough for the sample */
	while (hdr + len + 16 < in->size || in->pn_len + len < 4)
		pt[len++] = QUIC_FRAME_PADDING;
	out[n++] = (uint8_t)(0xc0 | (in->version == QUIC_V2 ? 0x10 : 0) |
			     (in->pn_len - 1));
	for (int i = 3; i >= 0; i--)
		out[n++] = (uint8_t)(in->version >> (8 * i));
	out[n++] = (uint8_t)in->dcid_len;
	put(out, &n, in->dcid, in->dcid_len);
	out[n++] = (uint8_t)in->scid_len;
	put(out, &n, in->scid, in->scid_len);
	n += qb_varint(out + n, in->token_len, 0);
	put(out, &n, in->token, in->token_len);
	body = in->pn_len + len + 16;
	n += qb_varint(out + n, body, body < 16384 ? 2 : 4);
	pn_offset = n;
	for (size_t i = 0; i < in->pn_len; i++)
		out[n++] = (uint8_t)(in->pn >> (8 * (in->pn_len - 1 - i)));
	if (seal(k, in->pn, out, n, pt, len, out + n) ||
	    protect_header(k, out, pn_offset, in->pn_len))
		return 0;
	return n + len + 16;
}
