package model

import (
	"fmt"
	"strings"
)

// KillMode selects how cgroup.kill and cgroup_post_fork cooperate.
type KillMode uint8

// Kill modes, named after what they model.
const (
	// KillFlag: v5.14–v6.13, the CGRP_KILL bit set for the duration of
	// __cgroup_kill and tested in cgroup_post_fork (661ee6280931).
	KillFlag KillMode = iota
	// KillSeq: v6.14+ kill_seq with the 2026 fix (8e359920216): the fork
	// snapshots the destination cgroup's counter in cgroup_css_set_fork
	// and cgroup_post_fork compares (b69bb476dee9).
	KillSeq
	// KillSeqIntoCgroupBug: v6.14 up to the 2026 fix: the snapshot is
	// taken from the parent's cgroup before CLONE_INTO_CGROUP's target is
	// resolved, so a child cloned into a cgroup whose counter differs from
	// the parent's is SIGKILLed at birth. This machine's 6.18 has it.
	KillSeqIntoCgroupBug
	// KillAtomic: increment the sequence and signal every member under one
	// lock that fork's commit also takes (gVisor's cgroup2fs design).
	KillAtomic
)

// ZapMode selects the pid namespace zap of a dying init.
type ZapMode uint8

// Zap modes.
const (
	// ZapCurrent: today's zap_pid_ns_processes: disable_pid_allocation,
	// SIGCHLD ignored, forced SIGKILL to every pid under tasklist_lock,
	// kernel_wait4 until ECHILD, then wait until pid_allocated == init_pids.
	ZapCurrent ZapMode = iota
	// Zap2007: the seed patch (Pid-NS V3 12/17): a terminating flag that
	// refuses allocation, SIGKILL to each pid number one at a time, a
	// do_fork check that kills children created meanwhile, no waiting.
	Zap2007
	// ZapV33: what was merged in v2.6.24 and lasted to about v3.3, after
	// Pavel Emelianov's objection: SIGCHLD ignored, a forced SIGKILL to
	// every task under tasklist_lock, then sys_wait4 until ECHILD; but no
	// allocation disable and no wait for pids it cannot reap (children of
	// outside parents), and the orphans go to the global init
	// (pid_ns->child_reaper = init_pid_ns.child_reaper).
	ZapV33
)

// PopulatedMode selects when an exiting task stops populating its cgroup.
type PopulatedMode uint8

// Populated modes.
const (
	// PopulatedAtExit: classic cgroup_exit() in do_exit, before exit_notify.
	PopulatedAtExit PopulatedMode = iota
	// PopulatedAtFinalSwitch: 6.19+ (d245698d727a): the unlink happens in
	// cgroup_task_dead() after the final context switch, after exit_notify.
	PopulatedAtFinalSwitch
)

// CoredumpMode selects where the threads a core dump zaps wait for it.
type CoredumpMode uint8

// Coredump modes.
const (
	// CoredumpCurrent: 5.16+ ("coredump: Don't perform any cleanups before
	// dumping core", Eric W. Biederman, 2021): a zapped thread waits in
	// coredump_task_exit at the start of do_exit, before exit_signals, so
	// it is not PF_EXITING while the dump runs (a SIGKILL sent to it
	// reaches complete_signal's group kill and interrupts the dump).
	CoredumpCurrent CoredumpMode = iota
	// CoredumpV515: ≤5.15 (SIGNAL_GROUP_COREDUMP, mm->core_state): a
	// zapped thread waits in exit_mm (coredump_exit_mm), after
	// exit_signals has set PF_EXITING, so a SIGKILL sent to it alone
	// (cgroup.kill's send_sig) finds nobody to wake and leaves the dump
	// running. Covers the start of the CGRP_KILL era (5.14, 5.15).
	CoredumpV515
)

