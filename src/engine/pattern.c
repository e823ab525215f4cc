// SPDX-License-Identifier: GPL-2.0-or-later
/* List patterns: the check before storing one, coverage of a subject,
 * and the advice of a category (pattern.h). */
#include "egressd/pattern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "egressd/addr.h"
#include "egressd/domain.h"
#include "egressd/listfile.h"

/* Wider than this is never a typo-free intent: a whole continent of
 * addresses, or every name under a top-level domain. */
static bool too_wide_net(const struct ip_addr *a, unsigned plen)
{
	return plen < (a->family == AF_INET ? 8u : 16u);
}

int pattern_check(const char *p, bool force, char *norm, size_t len,
		  char *why, size_t wl)
{
	struct ip_addr a;
	unsigned plen;
	bool wild = !strncmp(p, "*.", 2);
	char tmp[DOMAIN_TEXT_MAX + 1];

	why[0] = 0;
	if (!wild && !ip_cidr_parse(p, &a, &plen)) {
		if (too_wide_net(&a, plen) && !force) {
			snprintf(why, wl, "covers too many addresses (wider "
				 "than /8 or, IPv6, /16): add it with --force");
			return -EPERM;
		}
		snprintf(norm, len, "%s", p);
		return 0;
	}
	/* The list parser's own check (an all-digit last label, "10.0.0",
	 * is no name): what is stored must load. */
	if (list_name_normalize(p + (wild ? 2 : 0), tmp) < 0) {
		snprintf(why, wl, "is not a domain, *.domain, address or network");
		return -EINVAL;
	}
	if (wild && !strchr(tmp, '.') && !force) {
		snprintf(why, wl, "covers a whole top-level domain: add it "
			 "with --force");
		return -EPERM;
	}
	snprintf(norm, len, "%s%s", wild ? "*." : "", tmp);
	return 0;
}

bool pattern_covers(const char *pattern, const char *subject)
{
	struct ip_addr net, a;
	unsigned plen;
	size_t pl, sl = strlen(subject);

	if (!strcmp(pattern, subject))
		return true;
	if (!ip_cidr_parse(pattern, &net, &plen) && !ip_addr_parse(subject, &a)) {
		if (a.family != net.family)
			return false;
		ip_addr_mask(&a, plen);
		return ip_addr_equal(&a, &net);
	}
	if (strncmp(pattern, "*.", 2))
		return false;
	pl = strlen(pattern + 1); /* ".domain" */
	return sl > pl && !strcmp(subject + sl - pl, pattern + 1);
}

void pattern_advice(const char *cat, const char **ret_risk,
		    const char **ret_remedy)
{
	static const struct {
		const char *cat, *risk, *remedy;
	} a[] = {
		{ "mining-pool",
		  "the container talked to a cryptocurrency mining pool: it is "
		  "probably running a miner an attacker installed",
		  "check the container for unknown processes and high CPU, "
		  "remove the miner and its start-up items and cron jobs, scan "
		  "the image, then replace the container from a clean image" },
		{ "c2",
		  "the container contacted a command-and-control server: it is "
		  "probably compromised and remotely controlled",
		  "isolate it, look for unknown processes, listening ports, "
		  "start-up items and cron jobs, scan the image for trojans and "
		  "vulnerabilities, harden the image and replace the container" },
		{ "malware-download",
		  "the container reached a host that serves malware: something "
		  "in it tried to fetch a payload",
		  "find the process that did it, check the files it wrote, scan "
		  "the image for vulnerabilities and trojans, replace the "
		  "container" },
		{ NULL, "the container talked to a destination on your blacklist",
		  "check why it did; if it is expected, whitelist it, else "
		  "check the container for unknown processes and replace it" },
	};
	size_t i = 0;

	while (a[i].cat && (!cat || strcmp(cat, a[i].cat)))
		i++;
	*ret_risk = a[i].risk;
	*ret_remedy = a[i].remedy;
}
