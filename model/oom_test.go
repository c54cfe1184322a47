package model_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// memEnv is a machine whose root enables +memory: every child of the root
// is a memcg.
func memEnv(t *testing.T) *env {
	e := newEnv(t, model.DefaultOptions())
	e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
	return e
}

// oom runs t's OOM in memcg (hog the named memory hog) to completion.
func (e *env) oom(t model.TaskID, memcg model.CgroupID, hog model.TaskID) model.Errno {
	e.t.Helper()
	_, err := e.call(t, func() { e.k.OOM(t, memcg, hog) })
	e.invariants()
	return err
}

func (e *env) dead(ts ...model.TaskID) {
	e.t.Helper()
	for _, v := range ts {
		require.True(e.t, e.k.Doomed(v), "%s should be killed", e.k.Describe(v))
	}
}

func (e *env) alive(ts ...model.TaskID) {
	e.t.Helper()
	for _, v := range ts {
		require.False(e.t, e.k.Doomed(v), "%s should be alive", e.k.Describe(v))
	}
}

// TestMemoryOomGroupFile: memory.oom.group exists where the parent
// enables +memory, not on the root (CFTYPE_NOT_ON_ROOT);
// memory_oom_group_write parses with kstrtoint(strstrip(buf), 0) and
// refuses anything but 0 and 1 with EINVAL.
func TestMemoryOomGroupFile(t *testing.T) {
	cases := []struct {
		in   string
		want model.Errno
		read string
	}{
		{"1", model.OK, "1\n"}, {"1\n", model.OK, "1\n"}, {" 1 ", model.OK, "1\n"}, {"0x1", model.OK, "1\n"},
		{"0", model.OK, "0\n"}, {"00", model.OK, "0\n"}, {"", model.OK, "0\n"},
		{"2", model.EINVAL, "0\n"}, {"-1", model.EINVAL, "0\n"}, {"max", model.EINVAL, "0\n"},
		{"1 1", model.EINVAL, "0\n"}, {"99999999999", model.ERANGE, "0\n"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.in), func(t *testing.T) {
			e := memEnv(t)
			x := e.mkdir(model.RootCG, "x")
			require.Equal(t, c.want, e.write(e.init, x, model.FileMemoryOomGroup, c.in))
			s, err := e.k.ReadFile(e.init, x, model.FileMemoryOomGroup)
			require.Equal(t, model.OK, err)
			require.Equal(t, c.read, s)
		})
	}
	t.Run("where it exists", func(t *testing.T) {
		e := newEnv(t, model.DefaultOptions())
		x := e.mkdir(model.RootCG, "x")
		y := e.mkdir(x, "y")
		require.Equal(t, model.ENOENT, e.write(e.init, x, model.FileMemoryOomGroup, "1"), "the root does not enable +memory")
		e.must(e.init, model.RootCG, model.FileSubtreeControl, "+memory")
		require.Equal(t, model.ENOENT, e.write(e.init, model.RootCG, model.FileMemoryOomGroup, "1"), "not on the root")
		require.Equal(t, model.ENOENT, e.write(e.init, y, model.FileMemoryOomGroup, "1"), "/x does not enable +memory")
		e.must(e.init, x, model.FileMemoryOomGroup, "1")
		e.must(e.init, x, model.FileSubtreeControl, "+memory")
		e.must(e.init, y, model.FileMemoryOomGroup, "1")
		// Disabling +memory destroys the children's memcgs; a new one
		// starts with oom_group 0.
		e.must(e.init, x, model.FileSubtreeControl, "-memory")
		e.must(e.init, x, model.FileSubtreeControl, "+memory")
		s, _ := e.k.ReadFile(e.init, y, model.FileMemoryOomGroup)
		require.Equal(t, "0\n", s)
		_, err := e.call(e.init, func() { e.k.Rmdir(e.init, y) })
		require.Equal(t, model.OK, err)
		require.Equal(t, model.ENODEV, e.write(e.init, y, model.FileMemoryOomGroup, "1"), "an fd opened before rmdir")
	})
}

