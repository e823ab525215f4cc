/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control plane's state, shared by its files. Internal.
 *
 * Files call one way: ctl.c (the io thread, the workers, the verb table)
 * -> ctl_*.c (the commands, the inventory and policy threads) -> the
 * leaves ctl_reply.c (request arguments, common replies) and ctl_json.c
 * (the store's rows as reply JSON); among the commands ctl_events.c
 * calls ctl_inventory.c and ctl_lists.c, ctl_lists.c calls ctl_policy.c,
 * and none calls back. Typed data crosses between them; JSON is built
 * last, for the reply.
 *
 * Threads:
 *   io         accepts clients, reads requests and writes replies, all
 *              non-blocking with deadlines (ctl.c);
 *   workers    run commands, CTL_WORKERS at once, each with its own store
 *              connection (ctl.c dispatches, ctl_*.c implement); one of
 *              them serves cheap verbs only, so that those answer at once
 *              whatever heavy ones run; one import at a time;
 *   inventory  rescans the containers every second, at once on a Docker
 *              event or when asked, and keeps isolation in line
 *              (ctl_inventory.c);
 *   policy     rebuilds the lists when asked (SIGHUP, a list change) and
 *              hands them to the packet thread (ctl_policy.c).
 * c->lock guards inv, iso and sources; nothing slow runs under it but the
 * nft calls of isolation. */
#pragma once
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "egressd/docker.h"
#include "egressd/inventory.h"
#include "egressd/isolation.h"
#include "egressd/limits.h"
#include "egressd/store.h"
#include "egressd/watch.h"
#include "status.h"

struct ctl_client;
struct ctl_job;

/* Jobs waiting for a worker, in order. */
struct ctl_jobq {
	struct ctl_job *head, **tail;
};

struct ctl_worker {
	struct ctl *c;
	bool reserved; /* serves cheap verbs only (ctl.c's verb table) */
};

struct ctl {
	const struct config *cfg;
	pthread_mutex_t lock;
	struct inventory *inv; /* the latest scan */
	struct isolation *iso;
	struct hostnet *hostnet; /* under lock; NULL: none */
	cJSON *sources; /* the lists' sources and their entry counts */
	/* the interfaces watched now (inventory thread; read under lock) */
	struct watch_set watch, watch_next;
	bool watch_known; /* a scan filled watch */
	/* status: the packet thread's counters (status.h) and facts */
	const struct status_board *board;
	const struct status_cats *cats;
	const char *queue_kind;
	int64_t started; /* wall clock */
	time_t lists_loaded; /* when the policy was last built */
	/* the fleet's status section (ctl_set_fleet); NULL: one host */
	cJSON *(*fleet_status)(void *arg);
	void *fleet_arg;
	gid_t group; /* members may talk to us; (gid_t)-1 if none */
	int lfd; /* the listening socket */
	_Atomic bool stopping;

	/* io thread */
	pthread_t io;
	bool io_started;
	int io_epoll;
	int io_wake; /* eventfd: a reply is ready, or stop */
	struct ctl_client *clients; /* CTL_CLIENTS_MAX slots */
	struct ctl_job *done; /* replies for the io thread (under jobs_lock) */

	/* workers: the first is reserved for cheap verbs */
	pthread_t workers[CTL_WORKERS];
	struct ctl_worker worker_args[CTL_WORKERS];
	size_t nworkers;
	pthread_mutex_t jobs_lock;
	pthread_cond_t jobs_cond;
	struct ctl_jobq todo, todo_cheap; /* heavy and cheap verbs */
	_Atomic bool importing; /* an import runs: one at a time */

	/* inventory thread */
	pthread_t inv_thread;
	int inv_wake; /* eventfd: rescan now, or stop */
	pthread_mutex_t inv_gen_lock;
	pthread_cond_t inv_gen_cond;
	uint64_t inv_gen; /* scans completed */
	bool inv_scanning; /* a scan runs now */
	struct docker *docker; /* NULL: Docker not followed */
	bool docker_up; /* the event stream is open and well */
	time_t docker_retry; /* when to try the event stream again */

	/* policy thread */
	pthread_t pol_thread;
	bool pol_started;
	pthread_mutex_t pol_lock;
	pthread_cond_t pol_cond;
	uint64_t pol_want, pol_done; /* builds asked for, and finished */
	int pol_result; /* of the last build: 0 or a negative errno */
	char pol_err[512];
	int policy_out[2]; /* new policies, as pointers, to the main loop */
};

/* One request being served: what a command sees. */
struct ctl_req {
	struct ctl *c;
	const cJSON *req;
	uid_t uid;
	/* the console user a request of egressd-console acts for ("" if
	 * none): the audit names it beside the uid */
	const char *actor;
	int fd; /* a descriptor the client passed (lists import), or -1 */
	struct store *store; /* the worker's own connection, or NULL */
};

/* The commands (ctl.c's verb table). Each returns its reply. */
cJSON *cmd_containers(struct ctl_req *r);
cJSON *cmd_status(struct ctl_req *r);
cJSON *cmd_isolate(struct ctl_req *r);
cJSON *cmd_unisolate(struct ctl_req *r);
cJSON *cmd_events_overview(struct ctl_req *r);
cJSON *cmd_events_list(struct ctl_req *r);
cJSON *cmd_events_show(struct ctl_req *r);
cJSON *cmd_events_handle(struct ctl_req *r);
cJSON *cmd_events_whitelist(struct ctl_req *r);
cJSON *cmd_list_add(struct ctl_req *r);
cJSON *cmd_list_get(struct ctl_req *r);
cJSON *cmd_list_remove(struct ctl_req *r);
cJSON *cmd_lists(struct ctl_req *r);
cJSON *cmd_lists_import(struct ctl_req *r);
cJSON *cmd_audit(struct ctl_req *r);
cJSON *cmd_image(struct ctl_req *r);

/* ctl_inventory.c */
int ctl_inventory_start(struct ctl *c);
void ctl_inventory_stop(struct ctl *c);
/* Asks for a rescan now and waits (at most ms) until one that started
 * after the call has finished. Returns true if it did. */
bool ctl_inventory_fresh(struct ctl *c, unsigned ms);
/* What an isolation or a restore did. */
struct ctl_isolated {
	struct iso_entry entry; /* the container's isolation now */
	bool saved; /* in isolation.json (else the kernel alone holds it) */
};
/* Isolates (or restores) a container by key (name or id prefix); logs
 * and audits. Returns 0 with ret filled, or a negative errno with err
 * filled (a sentence for the operator): -ENOENT no such container (or,
 * restoring, not isolated), -ENOTUNIQ the key matches several, -EAGAIN it
 * is not on its listed port now, or isolation's own error. */
int ctl_isolate_key(struct ctl_req *r, const char *key, const char *note,
		    bool isolate, struct ctl_isolated *ret, char *err,
		    size_t errlen);

/* ctl_policy.c */
int ctl_policy_start(struct ctl *c, const struct policy *initial);
void ctl_policy_stop(struct ctl *c);
/* Asks for a rebuild and waits (at most ms) until one that covers the
 * caller's change is in force. Returns 0, -ETIMEDOUT (still building), or
 * the build's error with err filled. */
int ctl_policy_apply(struct ctl *c, unsigned ms, char *err, size_t errlen);
