// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/tls.h"

#include <errno.h>
#include <string.h>

#include "egressd/cursor.h"
#include "egressd/domain.h"

enum { TLS_CT_HANDSHAKE = 22, TLS_HS_CLIENT_HELLO = 1 };
/* A record's fragment is at most 2^14 bytes (RFC 8446 5.1). */
#define TLS_RECORD_MAX 16384

bool tls_is_handshake(const uint8_t *p, size_t len)
{
	return (len < 1 || p[0] == TLS_CT_HANDSHAKE) &&
	       (len < 2 || p[1] == 3) && (len < 3 || p[2] <= 4);
}

/*  record: type u8 (22) | version u16 (0x0300-0x0304) | length u16 | data
 * Reads one handshake record; *frag covers the part of its data present
 * (the whole, unless *partial), so that a hello that is too big or not a
 * hello is refused from its first bytes instead of waiting for the rest. */
static int next_record(struct cursor *s, struct cursor *frag, bool *partial)
{
	uint8_t type;
	uint16_t ver, len;
	size_t have;

	if (cursor_u8(s, &type) || cursor_u16(s, &ver) || cursor_u16(s, &len))
		return -EAGAIN;
	if (type != TLS_CT_HANDSHAKE || (ver >> 8) != 3 || (ver & 0xff) > 4 ||
	    len == 0 || len > TLS_RECORD_MAX)
		return -EBADMSG;
	have = cursor_left(s) < len ? cursor_left(s) : len;
	*partial = have < len;
	return cursor_sub(s, have, frag);
}

/*  handshake: msg_type u8 (1) | length u24 | body
 * Decides from the first bytes of a handshake message what a ClientHello
 * needs: sets *want to the message's whole length once the 4-byte header is
 * there. Returns 0, -EAGAIN (header incomplete), -EBADMSG, -E2BIG. */
static int hello_want(const uint8_t *p, size_t len, size_t *want)
{
	struct cursor c;
	uint8_t type, l[3];

	cursor_init(&c, p, len);
	if (cursor_u8(&c, &type))
		return -EAGAIN;
	if (type != TLS_HS_CLIENT_HELLO)
		return -EBADMSG;
	for (unsigned i = 0; i < 3; i++)
		if (cursor_u8(&c, &l[i]))
			return -EAGAIN;
	*want = 4 + ((size_t)l[0] << 16 | (size_t)l[1] << 8 | l[2]);
	return *want > TLS_HELLO_MAX ? -E2BIG : 0;
}

/* Copies handshake bytes from consecutive handshake records into buf until
 * the ClientHello (4-byte header + body) is complete. A client may split
 * its hello into many small records, even inside the 4-byte header, to
 * dodge SNI filters; every record is read. Returns the hello's length. */
static int gather(struct cursor *s, uint8_t *buf)
{
	size_t have = 0, want = 4;
	struct cursor frag;
	bool partial = false, known = false;
	int r;

	while (have < want) {
		if (partial)
			return -EAGAIN;
		r = next_record(s, &frag, &partial);
		if (r)
			return r;
		size_t n = cursor_left(&frag);
		if (n > TLS_HELLO_MAX - have)
			n = TLS_HELLO_MAX - have;
		memcpy(buf + have, cursor_ptr(&frag), n);
		have += n;
		if (!known) {
			r = hello_want(buf, have, &want);
			if (r && r != -EAGAIN)
				return r;
			known = !r;
		}
	}
	return (int)want;
}

/* RFC 6066 3: a list of (name_type, name); only host_name (0) is defined.
 * Every host_name is read, in every server_name extension (see
 * struct tls_hello). */
static int parse_sni(struct cursor *e, struct tls_hello *h)
{
	struct cursor list, name;
	uint8_t type;
	int n;

	if (cursor_sub16(e, &list) || cursor_left(e))
		return -EBADMSG;
	while (cursor_left(&list)) {
		if (cursor_u8(&list, &type) || cursor_sub16(&list, &name))
			return -EBADMSG;
		if (type != 0)
			continue;
		if (h->nsni == TLS_SNI_MAX)
			return -EBADMSG;
		n = domain_normalize((const char *)cursor_ptr(&name),
				     cursor_left(&name), h->sni_names[h->nsni]);
		if (n < 0)
			return -EBADMSG;
		h->nsni++;
		h->has_sni = true;
	}
	return 0;
}

