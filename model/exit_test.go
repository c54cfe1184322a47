package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

const threadFlags = model.CLONE_THREAD | model.CLONE_SIGHAND | model.CLONE_VM

// process forks a process of init with one extra thread: its leader and
// the thread.
func (e *env) process() (leader, thread model.TaskID) {
	leader, err := e.fork(e.init, 0, model.NoCgroup)
	require.Equal(e.t, model.OK, err)
	thread, err = e.fork(leader, threadFlags, model.NoCgroup)
	require.Equal(e.t, model.OK, err)
	return leader, thread
}

// runKernel steps t while it is runnable and has kernel work (an exit, a
// signal to act on): nothing interleaves.
func (e *env) runKernel(t model.TaskID) {
	for i := 0; e.k.Runnable(t) && e.k.NeedsKernelStep(t); i++ {
		require.Less(e.t, i, 100, "T%d does not finish", t)
		e.k.Step(t)
	}
}

// reap is init's wait4 for pid of v: the status it reports.
func (e *env) reap(v model.TaskID) int32 {
	pid := e.k.PidIn(v, model.RootNS)
	r, err := e.call(e.init, func() { e.k.Wait(e.init, pid, 0) })
	require.Equal(e.t, model.OK, err)
	require.Equal(e.t, pid, r)
	return e.k.Task(e.init).WaitStatus
}

func TestGroupExitStatus(t *testing.T) {
	// wait_task_zombie reports group_exit_code once SIGNAL_GROUP_EXIT is
	// set, and synchronize_group_exit (do_exit, 6.0+) sets it, with its
	// own code, for the last thread of a group to enter do_exit: a process
	// whose threads all leave with exit(2) reports the code of the last
	// one, not the leader's (probe Q13: 0x300, 0x700, signal 9).
	type step struct {
		leader bool // the leader acts, else the thread
		what   string
		code   int32
	}
	cases := []struct {
		name  string
		steps []step
		want  int32
	}{
		{"leader exit(7), then thread exit(3)", []step{{true, "exit", 7}, {false, "exit", 3}}, 0x300},
		{"thread exit(3), then leader exit(7)", []step{{false, "exit", 3}, {true, "exit", 7}}, 0x700},
		{"leader exit(7), then thread exit_group(4)", []step{{true, "exit", 7}, {false, "exit_group", 4}}, 0x400},
		{"thread exit_group(2)", []step{{false, "exit_group", 2}}, 0x200},
		{"leader exit(7), then kill(2) SIGKILL", []step{{true, "exit", 7}, {false, "kill", 0}}, int32(model.SIGKILL)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			leader, thread := e.process()
			for _, s := range c.steps {
				who := thread
				if s.leader {
					who = leader
				}
				switch s.what {
				case "exit":
					e.k.Exit(who, s.code)
				case "exit_group":
					e.k.ExitGroup(who, s.code)
				case "kill":
					_, err := e.call(e.init, func() { e.k.Kill(e.init, e.k.PidIn(leader, model.RootNS), model.SIGKILL) })
					require.Equal(t, model.OK, err)
				}
				e.runKernel(leader)
				e.runKernel(thread)
			}
			require.Equal(t, model.ExitDead, e.k.Task(thread).Exit, "the thread is released")
			require.Equal(t, model.ExitZombie, e.k.Task(leader).Exit)
			require.Equal(t, c.want, e.reap(leader), "wait status")
			require.NotZero(t, e.k.GroupOf(leader).Flags&model.SIGNAL_GROUP_EXIT)
		})
	}
}

func TestSynchronizeGroupExitOnlyForTheLastThread(t *testing.T) {
	// A thread that is not the last to enter do_exit leaves the group's
	// flags alone: the other thread still runs user code and can take
	// signals (prepare_signal drops everything once SIGNAL_GROUP_EXIT is set).
	e := newEnv(t, model.DefaultOptions())
	leader, thread := e.process()
	e.k.Exit(leader, 7)
	e.runKernel(leader)
	require.Zero(t, e.k.GroupOf(thread).Flags&model.SIGNAL_GROUP_EXIT)
	e.k.Exit(thread, 3)
	require.NotZero(t, e.k.GroupOf(thread).Flags&model.SIGNAL_GROUP_EXIT, "set at do_exit's entry, before exit_signals")
	require.Equal(t, int32(0x300), e.k.GroupOf(thread).GroupExitCode)
}

