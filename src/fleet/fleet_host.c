// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet thread (fleet_host.h): the connection and its outages, the
 * heartbeat and containers rows, hourly retention, the status. */
#include "fleet_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "egressd/clock.h"
#include "fleet_host_internal.h"
#include "log.h"
#include "pgschema.h"
#include "text.h"

/* The most parameters a statement of the fleet thread takes (the event
 * upsert's 22). */
#define PGIO_PARAMS_MAX 32

#ifndef EGRESSD_VERSION
#define EGRESSD_VERSION "0"
#endif

/* ---- the host's id ---- */

/* fleet_host_id, else the host name if it is an id, else the first 12
 * hex digits of /etc/machine-id. */
static int host_id_find(const struct config *cfg, const char *name,
			char *out, size_t len)
{
	char mid[64] = "";
	int fd;

	if (cfg->fleet_host_id[0])
		return snprintf(out, len, "%s", cfg->fleet_host_id) < 0;
	if (config_host_id_ok(name))
		return snprintf(out, len, "%s", name) < 0;
	fd = open("/etc/machine-id", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, mid, sizeof(mid) - 1);
		mid[n > 0 ? n : 0] = 0;
		close(fd);
	}
	mid[strspn(mid, "0123456789abcdef")] = 0;
	if (strlen(mid) < 12)
		return -ENOENT;
	return snprintf(out, len, "%.12s", mid) < 0;
}

struct fleet_host *fleet_host_new(const struct config *cfg, char *err, size_t errlen)
{
	struct fleet_host *f = calloc(1, sizeof(*f));

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->cfg = cfg;
	f->sock = -1;
	f->wake = -1;
	gethostname(f->name, sizeof(f->name) - 1);
	if (host_id_find(cfg, f->name, f->host_id, sizeof(f->host_id))) {
		snprintf(err, errlen, "no fleet host id: the host name '%s' is "
			 "not one and /etc/machine-id cannot be read: set "
			 "fleet_host_id", f->name);
		free(f);
		return NULL;
	}
	pgio_dsn_redact(cfg->fleet_dsn, f->dsn_shown, sizeof(f->dsn_shown));
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

/* ---- the status ---- */

void fleet_host_note_error(struct fleet_host *f, const char *err)
{
	pthread_mutex_lock(&f->lock);
	snprintf(f->last_error, sizeof(f->last_error), "%s", err);
	pthread_mutex_unlock(&f->lock);
}

/* What the thread knows now, for `status`. */
void fleet_host_publish(struct fleet_host *f)
{
	int64_t pending = -1;

	store_fleet_pending(f->st, &pending);
	pthread_mutex_lock(&f->lock);
	f->connected = f->db != NULL;
	f->pending = pending;
	f->shipped_rev = f->shipped;
	f->list_version = f->lists_at;
	pthread_mutex_unlock(&f->lock);
}

cJSON *fleet_host_status_json(void *arg)
{
	struct fleet_host *f = arg;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return NULL;
	pthread_mutex_lock(&f->lock);
	cJSON_AddStringToObject(o, "host_id", f->host_id);
	cJSON_AddStringToObject(o, "database", f->dsn_shown);
	cJSON_AddBoolToObject(o, "connected", f->connected);
	cJSON_AddStringToObject(o, "last_error", f->last_error);
	cJSON_AddNumberToObject(o, "outbox_pending", (double)f->pending);
	cJSON_AddNumberToObject(o, "shipped_rev", (double)f->shipped_rev);
	cJSON_AddNumberToObject(o, "list_version", (double)f->list_version);
	cJSON_AddNumberToObject(o, "last_ship", (double)f->last_ship);
	pthread_mutex_unlock(&f->lock);
	return o;
}

/* ---- statements ---- */

/* f->sock is a duplicate of the connection's socket, ours until
 * disconnect() closes it: fleet_host_stop may shut the socket down at any
 * time (ending a blocking libpq call at once) and never touches a
 * descriptor number libpq closed and the process reused. */
static void sock_keep(struct fleet_host *f)
{
	int fd = dup(PQsocket(f->db));

	pthread_mutex_lock(&f->lock);
	f->sock = fd;
	pthread_mutex_unlock(&f->lock);
}

static void disconnect(struct fleet_host *f)
{
	pthread_mutex_lock(&f->lock);
	if (f->sock >= 0)
		close(f->sock);
	f->sock = -1;
	f->connected = false;
	pthread_mutex_unlock(&f->lock);
	pgio_close(&f->db);
}

/* Text a container chose (a process's path, its user's name, its command
 * line in the detail, a container's name) need not be UTF-8, and the
 * database refuses a parameter that is not: that row, and so every row
 * behind it in the outbox, would never ship. Such text goes as valid
 * UTF-8, each bad byte a U+FFFD. */
int fleet_host_exec(struct fleet_host *f, const char *sql, int n,
	       const char *const *params, PGresult **ret, char *err,
	       size_t errlen)
{
	const char *p[PGIO_PARAMS_MAX];
	char *clean[PGIO_PARAMS_MAX] = { 0 };
	int r;

	if (n > PGIO_PARAMS_MAX) {
		snprintf(err, errlen, "%d parameters, at most %d", n,
			 PGIO_PARAMS_MAX);
		return -E2BIG;
	}
	for (int i = 0; i < n; i++) {
		p[i] = params[i];
		if (p[i] && !text_utf8_valid(p[i]) &&
		    !(p[i] = clean[i] = text_utf8_clean(params[i]))) {
			r = -ENOMEM;
			snprintf(err, errlen, "no memory for a parameter");
			goto out;
		}
	}
	r = pgio_exec(&f->db, FLEET_STATEMENT_MS, sql, n, n ? p : params, ret,
		      err, errlen);
out:
	for (int i = 0; i < n; i++)
		free(clean[i]);
	return r;
}

/* ---- the heartbeat ---- */

static bool addr_global(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return (a >> 24) != 127 && (a >> 16) != 0xa9fe && a;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_LINKLOCAL(a) &&
		       !IN6_IS_ADDR_UNSPECIFIED(a);
	}
	return false;
}

