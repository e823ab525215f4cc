// SPDX-License-Identifier: GPL-2.0-or-later
#include "egressd/docker.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "egressd/cursor.h"

/* ---------------------------------------------------------------------
 * Response head.
 *
 *   HTTP/1.1 200 OK\r\n                      status line
 *   Api-Version: 1.41\r\n                    headers: name ":" OWS value
 *   Content-Type: application/json\r\n
 *   Transfer-Encoding: chunked\r\n           or Content-Length: 98
 *   \r\n                                     end of head
 *
 * Lines end in CRLF (bare LF is accepted); obsolete line folding is not.
 */

/* The next line of c without its LF or CRLF; -EAGAIN if none is complete. */
static int cursor_line(struct cursor *c, const char **ret, size_t *ret_len)
{
	const uint8_t *start = cursor_ptr(c), *nl;
	size_t n;

	if (!cursor_left(c))
		return -EAGAIN;
	nl = memchr(start, '\n', cursor_left(c));
	if (!nl)
		return -EAGAIN;
	n = (size_t)(nl - start);
	cursor_skip(c, n + 1);
	if (n && start[n - 1] == '\r')
		n--;
	*ret = (const char *)start;
	*ret_len = n;
	return 0;
}

/* Header bytes are visible ASCII, space and tab: a CR or NUL inside a line
 * is a smuggling attempt or garbage, never dockerd. */
static bool line_clean(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
			return false;
	return true;
}

/* "HTTP/1.x SSS reason" (the reason may be empty or absent). */
static int parse_status_line(const char *l, size_t n, int *ret)
{
	int s;

	if (n < 12 || memcmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1') ||
	    l[8] != ' ' || (n > 12 && l[12] != ' '))
		return -EBADMSG;
	for (size_t i = 9; i < 12; i++)
		if (l[i] < '0' || l[i] > '9')
			return -EBADMSG;
	s = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (s < 200 || s > 599)
		return -EBADMSG;
	*ret = s;
	return 0;
}

/* Content-Length: decimal digits only, no sign, no list. */
static int parse_length(const char *v, size_t n, size_t *ret)
{
	size_t x = 0;

	if (!n)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EBADMSG;
		x = x * 10 + (size_t)(v[i] - '0');
		if (x > DOCKER_BODY_MAX)
			return -EFBIG;
	}
	*ret = x;
	return 0;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return n == strlen(want) && !strncasecmp(name, want, n);
}

static int parse_header(const char *l, size_t n, struct docker_http_head *h)
{
	const char *colon = memchr(l, ':', n), *v;
	size_t nl, vl;
	int r;

	/* No empty name, no folding, no space before the colon. */
	if (!colon || colon == l || l[0] == ' ' || l[0] == '\t' ||
	    colon[-1] == ' ' || colon[-1] == '\t')
		return -EBADMSG;
	nl = (size_t)(colon - l);
	v = colon + 1;
	vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (name_is(l, nl, "Content-Length")) {
		if (h->has_length)
			return -EBADMSG;
		r = parse_length(v, vl, &h->length);
		if (r)
			return r;
		h->has_length = true;
	} else if (name_is(l, nl, "Transfer-Encoding")) {
		if (h->chunked || !name_is(v, vl, "chunked"))
			return -EBADMSG;
		h->chunked = true;
	}
	return 0;
}

int docker_http_parse_head(const char *p, size_t len,
			   struct docker_http_head *ret)
{
	struct docker_http_head h = { 0 };
	struct cursor c;
	const char *l;
	size_t n, nlines = 0;
	int r;

	cursor_init(&c, p, len > DOCKER_HEAD_MAX ? DOCKER_HEAD_MAX : len);
	for (;;) {
		r = cursor_line(&c, &l, &n);
		if (r == -EAGAIN)
			return len >= DOCKER_HEAD_MAX ? -E2BIG : -EAGAIN;
		if (!line_clean(l, n))
			return -EBADMSG;
		if (!nlines++) {
			r = parse_status_line(l, n, &h.status);
		} else if (!n) {
			break;
		} else if (nlines > DOCKER_HEADERS_MAX + 1) {
			return -E2BIG;
		} else {
			r = parse_header(l, n, &h);
		}
		if (r)
			return r;
	}
	if (h.chunked && h.has_length)
		return -EBADMSG;
	h.len = c.pos;
	*ret = h;
	return 0;
}

