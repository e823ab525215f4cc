/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP/1.x request head: the method and every name the request gives for
 * its server. Pure: no I/O.
 *
 * A flow is judged by the names its request claims, and a front server
 * (a CDN, a reverse proxy, a virtual host) routes by one of them: which one
 * depends on the server. nginx and Apache take the absolute-form target's
 * host over the Host header (RFC 9112 3.2.2), h2o takes the last of two
 * Host headers, nginx refuses two, Apache joins them. So the parser reports
 * every name, and the caller judges each: a black name among them decides,
 * whatever the others are.
 *
 * What is read as a request (the union of what nginx, Apache httpd and
 * h2o/picohttpparser accept, read in their sources: nginx master of
 * 2026-08, httpd trunk of 2024-10, h2o and picohttpparser master of 2026;
 * so that no server reads a name this parser does not):
 * - CR and LF bytes before the request line are skipped (nginx skips any
 *   number, Apache up to 10 blank lines, h2o one).
 * - Request line: method, target and version separated by any run of SP,
 *   HTAB, VT, FF or bare CR (nginx and h2o take runs of SP, Apache in
 *   "Unsafe" mode too; RFC 9112 3 allows any whitespace). Whitespace after
 *   the version is ignored (nginx). The method is any RFC 9110 token (nginx
 *   takes unknown upper-case methods and passes them on; h2o and Apache any
 *   token). The version is "HTTP/1." and digits, in any case. A line of
 *   method and target only is HTTP/0.9 (no headers follow): nginx and
 *   Apache take it for GET, Apache in Unsafe mode for any method; read for
 *   GET, and for any method with an absolute-form target (a line such as
 *   "EHLO name" stays another protocol's).
 * - Target: origin-form ("/x") and asterisk-form ("*") name nothing;
 *   absolute-form ("scheme://[userinfo@]host[:port]/...", any scheme, as
 *   nginx takes any) names its host; anything else is read as
 *   authority-form ("host:port", CONNECT) and names its host.
 * - Header lines end in LF, a CR before it dropped. A line without a colon
 *   is skipped (nginx keeps it as a header without value, others refuse
 *   the request). A field name is matched without case; SP or HTAB before
 *   the colon is tolerated for Host ("Host : x": all three refuse it, an
 *   older server might not). The value is trimmed of SP and HTAB.
 * - Folding (obs-fold, a line starting with SP or HTAB): nginx and h2o
 *   refuse it, Apache (both modes) appends the line to the previous field
 *   with one SP. So a folded Host is read as Apache reads it: its lines
 *   joined ("Host:" CRLF " evil.test" is evil.test). A joined value that is
 *   more than one word names no server and is refused (-EBADMSG).
 *   Continuation lines before the first field are skipped (RFC 9112 2.2).
 * - Host headers: each names a server; an empty one names none; at most
 *   HTTP_HOST_HEADERS_MAX of them. A value is "name[:port]", "v4[:port]"
 *   or "[v6][:port]"; a name is normalised (lower case, trailing dot
 *   dropped, as nginx and Apache do). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/limits.h"

/* Where a request gives a name (bits of http_claim.from). */
enum {
	HTTP_FROM_HOST = 1u << 0, /* a Host header */
	HTTP_FROM_TARGET = 1u << 1, /* the request target's authority */
};

/* A name the request gives for its server. */
struct http_claim {
	char name[DOMAIN_TEXT_MAX + 1]; /* normalised, port stripped */
	bool is_ip; /* an IP literal (kept without brackets) */
	unsigned from; /* HTTP_FROM_* bits: where the request gives it */
};

struct http_req {
	char method[HTTP_METHOD_MAX + 1]; /* as sent, cut at HTTP_METHOD_MAX */
	/* The first claim, for callers that take one name: the first Host
	 * header's, else the target's. Same as claim[0]. */
	bool has_host;
	char host[DOMAIN_TEXT_MAX + 1];
	bool host_is_ip;
	/* Every distinct name claimed: the Host headers' in order, then the
	 * target's. A name given twice is one claim with both from bits. */
	unsigned nclaim;
	struct http_claim claim[HTTP_CLAIMS_MAX];
	unsigned nhost; /* Host header fields seen, empty ones included */
	bool has_uri_host; /* the target names a server (absolute or
			    * authority form) */
	bool http09; /* method and target without a version: no headers */
	/* bytes up to and including the blank line (the request line for
	 * HTTP/0.9), leading CR/LF included: the next request starts there */
	size_t head_len;
};

/* True if the stream can start an HTTP/1.x request, as far as the bytes
 * present go: CR/LF, then a known method followed by whitespace, or any
 * token whose request line is (so far) method, whitespace, target,
 * whitespace, "HTTP/1.x". False means not HTTP whatever follows; true for
 * an empty stream. Other protocols' first lines ("EHLO x", "SSH-2.0-...")
 * are false once their line is complete. */
bool http_is_request(const char *p, size_t len);

/* Parses the request line and headers at the start of a stream.
 * Returns 0 with every claim in *ret; -EAGAIN if the head is not complete
 * yet; -EBADMSG if the request line is not HTTP/1.x (nor HTTP/0.9), a
 * Host value is not a name or an address, or there are more than
 * HTTP_HOST_HEADERS_MAX Host headers; -E2BIG if the head goes past
 * HTTP_HEAD_MAX bytes (names after that are not read: the caller must
 * treat -EBADMSG and -E2BIG as "names unreadable"). A result other than
 * -EAGAIN is final: more bytes do not change it. *ret is written only on
 * success. */
int http_parse_request(const char *p, size_t len, struct http_req *ret);
