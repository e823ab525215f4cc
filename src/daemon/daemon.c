// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd run: settings, the ruleset, the queues, signals and the loop;
 * the packet path itself is datapath.c. */
#include "daemon.h"

#include <systemd/sd-daemon.h>
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "metrics.h"
#include "instance.h"
#include "policyload.h"
#include "datapath.h"
#include "resolvers.h"
#include "synmap.h"
#include "egressd/clock.h"
#include "sandbox.h"
#include "fleet_host.h"
#include "watchdog.h"
#include "egressd/ct.h"
#include "egressd/docker.h"
#include "egressd/isolation.h"

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
		log_err("%s\n", err);
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
			log_err("--%s: %s\n", keys[ch], err);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	config_finish(c);
	return 0;
}

/* At start: the list files and the store's own entries. */
/* A damaged store was set aside at start: said loudly, with what was
 * saved of it, never run on silently with invisible history. */
static void report_store(const struct store_open_report *rep)
{
	if (rep->vacuumed)
		log_info("store: compacted once for the disk "
			"budget (incremental auto-vacuum)\n");
	if (!rep->damaged)
		return;
	log_err("STORE DAMAGED (%s): set aside as %s, a fresh "
		"store started; salvaged %lld list entries, %lld imports, %lld "
		"audit lines, %lld events (%lld unreadable rows)\n",
		rep->why, rep->set_aside, (long long)rep->salvaged.lists,
		(long long)rep->salvaged.imports, (long long)rep->salvaged.audit,
		(long long)rep->salvaged.events, (long long)rep->salvaged.errors);
	if (rep->salvage_error)
		log_err("store: the salvage could not be kept: "
			"%s; the damaged store stays at %s\n",
			strerror(-rep->salvage_error), rep->set_aside);
}

/* At start: the store is checked (the first connection to it), then the
 * list files and the store's own entries are loaded. */
