// SPDX-License-Identifier: GPL-2.0-or-later
#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/fileio.h"
#include "fleet.h"
#include "listen.h"
#include "users.h"
#include "text.h"

void conf_defaults(struct console_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "%s", CONSOLE_LISTEN_DEFAULT);
	snprintf(c->socket, sizeof(c->socket), "%s", CONSOLE_SOCKET_DEFAULT);
	snprintf(c->users_file, sizeof(c->users_file), "%s",
		 USERS_FILE_DEFAULT);
	snprintf(c->www_dir, sizeof(c->www_dir), "%s", CONSOLE_WWW_DEFAULT);
	c->session_idle_s = 30 * 60;
	c->session_max_s = 12 * 3600;
	c->ctl_timeout_s = 30;
}

static int set_str(char *dst, size_t len, const char *v, char *why,
		   size_t whylen)
{
	if (strlen(v) >= len) {
		snprintf(why, whylen, "longer than %zu bytes", len - 1);
		return -EINVAL;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int set_secs(unsigned *dst, const char *v, unsigned lo, unsigned hi,
		    char *why, size_t whylen)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || *end || !*v || *v == '-' || x < lo || x > hi) {
		snprintf(why, whylen, "expected seconds, %u..%u", lo, hi);
		return -EINVAL;
	}
	*dst = (unsigned)x;
	return 0;
}

/* Checked now, so that a typo is an error naming the file and line, not
 * a failure on the first request. */
static int set_dsn(struct console_conf *c, const char *v, char *why,
		   size_t whylen)
{
	int r = set_str(c->fleet_dsn, sizeof(c->fleet_dsn), v, why, whylen);

	if (!r && *v)
		r = fleet_dsn_check(v, why, whylen);
	if (r)
		c->fleet_dsn[0] = 0;
	return r;
}

int conf_set(struct console_conf *c, const char *key, const char *v,
	     char *why, size_t whylen)
{
	static const struct {
		const char *key;
		size_t off, len;
	} strs[] = {
#define S(k, f) { k, offsetof(struct console_conf, f), \
		  sizeof(((struct console_conf *)0)->f) }
		S("listen", listen), S("socket", socket),
		S("users_file", users_file), S("www_dir", www_dir),
		S("tls_cert", tls_cert), S("tls_key", tls_key),
#undef S
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!strcmp(key, strs[i].key))
			return set_str((char *)c + strs[i].off, strs[i].len, v,
				       why, whylen);
	if (!strcmp(key, "fleet_dsn"))
		return set_dsn(c, v, why, whylen);
	if (!strcmp(key, "session_idle_s"))
		return set_secs(&c->session_idle_s, v, 60, 86400, why, whylen);
	if (!strcmp(key, "session_max_s"))
		return set_secs(&c->session_max_s, v, 60, 30 * 86400, why,
				whylen);
	if (!strcmp(key, "ctl_timeout_s"))
		return set_secs(&c->ctl_timeout_s, v, 1, 600, why, whylen);
	snprintf(why, whylen, "unknown setting '%.60s'", key);
	return -EINVAL;
}

static int conf_line(struct console_conf *c, char *s, char *why,
		     size_t whylen)
{
	char *eq, *k;

	s = text_trim(s);
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq) {
		snprintf(why, whylen, "expected key = value");
		return -EINVAL;
	}
	*eq = 0;
	k = text_trim(s);
	return conf_set(c, k, text_trim(eq + 1), why, whylen);
}

int conf_load(struct console_conf *c, const char *path, bool required,
	      char *err, size_t errlen)
{
	char *text = NULL, why[160];
	size_t len;
	unsigned line = 0;
	int r = file_read_max(path, CONSOLE_CONF_MAX, &text, &len);

	if (r == -ENOENT && !required)
		return 0;
	if (r) {
		snprintf(err, errlen, "%s: %s", path,
			 r == -EFBIG ? "too large" : strerror(-r));
		return r;
	}
	for (char *s = text, *nl; !r && s && *s; s = nl) {
		nl = strchr(s, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		r = conf_line(c, s, why, sizeof(why));
	}
	if (r)
		snprintf(err, errlen, "%s:%u: %s", path, line, why);
	free(text);
	return r;
}

int conf_check(struct console_conf *c, char *err, size_t errlen)
{
	if (listen_parse(c->listen, &c->addr)) {
		snprintf(err, errlen, "listen '%s': expected ADDR:PORT, e.g. "
			 "127.0.0.1:8743 or [::1]:8743", c->listen);
		return -EINVAL;
	}
	if (!c->tls_cert[0] != !c->tls_key[0]) {
		snprintf(err, errlen, "tls_cert and tls_key go together");
		return -EINVAL;
	}
	if (!c->tls_cert[0] && !listen_is_loopback(&c->addr)) {
		snprintf(err, errlen, "listen %s is not a loopback address: "
			 "set tls_cert and tls_key (logins and sessions must "
			 "not cross a network in clear text)", c->listen);
		return -EINVAL;
	}
	return 0;
}
