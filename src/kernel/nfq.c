// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>

/* Big enough for one 64 KiB packet and its attributes. */
#define NFQ_BUF (0xffff + 8192)
/* Socket receive buffer: room for a burst of queued packets. */
#define NFQ_RCVBUF (8 << 20)
/* Verdicts without a payload decided during one nfqueue_receive() go to
 * the kernel together, one sendto for up to this many bytes of them (a
 * verdict with a mark is 48 bytes: ~340 of them), instead of a syscall
 * each: under 64 parallel clients a receive reads several packets. */
#define NFQ_VBATCH 16384
/* Room one verdict without a payload needs in the batch. */
#define NFQ_VMSG_MAX 128
/* Packets read per syscall (recvmmsg): the kernel sends each queued
 * packet as a datagram of its own, so one recv reads one; under many
 * parallel clients a wake-up finds several. Each needs a buffer of the
 * full copy range (the kernel copies a packet only up to its length, so
 * small packets touch only the start of theirs). */
#define NFQ_MMSG 8

struct nfqueue {
	struct mnl_socket *nl;
	uint16_t num;
	bool fail_open;
	uint32_t seq;
	uint32_t portid;
	struct nfqueue_stats stats;
	size_t vlen;  /* bytes of verdicts waiting in vbuf */
	size_t vmsgs; /* and how many */
	char vbuf[NFQ_VBATCH] __attribute__((aligned(8)));
	/* Netlink messages are read in place: aligned for nlmsghdr. buf
	 * takes acks and is the first of the packet buffers. */
	char buf[NFQ_BUF] __attribute__((aligned(8)));
	char more[NFQ_MMSG - 1][NFQ_BUF] __attribute__((aligned(8)));
};

/* A packet queued while we wait for an ack is not ours to judge yet:
 * it gets the verdict of an egressd that is not there (fail-open passes
 * it, fail-closed drops it), never none (it would be held forever). */
static void verdict_stray(struct nfqueue *q, const struct nlmsghdr *nlh)
{
	struct nlattr *a[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, a) < 0 || !a[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(a[NFQA_PACKET_HDR]) < sizeof(*ph))
		return;
	ph = mnl_attr_get_payload(a[NFQA_PACKET_HDR]);
	nfqueue_verdict(q, ntohl(ph->packet_id),
			q->fail_open ? NF_ACCEPT : NF_DROP, false, 0, NULL, 0);
}

/* The kernel's answer to message seq in what was read: 1 (not there),
 * 0 or a negative errno. */
static int find_ack(struct nfqueue *q, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->buf;
	int n = (int)len;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
			verdict_stray(q, nlh);
			continue;
		}
		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
			continue;
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		return e->error;
	}
	return 1;
}

/* Sends a config message with NLM_F_ACK and returns the kernel's answer:
 * 0 or a negative errno. */
static int send_cfg_ack(struct nfqueue *q, struct nlmsghdr *nlh)
{
	struct pollfd pf = { mnl_socket_get_fd(q->nl), POLLIN, 0 };
	uint32_t seq = ++q->seq;
	int r = 1;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while (r == 1) {
		ssize_t n;
		if (poll(&pf, 1, 1000) <= 0)
			return -ETIMEDOUT;
		n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf));
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -errno;
		if (n > 0)
			r = find_ack(q, (size_t)n, seq);
	}
	return r;
}

/* BIND is checked: a queue another process holds is EPERM, and egressd
 * must not run as if it owned it. A full queue drops (the kernel counts
 * it): with NFQA_CFG_F_FAIL_OPEN it would pass packets unseen, and a
 * container could flood the queue to slip its own connection by (seen:
 * 16,000 of 50,000 flooded lookups passed unseen, and another
 * container's lookups with them). Being absent (stopped, crashed, hung:
 * see the watchdog) is what fail-open is about; the queue rule's bypass
 * flag and the watchdog cover it. */
