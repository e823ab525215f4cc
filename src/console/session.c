// SPDX-License-Identifier: GPL-2.0-or-later
#include "session.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ctcmp.h"

/* A failed-login counter: of a name ("u:alice") or an address
 * ("a:192.0.2.1"). */
struct fails {
	char key[64];
	unsigned n;
	int64_t first; /* of the window */
};

struct sessions {
	pthread_mutex_t lock;
	unsigned idle_s, max_s;
	struct session s[SESSIONS_MAX];
	struct fails f[LOGIN_TRACKED_MAX];
};

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

struct sessions *sessions_new(unsigned idle_s, unsigned max_s)
{
	struct sessions *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	pthread_mutex_init(&ss->lock, NULL);
	ss->idle_s = idle_s;
	ss->max_s = max_s;
	return ss;
}

void sessions_free(struct sessions *ss)
{
	if (!ss)
		return;
	pthread_mutex_destroy(&ss->lock);
	explicit_bzero(ss, sizeof(*ss));
	free(ss);
}

static int random_hex(char out[SESSION_TOKEN_LEN + 1])
{
	unsigned char b[SESSION_TOKEN_LEN / 2];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	explicit_bzero(b, sizeof(b));
	return 0;
}

static bool expired(const struct sessions *ss, const struct session *s,
		    int64_t now)
{
	return !s->token[0] || now - s->used > ss->idle_s ||
	       now - s->created > ss->max_s;
}

/* A free slot, an expired one, or the least recently used. */
static struct session *slot_for_new(struct sessions *ss, int64_t now)
{
	struct session *old = &ss->s[0];

	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		if (expired(ss, &ss->s[i], now))
			return &ss->s[i];
		if (ss->s[i].used < old->used)
			old = &ss->s[i];
	}
	return old;
}

int sessions_create(struct sessions *ss, const char *user, const char *hash,
		    struct session *ret)
{
	struct session n = { 0 };
	int64_t now = mono_s();

	if (random_hex(n.token) || random_hex(n.csrf))
		return -EIO;
	snprintf(n.user, sizeof(n.user), "%s", user);
	snprintf(n.hash, sizeof(n.hash), "%s", hash);
	n.created = n.used = now;
	pthread_mutex_lock(&ss->lock);
	*slot_for_new(ss, now) = n;
	pthread_mutex_unlock(&ss->lock);
	*ret = n;
	explicit_bzero(&n, sizeof(n));
	return 0;
}

/* Every slot is compared, whatever matches, so that the time taken does
 * not tell how much of a guessed token was right. */
static struct session *find(struct sessions *ss, const char *token)
{
	struct session *hit = NULL;

	if (strlen(token) != SESSION_TOKEN_LEN)
		return NULL;
	for (size_t i = 0; i < SESSIONS_MAX; i++)
		if (str_equal_ct(ss->s[i].token, token))
			hit = &ss->s[i];
	return hit;
}

bool sessions_get(struct sessions *ss, const char *token, struct session *ret)
{
	int64_t now = mono_s();
	struct session *s;
	bool ok = false;

	pthread_mutex_lock(&ss->lock);
	s = find(ss, token);
	if (s && !expired(ss, s, now)) {
		s->used = now;
		*ret = *s;
		ok = true;
	} else if (s) {
		memset(s, 0, sizeof(*s));
	}
	pthread_mutex_unlock(&ss->lock);
	return ok;
}

void sessions_end(struct sessions *ss, const char *token)
{
	struct session *s;

	pthread_mutex_lock(&ss->lock);
	s = find(ss, token);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&ss->lock);
}

void sessions_prune_users(struct sessions *ss, const struct users *us)
{
	pthread_mutex_lock(&ss->lock);
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &ss->s[i];
		const struct user *u;
		if (!s->token[0])
			continue;
		u = users_find(us, s->user);
		if (!u || strcmp(u->hash, s->hash))
			memset(s, 0, sizeof(*s));
	}
	pthread_mutex_unlock(&ss->lock);
}

int64_t sessions_expiry(const struct sessions *ss, const struct session *s)
{
	int64_t idle = s->used + ss->idle_s, max = s->created + ss->max_s;

	return (int64_t)time(NULL) + ((idle < max ? idle : max) - mono_s());
}

/* ---- login rate limit ---- */

