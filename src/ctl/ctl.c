// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket's server: the io thread accepts clients, reads their
 * requests and writes the replies, never blocking on one (non-blocking
 * sockets, a deadline for each request and each reply); workers run the
 * commands; the verb table says which function serves which command. */
#include "ctl.h"
#include "log.h"
#include "egressd/clock.h"
#include "ctl_internal.h"
#include "ctl_reply.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>


/* Descriptors a client may pass with its request; the first is kept (a
 * feed to import), the others are closed at once. */
#define CTL_FDS_MAX 4
/* Groups of a peer read at most (SO_PEERGROUPS). */
#define CTL_PEER_GROUPS_MAX 65536

/* A client refused before its request was read (a stranger, a request too
 * large or too slow) still has its reply written, then what it sends is
 * read and dropped for a moment, so that it can finish sending and read
 * the reply instead of failing on a closed socket. Bounded in time and
 * bytes. */
#define CTL_DRAIN_MS 1000
#define CTL_DRAIN_MAX (16 * CTL_REQUEST_MAX)

enum client_state { CL_FREE, CL_READING, CL_WORKING, CL_WRITING, CL_DRAINING };

struct ctl_client {
	enum client_state state;
	int fd, passed_fd;
	uid_t uid;
	bool drain; /* refused unread: drain after the reply */
	size_t drained;
	/* ms, monotonic: to finish reading, to take the next share of the
	 * reply, or to end a drain */
	int64_t deadline;
	size_t window_pos; /* outpos when the reply's current window began */
	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outpos;
};

struct ctl_job {
	struct ctl_job *next;
	size_t slot;
	char *text; /* the request, NUL-terminated */
	bool cheap; /* its verb is cheap: any worker, the reserved one too */
	uid_t uid;
	int fd;
	char *reply;
	size_t replylen;
};

/* epoll tags beside the client slots */
#define TAG_LISTEN CTL_CLIENTS_MAX
#define TAG_WAKE (CTL_CLIENTS_MAX + 1)

/* ---- replies ---- */

/* The reply as one line (cJSON leaves room for the NUL, where the newline
 * goes). Takes o. */
static char *reply_text(cJSON *o, size_t *len)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (!s)
		s = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
	if (!s) {
		*len = 0;
		return NULL;
	}
	*len = strlen(s);
	s[(*len)++] = '\n';
	return s;
}

/* ---- the verb table ---- */

/* cheap: answered from memory or by one bounded read, within ~100 ms
 * whatever else runs; one worker is kept for these alone, so that
 * `containers` or `isolate` never waits behind imports, list changes
 * waiting for a rebuild, or long pages. */
static const struct verb {
	const char *name;
	cJSON *(*fn)(struct ctl_req *r);
	bool store; /* needs the store */
	bool cheap;
} verbs[] = {
	{ "containers", cmd_containers, false, true },
	{ "status", cmd_status, false, true },
	{ "isolate", cmd_isolate, false, true },
	{ "unisolate", cmd_unisolate, false, true },
	{ "events_overview", cmd_events_overview, true, true },
	{ "events_list", cmd_events_list, true, false },
	{ "events_show", cmd_events_show, true, true },
	{ "events_handle", cmd_events_handle, true, false },
	{ "events_whitelist", cmd_events_whitelist, true, false },
	{ "list_add", cmd_list_add, true, false },
	{ "list_get", cmd_list_get, true, false },
	{ "list_remove", cmd_list_remove, true, false },
	{ "lists", cmd_lists, true, true },
	{ "lists_import", cmd_lists_import, true, false },
	{ "audit", cmd_audit, true, false },
	{ "image", cmd_image, false, false },
};

/* The verb of a request (parsed), or NULL. */
static const struct verb *verb_of(const cJSON *req)
{
	const char *cmd = str_arg(req, "cmd");

	for (size_t i = 0; cmd && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(cmd, verbs[i].name))
			return &verbs[i];
	return NULL;
}

