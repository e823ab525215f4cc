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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fields of one line looked at: a hosts line with more names than this is
 * refused (hosts files keep a few names a line); the rest of a longer RPZ
 * record (TXT text) is not needed. */
#define TOKENS_MAX 16

struct tokens {
	unsigned n;
	bool more; /* fields past TOKENS_MAX were dropped */
	char *v[TOKENS_MAX];
};

/* What one name of a rule covers (see the top of listfile.h). */
enum cover {
	COVER_EXACT, /* x */
	COVER_BELOW, /* every subdomain of x, not x */
	COVER_TREE, /* x and every subdomain */
};

struct parser {
	enum list_format fmt;
	unsigned flags;
	list_entry_fn fn;
	void *ctx;
	struct list_stats *st;
	struct list_error *err;
	unsigned line;
	bool line_failed; /* fail() was called for this line */
	/* AdBlock: rule texts a "$badfilter" rule cancels, sorted. */
	char **cancel;
	size_t ncancel, capcancel;
	/* RPZ state */
	char origin[DOMAIN_TEXT_MAX + 1];
	char last_owner[LIST_LINE_MAX + 1];
	bool in_parens;
};

static void set_error(struct parser *p, unsigned line, const char *fmt,
		      va_list ap)
{
	p->err->line = line;
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
}

/* An invalid line: refuses the file (strict) or is skipped (lenient). */
static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(p, p->line, fmt, ap);
	va_end(ap);
	p->line_failed = true;
	return -EINVAL;
}

