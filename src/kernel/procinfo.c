// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/procinfo.h"

#include "egressd/cgroup.h"
#include "egressd/fileio.h"
#include "egressd/limits.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

/* Processes looked at while searching the socket's owner: bounds the /proc
 * walk on a host with very many processes. */
#define PROC_SCAN_MAX 32768

struct diag_job {
	const char *ns;
	uint8_t proto;
	const struct ip_addr *src, *dst;
	uint16_t sport, dport;
	uint32_t inode, uid;
	int r;
};

static int on_diag(const struct nlmsghdr *nlh, void *data)
{
	struct diag_job *j = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	j->inode = m->idiag_inode;
	j->uid = m->idiag_uid;
	return MNL_CB_OK;
}

/* One exact lookup by 5-tuple (no dump): the kernel answers with the
 * socket or ENOENT. */
static int diag_query(struct diag_job *j)
{
	char buf[8192];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;
	size_t alen = j->src->family == AF_INET ? 4 : 16;
	ssize_t n;
	int r = -ENOENT;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = j->src->family;
	req->sdiag_protocol = j->proto;
	req->idiag_states = ~0u;
	/* UDP's lookup is the one of an arriving datagram (the kernel's
	 * udp_dump_one: "src and dst are swapped for historical reasons"):
	 * the socket's own side goes in dst. It then also finds a socket
	 * that never connected (dig's, most resolvers'). */
	if (j->proto == IPPROTO_UDP) {
		req->id.idiag_sport = htons(j->dport);
		req->id.idiag_dport = htons(j->sport);
		memcpy(req->id.idiag_src, j->dst->b, alen);
		memcpy(req->id.idiag_dst, j->src->b, alen);
	} else {
		req->id.idiag_sport = htons(j->sport);
		req->id.idiag_dport = htons(j->dport);
		memcpy(req->id.idiag_src, j->src->b, alen);
		memcpy(req->id.idiag_dst, j->dst->b, alen);
	}
	req->id.idiag_cookie[0] = req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		r = -errno;
	else if (mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl),
			    on_diag, j) < 0)
		r = -errno;
	else
		r = j->inode ? 0 : -ENOENT;
out:
	if (nl)
		mnl_socket_close(nl);
	return r;
}

/* setns() moves only this thread, and only for this lookup. */
static void *diag_thread(void *arg)
{
	struct diag_job *j = arg;
	int fd = open(j->ns, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		j->r = -errno;
		return NULL;
	}
	j->r = setns(fd, CLONE_NEWNET) ? -errno : diag_query(j);
	close(fd);
	return NULL;
}

/* ---- /proc ---- */

static bool socket_held_by(int pid, const char *want)
{
	char dir[64], path[320], link[64];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	while (d && !found && (de = readdir(d))) {
		ssize_t n;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			found = !strcmp(link, want);
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* The pid holding socket inode `ino`, looking only at processes of the
 * network namespace `ns_ino` (the container's). */
static int socket_owner(uint32_t ino, ino_t ns_ino)
{
	char want[48], path[64];
	struct dirent *de;
	struct stat st;
	int pid = 0, seen = 0;
	DIR *d = opendir("/proc");

	snprintf(want, sizeof(want), "socket:[%u]", ino);
	while (d && !pid && (de = readdir(d)) && seen++ < PROC_SCAN_MAX) {
		int p = atoi(de->d_name);
		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", p);
		if (stat(path, &st) || st.st_ino != ns_ino)
			continue;
		if (socket_held_by(p, want))
			pid = p;
	}
	if (d)
		closedir(d);
	return pid;
}

/* The command line as the kernel keeps it (NUL-separated), read up to
 * PROC_CMDLINE_RAW_MAX bytes so that a secret late in a long line is
 * still seen whole, then made one printable line with secrets masked
 * (redact.h): events, the store, exports and syslog never hold them. */
static void read_cmdline(int pid, const struct redact_rules *rules, char *out,
			 size_t len)
{
	static _Thread_local char raw[PROC_CMDLINE_RAW_MAX];
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		out[0] = 0;
		return;
	}
	redact_cmdline(raw, (size_t)n,
		       (size_t)n == sizeof(raw) ? REDACT_TRUNCATED : 0, rules,
		       out, len);
}

/* PPid and real Uid from /proc/PID/status. */
static int read_status(int pid, int *ppid, uint32_t *uid)
{
	char path[64], line[256];
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "PPid:", 5))
			got += sscanf(line + 5, "%d", ppid) == 1;
		else if (!strncmp(line, "Uid:", 4))
			got += sscanf(line + 4, "%u", uid) == 1;
	}
	fclose(f);
	return got == 2 ? 0 : -EINVAL;
}

/* The user's name in the process's own /etc/passwd (its container's).
 * The container owns that file: it is read inside the container's root
 * only (no link or ".." out of it, no mount crossed), only if it is a
 * regular file on a local file system, and at most PASSWD_MAX bytes. A
 * FIFO, /dev/zero or a link to the host's files give no name. */
#define PASSWD_MAX (4u << 20)

