/* probe.h: the helpers every cgsim kernel probe shares: errno names, the
 * cgroup v2 mount and our own parent cgroup (CGSIM_PROBE_PARENT from run.sh),
 * cgroup file I/O, child bookkeeping and cleanup. Included by each probe. */
#ifndef CGSIM_PROBE_H
#define CGSIM_PROBE_H
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define U __attribute__((unused))
#define PATHSZ 4096
static char MNT[PATHSZ], PARENT[PATHSZ], BASE[PATHSZ];
static int own_parent;
static pid_t kids[64]; /* direct children not yet reaped, for cleanup() */
static int nkids;

/* errno name, e.g. "EINVAL" */
U static const char *en(int e)
{
	const char *s = strerrorname_np(e);
	return s ? s : "E?";
}

U static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

U static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* "ok N" for a result N >= 0, "-1 ENAME" for a result -errno */
U static const char *res(long r)
{
	static char b[8][64];
	static int i;
	i = (i + 1) % 8;
	if (r >= 0)
		snprintf(b[i], sizeof b[i], "ok %ld", r);
	else
		snprintf(b[i], sizeof b[i], "-1 %s", en((int)-r));
	return b[i];
}

/* "dir/name" (rotating static buffers) */
U static const char *pj(const char *dir, const char *name)
{
	static char b[8][PATHSZ];
	static int i;
	i = (i + 1) % 8;
	if (snprintf(b[i], PATHSZ, "%s/%s", dir, name) >= PATHSZ)
		exit(2);
	return b[i];
}

/* open + one write() of len bytes + close: bytes written, or -errno of open/write */
U static long wr(const char *path, const char *s, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	long r;
	if (fd < 0)
		return -errno;
	r = write(fd, s, len);
	if (r < 0)
		r = -errno;
	close(fd);
	return r;
}
U static long wrs(const char *path, const char *s) { return wr(path, s, strlen(s)); }

/* write() on an open fd: bytes or -errno */
U static long fdw(int fd, const char *s, size_t len)
{
	long r = write(fd, s, len);
	return r < 0 ? -errno : r;
}

/* read a whole file into buf (NUL-terminated): bytes, or -errno of open/read */
U static long rd(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long r = 0, tot = 0;
	buf[0] = 0;
	if (fd < 0)
		return -errno;
	while (tot < (long)n - 1 && (r = read(fd, buf + tot, n - 1 - tot)) > 0)
		tot += r;
	if (r < 0)
		tot = -errno;
	else
		buf[tot] = 0;
	close(fd);
	return tot;
}

/* file content on one line ('\n' shown as ';'), "<empty>", or "<-1 ENAME>" */
U static const char *flat(const char *path)
{
	static char b[8][8192];
	static int i;
	long r;
	i = (i + 1) % 8;
	r = rd(path, b[i], sizeof b[i]);
	if (r < 0) {
		snprintf(b[i], sizeof b[i], "<%s>", res(r));
		return b[i];
	}
	while (r > 0 && b[i][r - 1] == '\n')
		b[i][--r] = 0;
	for (char *p = b[i]; *p; p++)
		if (*p == '\n')
			*p = ';';
	return b[i][0] ? b[i] : "<empty>";
}

/* out = "dir/name" (out has PATHSZ bytes) */
U static void sub(char *out, const char *dir, const char *name)
{
	if (snprintf(out, PATHSZ, "%s/%s", dir, name) >= PATHSZ)
		exit(2);
}

U static void mkcg(const char *cg)
{
	if (mkdir(cg, 0755)) {
		printf("FACT setup_error: mkdir %s: %s\n", cg, en(errno));
		exit(2);
	}
}

/* write pid to cg/cgroup.procs (only ever our own children) */
U static long move_pid(const char *cg, pid_t pid)
{
	char b[32];
	return wr(pj(cg, "cgroup.procs"), b, snprintf(b, sizeof b, "%d", (int)pid));
}

/* value N of the line "key N" in cg/cgroup.events, -1 if absent */
U static int ev(const char *cg, const char *key)
{
	char b[256], *p = b;
	size_t kl = strlen(key);
	if (rd(pj(cg, "cgroup.events"), b, sizeof b) < 0)
		return -1;
	while (p) {
		if (!strncmp(p, key, kl) && p[kl] == ' ')
			return atoi(p + kl + 1);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* poll cgroup.events until "key want" (1) or ms elapsed (0) */
U static int wait_ev(const char *cg, const char *key, int want, int ms)
{
	for (int t = 0; t <= ms; t += 10) {
		if (ev(cg, key) == want)
			return 1;
		msleep(10);
	}
	return 0;
}

U static pid_t track(pid_t p)
{
	if (p > 0 && nkids < 64)
		kids[nkids++] = p;
	return p;
}

U static void untrack(pid_t p)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] == p)
			kids[i] = 0;
}

/* fork a child that only sleeps (60 x 1 s at most) */
U static pid_t sleeper(void)
{
	pid_t p;
	fflush(stdout);
	p = fork();
	if (p == 0) {
		for (int i = 0; i < 60; i++)
			sleep(1);
		_exit(0);
	}
	return track(p);
}

/* wait up to ms for our child pid to be reapable; 1 (and *st) if reaped */
U static int reap(pid_t pid, int ms, int *st)
{
	for (int t = 0; t <= ms; t += 5) {
		pid_t r = waitpid(pid, st, WNOHANG | __WALL);
		if (r == pid) {
			untrack(pid);
			return 1;
		}
		if (r < 0)
			return 0;
		if (t < ms)
			msleep(5);
	}
	return 0;
}

