// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd replay: the parsers and the policy over a capture, offline. */
#include "replay.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/inspect.h"
#include "egressd/limits.h"
#include "egressd/pkt.h"
#include "egressd/policy.h"
#include "egressd/flowtab.h"
#include "egressd/reasm.h"
#include "jsonout.h"
#include "linkhdr.h"

struct replay {
	struct inspector ins;
	struct policy policy;
	bool have_lists, json;
	struct flowtab *flows;
	unsigned long packets, bad_packets, not_ip, flows_dropped;
	uint64_t now;
};

/* The capture's clients are told apart by address. */
static uint32_t owner_of(const struct ip_addr *a)
{
	return ip_addr_hash32(a);
}

static void key_of(const struct ip_addr *c, uint16_t cp,
		   const struct ip_addr *s, uint16_t sp, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->client = *c;
	k->server = *s;
	k->cport = cp;
	k->sport = sp;
}

/* Without the SYN, the side on a well-known port is the server. */
static bool src_is_client(const struct pkt_info *pk)
{
	if (pk->tcp_flags & TCP_SYN)
		return !(pk->tcp_flags & TCP_ACK);
	return pk->dport < 1024 && pk->sport >= 1024;
}

/* The packet's flow in either direction, created on first sight. */
static struct flow *flow_of(struct replay *rp, const struct pkt_info *pk,
			    bool *from_client)
{
	struct flow_key k;
	struct flow *f;

	key_of(&pk->src, pk->sport, &pk->dst, pk->dport, &k);
	if ((f = flowtab_get(rp->flows, &k, rp->now, false))) {
		*from_client = true;
		return f;
	}
	key_of(&pk->dst, pk->dport, &pk->src, pk->sport, &k);
	if ((f = flowtab_get(rp->flows, &k, rp->now, false))) {
		*from_client = false;
		return f;
	}
	*from_client = src_is_client(pk);
	if (*from_client)
		key_of(&pk->src, pk->sport, &pk->dst, pk->dport, &k);
	f = flowtab_get(rp->flows, &k, rp->now, true);
	if (!f)
		rp->flows_dropped++;
	return f;
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

/* Text form: key=value pairs in the JSON's order, arrays comma-joined. */
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
			fputs(it->valuestring, stdout);
			continue;
		}
		printf("%s=", it->string);
		if (cJSON_IsString(it)) {
			fputs(it->valuestring, stdout);
		} else if (cJSON_IsNumber(it)) {
			printf("%g", it->valuedouble);
		} else if (cJSON_IsBool(it)) {
			fputs(cJSON_IsTrue(it) ? "true" : "false", stdout);
		} else if (cJSON_IsNull(it)) {
			putchar('-');
		} else if (cJSON_IsArray(it)) {
			const cJSON *e;
			bool f2 = true;
			if (!cJSON_GetArraySize(it))
				putchar('-');
			cJSON_ArrayForEach(e, it)
			{
				printf("%s%s", f2 ? "" : ",", e->valuestring);
				f2 = false;
			}
		} else if (cJSON_IsObject(it)) { /* the rule */
			const cJSON *l = cJSON_GetObjectItem(it, "list");
			const cJSON *p = cJSON_GetObjectItem(it, "pattern");
			const cJSON *e;
			printf("%s:%s", l->valuestring, p->valuestring);
			cJSON_ArrayForEach(e, it)
			{
				if (e != l && e != p)
					printf(" %s=%s", e->string, e->valuestring);
			}
		}
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

static cJSON *obs_new(struct replay *rp, const char *kind)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", kind);
	(void)rp;
	return o;
}

static void emit_dns(struct replay *rp, const struct observation *ob,
		     const struct ip_addr *client)
{
	const struct dns_msg *m = ob->dns;
	char tb[16], addr[IP_ADDR_TEXT];
	cJSON *o, *a;

	if (!m->has_question)
		return;
	o = obs_new(rp, ob->kind == OBS_DNS_QUERY ? "dns_query" : "dns");
	cJSON_AddStringToObject(o, "qname", dns_name(m, m->qname));
	cJSON_AddStringToObject(o, "qtype", dns_type_name(m->qtype, tb, sizeof(tb)));
	if (ob->kind == OBS_DNS_ANSWER) {
		const struct dns_chain *ch = &ob->chain;
		cJSON_AddNumberToObject(o, "rcode", m->rcode);
		a = cJSON_AddArrayToObject(o, "cnames");
		for (unsigned i = 1; i < ch->n_names; i++)
			cJSON_AddItemToArray(a, cJSON_CreateString(
							dns_name(m, ch->names[i])));
		a = cJSON_AddArrayToObject(o, "addrs");
		for (unsigned i = 0; i < ch->n_addrs; i++) {
			ip_addr_format(&ch->addrs[i].addr, addr, sizeof(addr));
			cJSON_AddItemToArray(a, cJSON_CreateString(addr));
		}
		cJSON_AddNumberToObject(o, "ttl", ch->ttl);
	}
	json_add_endpoint(o, "client", client, 0);
	add_verdict(rp, o, &ob->d);
	emit(rp, o);
}

