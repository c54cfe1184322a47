package sim_test

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// recorded is a world that records what a search saw: the key of every
// quiescent state it checked, the coverage points of every state it
// checked, and the violations.
type recorded struct {
	*sim.World
	rec *record
}

type record struct {
	finals     map[string]bool
	cover      model.Coverage
	violations map[string]bool
	// canon, if set, keys the quiescent states by their representative
	// under symmetry (World.Symmetry), for a comparison up to renaming.
	canon func(c, scratch explore.Model) explore.Model
	// dead keys the quiescent states without their dead values
	// (World.WithDeadValues), for a comparison with ReduceDead.
	dead bool
}

func newRecorded(w *sim.World) recorded {
	return recorded{w, &record{finals: map[string]bool{}, violations: map[string]bool{}}}
}

func (r recorded) Clone() explore.Model { return recorded{r.World.CloneWorld(), r.rec} }

func (r recorded) CloneInto(dst explore.Model) explore.Model {
	return recorded{r.World.CloneInto(dst.(recorded).World).(*sim.World), r.rec}
}

func (r recorded) SameComponents(prev explore.Model, buf []int32) []int32 {
	return r.World.SameComponents(prev.(recorded).World, buf)
}

func (r recorded) Check(final bool) string {
	v := r.World.Check(final)
	r.rec.cover |= r.World.K.Cover
	if final {
		var rep explore.Model = r.World
		if r.rec.canon != nil {
			if c := r.rec.canon(r.World, nil); c != nil {
				rep = c
			}
		}
		if r.rec.dead {
			if m, why := rep.(deadValuer).WithDeadValues(); why == "" {
				rep = m
			}
		}
		r.rec.finals[string(rep.AppendKey(nil))] = true
	}
	if v != "" {
		r.rec.violations[v] = true
	}
	return v
}

// reduceWorlds are the worlds the reduced and unreduced searches are
// compared on: the race catalogue's (with and without its gate) and every
// bundled scenario explored exhaustively under each kill mode (as it is,
// and without its gate, which the reduction cannot see through).
func reduceWorlds(t *testing.T) map[string]*sim.World {
	worlds := map[string]*sim.World{}
	add := func(name string, w *sim.World) {
		worlds[name] = w
		if w.Gate != nil {
			u := w.CloneWorld()
			u.Gate = nil
			worlds[name+"/ungated"] = u
		}
	}
	forkers := 2
	if testing.Short() {
		forkers = 1
	}
	for _, mode := range model.KillModes {
		for n := 1; n <= forkers; n++ {
			w, _ := sim.ForkVsKill(optsWith(mode), n)
			add(fmt.Sprintf("fork-vs-kill/%s/%d", mode, n), w)
		}
		for _, csets := range []bool{false, true} {
			w, _ := sim.ForkVsKillCrowd(optsWith(mode), 2, csets)
			add(fmt.Sprintf("crowd/%s/csets=%v", mode, csets), w)
		}
		fix := optsWith(mode)
		fix.PostForkKillIfParentKilled = true
		w, _ := sim.ForkVsKill(fix, forkers)
		add(fmt.Sprintf("fork-vs-kill/%s/fix/%d", mode, forkers), w)
		fin := optsWith(mode)
		fin.Populated = model.PopulatedAtFinalSwitch
		w, _ = sim.ForkVsKill(fin, forkers)
		add(fmt.Sprintf("fork-vs-kill/%s/final-switch/%d", mode, forkers), w)
	}
	// The rest of the race catalogue (TestRaceCatalogue): the kill that
	// starts only after the fork's snapshot, both candidate fixes
	// together, and the spurious kill of a CLONE_INTO_CGROUP child.
	for _, mode := range []model.KillMode{model.KillFlag, model.KillSeq} {
		w, test := sim.ForkVsKill(optsWith(mode), 1)
		restrictKillAfterSnapshot(w, test)
		add(fmt.Sprintf("catalogue/kill-after-snapshot/%s", mode), w)
	}
	both := optsWith(model.KillSeq)
	both.PostForkKillIfParentKilled = true
	both.KillSignalUnderCssSetLock = true
	for n := 1; n <= forkers; n++ {
		w, _ := sim.ForkVsKill(both, n)
		add(fmt.Sprintf("catalogue/both-fixes/%d", n), w)
	}
	for _, mode := range []model.KillMode{model.KillSeqIntoCgroupBug, model.KillSeq} {
		w, err := scenarios.CloneIntoKilled(optsWith(mode))
		require.NoError(t, err)
		add(fmt.Sprintf("catalogue/clone-into-killed/%s", mode), w)
	}
	// TestRaceCatalogue/vfork: fork-vs-kill with a CLONE_VFORK fork.
	data, err := os.ReadFile("../scenarios/bundled/fork-vs-kill.yaml")
	require.NoError(t, err)
	src := strings.Replace(string(data), "      - fork: {label: fork}\n",
		"      - fork: {label: fork, flags: CLONE_VFORK, child: [pause]}\n", 1)
	vs, err := scenarios.Parse("vfork-vs-kill.yaml", []byte(src))
	require.NoError(t, err)
	for _, mode := range model.KillModes {
		opts := vs.Options
		opts.Kill = mode
		w, err := vs.Build(opts)
		require.NoError(t, err)
		add(fmt.Sprintf("catalogue/vfork/%s", mode), w)
	}
	// kill(0, SIGKILL): a process group kill (kill_something_info), which
	// the footprints must not take for a kill of no process.
	pg, err := scenarios.Parse("pgrp0.yaml", []byte(pgrpKillZero))
	require.NoError(t, err)
	for _, mode := range []model.KillMode{model.KillSeq} {
		opts := pg.Options
		opts.Kill = mode
		w, err := pg.Build(opts)
		require.NoError(t, err)
		add(fmt.Sprintf("pgrp-kill-zero/%s", mode), w)
	}
	bundled := bundledWorlds(t, true)
	for _, name := range slices.Sorted(maps.Keys(bundled)) {
		add(name, bundled[name])
	}
	return worlds
}

