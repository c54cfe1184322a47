/*
 * populated_zombie.c: question 5, cgroup state while a child is an unreaped
 * zombie.
 *
 * A child in test cgroup Z exits; the parent waits with
 * waitid(WEXITED | WNOWAIT), which returns as soon as the child is a zombie
 * but does not reap it. Then: cgroup.events (populated?), cgroup.procs (is
 * the zombie listed?), cgroup.threads, /proc/PID/cgroup, rmdir of Z while
 * the zombie is unreaped, /proc/PID/cgroup after that rmdir; finally reap.
 * Then a race check: 50 rounds of "child exits, waitid(WNOWAIT) returns,
 * read populated at once", counting rounds where "populated 1" was seen.
 *
 * Reference: kernel-semantics.md sections 4.1, 4.5, 4.6, 6.7.
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

int main(void)
{
	char Z[PATHSZ], R[PATHSZ];
	int go[2], st, rr, seen1 = 0, listed = 0, rounds = 0;
	siginfo_t si;
	pid_t c;

	setup("populated_zombie");
	sub(Z, BASE, "z");
	mkcg(Z);
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
	track(c);
	printf("FACT move_child_into_Z: %s\n", res(move_pid(Z, c)));
	printf("FACT live_child.Z.events: %s\n", flat(pj(Z, "cgroup.events")));
	if (write(go[1], "g", 1) != 1)
		return 2;
	memset(&si, 0, sizeof si);
	if (waitid(P_PID, c, &si, WEXITED | WNOWAIT))
		printf("FACT waitid_WNOWAIT: %s\n", res(-errno));
	printf("FACT zombie.waitid_WNOWAIT: si_code=%s si_status=%d\n",
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
	printf("FACT zombie.Z.events: %s\n", flat(pj(Z, "cgroup.events")));
	printf("FACT zombie.proc_state: %c\n", pstate(c));
	printf("FACT zombie.Z.cgroup.procs: %s\n", flat(pj(Z, "cgroup.procs")));
	printf("FACT zombie.Z.cgroup.threads: %s\n", flat(pj(Z, "cgroup.threads")));
	printf("FACT zombie./proc/PID/cgroup: %s\n", v2line(c));
	rr = rmdir(Z);
	printf("FACT zombie.rmdir_Z_while_unreaped: %s\n", rr ? res(-errno) : "ok 0");
	printf("FACT zombie./proc/PID/cgroup_after_rmdir: %s\n", v2line(c));
	if (reap(c, 1000, &st))
		printf("FACT reaped: %s\n", wstat(st));
	if (rr) {
		printf("FACT after_reap.Z.events: %s\n", flat(pj(Z, "cgroup.events")));
		printf("FACT after_reap.rmdir_Z: %s\n", rmdir(Z) ? res(-errno) : "ok 0");
	}

	/* race check: is "populated 1" ever visible once the child is a zombie? */
	sub(R, BASE, "race");
	mkcg(R);
	for (int i = 0; i < 50; i++) {
		int g2[2];
		if (pipe(g2))
			break;
		fflush(stdout);
		c = fork();
		if (c == 0) {
			char x;
			if (read(g2[0], &x, 1) != 1)
				_exit(1);
			_exit(0);
		}
		track(c);
		if (move_pid(R, c) < 0 || write(g2[1], "g", 1) != 1)
			break;
		if (waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0) {
			char b[256];
			rounds++;
			seen1 += ev(R, "populated") == 1;
			if (rd(pj(R, "cgroup.procs"), b, sizeof b) > 0)
				listed++;
		}
		reap(c, 1000, &st);
		close(g2[0]);
		close(g2[1]);
	}
	printf("FACT race_check: rounds=%d populated_1_seen_after_zombie=%d zombie_listed_in_procs=%d\n", rounds,
	       seen1, listed);
	cleanup();
	return 0;
}
