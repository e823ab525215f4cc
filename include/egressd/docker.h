/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A Docker Engine API client over dockerd's unix socket: the containers
 * (with the pid of each one's first process, the way into its namespaces)
 * and the container event stream. HTTP is libcurl's (over the unix socket:
 * CURLOPT_UNIX_SOCKET_PATH); what is ours are the JSON converters (cJSON)
 * and the splitter of the event stream into lines, both pure and fuzzed.
 * Only docker_list() and docker_events_*() touch the socket. Nothing here
 * logs: functions return 0 or a negative errno and, where asked, a
 * sentence for the caller to log once. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOCKER_SOCK_DEFAULT "/var/run/docker.sock"

/* Limits (they belong with the others in limits.h). */
/* A container id: 64 lowercase hex digits. */
#define DOCKER_ID_LEN 64
/* One request (connect, send, whole response) must end within this time:
 * dockerd answers in about a millisecond; a hung daemon must not hang us.
 * The event stream's request has it up to the end of its head. */
#define DOCKER_TIMEOUT_MS 2000
/* Status line, headers (and a chunked body's trailer) of a response, as
 * libcurl hands them over. dockerd sends ~250 bytes. */
#define DOCKER_HEAD_MAX 8192
/* A response body. /containers/json takes ~1 KiB per container, one
 * inspect ~5 KiB: 16 MiB leaves room for thousands of containers. */
#define DOCKER_BODY_MAX (16u << 20)
/* The body of a refused /events request: only its "message" is used. */
#define DOCKER_ERROR_BODY_MAX 4096
/* One event (one JSON line). dockerd's are ~400 bytes plus the container's
 * labels; a longer line is skipped, not fatal. */
#define DOCKER_EVENT_LINE_MAX (1u << 20)
/* Bytes read from the event socket at once (libcurl's receive buffer),
 * and taken per docker_events_read() call, so that a flood of events
 * cannot starve the caller's loop. */
#define DOCKER_EVENT_READ_MAX 16384
#define DOCKER_EVENT_READ_BUDGET (1u << 20)

struct docker_container {
	char id[DOCKER_ID_LEN + 1]; /* full 64-hex id */
	char name[128];		    /* without the leading '/' */
	char image[256];   /* Config.Image, e.g. "e2e-busybox:latest" */
	char image_id[80]; /* Image, "sha256:..." */
	bool running;	   /* State.Running (also true while paused) */
	int pid;	   /* State.Pid, 0 if not running */
	bool host_network; /* HostConfig.NetworkMode "host" */
};

struct docker_event {
	char id[DOCKER_ID_LEN + 1];
	/* Action up to its first ':' ("exec_start: sh -c x" -> "exec_start"):
	 * start, die, stop, kill, destroy, restart, pause, unpause, ... */
	char action[32];
	char name[128];	 /* Actor.Attributes.name, "" if absent */
	int exit_code;	 /* die, exec_die: Attributes.exitCode; else -1 */
	int64_t time_ns; /* timeNano, dockerd's clock (UTC); 0 if absent */
};

/* --- Pure parts: bytes in, structs out. ------------------------------ */

/* The body of GET /events (HTTP framing already removed): one JSON object
 * per line, fed in pieces as they come; a line may span pieces. */
struct docker_event_stream {
	char *buf; /* bytes not taken: whole lines, then part of one */
	size_t len, cap;
	size_t pos;	  /* start of the first line not yet taken */
	size_t tail;	  /* start of the unfinished line */
	size_t lines;	  /* whole lines in buf[pos..len) */
	size_t line_max;  /* DOCKER_EVENT_LINE_MAX (tests set less) */
	bool skipping;	  /* dropping the rest of an over-long line */
	uint64_t skipped; /* lines dropped: too long, not JSON, not ours */
};

void docker_event_stream_init(struct docker_event_stream *s);
/* Frees the buffer; s can be initialised again. Accepts NULL. */
void docker_event_stream_free(struct docker_event_stream *s);

/* Appends the next bytes of the body. The unfinished line is dropped
 * once it is longer than s->line_max (its rest too, as it comes), so s
 * holds at most that plus the whole lines not taken yet plus len: take
 * the events before feeding more. Returns 0 or -ENOMEM. */
int docker_event_stream_feed(struct docker_event_stream *s, const char *p,
			     size_t len);

/* True while a whole line is waiting to be taken. */
bool docker_event_stream_pending(const struct docker_event_stream *s);

/* Takes the next container event. Lines that are not container events
 * (or not JSON, or longer than s->line_max) are skipped and
 * counted in s->skipped; empty lines are skipped silently. Returns 0 with
 * *ret filled, -EAGAIN if no whole line is left. */
int docker_event_stream_next(struct docker_event_stream *s,
			     struct docker_event *ret);

/* Ids from a GET /containers/json body (an array of objects with "Id").
 * Returns 0; -ENOBUFS if there are more than max (the first max are in ids
 * and *ret_n); -EBADMSG if not such an array or an Id is not 64 hex. */
int docker_parse_ids(const char *json, size_t len,
		     char (*ids)[DOCKER_ID_LEN + 1], size_t max, size_t *ret_n);

/* A container from a GET /containers/ID/json body. Returns 0; -EBADMSG if
 * Id, Name or State.Running/Pid are missing or malformed; -ENAMETOOLONG if
 * a string does not fit its field. */
int docker_parse_container(const char *json, size_t len,
			   struct docker_container *ret);

