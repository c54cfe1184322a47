package sim_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// wholeKey hides a world's key components: the search keys its states by
// the whole AppendKey, as it does for any plain Model. It keeps the
// world's coverage (explore.Coverer), which a keep-going search adds to
// either key.
type wholeKey struct{ w *sim.World }

func (p wholeKey) Enabled(b []int) []int                 { return p.w.Enabled(b) }
func (p wholeKey) Step(a int)                            { p.w.Step(a) }
func (p wholeKey) Clone() explore.Model                  { return wholeKey{p.w.CloneWorld()} }
func (p wholeKey) AppendKey(b []byte) []byte             { return p.w.AppendKey(b) }
func (p wholeKey) Check(final bool) string               { return p.w.Check(final) }
func (p wholeKey) CloneInto(explore.Model) explore.Model { return p.Clone() }
func (p wholeKey) Coverage() uint64                      { return p.w.Coverage() }

// keyWorlds are the worlds the key tests compare searches on: the race
// catalogue's and every bundled scenario that is explored exhaustively.
func keyWorlds(t *testing.T) map[string]*sim.World {
	worlds := map[string]*sim.World{}
	for _, mode := range model.KillModes {
		for n := 1; n <= 2; n++ {
			w, _ := sim.ForkVsKill(optsWith(mode), n)
			worlds[fmt.Sprintf("fork-vs-kill/%s/%d", mode, n)] = w
			u := w.CloneWorld()
			u.Gate = nil
			worlds[fmt.Sprintf("fork-vs-kill/%s/%d/ungated", mode, n)] = u
		}
	}
	for _, s := range scenarios.All() {
		if s.ExploreMode() != "exhaustive" {
			continue
		}
		w, err := s.Build(s.Options)
		require.NoError(t, err)
		worlds[s.Name] = w
	}
	return worlds
}

// TestComponentKeysMatchWholeKeys checks that keying states by their
// components (explore.Components, what the search uses for worlds) tells
// states apart exactly as the whole key does: the same states,
// transitions, violations and distinct counterexamples, on every world.
// The searches keep going, so both key (state, coverage) pairs.
func TestComponentKeysMatchWholeKeys(t *testing.T) {
	worlds := keyWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w := worlds[name]
		b := explore.Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true, MaxStates: 30_000}
		if testing.Short() {
			b.MaxStates = 3_000
		}
		comp := explore.Exhaustive(w, b)
		whole := explore.Exhaustive(wholeKey{w}, b)
		assert.Equal(t, whole.States, comp.States, name)
		assert.Equal(t, whole.Transitions, comp.Transitions, name)
		assert.Equal(t, whole.Violations, comp.Violations, name)
		assert.Equal(t, whole.Violation, comp.Violation, name)
		assert.Equal(t, whole.Counterexamples, comp.Counterexamples, name)
		t.Logf("%s: %d states, %d transitions; whole keys %d bytes, components %d bytes", name, comp.States, comp.Transitions, whole.VisitedBytes, comp.VisitedBytes)
	}
}
