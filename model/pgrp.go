package model

// Process groups and sessions (kernel/sys.c, kernel/signal.c, kernel/pid.c).
//
// A process group and a session are struct pids: the pid of the process
// that created them. Each thread group points to its own (signal->pids
// [PIDTYPE_PGID] and [PIDTYPE_SID]; the model keeps Group.Pgid and
// Group.Sid as the task that owns that struct pid). A struct pid lives as
// long as a task uses it for any type, so the number of a process group
// leader that has been reaped stays allocated while its group has members
// (free_pid runs only when the last attachment goes): the model frees a
// released task's numbers only once no process uses them as its process
// group or session (releasePid).

// PF_FORKNOEXEC is set on a forked task until it execs; setpgid(2) of a
// child that has exec'd fails with EACCES.
const PF_FORKNOEXEC uint32 = 0x00000040

// pidfd_send_signal flags (include/uapi/linux/pidfd.h, 6.9+).
const (
	PIDFD_SIGNAL_THREAD        uint32 = 1 << 0
	PIDFD_SIGNAL_THREAD_GROUP  uint32 = 1 << 1
	PIDFD_SIGNAL_PROCESS_GROUP uint32 = 1 << 2
)

// pidUsed reports whether the struct pid owned by t is some process's
// process group or session. A process stops using them when its leader is
// released (__unhash_process detaches PIDTYPE_PGID and PIDTYPE_SID), when
// the model sets both to NoTask (detachPgrp).
func (k *Kernel) pidUsed(t TaskID) bool {
	for i := range k.groups {
		if g := k.rgroup(GroupID(i)); g.Pgid == t || g.Sid == t {
			return true
		}
	}
	return false
}

// pidHeld reports whether t's numbers are still allocated (t owns them in
// the idr of its active namespace).
func (k *Kernel) pidHeld(t TaskID) bool {
	tk := k.rtask(t)
	if tk.NS == NoNS {
		return false
	}
	ns := k.rns(tk.NS)
	nr := k.upids[tk.pidOff+int32(tk.Level)]
	for _, e := range ns.idr {
		if e.nr == nr {
			return e.task == t
		}
	}
	return false
}

// releasePid is release_task's detach_pid calls for t (its PIDTYPE_PID;
// for a group leader also PIDTYPE_PGID and PIDTYPE_SID of its process):
// each struct pid whose last user goes is freed (free_pid), the others
// live on as some process's group or session.
func (k *Kernel) releasePid(t TaskID) {
	tk := k.mtask(t)
	tk.pidAttached = false
	oldP, oldS := NoTask, NoTask
	if g := k.mgroup(tk.Group); g.Leader == t {
		oldP, oldS = g.Pgid, g.Sid
		g.Pgid, g.Sid = NoTask, NoTask
	}
	if !k.pidUsed(t) {
		k.freePid(t)
	}
	k.dropPgrpRef(oldP)
	k.dropPgrpRef(oldS)
}

// dropPgrpRef is called when a process no longer uses the struct pid of
// owner as its process group or session (setpgid, setsid, the release of
// its leader): if owner itself has been released, the pid is freed once
// nobody uses it.
func (k *Kernel) dropPgrpRef(owner TaskID) {
	if owner == NoTask || k.tasks[owner].pidAttached || !k.pidHeld(owner) {
		return
	}
	if !k.pidUsed(owner) {
		k.freePid(owner)
	}
}

// Pgid is the process group id of t as a task of namespace ns sees it
// (pid_vnr(task_pgrp(t)): 0 if not visible).
func (k *Kernel) Pgid(t TaskID, ns NSID) int32 {
	if p := k.groups[k.tasks[t].Group].Pgid; p != NoTask {
		return k.PidIn(p, ns)
	}
	return 0
}

// Sid is the session id of t as a task of namespace ns sees it.
func (k *Kernel) Sid(t TaskID, ns NSID) int32 {
	if s := k.groups[k.tasks[t].Group].Sid; s != NoTask {
		return k.PidIn(s, ns)
	}
	return 0
}

