// SPDX-License-Identifier: GPL-2.0-or-later
/* The Docker client's pure parts (JSON converters, the event stream's line
 * splitter) on bodies captured from a real dockerd (Docker 20.10.24+dfsg1
 * of Debian 12, API 1.41, through tests/e2e/dockerbed.sh), and its I/O
 * (libcurl) against a fake dockerd on a unix socket: well-behaved, slow,
 * silent, hostile. Captures are trimmed where marked. */
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

/* The head dockerd sends before every body (after the status line). */
#define DOCKERD_HEAD                                                           \
	"Api-Version: 1.41\r\n"                                                \
	"Content-Type: application/json\r\n"                                   \
	"Docker-Experimental: false\r\n"                                       \
	"Ostype: linux\r\n"                                                    \
	"Server: Docker/20.10.24+dfsg1 (linux)\r\n"                            \
	"Date: Sat, 28 Nov 2026 13:02:20 GMT\r\n"

/* GET /containers/json?all=1 (dockerd sends it chunked, the whole array
 * and its final LF in one chunk). Trimmed: each container keeps Id,
 * Names, Image, ImageID, Command, State, Status (Created, Ports, Labels,
 * HostConfig, NetworkSettings and Mounts removed). Three containers: one
 * that exited (sh -c 'exit 3'), one created and never started, one up. */
static const char list_body[] =
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
    "\"State\":\"running\",\"Status\":\"Up Less than a second\"}]\n";

/* GET /containers/ID/json of the running one. Trimmed to the fields below
 * (dockerd sends ~4.6 KiB: HostConfig, GraphDriver, Mounts, ...). */
static const char inspect_running_body[] =
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
    "\"MacAddress\":\"02:42:c6:12:00:0a\"}}}}\n";

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

/* GET /containers/0000.../json: 404, an error body (Content-Length). */
static const char body_404[] =
    "{\"message\":\"No such container: 00000000000000000000000000000000000000"
    "00000000000000000000000000\"}\n";

/* GET /events?filters=garbage: dockerd's 500, verbatim. */
static const char resp_500[] =
    "HTTP/1.1 500 Internal Server Error\r\n" DOCKERD_HEAD
    "Content-Length: 67\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"message\":\"invalid character 'g' looking for beginning of value\"}\n";

/* The body of GET /events?filters={"type":["container"]}: one chunk per
 * event, each a JSON line. Six events (of nine captured): start and die of
 * e2e-stopped, kill (SIGTERM), die (137) and stop of e2e-web under
 * `docker stop -t 1`, destroy of e2e-stopped. dockerd never ends the
 * stream by itself: no last chunk. */
static const char events_body[] =
    "{\"status\":\"start\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067"
    "ad22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"start\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-stopped\"}},\"scope\":\"local\","
    "\"time\":1795870941,\"timeNano\":1795870941792999359}\n"
    "{\"status\":\"die\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad"
    "22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"die\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"exitCode\":\"0\","
    "\"image\":\"e2e-busybox:latest\",\"name\":\"e2e-stopped\"}},"
    "\"scope\":\"local\",\"time\":1795870941,"
    "\"timeNano\":1795870941821376812}\n"
    "{\"status\":\"kill\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6"
    "b7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"kill\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-web\",\"signal\":\"15\"}},"
    "\"scope\":\"local\",\"time\":1795870942,"
    "\"timeNano\":1795870942136578662}\n"
    "{\"status\":\"die\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6b"
    "7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"die\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"exitCode\":\"137\","
    "\"image\":\"e2e-busybox:latest\",\"name\":\"e2e-web\"}},"
    "\"scope\":\"local\",\"time\":1795870943,"
    "\"timeNano\":1795870943180515466}\n"
    "{\"status\":\"stop\",\"id\":\"864d610bce2f53df11de525027d52915f77ffeeca6"
    "b7912a03bcae87dff1373a\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"stop\","
    "\"Actor\":{\"ID\":\"864d610bce2f53df11de525027d52915f77ffeeca6b7912a03bc"
    "ae87dff1373a\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-web\"}},\"scope\":\"local\","
    "\"time\":1795870943,\"timeNano\":1795870943341429646}\n"
    "{\"status\":\"destroy\",\"id\":\"f23c48f7b1e7bec873f0b39952de44a7c96be30"
    "67ad22314f9018688ca16e977\",\"from\":\"e2e-busybox:latest\","
    "\"Type\":\"container\",\"Action\":\"destroy\","
    "\"Actor\":{\"ID\":\"f23c48f7b1e7bec873f0b39952de44a7c96be3067ad22314f901"
    "8688ca16e977\",\"Attributes\":{\"image\":\"e2e-busybox:latest\","
    "\"name\":\"e2e-stopped\"}},\"scope\":\"local\","
    "\"time\":1795870943,\"timeNano\":1795870943409608665}\n";

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

/* --- JSON ---------------------------------------------------------------- */

