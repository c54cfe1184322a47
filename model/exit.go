package model

// Exit steps (do_exit in kernel/exit.c). The zap of a dying namespace
// init runs inside exit_notify → forget_original_parent →
// find_child_reaper, as steps of the exiting init.
const (
	exitCoreWait    = iota // coredump_task_exit(): asleep until the group's core dump is finished
	exitSignals            // exit_signals(): PF_EXITING under the threadgroup rwsem (read), signal->live--
	exitCgroup             // cgroup_exit() (populated=at-exit)
	exitNotify             // exit_notify(): find_child_reaper, maybe the zap
	zapStart               // zap (current, v3.3): disable_pid_allocation (current only), SIGCHLD ignored
	zapKill                // zap (current, v3.3): SIGKILL every pid under tasklist_lock
	zapWait                // zap (current, v3.3): kernel_wait4 until ECHILD
	zapDrain               // zap (current): sleep until pid_allocated == init_pids (not in v3.3)
	zap07Start             // zap (2007): terminating = 1
	zap07Kill              // zap (2007): kill_proc(nr, SIGKILL, 1), one number a step
	exitNotifyRest         // exit_notify after find_child_reaper: reparent, zombie, notify
	exitFinalSwitch        // do_task_dead(): final switch (populated=at-final-switch unlink)
)

// Wait flags.
const (
	WNOHANG uint32 = 0x00000001
	WALL    uint32 = 0x40000000 // __WALL
	// WEXITED and WNOWAIT are waitid(2)'s: wait for children that have
	// exited (wait4 implies it), and leave the child a zombie after
	// reporting it (wait_task_zombie's WNOWAIT path).
	WEXITED uint32 = 0x00000004
	WNOWAIT uint32 = 0x01000000
	// WSTOPPED (wait4's WUNTRACED) and WCONTINUED report a child's group
	// stop and its end by SIGCONT.
	WSTOPPED   uint32 = 0x00000002
	WCONTINUED uint32 = 0x00000008
)

// startExit is the entry of do_exit(code) for t: synchronize_group_exit,
// coredump_task_exit (5.16+: before anything is torn down; a thread of a
// group that is dumping core sleeps there until the dump is finished),
// then the exit steps, starting with exit_signals.
func (k *Kernel) startExit(t TaskID, code int32) {
	k.synchronizeGroupExit(t, code)
	tk := k.mtask(t)
	// Leaving another path (a wait, a pause) abandons it; a fork in flight
	// cannot be here (its steps run to completion first).
	tk.Frame = Frame{Path: KExit, PC: exitSignals, Arg: code, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	if k.Opts.Coredump == CoredumpCurrent && k.coredumpTaskExit(t) {
		tk.Frame.PC, tk.Frame.Arg3 = exitCoreWait, exitSignals
	}
}

// synchronizeGroupExit is synchronize_group_exit() (kernel/exit.c, 6.0+),
// the first thing do_exit does, under siglock: signal->quick_threads--,
// and the last thread of the group to enter do_exit sets
// SIGNAL_GROUP_EXIT with its own code as group_exit_code (and
// group_stop_count = 0) unless a group exit is already under way. So a
// process whose threads all leave with exit(2) reports the code of the
// last one (wait_task_zombie), not the leader's. quick_threads is not
// kept as state: it counts the threads of the group that have not
// entered do_exit (committed by copy_process, which increments it
// together with signal->live), which the model reads off their frames:
// a task that entered do_exit stays on path KExit.
func (k *Kernel) synchronizeGroupExit(t TaskID, code int32) {
	g := k.mgroup(k.tasks[t].Group)
	if g.Flags&SIGNAL_GROUP_EXIT != 0 {
		return
	}
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if th != t && k.tasks[th].Frame.Path != KExit {
			return // quick_threads stays above 0
		}
	}
	g.Flags = SIGNAL_GROUP_EXIT // signal->flags = SIGNAL_GROUP_EXIT: the stop state goes too
	g.GroupExitCode = code
	if k.tracing {
		k.notef("synchronize_group_exit: last thread of its group: SIGNAL_GROUP_EXIT, group_exit_code %#x", code)
	}
}

// Exit is exit(2) of one thread: do_exit(status<<8).
func (k *Kernel) Exit(t TaskID, status int32) {
	k.begin(t, "do_exit")
	k.startExit(t, (status&0xff)<<8)
	k.enterExitSignals(t)
}