static int parse_alpn(struct cursor *e, struct tls_hello *h)
{
	struct cursor list, proto;

	if (cursor_sub16(e, &list) || cursor_left(e))
		return -EBADMSG;
	while (cursor_left(&list)) {
		if (cursor_sub8(&list, &proto) || !cursor_left(&proto))
			return -EBADMSG;
		if (h->n_alpn == TLS_ALPN_MAX)
			continue;
		size_t n = cursor_left(&proto);
		char *out = h->alpn[h->n_alpn++];
		if (n > TLS_ALPN_LEN_MAX)
			n = TLS_ALPN_LEN_MAX;
		for (size_t i = 0; i < n; i++) {
			uint8_t ch = cursor_ptr(&proto)[i];
			out[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
		out[n] = 0;
	}
	return 0;
}

static int parse_versions(struct cursor *e, struct tls_hello *h)
{
	struct cursor list;
	uint16_t v;

	if (cursor_sub8(e, &list) || cursor_left(e))
		return -EBADMSG;
	while (!cursor_u16(&list, &v))
		if (v == 0x0304)
			h->tls13 = true;
	return 0;
}

static int parse_extension(uint16_t type, struct cursor *e,
			   struct tls_hello *h)
{
	switch (type) {
	case TLS_EXT_SNI:
		return parse_sni(e, h);
	case TLS_EXT_ALPN:
		return parse_alpn(e, h);
	case TLS_EXT_SUPPORTED_VERSIONS:
		return parse_versions(e, h);
	case TLS_EXT_ECH:
		h->ech = true;
		return 0;
	default:
		return 0;
	}
}

/* RFC 8446 4.2: no extension type may appear twice; a duplicate is refused,
 * except server_name: a second one is read (its name judged too, so that a
 * client cannot show us one name and the server another), a third refused. */
static int parse_extensions(struct cursor *c, struct tls_hello *h)
{
	uint16_t seen[TLS_EXT_MAX], type;
	unsigned n = 0, n_sni = 0;
	struct cursor exts, e;
	int r;

	if (!cursor_left(c))
		return 0; /* TLS 1.0 hellos may carry no extensions */
	if (cursor_sub16(c, &exts) || cursor_left(c))
		return -EBADMSG;
	while (cursor_left(&exts)) {
		if (cursor_u16(&exts, &type) || cursor_sub16(&exts, &e))
			return -EBADMSG;
		if (n == TLS_EXT_MAX)
			return -EBADMSG;
		if (type == TLS_EXT_SNI && ++n_sni > TLS_SNI_MAX)
			return -EBADMSG;
		for (unsigned i = 0; i < n; i++)
			if (seen[i] == type && type != TLS_EXT_SNI)
				return -EBADMSG;
		seen[n++] = type;
		r = parse_extension(type, &e, h);
		if (r)
			return r;
	}
	return 0;
}

/*  ClientHello: legacy_version u16 | random[32] | session_id<0..32> |
 *  cipher_suites<2..2^16-2> | compression<1..2^8-1> | extensions<..2^16-1>
 */
static int parse_hello_body(struct cursor *c, struct tls_hello *h)
{
	struct cursor sid, suites, comp;

	if (cursor_u16(c, &h->legacy_version) || cursor_skip(c, 32) ||
	    cursor_sub8(c, &sid) || cursor_sub16(c, &suites) ||
	    cursor_sub8(c, &comp))
		return -EBADMSG;
	if (cursor_left(&sid) > 32 || cursor_left(&suites) < 2 ||
	    cursor_left(&suites) % 2 || !cursor_left(&comp))
		return -EBADMSG;
	return parse_extensions(c, h);
}

/* A whole ClientHello message: its header was checked by hello_want(). */
static int parse_handshake(const uint8_t *p, size_t len, struct tls_hello *h)
{
	struct cursor c, body;

	cursor_init(&c, p, len);
	if (cursor_skip(&c, 1) || cursor_sub24(&c, &body))
		return -EBADMSG;
	return parse_hello_body(&body, h);
}

int tls_parse_client_hello_msg(const uint8_t *msg, size_t len,
			       struct tls_hello *ret)
{
	struct tls_hello h = { 0 };
	size_t want = 0;
	int r;

	r = hello_want(msg, len, &want);
	if (r)
		return r;
	if (len < want)
		return -EAGAIN;
	r = parse_handshake(msg, want, &h);
	if (r)
		return r;
	h.stream_len = want;
	*ret = h;
	return 0;
}

int tls_parse_client_hello(const uint8_t *stream, size_t len,
			   struct tls_hello *ret)
{
	static _Thread_local uint8_t buf[TLS_HELLO_MAX];
	struct tls_hello h;
	struct cursor s;
	int n, r;

	if (len && stream[0] == 0x80)
		return -EBADMSG; /* SSLv2-style hello: no SNI possible */
	cursor_init(&s, stream, len);
	n = gather(&s, buf);
	if (n < 0)
		return n;
	r = tls_parse_client_hello_msg(buf, (size_t)n, &h);
	if (r)
		return r;
	h.stream_len = s.pos;
	*ret = h;
	return 0;
}
