package model

import (
	"fmt"
	"strings"
)

// finish completes the system call t is in: it returns to user mode with
// ret and err. The return to user mode runs get_signal first, so a task
// that has SIGKILL pending now never runs user code again.
func (k *Kernel) finish(t TaskID, ret int32, err Errno) {
	tk := k.mtask(t)
	if tk.Frame.Path == KCgroupWrite {
		k.dropIter(t)
	}
	tk.Frame = Frame{Path: KUser, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	tk.Ret, tk.Err = ret, err
	if tk.Stopped && tk.Cgroup != NoCgroup {
		k.cgroupUpdateFrozen(tk.Cgroup) // it now stops for real: do_signal_stop
	}
	if k.tracing {
		if err != OK {
			k.notef("returns -%s", err)
		} else {
			k.notef("returns %d", ret)
		}
	}
}

// InKernel reports whether t is inside a kernel path (a system call or
// its exit) and so steps with Step.
func (k *Kernel) InKernel(t TaskID) bool {
	p := k.tasks[t].Frame.Path
	return p != KUser
}

// Done reports whether t will never take another step: it has finished
// exiting (zombie or released, final switch done) or it was never started.
func (k *Kernel) Done(t TaskID) bool {
	tk := k.rtask(t)
	if tk.Frame.Path == KExit {
		return tk.Frame.PC > exitFinalSwitch
	}
	return tk.Exit != ExitNone
}

// Runnable reports whether t can take a step now. Blocked tasks (in
// wait4 with nothing to reap, in pause with no signal, frozen, stopped,
// waiting for cgroup_mutex, or for cgroup_threadgroup_rwsem: a fork at
// cgroup_can_fork or an exit at exit_signals while a migration holds or
// awaits it for writing, a migration while forks hold it for reading) are
// not.
func (k *Kernel) Runnable(t TaskID) bool {
	tk := k.rtask(t)
	if k.Done(t) || tk.newTask {
		return false
	}
	if tk.Flags&PF_KTHREAD != 0 {
		return false
	}
	f := &tk.Frame
	fatal := k.FatalSignalPending(t) || k.groups[tk.Group].Flags&SIGNAL_GROUP_EXIT != 0
	switch f.Path {
	case KUser:
		if tk.Frozen {
			return fatal || !k.effectiveFreeze(tk.Cgroup)
		}
		if tk.Stopped {
			return fatal
		}
		return true
	case KPause:
		if tk.Frozen {
			return fatal || !k.effectiveFreeze(tk.Cgroup)
		}
		return k.signalWork(t)
	case KWait:
		if tk.Frozen {
			return fatal || !k.effectiveFreeze(tk.Cgroup)
		}
		if tk.trapFreeze || k.signalPending(t) {
			return true
		}
		if c, _ := k.stopReport(t, f.Arg, f.Flags); c != NoTask {
			return true
		}
		return (f.Flags&WEXITED != 0 && k.reapable(t, f.Arg, f.Flags) != NoTask) || !k.hasEligibleChild(t, f.Arg, f.Flags)
	case KFork:
		if f.PC == forkVforkWait {
			return fatal || k.tasks[f.Child].vforkParent == NoTask
		}
		if f.PC == forkCanFork {
			if f.Flags&CLONE_INTO_CGROUP != 0 && k.cgroupMutex != NoTask && k.cgroupMutex != t {
				return false
			}
			return k.tgWriter == NoTask
		}
		return true
	case KCgroupWrite:
		return k.cgroupWriteRunnable(t)
	case KExec:
		return k.execRunnable(t)
	case KOOM:
		return k.oomRunnable(t)
	case KCoredump:
		// coredump_wait: wait_for_completion_state(TASK_UNINTERRUPTIBLE),
		// so a SIGKILL does not end it early.
		return k.groups[tk.Group].coreWaiters == 0
	case KExit:
		switch f.PC {
		case exitCoreWait:
			return !k.groups[tk.Group].CoreState
		case exitSignals:
			return !k.threadgroupChangeBlocked()
		case zapWait:
			return k.reapable(t, -1, WALL) != NoTask || !k.hasEligibleChild(t, -1, WALL)
		case zapDrain:
			return k.ns[tk.NS].Allocated == k.initPids(t)
		}
		return true
	}
	return false
}

// threadgroupChangeBlocked reports whether cgroup_threadgroup_change_begin
// (percpu_down_read of cgroup_threadgroup_rwsem: exit_signals, and fork
// before cgroup_can_fork) sleeps now: a migration holds the rwsem for
// writing or waits for its readers to drain (a pending percpu-rwsem writer
// blocks new readers).
func (k *Kernel) threadgroupChangeBlocked() bool { return k.tgWriter != NoTask }

// NeedsKernelStep reports whether t's next step is a kernel step (it is in
// a kernel path, or it must go through get_signal or leave the freezer
// before running user code). Otherwise its next step is user code.
func (k *Kernel) NeedsKernelStep(t TaskID) bool {
	tk := k.rtask(t)
	return tk.Frame.Path != KUser || k.signalWork(t) || tk.Frozen || tk.Stopped || tk.handlerExit
}

// Step runs one kernel step of t. Precondition: Runnable(t) and
// NeedsKernelStep(t).
func (k *Kernel) Step(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	// Leaving the freezer: thawed, or woken by a fatal signal.
	if tk.Frozen && (f.Path == KUser || f.Path == KPause || f.Path == KWait) {
		fatal := k.FatalSignalPending(t) || k.groups[tk.Group].Flags&SIGNAL_GROUP_EXIT != 0
		if !fatal {
			k.begin(t, "cgroup_leave_frozen")
			tk.Frozen = false
			tk.trapFreeze = false
			k.cgroupUpdateFrozen(tk.Cgroup)
			return
		}
	}
	switch f.Path {
	case KUser, KPause:
		if k.signalWork(t) {
			k.getSignal(t)
			return
		}
		if tk.Stopped {
			return
		}
		if tk.handlerExit {
			// Back in user mode with nothing to deliver: the handler
			// runs and calls exit_group(0).
			tk.handlerExit = false
			k.ExitGroup(t, 0)
			if k.tracing {
				k.notef("%s's handler called exit_group(0)", k.Describe(t))
			}
		}
	case KWait:
		if k.signalWork(t) {
			if k.signalPending(t) {
				k.finish(t, -1, EINTR) // -ERESTARTSYS, seen as EINTR here
			}
			k.getSignal(t)
			return
		}
		k.stepWait(t)
	case KFork:
		k.stepFork(t)
	case KExit:
		k.stepExit(t)
	case KCgroupWrite:
		k.stepCgroupWrite(t)
	case KExec:
		k.stepExec(t)
	case KOOM:
		k.stepOOM(t)
	case KCoredump:
		k.stepCoredump(t)
	}
}

// Pause is pause(2): sleep until a signal is delivered.
func (k *Kernel) Pause(t TaskID) {
	k.begin(t, "sys_pause")
	k.mtask(t).Frame = Frame{Path: KPause, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
}

// Kill is kill(2) (kill_something_info). pid > 0 is resolved in the
// caller's pid namespace: group_send_sig_info(sig, SI_USER, task,
// PIDTYPE_TGID). pid 0 is the caller's process group and -N process group
// N (__kill_pgrp_info: every member, PIDTYPE_PGID; ESRCH if it has none);
// -1 is every process whose pid the caller sees above 1, the caller's own
// excepted (PIDTYPE_MAX; ESRCH if there is none). sig 0 only checks.
func (k *Kernel) Kill(t TaskID, pid int32, sig Signal) {
	k.begin(t, "kill_pid_info")
	if sig < 0 || sig >= NSIG || pid == -1<<31 {
		k.finish(t, -1, EINVAL) // valid_signal; INT_MIN cannot be negated
		return
	}
	if pid <= 0 {
		// kill_something_info, under tasklist_lock: -1 is every process
		// but init and the caller's own; 0 the caller's process group;
		// -N the process group N.
		var err Errno
		switch {
		case pid == -1:
			k.begin(t, "kill_something_info")
			err = k.killAll(t, sig)
		case pid == 0:
			k.begin(t, "__kill_pgrp_info")
			err = k.killPgrp(t, k.groups[k.tasks[t].Group].Pgid, sig)
		default:
			k.begin(t, "__kill_pgrp_info")
			err = k.killPgrp(t, k.findPidOwner(t, -pid), sig)
		}
		if err != OK {
			k.finish(t, -1, err)
		} else {
			k.finish(t, 0, OK)
		}
		return
	}
	v := k.FindTask(k.tasks[t].NS, pid)
	if v == NoTask {
		k.finish(t, -1, ESRCH)
		return
	}
	if sig != 0 {
		k.sendSignal(sig, infoUser, v, true, t)
	}
	k.finish(t, 0, OK)
}

// UnsharePidNS is unshare(CLONE_NEWPID): only pid_ns_for_children changes
// (copy_pid_ns: EINVAL if it already differs from the active namespace).
func (k *Kernel) UnsharePidNS(t TaskID) {
	k.begin(t, "unshare")
	tk := k.rtask(t)
	if tk.PidNSForChildren != tk.NS {
		k.finish(t, -1, EINVAL)
		return
	}
	ns, err := k.newPidNS(tk.NS)
	if err != OK {
		k.finish(t, -1, err)
		return
	}
	k.mtask(t).PidNSForChildren = ns
	if k.tracing {
		k.notef("pid_ns_for_children = new pid ns %d (level %d)", ns, k.ns[ns].Level)
	}
	k.finish(t, 0, OK)
}

// Setns is setns(fd, CLONE_NEWPID) → pidns_install: the target must be the
// caller's active namespace or a descendant (EINVAL otherwise).
func (k *Kernel) Setns(t TaskID, ns NSID) {
	k.begin(t, "pidns_install")
	tk := k.mtask(t)
	if ns < 0 || int(ns) >= len(k.ns) || !k.IsAncestorNS(tk.NS, ns) {
		k.finish(t, -1, EINVAL)
		return
	}
	tk.PidNSForChildren = ns
	k.finish(t, 0, OK)
}

// SetChildSubreaper is prctl(PR_SET_CHILD_SUBREAPER, 1): is_child_subreaper,
// propagated as has_child_subreaper to existing descendants.
func (k *Kernel) SetChildSubreaper(t TaskID) {
	k.begin(t, "prctl")
	g := k.mgroup(k.tasks[t].Group)
	g.IsChildSubreaper = true
	// walk_process_tree: the children of every thread of each process.
	var walk func(p TaskID)
	walk = func(p TaskID) {
		g := k.mgroup(k.tasks[p].Group)
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			for c := k.tasks[th].childHead; c != NoTask; c = k.tasks[c].sibNext {
				cg := k.mgroup(k.tasks[c].Group)
				if !cg.HasChildSubreaper {
					cg.HasChildSubreaper = true
					walk(c)
				}
			}
		}
	}
	walk(t)
	k.finish(t, 0, OK)
}

// Sigaction is rt_sigaction(sig, disp): EINVAL for SIGKILL and SIGSTOP.
// Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards the
// pending instances (do_sigaction's flush).
func (k *Kernel) Sigaction(t TaskID, sig Signal, d Disposition, noCldWait bool) {
	k.begin(t, "do_sigaction")
	if sig <= 0 || sig >= NSIG || sigKernelOnly(sig) {
		k.finish(t, -1, EINVAL)
		return
	}
	g := k.mgroup(k.tasks[t].Group)
	g.setAction(sig, d)
	if sig == SIGCHLD {
		g.NoCldWait = noCldWait
	}
	if d == SigIgnore || (d == SigDefault && sigKernelIgnore.Has(sig)) {
		g.Shared = g.Shared.Without(sig)
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			k.mtask(th).Pending = k.tasks[th].Pending.Without(sig)
		}
	}
	if k.tracing {
		k.notef("%s action %s", sig, d)
	}
	k.finish(t, 0, OK)
}

