package model_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// env is a machine for errno tests: an init (pid 1) in the root cgroup.
type env struct {
	t    *testing.T
	k    *model.Kernel
	init model.TaskID
}

func newEnv(t *testing.T, opts model.Options) *env {
	k := model.New(opts)
	return &env{t: t, k: k, init: k.SetupInit(model.UserRegs{})}
}

func (e *env) call(t model.TaskID, f func()) (int32, model.Errno) {
	return e.k.SetupCall(t, f)
}

func (e *env) mkdir(parent model.CgroupID, name string) model.CgroupID {
	r, err := e.call(e.init, func() { e.k.Mkdir(e.init, parent, name) })
	require.Equal(e.t, model.OK, err, "mkdir %s", name)
	return model.CgroupID(r)
}

func (e *env) write(t model.TaskID, c model.CgroupID, f model.CgroupFile, v string) model.Errno {
	_, err := e.call(t, func() { e.k.WriteFile(t, c, f, v) })
	return err
}

func (e *env) must(t model.TaskID, c model.CgroupID, f model.CgroupFile, v string) {
	require.Equal(e.t, model.OK, e.write(t, c, f, v), "write %q to %s", v, f)
}

func (e *env) fork(parent model.TaskID, flags uint32, cg model.CgroupID) (model.TaskID, model.Errno) {
	return e.k.SetupFork(parent, model.CloneArgs{Flags: flags, Cgroup: cg})
}

func (e *env) child(parent model.TaskID, cg model.CgroupID) model.TaskID {
	c, err := e.fork(parent, model.CLONE_INTO_CGROUP, cg)
	require.Equal(e.t, model.OK, err)
	return c
}

func (e *env) pid(t model.TaskID) string { return fmt.Sprint(e.k.PidIn(t, model.RootNS)) }

// threadedPair makes /dom with threaded children /dom/a and /dom/b.
func (e *env) threadedPair() (dom, a, b model.CgroupID) {
	dom = e.mkdir(model.RootCG, "dom")
	a, b = e.mkdir(dom, "a"), e.mkdir(dom, "b")
	e.must(e.init, a, model.FileType, "threaded")
	e.must(e.init, b, model.FileType, "threaded")
	return
}

func TestCgroupKillWriteErrno(t *testing.T) {
	// cgroup_kill_write: kstrtoint(strstrip(buf), 0, &kill); kill != 1 →
	// ERANGE; root has no cgroup.kill; threaded → EOPNOTSUPP. The values
	// and results are the ones probe kill_errno.c saw on 6.18.
	cases := []struct {
		in   string
		want model.Errno
		ret  int32
	}{
		{"1", model.OK, 1}, {"1\n", model.OK, 2}, {" 1 ", model.OK, 3}, {"0x1", model.OK, 3},
		{"01", model.OK, 2}, {"+1", model.OK, 2}, {"", model.OK, 0},
		{"0", model.ERANGE, -1}, {"2", model.ERANGE, -1}, {"-1", model.ERANGE, -1},
		{"99999999999", model.ERANGE, -1},
		{"abc", model.EINVAL, -1}, {"1abc", model.EINVAL, -1}, {" ", model.EINVAL, -1}, {"\n", model.EINVAL, -1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.in), func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			cg := e.mkdir(model.RootCG, "k")
			r, err := e.call(e.init, func() { e.k.WriteFile(e.init, cg, model.FileKill, c.in) })
			require.Equal(t, c.want, err)
			require.Equal(t, c.ret, r)
		})
	}
	e := newEnv(t, model.DefaultOptions())
	require.Equal(t, model.ENOENT, e.write(e.init, model.RootCG, model.FileKill, "1"), "root has no cgroup.kill")
	_, a, _ := e.threadedPair()
	require.Equal(t, model.EOPNOTSUPP, e.write(e.init, a, model.FileKill, "1"), "threaded cgroup")
	dom := model.CgroupID(1)
	require.Equal(t, "domain threaded\n", read(e, dom, model.FileType))
	require.Equal(t, model.OK, e.write(e.init, dom, model.FileKill, "1"), "domain threaded can be killed")
	gone := e.mkdir(model.RootCG, "gone")
	_, err := e.call(e.init, func() { e.k.Rmdir(e.init, gone) })
	require.Equal(t, model.OK, err)
	require.Equal(t, model.ENODEV, e.write(e.init, gone, model.FileKill, "1"), "write through a stale fd")
	_, err = e.k.ReadFile(e.init, cgOf(e, "k2"), model.FileKill)
	require.Equal(t, model.EINVAL, err, "cgroup.kill is not readable")
}

func cgOf(e *env, name string) model.CgroupID { return e.mkdir(model.RootCG, name) }