/* A malformed request or an unknown verb is refused at once: cheap. */
static bool request_cheap(const char *text)
{
	cJSON *req = cJSON_Parse(text);
	const struct verb *v = cJSON_IsObject(req) ? verb_of(req) : NULL;
	bool cheap = !v || v->cheap;

	cJSON_Delete(req);
	return cheap;
}

/* The console's user names (users.h): 1..32 of [a-z0-9_.-]. Anything
 * else would let a member of group egressd write what it likes into
 * the audit log. */
static bool actor_ok(const char *a)
{
	size_t n = strlen(a);

	if (n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') ||
		      (a[i] >= '0' && a[i] <= '9') || strchr("_.-", a[i])))
			return false;
	return true;
}

/* Runs the command of a parsed request. */
static cJSON *run_verb(struct ctl_req *r)
{
	const struct verb *v = verb_of(r->req);
	const char *cmd = str_arg(r->req, "cmd");

	if (v)
		return v->store && !r->store
			       ? reply_error("the store is not available", NULL)
			       : v->fn(r);
	return cmd ? reply_error("unknown command '%s'", cmd)
		   : reply_error("missing \"cmd\"", NULL);
}

static cJSON *dispatch(struct ctl_req *r, const char *text)
{
	cJSON *req = cJSON_Parse(text), *o;

	if (!cJSON_IsObject(req)) {
		cJSON_Delete(req);
		return reply_error("malformed request: expected one JSON object",
				   NULL);
	}
	r->req = req;
	r->actor = str_arg(req, "actor");
	if (!r->actor)
		r->actor = "";
	if (!actor_ok(r->actor))
		o = reply_error("bad \"actor\": a console user name", NULL);
	else
		o = run_verb(r);
	cJSON_Delete(req);
	return o;
}

cJSON *ctl_execute(struct ctl *c, const cJSON *req, const char *actor,
		   struct store *st)
{
	struct ctl_req r = { .c = c, .req = req, .uid = 0, .fd = -1,
			     .store = st, .actor = actor ? actor : "" };

	if (!cJSON_IsObject(req))
		return reply_error("malformed request: expected one JSON object",
				   NULL);
	return run_verb(&r);
}

/* ---- workers ---- */

static void job_push(struct ctl_jobq *q, struct ctl_job *j)
{
	j->next = NULL;
	*q->tail = j;
	q->tail = &j->next;
}

static struct ctl_job *job_pop(struct ctl_jobq *q)
{
	struct ctl_job *j = q->head;

	if (j && !(q->head = j->next))
		q->tail = &q->head;
	return j;
}

/* Cheap jobs first, for every worker; heavy ones for all but the
 * reserved one. Under jobs_lock. */
static struct ctl_job *job_take(struct ctl *c, bool reserved)
{
	struct ctl_job *j = job_pop(&c->todo_cheap);

	return j || reserved ? j : job_pop(&c->todo);
}

static void wake(int fd)
{
	uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

static void *worker(void *arg)
{
	struct ctl_worker *wa = arg;
	struct ctl *c = wa->c;
	struct store *st = NULL;
	char err[512] = "";

	/* A store that cannot be opened leaves the commands that need it
	 * saying so; the others still work. */
	if (store_open(c->cfg->state_dir, &st, err, sizeof(err)))
		log_err("control: %s\n", err);
	pthread_mutex_lock(&c->jobs_lock);
	for (;;) {
		struct ctl_job *j = NULL;
		while (!c->stopping && !(j = job_take(c, wa->reserved)))
			pthread_cond_wait(&c->jobs_cond, &c->jobs_lock);
		if (c->stopping)
			break; /* ctl_stop frees what is queued */
		pthread_mutex_unlock(&c->jobs_lock);

		struct ctl_req r = { .c = c, .uid = j->uid, .fd = j->fd, .store = st };
		j->reply = reply_text(dispatch(&r, j->text), &j->replylen);
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;

		pthread_mutex_lock(&c->jobs_lock);
		j->next = c->done;
		c->done = j;
		wake(c->io_wake);
	}
	pthread_mutex_unlock(&c->jobs_lock);
	store_close(st);
	return NULL;
}

/* ---- clients ---- */

static void client_close(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd); /* also leaves the epoll set */
	if (cl->passed_fd >= 0)
		close(cl->passed_fd);
	free(cl->in);
	free(cl->out);
	memset(cl, 0, sizeof(*cl));
	cl->fd = cl->passed_fd = -1;
}

