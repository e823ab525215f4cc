// SPDX-License-Identifier: GPL-2.0-or-later
#include <fcntl.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "egressd/store.h"
#include "sandbox.h"
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

#define DETAIL "{\"dst\":\"203.0.113.81:443\"}"

static int64_t occur(const char *subject, const char *container, int64_t t)
{
	struct store_occurrence o = {
		.type = "domain", .subject = subject, .container_id = container,
		.container_name = "web", .process_path = "/usr/bin/wget",
		.process_user = "root", .action = "blocked", .rule_list = "black",
		.rule_source = "intel", .rule_pattern = "*.bad.test",
		.rule_category = "c2", .time = t, .detail = DETAIL,
	};
	bool fresh;

	return store_event_record(s, &o, &fresh);
}

static int count_of(int64_t id)
{
	struct store_event e;

	ck_assert_int_eq(store_event_get(s, id, &e), 0);
	store_event_release(&e);
	return (int)e.count;
}

/* The local day of t as the store writes it. */
static const char *day_of(int64_t t)
{
	static char d[11];
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(d, sizeof(d), "%Y-%m-%d", &tm);
	return d;
}

START_TEST(occurrences_aggregate_per_key_and_day)
{
	int64_t t = 1795800000; /* noon-ish, same local day for +60 s */
	int64_t a = occur("c2.bad.test", "abc", t);

	ck_assert_int_gt(a, 0);
	ck_assert_int_eq(occur("c2.bad.test", "abc", t + 60), a);
	ck_assert_int_eq(count_of(a), 2);
	struct store_event e;
	ck_assert_int_eq(store_event_get(s, a, &e), 0);
	ck_assert_str_eq(e.detail, DETAIL); /* the occurrence's detail is kept */
	/* every column of the row */
	ck_assert_int_eq(e.id, a);
	ck_assert_str_eq(e.type, "domain");
	ck_assert_str_eq(e.subject, "c2.bad.test");
	ck_assert_str_eq(e.container_id, "abc");
	ck_assert_str_eq(e.container_name, "web");
	ck_assert_str_eq(e.process_path, "/usr/bin/wget");
	ck_assert_str_eq(e.process_user, "root");
	ck_assert_str_eq(e.day, day_of(t));
	ck_assert_int_eq(e.first_seen, t);
	ck_assert_int_eq(e.last_seen, t + 60);
	ck_assert_int_eq(e.count, 2);
	ck_assert_str_eq(e.status, "pending");
	ck_assert_str_eq(e.action, "blocked");
	ck_assert_str_eq(e.rule_list, "black");
	ck_assert_str_eq(e.rule_source, "intel");
	ck_assert_str_eq(e.rule_pattern, "*.bad.test");
	ck_assert_str_eq(e.rule_category, "c2");
	store_event_release(&e);
	ck_assert_int_ne(occur("c2.bad.test", "other", t), a); /* container */
	ck_assert_int_ne(occur("x.bad.test", "abc", t), a); /* subject */
	ck_assert_int_ne(occur("c2.bad.test", "abc", t + 86400 * 2), a); /* day */
}
END_TEST

START_TEST(handled_event_starts_a_new_one)
{
	int64_t t = 1795800000, a = occur("c2.bad.test", "abc", t), b;
	struct store_event e = { .id = -1 };

	ck_assert_int_eq(store_event_set_status(s, a, "handled"), 0);
	b = occur("c2.bad.test", "abc", t + 5);
	ck_assert_int_ne(b, a);
	ck_assert_int_eq(count_of(b), 1);
	ck_assert_int_eq(store_event_set_status(s, 999, "handled"), -ENOENT);
	ck_assert_int_eq(store_event_delete(s, b), 0);
	ck_assert_int_eq(store_event_get(s, b, &e), -ENOENT);
	ck_assert_int_eq(e.id, -1); /* untouched */
}
END_TEST

START_TEST(overview_and_filters)
{
	int64_t t = 1795800000;
	struct event_filter f = { .from = 0, .to = t + 1000, .limit = 50 };
	struct store_overview o;
	struct store_events l;

	occur("c2.bad.test", "abc", t);
	occur("pool.mine.test", "abc", t);
	occur("c2.bad.test", "def", t);
	ck_assert_int_eq(store_events_overview(s, time(NULL), &o), 0);
	ck_assert_int_eq(o.pending, 3);
	ck_assert_int_eq(o.containers, 2);
	f.domain = "bad.test"; /* parent domain covers c2.bad.test */
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].rule_category, "c2");
	ck_assert_ptr_null(l.v[0].detail); /* not read in a list */
	store_events_release(&l);
	ck_assert_ptr_null(l.v);
	f.domain = "%"; /* no LIKE wildcards from the operator */
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 0);
	store_events_release(&l);
	f.domain = NULL;
	f.container = "ab"; /* id prefix */
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].container_id, "abc");
	ck_assert_str_eq(l.v[1].container_id, "abc");
	store_events_release(&l);
	ck_assert_int_eq(store_events_whitelist_pending(s, "*.bad.test"), 2);
	f.container = NULL;
	f.status = "pending";
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].subject, "pool.mine.test");
	store_events_release(&l);
}
END_TEST

START_TEST(list_entries_and_duplicates)
{
	struct store_list_page l;
	struct store_audit_page a;
	char *dom, *net;

	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "c2", 0), 0);
	ck_assert_int_gt(store_list_add(s, "black", "203.0.113.0/24", "", 0), 0);
	ck_assert_int_eq(store_list_add(s, "black", "*.bad.test", "", 0), -EEXIST);
	ck_assert_int_gt(store_list_add(s, "white", "*.bad.test", "", 0), 0);
	ck_assert_int_eq(store_list_text(s, "black", &dom, &net), 0);
	ck_assert_str_eq(dom, "*.bad.test\n");
	ck_assert_str_eq(net, "203.0.113.0/24\n");
	free(dom);
	free(net);
	ck_assert_int_eq(store_list_get(s, "black", 0, 100, 1 << 20, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert(!l.more);
	ck_assert_str_eq(l.v[0].pattern, "*.bad.test");
	ck_assert_str_eq(l.v[0].note, "c2");
	ck_assert_str_eq(l.v[1].note, "");
	ck_assert_int_eq(l.v[0].created_by, 0);
	ck_assert_int_gt(l.v[0].created, 1700000000);
	ck_assert_int_lt(l.v[0].id, l.v[1].id); /* by id */
	ck_assert_int_eq(store_list_remove(s, "black", l.v[0].id), 0);
	store_list_page_release(&l);
	ck_assert_int_eq(store_list_remove(s, "black", 12345), -ENOENT);
	ck_assert_int_eq(store_list_get(s, "black", 0, 0, 1 << 20, &l), -EINVAL);
	ck_assert_int_eq(store_audit(s, 4242, "alice", "blacklist add", "*.bad.test"), 0);
	ck_assert_int_eq(store_audit_get(s, INT64_MAX, 10, &a), 0);
	ck_assert_int_eq(a.n, 1);
	ck_assert_int_eq(a.v[0].uid, 4242);
	ck_assert_str_eq(a.v[0].actor, "alice");
	ck_assert_str_eq(a.v[0].action, "blacklist add");
	ck_assert_str_eq(a.v[0].what, "*.bad.test");
	ck_assert_int_gt(a.v[0].time, 1700000000);
	store_audit_page_release(&a);
}
END_TEST

static int64_t occur_in(const char *subject, const char *cid,
			const char *image, const char *host, const char *cat,
			const char *action, int64_t t, int64_t count)
{
	struct store_occurrence o = {
		.type = "domain", .subject = subject, .container_id = cid,
		.container_name = cid, .process_path = "/bin/sh",
		.process_user = "root", .action = action, .rule_list = "black",
		.rule_source = "intel", .rule_pattern = subject,
		.rule_category = cat, .image = image, .host = host, .time = t,
		.count = count,
	};
	bool fresh;

	return store_event_record(s, &o, &fresh);
}

/* The console's filters (image, host), its sorts and the total. */
START_TEST(console_filters_sorts_and_counts)
{
	int64_t t = 1795800000, total = -1;
	struct event_filter f = { .from = 0, .to = t + 1000, .limit = 50 };
	struct store_events l;

	occur_in("a.bad.test", "c1", "nginx:1.25", "h1", "c2", "blocked", t, 5);
	occur_in("b.bad.test", "c2", "nginx:1.27", "h1", "c2", "alerted", t + 1, 1);
	occur_in("c.bad.test", "c3", "redis:7", "h2", "mining", "blocked", t + 2, 9);
	f.image = "nginx"; /* a prefix of the image's name */
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_str_eq(l.v[0].image, "nginx:1.27"); /* newest first */
	ck_assert_str_eq(l.v[0].host, "h1");
	store_events_release(&l);
	f.image = "nginx:1.25%"; /* a '%' is a character, not a pattern */
	ck_assert_int_eq(store_events_count(s, &f, &total), 0);
	ck_assert_int_eq(total, 0);
	f.image = NULL;
	f.host = "h2";
	ck_assert_int_eq(store_events_count(s, &f, &total), 0);
	ck_assert_int_eq(total, 1);
	f.host = NULL;
	f.sort = EVENT_SORT_COUNT;
	f.limit = 2;
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].count, 9);
	ck_assert_int_eq(l.v[1].count, 5);
	store_events_release(&l);
	f.ascending = true;
	f.sort = EVENT_SORT_DOMAIN;
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_str_eq(l.v[0].subject, "a.bad.test");
	ck_assert_str_eq(l.v[1].subject, "b.bad.test");
	store_events_release(&l);
	f.offset = 2; /* the next page goes on where the first stopped */
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].subject, "c.bad.test");
	store_events_release(&l);
	ck_assert_int_eq(store_events_count(s, &f, &total), 0);
	ck_assert_int_eq(total, 3); /* limit and offset aside */
}
END_TEST

