/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A client of egressd's control socket: one JSON request per connection,
 * the reply read until egressd closes. egressctl and egressd-console share
 * it. Nothing here logs. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

struct ctlclient_call {
	const char *socket;  /* the control socket's path */
	int pass_fd;	     /* handed to egressd with the request, or -1 */
	long timeout_ms;     /* the whole exchange */
	size_t reply_max;    /* the largest reply read */
	/* set on failure: which step failed ("cannot reach egressd at",
	 * "reading the reply of", "egressd sent no valid reply from") */
	const char *failed;
};

/* Sends req (not consumed) and returns the parsed reply in *ret. Returns
 * 0, or a negative errno with call->failed set: -ETIMEDOUT (no answer in
 * time), the connect's errno, -EFBIG (reply over reply_max), -EBADMSG (not
 * JSON), -ENOMEM. */
int ctlclient_request(struct ctlclient_call *call, const cJSON *req,
		      cJSON **ret);
