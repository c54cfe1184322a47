package model_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"cgsim/model"
)

// This file drives random operations on a kernel through the model's
// public API (rapid's state machine testing) and checks, after every
// operation, the model's own invariants plus properties derived here from
// the reference semantics (shared/reference/kernel-semantics.md 1–6):
//
//   - CheckInvariants, no kernel panic, no leaked cgroup_mutex;
//   - populated, cgroup.events notifications and the frozen bit against
//     recounts; no task in a freezing cgroup runs user code; cgroup v2
//     structure rules; pids.current against the charged tasks;
//   - pid numbers resolve in every namespace of a task's chain; kthreads
//     never die; threads share the leader's parent; reparenting follows
//     find_new_reaper; has_child_subreaper; the current zap leaves nothing;
//   - every completed call returns an errno the kernel can return for it
//     (and the one the state implies where that is simple), and its
//     result agrees with the state (fork's child, wait4's status,
//     kill(SIGKILL), cgroup.kill's victims, reads).
//
// Run: go test ./model/ -run StateMachine [-rapid.checks=2000 -rapid.steps=100].
// A failure logs the op sequence and a traced replay of it.

// setup is the drawn initial machine.
type setup struct {
	opts        model.Options
	initIgnChld bool
	kthread     int // 0 none, 1 movable, 2 bound (PF_NO_SETAFFINITY)
}

func drawSetup(t *rapid.T) setup {
	var s setup
	s.opts.Kill = rapid.SampledFrom(model.KillModes).Draw(t, "kill")
	s.opts.Zap = rapid.SampledFrom(model.ZapModes).Draw(t, "zap")
	s.opts.Populated = rapid.SampledFrom(model.PopulatedModes).Draw(t, "populated")
	s.opts.Coredump = rapid.SampledFrom(model.CoredumpModes).Draw(t, "coredump")
	s.opts.PidMax = rapid.Int32Range(8, 64).Draw(t, "pid_max")
	if rapid.Bool().Draw(t, "small_threads_max") {
		s.opts.ThreadsMax = rapid.Int32Range(4, 24).Draw(t, "threads_max")
	}
	s.opts.PostForkKillIfParentKilled = rapid.Bool().Draw(t, "post_fork_kill_if_parent_killed")
	s.opts.KillSignalUnderCssSetLock = rapid.Bool().Draw(t, "kill_signal_under_css_set_lock")
	s.initIgnChld = rapid.Bool().Draw(t, "init_ignores_sigchld")
	s.kthread = rapid.IntRange(0, 2).Draw(t, "kthread")
	return s
}

// op is one fully drawn operation: replaying the same ops on a kernel
// built from the same setup must give the same states.
type op struct {
	Kind  string
	T     model.TaskID
	Flags uint32
	Cg    model.CgroupID
	Pid   int32
	Sig   model.Signal
	NS    model.NSID
	File  model.CgroupFile
	Str   string
	Disp  model.Disposition
}

func (o op) String() string {
	switch o.Kind {
	case "fork":
		return fmt.Sprintf("T%d fork(flags=%#x cg=%d)", o.T, o.Flags, o.Cg)
	case "step":
		return fmt.Sprintf("T%d step", o.T)
	case "exit", "exit_group":
		return fmt.Sprintf("T%d %s(%d)", o.T, o.Kind, o.Pid)
	case "kill":
		return fmt.Sprintf("T%d kill(%d, %s)", o.T, o.Pid, o.Sig)
	case "mkdir":
		return fmt.Sprintf("T%d mkdir(cg%d/%s)", o.T, o.Cg, o.Str)
	case "rmdir":
		return fmt.Sprintf("T%d rmdir(cg%d)", o.T, o.Cg)
	case "write":
		return fmt.Sprintf("T%d write(cg%d/%s, %q)", o.T, o.Cg, o.File, o.Str)
	case "read":
		return fmt.Sprintf("T%d read(cg%d/%s)", o.T, o.Cg, o.File)
	case "setns":
		return fmt.Sprintf("T%d setns(ns%d)", o.T, o.NS)
	case "sigaction":
		return fmt.Sprintf("T%d sigaction(%s, %s)", o.T, o.Sig, o.Disp)
	case "wait":
		return fmt.Sprintf("T%d wait4(-1, %#x)", o.T, o.Flags)
	case "v1":
		return fmt.Sprintf("T%d's process placed in v1 cgroups %q", o.T, o.Str)
	case "oom":
		return fmt.Sprintf("T%d OOM in cg%d (hog T%d)", o.T, o.Cg, o.Pid)
	}
	return fmt.Sprintf("T%d %s", o.T, o.Kind)
}

func apply(k *model.Kernel, o op) (out string) {
	switch o.Kind {
	case "read":
		out, _ = k.ReadFile(o.T, o.Cg, o.File)
	case "fork":
		k.Fork(o.T, model.CloneArgs{Flags: o.Flags, Cgroup: o.Cg})
	case "step":
		k.Step(o.T)
	case "exit":
		k.Exit(o.T, o.Pid)
	case "exit_group":
		k.ExitGroup(o.T, o.Pid)
	case "kill":
		k.Kill(o.T, o.Pid, o.Sig)
	case "mkdir":
		k.Mkdir(o.T, o.Cg, o.Str)
	case "rmdir":
		k.Rmdir(o.T, o.Cg)
	case "write":
		k.WriteFile(o.T, o.Cg, o.File, o.Str)
	case "unshare":
		k.UnsharePidNS(o.T)
	case "setns":
		k.Setns(o.T, o.NS)
	case "subreaper":
		k.SetChildSubreaper(o.T)
	case "sigaction":
		k.Sigaction(o.T, o.Sig, o.Disp, false)
	case "wait":
		k.Wait(o.T, -1, o.Flags)
	case "pause":
		k.Pause(o.T)
	case "v1":
		k.SetupMoveV1(o.T, o.Str)
	case "exec":
		k.Exec(o.T, 0)
	case "setpgid":
		k.Setpgid(o.T, o.Pid, int32(o.NS))
	case "setsid":
		k.Setsid(o.T)
	case "oom":
		k.OOM(o.T, o.Cg, model.TaskID(o.Pid)) // Pid carries the hog's task id
	default:
		panic("unknown op " + o.Kind)
	}
	return out
}

// build creates the initial machine of s.
func (s setup) build() (*model.Kernel, model.TaskID, []model.TaskID) {
	k := model.New(s.opts)
	init := k.SetupInit(model.UserRegs{})
	if s.initIgnChld {
		k.Sigaction(init, model.SIGCHLD, model.SigIgnore, false)
		if _, err := k.SetupRun(init); err != model.OK {
			panic(err)
		}
	}
	var kts []model.TaskID
	if s.kthread > 0 {
		kts = append(kts, k.SetupKthread(s.kthread == 1))
	}
	return k, init, kts
}

// call is a system call in flight, checked when it completes.
type call struct {
	op    op
	class string
	// target is the task kill(2) resolved the pid to (NoTask if none).
	target model.TaskID
	// predicted is the errno the state at issue time implies, if any
	// (checked when the call completes in the op that issued it).
	predicted []model.Errno
	issued    int
	// victims: for cgroup.kill, the processes linked in the subtree when
	// the write took cgroup_mutex (nil until then).
	victims []model.TaskID
	locked  bool
}

type machine struct {
	s        setup
	k        *model.Kernel
	init     model.TaskID
	kthreads []model.TaskID
	ops      []op
	keys     [][]byte // key after each op (determinism test only)
	record   bool
	// strict enables the semantic checks (off in the determinism test,
	// which only compares states).
	strict   bool
	inflight map[model.TaskID]*call
	zapped   map[model.NSID]bool
	// out is the output of the last op (reads).
	out string
	// gens: per cgroup, the populated/frozen state and cgroup.events
	// generation seen at the previous check.
	gens []evState
	// Exit-status bookkeeping (see checkGroupExits).
	prevExit      []model.ExitState
	prevParent    []model.TaskID
	prevGroupExit map[model.GroupID]bool
	// prevCore: the group was dumping core (core_state) before the op.
	prevCore map[model.GroupID]bool
	// prevQuick counts, per group, the threads that had not entered
	// do_exit before the op (signal->quick_threads).
	prevQuick map[model.GroupID]int
	// prevWriter is the threadgroup rwsem's writer before the op, and
	// prevExiting which tasks had PF_EXITING.
	prevWriter  model.TaskID
	prevExiting []bool
	groupCode   map[model.GroupID]int32
	t           *rapid.T
}

func newMachine(t *rapid.T, record bool) *machine {
	s := drawSetup(t)
	k, init, kts := s.build()
	return &machine{s: s, k: k, init: init, kthreads: kts, record: record, strict: !record, inflight: map[model.TaskID]*call{}, zapped: map[model.NSID]bool{},
		prevGroupExit: map[model.GroupID]bool{}, prevCore: map[model.GroupID]bool{}, prevQuick: map[model.GroupID]int{}, groupCode: map[model.GroupID]int32{}, t: t}
}

type evState struct {
	populated, frozen bool
	gen               uint32
}

// ---- candidate selection ----

// userTasks are the tasks that may issue a system call now: in user mode,
// runnable, not a kthread, and with no kernel work (signal, freezer) due.
func (m *machine) userTasks() []model.TaskID {
	var out []model.TaskID
	k := m.k
	for i := 0; i < k.NumTasks(); i++ {
		t := model.TaskID(i)
		tk := k.Task(t)
		if tk.Frame.Path == model.KUser && tk.Flags&model.PF_KTHREAD == 0 && k.Runnable(t) && !k.NeedsKernelStep(t) {
			out = append(out, t)
		}
	}
	return out
}

func (m *machine) steppable() []model.TaskID {
	var out []model.TaskID
	k := m.k
	for i := 0; i < k.NumTasks(); i++ {
		t := model.TaskID(i)
		if k.Runnable(t) && k.NeedsKernelStep(t) {
			out = append(out, t)
		}
	}
	return out
}

// nameableNS lists the pid namespaces a task could open an fd of:
// /proc/PID/ns/pid of an attached task, or its pid_for_children once that
// namespace has a child reaper (pidns_for_children_get refuses it before).
// A namespace created by a fork in flight has no attached task yet.
func (m *machine) nameableNS() []model.NSID {
	k := m.k
	seen := map[model.NSID]bool{}
	var out []model.NSID
	add := func(ns model.NSID) {
		if ns != model.NoNS && !seen[ns] {
			seen[ns] = true
			out = append(out, ns)
		}
	}
	for i := 0; i < k.NumTasks(); i++ {
		tk := k.Task(model.TaskID(i))
		if tk.Group == model.NoGroup || tk.Exit == model.ExitDead || tk.NS == model.NoNS {
			continue
		}
		add(tk.NS)
		if p := tk.PidNSForChildren; p != model.NoNS && k.NS(p).ChildReaper != model.NoTask {
			add(p)
		}
	}
	slices.Sort(out)
	return out
}