/* After the reply: stop writing, take what still comes, then close. */
static void client_drain(struct ctl_client *cl)
{
	char junk[4096];
	ssize_t n;

	while ((n = recv(cl->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0 &&
	       (cl->drained += (size_t)n) < CTL_DRAIN_MAX)
		;
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    cl->drained < CTL_DRAIN_MAX)
		return;
	client_close(cl);
}

static void client_write(struct ctl *c, struct ctl_client *cl)
{
	while (cl->outpos < cl->outlen) {
		ssize_t n = send(cl->fd, cl->out + cl->outpos,
				 cl->outlen - cl->outpos,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings us back */
		if (n <= 0)
			break; /* the client is gone: nothing to tell it */
		cl->outpos += (size_t)n;
	}
	if (cl->outpos == cl->outlen && cl->drain) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
					  .data.u64 = (uint64_t)(cl - c->clients) };
		shutdown(cl->fd, SHUT_WR);
		cl->state = CL_DRAINING;
		cl->deadline = clock_mono_ms() + CTL_DRAIN_MS;
		if (!epoll_ctl(c->io_epoll, EPOLL_CTL_MOD, cl->fd, &ev)) {
			client_drain(cl);
			return;
		}
	}
	client_close(cl);
}

/* From now on only the reply matters: written as the client takes it,
 * as long as it takes CTL_REPLY_MIN_BYTES every CTL_REPLY_MS (expire).
 * Takes text. */
static void client_reply(struct ctl *c, size_t slot, char *text, size_t len)
{
	struct ctl_client *cl = &c->clients[slot];
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = slot };

	free(cl->out);
	cl->out = text;
	cl->outlen = text ? len : 0;
	cl->outpos = 0;
	cl->state = CL_WRITING;
	cl->deadline = clock_mono_ms() + CTL_REPLY_MS;
	cl->window_pos = 0;
	if (epoll_ctl(c->io_epoll, EPOLL_CTL_MOD, cl->fd, &ev) &&
	    epoll_ctl(c->io_epoll, EPOLL_CTL_ADD, cl->fd, &ev)) {
		client_close(cl);
		return;
	}
	client_write(c, cl);
}

/* An error before the request was taken: the reply, then a drain. */
static void client_fail(struct ctl *c, size_t slot, const char *msg)
{
	size_t len;
	char *t = reply_text(reply_error("%s", msg), &len);

	c->clients[slot].drain = true;
	client_reply(c, slot, t, len);
}

/* The request is whole: a worker takes it. The socket leaves the epoll
 * set meanwhile (a client that hung up must not wake us in a loop). */
static void client_submit(struct ctl *c, size_t slot)
{
	struct ctl_client *cl = &c->clients[slot];
	struct ctl_job *j = calloc(1, sizeof(*j));

	if (!j) {
		client_fail(c, slot, "out of memory");
		return;
	}
	cl->in[cl->inlen] = 0;
	j->slot = slot;
	j->text = cl->in;
	j->cheap = request_cheap(j->text);
	j->uid = cl->uid;
	j->fd = cl->passed_fd;
	cl->in = NULL;
	cl->passed_fd = -1;
	cl->state = CL_WORKING;
	epoll_ctl(c->io_epoll, EPOLL_CTL_DEL, cl->fd, NULL);
	pthread_mutex_lock(&c->jobs_lock);
	job_push(j->cheap ? &c->todo_cheap : &c->todo, j);
	/* All: the reserved worker must not take a heavy job's wake-up. */
	pthread_cond_broadcast(&c->jobs_cond);
	pthread_mutex_unlock(&c->jobs_lock);
}