static int configure(struct nfqueue *q, uint32_t maxlen, bool fail_open)
{
	struct nlmsghdr *nlh;
	uint32_t flags = 0;
	int r;

	(void)fail_open;
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if ((r = send_cfg_ack(q, nlh)))
		return r;
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	return send_cfg_ack(q, nlh);
}

int nfqueue_probe_conntrack(struct nfqueue *q)
{
	struct nlmsghdr *nlh;
	int r;

	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->num);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_CONNTRACK));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_CONNTRACK));
	r = send_cfg_ack(q, nlh);
	if (r)
		return r;
	/* Supported; switch it off again: the mark path serves both. */
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, q->num);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_CONNTRACK));
	send_cfg_ack(q, nlh);
	return 0;
}

struct nfqueue *nfqueue_open(uint16_t num, uint32_t maxlen, bool fail_open,
		     char *err, size_t errlen)
{
	struct nfqueue *q = calloc(1, sizeof(*q));
	int one = 1, rcv = NFQ_RCVBUF, r;

	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->num = num;
	q->fail_open = fail_open;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	/* ENOBUFS must be reported to us, not hidden. */
	setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv,
		   sizeof(rcv));
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, 0);
	r = configure(q, maxlen, fail_open);
	if (r == -EPERM || r == -EBUSY) {
		snprintf(err, errlen, "NFQUEUE %u is bound by another program "
			 "(another egressd, or a queue user such as OpenSnitch "
			 "or Suricata): stop it, or choose another queue", num);
		goto fail;
	}
	if (r) {
		snprintf(err, errlen, "cannot bind NFQUEUE %u: %s", num,
			 strerror(-r));
		goto fail;
	}
	return q;
fail:
	nfqueue_close(q);
	return NULL;
}

void nfqueue_close(struct nfqueue *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q);
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

struct cb_ctx {
	struct nfqueue *q;
	nfqueue_packet_fn fn;
	void *ctx;
	int n;
};

static uint32_t attr_u32(struct nlattr **a, int type)
{
	return a[type] ? ntohl(mnl_attr_get_u32(a[type])) : 0;
}

/* Validates the attributes we use; a message without a packet header or
 * payload is skipped (counted), never trusted. */
static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct cb_ctx *c = data;
	struct nlattr *a[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct nfqueue_packet p = { 0 };

	if (nfq_nlmsg_parse(nlh, a) < 0 || !a[NFQA_PACKET_HDR] ||
	    !a[NFQA_PAYLOAD] ||
	    mnl_attr_get_payload_len(a[NFQA_PACKET_HDR]) < sizeof(*ph))
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(a[NFQA_PACKET_HDR]);
	p.id = ntohl(ph->packet_id);
	p.mark = attr_u32(a, NFQA_MARK);
	p.hook = ph->hook;
	p.indev = attr_u32(a, NFQA_IFINDEX_INDEV);
	p.physindev = attr_u32(a, NFQA_IFINDEX_PHYSINDEV);
	p.physoutdev = attr_u32(a, NFQA_IFINDEX_PHYSOUTDEV);
	p.data = mnl_attr_get_payload(a[NFQA_PAYLOAD]);
	p.len = mnl_attr_get_payload_len(a[NFQA_PAYLOAD]);
	c->q->stats.packets++;
	c->n++;
	c->fn(c->q, &p, c->ctx);
	return MNL_CB_OK;
}

/* The queue whose receive runs on this thread: only its own thread
 * batches its verdicts (verdicts of held packets may come from elsewhere
 * and are sent at once). */
static _Thread_local struct nfqueue *batching;

/* Sends the verdicts waiting in the batch. Several netlink messages in one
 * datagram: the kernel handles each on its own (one bad id fails only its
 * own message, answered with an error message as a lone verdict is). */
static void verdicts_flush(struct nfqueue *q)
{
	if (!q->vlen)
		return;
	if (mnl_socket_sendto(q->nl, q->vbuf, q->vlen) < 0)
		q->stats.verdict_errors += q->vmsgs;
	q->vlen = 0;
	q->vmsgs = 0;
}