/* wait status as text */
U static const char *wstat(int st)
{
	static char b[4][80];
	static int i;
	i = (i + 1) % 4;
	if (WIFEXITED(st))
		snprintf(b[i], sizeof b[i], "exited %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(b[i], sizeof b[i], "killed by signal %d (SIG%s)", WTERMSIG(st),
			 sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?");
	else
		snprintf(b[i], sizeof b[i], "wait status 0x%x", st);
	return b[i];
}

/* state letter from /proc/PID/stat (S, R, Z, ...), '-' if no such task */
U static char pstate(pid_t pid)
{
	char b[1024], path[64], *p;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (rd(path, b, sizeof b) <= 0)
		return '-';
	p = strrchr(b, ')');
	return (p && p[1] == ' ') ? p[2] : '?';
}

/* value of "Key:" in /proc/PID/status (or /proc/PID/task/TID/status if tid) */
U static const char *sfield(pid_t pid, pid_t tid, const char *key)
{
	static char b[8][160];
	static int i;
	char path[96], buf[8192], *p, *e;
	size_t n;
	i = (i + 1) % 8;
	if (tid)
		snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (rd(path, buf, sizeof buf) <= 0)
		return "<no such task>";
	p = strstr(buf, key);
	if (!p)
		return "<absent>";
	p += strlen(key);
	while (*p == ' ' || *p == '\t')
		p++;
	e = strchr(p, '\n');
	n = e ? (size_t)(e - p) : strlen(p);
	if (n >= sizeof b[i])
		n = sizeof b[i] - 1;
	memcpy(b[i], p, n);
	b[i][n] = 0;
	return b[i];
}

/* the cgroup v2 line ("0::/path") of /proc/PID/cgroup */
U static const char *v2line(pid_t pid)
{
	static char b[2][PATHSZ];
	static int i;
	char path[64], buf[8192], *p, *e;
	i = (i + 1) % 2;
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	if (rd(path, buf, sizeof buf) <= 0)
		return "<no such task>";
	p = strncmp(buf, "0::", 3) ? strstr(buf, "\n0::") : buf - 1;
	if (!p)
		return "<no v2 line>";
	p++;
	e = strchr(p, '\n');
	if (e)
		*e = 0;
	snprintf(b[i], PATHSZ, "%s", p);
	return b[i];
}

/* our pid as the host sees it, also from inside a child pid namespace
 * (/proc is the host's procfs, so /proc/self names the host pid) */
U static pid_t host_pid(void)
{
	char b[32];
	ssize_t n = readlink("/proc/self", b, sizeof b - 1);
	if (n <= 0)
		return -1;
	b[n] = 0;
	return atoi(b);
}

static int rm_cb(const char *p, const struct stat *s, int flag, struct FTW *f)
{
	(void)s;
	(void)f;
	if (flag == FTW_DP)
		for (int i = 0; i < 300 && rmdir(p) && errno == EBUSY; i++)
			msleep(10);
	return 0;
}

U static void cleanup(void)
{
	int st;
	fflush(stdout);
	if (BASE[0])
		wrs(pj(BASE, "cgroup.kill"), "1");
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			reap(kids[i], 3000, &st);
		}
	while (waitpid(-1, &st, WNOHANG | __WALL) > 0)
		;
	if (BASE[0] && access(BASE, F_OK) == 0) {
		wait_ev(BASE, "populated", 0, 3000);
		nftw(BASE, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	if (own_parent)
		rmdir(PARENT);
	printf("FACT cleanup: %s\n", access(BASE, F_OK) == 0 ? "FAILED, cgroup left behind" : "all cgroups removed");
}

/* find the cgroup2 mount, make PARENT and BASE = PARENT/name */
U static void setup(const char *name)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[PATHSZ], mp[PATHSZ];
	const char *env = getenv("CGSIM_PROBE_PARENT");
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(120);
	while (f && fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - ");
		if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1) {
			snprintf(MNT, sizeof MNT, "%s", mp);
			break;
		}
	}
	if (f)
		fclose(f);
	if (geteuid() != 0) {
		printf("FACT setup_error: not root\n");
		exit(2);
	}
	if (!MNT[0]) {
		printf("FACT setup_error: no cgroup2 mount in /proc/self/mountinfo\n");
		exit(2);
	}
	if (env && strstr(env, "/cgsim-probe-")) {
		snprintf(PARENT, sizeof PARENT, "%s", env);
	} else {
		if (snprintf(PARENT, sizeof PARENT, "%s/cgsim-probe-%d", MNT, (int)getpid()) >= PATHSZ)
			exit(2);
		mkcg(PARENT);
		own_parent = 1;
	}
	sub(BASE, PARENT, name);
	mkcg(BASE);
	printf("FACT probe_base: %s\n", BASE);
}
/* A report pipe from a process inside a namespace to the host side: one
 * fixed-size message per event (the pid-namespace probes use it). */
struct msg {
	char tag;
	long a, b;
};
static int rep[2];

U static void say(char tag, long a, long b)
{
	struct msg m = { tag, a, b };
	if (write(rep[1], &m, sizeof m) != sizeof m)
		_exit(3);
}

U static int hear(struct msg *m, int ms)
{
	struct pollfd p = { rep[0], POLLIN, 0 };
	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(rep[0], m, sizeof *m) == sizeof *m;
}

#endif /* CGSIM_PROBE_H */
