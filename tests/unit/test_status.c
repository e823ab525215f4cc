// SPDX-License-Identifier: GPL-2.0-or-later
/* What `egressctl status` and /metrics are made of: packet kinds, the
 * watched interfaces (defaults, auto), the listen address, the metrics
 * text. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "egressd/watch.h"
#include "listen.h"
#include "metrics.h"
#include "status.h"
#include "util.h"

static size_t ip4(uint8_t *p, uint8_t proto, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 28);
	p[0] = 0x45;
	p[9] = proto;
	p[20] = sport >> 8;
	p[21] = sport & 255;
	p[22] = dport >> 8;
	p[23] = dport & 255;
	return 28;
}

START_TEST(packets_have_a_kind_and_never_a_wrong_one)
{
	uint8_t p[64];

	ck_assert_int_eq(status_kind_of(p, ip4(p, 17, 40000, 53)), STATUS_KIND_DNS);
	ck_assert_int_eq(status_kind_of(p, ip4(p, 6, 53, 40000)), STATUS_KIND_DNS);
	ck_assert_int_eq(status_kind_of(p, ip4(p, 6, 40000, 443)), STATUS_KIND_TCP);
	ck_assert_int_eq(status_kind_of(p, ip4(p, 17, 40000, 443)), STATUS_KIND_UDP);
	ck_assert_int_eq(status_kind_of(p, ip4(p, 1, 0, 0)), STATUS_KIND_ICMP);
	ck_assert_int_eq(status_kind_of(p, ip4(p, 47, 0, 0)), STATUS_KIND_OTHER);
	/* cut short: ports unknown, never DNS by accident */
	ip4(p, 17, 40000, 53);
	ck_assert_int_eq(status_kind_of(p, 22), STATUS_KIND_UDP);
	ck_assert_int_eq(status_kind_of(p, 3), STATUS_KIND_OTHER);
	p[0] = 0x41; /* IHL below 5 */
	ck_assert_int_eq(status_kind_of(p, 28), STATUS_KIND_OTHER);
}
END_TEST

START_TEST(a_published_board_reads_back_whole)
{
	static struct status_board b;
	struct status_counters c = { 0 }, r;

	c.packets = 7;
	c.verdicts[STATUS_ACT_BLOCK][STATUS_KIND_TCP] = 3;
	c.dns_cache_entries = 99;
	status_publish(&b, &c);
	status_read(&b, &r);
	ck_assert_mem_eq(&c, &r, sizeof(c));
}
END_TEST

START_TEST(categories_past_the_table_count_as_other)
{
	static struct status_cats c;
	char name[16];

	for (int i = 0; i < STATUS_CATS_MAX + 5; i++) {
		snprintf(name, sizeof(name), "cat%d", i);
		status_cats_count(&c, name);
	}
	status_cats_count(&c, "cat0");
	status_cats_count(&c, "");
	ck_assert_uint_eq(c.n, STATUS_CATS_MAX);
	ck_assert_uint_eq(c.count[0], 2);
	ck_assert_uint_eq(c.other, 6);
}
END_TEST

static void link_add(struct rtnl_dump *d, uint32_t idx, const char *name,
		     const char *kind, uint32_t master, int32_t nsid)
{
	struct rtnl_link *l = &d->links[d->nlinks++];

	memset(l, 0, sizeof(*l));
	l->ifindex = idx;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->master = master;
	l->link_netnsid = nsid;
}

