// SPDX-License-Identifier: GPL-2.0-or-later
/* pgio: DSN checks and redaction, and the deadlines against a listener
 * that accepts and never answers (a plain TCP socket on 127.0.0.1 of the
 * test's own; no PostgreSQL needed). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pgio.h"
#include "util.h"

static char out[PGIO_DSN_SHOWN];

static const char *red(const char *dsn)
{
	return pgio_dsn_redact(dsn, out, sizeof(out));
}

START_TEST(redacts_words)
{
	ck_assert_str_eq(red("host=db password=s3cret dbname=e"),
			 "host=db password=*** dbname=e");
	ck_assert_str_eq(red("password = 'a b\\' c' user=u"),
			 "password = *** user=u");
	ck_assert_str_eq(red("host=/run/pg dbname=egressd"),
			 "host=/run/pg dbname=egressd");
	/* a key that only ends in "password" is another key */
	ck_assert_str_eq(red("xpassword=keep password=x"),
			 "xpassword=keep password=***");
	ck_assert_str_eq(red(""), "");
	ck_assert_str_eq(red("sslpassword=k3y host=db"),
			 "sslpassword=*** host=db");
}
END_TEST

START_TEST(redacts_uris)
{
	ck_assert_str_eq(red("postgresql://u:s3cret@db:5432/e"),
			 "postgresql://u:***@db:5432/e");
	ck_assert_str_eq(red("postgres://u@db/e?password=x&sslmode=require"),
			 "postgres://u@db/e?password=***&sslmode=require");
	ck_assert_str_eq(red("postgresql://u:p@ss@db/e"),
			 "postgresql://u:***@db/e");
	ck_assert_str_eq(red("postgresql://db/e"), "postgresql://db/e");
	ck_assert_str_eq(red("postgresql://u@db/e?sslpassword=k&a=b"),
			 "postgresql://u@db/e?sslpassword=***&a=b");
	ck_assert_str_eq(red("postgresql://u:pw@[2001:db8::1]/e"),
			 "postgresql://u:***@[2001:db8::1]/e");
}
END_TEST

START_TEST(redaction_is_bounded)
{
	char small[12];

	pgio_dsn_redact("password=abcdefghijklmnop", small, sizeof(small));
	ck_assert_str_eq(small, "password=**");
	ck_assert(!strstr(small, "abc"));
}
END_TEST

START_TEST(checks_dsns)
{
	char err[256] = "";

	ck_assert_int_eq(pgio_dsn_check("host=/tmp dbname=x", err,
					sizeof(err)), 0);
	ck_assert_int_eq(pgio_dsn_check("postgresql://u@h/db", err,
					sizeof(err)), 0);
	ck_assert_int_eq(pgio_dsn_check("host=db password='open", err,
					sizeof(err)), -EINVAL);
	ck_assert(!strstr(err, "open"));
	ck_assert_int_eq(pgio_dsn_check("nokey", err, sizeof(err)), -EINVAL);
	/* libpq quotes a URI part it could not decode: a password */
	ck_assert_int_eq(pgio_dsn_check("postgresql://u:pa%zzword@h/db", err,
					sizeof(err)), -EINVAL);
	ck_assert_msg(!strstr(err, "zzword"), "%s", err);
	ck_assert_int_eq(pgio_dsn_check("postgresql://h/db?bogus=1", err,
					sizeof(err)), -EINVAL);
}
END_TEST

/* A listener whose backlog accepts the connection (the kernel does) and
 * that never reads nor writes. Returns its fd, the port in *port. */
