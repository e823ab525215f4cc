// SPDX-License-Identifier: GPL-2.0-or-later
/* hostnet_collect, hostnet_minus: which cgroups the ruleset selects and
 * cuts, from the inventory and the isolation state. */
#include <stdio.h>
#include <string.h>

#include "egressd/hostnet.h"
#include "util.h"

static struct inventory inv;
static struct isolation iso;
static struct hostnet_set set, other;

static void add(const char *id, bool host, bool running, uint64_t cg,
		unsigned level)
{
	struct container *c = &inv.c[inv.n++];

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	snprintf(c->name, sizeof(c->name), "n-%s", id);
	c->host_network = host;
	c->running = running;
	c->cgroup_id = cg;
	c->cgroup_level = level;
}

static void isolate(const char *id, enum iso_state st)
{
	struct iso_entry *e = &iso.e[iso.n++];

	memset(e, 0, sizeof(*e));
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->state = st;
}

static void setup(void)
{
	inv.n = 0;
	iso.n = 0;
	add("bridged", false, true, 0, 0);
	add("h1", true, true, 101, 2);
	add("h2", true, true, 102, 2);
	add("pod", true, true, 103, 4);
	add("stopped", true, false, 104, 2);
	add("unknown", true, true, 0, 0); /* no cgroup v2 id */
	add("deep", true, true, 105, HOSTNET_LEVEL_MAX + 1);
	add("dup", true, true, 101, 2); /* the same cgroup twice */
}

START_TEST(selects_running_host_network_containers)
{
	setup();
	hostnet_collect(&inv, NULL, &set);
	ck_assert_uint_eq(set.n, 3);
	ck_assert_uint_eq(set.cg[0].id, 101);
	ck_assert_uint_eq(set.cg[1].id, 102);
	ck_assert_uint_eq(set.cg[2].id, 103);
	ck_assert_uint_eq(set.levels, (1u << 2) | (1u << 4));
}
END_TEST

START_TEST(cuts_only_those_whose_isolation_is_wanted)
{
	setup();
	isolate("h2", ISO_ISOLATED);
	isolate("pod", ISO_RESTORED);
	isolate("bridged", ISO_ISOLATED); /* by its veth, not here */
	isolate("stopped", ISO_ISOLATED); /* when it runs again */
	hostnet_collect(&inv, &iso, &set);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_uint_eq(set.cg[0].id, 102);
	ck_assert_uint_eq(set.levels, 1u << 2);
	iso.n = 0;
	hostnet_collect(&inv, &iso, &set);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_uint_eq(set.levels, 0);
}
END_TEST

START_TEST(minus_gives_what_to_add_and_delete)
{
	uint64_t ids[INVENTORY_MAX];

	setup();
	hostnet_collect(&inv, NULL, &set);
	inv.c[2].running = false; /* h2 stops */
	add("h3", true, true, 106, 3);
	hostnet_collect(&inv, NULL, &other);
	ck_assert_uint_eq(hostnet_minus(&other, &set, ids), 1);
	ck_assert_uint_eq(ids[0], 106);
	ck_assert_uint_eq(hostnet_minus(&set, &other, ids), 1);
	ck_assert_uint_eq(ids[0], 102);
	ck_assert_uint_eq(hostnet_minus(&set, &set, ids), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hostnet");
	TCase *tc = tcase_create("sets");
	ADD(tc, selects_running_host_network_containers);
	ADD(tc, cuts_only_those_whose_isolation_is_wanted);
	ADD(tc, minus_gives_what_to_add_and_delete);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
