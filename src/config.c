// SPDX-License-Identifier: GPL-2.0-or-later
#include "config.h"

#include "egressd/oci.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
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
	snprintf(c->docker_socket, sizeof(c->docker_socket),
		 "/var/run/docker.sock");
	snprintf(c->oci_bundle_root, sizeof(c->oci_bundle_root), "%s",
		 OCI_BUNDLE_ROOT);
	snprintf(c->system_lists, sizeof(c->system_lists), "%s",
		 access(EGRESSD_SYSTEM_LISTS, R_OK) ? EGRESSD_SOURCE_LISTS
						    : EGRESSD_SYSTEM_LISTS);
	c->retention_days = 90;
	/* Bits 0x00e00000 are free in Docker (none), kube-proxy (0x4000,
	 * 0x8000) and Calico (0xffff0000 by default: configure the mask away
	 * from it where Calico runs). */
	c->marks = (struct nft_marks){ 0x00600000, 0x00200000, 0x00400000 };
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
	if (dash && (parse_u32(dash + 1, &b) || b < a || b > 65535))
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

#define STR(field)                                                          \
	(snprintf(c->field, sizeof(c->field), "%s", value) <                \
			 (int)sizeof(c->field)                              \
		 ? 0                                                        \
		 : -ENAMETOOLONG)

int config_set(struct config *c, const char *key, const char *value,
	       char *err, size_t errlen)
{
	int r = -ENOENT;

	if (!strcmp(key, "mode")) {
		r = !strcmp(value, "block") || !strcmp(value, "alert") ? 0
								      : -EINVAL;
		c->block = !strcmp(value, "block");
	} else if (!strcmp(key, "fail_closed")) {
		r = parse_bool(value, &c->fail_closed);
	} else if (!strcmp(key, "queue")) {
		r = parse_queue(c, value);
	} else if (!strcmp(key, "queue_maxlen")) {
		r = parse_u32(value, &c->queue_maxlen);
	} else if (!strcmp(key, "state_dir")) {
		r = STR(state_dir);
	} else if (!strcmp(key, "socket")) {
		r = STR(socket);
	} else if (!strcmp(key, "ruleset")) {
		r = STR(ruleset);
	} else if (!strcmp(key, "docker_socket")) {
		r = STR(docker_socket);
	} else if (!strcmp(key, "oci_bundle_root")) {
		r = STR(oci_bundle_root);
	} else if (!strcmp(key, "system_lists")) {
		r = STR(system_lists);
	} else if (!strcmp(key, "retention_days")) {
		uint32_t v;
		r = parse_u32(value, &v);
		if (!r && (v < 1 || v > 36500))
			r = -EINVAL;
		c->retention_days = v;
	} else if (!strcmp(key, "syslog")) {
		r = parse_bool(value, &c->syslog);
	} else if (!strcmp(key, "ttl_floor")) {
		r = parse_u32(value, &c->ttl_floor);
	} else if (!strcmp(key, "mark_mask")) {
		r = parse_u32(value, &c->marks.mask);
	} else if (!strcmp(key, "mark_allow")) {
		r = parse_u32(value, &c->marks.allow);
	} else if (!strcmp(key, "mark_block")) {
		r = parse_u32(value, &c->marks.block);
	} else if (!strcmp(key, "blacklist") || !strcmp(key, "whitelist")) {
		r = add_list(c, value, key[0] == 'w');
	} else if (!strcmp(key, "container_if")) {
		r = ifname_ok(value) && c->nifs < CONFIG_IFS_MAX ? 0 : -EINVAL;
		if (!r)
			snprintf(c->ifs[c->nifs++], 16, "%s", value);
	}
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown setting '%s'", key);
	else if (r)
		snprintf(err, errlen, "bad value '%s' for %s", value, key);
	return r;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int config_load(struct config *c, const char *path, bool required, char *err,
		size_t errlen)
{
	char line[1024], msg[256];
	unsigned n = 0;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f) {
		if (!required && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq;
		n++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, n);
			r = -EINVAL;
			break;
		}
		*eq = 0;
		r = config_set(c, trim(s), trim(eq + 1), msg, sizeof(msg));
		if (r) {
			snprintf(err, errlen, "%s:%u: %s", path, n, msg);
			break;
		}
	}
	fclose(f);
	return r;
}
