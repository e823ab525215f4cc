/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control thread's state, shared by its command files. Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "egressd/docker.h"
#include "egressd/inventory.h"
#include "egressd/isolation.h"
#include "egressd/store.h"

struct ctl {
	const struct config *cfg;
	struct docker *docker; /* NULL: Docker not followed */
	bool docker_up; /* the event stream is open and well */
	time_t docker_retry; /* when to try the event stream again */
	struct isolation *iso;
	struct inventory *inv;
	struct store *store; /* this thread's connection */
	int lfd, stop[2];
	int passed_fd; /* a file the client handed over, or -1 */
	int wake[2]; /* "reload the lists": from the main loop */
	int policy_out[2]; /* new policies, as pointers, to the main loop */
	time_t lists_loaded; /* when the policy was last built */
	cJSON *sources; /* its sources and their entry counts */
	gid_t group; /* members may talk to us; (gid_t)-1 if none */
	pthread_t thread;
};

cJSON *reply_error(const char *fmt, const char *arg);
cJSON *reply_ok(void);
const char *str_arg(const cJSON *req, const char *key);

/* Events, handling, lists and audit commands. Returns NULL for a command
 * it does not know. */
cJSON *ctl_store_dispatch(struct ctl *c, const char *cmd, const cJSON *req,
			  uid_t uid);
/* Builds the policy (files + the store's entries) and hands it to the
 * main loop. Returns 0 or a negative errno with err filled. */
int ctl_policy_rebuild(struct ctl *c, char *err, size_t errlen);
/* Isolates a container by key (name or id prefix); used by
 * `events isolate`. */
cJSON *ctl_isolate_key(struct ctl *c, const char *key, const char *note,
		       uid_t uid);
