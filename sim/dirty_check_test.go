package sim_test

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"cgsim/sim"
)

// allWorlds are the worlds the change tracking and the dead values are
// checked on: the reduction tests' (the race catalogue's, with and without
// gates, and every exhaustively explored bundled scenario under each kill
// mode) and the other bundled scenarios under each kill mode (random ones
// use the named registers, pidfds and checked waits that exhaustive ones
// rarely do).
func allWorlds(t *testing.T) map[string]*sim.World {
	worlds := reduceWorlds(t)
	maps.Copy(worlds, bundledWorlds(t, false))
	return worlds
}

// checkStep steps a copy of w by a, made by Clone or by CloneInto a
// discarded world (spare, if not nil) as the search does, and fails if an
// object the step changed is not marked as written
// (model.Kernel.UnmarkedChanges). It returns the stepped copy.
func checkStep(t *testing.T, name string, w *sim.World, a int, spare *sim.World) *sim.World {
	t.Helper()
	var c *sim.World
	if spare != nil {
		c = w.CloneInto(spare).(*sim.World)
	} else {
		c = w.CloneWorld()
	}
	c.Step(a)
	if msg := c.K.UnmarkedChanges(w.K); msg != "" {
		t.Fatalf("%s: step of %d: %s", name, a, msg)
	}
	return c
}

// TestDirtyMarksEveryChange checks the change tracking that the
// componentwise keys rely on (model/dirty.go): on every transition of a
// breadth-first walk of each world, and along seeded random runs, every
// object that differs byte for byte from the state it was stepped from is
// marked as written. A missed mark would merge distinct states.
func TestDirtyMarksEveryChange(t *testing.T) {
	if raceOn {
		t.Skip("skipped under -race: a single-goroutine comparison, state by state (see TestReducedAgreesWithFull)")
	}
	maxStates, runs, runLen := 2000, 10, 300
	if testing.Short() {
		maxStates, runs, runLen = 500, 4, 100
	}
	worlds := allWorlds(t)
	for _, name := range slices.Sorted(maps.Keys(worlds)) {
		w := worlds[name]
		// Breadth first: every transition out of the first maxStates
		// states, alternating Clone and CloneInto.
		seen := map[string]bool{string(w.AppendKey(nil)): true}
		queue := []*sim.World{w}
		var spare *sim.World
		var en []int
		steps := 0
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			en = s.Enabled(en[:0])
			for _, a := range en {
				var into *sim.World
				if steps%2 == 1 && spare != nil {
					into, spare = spare, nil
				}
				c := checkStep(t, name, s, a, into)
				steps++
				key := string(c.AppendKey(nil))
				if seen[key] || len(seen) >= maxStates {
					spare = c
					continue
				}
				seen[key] = true
				queue = append(queue, c)
			}
		}
		// Random runs, each step from the state before it.
		for seed := range uint64(runs) {
			r := rand.New(rand.NewPCG(seed, 0xd1f7))
			s := w.CloneWorld()
			for range runLen {
				en = s.Enabled(en[:0])
				if len(en) == 0 {
					break
				}
				s = checkStep(t, name, s, en[r.IntN(len(en))], nil)
				steps++
			}
		}
		t.Logf("%s: %d states, %d steps checked", name, len(seen), steps)
	}
}
