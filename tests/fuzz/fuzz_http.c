// SPDX-License-Identifier: GPL-2.0-or-later
/* Two harnesses in one: an input starting with 0xff builds a request,
 * any other is raw bytes (so older corpus files keep their meaning).
 * - raw bytes: no crash; a success is well-formed (claims are valid names
 *   or addresses, NUL-terminated, the first mirrored in host); a result
 *   other than -EAGAIN is final (a prefix gives -EAGAIN or the same);
 * - a request built from the input around three known names, a target's
 *   and two Host headers', with fuzzed whitespace, methods, schemes,
 *   userinfo, ports, folding and filler fields: all three names are
 *   claimed from where they were put, whatever surrounds them; a third
 *   Host makes it unreadable. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/addr.h"
#include "egressd/domain.h"
#include "egressd/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x)) {                                                  \
			fprintf(stderr, "invariant failed: %s\n", #x);       \
			abort();                                             \
		}                                                            \
	} while (0)

static bool nul_in(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

static void check_claim(const struct http_claim *c)
{
	struct ip_addr a;

	CHECK(nul_in(c->name, sizeof(c->name)) && c->name[0]);
	CHECK(c->from && !(c->from & ~(HTTP_FROM_HOST | HTTP_FROM_TARGET)));
	if (c->is_ip)
		CHECK(!ip_addr_parse(c->name, &a));
	else
		CHECK(domain_is_valid(c->name));
}

static void check_req(const struct http_req *r, size_t len)
{
	unsigned from_host = 0, from_target = 0;

	CHECK(nul_in(r->method, sizeof(r->method)) && r->method[0]);
	CHECK(r->nclaim <= HTTP_CLAIMS_MAX);
	CHECK(r->nhost <= HTTP_HOST_HEADERS_MAX);
	for (unsigned i = 0; i < r->nclaim; i++) {
		check_claim(&r->claim[i]);
		from_host += !!(r->claim[i].from & HTTP_FROM_HOST);
		from_target += !!(r->claim[i].from & HTTP_FROM_TARGET);
		for (unsigned j = 0; j < i; j++)
			CHECK(strcmp(r->claim[i].name, r->claim[j].name));
	}
	CHECK(from_host <= r->nhost && from_target <= 1);
	CHECK(r->has_uri_host == (from_target == 1));
	CHECK(r->has_host == (r->nclaim > 0));
	if (r->has_host)
		CHECK(!strcmp(r->host, r->claim[0].name) &&
		      r->host_is_ip == r->claim[0].is_ip);
	CHECK(r->head_len <= len && r->head_len <= HTTP_HEAD_MAX);
}

static bool same_req(const struct http_req *a, const struct http_req *b)
{
	if (a->nclaim != b->nclaim || a->nhost != b->nhost ||
	    a->head_len != b->head_len || strcmp(a->method, b->method))
		return false;
	for (unsigned i = 0; i < a->nclaim; i++)
		if (strcmp(a->claim[i].name, b->claim[i].name) ||
		    a->claim[i].from != b->claim[i].from)
			return false;
	return true;
}

/* A prefix gives -EAGAIN or the whole's result (and the same claims). */
static void check_prefix(const char *p, size_t len, size_t cut, int whole,
			 const struct http_req *wr)
{
	struct http_req r;
	int e;

	if (cut > len)
		cut = len;
	e = http_parse_request(p, cut, &r);
	CHECK(e == -EAGAIN || e == whole);
	if (!e)
		CHECK(same_req(&r, wr));
}

static void raw(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct http_req r;
	int e;

	e = http_parse_request(p, size, &r);
	CHECK(e == 0 || e == -EAGAIN || e == -EBADMSG || e == -E2BIG);
	if (e)
		memset(&r, 0, sizeof(r));
	else
		check_req(&r, size);
	if (!e)
		CHECK(http_is_request(p, size));
	check_prefix(p, size, size / 2, e, &r);
	check_prefix(p, size, size / 3, e, &r);
	check_prefix(p, size, size ? size - 1 : 0, e, &r);
	if (!e)
		check_prefix(p, size, r.head_len, e, &r);
}

/* Bytes of the fuzz input, taken one at a time (zeros when used up). */
struct src {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct src *s)
{
	if (!s->n)
		return 0;
	s->n--;
	return *s->p++;
}

struct out {
	char buf[HTTP_HEAD_MAX];
	size_t len;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n <= sizeof(o->buf)) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A valid name: 1-3 labels of 1-12 characters of [a-z0-9_-]. `shown` is
 * how it is written (case changed, maybe a trailing dot). */
static void make_name(struct src *s, char *name, char *shown)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned labels = take(s) % 3 + 1, k = 0;

	for (unsigned l = 0; l < labels; l++) {
		unsigned n = take(s) % 12 + 1;
		if (l)
			name[k++] = '.';
		for (unsigned i = 0; i < n; i++)
			name[k++] = set[take(s) % (sizeof(set) - 1)];
	}
	name[k] = 0;
	for (unsigned i = 0; i <= k; i++) {
		char ch = name[i];
		shown[i] = (take(s) & 1) && ch >= 'a' && ch <= 'z'
				   ? (char)(ch - 32)
				   : ch;
	}
	if (take(s) & 1) {
		shown[k] = '.';
		shown[k + 1] = 0;
	}
}