func (m *machine) allCgroups() []model.CgroupID {
	out := make([]model.CgroupID, m.k.NumCgroups())
	for i := range out {
		out[i] = model.CgroupID(i)
	}
	return out
}

func (m *machine) liveCgroups() []model.CgroupID {
	var out []model.CgroupID
	for i := 0; i < m.k.NumCgroups(); i++ {
		if m.k.Cgroup(model.CgroupID(i)).Online {
			out = append(out, model.CgroupID(i))
		}
	}
	return out
}

// drawCgroup mostly picks a live cgroup, sometimes any (dead ones too).
// With want, it prefers the live cgroups want accepts.
func (m *machine) drawCgroup(t *rapid.T, label string, want func(model.CgroupID) bool) model.CgroupID {
	r := rapid.IntRange(0, 5).Draw(t, label+"_any")
	if r == 0 {
		return rapid.SampledFrom(m.allCgroups()).Draw(t, label)
	}
	live := m.liveCgroups()
	if want != nil && r > 1 {
		var pref []model.CgroupID
		for _, c := range live {
			if want(c) {
				pref = append(pref, c)
			}
		}
		if len(pref) > 0 {
			return rapid.SampledFrom(pref).Draw(t, label)
		}
	}
	return rapid.SampledFrom(live).Draw(t, label)
}

func nonRoot(c model.CgroupID) bool { return c != model.RootCG }

