// SPDX-License-Identifier: GPL-2.0-or-later
/* docker_probe: the Docker client (src/containers/docker.c) against a real dockerd,
 * for tests/e2e/dockerbed.sh check.
 *
 *   docker_probe list SOCK            one line per container
 *   docker_probe events SOCK SECONDS  one line per event, as they come
 *
 * Event lines carry recv_ms (CLOCK_REALTIME, as `date +%s%3N`) and lat_ms,
 * the time from dockerd's timeNano stamp to our read. A stream that ends is
 * reopened, as egressd would. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "egressd/docker.h"

#define LIST_MAX 256

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int probe_list(struct docker *d)
{
	struct docker_container *c = calloc(LIST_MAX, sizeof(*c));
	char err[512];
	size_t n = 0;
	int r;

	if (!c)
		return 1;
	r = docker_list(d, c, LIST_MAX, &n, err, sizeof(err));
	if (r && r != -ENOBUFS) {
		fprintf(stderr, "docker_list: %s\n", err);
		free(c);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("container %s name=%s image=%s image_id=%s running=%d "
		       "pid=%d\n",
		       c[i].id, c[i].name, c[i].image, c[i].image_id,
		       c[i].running, c[i].pid);
	free(c);
	return 0;
}

static void print_event(const struct docker_event *e)
{
	int64_t now = now_ns(CLOCK_REALTIME);

	printf("event %s %s name=%s exit=%d recv_ms=%lld lat_ms=%lld\n",
	       e->action, e->id, e->name, e->exit_code,
	       (long long)(now / 1000000),
	       e->time_ns ? (long long)((now - e->time_ns) / 1000000) : -1LL);
}

/* Prints events until the deadline; -1 if the stream cannot be opened. */
static int probe_events(struct docker *d, int seconds)
{
	int64_t end = now_ns(CLOCK_MONOTONIC) + (int64_t)seconds * 1000000000;
	struct docker_event ev[16];
	char err[512];
	size_t n;
	int r;

	if (docker_events_open(d, err, sizeof(err))) {
		fprintf(stderr, "docker_events_open: %s\n", err);
		return 1;
	}
	printf("stream open\n");
	while (now_ns(CLOCK_MONOTONIC) < end) {
		struct pollfd p = { .fd = docker_events_fd(d),
				    .events = POLLIN };
		if (poll(&p, 1, 200) < 0 && errno != EINTR)
			return 1;
		do {
			r = docker_events_read(d, ev, 16, &n);
			for (size_t i = 0; !r && i < n; i++)
				print_event(&ev[i]);
		} while (!r && n == 16);
		if (r) {
			printf("stream ended: %s; reopening\n", strerror(-r));
			if (docker_events_open(d, err, sizeof(err))) {
				fprintf(stderr, "docker_events_open: %s\n",
					err);
				return 1;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct docker *d;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3 ||
	    (strcmp(argv[1], "list") && strcmp(argv[1], "events"))) {
		fprintf(stderr, "usage: %s list SOCK | events SOCK SECONDS\n",
			argv[0]);
		return 2;
	}
	if (docker_global_init()) {
		fprintf(stderr, "cannot initialise libcurl\n");
		return 1;
	}
	d = docker_open(argv[2]);
	if (!d) {
		fprintf(stderr, "docker_open %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	if (!strcmp(argv[1], "list"))
		r = probe_list(d);
	else
		r = probe_events(d, argc > 3 ? atoi(argv[3]) : 10);
	docker_close(d);
	docker_global_cleanup();
	return r;
}
