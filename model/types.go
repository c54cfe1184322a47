package model

// TaskID names a task (task_struct) of one Kernel: its index in
// Kernel.tasks. IDs are never reused, even after release_task, so a trace
// can always name a task; pid numbers, in contrast, are reused.
type TaskID int32

// GroupID names a thread group (signal_struct together with its
// sighand_struct; the model gives every thread group its own sighand).
type GroupID int32

// NSID names a pid namespace. NSID 0 is init_pid_ns.
type NSID int32

// CgroupID names a cgroup of the v2 hierarchy. CgroupID 0 is the root.
type CgroupID int32

// CsetID names a css_set: its index in Kernel.csets. A freed css_set's
// slot is reused by the next css_set created (the lowest free index), so
// that a machine that frees and re-creates css_sets does not grow.
type CsetID int32

// NoTask, NoGroup, NoNS and NoCgroup are the "NULL pointer" of each kind.
const (
	NoTask   TaskID   = -1
	NoGroup  GroupID  = -1
	NoNS     NSID     = -1
	NoCgroup CgroupID = -1
	NoCset   CsetID   = -1
	RootNS   NSID     = 0
	RootCG   CgroupID = 0
	// InitCset is init_css_set: the root of every hierarchy. It is never
	// freed.
	InitCset CsetID = 0
)

// Task flags (task_struct.flags, include/linux/sched.h), plus model flags
// in the high bits.
const (
	PF_EXITING uint32 = 0x00000004
	// PF_POSTCOREDUMP: the task has passed coredump_task_exit (5.16+: at
	// the start of do_exit; ≤5.15: exit_mm), so a later zap_process does
	// not count it among the threads a dumper waits for.
	PF_POSTCOREDUMP uint32 = 0x00000008
	// PF_DUMPCORE: the task is (or was) the dumper of its group
	// (zap_threads).
	PF_DUMPCORE uint32 = 0x00000200
	// PF_SIGNALED: the task was killed by a signal (get_signal's fatal path).
	PF_SIGNALED uint32 = 0x00000400
	PF_KTHREAD  uint32 = 0x00200000
	// PF_NO_SETAFFINITY marks per-CPU and bound kthreads; cgroup.procs
	// writes of such a task fail with EINVAL (cgroup_procs_write_start).
	PF_NO_SETAFFINITY uint32 = 0x04000000
)

// ExitState is task_struct.exit_state, plus ExitNone for a live task.
type ExitState uint8

// Exit states. A task goes ExitNone → (PF_EXITING) → ExitZombie →
// ExitDead, or straight from exit_notify to ExitDead when autoreaped; an
// ExitDead task has been through release_task and its pids are freed.
const (
	ExitNone ExitState = iota
	ExitZombie
	ExitDead
)

var exitStateNames = [...]string{"live", "zombie", "dead"}

// String names the exit state.
func (e ExitState) String() string { return exitStateNames[e] }

// Cgroup list a task is linked on (task->cg_list on cset->tasks or
// cset->dying_tasks; empty between cgroup_fork and cgroup_post_fork and
// after cgroup_exit of a non-leader or of a dead group's leader). As a
// css_task_iter position, onNoList is the end of the walk (task_pos NULL).
type cgList uint8

const (
	onNoList cgList = iota
	onTasks
	onDying
)

