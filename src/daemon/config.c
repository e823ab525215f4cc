// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"
#include "listen.h"
#include "log.h"

#include "egressd/oci.h"
#include "watchdog.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "egressd/fileio.h"
#include "text.h"
#include "pgio.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	/* Installed and started, egressd protects: what the lists name is
	 * stopped (fail-open keeps the rest flowing if egressd stops). */
	c->block = true;
	c->log_level = LOG_P_INFO;
	c->queue_first = 0;
	c->queue_count = 1;
	c->queue_maxlen = 4096;
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/egressd");
	snprintf(c->socket, sizeof(c->socket), "/run/egressd/egressd.sock");
	/* The installed ruleset; from a build tree that was never installed,
	 * the one in the source tree. */
	snprintf(c->ruleset, sizeof(c->ruleset), "%s",
		 access(EGRESSD_RULESET, R_OK) ? EGRESSD_SOURCE_RULESET
					       : EGRESSD_RULESET);
	c->ttl_floor = DNS_TTL_FLOOR_DEFAULT;
	c->watchdog_timeout_s = 3;
	snprintf(c->docker_socket, sizeof(c->docker_socket),
		 "/var/run/docker.sock");
	snprintf(c->oci_bundle_root, sizeof(c->oci_bundle_root), "%s",
		 OCI_BUNDLE_ROOT);
	snprintf(c->system_lists, sizeof(c->system_lists), "%s",
		 access(EGRESSD_SYSTEM_LISTS, R_OK) ? EGRESSD_SOURCE_LISTS
						    : EGRESSD_SYSTEM_LISTS);
	c->retention_days = 90;
	c->sandbox = true;
	redact_rules_default(&c->redact);
	c->max_state_mb = CONFIG_STATE_MB_DEFAULT;
	c->unreadable = ENGINE_ALERT;
	c->dns_bypass = ENGINE_ALERT;
	c->ech = ENGINE_ALLOW;
	c->trusted_auto = true;
	/* Bits 0x00e00000 are free in Docker (none), kube-proxy (0x4000,
	 * 0x8000) and Calico (0xffff0000 by default: configure the mask away
	 * from it where Calico runs). */
	c->marks = (struct nft_marks){ 0x00e00000, 0x00200000, 0x00400000,
				       0x00800000 };
}

static int parse_u32(const char *v, uint32_t *ret)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 0);
	if (errno || *end || !*v || x > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)x;
	return 0;
}

static int parse_bool(const char *v, bool *ret)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*ret = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*ret = false;
	else
		return -EINVAL;
	return 0;
}

/* "N" or "N-M" */
static int parse_queue(struct config *c, const char *v)
{
	uint32_t a, b;
	char tmp[32], *dash;

	snprintf(tmp, sizeof(tmp), "%s", v);
	dash = strchr(tmp, '-');
	if (dash)
		*dash = 0;
	if (parse_u32(tmp, &a) || a > 65535)
		return -EINVAL;
	b = a;
	/* 0-65535 is 65,536 queues: more than queue_count holds. */
	if (dash && (parse_u32(dash + 1, &b) || b < a || b > 65535 ||
		     b - a + 1 > UINT16_MAX))
		return -EINVAL;
	c->queue_first = (uint16_t)a;
	c->queue_count = (uint16_t)(b - a + 1);
	return 0;
}

/* An interface name, or a prefix ending in '*' ("br-*"). */
static bool ifname_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("_-.@:", v[i]) &&
		    !(v[i] == '*' && i == n - 1 && i > 0))
			return false;
	return true;
}

static int add_list(struct config *c, const char *v, bool white)
{
	struct list_spec *s;
	char *path;

	if (c->nlists == CONFIG_LISTS_MAX)
		return -E2BIG;
	path = c->list_paths[c->nlists];
	snprintf(path, sizeof(c->list_paths[0]), "%s", v);
	s = &c->lists[c->nlists++];
	*s = (struct list_spec){ .path = path, .white = white };
	char *colon = strchr(path, ':');
	if (colon) {
		*colon = 0;
		if (list_format_parse(path, &s->format))
			*colon = ':';
		else
			s->path = colon + 1;
	}
	return 0;
}