// visiblePids lists the pids attached in ns, sorted.
func (m *machine) visiblePids(ns model.NSID) []int32 {
	var out []int32
	k := m.k
	for i := 0; i < k.NumTasks(); i++ {
		t := model.TaskID(i)
		tk := k.Task(t)
		if tk.Group == model.NoGroup || tk.Exit == model.ExitDead || tk.NS == model.NoNS {
			continue
		}
		if nr := k.PidIn(t, ns); nr > 0 {
			out = append(out, nr)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// drawPid draws a pid as t would name it: a visible one or a small number.
func (m *machine) drawPid(t *rapid.T, caller model.TaskID, allowZero bool) int32 {
	vis := m.visiblePids(m.k.Task(caller).NS)
	lo := int32(1)
	if allowZero {
		lo = 0
	}
	if len(vis) > 0 && rapid.Bool().Draw(t, "pid_visible") {
		return rapid.SampledFrom(vis).Draw(t, "pid")
	}
	return rapid.Int32Range(lo, 12).Draw(t, "pid")
}

// caller draws the task issuing a system call among the user-mode tasks
// that pass ok (nil: all), or skips before any other draw (so rapid tries
// another action) if there is none. When no task can do anything at all
// (the machine is stuck) it reports false and the action does nothing:
// skipping every action would fail the rapid run.
func (m *machine) caller(t *rapid.T, ok func(model.TaskID) bool) (model.TaskID, bool) {
	all := m.userTasks()
	if len(all) == 0 && len(m.steppable()) == 0 {
		return model.NoTask, false
	}
	var c []model.TaskID
	for _, x := range all {
		if ok == nil || ok(x) {
			c = append(c, x)
		}
	}
	if len(c) == 0 {
		t.Skip("no task can make this call")
	}
	// Prefer tasks other than the global init's (it is always there and
	// would otherwise issue most calls).
	var notInit []model.TaskID
	for _, x := range c {
		if m.k.Task(x).Group != m.k.Task(m.init).Group {
			notInit = append(notInit, x)
		}
	}
	if len(notInit) > 0 && rapid.IntRange(0, 3).Draw(t, "prefer_not_init") > 0 {
		c = notInit
	}
	return rapid.SampledFrom(c).Draw(t, "task"), true
}

// ---- running ops ----

func (m *machine) do(o op, class string) {
	t := m.t
	k := m.k
	var c *call
	if class != "" {
		c = &call{op: o, class: class, target: model.NoTask, issued: len(m.ops)}
		if o.Kind == "kill" {
			c.target = k.FindTask(k.Task(o.T).NS, o.Pid)
		}
		if class == "kill_pgrp" {
			c.victims = m.pgrpVictims(o)
		}
		if o.Kind == "write" && (o.File == model.FileProcs || o.File == model.FileThreads) {
			c.target = m.migrationTarget(o)
		}
		c.predicted = m.predict(o)
	}
	var before []byte
	if o.Kind == "step" && m.strict {
		before = k.AppendKey(nil)
	}
	m.snapshot()
	t.Logf("op %d: %s", len(m.ops), o)
	func() {
		defer func() {
			if r := recover(); r != nil {
				m.ops = append(m.ops, o)
				m.fatalf("model panic in %s: %v", o, r)
			}
		}()
		m.out = apply(k, o)
	}()
	m.ops = append(m.ops, o)
	if m.record {
		m.keys = append(m.keys, k.AppendKey(nil))
	}
	if !m.strict {
		return
	}
	if o.Kind == "step" && bytes.Equal(before, k.AppendKey(nil)) {
		m.fatalf("step of runnable T%d (path %s) changed nothing: livelock", o.T, k.Task(o.T).Frame.Path)
	}
	if c != nil {
		m.inflight[o.T] = c
	}
	m.checkGroupExits(o)
	m.checkExitSignalsLock(o)
	m.checkReparents(o)
	m.completions()
}

// checkReparents: a process whose parent changed was reparented by its
// exiting parent's exit_notify to find_new_reaper's choice (reference
// 4.2): a live thread of the parent's group, else (with
// has_child_subreaper) the nearest ancestor subreaper at the same pid
// namespace level that has a live thread, else the namespace's
// child_reaper (under zap=2007, after the zap, the global init's).
func (m *machine) checkReparents(o op) {
	k := m.k
	for i := 0; i < len(m.prevParent) && i < k.NumTasks(); i++ {
		c := model.TaskID(i)
		ck := k.Task(c)
		old := m.prevParent[i]
		if ck.Group == model.NoGroup || ck.Exit == model.ExitDead || ck.Parent == old || old == model.NoTask || !k.IsLeader(c) {
			continue
		}
		if m.prevExit[i] == model.ExitDead {
			continue // committed by this op
		}
		np := ck.Parent
		ok := k.Task(old).Flags&model.PF_EXITING != 0
		var want string
		alive := func(g model.GroupID) model.TaskID {
			for _, th := range m.threads(g) {
				if k.Task(th).Flags&model.PF_EXITING == 0 {
					return th
				}
			}
			return model.NoTask
		}
		og := k.Task(old).Group
		switch {
		case !ok:
			want = "no reparenting: the old parent is not exiting"
		case alive(og) != model.NoTask:
			ok = np != model.NoTask && k.Task(np).Group == og && k.Task(np).Flags&model.PF_EXITING == 0
			want = "a live thread of the old parent"
		default:
			reaper := k.NS(k.Task(old).NS).ChildReaper
			wantT := reaper
			if k.GroupOf(old).HasChildSubreaper {
				lvl := k.Task(old).Level
				for r := k.Task(old).Parent; r != model.NoTask && k.Task(r).Level == lvl; r = k.Task(r).Parent {
					if !k.GroupOf(r).IsChildSubreaper {
						continue
					}
					if th := alive(k.Task(r).Group); th != model.NoTask {
						wantT = th
						break
					}
				}
			}
			if wantT == reaper {
				// Any live thread of the reaper's group (find_child_reaper
				// may have moved child_reaper in this same op).
				ok = np != model.NoTask && reaper != model.NoTask && k.Task(np).Group == k.Task(reaper).Group
				// zap=2007 and zap=v3.3 hand a dead namespace's orphans to
				// the global init (child_reaper = init_pid_ns.child_reaper).
				if m.s.opts.Zap != model.ZapCurrent && np != model.NoTask && k.Task(np).Group == k.Task(m.init).Group {
					ok = true
				}
				want = "the namespace's child reaper " + k.Describe(reaper)
			} else {
				ok = np != model.NoTask && k.Task(np).Group == k.Task(wantT).Group
				want = "subreaper " + k.Describe(wantT)
			}
		}
		if !ok {
			m.fatalf("%s: %s reparented from %s to %s, want %s", o, k.Describe(c), k.Describe(old), k.Describe(np), want)
		}
	}
}

// checkExitSignalsLock: exit_signals sets PF_EXITING under
// cgroup_threadgroup_rwsem held for reading, so no task starts exiting
// while a migration holds the rwsem for writing or waits for it: a
// migration never sees a thread of its target set PF_EXITING (and skip it).
func (m *machine) checkExitSignalsLock(o op) {
	k := m.k
	if m.prevWriter == model.NoTask {
		return
	}
	for i := 0; i < len(m.prevExiting) && i < k.NumTasks(); i++ {
		if !m.prevExiting[i] && k.Task(model.TaskID(i)).Flags&model.PF_EXITING != 0 {
			m.fatalf("%s: %s set PF_EXITING while %s held or awaited cgroup_threadgroup_rwsem for writing", o, k.Describe(model.TaskID(i)), k.Describe(m.prevWriter))
		}
	}
}

// checkBlocked: Runnable tells the truth for the lock waits. A task in
// exit_signals (and a plain fork at cgroup_can_fork) sleeps exactly while
// the threadgroup rwsem has a writer; a writer that has taken it waits
// exactly while a fork holds it for reading (between cgroup_can_fork and
// cgroup_post_fork); the writer is a cgroup.procs/threads write holding
// cgroup_mutex. And no lock wait is a deadlock: while a task waits for a
// lock, some task can step.
func (m *machine) checkBlocked() {
	k := m.k
	w := k.ThreadgroupWriter()
	if w != model.NoTask {
		f := k.Task(w).Frame
		if f.Path != model.KCgroupWrite || k.CgroupMutexOwner() != w ||
			(model.CgroupFile(f.Arg) != model.FileProcs && model.CgroupFile(f.Arg) != model.FileThreads) {
			m.fatalf("threadgroup rwsem writer %s is not a cgroup.procs/threads write holding cgroup_mutex (%s)", k.Describe(w), f.Path)
		}
	}
	readers := 0
	for i := 0; i < k.NumTasks(); i++ {
		if f := k.Task(model.TaskID(i)).Frame; f.Path == model.KFork && (f.PC == 3 || f.PC == 4) {
			readers++ // past cgroup_can_fork (PC forkCommit, forkPost; not a vfork parent's wait)
		}
	}
	waiting := false
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		tk := k.Task(v)
		if tk.Group == model.NoGroup || k.Done(v) {
			continue
		}
		f := tk.Frame
		var want bool
		switch {
		case f.Path == model.KExit && f.PC == 1: // exitSignals (0 is coredump_task_exit's sleep)
			want = w == model.NoTask
		case f.Path == model.KFork && f.PC == 2 && f.Flags&model.CLONE_INTO_CGROUP == 0: // forkCanFork (alloc_pid done)
			want = w == model.NoTask
		case v == w:
			want = readers == 0
		default:
			continue
		}
		if got := k.Runnable(v); got != want {
			m.fatalf("Runnable(%s) = %v in %s step %d, want %v (rwsem writer %s, %d reader(s))", k.Describe(v), got, f.Path, f.PC, want, k.Describe(w), readers)
		}
		waiting = waiting || !want
	}
	if waiting && len(m.steppable()) == 0 {
		m.fatalf("deadlock: tasks wait for cgroup_threadgroup_rwsem and no task can step")
	}
}

// snapshot records, before an op, what the exit-status checks compare with.
func (m *machine) snapshot() {
	k := m.k
	m.prevExit = m.prevExit[:0]
	m.prevParent = m.prevParent[:0]
	for i := 0; i < k.NumTasks(); i++ {
		m.prevExit = append(m.prevExit, k.Task(model.TaskID(i)).Exit)
		m.prevParent = append(m.prevParent, k.Task(model.TaskID(i)).Parent)
	}
	clear(m.prevGroupExit)
	clear(m.prevCore)
	clear(m.prevQuick)
	m.prevWriter = k.ThreadgroupWriter()
	m.prevExiting = m.prevExiting[:0]
	for i := 0; i < k.NumTasks(); i++ {
		m.prevExiting = append(m.prevExiting, k.Task(model.TaskID(i)).Flags&model.PF_EXITING != 0)
	}
	for i := 0; i < k.NumTasks(); i++ {
		tk := k.Task(model.TaskID(i))
		if tk.Group != model.NoGroup && k.GroupOf(model.TaskID(i)).Flags&model.SIGNAL_GROUP_EXIT != 0 {
			m.prevGroupExit[tk.Group] = true
		}
		if tk.Group != model.NoGroup && k.GroupOf(model.TaskID(i)).CoreState {
			m.prevCore[tk.Group] = true
		}
		if tk.Group != model.NoGroup && tk.Exit != model.ExitDead && tk.Frame.Path != model.KExit {
			m.prevQuick[tk.Group]++
		}
	}
}

// checkGroupExits: a group exit started by op o has the exit code o
// explains (reference 3.3, do_group_exit): exit_group(n) gives n<<8, a
// kill(2) the signal number, cgroup.kill / the zap / post_fork's kill
// SIGKILL, and a step of the group's own thread in get_signal a handler's
// exit_group(0) or a dequeued fatal signal. exit(n) of one thread gives
// n<<8, and does so exactly when that thread is the last of its group to
// enter do_exit (synchronize_group_exit, 6.0+; probe Q13). The code never
// changes later.
func (m *machine) checkGroupExits(o op) {
	k := m.k
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		tk := k.Task(v)
		if tk.Group == model.NoGroup {
			continue
		}
		g := k.GroupOf(v)
		if g.Flags&model.SIGNAL_GROUP_EXIT == 0 {
			continue
		}
		if code, ok := m.groupCode[tk.Group]; ok {
			if code != g.GroupExitCode && m.prevCore[tk.Group] && g.GroupExitCode == int32(model.SIGKILL) {
				// A SIGKILL during a core dump: complete_signal's group
				// kill replaces the dumping signal's code (fs/coredump.c,
				// prepare_signal's core_state exception).
				m.groupCode[tk.Group] = g.GroupExitCode
				continue
			}
			if code != g.GroupExitCode {
				m.fatalf("group of %s: group_exit_code changed from %#x to %#x", k.Describe(v), code, g.GroupExitCode)
			}
			continue
		}
		if m.prevGroupExit[tk.Group] {
			continue
		}
		var want []int32
		own := o.T >= 0 && int(o.T) < k.NumTasks() && k.Task(o.T).Group == tk.Group
		switch {
		case o.Kind == "exit_group" && own:
			want = []int32{(o.Pid & 0xff) << 8}
		case o.Kind == "exit" && own:
			if m.prevQuick[tk.Group] != 1 {
				m.fatalf("%s set SIGNAL_GROUP_EXIT of %s, but %d thread(s) had not entered do_exit", o, k.Describe(v), m.prevQuick[tk.Group])
			}
			want = []int32{(o.Pid & 0xff) << 8}
		case o.Kind == "kill":
			want = []int32{int32(o.Sig)}
		case o.Kind == "step" && own:
			// SIGSEGV: zap_threads in the dumper's get_signal.
			want = []int32{0, int32(model.SIGKILL), int32(model.SIGTERM), int32(model.SIGUSR1), int32(model.SIGSEGV)}
		default:
			want = []int32{int32(model.SIGKILL)}
		}
		if !slices.Contains(want, g.GroupExitCode) {
			m.fatalf("%s started the group exit of %s with code %#x, want one of %#x", o, k.Describe(v), g.GroupExitCode, want)
		}
		m.groupCode[tk.Group] = g.GroupExitCode
	}
	if o.Kind == "exit" {
		g := k.Task(o.T).Group
		if !m.prevGroupExit[g] && m.prevQuick[g] == 1 && k.GroupOf(o.T).Flags&model.SIGNAL_GROUP_EXIT == 0 {
			m.fatalf("%s: the last thread of its group entered do_exit, but SIGNAL_GROUP_EXIT is not set", o)
		}
	}
}

// checkReapedStatus: wait4 reported status for the leader it released:
// the group exit code (wait_task_zombie). Every process that can be
// reaped exited as a group: do_group_exit, a fatal signal, or the exit(2)
// of its last thread (synchronize_group_exit), so the status is that of
// the last thread to exit, not the leader's own (probe Q13).
func (m *machine) checkReapedStatus(o op, waiter model.TaskID) {
	k := m.k
	tk := k.Task(waiter)
	for i := 0; i < k.NumTasks() && i < len(m.prevExit); i++ {
		x := model.TaskID(i)
		xk := k.Task(x)
		if m.prevExit[i] != model.ExitZombie || xk.Exit != model.ExitDead || !k.IsLeader(x) || k.PidIn(x, tk.NS) != tk.Ret {
			continue
		}
		want, ok := m.groupCode[xk.Group]
		if !ok {
			m.fatalf("%s reaped %s, whose group never got SIGNAL_GROUP_EXIT", o, k.Describe(x))
		}
		if tk.WaitStatus != want {
			m.fatalf("%s reaped %s with status %#x, want %#x", o, k.Describe(x), tk.WaitStatus, want)
		}
		return
	}
	m.fatalf("%s returned pid %d, but no zombie with that pid was released", o, tk.Ret)
}

// allowed lists, per call class, the errnos the kernel can return.
var allowed = map[string][]model.Errno{
	"fork/0":         {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM},
	"fork/vfork":     {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM},
	"fork/thread":    {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM, model.EINVAL},
	"fork/newpid":    {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM, model.EINVAL, model.ENOSPC},
	"fork/parent":    {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM, model.EINVAL},
	"fork/into":      {model.OK, model.ERESTARTNOINTR, model.EINTR, model.EAGAIN, model.ENOMEM, model.EBADF, model.ENOENT, model.ENODEV, model.EOPNOTSUPP, model.EBUSY, model.EACCES},
	"kill":           {model.OK, model.ESRCH, model.EPERM},
	"mkdir":          {model.OK, model.EEXIST, model.ENODEV, model.ENOENT, model.EAGAIN},
	"rmdir":          {model.OK, model.EBUSY, model.ENOENT},
	"cgroup.procs":   {model.OK, model.ESRCH, model.EINVAL, model.EOPNOTSUPP, model.EBUSY, model.ENODEV, model.ENOENT, model.EACCES},
	"cgroup.threads": {model.OK, model.ESRCH, model.EINVAL, model.EOPNOTSUPP, model.EBUSY, model.ENODEV, model.ENOENT, model.EACCES},
	"cgroup.kill":    {model.OK, model.ENOENT, model.ENODEV, model.EOPNOTSUPP},
	"cgroup.freeze":  {model.OK, model.ENOENT, model.ENODEV},
	"cgroup.subtree_control": {model.OK, model.ENOENT, model.ENODEV, model.EBUSY,
		model.EOPNOTSUPP},
	"cgroup.type":            {model.OK, model.ENOENT, model.ENODEV, model.EOPNOTSUPP},
	"pids.max":               {model.OK, model.ENOENT, model.ENODEV},
	"cgroup.max.descendants": {model.OK, model.ENOENT, model.ENODEV},
	"cgroup.max.depth":       {model.OK, model.ENOENT, model.ENODEV},
	"unshare":                {model.OK, model.EINVAL, model.ENOSPC},
	"setns":                  {model.OK, model.EINVAL},
	"subreaper":              {model.OK},
	"sigaction":              {model.OK},
	"wait":                   {model.OK, model.ECHILD, model.EINTR},
	"pause":                  {model.EINTR},
	"exec":                   {model.OK, model.EAGAIN}, // OK: the new program runs
	"setpgid":                {model.OK, model.EINVAL, model.ESRCH, model.EPERM, model.EACCES},
	"kill_pgrp":              {model.OK, model.ESRCH},
	"setsid":                 {model.OK, model.EPERM},
	"oom":                    {model.OK, model.EAGAIN, model.ENOMEM, model.EINTR, model.EINVAL, model.ENOENT},
	"memory.oom.group":       {model.OK, model.ENOENT, model.ENODEV, model.EINVAL},
	"read":                   {model.OK, model.ENOENT, model.ENODEV, model.EOPNOTSUPP},
}

// checkRead checks what a read returned against the state it describes.
func (m *machine) checkRead(o op) {
	if !m.strict {
		return
	}
	k := m.k
	tk := k.Task(o.T)
	if tk.Err != model.OK {
		return
	}
	cg := k.Cgroup(o.Cg)
	if !cg.Online {
		m.fatalf("%s of a removed cgroup returned %q, not ENODEV", o, m.out)
	}
	switch o.File {
	case model.FileEvents:
		want := fmt.Sprintf("populated %d\nfrozen %d\n", b2i(k.Populated(o.Cg)), b2i(k.Frozen(o.Cg)))
		if m.out != want {
			m.fatalf("%s = %q, want %q", o, m.out, want)
		}
	case model.FileProcs:
		var want strings.Builder
		for _, v := range k.ProcsOf(o.Cg) {
			fmt.Fprintf(&want, "%d\n", k.PidIn(v, tk.NS))
		}
		if m.out != want.String() {
			m.fatalf("%s = %q, want %q", o, m.out, want.String())
		}
	case model.FilePidsCurrent:
		if m.out != fmt.Sprintf("%d\n", cg.PidsCurrent) {
			m.fatalf("%s = %q, pids.current is %d", o, m.out, cg.PidsCurrent)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// completions checks every in-flight call that has returned to user mode.
// A call abandoned because its task started exiting is dropped.
func (m *machine) completions() {
	k := m.k
	ids := make([]model.TaskID, 0, len(m.inflight))
	for id := range m.inflight {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := m.inflight[id]
		tk := k.Task(id)
		if c.class == "cgroup.kill" && !c.locked && k.CgroupMutexOwner() == id {
			c.locked = true
			// CSS_TASK_ITER_PROCS yields leaders only: a thread whose
			// leader is elsewhere is not a victim of this kill.
			for _, d := range m.subtree(c.op.Cg) {
				if !k.Cgroup(d).Online {
					continue
				}
				for _, v := range k.Members(d) {
					if k.IsLeader(v) {
						c.victims = append(c.victims, v)
					}
				}
			}
		}
		if tk.Frame.Path == model.KExit || tk.Exit != model.ExitNone || tk.Flags&model.PF_EXITING != 0 {
			delete(m.inflight, id)
			continue
		}
		if tk.Frame.Path != model.KUser {
			continue
		}
		delete(m.inflight, id)
		if !slices.Contains(allowed[c.class], tk.Err) {
			m.fatalf("%s (%s) returned %s, which the kernel cannot return for it", c.op, c.class, tk.Err)
		}
		if c.predicted != nil && c.issued == len(m.ops)-1 && !slices.Contains(c.predicted, tk.Err) {
			m.fatalf("%s returned %s, want one of %v", c.op, tk.Err, c.predicted)
		}
		m.checkResult(c, id)
	}
}

// predict returns the errnos the state before op o allows for a call
// that the kernel fails early (flag and namespace checks, files that do
// not exist), or nil if the outcome depends on more than that.
func (m *machine) predict(o op) []model.Errno {
	k := m.k
	tk := k.Task(o.T)
	g := k.GroupOf(o.T)
	nsDiffers := tk.PidNSForChildren != tk.NS
	cgOK := o.Cg >= 0 && int(o.Cg) < k.NumCgroups()
	switch o.Kind {
	case "fork":
		switch {
		case o.Flags&model.CLONE_PARENT != 0 && g.Flags&model.SIGNAL_UNKILLABLE != 0,
			o.Flags&model.CLONE_THREAD != 0 && nsDiffers:
			return []model.Errno{model.EINVAL} // copy_process's flag checks
		case o.Flags&model.CLONE_NEWPID != 0 && nsDiffers:
			// copy_pid_ns, after the max_threads check (EAGAIN).
			return []model.Errno{model.EINVAL, model.EAGAIN}
		}
	case "unshare":
		if nsDiffers {
			return []model.Errno{model.EINVAL}
		}
		return []model.Errno{model.OK, model.ENOSPC}
	case "setns":
		if !k.IsAncestorNS(tk.NS, o.NS) {
			return []model.Errno{model.EINVAL}
		}
		return []model.Errno{model.OK}
	case "kill":
		if o.Pid <= 0 {
			return []model.Errno{model.OK, model.ESRCH} // a process group or the broadcast
		}
		if k.FindTask(tk.NS, o.Pid) == model.NoTask {
			return []model.Errno{model.ESRCH}
		}
		return []model.Errno{model.OK}
	case "write", "read":
		if !cgOK {
			return nil
		}
		p := k.Cgroup(o.Cg).Parent
		switch o.File {
		case model.FileKill, model.FileFreeze, model.FileType, model.FileEvents:
			if o.Cg == model.RootCG {
				return []model.Errno{model.ENOENT}
			}
		case model.FilePidsMax, model.FilePidsCurrent:
			if p == model.NoCgroup || k.Cgroup(p).SubtreeControl&model.CtrlPids == 0 {
				return []model.Errno{model.ENOENT}
			}
		}
		if !k.Cgroup(o.Cg).Online {
			return []model.Errno{model.ENODEV, model.ENOENT}
		}
		if o.File == model.FileKill && k.Cgroup(o.Cg).Threaded {
			return []model.Errno{model.EOPNOTSUPP} // reference 1.1
		}
	case "mkdir":
		if cgOK && !k.Cgroup(o.Cg).Online {
			return []model.Errno{model.ENODEV, model.ENOENT}
		}
	case "rmdir":
		if o.Cg == model.RootCG {
			return []model.Errno{model.EBUSY, model.EPERM}
		}
		if cgOK && !k.Cgroup(o.Cg).Online {
			return []model.Errno{model.ENOENT}
		}
		// cgroup_destroy_locked: EBUSY while populated (zombies do not
		// count) or with a live child (reference 6.7).
		if cgOK && (k.Populated(o.Cg) || len(k.Children(o.Cg)) > 0) {
			return []model.Errno{model.EBUSY}
		}
		return []model.Errno{model.OK}
	}
	return nil
}

// checkResult checks a completed call's return value against the state.
func (m *machine) checkResult(c *call, id model.TaskID) {
	k := m.k
	tk := k.Task(id)
	o := c.op
	switch {
	case c.class == "pause":
		// Only a handler ends pause(2).
	case c.class == "wait":
		if tk.Err != model.OK {
			return
		}
		if o.Flags&model.WNOHANG == 0 && tk.Ret <= 0 {
			m.fatalf("%s: blocking wait returned %d", o, tk.Ret)
		}
		if tk.Ret < 0 {
			m.fatalf("%s: returned %d with OK", o, tk.Ret)
		}
		if tk.Ret > 0 {
			if v := k.FindTask(tk.NS, tk.Ret); v != model.NoTask {
				m.fatalf("%s reaped pid %d but it still maps to %s", o, tk.Ret, k.Describe(v))
			}
			m.checkReapedStatus(o, id)
		}
	case c.class == "fork/0" || c.class == "fork/thread" || c.class == "fork/newpid" || c.class == "fork/parent" || c.class == "fork/into" || c.class == "fork/vfork":
		switch tk.Err {
		case model.ERESTARTNOINTR:
			if !k.NeedsKernelStep(id) {
				m.fatalf("%s: ERESTARTNOINTR but no signal is pending", o)
			}
			return
		case model.EINTR:
			if !k.FatalSignalPending(id) {
				m.fatalf("%s: EINTR but no fatal signal is pending", o)
			}
			return
		case model.OK:
		default:
			return
		}
		if tk.Ret <= 0 {
			m.fatalf("%s: returned pid %d", o, tk.Ret)
		}
		ch := k.FindTask(tk.NS, tk.Ret)
		if c.class == "fork/vfork" && (ch == model.NoTask || k.Task(ch).Parent != id) {
			// The vfork parent returns once the child exec'd or exited:
			// the child may have been reaped meanwhile, and its pid
			// reused, before the parent runs again.
			return
		}
		if ch == model.NoTask {
			m.fatalf("%s: returned pid %d, which maps to no task", o, tk.Ret)
		}
		ck := k.Task(ch)
		if o.Flags&model.CLONE_THREAD != 0 {
			if ck.Group != tk.Group || ck.ExitSignal != -1 {
				m.fatalf("%s: thread %s not in the caller's group (exit_signal %d)", o, k.Describe(ch), ck.ExitSignal)
			}
		} else {
			if !k.IsLeader(ch) || ck.ExitSignal != model.SIGCHLD {
				m.fatalf("%s: child %s is not a leader with SIGCHLD", o, k.Describe(ch))
			}
			if o.Flags&model.CLONE_PARENT == 0 && ck.Parent != id {
				m.fatalf("%s: child %s has parent T%d", o, k.Describe(ch), ck.Parent)
			}
		}
		if o.Flags&model.CLONE_NEWPID != 0 && k.PidIn(ch, ck.NS) != 1 {
			m.fatalf("%s: CLONE_NEWPID child %s is not pid 1", o, k.Describe(ch))
		}
		// A CLONE_INTO_CGROUP fork holds cgroup_mutex from can_fork to
		// post_fork, so no cgroup.kill ran in between: post_fork kills
		// the child only under the 6.14 snapshot bug (reference 1.6), or
		// with the candidate fix when the parent has SIGKILL pending, or
		// under zap=2007 in a terminating namespace. (Between commit and
		// post_fork other killers, such as a zap, can reach the child.)
		if o.Flags&model.CLONE_INTO_CGROUP != 0 && m.s.opts.Kill != model.KillSeqIntoCgroupBug &&
			!m.prevGroupExit[ck.Group] &&
			!(m.s.opts.PostForkKillIfParentKilled && k.FatalSignalPending(id)) &&
			!(m.s.opts.Zap == model.Zap2007 && k.NS(ck.NS).Terminating) &&
			(k.FatalSignalPending(ch) || k.GroupOf(ch).Flags&model.SIGNAL_GROUP_EXIT != 0) {
			m.fatalf("%s: CLONE_INTO_CGROUP child %s was killed at birth", o, k.Describe(ch))
		}
		if c.class == "fork/vfork" {
			// Both may have been migrated while the parent waited.
			return
		}
		want := tk.Cgroup
		if o.Flags&model.CLONE_INTO_CGROUP != 0 {
			want = o.Cg
		}
		if ck.Cgroup != want {
			m.fatalf("%s: child %s in cgroup %d, want %d", o, k.Describe(ch), ck.Cgroup, want)
		}
	case c.class == "oom":
		if k.OomLockOwner() == id {
			m.fatalf("%s returned %s holding oom_lock", o, tk.Err)
		}
		if tk.Err == model.OK && tk.Ret > 0 {
			// __oom_kill_process marked what it killed (mark_oom_victim).
			marked := false
			for i := 0; i < k.NumTasks(); i++ {
				if v := model.TaskID(i); k.Task(v).Group != model.NoGroup && k.GroupOf(v).OomVictim {
					marked = true
				}
			}
			if !marked {
				m.fatalf("%s returned OK, and no process is marked as an OOM victim", o)
			}
		}
	case c.class == "read":
		if tk.Err == model.OK && tk.Ret != int32(len(m.out)) {
			m.fatalf("%s returned %d for %d bytes", o, tk.Ret, len(m.out))
		}
	case c.class == "kill_pgrp":
		// OK exactly when the group (or, for -1, the set of processes the
		// caller sees above pid 1, its own excepted) had a member at the
		// call; each was then SIGKILLed (the call is one step).
		if (tk.Err == model.OK) != (len(c.victims) > 0) {
			m.fatalf("%s returned %s with %d member(s) at the call", o, tk.Err, len(c.victims))
		}
		if tk.Err == model.OK && o.Sig == model.SIGKILL {
			for _, v := range c.victims {
				m.checkKilled(o, id, v)
			}
		}
	case c.class == "kill":
		if (tk.Err == model.OK) != (c.target != model.NoTask) {
			m.fatalf("%s returned %s, but the pid resolved to T%d at the call", o, tk.Err, c.target)
		}
		if tk.Err == model.OK && o.Sig == model.SIGKILL {
			m.checkKilled(o, id, c.target)
		}
	case c.class == "mkdir":
		if tk.Err == model.OK {
			cg := model.CgroupID(tk.Ret)
			if int(cg) >= k.NumCgroups() || k.Cgroup(cg).Parent != o.Cg || !k.Cgroup(cg).Online || k.Cgroup(cg).Name != o.Str {
				m.fatalf("%s: returned cgroup %d which is not the new child", o, tk.Ret)
			}
		}
	case c.class == "rmdir":
		if tk.Err == model.OK && k.Cgroup(o.Cg).Online {
			m.fatalf("%s: OK but the cgroup is online", o)
		}
	case c.class == "setsid":
		if tk.Err == model.OK {
			ns := tk.NS
			if me := k.GroupOf(o.T).Leader; tk.Ret != k.PidIn(me, ns) || k.Sid(o.T, ns) != tk.Ret || k.Pgid(o.T, ns) != tk.Ret || !k.GroupOf(o.T).SessionLeader {
				m.fatalf("%s: returned %d, but sid %d pgid %d leader %v", o, tk.Ret, k.Sid(o.T, ns), k.Pgid(o.T, ns), k.GroupOf(o.T).SessionLeader)
			}
		}
	case c.class == "setpgid":
		if tk.Err == model.OK {
			ns := tk.NS
			pid, pgid := o.Pid, int32(o.NS)
			if pid == 0 {
				pid = k.PidIn(k.GroupOf(o.T).Leader, ns)
			}
			if pgid == 0 {
				pgid = pid
			}
			if p := k.FindTask(ns, pid); p == model.NoTask || k.Pgid(p, ns) != pgid {
				m.fatalf("%s: OK, but the process group of pid %d is not %d", o, pid, pgid)
			}
		}
	default: // cgroup file writes
		if tk.Err == model.OK && tk.Ret != int32(len(o.Str)) {
			m.fatalf("%s: returned %d, want %d", o, tk.Ret, len(o.Str))
		}
		if tk.Err == model.OK && c.class == "cgroup.kill" {
			if m.s.opts.Kill == model.KillAtomic {
				m.auditKill(o)
			}
			m.checkVictims(o, id, c.victims)
		}
		if tk.Err == model.OK && (c.class == "cgroup.procs" || c.class == "cgroup.threads") {
			m.checkMigrated(o, c.target)
		}
	}
}

// migrationTarget is the task a cgroup.procs/threads write of o names now:
// the pid in the writer's namespace (0: the writer), and for cgroup.procs
// its group leader; NoTask if none.
func (m *machine) migrationTarget(o op) model.TaskID {
	k := m.k
	pid, err := strconv.Atoi(o.Str)
	if err != nil {
		return model.NoTask
	}
	v := o.T
	if pid != 0 {
		v = k.FindTask(k.Task(o.T).NS, int32(pid))
	}
	if v != model.NoTask && o.File == model.FileProcs {
		v = k.GroupOf(v).Leader
	}
	return v
}

// checkMigrated: a successful cgroup.procs/threads write has moved every
// thread of its target (the target alone for cgroup.threads) that is not
// exiting into the destination (cgroup_attach_task under the threadgroup
// rwsem, which exit_signals and fork also take: no thread can start
// exiting, nor be forked into the old cgroup, while it runs). Checked only
// when the pid still names the task it named when the write was issued,
// so the write resolved that task; an exiting thread is skipped
// (cgroup_migrate_add_task).
func (m *machine) checkMigrated(o op, target model.TaskID) {
	k := m.k
	if target == model.NoTask || m.migrationTarget(o) != target || k.Task(target).Exit == model.ExitDead {
		return
	}
	ths := []model.TaskID{target}
	if o.File == model.FileProcs {
		ths = m.threads(k.Task(target).Group)
	}
	for _, th := range ths {
		tk := k.Task(th)
		if tk.Flags&model.PF_EXITING != 0 || tk.Cgroup == model.NoCgroup {
			continue
		}
		if tk.Cgroup != o.Cg {
			m.fatalf("%s returned OK, but %s (not exiting) is in %s", o, k.Describe(th), k.Path(tk.Cgroup))
		}
	}
}

// checkKilled: a successful kill(pid, SIGKILL) starts the group exit of
// the target's process (complete_signal, reference 3.3) unless it is the
// global init, a kthread, a SIGNAL_UNKILLABLE init the sender cannot force
// (same namespace), or every thread of it is already exiting.
// pgrpVictims are the processes kill(o.Pid) reaches: the members of the
// caller's process group (0) or of process group -o.Pid, or, for -1, every
// process the caller sees with a pid above 1 but its own (unreleased
// leaders, zombies included).
func (m *machine) pgrpVictims(o op) []model.TaskID {
	k := m.k
	ns := k.Task(o.T).NS
	var out []model.TaskID
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		vk := k.Task(v)
		if vk.Group == model.NoGroup || !k.IsLeader(v) || (vk.Exit == model.ExitDead && k.FindTask(ns, k.PidIn(v, ns)) != v) {
			continue
		}
		switch {
		case o.Pid == -1:
			if k.PidIn(v, ns) > 1 && vk.Group != k.Task(o.T).Group {
				out = append(out, v)
			}
		case o.Pid == 0:
			if k.GroupOf(v).Pgid != model.NoTask && k.GroupOf(v).Pgid == k.GroupOf(o.T).Pgid {
				out = append(out, v)
			}
		default:
			if p := k.Pgid(v, ns); p != 0 && p == -o.Pid {
				out = append(out, v)
			}
		}
	}
	return out
}

func (m *machine) checkKilled(o op, sender, v model.TaskID) {
	k := m.k
	vk := k.Task(v)
	g := k.GroupOf(v)
	if vk.Flags&model.PF_KTHREAD != 0 || vk.Group == k.Task(m.init).Group {
		return
	}
	if g.Flags&model.SIGNAL_UNKILLABLE != 0 && k.PidIn(sender, vk.NS) != 0 {
		return
	}
	alive := false
	for _, th := range m.threads(vk.Group) {
		if k.Alive(th) {
			alive = true
		}
	}
	if alive && g.Flags&model.SIGNAL_GROUP_EXIT == 0 {
		m.fatalf("%s: the group of %s has a live thread and no SIGNAL_GROUP_EXIT", o, k.Describe(v))
	}
}

// checkFrozenBit: the "frozen" bit of cgroup.events (CGRP_FROZEN) agrees
// with the tasks (reference 6.6): set only while the cgroup is freezing,
// all its tasks are frozen (or stopped in do_signal_stop, which enters the
// frozen state too: not a thread still inside a fork or cgroup write) and
// all its live children are frozen; clear when that holds.
// A child forked into a freezing cgroup that has not yet reached its
// freezer trap does not clear it (cgroup_post_fork skips the update), nor
// does a task woken from the frozen or stopped sleep that has not run yet.
func (m *machine) checkFrozenBit() {
	k := m.k
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		if !k.Cgroup(c).Online {
			continue
		}
		freezing := false
		for a := c; a != model.NoCgroup; a = k.Cgroup(a).Parent {
			freezing = freezing || k.Cgroup(a).Freeze
		}
		want := freezing  // the bit the tasks call for
		trapping := false // a member that will update the bit itself
		bad := ""         // why the bit must not be set
		if !freezing {
			bad = "it is not freezing"
		}
		for _, v := range k.Members(c) {
			vk := k.Task(v)
			p := vk.Frame.Path
			userSide := p == model.KUser || p == model.KPause || p == model.KWait
			if vk.Frozen || vk.Stopped && userSide {
				// In the freezer trap, or stopped in do_signal_stop (also
				// after pause/wait4 returned ERESTART*, or after a call
				// that finished into a group stop), which enters the
				// frozen state too.
				continue
			}
			want = false
			switch {
			case userSide && k.NeedsKernelStep(v):
				// Woken (freezer trap pending, or a signal woke it from
				// the frozen or stopped sleep): it updates the bit itself
				// when it runs.
				trapping = true
			case p == model.KExit:
				// A child forked into the freezing cgroup and killed before
				// it reached the trap never entered the frozen state: the
				// bit is re-evaluated at cgroup_exit.
				trapping = true
			default:
				bad = fmt.Sprintf("%s is neither frozen nor stopped (%s)", k.Describe(v), p)
			}
		}
		for _, ch := range k.Children(c) {
			if !k.Frozen(ch) {
				want = false
				bad = "child " + k.Path(ch) + " is not frozen"
			}
		}
		bit := k.Frozen(c)
		switch {
		case !bit && want:
			m.fatalf("%s: everything in it is frozen, but cgroup.events says frozen 0", k.Path(c))
		case bit && !want && (bad != "" || !trapping):
			m.fatalf("%s: cgroup.events says frozen 1, but %s", k.Path(c), bad)
		}
	}
}

// checkCgroupRules: the v2 structure rules (reference 6.2, 6.3, 6.8):
// no task in a "domain invalid" cgroup; no task in a non-root domain
// cgroup that has domain controllers enabled (no internal processes); a
// threaded cgroup's domain is its nearest non-threaded ancestor when that
// is a valid domain; and
// nr_descendants counts the live descendants.
func (m *machine) checkCgroupRules() {
	k := m.k
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		cg := k.Cgroup(c)
		if !cg.Online {
			continue
		}
		if len(k.Members(c)) > 0 {
			if k.Type(c) == "domain invalid" {
				m.fatalf("%s is domain invalid but holds %v", k.Path(c), k.Members(c))
			}
			if c != model.RootCG && !cg.Threaded && cg.SubtreeControl&^model.ThreadedControllers != 0 {
				m.fatalf("%s holds tasks %v and enables domain controllers %#x", k.Path(c), k.Members(c), cg.SubtreeControl)
			}
		}
		dom := c
		for dom != model.NoCgroup && k.Cgroup(dom).Threaded {
			dom = k.Cgroup(dom).Parent
		}
		// (cgroup_enable_threaded also re-points threaded cgroups below a
		// domain child that its switch makes "domain invalid"; that
		// subtree cannot hold tasks, so it is left out.)
		if cg.DomCgrp != dom && k.IsValidDomain(dom) {
			m.fatalf("%s: dom_cgrp is %s, want %s", k.Path(c), k.Path(cg.DomCgrp), k.Path(dom))
		}
		n := int32(0)
		for _, d := range m.subtree(c)[1:] {
			if k.Cgroup(d).Online {
				n++
			}
		}
		if cg.NrDescendants != n {
			m.fatalf("%s: nr_descendants %d, live descendants %d", k.Path(c), cg.NrDescendants, n)
		}
	}
}

// threads lists the unreleased tasks of group g.
func (m *machine) threads(g model.GroupID) []model.TaskID {
	var out []model.TaskID
	for i := 0; i < m.k.NumTasks(); i++ {
		tk := m.k.Task(model.TaskID(i))
		if tk.Group == g && tk.Exit != model.ExitDead {
			out = append(out, model.TaskID(i))
		}
	}
	return out
}

// checkVictims: every process linked in the subtree when cgroup.kill took
// cgroup_mutex has been signalled when the write returns (reference 1.2;
// the documented escapes are children of forks in flight, which are not
// linked yet). Exempt as in auditKill, and a process whose thread has
// completed an exec since (it took over the leader the walk skipped).
func (m *machine) checkVictims(o op, writer model.TaskID, victims []model.TaskID) {
	k := m.k
	for _, v := range victims {
		vk := k.Task(v)
		g := k.GroupOf(v)
		if vk.Flags&model.PF_KTHREAD != 0 || vk.Group == k.Task(m.init).Group {
			continue
		}
		if g.Flags&model.SIGNAL_UNKILLABLE != 0 && k.PidIn(writer, vk.NS) != 0 {
			continue
		}
		if k.Task(g.Leader).Flags&model.PF_EXITING != 0 || g.Flags&model.SIGNAL_GROUP_EXIT != 0 || g.GroupExec || k.ExecHeir(v) != model.NoTask {
			continue
		}
		for _, th := range m.threads(vk.Group) {
			if k.Alive(th) && !k.FatalSignalPending(th) {
				m.fatalf("%s returned, but %s (a member when it started) was not killed: %s alive", o, k.Describe(v), k.Describe(th))
			}
		}
	}
}

// auditKill: with the atomic kill, right after a successful cgroup.kill
// every process linked in the subtree has been signalled. Exempt: kthreads,
// SIGNAL_UNKILLABLE groups (ns inits the writer cannot force, global init),
// groups whose leader is already exiting (reference 1.3: the SIGKILL goes
// to the PF_EXITING leader and does not reach the other threads), and
// groups with a thread in de_thread (exec-vs-kill: the leader zapped by
// the exec is skipped, SIGKILL already pending, and the exec'ing thread
// is not a leader, which CSS_TASK_ITER_PROCS never yields).
func (m *machine) auditKill(o op) {
	k := m.k
	for _, d := range m.subtree(o.Cg) {
		if !k.Cgroup(d).Online {
			continue
		}
		for _, v := range k.Members(d) {
			vk := k.Task(v)
			g := k.GroupOf(v)
			if vk.Flags&model.PF_KTHREAD != 0 || g.Flags&model.SIGNAL_UNKILLABLE != 0 {
				continue
			}
			if k.Task(g.Leader).Flags&model.PF_EXITING != 0 || g.GroupExec {
				continue
			}
			if k.FatalSignalPending(v) || vk.Flags&model.PF_EXITING != 0 || g.Flags&model.SIGNAL_GROUP_EXIT != 0 {
				continue
			}
			m.fatalf("%s (atomic) completed, but %s in %s has no SIGKILL", o, k.Describe(v), k.Path(d))
		}
	}
}

// subtree lists c and all its descendants, dead ones included, computed
// from the Parent fields alone.
func (m *machine) subtree(c model.CgroupID) []model.CgroupID {
	out := []model.CgroupID{c}
	for i := 0; i < len(out); i++ {
		for j := 0; j < m.k.NumCgroups(); j++ {
			if m.k.Cgroup(model.CgroupID(j)).Parent == out[i] {
				out = append(out, model.CgroupID(j))
			}
		}
	}
	return out
}

// fatalf fails the test case after logging a traced replay of its ops.
func (m *machine) fatalf(format string, args ...any) {
	k, _, _ := m.s.build()
	k.SetTracing(true)
	m.t.Logf("setup: %s init_ignores_sigchld=%v kthread=%d", m.s.opts, m.s.initIgnChld, m.s.kthread)
	for i, o := range m.ops {
		panicked := func() (r any) {
			defer func() { r = recover() }()
			apply(k, o)
			return nil
		}()
		ev := k.TakeEvent()
		m.t.Logf("trace %d: %s: %s %v", i, o, ev.Func, ev.What)
		if panicked != nil {
			m.t.Logf("trace %d panics: %v", i, panicked)
			break
		}
	}
	m.t.Fatalf(format, args...)
}

// ---- the state check ----

func (m *machine) check(t *rapid.T) {
	k := m.k
	if err := k.CheckInvariants(); err != nil {
		m.fatalf("%v", err)
	}
	if k.Panic != "" {
		m.fatalf("kernel panic: %s", k.Panic)
	}
	// Populated(c) agrees with a recount of the subtree's members.
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		want := false
		for _, d := range m.subtree(c) {
			if len(k.Members(d)) > 0 {
				want = true
			}
		}
		if got := k.Populated(c); got != want {
			m.fatalf("Populated(%s) = %v, recount %v", k.Path(c), got, want)
		}
		// A dead cgroup holds no live task (a dying leader may linger on
		// its dying_tasks list: rmdir only checks populated).
		if !k.Cgroup(c).Online && len(k.Members(c)) > 0 {
			m.fatalf("dead cgroup %d has members %v", c, k.Members(c))
		}
	}
	// Members are not finished tasks; at-exit: members have not exited.
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		for _, v := range k.Members(c) {
			if k.Done(v) {
				m.fatalf("finished %s is still on %s's tasks list", k.Describe(v), k.Path(c))
			}
			if m.s.opts.Populated == model.PopulatedAtExit && k.Task(v).Exit != model.ExitNone {
				m.fatalf("%s %s is still on %s's tasks list (populated=at-exit)", k.Task(v).Exit, k.Describe(v), k.Path(c))
			}
		}
	}
	// cgroup.events: a populated or frozen transition since the last check
	// must have notified (EventsGen advanced).
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		cg := k.Cgroup(c)
		now := evState{k.Populated(c), cg.Online && k.Frozen(c), cg.EventsGen}
		if i < len(m.gens) && cg.Online && c != model.RootCG {
			prev := m.gens[i]
			if now.gen < prev.gen {
				m.fatalf("%s: cgroup.events generation went back", k.Path(c))
			}
			if (now.populated != prev.populated || now.frozen != prev.frozen) && now.gen == prev.gen {
				m.fatalf("%s: populated %v→%v frozen %v→%v without a cgroup.events notification", k.Path(c), prev.populated, now.populated, prev.frozen, now.frozen)
			}
		}
		if i < len(m.gens) {
			m.gens[i] = now
		} else {
			m.gens = append(m.gens, now)
		}
	}
	m.checkFrozenBit()
	// A task that can run user code is not frozen, stopped, or in a
	// freezing cgroup (it would enter the freezer trap first).
	for _, v := range m.userTasks() {
		vk := k.Task(v)
		freezing := false
		for a := vk.Cgroup; a != model.NoCgroup; a = k.Cgroup(a).Parent {
			freezing = freezing || k.Cgroup(a).Freeze
		}
		if vk.Frozen || vk.Stopped || freezing {
			m.fatalf("%s can run user code: frozen %v, stopped %v, cgroup %s freezing %v", k.Describe(v), vk.Frozen, vk.Stopped, k.Path(vk.Cgroup), freezing)
		}
	}
	m.checkCgroupRules()
	m.checkBlocked()
	m.checkPids(t)
	m.checkTasks(t)
	m.checkPidsController(t)
	m.checkSubreaperFlag(t)
	m.checkZap(t)
	if o := k.CgroupMutexOwner(); o != model.NoTask {
		p := k.Task(o).Frame.Path
		if p != model.KCgroupWrite && p != model.KFork {
			m.fatalf("cgroup_mutex held by %s, which is in %s", k.Describe(o), p)
		}
	}
}