/* The file as a whole is refused, in both modes. */
static int fail_file(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_error(p, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *skip_blanks(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Splits in place on blanks; text from a comment character on is dropped. */
static void tokenize(char *s, const char *comment, struct tokens *t)
{
	t->n = 0;
	t->more = false;
	for (;;) {
		s = skip_blanks(s);
		if (!*s || strchr(comment, *s))
			return;
		if (t->n == TOKENS_MAX) {
			t->more = true;
			return;
		}
		t->v[t->n++] = s;
		while (*s && *s != ' ' && *s != '\t' && !strchr(comment, *s))
			s++;
		if (!*s)
			return;
		if (strchr(comment, *s)) {
			*s = 0;
			return;
		}
		*s++ = 0;
	}
}

/* ---- entries ---- */

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

	for (size_t i = 0; i < ARRAY_LEN(bogons); i++)
		if (!ip_cidr_parse(bogons[i], &b, &blen) &&
		    overlaps(net, plen, &b, blen))
			return true;
	return false;
}

static int emit(struct parser *p, struct list_entry *e)
{
	e->line = p->line;
	if (e->type == LIST_NETWORK && (p->flags & LIST_STRIP_BOGONS) &&
	    is_bogon(&e->net, e->plen)) {
		p->st->stripped++;
		return 0;
	}
	p->st->entries++;
	if (e->type == LIST_DOMAIN)
		p->st->domains++;
	else
		p->st->networks++;
	return p->fn(e, p->ctx);
}

int list_name_normalize(const char *in, char *out)
{
	const char *last;

	if (domain_normalize(in, strlen(in), out) < 0)
		return -EINVAL;
	last = strrchr(out, '.');
	last = last ? last + 1 : out;
	return strspn(last, "0123456789") == strlen(last) ? -EINVAL : 0;
}

/* The target of a rule: an address or network, else a host name. */
static int target_check(struct parser *p, const char *tok, enum cover c)
{
	char name[DOMAIN_TEXT_MAX + 1];
	struct ip_addr a;
	unsigned plen;

	if (!ip_cidr_parse(tok, &a, &plen))
		return c == COVER_BELOW
			       ? fail(p, "'*.%.80s': an address has no "
					 "subdomains", tok)
			       : 0;
	if (list_name_normalize(tok, name))
		return fail(p, "'%.80s' is neither a domain name nor an IP "
			       "address or network", tok);
	return 0;
}

/* Emits what one rule covers: one network, or one or two name entries.
 * Checked whole before anything is emitted, so that an invalid rule
 * passes nothing on (a lenient parse skips the line whole). */
static int emit_target(struct parser *p, const char *tok, enum cover c,
		       bool allow)
{
	char name[DOMAIN_TEXT_MAX + 1];
	struct list_entry e = { .type = LIST_DOMAIN, .allow = allow };
	int r = target_check(p, tok, c);

	if (r)
		return r;
	if (allow && (p->flags & LIST_NO_ALLOW)) {
		p->st->allows_ignored++; /* once per rule */
		return 0;
	}
	if (!ip_cidr_parse(tok, &e.net, &e.plen)) {
		e.type = LIST_NETWORK;
		return emit(p, &e);
	}
	list_name_normalize(tok, name);
	e.name = name;
	if (c != COVER_BELOW) {
		e.kind = MATCH_EXACT;
		r = emit(p, &e);
	}
	if (!r && c != COVER_EXACT) {
		e.kind = MATCH_WILDCARD;
		r = emit(p, &e);
	}
	return r;
}

static int emit_network(struct parser *p, const char *tok, bool allow)
{
	struct list_entry e = { .type = LIST_NETWORK, .allow = allow };

	if (ip_cidr_parse(tok, &e.net, &e.plen))
		return fail(p, "'%.80s' is not an IP address or network", tok);
	if (allow && (p->flags & LIST_NO_ALLOW)) {
		p->st->allows_ignored++;
		return 0;
	}
	return emit(p, &e);
}

/* ---- domains, wildcard ---- */

static int line_domains(struct parser *p, char *s)
{
	struct tokens t;

	tokenize(s, "#;", &t);
	if (!t.n)
		return 0;
	if (t.n > 1)
		return fail(p, "expected one domain a line, got '%.40s %.40s'",
			    t.v[0], t.v[1]);
	if (!strncmp(t.v[0], "*.", 2))
		return emit_target(p, t.v[0] + 2, COVER_BELOW, false);
	return emit_target(p, t.v[0], COVER_EXACT, false);
}

/* DNSCrypt blocked-names syntax, as HaGeZi's wildcard edition uses it:
 * "x" and "*.x" cover x and every subdomain, "=x" x only. Other patterns
 * ("ads.*", "*sex*", "ads[0-9]*") match by glob, which a suffix table
 * cannot do; a time-restricted rule ("x @work") only at times: both are
 * skipped. */
static int line_wildcard(struct parser *p, char *s)
{
	enum cover c = COVER_TREE;
	struct tokens t;
	const char *tok;

	tokenize(s, "#", &t);
	if (!t.n)
		return 0;
	tok = t.v[0];
	if (t.n > 1 && t.v[1][0] != '@')
		return fail(p, "expected one pattern a line, got '%.40s %.40s'",
			    t.v[0], t.v[1]);
	if (tok[0] == '=') {
		tok++;
		c = COVER_EXACT;
	} else if (!strncmp(tok, "*.", 2))
		tok += 2;
	if (t.n > 1 || strpbrk(tok, "*?[]")) {
		p->st->skipped++;
		return 0;
	}
	return emit_target(p, tok, c, false);
}

/* ---- hosts ---- */

static bool hosts_local_name(const char *n)
{
	static const char *const local[] = {
		"localhost",	 "localhost.localdomain", "local",
		"broadcasthost", "ip6-localhost",	  "ip6-loopback",
		"ip6-localnet",	 "ip6-mcastprefix",	  "ip6-allnodes",
		"ip6-allrouters", "ip6-allhosts",	  "0.0.0.0",
	};
	for (size_t i = 0; i < ARRAY_LEN(local); i++)
		if (!strcasecmp(n, local[i]))
			return true;
	return false;
}

/* The address field, a scoped IPv6 address ("fe80::1%lo0", StevenBlack's
 * header) included. */
static bool hosts_addr(const char *tok)
{
	char buf[IP_ADDR_TEXT];
	struct ip_addr a;
	size_t n = strcspn(tok, "%");

	if (n >= sizeof(buf) || (tok[n] && !tok[n + 1]))
		return false;
	memcpy(buf, tok, n);
	buf[n] = 0;
	return !ip_addr_parse(buf, &a);
}

static int hosts_names(struct parser *p, struct tokens *t)
{
	int r = 0;

	if (t->more)
		return fail(p, "more than %d names on a line", TOKENS_MAX - 1);
	for (unsigned i = 1; i < t->n; i++)
		if (!hosts_local_name(t->v[i]) &&
		    (r = target_check(p, t->v[i], COVER_EXACT)))
			return r;
	for (unsigned i = 1; i < t->n && !r; i++) {
		if (hosts_local_name(t->v[i]))
			p->st->skipped++;
		else
			r = emit_target(p, t->v[i], COVER_EXACT, false);
	}
	return r;
}

static int line_hosts(struct parser *p, char *s)
{
	struct tokens t;

	tokenize(s, "#", &t);
	if (!t.n)
		return 0;
	if (!hosts_addr(t.v[0]))
		return fail(p, "'%.80s' is not an IP address (hosts format)",
			    t.v[0]);
	if (t.n < 2)
		return fail(p, "no host name after '%.80s'", t.v[0]);
	return hosts_names(p, &t);
}

/* ---- AdBlock ---- */

/* Element hiding, scriptlet and HTML filtering rules: page content, not
 * hosts. */
static bool adblock_cosmetic(const char *s)
{
	static const char *const marks[] = { "##",  "#@#",  "#?#", "#@?#",
					     "#$#", "#@$#", "#%#", "#@%#",
					     "$$",  "$@$" };
	for (size_t i = 0; i < ARRAY_LEN(marks); i++)
		if (strstr(s, marks[i]))
			return true;
	return false;
}

/* "# text" lines (the AdGuard DNS filter has them), "#####" banners; but
 * "##.ad" and "###ad" are element hiding rules. */
static bool adblock_hash_comment(const char *s)
{
	size_t h = strspn(s, "#");

	return h && (!s[h] || s[h] == ' ' || s[h] == '\t' || h > 3 ||
		     !adblock_cosmetic(s));
}

/* Options that leave a rule about the whole host. $all and $document
 * ($doc) are what uBlock's badware and malware lists put on hosts bad as
 * a site: what a container fetches has no page, and a host bad to visit
 * is bad to talk to. Every other option narrows the rule to requests only
 * a browser can tell apart ($third-party, $script, $domain=, $popup) or,
 * in AdGuard Home, to some clients or query types ($client, $dnstype,
 * $denyallow, $dnsrewrite): a verdict on the name would widen it. */
static bool adblock_broad_option(const char *o)
{
	static const char *const broad[] = { "important", "all", "document",
					     "doc", "match-case" };
	for (size_t i = 0; i < ARRAY_LEN(broad); i++)
		if (!strcasecmp(o, broad[i]))
			return true;
	return false;
}

enum { OPTS_APPLY, OPTS_NARROW, OPTS_BADFILTER };

/* opts is edited (split on commas). */
static int adblock_options(char *opts)
{
	char *save = NULL, *o;
	int r = OPTS_APPLY;

	for (o = strtok_r(opts, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(o, "badfilter"))
			return OPTS_BADFILTER;
		if (!adblock_broad_option(o))
			r = OPTS_NARROW;
	}
	return r;
}

/* "||x^$a,badfilter,b" cancels the rule "||x^$a,b": the same text without
 * the badfilter option. Writes that text to out; false if rule has no
 * $badfilter. */
static bool badfilter_target(const char *rule, char *out, size_t outlen)
{
	const char *d = strchr(rule, '$');
	char opts[LIST_LINE_MAX + 1], *save = NULL, *o;
	size_t n, used;
	bool found = false;

	if (!d || (size_t)(d - rule) >= outlen)
		return false;
	n = (size_t)(d - rule);
	memcpy(out, rule, n);
	used = n;
	snprintf(opts, sizeof(opts), "%s", d + 1);
	for (o = strtok_r(opts, ",", &save); o;
	     o = strtok_r(NULL, ",", &save)) {
		if (!strcasecmp(o, "badfilter")) {
			found = true;
			continue;
		}
		used += (size_t)snprintf(out + used, outlen - used, "%c%s",
					 used == n ? '$' : ',', o);
		if (used >= outlen)
			return false;
	}
	out[used] = 0;
	return found;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cancel_add(struct parser *p, const char *text)
{
	char *c;

	if (p->ncancel == p->capcancel) {
		size_t n = p->capcancel ? 2 * p->capcancel : 16;
		char **v = realloc(p->cancel, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->cancel = v;
		p->capcancel = n;
	}
	c = strdup(text);
	if (!c)
		return -ENOMEM;
	p->cancel[p->ncancel++] = c;
	return 0;
}

static bool adblock_cancelled(const struct parser *p, const char *rule)
{
	return p->ncancel && bsearch(&rule, p->cancel, p->ncancel,
				     sizeof(*p->cancel), cmp_str);
}

static void cancel_free(struct parser *p)
{
	for (size_t i = 0; i < p->ncancel; i++)
		free(p->cancel[i]);
	free(p->cancel);
	p->cancel = NULL;
	p->ncancel = p->capcancel = 0;
}

/* The rule of an AdBlock line (its first field), or NULL for comments and
 * headers. */
static char *adblock_rule_text(char *s)
{
	s = skip_blanks(s);
	if (!*s || *s == '!' || *s == '[')
		return NULL;
	return s;
}

/* First pass: a $badfilter rule may come after the rule it cancels. */
static int badfilter_collect(struct parser *p, const char *buf, size_t len)
{
	char line[LIST_LINE_MAX + 1], target[LIST_LINE_MAX + 1], *s;
	size_t pos = 0;
	int r = 0;

	while (!r && pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
		if (n <= LIST_LINE_MAX && memchr(buf + pos, '$', n)) {
			memcpy(line, buf + pos, n);
			line[n] = 0;
			s = adblock_rule_text(line);
			if (s && strcasestr(s, "badfilter") &&
			    !adblock_cosmetic(s)) {
				s[strcspn(s, " \t\r")] = 0;
				if (badfilter_target(s, target, sizeof(target)))
					r = cancel_add(p, target);
			}
		}
		pos += n + 1;
	}
	if (p->ncancel)
		qsort(p->cancel, p->ncancel, sizeof(*p->cancel), cmp_str);
	return r;
}

/* What follows the host name ("^" and "|" already taken off) decides.
 * Returns 1 if the rule is skipped (counted), 0 or -EINVAL otherwise. */
static int adblock_host_tail(struct parser *p, char *host, bool anchored)
{
	char *tail = host + strcspn(host, "^/|*:?=&");

	if (!*tail)
		return *host ? 0 : fail(p, "no host name in the rule");
	/* "||host/path^": a URL on the host; not all of the host is bad. */
	if (anchored && (*tail == '/' || *tail == '^' || *tail == '?'))
		p->st->paths++;
	p->st->skipped++; /* also ports, globs, URL substrings */
	return 1;
}

/* A bare rule that is a host name ("evil.test", "203.0.113.7"), not a
 * URL substring ("-ad-banner.", "_ads_"): AdGuard Home takes it as that
 * name only. */
static bool adblock_bare_host(const char *s)
{
	static const char host_chars[] = "abcdefghijklmnopqrstuvwxyz"
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789.-_";
	struct ip_addr a;
	unsigned plen;
	size_t n = strlen(s);

	if (!ip_cidr_parse(s, &a, &plen))
		return true;
	return n && strchr(s, '.') && !strchr("-._", s[0]) &&
	       !strchr("-._", s[n - 1]) && strspn(s, host_chars) == n;
}

/* Takes "^" and "|" off the end of a rule: "||x^", "||x^|", "||x|". */
static void adblock_trim_end(char *s)
{
	size_t n = strlen(s);

	if (n && s[n - 1] == '|')
		s[--n] = 0;
	if (n && s[n - 1] == '^')
		s[--n] = 0;
}

/* "$opts" taken off s. Returns 1 if the rule is skipped (counted). */
static int adblock_take_options(struct parser *p, char *s)
{
	char *opts = strchr(s, '$');
	int r;

	if (!opts)
		return 0;
	*opts++ = 0;
	r = adblock_options(opts);
	if (r == OPTS_APPLY)
		return 0;
	p->st->modifiers += r == OPTS_NARROW;
	p->st->skipped++; /* $badfilter rules too: they cancel, not block */
	return 1;
}

static int adblock_rule(struct parser *p, char *s)
{
	bool allow = !strncmp(s, "@@", 2), anchored = false;
	enum cover c = COVER_EXACT;
	struct ip_addr a;
	unsigned plen;
	int r;

	s += allow ? 2 : 0;
	if (*s == '/') { /* a regular expression or a path: not a host */
		p->st->skipped++;
		return 0;
	}
	if (adblock_take_options(p, s))
		return 0;
	if (!strncmp(s, "||", 2)) {
		s += 2;
		anchored = true;
		c = COVER_TREE;
		if (!strncmp(s, "*.", 2)) { /* any subdomain of x */
			s += 2;
			c = COVER_BELOW;
		}
	} else if (s[0] == '.' && strchr(s, '^')) { /* ".x^": the same */
		s++;
		c = COVER_BELOW;
	}
	adblock_trim_end(s);
	/* "||203.0.113.0/24^": a network, though it looks like a path. */
	if (c != COVER_BELOW && !ip_cidr_parse(s, &a, &plen))
		return emit_target(p, s, COVER_EXACT, allow);
	r = adblock_host_tail(p, s, anchored);
	if (r)
		return r < 0 ? r : 0;
	if (c == COVER_EXACT && !adblock_bare_host(s)) {
		p->st->skipped++; /* "-ad-banner.", "_ads_": URL substrings */
		return 0;
	}
	return emit_target(p, s, c, allow);
}

static int line_adblock(struct parser *p, char *s)
{
	char *rest;

	s = adblock_rule_text(s);
	if (!s)
		return 0;
	if (adblock_hash_comment(s))
		return 0;
	if (adblock_cosmetic(s)) {
		p->st->skipped++;
		return 0;
	}
	rest = s + strcspn(s, " \t");
	if (*rest) {
		char first[IP_ADDR_TEXT + 16];
		snprintf(first, sizeof(first), "%.*s", (int)(rest - s), s);
		/* "0.0.0.0 x": AdGuard Home reads hosts lines too */
		if (hosts_addr(first))
			return line_hosts(p, s);
		*rest++ = 0;
		rest = skip_blanks(rest);
		if (*rest && *rest != '!' && *rest != '#')
			return fail(p, "unexpected text after the rule '%.60s'",
				    s);
	}
	if (adblock_cancelled(p, s)) {
		p->st->cancelled++;
		return 0;
	}
	return adblock_rule(p, s);
}

/* ---- CIDR ---- */

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
	r = cJSON_IsString(c) ? emit_network(p, c->valuestring, false)
			      : fail(p, "\"cidr\" is not a string");
	cJSON_Delete(j);
	return r;
}

static int line_cidr(struct parser *p, char *s)
{
	struct tokens t;

	s = skip_blanks(s);
	if (*s == '{')
		return line_cidr_json(p, s);
	tokenize(s, "#;", &t);
	if (!t.n)
		return 0;
	if (t.n > 1)
		return fail(p, "expected one address or network per line");
	return emit_network(p, t.v[0], false);
}

/* ---- RPZ ---- */

/* RPZ IP triggers (owner "<plen>.<reversed address>.rpz-ip"):
 *   "32.2.0.0.10"          -> 10.0.0.2/32
 *   "48.zz.db8.2001"       -> 2001:db8::/48   ("zz" stands for "::")
 */
static int rpz_ip_trigger(struct parser *p, char *owner, bool allow)
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
	return emit_network(p, out, allow);
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
	if (!strcasecmp(type, "CNAME")) {
		if (!strcasecmp(rdata, "rpz-passthru.") ||
		    !strcasecmp(rdata, "rpz-passthru"))
			allow = true;
		else if (!strncasecmp(rdata, "rpz-tcp-only", 12)) {
			p->st->skipped++;
			return 0;
		}
	}
	n = strlen(owner);
	if (n > 7 && !strcasecmp(owner + n - 7, ".rpz-ip")) {
		owner[n - 7] = 0;
		return rpz_ip_trigger(p, owner, allow);
	}
	if (strstr(owner, ".rpz-")) { /* nsdname, nsip, client-ip */
		p->st->skipped++;
		return 0;
	}
	/* ".", "*.", "rpz-drop." and local data (A, AAAA, CNAME elsewhere)
	 * all keep the client from the real name: a block. */
	if (!strncmp(owner, "*.", 2))
		return emit_target(p, owner + 2, COVER_BELOW, allow);
	return emit_target(p, owner, COVER_EXACT, allow);
}

static bool rpz_type(const char *t)
{
	static const char *const types[] = { "CNAME", "A",   "AAAA", "TXT",
					     "NS",    "SOA", "MX",   "PTR" };
	for (size_t i = 0; i < ARRAY_LEN(types); i++)
		if (!strcasecmp(t, types[i]))
			return true;
	return false;
}

static bool rpz_has(const struct tokens *t, char ch)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strchr(t->v[i], ch))
			return true;
	return false;
}