static int load_policy(struct daemon *d, struct policy *ret)
{
	struct store_open_report rep;
	struct store *st = NULL;
	char err[512] = "";
	int r;

	if (store_open_checked(d->cfg.state_dir, &st, &rep, err, sizeof(err))) {
		log_err("store: %s\n", err);
		return -EIO;
	}
	report_store(&rep);
	r = policy_load(&d->cfg, st, ret, err, sizeof(err));
	store_close(st);
	if (r) {
		log_err("%s (lists not loaded)\n", err);
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

	log_info("NFQA_CT %s; verdicts mark packets and the "
		"forward_mark chain copies the mark to the connection\n",
		r ? "not available" : "available");
}

/* The queues first: binding is checked, and a queue another program
 * holds stops egressd before its ruleset is touched. */
static int setup_queues(struct daemon *d)
{
	char err[512];

	if (d->cfg.queue_count > QUEUES_MAX) {
		log_err("at most %d queues\n", QUEUES_MAX);
		return -1;
	}
	for (d->nq = 0; d->nq < d->cfg.queue_count; d->nq++) {
		d->qs[d->nq] = nfqueue_open(
			(uint16_t)(d->cfg.queue_first + d->nq),
			d->cfg.queue_maxlen, !d->cfg.fail_closed, err,
			sizeof(err));
		if (!d->qs[d->nq]) {
			log_err("%s\n", err);
			return -1;
		}
	}
	report_ct_probe(d->qs[0]);
	return 0;
}

/* The host's own sockets: containers on the host's network are read by
 * their sockets' cgroup where the kernel can match it (hostnet.h). */
static int setup_hostnet(struct daemon *d)
{
	char err[512];

	if (hostnet_init(&d->hostnet, d->cfg.host_watch, err, sizeof(err))) {
		log_err("host sockets: %s\n", err);
		return -1;
	}
	if (d->hostnet.can_match)
		log_info("host-network containers: their sockets are told by "
			 "cgroup (nft socket cgroupv2); host processes %s\n",
			 d->cfg.host_watch ? "watched too" : "ignored");
	else if (d->cfg.host_watch)
		log_warn("host-network containers: this kernel cannot match "
			 "sockets by cgroup: every host socket is read "
			 "(host_processes = watch), each event names its "
			 "container by the socket's process; isolating a "
			 "host-network container is refused\n");
	else
		log_warn("host-network containers are NOT watched: this kernel "
			 "cannot match sockets by cgroup (nft socket cgroupv2 "
			 "needs Linux 5.13+ and a cgroup v2 hierarchy); set "
			 "host_processes = watch to read every host socket\n");
	return 0;
}

static int setup_ruleset(struct daemon *d, const struct isolation *iso)
{
	struct nft_queue_cfg qc = { d->cfg.queue_first, d->cfg.queue_count,
				    !d->cfg.fail_closed };
	const char *ifs[CONFIG_IFS_MAX];
	enum nft_queue_kind kind;
	bool syn_replaces;
	char err[1024];

	const char *isolated[ISOLATION_MAX];
	size_t niso = isolation_active_ifs(iso, isolated, ISOLATION_MAX);

	if (nft_ruleset_load(d->cfg.ruleset, &d->cfg.marks, isolated, niso, err,
			     sizeof(err)) ||
	    nft_syn_keep_add(&syn_replaces, err, sizeof(err)) ||
	    nft_queue_rule_add(&qc, &kind, err, sizeof(err))) {
		log_err("%s\n", err);
		return -1;
	}
	for (size_t i = 0; i < d->cfg.nifs; i++)
		ifs[i] = d->cfg.ifs[i];
	if (nft_container_ifs_add(ifs, d->cfg.nifs, err, sizeof(err))) {
		log_err("container interfaces: %s\n", err);
		return -1;
	}
	if (policy_listed_sync(&d->policy, err, sizeof(err))) {
		log_err("listed networks: %s\n", err);
		return -1;
	}
	d->queue_kind = kind;
	if (setup_hostnet(d))
		return -1;
	if (!syn_replaces)
		log_warn("the kernel cannot delete from a map in a rule: a "
			 "port reused within 10 s keeps the older connection's "
			 "SYN number (its stream is then read from the first "
			 "byte seen)\n");
	log_info("ruleset loaded, queue %u (%u queues) via %s, %s\n",
		d->cfg.queue_first, d->cfg.queue_count,
		kind == NFT_QUEUE_NATIVE ? "nft queue" : "xt NFQUEUE (nft_compat)",
		d->cfg.fail_closed ? "fail-closed (drop)" : "fail-open (bypass)");
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
	struct events_stats es = { 0 };
	struct engine_stats eng = { 0 };
	unsigned long sa, sm;

	for (size_t i = 0; i < d->nq; i++) {
		const struct nfqueue_stats *st = nfqueue_get_stats(d->qs[i]);
		pk += st->packets;
		nb += st->enobufs;
		ve += st->verdict_errors;
	}
	kernel_queue_drops(d, &qd, &ud);
	if (d->events)
		events_get_stats(d->events, &es);
	if (d->eng)
		engine_get_stats(d->eng, &eng);
	synmap_stats(d->synmap, &sa, &sm);
	log_info("%s: %lu packets, %lu ENOBUFS, %lu verdict errors, "
		"%lu malformed, queue drops %lu (full) %lu (user), "
		"events %lu queued, %lu counted into others, %lu dropped, "
		"%lu written, %lu store errors, %lu export errors, "
		"%lu attribution time-outs, %zu undecided flows\n",
		when, pk, nb, ve, eng.malformed, qd, ud, es.queued, es.coalesced,
		es.dropped, es.written, es.store_errors, es.export_errors,
		es.unattributed_timeouts, eng.flows);
	log_info("%s: engine: %lu packets, %lu malformed, %lu unreadable, "
		"%lu not DNS on port 53, %lu flows evicted (table full), "
		"%lu QUIC hellos incomplete; verdicts held %lu timed out, %lu "
		"not held (all slots busy); SYN sequence numbers asked %lu, "
		"not kept %lu, stale %lu\n",
		when, eng.packets, eng.malformed, eng.unreadable,
		eng.not_dns_on_53, eng.flows_evicted, eng.quic_incomplete,
		d->held_timeouts, d->held_full, sa, sm, eng.isn_stale);
}

/* Judges the connections the control thread collected against the new
 * lists (in memory: the DNS cache and the sets) and marks the few they
 * forbid. */
static void cut_forbidden(struct daemon *d, const struct ct_list *l)
{
	int n = 0;

	for (size_t i = 0; l && i < l->n; i++)
		if (datapath_judge_existing(&l->v[i].src, &l->v[i].dst,
					    l->v[i].dport, d) &&
		    !ct_mark(&l->v[i], d->cfg.marks.mask, d->cfg.marks.block))
			n++;
	if (n)
		log_warn("%d connections cut after the list "
			"change\n", n);
}

/* A new policy from the control thread (SIGHUP, or the operator's list
 * change): swapped between two packets, then connections it forbids are
 * cut. */
static void swap_policy(struct daemon *d, int fd)
{
	struct policy_update *u;

	while (read(fd, &u, sizeof(u)) == sizeof(u)) {
		struct policy old = d->policy;
		d->policy = u->policy;
		engine_set_policy(d->eng, &d->policy);
		policy_free(&old);
		cut_forbidden(d, u->accepted);
		ct_list_free(u->accepted);
		free(u);
		log_notice("lists loaded: %zu black, %zu white "
			"entries\n",
			match_set_domains(d->policy.black) +
				match_set_networks(d->policy.black),
			match_set_domains(d->policy.white) +
				match_set_networks(d->policy.white));
	}
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
		if (si.ssi_signo == SIGHUP) {
			ctl_request_reload(d->ctl);
			events_reopen(d->events);
		}
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
	unsigned long nb = 0, qd, ud;
	struct engine_stats st;

	for (size_t i = 0; i < d->nq; i++)
		nb += nfqueue_get_stats(d->qs[i])->enobufs;
	if (nb > d->enobufs_reported) {
		log_err("%lu queue messages lost (ENOBUFS): "
			"the kernel outran the reader\n",
			nb - d->enobufs_reported);
		d->enobufs_reported = nb;
	}
	engine_get_stats(d->eng, &st);
	if (st.flows_evicted > d->evicted_reported) {
		log_warn("flow table full: %lu undecided flows "
			"evicted since the last report (the least recently "
			"seen, for new ones: every new flow is still read)\n",
			st.flows_evicted - d->evicted_reported);
		d->evicted_reported = st.flows_evicted;
	}
	kernel_queue_drops(d, &qd, &ud);
	d->qdrop_full = qd;
	d->qdrop_user = ud;
	if (qd + ud > d->qdrops_reported) {
		log_err("%lu packets dropped by the kernel since "
			"the last report: the queue was full (a flood faster "
			"than egressd; they are dropped, never passed unseen)\n",
			qd + ud - d->qdrops_reported);
		d->qdrops_reported = qd + ud;
	}
}

/* The poll's time-out: the watchdog's tick, or sooner when a held
 * verdict's deadline comes first. */
static int poll_timeout(const struct daemon *d)
{
	uint64_t first = UINT64_MAX;

	for (size_t i = 0; i < HELD_MAX && d->nheld; i++)
		if (d->held[i].token && d->held[i].deadline_ms < first)
			first = d->held[i].deadline_ms;
	if (first == UINT64_MAX)
		return WATCHDOG_TICK_MS;
	if (first <= d->now_ms)
		return 0;
	return first - d->now_ms < WATCHDOG_TICK_MS ? (int)(first - d->now_ms)
						    : WATCHDOG_TICK_MS;
}

static void clock_update(struct daemon *d)
{
	d->now_ms = clock_mono_ms();
	d->now = d->now_ms / 1000;
}

/* The counters for `egressctl status` and /metrics, once a second: all
 * in memory, nothing read from the kernel here. */
static void publish(struct daemon *d)
{
	struct status_counters c = { 0 };
	struct events_stats es = { 0 };
	struct engine_stats eng = { 0 };

	if (d->now_ms - d->published_ms < 1000 && d->published_ms)
		return;
	for (size_t i = 0; i < d->nq; i++) {
		const struct nfqueue_stats *st = nfqueue_get_stats(d->qs[i]);
		c.packets += st->packets;
		c.enobufs += st->enobufs;
		c.verdict_errors += st->verdict_errors;
	}
	engine_get_stats(d->eng, &eng);
	events_get_stats(d->events, &es);
	c.malformed = eng.malformed;
	c.unreadable = eng.unreadable;
	c.queue_full = d->qdrop_full;
	c.queue_user = d->qdrop_user;
	memcpy(c.by_kind, d->by_kind, sizeof(c.by_kind));
	memcpy(c.verdicts, d->verdicts, sizeof(c.verdicts));
	c.events_queued = es.queued;
	c.events_coalesced = es.coalesced;
	c.events_dropped = es.dropped;
	c.events_written = es.written;
	c.store_errors = es.store_errors;
	c.export_errors = es.export_errors;
	c.held_timeouts = d->held_timeouts;
	c.held_full = d->held_full;
	c.flows_evicted = eng.flows_evicted;
	c.flows = eng.flows;
	c.dns_cache_entries = eng.dns_entries;
	c.host_packets = d->host_packets;
	c.host_ignored = es.host_ignored;
	c.published_ms = d->now_ms;
	status_publish(&d->board, &c);
	d->published_ms = d->now_ms;
}

/* Every few seconds: idle flows, losses, the watchdog's own health. */
static void upkeep(struct daemon *d, uint64_t *last)
{
	if (d->now - *last < 5)
		return;
	engine_expire(d->eng, d->now_ms);
	report_losses(d);
	watchdog_check(d->wd);
	*last = d->now;
}

static int loop(struct daemon *d)
{
	struct pollfd pf[QUEUES_MAX + 3];
	uint64_t last_sweep;
	size_t sig = d->nq, pol = d->nq + 1, rel = d->nq + 2;

	clock_update(d);
	last_sweep = d->now;
	for (size_t i = 0; i < d->nq; i++)
		pf[i] = (struct pollfd){ nfqueue_fd(d->qs[i]), POLLIN, 0 };
	pf[sig] = (struct pollfd){ signals_fd(), POLLIN, 0 };
	pf[pol] = (struct pollfd){ ctl_policy_fd(d->ctl), POLLIN, 0 };
	pf[rel] = (struct pollfd){ d->release[0], POLLIN, 0 };

	log_notice("running in %s mode\n",
		d->cfg.block ? "block" : "alert");
	for (;;) {
		if (poll(pf, rel + 1, poll_timeout(d)) < 0 && errno != EINTR)
			return -errno;
		watchdog_beat(d->wd);
		clock_update(d);
		if (pf[sig].revents && !on_signal(d, pf[sig].fd))
			break;
		if (pf[pol].revents)
			swap_policy(d, pf[pol].fd);
		if (pf[rel].revents)
			datapath_release(d);
		for (size_t i = 0; i < d->nq; i++)
			if (pf[i].revents &&
			    nfqueue_receive(d->qs[i], datapath_on_packet, d) < 0)
				log_err("queue read: %s\n",
					strerror(errno));
		datapath_expire_held(d);
		upkeep(d, &last_sweep);
		publish(d);
	}
	close(pf[sig].fd);
	return 0;
}

/* What is touched only after every check passed: the kernel (queues
 * bound first, checked, then the ruleset), the control socket. */
/* The metrics socket, while sockets may still be made. Metrics that
 * cannot be served (the port taken) are said loudly, and egressd runs
 * on without them: enforcement never waits for monitoring. */
static void setup_metrics(struct daemon *d)
{
	char err[256];

	d->metrics_fd = -1;
	if (!d->cfg.metrics_listen[0])
		return;
	d->metrics_fd = metrics_listen(d->cfg.metrics_listen, err, sizeof(err));
	if (d->metrics_fd < 0)
		log_warn("WARNING: no metrics: %s\n", err);
}

static int setup_privileged(struct daemon *d, const struct isolation *iso,
			    struct ctl **ret_ctl)
{
	char err[512] = "";

	if (setup_queues(d) || setup_ruleset(d, iso))
		return -1;
	*ret_ctl = ctl_bind(&d->cfg, err, sizeof(err));
	if (!*ret_ctl) {
		log_err("%s\n", err);
		return -1;
	}
	setup_metrics(d);
	return 0;
}

/* The resolvers whose answers may unblock a listed address: the
 * configured ones, or (auto) the host's and its runtimes'. */
static size_t trusted_resolvers(struct daemon *d)
{
	char text[IP_ADDR_TEXT], line[512] = "";
	size_t n = d->cfg.ntrusted;

	if (d->cfg.trusted_auto)
		n = d->cfg.ntrusted = resolvers_host("", d->cfg.trusted,
						     CONFIG_TRUSTED_MAX);
	for (size_t i = 0; i < n; i++) {
		ip_addr_format(&d->cfg.trusted[i], text, sizeof(text));
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
			 "%s%s", i ? ", " : "", text);
	}
	log_info("trusted resolvers%s: %s\n",
		d->cfg.trusted_auto ? " (the host's)" : "", n ? line : "none");
	return n;
}