// TestOOMGroupKill: an OOM in /x with memory.oom.group set kills the
// victim, then every process of /x and of its descendant memcgs; without
// it only the victim dies.
func TestOOMGroupKill(t *testing.T) {
	for _, group := range []bool{true, false} {
		t.Run(fmt.Sprintf("oom.group=%v", group), func(t *testing.T) {
			e := memEnv(t)
			x := e.mkdir(model.RootCG, "x")
			e.must(e.init, x, model.FileSubtreeControl, "+memory")
			a := e.mkdir(x, "a")
			if group {
				e.must(e.init, x, model.FileMemoryOomGroup, "1")
			}
			out := e.child(e.init, model.RootCG)
			// x has +memory in its subtree_control: its processes live in
			// /x/a (no internal processes).
			hog, p, q := e.child(e.init, a), e.child(e.init, a), e.child(e.init, a)
			require.Equal(t, model.OK, e.oom(p, x, hog), "p allocates, hog holds the memory")
			e.dead(hog)
			if group {
				e.dead(p, q)
			} else {
				e.alive(p, q)
			}
			e.alive(out, e.init)
			require.True(t, e.k.GroupOf(hog).OomVictim)
			require.Equal(t, model.NoTask, e.k.OomLockOwner())
		})
	}
}

// TestOOMVictimSelection: select_bad_process with oom_evaluate_task and
// oom_badness on a machine without memory: the named hog first, else the
// highest oom_score_adj, else the first process of the walk; the global
// init, kthreads and oom_score_adj -1000 never; an OOM victim still
// holding its memory aborts the selection.
func TestOOMVictimSelection(t *testing.T) {
	type procs struct{ a, b, c model.TaskID }
	cases := []struct {
		name   string
		setup  func(e *env, p procs)
		hog    func(p procs) model.TaskID
		want   model.Errno
		killed func(p procs) []model.TaskID
	}{
		{"the hog", nil, func(p procs) model.TaskID { return p.b }, model.OK, func(p procs) []model.TaskID { return []model.TaskID{p.b} }},
		{"no hog: the first of the walk", nil, func(procs) model.TaskID { return model.NoTask }, model.OK, func(p procs) []model.TaskID { return []model.TaskID{p.a} }},
		{"no hog: the highest oom_score_adj", func(e *env, p procs) {
			require.Equal(e.t, model.OK, e.k.SetupOomScoreAdj(p.c, 500))
		}, func(procs) model.TaskID { return model.NoTask }, model.OK, func(p procs) []model.TaskID { return []model.TaskID{p.c} }},
		{"an exempt hog is passed over", func(e *env, p procs) {
			require.Equal(e.t, model.OK, e.k.SetupOomScoreAdj(p.b, model.OOM_SCORE_ADJ_MIN))
		}, func(p procs) model.TaskID { return p.b }, model.OK, func(p procs) []model.TaskID { return []model.TaskID{p.a} }},
		{"every process exempt", func(e *env, p procs) {
			for _, v := range []model.TaskID{p.a, p.b, p.c} {
				require.Equal(e.t, model.OK, e.k.SetupOomScoreAdj(v, model.OOM_SCORE_ADJ_MIN))
			}
		}, func(p procs) model.TaskID { return p.a }, model.ENOMEM, func(procs) []model.TaskID { return nil }},
		{"a victim in flight aborts", func(e *env, p procs) {
			// c was killed by an earlier OOM and has not exited yet.
			require.Equal(e.t, model.OK, e.oom(p.a, model.CgroupID(1), p.c))
		}, func(p procs) model.TaskID { return p.b }, model.EAGAIN, func(p procs) []model.TaskID { return []model.TaskID{p.c} }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := memEnv(t)
			x := e.mkdir(model.RootCG, "x")
			require.Equal(t, model.CgroupID(1), x)
			p := procs{e.child(e.init, x), e.child(e.init, x), e.child(e.init, x)}
			if c.setup != nil {
				c.setup(e, p)
			}
			require.Equal(t, c.want, e.oom(p.a, x, c.hog(p)))
			killed := c.killed(p)
			for _, v := range []model.TaskID{p.a, p.b, p.c} {
				require.Equal(t, contains(killed, v), e.k.Doomed(v), "%s", e.k.Describe(v))
			}
		})
	}
	t.Run("global OOM", func(t *testing.T) {
		e := memEnv(t)
		x := e.mkdir(model.RootCG, "x")
		a := e.child(e.init, x)
		kt := e.k.SetupKthread(true)
		require.Equal(t, model.OK, e.oom(e.init, model.RootCG, e.init), "init is never chosen, kthreads neither")
		e.dead(a)
		e.alive(e.init)
		require.False(t, e.k.Doomed(kt))
	})
}

func contains(ts []model.TaskID, v model.TaskID) bool {
	for _, t := range ts {
		if t == v {
			return true
		}
	}
	return false
}

