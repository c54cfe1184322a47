package sim_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

func optsWith(kill model.KillMode) model.Options {
	o := model.DefaultOptions()
	o.Kill = kill
	return o
}

// stepOf returns the first trace step whose task is named name and whose
// function or notes contain what, or -1.
func stepOf(tr []sim.TraceEvent, name, what string) int {
	for _, e := range tr {
		if e.Name != name {
			continue
		}
		if strings.Contains(e.Func, what) {
			return e.Step
		}
		for _, w := range e.What {
			if strings.Contains(w, what) {
				return e.Step
			}
		}
	}
	return -1
}

func traceText(w *sim.World, opts model.Options, sched explore.Schedule) string {
	var b strings.Builder
	sim.WriteText(&b, sim.TraceHeader{Options: opts.String(), Schedule: sched.String()}, w.Trace())
	return b.String()
}

// explorePlain runs an unbounded exhaustive search with invariants on.
func explorePlain(t *testing.T, w *sim.World) explore.Report {
	t.Helper()
	w.CheckInvariants = true
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.False(t, rep.Truncated, "search was cut by a bound")
	return rep
}

// restrictKillAfterSnapshot rewrites the writer of a ForkVsKill world so
// that it starts only once the forker has taken its kill_seq snapshot:
// the world then holds exactly the interleavings of reference 1.5, where
// the kill begins after the fork's cgroup_can_fork.
func restrictKillAfterSnapshot(w *sim.World, test model.CgroupID) {
	forker, writer := taskNamed(w, "forker"), taskNamed(w, "writer")
	code := []sim.Instr{
		{Op: sim.OpWaitCond, A: sim.CondForkPastCanFork, Target: forker},
		{Op: sim.OpWrite, Cg: test, File: model.FileKill, Str: "1", Label: "kill"},
		{Op: sim.OpPause}, {Op: sim.OpJump, A: 2},
	}
	p := w.AddProgram("kill-after-snapshot", code)
	u := w.K.Task(writer).User
	u.Prog, u.PC = p, 0
	w.K.SetUser(writer, u)
}

func taskNamed(w *sim.World, name string) model.TaskID {
	for t := 0; t < w.K.NumTasks(); t++ {
		if w.Name(model.TaskID(t)) == name {
			return model.TaskID(t)
		}
	}
	panic("no task " + name)
}