/* ---------------------------------------------------------------------
 * Chunked body (RFC 9112 7.1), decoded byte by byte except for the data,
 * which is copied in one go:
 *
 *   1a3[;ext=val]\r\n  <0x1a3 bytes of data>\r\n
 *   ...
 *   0\r\n  [trailer: header lines]  \r\n
 */
enum {
	CH_SIZE,    /* hex digits of the size */
	CH_EXT,	    /* after the size: extensions up to LF */
	CH_SIZE_LF, /* CR seen after the size */
	CH_DATA,
	CH_DATA_CR, /* data done: CRLF (or LF) follows */
	CH_DATA_LF,
	CH_TRAILER, /* after the last chunk: lines up to an empty one */
	CH_DONE,
};

void docker_chunk_init(struct docker_chunk *c)
{
	*c = (struct docker_chunk){ .state = CH_SIZE };
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* The size line ended: data follows, or the trailer after the last chunk. */
static int chunk_size_end(struct docker_chunk *c)
{
	c->state = c->size ? CH_DATA : CH_TRAILER;
	c->line = 0;
	return 0;
}

static int chunk_size_char(struct docker_chunk *c, char ch)
{
	int v = hex_value(ch);

	if (v >= 0) {
		/* Checked before it can overflow: size <= CHUNK_MAX here. */
		c->size = c->size * 16 + (size_t)v;
		if (c->size > DOCKER_CHUNK_MAX)
			return -EFBIG;
		return ++c->line > DOCKER_CHUNK_LINE_MAX ? -EBADMSG : 0;
	}
	if (!c->line) /* no digit yet */
		return -EBADMSG;
	if (ch == ';' || ch == ' ' || ch == '\t')
		c->state = CH_EXT;
	else if (ch == '\r')
		c->state = CH_SIZE_LF;
	else if (ch == '\n')
		return chunk_size_end(c);
	else
		return -EBADMSG;
	return 0;
}

static int chunk_trailer_char(struct docker_chunk *c, char ch)
{
	if (ch == '\n') {
		if (!c->size) /* an empty line: the end */
			c->state = CH_DONE;
		c->size = 0;
	} else if (ch != '\r') {
		c->size++; /* bytes of this trailer line */
	}
	return ++c->line > DOCKER_CHUNK_TRAILER_MAX ? -EBADMSG : 0;
}

/* The LF after a chunk's data: the next size line follows. */
static int chunk_data_end(struct docker_chunk *c, char ch)
{
	if (ch != '\n')
		return -EBADMSG;
	docker_chunk_init(c);
	return 0;
}

static int chunk_step(struct docker_chunk *c, char ch)
{
	switch (c->state) {
	case CH_SIZE:
		return chunk_size_char(c, ch);
	case CH_EXT:
		if (ch == '\n')
			return chunk_size_end(c);
		return ++c->line > DOCKER_CHUNK_LINE_MAX ? -EBADMSG : 0;
	case CH_SIZE_LF:
		return ch == '\n' ? chunk_size_end(c) : -EBADMSG;
	case CH_DATA_CR:
		if (ch == '\r') {
			c->state = CH_DATA_LF;
			return 0;
		}
		return chunk_data_end(c, ch); /* a bare LF */
	case CH_DATA_LF:
		return chunk_data_end(c, ch);
	case CH_TRAILER:
		return chunk_trailer_char(c, ch);
	default:
		return -EINVAL;
	}
}

int docker_chunk_decode(struct docker_chunk *c, const char *in, size_t len,
			char *out, size_t *ret_used, size_t *ret_out)
{
	size_t i = 0, o = 0, k;
	int r;

	while (i < len && c->state != CH_DONE) {
		if (c->state != CH_DATA) {
			r = chunk_step(c, in[i++]);
			if (r)
				return r;
			continue;
		}
		k = len - i < c->size ? len - i : c->size;
		memcpy(out + o, in + i, k);
		i += k;
		o += k;
		c->size -= k;
		if (!c->size)
			c->state = CH_DATA_CR;
	}
	*ret_used = i;
	*ret_out = o;
	return c->state == CH_DONE ? 0 : -EAGAIN;
}

/* ---------------------------------------------------------------------
 * Response reader: head bytes gather in head_buf until the blank line;
 * the body is decoded into a buffer that grows up to body_max.
 */
enum { RESP_HEAD, RESP_BODY, RESP_DONE };

void docker_response_init(struct docker_response *r, size_t body_max)
{
	r->head = (struct docker_http_head){ 0 };
	r->body = NULL;
	r->body_len = r->body_cap = r->got = r->head_fill = 0;
	r->body_max = body_max;
	r->state = RESP_HEAD;
	docker_chunk_init(&r->chunk);
}

void docker_response_free(struct docker_response *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}

bool docker_response_has_head(const struct docker_response *r)
{
	return r->state != RESP_HEAD;
}

/* Room for n more body bytes and a NUL. */
static int body_reserve(struct docker_response *r, size_t n)
{
	size_t need = r->body_len + n + 1,
	       cap = r->body_cap ? r->body_cap : 4096;
	char *b;

	if (need <= r->body_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	b = realloc(r->body, cap);
	if (!b)
		return -ENOMEM;
	r->body = b;
	r->body_cap = cap;
	return 0;
}

/* After the head: what delimits the body. 204 and 304 have none. */
static void response_start_body(struct docker_response *r)
{
	const struct docker_http_head *h = &r->head;

	if (h->status == 204 || h->status == 304 ||
	    (h->has_length && !h->length))
		r->state = RESP_DONE;
	else
		r->state = RESP_BODY;
}

static int response_head(struct docker_response *r, const char *p, size_t len,
			 size_t *ret_used)
{
	size_t old = r->head_fill, k = DOCKER_HEAD_MAX - old;
	int ret;

	if (k > len)
		k = len;
	memcpy(r->head_buf + old, p, k);
	r->head_fill += k;
	/* The head can only end, or a line in it go wrong, where a line ends:
	 * without a new LF there is nothing new to parse. */
	if (!memchr(p, '\n', k) && r->head_fill < DOCKER_HEAD_MAX)
		return -EAGAIN;
	ret = docker_http_parse_head(r->head_buf, r->head_fill, &r->head);
	if (ret)
		return ret;
	if (r->head.has_length && r->head.length > r->body_max)
		return -EFBIG;
	response_start_body(r);
	*ret_used = r->head.len - old;
	return 0;
}

static int body_copy(struct docker_response *r, const char *p, size_t n)
{
	int ret;

	if (r->body_len + n > r->body_max)
		return -EFBIG;
	ret = body_reserve(r, n);
	if (ret)
		return ret;
	memcpy(r->body + r->body_len, p, n);
	r->body_len += n;
	r->body[r->body_len] = 0;
	return 0;
}

static int body_chunked(struct docker_response *r, const char *p, size_t len,
			size_t *ret_used)
{
	size_t out;
	int ret = body_reserve(r, len);

	if (ret)
		return ret;
	ret = docker_chunk_decode(&r->chunk, p, len, r->body + r->body_len,
				  ret_used, &out);
	if (ret && ret != -EAGAIN)
		return ret;
	r->body_len += out;
	r->body[r->body_len] = 0;
	if (r->body_len > r->body_max)
		return -EFBIG;
	if (!ret)
		r->state = RESP_DONE;
	return 0;
}

static int response_body(struct docker_response *r, const char *p, size_t len,
			 size_t *ret_used)
{
	size_t k = len;
	int ret;

	if (r->head.chunked)
		return body_chunked(r, p, len, ret_used);
	if (r->head.has_length && k > r->head.length - r->got)
		k = r->head.length - r->got;
	ret = body_copy(r, p, k);
	if (ret)
		return ret;
	r->got += k;
	if (r->head.has_length && r->got == r->head.length)
		r->state = RESP_DONE;
	*ret_used = k;
	return 0;
}

int docker_response_feed(struct docker_response *r, const char *p, size_t len,
			 size_t *ret_used)
{
	size_t used = 0, k = 0;
	int ret;

	if (!len) {
		*ret_used = 0;
		return r->state == RESP_DONE ? 0 : -EAGAIN;
	}
	if (r->state == RESP_HEAD) {
		ret = response_head(r, p, len, &used);
		if (ret)
			return ret;
	}
	if (r->state == RESP_BODY && used < len) {
		ret = response_body(r, p + used, len - used, &k);
		if (ret)
			return ret;
		used += k;
	}
	*ret_used = used;
	return r->state == RESP_DONE ? 0 : -EAGAIN;
}

int docker_response_eof(struct docker_response *r)
{
	if (r->state == RESP_BODY && !r->head.chunked && !r->head.has_length)
		r->state = RESP_DONE;
	return r->state == RESP_DONE ? 0 : -ECONNRESET;
}

/* ---------------------------------------------------------------------
 * Event stream: the chunked body of GET /events is one JSON object per
 * line ("{...}\n", one chunk each from dockerd, but a line may span
 * chunks and reads). Lines are taken from the front of the body buffer.
 */
void docker_event_stream_init(struct docker_event_stream *s)
{
	/* A line kept whole plus one read's worth of new bytes. */
	docker_response_init(&s->resp,
			     DOCKER_EVENT_LINE_MAX + DOCKER_EVENT_READ_MAX);
	s->pos = 0;
	s->skipping = s->eof = false;
	s->skipped = 0;
}

void docker_event_stream_free(struct docker_event_stream *s)
{
	if (s)
		docker_response_free(&s->resp);
}

int docker_event_stream_feed(struct docker_event_stream *s, const char *p,
			     size_t len)
{
	size_t used;
	int r;

	if (len > DOCKER_EVENT_READ_MAX ||
	    s->resp.body_len - s->pos > DOCKER_EVENT_LINE_MAX)
		return -ENOBUFS;
	r = docker_response_feed(&s->resp, p, len, &used);
	return r == -EAGAIN ? 0 : r;
}

void docker_event_stream_eof(struct docker_event_stream *s)
{
	s->eof = true;
	docker_response_eof(&s->resp);
}

/* Moves the unfinished line to the front of the buffer; drops it if it is
 * already too long to be an event. */
static void stream_compact(struct docker_event_stream *s)
{
	struct docker_response *r = &s->resp;
	size_t left = r->body_len - s->pos;

	if (left >= DOCKER_EVENT_LINE_MAX) {
		s->skipping = true;
		left = 0;
	}
	if (left && s->pos)
		memmove(r->body, r->body + s->pos, left);
	r->body_len = left;
	s->pos = 0;
	if (r->body)
		r->body[left] = 0;
}

/* The next complete line, without its LF; -EAGAIN if none. */
static int stream_line(struct docker_event_stream *s, const char **ret,
		       size_t *ret_len)
{
	struct docker_response *r = &s->resp;
	const char *start, *nl;

	if (r->body_len == s->pos) {
		stream_compact(s);
		return -EAGAIN;
	}
	start = r->body + s->pos;
	nl = memchr(start, '\n', r->body_len - s->pos);
	if (!nl) {
		stream_compact(s);
		return -EAGAIN;
	}
	s->pos += (size_t)(nl - start) + 1;
	*ret = start;
	*ret_len = (size_t)(nl - start);
	return 0;
}

int docker_event_stream_next(struct docker_event_stream *s,
			     struct docker_event *ret)
{
	const char *l;
	size_t n;

	if (!docker_response_has_head(&s->resp))
		return s->eof ? -EPIPE : -EAGAIN;
	if (s->resp.head.status != 200)
		return -EPROTO;
	while (!stream_line(s, &l, &n)) {
		if (s->skipping) { /* the tail of an over-long line */
			s->skipping = false;
			s->skipped++;
		} else if (n && !docker_parse_event(l, n, ret)) {
			return 0;
		} else if (n) {
			s->skipped++;
		}
	}
	return s->eof || s->resp.state == RESP_DONE ? -EPIPE : -EAGAIN;
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
 * I/O: one connection per request ("Connection: close"), each with a
 * deadline; the event stream keeps its own connection.
 */
struct docker {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ev_fd;
	int ev_err; /* an error met after events were returned: next time */
	struct docker_event_stream *ev;
};

/* filters={"type":["container"]}, URL-encoded. */
#define EVENTS_PATH "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"

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
	d->ev_fd = -1;
	return d;
}

static void events_close(struct docker *d)
{
	if (d->ev_fd >= 0)
		close(d->ev_fd);
	d->ev_fd = -1;
	d->ev_err = 0;
	docker_event_stream_free(d->ev);
	free(d->ev);
	d->ev = NULL;
}

void docker_close(struct docker *d)
{
	if (!d)
		return;
	events_close(d);
	free(d);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* A blocking connect bounded by SO_SNDTIMEO (honoured by unix sockets when
 * the listener's backlog is full), then non-blocking for the rest. */
static int connect_unix(const char *path, int64_t deadline, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t left = deadline - now_ms();
	struct timeval tv = { left / 1000, (left % 1000) * 1000 };
	int fd, r;

	if (left <= 0) /* a zero SO_SNDTIMEO would mean no limit */
		return -ETIMEDOUT;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK)) {
		r = errno == EINPROGRESS || errno == EAGAIN ? -ETIMEDOUT
							    : -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int send_all(int fd, const char *p, size_t len, int64_t deadline)
{
	ssize_t k;
	int r;

	while (len) {
		k = send(fd, p, len, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			len -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r)
			return r;
	}
	return 0;
}

/* Receives what is there, waiting until the deadline for something.
 * Returns the byte count, 0 at the end of the stream, or -errno. */
static ssize_t recv_wait(int fd, char *buf, size_t len, int64_t deadline)
{
	ssize_t k;
	int r;

	for (;;) {
		k = recv(fd, buf, len, MSG_DONTWAIT);
		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		r = wait_fd(fd, POLLIN, deadline);
		if (r)
			return r;
	}
}

/* Reads into r until it is complete (or, with head_only, has its head). */
static int read_response(int fd, struct docker_response *r, int64_t deadline,
			 bool head_only)
{
	char buf[16384];
	size_t used;
	ssize_t k;
	int ret;

	for (;;) {
		k = recv_wait(fd, buf, sizeof(buf), deadline);
		if (k < 0)
			return (int)k;
		if (!k)
			return docker_response_eof(r);
		ret = docker_response_feed(r, buf, (size_t)k, &used);
		if (ret != -EAGAIN ||
		    (head_only && docker_response_has_head(r)))
			return ret == -EAGAIN ? 0 : ret;
	}
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

/* The path as shown in messages: without its query. */
static int path_len(const char *path)
{
	return (int)strcspn(path, "?");
}

/* Says what went wrong with a request. */
static int request_fail(const struct docker *d, const char *path, int r,
			char *err, size_t errlen)
{
	int pl = path_len(path);

	switch (r) {
	case -ETIMEDOUT:
		return fail(err, errlen, r,
			    "no answer to %.*s from %s within %d ms", pl, path,
			    d->path, DOCKER_TIMEOUT_MS);
	case -EBADMSG:
	case -E2BIG:
		return fail(err, errlen, r,
			    "malformed HTTP response to %.*s: %s", pl, path,
			    strerror(-r));
	case -EFBIG:
		return fail(err, errlen, r,
			    "response to %.*s larger than %u bytes", pl, path,
			    DOCKER_BODY_MAX);
	case -ECONNRESET:
		return fail(err, errlen, r,
			    "%s closed the connection before the end of %.*s",
			    d->path, pl, path);
	default:
		return fail(err, errlen, r, "cannot read %.*s from %s: %s", pl,
			    path, d->path, strerror(-r));
	}
}

/* Connects and sends GET path; *ret_fd is the connection. */
static int request_send(const struct docker *d, const char *path,
			int64_t deadline, int *ret_fd, char *err, size_t errlen)
{
	char req[512];
	int fd = -1, n, r;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: docker\r\n"
		     "User-Agent: egressd\r\nConnection: close\r\n\r\n",
		     path);
	if (n < 0 || (size_t)n >= sizeof(req))
		return fail(err, errlen, -ENAMETOOLONG,
			    "request path too long");
	r = connect_unix(d->path, deadline, &fd);
	if (r)
		return fail(err, errlen, r, "cannot connect to %s: %s", d->path,
			    strerror(-r));
	r = send_all(fd, req, (size_t)n, deadline);
	if (r) {
		close(fd);
		return r == -ETIMEDOUT
			   ? request_fail(d, path, r, err, errlen)
			   : fail(err, errlen, r, "cannot send %.*s to %s: %s",
				  path_len(path), path, d->path, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

/* "HTTP 404 from /containers/x/json: No such container: x". 404 gives
 * -ENOENT (the container went away), anything else -EPROTO. */
static int status_fail(const char *path, const struct docker_response *r,
		       char *err, size_t errlen)
{
	char msg[256] = "";
	int ret = r->head.status == 404 ? -ENOENT : -EPROTO;

	if (docker_parse_error(r->body, r->body_len, msg, sizeof(msg)))
		return fail(err, errlen, ret, "HTTP %d from %.*s",
			    r->head.status, path_len(path), path);
	return fail(err, errlen, ret, "HTTP %d from %.*s: %s", r->head.status,
		    path_len(path), path, msg);
}

/* GET path; 0 with the 200 response in r (to free by the caller). */
static int docker_get(const struct docker *d, const char *path,
		      struct docker_response *r, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + DOCKER_TIMEOUT_MS;
	int fd, ret;

	docker_response_init(r, DOCKER_BODY_MAX);
	ret = request_send(d, path, deadline, &fd, err, errlen);
	if (ret)
		return ret;
	ret = read_response(fd, r, deadline, false);
	close(fd);
	if (ret)
		ret = request_fail(d, path, ret, err, errlen);
	else if (r->head.status != 200)
		ret = status_fail(path, r, err, errlen);
	if (ret)
		docker_response_free(r);
	return ret;
}

/* GET /containers/ID/json into *c. -ENOENT: it was removed meanwhile. */
static int docker_inspect(const struct docker *d, const char *id,
			  struct docker_container *c, char *err, size_t errlen)
{
	struct docker_response *r = malloc(sizeof(*r));
	char path[128];
	int ret;

	if (!r)
		return fail(err, errlen, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/containers/%s/json", id);
	ret = docker_get(d, path, r, err, errlen);
	if (!ret) {
		ret = docker_parse_container(r->body, r->body_len, c);
		if (ret)
			fail(err, errlen, ret, "unexpected JSON from %s: %s",
			     path, strerror(-ret));
		docker_response_free(r);
	}
	free(r);
	return ret;
}

/* The ids from GET /containers/json?all=1, in *ret_ids (to free). */
static int list_ids(const struct docker *d, size_t max,
		    char (**ret_ids)[DOCKER_ID_LEN + 1], size_t *ret_n,
		    char *err, size_t errlen)
{
	static const char path[] = "/containers/json?all=1";
	struct docker_response *r = malloc(sizeof(*r));
	char(*ids)[DOCKER_ID_LEN + 1] = calloc(max ? max : 1, sizeof(*ids));
	int ret = -ENOMEM;

	if (!r || !ids) {
		fail(err, errlen, ret, "out of memory");
		goto out;
	}
	ret = docker_get(d, path, r, err, errlen);
	if (ret)
		goto out;
	ret = docker_parse_ids(r->body, r->body_len, ids, max, ret_n);
	docker_response_free(r);
	if (ret == -EBADMSG)
		fail(err, errlen, ret, "unexpected JSON from /containers/json");
out:
	free(r);
	if (ret && ret != -ENOBUFS)
		free(ids);
	else
		*ret_ids = ids;
	return ret;
}

int docker_list(struct docker *d, struct docker_container *out, size_t max,
		size_t *n, char *err, size_t errlen)
{
	char(*ids)[DOCKER_ID_LEN + 1];
	size_t nids, k = 0;
	int r, listed;

	if (err && errlen)
		err[0] = 0;
	listed = list_ids(d, max, &ids, &nids, err, errlen);
	if (listed && listed != -ENOBUFS)
		return listed;
	for (size_t i = 0; i < nids; i++) {
		r = docker_inspect(d, ids[i], &out[k], err, errlen);
		if (r == -ENOENT)
			continue;
		if (r) {
			free(ids);
			return r;
		}
		k++;
	}
	free(ids);
	*n = k;
	if (listed)
		return fail(err, errlen, listed,
			    "dockerd has more than %zu containers; listed the "
			    "first %zu",
			    max, max);
	return 0;
}

/* Reads the rest of a refused /events response for its message. */
static int events_refused(struct docker *d, int fd, int64_t deadline, char *err,
			  size_t errlen)
{
	struct docker_response *r = &d->ev->resp;

	if (r->state != RESP_DONE && read_response(fd, r, deadline, false))
		r->body_len = 0; /* the status alone, then */
	status_fail(EVENTS_PATH, r, err, errlen);
	return -EPROTO;
}

int docker_events_open(struct docker *d, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + DOCKER_TIMEOUT_MS;
	int fd, r;

	events_close(d);
	d->ev = malloc(sizeof(*d->ev));
	if (!d->ev)
		return fail(err, errlen, -ENOMEM, "out of memory");
	docker_event_stream_init(d->ev);
	r = request_send(d, EVENTS_PATH, deadline, &fd, err, errlen);
	if (r)
		goto fail;
	r = read_response(fd, &d->ev->resp, deadline, true);
	if (r) {
		r = request_fail(d, EVENTS_PATH, r, err, errlen);
	} else if (d->ev->resp.head.status != 200) {
		r = events_refused(d, fd, deadline, err, errlen);
	} else {
		d->ev_fd = fd;
		return 0;
	}
	close(fd);
fail:
	events_close(d);
	return r;
}

int docker_events_fd(const struct docker *d)
{
	return d->ev ? d->ev_fd : -EBADF;
}

/* One non-blocking read into the stream: bytes read, 0 if none were
 * waiting, or -errno. The end of the stream is handed to the stream. */
static ssize_t events_fill(struct docker *d, size_t budget)
{
	char buf[DOCKER_EVENT_READ_MAX];
	ssize_t k;
	int r;

	do
		k = recv(d->ev_fd, buf,
			 budget < sizeof(buf) ? budget : sizeof(buf),
			 MSG_DONTWAIT);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (!k) {
		docker_event_stream_eof(d->ev);
		return 1; /* progress: the stream now knows it ended */
	}
	r = docker_event_stream_feed(d->ev, buf, (size_t)k);
	return r ? r : k;
}

int docker_events_read(struct docker *d, struct docker_event *ev, size_t max,
		       size_t *n)
{
	size_t k = 0, budget = DOCKER_EVENT_READ_BUDGET;
	ssize_t got;
	int r = -EAGAIN;

	if (!d->ev)
		return -ENOTCONN;
	if (d->ev_err)
		return d->ev_err;
	while (k < max) {
		r = docker_event_stream_next(d->ev, &ev[k]);
		if (!r) {
			k++;
			continue;
		}
		if (r != -EAGAIN || d->ev->eof || !budget)
			break;
		got = events_fill(d, budget);
		if (got <= 0) {
			r = got ? (int)got : -EAGAIN;
			break;
		}
		budget -= (size_t)got < budget ? (size_t)got : budget;
	}
	if (r != -EAGAIN && r != 0) {
		if (!k)
			return r;
		d->ev_err = r; /* deliver these first */
	}
	*n = k;
	return 0;
}
