// SPDX-License-Identifier: GPL-2.0-or-later
/* Two harnesses in one: an input starting with 0xff builds a mining line,
 * any other is raw bytes.
 * - raw bytes: no crash; results are 0, -EAGAIN or -ENOPROTOOPT; a
 *   success has NUL-terminated printable text within bounds, a valid host
 *   and msg_len within the input; a prefix gives -EAGAIN or the same
 *   result (every prefix for short inputs, some for long ones);
 * - a line built around a known method (key and value in any case, with
 *   escapes), its agent and worker, amid fuzzed members of any shape, a
 *   decoy non-mining "method", fuzzed whitespace: recognised with that
 *   method, agent and worker, whatever surrounds them; not judged before
 *   its LF. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egressd/addr.h"
#include "egressd/domain.h"
#include "egressd/stratum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                             \
	do {                                                                 \
		if (!(x)) {                                                  \
			fprintf(stderr, "invariant failed: %s\n", #x);       \
			abort();                                             \
		}                                                            \
	} while (0)

static void check_text(const char *s, size_t cap)
{
	const char *end = memchr(s, 0, cap);

	CHECK(end && (size_t)(end - s) <= STRATUM_TEXT_MAX);
	for (; s < end; s++)
		CHECK(*s >= 0x20 && *s < 0x7f);
}

static void check_req(const struct stratum_req *r, size_t len)
{
	struct ip_addr a;

	CHECK(r->proto >= STRATUM_V1 && r->proto <= STRATUM_V2);
	check_text(r->method, sizeof(r->method));
	check_text(r->agent, sizeof(r->agent));
	check_text(r->worker, sizeof(r->worker));
	CHECK(r->method[0]);
	CHECK(r->msg_len > 0 && r->msg_len <= len);
	if (r->has_host && r->host_is_ip)
		CHECK(!ip_addr_parse(r->host, &a));
	else if (r->has_host)
		CHECK(domain_is_valid(r->host));
	else
		CHECK(!r->host_is_ip);
}

static bool same_req(const struct stratum_req *a, const struct stratum_req *b)
{
	return a->proto == b->proto && a->msg_len == b->msg_len &&
	       a->has_host == b->has_host && !strcmp(a->method, b->method) &&
	       !strcmp(a->agent, b->agent) && !strcmp(a->worker, b->worker) &&
	       (!a->has_host || !strcmp(a->host, b->host));
}

static void check_prefix(const uint8_t *p, size_t cut, int whole,
			 const struct stratum_req *wr)
{
	struct stratum_req r;
	int e = stratum_parse(p, cut, &r);

	CHECK(e == -EAGAIN || e == whole);
	if (!e)
		CHECK(same_req(&r, wr));
}

static void raw(const uint8_t *p, size_t size)
{
	struct stratum_req r;
	int e = stratum_parse(p, size, &r);

	CHECK(e == 0 || e == -EAGAIN || e == -ENOPROTOOPT);
	if (!e)
		check_req(&r, size);
	if (size <= 256) {
		for (size_t n = 0; n < size; n++)
			check_prefix(p, n, e, &r);
	} else {
		check_prefix(p, size / 2, e, &r);
		check_prefix(p, size - 1, e, &r);
		if (!e)
			check_prefix(p, r.msg_len, e, &r);
	}
}

/* Bytes of the fuzz input, one at a time (zeros when used up). */
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
	char buf[STRATUM_LINE_MAX];
	size_t len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n > sizeof(o->buf)) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_ws(struct out *o, struct src *s)
{
	static const char *const ws[] = { "", "", " ", "\t", "\r", " \r\t " };

	puts_(o, ws[take(s) % 6]);
}

/* One character of a string, written plainly or escaped, in any case
 * when `fold` (keys and methods are matched without case). */
static void put_char(struct out *o, struct src *s, char ch, bool fold)
{
	char esc[8];
	uint8_t b = take(s);

	if (fold && (b & 1) && ch >= 'a' && ch <= 'z')
		ch = (char)(ch - 32);
	if (b & 2 || ch == '"' || ch == '\\' || (uint8_t)ch < 0x20) {
		snprintf(esc, sizeof(esc), "\\u%04X", (uint8_t)ch);
		puts_(o, esc);
	} else {
		put(o, &ch, 1);
	}
}

static void put_string(struct out *o, struct src *s, const char *text,
		       bool fold)
{
	puts_(o, "\"");
	for (; *text; text++)
		put_char(o, s, *text, fold);
	puts_(o, "\"");
}

/* Fuzzed text: what it decodes to, as the parser shows it. */
static void make_text(struct src *s, char *raw_, char *shown, size_t max)
{
	size_t n = take(s) % max;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = take(s);
		raw_[i] = (char)(b ? b : 'z');
		shown[i] = b >= 0x20 && b < 0x7f ? (char)b : b ? '?' : 'z';
	}
	raw_[n] = shown[n] = 0;
}

static void put_value(struct out *o, struct src *s, unsigned depth);

/* Members whose names are never ones the parser reads ("x" first). */
static void put_members(struct out *o, struct src *s, unsigned depth)
{
	unsigned n = take(s) % 4;
	char raw_[24], shown[24];

	for (unsigned i = 0; i < n; i++) {
		make_text(s, raw_ + 1, shown, 20);
		raw_[0] = 'x';
		put_ws(o, s);
		put_string(o, s, raw_, false);
		put_ws(o, s);
		puts_(o, ":");
		put_value(o, s, depth + 1);
		puts_(o, ",");
	}
}

