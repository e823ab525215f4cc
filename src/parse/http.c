// SPDX-License-Identifier: GPL-2.0-or-later
/* HTTP/1.x request head. What is read, and which server reads it so, is
 * in http.h: the rule is to read a name wherever nginx, Apache or h2o
 * would, so that no front server routes by a name egressd did not judge. */
#include "egressd/http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "egressd/addr.h"
#include "egressd/domain.h"

/* Methods recognised from their first bytes, before the request line is
 * whole; any other token needs a plausible request line. */
static const char *const methods[] = { "GET",	  "POST",    "HEAD",
				       "PUT",	  "DELETE",  "OPTIONS",
				       "PATCH",	  "CONNECT", "TRACE" };

/* A text cursor over the request head: lines end in CRLF or LF. */
struct line_cursor {
	const char *p;
	size_t len, pos;
};

/* Returns the next line (without its end) or -EAGAIN if none is complete. */
static int next_line(struct line_cursor *c, const char **ret, size_t *ret_len)
{
	const char *start = c->p + c->pos;
	const char *nl = memchr(start, '\n', c->len - c->pos);
	size_t n;

	if (!nl)
		return -EAGAIN;
	n = (size_t)(nl - start);
	c->pos += n + 1;
	if (n && start[n - 1] == '\r')
		n--;
	*ret = start;
	*ret_len = n;
	return 0;
}

/* CR and LF before the request line (nginx skips any number). */
static void skip_blank(struct line_cursor *c)
{
	while (c->pos < c->len &&
	       (c->p[c->pos] == '\r' || c->p[c->pos] == '\n'))
		c->pos++;
}

/* Request-line separators: RFC 9112 3 lets a recipient take any
 * whitespace (SP, HTAB, VT, FF, bare CR) for SP. */
static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f' ||
	       ch == '\r';
}

/* Field whitespace (OWS). */
static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A target byte: not a separator, not a control character. */
static bool is_target(char ch)
{
	unsigned char u = (unsigned char)ch;

	return !is_ws(ch) && u >= 0x20 && u != 0x7f;
}

static size_t span(const char *l, size_t n, size_t i, bool (*ok)(char))
{
	while (i < n && ok(l[i]))
		i++;
	return i;
}

struct request_line {
	const char *method, *target;
	size_t method_len, target_len;
	bool http09;
};

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool is_scheme(char ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '+' || ch == '-' ||
	       ch == '.';
}

/* Length of "scheme://" at the start of t (RFC 3986 3.1), or 0. */
static size_t scheme_len(const char *t, size_t n)
{
	size_t i = span(t, n, 0, is_scheme);

	if (!n || !is_alpha(t[0]))
		return 0;
	return n - i >= 3 && !memcmp(t + i, "://", 3) ? i + 3 : 0;
}

/* Method and target only: HTTP/0.9. nginx and Apache (Strict, its
 * default) take it for GET only, Apache in Unsafe mode for any method: read
 * for GET, and for any method with an absolute-form target, so that other
 * protocols' lines ("EHLO name") stay other protocols. */
static int request_line_09(struct request_line *rl)
{
	rl->http09 = true;
	if (rl->method_len == 3 && !memcmp(rl->method, "GET", 3))
		return 0;
	return scheme_len(rl->target, rl->target_len) ? 0 : -EBADMSG;
}

/* "HTTP/1." digits, then whitespace only, from v on; `more` says whether
 * running out of bytes means -EAGAIN (a line still arriving). */
static int request_line_version(const char *l, size_t n, size_t v, bool more)
{
	size_t k = n - v < 7 ? n - v : 7, d;

	if (strncasecmp(l + v, "HTTP/1.", k))
		return -EBADMSG;
	if (k < 7)
		return more ? -EAGAIN : -EBADMSG;
	d = span(l, n, v + 7, is_digit);
	if (d == v + 7)
		return more && d == n ? -EAGAIN : -EBADMSG;
	if (span(l, n, d, is_ws) != n)
		return -EBADMSG;
	return more ? -EAGAIN : 0;
}

/* Scans a request line: l[0..n) is the whole line without its CR LF
 * (whole) or the start of one (!whole: running out of bytes is -EAGAIN,
 * "could still be a request line"). Returns 0 (whole and valid), -EAGAIN
 * or -EBADMSG. */
static int request_line_scan(const char *l, size_t n, bool whole,
			     struct request_line *rl)
{
	size_t m, t, e, v;
	int out = whole ? -EBADMSG : -EAGAIN; /* what running out means */

