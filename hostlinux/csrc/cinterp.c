/*
 * cinterp.c: cgsim's scenario interpreter on the real kernel.
 *
 * One single-threaded C process per task of a scenario run executes the
 * simulator's programs (package sim's Instr) with real system calls. A
 * fork is a real clone3() and the child goes on interpreting at the
 * child's pc in the same process image, so that memory, registers and
 * signal dispositions are inherited the way a C program's are. A thread
 * (CLONE_THREAD) is a raw clone3() on a small stack of its own that
 * interprets its program with its own registers.
 *
 * The Go harness (hostlinux/scenario.go, hostlinux/cinterp.go) compiles
 * this file with a generated header of #defines in front (the layout of
 * the status page, the simulator's constants) and starts the scenario's
 * init as
 *
 *	cinterp PLAN
 *
 * with fd 3 the call log (O_APPEND), fd 4 a unix datagram socket to the
 * harness and fd 5 the status page (a shared file). The plan is a line
 * based text file (cinterp.go writes it): the programs, the setup tasks,
 * the run's scratch directory. Setup tasks obey commands read from the
 * FIFO DIR/ctl.SLOT until "go".
 *
 * Once the programs run, only raw system calls are made (sc6 below): no
 * libc call that touches errno, TLS or the heap, since threads created by
 * a program share the process's TLS (no CLONE_SETTLS) and heap.
 */
#define _GNU_SOURCE
#include <errno.h> /* the E* numbers only: errno itself is never read */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#ifndef PAGE_FIRST_SLOT
#error "compile with the header hostlinux/cinterp.go generates"
#endif

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* include/uapi/linux/sched.h */
#define K_CLONE_VM 0x00000100ULL
#define K_CLONE_SIGHAND 0x00000800ULL
#define K_CLONE_PIDFD 0x00001000ULL
#define K_CLONE_VFORK 0x00004000ULL
#define K_CLONE_PARENT 0x00008000ULL
#define K_CLONE_THREAD 0x00010000ULL
#define K_CLONE_NEWPID 0x20000000ULL
#define K_CLONE_INTO_CGROUP 0x200000000ULL

struct clone_args_k {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* ---- raw system calls: they return -errno and touch no TLS ---- */

#if defined(__x86_64__)
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long sc6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "cgsim's C interpreter supports x86-64 and arm64"
#endif

#define sc0(n) sc6((n), 0, 0, 0, 0, 0, 0)
#define sc1(n, a) sc6((n), (long)(a), 0, 0, 0, 0, 0)
#define sc2(n, a, b) sc6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sc3(n, a, b, c) sc6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sc4(n, a, b, c, d) sc6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sc5(n, a, b, c, d, e) sc6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

struct ctx;

/*
 * clone3_thread is clone3() of a thread: the child starts on the stack in
 * args and calls fn(arg), which never returns.
 */
#if defined(__x86_64__)
static long clone3_thread(struct clone_args_k *args, void (*fn)(struct ctx *), struct ctx *arg)
{
	long ret;
	register void *r12 __asm__("r12") = (void *)fn;
	register void *r13 __asm__("r13") = (void *)arg;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "ud2\n"
			 "1:"
			 : "=a"(ret)
			 : "a"((long)SYS_clone3), "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static long clone3_thread(struct clone_args_k *args, void (*fn)(struct ctx *), struct ctx *arg)
{
	register long x8 __asm__("x8") = SYS_clone3;
	register long x0 __asm__("x0") = (long)args;
	register long x1 __asm__("x1") = sizeof(*args);
	register void *x19 __asm__("x19") = (void *)fn;
	register void *x20 __asm__("x20") = (void *)arg;
	__asm__ volatile("svc #0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x29, xzr\n\t"
			 "mov x0, x20\n\t"
			 "blr x19\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x19), "r"(x20)
			 : "memory", "x30");
	return x0;
}
#endif

/* ---- the plan ---- */

enum op {
	OP_PAUSE, OP_EXIT_GROUP, OP_EXIT, OP_CLONE, OP_WAIT4, OP_KILL, OP_WRITE, OP_READ, OP_MKDIR,
	OP_RMDIR, OP_UNSHARE, OP_SETNS, OP_PRCTL, OP_SIGACTION, OP_SPIN, OP_WAITCOND, OP_JUMP,
	OP_JUMP_IF_ERR, OP_LOOP, OP_SET, OP_SETPGID, OP_SETSID, OP_KILL_PGRP, OP_GETPID, OP_GETPPID,
	OP_GETPGID, OP_GETSID, OP_WAITID, OP_PIDFD_OPEN, OP_PIDFD_SEND, OP_GET_SUBREAPER, OP_PIDFD_INFO,
	OP_SIGPROCMASK, OP_EXEC, NOPS
};

/* The names are sim.Op's String(): an op this file does not know is refused. */
static const char *op_names[NOPS] = {
	"pause", "exit_group", "exit", "clone", "wait4", "kill", "write", "read", "mkdir",
	"rmdir", "unshare", "setns", "prctl", "sigaction", "spin", "waitcond", "jump",
	"jump-if-err", "loop", "set", "setpgid", "setsid", "kill-pgrp", "getpid", "getppid",
	"getpgid", "getsid", "waitid", "pidfd_open", "pidfd_send_signal", "prctl-get-subreaper", "pidfd_info",
	"rt_sigprocmask", "execve",
};

struct instr {
	int op;
	int32_t a, b;
	int target; /* setup slot of the task a kill or await names, -1 */
	char *label, *path, *str;
	/* sim.Instr's C, Reg, Fd, Out, PidfdOut, Check, WantKind, Want (a
	 * setup slot for WANT_TASK) */
	int32_t c, reg, fd, out, pidfd_out, check, want_kind, want;
	int32_t set_tid[2], set_tid_reg[2]; /* sim.Instr's SetTid, SetTidReg */
	int has_exit_signal;		    /* sim.Instr's HasExitSignal */
	uint64_t exit_signal;		    /* and ExitSignal */
	uint64_t mask;			    /* sim.Instr's Mask: bit sig-1 */
};

struct prog {
	int n;
	struct instr *code;
};

struct task {
	int32_t prog, threads, thread_prog;
	char *name;
	long pid; /* in the harness's pid namespace (from "go") */
};

static struct prog *progs;
static int nprogs;
static struct task *tasks;
static int ntasks;
static int32_t *ns_ids, *ns_slots;
static int nns;
static int32_t fork_limit;
/* dumpable: the harness found a core_pattern that names a file, so the
 * processes may stay dumpable (RLIMIT_CORE 0 still writes nothing). */
static int dumpable;
static char *scratch;
static volatile int32_t *page;
static int ctl_fd = -1;
/* The interpreter's own path and the plan's, for execve (main's argv). */
static const char *self_exe, *plan_file;

#define NAME_LEN 240
#define READ_LEN 16384
#define LINE_LEN (3 * READ_LEN + 3 * NAME_LEN + 1024)
#define THREAD_REGION (1 << 20)

/* ctx is one task's interpreter state: a thread's own registers. */
struct ctx {
	int32_t prog, pc;
	int32_t r[3]; /* sim's UserRegs.R: R[0] loop counter, R[2] last fork's pid */
	int32_t n[NREGS]; /* sim's UserRegs.N: named registers (a pid, or a pidfd plus one) */
	int err;      /* errno of the last call, 0 for success */
	int slot;     /* this task's slot */
	int pslot;    /* the slot of this task's process */
	int forks;    /* forks and clones made, for the children's names */
	char name[NAME_LEN];
	char rbuf[READ_LEN + 1];
	char lbuf[LINE_LEN];
};

static struct ctx main_ctx;

/* ---- small helpers without libc state ---- */

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

struct buf {
	char *p;
	size_t n, cap;
};

static void badd(struct buf *b, const char *s)
{
	while (*s && b->n + 1 < b->cap)
		b->p[b->n++] = *s++;
	b->p[b->n] = 0;
}

static void baddint(struct buf *b, long v)
{
	char tmp[24];
	int i = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	do {
		tmp[i++] = '0' + u % 10;
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[i++] = '-';
	while (i > 0 && b->n + 1 < b->cap)
		b->p[b->n++] = tmp[--i];
	b->p[b->n] = 0;
}

static int safe_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
	       c == '.' || c == '_' || c == ':' || c == '+' || c == '=' || c == ',' || c == '@';
}

/* baddesc adds s escaped as the plan and the log escape strings: "-" for
 * the empty string, %XX for every byte outside a safe set. */
static void baddesc(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	if (n == 0) {
		badd(b, "-");
		return;
	}
	for (size_t i = 0; i < n && b->n + 4 < b->cap; i++) {
		unsigned char c = s[i];
		if (safe_byte(c)) {
			b->p[b->n++] = c;
		} else {
			b->p[b->n++] = '%';
			b->p[b->n++] = hex[c >> 4];
			b->p[b->n++] = hex[c & 15];
		}
	}
	b->p[b->n] = 0;
}

static long parse_long(const char *s, int *ok)
{
	long v = 0;
	int neg = 0, digits = 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	*ok = digits > 0 && *s == 0;
	return neg ? -v : v;
}

static void state(struct ctx *c, int s)
{
	__atomic_store_n(&page[PAGE_STATE + c->slot], s, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&page[PAGE_PROGRESS], 1, __ATOMIC_SEQ_CST);
}

static void progress(void)
{
	__atomic_add_fetch(&page[PAGE_PROGRESS], 1, __ATOMIC_SEQ_CST);
}

static void logwrite(struct buf *b)
{
	/* One write(2) on an O_APPEND file: lines of concurrent tasks do not mix. */
	sc3(SYS_write, 3, b->p, b->n);
}

__attribute__((noreturn)) static void exit_group(int code)
{
	for (;;)
		sc1(SYS_exit_group, code);
}

/* fail records an error of the interpreter itself and exits 3. */
__attribute__((noreturn)) static void fail(struct ctx *c, const char *what, const char *arg, long n)
{
	struct buf b = {c->lbuf, 0, sizeof c->lbuf};
	badd(&b, "error ");
	baddesc(&b, c->name, slen(c->name));
	badd(&b, " ");
	char msg[512];
	struct buf m = {msg, 0, sizeof msg};
	badd(&m, what);
	if (arg) {
		badd(&m, " ");
		badd(&m, arg);
	}
	if (n) {
		badd(&m, ": errno ");
		baddint(&m, n < 0 ? -n : n);
	}
	baddesc(&b, msg, m.n);
	badd(&b, "\n");
	logwrite(&b);
	exit_group(3);
}

/* record logs the result of a labelled call. */
static void record(struct ctx *c, const char *label, int err, const char *data, size_t n)
{
	struct buf b = {c->lbuf, 0, sizeof c->lbuf};
	badd(&b, "call ");
	baddesc(&b, c->name, slen(c->name));
	badd(&b, " ");
	baddesc(&b, label, slen(label));
	badd(&b, " ");
	baddint(&b, err);
	badd(&b, " ");
	baddesc(&b, data, n);
	badd(&b, "\n");
	logwrite(&b);
}

static long open_path(const char *path, int flags)
{
	return sc4(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0);
}

/* read_file reads a whole (small) file into buf; it returns the length or -errno. */
static long read_file(const char *path, char *buf, size_t cap)
{
	long fd = open_path(path, O_RDONLY);
	if (fd < 0)
		return fd;
	size_t n = 0;
	for (;;) {
		long r = sc3(SYS_read, fd, buf + n, cap - 1 - n);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			sc1(SYS_close, fd);
			return r;
		}
		if (r == 0 || n + r >= cap - 1) {
			n += r;
			break;
		}
		n += r;
	}
	buf[n] = 0;
	sc1(SYS_close, fd);
	return n;
}

/* write_file is open(2) and one write(2), as a C program writes a cgroup
 * file: the errno of whichever failed. */
static long write_file(const char *path, const char *value)
{
	long fd = open_path(path, O_WRONLY);
	if (fd < 0)
		return fd;
	long r = sc3(SYS_write, fd, value, slen(value));
	sc1(SYS_close, fd);
	return r < 0 ? r : 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	sc2(SYS_nanosleep, &ts, 0);
}

/* announce sends the harness the pidfd of a process of the run, and closes it. */
static void announce(int slot, const char *name, long pidfd)
{
	char msg[NAME_LEN + 32];
	struct buf b = {msg, 0, sizeof msg};
	badd(&b, "task ");
	baddint(&b, slot);
	badd(&b, " ");
	badd(&b, name);
	struct iovec iov = {msg, b.n};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr mh = {0};
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	int fd = (int)pidfd;
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	sc3(SYS_sendmsg, 4, &mh, 0);
	sc1(SYS_close, pidfd);
}

/* announce_self registers this process itself: its parent may be killed
 * between clone and announcing it. */
static void announce_self(struct ctx *c)
{
	long pidfd = sc2(SYS_pidfd_open, sc0(SYS_getpid), 0);
	if (pidfd >= 0)
		announce(c->slot, c->name, pidfd);
}

/* ---- /proc ---- */

/* nspids reads the NSpid line of a /proc status file into out (outermost
 * namespace first) and returns how many there are (0: none). */
static int nspids(struct ctx *c, const char *file, long *out, int max)
{
	long n = read_file(file, c->rbuf, sizeof c->rbuf);
	if (n < 0)
		return 0;
	char *p = strstr(c->rbuf, "\nNSpid:");
	if (!p)
		return 0;
	p += 7;
	int k = 0;
	while (*p && *p != '\n' && k < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		long v = 0;
		int d = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			d = 1;
		}
		if (!d)
			break;
		out[k++] = v;
	}
	return k;
}

