// SPDX-License-Identifier: GPL-2.0-or-later
/* Capabilities and the seccomp allow-list (see sandbox.h). The sets below
 * were found by experiment, not guessed: the end-to-end tests (datapath,
 * events, isolation, docker, containerd) ran with egressd under
 * `strace -f`, every syscall made after setup was collected, and each
 * capability was removed in turn to see what broke. */
#include "sandbox.h"

#include <cap-ng.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/securebits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

struct sandbox_cap {
	unsigned cap;
	const char *name;
};

/* What egressd run keeps after setup, and the operation that needs each.
 * Each was removed in turn and the end-to-end tests run; what broke:
 *
 * CAP_NET_ADMIN        nfnetlink checks it on every NFQUEUE verdict and
 *                      on every nftables batch (isolate, unisolate, the
 *                      container interfaces' set); the conntrack dump and
 *                      mark after a list change; SO_RCVBUFFORCE and
 *                      SO_SNDBUFFORCE. Without it: no verdict is taken,
 *                      good traffic stalls, "conntrack dump failed
 *                      (Operation not permitted)" (test_datapath: 19 of 36
 *                      checks fail).
 * CAP_SYS_ADMIN        setns(CLONE_NEWNET) of the short-lived threads that
 *                      dump a container's links and addresses (inventory)
 *                      and its sockets (sock_diag, process attribution).
 *                      Without it no container has a veth or address:
 *                      `egressctl containers` is empty, isolate finds no
 *                      container, events name no process (datapath 2,
 *                      events 10, isolation 17, docker 7, containerd 5
 *                      failures). The filter allows setns() into network
 *                      namespaces only, and no unshare, mount or bpf.
 * CAP_SYS_PTRACE       /proc/PID/ns/net, /proc/PID/fd/N, exe and root of
 *                      container processes: the kernel's ptrace access
 *                      check wants it for a process holding a capability
 *                      egressd dropped (every container root does) or of
 *                      another user. Without it Docker's containers have
 *                      no namespace (not listed, not isolable) and events
 *                      have no process chain (datapath 1, events 1,
 *                      docker 7, containerd 1 failures; isolation of named
 *                      namespaces still works).
 * CAP_DAC_READ_SEARCH  /proc/PID/fd of a process of another user (mode
 *                      0500, owned by that user): without it the owner of
 *                      the socket is not found when the container's
 *                      process is not root (test_containerd: user "miner",
 *                      process chain empty).
 *
 * Not kept, among others: CAP_KILL (an OCI bundle's init is asked with
 * signal 0, and EPERM taken as "alive"), CAP_CHOWN and CAP_DAC_OVERRIDE
 * (the control socket is chowned before the drop; egressd's own files are
 * root's and it stays uid 0), CAP_SETPCAP, CAP_SETUID, CAP_NET_RAW.
 */
static const struct sandbox_cap daemon_caps[] = {
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE" },
	{ CAP_DAC_READ_SEARCH, "CAP_DAC_READ_SEARCH" },
};

/* The watchdog only talks to nftables. */
static const struct sandbox_cap watchdog_caps[] = {
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
};

