// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line redaction: the rules are described in egressd/redact.h.
 *
 * One forward pass. The scanner walks whitespace-separated tokens, keeps the
 * current argv element's bounds, finds keys in each token and masks the
 * value that follows. Output is written lazily: `done` is the first input
 * byte not yet copied, mask() copies up to the value, writes "***" and
 * skips the value. Masks only move forward, so `done` never goes back. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "egressd/redact.h"

/* A word this long also matches at the end of a key part whatever precedes
 * it (PGPASSWORD, csrftoken); shorter words must start a part: "pass" in
 * "compass" or "bypass", "auth" in "oauth" are not secrets. */
#define REDACT_SUFFIX_MIN 5

static const char *const default_words[] = {
	"password", "passwd", "pwd", "pass", "passphrase", "secret", "token",
	"apikey", "api_key", "access_key", "secret_key", "private_key",
	"authorization", "auth", "credential", "credentials", "bearer",
	"session", "cookie",
};

#define NDEFAULT (sizeof(default_words) / sizeof(default_words[0]))

/* ---- bytes ---------------------------------------------------------- */

/* Separators: NUL (argv boundary) and every byte shown as a space. */
static bool is_sp(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(unsigned char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || is_upper(c) || is_lower(c);
}

static bool is_partsep(unsigned char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Characters of a key (and of a word). */
static bool is_keych(unsigned char c)
{
	return is_alnum(c) || is_partsep(c);
}

static bool is_quote(unsigned char c)
{
	return c == '\'' || c == '"';
}

static unsigned char lower(unsigned char c)
{
	return is_upper(c) ? c - 'A' + 'a' : c;
}

/* ---- word matching -------------------------------------------------- */

/* Is there a part boundary between k[i-1] and k[i]? (0 < i < klen) */
static bool part_boundary(const char *k, size_t klen, size_t i)
{
	unsigned char a = k[i - 1], b = k[i];

	if (is_partsep(a) || is_partsep(b) || is_digit(a) != is_digit(b))
		return true;
	if (is_lower(a) && is_upper(b))
		return true;
	return is_upper(a) && is_upper(b) && i + 1 < klen &&
	       is_lower(k[i + 1]);
}

static bool word_at(const char *k, const char *w, size_t wl)
{
	for (size_t i = 0; i < wl; i++) {
		if (w[i] == '_' ? !is_partsep(k[i]) : lower(k[i]) != w[i])
			return false;
	}
	return true;
}

/* Does key k contain word w under the rule of redact.h? With last, only
 * where w ends the key. */
static bool key_has_word(const char *k, size_t klen, const char *w,
			 bool last)
{
	size_t wl = strlen(w);

	for (size_t p = 0; p + wl <= klen; p++) {
		size_t e = p + wl;

		if (!word_at(k + p, w, wl) || (last && e != klen))
			continue;
		if (e != klen && !part_boundary(k, klen, e))
			continue;
		if (p == 0 || part_boundary(k, klen, p) ||
		    wl >= REDACT_SUFFIX_MIN)
			return true;
	}
	return false;
}

static bool key_matches(const struct redact_rules *r, const char *k,
			size_t klen, bool last)
{
	while (klen && *k == '-')
		k++, klen--;
	for (unsigned i = 0; i < r->nwords; i++)
		if (key_has_word(k, klen, r->words[i], last))
			return true;
	return false;
}

/* ---- the scanner ---------------------------------------------------- */

enum run_kind { RUN_START, RUN_AFTER_EQ, RUN_INNER };

struct scan {
	const unsigned char *s;
	size_t n;
	const struct redact_rules *r;
	char *out;
	size_t cap, len;
	size_t done; /* input bytes before this are written out */
	size_t a0, a1; /* current argv element [a0, a1); a1 is its NUL or n */
	bool shell_seen; /* an earlier element named a shell */
	bool script; /* this element follows `sh ... -c` */
	int prog; /* program of the last program token, -1 if none */
	bool login; /* "login" followed it */
};

static void put(struct scan *sc, char c)
{
	if (sc->len + 1 < sc->cap)
		sc->out[sc->len++] = c;
}

static void copy_to(struct scan *sc, size_t end)
{
	for (; sc->done < end; sc->done++) {
		unsigned char c = sc->s[sc->done];

		put(sc, is_sp(c) ? ' ' : (char)c);
	}
}

/* Masks [vs, ve) and returns where scanning goes on. A value that is
 * already "***" followed by a separator or the end keeps its stars only,
 * so that redacting the output again changes nothing. */
static size_t mask(struct scan *sc, size_t vs, size_t ve)
{
	const unsigned char *s = sc->s;

	if (vs < sc->done)
		vs = sc->done;
	if (ve < vs)
		ve = vs;
	if (ve >= vs + 3 && !memcmp(s + vs, "***", 3) &&
	    (vs + 3 == sc->n || is_sp(s[vs + 3])))
		ve = vs + 3;
	copy_to(sc, vs);
	put(sc, '*');
	put(sc, '*');
	put(sc, '*');
	sc->done = ve;
	return ve;
}

static size_t arg_end(const struct scan *sc, size_t p)
{
	const unsigned char *z = memchr(sc->s + p, 0, sc->n - p);

	return z ? (size_t)(z - sc->s) : sc->n;
}

static bool is_dash_c(const unsigned char *a, size_t len)
{
	if (len < 2 || len > 8 || a[0] != '-' || a[len - 1] != 'c')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_lower(a[i]))
			return false;
	return true;
}

static const unsigned char *basename_of(const unsigned char *t, size_t *len)
{
	for (size_t i = *len; i > 0; i--) {
		if (t[i - 1] == '/') {
			*len -= i;
			return t + i;
		}
	}
	return t;
}

static bool is_shell(const unsigned char *a, size_t len)
{
	static const char *const shells[] = { "sh",  "bash", "dash", "ash",
					      "zsh", "ksh",  "mksh" };

	a = basename_of(a, &len);
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (len == strlen(shells[i]) && !memcmp(a, shells[i], len))
			return true;
	return false;
}

/* Moves the element bounds forward until p is inside [a0, a1]. An element
 * that follows "-c" after a shell is a script: its words are shell words. */
static void arg_follow(struct scan *sc, size_t p)
{
	while (p > sc->a1) {
		const unsigned char *prev = sc->s + sc->a0;
		size_t plen = sc->a1 - sc->a0;

		sc->shell_seen = sc->shell_seen || is_shell(prev, plen);
		sc->script = sc->shell_seen && is_dash_c(prev, plen);
		sc->a0 = sc->a1 + 1;
		sc->a1 = arg_end(sc, sc->a0);
	}
}

/* A token that starts its element outside a script sees the element as one
 * value; elsewhere values are shell words. */
static bool argv_ctx(const struct scan *sc, size_t t)
{
	return t == sc->a0 && !sc->script;
}

/* End of the shell word starting at p, quotes and backslashes followed,
 * within the current element. */
static size_t shell_word_end(const struct scan *sc, size_t p)
{
	const unsigned char *s = sc->s;
	unsigned char q = 0;

	for (; p < sc->a1; p++) {
		if (q) {
			if (s[p] == q)
				q = 0;
			else if (s[p] == '\\' && q == '"' && p + 1 < sc->a1)
				p++;
		} else if (is_sp(s[p])) {
			break;
		} else if (is_quote(s[p])) {
			q = s[p];
		} else if (s[p] == '\\' && p + 1 < sc->a1) {
			p++;
		}
	}
	return p;
}

static size_t skip_blank(const struct scan *sc, size_t p)
{
	while (p < sc->a1 && is_sp(sc->s[p]))
		p++;
	return p;
}

/* The value of a key token at t whose value starts at vs inside the token
 * or after it in the element. */
static size_t word_value_end(const struct scan *sc, size_t t, size_t vs)
{
	size_t ve;

	if (argv_ctx(sc, t))
		return sc->a1;
	ve = shell_word_end(sc, t);
	return ve > vs ? ve : shell_word_end(sc, vs);
}

static bool is_long_option(const struct scan *sc, size_t vs, size_t ve)
{
	const unsigned char *s = sc->s;

	return ve - vs >= 3 && s[vs] == '-' && s[vs + 1] == '-' &&
	       (is_upper(s[vs + 2]) || is_lower(s[vs + 2]));
}

/* The value after a key that ends at `from`: the next shell word of the
 * element, else the next element from its first non-blank byte to its end.
 * Blank elements are skipped, as their spaces are when the output is read
 * again. False if there is none or it is the next long option. */
static bool next_value(const struct scan *sc, size_t from, size_t *vs,
		       size_t *ve)
{
	size_t p = from;

	while (p < sc->n && is_sp(sc->s[p]))
		p++;
	if (p == sc->n)
		return false;
	*vs = p;
	*ve = p < sc->a1 ? shell_word_end(sc, p) : arg_end(sc, p);
	return !is_long_option(sc, *vs, *ve);
}

/* ---- known programs ------------------------------------------------- */

enum {
	OPT_NEXT = 1, /* value in the next word: -p V */
	OPT_ATTACHED = 2, /* value attached: -pV, --user=V */
	OPT_LOGIN = 4, /* only after the subcommand "login" */
	OPT_USERPASS = 8, /* value is user:pass, only pass is masked */
};

struct prog_opt {
	const char *prog;
	const char *opt;
	unsigned flags;
};

static const struct prog_opt prog_opts[] = {
	{ "curl", "-u", OPT_NEXT | OPT_ATTACHED | OPT_USERPASS },
	{ "curl", "--user", OPT_NEXT | OPT_ATTACHED | OPT_USERPASS },
	{ "curl", "-U", OPT_NEXT | OPT_ATTACHED | OPT_USERPASS },
	{ "curl", "--proxy-user", OPT_NEXT | OPT_ATTACHED | OPT_USERPASS },
	{ "docker", "-p", OPT_NEXT | OPT_ATTACHED | OPT_LOGIN },
	{ "podman", "-p", OPT_NEXT | OPT_ATTACHED | OPT_LOGIN },
	{ "nerdctl", "-p", OPT_NEXT | OPT_ATTACHED | OPT_LOGIN },
	{ "buildah", "-p", OPT_NEXT | OPT_ATTACHED | OPT_LOGIN },
	{ "skopeo", "-p", OPT_NEXT | OPT_ATTACHED | OPT_LOGIN },
	{ "sshpass", "-p", OPT_NEXT | OPT_ATTACHED },
	{ "mysql", "-p", OPT_ATTACHED },
	{ "mysqldump", "-p", OPT_ATTACHED },
	{ "mysqladmin", "-p", OPT_ATTACHED },
	{ "mariadb", "-p", OPT_ATTACHED },
	{ "mariadb-dump", "-p", OPT_ATTACHED },
	{ "redis-cli", "-a", OPT_NEXT },
	{ "keytool", "-storepass", OPT_NEXT },
	{ "keytool", "-keypass", OPT_NEXT },
	{ "jarsigner", "-storepass", OPT_NEXT },
	{ "jarsigner", "-keypass", OPT_NEXT },
};

#define PROG_OPTS (int)(sizeof(prog_opts) / sizeof(prog_opts[0]))

static bool tok_is(const struct scan *sc, size_t t, size_t e, const char *w)
{
	return e - t == strlen(w) && !memcmp(sc->s + t, w, e - t);
}

/* Program tokens: a basename from the table; "login" after one. */
static void prog_follow(struct scan *sc, size_t t, size_t e)
{
	const unsigned char *b;
	size_t blen = e - t;

	if (sc->s[t] == '-' || memchr(sc->s + t, '=', e - t))
		return;
	b = basename_of(sc->s + t, &blen);
	for (int i = 0; i < PROG_OPTS; i++) {
		if (blen == strlen(prog_opts[i].prog) &&
		    !memcmp(b, prog_opts[i].prog, blen)) {
			sc->prog = i;
			sc->login = false;
			return;
		}
	}
	if (sc->prog >= 0 && tok_is(sc, t, e, "login"))
		sc->login = true;
}

/* Masks a program option's value [vs, ve); false if it holds nothing to
 * mask (then its words are scanned as usual). */
static bool prog_mask(struct scan *sc, const struct prog_opt *o, size_t vs,
		      size_t ve, size_t *next)
{
	const unsigned char *colon;
	size_t w;

	if (!(o->flags & OPT_USERPASS)) {
		*next = mask(sc, vs, ve);
		return true;
	}
	/* user:pass is decided on the value's first word, which reads the same
	 * in the output (a quote may make the shell word longer there, an
	 * attached value may lose its blanks); "-x:y" or "KEY=x:y" is not
	 * user:pass but scanned for keys */
	while (vs < ve && is_sp(sc->s[vs]))
		vs++;
	if (vs == ve)
		return false;
	for (w = vs; w < ve && !is_sp(sc->s[w]); w++)
		;
	colon = memchr(sc->s + vs, ':', w - vs);
	if (!colon || sc->s[vs] == '-' ||
	    memchr(sc->s + vs, '=', (size_t)(colon - sc->s) - vs))
		return false;
	*next = mask(sc, (size_t)(colon - sc->s) + 1, ve);
	return true;
}

static bool prog_option_at(struct scan *sc, const struct prog_opt *o,
			   size_t t, size_t e, size_t *next)
{
	size_t olen = strlen(o->opt), vs, ve;

	if (e - t < olen || memcmp(sc->s + t, o->opt, olen))
		return false;
	if (e - t == olen) {
		if (!(o->flags & OPT_NEXT) || !next_value(sc, e, &vs, &ve))
			return false;
		return prog_mask(sc, o, vs, ve, next);
	}
	if (!(o->flags & OPT_ATTACHED))
		return false;
	vs = t + olen;
	if (olen > 2 && sc->s[vs++] != '=')
		return false;
	return prog_mask(sc, o, vs, word_value_end(sc, t, vs), next);
}

static bool prog_option(struct scan *sc, size_t t, size_t e, size_t *next)
{
	const char *prog;

	if (sc->prog < 0)
		return false;
	prog = prog_opts[sc->prog].prog;
	for (int i = 0; i < PROG_OPTS; i++) {
		const struct prog_opt *o = &prog_opts[i];

		if (strcmp(o->prog, prog) ||
		    ((o->flags & OPT_LOGIN) && !sc->login))
			continue;
		if (prog_option_at(sc, o, t, e, next))
			return true;
	}
	return false;
}

/* ---- key rules ------------------------------------------------------ */

/* scheme://user:PASS@host: always masked; https://TOKEN@host too. The
 * authority ends at '/', '?', '#' or '"' (a URL inside JSON). No other rule
 * runs inside it: a mask there could take the character that ended it,
 * and the output read again would find another authority. */
static size_t url_rule(struct scan *sc, size_t r0, size_t r1, size_t e)
{
	const unsigned char *s = sc->s;
	size_t a = r1 + 3, z = a, at = 0, slen = r1 - r0;
	const unsigned char *colon;

	for (; z < e && !strchr("/?#\"", s[z]); z++)
		if (s[z] == '@')
			at = z;
	if (!at)
		return z;
	colon = memchr(s + a, ':', at - a);
	if (colon)
		mask(sc, (size_t)(colon - s) + 1, at);
	else if ((slen == 4 || (slen == 5 && lower(s[r0 + 4]) == 's')) &&
		 lower(s[r0]) == 'h' && lower(s[r0 + 1]) == 't' &&
		 lower(s[r0 + 2]) == 't' && lower(s[r0 + 3]) == 'p')
		mask(sc, a, at);
	return z;
}

/* KEY=V: a token's first key (or one right after '=') takes the rest of its
 * value; a key inside a token (a URL query) takes up to '&'. */
static size_t eq_rule(struct scan *sc, size_t t, size_t r0, size_t r1,
		      enum run_kind kind)
{
	const unsigned char *s = sc->s;
	size_t vs = r1 + 1, ve = vs;

	if (!key_matches(sc->r, (const char *)s + r0, r1 - r0, false))
		return vs;
	if (kind != RUN_INNER)
		return mask(sc, vs, word_value_end(sc, t, vs));
	while (ve < sc->a1 && !is_sp(s[ve]) && s[ve] != '&')
		ve++;
	return mask(sc, vs, ve);
}

/* KEY: V (an HTTP header, openssl's pass:V). */
static size_t colon_rule(struct scan *sc, size_t t, size_t r0, size_t r1)
{
	const unsigned char *s = sc->s;
	size_t vs, ve;

	if (!key_matches(sc->r, (const char *)s + r0, r1 - r0, false))
		return r1 + 1;
	vs = skip_blank(sc, r1 + 1);
	/* "--x" is the next option, as when it is the next element */
	if (vs < sc->a1 && is_long_option(sc, vs, shell_word_end(sc, vs)))
		return r1 + 1;
	if (vs < sc->a1)
		return mask(sc, vs, word_value_end(sc, t, vs));
	if (!next_value(sc, vs, &vs, &ve))
		return r1 + 1;
	return mask(sc, vs, ve);
}

/* "KEY": "V" or "KEY": V. */
static size_t json_rule(struct scan *sc, size_t r0, size_t r1)
{
	const unsigned char *s = sc->s;
	size_t vs, ve;

	if (!key_matches(sc->r, (const char *)s + r0, r1 - r0, false))
		return r1 + 2;
	vs = skip_blank(sc, r1 + 2);
	if (vs < sc->a1 && is_quote(s[vs])) {
		const unsigned char *q;

		q = memchr(s + vs + 1, s[vs], sc->a1 - vs - 1);
		ve = q ? (size_t)(q - s) : sc->a1;
		return mask(sc, vs + 1, ve);
	}
	for (ve = vs; ve < sc->a1 && !is_sp(s[ve]); ve++)
		if (s[ve] == ',' || s[ve] == '}' || s[ve] == '&')
			break;
	return mask(sc, vs, ve);
}

/* --KEY V: the token is the option alone (maybe quoted). */
static size_t option_rule(struct scan *sc, size_t r0, size_t r1, size_t e)
{
	size_t vs, ve;

	if (!key_matches(sc->r, (const char *)sc->s + r0, r1 - r0, true) ||
	    !next_value(sc, e, &vs, &ve))
		return e;
	return mask(sc, vs, ve);
}

static bool quotes_only(const struct scan *sc, size_t p, size_t e)
{
	for (; p < e; p++)
		if (!is_quote(sc->s[p]))
			return false;
	return true;
}

static enum run_kind run_kind(const struct scan *sc, size_t t, size_t head,
			      size_t r0)
{
	const unsigned char *s = sc->s;

	if (r0 == head)
		return RUN_START;
	if (s[r0 - 1] == '=' ||
	    (r0 >= t + 2 && is_quote(s[r0 - 1]) && s[r0 - 2] == '='))
		return RUN_AFTER_EQ;
	return RUN_INNER;
}

/* Applies the rules to the key [r0, r1) of the token [t, e); returns where
 * scanning goes on (beyond e if a value took the following words). */
static size_t key_rules(struct scan *sc, size_t t, size_t e, size_t head,
			size_t r0, size_t r1)
{
	const unsigned char *s = sc->s;
	enum run_kind kind = run_kind(sc, t, head, r0);

	if (r1 + 3 <= e && !memcmp(s + r1, "://", 3))
		return url_rule(sc, r0, r1, e);
	if (r1 < e && s[r1] == '=')
		return eq_rule(sc, t, r0, r1, kind);
	if (r1 < e && s[r1] == ':' && kind != RUN_INNER &&
	    (r1 + 1 == e || s[r1 + 1] != '/'))
		return colon_rule(sc, t, r0, r1);
	if (r1 + 1 < e && r0 > t && is_quote(s[r1]) && s[r0 - 1] == s[r1] &&
	    s[r1 + 1] == ':')
		return json_rule(sc, r0, r1);
	if (kind == RUN_START && s[r0] == '-' && quotes_only(sc, r1, e))
		return option_rule(sc, r0, r1, e);
	return r1;
}

static size_t scan_token(struct scan *sc, size_t t)
{
	const unsigned char *s = sc->s;
	size_t e = t, p, head, next;

	while (e < sc->a1 && !is_sp(s[e]))
		e++;
	if (prog_option(sc, t, e, &next))
		return next;
	prog_follow(sc, t, e);
	for (p = t; p < e && is_quote(s[p]); p++)
		;
	head = p;
	while (p < e) {
		size_t r1 = p;

		if (!is_keych(s[p])) {
			p++;
			continue;
		}
		while (r1 < e && is_keych(s[r1]))
			r1++;
		p = key_rules(sc, t, e, head, p, r1);
		if (p > e)
			return p;
	}
	return e;
}

static void scan_all(struct scan *sc)
{
	size_t i = 0;

	sc->a1 = arg_end(sc, 0);
	while (i < sc->n) {
		arg_follow(sc, i);
		if (is_sp(sc->s[i]))
			i++;
		else
			i = scan_token(sc, i);
	}
}

/* Without the final NULs; a truncated input also loses its last token
 * (unless redaction is off: then nothing is hidden anyway). */
static size_t input_len(const char *raw, size_t len, unsigned flags,
			const struct redact_rules *r)
{
	if ((flags & REDACT_TRUNCATED) && r->nwords)
		while (len > 0 && !is_sp(raw[len - 1]))
			len--;
	while (len > 0 && !raw[len - 1])
		len--;
	return len;
}

size_t redact_cmdline(const char *raw, size_t len, unsigned flags,
		      const struct redact_rules *r, char *out, size_t outlen)
{
	struct scan sc = {
		.s = (const unsigned char *)raw,
		.n = input_len(raw, len, flags, r),
		.r = r,
		.out = out,
		.cap = outlen,
		.prog = -1,
	};

	if (!outlen)
		return 0;
	if (r->nwords)
		scan_all(&sc);
	copy_to(&sc, sc.n);
	out[sc.len] = 0;
	return sc.len;
}

/* ---- rules ---------------------------------------------------------- */

static int add_word(struct redact_rules *r, const char *w, size_t len,
		    char *err, size_t errlen)
{
	char norm[REDACT_WORD_MAX + 1];

	for (size_t i = 0; i < len; i++)
		norm[i] = is_partsep(w[i]) ? '_' : (char)lower(w[i]);
	norm[len] = 0;
	for (unsigned i = 0; i < r->nwords; i++)
		if (!strcmp(r->words[i], norm))
			return 0;
	if (r->nwords == REDACT_WORDS_MAX) {
		snprintf(err, errlen, "more than %d words", REDACT_WORDS_MAX);
		return -EINVAL;
	}
	memcpy(r->words[r->nwords++], norm, len + 1);
	return 0;
}

static int check_word(const char *w, size_t len, char *err, size_t errlen)
{
	if (!len) {
		snprintf(err, errlen, "empty word");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (is_sp(w[i])) {
			snprintf(err, errlen, "word '%.*s' contains a space",
				 (int)(len > 40 ? 40 : len), w);
			return -EINVAL;
		}
	}
	if (len > REDACT_WORD_MAX) {
		snprintf(err, errlen,
			 "word '%.40s...' is longer than %d characters", w,
			 REDACT_WORD_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		bool edge = !i || i == len - 1;

		if (!is_keych(w[i]) || (is_partsep(w[i]) && edge)) {
			snprintf(err, errlen,
				 "word '%.*s': only letters, digits and "
				 "inner '-', '_', '.'",
				 (int)len, w);
			return -EINVAL;
		}
	}
	return 0;
}

static bool item_is(const char *w, size_t len, const char *name)
{
	if (len != strlen(name))
		return false;
	for (size_t i = 0; i < len; i++)
		if (lower(w[i]) != name[i])
			return false;
	return true;
}

static int add_item(struct redact_rules *r, const char *w, size_t len,
		    char *err, size_t errlen)
{
	int ret;

	if (item_is(w, len, "default")) {
		for (size_t i = 0; i < NDEFAULT; i++) {
			ret = add_word(r, default_words[i],
				       strlen(default_words[i]), err, errlen);
			if (ret)
				return ret;
		}
		return 0;
	}
	ret = check_word(w, len, err, errlen);
	return ret ? ret : add_word(r, w, len, err, errlen);
}

void redact_rules_default(struct redact_rules *ret)
{
	char err[8];

	ret->nwords = 0;
	add_item(ret, "default", 7, err, sizeof(err));
}

static void trim(const char **w, size_t *len)
{
	while (*len && ((*w)[0] == ' ' || (*w)[0] == '\t'))
		(*w)++, (*len)--;
	while (*len && ((*w)[*len - 1] == ' ' || (*w)[*len - 1] == '\t'))
		(*len)--;
}

int redact_rules_parse(const char *spec, struct redact_rules *ret, char *err,
		       size_t errlen)
{
	struct redact_rules r = { 0 };
	const char *p = spec;
	size_t len = strlen(spec);

	trim(&p, &len);
	if (item_is(p, len, "none")) {
		ret->nwords = 0;
		return 0;
	}
	for (;;) {
		const char *comma = memchr(p, ',', strlen(p));
		const char *w = p;
		size_t wl = comma ? (size_t)(comma - p) : strlen(p);
		int rc;

		trim(&w, &wl);
		if (item_is(w, wl, "none")) {
			snprintf(err, errlen,
				 "'none' cannot be combined with words");
			return -EINVAL;
		}
		rc = add_item(&r, w, wl, err, errlen);
		if (rc)
			return rc;
		if (!comma)
			break;
		p = comma + 1;
	}
	*ret = r;
	return 0;
}
