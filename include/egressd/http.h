/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP/1.x request head: method and Host. Pure: no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "egressd/limits.h"

struct http_req {
	char method[16];
	bool has_host;
	char host[DOMAIN_TEXT_MAX + 1]; /* normalised, port stripped */
	bool host_is_ip; /* Host is an IP literal (kept in host, no brackets) */
	size_t head_len; /* bytes up to and including the blank line */
};

/* True if the stream can start an HTTP/1.x request (a known method
 * followed by a space, as far as the bytes present go). */
bool http_is_request(const char *p, size_t len);

/* Parses the request line and headers at the start of a stream.
 * Host comes from the Host header, else from an absolute-form target
 * ("GET http://name/ HTTP/1.1", "CONNECT name:443 HTTP/1.1").
 * Returns 0; -EAGAIN if the head is not complete yet; -EBADMSG if this is
 * not an HTTP/1.x request, the Host is invalid, or Host appears twice
 * (servers disagree on which one wins); -E2BIG if the head is longer than
 * HTTP_HEAD_MAX. */
int http_parse_request(const char *p, size_t len, struct http_req *ret);