/* The daemon's syscalls, by group. "seen": made after setup by some
 * thread in the end-to-end tests under strace -f. "next": not seen yet,
 * the coming work needs it and it gives nothing new. "libc": what glibc,
 * SQLite or a sanitizer runtime falls back to on paths the tests do not
 * reach.
 *
 * group         syscalls                             why
 * memory        brk mmap munmap mprotect madvise     malloc, thread stacks,
 *               (seen) mremap (next)                 guard pages, SQLite
 * threads       futex set_robust_list rseq exit      pthreads: the event
 *               exit_group (seen) gettid             writer, the control
 *               sched_getaffinity (libc:             thread, the namespace
 *               pthread_getattr_np, ASan); clone     threads
 *               below
 * signals       rt_sigprocmask signalfd4 (seen)      signals come by
 *               rt_sigreturn rt_sigaction            signalfd; abort(); a
 *               restart_syscall sigaltstack (libc,   call resumed after
 *               ASan); kill, tgkill below            SIGSTOP/SIGCONT
 * time          clock_gettime gettimeofday           the vDSO's fallbacks,
 *               clock_nanosleep nanosleep (libc)     SQLite's busy wait
 *               timerfd_create timerfd_settime
 *               (next)
 * waiting       poll pselect6 pipe2 (seen) ppoll     the threads' loops,
 *               epoll_create1 epoll_ctl epoll_wait   wake-up pipes
 *               epoll_pwait eventfd2 pidfd_open
 *               (next)
 * files         openat close read write pread64      the store (SQLite),
 *               pwrite64 lseek fcntl newfstatat      events.jsonl, lists,
 *               getdents64 readlink readlinkat       /proc (attribution),
 *               (seen) open writev getcwd (libc,     /run/netns, OCI
 *               ASan's reports) openat2 statx        bundles, isolation.json
 *               fstatfs (next)
 * file changes  mkdir rename unlink ftruncate fsync  SQLite's journal
 *               fdatasync fchown (seen) renameat2    (fchown to the db's
 *               unlinkat flock fallocate (next)      own owner), files
 *                                                    replaced by rename
 * sockets       bind connect accept4 getsockname     netlink: nfqueue,
 *               getsockopt setsockopt sendto         nftables, conntrack,
 *               recvfrom sendmsg recvmsg (seen)      rtnetlink, sock_diag;
 *               recvmmsg sendmmsg (next); shutdown   the control socket
 *               (seen: a refused client's reply      (its end of a refused
 *               ends with it); getpeername (seen:    client's reply),
 *               libcurl on its connection to         Docker's API, syslog
 *               dockerd; refused, it reuses no
 *               connection, a new one each request,
 *               and its error text says
 *               "getpeername() failed"); socket
 *               below
 * facts         getpid geteuid uname getrandom       SQLite, the host's
 *               (seen) getuid getgid getegid (libc)  name
 * namespaces    setns below                          inventory, sock_diag
 *
 * With argument checks (daemon_args):
 * socket   AF_UNIX (control socket, Docker, syslog, PostgreSQL's unix
 *          socket); AF_NETLINK with NETLINK_ROUTE (links and addresses of
 *          each namespace), NETLINK_NETFILTER (NFQUEUE, nftables,
 *          conntrack) or NETLINK_SOCK_DIAG (the socket behind a flow).
 *          Nothing else was seen: egressd opens no IP or packet socket of
 *          its own, and code run through a parser bug cannot open one
 *          either. In fleet mode only (sandbox_allow_inet): AF_INET and
 *          AF_INET6 of type SOCK_STREAM (libpq over TCP) and SOCK_DGRAM
 *          (getaddrinfo asking the resolver for the database's name).
 * clone    with CLONE_THREAD and no CLONE_NEW* flag: threads only, no
 *          fork, no new namespace. glibc falls back to clone when clone3
 *          says ENOSYS; clone3's flags live in memory a filter cannot read.
 * setns    CLONE_NEWNET only.
 * kill     signal 0 only (is an OCI bundle's init process alive), and
 *          any signal to the watchdog child (sandbox_allow_kill).
 * tgkill   this process only: abort(), raise(), pthread_kill.
 *
 * Not allowed, among others: execve/execveat, fork, ptrace,
 * process_vm_readv/writev, mount and the new mount API, unshare, bpf,
 * perf_event_open, init_module/finit_module, kexec_*, keyctl, add_key,
 * userfaultfd, io_uring_*, ioctl (seen only at setup), prctl, capset,
 * chmod/chown and listen (the control socket's, done before the filter),
 * fchmod (SQLite copies the database's mode onto a new journal and
 * ignores the failure: the journal keeps umask 027), socketpair
 * (libcurl's multi handle asks for a wake-up pair and does without it:
 * nothing here wakes libcurl from another thread), getppid. A refused
 * call fails with EPERM (ENOSYS for the few in enosys_calls): egressd
 * logs the failure where it handles it, and `sandbox = no` turns all of
 * this off for debugging.
 */
static const char *const daemon_calls[] = {
	/* memory */
	"brk", "mmap", "munmap", "mprotect", "madvise", "mremap",
	/* threads */
	"futex", "set_robust_list", "rseq", "exit", "exit_group", "gettid",
	"sched_getaffinity",
	/* signals */
	"rt_sigprocmask", "signalfd4", "rt_sigreturn", "rt_sigaction",
	"restart_syscall", "sigaltstack",
	/* time */
	"clock_gettime", "gettimeofday", "clock_nanosleep", "nanosleep",
	"timerfd_create", "timerfd_settime",
	/* waiting */
	"poll", "ppoll", "pselect6", "pipe2", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "eventfd2", "pidfd_open",
	/* files */
	"openat", "openat2", "open", "close", "dup", "dup3", "read", "write",
	"writev",
	"pread64", "pwrite64", "lseek", "fcntl", "newfstatat", "statx",
	"fstatfs", "getdents64", "readlink", "readlinkat", "getcwd",
	/* file changes */
	"mkdir", "rename", "renameat2", "unlink", "unlinkat", "ftruncate",
	"fallocate", "fsync", "fdatasync", "flock", "fchown",
	/* sockets */
	"bind", "connect", "accept4", "getsockname", "getsockopt",
	"setsockopt", "getpeername", "sendto", "recvfrom", "sendmsg",
	"recvmsg", "sendmmsg", "recvmmsg", "shutdown",
	/* facts */
	"getpid", "getuid", "geteuid", "getgid", "getegid", "uname",
	"getrandom",
	/* the watchdog child: reaped when it dies */
	"wait4",
};