func read(e *env, c model.CgroupID, f model.CgroupFile) string {
	s, err := e.k.ReadFile(e.init, c, f)
	require.Equal(e.t, model.OK, err)
	return s
}

func TestCgroupFileErrno(t *testing.T) {
	type tc struct {
		name string
		run  func(e *env) model.Errno
		want model.Errno
	}
	cases := []tc{
		{"procs: unknown pid → ESRCH", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, "4000")
		}, model.ESRCH},
		{"procs: not a number → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, "abc")
		}, model.EINVAL},
		{"procs: negative → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, "-1")
		}, model.EINVAL},
		{"procs: out of range → EINVAL (not ERANGE)", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, "99999999999")
		}, model.EINVAL},
		{"procs: 0 moves the writer", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			c := e.child(e.init, model.RootCG)
			err := e.write(c, a, model.FileProcs, "0")
			if e.k.Task(c).Cgroup != a {
				return model.EPERM
			}
			return err
		}, model.OK},
		{"procs: into a domain invalid cgroup → EOPNOTSUPP", func(e *env) model.Errno {
			_, a, _ := e.threadedPair()
			inv := e.mkdir(a, "x") // child of a threaded cgroup
			require.Equal(e.t, "domain invalid\n", read(e, inv, model.FileType))
			c := e.child(e.init, model.RootCG)
			return e.write(e.init, inv, model.FileProcs, e.pid(c))
		}, model.EOPNOTSUPP},
		{"procs: no internal processes → EBUSY", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
			p := e.mkdir(model.RootCG, "p")
			e.mkdir(p, "c")
			e.must(e.init, p, model.FileSubtreeControl, "+memory")
			c := e.child(e.init, model.RootCG)
			return e.write(e.init, p, model.FileProcs, e.pid(c))
		}, model.EBUSY},
		{"procs: per-cpu kthread → EINVAL", func(e *env) model.Errno {
			kt := e.k.SetupKthread(false)
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, e.pid(kt))
		}, model.EINVAL},
		{"procs: movable kthread → OK", func(e *env) model.Errno {
			kt := e.k.SetupKthread(true)
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileProcs, e.pid(kt))
		}, model.OK},
		{"threads: across threaded domains → EOPNOTSUPP", func(e *env) model.Errno {
			_, a, _ := e.threadedPair()
			other := e.mkdir(model.RootCG, "other")
			c := e.child(e.init, a)
			return e.write(e.init, other, model.FileThreads, e.pid(c))
		}, model.EOPNOTSUPP},
		{"threads: within a threaded domain → OK", func(e *env) model.Errno {
			_, a, b := e.threadedPair()
			c := e.child(e.init, a)
			return e.write(e.init, b, model.FileThreads, e.pid(c))
		}, model.OK},
		{"procs read in a threaded cgroup → EOPNOTSUPP", func(e *env) model.Errno {
			_, a, _ := e.threadedPair()
			_, err := e.k.ReadFile(e.init, a, model.FileProcs)
			return err
		}, model.EOPNOTSUPP},
		{"mkdir: exists → EEXIST", func(e *env) model.Errno {
			e.mkdir(model.RootCG, "a")
			_, err := e.call(e.init, func() { e.k.Mkdir(e.init, model.RootCG, "a") })
			return err
		}, model.EEXIST},
		{"mkdir: newline in name → EINVAL", func(e *env) model.Errno {
			_, err := e.call(e.init, func() { e.k.Mkdir(e.init, model.RootCG, "a\nb") })
			return err
		}, model.EINVAL},
		{"mkdir: cgroup.max.depth 0 → EAGAIN", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.must(e.init, a, model.FileMaxDepth, "0")
			_, err := e.call(e.init, func() { e.k.Mkdir(e.init, a, "b") })
			return err
		}, model.EAGAIN},
		{"mkdir: cgroup.max.descendants 1 → EAGAIN", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.must(e.init, a, model.FileMaxDescendants, "1")
			e.mkdir(a, "b")
			_, err := e.call(e.init, func() { e.k.Mkdir(e.init, a, "c") })
			return err
		}, model.EAGAIN},
		{"max.depth: negative → ERANGE", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileMaxDepth, "-1")
		}, model.ERANGE},
		{"rmdir: populated → EBUSY", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.child(e.init, a)
			_, err := e.call(e.init, func() { e.k.Rmdir(e.init, a) })
			return err
		}, model.EBUSY},
		{"rmdir: has a child cgroup → EBUSY", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.mkdir(a, "b")
			_, err := e.call(e.init, func() { e.k.Rmdir(e.init, a) })
			return err
		}, model.EBUSY},
		{"type: 'domain' → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileType, "domain")
		}, model.EINVAL},
		{"type: threaded while populated → EOPNOTSUPP", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.child(e.init, a)
			return e.write(e.init, a, model.FileType, "threaded")
		}, model.EOPNOTSUPP},
		{"subtree_control: unknown controller → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, model.RootCG, model.FileSubtreeControl, "+bogus")
		}, model.EINVAL},
		{"subtree_control: no sign → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, model.RootCG, model.FileSubtreeControl, "memory")
		}, model.EINVAL},
		{"subtree_control: not enabled in the parent → ENOENT", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileSubtreeControl, "+memory")
		}, model.ENOENT},
		{"subtree_control: disable while a child has it → EBUSY", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
			a := e.mkdir(model.RootCG, "a")
			e.mkdir(a, "b")
			e.must(e.init, a, model.FileSubtreeControl, "+memory")
			b := model.CgroupID(2)
			e.must(e.init, b, model.FileSubtreeControl, "+memory")
			return e.write(e.init, a, model.FileSubtreeControl, "-memory")
		}, model.EBUSY},
		{"subtree_control: enable with processes → EBUSY", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
			a := e.mkdir(model.RootCG, "a")
			e.child(e.init, a)
			return e.write(e.init, a, model.FileSubtreeControl, "+memory")
		}, model.EBUSY},
		{"subtree_control: domain controller in a thread root → EOPNOTSUPP", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
			dom, _, _ := e.threadedPair()
			return e.write(e.init, dom, model.FileSubtreeControl, "+memory")
		}, model.EOPNOTSUPP},
		{"freeze: 2 → ERANGE", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileFreeze, "2")
		}, model.ERANGE},
		{"freeze: abc → EINVAL", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FileFreeze, "abc")
		}, model.EINVAL},
		{"freeze: root has no cgroup.freeze → ENOENT", func(e *env) model.Errno {
			return e.write(e.init, model.RootCG, model.FileFreeze, "1")
		}, model.ENOENT},
		{"pids.max: -1 → EINVAL", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+pids")
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FilePidsMax, "-1")
		}, model.EINVAL},
		{"pids.max: absent without +pids in the parent → ENOENT", func(e *env) model.Errno {
			return e.write(e.init, e.mkdir(model.RootCG, "a"), model.FilePidsMax, "5")
		}, model.ENOENT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, model.DefaultOptions())
			require.Equal(t, c.want, c.run(e))
			require.NoError(t, e.k.CheckInvariants())
		})
	}
}