START_TEST(ids_of_real_list)
{
	char ids[4][DOCKER_ID_LEN + 1];
	size_t len = strlen(list_body), n = 99;

	ck_assert_int_eq(docker_parse_ids(list_body, len, ids, 4, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(ids[0], ID_EXITED);
	ck_assert_str_eq(ids[1], ID_STOPPED);
	ck_assert_str_eq(ids[2], ID_WEB);
	/* More containers than room: the first ones, and -ENOBUFS. */
	ck_assert_int_eq(docker_parse_ids(list_body, len, ids, 2, &n),
			 -ENOBUFS);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ids[1], ID_STOPPED);
	/* Every truncation of the JSON (without its LF) is refused. */
	for (size_t k = 0; k < len - 1; k++)
		ck_assert_int_eq(docker_parse_ids(list_body, k, ids, 4, &n),
				 -EBADMSG);
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
	size_t len = strlen(inspect_running_body);

	ck_assert_int_eq(docker_parse_container(inspect_running_body, len, &c),
			 0);
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
		ck_assert_int_eq(
		    docker_parse_container(inspect_running_body, k, &c),
		    -EBADMSG);
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

static int parse_mode(const char *hostconfig, struct docker_container *c)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"Id\":\"" ID_WEB "\",\"Name\":\"/a\","
		 "\"State\":{\"Running\":true,\"Pid\":7}%s%s}",
		 hostconfig ? ",\"HostConfig\":" : "",
		 hostconfig ? hostconfig : "");
	return docker_parse_container(buf, strlen(buf), c);
}

/* `docker run --network host`: HostConfig.NetworkMode "host". */
START_TEST(container_network_mode)
{
	struct docker_container c;

	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"host\"}", &c), 0);
	ck_assert(c.host_network);
	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"bridge\"}", &c), 0);
	ck_assert(!c.host_network);
	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"default\"}", &c), 0);
	ck_assert(!c.host_network);
	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"container:abc\"}", &c),
			 0);
	ck_assert(!c.host_network);
	/* a user network's long name is no error, and not the host's */
	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"hostxxxxxxxxxxxxxxxxxxxxx\"}",
				    &c),
			 0);
	ck_assert(!c.host_network);
	ck_assert_int_eq(parse_mode("{}", &c), 0);
	ck_assert(!c.host_network);
	ck_assert_int_eq(parse_mode(NULL, &c), 0);
	ck_assert(!c.host_network);
	ck_assert_int_eq(parse_mode("{\"NetworkMode\":\"Host\"}", &c), 0);
	ck_assert(!c.host_network);
}
END_TEST

START_TEST(events_from_real_lines)
{
	const char *l = events_body, *nl;
	struct docker_event e[6];
	size_t k = 0;

	for (; k < 6 && (nl = strchr(l, '\n')); l = nl + 1, k++) {
		ck_assert_int_eq(docker_parse_event(l, (size_t)(nl - l), &e[k]),
				 0);
		/* Every truncation of a line is refused. */
		for (size_t t = 0; t < (size_t)(nl - l); t++)
			ck_assert_int_eq(docker_parse_event(l, t, &e[5]),
					 -EBADMSG);
	}
	ck_assert_uint_eq(k, 6);
	ck_assert_str_eq(l, "");
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
	const char *evil = "{\"message\":\"a\\nFAKE LOG LINE\\u001b[31m\"}";

	ck_assert_int_eq(
	    docker_parse_error(body_404, strlen(body_404), msg, sizeof(msg)),
	    0);
	/* cut to the buffer: 63 characters and the NUL */
	ck_assert_str_eq(
	    msg,
	    "No such container: 00000000000000000000000000000000000000000000");
	ck_assert_int_eq(
	    docker_parse_error(evil, strlen(evil), msg, sizeof(msg)), 0);
	ck_assert_str_eq(msg, "a?FAKE LOG LINE?[31m");
	ck_assert_int_eq(docker_parse_error("{}", 2, msg, sizeof(msg)),
			 -EBADMSG);
	ck_assert_int_eq(docker_parse_error(NULL, 0, msg, sizeof(msg)),
			 -EBADMSG);
}
END_TEST

/* --- Event stream: the line splitter ------------------------------------ */

/* Feeds p to s in pieces of `piece` bytes, taking events after each. */
static size_t split_run(struct docker_event_stream *s, const char *p,
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
	size_t len = strlen(events_body);

	for (size_t piece = 1; piece <= len; piece += piece < 64 ? 1 : 97) {
		docker_event_stream_init(&s);
		ck_assert_uint_eq(split_run(&s, events_body, len, piece, ev, 8),
				  6);
		ck_assert_str_eq(ev[0].action, "start");
		ck_assert_str_eq(ev[3].action, "die");
		ck_assert_int_eq(ev[3].exit_code, 137);
		ck_assert_str_eq(ev[5].action, "destroy");
		ck_assert_str_eq(ev[5].id, ID_STOPPED);
		ck_assert_int_eq(docker_event_stream_next(&s, &ev[7]), -EAGAIN);
		ck_assert_uint_eq(s.skipped, 0);
		docker_event_stream_free(&s);
	}
}
END_TEST

