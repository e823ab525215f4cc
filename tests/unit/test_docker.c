// SPDX-License-Identifier: GPL-2.0-or-later
/* The Docker client's pure parts on bytes captured from a real dockerd
 * (Docker 20.10.24+dfsg1 of Debian 12, API 1.41, through
 * tests/e2e/dockerbed.sh), and its I/O against a fake dockerd on a unix
 * socket. Captures are trimmed where marked; chunk sizes were recomputed. */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "egressd/docker.h"
#include "util.h"

/* clang-format off: captured bytes, one line of text per line */
#define ID_EXITED                                                              \
	"e668d49c25a7fc9c82d63d7b057c8ddf0665e03b068e413c9e67e5b241439330"
#define ID_STOPPED                                                             \
	"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f9018688ca16e977"
#define ID_WEB                                                                 \
	"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bcae87dff1373a"

/* GET /containers/json?all=1: chunked, one chunk holding the whole array
 * and its final LF, then the last chunk. Trimmed: each container keeps Id,
 * Names, Image, ImageID, Command, State, Status (Created, Ports, Labels,
 * HostConfig, NetworkSettings and Mounts removed). Three containers: one
 * that exited (sh -c 'exit 3'), one created and never started, one up. */
static const char list_resp[] =
    "HTTP/1.1 200 OK\r\n"
    "Api-Version: 1.41\r\n"
    "Content-Type: application/json\r\n"
    "Docker-Experimental: false\r\n"
    "Ostype: linux\r\n"
    "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"
    "Connection: close\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "35e\r\n"
    "[{\"Id\":\"e668d49c25a7fc9c82d63d7b057c8ddf0665e03b068e413c9e67e5b241439"
    "330\",\"Names\":[\"/e2e-exited\"],"
    "\"Image\":\"e2e-busybox:latest\",\"ImageID\":\"sha256:8a63f0f7c33e2fc7af"
    "ce2185e7ac6b0e02e6a9983e3116b2e3dc87b1d7108476\","
    "\"Command\":\"sh -c 'exit 3'\",\"State\":\"exited\","
    "\"Status\":\"Exited (3) Less than a second ago\"},"
    "{\"Id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f9018688ca16e9"
    "77\",\"Names\":[\"/e2e-stopped\"],"
    "\"Image\":\"e2e-busybox:latest\",\"ImageID\":\"sha256:8a63f0f7c33e2fc7af"
    "ce2185e7ac6b0e02e6a9983e3116b2e3dc87b1d7108476\","
    "\"Command\":\"true\",\"State\":\"created\","
    "\"Status\":\"Created\"},{\"Id\":\"864d610bce2f53df11de525027d52915f77ffe"
    "eca6b7912a03bcae87dff1373a\",\"Names\":[\"/e2e-web\"],"
    "\"Image\":\"e2e-busybox:latest\",\"ImageID\":\"sha256:8a63f0f7c33e2fc7af"
    "ce2185e7ac6b0e02e6a9983e3116b2e3dc87b1d7108476\","
    "\"Command\":\"httpd -f -p 80 -h /tmp\","
    "\"State\":\"running\",\"Status\":\"Up Less than a second\"}]\n"
    "\r\n"
    "0\r\n"
    "\r\n";

/* GET /containers/ID/json of the running one. Trimmed to the fields below
 * (dockerd sends ~4.6 KiB: HostConfig, GraphDriver, Mounts, ...). */
static const char inspect_running_resp[] =
    "HTTP/1.1 200 OK\r\n"
    "Api-Version: 1.41\r\n"
    "Content-Type: application/json\r\n"
    "Docker-Experimental: false\r\n"
    "Ostype: linux\r\n"
    "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"
    "Connection: close\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "410\r\n"
    "{\"Id\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bcae87dff137"
    "3a\",\"Created\":\"2026-11-28T13:02:19.242565096Z\","
    "\"Path\":\"httpd\",\"Args\":[\"-f\","
    "\"-p\",\"80\",\"-h\",\"/tmp\"],\"State\":{"
    "\"Status\":\"running\",\"Running\":true,"
    "\"Paused\":false,\"Restarting\":false,"
    "\"OOMKilled\":false,\"Dead\":false,"
    "\"Pid\":30522,\"ExitCode\":0,\"Error\":\"\","
    "\"StartedAt\":\"2026-11-28T13:02:19.665318065Z\","
    "\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
    "\"Image\":\"sha256:8a63f0f7c33e2fc7afce2185e7ac6b0e02e6a9983e3116b2e3dc8"
    "7b1d7108476\",\"Name\":\"/e2e-web\","
    "\"RestartCount\":0,\"Driver\":\"overlay2\","
    "\"Platform\":\"linux\",\"Config\":{"
    "\"Hostname\":\"864d610bce2f\",\"Cmd\":[\"httpd\","
    "\"-f\",\"-p\",\"80\",\"-h\",\"/tmp\"],"
    "\"Image\":\"e2e-busybox:latest\",\"Labels\":{"
    "}},\"NetworkSettings\":{\"SandboxID\":\"3e1c0188bc73b9741fcf16abed75d18f"
    "570d135aa6006c04660a89baf0ac0d28\","
    "\"SandboxKey\":\"/tmp/egressd-testbed/docker/exec/netns/3e1c0188bc73\","
    "\"Networks\":{\"e2enet\":{\"IPAMConfig\":{"
    "\"IPv4Address\":\"198.18.0.10\"},\"Gateway\":\"198.18.0.1\","
    "\"IPAddress\":\"198.18.0.10\",\"IPPrefixLen\":24,"
    "\"GlobalIPv6Address\":\"2001:db8:18::2\","
    "\"MacAddress\":\"02:42:c6:12:00:0a\"}}}}\n"
    "\r\n"
    "0\r\n"
    "\r\n";

/* The body of GET /containers/ID/json of the created one (never started:
 * Running false, Pid 0), trimmed. */
