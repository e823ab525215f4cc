/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The watchdog: a small child process that watches the packet thread's
 * heartbeat and, when it stops (egressd stopped, or stuck, while still
 * bound to its queues, where the queue's own bypass never acts), puts the
 * ruleset's guard in front of the queue rule: container traffic passes
 * (fail-open) or is dropped (fail-closed) instead of waiting in the queue.
 * When the beats come back, the guard goes. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

/* How often the child reads the heartbeat, and the longest the packet
 * loop may sleep in poll: an idle loop beats 4 times a second, well
 * within the smallest timeout (1 s), and the guard comes at most this
 * much after the timeout. */
#define WATCHDOG_TICK_MS 250
/* A child whose own tick is older than this on two checks of the parent
 * in a row is hung (stopped, stuck in a netlink call): it is killed and
 * started again. Two checks, so that a freeze of the whole service (both
 * processes) does not count. */
#define WATCHDOG_CHILD_STALE_MS 2000
/* Children started again over egressd's life (sandbox = no only): one
 * that keeps dying is given up, loudly. */
#define WATCHDOG_RESTARTS_MAX 3
/* Largest watchdog_timeout (seconds): beyond an hour nobody waits. */
#define WATCHDOG_TIMEOUT_MAX_S 3600

struct watchdog;

/* Forks the watchdog child. Call before any thread starts and before
 * privileges are dropped: the child keeps what the process has now
 * (CAP_NET_ADMIN, for nft) and nothing it gets later. The child arms at
 * the first beat. timeout_ms 0: off, *ret is NULL. fail_closed: the guard
 * drops instead of passing. sandbox: the child keeps CAP_NET_ADMIN only
 * and loads the watchdog's syscall filter. Returns 0, or a negative errno. */
int watchdog_start(unsigned timeout_ms, bool fail_closed, bool sandbox,
		   struct watchdog **ret);
/* The child's pid, 0 if none. */
pid_t watchdog_pid(const struct watchdog *wd);
/* The packet thread, once per loop iteration and once per packet: alive
 * now. A coarse clock read and a store. NULL is a no-op. */
void watchdog_beat(struct watchdog *wd);
/* The main loop, every few seconds: a dead or hung child is said loudly,
 * its guard removed, and, without the sandbox only (the sandboxed daemon
 * may not fork), the child started again (a few times). NULL is a no-op. */
void watchdog_check(struct watchdog *wd);
/* On shutdown: stops and reaps the child, which removes its guard (or the
 * caller does, if it had to be killed), and frees wd. NULL is a no-op. */
void watchdog_stop(struct watchdog *wd);
