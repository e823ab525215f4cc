// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd run: the ruleset, the queue loop, verdicts and events. */
#include "daemon.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h> /* before the linux/ headers: libc-compat */
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

struct daemon {
	struct config cfg;
	struct policy policy;
	struct inspector ins;
	struct flowtab *flows;
	struct events *events;
	struct nfqueue *q;
	uint64_t now;
	unsigned long malformed;
	uint8_t rewrite[0xffff];
};

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static uint32_t owner_of(const struct ip_addr *a)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h ^ a->family;
}

/* ---- events ---- */

static void event_emit(struct daemon *d, const char *kind,
		       const struct ip_addr *client, const struct ip_addr *dst,
		       uint16_t dport, const char *name,
		       const struct decision *dec, bool blocked)
{
	char t[IP_ADDR_TEXT], *s;
	cJSON *o = cJSON_CreateObject(), *r;

	cJSON_AddNumberToObject(o, "time", (double)time(NULL));
	cJSON_AddStringToObject(o, "kind", kind);
	ip_addr_format(client, t, sizeof(t));
	cJSON_AddStringToObject(o, "container_ip", t);
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

/* A decided flow: its connection carries the decision from now on. */
static void verdict_decided(struct daemon *d, const struct nfqueue_packet *p,
			    bool block)
{
	uint32_t bits = block ? d->cfg.marks.block : d->cfg.marks.allow;

	nfqueue_verdict(d->q, p->id, block ? NF_DROP : NF_ACCEPT, true,
		    mark_with(d, p->mark, bits), NULL, 0);
}

static void verdict_pass(struct daemon *d, const struct nfqueue_packet *p)
{
	nfqueue_verdict(d->q, p->id, NF_ACCEPT, false, 0, NULL, 0);
}

/* ---- DNS ---- */

static void on_dns(struct daemon *d, const struct nfqueue_packet *p,
		   const struct pkt_info *pk)
{
	bool answer = pk->sport == 53;
	const struct ip_addr *client = answer ? &pk->dst : &pk->src;
	struct observation ob;
	int n;

	if (pk->l4proto != IPPROTO_UDP ||
	    inspect_dns(&d->ins, owner_of(client), pk->payload,
			pk->payload_len, d->now, &ob)) {
		/* DNS over TCP is read by the replay; on the live path its
		 * reassembly is still to come: pass it (counted). */
		d->malformed += pk->l4proto == IPPROTO_UDP;
		verdict_pass(d, p);
		return;
	}
	if (ob.d.verdict != VERDICT_BLOCK || !ob.dns->has_question) {
		verdict_pass(d, p);
		return;
	}
	if (!answer) { /* the answer is where block mode acts */
		event_emit(d, "dns_query", client, &pk->dst, pk->dport,
			   dns_name(ob.dns, ob.dns->qname), &ob.d, d->cfg.block);
		verdict_pass(d, p);
		return;
	}
	if (!d->cfg.block || p->len > sizeof(d->rewrite)) {
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
			   &pk->src, &pk->dst, pk->dport, name, &ob->d,
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

	inspect_flow(&d->ins, owner_of(&pk->src), &pk->dst, d->now, &ob);
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
	f = flowtab_get(d->flows, &k, d->now, true);
	if (!f) { /* table full: judge by address alone */
		on_new_flow(d, p, pk);
		return;
	}
	r = reasm_add(&f->up, pk->tcp_seq, false, pk->payload,
		      pk->payload_len);
	if (r == -EAGAIN || !pk->payload_len) {
		verdict_pass(d, p);
		return;
	}
	r = inspect_stream(&d->ins, owner_of(&pk->src), &pk->dst, f->up.buf,
			   f->up.len, d->now, &ob);
	if (r == -EAGAIN) {
		verdict_pass(d, p);
		return;
	}
	flowtab_del(d->flows, f);
	if (r) { /* not TLS or HTTP, or malformed: judge by address */
		inspect_flow(&d->ins, owner_of(&pk->src), &pk->dst, d->now, &ob);
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

	(void)q;
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
	if (d->cfg.queue_count > 1)
		fprintf(stderr, "egressd: note: this version reads queue %u only; "
			"flows hashed to the others bypass or drop\n",
			d->cfg.queue_first);
	d->q = nfqueue_open(d->cfg.queue_first, d->cfg.queue_maxlen,
			!d->cfg.fail_closed, err, sizeof(err));
	if (!d->q) {
		fprintf(stderr, "egressd: %s\n", err);
		return -1;
	}
	return 0;
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
		else
			return false;
	}
	return true;
}

static int loop(struct daemon *d)
{
	struct pollfd pf[2] = { { nfqueue_fd(d->q), POLLIN, 0 },
				{ signals_fd(), POLLIN, 0 } };
	uint64_t last_sweep = mono_s();

	fprintf(stderr, "egressd: running in %s mode\n",
		d->cfg.block ? "block" : "alert");
	for (;;) {
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			return -errno;
		d->now = mono_s();
		if (pf[1].revents && !on_signal(d, pf[1].fd))
			break;
		if (pf[0].revents && nfqueue_receive(d->q, on_packet, d) < 0)
			fprintf(stderr, "egressd: queue read: %s\n", strerror(errno));
		if (d->now - last_sweep >= 5) {
			flowtab_expire(d->flows, d->now - FLOW_IDLE_S);
			last_sweep = d->now;
		}
	}
	close(pf[1].fd);
	return 0;
}

int daemon_main(int argc, char **argv)
{
	static struct daemon d;
	const struct nfqueue_stats *st;
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
	d.events = events_open(d.cfg.state_dir, err, sizeof(err));
	if (!d.events) {
		fprintf(stderr, "egressd: events: %s\n", err);
		return 1;
	}
	r = setup_kernel(&d) ? 1 : loop(&d) ? 1 : 0;
	if (d.q) {
		st = nfqueue_get_stats(d.q);
		fprintf(stderr, "egressd: stopping: %lu packets, %lu ENOBUFS, "
			"%lu verdict errors, %lu malformed, %lu events dropped; "
			"ruleset left in place (%s)\n",
			st->packets, st->enobufs, st->verdict_errors, d.malformed,
			events_dropped(d.events),
			d.cfg.fail_closed ? "fail-closed: undecided traffic drops"
					  : "bypass: traffic passes");
	}
	nfqueue_close(d.q);
	events_close(d.events);
	flowtab_free(d.flows);
	inspector_fini(&d.ins);
	policy_free(&d.policy);
	return r;
}
