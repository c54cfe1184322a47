package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

func (e *env) plainChild(parent model.TaskID) model.TaskID {
	c, err := e.fork(parent, 0, model.NoCgroup)
	require.Equal(e.t, model.OK, err)
	return c
}

func (e *env) do(t model.TaskID, call func()) model.Errno {
	_, err := e.call(t, call)
	return err
}

// TestProcessGroupOutlivesItsLeader: a process group is the struct pid of
// the process that made it. When that process is reaped while its group
// has members, the pid stays allocated (free_pid only runs when the last
// attachment goes): kill(-pgid) still reaches the members and the number
// is not reused; once the last member is reaped, the number is freed.
func TestProcessGroupOutlivesItsLeader(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	k := e.k
	p := e.plainChild(e.init)
	require.Equal(t, model.OK, e.do(p, func() { k.Setpgid(p, 0, 0) }))
	pgid := k.PidIn(p, model.RootNS)
	c := e.plainChild(p)
	require.Equal(t, pgid, k.Pgid(c, model.RootNS), "a child inherits its parent's process group")
	require.Equal(t, int32(1), k.Pgid(e.init, model.RootNS))

	// p exits; init reaps it.
	e.call(p, func() { k.ExitGroup(p, 0) })
	require.Equal(t, model.ExitZombie, k.Task(p).Exit)
	st, err := e.call(e.init, func() { k.Wait(e.init, -1, 0) })
	require.Equal(t, model.OK, err)
	require.Equal(t, pgid, st)
	require.Equal(t, model.ExitDead, k.Task(p).Exit)
	e.invariants()
	require.Equal(t, model.NoTask, k.FindTask(model.RootNS, pgid), "no task has the pid")
	require.Equal(t, int32(3), k.NS(model.RootNS).Allocated, "init, c and the process group's pid")

	// kill(-pgid) reaches c.
	require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, -pgid, model.SIGKILL) }))
	require.True(t, k.Doomed(c))
	runUntilBlocked(k, c)
	e.call(e.init, func() { k.Wait(e.init, -1, 0) }) // c was reparented to init
	e.invariants()
	require.Equal(t, int32(1), k.NS(model.RootNS).Allocated, "the last member gone, the pid is freed")
	require.Equal(t, model.ESRCH, e.do(e.init, func() { k.Kill(e.init, -pgid, model.SIGKILL) }))
}

// TestSetpgidSetsid: setpgid(2) and setsid(2) refusals, table-driven.
func TestSetpgidSetsid(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(e *env) model.Errno
		want model.Errno
	}{
		{"own process into a new group", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			return e.do(p, func() { e.k.Setpgid(p, 0, 0) })
		}, model.OK},
		{"a negative pgid", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			return e.do(p, func() { e.k.Setpgid(p, 0, -3) })
		}, model.EINVAL},
		{"a process that is neither the caller nor its child", func(e *env) model.Errno {
			p, q := e.plainChild(e.init), e.plainChild(e.init)
			return e.do(p, func() { e.k.Setpgid(p, e.k.PidIn(q, model.RootNS), 0) })
		}, model.ESRCH},
		{"a child into a group that does not exist", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			c := e.plainChild(p)
			return e.do(p, func() { e.k.Setpgid(p, e.k.PidIn(c, model.RootNS), 77) })
		}, model.EPERM},
		{"a child that has exec'd", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			c := e.plainChild(p)
			e.k.Exec(c, 0)
			return e.do(p, func() { e.k.Setpgid(p, e.k.PidIn(c, model.RootNS), 0) })
		}, model.EACCES},
		{"a session leader", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			require.Equal(e.t, model.OK, e.do(p, func() { e.k.Setsid(p) }))
			return e.do(p, func() { e.k.Setpgid(p, 0, 0) })
		}, model.EPERM},
		{"a child in another session", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			c := e.plainChild(p)
			require.Equal(e.t, model.OK, e.do(c, func() { e.k.Setsid(c) }))
			return e.do(p, func() { e.k.Setpgid(p, e.k.PidIn(c, model.RootNS), 0) })
		}, model.EPERM},
		{"setsid by a process group leader", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			require.Equal(e.t, model.OK, e.do(p, func() { e.k.Setpgid(p, 0, 0) }))
			return e.do(p, func() { e.k.Setsid(p) })
		}, model.EPERM},
		{"setsid twice", func(e *env) model.Errno {
			p := e.plainChild(e.init)
			require.Equal(e.t, model.OK, e.do(p, func() { e.k.Setsid(p) }))
			return e.do(p, func() { e.k.Setsid(p) })
		}, model.EPERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			require.Equal(t, tc.want, tc.run(e))
			e.invariants()
		})
	}
}