/* 1-16 request-line separators. */
static void put_ws(struct out *o, struct src *s)
{
	static const char set[] = " \t\v\f\r";
	unsigned n = take(s) % 16 + 1;

	for (unsigned i = 0; i < n; i++)
		put(o, &set[take(s) % 5], 1);
}

static void put_ows(struct out *o, struct src *s)
{
	unsigned n = take(s) % 4;

	for (unsigned i = 0; i < n; i++)
		puts_(o, take(s) & 1 ? " " : "\t");
}

static void put_port(struct out *o, struct src *s)
{
	char port[16];

	if (take(s) & 1) {
		snprintf(port, sizeof(port), ":%u", take(s) * 257u);
		puts_(o, port);
	}
}

/* Filler fields: "X" then any bytes but LF, so never Host nor a fold. */
static void put_filler(struct out *o, struct src *s)
{
	unsigned lines = take(s) % 4;

	for (unsigned l = 0; l < lines; l++) {
		unsigned n = take(s) % 40;
		puts_(o, "X");
		for (unsigned i = 0; i < n; i++) {
			char ch = (char)take(s);
			put(o, ch == '\n' ? "n" : &ch, 1);
		}
		puts_(o, "\r\n");
	}
}

static void put_method(struct out *o, struct src *s)
{
	static const char *const m[] = { "GET",	 "POST", "PROPFIND",
					 "get",	 "X-Y",	 "CONNECT",
					 "M_1.~" };
	puts_(o, m[take(s) % 7]);
}

static void put_target(struct out *o, struct src *s, const char *shown)
{
	static const char *const scheme[] = { "http://", "HTTPS://",
					      "ws+x.y-z://" };

	puts_(o, scheme[take(s) % 3]);
	if (take(s) & 1)
		puts_(o, "user:pw@");
	puts_(o, shown);
	put_port(o, s);
	puts_(o, (const char *[]){ "/x", "?q", "#f", "" }[take(s) % 4]);
}

/* "Host" [ws] ":" value, or folded over two lines (as Apache joins). */
static void put_host(struct out *o, struct src *s, const char *shown)
{
	uint8_t b = take(s);

	puts_(o, b & 1 ? "HOST" : "host");
	if (b & 2)
		put_ows(o, s);
	puts_(o, ":");
	put_ows(o, s);
	if (b & 4) {
		puts_(o, "\r\n");
		puts_(o, b & 8 ? " " : "\t");
	}
	puts_(o, shown);
	put_port(o, s);
	put_ows(o, s);
	puts_(o, "\r\n");
}

static bool has_claim(const struct http_req *r, const char *name,
		      unsigned from)
{
	for (unsigned i = 0; i < r->nclaim; i++)
		if (!strcmp(r->claim[i].name, name))
			return (r->claim[i].from & from) == from;
	return false;
}

static void built(const uint8_t *data, size_t size)
{
	struct src s = { data, size };
	char name[3][64], shown[3][64];
	static struct out o;
	struct http_req r;
	bool third;
	int e;

	o.len = 0;
	third = take(&s) % 8 == 0;
	for (int i = 0; i < 3; i++)
		make_name(&s, name[i], shown[i]);
	if (take(&s) & 1)
		puts_(&o, "\r\n");
	put_method(&o, &s);
	put_ws(&o, &s);
	put_target(&o, &s, shown[0]);
	put_ws(&o, &s);
	puts_(&o, "HTTP/1.1");
	if (take(&s) & 1)
		put_ws(&o, &s);
	puts_(&o, "\r\n");
	put_filler(&o, &s);
	put_host(&o, &s, shown[1]);
	put_filler(&o, &s);
	put_host(&o, &s, shown[2]);
	if (third)
		put_host(&o, &s, shown[2]);
	put_filler(&o, &s);
	puts_(&o, "\r\n");
	CHECK(o.len < sizeof(o.buf));
	CHECK(http_is_request(o.buf, o.len));
	e = http_parse_request(o.buf, o.len, &r);
	if (third) {
		CHECK(e == -EBADMSG);
		return;
	}
	CHECK(e == 0);
	check_req(&r, o.len);
	CHECK(r.head_len == o.len);
	CHECK(r.nhost == 2 && r.has_uri_host);
	CHECK(has_claim(&r, name[0], HTTP_FROM_TARGET));
	CHECK(has_claim(&r, name[1], HTTP_FROM_HOST));
	CHECK(has_claim(&r, name[2], HTTP_FROM_HOST));
	check_prefix(o.buf, o.len, take(&s) * 7u, e, &r);
	check_prefix(o.buf, o.len, o.len - 1, e, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0xff)
		built(data + 1, size - 1);
	else
		raw(data, size);
	return 0;
}
