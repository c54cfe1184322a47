package scenarios

import (
	"fmt"

	"cgsim/model"
	"cgsim/sim"
)

// The machines below are built in Go for the tests of package sim, which
// vary them in ways a file does not (parts switched on and off, worlds
// inspected mid-run). The bundled scenario files describe the same
// machines for users.

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
	w.Props = []sim.Property{{Name: "no-spurious-kill", Scope: sim.OnHistory, Check: func(w *sim.World, _ bool) string {
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
