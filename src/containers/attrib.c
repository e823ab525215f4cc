// SPDX-License-Identifier: GPL-2.0-or-later
#include "attrib.h"

#include "egressd/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Shared by the waiting writer and the lookup thread; the last of the two
 * to let go frees it. */
struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done, abandoned;
	char netns[128];
	struct event_flow flow;
	const struct redact_rules *rules; /* the config's: lives as long */
	struct proc_attr res;
	int r;
};

/* Lookup threads that outlived their wait and have not ended yet. */
static atomic_uint stuck;

static void job_put(struct job *j)
{
	bool last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j);
}

static void *lookup_thread(void *arg)
{
	struct job *j = arg;
	const struct event_flow *f = &j->flow;
	struct proc_attr res;
	int r = procinfo_attribute(j->netns, f->proto, &f->src, f->sport,
				   &f->dst, f->dport, j->rules, &res);

	pthread_mutex_lock(&j->lock);
	j->res = res;
	j->r = r;
	j->done = true;
	if (j->abandoned) /* the writer gave up on us: no longer stuck */
		atomic_fetch_sub(&stuck, 1);
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	return NULL;
}

static int unknown(struct proc_attr *ret, int r, const char *why)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->reason, sizeof(ret->reason), "%s", why);
	return r;
}

int attrib_lookup(const char *netns_path, const struct event_flow *flow,
		  const struct redact_rules *rules, unsigned ms,
		  struct proc_attr *ret)
{
	struct job *j;
	pthread_attr_t at;
	pthread_t t;
	struct timespec ts;
	int r = 0;

	if (atomic_load(&stuck) >= ATTRIB_STUCK_MAX)
		return unknown(ret, -EBUSY, "attribution paused: earlier lookups "
				       "in containers never ended");
	j = calloc(1, sizeof(*j));
	if (!j)
		return unknown(ret, -ENOMEM, "out of memory");
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->refs = 2;
	snprintf(j->netns, sizeof(j->netns), "%s", netns_path);
	j->flow = *flow;
	j->rules = rules;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &at, lookup_thread, j)) {
		pthread_attr_destroy(&at);
		j->refs = 1;
		job_put(j);
		return unknown(ret, -EAGAIN, "cannot start a lookup thread");
	}
	pthread_attr_destroy(&at);
	clock_deadline(&ts, ms);
	pthread_mutex_lock(&j->lock);
	while (!j->done && r == 0)
		r = pthread_cond_timedwait(&j->cond, &j->lock, &ts);
	if (j->done) {
		*ret = j->res;
		r = j->r;
	} else {
		j->abandoned = true;
		atomic_fetch_add(&stuck, 1);
		r = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&j->lock);
	job_put(j);
	if (r == -ETIMEDOUT)
		unknown(ret, r, "the lookup in the container took too long");
	return r;
}
