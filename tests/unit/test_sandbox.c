// SPDX-License-Identifier: GPL-2.0-or-later
/* sandbox.c: each profile is applied in a forked child (it cannot be
 * undone), which then tries what the profile must refuse and what it must
 * still allow, and reports its failures through a pipe.
 *
 * Needs root: there must be capabilities to drop. As non-root the test
 * FAILS when CI or E2E_REQUIRED is set (as the end-to-end tests do); else
 * it says why and exits 77, which meson shows as SKIP and scripts/test.sh
 * counts as a failure: it never passes without having run. */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "util.h"

/* ---- the child's side: checks collected as text ---- */

static char fails[4096];
static size_t nfails;
static char tmpdir[64];
static pid_t parent; /* the test runner: getppid() is not on the list */

static void child_fail(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (nfails >= sizeof(fails) - 1)
		return;
	n = snprintf(fails + nfails, sizeof(fails) - nfails, "line %d: ", line);
	if (n > 0)
		nfails += (size_t)n;
	va_start(ap, fmt);
	n = nfails < sizeof(fails) ? vsnprintf(fails + nfails,
					       sizeof(fails) - nfails, fmt, ap)
				   : 0;
	va_end(ap);
	if (n > 0)
		nfails += (size_t)n;
	if (nfails < sizeof(fails) - 1)
		fails[nfails++] = '\n';
	if (nfails >= sizeof(fails))
		nfails = sizeof(fails) - 1;
}

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond))                                                 \
			child_fail(__LINE__, __VA_ARGS__);                   \
	} while (0)

