package sim_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// The worlds of TestRaceCatalogue/oom that are not bundled scenarios:
// each is the OOM counterpart of a cgroup.kill race (or the cgroup.kill
// counterpart of an OOM one), small enough to explore exhaustively.
const (
	// oomMemcgs is the cgroup tree of the OOM worlds: /job is a memcg
	// with memory.oom.group set.
	oomMemcgs = `cgroups:
  - path: /
    subtree_control: +memory
  - path: /job
    memory.oom.group: 1
  - path: /elsewhere
`
	// killMigrationIn is oom-group-vs-migration with a cgroup.kill writer
	// in place of the OOM.
	killMigrationIn = `version: 1
cgroups:
  - path: /job
  - path: /elsewhere
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: member, cgroup: /job, program: pause}
  - name: mover
    cgroup: /elsewhere
    program:
      - write: {file: /job/cgroup.procs, value: "0", label: move}
      - pause
  - name: writer
    program:
      - write: {file: /job/cgroup.kill, value: "1", label: kill, expect: OK}
      - pause
expect:
  properties:
    - empty-after-kill: {cgroup: /job, after: kill}
explore:
  kill-gate: kill
`
	// oomMigrationOut: a member of /job moves itself out while the OOM
	// group walk runs; the walk may have yielded it already.
	oomMigrationOut = `version: 1
` + oomMemcgs + `tasks:
  - {name: init, program: ignore-sigchld}
  - name: hog
    cgroup: /job
    program:
      - oom: {cgroup: /job, victim: hog, label: oom, expect: OK}
      - pause
  - name: leaver
    cgroup: /job
    program:
      - write: {file: /elsewhere/cgroup.procs, value: "0", label: move}
      - pause
expect:
  properties:
    - not-reached: oom-killed-outside-group
`
	// oomVictimMovesAway: the process chosen as the victim (it holds the
	// memory) moves out between select_bad_process and oom_kill_process.
	oomVictimMovesAway = `version: 1
` + oomMemcgs + `tasks:
  - {name: init, program: ignore-sigchld}
  - {name: other, cgroup: /job, program: pause}
  - name: leaver
    cgroup: /job
    program:
      - write: {file: /elsewhere/cgroup.procs, value: "0", label: move}
      - pause
  - name: allocator
    cgroup: /job
    program:
      - oom: {cgroup: /job, victim: leaver, label: oom, expect: OK}
      - pause
expect:
  properties:
    - empty-after-oom: {cgroup: /job, after: oom}
explore:
  kill-gate: oom
`
	// oomZombieLeader is zombie-leader with an OOM in place of the
	// cgroup.kill write.
	oomZombieLeader = `version: 1
` + oomMemcgs + `tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /job
    threads: 1
    program:
      - exit-thread: 0
  - name: hog
    cgroup: /job
    program:
      - await: {zombie: proc}
      - oom: {cgroup: /job, victim: hog, label: oom, expect: OK}
      - pause
expect:
  properties:
    - empty-after-oom: {cgroup: /job, after: oom}
explore:
  kill-gate: oom
`
	// oomExec is exec-vs-kill with an OOM in place of the cgroup.kill
	// write.
	oomExec = `version: 1
` + oomMemcgs + `tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /job
    program:
      - fork:
          flags: CLONE_THREAD
          label: thread
          child:
            - exec: pause
      - pause
  - name: hog
    cgroup: /job
    program:
      - oom: {cgroup: /job, victim: hog, label: oom, expect: OK}
      - pause
expect:
  properties:
    - empty-after-oom: {cgroup: /job, after: oom}
explore:
  kill-gate: oom
`
	// oomExecByLeader: the leader of a two-thread process execs while the
	// OOM group walk runs.
	oomExecByLeader = `version: 1
` + oomMemcgs + `tasks:
  - {name: init, program: ignore-sigchld}
  - name: proc
    cgroup: /job
    threads: 1
    program:
      - exec: pause
  - name: hog
    cgroup: /job
    program:
      - oom: {cgroup: /job, victim: hog, label: oom, expect: OK}
      - pause
expect:
  properties:
    - empty-after-oom: {cgroup: /job, after: oom}
explore:
  kill-gate: oom
`
)

// oomWorld builds a scenario (a bundled name or inline YAML) under kill.
func oomWorld(t *testing.T, nameOrYAML string, kill model.KillMode) *sim.World {
	t.Helper()
	var s *scenarios.Scenario
	if strings.HasPrefix(nameOrYAML, "version:") {
		var err error
		s, err = scenarios.Parse(t.Name()+".yaml", []byte(nameOrYAML))
		require.NoError(t, err)
	} else {
		var ok bool
		s, ok = scenarios.Lookup(nameOrYAML)
		require.True(t, ok, nameOrYAML)
	}
	opts := s.Options
	opts.Kill = kill
	w, err := s.Build(opts)
	require.NoError(t, err)
	return w
}

