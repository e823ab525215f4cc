// SPDX-License-Identifier: GPL-2.0-or-later
/* bench_fleet: N simulated egressd hosts shipping events to one PostgreSQL
 * the way a host's fleet thread ships them (README: Fleet, Performance),
 * for scripts/bench-fleet.sh.
 *
 * Each host is a thread with one connection. It runs pgschema_migrate()
 * once, upserts its hosts row, then makes events at --rate per second
 * (evenly spaced, each host at its own phase) into an outbox: the host's
 * store, where a row waits until a transaction commits it. Every second,
 * or as soon as the outbox holds --batch rows, it ships up to --batch rows
 * in one transaction:
 *   BEGIN; pgschema_partitions(first day, last day);
 *   PGSCHEMA_EVENT_UPSERT per row; UPDATE hosts SET shipped_rev; COMMIT
 * and upserts its heartbeat every 5 s. --saturate ships full batches back
 * to back instead (the events are made when the batch is taken).
 *
 * The changes: new events, updates of one of the host's last 1,000 events
 * (rev and count up: an outbox row updated before it shipped ships once,
 * with its latest state) and repeats (a shipped row shipped again with its
 * rev: must change nothing). Injected failures, each in --retry-pct/2 % of
 * the transactions: the connection is dropped before COMMIT (the server
 * rolls back; the host reconnects and ships the rows again), or COMMIT's
 * answer is "lost" (the rows stay in the outbox and ship again with the
 * same rev).
 *
 * --ship chooses how the rows of a transaction are sent:
 *   row       PQexecParams per row (the statement parsed each time)
 *   prepared  PQexecPrepared per row
 *   pipeline  the prepared upserts in libpq's pipeline mode, one round trip
 *   multirow  one INSERT ... SELECT FROM unnest($arrays) for the batch
 *             (the same WHERE NOT EXISTS and ON CONFLICT ... WHERE rev <)
 *
 * Lag: per shipped row, from its oldest uncommitted change (the time it
 * was due, so a shipper that falls behind shows its delay) to the return
 * of the COMMIT that made it durable. PostgreSQL's CPU: utime+stime of the
 * postmaster (--pg-pid), its children's from /proc, and the reaped
 * children's (cutime+cstime) between the start and the end of the drain.
 *
 * The check (central = hosts): per host, the rows, sum(count), sum of the
 * local revs, the store epoch in every rev and hosts.shipped_rev equal
 * what the host made; every upsert's row count is 1 exactly when its rev
 * is newer than what the database held, else 0 (repeats, retries).
 *
 * Prints a markdown table row on stdout and the details on stderr; exits
 * 1 if the check fails. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgschema.h"

/* What the spec's shipper does: a transaction every second, or at once
 * when the outbox holds this many rows. */
#define SHIP_INTERVAL_US 1000000
#define BATCH_DEFAULT 500
#define HEARTBEAT_US 5000000
/* Updates and repeats pick among the host's latest events, as a host's
 * aggregation mostly bumps what it saw recently. */
#define RECENT_PICK 1000
#define HOSTS_MAX 2000
#define BATCH_MAX 10000
/* After --time, the outbox must drain within this: else the database
 * cannot keep up and the run says so. */
#define DRAIN_MAX_US 120000000
/* Connection attempts of a host before the window (each up to
 * CONNECT_TIMEOUT s, then 1-2 s apart). */
#define START_TRIES 6
/* Every statement of the bench has a deadline (README: Fleet, the rules). */
#define STATEMENT_TIMEOUT "-c statement_timeout=60s"
#define CONNECT_TIMEOUT "10"

enum ship_kind { SHIP_ROW, SHIP_PREPARED, SHIP_PIPELINE, SHIP_MULTIROW };
static const char *const ship_names[] = { "row", "prepared", "pipeline",
					  "multirow" };

struct opts {
	const char *dsn;
	int hosts;
	double rate; /* changes per second per host; 0 with saturate */
	double time_s;
	bool saturate;
	int batch;
	enum ship_kind ship;
	double retry_pct;
	int pct_update, pct_repeat;
	long pg_pid;
	uint64_t seed;
	bool no_precreate;
};

static struct opts o = {
	.hosts = 1, .rate = 50, .time_s = 20, .batch = BATCH_DEFAULT,
	.retry_pct = 2, .pct_update = 15, .pct_repeat = 5, .seed = 1,
};

/* One event row of a host's store. */
struct ev {
	int64_t rev;	 /* local rev of its latest change */
	int64_t central; /* the local rev the database holds, 0: none */
	int64_t count, first_seen, last_seen;
	int64_t oldest_us; /* when its oldest uncommitted change was due */
	uint32_t nchanges; /* changes not yet committed */
	uint32_t subj;
	char day[11];
	bool queued; /* in the outbox */
};

struct stats {
	uint64_t made[3]; /* new, update, repeat changes */
	uint64_t committed, committed_win, tx, tx_win, heartbeats;
	uint64_t aborted, lost_ack, rows_sent, affected, expected, errors;
};

struct host {
	int idx;
	char id[24];
	PGconn *db;
	pthread_t th;
	uint64_t rng;
	int64_t epoch;	     /* store creation time, seconds */
	int64_t rev, shipped; /* local revs: last made, last committed */
	struct ev *ev;
	size_t nev, cap;
	uint32_t *out; /* the outbox: indices into ev, oldest first */
	size_t nout;
	uint64_t k;	  /* changes scheduled so far */
	int64_t phase_us; /* this host's offset in the schedule */
	uint32_t *lag_us;
	size_t nlag, caplag;
	char *col[PGSCHEMA_EVENT_UPSERT_NPARAMS - 1]; /* multirow's arrays */
	size_t colcap[PGSCHEMA_EVENT_UPSERT_NPARAMS - 1];
	struct stats st;
	bool failed;
	char err[256];
};

