package model

// Clone flags (include/uapi/linux/sched.h).
const (
	CLONE_VM            uint32 = 0x00000100
	CLONE_VFORK         uint32 = 0x00004000
	CLONE_SIGHAND       uint32 = 0x00000800
	CLONE_PARENT        uint32 = 0x00008000
	CLONE_THREAD        uint32 = 0x00010000
	CLONE_NEWPID        uint32 = 0x20000000
	CLONE_INTO_CGROUP64 uint64 = 0x200000000
	// CLONE_INTO_CGROUP is clone3's bit 33; the model keeps clone flags in
	// 32 bits and uses this stand-in bit, which no clone flag uses.
	CLONE_INTO_CGROUP uint32 = 0x00000001
	// CLONE_CLEAR_SIGHAND is clone3's bit 32 (5.5+): the child's handlers
	// are reset to SIG_DFL (ignored signals stay ignored). A stand-in bit
	// as for CLONE_INTO_CGROUP.
	CLONE_CLEAR_SIGHAND uint32 = 0x00000002
)

// CloneArgs are the arguments of a fork/clone/clone3 call.
type CloneArgs struct {
	Flags uint32
	// Cgroup is clone3's cgroup fd target (with CLONE_INTO_CGROUP).
	Cgroup CgroupID
	// ChildUser is the user state the child starts with (for fork(), the
	// parent's state with the "child" return path; for a thread, its entry).
	ChildUser UserRegs
	// SetTid is clone3's set_tid array (5.5+): the pid the child must get
	// in its own namespace, then in its parent namespace, and so on; empty
	// for a free choice. The model keeps MaxSetTid levels.
	SetTid []int32
	// ExitSignal is clone3's exit_signal when HasExitSignal: the signal
	// the child's death sends its parent (0: none). A value outside
	// 0..64 stands for one clone3_args_valid refuses (EINVAL).
	ExitSignal    int64
	HasExitSignal bool
}

// MaxSetTid is how many levels of clone3's set_tid the model keeps (the
// kernel takes up to MAX_PID_NS_LEVEL, 32).
const MaxSetTid = 2

// Fork steps. The step boundaries are where copy_process/kernel_clone
// drop every lock a concurrent cgroup.kill, migration or zap takes
// (reference kernel-semantics.md 2.1 and 9).
const (
	forkStart     = iota // flag checks, early signal check (step 1–3)
	forkAlloc            // dup_task_struct … alloc_pid (4–7)
	forkCanFork          // cgroup_can_fork (8): may sleep for cgroup_mutex or the threadgroup rwsem
	forkCommit           // tasklist_lock + siglock: re-checks and commit (10–11)
	forkPost             // cgroup_post_fork, wake_up_new_task (12–13)
	forkVforkWait        // CLONE_VFORK: wait_for_vfork_done until the child execs or exits (killable)
)

// Fork starts fork/clone for t. The first step runs at once.
func (k *Kernel) Fork(t TaskID, a CloneArgs) {
	tk := k.mtask(t)
	tk.Frame = Frame{Path: KFork, PC: forkStart, Flags: a.Flags, Cg: a.Cgroup, Child: NoTask, Cset: NoCset, Dcset: NoCset}
	tk.Frame.setChildUser(a.ChildUser)
	if len(a.SetTid) > MaxSetTid {
		// clone3_args_valid refuses more than MAX_PID_NS_LEVEL; the
		// model keeps fewer.
		tk.Frame.Path = KUser
		k.FailCall(t, "clone3", EINVAL)
		return
	}
	copy(tk.Frame.SetTid[:], a.SetTid)
	if a.HasExitSignal {
		// clone3_args_valid: exit_signal must fit CSIGNAL and be a valid
		// signal, and CLONE_THREAD and CLONE_PARENT take none.
		if a.ExitSignal < 0 || a.ExitSignal >= int64(NSIG) ||
			a.Flags&(CLONE_THREAD|CLONE_PARENT) != 0 && a.ExitSignal != 0 {
			tk.Frame.Path = KUser
			k.FailCall(t, "clone3", EINVAL)
			return
		}
		tk.Frame.ExitSig = int32(a.ExitSignal) + 1
	}
	k.stepFork(t)
}