/* fleet_dsn is set: IP sockets for libpq (sandbox.h). */
static bool inet_allowed;

void sandbox_allow_inet(bool allow)
{
	inet_allowed = allow;
}

/* The one process the daemon may signal (its watchdog child: stopped at
 * shutdown, killed when hung), 0 for none. */
static pid_t kill_target;

void sandbox_allow_kill(pid_t pid)
{
	kill_target = pid;
}

/* The watchdog: a netlink socket to nftables, sleep, the clock, read and
 * write on what it shares with the daemon (a pipe, eventfd, or futex on a
 * shared page), malloc for libnftnl (mmap without PROT_EXEC, see
 * watchdog_args), exit. */
static const char *const watchdog_calls[] = {
	"read", "write", "close", "futex",
	"clock_gettime", "gettimeofday", "clock_nanosleep", "nanosleep",
	/* its wait: egressd's pidfd, a signalfd, the tick; egressd still its
	 * parent? */
	"poll", "ppoll", "pselect6", "getppid", "getpid",
	"bind", "getsockname", "setsockopt", "getsockopt", "sendto",
	"sendmsg", "recvfrom", "recvmsg",
	/* libnftables reads its tables of names (/etc/iproute2) at each
	 * command (seen with strace on the child); openat: read-only, see
	 * watchdog_args */
	"newfstatat", "fcntl", "lseek",
	"brk", "munmap", "mremap", "madvise",
	"rt_sigreturn", "restart_syscall", "sigaltstack", "exit", "exit_group",
};

/* glibc calls these first and falls back to an older call only on
 * ENOSYS; EPERM would be taken as a real failure (pthread_create would
 * fail on clone3). */
static const char *const enosys_calls[] = {
	"clone3", "faccessat2", "epoll_pwait2", "close_range",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
		unsigned n, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return -EINVAL;
	return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

/* IPv4 and IPv6 stream and datagram sockets, whatever SOCK_NONBLOCK and
 * SOCK_CLOEXEC say; returns the number of rules' syscalls (0 or 1). */
static int inet_rules(scmp_filter_ctx ctx)
{
	const int fams[] = { AF_INET, AF_INET6 };
	const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct scmp_arg_cmp c[2];
	int r = 0;

	if (!inet_allowed)
		return 0;
	for (size_t i = 0; !r && i < 2; i++)
		for (size_t k = 0; !r && k < 2; k++) {
			c[0] = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)fams[i]);
			c[1] = SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf,
					  (uint32_t)types[k]);
			r = rule(ctx, SCMP_ACT_ALLOW, "socket", 2, c);
		}
	return r;
}

/* Rules with argument checks; returns the number of syscalls they allow. */
static int daemon_args(scmp_filter_ctx ctx)
{
	const uint64_t newns = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS |
			       CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
			       CLONE_NEWNET;
	const int netlink[] = { NETLINK_ROUTE, NETLINK_NETFILTER,
				NETLINK_SOCK_DIAG };
	struct scmp_arg_cmp c[2];
	int r;

	c[0] = SCMP_A0_32(SCMP_CMP_EQ, AF_UNIX);
	r = rule(ctx, SCMP_ACT_ALLOW, "socket", 1, c);
	for (size_t i = 0; !r && i < N(netlink); i++) {
		c[0] = SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK);
		c[1] = SCMP_A2_32(SCMP_CMP_EQ, (uint32_t)netlink[i]);
		r = rule(ctx, SCMP_ACT_ALLOW, "socket", 2, c);
	}
	c[0] = SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_THREAD | newns,
			  CLONE_THREAD);
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "clone", 1, c);
	c[0] = SCMP_A1_32(SCMP_CMP_EQ, CLONE_NEWNET);
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "setns", 1, c);
	c[0] = SCMP_A1_32(SCMP_CMP_EQ, 0);
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "kill", 1, c);
	c[0] = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)kill_target);
	if (kill_target > 0)
		r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "kill", 1, c);
	c[0] = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)getpid());
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, c);
	r = r ? r : inet_rules(ctx);
	return r ? r : 5;
}

