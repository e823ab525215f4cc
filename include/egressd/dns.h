/* SPDX-License-Identifier: GPL-2.0-or-later */
/* DNS messages (RFC 1035): header, question, and the A / AAAA / CNAME
 * records of the answer section with their TTLs. Pure: no I/O.
 *
 * Names are returned as lower-case dotted text without the trailing dot
 * ("." for the root); a byte outside [a-z0-9_-] inside a label is written
 * as \DDD, so a hostile name can never pose as a different dotted name. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/cursor.h"
#include "egressd/limits.h"

enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_AAAA = 28,
	DNS_CLASS_IN = 1,
};

struct dns_rr {
	uint16_t type; /* A, AAAA or CNAME */
	uint16_t owner; /* index into dns_msg.names */
	uint32_t ttl;
	union {
		struct ip_addr addr; /* A, AAAA */
		uint16_t target; /* CNAME: index into dns_msg.names */
	};
};

struct dns_msg {
	uint16_t id;
	bool qr; /* a response */
	bool tc; /* truncated: the client will retry over TCP */
	uint8_t opcode;
	uint8_t rcode;
	uint16_t ancount, nscount, arcount;
	bool has_question;
	uint16_t qname; /* index into names, valid if has_question */
	uint16_t qtype, qclass;
	size_t question_end; /* offset after the question, valid if has_question */
	unsigned n_rr;
	struct dns_rr rr[DNS_RR_MAX];
	unsigned dropped; /* answer records not kept: over the limits */
	unsigned n_names;
	char names[DNS_NAMES_MAX][DNS_NAME_BUF];
};

/* Parses one DNS message. Returns 0, -EMSGSIZE (truncated) or -EBADMSG
 * (malformed: bad label type, forward or looping compression pointer,
 * name or label too long, qdcount > 1, record data not matching its type,
 * counts exceeding the bytes present). */
int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *ret);

static inline const char *dns_name(const struct dns_msg *m, uint16_t idx)
{
	return m->names[idx];
}

/* The question name's CNAME chain and the addresses reached through it.
 * Records of names not on the chain are ignored: an answer cannot make
 * egressd map an address to a name the client did not ask about. */
struct dns_chain {
	unsigned n_names;
	uint16_t names[DNS_CHAIN_MAX]; /* names[0] is the question name */
	unsigned n_addrs;
	struct {
		struct ip_addr addr;
		uint32_t ttl;
		uint16_t owner; /* name index of the A/AAAA record */
	} addrs[DNS_RR_MAX];
	uint32_t ttl; /* smallest TTL on the path; 0 if no record */
	/* Not all of the answer was read: the chain goes on beyond
	 * DNS_CHAIN_MAX, or records were dropped (over DNS_RR_MAX). */
	bool truncated;
};

/* Returns 0, or -ENOENT when the message has no question. */
int dns_chain_build(const struct dns_msg *m, struct dns_chain *ret);

/* DNS over TCP (RFC 7766): each message has a 2-byte length prefix and a
 * segment may carry several. Returns 1 and a cursor over the next message,
 * 0 when no bytes are left, -EAGAIN when the rest is an incomplete message
 * (the cursor is then left at its start), -EBADMSG for a zero length. */
int dns_tcp_next(struct cursor *stream, struct cursor *ret_msg);

/* "A", "AAAA", "HTTPS"... or the decimal number. buf >= 8 bytes. */
const char *dns_type_name(uint16_t type, char *buf, size_t len);