static const char inspect_stopped_body[] =
    "{\"Id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f9018688ca16e9"
    "77\",\"Created\":\"2026-11-28T13:02:19.70085387Z\","
    "\"Path\":\"true\",\"Args\":[],\"State\":{"
    "\"Status\":\"created\",\"Running\":false,"
    "\"Paused\":false,\"Restarting\":false,"
    "\"OOMKilled\":false,\"Dead\":false,"
    "\"Pid\":0,\"ExitCode\":0,\"Error\":\"\","
    "\"StartedAt\":\"0001-01-01T00:00:00Z\","
    "\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
    "\"Image\":\"sha256:8a63f0f7c33e2fc7afce2185e7ac6b0e02e6a9983e3116b2e3dc8"
    "7b1d7108476\",\"Name\":\"/e2e-stopped\","
    "\"Config\":{\"Hostname\":\"f23c48f7b1e7\","
    "\"Cmd\":[\"true\"],\"Image\":\"e2e-busybox:latest\"}}";

/* GET /containers/0000.../json: an error with Content-Length, verbatim. */
static const char resp_404[] =
    "HTTP/1.1 404 Not Found\r\n"
    "Api-Version: 1.41\r\n"
    "Content-Type: application/json\r\n"
    "Docker-Experimental: false\r\n"
    "Ostype: linux\r\n"
    "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"
    "Content-Length: 98\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\":\"No such container: 00000000000000000000000000000000000000"
    "00000000000000000000000000\"}\n";

/* GET /events?filters=garbage: dockerd's answer to a bad filter, verbatim. */
static const char resp_500[] =
    "HTTP/1.1 500 Internal Server Error\r\n"
    "Api-Version: 1.41\r\n"
    "Content-Type: application/json\r\n"
    "Docker-Experimental: false\r\n"
    "Ostype: linux\r\n"
    "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"
    "Content-Length: 67\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\":\"invalid character 'g' looking for beginning of value\"}\n";

/* GET /events?filters={"type":["container"]}, verbatim: the head dockerd
 * flushes at once, then one chunk per event, each a JSON line. Six events
 * (of nine captured): start and die of e2e-stopped, kill (SIGTERM), die
 * (137) and stop of e2e-web under `docker stop -t 1`, destroy of
 * e2e-stopped. dockerd never ends the stream by itself: no last chunk. */
static const char events_resp[] =
    "HTTP/1.1 200 OK\r\n"
    "Api-Version: 1.41\r\n"
    "Content-Type: application/json\r\n"
    "Docker-Experimental: false\r\n"
    "Ostype: linux\r\n"
    "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
    "Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"
    "Connection: close\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "16f\r\n"
    "{\"status\":\"start\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067"
    "ad22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"start\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-stopped\"}},\"scope\":\"local\","
    "\"time\":1795870941,\"timeNano\":1795870941792999359}\n"
    "\r\n"
    "17a\r\n"
    "{\"status\":\"die\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad"
    "22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"die\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"exitCode\":\"0\","
    "\"image\":\"e2e-busybox:latest\",\"name\":\"e2e-stopped\"}},"
    "\"scope\":\"local\",\"time\":1795870941,"
    "\"timeNano\":1795870941821376812}\n"
    "\r\n"
    "177\r\n"
    "{\"status\":\"kill\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6"
    "b7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"kill\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-web\",\"signal\":\"15\"}},"
    "\"scope\":\"local\",\"time\":1795870942,"
    "\"timeNano\":1795870942136578662}\n"
    "\r\n"
    "178\r\n"
    "{\"status\":\"die\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6b"
    "7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"die\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"exitCode\":\"137\","
    "\"image\":\"e2e-busybox:latest\",\"name\":\"e2e-web\"}},"
    "\"scope\":\"local\",\"time\":1795870943,"
    "\"timeNano\":1795870943180515466}\n"
    "\r\n"
    "169\r\n"
    "{\"status\":\"stop\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6"
    "b7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"stop\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-web\"}},\"scope\":\"local\","
    "\"time\":1795870943,\"timeNano\":1795870943341429646}\n"
    "\r\n"
    "173\r\n"
    "{\"status\":\"destroy\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be30"
    "67ad22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"destroy\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-stopped\"}},\"scope\":\"local\","
    "\"time\":1795870943,\"timeNano\":1795870943409608665}\n"
    "\r\n";

/* An event line of `docker exec e2e-web true`: the Action carries the
 * command after a colon. */
static const char exec_event[] =
    "{\"status\":\"exec_create: true \","
    "\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bcae87dff1373"
    "a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"exec_create: true \","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"execID\":\"2bc23b5fdef60cde99bba4b08325"
    "6b571db84a7825ae88f73503be24c0b8e463\","
    "\"image\":\"e2e-busybox:latest\",\"name\":\"e2e-web\"}},"
    "\"scope\":\"local\",\"time\":1795870954,"
    "\"timeNano\":1795870954404266499}\n";

/* clang-format on */

/* Feeds p in pieces of `piece` bytes until the response is complete. */
static int feed(struct docker_response *r, const char *p, size_t len,
		size_t piece)
{
	size_t used;
	int ret = -EAGAIN;

	for (size_t off = 0; off < len; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		ret = docker_response_feed(r, p + off, k, &used);
		if (ret != -EAGAIN)
			return ret;
	}
	return ret;
}

/* --- Head ------------------------------------------------------------ */

START_TEST(head_of_real_chunked_response)
{
	struct docker_http_head h;
	const char *end = strstr(list_resp, "\r\n\r\n") + 4;

	ck_assert_int_eq(
	    docker_http_parse_head(list_resp, strlen(list_resp), &h), 0);
	ck_assert_int_eq(h.status, 200);
	ck_assert(h.chunked);
	ck_assert(!h.has_length);
	ck_assert_uint_eq(h.len, (size_t)(end - list_resp));
}
END_TEST

START_TEST(head_of_real_error_has_length)
{
	struct docker_http_head h;

	ck_assert_int_eq(docker_http_parse_head(resp_404, strlen(resp_404), &h),
			 0);
	ck_assert_int_eq(h.status, 404);
	ck_assert(!h.chunked);
	ck_assert(h.has_length);
	ck_assert_uint_eq(h.length, 98);
}
END_TEST

START_TEST(head_every_truncation_asks_for_more)
{
	struct docker_http_head h;
	size_t len = (size_t)(strstr(list_resp, "\r\n\r\n") + 4 - list_resp);

	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(docker_http_parse_head(list_resp, n, &h),
				 -EAGAIN);
}
END_TEST

START_TEST(head_bare_lf_and_no_reason)
{
	struct docker_http_head h;
	const char *a = "HTTP/1.0 204\nX: y\n\n";

	ck_assert_int_eq(docker_http_parse_head(a, strlen(a), &h), 0);
	ck_assert_int_eq(h.status, 204);
	ck_assert_uint_eq(h.len, strlen(a));
}
END_TEST

