/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A process's cgroups (/proc/PID/cgroup) as a container runtime names
 * them: which container a host-network socket's process belongs to. Pure:
 * the caller reads the file (procinfo.c, inventory_docker.c).
 *
 * /proc/PID/cgroup has one line per hierarchy, "ID:CONTROLLERS:PATH":
 *   cgroup v1:     "4:memory:/docker/<64 hex>"
 *   cgroup v2:     "0::/system.slice/docker-<64 hex>.scope"
 *   containerd:    "0::/system.slice/cri-containerd-<64 hex>.scope"
 *   kubelet (v1):  "3:cpu:/kubepods/burstable/pod<uid>/<64 hex>"
 *   podman:        "0::/machine.slice/libpod-<64 hex>.scope"
 * The runtime's id is a whole path component of 64 lowercase hex digits,
 * or such a run after the component's last '-' (an optional ".scope"
 * after it). A pod's uid has dashes and 32 digits: it is never taken. */
#pragma once
#include <stddef.h>

/* A container id: 64 lowercase hex digits. */
#define CGROUP_CID_LEN 64

/* The innermost container id of the first line that has one (a nested
 * runtime's container sits below its parent's). ret holds at least
 * CGROUP_CID_LEN + 1 bytes. Returns 0, or -ENOENT if no line names a
 * container (a host process). */
int cgroup_container_id(const char *text, size_t len, char *ret);

/* The cgroup v2 path (the "0::" line), e.g. "/docker/<id>". Returns 0,
 * -ENOENT if the process has no v2 line, -ENAMETOOLONG if it does not fit
 * in retlen. */
int cgroup_v2_path(const char *text, size_t len, char *ret, size_t retlen);