/* ---- the settings ---- */

static int set_mode(struct config *c, const char *v)
{
	if (strcmp(v, "block") && strcmp(v, "alert"))
		return -EINVAL;
	c->block = !strcmp(v, "block");
	return 0;
}

static int set_host_processes(struct config *c, const char *v)
{
	if (strcmp(v, "ignore") && strcmp(v, "watch"))
		return -EINVAL;
	c->host_watch = !strcmp(v, "watch");
	return 0;
}

static int set_str(char *dst, size_t len, const char *v)
{
	return snprintf(dst, len, "%s", v) < (int)len ? 0 : -ENAMETOOLONG;
}

static int set_u32_range(uint32_t *dst, const char *v, uint32_t lo,
			 uint32_t hi)
{
	uint32_t x;

	if (parse_u32(v, &x) || x < lo || x > hi)
		return -EINVAL;
	*dst = x;
	return 0;
}

/* "auto" adds the bridges found to lead to other namespaces (watch.h). */
static int set_ifname(struct config *c, const char *v)
{
	if (!strcmp(v, "auto")) {
		c->ifs_auto = true;
		return 0;
	}
	if (!ifname_ok(v) || c->nifs == CONFIG_IFS_MAX)
		return -EINVAL;
	snprintf(c->ifs[c->nifs++], sizeof(c->ifs[0]), "%s", v);
	return 0;
}

/* "ADDRESS:PORT" ("[v6]:port" for IPv6), or "" for off. */
static int set_listen(struct config *c, const char *v)
{
	struct sockaddr_storage ss;

	if (*v && listen_parse(v, &ss))
		return -EINVAL;
	return set_str(c->metrics_listen, sizeof(c->metrics_listen), v);
}

static int set_action(enum engine_action *dst, const char *v)
{
	static const char *const names[] = { [ENGINE_ALLOW] = "allow",
					     [ENGINE_ALERT] = "alert",
					     [ENGINE_BLOCK] = "block" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i])) {
			*dst = (enum engine_action)i;
			return 0;
		}
	return -EINVAL;
}

/* "auto", "none", or addresses separated by spaces or commas. */
static int set_trusted(struct config *c, const char *v)
{
	char buf[CONFIG_LINE_MAX + 1], *save = NULL;
	struct ip_addr a[CONFIG_TRUSTED_MAX];
	size_t n = 0;

	if (!strcmp(v, "auto") || !strcmp(v, "none")) {
		c->trusted_auto = !strcmp(v, "auto");
		c->ntrusted = 0;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, " ,\t", &save); t;
	     t = strtok_r(NULL, " ,\t", &save)) {
		if (n == CONFIG_TRUSTED_MAX || ip_addr_parse(t, &a[n]))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	memcpy(c->trusted, a, sizeof(a));
	c->ntrusted = n;
	c->trusted_auto = false;
	return 0;
}

bool config_host_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > CONFIG_HOST_ID_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
}

static int set_host_id(struct config *c, const char *v)
{
	if (*v && !config_host_id_ok(v))
		return -EINVAL;
	return set_str(c->fleet_host_id, sizeof(c->fleet_host_id), v);
}

/* Addresses, separated by spaces or commas; "" for none. */
static int set_outer_addr(struct config *c, const char *v)
{
	char buf[sizeof(c->fleet_outer_addr)], *save = NULL;
	struct ip_addr a;

	if (set_str(buf, sizeof(buf), v))
		return -EINVAL;
	for (char *t = strtok_r(buf, " ,\t", &save); t;
	     t = strtok_r(NULL, " ,\t", &save))
		if (ip_addr_parse(t, &a))
			return -EINVAL;
	return set_str(c->fleet_outer_addr, sizeof(c->fleet_outer_addr), v);
}

