/*
 * coredump.c: question 15, a core-dumping process against cgroup.kill and
 * kill(2): the wait status (is the 0x80 core bit set with RLIMIT_CORE 0?),
 * whether the cgroup stays populated while the dump is written, and
 * whether a SIGKILL that reaches the process mid-dump stops the dump.
 *
 * Nothing global is changed: core_pattern stays what it is (this machine:
 * "core", core_uses_pid 0, so a dump is the file "core" in the dumping
 * process's cwd). Every child that may dump chdir()s into a fresh temp
 * directory under /tmp first, sets its own RLIMIT_CORE, and the directory
 * and the core file are removed afterwards. If core_pattern is not a plain
 * file name the cases that need a core file are skipped.
 *
 * A: single-threaded, RLIMIT_CORE 0, raise(SIGSEGV).
 * B: RLIMIT_CORE unlimited, raise(SIGSEGV) / abort(); and
 *    prctl(PR_SET_DUMPABLE, 0) with RLIMIT_CORE unlimited.
 * C: a dump of 256 MiB of touched memory (long enough to act during it):
 *    C0 without interference (how long, how big); C1 kill(2) SIGTERM
 *    mid-dump; C2 cgroup.kill mid-dump with the leader dumping; C3
 *    cgroup.kill mid-dump while a second thread dumps and the leader was
 *    only zapped (6.x: the zapped leader waits in coredump_task_exit
 *    before exit_signals, so it is neither PF_EXITING nor has SIGKILL
 *    pending, and cgroup.kill's SIGKILL reaches it and becomes a group
 *    kill that interrupts the dump).
 * D: the pid namespace zap mid-dump: the same 256 MiB dump by pid 2 of a
 *    namespace whose init (pid 1) is SIGKILLed from outside 40 ms into the
 *    dump. zap_pid_ns_processes SIGKILLs every task of the namespace
 *    (prepare_signal lets SIGKILL through core_state) and waits for them:
 *    the dump is interrupted (a core file shorter than C0's) and the init
 *    is reaped long before a whole dump would take.
 */
#define _GNU_SOURCE
#include "probe.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define BIG (256UL << 20)

static char TMP[PATHSZ];
static int go[2];  /* parent -> child: raise now */
static int rdy[2]; /* child -> parent: memory touched */

static void setcore(rlim_t lim)
{
	struct rlimit r = { lim, lim };
	if (setrlimit(RLIMIT_CORE, &r))
		_exit(3);
}

static void *dumper_thread(void *a)
{
	char x;
	(void)a;
	if (read(go[0], &x, 1) != 1)
		_exit(4);
	syscall(SYS_tgkill, getpid(), gettid(), SIGSEGV);
	for (;;)
		pause();
	return NULL;
}

/* fork a child in cgroup cg (if any) that may dump: limit lim, big memory
 * if big, the dump raised by a second thread if thr (else by the leader),
 * what = 0 raise(SIGSEGV), 1 abort(), 2 not dumpable + raise(SIGSEGV) */
static pid_t crasher(const char *cg, rlim_t lim, int big, int thr, int what)
{
	pid_t c;
	fflush(stdout);
	if (pipe(go) || pipe(rdy))
		exit(2);
	c = fork();
	if (c == 0) {
		char x = 'r';
		alarm(60);
		if (chdir(TMP))
			_exit(3);
		setcore(lim);
		if (what == 2)
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (big) {
			char *m = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				_exit(3);
			memset(m, 1, BIG);
		}
		if (thr) {
			pthread_t th;
			if (pthread_create(&th, NULL, dumper_thread, NULL))
				_exit(3);
			if (write(rdy[1], &x, 1) != 1)
				_exit(3);
			for (;;)
				pause(); /* the leader only waits; it is zapped */
		}
		if (write(rdy[1], &x, 1) != 1 || read(go[0], &x, 1) != 1)
			_exit(3);
		if (what == 1)
			abort();
		raise(SIGSEGV);
		_exit(5);
	}
	track(c);
	if (cg)
		move_pid(cg, c);
	{
		char x;
		if (read(rdy[0], &x, 1) != 1)
			exit(2);
	}
	return c;
}

static void closeall(void)
{
	close(go[0]), close(go[1]), close(rdy[0]), close(rdy[1]);
}

static long coresize(void)
{
	struct stat s;
	long r = stat(pj(TMP, "core"), &s) ? -1 : (long)s.st_size;
	unlink(pj(TMP, "core"));
	return r;
}

static const char *status(int st)
{
	static char b[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof b[i], "%s, WCOREDUMP %d (status 0x%x)", wstat(st),
		 WIFSIGNALED(st) ? !!WCOREDUMP(st) : 0, st);
	return b[i];
}

/* simple case: start the child, let it crash, reap it */
static void simple(const char *name, rlim_t lim, int what)
{
	int st;
	pid_t c = crasher(NULL, lim, 0, 0, what);
	if (write(go[1], "g", 1) != 1)
		exit(2);
	if (reap(c, 5000, &st))
		printf("FACT %s: %s, core file %ld bytes\n", name, status(st), coresize());
	closeall();
}

