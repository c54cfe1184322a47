package sim_test

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim/explore"
)

// shortestByClass searches m breadth first over (coverage, state) pairs,
// as a keep-going search keys them, expanding no violating state, and
// returns the length of the shortest run to each distinct counterexample
// (violation and coverage), keyed as classOf keys it.
func shortestByClass(t *testing.T, m explore.Model, maxStates int) map[string]int {
	t.Helper()
	type node struct {
		m     explore.Model
		depth int
	}
	key := func(c explore.Model) string {
		b := binary.AppendUvarint(nil, c.(explore.Coverer).Coverage())
		return string(c.AppendKey(b))
	}
	seen := map[string]bool{key(m): true}
	queue := []node{{m.Clone(), 0}}
	best := map[string]int{}
	note := func(v string, c explore.Model, depth int) {
		k := classOf(v, c.(explore.Coverer).Coverage())
		if d, ok := best[k]; !ok || depth < d {
			best[k] = depth
		}
	}
	var en []int
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		en = n.m.Enabled(en[:0])
		if len(en) == 0 {
			if v := n.m.Check(true); v != "" {
				note(v, n.m, n.depth)
			}
			continue
		}
		for _, a := range en {
			c := n.m.Clone()
			c.Step(a)
			k := key(c)
			if seen[k] {
				continue
			}
			seen[k] = true
			require.Less(t, len(seen), maxStates, "the breadth-first search outgrew its bound")
			if v := c.Check(false); v != "" {
				note(v, c, n.depth+1)
				continue
			}
			queue = append(queue, node{c, n.depth + 1})
		}
	}
	return best
}

func classOf(v string, cov uint64) string {
	return v + " reaching " + strings.Join(model.Coverage(cov).Names(), ", ")
}

// TestKeepGoingReportsBothKillSeqWindows: on the bundled fork-vs-kill
// under kill=seq, a keep-going search reports both kill_seq windows as
// distinct counterexamples, window 1 (the fork passed its fatal-signal
// check before the kill's SIGKILL, and cgroup_post_fork linked the child
// behind the walk) and window 2 (the whole fork after the walk passed the
// forker, before its SIGKILL), besides window 1 with cgroup_post_fork
// after the write returned. They end in the same state, so a search
// keyed by state alone reported only the first found. Each replays to
// its own coverage and is as short as the shortest run of its class.
func TestKeepGoingReportsBothKillSeqWindows(t *testing.T) {
	s, ok := scenarios.Lookup("fork-vs-kill")
	require.True(t, ok)
	w, err := s.Build(optsWith(model.KillSeq))
	require.NoError(t, err)
	b := s.Bounds
	b.KeepGoing = true
	rep := explore.Exhaustive(w, b)
	require.True(t, rep.Complete)

	got := map[string]int{}
	for _, c := range rep.Counterexamples {
		r := explore.RunObserved(w, c.Schedule, 0, nil)
		require.Equal(t, c.Violation, r.Violation, "replays: %s", c.Schedule)
		require.Equal(t, len(c.Schedule), r.Steps, "the schedule is the whole run: %s", c.Schedule)
		var cov uint64
		explore.RunObserved(w, c.Schedule, 0, func(_, _ int, m explore.Model) { cov = m.(explore.Coverer).Coverage() })
		assert.Equal(t, c.Coverage, cov, "replays to its window: %s", c.Schedule)
		got[classOf(c.Violation, c.Coverage)] = len(c.Schedule)
		t.Logf("%s: %d steps: %s", classOf(c.Violation, c.Coverage), len(c.Schedule), c.Schedule)
	}
	window1 := model.CovForkPassedSigcheckBeforeKill | model.CovPostForkAfterKillWalk
	window2 := model.CovPostForkAfterKillWalk
	found := map[model.Coverage]bool{}
	for _, c := range rep.Counterexamples {
		found[model.Coverage(c.Coverage)] = true
	}
	assert.True(t, found[window1], "window 1 reported")
	assert.True(t, found[window2], "window 2 reported")

	// Every class a breadth-first search over the same (coverage, state)
	// pairs finds, and each at its shortest.
	assert.Equal(t, shortestByClass(t, w, 100_000), got)
}

// TestKeepGoingSymmetryKeepsWindows: symmetry reduction keys a state by
// its representative, after the same coverage prefix, so a keep-going
// search reduced by symmetry reports the same race windows as the full
// one: the same (violated property, coverage points) pairs. (The
// violation messages name tasks, which a renaming changes.)
func TestKeepGoingSymmetryKeepsWindows(t *testing.T) {
	if raceOn {
		t.Skip("skipped under -race (see TestReducedAgreesWithFull)")
	}
	windows := func(rep explore.Report) []string {
		var out []string
		for _, c := range rep.Counterexamples {
			out = append(out, classOf(strings.SplitN(c.Violation, ":", 2)[0], c.Coverage))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	worlds := symmetryWorlds(t)
	checked := 0
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w := worlds[name]
		b := explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, MaxStates: 100_000}
		full := explore.Exhaustive(w, b)
		if full.Truncated {
			continue
		}
		b.Reduce = explore.ReduceSymmetry
		red := explore.Exhaustive(w, b)
		require.False(t, red.Truncated, name)
		require.Equal(t, explore.ReduceSymmetry, red.Reduced, "%s: %s", name, red.ReductionNote)
		assert.Equal(t, windows(full), windows(red), name)
		t.Logf("%s: %d windows; full %d states, symmetry %d", name, len(windows(full)), full.States, red.States)
		checked++
	}
	require.Positive(t, checked)
}
