// Package scenarios holds cgsim's bundled scenarios: named machines with
// the kernel options they run under, what they teach, where they come
// from, and what must hold when they are explored.
//
// The scenarios here are built in Go against package sim; scenario files
// (YAML) will register into the same table.
package scenarios

import (
	"fmt"
	"sort"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Expect is what exploring a scenario must find.
type Expect uint8

// Expectations.
const (
	// ExpectHolds: no property may be violated on any explored schedule.
	ExpectHolds Expect = iota
	// ExpectViolation: a violation must be found (a race of the catalogue).
	ExpectViolation
)

// Scenario is one bundled scenario.
type Scenario struct {
	Name string
	// Summary is one line for `simrun list`.
	Summary string
	// Teaches says what the scenario shows and where it comes from.
	Teaches string
	// Options are the kernel options it runs under by default.
	Options model.Options
	// Build makes the machine for the given options.
	Build func(opts model.Options) (*sim.World, error)
	// Expect maps a kill mode to what exploring must find; modes not in
	// the map use Default.
	Expect  map[model.KillMode]Expect
	Default Expect
	// ZapExpect, if set, overrides the expectation per zap mode.
	ZapExpect map[model.ZapMode]Expect
	// Bounds configure exhaustive exploration. Seeds > 0 makes random
	// exploration (seeds 1..Seeds, MaxSteps steps each) the default,
	// for scenarios too large to search exhaustively.
	Bounds   explore.Bounds
	Seeds    int
	MaxSteps int
}

// Expectation returns what exploring must find under opts.
func (s *Scenario) Expectation(opts model.Options) Expect {
	if e, ok := s.ZapExpect[opts.Zap]; ok {
		return e
	}
	if e, ok := s.Expect[opts.Kill]; ok {
		return e
	}
	return s.Default
}

var registry = map[string]*Scenario{}

// Register adds a scenario; names are unique.
func Register(s *Scenario) {
	if _, dup := registry[s.Name]; dup {
		panic("scenarios: duplicate " + s.Name)
	}
	registry[s.Name] = s
}

// Lookup returns the scenario called name.
func Lookup(name string) (*Scenario, bool) {
	s, ok := registry[name]
	return s, ok
}

// All returns every scenario sorted by name.
func All() []*Scenario {
	out := make([]*Scenario, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func withKill(k model.KillMode) model.Options {
	o := model.DefaultOptions()
	o.Kill = k
	return o
}

func init() {
	Register(&Scenario{
		Name:    "fork-vs-kill",
		Summary: "one task forks while another writes cgroup.kill (races of 1.5 and 1.7)",
		Teaches: "A task in /test forks once; a writer in the root cgroup writes /test/cgroup.kill. " +
			"Under kill=flag (5.14–6.13) the child escapes when the whole kill runs between the fork's " +
			"fatal-signal check and cgroup_post_fork (reported by Tejun Heo, 2025-01). kill=seq (6.14+, " +
			"b69bb476dee9) closes that but leaves a window when the increment precedes the fork's snapshot " +
			"or the whole fork fits between css_task_iter_next and send_sig. kill=atomic (gVisor) has none.",
		Options: withKill(model.KillFlag),
		Build: func(o model.Options) (*sim.World, error) {
			w, _ := sim.ForkVsKill(o, 1)
			return w, nil
		},
		Expect:  map[model.KillMode]Expect{model.KillAtomic: ExpectHolds},
		Default: ExpectViolation,
		Bounds:  explore.Unbounded(),
	})
	Register(&Scenario{
		Name:    "clone-into-killed-cgroup",
		Summary: "clone3(CLONE_INTO_CGROUP) into a cgroup killed before: spurious SIGKILL on 6.14–6.18",
		Teaches: "A writer kills /test; a task in the root cgroup clones a child into /test with " +
			"CLONE_INTO_CGROUP. The fork holds cgroup_mutex, so no kill can run concurrently, yet under " +
			"kill=seq-into-cgroup-bug the snapshot is the parent's cgroup counter and the comparison the " +
			"target's: the child dies at birth (fixed by 8e3599202166, 2026). Probe into_cgroup_killed.c " +
			"shows it on this machine's 6.18.",
		Options: withKill(model.KillSeqIntoCgroupBug),
		Build:   CloneIntoKilled,
		Expect:  map[model.KillMode]Expect{model.KillSeqIntoCgroupBug: ExpectViolation},
		Default: ExpectHolds,
		Bounds:  explore.Unbounded(),
	})
	Register(&Scenario{
		Name:    "zap",
		Summary: "a container init is SIGKILLed from the host: zap_pid_ns_processes (current, v3.3, 2007)",
		Teaches: "cinit is pid 1 of a pid namespace with a worker, a nested namespace and a task injected " +
			"by setns()+fork whose parent is outside. The host SIGKILLs cinit. With zap=current init's exit " +
			"completes only after every pid of the namespace is freed and later forks get ENOMEM; with the " +
			"2007 patch (Pid-NS V3 12/17) init exits right after sending the signals, and tasks outlive it — " +
			"Pavel Emelianov's objection. With zap=v3.3 (merged in 2.6.24) init waits for its children but " +
			"not for the injected task, whose parent is outside, and forks into the dead namespace succeed.",
		Options: model.DefaultOptions(),
		Build: func(o model.Options) (*sim.World, error) {
			w, _, _, err := Container(o, ContainerParts{Worker: true, Nested: true, Injected: true})
			return w, err
		},
		ZapExpect: map[model.ZapMode]Expect{model.Zap2007: ExpectViolation, model.ZapV33: ExpectViolation},
		Default:   ExpectHolds,
		Bounds:    explore.Unbounded(),
	})
	Register(&Scenario{
		Name:    "test_kill_forkbomb",
		Summary: "a fork bomb held at pids.max is taken down by cgroup.kill (test_kill.c, test_pids.c)",
		Teaches: "A fork bomb in /bomb with pids.max 8 keeps failing with EAGAIN; a killer writes " +
			"/bomb/cgroup.kill. Under kill=atomic it is always contained; under kill=seq the bomb's " +
			"constant forks hit the residual windows on some schedules.",
		Options:  withKill(model.KillAtomic),
		Build:    ForkBomb,
		Expect:   map[model.KillMode]Expect{model.KillAtomic: ExpectHolds},
		Default:  ExpectViolation,
		Seeds:    100,
		MaxSteps: 20000,
	})
}

// CloneIntoKilled builds the clone-into-killed-cgroup machine: the
// fork-vs-kill world without forkers, plus a "cloner" in the root cgroup
// that clones a sleeping child into /test with CLONE_INTO_CGROUP. Its
// property: cgroup_post_fork never kills a CLONE_INTO_CGROUP child.
func CloneIntoKilled(o model.Options) (*sim.World, error) {
	w, test := sim.ForkVsKill(o, 0)
	fp := w.AddProgram("clone-into", []sim.Instr{
		{Op: sim.OpFork, A: int32(model.CLONE_INTO_CGROUP), Cg: test, B: 1, Label: "clone"},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 1},
	})
	if _, err := w.Spawn(0, "cloner", fp, 0, model.NoCgroup); err != nil {
		return nil, err
	}
	w.Gate = nil
	w.Props = []sim.Property{{Name: "no-spurious-kill", Check: func(w *sim.World, _ bool) string {
		if w.K.Cover&model.CovPostForkKilledIntoCgroup != 0 {
			return "cgroup_post_fork SIGKILLed a CLONE_INTO_CGROUP child, though cgroup_mutex excludes any concurrent kill"
		}
		return ""
	}}}
	return w, nil
}

// ContainerParts selects what lives in the container's pid namespace.
type ContainerParts struct {
	Worker   bool // a child of cinit that sleeps
	Nested   bool // a nested namespace: "ninit" (pid 1 there) with "nchild"
	Injected bool // "injector" in the host setns()es into the namespace and forks "injected"; it reaps it, waits for cinit to be gone, then forks again ("late-fork")
	Forker   int  // a child of cinit that forks this many times (label "fork")
}

// Container builds a machine with a container: "cinit" is pid 1 of a new
// pid namespace (a child of the global init, which ignores SIGCHLD), with
// the parts selected, and a host task "killer" that sends SIGKILL to
// cinit. Its properties: init's exit completes only after every pid of
// the namespace is freed, and nothing of the namespace survives.
func Container(o model.Options, p ContainerParts) (*sim.World, model.TaskID, model.NSID, error) {
	w := sim.NewWorld(o)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	pause := w.AddProgram("pause", sim.PauseForever())
	cinit, err := w.Spawn(init, "cinit", pause, model.CLONE_NEWPID, model.NoCgroup)
	if err != nil {
		return nil, 0, 0, err
	}
	ns := w.K.Task(cinit).NS
	if p.Worker {
		if _, err := w.Spawn(cinit, "worker", pause, 0, model.NoCgroup); err != nil {
			return nil, 0, 0, err
		}
	}
	if p.Nested {
		ninit, err := w.Spawn(cinit, "ninit", pause, model.CLONE_NEWPID, model.NoCgroup)
		if err != nil {
			return nil, 0, 0, err
		}
		if _, err := w.Spawn(ninit, "nchild", pause, 0, model.NoCgroup); err != nil {
			return nil, 0, 0, err
		}
	}
	if p.Forker > 0 {
		code := []sim.Instr{
			{Op: sim.OpLoop, A: int32(p.Forker), B: 2},
			{Op: sim.OpJump, A: 4},
			{Op: sim.OpFork, B: 4, Label: "fork"},
			{Op: sim.OpJump, A: 0},
			{Op: sim.OpPause}, {Op: sim.OpJump, A: 4}, // 4: parent when done, and every child
		}
		if _, err := w.Spawn(cinit, "forker", w.AddProgram("fork-n", code), 0, model.NoCgroup); err != nil {
			return nil, 0, 0, err
		}
	}
	if p.Injected {
		code := []sim.Instr{
			{Op: sim.OpWait, A: -1, B: int32(model.WALL)},
			{Op: sim.OpWaitCond, A: sim.CondTaskGone, Target: cinit},
			{Op: sim.OpFork, B: 4, Label: "late-fork"},
			{Op: sim.OpPause}, {Op: sim.OpPause}, {Op: sim.OpJump, A: 4},
		}
		inj, err := w.Spawn(init, "injector", w.AddProgram("injector", code), 0, model.NoCgroup)
		if err != nil {
			return nil, 0, 0, err
		}
		if _, err := w.Call(inj, func(k *model.Kernel) { k.Setns(inj, ns) }); err != nil {
			return nil, 0, 0, err
		}
		if _, err := w.Spawn(inj, "injected", pause, 0, model.NoCgroup); err != nil {
			return nil, 0, 0, err
		}
	}
	kill := []sim.Instr{{Op: sim.OpKill, Target: cinit, B: int32(model.SIGKILL), Label: "kill"}, {Op: sim.OpPause}, {Op: sim.OpJump, A: 1}}
	if _, err := w.Spawn(init, "killer", w.AddProgram("killer", kill), 0, model.NoCgroup); err != nil {
		return nil, 0, 0, err
	}
	// Let the sleepers go to sleep, so that exploration starts from the kill.
	for t := 0; t < w.K.NumTasks(); t++ {
		if name := w.Name(model.TaskID(t)); name != "killer" && name != "injector" && name != "forker" {
			w.Settle(model.TaskID(t), 10)
		}
	}
	w.Props = append(w.Props, sim.InitOutlivesNamespace(ns, cinit), sim.NamespaceDead(ns))
	return w, cinit, ns, nil
}

// ForkBomb builds /bomb with pids.max 8, a fork bomb in it, and a killer in
// the root cgroup that lets the bomb run for 60 steps and then writes
// /bomb/cgroup.kill. The run ends once the kill's outcome is decided
// (KillGate). Properties: pids.current never exceeds pids.max, forks only
// fail with EAGAIN or EINTR, and the cgroup is empty after the kill.
func ForkBomb(o model.Options) (*sim.World, error) {
	w := sim.NewWorld(o)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	if err := w.Write(init, model.RootCG, model.FileSubtreeControl, "+pids"); err != nil {
		return nil, err
	}
	bomb, err := w.Mkdir(init, model.RootCG, "bomb")
	if err != nil {
		return nil, err
	}
	if err := w.Write(init, bomb, model.FilePidsMax, "8"); err != nil {
		return nil, err
	}
	if _, err := w.Spawn(init, "bomb", w.AddProgram("forkbomb", sim.ForkBomb("fork")), model.CLONE_INTO_CGROUP, bomb); err != nil {
		return nil, err
	}
	killer := []sim.Instr{
		{Op: sim.OpLoop, A: 60, B: 3}, // 0: spin 60 steps first
		{Op: sim.OpWrite, Cg: bomb, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpJump, A: 5},
		{Op: sim.OpSpin}, // 3
		{Op: sim.OpJump, A: 0},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 5}, // 5
	}
	if _, err := w.Spawn(init, "killer", w.AddProgram("killer", killer), 0, model.NoCgroup); err != nil {
		return nil, err
	}
	w.Props = append(w.Props, sim.Property{Name: "pids.max", Check: func(w *sim.World, final bool) string {
		if c := w.K.Cgroup(bomb).PidsCurrent; c > 8 {
			return fmt.Sprintf("pids.current %d > pids.max 8", c)
		}
		if !final {
			return ""
		}
		for _, r := range w.Records("fork") {
			if r.Err != model.OK && r.Err != model.EAGAIN && r.Err != model.EINTR {
				return "fork returned " + r.Err.String()
			}
		}
		return ""
	}}, sim.EmptyAfterKill(bomb, "kill"))
	w.Gate = sim.KillGate("kill")
	return w, nil
}
