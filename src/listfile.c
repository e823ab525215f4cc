// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/listfile.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "egressd/domain.h"
#include "egressd/limits.h"

#define TOKENS_MAX 16

struct tokens {
	unsigned n;
	char *v[TOKENS_MAX];
};

struct parser {
	enum list_format fmt;
	unsigned flags;
	list_entry_fn fn;
	void *ctx;
	struct list_stats *st;
	struct list_error *err;
	unsigned line;
	/* RPZ state */
	char origin[DOMAIN_TEXT_MAX + 1];
	char last_owner[LIST_LINE_MAX + 1];
	bool in_parens;
};

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Splits in place on blanks; text from a comment character on is dropped. */
static int tokenize(struct parser *p, char *s, const char *comment,
		    struct tokens *t)
{
	t->n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || strchr(comment, *s))
			return 0;
		if (t->n == TOKENS_MAX)
			return fail(p, "too many fields");
		t->v[t->n++] = s;
		while (*s && *s != ' ' && *s != '\t' && !strchr(comment, *s))
			s++;
		if (!*s)
			return 0;
		if (strchr(comment, *s)) {
			*s = 0;
			return 0;
		}
		*s++ = 0;
	}
}

/* Overlapping any of these means a feed entry would cover the hosts'
 * and containers' own networks. Documentation and benchmarking ranges
 * (192.0.2.0/24, 198.18.0.0/15, 203.0.113.0/24, 2001:db8::/32) are not
 * here: they carry no real hosts, and the test beds use them. */
static const char *const bogons[] = {
	"0.0.0.0/8",	  "10.0.0.0/8",	   "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4",
	"240.0.0.0/4",	  "::/128",	   "::1/128",	    "::ffff:0:0/96",
	"fc00::/7",	  "fe80::/10",	   "ff00::/8",
};

static bool overlaps(const struct ip_addr *a, unsigned alen,
		     const struct ip_addr *b, unsigned blen)
{
	unsigned plen = alen < blen ? alen : blen;
	struct ip_addr x = *a, y = *b;

	if (a->family != b->family)
		return false;
	ip_addr_mask(&x, plen);
	ip_addr_mask(&y, plen);
	return ip_addr_equal(&x, &y);
}

static bool is_bogon(const struct ip_addr *net, unsigned plen)
{
	struct ip_addr b;
	unsigned blen;

	for (size_t i = 0; i < sizeof(bogons) / sizeof(bogons[0]); i++)
		if (!ip_cidr_parse(bogons[i], &b, &blen) &&
		    overlaps(net, plen, &b, blen))
			return true;
	return false;
}

static int emit(struct parser *p, struct list_entry *e)
{
	e->line = p->line;
	if (e->allow && (p->flags & LIST_NO_ALLOW)) {
		p->st->allows_ignored++;
		return 0;
	}
	if (e->type == LIST_NETWORK && (p->flags & LIST_STRIP_BOGONS) &&
	    is_bogon(&e->net, e->plen)) {
		p->st->stripped++;
		return 0;
	}
	p->st->entries++;
	return p->fn(e, p->ctx);
}

/* "name" or, when wild_ok, "*.name". */
static int emit_domain(struct parser *p, const char *tok, bool wild_ok,
		       bool allow)
{
	char name[DOMAIN_TEXT_MAX + 1];
	struct list_entry e = { .type = LIST_DOMAIN, .allow = allow };

	if (wild_ok && !strncmp(tok, "*.", 2)) {
		tok += 2;
		e.kind = MATCH_WILDCARD;
	}
	if (domain_normalize(tok, strlen(tok), name) < 0)
		return fail(p, "'%.80s' is not a valid domain name", tok);
	e.name = name;
	return emit(p, &e);
}

static int emit_network(struct parser *p, const char *tok)
{
	struct list_entry e = { .type = LIST_NETWORK };

	if (ip_cidr_parse(tok, &e.net, &e.plen))
		return fail(p, "'%.80s' is not an IP address or network", tok);
	return emit(p, &e);
}

static int line_domains(struct parser *p, char *s)
{
	struct tokens t;
	int r = tokenize(p, s, "#", &t);

	if (r || !t.n)
		return r;
	if (t.n > 1)
		return fail(p, "expected one domain per line, got '%.40s %.40s'",
			    t.v[0], t.v[1]);
	return emit_domain(p, t.v[0], true, false);
}

