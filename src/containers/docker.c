// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/docker.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------------
 * Event stream: the body of GET /events is one JSON object per line
 * ("{...}\n", one chunk each from dockerd, but a line may span chunks
 * and reads). Bytes are appended at the end of buf, lines taken from its
 * front; what was taken is dropped at the next feed.
 */
void docker_event_stream_init(struct docker_event_stream *s)
{
	*s = (struct docker_event_stream){ .line_max = DOCKER_EVENT_LINE_MAX };
}

void docker_event_stream_free(struct docker_event_stream *s)
{
	if (!s)
		return;
	free(s->buf);
	docker_event_stream_init(s);
}

/* Moves what is not taken yet to the front of buf. A buffer that grew for
 * a long line is given back once empty. */
static void stream_compact(struct docker_event_stream *s)
{
	size_t left = s->len - s->pos;

	if (!left && s->cap > 4 * DOCKER_EVENT_READ_MAX) {
		free(s->buf);
		s->buf = NULL;
		s->cap = 0;
	} else if (left && s->pos) {
		memmove(s->buf, s->buf + s->pos, left);
	}
	s->tail -= s->pos;
	s->len = left;
	s->pos = 0;
}

static int stream_reserve(struct docker_event_stream *s, size_t n)
{
	size_t cap = s->cap ? s->cap : 4096;
	char *b;

	if (n > SIZE_MAX / 4 - s->len)
		return -ENOMEM;
	if (s->len + n <= s->cap)
		return 0;
	while (cap < s->len + n)
		cap *= 2;
	b = realloc(s->buf, cap);
	if (!b)
		return -ENOMEM;
	s->buf = b;
	s->cap = cap;
	return 0;
}

/* Drops bytes of an over-long line up to its LF; returns how many. */
static size_t stream_skip(struct docker_event_stream *s, const char *p,
			  size_t len)
{
	const char *nl = memchr(p, '\n', len);

	if (!nl)
		return len;
	s->skipping = false;
	s->skipped++;
	return (size_t)(nl - p) + 1;
}

int docker_event_stream_feed(struct docker_event_stream *s, const char *p,
			     size_t len)
{
	const char *q = p, *nl;
	size_t k;

	if (s->skipping) {
		k = stream_skip(s, p, len);
		p += k;
		len -= k;
	}
	if (!len)
		return 0;
	stream_compact(s);
	if (stream_reserve(s, len))
		return -ENOMEM;
	memcpy(s->buf + s->len, p, len);
	for (q = p; (nl = memchr(q, '\n', len - (size_t)(q - p))); q = nl + 1) {
		s->lines++;
		s->tail = s->len + (size_t)(nl - p) + 1;
	}
	s->len += len;
	/* An unfinished line already too long to be taken: its bytes go now,
	 * its rest as it comes, so that a line without end costs no more
	 * than line_max. */
	if (s->len - s->tail > s->line_max) {
		s->len = s->tail;
		s->skipping = true;
	}
	return 0;
}

bool docker_event_stream_pending(const struct docker_event_stream *s)
{
	return s->lines > 0;
}

int docker_event_stream_next(struct docker_event_stream *s,
			     struct docker_event *ret)
{
	const char *l, *nl;
	size_t n;

	while (s->lines) {
		l = s->buf + s->pos;
		nl = memchr(l, '\n', s->len - s->pos);
		n = (size_t)(nl - l);
		s->pos += n + 1;
		s->lines--;
		if (!n)
			continue;
		/* The same line, whole in one piece, is skipped as it would
		 * have been had it come in pieces. */
		if (n <= s->line_max && !docker_parse_event(l, n, ret))
			return 0;
		s->skipped++;
	}
	return -EAGAIN;
}

/* ---------------------------------------------------------------------
 * JSON to structs.
 */
static bool is_docker_id(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= DOCKER_ID_LEN || !((s[i] >= '0' && s[i] <= '9') ||
					    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == DOCKER_ID_LEN;
}

/* The string member key of o, copied; -ENOENT if absent (or not a
 * string), -ENAMETOOLONG if it does not fit. */
static int json_str(const cJSON *o, const char *key, char *dst, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring)
		return -ENOENT;
	n = strlen(v->valuestring);
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, v->valuestring, n + 1);
	return 0;
}

/* As json_str, but absent is the empty string. */
static int json_str_opt(const cJSON *o, const char *key, char *dst, size_t size)
{
	int r = json_str(o, key, dst, size);

	if (r == -ENOENT) {
		dst[0] = 0;
		return 0;
	}
	return r;
}