/* The call failed with exactly this errno. */
#define REFUSED(call, err)                                                   \
	do {                                                                 \
		errno = 0;                                                   \
		long r_ = (long)(call);                                      \
		CHECK(r_ == -1 && errno == (err),                            \
		      "%s: %ld, errno %d, want -1 with %s", #call, r_, errno,  \
		      #err);                                                 \
	} while (0)

/* Runs fn in a child; its failures, or how it died, land in out. */
static void in_child(void (*fn)(void), char *out, size_t len)
{
	int p[2], st = 0;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	parent = getpid();
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		nfails = 0;
		fn();
		if (nfails && write(p[1], fails, nfails) < 0)
			_exit(3);
		_exit(nfails ? 1 : 0); /* no atexit handlers: LSan's included */
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (!got && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		snprintf(out, len, "child ended with status 0x%x", st);
}

#define RUN(fn)                                                              \
	do {                                                                 \
		char out_[4096];                                             \
		in_child(fn, out_, sizeof(out_));                            \
		ck_assert_msg(!out_[0], "%s", out_);                         \
	} while (0)

/* A /proc status file, read once from a fresh fd with read(): the
 * watchdog may neither seek nor pread. */
static char status_buf[4096];

static bool status_load(int fd)
{
	ssize_t n = fd < 0 ? -1 : read(fd, status_buf, sizeof(status_buf) - 1);

	status_buf[n > 0 ? n : 0] = 0;
	return n > 0;
}

/* The value of "Key:" in what status_load() read. */
static bool status_field(const char *key, char *val, size_t len)
{
	char *p;
	size_t i = 0;

	for (p = status_buf; (p = strstr(p, key)); p++)
		if ((p == status_buf || p[-1] == '\n') && p[strlen(key)] == ':')
			break;
	if (!p)
		return false;
	p += strlen(key) + 1;
	while (*p == '\t' || *p == ' ')
		p++;
	while (p[i] && p[i] != '\n' && i < len - 1) {
		val[i] = p[i];
		i++;
	}
	val[i] = 0;
	return true;
}

static void status_expect(const char *key, const char *want)
{
	char v[64] = "";

	CHECK(status_field(key, v, sizeof(v)) && !strcmp(v, want),
	      "%s: '%s', want '%s'", key, v, want);
}

/* CapEff, CapPrm, CapBnd exactly the kept set; nothing inheritable or
 * ambient; no_new_privs; a seccomp filter. */
static void status_check(int fd, enum sandbox_profile p)
{
	char mask[32];

	snprintf(mask, sizeof(mask), "%016llx",
		 (unsigned long long)sandbox_caps_mask(p));
	CHECK(status_load(fd), "cannot read the status: errno %d", errno);
	status_expect("CapInh", "0000000000000000");
	status_expect("CapPrm", mask);
	status_expect("CapEff", mask);
	status_expect("CapBnd", mask);
	status_expect("CapAmb", "0000000000000000");
	status_expect("NoNewPrivs", "1");
	status_expect("Seccomp", "2");
}

/* ---- the daemon profile ---- */

/* A thread started BEFORE the filter: TSYNC must cover it too. */
static int gate[2];
static char early_fails[512];

static void *early_thread(void *arg)
{
	char b;
	int fd;

	(void)arg;
	if (read(gate[0], &b, 1) != 1)
		return NULL;
	fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	errno = 0;
	if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EPERM)
		snprintf(early_fails, sizeof(early_fails),
			 "a thread older than the filter opened an IP socket");
	else {
		char v[8] = "";
		if (!status_load(fd) ||
		    !status_field("Seccomp", v, sizeof(v)) || strcmp(v, "2"))
			snprintf(early_fails, sizeof(early_fails),
				 "a thread older than the filter: Seccomp '%s'",
				 v);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *late_thread(void *arg)
{
	int fd = open("/proc/thread-self/status", O_RDONLY | O_CLOEXEC);
	char v[8] = "";

	*(bool *)arg = status_load(fd) &&
		       status_field("Seccomp", v, sizeof(v)) && !strcmp(v, "2");
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void daemon_refuses(void)
{
	char *const argv[] = { "true", NULL };
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	pid_t pid;

	REFUSED(execve("/bin/true", argv, environ), EPERM);
	REFUSED(ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
	REFUSED(mount("none", tmpdir, "tmpfs", 0, NULL), EPERM);
	REFUSED(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	REFUSED(syscall(SYS_init_module, NULL, 0, ""), EPERM);
	REFUSED(syscall(SYS_finit_module, -1, "", 0), EPERM);
	REFUSED(unshare(CLONE_NEWNET), EPERM);
	REFUSED(setns(fd, CLONE_NEWNS), EPERM);
	REFUSED(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM);
	/* fork is a clone without CLONE_THREAD; clone3 gets ENOSYS so that
	 * glibc falls back to clone, whose flags the filter can read. */
	errno = 0;
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK(pid == -1 && errno == EPERM, "fork: %d, errno %d", pid, errno);
	REFUSED(syscall(SYS_clone3, NULL, 0), ENOSYS);
	REFUSED(socket(AF_INET, SOCK_STREAM, 0), EPERM);
	REFUSED(socket(AF_INET6, SOCK_DGRAM, 0), EPERM);
	REFUSED(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
	REFUSED(socket(AF_NETLINK, SOCK_RAW, NETLINK_KOBJECT_UEVENT), EPERM);
	/* Signal 0 (is it alive) only; SIGCONT would be harmless anyway. */
	REFUSED(kill(parent, SIGCONT), EPERM);
	if (fd >= 0)
		close(fd);
}

static void daemon_allows(void)
{
	const int nl[] = { NETLINK_ROUTE, NETLINK_NETFILTER,
			   NETLINK_SOCK_DIAG };
	char path[128], path2[128];
	int fd, netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	pthread_t t;
	bool late = false;

	for (size_t i = 0; i < NELEM(nl); i++) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, nl[i]);
		CHECK(fd >= 0, "netlink %d: errno %d", nl[i], errno);
		close(fd);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, "AF_UNIX: errno %d", errno);
	/* The control socket ends a refused client's reply with it. */
	CHECK(!shutdown(fd, SHUT_WR), "shutdown: errno %d", errno);
	close(fd);
	CHECK(!setns(netns, CLONE_NEWNET), "setns(net): errno %d", errno);
	close(netns);
	CHECK(!kill(parent, 0), "kill(parent, 0): errno %d", errno);
	/* Files as the store and isolation.json use them. */
	snprintf(path, sizeof(path), "%s/a", tmpdir);
	snprintf(path2, sizeof(path2), "%s/b", tmpdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1 && !fsync(fd) &&
		      !fdatasync(fd) && !ftruncate(fd, 0),
	      "file write: errno %d", errno);
	close(fd);
	CHECK(!rename(path, path2) && !unlink(path2), "rename/unlink: errno %d",
	      errno);
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	CHECK(!mkdir(path, 0700), "mkdir: errno %d", errno);
	/* Threads (clone3 refused, clone with CLONE_THREAD allowed). */
	CHECK(!pthread_create(&t, NULL, late_thread, &late) &&
		      !pthread_join(t, NULL) && late,
	      "a thread started after the filter");
	CHECK(!raise(0), "raise(0): errno %d", errno);
}

static void daemon_profile(void)
{
	const int bits =
		SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
		SECBIT_NO_CAP_AMBIENT_RAISE |
		SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	pthread_t early;
	int r, st;

	r = sandbox_drop_caps(SANDBOX_DAEMON);
	CHECK(r == 0, "sandbox_drop_caps: %d", r);
	CHECK(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == bits, "securebits 0x%x",
	      prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	if (pipe(gate) || pthread_create(&early, NULL, early_thread, NULL)) {
		CHECK(0, "cannot start the early thread");
		return;
	}
	r = sandbox_seccomp(SANDBOX_DAEMON);
	CHECK(r > 50, "sandbox_seccomp: %d", r);
	CHECK(write(gate[1], "g", 1) == 1 && !pthread_join(early, NULL),
	      "early thread");
	CHECK(!early_fails[0], "%s", early_fails);
	daemon_refuses();
	daemon_allows();
	st = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(st >= 0, "open /proc/self/status: errno %d", errno);
	status_check(st, SANDBOX_DAEMON);
	close(st);
}

START_TEST(daemon_profile_refuses_and_allows)
{
	RUN(daemon_profile);
}
END_TEST

/* ---- the watchdog profile ---- */

static void watchdog_profile(void)
{
	/* Opened before: the watchdog itself may not open files. */
	int st = open("/proc/self/status", O_RDONLY | O_CLOEXEC), fd, r;
	struct timespec ts = { 0, 1000000 };
	void *m;

	r = sandbox_drop_caps(SANDBOX_WATCHDOG);
	CHECK(r == 0, "sandbox_drop_caps: %d", r);
	r = sandbox_seccomp(SANDBOX_WATCHDOG);
	CHECK(r > 10 && r < 40, "sandbox_seccomp: %d", r);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	CHECK(fd >= 0, "netlink netfilter: errno %d", errno);
	close(fd);
	REFUSED(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), EPERM);
	REFUSED(socket(AF_UNIX, SOCK_STREAM, 0), EPERM);
	REFUSED(socket(AF_INET, SOCK_DGRAM, 0), EPERM);
	/* libnftables reads /etc/iproute2 at each command: open is allowed,
	 * creating or writing files is not. */
	REFUSED(open("/tmp/egressd-watchdog-test", O_WRONLY | O_CREAT, 0600), EPERM);
	REFUSED(syscall(SYS_unlink, "/etc/hostname"), EPERM);
	REFUSED(mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0,
		EPERM);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap rw: errno %d", errno);
	CHECK(!clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), "sleep");
	CHECK(!clock_gettime(CLOCK_MONOTONIC, &ts), "clock_gettime");
	REFUSED(syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0), EPERM);
	REFUSED(syscall(SYS_getuid), EPERM);
	REFUSED(syscall(SYS_execve, "/bin/true", NULL, NULL), EPERM);
	/* read on an fd it holds: its status, opened before the filter. */
	status_check(st, SANDBOX_WATCHDOG);
}

START_TEST(watchdog_profile_is_tiny)
{
	RUN(watchdog_profile);
}
END_TEST

/* ---- order and reporting ---- */

static void *idle_thread(void *arg)
{
	char b;

	(void)!read(*(int *)arg, &b, 1);
	return NULL;
}

/* Capabilities are per thread: with a second thread running, dropping
 * them in one would leave the other with full root. */
static void drop_with_threads(void)
{
	int p[2], r;
	pthread_t t;

	if (pipe(p) || pthread_create(&t, NULL, idle_thread, &p[0])) {
		CHECK(0, "cannot start a thread");
		return;
	}
	r = sandbox_drop_caps(SANDBOX_DAEMON);
	CHECK(r == -EBUSY, "sandbox_drop_caps with 2 threads: %d", r);
	(void)!write(p[1], "x", 1);
	pthread_join(t, NULL);
}

START_TEST(drop_refused_once_threads_run)
{
	RUN(drop_with_threads);
}
END_TEST

START_TEST(caps_text_and_mask)
{
	char buf[128];

	sandbox_caps_text(SANDBOX_WATCHDOG, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CAP_NET_ADMIN");
	ck_assert_uint_eq(sandbox_caps_mask(SANDBOX_WATCHDOG), 1ULL << 12);
	sandbox_caps_text(SANDBOX_DAEMON, buf, sizeof(buf));
	ck_assert_str_eq(buf, "CAP_NET_ADMIN,CAP_SYS_ADMIN,CAP_SYS_PTRACE,"
			      "CAP_DAC_READ_SEARCH");
	ck_assert_uint_eq(sandbox_caps_mask(SANDBOX_DAEMON),
			  (1ULL << 12) | (1ULL << 21) | (1ULL << 19) |
				  (1ULL << 2));
	sandbox_caps_text(SANDBOX_DAEMON, buf, 8); /* truncated, terminated */
	ck_assert_str_eq(buf, "CAP_NET");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("core");

	ADD(tc, daemon_profile_refuses_and_allows);
	ADD(tc, watchdog_profile_is_tiny);
	ADD(tc, drop_refused_once_threads_run);
	ADD(tc, caps_text_and_mask);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		bool must = getenv("CI") || getenv("E2E_REQUIRED");
		fprintf(stderr, "test_sandbox: needs root (capabilities to "
			"drop, a seccomp filter to load): %s\n",
			must ? "FAIL (CI or E2E_REQUIRED is set)"
			     : "SKIP (exit 77; scripts/test.sh counts it as "
			       "a failure)");
		return must ? EXIT_FAILURE : 77;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_sandbox.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* What the children left: a, b and d (see daemon_allows). */
	char path[128];
	snprintf(path, sizeof(path), "%s/d", tmpdir);
	rmdir(path);
	rmdir(tmpdir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