var (
	coredumpNames  = []string{"current", "v5.15"}
	killModeNames  = []string{"flag", "seq", "seq-into-cgroup-bug", "atomic"}
	zapModeNames   = []string{"current", "2007", "v3.3"}
	populatedNames = []string{"at-exit", "at-final-switch"}
)

// String returns the option value's name as scenarios and flags spell it.
func (m KillMode) String() string { return killModeNames[m] }

// String returns the option value's name.
func (m ZapMode) String() string { return zapModeNames[m] }

// String returns the option value's name.
func (m PopulatedMode) String() string { return populatedNames[m] }

// String returns the option value's name.
func (m CoredumpMode) String() string { return coredumpNames[m] }

// ParseCoredumpMode parses "current" or "v5.15".
func ParseCoredumpMode(s string) (CoredumpMode, error) {
	i, err := parseName(coredumpNames, s, "coredump mode")
	return CoredumpMode(i), err
}

func parseName(names []string, s, what string) (int, error) {
	for i, n := range names {
		if n == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want one of %s)", what, s, strings.Join(names, ", "))
}

// ParseKillMode parses "flag", "seq", "seq-into-cgroup-bug" or "atomic".
func ParseKillMode(s string) (KillMode, error) {
	i, err := parseName(killModeNames, s, "kill mode")
	return KillMode(i), err
}

// ParseZapMode parses "current", "2007" or "v3.3".
func ParseZapMode(s string) (ZapMode, error) {
	i, err := parseName(zapModeNames, s, "zap mode")
	return ZapMode(i), err
}

// ParsePopulatedMode parses "at-exit" or "at-final-switch".
func ParsePopulatedMode(s string) (PopulatedMode, error) {
	i, err := parseName(populatedNames, s, "populated mode")
	return PopulatedMode(i), err
}

// KillModes, ZapModes and PopulatedModes list every value, for sweeps.
var (
	KillModes      = []KillMode{KillFlag, KillSeq, KillSeqIntoCgroupBug, KillAtomic}
	ZapModes       = []ZapMode{ZapCurrent, Zap2007, ZapV33}
	PopulatedModes = []PopulatedMode{PopulatedAtExit, PopulatedAtFinalSwitch}
	// CoredumpModes lists every coredump mode.
	CoredumpModes = []CoredumpMode{CoredumpCurrent, CoredumpV515}
)

// Options are the kernel behaviour options: which kernel version's
// semantics the machine has. They are recorded in every trace.
type Options struct {
	Kill      KillMode
	Zap       ZapMode
	Populated PopulatedMode
	// Coredump is where the threads zapped by a core dump wait for it
	// (CoredumpCurrent, the zero value, is 5.16+).
	Coredump CoredumpMode
	// PidMax is /proc/sys/kernel/pid_max (the kernel's floor is 301; the
	// model accepts smaller values so that pid reuse is cheap to reach).
	PidMax int32
	// ThreadsMax is max_threads (fork: EAGAIN when nr_threads reaches it).
	ThreadsMax int32
	// PostForkKillIfParentKilled is a candidate fix, not a kernel
	// behaviour: cgroup_post_fork also SIGKILLs the child when the parent
	// already has SIGKILL pending. It closes the residual kill_seq window.
	PostForkKillIfParentKilled bool
	// KillSignalUnderCssSetLock is a candidate fix, not a kernel behaviour:
	// __cgroup_kill sends each SIGKILL inside the css_task_iter_next
	// critical section (css_set_lock → siglock is the lock order
	// cgroup_do_freeze already uses), closing the gap in which a yielded
	// task can commit a fork and run cgroup_post_fork before it is signalled.
	KillSignalUnderCssSetLock bool
}

// DefaultOptions are the semantics of current mainline (6.14+ with the
// 2026 fix, classic populated timing) with pid_max 32768.
func DefaultOptions() Options {
	return Options{Kill: KillSeq, Zap: ZapCurrent, Populated: PopulatedAtExit, PidMax: 32768, ThreadsMax: 1 << 30}
}

