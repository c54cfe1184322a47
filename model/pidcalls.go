package model

// System calls that read pid numbers and wait through a pidfd, for the
// scenario programs that speak the kernel selftests' language
// (tools/testing/selftests/pidfd, clone3, pid_namespace).

// P_PID, P_PIDFD and P_ALL are waitid(2)'s idtypes (include/uapi/linux/wait.h).
const (
	P_ALL   = 0
	P_PID   = 1
	P_PIDFD = 3
)

// GetpidCall is getpid(2) of t: task_tgid_vnr(current), the thread group's
// id (its leader's pid) in t's active pid namespace.
func (k *Kernel) GetpidCall(t TaskID) {
	k.begin(t, "getpid")
	k.finish(t, k.Getpid(t), OK)
}

// GetppidCall is getppid(2) of t: task_tgid_vnr(current->real_parent), the
// real parent's thread group id as t's pid namespace sees it; 0 when the
// parent is outside it (the init of a new namespace, whose parent is in the
// namespace above: pid_nr_ns finds no number at that level) or there is
// none.
func (k *Kernel) GetppidCall(t TaskID) {
	k.begin(t, "getppid")
	var nr int32
	if p := k.tasks[t].Parent; p != NoTask {
		nr = k.PidIn(k.groups[k.tasks[p].Group].Leader, k.tasks[t].NS)
	}
	k.finish(t, nr, OK)
}

// Waitid starts waitid(idtype, id, &info, flags) for t (kernel_waitid):
// P_ALL any child, P_PID the child whose pid in t's namespace is id, and
// P_PIDFD the process a pidfd pins, given here as its task (pidfd_get_pid,
// then PIDTYPE_TGID: a process's pidfd only). flags must have one of
// WEXITED, WSTOPPED and WCONTINUED; WNOHANG returns 0 with si_pid 0
// when no child is ready, and WNOWAIT leaves the zombie. The return value
// in Ret is si_pid (waitid itself returns 0), and WaitStatus the status
// si_code and si_status are made from. EINVAL for bad flags or an id ≤ 0
// with P_PID; EBADF for a pidfd that names no process; ECHILD when the
// process is not an eligible child of t or was reaped.
func (k *Kernel) Waitid(t TaskID, idtype int32, id int32, flags uint32) {
	if flags&^(WNOHANG|WEXITED|WSTOPPED|WCONTINUED|WNOWAIT|WALL) != 0 || flags&(WEXITED|WSTOPPED|WCONTINUED) == 0 {
		k.FailCall(t, "waitid", EINVAL)
		return
	}
	pid := int32(-1)
	switch idtype {
	case P_ALL:
	case P_PID:
		if id <= 0 {
			k.FailCall(t, "waitid", EINVAL)
			return
		}
		pid = id
	case P_PIDFD:
		// The pidfd pins the struct pid, which a thread that exec'd took
		// over from the leader (de_thread's transfer_pid).
		v := k.pidfdTask(TaskID(id))
		if v < 0 || int(v) >= len(k.tasks) {
			k.FailCall(t, "waitid", EBADF)
			return
		}
		// A released process has no task for the pid: nothing can match
		// it (eligible_pid), so do_wait finds no child.
		if k.tasks[v].Exit == ExitDead {
			k.FailCall(t, "waitid", ECHILD)
			return
		}
		if pid = k.PidIn(v, k.tasks[t].NS); pid == 0 {
			k.FailCall(t, "waitid", ECHILD)
			return
		}
	default:
		k.FailCall(t, "waitid", EINVAL)
		return
	}
	k.wait(t, pid, flags)
}

// stopReport returns an eligible child whose stop or continuation a wait
// with flags would report, and the status: wait_task_stopped (WSTOPPED:
// the group is stopped and group_exit_code still holds the stop signal,
// status sig<<8|0x7f) before wait_task_continued (WCONTINUED:
// SIGNAL_STOP_CONTINUED set, status 0xffff), child by child as
// wait_consider_task goes. NoTask if none.
func (k *Kernel) stopReport(t TaskID, pid int32, flags uint32) (TaskID, int32) {
	found, status := NoTask, int32(0)
	if flags&(WSTOPPED|WCONTINUED) == 0 {
		return found, 0
	}
	k.forEachChild(t, func(c TaskID) bool {
		if k.tasks[c].Exit != ExitNone || !k.eligible(t, c, pid, flags) {
			return false
		}
		g := k.rgroup(k.tasks[c].Group)
		switch {
		case flags&WSTOPPED != 0 && g.Flags&SIGNAL_STOP_STOPPED != 0 && k.tasks[c].Stopped && g.GroupExitCode != 0:
			found, status = c, g.GroupExitCode<<8|0x7f
		case flags&WCONTINUED != 0 && g.Flags&SIGNAL_STOP_CONTINUED != 0:
			found, status = c, 0xffff
		default:
			return false
		}
		return true
	})
	return found, status
}

