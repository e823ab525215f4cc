// SPDX-License-Identifier: GPL-2.0-or-later
/* Fixtures are written here in the shapes real miners send (field order,
 * spacing and params as in XMRig, xmr-stak, cgminer, cpuminer-opt,
 * bmminer, ethminer and NiceHash's protocols); wallets, workers and pool
 * names are made up. */
#include <stdio.h>
#include <string.h>

#include "egressd/stratum.h"
#include "util.h"

#define WALLET_XMR                                                           \
	"4EXAMPLEwa11etEXAMPLEwa11etEXAMPLEwa11etEXAMPLEwa11etEXAMPLEwa11et" \
	"EXAMPLEwa11etEXAMPLEwa11etEX"

/* XMRig 6.x: one line, params an object, algorithms it can mine. */
static const char xmrig[] =
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{"
	"\"login\":\"" WALLET_XMR "\",\"pass\":\"x\","
	"\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/11.4.0\","
	"\"algo\":[\"cn/1\",\"cn/2\",\"cn/r\",\"cn/fast\",\"cn/half\","
	"\"cn/xao\",\"cn/rto\",\"cn/rwz\",\"cn/zls\",\"cn/double\","
	"\"cn/ccx\",\"cn-lite/1\",\"cn-heavy/0\",\"cn-heavy/tube\","
	"\"cn-heavy/xhv\",\"cn-pico\",\"cn-pico/tlo\",\"cn/upx2\",\"rx/0\","
	"\"rx/wow\",\"rx/arq\",\"rx/graft\",\"rx/sfx\",\"rx/keva\","
	"\"argon2/chukwa\",\"argon2/chukwav2\",\"argon2/ninja\",\"rx/yada\","
	"\"ghostrider\"]}}\n";

/* xmr-stak: method first, rigid, id last. */
static const char xmr_stak[] =
	"{\"method\":\"login\",\"params\":{\"login\":\"" WALLET_XMR
	"+5000\",\"pass\":\"rig7\",\"rigid\":\"\",\"agent\":"
	"\"xmr-stak/2.10.8/e7e3c5e/master/lin/nvidia-amd-cpu/0\"},\"id\":1}\n";

/* cgminer: subscribe with a session id to resume, then authorize with
 * params first, both sent back to back. */
static const char cgminer[] =
	"{\"id\": 0, \"method\": \"mining.subscribe\", \"params\": "
	"[\"cgminer/4.12.1\", \"ae6812eb4cd7735a302a8a9dd95cf71f\"]}\n"
	"{\"params\": [\"bc1qexampleexampleexampleexample.worker1\", "
	"\"x\"], \"id\": 1, \"method\": \"mining.authorize\"}\n";

static const char cpuminer[] =
	"{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": "
	"[\"cpuminer-opt/3.23.0\"]}\n";

/* bmminer (Antminer) and others negotiate version rolling first. */
static const char bmminer[] =
	"{\"id\":1,\"method\":\"mining.configure\",\"params\":[[\"version-"
	"rolling\"],{\"version-rolling.mask\":\"1fffe000\",\"version-rolling."
	"min-bit-count\":2}]}\n";

static const char extranonce[] =
	"{\"id\": 3, \"method\": \"mining.extranonce.subscribe\", "
	"\"params\": []}\r\n";

/* NiceHash EthereumStratum/1.0.0 and its authorize. */
static const char nicehash1[] =
	"{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": "
	"[\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}\n";
static const char nicehash_auth[] =
	"{\"id\": 2, \"method\": \"mining.authorize\", \"params\": "
	"[\"3ExampleNiceHashBtcAddressXXXXXXXX.rig1\", \"x\"]}\n";
/* NiceHash EthereumStratum/2.0.0 opens with mining.hello. */
static const char nicehash2[] =
	"{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":"
	"\"NiceHashMiner/3.1.0\",\"host\":\"Ethash.Pool.TEST\",\"port\":"
	"\"9200\",\"proto\":\"EthereumStratum/2.0.0\"}}\n";

/* ethminer speaking stratum-ethproxy (Claymore's dialect). */
static const char ethproxy[] =
	"{\"worker\": \"rig1\", \"jsonrpc\": \"2.0\", \"params\": "
	"[\"0x00example00example00example00example00.rig1\", \"x\"], "
	"\"id\": 1, \"method\": \"eth_submitLogin\"}\n";

/* Not mining: an Ethereum node's JSON-RPC, another service's login, a
 * bitcoind call, a response, a batch, other protocols. */
static const char *const not_stratum[] = {
	"{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],"
	"\"id\":1}\n",
	"{\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[],"
	"\"id\":73}\n",
	"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"username\":"
	"\"admin\",\"password\":\"hunter2\"},\"id\":1}\n",
	"{\"jsonrpc\":\"1.0\",\"id\":\"curl\",\"method\":\"getblocktemplate\","
	"\"params\":[{\"rules\":[\"segwit\"]}]}\n",
	"{\"method\":\"login\",\"params\":[\"user\",\"pass\"]}\n",
	"{\"id\":1,\"result\":true,\"error\":null}\n",
	"{\"method\":\"mining.\"}\n",
	"{\"method\":[\"mining.subscribe\"]}\n",
	"{\"xmethod\":\"mining.subscribe\"}\n",
	"{}\n",
	"[{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}]\n",
	"GET / HTTP/1.1\r\nHost: pool.test\r\n\r\n",
	"SSH-2.0-OpenSSH_9.6\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	/* malformed */
	"{\"method\":\"mining.subscribe\"\n",
	"{\"method\":\"mining.subscribe\",}\n",
	"{\"method\" \"mining.subscribe\"}\n",
	"{\"method\":\"mining.subscribe\",\"id\":1 2}\n",
	"{\"method\":\"mining.sub\x01scribe\"}\n",
	"{\"method\":\"mining.subscribe\",\"x\":\"\\q\"}\n",
	"{\"method\":\"mining.subscribe\",\"x\":\"\\u12G4\"}\n",
	"{\"method\":\"mining.subscribe\",\"x\":]}\n",
	"{\"method\":\"mining.subscribe\",\"x\":[}\n",
};

/* Every prefix gives -EAGAIN or the whole's result. */
static void check_prefixes(const uint8_t *p, size_t len, int whole)
{
	struct stratum_req r;

	for (size_t n = 0; n < len; n++) {
		int e = stratum_parse(p, n, &r);
		if (e != -EAGAIN && e != whole)
			ck_abort_msg("prefix %zu of %.40s: %d, whole %d", n, p,
				     e, whole);
	}
}

static void parse_ok(const char *s, struct stratum_req *r)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s);

	ck_assert_int_eq(stratum_parse(p, len, r), 0);
	/* a line that has not ended is never judged */
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(stratum_parse(p, n, r), -EAGAIN);
	ck_assert_int_eq(stratum_parse(p, len, r), 0);
}

