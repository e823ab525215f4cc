// SPDX-License-Identifier: GPL-2.0-or-later
/* Command-line redaction: invariants, not only crashes.
 *
 * Every input, read as a /proc/PID/cmdline image (whole and as a
 * truncated read): the output is NUL-terminated, printable and shorter than
 * the buffer; redacting it again changes nothing; a smaller buffer gives a
 * prefix of the same line.
 *
 * Inputs whose first byte is '#': the first line is a `redact` setting,
 * parsed; accepted rules are checked and used on the rest.
 *
 * Otherwise the input also builds a command line with a known secret in
 * one of the forms redact.h promises to mask, between arguments made of the
 * fuzzer's bytes. The secret is "~...~" and the fuzzer's bytes lose their
 * '~', so a '~' in the output is a leak, even of part of the secret, even
 * when the line is cut anywhere (REDACT_TRUNCATED). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAW_MAX 8192

/* The command line under test, printed when an invariant breaks. */
static const char *cur_raw;
static size_t cur_len;
static unsigned cur_flags;

static void fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "redact invariant broken: %s\n  flags %u input: '", what,
		cur_flags);
	for (size_t i = 0; cur_raw && i < cur_len; i++) {
		unsigned char c = cur_raw[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "'\n  first:  '%s'\n  second: '%s'\n", a, b ? b : "");
	abort();
}

static size_t redact(const char *raw, size_t len, unsigned flags,
		     const struct redact_rules *r, char *out, size_t cap)
{
	size_t n = redact_cmdline(raw, len, flags, r, out, cap);

	if (cap && (n >= cap || out[n] || strlen(out) != n))
		fail("length or terminator", out, NULL);
	return n;
}

static void check_printable(const char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = out[i];

		if (c < 0x20 || c == 0x7f)
			fail("control byte in output", out, NULL);
	}
}

/* Buffers of 0, 1, 2, n/2, n, n + 1 and a size the input picks give
 * prefixes of the whole line; size 0 writes nothing. */
static void check_prefixes(const char *raw, size_t len, unsigned flags,
			   const struct redact_rules *r, const char *full,
			   size_t n, size_t pick)
{
	size_t caps[] = { 0, 1, 2, n / 2, n, n + 1, pick % (n + 2) };
	static char buf[4 * RAW_MAX + 16];

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t cap = caps[i], m;

		buf[0] = 'Z';
		m = redact(raw, len, flags, r, buf, cap);
		if (!cap) {
			if (m || buf[0] != 'Z')
				fail("wrote into a zero-size buffer", full, NULL);
			continue;
		}
		if (m != (cap - 1 < n ? cap - 1 : n) || memcmp(buf, full, m))
			fail("cut line is not a prefix", full, buf);
	}
}

/* Redacts raw into out (4 * len + 16 bytes); checks the invariants. */
static size_t check_line(const char *raw, size_t len, unsigned flags,
			 const struct redact_rules *r, char *out, size_t pick)
{
	static char again[4 * 4 * RAW_MAX + 32];
	size_t n;

	cur_raw = raw;
	cur_len = len;
	cur_flags = flags;
	n = redact(raw, len, flags, r, out, 4 * len + 16);

	if (n + 1 >= 4 * len + 16)
		fail("output more than 4 times the input", out, NULL);
	check_printable(out, n);
	if (redact(out, n, 0, r, again, sizeof(again)) != n || memcmp(out, again, n))
		fail("not idempotent", out, again);
	check_prefixes(raw, len, flags, r, out, n, pick);
	return n;
}

static void check_any(const char *raw, size_t len, const struct redact_rules *r,
		      size_t pick)
{
	static char out[4 * RAW_MAX + 16];

	if (len > RAW_MAX)
		return;
	check_line(raw, len, 0, r, out, pick);
	check_line(raw, len, REDACT_TRUNCATED, r, out, pick >> 3);
}

/* ---- rules from the input ------------------------------------------- */

