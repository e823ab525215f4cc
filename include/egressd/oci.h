/* SPDX-License-Identifier: GPL-2.0-or-later */
/* containerd / Kubernetes containers, found from their OCI bundles
 * (/run/containerd/io.containerd.runtime.v2.task/NAMESPACE/ID/config.json
 * and init.pid): the id, the CRI annotations (pod, namespace, container
 * name, image) where Kubernetes set them, and the network namespace. */
#pragma once
#include <stddef.h>

#include "egressd/inventory.h"

#define OCI_BUNDLE_ROOT "/run/containerd/io.containerd.runtime.v2.task"
/* config.json files larger than this are not read. */
#define OCI_CONFIG_MAX (4u << 20)

/* Pure: reads a bundle's config.json text into c (id, name, image, netns
 * path if the config names one). Returns 0, -EINVAL (not an OCI config),
 * or -EAGAIN for a pod sandbox ("pause"): the pod's app containers stand
 * for it. */
int oci_parse_config(const char *json, const char *id, struct container *c);

/* Source for a scan: every bundle under root (OCI_BUNDLE_ROOT), except
 * namespace "moby" (Docker's own, listed by the Docker source). */
int inventory_scan_oci(struct inventory_scan *s, const char *root);