/* Adds a to the array literal in buf, or nothing when it would not fit
 * whole (a host with hundreds of addresses, kube-proxy's IPVS say: a
 * cut element would make the literal, and so the heartbeat, fail). */
static void array_add(char *buf, size_t len, const char *a)
{
	size_t n = strlen(buf), need = strlen(a) + 3 + (n > 1);

	if (n + need < len)
		snprintf(buf + n, len - n, "%s\"%s\"", n > 1 ? "," : "", a);
}

static void addr_text(const struct sockaddr *sa, char *out, size_t len)
{
	const void *p = sa->sa_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, p, out, (socklen_t)len))
		out[0] = 0;
}

/* The host's global addresses as a text[] literal. */
static void inner_addrs(char *buf, size_t len)
{
	struct ifaddrs *ifs, *i;
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "{");
	if (!getifaddrs(&ifs)) {
		for (i = ifs; i; i = i->ifa_next)
			if (i->ifa_addr && addr_global(i->ifa_addr)) {
				addr_text(i->ifa_addr, a, sizeof(a));
				array_add(buf, len - 1, a);
			}
		freeifaddrs(ifs);
	}
	strncat(buf, "}", len - strlen(buf) - 1);
}

/* fleet_outer_addr, else the local end of a TCP link to PostgreSQL. */
static void outer_addrs(struct fleet_host *f, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char copy[sizeof(f->cfg->fleet_outer_addr)], *save = NULL, a[64];

	snprintf(buf, len, "{");
	snprintf(copy, sizeof(copy), "%s", f->cfg->fleet_outer_addr);
	for (char *t = strtok_r(copy, " ,\t", &save); t;
	     t = strtok_r(NULL, " ,\t", &save))
		array_add(buf, len - 1, t);
	if (!copy[0] && f->db &&
	    !getsockname(PQsocket(f->db), (struct sockaddr *)&ss, &sl) &&
	    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6)) {
		addr_text((struct sockaddr *)&ss, a, sizeof(a));
		array_add(buf, len - 1, a);
	}
	strncat(buf, "}", len - strlen(buf) - 1);
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		x = cJSON_GetObjectItemCaseSensitive(x, b);
	return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

/* packets, events, blocks, drops, and the lists' sources with their
 * counts (where each entry comes from), from the status. */