// Describe names a task for traces: "T3[pid 5/1]" with its pid at every
// level of its namespace chain, root first.
func (k *Kernel) Describe(t TaskID) string {
	if t == NoTask {
		return "none"
	}
	tk := k.rtask(t)
	if tk.NS == NoNS {
		return fmt.Sprintf("T%d", t)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "T%d[pid ", t)
	for i, n := range k.Pids(t) {
		if i > 0 {
			b.WriteByte('/')
		}
		fmt.Fprintf(&b, "%d", n)
	}
	b.WriteByte(']')
	return b.String()
}

// ---- Setup: building the initial machine of a scenario. ----

// SetupInit creates the global init: pid 1 of init_pid_ns in the root
// cgroup, with no parent (its parent would be the idle task).
func (k *Kernel) SetupInit(user UserRegs) TaskID {
	t := TaskID(len(k.tasks))
	k.tasks = append(k.tasks, Task{
		Group: GroupID(len(k.groups)), Parent: NoTask, childHead: NoTask, childTail: NoTask,
		sibNext: NoTask, sibPrev: NoTask, thrNext: NoTask, thrPrev: NoTask,
		Cset: NoCset, Cgroup: NoCgroup, cgNext: NoTask, cgPrev: NoTask, ExitSignal: SIGCHLD, execHeir: NoTask, vforkParent: NoTask,
		Frame: Frame{Path: KUser, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset},
		User:  user, NS: NoNS,
	})
	// The global init leads its session and process group, as an init
	// does once it has called setsid() (pid 1's, not init_struct_pid's).
	k.groups = append(k.groups, Group{Leader: t, threadHead: t, threadTail: t, Live: 1, NrThreads: 1, Flags: SIGNAL_UNKILLABLE,
		Pgid: t, Sid: t, SessionLeader: true})
	if err := k.allocPid(t, RootNS); err != OK {
		panic("SetupInit: " + err.String())
	}
	k.mtask(t).pidAttached = true
	k.mtask(t).PidNSForChildren = RootNS
	k.mns(RootNS).ChildReaper = t
	k.getCset(InitCset)
	k.cgLink(t, InitCset)
	k.nrThreads++
	return t
}