START_TEST(overview_trend_and_tops)
{
	int64_t now = time(NULL);
	struct store_overview o;
	int64_t sum = 0;

	occur_in("x.bad.test", "c1", "", "h", "c2", "blocked", now, 3);
	occur_in("x.bad.test", "c2", "", "h", "c2", "alerted", now, 1);
	occur_in("y.bad.test", "c1", "", "h", "mining", "blocked", now - 86400, 1);
	/* older than the window: counted pending, not in the trend */
	occur_in("z.bad.test", "c3", "", "h", "c2", "blocked", now - 30 * 86400, 1);
	ck_assert_int_eq(store_events_overview(s, now, &o), 0);
	ck_assert_int_eq(o.pending, 4);
	ck_assert_int_eq(o.events_window, 3);
	ck_assert_int_eq(o.blocked_window, 2);
	ck_assert_str_eq(o.days[OVERVIEW_DAYS - 1].day, day_of(now));
	ck_assert_str_eq(o.days[OVERVIEW_DAYS - 2].day, day_of(now - 86400));
	ck_assert_int_eq(o.days[OVERVIEW_DAYS - 1].total, 2);
	ck_assert_int_eq(o.days[OVERVIEW_DAYS - 1].ncats, 1);
	ck_assert_str_eq(o.days[OVERVIEW_DAYS - 1].cats[0].name, "c2");
	ck_assert_str_eq(o.days[OVERVIEW_DAYS - 2].cats[0].name, "mining");
	for (int i = 0; i < OVERVIEW_DAYS; i++)
		sum += o.days[i].total;
	ck_assert_int_eq(sum, o.events_window);
	ck_assert_int_eq(o.ndomains, 2);
	ck_assert_str_eq(o.domains[0].name, "x.bad.test");
	ck_assert_int_eq(o.domains[0].events, 2);
	ck_assert_int_eq(o.domains[0].hits, 4);
	ck_assert_int_eq(o.ncontainers, 2);
	ck_assert_str_eq(o.containers_top[0].id, "c1");
	ck_assert_int_eq(o.containers_top[0].events, 2);
}
END_TEST

/* A store of before migration 5: its events get image and host from the
 * detail they kept. */
/* Migration 6 undone: the fleet's counter, outbox and lists. */
#define UNDO_V6                                                             \
	"DROP TRIGGER events_rev_insert; DROP TRIGGER events_rev_update;"   \
	"DROP INDEX events_rev; ALTER TABLE events DROP COLUMN rev;"         \
	"DROP TABLE fleet_state; DROP TABLE fleet_gone;"                     \
	"DROP TABLE fleet_lists;"

START_TEST(old_events_get_image_and_host_from_detail)
{
	struct store_events l;
	struct event_filter f = { .from = 0, .to = INT64_MAX / 4, .limit = 9 };
	char err[256];

	char path[512];
	sqlite3 *db;

	store_close(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/egressd.db", dir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	/* back to version 4's schema, with an event of then */
	ck_assert_int_eq(sqlite3_exec(db, UNDO_V6
		"DROP INDEX events_day;"
		"ALTER TABLE events DROP COLUMN image;"
		"ALTER TABLE events DROP COLUMN host;"
		"ALTER TABLE audit DROP COLUMN actor;"
		"INSERT INTO events(type, subject, day, first_seen, last_seen,"
		" action, detail) VALUES ('domain', 'old.test', '2026-01-01',"
		" 1, 1, 'alerted', '{\"container\":{\"image\":\"alpine:3\"},"
		"\"host\":{\"name\":\"node7\"}}');"
		"PRAGMA user_version=4;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_msg(!store_open_checked(dir, &s, &(struct store_open_report){ 0 },
					  err, sizeof(err)), "%s", err);
	f.host = "node7";
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].image, "alpine:3");
	store_events_release(&l);
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


/* ---- integrity at open ---- */

static char *path_in(const char *name)
{
	static char p[4][600];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* An occurrence with its own key, status and time, and a detail of about
 * `pad` bytes (a real one is ~1 KB: container, process, rule, flow). */
static int64_t event_at(const char *subject, int64_t t, const char *status,
			size_t pad)
{
	char *detail = malloc(pad + 12);
	bool fresh;

	memcpy(detail, "{\"pad\":\"", 8);
	memset(detail + 8, 'x', pad);
	strcpy(detail + 8 + pad, "\"}");
	struct store_occurrence o = {
		.type = "domain", .subject = subject, .container_id = "abc",
		.container_name = "web", .process_path = "/usr/bin/curl",
		.process_user = "root", .action = "alerted", .time = t,
		.detail = detail,
	};
	int64_t id = store_event_record(s, &o, &fresh);

	ck_assert_int_gt(id, 0);
	if (strcmp(status, "pending"))
		ck_assert_int_eq(store_event_set_status(s, id, status), 0);
	free(detail);
	return id;
}

static int pending_count(void)
{
	struct store_overview o;

	ck_assert_int_eq(store_events_overview(s, time(NULL), &o), 0);
	return (int)o.pending;
}

/* The first row of a statement run on the store file directly. */
static void sql_text(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static off_t size_of(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "%s: %m", path);
	return st.st_size;
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

START_TEST(new_store_has_incremental_auto_vacuum)
{
	char v[32];

	store_close(s);
	s = NULL;
	sql_text(path_in("egressd.db"), "PRAGMA auto_vacuum", v, sizeof(v));
	ck_assert_str_eq(v, "2"); /* INCREMENTAL */
}
END_TEST

START_TEST(old_store_migrates_to_auto_vacuum_once)
{
	struct store_open_report rep;
	char err[512] = "", v[32];
	int64_t a = occur("c2.bad.test", "abc", 1795800000);
	sqlite3 *db;

	/* A store as the schema-2 egressd left it: no auto-vacuum. */
	store_close(s);
	s = NULL;
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, UNDO_V6
				      "ALTER TABLE imports DROP COLUMN list;"
				      " DROP INDEX events_day;"
				      " ALTER TABLE events DROP COLUMN image;"
				      " ALTER TABLE events DROP COLUMN host;"
				      " ALTER TABLE audit DROP COLUMN actor;"
				      " PRAGMA auto_vacuum=NONE; VACUUM;"
				      " PRAGMA user_version=2", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	sql_text(path_in("egressd.db"), "PRAGMA auto_vacuum", v, sizeof(v));
	ck_assert_str_eq(v, "0");

	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.vacuumed);
	ck_assert(!rep.damaged);
	ck_assert_int_eq(count_of(a), 1);
	store_close(s);
	sql_text(path_in("egressd.db"), "PRAGMA auto_vacuum", v, sizeof(v));
	ck_assert_str_eq(v, "2");
	sql_text(path_in("egressd.db"), "PRAGMA user_version", v, sizeof(v));
	ck_assert_str_eq(v, "6");
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(!rep.vacuumed); /* once */
}
END_TEST

/* Overwrites 4 KiB page number `page` (1-based) with bytes that are no
 * b-tree page (a fixed pseudo-random sequence). */
static void damage_page(const char *path, int64_t page)
{
	int fd = open(path, O_WRONLY);
	unsigned char junk[4096];
	uint32_t x = 2463534242u ^ (uint32_t)page;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(size_of(path), page * 4096);
	for (size_t i = 0; i < sizeof(junk); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		junk[i] = (unsigned char)x;
	}
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), (page - 1) * 4096),
			 (ssize_t)sizeof(junk));
	close(fd);
}