/* Cut anywhere: exactly the whole lines before the cut become events. */
START_TEST(stream_every_truncation)
{
	struct docker_event_stream s;
	struct docker_event ev[8];
	size_t len = strlen(events_body), n, lines = 0;

	for (size_t cut = 0; cut < len; cut++) {
		docker_event_stream_init(&s);
		n = split_run(&s, events_body, cut, 4096, ev, 8);
		ck_assert_uint_eq(n, lines);
		ck_assert(!docker_event_stream_pending(&s));
		docker_event_stream_free(&s);
		lines += events_body[cut] == '\n';
	}
	ck_assert_uint_eq(lines, 6);
}
END_TEST

START_TEST(stream_pending_until_taken)
{
	const char *l = events_body, *nl = strchr(l, '\n');
	struct docker_event_stream s;
	struct docker_event e;

	docker_event_stream_init(&s);
	ck_assert(!docker_event_stream_pending(&s));
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	/* A line without its LF is not a line yet. */
	ck_assert_int_eq(docker_event_stream_feed(&s, l, (size_t)(nl - l)), 0);
	ck_assert(!docker_event_stream_pending(&s));
	ck_assert_int_eq(docker_event_stream_feed(&s, "\n\n", 2), 0);
	ck_assert(docker_event_stream_pending(&s));
	ck_assert_int_eq(docker_event_stream_next(&s, &e), 0);
	ck_assert_str_eq(e.action, "start");
	/* The empty line is taken silently. */
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	ck_assert(!docker_event_stream_pending(&s));
	ck_assert_uint_eq(s.skipped, 0);
	docker_event_stream_free(&s);
	docker_event_stream_free(NULL);
}
END_TEST

/* The first event line, padded with spaces to len bytes (JSON allows
 * them), then its LF. */
static char *padded_event(size_t len)
{
	const char *nl = strchr(events_body, '\n');
	size_t n = (size_t)(nl - events_body);
	char *p = malloc(len + 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, events_body, n);
	memset(p + n, ' ', len - n);
	p[len] = '\n';
	return p;
}

/* A line of DOCKER_EVENT_LINE_MAX bytes is read, one more is skipped:
 * whole or in pieces, the same. */
START_TEST(stream_line_max_boundary)
{
	static const size_t pieces[] = {DOCKER_EVENT_READ_MAX, 1000003,
					DOCKER_EVENT_LINE_MAX + 1,
					DOCKER_EVENT_LINE_MAX + 2};
	char *fits = padded_event(DOCKER_EVENT_LINE_MAX),
	     *over = padded_event(DOCKER_EVENT_LINE_MAX + 1);
	struct docker_event_stream s;
	struct docker_event ev[2];

	for (size_t i = 0; i < NELEM(pieces); i++) {
		docker_event_stream_init(&s);
		ck_assert_uint_eq(split_run(&s, fits, DOCKER_EVENT_LINE_MAX + 1,
					    pieces[i], ev, 2),
				  1);
		ck_assert_str_eq(ev[0].action, "start");
		ck_assert_uint_eq(split_run(&s, over, DOCKER_EVENT_LINE_MAX + 2,
					    pieces[i], ev, 2),
				  0);
		ck_assert_uint_eq(s.skipped, 1);
		docker_event_stream_free(&s);
	}
	free(fits);
	free(over);
}
END_TEST

/* A line longer than DOCKER_EVENT_LINE_MAX, junk and other types are
 * skipped; the events around them still come. Memory stays bounded by
 * one line and one piece. */
START_TEST(stream_skips_overlong_and_foreign_lines)
{
	char *junk = malloc(DOCKER_EVENT_READ_MAX);
	const char *l1 =
	    "\n{\"Type\":\"network\",\"Action\":\"connect\"}\nnot json\n\n";
	const char *ev0 = events_body, *nl = strchr(ev0, '\n');
	struct docker_event_stream s;
	struct docker_event e;

	docker_event_stream_init(&s);
	memset(junk, 'x', DOCKER_EVENT_READ_MAX);
	for (size_t i = 0;
	     i < (DOCKER_EVENT_LINE_MAX / DOCKER_EVENT_READ_MAX) * 3; i++) {
		ck_assert_int_eq(
		    docker_event_stream_feed(&s, junk, DOCKER_EVENT_READ_MAX),
		    0);
		ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
		ck_assert_uint_le(s.len, DOCKER_EVENT_LINE_MAX +
					     DOCKER_EVENT_READ_MAX);
	}
	/* The end of that line, foreign lines, then a real event. */
	ck_assert_int_eq(docker_event_stream_feed(&s, l1, strlen(l1)), 0);
	ck_assert_int_eq(
	    docker_event_stream_feed(&s, ev0, (size_t)(nl - ev0) + 1), 0);
	ck_assert_int_eq(docker_event_stream_next(&s, &e), 0);
	ck_assert_str_eq(e.action, "start");
	ck_assert_int_eq(docker_event_stream_next(&s, &e), -EAGAIN);
	ck_assert_uint_eq(s.skipped, 3); /* the long line, network, not json */
	free(junk);
	docker_event_stream_free(&s);
}
END_TEST

/* --- I/O against a fake dockerd ---------------------------------------- */