// String renders the options as "kill=seq zap=current populated=at-exit pid_max=32768".
func (o Options) String() string {
	s := fmt.Sprintf("kill=%s zap=%s populated=%s pid_max=%d", o.Kill, o.Zap, o.Populated, o.PidMax)
	if o.Coredump != CoredumpCurrent {
		s += " coredump=" + o.Coredump.String()
	}
	if o.PostForkKillIfParentKilled {
		s += " post_fork_kill_if_parent_killed=1"
	}
	if o.KillSignalUnderCssSetLock {
		s += " kill_signal_under_css_set_lock=1"
	}
	return s
}

// Kernel is the whole kernel state of one simulated machine. It is a
// plain value graph (slices of structs, indices instead of pointers), so
// Clone is a deep copy and the state can be hashed.
//
// Ownership: a Kernel is used by one goroutine at a time. Every method
// that changes state is one atomic step of the kernel (or a piece of
// one); the caller (package sim) decides which task steps next.
type Kernel struct {
	Opts    Options
	tasks   []Task
	groups  []Group
	ns      []PidNS
	cgroups []Cgroup
	// csets are the css_sets (csets[InitCset] is init_css_set); v1Names
	// interns CssSet.V1 placements (append-only, shared by clones).
	csets   []CssSet
	v1Names []string
	// upids holds every task's pid numbers (see Task.pidOff); append-only.
	upids []int32
	// cgroupMutex is the owner of cgroup_mutex, or NoTask.
	cgroupMutex TaskID
	// tgReaders counts holders of cgroup_threadgroup_rwsem for reading
	// (forks between cgroup_can_fork and cgroup_post_fork).
	tgReaders int32
	// nrThreads is the global nr_threads.
	nrThreads int32
	// tgWriter is the task holding (or waiting for) the threadgroup rwsem
	// for writing: a migration. New forks wait in cgroup_can_fork.
	tgWriter TaskID
	// names holds mkdir arguments (Frame.Arg2 indexes it); append-only.
	names []string
	// lastChild is the child of the last fork that completed (setup use).
	lastChild TaskID
	// Panic is set when the model reaches a kernel panic (global init died).
	Panic string
	// spareIdr keeps idr buffers for CloneInto to reuse.
	spareIdr [][]pidEntry
	// iters lists the tasks whose cgroup.kill walk or OOM group walk holds
	// a css_task_iter, so that unlinking a task can move iterators off it.
	iters []TaskID
	// oomLockOwner is the owner of oom_lock (mm/oom_kill.c), or NoTask.
	oomLockOwner TaskID
	// live, if set, leaves dead user values out of the state key (see
	// SetLiveness). Immutable once set and shared by clones.
	live Liveness

	// Change tracking (dirty.go): not part of the machine state. dirty is
	// the set of objects written since this kernel was made by Clone or
	// CloneInto from from, whose epoch was then fromEpoch; epoch counts the
	// times this kernel's memory was reused by CloneInto, so that a
	// recycled parent is not mistaken for the one cloned. Written only by
	// the marking accessors, Clone, CloneInto and Renamed.
	dirty     dirtySet
	from      *Kernel
	epoch     uint64
	fromEpoch uint64

	// Tracing state: not part of the machine state.
	tracing bool
	ev      Event
	// Cover records the coverage points reached (see Coverage).
	Cover Coverage
}

// New returns a machine with init_pid_ns, the root cgroup and no tasks.
func New(opts Options) *Kernel {
	if opts.PidMax == 0 {
		opts.PidMax = 32768
	}
	if opts.ThreadsMax == 0 {
		opts.ThreadsMax = 1 << 30
	}
	k := &Kernel{Opts: opts, cgroupMutex: NoTask, tgWriter: NoTask, oomLockOwner: NoTask}
	k.newPidNS(NoNS)
	k.cgroups = append(k.cgroups, Cgroup{
		Name: "", Parent: NoCgroup, Online: true, DomCgrp: RootCG,
		childHead: NoCgroup, childTail: NoCgroup, sibNext: NoCgroup, sibPrev: NoCgroup,
		csetHead: NoCset, csetTail: NoCset,
		PidsMax: -1, MaxDescendants: -1, MaxDepth: -1,
	})
	// init_css_set, linked to the root cgroup; its static reference keeps
	// it for ever.
	k.findCssSet(0, RootCG)
	return k
}

