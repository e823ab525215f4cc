// SPDX-License-Identifier: GPL-2.0-or-later
/* A client of egressd's control socket (ctlclient.h). Every step is
 * non-blocking and bound by one deadline: egressd busy or stopped must
 * not hang the caller. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctlclient.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events until the deadline. Returns 0 or
 * -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pf = { fd, events, 0 };
		int64_t left = deadline - now_ms();
		int n;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pf, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static void attach_fd(struct msghdr *m, void *ctrl, size_t len, int fd)
{
	struct cmsghdr *cm;

	memset(ctrl, 0, len);
	m->msg_control = ctrl;
	m->msg_controllen = len;
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
}

/* Sends the request line, with pass_fd as SCM_RIGHTS on its first bytes
 * when set; a large request goes out in as many sends as the socket
 * takes, until the deadline. */
static int send_request(int fd, const char *text, int pass_fd,
			int64_t deadline)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctrl;
	size_t len = strlen(text), off = 0;
	char *line = malloc(len + 1);
	int r = 0;

	if (!line)
		return -ENOMEM;
	memcpy(line, text, len);
	line[len++] = '\n';
	while (!r && off < len) {
		struct iovec iov = { line + off, len - off };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;
		if (pass_fd >= 0 && !off)
			attach_fd(&m, ctrl.b, sizeof(ctrl.b), pass_fd);
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			break;
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			r = -errno;
	}
	free(line);
	return r;
}

static int connect_by(int fd, const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A full listen queue makes a non-blocking unix connect EAGAIN:
	 * retried until the deadline. */
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

/* Reads the reply until egressd closes, into a buffer that grows up to
 * max. */
static char *read_reply(int fd, int64_t deadline, size_t max, int *ret)
{
	size_t n = 0, cap = 65536;
	char *buf = malloc(cap), *p;
	ssize_t r;

	while (buf) {
		if (n + 1 == cap) {
			if (cap >= max) {
				*ret = -EFBIG;
				break;
			}
			p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		if ((*ret = wait_fd(fd, POLLIN, deadline)))
			break;
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			*ret = r < 0 ? -errno : 0;
			buf[n] = 0;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	if (!*ret)
		*ret = -ENOMEM;
	return NULL;
}

static int exchange(struct ctlclient_call *call, int fd, const char *text,
		    cJSON **ret)
{
	int64_t deadline = now_ms() + call->timeout_ms;
	char *buf;
	int e = connect_by(fd, call->socket, deadline);

	if (e) {
		call->failed = "cannot reach egressd at";
		return e;
	}
	/* egressd may refuse before reading (a stranger): a failed send
	 * still leaves its answer to read. */
	(void)send_request(fd, text, call->pass_fd, deadline);
	shutdown(fd, SHUT_WR);
	buf = read_reply(fd, deadline, call->reply_max, &e);
	if (!buf) {
		call->failed = "reading the reply of";
		return e;
	}
	*ret = cJSON_Parse(buf);
	free(buf);
	if (*ret)
		return 0;
	call->failed = "egressd sent no valid reply from";
	return e == -ETIMEDOUT ? e : -EBADMSG;
}

int ctlclient_request(struct ctlclient_call *call, const cJSON *req,
		      cJSON **ret)
{
	char *text = cJSON_PrintUnformatted(req);
	int fd, e;

	*ret = NULL;
	call->failed = "cannot reach egressd at";
	if (!text)
		return -ENOMEM;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	e = fd < 0 ? -errno : exchange(call, fd, text, ret);
	if (fd >= 0)
		close(fd);
	cJSON_free(text);
	return e;
}