/* /proc/PID/task/TID/stat state letter */
static char tstate(pid_t pid, pid_t tid)
{
	char b[1024], path[96], *p;
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (rd(path, b, sizeof b) <= 0)
		return '-';
	p = strrchr(b, ')');
	return (p && p[1] == ' ') ? p[2] : '?';
}

/* the big cases: mode 0 nothing, 1 kill(2) SIGTERM, 2 cgroup.kill */
static void big(const char *name, const char *cg, int thr, int mode)
{
	int st;
	long t0, t1;
	pid_t c = crasher(cg, RLIM_INFINITY, 1, thr, 0);
	t0 = now_ms();
	if (write(go[1], "g", 1) != 1)
		exit(2);
	if (mode) {
		msleep(40);
		printf("FACT %s.mid_dump.populated: %d\n", name, ev(cg, "populated"));
		printf("FACT %s.mid_dump.leader_state: %c SigPnd=%s ShdPnd=%s\n", name, tstate(c, c),
		       sfield(c, c, "SigPnd:"), sfield(c, c, "ShdPnd:"));
		if (mode == 1)
			printf("FACT %s.kill(2)_SIGTERM: %s\n", name, res(kill(c, SIGTERM) ? -errno : 0));
		else
			printf("FACT %s.cgroup.kill: %s\n", name, res(wrs(pj(cg, "cgroup.kill"), "1")));
	}
	if (reap(c, 20000, &st)) {
		t1 = now_ms();
		printf("FACT %s: %s, core file %ld bytes, %ld ms from raise to reap\n", name, status(st),
		       coresize(), t1 - t0);
	}
	printf("FACT %s.after.populated: %d\n", name, ev(cg, "populated"));
	closeall();
}

/* D: a namespace's init killed while pid 2 of the namespace dumps core.
 * The probe is a subreaper, so the init (whose parent W exits at once) is
 * reparented to it and reaped here. */
static void zap(const char *name)
{
	int st, p[2];
	long t0, t1;
	pid_t w, init;
	char x;
	if (pipe(p) || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		exit(2);
	fflush(stdout);
	w = fork();
	if (w == 0) {
		pid_t i;
		if (unshare(CLONE_NEWPID))
			_exit(3);
		i = fork();
		if (i == 0) {
			/* pid 1: start the crasher, let it raise, say so */
			alarm(60);
			crasher(NULL, RLIM_INFINITY, 1, 0, 0);
			if (write(go[1], "g", 1) != 1 || write(p[1], "d", 1) != 1)
				_exit(3);
			for (;;)
				pause();
		}
		if (i < 0 || write(p[1], &i, sizeof i) != sizeof i)
			_exit(3);
		_exit(0);
	}
	track(w);
	if (!reap(w, 5000, &st) || read(p[0], &init, sizeof init) != sizeof init) {
		printf("FACT %s: setup failed\n", name);
		return;
	}
	track(init);
	if (read(p[0], &x, 1) != 1) {
		printf("FACT %s: setup failed\n", name);
		return;
	}
	msleep(40);
	t0 = now_ms();
	printf("FACT %s.kill(init, SIGKILL): %s\n", name, res(kill(init, SIGKILL) ? -errno : 0));
	if (reap(init, 20000, &st)) {
		t1 = now_ms();
		printf("FACT %s: init %s, core file %ld bytes, %ld ms from the kill to the init reaped\n", name,
		       status(st), coresize(), t1 - t0);
	}
	close(p[0]), close(p[1]);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

int main(void)
{
	char pat[256], cg[PATHSZ];
	int plain;

	setup("coredump");
	rd("/proc/sys/kernel/core_pattern", pat, sizeof pat);
	pat[strcspn(pat, "\n")] = 0;
	printf("FACT core_pattern: %s core_uses_pid: %s\n", pat, flat("/proc/sys/kernel/core_uses_pid"));
	plain = !strcmp(pat, "core");
	snprintf(TMP, sizeof TMP, "/tmp/cgsim-core.XXXXXX");
	if (!mkdtemp(TMP)) {
		printf("FACT setup_error: mkdtemp\n");
		return 2;
	}
	sub(cg, BASE, "c");
	mkcg(cg);

	simple("A.limit0.raise_SIGSEGV", 0, 0);
	simple("A.limit0.abort", 0, 1);
	if (plain) {
		simple("B.unlimited.raise_SIGSEGV", RLIM_INFINITY, 0);
		simple("B.unlimited.abort", RLIM_INFINITY, 1);
		simple("B.unlimited.not_dumpable.raise_SIGSEGV", RLIM_INFINITY, 2);
		big("C0.leader_dumps", cg, 0, 0);
		big("C1.leader_dumps.SIGTERM", cg, 0, 1);
		big("C2.leader_dumps.cgroup_kill", cg, 0, 2);
		big("C3.thread_dumps.cgroup_kill", cg, 1, 2);
		zap("D.pidns_zap");
	} else {
		printf("FACT B,C: skipped (core_pattern is not \"core\"; it is global and not changed here)\n");
	}
	rmdir(TMP);
	printf("FACT tmpdir_removed: %s\n", access(TMP, F_OK) ? "yes" : "NO");
	cleanup();
	return 0;
}