START_TEST(xmrig_login)
{
	struct stratum_req r;

	parse_ok(xmrig, &r);
	ck_assert_int_eq(r.proto, STRATUM_CRYPTONOTE);
	ck_assert_str_eq(r.method, "login");
	ck_assert_str_eq(r.agent,
			 "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/11.4.0");
	ck_assert_str_eq(r.worker, WALLET_XMR);
	ck_assert(!r.has_host);
	ck_assert_uint_eq(r.msg_len, strlen(xmrig));
}
END_TEST

START_TEST(xmr_stak_login)
{
	struct stratum_req r;

	parse_ok(xmr_stak, &r);
	ck_assert_int_eq(r.proto, STRATUM_CRYPTONOTE);
	ck_assert_str_eq(r.agent,
			 "xmr-stak/2.10.8/e7e3c5e/master/lin/nvidia-amd-cpu/0");
	ck_assert_str_eq(r.worker, WALLET_XMR "+5000");
}
END_TEST

START_TEST(cgminer_subscribe_then_authorize)
{
	const uint8_t *p = (const uint8_t *)cgminer;
	struct stratum_req r;
	size_t first;

	ck_assert_int_eq(stratum_parse(p, strlen(cgminer), &r), 0);
	ck_assert_int_eq(r.proto, STRATUM_V1);
	ck_assert_str_eq(r.method, "mining.subscribe");
	ck_assert_str_eq(r.agent, "cgminer/4.12.1");
	ck_assert_str_eq(r.worker, "");
	first = r.msg_len;
	ck_assert_uint_eq(cgminer[first - 1], '\n');
	/* the next message starts at msg_len */
	ck_assert_int_eq(stratum_parse(p + first, strlen(cgminer) - first, &r),
			 0);
	ck_assert_str_eq(r.method, "mining.authorize");
	ck_assert_str_eq(r.worker, "bc1qexampleexampleexampleexample.worker1");
	ck_assert_str_eq(r.agent, "");
	check_prefixes(p, strlen(cgminer), 0);
}
END_TEST

