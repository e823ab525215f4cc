// SPDX-License-Identifier: GPL-2.0-or-later
#include "ctl.h"
#include "ctl_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "egressd/inventory.h"
#include "jsonout.h"
#include "egressd/limits.h"
#include "egressd/inventory_docker.h"
#include "egressd/oci.h"

/* ---- replies ---- */

cJSON *reply_error(const char *fmt, const char *arg)
{
	cJSON *o = cJSON_CreateObject();
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	cJSON_AddBoolToObject(o, "ok", false);
	cJSON_AddStringToObject(o, "error", msg);
	return o;
}

cJSON *reply_ok(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", true);
	return o;
}

static void add_isolation(cJSON *o, const struct iso_entry *e)
{
	cJSON *i = cJSON_AddObjectToObject(o, "isolation");

	cJSON_AddStringToObject(i, "state", e ? iso_state_name(e->state) : "none");
	if (!e)
		return;
	cJSON_AddStringToObject(i, "note", e->note);
	cJSON_AddStringToObject(i, "reason", e->reason);
	cJSON_AddNumberToObject(i, "since", (double)e->since);
}

static cJSON *container_json(const struct ctl *c, const struct container *k)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", k->id);
	cJSON_AddStringToObject(o, "name", k->name);
	cJSON_AddStringToObject(o, "runtime", k->runtime);
	cJSON_AddStringToObject(o, "image", k->image);
	cJSON_AddStringToObject(o, "state", k->running ? "running" : "stopped");
	cJSON_AddStringToObject(o, "veth", k->veth);
	cJSON_AddStringToObject(o, "bridge", k->bridge);
	json_add_addrs(o, "addrs", k->addrs, k->naddrs);
	add_isolation(o, isolation_find(c->iso, k->id));
	return o;
}

static void host_json(const struct ctl *c, cJSON *o)
{
	const char *br[CONFIG_IFS_MAX];
	struct host_facts f;
	cJSON *h;

	for (size_t i = 0; i < c->cfg->nifs; i++)
		br[i] = c->cfg->ifs[i];
	if (host_facts_read(br, c->cfg->nifs, &f))
		return;
	h = cJSON_AddObjectToObject(o, "host");
	cJSON_AddStringToObject(h, "name", f.name);
	json_add_addrs(h, "inner", f.inner, f.ninner);
	json_add_addrs(h, "outer", f.outer, f.nouter);
}

/* ---- commands ---- */

static cJSON *cmd_containers(struct ctl *c)
{
	cJSON *o = reply_ok(), *arr = cJSON_AddArrayToObject(o, "containers");

	for (size_t i = 0; i < c->inv->n; i++)
		cJSON_AddItemToArray(arr, container_json(c, &c->inv->c[i]));
	/* Isolated containers that are not running are shown too. */
	for (size_t i = 0; i < c->iso->n; i++) {
		const struct iso_entry *e = &c->iso->e[i];
		if (inventory_find(c->inv, e->id))
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "id", e->id);
		cJSON_AddStringToObject(x, "name", e->name);
		cJSON_AddStringToObject(x, "state", "absent");
		add_isolation(x, e);
		cJSON_AddItemToArray(arr, x);
	}
	host_json(c, o);
	return o;
}

const char *str_arg(const cJSON *req, const char *key)
{
	return json_str(req, key, NULL);
}

