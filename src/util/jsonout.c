// SPDX-License-Identifier: GPL-2.0-or-later
#include "jsonout.h"

void json_add_addrs(cJSON *o, const char *key, const struct ip_addr *a,
		    unsigned n)
{
	cJSON *arr = cJSON_AddArrayToObject(o, key);
	char t[IP_ADDR_TEXT];

	for (unsigned i = 0; i < n; i++) {
		ip_addr_format(&a[i], t, sizeof(t));
		cJSON_AddItemToArray(arr, cJSON_CreateString(t));
	}
}

const char *json_str(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

void json_add_endpoint(cJSON *o, const char *key, const struct ip_addr *a,
		       uint16_t port)
{
	char t[IP_ADDR_TEXT];

	if (port)
		ip_port_format(a, port, t, sizeof(t));
	else
		ip_addr_format(a, t, sizeof(t));
	cJSON_AddStringToObject(o, key, t);
}