static void proc_file(struct buf *b, long pid, const char *what)
{
	badd(b, "/proc/");
	baddint(b, pid);
	badd(b, "/");
	badd(b, what);
}

/* pid_in_own_ns translates a pid of the harness's pid namespace (the one
 * /proc is mounted for) into this process's: 0 if it is not visible here. */
static long pid_in_own_ns(struct ctx *c, long rootpid)
{
	long self[40], other[40];
	char path[64];
	struct buf b = {path, 0, sizeof path};
	int ns = nspids(c, "/proc/self/status", self, 40);
	proc_file(&b, rootpid, "status");
	int no = nspids(c, path, other, 40);
	int lvl = ns - 1;
	if (lvl < 0 || lvl >= no)
		return 0;
	return other[lvl];
}

/* pidfd_pid is the pid a pidfd pins, as /proc's namespace sees it. */
static long pidfd_pid(struct ctx *c, long fd)
{
	char path[64];
	struct buf b = {path, 0, sizeof path};
	badd(&b, "/proc/self/fdinfo/");
	baddint(&b, fd);
	if (read_file(path, c->rbuf, sizeof c->rbuf) < 0)
		return -1;
	char *p = strstr(c->rbuf, "Pid:");
	if (!p)
		return -1;
	p += 4;
	while (*p == ' ' || *p == '\t')
		p++;
	int neg = *p == '-';
	if (neg)
		p++;
	long v = 0;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (*p++ - '0');
	return neg ? -v : v;
}

/* kill_task is kill(2) of the process whose pid in the harness's namespace
 * is rootpid, by its pid in this process's namespace (ESRCH if it has
 * none). The pid is pinned with a pidfd and checked to be that process:
 * a process of a sibling namespace with the same number, or a recycled
 * pid, is not signalled. */
