// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/oci.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "egressd/policy.h"
#include "egressd/fileio.h"

#define CRI "io.kubernetes.cri."

static const char *annotation(const cJSON *ann, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* linux.namespaces[] entry of type "network" with a path, if any. */
static const char *netns_path(const cJSON *root)
{
	const cJSON *linux_ = cJSON_GetObjectItemCaseSensitive(root, "linux");
	const cJSON *nss = cJSON_GetObjectItemCaseSensitive(linux_, "namespaces");
	const cJSON *ns;

	cJSON_ArrayForEach(ns, nss)
	{
		const char *t = annotation(ns, "type"), *p = annotation(ns, "path");
		if (t && p && !strcmp(t, "network"))
			return p;
	}
	return NULL;
}

int oci_parse_config(const char *json, const char *id, struct container *c)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *ann;
	const char *type, *pod, *ns, *name, *image, *path;

	if (!cJSON_IsObject(root) ||
	    !cJSON_GetObjectItemCaseSensitive(root, "ociVersion")) {
		cJSON_Delete(root);
		return -EINVAL;
	}
	ann = cJSON_GetObjectItemCaseSensitive(root, "annotations");
	type = annotation(ann, CRI "container-type");
	if (type && !strcmp(type, "sandbox")) {
		cJSON_Delete(root);
		return -EAGAIN;
	}
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%.79s", id);
	pod = annotation(ann, CRI "sandbox-name");
	ns = annotation(ann, CRI "sandbox-namespace");
	name = annotation(ann, CRI "container-name");
	image = annotation(ann, CRI "image-name");
	if (pod && ns && name)
		snprintf(c->name, sizeof(c->name), "%.20s/%.20s/%.20s", ns, pod,
			 name);
	else
		snprintf(c->name, sizeof(c->name), "%.63s", id);
	snprintf(c->image, sizeof(c->image), "%s", image ? image : "");
	snprintf(c->runtime, sizeof(c->runtime), "%s", type ? "cri" : "containerd");
	path = netns_path(root);
	if (path)
		snprintf(c->netns, sizeof(c->netns), "%s", path);
	cJSON_Delete(root);
	return 0;
}

/* The bundle's init process, if it runs. */
static int bundle_pid(int dir)
{
	char *text;
	size_t len;
	int pid;

	if (file_read_at(dir, "init.pid", FILE_NO_LINKS, 32, &text, &len))
		return 0;
	pid = atoi(text);
	free(text);
	/* EPERM: it runs, as a user egressd may not signal (no CAP_KILL
	 * in the sandbox); signal 0 is only asked whether it exists. */
	return pid > 0 && (!kill(pid, 0) || errno == EPERM) ? pid : 0;
}

/* The bundle's files are the runtime's: read without following a link
 * (a container that could plant one must not make us read elsewhere). */
static void scan_bundle(struct inventory_scan *s, int dir, const char *id)
{
	struct container c;
	size_t len;
	char *text;
	int pid;

	if (file_read_at(dir, "config.json", FILE_NO_LINKS, OCI_CONFIG_MAX,
			 &text, &len))
		return;
	if (oci_parse_config(text, id, &c)) {
		free(text);
		return;
	}
	free(text);
	pid = bundle_pid(dir);
	c.running = pid > 0;
	c.pid = pid;
	/* No network namespace in the config (a pod's hostNetwork, ctr run
	 * --net-host): the task stays in the runtime's, which
	 * inventory_add tells apart by the kernel's word. */
	if (!c.netns[0] && pid)
		snprintf(c.netns, sizeof(c.netns), "/proc/%d/ns/net", pid);
	inventory_add(s, &c);
}

int inventory_scan_oci(struct inventory_scan *s, const char *root)
{
	char nsdir[400];
	struct dirent *ns, *b;
	DIR *rd = opendir(root), *nd;

	if (!rd) {
		if (errno != ENOENT)
			return -errno;
		s->inv->sources_ok |= INV_SRC_OCI;
		return 0;
	}
	while ((ns = readdir(rd))) {
		if (ns->d_name[0] == '.' || !strcmp(ns->d_name, "moby"))
			continue;
		snprintf(nsdir, sizeof(nsdir), "%.200s/%.100s", root, ns->d_name);
		if (!(nd = opendir(nsdir)))
			continue;
		while ((b = readdir(nd))) {
			if (b->d_name[0] == '.')
				continue;
			int dir = openat(dirfd(nd), b->d_name, O_RDONLY |
					 O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dir < 0)
				continue;
			scan_bundle(s, dir, b->d_name);
			close(dir);
		}
		closedir(nd);
	}
	closedir(rd);
	s->inv->sources_ok |= INV_SRC_OCI;
	return 0;
}
