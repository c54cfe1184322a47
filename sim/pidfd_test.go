package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// leaderExitsFirst is a world with a process whose leader calls exit(7)
// while its second thread spins and then calls exit(3), and a watcher
// that awaits cond on the leader and then pauses. It returns the world,
// the leader and the watcher.
func leaderExitsFirst(t *testing.T, cond int32) (*sim.World, model.TaskID, model.TaskID) {
	m := newMachine(t, model.DefaultOptions())
	fl := int32(model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM)
	proc := m.w.AddProgram("leader-exits-first", []sim.Instr{
		{Op: sim.OpFork, A: fl, B: 2}, // 0: a second thread
		{Op: sim.OpExit, A: 7},        // 1: the leader thread exits alone
		{Op: sim.OpSpin},              // 2: the thread runs on
		{Op: sim.OpExit, A: 3},        // 3: then exits too
	})
	leader := m.spawn(m.init, "proc", proc, 0, model.NoCgroup)
	watch := m.w.AddProgram("watcher", nil)
	watcher := m.spawn(m.init, "watcher", watch, 0, model.NoCgroup)
	m.w.SetProgram(watch, []sim.Instr{
		{Op: sim.OpWaitCond, A: cond, Target: leader},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 1},
	})
	return m.w, leader, watcher
}

// wokeWhileThreadRuns is the property "the watcher has returned from its
// await while a thread of the leader's group has not exited", read off
// the state (the watcher's registers), so that exhaustive search checks it
// on every new state.
func wokeWhileThreadRuns(leader, watcher model.TaskID) sim.Property {
	return sim.Property{Name: "woke-while-a-thread-runs", Check: func(w *sim.World, final bool) string {
		k := w.K
		u := k.Task(watcher).User
		woke := u.PC > 0 || u.R[1] != 0
		if final && !woke {
			return "the watcher never woke"
		}
		if !woke {
			return ""
		}
		for _, th := range k.Threads(leader) {
			if k.Task(th).Exit == model.ExitNone {
				return w.Describe(th) + " still runs"
			}
		}
		return ""
	}}
}

func TestAwaitExitedWaitsForTheWholeGroup(t *testing.T) {
	// await exited (CondTaskGone) is a poll of the process's pidfd:
	// pidfd_poll reports it readable once the task is released or is a
	// zombie that is not a delay_group_leader, so a leader that exits while
	// another thread runs does not wake it (probe Q13: "not readable"
	// until the thread exits). Exhaustively: no schedule wakes the watcher
	// while the thread runs, and every one wakes it in the end.
	w, leader, watcher := leaderExitsFirst(t, sim.CondTaskGone)
	w.Props = append(w.Props, wokeWhileThreadRuns(leader, watcher))
	rep := explorePlain(t, w)
	require.Empty(t, rep.Violation, "schedule %v", rep.Schedule)

	// await zombie (CondZombie, /proc/PID/stat says Z) wakes as soon as
	// the leader itself has exited: some schedule has the thread running.
	w, leader, watcher = leaderExitsFirst(t, sim.CondZombie)
	w.Props = append(w.Props, wokeWhileThreadRuns(leader, watcher))
	w.CheckInvariants = true
	rep = explore.Exhaustive(w, explore.Unbounded())
	require.Contains(t, rep.Violation, "still runs")
}