static void emit_stream(struct replay *rp, const struct observation *ob,
			const struct flow_key *f)
{
	cJSON *o;

	if (ob->kind == OBS_TLS) {
		const struct tls_hello *h = &ob->tls;
		const char *alpn[TLS_ALPN_MAX];
		o = obs_new(rp, "tls");
		if (h->has_sni)
			cJSON_AddStringToObject(o, "sni", h->sni);
		else
			cJSON_AddNullToObject(o, "sni");
		for (unsigned i = 0; i < h->n_alpn; i++)
			alpn[i] = h->alpn[i];
		add_strings(o, "alpn", alpn, h->n_alpn);
		cJSON_AddBoolToObject(o, "ech", h->ech);
	} else {
		o = obs_new(rp, "http");
		if (ob->http.has_host)
			cJSON_AddStringToObject(o, "host", ob->http.host);
		else
			cJSON_AddNullToObject(o, "host");
		cJSON_AddStringToObject(o, "method", ob->http.method);
	}
	json_add_endpoint(o, "dst", &f->server, f->sport);
	json_add_endpoint(o, "client", &f->client, 0);
	if (ob->nresolved)
		add_strings(o, "resolved", ob->resolved, ob->nresolved);
	add_verdict(rp, o, &ob->d);
	emit(rp, o);
}

/* ---- packets ---- */

static void on_dns(struct replay *rp, const struct ip_addr *client,
		   const uint8_t *msg, size_t len)
{
	struct observation ob;

	if (inspect_dns(&rp->ins, owner_of(client), msg, len, rp->now, &ob)) {
		rp->bad_packets++;
		return;
	}
	emit_dns(rp, &ob, client);
}

static void on_udp(struct replay *rp, const struct pkt_info *pk)
{
	if (pk->dport == 53)
		on_dns(rp, &pk->src, pk->payload, pk->payload_len);
	else if (pk->sport == 53)
		on_dns(rp, &pk->dst, pk->payload, pk->payload_len);
}

static void tcp_dns(struct replay *rp, struct flow *f, struct reasm *r)
{
	struct cursor s, msg;

	cursor_init(&s, r->buf, r->len);
	while (dns_tcp_next(&s, &msg) == 1)
		on_dns(rp, &f->key.client, cursor_ptr(&msg), cursor_left(&msg));
	reasm_consume(r, s.pos);
}

static void tcp_payload(struct replay *rp, struct flow *f)
{
	struct observation ob;
	int r;

	r = inspect_stream(&rp->ins, owner_of(&f->key.client), &f->key.server,
			   f->up.buf, f->up.len, rp->now, &ob);
	if (r == -EAGAIN)
		return;
	f->done = true;
	if (r == 0)
		emit_stream(rp, &ob, &f->key);
}

static void on_tcp(struct replay *rp, const struct pkt_info *pk)
{
	bool from_client, syn = pk->tcp_flags & TCP_SYN;
	struct flow *f = flow_of(rp, pk, &from_client);
	struct reasm *r;
	int e;

	if (!f || (f->done && f->key.sport != 53))
		return;
	r = from_client ? &f->up : &f->down;
	e = reasm_add(r, pk->tcp_seq, syn, pk->payload, pk->payload_len);
	if (e == -EAGAIN || (!pk->payload_len && !syn) || syn)
		return;
	if (f->key.sport == 53)
		tcp_dns(rp, f, r);
	else if (from_client)
		tcp_payload(rp, f);
}

static void on_packet(struct replay *rp, const uint8_t *ip, size_t len)
{
	struct pkt_info pk;

	if (pkt_parse(ip, len, &pk)) {
		rp->bad_packets++;
		return;
	}
	if (!pk.payload)
		return;
	if (pk.l4proto == IPPROTO_UDP)
		on_udp(rp, &pk);
	else if (pk.l4proto == IPPROTO_TCP)
		on_tcp(rp, &pk);
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
		rp->now = (uint64_t)h->ts.tv_sec;
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
	      "                      [--ttl-floor SECONDS]\n"
	      "Reads a capture and prints one line per DNS query, DNS answer,\n"
	      "TLS ClientHello and HTTP request; with lists, the verdict.\n"
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

static int parse_args(int argc, char **argv, struct replay *rp,
		      struct list_spec *specs, size_t *nspecs,
		      const char **pcap, uint32_t *ttl_floor)
{
	static const struct option opts[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "blacklist", required_argument, NULL, 'b' },
		{ "whitelist", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "ttl-floor", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "p:b:w:jt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			*pcap = optarg;
			break;
		case 'b':
		case 'w':
			if (add_spec(specs, nspecs, optarg, c == 'w'))
				return 2;
			break;
		case 'j':
			rp->json = true;
			break;
		case 't':
			*ttl_floor = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "egressd: bad --ttl-floor '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!*pcap || optind != argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

int replay_main(int argc, char **argv)
{
	static struct replay rp;
	struct list_spec specs[SPECS_MAX];
	size_t nspecs = 0;
	const char *pcap = NULL;
	uint32_t ttl_floor = DNS_TTL_FLOOR_DEFAULT;
	char err[512];
	int r;

	r = parse_args(argc, argv, &rp, specs, &nspecs, &pcap, &ttl_floor);
	if (r)
		return r;
	if (policy_build(specs, nspecs, &rp.policy, NULL, err, sizeof(err))) {
		fprintf(stderr, "egressd: %s (no list loaded)\n", err);
		return 2;
	}
	rp.have_lists = nspecs > 0;
	rp.flows = flowtab_new(REPLAY_FLOWS_MAX);
	if (!rp.flows || inspector_init(&rp.ins, &rp.policy,
					DNSCACHE_ENTRIES_DEFAULT, ttl_floor)) {
		fprintf(stderr, "egressd: out of memory\n");
		policy_free(&rp.policy);
		return 1;
	}
	r = read_capture(&rp, pcap);
	fflush(stdout);
	if (rp.bad_packets || rp.flows_dropped)
		fprintf(stderr,
			"egressd: %s: %lu packets, %lu not parsed, %lu flows "
			"over the limit\n",
			pcap, rp.packets, rp.bad_packets, rp.flows_dropped);
	flowtab_free(rp.flows);
	inspector_fini(&rp.ins);
	policy_free(&rp.policy);
	return r;
}