static char *counters_json(struct fleet_host *f, char *mode, size_t modelen)
{
	cJSON *st = ctl_status(f->ctl), *o = cJSON_CreateObject();
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(st, "counters");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "mode");
	char *text;

	snprintf(mode, modelen, "%s", cJSON_IsString(m) ? m->valuestring : "");
	cJSON_AddNumberToObject(o, "packets", num_at(c, "packets", NULL));
	cJSON_AddNumberToObject(o, "events", num_at(c, "events_written", NULL));
	cJSON_AddNumberToObject(o, "blocks", num_at(c, "verdicts", "block"));
	cJSON_AddNumberToObject(o, "drops",
				num_at(c, "queue_drops_full", NULL) +
					num_at(c, "queue_drops_user", NULL) +
					num_at(c, "events_dropped", NULL));
	cJSON_AddItemToObject(o, "lists",
			      cJSON_DetachItemFromObjectCaseSensitive(st, "lists"));
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	cJSON_Delete(st);
	return text;
}

/* The heartbeat, which also claims the host id: another egressd (its
 * store made at another time) holding it, seen within stale_after_s,
 * keeps it, and this one then ships nothing and runs no command until
 * the other is stale (-EADDRINUSE, f->clash). */
static int heartbeat(struct fleet_host *f, char *err, size_t errlen)
{
	char inner[2048], outer[512], lv[24], rev[24], started[24], mode[16];
	char inst[24];
	char *counters = counters_json(f, mode, sizeof(mode));
	const char *p[] = { f->host_id, f->name, inner, outer, EGRESSD_VERSION,
			    mode, counters ? counters : "{}", lv, rev, started,
			    inst };
	PGresult *res = NULL;
	int r;

	inner_addrs(inner, sizeof(inner));
	outer_addrs(f, outer, sizeof(outer));
	snprintf(lv, sizeof(lv), "%" PRId64, f->lists_at);
	snprintf(rev, sizeof(rev), "%" PRId64,
		 (int64_t)((uint64_t)f->created << 32 | (uint64_t)f->shipped));
	snprintf(started, sizeof(started), "%" PRId64, f->started);
	snprintf(inst, sizeof(inst), "%" PRId64, f->created);
	r = fleet_host_exec(f,
		       "INSERT INTO hosts AS h (host_id, name, inner_addrs,"
		       " outer_addrs, version, mode, counters, list_version,"
		       " shipped_rev, started, last_seen, instance) VALUES ($1,"
		       " $2, $3::text[], $4::text[], $5, $6, $7::jsonb, $8, $9,"
		       " to_timestamp($10), now(), $11) ON CONFLICT (host_id) DO"
		       " UPDATE SET name = EXCLUDED.name, instance = EXCLUDED.instance,"
		       " inner_addrs = EXCLUDED.inner_addrs,"
		       " outer_addrs = EXCLUDED.outer_addrs,"
		       " version = EXCLUDED.version, mode = EXCLUDED.mode,"
		       " counters = EXCLUDED.counters,"
		       " list_version = EXCLUDED.list_version,"
		       " shipped_rev = greatest(h.shipped_rev,"
		       "  EXCLUDED.shipped_rev),"
		       " started = EXCLUDED.started, last_seen = now()"
		       " WHERE h.instance IN (0, EXCLUDED.instance)"
		       " OR h.last_seen < now() - make_interval(secs =>"
		       "  (SELECT coalesce(max(value::integer), 60) FROM settings"
		       "   WHERE key = 'stale_after_s'))"
		       " RETURNING 1",
		       11, p, &res, err, errlen);
	free(counters);
	if (r)
		return r;
	r = PQntuples(res) == 1 ? 0 : -EADDRINUSE;
	PQclear(res);
	if (r && !f->clash)
		log_warn("fleet: host id %s is held by another egressd (its "
			 "heartbeat is recent, its store another): this one "
			 "ships nothing and runs no command until that one is "
			 "stale; give each host its own fleet_host_id\n",
			 f->host_id);
	else if (!r && f->clash)
		log_notice("fleet: host id %s is this egressd's again\n",
			   f->host_id);
	f->clash = r != 0;
	if (r)
		snprintf(err, errlen, "host id %s is held by another egressd",
			 f->host_id);
	return r;
}