static bool hosts_local_name(const char *n)
{
	static const char *const local[] = {
		"localhost",	 "localhost.localdomain", "local",
		"broadcasthost", "ip6-localhost",	  "ip6-loopback",
		"ip6-localnet",	 "ip6-mcastprefix",	  "ip6-allnodes",
		"ip6-allrouters", "ip6-allhosts",	  "0.0.0.0",
	};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (!strcasecmp(n, local[i]))
			return true;
	return false;
}

static int line_hosts(struct parser *p, char *s)
{
	struct ip_addr a;
	struct tokens t;
	int r = tokenize(p, s, "#", &t);

	if (r || !t.n)
		return r;
	if (ip_addr_parse(t.v[0], &a))
		return fail(p, "'%.80s' is not an IP address (hosts format)",
			    t.v[0]);
	if (t.n < 2)
		return fail(p, "no host name after '%.80s'", t.v[0]);
	for (unsigned i = 1; i < t.n; i++) {
		if (hosts_local_name(t.v[i])) {
			p->st->skipped++;
			continue;
		}
		r = emit_domain(p, t.v[i], false, false);
		if (r)
			return r;
	}
	return 0;
}

/* "||name^", "||name^|", "@@||name^"; rules with $modifiers, paths,
 * wildcards inside the name, or of other kinds are skipped. */
static int line_adblock(struct parser *p, char *s)
{
	bool allow = false;
	char *end;
	struct tokens t;
	int r = tokenize(p, s, "!", &t);

	if (r || !t.n)
		return r;
	s = t.v[0];
	if (t.n > 1 || s[0] == '[' || s[0] == '#') {
		p->st->skipped++;
		return 0;
	}
	if (!strncmp(s, "@@", 2)) {
		allow = true;
		s += 2;
	}
	if (strncmp(s, "||", 2) || strpbrk(s, "$/*")) {
		p->st->skipped++;
		return 0;
	}
	/* Counted once per rule, though a rule makes two entries. */
	if (allow && (p->flags & LIST_NO_ALLOW)) {
		p->st->allows_ignored++;
		return 0;
	}
	s += 2;
	end = strchr(s, '^');
	if (end) {
		if (strcmp(end, "^") && strcmp(end, "^|"))
			return fail(p, "unexpected text after '^' in '%.80s'", s);
		*end = 0;
	}
	/* "||x^" covers x itself and every subdomain: two entries. */
	r = emit_domain(p, s, false, allow);
	if (r)
		return r;
	struct list_entry e = { .type = LIST_DOMAIN, .kind = MATCH_WILDCARD,
				.allow = allow };
	char name[DOMAIN_TEXT_MAX + 1];
	domain_normalize(s, strlen(s), name);
	e.name = name;
	return emit(p, &e);
}

static int line_cidr_json(struct parser *p, const char *s)
{
	cJSON *j = cJSON_Parse(s), *c;
	int r;

	if (!j || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return fail(p, "invalid JSON line");
	}
	c = cJSON_GetObjectItemCaseSensitive(j, "cidr");
	if (!c) {
		/* {"type":"metadata",...} closes Spamhaus' JSON files. */
		p->st->skipped++;
		cJSON_Delete(j);
		return 0;
	}
	r = cJSON_IsString(c) ? emit_network(p, c->valuestring)
			      : fail(p, "\"cidr\" is not a string");
	cJSON_Delete(j);
	return r;
}

static int line_cidr(struct parser *p, char *s)
{
	struct tokens t;
	int r;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '{')
		return line_cidr_json(p, s);
	r = tokenize(p, s, "#;", &t);
	if (r || !t.n)
		return r;
	if (t.n > 1)
		return fail(p, "expected one address or network per line");
	return emit_network(p, t.v[0]);
}

/* RPZ IP triggers (owner "<plen>.<reversed address>.rpz-ip"):
 *   "32.2.0.0.10"          -> 10.0.0.2/32
 *   "48.zz.db8.2001"       -> 2001:db8::/48   ("zz" stands for "::")
 */
static int rpz_ip_trigger(struct parser *p, char *owner)
{
	char *lab[40], out[96], *save = NULL, *tok;
	unsigned n = 0;
	size_t o;
	bool v6;

	for (tok = strtok_r(owner, ".", &save); tok;
	     tok = strtok_r(NULL, ".", &save)) {
		if (n == 40)
			return fail(p, "bad rpz-ip trigger");
		lab[n++] = tok;
	}
	if (n < 2)
		return fail(p, "bad rpz-ip trigger");
	v6 = n != 5;
	for (unsigned i = 1; i < n && !v6; i++)
		v6 = strspn(lab[i], "0123456789") != strlen(lab[i]);
	o = 0;
	out[0] = 0;
	for (unsigned i = n; i-- > 1;) {
		const char *w = strcmp(lab[i], "zz") ? lab[i] : "";
		bool edge = !*w && (i == n - 1 || i == 1);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s",
				      edge && i == n - 1 ? ":" : "", w,
				      i > 1 ? (v6 ? ":" : ".")
					    : (edge ? ":" : ""));
		if (o >= sizeof(out))
			return fail(p, "bad rpz-ip trigger");
	}
	snprintf(out + o, sizeof(out) - o, "/%s", lab[0]);
	return emit_network(p, out);
}

