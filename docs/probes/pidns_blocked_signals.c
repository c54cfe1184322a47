/*
 * pidns_blocked_signals.c: question 16 (continued), LTP pidns20 and
 * pidns21. A pid namespace's init blocks SIGUSR1 (pidns21: with a handler
 * set before), its parent sends SIGUSR1 from the parent namespace, the
 * init then sets a handler (pidns20) or SIG_DFL (pidns21) and unblocks
 * it. Does the handler run (pidns20: exit 0), and is the init killed
 * (pidns21 expects WIFSIGNALED SIGUSR1)? Every process is our own child.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/sched.h>
static volatile int hit;
static void h(int s){ (void)s; hit = 1; }
static pid_t clone_newpid(void){ struct clone_args a; memset(&a,0,sizeof a); a.flags=CLONE_NEWPID; a.exit_signal=SIGCHLD; return syscall(SYS_clone3,&a,sizeof a); }
int main(void){
	setvbuf(stdout, NULL, _IONBF, 0);
	/* mode 0: pidns20 (handler set after the queue), 1: pidns21 (SIG_DFL set after it) */
	for (int mode = 0; mode < 2; mode++) {
		int p1[2], p2[2]; pipe(p1); pipe(p2);
		pid_t c = clone_newpid();
		if (!c) {
			char b;
			struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_handler = h;
			if (mode) sigaction(SIGUSR1, &sa, 0);
			sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR1); sigprocmask(SIG_BLOCK, &s, 0);
			write(p1[1], "x", 1); read(p2[0], &b, 1);
			if (mode) sa.sa_handler = SIG_DFL;
			sigaction(SIGUSR1, &sa, 0);
			sigprocmask(SIG_UNBLOCK, &s, 0);
			_exit(hit ? 0 : 1);
		}
		char b; read(p1[0], &b, 1); kill(c, SIGUSR1); write(p2[1], "x", 1);
		int st; waitpid(c, &st, 0);
		printf("FACT pidns%d: %s %d\n", mode ? 21 : 20, WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	return 0;
}