// nsChain returns the namespaces of t's pid levels, level 0 first.
func nsChain(k *model.Kernel, t model.TaskID) []model.NSID {
	tk := k.Task(t)
	chain := make([]model.NSID, tk.Level+1)
	ns := tk.NS
	for l := int(tk.Level); l >= 0; l-- {
		chain[l] = ns
		if ns != model.NoNS {
			ns = k.NS(ns).Parent
		}
	}
	return chain
}

// checkPids: every attached task's numbers resolve to it in each namespace
// of its chain, and are in [1, pid_max).
func (m *machine) checkPids(t *rapid.T) {
	k := m.k
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		tk := k.Task(v)
		if tk.Group == model.NoGroup || tk.Exit == model.ExitDead {
			continue
		}
		chain := nsChain(k, v)
		pids := k.Pids(v)
		for l, ns := range chain {
			if ns == model.NoNS || int(k.NS(ns).Level) != l {
				m.fatalf("%s: namespace chain broken at level %d", k.Describe(v), l)
			}
			nr := pids[l]
			if nr < 1 || nr >= m.s.opts.PidMax {
				m.fatalf("%s: pid %d at level %d outside [1, %d)", k.Describe(v), nr, l, m.s.opts.PidMax)
			}
			if got := k.FindTask(ns, nr); got != v {
				m.fatalf("%s: FindTask(ns%d, %d) = T%d", k.Describe(v), ns, nr, got)
			}
			if got := k.PidIn(v, ns); got != nr {
				m.fatalf("%s: PidIn(ns%d) = %d, want %d", k.Describe(v), ns, got, nr)
			}
		}
	}
}

