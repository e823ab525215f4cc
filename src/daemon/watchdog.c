// SPDX-License-Identifier: GPL-2.0-or-later
/* The watchdog child, and egressd's side of it. The child does as little
 * as possible: no store, no threads, nothing of egressd's but the settings
 * it was forked with and one shared page; it reads the heartbeat there
 * every tick and only ever runs nft set commands (nft_guard_set). */
#include "watchdog.h"
#include "log.h"

#include "sandbox.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "egressd/nft.h"

/* Shared (MAP_SHARED, anonymous) by egressd and its watchdog child. */
struct watchdog_page {
	uint64_t beat_ms; /* the packet thread's last beat; 0: not yet */
	uint64_t tick_ms; /* the child's last look at it */
};

struct watchdog {
	struct watchdog_page *page;
	unsigned timeout_ms;
	bool fail_closed;
	bool sandbox; /* the child restricts itself; egressd, under its
		       * own filter, cannot fork another */
	pid_t parent;
	pid_t child; /* 0: none (given up) */
	unsigned restarts;
	bool child_stale; /* the last check found the child's tick old */
};

/* What the child has put in place. */
struct guard {
	enum nft_guard kind; /* PASS or DROP, from fail_closed */
	bool armed; /* the packet loop has beaten (said once) */
	bool on;
	bool failing; /* the last nft command failed (said once) */
	uint64_t since_ms; /* the last beat before the stall */
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the child ---- */

/* Straight to fd 2, no stdio: a child forked again later, from the
 * threaded daemon, must not wait on a lock another thread held at the
 * fork. nft's multi-line errors become one line. */
__attribute__((format(printf, 1, 2))) static void child_log(const char *fmt,
							     ...)
{
	char buf[768];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, (size_t)n);
}

/* "12:34:56.789 UTC" of a monotonic time, without gmtime_r (whose lock a
 * fork from the threaded daemon may have left taken). */
static void utc_of(uint64_t mono, char *buf, size_t len)
{
	uint64_t t = clock_ms(CLOCK_REALTIME) -
		     (clock_ms(CLOCK_MONOTONIC) - mono);
	unsigned s = (unsigned)(t / 1000 % 86400);

	snprintf(buf, len, "%02u:%02u:%02u.%03u UTC", s / 3600, s / 60 % 60,
		 s % 60, (unsigned)(t % 1000));
}

static const char *guard_what(enum nft_guard k)
{
	return k == NFT_GUARD_PASS ? "passed unjudged (fail-open)"
				   : "dropped (fail-closed)";
}

static void guard_on(struct guard *g, uint64_t beat, uint64_t now)
{
	char err[256], at[32];

	if (nft_guard_set(g->kind, err, sizeof(err))) {
		if (!g->failing)
			child_log("egressd: watchdog: cannot put the guard in "
				  "place (retrying every %d ms): %s",
				  WATCHDOG_TICK_MS, err);
		g->failing = true;
		return;
	}
	g->on = true;
	g->failing = false;
	g->since_ms = beat;
	utc_of(beat, at, sizeof(at));
	child_log("egressd: watchdog: the packet thread has not run for %" PRIu64
		  " ms (last beat at %s): guard on, container traffic that "
		  "would queue is %s",
		  now - beat, at, guard_what(g->kind));
}

/* gone: egressd exited, so its queues are unbound and the queue rule's
 * own bypass (or drop) takes over. */
static void guard_off(struct guard *g, uint64_t now, bool gone)
{
	char err[256], n[24] = "?";
	uint64_t packets;

	/* Counted first: the counters go with the elements. */
	if (!nft_guard_packets(&packets, err, sizeof(err)))
		snprintf(n, sizeof(n), "%" PRIu64, packets);
	if (nft_guard_set(NFT_GUARD_OFF, err, sizeof(err))) {
		if (!g->failing)
			child_log("egressd: watchdog: cannot remove the guard "
				  "(retrying): %s",
				  err);
		g->failing = true;
		return;
	}
	g->on = false;
	g->failing = false;
	child_log("egressd: watchdog: %s after %" PRIu64 " ms: guard off, %s "
		  "packets %s meanwhile",
		  gone ? "egressd stops or is gone"
			     : "the packet thread runs again",
		  now - g->since_ms, n, guard_what(g->kind));
}