static int json_id(const cJSON *o, const char *key, char *dst)
{
	int r = json_str(o, key, dst, DOCKER_ID_LEN + 1);

	if (r || !is_docker_id(dst))
		return -EBADMSG;
	return 0;
}

static cJSON *json_parse(const char *json, size_t len)
{
	return json ? cJSON_ParseWithLength(json, len) : NULL;
}

int docker_parse_ids(const char *json, size_t len,
		     char (*ids)[DOCKER_ID_LEN + 1], size_t max, size_t *ret_n)
{
	cJSON *root = json_parse(json, len);
	const cJSON *item;
	size_t n = 0;
	int r = 0;

	if (!cJSON_IsArray(root)) { /* also NULL: not JSON */
		cJSON_Delete(root);
		return -EBADMSG;
	}
	cJSON_ArrayForEach (item, root) {
		if (n == max) {
			r = -ENOBUFS;
			break;
		}
		if (!cJSON_IsObject(item) || json_id(item, "Id", ids[n++])) {
			r = -EBADMSG;
			break;
		}
	}
	cJSON_Delete(root);
	if (r && r != -ENOBUFS)
		return r;
	*ret_n = n;
	return r;
}

/* State.Running and State.Pid; a pid is a whole number in 0..INT_MAX. */
static int parse_state(const cJSON *root, struct docker_container *c)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(root, "State");
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(st, "Running");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(st, "Pid");

	if (!cJSON_IsObject(st) || !cJSON_IsBool(run) || !cJSON_IsNumber(pid) ||
	    !(pid->valuedouble >= 0 && pid->valuedouble <= INT_MAX) ||
	    pid->valuedouble != (double)(int)pid->valuedouble)
		return -EBADMSG;
	c->running = cJSON_IsTrue(run);
	c->pid = (int)pid->valuedouble;
	return 0;
}

/* HostConfig.NetworkMode: "host" puts the container on the host's own
 * network stack (no veth, no address of its own). Absent or another
 * mode ("default", "bridge", "none", "container:ID", a network's name):
 * not on the host's. */
static int parse_network_mode(const cJSON *root, struct docker_container *c)
{
	const cJSON *hc = cJSON_GetObjectItemCaseSensitive(root, "HostConfig");
	char mode[16];
	int r = json_str_opt(hc, "NetworkMode", mode, sizeof(mode));

	if (r == -ENAMETOOLONG) /* a long network name: not "host" */
		return 0;
	c->host_network = !r && !strcmp(mode, "host");
	return r;
}

static int parse_container(const cJSON *root, struct docker_container *c)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "Config");
	char name[sizeof(c->name) + 1];
	int r;

	if (json_id(root, "Id", c->id))
		return -EBADMSG;
	/* dockerd's names start with '/' (a legacy of links). */
	r = json_str(root, "Name", name, sizeof(name));
	if (r)
		return r == -ENOENT ? -EBADMSG : r;
	if (name[0] == '/')
		memmove(name, name + 1, strlen(name));
	if (strlen(name) >= sizeof(c->name))
		return -ENAMETOOLONG;
	strcpy(c->name, name);
	r = json_str_opt(cfg, "Image", c->image, sizeof(c->image));
	if (!r)
		r = json_str_opt(root, "Image", c->image_id,
				 sizeof(c->image_id));
	if (!r)
		r = parse_network_mode(root, c);
	return r ? r : parse_state(root, c);
}

int docker_parse_container(const char *json, size_t len,
			   struct docker_container *ret)
{
	struct docker_container c = { 0 };
	cJSON *root = json_parse(json, len);
	int r;

	r = cJSON_IsObject(root) ? parse_container(root, &c) : -EBADMSG;
	cJSON_Delete(root);
	if (r)
		return r;
	*ret = c;
	return 0;
}

/* Attributes.exitCode is a decimal string ("137"); -1 when absent. */
static int parse_exit_code(const cJSON *attrs)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(attrs, "exitCode");
	char *end;
	long x;

	if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
		return -1;
	errno = 0;
	x = strtol(v->valuestring, &end, 10);
	if (*end || errno || x < 0 || x > INT_MAX)
		return -1;
	return (int)x;
}

/* timeNano, else time in seconds; as doubles both lose a few hundred ns,
 * which is far below what the caller measures with it. */
static int64_t parse_event_time(const cJSON *root)
{
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(root, "timeNano");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "time");

	if (cJSON_IsNumber(ns) && ns->valuedouble > 0 && ns->valuedouble < 9e18)
		return (int64_t)ns->valuedouble;
	if (cJSON_IsNumber(s) && s->valuedouble > 0 && s->valuedouble < 9e9)
		return (int64_t)s->valuedouble * 1000000000;
	return 0;
}