/* Overwrites the last `pages` pages of the file. */
static void damage_tail(const char *path, int pages)
{
	int64_t last = size_of(path) / 4096;

	ck_assert_int_gt(last, pages);
	for (int p = 0; p < pages; p++)
		damage_page(path, last - p);
}

START_TEST(damaged_tail_pages_set_aside_and_salvaged)
{
	struct store_open_report rep;
	struct store_import im = { .name = "feed", .path = "/x/imported/feed",
				   .format = "domains", .category = "c2",
				   .entries = 10 };
	struct store_imports got;
	char err[512] = "", sub[64], v[64];
	int64_t t = 1795800000;
	off_t damaged_size;
	int events = 3000;

	/* The operator's entries first, then a flood of events after them
	 * (the tail of the file). */
	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "", 0), 0);
	ck_assert_int_gt(store_list_add(s, "black", "203.0.113.0/24", "", 0), 0);
	ck_assert_int_gt(store_list_add(s, "white", "ok.test", "", 0), 0);
	ck_assert_int_eq(store_import_put(s, &im), 0);
	ck_assert_int_eq(store_audit(s, 0, "", "blacklist add", "*.bad.test"), 0);
	ck_assert_int_eq(store_audit(s, 0, "", "lists import", "feed"), 0);
	for (int i = 0; i < events; i++) {
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		event_at(sub, t + i, "pending", 300);
	}
	store_close(s); /* checkpoints: everything is in egressd.db */
	s = NULL;
	damage_tail(path_in("egressd.db"), 8);
	damaged_size = size_of(path_in("egressd.db"));

	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.damaged);
	ck_assert(rep.why[0] && strcmp(rep.why, "ok"));
	ck_assert_ptr_nonnull(strstr(rep.set_aside, "/egressd.db.damaged-20"));
	ck_assert_int_eq(size_of(rep.set_aside), damaged_size); /* as found */
	snprintf(v, sizeof(v), "%s", rep.set_aside + strlen(dir) + 1);
	ck_assert_int_eq(access(path_in(strcat(v, "-shm")), F_OK), -1);
	ck_assert_int_eq(rep.salvage_error, 0);
	ck_assert_int_eq(rep.salvaged.lists, 3);
	ck_assert_int_eq(rep.salvaged.imports, 1);
	ck_assert_int_eq(store_imports_get(s, &got), 0);
	ck_assert_int_eq(got.n, 1);
	ck_assert_str_eq(got.v[0].path, "/x/imported/feed");
	ck_assert_int_eq(got.v[0].entries, 10);
	store_imports_release(&got);
	ck_assert_int_eq(rep.salvaged.audit, 2);
	/* Most events sat before the damage; the damaged pages cost some. */
	ck_assert_int_gt(rep.salvaged.events, events / 2);
	ck_assert_int_lt(rep.salvaged.events, events);
	ck_assert_int_gt(rep.salvaged.errors, 0);
	fprintf(stderr, "damaged tail: why '%s'; salvaged %lld of %d events, "
		"%lld errors\n", rep.why, (long long)rep.salvaged.events, events,
		(long long)rep.salvaged.errors);

	/* The fresh store shows what was salvaged and stores new events. */
	ck_assert_int_eq(pending_count(), rep.salvaged.events);
	event_at("new.bad.test", t + events, "pending", 10);
	ck_assert_int_eq(pending_count(), rep.salvaged.events + 1);
	struct store_list_page l;
	ck_assert_int_eq(store_list_get(s, "black", 0, 1000, 1 << 20, &l), 0);
	ck_assert_int_eq(l.n, 2);
	store_list_page_release(&l);
	sql_text(path_in("egressd.db"), "PRAGMA quick_check", v, sizeof(v));
	ck_assert_str_eq(v, "ok");
	store_close(s);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(!rep.damaged);
}
END_TEST

/* A damaged leaf in the middle of the events: the salvage reads past it
 * and loses only that page's rows. The page is picked with the dbstat
 * table: the events' leaf in the middle, and how many rows it holds. */
START_TEST(salvage_reads_past_a_damaged_region)
{
	struct store_open_report rep;
	char err[512] = "", sub[64];
	int events = 3000, nleaf = 0;
	int64_t pages[1024], cells[1024], last = 0;
	sqlite3_stmt *st;
	sqlite3 *db;

	for (int i = 0; i < events; i++) {
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		last = event_at(sub, 1795800000 + i, "pending", 300);
	}
	store_close(s);
	s = NULL;
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT pageno, ncell FROM dbstat"
					    " WHERE name = 'events' AND pagetype"
					    " = 'leaf' ORDER BY path",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && nleaf < 1024) {
		pages[nleaf] = sqlite3_column_int64(st, 0);
		cells[nleaf++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_int_gt(nleaf, 10);
	damage_page(path_in("egressd.db"), pages[nleaf / 2]);

	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.damaged);
	ck_assert_int_eq(rep.salvaged.events, events - cells[nleaf / 2]);
	ck_assert_int_eq(rep.salvaged.errors, 1); /* one damaged region */
	ck_assert_int_eq(count_of(last), 1); /* the newest, past the damage */
}
END_TEST

START_TEST(empty_store_set_aside_never_overwriting)
{
	struct store_open_report rep;
	char err[512] = "", name[128], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	store_close(s);
	s = NULL;
	ck_assert_int_eq(truncate(path_in("egressd.db"), 0), 0);
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err, "0 bytes"));
	/* An earlier set-aside store of this second (and the next) stays. */
	for (int i = 0; i < 2; i++) {
		time_t t = now + i;
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(name, sizeof(name), "egressd.db.damaged-%s", stamp);
		write_file(path_in(name), "keep", 4);
	}
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.damaged);
	ck_assert_str_eq(rep.why, "egressd.db is empty (0 bytes)");
	ck_assert_int_eq(strcmp(rep.set_aside + strlen(rep.set_aside) - 2, ".1"), 0);
	ck_assert_int_eq(size_of(rep.set_aside), 0);
	ck_assert_int_eq(size_of(path_in(name)), 4);
	ck_assert_int_eq(rep.salvaged.lists + rep.salvaged.events, 0);
	ck_assert_int_gt(size_of(path_in("egressd.db")), 0);
	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "", 0), 0);
}
END_TEST

START_TEST(garbage_store_is_damaged)
{
	struct store_open_report rep;
	char err[512] = "", junk[8192];

	store_close(s);
	s = NULL;
	memset(junk, 0x5a, sizeof(junk));
	write_file(path_in("egressd.db"), junk, sizeof(junk));
	unlink(path_in("egressd.db-wal"));
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), -EBADMSG);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.damaged);
	ck_assert_str_eq(rep.why, "file is not a database");
	ck_assert_int_eq(size_of(rep.set_aside), sizeof(junk));
	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "", 0), 0);
}
END_TEST