static void check_rules(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t slen = nl ? (size_t)(nl - (const char *)data) : size;
	char spec[512], err[128] = "";
	struct redact_rules r;

	if (slen - 1 >= sizeof(spec))
		return;
	memcpy(spec, data + 1, slen - 1);
	spec[slen - 1] = 0;
	memset(&r, 0xa5, sizeof(r));
	if (redact_rules_parse(spec, &r, err, sizeof(err))) {
		if (!err[0])
			fail("rejected without a message", spec, NULL);
		return;
	}
	if (r.nwords > REDACT_WORDS_MAX)
		fail("too many words", spec, NULL);
	for (unsigned i = 0; i < r.nwords; i++) {
		size_t wl = strnlen(r.words[i], REDACT_WORD_MAX + 1);

		if (!wl || wl > REDACT_WORD_MAX)
			fail("bad word length", spec, r.words[i]);
	}
	if (nl)
		check_any(nl + 1, size - slen - 1, &r, size);
}

/* ---- a known secret ------------------------------------------------- */

struct line {
	char b[RAW_MAX];
	size_t n;
};

static void add(struct line *l, const void *p, size_t len)
{
	if (l->n + len <= sizeof(l->b)) {
		memcpy(l->b + l->n, p, len);
		l->n += len;
	}
}

static void add_str(struct line *l, const char *s)
{
	add(l, s, strlen(s));
}

static void add_arg(struct line *l, const char *s)
{
	add(l, s, strlen(s) + 1);
}

/* Fuzzer bytes as arguments, without '~'. */
static void add_fuzz(struct line *l, const uint8_t *p, size_t len, bool arg)
{
	for (size_t i = 0; i < len; i++) {
		char c = p[i] == '~' ? '+' : (char)p[i];

		add(l, &c, 1);
	}
	if (arg && len)
		add(l, "", 1);
}

enum alphabet {
	ANY, /* every byte but NUL */
	WORD, /* no separator (byte <= 0x20, 0x7f) */
	NO_SQUOTE, /* no NUL, no ' */
	NO_DQUOTE,
	USERINFO, /* no separator, '/', '?', '#', '"' */
	QUERY, /* no separator, '&' */
};

static bool allowed(enum alphabet a, uint8_t c)
{
	bool sep = c <= 0x20 || c == 0x7f;

	switch (a) {
	case ANY:
		return c != 0;
	case WORD:
		return !sep;
	case NO_SQUOTE:
		return c && c != '\'';
	case NO_DQUOTE:
		return c && c != '"';
	case USERINFO:
		return !sep && c != '/' && c != '?' && c != '#' && c != '"';
	case QUERY:
		return !sep && c != '&';
	}
	return false;
}

/* "~" + middle + "~": '~' itself stays out of the middle so that the
 * secret's ends are its only tildes... any '~' is the secret's. */
static void add_secret(struct line *l, enum alphabet a, const uint8_t *p,
		       size_t len)
{
	add_str(l, "~");
	for (size_t i = 0; i < len; i++) {
		char c = allowed(a, p[i]) ? (char)p[i] : 'x';

		add(l, &c, 1);
	}
	add_str(l, "~");
}

static const char *const eq_keys[] = {
	"--password", "MYSQL_PASSWORD", "PGPASSWORD", "-Dspring.datasource.password",
	"--api-key", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "--client-secret",
	"X_AUTH_TOKEN", "-keyStorePassword", "session",
};

/* Long options only: a value never swallows one, whatever precedes. */
static const char *const opt_keys[] = {
	"--password", "--http-password", "--token", "--api-key",
	"--client-secret", "--oauth2-bearer", "--pass", "--auth",
};

#define PICK(a, i) ((a)[(i) % (sizeof(a) / sizeof((a)[0]))])

/* Appends the form's arguments with the secret; the last one unterminated
 * so that the suffix's first argument may share the NUL. */