// ExitGroup is exit_group(2): do_group_exit(status<<8).
func (k *Kernel) ExitGroup(t TaskID, status int32) {
	k.begin(t, "do_group_exit")
	k.doGroupExit(t, (status&0xff)<<8)
	k.enterExitSignals(t)
}

// enterExitSignals runs exit_signals at once, in the step of the system
// call, unless it must sleep in cgroup_threadgroup_change_begin first.
func (k *Kernel) enterExitSignals(t TaskID) {
	if k.tasks[t].Frame.PC != exitSignals {
		return // asleep in coredump_task_exit
	}
	if k.threadgroupChangeBlocked() {
		if k.tracing {
			k.notef("exit_signals: cgroup_threadgroup_change_begin sleeps: T%d migrates (cgroup_threadgroup_rwsem held or awaited for writing)", k.tgWriter)
		}
		return
	}
	k.stepExit(t)
}

func (k *Kernel) stepExit(t TaskID) {
	tk := k.mtask(t)
	f := &tk.Frame
	switch f.PC {
	case exitCoreWait:
		if k.groups[tk.Group].CoreState {
			return // not runnable until coredump_finish
		}
		k.begin(t, "coredump_task_exit")
		f.PC = uint8(f.Arg3)
		if k.tracing {
			k.notef("%s woken by coredump_finish", k.Describe(t))
		}
		if f.PC == exitSignals && k.threadgroupChangeBlocked() {
			return
		}
		k.stepExit(t)
	case exitSignals:
		// exit_signals (kernel/signal.c) sets PF_EXITING between
		// cgroup_threadgroup_change_begin and _end: it holds
		// cgroup_threadgroup_rwsem for reading, so it waits while a
		// migration holds the rwsem for writing or waits for it
		// (Runnable); a migration never sees a thread start exiting.
		k.begin(t, "do_exit")
		tk.Flags |= PF_EXITING
		wasFrozen := tk.Frozen || tk.Stopped
		tk.trapFreeze = false
		tk.Frozen = false
		tk.Stopped = false
		if wasFrozen && tk.Cgroup != NoCgroup {
			k.cgroupUpdateFrozen(tk.Cgroup)
		}
		// exit_mm → mm_release → complete_vfork_done (the model's exit
		// teardown happens in this step).
		k.vforkReleased(t)
		tk = k.mtask(t)
		g := k.mgroup(tk.Group)
		g.Live--
		groupDead := g.Live == 0
		f.Arg2 = int32(b2i(groupDead))
		tk.ExitCode = f.Arg
		if groupDead && k.isGlobalInit(t) {
			// do_exit: group_exit_code ?: code.
			code := g.GroupExitCode
			if code == 0 {
				code = f.Arg
			}
			k.Panic = "Attempted to kill init! exitcode=" + itoa(int(code))
		}
		if k.tracing {
			k.notef("%s PF_EXITING (exit code %#x), signal->live %d", k.Describe(t), f.Arg, g.Live)
		}
		if k.Opts.Populated == PopulatedAtExit {
			f.PC = exitCgroup
		} else {
			f.PC = exitNotify
		}
		// ≤5.15: exit_mm → coredump_exit_mm, after PF_EXITING (the model's
		// teardown is in this step).
		if k.Opts.Coredump == CoredumpV515 && k.coredumpTaskExit(t) {
			f.PC, f.Arg3 = exitCoreWait, int32(f.PC)
		}
	case exitCgroup:
		k.begin(t, "cgroup_exit")
		k.cgroupExit(t)
		f.PC = exitNotify
	case exitNotify:
		k.begin(t, "exit_notify")
		ns := tk.NS
		if k.ns[ns].ChildReaper == t {
			if alive := k.findAliveThread(t); alive != NoTask {
				k.mns(ns).ChildReaper = alive
				if k.tracing {
					k.notef("find_child_reaper: T%d becomes child_reaper", alive)
				}
			} else if ns != RootNS {
				if k.tracing {
					k.notef("find_child_reaper: last thread of the init of pid ns %d exits: zap_pid_ns_processes", ns)
				}
				if k.Opts.Zap == Zap2007 {
					f.PC = zap07Start
				} else {
					f.PC = zapStart
				}
				k.coverInFlight(ns)
				k.stepExit(t)
				return
			}
		}
		k.exitNotifyRest(t)
	case zapStart:
		k.begin(t, "zap_pid_ns_processes")
		if k.Opts.Zap == ZapCurrent {
			k.disablePidAllocation(tk.NS)
			if k.tracing {
				k.notef("disable_pid_allocation(pid ns %d)", tk.NS)
			}
		}
		k.mgroup(tk.Group).setAction(SIGCHLD, SigIgnore)
		if k.tracing {
			k.notef("SIGCHLD set to SIG_IGN")
		}
		f.PC = zapKill
	case zapKill:
		k.begin(t, "zap_pid_ns_processes")
		for _, e := range k.ns[tk.NS].idr {
			if e.nr < 2 || e.task == NoTask || !k.tasks[e.task].pidAttached {
				continue
			}
			if k.FatalSignalPending(e.task) {
				continue
			}
			// current: group_send_sig_info(SIGKILL, SEND_SIG_PRIV, task,
			// PIDTYPE_MAX); v3.3: send_sig_info(SIGKILL, SEND_SIG_FORCED, task).
			k.sendSignal(SIGKILL, infoPriv, e.task, k.Opts.Zap == ZapCurrent, t)
		}
		f.PC = zapWait
	case zapWait:
		k.begin(t, "zap_pid_ns_processes")
		// kernel_wait4(-1, NULL, __WALL, NULL), with TIF_SIGPENDING cleared.
		if c := k.reapable(t, -1, WALL); c != NoTask {
			if k.tracing {
				k.notef("kernel_wait4 reaps %s", k.Describe(c))
			}
			k.releaseTask(c)
			return
		}
		if k.hasEligibleChild(t, -1, WALL) {
			return // blocked (Runnable is false until a child changes state)
		}
		if k.Opts.Zap == ZapV33 {
			// No drain: pids whose parent is outside stay behind.
			k.mns(tk.NS).ReaperToInit = true
			k.exitNotifyRest(t)
			return
		}
		f.PC = zapDrain
		k.stepExit(t)
	case zapDrain:
		k.begin(t, "zap_pid_ns_processes")
		if k.ns[tk.NS].Allocated != k.initPids(t) {
			return // blocked until free_pid wakes the reaper
		}
		if k.tracing {
			k.notef("pid ns %d drained: pid_allocated == init_pids", tk.NS)
		}
		k.exitNotifyRest(t)
	case zap07Start:
		k.begin(t, "zap_pid_ns_processes")
		k.mns(tk.NS).Terminating = true
		k.mns(tk.NS).ReaperToInit = true
		f.Seq = 1 // next_pidmap(pid_ns, 1)
		f.PC = zap07Kill
		if k.tracing {
			k.notef("pid ns %d terminating", tk.NS)
		}
	case zap07Kill:
		k.begin(t, "zap_pid_ns_processes")
		nr := k.nextPidmap(tk.NS, int32(f.Seq))
		if nr == 0 {
			// pid_ns->child_reaper = init_pid_ns.child_reaper: orphans of
			// the terminating namespace go to the global init (looked up
			// when they are orphaned, see exitNotifyRest).
			k.exitNotifyRest(t)
			return
		}
		f.Seq = uint32(nr)
		if v := k.FindTask(tk.NS, nr); v != NoTask {
			k.sendSignal(SIGKILL, infoPriv, v, true, t)
		} else if k.tracing {
			k.notef("kill_proc(%d): no task attached", nr)
		}
	case exitFinalSwitch:
		k.begin(t, "finish_task_switch")
		k.cgroupExit(t) // cgroup_task_dead()
		k.cgroupReleaseDying(t)
		f.PC = exitFinalSwitch + 1
		k.cgroupFree(t)
	}
}