/* A crash leaves the last commits in the -wal: the salvage reads them
 * there, in the set-aside -wal. */
START_TEST(salvage_reads_the_set_aside_wal)
{
	struct store_open_report rep;
	char err[512] = "", copy[] = "/tmp/egressd-test-store-XXXXXX";
	char cmd[PATH_MAX + 600];
	sqlite3 *db;
	int events = 3000;

	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "", 0), 0);
	for (int i = 0; i < events; i++) {
		snprintf(cmd, sizeof(cmd), "h%d.bad.test", i);
		event_at(cmd, 1795800000 + i, "pending", 300);
	}
	/* Everything so far into the file, the next commits in the -wal. */
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_wal_checkpoint_v2(db, NULL,
						   SQLITE_CHECKPOINT_TRUNCATE,
						   NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_gt(store_list_add(s, "black", "wal1.test", "", 0), 0);
	ck_assert_int_gt(store_list_add(s, "black", "wal2.test", "", 0), 0);
	ck_assert_int_gt(size_of(path_in("egressd.db-wal")), 0);
	/* The state dir as a crash leaves it: a copy taken while open. */
	ck_assert_ptr_nonnull(mkdtemp(copy));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' '%s'", path_in("egressd.db"),
		 path_in("egressd.db-wal"), copy);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/egressd.db", copy);
	damage_tail(cmd, 8);
	store_close(s);

	ck_assert_int_eq(store_open_checked(copy, &s, &rep, err, sizeof(err)), 0);
	ck_assert(rep.damaged);
	ck_assert_int_eq(rep.salvaged.lists, 3);
	ck_assert_int_gt(rep.salvaged.events, events / 2);
	snprintf(cmd, sizeof(cmd), "%s-wal", rep.set_aside);
	ck_assert_int_gt(size_of(cmd), 0); /* moved aside with it */
	snprintf(cmd, sizeof(cmd), "%s/egressd.db-wal", copy);
	store_close(s);
	s = NULL;
	ck_assert_int_eq(access(cmd, F_OK), -1); /* not replayed: closed clean */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", copy);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Clears the state dir so that egressd.db can be something else. */
static void empty_dir(void)
{
	store_close(s);
	s = NULL;
	unlink(path_in("egressd.db"));
	unlink(path_in("egressd.db-wal"));
	unlink(path_in("egressd.db-shm"));
}

START_TEST(directory_store_refused)
{
	struct store_open_report rep;
	char err[512] = "";
	struct stat st;

	empty_dir();
	ck_assert_int_eq(mkdir(path_in("egressd.db"), 0700), 0);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "egressd.db is a directory, not a "
					  "regular file"));
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(lstat(path_in("egressd.db"), &st), 0);
	ck_assert(S_ISDIR(st.st_mode)); /* left as it was */
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(symlink_store_refused_not_followed)
{
	struct store_open_report rep;
	char err[512] = "", target[600];

	empty_dir();
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	write_file(target, "mine", 4);
	ck_assert_int_eq(symlink(target, path_in("egressd.db")), 0);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is a symbolic link"));
	ck_assert_int_eq(size_of(target), 4);
	ck_assert_int_eq(unlink(path_in("egressd.db")), 0); /* still the link */
}
END_TEST

/* SIGALRM's default action ends the test run: a blocked open fails it. */
START_TEST(fifo_store_refused_without_blocking)
{
	struct store_open_report rep;
	char err[512] = "";

	empty_dir();
	ck_assert_int_eq(mkfifo(path_in("egressd.db"), 0600), 0);
	alarm(10);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "egressd.db is a FIFO"));
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(unlink(path_in("egressd.db")), 0);

	/* A FIFO in the WAL's place, next to a good store. */
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);
	store_close(s);
	s = NULL;
	ck_assert_int_eq(mkfifo(path_in("egressd.db-wal"), 0600), 0);
	ck_assert_int_eq(store_open_checked(dir, &s, &rep, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "egressd.db-wal is a FIFO"));
	alarm(0);
}
END_TEST

/* ---- occurrences coalesced by the writer ---- */

START_TEST(coalesced_occurrences_add_count_and_keep_bounds)
{
	int64_t t = 1795800000;
	struct store_occurrence o = {
		.type = "domain", .subject = "c2.bad.test", .container_id = "abc",
		.process_path = "/usr/bin/wget", .process_user = "root",
		.action = "blocked", .time = t, .count = 5, .first_time = t - 100,
	};
	bool fresh;
	int64_t id = store_event_record(s, &o, &fresh);
	struct store_event e;

	ck_assert_int_gt(id, 0);
	ck_assert(fresh);
	ck_assert_int_eq(count_of(id), 5);
	o.count = 0, o.first_time = 0, o.time = t + 10; /* one, now */
	ck_assert_int_eq(store_event_record(s, &o, &fresh), id);
	ck_assert(!fresh);
	/* A batch flushed late: earlier than what is stored. */
	o.count = 3, o.first_time = t - 200, o.time = t - 150;
	ck_assert_int_eq(store_event_record(s, &o, &fresh), id);
	ck_assert_int_eq(count_of(id), 9);
	ck_assert_int_eq(store_event_get(s, id, &e), 0);
	ck_assert_int_eq(e.first_seen, t - 200);
	ck_assert_int_eq(e.last_seen, t + 10);
	ck_assert_str_eq(e.detail, ""); /* recorded without one */
	ck_assert_str_eq(e.container_name, ""); /* not given: '' */
	ck_assert_str_eq(e.rule_source, "");
	store_event_release(&e);
	o.count = -1;
	ck_assert_int_eq(store_event_record(s, &o, &fresh), -EINVAL);
	o.count = 2, o.first_time = t + 1, o.time = t;
	ck_assert_int_eq(store_event_record(s, &o, &fresh), -EINVAL);
	ck_assert_int_eq(count_of(id), 9);
}
END_TEST

/* A page of list entries stops at its byte bound (past its first row),
 * and the pages together are the list, each entry once. */
START_TEST(list_pages_are_bounded_in_bytes)
{
	char note[1001], pat[32];
	int64_t after = 0, seen = 0, pages = 0;
	struct store_list_page l = { .more = true };

	memset(note, 'N', 1000);
	note[1000] = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(pat, sizeof(pat), "p%d.bad.test", i);
		ck_assert_int_gt(store_list_add(s, "black", pat, note, 0), 0);
	}
	while (l.more) {
		ck_assert_int_eq(store_list_get(s, "black", after, 5000, 5000, &l), 0);
		ck_assert_int_ge(l.n, 1);
		ck_assert_int_le(l.n, 5); /* ~1.1 KB a row */
		for (size_t i = 0; i < l.n; i++)
			ck_assert_str_eq(l.v[i].note, note); /* whole */
		seen += (int64_t)l.n;
		pages++;
		after = l.v[l.n - 1].id;
		store_list_page_release(&l);
	}
	ck_assert_int_eq(seen, 20);
	ck_assert_int_ge(pages, 4);
	/* One row larger than the bound still comes, alone. */
	ck_assert_int_eq(store_list_get(s, "black", 0, 5000, 10, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert(l.more);
	store_list_page_release(&l);
	/* The row limit holds too. */
	ck_assert_int_eq(store_list_get(s, "black", 0, 3, 1 << 20, &l), 0);
	ck_assert_int_eq(l.n, 3);
	ck_assert(l.more);
	store_list_page_release(&l);
}
END_TEST

/* The leaf page of a table in the middle of it (by the dbstat table). */
static int64_t middle_leaf(const char *table)
{
	char sql[200];
	int64_t pages[4096];
	int n = 0;
	sqlite3_stmt *st;
	sqlite3 *db;

	snprintf(sql, sizeof(sql), "SELECT pageno FROM dbstat WHERE name = '%s'"
		 " AND pagetype = 'leaf' ORDER BY path", table);
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && n < 4096)
		pages[n++] = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_int_gt(n, 2);
	return pages[n / 2];
}

/* A read that fails part-way (a damaged page here) is an error, never a
 * shorter result: the policy must not load part of the operator's list,
 * egressctl must not show part of a page as all of it. */