// Task is one task_struct: a thread. All fields are owned by the Kernel
// and mutated only inside Kernel methods; the kernel lock that protects
// the real field is named where it matters for the race model.
type Task struct {
	// Pending is the private pending set (task->pending; siglock).
	Pending Sigset
	// Blocked is task->blocked (sigprocmask): signals that stay pending
	// until unblocked. Never SIGKILL or SIGSTOP.
	Blocked Sigset
	// Flags holds PF_* bits.
	Flags uint32
	// Group is the thread group (task->signal). Immutable after fork.
	Group GroupID
	// Parent is task->real_parent (tasklist_lock). For a thread it is the
	// leader's real parent.
	Parent TaskID
	// Children of this task (task->children, sibling list), in the order
	// they were added: childHead..childTail linked through sibNext/sibPrev.
	childHead, childTail TaskID
	sibNext, sibPrev     TaskID
	// Threads of the group are linked through thrNext/thrPrev from
	// Group.threadHead (signal->thread_head).
	thrNext, thrPrev TaskID
	// ExitCode is task->exit_code as wait(2) would report it (status<<8, or
	// the signal number for a signal death).
	ExitCode int32
	// Pid numbers: Kernel.upids[pidOff : pidOff+Level+1], level 0 first
	// (struct pid numbers[]). NS is the task's active pid namespace
	// (the namespace of its deepest number); immutable.
	pidOff int32
	NS     NSID
	// PidNSForChildren is nsproxy->pid_ns_for_children (unshare/setns).
	PidNSForChildren NSID
	// Cset is the task's css_set (task->cgroups) and Cgroup its v2 cgroup
	// (task->cgroups->dfl_cgrp). They are meaningful from
	// cgroup_post_fork on; between cgroup_fork and cgroup_post_fork the
	// task is on no list (cgList == onNoList). cgNext/cgPrev link the task
	// on its css_set's tasks or dying_tasks list (task->cg_list).
	Cset           CsetID
	Cgroup         CgroupID
	cgNext, cgPrev TaskID
	// Frame is the kernel code path the task is executing, if any.
	Frame Frame
	// User is the user-mode register state the simulator's program
	// interpreter owns. The kernel never interprets it; fork copies it.
	User UserRegs
	// Ret and Err are the result of the last completed system call.
	Ret int32
	Err Errno
	// WaitStatus is the status the last successful wait4 or waitid
	// reported, or the exit code PIDFD_GET_INFO returned (PidfdGetInfo).
	WaitStatus int32
	Exit       ExitState
	// ExitSignal is task->exit_signal: SIGCHLD for processes, -1 for threads.
	ExitSignal Signal
	Level      int8
	cgList     cgList
	// pidAttached is set once copy_process has attached the pid (step 11)
	// and cleared by release_task: find_task_by_vpid sees the task only then.
	pidAttached bool
	// Frozen: the task sits in the freezer trap (cgroup_enter_frozen).
	Frozen bool
	// trapFreeze is JOBCTL_TRAP_FREEZE.
	trapFreeze bool
	// Stopped: the task is in a group stop (TASK_STOPPED).
	Stopped bool
	// newTask is TASK_NEW: committed by copy_process, not yet woken by
	// wake_up_new_task.
	newTask bool
	// handlerExit: handle_signal has pushed the frame of a handler that
	// calls exit_group(0) (HandlerExit), and the task has not yet run
	// it. The handler runs when the task reaches user mode with no signal
	// left to deliver: exit_to_user_mode_loop calls get_signal again
	// while TIF_SIGPENDING is set, so a SIGSTOP or SIGKILL pending behind
	// the handled signal acts first.
	handlerExit bool
	// vforkParent is the parent waiting in wait_for_vfork_done until this
	// task, born of a CLONE_VFORK, execs or exits (task->vfork_done),
	// else NoTask.
	vforkParent TaskID
	// execHeir is the thread that took over this task's pid when it
	// exec'd while this task was the group leader (de_thread), else
	// NoTask: a pidfd of this task refers to it since.
	execHeir TaskID
}

// UserRegs is the user-mode state of a task: the program it runs and its
// program counter and registers. fork copies it (the child's address space
// is a copy of the parent's); the kernel does not look inside. The program
// interpreter (package sim) uses R[0] as the loop counter, R[1] as its
// system-call state and R[2] as the pid the task's last successful fork
// returned to it (0 if none). N holds the program's named registers
// (`as:` and `pidfd:` of a scenario program): a pid a fork or getpid
// returned, or a pidfd (the pinned task's id plus one, 0 for none). A
// child forked running the same program starts with a copy, as it
// inherits the C variables; one that runs another program starts with
// none.
type UserRegs struct {
	Prog, PC int32
	R        [3]int32
	N        [NRegs]int32
}