static long kill_task(struct ctx *c, long rootpid, int sig)
{
	long pid = pid_in_own_ns(c, rootpid);
	if (pid == 0)
		return -ESRCH;
	long fd = sc2(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return fd;
	long r;
	if (pidfd_pid(c, fd) != rootpid)
		r = -ESRCH;
	else
		r = sc4(SYS_pidfd_send_signal, fd, sig, 0, 0);
	sc1(SYS_close, fd);
	return r;
}

/* setns_pid joins the pid namespace of rootpid (harness namespace) for
 * this thread's future children. */
static long setns_pid(long rootpid)
{
	char path[64];
	struct buf b = {path, 0, sizeof path};
	proc_file(&b, rootpid, "ns/pid");
	long fd = open_path(path, O_RDONLY);
	if (fd < 0)
		return fd;
	long r = sc2(SYS_setns, fd, K_CLONE_NEWPID);
	sc1(SYS_close, fd);
	return r;
}

/* ---- signals ---- */

struct ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define K_SA_RESTORER 0x04000000UL

#if defined(__x86_64__)
void cgsim_restore_rt(void);
__asm__(".text\n"
	".align 16\n"
	".globl cgsim_restore_rt\n"
	"cgsim_restore_rt:\n\t"
	"mov $15, %rax\n\t" /* rt_sigreturn */
	"syscall\n");
#endif

/* A handler that returns: it interrupts pause(2) and wait4(2) with EINTR
 * (no SA_RESTART), as the model's HandlerReturn. */
static void on_signal(int sig) { (void)sig; }

/* A handler that calls exit_group(0) (the model's HandlerExit). */
static void on_signal_exit(int sig)
{
	(void)sig;
	exit_group(0);
}

static long set_disposition(int sig, int disp)
{
	struct ksigaction act = {0};
	switch (disp) {
	case SIG_DEFAULT_:
		act.handler = SIG_DFL;
		break;
	case SIG_IGNORE_:
		act.handler = SIG_IGN;
		break;
	case HANDLER_RETURN_:
		act.handler = on_signal;
		break;
	case HANDLER_EXIT_:
		act.handler = on_signal_exit;
		break;
	default:
		return -EINVAL;
	}
#if defined(__x86_64__)
	if (act.handler != SIG_DFL && act.handler != SIG_IGN) {
		act.flags |= K_SA_RESTORER;
		act.restorer = cgsim_restore_rt;
	}
#endif
	return sc4(SYS_rt_sigaction, sig, &act, 0, 8);
}

/* ---- the interpreter ---- */

static __attribute__((noreturn)) void run(struct ctx *c);

static int take_fork_slot(struct ctx *c)
{
	int n = __atomic_add_fetch(&page[PAGE_FORKS], 1, __ATOMIC_SEQ_CST);
	if (n > fork_limit) {
		__atomic_store_n(&page[PAGE_BOUND], 1, __ATOMIC_SEQ_CST);
		return -1;
	}
	int slot = __atomic_fetch_add(&page[PAGE_SLOTS], 1, __ATOMIC_SEQ_CST);
	if (slot >= PAGE_SLOTS_MAX) {
		__atomic_store_n(&page[PAGE_BOUND], 1, __ATOMIC_SEQ_CST);
		return -1;
	}
	__atomic_store_n(&page[PAGE_PARENTS + slot], c->slot + 1, __ATOMIC_SEQ_CST);
	return slot;
}

static void child_name(struct ctx *c, char *out, const char *sep)
{
	struct buf b = {out, 0, NAME_LEN};
	badd(&b, c->name);
	badd(&b, sep);
	baddint(&b, c->forks);
}

static void thread_main(struct ctx *t)
{
	__atomic_store_n(&page[PAGE_TIDS + t->slot], (int32_t)sc0(SYS_gettid), __ATOMIC_SEQ_CST);
	state(t, SLOT_RUNNING);
	run(t);
}

/* new_thread is clone3(CLONE_THREAD|CLONE_VM|CLONE_SIGHAND|...): the
 * thread starts at pc with a copy of the caller's registers. It returns
 * the thread's tid or -errno. */
static long new_thread(struct ctx *c, uint64_t flags, long cgfd, int32_t prog, int32_t pc, const int32_t *r)
{
	int slot = take_fork_slot(c);
	if (slot < 0)
		return -EAGAIN;
	__atomic_store_n(&page[PAGE_GROUPS + slot], c->pslot + 1, __ATOMIC_SEQ_CST);
	long mem = sc6(SYS_mmap, 0, THREAD_REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem < 0 && mem > -4096) {
		__atomic_store_n(&page[PAGE_STATE + slot], SLOT_VOID, __ATOMIC_SEQ_CST);
		return mem;
	}
	struct ctx *t = (struct ctx *)mem;
	c->forks++;
	t->prog = prog;
	t->pc = pc;
	t->r[0] = r[0];
	t->r[1] = 0;
	t->r[2] = r[2];
	for (int i = 0; i < NREGS; i++)
		t->n[i] = c->n[i];
	t->err = 0;
	t->slot = slot;
	t->pslot = c->pslot;
	t->forks = 0;
	child_name(c, t->name, ".t");
	uintptr_t lo = ((uintptr_t)mem + sizeof(struct ctx) + 63) & ~(uintptr_t)63;
	uintptr_t hi = ((uintptr_t)mem + THREAD_REGION) & ~(uintptr_t)15;
	struct clone_args_k ca = {0};
	ca.flags = flags | (cgfd >= 0 ? K_CLONE_INTO_CGROUP : 0);
	ca.cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0;
	ca.stack = lo;
	ca.stack_size = hi - lo;
	long tid = clone3_thread(&ca, thread_main, t);
	if (tid > 0)
		/* Also recorded by the thread itself; here too in case it is
		 * frozen or stopped before it runs. */
		__atomic_store_n(&page[PAGE_TIDS + slot], (int32_t)tid, __ATOMIC_SEQ_CST);
	if (tid < 0) {
		c->forks--;
		__atomic_store_n(&page[PAGE_STATE + slot], SLOT_VOID, __ATOMIC_SEQ_CST);
		sc2(SYS_munmap, mem, THREAD_REGION);
	}
	return tid;
}

/* fork_process is clone3() of a process that goes on interpreting at pc:
 * it returns the child's pid in the parent, 0 in the child (whose ctx c
 * then is the child's), or -errno. */
static long fork_process(struct ctx *c, uint64_t flags, long cgfd, int32_t pc, long *keep, const pid_t *set_tid,
			 int set_tid_size, const struct instr *in)
{
	int slot = take_fork_slot(c);
	if (slot < 0)
		return -EAGAIN;
	c->forks++;
	char name[NAME_LEN];
	child_name(c, name, ".");
	int pidfd = -1;
	struct clone_args_k ca = {0};
	ca.flags = flags | K_CLONE_PIDFD | (cgfd >= 0 ? K_CLONE_INTO_CGROUP : 0);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	/* clone3_args_valid: CLONE_PARENT takes the caller's exit signal. */
	ca.exit_signal = (flags & K_CLONE_PARENT) ? 0 : SIGCHLD;
	ca.cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0;
	if (set_tid_size > 0) {
		ca.set_tid = (uint64_t)(uintptr_t)set_tid;
		ca.set_tid_size = set_tid_size;
	}
	if (in && in->has_exit_signal)
		ca.exit_signal = in->exit_signal; /* clone3's own, the kernel validates it */
	long pid = sc2(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		/* The child: a new process whose only thread is this one. */
		c->slot = c->pslot = slot;
		c->pc = pc;
		c->r[1] = 0;
		c->forks = 0;
		memcpy(c->name, name, NAME_LEN);
		if (ctl_fd >= 0) {
			sc1(SYS_close, ctl_fd); /* the parent's setup FIFO */
			ctl_fd = -1;
		}
		announce_self(c);
		state(c, SLOT_RUNNING);
		return 0;
	}
	if (pid < 0) {
		c->forks--;
		__atomic_store_n(&page[PAGE_STATE + slot], SLOT_VOID, __ATOMIC_SEQ_CST);
		return pid;
	}
	if (keep)
		/* CLONE_PIDFD asked for by the program: its own copy. */
		*keep = sc3(SYS_fcntl, pidfd, F_DUPFD_CLOEXEC, 0);
	announce(slot, name, pidfd);
	return pid;
}

/* do_clone is the clone of a program. It returns 1 in a forked child
 * (whose pc is set), else 0 with c->err set. */
static int do_clone(struct ctx *c, struct instr *in)
{
	uint64_t flags = (uint32_t)in->a;
	long cgfd = -1;
	if (flags & SIM_CLONE_CLEAR_SIGHAND)
		flags = (flags & ~(uint64_t)SIM_CLONE_CLEAR_SIGHAND) | 0x100000000ULL; /* CLONE_CLEAR_SIGHAND */
	if (flags & SIM_CLONE_INTO_CGROUP) {
		flags &= ~(uint64_t)SIM_CLONE_INTO_CGROUP;
		cgfd = open_path(in->path, O_PATH | O_DIRECTORY);
		if (cgfd < 0) {
			c->err = -cgfd;
			return 0;
		}
	}
	/* A CLONE_VFORK caller sleeps in wait_for_vfork_done until its child
	 * execs or exits: blocked, as in pause(2), for the run's settling. */
	state(c, (flags & K_CLONE_VFORK) ? SLOT_BLOCKED : SLOT_RUNNING);
	int32_t regs[3] = {c->r[0], 0, c->r[2]};
	long r, keep = -1;
	if (flags & K_CLONE_THREAD)
		r = new_thread(c, flags, cgfd, c->prog, in->b, regs);
	else {
		/* clone3's set_tid, innermost namespace first */
		pid_t tids[2];
		int ntid = 0;
		for (int i = 0; i < 2; i++) {
			int32_t v = in->set_tid_reg[i] ? c->n[in->set_tid_reg[i] - 1] : in->set_tid[i];
			if (v == 0 && !in->set_tid_reg[i])
				break;
			tids[ntid++] = v;
		}
		r = fork_process(c, flags, cgfd, in->b, in->pidfd_out ? &keep : 0, tids, ntid, in);
	}
	if (r != 0 && (flags & K_CLONE_VFORK))
		state(c, SLOT_RUNNING);
	if (r == 0) {
		if (cgfd >= 0)
			sc1(SYS_close, cgfd);
		return 1;
	}
	if (cgfd >= 0)
		sc1(SYS_close, cgfd);
	if (r > 0) {
		c->r[2] = (int32_t)r; /* pid = fork(): kept for kill and wait of pid: child */
		if (in->out)
			c->n[in->out - 1] = (int32_t)r;
		if (in->pidfd_out)
			c->n[in->pidfd_out - 1] = keep >= 0 ? (int32_t)keep + 1 : 0;
		c->err = 0;
	} else {
		c->err = -r;
	}
	return 0;
}

static long do_pause(struct ctx *c)
{
	state(c, SLOT_BLOCKED);
	/* pause(2): ppoll with nothing to poll and no timeout sleeps until a
	 * signal; it returns EINTR once a handler ran, and restarts otherwise
	 * (both ERESTARTNOHAND). */
	long r = sc5(SYS_ppoll, 0, 0, 0, 0, 8);
	state(c, SLOT_RUNNING);
	return r;
}

static long do_wait4(struct ctx *c, long pid, int opts, int *status)
{
	if (opts & WNOHANG_)
		return sc4(SYS_wait4, pid, status, opts, 0);
	state(c, SLOT_BLOCKED);
	long r = sc4(SYS_wait4, pid, status, opts, 0);
	state(c, SLOT_RUNNING);
	return r;
}

/* do_waitid is waitid(2); it returns si_pid (0: WNOHANG, none ready) and
 * leaves si_code and si_status in *code and *st. */
static long do_waitid(struct ctx *c, long which, long id, int opts, int *code, int *st)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (!(opts & WNOHANG_))
		state(c, SLOT_BLOCKED);
	long r = sc5(SYS_waitid, which, id, &si, opts, 0);
	if (!(opts & WNOHANG_))
		state(c, SLOT_RUNNING);
	if (r < 0)
		return r;
	*code = si.si_code;
	*st = si.si_status;
	return si.si_pid;
}

