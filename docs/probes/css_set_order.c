/*
 * css_set_order.c: question 12, the order in which a cgroup's tasks are
 * walked when they sit on several css_sets.
 *
 * A css_set is one combination of cgroups, one per mounted hierarchy. On a
 * machine with v1 hierarchies, processes of one v2 cgroup in different v1
 * cgroups sit on different css_sets, and css_task_iter (cgroup.procs,
 * cgroup.kill, the freezer) walks the cgroup's cset_links css_set by
 * css_set. Part A: four processes in one v2 cgroup X, then moves in the v1
 * cpu hierarchy, reading X/cgroup.procs after each. Part B: a thread root
 * D with a threaded child; a process whose leader thread moved into the
 * threaded child (CSS_TASK_ITER_THREADED walks a domain css_set's threaded
 * css_sets right after it).
 *
 * Needs the v1 cpu hierarchy at /sys/fs/cgroup/cpu (prints a FACT and
 * exits 0 without it). The v1 cgroup it creates is
 * /sys/fs/cgroup/cpu/cgsim-probe-<pid>, removed at the end.
 *
 * Reference: kernel-semantics.md 1.2 (css_task_iter); kernel functions
 * link_css_set, find_css_set, css_task_iter_next_css_set,
 * css_task_iter_advance_css_set, css_set_move_task (kernel/cgroup/cgroup.c).
 */
#define _GNU_SOURCE
#include "probe.h"
#include <pthread.h>

static char V1[PATHSZ];

static void *sleeps(void *arg)
{
	(void)arg;
	for (int i = 0; i < 60; i++)
		sleep(1);
	return NULL;
}

/* a child whose second thread sleeps too */
static pid_t two_threads(void)
{
	pid_t p;
	fflush(stdout);
	p = fork();
	if (p == 0) {
		pthread_t th;
		if (pthread_create(&th, NULL, sleeps, NULL))
			_exit(1);
		sleeps(NULL);
		_exit(0);
	}
	return track(p);
}

static void procs(const char *what, const char *cg, const char *file)
{
	printf("FACT %s: %s\n", what, flat(pj(cg, file)));
}

int main(void)
{
	char X[PATHSZ], D[PATHSZ], T[PATHSZ], b[32];
	pid_t a, bb, c, d, p1, p2, p3;

	setup("css_set_order");
	if (access("/sys/fs/cgroup/cpu/cgroup.procs", F_OK)) {
		printf("FACT skipped: no v1 cpu hierarchy at /sys/fs/cgroup/cpu\n");
		cleanup();
		return 0;
	}
	snprintf(V1, sizeof V1, "/sys/fs/cgroup/cpu/cgsim-probe-%d", (int)getpid());
	mkcg(V1);

	/* Part A */
	sub(X, BASE, "x");
	mkcg(X);
	a = sleeper();
	bb = sleeper();
	c = sleeper();
	d = sleeper();
	for (pid_t p, *pp = (pid_t[]){ a, bb, c, d, 0 }; (p = *pp); pp++)
		move_pid(X, p);
	printf("FACT pids: A=%d B=%d C=%d D=%d\n", a, bb, c, d);
	procs("A.one_css_set.procs", X, "cgroup.procs");
	move_pid(V1, bb);
	procs("A.B_to_v1.procs", X, "cgroup.procs");
	move_pid(V1, a);
	procs("A.A_to_v1.procs", X, "cgroup.procs");
	move_pid("/sys/fs/cgroup/cpu", bb);
	move_pid("/sys/fs/cgroup/cpu", a);
	procs("A.B_then_A_back.procs", X, "cgroup.procs");

	/* Part B */
	sub(D, BASE, "d");
	mkcg(D);
	sub(T, D, "thr");
	p1 = sleeper();
	move_pid(D, p1);
	p3 = two_threads();
	msleep(100);
	move_pid(D, p3);
	p2 = sleeper();
	move_pid(D, p2);
	move_pid(V1, p2);
	mkcg(T);
	printf("FACT B.thr.type: %s\n", res(wrs(pj(T, "cgroup.type"), "threaded")));
	printf("FACT B.leader_of_p3_to_thr: %s\n",
	       res(wr(pj(T, "cgroup.threads"), b, snprintf(b, sizeof b, "%d", (int)p3))));
	printf("FACT B.pids: p1=%d p3=%d p2=%d (p2 in the v1 cgroup)\n", p1, p3, p2);
	procs("B.D.procs", D, "cgroup.procs");
	procs("B.D.threads", D, "cgroup.threads");
	procs("B.thr.threads", T, "cgroup.threads");

	/* everything back to the v1 root before removing the v1 cgroup */
	move_pid("/sys/fs/cgroup/cpu", p2);
	cleanup();
	printf("FACT v1_cleanup: %s\n", rmdir(V1) ? en(errno) : "removed");
	return 0;
}