// SetupKthread creates a kernel thread (a child of kthreadd): PF_KTHREAD,
// every signal ignored (ignore_signals), in the root cgroup. Movable
// kthreads (unbound, ready) can be written to cgroup.procs; others have
// PF_NO_SETAFFINITY and cgroup.procs writes of them fail with EINVAL.
func (k *Kernel) SetupKthread(movable bool) TaskID {
	t := TaskID(len(k.tasks))
	flags := PF_KTHREAD
	if !movable {
		flags |= PF_NO_SETAFFINITY
	}
	k.tasks = append(k.tasks, Task{
		Flags: flags, Group: GroupID(len(k.groups)), Parent: NoTask, childHead: NoTask, childTail: NoTask,
		sibNext: NoTask, sibPrev: NoTask, thrNext: NoTask, thrPrev: NoTask,
		Cset: NoCset, Cgroup: NoCgroup, cgNext: NoTask, cgPrev: NoTask, ExitSignal: SIGCHLD, execHeir: NoTask, vforkParent: NoTask,
		Frame: Frame{Path: KIdle, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}, NS: NoNS,
	})
	g := Group{Leader: t, threadHead: t, threadTail: t, Live: 1, NrThreads: 1, Pgid: NoTask, Sid: NoTask}
	g.ign = ^Sigset(0)
	k.groups = append(k.groups, g)
	if err := k.allocPid(t, RootNS); err != OK {
		panic("SetupKthread: " + err.String())
	}
	k.mtask(t).pidAttached = true
	k.mtask(t).PidNSForChildren = RootNS
	k.getCset(InitCset)
	k.cgLink(t, InitCset)
	k.nrThreads++
	return t
}

