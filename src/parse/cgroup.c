// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/cgroup.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool is_hex_id(const char *p, size_t n)
{
	if (n != CGROUP_CID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	return true;
}

/* The id a path component [p, p+n) names, or NULL: "<id>", "x-<id>",
 * "x-<id>.scope". */
static const char *component_id(const char *p, size_t n)
{
	const char *dash;

	if (n > 6 && !memcmp(p + n - 6, ".scope", 6))
		n -= 6;
	if (is_hex_id(p, n))
		return p;
	dash = NULL;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '-')
			dash = p + i;
	if (dash && is_hex_id(dash + 1, (size_t)(p + n - dash - 1)))
		return dash + 1;
	return NULL;
}

/* The innermost id in the path [p, end). */
static const char *path_id(const char *p, const char *end)
{
	const char *hit = NULL;

	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = slash ? slash : end;
		const char *id = component_id(p, (size_t)(stop - p));
		if (id)
			hit = id;
		p = stop + 1;
	}
	return hit;
}

/* The line's path (after the second ':'), or NULL. */
static const char *line_path(const char *line, const char *end)
{
	const char *c1 = memchr(line, ':', (size_t)(end - line));
	const char *c2 =
	    c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

	return c2 ? c2 + 1 : NULL;
}

int cgroup_container_id(const char *text, size_t len, char *ret)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		const char *path = line_path(p, stop);
		const char *id = path ? path_id(path, stop) : NULL;
		if (id) {
			memcpy(ret, id, CGROUP_CID_LEN);
			ret[CGROUP_CID_LEN] = 0;
			return 0;
		}
		p = stop + 1;
	}
	return -ENOENT;
}

int cgroup_v2_path(const char *text, size_t len, char *ret, size_t retlen)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		size_t n;
		if (stop - p >= 3 && !memcmp(p, "0::", 3)) {
			n = (size_t)(stop - p - 3);
			if (n >= retlen)
				return -ENAMETOOLONG;
			memcpy(ret, p + 3, n);
			ret[n] = 0;
			return 0;
		}
		p = stop + 1;
	}
	return -ENOENT;
}
