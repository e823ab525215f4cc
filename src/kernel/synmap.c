// SPDX-License-Identifier: GPL-2.0-or-later
#include "synmap.h"

#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egressd/flowtab.h"

#define TABLE "egressd"

struct synmap {
	struct mnl_socket *nl;
	uint32_t seq;
	unsigned long asked, missed;
	uint8_t buf[8192]; /* one answer: a few hundred bytes */
};

struct synmap *synmap_open(void)
{
	struct synmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!m->nl || mnl_socket_bind(m->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		synmap_close(m);
		return NULL;
	}
	m->seq = (uint32_t)time(NULL);
	return m;
}

void synmap_close(struct synmap *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	free(m);
}

/* The map's key (nft.c, chain syn_keep): client port . server port .
 * client address . server address; ports in network order, each padded
 * to 4 bytes. */
static size_t key_bytes(const struct flow_key *k, uint8_t *out)
{
	uint16_t cp = htons(k->cport), sp = htons(k->sport);
	size_t alen = k->client.family == AF_INET6 ? 16 : 4;

	memset(out, 0, 8);
	memcpy(out, &cp, 2);
	memcpy(out + 4, &sp, 2);
	memcpy(out + 8, k->client.b, alen);
	memcpy(out + 8 + alen, k->server.b, alen);
	return 8 + 2 * alen;
}

static void request(struct synmap *m, const struct flow_key *k)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf);
	struct nfgenmsg *nfg;
	struct nlattr *list, *elem, *key;
	uint8_t kb[40]; /* 8 + 2 x 16 */
	size_t klen = key_bytes(k, kb);

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = ++m->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
			  k->client.family == AF_INET ? "syn4" : "syn6");
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, klen, kb);
	mnl_attr_nest_end(nlh, key);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
}

/* Walks NEWSETELEM down to the element's data value. */
static int data_of(const struct nlmsghdr *nlh, uint32_t *isn)
{
	struct nlattr *a, *e, *d, *v;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a)
			mnl_attr_for_each_nested(d, e)
		{
			if (mnl_attr_get_type(d) != NFTA_SET_ELEM_DATA)
				continue;
			mnl_attr_for_each_nested(v, d)
				if (mnl_attr_get_type(v) == NFTA_DATA_VALUE &&
				    mnl_attr_get_payload_len(v) == 4) {
					uint32_t be;
					memcpy(&be, mnl_attr_get_payload(v), 4);
					*isn = ntohl(be);
					return 0;
				}
		}
	}
	return -ENOENT;
}

/* One datagram of answers: 0 (ours, *isn set), -ENOENT (ours: not
 * there), 1 (not ours: an older request's). */
static int answer(struct synmap *m, int n, uint32_t *isn)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_seq != m->seq)
			continue;
		if (nlh->nlmsg_type ==
		    ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM))
			return data_of(nlh, isn);
		return -ENOENT; /* NLMSG_ERROR: no such element */
	}
	return 1;
}

int synmap_get(void *ctx, const struct flow_key *k, uint32_t *isn)
{
	struct synmap *m = ctx;
	struct nlmsghdr *nlh;
	ssize_t n;
	int r = 1;

	if (k->proto != IPPROTO_TCP)
		return -ENOENT;
	m->asked++;
	request(m, k);
	nlh = (struct nlmsghdr *)m->buf;
	if (mnl_socket_sendto(m->nl, m->buf, nlh->nlmsg_len) < 0)
		return -EIO;
	/* The kernel answers within sendto: never wait for more. Older
	 * answers left behind are read past. */
	while (r == 1 && (n = recv(mnl_socket_get_fd(m->nl), m->buf,
				   sizeof(m->buf), MSG_DONTWAIT)) > 0)
		r = answer(m, (int)n, isn);
	if (r)
		m->missed++;
	return r ? -ENOENT : 0;
}

void synmap_stats(const struct synmap *m, unsigned long *asked,
		  unsigned long *missed)
{
	*asked = m ? m->asked : 0;
	*missed = m ? m->missed : 0;
}