// TestRaceCatalogue explores, exhaustively, a world of one cgroup with
// one forking task and one task writing cgroup.kill, under each kill
// option (kernel-semantics.md 1.4–1.7).
func TestRaceCatalogue(t *testing.T) {
	t.Run("flag", func(t *testing.T) {
		opts := optsWith(model.KillFlag)
		w, _ := sim.ForkVsKill(opts, 1)
		rep := explorePlain(t, w)
		require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned")
		fw, res := sim.Replay(w, rep.Schedule, 1000)
		require.Equal(t, rep.Violation, res.Violation)
		tr := fw.Trace()
		t.Logf("states %d; escape schedule: %s\n%s", rep.States, rep.Schedule, traceText(fw, opts, rep.Schedule))
		// The escape of 1.5: the fork commits (past its fatal-signal check),
		// then the whole kill runs (flag set, parent signalled, flag
		// cleared), then cgroup_post_fork links the child and sees no flag.
		commit := stepOf(tr, "forker", "committed")
		set := stepOf(tr, "writer", "CGRP_KILL set")
		signalled := stepOf(tr, "writer", "SIGKILL queued on forker")
		cleared := stepOf(tr, "writer", "CGRP_KILL cleared")
		post := stepOf(tr, "forker", "cgroup_post_fork")
		require.True(t, commit < set && set < signalled && signalled < cleared && cleared < post,
			"not the 1.5 interleaving: commit %d set %d signalled %d cleared %d post_fork %d", commit, set, signalled, cleared, post)
		require.NotZero(t, fw.K.Cover&model.CovForkPassedSigcheckBeforeKill, "coverage: the parent was signalled after its fork's fatal-signal check")
	})

	t.Run("seq", func(t *testing.T) {
		opts := optsWith(model.KillSeq)
		// 1. The 1.5 escape is gone: over every interleaving in which the
		//    kill starts after the fork's snapshot, no child escapes.
		w, test := sim.ForkVsKill(opts, 1)
		restrictKillAfterSnapshot(w, test)
		rep := explorePlain(t, w)
		require.Empty(t, rep.Violation)
		require.True(t, rep.Complete)
		t.Logf("kill after snapshot: %d states, no escape", rep.States)
		// The same restricted world under kill=flag does escape: the
		// restriction keeps the 1.5 window open.
		wf, testf := sim.ForkVsKill(optsWith(model.KillFlag), 1)
		restrictKillAfterSnapshot(wf, testf)
		require.NotEmpty(t, explorePlain(t, wf).Violation)

		// 2. The residual window of 1.7 remains: the increment lands before
		//    the fork's snapshot, the iterator signals the parent after its
		//    fatal-signal check and leaves the list before the child is linked.
		w, _ = sim.ForkVsKill(opts, 1)
		rep = explorePlain(t, w)
		require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned")
		fw, _ := sim.Replay(w, rep.Schedule, 1000)
		tr := fw.Trace()
		t.Logf("states %d; residual schedule: %s\n%s", rep.States, rep.Schedule, traceText(fw, opts, rep.Schedule))
		inc := stepOf(tr, "writer", "kill_seq 1")
		snap := stepOf(tr, "forker", "kill_seq snapshot 1")
		commit := stepOf(tr, "forker", "committed")
		signalled := stepOf(tr, "writer", "SIGKILL queued on forker")
		post := stepOf(tr, "forker", "cgroup_post_fork")
		require.True(t, inc < snap && snap < commit && commit < signalled && signalled < post,
			"not the 1.7 interleaving: inc %d snapshot %d commit %d signalled %d post_fork %d", inc, snap, commit, signalled, post)
		require.Contains(t, strings.Join(tr[post-1].What, "\n"), "kill=false")

		// 3. A candidate fix, "cgroup_post_fork also kills the child when
		//    the parent has SIGKILL pending", is not enough on its own:
		//    __cgroup_kill drops css_set_lock between css_task_iter_next
		//    and send_sig, and in that gap the yielded parent can commit its
		//    fork and run cgroup_post_fork before it has SIGKILL pending.
		fix := opts
		fix.PostForkKillIfParentKilled = true
		w, _ = sim.ForkVsKill(fix, 1)
		rep = explorePlain(t, w)
		require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned")
		fw, _ = sim.Replay(w, rep.Schedule, 1000)
		tr = fw.Trace()
		t.Logf("post_fork_kill_if_parent_killed alone: %d states; escape: %s\n%s", rep.States, rep.Schedule, traceText(fw, fix, rep.Schedule))
		yield := stepOf(tr, "writer", "css_task_iter_next yields forker")
		post = stepOf(tr, "forker", "cgroup_post_fork")
		signalled = stepOf(tr, "writer", "SIGKILL queued on forker")
		require.True(t, yield < post && post < signalled, "the escape goes through the iterator gap: yield %d post_fork %d signal %d", yield, post, signalled)
		require.NotZero(t, fw.K.Cover&model.CovPostForkAfterKillWalk, "coverage: the child was linked after the walk passed the end of the list")

		//    Together with signalling inside the iterator's css_set_lock
		//    section, it closes every window, for up to 2 forking tasks.
		fix.KillSignalUnderCssSetLock = true
		for forkers := 1; forkers <= 2; forkers++ {
			w, _ = sim.ForkVsKill(fix, forkers)
			rep = explorePlain(t, w)
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			t.Logf("both candidate fixes, %d forking task(s): no escape; exhaustive, %d states", forkers, rep.States)
		}
	})

	t.Run("seq-into-cgroup-bug", func(t *testing.T) {
		// A child cloned with CLONE_INTO_CGROUP into a cgroup that was
		// killed earlier is SIGKILLed at birth: the snapshot is the
		// parent's cgroup counter, the comparison the target's.
		for _, mode := range []model.KillMode{model.KillSeqIntoCgroupBug, model.KillSeq} {
			opts := optsWith(mode)
			w, err := scenarios.CloneIntoKilled(opts)
			require.NoError(t, err)
			rep := explorePlain(t, w)
			if mode == model.KillSeqIntoCgroupBug {
				require.Contains(t, rep.Violation, "no-spurious-kill")
				fw, _ := sim.Replay(w, rep.Schedule, 1000)
				t.Logf("states %d; spurious kill: %s\n%s", rep.States, rep.Schedule, traceText(fw, opts, rep.Schedule))
				require.Less(t, stepOf(fw.Trace(), "writer", "returns 1"), stepOf(fw.Trace(), "cloner", "cgroup_post_fork"),
					"the kill completed before the clone")
			} else {
				require.Empty(t, rep.Violation, "kill=seq (fixed) must not kill the child")
				t.Logf("kill=seq: %d states, no spurious kill", rep.States)
			}
		}
	})

	t.Run("csets", testCsetsWidenKillSeqWindow)

	t.Run("exec", testExecVsKill)

	t.Run("pgrp", testPgrpKill)
	t.Run("oom", testOOMCatalogue)
	t.Run("vfork", testVforkVsKill)
	t.Run("coredump", testCoredumpVsKill)

	t.Run("atomic", func(t *testing.T) {
		n := 3
		if testing.Short() {
			n = 2
		}
		for forkers := 1; forkers <= n; forkers++ {
			w, _ := sim.ForkVsKill(optsWith(model.KillAtomic), forkers)
			rep := explorePlain(t, w)
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			t.Logf("atomic, %d forking task(s): no escape; exhaustive, %d states, %d transitions", forkers, rep.States, rep.Transitions)
		}
	})
}

