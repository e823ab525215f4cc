/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A Docker Engine API client over dockerd's unix socket: the containers
 * (with the pid of each one's first process, the way into its namespaces)
 * and the container event stream. HTTP/1.1 is written by hand and bodies are
 * JSON (cJSON). The byte-level parts (response head, chunked decoder,
 * response reader, event stream, JSON converters) are pure and fuzzed; only
 * docker_list() and docker_events_*() touch the socket. Nothing here logs:
 * functions return 0 or a negative errno and, where asked, a sentence for
 * the caller to log once. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOCKER_SOCK_DEFAULT "/var/run/docker.sock"

/* Limits (they belong with the others in limits.h). */
/* A container id: 64 lowercase hex digits. */
#define DOCKER_ID_LEN 64
/* One request (connect, send, whole response) must end within this time:
 * dockerd answers in about a millisecond; a hung daemon must not hang us. */
#define DOCKER_TIMEOUT_MS 2000
/* Status line and headers of a response. dockerd sends ~250 bytes. */
#define DOCKER_HEAD_MAX 8192
#define DOCKER_HEADERS_MAX 100
/* A response body. /containers/json takes ~1 KiB per container, one
 * inspect ~5 KiB: 16 MiB leaves room for thousands of containers. */
#define DOCKER_BODY_MAX (16u << 20)
/* A chunk size line (hex size and extensions), the trailer after the last
 * chunk, and the largest chunk size believed (a larger one is hostile). */
#define DOCKER_CHUNK_LINE_MAX 1024
#define DOCKER_CHUNK_TRAILER_MAX 8192
#define DOCKER_CHUNK_MAX DOCKER_BODY_MAX
/* One event (one JSON line). dockerd's are ~400 bytes plus the container's
 * labels; a longer line is skipped, not fatal. */
#define DOCKER_EVENT_LINE_MAX (1u << 20)
/* Bytes read from the event socket at once, and per docker_events_read()
 * call, so that a flood of events cannot starve the caller's loop. */
#define DOCKER_EVENT_READ_MAX 16384
#define DOCKER_EVENT_READ_BUDGET (1u << 20)

struct docker_container {
	char id[DOCKER_ID_LEN + 1]; /* full 64-hex id */
	char name[128];		    /* without the leading '/' */
	char image[256];   /* Config.Image, e.g. "e2e-busybox:latest" */
	char image_id[80]; /* Image, "sha256:..." */
	bool running;	   /* State.Running (also true while paused) */
	int pid;	   /* State.Pid, 0 if not running */
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

/* Status line and headers of an HTTP/1.x response. */
struct docker_http_head {
	int status;   /* 200..599 */
	size_t len;   /* bytes up to and including the blank line */
	bool chunked; /* Transfer-Encoding: chunked */
	bool has_length;
	size_t length; /* Content-Length */
};

/* Parses the head at the start of p. Returns 0; -EAGAIN if the head is not
 * complete yet; -EBADMSG if it is not an HTTP/1.x response with status
 * 200..599 (1xx are never asked for), has a malformed or folded header,
 * Content-Length twice, or together with Transfer-Encoding, or a transfer
 * coding other than chunked; -E2BIG if longer than DOCKER_HEAD_MAX or more
 * than DOCKER_HEADERS_MAX headers; -EFBIG if Content-Length exceeds
 * DOCKER_BODY_MAX. */
int docker_http_parse_head(const char *p, size_t len,
			   struct docker_http_head *ret);

/* State of a chunked-body decoder, kept across reads. */
struct docker_chunk {
	int state;
	size_t size; /* chunk size being read, then its data bytes left;
		      * in the trailer, the length of the current line */
	size_t line; /* bytes of the size line, or of the whole trailer */
};

void docker_chunk_init(struct docker_chunk *c);

/* Decodes the next bytes of a chunked body: the data goes to out, which
 * must have room for len bytes (data never outgrows its framing). Stops
 * after the blank line that ends the trailer. *ret_used: input bytes taken,
 * *ret_out: data bytes written. Returns 0 when the body has ended, -EAGAIN
 * when it needs more bytes (all of in was taken), -EBADMSG for bad framing,
 * -EFBIG for a chunk larger than DOCKER_CHUNK_MAX. */
int docker_chunk_decode(struct docker_chunk *c, const char *in, size_t len,
			char *out, size_t *ret_used, size_t *ret_out);

/* Reads one response from bytes fed in any pieces: head, then the body
 * decoded (Content-Length, chunked, or up to the end of the connection). */
struct docker_response {
	struct docker_http_head head; /* valid once docker_response_has_head */
	char *body; /* decoded body, NUL-terminated; NULL while empty */
	size_t body_len;
	/* private */
	int state;
	size_t body_cap, body_max, got, head_fill;
	struct docker_chunk chunk;
	char head_buf[DOCKER_HEAD_MAX];
};

void docker_response_init(struct docker_response *r, size_t body_max);
/* Frees the body; r can be initialised again. Accepts NULL. */
void docker_response_free(struct docker_response *r);
bool docker_response_has_head(const struct docker_response *r);

/* Feeds the next bytes. Returns 0 when the response is complete (*ret_used:
 * the bytes of p that belonged to it; more fed later are ignored), -EAGAIN
 * when it needs more (all of p was taken), the errors of
 * docker_http_parse_head() and docker_chunk_decode(), -EFBIG if the body
 * exceeds body_max, -ENOMEM. */
int docker_response_feed(struct docker_response *r, const char *p, size_t len,
			 size_t *ret_used);

/* The peer closed the connection. Returns 0 if that ends the response (it
 * was complete, or its body runs to the end of the connection), else
 * -ECONNRESET. */
int docker_response_eof(struct docker_response *r);

/* The event stream: a response whose chunked body is one JSON object per
 * line, read as it comes. */
struct docker_event_stream {
	struct docker_response resp;
	size_t pos;	  /* start of the first line not yet taken */
	bool skipping;	  /* dropping the rest of an over-long line */
	bool eof;	  /* the peer closed */
	uint64_t skipped; /* lines dropped: too long, not JSON, not ours */
};

void docker_event_stream_init(struct docker_event_stream *s);
void docker_event_stream_free(struct docker_event_stream *s);

/* Feeds at most DOCKER_EVENT_READ_MAX bytes. Take the events with
 * docker_event_stream_next() until -EAGAIN before feeding again. Returns 0,
 * -ENOBUFS if len is larger or events were left untaken, or the errors of
 * docker_response_feed(). */
int docker_event_stream_feed(struct docker_event_stream *s, const char *p,
			     size_t len);
/* The peer closed the connection. */
void docker_event_stream_eof(struct docker_event_stream *s);

/* Takes the next container event. Lines that are not container events
 * (or not JSON, or too long) are skipped and counted in s->skipped.
 * Returns 0 with *ret filled; -EAGAIN if no complete line is buffered;
 * -EPIPE once the stream has ended and every event was taken; -EPROTO if
 * the response status is not 200. */
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

struct docker;

/* Remembers the socket path (NULL: DOCKER_SOCK_DEFAULT); no I/O yet.
 * Returns NULL with errno ENAMETOOLONG or ENOMEM. */
struct docker *docker_open(const char *sock_path);
/* Closes the event stream if open. Accepts NULL. */
void docker_close(struct docker *d);

/* GET /containers/json?all=1, then GET /containers/ID/json for each
 * (containers removed in between are left out). Fills out[0..*n). Each
 * request has DOCKER_TIMEOUT_MS. Returns 0; -ENOBUFS if dockerd has more
 * than max containers (the first max are in out and *n, err says so);
 * otherwise a negative errno with err saying what failed, e.g.
 * "cannot connect to /var/run/docker.sock: No such file or directory" or
 * "HTTP 500 from /containers/json: ...". err may be NULL. */
int docker_list(struct docker *d, struct docker_container *out, size_t max,
		size_t *n, char *err, size_t errlen);

/* Opens GET /events?filters={"type":["container"]} and waits (at most
 * DOCKER_TIMEOUT_MS) for its 200 head; replaces a stream already open.
 * Returns 0 or a negative errno with err as for docker_list(). */
int docker_events_open(struct docker *d, char *err, size_t errlen);

/* The stream's socket to poll for POLLIN, or -EBADF if none is open. */
int docker_events_fd(const struct docker *d);

/* Reads what the socket holds without blocking and returns the events
 * decoded so far in ev[0..*n). Returns 0 (*n may be 0); if *n == max more
 * may be buffered: call again before polling. Returns -EPIPE once the
 * stream has ended (dockerd closed it or sent its last chunk),
 * -ECONNRESET or another negative errno if it broke, -EBADMSG if it was
 * malformed, -ENOTCONN if none is open: the caller reopens it (and lists
 * again: events in between are lost). */
int docker_events_read(struct docker *d, struct docker_event *ev, size_t max,
		       size_t *n);