/* Isolates (or restores) by key; logs and audits the change. */
static cJSON *isolate_key(struct ctl *c, const char *key, const char *note,
			  uid_t uid, bool isolate)
{
	const struct container *k;
	const struct iso_entry *e;
	char err[256], what[300];
	cJSON *o;

	if (isolate) {
		k = inventory_find(c->inv, key);
		if (!k && inventory_matches(c->inv, key) > 1)
			return reply_error("'%s' matches several containers: "
					   "give more of the id",
					   key);
		if (!k)
			return reply_error("no container '%s' (name or id "
					   "prefix; see egressctl containers)",
					   key);
		if (isolation_isolate(c->iso, k, note, uid, err, sizeof(err)))
			return reply_error("isolation failed: %s", err);
		key = k->id;
	} else if (isolation_restore(c->iso, key, uid, err, sizeof(err))) {
		return reply_error("%s", err);
	}
	e = isolation_find(c->iso, key);
	fprintf(stderr, "egressd: uid %u %s %s (%s)%s%s\n", (unsigned)uid,
		isolate ? "isolated" : "restored", e->name,
		iso_state_name(e->state), note ? ": " : "", note ? note : "");
	snprintf(what, sizeof(what), "%s (%s)%s%s", e->name, e->id,
		 note ? ": " : "", note ? note : "");
	if (c->store)
		store_audit(c->store, uid, isolate ? "isolate" : "unisolate", what);
	o = reply_ok();
	cJSON_AddStringToObject(o, "container", e->name);
	cJSON_AddStringToObject(o, "id", e->id);
	cJSON_AddStringToObject(o, "state", iso_state_name(e->state));
	return o;
}

cJSON *ctl_isolate_key(struct ctl *c, const char *key, const char *note,
		       uid_t uid)
{
	return isolate_key(c, key, note, uid, true);
}

static cJSON *cmd_isolate(struct ctl *c, const cJSON *req, uid_t uid,
			  bool isolate)
{
	const char *key = str_arg(req, "container");

	if (!key)
		return reply_error("missing \"container\"", NULL);
	return isolate_key(c, key, str_arg(req, "note"), uid, isolate);
}

static cJSON *dispatch(struct ctl *c, const char *text, uid_t uid)
{
	cJSON *req = cJSON_Parse(text), *o;
	const char *cmd;

	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return reply_error("malformed request: expected one JSON object",
				   NULL);
	}
	cmd = str_arg(req, "cmd");
	if (!cmd)
		o = reply_error("missing \"cmd\"", NULL);
	else if (!strcmp(cmd, "containers"))
		o = cmd_containers(c);
	else if (!strcmp(cmd, "isolate"))
		o = cmd_isolate(c, req, uid, true);
	else if (!strcmp(cmd, "unisolate"))
		o = cmd_isolate(c, req, uid, false);
	else if (!(o = ctl_store_dispatch(c, cmd, req, uid)))
		o = reply_error("unknown command '%s'", cmd);
	cJSON_Delete(req);
	return o;
}

/* ---- connections ---- */

/* Root, or a member of group egressd (primary or supplementary, read from
 * /proc for the peer's pid: SO_PEERCRED gives only the primary). */
static bool peer_allowed(const struct ctl *c, const struct ucred *cr)
{
	char path[64], line[1024];
	bool ok = false;
	FILE *f;

	if (cr->uid == 0)
		return true;
	if (c->group == (gid_t)-1)
		return false;
	if (cr->gid == c->group)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)cr->pid);
	f = fopen(path, "re");
	while (f && !ok && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "Groups:", 7))
			continue;
		for (char *t = strtok(line + 7, " \t\n"); t && !ok;
		     t = strtok(NULL, " \t\n"))
			ok = (gid_t)strtoul(t, NULL, 10) == c->group;
	}
	if (f)
		fclose(f);
	return ok;
}

/* Reads and drops what an oversized request still sends (bounded in
 * bytes and time), so the client gets its error instead of a reset. */
static void drain(int fd)
{
	char junk[4096];
	size_t total = 0;

	while (total < 16 * CTL_REQUEST_MAX) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t r;
		if (poll(&pf, 1, 200) <= 0 ||
		    (r = read(fd, junk, sizeof(junk))) <= 0)
			return;
		total += (size_t)r;
	}
}

/* Reads one request: up to a newline or the client's end of writing. */
/* Reads one request: up to a newline or the client's end of writing. A
 * file descriptor passed along (SCM_RIGHTS: `lists import` hands over the
 * feed it opened, so egressd reads only what the client could read) goes
 * to *ret_fd. */
