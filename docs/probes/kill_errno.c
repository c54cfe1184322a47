/*
 * kill_errno.c: question 1, the cgroup.kill write handler.
 *
 * - parsing: "1", "1\n", " 1 ", "0x1", "01", "+1", "0", "2", "-1", "abc",
 *   "" (zero-length write), whitespace only, "99999999999", written to the
 *   cgroup.kill of an EMPTY test cgroup (a successful kill signals nobody);
 * - does the root cgroup have cgroup.kill; its mode; is it readable (as root
 *   and as uid 65534);
 * - cgroup.kill of a "threaded" cgroup, of its "domain threaded" parent (does
 *   that kill the threaded child's task?) and of a "domain invalid" sibling;
 * - writes through fds opened before rmdir of the (empty) cgroup.
 *
 * Reference: kernel-semantics.md sections 1.1, 6.3, 10.
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
	static const struct {
		const char *label, *data;
		size_t len;
	} c[] = {
		{ "\"1\"", "1", 1 },
		{ "\"1\\n\"", "1\n", 2 },
		{ "\" 1 \"", " 1 ", 3 },
		{ "\"0x1\"", "0x1", 3 },
		{ "\"01\"", "01", 2 },
		{ "\"+1\"", "+1", 2 },
		{ "\"0\"", "0", 1 },
		{ "\"2\"", "2", 1 },
		{ "\"-1\"", "-1", 2 },
		{ "\"abc\"", "abc", 3 },
		{ "\"1abc\"", "1abc", 4 },
		{ "\"\" (zero-length write)", "", 0 },
		{ "\" \" (whitespace only)", " ", 1 },
		{ "\"\\n\" (newline only)", "\n", 1 },
		{ "\"99999999999\" (> INT_MAX)", "99999999999", 11 },
	};
	char E[PATHSZ], P[PATHSZ], T[PATHSZ], D[PATHSZ], R[PATHSZ], b[32];
	struct stat sb;
	int fd, st, kfd, ffd, pfd, efd;
	pid_t k, k2;
	long r;

	setup("kill_errno");

	/* 1. parsing, on an empty cgroup */
	sub(E, BASE, "empty");
	mkcg(E);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		printf("FACT kill_write %s: %s\n", c[i].label,
		       res(wr(pj(E, "cgroup.kill"), c[i].data, c[i].len)));

	/* 2. the file itself (opening does not write anything) */
	fd = open(pj(MNT, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
	printf("FACT root_cgroup.kill_open_O_WRONLY: %s\n", fd < 0 ? res(-errno) : "ok (file exists)");
	if (fd >= 0)
		close(fd);
	if (stat(pj(E, "cgroup.kill"), &sb) == 0)
		printf("FACT cgroup.kill_mode: %04o\n", sb.st_mode & 07777);
	fd = open(pj(E, "cgroup.kill"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("FACT cgroup.kill_open_O_RDONLY: %s\n", res(-errno));
	} else {
		r = read(fd, b, sizeof b);
		printf("FACT cgroup.kill_open_O_RDONLY: ok, then read(): %s\n", res(r < 0 ? -errno : r));
		close(fd);
	}
	fd = open(pj(E, "cgroup.kill"), O_RDWR | O_CLOEXEC);
	printf("FACT cgroup.kill_open_O_RDWR: %s\n", fd < 0 ? res(-errno) : "ok");
	if (fd >= 0)
		close(fd);

	/* the same opens by an unprivileged user (uid/gid 65534), in a child */
	{
		int ep[2], e[2] = { -1, -1 };
		if (pipe(ep))
			return 2;
		fflush(stdout);
		if ((k = fork()) == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(1);
			fd = open(pj(E, "cgroup.kill"), O_RDONLY | O_CLOEXEC);
			e[0] = fd < 0 ? errno : 0;
			fd = open(pj(E, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
			e[1] = fd < 0 ? errno : 0;
			_exit(write(ep[1], e, sizeof e) == sizeof e ? 0 : 1);
		}
		track(k);
		reap(k, 2000, &st);
		if (read(ep[0], e, sizeof e) == sizeof e)
			printf("FACT cgroup.kill_open_as_uid_65534: O_RDONLY %s, O_WRONLY %s\n",
			       e[0] ? res(-e[0]) : "ok", e[1] ? res(-e[1]) : "ok");
		close(ep[0]);
		close(ep[1]);
	}

	/* 3. threaded types: P becomes "domain threaded" with children T
	 * ("threaded") and D (left "domain", so it becomes "domain invalid") */
	sub(P, BASE, "tp");
	sub(T, P, "thr");
	sub(D, P, "inv");
	mkcg(P);
	mkcg(T);
	mkcg(D);
	printf("FACT write_threaded_to_T.cgroup.type: %s\n", res(wrs(pj(T, "cgroup.type"), "threaded")));
	printf("FACT types: P=%s T=%s D=%s\n", flat(pj(P, "cgroup.type")), flat(pj(T, "cgroup.type")),
	       flat(pj(D, "cgroup.type")));
	k = sleeper();
	printf("FACT move_process_into_threaded_T_via_cgroup.procs: %s (pid %d)\n", res(move_pid(T, k)), k);
	printf("FACT T.cgroup.threads: %s\n", flat(pj(T, "cgroup.threads")));
	printf("FACT P.cgroup.procs: %s\n", flat(pj(P, "cgroup.procs")));
	printf("FACT P.cgroup.events: %s\n", flat(pj(P, "cgroup.events")));
	printf("FACT kill_write_threaded_T: %s\n", res(wrs(pj(T, "cgroup.kill"), "1")));
	msleep(200);
	printf("FACT process_in_T_after_T_kill: state %c\n", pstate(k));
	printf("FACT kill_write_domain_invalid_D: %s\n", res(wrs(pj(D, "cgroup.kill"), "1")));
	msleep(200);
	printf("FACT process_in_T_after_D_kill: state %c\n", pstate(k));
	printf("FACT kill_write_domain_threaded_P: %s\n", res(wrs(pj(P, "cgroup.kill"), "1")));
	if (reap(k, 2000, &st))
		printf("FACT process_in_T_after_P_kill: %s\n", wstat(st));
	else
		printf("FACT process_in_T_after_P_kill: still alive after 2 s (state %c)\n", pstate(k));
	wait_ev(P, "populated", 0, 1000);
	printf("FACT P.cgroup.events_after_P_kill: %s\n", flat(pj(P, "cgroup.events")));

	/* 4. fds opened before rmdir of an empty cgroup */
	sub(R, BASE, "gone");
	mkcg(R);
	k2 = sleeper();
	kfd = open(pj(R, "cgroup.kill"), O_WRONLY | O_CLOEXEC);
	ffd = open(pj(R, "cgroup.freeze"), O_WRONLY | O_CLOEXEC);
	pfd = open(pj(R, "cgroup.procs"), O_WRONLY | O_CLOEXEC);
	efd = open(pj(R, "cgroup.events"), O_RDONLY | O_CLOEXEC);
	printf("FACT rmdir_empty_cgroup_with_open_fds: %s\n", rmdir(R) ? res(-errno) : "ok 0");
	printf("FACT kill_write_via_fd_opened_before_rmdir: %s\n", res(fdw(kfd, "1", 1)));
	printf("FACT freeze_write_via_fd_opened_before_rmdir: %s\n", res(fdw(ffd, "1", 1)));
	r = snprintf(b, sizeof b, "%d", k2);
	printf("FACT procs_write_via_fd_opened_before_rmdir: %s (child now in %s)\n", res(fdw(pfd, b, r)),
	       v2line(k2));
	{
		char eb[128];
		r = read(efd, eb, sizeof eb);
		printf("FACT events_read_via_fd_opened_before_rmdir: %s\n", res(r < 0 ? -errno : r));
	}
	close(kfd);
	close(ffd);
	close(pfd);
	close(efd);

	cleanup();
	return 0;
}
