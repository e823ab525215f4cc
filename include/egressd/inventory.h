/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which containers this host runs, and how to recognise their traffic:
 * the host-side veth (their bridge port) and their addresses. A first
 * source: named network namespaces (`ip netns add`), whose name is the
 * container's name; Docker and containerd come next. Not on the packet
 * path: it enters other namespaces and reads rtnetlink. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

#define CONTAINER_ADDRS_MAX 8
#define INVENTORY_MAX 1024

struct container {
	char id[80]; /* "netns:NAME" */
	char name[64];
	char runtime[16]; /* "netns" */
	char image[128]; /* "" when the runtime has none */
	char image_id[80];
	bool running;
	int pid; /* its first process (0: not known or not running) */
	char veth[16]; /* host-side interface: the bridge port */
	uint32_t veth_ifindex;
	char bridge[16]; /* its bridge, "" when routed */
	char netns[128]; /* path of its network namespace */
	/* On the host's network namespace (docker run --network host, a
	 * pod's hostNetwork): no port, no address; its traffic is its
	 * sockets' (their cgroup). A running one's is the kernel's word
	 * (inventory_add), a stopped one's the runtime's. */
	bool host_network;
	/* The cgroup v2 id (the inode of its cgroup directory) of its
	 * first process, what nft's `socket cgroupv2` compares; 0 if not
	 * known (no cgroup v2 hierarchy, not running). */
	uint64_t cgroup_id;
	unsigned cgroup_level; /* its depth: /docker/<id> is 2 */
	unsigned naddrs;
	struct ip_addr addrs[CONTAINER_ADDRS_MAX];
};

/* Sources of a scan, as bits of inventory.sources_ok. */
enum {
	INV_SRC_NETNS = 1 << 0,
	INV_SRC_OCI = 1 << 1,
	INV_SRC_DOCKER = 1 << 2,
};

struct inventory {
	unsigned sources_ok; /* the sources this scan could ask */
	size_t n;
	struct container c[INVENTORY_MAX];
};

/* A scan: each source adds the containers it knows (identity and the
 * path of their network namespace); the scan finds each one's port: a
 * veth inside its namespace whose peer is in ours and is a port of one of
 * the container bridges (or is itself listed there, routed setups). The
 * two ends are paired by ifindex and by namespace (IFLA_LINK and
 * IFLA_LINK_NETNSID, checked both ways): ifindexes repeat across
 * namespaces, so a namespace on none of our ports is never listed on one. */
struct rtnl_dump;
struct inventory_scan {
	struct rtnl_dump *host, *in;
	const struct inventory *prev; /* the scan before, or NULL */
	const char *const *bridges;
	size_t nbridges;
	struct inventory *inv;
};

/* Starts a scan into inv (emptied). Returns 0 or a negative errno. */
int inventory_scan_begin(struct inventory_scan *s, const char *const *bridges,
			 size_t nbridges, struct inventory *inv);
void inventory_scan_end(struct inventory_scan *s);
/* Adds a container: a running one only if its port is found (0), a
 * stopped one always. Returns 0, -ENOENT (not on a container bridge), or
 * -E2BIG. */
int inventory_add(struct inventory_scan *s, const struct container *c);
/* Checks now, on fresh rtnetlink dumps, that the running container c
 * sits on c->veth: a veth in its namespace is paired (ifindex and
 * namespace, both ways) with c->veth, same name and ifindex, a port of one
 * of the bridges (or itself listed, routed setups). For the isolate path,
 * before a port is cut. Returns 0; -ENOENT if c has no such port (no
 * veth, not running, its namespace gone or on no container bridge);
 * -ESTALE if it is on another port now; or another negative errno. */
int inventory_verify_port(const struct container *c,
			  const char *const *bridges, size_t nbridges);
/* Source: the named network namespaces in dir (normally /run/netns), the
 * namespace name being the container name. */
int inventory_scan_netns(struct inventory_scan *s, const char *dir);

/* Finds a container by exact name, exact id, or unique id prefix.
 * Returns NULL if none or ambiguous. */
const struct container *inventory_find(const struct inventory *inv,
				       const char *key);

/* The latest scan, shared with other threads (the event writer): the
 * control thread publishes it, readers copy one container out. */
void inventory_publish(const struct inventory *inv);
/* Copies the container whose bridge port is ifindex, or failing that
 * the one with address a: any when ifindex is 0 (port unknown), else only
 * one whose port is unknown (a packet from another port may carry any
 * source address). Returns true if found. */
bool inventory_lookup(uint32_t ifindex, const struct ip_addr *a,
		      struct container *ret);

/* Copies the container whose id is exactly id (a host-network socket's
 * process names it by its cgroup). Returns true if found. */
bool inventory_lookup_id(const char *id, struct container *ret);

/* How many scans were published so far: a scan newer than a moment can
 * be told by it. */
unsigned long inventory_generation(void);

/* The source bit of a runtime name ("netns", "docker", "containerd",
 * "cri"), 0 if unknown. */
unsigned inventory_source_of(const char *runtime);

/* How many containers the key names (name, id, or id prefix). */
size_t inventory_matches(const struct inventory *inv, const char *key);

/* The host's own facts for events: name, inner addresses (on the given
 * container bridges) and outer addresses (global addresses elsewhere). */
struct host_facts {
	char name[64];
	unsigned ninner, nouter;
	struct ip_addr inner[8], outer[8];
};
int host_facts_read(const char *const *bridges, size_t nbridges,
		    struct host_facts *ret);
