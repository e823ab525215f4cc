// SPDX-License-Identifier: GPL-2.0-or-later
/* inventory_lookup: which container an event belongs to. A port the
 * inventory does not know (an unmanaged namespace or VM on the bridge)
 * can send from a known container's address: its events must not be
 * that container's (the operator would isolate the wrong one). */
#include <stdio.h>
#include <string.h>

#include "egressd/inventory.h"
#include "util.h"

static struct inventory inv;

static void add(const char *name, uint32_t port, const char *addr)
{
	struct container *c = &inv.c[inv.n++];

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "netns:%s", name);
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->veth_ifindex = port;
	c->running = true;
	ck_assert_int_eq(ip_addr_parse(addr, &c->addrs[0]), 0);
	c->naddrs = 1;
}

static const char *who(uint32_t port, const char *addr)
{
	static struct container c;
	struct ip_addr a;

	ck_assert_int_eq(ip_addr_parse(addr, &a), 0);
	return inventory_lookup(port, &a, &c) ? c.name : "-";
}

START_TEST(a_port_names_its_container)
{
	inv.n = 0;
	add("c1", 11, "198.18.0.11");
	add("c2", 12, "198.18.0.12");
	inventory_publish(&inv);
	ck_assert_str_eq(who(11, "198.18.0.11"), "c1");
	/* c1 sending from c2's address is still c1 */
	ck_assert_str_eq(who(11, "198.18.0.12"), "c1");
	/* no port known (routed, or a conntrack entry): by address */
	ck_assert_str_eq(who(0, "198.18.0.12"), "c2");
}
END_TEST

START_TEST(an_unknown_port_does_not_borrow_an_address)
{
	inv.n = 0;
	add("c1", 11, "198.18.0.11");
	add("c2", 12, "198.18.0.12");
	add("routed", 0, "198.18.0.13"); /* its port not found */
	inventory_publish(&inv);
	ck_assert_str_eq(who(99, "198.18.0.12"), "-");
	ck_assert_str_eq(who(99, "198.18.0.99"), "-");
	/* a container whose port is unknown is still found by address */
	ck_assert_str_eq(who(99, "198.18.0.13"), "routed");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("lookup");
	ADD(tc, a_port_names_its_container);
	ADD(tc, an_unknown_port_does_not_borrow_an_address);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
