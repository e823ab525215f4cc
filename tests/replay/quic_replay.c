// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs the QUIC reader over the UDP datagrams of a capture, one struct
 * quic_flow per UDP flow (a new one when a datagram belongs to another
 * connection), and prints what it read, in the .expect format of
 * tests/data/captures (see QUIC.md there):
 *
 *   quic sni=<names> alpn=<list> ech=<0|1> dst=<ip:port>
 *        when a connection's ClientHello is complete;
 *   quic incomplete bytes=<n> contig=<n> dst=<ip:port>
 *        for each connection whose hello never was, after the hellos, in
 *        the order of the connections' first datagrams.
 *
 * With -v, one line per datagram (after '#') tells what the reader
 * answered. The test is tests/replay/check_quic_captures.py. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "egressd/pkt.h"
#include "egressd/quic.h"
#include "linkhdr.h"

#define FLOWS_MAX 256

struct flow {
	struct ip_addr src, dst;
	uint16_t sport, dport;
	struct quic_flow q;
	unsigned first_frame; /* of the connection */
	bool done; /* the hello was printed */
};

struct incomplete {
	unsigned first_frame;
	size_t bytes, contig;
	char dst[64];
};

static struct flow flows[FLOWS_MAX];
static unsigned nflows;
static struct incomplete incompletes[FLOWS_MAX];
static unsigned nincompletes;
static int verbose;

static struct flow *flow_get(const struct pkt_info *pk)
{
	for (unsigned i = 0; i < nflows; i++) {
		struct flow *f = &flows[i];
		if (f->sport == pk->sport && f->dport == pk->dport &&
		    ip_addr_equal(&f->src, &pk->src) &&
		    ip_addr_equal(&f->dst, &pk->dst))
			return f;
	}
	if (nflows == FLOWS_MAX)
		return NULL;
	flows[nflows] = (struct flow){ .src = pk->src, .dst = pk->dst,
				       .sport = pk->sport,
				       .dport = pk->dport };
	return &flows[nflows++];
}

static void print_hello(const struct flow *f, const struct tls_hello *h)
{
	char dst[64];

	ip_port_format(&f->dst, f->dport, dst, sizeof(dst));
	printf("quic sni=");
	for (unsigned i = 0; i < h->nsni; i++)
		printf("%s%s", i ? "," : "", h->sni_names[i]);
	printf("%s alpn=", h->nsni ? "" : "-");
	for (unsigned i = 0; i < h->n_alpn; i++)
		printf("%s%s", i ? "," : "", h->alpn[i]);
	printf("%s ech=%d dst=%s\n", h->n_alpn ? "" : "-", h->ech, dst);
}

static size_t bytes_held(const struct quic_crypto *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->end; i++)
		n += s->buf[s->cap + i / 8] >> (i % 8) & 1;
	return n;
}

/* Remembers a connection that ends without a complete hello. */
static void note_incomplete(const struct flow *f)
{
	struct incomplete *in;

	if (f->done || !f->q.initials)
		return;
	if (nincompletes == FLOWS_MAX) {
		fprintf(stderr, "more than %d connections\n", FLOWS_MAX);
		exit(2);
	}
	in = &incompletes[nincompletes++];
	in->first_frame = f->first_frame;
	in->bytes = bytes_held(&f->q.crypto);
	in->contig = f->q.crypto.contig;
	ip_port_format(&f->dst, f->dport, in->dst, sizeof(in->dst));
}

static int by_first_frame(const void *a, const void *b)
{
	const struct incomplete *x = a, *y = b;

	return (x->first_frame > y->first_frame) -
	       (x->first_frame < y->first_frame);
}

static void datagram(unsigned frame, const struct pkt_info *pk)
{
	struct flow *f = flow_get(pk);
	struct tls_hello h;
	int r;

	if (!f) {
		fprintf(stderr, "frame %u: more than %d flows\n", frame,
			FLOWS_MAX);
		exit(2);
	}
	r = quic_flow_feed(&f->q, pk->payload, pk->payload_len, &h);
	if (!f->first_frame)
		f->first_frame = frame;
	if (r == -EXDEV) { /* another connection on this UDP flow */
		note_incomplete(f);
		quic_flow_free(&f->q);
		f->done = false;
		f->first_frame = frame;
		r = quic_flow_feed(&f->q, pk->payload, pk->payload_len, &h);
	}
	if (verbose)
		printf("# frame %u len %zu: %s contig %zu end %zu initials %u\n",
		       frame, pk->payload_len, r ? strerror(-r) : "hello",
		       f->q.crypto.contig, f->q.crypto.end, f->q.initials);
	if (!r && !f->done) {
		print_hello(f, &h);
		f->done = true;
	}
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const uint8_t *data, *ip;
	struct pkt_info pk;
	unsigned frame = 0;
	size_t iplen;
	pcap_t *p;
	int dlt;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		verbose = 1, argc--, argv++;
	if (argc != 2) {
		fprintf(stderr, "usage: quic_replay [-v] FILE.pcap\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	dlt = pcap_datalink(p);
	while (pcap_next_ex(p, &hdr, &data) == 1) {
		frame++;
		if (hdr->caplen != hdr->len) {
			fprintf(stderr, "frame %u: cut by the capture\n", frame);
			return 2;
		}
		if (linkhdr_to_ip(dlt, data, hdr->caplen, &ip, &iplen) ||
		    pkt_parse(ip, iplen, &pk) || pk.l4proto != 17 ||
		    pk.dport != 443)
			continue; /* only what clients send to UDP 443 */
		datagram(frame, &pk);
	}
	pcap_close(p);
	for (unsigned i = 0; i < nflows; i++) {
		note_incomplete(&flows[i]);
		quic_flow_free(&flows[i].q);
	}
	qsort(incompletes, nincompletes, sizeof(incompletes[0]),
	      by_first_frame);
	for (unsigned i = 0; i < nincompletes; i++)
		printf("quic incomplete bytes=%zu contig=%zu dst=%s\n",
		       incompletes[i].bytes, incompletes[i].contig,
		       incompletes[i].dst);
	return 0;
}