	m = span(l, n, 0, is_tchar);
	if (m == n)
		return out;
	if (!m || !is_ws(l[m]))
		return -EBADMSG;
	t = span(l, n, m, is_ws);
	if (t == n)
		return out;
	e = span(l, n, t, is_target); /* a control character ends it, and
				       * then fails as a version */
	*rl = (struct request_line){ .method = l, .method_len = m,
				     .target = l + t, .target_len = e - t };
	v = span(l, n, e, is_ws);
	if (v == n)
		return whole ? request_line_09(rl) : -EAGAIN;
	return request_line_version(l, n, v, !whole);
}

/* A known method, as far as the bytes go, then whitespace. */
static bool known_method_start(const char *p, size_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);
		if (!memcmp(p, methods[i], len < m ? len : m) &&
		    (len <= m || is_ows(p[m])))
			return true;
	}
	return false;
}

bool http_is_request(const char *p, size_t len)
{
	struct line_cursor c = { p, len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len,
				 0 };
	struct request_line rl;
	const char *l;
	size_t n;

	skip_blank(&c);
	if (known_method_start(p + c.pos, c.len - c.pos))
		return true;
	if (next_line(&c, &l, &n))
		return request_line_scan(p + c.pos, c.len - c.pos, false,
					 &rl) == -EAGAIN;
	return request_line_scan(l, n, true, &rl) == 0;
}

/* An IP literal in brackets, "[v6]" then anything (":port"). */
static int host_parse_v6(const char *h, size_t n, struct http_claim *ret)
{
	const char *end = memchr(h, ']', n);
	char tmp[IP_ADDR_TEXT];
	struct ip_addr a;
	size_t k;

	if (!end || (k = (size_t)(end - h - 1)) >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, h + 1, k);
	tmp[k] = 0;
	if (ip_addr_parse(tmp, &a) || a.family != AF_INET6)
		return -EBADMSG;
	ip_addr_format(&a, ret->name, sizeof(ret->name));
	ret->is_ip = true;
	return 0;
}

/* "name[:port]", "v4[:port]" or "[v6][:port]" into a normalised claim.
 * The port is not read: nginx takes any run of digits, and a long one
 * must not hide the name. */
static int host_parse(const char *h, size_t n, struct http_claim *ret)
{
	char tmp[DOMAIN_TEXT_MAX + 2]; /* a trailing dot, the NUL */
	const char *colon;
	struct ip_addr a;

	*ret = (struct http_claim){ 0 };
	if (n && h[0] == '[')
		return host_parse_v6(h, n, ret);
	colon = memchr(h, ':', n);
	if (colon)
		n = (size_t)(colon - h);
	if (!n || n >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, h, n);
	tmp[n] = 0;
	if (!ip_addr_parse(tmp, &a) && a.family == AF_INET) {
		ip_addr_format(&a, ret->name, sizeof(ret->name));
		ret->is_ip = true;
		return 0;
	}
	return domain_normalize(tmp, n, ret->name) < 0 ? -EBADMSG : 0;
}

/* Adds a claim, or marks where else an equal one was given. */
static void claim_add(struct http_req *r, const struct http_claim *cl,
		      unsigned from)
{
	for (unsigned i = 0; i < r->nclaim; i++) {
		if (!strcmp(r->claim[i].name, cl->name)) {
			r->claim[i].from |= from;
			return;
		}
	}
	if (r->nclaim == HTTP_CLAIMS_MAX)
		return; /* cannot happen: two Host headers and one target */
	r->claim[r->nclaim] = *cl;
	r->claim[r->nclaim++].from = from;
}

/* The authority of t: up to '/', '?' or '#', after any "userinfo@". */
static void authority(const char **t, size_t *n)
{
	size_t end = 0, at = 0;

	while (end < *n && (*t)[end] != '/' && (*t)[end] != '?' &&
	       (*t)[end] != '#')
		end++;
	for (size_t i = 0; i < end; i++)
		if ((*t)[i] == '@')
			at = i + 1;
	*t += at;
	*n = end - at;
}

/* The target's host: absolute-form ("scheme://host/x") and CONNECT's
 * authority-form must be names (servers refuse them otherwise); any other
 * target that is not "/..." or "*" is tried as "host:port", and names
 * nothing when it is not one (servers refuse it). */
