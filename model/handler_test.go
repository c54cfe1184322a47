package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// TestHandlerRunsAfterPendingSignals: get_signal delivers one signal and
// handle_signal pushes its handler's frame, but the handler runs only
// when the task returns to user mode with nothing left to deliver
// (exit_to_user_mode_loop calls get_signal again while TIF_SIGPENDING is
// set). A SIGSTOP sent right behind a SIGUSR1 whose handler calls
// exit_group(0) therefore stops the process first; the handler runs, and
// the process exits, only after SIGCONT. (The C interpreter showed it on
// 6.18: docs/conformance.md, "A difference of the model", now agreeing.)
func TestHandlerRunsAfterPendingSignals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stop    bool // SIGSTOP behind the SIGUSR1
		kill    bool // then SIGKILL while stopped
		stopped bool // the process stops before the handler runs
		status  int32
	}{
		{name: "handler alone", status: 0},
		{name: "SIGSTOP behind it, then SIGCONT", stop: true, stopped: true, status: 0},
		{name: "SIGSTOP behind it, then SIGKILL", stop: true, kill: true, stopped: true, status: int32(model.SIGKILL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			k := e.k
			c := e.plainChild(e.init)
			e.do(c, func() { k.Sigaction(c, model.SIGUSR1, model.HandlerExit, false) })
			e.do(c, func() { k.Pause(c) })
			pid := k.PidIn(c, model.RootNS)
			require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, pid, model.SIGUSR1) }))
			if tc.stop {
				require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, pid, model.SIGSTOP) }))
			}
			e.runKernel(c)
			e.invariants()
			if tc.stopped {
				require.True(t, k.Task(c).Stopped, "the SIGSTOP is delivered before the handler runs")
				require.Equal(t, model.ExitNone, k.Task(c).Exit)
				sig := model.SIGCONT
				if tc.kill {
					sig = model.SIGKILL
				}
				require.Equal(t, model.OK, e.do(e.init, func() { k.Kill(e.init, pid, sig) }))
				e.runKernel(c)
				e.invariants()
			}
			require.Equal(t, model.ExitZombie, k.Task(c).Exit)
			require.Equal(t, tc.status, e.reap(c))
		})
	}
}
