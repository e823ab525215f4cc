/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Containers on the host's network (docker run --network host): which of
 * the host's sockets the ruleset reads (host_select_*) and cuts
 * (host_cut_*), kept in step with the inventory and the isolation state.
 *
 * The packet path never asks which container a host socket belongs to:
 * the kernel tells, by the socket's cgroup (nft socket cgroupv2), against
 * the sets host_cgroups (the running host-network containers' cgroup v2
 * ids) and isolated_cgroups (those isolated). Where the kernel cannot
 * (before Linux 5.13, or no cgroup v2 hierarchy at all), nothing selects
 * by container: host_processes = watch reads every host socket, and the
 * event writer names the container afterwards by the socket's process
 * (sock_diag, then /proc/PID/cgroup, off the packet thread); ignore reads
 * none of the host's, and isolating a host-network container is refused.
 * Runs on the control side (inventory thread, isolate requests), never on
 * the packet path. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/inventory.h"
#include "egressd/isolation.h"

/* Cgroup levels nft is asked about: /docker/<id> is 2, a kubelet's
 * pod containers 3 to 5; deeper ones are not matched (one rule a level,
 * each a socket lookup on the input path). */
#define HOSTNET_LEVEL_MAX 8

struct hostnet_cg {
	uint64_t id;
	unsigned level;
};

struct hostnet_set {
	size_t n;
	struct hostnet_cg cg[INVENTORY_MAX];
	unsigned levels; /* bit L: some cgroup at level L */
};

struct hostnet {
	bool watch;		     /* host_processes = watch */
	bool can_match;		     /* the kernel matches sockets by cgroup */
	bool synced;		     /* the chains hold what sel/cut say */
	struct hostnet_set sel, cut; /* in the kernel now */
};

/* Pure. The running host-network containers' cgroups (cut: only those
 * whose isolation is wanted, iso non-NULL), without duplicates, and the
 * levels they sit at (levels beyond HOSTNET_LEVEL_MAX are left out). */
void hostnet_collect(const struct inventory *inv, const struct isolation *iso,
		     struct hostnet_set *ret);
/* Pure. The ids of a not in b, into ret (room for a->n). Returns count. */
size_t hostnet_minus(const struct hostnet_set *a, const struct hostnet_set *b,
		     uint64_t *ret);

/* Probes the kernel and fills the selection chains for the mode. Returns
 * 0, or a negative errno with err filled (the ruleset refused a rule). */
int hostnet_init(struct hostnet *h, bool watch, char *err, size_t errlen);
/* Brings the sets and chains in step with inv and iso. Returns the
 * number of changes, or a negative errno with err filled. */
int hostnet_sync(struct hostnet *h, const struct inventory *inv,
		 const struct isolation *iso, char *err, size_t errlen);
/* Can a host-network container be isolated here? */
bool hostnet_can_isolate(const struct hostnet *h);
