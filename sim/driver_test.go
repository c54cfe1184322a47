package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// drivenWorld is a machine with a task driven by Go code that reads
// cgroup.procs, signals what it read and then sleeps, next to a forker.
func drivenWorld(t *testing.T) (*sim.World, model.TaskID) {
	w := sim.NewWorld(model.DefaultOptions())
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	cg, err := w.Mkdir(init, model.RootCG, "t")
	require.NoError(t, err)
	_, err = w.Spawn(init, "forker", w.AddProgram("fork", sim.ForkOnceThenPause("")), model.CLONE_INTO_CGROUP, cg)
	require.NoError(t, err)
	d, err := w.Spawn(init, "driven", w.AddProgram("pause", sim.PauseForever()), 0, model.NoCgroup)
	require.NoError(t, err)
	w.Drive(d, func(sys *sim.Sys) int32 {
		for i := 0; i < 3; i++ {
			r := sys.Call(sim.Instr{Op: sim.OpRead, Path: "/t", File: model.FileProcs})
			if r.Err != model.OK {
				return int32(r.Err)
			}
			sys.Call(sim.Instr{Op: sim.OpSpin})
		}
		sys.Call(sim.Instr{Op: sim.OpWrite, Path: "/t", File: model.FileKill, Str: "1"})
		return 0
	})
	return w, d
}

// TestDrivenCloneContinuesIdentically: a world with a driven task, cloned
// in the middle of a run (rebuilt and replayed, since a coroutine cannot be
// copied), continues exactly as the original under the same choices, and
// has the same state key at every step.
func TestDrivenCloneContinuesIdentically(t *testing.T) {
	w, d := drivenWorld(t)
	res := explore.Random(w, 5, 1000)
	require.True(t, res.Final)
	a := w.CloneWorld()
	for i, choice := range res.Schedule {
		if i == len(res.Schedule)/2 {
			b := a.CloneWorld()
			for _, c := range res.Schedule[i:] {
				a.Step(c)
				b.Step(c)
				require.Equal(t, a.AppendKey(nil), b.AppendKey(nil))
			}
			done, st := b.DrivenDone(d)
			require.True(t, done)
			require.Zero(t, st)
			return
		}
		a.Step(choice)
	}
	t.Fatal("schedule too short")
}

// TestDrivenExhaustive: exhaustive search on a driven world (stateless:
// every branch replays from the start) completes, and finds the same
// number of states on every run.
func TestDrivenExhaustive(t *testing.T) {
	w, _ := drivenWorld(t)
	r1 := explore.Exhaustive(w, explore.Unbounded())
	r2 := explore.Exhaustive(w, explore.Unbounded())
	require.True(t, r1.Complete)
	require.Equal(t, r1.States, r2.States)
	require.Greater(t, r1.States, 10)
}