static void rpz_directive(struct parser *p, struct tokens *t)
{
	if (!strcasecmp(t->v[0], "$ORIGIN") && t->n > 1) {
		char *o = t->v[1];
		size_t n = strlen(o);
		if (n && o[n - 1] == '.')
			o[--n] = 0;
		snprintf(p->origin, sizeof(p->origin), "%s", o);
	}
}

static int line_rpz(struct parser *p, char *s)
{
	/* Zone-file syntax: a record that starts with a blank has no owner
	 * of its own; it is the previous record's (feeds put " NS localhost."
	 * under the SOA this way). */
	bool inherit = *s == ' ' || *s == '\t', paren_open, paren_close;
	char owner[LIST_LINE_MAX + 1];
	struct tokens t;
	unsigned i;

	/* Parentheses count outside comments only: abuse.ch's comments say
	 * "; Malware download (2025-01-01)". */
	tokenize(s, ";", &t);
	paren_open = rpz_has(&t, '(');
	paren_close = rpz_has(&t, ')');
	if (p->in_parens) { /* inside a multi-line SOA */
		p->in_parens = !paren_close;
		return 0;
	}
	if (!t.n)
		return 0;
	if (t.v[0][0] == '$') {
		rpz_directive(p, &t);
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
	snprintf(owner, sizeof(owner), "%s", t.v[0]);
	return rpz_rule(p, owner, t.v[i], t.v[i + 1]);
}

/* ---- format detection ---- */

/* Walks the lines of buf: *pos is the next line's start; the line is
 * copied to out (at most LIST_LINE_MAX bytes, CR taken off). */
static bool next_line(const char *buf, size_t len, size_t *pos, char *out)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return false;
	nl = memchr(buf + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - buf - *pos) : len - *pos;
	if (n && buf[*pos + n - 1] == '\r')
		n--;
	if (n > LIST_LINE_MAX)
		n = LIST_LINE_MAX;
	memcpy(out, buf + *pos, n);
	out[n] = 0;
	*pos = nl ? (size_t)(nl - buf) + 1 : len;
	return true;
}

