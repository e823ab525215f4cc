// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/domain.h"

#include <errno.h>
#include <string.h>

static bool ldh(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_';
}

int domain_normalize(const char *in, size_t len, char *out)
{
	size_t lab = 0;

	if (len && in[len - 1] == '.')
		len--;
	if (!len || len > DOMAIN_TEXT_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '.') {
			if (!lab)
				return -EINVAL; /* empty label */
			lab = 0;
		} else if (!ldh(ch) || ++lab > DNS_LABEL_MAX) {
			return -EINVAL;
		}
		out[i] = ch;
	}
	if (!lab)
		return -EINVAL;
	out[len] = 0;
	return (int)len;
}

bool domain_is_valid(const char *name)
{
	char buf[DOMAIN_TEXT_MAX + 1];
	size_t n = strlen(name);
	int r;

	if (!n || name[n - 1] == '.')
		return false;
	r = domain_normalize(name, n, buf);
	return r >= 0 && !strcmp(buf, name);
}

unsigned domain_labels(const char *name)
{
	unsigned n = 0;

	if (!*name || !strcmp(name, "."))
		return 0;
	for (n = 1; *name; name++)
		n += *name == '.';
	return n;
}