/* Action up to its first ':' ("exec_create: sh -c x" carries the command). */
static int parse_action(const cJSON *root, char *dst, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "Action");
	const char *a;
	size_t n;

	if (!cJSON_IsString(v) || !v->valuestring || !v->valuestring[0])
		return -EBADMSG;
	a = v->valuestring;
	n = strcspn(a, ":");
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, a, n);
	dst[n] = 0;
	return 0;
}

static int parse_event(const cJSON *root, struct docker_event *e)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "Type");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(root, "Actor");
	const cJSON *attrs =
	    cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	int r;

	if (!cJSON_IsString(type) || !type->valuestring)
		return -EBADMSG;
	if (strcmp(type->valuestring, "container"))
		return -ENOENT;
	if (json_id(actor, "ID", e->id))
		return -EBADMSG;
	r = parse_action(root, e->action, sizeof(e->action));
	if (!r)
		r = json_str_opt(attrs, "name", e->name, sizeof(e->name));
	e->exit_code = parse_exit_code(attrs);
	e->time_ns = parse_event_time(root);
	return r;
}

int docker_parse_event(const char *json, size_t len, struct docker_event *ret)
{
	struct docker_event e = { 0 };
	cJSON *root = json_parse(json, len);
	int r;

	r = cJSON_IsObject(root) ? parse_event(root, &e) : -EBADMSG;
	cJSON_Delete(root);
	if (r)
		return r;
	*ret = e;
	return 0;
}

int docker_parse_error(const char *json, size_t len, char *msg, size_t msglen)
{
	cJSON *root = json_parse(json, len);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
	int r = -EBADMSG;

	if (msglen && cJSON_IsString(m) && m->valuestring) {
		snprintf(msg, msglen, "%s", m->valuestring);
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		r = 0;
	}
	cJSON_Delete(root);
	return r;
}

/* ---------------------------------------------------------------------
 * I/O: libcurl speaks HTTP over the unix socket (CURLOPT_UNIX_SOCKET_PATH:
 * nothing is resolved, no proxy is asked). Requests go to the
 * unversioned paths, as the docker CLI's first request does: dockerd
 * answers in its own current API version, and the few fields read here
 * (Id, Name, State, Image, Config.Image; Type, Action, Actor, time) have
 * not changed since API 1.22. A pinned version would be refused by a
 * dockerd that has dropped it (Docker 29 refuses anything below 1.44).
 */

/* One transfer's state, as libcurl's callbacks leave it. */
struct xfer {
	CURL *h;
	char *body; /* NUL-terminated */
	size_t body_len, body_cap, body_max;
	size_t head_bytes;
	long status; /* of the final head, once it has ended; else 0 */
	int err;     /* why a callback stopped the transfer */
	char curl_err[CURL_ERROR_SIZE];
};

/* The event stream: its own transfer, driven by the caller's poll loop
 * through libcurl's multi-socket API. libcurl says which socket to wait on
 * and for what (CURLMOPT_SOCKETFUNCTION) and when to call back
 * (CURLMOPT_TIMERFUNCTION); both go into an epoll set, whose descriptor is
 * what the caller polls. Its socket may change (reconnect, pause: libcurl
 * stops watching it) and libcurl needs its timers run, neither of which
 * the caller knows of: one epoll descriptor stays the same for the life
 * of the stream and wakes the caller for all of it. kick, an eventfd in
 * the set, wakes it when work is left for the next call (events decoded
 * but not taken, an error to say). */
struct docker_events {
	struct xfer x;
	CURLM *multi;
	bool added; /* x.h is in multi */
	int epfd, tfd, kfd;
	struct docker_event_stream lines;
	bool paused;  /* the write callback held bytes back */
	bool run_now; /* unpaused: run the transfer at once */
	bool done;    /* the transfer ended with result */
	CURLcode result;
	int io_err; /* epoll failed in a callback */
	int err;    /* an error met after events were returned: next time */
	size_t fed; /* bytes fed during this docker_events_read() */
};

struct docker {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct xfer list; /* docker_list's handle, kept with its connection */
	struct docker_events *ev;
};

/* filters={"type":["container"]}, URL-encoded. */
#define EVENTS_PATH "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"

int docker_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) ? -EIO : 0;
}