func (m *machine) checkTasks(t *rapid.T) {
	k := m.k
	// A pidfd polls readable (pidfd_poll) once the task is released, or is
	// a zombie whose group has no other unreleased thread (a leader is a
	// delay_group_leader until then; probe Q13). The pidfd pins a struct
	// pid: an old leader's goes to the thread that exec'd (transfer_pid),
	// so its pidfd follows that thread.
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		if k.Task(v).Group == model.NoGroup {
			continue
		}
		w := v
		for k.Task(w).Exit == model.ExitDead && k.ExecHeir(w) != model.NoTask {
			w = k.ExecHeir(w)
		}
		tk := k.Task(w)
		want := tk.Exit == model.ExitDead || tk.Exit == model.ExitZombie && len(m.threads(tk.Group)) == 1
		if h := k.ExecHeir(v); h != model.NoTask {
			// A thread that exec'd took over v's struct pid (transfer_pid
			// in de_thread): v's pidfd is now that thread's.
			want = k.PidfdReadable(h)
		}
		if got := k.PidfdReadable(v); got != want {
			m.fatalf("PidfdReadable(%s) = %v, want %v (%s, %d unreleased threads)", k.Describe(v), got, want, tk.Exit, len(m.threads(tk.Group)))
		}
	}
	for _, kt := range m.kthreads {
		tk := k.Task(kt)
		if tk.Exit != model.ExitNone || tk.Flags&model.PF_EXITING != 0 || tk.Frame.Path != model.KIdle {
			m.fatalf("kthread %s died or ran: %s %s", k.Describe(kt), tk.Exit, tk.Frame.Path)
		}
	}
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		tk := k.Task(v)
		if tk.Group == model.NoGroup || tk.Exit == model.ExitDead {
			continue
		}
		g := k.GroupOf(v)
		// Threads share the leader's real parent (reparenting moves all).
		if lp := k.Task(g.Leader).Parent; tk.Parent != lp {
			m.fatalf("%s has parent T%d, its leader T%d has T%d", k.Describe(v), tk.Parent, g.Leader, lp)
		}
		// Non-leader threads are autoreaped: never a lasting zombie.
		if tk.Exit == model.ExitZombie && !k.IsLeader(v) {
			m.fatalf("non-leader %s is a zombie", k.Describe(v))
		}
		// Children are reparented at exit_notify, before the zombie state.
		kids := k.ChildrenOf(v)
		if len(kids) > 0 && tk.Exit != model.ExitNone {
			m.fatalf("%s %s still has children %v", tk.Exit, k.Describe(v), kids)
		}
		for _, c := range kids {
			if !k.IsAncestorNS(tk.NS, k.Task(c).NS) {
				m.fatalf("child %s of %s is in ns%d, not under the parent's ns%d", k.Describe(c), k.Describe(v), k.Task(c).NS, tk.NS)
			}
		}
		if !k.IsAncestorNS(tk.NS, tk.PidNSForChildren) {
			m.fatalf("%s: pid_ns_for_children ns%d not under its ns%d", k.Describe(v), tk.PidNSForChildren, tk.NS)
		}
	}
}