/* A header comment naming a wildcard syntax. HaGeZi's wildcard lists say
 * "# Syntax: Domains Wildcard (without subdomains)" and their
 * "onlydomains" ones "# Syntax: Domains (without subdomains)": the
 * publisher's word that a name stands for itself and its subdomains. */
static bool wildcard_header(const char *s)
{
	const char *v = strcasestr(s, "syntax:");

	return v && (strcasestr(v, "wildcard") ||
		     strcasestr(v, "without subdomains"));
}

/* A rule line: returns its format, or AUTO for one bare field per line,
 * which the rest of the file decides. */
static enum list_format detect_rule(char *s)
{
	struct tokens t;

	s = skip_blanks(s);
	if (!strncmp(s, "||", 2) || !strncmp(s, "@@", 2) || *s == '|' ||
	    adblock_cosmetic(s))
		return LIST_FMT_ADBLOCK;
	if (*s == '$' || *s == '@')
		return LIST_FMT_RPZ;
	if (*s == '{')
		return LIST_FMT_CIDR;
	tokenize(s, "#;", &t);
	for (unsigned i = 1; i < t.n && i <= 3; i++)
		if (rpz_type(t.v[i]))
			return LIST_FMT_RPZ;
	if (t.n > 1 && hosts_addr(t.v[0]))
		return LIST_FMT_HOSTS;
	return LIST_FMT_AUTO;
}