void docker_global_cleanup(void)
{
	curl_global_cleanup();
}

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Appends to x's body; -EFBIG beyond body_max. */
static int body_append(struct xfer *x, const char *p, size_t n)
{
	size_t cap = x->body_cap ? x->body_cap : 4096;
	char *b;

	if (n > x->body_max - x->body_len)
		return -EFBIG;
	if (x->body_len + n + 1 > x->body_cap) {
		while (cap < x->body_len + n + 1)
			cap *= 2;
		b = realloc(x->body, cap);
		if (!b)
			return -ENOMEM;
		x->body = b;
		x->body_cap = cap;
	}
	memcpy(x->body + x->body_len, p, n);
	x->body_len += n;
	x->body[x->body_len] = 0;
	return 0;
}

/* Before each request on x's handle. */
static void xfer_reset(struct xfer *x, size_t body_max)
{
	x->body_len = x->head_bytes = 0;
	x->body_max = body_max;
	x->status = 0;
	x->err = 0;
	x->curl_err[0] = 0;
}

static void xfer_free_body(struct xfer *x)
{
	free(x->body);
	x->body = NULL;
	x->body_len = x->body_cap = 0;
}

/* Each header line (and the trailer's after a chunked body). The blank
 * line ends a head: the final one unless its status is 1xx. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	long code = 0;

	(void)size; /* always 1 */
	x->head_bytes += n;
	if (x->head_bytes > DOCKER_HEAD_MAX) {
		x->err = -E2BIG;
		return 0; /* not n: libcurl ends the transfer */
	}
	if ((n == 2 && p[0] == '\r' && p[1] == '\n') ||
	    (n == 1 && p[0] == '\n')) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200)
			x->status = code;
	}
	return n;
}

/* A body of docker_list: kept up to DOCKER_BODY_MAX. */
static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	int r = body_append(x, p, n);

	(void)size;
	if (r) {
		x->err = r;
		return 0;
	}
	return n;
}

/* What every request sets: the socket, plain HTTP/1.1 and nothing else,
 * no signals (libcurl would use SIGALRM for timeouts and ignore SIGPIPE
 * behind the caller's back), a bounded connect, our callbacks. */
static int xfer_setup(struct xfer *x, const char *sock, const char *path,
		      curl_write_callback on_write, void *write_arg)
{
	char url[256];

	if (snprintf(url, sizeof(url), "http://localhost%s", path) >=
	    (int)sizeof(url))
		return -ENAMETOOLONG;
	if (curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, sock) ||
	    curl_easy_setopt(x->h, CURLOPT_URL, url) ||
	    curl_easy_setopt(x->h, CURLOPT_PROTOCOLS_STR, "http") ||
	    curl_easy_setopt(x->h, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(x->h, CURLOPT_HTTP_VERSION,
			     (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(x->h, CURLOPT_USERAGENT, "egressd") ||
	    curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS,
			     (long)DOCKER_TIMEOUT_MS) ||
	    curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->curl_err) ||
	    curl_easy_setopt(x->h, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(x->h, CURLOPT_HEADERDATA, x) ||
	    curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write) ||
	    curl_easy_setopt(x->h, CURLOPT_WRITEDATA, write_arg))
		return -ENOMEM; /* the options exist: only a copy can fail */
	return 0;
}

/* What a failed transfer means, as an errno. */
static int xfer_errno(const struct xfer *x, CURLcode c)
{
	long os = 0;

	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_WRITE_ERROR:
		return x->err ? x->err : -EIO;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_UNSUPPORTED_PROTOCOL: /* no status line: HTTP/0.9 */
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		return -EBADMSG;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	default:
		curl_easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
		if (os > 0 && os < 4096)
			return -(int)os;
		/* A receive error without a system error: bad chunking. */
		return c == CURLE_RECV_ERROR ? -EBADMSG : -EIO;
	}
}

/* The path as shown in messages: without its query. */
static int path_len(const char *path)
{
	return (int)strcspn(path, "?");
}

/* Says what went wrong with a request (c: libcurl's result, r: as an
 * errno). */
