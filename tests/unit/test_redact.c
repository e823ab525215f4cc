// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "egressd/redact.h"
#include "util.h"

/* A /proc/PID/cmdline image: every argument followed by its NUL. */
struct cmdline {
	char b[4096];
	size_t n;
};

static struct cmdline argv_of(const char *first, ...)
{
	struct cmdline c = { .n = 0 };
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *)) {
		size_t l = strlen(a) + 1;

		ck_assert_uint_lt(c.n + l, sizeof(c.b));
		memcpy(c.b + c.n, a, l);
		c.n += l;
	}
	va_end(ap);
	return c;
}

#define CMD(...) argv_of(__VA_ARGS__, (const char *)NULL)

static char out[8192];

static const char *red_rules(const struct cmdline *c, unsigned flags,
			     const struct redact_rules *r)
{
	size_t n = redact_cmdline(c->b, c->n, flags, r, out, sizeof(out));

	ck_assert_uint_eq(n, strlen(out));
	return out;
}

static const char *red(const struct cmdline *c)
{
	struct redact_rules r;

	redact_rules_default(&r);
	return red_rules(c, 0, &r);
}

/* Redacted as expected, and the output redacts to itself. */
static void expect(struct cmdline c, const char *want)
{
	struct redact_rules r;
	char again[8192];

	ck_assert_str_eq(red(&c), want);
	redact_rules_default(&r);
	redact_cmdline(out, strlen(out), 0, &r, again, sizeof(again));
	ck_assert_str_eq(again, want);
}

START_TEST(option_forms)
{
	expect(CMD("mysql", "--password=s3cr3t", "-h", "db"),
	       "mysql --password=*** -h db");
	/* the whole element: spaces belong to the value */
	expect(CMD("mysql", "--password=correct horse", "-h", "db"),
	       "mysql --password=*** -h db");
	expect(CMD("wget", "--http-password", "a b", "http://a/"),
	       "wget --http-password *** http://a/");
	expect(CMD("tool", "-password", "x", "-Password=y"),
	       "tool -password *** -Password=***");
	/* an empty value is masked too; an empty element is skipped (read
	 * again as one line, its space would be) */
	expect(CMD("tool", "--token=", "--pass", "", "x", "y"),
	       "tool --token=*** --pass  *** y");
	/* the next long option is not a value */
	expect(CMD("tool", "--token", "--verbose", "--pass", "-x"),
	       "tool --token --verbose --pass ***");
	/* nothing follows */
	expect(CMD("tool", "--password"), "tool --password");
}
END_TEST

START_TEST(env_and_query_forms)
{
	/* the key id has access_key in it: masked too */
	expect(CMD("env", "MYSQL_PASSWORD=abc", "AWS_SECRET_ACCESS_KEY=k/+x",
		   "AWS_ACCESS_KEY_ID=AKIA1", "aws", "s3", "ls"),
	       "env MYSQL_PASSWORD=*** AWS_SECRET_ACCESS_KEY=*** "
	       "AWS_ACCESS_KEY_ID=*** aws s3 ls");
	expect(CMD("curl", "https://x.example/v1?a=1&token=abc&b=2#f"),
	       "curl https://x.example/v1?a=1&token=***&b=2#f");
	expect(CMD("curl", "https://x/?access_token=abc"),
	       "curl https://x/?access_token=***");
	expect(CMD("kubectl", "create", "secret", "generic", "s",
		   "--from-literal=password=abc"),
	       "kubectl create secret generic s --from-literal=password=***");
	expect(CMD("curl", "-d", "user=me&password=hunter2&x=1", "u"),
	       "curl -d user=me&password=***&x=1 u");
	/* a key at the start of the element takes all of it */
	expect(CMD("curl", "-b", "session=abc; theme=dark"),
	       "curl -b session=***");
	expect(CMD("psql", "host=h password=s3 dbname=x"),
	       "psql host=h password=*** dbname=x");
}
END_TEST

