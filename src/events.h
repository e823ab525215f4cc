/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Event records as JSON lines in the state dir, written by their own thread
 * so the packet path never waits on the disk. */
#pragma once
#include <stddef.h>

struct events;

/* Opens STATE_DIR/events.jsonl for appending and starts the writer. */
struct events *events_open(const char *state_dir, char *err, size_t errlen);
/* Queues one line (copied); never blocks. Returns 0 or -ENOBUFS when the
 * queue is full (the event is counted as dropped). */
int events_push(struct events *e, const char *line);
/* Writes what is queued, stops the writer, closes the file. */
void events_close(struct events *e);
unsigned long events_dropped(const struct events *e);
