// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd replay: the daemon's engine over a capture, offline. Each
 * packet goes to the same engine_packet the packet thread calls; what it
 * read (DNS, hellos, requests, QUIC, stratum, what it could not read) is
 * printed with the lists' verdict and the action the daemon would take. A
 * capture carries no conntrack marks: which side is the container is
 * taken from the SYN, else from DNS's port and the first packet seen. */
#include "replay.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/engine.h"
#include "egressd/flowtab.h"
#include "egressd/ipfrag.h"
#include "egressd/limits.h"
#include "egressd/pkt.h"
#include "egressd/policy.h"
#include "jsonout.h"
#include "linkhdr.h"

/* Observations of one packet at most (a DNS message over TCP may hold
 * several). */
#define PENDING_MAX 16

struct replay {
	struct engine *eng;
	struct engine_cfg cfg;
	struct ip_addr trusted[16];
	struct policy policy;
	bool have_lists, json;
	struct flowtab *sides; /* which end of a flow is the container */
	struct ipfrag *frags;
	unsigned long packets, bad_packets, not_ip, frag_pending;
	uint64_t now_ms;
	int64_t wall;
	cJSON *pending[PENDING_MAX];
	unsigned npending;
};

/* ---- which side is the container ---- */

static void key_of(const struct ip_addr *c, uint16_t cp,
		   const struct ip_addr *s, uint16_t sp, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->client = *c;
	k->server = *s;
	k->cport = cp;
	k->sport = sp;
}

/* A flow's first packet: a SYN's sender, DNS's asker, else the side not
 * on a well-known port, else the sender. */
static bool first_is_out(const struct pkt_info *pk)
{
	if (pk->l4proto == IPPROTO_TCP && (pk->tcp_flags & TCP_SYN))
		return !(pk->tcp_flags & TCP_ACK);
	if (pk->dport == 53 || pk->sport == 53)
		return pk->dport == 53;
	if (pk->dport < 1024 && pk->sport >= 1024)
		return true;
	if (pk->sport < 1024 && pk->dport >= 1024)
		return false;
	return true;
}

static enum engine_dir side_of(struct replay *rp, const struct pkt_info *pk)
{
	struct flow_key k;
	bool out;

	if (pk->l4proto != IPPROTO_TCP && pk->l4proto != IPPROTO_UDP)
		return ENGINE_OUT;
	key_of(&pk->src, pk->sport, &pk->dst, pk->dport, &k);
	if (flowtab_get(rp->sides, &k, rp->now_ms / 1000, false))
		return ENGINE_OUT;
	key_of(&pk->dst, pk->dport, &pk->src, pk->sport, &k);
	if (flowtab_get(rp->sides, &k, rp->now_ms / 1000, false))
		return ENGINE_IN;
	out = first_is_out(pk);
	if (out)
		key_of(&pk->src, pk->sport, &pk->dst, pk->dport, &k);
	flowtab_get(rp->sides, &k, rp->now_ms / 1000, true);
	return out ? ENGINE_OUT : ENGINE_IN;
}

/* ---- output ---- */

static void add_verdict(struct replay *rp, cJSON *o, const struct decision *d)
{
	cJSON *rule;

	if (!rp->have_lists)
		return;
	cJSON_AddStringToObject(o, "verdict", verdict_name(d->verdict));
	if (d->verdict == VERDICT_NONE)
		return;
	rule = cJSON_AddObjectToObject(o, "rule");
	cJSON_AddStringToObject(rule, "list",
				d->verdict == VERDICT_ALLOW ? "white" : "black");
	cJSON_AddStringToObject(rule, "source", d->hit.source->name);
	cJSON_AddStringToObject(rule, "pattern", d->hit.pattern);
	cJSON_AddStringToObject(rule, "category", d->hit.source->category);
	cJSON_AddStringToObject(rule, "matched", d->subject);
}

static void add_strings(cJSON *o, const char *key, const char *const *v,
			unsigned n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);

	for (unsigned i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

/* A string member's text, "-" for any other type: replay prints JSON it
 * built itself, but a type is checked before it is read. */
static const char *text_of(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "-";
}

static void print_scalar(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		printf("%g", v->valuedouble);
	else if (cJSON_IsBool(v))
		fputs(cJSON_IsTrue(v) ? "true" : "false", stdout);
	else
		fputs(text_of(v), stdout); /* null: "-" */
}

/* list:pattern, then the rule's other members as key=value. */
static void print_rule(const cJSON *it)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(it, "list");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "pattern");
	const cJSON *e;

	printf("%s:%s", text_of(l), text_of(p));
	cJSON_ArrayForEach(e, it)
	{
		if (e != l && e != p)
			printf(" %s=%s", e->string, text_of(e));
	}
}