// SetupFork runs a whole fork of parent to completion, with no other task
// interleaving, and returns the child (or the errno). Scenario setup uses
// it so that the initial machine is built by the same code paths. The
// parent's own state (a call it is blocked in) is preserved.
func (k *Kernel) SetupFork(parent TaskID, a CloneArgs) (TaskID, Errno) {
	var child TaskID
	_, err := k.SetupCall(parent, func() {
		k.Fork(parent, a)
	})
	child = k.lastChild
	if err != OK {
		return NoTask, err
	}
	return child, OK
}

// SetupCall runs a system call of t to completion at setup time (call
// issues it; nothing interleaves) and restores t's frame and last result
// afterwards, so that setup does not disturb the call t is blocked in.
func (k *Kernel) SetupCall(t TaskID, call func()) (int32, Errno) {
	saved := k.tasks[t].Frame
	ret, err := k.tasks[t].Ret, k.tasks[t].Err
	var r int32
	var e Errno
	call()
	if k.tasks[t].Frame.Path == KFork {
		for k.tasks[t].Frame.Path == KFork {
			if !k.Runnable(t) {
				r, e = -1, EBUSY
				break
			}
			k.stepFork(t)
		}
		if e == OK {
			r, e = k.tasks[t].Ret, k.tasks[t].Err
		}
	} else {
		r, e = k.SetupRun(t)
	}
	tk := k.mtask(t)
	tk.Frame, tk.Ret, tk.Err = saved, ret, err
	return r, e
}