/* The containers' rows, replaced when they changed (and on connect:
 * containers_sent is cleared then). */
static int containers_sync(struct fleet_host *f, char *err, size_t errlen)
{
	cJSON *a = ctl_containers(f->ctl);
	char *text = a ? cJSON_PrintUnformatted(a) : NULL;
	const char *p[] = { f->host_id, text };
	int r = 0;

	cJSON_Delete(a);
	if (!text)
		return -ENOMEM;
	if (f->containers_sent && !strcmp(text, f->containers_sent)) {
		free(text);
		return 0;
	}
	r = fleet_host_exec(f, "BEGIN", 0, NULL, NULL, err, errlen);
	if (!r)
		r = fleet_host_exec(f, "DELETE FROM containers WHERE host_id = $1",
			       1, p, NULL, err, errlen);
	if (!r)
		r = fleet_host_exec(f,
			       "INSERT INTO containers (host_id, container_id,"
			       " name, image, isolated, info) SELECT $1,"
			       " x->>'id', coalesce(x->>'name', ''),"
			       " coalesce(x->>'image', ''),"
			       " coalesce(x->'isolation'->>'state', '') ="
			       " 'isolated', x FROM jsonb_array_elements($2::jsonb) x"
			       " WHERE coalesce(x->>'id', '') <> ''"
			       " ON CONFLICT DO NOTHING",
			       2, p, NULL, err, errlen);
	if (!r)
		r = fleet_host_exec(f, "COMMIT", 0, NULL, NULL, err, errlen);
	if (r) {
		if (f->db)
			fleet_host_exec(f, "ROLLBACK", 0, NULL, NULL, err, errlen);
		free(text);
		return r;
	}
	free(f->containers_sent);
	f->containers_sent = text;
	return 0;
}

/* ---- the connection ---- */

static int listen_all(struct fleet_host *f, char *err, size_t errlen)
{
	int r = fleet_host_exec(f, "SET statement_timeout = '" FLEET_SERVER_TIMEOUT
			      "'", 0, NULL, NULL, err, errlen);

	if (!r)
		r = fleet_host_exec(f, "LISTEN " PGSCHEMA_CHAN_LISTS, 0, NULL, NULL,
			       err, errlen);
	if (!r)
		r = fleet_host_exec(f, "LISTEN " PGSCHEMA_CHAN_COMMANDS, 0, NULL,
			       NULL, err, errlen);
	return r;
}

/* Connects, migrates, listens, then catches up: lists first (what is
 * enforced), the host's row (shipping updates it), commands. */
static int fleet_host_connect(struct fleet_host *f, char *err, size_t errlen)
{
	int r = pgio_connect(f->cfg->fleet_dsn, FLEET_CONNECT_MS, f->wake,
			     &f->db, err, errlen);

	if (r)
		return r;
	sock_keep(f);
	r = listen_all(f, err, errlen);
	if (!r && pgschema_migrate(f->db, err, errlen))
		r = -EIO;
	if (!r)
		r = fleet_host_lists_catch_up(f, err, errlen);
	free(f->containers_sent);
	f->containers_sent = NULL;
	if (!r)
		r = heartbeat(f, err, errlen);
	if (!r)
		r = containers_sync(f, err, errlen);
	if (!r)
		r = fleet_host_commands_run(f, err, errlen);
	if (r)
		disconnect(f);
	return r;
}

/* ---- the loop ---- */

struct clock {
	int64_t heartbeat, commands, lists, prune, retry, down_since;
	int backoff;
	bool down_logged;
	char failing[256]; /* the error of a round logged last ("": none) */
};

static void outage(struct fleet_host *f, struct clock *k, const char *err)
{
	int64_t now = clock_mono_ms();

	disconnect(f);
	fleet_host_note_error(f, err);
	if (!k->down_logged) {
		log_warn("fleet: PostgreSQL (%s) not available: %s; "
			 "enforcing with the last lists (version %" PRId64
			 "), retrying\n", f->dsn_shown, err, f->lists_at);
		k->down_logged = true;
		k->down_since = now;
	}
	k->retry = now + k->backoff * 1000;
	k->backoff = k->backoff * 2 > FLEET_BACKOFF_MAX_S ? FLEET_BACKOFF_MAX_S
							  : k->backoff * 2;
}

