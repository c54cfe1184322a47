/*
 * pidns_init_signals.c: question 8, signals to a pid namespace's init that
 * has no handlers installed.
 *
 * I = clone(CLONE_NEWPID) from the probe (the host); I only reaps and
 * sleeps. Its child X (inside the namespace) calls kill(1, SIGKILL), then
 * kill(1, SIGTERM), and after each checks with kill(1, 0) whether init is
 * still there. Then the host sends SIGTERM to I (it must survive per the
 * reference), then SIGSTOP (forced from an ancestor namespace), SIGCONT,
 * and finally SIGKILL.
 *
 * Reference: kernel-semantics.md sections 3.1, 3.2, 5.2.
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



static const char *init_state(pid_t I, int *st)
{
	static char b[2][128];
	static int i;
	i = (i + 1) % 2;
	if (reap(I, 0, st))
		snprintf(b[i], sizeof b[i], "DEAD: %s", wstat(*st));
	else
		snprintf(b[i], sizeof b[i], "alive (state %c, SigPnd=%s ShdPnd=%s)", pstate(I),
			 sfield(I, 0, "SigPnd:"), sfield(I, 0, "ShdPnd:"));
	return b[i];
}

int main(void)
{
	struct msg m;
	pid_t I;
	int st = 0;

	setup("pidns_init_signals");
	if (pipe(rep))
		return 2;
	fflush(stdout);
	I = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (I == 0) { /* init */
		if (fork() == 0) { /* X */
			say('K', kill(1, SIGKILL) ? -errno : 0, 0);
			msleep(300);
			say('k', kill(1, 0) ? -errno : 0, 0);
			say('T', kill(1, SIGTERM) ? -errno : 0, 0);
			msleep(300);
			say('t', kill(1, 0) ? -errno : 0, 0);
			for (int i = 0; i < 60; i++)
				sleep(1);
			_exit(0);
		}
		for (int n = 0; n < 600; n++) {
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			msleep(100);
		}
		_exit(0);
	}
	if (I < 0) {
		printf("FACT clone_NEWPID: %s\n", res(-errno));
		return 2;
	}
	track(I);
	msleep(50);
	printf("FACT init_handlers: SigCgt=%s SigIgn=%s\n", sfield(I, 0, "SigCgt:"), sfield(I, 0, "SigIgn:"));
	for (int n = 0; n < 4 && hear(&m, 3000); n++) {
		switch (m.tag) {
		case 'K':
			printf("FACT inside: kill(1, SIGKILL) = %s\n", res(m.a));
			break;
		case 'k':
			printf("FACT inside: 300 ms later kill(1, 0) = %s (0 = init still exists)\n", res(m.a));
			break;
		case 'T':
			printf("FACT inside: kill(1, SIGTERM) = %s\n", res(m.a));
			break;
		case 't':
			printf("FACT inside: 300 ms later kill(1, 0) = %s\n", res(m.a));
			break;
		}
	}
	printf("FACT host_view_after_inside_signals: init %s\n", init_state(I, &st));

	printf("FACT host: kill(init, SIGTERM) = %s\n", res(kill(I, SIGTERM) ? -errno : 0));
	msleep(300);
	printf("FACT host_view_300ms_after_SIGTERM: init %s\n", init_state(I, &st));

	printf("FACT host: kill(init, SIGSTOP) = %s\n", res(kill(I, SIGSTOP) ? -errno : 0));
	msleep(300);
	printf("FACT host_view_300ms_after_SIGSTOP: init %s\n", init_state(I, &st));
	printf("FACT host: kill(init, SIGCONT) = %s\n", res(kill(I, SIGCONT) ? -errno : 0));
	msleep(300);
	printf("FACT host_view_300ms_after_SIGCONT: init %s\n", init_state(I, &st));

	printf("FACT host: kill(init, SIGKILL) = %s\n", res(kill(I, SIGKILL) ? -errno : 0));
	if (reap(I, 2000, &st))
		printf("FACT host_view_after_SIGKILL: init DEAD: %s\n", wstat(st));
	else
		printf("FACT host_view_after_SIGKILL: init not reapable after 2 s\n");
	cleanup();
	return 0;
}