func (m *machine) charged() []int32 {
	k := m.k
	charged := make([]int32, k.NumCgroups())
	for i := 0; i < k.NumTasks(); i++ {
		v := model.TaskID(i)
		tk := k.Task(v)
		if tk.Group != model.NoGroup && tk.Exit != model.ExitDead && tk.Cgroup != model.NoCgroup {
			charged[tk.Cgroup]++
		}
		// A fork past cgroup_can_fork (PC ≥ forkCommit = 3) whose child
		// is not linked yet (committed or not) is charged to its destination.
		if f := tk.Frame; f.Path == model.KFork && (f.PC == 3 || f.PC == 4) && f.Child != model.NoTask && k.Task(f.Child).Cgroup == model.NoCgroup {
			charged[f.Cg]++
		}
	}
	return charged
}

// checkSubreaperFlag: has_child_subreaper is a conservative hint: a
// process with a child subreaper among its ancestors (up to, not
// including, a pid namespace's child reaper, whose subtree
// propagate_has_child_subreaper skips) has it set, so that
// find_new_reaper does not skip that subreaper (reference 4.2).
// PR_SET_CHILD_SUBREAPER propagates it through the children of every
// thread (walk_process_tree), and fork inherits it from the real parent.
func (m *machine) checkSubreaperFlag(t *rapid.T) {
	k := m.k
	isReaper := func(x model.TaskID) bool {
		return k.PidIn(k.GroupOf(x).Leader, k.Task(x).NS) == 1
	}
	for i := 0; i < k.NumTasks(); i++ {
		p := model.TaskID(i)
		pk := k.Task(p)
		if pk.Group == model.NoGroup || pk.Exit == model.ExitDead || !k.IsLeader(p) || isReaper(p) {
			continue
		}
		if k.GroupOf(p).HasChildSubreaper {
			continue
		}
		for r := pk.Parent; r != model.NoTask; r = k.Task(k.GroupOf(r).Leader).Parent {
			if isReaper(r) {
				break
			}
			if k.GroupOf(r).IsChildSubreaper {
				m.fatalf("%s has subreaper ancestor %s but no has_child_subreaper", k.Describe(p), k.Describe(r))
			}
		}
	}
}

