package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// TestVfork: a CLONE_VFORK parent sleeps in wait_for_vfork_done until its
// child execs or exits (complete_vfork_done), then returns the child's
// pid; the sleep is killable; and, as cgroup_enter_frozen marks it, the
// waiting parent counts as frozen, so its cgroup can freeze around it
// while the child, elsewhere, runs on.
func TestVfork(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  func(e *env, p, c model.TaskID)
	}{
		{"the child execs", func(e *env, p, c model.TaskID) { e.k.Exec(c, 0) }},
		{"the child exits", func(e *env, p, c model.TaskID) {
			e.call(c, func() { e.k.ExitGroup(c, 0) })
		}},
		{"the parent is killed", func(e *env, p, c model.TaskID) {
			e.k.Kill(e.init, e.k.PidIn(p, model.RootNS), model.SIGKILL)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			k := e.k
			a, b := e.mkdir(model.RootCG, "a"), e.mkdir(model.RootCG, "b")
			p := e.child(e.init, a)
			k.Fork(p, model.CloneArgs{Flags: model.CLONE_VFORK | model.CLONE_INTO_CGROUP, Cgroup: b})
			for k.Runnable(p) && k.StepName(p) != "wait_for_vfork_done" {
				k.Step(p)
			}
			require.Equal(t, "wait_for_vfork_done", k.StepName(p))
			require.False(t, k.Runnable(p))
			c := k.ChildrenOf(p)[0]
			e.invariants()
			// Freezing /a: the waiting parent counts as frozen.
			e.must(e.init, a, model.FileFreeze, "1")
			require.True(t, k.Frozen(a), "a vfork parent is frozen while it waits")
			require.False(t, k.Frozen(b))
			tc.end(e, p, c)
			require.True(t, k.Runnable(p))
			k.Step(p)
			require.Equal(t, model.KUser, k.Task(p).Frame.Path)
			require.Equal(t, k.PidIn(c, model.RootNS), k.Task(p).Ret, "the call returns the child's pid")
			if !k.Doomed(p) {
				require.True(t, k.Frozen(a), "back from the wait in a freezing cgroup, it stays frozen (cgroup_leave_frozen(false))")
			}
			e.invariants()
		})
	}
}
