package model

// Core dumps (fs/coredump.c, 6.18; the ≤5.15 differences behind
// Options.Coredump). A core-dumping signal (sig_kernel_coredump: SIGQUIT,
// SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ,
// SIGSYS) with its default action is not turned into a group exit by
// complete_signal; the thread that dequeues it in get_signal calls
// vfs_coredump:
//
//   - coredump_skip: a process that is not dumpable dumps nothing and
//     dies through do_group_exit (not modelled: every process is dumpable);
//   - coredump_wait → zap_threads, under siglock: unless a group exit or an
//     exec is under way (then do_group_exit), signal->core_state is set
//     and zap_process sets SIGNAL_GROUP_EXIT with group_exit_code = the
//     signal, and SIGKILLs every other thread that has not passed
//     coredump_task_exit (PF_POSTCOREDUMP); the dumper sleeps
//     (TASK_UNINTERRUPTIBLE) until they have all reached
//     coredump_task_exit;
//   - the dump (coredump_file, coredump_write; dump_interrupted stops it
//     when a fatal signal is pending), then coredump_finish: the 0x80
//     core bit goes into group_exit_code if a core was written and no
//     fatal signal is pending; core_state is cleared and the zapped
//     threads wake; the dumper goes on to do_group_exit.
//
// While core_state is set, prepare_signal lets SIGKILL (and nothing else)
// through, and complete_signal turns it into a group kill that reaches
// the dumper: so cgroup.kill, kill(2) and the pid namespace zap interrupt
// a dump (probe Q15). cgroup.kill's __fatal_signal_pending skip applies
// only to a zapped thread that has not yet dequeued its SIGKILL in
// get_signal.

// Coredump steps.
const (
	coreDump = iota // coredump_wait done: the dump and coredump_finish
)

// vfsCoredump is vfs_coredump(siginfo) called from get_signal for t and
// the core-dumping signal sig, up to coredump_wait's sleep.
func (k *Kernel) vfsCoredump(t TaskID, sig Signal) {
	k.begin(t, "vfs_coredump")
	tk := k.mtask(t)
	g := k.mgroup(tk.Group)
	// zap_threads: "if (!(signal->flags & SIGNAL_GROUP_EXIT) &&
	// !signal->group_exec_task)", else -EAGAIN and get_signal's
	// do_group_exit takes the group's code (or 0 under an exec).
	if g.Flags&SIGNAL_GROUP_EXIT != 0 || g.GroupExec {
		if k.tracing {
			k.notef("zap_threads: another group exit or an exec is under way: no dump")
		}
		k.doGroupExit(t, int32(sig))
		return
	}
	g.CoreState = true
	// zap_process: signal->flags = SIGNAL_GROUP_EXIT; group_exit_code =
	// the signal; group_stop_count = 0; a private SIGKILL for every other
	// thread without PF_POSTCOREDUMP.
	g.Flags = SIGNAL_GROUP_EXIT
	g.GroupExitCode = int32(sig)
	nr := int32(0)
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		tt := k.mtask(th)
		if tt.Stopped {
			// task_clear_jobctl_pending + signal_wake_up(t, 1).
			tt.Stopped = false
			if tt.Cgroup != NoCgroup {
				k.cgroupUpdateFrozen(tt.Cgroup)
			}
		}
		if th == t || tt.Flags&PF_POSTCOREDUMP != 0 {
			continue
		}
		tt.Pending = tt.Pending.With(SIGKILL)
		nr++
	}
	tk.Flags |= PF_DUMPCORE
	g.coreWaiters = nr
	tk.Frame = Frame{Path: KCoredump, PC: coreDump, Arg: int32(sig), Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	if k.tracing {
		k.notef("zap_threads: %s dumps core (%s): core_state set, SIGNAL_GROUP_EXIT, group_exit_code %d; SIGKILL to %d other thread(s); coredump_wait sleeps until they reach coredump_task_exit", k.Describe(t), sig, sig, nr)
	}
}

// stepCoredump runs the dumper's step after coredump_wait: the dump and
// coredump_finish, then do_group_exit.
func (k *Kernel) stepCoredump(t TaskID) {
	tk := k.rtask(t)
	g := k.mgroup(tk.Group)
	sig := tk.Frame.Arg
	k.begin(t, "vfs_coredump")
	// coredump_file: "if (cprm->limit < binfmt->min_coredump) return
	// false" (RLIMIT_CORE 0); coredump_write: "if (dump_interrupted())
	// return true" with core_dumped still false; a fatal signal during the
	// write makes dump_emit fail (core_dumped false as well).
	fatal := k.FatalSignalPending(t)
	dumped := g.CoreUnlimited && !fatal
	k.begin(t, "coredump_finish")
	// "if (core_dumped && !__fatal_signal_pending(current))
	// group_exit_code |= 0x80".
	if dumped {
		g.GroupExitCode |= 0x80
	}
	g.CoreState = false
	if !fatal {
		k.Cover |= CovCoredumpFinished
	}
	if k.tracing {
		switch {
		case fatal:
			k.notef("dump interrupted by SIGKILL (dump_interrupted): no core; group_exit_code %#x", g.GroupExitCode)
		case dumped:
			k.notef("core written: group_exit_code %#x (0x80 core bit)", g.GroupExitCode)
		default:
			k.notef("RLIMIT_CORE 0: no core file (coredump_file gives up); group_exit_code %#x", g.GroupExitCode)
		}
		k.notef("core_state cleared: the zapped threads go on exiting")
	}
	// get_signal: do_group_exit(signr) takes group_exit_code.
	k.doGroupExit(t, sig)
}

// coredumpTaskExit is coredump_task_exit (kernel/exit.c) for t, which has
// just passed the point where it runs (5.16+: do_exit's start; ≤5.15:
// exit_mm): PF_POSTCOREDUMP under siglock, and if the group is dumping
// core, one zapped thread fewer for coredump_wait, and t sleeps
// (TASK_IDLE) until coredump_finish. It reports whether t must sleep.
func (k *Kernel) coredumpTaskExit(t TaskID) bool {
	tk := k.mtask(t)
	tk.Flags |= PF_POSTCOREDUMP
	g := k.mgroup(tk.Group)
	if !g.CoreState || tk.Flags&PF_DUMPCORE != 0 {
		return false
	}
	g.coreWaiters--
	if k.tracing {
		k.notef("coredump_task_exit: %s waits for the core dump of its group (%d other thread(s) still to come)", k.Describe(t), g.coreWaiters)
	}
	return true
}

// SetupRlimitCore sets RLIMIT_CORE of t's process at setup: unlimited (a
// core file is written when a dump completes) or 0 (none is). The
// processes it forks from then on inherit it (copy_signal).
func (k *Kernel) SetupRlimitCore(t TaskID, unlimited bool) Errno {
	if k.tasks[t].Flags&PF_KTHREAD != 0 || k.tasks[t].Group == NoGroup {
		return EINVAL
	}
	k.mgroup(k.tasks[t].Group).CoreUnlimited = unlimited
	return OK
}

// InCoredumpTaskExit reports whether t sleeps in coredump_task_exit,
// waiting for its group's core dump to finish (5.16+ before exit_signals,
// ≤5.15 in exit_mm after it).
func (k *Kernel) InCoredumpTaskExit(t TaskID) bool {
	f := &k.rtask(t).Frame
	return f.Path == KExit && f.PC == exitCoreWait && k.groups[k.tasks[t].Group].CoreState
}