/* The DSN is never echoed: it may hold a password. */
static int set_fleet_dsn(struct config *c, const char *v, char *err,
			 size_t errlen)
{
	char why[200];
	int r = *v ? pgio_dsn_check(v, why, sizeof(why)) : 0;

	if (!r && set_str(c->fleet_dsn, sizeof(c->fleet_dsn), v)) {
		snprintf(why, sizeof(why), "longer than %d bytes",
			 CONFIG_FLEET_DSN_MAX - 1);
		r = -EINVAL;
	}
	if (r)
		snprintf(err, errlen, "bad value for fleet_dsn: %s", why);
	return r;
}

enum key_id {
	K_MODE, K_FAIL_CLOSED, K_QUEUE, K_QUEUE_MAXLEN, K_STATE_DIR, K_SOCKET,
	K_RULESET, K_DOCKER_SOCKET, K_OCI_BUNDLE_ROOT, K_SYSTEM_LISTS,
	K_RETENTION_DAYS, K_MAX_STATE_MB, K_SYSLOG, K_TTL_FLOOR, K_MARK_MASK,
	K_MARK_ALLOW, K_MARK_BLOCK, K_BLACKLIST, K_WHITELIST, K_CONTAINER_IF,
	K_WATCHDOG_TIMEOUT, K_SANDBOX, K_REDACT, K_MARK_IN, K_UNREADABLE,
	K_DNS_BYPASS, K_ECH, K_TRUSTED_RESOLVERS, K_METRICS_LISTEN, K_LOG_LEVEL, K_HOST_PROCESSES,
	K_FLEET_DSN, K_FLEET_HOST_ID, K_FLEET_OUTER_ADDR, K_COUNT
};

/* Settings that may be given more than once (each adds one). */
static const struct {
	const char *name;
	bool repeat;
} keys[K_COUNT] = {
	[K_MODE] = { "mode", false },
	[K_FAIL_CLOSED] = { "fail_closed", false },
	[K_QUEUE] = { "queue", false },
	[K_QUEUE_MAXLEN] = { "queue_maxlen", false },
	[K_STATE_DIR] = { "state_dir", false },
	[K_SOCKET] = { "socket", false },
	[K_RULESET] = { "ruleset", false },
	[K_DOCKER_SOCKET] = { "docker_socket", false },
	[K_OCI_BUNDLE_ROOT] = { "oci_bundle_root", false },
	[K_SYSTEM_LISTS] = { "system_lists", false },
	[K_RETENTION_DAYS] = { "retention_days", false },
	[K_MAX_STATE_MB] = { "max_state_mb", false },
	[K_SYSLOG] = { "syslog", false },
	[K_TTL_FLOOR] = { "ttl_floor", false },
	[K_MARK_MASK] = { "mark_mask", false },
	[K_MARK_ALLOW] = { "mark_allow", false },
	[K_MARK_BLOCK] = { "mark_block", false },
	[K_BLACKLIST] = { "blacklist", true },
	[K_WHITELIST] = { "whitelist", true },
	[K_CONTAINER_IF] = { "container_if", true },
	[K_WATCHDOG_TIMEOUT] = { "watchdog_timeout", false },
	[K_SANDBOX] = { "sandbox", false },
	[K_REDACT] = { "redact", false },
	[K_MARK_IN] = { "mark_in", false },
	[K_UNREADABLE] = { "unreadable", false },
	[K_DNS_BYPASS] = { "dns_bypass", false },
	[K_ECH] = { "ech", false },
	[K_TRUSTED_RESOLVERS] = { "trusted_resolvers", false },
	[K_METRICS_LISTEN] = { "metrics_listen", false },
	[K_LOG_LEVEL] = { "log_level", false },
	[K_HOST_PROCESSES] = { "host_processes", false },
	[K_FLEET_DSN] = { "fleet_dsn", false },
	[K_FLEET_HOST_ID] = { "fleet_host_id", false },
	[K_FLEET_OUTER_ADDR] = { "fleet_outer_addr", false },
};

