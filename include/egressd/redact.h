/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Secrets out of recorded command lines. A process's /proc/PID/cmdline
 * (argv elements separated by NUL bytes) becomes one printable line, the
 * arguments joined by spaces, with the values of secret-looking keys
 * replaced by "***". Pure: no I/O, no logging.
 *
 * Tokens are split at NUL (an argv boundary) and at whitespace (any byte
 * <= 0x20 or 0x7f, so a `sh -c "..."` script is read word by word too;
 * quotes opening a token are skipped). A key is a run of [A-Za-z0-9_.-]
 * (leading dashes dropped). A script is the element after `-c` (`-ec`...)
 * once an element named a shell (sh, bash, dash, ash, zsh, ksh, mksh).
 * Rules, for a key that contains a word (see "Word matching" below):
 *
 *   --KEY=V, -KEY=V, KEY=V      at the start of a token (or right after
 *                               '=': --from-literal=KEY=V): V is the rest of
 *                               the argv element when the token starts it
 *                               (spaces included: `--password=a b`), else
 *                               (a word inside an element, or a `sh -c`
 *                               script) the rest of the shell word, quotes
 *                               and backslashes followed;
 *   ...KEY=V                    inside a token (`?a=1&token=V&b=2`): V up to
 *                               '&', whitespace or the end of the element;
 *   --KEY V, -KEY V             the token is the option alone and the word
 *                               ends the key (`--password-stdin` takes no
 *                               value): V is the next shell word of the same
 *                               element, or the next non-blank argv element
 *                               (from its first non-blank byte to its end); a
 *                               V starting with "--" and a letter is the next
 *                               option, not a value;
 *   KEY: V                      at the start of a token or right after '='
 *                               (`-H "Authorization: Bearer x"`,
 *                               `--header=Cookie: a=b`): V is everything
 *                               after the colon (and blanks) to the end of
 *                               the element (of the shell word in scripts);
 *                               if nothing follows, the next value as for
 *                               --KEY V; a V starting with "--" and a
 *                               letter is not one;
 *   "KEY": "V"                  JSON: V up to its closing quote (unquoted:
 *                               up to ',', '}', '&' or whitespace).
 *
 * Always, whatever the words: URL userinfo `scheme://user:PASS@host` masks
 * PASS (the authority ends at '/', '?', '#' or '"'; the last '@' in it
 * counts; no other rule applies inside it), and for http/https a bare
 * `https://TOKEN@host` masks TOKEN. Known
 * programs' short options: curl -u/-U/--user/--proxy-user user:PASS,
 * docker|podman|nerdctl|buildah|skopeo login -p PASS, sshpass -p PASS,
 * mysql/mariadb tools -pPASS (attached only: `-p db` names a database),
 * redis-cli -a PASS, keytool/jarsigner -storepass/-keypass PASS. A program
 * is recognised by the basename of a token; `login` must follow it. A
 * user:pass value is told by its first word: one starting with '-' or with
 * '=' before the colon is not one (its keys are scanned instead); without a
 * colon the user name stays.
 *
 * Word matching (case-insensitive; '-', '_' and '.' are the same
 * character in words and keys): the key is cut into parts at '-', '_',
 * '.', at a lower-to-upper case change ("keyStore|Password"), before the
 * last capital of a capital run followed by a lower-case letter
 * ("X|Auth|Token") and between letters and digits ("token|2"). A word
 * matches where it starts and ends on part boundaries ("DB_PASS",
 * "--http-password", "keyStorePassword", "AWS_SECRET_ACCESS_KEY" for
 * access_key), or, for a word of 5 characters or more, where it ends a part
 * ("PGPASSWORD", "csrftoken"). So pass masks neither `--passive` nor
 * `compass`, token not `--tokenizer`, `TOKENIZERS_PARALLELISM` nor
 * `--max-tokens`, auth not `--author` nor `oauth`.
 *
 * A value that is already "***" followed by whitespace or the end is kept
 * as it is: that makes redaction idempotent (the output, read as one
 * element, redacts to itself). The price: a real value starting with
 * "*** " shows what follows the stars.
 *
 * Limits, by design: a program's own syntax beyond the table above (`aws
 * configure set aws_secret_access_key V`, `mysqladmin password V`), secrets
 * in positional arguments, escaped JSON (`{\"password\":...}`), and a
 * `sh -c` script's words: `sh -c "X=a b"` masks a only (the shell splits
 * there too). Only a non-empty word list enables any of the rules. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/limits.h"

struct redact_rules {
	unsigned nwords; /* 0: redaction off, the line is only made printable */
	/* lower case, with '-' and '.' stored as '_' */
	char words[REDACT_WORDS_MAX][REDACT_WORD_MAX + 1];
};

/* The input was cut by the caller's buffer: the last token may be the start
 * of a longer one ("https://u:pa" whose '@' is lost), so it is dropped
 * (when redaction is on). The caller may print its own ellipsis. */
#define REDACT_TRUNCATED 1u

/* password, passwd, pwd, pass, passphrase, secret, token, apikey, api_key,
 * access_key, secret_key, private_key, authorization, auth, credential,
 * credentials, bearer, session, cookie. */
void redact_rules_default(struct redact_rules *ret);

/* The `redact` setting: "word,word,..." replaces the default words,
 * "default,word,..." adds to them, "none" turns redaction off. Blanks around
 * a word are ignored; duplicates are kept once. A word is 1 to
 * REDACT_WORD_MAX characters of [A-Za-z0-9_.-], starting and ending with a
 * letter or digit; at most REDACT_WORDS_MAX distinct words. Returns 0 and
 * fills ret, or -EINVAL with a message in err (ret untouched). */
int redact_rules_parse(const char *spec, struct redact_rules *ret, char *err,
		       size_t errlen);

/* Writes raw[0..len) (a /proc/PID/cmdline image, trailing NULs ignored) to
 * out as one NUL-terminated line of at most outlen - 1 bytes: NUL and other
 * bytes < 0x20 and 0x7f become spaces, bytes >= 0x80 are kept (UTF-8), and
 * secrets are masked as described above. A line longer than the buffer is
 * cut; the cut line is a prefix of the uncut one. flags: REDACT_TRUNCATED or
 * 0. Returns the length written (0 and nothing written when outlen is 0). */
size_t redact_cmdline(const char *raw, size_t len, unsigned flags,
		      const struct redact_rules *r, char *out, size_t outlen);
