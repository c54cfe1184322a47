package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
)

// pids renders tasks as the pids a root-namespace reader sees.
func (e *env) pids(ts []model.TaskID) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, e.pid(t))
	}
	return out
}

func (e *env) procs(c model.CgroupID) []string {
	s, err := e.k.ReadFile(e.init, c, model.FileProcs)
	require.Equal(e.t, model.OK, err)
	return splitLines(s)
}

func splitLines(s string) []string {
	out := []string{}
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func (e *env) invariants() {
	e.t.Helper()
	require.NoError(e.t, e.k.CheckInvariants())
}

// TestCssSetOrderMatchesKernel replays probe Q12 (docs/kernel-probes.md,
// docs/probes/csets.sh) on the model: four processes in one v2 cgroup,
// then moves in a v1 hierarchy. cgroup.procs lists css_set by css_set in
// the order the css_sets were created (link_css_set adds at the tail of
// cgrp->cset_links), each css_set's tasks in the order they were linked
// (css_set_move_task adds at the tail). The expected orders are what
// 6.18.44 printed.
func TestCssSetOrderMatchesKernel(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	x := e.mkdir(model.RootCG, "x")
	var a, b, c, d model.TaskID
	for _, p := range []*model.TaskID{&a, &b, &c, &d} {
		*p = e.child(e.init, x)
	}
	steps := []struct {
		what string
		do   func()
		want []model.TaskID
	}{
		{"started in order, one css_set", func() {}, []model.TaskID{a, b, c, d}},
		{"B moved to a v1 cgroup: a new css_set at the tail", func() { require.Equal(t, model.OK, e.k.SetupMoveV1(b, "cpu:/p")) }, []model.TaskID{a, c, d, b}},
		{"A moved there too: the tail of B's css_set", func() { require.Equal(t, model.OK, e.k.SetupMoveV1(a, "cpu:/p")) }, []model.TaskID{c, d, b, a}},
		{"B, then A back to the v1 root: the tail of the first css_set", func() {
			require.Equal(t, model.OK, e.k.SetupMoveV1(b, ""))
			require.Equal(t, model.OK, e.k.SetupMoveV1(a, ""))
		}, []model.TaskID{c, d, b, a}},
	}
	for _, st := range steps {
		st.do()
		e.invariants()
		require.Equal(t, e.pids(st.want), e.procs(x), st.what)
	}
	// The emptied css_set of the v1 cgroup was freed: one css_set is left.
	require.Len(t, e.k.Csets(x), 1)
}

// TestCssSetLifetime follows the references of css_sets: a task holds its
// css_set until it is freed (a zombie keeps it); CLONE_INTO_CGROUP and
// migration find or create the css_set with the same v1 cgroups in the
// destination; the last reference frees it and a new one goes to the
// tail of cset_links.
func TestCssSetLifetime(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	x := e.mkdir(model.RootCG, "x")
	y := e.mkdir(model.RootCG, "y")
	p := e.child(e.init, x)
	require.Equal(t, model.OK, e.k.SetupMoveV1(p, "a"))
	q := e.child(e.init, x)
	csX := e.k.Csets(x)
	require.Len(t, csX, 2, "the v1 root's css_set of /x was freed when p left it, then created again for q")
	require.Equal(t, "a", e.k.V1Name(e.k.Cset(csX[0]).V1))
	require.Equal(t, "", e.k.V1Name(e.k.Cset(csX[1]).V1))

	// A child of p cloned into /y gets the css_set (/y, a).
	c := e.child(p, y)
	require.Equal(t, model.OK, e.k.SetupMoveV1(q, "b"))
	e.must(e.init, y, model.FileProcs, e.pid(q))
	e.invariants()
	require.Equal(t, []string{e.pid(c), e.pid(q)}, e.procs(y))
	cy := e.k.Csets(y)
	require.Len(t, cy, 2)
	require.Equal(t, "a", e.k.V1Name(e.k.Cset(cy[0]).V1))
	require.Equal(t, "b", e.k.V1Name(e.k.Cset(cy[1]).V1))

	// c exits: the zombie keeps (/y, a) alive, so a new task with the same
	// placement joins it instead of creating a css_set at the tail.
	e.call(c, func() { e.k.Exit(c, 3) }) // EBUSY: an exited task never returns
	require.Equal(t, model.ExitZombie, e.k.Task(c).Exit)
	require.Equal(t, []string{e.pid(q)}, e.procs(y))
	e.must(e.init, y, model.FileProcs, e.pid(p))
	e.invariants()
	require.Equal(t, cy, e.k.Csets(y), "the zombie's css_set is still first")
	require.Equal(t, []string{e.pid(p), e.pid(q)}, e.procs(y))
}

// TestThreadedCsetsWalkedAfterTheirDomain checks CSS_TASK_ITER_THREADED:
// a thread root's cgroup.procs (and cgroup.kill) walk each of its css_sets
// followed by the css_sets of its threaded descendants whose dom_cset it
// is, so a leader that moved into a threaded child is listed right after
// the processes of the css_set it shares its v1 cgroups with.
func TestThreadedCsetsWalkedAfterTheirDomain(t *testing.T) {
	e := newEnv(t, model.DefaultOptions())
	dom := e.mkdir(model.RootCG, "dom")
	p1 := e.child(e.init, dom)
	p3 := e.child(e.init, dom)
	th3, err := e.fork(p3, model.CLONE_THREAD|model.CLONE_SIGHAND|model.CLONE_VM, model.NoCgroup)
	require.Equal(t, model.OK, err)
	p2 := e.child(e.init, dom)
	require.Equal(t, model.OK, e.k.SetupMoveV1(p2, "x"))
	thr := e.mkdir(dom, "thr")
	e.must(e.init, thr, model.FileType, "threaded")
	// p3's leader thread moves into the threaded child; its other thread
	// stays in /dom.
	e.must(e.init, thr, model.FileThreads, e.pid(p3))
	e.invariants()
	require.Equal(t, []string{e.pid(p1), e.pid(p3), e.pid(p2)}, e.procs(dom),
		"(/dom) then its threaded css_set (/dom/thr), then (/dom, x)")
	threads, rerr := e.k.ReadFile(e.init, dom, model.FileThreads)
	require.Equal(t, model.OK, rerr)
	require.Equal(t, []string{e.pid(p1), e.pid(th3), e.pid(p2)}, splitLines(threads), "cgroup.threads walks /dom's own css_sets only")
	cs := e.k.Csets(dom)
	require.Len(t, cs, 2)
	require.Len(t, e.k.ThreadedCsets(cs[0]), 1)
	require.Empty(t, e.k.ThreadedCsets(cs[1]))
}