static struct host *hosts;
static pthread_barrier_t bar;
static int64_t t0_us, tend_us; /* the generation window, monotonic */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000,
			       .tv_nsec = (t % 1000000) * 1000 };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: enough for picking rows */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static bool rng_pct(uint64_t *s, double pct)
{
	return (double)(rng_next(s) % 1000000) < pct * 10000;
}

static int64_t central_rev(const struct host *h, int64_t local)
{
	return (int64_t)((uint64_t)h->epoch << 32 | (uint64_t)local);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 256;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	q = realloc(p, n * size);
	if (!q) {
		fprintf(stderr, "bench_fleet: out of memory\n");
		exit(2);
	}
	*cap = n;
	return q;
}

/* ---- the connection ---------------------------------------------------- */

static PGconn *db_connect(char *err, size_t errlen)
{
	const char *kw[] = { "dbname", "connect_timeout", "options",
			     "application_name", NULL };
	const char *val[] = { o.dsn, CONNECT_TIMEOUT, STATEMENT_TIMEOUT,
			      "bench_fleet", NULL };
	PGconn *db = PQconnectdbParams(kw, val, 1);

	if (PQstatus(db) != CONNECTION_OK) {
		snprintf(err, errlen, "connecting: %.*s",
			 (int)strcspn(PQerrorMessage(db), "\n"),
			 PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	return db;
}

static int db_fail(struct host *h, PGresult *r, const char *what)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(h->db);

	snprintf(h->err, sizeof(h->err), "%s: %.*s", what,
		 (int)strcspn(m, "\n"), m);
	PQclear(r);
	h->st.errors++;
	return -1;
}

/* Runs sql with params, expecting a command or rows. Returns the rows the
 * command touched (PQcmdTuples), or -1. */
static long db_exec(struct host *h, const char *sql, int n,
		    const char *const *v, const char *what)
{
	PGresult *r = PQexecParams(h->db, sql, n, NULL, v, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	long rows;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return db_fail(h, r, what);
	rows = atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

/* ---- the rows as the host ships them ----------------------------------- */

#define MULTIROW_COLS                                                       \
	"local_id, day, rev, type, subject, container_id, container_name,"  \
	" image, host, process_path, process_user, first_seen, last_seen,"  \
	" count, status, action, rule_list, rule_source, rule_pattern,"     \
	" rule_category, detail"

/* PGSCHEMA_EVENT_UPSERT for a whole batch: the rows as arrays, host_id
 * once, the same guard (events_gone), then the header's own ON CONFLICT
 * clause (multirow_sql appends it), so the rev rule is the same text. The
 * shipper must send each (local_id, day) at most once per statement (ON
 * CONFLICT cannot touch a row twice in one command): an outbox of rows
 * does. */
#define UPSERT_MULTIROW_HEAD                                                \
	"INSERT INTO events AS e (host_id, " MULTIROW_COLS ")"                \
	" SELECT $1, u.* FROM unnest($2::bigint[], $3::date[], $4::bigint[],"  \
	" $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],"        \
	" $10::text[], $11::text[], $12::text[], $13::bigint[],"              \
	" $14::bigint[], $15::bigint[], $16::text[], $17::text[],"            \
	" $18::text[], $19::text[], $20::text[], $21::text[], $22::text[])"   \
	" AS u(" MULTIROW_COLS ")"                                            \
	" WHERE NOT EXISTS (SELECT 1 FROM events_gone g WHERE"                \
	"  g.host_id = $1 AND g.local_id = u.local_id AND g.day = u.day"      \
	"  AND g.rev >= u.rev)"

static char multirow_sql[sizeof(UPSERT_MULTIROW_HEAD) +
			 sizeof(PGSCHEMA_EVENT_UPSERT)];

static void multirow_sql_make(void)
{
	const char *tail = strstr(PGSCHEMA_EVENT_UPSERT, " ON CONFLICT");

	if (!tail) {
		fprintf(stderr, "bench_fleet: no ON CONFLICT in the upsert\n");
		exit(2);
	}
	snprintf(multirow_sql, sizeof(multirow_sql), "%s%s",
		 UPSERT_MULTIROW_HEAD, tail);
}

#define SHIPPED_REV "UPDATE hosts SET shipped_rev = $2 WHERE host_id = $1"

#define HEARTBEAT                                                           \
	"INSERT INTO hosts AS h (host_id, name, inner_addrs, outer_addrs,"    \
	" version, mode, counters, list_version, shipped_rev, started,"       \
	" last_seen) VALUES ($1, $2, $3::text[], $4::text[], $5, $6,"         \
	" $7::jsonb, 0, $8, to_timestamp($9), now())"                         \
	" ON CONFLICT (host_id) DO UPDATE SET name = EXCLUDED.name,"          \
	" inner_addrs = EXCLUDED.inner_addrs,"                                \
	" outer_addrs = EXCLUDED.outer_addrs, version = EXCLUDED.version,"    \
	" mode = EXCLUDED.mode, counters = EXCLUDED.counters,"                \
	" shipped_rev = greatest(h.shipped_rev, EXCLUDED.shipped_rev),"       \
	" started = EXCLUDED.started, last_seen = now()"

/* The 22 parameters' text for one row; the same row gives the same text,
 * so a repeat or a retry sends exactly what it sent before. */
struct rowtext {
	char local_id[24], rev[24], subject[64], cid[72], cname[32];
	char image[48], first[24], last[24], count[24], detail[96];
	const char *v[PGSCHEMA_EVENT_UPSERT_NPARAMS];
};

static void row_text(const struct host *h, const struct ev *e,
		     struct rowtext *t)
{
	size_t id = (size_t)(e - h->ev) + 1;
	unsigned c = e->subj % 8;
	bool ip = e->subj % 5 == 0;

	snprintf(t->local_id, sizeof(t->local_id), "%zu", id);
	snprintf(t->rev, sizeof(t->rev), "%" PRId64, central_rev(h, e->rev));
	if (ip)
		snprintf(t->subject, sizeof(t->subject), "198.18.%u.%u",
			 (e->subj >> 8) & 255, e->subj & 255);
	else
		snprintf(t->subject, sizeof(t->subject),
			 "cdn%u.tracker-%u.example.test", e->subj % 97,
			 e->subj);
	snprintf(t->cid, sizeof(t->cid), "%016x%016x%016x%016x",
		 0xc0ffee00u + h->idx, c, 0x5eed0000u + c, h->idx);
	snprintf(t->cname, sizeof(t->cname), "svc-%u-web", c);
	snprintf(t->image, sizeof(t->image), "registry.example/team/app%u:1.%u",
		 c, c);
	snprintf(t->first, sizeof(t->first), "%" PRId64, e->first_seen);
	snprintf(t->last, sizeof(t->last), "%" PRId64, e->last_seen);
	snprintf(t->count, sizeof(t->count), "%" PRId64, e->count);
	snprintf(t->detail, sizeof(t->detail),
		 "{\"proto\":\"%s\",\"port\":443,\"pid\":%u}",
		 ip ? "tcp" : "dns", 1000 + e->subj % 3000);
	const char *v[PGSCHEMA_EVENT_UPSERT_NPARAMS] = {
		h->id, t->local_id, e->day, t->rev, ip ? "ip" : "domain",
		t->subject, t->cid, t->cname, t->image, ip ? "" : t->subject,
		"/usr/bin/curl", "1000", t->first, t->last, t->count,
		"pending", e->subj % 2 ? "blocked" : "alerted", "black",
		"system", ip ? "198.18.0.0/15" : "*.example.test", "malware",
		t->detail,
	};
	memcpy(t->v, v, sizeof(v));
}

/* ---- making changes ------------------------------------------------------ */

static void outbox_push(struct host *h, struct ev *e, int64_t due)
{
	if (!e->queued) {
		h->out[h->nout++] = (uint32_t)(e - h->ev);
		e->queued = true;
	}
	if (!e->nchanges++)
		e->oldest_us = due;
}

static void change_new(struct host *h, int64_t due, time_t wall)
{
	struct ev *e;
	struct tm tm;

	h->ev = grow(h->ev, &h->cap, h->nev + 1, sizeof(*h->ev));
	h->out = realloc(h->out, h->cap * sizeof(*h->out));
	if (!h->out)
		exit(2);
	e = &h->ev[h->nev++];
	memset(e, 0, sizeof(*e));
	e->rev = ++h->rev;
	e->count = 1;
	e->first_seen = e->last_seen = wall;
	e->subj = (uint32_t)rng_next(&h->rng);
	localtime_r(&wall, &tm);
	strftime(e->day, sizeof(e->day), "%Y-%m-%d", &tm);
	outbox_push(h, e, due);
	h->st.made[0]++;
}

static struct ev *pick_recent(struct host *h)
{
	size_t n = h->nev < RECENT_PICK ? h->nev : RECENT_PICK;

	return n ? &h->ev[h->nev - 1 - rng_next(&h->rng) % n] : NULL;
}

/* One change due at `due`: new, an update, or a repeat of a shipped row. */
static void change_make(struct host *h, int64_t due, time_t wall)
{
	unsigned p = rng_next(&h->rng) % 100;
	struct ev *e = pick_recent(h);

	if (e && p < (unsigned)o.pct_update) {
		e->rev = ++h->rev;
		e->count++;
		e->last_seen = wall;
		outbox_push(h, e, due);
		h->st.made[1]++;
	} else if (e && p < (unsigned)(o.pct_update + o.pct_repeat) &&
		   !e->queued && e->central == e->rev) {
		outbox_push(h, e, due);
		h->st.made[2]++;
	} else {
		change_new(h, due, wall);
	}
}

/* Rate mode: the changes due by now (and before the window's end). */
static void changes_due(struct host *h, int64_t now)
{
	time_t wall = time(NULL);

	for (;;) {
		int64_t due = t0_us + h->phase_us +
			      (int64_t)((double)h->k * 1e6 / o.rate);

		if (due > now || due >= tend_us)
			return;
		change_make(h, due, wall);
		h->k++;
	}
}

/* ---- shipping ------------------------------------------------------------ */

static long ship_rows_one(struct host *h, size_t n)
{
	struct rowtext t;
	long sum = 0, a;

	for (size_t i = 0; i < n; i++) {
		row_text(h, &h->ev[h->out[i]], &t);
		if (o.ship == SHIP_ROW)
			a = db_exec(h, PGSCHEMA_EVENT_UPSERT,
				    PGSCHEMA_EVENT_UPSERT_NPARAMS, t.v,
				    "upserting an event");
		else {
			PGresult *r = PQexecPrepared(
				h->db, "upsert", PGSCHEMA_EVENT_UPSERT_NPARAMS,
				t.v, NULL, NULL, 0);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				return db_fail(h, r, "upserting an event");
			a = atol(PQcmdTuples(r));
			PQclear(r);
		}
		if (a < 0)
			return -1;
		sum += a;
	}
	return sum;
}

/* Flushes the pipeline's queued output, reading input meanwhile so that
 * the server, blocked on its own output, never deadlocks us. */
static int pipe_flush(struct host *h)
{
	int f;

	while ((f = PQflush(h->db)) == 1) {
		struct pollfd p = { .fd = PQsocket(h->db),
				    .events = POLLIN | POLLOUT };

		if (poll(&p, 1, 60000) <= 0)
			return db_fail(h, NULL, "pipeline: no progress");
		if ((p.revents & POLLIN) && !PQconsumeInput(h->db))
			return db_fail(h, NULL, "pipeline: reading");
	}
	return f ? db_fail(h, NULL, "pipeline: sending") : 0;
}

/* The upserts' results, then the sync's; the first error is kept (the
 * queries after it come back PGRES_PIPELINE_ABORTED). */
static long pipe_results(struct host *h, size_t n)
{
	PGresult *r;
	long sum = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		r = PQgetResult(h->db);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			sum += atol(PQcmdTuples(r));
		else if (!bad++)
			snprintf(h->err, sizeof(h->err), "pipeline: %.*s",
				 (int)strcspn(PQresultErrorMessage(r), "\n"),
				 PQresultErrorMessage(r));
		PQclear(r);
		PQclear(PQgetResult(h->db)); /* the query's NULL */
	}
	r = PQgetResult(h->db);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC && !bad++)
		snprintf(h->err, sizeof(h->err), "pipeline: no sync");
	PQclear(r);
	h->st.errors += bad > 0;
	return bad ? -1 : sum;
}

static long ship_rows_pipeline(struct host *h, size_t n)
{
	struct rowtext t;
	long sum;

	if (PQsetnonblocking(h->db, 1) || !PQenterPipelineMode(h->db))
		return db_fail(h, NULL, "entering pipeline mode");
	for (size_t i = 0; i < n; i++) {
		row_text(h, &h->ev[h->out[i]], &t);
		if (!PQsendQueryPrepared(h->db, "upsert",
					 PGSCHEMA_EVENT_UPSERT_NPARAMS, t.v,
					 NULL, NULL, 0))
			return db_fail(h, NULL, "pipeline: queueing");
	}
	if (!PQpipelineSync(h->db) || pipe_flush(h))
		return -1;
	sum = pipe_results(h, n);
	if (!PQexitPipelineMode(h->db) || PQsetnonblocking(h->db, 0))
		return db_fail(h, NULL, "leaving pipeline mode");
	return sum;
}

/* Appends s to an array literal that has its '{': quoted, with \ and "
 * escaped, after a comma unless it is the first element. */
static void arr_add_elem(char **buf, size_t *len, size_t *cap, const char *s)
{
	*buf = grow(*buf, cap, *len + 2 * strlen(s) + 4, 1);
	if (*len > 1)
		(*buf)[(*len)++] = ',';
	(*buf)[(*len)++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			(*buf)[(*len)++] = '\\';
		(*buf)[(*len)++] = *s;
	}
	(*buf)[(*len)++] = '"';
}

static long ship_rows_multirow(struct host *h, size_t n)
{
	char **col = h->col;
	size_t *cap = h->colcap, len[PGSCHEMA_EVENT_UPSERT_NPARAMS - 1] = { 0 };
	const char *v[PGSCHEMA_EVENT_UPSERT_NPARAMS] = { h->id };
	struct rowtext t;

	for (size_t i = 0; i < n; i++) {
		row_text(h, &h->ev[h->out[i]], &t);
		for (int c = 0; c < PGSCHEMA_EVENT_UPSERT_NPARAMS - 1; c++) {
			if (!len[c]) { /* the opening brace */
				col[c] = grow(col[c], &cap[c], 2, 1);
				col[c][len[c]++] = '{';
			}
			arr_add_elem(&col[c], &len[c], &cap[c], t.v[c + 1]);
		}
	}
	for (int c = 0; c < PGSCHEMA_EVENT_UPSERT_NPARAMS - 1; c++) {
		col[c] = grow(col[c], &cap[c], len[c] + 2, 1);
		col[c][len[c]++] = '}';
		col[c][len[c]] = '\0';
		v[c + 1] = col[c];
	}
	return db_exec(h, multirow_sql, PGSCHEMA_EVENT_UPSERT_NPARAMS, v,
		       "upserting a batch (multirow)");
}

static long ship_rows(struct host *h, size_t n)
{
	switch (o.ship) {
	case SHIP_PIPELINE:
		return ship_rows_pipeline(h, n);
	case SHIP_MULTIROW:
		return ship_rows_multirow(h, n);
	default:
		return ship_rows_one(h, n);
	}
}

/* The rows the upserts must touch: those newer than the database's. */
static long rows_expected(const struct host *h, size_t n)
{
	long x = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ev *e = &h->ev[h->out[i]];

		x += e->rev > e->central;
	}
	return x;
}