START_TEST(head_ambiguous_or_malformed_refused)
{
	static const char *const bad[] = {
		"HTTP/2.0 200 OK\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\n", /* 1xx: never asked for */
		"HTTP/1.1 600 X\r\n\r\n", "HTTP/1.1 20x OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n", "ICY 200 OK\r\n\r\n",
		/* smuggling shapes: both framings, two lengths, other codings
		 */
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: "
		"chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: "
		"3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", /* folding */
		"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", /* CR inside a line */
	};
	struct docker_http_head h;

	for (size_t i = 0; i < NELEM(bad); i++)
		ck_assert_msg(docker_http_parse_head(bad[i], strlen(bad[i]),
						     &h) == -EBADMSG,
			      "accepted: %s", bad[i]);
}
END_TEST

START_TEST(head_limits)
{
	struct docker_http_head h;
	const char *huge =
	    "HTTP/1.1 200 OK\r\nContent-Length: 16777217\r\n\r\n";
	const char *max = "HTTP/1.1 200 OK\r\nContent-Length: 16777216\r\n\r\n";
	const char *over = "HTTP/1.1 200 OK\r\nContent-Length: "
			   "99999999999999999999999\r\n\r\n";
	char *buf = malloc(DOCKER_HEAD_MAX + 64);
	size_t n;

	ck_assert_int_eq(docker_http_parse_head(huge, strlen(huge), &h),
			 -EFBIG);
	ck_assert_int_eq(docker_http_parse_head(over, strlen(over), &h),
			 -EFBIG);
	ck_assert_int_eq(docker_http_parse_head(max, strlen(max), &h), 0);
	/* A head that never ends within DOCKER_HEAD_MAX bytes. */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX: ");
	memset(buf + n, 'a', DOCKER_HEAD_MAX + 64 - n);
	ck_assert_int_eq(docker_http_parse_head(buf, DOCKER_HEAD_MAX - 1, &h),
			 -EAGAIN);
	ck_assert_int_eq(docker_http_parse_head(buf, DOCKER_HEAD_MAX + 64, &h),
			 -E2BIG);
	/* More headers than DOCKER_HEADERS_MAX. */
	n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= DOCKER_HEADERS_MAX; i++)
		n += (size_t)sprintf(buf + n, "X: y\r\n");
	n += (size_t)sprintf(buf + n, "\r\n");
	ck_assert_int_eq(docker_http_parse_head(buf, n, &h), -E2BIG);
	free(buf);
}
END_TEST

/* --- Chunked decoder -------------------------------------------------- */

/* The events body decoded byte by byte equals the event lines. */
START_TEST(chunks_decoded_byte_by_byte)
{
	const char *body = strstr(events_resp, "\r\n\r\n") + 4;
	size_t len = strlen(body), total = 0, used, out;
	char *dst = malloc(len);
	struct docker_chunk c;

	docker_chunk_init(&c);
	for (size_t i = 0; i < len; i++) {
		ck_assert_int_eq(docker_chunk_decode(&c, body + i, 1,
						     dst + total, &used, &out),
				 -EAGAIN);
		ck_assert_uint_eq(used, 1);
		total += out;
	}
	ck_assert_uint_eq(total, 367 + 378 + 375 + 376 + 361 + 371);
	ck_assert_int_eq(memcmp(dst, "{\"status\":\"start\"", 17), 0);
	ck_assert_int_eq(dst[366], '\n');
	ck_assert_int_eq(memcmp(dst + 367, "{\"status\":\"die\"", 15), 0);
	ck_assert_int_eq(dst[total - 1], '\n');
	free(dst);
}
END_TEST

START_TEST(chunks_end_after_trailer)
{
	const char *a =
	    "3;ext=1\r\nabc\r\n2\nde\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
	char out[64];
	size_t used, n;
	struct docker_chunk c;

	docker_chunk_init(&c);
	ck_assert_int_eq(docker_chunk_decode(&c, a, strlen(a), out, &used, &n),
			 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(out, "abcde", 5), 0);
	ck_assert_str_eq(a + used, "NEXT");
}
END_TEST

START_TEST(chunks_malformed_refused)
{
	static const struct {
		const char *in;
		int err;
	} cases[] = {
		{ "x\r\n", -EBADMSG }, /* not hex */
		{ "\r\n", -EBADMSG },  /* no size */
		{ ";a\r\n", -EBADMSG },
		{ "3\r\nabcX", -EBADMSG }, /* no CRLF after the data */
		{ "3\r\nabc\rX", -EBADMSG },
		{ "3\rX", -EBADMSG },
		{ "1000001\r\n", -EFBIG },		   /* 16 MiB + 1 */
		{ "fffffffffffffffffffffff\r\n", -EFBIG }, /* would overflow */
	};
	char out[64];
	size_t used, n;
	struct docker_chunk c;

	for (size_t i = 0; i < NELEM(cases); i++) {
		docker_chunk_init(&c);
		ck_assert_int_eq(docker_chunk_decode(&c, cases[i].in,
						     strlen(cases[i].in), out,
						     &used, &n),
				 cases[i].err);
	}
}
END_TEST

START_TEST(chunk_lines_bounded)
{
	size_t len = DOCKER_CHUNK_TRAILER_MAX + 16, used, n;
	char *in = malloc(len), out[8];
	struct docker_chunk c;

	/* Leading zeros are legal, an endless size line is not. */
	memset(in, '0', len);
	docker_chunk_init(&c);
	ck_assert_int_eq(docker_chunk_decode(&c, in, len, out, &used, &n),
			 -EBADMSG);
	/* Nor is an extension or trailer that never ends. */
	memset(in, 'a', len);
	memcpy(in, "1;", 2);
	docker_chunk_init(&c);
	ck_assert_int_eq(docker_chunk_decode(&c, in, len, out, &used, &n),
			 -EBADMSG);
	memcpy(in, "0\r\n", 3);
	docker_chunk_init(&c);
	ck_assert_int_eq(docker_chunk_decode(&c, in, len, out, &used, &n),
			 -EBADMSG);
	free(in);
}
END_TEST

/* --- Response reader --------------------------------------------------- */

