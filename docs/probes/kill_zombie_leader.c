/*
 * kill_zombie_leader.c: question 2, cgroup.kill on a process whose group
 * leader (main thread) has exited with pthread_exit() while another thread
 * keeps running.
 *
 * The child process is moved into test cgroup Z, creates one thread that
 * sleeps (at most 60 s), and its main thread calls pthread_exit(). Once the
 * leader is a zombie we record /proc state, cgroup.procs, cgroup.threads and
 * cgroup.events, write "1" to Z/cgroup.kill, and check whether the process
 * dies. If it does not, we show the pending-signal masks, try a second
 * cgroup.kill write, then tgkill(tgid, leader, SIGKILL) (the same per-task
 * PIDTYPE_PID delivery as cgroup.kill's send_sig()), and finally kill(2)
 * the process with SIGKILL (a group signal), which also makes cleanup clean.
 *
 * Reference: kernel-semantics.md sections 1.3 ([analysis] zombie leader),
 * 3.1, 3.3, 4.5, 10.
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
#include <pthread.h>

static int tp[2];

static void *thread_fn(void *a)
{
	pid_t t = gettid();
	(void)a;
	if (write(tp[1], &t, sizeof t) < 0)
		_exit(1);
	for (int i = 0; i < 60; i++)
		sleep(1);
	return NULL; /* the last thread returning ends the process (status 0) */
}

static void snapshot(const char *when, const char *Z, pid_t c, pid_t tid)
{
	printf("FACT %s.leader: State=%s Threads=%s SigPnd=%s ShdPnd=%s\n", when, sfield(c, 0, "State:"),
	       sfield(c, 0, "Threads:"), sfield(c, 0, "SigPnd:"), sfield(c, 0, "ShdPnd:"));
	printf("FACT %s.thread: State=%s SigPnd=%s\n", when, sfield(c, tid, "State:"), sfield(c, tid, "SigPnd:"));
	printf("FACT %s.Z.cgroup.procs: %s\n", when, flat(pj(Z, "cgroup.procs")));
	printf("FACT %s.Z.cgroup.threads: %s\n", when, flat(pj(Z, "cgroup.threads")));
	printf("FACT %s.Z.cgroup.events: %s\n", when, flat(pj(Z, "cgroup.events")));
}

int main(void)
{
	char Z[PATHSZ];
	int go[2], st;
	pid_t c, tid = 0;

	setup("kill_zombie_leader");
	sub(Z, BASE, "z");
	mkcg(Z);
	if (pipe(go) || pipe(tp))
		return 2;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char x;
		pthread_t th;
		if (read(go[0], &x, 1) != 1)
			_exit(1);
		pthread_create(&th, NULL, thread_fn, NULL);
		pthread_exit(NULL); /* the group leader exits, the thread lives on */
	}
	track(c);
	printf("FACT move_child_into_Z: %s\n", res(move_pid(Z, c)));
	if (write(go[1], "g", 1) != 1 || read(tp[0], &tid, sizeof tid) != sizeof tid)
		return 2;
	for (int i = 0; i < 200 && pstate(c) != 'Z'; i++)
		msleep(10);
	printf("FACT pids: leader(tgid)=%d other_thread_tid=%d\n", c, tid);
	snapshot("before_kill", Z, c, tid);
	printf("FACT before_kill.waitpid_WNOHANG: %d\n", (int)waitpid(c, &st, WNOHANG));

	printf("FACT kill_write: %s\n", res(wrs(pj(Z, "cgroup.kill"), "1")));
	if (reap(c, 1000, &st)) {
		printf("FACT after_kill: process died: %s\n", wstat(st));
	} else {
		printf("FACT after_kill: process NOT reapable 1 s after the write\n");
		snapshot("after_kill", Z, c, tid);
		printf("FACT second_kill_write: %s\n", res(wrs(pj(Z, "cgroup.kill"), "1")));
		if (reap(c, 1000, &st)) {
			printf("FACT after_second_kill: process died: %s\n", wstat(st));
		} else {
			printf("FACT after_second_kill: process NOT reapable after 1 s (thread State=%s)\n",
			       sfield(c, tid, "State:"));
			/* the same per-task (PIDTYPE_PID) delivery that cgroup.kill's send_sig() uses */
			printf("FACT tgkill(tgid, leader_tid, SIGKILL): %s\n",
			       res(syscall(SYS_tgkill, c, c, SIGKILL) ? -errno : 0));
			if (reap(c, 1000, &st)) {
				printf("FACT after_tgkill_leader: process died: %s\n", wstat(st));
				goto out;
			}
			printf("FACT after_tgkill_leader: NOT reapable after 1 s; leader SigPnd=%s, thread SigPnd=%s\n",
			       sfield(c, 0, "SigPnd:"), sfield(c, tid, "SigPnd:"));
			printf("FACT kill(2)_SIGKILL_to_tgid: %s\n", res(kill(c, SIGKILL) ? -errno : 0));
			if (reap(c, 2000, &st))
				printf("FACT after_kill(2): process died: %s\n", wstat(st));
			else
				printf("FACT after_kill(2): still not reapable after 2 s\n");
		}
	}
out:
	wait_ev(Z, "populated", 0, 1000);
	printf("FACT final.Z.cgroup.events: %s\n", flat(pj(Z, "cgroup.events")));
	cleanup();
	return 0;
}
