/*
 * selftest_verdicts.c: question 16, what this kernel answers where the
 * ports of the kernel's and LTP's tests (issue 12) met something the
 * model or the tests themselves had not settled.
 *
 * a) pidfd_open(tid of a non-leader thread, 0): EINVAL (pidfd_prepare up
 *    to 6.14) or ENOENT (6.15+, as pidfd_info_test's thread_group wants)?
 * b) waitid(P_PIDFD) of a pidfd of oneself and of a reaped child; WNOHANG
 *    with the child running (si_pid); WNOWAIT then WEXITED of a killed
 *    child (si_code, si_status); flags 0 (EINVAL).
 * c) LTP pidns14: SIGUSR1 (SIG_DFL) from the parent namespace to a
 *    namespace's init: delivered (the test's PASS) or ignored?
 * d) pidns_init_via_setns: can /proc/PID/ns/pid_for_children be opened
 *    before the new namespace has an init?
 * Every process is our own child, in the probe's own cgroup (run.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static volatile pid_t tid;

static void *thread_fn(void *a)
{
	(void)a;
	tid = syscall(SYS_gettid);
	pause();
	return NULL;
}

static pid_t clone_newpid(void)
{
	struct clone_args a;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_NEWPID;
	a.exit_signal = SIGCHLD;
	return syscall(SYS_clone3, &a, sizeof a);
}

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	pthread_t t;
	pthread_create(&t, NULL, thread_fn, NULL);
	while (!tid)
		usleep(1000);
	long fd = syscall(SYS_pidfd_open, tid, 0);
	printf("FACT pidfd_open.thread_no_flag: %s\n", err(fd));

	siginfo_t si;
	int self = syscall(SYS_pidfd_open, getpid(), 0);
	long r = waitid(P_PIDFD, self, &si, WEXITED);
	printf("FACT waitid.pidfd_self: %s\n", err(r));
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	int cfd = syscall(SYS_pidfd_open, c, 0);
	waitpid(c, NULL, 0);
	r = waitid(P_PIDFD, cfd, &si, WEXITED);
	printf("FACT waitid.pidfd_reaped_child: %s\n", err(r));
	r = syscall(SYS_pidfd_send_signal, cfd, 0, NULL, 0);
	printf("FACT pidfd_send_signal.reaped: %s\n", err(r));
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	cfd = syscall(SYS_pidfd_open, c, 0);
	memset(&si, 0x55, sizeof si);
	r = waitid(P_PIDFD, cfd, &si, WEXITED | WNOHANG);
	printf("FACT waitid.wnohang_running: %ld si_pid %d\n", r, si.si_pid);
	kill(c, SIGKILL);
	usleep(100000);
	r = syscall(SYS_pidfd_send_signal, cfd, 0, NULL, 0);
	printf("FACT pidfd_send_signal.zombie: %s\n", err(r));
	r = waitid(P_PIDFD, cfd, &si, WEXITED | WNOWAIT);
	printf("FACT waitid.wnowait: %ld si_code %d si_status %d\n", r, si.si_code, si.si_status);
	r = waitid(P_PIDFD, cfd, &si, WEXITED);
	printf("FACT waitid.after_wnowait: %ld si_code %d si_status %d\n", r, si.si_code, si.si_status);
	r = waitid(P_PIDFD, cfd, &si, 0);
	printf("FACT waitid.no_flags: %s\n", err(r));

	int st;
	c = clone_newpid();
	if (c == 0) {
		pause();
		_exit(7);
	}
	usleep(100000);
	kill(c, SIGUSR1);
	usleep(100000);
	r = waitpid(c, &st, WNOHANG);
	printf("FACT pidns14.sigusr1_from_parent_ns: %s\n", r == 0 ? "ignored, init alive" : WIFSIGNALED(st) ? "killed" : "exited");
	if (r == 0) {
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
	}

	/* a helper unshares (its pid_for_children has no init yet) and
	 * opens the file; the selftest's child does the same from outside */
	pid_t h = fork();
	if (h == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(1);
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/pid_for_children", getpid());
		int nfd = open(path, O_RDONLY);
		printf("FACT pid_for_children.open_own_before_init: %s\n", nfd < 0 ? strerror(errno) : "ok");
		_exit(0);
	}
	waitpid(h, NULL, 0);
	return 0;
}
