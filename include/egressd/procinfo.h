/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which process made a connection: the flow's socket inside the
 * container's network namespace (sock_diag), the process holding it
 * (/proc), and its parent and grandparent, each with pid, executable,
 * command line and user (uid, and the name from the container's own
 * /etc/passwd). Reads /proc and enters namespaces: never on the packet
 * path. The one file that talks to sock_diag and reads /proc for it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/redact.h"

struct proc_level {
	int pid;
	char exe[256];
	char cmdline[512];
	uint32_t uid;
	char user[64]; /* "" if the container has no name for it */
};

struct proc_attr {
	unsigned nlevels; /* 0: unknown, see reason */
	struct proc_level lv[3]; /* process, parent, grandparent */
	bool have_socket_uid;
	uint32_t socket_uid; /* from the socket, even when the process is gone */
	char reason[160];
	/* The container id of the process's cgroup (cgroup.h), "" if it
	 * is in none: a host-network socket's container. */
	char container_id[65];
};

/* Attributes the flow proto src:sport -> dst:dport (the container's side
 * first) seen in the network namespace netns_path (/run/netns/NAME or
 * /proc/PID/ns/net). Returns 0 with at least one level, or a negative
 * errno with ret->reason saying why ("socket gone: the connection ended
 * before attribution", "no process holds the socket"...). Command lines
 * are redacted with rules. */
int procinfo_attribute(const char *netns_path, uint8_t proto,
		       const struct ip_addr *src, uint16_t sport,
		       const struct ip_addr *dst, uint16_t dport,
		       const struct redact_rules *rules, struct proc_attr *ret);

/* The cgroup v2 id of pid's cgroup: the inode of its directory in the
 * cgroup v2 hierarchy (/sys/fs/cgroup where it is v2 alone, else the
 * hybrid /sys/fs/cgroup/unified), and its level (the root's is 0,
 * /docker/<id> is 2). Returns 0, -ENOENT if the host has no v2 hierarchy
 * or pid none, or another negative errno. */
int procinfo_cgroup_v2_id(int pid, uint64_t *ret, unsigned *ret_level);

/* The container id of pid's cgroup (cgroup_container_id): 0, -ENOENT
 * if it is in none, or the error of reading /proc/PID/cgroup. */
int procinfo_container_of(int pid, char ret[65]);