/* Keeps the first descriptor passed; closes any other at once. */
static void take_fds(struct ctl_client *cl, struct msghdr *m)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
		size_t n;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (cl->passed_fd < 0)
				cl->passed_fd = fd;
			else
				close(fd);
		}
	}
}

/* Reads what has come: a request ends at a newline or when the client
 * stops writing. */
static void client_read(struct ctl *c, size_t slot)
{
	struct ctl_client *cl = &c->clients[slot];

	for (;;) {
		union {
			char b[CMSG_SPACE(CTL_FDS_MAX * sizeof(int))];
			struct cmsghdr align;
		} ctrl;
		struct iovec iov = { cl->in + cl->inlen, CTL_REQUEST_MAX - cl->inlen };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctrl.b,
				    .msg_controllen = sizeof(ctrl.b) };
		ssize_t n;

		if (cl->inlen == CTL_REQUEST_MAX) {
			client_fail(c, slot, "request larger than the limit");
			return;
		}
		n = recvmsg(cl->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			client_close(cl);
			return;
		}
		take_fds(cl, &m);
		if (n == 0 || memchr(cl->in + cl->inlen, '\n', (size_t)n)) {
			cl->inlen += (size_t)n;
			client_submit(c, slot);
			return;
		}
		cl->inlen += (size_t)n;
	}
}

/* Root, or a member of group egressd (primary or supplementary, asked of
 * the kernel with SO_PEERGROUPS: no /proc read, no race with the peer). */
static bool peer_allowed(const struct ctl *c, int fd, const struct ucred *cr)
{
	gid_t small[256], *g = small;
	socklen_t len = sizeof(small);
	bool ok = false;

	if (cr->uid == 0)
		return true;
	if (c->group == (gid_t)-1)
		return false;
	if (cr->gid == c->group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) &&
	    errno == ERANGE && len <= CTL_PEER_GROUPS_MAX * sizeof(gid_t) &&
	    (g = malloc(len)))
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len))
			len = 0;
	for (size_t i = 0; g && i < len / sizeof(gid_t) && !ok; i++)
		ok = g[i] == c->group;
	if (g != small)
		free(g);
	return ok;
}

/* A free slot for a client of uid, or CTL_CLIENTS_MAX. */
static size_t slot_for(const struct ctl *c, uid_t uid)
{
	size_t free_slot = CTL_CLIENTS_MAX, same = 0;

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		if (c->clients[i].state == CL_FREE) {
			if (free_slot == CTL_CLIENTS_MAX)
				free_slot = i;
		} else if (c->clients[i].uid == uid) {
			same++;
		}
	}
	return uid && same >= CTL_CLIENTS_PER_UID ? CTL_CLIENTS_MAX : free_slot;
}

static void refuse_busy(int fd)
{
	static const char busy[] = "{\"ok\":false,\"error\":\"busy: too "
				   "many clients at once\"}\n";

	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void on_accept(struct ctl *c)
{
	for (;;) {
		int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		struct ucred cr = { 0 };
		socklen_t cl_len = sizeof(cr);
		size_t slot;

		if (fd < 0)
			return; /* EAGAIN; EMFILE and the like: next time */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl_len)) {
			close(fd);
			continue;
		}
		slot = slot_for(c, cr.uid);
		if (slot == CTL_CLIENTS_MAX) {
			refuse_busy(fd);
			continue;
		}
		struct ctl_client *cl = &c->clients[slot];
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
					  .data.u64 = slot };
		cl->fd = fd;
		cl->passed_fd = -1;
		cl->state = CL_READING;
		cl->deadline = clock_mono_ms() + CTL_REQUEST_MS;
		cl->uid = cr.uid;
		if (!(cl->in = malloc(CTL_REQUEST_MAX + 1)) ||
		    epoll_ctl(c->io_epoll, EPOLL_CTL_ADD, fd, &ev)) {
			client_close(cl);
			continue;
		}
		if (!peer_allowed(c, fd, &cr))
			client_fail(c, slot, "permission denied: root or group "
					     "egressd only");
	}
}