/* One event line from GET /events. Returns 0; -ENOENT if it is not a
 * container event (Type other than "container"); -EBADMSG if malformed;
 * -ENAMETOOLONG if a string does not fit. */
int docker_parse_event(const char *json, size_t len, struct docker_event *ret);

/* The "message" of an error body ({"message":"No such container: x"}),
 * truncated to msglen and with control characters replaced by '?' (it goes
 * to logs). Returns 0 or -EBADMSG. */
int docker_parse_error(const char *json, size_t len, char *msg, size_t msglen);

/* --- I/O. -------------------------------------------------------------- */

/* libcurl's global set-up (curl_global_init): once per process, before
 * any other thread starts and before the sandbox (it may read files and
 * make syscalls the filter refuses later). Returns 0 or -EIO. */
int docker_global_init(void);
/* After the last docker_close(), when no other thread runs. */
void docker_global_cleanup(void);

struct docker;

/* Remembers the socket path (NULL: DOCKER_SOCK_DEFAULT); no I/O yet.
 * Returns NULL with errno ENAMETOOLONG or ENOMEM. */
struct docker *docker_open(const char *sock_path);
/* Closes the event stream if open, and the kept connection. Accepts
 * NULL. */
void docker_close(struct docker *d);

/* GET /containers/json?all=1, then GET /containers/ID/json for each
 * (containers removed in between are left out), on one connection kept
 * for the next call. Fills out[0..*n). Each request has DOCKER_TIMEOUT_MS
 * and a body of at most DOCKER_BODY_MAX. Returns 0; -ENOBUFS if dockerd
 * has more than max containers (the first max are in out and *n, err says
 * so); otherwise a negative errno with err saying what failed, e.g.
 * "cannot connect to /var/run/docker.sock: No such file or directory" or
 * "HTTP 500 from /containers/json: ...". err may be NULL. */
int docker_list(struct docker *d, struct docker_container *out, size_t max,
		size_t *n, char *err, size_t errlen);

/* Opens GET /events?filters={"type":["container"]} and waits (at most
 * DOCKER_TIMEOUT_MS) for its 200 head; replaces a stream already open.
 * Returns 0 or a negative errno with err as for docker_list(). */
int docker_events_open(struct docker *d, char *err, size_t errlen);

/* A descriptor to poll for POLLIN while the stream is open (the same one
 * until it is closed or reopened), or -EBADF if none is open. It is
 * readable when docker_events_read() has something to do: bytes on the
 * socket, events or an error left from the last call, a libcurl timer. */
int docker_events_fd(const struct docker *d);

/* Reads what the socket holds without blocking and returns the events
 * decoded so far in ev[0..*n). Returns 0 (*n may be 0); if *n == max more
 * may be buffered (the descriptor is then readable at once). Returns
 * -EPIPE once the stream has ended (dockerd closed it or sent its last
 * chunk), -ECONNRESET or another negative errno if it broke, -EBADMSG if
 * it was malformed, -ENOTCONN if none is open: the caller reopens it (and
 * lists again: events in between are lost). */
int docker_events_read(struct docker *d, struct docker_event *ev, size_t max,
		       size_t *n);

/* GET path (below http://localhost, e.g. "/images/x/json") with
 * DOCKER_TIMEOUT_MS and a DOCKER_BODY_MAX body. Returns 0 with the 200
 * body in *body (valid until the next request on d), or a negative errno
 * with err saying what failed (-ENOENT for a 404). */
int docker_get_body(struct docker *d, const char *path, const char **body,
		    size_t *len, char *err, size_t errlen);

/* --- Images: what the console's image page shows. ------------------- */

/* Layers of one image kept (docker history): images have tens. */
#define DOCKER_IMAGE_LAYERS_MAX 256
#define DOCKER_IMAGE_TAGS_MAX 16

struct docker_image_layer {
	int64_t created; /* seconds since the epoch, 0 if unknown */
	int64_t size;	 /* bytes the layer adds */
	char created_by[1024]; /* the command that built it (cut if longer) */
	char comment[256];
};

struct docker_image {
	char id[80]; /* "sha256:..." */
	size_t ntags;
	char tags[DOCKER_IMAGE_TAGS_MAX][256];
	int64_t created; /* seconds since the epoch, 0 if unknown */
	int64_t size;
	char os[32], arch[32];
	size_t nlayers; /* newest first, as docker history */
	struct docker_image_layer layers[DOCKER_IMAGE_LAYERS_MAX];
};

/* An image reference a request may carry: a name[:tag], name@digest, an
 * id or "sha256:" id; 1..255 of [A-Za-z0-9._:/@-], no "..". */
bool docker_image_ref_ok(const char *ref);
/* GET /images/REF/json into ret (tags, created, size, os, arch).
 * Returns 0 or -EBADMSG. */
int docker_parse_image(const char *json, size_t len, struct docker_image *ret);
/* GET /images/REF/history into ret->layers. Returns 0 or -EBADMSG; more
 * than DOCKER_IMAGE_LAYERS_MAX layers keep the newest. */
int docker_parse_history(const char *json, size_t len,
			 struct docker_image *ret);
/* Both requests. Returns 0, -EINVAL (a bad reference), -ENOENT (no such
 * image) or another negative errno with err filled. */
int docker_image_get(struct docker *d, const char *ref,
		     struct docker_image *ret, char *err, size_t errlen);
