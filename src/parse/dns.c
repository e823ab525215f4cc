// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/dns.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Appends one wire label to the dotted text, escaping what is not LDH or
 * underscore and folding ASCII upper case. */
static void name_append_label(char *out, size_t *olen, const uint8_t *lab,
			      uint8_t n)
{
	if (*olen)
		out[(*olen)++] = '.';
	for (uint8_t i = 0; i < n; i++) {
		uint8_t ch = lab[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (uint8_t)(ch - 'A' + 'a');
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || ch == '_') {
			out[(*olen)++] = (char)ch;
		} else {
			snprintf(out + *olen, 5, "\\%03u", ch);
			*olen += 4;
		}
	}
}

/* Reads a possibly compressed name starting at c's position into out
 * (DNS_NAME_BUF bytes). c ends after the name's first occurrence.
 *
 *  label:   0b00LLLLLL + L bytes      end: 0x00
 *  pointer: 0b11PPPPPP PPPPPPPP (offset from the message start)
 *
 * A pointer must point strictly before itself, so every jump goes
 * backwards and the walk terminates; jumps are also capped. */
static int dns_read_name(struct cursor *c, char *out)
{
	struct cursor w = *c;
	size_t olen = 0, wire = 1, end = 0, bound = SIZE_MAX;
	unsigned jumps = 0;
	uint8_t len, lo;
	const uint8_t *lab;

	for (;;) {
		size_t at = w.pos;
		/* After a jump, every byte of the name lies before the
		 * pointer: a name told earlier, never one whose label runs
		 * on into later bytes (an answer's), which a rewrite that
		 * keeps only the question would change (fuzz_dns). */
		if (at >= bound)
			return -EBADMSG;
		if (cursor_u8(&w, &len))
			return -EMSGSIZE;
		if (len == 0)
			break;
		if ((len & 0xc0) == 0xc0) {
			if (cursor_u8(&w, &lo))
				return -EMSGSIZE;
			size_t target = (size_t)(len & 0x3f) << 8 | lo;
			/* Never into the header (its counts are no name, and
			 * an NXDOMAIN rewrite changes them: the question read
			 * again would be another name; found by fuzz_dns). */
			if (target < DNS_HEADER_LEN || target >= at ||
			    ++jumps > DNS_PTR_JUMPS_MAX)
				return -EBADMSG;
			if (!end)
				end = w.pos;
			bound = at;
			w.pos = target;
			continue;
		}
		if (len & 0xc0) /* 01 and 10: obsolete / reserved */
			return -EBADMSG;
		wire += len + 1u;
		if (wire > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (w.pos + len > bound)
			return -EBADMSG;
		if (cursor_bytes(&w, len, &lab))
			return -EMSGSIZE;
		name_append_label(out, &olen, lab, len);
	}
	if (!olen)
		out[olen++] = '.';
	out[olen] = 0;
	c->pos = end ? end : w.pos;
	return 0;
}

/* Interns a name so equal names share one index. */
static int name_intern(struct dns_msg *m, const char *name, uint16_t *ret)
{
	for (unsigned i = 0; i < m->n_names; i++)
		if (!strcmp(m->names[i], name)) {
			*ret = (uint16_t)i;
			return 0;
		}
	if (m->n_names == DNS_NAMES_MAX)
		return -ENOSPC;
	strcpy(m->names[m->n_names], name);
	*ret = (uint16_t)m->n_names++;
	return 0;
}

static int read_name_interned(struct dns_msg *m, struct cursor *c,
			      uint16_t *ret)
{
	char buf[DNS_NAME_BUF];
	int r = dns_read_name(c, buf);

	return r ? r : name_intern(m, buf, ret);
}

/* Keeps an answer record if it is IN A / AAAA / CNAME. rdata is checked
 * against its type even when the record is not kept. */
static int keep_rr(struct dns_msg *m, struct cursor *c, uint16_t owner,
		   uint16_t type, uint32_t ttl, struct cursor *rd)
{
	struct dns_rr rr = { .type = type, .owner = owner, .ttl = ttl };
	size_t alen = type == DNS_TYPE_A ? 4 : 16;
	const uint8_t *p;
	int r;

	if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA) {
		if (cursor_left(rd) != alen)
			return -EBADMSG;
		(void)cursor_bytes(rd, alen, &p);
		rr.addr.family = type == DNS_TYPE_A ? AF_INET : AF_INET6;
		memset(rr.addr.b, 0, sizeof(rr.addr.b));
		memcpy(rr.addr.b, p, alen);
	} else {
		/* The target may point anywhere earlier in the message but must
		 * itself end exactly at the end of rdata. */
		struct cursor t = *c;
		t.pos = (size_t)(rd->base - c->base);
		r = read_name_interned(m, &t, &rr.target);
		if (r == -ENOSPC)
			goto drop;
		if (r)
			return r;
		if (t.pos != (size_t)(rd->base - c->base) + rd->len)
			return -EBADMSG;
	}
	if (m->n_rr == DNS_RR_MAX)
		goto drop;
	m->rr[m->n_rr++] = rr;
	return 0;
drop:
	m->dropped++;
	return 0;
}

