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
/* Resource records kept from one message (answer + authority + additional
 * are walked, only answers are kept). Responses carrying more addresses than
 * this are rare (large round-robin pools); the rest are counted as dropped. */
#define DNS_RR_MAX 48
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

/* HTTP: request line and headers are read up to this many bytes. */
#define HTTP_HEAD_MAX 8192
#define HTTP_HEADERS_MAX 100

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