static int request_fail(const char *sock, const struct xfer *x,
			const char *path, CURLcode c, int r, char *err,
			size_t errlen)
{
	int pl = path_len(path);

	if (c == CURLE_COULDNT_CONNECT)
		return fail(err, errlen, r, "cannot connect to %s: %s", sock,
			    strerror(-r));
	switch (r) {
	case -ETIMEDOUT:
		return fail(err, errlen, r,
			    "no answer to %.*s from %s within %d ms", pl, path,
			    sock, DOCKER_TIMEOUT_MS);
	case -EBADMSG:
		return fail(err, errlen, r,
			    "malformed HTTP response to %.*s: %s", pl, path,
			    x->curl_err);
	case -E2BIG:
		return fail(err, errlen, r,
			    "response head to %.*s larger than %d bytes", pl,
			    path, DOCKER_HEAD_MAX);
	case -EFBIG:
		return fail(err, errlen, r,
			    "response to %.*s larger than %u bytes", pl, path,
			    DOCKER_BODY_MAX);
	case -ECONNRESET:
		return fail(err, errlen, r,
			    "%s closed the connection before the end of %.*s",
			    sock, pl, path);
	case -ENOMEM:
		return fail(err, errlen, r, "out of memory");
	default:
		return fail(err, errlen, r, "cannot read %.*s from %s: %s", pl,
			    path, sock,
			    x->curl_err[0] ? x->curl_err : strerror(-r));
	}
}

/* "HTTP 404 from /containers/x/json: No such container: x". 404 gives
 * -ENOENT (the container went away), anything else -EPROTO. */
static int status_fail(const char *path, const struct xfer *x, char *err,
		       size_t errlen)
{
	char msg[256] = "";
	int ret = x->status == 404 ? -ENOENT : -EPROTO;

	if (docker_parse_error(x->body, x->body_len, msg, sizeof(msg)))
		return fail(err, errlen, ret, "HTTP %ld from %.*s", x->status,
			    path_len(path), path);
	return fail(err, errlen, ret, "HTTP %ld from %.*s: %s", x->status,
		    path_len(path), path, msg);
}

struct docker *docker_open(const char *sock_path)
{
	struct docker *d;