// TestKillGateAgreesWithUngated cross-checks KillGate's soundness argument
// by experiment: for 1 and 2 forking tasks under every kill mode, the
// gated search and the full search to quiescence reach the same verdict.
func TestKillGateAgreesWithUngated(t *testing.T) {
	forkers := 2
	if testing.Short() {
		forkers = 1
	}
	for n := 1; n <= forkers; n++ {
		for _, mode := range model.KillModes {
			gated, _ := sim.ForkVsKill(optsWith(mode), n)
			full, _ := sim.ForkVsKill(optsWith(mode), n)
			full.Gate = nil
			g := explore.Exhaustive(gated, explore.Bounds{MaxPreemptions: -1, NoShrink: true})
			f := explore.Exhaustive(full, explore.Bounds{MaxPreemptions: -1, NoShrink: true})
			require.Equal(t, g.Violation != "", f.Violation != "", "kill=%s, %d forkers: gated %q, full %q", mode, n, g.Violation, f.Violation)
			t.Logf("kill=%s, %d forker(s): gated %d states, full %d states, violation %v", mode, n, g.States, f.States, f.Violation != "")
		}
	}
}

// testCsetsWidenKillSeqWindow (TestRaceCatalogue/csets) shows, by
// exhaustive exploration, what
// css_sets change in the fork-vs-kill race. One forker, then one crowd
// process, in /test; the writer may not yield the crowd process before the
// forker's fork has returned (a gate), so the only escapes left are those
// where cgroup_post_fork links the child before the walk reaches the
// crowd. With one css_set the child goes in after the crowd and is
// yielded: no escape. With the forker alone on the first css_set
// (kernel-probes.md Q12: css_task_iter walks css_set by css_set), the walk
// has left the forker's css_set as soon as it yields the forker, and under
// kill=seq the child escapes. Under kill=flag the layout changes nothing:
// a child linked while the walk is still on /test sees CGRP_KILL set.
func testCsetsWidenKillSeqWindow(t *testing.T) {
	for _, tc := range []struct {
		kill   model.KillMode
		csets  bool
		escape bool
	}{
		{model.KillSeq, false, false},
		{model.KillSeq, true, true},
		{model.KillFlag, false, false},
		{model.KillFlag, true, false},
	} {
		name := fmt.Sprintf("%s/csets=%v", tc.kill, tc.csets)
		t.Run(name, func(t *testing.T) {
			w, _ := sim.ForkVsKillCrowd(optsWith(tc.kill), 1, tc.csets)
			writer, crowd := taskNamed(w, "writer"), taskNamed(w, "crowd0")
			if tc.csets {
				require.Len(t, w.K.Csets(w.K.Task(crowd).Cgroup), 2)
			}
			// Unrestricted, both layouts have an escape under kill=seq and
			// kill=flag (the whole walk can fit between the fork's commit
			// and its cgroup_post_fork).
			full := explorePlain(t, w.CloneWorld())
			require.NotEmpty(t, full.Violation)
			kg := w.Gate
			w.Gate = func(w *sim.World, t model.TaskID) bool {
				if t == writer && w.K.StepName(writer) == "css_task_iter_next" && w.K.Task(writer).Frame.Iter == crowd && w.Count("fork") == 0 {
					return false
				}
				return kg(w, t)
			}
			rep := explorePlain(t, w)
			t.Logf("unrestricted: an escape after %d states; post_fork before the walk reaches the crowd: %d states, violation %q", full.States, rep.States, rep.Violation)
			if !tc.escape {
				require.Empty(t, rep.Violation)
				return
			}
			require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned")
			fw, _ := sim.Replay(w, rep.Schedule, 1000)
			tr := fw.Trace()
			t.Logf("escape: %s\n%s", rep.Schedule, traceText(fw, optsWith(tc.kill), rep.Schedule))
			yieldF := stepOf(tr, "writer", "css_task_iter_next yields forker")
			post := stepOf(tr, "forker", "cgroup_post_fork")
			yieldC := stepOf(tr, "writer", "css_task_iter_next yields crowd0")
			require.True(t, yieldF < post && post < yieldC, "the child is linked between the yields of the forker and the crowd: %d %d %d", yieldF, post, yieldC)
			require.NotZero(t, fw.K.Cover&model.CovPostForkAfterKillWalk)
		})
	}
}