START_TEST(response_real_list)
{
	struct docker_response r;
	size_t used;

	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(
	    docker_response_feed(&r, list_resp, strlen(list_resp), &used), 0);
	ck_assert_uint_eq(used, strlen(list_resp));
	ck_assert_int_eq(r.head.status, 200);
	ck_assert_uint_eq(r.body_len, 0x35e);
	ck_assert_int_eq(r.body[0], '[');
	ck_assert_int_eq(r.body[r.body_len - 1], '\n');
	/* Bytes after the end are not the response's. */
	ck_assert_int_eq(docker_response_feed(&r, "junk", 4, &used), 0);
	ck_assert_uint_eq(used, 0);
	docker_response_free(&r);
}
END_TEST

/* Each real response, cut anywhere, asks for more; at EOF it is refused. */
START_TEST(response_every_truncation_asks_for_more)
{
	const char *const resps[] = { list_resp, inspect_running_resp, resp_404,
				      resp_500 };
	struct docker_response r;

	for (size_t i = 0; i < NELEM(resps); i++) {
		for (size_t n = 0; n < strlen(resps[i]); n++) {
			docker_response_init(&r, DOCKER_BODY_MAX);
			ck_assert_int_eq(feed(&r, resps[i], n, n ? n : 1),
					 -EAGAIN);
			ck_assert_int_eq(docker_response_eof(&r), -ECONNRESET);
			docker_response_free(&r);
		}
	}
}
END_TEST

/* Any two pieces, and one byte at a time, give the same body. */
START_TEST(response_any_split_same_body)
{
	const char *p = inspect_running_resp;
	size_t len = strlen(p), used;
	struct docker_response whole, r;

	docker_response_init(&whole, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&whole, p, len, len), 0);
	for (size_t cut = 0; cut <= len; cut++) {
		docker_response_init(&r, DOCKER_BODY_MAX);
		if (cut)
			ck_assert_int_eq(
			    docker_response_feed(&r, p, cut, &used),
			    cut == len ? 0 : -EAGAIN);
		if (cut < len)
			ck_assert_int_eq(
			    docker_response_feed(&r, p + cut, len - cut, &used),
			    0);
		ck_assert_uint_eq(r.body_len, whole.body_len);
		ck_assert_int_eq(memcmp(r.body, whole.body, r.body_len), 0);
		docker_response_free(&r);
	}
	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, p, len, 1), 0);
	ck_assert_int_eq(memcmp(r.body, whole.body, r.body_len), 0);
	docker_response_free(&r);
	docker_response_free(&whole);
}
END_TEST

START_TEST(response_body_to_eof_and_empty)
{
	const char *a = "HTTP/1.1 200 OK\r\n\r\n[]";
	const char *b = "HTTP/1.1 204 No Content\r\n\r\n";
	const char *c = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct docker_response r;

	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, a, strlen(a), 5), -EAGAIN);
	ck_assert_int_eq(docker_response_eof(&r), 0);
	ck_assert_str_eq(r.body, "[]");
	docker_response_free(&r);
	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, b, strlen(b), 3), 0);
	ck_assert_uint_eq(r.body_len, 0);
	docker_response_free(&r);
	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, c, strlen(c), 100), 0);
	ck_assert_uint_eq(r.body_len, 0);
	docker_response_free(&r);
}
END_TEST

START_TEST(response_larger_than_cap_refused)
{
	struct docker_response r;

	/* Announced too large, and found too large while decoding. */
	docker_response_init(&r, 97);
	ck_assert_int_eq(feed(&r, resp_404, strlen(resp_404), 10), -EFBIG);
	docker_response_free(&r);
	docker_response_init(&r, 0x35e - 1);
	ck_assert_int_eq(feed(&r, list_resp, strlen(list_resp), 100), -EFBIG);
	docker_response_free(&r);
	docker_response_init(&r, 1);
	ck_assert_int_eq(feed(&r, "HTTP/1.1 200 OK\r\n\r\n[]", 21, 21), -EFBIG);
	docker_response_free(&r);
}
END_TEST

START_TEST(response_head_too_long)
{
	char *buf = malloc(DOCKER_HEAD_MAX + 100);
	struct docker_response r;
	size_t n = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");

	while (n + 6 < DOCKER_HEAD_MAX + 100)
		n += (size_t)sprintf(buf + n, "A: b\r\n");
	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, buf, n, 1), -E2BIG);
	docker_response_free(&r);
	free(buf);
}
END_TEST

/* --- JSON ---------------------------------------------------------------- */

/* The decoded body of a real response. */
static char *body_of(const char *resp, size_t *ret_len)
{
	struct docker_response r;

	docker_response_init(&r, DOCKER_BODY_MAX);
	ck_assert_int_eq(feed(&r, resp, strlen(resp), 4096), 0);
	*ret_len = r.body_len;
	return r.body;
}

START_TEST(ids_of_real_list)
{
	char ids[4][DOCKER_ID_LEN + 1];
	size_t len, n = 99;
	char *body = body_of(list_resp, &len);

	ck_assert_int_eq(docker_parse_ids(body, len, ids, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ids[0], ID_EXITED);
	ck_assert_str_eq(ids[1], ID_STOPPED);
	ck_assert_str_eq(ids[2], ID_WEB);
	/* More containers than room: the first ones, and -ENOBUFS. */
	ck_assert_int_eq(docker_parse_ids(body, len, ids, 2, &n), -ENOBUFS);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ids[1], ID_STOPPED);
	/* Every truncation of the JSON (without its LF) is refused. */
	for (size_t k = 0; k < len - 1; k++)
		ck_assert_int_eq(docker_parse_ids(body, k, ids, 4, &n),
				 -EBADMSG);
	free(body);
}
END_TEST