START_TEST(a_read_failing_part_way_is_an_error_not_less)
{
	char err[512] = "", pat[64], note[400], *dom = NULL, *net = NULL;
	struct event_filter f = { .from = 0, .to = INT64_MAX, .limit = 100000 };
	struct store_list_page l = { .n = 77 };
	struct store_audit_page a = { .n = 77 };
	struct store_events ev = { .n = 77 };

	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(pat, sizeof(pat), "p%d.bad.test", i);
		ck_assert_int_gt(store_list_add(s, "black", pat, note, 0), 0);
		ck_assert_int_eq(store_audit(s, 0, "", "blacklist add", note), 0);
		snprintf(pat, sizeof(pat), "e%d.bad.test", i);
		event_at(pat, 1795800000 + i, "pending", 300);
	}
	store_close(s);
	s = NULL;
	damage_page(path_in("egressd.db"), middle_leaf("lists"));
	/* store_list_text reads the UNIQUE(list, pattern) index alone */
	damage_page(path_in("egressd.db"), middle_leaf("sqlite_autoindex_lists_1"));
	damage_page(path_in("egressd.db"), middle_leaf("audit"));
	damage_page(path_in("egressd.db"), middle_leaf("events"));
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);

	ck_assert_int_lt(store_list_text(s, "black", &dom, &net), 0);
	ck_assert_ptr_null(dom);
	ck_assert_ptr_null(net);
	ck_assert_int_eq(store_list_get(s, "black", 0, 5000, 64 << 20, &l),
			 -EBADMSG);
	ck_assert_int_lt(store_audit_get(s, INT64_MAX, 5000, &a), 0);
	ck_assert_int_lt(store_events_list(s, &f, &ev), 0);
	/* nothing returned: not part of a page */
	ck_assert_int_eq(l.n + a.n + ev.n, 3 * 77);
	/* The whitelist, on pages of its own, still reads (empty). */
	ck_assert_int_eq(store_list_get(s, "white", 0, 2, 64 << 20, &l), 0);
	ck_assert_int_eq(l.n, 0);
	ck_assert(!l.more);
	store_list_page_release(&l);
}
END_TEST

/* Imports come back as they were put, by name; putting a name again
 * replaces it. */
START_TEST(imports_come_back_typed)
{
	struct store_import a = {
		.name = "zfeed", .path = "/s/imported/zfeed", .format = "hosts",
		.category = "malware", .entries = 11, .stripped = 2,
		.uid = 1000,
	};
	struct store_import b = {
		.name = "afeed", .path = "/s/imported/afeed",
		.format = "wildcard", .category = "partners", .entries = 3,
		.white = true,
	};
	struct store_imports im;
	int64_t now = time(NULL);

	ck_assert_int_eq(store_imports_get(s, &im), 0);
	ck_assert_int_eq(im.n, 0);
	store_imports_release(&im);
	ck_assert_int_eq(store_import_put(s, &a), 0);
	ck_assert_int_eq(store_import_put(s, &b), 0);
	a.entries = 12;
	ck_assert_int_eq(store_import_put(s, &a), 0);
	ck_assert_int_eq(store_imports_get(s, &im), 0);
	ck_assert_int_eq(im.n, 2);
	ck_assert_str_eq(im.v[0].name, "afeed");
	ck_assert_str_eq(im.v[0].format, "wildcard");
	ck_assert_str_eq(im.v[0].category, "partners");
	ck_assert(im.v[0].white);
	ck_assert_int_eq(im.v[0].uid, 0);
	ck_assert_str_eq(im.v[1].name, "zfeed");
	ck_assert_str_eq(im.v[1].path, "/s/imported/zfeed");
	ck_assert(!im.v[1].white);
	ck_assert_int_eq(im.v[1].entries, 12); /* replaced */
	ck_assert_int_eq(im.v[1].stripped, 2);
	ck_assert_int_eq(im.v[1].uid, 1000);
	ck_assert_int_ge(im.v[1].imported, now);
	ck_assert_int_le(im.v[1].imported, now + 5);
	store_imports_release(&im);
	ck_assert_ptr_null(im.v);
	store_imports_release(NULL);
}
END_TEST

static char *filled(size_t n, char c)
{
	char *p = malloc(n + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, c, n);
	p[n] = 0;
	return p;
}

/* No field has a size of its own: long strings come back whole, in a
 * list as in one event; a SQL NULL comes back "" (never NULL). */
START_TEST(long_fields_come_back_whole)
{
	char *subject = filled(5000, 's'), *path = filled(4096, 'p');
	char *what = filled(70000, 'w'), *pad = filled(100000, 'x');
	char *detail = malloc(100000 + 12), sql[200];
	struct event_filter f = { .from = 0, .to = INT64_MAX, .limit = 10 };
	struct store_occurrence o = {
		.type = "domain", .subject = subject, .container_id = "abc",
		.process_path = path, .action = "alerted", .time = 1795800000,
		.rule_list = "black", .detail = detail,
	};
	struct store_audit_page a;
	struct store_events l;
	struct store_event e;
	sqlite3 *db;
	int64_t id;
	bool fresh;

	snprintf(detail, 100000 + 12, "{\"pad\":\"%s\"}", pad);
	id = store_event_record(s, &o, &fresh);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(store_event_get(s, id, &e), 0);
	ck_assert_str_eq(e.subject, subject);
	ck_assert_str_eq(e.process_path, path);
	ck_assert_str_eq(e.detail, detail);
	store_event_release(&e);
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 1);
	ck_assert_str_eq(l.v[0].subject, subject);
	store_events_release(&l);
	ck_assert_int_eq(store_audit(s, 0, "", "lists import", what), 0);
	ck_assert_int_eq(store_audit_get(s, INT64_MAX, 1, &a), 0);
	ck_assert_str_eq(a.v[0].what, what);
	store_audit_page_release(&a);

	/* Columns that may hold NULL (an older or salvaged row). */
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE events SET rule_list = NULL,"
		 " detail = NULL WHERE id = %lld", (long long)id);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_event_get(s, id, &e), 0);
	ck_assert_str_eq(e.rule_list, "");
	ck_assert_str_eq(e.detail, "");
	ck_assert_str_eq(e.subject, subject);
	store_event_release(&e);
	store_event_release(NULL);
	free(subject), free(path), free(what), free(pad), free(detail);
}
END_TEST

/* ---- space ---- */

START_TEST(state_usage_counts_regular_files_only)
{
	static char big[65536];
	char target[600];
	uint64_t u0, u1, u2;

	ck_assert_int_eq(store_state_usage(dir, &u0), 0);
	ck_assert_int_gt(u0, 0); /* the store */
	write_file(path_in("events.jsonl"), big, sizeof(big));
	ck_assert_int_eq(store_state_usage(dir, &u1), 0);
	ck_assert_int_ge(u1 - u0, sizeof(big));
	ck_assert_int_lt(u1 - u0, 2 * sizeof(big));
	ck_assert_int_eq(mkdir(path_in("imported"), 0750), 0);
	write_file(path_in("imported/feed"), big, sizeof(big));
	/* Not counted: what a symlink points to, subdirs other than
	 * imported/. */
	snprintf(target, sizeof(target), "%s/x/outside", dir);
	ck_assert_int_eq(mkdir(path_in("x"), 0750), 0);
	write_file(target, big, sizeof(big));
	ck_assert_int_eq(symlink(target, path_in("link")), 0);
	ck_assert_int_eq(store_state_usage(dir, &u2), 0);
	ck_assert_int_ge(u2 - u1, sizeof(big));
	ck_assert_int_lt(u2 - u1, 2 * sizeof(big));
}
END_TEST

/* The oldest of the handled events go first (the status order), then,
 * with none of those left, the oldest pending ones; the file shrinks. */