static int mute_listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(connect_to_a_mute_server_times_out)
{
	char dsn[128], err[256] = "";
	PGconn *db = NULL;
	int port, fd = mute_listener(&port);
	double t0 = mono(), took;
	int r;

	snprintf(dsn, sizeof(dsn),
		 "host=127.0.0.1 port=%d dbname=x user=x sslmode=disable",
		 port);
	r = pgio_connect(dsn, 400, -1, &db, err, sizeof(err));
	took = mono() - t0;
	ck_assert_int_eq(r, -ETIMEDOUT);
	ck_assert_ptr_null(db);
	ck_assert(strstr(err, "no answer"));
	ck_assert_msg(took >= 0.35 && took < 1.5, "took %.3f s", took);
	close(fd);
}
END_TEST

START_TEST(connect_refused_is_an_error_at_once)
{
	char dsn[128], err[256] = "";
	PGconn *db = NULL;
	int port, fd = mute_listener(&port);
	double t0 = mono();

	close(fd); /* nobody listens there now */
	snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=x user=x",
		 port);
	ck_assert_int_eq(pgio_connect(dsn, 5000, -1, &db, err, sizeof(err)), -EIO);
	ck_assert_ptr_null(db);
	ck_assert(mono() - t0 < 2.0);
}
END_TEST

/* A server that lets the client in (AuthenticationOk, ReadyForQuery),
 * then reads and never answers: a statement must time out. */
static void *mute_after_startup(void *arg)
{
	static const unsigned char hello[] = {
		'R', 0, 0, 0, 8, 0, 0, 0, 0, /* AuthenticationOk */
		'Z', 0, 0, 0, 5, 'I', /* ReadyForQuery, idle */
	};
	int lfd = *(int *)arg, fd = accept(lfd, NULL, NULL);
	unsigned char buf[4096];

	if (fd < 0)
		return NULL;
	/* the startup packet, then ours */
	if (read(fd, buf, sizeof(buf)) > 0 &&
	    write(fd, hello, sizeof(hello)) == (ssize_t)sizeof(hello))
		while (read(fd, buf, sizeof(buf)) > 0)
			;
	close(fd);
	return NULL;
}

START_TEST(statement_to_a_mute_server_times_out)
{
	char dsn[160], err[256] = "";
	PGconn *db = NULL;
	int port, fd = mute_listener(&port);
	pthread_t t;
	double t0, took;

	ck_assert_int_eq(pthread_create(&t, NULL, mute_after_startup, &fd), 0);
	snprintf(dsn, sizeof(dsn), "host=127.0.0.1 port=%d dbname=x user=x "
		 "sslmode=disable gssencmode=disable", port);
	ck_assert_int_eq(pgio_connect(dsn, 2000, -1, &db, err, sizeof(err)), 0);
	t0 = mono();
	ck_assert_int_eq(pgio_exec(&db, 300, "SELECT 1", 0, NULL, NULL, err,
				   sizeof(err)),
			 -ETIMEDOUT);
	took = mono() - t0;
	ck_assert_ptr_null(db);
	ck_assert_msg(took >= 0.25 && took < 1.0, "took %.3f s", took);
	pthread_join(t, NULL); /* our side closed: its read ends */
	close(fd);
}
END_TEST

START_TEST(exec_without_a_connection)
{
	char err[64];
	PGconn *db = NULL;

	ck_assert_int_eq(pgio_exec(&db, 100, "SELECT 1", 0, NULL, NULL, err,
				   sizeof(err)),
			 -ECONNRESET);
	ck_assert_int_eq(pgio_wait(&db, 10, -1, err, sizeof(err)), -ECONNRESET);
	pgio_close(&db);
}
END_TEST

static Suite *pgio_suite(void)
{
	Suite *s = suite_create("pgio");
	TCase *tc = tcase_create("core");

	ADD(tc, redacts_words);
	ADD(tc, redacts_uris);
	ADD(tc, redaction_is_bounded);
	ADD(tc, checks_dsns);
	ADD(tc, connect_to_a_mute_server_times_out);
	ADD(tc, connect_refused_is_an_error_at_once);
	ADD(tc, statement_to_a_mute_server_times_out);
	ADD(tc, exec_without_a_connection);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(pgio_suite)