static int watchdog_args(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp c[2];
	int r;

	c[0] = SCMP_A0_32(SCMP_CMP_EQ, AF_NETLINK);
	c[1] = SCMP_A2_32(SCMP_CMP_EQ, NETLINK_NETFILTER);
	r = rule(ctx, SCMP_ACT_ALLOW, "socket", 2, c);
	c[0] = SCMP_A2_64(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, c);
	c[0] = SCMP_A2_32(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC,
			  O_RDONLY);
	r = r ? r : rule(ctx, SCMP_ACT_ALLOW, "openat", 1, c);
	return r ? r : 3;
}

struct profile {
	const struct sandbox_cap *caps;
	size_t ncaps;
	const char *const *calls;
	size_t ncalls;
	int (*args)(scmp_filter_ctx ctx);
};

static const struct profile profiles[] = {
	[SANDBOX_DAEMON] = { daemon_caps, N(daemon_caps), daemon_calls,
			     N(daemon_calls), daemon_args },
	[SANDBOX_WATCHDOG] = { watchdog_caps, N(watchdog_caps),
			       watchdog_calls, N(watchdog_calls),
			       watchdog_args },
};

uint64_t sandbox_caps_mask(enum sandbox_profile p)
{
	uint64_t m = 0;

	for (size_t i = 0; i < profiles[p].ncaps; i++)
		m |= 1ULL << profiles[p].caps[i].cap;
	return m;
}

void sandbox_caps_text(enum sandbox_profile p, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < profiles[p].ncaps && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				 profiles[p].caps[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Threads of this process, from /proc/self/task; -errno if unreadable. */
static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Root gets no capabilities back from an exec or a uid change, cannot
 * keep them across one, cannot raise ambient ones; all locked. Needs
 * CAP_SETPCAP, so it comes before the drop. */
static int securebits_lock(void)
{
	const unsigned long bits =
		SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
		SECBIT_NO_CAP_AMBIENT_RAISE |
		SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0))
		return -errno;
	return prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == (int)bits ? 0 : -EPERM;
}

/* Reads the thread's sets back: libcap-ng's capng_apply() reports success
 * even when the bounding set could not be changed. */
static int caps_verify(uint64_t keep)
{
	int last = -1;

	if (capng_get_caps_process())
		return -EIO;
	for (unsigned c = 0; c < 64; c++) {
		int want = !!(keep & (1ULL << c));
		int bnd = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (bnd < 0)
			break; /* past the kernel's last capability */
		last = (int)c;
		if (bnd != want ||
		    capng_have_capability(CAPNG_EFFECTIVE, c) != want ||
		    capng_have_capability(CAPNG_PERMITTED, c) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, c) ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
			return -EPERM;
	}
	return last >= 0 ? 0 : -EIO;
}

int sandbox_drop_caps(enum sandbox_profile p)
{
	const struct profile *pr = &profiles[p];
	int n = thread_count(), r;

	if (n < 0)
		return n;
	if (n != 1)
		return -EBUSY;
	r = securebits_lock();
	if (r)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return -errno;
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < pr->ncaps; i++)
		if (capng_update(CAPNG_ADD,
				 CAPNG_EFFECTIVE | CAPNG_PERMITTED |
					 CAPNG_BOUNDING_SET,
				 pr->caps[i].cap))
			return -EINVAL;
	/* The bounding set first: dropping from it needs CAP_SETPCAP,
	 * which the capset that follows gives up. */
	if (capng_apply(CAPNG_SELECT_BOTH))
		return errno ? -errno : -EPERM;
	return caps_verify(sandbox_caps_mask(p));
}

static int filter_build(scmp_filter_ctx ctx, const struct profile *pr)
{
	int r = 0, nargs;

	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1))
		return -EOPNOTSUPP;
	for (size_t i = 0; !r && i < pr->ncalls; i++)
		r = rule(ctx, SCMP_ACT_ALLOW, pr->calls[i], 0, NULL);
	/* A name this libseccomp does not know is left to the default. */
	for (size_t i = 0; !r && i < N(enosys_calls); i++)
		if (seccomp_syscall_resolve_name(enosys_calls[i]) !=
		    __NR_SCMP_ERROR)
			r = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), enosys_calls[i],
				 0, NULL);
	if (r)
		return r;
	nargs = pr->args(ctx);
	return nargs < 0 ? nargs : (int)pr->ncalls + nargs;
}

int sandbox_seccomp(enum sandbox_profile p)
{
	scmp_filter_ctx ctx;
	int n, r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	n = filter_build(ctx, &profiles[p]);
	r = n < 0 ? n : seccomp_load(ctx);
	seccomp_release(ctx);
	if (r > 0) /* TSYNC: the id of a thread that could not be synced */
		r = -EAGAIN;
	return r ? r : n;
}
