/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sequence numbers of SYNs the kernel accepted without queueing
 * them (a SYN to an address no list names): the ruleset keeps each in
 * map syn4 / syn6 (key: the 4-tuple, value: the SYN's sequence number,
 * 30 s). The packet thread asks for one when a flow's first payload
 * comes, so that reassembly starts where the stream starts, whatever
 * segments come first. One netlink request answered by the kernel
 * in the same call: never waits on anything but the kernel. */
#pragma once
#include <stdint.h>

struct flow_key;
struct synmap;

/* Opens the netlink socket (before the sandbox). NULL on failure. */
struct synmap *synmap_open(void);
void synmap_close(struct synmap *m);
/* The engine's tcp_isn callback: 0 and *isn, or -ENOENT (not kept:
 * expired, the map was full, a flow older than egressd), -EIO. */
int synmap_get(void *m, const struct flow_key *k, uint32_t *isn);
/* Lookups so far, and how many found nothing. */
void synmap_stats(const struct synmap *m, unsigned long *asked,
		  unsigned long *missed);