// bundledWorlds builds the bundled scenarios explored exhaustively
// (exhaustive true) or the others, each under every kill mode, named
// NAME/MODE.
func bundledWorlds(t *testing.T, exhaustive bool) map[string]*sim.World {
	worlds := map[string]*sim.World{}
	for _, s := range scenarios.All() {
		if (s.ExploreMode() == "exhaustive") != exhaustive {
			continue
		}
		for _, mode := range model.KillModes {
			opts := s.Options
			opts.Kill = mode
			w, err := s.Build(opts)
			require.NoError(t, err)
			worlds[fmt.Sprintf("%s/%s", s.Name, mode)] = w
		}
	}
	return worlds
}

// pgrpKillZero is a process group leader that forks (its child forks
// too) and kills its own group with kill(0, SIGKILL).
const pgrpKillZero = `version: 1
summary: a process group leader kills its own group with kill(0) while its child forks
cgroups:
  - path: /job
tasks:
  - name: init
    program: ignore-sigchld
  - name: leader
    cgroup: /job
    program:
      - setpgid
      - fork:
          label: fork1
          child:
            - fork: {label: fork2}
            - pause
      - kill: {pid: 0, signal: SIGKILL, label: kill}
      - pause
expect:
  violation: false
  properties:
    - empty-after-kill: {cgroup: /job, after: kill}
`

// counterexampleClasses lists a keep-going search's distinct
// counterexamples by what makes them distinct, the violation and the
// coverage points of its run, sorted (the order they were found in is the
// search's own).
func counterexampleClasses(rep explore.Report) []string {
	var out []string
	for _, c := range rep.Counterexamples {
		out = append(out, c.Violation+" reaching "+strings.Join(model.Coverage(c.Coverage).Names(), ", "))
	}
	slices.Sort(out)
	return out
}