/* An array comma-joined, "-" when empty. */
static void print_array(const cJSON *a)
{
	const cJSON *e;
	bool first = true;

	if (!cJSON_GetArraySize(a))
		putchar('-');
	cJSON_ArrayForEach(e, a)
	{
		if (!first)
			putchar(',');
		first = false;
		print_scalar(e);
	}
}

/* Text form: key=value pairs in the JSON's order, arrays comma-joined;
 * the kind first, bare. */
static void print_text(const cJSON *o)
{
	const cJSON *it;
	bool first = true;

	cJSON_ArrayForEach(it, o)
	{
		if (!first)
			putchar(' ');
		first = false;
		if (!strcmp(it->string, "kind")) {
			fputs(text_of(it), stdout);
			continue;
		}
		printf("%s=", it->string);
		if (cJSON_IsArray(it))
			print_array(it);
		else if (cJSON_IsObject(it))
			print_rule(it);
		else
			print_scalar(it);
	}
	putchar('\n');
}

static void emit(struct replay *rp, cJSON *o)
{
	char *s;

	if (rp->json) {
		s = cJSON_PrintUnformatted(o);
		if (s)
			puts(s);
		cJSON_free(s);
	} else {
		print_text(o);
	}
	cJSON_Delete(o);
}

static void dns_fields(cJSON *o, const struct observation *ob)
{
	const struct dns_msg *m = ob->dns;
	const struct dns_chain *ch = &ob->chain;
	char tb[16], addr[IP_ADDR_TEXT];
	cJSON *a;

	cJSON_AddStringToObject(o, "qname", dns_name(m, m->qname));
	cJSON_AddStringToObject(o, "qtype", dns_type_name(m->qtype, tb, sizeof(tb)));
	if (ob->kind != OBS_DNS_ANSWER)
		return;
	cJSON_AddNumberToObject(o, "rcode", m->rcode);
	a = cJSON_AddArrayToObject(o, "cnames");
	for (unsigned i = 1; i < ch->n_names; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(dns_name(m, ch->names[i])));
	a = cJSON_AddArrayToObject(o, "addrs");
	for (unsigned i = 0; i < ch->n_addrs; i++) {
		ip_addr_format(&ch->addrs[i].addr, addr, sizeof(addr));
		cJSON_AddItemToArray(a, cJSON_CreateString(addr));
	}
	cJSON_AddNumberToObject(o, "ttl", ch->ttl);
}

static void tls_fields(cJSON *o, const struct tls_hello *h)
{
	const char *alpn[TLS_ALPN_MAX];

	if (h->has_sni)
		cJSON_AddStringToObject(o, "sni", h->sni);
	else
		cJSON_AddNullToObject(o, "sni");
	for (unsigned i = 0; i < h->n_alpn; i++)
		alpn[i] = h->alpn[i];
	add_strings(o, "alpn", alpn, h->n_alpn);
	cJSON_AddBoolToObject(o, "ech", h->ech);
}

/* A QUIC hello: every name (a list), as the hello gave them. */
static void quic_fields(cJSON *o, const struct tls_hello *h)
{
	const char *v[TLS_SNI_MAX > TLS_ALPN_MAX ? TLS_SNI_MAX : TLS_ALPN_MAX];

	for (unsigned i = 0; i < h->nsni; i++)
		v[i] = h->sni_names[i];
	add_strings(o, "sni", v, h->nsni);
	for (unsigned i = 0; i < h->n_alpn; i++)
		v[i] = h->alpn[i];
	add_strings(o, "alpn", v, h->n_alpn);
	cJSON_AddBoolToObject(o, "ech", h->ech);
}

static void quic_incomplete_fields(cJSON *o, const struct observation *ob)
{
	cJSON_AddNumberToObject(o, "bytes", (double)ob->quic_bytes);
	cJSON_AddNumberToObject(o, "contig", (double)ob->quic_contig);
}

static void stratum_fields(cJSON *o, const struct stratum_req *s)
{
	static const char *const protos[] = { "?", "stratum", "cryptonote",
					      "ethproxy", "stratum-v2" };

	cJSON_AddStringToObject(o, "protocol", protos[s->proto < 5 ? s->proto : 0]);
	cJSON_AddStringToObject(o, "method", s->method);
	if (*s->agent)
		cJSON_AddStringToObject(o, "agent", s->agent);
	if (*s->worker)
		cJSON_AddStringToObject(o, "worker", s->worker);
	if (s->has_host)
		cJSON_AddStringToObject(o, "host", s->host);
}

