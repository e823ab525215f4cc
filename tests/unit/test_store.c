// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egressd/store.h"
#include "util.h"

static char dir[] = "/tmp/egressd-test-store-XXXXXX";
static struct store *s;

static void setup(void)
{
	char err[256] = "";

	ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/egressd-test-store-XXXXXX")));
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);
}

static void teardown(void)
{
	char cmd[600];

	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int64_t occur(const char *subject, const char *container, int64_t t)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "dst", "203.0.113.81:443");
	struct store_occurrence o = {
		.type = "domain", .subject = subject, .container_id = container,
		.container_name = "web", .process_path = "/usr/bin/wget",
		.process_user = "root", .action = "blocked", .rule_list = "black",
		.rule_source = "intel", .rule_pattern = "*.bad.test",
		.rule_category = "c2", .time = t, .detail = d,
	};
	bool fresh;
	int64_t id = store_event_record(s, &o, &fresh);

	cJSON_Delete(d);
	return id;
}

static int count_of(int64_t id)
{
	cJSON *e = store_event_get(s, id);
	int n = (int)cJSON_GetObjectItem(e, "count")->valuedouble;

	cJSON_Delete(e);
	return n;
}

START_TEST(occurrences_aggregate_per_key_and_day)
{
	int64_t t = 1795800000; /* noon-ish, same local day for +60 s */
	int64_t a = occur("c2.bad.test", "abc", t);

	ck_assert_int_gt(a, 0);
	ck_assert_int_eq(occur("c2.bad.test", "abc", t + 60), a);
	ck_assert_int_eq(count_of(a), 2);
	cJSON *e = store_event_get(s, a);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "detail"),
					     "dst")->valuestring,
			 "203.0.113.81:443"); /* the occurrence's detail is kept */
	cJSON_Delete(e);
	ck_assert_int_ne(occur("c2.bad.test", "other", t), a); /* container */
	ck_assert_int_ne(occur("x.bad.test", "abc", t), a); /* subject */
	ck_assert_int_ne(occur("c2.bad.test", "abc", t + 86400 * 2), a); /* day */
}
END_TEST

START_TEST(handled_event_starts_a_new_one)
{
	int64_t t = 1795800000, a = occur("c2.bad.test", "abc", t), b;

	ck_assert_int_eq(store_event_set_status(s, a, "handled"), 0);
	b = occur("c2.bad.test", "abc", t + 5);
	ck_assert_int_ne(b, a);
	ck_assert_int_eq(count_of(b), 1);
	ck_assert_int_eq(store_event_set_status(s, 999, "handled"), -ENOENT);
	ck_assert_int_eq(store_event_delete(s, b), 0);
	ck_assert_ptr_null(store_event_get(s, b));
}
END_TEST

START_TEST(overview_and_filters)
{
	int64_t t = 1795800000;
	struct event_filter f = { .from = 0, .to = t + 1000, .limit = 50 };
	cJSON *o, *l;

	occur("c2.bad.test", "abc", t);
	occur("pool.mine.test", "abc", t);
	occur("c2.bad.test", "def", t);
	o = store_events_overview(s);
	ck_assert_int_eq((int)cJSON_GetObjectItem(o, "pending")->valuedouble, 3);
	ck_assert_int_eq((int)cJSON_GetObjectItem(o, "containers")->valuedouble, 2);
	cJSON_Delete(o);
	f.domain = "bad.test"; /* parent domain covers c2.bad.test */
	l = store_events_list(s, &f);
	ck_assert_int_eq(cJSON_GetArraySize(l), 2);
	cJSON_Delete(l);
	f.domain = "%"; /* no LIKE wildcards from the operator */
	l = store_events_list(s, &f);
	ck_assert_int_eq(cJSON_GetArraySize(l), 0);
	cJSON_Delete(l);
	f.domain = NULL;
	f.container = "ab"; /* id prefix */
	l = store_events_list(s, &f);
	ck_assert_int_eq(cJSON_GetArraySize(l), 2);
	cJSON_Delete(l);
	ck_assert_int_eq(store_events_whitelist_pending(s, "*.bad.test"), 2);
	f.container = NULL;
	f.status = "pending";
	l = store_events_list(s, &f);
	ck_assert_int_eq(cJSON_GetArraySize(l), 1);
	cJSON_Delete(l);
}
END_TEST

START_TEST(list_entries_and_duplicates)
{
	char *dom, *net;
	cJSON *l;

	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "c2", 0), 0);
	ck_assert_int_gt(store_list_add(s, "black", "203.0.113.0/24", "", 0), 0);
	ck_assert_int_eq(store_list_add(s, "black", "*.bad.test", "", 0), -EEXIST);
	ck_assert_int_gt(store_list_add(s, "white", "*.bad.test", "", 0), 0);
	ck_assert_int_eq(store_list_text(s, "black", &dom, &net), 0);
	ck_assert_str_eq(dom, "*.bad.test\n");
	ck_assert_str_eq(net, "203.0.113.0/24\n");
	free(dom);
	free(net);
	l = store_list_get(s, "black");
	ck_assert_int_eq(cJSON_GetArraySize(l), 2);
	ck_assert_int_eq(store_list_remove(s, "black",
				(int64_t)cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0),
							     "id")->valuedouble), 0);
	cJSON_Delete(l);
	ck_assert_int_eq(store_list_remove(s, "black", 12345), -ENOENT);
	ck_assert_int_eq(store_audit(s, 0, "blacklist add", "*.bad.test"), 0);
	l = store_audit_get(s, 10);
	ck_assert_int_eq(cJSON_GetArraySize(l), 1);
	cJSON_Delete(l);
}
END_TEST

START_TEST(reopen_keeps_everything)
{
	char err[256] = "";
	int64_t a = occur("c2.bad.test", "abc", 1795800000);

	store_close(s);
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(count_of(a), 1);
	ck_assert_int_eq(store_prune(s, 1795800001), 1);
}
END_TEST

static Suite *suite(void)
{
	Suite *su = suite_create("store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	ADD(tc, occurrences_aggregate_per_key_and_day);
	ADD(tc, handled_event_starts_a_new_one);
	ADD(tc, overview_and_filters);
	ADD(tc, list_entries_and_duplicates);
	ADD(tc, reopen_keeps_everything);
	suite_add_tcase(su, tc);
	return su;
}
TEST_MAIN(suite)
