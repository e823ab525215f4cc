// SPDX-License-Identifier: GPL-2.0-or-later
/* The event queue: a flood from one container is counted, not queued; it
 * never crowds out another container's events; lanes are served in turn. */
#include <stdio.h>
#include <string.h>

#include "egressd/evqueue.h"
#include "util.h"

static struct event ev_of(uint32_t port, const char *name, int64_t t)
{
	struct event ev = { .kind = EV_DNS_QUERY, .blocked = true, .time = t,
			    .port = port };

	ip_addr_parse("198.18.0.11", &ev.client);
	snprintf(ev.name, sizeof(ev.name), "%s", name);
	snprintf(ev.rule.matched, sizeof(ev.rule.matched), "%s", name);
	snprintf(ev.rule.pattern, sizeof(ev.rule.pattern), "%s", name);
	return ev;
}

static int push(struct evq *q, uint32_t port, const char *name, int64_t t)
{
	struct event ev = ev_of(port, name, t);

	return evq_push(q, evq_owner_of(&ev), &ev, 0, t * 1000);
}

START_TEST(a_flood_of_one_event_is_one_item_with_its_count)
{
	struct evq *q = evq_new();
	struct evq_item it;

	ck_assert_int_eq(push(q, 7, "bad.test", 100), 0);
	for (int i = 1; i < 50000; i++)
		ck_assert_int_eq(push(q, 7, "bad.test", 100 + i / 1000), 1);
	ck_assert_uint_eq(evq_len(q), 1);
	ck_assert(evq_pop(q, &it));
	ck_assert_uint_eq(it.count, 50000);
	ck_assert_int_eq(it.ev.time, 100); /* the first */
	ck_assert_int_eq(it.last, 149); /* and the latest */
	ck_assert(!evq_pop(q, &it));
	evq_free(q);
}
END_TEST

START_TEST(the_latest_flow_is_kept_for_attribution)
{
	struct evq *q = evq_new();
	struct event a = ev_of(7, "bad.test", 1), b = a;
	struct evq_item it;

	a.have_flow = b.have_flow = true;
	a.flow.sport = 1000;
	b.flow.sport = 2000;
	ck_assert_int_eq(evq_push(q, evq_owner_of(&a), &a, 7, 1000), 0);
	ck_assert_int_eq(evq_push(q, evq_owner_of(&b), &b, 8, 1000), 1);
	ck_assert(evq_pop(q, &it));
	ck_assert_uint_eq(it.ev.flow.sport, 2000);
	evq_free(q);
}
END_TEST

START_TEST(a_flood_of_distinct_names_becomes_its_rules_summary)
{
	struct evq *q = evq_new();
	struct evq_item it;
	char name[64];
	uint64_t total = 0;
	int items = 0, summaries = 0;

	for (int i = 0; i < 50000; i++) {
		struct event ev = ev_of(7, "", 100);
		snprintf(ev.name, sizeof(ev.name), "x%d.flood.test", i);
		snprintf(ev.rule.matched, sizeof(ev.rule.matched), "%s", ev.name);
		snprintf(ev.rule.pattern, sizeof(ev.rule.pattern), "*.flood.test");
		ck_assert_int_ge(evq_push(q, evq_owner_of(&ev), &ev, 0, 100000), 0);
	}
	while (evq_pop(q, &it)) {
		items++;
		total += it.count;
		if (it.summary) {
			summaries++;
			ck_assert_str_eq(it.ev.rule.matched, "*.flood.test");
			ck_assert_str_eq(it.ev.name, "");
		}
	}
	ck_assert_int_eq(items, EVQ_BURST + 1); /* the burst, then one sum */
	ck_assert_int_eq(summaries, 1);
	ck_assert_uint_eq(total, 50000); /* nothing lost */
	/* A second later EVQ_RATE new names are themselves again. */
	snprintf(name, sizeof(name), "later.flood.test");
	ck_assert_int_eq(push(q, 7, name, 101), 0);
	evq_free(q);
}
END_TEST

START_TEST(a_repeat_the_writer_took_costs_no_token)
{
	struct evq *q = evq_new();
	struct evq_item it;

	/* The writer takes each occurrence before the next: never counted
	 * into one, yet never summed up under its rule either. */
	for (int i = 0; i < 10 * EVQ_BURST; i++) {
		ck_assert_int_eq(push(q, 7, "same.bad.test", 5), 0);
		ck_assert(evq_pop(q, &it));
		ck_assert(!it.summary);
	}
	evq_free(q);
}
END_TEST