enum fake_kind {
	FAKE_SEND,    /* resp, in pieces, then close */
	FAKE_SILENT,  /* accept, read the request, never answer */
	FAKE_ENDLESS, /* resp, then fill again and again until the peer goes */
	FAKE_HOLD,    /* resp, then silence: the connection stays open */
};

struct route {
	const char *path; /* request target */
	const char *resp;
	enum fake_kind kind;
	const char *fill;
};

struct fake {
	char dir[64], path[108];
	int lfd;
	pthread_t thread;
	const struct route *routes;
	size_t nroutes, piece;
	unsigned delay_us; /* between pieces */
	int held[8];
	size_t nheld;
};

static void send_pieces(const struct fake *f, int fd, const char *r)
{
	size_t len = strlen(r), k;

	for (size_t off = 0; off < len; off += k) {
		k = len - off < f->piece ? len - off : f->piece;
		if (send(fd, r + off, k, MSG_NOSIGNAL) < 0)
			return;
		if (f->delay_us)
			usleep(f->delay_us);
	}
}

static void send_endless(int fd, const char *head, const char *fill)
{
	size_t n = strlen(fill);

	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
		return;
	while (send(fd, fill, n, MSG_NOSIGNAL) > 0)
		;
}

/* Reads a request head and answers it as its route says. */
static void fake_serve(struct fake *f, int fd)
{
	char req[2048], target[512];
	const struct route *rt = NULL;
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(req) - 1 &&
	       (k = recv(fd, req + n, sizeof(req) - 1 - n, 0)) > 0) {
		n += (size_t)k;
		req[n] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	if (n && sscanf(req, "GET %511s HTTP/1.1", target) == 1)
		for (size_t i = 0; i < f->nroutes && !rt; i++)
			if (!strcmp(target, f->routes[i].path))
				rt = &f->routes[i];
	if (rt && rt->kind == FAKE_ENDLESS)
		send_endless(fd, rt->resp, rt->fill);
	else if (rt && rt->resp)
		send_pieces(f, fd, rt->resp);
	if (rt && (rt->kind == FAKE_SILENT || rt->kind == FAKE_HOLD) &&
	    f->nheld < NELEM(f->held)) {
		f->held[f->nheld++] = fd;
		return;
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
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

/* A response with dockerd's head and Content-Length around a body. */
static char *with_length(const char *status, const char *body)
{
	char *p;

	ck_assert_int_ge(asprintf(&p,
				  "HTTP/1.1 %s\r\n" DOCKERD_HEAD
				  "Content-Length: %zu\r\n\r\n%s",
				  status, strlen(body), body),
			 0);
	return p;
}

/* A 200 with dockerd's head and body cut into chunks of `chunk` bytes;
 * the last chunk if `last`. */
static char *chunked(const char *body, size_t chunk, bool last)
{
	size_t len = strlen(body), k, size;
	char *p = NULL;
	FILE *f = open_memstream(&p, &size);

	ck_assert_ptr_nonnull(f);
	fputs("HTTP/1.1 200 OK\r\n" DOCKERD_HEAD
	      "Transfer-Encoding: chunked\r\n\r\n",
	      f);
	for (size_t off = 0; off < len; off += k) {
		k = len - off < chunk ? len - off : chunk;
		fprintf(f, "%zx\r\n", k);
		fwrite(body + off, 1, k, f);
		fputs("\r\n", f);
	}
	if (last)
		fputs("0\r\n\r\n", f);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define EVENTS_TARGET "/events?filters=%7B%22type%22%3A%5B%22container%22%5D%7D"
#define LIST_TARGET "/containers/json?all=1"

/* The exited container went away between list and inspect (404): left
 * out; the others come in list order. Answers arrive 7 bytes at a time. */
START_TEST(list_through_fake_dockerd)
{
	char *list = chunked(list_body, 4096, true),
	     *gone = with_length("404 Not Found", body_404),
	     *stopped = with_length("200 OK", inspect_stopped_body),
	     *web = chunked(inspect_running_body, 100, true);
	const struct route routes[] = {
	    {.path = LIST_TARGET, .resp = list},
	    {.path = "/containers/" ID_EXITED "/json", .resp = gone},
	    {.path = "/containers/" ID_STOPPED "/json", .resp = stopped},
	    {.path = "/containers/" ID_WEB "/json", .resp = web},
	};
	struct docker_container out[4];
	struct fake f;
	struct docker *d;
	char err[256] = "unchanged";
	size_t n = 0;

	fake_start(&f, routes, NELEM(routes), 7);
	d = docker_open(f.path);
	for (int round = 0; round < 2; round++) { /* again on the kept handle */
		ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)),
				 0);
		ck_assert_str_eq(err, ""); /* not the 404 of the one skipped */
		ck_assert_uint_eq(n, 2);
		ck_assert_str_eq(out[0].name, "e2e-stopped");
		ck_assert(!out[0].running);
		ck_assert_str_eq(out[1].name, "e2e-web");
		ck_assert(out[1].running);
		ck_assert_int_eq(out[1].pid, 30522);
		ck_assert_str_eq(out[1].image, "e2e-busybox:latest");
	}
	/* Room for one: the first listed (404, skipped), the second,
	 * -ENOBUFS. */
	ck_assert_int_eq(docker_list(d, out, 1, &n, err, sizeof(err)),
			 -ENOBUFS);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(
	    err, "dockerd has more than 1 containers; listed the first 1");
	docker_close(d);
	fake_stop(&f);
	free(list);
	free(gone);
	free(stopped);
	free(web);
}
END_TEST

