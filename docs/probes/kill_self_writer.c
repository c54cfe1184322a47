/*
 * kill_self_writer.c: question 4, a writer inside the cgroup it kills.
 *
 * A. Plain process K in cgroup S (with a sleeper M): K opens S/cgroup.kill,
 *    waits for "go", calls write(fd, "1", 1) and, as its very next syscall,
 *    writes the return value into a pipe, then _exit(42). The parent checks
 *    K's wait status and whether anything arrived in the pipe.
 * B. The same write submitted through io_uring (IORING_OP_WRITE) by a process
 *    K2 in cgroup S2. The ring is created by the parent before the fork, so
 *    its completion queue lives in memory the parent shares: the parent can
 *    read the write's return value (cqe.res) although K2 is killed.
 * C. A writer that survives its own kill: the init of a child pid namespace
 *    (SIGNAL_UNKILLABLE, and the writer is "inside" its own namespace, so the
 *    SIGKILL is not forced) writes "1" to the cgroup.kill of its own cgroup
 *    S3 (which also holds its child X) and reports the result.
 *
 * Reference: kernel-semantics.md sections 1.1, 1.8, 3.2.
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
#include <linux/io_uring.h>
#include <sched.h>
#include <sys/mman.h>

/* ---- minimal raw io_uring (no liburing) ---- */
struct ring {
	int fd;
	struct io_uring_params p;
	char *sq, *cq;
	struct io_uring_sqe *sqes;
};
#define RU(base, off) ((unsigned *)((base) + (off)))

static long ring_init(struct ring *r)
{
	size_t sqsz, cqsz;
	memset(r, 0, sizeof *r);
	r->fd = syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -errno;
	sqsz = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	cqsz = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	if ((r->p.features & IORING_FEAT_SINGLE_MMAP) && cqsz > sqsz)
		sqsz = cqsz;
	r->sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		return -errno;
	if (r->p.features & IORING_FEAT_SINGLE_MMAP)
		r->cq = r->sq;
	else if ((r->cq = mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			       IORING_OFF_CQ_RING)) == MAP_FAILED)
		return -errno;
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	return 0;
}

/* submit one write(fd, buf, len) and wait for its completion */
static long ring_write(struct ring *r, int fd, const char *buf, unsigned len)
{
	unsigned tail = *RU(r->sq, r->p.sq_off.tail);
	unsigned idx = tail & *RU(r->sq, r->p.sq_off.ring_mask);
	struct io_uring_sqe *e = &r->sqes[idx];
	long ret;
	memset(e, 0, sizeof *e);
	e->opcode = IORING_OP_WRITE;
	e->fd = fd;
	e->addr = (unsigned long)buf;
	e->len = len;
	e->off = 0;
	e->user_data = 42;
	RU(r->sq, r->p.sq_off.array)[idx] = idx;
	__atomic_store_n(RU(r->sq, r->p.sq_off.tail), tail + 1, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	return ret < 0 ? -errno : ret;
}

/* first completion, if any: returns 1 and fills res_out, ud */
static int ring_cqe(struct ring *r, int *res_out, unsigned long long *ud)
{
	unsigned head = *RU(r->cq, r->p.cq_off.head);
	unsigned tail = __atomic_load_n(RU(r->cq, r->p.cq_off.tail), __ATOMIC_ACQUIRE);
	struct io_uring_cqe *c;
	if (head == tail)
		return 0;
	c = (struct io_uring_cqe *)(r->cq + r->p.cq_off.cqes) + (head & *RU(r->cq, r->p.cq_off.ring_mask));
	*res_out = c->res;
	*ud = c->user_data;
	return 1;
}

/* non-blocking read of a long from a pipe: what the child managed to report */
static const char *pipe_report(int fd)
{
	static char b[96];
	long v;
	ssize_t n;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, &v, sizeof v);
	if (n == sizeof v)
		snprintf(b, sizeof b, "write() returned %s", res(v));
	else
		snprintf(b, sizeof b, "nothing (read: %s)", n < 0 ? en(errno) : "EOF");
	return b;
}