// testExecVsKill (TestRaceCatalogue/exec) explores the bundled scenario
// exec-vs-kill under every kill option: a thread that execs while
// cgroup.kill walks its cgroup survives, with no fork at all. de_thread's
// zap_other_threads has already put SIGKILL on the leader (so
// __cgroup_kill skips it, or signals its zombie, which reaches no other
// thread), and the exec'ing thread is not a leader (CSS_TASK_ITER_PROCS
// steps over it); it takes over the leader's pid after the walk. The
// atomic kill (gVisor's design) has the window too. When the leader
// itself execs there is no window: the walk signals it, a group exit
// follows, and de_thread fails with EAGAIN.
func testExecVsKill(t *testing.T) {
	s, ok := scenarios.Lookup("exec-vs-kill")
	require.True(t, ok)
	for _, mode := range model.KillModes {
		t.Run(mode.String(), func(t *testing.T) {
			opts := s.Options
			opts.Kill = mode
			w, err := s.Build(opts)
			require.NoError(t, err)
			rep := explorePlain(t, w)
			require.Contains(t, rep.Violation, "alive in /test after cgroup.kill returned")
			fw, _ := sim.Replay(w, rep.Schedule, 1000)
			tr := fw.Trace()
			zap := stepOf(tr, "", "zap_other_threads")
			returned := stepOf(tr, "writer", "returns 1")
			takeover := stepOf(tr, "", "takes over the pid")
			require.True(t, zap >= 0 && zap < returned && returned < takeover,
				"zap_other_threads %d, the kill returns %d, the exec'ing thread takes over %d", zap, returned, takeover)
			t.Logf("kill=%s: escape after %d states: %s", mode, rep.States, rep.Schedule)
		})
	}
	t.Run("leader execs", func(t *testing.T) {
		for _, mode := range model.KillModes {
			w := execByLeaderWorld(t, mode)
			rep := explorePlain(t, w)
			require.Empty(t, rep.Violation, "kill=%s", mode)
			require.True(t, rep.Complete)
			t.Logf("kill=%s: the leader's exec never escapes; exhaustive, %d states", mode, rep.States)
		}
	})
}

// execByLeaderWorld: the leader of a two-thread process in /test execs
// while a writer kills /test.
func execByLeaderWorld(t *testing.T, mode model.KillMode) *sim.World {
	opts := optsWith(mode)
	w := sim.NewWorld(opts)
	init := w.Init("init", w.AddProgram("init", sim.IgnoreSIGCHLDThenPause()))
	w.Settle(init, 10)
	test, err := w.Mkdir(init, model.RootCG, "test")
	require.NoError(t, err)
	img := w.AddProgram("image", sim.PauseForever())
	p, err := w.Spawn(init, "proc", w.AddProgram("exec", []sim.Instr{{Op: sim.OpExec, A: img}}), model.CLONE_INTO_CGROUP, test)
	require.NoError(t, err)
	_, errno := w.K.SetupFork(p, model.CloneArgs{Flags: model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM, ChildUser: model.UserRegs{Prog: img}})
	require.Equal(t, model.OK, errno)
	_, err = w.Spawn(init, "writer", w.AddProgram("kill", sim.WriteThenPause(test, model.FileKill, "1", "kill")), 0, model.NoCgroup)
	require.NoError(t, err)
	w.Props = append(w.Props, sim.EmptyAfterKill(test, "kill"))
	return w
}

// testPgrpKill (TestRaceCatalogue/pgrp): job control's kill(-pgid,
// SIGKILL) of a job that forks (the bundled scenario pgrp-kill) has no
// fork window: __kill_pgrp_info signals every member under tasklist_lock,
// which the fork's commit takes, so a child is either in the group when
// the signal goes out or its parent's commit meets the SIGKILL (EINTR).
// The kill options change only cgroup.kill; under kill=seq the search is
// exhaustive. A child that leaves the group first (setsid) escapes: the
// property is not vacuous.
func testPgrpKill(t *testing.T) {
	s, ok := scenarios.Lookup("pgrp-kill")
	require.True(t, ok)
	w, err := s.Build(s.Options)
	require.NoError(t, err)
	rep := explorePlain(t, w)
	require.Empty(t, rep.Violation)
	require.True(t, rep.Complete)
	t.Logf("kill(-pgid) of a forking job: no escape; exhaustive, %d states", rep.States)

	data, err := os.ReadFile("../scenarios/bundled/pgrp-kill.yaml")
	require.NoError(t, err)
	leaves := strings.Replace(string(data), "            - fork: {label: fork}\n", "            - fork: {label: fork, child: [setsid, pause]}\n", 1)
	require.NotEqual(t, string(data), leaves)
	sl, err := scenarios.Parse("pgrp-kill-setsid.yaml", []byte(leaves))
	require.NoError(t, err)
	wl, err := sl.Build(sl.Options)
	require.NoError(t, err)
	rep = explorePlain(t, wl)
	require.Contains(t, rep.Violation, "alive in /job after cgroup.kill returned")
	t.Logf("a child that calls setsid first escapes: found after %d states", rep.States)
}
