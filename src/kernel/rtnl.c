// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/rtnl.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

struct dump_ctx {
	struct rtnl_dump *d;
};

static void link_info_kind(const struct nlattr *info, struct rtnl_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, info)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			strncpy(l->kind, mnl_attr_get_str(a), sizeof(l->kind) - 1);
}

static int on_link(const struct nlmsghdr *nlh, struct rtnl_dump *d)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct rtnl_link *l;
	const struct nlattr *a;

	if (d->nlinks == RTNL_LINKS_MAX)
		return MNL_CB_OK;
	l = &d->links[d->nlinks++];
	memset(l, 0, sizeof(*l));
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->link_netnsid = RTNL_NSID_NONE;
	l->up = ifi->ifi_flags & IFF_UP;
	mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
				strncpy(l->name, mnl_attr_get_str(a),
					sizeof(l->name) - 1);
			break;
		case IFLA_LINK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l->link = mnl_attr_get_u32(a);
			break;
		case IFLA_LINK_NETNSID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l->link_netnsid = (int32_t)mnl_attr_get_u32(a);
			break;
		case IFLA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l->master = mnl_attr_get_u32(a);
			break;
		case IFLA_LINKINFO:
			link_info_kind(a, l);
			break;
		}
	}
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, struct rtnl_dump *d)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct rtnl_addr r = { .ifindex = ifa->ifa_index,
			       .plen = ifa->ifa_prefixlen,
			       .global = ifa->ifa_scope == RT_SCOPE_UNIVERSE };
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	bool have = false;

	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    d->naddrs == RTNL_ADDRS_MAX)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*ifa)) {
		int t = mnl_attr_get_type(a);
		/* IFA_LOCAL is the address on point-to-point links. */
		if ((t == IFA_ADDRESS && !have) || t == IFA_LOCAL) {
			if (mnl_attr_get_payload_len(a) != alen)
				continue;
			r.addr.family = ifa->ifa_family;
			memcpy(r.addr.b, mnl_attr_get_payload(a), alen);
			have = true;
		}
	}
	if (have)
		d->addrs[d->naddrs++] = r;
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;

	if (nlh->nlmsg_type == RTM_NEWLINK)
		return on_link(nlh, c->d);
	if (nlh->nlmsg_type == RTM_NEWADDR)
		return on_addr(nlh, c->d);
	return MNL_CB_OK;
}

static int dump(struct mnl_socket *nl, uint16_t type, struct dump_ctx *c)
{
	/* Dump messages are at most 32 KiB; read in place: aligned for
	 * nlmsghdr (a char array in TLS may sit at an odd address). */
	static _Thread_local char buf[32768] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL), portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int r;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, on_msg, c);
	} while (r > 0);
	return r < 0 ? -errno : 0;
}

/* A route netlink socket in the calling thread's network namespace (a
 * socket stays in the namespace it was opened in). */
static struct mnl_socket *rtnl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int e;

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

int rtnl_dump_all(struct rtnl_dump *d)
{
	struct mnl_socket *nl = rtnl_open();
	struct dump_ctx c = { d };
	int r;

	d->nlinks = d->naddrs = 0;
	if (!nl)
		return -errno;
	r = dump(nl, RTM_GETLINK, &c);
	if (!r)
		r = dump(nl, RTM_GETADDR, &c);
	mnl_socket_close(nl);
	return r;
}

struct nsid_ctx {
	int32_t id;
	bool got;
};

static int on_nsid(const struct nlmsghdr *nlh, void *data)
{
	struct nsid_ctx *c = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg)) {
		if (mnl_attr_get_type(a) == NETNSA_NSID &&
		    mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
			c->id = (int32_t)mnl_attr_get_u32(a);
			c->got = true;
		}
	}
	return MNL_CB_STOP;
}

static int nsid_ask(struct mnl_socket *nl, int nsfd, struct nsid_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	uint32_t seq = (uint32_t)time(NULL);
	ssize_t n;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)nsfd);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	/* An error comes as NLMSG_ERROR: mnl_cb_run sets errno from it. */
	if (mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl),
		       on_nsid, c) < 0)
		return -errno;
	return c->got ? 0 : -EPROTO;
}

/* RTM_GETNSID looks the id up (peernet2id) and never assigns one. The
 * ids a veth pairing needs exist already: the kernel assigns them when it
 * reports a veth whose peer is in another namespace (on creation, and in
 * each link dump). */
int rtnl_nsid_get(int nsfd, int32_t *ret)
{
	struct mnl_socket *nl = rtnl_open();
	struct nsid_ctx c = { RTNL_NSID_NONE, false };
	int r;

	*ret = RTNL_NSID_NONE;
	if (!nl)
		return -errno;
	r = nsid_ask(nl, nsfd, &c);
	mnl_socket_close(nl);
	if (!r)
		*ret = c.id < 0 ? RTNL_NSID_NONE : c.id;
	return r;
}

const struct rtnl_link *rtnl_link_by_index(const struct rtnl_dump *d,
					   uint32_t ifindex)
{
	for (size_t i = 0; i < d->nlinks; i++)
		if (d->links[i].ifindex == ifindex)
			return &d->links[i];
	return NULL;
}