// searchBoth searches w to the end (b) without reduction and with
// reduction r, recording what each search saw (the quiescent states by
// their representative under canon, if set), and checks what any sound
// reduction keeps: the verdict, and that the reduced search completes.
// ok is false (the world is skipped, and the log says so) when the full
// search outgrows b.MaxStates.
func searchBoth(t *testing.T, name string, w *sim.World, b explore.Bounds, r explore.Reduction,
	canon func(c, scratch explore.Model) explore.Model) (full, red recorded, fr, rr explore.Report, ok bool) {
	t.Helper()
	full, red = newRecorded(w), newRecorded(w)
	full.rec.canon, red.rec.canon = canon, canon
	full.rec.dead, red.rec.dead = r&explore.ReduceDead != 0, r&explore.ReduceDead != 0
	b.Reduce = explore.ReduceNone
	if fr = explore.Exhaustive(full, b); fr.Truncated {
		t.Logf("%s: skipped, the full search has more than %d states", name, b.MaxStates)
		return full, red, fr, rr, false
	}
	b.Reduce = r
	rr = explore.Exhaustive(red, b)
	require.False(t, rr.Truncated, name)
	assert.Equal(t, fr.Violation != "", rr.Violation != "", "%s: verdict", name)
	return full, red, fr, rr, true
}

// TestReducedAgreesWithFull runs every world's search with and without
// the reductions to completion (keep going past violations) and requires
// the same verdict, the same set of quiescent states, the same coverage
// points reached, the same violation messages and the same distinct
// counterexamples (violation and coverage: keep-going keys the states of
// both searches by their coverage too, and the reduction must not merge
// two race windows into one). It reports the states each search stored.
func TestReducedAgreesWithFull(t *testing.T) {
	if raceOn {
		// Some hundred thousand states per world, each an order of
		// magnitude slower under the race detector, on one goroutine
		// that shares nothing: the detector has nothing to find here,
		// and go test without -race runs the cross-check.
		t.Skip("skipped under -race (see the comment)")
	}
	worlds := reduceWorlds(t)
	reducedSomewhere := false
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w := worlds[name]
		b := explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, MaxStates: 400_000}
		if testing.Short() {
			b.MaxStates = 200_000
		}
		full, red, fr, rr, ok := searchBoth(t, name, w, b, explore.ReducePOR, nil)
		if !ok {
			continue
		}
		assert.Equal(t, slices.Sorted(maps.Keys(full.rec.violations)), slices.Sorted(maps.Keys(red.rec.violations)), "%s: violations", name)
		assert.Equal(t, full.rec.cover.Names(), red.rec.cover.Names(), "%s: coverage", name)
		assert.Equal(t, counterexampleClasses(fr), counterexampleClasses(rr), "%s: distinct counterexamples", name)
		assert.Equal(t, len(full.rec.finals), len(red.rec.finals), "%s: quiescent states", name)
		for k := range full.rec.finals {
			if !red.rec.finals[k] {
				t.Errorf("%s: the reduced search misses a quiescent state", name)
				break
			}
		}
		if rr.Reduced != 0 && rr.States < fr.States {
			reducedSomewhere = true
		}
		t.Logf("%s: full %d states, reduced (%s) %d states, %d quiescent; %s", name, fr.States, rr.Reduced, rr.States, len(full.rec.finals), rr.ReductionNote)
	}
	require.True(t, reducedSomewhere, "no world was reduced")
}

// TestMaxMemorySmallerThanComponents: a memory bound that the interned
// key components alone exceed stops the search (it once read as no bound
// at all, and the search ran on unbounded).
func TestMaxMemorySmallerThanComponents(t *testing.T) {
	w, _ := sim.ForkVsKill(optsWith(model.KillSeq), 2)
	b := explore.Unbounded()
	b.MaxMemory = 16 << 10
	rep := explore.Exhaustive(w, b)
	assert.True(t, rep.MemoryBound)
	assert.True(t, rep.Truncated)
	assert.Less(t, rep.States, 1000)
}
