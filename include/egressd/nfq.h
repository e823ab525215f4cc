/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE over libmnl: bind a queue, read packets, send verdicts with a
 * mark. The one file that talks to nfnetlink_queue. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nfqueue;

struct nfqueue_packet {
	uint32_t id;
	uint32_t mark; /* the packet's mark as queued */
	uint32_t indev, physindev, physoutdev; /* 0 if absent */
	uint8_t hook; /* NF_INET_FORWARD, NF_INET_LOCAL_OUT... */
	const uint8_t *data;
	size_t len;
};

struct nfqueue_stats {
	unsigned long packets, enobufs, verdict_errors;
};

/* Binds queue `num` with copy-packet mode, queue length maxlen, and the
 * fail-open flag (the kernel accepts when the queue is full). Returns NULL
 * with err filled. */
struct nfqueue *nfqueue_open(uint16_t num, uint32_t maxlen, bool fail_open,
		     char *err, size_t errlen);
void nfqueue_close(struct nfqueue *q);
int nfqueue_fd(const struct nfqueue *q);

typedef void (*nfqueue_packet_fn)(struct nfqueue *q, const struct nfqueue_packet *p,
			      void *ctx);
/* Reads what is waiting (non-blocking) and calls fn per packet. Returns
 * the number of packets, or a negative errno. ENOBUFS (the kernel dropped
 * messages) is counted and not an error. */
int nfqueue_receive(struct nfqueue *q, nfqueue_packet_fn fn, void *ctx);
/* verdict: NF_ACCEPT or NF_DROP; mark written when set_mark; payload
 * replaces the packet when non-NULL. Called from fn inside
 * nfqueue_receive(), a verdict without a payload is batched: sent with the
 * others of that receive when it returns (its send error counted in the
 * stats, 0 returned here). */
int nfqueue_verdict(struct nfqueue *q, uint32_t id, int verdict, bool set_mark,
		uint32_t mark, const uint8_t *payload, size_t len);
/* Asks whether the kernel can attach conntrack to queued packets and take
 * a connmark in a verdict (NFQA_CT). Returns 0 if it can, else the
 * kernel's error (EOPNOTSUPP without CONFIG_NETFILTER_NETLINK_GLUE_CT). */
int nfqueue_probe_conntrack(struct nfqueue *q);
const struct nfqueue_stats *nfqueue_get_stats(const struct nfqueue *q);
