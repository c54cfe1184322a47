package sim_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

func TestSubreaperInheritsOrphans(t *testing.T) {
	// A subreaper's grandchild is reparented to it, not to init, when its
	// parent dies (find_new_reaper walks up to the nearest
	// is_child_subreaper ancestor with a live thread); the subreaper reaps it.
	m := newMachine(t, model.DefaultOptions())
	// The subreaper first restores SIGCHLD to SIG_DFL: it inherited init's
	// SIG_IGN across fork, which would have its children autoreaped.
	sub := m.w.AddProgram("subreaper", []sim.Instr{
		{Op: sim.OpSubreaper}, // 0
		{Op: sim.OpSigaction, A: int32(model.SIGCHLD), B: int32(model.SigDefault)}, // 1
		{Op: sim.OpFork, B: 7}, // 2: fork the middle process
		{Op: sim.OpWait, A: -1, B: int32(model.WALL), Label: "reap"}, // 3
		{Op: sim.OpJumpIfErr, A: int32(model.ECHILD), B: 10},         // 4
		{Op: sim.OpJump, A: 3},                     // 5
		{Op: sim.OpPause},                          // 6 (unused)
		{Op: sim.OpFork, B: 9},                     // 7: middle forks the grandchild
		{Op: sim.OpExitGroup, A: 0},                // 8: middle exits
		{Op: sim.OpExitGroup, A: 7},                // 9: grandchild exits with 7
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 10}, // 10: nothing left to reap
	})
	s := m.spawn(m.init, "subreaper", sub, 0, model.NoCgroup)
	w := m.run()
	reaped := w.Records("reap")
	require.GreaterOrEqual(t, len(reaped), 2, "the subreaper reaped its child and the orphaned grandchild")
	ok := 0
	for _, r := range reaped {
		if r.Err == model.OK {
			ok++
		}
	}
	require.Equal(t, 2, ok, "child and grandchild both reaped by the subreaper")
	require.Equal(t, model.ECHILD, reaped[len(reaped)-1].Err)
	require.True(t, w.K.GroupOf(s).IsChildSubreaper)
	// Every other task of the run is gone: nothing was left to init.
	for tk := 0; tk < w.K.NumTasks(); tk++ {
		id := model.TaskID(tk)
		if id != m.init && id != s && w.K.Task(id).Group != model.NoGroup {
			require.Equal(t, model.ExitDead, w.K.Task(id).Exit, "T%d", tk)
		}
	}
}

func TestStopContKill(t *testing.T) {
	// SIGSTOP stops the whole group (it no longer runs), SIGCONT resumes it,
	// and SIGKILL kills a stopped task.
	m := newMachine(t, model.DefaultOptions())
	test := m.mkdir(model.RootCG, "test")
	spin := m.w.AddProgram("spin", []sim.Instr{{Op: sim.OpSpin}, {Op: sim.OpJump, A: 0}})
	v := m.spawn(m.init, "victim", spin, model.CLONE_INTO_CGROUP, test)
	w := m.w
	w.Step(int(v))
	require.True(t, w.K.Runnable(v))
	_, err := w.Call(m.init, func(k *model.Kernel) { k.Kill(m.init, w.K.PidIn(v, model.RootNS), model.SIGSTOP) })
	require.NoError(t, err)
	w.Step(int(v)) // get_signal: the group stops
	require.True(t, w.K.Task(v).Stopped)
	require.False(t, w.K.Runnable(v), "a stopped task does not run")
	_, err = w.Call(m.init, func(k *model.Kernel) { k.Kill(m.init, w.K.PidIn(v, model.RootNS), model.SIGCONT) })
	require.NoError(t, err)
	require.True(t, w.K.Runnable(v), "SIGCONT resumes it")
	w.Step(int(v))
	_, err = w.Call(m.init, func(k *model.Kernel) { k.Kill(m.init, w.K.PidIn(v, model.RootNS), model.SIGSTOP) })
	require.NoError(t, err)
	w.Step(int(v))
	require.True(t, w.K.Task(v).Stopped)
	_, err = w.Call(m.init, func(k *model.Kernel) { k.Kill(m.init, w.K.PidIn(v, model.RootNS), model.SIGKILL) })
	require.NoError(t, err)
	require.True(t, w.K.Runnable(v), "SIGKILL wakes a stopped task")
	fw, res := sim.Replay(w, nil, 100)
	require.True(t, res.Final)
	require.Equal(t, int32(model.SIGKILL), fw.K.Task(v).ExitCode)
	require.NoError(t, fw.K.CheckInvariants())
}

