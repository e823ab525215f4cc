// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/ct.h"

#include <errno.h>
#include <netinet/in.h> /* before the libnetfilter headers: libc-compat */
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <stdlib.h>
#include <string.h>

/* Connections collected per dump at most: a bound on memory and on the
 * packet thread's judging work. */
#define CT_COLLECT_MAX 65536

struct collect {
	uint32_t mask, bits;
	struct ct_list *l;
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
	struct collect *w = data;
	struct ct_conn *c;
	bool v4;

	(void)type;
	if ((nfct_get_attr_u32(ct, ATTR_MARK) & w->mask) != w->bits ||
	    w->l->n == CT_COLLECT_MAX)
		return NFCT_CB_CONTINUE;
	c = &w->l->v[w->l->n];
	v4 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == AF_INET;
	addr_of(ct, v4, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC, &c->src);
	addr_of(ct, v4, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST, &c->dst);
	c->dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	c->ct = nfct_clone(ct);
	if (c->ct)
		w->l->n++;
	return NFCT_CB_CONTINUE;
}

int ct_collect(uint32_t mask, uint32_t bits, struct ct_list **ret)
{
	struct ct_list *l = calloc(1, sizeof(*l));
	struct collect w = { mask, bits, l };
	struct nfct_handle *h = NULL;
	uint32_t family = AF_UNSPEC;
	int r = 0;

	if (!l || !(l->v = calloc(CT_COLLECT_MAX, sizeof(*l->v)))) {
		r = -ENOMEM;
		goto fail;
	}
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		r = -errno;
		goto fail;
	}
	nfct_callback_register(h, NFCT_T_ALL, on_ct, &w);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		r = -errno;
	nfct_close(h);
	if (r)
		goto fail;
	*ret = l;
	return 0;
fail:
	ct_list_free(l);
	return r;
}

void ct_list_free(struct ct_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		nfct_destroy(l->v[i].ct);
	free(l->v);
	free(l);
}

/* Marked, not deleted: a deleted entry comes back on the next packet,
 * possibly from the server's side and so not judged again; a marked one
 * meets the ruleset's reset rule from both sides. */
int ct_mark(const struct ct_conn *c, uint32_t mask, uint32_t block_bits)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct nf_conntrack *ct = c->ct;
	int r = 0;

	if (!h)
		return -errno;
	nfct_set_attr_u32(ct, ATTR_MARK,
			  (nfct_get_attr_u32(ct, ATTR_MARK) & ~mask) | block_bits);
	if (nfct_query(h, NFCT_Q_UPDATE, ct) < 0)
		r = -errno;
	nfct_close(h);
	return r;
}

static bool touches(const struct ct_conn *c, const struct ip_addr *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ip_addr_equal(&c->src, &a[i]) || ip_addr_equal(&c->dst, &a[i]))
			return true;
	return false;
}

int ct_delete_addrs(const struct ip_addr *addrs, size_t n)
{
	struct ct_list *l;
	struct nfct_handle *h;
	int r = ct_collect(0, 0, &l), deleted = 0;

	if (r)
		return r;
	h = nfct_open(CONNTRACK, 0);
	if (!h) {
		r = -errno;
		ct_list_free(l);
		return r;
	}
	for (size_t i = 0; i < l->n; i++)
		if (touches(&l->v[i], addrs, n) &&
		    nfct_query(h, NFCT_Q_DESTROY, l->v[i].ct) == 0)
			deleted++;
	nfct_close(h);
	ct_list_free(l);
	return deleted;
}
