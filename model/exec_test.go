package model_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// execEnv is a process (leader l, thread th) in /x, a child of init.
func execEnv(t *testing.T) (e *env, x model.CgroupID, l, th model.TaskID) {
	e = newEnv(t, model.DefaultOptions())
	x = e.mkdir(model.RootCG, "x")
	l = e.child(e.init, x)
	th, err := e.fork(l, model.CLONE_THREAD|model.CLONE_SIGHAND|model.CLONE_VM, model.NoCgroup)
	require.Equal(t, model.OK, err)
	return e, x, l, th
}

// TestExecByAThreadTakesOverTheLeader follows de_thread for a thread that
// is not the leader: zap_other_threads SIGKILLs the leader, the thread
// waits for it to become a zombie, then takes over its pid (and so its
// place in cgroup.procs, kill(2) and the pidfd), its place among the
// parent's children, and the leadership; the old leader is released.
func TestExecByAThreadTakesOverTheLeader(t *testing.T) {
	e, x, l, th := execEnv(t)
	k := e.k
	pid := k.PidIn(l, model.RootNS)
	k.Exec(th, 7)
	require.Equal(t, "de_thread: wait for the old leader, take over its pid", k.StepName(th))
	require.False(t, k.Runnable(th), "the leader is alive")
	require.True(t, k.FatalSignalPending(l), "zap_other_threads")
	require.True(t, k.GroupOf(l).GroupExec)
	require.Equal(t, []string{e.pid(l)}, e.procs(x), "the leader is listed, the thread is not")

	runUntilBlocked(k, l) // get_signal → do_group_exit(0): alone, code 0
	require.Equal(t, model.ExitZombie, k.Task(l).Exit)
	require.Equal(t, int32(0), k.Task(l).ExitCode)
	require.True(t, k.Runnable(th))
	runUntilBlocked(k, th)
	e.invariants()

	require.True(t, k.IsLeader(th))
	require.Equal(t, model.ExitDead, k.Task(l).Exit, "the old leader is released")
	require.Equal(t, pid, k.PidIn(th, model.RootNS), "the thread has the leader's pid")
	require.Equal(t, th, k.FindTask(model.RootNS, pid))
	require.Equal(t, []model.TaskID{th}, k.ChildrenOf(e.init)[len(k.ChildrenOf(e.init))-1:])
	require.Equal(t, int32(7), k.Task(th).User.Prog, "the new program")
	require.Equal(t, model.KUser, k.Task(th).Frame.Path)
	require.False(t, k.GroupOf(th).GroupExec)
	require.Equal(t, []string{e.pid(th)}, e.procs(x))
	// A pidfd opened on the old leader refers to the same struct pid.
	require.Equal(t, th, k.ExecHeir(l))
	k.PidfdSendSignal(e.init, l, model.SIGKILL)
	require.Equal(t, model.OK, k.Task(e.init).Err)
	require.True(t, k.FatalSignalPending(th))
}

// TestExecRefusedAndKilled: de_thread returns EAGAIN when a group exit
// is already under way, and when the caller is killed while it waits
// (the group exit then takes it).
func TestExecRefusedAndKilled(t *testing.T) {
	t.Run("group exit under way", func(t *testing.T) {
		e, _, l, th := execEnv(t)
		k := e.k
		k.Kill(e.init, k.PidIn(l, model.RootNS), model.SIGTERM) // fatal by default: group exit
		require.NotZero(t, k.GroupOf(th).Flags&model.SIGNAL_GROUP_EXIT)
		k.Exec(th, 1)
		require.Equal(t, model.EAGAIN, k.Task(th).Err)
		require.False(t, k.GroupOf(th).GroupExec)
	})
	t.Run("killed while waiting for the leader", func(t *testing.T) {
		e, _, l, th := execEnv(t)
		k := e.k
		k.Exec(th, 1)
		require.False(t, k.Runnable(th))
		// kill(2) of the process: complete_signal finds the exec'ing
		// thread wanting SIGKILL and starts a group exit.
		k.Kill(e.init, k.PidIn(l, model.RootNS), model.SIGKILL)
		require.True(t, k.Runnable(th))
		k.Step(th)
		require.Equal(t, model.EAGAIN, k.Task(th).Err)
		require.False(t, k.GroupOf(th).GroupExec)
		require.True(t, k.Doomed(th))
	})
	t.Run("the leader execs", func(t *testing.T) {
		e, _, l, th := execEnv(t)
		k := e.k
		pid := k.PidIn(l, model.RootNS)
		k.Exec(l, 3)
		require.True(t, k.FatalSignalPending(th))
		require.False(t, k.Runnable(l), "waits for the thread to be released")
		runUntilBlocked(k, th)
		runUntilBlocked(k, l)
		e.invariants()
		require.True(t, k.IsLeader(l))
		require.Equal(t, pid, k.PidIn(l, model.RootNS))
		require.Equal(t, int32(3), k.Task(l).User.Prog)
		require.Equal(t, model.ExitDead, k.Task(th).Exit)
	})
}

// TestProcsWriteRetriesAfterExec: a cgroup.procs write resolves the pid
// to the leader before it takes the threadgroup rwsem (6.18); if another
// thread's exec takes over the leadership in between, it resolves the
// pid again and moves the process under its new leader
// (cgroup_procs_write_start's retry_find_task).
func TestProcsWriteRetriesAfterExec(t *testing.T) {
	e, x, l, th := execEnv(t)
	k := e.k
	y := e.mkdir(model.RootCG, "y")
	mover := e.child(e.init, model.RootCG)
	k.WriteFile(mover, y, model.FileProcs, e.pid(l))
	require.Equal(t, l, k.Task(mover).Frame.Child, "resolved to the leader")
	k.Exec(th, 1)
	runUntilBlocked(k, l)
	runUntilBlocked(k, th)
	require.True(t, k.IsLeader(th))
	k.SetTracing(true)
	k.TakeEvent()
	k.Step(mover) // cgroup_attach_lock, then the leadership check
	ev := k.TakeEvent()
	require.Equal(t, "cgroup_procs_write_start", ev.Func)
	require.Contains(t, ev.What, fmt.Sprintf("T%d is no longer the group leader (exec): retry_find_task", l))
	require.Equal(t, th, k.Task(mover).Frame.Child, "the pid resolved anew")
	runUntilBlocked(k, mover)
	require.Equal(t, model.OK, k.Task(mover).Err)
	e.invariants()
	require.Equal(t, y, k.Task(th).Cgroup, "the process moved under its new leader")
	require.Empty(t, e.procs(x))
}