// TestKillBroadcast: kill(-1) reaches every process the caller sees with
// a pid above 1, not its own process; from inside a pid namespace, not
// the namespace's init nor anything outside.
func TestKillBroadcast(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	k := e.k
	a, b := e.plainChild(e.init), e.plainChild(e.init)
	nsinit, err := e.fork(e.init, model.CLONE_NEWPID, model.NoCgroup)
	require.Equal(t, model.OK, err)
	in := e.plainChild(nsinit)
	require.Equal(t, model.ESRCH, e.do(in, func() { k.Kill(in, -1, model.SIGKILL) }), "nobody to signal: ESRCH")
	require.False(t, k.Doomed(a) || k.Doomed(b) || k.Doomed(nsinit) || k.Doomed(in), "inside: nobody but the caller's own, and the init is pid 1")
	inner := e.plainChild(nsinit)
	require.Equal(t, model.OK, e.do(in, func() { k.Kill(in, -1, model.SIGKILL) }))
	require.True(t, k.Doomed(inner))
	require.Equal(t, model.OK, e.do(a, func() { k.Kill(a, -1, model.SIGKILL) }))
	require.True(t, k.Doomed(b) && k.Doomed(nsinit) && k.Doomed(in))
	require.False(t, k.Doomed(a), "not the caller")
	require.False(t, k.Doomed(e.init), "not init")
}

// TestGroupSignalReachesAForkInFlight: a process group signal sent while
// a member is between its fork's early signal check and the commit is
// delivered to the parent and, through the fork's multiprocess_signals
// set, to the child (copy_process: shared_pending = delayed.signal), so
// the child cannot slip out of a signal sent to its group (c3ad2c3b02e9).
// A SIGKILL instead fails the fork (EINTR at the commit).
func TestGroupSignalReachesAForkInFlight(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	k := e.k
	p := e.plainChild(e.init)
	require.Equal(t, model.OK, e.do(p, func() { k.Sigaction(p, model.SIGUSR1, model.HandlerReturn, false) }))
	require.Equal(t, model.OK, e.do(p, func() { k.Setpgid(p, 0, 0) }))
	k.Fork(p, model.CloneArgs{})
	require.Equal(t, "copy_process: re-checks and commit", k.StepName(p))
	require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, -k.PidIn(p, model.RootNS), model.SIGUSR1) }))
	k.Step(p) // commit
	k.Step(p) // cgroup_post_fork
	require.Equal(t, model.OK, k.Task(p).Err)
	child := model.TaskID(k.Task(p).Ret) // not a task id: find it
	for _, c := range k.ChildrenOf(p) {
		child = c
	}
	require.True(t, k.GroupOf(child).Shared.Has(model.SIGUSR1), "the child has the group's signal")
	require.True(t, k.GroupOf(p).Shared.Has(model.SIGUSR1))
	e.invariants()

	// pidfd_send_signal with PIDFD_SIGNAL_PROCESS_GROUP on p's pidfd: the
	// group p leads, the child included.
	k.PidfdSendSignalFlags(e.init, p, model.SIGTERM, model.PIDFD_SIGNAL_PROCESS_GROUP)
	require.Equal(t, model.OK, k.Task(e.init).Err)
	require.True(t, k.Doomed(child))
	k.PidfdSendSignalFlags(e.init, p, model.SIGTERM, model.PIDFD_SIGNAL_THREAD|model.PIDFD_SIGNAL_PROCESS_GROUP)
	require.Equal(t, model.EINVAL, k.Task(e.init).Err)
}
