// SPDX-License-Identifier: GPL-2.0-or-later
/* libpq with deadlines (pgio.h). */
#include "pgio.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the DSN ---- */

int pgio_dsn_check(const char *dsn, char *err, size_t errlen)
{
	char *why = NULL;
	PQconninfoOption *o = PQconninfoParse(dsn, &why);

	if (o) {
		PQconninfoFree(o);
		return 0;
	}
	/* libpq quotes a URI part it could not decode, which may be the
	 * password ("invalid percent-encoded token: \"...\""): that message
	 * goes up to its quote only; the others quote keys and ports. */
	bool cut = why && strstr(why, "percent-encoded");

	snprintf(err, errlen, "%.*s%s",
		 why ? (int)strcspn(why, cut ? "\n\"" : "\n") : 16,
		 why ? why : "cannot be parsed", cut ? "(not shown)" : "");
	PQfreemem(why);
	return -EINVAL;
}

struct out {
	char *p;
	size_t len, n;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->n + 1 < o->len; i++)
		o->p[o->n++] = s[i];
	o->p[o->n] = 0;
}

static bool uri_form(const char *dsn)
{
	return !strncmp(dsn, "postgresql://", 13) ||
	       !strncmp(dsn, "postgres://", 11);
}

/* postgresql://user:secret@host/db?password=secret&x=y */
static void redact_uri(const char *s, struct out *o)
{
	const char *auth = strstr(s, "://") + 3;
	size_t authlen = strcspn(auth, "/?");
	const char *at = memrchr(auth, '@', authlen);
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	const char *q;

	if (colon) {
		put(o, s, (size_t)(colon + 1 - s));
		put(o, "***", 3);
		s = at;
	}
	q = strchr(s, '?');
	if (!q) {
		put(o, s, strlen(s));
		return;
	}
	put(o, s, (size_t)(q + 1 - s));
	for (s = q + 1; *s;) {
		size_t n = strcspn(s, "&");
		if (!strncmp(s, "password=", 9)) {
			put(o, "password=***", 12);
		} else if (!strncmp(s, "sslpassword=", 12)) {
			put(o, "sslpassword=***", 15);
		} else {
			put(o, s, n);
		}
		s += n;
		if (*s)
			put(o, s++, 1);
	}
}

/* The end of a value of the key=value form: 'quoted, with \\ escapes'
 * or up to the next blank. */
static const char *value_end(const char *v)
{
	if (*v != '\'')
		return v + strcspn(v, " \t\n\r\f\v");
	for (v++; *v && *v != '\''; v++)
		if (*v == '\\' && v[1])
			v++;
	return *v ? v + 1 : v;
}

/* host=x password = 'a b' dbname=y */
static void redact_words(const char *s, struct out *o)
{
	while (*s) {
		size_t blank = strspn(s, " \t\n\r\f\v"), key;
		const char *v;
		put(o, s, blank);
		s += blank;
		key = strcspn(s, "= \t\n\r\f\v");
		if (!key) { /* a stray '=': copy it, go on */
			put(o, s, *s ? 1 : 0);
			s += *s ? 1 : 0;
			continue;
		}
		v = s + key;
		v += strspn(v, " \t\n\r\f\v");
		if (*v == '=')
			v++;
		v += strspn(v, " \t\n\r\f\v");
		put(o, s, (size_t)(v - s));
		if ((key == 8 && !strncmp(s, "password", 8)) ||
		    (key == 11 && !strncmp(s, "sslpassword", 11)))
			put(o, "***", 3);
		else
			put(o, v, (size_t)(value_end(v) - v));
		s = value_end(v);
	}
}

char *pgio_dsn_redact(const char *dsn, char *out, size_t outlen)
{
	struct out o = { out, outlen, 0 };

	if (!outlen)
		return out;
	out[0] = 0;
	if (uri_form(dsn))
		redact_uri(dsn, &o);
	else
		redact_words(dsn, &o);
	return out;
}

