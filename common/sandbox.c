#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/* What every process needs once it runs its event loop. */
static const int sandbox_base[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(close), SCMP_SYS(fcntl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(getpid), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* glibc's qsort(3) asks sysconf(_SC_PHYS_PAGES) for large arrays */
	SCMP_SYS(sysinfo),
};

/*
 * Debug mode (vpndnsd -vv): a forbidden call traps instead of killing
 * outright, so the number can be written out first.  The process still
 * dies of SIGSYS.  Only async-signal-safe calls here.
 */
static const char	*sandbox_proc = "vpndnsd";

static void
sandbox_sigsys(int sig, siginfo_t *si, void *ctx)
{
	char	 msg[80], num[12], *p = num + sizeof(num);
	int	 n = si->si_syscall;
	size_t	 len;

	(void)ctx;
	*--p = '\0';
	do {
		*--p = '0' + n % 10;
		n /= 10;
	} while (n > 0 && p > num);
	strlcpy(msg, sandbox_proc, sizeof(msg));
	strlcat(msg, ": seccomp: forbidden syscall ", sizeof(msg));
	strlcat(msg, p, sizeof(msg));
	len = strlcat(msg, "\n", sizeof(msg));
	(void)!write(STDERR_FILENO, msg, len);
	signal(sig, SIG_DFL);
	raise(sig);
}

scmp_filter_ctx
sandbox_filter_new(const char *proc, int trap)
{
	struct sigaction	 sa;
	scmp_filter_ctx		 ctx;
	size_t			 i;

	sandbox_proc = proc;
	if (trap) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sandbox_sigsys;
		sa.sa_flags = SA_SIGINFO;
		if (sigaction(SIGSYS, &sa, NULL) == -1)
			fatal("sigaction");
	}
#ifdef SANDBOX_SANITIZE
	/*
	 * Sanitizer builds: a forbidden call fails instead of killing, so a
	 * sanitizer can still open what it needs to print its report.
	 */
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
#else
	ctx = seccomp_init(trap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
#endif
	if (ctx == NULL)
		fatalx("seccomp_init failed");
#ifdef SANDBOX_SANITIZE
	/*
	 * ASan asks for the signal stack before every call that does not
	 * return (exit(3), a report's end) and takes its own locks with
	 * futex(2): refused, the report is lost in a failed CHECK.
	 */
	sandbox_allow(ctx, SCMP_SYS(sigaltstack));
	sandbox_allow(ctx, SCMP_SYS(futex));
	sandbox_allow(ctx, SCMP_SYS(gettid));
#endif
	for (i = 0; i < sizeof(sandbox_base) / sizeof(sandbox_base[0]); i++)
		sandbox_allow(ctx, sandbox_base[i]);
	/* memory, but never executable memory */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0)
		fatalx("seccomp_rule_add mmap");
	/*
	 * Nothing of ours opens an AF_UNIX socket in a child (its log lines
	 * go through the parent, logrelay.c); one could reach abstract
	 * sockets outside the chroot, so a library that tries fails rather
	 * than kill the child.
	 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) < 0)
		fatalx("seccomp_rule_add socket");
	return ctx;
}

/*
 * Sockets of the Internet families, for the upstreams: new ones, connected
 * (the kernel then drops datagrams from any other source), and the error
 * of a TCP connect.  Without it connect(2) fails with EACCES.
 */
void
sandbox_allow_inet(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET6)) < 0)
		fatalx("seccomp_rule_add socket");
	sandbox_allow(ctx, SCMP_SYS(connect));
	sandbox_allow(ctx, SCMP_SYS(getsockopt));
}

/* evbuffer_read(3) asks how much there is to read: FIONREAD only. */
void
sandbox_allow_bufferevent(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    SCMP_A1(SCMP_CMP_EQ, FIONREAD)) < 0)
		fatalx("seccomp_rule_add ioctl");
}

void
sandbox_deny_connect(scmp_filter_ctx ctx)
{
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(connect),
	    0) < 0)
		fatalx("seccomp_rule_add connect");
}

void
sandbox_allow(scmp_filter_ctx ctx, int nr)
{
	int	rc;

	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) < 0)
		fatalx("seccomp_rule_add %d: %s", nr, strerror(-rc));
}

static void
sandbox_drop_capbset(void)
{
	int	cap;

	for (cap = 0; ; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;
			fatal("prctl PR_CAPBSET_DROP %d", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		fatal("prctl PR_CAP_AMBIENT_CLEAR_ALL");
}

/*
 * Chroot to an empty directory and become 'user' for good.  Runs as root,
 * before anything is read from a peer.
 */
void
sandbox_drop(const char *user, const char *root)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("user \"%s\" does not exist", user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		fatalx("user \"%s\" must not be root", user);
	if (chroot(root) == -1)
		fatal("chroot %s", root);
	if (chdir("/") == -1)
		fatal("chdir /");
	sandbox_drop_capbset();
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("privileges could be regained after the drop");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
}

#ifdef SANDBOX_SANITIZE
/*
 * LeakSanitizer's check at exit stops the process's threads with clone(2)
 * and ptrace(2), which no filter allows: in a sandbox it can only fail,
 * and say so.  The runtime asks this function before it checks.
 */
static int	sandbox_loaded;

int	__lsan_is_turned_off(void);

int
__lsan_is_turned_off(void)
{
	return sandbox_loaded;
}
#endif

void
sandbox_load(scmp_filter_ctx ctx)
{
	int	rc;

	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
#ifdef SANDBOX_SANITIZE
	sandbox_loaded = 1;
#endif
}