static const char *action_name(enum engine_action a)
{
	return a == ENGINE_BLOCK ? "block" : a == ENGINE_ALERT ? "alert"
							       : "allow";
}

static int setup_memory(struct daemon *d)
{
	struct engine_cfg ec = {
		.block = d->cfg.block,
		.ttl_floor = d->cfg.ttl_floor,
		.unreadable = d->cfg.unreadable,
		.dns_bypass = d->cfg.dns_bypass,
		.ech = d->cfg.ech,
		.trusted = d->cfg.trusted,
	};

	ec.ntrusted = trusted_resolvers(d);
	/* Without it reading starts at the first byte seen: said, not
	 * fatal. */
	d->synmap = synmap_open();
	if (!d->synmap)
		log_err("cannot open the netlink socket for "
			"SYN sequence numbers: streams are read from the first "
			"byte seen\n");
	ec.tcp_isn = d->synmap ? synmap_get : NULL;
	ec.tcp_isn_ctx = d->synmap;
	log_info("unreadable = %s, dns_bypass = %s, ech = %s\n",
		action_name(ec.unreadable), action_name(ec.dns_bypass),
		action_name(ec.ech));
	d->eng = engine_new(&ec, &d->policy);
	if (!d->eng || pipe2(d->release, O_NONBLOCK | O_CLOEXEC)) {
		log_err("out of memory\n");
		return -1;
	}
	return 0;
}