static void http_fields(cJSON *o, const struct http_req *r)
{
	if (r->has_host)
		cJSON_AddStringToObject(o, "host", r->host);
	else
		cJSON_AddNullToObject(o, "host");
	cJSON_AddStringToObject(o, "method", r->method);
}

static const char *obs_kind_name(enum obs_kind k)
{
	static const char *const names[] = {
		[OBS_DNS_QUERY] = "dns_query", [OBS_DNS_ANSWER] = "dns",
		[OBS_TLS] = "tls", [OBS_HTTP] = "http", [OBS_QUIC] = "quic",
		[OBS_STRATUM] = "stratum", [OBS_FLOW] = "flow",
		[OBS_UNREADABLE] = "unreadable",
	};

	return names[k];
}

/* The engine's callback: what it read, as it read it (the packet's
 * action is added once the engine returns). */
static void observe(void *ctx, const struct observation *ob)
{
	struct replay *rp = ctx;
	cJSON *o;

	if (rp->npending == PENDING_MAX)
		return;
	if ((ob->kind == OBS_DNS_QUERY || ob->kind == OBS_DNS_ANSWER) &&
	    !ob->dns->has_question)
		return;
	if (ob->kind == OBS_FLOW && ob->d.verdict == VERDICT_NONE)
		return; /* a flow nothing says anything about */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", ob->kind == OBS_QUIC && ob->unreadable
						   ? "quic_incomplete"
						   : obs_kind_name(ob->kind));
	if (ob->kind == OBS_DNS_QUERY || ob->kind == OBS_DNS_ANSWER)
		dns_fields(o, ob);
	else if (ob->kind == OBS_QUIC && ob->unreadable)
		quic_incomplete_fields(o, ob);
	else if (ob->kind == OBS_QUIC)
		quic_fields(o, &ob->tls);
	else if (ob->kind == OBS_TLS)
		tls_fields(o, &ob->tls);
	else if (ob->kind == OBS_HTTP)
		http_fields(o, &ob->http);
	else if (ob->kind == OBS_STRATUM)
		stratum_fields(o, &ob->stratum);
	else if (ob->kind == OBS_UNREADABLE)
		cJSON_AddStringToObject(o, "why", ob->unreadable);
	if (ob->kind != OBS_DNS_QUERY && ob->kind != OBS_DNS_ANSWER)
		json_add_endpoint(o, "dst", &ob->dst, ob->dport);
	json_add_endpoint(o, "client", &ob->client, 0);
	if (ob->nresolved)
		add_strings(o, "resolved", ob->resolved, ob->nresolved);
	add_verdict(rp, o, &ob->d);
	rp->pending[rp->npending++] = o;
}

/* What the daemon does with the packet. */
static const char *action_name(const struct engine_out *out,
			       const struct pkt_info *pk)
{
	switch (out->verdict) {
	case ENG_BLOCK:
		return pk->l4proto == IPPROTO_TCP ? "reset" : "reject";
	case ENG_DROP:
		return "drop";
	case ENG_REWRITE:
		return "nxdomain";
	default:
		return "pass";
	}
}

static void flush(struct replay *rp, const struct engine_out *out,
		  const struct pkt_info *pk)
{
	for (unsigned i = 0; i < rp->npending; i++) {
		cJSON *o = rp->pending[i];
		if (rp->have_lists || out->verdict != ENG_ACCEPT)
			cJSON_AddStringToObject(o, "action", action_name(out, pk));
		if (out->nevents)
			cJSON_AddStringToObject(o, "event", event_kind_name(
							out->events[0].kind));
		emit(rp, o);
	}
	rp->npending = 0;
}

/* What engine_finish observed: no packet, no action. */
static void flush_end(struct replay *rp)
{
	for (unsigned i = 0; i < rp->npending; i++)
		emit(rp, rp->pending[i]);
	rp->npending = 0;
}

/* ---- packets ---- */

static void on_packet(struct replay *rp, const uint8_t *ip, size_t len)
{
	struct engine_out out;
	struct pkt_info pk;
	const uint8_t *whole = ip;
	size_t wlen = len;
	int r = ipfrag_add(rp->frags, ip, len, rp->now_ms, &whole, &wlen);

	if (r == -EAGAIN) {
		rp->frag_pending++;
		return; /* a fragment: the datagram comes whole later */
	}
	if (r < 0 || pkt_parse(whole, wlen, &pk)) {
		rp->bad_packets++;
		return;
	}
	struct engine_pkt in = {
		.data = whole,
		.len = wlen,
		.dir = side_of(rp, &pk),
		.now_ms = rp->now_ms,
		.wall = rp->wall,
	};
	engine_packet(rp->eng, &in, &out);
	flush(rp, &out, &pk);
}