static int key_find(const char *name)
{
	for (int i = 0; i < K_COUNT; i++)
		if (!strcmp(keys[i].name, name))
			return i;
	return -1;
}

static int key_apply(struct config *c, enum key_id k, const char *v)
{
	switch (k) {
	case K_MODE:
		return set_mode(c, v);
	case K_FAIL_CLOSED:
		return parse_bool(v, &c->fail_closed);
	case K_QUEUE:
		return parse_queue(c, v);
	case K_QUEUE_MAXLEN:
		return set_u32_range(&c->queue_maxlen, v, 1, 1u << 20);
	case K_STATE_DIR:
		return set_str(c->state_dir, sizeof(c->state_dir), v);
	case K_SOCKET:
		return set_str(c->socket, sizeof(c->socket), v);
	case K_RULESET:
		return set_str(c->ruleset, sizeof(c->ruleset), v);
	case K_DOCKER_SOCKET:
		return set_str(c->docker_socket, sizeof(c->docker_socket), v);
	case K_OCI_BUNDLE_ROOT:
		return set_str(c->oci_bundle_root, sizeof(c->oci_bundle_root), v);
	case K_SYSTEM_LISTS:
		return set_str(c->system_lists, sizeof(c->system_lists), v);
	case K_RETENTION_DAYS:
		return set_u32_range(&c->retention_days, v, 1, 36500);
	case K_MAX_STATE_MB:
		return set_u32_range(&c->max_state_mb, v, 1, 1u << 24);
	case K_SYSLOG:
		return parse_bool(v, &c->syslog);
	case K_TTL_FLOOR:
		return set_u32_range(&c->ttl_floor, v, 0, 86400);
	case K_MARK_MASK:
		return parse_u32(v, &c->marks.mask);
	case K_MARK_ALLOW:
		return parse_u32(v, &c->marks.allow);
	case K_MARK_BLOCK:
		return parse_u32(v, &c->marks.block);
	case K_MARK_IN:
		return parse_u32(v, &c->marks.in);
	case K_BLACKLIST:
	case K_WHITELIST:
		return add_list(c, v, k == K_WHITELIST);
	case K_CONTAINER_IF:
		return set_ifname(c, v);
	case K_SANDBOX:
		return parse_bool(v, &c->sandbox);
	case K_UNREADABLE:
		return set_action(&c->unreadable, v);
	case K_DNS_BYPASS:
		return set_action(&c->dns_bypass, v);
	case K_ECH:
		return set_action(&c->ech, v);
	case K_TRUSTED_RESOLVERS:
		return set_trusted(c, v);
	case K_METRICS_LISTEN:
		return set_listen(c, v);
	case K_HOST_PROCESSES:
		return set_host_processes(c, v);
	case K_FLEET_HOST_ID:
		return set_host_id(c, v);
	case K_FLEET_OUTER_ADDR:
		return set_outer_addr(c, v);
	case K_LOG_LEVEL:
		return (c->log_level = log_level_parse(v)) < 0 ? -EINVAL : 0;
	case K_WATCHDOG_TIMEOUT:
		return set_u32_range(&c->watchdog_timeout_s, v, 0,
				     WATCHDOG_TIMEOUT_MAX_S);
	default:
		return -ENOENT;
	}
}

int config_set(struct config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	int k = key_find(key), r;

	/* Its parser says what is wrong in its own words. */
	if (k == K_REDACT) {
		char why[200];
		r = redact_rules_parse(value, &c->redact, why, sizeof(why));
		if (r)
			snprintf(err, errlen, "bad value for redact: %s", why);
		return r;
	}
	if (k == K_FLEET_DSN)
		return set_fleet_dsn(c, value, err, errlen);
	r = k < 0 ? -ENOENT : key_apply(c, (enum key_id)k, value);
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown setting '%s'", key);
	else if (r)
		snprintf(err, errlen, "bad value '%.200s' for %s", value, key);
	return r;
}

