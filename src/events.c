// SPDX-License-Identifier: GPL-2.0-or-later
#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Lines waiting for the writer; past this, events are counted as dropped
 * rather than let the packet path wait. */
#define EVENTS_QUEUE_MAX 4096

struct events {
	FILE *f;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *q[EVENTS_QUEUE_MAX];
	size_t head, n;
	bool stop;
	unsigned long dropped;
};

static void *writer(void *arg)
{
	struct events *e = arg;
	char *line;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->n && !e->stop)
			pthread_cond_wait(&e->cond, &e->lock);
		if (!e->n && e->stop)
			break;
		line = e->q[e->head];
		e->head = (e->head + 1) % EVENTS_QUEUE_MAX;
		e->n--;
		pthread_mutex_unlock(&e->lock);
		fputs(line, e->f);
		fputc('\n', e->f);
		fflush(e->f);
		free(line);
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct events *events_open(const char *dir, char *err, size_t errlen)
{
	struct events *e = calloc(1, sizeof(*e));
	char path[512];

	if (!e)
		return NULL;
	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	e->f = fopen(path, "ae");
	if (!e->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(e);
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	if (pthread_create(&e->thread, NULL, writer, e)) {
		snprintf(err, errlen, "cannot start the event writer");
		fclose(e->f);
		free(e);
		return NULL;
	}
	return e;
}

int events_push(struct events *e, const char *line)
{
	char *copy = strdup(line);
	int r = 0;

	pthread_mutex_lock(&e->lock);
	if (!copy || e->n == EVENTS_QUEUE_MAX) {
		e->dropped++;
		r = -ENOBUFS;
		free(copy);
	} else {
		e->q[(e->head + e->n) % EVENTS_QUEUE_MAX] = copy;
		e->n++;
		pthread_cond_signal(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

void events_close(struct events *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	fclose(e->f);
	free(e);
}

unsigned long events_dropped(const struct events *e)
{
	return e->dropped;
}
