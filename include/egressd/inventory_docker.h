/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include "egressd/docker.h"
#include "egressd/inventory.h"

/* Source for a scan: Docker's containers (running ones placed through
 * /proc/PID/ns/net, stopped ones listed without a port). Returns 0, or the
 * client's error when dockerd cannot be asked (the caller then keeps the
 * previous scan). */
int inventory_scan_docker(struct inventory_scan *s, struct docker *d);