/* Reads at most this many messages per call: under a flood the queue
 * never runs dry, and the main loop must still turn (signals, new lists,
 * the watchdog's beat). */
#define NFQ_RECV_PER_CALL 256

/* Reads up to NFQ_MMSG datagrams in one call into the packet buffers.
 * Returns how many, 0 when none waits, or a negative errno (-ENOBUFS:
 * the kernel dropped some for want of room, and says so once). */
static int receive_some(struct nfqueue *q, struct mmsghdr *mm,
			struct sockaddr_nl *from)
{
	struct iovec iov[NFQ_MMSG];
	int n;

	for (int i = 0; i < NFQ_MMSG; i++) {
		iov[i].iov_base = i ? q->more[i - 1] : q->buf;
		iov[i].iov_len = NFQ_BUF;
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
						 .msg_namelen = sizeof(*from),
						 .msg_iov = &iov[i],
						 .msg_iovlen = 1 };
	}
	n = recvmmsg(mnl_socket_get_fd(q->nl), mm, NFQ_MMSG, MSG_DONTWAIT,
		     NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	return n;
}

int nfqueue_receive(struct nfqueue *q, nfqueue_packet_fn fn, void *ctx)
{
	struct cb_ctx c = { q, fn, ctx, 0 };
	struct sockaddr_nl from[NFQ_MMSG];
	struct mmsghdr mm[NFQ_MMSG];
	int r = 0, n;

	batching = q;
	/* Calls are bounded too: an overflow says -ENOBUFS once per call. */
	for (int got = 0, calls = 0; got < NFQ_RECV_PER_CALL &&
				     calls < NFQ_RECV_PER_CALL; got += n, calls++) {
		n = receive_some(q, mm, from);
		if (n == -ENOBUFS) {
			q->stats.enobufs++;
			n = 0;
			continue;
		}
		if (n <= 0) {
			r = n;
			break;
		}
		for (int i = 0; i < n; i++) {
			/* Only the kernel's, and only whole ones (what
			 * mnl_socket_recvfrom checked). */
			if (from[i].nl_pid ||
			    mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			mnl_cb_run(i ? q->more[i - 1] : q->buf, mm[i].msg_len,
				   0, q->portid, on_msg, &c);
		}
		if (n < NFQ_MMSG)
			break; /* the queue ran dry: no call to hear EAGAIN */
	}
	batching = NULL;
	verdicts_flush(q);
	return r ? r : c.n;
}

/* Puts a verdict without a payload in the batch; false when it must be
 * sent alone (not in a receive of this queue on this thread). */
static bool verdict_batch(struct nfqueue *q, uint32_t id, int verdict,
			  bool set_mark, uint32_t mark)
{
	struct nlmsghdr *nlh;

	if (batching != q)
		return false;
	if (q->vlen + NFQ_VMSG_MAX > sizeof(q->vbuf))
		verdicts_flush(q);
	nlh = nfq_nlmsg_put(q->vbuf + q->vlen, NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	q->vlen += NLMSG_ALIGN(nlh->nlmsg_len);
	q->vmsgs++;
	return true;
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, int verdict, bool set_mark,
		uint32_t mark, const uint8_t *payload, size_t len)
{
	static _Thread_local char buf[NFQ_BUF] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;

	if (!payload && verdict_batch(q, id, verdict, set_mark, mark))
		return 0;
	/* A verdict with a payload keeps its order behind the batched ones. */
	if (batching == q)
		verdicts_flush(q);
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
	if (set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	if (payload && len <= 0xffff)
		nfq_nlmsg_verdict_put_pkt(nlh, payload, (uint32_t)len);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		q->stats.verdict_errors++;
		return -errno;
	}
	return 0;
}

const struct nfqueue_stats *nfqueue_get_stats(const struct nfqueue *q)
{
	return &q->stats;
}