// TestOOMGroupIsTheHighestAncestor: mem_cgroup_get_oom_group walks from
// the victim's memcg up to the OOMing memcg and takes the highest one
// with memory.oom.group set; nothing above the OOMing memcg counts.
func TestOOMGroupIsTheHighestAncestor(t *testing.T) {
	cases := []struct {
		name    string
		groupAt []string // cgroups with memory.oom.group 1
		oomIn   string
		dies    []string // processes killed, by cgroup
	}{
		{"only the leaf", []string{"/x/a"}, "/x", []string{"a"}},
		{"the top one", []string{"/x", "/x/a"}, "/x", []string{"a", "b"}},
		{"not above the OOMing memcg", []string{"/x"}, "/x/a", []string{"a-hog"}},
		{"none", nil, "/x", []string{"a-hog"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := memEnv(t)
			x := e.mkdir(model.RootCG, "x")
			e.must(e.init, x, model.FileSubtreeControl, "+memory")
			cg := map[string]model.CgroupID{"/x": x, "/x/a": e.mkdir(x, "a"), "/x/b": e.mkdir(x, "b")}
			for _, p := range c.groupAt {
				e.must(e.init, cg[p], model.FileMemoryOomGroup, "1")
			}
			procs := map[string]model.TaskID{}
			procs["a-hog"] = e.child(e.init, cg["/x/a"])
			procs["a"] = e.child(e.init, cg["/x/a"])
			procs["b"] = e.child(e.init, cg["/x/b"])
			require.Equal(t, model.OK, e.oom(procs["a"], cg[c.oomIn], procs["a-hog"]))
			dies := map[string]bool{"a-hog": true}
			for _, d := range c.dies {
				dies[d] = true
			}
			for name, v := range procs {
				require.Equal(t, dies[name], e.k.Doomed(v), name)
			}
		})
	}
}

// TestOOMGroupKillReachesZombieLeaders: a process whose leader has exited
// (pthread_exit) while a thread runs is listed by its zombie leader;
// __oom_kill_process finds the live thread (find_lock_task_mm) and sends
// SIGKILL to the thread group, so the process dies. cgroup.kill sends it
// to the zombie leader alone and the process survives (probe Q2).
func TestOOMGroupKillReachesZombieLeaders(t *testing.T) {
	for _, kill := range []string{"oom", "cgroup.kill"} {
		t.Run(kill, func(t *testing.T) {
			e := memEnv(t)
			x := e.mkdir(model.RootCG, "x")
			e.must(e.init, x, model.FileMemoryOomGroup, "1")
			hog := e.child(e.init, x)
			l := e.child(e.init, x)
			th, err := e.fork(l, model.CLONE_THREAD|model.CLONE_SIGHAND|model.CLONE_VM, model.NoCgroup)
			require.Equal(t, model.OK, err)
			e.k.Exit(l, 0)
			runUntilBlocked(e.k, l)
			require.Equal(t, model.ExitZombie, e.k.Task(l).Exit)
			if kill == "oom" {
				require.Equal(t, model.OK, e.oom(hog, x, hog))
				require.True(t, e.k.Doomed(th), "the live thread dies with its process")
				require.NotZero(t, e.k.Cover&model.CovOOMKillViaOtherThread)
			} else {
				e.must(e.init, x, model.FileKill, "1")
				require.False(t, e.k.Doomed(th), "the SIGKILL went to the zombie leader only")
			}
		})
	}
}

// TestOOMExemptions: oom_kill_memcg_member skips processes with
// oom_score_adj -1000, which their children inherit (copy_signal), and
// the global init.
func TestOOMExemptions(t *testing.T) {
	e := memEnv(t)
	x := e.mkdir(model.RootCG, "x")
	e.must(e.init, x, model.FileMemoryOomGroup, "1")
	hog := e.child(e.init, x)
	keep := e.child(e.init, x)
	require.Equal(t, model.OK, e.k.SetupOomScoreAdj(keep, model.OOM_SCORE_ADJ_MIN))
	kid := e.child(keep, x)
	require.Equal(t, int16(model.OOM_SCORE_ADJ_MIN), e.k.GroupOf(kid).OomScoreAdj, "inherited at fork")
	other := e.child(e.init, x)
	require.Equal(t, model.EINVAL, e.k.SetupOomScoreAdj(other, 1001))
	// The global init in the oom group.
	_, err := e.call(e.init, func() { e.k.WriteFile(e.init, x, model.FileProcs, "1") })
	require.Equal(t, model.OK, err)
	require.Equal(t, model.OK, e.oom(hog, x, hog))
	e.dead(hog, other)
	e.alive(keep, kid, e.init)
}