/* One field a line from here on: an IP list if every field is an address
 * or network (netset, DROP), else a domains list, which takes addresses
 * too (URLhaus' domain list is mostly IPv4 addresses). */
static enum list_format detect_plain(const char *buf, size_t len, size_t pos,
				     char *line)
{
	struct ip_addr a;
	unsigned plen;
	struct tokens t;

	while (next_line(buf, len, &pos, line)) {
		tokenize(line, "#;!", &t);
		if (t.n && t.v[0][0] != '{' && ip_cidr_parse(t.v[0], &a, &plen))
			return LIST_FMT_DOMAINS;
	}
	return LIST_FMT_CIDR;
}

/* From the header and the first rule line: "!" comments and "[Adblock"
 * headers are AdBlock's alone; a wildcard syntax header makes a list of
 * bare names a wildcard list. */
static enum list_format detect(const char *buf, size_t len, size_t pos)
{
	char line[LIST_LINE_MAX + 1];
	enum list_format f;
	bool wild = false;
	size_t start;

	for (start = pos; next_line(buf, len, &pos, line); start = pos) {
		char *s = skip_blanks(line);
		if (*s == '!' || *s == '[')
			return LIST_FMT_ADBLOCK;
		if (*s == '#') {
			wild = wild || wildcard_header(s);
			continue;
		}
		if (!*s || *s == ';')
			continue;
		f = detect_rule(s);
		if (f != LIST_FMT_AUTO)
			return f;
		return wild ? LIST_FMT_WILDCARD
			    : detect_plain(buf, len, start, line);
	}
	return LIST_FMT_DOMAINS; /* no rule at all */
}

