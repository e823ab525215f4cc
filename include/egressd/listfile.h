/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Threat-intel list formats: plain domains, DNSCrypt wildcard lists, hosts
 * files, AdBlock DNS rules, RPZ zones and IP/CIDR lists (netset, Spamhaus
 * DROP text and JSON lines). Pure: the caller reads the file and owns the
 * sets.
 *
 * Every format may hold addresses and networks: "203.0.113.7" in a domains
 * list, "0.0.0.0 203.0.113.7" in a hosts file, "||203.0.113.7^" in an
 * AdBlock list and an RPZ owner "203.0.113.7" all become LIST_NETWORK
 * entries, never names.
 *
 * What a name covers is the format's own meaning:
 *   domains   "x" x only; "*.x" every subdomain of x, not x
 *   wildcard  DNSCrypt / HaGeZi wildcard: "x" and "*.x" both mean x and
 *             every subdomain; "=x" x only; other globs ("ads.*") skipped
 *   hosts     "0.0.0.0 x y" x and y only (localhost header lines skipped)
 *   adblock   "||x^" x and every subdomain; "||*.x^" and ".x^" every
 *             subdomain, not x; a bare "x" x only (AdGuard Home's reading)
 *   rpz       "x CNAME ." x only; "*.x CNAME ." every subdomain, not x
 *
 * Format detection (LIST_FMT_AUTO) reads the header and the first rule
 * line: "!" comments and "[Adblock" headers are AdBlock's; a header
 * naming a wildcard syntax (HaGeZi: "# Syntax: Domains Wildcard") makes a
 * list of bare names a wildcard list; one bare field a line is a cidr
 * list if every field in the file is an address, else a domains list.
 *
 * Two modes. Strict (the operator's own lists): the first invalid line
 * stops the parse with its line number, and the caller drops everything
 * the callback received (all or nothing). Lenient (LIST_LENIENT:
 * third-party feeds): an invalid line is skipped whole (nothing of it
 * reaches the callback), counted, and the first LIST_INVALID_KEPT are kept
 * with their numbers; the file is refused when more than
 * LIST_INVALID_PERCENT_MAX of its rules are invalid, or when nothing in it
 * reached the callback. A binary file (a NUL byte) or an unclosed zone is
 * refused in both modes; so is, strict too, a list that held rules none
 * of which reached the callback ("no entries in N lines (3 with a path,
 * ...)": an AdBlock list of URL rules must not load as an empty success).
 * An empty or comment-only list loads in strict mode (the store's own
 * lists may be empty). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/addr.h"
#include "egressd/match.h"

enum list_format {
	LIST_FMT_AUTO = 0,
	LIST_FMT_DOMAINS, /* "evil.test", "*.evil.test" (subdomains only) */
	LIST_FMT_HOSTS, /* "0.0.0.0 evil.test" : exact names */
	LIST_FMT_ADBLOCK, /* "||evil.test^" : name and subdomains */
	LIST_FMT_RPZ, /* "evil.test CNAME ." , "*.evil.test CNAME ." */
	LIST_FMT_CIDR, /* "192.0.2.0/24 ; SBL1", bare IPs, DROP JSON lines */
	LIST_FMT_WILDCARD, /* "*.evil.test", "evil.test": name and subdomains */
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
	/* A third-party feed: skip and count invalid lines instead of
	 * refusing the file at the first (see the top of this file). */
	LIST_LENIENT = 1 << 2,
};

/* Invalid lines of a lenient parse kept with their numbers and messages
 * for the report: enough to show what kind of damage a feed has, short
 * enough for one reply line each. */
#define LIST_INVALID_KEPT 5

/* A lenient parse refuses the file when more than this share of its rule
 * lines are invalid. Real feeds have a handful of typos among thousands of
 * lines (CoinBlocker: 1 in 14,000); a tenth of the lines not parsing means
 * the file is not in the format it is read as (wrong --format, a hosts file
 * read as domains, an HTML error page, another syntax), and loading the
 * rest would be guessing. */
#define LIST_INVALID_PERCENT_MAX 10

struct list_error {
	unsigned line; /* 0 when not about one line */
	char msg[200];
};

struct list_stats {
	enum list_format format; /* the one used (detected if AUTO) */
	unsigned lines;
	/* Lines that held a rule: loaded, skipped, stripped, ignored,
	 * cancelled or invalid (not blank lines, comments, headers, zone
	 * SOA/NS records). */
	unsigned rules;
	unsigned entries; /* passed to the callback */
	unsigned domains, networks; /* entries by type */
	unsigned skipped; /* valid rules egressd does not apply: the two
			     below, RPZ NS triggers, hosts-file localhost
			     lines, cosmetic and regex AdBlock rules,
			     DNSCrypt globs, $badfilter rules themselves */
	unsigned paths; /* of skipped: AdBlock rules with a path
			   ("||host/path^"): a name cannot enforce them */
	unsigned modifiers; /* of skipped: AdBlock rules narrowed by $options
			       that only a browser can see ($third-party,
			       $script, $domain=...) */
	unsigned cancelled; /* AdBlock rules cancelled by a $badfilter rule */
	unsigned stripped; /* networks refused by LIST_STRIP_BOGONS */
	unsigned allows_ignored; /* allow rules refused by LIST_NO_ALLOW */
	unsigned invalid; /* LIST_LENIENT: invalid lines skipped */
	/* The first min(invalid, LIST_INVALID_KEPT), in line order. */
	struct list_error first_invalid[LIST_INVALID_KEPT];
};

/* Parses a whole list. Returns 0, -EINVAL with *err filled (a line error:
 * err->line is its line; a refused file: err->line is 0, or the first
 * invalid line when too many were invalid), -ENOMEM, or the callback's
 * error. *stats is filled in every case. */
int list_parse(const char *buf, size_t len, enum list_format fmt,
	       unsigned flags, list_entry_fn fn, void *ctx,
	       struct list_stats *stats, struct list_error *err);

/* Reads "# egressd-<key>: value" from the comment lines at the top of a
 * list (e.g. key "category"). Returns true and fills out if present. */
bool list_header_value(const char *buf, size_t len, const char *key,
		       char *out, size_t outlen);

/* A host name as lists write it: domain_normalize, and the last label not
 * all digits (no top-level domain is), so "10.0.0" or "1.2.3.4.5" is a
 * broken address, not a name. out holds DOMAIN_TEXT_MAX + 1 bytes.
 * Returns 0 or -EINVAL. */
int list_name_normalize(const char *in, char *out);

const char *list_format_name(enum list_format f);
/* Returns 0 or -EINVAL. */
int list_format_parse(const char *s, enum list_format *ret);
