/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events leave the packet path here, as typed structs in a fair queue: each
 * container (bridge port, or address) has its own lane, repeats of an event
 * still waiting are counted into it instead of queued again, and the
 * writer thread takes the lanes in turn, so that one container's flood
 * neither crowds out another's events nor becomes thousands of rows. The
 * writer adds what the packet thread must not wait for (the container from
 * the inventory, the host's facts, the process behind the connection, each
 * bounded in time), records the event in the store, appends it to
 * STATE_DIR/events.jsonl and keeps the state dir within its budget. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/event.h"
#include "egressd/redact.h"

struct events;

struct events_options {
	const char *const *bridges; /* the container bridges, for the host's
				       inner addresses */
	size_t nbridges;
	unsigned retention_days; /* events last seen before are deleted */
	uint64_t max_state_bytes; /* the state dir's budget */
	bool syslog; /* every line also to syslog (LOG_DAEMON) */
	/* Asked to rescan the containers when an event comes from a source
	 * the inventory does not know (never waited for). */
	void (*rescan)(void *ctx);
	void *rescan_ctx;
	/* Secrets in command lines are masked with these (redact.h). */
	const struct redact_rules *redact;
	/* host_processes = watch: a host socket's event whose process is in
	 * no container is written too (else it is not). */
	bool host_watch;
	/* A held verdict may go: its event's process was looked up (or
	 * will not be). Called from the writer; must not block. */
	void (*release)(void *ctx, uint32_t token);
	/* ORed into a token released for an event whose container is not
	 * known yet: a block then goes as a silent drop (datapath.c). */
#define EVENTS_TOKEN_SILENT 0x80000000u
	void *release_ctx;
};
/* Opens the store and STATE_DIR/events.jsonl for appending; the writer
 * starts with events_start (after the daemon dropped its privileges: it
 * inherits that). The exported line says which stored event it joined
 * (event_id). */
struct events *events_open(const char *state_dir,
			   const struct events_options *opt, char *err,
			   size_t errlen);
/* Starts the writer thread. Returns 0 or a negative errno. */
int events_start(struct events *e);
/* Queues (a copy of) the event; never blocks, never allocates. token
 * names a verdict held for it (0: none): the writer gives it back through
 * `release` once the process is looked up. Returns 0 (queued, the token
 * with it), 1 when it was counted into the same event still waiting, or
 * -ENOBUFS when its container's lane (or the queue) is full: dropped,
 * counted. Unless 0, the token is the caller's to release. */
int events_push(struct events *e, const struct event *ev, uint32_t token);
/* Writes what is queued, stops the writer, closes the file. */
void events_close(struct events *e);

struct events_stats {
	unsigned long queued, coalesced, dropped, written;
	unsigned long store_errors, export_errors, unattributed_timeouts;
	unsigned long host_ignored; /* host processes' (host_processes = ignore) */
};
/* events.jsonl is opened again before the next line (SIGHUP, after
 * logrotate). Any thread; never waits. */
void events_reopen(struct events *e);
void events_get_stats(struct events *e, struct events_stats *ret);
