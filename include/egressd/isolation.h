/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Container isolation: the state of each isolation request, bound to the
 * container (not its veth), kept in STATE_DIR/isolation.json, and applied
 * to the kernel's isolation sets. An isolated container loses all its
 * traffic: egress, other containers on its bridge, the host, inbound;
 * IPv4, IPv6 and ARP/ND. It lives in the kernel, so it holds while egressd
 * is stopped. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/inventory.h"

enum iso_state {
	ISO_ISOLATING,
	ISO_ISOLATED,
	ISO_ISOLATE_FAILED,
	ISO_RESTORING,
	ISO_RESTORED,
	ISO_RESTORE_FAILED,
};

#define ISOLATION_MAX 1024

struct iso_entry {
	char id[80];
	char name[64];
	char runtime[16]; /* where the container comes from */
	char note[256];
	enum iso_state state;
	char reason[200]; /* why it failed */
	int64_t since; /* wall clock seconds of the last change */
	char veth[16]; /* the interface in the kernel's sets now, or "" */
	uint32_t by_uid; /* who asked */
	unsigned missing; /* scans in a row without the container (memory) */
};

/* A container is taken for deleted after this many scans in a row without
 * it: one scan can miss a container that is being restarted. */
#define ISOLATION_MISSING_SCANS 3

struct isolation {
	char path[512];
	bool unsaved; /* the kernel holds changes the file does not yet */
	size_t n;
	struct iso_entry e[ISOLATION_MAX];
};

const char *iso_state_name(enum iso_state s);

/* Reads STATE_DIR/isolation.json (absent: no entry). A file egressd cannot
 * read is an error: starting without it would unisolate containers. */
int isolation_load(struct isolation *iso, const char *state_dir, char *err,
		   size_t errlen);
/* Writes the file atomically (temporary file, fsync, rename). */
int isolation_save(const struct isolation *iso, char *err, size_t errlen);

/* The interfaces that must be in the kernel's sets now. Returns count. */
size_t isolation_active_ifs(const struct isolation *iso, const char **ret,
			    size_t max);

/* Isolates a container: state isolating, then isolated (or
 * isolate-failed with the reason); existing connections are cut.
 * Returns 0 or a negative errno with err filled. */
int isolation_isolate(struct isolation *iso, const struct container *c,
		      const char *note, uint32_t uid, char *err, size_t errlen);
/* Restores a container by name or id (it may be gone). */
int isolation_restore(struct isolation *iso, const char *key, uint32_t uid,
		      char *err, size_t errlen);
/* Follows the containers: a restarted container (new veth) is isolated
 * again at once; the entry of a deleted one is removed. Returns the
 * number of changes. */
int isolation_reconcile(struct isolation *iso, const struct inventory *inv);
const struct iso_entry *isolation_find(const struct isolation *iso,
				       const char *key);
