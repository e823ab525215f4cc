// SPDX-License-Identifier: GPL-2.0-or-later
/* inv_probe: the isolate path's port check (inventory_verify_port) on
 * real namespaces, for tests/e2e/hostile/40-lookalike.sh. Run in the host
 * namespace:
 *
 *   inv_probe BRIDGE NETNS_PATH VETH
 *
 * asks whether the namespace at NETNS_PATH sits on VETH (a port of
 * BRIDGE) and prints the answer: "0", or the errno name ("ENOENT",
 * "ESTALE"). Exit 0 if it does, 2 if not, 1 on bad use. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "egressd/inventory.h"

int main(int argc, char **argv)
{
	struct container c = { .running = true };
	const char *br[1];
	int r;

	if (argc != 4) {
		fprintf(stderr, "usage: inv_probe BRIDGE NETNS_PATH VETH\n");
		return 1;
	}
	br[0] = argv[1];
	snprintf(c.netns, sizeof(c.netns), "%s", argv[2]);
	snprintf(c.veth, sizeof(c.veth), "%s", argv[3]);
	c.veth_ifindex = if_nametoindex(argv[3]);
	if (!c.veth_ifindex) {
		fprintf(stderr, "inv_probe: %s: %s\n", argv[3],
			strerror(errno));
		return 1;
	}
	r = inventory_verify_port(&c, br, 1);
	printf("%s\n", r ? strerrorname_np(-r) : "0");
	return r ? 2 : 0;
}