START_TEST(header_and_json_forms)
{
	expect(CMD("curl", "-H", "Authorization: Bearer abc.def", "https://x/"),
	       "curl -H Authorization: *** https://x/");
	expect(CMD("curl", "-HX-Api-Key:abc", "-H", "Accept: */*"),
	       "curl -HX-Api-Key:*** -H Accept: */*");
	expect(CMD("wget", "--header=Cookie: a=1; sid=2", "http://a/"),
	       "wget --header=Cookie: *** http://a/");
	expect(CMD("git", "-c", "http.extraHeader=Authorization: Basic eHl6",
		   "clone", "https://h/r"),
	       "git -c http.extraHeader=Authorization: *** clone https://h/r");
	/* the value in the next element */
	expect(CMD("x", "Authorization:", "Bearer abc", "y"),
	       "x Authorization: *** y");
	expect(CMD("openssl", "pkcs12", "-passin", "pass:abc", "-passout",
		   "pass:d"),
	       "openssl pkcs12 -passin pass:*** -passout pass:***");
	expect(CMD("curl", "-d", "{\"user\":\"me\",\"password\":\"a b\",\"n\":1}"),
	       "curl -d {\"user\":\"me\",\"password\":\"***\",\"n\":1}");
	expect(CMD("curl", "-d", "{\"token\": 42, \"x\": 1}"),
	       "curl -d {\"token\": ***, \"x\": 1}");
	/* scheme-like and inner colons are not headers */
	expect(CMD("scp", "f", "auth:/srv/x", "a:b"), "scp f auth:/srv/x a:b");
}
END_TEST

START_TEST(url_userinfo_always)
{
	struct redact_rules r;
	struct cmdline c = CMD("git", "clone",
			       "https://x-access-token:ghp_abc@github.com/o/r");

	expect(CMD("psql", "postgresql://u:p@h/db"), "psql postgresql://u:***@h/db");
	expect(c, "git clone https://x-access-token:***@github.com/o/r");
	/* the last '@' of the authority; a query's '@' is not userinfo */
	expect(CMD("x", "redis://:p@ss@h:6379/0", "https://h/p?mail=a@b"),
	       "x redis://:***@h:6379/0 https://h/p?mail=a@b");
	/* a URL inside JSON ends at its quote; the keys after it count */
	expect(CMD("curl", "-d", "{\"hook\":\"https://u:p@h\",\"token\":\"t\"}"),
	       "curl -d {\"hook\":\"https://u:***@h\",\"token\":\"***\"}");
	/* a bare user is a token for http(s), a login name elsewhere */
	expect(CMD("git", "clone", "https://ghp_abc@github.com/o/r",
		   "ssh://git@github.com/o/r"),
	       "git clone https://***@github.com/o/r ssh://git@github.com/o/r");
	/* with any word list */
	ck_assert_int_eq(redact_rules_parse("sig", &r, NULL, 0), 0);
	ck_assert_str_eq(red_rules(&c, 0, &r),
			 "git clone https://x-access-token:***@github.com/o/r");
}
END_TEST

START_TEST(programs)
{
	expect(CMD("curl", "-u", "user:pass", "https://x"),
	       "curl -u user:*** https://x");
	expect(CMD("/usr/bin/curl", "-uuser:pa:ss", "--user", "me:x y",
		   "--proxy-user=p:q"),
	       "/usr/bin/curl -uuser:*** --user me:*** --proxy-user=p:***");
	/* the first word of an attached value, blanks skipped */
	expect(CMD("curl", "--user=\tme:pw x"), "curl --user= me:***");
	/* no password given: curl prompts; the user name stays */
	expect(CMD("curl", "-u", "user", "https://x"), "curl -u user https://x");
	expect(CMD("docker", "login", "-u", "me", "-p", "hunter2", "reg.io"),
	       "docker login -u me -p *** reg.io");
	expect(CMD("docker", "login", "--password", "hunter2", "reg.io"),
	       "docker login --password *** reg.io");
	/* -p is a port for docker run; --password-stdin takes no value */
	expect(CMD("docker", "run", "-p", "8080:80", "img"),
	       "docker run -p 8080:80 img");
	expect(CMD("docker", "login", "--password-stdin", "-u", "me", "r"),
	       "docker login --password-stdin -u me r");
	/* mysql: -pPASS; "-p db" prompts, db is a database */
	expect(CMD("mysql", "-uroot", "-psecret", "db"),
	       "mysql -uroot -p*** db");
	expect(CMD("mysql", "-p", "db"), "mysql -p db");
	expect(CMD("sshpass", "-p", "pw", "ssh", "h"), "sshpass -p *** ssh h");
	expect(CMD("redis-cli", "-a", "pw", "ping"), "redis-cli -a *** ping");
	expect(CMD("keytool", "-storepass", "a", "-keypass", "b"),
	       "keytool -storepass *** -keypass ***");
	/* another program token ends the previous one's options */
	expect(CMD("sh", "-c", "docker login -p x r; docker run -p 80:80 i"),
	       "sh -c docker login -p *** r; docker run -p 80:80 i");
}
END_TEST

