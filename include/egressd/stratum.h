/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The first message of a cryptocurrency mining client (Stratum and its
 * kin): a miner connecting by address to a pool on any port is seen by
 * what it says, not by where it goes. Pure: no I/O, no allocation.
 *
 * Recognised, as the first line of JSON-RPC (ended by LF, at most
 * STRATUM_LINE_MAX bytes from the start of the stream, blank lines and
 * whitespace before it skipped):
 * - Stratum v1 (Bitcoin and most coins: cgminer, bfgminer, cpuminer,
 *   bmminer, NiceHash's EthereumStratum/1.0.0 and 2.0.0): a "method"
 *   starting with "mining." (mining.subscribe, mining.authorize,
 *   mining.configure, mining.extranonce.subscribe, mining.hello, ...).
 * - CryptoNote pools (XMRig, xmr-stak, SRBMiner; Monero and kin): method
 *   "login" whose "params" is an object holding "login", "pass" or "agent"
 *   (a bare "login" with {"username","password"} is some other service).
 * - Stratum-ethproxy (ethminer, Claymore): method "eth_submitLogin". Other
 *   eth_* methods are an Ethereum node's API and are not mining pools.
 * - Stratum V2 SetupConnection in plaintext, protocol 0 (mining); the frame
 *   is drawn above sv2_parse in stratum.c.
 * JSON as pools read it: member names without case (Go's and .NET's
 * decoders match them so), escapes decoded ("\u006dethod" is "method"),
 * any member order, duplicate members (any "method" that is a mining one
 * counts: pools differ on which duplicate wins), nesting of any depth in
 * the values skipped (checked for balance, not for grammar), and bytes
 * after the object on the line ignored.
 *
 * Not recognised here: stratum over TLS (stratum+tls://, stratum+ssl://)
 * starts with a ClientHello and is judged by its SNI (tls.c); Stratum V2
 * over its Noise handshake (required on the internet) starts with a
 * 64-byte ElligatorSwift key that looks random; a JSON-RPC batch (an array
 * of calls: pools do not take them); getwork/getblocktemplate over HTTP
 * (judged as HTTP, by its Host). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/limits.h"

enum stratum_proto {
	STRATUM_V1 = 1, /* "mining.*" */
	STRATUM_CRYPTONOTE, /* "login" with pool login params */
	STRATUM_ETHPROXY, /* "eth_submitLogin" */
	STRATUM_V2, /* binary SetupConnection, mining protocol */
};

/* Text fields are printable ASCII, anything else shown as '?', cut at
 * STRATUM_TEXT_MAX characters, always NUL-terminated; empty if absent. */
struct stratum_req {
	enum stratum_proto proto;
	/* as sent for v1 ("mining.subscribe"); "login", "eth_submitLogin"
	 * or "SetupConnection" for the others */
	char method[STRATUM_TEXT_MAX + 1];
	/* the miner's software: v1 mining.subscribe params[0]
	 * ("cgminer/4.12.1"), params.agent of login and mining.hello
	 * ("XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/11.4.0"), V2
	 * vendor, hardware_version and firmware joined by spaces */
	char agent[STRATUM_TEXT_MAX + 1];
	/* the pool account: mining.authorize and eth_submitLogin params[0]
	 * ("bc1q...x.rig1"), login's params.login (a wallet address), or
	 * ethproxy's "worker"; V2 names none in its first message */
	char worker[STRATUM_TEXT_MAX + 1];
	/* the pool name the client says it connects to (V2 endpoint_host,
	 * mining.hello params.host), when it is a valid name or address:
	 * a claim to judge like an SNI */
	bool has_host;
	bool host_is_ip;
	char host[DOMAIN_TEXT_MAX + 1];
	/* bytes from the start of the stream to the end of the message (its
	 * LF, or the V2 frame): the next message starts there */
	size_t msg_len;
};

/* Recognises a mining client's first message at the start of a stream.
 * Returns 0 with *ret filled; -EAGAIN when the bytes so far could still be
 * one (a JSON object whose line has not ended, a V2 frame not whole);
 * -ENOPROTOOPT when they are not (not JSON, malformed, another method, a
 * line longer than STRATUM_LINE_MAX). A result other than -EAGAIN is
 * final: more bytes do not change it. *ret is written only on success. */
int stratum_parse(const uint8_t *p, size_t len, struct stratum_req *ret);
