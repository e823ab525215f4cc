// SPDX-License-Identifier: GPL-2.0-or-later
/* A mining client's first message. What is recognised, and why, is in
 * stratum.h. JSON is read with a small scanner over the cursor: nothing is
 * allocated, every read is bounds-checked, depth is a counter (no
 * recursion), and running out of bytes (-EMSGSIZE) is told apart from
 * malformed input (-EBADMSG) so that a line still arriving gives -EAGAIN. */
#include "egressd/stratum.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "egressd/addr.h"
#include "egressd/cursor.h"
#include "egressd/domain.h"

/* Decoded string text, bounded; NULL to only check the string. */
struct text {
	char *buf;
	size_t cap; /* NUL included */
	size_t len;
	bool cut;
};

#define TEXT(b) ((struct text){ .buf = (b), .cap = sizeof(b) })

static void text_put(struct text *t, uint8_t ch)
{
	if (!t)
		return;
	if (t->len + 1 >= t->cap) {
		t->cut = true;
		return;
	}
	t->buf[t->len++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	t->buf[t->len] = 0;
}

static bool text_is(const struct text *t, const char *s)
{
	return !t->cut && !strcasecmp(t->buf, s);
}

static int peek(const struct cursor *c, uint8_t *ret)
{
	if (cursor_need(c, 1))
		return -EMSGSIZE;
	*ret = c->base[c->pos];
	return 0;
}

static bool is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void skip_ws(struct cursor *c)
{
	uint8_t ch;

	while (!peek(c, &ch) && is_ws(ch))
		c->pos++;
}

/* The next non-blank byte, consumed. */
static int next_char(struct cursor *c, uint8_t *ret)
{
	skip_ws(c);
	return cursor_u8(c, ret);
}

static int hex4(struct cursor *c, unsigned *ret)
{
	unsigned v = 0;
	uint8_t ch;

	for (int i = 0; i < 4; i++) {
		if (cursor_u8(c, &ch))
			return -EMSGSIZE;
		ch |= ch >= 'A' && ch <= 'F' ? 0x20 : 0;
		if (ch >= '0' && ch <= '9')
			v = v << 4 | (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v << 4 | (unsigned)(ch - 'a' + 10);
		else
			return -EBADMSG;
	}
	*ret = v;
	return 0;
}

/* After a backslash: the byte it stands for (non-ASCII as 0x80). */
static int json_escape(struct cursor *c, uint8_t *ret)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k;
	unsigned v;
	uint8_t ch;
	int e;

	if (cursor_u8(c, &ch))
		return -EMSGSIZE;
	if (ch && (k = strchr(from, ch))) {
		*ret = (uint8_t)to[k - from];
		return 0;
	}
	if (ch != 'u')
		return -EBADMSG;
	if ((e = hex4(c, &v)))
		return e;
	*ret = v < 0x80 ? (uint8_t)v : 0x80;
	return 0;
}

/* A JSON string at the cursor, decoded into t. */
static int json_string(struct cursor *c, struct text *t)
{
	uint8_t ch;
	int e;

	if (next_char(c, &ch))
		return -EMSGSIZE;
	if (ch != '"')
		return -EBADMSG;
	if (t && t->cap)
		t->buf[0] = 0;
	for (;;) {
		if (cursor_u8(c, &ch))
			return -EMSGSIZE;
		if (ch == '"')
			return 0;
		if (ch < 0x20)
			return -EBADMSG;
		if (ch == '\\' && (e = json_escape(c, &ch)))
			return e;
		text_put(t, ch);
	}
}

static bool is_scalar(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	       (ch >= 'A' && ch <= 'Z') || ch == '-' || ch == '+' || ch == '.';
}

/* A number, true, false or null: a run of their characters. */
static int json_scalar(struct cursor *c)
{
	size_t start = c->pos;
	uint8_t ch;

	while (!peek(c, &ch) && is_scalar(ch))
		c->pos++;
	if (!cursor_left(c))
		return -EMSGSIZE; /* the run may go on */
	return c->pos > start ? 0 : -EBADMSG;
}

/* One token of a value being skipped; *depth counts open containers. */
static int skip_token(struct cursor *c, size_t *depth)
{
	uint8_t ch;

	skip_ws(c);
	if (peek(c, &ch))
		return -EMSGSIZE;
	if (ch == '"')
		return json_string(c, NULL);
	if (ch == '{' || ch == '[')
		++*depth;
	else if (*depth && (ch == '}' || ch == ']'))
		--*depth;
	else if (!*depth || (ch != ',' && ch != ':'))
		return json_scalar(c);
	c->pos++;
	return 0;
}

/* Skips one value. Containers are followed by a depth counter, so any
 * depth a pool's parser takes is skipped too; inside them, strings and
 * scalars are checked, the grammar between them is not. */
static int json_skip(struct cursor *c)
{
	size_t depth = 0;
	int e;

	do {
		if ((e = skip_token(c, &depth)))
			return e;
	} while (depth);
	return 0;
}

/* What the first line says, gathered over its members. */
struct found {
	char v1_method[STRATUM_TEXT_MAX + 1]; /* first "mining.*" */
	bool login; /* a "login" method */
	bool eth; /* an "eth_submitLogin" method */
	bool login_keys; /* params object with login, pass or agent */
	bool have_arr, have_obj;
	char arr0[STRATUM_TEXT_MAX + 1]; /* first params array's [0] */
	char login_name[STRATUM_TEXT_MAX + 1]; /* params.login */
	char agent[STRATUM_TEXT_MAX + 1]; /* params.agent */
	char host[STRATUM_TEXT_MAX + 1]; /* params.host */
	char worker[STRATUM_TEXT_MAX + 1]; /* top-level "worker" */
};

/* Reads a string value into buf unless buf is already set; skips any
 * other value. */
static int string_once(struct cursor *c, char *buf, size_t cap)
{
	struct text t = { .buf = buf, .cap = cap };
	uint8_t ch;

	skip_ws(c);
	if (peek(c, &ch))
		return -EMSGSIZE;
	if (ch != '"')
		return json_skip(c);
	return json_string(c, buf[0] ? NULL : &t);
}

/* After a member or element: ',' (more: 1) or the closing byte (0). */
static int after_item(struct cursor *c, uint8_t close)
{
	uint8_t ch;

	if (next_char(c, &ch))
		return -EMSGSIZE;
	if (ch == ',')
		return 1;
	return ch == close ? 0 : -EBADMSG;
}

/* The opening byte, and whether the container is empty (0) or not (1). */
static int open_container(struct cursor *c, uint8_t open, uint8_t close)
{
	uint8_t ch;

	if (next_char(c, &ch))
		return -EMSGSIZE;
	if (ch != open)
		return -EBADMSG;
	skip_ws(c);
	if (peek(c, &ch))
		return -EMSGSIZE;
	if (ch != close)
		return 1;
	c->pos++;
	return 0;
}

/* "params": [a, b, ...]: the first array's first element, if a string. */
static int params_array(struct cursor *c, struct found *f)
{
	bool first = !f->have_arr;
	int e;

	f->have_arr = true;
	e = open_container(c, '[', ']');
	for (unsigned i = 0; e > 0; i++) {
		if (i == 0 && first)
			e = string_once(c, f->arr0, sizeof(f->arr0));
		else
			e = json_skip(c);
		if (!e)
			e = after_item(c, ']');
	}
	return e;
}

/* One member of a "params" object. */
static int params_member(struct cursor *c, struct found *f,
			 const struct text *k)
{
	bool pass = text_is(k, "pass");

	if (text_is(k, "login") || text_is(k, "agent") || pass)
		f->login_keys = true;
	if (text_is(k, "login"))
		return string_once(c, f->login_name, sizeof(f->login_name));
	if (text_is(k, "agent"))
		return string_once(c, f->agent, sizeof(f->agent));
	if (text_is(k, "host"))
		return string_once(c, f->host, sizeof(f->host));
	return json_skip(c); /* "pass" too: a secret, not kept */
}

/* Walks an object's members, calling fn on each value. */
static int object_walk(struct cursor *c, struct found *f,
		       int (*fn)(struct cursor *, struct found *,
				 const struct text *))
{
	char kbuf[32];
	struct text k;
	uint8_t ch;
	int e;

	e = open_container(c, '{', '}');
	while (e > 0) {
		k = TEXT(kbuf);
		if ((e = json_string(c, &k)))
			return e;
		if (next_char(c, &ch))
			return -EMSGSIZE;
		if (ch != ':')
			return -EBADMSG;
		if ((e = fn(c, f, &k)))
			return e;
		e = after_item(c, '}');
	}
	return e;
}

static int params_value(struct cursor *c, struct found *f)
{
	uint8_t ch;

	skip_ws(c);
	if (peek(c, &ch))
		return -EMSGSIZE;
	if (ch == '[')
		return params_array(c, f);
	if (ch == '{') {
		f->have_obj = true;
		return object_walk(c, f, params_member);
	}
	return json_skip(c);
}

static int method_value(struct cursor *c, struct found *f)
{
	char buf[STRATUM_TEXT_MAX + 1];
	struct text t = TEXT(buf);
	uint8_t ch;
	int e;

	skip_ws(c);
	if (peek(c, &ch))
		return -EMSGSIZE;
	if (ch != '"')
		return json_skip(c);
	if ((e = json_string(c, &t)))
		return e;
	if (!strncasecmp(buf, "mining.", 7) && buf[7] && !f->v1_method[0])
		memcpy(f->v1_method, buf, sizeof(buf));
	f->login |= text_is(&t, "login");
	f->eth |= text_is(&t, "eth_submitLogin");
	return 0;
}

static int top_member(struct cursor *c, struct found *f, const struct text *k)
{
	if (text_is(k, "method"))
		return method_value(c, f);
	if (text_is(k, "params"))
		return params_value(c, f);
	if (text_is(k, "worker"))
		return string_once(c, f->worker, sizeof(f->worker));
	return json_skip(c);
}

static void copy_text(char *dst, const char *src)
{
	size_t n = strnlen(src, STRATUM_TEXT_MAX);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The name a client says it connects to, when it is one. */
static void host_set(struct stratum_req *r, const char *h)
{
	struct ip_addr a;

	if (!ip_addr_parse(h, &a)) {
		ip_addr_format(&a, r->host, sizeof(r->host));
		r->has_host = r->host_is_ip = true;
	} else if (domain_normalize(h, strlen(h), r->host) >= 0) {
		r->has_host = true;
	}
}

/* Which protocol the line speaks, and what it says. */
static int v1_result(const struct found *f, struct stratum_req *r)
{
	if (f->v1_method[0]) {
		r->proto = STRATUM_V1;
		copy_text(r->method, f->v1_method);
		copy_text(r->agent, f->agent);
		if (!strcasecmp(r->method, "mining.subscribe") && !f->agent[0])
			copy_text(r->agent, f->arr0);
		if (!strcasecmp(r->method, "mining.authorize"))
			copy_text(r->worker, f->arr0);
		host_set(r, f->host);
	} else if (f->login && f->have_obj && f->login_keys) {
		r->proto = STRATUM_CRYPTONOTE;
		strcpy(r->method, "login");
		copy_text(r->agent, f->agent);
		copy_text(r->worker, f->login_name);
	} else if (f->eth) {
		r->proto = STRATUM_ETHPROXY;
		strcpy(r->method, "eth_submitLogin");
		copy_text(r->worker, f->arr0[0] ? f->arr0 : f->worker);
	} else {
		return -ENOPROTOOPT;
	}
	return 0;
}

/* A JSON-RPC line. The line is cut at its first LF, as pools split it. */
static int v1_parse(const uint8_t *p, size_t len, struct stratum_req *ret)
{
	size_t cap = len < STRATUM_LINE_MAX ? len : STRATUM_LINE_MAX, start = 0;
	int more = len < STRATUM_LINE_MAX ? -EAGAIN : -ENOPROTOOPT;
	struct stratum_req r = { 0 };
	struct found f = { 0 };
	const uint8_t *nl;
	struct cursor c;
	int e;

	while (start < cap && is_ws(p[start]))
		start++;
	if (start == cap)
		return more;
	if (p[start] != '{')
		return -ENOPROTOOPT;
	nl = memchr(p + start, '\n', cap - start);
	cursor_init(&c, p + start, (nl ? (size_t)(nl - p) : cap) - start);
	e = object_walk(&c, &f, top_member);
	if (e == -EMSGSIZE && !nl)
		return more;
	if (e)
		return -ENOPROTOOPT;
	if (!nl)
		return more;
	if ((e = v1_result(&f, &r)))
		return e;
	r.msg_len = (size_t)(nl - p) + 1;
	*ret = r;
	return 0;
}

static int le16(struct cursor *c, unsigned *ret)
{
	uint16_t v;

	if (cursor_u16(c, &v))
		return -EMSGSIZE;
	*ret = (unsigned)(v >> 8 | (v & 0xff) << 8);
	return 0;
}

/* A STR0_255 of text (no control bytes), appended to t after a space. */
static int sv2_str(struct cursor *c, struct text *t)
{
	const uint8_t *s;
	uint8_t n;

	if (cursor_u8(c, &n) || cursor_bytes(c, n, &s))
		return -EMSGSIZE;
	for (unsigned i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return -EBADMSG;
	if (t && n && t->len)
		text_put(t, ' ');
	for (unsigned i = 0; t && i < n; i++)
		text_put(t, s[i]);
	return 0;
}

/* Stratum V2 frame header and SetupConnection (all integers little-endian,
 * sv2-spec 03-Protocol-Overview 3.2 and 3.6.1):
 *
 *   0  extension_type  U16  0x0000 (core; channel_msg bit clear)
 *   2  msg_type        U8   0x00 SetupConnection
 *   3  msg_length      U24  payload bytes that follow
 *   6  protocol        U8   0 mining (1 job declaration, 2 template dist.)
 *   7  min_version     U16  2 today
 *   9  max_version     U16  >= min_version
 *  11  flags           U32
 *  15  endpoint_host   STR0_255 (U8 length, bytes)
 *      endpoint_port   U16
 *      vendor, hardware_version, firmware, device_id: STR0_255 each
 *
 * msg_length covers at least these fields (TLV fields may follow), so
 * 16..STRATUM_LINE_MAX. Versions are taken up to 255 (a version in the
 * hundreds is not one); strings hold no control bytes. Random bytes pass
 * all of this with a chance below 2^-60. */
static int sv2_fields(struct cursor *c, struct stratum_req *r)
{
	unsigned min_v, max_v, port;
	struct text agent = TEXT(r->agent);
	char host[256];
	struct text th = TEXT(host);
	uint8_t proto;
	int e;

	if (cursor_u8(c, &proto) || le16(c, &min_v) || le16(c, &max_v))
		return -EMSGSIZE;
	if (proto != 0 || min_v < 2 || max_v < min_v || max_v > 255)
		return -EBADMSG;
	if (cursor_skip(c, 4)) /* flags */
		return -EMSGSIZE;
	if ((e = sv2_str(c, &th)) || (e = le16(c, &port)) ||
	    (e = sv2_str(c, &agent)) || (e = sv2_str(c, &agent)) ||
	    (e = sv2_str(c, &agent)) || (e = sv2_str(c, NULL)))
		return e;
	if (th.len && !th.cut)
		host_set(r, host);
	return 0;
}

static int sv2_parse(const uint8_t *p, size_t len, struct stratum_req *ret)
{
	static const uint8_t head[3] = { 0, 0, 0 }; /* ext 0, SetupConnection */
	struct stratum_req r = { .proto = STRATUM_V2 };
	struct cursor c, body;
	size_t n;

	if (memcmp(p, head, len < 3 ? len : 3))
		return -ENOPROTOOPT;
	if (len < 6)
		return -EAGAIN;
	n = (size_t)p[3] | (size_t)p[4] << 8 | (size_t)p[5] << 16;
	if (n < 16 || n > STRATUM_LINE_MAX)
		return -ENOPROTOOPT;
	cursor_init(&c, p + 6, len - 6);
	if (cursor_sub(&c, n, &body)) /* not whole: check what is there */
		cursor_init(&body, p + 6, len - 6);
	switch (sv2_fields(&body, &r)) {
	case 0:
		break;
	case -EMSGSIZE:
		return len - 6 < n ? -EAGAIN : -ENOPROTOOPT;
	default:
		return -ENOPROTOOPT;
	}
	if (len - 6 < n)
		return -EAGAIN;
	strcpy(r.method, "SetupConnection");
	r.msg_len = 6 + n;
	*ret = r;
	return 0;
}

int stratum_parse(const uint8_t *p, size_t len, struct stratum_req *ret)
{
	if (!len)
		return -EAGAIN;
	if (p[0] == 0x00)
		return sv2_parse(p, len, ret);
	return v1_parse(p, len, ret);
}