START_TEST(v1_first_messages)
{
	struct stratum_req r;

	parse_ok(cpuminer, &r);
	ck_assert_str_eq(r.method, "mining.subscribe");
	ck_assert_str_eq(r.agent, "cpuminer-opt/3.23.0");
	parse_ok(bmminer, &r);
	ck_assert_int_eq(r.proto, STRATUM_V1);
	ck_assert_str_eq(r.method, "mining.configure");
	ck_assert_str_eq(r.agent, "");
	parse_ok(extranonce, &r);
	ck_assert_str_eq(r.method, "mining.extranonce.subscribe");
	ck_assert_uint_eq(r.msg_len, strlen(extranonce));
}
END_TEST

START_TEST(nicehash)
{
	struct stratum_req r;

	parse_ok(nicehash1, &r);
	ck_assert_str_eq(r.method, "mining.subscribe");
	ck_assert_str_eq(r.agent, "ethminer/0.19.0");
	parse_ok(nicehash_auth, &r);
	ck_assert_str_eq(r.worker, "3ExampleNiceHashBtcAddressXXXXXXXX.rig1");
	parse_ok(nicehash2, &r);
	ck_assert_str_eq(r.method, "mining.hello");
	ck_assert_str_eq(r.agent, "NiceHashMiner/3.1.0");
	ck_assert(r.has_host && !r.host_is_ip);
	ck_assert_str_eq(r.host, "ethash.pool.test");
}
END_TEST

START_TEST(ethproxy_login)
{
	struct stratum_req r;

	parse_ok(ethproxy, &r);
	ck_assert_int_eq(r.proto, STRATUM_ETHPROXY);
	ck_assert_str_eq(r.method, "eth_submitLogin");
	ck_assert_str_eq(r.worker,
			 "0x00example00example00example00example00.rig1");
}
END_TEST

START_TEST(not_stratum_refused)
{
	struct stratum_req r;

	for (size_t i = 0; i < NELEM(not_stratum); i++) {
		const uint8_t *p = (const uint8_t *)not_stratum[i];
		size_t len = strlen(not_stratum[i]);
		ck_assert_msg(stratum_parse(p, len, &r) == -ENOPROTOOPT,
			      "recognised: %s", not_stratum[i]);
		check_prefixes(p, len, -ENOPROTOOPT);
	}
	/* a TLS-wrapped stratum (stratum+tls://) is a ClientHello: judged by
	 * its SNI in tls.c, not here */
	ck_assert_int_eq(stratum_parse((const uint8_t *)"\x16\x03\x01", 3, &r),
			 -ENOPROTOOPT);
}
END_TEST

/* What pools' JSON decoders take must be read: escapes, key case,
 * duplicates, deep nesting, padding, blank lines, whitespace. */
