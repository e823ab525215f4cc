/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Threat-intel list formats: plain domains, hosts files, AdBlock DNS rules,
 * RPZ zones and IP/CIDR lists (netset, Spamhaus DROP text and JSON lines).
 * Pure: the caller reads the file and owns the sets. Every line is checked;
 * the first invalid one stops the parse with its line number, and the
 * caller drops everything the callback received (all or nothing). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/addr.h"
#include "egressd/match.h"

enum list_format {
	LIST_FMT_AUTO = 0,
	LIST_FMT_DOMAINS, /* "evil.test", "*.evil.test" */
	LIST_FMT_HOSTS, /* "0.0.0.0 evil.test" : exact names */
	LIST_FMT_ADBLOCK, /* "||evil.test^" : name and subdomains */
	LIST_FMT_RPZ, /* "evil.test CNAME ." , "*.evil.test CNAME ." */
	LIST_FMT_CIDR, /* "192.0.2.0/24 ; SBL1", bare IPs, DROP JSON lines */
};

enum list_entry_type { LIST_DOMAIN, LIST_NETWORK };

struct list_entry {
	enum list_entry_type type;
	enum match_kind kind; /* LIST_DOMAIN */
	bool allow; /* an exception: "@@||x^", RPZ "rpz-passthru." */
	const char *name; /* LIST_DOMAIN: normalised */
	struct ip_addr net; /* LIST_NETWORK */
	unsigned plen;
	unsigned line;
};

/* Returns 0 to go on, a negative errno to stop the parse. */
typedef int (*list_entry_fn)(const struct list_entry *e, void *ctx);

enum {
	/* Refuse networks overlapping private, CGNAT, loopback, link-local,
	 * multicast and reserved space: feeds such as firehol_level1 list
	 * 10.0.0.0/8, which would cut containers off their own network. */
	LIST_STRIP_BOGONS = 1 << 0,
	/* A blacklist: its allow rules ("@@||x^", "rpz-passthru.") are not
	 * passed on but counted in allows_ignored. A feed must never be
	 * able to whitelist what the operator blacklisted unless it was
	 * taken in as a whitelist. */
	LIST_NO_ALLOW = 1 << 1,
};

struct list_stats {
	enum list_format format; /* the one used (detected if AUTO) */
	unsigned lines;
	unsigned entries; /* passed to the callback */
	unsigned skipped; /* valid rules egressd does not apply (AdBlock
			     rules with $modifiers or paths, RPZ NS triggers,
			     hosts-file localhost lines) */
	unsigned stripped; /* networks refused by LIST_STRIP_BOGONS */
	unsigned allows_ignored; /* allow rules refused by LIST_NO_ALLOW */
};

struct list_error {
	unsigned line; /* 0 when not about one line */
	char msg[200];
};

/* Parses a whole list. Returns 0, -EINVAL with *err filled, or the
 * callback's error. */
int list_parse(const char *buf, size_t len, enum list_format fmt,
	       unsigned flags, list_entry_fn fn, void *ctx,
	       struct list_stats *stats, struct list_error *err);

/* Reads "# egressd-<key>: value" from the comment lines at the top of a
 * list (e.g. key "category"). Returns true and fills out if present. */
bool list_header_value(const char *buf, size_t len, const char *key,
		       char *out, size_t outlen);

const char *list_format_name(enum list_format f);
/* Returns 0 or -EINVAL. */
int list_format_parse(const char *s, enum list_format *ret);
