package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

func TestProcsWriteResolvesBeforeAttachLock(t *testing.T) {
	// 6.18's cgroup_procs_write_start resolves the pid under cgroup_mutex
	// and RCU, then takes the threadgroup rwsem (cgroup_attach_lock); up
	// to 6.17 it took the rwsem first. So a write that fails the lookup
	// (ESRCH, EINVAL for a PF_NO_SETAFFINITY kthread), and a thread moving
	// itself (cgroup.threads "0": CGRP_ATTACH_LOCK_NONE), return without
	// waiting for a fork that holds the rwsem for reading, and a write
	// that resolves a task takes the rwsem in a step of its own, then
	// waits for the fork.
	cases := []struct {
		name    string
		file    model.CgroupFile
		value   func(e *env, victim, kt model.TaskID) string
		waits   bool // it waits for the fork
		want    model.Errno
		writerB bool // the writer itself ends in /b
	}{
		{"no such pid", model.FileProcs, func(*env, model.TaskID, model.TaskID) string { return "999" }, false, model.ESRCH, false},
		{"bound kthread", model.FileProcs, func(e *env, _, kt model.TaskID) string { return e.pid(kt) }, false, model.EINVAL, false},
		{"parse error", model.FileProcs, func(*env, model.TaskID, model.TaskID) string { return "x" }, false, model.EINVAL, false},
		{"threads 0", model.FileThreads, func(*env, model.TaskID, model.TaskID) string { return "0" }, false, model.OK, true},
		{"procs 0", model.FileProcs, func(*env, model.TaskID, model.TaskID) string { return "0" }, true, model.OK, true},
		{"procs of a process", model.FileProcs, func(e *env, v, _ model.TaskID) string { return e.pid(v) }, true, model.OK, false},
		{"threads of a thread", model.FileThreads, func(e *env, v, _ model.TaskID) string { return e.pid(v) }, true, model.OK, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			kt := e.k.SetupKthread(false)
			var a, b model.CgroupID
			if c.file == model.FileThreads {
				_, a, b = e.threadedPair() // threads move within one threaded domain
			} else {
				a, b = e.mkdir(model.RootCG, "a"), e.mkdir(model.RootCG, "b")
			}
			victim := e.child(e.init, a)
			forker, writer := e.child(e.init, a), e.child(e.init, a)
			e.k.Fork(forker, model.CloneArgs{Cgroup: model.NoCgroup}) // holds the rwsem for reading
			e.k.WriteFile(writer, b, c.file, c.value(e, victim, kt))
			if !c.waits {
				require.Equal(t, model.KUser, e.k.Task(writer).Frame.Path, "returned in the first step")
				require.Equal(t, c.want, e.k.Task(writer).Err)
				require.Equal(t, model.NoTask, e.k.ThreadgroupWriter(), "never took the rwsem")
			} else {
				require.Equal(t, model.NoTask, e.k.ThreadgroupWriter(), "resolved, rwsem not yet taken")
				require.True(t, e.k.Runnable(writer))
				e.k.Step(writer) // cgroup_attach_lock
				require.Equal(t, writer, e.k.ThreadgroupWriter())
				require.False(t, e.k.Runnable(writer), "waits for the fork")
				e.runKernel(forker)
				require.True(t, e.k.Runnable(writer))
				e.k.Step(writer) // cgroup_attach_task
				require.Equal(t, model.KUser, e.k.Task(writer).Frame.Path)
				require.Equal(t, c.want, e.k.Task(writer).Err)
				require.Equal(t, model.NoTask, e.k.ThreadgroupWriter())
			}
			wantVictim, wantWriter := a, a
			if c.want == model.OK && !c.writerB {
				wantVictim = b
			}
			if c.writerB {
				wantWriter = b
			}
			require.Equal(t, wantVictim, e.k.Task(victim).Cgroup)
			require.Equal(t, wantWriter, e.k.Task(writer).Cgroup)
		})
	}
}

func TestProcsWriteTargetExitsBeforeAttachLock(t *testing.T) {
	// Between cgroup_procs_write_start's lookup and cgroup_attach_lock
	// (cpus_read_lock, percpu_down_write's rcu_sync_enter: sleeps) the
	// resolved process can exit, and even be reaped: the migration then
	// skips it (PF_EXITING) and the write returns success. Up to 6.17 the
	// lookup came after the lock: a process reaped before it gave ESRCH.
	for _, reaped := range []bool{false, true} {
		name := "zombie"
		if reaped {
			name = "reaped"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			a, b := e.mkdir(model.RootCG, "a"), e.mkdir(model.RootCG, "b")
			victim := e.child(e.init, a)
			writer := e.child(e.init, a)
			e.k.WriteFile(writer, b, model.FileProcs, e.pid(victim))
			require.Equal(t, model.KCgroupWrite, e.k.Task(writer).Frame.Path, "resolved; cgroup_attach_lock next")
			e.k.Exit(victim, 5)
			e.runKernel(victim)
			require.True(t, e.k.Done(victim), "no writer blocks exit_signals yet")
			if reaped {
				require.Equal(t, int32(0x500), e.reap(victim))
			}
			e.runKernel(writer)
			require.Equal(t, model.KUser, e.k.Task(writer).Frame.Path)
			require.Equal(t, model.OK, e.k.Task(writer).Err)
			require.Equal(t, a, e.k.Task(victim).Cgroup, "an exiting task is not migrated")
			require.False(t, e.k.Populated(b))
		})
	}
}