/*  RR: NAME | TYPE u16 | CLASS u16 | TTL u32 | RDLENGTH u16 | RDATA */
static int parse_rr(struct dns_msg *m, struct cursor *c, bool answer)
{
	char name[DNS_NAME_BUF];
	uint16_t type, klass, owner;
	uint32_t ttl;
	struct cursor rd;
	int r;

	r = dns_read_name(c, name);
	if (r)
		return r;
	if (cursor_u16(c, &type) || cursor_u16(c, &klass) ||
	    cursor_u32(c, &ttl) || cursor_sub16(c, &rd))
		return -EMSGSIZE;
	/* RFC 2181 8: a TTL with the top bit set is read as zero. */
	if (ttl & 0x80000000u)
		ttl = 0;
	if (!answer || klass != DNS_CLASS_IN ||
	    (type != DNS_TYPE_A && type != DNS_TYPE_AAAA &&
	     type != DNS_TYPE_CNAME))
		return 0;
	if (name_intern(m, name, &owner)) {
		m->dropped++;
		return 0;
	}
	return keep_rr(m, c, owner, type, ttl, &rd);
}

/*  Header: ID | QR OPCODE AA TC RD RA Z AD CD RCODE | QD | AN | NS | AR */
static int parse_header(struct dns_msg *m, struct cursor *c, uint16_t *qd)
{
	uint16_t flags;

	if (cursor_u16(c, &m->id) || cursor_u16(c, &flags) ||
	    cursor_u16(c, qd) || cursor_u16(c, &m->ancount) ||
	    cursor_u16(c, &m->nscount) || cursor_u16(c, &m->arcount))
		return -EMSGSIZE;
	m->qr = flags >> 15;
	m->opcode = (flags >> 11) & 0xf;
	m->tc = (flags >> 9) & 1;
	m->rcode = flags & 0xf;
	/* Resolvers answer qdcount > 1 with FORMERR; a second question could
	 * only serve to hide a name from us. */
	if (*qd > 1)
		return -EBADMSG;
	return 0;
}

static int parse_question(struct dns_msg *m, struct cursor *c)
{
	int r = read_name_interned(m, c, &m->qname);

	if (r)
		return r == -ENOSPC ? -EBADMSG : r;
	if (cursor_u16(c, &m->qtype) || cursor_u16(c, &m->qclass))
		return -EMSGSIZE;
	m->question_end = c->pos;
	m->has_question = true;
	return 0;
}

