/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /metrics for Prometheus (text exposition format 0.0.4), served by
 * libmicrohttpd on metrics_listen. Rendered from ctl_status(): the same
 * figures `egressctl status` shows, with no address, port or domain
 * label (their number is unbounded). */
#pragma once
#include <stddef.h>

#include <cjson/cJSON.h>

struct ctl;
struct metrics;

/* Binds and listens on "ADDR:PORT" while egressd may still create
 * sockets (seccomp allows no AF_INET socket later). Returns the fd or a
 * negative errno with err filled. */
int metrics_listen(const char *spec, char *err, size_t errlen);
/* Serves /metrics on fd (taken over) from ctl's status. */
struct metrics *metrics_start(int fd, struct ctl *ctl, char *err,
			      size_t errlen);
/* Stops serving; before ctl_stop. NULL is fine. */
void metrics_stop(struct metrics *m);
/* The exposition text of a status object (ctl_status's). Heap, NUL-
 * terminated; NULL if out of memory. Pure: for the tests. */
char *metrics_render(const cJSON *status, size_t *len);
