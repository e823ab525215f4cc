// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl_reply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "egressd/limits.h"
#include "jsonout.h"

cJSON *reply_error(const char *fmt, const char *arg)
{
	cJSON *o = cJSON_CreateObject();
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

cJSON *reply_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", true);
	return o;
}

cJSON *reply_ok_with(const char *key, cJSON *v)
{
	cJSON *o = v ? reply_ok() : NULL;

	if (o && cJSON_AddItemToObject(o, key, v))
		return o;
	cJSON_Delete(o);
	cJSON_Delete(v);
	return reply_error("out of memory", NULL);
}

cJSON *reply_store_error(int err, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "cannot read %s from the store: %s", what,
		 err == -EBADMSG ? "it is damaged (a restart of egressd sets "
				   "it aside)"
		 : err == -EBUSY ? "busy, try again"
				 : strerror(-err));
	return reply_error("%s", msg);
}

const char *str_arg(const cJSON *req, const char *key)
{
	return json_str(req, key, NULL);
}

int64_t num_arg(const cJSON *req, const char *key, int64_t dflt, int64_t lo,
		int64_t hi, bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, key);

	if (!v)
		return dflt;
	/* Compared as doubles before any conversion: 1e300 or NaN must not
	 * reach an integer (undefined behaviour). */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= (double)lo) ||
	    !(v->valuedouble <= (double)hi)) {
		*bad = true;
		return dflt;
	}
	return (int64_t)v->valuedouble;
}

bool bool_arg(const cJSON *req, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, key));
}

bool note_arg(const cJSON *req, const char **ret, cJSON **ret_err)
{
	const char *note = str_arg(req, "note");
	char msg[96];

	*ret = note;
	if (!note || strlen(note) <= CTL_NOTE_MAX)
		return true;
	snprintf(msg, sizeof(msg), "note too long: %zu bytes, at most %d",
		 strlen(note), CTL_NOTE_MAX);
	*ret_err = reply_error("%s", msg);
	return false;
}