static void child_tick(const struct watchdog *wd, struct guard *g)
{
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	uint64_t beat = __atomic_load_n(&wd->page->beat_ms, __ATOMIC_RELAXED);
	/* Unarmed until the packet loop first beats: the start-up (lists,
	 * store, ruleset) may take longer than the timeout. */
	bool stale = beat && now > beat && now - beat > wd->timeout_ms;

	__atomic_store_n(&wd->page->tick_ms, now, __ATOMIC_RELAXED);
	if (beat && !g->armed) {
		g->armed = true;
		child_log("egressd: watchdog armed (pid %d): a packet thread "
			  "silent for over %u ms gets container traffic %s",
			  (int)getpid(), wd->timeout_ms, guard_what(g->kind));
	}
	if (stale && !g->on)
		guard_on(g, beat, now);
	else if (!stale && g->on)
		guard_off(g, now, false);
}

static void close_from(int first)
{
	struct rlimit rl;

	if (!close_range((unsigned)first, ~0U, 0))
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 65536)
		rl.rlim_cur = 65536;
	for (int fd = first; fd < (int)rl.rlim_cur; fd++)
		close(fd);
}

/* Returns a pidfd of egressd (-1 where the kernel has none: getppid() is
 * then checked every tick), or -ESRCH if egressd is already gone. */
static int child_setup(const struct watchdog *wd, int *ret_sfd)
{
	static const int ignored[] = { SIGINT, SIGHUP, SIGUSR1, SIGUSR2,
				       SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	sigset_t set;
	int pidfd;

	/* A group of its own: a terminal's Ctrl-C and Ctrl-Z go to egressd
	 * alone (a Ctrl-Z'd egressd is a stall like any other). */
	setpgid(0, 0);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	/* Nothing egressd had open is ours. A queue socket held here would
	 * keep the queue bound after egressd died, so that its bypass would
	 * never act; a held control socket would leave clients hanging. */
	close_from(3);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_SETMASK, &set, NULL);
	/* SIGTERM (read on the signalfd, so the guard still comes off) when
	 * the thread that forked us ends, besides the pidfd. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	pidfd = (int)syscall(SYS_pidfd_open, wd->parent, 0);
	/* Checked after the pidfd is open: if egressd is still our parent
	 * now, the pidfd is egressd's and not a reused pid's. */
	if (getppid() != wd->parent) {
		if (pidfd >= 0)
			close(pidfd);
		return -ESRCH;
	}
	*ret_sfd = signalfd(-1, &set, SFD_CLOEXEC);
	/* Its own least privilege: CAP_NET_ADMIN for the guard sets, and the
	 * few calls it makes (sandbox.h). A child that cannot have them
	 * says so and runs on: a watchdog is better than none. */
	if (wd->sandbox && (sandbox_drop_caps(SANDBOX_WATCHDOG) ||
			    sandbox_seccomp(SANDBOX_WATCHDOG) < 0))
		child_log("cannot restrict itself (capabilities, seccomp): "
			  "runs with egressd's privileges");
	return pidfd < 0 ? -1 : pidfd;
}

/* Until SIGTERM or egressd's end; then the guard comes off (a few tries,
 * so that a passing netlink error does not leave it). */
__attribute__((noreturn)) static void child_main(const struct watchdog *wd)
{
	struct guard g = {
		.kind = wd->fail_closed ? NFT_GUARD_DROP : NFT_GUARD_PASS
	};
	struct pollfd pf[2];
	int sfd = -1, pidfd = child_setup(wd, &sfd);

	if (pidfd == -ESRCH)
		_exit(0);
	pf[0] = (struct pollfd){ sfd, POLLIN, 0 };
	pf[1] = (struct pollfd){ pidfd, POLLIN, 0 };
	for (;;) {
		if (poll(pf, 2, WATCHDOG_TICK_MS) > 0)
			break;
		if (getppid() != wd->parent)
			break;
		child_tick(wd, &g);
	}
	for (int i = 0; g.on && i < 5; i++)
		guard_off(&g, clock_ms(CLOCK_MONOTONIC), true);
	_exit(g.on ? 1 : 0);
}

/* ---- egressd's side ---- */

static int child_spawn(struct watchdog *wd)
{
	pid_t pid;

	__atomic_store_n(&wd->page->tick_ms, clock_ms(CLOCK_MONOTONIC),
			 __ATOMIC_RELAXED);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child_main(wd);
	wd->child = pid;
	wd->child_stale = false;
	return 0;
}

int watchdog_start(unsigned timeout_ms, bool fail_closed, bool sandbox,
		   struct watchdog **ret)
{
	struct watchdog *wd;
	int r;

