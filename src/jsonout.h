/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small JSON writers shared by the control socket and the event writer. */
#pragma once
#include <cjson/cJSON.h>

#include "egressd/addr.h"

/* Adds key: ["198.18.0.11", "2001:db8::11", ...]. */
void json_add_addrs(cJSON *o, const char *key, const struct ip_addr *a,
		    unsigned n);