// SetupRun runs t's current kernel path to completion with nothing
// interleaving (for setup-time system calls) and returns its result.
func (k *Kernel) SetupRun(t TaskID) (int32, Errno) {
	for k.tasks[t].Frame.Path != KUser {
		if !k.Runnable(t) {
			return -1, EBUSY
		}
		k.Step(t)
	}
	return k.tasks[t].Ret, k.tasks[t].Err
}

// SetupMoveV1 places t's whole thread group in the cgroups of the v1
// hierarchies named v1 (an opaque name: "" is the root of each), as a
// write of t's pid to a v1 cgroup.procs file does (__cgroup1_procs_write
// → cgroup_attach_task → find_css_set(old css_set, v1 cgroup)): each
// thread moves to the css_set with the same v2 cgroup and the new v1
// cgroups, created at the tail of its v2 cgroup's cset_links if there is
// none, which is what decides the order css_task_iter walks them in. It
// is for setup only: nothing interleaves. EINVAL for a kernel thread (the
// model keeps them in init_css_set) or a task that has started exiting.
func (k *Kernel) SetupMoveV1(t TaskID, v1 string) Errno {
	tk := k.rtask(t)
	if tk.Flags&PF_KTHREAD != 0 || tk.Group == NoGroup || !k.Alive(t) {
		return EINVAL
	}
	idx := k.V1Index(v1)
	for _, th := range k.Threads(t) {
		x := k.rtask(th)
		if x.Flags&PF_EXITING != 0 || x.cgList != onTasks || k.csets[x.Cset].V1 == idx {
			continue
		}
		k.cgMove(th, idx, x.Cgroup)
	}
	return OK
}

// SetUser replaces t's user registers (the program interpreter's state).
func (k *Kernel) SetUser(t TaskID, u UserRegs) { k.mtask(t).User = u }

// SetUserFlag sets user register R[1] (the interpreter's call state).
func (k *Kernel) SetUserFlag(t TaskID, v int32) { k.mtask(t).User.R[1] = v }

// UserStep records a user-mode step that makes no system call.
func (k *Kernel) UserStep(t TaskID, what string) {
	k.begin(t, "user")
	if k.tracing {
		k.notef("%s", what)
	}
}