static int target_claim(struct http_req *r, const char *t, size_t n)
{
	bool strict = !strcmp(r->method, "CONNECT");
	struct http_claim cl;
	size_t s;
	int e;

	if (!n || t[0] == '/' || (n == 1 && t[0] == '*'))
		return 0;
	s = scheme_len(t, n);
	strict = strict || s;
	t += s, n -= s;
	authority(&t, &n);
	if (!n)
		return 0;
	e = host_parse(t, n, &cl);
	if (e)
		return strict ? e : 0;
	r->has_uri_host = true;
	claim_add(r, &cl, HTTP_FROM_TARGET);
	return 0;
}

/* A Host field being read: it may go on over folded lines. */
struct host_field {
	bool open;
	unsigned words; /* non-blank words in the joined value */
	const char *v; /* the last non-blank piece */
	size_t n;
};

static bool has_ows(const char *v, size_t n)
{
	return memchr(v, ' ', n) || memchr(v, '\t', n);
}

/* One line's part of the value: trimmed, counted in words. Joined with
 * SP (Apache), two non-blank pieces make two words. */
static void host_field_add(struct host_field *hf, const char *v, size_t n)
{
	while (n && is_ows(*v))
		v++, n--;
	while (n && is_ows(v[n - 1]))
		n--;
	if (!n)
		return;
	hf->words += has_ows(v, n) ? 2 : 1;
	hf->v = v;
	hf->n = n;
}

/* The Host field ends (the next field or the blank line): claim it. */
static int host_field_close(struct http_req *r, struct host_field *hf)
{
	struct http_claim cl;
	int e;

	if (!hf->open)
		return 0;
	hf->open = false;
	if (!hf->words)
		return 0; /* empty: names no server */
	if (hf->words > 1)
		return -EBADMSG;
	e = host_parse(hf->v, hf->n, &cl);
	if (e)
		return e;
	claim_add(r, &cl, HTTP_FROM_HOST);
	return 0;
}

static int parse_field(struct http_req *r, struct host_field *hf,
		       const char *l, size_t n)
{
	const char *colon = memchr(l, ':', n);
	size_t k;

	if (!colon)
		return 0; /* no value: nginx keeps it, others refuse */
	k = (size_t)(colon - l);
	while (k && is_ows(l[k - 1]))
		k--;
	if (k != 4 || strncasecmp(l, "host", 4))
		return 0;
	if (++r->nhost > HTTP_HOST_HEADERS_MAX)
		return -EBADMSG;
	*hf = (struct host_field){ .open = true };
	host_field_add(hf, colon + 1, n - (size_t)(colon + 1 - l));
	return 0;
}

static int too_big(size_t len, int e)
{
	return len >= HTTP_HEAD_MAX ? -E2BIG : e;
}

/* Header lines up to the blank line. A line starting with SP or HTAB goes
 * on the field before it (obs-fold); before any field it is skipped. */
static int parse_headers(struct line_cursor *c, struct http_req *r,
			 size_t len)
{
	struct host_field hf = { 0 };
	const char *l;
	size_t n;
	int e;

	for (;;) {
		if ((e = next_line(c, &l, &n)))
			return too_big(len, e);
		if (n && is_ows(l[0])) {
			if (hf.open)
				host_field_add(&hf, l, n);
			continue;
		}
		if ((e = host_field_close(r, &hf)))
			return e;
		if (!n)
			return 0;
		if ((e = parse_field(r, &hf, l, n)))
			return e;
	}
}

static void method_set(struct http_req *r, const struct request_line *rl)
{
	size_t k = rl->method_len < HTTP_METHOD_MAX ? rl->method_len
						     : HTTP_METHOD_MAX;

	memcpy(r->method, rl->method, k);
	r->method[k] = 0;
}

int http_parse_request(const char *p, size_t len, struct http_req *ret)
{
	struct http_req r = { 0 };
	struct line_cursor c = { p, len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len,
				 0 };
	struct request_line rl;
	const char *l;
	size_t n;
	int e;

	skip_blank(&c);
	if ((e = next_line(&c, &l, &n)))
		return too_big(len, e);
	if ((e = request_line_scan(l, n, true, &rl)))
		return e;
	method_set(&r, &rl);
	r.http09 = rl.http09;
	if (!rl.http09 && (e = parse_headers(&c, &r, len)))
		return e;
	if ((e = target_claim(&r, rl.target, rl.target_len)))
		return e;
	if (r.nclaim) {
		r.has_host = true;
		r.host_is_ip = r.claim[0].is_ip;
		memcpy(r.host, r.claim[0].name, sizeof(r.host));
	}
	r.head_len = c.pos;
	*ret = r;
	return 0;
}