// checkSubreaperWalk: PR_SET_CHILD_SUBREAPER by t reached every process
// walk_process_tree visits (the children of every thread, recursively,
// skipping child reapers' subtrees and processes that already had the
// flag): they all have has_child_subreaper now.
func (m *machine) checkSubreaperWalk(t model.TaskID, before map[model.GroupID]bool) {
	k := m.k
	isReaper := func(x model.TaskID) bool {
		return k.PidIn(k.GroupOf(x).Leader, k.Task(x).NS) == 1
	}
	var walk func(g model.GroupID)
	walk = func(g model.GroupID) {
		for _, th := range m.threads(g) {
			for _, c := range k.ChildrenOf(th) {
				cg := k.Task(c).Group
				if isReaper(c) || before[cg] {
					continue
				}
				if !k.GroupOf(c).HasChildSubreaper {
					m.fatalf("PR_SET_CHILD_SUBREAPER by %s did not reach %s (child of %s)", k.Describe(t), k.Describe(c), k.Describe(th))
				}
				before[cg] = true // visited
				walk(cg)
			}
		}
	}
	walk(k.Task(t).Group)
}

// checkPidsController: pids.current of every cgroup with a pids css is the
// number of tasks charged in its subtree: committed and unreleased tasks
// plus children of forks past cgroup_can_fork (reference 6.9, 4.4).
func (m *machine) checkPidsController(t *rapid.T) {
	k := m.k
	charged := m.charged()
	for i := 0; i < k.NumCgroups(); i++ {
		c := model.CgroupID(i)
		cg := k.Cgroup(c)
		if cg.PidsCurrent < 0 {
			m.fatalf("%s: pids.current %d < 0", k.Path(c), cg.PidsCurrent)
		}
		p := cg.Parent
		if p == model.NoCgroup || k.Cgroup(p).SubtreeControl&model.CtrlPids == 0 || !cg.Online {
			continue
		}
		want := int32(0)
		for _, d := range m.subtree(c) {
			want += charged[d]
		}
		if cg.PidsCurrent != want {
			m.fatalf("%s: pids.current %d, charged tasks in subtree %d", k.Path(c), cg.PidsCurrent, want)
		}
	}
}

// checkZap (current zap): when a namespace's init finishes exit_notify, no
// other task with a pid in that namespace is left (reference 5.5). Checked
// at that moment only: a nested namespace that never had a process keeps
// PIDNS_ADDING (alloc_pid checks only the innermost level), so a task that
// setns'ed into it can still create processes there afterwards.
func (m *machine) checkZap(t *rapid.T) {
	k := m.k
	if m.s.opts.Zap != model.ZapCurrent {
		return
	}
	for n := 1; n < k.NumNS(); n++ {
		ns := model.NSID(n)
		r := k.NS(ns).ChildReaper
		if r == model.NoTask || k.Task(r).Exit == model.ExitNone || m.zapped[ns] {
			continue
		}
		m.zapped[ns] = true
		for i := 0; i < k.NumTasks(); i++ {
			v := model.TaskID(i)
			vk := k.Task(v)
			if vk.Group == model.NoGroup || vk.Exit == model.ExitDead || vk.Group == k.Task(r).Group {
				continue
			}
			if k.IsAncestorNS(ns, vk.NS) {
				m.fatalf("init %s of ns%d has exited but %s survives in it", k.Describe(r), ns, k.Describe(v))
			}
		}
	}
}

// ---- actions ----

