/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressd-console's settings: defaults, /etc/egressd/console.conf
 * ("key = value", '#' comments), then the flags. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CONSOLE_CONF_DEFAULT "/etc/egressd/console.conf"
#define CONSOLE_LISTEN_DEFAULT "127.0.0.1:8743"
#define CONSOLE_SOCKET_DEFAULT "/run/egressd/egressd.sock"
#define CONSOLE_WWW_DEFAULT "/usr/share/egressd/console"
#define CONSOLE_CONF_MAX (64u << 10)

struct console_conf {
	char listen[80];
	char socket[256];
	char users_file[256];
	char www_dir[256];
	char tls_cert[256], tls_key[256]; /* both or neither */
	unsigned session_idle_s, session_max_s;
	unsigned ctl_timeout_s; /* one request to egressd, or statement */
	/* fleet mode: PostgreSQL instead of egressd's socket; "" for one
	 * host */
	char fleet_dsn[1024];
	struct sockaddr_storage addr; /* listen, parsed by conf_check */
};

void conf_defaults(struct console_conf *c);
/* One setting. Returns 0 or -EINVAL with why filled. */
int conf_set(struct console_conf *c, const char *key, const char *value,
	     char *why, size_t whylen);
/* Reads the file; a missing file is fine unless required. Returns 0 or
 * a negative errno with err "FILE:LINE: ...". */
int conf_load(struct console_conf *c, const char *path, bool required,
	      char *err, size_t errlen);
/* After the file and the flags: the address parses, and any address but
 * loopback has TLS. Returns 0 or -EINVAL with err filled. */
int conf_check(struct console_conf *c, char *err, size_t errlen);