func (k *Kernel) stepFork(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	switch f.PC {
	case forkStart:
		k.begin(t, "copy_process")
		g := k.rgroup(tk.Group)
		fl := f.Flags
		switch {
		case fl&CLONE_THREAD != 0 && fl&CLONE_SIGHAND == 0,
			fl&CLONE_SIGHAND != 0 && fl&CLONE_VM == 0,
			// copy_process: a shared sighand cannot be cleared.
			fl&CLONE_SIGHAND != 0 && fl&CLONE_CLEAR_SIGHAND != 0,
			fl&CLONE_PARENT != 0 && g.Flags&SIGNAL_UNKILLABLE != 0,
			fl&CLONE_THREAD != 0 && fl&CLONE_NEWPID != 0,
			fl&CLONE_THREAD != 0 && tk.PidNSForChildren != tk.NS:
			k.forkFail(t, EINVAL)
			return
		case fl&CLONE_INTO_CGROUP != 0 && (f.Cg == NoCgroup || int(f.Cg) >= len(k.cgroups)):
			k.forkFail(t, EBADF)
			return
		}
		// The early signal check: any pending signal restarts the fork
		// after it has been handled (ERESTARTNOINTR); a fatal one kills.
		if k.signalPending(t) {
			k.forkFail(t, ERESTARTNOINTR)
			return
		}
		if k.nrThreads >= k.Opts.ThreadsMax {
			k.forkFail(t, EAGAIN)
			return
		}
		f.PC = forkAlloc
		if k.tracing {
			k.notef("flags %s", cloneFlagsString(fl))
		}
		k.stepFork(t)
	case forkAlloc:
		k.forkAllocStep(t)
	case forkCanFork:
		k.begin(t, "cgroup_can_fork")
		k.forkCanForkStep(t)
	case forkCommit:
		k.forkCommitStep(t)
	case forkPost:
		k.forkPostStep(t)
	case forkVforkWait:
		// complete_vfork_done ran (the child exec'd or is exiting), or a
		// fatal signal ended the killable wait (vfork_done = NULL): the
		// call returns the child's pid either way; a killed parent dies
		// on its way back to user mode.
		k.begin(t, "wait_for_vfork_done")
		tk := k.mtask(t)
		c := tk.Frame.Child
		k.mtask(c).vforkParent = NoTask
		// cgroup_leave_frozen(false): in a freezing cgroup the task stays
		// frozen, with JOBCTL_TRAP_FREEZE, and goes into the freezer trap
		// on its way back; elsewhere it stops counting as frozen.
		if tk.Cgroup != NoCgroup && k.effectiveFreeze(tk.Cgroup) && !k.FatalSignalPending(t) {
			tk.trapFreeze = true
		} else {
			tk.Frozen = false
			if tk.Cgroup != NoCgroup {
				k.cgroupUpdateFrozen(tk.Cgroup)
			}
		}
		// kernel_clone took nr = pid_vnr(pid) before the wait; upids
		// keep the child's numbers after it is released.
		k.finish(t, k.PidIn(c, tk.NS), OK)
	}
}

// vforkReleased is complete_vfork_done: the vfork child released its mm
// (exec_mm_release or exit_mm); its parent's wait ends.
func (k *Kernel) vforkReleased(c TaskID) {
	p := k.tasks[c].vforkParent
	if p == NoTask {
		return
	}
	k.mtask(c).vforkParent = NoTask
	if k.tracing {
		k.notef("complete_vfork_done: %s may return", k.Describe(p))
	}
}