// NRegs is the number of named registers a program has.
const NRegs = 4

// Signal-struct flags (signal->flags, include/linux/sched/signal.h).
const (
	SIGNAL_STOP_STOPPED uint32 = 0x00000001
	// SIGNAL_STOP_CONTINUED: a SIGCONT ended a group stop and no
	// WCONTINUED wait has reported it yet.
	SIGNAL_STOP_CONTINUED uint32 = 0x00000002
	SIGNAL_GROUP_EXIT     uint32 = 0x00000004
	SIGNAL_UNKILLABLE     uint32 = 0x00000040
)

// Group is a thread group: signal_struct and the sighand_struct of its
// threads. Protected in the kernel by siglock (signal state) and
// tasklist_lock (membership).
type Group struct {
	// Shared is signal->shared_pending.
	Shared Sigset
	// Dispositions (sighand->action), as one set per non-default kind:
	// ign is SIG_IGN, hnd a handler that returns, hndExit a handler that
	// exits. Use Action and setAction.
	ign, hnd, hndExit Sigset
	Leader            TaskID
	threadHead        TaskID
	threadTail        TaskID
	// Live is signal->live: threads that have not yet passed exit_signals.
	Live int32
	// NrThreads is signal->nr_threads: threads not yet released.
	NrThreads     int32
	Flags         uint32
	GroupExitCode int32
	// NoCldWait is SA_NOCLDWAIT on the SIGCHLD action.
	NoCldWait bool
	// Pgid and Sid are the process's process group and session
	// (signal->pids[PIDTYPE_PGID] and [PIDTYPE_SID]) as the task owning
	// that struct pid, which may have been released since (model/pgrp.go);
	// NoTask once the group's leader is released. SessionLeader is
	// signal->leader (setsid).
	Pgid, Sid     TaskID
	SessionLeader bool
	// GroupExec is signal->group_exec_task != NULL: a thread is in
	// de_thread, the other threads are being killed (their do_group_exit
	// exits with code 0 and takes nobody else along).
	GroupExec bool
	// IsChildSubreaper / HasChildSubreaper: PR_SET_CHILD_SUBREAPER state.
	IsChildSubreaper  bool
	HasChildSubreaper bool
	// OomScoreAdj is signal->oom_score_adj (-1000..1000), inherited at
	// fork (copy_signal); OOM_SCORE_ADJ_MIN exempts the process from the
	// OOM killer (oom_badness, oom_kill_memcg_member).
	OomScoreAdj int16
	// OomVictim is signal->oom_mm != NULL (tsk_is_oom_victim): the OOM
	// killer has marked the process (mark_oom_victim); never cleared.
	OomVictim bool
	// CoreState is signal->core_state != NULL (≤5.15: mm->core_state and
	// SIGNAL_GROUP_COREDUMP): a thread of the group is dumping core
	// (zap_threads, fs/coredump.c) and coredump_finish has not run yet.
	CoreState bool
	// coreWaiters is core_state->nr_threads: the threads zap_process
	// SIGKILLed that have not yet reached coredump_task_exit; the dumper
	// sleeps in coredump_wait until it is 0.
	coreWaiters int32
	// CoreUnlimited is RLIMIT_CORE (signal->rlim, inherited at fork by
	// copy_signal) large enough for a core file to be written: a dump
	// sets the 0x80 core bit of the wait status. false is a limit of 0
	// (coredump_file gives up: cprm->limit < binfmt->min_coredump), the
	// default on this machine (probe Q15).
	CoreUnlimited bool
}

