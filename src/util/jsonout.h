/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small JSON helpers shared by the control socket, the event writer and
 * egressctl. */
#pragma once
#include <cjson/cJSON.h>

#include "egressd/addr.h"

/* Adds key: ["198.18.0.11", "2001:db8::11", ...]. */
void json_add_addrs(cJSON *o, const char *key, const struct ip_addr *a,
		    unsigned n);

/* Adds key: "198.18.0.11" (port 0) or "203.0.113.80:443",
 * "[2001:db8::1]:443". */
void json_add_endpoint(cJSON *o, const char *key, const struct ip_addr *a,
		       uint16_t port);

/* The string at key, or dflt when it is absent or not a string. */
const char *json_str(const cJSON *o, const char *key, const char *dflt);