/* Strips the zone origin from an owner name; "@" is the apex. */
static bool rpz_owner(struct parser *p, char *owner)
{
	size_t n = strlen(owner), o = strlen(p->origin);

	if (!strcmp(owner, "@"))
		return false;
	if (n && owner[n - 1] == '.') {
		owner[--n] = 0;
		if (o && n > o && owner[n - o - 1] == '.' &&
		    !strcasecmp(owner + n - o, p->origin))
			owner[n - o - 1] = 0;
		else if (o && !strcasecmp(owner, p->origin))
			return false;
	}
	return true;
}

static int rpz_rule(struct parser *p, char *owner, const char *type,
		    const char *rdata)
{
	size_t n;
	bool allow = false;

	if (!rpz_owner(p, owner))
		return 0;
	n = strlen(owner);
	if (n > 7 && !strcasecmp(owner + n - 7, ".rpz-ip")) {
		owner[n - 7] = 0;
		return rpz_ip_trigger(p, owner);
	}
	if (strstr(owner, ".rpz-")) { /* nsdname, nsip, client-ip */
		p->st->skipped++;
		return 0;
	}
	if (!strcasecmp(type, "CNAME")) {
		if (!strcasecmp(rdata, "rpz-passthru.") ||
		    !strcasecmp(rdata, "rpz-passthru"))
			allow = true;
		else if (!strncasecmp(rdata, "rpz-tcp-only", 12)) {
			p->st->skipped++;
			return 0;
		}
	}
	/* ".", "*.", "rpz-drop." and local data (A, AAAA, CNAME elsewhere)
	 * all keep the client from the real name: a block. */
	return emit_domain(p, owner, true, allow);
}

static bool rpz_type(const char *t)
{
	static const char *const types[] = { "CNAME", "A",   "AAAA", "TXT",
					     "NS",    "SOA", "MX",   "PTR" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(t, types[i]))
			return true;
	return false;
}

static int line_rpz(struct parser *p, char *s)
{
	bool paren_open = strchr(s, '(') != NULL, paren_close;
	/* Zone-file syntax: a record that starts with a blank has no owner
	 * of its own; it is the previous record's (feeds put " NS localhost."
	 * under the SOA this way). */
	bool inherit = *s == ' ' || *s == '\t';
	struct tokens t;
	unsigned i;
	int r;

	r = tokenize(p, s, ";", &t);
	if (r)
		return r;
	paren_close = t.n && strchr(t.v[t.n - 1], ')');
	if (p->in_parens) { /* inside a multi-line SOA */
		p->in_parens = !paren_close;
		return 0;
	}
	if (!t.n)
		return 0;
	if (t.v[0][0] == '$') {
		if (!strcasecmp(t.v[0], "$ORIGIN") && t.n > 1) {
			char *o = t.v[1];
			size_t n = strlen(o);
			if (n && o[n - 1] == '.')
				o[--n] = 0;
			snprintf(p->origin, sizeof(p->origin), "%s", o);
		}
		return 0;
	}
	p->in_parens = paren_open && !paren_close;
	if (inherit && t.n < TOKENS_MAX) {
		memmove(&t.v[1], &t.v[0], t.n * sizeof(t.v[0]));
		t.v[0] = p->last_owner[0] ? p->last_owner : (char *)"@";
		t.n++;
	} else {
		snprintf(p->last_owner, sizeof(p->last_owner), "%s", t.v[0]);
	}
	/* owner [ttl] [class] TYPE rdata */
	for (i = 1; i < t.n && i <= 3 && !rpz_type(t.v[i]); i++)
		;
	if (i >= t.n || !rpz_type(t.v[i]))
		return fail(p, "not an RPZ record: '%.60s'", t.v[0]);
	if (!strcasecmp(t.v[i], "SOA") || !strcasecmp(t.v[i], "NS"))
		return 0;
	if (i + 1 >= t.n)
		return fail(p, "record without data");
	/* The owner is edited in place: never the kept previous one. */
	char owner[LIST_LINE_MAX + 1];
	snprintf(owner, sizeof(owner), "%s", t.v[0]);
	return rpz_rule(p, owner, t.v[i], t.v[i + 1]);
}