// nextPidmap returns the smallest allocated number above nr in ns, or 0.
func (k *Kernel) nextPidmap(ns NSID, nr int32) int32 {
	for _, e := range k.ns[ns].idr {
		if e.nr > nr && e.task != NoTask {
			return e.nr
		}
	}
	return 0
}

// initPids is zap_pid_ns_processes' init_pids: 1 if the exiting reaper is
// its group's leader, 2 if it is another thread (the leader's pid is
// still allocated).
func (k *Kernel) initPids(t TaskID) int32 {
	if k.IsLeader(t) {
		return 1
	}
	return 2
}

// coverInFlight records a fork in flight into a namespace whose zap starts.
func (k *Kernel) coverInFlight(ns NSID) {
	for i := range k.tasks {
		f := &k.rtask(TaskID(i)).Frame
		if f.Path == KFork && f.Child != NoTask && f.PC >= forkCommit && k.tasks[f.Child].NS == ns {
			k.Cover |= CovZapInFlightFork
		}
	}
}

// cgroupExit is cgroup_exit(): unlink from the tasks list; a leader whose
// group is still live moves to dying_tasks.
func (k *Kernel) cgroupExit(t TaskID) {
	tk := k.rtask(t)
	if tk.cgList != onTasks {
		return
	}
	k.cgUnlink(t)
	if k.IsLeader(t) && k.groups[tk.Group].Live > 0 {
		k.cgAddDying(t)
	}
	if k.tracing {
		k.notef("%s leaves %s's tasks list", k.Describe(t), k.Path(tk.Cgroup))
	}
}