/* One request of docker_list against a fake answering `route`: its
 * result, err, and the time it took. */
static int list_against(const struct route *route, char *err, size_t errlen,
			int64_t *ret_ms, char *sock, size_t socklen)
{
	struct docker_container out[1];
	struct fake f;
	struct docker *d;
	size_t n;
	int64_t t0;
	int r;

	fake_start(&f, route, 1, 4096);
	d = docker_open(f.path);
	t0 = mono_ms();
	r = docker_list(d, out, 1, &n, err, errlen);
	*ret_ms = mono_ms() - t0;
	if (sock)
		snprintf(sock, socklen, "%s", f.path);
	docker_close(d);
	fake_stop(&f);
	return r;
}

START_TEST(list_errors_say_what_failed)
{
	const struct route r500 = { .path = LIST_TARGET, .resp = resp_500 };
	const struct route bad_json = {
	    .path = LIST_TARGET,
	    .resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"};
	struct docker_container out[4];
	struct docker *d = docker_open("/nonexistent/docker.sock");
	char err[256];
	int64_t ms;
	size_t n;

	ck_assert_int_eq(docker_list(d, out, 4, &n, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot connect to /nonexistent/docker.sock: No "
			      "such file or directory");
	docker_close(d);
	ck_assert_int_eq(list_against(&r500, err, sizeof(err), &ms, NULL, 0),
			 -EPROTO);
	ck_assert_str_eq(err, "HTTP 500 from /containers/json: invalid "
			      "character 'g' looking for beginning of value");
	ck_assert_int_eq(
	    list_against(&bad_json, err, sizeof(err), &ms, NULL, 0), -EBADMSG);
	ck_assert_str_eq(err, "unexpected JSON from /containers/json");
}
END_TEST

/* A daemon that accepts and never answers costs DOCKER_TIMEOUT_MS. */
START_TEST(list_times_out)
{
	const struct route silent = { LIST_TARGET, NULL, FAKE_SILENT, NULL };
	char err[256], want[256], sock[108];
	int64_t ms;

	ck_assert_int_eq(
	    list_against(&silent, err, sizeof(err), &ms, sock, sizeof(sock)),
	    -ETIMEDOUT);
	ck_assert_int_ge(ms, DOCKER_TIMEOUT_MS - 10);
	ck_assert_int_lt(ms, DOCKER_TIMEOUT_MS + 500);
	snprintf(want, sizeof(want),
		 "no answer to /containers/json from %s within 2000 ms", sock);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Not HTTP, broken chunking, a head without end: refused at once. */
START_TEST(list_refuses_garbage)
{
	static const struct route bad[] = {
	    {.path = LIST_TARGET, .resp = "SSH-2.0-OpenSSH_9.2\r\n\r\n"},
	    {.path = LIST_TARGET,
	     .resp = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"},
	    {.path = LIST_TARGET,
	     .resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
		     "\r\n\r\nzz\r\n[]\r\n0\r\n\r\n"},
	    {.path = LIST_TARGET,
	     .resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		     "Content-Length: 7\r\n\r\n[]"},
	    {.path = LIST_TARGET,
	     .resp = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
		     "\r\n[]"},
	    {.path = LIST_TARGET, .resp = ""},
	};
	char err[256];
	int64_t ms;
	int r;

	for (size_t i = 0; i < NELEM(bad); i++) {
		r = list_against(&bad[i], err, sizeof(err), &ms, NULL, 0);
		ck_assert_msg(r == -EBADMSG || r == -ECONNRESET,
			      "route %zu: %d (%s)", i, r, err);
		ck_assert_msg(ms < 500, "route %zu: %lld ms", i, (long long)ms);
	}
	/* What the messages say, for two of them. */
	list_against(&bad[0], err, sizeof(err), &ms, NULL, 0);
	ck_assert_msg(!strncmp(err,
			       "malformed HTTP response to "
			       "/containers/json: ",
			       44),
		      "%s", err);
	ck_assert_int_eq(list_against(&bad[5], err, sizeof(err), &ms, NULL, 0),
			 -ECONNRESET);
	ck_assert_msg(strstr(err, "closed the connection before the end of "
				  "/containers/json"),
		      "%s", err);
}
END_TEST

/* A body without end, or announced too large, or a head without end:
 * refused at the cap, well before the timeout. */
START_TEST(list_refuses_endless)
{
	static const char chunk[] = "4000\r\n"
				    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
				    "[[[[[[[[[[[[[[[[[[[[[[[[";
	char *fill = malloc(0x4000 + 16);
	const struct route body_to_eof = {
	    LIST_TARGET, "HTTP/1.1 200 OK\r\n\r\n", FAKE_ENDLESS, fill};
	const struct route chunks = {LIST_TARGET,
				     "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
				     "chunked\r\n\r\n",
				     FAKE_ENDLESS, fill};
	const struct route huge = {
	    .path = LIST_TARGET,
	    .resp = "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n"
		    "\r\n[",
	};
	const struct route headers = {LIST_TARGET, "HTTP/1.1 200 OK\r\n",
				      FAKE_ENDLESS, "X-Junk: 1\r\n"};
	char err[256];
	int64_t ms;

	/* One chunk of 0x4000 '[' (its size line, then data, then CRLF). */
	memset(fill, '[', 0x4000 + 16);
	memcpy(fill, chunk, 6);
	memcpy(fill + 6 + 0x4000, "\r\n", 3);
	ck_assert_int_eq(
	    list_against(&body_to_eof, err, sizeof(err), &ms, NULL, 0), -EFBIG);
	ck_assert_str_eq(err, "response to /containers/json larger than "
			      "16777216 bytes");
	ck_assert_int_lt(ms, DOCKER_TIMEOUT_MS);
	memcpy(fill, chunk, 6);
	ck_assert_int_eq(list_against(&chunks, err, sizeof(err), &ms, NULL, 0),
			 -EFBIG);
	ck_assert_int_lt(ms, DOCKER_TIMEOUT_MS);
	ck_assert_int_eq(list_against(&huge, err, sizeof(err), &ms, NULL, 0),
			 -EFBIG);
	ck_assert_int_lt(ms, 500);
	ck_assert_int_eq(list_against(&headers, err, sizeof(err), &ms, NULL, 0),
			 -E2BIG);
	ck_assert_str_eq(err, "response head to /containers/json larger than "
			      "8192 bytes");
	ck_assert_int_lt(ms, 500);
	free(fill);
}
END_TEST

/* Reads events until the stream fails or `want` came; each read waits
 * for the descriptor (at most wait_ms). Returns the last result. */
static int events_collect(struct docker *d, struct docker_event *ev, size_t max,
			  size_t want, size_t *got, int wait_ms)
{
	int fd = docker_events_fd(d), r = 0;
	size_t n;

	*got = 0;
	while (*got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ck_assert_int_eq(poll(&p, 1, wait_ms), 1);
		r = docker_events_read(d, ev + *got, max - *got, &n);
		if (r)
			break;
		ck_assert_int_eq(docker_events_fd(d), fd); /* stays the same */
		*got += n;
	}
	return r;
}

/* The real stream re-chunked in 7-byte chunks, sent 5 bytes at a time
 * with pauses, then closed by the daemon: six events, then -EPIPE. */
START_TEST(events_through_fake_dockerd)
{
	char *resp = chunked(events_body, 7, false);
	const struct route routes[] = {{.path = EVENTS_TARGET, .resp = resp}};
	static const char *const want[] = {"start", "die",  "kill",
					   "die",   "stop", "destroy"};
	struct docker_event ev[8];
	struct fake f;
	struct docker *d;
	char err[256];
	size_t n, got;

	fake_start(&f, routes, NELEM(routes), 5);
	f.delay_us = 50;
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_fd(d), -EBADF);
	ck_assert_int_eq(docker_events_read(d, ev, 4, &n), -ENOTCONN);
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), 0);
	ck_assert_int_ge(docker_events_fd(d), 0);
	ck_assert_int_eq(events_collect(d, ev, 8, 7, &got, 2000), -EPIPE);
	ck_assert_uint_eq(got, 6);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(ev[i].action, want[i]);
	ck_assert_int_eq(ev[3].exit_code, 137);
	ck_assert_int_eq(docker_events_read(d, ev, 4, &n), -EPIPE);
	docker_close(d);
	fake_stop(&f);
	free(resp);
}
END_TEST

/* At most max per call; more buffered makes the descriptor readable. */
START_TEST(events_max_per_call)
{
	char *resp = chunked(events_body, 4096, false);
	const struct route routes[] = {{.path = EVENTS_TARGET, .resp = resp}};
	struct docker_event ev[8];
	struct fake f;
	struct docker *d;
	size_t n, got = 0;
	int calls = 0;

	fake_start(&f, routes, NELEM(routes), 65536);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	for (;;) {
		struct pollfd p = { .fd = docker_events_fd(d), .events = POLLIN };
		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		if (docker_events_read(d, ev, 1, &n))
			break;
		ck_assert_uint_le(n, 1);
		got += n;
		calls++;
	}
	ck_assert_uint_eq(got, 6);
	ck_assert_int_ge(calls, 6);
	docker_close(d);
	fake_stop(&f);
	free(resp);
}
END_TEST

/* A stream that stays open and quiet: the descriptor stays quiet too (no
 * busy loop), and the stream is still open. */
START_TEST(events_quiet_stream_sleeps)
{
	char *head = chunked("", 1, false);
	const struct route routes[] = {{EVENTS_TARGET, head, FAKE_HOLD, NULL}};
	struct fake f;
	struct docker *d;
	struct docker_event ev[1];
	size_t n = 9;

	fake_start(&f, routes, NELEM(routes), 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	for (int i = 0; i < 3; i++) {
		struct pollfd p = { .fd = docker_events_fd(d), .events = POLLIN };
		int k = poll(&p, 1, 200);
		if (k == 1) /* at most libcurl's own timers, then quiet */
			ck_assert_int_eq(docker_events_read(d, ev, 1, &n), 0);
		else
			ck_assert_int_eq(k, 0);
	}
	struct pollfd p = { .fd = docker_events_fd(d), .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 300), 0);
	ck_assert_int_eq(docker_events_read(d, ev, 1, &n), 0);
	ck_assert_uint_eq(n, 0);
	docker_close(d);
	fake_stop(&f);
	free(head);
}
END_TEST

/* A flood of events: every call returns within its budget (the caller's
 * loop is not starved), none is lost, none is out of order. */
START_TEST(events_flood_in_budget)
{
	enum { COPIES = 3000, MAXEV = 8192 }; /* 18000 events, ~6.7 MiB */
	size_t blen = strlen(events_body), shortest = blen, len = 0;
	char *body = malloc(blen * COPIES + 1), *resp;
	struct docker_event *ev = calloc(MAXEV, sizeof(*ev));
	static const char *const want[] = {"start", "die",  "kill",
					   "die",   "stop", "destroy"};
	struct fake f;
	struct docker *d;
	size_t n, got = 0, bound;
	int calls = 0;
	const char *l, *nl;

	for (l = events_body; (nl = strchr(l, '\n')); l = nl + 1)
		if ((size_t)(nl - l) + 1 < shortest)
			shortest = (size_t)(nl - l) + 1;
	for (int i = 0; i < COPIES; i++, len += blen)
		memcpy(body + len, events_body, blen);
	body[len] = 0;
	resp = chunked(body, 1000, false);
	const struct route routes[] = {{.path = EVENTS_TARGET, .resp = resp}};
	/* Bytes one call takes: its budget, one read over it, and one read
	 * held from the call before. */
	bound =
	    (DOCKER_EVENT_READ_BUDGET + 2 * DOCKER_EVENT_READ_MAX) / shortest +
	    1;
	fake_start(&f, routes, NELEM(routes), 65536);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	while (got < 6 * COPIES) {
		struct pollfd p = { .fd = docker_events_fd(d), .events = POLLIN };
		int64_t t0 = mono_ms();
		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		ck_assert_int_eq(docker_events_read(d, ev, MAXEV, &n), 0);
		ck_assert_int_lt(mono_ms() - t0, 1000);
		ck_assert_uint_le(n, bound);
		for (size_t i = 0; i < n; i++)
			ck_assert_str_eq(ev[i].action, want[(got + i) % 6]);
		got += n;
		calls++;
	}
	ck_assert_uint_eq(got, 6 * COPIES);
	/* ~6.7 MiB at most ~1 MiB a call. */
	ck_assert_int_ge(calls, (int)(len / DOCKER_EVENT_READ_BUDGET));
	docker_close(d);
	fake_stop(&f);
	free(resp);
	free(body);
	free(ev);
}
END_TEST

/* A line without end: skipped as it comes, each call returns, and the
 * event after it still comes. */
START_TEST(events_overlong_line_skipped)
{
	size_t big = DOCKER_EVENT_LINE_MAX + DOCKER_EVENT_LINE_MAX / 2;
	char *body = malloc(big + strlen(events_body) + 2), *resp;
	struct docker_event ev[8];
	struct fake f;
	struct docker *d;
	size_t got;

	memset(body, 'x', big);
	body[big] = '\n';
	strcpy(body + big + 1, events_body);
	resp = chunked(body, 30000, false);
	const struct route routes[] = {{.path = EVENTS_TARGET, .resp = resp}};
	fake_start(&f, routes, NELEM(routes), 65536);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	ck_assert_int_eq(events_collect(d, ev, 8, 6, &got, 2000), 0);
	ck_assert_uint_eq(got, 6);
	ck_assert_str_eq(ev[0].action, "start");
	docker_close(d);
	fake_stop(&f);
	free(resp);
	free(body);
}
END_TEST

/* An endless line, as fast as the daemon can send it: each read returns
 * (its budget), no event, the stream stays usable. */
START_TEST(events_endless_line)
{
	char fill[4112];
	char *head = chunked("", 1, false);
	const struct route routes[] = {
	    {EVENTS_TARGET, head, FAKE_ENDLESS, fill}};
	struct fake f;
	struct docker *d;
	struct docker_event ev[4];
	size_t n;

	memcpy(fill, "1000\r\n", 6);
	memset(fill + 6, 'y', 0x1000);
	memcpy(fill + 6 + 0x1000, "\r\n", 3);
	fake_start(&f, routes, NELEM(routes), 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	for (int i = 0; i < 40; i++) {
		struct pollfd p = { .fd = docker_events_fd(d), .events = POLLIN };
		int64_t t0 = mono_ms();
		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		ck_assert_int_eq(docker_events_read(d, ev, 4, &n), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_lt(mono_ms() - t0, 1000);
	}
	docker_close(d); /* the fake's send fails: it moves on */
	fake_stop(&f);
	free(head);
}
END_TEST

START_TEST(events_refused_says_why)
{
	const struct route routes[] = {
	    {.path = EVENTS_TARGET, .resp = resp_500}};
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

/* Silence, garbage, a refusal without end, no daemon: open fails in
 * bounded time and says why. */
START_TEST(events_open_fails_in_time)
{
	static const struct route silent = {EVENTS_TARGET, NULL, FAKE_SILENT,
					    NULL};
	static const struct route garbage = {.path = EVENTS_TARGET,
					     .resp = "garbage\r\n\r\n"};
	static const struct route endless_500 = {
	    EVENTS_TARGET, "HTTP/1.1 500 Oops\r\n\r\n{\"message\":\"x",
	    FAKE_ENDLESS, "yyyyyyyyyyyyyyyy"};
	struct fake f;
	struct docker *d;
	char err[256], want[256];
	int64_t t0, ms;

	fake_start(&f, &silent, 1, 4096);
	d = docker_open(f.path);
	t0 = mono_ms();
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), -ETIMEDOUT);
	ms = mono_ms() - t0;
	ck_assert_int_ge(ms, DOCKER_TIMEOUT_MS - 10);
	ck_assert_int_lt(ms, DOCKER_TIMEOUT_MS + 500);
	snprintf(want, sizeof(want),
		 "no answer to /events from %s within 2000 ms", f.path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(docker_events_fd(d), -EBADF);
	docker_close(d);
	fake_stop(&f);

	fake_start(&f, &garbage, 1, 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), -EBADMSG);
	ck_assert_msg(!strncmp(err, "malformed HTTP response to /events: ", 36),
		      "%s", err);
	docker_close(d);
	fake_stop(&f);

	fake_start(&f, &endless_500, 1, 4096);
	d = docker_open(f.path);
	t0 = mono_ms();
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), -EPROTO);
	ck_assert_int_lt(mono_ms() - t0, DOCKER_TIMEOUT_MS + 500);
	ck_assert_str_eq(err, "HTTP 500 from /events");
	docker_close(d);
	fake_stop(&f);

	d = docker_open("/nonexistent/docker.sock");
	ck_assert_int_eq(docker_events_open(d, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "cannot connect to /nonexistent/docker.sock: No "
			      "such file or directory");
	docker_close(d);
}
END_TEST

/* Broken chunking after an event: the event, then -EBADMSG. */
START_TEST(events_broken_midway)
{
	char *good = chunked("", 1, false), *resp;
	const char *nl = strchr(events_body, '\n');
	struct docker_event ev[8];
	struct fake f;
	struct docker *d;
	size_t got;

	/* The head, the first event's chunk, then junk for a size. */
	ck_assert_int_ge(asprintf(&resp, "%s%zx\r\n%.*s\r\nzz\r\n", good,
				  (size_t)(nl - events_body) + 1,
				  (int)(nl - events_body) + 1, events_body),
			 0);
	const struct route routes[] = {{.path = EVENTS_TARGET, .resp = resp}};
	fake_start(&f, routes, NELEM(routes), 4096);
	d = docker_open(f.path);
	ck_assert_int_eq(docker_events_open(d, NULL, 0), 0);
	ck_assert_int_eq(events_collect(d, ev, 8, 8, &got, 2000), -EBADMSG);
	ck_assert_uint_eq(got, 1);
	ck_assert_str_eq(ev[0].action, "start");
	docker_close(d);
	fake_stop(&f);
	free(good);
	free(resp);
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
	TCase *json = tcase_create("json"), *stream = tcase_create("stream");
	TCase *io = tcase_create("io");

	ADD(json, ids_of_real_list);
	ADD(json, ids_malformed_refused);
	ADD(json, container_running_from_real_inspect);
	ADD(json, container_stopped_from_real_inspect);
	ADD(json, container_malformed_refused);
	ADD(json, container_network_mode);
	ADD(json, events_from_real_lines);
	ADD(json, event_exec_action_cut_at_colon);
	ADD(json, event_other_types_and_malformed);
	ADD(json, error_message_real_and_sanitised);
	ADD(stream, stream_real_events_any_piece_size);
	ADD(stream, stream_every_truncation);
	ADD(stream, stream_pending_until_taken);
	ADD(stream, stream_line_max_boundary);
	ADD(stream, stream_skips_overlong_and_foreign_lines);
	ADD(io, list_through_fake_dockerd);
	ADD(io, list_errors_say_what_failed);
	ADD(io, list_times_out);
	ADD(io, list_refuses_garbage);
	ADD(io, list_refuses_endless);
	ADD(io, events_through_fake_dockerd);
	ADD(io, events_max_per_call);
	ADD(io, events_quiet_stream_sleeps);
	ADD(io, events_flood_in_budget);
	ADD(io, events_overlong_line_skipped);
	ADD(io, events_endless_line);
	ADD(io, events_refused_says_why);
	ADD(io, events_open_fails_in_time);
	ADD(io, events_broken_midway);
	ADD(io, open_checks_path);
	tcase_set_timeout(io, 60);
	suite_add_tcase(s, json);
	suite_add_tcase(s, stream);
	suite_add_tcase(s, io);
	return s;
}

TEST_MAIN(docker_suite)
