package sim_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
)

// TestPidLastChild: kill and wait of sim.PidLastChild reach the pid the
// task's last successful fork returned to it (user register R[2]), as C's
// `pid = fork(); kill(pid, SIGKILL); waitpid(pid, ...)`: a failed fork
// leaves it as it was, a child inherits its parent's, and a task that has
// not forked gets ESRCH from kill and ECHILD from wait.
func TestPidLastChild(t *testing.T) {
	const (
		lastChild = sim.PidLastChild
		kill      = int32(model.SIGKILL)
		wall      = int32(model.WALL)
		// A CLONE_THREAD without CLONE_SIGHAND fails with EINVAL in
		// copy_process before anything is allocated.
		badFlags = int32(model.CLONE_THREAD)
	)
	pause := func(pc int32) []sim.Instr {
		return []sim.Instr{{Op: sim.OpPause}, {Op: sim.OpJump, A: pc}}
	}
	cat := func(parts ...[]sim.Instr) []sim.Instr {
		var out []sim.Instr
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	type result struct {
		ret int32
		err model.Errno
	}
	for _, c := range []struct {
		name string
		code []sim.Instr
		// check gets the final world, the test task and what each label
		// recorded (its one record).
		check func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result)
	}{
		{
			name: "fork, kill, wait",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, B: 5, Label: "fork"},
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait"},
			}, pause(3), pause(5)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{3, model.OK}, r["fork"], "init is 1, the test task 2")
				require.Equal(t, result{0, model.OK}, r["kill"])
				require.Equal(t, result{3, model.OK}, r["wait"], "wait4 reaped the child")
				require.False(t, w.K.Alive(p+1))
				require.Equal(t, int32(3), w.K.Task(p).User.R[2])
			},
		},
		{
			name: "no fork",
			code: cat([]sim.Instr{
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait"},
			}, pause(2)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{-1, model.ESRCH}, r["kill"])
				require.Equal(t, result{-1, model.ECHILD}, r["wait"])
				require.Equal(t, int32(0), w.K.Task(p).User.R[2])
			},
		},
		{
			name: "failed fork first",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, A: badFlags, B: 2, Label: "fork"},
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
			}, pause(2)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{-1, model.EINVAL}, r["fork"])
				require.Equal(t, result{-1, model.ESRCH}, r["kill"], "a failed fork sets nothing")
				require.Equal(t, int32(0), w.K.Task(p).User.R[2])
			},
		},
		{
			name: "failed fork keeps the last child",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, B: 6, Label: "fork"},
				{Op: sim.OpFork, A: badFlags, B: 6, Label: "bad-fork"},
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait"},
			}, pause(4), pause(6)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{3, model.OK}, r["fork"])
				require.Equal(t, result{-1, model.EINVAL}, r["bad-fork"])
				require.Equal(t, result{0, model.OK}, r["kill"])
				require.Equal(t, result{3, model.OK}, r["wait"])
				require.False(t, w.K.Alive(p+1))
			},
		},
		{
			name: "the last of two forks",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, B: 6, Label: "fork1"},
				{Op: sim.OpFork, B: 6, Label: "fork2"},
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait"},
			}, pause(4), pause(6)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{3, model.OK}, r["fork1"])
				require.Equal(t, result{4, model.OK}, r["fork2"])
				require.Equal(t, result{4, model.OK}, r["wait"])
				require.True(t, w.K.Alive(p+1), "the first child is not the last")
				require.False(t, w.K.Alive(p+2))
			},
		},
		{
			name: "the child inherits the parent's last child",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, B: 5, Label: "fork-a"},
				{Op: sim.OpFork, B: 7, Label: "fork-b"},
				// The parent's last child is now b: reap it once it has
				// killed a.
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait-b"},
			}, pause(3),
				pause(5), // 5: a
				[]sim.Instr{ // 7: b kills its parent's previous child, a
					{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill-a"},
					{Op: sim.OpExitGroup},
				}),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, result{3, model.OK}, r["fork-a"])
				require.Equal(t, result{4, model.OK}, r["fork-b"])
				require.Equal(t, result{0, model.OK}, r["kill-a"])
				require.Equal(t, result{4, model.OK}, r["wait-b"])
				require.False(t, w.K.Alive(p+1), "b killed a")
			},
		},
		{
			name: "the pid as the parent sees it",
			code: cat([]sim.Instr{
				{Op: sim.OpFork, A: int32(model.CLONE_NEWPID), B: 5, Label: "fork"},
				{Op: sim.OpKill, A: lastChild, B: kill, Target: model.NoTask, Label: "kill"},
				{Op: sim.OpWait, A: lastChild, B: wall, Label: "wait"},
			}, pause(3), pause(5)),
			check: func(t *testing.T, w *sim.World, p model.TaskID, r map[string]result) {
				require.Equal(t, []int32{3, 1}, w.K.Pids(p+1), "pid 1 of its own namespace")
				require.Equal(t, result{3, model.OK}, r["fork"])
				require.Equal(t, result{0, model.OK}, r["kill"])
				require.Equal(t, result{3, model.OK}, r["wait"])
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMachine(t, model.DefaultOptions())
			p := m.spawn(m.init, "test", m.w.AddProgram("test", c.code), 0, model.NoCgroup)
			// init ignores SIGCHLD; the test task must not autoreap.
			_, err := m.w.Call(p, func(k *model.Kernel) { k.Sigaction(p, model.SIGCHLD, model.SigDefault, false) })
			require.NoError(t, err)
			w := m.run()
			r := map[string]result{}
			for _, rec := range w.Log {
				_, dup := r[rec.Label]
				require.False(t, dup, "label %s recorded twice", rec.Label)
				r[rec.Label] = result{rec.Ret, rec.Err}
			}
			c.check(t, w, p, r)
		})
	}
}

// TestLastChildInStateKey: the last fork's pid is task state (what kill
// and wait of PidLastChild reach), so exploration must tell states apart
// by it.
func TestLastChildInStateKey(t *testing.T) {
	m := newMachine(t, model.DefaultOptions())
	p := m.sleeper(m.init, "p", model.RootCG)
	u := m.w.K.Task(p).User
	before := m.w.AppendKey(nil)
	u.R[2] = 7
	m.w.K.SetUser(p, u)
	require.False(t, bytes.Equal(before, m.w.AppendKey(nil)))
}