// cgroupReleaseDying is cgroup_release()'s list_del of a dying leader.
func (k *Kernel) cgroupReleaseDying(t TaskID) {
	if k.tasks[t].cgList == onDying && (k.tasks[t].Exit == ExitDead || k.groups[k.tasks[t].Group].Live == 0) {
		k.cgUnlink(t)
	}
}

// findAliveThread is find_alive_thread(): a thread of p's group without
// PF_EXITING.
func (k *Kernel) findAliveThread(p TaskID) TaskID {
	g := k.rgroup(k.tasks[p].Group)
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if k.tasks[th].Flags&PF_EXITING == 0 {
			return th
		}
	}
	return NoTask
}

// findNewReaper is find_new_reaper(father, child_reaper).
func (k *Kernel) findNewReaper(father, childReaper TaskID) TaskID {
	if th := k.findAliveThread(father); th != NoTask {
		return th
	}
	if k.groups[k.tasks[father].Group].HasChildSubreaper {
		level := k.tasks[father].Level
		for r := k.tasks[father].Parent; r != NoTask && k.tasks[r].Level == level; r = k.tasks[r].Parent {
			if !k.groups[k.tasks[r].Group].IsChildSubreaper {
				continue
			}
			if th := k.findAliveThread(r); th != NoTask {
				return th
			}
		}
	}
	return childReaper
}

// exitNotifyRest is exit_notify() after find_child_reaper: reparent the
// children (forget_original_parent), become a zombie, notify the parent,
// and release the task at once if it is autoreaped.
func (k *Kernel) exitNotifyRest(t TaskID) {
	k.begin(t, "exit_notify")
	tk := k.mtask(t)
	f := &tk.Frame
	reaper := k.ns[tk.NS].ChildReaper
	if k.ns[tk.NS].ReaperToInit {
		reaper = k.ns[RootNS].ChildReaper // child_reaper = init_pid_ns.child_reaper
	}
	var dead []TaskID
	if tk.childHead != NoTask {
		nr := k.findNewReaper(t, reaper)
		if nr == NoTask || nr == t {
			// Only possible for the root namespace's last task; the
			// children are left without a parent (the kernel would panic).
			nr = NoTask
		}
		sameGroup := nr != NoTask && k.tasks[nr].Group == tk.Group
		for c := tk.childHead; c != NoTask; {
			next := k.tasks[c].sibNext
			g := k.rgroup(k.tasks[c].Group)
			for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
				k.mtask(th).Parent = nr
			}
			k.mtask(c).Parent = nr
			if !sameGroup && nr != NoTask {
				// reparent_leader()
				ck := k.mtask(c)
				if ck.Exit != ExitDead {
					ck.ExitSignal = SIGCHLD
					if ck.Exit == ExitZombie && k.threadGroupEmpty(c) && k.doNotifyParent(c, ck.ExitSignal) {
						ck.Exit = ExitDead
						dead = append(dead, c)
					}
				}
			}
			if k.tracing {
				k.notef("%s reparented to %s", k.Describe(c), k.Describe(nr))
			}
			c = next
		}
		// list_splice_tail_init(&father->children, &reaper->children)
		for c := tk.childHead; c != NoTask; {
			next := k.tasks[c].sibNext
			k.mtask(c).sibNext, k.mtask(c).sibPrev = NoTask, NoTask
			if nr != NoTask {
				k.addChild(nr, c)
			}
			c = next
		}
		tk = k.mtask(t)
		tk.childHead, tk.childTail = NoTask, NoTask
	}
	tk = k.mtask(t)
	tk.Exit = ExitZombie
	autoreap := false
	if k.IsLeader(t) {
		autoreap = k.threadGroupEmpty(t) && k.doNotifyParent(t, tk.ExitSignal)
	} else {
		autoreap = true
	}
	if k.tracing {
		k.notef("%s is a zombie (autoreap %v)", k.Describe(t), autoreap)
	}
	if autoreap {
		tk.Exit = ExitDead
		dead = append(dead, t)
	}
	for _, d := range dead {
		k.releaseTask(d)
	}
	f = &k.mtask(t).Frame
	if k.Opts.Populated == PopulatedAtFinalSwitch {
		f.PC = exitFinalSwitch
	} else {
		f.PC = exitFinalSwitch + 1 // done: do_task_dead
		k.cgroupFree(t)
	}
}