START_TEST(budget_deletes_settled_oldest_first_and_shrinks)
{
	struct store_budget_report rep;
	struct event_filter f = { .from = 0, .to = INT64_MAX, .limit = 100000 };
	int64_t t = 1795800000;
	int pending = 1200, handled = 1200;
	char err[512] = "", sub[64];
	off_t db0, db1, db2;
	uint64_t u0, u1;
	struct store_list_page lp;
	struct store_audit_page ap;
	struct store_events l;

	ck_assert_int_gt(store_list_add(s, "black", "*.bad.test", "", 0), 0);
	ck_assert_int_eq(store_audit(s, 0, "", "blacklist add", "*.bad.test"), 0);
	/* Pending ones are older than handled ones: status beats age. */
	for (int i = 0; i < pending; i++) {
		snprintf(sub, sizeof(sub), "p%d.bad.test", i);
		event_at(sub, t + i, "pending", 600);
	}
	for (int i = 0; i < handled; i++) {
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		event_at(sub, t + pending + i, "handled", 600);
	}
	store_close(s); /* the WAL into the file: measure the file alone */
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);
	db0 = size_of(path_in("egressd.db"));
	ck_assert_int_eq(store_state_usage(dir, &u0), 0);

	/* Under budget: nothing happens. */
	ck_assert_int_eq(store_budget_enforce(s, dir, u0 + 1, &rep), 0);
	ck_assert_int_eq(rep.deleted_handled + rep.deleted_pending, 0);

	/* Over: a target of 67.5% takes most handled events, no pending. */
	ck_assert_int_eq(store_budget_enforce(s, dir, u0 / 4 * 3, &rep), 0);
	ck_assert_int_eq(rep.bytes_before, u0);
	ck_assert_int_le(rep.bytes_after, u0 / 4 * 3 / 10 * 9);
	ck_assert_int_gt(rep.deleted_handled, 0);
	ck_assert_int_lt(rep.deleted_handled, handled);
	ck_assert_int_eq(rep.deleted_pending, 0);
	ck_assert(!rep.exhausted);
	db1 = size_of(path_in("egressd.db"));
	ck_assert_int_lt(db1, db0 * 3 / 4);
	ck_assert_int_eq(store_state_usage(dir, &u1), 0);
	ck_assert_int_eq(u1, rep.bytes_after);
	ck_assert_int_eq(pending_count(), pending);
	f.status = "handled";
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, handled - rep.deleted_handled);
	/* newest first: the last one is the oldest kept */
	ck_assert_int_eq(l.v[l.n - 1].last_seen,
			 t + pending + rep.deleted_handled);
	store_events_release(&l);

	/* Half of that: every handled event, then the oldest pending. */
	ck_assert_int_eq(store_budget_enforce(s, dir, u1 / 2, &rep), 0);
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, 0); /* no handled one left */
	store_events_release(&l);
	ck_assert_int_gt(rep.deleted_pending, 0);
	ck_assert_int_lt(rep.deleted_pending, pending);
	ck_assert_int_le(rep.bytes_after, u1 / 2 / 10 * 9);
	f.status = "pending";
	ck_assert_int_eq(store_events_list(s, &f, &l), 0);
	ck_assert_int_eq(l.n, pending - rep.deleted_pending);
	ck_assert_int_eq(l.v[l.n - 1].last_seen, t + rep.deleted_pending);
	store_events_release(&l);
	db2 = size_of(path_in("egressd.db"));
	ck_assert_int_lt(db2, db1);
	fprintf(stderr, "budget: egressd.db %lld -> %lld -> %lld bytes\n",
		(long long)db0, (long long)db1, (long long)db2);

	/* Nothing left to delete: stops, says so, keeps lists and audit. */
	ck_assert_int_eq(store_budget_enforce(s, dir, 1, &rep), 0);
	ck_assert(rep.exhausted);
	ck_assert_int_eq(pending_count(), 0);
	ck_assert_int_eq(store_list_get(s, "black", 0, 1000, 1 << 20, &lp), 0);
	ck_assert_int_eq(lp.n, 1);
	store_list_page_release(&lp);
	ck_assert_int_eq(store_audit_get(s, INT64_MAX, 10, &ap), 0);
	ck_assert_int_eq(ap.n, 1);
	store_audit_page_release(&ap);
}
END_TEST


/* Files egressd cannot delete (an imported feed) push the dir over its
 * budget: settled events make room, pending ones never do for them; only
 * when the events' own files are over the budget do pending ones go, and
 * then only down to it. */
START_TEST(budget_never_deletes_pending_events_for_feeds)
{
	struct store_budget_report rep;
	struct store_usage u;
	char err[512] = "", sub[64], *big;
	int pending = 1200, handled = 300;
	uint64_t ev0;

	for (int i = 0; i < pending; i++) {
		snprintf(sub, sizeof(sub), "p%d.bad.test", i);
		event_at(sub, 1795800000 + i, "pending", 600);
	}
	for (int i = 0; i < handled; i++) {
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		event_at(sub, 1795810000 + i, "handled", 600);
	}
	store_close(s);
	ck_assert_int_eq(store_open(dir, &s, err, sizeof(err)), 0);
	ck_assert_int_eq(store_state_usage_split(dir, &u), 0);
	ev0 = u.store + u.export;
	/* A feed as large as the store. */
	ck_assert_int_eq(mkdir(path_in("imported"), 0750), 0);
	big = calloc(1, ev0);
	write_file(path_in("imported/feed"), big, ev0);
	free(big);
	ck_assert_int_eq(store_state_usage_split(dir, &u), 0);
	ck_assert_int_ge(u.feeds, ev0);

	/* Budget 1.5 x the events: over it only because of the feed. */
	ck_assert_int_eq(store_budget_enforce(s, dir, ev0 / 2 * 3, &rep), 0);
	ck_assert_int_eq(rep.deleted_handled, handled);
	ck_assert_int_eq(rep.deleted_pending, 0);
	ck_assert(rep.pending_spared);
	ck_assert(!rep.exhausted);
	ck_assert_int_ge(rep.feeds, ev0);
	ck_assert_int_eq(pending_count(), pending);

	/* Budget half the events: they are over it on their own; pending
	 * go down to its target, no further. */
	ck_assert_int_eq(store_budget_enforce(s, dir, ev0 / 2, &rep), 0);
	ck_assert_int_gt(rep.deleted_pending, 0);
	ck_assert_int_lt(rep.deleted_pending, pending);
	ck_assert(rep.pending_spared);
	ck_assert_int_eq(store_state_usage_split(dir, &u), 0);
	ck_assert_int_le(u.store + u.export, ev0 / 2 / 10 * 9);
	ck_assert_int_eq(pending_count(), pending - rep.deleted_pending);
}
END_TEST

/* A reader on another connection holds the checkpoint up: the WAL still
 * counts, so the budget stops after one batch instead of deleting on.
 * (Waits the store's busy timeout, 5 s.) */
START_TEST(budget_stops_when_a_reader_holds_the_wal)
{
	struct store_budget_report rep;
	char sub[64];
	sqlite3_stmt *st;
	sqlite3 *db;
	uint64_t u0;
	int events = 1200;

	for (int i = 0; i < events; i++) {
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		event_at(sub, 1795800000 + i, "handled", 600);
	}
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id FROM events", -1, &st,
					    NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW); /* a read open */
	ck_assert_int_eq(store_state_usage(dir, &u0), 0);
	ck_assert_int_eq(store_budget_enforce(s, dir, u0 / 4, &rep), -EBUSY);
	ck_assert_int_gt(rep.deleted_handled, 0);
	ck_assert_int_lt(rep.deleted_handled, events / 2);
	sqlite3_finalize(st);
	sqlite3_close(db);
	ck_assert_int_eq(store_budget_enforce(s, dir, u0 / 4, &rep), 0);
	ck_assert_int_le(rep.bytes_after, u0 / 4 / 10 * 9);
}
END_TEST

/* ---- a full disk ---- */

/* A namespace of its own for the tmpfs: no other process sees it and it
 * is gone with the child, whatever happens. Root unshares the mount
 * namespace; others a user namespace with it. */
