// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/ct.h"

#include <errno.h>
#include <netinet/in.h> /* before the libnetfilter headers: libc-compat */
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stdlib.h>
#include <string.h>

/* Connections deleted per list change at most: a bound on the work done
 * while the packet thread waits. */
#define CT_KILL_MAX 65536

struct walk {
	uint32_t mask, bits; /* which marks are judged (mask 0: all) */
	ct_judge_fn judge;
	void *ctx;
	struct nf_conntrack **doomed;
	size_t n;
};

static void addr_of(const struct nf_conntrack *ct, bool v4, int a4, int a6,
		    struct ip_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = v4 ? AF_INET : AF_INET6;
	memcpy(ret->b, nfct_get_attr(ct, v4 ? a4 : a6), v4 ? 4 : 16);
}

static int on_ct(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		 void *data)
{
	struct walk *w = data;
	struct ip_addr src, dst;
	uint16_t dport;
	bool v4;

	(void)type;
	if ((nfct_get_attr_u32(ct, ATTR_MARK) & w->mask) != w->bits ||
	    w->n == CT_KILL_MAX)
		return NFCT_CB_CONTINUE;
	v4 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == AF_INET;
	addr_of(ct, v4, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, &src);
	addr_of(ct, v4, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, &dst);
	dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	if (!w->judge(&src, &dst, dport, w->ctx))
		return NFCT_CB_CONTINUE;
	w->doomed[w->n++] = nfct_clone(ct);
	return NFCT_CB_CONTINUE;
}

/* Dumps the table and collects the judged connections into w->doomed. */
static int walk(struct nfct_handle *h, struct walk *w)
{
	uint32_t family = AF_UNSPEC;

	w->doomed = calloc(CT_KILL_MAX, sizeof(*w->doomed));
	if (!w->doomed)
		return -ENOMEM;
	nfct_callback_register(h, NFCT_T_ALL, on_ct, w);
	return nfct_query(h, NFCT_Q_DUMP, &family) < 0 ? -errno : 0;
}

int ct_kill_forbidden(uint32_t mask, uint32_t bits, uint32_t block_bits,
		      ct_judge_fn judge, void *ctx)
{
	struct walk w = { mask, bits, judge, ctx, NULL, 0 };
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	int r, killed = 0;

	if (!h)
		return -errno;
	r = walk(h, &w);
	/* Marked, not deleted: a deleted entry comes back on the next
	 * packet, possibly from the server's side and so not judged again;
	 * a marked one meets the ruleset's reset rule from both sides. */
	for (size_t i = 0; i < w.n; i++) {
		struct nf_conntrack *ct = w.doomed[i];
		if (!ct)
			continue;
		nfct_set_attr_u32(ct, ATTR_MARK,
				  (nfct_get_attr_u32(ct, ATTR_MARK) & ~mask) |
					  block_bits);
		if (nfct_query(h, NFCT_Q_UPDATE, ct) == 0)
			killed++;
		nfct_destroy(ct);
	}
	free(w.doomed);
	nfct_close(h);
	return r ? r : killed;
}

struct addr_set {
	const struct ip_addr *a;
	size_t n;
};

static int touches(const struct ip_addr *src, const struct ip_addr *dst,
		   uint16_t dport, void *ctx)
{
	const struct addr_set *s = ctx;

	(void)dport;
	for (size_t i = 0; i < s->n; i++)
		if (ip_addr_equal(src, &s->a[i]) || ip_addr_equal(dst, &s->a[i]))
			return 1;
	return 0;
}

int ct_delete_addrs(const struct ip_addr *addrs, size_t n)
{
	struct addr_set set = { addrs, n };
	struct walk w = { 0, 0, touches, &set, NULL, 0 };
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	int r, deleted = 0;

	if (!h)
		return -errno;
	r = walk(h, &w);
	for (size_t i = 0; i < w.n; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, w.doomed[i]) == 0)
			deleted++;
		nfct_destroy(w.doomed[i]);
	}
	free(w.doomed);
	nfct_close(h);
	return r ? r : deleted;
}