/* regpid resolves a pid argument: PID_LAST_CHILD, PID_REG, else the literal. */
static long regpid(struct ctx *c, struct instr *in, long a)
{
	if (a == PID_LAST_CHILD)
		return c->r[2];
	if (a == PID_REG)
		return in->reg > 0 ? c->n[in->reg - 1] : 0;
	return a;
}

/* status_text is sim.StatusText: a wait4 status, or waitid's si_code and
 * si_status (waitid set). */
static void status_text(struct buf *b, int waitid, long pid, int status, int code, int st)
{
	if (pid == 0) {
		badd(b, "none");
		return;
	}
	if (!waitid && status == 0xffff) {
		badd(b, "continued");
		return;
	}
	if (!waitid && (status & 0xff) == 0x7f) {
		badd(b, "stopped ");
		badd(b, sim_signame[(status >> 8) & 0xff]);
		return;
	}
	if (!waitid) {
		int sig = status & 0x7f;
		if (sig == 0) {
			badd(b, "exited ");
			baddint(b, (status >> 8) & 0xff);
			return;
		}
		badd(b, "killed ");
		badd(b, sim_signame[sig]);
		if (status & 0x80)
			badd(b, " core");
		return;
	}
	switch (code) {
	case CLD_EXITED:
		badd(b, "CLD_EXITED ");
		baddint(b, st);
		return;
	case CLD_KILLED:
		badd(b, "CLD_KILLED ");
		break;
	case CLD_DUMPED:
		badd(b, "CLD_DUMPED ");
		break;
	case CLD_STOPPED:
		badd(b, "CLD_STOPPED ");
		break;
	case CLD_CONTINUED:
		badd(b, "CLD_CONTINUED ");
		break;
	default:
		badd(b, "si_code ");
		baddint(b, code);
		badd(b, " ");
	}
	if (st > 0 && st < 65)
		badd(b, sim_signame[st]);
	else
		baddint(b, st);
}

static int cgroup_events(struct ctx *c, const char *dir, int *populated, int *frozen)
{
	char path[4200];
	struct buf b = {path, 0, sizeof path};
	badd(&b, dir);
	badd(&b, "/cgroup.events");
	long n = read_file(path, c->rbuf, sizeof c->rbuf);
	if (n < 0)
		return (int)-n;
	*populated = strstr(c->rbuf, "populated 1\n") != 0;
	*frozen = strstr(c->rbuf, "frozen 1\n") != 0;
	return 0;
}

