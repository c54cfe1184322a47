package model

// sigInfo says which siginfo a sender passes; it decides "force"
// (send_signal_locked in kernel/signal.c).
type sigInfo uint8

const (
	// infoNoInfo is SEND_SIG_NOINFO (cgroup.kill's send_sig, post_fork's
	// kill): forced when the sender has no pid in the target's namespace.
	infoNoInfo sigInfo = iota
	// infoPriv is SEND_SIG_PRIV (the namespace zap): always forced.
	infoPriv
	// infoUser is kill(2)'s SI_USER siginfo: forced, with si_pid zeroed,
	// when the sender is not visible in the target's namespace.
	infoUser
	// infoChild is do_notify_parent's SIGCHLD: never forced.
	infoChild
)

// isGlobalInit is is_global_init(): the thread group whose tgid is pid 1
// of init_pid_ns.
func (k *Kernel) isGlobalInit(t TaskID) bool {
	g := k.rgroup(k.tasks[t].Group)
	return k.tasks[g.Leader].Level >= 0 && k.tasks[g.Leader].NS == RootNS && k.PidIn(g.Leader, RootNS) == 1
}

// sigTaskIgnored is sig_task_ignored() (kernel/signal.c).
func (k *Kernel) sigTaskIgnored(t TaskID, sig Signal, force bool) bool {
	g := k.rgroup(k.tasks[t].Group)
	handler := g.Action(sig)
	if k.isGlobalInit(t) && sigKernelOnly(sig) {
		return true
	}
	if g.Flags&SIGNAL_UNKILLABLE != 0 && handler == SigDefault && !(force && sigKernelOnly(sig)) {
		return true
	}
	return handler == SigIgnore || (handler == SigDefault && sigKernelIgnore.Has(sig))
}

// pidType is enum pid_type: what a signal is sent to.
type pidType uint8

const (
	pidtypePID  pidType = iota // one task: the private pending set
	pidtypeTGID                // its thread group: the shared set
	pidtypePGID                // a member of a process group (kill(-pgid))
	pidtypeSID                 // a member of a session
	pidtypeMAX                 // kill(-1)'s broadcast
)

// sendSignal is sendSignalType with PIDTYPE_TGID (group) or PIDTYPE_PID.
func (k *Kernel) sendSignal(sig Signal, info sigInfo, t TaskID, group bool, sender TaskID) bool {
	typ := pidtypePID
	if group {
		typ = pidtypeTGID
	}
	return k.sendSignalType(sig, info, t, typ, sender)
}

// sendSignalType is send_signal_locked() → __send_signal_locked() →
// prepare_signal() → complete_signal() with pid type typ: PIDTYPE_PID
// queues on the task's private pending set, the others on its thread
// group's shared one; a signal sent to several processes at once (type
// above PIDTYPE_TGID) is also recorded in the forks the thread group has
// in flight (signal->multiprocess), so that their children get it too.
// It reports whether the signal was queued.
func (k *Kernel) sendSignalType(sig Signal, info sigInfo, t TaskID, typ pidType, sender TaskID) bool {
	group := typ != pidtypePID
	force := false
	switch info {
	case infoNoInfo, infoUser:
		force = sender == NoTask || k.PidIn(sender, k.tasks[t].NS) == 0
	case infoPriv:
		force = true
	}
	tk := k.mtask(t)
	g := k.mgroup(tk.Group)
	// prepare_signal(): a group exit drops every signal, except SIGKILL
	// while a core dump is under way ("if (signal->core_state) return sig
	// == SIGKILL"; ≤5.15 the same test on SIGNAL_GROUP_COREDUMP): the
	// SIGKILL goes on to complete_signal, which kills the group and so
	// interrupts the dump (dump_interrupted).
	if g.Flags&SIGNAL_GROUP_EXIT != 0 && !(g.CoreState && sig == SIGKILL) {
		if k.tracing {
			why := "group already exiting"
			if g.CoreState {
				why = "group dumping core: only SIGKILL passes prepare_signal"
			}
			k.notef("%s to %s dropped: %s", sig, k.Describe(t), why)
		}
		return false
	}
	if sigKernelStop.Has(sig) {
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			k.mtask(th).Pending = k.tasks[th].Pending.Without(SIGCONT)
		}
		g.Shared = g.Shared.Without(SIGCONT)
	} else if sig == SIGCONT {
		var stops Sigset
		for _, s := range []Signal{SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU} {
			stops = stops.With(s)
		}
		g.Shared &^= stops
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			k.mtask(th).Pending &^= stops
			k.mtask(th).Stopped = false
		}
		if g.Flags&SIGNAL_STOP_STOPPED != 0 {
			// prepare_signal: signal_set_stop_flags(signal, why |
			// SIGNAL_STOP_CONTINUED), group_exit_code = 0, for a
			// WCONTINUED wait to report (wait_task_continued).
			g.Flags |= SIGNAL_STOP_CONTINUED
			g.GroupExitCode = 0
		}
		g.Flags &^= SIGNAL_STOP_STOPPED
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			if c := k.tasks[th].Cgroup; c != NoCgroup {
				k.cgroupUpdateFrozen(c)
			}
		}
	}
	// sig_ignored: "Blocked signals are never ignored, since the signal
	// handler may change by the time it is unblocked."
	if !tk.Blocked.Has(sig) && k.sigTaskIgnored(t, sig, force) {
		if k.tracing {
			k.notef("%s to %s ignored (force=%v)", sig, k.Describe(t), force)
		}
		return false
	}
	// legacy_queue(): a non-RT signal already pending is not queued again.
	if group {
		if g.Shared.Has(sig) {
			return false
		}
		g.Shared = g.Shared.With(sig)
	} else {
		if tk.Pending.Has(sig) {
			return false
		}
		tk.Pending = tk.Pending.With(sig)
	}
	if k.tracing {
		set := "private"
		if group {
			set = "shared"
		}
		k.notef("%s queued on %s (%s, force=%v)", sig, k.Describe(t), set, force)
	}
	if typ > pidtypeTGID {
		k.delayForForks(sig, tk.Group)
	}
	k.completeSignal(sig, t, group)
	return true
}

