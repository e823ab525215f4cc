/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every limit egressd applies to untrusted input or to its own memory, with
 * the reason for its value. Change them here only. */
#pragma once

/* DNS (RFC 1035 2.3.4): a label is at most 63 octets, a name at most 255
 * octets on the wire, i.e. at most 253 characters in dotted text form. */
#define DNS_LABEL_MAX 63
#define DNS_NAME_WIRE_MAX 255
#define DOMAIN_TEXT_MAX 253
/* A label byte outside [a-z0-9-_] is printed as \DDD, so the escaped text of
 * a legal wire name never exceeds 4 * 255 characters plus the NUL. */
#define DNS_NAME_BUF 1024
/* Compression pointers followed while reading one name. Real encoders need
 * one or two; a loop or a chain longer than this is hostile. */
#define DNS_PTR_JUMPS_MAX 16
/* The fixed header: id, flags, four counts. */
#define DNS_HEADER_LEN 12
/* Resource records kept from one message (answer + authority + additional
 * are walked, only answers are kept). 256 A records with compressed names
 * fill a 4 KB EDNS answer: every UDP answer fits. Past it (a huge answer
 * over TCP) the rest are dropped and counted, and the answer is unreadable
 * (a dropped record could be a CNAME hiding a name). */
#define DNS_RR_MAX 256
/* Distinct names kept per message (owners and CNAME targets). */
#define DNS_NAMES_MAX 32
/* Records walked per message regardless of kind: bounds work on a message
 * that claims 65535 records in a 512-byte packet. */
#define DNS_RR_WALK_MAX 512
/* Length of one CNAME chain followed from the question name. */
#define DNS_CHAIN_MAX 16
/* DNS messages framed in one TCP segment (length prefix each). */
#define DNS_TCP_MSGS_MAX 64

/* TLS: a ClientHello is reassembled up to this many bytes. Chromium's
 * post-quantum hello is ~1.8 KB; the largest seen in the wild are ~8 KB with
 * many PSKs. A hello larger than this is judged without SNI. */
#define TLS_HELLO_MAX 16384
#define TLS_ALPN_MAX 8
#define TLS_ALPN_LEN_MAX 32
#define TLS_EXT_MAX 128
/* Server names read from one hello. RFC 6066 allows one host_name in one
 * server_name extension and real clients send one; a second entry or a
 * second extension is kept so that both names are judged (servers differ in
 * which one they take: the first, the last); more is refused as hostile. */
#define TLS_SNI_MAX 2

/* QUIC (quic.c). A connection ID is at most 20 bytes in versions 1 and 2
 * (RFC 9000 17.2); a longer one is malformed. */
#define QUIC_CID_MAX 20
/* A UDP payload is at most 65535 - 8 bytes. A packet is decrypted into a
 * per-thread buffer this big; a larger datagram is malformed. */
#define QUIC_DATAGRAM_MAX 65527
/* Packets read from one datagram. A client coalesces at most one packet of
 * each type (Initial, 0-RTT, Handshake; RFC 9000 12.2), and each Initial
 * costs a decryption: a datagram with more is refused as hostile. */
#define QUIC_COALESCED_MAX 8
/* The CRYPTO stream of a QUIC flow is reassembled up to TLS_HELLO_MAX bytes
 * (both ClientHellos when a HelloRetryRequest asks for a second); memory is
 * taken as data arrives, from this much (a post-quantum hello is ~2 KB). */
#define QUIC_CRYPTO_CAP_MIN 2048

/* HTTP: request line and headers are read up to this many bytes (nginx's
 * default client_header_buffer_size is 1 KiB, its large buffers 8 KiB per
 * line; Apache's LimitRequestLine/FieldSize 8 KiB). This byte bound is the
 * only bound on the work: there is no count of header fields, since nginx
 * reads a Host after any number of fields (Apache stops at 100, h2o too). */
#define HTTP_HEAD_MAX 8192
/* A method is kept up to this many characters (the longest registered one,
 * UPDATEREDIRECTREF, has 17); a longer one is still read, and cut. */
#define HTTP_METHOD_MAX 32
/* Host header fields read. Two are reported (servers differ on which one
 * wins: h2o the last, Apache joins them, nginx refuses); a third makes the
 * request unreadable (-EBADMSG): a sender of three is hiding a name, and the
 * caller judges an unreadable request as such. */
#define HTTP_HOST_HEADERS_MAX 2
/* Names one request claims: its Host headers and its target. */
#define HTTP_CLAIMS_MAX (HTTP_HOST_HEADERS_MAX + 1)

/* Stratum (mining pools): the first line of JSON-RPC is read up to this many
 * bytes from the start of the stream. Real first lines are short (an XMRig
 * login with its algorithm list ~700 bytes, a cgminer subscribe ~60), but
 * pools take far longer lines (node-stratum-pool drops a client only past
 * 10 KiB without a newline), so a padded login must still be seen: the
 * bound is what the flow's reassembly keeps anyway. */
#define STRATUM_LINE_MAX REASM_MAX
/* Agent, worker and method text kept from a stratum message (a Monero
 * address is 95 characters, 106 integrated; "address.worker+diff" more). */
#define STRATUM_TEXT_MAX 255

/* IPv6 extension headers walked before giving up on the packet. */
#define IPV6_EXT_MAX 8

