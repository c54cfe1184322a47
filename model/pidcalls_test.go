package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// TestPidCallsErrnos: the refusals and results of the calls issue 12
// added (waitid, pidfd_open flags, PIDFD_GET_INFO, set_tid, exit_signal,
// sigprocmask, pid_max), each checked against the kernel function its
// doc comment cites; probe Q16 saw the waitid and pidfd_open ones on 6.18.
func TestPidCallsErrnos(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(e *env) (int32, model.Errno)
		ret  int32
		err  model.Errno
	}{
		{"waitid without WEXITED, WSTOPPED or WCONTINUED", func(e *env) (int32, model.Errno) {
			e.plainChild(e.init)
			return e.call(e.init, func() { e.k.Waitid(e.init, model.P_ALL, 0, model.WNOHANG) })
		}, -1, model.EINVAL},
		{"waitid P_PID of a pid <= 0", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Waitid(e.init, model.P_PID, 0, model.WEXITED) })
		}, -1, model.EINVAL},
		{"waitid P_PIDFD of the caller itself: no child", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Waitid(e.init, model.P_PIDFD, int32(e.init), model.WEXITED) })
		}, -1, model.ECHILD},
		{"waitid WNOHANG with a running child: si_pid 0", func(e *env) (int32, model.Errno) {
			e.plainChild(e.init)
			return e.call(e.init, func() { e.k.Waitid(e.init, model.P_ALL, 0, model.WEXITED|model.WNOHANG) })
		}, 0, model.OK},
		{"pidfd_open of a thread without PIDFD_THREAD: ENOENT (6.15+)", func(e *env) (int32, model.Errno) {
			p := e.plainChild(e.init)
			th, err := e.k.SetupFork(p, model.CloneArgs{Flags: model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM})
			require.Equal(e.t, model.OK, err)
			return e.call(e.init, func() { e.k.PidfdOpen(e.init, e.k.PidIn(th, model.RootNS)) })
		}, -1, model.ENOENT},
		{"pidfd_open with an unknown flag", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.PidfdOpenFlags(e.init, 1, 1) })
		}, -1, model.EINVAL},
		{"PIDFD_GET_INFO of a live process: no exit information", func(e *env) (int32, model.Errno) {
			p := e.plainChild(e.init)
			return e.call(e.init, func() { e.k.PidfdGetInfo(e.init, p, true) })
		}, 0, model.OK},
		{"set_tid of pid 1 in the caller's namespace: taken", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Fork(e.init, model.CloneArgs{SetTid: []int32{1}}) })
		}, -1, model.EEXIST},
		{"set_tid below 1", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Fork(e.init, model.CloneArgs{SetTid: []int32{-1}}) })
		}, -1, model.EINVAL},
		{"set_tid with more entries than levels", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Fork(e.init, model.CloneArgs{SetTid: []int32{50, 51}}) })
		}, -1, model.EINVAL},
		{"set_tid of a free pid", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Fork(e.init, model.CloneArgs{SetTid: []int32{50}}) })
		}, 50, model.OK},
		{"set_tid other than 1 in a new namespace: no init there", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() {
				e.k.Fork(e.init, model.CloneArgs{Flags: model.CLONE_NEWPID, SetTid: []int32{5}})
			})
		}, -1, model.EINVAL},
		{"exit_signal past NSIG", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Fork(e.init, model.CloneArgs{HasExitSignal: true, ExitSignal: 0xf0}) })
		}, -1, model.EINVAL},
		{"exit_signal with CLONE_PARENT", func(e *env) (int32, model.Errno) {
			p := e.plainChild(e.init)
			return e.call(p, func() {
				e.k.Fork(p, model.CloneArgs{Flags: model.CLONE_PARENT, HasExitSignal: true, ExitSignal: int64(model.SIGUSR1)})
			})
		}, -1, model.EINVAL},
		{"rt_sigprocmask with a bad how", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.Sigprocmask(e.init, 7, 0) })
		}, -1, model.EINVAL},
		{"pid_max below pid_max_min", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.SetPidMax(e.init, 300) })
		}, -1, model.EINVAL},
		{"pid_max above PID_MAX_LIMIT", func(e *env) (int32, model.Errno) {
			return e.call(e.init, func() { e.k.SetPidMax(e.init, model.PidMaxMax+1) })
		}, -1, model.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			ret, err := tc.run(e)
			require.Equal(t, tc.err, err)
			require.Equal(t, tc.ret, ret)
			e.invariants()
		})
	}
}

// TestBlockedSignalQueuedForUnkillableInit: a blocked signal is never
// ignored when sent (sig_ignored), so a SIG_DFL SIGUSR1 to a namespace's
// init is queued while blocked; unblocked, it is dequeued and dropped by
// get_signal's SIGNAL_UNKILLABLE check (probe Q16, LTP pidns21).
func TestBlockedSignalQueuedForUnkillableInit(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	k := e.k
	cinit, err := e.fork(e.init, model.CLONE_NEWPID, model.NoCgroup)
	require.Equal(t, model.OK, err)
	usr1 := model.Sigset(0).With(model.SIGUSR1)
	require.Equal(t, model.OK, e.do(cinit, func() { k.Sigprocmask(cinit, model.SIG_BLOCK, usr1) }))
	require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, k.PidIn(cinit, model.RootNS), model.SIGUSR1) }))
	require.True(t, (k.Task(cinit).Pending | k.GroupOf(cinit).Shared).Has(model.SIGUSR1), "queued while blocked")
	require.Equal(t, model.OK, e.do(cinit, func() { k.Sigprocmask(cinit, model.SIG_UNBLOCK, usr1) }))
	runUntilBlocked(k, cinit)
	require.Equal(t, model.ExitNone, k.Task(cinit).Exit, "the init survives its SIG_DFL SIGUSR1")
	e.invariants()
}