// delayForForks is __send_signal_locked's "let multiprocess signals
// appear after on-going forks": every fork of group g between its early
// signal check and its commit (not CLONE_THREAD) adds sig to its delayed
// set (a SIGCONT cancels a stop signal and the other way round).
func (k *Kernel) delayForForks(sig Signal, g GroupID) {
	for i := range k.tasks {
		tk := k.mtask(TaskID(i))
		f := &tk.Frame
		if tk.Group != g || f.Path != KFork || f.PC < forkAlloc || f.PC > forkCommit || f.Flags&CLONE_THREAD != 0 {
			continue
		}
		if sig == SIGCONT {
			for _, s := range []Signal{SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU} {
				f.Delayed = f.Delayed.Without(s)
			}
		} else if sigKernelStop.Has(sig) {
			f.Delayed = f.Delayed.Without(SIGCONT)
		}
		f.Delayed = f.Delayed.With(sig)
		if k.tracing {
			k.notef("%s delayed for the child of %s's fork in flight", sig, k.Describe(TaskID(i)))
		}
	}
}

// wantsSignal is wants_signal() without the blocked mask (the model has no
// blocked signals) and without the "currently running" refinement.
func (k *Kernel) wantsSignal(sig Signal, t TaskID) bool {
	tk := k.rtask(t)
	if tk.Flags&PF_EXITING != 0 || tk.Exit != ExitNone {
		return false
	}
	if sig == SIGKILL {
		return true
	}
	if tk.Blocked.Has(sig) {
		return false
	}
	return !tk.Stopped
}

// sigFatal is sig_fatal(): the default action terminates the process.
func (k *Kernel) sigFatal(t TaskID, sig Signal) bool {
	g := k.rgroup(k.tasks[t].Group)
	return !(sigKernelIgnore | sigKernelStop).Has(sig) && g.Action(sig) == SigDefault
}

// sigKernelCoredump is SIG_KERNEL_COREDUMP_MASK: these take the slow path
// through get_signal (do_coredump, then do_group_exit).
var sigKernelCoredump = Sigset(0).With(SIGQUIT).With(SIGABRT).With(SIGSEGV).With(4).With(5).With(7).With(8).With(24).With(25).With(31)

