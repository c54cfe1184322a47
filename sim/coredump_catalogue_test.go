package sim_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// forkingCrasher is coredump-vs-kill with the forker of fork-vs-kill in
// the dumping process: a second thread forks a child that pauses, while
// the leader sends itself SIGSEGV.
const forkingCrasher = `version: 1
cgroups:
  - path: /job
tasks:
  - {name: init, program: ignore-sigchld}
  - name: crasher
    cgroup: /job
    program:
      - fork:
          flags: CLONE_THREAD
          child:
            - fork: {label: fork, child: [pause]}
            - pause
      - kill: {task: crasher, signal: SIGSEGV}
      - pause
  - name: killer
    program:
      - write: {file: /job/cgroup.kill, value: "1", label: kill, expect: OK}
      - pause
expect:
  properties:
    - empty-after-kill: {cgroup: /job, after: kill}
explore:
  kill-gate: kill
`

// zapDuringDump: pid 2 of a namespace dumps core (SIGSEGV to itself)
// while a host task SIGKILLs the namespace's init.
const zapDuringDump = `version: 1
tasks:
  - {name: init, program: ignore-sigchld}
  - {name: cinit, pidns: new, program: pause}
  - name: crasher
    parent: cinit
    program:
      - kill: {task: crasher, signal: SIGSEGV}
      - pause
  - name: killer
    program:
      - kill: {task: cinit, label: zap}
      - pause
expect:
  properties:
    - namespace-dead: cinit
    - zap-waits: cinit
`