/* Replies the workers finished go out. */
static void on_done(struct ctl *c)
{
	struct ctl_job *j, *next;
	uint64_t n;

	(void)!read(c->io_wake, &n, sizeof(n));
	pthread_mutex_lock(&c->jobs_lock);
	j = c->done;
	c->done = NULL;
	pthread_mutex_unlock(&c->jobs_lock);
	for (; j; j = next) {
		next = j->next;
		client_reply(c, j->slot, j->reply, j->replylen);
		free(j->text);
		free(j);
	}
}

/* A reply being taken: the client took its share of this window, so a
 * new one begins. A slow reader gets the whole reply; a stalled one is
 * cut at the end of the window it took too little in. */
static bool reply_progressed(struct ctl_client *cl, int64_t now)
{
	if (cl->state != CL_WRITING ||
	    cl->outpos - cl->window_pos < CTL_REPLY_MIN_BYTES)
		return false;
	cl->window_pos = cl->outpos;
	cl->deadline = now + CTL_REPLY_MS;
	return true;
}

/* Clients past their deadline: a request not whole in time gets an error;
 * a reply not taken fast enough is dropped. Returns the next deadline's
 * wait in ms, or -1 for none. */
static int expire(struct ctl *c)
{
	int64_t now = clock_mono_ms(), next = -1;

	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++) {
		struct ctl_client *cl = &c->clients[i];
		if (cl->state == CL_FREE || cl->state == CL_WORKING)
			continue;
		if (cl->deadline <= now && cl->state == CL_READING)
			client_fail(c, i, "request not received in time");
		else if (cl->deadline <= now && !reply_progressed(cl, now))
			client_close(cl);
		if (cl->state != CL_FREE && cl->state != CL_WORKING &&
		    (next < 0 || cl->deadline < next))
			next = cl->deadline;
	}
	return next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
}

static void *io_thread(void *arg)
{
	struct ctl *c = arg;
	struct epoll_event evs[32];

	while (!c->stopping) {
		int n = epoll_wait(c->io_epoll, evs, 32, expire(c));
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_LISTEN)
				on_accept(c);
			else if (tag == TAG_WAKE)
				on_done(c);
			else if (c->clients[tag].state == CL_READING)
				client_read(c, tag);
			else if (c->clients[tag].state == CL_WRITING)
				client_write(c, &c->clients[tag]);
			else if (c->clients[tag].state == CL_DRAINING)
				client_drain(&c->clients[tag]);
		}
	}
	return NULL;
}

/* ---- the socket ---- */

int ctl_socket_check(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a "
			 "socket; not removing it", path);
		return -EEXIST;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -EBUSY
		: fd >= 0 && errno == EAGAIN ? -EBUSY : 0;
	if (fd >= 0)
		close(fd);
	if (r)
		snprintf(err, errlen, "control socket %s: another egressd is "
			 "serving there", path);
	return r;
}

static int bind_socket(struct ctl *c, const char *path, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256];
	struct group *g = getgrnam("egressd");
	int r = ctl_socket_check(path, err, errlen);

	if (r)
		return r;
	strcpy(sa.sun_path, path);
	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0755);
	c->group = g ? g->gr_gid : (gid_t)-1;
	c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unlink(path); /* checked above: a stale socket of an earlier run */
	if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, 0660) || (g && chown(path, 0, g->gr_gid)) ||
	    listen(c->lfd, 128)) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

struct ctl *ctl_bind(const struct config *cfg, char *err, size_t errlen)
{
	struct ctl *c = calloc(1, sizeof(*c));

