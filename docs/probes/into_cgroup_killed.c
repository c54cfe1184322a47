/*
 * into_cgroup_killed.c: question 6, clone3(CLONE_INTO_CGROUP) into a cgroup
 * that was cgroup.kill'ed earlier (the kill_seq snapshot bug).
 *
 * Cgroups: A (gets one victim, is killed, waits until empty), B and C (never
 * killed), B2 (killed once while empty, so its kill counter is 1 like A's).
 * Each trial forks a helper, moves it into its "home" cgroup, and the helper
 * creates a child that sleeps 1 s and exits 0, either with
 * clone3(CLONE_INTO_CGROUP, target) or with a plain fork(). The helper
 * reports the child's wait status and lifetime.
 * Bug hypothesis (reference 1.6): the fork snapshots the PARENT's cgroup
 * kill_seq but post_fork compares with the TARGET's, so a child is SIGKILLed
 * at birth whenever the two counters differ.
 *
 * Reference: kernel-semantics.md sections 1.6, 2.1 (step 8, 12), 7.1 item 4.
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
#include <linux/sched.h> /* struct clone_args, CLONE_INTO_CGROUP */

static void trial(const char *label, const char *home, const char *target)
{
	int go[2], rp[2], st;
	long out[3] = { 0, 0, 0 };
	struct pollfd p;
	pid_t h;

	if (pipe(go) || pipe(rp))
		exit(2);
	fflush(stdout);
	h = fork();
	if (h == 0) { /* helper */
		char x;
		int cfd = -1, cst = 0;
		long t0;
		pid_t c;
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		if (target && (cfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			out[0] = -errno;
			goto report;
		}
		t0 = now_ms();
		if (target) {
			struct clone_args a;
			memset(&a, 0, sizeof a);
			a.flags = CLONE_INTO_CGROUP;
			a.exit_signal = SIGCHLD;
			a.cgroup = cfd;
			c = syscall(SYS_clone3, &a, sizeof a);
		} else {
			c = fork();
		}
		if (c == 0) { /* the child */
			msleep(1000);
			_exit(0);
		}
		if (c < 0) {
			out[0] = -errno;
			goto report;
		}
		waitpid(c, &cst, 0);
		out[0] = c;
		out[1] = cst;
		out[2] = now_ms() - t0;
report:
		if (write(rp[1], out, sizeof out) != sizeof out)
			_exit(2);
		_exit(0);
	}
	track(h);
	if (move_pid(home, h) < 0)
		printf("FACT %s: could not move helper into home cgroup\n", label);
	if (write(go[1], "g", 1) != 1)
		exit(2);
	p.fd = rp[0];
	p.events = POLLIN;
	if (poll(&p, 1, 5000) == 1 && read(rp[0], out, sizeof out) == sizeof out) {
		if (out[0] < 0)
			printf("FACT %s: clone failed: %s\n", label, res(out[0]));
		else
			printf("FACT %s: child %s after %ld ms\n", label, wstat((int)out[1]), out[2]);
	} else {
		printf("FACT %s: no report from helper\n", label);
	}
	reap(h, 2000, &st);
	close(go[0]);
	close(go[1]);
	close(rp[0]);
	close(rp[1]);
}

int main(void)
{
	char A[PATHSZ], B[PATHSZ], B2[PATHSZ], C[PATHSZ];
	int st;
	pid_t v;

	setup("into_cgroup_killed");
	sub(A, BASE, "A");
	sub(B, BASE, "B");
	sub(B2, BASE, "B2");
	sub(C, BASE, "C");
	mkcg(A);
	mkcg(B);
	mkcg(B2);
	mkcg(C);

	v = sleeper();
	printf("FACT move_victim_into_A: %s\n", res(move_pid(A, v)));
	printf("FACT kill_A_with_victim (A's kill count 1): %s\n", res(wrs(pj(A, "cgroup.kill"), "1")));
	printf("FACT victim: %s\n", reap(v, 2000, &st) ? wstat(st) : "not reaped");
	printf("FACT A_empty_again: %s\n", wait_ev(A, "populated", 0, 2000) ? "yes (populated 0)" : "NO");
	printf("FACT kill_B2_while_empty (B2's kill count 1): %s\n", res(wrs(pj(B2, "cgroup.kill"), "1")));

	trial("T1 clone3_into_A(killed 1x) from_helper_in_B(never killed)", B, A);
	trial("T2 clone3_into_C(never killed) from_helper_in_B(never killed)", B, C);
	trial("T3 clone3_into_B(own cgroup) from_helper_in_B", B, B);
	trial("T4 clone3_into_A(killed 1x) from_helper_in_B2(killed 1x)", B2, A);
	trial("T5 clone3_into_A from_helper_in_A", A, A);
	trial("T6 plain_fork from_helper_in_A(killed 1x)", A, NULL);
	trial("T7 plain_fork from_helper_in_B", B, NULL);
	printf("FACT kill_A_again_while_empty (A's kill count 2): %s\n", res(wrs(pj(A, "cgroup.kill"), "1")));
	trial("T8 clone3_into_A(killed 2x) from_helper_in_B2(killed 1x)", B2, A);
	trial("T9 clone3_into_B2(killed 1x) from_helper_in_A(killed 2x)", A, B2);
	trial("T10 clone3_into_A(killed 2x) from_helper_in_A", A, A);

	/* clone3 with the O_PATH fd of a cgroup removed after the open (the last
	 * step of test_core.c test_cgcore_populated): which errno? */
	{
		char D[PATHSZ];
		struct clone_args a;
		int fd;
		pid_t c;
		sub(D, BASE, "D");
		mkcg(D);
		fd = open(D, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || rmdir(D)) {
			printf("FACT clone3_into_removed_cgroup_fd: setup failed: %s\n", res(-errno));
		} else {
			memset(&a, 0, sizeof a);
			a.flags = CLONE_INTO_CGROUP;
			a.exit_signal = SIGCHLD;
			a.cgroup = fd;
			fflush(stdout);
			c = syscall(SYS_clone3, &a, sizeof a);
			if (c == 0)
				_exit(0);
			if (c > 0) {
				reap(c, 2000, &st);
				printf("FACT clone3_into_removed_cgroup_fd: succeeded\n");
			} else {
				printf("FACT clone3_into_removed_cgroup_fd: %s\n", res(-errno));
			}
		}
		if (fd >= 0)
			close(fd);
	}
	cleanup();
	return 0;
}