static int read_request(int fd, char *buf, size_t len, int *ret_fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	size_t n = 0;
	ssize_t r;

	while (n < len) {
		struct pollfd pf = { fd, POLLIN, 0 };
		struct iovec iov = { buf + n, len - n };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctrl.b,
				    .msg_controllen = sizeof(ctrl.b) };
		struct cmsghdr *cm;
		if (poll(&pf, 1, CTL_CLIENT_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		r = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
		if (r < 0)
			return -errno;
		for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SCM_RIGHTS && *ret_fd < 0 &&
			    cm->cmsg_len == CMSG_LEN(sizeof(int)))
				memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
		if (r == 0 || memchr(buf + n, '\n', (size_t)r)) {
			n += (size_t)r;
			buf[n] = 0;
			return 0;
		}
		n += (size_t)r;
	}
	return -E2BIG;
}

static void serve(struct ctl *c, int fd)
{
	static char buf[CTL_REQUEST_MAX + 1];
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	cJSON *o;
	char *out;
	int r;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
	    !peer_allowed(c, &cr)) {
		o = reply_error("permission denied: root or group egressd only",
				NULL);
	} else if ((r = read_request(fd, buf, CTL_REQUEST_MAX, &c->passed_fd))) {
		if (r == -E2BIG)
			drain(fd);
		o = reply_error(r == -E2BIG ? "request larger than the limit"
					    : "request not received in time",
				NULL);
	} else {
		o = dispatch(c, buf, cr.uid);
	}
	if (c->passed_fd >= 0) {
		close(c->passed_fd);
		c->passed_fd = -1;
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (out) {
		size_t len = strlen(out);
		out[len] = '\n'; /* cJSON leaves room for the NUL */
		(void)!write(fd, out, len + 1);
		cJSON_free(out);
	}
}

/* Containers come and go: rescanned every second and before each
 * request. A failed scan changes nothing (it must not look like every
 * container was deleted). */
static void rescan(struct ctl *c)
{
	const char *br[CONFIG_IFS_MAX];

	for (size_t i = 0; i < c->cfg->nifs; i++)
		br[i] = c->cfg->ifs[i];
	struct inventory_scan scan;
	int r = inventory_scan_begin(&scan, br, c->cfg->nifs, c->inv);

	if (!r)
		r = inventory_scan_netns(&scan, "/run/netns");
	if (!r && c->cfg->oci_bundle_root[0])
		r = inventory_scan_oci(&scan, c->cfg->oci_bundle_root);
	/* No dockerd (its socket absent or refusing) is no error: Docker's
	 * containers are then neither listed nor taken for deleted. */
	if (!r && c->docker)
		(void)inventory_scan_docker(&scan, c->docker);
	inventory_scan_end(&scan);
	if (r)
		return;
	isolation_reconcile(c->iso, c->inv);
	inventory_publish(c->inv);
}

/* Docker's event stream makes a started, stopped or restarted container
 * known at once (the 1 s rescan is the fallback). Returns the stream's fd
 * to poll, or -1. */
static int docker_stream(struct ctl *c)
{
	time_t now = time(NULL);

	if (!c->docker)
		return -1;
	if (c->docker_up)
		return docker_events_fd(c->docker);
	if (now < c->docker_retry)
		return -1;
	c->docker_retry = now + 5;
	/* Replaces a broken stream; events missed meanwhile are covered by
	 * the rescan that follows any stream change. */
	c->docker_up = !docker_events_open(c->docker, NULL, 0);
	return c->docker_up ? docker_events_fd(c->docker) : -1;
}

/* Returns true if a container event came: time to rescan. */
static bool docker_events(struct ctl *c)
{
	struct docker_event ev[32];
	size_t n = 0;
	bool any = false;
	int r;

	do {
		r = docker_events_read(c->docker, ev, 32, &n);
		any |= n > 0;
	} while (!r && n == 32);
	if (r) { /* ended or broke: reopen soon, rescan now */
		c->docker_up = false;
		c->docker_retry = time(NULL) + 1;
	}
	return any || r;
}