START_TEST(ids_malformed_refused)
{
	static const char *const bad[] = {
		"{}",
		"[1]",
		"[{}]",
		"[{\"Id\":5}]",
		"[{\"Id\":\"abc\"}]",
		"[{\"Id\":\"" ID_WEB "0\"}]", /* 65 digits */
		"[{\"Id\":\""
		"864D610BCE2F53DF11DE525027D52915F77FFEECA6B7912A03BCAE87DFF137"
		"3A"
		"\"}]",
		"",
		"null",
	};
	char ids[4][DOCKER_ID_LEN + 1];
	size_t n;

	for (size_t i = 0; i < NELEM(bad); i++)
		ck_assert_msg(docker_parse_ids(bad[i], strlen(bad[i]), ids, 4,
					       &n) == -EBADMSG,
			      "accepted: %s", bad[i]);
	ck_assert_int_eq(docker_parse_ids("[]", 2, ids, 4, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(container_running_from_real_inspect)
{
	struct docker_container c;
	size_t len;
	char *body = body_of(inspect_running_resp, &len);

	ck_assert_int_eq(docker_parse_container(body, len, &c), 0);
	ck_assert_str_eq(c.id, ID_WEB);
	ck_assert_str_eq(c.name, "e2e-web");
	ck_assert_str_eq(c.image, "e2e-busybox:latest");
	ck_assert_str_eq(
	    c.image_id,
	    "sha256:"
	    "8a63f0f7c33e2fc7afce2185e7ac6b0e02e6a9983e3116b2e3dc87b1d7108476");
	ck_assert(c.running);
	ck_assert_int_eq(c.pid, 30522);
	for (size_t k = 0; k < len - 1; k++)
		ck_assert_int_eq(docker_parse_container(body, k, &c), -EBADMSG);
	free(body);
}
END_TEST

START_TEST(container_stopped_from_real_inspect)
{
	struct docker_container c;

	ck_assert_int_eq(docker_parse_container(inspect_stopped_body,
						strlen(inspect_stopped_body),
						&c),
			 0);
	ck_assert_str_eq(c.id, ID_STOPPED);
	ck_assert_str_eq(c.name, "e2e-stopped");
	ck_assert_str_eq(c.image, "e2e-busybox:latest");
	ck_assert(!c.running);
	ck_assert_int_eq(c.pid, 0);
}
END_TEST

/* An inspect body built around one changed part. */
static int parse_with(const char *name, const char *state, const char *image,
		      struct docker_container *c)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"Id\":\"" ID_WEB "\",\"Name\":%s,\"State\":%s,"
		 "\"Image\":\"sha256:1\",\"Config\":{\"Image\":%s}}",
		 name, state, image);
	return docker_parse_container(buf, strlen(buf), c);
}

START_TEST(container_malformed_refused)
{
	char longname[200], longimage[300];
	struct docker_container c = { 0 };
	const char *ok = "{\"Running\":true,\"Pid\":7}";

	ck_assert_int_eq(parse_with("\"/a\"", ok, "\"i\"", &c), 0);
	ck_assert_int_eq(c.pid, 7);
	ck_assert_str_eq(c.name, "a");
	ck_assert_int_eq(parse_with("\"/a\"", ok, "null", &c),
			 0); /* no image */
	ck_assert_str_eq(c.image, "");
	ck_assert_int_eq(parse_with("1", ok, "\"i\"", &c), -EBADMSG);
	ck_assert_int_eq(
	    parse_with("\"/a\"", "{\"Running\":true}", "\"i\"", &c), -EBADMSG);
	ck_assert_int_eq(
	    parse_with("\"/a\"", "{\"Running\":1,\"Pid\":7}", "\"i\"", &c),
	    -EBADMSG);
	ck_assert_int_eq(
	    parse_with("\"/a\"", "{\"Running\":true,\"Pid\":-1}", "\"i\"", &c),
	    -EBADMSG);
	ck_assert_int_eq(
	    parse_with("\"/a\"", "{\"Running\":true,\"Pid\":1.5}", "\"i\"", &c),
	    -EBADMSG);
	ck_assert_int_eq(parse_with("\"/a\"",
				    "{\"Running\":true,\"Pid\":1e300}", "\"i\"",
				    &c),
			 -EBADMSG);
	ck_assert_int_eq(parse_with("\"/a\"", "[true,7]", "\"i\"", &c),
			 -EBADMSG);
	/* 127 characters fit, 128 do not: never a silently cut name. */
	snprintf(longname, sizeof(longname), "\"/%0127d\"", 0);
	ck_assert_int_eq(parse_with(longname, ok, "\"i\"", &c), 0);
	ck_assert_uint_eq(strlen(c.name), 127);
	snprintf(longname, sizeof(longname), "\"/%0128d\"", 0);
	ck_assert_int_eq(parse_with(longname, ok, "\"i\"", &c), -ENAMETOOLONG);
	snprintf(longimage, sizeof(longimage), "\"%0256d\"", 0);
	ck_assert_int_eq(parse_with("\"/a\"", ok, longimage, &c),
			 -ENAMETOOLONG);
}
END_TEST

/* The six event lines of events_resp, decoded. */
static size_t event_lines(char *buf, size_t size)
{
	struct docker_chunk c;
	const char *body = strstr(events_resp, "\r\n\r\n") + 4;
	size_t used, n;

	ck_assert_uint_ge(size, strlen(body));
	docker_chunk_init(&c);
	ck_assert_int_eq(
	    docker_chunk_decode(&c, body, strlen(body), buf, &used, &n),
	    -EAGAIN);
	return n;
}

START_TEST(events_from_real_lines)
{
	char buf[4096], *l, *nl;
	struct docker_event e[6];
	size_t n = event_lines(buf, sizeof(buf)), k = 0;

	for (l = buf; k < 6 && (nl = memchr(l, '\n', n - (size_t)(l - buf)));
	     l = nl + 1, k++) {
		ck_assert_int_eq(docker_parse_event(l, (size_t)(nl - l), &e[k]),
				 0);
		/* Every truncation of a line is refused. */
		for (size_t t = 0; t < (size_t)(nl - l); t++)
			ck_assert_int_eq(docker_parse_event(l, t, &e[5]),
					 -EBADMSG);
	}
	ck_assert_uint_eq(k, 6);
	ck_assert_str_eq(e[0].action, "start");
	ck_assert_str_eq(e[0].id, ID_STOPPED);
	ck_assert_str_eq(e[0].name, "e2e-stopped");
	ck_assert_int_eq(e[0].exit_code, -1);
	/* timeNano 1795870941792999359, as a double: within a microsecond */
	ck_assert_int_lt(llabs(e[0].time_ns - 1795870941792999359LL), 1000);
	ck_assert_str_eq(e[1].action, "die");
	ck_assert_int_eq(e[1].exit_code, 0);
	ck_assert_str_eq(e[2].action, "kill");
	ck_assert_str_eq(e[2].id, ID_WEB);
	ck_assert_str_eq(e[3].action, "die");
	ck_assert_int_eq(e[3].exit_code, 137);
	ck_assert_str_eq(e[4].action, "stop");
	ck_assert_str_eq(e[5].action, "destroy");
	ck_assert_str_eq(e[5].name, "e2e-stopped");
}
END_TEST

START_TEST(event_exec_action_cut_at_colon)
{
	struct docker_event e;

	ck_assert_int_eq(docker_parse_event(exec_event, strlen(exec_event), &e),
			 0);
	ck_assert_str_eq(e.action, "exec_create");
	ck_assert_str_eq(e.id, ID_WEB);
	ck_assert_str_eq(e.name, "e2e-web");
}
END_TEST

START_TEST(event_other_types_and_malformed)
{
	const char *net = "{\"Type\":\"network\",\"Action\":\"connect\","
			  "\"Actor\":{\"ID\":"
			  "\"977cd0ed983af81546494a40c81736849661dcd52b4f8bbcb8"
			  "04cd80de51e354\"}}";
	const char *noid =
	    "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{}}";
	const char *noact =
	    "{\"Type\":\"container\",\"Actor\":{\"ID\":\"" ID_WEB "\"}}";
	const char *longact = "{\"Type\":\"container\",\"Action\":"
			      "\"abcdefghijklmnopqrstuvwxyz0123456789\","
			      "\"Actor\":{\"ID\":\"" ID_WEB "\"}}";
	const char *minimal = "{\"Type\":\"container\",\"Action\":\"oom\","
			      "\"Actor\":{\"ID\":\"" ID_WEB
			      "\",\"Attributes\":{\"exitCode\":\"x\"}}}";
	struct docker_event e;

	ck_assert_int_eq(docker_parse_event(net, strlen(net), &e), -ENOENT);
	ck_assert_int_eq(docker_parse_event(noid, strlen(noid), &e), -EBADMSG);
	ck_assert_int_eq(docker_parse_event(noact, strlen(noact), &e),
			 -EBADMSG);
	ck_assert_int_eq(docker_parse_event(longact, strlen(longact), &e),
			 -ENAMETOOLONG);
	ck_assert_int_eq(docker_parse_event("[]", 2, &e), -EBADMSG);
	ck_assert_int_eq(docker_parse_event(minimal, strlen(minimal), &e), 0);
	ck_assert_str_eq(e.name, "");
	ck_assert_int_eq(e.exit_code, -1);
	ck_assert_int_eq(e.time_ns, 0);
}
END_TEST

START_TEST(error_message_real_and_sanitised)
{
	char msg[64];
	size_t len;
	char *body = body_of(resp_404, &len);
	const char *evil = "{\"message\":\"a\\nFAKE LOG LINE\\u001b[31m\"}";

	ck_assert_int_eq(docker_parse_error(body, len, msg, sizeof(msg)), 0);
	/* cut to the buffer: 63 characters and the NUL */
	ck_assert_str_eq(
	    msg,
	    "No such container: 00000000000000000000000000000000000000000000");
	free(body);
	ck_assert_int_eq(
	    docker_parse_error(evil, strlen(evil), msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "a?FAKE LOG LINE?[31m");
	ck_assert_int_eq(docker_parse_error("{}", 2, msg, sizeof(msg)),
			 -EBADMSG);
	ck_assert_int_eq(docker_parse_error(NULL, 0, msg, sizeof(msg)),
			 -EBADMSG);
}
END_TEST

/* --- Event stream -------------------------------------------------------- */

/* Feeds p to s in pieces of `piece` bytes, taking events after each. */
static size_t stream_run(struct docker_event_stream *s, const char *p,
			 size_t len, size_t piece, struct docker_event *ev,
			 size_t max)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += piece) {
		size_t k = len - off < piece ? len - off : piece;
		ck_assert_int_eq(docker_event_stream_feed(s, p + off, k), 0);
		while (n < max && !docker_event_stream_next(s, &ev[n]))
			n++;
	}
	return n;
}

