package sim_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// WithDeadValues keeps the recording wrapper around the copy it returns.
func (r recorded) WithDeadValues() (explore.Model, string) {
	m, why := r.World.WithDeadValues()
	if why != "" {
		return nil, why
	}
	return recorded{m.(*sim.World), r.rec}, ""
}

// deadValuer is explore.DeadValues, for the recording wrapper to key a
// quiescent state without its dead values.
type deadValuer interface {
	WithDeadValues() (explore.Model, string)
}

// diffComponents names the key components in which a and b differ.
func diffComponents(a, b *sim.World) string {
	out := ""
	for i := 0; i < a.NumComponents() && i < b.NumComponents(); i++ {
		x, y := a.AppendComponent(i, nil), b.AppendComponent(i, nil)
		if string(x) != string(y) {
			out += fmt.Sprintf("component %d:\n  %x\n  %x\n", i, x, y)
		}
	}
	return out
}

// scrambles are the values TestDeadValuesAreNeverRead writes over dead
// values: zero, small numbers (pids, errnos, signal numbers), negative
// ones, large ones.
var scrambles = []func(i int) int32{
	func(int) int32 { return 0 },
	func(i int) int32 { return int32(i%7 + 1) },
	func(i int) int32 { return -int32(i%5) - 1 },
	func(i int) int32 { return 1<<20 + int32(i) },
}

// TestDeadValuesAreNeverRead checks the soundness of the dead-value
// reduction where it rests: from every state of a breadth-first walk of
// each world, a copy whose dead values are overwritten (model.Kernel.
// OverwriteDead) must step alike — the same enabled tasks, and for each
// the same state up to dead values (equal keys), the same log records
// (which properties read), the same coverage points and the same verdicts.
// By induction over runs, two states that differ only in dead values then
// reach the same verdicts and outcomes.
func TestDeadValuesAreNeverRead(t *testing.T) {
	if raceOn {
		t.Skip("skipped under -race: a single-goroutine comparison, state by state (see TestReducedAgreesWithFull)")
	}
	worlds := allWorlds(t)
	perWorld := 200 // states per world; 429 worlds
	if testing.Short() {
		perWorld = 80
	}
	refused, masked := 0, 0
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		m, why := worlds[name].WithDeadValues()
		if why != "" {
			refused++
			continue
		}
		root := m.(*sim.World)
		seen := map[string]bool{string(root.AppendKey(nil)): true}
		queue := []*sim.World{root}
		var en, en2 []int
		for n := 0; len(queue) > 0 && n < perWorld; n++ {
			s := queue[0]
			queue = queue[1:]
			en = s.Enabled(en[:0])
			for si, f := range scrambles {
				d := s.CloneWorld()
				d.K.OverwriteDead(f)
				if string(d.AppendKey(nil)) != string(s.AppendKey(nil)) {
					t.Fatalf("%s: overwriting dead values changed the key", name)
				}
				for ti := 0; ti < s.K.NumTasks(); ti++ {
					if s.K.LiveRegsOf(model.TaskID(ti)) != model.LiveAll {
						masked++
					}
				}
				en2 = d.Enabled(en2[:0])
				require.Equal(t, en, en2, "%s: enabled tasks after overwriting dead values (scramble %d)", name, si)
				for _, a := range en {
					x, y := s.CloneWorld(), d.CloneWorld()
					nlog := len(x.Log)
					x.Step(a)
					y.Step(a)
					what := fmt.Sprintf("%s: task %s stepped from a state and from its copy with dead values overwritten (scramble %d)", name, s.Describe(model.TaskID(a)), si)
					if string(x.AppendKey(nil)) != string(y.AppendKey(nil)) {
						t.Fatalf("%s: the states differ in live values\n%s", what, diffComponents(x, y))
					}
					require.Equal(t, x.Log[nlog:], y.Log[nlog:], "%s: log records", what)
					require.Equal(t, x.K.Cover, y.K.Cover, "%s: coverage", what)
					final := len(x.Enabled(nil)) == 0
					require.Equal(t, x.Check(final), y.Check(final), "%s: verdict", what)
				}
			}
			for _, a := range en {
				x := s.CloneWorld()
				x.Step(a)
				if k := string(x.AppendKey(nil)); !seen[k] {
					seen[k] = true
					queue = append(queue, x)
				}
			}
		}
	}
	t.Logf("%d worlds, %d refused; %d task states with dead values overwritten", len(worlds), refused, masked)
	require.Positive(t, masked, "no dead values anywhere")
}

// TestDeadAgreesWithFull searches each world to the end with and without
// the dead-value reduction (and, without -short, with it and partial-order
// reduction together) and requires the same verdict, violations, coverage,
// distinct counterexamples and quiescent states (keyed without their dead
// values on both sides).
func TestDeadAgreesWithFull(t *testing.T) {
	if raceOn {
		t.Skip("skipped under -race (see TestReducedAgreesWithFull)")
	}
	reductions := []explore.Reduction{explore.ReduceDead, explore.ReducePOR | explore.ReduceDead}
	if testing.Short() {
		reductions = reductions[:1]
	}
	worlds := reduceWorlds(t)
	merged := false
	for _, r := range reductions {
		for _, name := range slices.Sorted(maps.Keys(worlds)) {
			w := worlds[name]
			// Worlds past 30k states (the fork bomb, 2 forkers under seq) are left out.
			b := explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, MaxStates: 30_000}
			full, red, fr, rr, ok := searchBoth(t, name, w, b, r, nil)
			if !ok {
				continue
			}
			if rr.Reduced&explore.ReduceDead == 0 {
				t.Logf("%s: %s", name, rr.ReductionNote)
				continue
			}
			assert.Equal(t, slices.Sorted(maps.Keys(full.rec.violations)), slices.Sorted(maps.Keys(red.rec.violations)), "%s, %s: violations", name, r)
			assert.Equal(t, full.rec.cover.Names(), red.rec.cover.Names(), "%s, %s: coverage", name, r)
			assert.Equal(t, counterexampleClasses(fr), counterexampleClasses(rr), "%s, %s: distinct counterexamples", name, r)
			assert.Equal(t, slices.Sorted(maps.Keys(full.rec.finals)), slices.Sorted(maps.Keys(red.rec.finals)), "%s, %s: quiescent states", name, r)
			assert.LessOrEqual(t, rr.States, fr.States, name)
			if r == explore.ReduceDead && rr.States < fr.States {
				merged = true
			}
			t.Logf("%s: full %d states, %s %d states (×%.2f)", name, fr.States, rr.Reduced, rr.States, float64(fr.States)/float64(rr.States))
		}
	}
	require.True(t, merged, "the dead-value reduction merged no states anywhere")
}