	if (!sock_path)
		sock_path = DOCKER_SOCK_DEFAULT;
	if (strlen(sock_path) >= sizeof(d->path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	strcpy(d->path, sock_path);
	return d;
}

static void events_close(struct docker *d);

void docker_close(struct docker *d)
{
	if (!d)
		return;
	events_close(d);
	curl_easy_cleanup(d->list.h);
	xfer_free_body(&d->list);
	free(d);
}

/* GET path on docker_list's handle: 0 with the 200 body in d->list. */
static int docker_get(struct docker *d, const char *path, char *err,
		      size_t errlen)
{
	struct xfer *x = &d->list;
	CURLcode c;
	int r;

	if (!x->h) {
		x->h = curl_easy_init();
		if (!x->h)
			return fail(err, errlen, -ENOMEM, "out of memory");
	}
	xfer_reset(x, DOCKER_BODY_MAX);
	r = xfer_setup(x, d->path, path, on_body, x);
	if (!r && (curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS,
				    (long)DOCKER_TIMEOUT_MS) ||
		   curl_easy_setopt(x->h, CURLOPT_MAXFILESIZE_LARGE,
				    (curl_off_t)DOCKER_BODY_MAX)))
		r = -ENOMEM;
	if (r)
		return fail(err, errlen, r, "cannot set up GET %.*s: %s",
			    path_len(path), path, strerror(-r));
	c = curl_easy_perform(x->h);
	if (c)
		return request_fail(d->path, x, path, c, xfer_errno(x, c), err,
				    errlen);
	if (x->status != 200)
		return status_fail(path, x, err, errlen);
	return 0;
}

int docker_get_body(struct docker *d, const char *path, const char **body,
		    size_t *len, char *err, size_t errlen)
{
	int r = docker_get(d, path, err, errlen);

	if (!r) {
		*body = d->list.body ? d->list.body : "";
		*len = d->list.body_len;
	}
	return r;
}

/* GET /containers/ID/json into *c. -ENOENT: it was removed meanwhile. */
static int docker_inspect(struct docker *d, const char *id,
			  struct docker_container *c, char *err, size_t errlen)
{
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/containers/%s/json", id);
	ret = docker_get(d, path, err, errlen);
	if (ret)
		return ret;
	ret = docker_parse_container(d->list.body, d->list.body_len, c);
	if (ret)
		fail(err, errlen, ret, "unexpected JSON from %s: %s", path,
		     strerror(-ret));
	return ret;
}

/* The ids from GET /containers/json?all=1, in *ret_ids (to free). */
static int list_ids(struct docker *d, size_t max,
		    char (**ret_ids)[DOCKER_ID_LEN + 1], size_t *ret_n,
		    char *err, size_t errlen)
{
	static const char path[] = "/containers/json?all=1";
	char(*ids)[DOCKER_ID_LEN + 1] = calloc(max ? max : 1, sizeof(*ids));
	int ret;

	if (!ids)
		return fail(err, errlen, -ENOMEM, "out of memory");
	ret = docker_get(d, path, err, errlen);
	if (!ret) {
		ret = docker_parse_ids(d->list.body, d->list.body_len, ids, max,
				       ret_n);
		if (ret == -EBADMSG)
			fail(err, errlen, ret,
			     "unexpected JSON from /containers/json");
	}
	if (ret && ret != -ENOBUFS)
		free(ids);
	else
		*ret_ids = ids;
	return ret;
}

static int list_inspect_all(struct docker *d, char (*ids)[DOCKER_ID_LEN + 1],
			    size_t nids, struct docker_container *out,
			    size_t *n, char *err, size_t errlen)
{
	size_t k = 0;
	int r;

	for (size_t i = 0; i < nids; i++) {
		r = docker_inspect(d, ids[i], &out[k], err, errlen);
		if (r == -ENOENT)
			continue;
		if (r)
			return r;
		k++;
	}
	*n = k;
	return 0;
}

int docker_list(struct docker *d, struct docker_container *out, size_t max,
		size_t *n, char *err, size_t errlen)
{
	char(*ids)[DOCKER_ID_LEN + 1] = NULL;
	size_t nids = 0;
	int r, listed;

	if (err && errlen)
		err[0] = 0;
	listed = list_ids(d, max, &ids, &nids, err, errlen);
	if (listed && listed != -ENOBUFS) {
		xfer_free_body(&d->list);
		return listed;
	}
	r = list_inspect_all(d, ids, nids, out, n, err, errlen);
	free(ids);
	/* Up to 16 MiB: not kept between lists. */
	xfer_free_body(&d->list);
	if (r)
		return r;
	if (err && errlen)
		err[0] = 0; /* not the 404 of a container gone meanwhile */
	if (listed)
		return fail(err, errlen, listed,
			    "dockerd has more than %zu containers; listed the "
			    "first %zu",
			    max, max);
	return 0;
}

/* --- The event stream. ------------------------------------------------ */

/* Wakes the caller's poll: work is left for the next call. */
static void events_kick(struct docker_events *ev)
{
	uint64_t one = 1;

	(void)!write(ev->kfd, &one, sizeof(one));
}

static void events_unkick(struct docker_events *ev)
{
	uint64_t v;

	(void)!read(ev->kfd, &v, sizeof(v));
}

/* CURLMOPT_SOCKETFUNCTION: the socket libcurl waits on, in or out of the
 * epoll set. */
static int on_socket(CURL *h, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct docker_events *ev = arg;
	struct epoll_event e = { .data.fd = s };

	(void)h;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		/* libcurl may have closed it already: ENOENT or EBADF. */
		epoll_ctl(ev->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		e.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		e.events |= EPOLLOUT;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, s, &e) &&
	    (errno != ENOENT || epoll_ctl(ev->epfd, EPOLL_CTL_ADD, s, &e)))
		ev->io_err = -errno;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: libcurl wants to be called in ms (0: at once;
 * -1: never). */
static int on_timer(CURLM *m, long ms, void *arg)
{
	struct docker_events *ev = arg;
	struct itimerspec t = { 0 };

	(void)m;
	if (ms == 0)
		t.it_value.tv_nsec = 1; /* an all-zero value would disarm */
	else if (ms > 0)
		t.it_value =
		    (struct timespec){ ms / 1000, (ms % 1000) * 1000000 };
	if (timerfd_settime(ev->tfd, 0, &t, NULL))
		ev->io_err = -errno;
	return 0;
}

/* The body of /events: fed to the line splitter, or held back (paused)
 * while whole lines wait to be taken or this call's budget is spent, so
 * that the stream never holds more than one line plus one read. A
 * refused request's body is kept (cut) for its message. */
static size_t on_events_body(char *p, size_t size, size_t n, void *arg)
{
	struct docker_events *ev = arg;

	(void)size;
	if (ev->x.status != 200) {
		if (n > ev->x.body_max - ev->x.body_len)
			return n; /* beyond the message: dropped */
		return body_append(&ev->x, p, n) ? 0 : n;
	}
	if (docker_event_stream_pending(&ev->lines) ||
	    ev->fed >= DOCKER_EVENT_READ_BUDGET) {
		ev->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (docker_event_stream_feed(&ev->lines, p, n)) {
		ev->x.err = -ENOMEM;
		return 0;
	}
	ev->fed += n;
	return n;
}

static void events_free(struct docker_events *ev)
{
	if (!ev)
		return;
	if (ev->added)
		curl_multi_remove_handle(ev->multi, ev->x.h);
	curl_easy_cleanup(ev->x.h);
	if (ev->multi)
		curl_multi_cleanup(ev->multi);
	if (ev->epfd >= 0)
		close(ev->epfd);
	if (ev->tfd >= 0)
		close(ev->tfd);
	if (ev->kfd >= 0)
		close(ev->kfd);
	docker_event_stream_free(&ev->lines);
	xfer_free_body(&ev->x);
	free(ev);
}

static void events_close(struct docker *d)
{
	events_free(d->ev);
	d->ev = NULL;
}

/* The descriptors: epoll set, libcurl's timer, the kick. */
static int events_fds(struct docker_events *ev)
{
	struct epoll_event t = { .events = EPOLLIN }, k = t;

	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev->kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t.data.fd = ev->tfd;
	k.data.fd = ev->kfd;
	if (ev->epfd < 0 || ev->tfd < 0 || ev->kfd < 0 ||
	    epoll_ctl(ev->epfd, EPOLL_CTL_ADD, ev->tfd, &t) ||
	    epoll_ctl(ev->epfd, EPOLL_CTL_ADD, ev->kfd, &k))
		return -errno;
	return 0;
}

/* libcurl's side: a multi handle with our callbacks, the request on it
 * (libcurl starts it from its first timer). */
static int events_curl(struct docker_events *ev, const char *sock)
{
	int r;

	ev->multi = curl_multi_init();
	ev->x.h = curl_easy_init();
	if (!ev->multi || !ev->x.h)
		return -ENOMEM;
	if (curl_multi_setopt(ev->multi, CURLMOPT_SOCKETFUNCTION, on_socket) ||
	    curl_multi_setopt(ev->multi, CURLMOPT_SOCKETDATA, ev) ||
	    curl_multi_setopt(ev->multi, CURLMOPT_TIMERFUNCTION, on_timer) ||
	    curl_multi_setopt(ev->multi, CURLMOPT_TIMERDATA, ev))
		return -ENOMEM;
	xfer_reset(&ev->x, DOCKER_ERROR_BODY_MAX);
	r = xfer_setup(&ev->x, sock, EVENTS_PATH, on_events_body, ev);
	if (r)
		return r;
	if (curl_easy_setopt(ev->x.h, CURLOPT_BUFFERSIZE,
			     (long)DOCKER_EVENT_READ_MAX))
		return -ENOMEM;
	if (curl_multi_add_handle(ev->multi, ev->x.h))
		return -ENOMEM;
	ev->added = true;
	return ev->io_err;
}

static int events_new(const char *sock, struct docker_events **ret)
{
	struct docker_events *ev = calloc(1, sizeof(*ev));
	int r;

	if (!ev)
		return -ENOMEM;
	ev->epfd = ev->tfd = ev->kfd = -1;
	docker_event_stream_init(&ev->lines);
	r = events_fds(ev);
	if (!r)
		r = events_curl(ev, sock);
	if (r) {
		events_free(ev);
		return r;
	}
	*ret = ev;
	return 0;
}

static int curl_select(uint32_t events)
{
	int m = 0;

	if (events & (EPOLLIN | EPOLLHUP))
		m |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		m |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		m |= CURL_CSELECT_ERR;
	return m;
}

/* Has the transfer ended? */
static void events_reap(struct docker_events *ev)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(ev->multi, &left)))
		if (m->msg == CURLMSG_DONE) {
			ev->done = true;
			ev->result = m->data.result;
		}
}

