// SPDX-License-Identifier: GPL-2.0-or-later
/* Docker as an inventory source: the Engine API's containers, each placed
 * on the network through its init process's namespace. */
#include "egressd/inventory_docker.h"
#include "egressd/procinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int inventory_scan_docker(struct inventory_scan *s, struct docker *d)
{
	struct docker_container *dc = calloc(INVENTORY_MAX, sizeof(*dc));
	struct container c;
	size_t n = 0;
	int r;

	if (!dc)
		return -ENOMEM;
	r = docker_list(d, dc, INVENTORY_MAX, &n, NULL, 0);
	if (r && r != -ENOBUFS) {
		free(dc);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.id, sizeof(c.id), "%s", dc[i].id);
		snprintf(c.name, sizeof(c.name), "%.63s", dc[i].name);
		snprintf(c.image, sizeof(c.image), "%.127s", dc[i].image);
		snprintf(c.image_id, sizeof(c.image_id), "%s", dc[i].image_id);
		snprintf(c.runtime, sizeof(c.runtime), "docker");
		c.running = dc[i].running && dc[i].pid > 0;
		c.host_network = dc[i].host_network;
		if (c.running) {
			c.pid = dc[i].pid;
			snprintf(c.netns, sizeof(c.netns), "/proc/%d/ns/net",
				 dc[i].pid);
		}
		inventory_add(s, &c);
	}
	free(dc);
	s->inv->sources_ok |= INV_SRC_DOCKER;
	return 0;
}