START_TEST(an_emptied_lane_keeps_its_owners_rate)
{
	struct evq *q = evq_new();
	struct evq_item it;
	char name[64];

	for (int i = 0; i < EVQ_BURST; i++) {
		snprintf(name, sizeof(name), "x%d.bad.test", i);
		ck_assert_int_eq(push(q, 7, name, 5), 0);
	}
	while (evq_pop(q, &it))
		;
	/* The writer drained the lane; no new burst for owner 7. */
	ck_assert_int_eq(push(q, 7, "next.bad.test", 5), 0);
	ck_assert(evq_pop(q, &it));
	ck_assert(it.summary);
	/* Another owner has its own. */
	ck_assert_int_eq(push(q, 8, "other.bad.test", 5), 0);
	ck_assert(evq_pop(q, &it));
	ck_assert(!it.summary);
	evq_free(q);
}
END_TEST

START_TEST(a_full_lane_drops_only_its_own_events)
{
	struct evq *q = evq_new();
	struct evq_item it;
	char name[64];
	int other = 0;

	/* Container 7 floods with distinct names of distinct rules: its
	 * lane fills with them, then with their summaries. */
	for (int i = 0; i < EVQ_LANE_MAX; i++) {
		snprintf(name, sizeof(name), "x%d.bad.test", i);
		ck_assert_int_eq(push(q, 7, name, 1), 0);
	}
	ck_assert_int_eq(push(q, 7, "one-more.bad.test", 1), -ENOBUFS);
	ck_assert_int_eq(push(q, 7, "x70.bad.test", 1), 1); /* its summary */
	/* Container 8's events still get in, and out first but one. */
	ck_assert_int_eq(push(q, 8, "c2.test", 1), 0);
	ck_assert_int_eq(push(q, 8, "c2b.test", 1), 0);
	for (int i = 0; i < 4 && evq_pop(q, &it); i++)
		other += it.ev.port == 8;
	ck_assert_int_eq(other, 2);
	evq_free(q);
}
END_TEST

START_TEST(lanes_are_served_in_turn)
{
	struct evq *q = evq_new();
	struct evq_item it;
	char name[64];
	uint32_t order[6];

	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		push(q, 1, name, 1);
		push(q, 2, name, 1);
	}
	for (int i = 0; i < 6; i++) {
		ck_assert(evq_pop(q, &it));
		order[i] = it.ev.port;
	}
	for (int i = 1; i < 6; i++)
		ck_assert_uint_ne(order[i], order[i - 1]);
	evq_free(q);
}
END_TEST

START_TEST(the_queue_and_the_lanes_are_bounded)
{
	struct evq *q = evq_new();
	struct evq_item it;
	char name[64];
	int queued = 0, refused = 0;

	/* More owners than lanes, each with several events. */
	for (uint32_t port = 1; port <= EVQ_LANES + 10; port++)
		for (int i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "n%d.test", i);
			int r = push(q, port, name, 1);
			queued += r == 0;
			refused += r < 0;
		}
	ck_assert_int_eq(queued, EVQ_SLOTS);
	ck_assert_uint_eq(evq_len(q), EVQ_SLOTS);
	ck_assert_int_eq(refused, (EVQ_LANES + 10) * 20 - EVQ_SLOTS);
	while (evq_pop(q, &it))
		queued--;
	ck_assert_int_eq(queued, 0);
	/* Emptied: it takes everything again. */
	ck_assert_int_eq(push(q, 1, "again.test", 2), 0);
	evq_free(q);
}
END_TEST

START_TEST(an_address_owner_when_the_port_is_unknown)
{
	struct event a = ev_of(0, "x.test", 1), b = a;

	ip_addr_parse("198.18.0.12", &b.client);
	ck_assert_uint_ne(evq_owner_of(&a), evq_owner_of(&b));
	b.client = a.client;
	ck_assert_uint_eq(evq_owner_of(&a), evq_owner_of(&b));
	a.port = 3;
	ck_assert_uint_ne(evq_owner_of(&a), evq_owner_of(&b));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("evqueue");
	TCase *tc = tcase_create("core");
	ADD(tc, a_flood_of_one_event_is_one_item_with_its_count);
	ADD(tc, the_latest_flow_is_kept_for_attribution);
	ADD(tc, a_flood_of_distinct_names_becomes_its_rules_summary);
	ADD(tc, a_repeat_the_writer_took_costs_no_token);
	ADD(tc, an_emptied_lane_keeps_its_owners_rate);
	ADD(tc, a_full_lane_drops_only_its_own_events);
	ADD(tc, lanes_are_served_in_turn);
	ADD(tc, the_queue_and_the_lanes_are_bounded);
	ADD(tc, an_address_owner_when_the_port_is_unknown);
	suite_add_tcase(s, tc);
	return s;
}
TEST_MAIN(suite)