static bool is_comment(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return !*s || *s == '#' || *s == '!' || *s == ';';
}

/* Decides from the first rule line. */
static enum list_format detect(const char *s)
{
	char first[128];
	struct ip_addr a;
	unsigned plen;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!strncmp(s, "||", 2) || !strncmp(s, "@@||", 4) || *s == '[')
		return LIST_FMT_ADBLOCK;
	if (*s == '$' || *s == '@' || strcasestr(s, " CNAME ") ||
	    strcasestr(s, " SOA "))
		return LIST_FMT_RPZ;
	if (*s == '{')
		return LIST_FMT_CIDR;
	sscanf(s, "%127s", first);
	if (!ip_cidr_parse(first, &a, &plen)) {
		const char *rest = s + strlen(first);
		while (*rest == ' ' || *rest == '\t')
			rest++;
		bool more = *rest && *rest != '#' && *rest != ';';
		return more && !strchr(first, '/') ? LIST_FMT_HOSTS
						   : LIST_FMT_CIDR;
	}
	return LIST_FMT_DOMAINS;
}

static int parse_line(struct parser *p, char *s)
{
	if (p->fmt == LIST_FMT_AUTO) {
		if (is_comment(s))
			return 0;
		p->fmt = p->st->format = detect(s);
	}
	switch (p->fmt) {
	case LIST_FMT_DOMAINS:
		return line_domains(p, s);
	case LIST_FMT_HOSTS:
		return line_hosts(p, s);
	case LIST_FMT_ADBLOCK:
		return line_adblock(p, s);
	case LIST_FMT_RPZ:
		return line_rpz(p, s);
	case LIST_FMT_CIDR:
		return line_cidr(p, s);
	default:
		return fail(p, "unknown list format");
	}
}

int list_parse(const char *buf, size_t len, enum list_format fmt,
	       unsigned flags, list_entry_fn fn, void *ctx,
	       struct list_stats *st, struct list_error *err)
{
	struct parser p = { .fmt = fmt, .flags = flags, .fn = fn, .ctx = ctx,
			    .st = st, .err = err };
	char line[LIST_LINE_MAX + 1];
	size_t pos = 0;
	int r;

	memset(st, 0, sizeof(*st));
	st->format = fmt;
	err->line = 0;
	err->msg[0] = 0;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3; /* UTF-8 byte order mark */
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
		/* The next line starts after the newline, or at the end: taken
		 * before the CR is trimmed, so a last line ending in a bare CR
		 * still moves the position to the end. */
		size_t next = pos + n + (nl ? 1 : 0);
		p.line = ++st->lines;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		if (n > LIST_LINE_MAX)
			return fail(&p, "line longer than %d bytes",
				    LIST_LINE_MAX);
		if (memchr(buf + pos, 0, n))
			return fail(&p, "NUL byte: not a text file");
		memcpy(line, buf + pos, n);
		line[n] = 0;
		pos = next;
		r = parse_line(&p, line);
		if (r)
			return r;
	}
	if (p.in_parens)
		return fail(&p, "unclosed '(' at end of zone");
	return 0;
}

bool list_header_value(const char *buf, size_t len, const char *key,
		       char *out, size_t outlen)
{
	char want[64];
	size_t pos = 0, wl;

	wl = (size_t)snprintf(want, sizeof(want), "egressd-%s:", key);
	while (pos < len && (buf[pos] == '#' || buf[pos] == '!' ||
			     buf[pos] == ';' || buf[pos] == '\n')) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, i = pos;
		while (i < end && (buf[i] == '#' || buf[i] == '!' ||
				   buf[i] == ';' || buf[i] == ' '))
			i++;
		if (end - i > wl && !strncasecmp(buf + i, want, wl)) {
			i += wl;
			while (i < end && buf[i] == ' ')
				i++;
			size_t n = end - i;
			while (n && isspace((unsigned char)buf[i + n - 1]))
				n--;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, buf + i, n);
			out[n] = 0;
			return n > 0;
		}
		pos = end + 1;
	}
	return false;
}

static const char *const fmt_names[] = { "auto",    "domains", "hosts",
					 "adblock", "rpz",     "cidr" };

const char *list_format_name(enum list_format f)
{
	return (unsigned)f < 6 ? fmt_names[f] : "?";
}

int list_format_parse(const char *s, enum list_format *ret)
{
	for (unsigned i = 0; i < 6; i++)
		if (!strcmp(s, fmt_names[i])) {
			*ret = (enum list_format)i;
			return 0;
		}
	return -EINVAL;
}