/* ---- deadlines ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();

	return l < 0 ? 0 : l > 60000 ? 60000 : (int)l;
}

/* Waits for events on fd until the deadline: 1 ready, 0 expired,
 * -ECANCELED wake_fd (>= 0) became readable, -errno. */
static int wait_fd(int fd, short events, int64_t deadline, int wake_fd)
{
	struct pollfd p[2] = { { fd, events, 0 }, { wake_fd, POLLIN, 0 } };
	int r;

	do
		r = poll(p, wake_fd >= 0 ? 2 : 1, left_ms(deadline));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r > 0 && !p[0].revents && wake_fd >= 0 && p[1].revents)
		return -ECANCELED;
	return r > 0 && p[0].revents ? 1 : 0;
}

static void first_line(char *err, size_t errlen, const char *what,
		       const char *msg)
{
	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
}

/* ---- connecting ---- */

/* Below the caller's deadlines, the kernel's: a TCP peer that stops
 * acknowledging is given up after PGIO_TCP_USER_TIMEOUT_MS, an idle
 * link is probed (keepalives) so that a dead peer is noticed while
 * waiting for a NOTIFY. The DSN's own settings win (they come after). */
#define PGIO_TCP_USER_TIMEOUT_MS "10000"
static const char *const conn_keys[] = {
	"tcp_user_timeout", "keepalives_idle", "keepalives_interval",
	"keepalives_count", "fallback_application_name", "dbname", NULL,
};

int pgio_connect(const char *dsn, int ms, int wake_fd, PGconn **ret,
		 char *err, size_t errlen)
{
	const char *const values[] = { PGIO_TCP_USER_TIMEOUT_MS, "10", "5", "3",
				       "egressd", dsn, NULL };
	int64_t deadline = now_ms() + ms;
	PGconn *db = PQconnectStartParams(conn_keys, values, 1);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int r = 1;

	if (!db || PQstatus(db) == CONNECTION_BAD) {
		first_line(err, errlen, "connecting",
			   db ? PQerrorMessage(db) : "out of memory");
		PQfinish(db);
		return -EIO;
	}
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED && r > 0) {
		r = wait_fd(PQsocket(db),
			    st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
			    deadline, wake_fd);
		if (r > 0)
			st = PQconnectPoll(db);
	}
	if (st == PGRES_POLLING_OK && PQsetnonblocking(db, 1) == 0) {
		*ret = db;
		return 0;
	}
	if (r == -ECANCELED)
		snprintf(err, errlen, "connecting: given up (stopping)");
	else if (r <= 0)
		snprintf(err, errlen, "connecting: no answer within %d ms", ms);
	else
		first_line(err, errlen, "connecting", PQerrorMessage(db));
	PQfinish(db);
	return r == -ECANCELED ? r : r <= 0 ? -ETIMEDOUT : -EIO;
}

/* ---- statements ---- */

/* One cancel at a time may be in flight: libpq 15's PQcancel connects,
 * sends and waits for the server with no deadline of its own, so it
 * runs apart, and a server that never answers holds one thread, never
 * more. */
static atomic_bool cancelling;

static void *cancel_thread(void *arg)
{
	PGcancel *c = arg;
	char buf[256];

	PQcancel(c, buf, sizeof(buf));
	PQfreeCancel(c);
	atomic_store(&cancelling, false);
	return NULL;
}

static void cancel_and_close(PGconn **db)
{
	PGcancel *c = PQgetCancel(*db);
	pthread_attr_t a;
	pthread_t t;
	bool idle = false;

	if (c && atomic_compare_exchange_strong(&cancelling, &idle, true)) {
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &a, cancel_thread, c)) {
			PQfreeCancel(c);
			atomic_store(&cancelling, false);
		}
		pthread_attr_destroy(&a);
	} else {
		PQfreeCancel(c);
	}
	pgio_close(db);
}