// cgroupFree is cgroup_free(): a task_struct's last reference is gone, so
// its css_set reference goes too. The kernel frees a task_struct once it
// is released (release_task) and past its final context switch, an RCU
// grace period later; the model drops the reference at the later of the
// two, with no grace period.
func (k *Kernel) cgroupFree(t TaskID) {
	tk := k.mtask(t)
	if tk.Cset == NoCset || tk.Exit != ExitDead || (tk.Frame.Path == KExit && tk.Frame.PC <= exitFinalSwitch) {
		return
	}
	cs := tk.Cset
	tk.Cset = NoCset
	k.putCset(cs)
}

// threadGroupEmpty is thread_group_empty(): t's group has one thread left
// on its thread list.
func (k *Kernel) threadGroupEmpty(t TaskID) bool {
	g := k.rgroup(k.tasks[t].Group)
	return g.threadHead == g.threadTail
}

// doNotifyParent is do_notify_parent(tsk, sig): SIGCHLD to the parent
// unless it ignores SIGCHLD; reports whether tsk is autoreaped (the
// parent's SIGCHLD is SIG_IGN or has SA_NOCLDWAIT).
func (k *Kernel) doNotifyParent(t TaskID, sig Signal) bool {
	p := k.tasks[t].Parent
	if p == NoTask {
		return true
	}
	pg := k.rgroup(k.tasks[p].Group)
	autoreap := false
	if sig == SIGCHLD && (pg.Action(SIGCHLD) == SigIgnore || pg.NoCldWait) {
		autoreap = true
		if pg.Action(SIGCHLD) == SigIgnore {
			sig = 0
		}
	}
	if sig > 0 {
		k.sendSignal(sig, infoChild, p, true, t)
	}
	return autoreap
}

// releaseTask is release_task(): cgroup_release (pids uncharge, off the
// dying list), __exit_signal (off the thread list, off the parent's
// children for a leader), free_pid; then, if t was the last non-leader
// thread of a zombie leader, notify for the leader and release it too if
// it is autoreaped.
func (k *Kernel) releaseTask(t TaskID) {
	for t != NoTask {
		tk := k.mtask(t)
		tk.Exit = ExitDead
		k.pidsUncharge(tk.Cgroup)
		if tk.cgList == onDying {
			k.cgUnlink(t) // cgroup_release: off the dying list
		}
		k.cgroupFree(t)
		g := k.mgroup(tk.Group)
		// list_del_rcu(&p->thread_node)
		if tk.thrPrev != NoTask {
			k.mtask(tk.thrPrev).thrNext = tk.thrNext
		} else {
			g.threadHead = tk.thrNext
		}
		if tk.thrNext != NoTask {
			k.mtask(tk.thrNext).thrPrev = tk.thrPrev
		} else {
			g.threadTail = tk.thrPrev
		}
		tk.thrNext, tk.thrPrev = NoTask, NoTask
		g.NrThreads--
		k.nrThreads--
		leader := g.Leader
		if leader == t && tk.Parent != NoTask {
			k.removeChild(t)
		}
		k.releasePid(t)
		if k.tracing {
			k.notef("release_task %s", k.Describe(t))
		}
		next := NoTask
		if leader != t && k.threadGroupEmpty(leader) && k.tasks[leader].Exit == ExitZombie {
			if k.doNotifyParent(leader, k.tasks[leader].ExitSignal) {
				k.mtask(leader).Exit = ExitDead
				next = leader
			}
		}
		t = next
	}
}

