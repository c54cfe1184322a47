/*
 * kill_frozen.c: question 10, cgroup.kill on a frozen cgroup.
 *
 * Three sleepers in cgroup F; write "1" to F/cgroup.freeze and wait for
 * "frozen 1" in F/cgroup.events; record the tasks' states; write "1" to
 * F/cgroup.kill; check each sleeper's wait status and F's events.
 *
 * Reference: kernel-semantics.md sections 1.8, 6.6, 7.3 (forkbomb).
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
	char F[PATHSZ];
	pid_t s[3];
	int st, dead = 0;
	long t0;

	setup("kill_frozen");
	sub(F, BASE, "f");
	mkcg(F);
	for (int i = 0; i < 3; i++) {
		s[i] = sleeper();
		printf("FACT move_sleeper_%d_into_F: %s\n", i, res(move_pid(F, s[i])));
	}
	printf("FACT freeze_write: %s\n", res(wrs(pj(F, "cgroup.freeze"), "1")));
	printf("FACT frozen_within_3s: %s\n", wait_ev(F, "frozen", 1, 3000) ? "yes" : "NO");
	printf("FACT frozen.F.events: %s\n", flat(pj(F, "cgroup.events")));
	printf("FACT frozen.task_states: %c %c %c\n", pstate(s[0]), pstate(s[1]), pstate(s[2]));
	t0 = now_ms();
	printf("FACT kill_write: %s\n", res(wrs(pj(F, "cgroup.kill"), "1")));
	for (int i = 0; i < 3; i++) {
		if (reap(s[i], 2000, &st)) {
			printf("FACT sleeper_%d: %s\n", i, wstat(st));
			dead++;
		} else {
			printf("FACT sleeper_%d: NOT dead after 2 s (state %c)\n", i, pstate(s[i]));
		}
	}
	printf("FACT all_dead: %d of 3, within %ld ms\n", dead, now_ms() - t0);
	wait_ev(F, "populated", 0, 1000);
	printf("FACT after_kill.F.events: %s\n", flat(pj(F, "cgroup.events")));
	printf("FACT after_kill.F.cgroup.freeze: %s\n", flat(pj(F, "cgroup.freeze")));
	cleanup();
	return 0;
}