// testOOMCatalogue (TestRaceCatalogue/oom) explores the OOM killer's
// group kill (memory.oom.group, model/oom.go) against fork, migration, a
// zombie leader and exec, under every kill option: the OOM walk uses
// none of them (it changes no CGRP_KILL or kill_seq), so each verdict and
// state count must be the same under all four, and each is set beside
// what cgroup.kill does in the same world (docs/model.md 3.8).
func testOOMCatalogue(t *testing.T) {
	// sameUnderEveryOption explores build under every kill option and
	// requires one verdict for all and, for a world without cgroup.kill,
	// one state count (the options change nothing the OOM path reads).
	verdicts := func(t *testing.T, what string, sameStates bool, build func(model.KillMode) *sim.World) explore.Report {
		t.Helper()
		var first explore.Report
		for i, mode := range model.KillModes {
			rep := explorePlain(t, build(mode))
			if i == 0 {
				first = rep
				continue
			}
			require.Equal(t, first.Violation, rep.Violation, "%s: kill=%s", what, mode)
			if sameStates {
				require.Equal(t, first.States, rep.States, "%s: kill=%s explores another machine", what, mode)
			}
		}
		return first
	}
	sameUnderEveryOption := func(t *testing.T, what string, build func(model.KillMode) *sim.World) explore.Report {
		t.Helper()
		return verdicts(t, what, true, build)
	}

	t.Run("fork", func(t *testing.T) {
		rep := sameUnderEveryOption(t, "oom-group-vs-fork", func(m model.KillMode) *sim.World { return oomWorld(t, "oom-group-vs-fork", m) })
		require.Contains(t, rep.Violation, "alive in /job after the OOM group kill returned")
		w := oomWorld(t, "oom-group-vs-fork", model.KillSeq)
		fw, _ := sim.Replay(w, rep.Schedule, 1000)
		tr := fw.Trace()
		t.Logf("every kill option: an escape after %d states: %s\n%s", rep.States, rep.Schedule, traceText(fw, w.K.Opts, rep.Schedule))
		// The fork commits, the walk SIGKILLs the forker and moves on,
		// then cgroup_post_fork links the child, which nothing kills.
		commit := stepOf(tr, "forker", "committed")
		signalled := stepOf(tr, "hog", "SIGKILL queued on forker")
		done := stepOf(tr, "hog", "returns")
		post := stepOf(tr, "forker", "cgroup_post_fork")
		require.True(t, commit < signalled && signalled < done && done < post,
			"commit %d, the forker signalled %d, the OOM returns %d, post_fork %d", commit, signalled, done, post)
		// The child can also be linked while the walk still runs, behind
		// its iterator.
		w = oomWorld(t, "oom-group-vs-fork", model.KillSeq)
		w.Props = append(w.Props, sim.NotReached(model.CovPostForkAfterOOMWalk))
		behind := explorePlain(t, w)
		require.Contains(t, behind.Violation, "post_fork-after-oom-walk")
		t.Logf("post_fork behind the running walk: reached after %d states", behind.States)

		// Wider than kill_seq's window: with the OOM held back until the
		// fork has taken its cgroup_can_fork snapshot, cgroup.kill under
		// kill=seq has no escape (TestRaceCatalogue/seq), the OOM still has.
		w = oomWorld(t, "oom-group-vs-fork", model.KillSeq)
		forker, hog := taskNamed(w, "forker"), taskNamed(w, "hog")
		w.Gate = func(w *sim.World, t model.TaskID) bool {
			if t == hog && !w.K.ForkPastCanFork(forker) {
				return false
			}
			return sim.KillGate("oom")(w, t)
		}
		late := explorePlain(t, w)
		require.Contains(t, late.Violation, "alive in /job after the OOM group kill returned")
		t.Logf("OOM after the fork's cgroup_can_fork: an escape after %d states", late.States)
	})

	t.Run("migration", func(t *testing.T) {
		rep := sameUnderEveryOption(t, "oom-group-vs-migration", func(m model.KillMode) *sim.World { return oomWorld(t, "oom-group-vs-migration", m) })
		require.Contains(t, rep.Violation, "mover")
		require.Contains(t, rep.Violation, "alive in /job after the OOM group kill returned")
		w := oomWorld(t, "oom-group-vs-migration", model.KillSeq)
		fw, _ := sim.Replay(w, rep.Schedule, 1000)
		tr := fw.Trace()
		yield := stepOf(tr, "hog", "css_task_iter_next yields")
		moved := stepOf(tr, "mover", "moved /elsewhere → /job")
		done := stepOf(tr, "hog", "returns")
		require.True(t, yield < moved && moved < done, "yield %d, move %d, the OOM returns %d", yield, moved, done)
		t.Logf("into /job during the walk: every kill option, an escape after %d states: %s\n%s", rep.States, rep.Schedule, traceText(fw, w.K.Opts, rep.Schedule))

		// cgroup.kill holds cgroup_mutex for its whole walk: the move
		// comes before it or after the write returned.
		for _, mode := range model.KillModes {
			kill := explorePlain(t, oomWorld(t, killMigrationIn, mode))
			require.Empty(t, kill.Violation, "kill=%s", mode)
			require.True(t, kill.Complete)
			t.Logf("the same move against cgroup.kill, kill=%s: no escape; exhaustive, %d states", mode, kill.States)
		}

		// Out of /job during the walk: a process yielded, then moved out,
		// is SIGKILLed in its new cgroup.
		out := sameUnderEveryOption(t, "out of the oom group", func(m model.KillMode) *sim.World { return oomWorld(t, oomMigrationOut, m) })
		require.Contains(t, out.Violation, "reached oom-killed-outside-group")
		t.Logf("out of /job during the walk: the OOM kills it in /elsewhere after %d states", out.States)

		// The victim moves out between select_bad_process and
		// oom_kill_process: mem_cgroup_get_oom_group finds it outside the
		// OOMing memcg and returns no group, so it dies alone, outside,
		// and the group it was chosen from survives.
		away := sameUnderEveryOption(t, "victim moves away", func(m model.KillMode) *sim.World { return oomWorld(t, oomVictimMovesAway, m) })
		require.Contains(t, away.Violation, "other")
		require.Contains(t, away.Violation, "allocator")
		w = oomWorld(t, oomVictimMovesAway, model.KillSeq)
		fw, _ = sim.Replay(w, away.Schedule, 1000)
		require.NotZero(t, fw.K.Cover&model.CovOOMKilledOutsideGroup)
		require.Equal(t, -1, stepOf(fw.Trace(), "allocator", "memory.oom.group set"), "no group walk")
		t.Logf("the victim moves away before oom_kill_process: no group kill, after %d states: %s", away.States, away.Schedule)
	})

	t.Run("zombie-leader", func(t *testing.T) {
		rep := sameUnderEveryOption(t, "OOM vs zombie leader", func(m model.KillMode) *sim.World { return oomWorld(t, oomZombieLeader, m) })
		require.Empty(t, rep.Violation)
		require.True(t, rep.Complete)
		w := oomWorld(t, oomZombieLeader, model.KillSeq)
		fw, _ := sim.Replay(w, nil, 1000)
		require.NotZero(t, fw.K.Cover&model.CovOOMKillViaOtherThread, "find_lock_task_mm went through the live thread")
		t.Logf("OOM: the zombie leader's process dies under every kill option; exhaustive, %d states", rep.States)
		for _, mode := range model.KillModes {
			kw := oomWorld(t, "zombie-leader", mode)
			kr := explorePlain(t, kw)
			require.Contains(t, kr.Violation, "alive in /test after cgroup.kill returned", "kill=%s", mode)
			t.Logf("cgroup.kill, kill=%s: the process survives, after %d states", mode, kr.States)
		}
	})

	t.Run("exec", func(t *testing.T) {
		// __oom_kill_process reaches the exec'ing thread wherever the walk
		// meets the process (group delivery through find_lock_task_mm),
		// unlike __cgroup_kill. What is left is a walk that meets no part
		// of it: it has stepped over the exec'ing thread (not yet a
		// leader) and points at the zombie old leader on the dying list
		// when de_thread releases that leader; the iterator is moved to
		// the end of the list (css_task_iter_skip) and the new leader is
		// behind it.
		rep := sameUnderEveryOption(t, "OOM vs exec", func(m model.KillMode) *sim.World { return oomWorld(t, oomExec, m) })
		require.Contains(t, rep.Violation, "alive in /job after the OOM group kill returned")
		w := oomWorld(t, oomExec, model.KillSeq)
		fw, _ := sim.Replay(w, rep.Schedule, 1000)
		tr := fw.Trace()
		t.Logf("every kill option: an escape after %d states: %s\n%s", rep.States, rep.Schedule, traceText(fw, w.K.Opts, rep.Schedule))
		zombie := stepOf(tr, "proc", "is a zombie")
		takeover := stepOf(tr, "", "takes over the pid")
		done := stepOf(tr, "hog", "returns")
		require.True(t, zombie < takeover && takeover < done, "zombie %d, take-over %d, the OOM returns %d", zombie, takeover, done)
		for _, e := range tr {
			if e.Name == "hog" {
				for _, what := range e.What {
					require.False(t, strings.Contains(what, "yields T1") || strings.Contains(what, "yields T3"), "the walk met the process: %s", what)
				}
			}
		}
		kill := explorePlain(t, oomWorld(t, "exec-vs-kill", model.KillSeq))
		t.Logf("cgroup.kill (exec-vs-kill, kill=seq): an escape after %d states", kill.States)

		leader := sameUnderEveryOption(t, "OOM vs the leader's exec", func(m model.KillMode) *sim.World { return oomWorld(t, oomExecByLeader, m) })
		require.Empty(t, leader.Violation)
		require.True(t, leader.Complete)
		t.Logf("the leader execs: no escape under any kill option; exhaustive, %d states", leader.States)
	})
}
