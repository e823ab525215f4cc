// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd run: the ruleset, the queue loop, verdicts and events. */
#include "daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
#include <net/if.h>
#include <getopt.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "egressd/ct.h"
#include "egressd/dnsrewrite.h"
#include "egressd/flowtab.h"
#include "egressd/inspect.h"
#include "egressd/nfq.h"
#include "egressd/pkt.h"
#include "events.h"

/* Undecided TCP flows followed at once, and how long one may stay
 * undecided without traffic. */
#define FLOWS_MAX 65536
#define FLOW_IDLE_S 30
/* Queues read by the one packet thread (fanout spreads the kernel's work;
 * one reader keeps the DNS cache lock-free). */
#define QUEUES_MAX 16
/* Container addresses remembered with their bridge port. */
#define ADDRMAP_SIZE 4096

struct addr_owner {
	struct ip_addr addr;
	uint32_t owner;
};

struct daemon {
	struct addr_owner addrmap[ADDRMAP_SIZE];
	struct config cfg;
	struct policy policy;
	struct inspector ins;
	struct flowtab *flows;
	struct events *events;
	struct nfqueue *qs[QUEUES_MAX];
	size_t nq;
	struct nfqueue *q; /* the queue of the packet being judged */
	uint64_t now;
	unsigned long malformed;
	unsigned long enobufs_reported;
	uint8_t rewrite[0xffff];
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

/* Which container a packet belongs to. A container has several addresses
 * (IPv4 and IPv6; its DNS may go over one and its connection over the
 * other), so the owner is its bridge port when the kernel tells it
 * (physindev going out, physoutdev for answers coming back), else the
 * address. Addresses seen on a port are remembered, so that a connection
 * known only by its addresses (a conntrack entry) finds its owner too. */
#define OWNER_PORT 0x80000000u

static uint32_t owner_of_addr(const struct ip_addr *a)
{
	return ip_addr_hash32(a) & ~OWNER_PORT;
}

static uint32_t owner_lookup(const struct daemon *d, const struct ip_addr *a)
{
	const struct addr_owner *e = &d->addrmap[owner_of_addr(a) % ADDRMAP_SIZE];

	return e->owner && ip_addr_equal(&e->addr, a) ? e->owner
						      : owner_of_addr(a);
}

static uint32_t owner_of(struct daemon *d, const struct ip_addr *a,
			 uint32_t port)
{
	struct addr_owner *e;

	if (!port)
		return owner_lookup(d, a);
	e = &d->addrmap[owner_of_addr(a) % ADDRMAP_SIZE];
	e->addr = *a;
	e->owner = OWNER_PORT | port;
	return e->owner;
}

/* ---- events ---- */

/* One JSON line per match. The container's bridge port comes from its
 * owner (0 if unknown); its name costs one ioctl, paid only for events. */
static void event_emit(struct daemon *d, const char *kind, uint32_t port,
		       const struct ip_addr *client, const struct ip_addr *dst,
		       uint16_t dport, const char *name,
		       const struct decision *dec, bool blocked)
{
	char t[IP_ADDR_TEXT], ifn[IF_NAMESIZE], *s;
	cJSON *o = cJSON_CreateObject(), *r;

	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddStringToObject(o, "kind", kind);
	ip_addr_format(client, t, sizeof(t));
	cJSON_AddStringToObject(o, "container_ip", t);
	if (!port) {
		uint32_t owner = owner_lookup(d, client);
		port = owner & OWNER_PORT ? owner & ~OWNER_PORT : 0;
	}
	if (port && if_indextoname(port, ifn))
		cJSON_AddStringToObject(o, "port", ifn);
	if (dst) {
		ip_port_format(dst, dport, t, sizeof(t));
		cJSON_AddStringToObject(o, "dst", t);
	}
	if (name)
		cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "action", blocked ? "blocked" : "alerted");
	r = cJSON_AddObjectToObject(o, "rule");
	cJSON_AddStringToObject(r, "list", "black");
	cJSON_AddStringToObject(r, "source", dec->hit.source->name);
	cJSON_AddStringToObject(r, "pattern", dec->hit.pattern);
	cJSON_AddStringToObject(r, "category", dec->hit.source->category);
	cJSON_AddStringToObject(r, "matched", dec->subject);
	s = cJSON_PrintUnformatted(o);
	if (s)
		events_push(d->events, s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* ---- verdicts ---- */

static uint32_t mark_with(const struct daemon *d, uint32_t pkt_mark,
			  uint32_t bits)
{
	return (pkt_mark & ~d->cfg.marks.mask) | bits;
}

/* A decided flow: its connection carries the decision from now on. A
 * blocked packet goes back through the hook (NF_REPEAT) with the block
 * mark, where the ruleset marks its connection and rejects it. */
static void verdict_decided(struct daemon *d, const struct nfqueue_packet *p,
			    bool block)
{
	uint32_t bits = block ? d->cfg.marks.block : d->cfg.marks.allow;

	nfqueue_verdict(d->q, p->id, block ? NF_REPEAT : NF_ACCEPT, true,
			mark_with(d, p->mark, bits), NULL, 0);
}

static void verdict_pass(struct daemon *d, const struct nfqueue_packet *p)
{
	nfqueue_verdict(d->q, p->id, NF_ACCEPT, false, 0, NULL, 0);
}

/* ---- DNS ---- */

/* Judges one DNS message of `client`. Returns the observation's verdict
 * (BLOCK only if the answer must not reach the client in block mode) and
 * records events. */
static enum verdict dns_message(struct daemon *d, const struct ip_addr *client,
				uint32_t port, const struct pkt_info *pk,
				const uint8_t *msg, size_t len,
				struct observation *ob)
{
	if (inspect_dns(&d->ins, owner_of(d, client, port), msg, len, d->now,
			ob)) {
		d->malformed++;
		return VERDICT_NONE;
	}
	if (ob->d.verdict != VERDICT_BLOCK || !ob->dns->has_question)
		return VERDICT_NONE;
	const char *qname = dns_name(ob->dns, ob->dns->qname);
	if (ob->kind == OBS_DNS_QUERY) { /* the answer is where block acts */
		event_emit(d, "dns_query", port, client, &pk->dst, pk->dport,
			   qname, &ob->d, d->cfg.block);
		return VERDICT_NONE;
	}
	/* A name further down the CNAME chain: the query did not show it. */
	if (strcmp(ob->d.subject, qname))
		event_emit(d, "dns_answer", port, client, &pk->src, pk->sport,
			   qname, &ob->d, d->cfg.block);
	return d->cfg.block ? VERDICT_BLOCK : VERDICT_NONE;
}

static void dns_udp(struct daemon *d, const struct nfqueue_packet *p,
		    const struct pkt_info *pk)
{
	const struct ip_addr *client = pk->sport == 53 ? &pk->dst : &pk->src;
	struct observation ob;
	int n;

	uint32_t port = pk->sport == 53 ? p->physoutdev : p->physindev;

	if (dns_message(d, client, port, pk, pk->payload, pk->payload_len,
			&ob) != VERDICT_BLOCK) {
		verdict_pass(d, p);
		return;
	}
	/* Block: the container gets NXDOMAIN at once, not a time-out. */
	memcpy(d->rewrite, p->data, p->len);
	n = dns_rewrite_nxdomain(d->rewrite, p->len, ob.dns->question_end);
	if (n > 0)
		nfqueue_verdict(d->q, p->id, NF_ACCEPT, false, 0, d->rewrite,
				(size_t)n);
	else
		nfqueue_verdict(d->q, p->id, NF_DROP, false, 0, NULL, 0);
}

/* DNS over TCP: both directions are reassembled; every complete message
 * is judged when its last byte arrives, before that segment is released.
 * A blocked answer cannot be rewritten inside a TCP stream: its segment
 * is dropped (the client's resolver then fails after its time-out). */
static void dns_tcp(struct daemon *d, const struct nfqueue_packet *p,
		    const struct pkt_info *pk)
{
	bool answer = pk->sport == 53, block = false;
	struct observation ob;
	struct flow_key k;
	struct cursor s, msg;
	struct reasm *r;
	struct flow *f;

	memset(&k, 0, sizeof(k));
	k.client = answer ? pk->dst : pk->src;
	k.server = answer ? pk->src : pk->dst;
	k.cport = answer ? pk->dport : pk->sport;
	k.sport = 53;
	f = flowtab_get(d->flows, &k, d->now, true);
	if (!f) {
		verdict_pass(d, p);
		return;
	}
	r = answer ? &f->down : &f->up;
	if (reasm_add(r, pk->tcp_seq, pk->tcp_flags & TCP_SYN, pk->payload,
		      pk->payload_len) == -E2BIG)
		reasm_consume(r, r->len); /* a hostile length: start over */
	cursor_init(&s, r->buf, r->len);
	while (dns_tcp_next(&s, &msg) == 1)
		block |= dns_message(d, &k.client,
				     answer ? p->physoutdev : p->physindev, pk,
				     cursor_ptr(&msg), cursor_left(&msg),
				     &ob) == VERDICT_BLOCK;
	reasm_consume(r, s.pos);
	f->blocked |= block;
	block = f->blocked && answer;
	if (pk->tcp_flags & (TCP_FIN | TCP_RST))
		flowtab_del(d->flows, f);
	if (block)
		nfqueue_verdict(d->q, p->id, NF_DROP, false, 0, NULL, 0);
	else
		verdict_pass(d, p);
}

static void on_dns(struct daemon *d, const struct nfqueue_packet *p,
		   const struct pkt_info *pk)
{
	if (pk->l4proto == IPPROTO_UDP)
		dns_udp(d, p, pk);
	else
		dns_tcp(d, p, pk);
}

/* ---- flows ---- */

static void judged(struct daemon *d, const struct nfqueue_packet *p,
		   const struct pkt_info *pk, const struct observation *ob,
		   const char *name)
{
	bool bad = ob->d.verdict == VERDICT_BLOCK;

	if (bad)
		event_emit(d, ob->kind == OBS_TLS    ? "tls"
			      : ob->kind == OBS_HTTP ? "http"
						     : "flow",
			   p->physindev, &pk->src, &pk->dst, pk->dport, name, &ob->d,
			   d->cfg.block);
	verdict_decided(d, p, bad && d->cfg.block);
}

static void flow_key_of(const struct pkt_info *pk, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->client = pk->src;
	k->server = pk->dst;
	k->cport = pk->sport;
	k->sport = pk->dport;
}

static void on_new_flow(struct daemon *d, const struct nfqueue_packet *p,
			const struct pkt_info *pk)
{
	struct observation ob;
	struct flow_key k;

	inspect_flow(&d->ins, owner_of(d, &pk->src, p->physindev), &pk->dst,
		     d->now, &ob);
	/* Judged by its address or the names this container resolved; a
	 * TCP flow to an address with no known name waits for SNI / Host. */
	if (ob.d.verdict != VERDICT_NONE || ob.nresolved ||
	    pk->l4proto != IPPROTO_TCP) {
		judged(d, p, pk, &ob, ob.nresolved ? ob.resolved[0] : NULL);
		return;
	}
	flow_key_of(pk, &k);
	flowtab_get(d->flows, &k, d->now, true);
	verdict_pass(d, p);
}

static void on_payload(struct daemon *d, const struct nfqueue_packet *p,
		       const struct pkt_info *pk)
{
	struct observation ob;
	struct flow_key k;
	struct flow *f;
	int r;

	flow_key_of(pk, &k);
	f = flowtab_get(d->flows, &k, d->now, false);
	/* A flow we never saw start (its conntrack entry was deleted after a
	 * list change, or egressd started later) and that carries no bytes
	 * to read: judge it by address and names now. So is every flow when
	 * the table is full. */
	if (!f && (!pk->payload_len ||
		   !(f = flowtab_get(d->flows, &k, d->now, true)))) {
		on_new_flow(d, p, pk);
		return;
	}
	r = reasm_add(&f->up, pk->tcp_seq, false, pk->payload,
		      pk->payload_len);
	if (r == -EAGAIN || !pk->payload_len) {
		verdict_pass(d, p);
		return;
	}
	r = inspect_stream(&d->ins, owner_of(d, &pk->src, p->physindev),
			   &pk->dst, f->up.buf,
			   f->up.len, d->now, &ob);
	if (r == -EAGAIN) {
		verdict_pass(d, p);
		return;
	}
	flowtab_del(d->flows, f);
	if (r) { /* not TLS or HTTP, or malformed: judge by address */
		inspect_flow(&d->ins, owner_of(d, &pk->src, p->physindev), &pk->dst,
		     d->now, &ob);
		judged(d, p, pk, &ob, NULL);
		return;
	}
	judged(d, p, pk, &ob,
	       ob.kind == OBS_TLS ? (ob.tls.has_sni ? ob.tls.sni : NULL)
				  : (ob.http.has_host ? ob.http.host : NULL));
}

static void on_packet(struct nfqueue *q, const struct nfqueue_packet *p, void *ctx)
{
	struct daemon *d = ctx;
	struct pkt_info pk;

	d->q = q;
	if (pkt_parse(p->data, p->len, &pk)) {
		d->malformed++;
		verdict_pass(d, p);
		return;
	}
	if (!pk.payload) /* ICMP, other protocols, later fragments */
		on_new_flow(d, p, &pk);
	else if ((pk.l4proto == IPPROTO_UDP || pk.l4proto == IPPROTO_TCP) &&
		 (pk.sport == 53 || pk.dport == 53))
		on_dns(d, p, &pk);
	else if (pk.l4proto == IPPROTO_TCP && (pk.tcp_flags & TCP_SYN))
		on_new_flow(d, p, &pk);
	else if (pk.l4proto == IPPROTO_TCP)
		on_payload(d, p, &pk);
	else
		on_new_flow(d, p, &pk);
}

/* ---- setup and loop ---- */

static void usage(FILE *f)
{
	fputs("usage: egressd run [--config FILE] [--state-dir DIR] [--socket PATH]\n"
	      "                   [--mode alert|block] [--fail-closed] [--queue N[-M]]\n"
	      "                   [--blacklist [FORMAT:]FILE]... [--whitelist [FORMAT:]FILE]...\n"
	      "                   [--container-if IFNAME]... [--ruleset FILE]\n",
	      f);
}

static int parse_flags(int argc, char **argv, struct config *c)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "mode", required_argument, NULL, 'm' },
		{ "fail-closed", no_argument, NULL, 'F' },
		{ "queue", required_argument, NULL, 'q' },
		{ "blacklist", required_argument, NULL, 'b' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "container-if", required_argument, NULL, 'i' },
		{ "ruleset", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const keys[128] = {
		['s'] = "state_dir", ['S'] = "socket", ['m'] = "mode",
		['q'] = "queue", ['b'] = "blacklist", ['w'] = "whitelist",
		['i'] = "container_if", ['r'] = "ruleset",
	};
	const char *cfgfile = "/etc/egressd/egressd.conf";
	bool cfg_given = false;
	char err[512];
	int ch;

	/* The config file first, whatever the order of the flags. */
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--config")) {
			cfgfile = argv[i + 1];
			cfg_given = true;
		}
	if (config_load(c, cfgfile, cfg_given, err, sizeof(err))) {
		fprintf(stderr, "egressd: %s\n", err);
		return 2;
	}
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'c')
			continue;
		if (ch == 'h') {
			usage(stdout);
			exit(0);
		}
		if (ch == 'F') {
			c->fail_closed = true;
			continue;
		}
		if (ch < 0 || ch >= 128 || !keys[ch]) {
			usage(stderr);
			return 2;
		}
		if (config_set(c, keys[ch], optarg, err, sizeof(err))) {
			fprintf(stderr, "egressd: --%s: %s\n", keys[ch], err);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static int load_policy(struct daemon *d, struct policy *ret)
{
	char err[512];

	if (policy_build(d->cfg.lists, d->cfg.nlists, ret, NULL, err,
			 sizeof(err))) {
		fprintf(stderr, "egressd: %s (lists not loaded)\n", err);
		return -EINVAL;
	}
	return 0;
}

/* Decisions reach the connection's mark through the packet mark and the
 * ruleset's forward_mark chain, which works on every kernel; NFQA_CT (a
 * connmark inside the verdict) would save that one rule where the kernel
 * has it. Probed and reported so the operator knows which kernel this is. */
static void report_ct_probe(struct nfqueue *q)
{
	int r = nfqueue_probe_conntrack(q);

	fprintf(stderr, "egressd: NFQA_CT %s; verdicts mark packets and the "
		"forward_mark chain copies the mark to the connection\n",
		r ? "not available" : "available");
}

static int setup_kernel(struct daemon *d)
{
	struct nft_queue_cfg qc = { d->cfg.queue_first, d->cfg.queue_count,
				    !d->cfg.fail_closed };
	const char *ifs[CONFIG_IFS_MAX];
	enum nft_queue_kind kind;
	char err[1024];

	if (nft_ruleset_load(d->cfg.ruleset, &d->cfg.marks, err, sizeof(err)) ||
	    nft_queue_rule_add(&qc, &kind, err, sizeof(err))) {
		fprintf(stderr, "egressd: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < d->cfg.nifs; i++)
		ifs[i] = d->cfg.ifs[i];
	if (nft_container_ifs_add(ifs, d->cfg.nifs, err, sizeof(err))) {
		fprintf(stderr, "egressd: container interfaces: %s\n", err);
		return -1;
	}
	fprintf(stderr, "egressd: ruleset loaded, queue %u (%u queues) via %s, %s\n",
		d->cfg.queue_first, d->cfg.queue_count,
		kind == NFT_QUEUE_NATIVE ? "nft queue" : "xt NFQUEUE (nft_compat)",
		d->cfg.fail_closed ? "fail-closed" : "fail-open (bypass)");
	if (d->cfg.queue_count > QUEUES_MAX) {
		fprintf(stderr, "egressd: at most %d queues\n", QUEUES_MAX);
		return -1;
	}
	for (d->nq = 0; d->nq < d->cfg.queue_count; d->nq++) {
		d->qs[d->nq] = nfqueue_open(
			(uint16_t)(d->cfg.queue_first + d->nq),
			d->cfg.queue_maxlen, !d->cfg.fail_closed, err,
			sizeof(err));
		if (!d->qs[d->nq]) {
			fprintf(stderr, "egressd: %s\n", err);
			return -1;
		}
	}
	report_ct_probe(d->qs[0]);
	return 0;
}

/* The kernel's own counters of the queues: packets dropped because the
 * queue was full (queue_dropped) or could not be sent to us
 * (user_dropped). Read from /proc only here, never on the packet path. */
static void kernel_queue_drops(const struct daemon *d, unsigned long *qd,
			       unsigned long *ud)
{
	unsigned num, portid, total, mode, range;
	unsigned long a, b, seq;
	char line[256];
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");

	*qd = *ud = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %u %u %u %lu %lu %lu", &num, &portid,
			   &total, &mode, &range, &a, &b, &seq) == 8 &&
		    num >= d->cfg.queue_first &&
		    num < d->cfg.queue_first + d->cfg.queue_count) {
			*qd += a;
			*ud += b;
		}
	if (f)
		fclose(f);
}

static void stats_log(const struct daemon *d, const char *when)
{
	unsigned long pk = 0, nb = 0, ve = 0, qd, ud;

	for (size_t i = 0; i < d->nq; i++) {
		const struct nfqueue_stats *st = nfqueue_get_stats(d->qs[i]);
		pk += st->packets;
		nb += st->enobufs;
		ve += st->verdict_errors;
	}
	kernel_queue_drops(d, &qd, &ud);
	fprintf(stderr,
		"egressd: %s: %lu packets, %lu ENOBUFS, %lu verdict errors, "
		"%lu malformed, queue drops %lu (full) %lu (user), "
		"%lu events dropped, %zu undecided flows\n",
		when, pk, nb, ve, d->malformed, qd, ud,
		d->events ? events_dropped(d->events) : 0,
		d->flows ? flowtab_size(d->flows) : 0);
}

/* An accepted connection the new lists forbid (by its address or the
 * names its container resolved for it) must not live on. */
static int judge_existing(const struct ip_addr *src, const struct ip_addr *dst,
			  uint16_t dport, void *ctx)
{
	struct daemon *d = ctx;
	struct observation ob;

	(void)dport;
	inspect_flow(&d->ins, owner_lookup(d, src), dst, d->now, &ob);
	if (ob.d.verdict == VERDICT_BLOCK)
		event_emit(d, "flow", 0, src, dst, dport,
			   ob.nresolved ? ob.resolved[0] : NULL, &ob.d,
			   d->cfg.block);
	return ob.d.verdict == VERDICT_BLOCK && d->cfg.block;
}

static void kill_forbidden(struct daemon *d)
{
	int n = ct_kill_forbidden(d->cfg.marks.mask, d->cfg.marks.allow,
				  d->cfg.marks.block, judge_existing, d);

	if (n < 0)
		fprintf(stderr, "egressd: conntrack walk failed: %s\n",
			strerror(-n));
	else if (n)
		fprintf(stderr, "egressd: %d connections cut after the list "
			"change\n", n);
}

static void reload(struct daemon *d)
{
	struct policy fresh;

	if (load_policy(d, &fresh)) {
		fprintf(stderr, "egressd: reload refused, old lists kept\n");
		return;
	}
	/* Single-threaded packet path: swap between two packets. */
	policy_free(&d->policy);
	d->policy = fresh;
	d->ins.policy = &d->policy;
	kill_forbidden(d);
	fprintf(stderr, "egressd: lists reloaded: %zu black, %zu white entries\n",
		match_set_domains(fresh.black) + match_set_networks(fresh.black),
		match_set_domains(fresh.white) + match_set_networks(fresh.white));
}

static void signals_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
}