/* ---- capture loop and command line ---- */

static int read_capture(struct replay *rp, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	const uint8_t *ip;
	size_t iplen;
	pcap_t *pc;
	int dlt, r;

	pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "egressd: %s: cannot read capture: %s\n", path,
			errbuf);
		return 2;
	}
	dlt = pcap_datalink(pc);
	if (!linkhdr_supported(dlt)) {
		fprintf(stderr, "egressd: %s: unsupported link type %s (%d)\n",
			path, pcap_datalink_val_to_name(dlt) ?: "?", dlt);
		pcap_close(pc);
		return 2;
	}
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		rp->packets++;
		rp->wall = (int64_t)h->ts.tv_sec;
		rp->now_ms = (uint64_t)h->ts.tv_sec * 1000 +
			     (uint64_t)h->ts.tv_usec / 1000;
		if (linkhdr_to_ip(dlt, data, h->caplen, &ip, &iplen)) {
			rp->not_ip++;
			continue;
		}
		on_packet(rp, ip, iplen);
	}
	if (r == -1) {
		fprintf(stderr,
			"egressd: %s: corrupt capture after %lu packets: %s\n",
			path, rp->packets, pcap_geterr(pc));
		pcap_close(pc);
		return 2;
	}
	pcap_close(pc);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: egressd replay --pcap FILE [--blacklist [FORMAT:]FILE]...\n"
	      "                      [--whitelist [FORMAT:]FILE]... [--json]\n"
	      "                      [--mode alert|block] [--ttl-floor SECONDS]\n"
	      "                      [--unreadable allow|alert|block]\n"
	      "                      [--dns-bypass allow|alert|block]\n"
	      "                      [--ech allow|alert|block]\n"
	      "                      [--trusted-resolvers all|none|ADDR,...]\n"
	      "Runs the daemon's engine over a capture and prints one line per\n"
	      "DNS query and answer, TLS and QUIC ClientHello, HTTP request,\n"
	      "stratum request, unreadable first message, and flow a list\n"
	      "names; with lists, the verdict and the action the daemon takes.\n"
	      "FORMAT: auto (default), domains, hosts, adblock, rpz, cidr.\n",
	      f);
}

#define SPECS_MAX 64

static int add_spec(struct list_spec *specs, size_t *n, char *arg, bool white)
{
	struct list_spec *s;
	char *colon = strchr(arg, ':');
	enum list_format fmt = LIST_FMT_AUTO;

	if (*n == SPECS_MAX) {
		fprintf(stderr, "egressd: too many list files (max %d)\n",
			SPECS_MAX);
		return -E2BIG;
	}
	if (colon) {
		*colon = 0;
		if (list_format_parse(arg, &fmt))
			*colon = ':'; /* a path that contains ':' */
		else
			arg = colon + 1;
	}
	s = &specs[(*n)++];
	*s = (struct list_spec){ .path = arg, .format = fmt, .white = white };
	return 0;
}

static int parse_action(const char *flag, const char *v, enum engine_action *ret)
{
	if (!strcmp(v, "allow"))
		*ret = ENGINE_ALLOW;
	else if (!strcmp(v, "alert"))
		*ret = ENGINE_ALERT;
	else if (!strcmp(v, "block"))
		*ret = ENGINE_BLOCK;
	else {
		fprintf(stderr, "egressd: bad --%s '%s' (allow, alert or "
			"block)\n", flag, v);
		return 2;
	}
	return 0;
}

/* "all" (the default: the capture's resolvers are the host's), "none",
 * or addresses separated by commas. */
