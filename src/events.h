/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events leave the packet path here: a writer thread of their own adds
 * what the packet thread must not wait for (the container from the
 * inventory, the host's facts, the process behind the connection) and
 * appends one JSON line each to STATE_DIR/events.jsonl. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"

struct events;

/* The connection to attribute to a process (the container's side first). */
struct event_flow {
	uint8_t proto;
	struct ip_addr src, dst;
	uint16_t sport, dport;
};

/* Opens STATE_DIR/events.jsonl for appending and starts the writer.
 * The exported line says which stored event it joined (event_id). */
struct events_options {
	const char *const *bridges; /* the container bridges, for the host's
				       inner addresses */
	size_t nbridges;
	unsigned retention_days; /* events last seen before are deleted */
	bool syslog; /* every line also to syslog (LOG_DAEMON) */
};
struct events *events_open(const char *state_dir,
			   const struct events_options *opt, char *err,
			   size_t errlen);
/* Queues an event; never blocks. Takes o. port / container_ip find the
 * container; with flow, its process is looked up too. Returns 0, or
 * -ENOBUFS when the queue is full (the event is counted as dropped). */
int events_push(struct events *e, cJSON *o, uint32_t port,
		const struct ip_addr *container_ip, const struct event_flow *flow);
/* Writes what is queued, stops the writer, closes the file. */
void events_close(struct events *e);
unsigned long events_dropped(const struct events *e);