// forkAllocStep runs dup_task_struct, cgroup_fork, copy_namespaces and
// alloc_pid (steps 3–7), then cgroup_can_fork in the same step unless it
// must sleep: a CLONE_INTO_CGROUP fork waits for cgroup_mutex, every
// fork waits while a migration holds or waits for the threadgroup rwsem.
// A fork asleep there already holds its pid (alloc_pid comes first in
// copy_process), which a zapping init's drain waits for.
func (k *Kernel) forkAllocStep(t TaskID) {
	k.begin(t, "copy_process")
	tk := k.mtask(t)
	f := &tk.Frame
	fl := f.Flags
	// dup_task_struct + cgroup_fork: the child exists but is on no css_set list.
	child := TaskID(len(k.tasks))
	k.tasks = append(k.tasks, Task{
		Group: NoGroup, Parent: NoTask, childHead: NoTask, childTail: NoTask,
		sibNext: NoTask, sibPrev: NoTask, thrNext: NoTask, thrPrev: NoTask,
		Cset: NoCset, Cgroup: NoCgroup, cgNext: NoTask, cgPrev: NoTask, ExitSignal: SIGCHLD, NS: NoNS, PidNSForChildren: NoNS, execHeir: NoTask, vforkParent: NoTask,
		Exit:  ExitDead, // not yet a task anyone can see; commit makes it live
		Frame: Frame{Path: KUser, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset},
	})
	tk = k.mtask(t)
	f = &tk.Frame
	f.Child = child
	// copy_namespaces → copy_pid_ns → create_pid_namespace.
	ns := tk.PidNSForChildren
	if fl&CLONE_NEWPID != 0 {
		if tk.PidNSForChildren != tk.NS {
			k.forkCancel(t, EINVAL)
			return
		}
		nns, err := k.newPidNS(ns)
		if err != OK {
			k.forkCancel(t, err)
			return
		}
		ns = nns
		tk = k.mtask(t)
		f = &tk.Frame
	}
	if err := k.allocPidSetTid(child, ns, f.SetTid); err != OK {
		if err == ENOMEM {
			k.Cover |= CovForkENOMEMDeadNS
		}
		k.forkCancel(t, err)
		return
	}
	tk = k.mtask(t)
	f = &tk.Frame
	if k.tracing {
		k.notef("alloc_pid: child T%d gets pid %v (not yet attached)", child, k.Pids(child))
	}
	f.PC = forkCanFork
	if !k.Runnable(t) {
		if k.tracing {
			k.notef("cgroup_can_fork sleeps (cgroup_mutex or cgroup_threadgroup_rwsem)")
		}
		return
	}
	k.forkCanForkStep(t)
}