static int parse_trusted(struct replay *rp, char *v)
{
	char *save = NULL;

	rp->cfg.trust_all = !strcmp(v, "all");
	rp->cfg.ntrusted = 0;
	if (rp->cfg.trust_all || !strcmp(v, "none"))
		return 0;
	for (char *t = strtok_r(v, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (rp->cfg.ntrusted == 16 ||
		    ip_addr_parse(t, &rp->trusted[rp->cfg.ntrusted++])) {
			fprintf(stderr, "egressd: bad --trusted-resolvers "
				"address '%s'\n", t);
			return 2;
		}
	return 0;
}

static int parse_mode(struct replay *rp, const char *v)
{
	if (strcmp(v, "alert") && strcmp(v, "block")) {
		fprintf(stderr, "egressd: bad --mode '%s' (alert or block)\n", v);
		return 2;
	}
	rp->cfg.block = !strcmp(v, "block");
	return 0;
}

static int parse_u32(const char *v, uint32_t *ret)
{
	char *end;
	unsigned long x = strtoul(v, &end, 10);

	if (*end || !*v || x > 86400) {
		fprintf(stderr, "egressd: bad --ttl-floor '%s'\n", v);
		return 2;
	}
	*ret = (uint32_t)x;
	return 0;
}

static int parse_one(int c, struct replay *rp, struct list_spec *specs,
		     size_t *nspecs, const char **pcap)
{
	switch (c) {
	case 'p':
		*pcap = optarg;
		return 0;
	case 'b':
	case 'w':
		return add_spec(specs, nspecs, optarg, c == 'w') ? 2 : 0;
	case 'j':
		rp->json = true;
		return 0;
	case 'm':
		return parse_mode(rp, optarg);
	case 't':
		return parse_u32(optarg, &rp->cfg.ttl_floor);
	case 'u':
		return parse_action("unreadable", optarg, &rp->cfg.unreadable);
	case 'd':
		return parse_action("dns-bypass", optarg, &rp->cfg.dns_bypass);
	case 'e':
		return parse_action("ech", optarg, &rp->cfg.ech);
	case 'r':
		return parse_trusted(rp, optarg);
	case 'h':
		usage(stdout);
		exit(0);
	default:
		usage(stderr);
		return 2;
	}
}

static int parse_args(int argc, char **argv, struct replay *rp,
		      struct list_spec *specs, size_t *nspecs,
		      const char **pcap)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "blacklist", required_argument, NULL, 'b' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "mode", required_argument, NULL, 'm' },
		{ "ttl-floor", required_argument, NULL, 't' },
		{ "unreadable", required_argument, NULL, 'u' },
		{ "dns-bypass", required_argument, NULL, 'd' },
		{ "ech", required_argument, NULL, 'e' },
		{ "trusted-resolvers", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "p:b:w:j", opts, NULL)) != -1)
		if ((r = parse_one(c, rp, specs, nspecs, pcap)))
			return r;
	if (!*pcap || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

/* The daemon's defaults (engine_cfg as `egressd run` fills it). */
static void defaults(struct replay *rp)
{
	rp->cfg = (struct engine_cfg){
		.ttl_floor = DNS_TTL_FLOOR_DEFAULT,
		.unreadable = ENGINE_ALERT,
		.dns_bypass = ENGINE_ALERT,
		.ech = ENGINE_ALLOW,
		.trust_all = true,
		.trusted = rp->trusted,
		.observe = observe,
		.observe_ctx = rp,
	};
}

static void report(struct replay *rp, const char *pcap)
{
	struct engine_stats st;

	engine_get_stats(rp->eng, &st);
	if (rp->bad_packets || st.malformed)
		fprintf(stderr,
			"egressd: %s: %lu packets, %lu not parsed, %lu "
			"malformed for the engine, %lu fragments\n",
			pcap, rp->packets, rp->bad_packets, st.malformed,
			rp->frag_pending);
}

int replay_main(int argc, char **argv)
{
	static struct replay rp;
	struct list_spec specs[SPECS_MAX];
	size_t nspecs = 0;
	const char *pcap = NULL;
	char err[512];
	int r;

	defaults(&rp);
	r = parse_args(argc, argv, &rp, specs, &nspecs, &pcap);
	if (r)
		return r;
	if (policy_build(specs, nspecs, &rp.policy, NULL, err, sizeof(err))) {
		fprintf(stderr, "egressd: %s (no list loaded)\n", err);
		return 2;
	}
	rp.have_lists = nspecs > 0;
	rp.sides = flowtab_new(REPLAY_FLOWS_MAX);
	rp.frags = ipfrag_new();
	rp.eng = engine_new(&rp.cfg, &rp.policy);
	if (!rp.sides || !rp.frags || !rp.eng) {
		fprintf(stderr, "egressd: out of memory\n");
		r = 1;
	} else {
		r = read_capture(&rp, pcap);
		engine_finish(rp.eng);
		flush_end(&rp);
		fflush(stdout);
		report(&rp, pcap);
	}
	engine_free(rp.eng);
	ipfrag_free(rp.frags);
	flowtab_free(rp.sides);
	policy_free(&rp.policy);
	return r;
}