	*ret = NULL;
	if (!timeout_ms)
		return 0;
	wd = calloc(1, sizeof(*wd));
	if (!wd)
		return -ENOMEM;
	wd->page = mmap(NULL, sizeof(*wd->page), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (wd->page == MAP_FAILED) {
		r = -errno;
		free(wd);
		return r;
	}
	wd->timeout_ms = timeout_ms;
	wd->fail_closed = fail_closed;
	wd->sandbox = sandbox;
	wd->parent = getpid();
	r = child_spawn(wd);
	if (r) {
		munmap(wd->page, sizeof(*wd->page));
		free(wd);
		return r;
	}
	*ret = wd;
	return 0;
}

/* The coarse clock: a few ns, for a beat per packet. It runs at most a
 * jiffy behind CLOCK_MONOTONIC, so the child sees a beat a few ms older
 * than it was, never newer. */
void watchdog_beat(struct watchdog *wd)
{
	if (wd)
		__atomic_store_n(&wd->page->beat_ms,
				 clock_ms(CLOCK_MONOTONIC_COARSE),
				 __ATOMIC_RELAXED);
}

/* Hung: its tick old on this check and on the one before. */
static bool child_hung(struct watchdog *wd)
{
	uint64_t now = clock_ms(CLOCK_MONOTONIC);
	uint64_t tick = __atomic_load_n(&wd->page->tick_ms, __ATOMIC_RELAXED);
	bool stale = now > tick && now - tick > WATCHDOG_CHILD_STALE_MS;
	bool hung = stale && wd->child_stale;

	wd->child_stale = stale;
	return hung;
}

static void status_text(pid_t r, int st, char *buf, size_t len)
{
	if (r < 0)
		snprintf(buf, len, "is gone (%s)", strerror(errno));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

static void child_restart(struct watchdog *wd)
{
	int r;

	if (wd->restarts == WATCHDOG_RESTARTS_MAX) {
		log_err("ALERT: watchdog given up after %d "
			"restarts: a stalled packet thread now holds container "
			"traffic until egressd ends\n",
			WATCHDOG_RESTARTS_MAX);
		return;
	}
	wd->restarts++;
	r = child_spawn(wd);
	if (r)
		log_err("ALERT: cannot start the watchdog "
			"again: %s\n", strerror(-r));
	else
		log_notice("watchdog started again (pid %d, "
			"restart %u of %d)\n",
			(int)wd->child, wd->restarts, WATCHDOG_RESTARTS_MAX);
}

pid_t watchdog_pid(const struct watchdog *wd)
{
	return wd ? wd->child : 0;
}

void watchdog_check(struct watchdog *wd)
{
	char how[96], err[256];
	int st = 0;
	pid_t r;

	if (!wd || !wd->child)
		return;
	r = waitpid(wd->child, &st, WNOHANG);
	if (!r) {
		if (!child_hung(wd))
			return;
		log_err("ALERT: watchdog (pid %d) has not "
			"looked at the heartbeat for over %d ms: killing it\n",
			(int)wd->child, WATCHDOG_CHILD_STALE_MS);
		kill(wd->child, SIGKILL);
		r = waitpid(wd->child, &st, 0);
	}
	status_text(r, st, how, sizeof(how));
	log_err("ALERT: watchdog (pid %d) %s: until it is "
		"back, a stalled packet thread holds container traffic\n",
		(int)wd->child, how);
	wd->child = 0;
	/* It may have died with its guard on; the packet thread, which runs
	 * this, is alive, so no guard belongs there. */
	if (nft_guard_set(NFT_GUARD_OFF, err, sizeof(err)))
		log_err("watchdog: cannot remove its guard: "
			"%s\n", err);
	/* The sandbox allows no fork (a parser bug must not spawn
	 * processes), so a watchdog is forked at start only. */
	if (wd->sandbox)
		log_err("ALERT: no new watchdog: egressd's "
			"sandbox allows no fork; restart egressd to have one "
			"again (with sandbox = no it would start one itself)\n");
	else
		child_restart(wd);
}

/* SIGTERM, then up to a second for the child to remove its guard and
 * exit. Returns false if it had to be killed (its guard may be left). */
static bool child_stop(pid_t child)
{
	int st;

	kill(child, SIGTERM);
	for (int i = 0; i < 100; i++) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child)
			return WIFEXITED(st) && !WEXITSTATUS(st);
		if (r < 0)
			return false;
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	}
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return false;
}

void watchdog_stop(struct watchdog *wd)
{
	char err[256];

	if (!wd)
		return;
	if (wd->child && !child_stop(wd->child) &&
	    nft_guard_set(NFT_GUARD_OFF, err, sizeof(err)))
		log_err("watchdog: cannot remove its guard: "
			"%s\n", err);
	munmap(wd->page, sizeof(*wd->page));
	free(wd);
}
