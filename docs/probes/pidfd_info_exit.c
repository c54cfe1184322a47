/*
 * pidfd_info_exit.c: question 11, what a pidfd tells of a process that has
 * exited (the observation hostlinux.RunScenario relies on).
 *
 * A sleeping child is pinned with pidfd_open; PIDFD_GET_INFO (6.13+) with
 * PIDFD_INFO_EXIT (6.15+) is asked while it lives, once it is a zombie
 * (killed, waitid(WNOWAIT)), and after it is reaped; exit_code, field 52
 * of /proc/PID/stat, is read of the zombie. Then a child of a parent that
 * ignores SIGCHLD exits 7 and is autoreaped: does its pidfd keep the status?
 *
 * The common safety rules and helpers are in probe.h: every process is our
 * own child, and it runs in the probe's own cgroup.
 */
#define _GNU_SOURCE
#include "probe.h"
#include <linux/types.h>
#include <sys/ioctl.h>

/* include/uapi/linux/pidfd.h (6.15), which older libc headers lack */
struct pidfd_info_v0 {
	__u64 mask, cgroupid;
	__u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	__s32 exit_code;
};
#define INFO_EXIT 0x8
#define GET_INFO _IOWR(0xFF, 11, struct pidfd_info_v0)

static void info(int fd, const char *when)
{
	struct pidfd_info_v0 i;
	memset(&i, 0, sizeof i);
	i.mask = INFO_EXIT;
	int r = ioctl(fd, GET_INFO, &i);
	if (r < 0) {
		printf("FACT %s.PIDFD_GET_INFO: -1 %s\n", when, en(errno));
		return;
	}
	printf("FACT %s.PIDFD_GET_INFO: mask=0x%llx exit_info=%s exit_code=%d\n", when,
	       (unsigned long long)i.mask, (i.mask & INFO_EXIT) ? "yes" : "no", i.exit_code);
}

/* field 52 of /proc/PID/stat: exit_code */
static const char *exit_code_field(pid_t pid)
{
	static char b[1024];
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (rd(path, b, sizeof b) <= 0)
		return "unreadable";
	char *p = strrchr(b, ')');
	int field = 2;
	for (; p && *p; p++) {
		if (*p == ' ' && ++field == 52) {
			static char v[32];
			snprintf(v, sizeof v, "%d", atoi(p + 1));
			return v;
		}
	}
	return "missing";
}

int main(void)
{
	siginfo_t si;
	int st;

	setup("pidfd_info_exit");
	pid_t c = sleeper();
	int fd = syscall(SYS_pidfd_open, c, 0);
	if (fd < 0) {
		printf("FACT pidfd_open: -1 %s\n", en(errno));
		cleanup();
		return 0;
	}
	info(fd, "alive");
	kill(c, SIGKILL);
	if (waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0) {
		info(fd, "zombie");
		printf("FACT zombie./proc/PID/stat.exit_code: %s\n", exit_code_field(c));
	}
	if (reap(c, 1000, &st))
		printf("FACT reaped: %s\n", wstat(st));
	info(fd, "reaped");
	close(fd);

	signal(SIGCHLD, SIG_IGN);
	int go[2];
	if (pipe(go))
		return 2;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char x;
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		_exit(7);
	}
	fd = syscall(SYS_pidfd_open, c, 0);
	if (write(go[1], "g", 1) != 1)
		return 2;
	for (int i = 0; i < 200 && kill(c, 0) == 0; i++)
		msleep(5);
	info(fd, "autoreaped");
	close(fd);
	signal(SIGCHLD, SIG_DFL);
	cleanup();
	return 0;
}