func TestPopulatedAtFinalSwitch(t *testing.T) {
	// populated=at-final-switch (6.19+, d245698d727a): a task stops
	// populating its cgroup only after its final context switch, after
	// exit_notify. So its parent can reap it while the cgroup still reads
	// "populated 1" and rmdir fails with EBUSY — the systemd hang of
	// reference 4.6. With at-exit (classic, this machine's 6.18) the
	// cgroup is unpopulated before the child is even a zombie.
	for _, mode := range model.PopulatedModes {
		opts := model.DefaultOptions()
		opts.Populated = mode
		m := newMachine(t, opts)
		test := m.mkdir(model.RootCG, "test")
		parent := m.w.AddProgram("parent", []sim.Instr{
			{Op: sim.OpFork, A: int32(model.CLONE_INTO_CGROUP), Cg: test, B: 4},
			{Op: sim.OpWait, A: -1, Label: "wait"},
			{Op: sim.OpRmdir, Cg: test, Label: "rmdir"},
			{Op: sim.OpPause},
			{Op: sim.OpExitGroup, A: 0}, // 4: the child exits at once
		})
		m.spawn(m.init, "parent", parent, 0, model.NoCgroup)
		// Explore every interleaving: is there one where rmdir after the
		// successful wait gets EBUSY?
		m.w.Props = append(m.w.Props, sim.Property{Name: "rmdir-after-wait", Check: func(w *sim.World, _ bool) string {
			for _, r := range w.Records("rmdir") {
				if r.Err == model.EBUSY {
					return "rmdir after waitpid returned EBUSY"
				}
			}
			return ""
		}})
		rep := explore.Exhaustive(m.w, explore.Unbounded())
		if mode == model.PopulatedAtExit {
			require.Empty(t, rep.Violation, "classic timing: the reaped child never keeps the cgroup busy")
		} else {
			require.Contains(t, rep.Violation, "EBUSY", "6.19 timing: a reaped child can still populate the cgroup")
		}
		t.Logf("populated=%s: %d states, %q", mode, rep.States, rep.Violation)
	}
}

func TestRegressionENOMEM(t *testing.T) {
	// tools/testing/selftests/pid_namespace/regression_enomem.c:
	// unshare(CLONE_NEWPID); fork a child (pid 1 there) that exits at once;
	// reap it; the next fork must fail with ENOMEM.
	m := newMachine(t, model.DefaultOptions())
	code := append(sim.UnshareForkInit(6, "first"),
		sim.Instr{Op: sim.OpWait, A: -1, Label: "reap"},             // 2
		sim.Instr{Op: sim.OpFork, B: 6, Label: "second"},            // 3
		sim.Instr{Op: sim.OpPause}, sim.Instr{Op: sim.OpJump, A: 4}, // 4
		sim.Instr{Op: sim.OpExitGroup, A: 0}, // 6: the child exits
	)
	prog := m.w.AddProgram("regression_enomem", code)
	p := m.spawn(m.init, "parent", prog, 0, model.NoCgroup)
	_, err := m.w.Call(p, func(k *model.Kernel) { k.Sigaction(p, model.SIGCHLD, model.SigDefault, false) })
	require.NoError(t, err)
	w := m.run()
	require.Equal(t, model.OK, w.Records("first")[0].Err)
	require.Equal(t, model.OK, w.Records("reap")[0].Err)
	require.Equal(t, model.ENOMEM, w.Records("second")[0].Err)
	first := model.TaskID(p + 1)
	require.Equal(t, int32(1), w.K.Pids(first)[1], "the first child was pid 1 of the new namespace")
}
