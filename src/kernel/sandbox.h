/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Least privilege after setup: egressd keeps uid 0 (its files are root's)
 * but only the capabilities it uses, and a seccomp allow-list of the
 * syscalls its threads make, while it parses untrusted DNS, TLS, HTTP and
 * the runtimes' JSON. Order in the daemon: everything that needs more
 * (ruleset, queue binding, the control socket's bind and chown, the store,
 * events.jsonl) first, then sandbox_drop_caps(), then sandbox_seccomp(),
 * then the threads start. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sandbox_profile {
	SANDBOX_DAEMON, /* egressd run: every thread */
	/* A watchdog child process: netlink to nftables, sleep, the clock,
	 * read/write on the fd or page it shares with the daemon, exit. Fork
	 * it before the daemon's filter is loaded: that filter refuses to
	 * fork. */
	SANDBOX_WATCHDOG,
};

/* Keeps exactly the profile's capabilities (effective and permitted),
 * clears the inheritable and ambient sets, drops every other capability
 * from the bounding set and locks the securebits (no root fixups on exec
 * or uid change, no keep-caps, no ambient raise), then reads it all back.
 *
 * Capabilities, the bounding set and securebits belong to a thread, not to
 * the process: call this in the main thread BEFORE any other thread is
 * started. A thread started earlier would keep full root; threads started
 * later inherit the reduced set. Returns 0, -EBUSY when the process has
 * more than one thread already, -EPERM when the result read back is not
 * what was asked, or another negative errno. */
int sandbox_drop_caps(enum sandbox_profile p);

/* Sets no_new_privs, then loads the profile's allow-list on every thread
 * of the process (SECCOMP_FILTER_FLAG_TSYNC). A syscall not on the list
 * fails with EPERM, except the few glibc probes and falls back from
 * (clone3 ...), which fail with ENOSYS. Irreversible. Returns the number
 * of syscalls allowed (some with argument checks), or a negative errno. */
int sandbox_seccomp(enum sandbox_profile p);

/* The daemon's filter lets it signal this process (its watchdog child)
 * and no other. Before sandbox_seccomp. */
void sandbox_allow_kill(pid_t pid);

/* Fleet mode (fleet_dsn): the daemon's filter also lets it open IPv4
 * and IPv6 stream sockets (libpq's link to PostgreSQL) and datagram
 * sockets (resolving the database's name). Never raw or packet sockets,
 * never without fleet_dsn. Before sandbox_seccomp. */
void sandbox_allow_inet(bool allow);

/* The profile's capabilities as a bit mask (bit N: capability N), as
 * /proc/PID/status prints CapEff, CapPrm and CapBnd. */
uint64_t sandbox_caps_mask(enum sandbox_profile p);

/* "CAP_NET_ADMIN,CAP_SYS_ADMIN" into buf (truncated to len). */
void sandbox_caps_text(enum sandbox_profile p, char *buf, size_t len);
