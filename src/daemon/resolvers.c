// SPDX-License-Identifier: GPL-2.0-or-later
#include "resolvers.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/fileio.h"

/* A resolver file is small; anything past this is not one. */
#define RESOLV_FILE_MAX (64u << 10)

static void add(struct ip_addr *ret, size_t max, size_t *n,
		const struct ip_addr *a)
{
	if (ip_addr_is_loopback(a) || *n == max)
		return;
	for (size_t i = 0; i < *n; i++)
		if (ip_addr_equal(&ret[i], a))
			return;
	ret[(*n)++] = *a;
}

/* resolv.conf: "nameserver ADDR" lines (an IPv6 zone is not ours). */
static void from_resolv(const char *path, struct ip_addr *ret, size_t max,
			size_t *n)
{
	char *text, *save = NULL;
	size_t len;

	if (file_read_max(path, RESOLV_FILE_MAX, &text, &len))
		return;
	for (char *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char word[16], addr[64];
		struct ip_addr a;
		if (sscanf(l, " %15s %63[^% \t]", word, addr) != 2 ||
		    strcmp(word, "nameserver") || ip_addr_parse(addr, &a))
			continue;
		add(ret, max, n, &a);
	}
	free(text);
}

static void from_docker(const char *path, struct ip_addr *ret, size_t max,
			size_t *n)
{
	char *text;
	size_t len;
	cJSON *o, *dns, *it;

	if (file_read_max(path, RESOLV_FILE_MAX, &text, &len))
		return;
	o = cJSON_ParseWithLength(text, len);
	free(text);
	dns = cJSON_GetObjectItemCaseSensitive(o, "dns");
	if (!cJSON_IsArray(dns))
		dns = NULL;
	cJSON_ArrayForEach(it, dns)
	{
		struct ip_addr a;
		if (cJSON_IsString(it) && !ip_addr_parse(it->valuestring, &a))
			add(ret, max, n, &a);
	}
	cJSON_Delete(o);
}

size_t resolvers_host(const char *root, struct ip_addr *ret, size_t max)
{
	static const char *const resolv[] = {
		"/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"
	};
	char path[512];
	size_t n = 0;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", root, resolv[i]);
		from_resolv(path, ret, max, &n);
	}
	snprintf(path, sizeof(path), "%s/etc/docker/daemon.json", root);
	from_docker(path, ret, max, &n);
	return n;
}
