/*
 * kill_pidns_writer.c: question 3, cgroup.kill written from inside a child
 * pid namespace whose init is in the killed cgroup.
 *
 * A "container" is built by clone(CLONE_NEWPID) from the probe (the host):
 *   I  init, pid 1 in the new namespace; moves itself into cgroup C, reaps
 *      its children, sleeps (bounded);
 *   X  child of I, sleeper, in C;
 *   Y  child of I, the writer: waits for "go", writes "1" to C/cgroup.kill,
 *      reports the result, then sleeps (bounded).
 * Variant "writer_in_other_cgroup": Y first moves itself into cgroup W, so
 *      it survives the write and can report; I and X are in C.
 * Variant "writer_in_same_cgroup": Y stays in C with I and X.
 * After the in-namespace write, the host writes "1" to C/cgroup.kill itself
 * (the comparison): init must die, and with it every task of the namespace,
 * including Y in the other cgroup W.
 *
 * Reference: kernel-semantics.md sections 1.8 ([analysis] signal forcing),
 * 3.1, 3.2, 5.5.
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

static int gop[2]; /* host -> writer Y: "go" */


/* the container's init and its two children; never returns */
static void init_main(const char *C, const char *W)
{
	long r = wrs(pj(C, "cgroup.procs"), "0");
	if (r < 0)
		say('E', 1, r);
	say('I', getpid(), host_pid());
	if (fork() == 0) { /* X */
		say('X', getpid(), host_pid());
		for (int i = 0; i < 60; i++)
			sleep(1);
		_exit(0);
	}
	if (fork() == 0) { /* Y, the writer */
		char g;
		if (W && (r = wrs(pj(W, "cgroup.procs"), "0")) < 0)
			say('E', 2, r);
		say('Y', getpid(), host_pid());
		if (read(gop[0], &g, 1) != 1)
			_exit(1);
		r = wrs(pj(C, "cgroup.kill"), "1");
		say('R', r, 0); /* reached only if Y survived its own write */
		for (int i = 0; i < 60; i++)
			sleep(1);
		_exit(0);
	}
	for (int n = 0; n < 600; n++) { /* init: reap, 60 s at most */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		msleep(100);
	}
	_exit(0);
}

static const char *alive(pid_t host_child_init, int *reaped, int *st)
{
	static char b[2][96];
	static int i;
	i = (i + 1) % 2;
	if (!*reaped)
		*reaped = reap(host_child_init, 0, st);
	if (*reaped)
		snprintf(b[i], sizeof b[i], "dead, %s", wstat(*st));
	else
		snprintf(b[i], sizeof b[i], "alive (state %c)", pstate(host_child_init));
	return b[i];
}

static void run(const char *label, const char *C, const char *W)
{
	struct msg m;
	pid_t I, xh = 0, yh = 0;
	int st = 0, reaped = 0, got = 0;

	if (pipe(rep) || pipe(gop))
		exit(2);
	fflush(stdout);
	I = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (I == 0)
		init_main(C, W);
	if (I < 0) {
		printf("FACT %s.clone_NEWPID: %s\n", label, res(-errno));
		return;
	}
	track(I);
	while (got < 3 && hear(&m, 3000)) {
		if (m.tag == 'E')
			printf("FACT %s.setup_error: step %ld: %s\n", label, m.a, res(m.b));
		if (m.tag == 'I' || m.tag == 'X' || m.tag == 'Y') {
			printf("FACT %s.%c: ns_pid=%ld host_pid=%ld\n", label, m.tag, m.a, m.b);
			if (m.tag == 'X')
				xh = m.b;
			if (m.tag == 'Y')
				yh = m.b;
			got++;
		}
	}
	msleep(100);
	printf("FACT %s.before: C.procs=[%s] W.procs=[%s]\n", label, flat(pj(C, "cgroup.procs")),
	       W ? flat(pj(W, "cgroup.procs")) : "-");

	/* the write from inside the namespace */
	if (write(gop[1], "g", 1) != 1)
		exit(2);
	if (hear(&m, 1000) && m.tag == 'R')
		printf("FACT %s.ns_writer_write_result: %s\n", label, res(m.a));
	else
		printf("FACT %s.ns_writer_write_result: no report (writer did not reach its next syscall)\n", label);
	msleep(500);
	printf("FACT %s.after_ns_write: init=%s X=%c Y=%c\n", label, alive(I, &reaped, &st), pstate(xh),
	       pstate(yh));
	printf("FACT %s.after_ns_write: init SigPnd=%s ShdPnd=%s\n", label, sfield(I, 0, "SigPnd:"),
	       sfield(I, 0, "ShdPnd:"));
	printf("FACT %s.after_ns_write: C.procs=[%s] C.events=[%s] W.procs=[%s]\n", label,
	       flat(pj(C, "cgroup.procs")), flat(pj(C, "cgroup.events")), W ? flat(pj(W, "cgroup.procs")) : "-");

	/* the same write from the host */
	printf("FACT %s.host_write: %s\n", label, res(wrs(pj(C, "cgroup.kill"), "1")));
	reaped = reaped || reap(I, 3000, &st);
	printf("FACT %s.after_host_write: init=%s X=%c Y=%c\n", label, alive(I, &reaped, &st), pstate(xh),
	       pstate(yh));
	wait_ev(C, "populated", 0, 1000);
	printf("FACT %s.after_host_write: C.events=[%s] W.procs=[%s] W.events=[%s]\n", label,
	       flat(pj(C, "cgroup.events")), W ? flat(pj(W, "cgroup.procs")) : "-",
	       W ? flat(pj(W, "cgroup.events")) : "-");
	close(rep[0]);
	close(rep[1]);
	close(gop[0]);
	close(gop[1]);
}

int main(void)
{
	char C1[PATHSZ], C2[PATHSZ], W2[PATHSZ];

	setup("kill_pidns_writer");
	sub(C1, BASE, "c1");
	sub(C2, BASE, "c2");
	sub(W2, BASE, "w2");
	mkcg(C1);
	mkcg(C2);
	mkcg(W2);
	printf("FACT legend: state letters from /proc/PID/stat; '-' = no such pid (reaped)\n");
	run("writer_in_other_cgroup", C2, W2);
	run("writer_in_same_cgroup", C1, NULL);
	cleanup();
	return 0;
}