// Reserve grows the kernel's tables for n more tasks (and their thread
// groups and pid numbers), as make() with a capacity would: for setups
// that know their size, so that append growth leaves no slack.
func (k *Kernel) Reserve(n int) {
	k.tasks = append(make([]Task, 0, len(k.tasks)+n), k.tasks...)
	k.groups = append(make([]Group, 0, len(k.groups)+n), k.groups...)
	k.upids = append(make([]int32, 0, len(k.upids)+n), k.upids...)
	for i := range k.ns {
		k.ns[i].idr = append(make([]pidEntry, 0, len(k.ns[i].idr)+n), k.ns[i].idr...)
	}
}

// Clone returns an independent deep copy of the machine (tracing off).
func (k *Kernel) Clone() *Kernel {
	c := *k
	c.tasks = append([]Task(nil), k.tasks...)
	c.groups = append([]Group(nil), k.groups...)
	c.cgroups = append([]Cgroup(nil), k.cgroups...)
	c.csets = append([]CssSet(nil), k.csets...)
	c.v1Names = k.v1Names[:len(k.v1Names):len(k.v1Names)]
	// upids is append-only (a failed fork's numbers are cut off with a
	// capped reslice), so clones share it copy-on-write.
	c.upids = k.upids[:len(k.upids):len(k.upids)]
	c.iters = append([]TaskID(nil), k.iters...)
	c.names = k.names[:len(k.names):len(k.names)]
	c.ns = append([]PidNS(nil), k.ns...)
	for i := range c.ns {
		c.ns[i].idr = append([]pidEntry(nil), k.ns[i].idr...)
	}
	c.tracing = false
	c.ev = Event{}
	c.spareIdr = nil
	c.cloned(k, 0)
	return &c
}

// CloneInto makes the same copy as Clone into d, reusing the memory of d's
// own tables; d must be a kernel no one else uses. Slices that clones share
// copy-on-write (upids, names) are shared, never reused.
func (k *Kernel) CloneInto(d *Kernel) *Kernel {
	tasks := append(d.tasks[:0], k.tasks...)
	groups := append(d.groups[:0], k.groups...)
	cgroups := append(d.cgroups[:0], k.cgroups...)
	csets := append(d.csets[:0], k.csets...)
	iters := append(d.iters[:0], k.iters...)
	spare := d.spareIdr[:0]
	for i := range d.ns {
		spare = append(spare, d.ns[i].idr[:0])
	}
	ns := append(d.ns[:0], k.ns...)
	for i := range ns {
		var buf []pidEntry
		if i < len(spare) {
			buf = spare[i]
		}
		ns[i].idr = append(buf, k.ns[i].idr...)
	}
	epoch := d.epoch + 1
	*d = *k
	d.cloned(k, epoch)
	d.tasks, d.groups, d.cgroups, d.csets, d.iters, d.ns, d.spareIdr = tasks, groups, cgroups, csets, iters, ns, spare
	d.v1Names = k.v1Names[:len(k.v1Names):len(k.v1Names)]
	d.upids = k.upids[:len(k.upids):len(k.upids)]
	d.names = k.names[:len(k.names):len(k.names)]
	d.tracing = false
	d.ev = Event{}
	return d
}

// SetTracing turns event recording on or off. Exploration runs with it off.
func (k *Kernel) SetTracing(on bool) { k.tracing = on }

// Task returns the task (read-only view; do not modify).
func (k *Kernel) Task(t TaskID) *Task { return &k.tasks[t] }

