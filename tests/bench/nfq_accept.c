// SPDX-License-Identifier: GPL-2.0-or-later
/* nfq_accept [--mark-allow MARK [--mark-mask MASK]] [--queue N]: the floor
 * of the datapath benchmark. Reads egressd's queue with the same library
 * code and accepts every packet at once, marking it decided when
 * --mark-allow is given (so the same ruleset stops queueing the flow, as
 * with egressd). The verdict's mark is the packet's with the MASK bits
 * replaced by MARK, as egressd writes it (src/daemon/datapath.c): a packet queued
 * on its way in carries the "in" bit, which would otherwise stay and keep
 * forward_mark from seeing "allow". */
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/nfq.h"

static volatile sig_atomic_t stop;
static uint32_t allow, mask;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static void on_packet(struct nfqueue *q, const struct nfqueue_packet *p,
		      void *ctx)
{
	(void)ctx;
	nfqueue_verdict(q, p->id, NF_ACCEPT, allow != 0,
			(p->mark & ~mask) | allow, NULL, 0);
}

int main(int argc, char **argv)
{
	uint16_t num = 0;
	char err[256];
	struct nfqueue *q;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mark-allow"))
			allow = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--mark-mask"))
			mask = (uint32_t)strtoul(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--queue"))
			num = (uint16_t)strtoul(argv[i + 1], NULL, 0);
	}
	q = nfqueue_open(num, 4096, true, err, sizeof(err));
	if (!q) {
		fprintf(stderr, "nfq_accept: %s\n", err);
		return 1;
	}
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	fprintf(stderr, "nfq_accept: reading queue %u\n", num);
	while (!stop) {
		struct pollfd pf = { nfqueue_fd(q), POLLIN, 0 };
		if (poll(&pf, 1, 500) > 0)
			nfqueue_receive(q, on_packet, NULL);
	}
	fprintf(stderr, "nfq_accept: %lu packets, %lu ENOBUFS\n",
		nfqueue_get_stats(q)->packets, nfqueue_get_stats(q)->enobufs);
	nfqueue_close(q);
	return 0;
}