static void batch_days(const struct host *h, size_t n, const char **from,
		       const char **to)
{
	*from = *to = h->ev[h->out[0]].day;
	for (size_t i = 1; i < n; i++) {
		const char *d = h->ev[h->out[i]].day;

		if (strcmp(d, *from) < 0)
			*from = d;
		if (strcmp(d, *to) > 0)
			*to = d;
	}
}

static int db_prepare(struct host *h)
{
	PGresult *r;

	if (o.ship != SHIP_PREPARED && o.ship != SHIP_PIPELINE)
		return 0;
	r = PQprepare(h->db, "upsert", PGSCHEMA_EVENT_UPSERT,
		      PGSCHEMA_EVENT_UPSERT_NPARAMS, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return db_fail(h, r, "preparing the upsert");
	PQclear(r);
	return 0;
}

/* A dropped connection: the server rolls the transaction back. */
static int host_reconnect(struct host *h)
{
	PQfinish(h->db);
	h->db = db_connect(h->err, sizeof(h->err));
	if (!h->db)
		return -1;
	return db_prepare(h);
}

/* The rows the COMMIT made durable: lags, what the database holds; the
 * outbox keeps them when the answer is "lost". */
static void ship_done(struct host *h, size_t n, int64_t now, bool lost)
{
	for (size_t i = 0; i < n; i++) {
		struct ev *e = &h->ev[h->out[i]];

		if (e->nchanges) {
			h->lag_us = grow(h->lag_us, &h->caplag, h->nlag + 1,
					 sizeof(*h->lag_us));
			h->lag_us[h->nlag++] = (uint32_t)(now - e->oldest_us);
			h->st.committed += e->nchanges;
			if (now <= tend_us)
				h->st.committed_win += e->nchanges;
			e->nchanges = 0;
		}
		e->central = e->rev;
		if (!lost)
			e->queued = false;
	}
	h->st.tx++;
	h->st.tx_win += now <= tend_us;
	if (lost)
		return;
	h->nout -= n;
	memmove(h->out, h->out + n, h->nout * sizeof(*h->out));
}

static int64_t batch_max_rev(const struct host *h, size_t n)
{
	int64_t m = h->shipped;

	for (size_t i = 0; i < n; i++)
		if (h->ev[h->out[i]].rev > m)
			m = h->ev[h->out[i]].rev;
	return m;
}

/* One transaction of up to --batch rows. 0, or -1 (rolled back). */
static int ship(struct host *h)
{
	size_t n = h->nout < (size_t)o.batch ? h->nout : (size_t)o.batch;
	int64_t top = batch_max_rev(h, n);
	const char *from, *to;
	char rev[24];
	const char *v[2] = { h->id, rev };
	long got, want = rows_expected(h, n);
	bool lost;

	batch_days(h, n, &from, &to);
	snprintf(rev, sizeof(rev), "%" PRId64, central_rev(h, top));
	if (db_exec(h, "BEGIN", 0, NULL, "BEGIN") < 0)
		goto fail;
	if (pgschema_partitions(h->db, from, to, h->err, sizeof(h->err))) {
		h->st.errors++;
		goto fail;
	}
	got = ship_rows(h, n);
	if (got < 0 || db_exec(h, SHIPPED_REV, 2, v, "shipped_rev") < 0)
		goto fail;
	h->st.rows_sent += n;
	if (rng_pct(&h->rng, o.retry_pct / 2)) {
		h->st.aborted++;
		return host_reconnect(h) ? -1 : 0;
	}
	lost = rng_pct(&h->rng, o.retry_pct / 2);
	if (db_exec(h, "COMMIT", 0, NULL, "COMMIT") < 0)
		goto fail;
	h->st.affected += got;
	h->st.expected += want;
	h->st.lost_ack += lost;
	if (!lost)
		h->shipped = top;
	ship_done(h, n, mono_us(), lost);
	return 0;
fail:
	/* A broken pipeline or connection is dropped; else roll back. */
	if (PQpipelineStatus(h->db) != PQ_PIPELINE_OFF ||
	    PQstatus(h->db) != CONNECTION_OK)
		host_reconnect(h);
	else
		PQclear(PQexec(h->db, "ROLLBACK"));
	return -1;
}

static int heartbeat(struct host *h, int64_t started)
{
	char inner[64], counters[160], rev[24], start[24];
	const char *v[9] = { h->id, h->id, inner, "{}", "bench", "block",
			     counters, rev, start };

	snprintf(inner, sizeof(inner), "{198.18.%d.%d,2001:db8::%x}",
		 h->idx >> 8, h->idx & 255, h->idx);
	snprintf(counters, sizeof(counters),
		 "{\"packets\":%zu,\"events\":%zu,\"blocks\":%zu,\"drops\":0,"
		 "\"lists\":{\"system\":1200,\"central\":0}}",
		 h->nev * 7, h->nev, h->nev / 2);
	snprintf(rev, sizeof(rev), "%" PRId64, central_rev(h, h->shipped));
	snprintf(start, sizeof(start), "%" PRId64, started);
	if (db_exec(h, HEARTBEAT, 9, v, "heartbeat") < 0)
		return -1;
	h->st.heartbeats++;
	return 0;
}

/* ---- a host ---------------------------------------------------------------- */

static int host_start_once(struct host *h)
{
	PQfinish(h->db);
	h->db = db_connect(h->err, sizeof(h->err));
	if (!h->db)
		return -1;
	if (pgschema_migrate(h->db, h->err, sizeof(h->err)))
		return -1;
	if (db_prepare(h))
		return -1;
	return heartbeat(h, time(NULL));
}

/* Connects as a host does: a refused or slow connection (hundreds of
 * hosts starting at once) is tried again after a second or two. */
static int host_start(struct host *h)
{
	for (int i = 0; i < START_TRIES; i++) {
		if (!host_start_once(h))
			return 0;
		sleep_until_us(mono_us() + 1000000 +
			       (int64_t)(rng_next(&h->rng) % 1000000));
	}
	return -1;
}

/* When the loop must look again: the next second's ship, the heartbeat,
 * or the change that fills the outbox to a batch. */
static int64_t host_wake(const struct host *h, int64_t last_ship,
			 int64_t next_hb)
{
	int64_t w = last_ship + SHIP_INTERVAL_US;
	int64_t fill = t0_us + h->phase_us +
		       (int64_t)((double)(h->k + (size_t)o.batch - h->nout -
					  1) * 1e6 / o.rate);

	if (next_hb < w)
		w = next_hb;
	if (fill < w)
		w = fill;
	return w < tend_us ? w : tend_us;
}

static void host_loop(struct host *h)
{
	int64_t started = time(NULL), now = mono_us(), last_ship = now;
	int64_t next_hb = now + HEARTBEAT_US;

	while ((now = mono_us()) < tend_us) {
		if (o.saturate) {
			time_t wall = time(NULL);

			while (h->nout < (size_t)o.batch)
				change_make(h, now, wall);
		} else {
			changes_due(h, now);
		}
		if (h->nout && (o.saturate || h->nout >= (size_t)o.batch ||
				now - last_ship >= SHIP_INTERVAL_US)) {
			last_ship = now;
			if (ship(h))
				sleep_until_us(mono_us() + 100000);
		} else if (now - last_ship >= SHIP_INTERVAL_US) {
			last_ship = now;
		}
		if (now >= next_hb) {
			heartbeat(h, started);
			next_hb += HEARTBEAT_US;
		}
		if (!o.saturate && h->nout < (size_t)o.batch)
			sleep_until_us(host_wake(h, last_ship, next_hb));
	}
	if (!o.saturate)
		changes_due(h, tend_us); /* those due since the last look */
	while (h->nout && mono_us() < tend_us + DRAIN_MAX_US)
		if (ship(h))
			sleep_until_us(mono_us() + 100000);
}

static void *host_main(void *arg)
{
	struct host *h = arg;

	h->failed = host_start(h) != 0;
	pthread_barrier_wait(&bar); /* all connected */
	pthread_barrier_wait(&bar); /* t0 set */
	if (!h->failed)
		host_loop(h);
	pthread_barrier_wait(&bar); /* drained: measure */
	pthread_barrier_wait(&bar); /* checked */
	PQfinish(h->db);
	for (int c = 0; c < PGSCHEMA_EVENT_UPSERT_NPARAMS - 1; c++)
		free(h->col[c]);
	free(h->ev);
	free(h->out);
	free(h->lag_us);
	return NULL;
}

/* ---- PostgreSQL's CPU ------------------------------------------------------ */

/* utime+stime (+cutime+cstime if `reaped`) of pid in ticks, its parent in
 * *ppid; -1 if it is gone. */
static long long proc_ticks(long pid, bool reaped, long *ppid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	long long cut, cst;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
	if (!p || sscanf(p + 2,
			 "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu %lld %lld",
			 ppid, &ut, &st, &cut, &cst) != 5)
		return -1;
	return (long long)(ut + st) + (reaped ? cut + cst : 0);
}

/* The postmaster and its children, the exited ones included (the
 * postmaster reaps them into its cutime/cstime), in ms. */
static double pg_cpu_ms(long pm)
{
	long long sum, t;
	long ppid;
	struct dirent *d;
	DIR *dir;

	if (pm <= 0)
		return 0;
	sum = proc_ticks(pm, true, &ppid);
	dir = opendir("/proc");
	while (dir && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		t = proc_ticks(atol(d->d_name), false, &ppid);
		if (t >= 0 && ppid == pm)
			sum += t;
	}
	if (dir)
		closedir(dir);
	return (double)sum * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* The machine's 1-minute load average: other work shares the CPUs. */
static double loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static double self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
	       ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

/* ---- the database's side: size, WAL, the check ---------------------------- */

static PGresult *main_query(PGconn *db, const char *sql, int n,
			    const char *const *v)
{
	PGresult *r = PQexecParams(db, sql, n, NULL, v, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench_fleet: %s: %s", sql,
			PQresultErrorMessage(r));
		exit(2);
	}
	return r;
}

struct dbsize {
	long long bytes;
	char lsn[32];
};

static void db_size(PGconn *db, struct dbsize *s)
{
	PGresult *r = main_query(db,
				 "SELECT pg_database_size(current_database()),"
				 " pg_current_wal_lsn()",
				 0, NULL);

	s->bytes = atoll(PQgetvalue(r, 0, 0));
	snprintf(s->lsn, sizeof(s->lsn), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
}

static long long wal_bytes(PGconn *db, const struct dbsize *a,
			   const struct dbsize *b)
{
	const char *v[2] = { b->lsn, a->lsn };
	PGresult *r = main_query(db, "SELECT pg_wal_lsn_diff($1, $2)::bigint",
				 2, v);
	long long n = atoll(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

/* One host's row of the check against what it made; 0 if equal. */
static int check_host(PGresult *r, int i, const char *what)
{
	struct host *h;
	int idx;
	long long rows = 0, cnt = 0, revs = 0;

	if (sscanf(PQgetvalue(r, i, 0), "bench-h%d", &idx) != 1 || idx < 0 ||
	    idx >= o.hosts) {
		fprintf(stderr, "check: unknown host %s\n", PQgetvalue(r, i, 0));
		return 1;
	}
	h = &hosts[idx];
	for (size_t k = 0; k < h->nev; k++) {
		cnt += h->ev[k].count;
		revs += h->ev[k].rev;
	}
	rows = (long long)h->nev;
	if (atoll(PQgetvalue(r, i, 1)) != rows ||
	    atoll(PQgetvalue(r, i, 2)) != cnt ||
	    atoll(PQgetvalue(r, i, 3)) != revs ||
	    atoll(PQgetvalue(r, i, 4)) != h->epoch ||
	    atoll(PQgetvalue(r, i, 5)) != h->epoch ||
	    atoll(PQgetvalue(r, i, 6)) != central_rev(h, h->rev) || h->nout) {
		fprintf(stderr,
			"check %s: %s rows %s/%lld count %s/%lld revs %s/%lld "
			"epoch %s..%s/%" PRId64 " shipped_rev %s/%" PRId64
			" outbox %zu\n",
			what, h->id, PQgetvalue(r, i, 1), rows,
			PQgetvalue(r, i, 2), cnt, PQgetvalue(r, i, 3), revs,
			PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), h->epoch,
			PQgetvalue(r, i, 6), central_rev(h, h->rev), h->nout);
		return 1;
	}
	return 0;
}

/* Central = what the hosts made: rows, counts, revs, shipped_rev. */
static int check_central(PGconn *db, long long *rows)
{
	PGresult *r = main_query(
		db,
		"SELECT e.host_id, count(*), sum(e.count),"
		" sum(e.rev & 4294967295), min(e.rev >> 32), max(e.rev >> 32),"
		" h.shipped_rev FROM events e JOIN hosts h USING (host_id)"
		" GROUP BY e.host_id, h.shipped_rev",
		0, NULL);
	int bad = 0, n = PQntuples(r), live = 0;

	for (int i = 0; i < o.hosts; i++)
		live += !hosts[i].failed && hosts[i].nev;
	if (n != live) {
		fprintf(stderr, "check: %d hosts have events, %d made some\n",
			n, live);
		bad = 1;
	}
	for (int i = 0; i < n; i++)
		bad |= check_host(r, i, "central");
	PQclear(r);
	r = main_query(db, "SELECT count(*) FROM events", 0, NULL);
	*rows = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return bad;
}

/* ---- the run --------------------------------------------------------------- */

struct totals {
	struct stats st;
	size_t nlag, nev;
	uint32_t *lag;
	int failed;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static void totals_sum(struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < o.hosts; i++)
		t->nlag += hosts[i].nlag;
	t->lag = malloc((t->nlag + 1) * sizeof(*t->lag));
	if (!t->lag)
		exit(2);
	t->nlag = 0;
	for (int i = 0; i < o.hosts; i++) {
		struct host *h = &hosts[i];
		uint64_t *a = (uint64_t *)&t->st, *b = (uint64_t *)&h->st;

		for (size_t k = 0; k < sizeof(t->st) / sizeof(*a); k++)
			a[k] += b[k];
		memcpy(t->lag + t->nlag, h->lag_us, h->nlag * sizeof(*t->lag));
		t->nlag += h->nlag;
		t->nev += h->nev;
		if (h->failed) {
			fprintf(stderr, "host %s: %s\n", h->id, h->err);
			t->failed++;
		} else if (h->st.errors) {
			fprintf(stderr, "host %s: %" PRIu64 " errors, last: %s\n",
				h->id, h->st.errors, h->err);
		}
	}
	qsort(t->lag, t->nlag, sizeof(*t->lag), cmp_u32);
}

static double lag_ms(const struct totals *t, double q)
{
	size_t i;

	if (!t->nlag)
		return 0;
	i = (size_t)(q * (double)(t->nlag - 1) + 0.5);
	return t->lag[i] / 1000.0;
}

struct measure {
	double pg_ms, self_ms;
	int64_t us;
	struct dbsize size;
};

static void measure_now(PGconn *db, struct measure *m)
{
	m->pg_ms = pg_cpu_ms(o.pg_pid);
	m->self_ms = self_cpu_ms();
	m->us = mono_us();
	db_size(db, &m->size);
}

static void report(PGconn *db, const struct measure *a,
		   const struct measure *b, int bad, long long rows)
{
	struct totals t;
	double made, drain = (b->us - tend_us) / 1e6, win = o.time_s + drain;
	double pg = b->pg_ms - a->pg_ms;
	long long wal = wal_bytes(db, &a->size, &b->size);
	char offered[32];

	totals_sum(&t);
	made = (double)(t.st.made[0] + t.st.made[1] + t.st.made[2]);
	bad |= t.failed || t.st.affected != t.st.expected ||
	       (long long)t.nev != rows || t.st.committed != made;
	if (o.saturate)
		snprintf(offered, sizeof(offered), "max");
	else
		snprintf(offered, sizeof(offered), "%.0f", o.rate * o.hosts);
	fprintf(stderr,
		"hosts %d, %s, ship %s, batch %d, %.1f s + drain %.1f s:\n"
		"  changes made %.0f (new %" PRIu64 ", updates %" PRIu64
		", repeats %" PRIu64 "), committed %" PRIu64
		" (%" PRIu64 " within the window)\n"
		"  transactions %" PRIu64 " (%" PRIu64 " in the window), rows"
		" sent %" PRIu64 ", heartbeats %" PRIu64 ", errors %" PRIu64 "\n"
		"  injected: %" PRIu64 " dropped before COMMIT, %" PRIu64
		" COMMIT answers lost\n"
		"  upserts that changed a row %" PRIu64 ", expected %" PRIu64
		" (the other %" PRIu64 " sent rows were repeats or retries)\n"
		"  central rows %lld, events the hosts made %zu: %s\n"
		"  lag ms p50 %.1f p90 %.1f p99 %.1f max %.1f over %zu rows\n"
		"  PostgreSQL CPU %.0f ms (%.0f %% of one CPU), bench CPU %.0f ms,"
		" database +%lld bytes, WAL %lld bytes\n",
		o.hosts, o.saturate ? "saturated" : "rate", ship_names[o.ship],
		o.batch, o.time_s, drain, made, t.st.made[0], t.st.made[1],
		t.st.made[2], t.st.committed, t.st.committed_win, t.st.tx,
		t.st.tx_win, t.st.rows_sent, t.st.heartbeats, t.st.errors,
		t.st.aborted, t.st.lost_ack, t.st.affected, t.st.expected,
		t.st.rows_sent - t.st.affected, rows, t.nev,
		bad ? "FAIL" : "exactly once", lag_ms(&t, .5), lag_ms(&t, .9),
		lag_ms(&t, .99), lag_ms(&t, 1), t.nlag, pg,
		pg / (win * 10), b->self_ms - a->self_ms, b->size.bytes - a->size.bytes, wal);
	/* | hosts | ship | offered/s | achieved/s | tx/s | lag p50 / p99 /
	 *   max ms | PG CPU % | PG CPU ms per 1k | DB MB per 1M events |
	 *   WAL MB per 1M | retries | load | check |; achieved and tx/s
	 *   over the window and the drain (the last second's changes ship
	 *   after it) */
	printf("| %d | %s | %s | %.0f | %.1f | %.0f / %.0f / %.0f | %.0f |"
	       " %.1f | %.0f | %.0f | %" PRIu64 " + %" PRIu64 " | %.1f |"
	       " %s |\n",
	       o.hosts, ship_names[o.ship], offered,
	       (double)t.st.committed / win, (double)t.st.tx / win,
	       lag_ms(&t, .5), lag_ms(&t, .99), lag_ms(&t, 1), pg / (win * 10),
	       pg * 1000.0 / (double)t.st.committed,
	       (double)(b->size.bytes - a->size.bytes) / (double)t.nev,
	       (double)wal / (double)t.nev, t.st.aborted, t.st.lost_ack,
	       loadavg(), bad ? "FAIL" : "ok");
	fflush(stdout);
	free(t.lag);
	if (bad)
		exit(1);
}

/* The schema, and (unless --no-precreate) the partitions of today and
 * tomorrow, made before the hosts start: the runs measure a day's steady
 * state, not the race of every host for the day's first partition. */
static int db_ready(PGconn *db, char *err, size_t errlen)
{
	char today[11], tomorrow[11];
	time_t now = time(NULL), next = now + 86400;
	struct tm tm;

	if (pgschema_migrate(db, err, errlen))
		return -1;
	if (o.no_precreate)
		return 0;
	localtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	localtime_r(&next, &tm);
	strftime(tomorrow, sizeof(tomorrow), "%Y-%m-%d", &tm);
	return pgschema_partitions(db, today, tomorrow, err, errlen);
}

static int run(void)
{
	char err[256];
	PGconn *db = db_connect(err, sizeof(err));
	struct measure a, b;
	long long rows;
	int bad;

	if (!db || db_ready(db, err, sizeof(err))) {
		fprintf(stderr, "bench_fleet: %s\n", err);
		return 2;
	}
	pthread_barrier_init(&bar, NULL, (unsigned)o.hosts + 1);
	for (int i = 0; i < o.hosts; i++)
		if (pthread_create(&hosts[i].th, NULL, host_main, &hosts[i]))
			exit(2);
	pthread_barrier_wait(&bar);
	measure_now(db, &a);
	t0_us = mono_us();
	tend_us = t0_us + (int64_t)(o.time_s * 1e6);
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	measure_now(db, &b);
	bad = check_central(db, &rows);
	report(db, &a, &b, bad, rows);
	pthread_barrier_wait(&bar);
	for (int i = 0; i < o.hosts; i++)
		pthread_join(hosts[i].th, NULL);
	PQfinish(db);
	pthread_barrier_destroy(&bar);
	free(hosts);
	return 0;
}

static void hosts_init(void)
{
	int64_t now = time(NULL);

	hosts = calloc((size_t)o.hosts, sizeof(*hosts));
	if (!hosts)
		exit(2);
	for (int i = 0; i < o.hosts; i++) {
		struct host *h = &hosts[i];

		h->idx = i;
		snprintf(h->id, sizeof(h->id), "bench-h%04d", i);
		h->rng = o.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)i + 1;
		/* stores made at different times, as on real hosts */
		h->epoch = now - 86400 - i;
		if (!o.saturate)
			h->phase_us = (int64_t)(rng_next(&h->rng) %
						(uint64_t)(1e6 / o.rate + 1));
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_fleet --dsn DSN [--hosts N] [--rate R | --saturate]"
		" [--time S]\n"
		"       [--batch N] [--ship row|prepared|pipeline|multirow]"
		" [--retry-pct P]\n"
		"       [--update-pct P] [--repeat-pct P] [--pg-pid PID]"
		" [--seed N]\n"
		"       [--no-precreate]\n"
		"  --rate is changes per second per host (default 50)\n");
	exit(2);
}

static double num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < lo || v > hi)
		usage();
	return v;
}

