/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The nftables side: load egressd's ruleset, add its queue rule with the
 * mechanism the kernel has, fill the container interface set. The one file
 * that talks to nf_tables. Functions return 0 or a negative errno and
 * write what failed into err. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_marks {
	uint32_t mask, allow, block; /* conntrack / packet mark bits */
	uint32_t in; /* packet mark: queued on its way to a container */
};

enum nft_queue_kind { NFT_QUEUE_NATIVE, NFT_QUEUE_COMPAT };

struct nft_queue_cfg {
	uint16_t first, count; /* queues first..first+count-1 (fanout) */
	bool fail_open; /* bypass when no reader: the kernel accepts */
};

/* Loads the ruleset file, replacing an older copy in one transaction,
 * with `isolated` interfaces (may be NULL) already in the isolation sets:
 * a restart never leaves an isolated container unisolated, not even for a
 * moment. */
int nft_ruleset_load(const char *path, const struct nft_marks *m,
		     const char *const *isolated, size_t nisolated, char *err,
		     size_t errlen);
/* Adds (or removes) an interface to both isolation sets: the bridge
 * family's isolated_ports and the inet family's isolated_ifs. Removing an
 * absent one is not an error. */
int nft_isolate(const char *ifname, bool add, char *err, size_t errlen);
/* Adds the queue rule to chain to_queue: native if the kernel has
 * nft_queue, else the xt NFQUEUE target. *ret says which was used. */
int nft_queue_rule_add(const struct nft_queue_cfg *q,
		       enum nft_queue_kind *ret, char *err, size_t errlen);
/* Fills chain syn_keep: every SYN it sees goes into map syn4 / syn6 (its
 * 4-tuple: its sequence number). *replaces: a new SYN replaces an older
 * connection's entry (the kernel can delete from a map in a rule); if
 * not, a port reused within the map's timeout keeps the old number. */
int nft_syn_keep_add(bool *replaces, char *err, size_t errlen);
/* Adds interface names to set container_ifs. */
int nft_container_ifs_add(const char *const *ifs, size_t n, char *err,
			  size_t errlen);
/* Replaces the whole set with these, atomically (container_if = auto:
 * bridges found and gone). */
int nft_container_ifs_replace(const char *const *ifs, size_t n, char *err,
			      size_t errlen);

/* Replaces sets listed4 and listed6 (the blacklisted networks: a SYN to
 * one is queued, any other SYN accepted in the kernel) in one
 * transaction. */
struct ip_addr;
int nft_listed_replace(const struct ip_addr *nets, const unsigned *plens,
		       size_t n, char *err, size_t errlen);
/* The watchdog's guard in front of the queue rule: off, every packet that
 * would queue passes, or every such packet is dropped. */
enum nft_guard { NFT_GUARD_OFF, NFT_GUARD_PASS, NFT_GUARD_DROP };

/* Puts the guard in place in one transaction (sets watchdog_pass and
 * watchdog_drop: the other one is emptied). */
int nft_guard_set(enum nft_guard g, char *err, size_t errlen);
/* *ret: packets the guard's current elements passed or dropped. */
int nft_guard_packets(uint64_t *ret, char *err, size_t errlen);

/* The host's own sockets (containers on the host's network). Rewrites
 * chain (host_select_out/_in, host_cut_out/_in) in one transaction: with
 * every, the one rule "VERDICT"; else, for each level bit L set in levels,
 * "socket cgroupv2 level L @set VERDICT" (no rule: the chain is empty).
 * Returns 0 or a negative errno with err filled. */
int nft_host_chain(const char *chain, const char *set, unsigned levels,
		   bool every, const char *verdict, char *err, size_t errlen);
/* Can the kernel match a socket's cgroup v2 (nft socket cgroupv2, Linux
 * 5.13+)? Adds such a rule and takes it out again. 0 if it can. */
int nft_probe_socket_cgroup(char *err, size_t errlen);
/* Adds ids to (or deletes them from) the cgroupsv2 set `set`
 * (host_cgroups, isolated_cgroups). Adding one already there is no
 * error; deleting one not there is. */
int nft_cgroups_update(const char *set, const uint64_t *ids, size_t n,
		       bool add, char *err, size_t errlen);