// forkCanForkStep is cgroup_can_fork → cgroup_css_set_fork (step 8):
// cgroup_mutex for CLONE_INTO_CGROUP, the threadgroup rwsem for reading,
// kargs->cset and the kill_seq snapshot, the destination checks and the
// pids charge.
func (k *Kernel) forkCanForkStep(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	fl := f.Flags
	if fl&CLONE_INTO_CGROUP != 0 {
		k.cgroupMutex = t // cgroup_lock() in cgroup_css_set_fork
		f.holdsMutex = true
	}
	dst := tk.Cgroup
	if fl&CLONE_INTO_CGROUP != 0 {
		dst = f.Cg
		dc := k.rcgroup(dst)
		switch {
		case !dc.Online:
			// css_tryget_online_from_dir fails for a removed cgroup:
			// ENOENT, confirmed on 6.18 (kernel-probes.md Q6,
			// clone3_into_removed_cgroup_fd).
			k.forkCancel(t, ENOENT)
			return
		case !k.IsValidDomain(dc.DomCgrp):
			k.forkCancel(t, EOPNOTSUPP)
			return
		case dst != RootCG && !k.canBeThreadRoot(dst) && !dc.Threaded && dc.SubtreeControl != 0:
			k.forkCancel(t, EBUSY)
			return
		case fl&CLONE_THREAD != 0 && dc.DomCgrp != k.cgroups[tk.Cgroup].DomCgrp:
			k.forkCancel(t, EOPNOTSUPP)
			return
		}
	}
	k.tgReaders++ // cgroup_threadgroup_change_begin(current)
	f.holdsRwsem = true
	// kargs->cset: the parent's css_set for a plain fork or a thread (the
	// child goes to the tail of its tasks list in cgroup_post_fork), or
	// find_css_set(parent's css_set, dst) for CLONE_INTO_CGROUP.
	if fl&CLONE_INTO_CGROUP != 0 {
		f.Cset = k.findCssSet(k.csets[tk.Cset].V1, dst)
		tk = k.mtask(t)
		f = &tk.Frame
	} else {
		f.Cset = tk.Cset
		k.getCset(f.Cset)
	}
	switch k.Opts.Kill {
	case KillSeq, KillAtomic:
		f.Seq = k.cgroups[dst].KillSeq
	case KillSeqIntoCgroupBug:
		f.Seq = k.cgroups[tk.Cgroup].KillSeq // parent's cgroup: the bug
	}
	if over := k.pidsTryCharge(dst); over != NoCgroup {
		if k.tracing {
			k.notef("pids_can_fork: %s over pids.max", k.Path(over))
		}
		k.forkCancel(t, EAGAIN)
		return
	}
	f.Cg = dst
	if k.tracing && k.Opts.Kill != KillFlag {
		k.notef("cgroup_can_fork: kill_seq snapshot %d of %s", f.Seq, k.Path(snapCg(k, t, dst)))
	}
	f.PC = forkCommit
}

func snapCg(k *Kernel, t TaskID, dst CgroupID) CgroupID {
	if k.Opts.Kill == KillSeqIntoCgroupBug {
		return k.tasks[t].Cgroup
	}
	return dst
}