/* ---- the whole file ---- */

static int parse_line(struct parser *p, char *s)
{
	switch (p->fmt) {
	case LIST_FMT_DOMAINS:
		return line_domains(p, s);
	case LIST_FMT_WILDCARD:
		return line_wildcard(p, s);
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

/* Every counter a rule line moves, one way or another. */
static unsigned rule_marks(const struct list_stats *st)
{
	return st->entries + st->skipped + st->stripped + st->allows_ignored +
	       st->cancelled + st->invalid;
}

static void note_invalid(struct parser *p)
{
	struct list_stats *st = p->st;

	if (st->invalid < LIST_INVALID_KEPT)
		st->first_invalid[st->invalid] = *p->err;
	st->invalid++;
	p->err->line = 0;
	p->err->msg[0] = 0;
}

/* One line, n bytes at s. */
static int parse_one(struct parser *p, const char *s, size_t n)
{
	char line[LIST_LINE_MAX + 1];
	unsigned before = rule_marks(p->st);
	int r;

	p->line_failed = false;
	if (memchr(s, 0, n))
		return fail_file(p, p->line, "NUL byte: not a text file");
	if (n > LIST_LINE_MAX) {
		r = fail(p, "line longer than %d bytes", LIST_LINE_MAX);
	} else {
		memcpy(line, s, n);
		line[n] = 0;
		r = parse_line(p, line);
	}
	if (r == -EINVAL && p->line_failed && (p->flags & LIST_LENIENT)) {
		note_invalid(p);
		r = 0;
	}
	if (!r && rule_marks(p->st) != before)
		p->st->rules++;
	return r;
}

static int parse_lines(struct parser *p, const char *buf, size_t len,
		       size_t pos)
{
	int r;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - buf - pos) : len - pos;
		/* The next line starts after the newline, or at the end: taken
		 * before the CR is trimmed, so a last line ending in a bare CR
		 * still moves the position to the end. */
		size_t next = pos + n + (nl ? 1 : 0);
		p->line = ++p->st->lines;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		r = parse_one(p, buf + pos, n);
		if (r)
			return r;
		pos = next;
	}
	if (p->in_parens)
		return fail_file(p, p->line, "unclosed '(' at end of zone");
	return 0;
}