static void opts_parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dsn", 1, 0, 'd' },	     { "hosts", 1, 0, 'n' },
		{ "rate", 1, 0, 'r' },	     { "saturate", 0, 0, 'S' },
		{ "time", 1, 0, 't' },	     { "batch", 1, 0, 'b' },
		{ "ship", 1, 0, 's' },	     { "retry-pct", 1, 0, 'R' },
		{ "update-pct", 1, 0, 'u' }, { "repeat-pct", 1, 0, 'p' },
		{ "pg-pid", 1, 0, 'P' },     { "seed", 1, 0, 'e' },
		{ "no-precreate", 0, 0, 'N' },
		{ 0, 0, 0, 0 },
	};
	int c, k;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dsn = optarg; break;
		case 'n': o.hosts = (int)num(optarg, 1, HOSTS_MAX); break;
		case 'r': o.rate = num(optarg, 0.01, 1e6); break;
		case 'S': o.saturate = true; break;
		case 't': o.time_s = num(optarg, 0.1, 3600); break;
		case 'b': o.batch = (int)num(optarg, 1, BATCH_MAX); break;
		case 'R': o.retry_pct = num(optarg, 0, 100); break;
		case 'u': o.pct_update = (int)num(optarg, 0, 100); break;
		case 'p': o.pct_repeat = (int)num(optarg, 0, 100); break;
		case 'P': o.pg_pid = (long)num(optarg, 0, 1e9); break;
		case 'e': o.seed = (uint64_t)num(optarg, 0, 1e15); break;
		case 'N': o.no_precreate = true; break;
		case 's':
			for (k = 0; k < 4 && strcmp(optarg, ship_names[k]); k++)
				;
			if (k == 4)
				usage();
			o.ship = (enum ship_kind)k;
			break;
		default: usage();
		}
	}
	if (!o.dsn || optind != argc || o.pct_update + o.pct_repeat > 100)
		usage();
}

int main(int argc, char **argv)
{
	opts_parse(argc, argv);
	multirow_sql_make();
	hosts_init();
	return run();
}