func TestPidfdReadable(t *testing.T) {
	// pidfd_poll (fs/pidfs.c): readable once the task is released, or is a
	// zombie that is not a delay_group_leader. A leader that exits while
	// another thread runs is a zombie (Z in /proc/PID/stat) but its pidfd
	// stays unreadable until the thread has exited (probe Q13); a released
	// thread's (PIDFD_THREAD) is readable. The same under both populated
	// modes: with at-final-switch a zombie is readable before its final
	// switch, as exit_state is set in exit_notify.
	type check struct {
		after          string // what has happened
		leader, thread bool   // PidfdReadable of each
	}
	for _, pop := range model.PopulatedModes {
		t.Run(pop.String(), func(t *testing.T) {
			opts := model.DefaultOptions()
			opts.Populated = pop
			for _, c := range []struct {
				name   string
				first  bool // the leader exits first, else the thread
				checks []check
			}{
				{"leader first", true, []check{{"start", false, false}, {"first exit", false, false}, {"second exit", true, true}, {"reaped", true, true}}},
				{"thread first", false, []check{{"start", false, false}, {"first exit", false, true}, {"second exit", true, true}, {"reaped", true, true}}},
			} {
				t.Run(c.name, func(t *testing.T) {
					e := newEnv(t, opts)
					leader, thread := e.process()
					one, two := leader, thread
					if !c.first {
						one, two = thread, leader
					}
					for _, ch := range c.checks {
						switch ch.after {
						case "first exit":
							e.k.Exit(one, 1)
							e.runKernel(one)
						case "second exit":
							e.k.Exit(two, 2)
							e.runKernel(two)
						case "reaped":
							e.reap(leader)
						}
						require.Equal(t, ch.leader, e.k.PidfdReadable(leader), "leader's pidfd after %s", ch.after)
						require.Equal(t, ch.thread, e.k.PidfdReadable(thread), "thread's pidfd after %s", ch.after)
					}
				})
			}
		})
	}
}

func TestExitSignalsWaitsForMigration(t *testing.T) {
	// exit_signals sets PF_EXITING between cgroup_threadgroup_change_begin
	// and _end (kernel/signal.c): a task entering do_exit while a
	// cgroup.procs write holds or waits for cgroup_threadgroup_rwsem for
	// writing sleeps there, so the migration moves it (it is not yet
	// PF_EXITING, which cgroup_migrate_add_task would skip) and it exits in
	// the destination. No deadlock: the writer waits for a fork holding
	// the rwsem for reading, the fork finishes, then the writer, then the
	// exit. However the victim enters do_exit: exit(2), exit_group(2), or
	// a SIGKILL acted on in get_signal.
	for _, how := range []string{"exit", "exit_group", "SIGKILL"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			a, b := e.mkdir(model.RootCG, "a"), e.mkdir(model.RootCG, "b")
			victim := e.child(e.init, a)
			forker, writer := e.child(e.init, a), e.child(e.init, a)
			e.k.Fork(forker, model.CloneArgs{Cgroup: model.NoCgroup}) // holds the rwsem for reading
			require.Equal(t, model.KFork, e.k.Task(forker).Frame.Path)
			e.k.WriteFile(writer, b, model.FileProcs, e.pid(victim))
			for e.k.Runnable(writer) {
				e.k.Step(writer) // up to percpu_down_write, which waits for the fork
			}
			require.Equal(t, writer, e.k.ThreadgroupWriter())
			switch how {
			case "exit":
				e.k.Exit(victim, 0)
			case "exit_group":
				e.k.ExitGroup(victim, 0)
			case "SIGKILL":
				_, err := e.call(e.init, func() { e.k.Kill(e.init, e.k.PidIn(victim, model.RootNS), model.SIGKILL) })
				require.Equal(t, model.OK, err)
				require.True(t, e.k.Runnable(victim))
				e.k.Step(victim) // get_signal → do_group_exit → do_exit
			}
			require.Equal(t, model.KExit, e.k.Task(victim).Frame.Path)
			require.False(t, e.k.Runnable(victim), "exit_signals waits for the migration")
			require.Zero(t, e.k.Task(victim).Flags&model.PF_EXITING)
			require.True(t, e.k.Runnable(forker), "the fork holding the rwsem goes on")
			e.runKernel(forker)
			require.Equal(t, model.OK, e.k.Task(forker).Err)
			require.True(t, e.k.Runnable(writer), "the readers are gone")
			require.False(t, e.k.Runnable(victim), "the writer still holds the rwsem")
			e.k.Step(writer) // cgroup_attach_task
			require.Equal(t, model.KUser, e.k.Task(writer).Frame.Path)
			require.Equal(t, model.OK, e.k.Task(writer).Err)
			require.Equal(t, b, e.k.Task(victim).Cgroup, "migrated before it could start exiting")
			require.Equal(t, model.NoTask, e.k.ThreadgroupWriter())
			e.runKernel(victim)
			require.True(t, e.k.Done(victim))
			require.Equal(t, b, e.k.Task(victim).Cgroup, "it exited in the destination")
		})
	}
}
