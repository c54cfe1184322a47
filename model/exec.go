package model

// This file is execve(2)'s part that matters for process lifetime:
// de_thread() (fs/exec.c, 6.18), which makes the calling thread the only
// thread of its group before the new program starts. A thread other than
// the leader that execs kills every other thread (zap_other_threads: a
// private SIGKILL each, the leader's included), waits for them, then
// takes over the leader's pid and its place in the parent's children
// (exchange_tids, transfer_pid), and releases the old leader. Until then
// it is not the group leader, so a css_task_iter with
// CSS_TASK_ITER_PROCS (cgroup.kill, cgroup.procs) never yields it, while
// __cgroup_kill skips the zapped leader (SIGKILL already pending) or
// signals its zombie, which reaches no other thread (probe Q2).

// Exec steps.
const (
	execDeThread    = iota // lock siglock: EAGAIN or group_exec_task + zap_other_threads
	execWaitThreads        // TASK_KILLABLE until the other threads (but the leader) are released
	execWaitLeader         // tasklist_lock: wait for the old leader's exit_state, then take over
)

// Exec is execve(2) by t of program prog (whatever the program
// interpreter makes of it): de_thread, then the new program starts at its
// first instruction with fresh registers. The first step runs at once.
// On success nothing returns to the old program (the result is not a
// system call return); on failure the call returns EAGAIN, which it does
// when another group exit or exec is in progress or when t is killed
// while it waits, and the pending SIGKILL then ends t.
func (k *Kernel) Exec(t TaskID, prog int32) {
	k.begin(t, "de_thread")
	tk := k.mtask(t)
	tk.Frame = Frame{Path: KExec, PC: execDeThread, Arg: prog, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	k.stepExec(t)
}

func (k *Kernel) stepExec(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	g := k.mgroup(tk.Group)
	switch f.PC {
	case execDeThread:
		k.begin(t, "de_thread")
		if k.threadGroupEmpty(t) {
			k.execFinish(t)
			return
		}
		if g.Flags&SIGNAL_GROUP_EXIT != 0 || g.GroupExec {
			// Another group action in progress: return so that the
			// signal is processed.
			k.finish(t, -1, EAGAIN)
			return
		}
		g.GroupExec = true
		n := k.zapOtherThreads(t)
		if k.tracing {
			k.notef("group_exec_task = %s; zap_other_threads: SIGKILL to %d thread(s)", k.Describe(t), n)
		}
		f.PC = execWaitThreads
		if k.Runnable(t) {
			k.stepExec(t)
		}
	case execWaitThreads:
		k.begin(t, "de_thread")
		// while (sig->notify_count): the count is checked first, the
		// fatal signal only after a sleep.
		if !k.otherThreadsReleased(t) {
			k.execKilled(t) // Runnable woke it for a fatal signal
			return
		}
		if !k.IsLeader(t) {
			f.PC = execWaitLeader
			if k.Runnable(t) {
				k.stepExec(t)
			}
			return
		}
		k.execFinish(t)
	case execWaitLeader:
		k.begin(t, "de_thread")
		// cgroup_threadgroup_change_begin + write_lock_irq(&tasklist_lock)
		// (Runnable waits for a pending migration to let go), then: the
		// old leader is a zombie, take over; else the sleep was ended by
		// a fatal signal.
		if k.tasks[g.Leader].Exit == ExitNone {
			k.execKilled(t)
			return
		}
		k.execTakeOver(t)
		k.execFinish(t)
	}
}

// otherThreadsReleased is de_thread's notify_count == 0: every other
// thread but a leader that is not t has been released (__exit_signal
// counts them down; zap_other_threads counted them).
func (k *Kernel) otherThreadsReleased(t TaskID) bool {
	n := int32(1)
	if !k.IsLeader(t) {
		n = 2
	}
	return k.groups[k.tasks[t].Group].NrThreads == n
}

// execRunnable is the wake-up condition of each exec step.
func (k *Kernel) execRunnable(t TaskID) bool {
	tk := k.rtask(t)
	fatal := k.FatalSignalPending(t)
	switch tk.Frame.PC {
	case execWaitThreads:
		return fatal || k.otherThreadsReleased(t)
	case execWaitLeader:
		// The loop takes cgroup_threadgroup_change_begin first: a
		// pending migration holds it off (TASK_KILLABLE only in the
		// schedule() between tries).
		if k.threadgroupChangeBlocked() {
			return false
		}
		return fatal || k.tasks[k.groups[tk.Group].Leader].Exit != ExitNone
	}
	return true
}

// zapOtherThreads is zap_other_threads(t): SIGKILL on the private pending
// set of every other thread that has not exited (jobctl cleared, group
// stop cancelled); it returns the count of other threads.
func (k *Kernel) zapOtherThreads(t TaskID) int {
	g := k.mgroup(k.tasks[t].Group)
	n := 0
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if th == t {
			continue
		}
		n++
		tk := k.mtask(th)
		if tk.Exit != ExitNone {
			continue
		}
		tk.Pending = tk.Pending.With(SIGKILL)
		if tk.Stopped {
			tk.Stopped = false // signal_wake_up(t, 1)
			if tk.Cgroup != NoCgroup {
				k.cgroupUpdateFrozen(tk.Cgroup)
			}
		}
	}
	g.Flags &^= SIGNAL_STOP_STOPPED
	return n
}