START_TEST(shell_scripts)
{
	expect(CMD("/bin/sh", "-c",
		   "curl -H \"Authorization: Bearer $T\" 'https://x/?token=a' -o f"),
	       "/bin/sh -c curl -H \"Authorization: *** 'https://x/?token=*** -o f");
	/* a script's words end values: the command stays readable */
	expect(CMD("sh", "-c", "x; TOKEN=abc wget http://evil.example/"),
	       "sh -c x; TOKEN=*** wget http://evil.example/");
	expect(CMD("bash", "-ec", "mysql --password='a b' -h db"),
	       "bash -ec mysql --password=*** -h db");
	expect(CMD("sh", "-c", "app --token \"a b\" --x"),
	       "sh -c app --token *** --x");
	/* without a shell, "-c" is an ordinary option */
	expect(CMD("mysql", "-c", "--password=a b"), "mysql -c --password=***");
}
END_TEST

START_TEST(real_world)
{
	expect(CMD("java", "-Djavax.net.ssl.keyStorePassword=abc", "-jar", "a.jar"),
	       "java -Djavax.net.ssl.keyStorePassword=*** -jar a.jar");
	expect(CMD("PGPASSWORD=x", "psql"), "PGPASSWORD=*** psql");
	expect(CMD("gpg", "--batch", "--passphrase", "p", "-d", "f"),
	       "gpg --batch --passphrase *** -d f");
	expect(CMD("vault", "login", "-method=userpass", "username=me",
		   "password=p"),
	       "vault login -method=userpass username=me password=***");
	expect(CMD("ssh", "-o", "PasswordAuthentication=no", "h"),
	       "ssh -o PasswordAuthentication=*** h");
	expect(CMD("app", "--client-secret", "c", "--api-key=k", "--oauth2-bearer",
		   "t", "--session-token", "s", "--auth", "a"),
	       "app --client-secret *** --api-key=*** --oauth2-bearer *** "
	       "--session-token *** --auth ***");
	expect(CMD("dbus-daemon", "--session", "--address=unix:path=/run/x"),
	       "dbus-daemon --session --address=unix:path=/run/x");
}
END_TEST

START_TEST(non_secrets)
{
	expect(CMD("ftp", "--passive", "h"), "ftp --passive h");
	expect(CMD("x", "compass=n", "--bypass", "y", "--passthrough=1"),
	       "x compass=n --bypass y --passthrough=1");
	expect(CMD("x", "--tokenizer", "bpe", "--max-tokens", "512",
		   "TOKENIZERS_PARALLELISM=false"),
	       "x --tokenizer bpe --max-tokens 512 TOKENIZERS_PARALLELISM=false");
	expect(CMD("x", "--author", "me", "--authority=a", "--oauth=o"),
	       "x --author me --authority=a --oauth=o");
	/* the word must end the key for a value in the next word */
	expect(CMD("x", "--password-file", "/run/p", "--token-ttl", "60",
		   "--auth-type", "basic"),
	       "x --password-file /run/p --token-ttl 60 --auth-type basic");
	/* no key form at all */
	expect(CMD("cat", "/etc/passwd", "password", "token"),
	       "cat /etc/passwd password token");
}
END_TEST

START_TEST(word_boundaries)
{
	/* part boundaries: separators, camelCase, capital runs, digits */
	expect(CMD("x", "DB_PASS=a", "dbPass=b", "XAuthToken=c", "token2=d",
		   "my.secret.value=e", "API-KEY=f", "apiKey=g", "MyAPIKey=h"),
	       "x DB_PASS=*** dbPass=*** XAuthToken=*** token2=*** "
	       "my.secret.value=*** API-KEY=*** apiKey=*** MyAPIKey=***");
	/* words of 5+ characters also end a part */
	expect(CMD("x", "PGPASSWORD=a", "csrftoken=b", "MYPASS=c", "ApiKeys=d"),
	       "x PGPASSWORD=*** csrftoken=*** MYPASS=c ApiKeys=d");
}
END_TEST