static bool passwd_lookup(const char *text, uint32_t uid, char *out,
			  size_t len)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *c1 = strchr(line, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t nlen = c1 ? (size_t)(c1 - line) : 0;
		if (c2 && (!nl || c2 < nl) && nlen && nlen < len &&
		    strtoul(c2 + 1, NULL, 10) == uid && c2[1] >= '0' &&
		    c2[1] <= '9') {
			memcpy(out, line, nlen);
			out[nlen] = 0;
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

static void user_name(int pid, uint32_t uid, char *out, size_t len)
{
	char path[64], *text;
	size_t n;
	int root;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	if (!file_read_at(root, "etc/passwd", FILE_IN_ROOT | FILE_LOCAL_ONLY,
			  PASSWD_MAX, &text, &n)) {
		passwd_lookup(text, uid, out, len);
		free(text);
	}
	close(root);
}

static int read_level(int pid, const struct redact_rules *rules,
		      struct proc_level *lv, int *ppid)
{
	char path[64];
	ssize_t n;
	int r;

	memset(lv, 0, sizeof(*lv));
	lv->pid = pid;
	r = read_status(pid, ppid, &lv->uid);
	if (r)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, lv->exe, sizeof(lv->exe) - 1);
	lv->exe[n > 0 ? n : 0] = 0;
	read_cmdline(pid, rules, lv->cmdline, sizeof(lv->cmdline));
	user_name(pid, lv->uid, lv->user, sizeof(lv->user));
	return 0;
}

/* /proc/PID/cgroup: a line per hierarchy; a few hundred bytes. */
#define PROC_CGROUP_MAX 8192

static int read_proc_cgroup(int pid, char *buf, size_t len, size_t *ret)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	close(fd);
	if (n < 0)
		return -errno;
	*ret = (size_t)n;
	return 0;
}

int procinfo_container_of(int pid, char ret[65])
{
	static _Thread_local char buf[PROC_CGROUP_MAX];
	size_t n;
	int r = read_proc_cgroup(pid, buf, sizeof(buf), &n);

	return r ? r : cgroup_container_id(buf, n, ret);
}

/* Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup on a v2 host,
 * /sys/fs/cgroup/unified on a hybrid one (v1 controllers beside it). */
static const char *cgroup2_root(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup",
					     "/sys/fs/cgroup/unified" };
	struct statfs sf;

	/* fstatfs, not statfs: the sandbox's filter allows the one */
	for (size_t i = 0; i < 2; i++) {
		int fd = open(roots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool v2 = fd >= 0 && !fstatfs(fd, &sf) &&
			  sf.f_type == CGROUP2_SUPER_MAGIC;
		if (fd >= 0)
			close(fd);
		if (v2)
			return roots[i];
	}
	return NULL;
}

int procinfo_cgroup_v2_id(int pid, uint64_t *ret, unsigned *ret_level)
{
	static _Thread_local char buf[PROC_CGROUP_MAX];
	char rel[4096], path[4200];
	const char *root = cgroup2_root();
	struct stat st;
	size_t n;
	int r;

	if (!root)
		return -ENOENT;
	r = read_proc_cgroup(pid, buf, sizeof(buf), &n);
	if (!r)
		r = cgroup_v2_path(buf, n, rel, sizeof(rel));
	if (r)
		return r;
	/* A path with ".." cannot come from the kernel; refuse it all the
	 * same, it would name a directory outside the hierarchy. */
	if (strstr(rel, "/.."))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (stat(path, &st))
		return -errno;
	*ret = (uint64_t)st.st_ino;
	/* the root is level 0, "/docker/<id>" level 2 (nft's "level") */
	*ret_level = 0;
	for (const char *p = rel; *p; p++)
		*ret_level += *p == '/' && p[1];
	return 0;
}

int procinfo_attribute(const char *netns_path, uint8_t proto,
		       const struct ip_addr *src, uint16_t sport,
		       const struct ip_addr *dst, uint16_t dport,
		       const struct redact_rules *rules, struct proc_attr *ret)
{
	struct diag_job j = { netns_path, proto, src, dst, sport, dport, 0, 0, 0 };
	struct stat st;
	pthread_t t;
	int pid;

	memset(ret, 0, sizeof(*ret));
	if (stat(netns_path, &st) || pthread_create(&t, NULL, diag_thread, &j)) {
		snprintf(ret->reason, sizeof(ret->reason),
			 "container namespace %s not reachable", netns_path);
		return -ENOENT;
	}
	pthread_join(t, NULL);
	if (j.r) {
		snprintf(ret->reason, sizeof(ret->reason),
			 "socket gone: the connection ended before attribution");
		return j.r;
	}
	ret->have_socket_uid = true;
	ret->socket_uid = j.uid;
	pid = socket_owner(j.inode, st.st_ino);
	if (!pid) {
		snprintf(ret->reason, sizeof(ret->reason),
			 "no process holds the socket any more (it exited)");
		return -ESRCH;
	}
	for (unsigned i = 0; i < 3 && pid > 0; i++) {
		int ppid = 0;
		if (read_level(pid, rules, &ret->lv[i], &ppid))
			break;
		if (i == 0 && procinfo_container_of(pid, ret->container_id))
			ret->container_id[0] = 0;
		ret->nlevels++;
		pid = ppid;
	}
	return ret->nlevels ? 0 : -ESRCH;
}
