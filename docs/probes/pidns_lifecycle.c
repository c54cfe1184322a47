/*
 * pidns_lifecycle.c: question 7, pid namespace death.
 *
 * Part 1 (selftest regression_enomem): a helper calls unshare(CLONE_NEWPID),
 *   forks a child (pid 1 of the new namespace) that exits at once, reaps it,
 *   then forks again (expected ENOMEM); then tries unshare(CLONE_NEWPID)
 *   a second time and forks once more.
 * Part 2: init I of a new namespace (clone(CLONE_NEWPID) from the probe) with
 *   a child X and a grandchild G. The probe kill(2)s I with SIGKILL and, the
 *   moment waitpid(I) returns, checks whether X and G still exist.
 * Part 3: the same with a process Z in the namespace whose parent H is
 *   OUTSIDE it (H did setns() to I's namespace, then fork). After SIGKILL to
 *   I, Z dies but stays an unreaped zombie of H: does I finish exiting before
 *   H reaps Z? Finally H forks again (its pid_ns_for_children is now dead).
 *
 * Reference: kernel-semantics.md sections 2.2, 5.3, 5.5, 7.5.
 */
/*
 * ---- Common helpers (the same block is copied into every probe, so that each
 * file compiles on its own: gcc -Wall -pthread -o x x.c) ----
 *
 * Safety rules followed by every probe:
 *  - Every cgroup is created under one parent directory that we create
 *    ourselves, <cgroup2 mount>/cgsim-probe-<pid> (run.sh passes it in
 *    $CGSIM_PROBE_PARENT; a probe started by hand creates its own), inside the
 *    probe's subdirectory BASE. No other cgroup's files are ever written.
 *  - Every process is forked by the probe, a fixed small number of times (no
 *    unbounded loops), and sleeps at most about 60 s on its own. Only our own
 *    children are signalled or moved.
 *  - cleanup() kills BASE's subtree through BASE/cgroup.kill, SIGKILLs and
 *    reaps every unreaped direct child, and removes BASE depth-first.
 *  - alarm(120) is a last resort; run.sh then removes what is left.
 *
 * Output: one "FACT name: value" line per observation.
 */
#define _GNU_SOURCE
#include "probe.h"
#include <sched.h>

static int cmd[2]; /* host -> helper H (part 3) */


static void sleep60(void)
{
	for (int i = 0; i < 60; i++)
		sleep(1);
	_exit(0);
}

static void reaper_loop(void) /* an init that only reaps, 60 s at most */
{
	for (int n = 0; n < 600; n++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		msleep(100);
	}
	_exit(0);
}

static void part1(void)
{
	pid_t h;
	int st;
	fflush(stdout);
	h = fork();
	if (h == 0) {
		pid_t c1, c2, c3;
		int s1;
		printf("FACT P1.unshare_NEWPID: %s\n", res(unshare(CLONE_NEWPID) ? -errno : 0));
		fflush(stdout);
		c1 = fork();
		if (c1 == 0)
			_exit(getpid()); /* exit code = our pid in the new namespace */
		waitpid(c1, &s1, 0);
		printf("FACT P1.first_child: host pid %d, %s (exit code = its ns pid)\n", c1, wstat(s1));
		fflush(stdout);
		c2 = fork();
		if (c2 == 0)
			_exit(0);
		printf("FACT P1.fork_after_ns_init_exited: %s\n", c2 < 0 ? res(-errno) : "succeeded");
		if (c2 > 0)
			waitpid(c2, NULL, 0);
		printf("FACT P1.second_unshare_NEWPID: %s\n", res(unshare(CLONE_NEWPID) ? -errno : 0));
		fflush(stdout);
		c3 = fork();
		if (c3 == 0)
			_exit(getpid());
		if (c3 > 0) {
			waitpid(c3, &s1, 0);
			printf("FACT P1.fork_after_second_unshare: ok, child %s\n", wstat(s1));
		} else {
			printf("FACT P1.fork_after_second_unshare: %s\n", res(-errno));
		}
		fflush(stdout);
		_exit(0);
	}
	track(h);
	reap(h, 5000, &st);
}