func TestForkAndSyscallErrno(t *testing.T) {
	type tc struct {
		name string
		run  func(e *env) model.Errno
		want model.Errno
	}
	cases := []tc{
		{"clone: CLONE_THREAD without CLONE_SIGHAND → EINVAL", func(e *env) model.Errno {
			_, err := e.fork(e.child(e.init, model.RootCG), model.CLONE_THREAD, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"clone: CLONE_SIGHAND without CLONE_VM → EINVAL", func(e *env) model.Errno {
			_, err := e.fork(e.child(e.init, model.RootCG), model.CLONE_SIGHAND, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"clone: CLONE_PARENT from an init → EINVAL", func(e *env) model.Errno {
			_, err := e.fork(e.init, model.CLONE_PARENT, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"clone: CLONE_THREAD|CLONE_NEWPID → EINVAL", func(e *env) model.Errno {
			_, err := e.fork(e.child(e.init, model.RootCG), model.CLONE_THREAD|model.CLONE_SIGHAND|model.CLONE_VM|model.CLONE_NEWPID, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"clone: CLONE_THREAD after unshare(CLONE_NEWPID) → EINVAL", func(e *env) model.Errno {
			c := e.child(e.init, model.RootCG)
			e.call(c, func() { e.k.UnsharePidNS(c) })
			_, err := e.fork(c, model.CLONE_THREAD|model.CLONE_SIGHAND|model.CLONE_VM, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"clone: CLONE_NEWPID after unshare(CLONE_NEWPID) → EINVAL", func(e *env) model.Errno {
			c := e.child(e.init, model.RootCG)
			e.call(c, func() { e.k.UnsharePidNS(c) })
			_, err := e.fork(c, model.CLONE_NEWPID, model.NoCgroup)
			return err
		}, model.EINVAL},
		{"unshare(CLONE_NEWPID) twice → EINVAL", func(e *env) model.Errno {
			c := e.child(e.init, model.RootCG)
			e.call(c, func() { e.k.UnsharePidNS(c) })
			_, err := e.call(c, func() { e.k.UnsharePidNS(c) })
			return err
		}, model.EINVAL},
		{"clone: 33rd pid namespace level → ENOSPC", func(e *env) model.Errno {
			t := e.init
			for i := 0; i < model.MaxPidNSLevel; i++ {
				c, err := e.fork(t, model.CLONE_NEWPID, model.NoCgroup)
				require.Equal(e.t, model.OK, err, "level %d", i+1)
				t = c
			}
			_, err := e.fork(t, model.CLONE_NEWPID, model.NoCgroup)
			return err
		}, model.ENOSPC},
		{"fork in a dead pid namespace → ENOMEM (regression_enomem)", func(e *env) model.Errno {
			c := e.child(e.init, model.RootCG)
			e.call(c, func() { e.k.UnsharePidNS(c) })
			first, err := e.fork(c, 0, model.NoCgroup) // pid 1 of the new namespace
			require.Equal(e.t, model.OK, err)
			require.Equal(e.t, int32(1), e.k.PidIn(first, e.k.Task(first).NS))
			e.call(first, func() { e.k.ExitGroup(first, 0) })
			e.call(c, func() { e.k.Wait(c, -1, 0) })
			_, err = e.fork(c, 0, model.NoCgroup)
			return err
		}, model.ENOMEM},
		{"setns into an ancestor namespace → EINVAL", func(e *env) model.Errno {
			c, _ := e.fork(e.init, model.CLONE_NEWPID, model.NoCgroup)
			_, err := e.call(c, func() { e.k.Setns(c, model.RootNS) })
			return err
		}, model.EINVAL},
		{"fork beyond pids.max → EAGAIN", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+pids")
			a := e.mkdir(model.RootCG, "a")
			e.must(e.init, a, model.FilePidsMax, "2")
			c := e.child(e.init, a)
			_, err := e.fork(c, 0, model.NoCgroup)
			require.Equal(e.t, model.OK, err)
			_, err = e.fork(c, 0, model.NoCgroup)
			return err
		}, model.EAGAIN},
		{"fork with the pid space full → EAGAIN", func(e *env) model.Errno {
			var err model.Errno
			for i := 0; i < 10 && err == model.OK; i++ {
				_, err = e.fork(e.init, 0, model.NoCgroup)
			}
			return err
		}, model.EAGAIN},
		{"CLONE_INTO_CGROUP into a removed cgroup → ENOENT", func(e *env) model.Errno {
			a := e.mkdir(model.RootCG, "a")
			e.call(e.init, func() { e.k.Rmdir(e.init, a) })
			_, err := e.fork(e.init, model.CLONE_INTO_CGROUP, a)
			return err
		}, model.ENOENT},
		{"CLONE_INTO_CGROUP into a domain invalid cgroup → EOPNOTSUPP", func(e *env) model.Errno {
			_, a, _ := e.threadedPair()
			inv := e.mkdir(a, "x")
			_, err := e.fork(e.init, model.CLONE_INTO_CGROUP, inv)
			return err
		}, model.EOPNOTSUPP},
		{"CLONE_INTO_CGROUP into a cgroup with controllers → EBUSY", func(e *env) model.Errno {
			e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
			p := e.mkdir(model.RootCG, "p")
			e.mkdir(p, "c")
			e.must(e.init, p, model.FileSubtreeControl, "+memory")
			_, err := e.fork(e.init, model.CLONE_INTO_CGROUP, p)
			return err
		}, model.EBUSY},
		{"kill: no such pid → ESRCH", func(e *env) model.Errno {
			_, err := e.call(e.init, func() { e.k.Kill(e.init, 999, model.SIGTERM) })
			return err
		}, model.ESRCH},
		{"kill: a pid of another namespace is not visible → ESRCH", func(e *env) model.Errno {
			c, _ := e.fork(e.init, model.CLONE_NEWPID, model.NoCgroup)
			// pid 2 exists in the root namespace (c), not in c's namespace.
			_, err := e.call(c, func() { e.k.Kill(c, 2, model.SIGTERM) })
			return err
		}, model.ESRCH},
		{"sigaction(SIGKILL) → EINVAL", func(e *env) model.Errno {
			_, err := e.call(e.init, func() { e.k.Sigaction(e.init, model.SIGKILL, model.SigIgnore, false) })
			return err
		}, model.EINVAL},
		{"wait with no children → ECHILD", func(e *env) model.Errno {
			_, err := e.call(e.init, func() { e.k.Wait(e.init, -1, model.WALL) })
			return err
		}, model.ECHILD},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := model.DefaultOptions()
			if c.name == "fork with the pid space full → EAGAIN" {
				opts.PidMax = 6
			}
			e := newEnv(t, opts)
			require.Equal(t, c.want, c.run(e))
			require.NoError(t, e.k.CheckInvariants())
		})
	}
}