// eligible is do_wait's eligible_child() for wait(pid, flags): pid -1 is
// any child; otherwise the child whose pid in the waiter's namespace is
// pid. Without __WALL only children with exit_signal SIGCHLD qualify.
func (k *Kernel) eligible(waiter, c TaskID, pid int32, flags uint32) bool {
	if pid > 0 && k.PidIn(c, k.tasks[waiter].NS) != pid {
		return false
	}
	return flags&WALL != 0 || k.tasks[c].ExitSignal == SIGCHLD
}

// forEachChild calls fn for the children of every thread of t's group
// (do_wait iterates over the waiter's threads) until fn returns true.
func (k *Kernel) forEachChild(t TaskID, fn func(TaskID) bool) {
	g := k.rgroup(k.tasks[t].Group)
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		for c := k.tasks[th].childHead; c != NoTask; c = k.tasks[c].sibNext {
			if fn(c) {
				return
			}
		}
	}
}

// reapable returns the first eligible zombie child wait can reap
// (wait_task_zombie; a leader with live threads is delayed).
func (k *Kernel) reapable(t TaskID, pid int32, flags uint32) TaskID {
	found := NoTask
	k.forEachChild(t, func(c TaskID) bool {
		if k.tasks[c].Exit == ExitZombie && k.threadGroupEmpty(c) && k.eligible(t, c, pid, flags) {
			found = c
			return true
		}
		return false
	})
	return found
}

func (k *Kernel) hasEligibleChild(t TaskID, pid int32, flags uint32) bool {
	found := false
	k.forEachChild(t, func(c TaskID) bool {
		found = k.eligible(t, c, pid, flags)
		return found
	})
	return found
}

// Wait starts wait4(pid, &status, flags) (kernel_wait4 adds WEXITED).
// The first step runs at once.
func (k *Kernel) Wait(t TaskID, pid int32, flags uint32) {
	k.wait(t, pid, flags|WEXITED)
}

func (k *Kernel) wait(t TaskID, pid int32, flags uint32) {
	k.mtask(t).Frame = Frame{Path: KWait, Arg: pid, Flags: flags, Child: NoTask, Cg: NoCgroup, Cur: NoCgroup, Iter: NoTask, Cset: NoCset, Dcset: NoCset}
	k.stepWait(t)
}

func (k *Kernel) stepWait(t TaskID) {
	k.begin(t, "do_wait")
	f := &k.rtask(t).Frame
	pid, flags := f.Arg, f.Flags
	if c := k.reapable(t, pid, flags); c != NoTask && flags&WEXITED != 0 {
		nr := k.PidIn(c, k.tasks[t].NS)
		// wait_task_zombie: a group that exited reports group_exit_code.
		status := k.tasks[c].ExitCode
		if g := k.rgroup(k.tasks[c].Group); g.Flags&SIGNAL_GROUP_EXIT != 0 {
			status = g.GroupExitCode
		}
		if flags&WNOWAIT != 0 {
			// wait_task_zombie with WNOWAIT: report the status and leave
			// the zombie for a later wait.
			if k.tracing {
				k.notef("reports %s (WNOWAIT), status %#x", k.Describe(c), status)
			}
			k.mtask(t).WaitStatus = status
			k.finish(t, nr, OK)
			return
		}
		if k.tracing {
			k.notef("reaps %s, status %#x", k.Describe(c), status)
		}
		k.releaseTask(c)
		k.mtask(t).WaitStatus = status
		k.finish(t, nr, OK)
		return
	}
	if c, status := k.stopReport(t, pid, flags); c != NoTask {
		k.reportStop(t, c, status, flags)
		return
	}
	if !k.hasEligibleChild(t, pid, flags) {
		k.finish(t, -1, ECHILD)
		return
	}
	if flags&WNOHANG != 0 {
		k.finish(t, 0, OK)
		return
	}
	if k.signalPending(t) {
		k.finish(t, -1, EINTR)
	}
	// else: sleep; Runnable is false until a child can be reaped.
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