// NumTasks is the number of task ids ever created.
func (k *Kernel) NumTasks() int { return len(k.tasks) }

// Group returns the thread group of t.
func (k *Kernel) GroupOf(t TaskID) *Group { return &k.groups[k.tasks[t].Group] }

// NS returns the pid namespace.
func (k *Kernel) NS(ns NSID) *PidNS { return &k.ns[ns] }

// NumNS is the number of pid namespaces ever created.
func (k *Kernel) NumNS() int { return len(k.ns) }

// Cgroup returns the cgroup.
func (k *Kernel) Cgroup(c CgroupID) *Cgroup { return &k.cgroups[c] }

// NumCgroups is the number of cgroups ever created (dead ones included).
func (k *Kernel) NumCgroups() int { return len(k.cgroups) }

// CgroupMutexOwner is the task holding cgroup_mutex, or NoTask.
func (k *Kernel) CgroupMutexOwner() TaskID { return k.cgroupMutex }

// ThreadgroupWriter is the task holding cgroup_threadgroup_rwsem for
// writing or waiting for its readers to drain (a cgroup.procs or
// cgroup.threads write past cgroup_attach_lock's percpu_down_write), or
// NoTask. While it is set, new readers (forks at cgroup_can_fork, exits
// at exit_signals) wait.
func (k *Kernel) ThreadgroupWriter() TaskID { return k.tgWriter }

// IsLeader reports thread_group_leader(t).
func (k *Kernel) IsLeader(t TaskID) bool { return k.groups[k.tasks[t].Group].Leader == t }

// Alive reports whether t has not yet started exiting.
func (k *Kernel) Alive(t TaskID) bool {
	tk := k.rtask(t)
	return tk.Exit == ExitNone && tk.Flags&PF_EXITING == 0
}

// Event is what one step did: the acting task, the kernel function it
// modelled, and what changed.
type Event struct {
	Task TaskID
	Func string
	What []string
}

// begin starts the event of a step.
func (k *Kernel) begin(t TaskID, fn string) {
	if k.tracing {
		k.ev.Task, k.ev.Func = t, fn
	}
}

// notef records a change in the current event. Callers on hot paths guard
// it with k.tracing so that no arguments are boxed when tracing is off.
func (k *Kernel) notef(format string, args ...any) {
	if k.tracing {
		k.ev.What = append(k.ev.What, fmt.Sprintf(format, args...))
	}
}

// TakeEvent returns the event recorded since the last call and resets it.
func (k *Kernel) TakeEvent() Event {
	e := k.ev
	k.ev = Event{}
	return e
}

// Coverage is a set of coverage points: interleavings a run reached.
type Coverage uint32

