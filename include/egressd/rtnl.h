/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interfaces and addresses of the network namespace a socket was opened
 * in (rtnetlink dumps over libmnl). The one file that reads rtnetlink. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

struct rtnl_link {
	uint32_t ifindex;
	char name[16];
	char kind[16]; /* "veth", "bridge"... or "" */
	uint32_t link; /* IFLA_LINK: a veth's peer ifindex (in its netns) */
	/* IFLA_LINK_NETNSID: the nsid this namespace has for the peer's, or
	 * RTNL_NSID_NONE when the peer is in this namespace. */
	int32_t link_netnsid;
	uint32_t master; /* bridge the interface is a port of, or 0 */
	bool up;
};

struct rtnl_addr {
	uint32_t ifindex;
	struct ip_addr addr;
	uint8_t plen;
	bool global; /* scope universe: not link-local, not host */
};

#define RTNL_LINKS_MAX 1024
#define RTNL_ADDRS_MAX 2048

struct rtnl_dump {
	size_t nlinks, naddrs;
	struct rtnl_link links[RTNL_LINKS_MAX];
	struct rtnl_addr addrs[RTNL_ADDRS_MAX];
};

/* Dumps the links and addresses of the calling thread's network namespace.
 * Returns 0 or a negative errno. */
int rtnl_dump_all(struct rtnl_dump *ret);
const struct rtnl_link *rtnl_link_by_index(const struct rtnl_dump *d,
					   uint32_t ifindex);

/* The kernel's "no nsid" (NETNSA_NSID_NOT_ASSIGNED). */
#define RTNL_NSID_NONE (-1)

/* The nsid that the calling thread's network namespace has assigned to
 * the namespace nsfd refers to (RTM_GETNSID), RTNL_NSID_NONE in *ret if
 * none. Asking assigns none. Returns 0 or a negative errno. */
int rtnl_nsid_get(int nsfd, int32_t *ret);