static void put_value(struct out *o, struct src *s, unsigned depth)
{
	static const char *const lit[] = { "true", "false", "null", "-1.5e3",
					   "0", "12345678901234567890" };
	char raw_[40], shown[40];
	uint8_t b = take(s);
	unsigned n = take(s) % 4;

	put_ws(o, s);
	if (depth > 6 || b % 4 == 0) {
		puts_(o, lit[b / 4 % 6]);
	} else if (b % 4 == 1) {
		make_text(s, raw_, shown, 32);
		put_string(o, s, raw_, false);
	} else if (b % 4 == 2) {
		puts_(o, "[");
		for (unsigned i = 0; i < n; i++) {
			put_value(o, s, depth + 1);
			if (i + 1 < n)
				puts_(o, ",");
		}
		puts_(o, "]");
	} else {
		puts_(o, "{");
		put_members(o, s, depth);
		puts_(o, "\"x\":0}");
	}
	put_ws(o, s);
}

struct expect {
	const char *method;
	enum stratum_proto proto;
	char agent[64], worker[64];
};

static void put_key(struct out *o, struct src *s, const char *key)
{
	put_ws(o, s);
	put_string(o, s, key, true);
	put_ws(o, s);
	puts_(o, ":");
	put_ws(o, s);
}

/* "params" for the method: an array for v1 and ethproxy, an object for
 * login; what the parser must report from it goes in *x. */
static void put_params(struct out *o, struct src *s, struct expect *x)
{
	char raw_[64];

	make_text(s, raw_, x->agent, 60);
	if (x->proto == STRATUM_CRYPTONOTE) {
		char wraw[64];
		make_text(s, wraw, x->worker, 60);
		puts_(o, "{");
		put_members(o, s, 1);
		put_key(o, s, "agent");
		put_string(o, s, raw_, false);
		puts_(o, ",");
		put_members(o, s, 1);
		put_key(o, s, "login");
		put_string(o, s, wraw, false);
		puts_(o, ",\"pass\":\"x\"}");
		return;
	}
	puts_(o, "[");
	put_string(o, s, raw_, false);
	for (unsigned i = take(s) % 3; i; i--) {
		puts_(o, ",");
		put_value(o, s, 1);
	}
	puts_(o, "]");
	if (!strcmp(x->method, "mining.authorize") ||
	    x->proto == STRATUM_ETHPROXY) {
		memcpy(x->worker, x->agent, sizeof(x->worker));
		x->agent[0] = 0;
	} else if (strcmp(x->method, "mining.subscribe")) {
		x->agent[0] = 0;
	}
}

static const struct {
	const char *method;
	enum stratum_proto proto;
} known[] = {
	{ "mining.subscribe", STRATUM_V1 },
	{ "mining.authorize", STRATUM_V1 },
	{ "mining.configure", STRATUM_V1 },
	{ "mining.extranonce.subscribe", STRATUM_V1 },
	{ "mining.suggest_difficulty", STRATUM_V1 },
	{ "login", STRATUM_CRYPTONOTE },
	{ "eth_submitLogin", STRATUM_ETHPROXY },
};

static void built(const uint8_t *data, size_t size)
{
	struct src s = { data, size };
	static struct out o;
	struct stratum_req r;
	struct expect x = { 0 };
	unsigned k = take(&s) % 7;
	uint8_t order = take(&s);
	int e;

	o.len = 0;
	o.full = false;
	x.method = known[k].method;
	x.proto = known[k].proto;
	for (unsigned i = take(&s) % 3; i; i--)
		puts_(&o, take(&s) & 1 ? "\r\n" : " \n");
	puts_(&o, "{");
	put_members(&o, &s, 0);
	if (order & 1) { /* a decoy first: pools differ on duplicates */
		put_key(&o, &s, "method");
		put_string(&o, &s, "eth_blockNumber", false);
		puts_(&o, ",");
	}
	if (order & 2) { /* params before method, as cgminer sends them */
		put_key(&o, &s, "params");
		put_params(&o, &s, &x);
		puts_(&o, ",");
	}
	put_members(&o, &s, 0);
	put_key(&o, &s, "method");
	put_string(&o, &s, x.method, true);
	if (!(order & 2)) {
		puts_(&o, ",");
		put_key(&o, &s, "params");
		put_params(&o, &s, &x);
	}
	puts_(&o, ",");
	put_members(&o, &s, 0);
	puts_(&o, "\"id\":1}");
	put_ws(&o, &s);
	puts_(&o, "\n");
	if (o.full)
		return;
	e = stratum_parse((const uint8_t *)o.buf, o.len, &r);
	CHECK(e == 0);
	check_req(&r, o.len);
	CHECK(r.proto == x.proto && !strcasecmp(r.method, x.method));
	CHECK(!strcmp(r.agent, x.agent) && !strcmp(r.worker, x.worker));
	CHECK(r.msg_len == o.len);
	check_prefix((const uint8_t *)o.buf, o.len - 1, 0, &r);
	check_prefix((const uint8_t *)o.buf, take(&s) * 13u % o.len, 0, &r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0xff)
		built(data + 1, size - 1);
	else
		raw(data, size);
	return 0;
}
