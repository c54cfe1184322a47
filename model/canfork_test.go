package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// runUntilBlocked steps t while it can take a kernel step.
func runUntilBlocked(k *model.Kernel, t model.TaskID) {
	for i := 0; i < 100 && k.Runnable(t) && k.NeedsKernelStep(t); i++ {
		k.Step(t)
	}
}

// TestForkAsleepInCanForkHoldsItsPid: copy_process allocates the pid
// (alloc_pid) before cgroup_can_fork, where a CLONE_INTO_CGROUP fork
// sleeps for cgroup_mutex (and any fork behind a migration). A fork asleep
// there holds a pid of the namespace, so when the namespace's init dies,
// zap_pid_ns_processes' drain waits until that fork gives the pid back
// (its commit fails with ENOMEM once PIDNS_ADDING is gone). (Behind a
// migration the init could not start exiting either: exit_signals waits
// for the same rwsem.)
func TestForkAsleepInCanForkHoldsItsPid(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	k := e.k
	nsinit, err := e.fork(e.init, model.CLONE_NEWPID, model.NoCgroup)
	require.Equal(t, model.OK, err)
	ns := k.Task(nsinit).NS
	holder, p := e.child(e.init, model.RootCG), e.child(e.init, model.RootCG)
	_, err = e.call(p, func() { k.Setns(p, ns) })
	require.Equal(t, model.OK, err)
	into := model.CloneArgs{Flags: model.CLONE_INTO_CGROUP, Cgroup: model.RootCG}

	// holder is inside a CLONE_INTO_CGROUP fork, holding cgroup_mutex
	// from cgroup_can_fork to cgroup_post_fork.
	k.Fork(holder, into)
	require.Equal(t, "copy_process: re-checks and commit", k.StepName(holder))
	require.Equal(t, holder, k.CgroupMutexOwner())
	// p's fork into the namespace gets its pid, then sleeps in
	// cgroup_can_fork for the mutex.
	k.Fork(p, into)
	require.Equal(t, "cgroup_can_fork", k.StepName(p))
	require.False(t, k.Runnable(p))
	require.Equal(t, int32(2), k.NS(ns).Allocated, "the namespace's init and the sleeping fork's child")
	e.invariants()

	// The init dies: the zap kills and reaps what it can, then drains:
	// pid_allocated is 2, not 1.
	k.Kill(e.init, k.PidIn(nsinit, model.RootNS), model.SIGKILL)
	runUntilBlocked(k, nsinit)
	require.Equal(t, "zap_pid_ns_processes: wait for pid_allocated == init_pids", k.StepName(nsinit))
	require.False(t, k.Runnable(nsinit))

	// The holder's fork finishes and drops the mutex; the sleeping fork
	// fails at its commit: ENOMEM, pid freed; the drain is over.
	runUntilBlocked(k, holder)
	runUntilBlocked(k, p)
	require.Equal(t, model.ENOMEM, k.Task(p).Err)
	require.Equal(t, int32(1), k.NS(ns).Allocated)
	require.True(t, k.Runnable(nsinit))
	runUntilBlocked(k, nsinit)
	require.True(t, k.Done(nsinit))
	e.invariants()
}