/* Sends what is queued. 0, or -ETIMEDOUT / -ECONNRESET. */
static int flush(PGconn *db, int64_t deadline)
{
	int f, r = 1;

	while ((f = PQflush(db)) == 1 && r > 0)
		r = wait_fd(PQsocket(db), POLLOUT | POLLIN, deadline, -1);
	if (f < 0 || r < 0)
		return -ECONNRESET;
	return f ? -ETIMEDOUT : 0;
}

/* The next result, waiting for it until the deadline: 0 with *ret (NULL:
 * no more), or -ETIMEDOUT / -ECONNRESET. */
static int next_result(PGconn *db, int64_t deadline, PGresult **ret)
{
	int r;

	while (PQisBusy(db)) {
		r = wait_fd(PQsocket(db), POLLIN, deadline, -1);
		if (r <= 0)
			return r ? -ECONNRESET : -ETIMEDOUT;
		if (!PQconsumeInput(db))
			return -ECONNRESET;
	}
	*ret = PQgetResult(db);
	return 0;
}

static bool result_ok(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Every result of the statement: the first error, else the last. */
static int collect(PGconn *db, int64_t deadline, PGresult **ret)
{
	PGresult *keep = NULL, *r;
	int e;

	while (!(e = next_result(db, deadline, &r)) && r) {
		if (keep && !result_ok(keep)) {
			PQclear(r);
			continue;
		}
		PQclear(keep);
		keep = r;
	}
	if (e) {
		PQclear(keep);
		return e;
	}
	*ret = keep;
	return 0;
}

int pgio_exec(PGconn **db, int ms, const char *sql, int nparams,
	      const char *const *params, PGresult **ret, char *err,
	      size_t errlen)
{
	int64_t deadline = now_ms() + ms;
	PGresult *res = NULL;
	int e;

	if (!*db) {
		snprintf(err, errlen, "not connected");
		return -ECONNRESET;
	}
	if (!PQsendQueryParams(*db, sql, nparams, NULL, params, NULL, NULL, 0)) {
		first_line(err, errlen, "sending", PQerrorMessage(*db));
		e = PQstatus(*db) == CONNECTION_BAD ? -ECONNRESET : -EIO;
		if (e == -ECONNRESET)
			pgio_close(db);
		return e;
	}
	e = flush(*db, deadline);
	if (!e)
		e = collect(*db, deadline, &res);
	if (e) {
		if (e == -ETIMEDOUT)
			snprintf(err, errlen, "no answer within %d ms", ms);
		else
			first_line(err, errlen, "connection lost",
				   PQerrorMessage(*db));
		cancel_and_close(db);
		return e;
	}
	if (!res || !result_ok(res)) {
		first_line(err, errlen, "statement",
			   res ? PQresultErrorMessage(res) : "no result");
		PQclear(res);
		if (PQstatus(*db) == CONNECTION_BAD) {
			pgio_close(db);
			return -ECONNRESET;
		}
		return -EIO;
	}
	if (ret)
		*ret = res;
	else
		PQclear(res);
	return 0;
}

int pgio_wait(PGconn **db, int ms, int wake_fd, char *err, size_t errlen)
{
	int r;

	if (!*db)
		return -ECONNRESET;
	r = wait_fd(PQsocket(*db), POLLIN, now_ms() + ms, wake_fd);
	if (r < 0 && r != -ECANCELED && r != -EINTR) {
		snprintf(err, errlen, "waiting: %s", strerror(-r));
		pgio_close(db);
		return -ECONNRESET;
	}
	if (r > 0 && !PQconsumeInput(*db)) {
		first_line(err, errlen, "connection lost", PQerrorMessage(*db));
		pgio_close(db);
		return -ECONNRESET;
	}
	return 0;
}

void pgio_close(PGconn **db)
{
	if (*db)
		PQfinish(*db);
	*db = NULL;
}