static int own_mount_ns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	FILE *f;

	if (!unshare(CLONE_NEWNS))
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -errno;
	f = fopen("/proc/self/setgroups", "w");
	if (f)
		fputs("deny", f), fclose(f);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	f = fopen("/proc/self/uid_map", "w");
	if (!f || fputs(map, f) < 0 || fclose(f))
		return -EPERM;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	f = fopen("/proc/self/gid_map", "w");
	if (!f || fputs(map, f) < 0 || fclose(f))
		return -EPERM;
	return 0;
}

#define CHILD_FAIL(code, ...)                                                \
	do {                                                                 \
		fprintf(stderr, "full disk: " __VA_ARGS__);                  \
		fputc('\n', stderr);                                         \
		return code;                                                 \
	} while (0)

/* Fills the file system of dir with one file; returns its path. */
static int fill(const char *d, char *path, size_t len)
{
	static char block[4096];
	int fd;

	snprintf(path, len, "%s/filler", d);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	while (write(fd, block, sizeof(block)) > 0)
		;
	/* the last partial page too */
	while (write(fd, block, 1) > 0)
		;
	close(fd);
	return errno == ENOSPC ? 0 : -errno;
}

static int full_disk_checks(const char *d)
{
	char err[512] = "", filler[600], sub[64];
	struct store_open_report rep;
	struct store *full = NULL;
	int64_t r = 0;
	int i;

	if (store_open(d, &s, err, sizeof(err)))
		CHILD_FAIL(20, "open: %s", err);
	if (fill(d, filler, sizeof(filler)))
		CHILD_FAIL(21, "cannot fill the tmpfs");
	/* The first write that needs a new page in the WAL fails. */
	for (i = 0; i < 1000 && r >= 0; i++) {
		struct store_occurrence o = {
			.type = "domain", .subject = sub, .container_id = "abc",
			.action = "alerted", .time = 1795800000,
		};
		bool fresh;
		snprintf(sub, sizeof(sub), "h%d.bad.test", i);
		r = store_event_record(s, &o, &fresh);
	}
	if (r != -ENOSPC)
		CHILD_FAIL(22, "event %d: %lld, not -ENOSPC", i, (long long)r);
	if ((r = store_audit(s, 0, "", "blacklist add", "*.bad.test")) != -ENOSPC)
		CHILD_FAIL(23, "audit: %lld, not -ENOSPC", (long long)r);
	/* A new store in a full state dir says so too. */
	snprintf(filler + strlen(filler), 8, "2");
	snprintf(sub, sizeof(sub), "%s", "state2");
	snprintf(err, sizeof(err), "%s/state2", d);
	mkdir(err, 0700);
	r = store_open_checked(err, &full, &rep, filler, sizeof(filler));
	store_close(full);
	if (r != -ENOSPC)
		CHILD_FAIL(24, "new store: %lld (%s), not -ENOSPC", (long long)r,
			   filler);
	/* Space back: the store works again. */
	snprintf(filler, sizeof(filler), "%s/filler", d);
	unlink(filler);
	if (store_audit(s, 0, "", "blacklist add", "*.bad.test"))
		CHILD_FAIL(25, "audit after the space came back failed");
	store_close(s);
	return 0;
}

static int full_disk_child(void)
{
	char d[] = "/tmp/egressd-test-full-XXXXXX";
	int r;

	if ((r = own_mount_ns()))
		CHILD_FAIL(10, "no mount namespace: %s", strerror(-r));
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		CHILD_FAIL(11, "mount private: %s", strerror(errno));
	if (!mkdtemp(d))
		CHILD_FAIL(12, "mkdtemp: %s", strerror(errno));
	if (mount("tmpfs", d, "tmpfs", 0, "size=256k,mode=0700")) {
		rmdir(d);
		CHILD_FAIL(13, "mount tmpfs: %s", strerror(errno));
	}
	r = full_disk_checks(d);
	umount2(d, MNT_DETACH);
	rmdir(d);
	return r;
}

START_TEST(full_disk_is_enospc)
{
	int status;
	pid_t pid;

	store_close(s);
	s = NULL;
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid)
		_exit(full_disk_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* Under the daemon's syscall filter (its workers, writer and policy
 * thread run there) a query whose sort outgrows SQLite's cache must not
 * need a temporary file: SQLite looks for a temp dir with access(), which
 * the filter refuses, and the page came back empty (a blacklist page of
 * entries with long notes showed no entry). */
START_TEST(big_sorts_work_under_the_sandbox)
{
	char *note = malloc(30001);
	int status;
	pid_t pid;

	memset(note, 'N', 30000);
	note[30000] = 0;
	for (int i = 0; i < 120; i++) {
		char pat[32];
		snprintf(pat, sizeof(pat), "p%d.example.com", i);
		ck_assert_int_gt(store_list_add(s, "black", pat, note, 0), 0);
	}
	free(note);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_list_page page = { 0 };
		struct store *t = NULL;
		char err[256];
		if (sandbox_seccomp(SANDBOX_DAEMON) < 0 ||
		    store_open(dir, &t, err, sizeof(err)))
			_exit(2);
		store_list_get(t, "black", 0, 120, 64 << 20, &page);
		_exit(page.n == 120 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0,
		      "a page of 120 entries under the filter: status %d "
		      "(1: rows missing, 2: setup)", WEXITSTATUS(status));
}
END_TEST


/* ---- the fleet (migration 6) ---- */

static struct store_fleet_state fleet_state(void)
{
	struct store_fleet_state f;

	ck_assert_int_eq(store_fleet_state_get(s, &f), 0);
	return f;
}

static int64_t rev_of(int64_t id)
{
	struct store_changes c;
	int64_t rev = -1;

	ck_assert_int_eq(store_fleet_changes(s, 0, 1000, &c), 0);
	for (size_t i = 0; i < c.n; i++)
		if (!c.v[i].gone && c.v[i].e.id == id)
			rev = c.v[i].rev;
	store_fleet_changes_release(&c);
	return rev;
}

/* Every insert and every change of a shipped column takes the next rev:
 * an occurrence joining, a status change, a whitelist. */
START_TEST(fleet_rev_counts_every_change)
{
	int64_t t = 1795800000, a = occur("c2.bad.test", "abc", t), b, r1;
	struct store_fleet_state f = fleet_state();

	ck_assert_int_eq(f.rev, 1);
	ck_assert_int_eq(f.shipped_rev, 0);
	ck_assert_int_ge(f.created, 1700000000);
	ck_assert_int_eq(rev_of(a), 1);
	ck_assert_int_eq(occur("c2.bad.test", "abc", t + 1), a); /* joins */
	ck_assert_int_eq(rev_of(a), 2);
	b = occur("x.bad.test", "abc", t);
	ck_assert_int_eq(rev_of(b), 3);
	ck_assert_int_eq(store_event_set_status(s, a, "handled"), 0);
	ck_assert_int_eq(rev_of(a), 4);
	ck_assert_int_eq(store_events_whitelist_pending(s, "*.bad.test"), 1);
	r1 = rev_of(b);
	ck_assert_int_eq(r1, 5);
	ck_assert_int_eq(fleet_state().rev, 5);
	/* nothing changed: no new rev */
	ck_assert_int_eq(store_event_set_status(s, 999, "handled"), -ENOENT);
	ck_assert_int_eq(fleet_state().rev, 5);
}
END_TEST

/* The outbox: by rev, bounded; shipped up to a rev leaves the rest; a
 * later change of a shipped event ships again. */