static void notifications(struct fleet_host *f)
{
	PGnotify *n;

	while (f->db && (n = PQnotifies(f->db))) {
		if (!strcmp(n->relname, PGSCHEMA_CHAN_LISTS))
			f->want_lists = true;
		else if (!strcmp(n->relname, PGSCHEMA_CHAN_COMMANDS) &&
			 !strcmp(n->extra, f->host_id))
			f->want_commands = true;
		PQfreemem(n);
	}
}

/* The round's first error is the one reported (*r, err); a later step
 * still runs while the connection lives: one part the server refuses
 * (a row it cannot take, say) must not stop the others, the heartbeat
 * least of all (the console would call the host stale). */
static bool step_result(struct fleet_host *f, int s, const char *msg, int *r,
			char *err, size_t errlen)
{
	if (s && !*r) {
		*r = s;
		snprintf(err, errlen, "%s", msg);
	}
	return f->db != NULL;
}

/* One round while connected; returns 0 or the first error (the one that
 * ended the connection, or one the server sent, logged and kept going). */
static int round_connected(struct fleet_host *f, struct clock *k, char *err,
			   size_t errlen)
{
	int64_t now = clock_mono_ms();
	char e[512] = "";
	bool up = true;
	int r = 0, s;

	notifications(f);
	/* The host id first: while another egressd holds it, nothing else
	 * (its commands, shipping over its rows) is this one's to do. */
	if (f->clash || now >= k->heartbeat) {
		k->heartbeat = now + FLEET_HEARTBEAT_S * 1000;
		s = heartbeat(f, e, sizeof(e));
		if (!s)
			s = containers_sync(f, e, sizeof(e));
		up = step_result(f, s, e, &r, err, errlen);
		if (f->clash)
			return r;
	}
	if (up && (f->want_lists || now >= k->lists)) {
		f->want_lists = false;
		k->lists = now + FLEET_LISTS_S * 1000;
		s = fleet_host_lists_catch_up(f, e, sizeof(e));
		f->want_lists = s != 0; /* again next round */
		up = step_result(f, s, e, &r, err, errlen);
	}
	if (up && (f->want_commands || now >= k->commands)) {
		f->want_commands = false;
		k->commands = now + FLEET_COMMANDS_S * 1000;
		s = fleet_host_commands_run(f, e, sizeof(e));
		f->want_commands = s != 0;
		up = step_result(f, s, e, &r, err, errlen);
	}
	if (up) {
		int64_t before = f->shipped;
		s = fleet_host_ship(f, e, sizeof(e));
		if (f->shipped != before) {
			pthread_mutex_lock(&f->lock);
			f->last_ship = (int64_t)time(NULL);
			pthread_mutex_unlock(&f->lock);
		}
		up = step_result(f, s, e, &r, err, errlen);
	}
	if (up && now >= k->prune) {
		k->prune = now + FLEET_PRUNE_S * 1000;
		if (pgschema_prune(f->db, e, sizeof(e)) < 0)
			step_result(f, PQstatus(f->db) == CONNECTION_BAD
					       ? -ECONNRESET : -EIO,
				    e, &r, err, errlen);
	}
	return r;
}

static void came_back(struct fleet_host *f, struct clock *k)
{
	if (k->down_logged)
		log_notice("fleet: PostgreSQL back after %" PRId64 " s\n",
			   (clock_mono_ms() - k->down_since) / 1000);
	else
		log_info("fleet: connected to %s as host %s (lists at version "
			 "%" PRId64 ")\n", f->dsn_shown, f->host_id,
			 f->lists_at);
	fleet_host_note_error(f, "");
	k->failing[0] = 0;
	k->backoff = FLEET_BACKOFF_MIN_S;
	f->shipped_since = 0;
}

/* Logged once the outbox is empty again after an outage. */
static void caught_up(struct fleet_host *f, struct clock *k)
{
	int64_t pending = 1;

	if (!k->down_logged || store_fleet_pending(f->st, &pending) || pending)
		return;
	log_notice("fleet: caught up after the outage: %" PRId64 " outbox "
		   "rows shipped, lists at version %" PRId64 "\n",
		   f->shipped_since, f->lists_at);
	k->down_logged = false;
}