void config_finish(struct config *c)
{
	static const char *const def[] = CONFIG_DEFAULT_IFS;

	if (c->nifs)
		return;
	for (size_t i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		snprintf(c->ifs[c->nifs++], sizeof(c->ifs[0]), "%s", def[i]);
	c->ifs_default = true;
}

/* The marks: each verdict needs bits of its own inside the mask, or one
 * would read as the other (a zero allow mark matches every unmarked
 * packet; overlapping allow and block marks make a blocked connection
 * look allowed to a rule that tests the allow bits). */
int config_check_marks(const struct nft_marks *m, char *err, size_t errlen)
{
	const struct {
		const char *name;
		uint32_t v;
	} mk[] = { { "mark_allow", m->allow }, { "mark_block", m->block },
	      { "mark_in", m->in } };
	const size_t n = sizeof(mk) / sizeof(mk[0]);

	if (!m->mask) {
		snprintf(err, errlen, "mark_mask is 0: egressd needs mark bits "
			 "of its own");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!mk[i].v || (mk[i].v & ~m->mask)) {
			snprintf(err, errlen, "%s = 0x%08x must be non-zero and "
				 "inside mark_mask = 0x%08x", mk[i].name,
				 mk[i].v, m->mask);
			return -EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (mk[i].v & mk[j].v) {
				snprintf(err, errlen, "%s = 0x%08x and %s = "
					 "0x%08x share bits: each needs bits of "
					 "its own", mk[j].name, mk[j].v,
					 mk[i].name, mk[i].v);
				return -EINVAL;
			}
	}
	return 0;
}

/* One "key = value" line; seen[] catches a key given twice. */
static int config_line(struct config *c, char *s, bool *seen, char *msg,
		       size_t msglen)
{
	char *eq = strchr(s, '='), *key;
	int k;

	if (!eq) {
		snprintf(msg, msglen, "expected 'key = value'");
		return -EINVAL;
	}
	*eq = 0;
	key = text_trim(s);
	k = key_find(key);
	if (k >= 0 && !keys[k].repeat && seen[k]) {
		snprintf(msg, msglen, "'%s' is set twice", key);
		return -EINVAL;
	}
	if (k >= 0)
		seen[k] = true;
	return config_set(c, key, text_trim(eq + 1), msg, msglen);
}

int config_load(struct config *c, const char *path, bool required, char *err,
		size_t errlen)
{
	bool seen[K_COUNT] = { 0 };
	char *text, msg[256], line[CONFIG_LINE_MAX + 1];
	size_t len, pos = 0;
	unsigned n = 0;
	int r = file_read_max(path, CONFIG_FILE_MAX, &text, &len);

	if (r) {
		if (!required && r == -ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, file_strerror(r));
		return r;
	}
	while (!r && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - text) - pos : len - pos;
		char *s;
		n++;
		/* A long line is an error, never split: its tail could read
		 * like a setting of its own. */
		if (l > CONFIG_LINE_MAX || memchr(text + pos, 0, l)) {
			snprintf(err, errlen, "%s:%u: %s", path, n,
				 l > CONFIG_LINE_MAX ? "line longer than 1024 bytes"
						     : "NUL byte: not a text file");
			r = -EINVAL;
			break;
		}
		memcpy(line, text + pos, l);
		line[l] = 0;
		pos += l + 1;
		s = text_trim(line);
		if (!*s || *s == '#')
			continue;
		r = config_line(c, s, seen, msg, sizeof(msg));
		if (r)
			snprintf(err, errlen, "%s:%u: %s", path, n, msg);
	}
	free(text);
	/* Marks come from the file only: checked once it is read whole. */
	if (!r && (r = config_check_marks(&c->marks, msg, sizeof(msg))))
		snprintf(err, errlen, "%s: %s", path, msg);
	return r;
}