// forkCommitStep is steps 10–11 under tasklist_lock and siglock: the
// PIDNS_ADDING and fatal-signal re-checks, then the commit that makes the
// child visible to kill(2), wait and the zap walk — but not yet to any
// css_set iterator.
func (k *Kernel) forkCommitStep(t TaskID) {
	k.begin(t, "copy_process")
	tk := k.mtask(t)
	f := &tk.Frame
	child := f.Child
	ck := k.mtask(child)
	if k.Opts.Zap == ZapCurrent && !k.ns[ck.NS].Adding {
		k.Cover |= CovForkENOMEMDeadNS
		k.forkCancel(t, ENOMEM)
		return
	}
	if k.FatalSignalPending(t) {
		k.Cover |= CovForkEINTR
		k.forkCancel(t, EINTR)
		return
	}
	fl := f.Flags
	parent := t
	exitSig := SIGCHLD
	if f.ExitSig != 0 {
		exitSig = Signal(f.ExitSig - 1) // clone3's exit_signal
	}
	if fl&(CLONE_PARENT|CLONE_THREAD) != 0 {
		parent = tk.Parent
		if fl&CLONE_THREAD != 0 {
			exitSig = -1
		} else {
			exitSig = k.tasks[k.groups[tk.Group].Leader].ExitSignal
		}
	}
	ck.Parent = parent
	ck.ExitSignal = exitSig
	ck.Exit = ExitNone
	ck.pidAttached = true
	ck.PidNSForChildren = ck.NS
	ck.Flags = PF_FORKNOEXEC
	ck.User = f.childUser()
	ck.Blocked = tk.Blocked // dup_task_struct copies the blocked mask
	if ck.User.Prog == tk.User.Prog {
		// The child's copy of the parent's memory holds its variables:
		// the named registers (a thread gets its own copy too, as the
		// interpreter's registers are per thread).
		ck.User.N = tk.User.N
	}
	ck.Frame = Frame{Path: KUser, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	ck.newTask = true
	if fl&CLONE_THREAD != 0 {
		ck.Group = tk.Group
		g := k.mgroup(tk.Group)
		ck.thrPrev = g.threadTail
		k.mtask(g.threadTail).thrNext = child
		g.threadTail = child
		g.NrThreads++
		g.Live++
	} else {
		pg := k.mgroup(tk.Group)
		// has_child_subreaper comes from the real parent (CLONE_PARENT: the
		// caller's parent), the dispositions from the caller.
		rg := pg
		if parent != NoTask {
			rg = k.rgroup(k.tasks[parent].Group)
		}
		ng := Group{
			Leader: child, threadHead: child, threadTail: child, Live: 1, NrThreads: 1,
			ign: pg.ign, hnd: pg.hnd, hndExit: pg.hndExit, NoCldWait: pg.NoCldWait, OomScoreAdj: pg.OomScoreAdj, CoreUnlimited: pg.CoreUnlimited,
			HasChildSubreaper: rg.HasChildSubreaper || rg.IsChildSubreaper,
			// init_task_pid(p, PIDTYPE_PGID, task_pgrp(current)), and the
			// session likewise; shared_pending = delayed.signal: process
			// group and broadcast signals that came in during the fork.
			Pgid: pg.Pgid, Sid: pg.Sid, Shared: f.Delayed,
		}
		if fl&CLONE_CLEAR_SIGHAND != 0 {
			// copy_sighand → flush_signal_handlers(p, 0): every handler
			// back to SIG_DFL, SIG_IGN kept.
			ng.hnd, ng.hndExit = 0, 0
		}
		k.groups = append(k.groups, ng)
		ck = k.mtask(child)
		ck.Group = GroupID(len(k.groups) - 1)
		// is_child_reaper(pid): pid 1 of its namespace.
		if k.upids[ck.pidOff+int32(ck.Level)] == 1 {
			k.mns(ck.NS).ChildReaper = child
			k.mgroup(ck.Group).Flags |= SIGNAL_UNKILLABLE
			k.mgroup(ck.Group).HasChildSubreaper = false
		}
		k.addChild(parent, child)
	}
	k.nrThreads++
	if k.tracing {
		k.notef("T%d committed: %s, parent %s", child, k.Describe(child), k.Describe(parent))
	}
	f.PC = forkPost
}

// CgroupOf is the cgroup t belongs to, or, for a child between
// copy_process's commit and cgroup_post_fork (its pid is visible, it is on
// no css_set list yet), the cgroup it is being forked into.
func (k *Kernel) CgroupOf(t TaskID) CgroupID {
	if c := k.tasks[t].Cgroup; c != NoCgroup {
		return c
	}
	for p := range k.tasks {
		if f := &k.rtask(TaskID(p)).Frame; f.Path == KFork && f.Child == t {
			return f.Cg
		}
	}
	return NoCgroup
}

// forkPostStep is cgroup_post_fork (link into the css_set, the kill and
// freeze decisions, SIGKILL to the child) and wake_up_new_task.
func (k *Kernel) forkPostStep(t TaskID) {
	k.begin(t, "cgroup_post_fork")
	tk := k.mtask(t)
	f := &tk.Frame
	child := f.Child
	dst := f.Cg
	cs := f.Cset
	f.Cset = NoCset // the reference passes to the child
	k.cgLinkUpdate(child, cs, !k.effectiveFreeze(dst))
	dc := k.rcgroup(dst)
	kill := false
	switch k.Opts.Kill {
	case KillFlag:
		kill = dc.KillFlag
	case KillSeq, KillSeqIntoCgroupBug, KillAtomic:
		kill = f.Seq != dc.KillSeq
	}
	if k.Opts.PostForkKillIfParentKilled && k.FatalSignalPending(t) {
		kill = true
	}
	if k.walkPassed(cs) {
		k.Cover |= CovPostForkAfterKillWalk
	}
	if k.oomWalkPassed(cs) {
		k.Cover |= CovPostForkAfterOOMWalk
	}
	if k.effectiveFreeze(dst) {
		k.mtask(child).trapFreeze = true
	}
	if k.tracing {
		k.notef("T%d linked into %s, tail of %s (kill_seq %d, CGRP_KILL %v): kill=%v", child, k.Path(dst), k.CsetName(cs), dc.KillSeq, dc.KillFlag, kill)
	}
	if kill {
		k.Cover |= CovPostForkKilledChild
		if f.Flags&CLONE_INTO_CGROUP != 0 {
			k.Cover |= CovPostForkKilledIntoCgroup
		}
		k.sendSignal(SIGKILL, infoNoInfo, child, true, t)
	}
	k.tgReaders--
	f.holdsRwsem = false
	if f.holdsMutex {
		k.cgroupMutex = NoTask
		f.holdsMutex = false
	}
	// The 2007 patch's do_fork check: a child created in a terminating
	// namespace gets a private SIGKILL.
	ck := k.mtask(child)
	if k.Opts.Zap == Zap2007 && k.ns[ck.NS].Terminating {
		ck.Pending = ck.Pending.With(SIGKILL)
		if k.tracing {
			k.notef("do_fork: namespace terminating, SIGKILL to T%d", child)
		}
	}
	ck.newTask = false // wake_up_new_task
	k.lastChild = child
	if f.Flags&CLONE_VFORK != 0 {
		// wait_for_vfork_done: the parent sleeps (TASK_KILLABLE) until the
		// child releases the mm; cgroup_enter_frozen makes it count as
		// frozen meanwhile, so a freezing cgroup can freeze around it.
		ck.vforkParent = t
		f.PC = forkVforkWait
		tk.Frozen = true
		if tk.Cgroup != NoCgroup {
			k.cgroupUpdateFrozen(tk.Cgroup)
		}
		if k.tracing {
			k.notef("vfork: %s waits for its child", k.Describe(t))
		}
		return
	}
	k.finish(t, k.PidIn(child, tk.NS), OK)
}

// walkPassed reports whether a cgroup.kill walk that covers css_set cs
// (cs is on the cset_links of the cgroup being walked, or is one of its
// threaded css_sets) has started and will not reach cs's tasks list
// again: the iterator has left cs, or is on its dying list, or the walk
// has ended. A task linked at the tail of cs now is never yielded.
func (k *Kernel) walkPassed(cs CsetID) bool {
	x := k.rcset(cs)
	for _, it := range k.iters {
		f := k.tasks[it].Frame // a copy: the look-ahead below must not move it
		if f.Path != KCgroupWrite || (f.PC != killIterate && f.PC != killSignal && f.PC != killClear) {
			continue
		}
		if x.Cgroup != f.Cur && k.csets[x.DomCset].Cgroup != f.Cur {
			continue
		}
		if f.Cset == cs && f.iterList == onTasks {
			continue
		}
		ahead := false
		for f.iterList != onNoList && !ahead {
			k.iterAdvanceCset(&f, IterProcs|IterThreaded, false)
			ahead = f.iterList != onNoList && f.Cset == cs
		}
		if !ahead {
			return true
		}
	}
	return false
}

// forkFail ends the fork before anything was allocated.
func (k *Kernel) forkFail(t TaskID, err Errno) {
	if k.tracing {
		k.notef("fork fails: %s", err)
	}
	k.finish(t, -1, err)
}

// forkCancel undoes a fork after the child was allocated
// (copy_process's bad_fork_* cleanup and cgroup_cancel_fork): free the
// child's pid if it has one, uncharge pids if charged, drop the locks.
func (k *Kernel) forkCancel(t TaskID, err Errno) {
	f := &k.mtask(t).Frame
	child := f.Child
	if child != NoTask && k.tasks[child].NS != NoNS {
		k.freePid(child)
	}
	// The child never became visible. If it is the newest task slot, give
	// the slot (and its pid numbers) back, so that a task retrying a
	// failing fork does not grow the machine state step after step.
	if child != NoTask && int(child) == len(k.tasks)-1 {
		// Mark the slot given back: a later fork in this step could fill
		// it again, at an index the parent has (dirty.go).
		k.mtask(child)
		ck := k.rtask(child)
		if ck.NS != NoNS && int(ck.pidOff)+int(ck.Level)+1 == len(k.upids) {
			k.upids = k.upids[:ck.pidOff:ck.pidOff] // capped: clones may share the array
		}
		k.tasks = k.tasks[:child]
		f = &k.mtask(t).Frame
		f.Child = NoTask
	}
	if f.PC == forkCommit {
		k.pidsUncharge(f.Cg)
	}
	if f.Cset != NoCset {
		k.putCset(f.Cset) // cgroup_cancel_fork → cgroup_css_set_put_fork
		f = &k.mtask(t).Frame
		f.Cset = NoCset
	}
	if f.holdsRwsem {
		k.tgReaders--
		f.holdsRwsem = false
	}
	if f.holdsMutex {
		k.cgroupMutex = NoTask
		f.holdsMutex = false
	}
	k.forkFail(t, err)
}

// addChild puts child at the tail of parent's children list.
func (k *Kernel) addChild(parent, child TaskID) {
	p := k.mtask(parent)
	c := k.mtask(child)
	c.Parent = parent
	c.sibPrev, c.sibNext = p.childTail, NoTask
	if p.childTail != NoTask {
		k.mtask(p.childTail).sibNext = child
	} else {
		p.childHead = child
	}
	p.childTail = child
}

// removeChild unlinks child from its parent's children list.
func (k *Kernel) removeChild(child TaskID) {
	c := k.mtask(child)
	p := k.mtask(c.Parent)
	if c.sibPrev != NoTask {
		k.mtask(c.sibPrev).sibNext = c.sibNext
	} else {
		p.childHead = c.sibNext
	}
	if c.sibNext != NoTask {
		k.mtask(c.sibNext).sibPrev = c.sibPrev
	} else {
		p.childTail = c.sibPrev
	}
	c.sibNext, c.sibPrev = NoTask, NoTask
}

// ChildrenOf returns t's children in list order.
func (k *Kernel) ChildrenOf(t TaskID) []TaskID {
	var out []TaskID
	for c := k.tasks[t].childHead; c != NoTask; c = k.tasks[c].sibNext {
		out = append(out, c)
	}
	return out
}

func cloneFlagsString(fl uint32) string {
	names := []struct {
		f uint32
		n string
	}{{CLONE_VM, "CLONE_VM"}, {CLONE_SIGHAND, "CLONE_SIGHAND"}, {CLONE_VFORK, "CLONE_VFORK"}, {CLONE_PARENT, "CLONE_PARENT"},
		{CLONE_THREAD, "CLONE_THREAD"}, {CLONE_NEWPID, "CLONE_NEWPID"}, {CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"},
		{CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"}}
	s := ""
	for _, n := range names {
		if fl&n.f != 0 {
			if s != "" {
				s += "|"
			}
			s += n.n
		}
	}
	if s == "" {
		return "0"
	}
	return s
}

// ForkPastCanFork reports whether t is in a fork that has passed
// cgroup_can_fork (its kill_seq snapshot is taken), or has completed a
// fork (it has a child).
func (k *Kernel) ForkPastCanFork(t TaskID) bool {
	f := &k.rtask(t).Frame
	if f.Path == KFork && f.PC >= forkCommit {
		return true
	}
	return k.tasks[t].childHead != NoTask
}

// ForkCommitted reports whether t is in a fork whose child is committed
// (visible to kill, wait and the zap walk) but not yet linked into its
// cgroup by cgroup_post_fork: the window no css_set iterator can see.
func (k *Kernel) ForkCommitted(t TaskID) bool {
	f := &k.rtask(t).Frame
	return f.Path == KFork && f.PC == forkPost
}