START_TEST(stream_real_events_any_piece_size)
{
	struct docker_event_stream s;
	struct docker_event ev[8];
	size_t len = strlen(events_resp);

	for (size_t piece = 1; piece <= len; piece += piece < 64 ? 1 : 97) {
		docker_event_stream_init(&s);
		ck_assert_uint_eq(
		    stream_run(&s, events_resp, len, piece, ev, 8), 6);
		ck_assert_str_eq(ev[0].action, "start");
		ck_assert_str_eq(ev[5].action, "destroy");
		ck_assert_str_eq(ev[5].id, ID_STOPPED);
		/* dockerd keeps the stream open: nothing more, no end yet. */
		ck_assert_int_eq(docker_event_stream_next(&s, &ev[7]), -EAGAIN);
		docker_event_stream_eof(&s);
		ck_assert_int_eq(docker_event_stream_next(&s, &ev[7]), -EPIPE);
		ck_assert_uint_eq(s.skipped, 0);
		docker_event_stream_free(&s);
	}
}
END_TEST

/* Cut anywhere: only whole lines become events, then the end. */
START_TEST(stream_every_truncation)
{
	struct docker_event_stream s;
	struct docker_event ev[8];
	size_t len = strlen(events_resp), n, prev = 0;

	for (size_t cut = 0; cut < len; cut++) {
		docker_event_stream_init(&s);
		n = stream_run(&s, events_resp, cut, 4096, ev, 8);
		ck_assert_uint_ge(n, prev);
		ck_assert_uint_le(n, 6);
		prev = n;
		docker_event_stream_eof(&s);
		ck_assert_int_eq(docker_event_stream_next(&s, &ev[7]), -EPIPE);
		docker_event_stream_free(&s);
	}
}
END_TEST

START_TEST(stream_last_chunk_ends_it)
{
	const char *p = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"0\r\n\r\n";
	struct docker_event_stream s;
	struct docker_event e;

	docker_event_stream_init(&s);
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	ck_assert_int_eq(docker_event_stream_feed(&s, p, strlen(p)), 0);
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EPIPE);
	docker_event_stream_free(&s);
}
END_TEST

START_TEST(stream_refused_status)
{
	struct docker_event_stream s;
	struct docker_event e;

	docker_event_stream_init(&s);
	ck_assert_int_eq(
	    docker_event_stream_feed(&s, resp_500, strlen(resp_500)), 0);
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EPROTO);
	docker_event_stream_free(&s);
}
END_TEST