// PidNS is a pid namespace (struct pid_namespace).
type PidNS struct {
	Parent NSID
	Level  int8
	// ChildReaper is pid_ns->child_reaper (NoTask until pid 1 exists).
	ChildReaper TaskID
	// Allocated is pid_allocated without the PIDNS_ADDING bit.
	Allocated int32
	// Adding is the PIDNS_ADDING bit: pids may still be allocated.
	Adding bool
	// Terminating is the 2007 patch's pid_ns->terminating flag.
	Terminating bool
	// PidMax is the namespace's own pid_max (6.14+: /proc/sys/kernel/
	// pid_max written from inside it), or 0 for the model's pid_max
	// option. The kernel starts a new namespace at PID_MAX_LIMIT; the
	// model keeps its one option until a write, which is what the
	// pid_max selftests need.
	PidMax int32
	// ReaperToInit: the namespace's init has died and, as in the 2007
	// patch and v2.6.24–v3.3, its orphans go to the global init
	// (pid_ns->child_reaper = init_pid_ns.child_reaper).
	ReaperToInit bool
	// cursor is idr_get_cursor(&ns->idr): the next number to try.
	cursor int32
	// idr maps numbers to tasks, sorted by number. Freed numbers become
	// tombstones (task NoTask) and are compacted away lazily.
	idr     []pidEntry
	idrDead int32
}

type pidEntry struct {
	nr   int32
	task TaskID
}

// Controller is a cgroup v2 controller bit.
type Controller uint16

// The controllers of the v2 hierarchy, in kernel subsystem order
// (include/linux/cgroup_subsys.h). Threaded ones are in ThreadedControllers.
const (
	CtrlCpuset Controller = 1 << iota
	CtrlCpu
	CtrlIO
	CtrlMemory
	CtrlHugetlb
	CtrlPids
	CtrlRdma
	CtrlMisc
	AllControllers = CtrlCpuset | CtrlCpu | CtrlIO | CtrlMemory | CtrlHugetlb | CtrlPids | CtrlRdma | CtrlMisc
	// ThreadedControllers is cgrp_dfl_threaded_ss_mask: controllers that
	// work inside a threaded subtree (cpuset, cpu, pids; perf_event is
	// implicit and not modelled).
	ThreadedControllers = CtrlCpuset | CtrlCpu | CtrlPids
)

var ctrlNames = []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"}

// Cgroup is one cgroup of the v2 hierarchy. Its tasks live on the css_sets
// linked to it (cgrp->cset_links), one per combination of cgroups in the
// other (v1) hierarchies. Mutated under cgroup_mutex (topology, control
// files) and css_set_lock (membership, kill flag and sequence).
type Cgroup struct {
	Name   string
	Parent CgroupID
	Level  int32
	// Children in creation order (the kernel's sibling list order, which
	// cgroup_for_each_live_descendant_pre follows).
	childHead, childTail, sibNext, sibPrev CgroupID
	// Online is false after rmdir (the cgroup is dead).
	Online bool
	// Threaded: cgroup.type was set to "threaded" (dom_cgrp != self).
	Threaded bool
	// DomCgrp is cgrp->dom_cgrp: itself, or the thread root for a
	// threaded cgroup.
	DomCgrp        CgroupID
	SubtreeControl Controller
	// csetHead..csetTail is cgrp->cset_links: the css_sets whose dfl_cgrp
	// is this cgroup, in creation order (link_css_set adds at the tail),
	// linked through CssSet.linkNext/linkPrev.
	csetHead, csetTail CsetID
	// NrTasks counts the tasks on the tasks lists of its css_sets (the
	// kernel's nr_populated_csets is non-zero exactly when it is);
	// nrPopulatedChildren counts children whose subtree is populated
	// (nr_populated_domain_children + nr_populated_threaded_children).
	NrTasks             int32
	nrPopulatedChildren int32
	nrThreadedChildren  int32
	// KillFlag is CGRP_KILL (5.14–6.13); KillSeq is kill_seq (6.14+).
	KillFlag bool
	KillSeq  uint32
	// Freeze is the cgroup's own cgroup.freeze value.
	Freeze bool
	// OomGroup is memory.oom.group (memcg->oom_group): an OOM kill of a
	// process below takes the whole cgroup with it. Only a cgroup with a
	// memory css has it (see memcgEnabled).
	OomGroup bool
	// PidsMax is pids.max (-1 is "max"); PidsCurrent the hierarchical
	// charge; PidsEventsMax the "max" line of pids.events.
	PidsMax, PidsCurrent, PidsEventsMax int32
	// MaxDescendants / MaxDepth (-1 is "max"), NrDescendants live descendants.
	MaxDescendants, MaxDepth, NrDescendants int32
	// EventsGen counts modifications of cgroup.events (populated or frozen
	// transitions): what an inotify/poll waiter would be woken by.
	EventsGen uint32
	// populatedSeen / frozenSeen are the last values cgroup.events showed.
	populatedSeen, frozenSeen bool
}

