package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// container builds a machine with a container: "cinit" is pid 1 of a new
// pid namespace (a child of the global init, which ignores SIGCHLD);
// parts selects what else lives in the namespace. A host task "killer"
// sends SIGKILL to cinit. It returns the world, cinit and its namespace.
type containerParts struct {
	worker   bool // a child of cinit that sleeps
	nested   bool // a nested namespace: "ninit" (pid 1 there) with "nchild"
	injected bool // "injector" in the host setns()es into the namespace and forks "injected"; it reaps it, waits for cinit to be gone, then forks again ("late-fork")
	forker   int  // a child of cinit that forks this many times (label "fork")
}

func container(t *testing.T, opts model.Options, p containerParts) (*sim.World, model.TaskID, model.NSID) {
	t.Helper()
	w := sim.NewWorld(opts)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	pause := w.AddProgram("pause", sim.PauseForever())
	cinit, err := w.Spawn(init, "cinit", pause, model.CLONE_NEWPID, model.NoCgroup)
	require.NoError(t, err)
	ns := w.K.Task(cinit).NS
	if p.worker {
		_, err = w.Spawn(cinit, "worker", pause, 0, model.NoCgroup)
		require.NoError(t, err)
	}
	if p.nested {
		ninit, err := w.Spawn(cinit, "ninit", pause, model.CLONE_NEWPID, model.NoCgroup)
		require.NoError(t, err)
		_, err = w.Spawn(ninit, "nchild", pause, 0, model.NoCgroup)
		require.NoError(t, err)
	}
	if p.forker > 0 {
		code := []sim.Instr{
			{Op: sim.OpLoop, A: int32(p.forker), B: 2},
			{Op: sim.OpJump, A: 4},
			{Op: sim.OpFork, B: 4, Label: "fork"},
			{Op: sim.OpJump, A: 0},
			{Op: sim.OpPause}, {Op: sim.OpJump, A: 4}, // 4: parent when done, and every child
		}
		_, err = w.Spawn(cinit, "forker", w.AddProgram("fork-n", code), 0, model.NoCgroup)
		require.NoError(t, err)
	}
	if p.injected {
		code := []sim.Instr{
			{Op: sim.OpWait, A: -1, B: int32(model.WALL)},
			{Op: sim.OpWaitCond, A: sim.CondTaskGone, Target: cinit},
			{Op: sim.OpFork, B: 4, Label: "late-fork"},
			{Op: sim.OpPause}, {Op: sim.OpPause}, {Op: sim.OpJump, A: 4},
		}
		inj, err := w.Spawn(init, "injector", w.AddProgram("injector", code), 0, model.NoCgroup)
		require.NoError(t, err)
		_, err = w.Call(inj, func(k *model.Kernel) { k.Setns(inj, ns) })
		require.NoError(t, err)
		_, err = w.Spawn(inj, "injected", pause, 0, model.NoCgroup)
		require.NoError(t, err)
	}
	kill := []sim.Instr{{Op: sim.OpKill, Target: cinit, B: int32(model.SIGKILL), Label: "kill"}, {Op: sim.OpPause}, {Op: sim.OpJump, A: 1}}
	_, err = w.Spawn(init, "killer", w.AddProgram("killer", kill), 0, model.NoCgroup)
	require.NoError(t, err)
	// Settle the sleepers so that exploration starts from the kill.
	for tk := 0; tk < w.K.NumTasks(); tk++ {
		if name := w.Name(model.TaskID(tk)); name != "killer" && name != "injector" && name != "forker" {
			w.Settle(model.TaskID(tk), 10)
		}
	}
	w.Props = append(w.Props, sim.InitOutlivesNamespace(ns, cinit), sim.NamespaceDead(ns))
	w.CheckInvariants = true
	return w, cinit, ns
}

func TestZapCurrent(t *testing.T) {
	cases := []struct {
		name  string
		parts containerParts
	}{
		{"worker", containerParts{worker: true}},
		{"nested-namespace", containerParts{nested: true}},
		{"setns-injected", containerParts{injected: true}},
		{"forks-in-flight", containerParts{forker: 2}},
		{"worker-and-injected", containerParts{worker: true, injected: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, _, ns := container(t, model.DefaultOptions(), c.parts)
			// Every interleaving: init's exit completes only after every pid
			// of the namespace is freed (InitOutlivesNamespace, after every
			// step), and at the end nothing of the namespace is alive
			// (NamespaceDead), nested namespaces and injected tasks included.
			rep := explore.Exhaustive(w, explore.Unbounded())
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			t.Logf("exhaustive: %d states, no violation", rep.States)
			// And on a replay to the end, the namespace is dead.
			fw, res := sim.Replay(w, nil, 10000)
			require.Empty(t, res.Violation)
			require.True(t, res.Final)
			require.False(t, fw.K.NS(ns).Adding, "PIDNS_ADDING cleared")
			require.Zero(t, fw.K.NS(ns).Allocated, "every pid of the namespace freed")
			if c.parts.injected {
				r := fw.Records("late-fork")
				require.Len(t, r, 1)
				require.Equal(t, model.ENOMEM, r[0].Err, "fork into a dead pid namespace")
			}
			for _, r := range fw.Records("fork") {
				require.Contains(t, []model.Errno{model.OK, model.ENOMEM}, r.Err)
			}
		})
	}
}

// TestZapForkENOMEMEveryInterleaving checks the forks racing the zap in
// every interleaving: each one either succeeds before allocation is
// disabled (and its child is then killed) or fails with ENOMEM.
func TestZapForkRace(t *testing.T) {
	w, _, _ := container(t, model.DefaultOptions(), containerParts{forker: 2})
	w.Props = append(w.Props, sim.Property{Name: "fork-result", Check: func(w *sim.World, _ bool) string {
		for _, r := range w.Records("fork") {
			if r.Err != model.OK && r.Err != model.ENOMEM {
				return "fork returned " + r.Err.String()
			}
		}
		return ""
	}})
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Empty(t, rep.Violation)
	t.Logf("%d states", rep.States)
}

func TestZap2007(t *testing.T) {
	opts := model.DefaultOptions()
	opts.Zap = model.Zap2007
	w, _, _ := container(t, opts, containerParts{worker: true})
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Contains(t, rep.Violation, "zap-waits")
	fw, _ := sim.Replay(w, rep.Schedule, 1000)
	t.Logf("%d states; a task outlives init's exit: %s\n%s", rep.States, rep.Schedule, traceText(fw, opts, rep.Schedule))
}
