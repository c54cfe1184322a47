/*
 * group_exit_status.c: question 13, the wait status and the pidfd of a
 * process whose threads leave one by one with exit(2) (SYS_exit, this
 * thread only), never exit_group.
 *
 * Case A: the leader calls exit(7) while a second thread sleeps; we look at
 * /proc/PID/stat and poll the pidfd (timeout 0); then the thread calls
 * exit(3); we poll the pidfd again (up to 1 s) and reap. 6.0+'s
 * synchronize_group_exit (do_exit) makes the last thread to enter do_exit
 * set SIGNAL_GROUP_EXIT with its own code, and wait_task_zombie reports
 * group_exit_code: "exited 3" expected, not the leader's 7.
 * Case B: the same with the order reversed (thread exit(3) first, then the
 * leader exit(7)): "exited 7" expected.
 * Case C: the leader exit(7), then kill(2) SIGKILL of the process (the
 * zombie leader's group is killed through the live thread).
 *
 * The common safety rules and helpers are in probe.h: every process is our
 * own child, and it runs in the probe's own cgroup.
 */
#define _GNU_SOURCE
#include "probe.h"
#include <pthread.h>

static int tgo[2]; /* parent -> thread: exit now */
static int lgo[2]; /* parent -> leader: exit now */
static int tp[2];  /* thread -> parent: its tid */

static void *thread_fn(void *a)
{
	pid_t t = gettid();
	char x;
	(void)a;
	if (write(tp[1], &t, sizeof t) != sizeof t)
		_exit(1);
	if (read(tgo[0], &x, 1) != 1)
		_exit(1);
	syscall(SYS_exit, 3); /* this thread only */
	return NULL;
}

/* the pidfd polls readable now (ms = 0) or within ms */
static const char *readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r = poll(&p, 1, ms);
	if (r < 0)
		return res(-errno);
	return r == 1 && (p.revents & POLLIN) ? "readable" : "not readable";
}

/* fork a process with two threads; the leader waits on lgo, the thread on tgo */
static pid_t two_threads(pid_t *tid)
{
	fflush(stdout);
	if (pipe(tgo) || pipe(lgo) || pipe(tp))
		exit(2);
	pid_t c = fork();
	if (c == 0) {
		pthread_t th;
		char x;
		alarm(60);
		if (pthread_create(&th, NULL, thread_fn, NULL))
			_exit(1);
		if (read(lgo[0], &x, 1) != 1)
			_exit(1);
		syscall(SYS_exit, 7); /* the leader thread only */
	}
	track(c);
	if (read(tp[0], tid, sizeof *tid) != sizeof *tid)
		exit(2);
	return c;
}

static void closeall(void)
{
	close(tgo[0]), close(tgo[1]), close(lgo[0]), close(lgo[1]), close(tp[0]), close(tp[1]);
}

static void wait_state(pid_t pid, pid_t tid, char want)
{
	char path[96], b[1024], *p;
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
		if (rd(path, b, sizeof b) <= 0)
			return; /* gone */
		p = strrchr(b, ')');
		if (p && p[1] == ' ' && p[2] == want)
			return;
		msleep(5);
	}
}

int main(void)
{
	pid_t c, tid;
	int fd, st;

	setup("group_exit_status");

	/* A: leader exit(7), then the thread exit(3) */
	c = two_threads(&tid);
	fd = syscall(SYS_pidfd_open, c, 0);
	if (write(lgo[1], "g", 1) != 1)
		return 2;
	wait_state(c, c, 'Z');
	printf("FACT A.leader_exited.stat_state: %c Threads=%s\n", pstate(c), sfield(c, 0, "Threads:"));
	printf("FACT A.leader_exited.pidfd: %s\n", readable(fd, 0));
	printf("FACT A.leader_exited.waitpid_WNOHANG: %d\n", (int)waitpid(c, &st, WNOHANG));
	if (write(tgo[1], "g", 1) != 1)
		return 2;
	printf("FACT A.thread_exited.pidfd: %s\n", readable(fd, 1000));
	printf("FACT A.thread_exited.stat_state: %c Threads=%s\n", pstate(c), sfield(c, 0, "Threads:"));
	if (reap(c, 1000, &st))
		printf("FACT A.reaped: %s (status 0x%x)\n", wstat(st), st);
	close(fd);
	closeall();

	/* B: the thread exit(3), then the leader exit(7) */
	c = two_threads(&tid);
	fd = syscall(SYS_pidfd_open, c, 0);
	if (write(tgo[1], "g", 1) != 1)
		return 2;
	for (int i = 0; i < 200 && strcmp(sfield(c, 0, "Threads:"), "1"); i++)
		msleep(5);
	printf("FACT B.thread_exited.Threads: %s pidfd: %s\n", sfield(c, 0, "Threads:"), readable(fd, 0));
	if (write(lgo[1], "g", 1) != 1)
		return 2;
	printf("FACT B.leader_exited.pidfd: %s\n", readable(fd, 1000));
	if (reap(c, 1000, &st))
		printf("FACT B.reaped: %s (status 0x%x)\n", wstat(st), st);
	close(fd);
	closeall();

	/* C: leader exit(7), then kill(2) SIGKILL */
	c = two_threads(&tid);
	fd = syscall(SYS_pidfd_open, c, 0);
	if (write(lgo[1], "g", 1) != 1)
		return 2;
	wait_state(c, c, 'Z');
	printf("FACT C.leader_exited.pidfd: %s\n", readable(fd, 0));
	printf("FACT C.kill(2)_SIGKILL: %s\n", res(kill(c, SIGKILL) ? -errno : 0));
	printf("FACT C.killed.pidfd: %s\n", readable(fd, 1000));
	if (reap(c, 1000, &st))
		printf("FACT C.reaped: %s (status 0x%x)\n", wstat(st), st);
	close(fd);
	closeall();

	cleanup();
	return 0;
}