/* Appends ", N what" to buf when N is not 0. */
static void say_count(char *buf, size_t len, unsigned n, const char *what)
{
	size_t o = strlen(buf);

	if (n && o < len)
		snprintf(buf + o, len - o, "%s%u %s", o ? ", " : "", n, what);
}

/* Not a list, or nothing in it egressd can use: refused, saying why. */
static int judge(struct parser *p)
{
	const struct list_stats *st = p->st;
	bool lenient = p->flags & LIST_LENIENT;
	char why[160] = "";

	if (lenient && st->invalid &&
	    (unsigned long long)st->invalid * 100 >
		    (unsigned long long)st->rules * LIST_INVALID_PERCENT_MAX)
		return fail_file(p, st->first_invalid[0].line,
				 "%.110s (%u of %u rules invalid, over %d%%: "
				 "not a %s list?)",
				 st->first_invalid[0].msg, st->invalid,
				 st->rules, LIST_INVALID_PERCENT_MAX,
				 list_format_name(st->format));
	if (st->entries || (!lenient && !st->rules))
		return 0;
	say_count(why, sizeof(why), st->paths, "with a path");
	say_count(why, sizeof(why), st->modifiers, "narrowed by $options");
	say_count(why, sizeof(why), st->cancelled, "cancelled by $badfilter");
	say_count(why, sizeof(why),
		  st->skipped - st->paths - st->modifiers, "other skipped");
	say_count(why, sizeof(why), st->stripped, "private or reserved");
	say_count(why, sizeof(why), st->allows_ignored,
		  "allow rules in a blacklist");
	say_count(why, sizeof(why), st->invalid, "invalid");
	return fail_file(p, 0, "no entries in %u lines%s%s%s", st->lines,
			 why[0] ? " (" : "", why, why[0] ? ")" : "");
}