// execKilled is de_thread's killed: label.
func (k *Kernel) execKilled(t TaskID) {
	k.mgroup(k.tasks[t].Group).GroupExec = false
	if k.tracing {
		k.notef("de_thread: fatal signal, group_exec_task cleared")
	}
	k.finish(t, -1, EAGAIN)
}

// execTakeOver is the rest of de_thread for a thread that is not the
// leader, under tasklist_lock with the old leader a zombie: exchange_tids
// and transfer_pid (t gets the leader's pid numbers, the old leader t's),
// t takes the leader's place in the parent's children (list_replace_init
// of sibling), becomes group_leader with exit_signal SIGCHLD, and the old
// leader, now EXIT_DEAD with exit_signal -1, is released (release_task,
// which the kernel calls right after dropping tasklist_lock: nothing
// observes the state in between but a kill(2) of t's old tid, which
// would still reach the group).
func (k *Kernel) execTakeOver(t TaskID) {
	tk := k.mtask(t)
	g := k.mgroup(tk.Group)
	l := g.Leader
	lk := k.mtask(l)
	// exchange_tids + transfer_pid(PIDTYPE_TGID/PGID/SID).
	for lv := int8(0); lv <= tk.Level; lv++ {
		ns := k.mns(k.nsAt(tk.NS, lv))
		ns.idrInsert(k.upids[lk.pidOff+int32(lv)], t)
		ns.idrInsert(k.upids[tk.pidOff+int32(lv)], l)
	}
	tk.pidOff, lk.pidOff = lk.pidOff, tk.pidOff
	if ns := k.mns(tk.NS); ns.ChildReaper == l {
		ns.ChildReaper = t
	}
	// The struct pid of the old leader, some processes' group or session
	// perhaps, now belongs to t.
	for i := range k.groups {
		og := k.mgroup(GroupID(i))
		if og.Pgid == l {
			og.Pgid = t
		}
		if og.Sid == l {
			og.Sid = t
		}
	}
	// list_replace_init(&leader->sibling, &tsk->sibling).
	p := lk.Parent
	tk.Parent = p
	tk.sibPrev, tk.sibNext = lk.sibPrev, lk.sibNext
	if p != NoTask {
		pk := k.mtask(p)
		if lk.sibPrev != NoTask {
			k.mtask(lk.sibPrev).sibNext = t
		} else {
			pk.childHead = t
		}
		if lk.sibNext != NoTask {
			k.mtask(lk.sibNext).sibPrev = t
		} else {
			pk.childTail = t
		}
	}
	lk.sibPrev, lk.sibNext = NoTask, NoTask
	g.Leader = t
	tk.ExitSignal = SIGCHLD
	lk.ExitSignal = -1
	lk.execHeir = t
	if k.tracing {
		k.notef("%s takes over the pid of its old leader T%d and becomes the leader", k.Describe(t), l)
	}
	lk.Exit = ExitDead
	k.releaseTask(l)
}

// execFinish is the end of de_thread (group_exec_task = NULL) and the
// start of the new program: flush_signal_handlers (handlers become
// SIG_DFL, SIG_IGN stays), exit_signal SIGCHLD, the new program at its
// first instruction.
func (k *Kernel) execFinish(t TaskID) {
	tk := k.mtask(t)
	g := k.mgroup(tk.Group)
	g.GroupExec = false
	g.hnd, g.hndExit = 0, 0
	tk.ExitSignal = SIGCHLD
	tk.Flags &^= PF_FORKNOEXEC
	k.vforkReleased(t) // exec_mm_release → complete_vfork_done
	prog := tk.Frame.Arg
	tk.Frame = Frame{Path: KUser, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	tk.User = UserRegs{Prog: prog}
	tk.Ret, tk.Err = 0, OK
	if k.tracing {
		k.notef("%s runs its new program", k.Describe(t))
	}
}

// ExecHeir is the task that took over t's pid when another thread of t's
// group exec'd (de_thread), or NoTask: a pidfd of the old leader now
// refers to it.
func (k *Kernel) ExecHeir(t TaskID) TaskID { return k.tasks[t].execHeir }

// PidHolder is the task that holds t's pid now: t, or, after threads of
// its group exec'd (de_thread's transfer_pid), the last of them to take
// the pid over. A pidfd, and a program that kept t's pid number, refer to
// it.
func (k *Kernel) PidHolder(t TaskID) TaskID {
	for k.tasks[t].Exit == ExitDead && k.tasks[t].execHeir != NoTask {
		t = k.tasks[t].execHeir
	}
	return t
}