int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m)
{
	struct cursor c;
	uint16_t qd;
	unsigned total;
	int r;

	m->n_rr = m->n_names = m->dropped = 0;
	m->has_question = false;
	cursor_init(&c, buf, len);
	r = parse_header(m, &c, &qd);
	if (r)
		return r;
	if (qd && (r = parse_question(m, &c)))
		return r;
	total = (unsigned)m->ancount + m->nscount + m->arcount;
	/* The smallest record is 11 bytes (root name, fixed fields). */
	if ((size_t)total * 11 > cursor_left(&c))
		return -EMSGSIZE;
	if (total > DNS_RR_WALK_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < total; i++) {
		r = parse_rr(m, &c, i < m->ancount);
		if (r)
			return r;
	}
	return 0;
}

static bool chain_has(const struct dns_chain *ch, uint16_t name)
{
	for (unsigned i = 0; i < ch->n_names; i++)
		if (ch->names[i] == name)
			return true;
	return false;
}

static void chain_ttl(struct dns_chain *ch, uint32_t ttl, bool *first)
{
	if (*first || ttl < ch->ttl)
		ch->ttl = ttl;
	*first = false;
}

/* Follows CNAMEs from the question name; a loop or a chain longer than
 * DNS_CHAIN_MAX stops the walk. */
static void chain_follow(const struct dns_msg *m, struct dns_chain *ch,
			 bool *first)
{
	uint16_t cur = m->qname;
	bool moved = true;

	ch->names[ch->n_names++] = cur;
	while (moved && ch->n_names < DNS_CHAIN_MAX) {
		moved = false;
		for (unsigned i = 0; i < m->n_rr; i++) {
			const struct dns_rr *rr = &m->rr[i];
			if (rr->type != DNS_TYPE_CNAME || rr->owner != cur ||
			    chain_has(ch, rr->target))
				continue;
			chain_ttl(ch, rr->ttl, first);
			cur = rr->target;
			ch->names[ch->n_names++] = cur;
			moved = true;
			break;
		}
	}
	/* The walk stopped at its bound with a CNAME still to follow: the
	 * names beyond were not read (a long chain can hide the last one). */
	for (unsigned i = 0; moved && i < m->n_rr; i++)
		if (m->rr[i].type == DNS_TYPE_CNAME && m->rr[i].owner == cur &&
		    !chain_has(ch, m->rr[i].target))
			ch->truncated = true;
}

int dns_chain_build(const struct dns_msg *m, struct dns_chain *ch)
{
	bool first = true;

	if (!m->has_question)
		return -ENOENT;
	ch->n_names = ch->n_addrs = 0;
	ch->ttl = 0;
	ch->truncated = m->dropped > 0;
	chain_follow(m, ch, &first);
	for (unsigned i = 0; i < m->n_rr; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->type == DNS_TYPE_CNAME || !chain_has(ch, rr->owner))
			continue;
		ch->addrs[ch->n_addrs].addr = rr->addr;
		ch->addrs[ch->n_addrs].ttl = rr->ttl;
		ch->addrs[ch->n_addrs].owner = rr->owner;
		ch->n_addrs++;
		chain_ttl(ch, rr->ttl, &first);
	}
	return 0;
}

int dns_tcp_next(struct cursor *s, struct cursor *ret)
{
	size_t save = s->pos;
	uint16_t n;

	if (!cursor_left(s))
		return 0;
	if (cursor_u16(s, &n))
		goto again;
	if (!n)
		return -EBADMSG;
	if (cursor_sub(s, n, ret))
		goto again;
	return 1;
again:
	s->pos = save;
	return -EAGAIN;
}

const char *dns_type_name(uint16_t type, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = { { 1, "A" },	{ 2, "NS" },	 { 5, "CNAME" },
		      { 6, "SOA" },	{ 12, "PTR" },	 { 15, "MX" },
		      { 16, "TXT" },	{ 28, "AAAA" },	 { 33, "SRV" },
		      { 64, "SVCB" },	{ 65, "HTTPS" }, { 255, "ANY" } };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", type);
	return buf;
}