/* After the checks and the kernel set-up (a second instance never starts
 * one), before any thread (it forks) and before privileges go. */
static int start_watchdog(struct daemon *d)
{
	int r = watchdog_start(d->cfg.watchdog_timeout_s * 1000,
			       d->cfg.fail_closed, d->cfg.sandbox, &d->wd);

	if (r)
		log_err("watchdog: %s\n", strerror(-r));
	return r;
}

static void rescan_cb(void *ctl)
{
	ctl_request_rescan(ctl);
}

/* The store and events.jsonl are opened while still privileged; the
 * writer starts later, with the others. */
static int open_events(struct daemon *d, struct ctl *ctl)
{
	const char *bridges[CONFIG_IFS_MAX];
	char err[512] = "";

	for (size_t i = 0; i < d->cfg.nifs; i++)
		bridges[i] = d->cfg.ifs[i];
	struct events_options eo = {
		.bridges = bridges,
		.nbridges = d->cfg.nifs,
		.retention_days = d->cfg.retention_days,
		.max_state_bytes = (uint64_t)d->cfg.max_state_mb << 20,
		.syslog = d->cfg.syslog,
		.rescan = rescan_cb,
		.rescan_ctx = ctl,
		.redact = &d->cfg.redact,
		.host_watch = d->cfg.host_watch,
		.release = datapath_attributed,
		.release_ctx = d,
	};
	d->events = events_open(d->cfg.state_dir, &eo, err, sizeof(err));
	if (!d->events) {
		log_err("events: %s\n", err);
		return -1;
	}
	return 0;
}