START_TEST(custom_words)
{
	struct redact_rules r;
	struct cmdline c = CMD("x", "--sig=a", "--password=b", "X_CUSTOM_KEY=c");

	ck_assert_int_eq(redact_rules_parse("sig, custom-key", &r, NULL, 0), 0);
	ck_assert_str_eq(red_rules(&c, 0, &r),
			 "x --sig=*** --password=b X_CUSTOM_KEY=***");
	ck_assert_int_eq(redact_rules_parse("default,sig", &r, NULL, 0), 0);
	ck_assert_str_eq(red_rules(&c, 0, &r),
			 "x --sig=*** --password=*** X_CUSTOM_KEY=c");
	ck_assert_int_eq(redact_rules_parse(" none ", &r, NULL, 0), 0);
	ck_assert_uint_eq(r.nwords, 0);
	ck_assert_str_eq(red_rules(&c, 0, &r),
			 "x --sig=a --password=b X_CUSTOM_KEY=c");
}
END_TEST

START_TEST(rules_parse_errors)
{
	struct redact_rules r, keep;
	char err[128], longw[40], many[64 * 4 + 8] = "";
	const char *bad[] = { "", "a,,b", "a,", "pass word", "none,token",
			      "to$ken", "-token", "token_" };

	memset(longw, 'a', 33);
	longw[33] = 0;
	redact_rules_default(&keep);
	for (size_t i = 0; i < NELEM(bad); i++) {
		r = keep;
		err[0] = 0;
		ck_assert_msg(redact_rules_parse(bad[i], &r, err, sizeof(err)) ==
				      -EINVAL,
			      "accepted '%s'", bad[i]);
		ck_assert_msg(err[0], "no message for '%s'", bad[i]);
		ck_assert_mem_eq(&r, &keep, sizeof(r));
	}
	ck_assert_int_eq(redact_rules_parse(longw, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "longer than 32"));
	longw[32] = 0;
	ck_assert_int_eq(redact_rules_parse(longw, &r, err, sizeof(err)), 0);
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sw%d",
			 i ? "," : "", i);
	ck_assert_int_eq(redact_rules_parse(many, &r, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "more than 64"));
	*strrchr(many, ',') = 0;
	ck_assert_int_eq(redact_rules_parse(many, &r, err, sizeof(err)), 0);
	ck_assert_uint_eq(r.nwords, 64);
}
END_TEST

START_TEST(rules_parse_normalises)
{
	struct redact_rules r, d;

	/* case, separators and duplicates; "default" adds the defaults */
	ck_assert_int_eq(redact_rules_parse("Api-Key,api_key,API.KEY", &r, NULL, 0), 0);
	ck_assert_uint_eq(r.nwords, 1);
	ck_assert_str_eq(r.words[0], "api_key");
	redact_rules_default(&d);
	ck_assert_uint_eq(d.nwords, 19);
	ck_assert_int_eq(redact_rules_parse("DEFAULT,password,extra", &r, NULL, 0), 0);
	ck_assert_uint_eq(r.nwords, d.nwords + 1);
	ck_assert_str_eq(r.words[d.nwords], "extra");
}
END_TEST

START_TEST(printable_join)
{
	struct redact_rules none = { .nwords = 0 };
	/* empty arguments, control bytes, no final NUL, trailing NULs */
	struct cmdline c = { .n = 0 };
	const char raw[] = "a\0\0b\tc\nd\x7f"
			   "e\x01\xc3\xa9\0\0";

	memcpy(c.b, raw, sizeof(raw) - 1);
	c.n = sizeof(raw) - 1;
	ck_assert_str_eq(red_rules(&c, 0, &none), "a  b c d e \xc3\xa9");
	/* redaction off: a cut line is shown as it is */
	ck_assert_str_eq(red_rules(&c, REDACT_TRUNCATED, &none),
			 "a  b c d e \xc3\xa9");
	ck_assert_str_eq(red(&c), "a  b c d e \xc3\xa9");
	c.n = 3; /* "a\0\0": trailing NULs are not arguments */
	ck_assert_str_eq(red(&c), "a");
	c.n = 0;
	ck_assert_str_eq(red(&c), "");
	/* a control byte separates words: a key is found after it */
	expect(CMD("sh", "-c", "echo\nTOKEN=abc\tx"), "sh -c echo TOKEN=*** x");
}
END_TEST