/* cond is the condition of an await (sim.World.cond). */
static int cond(struct ctx *c, struct instr *in)
{
	int populated = 0, frozen = 0, e;
	switch (in->a) {
	case COND_UNPOPULATED:
	case COND_POPULATED:
	case COND_FROZEN:
		e = cgroup_events(c, in->path, &populated, &frozen);
		if (e)
			/* A removed cgroup is not populated; nothing else holds of it. */
			return in->a == COND_UNPOPULATED && e == ENOENT;
		if (in->a == COND_UNPOPULATED)
			return !populated;
		if (in->a == COND_POPULATED)
			return populated;
		return frozen;
	case COND_PROCS: {
		char path[4200];
		struct buf b = {path, 0, sizeof path};
		badd(&b, in->path);
		badd(&b, "/cgroup.procs");
		long n = read_file(path, c->rbuf, sizeof c->rbuf);
		if (n < 0)
			return 0;
		int lines = 0;
		for (long i = 0; i < n; i++)
			lines += c->rbuf[i] == '\n';
		return lines >= in->b;
	}
	case COND_STOPPED: {
		/* TASK_STOPPED: T in /proc/PID/stat (a traced stop is t). */
		char path[64];
		struct buf b = {path, 0, sizeof path};
		proc_file(&b, tasks[in->target].pid, "stat");
		if (read_file(path, c->rbuf, sizeof c->rbuf) < 0)
			return 0;
		char *p = strrchr(c->rbuf, ')');
		return p && p[1] && p[2] == 'T';
	}
	case COND_TASK_GONE:
	case COND_ZOMBIE: {
		/* COND_ZOMBIE: the task itself has finished exiting (reaped, or
		 * its own state is Z or X). COND_TASK_GONE: what a poll of its
		 * pidfd says (pidfd_poll): reaped, or a zombie whose thread
		 * group has exited; num_threads (field 20 of /proc/PID/stat, the
		 * 18th after the state) is signal->nr_threads, 1 once the other
		 * threads are released. */
		char path[64];
		struct buf b = {path, 0, sizeof path};
		proc_file(&b, tasks[in->target].pid, "stat");
		long n = read_file(path, c->rbuf, sizeof c->rbuf);
		if (n < 0)
			return 1;
		char *p = strrchr(c->rbuf, ')');
		if (!p || p[1] == 0 || p[2] == 'X')
			return 1;
		if (p[2] != 'Z')
			return 0;
		if (in->a == COND_ZOMBIE)
			return 1;
		p += 2;
		for (int field = 3; field < 20 && p; field++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		return p && p[0] == '1' && (p[1] == ' ' || p[1] == 0 || p[1] == '\n');
	}
	}
	fail(c, "await: condition", 0, in->a);
}

/* pidfd_readable polls a pidfd without waiting (pidfd_poll); a bad one
 * counts as readable, as poll(2) returns POLLNVAL at once. */
static int pidfd_readable(long fd)
{
	struct pollfd p = {(int)fd, POLLIN, 0};
	struct timespec ts = {0, 0};
	long r = sc5(SYS_ppoll, &p, 1, &ts, 0, 8);
	return r != 0;
}

static void await(struct ctx *c, struct instr *in)
{
	if (in->fd > 0) {
		long fd = c->n[in->fd - 1] - 1;
		for (int i = 0; fd >= 0 && !pidfd_readable(fd); i++) {
			if (i == 0)
				state(c, SLOT_POLLING);
			sleep_ms(1);
		}
		state(c, SLOT_RUNNING);
		return;
	}
	for (int i = 0; !cond(c, in); i++) {
		if (i == 0)
			state(c, SLOT_POLLING);
		sleep_ms(1);
	}
	state(c, SLOT_RUNNING);
}

/* do_exec is execve(2) of program prog: the interpreter execs itself, and
 * the new image (exec_main) goes on with prog from its first instruction
 * in this task's slot, with fresh registers, as sim's Exec does. What the
 * kernel does in between is the kernel's: de_thread (the other threads
 * are killed, a thread that is not the leader takes over the leader's
 * pid), flush_signal_handlers (handlers become SIG_DFL, SIG_IGN and the
 * blocked mask stay), the vfork parent released. The new image learns
 * who it is from argv:
 *
 *	cinterp PLAN exec SLOT PSLOT PROG FORKS NAME PID0,PID1,...
 *
 * (PIDi: the setup tasks' pids in the harness's namespace, from "go").
 * fds 3, 4 and 5 (log, socket, status page) are not close-on-exec. It
 * returns -errno only if the exec failed. */
static long do_exec(struct ctx *c, int32_t prog)
{
	/* c->lbuf holds the strings, NUL separated; the ctx is this task's
	 * own (a thread's lives at the bottom of its stack region). */
	char *args[10];
	struct buf b = {c->lbuf, 0, sizeof c->lbuf};
	int32_t nums[4] = {c->slot, c->pslot, prog, c->forks};
	args[0] = (char *)self_exe;
	args[1] = (char *)plan_file;
	args[2] = "exec";
	for (int i = 0; i < 4; i++) {
		args[3 + i] = b.p + b.n;
		baddint(&b, nums[i]);
		b.n++; /* keep the NUL */
	}
	args[7] = b.p + b.n;
	baddesc(&b, c->name, slen(c->name));
	b.n++;
	args[8] = b.p + b.n;
	for (int i = 0; i < ntasks; i++) {
		if (i > 0)
			badd(&b, ",");
		baddint(&b, tasks[i].pid);
	}
	b.n++;
	if (b.n >= b.cap)
		fail(c, "execve: arguments too long", 0, 0);
	args[9] = NULL;
	char *envp[1] = {NULL};
	return sc3(SYS_execve, self_exe, args, envp);
}

/* issue makes the call of one instruction; it returns 1 when the task is
 * a forked child that starts at its own pc. */
static int issue(struct ctx *c, struct instr *in)
{
	long r = 0;
	long data = -1; /* length of read data, -1 for none */
	int status = 0, code = 0, st = 0;
	long wpid = -1; /* the pid a wait returned (si_pid for waitid) */
	switch (in->op) {
	case OP_PAUSE:
		r = do_pause(c);
		break;
	case OP_EXIT_GROUP:
		exit_group(in->a);
	case OP_EXIT:
		/* exit(2) of this thread only; a leader stays a zombie until its
		 * last thread exits. */
		state(c, SLOT_EXITED);
		for (;;)
			sc1(SYS_exit, in->a);
	case OP_CLONE:
		if (do_clone(c, in))
			return 1;
		goto done;
	case OP_WAIT4: {
		long pid = in->a;
		if (in->a == PID_LAST_CHILD || in->a == PID_REG) {
			if ((pid = regpid(c, in, in->a)) == 0) {
				r = -ECHILD;
				break;
			}
		}
		r = wpid = do_wait4(c, pid, in->b, &status);
		break;
	}
	case OP_WAITID: {
		if (in->fd > 0) {
			long fd = c->n[in->fd - 1] - 1;
			r = fd < 0 ? -EBADF : do_waitid(c, P_PIDFD, fd, in->b, &code, &st);
		} else if (in->a == -1) {
			r = do_waitid(c, P_ALL, 0, in->b, &code, &st);
		} else {
			long pid = regpid(c, in, in->a);
			r = pid == 0 ? -ECHILD : do_waitid(c, P_PID, pid, in->b, &code, &st);
		}
		wpid = r;
		break;
	}
	case OP_GETPID:
		r = sc0(SYS_getpid);
		break;
	case OP_GETPPID:
		r = sc0(SYS_getppid);
		break;
	case OP_GETPGID:
		r = sc1(SYS_getpgid, 0);
		break;
	case OP_GETSID:
		r = sc1(SYS_getsid, 0);
		break;
	case OP_PIDFD_INFO: {
		/* struct pidfd_info up to exit_code (64 bytes): mask, cgroupid,
		 * eleven ids, exit_code; PIDFD_GET_INFO is
		 * _IOWR(0xFF, 11, struct pidfd_info). */
		struct {
			uint64_t mask, cgroupid;
			uint32_t ids[11];
			int32_t exit_code;
		} info;
		memset(&info, 0, sizeof info);
		info.mask = 0x4 | (in->b ? 0x8 : 0); /* PIDFD_INFO_CGROUPID, PIDFD_INFO_EXIT */
		long fd = in->fd > 0 ? c->n[in->fd - 1] - 1 : -1;
		r = fd < 0 ? -EBADF : sc3(SYS_ioctl, fd, 0xC040FF0BUL, &info);
		if (r == 0 && (info.mask & 0x8)) {
			r = 1;
			status = info.exit_code;
		}
		break;
	}
	case OP_SIGPROCMASK: {
		/* rt_sigprocmask(how, &set, NULL, 8): the kernel's sigset bit
		 * sig-1 is the model's Sigset bit. */
		uint64_t set = in->mask;
		r = sc4(SYS_rt_sigprocmask, in->a, &set, 0, 8);
		break;
	}
	case OP_GET_SUBREAPER: {
		int v = -1;
		r = sc2(SYS_prctl, PR_GET_CHILD_SUBREAPER, &v);
		if (r == 0)
			r = v;
		break;
	}
	case OP_PIDFD_OPEN: {
		long pid = in->a == PID_TARGET ? pid_in_own_ns(c, tasks[in->target].pid) : regpid(c, in, in->a);
		r = pid == 0 ? -ESRCH : sc2(SYS_pidfd_open, pid, in->c);
		break;
	}
	case OP_PIDFD_SEND: {
		long fd = in->fd > 0 ? c->n[in->fd - 1] - 1 : -1;
		r = fd < 0 ? -EBADF : sc4(SYS_pidfd_send_signal, fd, in->b, 0, in->c);
		break;
	}
	case OP_KILL:
		if (in->target >= 0) {
			r = kill_task(c, tasks[in->target].pid, in->b);
		} else if (in->a == 0 || in->a == -1) {
			/* The caller's process group, or every process it may
			 * signal: all inside the run (its init leads a session of
			 * its own and a pid namespace). */
			r = sc2(SYS_kill, in->a, in->b);
		} else if (regpid(c, in, in->a) == 0) {
			r = -ESRCH;
		} else {
			r = sc2(SYS_kill, regpid(c, in, in->a), in->b);
		}
		break;
	case OP_SETSID:
		r = sc0(SYS_setsid);
		break;
	case OP_SETPGID: {
		long pid = regpid(c, in, in->a);
		long pgid = in->target >= 0 ? pid_in_own_ns(c, tasks[in->target].pid) : in->b == PID_LAST_CHILD ? c->r[2] : in->b;
		if (((in->a == PID_LAST_CHILD || in->a == PID_REG) && pid == 0))
			r = -ESRCH;
		else if ((in->target >= 0 || in->b == PID_LAST_CHILD) && pgid == 0)
			r = -EPERM;
		else
			r = sc2(SYS_setpgid, pid, pgid);
		break;
	}
	case OP_KILL_PGRP: {
		long pg = in->target >= 0 ? pid_in_own_ns(c, tasks[in->target].pid) : regpid(c, in, in->a);
		r = pg == 0 ? -ESRCH : sc2(SYS_kill, -pg, in->b);
		break;
	}
	case OP_WRITE:
		if (in->reg > 0) {
			char num[24];
			struct buf nb = {num, 0, sizeof num};
			baddint(&nb, c->n[in->reg - 1]);
			r = write_file(in->path, num);
		} else {
			r = write_file(in->path, in->str);
		}
		break;
	case OP_READ:
		r = read_file(in->path, c->rbuf, sizeof c->rbuf);
		if (r >= 0) {
			data = r;
			r = 0;
		}
		break;
	case OP_MKDIR:
		r = sc3(SYS_mkdirat, AT_FDCWD, in->path, 0755);
		break;
	case OP_RMDIR:
		r = sc3(SYS_unlinkat, AT_FDCWD, in->path, AT_REMOVEDIR);
		break;
	case OP_UNSHARE:
		r = sc1(SYS_unshare, K_CLONE_NEWPID);
		break;
	case OP_SETNS: {
		if (in->a == -1 && in->target >= 0) {
			/* setns(open("/proc/PID/ns/pid_for_children"), CLONE_NEWPID) */
			char path[64];
			struct buf b = {path, 0, sizeof path};
			proc_file(&b, tasks[in->target].pid, "ns/pid_for_children");
			long fd = open_path(path, O_RDONLY);
			if (fd < 0) {
				r = fd;
				break;
			}
			r = sc2(SYS_setns, fd, K_CLONE_NEWPID);
			sc1(SYS_close, fd);
			break;
		}
		int slot = -1;
		for (int i = 0; i < nns; i++)
			if (ns_ids[i] == in->a)
				slot = ns_slots[i];
		if (slot < 0 || tasks[slot].pid == 0)
			fail(c, "setns: no task of the pid namespace is known", 0, 0);
		r = setns_pid(tasks[slot].pid);
		break;
	}
	case OP_PRCTL:
		r = sc2(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1);
		break;
	case OP_SIGACTION:
		r = set_disposition(in->a, in->b);
		break;
	case OP_EXEC:
		r = do_exec(c, in->a);
		break;
	case OP_SPIN:
		break;
	case OP_WAITCOND:
		await(c, in);
		return 0;
	default:
		fail(c, "cannot run on real processes: op", op_names[in->op], 0);
	}
	c->err = r < 0 ? (int)-r : 0;
	if (r >= 0 && in->out) {
		/* as: the pid getpid returned, or the pidfd pidfd_open did (plus one) */
		c->n[in->out - 1] = in->op == OP_PIDFD_OPEN ? (int32_t)r + 1 : (int32_t)r;
	}
	if (r >= 0 && in->check && in->label) {
		struct buf cb = {c->rbuf, 0, sizeof c->rbuf};
		if (in->check & CHECK_STATUS) {
			if (in->op == OP_PIDFD_INFO && r == 0) {
				badd(&cb, "creds");
			} else if (in->op == OP_PIDFD_INFO) {
				badd(&cb, "exit ");
				status_text(&cb, 0, 1, status, 0, 0);
			} else {
				status_text(&cb, in->op == OP_WAITID, wpid, status, code, st);
			}
		}
		if (in->check & CHECK_RET) {
			long want = in->want;
			if (in->want_kind == WANT_REG)
				want = c->n[in->want];
			else if (in->want_kind == WANT_TASK)
				want = pid_in_own_ns(c, tasks[in->want].pid);
			if (cb.n)
				badd(&cb, "; ");
			if (r == want) {
				badd(&cb, "ret ok");
			} else {
				badd(&cb, "ret ");
				baddint(&cb, r);
				badd(&cb, ", want ");
				baddint(&cb, want);
			}
		}
		data = (long)cb.n;
	}
done:
	if (in->label)
		record(c, in->label, c->err, data >= 0 ? c->rbuf : "", data >= 0 ? (size_t)data : 0);
	return 0;
}

/* run interprets the program from the current pc, as sim.World.next and
 * issue do. */
static __attribute__((noreturn)) void run(struct ctx *c)
{
	for (int guard = 0;; guard++) {
		progress();
		struct prog *p = &progs[c->prog];
		if (c->pc < 0 || c->pc >= p->n)
			exit_group(0);
		struct instr *in = &p->code[c->pc];
		switch (in->op) {
		case OP_JUMP:
			c->pc = in->a;
			continue;
		case OP_JUMP_IF_ERR:
			if ((in->a == 0 && c->err != 0) || (in->a != 0 && c->err == in->a))
				c->pc = in->b;
			else
				c->pc++;
			continue;
		case OP_LOOP:
			if (c->r[0] < in->a) {
				c->r[0]++;
				c->pc = in->b;
			} else {
				c->pc++;
			}
			continue;
		case OP_SET:
			c->r[0] = in->a;
			c->pc++;
			continue;
		}
		if (in->op == OP_SPIN && guard > 64) {
			sc0(SYS_sched_yield);
			guard = 0;
		}
		if (issue(c, in))
			continue; /* a forked child, at its own pc */
		c->pc++;
	}
}

/* ---- setup ---- */

static void setup_task(struct ctx *c);

/* read_line reads one line from fd into buf (without the newline); 0 at EOF. */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	for (;;) {
		char ch;
		long r = sc3(SYS_read, fd, &ch, 1);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return 0;
		if (ch == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
	}
	buf[n] = 0;
	return 1;
}

static int split(char *s, char **f, int max)
{
	int n = 0;
	while (*s && n < max) {
		while (*s == ' ')
			*s++ = 0;
		if (!*s)
			break;
		f[n++] = s;
		while (*s && *s != ' ')
			s++;
	}
	while (*s == ' ')
		*s++ = 0;
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* unescape undoes baddesc in place. */
static char *unescape(char *s)
{
	if (s[0] == '-' && s[1] == 0) {
		s[0] = 0;
		return s;
	}
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			*o++ = (char)(hexval(p[1]) << 4 | hexval(p[2]));
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return s;
}

/* setup_fork forks setup task slot as the harness commands: into cgroup
 * cg ("" for the caller's), with CLONE_NEWPID, after a setns into the pid
 * namespace of setns_pid (0 for none). */
static void setup_fork(struct ctx *c, int slot, int newpid, long setnspid, const char *cg)
{
	if (setnspid) {
		long r = setns_pid(setnspid);
		if (r < 0)
			fail(c, "setns at setup", 0, r);
	}
	long cgfd = -1;
	if (*cg) {
		cgfd = open_path(cg, O_PATH | O_DIRECTORY);
		if (cgfd < 0)
			fail(c, "setup: open of the cgroup", cg, cgfd);
	}
	int pidfd = -1;
	struct clone_args_k ca = {0};
	ca.flags = K_CLONE_PIDFD | (newpid ? K_CLONE_NEWPID : 0) | (cgfd >= 0 ? K_CLONE_INTO_CGROUP : 0);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0;
	long pid = sc2(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		fail(c, "clone3 of setup task", tasks[slot].name, pid);
	if (cgfd >= 0)
		sc1(SYS_close, cgfd);
	if (pid == 0) {
		sc1(SYS_close, ctl_fd);
		ctl_fd = -1;
		c->slot = c->pslot = slot;
		c->prog = tasks[slot].prog;
		c->pc = 0;
		c->r[0] = c->r[1] = c->r[2] = 0;
		for (int i = 0; i < NREGS; i++)
			c->n[i] = 0;
		c->err = 0;
		c->forks = 0;
		struct buf b = {c->name, 0, NAME_LEN};
		badd(&b, tasks[slot].name);
		setup_task(c); /* never returns */
	}
	announce(slot, tasks[slot].name, pidfd);
}

/* setup_task is a setup task from its start: it announces itself, makes
 * its extra threads (they pause: they settle before it is ready, as the
 * builder settles them), obeys the harness until "go", then runs. */
static void setup_task(struct ctx *c)
{
	announce_self(c);
	struct task *t = &tasks[c->slot];
	for (int i = 0; i < t->threads; i++) {
		int32_t regs[3] = {0, 0, 0};
		long r = new_thread(c, K_CLONE_THREAD | K_CLONE_SIGHAND | K_CLONE_VM, -1, t->thread_prog, 0, regs);
		if (r < 0)
			fail(c, "setup: clone3 of a thread", 0, r);
	}
	/* Wait until every thread sleeps. */
	for (int tries = 0;; tries++) {
		int all = 1;
		int n = __atomic_load_n(&page[PAGE_SLOTS], __ATOMIC_SEQ_CST);
		for (int s = 0; s < n && s < PAGE_SLOTS_MAX; s++)
			if (__atomic_load_n(&page[PAGE_GROUPS + s], __ATOMIC_SEQ_CST) == c->slot + 1) {
				int st = __atomic_load_n(&page[PAGE_STATE + s], __ATOMIC_SEQ_CST);
				if (st != SLOT_BLOCKED && st != SLOT_POLLING && st != SLOT_EXITED)
					all = 0;
			}
		if (all)
			break;
		if (tries > 10000)
			fail(c, "setup: the threads did not go to sleep", 0, 0);
		sleep_ms(1);
	}
	char path[4200];
	struct buf b = {path, 0, sizeof path};
	badd(&b, scratch);
	badd(&b, "/ctl.");
	baddint(&b, c->slot);
	state(c, SLOT_SETUP);
	long fd = open_path(path, O_RDONLY);
	if (fd < 0)
		fail(c, "control FIFO", path, fd);
	ctl_fd = (int)fd;
	/* Static: setup runs in the process's only interpreting thread, and a
	 * forked setup child never returns to its parent's frame. */
	static char line[65536];
	static char *f[PAGE_SLOTS_MAX + 2];
	for (;;) {
		if (!read_line(ctl_fd, line, sizeof line))
			fail(c, "control FIFO closed before go", 0, 0);
		int n = split(line, f, PAGE_SLOTS_MAX + 2);
		if (n == 5 && strcmp(f[0], "fork") == 0) {
			int ok1, ok2, ok3;
			int slot = (int)parse_long(f[1], &ok1);
			int newpid = (int)parse_long(f[2], &ok2);
			long setnspid = parse_long(f[3], &ok3);
			if (!ok1 || !ok2 || !ok3 || slot <= 0 || slot >= ntasks)
				fail(c, "bad fork command", 0, 0);
			setup_fork(c, slot, newpid, setnspid, unescape(f[4]));
			continue;
		}
		if (n == ntasks + 1 && strcmp(f[0], "go") == 0) {
			for (int i = 0; i < ntasks; i++) {
				int ok;
				tasks[i].pid = parse_long(f[i + 1], &ok);
				if (!ok)
					fail(c, "bad go command", 0, 0);
			}
			break;
		}
		fail(c, "unknown command", f[0], 0);
	}
	sc1(SYS_close, ctl_fd);
	ctl_fd = -1;
	state(c, SLOT_RUNNING);
	run(c);
}

/* ---- the plan file (read once by the init, before anything runs) ---- */

__attribute__((noreturn)) static void bad_plan(const char *why, const char *what, int line)
{
	fprintf(stderr, "cgsim cinterp: plan line %d: %s%s%s\n", line, why, what ? " " : "", what ? what : "");
	exit(2);
}

static void read_plan(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		perror(file);
		exit(2);
	}
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, cur = -1, ninstr = 0, t = 0;
	char *fl[24];
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\n")] = 0;
		char *copy = strdup(line);
		int n = split(copy, fl, 24);
		int ok = 1, o;
		if (n == 0)
			continue;
		if (strcmp(fl[0], "cgsim-plan") == 0) {
			if (n != 2 || strcmp(fl[1], "1") != 0)
				bad_plan("want version 1", 0, lineno);
		} else if (strcmp(fl[0], "dir") == 0 && n == 2) {
			scratch = unescape(fl[1]);
		} else if (strcmp(fl[0], "dumpable") == 0 && n == 2) {
			dumpable = (int)parse_long(fl[1], &ok);
		} else if (strcmp(fl[0], "forklimit") == 0 && n == 2) {
			fork_limit = (int32_t)parse_long(fl[1], &ok);
		} else if (strcmp(fl[0], "sizes") == 0 && n == 4) {
			nprogs = (int)parse_long(fl[1], &o);
			ok &= o;
			ntasks = (int)parse_long(fl[2], &o);
			ok &= o;
			nns = (int)parse_long(fl[3], &o);
			ok &= o;
			if (!ok || nprogs <= 0 || ntasks <= 0 || ntasks > PAGE_SLOTS_MAX || nns < 0)
				bad_plan("bad sizes", 0, lineno);
			progs = calloc(nprogs, sizeof *progs);
			tasks = calloc(ntasks, sizeof *tasks);
			ns_ids = calloc(nns + 1, sizeof *ns_ids);
			ns_slots = calloc(nns + 1, sizeof *ns_slots);
		} else if (strcmp(fl[0], "task") == 0 && n == 6 && tasks) {
			int slot = (int)parse_long(fl[1], &o);
			ok &= o && slot >= 0 && slot < ntasks;
			if (!ok)
				bad_plan("bad task", 0, lineno);
			tasks[slot].prog = (int32_t)parse_long(fl[2], &o);
			ok &= o;
			tasks[slot].threads = (int32_t)parse_long(fl[3], &o);
			ok &= o;
			tasks[slot].thread_prog = (int32_t)parse_long(fl[4], &o);
			ok &= o;
			tasks[slot].name = unescape(fl[5]);
		} else if (strcmp(fl[0], "nstask") == 0 && n == 3 && t < nns) {
			ns_ids[t] = (int32_t)parse_long(fl[1], &o);
			ok &= o;
			ns_slots[t] = (int32_t)parse_long(fl[2], &o);
			ok &= o && ns_slots[t] >= 0 && ns_slots[t] < ntasks;
			t++;
		} else if (strcmp(fl[0], "prog") == 0 && n == 4 && progs) {
			cur = (int)parse_long(fl[1], &o);
			ok &= o && cur >= 0 && cur < nprogs;
			int len = (int)parse_long(fl[2], &o);
			ok &= o && len >= 0;
			if (!ok)
				bad_plan("bad prog", 0, lineno);
			progs[cur].n = len;
			progs[cur].code = calloc(len + 1, sizeof(struct instr));
			for (int i = 0; i < len; i++)
				progs[cur].code[i].op = -1;
			ninstr = 0;
		} else if (strcmp(fl[0], "op") == 0 && n == 22 && cur >= 0) {
			if (ninstr >= progs[cur].n)
				bad_plan("too many instructions", 0, lineno);
			struct instr *in = &progs[cur].code[ninstr++];
			in->op = -1;
			for (int i = 0; i < NOPS; i++)
				if (strcmp(fl[1], op_names[i]) == 0)
					in->op = i;
			if (in->op < 0) {
				fprintf(stderr, "cannot run on real processes: op %s\n", fl[1]);
				exit(2);
			}
			in->a = (int32_t)parse_long(fl[2], &o);
			ok &= o;
			in->b = (int32_t)parse_long(fl[3], &o);
			ok &= o;
			in->target = (int)parse_long(fl[4], &o);
			ok &= o && in->target >= -1 && in->target < ntasks;
			in->label = strcmp(fl[5], "-") == 0 ? NULL : unescape(fl[5]);
			in->path = unescape(fl[6]);
			in->str = unescape(fl[7]);
			int32_t *ext[] = {&in->c, &in->reg, &in->fd, &in->out, &in->pidfd_out, &in->check, &in->want_kind, &in->want,
					  &in->set_tid[0], &in->set_tid[1], &in->set_tid_reg[0], &in->set_tid_reg[1]};
			for (int i = 0; i < 12; i++) {
				*ext[i] = (int32_t)parse_long(fl[8 + i], &o);
				ok &= o;
			}
			ok &= in->reg >= 0 && in->reg <= NREGS && in->fd >= 0 && in->fd <= NREGS && in->out >= 0 &&
			      in->out <= NREGS && in->pidfd_out >= 0 && in->pidfd_out <= NREGS;
			ok &= in->want_kind != WANT_TASK || (in->want >= 0 && in->want < ntasks);
			ok &= in->want_kind != WANT_REG || (in->want >= 0 && in->want < NREGS);
			{
				char *end;
				in->mask = strtoull(fl[21], &end, 10);
				ok &= *end == 0;
			}
			if (strcmp(fl[20], "-") != 0) {
				char *end;
				in->has_exit_signal = 1;
				in->exit_signal = strtoull(fl[20], &end, 16);
				ok &= *end == 0;
			}
			ok &= in->set_tid_reg[0] >= 0 && in->set_tid_reg[0] <= NREGS && in->set_tid_reg[1] >= 0 && in->set_tid_reg[1] <= NREGS;
		} else if (strcmp(fl[0], "end") == 0) {
			break;
		} else {
			bad_plan("unknown line", fl[0], lineno);
		}
		if (!ok)
			bad_plan("bad number", 0, lineno);
	}
	fclose(f);
	if (!scratch || !progs || !tasks)
		bad_plan("incomplete plan", 0, lineno);
	for (int i = 0; i < nprogs; i++) {
		if (!progs[i].code)
			bad_plan("a program is missing", 0, lineno);
		for (int j = 0; j < progs[i].n; j++) {
			struct instr *in = &progs[i].code[j];
			if (in->op < 0)
				bad_plan("a program has fewer instructions than announced", 0, lineno);
			if (in->op == OP_KILL && in->target < 0 && in->a != PID_LAST_CHILD && in->a != PID_REG && in->a != 0 && in->a != -1 && in->a != 1)
				bad_plan("kill of neither a setup task nor pid: child", 0, lineno);
			if (in->op == OP_WAITCOND && (in->a == COND_TASK_GONE || in->a == COND_ZOMBIE || in->a == COND_STOPPED) && in->target < 0 && in->fd == 0)
				bad_plan("await exited of no setup task", 0, lineno);
		}
	}
	for (int i = 0; i < ntasks; i++)
		if (!tasks[i].name || tasks[i].prog < 0 || tasks[i].prog >= nprogs || (tasks[i].threads && (tasks[i].thread_prog < 0 || tasks[i].thread_prog >= nprogs)))
			bad_plan("bad task", 0, 0);
}

/* start_image reads the plan, limits core dumps and maps the status page:
 * what every image of the interpreter does first, the init's and one a
 * task exec'd. No core files: a core-dumping signal must not write
 * anything outside the run. RLIMIT_CORE 0 stops a core file;
 * PR_SET_DUMPABLE 0 (which skips the dump and its zap_threads altogether)
 * also stops a piped or socket core_pattern, and is left out only when
 * the harness found a core_pattern that names a file ("dumpable 1" in the
 * plan). */
static void start_image(void)
{
	read_plan(plan_file);
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl);
	if (!dumpable)
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	long m = sc6(SYS_mmap, 0, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, 5, 0);
	if (m < 0 && m > -4096) {
		fprintf(stderr, "cgsim cinterp: mmap of the status page: errno %ld\n", -m);
		exit(3);
	}
	page = (volatile int32_t *)m;
}