func (m *machine) actions() map[string]func(*rapid.T) {
	k := func() *model.Kernel { return m.k }
	inInit := func(x model.TaskID) bool { return k().Task(x).Group == k().Task(m.init).Group }
	// others: the caller may block (pause, wait) without leaving the
	// machine with no task in user mode, which would end the run early.
	others := func(model.TaskID) bool { return len(m.userTasks()) > 1 }
	step := func(t *rapid.T) {
		c := m.steppable()
		if len(c) == 0 {
			if len(m.userTasks()) == 0 {
				return // stuck
			}
			t.Skip("nothing to step")
		}
		m.do(op{Kind: "step", T: rapid.SampledFrom(c).Draw(t, "task")}, "")
	}
	write := func(file model.CgroupFile, want func(model.CgroupID) bool, values ...string) func(*rapid.T) {
		return func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", want)
			v := rapid.SampledFrom(values).Draw(t, "value")
			m.do(op{Kind: "write", T: me, Cg: cg, File: file, Str: v}, file.String())
		}
	}
	// fork; newest: the caller is the newest task in user mode, which
	// grows deep process trees (subreapers, nested namespaces).
	fork := func(t *rapid.T, newest bool) {
		me, ok := m.caller(t, nil)
		if !ok {
			return
		}
		if newest {
			c := m.userTasks()
			me = c[len(c)-1]
		}
		kind := rapid.SampledFrom([]string{"0", "thread", "newpid", "parent", "into", "vfork"}).Draw(t, "clone")
		o := op{Kind: "fork", T: me, Cg: model.NoCgroup}
		switch kind {
		case "thread":
			o.Flags = model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM
		case "newpid":
			o.Flags = model.CLONE_NEWPID
		case "parent":
			o.Flags = model.CLONE_PARENT
		case "vfork":
			o.Flags = model.CLONE_VFORK
		case "into":
			o.Flags = model.CLONE_INTO_CGROUP
			o.Cg = m.drawCgroup(t, "cgroup", nonRoot)
		}
		m.do(o, "fork/"+kind)
	}
	pidsEnabled := func(c model.CgroupID) bool {
		p := k().Cgroup(c).Parent
		return p != model.NoCgroup && k().Cgroup(p).SubtreeControl&model.CtrlPids != 0
	}
	check := m.check
	if !m.strict {
		check = func(*rapid.T) {}
	}
	return map[string]func(*rapid.T){
		"": check,
		// "advance" sorts first among the keys and never skips, so rapid
		// always finds a valid action (its first, all-zero test case draws
		// index 0 every time): it steps a task, or does nothing when every
		// task is blocked or in user mode.
		"advance": func(t *rapid.T) {
			if c := m.steppable(); len(c) > 0 {
				m.do(op{Kind: "step", T: rapid.SampledFrom(c).Draw(t, "task")}, "")
			}
		},
		"step":  step,
		"step2": step,
		"step3": step,
		// Forks are registered under several keys to grow bigger trees.
		"fork":         func(t *rapid.T) { fork(t, false) },
		"fork2":        func(t *rapid.T) { fork(t, false) },
		"fork_newest":  func(t *rapid.T) { fork(t, true) },
		"fork_newest2": func(t *rapid.T) { fork(t, true) },
		"exit": func(t *rapid.T) {
			// The global init's group dying panics the kernel; keep at
			// least one of its threads out of do_exit (a thread that has
			// entered it may still wait in exit_signals, signal->live
			// not yet decremented).
			me, ok := m.caller(t, func(x model.TaskID) bool {
				if !inInit(x) {
					return true
				}
				n := 0
				for _, th := range m.threads(k().Task(x).Group) {
					if k().Task(th).Frame.Path != model.KExit {
						n++
					}
				}
				return n > 1
			})
			if !ok {
				return
			}
			m.do(op{Kind: "exit", T: me, Pid: rapid.Int32Range(0, 3).Draw(t, "status")}, "")
		},
		// execve by any task but the global init's (its exec would zap
		// the init's other threads, as exit_group would): de_thread.
		"exec": func(t *rapid.T) {
			me, ok := m.caller(t, func(x model.TaskID) bool { return !inInit(x) })
			if !ok {
				return
			}
			m.do(op{Kind: "exec", T: me}, "exec")
		},
		"exit_group": func(t *rapid.T) {
			me, ok := m.caller(t, func(x model.TaskID) bool { return !inInit(x) })
			if !ok {
				return
			}
			m.do(op{Kind: "exit_group", T: me, Pid: rapid.Int32Range(0, 3).Draw(t, "status")}, "")
		},
		"kill": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			pid := m.drawPid(t, me, false)
			sig := rapid.SampledFrom([]model.Signal{model.SIGKILL, model.SIGTERM, model.SIGSTOP, model.SIGCONT, model.SIGUSR1, model.SIGSEGV}).Draw(t, "sig")
			m.do(op{Kind: "kill", T: me, Pid: pid, Sig: sig}, "kill")
		},
		// kill(0), kill(-pgid) of a visible pid (a process group or not)
		// and kill(-1): process groups and the broadcast.
		"kill_pgrp": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			pid := -m.drawPid(t, me, true)
			if rapid.IntRange(0, 3).Draw(t, "broadcast") == 0 {
				pid = -1
			}
			sig := rapid.SampledFrom([]model.Signal{model.SIGKILL, model.SIGTERM, model.SIGSTOP, model.SIGCONT, model.SIGUSR1, model.SIGSEGV}).Draw(t, "sig")
			m.do(op{Kind: "kill", T: me, Pid: pid, Sig: sig}, "kill_pgrp")
		},
		"setpgid": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			pid := m.drawPid(t, me, true)
			pgid := m.drawPid(t, me, true)
			m.do(op{Kind: "setpgid", T: me, Pid: pid, NS: model.NSID(pgid)}, "setpgid")
		},
		"setsid": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			m.do(op{Kind: "setsid", T: me}, "setsid")
		},
		"mkdir": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "parent", nil)
			name := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "name")
			m.do(op{Kind: "mkdir", T: me, Cg: cg, Str: name}, "mkdir")
		},
		"rmdir": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", nonRoot)
			m.do(op{Kind: "rmdir", T: me, Cg: cg}, "rmdir")
		},
		"migrate": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", nil)
			file := model.FileProcs
			if rapid.IntRange(0, 3).Draw(t, "threads") == 0 {
				file = model.FileThreads
			}
			pid := m.drawPid(t, me, true)
			m.do(op{Kind: "write", T: me, Cg: cg, File: file, Str: strconv.Itoa(int(pid))}, file.String())
		},
		// A v1 migration (__cgroup1_procs_write) as one atomic step: only
		// when nothing it would wait for is held (cgroup_mutex, the
		// threadgroup rwsem for reading or writing). It changes the
		// process's css_set and so the order cgroup.kill and cgroup.procs
		// walk the cgroup's tasks in.
		"v1": func(t *rapid.T) {
			k := m.k
			if k.CgroupMutexOwner() != model.NoTask || k.ThreadgroupWriter() != model.NoTask {
				t.Skip("cgroup_mutex or the threadgroup rwsem is held")
			}
			for i := 0; i < k.NumTasks(); i++ {
				if f := k.Task(model.TaskID(i)).Frame; f.Path == model.KFork && f.PC >= 2 {
					t.Skip("a fork is in cgroup_can_fork or past it")
				}
			}
			us := m.userTasks()
			if len(us) == 0 {
				t.Skip("no task in user mode")
			}
			v := rapid.SampledFrom(us).Draw(t, "task")
			name := rapid.SampledFrom([]string{"", "a", "b"}).Draw(t, "v1")
			m.do(op{Kind: "v1", T: v, Str: name}, "")
		},
		"cgroup.kill": write(model.FileKill, nonRoot, "1"),
		"freeze":      write(model.FileFreeze, nonRoot, "1"),
		"thaw":        write(model.FileFreeze, nonRoot, "0"),
		"subtree_control": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", nil)
			v := rapid.SampledFrom([]string{"+pids", "-pids", "+memory", "-memory", "+cpu"}).Draw(t, "value")
			m.do(op{Kind: "write", T: me, Cg: cg, File: model.FileSubtreeControl, Str: v}, model.FileSubtreeControl.String())
		},
		"type threaded": write(model.FileType, nonRoot, "threaded"),
		"oom.group":     write(model.FileMemoryOomGroup, nonRoot, "1", "0", "2"),
		// An OOM in any cgroup (the model refuses those t is not charged
		// to, or that have no memcg), the hog any task.
		"oom": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", nil)
			hog := rapid.Int32Range(-1, int32(k().NumTasks()-1)).Draw(t, "hog")
			m.do(op{Kind: "oom", T: me, Cg: cg, Pid: hog}, "oom")
		},
		"max.descendants": write(model.FileMaxDescendants, nil, "max", "0", "1", "2"),
		"max.depth":       write(model.FileMaxDepth, nil, "max", "0", "1", "2"),
		"pids.max":        write(model.FilePidsMax, pidsEnabled, "max", "0", "1", "2", "3", "5"),
		"read": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			cg := m.drawCgroup(t, "cgroup", nonRoot)
			f := rapid.SampledFrom([]model.CgroupFile{model.FileProcs, model.FileThreads, model.FileEvents,
				model.FileType, model.FileFreeze, model.FileSubtreeControl, model.FileControllers,
				model.FilePidsCurrent, model.FilePidsMax, model.FileStat, model.FileMemoryOomGroup}).Draw(t, "file")
			m.do(op{Kind: "read", T: me, Cg: cg, File: f}, "read")
			m.checkRead(op{Kind: "read", T: me, Cg: cg, File: f})
		},
		"unshare": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			m.do(op{Kind: "unshare", T: me}, "unshare")
		},
		"setns": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			ns := rapid.SampledFrom(m.nameableNS()).Draw(t, "ns")
			m.do(op{Kind: "setns", T: me, NS: ns}, "setns")
		},
		"subreaper": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			before := map[model.GroupID]bool{}
			for i := 0; i < k().NumTasks(); i++ {
				if tk := k().Task(model.TaskID(i)); tk.Group != model.NoGroup && k().GroupOf(model.TaskID(i)).HasChildSubreaper {
					before[tk.Group] = true
				}
			}
			m.do(op{Kind: "subreaper", T: me}, "subreaper")
			m.checkSubreaperWalk(me, before)
		},
		"sigaction": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			o := op{Kind: "sigaction", T: me}
			switch rapid.IntRange(0, 4).Draw(t, "which") {
			case 0:
				o.Sig, o.Disp = model.SIGCHLD, model.SigIgnore
			case 1:
				o.Sig, o.Disp = model.SIGCHLD, model.SigDefault
			case 2:
				// A handler calling exit_group in the global init panics
				// the kernel, as it should; keep init out of it.
				if inInit(me) {
					o.Sig, o.Disp = model.SIGTERM, model.SigDefault
				} else {
					o.Sig, o.Disp = model.SIGTERM, model.HandlerExit
				}
			case 3:
				o.Sig, o.Disp = model.SIGUSR1, model.HandlerReturn
			case 4:
				o.Sig, o.Disp = model.SIGUSR1, model.SigDefault
			}
			m.do(o, "sigaction")
		},
		"wait": func(t *rapid.T) {
			me, ok := m.caller(t, nil)
			if !ok {
				return
			}
			fl := model.WALL
			if !others(me) || rapid.Bool().Draw(t, "wnohang") {
				fl |= model.WNOHANG
			}
			m.do(op{Kind: "wait", T: me, Flags: fl}, "wait")
		},
		"pause": func(t *rapid.T) {
			me, ok := m.caller(t, others)
			if !ok {
				return
			}
			m.do(op{Kind: "pause", T: me}, "pause")
		},
	}
}

// rounds is how many rapid.Check rounds a test runs: rapid's default of
// 100 short runs takes a fraction of a second, so without -short and
// without an explicit -rapid.checks (or RAPID_CHECKS) the tests run
// several rounds (a few seconds in all).
func rounds(n int) int {
	if testing.Short() || os.Getenv("RAPID_CHECKS") != "" || os.Getenv("RAPID_SEED") != "" {
		return 1
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.checks" || f.Name == "rapid.seed" || f.Name == "rapid.failfile" {
			set = true
		}
	})
	if set {
		return 1
	}
	return n
}

func TestStateMachine(t *testing.T) {
	for range rounds(100) {
		rapid.Check(t, func(t *rapid.T) {
			m := newMachine(t, false)
			t.Repeat(m.actions())
		})
		if t.Failed() {
			return
		}
	}
}

// TestStateMachineDeterministic replays the ops of a random run on a fresh
// kernel built from the same setup, each op on a Clone of the previous
// state, and requires byte-identical state keys after every op; it also
// requires that running an op on a clone leaves the original untouched.
func TestStateMachineDeterministic(t *testing.T) {
	for range rounds(20) {
		testDeterministic(t)
		if t.Failed() {
			return
		}
	}
}

func testDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newMachine(t, true)
		t.Repeat(m.actions())
		k, _, _ := m.s.build()
		prevKey := k.AppendKey(nil)
		for i, o := range m.ops {
			next := k.Clone()
			if !bytes.Equal(next.AppendKey(nil), prevKey) {
				m.fatalf("op %d: Clone's key differs from the original's", i)
			}
			apply(next, o)
			if !bytes.Equal(k.AppendKey(nil), prevKey) {
				m.fatalf("op %d (%s) on a clone changed the original", i, o)
			}
			key := next.AppendKey(nil)
			if !bytes.Equal(key, m.keys[i]) {
				m.fatalf("op %d (%s): replay key differs:\n%s", i, o, cmp.Diff(m.keys[i], key))
			}
			k, prevKey = next, key
		}
	})
}