/* A round that failed without losing the connection (the server refused
 * a statement, the store was busy) is logged when its error changes,
 * not every round; a good round clears it. */
static void round_result(struct fleet_host *f, struct clock *k, const char *err)
{
	if (strcmp(err, k->failing)) {
		if (*err)
			log_warn("fleet: %s (retrying)\n", err);
		else
			log_info("fleet: working again after: %s\n", k->failing);
		snprintf(k->failing, sizeof(k->failing), "%s", err);
		fleet_host_note_error(f, err);
	}
	if (!*err)
		caught_up(f, k);
}

static void wait_a_while(struct fleet_host *f, struct clock *k)
{
	int64_t now = clock_mono_ms();
	int ms = FLEET_TICK_MS;
	char err[256];

	if (!f->db) {
		ms = k->retry > now ? (int)(k->retry - now) : 0;
		ms = ms > FLEET_TICK_MS ? FLEET_TICK_MS : ms;
		if (ms) {
			struct pollfd p = { f->wake, POLLIN, 0 };
			poll(&p, 1, ms);
		}
		return;
	}
	/* A NOTIFY read while a statement ran is in libpq's queue already:
	 * the socket has nothing more to say, no waiting for it. */
	notifications(f);
	if (f->want_lists || f->want_commands)
		return;
	if (pgio_wait(&f->db, ms, f->wake, err, sizeof(err)))
		disconnect(f);
}

static void *fleet_host_thread(void *arg)
{
	struct fleet_host *f = arg;
	struct clock k = { .backoff = FLEET_BACKOFF_MIN_S };
	char err[512] = "";

	while (!atomic_load(&f->stopping)) {
		int r;
		if (!f->db && clock_mono_ms() >= k.retry) {
			r = fleet_host_connect(f, err, sizeof(err));
			if (r)
				outage(f, &k, err);
			else
				came_back(f, &k);
		}
		if (f->db) {
			r = round_connected(f, &k, err, sizeof(err));
			if (r == -ECONNRESET || r == -ETIMEDOUT || !f->db)
				outage(f, &k, err);
			else
				round_result(f, &k, r ? err : "");
		}
		if (f->white_sweep_at && clock_mono_ms() >= f->white_sweep_at) {
			f->white_sweep_at = 0;
			fleet_host_white_sweep(f);
		}
		fleet_host_publish(f);
		wait_a_while(f, &k);
	}
	disconnect(f);
	return NULL;
}

int fleet_host_start(struct fleet_host *f, struct ctl *ctl)
{
	struct store_fleet_state s;
	char err[512] = "";
	int r;

	f->ctl = ctl;
	f->started = (int64_t)time(NULL);
	r = store_open(f->cfg->state_dir, &f->st, err, sizeof(err));
	if (!r)
		r = store_fleet_state_get(f->st, &s);
	if (r) {
		log_err("fleet: the store: %s%s\n", err, err[0] ? "" : strerror(-r));
		return r;
	}
	f->created = s.created;
	f->shipped = s.shipped_rev;
	f->lists_at = s.list_version;
	f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->wake < 0)
		return -errno;
	fleet_host_publish(f);
	if (pthread_create(&f->thread, NULL, fleet_host_thread, f))
		return -EAGAIN;
	f->running = true;
	log_info("fleet: host %s, database %s\n", f->host_id, f->dsn_shown);
	return 0;
}

void fleet_host_stop(struct fleet_host *f)
{
	uint64_t one = 1;

	if (f && f->running) {
		atomic_store(&f->stopping, true);
		(void)!write(f->wake, &one, sizeof(one));
		/* A blocking libpq call (the schema's) ends now. */
		pthread_mutex_lock(&f->lock);
		if (f->sock >= 0)
			shutdown(f->sock, SHUT_RDWR);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
		f->running = false;
	}
}

void fleet_host_free(struct fleet_host *f)
{
	if (!f)
		return;
	fleet_host_stop(f);
	if (f->wake >= 0)
		close(f->wake);
	store_close(f->st);
	free(f->containers_sent);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