START_TEST(the_defaults_and_auto_find_the_right_interfaces)
{
	static struct rtnl_dump d;
	static struct config c;
	static struct watch_set w;
	char text[256];

	link_add(&d, 1, "lo", "", 0, RTNL_NSID_NONE);
	link_add(&d, 2, "br-3f2a", "bridge", 0, RTNL_NSID_NONE);
	link_add(&d, 3, "veth1", "veth", 2, 0);
	link_add(&d, 4, "lxcbr0", "bridge", 0, RTNL_NSID_NONE);
	link_add(&d, 5, "veth2", "veth", 4, 1);
	link_add(&d, 6, "virbr0", "bridge", 0, RTNL_NSID_NONE);
	link_add(&d, 7, "vnet0", "tun", 6, RTNL_NSID_NONE); /* a VM: no peer */
	link_add(&d, 8, "cali12ab", "veth", 0, 2);
	config_defaults(&c);
	config_finish(&c);
	ck_assert(c.ifs_default);
	watch_resolve(&d, (const char (*)[16])c.ifs, c.nifs, false, &w);
	ck_assert_uint_eq(w.n, 2);
	ck_assert_str_eq(w.ifs[0].name, "br-3f2a");
	ck_assert_uint_eq(w.ifs[0].nports, 1);
	ck_assert_str_eq(w.ifs[1].name, "cali12ab");
	watch_resolve(&d, (const char (*)[16])c.ifs, c.nifs, true, &w);
	ck_assert_uint_eq(w.n, 3);
	ck_assert(watch_has(&w, "lxcbr0") && !watch_has(&w, "virbr0"));
	watch_text(&w, text, sizeof(text));
	ck_assert_msg(strstr(text, "lxcbr0 (auto, 1 port)"), "%s", text);
	watch_resolve(&d, NULL, 0, false, &w);
	watch_text(&w, text, sizeof(text));
	ck_assert_str_eq(text, "none");
}
END_TEST

START_TEST(container_if_auto_keeps_the_defaults)
{
	static struct config c;
	char err[128];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "container_if", "auto", err, sizeof(err)), 0);
	config_finish(&c);
	ck_assert(c.ifs_auto && c.ifs_default && c.nifs == 7);
	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "container_if", "br0", err, sizeof(err)), 0);
	config_finish(&c);
	ck_assert(!c.ifs_default && c.nifs == 1);
}
END_TEST

START_TEST(listen_addresses_are_checked)
{
	struct sockaddr_storage ss;
	static struct config c;
	char err[128];

	ck_assert_int_eq(listen_parse("127.0.0.1:9617", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9617);
	ck_assert_int_eq(listen_parse("[::1]:9617", &ss), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	const char *bad[] = { "127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000",
			      ":9617", "::1:9617", "[::1]", "localhost:9617",
			      "1.2.3.4:9x", "[127.0.0.1]:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(listen_parse(bad[i], &ss) == -EINVAL,
			      "accepted %s", bad[i]);
	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "metrics_listen", "", err, sizeof(err)), 0);
	ck_assert_int_ne(config_set(&c, "metrics_listen", "nope", err, sizeof(err)), 0);
}
END_TEST

/* Label values are escaped; every family has HELP and TYPE; counters end
 * in _total. */
START_TEST(the_metrics_text_is_well_formed)
{
	cJSON *s = cJSON_Parse(
		"{\"version\":\"0.1\",\"mode\":\"block\",\"fail\":\"open\","
		"\"queue\":{\"kind\":\"compat\"},\"started\":5,"
		"\"counters\":{\"packets\":9,\"packets_by_kind\":{\"dns\":4},"
		"\"verdicts_by_kind\":{\"block\":{\"tcp\":2}}},"
		"\"events_by_category\":{\"a\\\"b\\\\c\\nd\":3},"
		"\"lists\":[{\"list\":\"black\",\"source\":\"x.txt\",\"entries\":12}],"
		"\"containers\":{\"known\":2,\"isolated\":1},\"interfaces\":[]}");
	size_t len;
	char *t = metrics_render(s, &len);

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(strlen(t), len);
	ck_assert_msg(strstr(t, "egressd_events_total{category=\"a\\\"b\\\\c\\nd\"} 3\n"), "%s", t);
	ck_assert(strstr(t, "egressd_verdicts_total{action=\"block\",kind=\"tcp\"} 2\n"));
	ck_assert(strstr(t, "egressd_list_entries{list=\"black\",source=\"x.txt\"} 12\n"));
	ck_assert(strstr(t, "egressd_isolated_containers 1\n"));
	ck_assert(strstr(t, "# TYPE egressd_packets_total counter\n"));
	ck_assert(strstr(t, "egressd_watched_interfaces 0\n"));
	free(t);
	cJSON_Delete(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("status");
	ADD(tc, packets_have_a_kind_and_never_a_wrong_one);
	ADD(tc, a_published_board_reads_back_whole);
	ADD(tc, categories_past_the_table_count_as_other);
	ADD(tc, the_defaults_and_auto_find_the_right_interfaces);
	ADD(tc, container_if_auto_keeps_the_defaults);
	ADD(tc, listen_addresses_are_checked);
	ADD(tc, the_metrics_text_is_well_formed);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