START_TEST(truncated_input)
{
	struct redact_rules r;
	struct cmdline c = CMD("git", "clone",
			       "https://x-access-token:ghp_abcdef@github.com/o/r");
	size_t cut = strstr(c.b + 10, "@") - c.b; /* before the '@' */

	redact_rules_default(&r);
	/* without the flag the cut URL shows its password: that is why the
	 * flag exists */
	c.n = cut;
	ck_assert_ptr_nonnull(strstr(red_rules(&c, 0, &r), "ghp_abc"));
	ck_assert_str_eq(red_rules(&c, REDACT_TRUNCATED, &r), "git clone");
	c = CMD("curl", "-H", "Authorization: Bearer abcdef");
	c.n -= 3;
	ck_assert_str_eq(red_rules(&c, REDACT_TRUNCATED, &r),
			 "curl -H Authorization: ***");
	c = CMD("x", "--password");
	ck_assert_str_eq(red_rules(&c, REDACT_TRUNCATED, &r), "x --password");
}
END_TEST

/* Lines with a secret "~...~" in every form; nothing else has a '~'. */
static struct cmdline secret_line(int i)
{
	switch (i) {
	case 0:
		return CMD("mysql", "--password=~s3 cr3t~", "-h", "db");
	case 1:
		return CMD("curl", "-u", "me:~pa:ss~", "-H",
			   "Authorization: Bearer ~tok en~", "https://x/");
	case 2:
		return CMD("git", "clone", "https://u:~ghp_x~@github.com/o/r.git");
	case 3:
		return CMD("curl", "https://x/?a=1&token=~abc~&b=2", "-o", "f");
	case 4:
		return CMD("sh", "-c", "TOKEN=~a~ curl -d '{\"password\":\"~b c~\"}' x");
	case 5:
		return CMD("docker", "login", "-p", "~hunter 2~", "reg.io");
	default:
		return CMD("env", "AWS_SECRET_ACCESS_KEY=~k~", "wget",
			   "--http-password", "~p q~", "http://a/");
	}
}

START_TEST(every_truncation_hides_the_secret)
{
	struct redact_rules r;

	redact_rules_default(&r);
	for (int i = 0; i < 7; i++) {
		struct cmdline c = secret_line(i);
		size_t full = c.n;

		ck_assert_ptr_null(strchr(red_rules(&c, 0, &r), '~'));
		for (c.n = 0; c.n <= full; c.n++) {
			const char *o = red_rules(&c, REDACT_TRUNCATED, &r);

			ck_assert_msg(!strchr(o, '~'), "line %d cut at %zu: %s", i,
				      c.n, o);
		}
	}
}
END_TEST

START_TEST(every_output_size_is_a_prefix)
{
	struct redact_rules r;

	redact_rules_default(&r);
	for (int i = 0; i < 7; i++) {
		struct cmdline c = secret_line(i);
		char full[1024], buf[1024];
		size_t n = redact_cmdline(c.b, c.n, 0, &r, full, sizeof(full));

		for (size_t cap = 0; cap <= n + 2; cap++) {
			size_t m;

			memset(buf, 'Z', sizeof(buf));
			m = redact_cmdline(c.b, c.n, 0, &r, buf, cap);
			if (!cap) {
				ck_assert_uint_eq(m, 0);
				ck_assert_int_eq(buf[0], 'Z');
				continue;
			}
			ck_assert_uint_eq(m, cap - 1 < n ? cap - 1 : n);
			ck_assert_int_eq(buf[m], 0);
			ck_assert_int_eq(buf[m + 1], 'Z'); /* nothing beyond */
			ck_assert_mem_eq(buf, full, m);
			ck_assert_ptr_null(strchr(buf, '~'));
		}
	}
}
END_TEST

START_TEST(already_masked_is_kept)
{
	/* what makes redaction idempotent, and its documented price */
	expect(CMD("x", "--password=*** tail"), "x --password=*** tail");
	expect(CMD("x", "--password=***tail"), "x --password=***");
}
END_TEST

static Suite *redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("core");

	ADD(tc, option_forms);
	ADD(tc, env_and_query_forms);
	ADD(tc, header_and_json_forms);
	ADD(tc, url_userinfo_always);
	ADD(tc, programs);
	ADD(tc, shell_scripts);
	ADD(tc, real_world);
	ADD(tc, non_secrets);
	ADD(tc, word_boundaries);
	ADD(tc, custom_words);
	ADD(tc, rules_parse_errors);
	ADD(tc, rules_parse_normalises);
	ADD(tc, printable_join);
	ADD(tc, truncated_input);
	ADD(tc, every_truncation_hides_the_secret);
	ADD(tc, every_output_size_is_a_prefix);
	ADD(tc, already_masked_is_kept);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(redact_suite)
