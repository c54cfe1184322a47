package sim_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// TestLogCloneIntoAnyOrder: worlds that share log blocks (CloneInto) and
// recycle them keep their logs whatever the order their clones are made,
// stepped and recycled in, not only the depth-first order of the
// explorer. Every live world's Log is compared, after every operation,
// with a copy kept aside of what a world with a log of its own (Clone)
// logged.
func TestLogCloneIntoAnyOrder(t *testing.T) {
	fb, _ := forkBomb(t, optsWith(model.KillSeq))
	fb.Gate = nil
	fvk, _ := sim.ForkVsKill(optsWith(model.KillAtomic), 3)
	for _, m := range []*sim.World{fb, fvk} {
		rng := rand.New(rand.NewPCG(1, 2))
		type live struct {
			w   *sim.World
			log []sim.Record
		}
		lives := []live{{w: m.CloneWorld()}}
		var free []*sim.World
		var en []int
		for op := 0; op < 4000; op++ {
			switch i := rng.IntN(len(lives)); {
			case rng.IntN(3) == 0 && len(lives) > 1:
				// Recycle a world, any of them.
				free = append(free, lives[i].w)
				lives = slices.Delete(lives, i, i+1)
			default:
				// Clone a world (into a recycled one when there is
				// one) and step the clone.
				p := lives[i]
				var c *sim.World
				if len(free) > 0 && rng.IntN(4) != 0 {
					c = p.w.CloneInto(free[len(free)-1]).(*sim.World)
					free = free[:len(free)-1]
				} else {
					c = p.w.Clone().(*sim.World)
				}
				en = c.Enabled(en[:0])
				if len(en) == 0 {
					free = append(free, c)
					break
				}
				// What the step logs, in a log of its own.
				a := en[rng.IntN(len(en))]
				ref := p.w.CloneWorld()
				ref.Step(a)
				c.Step(a)
				lives = append(lives, live{w: c, log: slices.Clone(ref.Log)})
				if len(lives) > 64 {
					free = append(free, lives[0].w)
					lives = lives[1:]
				}
			}
			for _, l := range lives {
				require.Truef(t, slices.Equal(l.log, l.w.Log), "op %d: %v, want %v", op, l.w.Log, l.log)
			}
		}
	}
}

// TestLogCloneIntoSearchAgrees: in an exhaustive search, which recycles
// worlds and their log blocks, every end state's log agrees with its
// label counts and holds no record of a later step.
func TestLogCloneIntoSearchAgrees(t *testing.T) {
	w, _ := sim.ForkVsKill(optsWith(model.KillSeq), 2)
	w.Props = []sim.Property{{Name: "log", Scope: sim.AtEnd, Check: func(c *sim.World, final bool) string {
		if !final {
			return ""
		}
		n := 0
		for _, r := range c.Log {
			if r.Label == "fork" || r.Label == "kill" {
				n++
			}
			if r.Step > c.Steps {
				return "a record from the future"
			}
		}
		if n != c.Count("fork")+c.Count("kill") {
			return "the log and the counts disagree"
		}
		return ""
	}}}
	rep := explore.Exhaustive(w, explore.Unbounded())
	require.Empty(t, rep.Violation)
	require.Greater(t, rep.States, 1000)
}
