/* SPDX-License-Identifier: GPL-2.0-or-later */
/* egressd run's settings: defaults, the config file, then the flags. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egressd/addr.h"
#include "egressd/engine.h"
#include "egressd/nft.h"
#include "egressd/policy.h"
#include "egressd/redact.h"

#define CONFIG_LISTS_MAX 64
#define CONFIG_IFS_MAX 32
/* The config file: its largest size and longest line. */
#define CONFIG_FILE_MAX (1u << 20)
#define CONFIG_LINE_MAX 1024
/* Resolvers whose answers may unblock an address an IP list blocks. */
#define CONFIG_TRUSTED_MAX 16
/* fleet_dsn: a libpq connection string or URI (a long one names several
 * hosts and TLS files). */
#define CONFIG_FLEET_DSN_MAX 1024
/* The fleet's host id: the schema's hosts.host_id CHECK. */
#define CONFIG_HOST_ID_MAX 64
/* The state dir's disk budget (store, exports, feeds), MiB. */
#define CONFIG_STATE_MB_DEFAULT 1024

struct config {
	bool block; /* mode: block, else alert */
	bool fail_closed;
	/* host_processes = watch: the host's own processes (in no
	 * container) are judged and recorded too; ignore (the default):
	 * only containers' sockets, host-network ones by their cgroup. */
	bool host_watch;
	uint16_t queue_first, queue_count;
	uint32_t queue_maxlen;
	char state_dir[256];
	char socket[256];
	char ruleset[256];
	char docker_socket[108]; /* "" : Docker not followed */
	char oci_bundle_root[256]; /* containerd's task bundles; "": none */
	char system_lists[256]; /* shipped threat intel; "": none */
	uint32_t retention_days; /* events kept */
	uint32_t max_state_mb; /* the state dir's budget */
	bool syslog; /* events also go to syslog */
	bool sandbox; /* drop capabilities, seccomp after setup (sandbox.h) */
	uint32_t ttl_floor;
	uint32_t watchdog_timeout_s; /* 0: no watchdog */
	struct nft_marks marks;
	/* What is done with what cannot be read, DNS that goes around
	 * egressd, and Encrypted ClientHello (engine.h). */
	enum engine_action unreadable, dns_bypass, ech;
	/* trusted_resolvers: "auto" (the host's and its runtimes' resolvers,
	 * found at start), "none", or addresses. */
	bool trusted_auto;
	size_t ntrusted;
	struct ip_addr trusted[CONFIG_TRUSTED_MAX];
	struct redact_rules redact; /* secrets masked in command lines */
	size_t nlists;
	struct list_spec lists[CONFIG_LISTS_MAX];
	char list_paths[CONFIG_LISTS_MAX][256];
	size_t nifs;
	char ifs[CONFIG_IFS_MAX][16];
	bool ifs_auto; /* container_if = auto */
	char metrics_listen[80]; /* "ADDR:PORT" of /metrics, "" for off */
	int log_level; /* log.h's enum log_prio: lines above it not written */
	bool ifs_default; /* none named: config_finish gave the defaults */
	/* The fleet (README: Fleet): "" runs one host alone, as ever. */
	char fleet_dsn[CONFIG_FLEET_DSN_MAX];
	char fleet_host_id[CONFIG_HOST_ID_MAX + 1]; /* "": from the host */
	/* addresses the console shows as the host's outer ones, separated
	 * by spaces or commas; "": the local end of the database link */
	char fleet_outer_addr[256];
};

/* A fleet host id: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. */
bool config_host_id_ok(const char *s);

/* The container interfaces watched when none is named: Docker's, CNI's
 * (bridge plugin, kubenet), Podman's and Calico's routed veths. */
#define CONFIG_DEFAULT_IFS \
	{ "docker0", "br-*", "cni0", "cbr0", "podman*", "cni-podman*", "cali*" }

void config_defaults(struct config *c);
/* Reads "key = value" lines, then checks the marks (config_check_marks).
 * Returns 0, or -errno with "FILE:LINE: what" (or "FILE: what") in err.
 * A missing file is an error only if `required`. */
int config_load(struct config *c, const char *path, bool required, char *err,
		size_t errlen);
/* After the file and the flags: the default interfaces if none was
 * named (auto alone keeps them too). */
void config_finish(struct config *c);
/* Applies one setting (from the file or a flag). */
int config_set(struct config *c, const char *key, const char *value,
	       char *err, size_t errlen);
/* mark_mask non-zero; mark_allow and mark_block non-zero, inside the mask
 * and without a bit in common. Returns 0 or -EINVAL with err filled. */
int config_check_marks(const struct nft_marks *m, char *err, size_t errlen);
