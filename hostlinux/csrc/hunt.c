/*
 * hunt.c: the real-kernel side of `simrun hunt` (hostlinux/hunt*.go builds
 * it with BuildC and runs it as the hunter H, born by clone3 into the run's
 * cgroup BASE/h). A Go process cannot stand in here: its runtime threads
 * make fork slow and its scheduling adds tens of microseconds of jitter,
 * while the windows hunted are a microsecond or two wide.
 *
 *   hunt RACE key=value...
 *
 * RACE is fork-vs-kill, fork-bomb, zap, zombie-leader, kill-skips-dying
 * or clone-into-killed-cgroup.
 * Every try prints one line, "try I CLASS key=value...", and the run ends
 * with "done TRIES". Errors print "error ..." and exit 2.
 *
 * Safety: H writes only under base= (a cgroup the Go side created for this
 * run) and v1= (a throw-away v1 cgroup the Go side created under the same
 * unique name). It signals only processes it started or that descend from
 * them, all of them inside base=. PR_SET_PDEATHSIG and a parent check take
 * H down when the Go process dies; the Go side then kills base= through its
 * cgroup.kill and removes the v1 directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args up to CLONE_ARGS_SIZE_VER2 (include/uapi/linux/sched.h). */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
	    stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* ---------- options ---------- */

static struct {
	const char *race, *base, *v1;
	long n, secs, crowd, jitter_us, seed, bound;
	int csets, order, vfork, child_pause, fork_cpu, kill_cpu, crowd_cpu;
	int injector, rt, racing;
} o = {
	.n = 100, .secs = 60, .crowd = 64, .jitter_us = -1, .seed = 1,
	.csets = 1, .order = 2, .vfork = 1, .fork_cpu = -1, .kill_cpu = -1,
	.crowd_cpu = -2, .bound = 16, .injector = 1, .rt = 1,
};

static void die(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	printf("error ");
	vprintf(fmt, ap);
	printf(" (errno %d %s)\n", e, strerror(e));
	va_end(ap);
	fflush(stdout);
	exit(2);
}

static long num(const char *k, const char *v)
{
	char *end;
	long x = strtol(v, &end, 10);
	if (*v == 0 || *end != 0)
		die("option %s=%s: not a number", k, v);
	return x;
}

static int onoff(const char *k, const char *v, const char *on, const char *off)
{
	if (!strcmp(v, on))
		return 1;
	if (!strcmp(v, off))
		return 0;
	die("option %s=%s: want %s or %s", k, v, on, off);
	return 0;
}

static int order_of(const char *v)
{
	const char *names[] = {"first", "middle", "last"};
	for (int i = 0; i < 3; i++)
		if (!strcmp(v, names[i]))
			return i;
	die("option order=%s: want first, middle or last", v);
	return 0;
}

static void parse(int argc, char **argv)
{
	if (argc < 2)
		die("usage: hunt RACE key=value...");
	o.race = argv[1];
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			die("argument %s: want key=value", argv[i]);
		*eq = 0;
		const char *k = argv[i], *v = eq + 1;
		if (!strcmp(k, "base"))
			o.base = v;
		else if (!strcmp(k, "v1"))
			o.v1 = v;
		else if (!strcmp(k, "n"))
			o.n = num(k, v);
		else if (!strcmp(k, "secs"))
			o.secs = num(k, v);
		else if (!strcmp(k, "crowd"))
			o.crowd = num(k, v);
		else if (!strcmp(k, "jitter"))
			o.jitter_us = num(k, v);
		else if (!strcmp(k, "seed"))
			o.seed = num(k, v);
		else if (!strcmp(k, "bound"))
			o.bound = num(k, v);
		else if (!strcmp(k, "csets"))
			o.csets = !strcmp(v, "alternate") ? 2 : onoff(k, v, "on", "off");
		else if (!strcmp(k, "order"))
			o.order = order_of(v);
		else if (!strcmp(k, "clone"))
			o.vfork = onoff(k, v, "vfork", "fork");
		else if (!strcmp(k, "child"))
			o.child_pause = onoff(k, v, "pause", "exit");
		else if (!strcmp(k, "mode"))
			o.racing = onoff(k, v, "race", "wait");
		else if (!strcmp(k, "rt"))
			o.rt = onoff(k, v, "on", "off");
		else if (!strcmp(k, "injector"))
			o.injector = onoff(k, v, "on", "off");
		else if (!strcmp(k, "forkcpu"))
			o.fork_cpu = num(k, v);
		else if (!strcmp(k, "killcpu"))
			o.kill_cpu = num(k, v);
		else if (!strcmp(k, "crowdcpu"))
			o.crowd_cpu = !strcmp(v, "killer") ? -2 : !strcmp(v, "forker") ? -3 : num(k, v);
		else
			die("unknown option %s", k);
	}
	if (!o.base)
		die("base= is required");
	/* By default the forker gets the first CPU this process may run on,
	 * the killer the second (the same one on a single CPU). */
	cpu_set_t set;
	int cpus[2] = {0, 0}, nc = 0;
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && nc < 2; c++)
			if (CPU_ISSET(c, &set))
				cpus[nc++] = c;
	if (nc == 1)
		cpus[1] = cpus[0];
	if (o.fork_cpu < 0)
		o.fork_cpu = cpus[0];
	if (o.kill_cpu < 0)
		o.kill_cpu = cpus[1];
	if (o.crowd_cpu == -2)
		o.crowd_cpu = o.kill_cpu;
	else if (o.crowd_cpu == -3)
		o.crowd_cpu = o.fork_cpu;
	if (o.jitter_us < 0)
		o.jitter_us = o.vfork ? 100 : 2000;
	if (o.child_pause && o.vfork)
		die("child=pause needs clone=fork: a vfork parent waits for its child");
}

/* ---------- small tools ---------- */

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + t.tv_nsec;
}

static void nap_us(long us)
{
	struct timespec t = {us / 1000000, (us % 1000000) * 1000};
	syscall(SYS_nanosleep, &t, NULL);
}