/* A line longer than DOCKER_EVENT_LINE_MAX, junk and other types are
 * skipped; the events around them still come. */
START_TEST(stream_skips_overlong_and_foreign_lines)
{
	const char *head =
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	char *junk = malloc(DOCKER_EVENT_READ_MAX), buf[4096], line[600];
	const char *l1 =
	    "{\"Type\":\"network\",\"Action\":\"connect\"}\nnot json\n\n";
	size_t n = event_lines(buf, sizeof(buf)),
	       l0 = (size_t)(strchr(buf, '\n') - buf) + 1;
	struct docker_event_stream s;
	struct docker_event e;
	int k;

	docker_event_stream_init(&s);
	ck_assert_int_eq(docker_event_stream_feed(&s, head, strlen(head)), 0);
	/* 1.1 MiB of one line, in chunks of a read each. */
	memset(junk, 'x', DOCKER_EVENT_READ_MAX);
	k = sprintf(junk, "%x\r\n", DOCKER_EVENT_READ_MAX - 16);
	memset(junk + k, 'x', DOCKER_EVENT_READ_MAX - 16);
	memcpy(junk + k + DOCKER_EVENT_READ_MAX - 16, "\r\n", 2);
	for (size_t i = 0;
	     i < (DOCKER_EVENT_LINE_MAX / DOCKER_EVENT_READ_MAX) + 8; i++) {
		ck_assert_int_eq(
		    docker_event_stream_feed(
			&s, junk, (size_t)k + DOCKER_EVENT_READ_MAX - 14),
		    0);
		ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	}
	/* The end of that line, foreign lines, then a real event. */
	k = snprintf(line, sizeof(line), "%zx\r\n", 1 + strlen(l1) + l0);
	memcpy(line + k, "\n", 1);
	memcpy(line + k + 1, l1, strlen(l1));
	memcpy(line + k + 1 + strlen(l1), buf, l0);
	memcpy(line + k + 1 + strlen(l1) + l0, "\r\n", 2);
	ck_assert_int_eq(docker_event_stream_feed(
			     &s, line, (size_t)k + 1 + strlen(l1) + l0 + 2),
			 0);
	ck_assert_int_eq(docker_event_stream_next(&s, &e), 0);
	ck_assert_str_eq(e.action, "start");
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	ck_assert_uint_eq(s.skipped, 3); /* the long line, network, not json */
	ck_assert_uint_lt(s.resp.body_len, 64);
	/* Feeding more than a read, or over untaken events, is refused. */
	ck_assert_int_eq(
	    docker_event_stream_feed(&s, junk, DOCKER_EVENT_READ_MAX + 1),
	    -ENOBUFS);
	(void)n;
	free(junk);
	docker_event_stream_free(&s);
}
END_TEST

/* --- I/O against a fake dockerd ---------------------------------------- */

struct route {
	const char *path; /* request target */
	const char *resp; /* NULL: accept, read, never answer */
};

struct fake {
	char dir[64], path[108];
	int lfd;
	pthread_t thread;
	const struct route *routes;
	size_t nroutes, piece;
	int held[8];
	size_t nheld;
};

/* Reads a request head and answers it in pieces of f->piece bytes. */
static void fake_serve(struct fake *f, int fd)
{
	char req[2048], target[512];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(req) - 1 &&
	       (k = recv(fd, req + n, sizeof(req) - 1 - n, 0)) > 0) {
		n += (size_t)k;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (sscanf(req, "GET %511s HTTP/1.1", target) == 1)
		for (size_t i = 0; i < f->nroutes; i++) {
			const char *r = f->routes[i].resp;
			if (strcmp(target, f->routes[i].path))
				continue;
			if (!r && f->nheld < NELEM(f->held)) {
				f->held[f->nheld++] = fd;
				return;
			}
			for (size_t off = 0; off < strlen(r); off += f->piece)
				send(fd, r + off,
				     strlen(r) - off < f->piece
					 ? strlen(r) - off
					 : f->piece,
				     MSG_NOSIGNAL);
			break;
		}
	close(fd);
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0)
		fake_serve(f, fd);
	return NULL;
}

static void fake_start(struct fake *f, const struct route *routes, size_t n,
		       size_t piece)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/test_docker.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/docker.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->lfd, 16), 0);
	f->routes = routes;
	f->nroutes = n;
	f->piece = piece;
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_thread, f), 0);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR); /* accept() returns: the thread ends */
	pthread_join(f->thread, NULL);
	close(f->lfd);
	for (size_t i = 0; i < f->nheld; i++)
		close(f->held[i]);
	unlink(f->path);
	rmdir(f->dir);
}

/* A 200 response with Content-Length around a body. */
static char *with_length(const char *body)
{
	char *p;

	ck_assert_int_ge(
	    asprintf(&p,
		     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     strlen(body), body),
	    0);
	return p;
}

#define EVENTS_TARGET "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"

/* The exited container went away between list and inspect (404): left
 * out; the others come in list order. Answers arrive 7 bytes at a time. */
START_TEST(list_through_fake_dockerd)
{
	char *stopped = with_length(inspect_stopped_body);
	const struct route routes[] = {
		{ "/containers/json?all=1", list_resp },
		{ "/containers/" ID_EXITED "/json", resp_404 },
		{ "/containers/" ID_STOPPED "/json", stopped },
		{ "/containers/" ID_WEB "/json", inspect_running_resp },
	};
	struct docker_container out[4];
	struct fake f;
	struct docker *d;
	char err[256] = "unchanged";
	size_t n = 0;

	fake_start(&f, routes, NELEM(routes), 7);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].name, "e2e-stopped");
	ck_assert(!out[0].running);
	ck_assert_str_eq(out[1].name, "e2e-web");
	ck_assert(out[1].running);
	ck_assert_int_eq(out[1].pid, 30522);
	ck_assert_str_eq(out[1].image, "e2e-busybox:latest");
	/* Room for one: the first listed (404, skipped), the second, -ENOBUFS.
	 */
	ck_assert_int_eq(docker_list(d, out, 1, &n, err, sizeof(err)),
			 -ENOBUFS);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(
	    err, "dockerd has more than 1 containers; listed the first 1");
	docker_close(d);
	fake_stop(&f);
	free(stopped);
}
END_TEST