static void addr_key(const struct sockaddr *a, char *out, size_t len)
{
	const unsigned char *b;

	if (a && a->sa_family == AF_INET) {
		b = (const unsigned char *)&((const struct sockaddr_in *)a)
			    ->sin_addr;
		snprintf(out, len, "a:%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	} else if (a && a->sa_family == AF_INET6) {
		/* per /64: one host has a whole prefix to rotate through */
		b = (const unsigned char *)&((const struct sockaddr_in6 *)a)
			    ->sin6_addr;
		snprintf(out, len, "a:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
	} else {
		snprintf(out, len, "a:?");
	}
}

static unsigned fails_max(const struct fails *f)
{
	return f->key[0] == 'u' ? LOGIN_FAILS_PER_NAME : LOGIN_FAILS_PER_ADDR;
}

/* Which of two counters to give up for a new key: a free one, else one
 * that locks nothing yet, else the oldest. A locking counter goes last:
 * a guesser who could push it out with junk names from other addresses
 * would unlock the name it guesses. */
static bool spare_better(const struct fails *f, const struct fails *spare)
{
	bool f_locks = f->n >= fails_max(f);
	bool s_locks = spare->n >= fails_max(spare);

	if (!spare->key[0])
		return false;
	if (!f->key[0])
		return true;
	if (f_locks != s_locks)
		return s_locks;
	return f->first < spare->first;
}

/* The counter of key, or a free, stale or spare one for it. */
static struct fails *fails_of(struct sessions *ss, const char *key, bool add,
			      int64_t now)
{
	struct fails *spare = NULL;

	for (size_t i = 0; i < LOGIN_TRACKED_MAX; i++) {
		struct fails *f = &ss->f[i];
		if (f->key[0] && now - f->first >= LOGIN_WINDOW_S)
			memset(f, 0, sizeof(*f));
		if (f->key[0] && !strcmp(f->key, key))
			return f;
		if (!spare || spare_better(f, spare))
			spare = f;
	}
	if (!add)
		return NULL;
	memset(spare, 0, sizeof(*spare));
	snprintf(spare->key, sizeof(spare->key), "%s", key);
	spare->first = now;
	return spare;
}

static unsigned wait_of(struct fails *f, unsigned max, int64_t now)
{
	if (!f || f->n < max)
		return 0;
	return (unsigned)(f->first + LOGIN_WINDOW_S - now) + 1;
}

/* The counter keys of a login: the name's and the address's. */
struct login_keys {
	char user[64], addr[64];
};

static void login_keys(const char *name, const struct sockaddr *addr,
		       struct login_keys *k)
{
	snprintf(k->user, sizeof(k->user), "u:%s", name);
	addr_key(addr, k->addr, sizeof(k->addr));
}

/* The wait of a login (0: it may be tried); with count, a try that may
 * is counted under the same lock as the check, so that tries in flight
 * at once (a connection each) cannot all pass it. */
static unsigned login_check(struct sessions *ss, const char *name,
			    const struct sockaddr *addr, bool count)
{
	struct login_keys k;
	int64_t now = mono_s();
	unsigned a, b;

	login_keys(name, addr, &k);
	pthread_mutex_lock(&ss->lock);
	a = wait_of(fails_of(ss, k.user, false, now), LOGIN_FAILS_PER_NAME, now);
	b = wait_of(fails_of(ss, k.addr, false, now), LOGIN_FAILS_PER_ADDR, now);
	if (count && !a && !b) {
		fails_of(ss, k.user, true, now)->n++;
		fails_of(ss, k.addr, true, now)->n++;
	}
	pthread_mutex_unlock(&ss->lock);
	return a > b ? a : b;
}

unsigned sessions_login_wait(struct sessions *ss, const char *name,
			     const struct sockaddr *addr)
{
	return login_check(ss, name, addr, false);
}

unsigned sessions_login_begin(struct sessions *ss, const char *name,
			      const struct sockaddr *addr)
{
	return login_check(ss, name, addr, true);
}

void sessions_login_ok(struct sessions *ss, const char *name,
		       const struct sockaddr *addr)
{
	struct login_keys k;
	int64_t now = mono_s();
	struct fails *f;

	login_keys(name, addr, &k);
	pthread_mutex_lock(&ss->lock);
	f = fails_of(ss, k.user, false, now);
	if (f)
		memset(f, 0, sizeof(*f));
	f = fails_of(ss, k.addr, false, now);
	if (f && f->n)
		f->n--;
	pthread_mutex_unlock(&ss->lock);
}