// CssSet is a css_set: the tasks that share one cgroup in every hierarchy
// (the v2 cgroup and, on a machine with v1 hierarchies mounted, one
// cgroup in each of them). Mutated under css_set_lock; created under
// cgroup_mutex (find_css_set) and freed when its last reference goes
// (put_css_set_locked).
type CssSet struct {
	// Cgroup is cset->dfl_cgrp; NoCgroup for a free slot.
	Cgroup CgroupID
	// V1 names the css_set's cgroups in the other (v1) hierarchies: an
	// index into Kernel.v1Names (0: the root of each).
	V1 int32
	// DomCset is cset->dom_cset: the css_set itself, or for a css_set of
	// a threaded cgroup, the css_set of its thread root with the same v1
	// cgroups, on whose threaded_csets list it is.
	DomCset CsetID
	// refcount counts the tasks that point to the css_set (until
	// release_task), the forks holding it between cgroup_can_fork and
	// cgroup_post_fork, the css_task_iters pinning it and the threaded
	// css_sets whose dom_cset it is.
	refcount int32
	// linkNext/linkPrev: the css_set's place on Cgroup's cset_links.
	linkNext, linkPrev CsetID
	// tcHead..tcTail is cset->threaded_csets (a domain css_set's threaded
	// css_sets, in creation order); tcNext/tcPrev is threaded_csets_node.
	tcHead, tcTail, tcNext, tcPrev CsetID
	// The cset->tasks and cset->dying_tasks lists, linked through
	// Task.cgNext/cgPrev; nrTasks is the length of the tasks list.
	taskHead, taskTail   TaskID
	dyingHead, dyingTail TaskID
	nrTasks              int32
	// order is the css_set's place in creation order among the live
	// css_sets (0 is the oldest; freeing one renumbers the younger ones).
	// A css_set is added at the tail of its memory css's e_csets list
	// when find_css_set creates it, so a memcg's e_csets are its css_sets
	// in this order (the slot index is not: slots are reused).
	order int32
}

// Action returns the disposition of sig.
func (g *Group) Action(sig Signal) Disposition {
	switch {
	case g.ign.Has(sig):
		return SigIgnore
	case g.hnd.Has(sig):
		return HandlerReturn
	case g.hndExit.Has(sig):
		return HandlerExit
	}
	return SigDefault
}

func (g *Group) setAction(sig Signal, d Disposition) {
	g.ign, g.hnd, g.hndExit = g.ign.Without(sig), g.hnd.Without(sig), g.hndExit.Without(sig)
	switch d {
	case SigIgnore:
		g.ign = g.ign.With(sig)
	case HandlerReturn:
		g.hnd = g.hnd.With(sig)
	case HandlerExit:
		g.hndExit = g.hndExit.With(sig)
	}
}

// KPath is the kernel code path a task is executing.
type KPath uint8