/* Least privilege from here on (sandbox.h): the ruleset is loaded, the
 * queues bound, the control socket bound and chowned, the store and
 * events.jsonl open, the watchdog forked, and no other thread runs. */
static int sandbox_enter(const struct config *cfg, const struct watchdog *wd)
{
	char caps[256];
	int r;

	if (!cfg->sandbox) {
		log_warn("sandbox off (sandbox = no): every "
			"capability, no syscall filter\n");
		return 0;
	}
	sandbox_allow_kill(watchdog_pid(wd));
	sandbox_allow_inet(cfg->fleet_dsn[0] != 0);
	r = sandbox_drop_caps(SANDBOX_DAEMON);
	if (r) {
		log_err("sandbox: cannot drop capabilities: "
			"%s\n", strerror(-r));
		return -1;
	}
	r = sandbox_seccomp(SANDBOX_DAEMON);
	if (r < 0) {
		log_err("sandbox: cannot load the syscall "
			"filter: %s\n", strerror(-r));
		return -1;
	}
	sandbox_caps_text(SANDBOX_DAEMON, caps, sizeof(caps));
	log_info("sandbox: kept %s; %d syscalls allowed "
		"(seccomp, no_new_privs)\n", caps, r);
	return 0;
}

/* The writer and the control threads start after sandbox_enter: they
 * inherit its capabilities and filter. */