/* Blocked before any thread starts, so that every thread inherits the
 * mask and the signals reach only the signalfd of the main loop. */
static void signals_block(void)
{
	sigset_t set;

	signals_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int signals_fd(void)
{
	sigset_t set;

	signals_set(&set);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Returns false when asked to stop. */
static bool on_signal(struct daemon *d, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else if (si.ssi_signo == SIGUSR1)
			stats_log(d, "stats");
		else
			return false;
	}
	return true;
}

/* Lost queue messages are never silent: said within seconds. */
static void report_losses(struct daemon *d)
{
	unsigned long nb = 0;

	for (size_t i = 0; i < d->nq; i++)
		nb += nfqueue_get_stats(d->qs[i])->enobufs;
	if (nb > d->enobufs_reported) {
		fprintf(stderr, "egressd: %lu queue messages lost (ENOBUFS): "
			"the kernel outran the reader\n",
			nb - d->enobufs_reported);
		d->enobufs_reported = nb;
	}
}

static int loop(struct daemon *d)
{
	struct pollfd pf[QUEUES_MAX + 1];
	uint64_t last_sweep = mono_s();
	size_t sig = d->nq;

	for (size_t i = 0; i < d->nq; i++)
		pf[i] = (struct pollfd){ nfqueue_fd(d->qs[i]), POLLIN, 0 };
	pf[sig] = (struct pollfd){ signals_fd(), POLLIN, 0 };

	fprintf(stderr, "egressd: running in %s mode\n",
		d->cfg.block ? "block" : "alert");
	for (;;) {
		if (poll(pf, sig + 1, 1000) < 0 && errno != EINTR)
			return -errno;
		d->now = mono_s();
		if (pf[sig].revents && !on_signal(d, pf[sig].fd))
			break;
		for (size_t i = 0; i < d->nq; i++)
			if (pf[i].revents &&
			    nfqueue_receive(d->qs[i], on_packet, d) < 0)
				fprintf(stderr, "egressd: queue read: %s\n",
					strerror(errno));
		if (d->now - last_sweep >= 5) {
			flowtab_expire(d->flows, d->now - FLOW_IDLE_S);
			report_losses(d);
			last_sweep = d->now;
		}
	}
	close(pf[sig].fd);
	return 0;
}

int daemon_main(int argc, char **argv)
{
	static struct daemon d;
	char err[512];
	int r;

	config_defaults(&d.cfg);
	r = parse_flags(argc, argv, &d.cfg);
	if (r)
		return r;
	if (geteuid() != 0) {
		fprintf(stderr, "egressd: run needs root (CAP_NET_ADMIN) to "
			"program nftables and read NFQUEUE\n");
		return 1;
	}
	signals_block();
	if (load_policy(&d, &d.policy))
		return 1;
	if (inspector_init(&d.ins, &d.policy, DNSCACHE_ENTRIES_DEFAULT,
			   d.cfg.ttl_floor) ||
	    !(d.flows = flowtab_new(FLOWS_MAX))) {
		fprintf(stderr, "egressd: out of memory\n");
		return 1;
	}
	d.ins.remember_blocked = !d.cfg.block;
	d.events = events_open(d.cfg.state_dir, err, sizeof(err));
	if (!d.events) {
		fprintf(stderr, "egressd: events: %s\n", err);
		return 1;
	}
	r = setup_kernel(&d) ? 1 : loop(&d) ? 1 : 0;
	stats_log(&d, "stopping");
	if (d.nq)
		fprintf(stderr, "egressd: ruleset left in place (%s)\n",
			d.cfg.fail_closed ? "fail-closed: undecided traffic drops"
					  : "bypass: traffic passes");
	for (size_t i = 0; i < d.nq; i++)
		nfqueue_close(d.qs[i]);
	events_close(d.events);
	flowtab_free(d.flows);
	inspector_fini(&d.ins);
	policy_free(&d.policy);
	return r;
}