// Coverage points.
const (
	// CovForkPassedSigcheckBeforeKill: a fork passed copy_process's
	// fatal_signal_pending check, and its parent was then SIGKILLed by
	// cgroup.kill before cgroup_post_fork.
	CovForkPassedSigcheckBeforeKill Coverage = 1 << iota
	// CovPostForkAfterKillWalk: cgroup_post_fork linked a child at the
	// tail of a css_set that a running kill walk had already left (or
	// whose dying list it was on), so the walk will not yield the child.
	CovPostForkAfterKillWalk
	// CovPostForkKilledChild: cgroup_post_fork decided to SIGKILL a child.
	CovPostForkKilledChild
	// CovForkEINTR: a fork failed with EINTR at the fatal signal check.
	CovForkEINTR
	// CovZapInFlightFork: a fork was in flight when its namespace's init
	// started the zap.
	CovZapInFlightFork
	// CovForkENOMEMDeadNS: a fork failed with ENOMEM in a dead namespace.
	CovForkENOMEMDeadNS
	// CovKillSkippedPending: cgroup.kill skipped a task with SIGKILL pending.
	CovKillSkippedPending
	// CovKillZombieLeader: cgroup.kill signalled a zombie (PF_EXITING)
	// leader whose other threads were alive.
	CovKillZombieLeader
	// CovPostForkKilledIntoCgroup: cgroup_post_fork SIGKILLed a child of a
	// CLONE_INTO_CGROUP fork. Such a fork holds cgroup_mutex from can_fork
	// to post_fork, so no cgroup.kill can run in between: the kill is
	// always spurious (the kill_seq snapshot bug).
	CovPostForkKilledIntoCgroup
	// CovPostForkAfterOOMWalk: cgroup_post_fork linked a child into a
	// css_set that a running OOM group walk (mem_cgroup_scan_tasks) has
	// passed, so the walk will not yield the child; nothing in
	// cgroup_post_fork kills it on the walk's behalf.
	CovPostForkAfterOOMWalk
	// CovOOMKilledOutsideGroup: __oom_kill_process SIGKILLed a process
	// that was no longer in the cgroup the kill was meant for (it moved
	// out after it was chosen or yielded).
	CovOOMKilledOutsideGroup
	// CovOOMKillViaOtherThread: find_lock_task_mm gave __oom_kill_process
	// another thread than the leader it was handed (a zombie or exiting
	// leader), and the group SIGKILL went through it.
	CovOOMKillViaOtherThread
	// CovCoredumpInterrupted: a SIGKILL reached a group while one of its
	// threads was dumping core (core_state set): complete_signal's group
	// kill makes dump_interrupted true, and the process dies of SIGKILL.
	CovCoredumpInterrupted
	// CovCoredumpFinished: coredump_finish ran with no fatal signal
	// pending: the process dies of its core-dumping signal (with the core
	// bit if a core was written).
	CovCoredumpFinished
	numCoverage = iota
)

var coverageNames = []string{
	"fork-passed-sigcheck-before-kill", "post_fork-after-kill-walk", "post_fork-killed-child",
	"fork-EINTR", "zap-in-flight-fork", "fork-ENOMEM-dead-ns", "kill-skipped-pending",
	"kill-zombie-leader", "post_fork-killed-into-cgroup-child", "post_fork-after-oom-walk",
	"oom-killed-outside-group", "oom-kill-via-other-thread", "coredump-interrupted", "coredump-finished",
}

// Names lists the points in the set.
func (c Coverage) Names() []string {
	var out []string
	for i := 0; i < numCoverage; i++ {
		if c&(1<<i) != 0 {
			out = append(out, coverageNames[i])
		}
	}
	return out
}

// CoverageNames lists every coverage point's name.
func CoverageNames() []string { return append([]string(nil), coverageNames...) }

// ParseCoverage returns the point named s.
func ParseCoverage(s string) (Coverage, bool) {
	for i, n := range coverageNames {
		if n == s {
			return 1 << i, true
		}
	}
	return 0, false
}

// ParseOptions parses the form Options.String writes ("kill=seq
// zap=current populated=at-exit pid_max=32768", plus the candidate-fix
// switches), starting from DefaultOptions for fields it does not name.
func ParseOptions(s string) (Options, error) {
	o := DefaultOptions()
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return o, fmt.Errorf("option %q: want key=value", f)
		}
		var err error
		switch k {
		case "kill":
			o.Kill, err = ParseKillMode(v)
		case "zap":
			o.Zap, err = ParseZapMode(v)
		case "populated":
			o.Populated, err = ParsePopulatedMode(v)
		case "coredump":
			o.Coredump, err = ParseCoredumpMode(v)
		case "pid_max":
			var n int
			if _, err = fmt.Sscanf(v, "%d", &n); err == nil && (n < 2 || n > 1<<22) {
				err = fmt.Errorf("pid_max %d out of range [2, 4194304]", n)
			}
			o.PidMax = int32(n)
		case "post_fork_kill_if_parent_killed":
			o.PostForkKillIfParentKilled = v == "1"
		case "kill_signal_under_css_set_lock":
			o.KillSignalUnderCssSetLock = v == "1"
		default:
			err = fmt.Errorf("unknown option %q", k)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}