int list_parse(const char *buf, size_t len, enum list_format fmt,
	       unsigned flags, list_entry_fn fn, void *ctx,
	       struct list_stats *st, struct list_error *err)
{
	struct parser p = { .fmt = fmt, .flags = flags, .fn = fn, .ctx = ctx,
			    .st = st, .err = err };
	size_t pos = 0;
	int r = 0;

	memset(st, 0, sizeof(*st));
	err->line = 0;
	err->msg[0] = 0;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3; /* UTF-8 byte order mark */
	if (p.fmt == LIST_FMT_AUTO)
		p.fmt = detect(buf, len, pos);
	st->format = p.fmt;
	if (p.fmt == LIST_FMT_ADBLOCK)
		r = badfilter_collect(&p, buf + pos, len - pos);
	if (!r)
		r = parse_lines(&p, buf, len, pos);
	if (!r)
		r = judge(&p);
	cancel_free(&p);
	return r;
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

static const char *const fmt_names[] = {
	[LIST_FMT_AUTO] = "auto",     [LIST_FMT_DOMAINS] = "domains",
	[LIST_FMT_HOSTS] = "hosts",   [LIST_FMT_ADBLOCK] = "adblock",
	[LIST_FMT_RPZ] = "rpz",	      [LIST_FMT_CIDR] = "cidr",
	[LIST_FMT_WILDCARD] = "wildcard",
};

const char *list_format_name(enum list_format f)
{
	return (unsigned)f < ARRAY_LEN(fmt_names) ? fmt_names[f] : "?";
}

int list_format_parse(const char *s, enum list_format *ret)
{
	for (unsigned i = 0; i < ARRAY_LEN(fmt_names); i++)
		if (!strcmp(s, fmt_names[i])) {
			*ret = (enum list_format)i;
			return 0;
		}
	return -EINVAL;
}