static void part2(void)
{
	struct msg m;
	pid_t I, xh = 0, gh = 0;
	int st, got = 0;
	long t0;

	if (pipe(rep))
		exit(2);
	fflush(stdout);
	I = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (I == 0) {
		if (fork() == 0) { /* X */
			if (fork() == 0) { /* G */
				say('G', getpid(), host_pid());
				sleep60();
			}
			say('X', getpid(), host_pid());
			sleep60();
		}
		reaper_loop();
	}
	if (I < 0) {
		printf("FACT P2.clone_NEWPID: %s\n", res(-errno));
		return;
	}
	track(I);
	while (got < 2 && hear(&m, 3000)) {
		printf("FACT P2.%c: ns_pid=%ld host_pid=%ld\n", m.tag, m.a, m.b);
		if (m.tag == 'X')
			xh = m.b, got++;
		if (m.tag == 'G')
			gh = m.b, got++;
	}
	msleep(100);
	printf("FACT P2.before: init=%c X=%c G=%c\n", pstate(I), pstate(xh), pstate(gh));
	printf("FACT P2.kill(init,SIGKILL)_from_host: %s\n", res(kill(I, SIGKILL) ? -errno : 0));
	t0 = now_ms();
	if (waitpid(I, &st, 0) == I) {
		char x = pstate(xh), g = pstate(gh);
		int ex = kill(xh, 0) ? errno : 0, eg = kill(gh, 0) ? errno : 0;
		untrack(I);
		printf("FACT P2.waitpid(init)_returned: %s after %ld ms\n", wstat(st), now_ms() - t0);
		printf("FACT P2.right_after_waitpid: X state=%c kill(X,0)=%s; G state=%c kill(G,0)=%s\n", x,
		       ex ? en(ex) : "0 (exists)", g, eg ? en(eg) : "0 (exists)");
	}
	close(rep[0]);
	close(rep[1]);
}

static void part3(void)
{
	struct msg m;
	pid_t I, H, zh = 0;
	int st, got = 0;
	long t0;

	if (pipe(rep) || pipe(cmd))
		exit(2);
	fflush(stdout);
	I = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (I == 0)
		reaper_loop();
	if (I < 0) {
		printf("FACT P3.clone_NEWPID: %s\n", res(-errno));
		return;
	}
	track(I);
	fflush(stdout);
	H = fork();
	if (H == 0) { /* helper outside the namespace */
		char p[64], k;
		int fd, zs;
		pid_t z;
		snprintf(p, sizeof p, "/proc/%d/ns/pid", I);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		say('S', fd < 0 ? -errno : (setns(fd, CLONE_NEWPID) ? -errno : 0), 0);
		z = fork();
		if (z == 0) {
			say('Z', getpid(), host_pid());
			sleep60();
		}
		if (read(cmd[0], &k, 1) != 1) /* 'r': reap Z now */
			_exit(1);
		waitpid(z, &zs, 0);
		say('W', zs, 0);
		if (read(cmd[0], &k, 1) != 1) /* 'f': fork once more */
			_exit(1);
		z = fork();
		if (z == 0)
			_exit(0);
		say('F', z < 0 ? -errno : 0, 0);
		if (z > 0)
			waitpid(z, NULL, 0);
		_exit(0);
	}
	track(H);
	while (got < 2 && hear(&m, 3000)) {
		if (m.tag == 'S')
			printf("FACT P3.helper_setns_into_init's_pidns: %s\n", res(m.a)), got++;
		if (m.tag == 'Z')
			printf("FACT P3.Z (parent outside ns): ns_pid=%ld host_pid=%ld\n", m.a, m.b), zh = m.b, got++;
	}
	msleep(100);
	printf("FACT P3.kill(init,SIGKILL)_from_host: %s\n", res(kill(I, SIGKILL) ? -errno : 0));
	t0 = now_ms();
	msleep(500);
	{
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/wchan", I);
		printf("FACT P3.500ms_later: init %s (state %c, wchan %s); Z state=%c\n",
		       reap(I, 0, &st) ? wstat(st) : "NOT reapable", pstate(I), flat(p), pstate(zh));
	}
	if (write(cmd[1], "r", 1) != 1)
		exit(2);
	if (hear(&m, 2000) && m.tag == 'W')
		printf("FACT P3.helper_reaped_Z: %s\n", wstat((int)m.a));
	if (reap(I, 2000, &st))
		printf("FACT P3.init_reapable_after_Z_reaped: %s (%ld ms after the SIGKILL)\n", wstat(st),
		       now_ms() - t0);
	else
		printf("FACT P3.init_reapable_after_Z_reaped: NO\n");
	if (write(cmd[1], "f", 1) != 1)
		exit(2);
	if (hear(&m, 2000) && m.tag == 'F')
		printf("FACT P3.helper_fork_into_dead_pidns: %s\n", m.a < 0 ? res(m.a) : "succeeded");
	reap(H, 2000, &st);
	close(rep[0]);
	close(rep[1]);
	close(cmd[0]);
	close(cmd[1]);
}

int main(void)
{
	setup("pidns_lifecycle");
	part1();
	part2();
	part3();
	cleanup();
	return 0;
}