	if (!c || !(c->inv = calloc(1, sizeof(*c->inv))) ||
	    !(c->clients = calloc(CTL_CLIENTS_MAX, sizeof(*c->clients)))) {
		snprintf(err, errlen, "out of memory");
		if (c)
			free(c->inv);
		free(c);
		return NULL;
	}
	c->cfg = cfg;
	c->lfd = c->io_wake = c->io_epoll = -1;
	c->policy_out[0] = c->policy_out[1] = -1;
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		c->clients[i].fd = c->clients[i].passed_fd = -1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->jobs_lock, NULL);
	pthread_cond_init(&c->jobs_cond, NULL);
	c->todo.tail = &c->todo.head;
	c->todo_cheap.tail = &c->todo_cheap.head;
	if (bind_socket(c, cfg->socket, err, errlen) ||
	    pipe2(c->policy_out, O_CLOEXEC | O_NONBLOCK)) {
		if (!err[0])
			snprintf(err, errlen, "cannot create a pipe: %s",
				 strerror(errno));
		ctl_stop(c);
		return NULL;
	}
	return c;
}

static int io_start(struct ctl *c)
{
	struct epoll_event l = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
	struct epoll_event w = { .events = EPOLLIN, .data.u64 = TAG_WAKE };

	c->io_epoll = epoll_create1(EPOLL_CLOEXEC);
	c->io_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->io_epoll < 0 || c->io_wake < 0 ||
	    epoll_ctl(c->io_epoll, EPOLL_CTL_ADD, c->lfd, &l) ||
	    epoll_ctl(c->io_epoll, EPOLL_CTL_ADD, c->io_wake, &w))
		return -errno;
	return pthread_create(&c->io, NULL, io_thread, c) ? -EAGAIN : 0;
}

int ctl_start(struct ctl *c, struct isolation *iso,
	      const struct policy *initial, char *err, size_t errlen)
{
	c->iso = iso;
	if (c->cfg->docker_socket[0])
		c->docker = docker_open(c->cfg->docker_socket);
	if (ctl_policy_start(c, initial) || ctl_inventory_start(c) ||
	    io_start(c)) {
		snprintf(err, errlen, "cannot start the control threads");
		return -EAGAIN;
	}
	c->io_started = true;
	/* The first events come at once: their containers should be known
	 * by then. */
	ctl_inventory_fresh(c, 2000);
	for (; c->nworkers < CTL_WORKERS; c->nworkers++) {
		struct ctl_worker *wa = &c->worker_args[c->nworkers];
		*wa = (struct ctl_worker){ c, c->nworkers == 0 };
		if (pthread_create(&c->workers[c->nworkers], NULL, worker, wa)) {
			snprintf(err, errlen, "cannot start the control workers");
			return -EAGAIN;
		}
	}
	return 0;
}

static void jobs_free(struct ctl_job *j)
{
	while (j) {
		struct ctl_job *next = j->next;
		if (j->fd >= 0)
			close(j->fd);
		free(j->text);
		free(j->reply);
		free(j);
		j = next;
	}
}

void ctl_stop(struct ctl *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->jobs_lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->jobs_cond);
	pthread_mutex_unlock(&c->jobs_lock);
	if (c->io_started) {
		wake(c->io_wake);
		pthread_join(c->io, NULL);
	}
	for (size_t i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	ctl_inventory_stop(c);
	ctl_policy_stop(c);
	for (size_t i = 0; i < CTL_CLIENTS_MAX; i++)
		if (c->clients[i].state != CL_FREE)
			client_close(&c->clients[i]);
	jobs_free(c->todo.head);
	jobs_free(c->todo_cheap.head);
	jobs_free(c->done);
	if (c->lfd >= 0) {
		close(c->lfd);
		unlink(c->cfg->socket);
	}
	if (c->io_wake >= 0)
		close(c->io_wake);
	if (c->io_epoll >= 0)
		close(c->io_epoll);
	docker_close(c->docker);
	cJSON_Delete(c->sources);
	free(c->clients);
	free(c->inv);
	free(c);
}
