// SPDX-License-Identifier: GPL-2.0-or-later
/* egressd-console's pure parts: the users file, sessions and the login
 * rate limit, settings. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fleet_sql.h"
#include "session.h"
#include "users.h"
#include "util.h"

static char dir[] = "/tmp/test_console.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(user_names)
{
	ck_assert(users_name_ok("alice"));
	ck_assert(users_name_ok("_ops.team-1"));
	ck_assert(!users_name_ok(""));
	ck_assert(!users_name_ok("Alice"));
	ck_assert(!users_name_ok("1st"));
	ck_assert(!users_name_ok("a:b"));
	ck_assert(!users_name_ok("a b"));
	ck_assert(!users_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")); /* 33 */
}
END_TEST

START_TEST(users_roundtrip)
{
	static struct users us, back;
	char path[256], hash[USER_HASH_MAX + 1], err[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/users", dir);
	ck_assert_int_eq(users_load(path, true, &us, err, sizeof(err)), 0);
	ck_assert_int_eq(us.n, 0);
	ck_assert_int_eq(users_load(path, false, &us, err, sizeof(err)),
			 -ENOENT);
	ck_assert_int_eq(users_hash("correct horse", hash), 0);
	ck_assert(!strncmp(hash, "$y$", 3));
	ck_assert_int_eq(users_set(&us, "alice", hash), 0);
	ck_assert_int_eq(users_set(&us, "Bad", hash), -EINVAL);
	ck_assert_int_eq(users_save(path, &us, (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(users_load(path, false, &back, err, sizeof(err)), 0);
	ck_assert_int_eq(back.n, 1);
	ck_assert(users_check(&back, "alice", "correct horse"));
	ck_assert(!users_check(&back, "alice", "correct horsf"));
	ck_assert(!users_check(&back, "bob", "correct horse"));
	ck_assert(!users_check(&back, "alice", ""));
	ck_assert_int_eq(users_remove(&back, "bob"), -ENOENT);
	ck_assert_int_eq(users_remove(&back, "alice"), 0);
	ck_assert_int_eq(back.n, 0);
	/* a mode the operator set is kept */
	chmod(path, 0600);
	ck_assert_int_eq(users_save(path, &back, (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

/* A bad line is named with its file and line, and nothing is loaded. */
START_TEST(users_bad_file)
{
	static struct users us;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "# c\nalice\n", ":2: expected NAME:HASH" },
		{ "Alice:$y$x\n", ":1: bad user name" },
		{ "alice:plain\n", ":1: bad password hash" },
		{ "alice:$y$a b\n", ":1: bad password hash" },
		{ "alice:$y$a\n\nalice:$y$b\n", ":3: user 'alice' given twice" },
	};
	char path[256], err[512];

	snprintf(path, sizeof(path), "%s/bad", dir);
	for (size_t i = 0; i < NELEM(cases); i++) {
		write_file(path, cases[i].text);
		ck_assert_int_ne(users_load(path, false, &us, err, sizeof(err)), 0);
		ck_assert_msg(strstr(err, cases[i].want), "%zu: %s", i, err);
		ck_assert_int_eq(us.n, 0);
	}
	/* a locked account never logs in */
	write_file(path, "alice:!$y$j9T$abc$def\n");
	ck_assert_int_eq(users_load(path, false, &us, err, sizeof(err)), 0);
	ck_assert(!users_check(&us, "alice", ""));
}
END_TEST

START_TEST(sessions_life)
{
	struct sessions *ss = sessions_new(1, 3600);
	struct session s, got;
	static struct users us;

	ck_assert_int_eq(sessions_create(ss, "alice", "$y$h1", &s), 0);
	ck_assert_int_eq(strlen(s.token), SESSION_TOKEN_LEN);
	ck_assert_str_ne(s.token, s.csrf);
	ck_assert(sessions_get(ss, s.token, &got));
	ck_assert_str_eq(got.user, "alice");
	ck_assert_str_eq(got.csrf, s.csrf);
	ck_assert(!sessions_get(ss, s.csrf, &got));
	ck_assert(!sessions_get(ss, "", &got));
	/* a changed hash (passwd) ends it */
	users_set(&us, "alice", "$y$h2");
	sessions_prune_users(ss, &us);
	ck_assert(!sessions_get(ss, s.token, &got));
	/* idle for longer than idle_s */
	ck_assert_int_eq(sessions_create(ss, "alice", "$y$h2", &s), 0);
	sleep(3);
	ck_assert(!sessions_get(ss, s.token, &got));
	/* logout */
	ck_assert_int_eq(sessions_create(ss, "alice", "$y$h2", &s), 0);
	sessions_end(ss, s.token);
	ck_assert(!sessions_get(ss, s.token, &got));
	sessions_free(ss);
}
END_TEST

START_TEST(login_limit)
{
	struct sessions *ss = sessions_new(60, 3600);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(0xc0000201) };
	struct sockaddr_in b = a;
	const struct sockaddr *pa = (const struct sockaddr *)&a;
	const struct sockaddr *pb = (const struct sockaddr *)&b;
	char name[16];

	b.sin_addr.s_addr = htonl(0xc0000202);
	/* tries in flight count at once: none has failed yet */
	for (int i = 0; i < LOGIN_FAILS_PER_NAME; i++)
		ck_assert_uint_eq(sessions_login_begin(ss, "alice", pa), 0);
	/* the name is locked for everyone, not only the address */
	ck_assert_uint_gt(sessions_login_wait(ss, "alice", pa), 0);
	ck_assert_uint_gt(sessions_login_wait(ss, "alice", pb), 0);
	ck_assert_uint_le(sessions_login_wait(ss, "alice", pb),
			  LOGIN_WINDOW_S + 1);
	ck_assert_uint_eq(sessions_login_wait(ss, "bob", pb), 0);
	/* one address guessing many names */
	for (int i = 0; i < LOGIN_FAILS_PER_ADDR; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		ck_assert_uint_eq(sessions_login_begin(ss, name, pb), 0);
	}
	ck_assert_uint_gt(sessions_login_begin(ss, "carol", pb), 0);
	ck_assert_uint_eq(sessions_login_wait(ss, "carol", pa), 0);
	/* a good login forgets the name's failures and is not held
	 * against its address */
	ck_assert_uint_eq(sessions_login_begin(ss, "dave", pa), 0);
	sessions_login_ok(ss, "dave", pa);
	ck_assert_uint_eq(sessions_login_wait(ss, "dave", pa), 0);
	sessions_free(ss);
}
END_TEST

/* Junk names from many addresses fill the table of counters: a name
 * that is locked must stay locked, not be the one pushed out. */
START_TEST(login_limit_eviction)
{
	struct sessions *ss = sessions_new(60, 3600);
	struct sockaddr_in a = { .sin_family = AF_INET };
	const struct sockaddr *pa = (const struct sockaddr *)&a;
	char name[16];

	a.sin_addr.s_addr = htonl(0xc0000201);
	for (int i = 0; i < LOGIN_FAILS_PER_NAME; i++)
		ck_assert_uint_eq(sessions_login_begin(ss, "alice", pa), 0);
	for (int i = 0; i < 4 * LOGIN_TRACKED_MAX; i++) {
		a.sin_addr.s_addr = htonl(0xc6120000 + (uint32_t)i / 10);
		snprintf(name, sizeof(name), "junk%d", i);
		sessions_login_begin(ss, name, pa);
	}
	ck_assert_uint_gt(sessions_login_wait(ss, "alice", pa), 0);
	sessions_free(ss);
}
END_TEST

START_TEST(conf_settings)
{
	struct console_conf c;
	char path[256], err[512], why[160];

	conf_defaults(&c);
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:8743");
	ck_assert_int_eq(conf_set(&c, "colour", "red", why, sizeof(why)),
			 -EINVAL);
	ck_assert(strstr(why, "unknown setting"));
	ck_assert_int_eq(conf_set(&c, "session_idle_s", "5", why, sizeof(why)),
			 -EINVAL);
	/* no TLS beyond loopback */
	conf_set(&c, "listen", "192.0.2.1:8743", why, sizeof(why));
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "tls_cert"));
	conf_set(&c, "tls_cert", "/x.pem", why, sizeof(why));
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), -EINVAL);
	conf_set(&c, "tls_key", "/k.pem", why, sizeof(why));
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), 0);
	conf_set(&c, "listen", "[::1]:8743", why, sizeof(why));
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), 0);
	conf_set(&c, "listen", "localhost:8743", why, sizeof(why));
	ck_assert_int_eq(conf_check(&c, err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/console.conf", dir);
	write_file(path, "# c\nlisten = 127.0.0.1:9000\n\nsocket /x\n");
	conf_defaults(&c);
	ck_assert_int_eq(conf_load(&c, path, true, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "console.conf:4: expected key = value"), "%s",
		      err);
	write_file(path, "listen = 127.0.0.1:9000\n users_file=/u \n");
	ck_assert_int_eq(conf_load(&c, path, true, err, sizeof(err)), 0);
	ck_assert_str_eq(c.listen, "127.0.0.1:9000");
	ck_assert_str_eq(c.users_file, "/u");
}
END_TEST

/* Fleet mode's DSN: checked when read, the file and line named, and the
 * reason never quoting a password. */
START_TEST(conf_fleet_dsn)
{
	struct console_conf c;
	char path[256], err[512], why[160];

	conf_defaults(&c);
	ck_assert_str_eq(c.fleet_dsn, "");
	ck_assert_int_eq(conf_set(&c, "fleet_dsn", "host=/run/postgresql "
				  "dbname=egressd", why, sizeof(why)), 0);
	ck_assert_str_eq(c.fleet_dsn, "host=/run/postgresql dbname=egressd");
	ck_assert_int_eq(conf_set(&c, "fleet_dsn",
				  "postgresql://op@127.0.0.1:5432/egressd", why,
				  sizeof(why)), 0);
	ck_assert_int_eq(conf_set(&c, "fleet_dsn", "", why, sizeof(why)), 0);
	ck_assert_str_eq(c.fleet_dsn, "");
	ck_assert_int_eq(conf_set(&c, "fleet_dsn", "host=x port", why,
				  sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "not a PostgreSQL connection string"), "%s",
		      why);
	ck_assert_str_eq(c.fleet_dsn, "");
	ck_assert_int_eq(conf_set(&c, "fleet_dsn", "postgresql://op:s3cret-pw@"
				  "db.example/egressd?colour=red", why,
				  sizeof(why)), -EINVAL);
	ck_assert_msg(!strstr(why, "s3cret-pw"), "the password in '%s'", why);
	snprintf(path, sizeof(path), "%s/console.conf", dir);
	write_file(path, "listen = 127.0.0.1:9000\n\nfleet_dsn = host=x port\n");
	ck_assert_int_eq(conf_load(&c, path, true, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "console.conf:3: not a PostgreSQL"), "%s", err);
}
END_TEST

/* The ORDER BY is picked from fixed texts, never made of the request. */
START_TEST(fleet_order)
{
	ck_assert_str_eq(fleet_sql_order(NULL), FLEET_EVENTS_ORDER_DEFAULT);
	ck_assert_str_eq(fleet_sql_order("-last_seen"),
			 FLEET_EVENTS_ORDER_DEFAULT);
	ck_assert_str_eq(fleet_sql_order("-count"),
			 " ORDER BY e.count DESC, e.id DESC");
	ck_assert_str_eq(fleet_sql_order("domain"),
			 " ORDER BY e.subject ASC, e.id ASC");
	ck_assert_str_eq(fleet_sql_order("container"),
			 " ORDER BY e.container_name ASC, e.id ASC");
	ck_assert_ptr_null(fleet_sql_order("--count"));
	ck_assert_ptr_null(fleet_sql_order("count; DROP TABLE events"));
	ck_assert_ptr_null(fleet_sql_order(""));
}
END_TEST

/* The highest $N of a statement: each must be what its caller passes
 * (PostgreSQL refuses a statement with more parameters than sent). */
static int max_param(const char *sql)
{
	int max = 0;

	for (const char *s = strchr(sql, '$'); s; s = strchr(s + 1, '$'))
		if (s[1] >= '1' && s[1] <= '9') {
			int n = atoi(s + 1);
			max = n > max ? n : max;
		}
	return max;
}

START_TEST(fleet_sql_params)
{
	char list[4096];

	ck_assert_int_eq(fleet_sql_events_page(list, sizeof(list),
					       fleet_sql_order("-count")), 0);
	ck_assert_int_eq(max_param(list), 11);
	ck_assert_int_eq(fleet_sql_events_page(list, 100, ""), -1);
	ck_assert_int_eq(max_param(FLEET_EVENTS_COUNT), 9);
	ck_assert_int_eq(max_param(FLEET_EVENT_GET), 1);
	ck_assert_int_eq(max_param(FLEET_OVERVIEW_COUNTS), 1);
	ck_assert_int_eq(max_param(FLEET_OVERVIEW_DOMAINS), 2);
	ck_assert_int_eq(max_param(FLEET_EVENT_SET_STATUS), 4);
	ck_assert_int_eq(max_param(FLEET_EVENT_DELETE), 2);
	ck_assert_int_eq(max_param(FLEET_WHITE_ADD), 3);
	ck_assert_int_eq(max_param(FLEET_WHITELIST_PENDING), 3);
	ck_assert_int_eq(max_param(FLEET_LIST_PAGE), 3);
	ck_assert_int_eq(max_param(FLEET_LIST_ADD), 4);
	ck_assert_int_eq(max_param(FLEET_COMMAND_ADD), 4);
	ck_assert_int_eq(max_param(FLEET_CONTAINER_FIND), 2);
	ck_assert_int_eq(max_param(FLEET_AUDIT_PAGE), 2);
	ck_assert_int_eq(max_param(FLEET_HOSTS), 0);
}
END_TEST

static void cleanup(void)
{
	static const char *const files[] = { "users", "bad", "console.conf" };
	char path[256];

	for (size_t i = 0; i < NELEM(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static Suite *suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("all");

	if (!mkdtemp(dir))
		abort();
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, cleanup);
	ADD(tc, user_names);
	ADD(tc, users_roundtrip);
	ADD(tc, users_bad_file);
	ADD(tc, sessions_life);
	ADD(tc, login_limit);
	ADD(tc, login_limit_eviction);
	ADD(tc, conf_settings);
	ADD(tc, conf_fleet_dsn);
	ADD(tc, fleet_order);
	ADD(tc, fleet_sql_params);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(suite)