static void spin_us(long us)
{
	uint64_t end = now_ns() + (uint64_t)us * 1000;
	while (now_ns() < end)
		;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void pin(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	if (sched_setaffinity(0, sizeof s, &s) < 0)
		die("sched_setaffinity(%d)", cpu);
}

/* realtime makes the caller SCHED_FIFO (priority 1) when rt=on, so that
 * the other processes of this shared machine cannot take its CPU between
 * the steps of a try; reset_on_fork keeps its children SCHED_OTHER. */
static void realtime(int reset_on_fork)
{
	if (!o.rt)
		return;
	struct sched_param sp = {.sched_priority = 1};
	if (sched_setscheduler(0, SCHED_FIFO | (reset_on_fork ? SCHED_RESET_ON_FORK : 0), &sp) < 0)
		die("sched_setscheduler(SCHED_FIFO)");
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int populated(const char *cg)
{
	char p[4096], b[256];
	snprintf(p, sizeof p, "%s/cgroup.events", cg);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* removed: nothing in it */
	int n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	return strstr(b, "populated 1") != NULL;
}

/* wait_empty polls cgroup.events every 200 µs, as the selftests' cg_wait
 * loops do, and returns 1 once the cgroup is unpopulated. */
static int wait_empty(const char *cg, long ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	while (populated(cg)) {
		if (now_ns() > end)
			return 0;
		nap_us(200);
	}
	return 1;
}

static int count_procs(const char *cg)
{
	char p[4096], b[8192];
	snprintf(p, sizeof p, "%s/cgroup.procs", cg);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int n = read(fd, b, sizeof b - 1), c = 0;
	close(fd);
	for (int i = 0; i < n; i++)
		c += b[i] == '\n';
	return c;
}

static void reap_nohang(void)
{
	while (waitpid(-1, NULL, WNOHANG | __WALL) > 0)
		;
}

/* destroy kills a cgroup of this try through its cgroup.kill until it is
 * empty (an escaped fork bomb needs more than one), reaps, removes it. */
static void destroy(const char *cg)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/cgroup.kill", cg);
	for (int i = 0; i < 50 && populated(cg); i++) {
		write_file(p, "1");
		wait_empty(cg, 100);
	}
	reap_nohang();
	for (int i = 0; i < 500; i++) {
		if (rmdir(cg) == 0 || errno == ENOENT)
			return;
		reap_nohang();
		nap_us(1000);
	}
	die("rmdir %s", cg);
}

static int open_cg(const char *cg)
{
	int fd = open(cg, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", cg);
	return fd;
}

/* clone_into is clone3 with CLONE_INTO_CGROUP: the child is born in the
 * cgroup of cgfd (cgroup_css_set_fork takes cgroup_mutex for it), so no
 * process is ever moved in from outside. Returns 0 in the child. */
static pid_t clone_into(int cgfd, uint64_t flags)
{
	struct clone_args_v2 a;
	memset(&a, 0, sizeof a);
	a.flags = CLONE_INTO_CGROUP | flags;
	a.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
	a.cgroup = (uint64_t)cgfd;
	return syscall(SYS_clone3, &a, sizeof a);
}

static void mkcg(char *out, size_t sz, const char *name, long i)
{
	snprintf(out, sz, "%s/%s%ld", o.base, name, i);
	if (mkdir(out, 0755) < 0)
		die("mkdir %s", out);
}

/* ---------- shared page ---------- */

struct shared {
	int go, kill_started, kill_done, forker_ready, crowds_ready, forker_pid;
	long fork_started, fork_returned, fork_failed;
	uint64_t fork_at[64]; /* start times of the last 64 forks (last_us) */
	int survivors;
	/* zap */
	long inj_started, inj_returned, inj_enomem, fork_enomem;
	int init_reaped, injector_ready, init_pid;
	/* zombie-leader, kill-skips-dying, fork-bomb */
	int thread_alive, victim_ready, bomb_ready;
	long leader_delay_us;
	uint64_t victim_killed_at;
	long bomb_forks, bomb_eagain;
};
static struct shared *S;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_SEQ_CST)

static void reset_shared(void)
{
	memset(S, 0, sizeof *S);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* park is what a child forked after the kill began does: it waits until
 * the kill's write has returned, makes a system call (a pending SIGKILL is
 * acted on at its return, so a child the kill reached dies here), and
 * then counts itself as a survivor and sleeps. Raw system calls only: a
 * CLONE_VM child shares the parent's libc state. */
static void park(int *done_flag)
{
	while (!LOAD(*done_flag))
		nap_us(200);
	syscall(SYS_getppid);
	INC(S->survivors);
	for (;;)
		syscall(SYS_pause);
}

static char vstack[1 << 16] __attribute__((aligned(64)));
static char *vstack_top = vstack + sizeof vstack;

/* ---------- fork-vs-kill ---------- */

/* fork_child: a child of the forker P. A child that runs before the kill
 * began exits at once: it leaves P's css_set (cgroup_exit) before P's next
 * fork, so P stays the last task of its css_set's tasks list. A child
 * that runs once the kill has begun first lets a killed P die (with rt=on
 * P and its children are SCHED_FIFO on their own CPU: sched_yield runs P
 * if it is runnable, which it is only when the kill's SIGKILL aborted its
 * vfork wait; otherwise P sleeps in that wait and the yield returns at
 * once). If P is still alive the kill is still walking towards it and the
 * child exits, so as not to stand after P in the tasks list. If P is dead
 * or the write has returned, the child parks until the write has
 * returned: then it makes a system call (a SIGKILL the walk sent it would
 * be acted on at its return), counts itself a survivor, and sleeps. A
 * survivor was forked while the kill ran and never signalled by it. (An
 * escape can be missed this way, when the child runs before a killed P
 * has died, as without rt=on; one is never invented.)
 * child=pause (with clone=fork) parks every child, to measure what
 * children left after P in its css_set do to the window. */
static int fork_child(void *arg)
{
	(void)arg;
	if (!o.child_pause) {
		if (!LOAD(S->kill_started))
			syscall(SYS_exit, 0);
		syscall(SYS_sched_yield);
		if (!LOAD(S->kill_done) && syscall(SYS_getppid) == LOAD(S->forker_pid))
			syscall(SYS_exit, 0);
	}
	park(&S->kill_done);
	return 0;
}

/* forker is P: pinned to its own CPU, SCHED_FIFO with rt=on (children
 * inherit it), children reaped by the kernel (SIGCHLD ignored: exit_notify
 * releases them at once, so pids do not run out), forking in a tight loop
 * once H says go. clone=vfork is clone(CLONE_VM|CLONE_VFORK): copy_process
 * without dup_mmap, whose page table copy makes a plain fork cost hundreds
 * of microseconds on this VM, and one child at a time. fork_started is
 * counted before the system call and fork_returned after, so H can tell
 * whether a fork was in flight while the kill ran. */
static void forker(void)
{
	pin(o.fork_cpu);
	realtime(0);
	signal(SIGCHLD, SIG_IGN);
	STORE(S->forker_pid, getpid());
	STORE(S->forker_ready, 1);
	while (!LOAD(S->go))
		nap_us(20);
	for (;;) {
		long k = INC(S->fork_started);
		S->fork_at[k % 64] = now_ns();
		long pid;
		if (o.vfork) {
			pid = clone(fork_child, vstack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		} else {
			pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
			if (pid == 0)
				fork_child(NULL);
		}
		if (pid < 0)
			INC(S->fork_failed);
		INC(S->fork_returned);
	}
}

static int member(void *arg)
{
	(void)arg;
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* crowd_leader starts a crowd of count processes (itself included): not
 * threads, since the PROCS iteration of __cgroup_kill skips non-leaders
 * inside css_task_iter_advance, under css_set_lock, at no cost to the walk,
 * while each process costs it a css_task_iter_next and a send_sig. They
 * are CLONE_VM processes on small stacks of their own (no page table
 * copy), pinned to crowdcpu, and sleep in pause(2). */
static void crowd_leader(long count)
{
	pin(o.crowd_cpu);
	signal(SIGCHLD, SIG_IGN);
	long n = count - 1, sz = 16384;
	char *stacks = NULL;
	if (n > 0) {
		stacks = mmap(NULL, n * sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (stacks == MAP_FAILED)
			die("mmap crowd stacks");
	}
	for (long i = 0; i < n; i++)
		if (clone(member, stacks + (i + 1) * sz, CLONE_VM | SIGCHLD, NULL) < 0)
			die("crowd clone");
	INC(S->crowds_ready);
	for (;;)
		syscall(SYS_pause);
}

/* Spawners live in throw-away v1 cgroups (v1=/b, v1=/c): a process one of
 * them clones into the try's v2 cgroup T gets a css_set of its own, (T,
 * v1=/b) or (T, v1=/c), distinct from that of what H clones, (T, H's v1
 * cgroup). find_css_set creates a css_set at the first clone of its
 * combination and link_css_set appends it to T's cset_links, which
 * css_task_iter_next_css_set walks in that order: the order of creation.
 * With CLONE_PARENT the clone is H's child all the same. */
enum { ROLE_FORKER, ROLE_CROWD };
struct spawn_req {
	long i, count;
	int role;
};
static struct spawner {
	int req[2], rep[2];
	pid_t pid;
	char dir[4096];
} spawners[2];

static void spawner(struct spawner *sp)
{
	char p[8192], pid[32];
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	snprintf(p, sizeof p, "%s/cgroup.procs", sp->dir);
	snprintf(pid, sizeof pid, "%d", getpid());
	int r = write_file(p, pid);
	if (r < 0) {
		errno = -r;
		die("moving a spawner into %s", sp->dir);
	}
	for (;;) {
		struct spawn_req q;
		if (read(sp->req[0], &q, sizeof q) != sizeof q)
			_exit(0);
		snprintf(p, sizeof p, "%s/t%ld", o.base, q.i);
		int fd = open_cg(p);
		pid_t c = clone_into(fd, CLONE_PARENT);
		if (c == 0) {
			if (q.role == ROLE_FORKER)
				forker();
			crowd_leader(q.count);
		}
		close(fd);
		if (write(sp->rep[1], &c, sizeof c) != sizeof c)
			_exit(0);
	}
}

static void start_spawner(struct spawner *sp, const char *name)
{
	snprintf(sp->dir, sizeof sp->dir, "%s/%s", o.v1, name);
	if (mkdir(sp->dir, 0755) < 0 && errno != EEXIST)
		die("mkdir %s", sp->dir);
	if (pipe(sp->req) < 0 || pipe(sp->rep) < 0)
		die("pipe");
	pid_t s = fork();
	if (s < 0)
		die("fork of a spawner");
	if (s == 0)
		spawner(sp);
	sp->pid = s;
}

/* start clones a forker or a crowd leader into T: by H, or, to give it a
 * css_set of its own, by a spawner. */
static pid_t start(long i, int cgfd, int role, long count, struct spawner *via)
{
	pid_t p;
	int ready = LOAD(S->crowds_ready);
	if (via) {
		struct spawn_req q = {.i = i, .count = count, .role = role};
		if (write(via->req[1], &q, sizeof q) != sizeof q || read(via->rep[0], &p, sizeof p) != sizeof p)
			die("spawner");
	} else {
		p = clone_into(cgfd, 0);
		if (p == 0) {
			if (role == ROLE_FORKER)
				forker();
			crowd_leader(count);
		}
	}
	if (p < 0)
		die("clone into the try's cgroup");
	if (role == ROLE_FORKER)
		while (!LOAD(S->forker_ready))
			nap_us(50);
	else
		while (LOAD(S->crowds_ready) == ready)
			nap_us(50);
	return p;
}

/* wait_child waits up to ms for a child of H to die; 1 if it did. */
static int wait_child(pid_t p, long ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;
	for (;;) {
		pid_t r = waitpid(p, NULL, WNOHANG | __WALL);
		if (r == p || (r < 0 && errno == ECHILD))
			return 1;
		if (now_ns() > end)
			return 0;
		nap_us(100);
	}
}

/*
 * One try of fork-vs-kill. The kill_seq residual window (docs/model.md
 * 3.2; kernel-semantics.md 1.7) on 6.14+: __cgroup_kill increments
 * kill_seq under css_set_lock, then walks the cgroup with
 * css_task_iter_start/next (PROCS|THREADED), dropping css_set_lock before
 * each send_sig. A fork of the forker P escapes when
 *  (a) its cgroup_css_set_fork snapshot of kill_seq comes after the
 *      increment, so cgroup_post_fork sees no change;
 *  (b) its fatal_signal_pending check in copy_process (under tasklist_lock
 *      and P's siglock) passes before send_sig(P): the fork commits;
 *  (c) its cgroup_post_fork links the child (css_set_move_task:
 *      list_add_tail on the tasks list of P's css_set) after the iterator
 *      has left P's css_set. css_task_iter_next advances eagerly: when it
 *      yields P, the position already points past P, to the next leader
 *      of P's css_set or, if P is the last, into the next css_set.
 * So P must be the last leader of its css_set, the walk must spend longer
 * on tasks before P than a fork takes (the crowd, on css_sets walked
 * first) so that (a) holds for a fork in flight at P's turn, and when the
 * iterator yields P the fork must be between (b) and (c): the commit under
 * tasklist_lock, write_unlock_irq, sched_post_fork, a microsecond or two.
 *
 * Layouts. order= places P first, in the middle or last of the walk; the
 * crowd is split around it. csets=on gives P (and the crowd after it) a
 * css_set of its own, csets=off puts everything on one css_set, in the
 * same order on its tasks list. With csets=off and order=middle the child
 * is appended behind the second half of the crowd and the walk reaches it;
 * with csets=on it is appended to P's own css_set, which the walk has left.
 */
static void try_forkkill(long i)
{
	char t[4096], kpath[4200];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	long before = o.order == 2 ? o.crowd : o.order == 1 ? o.crowd / 2 : 0;
	long after = o.crowd - before;
	/* csets=alternate: each pair of tries does one of each, in an order
	 * drawn from the pair's number, so that both are measured under the
	 * same conditions and neither always follows the other. */
	uint64_t pair = ((uint64_t)(i / 2) + (uint64_t)o.seed) * 0x9E3779B97F4A7C15ull;
	int csets = o.csets == 2 ? (int)((i & 1) ^ (pair >> 63)) : o.csets;
	struct spawner *fsp = csets ? &spawners[0] : NULL, *csp = csets ? &spawners[1] : NULL;
	pid_t cl1 = 0, cl2 = 0, fk;
	if (before > 0)
		cl1 = start(i, cgfd, ROLE_CROWD, before, NULL);
	fk = start(i, cgfd, ROLE_FORKER, 0, fsp);
	if (after > 0)
		cl2 = start(i, cgfd, ROLE_CROWD, after, before > 0 ? csp : NULL);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", t);
	int kfd = open(kpath, O_WRONLY | O_CLOEXEC);
	if (kfd < 0)
		die("open %s", kpath);
	long target = 2 + rnd() % 8, delay = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	STORE(S->go, 1);
	uint64_t t0 = now_ns();
	while (LOAD(S->fork_started) < target && now_ns() - t0 < 1000000000u)
		;
	spin_us(delay);
	long s0 = LOAD(S->fork_started), r0 = LOAD(S->fork_returned);
	STORE(S->kill_started, 1);
	uint64_t k0 = now_ns();
	if (write(kfd, "1", 1) != 1)
		die("write %s", kpath);
	uint64_t k1 = now_ns();
	STORE(S->kill_done, 1);
	long s1 = LOAD(S->fork_started);
	close(kfd);
	int forker_died = wait_child(fk, 2000);
	if (cl1 > 0)
		wait_child(cl1, 2000);
	if (cl2 > 0)
		wait_child(cl2, 2000);
	int empty = forker_died && wait_empty(t, 200);
	int left = empty ? 0 : count_procs(t);
	const char *cls;
	if (!forker_died)
		cls = "forker-survived";
	else if (!empty)
		cls = "escaped";
	else if (s1 == 0)
		cls = "killed-before-forking";
	else if (s0 > r0 || s1 > s0)
		cls = "raced";
	else
		cls = "between-forks";
	/* last_us: when P's last fork began, from the end of the write (an
	 * escaped child comes from that fork: P never returns from it). */
	double last_us = s1 > 0 ? ((double)S->fork_at[s1 % 64] - (double)k1) / 1000.0 : 0;
	printf("try %ld %s csets=%s forks=%ld inflight=%d walk_us=%.1f last_us=%.1f delay_us=%ld left=%d survivors=%d failed=%ld\n",
	       i, cls, csets ? "on" : "off", s1, s0 > r0 || s1 > s0, (k1 - k0) / 1000.0, last_us, delay, left, LOAD(S->survivors),
	       LOAD(S->fork_failed));
	fflush(stdout);
	close(cgfd);
	destroy(t);
}

static void forkkill_setup(void)
{
	if (o.csets) {
		if (!o.v1)
			die("csets=on needs v1=");
		start_spawner(&spawners[0], "b");
		start_spawner(&spawners[1], "c");
	}
}

/* ---------- main ---------- */

/* ---------- zap ---------- */

/* zap_child: a child of a zap forker. Until H says linger it exits at
 * once; after, it stays until the init has been reaped: a child the zap
 * killed dies, one it missed either keeps zap_pid_ns_processes waiting
 * for pid_allocated to drop (the init is never reaped) or is still alive
 * once the init has been. */
static int zap_child(void *arg)
{
	(void)arg;
	if (!LOAD(S->kill_started))
		syscall(SYS_exit, 0);
	park(&S->init_reaped);
	return 0;
}

/* zap_forker forks vfork-style in a tight loop. The forker F is a child
 * of the namespace's init; the injector J lives outside the namespace and
 * forks into it after setns(CLONE_NEWPID), like zap.yaml's injector, so
 * that its children's parent is outside the namespace (the zap=v3.3
 * escape). A fork into the namespace after disable_pid_allocation
 * cleared PIDNS_ADDING fails with ENOMEM, in alloc_pid or at the
 * re-check copy_process makes under tasklist_lock. */
static void zap_forker(int injector)
{
	pin(o.fork_cpu);
	realtime(0);
	signal(SIGCHLD, SIG_IGN);
	long *started = injector ? &S->inj_started : &S->fork_started;
	long *returned = injector ? &S->inj_returned : &S->fork_returned;
	long *enomem = injector ? &S->inj_enomem : &S->fork_enomem;
	if (injector) {
		int pfd = syscall(SYS_pidfd_open, LOAD(S->init_pid), 0);
		if (pfd < 0 || setns(pfd, CLONE_NEWPID) < 0)
			die("injector: setns into the namespace");
		close(pfd);
		STORE(S->injector_ready, 1);
	} else {
		STORE(S->forker_ready, 1);
	}
	while (!LOAD(S->go))
		nap_us(20);
	for (;;) {
		INC(*started);
		long pid = clone(zap_child, vstack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		if (pid < 0 && errno == ENOMEM)
			INC(*enomem);
		INC(*returned);
		if (pid < 0 && injector && LOAD(S->kill_started))
			nap_us(100); /* the namespace is dead: no need to hammer it */
	}
}

/* zap_init is pid 1 of the try's namespace: SCHED_FIFO on the forkers'
 * CPU (so that it runs its exit, and zap_pid_ns_processes, as soon as a
 * forker blocks in a vfork wait), it starts the forker F and sleeps. */
static void zap_init(void)
{
	pin(o.fork_cpu);
	realtime(0);
	signal(SIGCHLD, SIG_IGN);
	pid_t f = fork();
	if (f == 0)
		zap_forker(0);
	if (f < 0)
		die("init: fork of the forker");
	for (;;)
		syscall(SYS_pause);
}

/*
 * One try of zap. H SIGKILLs the init of a pid namespace while F (inside)
 * and J (outside, setns'd in) fork in a tight loop. The init's exit runs
 * zap_pid_ns_processes: disable_pid_allocation clears PIDNS_ADDING, then,
 * under tasklist_lock for reading, every task of the namespace gets
 * SIGKILL; the init waits for its children (kernel_wait4) and until
 * pid_allocated drops to its own pid. copy_process re-checks PIDNS_ADDING
 * under tasklist_lock held for writing, so a fork either attaches its
 * child before the walk (killed) or fails with ENOMEM: the model's
 * zap=current has no window. H turns on lingering (children that stay
 * until the init is reaped, blocking their vfork parent) at a random
 * moment 0 to jitter µs after the signal, so the last fork of each forker
 * lands at a different point of the zap.
 */
static void try_zap(long i)
{
	char z[4096], in[4096];
	mkcg(z, sizeof z, "z", i);
	mkcg(in, sizeof in, "i", i);
	int zfd = open_cg(z), ifd = open_cg(in);
	reset_shared();
	pid_t init = clone_into(zfd, CLONE_NEWPID);
	if (init == 0)
		zap_init();
	if (init < 0)
		die("clone3(CLONE_NEWPID) of the init");
	STORE(S->init_pid, init);
	pid_t inj = 0;
	if (o.injector) {
		inj = clone_into(ifd, 0);
		if (inj == 0)
			zap_forker(1);
		if (inj < 0)
			die("clone of the injector");
	}
	while (!LOAD(S->forker_ready) || (o.injector && !LOAD(S->injector_ready)))
		nap_us(50);
	long target = 2 + rnd() % 8, delay = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	long linger = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	STORE(S->go, 1);
	uint64_t t0 = now_ns();
	while (LOAD(S->fork_started) < target && now_ns() - t0 < 1000000000u)
		;
	spin_us(delay);
	long f0 = LOAD(S->fork_started), fr0 = LOAD(S->fork_returned);
	long j0 = LOAD(S->inj_started), jr0 = LOAD(S->inj_returned);
	uint64_t k0 = now_ns();
	if (kill(init, SIGKILL) < 0)
		die("kill of the init");
	spin_us(linger);
	STORE(S->kill_started, 1);
	int reaped = wait_child(init, 2000);
	uint64_t k1 = now_ns();
	STORE(S->init_reaped, 1);
	long f1 = LOAD(S->fork_started), j1 = LOAD(S->inj_started);
	int empty = reaped && wait_empty(z, 200);
	nap_us(1000);
	int injected_left = o.injector ? count_procs(in) - 1 : 0;
	int survivors = LOAD(S->survivors);
	int inflight = f0 > fr0 || j0 > jr0 || f1 > f0 || j1 > j0;
	const char *cls;
	if (!reaped || !empty || injected_left > 0 || survivors > 0)
		cls = "escaped";
	else if (f1 == 0)
		cls = "killed-before-forking";
	else if (inflight)
		cls = "raced";
	else
		cls = "between-forks";
	printf("try %ld %s forks=%ld injected=%ld inflight=%d enomem=%ld zap_us=%.1f linger_us=%ld reaped=%d left=%d injected_left=%d survivors=%d\n",
	       i, cls, f1, j1, inflight, LOAD(S->fork_enomem) + LOAD(S->inj_enomem), (k1 - k0) / 1000.0, linger, reaped,
	       empty ? 0 : count_procs(z), injected_left, survivors);
	close(zfd);
	close(ifd);
	destroy(in);
	destroy(z);
	if (inj > 0)
		wait_child(inj, 2000);
}

/* ---------- zombie-leader ---------- */

static char zl_stack[1 << 16] __attribute__((aligned(64)));

static int zl_thread(void *arg)
{
	(void)arg;
	STORE(S->thread_alive, 1);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

/* zl_proc: a process with one more thread (raw clone with CLONE_THREAD,
 * no libc threads after a raw clone3) whose leader exits alone, with
 * SYS_exit, not exit_group: the leader becomes a zombie, PF_EXITING, and
 * stays listed (on dying_tasks, css_task_iter yields it while
 * signal->live > 0) while its thread runs. */
static void zl_proc(void)
{
	pin(o.fork_cpu);
	realtime(0);
	if (clone(zl_thread, zl_stack + sizeof zl_stack,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, NULL) < 0)
		die("clone of the thread");
	while (!LOAD(S->thread_alive))
		nap_us(20);
	STORE(S->victim_ready, 1);
	while (!LOAD(S->go))
		;
	spin_us(LOAD(S->leader_delay_us));
	syscall(SYS_exit, 0);
}

static char proc_state(pid_t p)
{
	char path[64], b[512];
	snprintf(path, sizeof path, "/proc/%d/stat", p);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	int n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return '?';
	b[n] = 0;
	char *r = strrchr(b, ')');
	return r && r[1] == ' ' ? r[2] : '?';
}

/*
 * One try of zombie-leader. __cgroup_kill's PROCS walk yields the zombie
 * leader, send_sig queues SIGKILL for it alone (PIDTYPE_PID), and
 * complete_signal finds that the leader does not want it (PF_EXITING)
 * and, the type being PIDTYPE_PID, does not turn it into a group kill: the
 * other thread lives on and the cgroup stays populated (docs/kernel-probes.md
 * Q2). With race=off H waits until the leader is a zombie; with race=on
 * it writes cgroup.kill 0 to jitter µs after telling the leader to exit,
 * so some kills land before the leader's exit (the whole process dies).
 */
static int zl_race;

static void try_zombie(long i)
{
	char t[4096], kpath[4200];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	pid_t q = clone_into(cgfd, 0);
	if (q == 0)
		zl_proc();
	if (q < 0)
		die("clone of the process");
	while (!LOAD(S->victim_ready))
		nap_us(50);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", t);
	int kfd = open(kpath, O_WRONLY | O_CLOEXEC);
	if (kfd < 0)
		die("open %s", kpath);
	/* delay > 0: the leader exits that long after go, when H writes;
	 * delay < 0: H writes that long after go, when the leader exits. */
	long delay = zl_race && o.jitter_us ? (long)(rnd() % o.jitter_us) - o.jitter_us / 2 : 0;
	STORE(S->leader_delay_us, delay > 0 ? delay : 0);
	STORE(S->go, 1);
	if (zl_race) {
		spin_us(delay < 0 ? -delay : 0);
	} else {
		uint64_t t0 = now_ns();
		while (proc_state(q) != 'Z' && now_ns() - t0 < 1000000000u)
			nap_us(50);
	}
	if (write(kfd, "1", 1) != 1)
		die("write %s", kpath);
	close(kfd);
	char before = zl_race ? '-' : proc_state(q);
	int empty = wait_empty(t, 200);
	printf("try %ld %s leader=%c delay_us=%ld\n", i, empty ? "killed" : "survived", before, delay);
	kill(q, SIGKILL); /* kill(2) is group delivery: it takes the thread down */
	close(cgfd);
	destroy(t);
	wait_child(q, 2000);
}

/* ---------- exec-vs-kill ---------- */

static char ex_stack[1 << 16] __attribute__((aligned(64)));
static const char *ex_self; /* this binary, as /proc/self/exe names it */
static int ex_pipe[2];      /* the exec'd image writes a byte to say it runs */

/* ex_thread is the thread T that execs: it waits for go, then execve()s
 * this binary as "execd". de_thread (fs/exec.c) SIGKILLs the other thread,
 * the leader (zap_other_threads), waits for it to become a zombie, and
 * takes over its pid; only then is T a group leader, which the PROCS walk
 * of __cgroup_kill yields. */
static int ex_thread(void *arg)
{
	(void)arg;
	STORE(S->thread_alive, 1);
	while (!LOAD(S->go))
		;
	char *argv[] = {(char *)ex_self, "execd", NULL};
	syscall(SYS_execve, "/proc/self/exe", argv, NULL);
	syscall(SYS_exit, 9);
	return 0;
}

/* ex_proc is the process: the leader starts T, then sleeps. */
static void ex_proc(void)
{
	pin(o.fork_cpu);
	if (clone(ex_thread, ex_stack + sizeof ex_stack,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, NULL) < 0)
		die("clone of the thread");
	while (!LOAD(S->thread_alive))
		nap_us(20);
	STORE(S->victim_ready, 1);
	for (;;)
		syscall(SYS_pause);
}

/*
 * One try of exec-vs-kill: H tells T to exec and writes cgroup.kill 0 to
 * jitter µs later. Classes: escaped (the cgroup is still populated 200 ms
 * after the write returned: the exec'd image lives on, with the process's
 * pid); exec-first (the new image had announced itself before the write:
 * T was the leader by then and the kill took it); contained.
 */
static void try_exec(long i)
{
	char t[4096], kpath[4200];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	if (pipe2(ex_pipe, 0) < 0)
		die("pipe");
	pid_t q = clone_into(cgfd, 0);
	if (q == 0) {
		dup2(ex_pipe[1], 3); /* the image writes to fd 3 */
		ex_proc();
	}
	if (q < 0)
		die("clone of the process");
	close(ex_pipe[1]);
	fcntl(ex_pipe[0], F_SETFL, O_NONBLOCK);
	while (!LOAD(S->victim_ready))
		nap_us(50);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", t);
	int kfd = open(kpath, O_WRONLY | O_CLOEXEC);
	if (kfd < 0)
		die("open %s", kpath);
	long delay = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	STORE(S->go, 1);
	spin_us(delay);
	char b;
	int first = read(ex_pipe[0], &b, 1) == 1;
	if (write(kfd, "1", 1) != 1)
		die("write %s", kpath);
	close(kfd);
	int empty = wait_empty(t, 200);
	printf("try %ld %s delay_us=%ld\n", i, !empty ? "escaped" : first ? "exec-first" : "contained", delay);
	close(ex_pipe[0]);
	close(cgfd);
	destroy(t);
	wait_child(q, 2000);
}

/* ---------- pgrp-kill ---------- */

/* pg_job is a shell job: the leader of its own process group
 * (setpgid(0, 0)) forks in a tight loop, and every child sleeps. A child
 * inherits the process group at copy_process; a group signal sent while
 * a fork is in flight reaches the child either through the pgrp list
 * (the child was attached under tasklist_lock before __kill_pgrp_info
 * walked it) or through the parent: a signal for the whole group arriving
 * during the fork makes copy_process fail with ERESTARTNOINTR (the
 * multiprocess set, recalc_sigpending under siglock) or EINTR (fatal
 * signal pending), so no child is left behind. */
static void pg_job(void)
{
	pin(o.fork_cpu);
	if (setpgid(0, 0) < 0)
		die("setpgid");
	STORE(S->victim_ready, 1);
	while (!LOAD(S->go))
		;
	for (;;) {
		INC(S->fork_started);
		pid_t c = fork();
		if (c == 0)
			for (;;)
				pause();
		if (c < 0)
			INC(S->fork_failed);
		INC(S->fork_returned);
	}
}

/*
 * One try of pgrp-kill: the job starts forking and H sends kill(-pgid,
 * SIGKILL) 0 to jitter µs later. Classes: escaped (the job's cgroup is
 * still populated 200 ms after kill returned: a member of the job never
 * got the signal); raced (a fork was in flight when the kill was sent);
 * between-forks; killed-before-forking.
 */
static void try_pgrp(long i)
{
	char t[4096];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	pid_t q = clone_into(cgfd, 0);
	if (q == 0)
		pg_job();
	if (q < 0)
		die("clone of the job");
	while (!LOAD(S->victim_ready))
		nap_us(50);
	long delay = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	STORE(S->go, 1);
	spin_us(delay);
	long s0 = LOAD(S->fork_started), r0 = LOAD(S->fork_returned);
	if (kill(-q, SIGKILL) < 0)
		die("kill(-%d)", (int)q);
	long s1 = LOAD(S->fork_started);
	int empty = wait_empty(t, 200);
	const char *cls = !empty ? "escaped" : s0 == 0 ? "killed-before-forking" : (s0 > r0 || s1 > s0) ? "raced" : "between-forks";
	printf("try %ld %s forks=%ld left=%d delay_us=%ld\n", i, cls, r0, empty ? 0 : count_procs(t), delay);
	close(cgfd);
	destroy(t); /* cgroup.kill until empty: survivors, if any, go too */
	wait_child(q, 2000);
}

/* ---------- fork-bomb ---------- */

/* bomb_member: every process of the bomb forks in a loop, and so does
 * every child. CLONE_VM processes (no page table copy), each child on a
 * stack its parent mapped for it; a fork over pids.max fails with EAGAIN
 * in pids_can_fork (cgroup_can_fork), before the fatal-signal check. */
static int bomb_member(void *arg)
{
	(void)arg;
	const long sz = 16384;
	char *stk = NULL;
	for (;;) {
		if (!stk) {
			stk = (char *)syscall(SYS_mmap, NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (stk == MAP_FAILED) {
				stk = NULL;
				continue;
			}
		}
		long r = clone(bomb_member, stk + sz, CLONE_VM | SIGCHLD, NULL);
		if (r > 0) {
			stk = NULL;
			INC(S->bomb_forks);
		} else {
			INC(S->bomb_eagain);
		}
	}
	return 0;
}

/* bomb_root moves itself into the throw-away v1 pids cgroup (pids.max is
 * bound; on this hybrid machine the pids controller is bound to v1, so
 * the bomb is held there while cgroup.kill is written to its v2 cgroup)
 * and starts the bomb on the forker CPU. */
static void bomb_root(void)
{
	char p[4200], pid[32];
	pin(o.fork_cpu);
	signal(SIGCHLD, SIG_IGN);
	snprintf(p, sizeof p, "%s/cgroup.procs", o.v1);
	snprintf(pid, sizeof pid, "%d", getpid());
	int r = write_file(p, pid);
	if (r < 0) {
		errno = -r;
		die("moving the bomb into %s", o.v1);
	}
	STORE(S->bomb_ready, 1);
	while (!LOAD(S->go))
		nap_us(20);
	bomb_member(NULL);
}

/*
 * One try of fork-bomb (scenarios/bundled/fork-bomb.yaml, the selftest
 * test_cgkill_forkbomb without its sleep): a bomb held at pids.max, then
 * cgroup.kill. Every member is a forker; a fork escapes by the residual
 * kill_seq window of fork-vs-kill, which needs the fork to have passed
 * pids_can_fork, so in a bomb at its bound only forks that got a pid freed
 * by a member the kill already took down can.
 */
static void try_bomb(long i)
{
	char t[4096], kpath[4200];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	pid_t root = clone_into(cgfd, 0);
	if (root == 0)
		bomb_root();
	if (root < 0)
		die("clone of the bomb");
	while (!LOAD(S->bomb_ready))
		nap_us(50);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", t);
	int kfd = open(kpath, O_WRONLY | O_CLOEXEC);
	if (kfd < 0)
		die("open %s", kpath);
	STORE(S->go, 1);
	uint64_t t0 = now_ns();
	/* Kill while the bomb grows (a target below the bound) or once it is
	 * held at it (a quarter of the tries). */
	long target = 1 + (long)(rnd() % (o.bound + o.bound / 3));
	if (target > o.bound - 1)
		target = o.bound - 1;
	while (LOAD(S->bomb_forks) < target && now_ns() - t0 < 1000000000u)
		;
	long delay = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	spin_us(delay);
	long f0 = LOAD(S->bomb_forks), e0 = LOAD(S->bomb_eagain);
	uint64_t k0 = now_ns();
	if (write(kfd, "1", 1) != 1)
		die("write %s", kpath);
	uint64_t k1 = now_ns();
	long f1 = LOAD(S->bomb_forks), e1 = LOAD(S->bomb_eagain);
	close(kfd);
	wait_child(root, 2000);
	int empty = wait_empty(t, 200);
	int left = empty ? 0 : count_procs(t);
	const char *cls = !empty ? "escaped" : f1 > f0 ? "raced" : f0 + 1 >= o.bound ? "held-at-bound" : "growing";
	printf("try %ld %s members=%ld forks_during=%ld eagain_during=%ld walk_us=%.1f left=%d\n", i, cls, f0 + 1,
	       f1 - f0, e1 - e0, (k1 - k0) / 1000.0, left);
	close(cgfd);
	destroy(t);
}

/* ---------- kill-skips-dying ---------- */

static void ksd_killer(pid_t victim, long delay)
{
	pin(o.fork_cpu);
	realtime(0);
	STORE(S->victim_ready, 1);
	while (!LOAD(S->go))
		;
	spin_us(delay);
	uint64_t t = now_ns();
	kill(victim, SIGKILL);
	S->victim_killed_at = t;
	_exit(0);
}

/*
 * One try of kill-skips-dying. A crowd, then the victim V, then another
 * process O in the cgroup; a helper on the other CPU SIGKILLs V with
 * kill(2) while H writes cgroup.kill, each after its own random delay, so
 * that the walk meets V before, while and after its own SIGKILL. A V with
 * SIGKILL pending is skipped (__fatal_signal_pending in __cgroup_kill):
 * it dies of its own. Whatever the order, everything dies (the model
 * finds no violation).
 */
static void try_ksd(long i)
{
	char t[4096], kpath[4200];
	mkcg(t, sizeof t, "t", i);
	int cgfd = open_cg(t);
	reset_shared();
	pid_t cl = 0;
	if (o.crowd > 0)
		cl = start(i, cgfd, ROLE_CROWD, o.crowd, NULL);
	pid_t v = clone_into(cgfd, 0), w;
	if (v == 0)
		for (;;)
			syscall(SYS_pause);
	w = clone_into(cgfd, 0);
	if (w == 0)
		for (;;)
			syscall(SYS_pause);
	if (v < 0 || w < 0)
		die("clone into the try's cgroup");
	long d1 = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0, d2 = o.jitter_us ? (long)(rnd() % o.jitter_us) : 0;
	pid_t k = fork();
	if (k == 0)
		ksd_killer(v, d2);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", t);
	int kfd = open(kpath, O_WRONLY | O_CLOEXEC);
	if (kfd < 0)
		die("open %s", kpath);
	while (!LOAD(S->victim_ready))
		nap_us(50);
	STORE(S->go, 1);
	spin_us(d1);
	uint64_t k0 = now_ns();
	if (write(kfd, "1", 1) != 1)
		die("write %s", kpath);
	uint64_t k1 = now_ns();
	close(kfd);
	wait_child(k, 2000);
	uint64_t kv = S->victim_killed_at;
	wait_child(v, 2000);
	wait_child(w, 2000);
	if (cl > 0)
		wait_child(cl, 2000);
	int empty = wait_empty(t, 200);
	const char *cls = !empty ? "escaped" : kv < k0 ? "kill2-first" : kv > k1 ? "cgroup-kill-first" : "overlapped";
	printf("try %ld %s walk_us=%.1f kill2_us=%.1f left=%d\n", i, cls, (k1 - k0) / 1000.0,
	       ((double)kv - (double)k0) / 1000.0, empty ? 0 : count_procs(t));
	close(cgfd);
	destroy(t);
}

/* ---------- clone-into-killed-cgroup ---------- */

/*
 * One try of clone-into-killed-cgroup (6.14 to the 2026 fix 8e3599202166):
 * cgroup A is killed once while empty; then H, in a cgroup never killed,
 * clones a child into A with CLONE_INTO_CGROUP. cgroup_css_set_fork takes
 * the kill_seq snapshot from the parent's cgroup before it resolves the
 * target, and cgroup_post_fork compares it with the target's: the child
 * is SIGKILLed at birth. No kill can run in between (the clone holds
 * cgroup_mutex from cgroup_can_fork to cgroup_post_fork), so it is
 * deterministic where the bug exists.
 */
static void try_into(long i)
{
	char a[4096], kpath[4200];
	mkcg(a, sizeof a, "a", i);
	snprintf(kpath, sizeof kpath, "%s/cgroup.kill", a);
	int r = write_file(kpath, "1");
	if (r < 0) {
		errno = -r;
		die("write %s", kpath);
	}
	int fd = open_cg(a);
	pid_t c = clone_into(fd, 0);
	if (c == 0)
		syscall(SYS_exit, 0);
	if (c < 0)
		die("clone3(CLONE_INTO_CGROUP)");
	int st = 0;
	if (waitpid(c, &st, __WALL) != c)
		die("waitpid");
	if (WIFSIGNALED(st))
		printf("try %ld signalled sig=%d\n", i, WTERMSIG(st));
	else
		printf("try %ld exited code=%d\n", i, WEXITSTATUS(st));
	close(fd);
	destroy(a);
}

static pid_t parent_at_start;

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "execd")) {
		/* exec-vs-kill's new image: say so on fd 3, then sleep. */
		if (write(3, "x", 1) < 0)
			return 1;
		for (;;)
			pause();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	parent_at_start = getppid();
	/* Orphans of the try (children of a killed forker, crowd members)
	 * come to H, which reaps them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	S = mmap(NULL, sizeof *S, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED)
		die("mmap");
	rng_state = 0x9E3779B97F4A7C15ull ^ (uint64_t)o.seed;
	void (*one)(long);
	if (!strcmp(o.race, "fork-vs-kill")) {
		forkkill_setup();
		one = try_forkkill;
	} else if (!strcmp(o.race, "zap")) {
		one = try_zap;
	} else if (!strcmp(o.race, "zombie-leader")) {
		zl_race = o.racing;
		one = try_zombie;
	} else if (!strcmp(o.race, "fork-bomb")) {
		char p[4200], b[32];
		if (!o.v1)
			die("fork-bomb needs v1= (a v1 pids cgroup)");
		snprintf(p, sizeof p, "%s/pids.max", o.v1);
		snprintf(b, sizeof b, "%ld", o.bound);
		int r = write_file(p, b);
		if (r < 0) {
			errno = -r;
			die("write %s", p);
		}
		one = try_bomb;
	} else if (!strcmp(o.race, "kill-skips-dying")) {
		one = try_ksd;
	} else if (!strcmp(o.race, "exec-vs-kill")) {
		ex_self = argv[0];
		one = try_exec;
	} else if (!strcmp(o.race, "pgrp-kill")) {
		one = try_pgrp;
	} else if (!strcmp(o.race, "clone-into-killed-cgroup")) {
		one = try_into;
	} else {
		die("unknown race %s", o.race);
		return 2;
	}
	pin(o.kill_cpu);
	realtime(1);
	uint64_t end = now_ns() + (uint64_t)o.secs * 1000000000u;
	long i;
	for (i = 0; i < o.n && now_ns() < end; i++) {
		if (getppid() != parent_at_start)
			die("the parent died");
		one(i);
		reap_nohang();
	}
	/* The spawners go, and H reaps every child it has left. */
	for (int k = 0; k < 2; k++)
		if (spawners[k].pid > 0)
			kill(spawners[k].pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	printf("done %ld\n", i);
	fflush(stdout);
	return 0;
}