static int start_threads(struct daemon *d, struct ctl *ctl,
			 struct isolation *iso)
{
	char err[512] = "";

	if (events_start(d->events)) {
		log_err("cannot start the event writer\n");
		return -1;
	}
	ctl_set_status(ctl, &d->board, &d->cats,
		       d->queue_kind == NFT_QUEUE_NATIVE ? "native" : "compat");
	ctl_set_hostnet(ctl, &d->hostnet);
	if (d->cfg.fleet_dsn[0]) {
		d->fleet = fleet_host_new(&d->cfg, err, sizeof(err));
		if (!d->fleet) {
			log_err("fleet: %s\n", err);
			return -1;
		}
		ctl_set_fleet(ctl, fleet_host_status_json, d->fleet);
	}
	if (ctl_start(ctl, iso, &d->policy, err, sizeof(err))) {
		log_err("%s\n", err);
		return -1;
	}
	/* After the control plane: its commands run through it. PostgreSQL
	 * unreachable is no error here: the thread retries. */
	if (d->fleet && fleet_host_start(d->fleet, ctl)) {
		log_err("fleet: cannot start the fleet thread\n");
		return -1;
	}
	if (d->metrics_fd >= 0) {
		d->metrics = metrics_start(d->metrics_fd, ctl, err, sizeof(err));
		d->metrics_fd = -1;
		if (d->metrics)
			log_info("metrics on http://%s/metrics\n",
				d->cfg.metrics_listen);
		else
			log_warn("WARNING: no metrics: %s\n",
				err);
	}
	return 0;
}

/* Everything that can be checked before the kernel or the socket are
 * touched: another instance, the socket path, the store, the lists. */
static int preflight(struct daemon *d, struct instance *in,
		     struct isolation *iso)
{
	char err[512] = "";

	if (instance_claim(in, d->cfg.state_dir, err, sizeof(err)) ||
	    ctl_socket_check(d->cfg.socket, err, sizeof(err))) {
		log_err("%s\n", err);
		return -1;
	}
	if (load_policy(d, &d->policy) || setup_memory(d))
		return -1;
	if (isolation_load(iso, d->cfg.state_dir, err, sizeof(err))) {
		log_err("isolation state: %s\n", err);
		return -1;
	}
	return 0;
}

/* egressd check-config: the settings and every list, as `run` would
 * take them; touches nothing (no store, no kernel, no socket). */
