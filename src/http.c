// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/http.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "egressd/addr.h"
#include "egressd/domain.h"

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

bool http_is_request(const char *p, size_t len)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);
		if (!memcmp(p, methods[i], len < m ? len : m) &&
		    (len <= m || p[m] == ' '))
			return true;
	}
	return false;
}

/* Takes "name", "name:port", "[v6]:port" or "v4:port"; writes the
 * normalised host. */
static int host_set(struct http_req *r, const char *h, size_t n)
{
	char tmp[DOMAIN_TEXT_MAX + 1];
	struct ip_addr a;
	const char *colon;

	while (n && (*h == ' ' || *h == '\t'))
		h++, n--;
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n && h[0] == '[') {
		const char *end = memchr(h, ']', n);
		if (!end || (size_t)(end - h - 1) >= sizeof(tmp))
			return -EBADMSG;
		memcpy(tmp, h + 1, (size_t)(end - h - 1));
		tmp[end - h - 1] = 0;
		if (ip_addr_parse(tmp, &a) || a.family != AF_INET6)
			return -EBADMSG;
		strcpy(r->host, tmp);
		r->host_is_ip = r->has_host = true;
		return 0;
	}
	colon = memchr(h, ':', n);
	if (colon)
		n = (size_t)(colon - h);
	if (!n || n >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, h, n);
	tmp[n] = 0;
	if (!ip_addr_parse(tmp, &a)) {
		strcpy(r->host, tmp);
		r->host_is_ip = r->has_host = true;
		return 0;
	}
	if (domain_normalize(tmp, n, r->host) < 0)
		return -EBADMSG;
	r->has_host = true;
	return 0;
}

/* "METHOD SP target SP HTTP/1.x" */
static int parse_request_line(const char *l, size_t n, struct http_req *r,
			      const char **target, size_t *tlen)
{
	const char *sp1 = memchr(l, ' ', n), *sp2;

	if (!sp1 || (size_t)(sp1 - l) >= sizeof(r->method))
		return -EBADMSG;
	memcpy(r->method, l, (size_t)(sp1 - l));
	r->method[sp1 - l] = 0;
	if (!http_is_request(l, n))
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (!sp2 || (size_t)(l + n - sp2) != 9 || strncmp(sp2 + 1, "HTTP/1.", 7))
		return -EBADMSG;
	*target = sp1 + 1;
	*tlen = (size_t)(sp2 - sp1 - 1);
	return 0;
}

/* Host of an absolute-form ("http://h:p/x") or authority-form ("h:p")
 * target; origin-form ("/x") has none. */
static int target_host(struct http_req *r, const char *t, size_t n)
{
	const char *end;

	if (n && t[0] == '/')
		return 0;
	if (n > 7 && !strncasecmp(t, "http://", 7))
		t += 7, n -= 7;
	else if (n > 8 && !strncasecmp(t, "https://", 8))
		t += 8, n -= 8;
	end = memchr(t, '/', n);
	if (end)
		n = (size_t)(end - t);
	return host_set(r, t, n);
}

static int parse_header(struct http_req *r, const char *l, size_t n,
			bool *seen_host)
{
	const char *colon = memchr(l, ':', n);

	if (!colon)
		return -EBADMSG;
	if ((size_t)(colon - l) != 4 || strncasecmp(l, "host", 4))
		return 0;
	if (*seen_host)
		return -EBADMSG;
	*seen_host = true;
	return host_set(r, colon + 1, n - 5);
}

int http_parse_request(const char *p, size_t len, struct http_req *ret)
{
	struct http_req r = { 0 };
	struct line_cursor c = { p, len > HTTP_HEAD_MAX ? HTTP_HEAD_MAX : len, 0 };
	const char *l, *target;
	size_t n, tlen;
	bool seen_host = false;
	int e;

	e = next_line(&c, &l, &n);
	if (e)
		return len >= HTTP_HEAD_MAX ? -E2BIG : e;
	if ((e = parse_request_line(l, n, &r, &target, &tlen)))
		return e;
	for (unsigned i = 0;; i++) {
		e = next_line(&c, &l, &n);
		if (e)
			return len >= HTTP_HEAD_MAX ? -E2BIG : e;
		if (!n)
			break;
		if (i == HTTP_HEADERS_MAX)
			return -EBADMSG;
		if ((e = parse_header(&r, l, n, &seen_host)))
			return e;
	}
	if (!seen_host && (e = target_host(&r, target, tlen)))
		return e;
	r.head_len = c.pos;
	*ret = r;
	return 0;
}