// Kernel paths. KUser means the task is in user mode (or about to return
// to it, with Ret/Err holding the last system call's result).
const (
	KUser KPath = iota
	KFork
	KExit
	KWait
	KPause
	KCgroupWrite
	KIdle // a kernel thread's idle loop; never runnable
	KExec // execve's de_thread
	KOOM  // a memcg (or global) OOM: mem_cgroup_out_of_memory → out_of_memory
	// KCoredump is vfs_coredump (fs/coredump.c) called from get_signal for
	// a core-dumping signal: the dumper waits in coredump_wait for the
	// zapped threads, then writes the core and runs coredump_finish.
	KCoredump
)

var kpathNames = [...]string{"user", "fork", "exit", "wait4", "pause", "cgroup-write", "kthread-idle", "execve", "oom", "coredump"}

// String names the path.
func (p KPath) String() string { return kpathNames[p] }

// Frame is the continuation of a multi-step kernel path: where the task
// is in it and the locals the path keeps across steps.
type Frame struct {
	// Err is the errno the path will return.
	Err Errno
	// Flags are the clone flags (KFork) or wait options (KWait).
	Flags uint32
	// SetTid is clone3's set_tid (KFork): the pids asked for, innermost
	// namespace first, 0 past the end (at most MaxSetTid levels).
	SetTid [MaxSetTid]int32
	// ExitSig is clone3's exit_signal plus one (KFork), or 0 for the
	// default (SIGCHLD, as fork and clone without CSIGNAL bits give).
	ExitSig int32
	// Child is the task being created (KFork), or the task a cgroup.kill
	// walk has yielded and not yet signalled, or the one a cgroup.procs or
	// cgroup.threads write resolved (KCgroupWrite).
	Child TaskID
	// Seq is the kill_seq snapshot of cgroup_css_set_fork (KFork), or the
	// parsed value of a cgroup file write (KCgroupWrite).
	Seq uint32
	// Cg is the target cgroup (CLONE_INTO_CGROUP, or the file's cgroup).
	Cg CgroupID
	// Cur is the cgroup a cgroup.kill walk is in (or the memcg an OOM
	// group walk is in, model/oom.go). Its css_task_iter is
	// Cset (it->cur_cset), Dcset (it->cur_dcset: the css_set at cset_pos
	// on Cur's cset_links, whose threaded_csets the walk visits after it)
	// and the position Iter on list iterList of Cset (task_pos: the next
	// task to yield; NoTask is the list head, and iterList == onNoList is
	// the end of the walk). A fork keeps kargs->cset in Cset.
	// Arg/Arg2: file (KCgroupWrite), exit code (KExit), pid (KWait).
	// A fork keeps the child's start registers in Cur, Iter, Arg, Arg2
	// and Arg3, which only it uses (childUser/setChildUser): no path
	// needs both.
	Cur             CgroupID
	Iter            TaskID
	Cset, Dcset     CsetID
	Arg, Arg2, Arg3 int32
	Path            KPath
	PC              uint8
	// Delayed is an in-flight fork's multiprocess_signals (copy_process):
	// the process group and broadcast signals sent to the forking process
	// after its early signal check; the child starts with them pending.
	Delayed Sigset
	// iterList is which list of Cset Iter is on (tasks or dying), or
	// onNoList at the end of the walk.
	iterList cgList
	// iterSkipped is CSS_TASK_ITER_SKIPPED: the task at Iter was removed
	// and Iter moved to its successor, which has not been filtered yet.
	iterSkipped bool
	// holdsMutex: the path holds cgroup_mutex; holdsRwsem: it holds
	// cgroup_threadgroup_rwsem for reading (a fork between can_fork and
	// post_fork).
	holdsMutex, holdsRwsem bool
}

// childUser returns the child's start registers of a fork frame.
func (f *Frame) childUser() UserRegs {
	return UserRegs{Prog: f.Arg, PC: f.Arg2, R: [3]int32{int32(f.Cur), int32(f.Iter), f.Arg3}}
}

func (f *Frame) setChildUser(u UserRegs) {
	f.Arg, f.Arg2, f.Cur, f.Iter, f.Arg3 = u.Prog, u.PC, CgroupID(u.R[0]), TaskID(u.R[1]), u.R[2]
}