// findPidOwner is find_vpid(nr) for the caller t: the task that owns the
// struct pid numbered nr in t's namespace, attached or only kept alive
// as a process group or session, or NoTask.
func (k *Kernel) findPidOwner(t TaskID, nr int32) TaskID {
	if nr <= 0 {
		return NoTask
	}
	ns := k.rns(k.tasks[t].NS)
	for _, e := range ns.idr {
		if e.nr == nr {
			return e.task
		}
	}
	return NoTask
}

// pgrpMembers are the processes (their leaders) whose process group is
// the struct pid of owner (do_each_pid_task(pgrp, PIDTYPE_PGID), in task
// id order; the kernel's hlist has the most recent member first, which
// the model cannot tell apart: the whole walk is one step under
// tasklist_lock).
func (k *Kernel) pgrpMembers(owner TaskID) []TaskID {
	var out []TaskID
	if owner == NoTask {
		return nil
	}
	for i := range k.groups {
		if g := k.rgroup(GroupID(i)); g.Pgid == owner {
			out = append(out, g.Leader)
		}
	}
	return out
}

// KillTargets lists the processes (their leaders) kill(pid) by t would
// signal now: for pid > 0 the task with that pid, for 0 and -N the
// members of the process group, for -1 the broadcast's victims.
func (k *Kernel) KillTargets(t TaskID, pid int32) []TaskID {
	switch {
	case pid > 0:
		if v := k.FindTask(k.tasks[t].NS, pid); v != NoTask {
			return []TaskID{v}
		}
		return nil
	case pid == 0:
		if p := k.groups[k.tasks[t].Group].Pgid; p != NoTask {
			return k.pgrpMembers(p)
		}
		return nil
	case pid == -1:
		var out []TaskID
		for i := range k.tasks {
			v := TaskID(i)
			vk := k.rtask(v)
			if vk.Group != NoGroup && vk.pidAttached && k.IsLeader(v) && vk.Group != k.tasks[t].Group && k.PidIn(v, k.tasks[t].NS) > 1 {
				out = append(out, v)
			}
		}
		return out
	}
	if p := k.findPidOwner(t, -pid); p != NoTask {
		return k.pgrpMembers(p)
	}
	return nil
}

// killPgrp is __kill_pgrp_info(sig, info, pgrp): group_send_sig_info
// with PIDTYPE_PGID to every member, under tasklist_lock (one step).
// ESRCH for an empty group; otherwise 0 if any member was signalled (the
// model's group_send_sig_info does not fail for a member).
func (k *Kernel) killPgrp(t TaskID, owner TaskID, sig Signal) Errno {
	if owner == NoTask {
		return ESRCH
	}
	ms := k.pgrpMembers(owner)
	if len(ms) == 0 {
		return ESRCH
	}
	if sig != 0 {
		for _, m := range ms {
			k.sendSignalType(sig, infoUser, m, pidtypePGID, t)
		}
	}
	return OK
}

// killAll is kill(-1, sig) (kill_something_info): every process whose pid
// as the caller sees it is above 1 and that is not the caller's own, in
// creation order (for_each_process), with PIDTYPE_MAX; ESRCH if there is
// none.
func (k *Kernel) killAll(t TaskID, sig Signal) Errno {
	vs := k.KillTargets(t, -1)
	if len(vs) == 0 {
		return ESRCH
	}
	if sig != 0 {
		for _, v := range vs {
			k.sendSignalType(sig, infoUser, v, pidtypeMAX, t)
		}
	}
	return OK
}

