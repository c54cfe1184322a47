/*
 * cgroup_errnos.c: question 9, errors of the other cgroup interface files.
 *
 * rmdir (populated / with a child cgroup), cgroup.procs writes (pid that
 * cannot exist, "abc", "-1", "", out of range, into a "domain invalid"
 * cgroup), cgroup.subtree_control "+hugetlb" (the only v2 controller here),
 * cgroup.type writes, cgroup.freeze writes, cgroup.procs/cgroup.threads reads
 * in a threaded cgroup.
 * Only our own children are ever written to cgroup.procs; the "nonexistent"
 * pid is pid_max itself, which the kernel never allocates.
 * The root cgroup's subtree_control is NOT changed (safety rule), so the
 * no-internal-process checks can only be probed as far as the controllers
 * enabled at the root allow.
 *
 * Reference: kernel-semantics.md sections 6.1, 6.2, 6.3, 6.6, 6.7, 9.
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
	char Pop[PATHSZ], Par[PATHSZ], Kid[PATHSZ], E[PATHSZ], TI[PATHSZ], TT[PATHSZ], TV[PATHSZ], H[PATHSZ],
		Ty[PATHSZ], b[64];
	int fd, pidmax;
	long r;
	pid_t s1, s2, s3;

	setup("cgroup_errnos");
	sub(Pop, BASE, "populated");
	sub(Par, BASE, "parent");
	sub(Kid, Par, "child");
	sub(E, BASE, "empty");
	sub(TI, BASE, "troot");
	sub(TT, TI, "thr");
	sub(TV, TI, "inv");
	sub(H, BASE, "hug");
	sub(Ty, BASE, "typ");
	mkcg(Pop);
	mkcg(Par);
	mkcg(Kid);
	mkcg(E);
	mkcg(TI);
	mkcg(TT);
	mkcg(TV);
	mkcg(H);
	mkcg(Ty);

	/* rmdir */
	s1 = sleeper();
	printf("FACT move_sleeper_into_populated: %s\n", res(move_pid(Pop, s1)));
	printf("FACT rmdir_populated_cgroup: %s\n", rmdir(Pop) ? res(-errno) : "ok 0");
	printf("FACT rmdir_cgroup_with_child_cgroup: %s\n", rmdir(Par) ? res(-errno) : "ok 0");

	/* cgroup.procs writes into an empty domain cgroup */
	rd("/proc/sys/kernel/pid_max", b, sizeof b);
	pidmax = atoi(b);
	r = snprintf(b, sizeof b, "%d", pidmax);
	printf("FACT procs_write pid_max(%d, never allocated): %s\n", pidmax, res(wr(pj(E, "cgroup.procs"), b, r)));
	printf("FACT procs_write \"abc\": %s\n", res(wrs(pj(E, "cgroup.procs"), "abc")));
	printf("FACT procs_write \"-1\": %s\n", res(wrs(pj(E, "cgroup.procs"), "-1")));
	printf("FACT procs_write \"\" (zero-length): %s\n", res(wr(pj(E, "cgroup.procs"), "", 0)));
	printf("FACT procs_write \"99999999999\": %s\n", res(wrs(pj(E, "cgroup.procs"), "99999999999")));

	/* threaded root TI with threaded TT and domain-invalid TV */
	printf("FACT type_write \"threaded\" to empty cgroup: %s\n", res(wrs(pj(TT, "cgroup.type"), "threaded")));
	printf("FACT types: troot=%s thr=%s inv=%s\n", flat(pj(TI, "cgroup.type")), flat(pj(TT, "cgroup.type")),
	       flat(pj(TV, "cgroup.type")));
	s2 = sleeper();
	printf("FACT procs_write into \"domain invalid\": %s\n", res(move_pid(TV, s2)));
	printf("FACT procs_write into \"threaded\" (whole process): %s\n", res(move_pid(TT, s2)));
	fd = open(pj(TT, "cgroup.procs"), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("FACT procs_read in threaded cgroup: open %s\n", res(-errno));
	} else {
		char rb[256];
		r = read(fd, rb, sizeof rb);
		printf("FACT procs_read in threaded cgroup: open ok, read %s\n", res(r < 0 ? -errno : r));
		close(fd);
	}
	printf("FACT threads_read in threaded cgroup: %s\n", flat(pj(TT, "cgroup.threads")));
	printf("FACT procs_read in its thread root: %s\n", flat(pj(TI, "cgroup.procs")));
	printf("FACT freeze_write \"1\" to \"domain invalid\": %s\n", res(wrs(pj(TV, "cgroup.freeze"), "1")));
	printf("FACT freeze_write \"0\" to \"domain invalid\": %s\n", res(wrs(pj(TV, "cgroup.freeze"), "0")));

	/* controllers */
	printf("FACT root.cgroup.controllers: %s\n", flat(pj(MNT, "cgroup.controllers")));
	printf("FACT root.cgroup.subtree_control: %s\n", flat(pj(MNT, "cgroup.subtree_control")));
	printf("FACT our_parent.cgroup.controllers: %s\n", flat(pj(PARENT, "cgroup.controllers")));
	s3 = sleeper();
	printf("FACT move_sleeper_into_hug: %s\n", res(move_pid(H, s3)));
	printf("FACT subtree_control \"+hugetlb\" in populated cgroup: %s\n",
	       res(wrs(pj(H, "cgroup.subtree_control"), "+hugetlb")));
	printf("FACT subtree_control \"+hugetlb\" in empty cgroup: %s\n",
	       res(wrs(pj(E, "cgroup.subtree_control"), "+hugetlb")));
	printf("FACT subtree_control \"+nosuch\": %s\n", res(wrs(pj(E, "cgroup.subtree_control"), "+nosuch")));
	printf("FACT subtree_control \"hugetlb\" (no sign): %s\n", res(wrs(pj(E, "cgroup.subtree_control"), "hugetlb")));
	printf("FACT subtree_control \"\" (zero-length): %s\n", res(wr(pj(E, "cgroup.subtree_control"), "", 0)));

	/* cgroup.type */
	printf("FACT type_write \"threaded\" to populated cgroup: %s\n", res(wrs(pj(H, "cgroup.type"), "threaded")));
	printf("FACT type_write \"domain\": %s\n", res(wrs(pj(Ty, "cgroup.type"), "domain")));
	printf("FACT type_write \"abc\": %s\n", res(wrs(pj(Ty, "cgroup.type"), "abc")));
	printf("FACT type_write \"threaded\" to \"threaded\": %s\n", res(wrs(pj(TT, "cgroup.type"), "threaded")));
	printf("FACT type_read root: %s\n", access(pj(MNT, "cgroup.type"), F_OK) ? en(errno) : "exists");

	/* cgroup.freeze */
	printf("FACT freeze_write \"2\": %s\n", res(wrs(pj(E, "cgroup.freeze"), "2")));
	printf("FACT freeze_write \"-1\": %s\n", res(wrs(pj(E, "cgroup.freeze"), "-1")));
	printf("FACT freeze_write \"abc\": %s\n", res(wrs(pj(E, "cgroup.freeze"), "abc")));
	printf("FACT freeze_write \"\" (zero-length): %s\n", res(wr(pj(E, "cgroup.freeze"), "", 0)));
	printf("FACT freeze_write \"1\" / \"0\": %s / %s\n", res(wrs(pj(E, "cgroup.freeze"), "1")),
	       res(wrs(pj(E, "cgroup.freeze"), "0")));
	printf("FACT root_has_cgroup.freeze: %s\n", access(pj(MNT, "cgroup.freeze"), F_OK) ? en(errno) : "yes");
	printf("FACT root_has_cgroup.events: %s\n", access(pj(MNT, "cgroup.events"), F_OK) ? en(errno) : "yes");

	cleanup();
	return 0;
}
