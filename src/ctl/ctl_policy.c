// SPDX-License-Identifier: GPL-2.0-or-later
/* The policy thread: rebuilds the lists (files + the store's entries)
 * when asked, and hands each new policy to the packet thread. Asks that
 * come while a build runs are served by one more build, never queued one
 * by one; a reload never waits behind a client. */
#include "ctl.h"
#include "log.h"
#include "ctl_internal.h"
#include "egressd/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policyload.h"

static cJSON *sources_json(const struct policy *p)
{
	cJSON *a = cJSON_CreateArray();
	const struct match_set *sets[2] = { p->black, p->white };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < match_set_nsources(sets[k]); i++) {
			const struct match_source *src = match_set_source(sets[k], i);
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "list", k ? "white" : "black");
			cJSON_AddStringToObject(o, "source", src->name);
			cJSON_AddStringToObject(o, "category", src->category);
			cJSON_AddNumberToObject(o, "entries", (double)src->entries);
			cJSON_AddItemToArray(a, o);
		}
	return a;
}

static void sources_set(struct ctl *c, const struct policy *p)
{
	cJSON *s = sources_json(p);

	pthread_mutex_lock(&c->lock);
	cJSON_Delete(c->sources);
	c->sources = s;
	c->lists_loaded = time(NULL);
	pthread_mutex_unlock(&c->lock);
}

/* One build: the lists, the sources' counts, the accepted connections to
 * re-judge, handed over. */
static int build(struct ctl *c, struct store *st, char *err, size_t errlen)
{
	struct policy_update *u = calloc(1, sizeof(*u));
	int r;

	if (!u)
		return -ENOMEM;
	r = policy_load(c->cfg, st, &u->policy, err, errlen);
	if (r) {
		free(u);
		return r;
	}
	sources_set(c, &u->policy);
	/* The kernel's set of listed networks first: a SYN to a newly
	 * listed one is queued from now on (the old lists may still judge it
	 * for a moment: its first payload then meets the new). */
	r = policy_listed_sync(&u->policy, err, errlen);
	if (r) {
		policy_free(&u->policy);
		free(u);
		return r;
	}
	/* The conntrack dump is the slow part: here, not in the packet
	 * thread. A connection accepted between this dump and the swap is
	 * judged by the old lists only; its next new flow meets the new. */
	r = ct_collect(c->cfg->marks.mask, c->cfg->marks.allow, &u->accepted);
	if (r)
		log_err("conntrack dump failed (%s): accepted "
			"connections are not re-judged\n", strerror(-r));
	if (write(c->policy_out[1], &u, sizeof(u)) != sizeof(u)) {
		policy_free(&u->policy);
		ct_list_free(u->accepted);
		free(u);
		snprintf(err, errlen, "cannot hand the new lists over");
		return -EIO;
	}
	return 0;
}

static void *policy_thread(void *arg)
{
	struct ctl *c = arg;
	struct store *st = NULL;
	char err[512] = "";

	if (store_open(c->cfg->state_dir, &st, err, sizeof(err)))
		log_warn("lists: %s: the store's entries are "
			"left out of rebuilds\n", err);
	pthread_mutex_lock(&c->pol_lock);
	for (;;) {
		uint64_t gen;
		int r;
		while (c->pol_want == c->pol_done && !c->stopping)
			pthread_cond_wait(&c->pol_cond, &c->pol_lock);
		if (c->stopping)
			break;
		gen = c->pol_want;
		pthread_mutex_unlock(&c->pol_lock);
		err[0] = 0;
		r = build(c, st, err, sizeof(err));
		if (r)
			log_err("reload refused, old lists "
				"kept: %s\n", err);
		pthread_mutex_lock(&c->pol_lock);
		c->pol_done = gen;
		c->pol_result = r;
		snprintf(c->pol_err, sizeof(c->pol_err), "%s", err);
		pthread_cond_broadcast(&c->pol_cond);
	}
	pthread_mutex_unlock(&c->pol_lock);
	store_close(st);
	return NULL;
}

int ctl_policy_start(struct ctl *c, const struct policy *initial)
{
	pthread_mutex_init(&c->pol_lock, NULL);
	pthread_cond_init(&c->pol_cond, NULL);
	if (initial)
		sources_set(c, initial);
	if (pthread_create(&c->pol_thread, NULL, policy_thread, c))
		return -EAGAIN;
	c->pol_started = true;
	return 0;
}

void ctl_policy_stop(struct ctl *c)
{
	struct policy_update *u;

	if (c->pol_started) {
		pthread_mutex_lock(&c->pol_lock);
		c->stopping = true;
		pthread_cond_broadcast(&c->pol_cond);
		pthread_mutex_unlock(&c->pol_lock);
		pthread_join(c->pol_thread, NULL);
		c->pol_started = false;
	}
	/* Updates sent but never taken. */
	while (c->policy_out[0] >= 0 &&
	       read(c->policy_out[0], &u, sizeof(u)) == sizeof(u)) {
		policy_free(&u->policy);
		ct_list_free(u->accepted);
		free(u);
	}
	for (int i = 0; i < 2; i++)
		if (c->policy_out[i] >= 0)
			close(c->policy_out[i]);
	c->policy_out[0] = c->policy_out[1] = -1;
}

void ctl_request_reload(struct ctl *c)
{
	pthread_mutex_lock(&c->pol_lock);
	c->pol_want++;
	pthread_cond_broadcast(&c->pol_cond);
	pthread_mutex_unlock(&c->pol_lock);
}

int ctl_policy_apply(struct ctl *c, unsigned ms, char *err, size_t errlen)
{
	struct timespec ts;
	uint64_t gen;
	int r = 0;

	clock_deadline(&ts, ms);
	pthread_mutex_lock(&c->pol_lock);
	gen = ++c->pol_want;
	pthread_cond_broadcast(&c->pol_cond);
	while (c->pol_done < gen && r == 0 && !c->stopping)
		r = pthread_cond_timedwait(&c->pol_cond, &c->pol_lock, &ts);
	if (c->pol_done < gen) {
		snprintf(err, errlen, "the lists are still being rebuilt");
		r = -ETIMEDOUT;
	} else {
		r = c->pol_result;
		snprintf(err, errlen, "%s", c->pol_err);
	}
	pthread_mutex_unlock(&c->pol_lock);
	return r;
}

int ctl_lists_apply(struct ctl *c, unsigned ms, char *err, size_t errlen)
{
	return ctl_policy_apply(c, ms, err, errlen);
}

int ctl_policy_fd(const struct ctl *c)
{
	return c->policy_out[0];
}