static void variant_a(void)
{
	char S[PATHSZ];
	int go[2], rp[2], st;
	pid_t k, m;

	sub(S, BASE, "a");
	mkcg(S);
	if (pipe(go) || pipe(rp))
		exit(2);
	fflush(stdout);
	k = fork();
	if (k == 0) {
		char x;
		long r;
		int fd = open(pj(S, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
		if (fd < 0 || read(go[0], &x, 1) != 1)
			_exit(1);
		r = write(fd, "1", 1);
		r = r < 0 ? -errno : r;
		if (write(rp[1], &r, sizeof r) < 0) /* the very next syscall */
			_exit(2);
		_exit(42);
	}
	track(k);
	m = sleeper();
	printf("FACT A.move_writer_and_sleeper_into_S: %s %s\n", res(move_pid(S, k)), res(move_pid(S, m)));
	close(rp[1]);
	if (write(go[1], "g", 1) != 1)
		exit(2);
	if (reap(k, 2000, &st))
		printf("FACT A.writer_wait_status: %s\n", wstat(st));
	else
		printf("FACT A.writer_wait_status: not reapable after 2 s\n");
	printf("FACT A.writer_pipe_report: %s\n", pipe_report(rp[0]));
	if (reap(m, 2000, &st))
		printf("FACT A.sleeper_wait_status: %s\n", wstat(st));
	wait_ev(S, "populated", 0, 1000);
	printf("FACT A.S.events: %s\n", flat(pj(S, "cgroup.events")));
	close(go[0]);
	close(go[1]);
	close(rp[0]);
}

static void variant_b(void)
{
	char S[PATHSZ];
	struct ring r;
	int go[2], rp[2], st, cres;
	unsigned long long ud;
	long e;
	pid_t k;

	sub(S, BASE, "b");
	mkcg(S);
	if ((e = ring_init(&r)) < 0) {
		printf("FACT B.io_uring_setup: %s (variant skipped)\n", res(e));
		return;
	}
	if (pipe(go) || pipe(rp))
		exit(2);
	fflush(stdout);
	k = fork();
	if (k == 0) {
		char x;
		long ret;
		int fd = open(pj(S, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
		if (fd < 0 || read(go[0], &x, 1) != 1)
			_exit(1);
		ret = ring_write(&r, fd, "1", 1);
		if (write(rp[1], &ret, sizeof ret) < 0)
			_exit(2);
		_exit(43);
	}
	track(k);
	printf("FACT B.move_submitter_into_S: %s\n", res(move_pid(S, k)));
	close(rp[1]);
	if (write(go[1], "g", 1) != 1)
		exit(2);
	if (reap(k, 2000, &st))
		printf("FACT B.submitter_wait_status: %s\n", wstat(st));
	else
		printf("FACT B.submitter_wait_status: not reapable after 2 s\n");
	printf("FACT B.submitter_pipe_report (io_uring_enter result): %s\n", pipe_report(rp[0]));
	msleep(100);
	if (ring_cqe(&r, &cres, &ud))
		printf("FACT B.cqe_of_the_cgroup.kill_write: res=%s user_data=%llu\n", res(cres), ud);
	else
		printf("FACT B.cqe_of_the_cgroup.kill_write: no completion posted\n");
	close(r.fd);
	close(go[0]);
	close(go[1]);
	close(rp[0]);
}

static void variant_c(void)
{
	char S[PATHSZ];
	int rp[2], st;
	long v[3];
	pid_t I;

	sub(S, BASE, "c");
	mkcg(S);
	if (pipe(rp))
		exit(2);
	fflush(stdout);
	I = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (I == 0) { /* init of the new pid namespace */
		pid_t x;
		int xs = 0;
		v[0] = wrs(pj(S, "cgroup.procs"), "0");
		fflush(stdout);
		x = fork();
		if (x == 0) {
			for (int i = 0; i < 60; i++)
				sleep(1);
			_exit(0);
		}
		msleep(100);
		v[1] = wrs(pj(S, "cgroup.kill"), "1");
		v[2] = reap(x, 1000, &xs) ? xs : -1;
		if (write(rp[1], v, sizeof v) != sizeof v)
			_exit(2);
		for (int i = 0; i < 60; i++)
			sleep(1);
		_exit(0);
	}
	if (I < 0) {
		printf("FACT C.clone_NEWPID: %s\n", res(-errno));
		return;
	}
	track(I);
	close(rp[1]);
	if (read(rp[0], v, sizeof v) == sizeof v) {
		printf("FACT C.init_moved_itself_into_S: %s\n", res(v[0]));
		printf("FACT C.init_writes_own_cgroup.kill: %s\n", res(v[1]));
		printf("FACT C.init's_child_X_in_S: %s\n", v[2] < 0 ? "still alive after 1 s" : wstat((int)v[2]));
	} else {
		printf("FACT C.init_report: none (init died before reporting)\n");
	}
	msleep(200);
	printf("FACT C.init_after_its_own_write: %s (state %c) S.procs=[%s]\n",
	       reap(I, 0, &st) ? wstat(st) : "alive", pstate(I), flat(pj(S, "cgroup.procs")));
	printf("FACT C.host_write: %s\n", res(wrs(pj(S, "cgroup.kill"), "1")));
	if (reap(I, 2000, &st))
		printf("FACT C.init_after_host_write: %s\n", wstat(st));
	close(rp[0]);
}

int main(void)
{
	setup("kill_self_writer");
	variant_a();
	variant_b();
	variant_c();
	cleanup();
	return 0;
}