START_TEST(json_as_pools_read_it)
{
	struct stratum_req r;
	static char big[STRATUM_LINE_MAX + 64];
	size_t n;

	parse_ok("{\"\\u006dethod\":\"mining.\\u0073ubscribe\",\"params\":"
		 "[\"a\\/b\\\"c\"]}\n",
		 &r);
	ck_assert_str_eq(r.method, "mining.subscribe");
	ck_assert_str_eq(r.agent, "a/b\"c");
	parse_ok("{\"METHOD\":\"Mining.Authorize\",\"Params\":[\"w\"]}\n", &r);
	ck_assert_str_eq(r.worker, "w");
	parse_ok("{\"method\":\"eth_blockNumber\",\"method\":\"mining.subscribe"
		 "\"}\n",
		 &r);
	ck_assert_str_eq(r.method, "mining.subscribe");
	/* two mining methods: the first is reported */
	parse_ok("{\"method\":\"mining.subscribe\",\"method\":\"mining."
		 "authorize\",\"params\":[\"w\"]}\n",
		 &r);
	ck_assert_str_eq(r.method, "mining.subscribe");
	ck_assert_str_eq(r.agent, "w");
	parse_ok("{\"method\":\"login\",\"params\":{},\"params\":{\"agent\":"
		 "\"XMRig/6.22.0\"}}\n",
		 &r);
	ck_assert_int_eq(r.proto, STRATUM_CRYPTONOTE);
	ck_assert_str_eq(r.agent, "XMRig/6.22.0");
	parse_ok("\r\n\n  \t{ \"id\" : 1 , \"method\" :\t\"mining.subscribe\" ,"
		 " \"params\" : [ \"x/1\" ] }  \r\n",
		 &r);
	ck_assert_str_eq(r.agent, "x/1");
	/* deep nesting before the method */
	n = (size_t)sprintf(big, "{\"x\":");
	for (int i = 0; i < 3000; i++)
		big[n++] = i % 2 ? '{' : '[';
	for (int i = 2999; i >= 0; i--) {
		if (i % 2)
			n += (size_t)sprintf(big + n, "\"k\":1}");
		else
			big[n++] = ']';
	}
	n += (size_t)sprintf(big + n, ",\"method\":\"mining.subscribe\"}\n");
	ck_assert_uint_lt(n, STRATUM_LINE_MAX);
	ck_assert_int_eq(stratum_parse((uint8_t *)big, n, &r), 0);
	ck_assert_str_eq(r.method, "mining.subscribe");
	/* 12 KiB of padding before the method (node-stratum-pool takes it) */
	n = (size_t)sprintf(big, "{\"pad\":\"");
	memset(big + n, 'a', 12 * 1024);
	n += 12 * 1024;
	n += (size_t)sprintf(big + n, "\",\"method\":\"login\",\"params\":{"
				      "\"login\":\"w\"}}\n");
	ck_assert_int_eq(stratum_parse((uint8_t *)big, n, &r), 0);
	ck_assert_str_eq(r.worker, "w");
	/* bytes after the object on its line are ignored */
	parse_ok("{\"method\":\"mining.subscribe\"} trailing\n", &r);
}
END_TEST

START_TEST(limits)
{
	static char big[STRATUM_LINE_MAX + 64];
	struct stratum_req r;
	size_t n;

	/* the line must end within STRATUM_LINE_MAX bytes */
	n = (size_t)sprintf(big, "{\"method\":\"mining.subscribe\",\"p\":\"");
	memset(big + n, 'a', STRATUM_LINE_MAX);
	n = STRATUM_LINE_MAX - 1;
	ck_assert_int_eq(stratum_parse((uint8_t *)big, n, &r), -EAGAIN);
	ck_assert_int_eq(stratum_parse((uint8_t *)big, STRATUM_LINE_MAX, &r),
			 -ENOPROTOOPT);
	memcpy(big + STRATUM_LINE_MAX + 2, "\"}\n", 3);
	ck_assert_int_eq(
		stratum_parse((uint8_t *)big, STRATUM_LINE_MAX + 5, &r),
		-ENOPROTOOPT);
	/* the longest line taken: its LF is byte STRATUM_LINE_MAX */
	n = STRATUM_LINE_MAX - 3;
	memcpy(big + n, "\"}\n", 3);
	ck_assert_int_eq(stratum_parse((uint8_t *)big, STRATUM_LINE_MAX, &r),
			 0);
	ck_assert_uint_eq(r.msg_len, STRATUM_LINE_MAX);
	/* text is cut, printable ASCII only */
	n = (size_t)sprintf(big, "{\"method\":\"mining.authorize\",\"params\":"
				 "[\"");
	memset(big + n, 'w', 1000);
	n += 1000;
	n += (size_t)sprintf(big + n, "\"]}\n");
	ck_assert_int_eq(stratum_parse((uint8_t *)big, n, &r), 0);
	ck_assert_uint_eq(strlen(r.worker), STRATUM_TEXT_MAX);
	parse_ok("{\"method\":\"mining.authorize\",\"params\":"
		 "[\"w\\u00e9\\t\xc3\xa9\"]}\n",
		 &r);
	ck_assert_str_eq(r.worker, "w????");
}
END_TEST