START_TEST(fleet_outbox_ships_in_rev_order)
{
	int64_t t = 1795800000, ids[5];
	struct store_changes c;
	int64_t pending;

	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "n%d.bad.test", i);
		ids[i] = occur(name, "abc", t + i);
	}
	ck_assert_int_eq(store_fleet_pending(s, &pending), 0);
	ck_assert_int_eq(pending, 5);
	ck_assert_int_eq(store_fleet_changes(s, 0, 3, &c), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(c.v[0].rev, 1);
	ck_assert_int_eq(c.v[2].rev, 3);
	ck_assert_str_eq(c.v[0].e.subject, "n0.bad.test");
	ck_assert_str_eq(c.v[0].e.detail, DETAIL);
	ck_assert(!c.v[0].gone);
	ck_assert_int_eq(store_fleet_shipped(s, c.v[c.n - 1].rev), 0);
	store_fleet_changes_release(&c);
	ck_assert_int_eq(fleet_state().shipped_rev, 3);
	ck_assert_int_eq(store_fleet_pending(s, &pending), 0);
	ck_assert_int_eq(pending, 2);
	/* shipped never goes back */
	ck_assert_int_eq(store_fleet_shipped(s, 1), 0);
	ck_assert_int_eq(fleet_state().shipped_rev, 3);
	/* a shipped event changes: it is in the outbox again */
	ck_assert_int_eq(occur("n0.bad.test", "abc", t + 9), ids[0]);
	ck_assert_int_eq(store_fleet_changes(s, 3, 100, &c), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(c.v[2].e.id, ids[0]);
	ck_assert_int_eq(c.v[2].e.count, 2);
	ck_assert_int_eq(c.v[2].rev, 6);
	store_fleet_changes_release(&c);
}
END_TEST

/* An operator's delete ships as a deletion; retention's does not. */
START_TEST(fleet_deletions_ship_pruning_does_not)
{
	int64_t t = 1795800000, a = occur("a.bad.test", "abc", t);
	int64_t b = occur("b.bad.test", "abc", t - 86400 * 400);
	struct store_changes c;

	ck_assert_int_eq(store_fleet_shipped(s, fleet_state().rev), 0);
	ck_assert_int_eq(store_event_delete(s, a), 0);
	ck_assert_int_eq(store_event_delete(s, a), -ENOENT);
	ck_assert_int_eq(store_prune(s, t - 86400), 1); /* b */
	ck_assert_int_eq(store_event_get(s, b, &(struct store_event){ 0 }),
			 -ENOENT);
	ck_assert_int_eq(store_fleet_changes(s, 2, 100, &c), 0);
	ck_assert_int_eq(c.n, 1);
	ck_assert(c.v[0].gone);
	ck_assert_int_eq(c.v[0].e.id, a);
	ck_assert_str_eq(c.v[0].e.day, day_of(t));
	ck_assert_int_eq(c.v[0].rev, 3);
	ck_assert_int_eq(store_fleet_shipped(s, c.v[0].rev), 0);
	store_fleet_changes_release(&c);
	ck_assert_int_eq(store_fleet_changes(s, 0, 100, &c), 0);
	ck_assert_int_eq(c.n, 0); /* the shipped deletion is forgotten */
	store_fleet_changes_release(&c);
	/* one never shipped (no fleet) goes with retention */
	b = occur("c.bad.test", "abc", t - 86400 * 400);
	ck_assert_int_eq(store_event_delete(s, b), 0);
	ck_assert_int_eq(store_fleet_changes(s, 0, 100, &c), 0);
	ck_assert_int_eq(c.n, 1);
	store_fleet_changes_release(&c);
	ck_assert_int_eq(store_prune(s, t - 86400), 0);
	ck_assert_int_eq(store_fleet_changes(s, 0, 100, &c), 0);
	ck_assert_int_eq(c.n, 0);
	store_fleet_changes_release(&c);
}
END_TEST

/* The central entries' copy: put, replace, tombstones, the version, the
 * list text (domains and networks apart), all of a batch or none. */
START_TEST(fleet_lists_copy_and_version)
{
	const struct store_fleet_entry v[] = {
		{ 1, "black", "evil.test", 1, false },
		{ 2, "black", "198.51.100.0/24", 2, false },
		{ 3, "white", "*.ok.test", 3, false },
	};
	const struct store_fleet_entry gone[] = {
		{ 1, "black", "evil.test", 4, true },
		{ 4, "black", "other.test", 5, false },
	};
	const struct store_fleet_entry bad[] = {
		{ 5, "black", "x.test", 6, false },
		{ 6, "grey", "y.test", 7, false },
	};
	char *dom, *net;
	int64_t n;

	ck_assert_int_eq(store_fleet_lists_put(s, v, 3, 3), 0);
	ck_assert_int_eq(fleet_state().list_version, 3);
	ck_assert_int_eq(store_fleet_list_text(s, "black", &dom, &net), 0);
	ck_assert_str_eq(dom, "evil.test\n");
	ck_assert_str_eq(net, "198.51.100.0/24\n");
	free(dom);
	free(net);
	ck_assert_int_eq(store_fleet_lists_put(s, gone, 2, 5), 0);
	ck_assert_int_eq(store_fleet_list_text(s, "black", &dom, &net), 0);
	ck_assert_str_eq(dom, "other.test\n");
	free(dom);
	free(net);
	ck_assert_int_eq(store_fleet_list_count(s, "white", &n), 0);
	ck_assert_int_eq(n, 1);
	/* a batch that fails leaves nothing of itself, version included */
	ck_assert_int_lt(store_fleet_lists_put(s, bad, 2, 7), 0);
	ck_assert_int_eq(fleet_state().list_version, 5);
	ck_assert_int_eq(store_fleet_list_count(s, "black", &n), 0);
	ck_assert_int_eq(n, 2);
	/* the local entries are another table */
	ck_assert_int_eq(store_list_text(s, "black", &dom, &net), 0);
	ck_assert_str_eq(dom, "");
	free(dom);
	free(net);
}
END_TEST

/* A store of schema 5 with events: they get revs (their ids) and ship. */
START_TEST(fleet_old_events_ship_after_migration)
{
	int64_t a = occur("a.bad.test", "abc", 1795800000);
	int64_t b = occur("b.bad.test", "abc", 1795800000);
	char err[256] = "";
	struct store_changes c;
	sqlite3 *db;

	store_close(s);
	s = NULL;
	ck_assert_int_eq(sqlite3_open(path_in("egressd.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, UNDO_V6 "PRAGMA user_version=5",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_msg(!store_open(dir, &s, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(fleet_state().rev, b);
	ck_assert_int_eq(store_fleet_changes(s, 0, 10, &c), 0);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.v[0].e.id, a);
	ck_assert_int_eq(c.v[1].rev, b);
	store_fleet_changes_release(&c);
	/* and new ones go on from there */
	ck_assert_int_eq(rev_of(occur("c.bad.test", "abc", 1795800000)), b + 1);
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
	ADD(tc, imports_come_back_typed);
	ADD(tc, long_fields_come_back_whole);
	ADD(tc, new_store_has_incremental_auto_vacuum);
	ADD(tc, old_store_migrates_to_auto_vacuum_once);
	ADD(tc, damaged_tail_pages_set_aside_and_salvaged);
	ADD(tc, empty_store_set_aside_never_overwriting);
	ADD(tc, garbage_store_is_damaged);
	ADD(tc, salvage_reads_the_set_aside_wal);
	ADD(tc, salvage_reads_past_a_damaged_region);
	ADD(tc, directory_store_refused);
	ADD(tc, symlink_store_refused_not_followed);
	ADD(tc, fifo_store_refused_without_blocking);
	ADD(tc, coalesced_occurrences_add_count_and_keep_bounds);
	ADD(tc, list_pages_are_bounded_in_bytes);
	ADD(tc, a_read_failing_part_way_is_an_error_not_less);
	ADD(tc, state_usage_counts_regular_files_only);
	ADD(tc, budget_deletes_settled_oldest_first_and_shrinks);
	ADD(tc, budget_never_deletes_pending_events_for_feeds);
	ADD(tc, budget_stops_when_a_reader_holds_the_wal);
	ADD(tc, full_disk_is_enospc);
	ADD(tc, big_sorts_work_under_the_sandbox);
	ADD(tc, console_filters_sorts_and_counts);
	ADD(tc, overview_trend_and_tops);
	ADD(tc, old_events_get_image_and_host_from_detail);
	ADD(tc, fleet_rev_counts_every_change);
	ADD(tc, fleet_outbox_ships_in_rev_order);
	ADD(tc, fleet_deletions_ship_pruning_does_not);
	ADD(tc, fleet_lists_copy_and_version);
	ADD(tc, fleet_old_events_ship_after_migration);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(su, tc);
	return su;
}
TEST_MAIN(suite)