// TestOOMResults: the model's results of an OOM event that kills nobody.
func TestOOMResults(t *testing.T) {
	e := memEnv(t)
	x := e.mkdir(model.RootCG, "x")
	y := e.mkdir(model.RootCG, "y")
	e.must(e.init, x, model.FileMemoryOomGroup, "1")
	a := e.child(e.init, x)
	b := e.child(e.init, x)
	noMem := e.mkdir(x, "z") // /x does not enable +memory: no memcg
	require.Equal(t, model.ENOENT, e.oom(a, noMem, model.NoTask), "no memory css, no memory.max to hit")
	require.Equal(t, model.ENOENT, e.oom(a, model.CgroupID(99), model.NoTask))
	require.Equal(t, model.EINVAL, e.oom(a, y, model.NoTask), "a's memory is not charged to /y")
	e.alive(a, b)
	// The chosen victim is already exiting as a whole (task_will_free_mem):
	// it is marked, nobody is killed, the oom group survives.
	e.k.ExitGroup(b, 0)
	require.True(t, e.k.GroupOf(b).Flags&model.SIGNAL_GROUP_EXIT != 0)
	require.Equal(t, model.EAGAIN, e.oom(a, x, b))
	e.alive(a)
	require.True(t, e.k.GroupOf(b).OomVictim)
}

// TestOOMLockSerializes: a second OOM waits for oom_lock
// (mutex_lock_killable) and gives up with EINTR when it is killed.
func TestOOMLockSerializes(t *testing.T) {
	e := memEnv(t)
	x := e.mkdir(model.RootCG, "x")
	e.must(e.init, x, model.FileMemoryOomGroup, "1")
	a, b := e.child(e.init, x), e.child(e.init, x)
	k := e.k
	k.OOM(a, x, a)
	require.Equal(t, a, k.OomLockOwner())
	k.OOM(b, x, b)
	require.False(t, k.Runnable(b), "b sleeps on oom_lock")
	runUntilBlocked(k, a) // the walk SIGKILLs b too
	require.True(t, k.FatalSignalPending(b))
	require.True(t, k.Runnable(b))
	runUntilBlocked(k, b)
	require.Equal(t, model.EAGAIN, k.Task(b).Err, "current is dying: no second kill")
	e.invariants()
	// Killed while the lock is held: EINTR.
	e2 := memEnv(t)
	x2 := e2.mkdir(model.RootCG, "x")
	c, d := e2.child(e2.init, x2), e2.child(e2.init, x2)
	e2.k.OOM(c, x2, c)
	e2.k.OOM(d, x2, d)
	e2.k.Kill(e2.init, e2.k.PidIn(d, model.RootNS), model.SIGKILL)
	require.True(t, e2.k.Runnable(d))
	e2.k.Step(d)
	require.Equal(t, model.EINTR, e2.k.Task(d).Err)
	e2.invariants()
}

// TestMemcgTaskOrder: an iterator on a memory css walks its e_csets, the
// css_sets of the memcg and of its descendants without a memory css, in
// the order they were created, not cgroup by cgroup.
func TestMemcgTaskOrder(t *testing.T) {
	e := memEnv(t)
	x := e.mkdir(model.RootCG, "x")
	sub := e.mkdir(x, "sub") // no memcg of its own: /x does not enable +memory
	a0 := e.child(e.init, x)
	a := e.child(e.init, x)
	s1 := e.child(e.init, sub)
	require.Equal(t, model.OK, e.k.SetupMoveV1(a, "v")) // a's new css_set comes after sub's
	s2 := e.child(e.init, sub)
	b := e.child(e.init, x)
	require.Equal(t, x, e.k.MemcgOf(sub))
	// Creation order: /x's first css_set (a0, b), /x/sub's (s1, s2), /x v1=v (a).
	require.Equal(t, []model.TaskID{a0, b, s1, s2, a}, e.k.IterTasks(x, model.IterProcs|model.IterMemcg))
	require.Equal(t, []model.TaskID{a0, b, a}, e.k.IterTasks(x, model.IterProcs), "the self css walks /x's own css_sets")
	// a goes back to /x's first css_set (at its tail), which frees the
	// v1=v one; a css_set created now comes last.
	n := e.k.NumCsets()
	require.Equal(t, model.OK, e.k.SetupMoveV1(a, ""))
	e.invariants()
	c := e.child(e.init, x)
	require.Equal(t, model.OK, e.k.SetupMoveV1(c, "w"))
	require.Equal(t, n, e.k.NumCsets(), "the freed slot is reused")
	require.Equal(t, []model.TaskID{a0, b, a, s1, s2, c}, e.k.IterTasks(x, model.IterProcs|model.IterMemcg))
	e.invariants()
}
