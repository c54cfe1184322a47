package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// TestCoredump follows a core-dumping signal through get_signal →
// vfs_coredump (zap_threads, coredump_wait, coredump_finish) and what a
// cgroup.kill or kill(2) does to it mid-dump, under both coredump modes
// (fs/coredump.c, kernel/signal.c prepare_signal/complete_signal,
// kernel/exit.c coredump_task_exit; probe Q15 for 6.18).
func TestCoredump(t *testing.T) {
	type tc struct {
		name      string
		mode      model.CoredumpMode
		unlimited bool           // RLIMIT_CORE
		sig       model.Signal   // the core-dumping signal
		threaded  bool           // the process has a second thread
		dumper    string         // "leader" or "thread": who dequeues the signal
		zapped    string         // "pending": the zapped thread has not run; "waiting": it sleeps in coredump_task_exit
		mid       string         // what happens mid-dump: "", "cgroup.kill", "SIGTERM", "SIGKILL"
		want      int32          // the wait status
		cover     model.Coverage // coverage points that must be reached
	}
	var cases []tc
	for _, m := range model.CoredumpModes {
		cases = append(cases,
			tc{"limit 0: no core bit", m, false, model.SIGSEGV, false, "leader", "", "", 0xb, model.CovCoredumpFinished},
			tc{"core written", m, true, model.SIGSEGV, false, "leader", "", "", 0x8b, model.CovCoredumpFinished},
			tc{"abort, core written", m, true, model.SIGABRT, false, "leader", "", "", 0x86, 0},
			tc{"SIGTERM mid-dump is dropped", m, true, model.SIGSEGV, false, "leader", "", "SIGTERM", 0x8b, 0},
			tc{"cgroup.kill interrupts the leader's dump", m, true, model.SIGSEGV, false, "leader", "", "cgroup.kill", 0x9, model.CovCoredumpInterrupted},
			tc{"kill(2) SIGKILL interrupts a thread's dump", m, true, model.SIGSEGV, true, "thread", "waiting", "SIGKILL", 0x9, model.CovCoredumpInterrupted},
			tc{"cgroup.kill skips a zapped leader with SIGKILL pending", m, true, model.SIGSEGV, true, "thread", "pending", "cgroup.kill", 0x8b, model.CovKillSkippedPending},
			tc{"a thread's dump zaps the leader", m, false, model.SIGQUIT, true, "thread", "waiting", "", 0x3, 0},
		)
	}
	// The version difference: cgroup.kill's SIGKILL to a zapped leader
	// asleep in coredump_task_exit (5.16+, not PF_EXITING: a group kill
	// that interrupts the dump, probe Q15 C3) or in exit_mm (≤5.15,
	// PF_EXITING: complete_signal wakes nobody and the dump completes).
	cases = append(cases,
		tc{"cgroup.kill reaches the zapped leader (5.16+)", model.CoredumpCurrent, true, model.SIGSEGV, true, "thread", "waiting", "cgroup.kill", 0x9, model.CovCoredumpInterrupted},
		tc{"cgroup.kill to the PF_EXITING zapped leader reaches nobody (≤5.15)", model.CoredumpV515, true, model.SIGSEGV, true, "thread", "waiting", "cgroup.kill", 0x8b, model.CovCoredumpFinished},
	)
	for _, c := range cases {
		t.Run(c.mode.String()+"/"+c.name, func(t *testing.T) {
			opts := model.DefaultOptions()
			opts.Coredump = c.mode
			e := newEnv(t, opts)
			job := e.mkdir(model.RootCG, "job")
			leader := e.child(e.init, job)
			require.Equal(t, model.OK, e.k.SetupRlimitCore(leader, c.unlimited))
			thread := model.NoTask
			if c.threaded {
				var err model.Errno
				thread, err = e.fork(leader, threadFlags, model.NoCgroup)
				require.Equal(t, model.OK, err)
			}
			dumper, zapped := leader, thread
			if c.dumper == "thread" {
				dumper, zapped = thread, leader
			}
			pid := e.k.PidIn(leader, model.RootNS)
			_, err := e.call(e.init, func() { e.k.Kill(e.init, pid, c.sig) })
			require.Equal(t, model.OK, err)
			require.Zero(t, e.k.GroupOf(leader).Flags&model.SIGNAL_GROUP_EXIT, "complete_signal leaves a core-dumping signal to get_signal")
			e.k.Step(dumper) // get_signal → vfs_coredump → zap_threads
			e.invariants()
			require.Equal(t, model.KCoredump, e.k.Task(dumper).Frame.Path)
			require.True(t, e.k.GroupOf(leader).CoreState)
			require.NotZero(t, e.k.Task(dumper).Flags&model.PF_DUMPCORE)
			if zapped != model.NoTask {
				require.True(t, e.k.FatalSignalPending(zapped), "zap_process SIGKILLs the other thread")
				require.False(t, e.k.Runnable(dumper), "coredump_wait sleeps until the zapped thread reaches coredump_task_exit")
				if c.zapped == "waiting" {
					e.runKernel(zapped)
					e.invariants()
					require.False(t, e.k.FatalSignalPending(zapped), "get_signal dequeued the SIGKILL")
					require.Equal(t, c.mode == model.CoredumpV515, e.k.Task(zapped).Flags&model.PF_EXITING != 0,
						"5.16+ waits before exit_signals, ≤5.15 after")
					require.True(t, e.k.Runnable(dumper))
				}
			}
			require.True(t, e.k.Populated(job), "the cgroup stays populated during the dump")
			switch c.mid {
			case "cgroup.kill":
				e.must(e.init, job, model.FileKill, "1")
			case "SIGTERM", "SIGKILL":
				sig := model.SIGTERM
				if c.mid == "SIGKILL" {
					sig = model.SIGKILL
				}
				_, err := e.call(e.init, func() { e.k.Kill(e.init, pid, sig) })
				require.Equal(t, model.OK, err)
			}
			e.invariants()
			for i := 0; i < 5; i++ {
				e.runKernel(dumper)
				if zapped != model.NoTask {
					e.runKernel(zapped)
				}
				e.invariants()
			}
			require.False(t, e.k.GroupOf(leader).CoreState)
			require.False(t, e.k.Populated(job))
			require.Equal(t, c.want, e.reap(leader), "wait status")
			require.Equal(t, c.cover, e.k.Cover&c.cover, "coverage %v", e.k.Cover.Names())
		})
	}
}