/* One round without blocking: libcurl acts on what is ready (its socket,
 * its timer). */
static int events_drive(struct docker_events *ev)
{
	struct epoll_event e[4];
	CURLMcode mc = CURLM_OK;
	int n, running;
	uint64_t v;

	n = epoll_wait(ev->epfd, e, 4, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (ev->run_now) {
		ev->run_now = false;
		mc = curl_multi_socket_action(ev->multi, CURL_SOCKET_TIMEOUT, 0,
					      &running);
	}
	for (int i = 0; i < n && !mc; i++) {
		int fd = e[i].data.fd;
		if (fd == ev->kfd) {
			events_unkick(ev);
		} else if (fd == ev->tfd) {
			(void)!read(ev->tfd, &v, sizeof(v));
			mc = curl_multi_socket_action(
			    ev->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		} else {
			mc = curl_multi_socket_action(
			    ev->multi, fd, curl_select(e[i].events), &running);
		}
	}
	if (mc)
		return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
	events_reap(ev);
	return ev->io_err;
}

/* Drives the transfer until its final head has ended (or, with whole,
 * until the transfer has), or it failed: 0, or -ETIMEDOUT at the
 * deadline. */
static int events_wait(struct docker_events *ev, int64_t deadline, bool whole)
{
	struct pollfd p = { .fd = ev->epfd, .events = POLLIN };
	int64_t left;
	int r;

	for (;;) {
		r = events_drive(ev);
		if (r || ev->done || (ev->x.status && !whole))
			return r;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
	}
}

/* The event stream's end: dockerd closed it (stopping, restarting) or
 * ended the body; else how it broke. */
static int events_result(const struct docker_events *ev)
{
	if (ev->result == CURLE_OK || ev->result == CURLE_PARTIAL_FILE)
		return -EPIPE;
	return xfer_errno(&ev->x, ev->result);
}

/* Reads what is left of a refused request (its message) and says why. */
static int events_refused(struct docker *d, int64_t deadline, char *err,
			  size_t errlen)
{
	struct docker_events *ev = d->ev;

	if (events_wait(ev, deadline, true) || !ev->done || ev->result)
		ev->x.body_len = 0; /* the status alone, then */
	status_fail(EVENTS_PATH, &ev->x, err, errlen);
	return -EPROTO;
}

/* Work left for the next call must wake the caller's poll: libcurl no
 * longer watches a socket that is paused or closed. */
static void events_settle(struct docker_events *ev)
{
	if (ev->err || ev->done || ev->paused || ev->run_now ||
	    docker_event_stream_pending(&ev->lines))
		events_kick(ev);
}

int docker_events_open(struct docker *d, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + DOCKER_TIMEOUT_MS;
	struct docker_events *ev;
	int r;

	if (err && errlen)
		err[0] = 0;
	events_close(d);
	r = events_new(d->path, &d->ev);
	if (r)
		return fail(err, errlen, r,
			    "cannot set up the event stream: %s", strerror(-r));
	ev = d->ev;
	r = events_wait(ev, deadline, false);
	if (r == -ETIMEDOUT)
		r = request_fail(d->path, &ev->x, EVENTS_PATH,
				 CURLE_OPERATION_TIMEDOUT, r, err, errlen);
	else if (r)
		r = fail(err, errlen, r, "cannot wait for %s: %s", d->path,
			 strerror(-r));
	else if (!ev->x.status) /* ended without a head */
		r = request_fail(d->path, &ev->x, EVENTS_PATH, ev->result,
				 xfer_errno(&ev->x, ev->result), err, errlen);
	else if (ev->x.status != 200)
		r = events_refused(d, deadline, err, errlen);
	if (r) {
		events_close(d);
		return r;
	}
	events_settle(ev);
	return 0;
}

int docker_events_fd(const struct docker *d)
{
	return d->ev ? d->ev->epfd : -EBADF;
}

/* Gives libcurl what it holds back to the splitter. */
static int events_unpause(struct docker_events *ev)
{
	CURLcode c;

	ev->paused = false;
	c = curl_easy_pause(ev->x.h, CURLPAUSE_CONT);
	/* The rest may wait on the socket already read out: run it. */
	ev->run_now = true;
	return c ? xfer_errno(&ev->x, c) : 0;
}

/* Takes events, unpausing and driving libcurl while it has more, until
 * max, the end, or the budget. */
static int events_take(struct docker_events *ev, struct docker_event *out,
		       size_t max, size_t *n)
{
	size_t k = 0, before;
	int r = 0;

	while (k < max) {
		if (!docker_event_stream_next(&ev->lines, &out[k])) {
			k++;
			continue;
		}
		if (ev->done) {
			r = events_result(ev);
			break;
		}
		if (ev->fed >= DOCKER_EVENT_READ_BUDGET)
			break;
		before = ev->fed;
		r = ev->paused ? events_unpause(ev) : events_drive(ev);
		if (r || (ev->fed == before && !ev->done && !ev->paused))
			break;
	}
	*n = k;
	return r;
}

int docker_events_read(struct docker *d, struct docker_event *ev, size_t max,
		       size_t *n)
{
	struct docker_events *s = d->ev;
	size_t k = 0;
	int r;

	if (!s)
		return -ENOTCONN;
	if (s->err)
		return s->err;
	events_unkick(s);
	s->fed = 0;
	r = events_take(s, ev, max, &k);
	if (r)
		s->err = r; /* said now if no events came, else next time */
	events_settle(s);
	if (r && !k)
		return r;
	*n = k;
	return 0;
}