// testCoredumpVsKill (TestRaceCatalogue/coredump) explores a process that
// dumps core while cgroup.kill walks its cgroup (bundled
// coredump-vs-kill), under every kill option and both coredump modes:
// nothing escapes; the kill interrupts the dump in some runs and the dump
// finishes first in others. Then the difference between the modes, in a
// world restricted to it: a second thread dumps, and the kill runs only
// once the zapped leader sleeps in coredump_task_exit. 5.16+: the leader
// is not PF_EXITING, the SIGKILL becomes a group kill and always
// interrupts the dump (probe Q15 C3); ≤5.15: the leader is PF_EXITING and
// the SIGKILL reaches nobody, so the dump always finishes. Last, a thread
// of the dumping process forks (fork-vs-kill inside it): the dump adds no
// escape and takes none away.
func testCoredumpVsKill(t *testing.T) {
	data, err := os.ReadFile("../scenarios/bundled/coredump-vs-kill.yaml")
	require.NoError(t, err)
	s, err := scenarios.Parse("coredump-vs-kill.yaml", data)
	require.NoError(t, err)
	for _, cm := range model.CoredumpModes {
		for _, km := range model.KillModes {
			opts := s.Options
			opts.Kill, opts.Coredump = km, cm
			rep := requireBothEndings(t, s, opts)
			t.Logf("coredump=%s kill=%s: no escape; exhaustive, %d states; the kill interrupts the dump or the dump finishes first", cm, km, rep.States)
		}
	}

	t.Run("zapped-leader", func(t *testing.T) {
		for _, cm := range model.CoredumpModes {
			opts := s.Options
			opts.Coredump = cm
			w, err := s.Build(opts)
			require.NoError(t, err)
			crasher, thread, killer := taskNamed(w, "crasher"), taskNamed(w, "crasher.t1"), taskNamed(w, "killer")
			w.Gate = func(w *sim.World, t model.TaskID) bool {
				switch t {
				case crasher: // sends the SIGSEGV (R[1] 0: no call yet), then waits until the thread dumps
					u := w.K.Task(crasher).User
					return (u.PC == 0 && u.R[1] == 0) || w.K.GroupOf(crasher).Flags&model.SIGNAL_GROUP_EXIT != 0
				case killer: // starts its cgroup.kill write once the zapped leader sleeps
					return w.K.Task(killer).User.R[1] != 0 || w.K.InCoredumpTaskExit(crasher)
				case thread: // once dumping, finishes only after the write returned
					return w.K.Task(thread).Frame.Path != model.KCoredump || w.Count("kill") > 0
				}
				return true
			}
			rep := explorePlain(t, w)
			require.Empty(t, rep.Violation)
			require.True(t, rep.Complete)
			interrupted, finished := model.CovCoredumpInterrupted, model.CovCoredumpFinished
			if cm == model.CoredumpV515 {
				interrupted, finished = finished, interrupted
			}
			// Every run ends the same way: reaching the other point is
			// impossible, reaching this one is certain.
			for _, c := range []struct {
				cov   model.Coverage
				reach bool
			}{{interrupted, true}, {finished, false}} {
				wc, err := s.Build(opts)
				require.NoError(t, err)
				wc.Gate = w.Gate
				wc.Props = append(wc.Props, sim.NotReached(c.cov))
				r := explorePlain(t, wc)
				if c.reach {
					require.Contains(t, r.Violation, "reached "+c.cov.Names()[0], "coredump=%s", cm)
				} else {
					require.Empty(t, r.Violation, "coredump=%s", cm)
				}
			}
			t.Logf("coredump=%s: the thread dumps, the kill comes while the zapped leader sleeps in coredump_task_exit: %s in every run; exhaustive, %d states",
				cm, interrupted.Names()[0], rep.States)
		}
	})

	// The pid namespace zap against a dump (probe Q15 D): the init's
	// zap_pid_ns_processes SIGKILLs the dumper (prepare_signal lets it
	// through core_state), which interrupts the dump, and waits for it;
	// the namespace dies whole under every zap and coredump mode but the
	// 2007 patch, whose init does not wait.
	t.Run("zap", func(t *testing.T) {
		sz, err := scenarios.Parse("coredump-zap.yaml", []byte(zapDuringDump))
		require.NoError(t, err)
		for _, cm := range model.CoredumpModes {
			for _, zm := range []model.ZapMode{model.ZapCurrent, model.ZapV33} {
				opts := sz.Options
				opts.Coredump, opts.Zap = cm, zm
				rep := requireBothEndings(t, sz, opts)
				t.Logf("coredump=%s zap=%s: the namespace dies whole; the zap interrupts the dump or the dump finishes first; exhaustive, %d states", cm, zm, rep.States)
			}
		}
	})

	t.Run("fork", func(t *testing.T) {
		sf, err := scenarios.Parse("coredump-fork-vs-kill.yaml", []byte(forkingCrasher))
		require.NoError(t, err)
		for _, km := range model.KillModes {
			opts := sf.Options
			opts.Kill = km
			w, err := sf.Build(opts)
			require.NoError(t, err)
			w.Gate = sim.KillGate("kill")
			w.CheckInvariants = true
			rep := explore.Exhaustive(w, explore.Unbounded())
			require.False(t, rep.Truncated)
			if km == model.KillAtomic {
				require.Empty(t, rep.Violation)
				t.Logf("kill=%s: no escape; exhaustive, %d states", km, rep.States)
				continue
			}
			require.Contains(t, rep.Violation, "alive in /job after cgroup.kill returned", "kill=%s", km)
			t.Logf("kill=%s: the forked child escapes as in fork-vs-kill, after %d states: %s", km, rep.States, rep.Schedule)
		}
	})
}

// requireBothEndings explores s under opts exhaustively and requires no
// violation, and that both endings of a dump are reachable: a run where a
// SIGKILL interrupts it, and one where coredump_finish runs first. It
// returns the report of the plain exploration.
func requireBothEndings(t *testing.T, s *scenarios.Scenario, opts model.Options) explore.Report {
	t.Helper()
	w, err := s.Build(opts)
	require.NoError(t, err)
	rep := explorePlain(t, w)
	require.Empty(t, rep.Violation, "%s", opts)
	require.True(t, rep.Complete)
	for _, cov := range []model.Coverage{model.CovCoredumpInterrupted, model.CovCoredumpFinished} {
		wc, err := s.Build(opts)
		require.NoError(t, err)
		wc.Props = append(wc.Props, sim.NotReached(cov))
		r := explorePlain(t, wc)
		require.Contains(t, r.Violation, "reached "+cov.Names()[0], "%s", opts)
	}
	return rep
}