/* Stratum V2 SetupConnection, plaintext (a local proxy's connection). */
static const uint8_t sv2_setup[] = {
	0x00, 0x00, /* extension_type 0 */
	0x00, /* msg_type SetupConnection */
	0x45, 0x00, 0x00, /* msg_length 69 */
	0x00, /* protocol: mining */
	0x02, 0x00, /* min_version 2 */
	0x02, 0x00, /* max_version 2 */
	0x01, 0x00, 0x00, 0x00, /* flags: REQUIRES_STANDARD_JOBS */
	0x11, 'p', 'o', 'o', 'l', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.',
	't', 'e', 's', 't', /* endpoint_host */
	0xcf, 0x85, /* endpoint_port 34255 */
	0x07, 'B', 'i', 't', 'm', 'a', 'i', 'n', /* vendor */
	0x08, 'S', '1', '9', 'j', ' ', 'P', 'r', 'o', /* hardware_version */
	0x15, 'b', 'r', 'a', 'i', 'i', 'n', 's', '-', 'o', 's', '-', '2', '0',
	'2', '3', '-', '1', '0', '-', '2', '3', /* firmware */
	0x00, /* device_id */
};

START_TEST(sv2_setup_connection)
{
	uint8_t buf[sizeof(sv2_setup) + 8];
	struct stratum_req r;

	ck_assert_uint_eq(sizeof(sv2_setup), 6 + 0x45);
	ck_assert_int_eq(stratum_parse(sv2_setup, sizeof(sv2_setup), &r), 0);
	ck_assert_int_eq(r.proto, STRATUM_V2);
	ck_assert_str_eq(r.method, "SetupConnection");
	ck_assert_str_eq(r.agent, "Bitmain S19j Pro braiins-os-2023-10-23");
	ck_assert(r.has_host);
	ck_assert_str_eq(r.host, "pool.example.test");
	ck_assert_uint_eq(r.msg_len, sizeof(sv2_setup));
	for (size_t n = 0; n < sizeof(sv2_setup); n++)
		ck_assert_int_eq(stratum_parse(sv2_setup, n, &r), -EAGAIN);
	/* TLV fields after: the frame is longer, still one */
	memcpy(buf, sv2_setup, sizeof(sv2_setup));
	memcpy(buf + sizeof(sv2_setup), "\x01\x00\x01\x00\x01\x2a\xff\xff", 8);
	buf[3] += 6;
	ck_assert_int_eq(stratum_parse(buf, sizeof(sv2_setup) + 6, &r), 0);
	ck_assert_uint_eq(r.msg_len, sizeof(sv2_setup) + 6);
	/* its fields are all there, the frame is not whole yet */
	ck_assert_int_eq(stratum_parse(buf, sizeof(sv2_setup), &r), -EAGAIN);
	check_prefixes(buf, sizeof(sv2_setup) + 6, 0);
}
END_TEST

START_TEST(sv2_others_refused)
{
	uint8_t buf[sizeof(sv2_setup)];
	struct stratum_req r;
	/* PostgreSQL SSLRequest: length 8 then 80877103 */
	static const uint8_t pg[] = { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f };

	ck_assert_int_eq(stratum_parse(pg, sizeof(pg), &r), -ENOPROTOOPT);
	check_prefixes(pg, sizeof(pg), -ENOPROTOOPT);
#define MUTATED(off, val)                                                    \
	do {                                                                 \
		memcpy(buf, sv2_setup, sizeof(buf));                         \
		buf[off] = (val);                                            \
		ck_assert_int_eq(stratum_parse(buf, sizeof(buf), &r),        \
				 -ENOPROTOOPT);                              \
		check_prefixes(buf, sizeof(buf), -ENOPROTOOPT);              \
	} while (0)
	MUTATED(1, 0x80); /* channel_msg bit */
	MUTATED(2, 0x10); /* OpenStandardMiningChannel */
	MUTATED(6, 1); /* job declaration protocol */
	MUTATED(7, 1); /* min_version 1 */
	MUTATED(9, 1); /* max_version < min_version */
	MUTATED(10, 1); /* max_version 258 */
	MUTATED(3, 15); /* msg_length below the fields' minimum */
	MUTATED(3, 0x40); /* fields overrun msg_length */
	MUTATED(17, 0x01); /* a control byte in endpoint_host */
#undef MUTATED
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stratum");
	TCase *tc = tcase_create("core");
	ADD(tc, xmrig_login);
	ADD(tc, xmr_stak_login);
	ADD(tc, cgminer_subscribe_then_authorize);
	ADD(tc, v1_first_messages);
	ADD(tc, nicehash);
	ADD(tc, ethproxy_login);
	ADD(tc, not_stratum_refused);
	ADD(tc, json_as_pools_read_it);
	ADD(tc, limits);
	ADD(tc, sv2_setup_connection);
	ADD(tc, sv2_others_refused);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