// completeSignal is complete_signal(): find a thread that wants the
// signal; for PIDTYPE_PID delivery only the target itself qualifies. A
// fatal signal that is not a core-dumping one starts the group exit at
// once: SIGNAL_GROUP_EXIT and a private SIGKILL for every thread. That
// holds also while a core dump is under way ("signal->core_state ||
// !(signal->flags & SIGNAL_GROUP_EXIT)"): a SIGKILL that passed
// prepare_signal SIGKILLs the dumper too. A core-dumping signal
// (sig_kernel_coredump) is left to get_signal, which dumps (vfs_coredump).
func (k *Kernel) completeSignal(sig Signal, p TaskID, group bool) {
	g := k.mgroup(k.tasks[p].Group)
	t := NoTask
	if k.wantsSignal(sig, p) {
		t = p
	} else if !group || g.threadHead == g.threadTail {
		if k.tracing && sig == SIGKILL {
			k.notef("complete_signal: %s does not want it (PF_EXITING); no group kill", k.Describe(p))
		}
		return
	} else {
		for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			if k.wantsSignal(sig, th) {
				t = th
				break
			}
		}
		if t == NoTask {
			return
		}
	}
	if k.sigFatal(p, sig) && (g.CoreState || g.Flags&SIGNAL_GROUP_EXIT == 0) && !sigKernelCoredump.Has(sig) {
		dumping := g.CoreState
		k.startGroupExit(g, int32(sig), NoTask)
		if k.tracing {
			k.notef("complete_signal: group of %s exits (%s): SIGKILL to every thread", k.Describe(p), sig)
			if dumping {
				k.notef("complete_signal: the core dump of the group is interrupted (dump_interrupted: fatal_signal_pending)")
			}
		}
		if dumping {
			k.Cover |= CovCoredumpInterrupted
		}
	}
}

// startGroupExit sets SIGNAL_GROUP_EXIT with the exit code and queues a
// private SIGKILL on every thread except skip and threads already zombie
// (complete_signal's loop; zap_other_threads when skip is current).
func (k *Kernel) startGroupExit(g *Group, code int32, skip TaskID) {
	g.Flags = SIGNAL_GROUP_EXIT
	g.GroupExitCode = code
	for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
		if th == skip || (skip != NoTask && k.tasks[th].Exit != ExitNone) {
			continue
		}
		k.mtask(th).Pending = k.tasks[th].Pending.With(SIGKILL)
		if k.tasks[th].Stopped {
			// signal_wake_up(t, 1) ends the stop; a stopped task counted
			// as frozen (cgroup_leave_frozen on its way to exit).
			k.mtask(th).Stopped = false
			if c := k.tasks[th].Cgroup; c != NoCgroup {
				k.cgroupUpdateFrozen(c)
			}
		}
	}
}

// FatalSignalPending is fatal_signal_pending(t): SIGKILL in the private set.
func (k *Kernel) FatalSignalPending(t TaskID) bool { return k.tasks[t].Pending.Has(SIGKILL) }

// Doomed reports whether t is certain to die: SIGKILL is pending or its
// group is exiting (nothing in the model can make it survive that).
func (k *Kernel) Doomed(t TaskID) bool {
	return k.FatalSignalPending(t) || k.groups[k.tasks[t].Group].Flags&SIGNAL_GROUP_EXIT != 0 || k.tasks[t].Flags&PF_EXITING != 0
}

// signalPending reports task_sigpending(): a pending signal the task would
// have to act on (the model queues nothing that is ignored).
func (k *Kernel) signalPending(t TaskID) bool {
	tk := k.rtask(t)
	return (tk.Pending|k.groups[tk.Group].Shared)&^tk.Blocked != 0 || k.groups[tk.Group].Flags&SIGNAL_GROUP_EXIT != 0
}

// signalWork reports whether a task about to run user code must first go
// through get_signal: pending signals, a group exit, or the freezer trap.
func (k *Kernel) signalWork(t TaskID) bool {
	tk := k.rtask(t)
	if k.signalPending(t) {
		return true
	}
	return tk.trapFreeze && !tk.Frozen
}