/* exec_main is the new image of a task that called execve (do_exec): it
 * reads the plan, maps the status page, and runs the new program in the
 * caller's slot. Every other thread of its process is gone (de_thread):
 * their slots are marked exited, and this task's tid is its pid now when
 * it took over the leader's. */
static void exec_main(char **argv)
{
	start_image(); /* exec made it dumpable again (begin_new_exec) */
	struct ctx *c = &main_ctx;
	int ok[4];
	c->slot = (int)parse_long(argv[3], &ok[0]);
	c->pslot = (int)parse_long(argv[4], &ok[1]);
	c->prog = (int32_t)parse_long(argv[5], &ok[2]);
	c->forks = (int)parse_long(argv[6], &ok[3]);
	if (!ok[0] || !ok[1] || !ok[2] || !ok[3] || c->slot < 0 || c->slot >= PAGE_SLOTS_MAX ||
	    c->pslot < 0 || c->pslot >= PAGE_SLOTS_MAX || c->prog < 0 || c->prog >= nprogs) {
		fprintf(stderr, "cgsim cinterp: exec: bad arguments\n");
		exit(3);
	}
	struct buf b = {c->name, 0, NAME_LEN};
	badd(&b, unescape(argv[7]));
	char *p = argv[8];
	for (int i = 0; i < ntasks; i++) {
		char *e = p;
		while (*e && *e != ',')
			e++;
		int last = *e == 0;
		*e = 0;
		int o;
		tasks[i].pid = parse_long(p, &o);
		if (!o || (last && i != ntasks - 1)) {
			fprintf(stderr, "cgsim cinterp: exec: bad pid list\n");
			exit(3);
		}
		p = e + 1;
	}
	int n = __atomic_load_n(&page[PAGE_SLOTS], __ATOMIC_SEQ_CST);
	for (int s = 0; s < n && s < PAGE_SLOTS_MAX; s++) {
		if (s == c->slot)
			continue;
		if (s == c->pslot || __atomic_load_n(&page[PAGE_GROUPS + s], __ATOMIC_SEQ_CST) == c->pslot + 1)
			if (__atomic_load_n(&page[PAGE_STATE + s], __ATOMIC_SEQ_CST) != SLOT_VOID)
				__atomic_store_n(&page[PAGE_STATE + s], SLOT_EXITED, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&page[PAGE_TIDS + c->slot], (int32_t)sc0(SYS_gettid), __ATOMIC_SEQ_CST);
	c->pc = 0;
	state(c, SLOT_RUNNING);
	run(c);
}

int main(int argc, char **argv)
{
	if (argc == 9 && strcmp(argv[2], "exec") == 0) {
		self_exe = argv[0];
		plan_file = argv[1];
		exec_main(argv);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: cinterp PLAN (started by cgsim's hostlinux.RunScenario)\n");
		return 2;
	}
	self_exe = argv[0];
	plan_file = argv[1];
	start_image();
	/* Start as a C program's init does: every signal at SIG_DFL, none
	 * blocked (the harness's own may be inherited through exec). */
	for (int s = 1; s <= 64; s++)
		if (s != SIGKILL && s != SIGSTOP)
			set_disposition(s, SIG_DEFAULT_);
	uint64_t none = 0;
	sc4(SYS_rt_sigprocmask, SIG_SETMASK, &none, 0, 8);
	/* The init leads a session and process group of its own, as the
	 * simulator's init does: kill(0) and process groups stay in the run. */
	if (sc0(SYS_setsid) < 0) {
		fprintf(stderr, "cgsim cinterp: setsid of the init failed\n");
		return 3;
	}
	struct ctx *c = &main_ctx;
	c->slot = c->pslot = 0;
	c->prog = tasks[0].prog;
	struct buf b = {c->name, 0, NAME_LEN};
	badd(&b, tasks[0].name);
	setup_task(c);
	return 0;
}