static void *ctl_thread(void *arg)
{
	struct ctl *c = arg;
	struct pollfd pf[4] = { { c->lfd, POLLIN, 0 }, { c->stop[0], POLLIN, 0 },
				{ -1, POLLIN, 0 }, { c->wake[0], POLLIN, 0 } };

	rescan(c);
	{ /* the sources' counts for `egressctl lists` */
		char err[512];
		if (ctl_policy_rebuild(c, err, sizeof(err)))
			fprintf(stderr, "egressd: lists: %s\n", err);
	}
	for (;;) {
		pf[2].fd = docker_stream(c);
		pf[2].revents = 0;
		int n = poll(pf, 4, INVENTORY_RESCAN_MS);
		if (n < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (pf[3].revents) { /* SIGHUP: reload the lists */
			char b[16], err[512];
			while (read(c->wake[0], b, sizeof(b)) > 0)
				;
			if (ctl_policy_rebuild(c, err, sizeof(err)))
				fprintf(stderr, "egressd: reload refused, old "
					"lists kept: %s\n", err);
			continue;
		}
		if (pf[2].revents) {
			if (docker_events(c))
				rescan(c);
			continue;
		}
		if (n > 0 && pf[0].revents) {
			int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				rescan(c);
				serve(c, fd);
				close(fd);
			}
			continue;
		}
		rescan(c);
	}
	return NULL;
}

static int bind_socket(struct ctl *c, const char *path, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	struct group *g = getgrnam("egressd");

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0755);
	c->group = g ? g->gr_gid : (gid_t)-1;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(path); /* a stale socket of an earlier run */
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0660) || (g && chown(path, 0, g->gr_gid)) ||
	    listen(c->lfd, 16)) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

struct ctl *ctl_start(const struct config *cfg, struct isolation *iso,
		      char *err, size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c || !(c->inv = malloc(sizeof(*c->inv)))) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	c->cfg = cfg;
	c->iso = iso;
	if (cfg->docker_socket[0])
		c->docker = docker_open(cfg->docker_socket);
	c->lfd = c->stop[0] = c->stop[1] = c->passed_fd = -1;
	if (store_open(cfg->state_dir, &c->store, err, errlen)) {
		free(c->inv);
		free(c);
		return NULL;
	}
	c->lists_loaded = time(NULL);
	if (bind_socket(c, cfg->socket, err, errlen) ||
	    pipe2(c->stop, O_CLOEXEC) ||
	    pipe2(c->wake, O_CLOEXEC | O_NONBLOCK) ||
	    pipe2(c->policy_out, O_CLOEXEC | O_NONBLOCK) ||
	    pthread_create(&c->thread, NULL, ctl_thread, c)) {
		if (!err[0])
			snprintf(err, errlen, "cannot start the control thread");
		if (c->lfd >= 0)
			close(c->lfd);
		free(c->inv);
		free(c);
		return NULL;
	}
	return c;
}

void ctl_stop(struct ctl *c)
{
	if (!c)
		return;
	(void)!write(c->stop[1], "x", 1);
	pthread_join(c->thread, NULL);
	close(c->lfd);
	close(c->stop[0]);
	close(c->stop[1]);
	unlink(c->cfg->socket);
	docker_close(c->docker);
	store_close(c->store);
	cJSON_Delete(c->sources);
	close(c->wake[0]);
	close(c->wake[1]);
	/* Updates sent but never taken. */
	struct policy_update *u;
	while (read(c->policy_out[0], &u, sizeof(u)) == sizeof(u)) {
		policy_free(&u->policy);
		ct_list_free(u->accepted);
		free(u);
	}
	close(c->policy_out[0]);
	close(c->policy_out[1]);
	free(c->inv);
	free(c);
}

int ctl_policy_fd(const struct ctl *c)
{
	return c->policy_out[0];
}

void ctl_request_reload(struct ctl *c)
{
	(void)!write(c->wake[1], "r", 1);
}