// Setpgid is setpgid(pid, pgid) (kernel/sys.c): pid 0 is the caller,
// pgid 0 is pid. EINVAL for a negative pgid or a target that is not a
// thread group leader; ESRCH if pid is neither the caller nor one of its
// children; EPERM for a child in another session, a session leader, or a
// process group that does not exist in the caller's session; EACCES for a
// child that has exec'd.
func (k *Kernel) Setpgid(t TaskID, pid, pgid int32) {
	k.begin(t, "setpgid")
	me := k.groups[k.tasks[t].Group].Leader
	ns := k.tasks[t].NS
	if pid == 0 {
		pid = k.PidIn(me, ns)
	}
	if pgid == 0 {
		pgid = pid
	}
	if pgid < 0 {
		k.finish(t, -1, EINVAL)
		return
	}
	p := k.FindTask(ns, pid)
	if p == NoTask {
		k.finish(t, -1, ESRCH)
		return
	}
	if !k.IsLeader(p) {
		k.finish(t, -1, EINVAL)
		return
	}
	pg := k.mgroup(k.tasks[p].Group)
	mg := k.rgroup(k.tasks[me].Group)
	if rp := k.tasks[p].Parent; rp != NoTask && k.tasks[rp].Group == k.tasks[me].Group {
		if pg.Sid != mg.Sid {
			k.finish(t, -1, EPERM)
			return
		}
		if k.tasks[p].Flags&PF_FORKNOEXEC == 0 {
			k.finish(t, -1, EACCES)
			return
		}
	} else if p != me {
		k.finish(t, -1, ESRCH)
		return
	}
	if pg.SessionLeader {
		k.finish(t, -1, EPERM)
		return
	}
	owner := p
	if pgid != pid {
		owner = k.findPidOwner(t, pgid)
		members := k.pgrpMembers(owner)
		if len(members) == 0 || k.groups[k.tasks[members[0]].Group].Sid != mg.Sid {
			k.finish(t, -1, EPERM)
			return
		}
	}
	if old := pg.Pgid; old != owner {
		pg.Pgid = owner // change_pid(p, PIDTYPE_PGID, pgrp)
		k.dropPgrpRef(old)
		if k.tracing {
			k.notef("%s joins process group %d", k.Describe(p), pgid)
		}
	}
	k.finish(t, 0, OK)
}

// Setsid is setsid(2): EPERM if the caller's process is a session leader
// or its pid is some process group's id; else a new session and process
// group with the caller's pid (set_special_pids), returned.
func (k *Kernel) Setsid(t TaskID) {
	k.begin(t, "setsid")
	me := k.groups[k.tasks[t].Group].Leader
	g := k.mgroup(k.tasks[me].Group)
	if g.SessionLeader || len(k.pgrpMembers(me)) > 0 {
		k.finish(t, -1, EPERM)
		return
	}
	g.SessionLeader = true
	oldP, oldS := g.Pgid, g.Sid
	g.Pgid, g.Sid = me, me
	k.dropPgrpRef(oldP)
	k.dropPgrpRef(oldS)
	if k.tracing {
		k.notef("%s leads a new session", k.Describe(me))
	}
	k.finish(t, k.PidIn(me, k.tasks[t].NS), OK)
}

// Getpgid is getpgid(pid) (pid 0: the caller): the process group id as
// the caller sees it; ESRCH if there is no such task.
func (k *Kernel) Getpgid(t TaskID, pid int32) {
	k.begin(t, "getpgid")
	p := t
	if pid != 0 {
		if p = k.FindTask(k.tasks[t].NS, pid); p == NoTask {
			k.finish(t, -1, ESRCH)
			return
		}
	}
	k.finish(t, k.Pgid(p, k.tasks[t].NS), OK)
}

// Getsid is getsid(pid) (pid 0: the caller).
func (k *Kernel) Getsid(t TaskID, pid int32) {
	k.begin(t, "getsid")
	p := t
	if pid != 0 {
		if p = k.FindTask(k.tasks[t].NS, pid); p == NoTask {
			k.finish(t, -1, ESRCH)
			return
		}
	}
	k.finish(t, k.Sid(p, k.tasks[t].NS), OK)
}