// reportStop completes a wait with the stop or continuation of c: the
// report is consumed (group_exit_code cleared, SIGNAL_STOP_CONTINUED
// dropped) unless WNOWAIT.
func (k *Kernel) reportStop(t, c TaskID, status int32, flags uint32) {
	if flags&WNOWAIT == 0 {
		g := k.mgroup(k.tasks[c].Group)
		if status == 0xffff {
			g.Flags &^= SIGNAL_STOP_CONTINUED
		} else {
			g.GroupExitCode = 0
		}
	}
	if k.tracing {
		k.notef("reports %s, status %#x", k.Describe(c), status)
	}
	k.mtask(t).WaitStatus = status
	k.finish(t, k.PidIn(c, k.tasks[t].NS), OK)
}

// PIDFD_THREAD is pidfd_open's flag for a pidfd of one thread (6.9+;
// O_EXCL's value, include/uapi/linux/pidfd.h).
const PIDFD_THREAD uint32 = 0o200

// PidfdOpenFlags is pidfd_open(pid, flags) with pid in t's namespace
// (kernel/pid.c pidfd_open → pidfd_create → pidfd_prepare): EINVAL for
// flags other than PIDFD_THREAD or a pid ≤ 0, ESRCH when no task has the
// number, and, without PIDFD_THREAD, an error when the pid is not a thread
// group's (pid_has_task(pid, PIDTYPE_TGID) fails). The result is the
// pinned task's id (see PidfdOpen).
func (k *Kernel) PidfdOpenFlags(t TaskID, pid int32, flags uint32) {
	if flags == 0 {
		k.PidfdOpen(t, pid)
		return
	}
	k.begin(t, "pidfd_open")
	if flags&^PIDFD_THREAD != 0 || pid <= 0 {
		k.finish(t, -1, EINVAL)
		return
	}
	v := k.FindTask(k.tasks[t].NS, pid)
	if v == NoTask {
		k.finish(t, -1, ESRCH)
		return
	}
	if !k.IsLeader(v) {
		v |= PidfdThreadBit // a tid pidfd: see pidfdTask
	}
	k.finish(t, int32(v), OK)
}

// TaskByPidNr returns the task created last whose pid in namespace ns is
// nr, whether it still runs or was released (NoTask if none): what a
// CLONE_PIDFD pidfd pins, found from the number the fork returned. Task
// ids are never reused, and the pid allocator hands out numbers
// cyclically, so the newest holder of the number is the fork's child.
func (k *Kernel) TaskByPidNr(ns NSID, nr int32) TaskID {
	for i := len(k.tasks) - 1; i >= 0; i-- {
		tk := k.rtask(TaskID(i))
		if tk.Group == NoGroup || tk.NS == NoNS {
			continue
		}
		if k.PidIn(TaskID(i), ns) == nr {
			return TaskID(i)
		}
	}
	return NoTask
}

// GetChildSubreaperCall is prctl(PR_GET_CHILD_SUBREAPER, &v) (kernel/sys.c):
// it stores signal->is_child_subreaper, which fork does not pass on
// (copy_signal copies only has_child_subreaper); the model returns the
// stored value as the call's result.
func (k *Kernel) GetChildSubreaperCall(t TaskID) {
	k.begin(t, "prctl")
	var v int32
	if k.groups[k.tasks[t].Group].IsChildSubreaper {
		v = 1
	}
	k.finish(t, v, OK)
}

// PidfdGetInfo is ioctl(pidfd, PIDFD_GET_INFO) for a pidfd of v (fs/pidfs.c
// pidfd_info, 6.13+; PIDFD_INFO_EXIT 6.15+), asking for PIDFD_INFO_EXIT
// when exit is set. While the pid still has a task (running or a zombie)
// the call succeeds with PIDFD_INFO_CREDS and without exit information
// (Ret 0): pidfs_exit records it only when release_task detaches the
// task. Once the task is released, it fails with ESRCH unless the exit
// information was asked for; then Ret is 1 and WaitStatus holds the
// recorded exit code: the group's exit code for a leader of a group that
// exited as a group (a leader that called exit(2) before its threads
// were killed reports the group's SIGKILL), else the task's own.
func (k *Kernel) PidfdGetInfo(t, v TaskID, exit bool) {
	k.begin(t, "pidfd_info")
	v = k.pidfdTask(v) // de_thread's transfer_pid, exchange_tids
	if v < 0 || int(v) >= len(k.tasks) {
		k.finish(t, -1, EBADF)
		return
	}
	tk := k.rtask(v)
	if tk.Exit != ExitDead {
		k.finish(t, 0, OK)
		return
	}
	if !exit {
		k.finish(t, -1, ESRCH)
		return
	}
	status := tk.ExitCode
	if g := k.rgroup(tk.Group); g.Leader == v && g.Flags&SIGNAL_GROUP_EXIT != 0 {
		status = g.GroupExitCode
	}
	k.mtask(t).WaitStatus = status
	k.finish(t, 1, OK)
}