// FailCall completes a system call that fails before entering the kernel
// proper (for example a pid the caller cannot name).
func (k *Kernel) FailCall(t TaskID, fn string, err Errno) {
	k.begin(t, fn)
	k.finish(t, -1, err)
}

// ReturnCall completes, in one step, a system call whose work the caller
// did without changing kernel state (getdents64 of a cgroup directory).
func (k *Kernel) ReturnCall(t TaskID, fn string, ret int32) {
	k.begin(t, fn)
	k.finish(t, ret, OK)
}

// PidfdOpen is pidfd_open(pid, 0) with pid in the caller's namespace. The
// model returns the pinned task's id as the "file descriptor": a pidfd
// pins the struct pid, so it names that process for ever, even after the
// number is freed and reused (pidfd_open → pidfd_create). ESRCH if no
// process has the number; ENOENT if it names a thread that is not a
// thread-group leader (no PIDFD_THREAD): pidfd_prepare reports
// !pid_has_task(pid, PIDTYPE_TGID) so since 6.15 ("pidfd: improve uapi
// when task isn't found"; EINVAL before), as the pidfd_info selftest
// thread_group asserts and docs/kernel-probes.md Q-pidfd shows on 6.18.
func (k *Kernel) PidfdOpen(t TaskID, pid int32) {
	k.begin(t, "pidfd_open")
	if pid <= 0 {
		k.finish(t, -1, EINVAL)
		return
	}
	v := k.FindTask(k.tasks[t].NS, pid)
	switch {
	case v == NoTask:
		k.finish(t, -1, ESRCH)
	case !k.IsLeader(v):
		k.finish(t, -1, ENOENT)
	default:
		k.finish(t, int32(v), OK)
	}
}

// PidfdReadable reports whether a pidfd of t polls readable (pidfd_poll,
// fs/pidfs.c): once t is released (the struct pid has no task), or once
// it is a zombie that is not a delay_group_leader. So a pidfd of a
// process becomes readable when the whole thread group has exited and the
// process can be reaped (do_notify_pidfd, called from do_notify_parent
// when exit_notify or the last thread's release_task notifies the parent),
// not when its leader alone exits while other threads run. For a thread
// that is not a leader (a PIDFD_THREAD pidfd) it is readable once the
// thread has exited (exit_notify releases it at once).
func (k *Kernel) PidfdReadable(t TaskID) bool {
	// The pidfd pins a struct pid, which exec moves between tasks
	// (pidfdTask): the old leader's pid goes to the thread that exec'd.
	t = k.pidfdTask(t)
	switch tk := k.rtask(t); tk.Exit {
	case ExitDead:
		return true
	case ExitZombie:
		return !k.IsLeader(t) || k.threadGroupEmpty(t)
	}
	return false
}

// PidfdSendSignal is pidfd_send_signal(pidfd, sig, NULL, 0) for a pidfd of
// the thread group led by v: group delivery as kill(2) does
// (kill_pid_info_type with PIDTYPE_TGID). Once the pinned pid has been
// released (release_task), the pidfd names no task: ESRCH, never another
// process that got the number since.
func (k *Kernel) PidfdSendSignal(t, v TaskID, sig Signal) { k.PidfdSendSignalFlags(t, v, sig, 0) }