/* Stream bytes kept per TCP flow while waiting for SNI / Host. */
#define REASM_MAX TLS_HELLO_MAX

/* DNS cache: (container, address) pairs remembered, names kept per pair. */
#define DNSCACHE_ENTRIES_DEFAULT 65536
#define DNSCACHE_NAMES_PER_ADDR 4

/* List files: longest line accepted. */
#define LIST_LINE_MAX 4096

/* A DNS answer's address mapping lives at least this long, whatever its
 * TTL: answers with TTL 0 (dnsmasq host records, some CDNs) are used by the
 * client right after, and the connection must still find its name. */
#define DNS_TTL_FLOOR_DEFAULT 60

/* Offline replay: TCP flows followed at once. */
#define REPLAY_FLOWS_MAX 65536

/* The engine: undecided flows followed at once (past it the one seen
 * least recently is evicted, counted: a flood of new flows never turns
 * the reading of new ones off), how long one may stay undecided without
 * a packet, and the containers' addresses remembered with their port. */
#define ENGINE_FLOWS_MAX 65536
#define ENGINE_FLOW_IDLE_MS 30000
#define ENGINE_OWNERS 4096
/* QUIC hellos being read at once (each up to ~18 KB while incomplete):
 * past it a new one is unreadable, counted. */
#define ENGINE_QUIC_MAX 1024
/* Client segments a flow whose stream start is unknown may send, starting
 * nothing egressd reads, before it is judged as it stands: an earlier
 * segment (sent last) may still come. */
#define ENGINE_UNKNOWN_START_WAIT 4
/* A QUIC hello still incomplete this long after its first Initial is
 * unreadable at its next datagram (Chromium sends the rest within
 * milliseconds and retransmits at ~0.3 s). */
#define ENGINE_QUIC_WAIT_MS 1000

/* Control socket. A request is one JSON line of at most CTL_REQUEST_MAX
 * bytes that must arrive whole within CTL_REQUEST_MS of the connection;
 * the reply must be taken by the client within CTL_REPLY_MS of being
 * ready. Clients are served at once up to CTL_CLIENTS_MAX (more are told
 * "busy"; a slot costs nothing until used), their commands run on CTL_WORKERS threads, so that one slow
 * command or client never holds up another, nor a reload. */
#define CTL_REQUEST_MAX 65536
#define CTL_REQUEST_MS 2000
/* A reply is written as the client takes it: at least CTL_REPLY_MIN_BYTES
 * (or the rest) every CTL_REPLY_MS, else the client is dropped. A slow
 * reader (13 KB/s and up) gets a page of any size whole; one that stops
 * reading loses its slot and its reply's memory within 5 s. */
#define CTL_REPLY_MS 5000
#define CTL_REPLY_MIN_BYTES 65536
#define CTL_CLIENTS_MAX 256
/* Clients of one user other than root at once: a group member's runaway
 * script must not take every slot. */
#define CTL_CLIENTS_PER_UID 32
/* Workers: one of them for cheap verbs only (containers, isolate, the
 * overview...), the others for all. */
#define CTL_WORKERS 4
/* A note on a list entry, an isolation or a whitelisting: a line for the
 * operator, not a document (59 KB notes made one page of entries 300 MB). */
#define CTL_NOTE_MAX 1024

/* /metrics: a scrape every few seconds from one or two Prometheus
 * servers. More clients at once are refused; one that sends nothing for
 * METRICS_TIMEOUT_S is dropped; a request head has this much memory. */
#define METRICS_CLIENTS_MAX 8
#define METRICS_TIMEOUT_S 10
#define METRICS_CONN_MEMORY (32 * 1024)
#define METRICS_BACKLOG 16
/* A list change waits this long for the rebuilt lists to be in force
 * before its reply says "still applying". */
#define CTL_APPLY_WAIT_MS 10000
/* Pages: list entries, audit lines and events per reply at most; a page
 * of list entries also stops past CTL_PAGE_BYTES of their text (notes),
 * so that a reply, and the tree it is built from, stays a few MiB. */
#define CTL_PAGE_MAX 5000
#define CTL_PAGE_BYTES (1u << 20)
/* A feed imported through `lists import`, at most. The largest published
 * domain feeds are ~50 MB; more is a mistake or an attack. */
#define CTL_IMPORT_MAX (256u << 20)
/* egressctl: its whole-request deadline unless --timeout says otherwise,
 * and the largest reply it takes. */
#define EGRESSCTL_TIMEOUT_S 30
#define EGRESSCTL_REPLY_MAX (256u << 20)
/* How often the container inventory is rescanned (and isolation follows
 * restarted containers). */
#define INVENTORY_RESCAN_MS 1000

/* Command-line redaction (redact.c): words in the `redact` setting and the
 * length of one. Real key names are short ("secret_access_key" is 17); the
 * bounds keep the rules at 2 KiB and the matching work per key small. */
#define REDACT_WORDS_MAX 64
#define REDACT_WORD_MAX 32
/* A process's command line is read up to this many bytes before it is
 * redacted and cut to what an event keeps: a secret late in a long line
 * (a URL's userinfo past 512 bytes) must be seen whole to be masked. */
#define PROC_CMDLINE_RAW_MAX 4096