// How of sigprocmask(2).
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

// Sigprocmask is rt_sigprocmask(how, set) for t: SIGKILL and SIGSTOP are
// taken out of set (sigdelsetmask in sys_rt_sigprocmask), and the new
// mask takes effect at once (__set_task_blocked → recalc_sigpending: a
// pending signal it unblocks is delivered on the way back to user mode).
// EINVAL for another how.
func (k *Kernel) Sigprocmask(t TaskID, how int32, set Sigset) {
	k.begin(t, "rt_sigprocmask")
	set = set.Without(SIGKILL).Without(SIGSTOP)
	tk := k.mtask(t)
	switch how {
	case SIG_BLOCK:
		tk.Blocked |= set
	case SIG_UNBLOCK:
		tk.Blocked &^= set
	case SIG_SETMASK:
		tk.Blocked = set
	default:
		k.finish(t, -1, EINVAL)
		return
	}
	k.finish(t, 0, OK)
}

// PidfdFdinfo is what /proc/self/fdinfo/FD of a pidfd of v says to t
// (pidfd_show_fdinfo, fs/pidfs.c): "Pid:" is the pid's number in the
// reader's procfs namespace (the model takes t's active namespace, as a
// /proc mounted there shows it), 0 when the pid is outside it, -1 once
// the pid has no task (released); "NSpid:" repeats that number and, when
// it is above 0, adds the numbers of the deeper levels down to the task's
// own.
func (k *Kernel) PidfdFdinfo(t, v TaskID) (pid int32, nspid []int32) {
	v = k.pidfdTask(v)
	if k.tasks[v].Exit == ExitDead {
		return -1, []int32{-1}
	}
	ns := k.tasks[t].NS
	nr := k.PidIn(v, ns)
	nspid = []int32{nr}
	if nr > 0 {
		nrs := k.Pids(v)
		for l := int(k.ns[ns].Level) + 1; l < len(nrs); l++ {
			nspid = append(nspid, nrs[l])
		}
	}
	return nr, nspid
}

// PidfdThreadBit marks the model's pidfd (a task id) of a PIDFD_THREAD
// pidfd opened for a thread that was not its group's leader: it pins the
// thread's own tid, which de_thread gives to the old leader when the
// thread execs (exchange_tids), so after that exec the pidfd refers to
// the released old leader, not to the thread.
const PidfdThreadBit TaskID = 1 << 24

// pidfdTask resolves the model's pidfd to the task its struct pid has, or
// last had: a leader's pidfd follows the thread that took over its pid
// by exec (transfer_pid); a tid pidfd (PidfdThreadBit) of a thread that
// exec'd goes to the old leader, which holds that tid since.
func (k *Kernel) pidfdTask(fd TaskID) TaskID {
	if fd >= 0 && fd&PidfdThreadBit != 0 {
		v := fd &^ PidfdThreadBit
		if int(v) >= len(k.tasks) {
			return fd
		}
		for i := range k.tasks {
			if k.tasks[i].execHeir == v {
				return TaskID(i)
			}
		}
		return v
	}
	if fd < 0 || int(fd) >= len(k.tasks) {
		return fd
	}
	return k.PidHolder(fd)
}

// nsPidMax is the pid_max alloc_pid uses at namespace p's level
// (READ_ONCE(tmp->pid_max), 6.14+).
func (k *Kernel) nsPidMax(p *PidNS) int32 {
	if p.PidMax > 0 {
		return p.PidMax
	}
	return k.Opts.PidMax
}

// Bounds of a pid_max write (kernel/pid.c): pid_max_min is RESERVED_PIDS
// + 1 (or PIDS_PER_CPU_MIN per possible CPU, on machines with more than
// 37 of them), pid_max_max PID_MAX_LIMIT.
const (
	PidMaxMin = ReservedPids + 1
	PidMaxMax = 4194304
)

// SetPidMax is a write of n to /proc/sys/kernel/pid_max by t: since 6.14
// it sets the pid_max of t's active pid namespace (pid_max_ns_ctl_handler,
// kernel/pid_namespace.c), which alloc_pid applies at that namespace's
// level only, so a larger value in a nested namespace is still capped by
// the levels above. EINVAL outside [PidMaxMin, PidMaxMax].
func (k *Kernel) SetPidMax(t TaskID, n int32) {
	k.begin(t, "pid_max_ns_ctl_handler")
	if n < PidMaxMin || n > PidMaxMax {
		k.finish(t, -1, EINVAL)
		return
	}
	k.mns(k.tasks[t].NS).PidMax = n
	k.finish(t, int32(len(itoa(int(n)))), OK)
}