// PidfdSendSignalFlags is pidfd_send_signal(pidfd, sig, NULL, flags) for
// a pidfd of the process led by v: at most one of PIDFD_SIGNAL_THREAD (the
// task itself, PIDTYPE_PID), PIDFD_SIGNAL_THREAD_GROUP (the default for a
// process's pidfd) and PIDFD_SIGNAL_PROCESS_GROUP (kill_pgrp_info on the
// pidfd's pid: the process group whose id it is, ESRCH if it has no
// member), else EINVAL.
func (k *Kernel) PidfdSendSignalFlags(t, v TaskID, sig Signal, flags uint32) {
	k.begin(t, "pidfd_send_signal")
	all := PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP
	// The pidfd pins the struct pid, which a thread that exec'd took over
	// from the leader it pinned (transfer_pid in de_thread); a thread's
	// tid pidfd goes to the old leader (exchange_tids).
	v = k.pidfdTask(v)
	if v < 0 || int(v) >= len(k.tasks) || sig < 0 || sig >= NSIG || flags&^all != 0 || flags&(flags-1) != 0 {
		k.finish(t, -1, EINVAL)
		return
	}
	if flags == PIDFD_SIGNAL_PROCESS_GROUP {
		// The struct pid may outlive its task as a process group's id.
		if !k.pidHeld(v) {
			k.finish(t, -1, ESRCH)
			return
		}
		if err := k.killPgrp(t, v, sig); err != OK {
			k.finish(t, -1, err)
			return
		}
		k.finish(t, 0, OK)
		return
	}
	if k.tasks[v].Exit == ExitDead || !k.tasks[v].pidAttached {
		k.finish(t, -1, ESRCH)
		return
	}
	if sig != 0 {
		k.sendSignal(sig, infoUser, v, flags != PIDFD_SIGNAL_THREAD, t)
	}
	k.finish(t, 0, OK)
}

// Threads returns the threads of t's group, leader first, in list order.
func (k *Kernel) Threads(t TaskID) []TaskID {
	var out []TaskID
	g := k.rgroup(k.tasks[t].Group)
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		out = append(out, th)
	}
	return out
}

var stepNames = map[KPath][]string{
	KFork: {"copy_process: flag and signal checks", "copy_process: alloc_pid", "cgroup_can_fork",
		"copy_process: re-checks and commit", "cgroup_post_fork", "wait_for_vfork_done"},
	KCgroupWrite: {"waiting for cgroup_mutex", "cgroup_attach_lock (threadgroup rwsem), then cgroup_attach_task",
		"__cgroup_kill: set CGRP_KILL / kill_seq++", "css_task_iter_start", "css_task_iter_next",
		"send_sig(SIGKILL)", "__cgroup_kill: clear CGRP_KILL, next cgroup"},
	KExit: {"coredump_task_exit: asleep until the core dump is finished", "exit_signals", "cgroup_exit", "exit_notify", "zap_pid_ns_processes: disable_pid_allocation",
		"zap_pid_ns_processes: SIGKILL every pid", "zap_pid_ns_processes: kernel_wait4 loop",
		"zap_pid_ns_processes: wait for pid_allocated == init_pids", "zap (2007): terminating = 1",
		"zap (2007): kill_proc one pid a step", "exit_notify: reparent, zombie, notify", "final context switch"},
	KWait: {"do_wait"}, KPause: {"sys_pause"}, KIdle: {"kthread idle"},
	KExec: {"de_thread: zap_other_threads", "de_thread: wait for the other threads", "de_thread: wait for the old leader, take over its pid"},
	KOOM: {"mem_cgroup_out_of_memory: oom_lock, select_bad_process", "oom_kill_process: the victim and its oom group",
		"css_task_iter_start (oom group walk)", "css_task_iter_next (oom group walk)", "oom_kill_memcg_member"},
	KCoredump: {"vfs_coredump: the dump and coredump_finish (after coredump_wait)"},
}

// StepName describes, in kernel terms, the step t takes next ("user" in
// user mode; "TASK_NEW" for a child not yet woken by wake_up_new_task).
// It is for explanations; the step table is not kept in the machine state.
func (k *Kernel) StepName(t TaskID) string {
	tk := k.rtask(t)
	if tk.newTask {
		return "TASK_NEW (not yet woken by wake_up_new_task)"
	}
	f := &tk.Frame
	if f.Path == KUser {
		return "user"
	}
	if names := stepNames[f.Path]; int(f.PC) < len(names) {
		return names[f.PC]
	}
	return fmt.Sprintf("%s step %d", f.Path, f.PC)
}