static bool add_form(struct line *l, unsigned form, unsigned kb,
		     const uint8_t *m, size_t mlen)
{
	switch (form) {
	case 0: /* --password=S, S one word, any neighbours */
		add_str(l, PICK(eq_keys, kb));
		add_str(l, "=");
		add_secret(l, WORD, m, mlen);
		return false;
	case 1: /* --password S, any S */
		add_arg(l, PICK(opt_keys, kb));
		add_secret(l, ANY, m, mlen);
		return false;
	case 2: /* -H 'Authorization: Bearer S' (quoted for sh -c) */
		add_arg(l, "-H");
		add_str(l, kb & 1 ? "'Authorization: Bearer " : "'X-Api-Key: ");
		add_secret(l, NO_SQUOTE, m, mlen);
		add_str(l, "'");
		return false;
	case 3: /* URL userinfo */
		add_str(l, kb & 1 ? "https://x-access-token:" : "postgresql://u:");
		add_secret(l, USERINFO, m, mlen);
		add_str(l, "@h.example/db?x=1");
		return false;
	case 4: /* query parameter */
		add_str(l, "https://x.example/?a=1&");
		add_str(l, kb & 1 ? "access_token=" : "sig=1&token=");
		add_secret(l, QUERY, m, mlen);
		add_str(l, "&b=2");
		return false;
	case 5: /* JSON body */
		add_str(l, "{\"user\":\"me\",\"password\":\"");
		add_secret(l, NO_DQUOTE, m, mlen);
		add_str(l, "\"}");
		return false;
	case 6: /* curl -u user:S, after an option no value can swallow */
		add_arg(l, "--x");
		add_arg(l, "/usr/bin/curl");
		add_arg(l, kb & 1 ? "-u" : "--user");
		add_str(l, "me:");
		add_secret(l, ANY, m, mlen);
		return false;
	case 7: /* docker login -p S */
		add_arg(l, "--x");
		add_arg(l, "docker");
		add_arg(l, "login");
		add_arg(l, "-p");
		add_secret(l, ANY, m, mlen);
		return false;
	default: /* the argv-only guarantees: first argument fixed */
		return true;
	}
}

/* Forms whose value is a whole argv element: the element must not be a
 * sh -c script, so the preceding argument is fixed. */
static void add_fixed_form(struct line *l, unsigned form, unsigned kb,
			   const uint8_t *m, size_t mlen)
{
	add_arg(l, "prog");
	if (form & 1) {
		add_str(l, PICK(eq_keys, kb));
		add_str(l, "=");
	} else {
		add_arg(l, "-H");
		add_str(l, kb & 1 ? "Authorization: Bearer " : "Cookie: a=1; session=");
	}
	add_secret(l, ANY, m, mlen);
}

static void check_no_tilde(const struct line *l, size_t len, unsigned flags)
{
	static char out[4 * RAW_MAX + 16];
	struct redact_rules r;

	redact_rules_default(&r);
	cur_raw = l->b;
	cur_len = len;
	cur_flags = flags;
	redact(l->b, len, flags, &r, out, sizeof(out));
	if (strchr(out, '~'))
		fail("secret leaked", out, NULL);
}

/* Bytes: form, key, cut, middle length, middle, prefix | suffix. */
static void check_secret(const uint8_t *data, size_t size)
{
	static struct line l;
	unsigned form, kb, cut;
	size_t mlen, rest, half;
	struct redact_rules r;

	if (size < 4)
		return;
	form = data[0] % 10;
	kb = data[1];
	cut = data[2];
	mlen = data[3] % 32;
	if (size < 4 + mlen)
		return;
	rest = size - 4 - mlen;
	half = rest / 2;
	l.n = 0;
	if (form < 8)
		add_fuzz(&l, data + 4 + mlen, half, true);
	if (add_form(&l, form, kb, data + 4, mlen))
		add_fixed_form(&l, form, kb, data + 4, mlen);
	add(&l, "", 1);
	add_fuzz(&l, data + 4 + mlen + half, rest - half, false);
	check_no_tilde(&l, l.n, 0);
	/* cut anywhere: the secret's start must not show either */
	check_no_tilde(&l, (size_t)cut * l.n / 255, REDACT_TRUNCATED);
	redact_rules_default(&r);
	check_any(l.b, l.n, &r, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redact_rules r;

	if (size && data[0] == '#') {
		check_rules(data, size);
		return 0;
	}
	redact_rules_default(&r);
	check_any((const char *)data, size, &r, size * 7);
	check_secret(data, size);
	return 0;
}
