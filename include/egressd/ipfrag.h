/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP fragments made whole again (IPv4, and IPv6's fragment header), for
 * `egressd replay`: the daemon gets whole datagrams from conntrack, a
 * capture has the fragments as they travelled (a large DNS answer, for
 * one). Bounded: IPFRAG_SLOTS datagrams at once, each at most 65,535
 * bytes, dropped after IPFRAG_TIMEOUT_MS or when a newer one needs the
 * slot. A fragment that overlaps another makes the datagram invalid (RFC
 * 5722): overlaps are how a reader is shown bytes the receiver never
 * keeps. Pure. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define IPFRAG_SLOTS 16
#define IPFRAG_TIMEOUT_MS 30000
#define IPFRAG_RANGES 64

struct ipfrag;

struct ipfrag *ipfrag_new(void);
void ipfrag_free(struct ipfrag *f);
/* One IP packet. Returns 0 with *ret the packet to read: the packet
 * itself when it is not a fragment, else the whole datagram (valid until
 * the next call); -EAGAIN when it was a fragment kept for later;
 * -EBADMSG for a fragment that cannot be (overlap, past 65,535 bytes, bad
 * header): its datagram is dropped. */
int ipfrag_add(struct ipfrag *f, const uint8_t *pkt, size_t len,
	       uint64_t now_ms, const uint8_t **ret, size_t *ret_len);