START_TEST(list_errors_say_what_failed)
{
	const struct route routes[] = {
		{ "/containers/json?all=1", resp_500 },
	};
	const struct route bad_json[] = {
		{ "/containers/json?all=1",
		  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" },
	};
	struct docker_container out[4];
	struct fake f;
	struct docker *d = docker_open("/nonexistent/docker.sock");
	char err[256];
	size_t n;

	ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot connect to /nonexistent/docker.sock: No "
			      "such file or directory");
	docker_close(d);

	fake_start(&f, routes, NELEM(routes), 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "HTTP 500 from /containers/json: invalid "
			      "character 'g' looking for beginning of value");
	docker_close(d);
	fake_stop(&f);

	fake_start(&f, bad_json, NELEM(bad_json), 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)),
			 -EBADMSG);
	ck_assert_str_eq(err, "unexpected JSON from /containers/json");
	docker_close(d);
	fake_stop(&f);
}
END_TEST

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A daemon that accepts and never answers costs DOCKER_TIMEOUT_MS. */
START_TEST(list_times_out)
{
	const struct route routes[] = { { "/containers/json?all=1", NULL } };
	struct docker_container out[1];
	struct fake f;
	struct docker *d;
	char err[256], want[256];
	size_t n;
	int64_t t0, dt;

	fake_start(&f, routes, NELEM(routes), 1);
	d = docker_open(f.path);
	t0 = mono_ms();
	ck_assert_int_eq(docker_list(d, out, 1, &n, err, sizeof(err)),
			 -ETIMEDOUT);
	dt = mono_ms() - t0;
	ck_assert_int_ge(dt, DOCKER_TIMEOUT_MS - 10);
	ck_assert_int_lt(dt, DOCKER_TIMEOUT_MS + 500);
	snprintf(want, sizeof(want),
		 "no answer to /containers/json from %s within 2000 ms",
		 f.path);
	ck_assert_str_eq(err, want);
	docker_close(d);
	fake_stop(&f);
}
END_TEST

/* The real event stream, 5 bytes at a time, then closed by the daemon:
 * six events (at most 4 per read), then -EPIPE. */
START_TEST(events_through_fake_dockerd)
{
	const struct route routes[] = { { EVENTS_TARGET, events_resp } };
	struct docker_event ev[4];
	const char *want[] = {
		"start", "die", "kill", "die", "stop", "destroy"
	};
	struct fake f;
	struct docker *d;
	char err[256];
	size_t n, got = 0;
	int r;

	fake_start(&f, routes, NELEM(routes), 5);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_fd(d), -EBADF);
	ck_assert_int_eq(docker_events_read(d, ev, 4, &n), -ENOTCONN);
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), 0);
	for (;;) {
		struct pollfd p = { .fd = docker_events_fd(d),
				    .events = POLLIN };
		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		r = docker_events_read(d, ev, 4, &n);
		if (r)
			break;
		ck_assert_uint_le(n, 4);
		for (size_t i = 0; i < n; i++, got++)
			ck_assert_str_eq(ev[i].action, want[got]);
	}
	ck_assert_int_eq(r, -EPIPE);
	ck_assert_uint_eq(got, 6);
	ck_assert_int_eq(docker_events_read(d, ev, 4, &n), -EPIPE);
	docker_close(d);
	fake_stop(&f);
}
END_TEST

START_TEST(events_refused_says_why)
{
	const struct route routes[] = { { EVENTS_TARGET, resp_500 } };
	struct fake f;
	struct docker *d;
	char err[256];

	fake_start(&f, routes, NELEM(routes), 3);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), -EPROTO);
	ck_assert_str_eq(err, "HTTP 500 from /events: invalid character 'g' "
			      "looking for beginning of value");
	ck_assert_int_eq(docker_events_fd(d), -EBADF);
	docker_close(d);
	fake_stop(&f);
}
END_TEST

START_TEST(open_checks_path)
{
	char longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = 0;
	ck_assert_ptr_null(docker_open(longpath));
	ck_assert_int_eq(errno, ENAMETOOLONG);
	docker_close(NULL);
}
END_TEST

static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *head = tcase_create("head"), *chunk = tcase_create("chunk");
	TCase *resp = tcase_create("response"), *json = tcase_create("json");
	TCase *stream = tcase_create("stream"), *io = tcase_create("io");

	ADD(head, head_of_real_chunked_response);
	ADD(head, head_of_real_error_has_length);
	ADD(head, head_every_truncation_asks_for_more);
	ADD(head, head_bare_lf_and_no_reason);
	ADD(head, head_ambiguous_or_malformed_refused);
	ADD(head, head_limits);
	ADD(chunk, chunks_decoded_byte_by_byte);
	ADD(chunk, chunks_end_after_trailer);
	ADD(chunk, chunks_malformed_refused);
	ADD(chunk, chunk_lines_bounded);
	ADD(resp, response_real_list);
	ADD(resp, response_every_truncation_asks_for_more);
	ADD(resp, response_any_split_same_body);
	ADD(resp, response_body_to_eof_and_empty);
	ADD(resp, response_larger_than_cap_refused);
	ADD(resp, response_head_too_long);
	ADD(json, ids_of_real_list);
	ADD(json, ids_malformed_refused);
	ADD(json, container_running_from_real_inspect);
	ADD(json, container_stopped_from_real_inspect);
	ADD(json, container_malformed_refused);
	ADD(json, events_from_real_lines);
	ADD(json, event_exec_action_cut_at_colon);
	ADD(json, event_other_types_and_malformed);
	ADD(json, error_message_real_and_sanitised);
	ADD(stream, stream_real_events_any_piece_size);
	ADD(stream, stream_every_truncation);
	ADD(stream, stream_last_chunk_ends_it);
	ADD(stream, stream_refused_status);
	ADD(stream, stream_skips_overlong_and_foreign_lines);
	ADD(io, list_through_fake_dockerd);
	ADD(io, list_errors_say_what_failed);
	ADD(io, list_times_out);
	ADD(io, events_through_fake_dockerd);
	ADD(io, events_refused_says_why);
	ADD(io, open_checks_path);
	tcase_set_timeout(io, 10);
	suite_add_tcase(s, head);
	suite_add_tcase(s, chunk);
	suite_add_tcase(s, resp);
	suite_add_tcase(s, json);
	suite_add_tcase(s, stream);
	suite_add_tcase(s, io);
	return s;
}

TEST_MAIN(docker_suite)