// getSignal is one step of get_signal() for a task returning to user mode:
// group exit or SIGKILL first, then the freezer trap, then the lowest
// pending signal by its disposition. It returns true when the task will
// run user code next (a handler that returns), false if it is exiting,
// frozen or stopped.
func (k *Kernel) getSignal(t TaskID) {
	tk := k.mtask(t)
	g := k.mgroup(tk.Group)
	if g.Flags&SIGNAL_GROUP_EXIT != 0 || g.GroupExec || tk.Pending.Has(SIGKILL) {
		// "Has this task already been marked for death?" (a group exit
		// or an exec's zap_other_threads), or a SIGKILL.
		k.begin(t, "get_signal")
		tk.Pending = tk.Pending.Without(SIGKILL)
		tk.handlerExit = false // do_group_exit never returns to the frame
		if tk.Frozen {
			tk.Frozen = false // cgroup_leave_frozen(true)
			k.cgroupUpdateFrozen(tk.Cgroup)
		}
		k.doGroupExit(t, int32(SIGKILL))
		return
	}
	if tk.trapFreeze {
		k.begin(t, "do_freezer_trap")
		tk.Frozen = true // cgroup_enter_frozen()
		k.cgroupUpdateFrozen(tk.Cgroup)
		if k.tracing {
			k.notef("%s frozen", k.Describe(t))
		}
		return
	}
	k.begin(t, "get_signal")
	for {
		var sig Signal
		// dequeue_signal skips what the task blocks (next_signal with
		// ~blocked).
		if p := tk.Pending &^ tk.Blocked; p != 0 {
			sig = p.lowest()
			tk.Pending = tk.Pending.Without(sig)
		} else if s := g.Shared &^ tk.Blocked; s != 0 {
			sig = s.lowest()
			g.Shared = g.Shared.Without(sig)
		} else {
			return
		}
		switch g.Action(sig) {
		case SigIgnore:
			continue
		case HandlerReturn:
			if k.tracing {
				k.notef("%s runs its %s handler", k.Describe(t), sig)
			}
			k.handlerRan(t)
			return
		case HandlerExit:
			// handle_signal sets up the handler's frame; the handler
			// itself runs once the task returns to user mode with
			// nothing left to deliver (Step, case KUser).
			if k.tracing {
				k.notef("%s's %s handler (it calls exit_group(0)) will run on return to user mode", k.Describe(t), sig)
			}
			tk.handlerExit = true
			k.handlerRan(t)
			return
		}
		if sigKernelIgnore.Has(sig) {
			continue
		}
		// Global init and namespace inits drop default-action signals they
		// could not have been sent by force (get_signal's SIGNAL_UNKILLABLE check).
		if g.Flags&SIGNAL_UNKILLABLE != 0 && !sigKernelOnly(sig) {
			continue
		}
		if sigKernelCoredump.Has(sig) {
			// "Anything else is fatal, maybe with a core dump":
			// current->flags |= PF_SIGNALED; vfs_coredump (fs/coredump.c).
			tk.Flags |= PF_SIGNALED
			k.vfsCoredump(t, sig)
			return
		}
		if sigKernelStop.Has(sig) {
			// do_signal_stop: group_exit_code = signr for a WSTOPPED
			// wait to report (wait_task_stopped), and the stop flags
			// replaced (signal_set_stop_flags).
			g.Flags = g.Flags&^SIGNAL_STOP_CONTINUED | SIGNAL_STOP_STOPPED
			g.GroupExitCode = int32(sig)
			for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
				if k.tasks[th].Exit == ExitNone {
					k.mtask(th).Stopped = true
				}
			}
			for th := g.threadHead; th != NoTask; th = k.tasks[th].thrNext {
				if c := k.tasks[th].Cgroup; c != NoCgroup {
					k.cgroupUpdateFrozen(c)
				}
			}
			if k.tracing {
				k.notef("group of %s stopped by %s", k.Describe(t), sig)
			}
			return
		}
		k.doGroupExit(t, int32(sig))
		return
	}
}

// handlerRan ends an interruptible wait with EINTR when a handler ran.
func (k *Kernel) handlerRan(t TaskID) {
	tk := k.rtask(t)
	if tk.Frame.Path == KPause || tk.Frame.Path == KWait {
		k.finish(t, -1, EINTR)
	}
}

// doGroupExit is do_group_exit(): the first thread to get here sets
// SIGNAL_GROUP_EXIT and SIGKILLs the others (zap_other_threads); a thread
// zapped by another thread's exec (group_exec_task) exits alone with code
// 0; then do_exit. code is a signal number for a signal death, else
// status<<8.
func (k *Kernel) doGroupExit(t TaskID, code int32) {
	g := k.mgroup(k.tasks[t].Group)
	switch {
	case g.Flags&SIGNAL_GROUP_EXIT != 0:
		code = g.GroupExitCode
	case g.GroupExec:
		code = 0 // another thread is in de_thread: only this one exits
	default:
		k.startGroupExit(g, code, t)
	}
	k.startExit(t, code)
}