int daemon_check_config(int argc, char **argv)
{
	static struct config cfg;
	struct policy p;
	char err[512] = "";
	size_t white, black;
	int r;

	config_defaults(&cfg);
	r = parse_flags(argc, argv, &cfg);
	if (r)
		return r;
	if (access(cfg.ruleset, R_OK)) {
		log_err("ruleset %s: %s\n", cfg.ruleset,
			strerror(errno));
		return 1;
	}
	if (policy_load(&cfg, NULL, &p, err, sizeof(err))) {
		log_err("%s (lists refused)\n", err);
		return 1;
	}
	black = match_set_domains(p.black) + match_set_networks(p.black);
	white = match_set_domains(p.white) + match_set_networks(p.white);
	policy_free(&p);
	printf("egressd: configuration valid: %s mode, %s, %zu container "
	       "interfaces, lists %zu black and %zu white entries (the store's "
	       "own entries not counted)\n", cfg.block ? "block" : "alert",
	       cfg.fail_closed ? "fail-closed" : "fail-open", cfg.nifs, black,
	       white);
	return 0;
}

int daemon_main(int argc, char **argv)
{
	static struct daemon d;
	static struct isolation isolation;
	struct isolation *iso = &isolation;
	struct instance inst = { -1, -1 };
	struct ctl *ctl = NULL;
	int r;

	/* A client that goes away must never take the daemon with it:
	 * every send also says MSG_NOSIGNAL, this is the net below. */
	signal(SIGPIPE, SIG_IGN);
	umask(027);
	log_init();
	config_defaults(&d.cfg);
	d.metrics_fd = -1;
	r = parse_flags(argc, argv, &d.cfg);
	if (r)
		return r;
	log_set_level((enum log_prio)d.cfg.log_level);
	if (geteuid() != 0) {
		log_err("run needs root (CAP_NET_ADMIN) to "
			"program nftables and read NFQUEUE\n");
		return 1;
	}
	signals_block();
	/* libcurl (the Docker client) before any thread, the watchdog's
	 * fork and the sandbox: it is not to be set up later. */
	if (docker_global_init()) {
		log_err("cannot initialise libcurl\n");
		return 1;
	}
	r = preflight(&d, &inst, iso) || setup_privileged(&d, iso, &ctl) ||
	    start_watchdog(&d) || open_events(&d, ctl) ||
	    sandbox_enter(&d.cfg, d.wd) || start_threads(&d, ctl, iso);
	d.ctl = ctl;
	if (!r) {
		/* systemd (Type=notify): the ruleset, the queues and every
		 * thread are in place; a no-op when not started by it. */
		sd_notifyf(0, "READY=1\nSTATUS=%s mode, fail-%s",
			   d.cfg.block ? "block" : "alert",
			   d.cfg.fail_closed ? "closed" : "open");
		r = loop(&d) ? 1 : 0;
		sd_notify(0, "STOPPING=1");
	}
	else
		r = 1;
	stats_log(&d, "stopping");
	/* The writer before the control plane: it asks ctl for rescans (an
	 * event from an unknown source) until it has drained its queue. */
	metrics_stop(d.metrics); /* it asks ctl */
	fleet_host_stop(d.fleet); /* it runs commands through ctl */
	d.metrics = NULL;
	events_close(d.events);
	d.events = NULL;
	ctl_stop(ctl);
	d.ctl = NULL;
	fleet_host_free(d.fleet); /* ctl showed its status until now */
	d.fleet = NULL;
	if (d.eng)
		datapath_flush_held(&d);
	if (d.nq)
		log_warn("ruleset left in place (%s)\n",
			d.cfg.fail_closed ? "fail-closed: undecided traffic drops"
					  : "bypass: traffic passes");
	for (size_t i = 0; i < d.nq; i++)
		nfqueue_close(d.qs[i]);
	watchdog_stop(d.wd);
	engine_free(d.eng);
	synmap_close(d.synmap);
	policy_free(&d.policy);
	instance_release(&inst);
	docker_global_cleanup(); /* every thread has ended */
	return r;
}
