/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket's JSON edge that every command uses: the arguments
 * of a request and the common replies. A leaf: it calls nothing else of
 * ctl, so that ctl.c -> ctl_*.c -> ctl_reply.c runs one way. Internal. */
#pragma once
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

/* {"ok":false,"error":...}: fmt has one %s, filled with arg ("" if NULL). */
cJSON *reply_error(const char *fmt, const char *arg);
/* {"ok":true} */
cJSON *reply_ok(void);
/* {"ok":true, key: v}, taking v; a NULL v (out of memory) makes it an
 * error, never an answer without it. */
cJSON *reply_ok_with(const char *key, cJSON *v);
/* The store could not be read whole (err: a negative errno of store.h):
 * an error naming what and why, never a shorter answer. */
cJSON *reply_store_error(int err, const char *what);

/* The string at key, or NULL when absent or not a string. */
const char *str_arg(const cJSON *req, const char *key);
/* A number argument clamped to [lo, hi]; dflt when absent. *bad is set
 * when present but not a number within the range. */
int64_t num_arg(const cJSON *req, const char *key, int64_t dflt, int64_t lo,
		int64_t hi, bool *bad);
/* True only for JSON true. */
bool bool_arg(const cJSON *req, const char *key);
/* The optional "note" into *ret (NULL if absent). Returns false, with the
 * refusal in *ret_err, when it is longer than CTL_NOTE_MAX. */
bool note_arg(const cJSON *req, const char **ret, cJSON **ret_err);
