/*
 * pidfd_fdinfo_race.c: question 16 (continued), the pidfd_fdinfo_test
 * selftest test_pidfd_fdinfo_nspid. Its parent clones child a (which exits
 * at once) and child b (in a sibling pid namespace, which remounts /proc
 * and reads the fdinfo of a's pidfd, wanting "NSpid:\t0"), checks both,
 * then reaps a. Does b read before a is reaped? 50 tries. The children
 * remount /proc only inside their own mount namespace (CLONE_NEWNS, made
 * private first); every process is our own child.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/mman.h>
static int fdinfo_nspid(int fd, char *out, size_t n) {
	char path[64], buf[512]; snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "re"); if (!f) return -1;
	out[0] = 0;
	while (fgets(buf, sizeof buf, f)) if (!strncmp(buf, "NSpid:", 6)) { snprintf(out, n, "%s", buf + 6); break; }
	fclose(f); return 0;
}
static int child(void *arg) {
	if (!arg) return 0;
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, 0);
	umount2("/proc", MNT_DETACH);
	mount("proc", "/proc", "proc", 0, NULL);
	char v[128]; fdinfo_nspid(*(int *)arg, v, sizeof v);
	return strcmp(v, "\t0\n") == 0 ? 0 : (strcmp(v, "\t-1\n") == 0 ? 2 : 3);
}
int main(void) {
	int pass = 0, dead = 0, other = 0;
	for (int i = 0; i < 50; i++) {
		int fa = -1, fb = -1;
		char *sa = mmap(0, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0);
		char *sb = mmap(0, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0);
		pid_t a = clone(child, sa + 65536, CLONE_PIDFD|CLONE_NEWPID|CLONE_NEWNS|SIGCHLD, NULL, &fa);
		pid_t b = clone(child, sb + 65536, CLONE_PIDFD|CLONE_NEWPID|CLONE_NEWNS|SIGCHLD, &fa, &fb);
		char v[128]; fdinfo_nspid(fa, v, sizeof v); fdinfo_nspid(fb, v, sizeof v);
		int st; waitpid(a, &st, 0); waitpid(b, &st, 0);
		int r = WEXITSTATUS(st);
		if (r == 0) pass++; else if (r == 2) dead++; else other++;
		close(fa); close(fb);
	}
	printf("FACT fdinfo_nspid: sibling read \\t0 (test passes) %d, \\t-1 (a reaped first: test fails) %d, other %d of 50\n", pass, dead, other);
	return 0;
}
