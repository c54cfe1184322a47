package explore

import "math/rand/v2"

// seedMix derives the second PCG seed word from the first, so that a single
// uint64 seed selects the whole generator state.
const seedMix = 0x9e3779b97f4a7c15

// Random performs one seeded random run on a clone of m (m itself is not
// modified): at every step it picks an actor uniformly among the enabled ones,
// using a math/rand/v2 PCG generator seeded from seed alone. It stops at the
// first violation, at quiescence or after maxSteps steps (maxSteps <= 0 means
// no limit). The same model and seed always give the same Result;
// Result.Schedule replays the run with [Run].
func Random(m Model, seed uint64, maxSteps int) Result {
	res, _ := RandomFinal(m, seed, maxSteps)
	return res
}

// RandomFinal is Random that also returns the model in its final state
// (a clone of m), for callers that classify the end of a run.
func RandomFinal(m Model, seed uint64, maxSteps int) (Result, Model) {
	rng := rand.New(rand.NewPCG(seed, seed^seedMix))
	return runPolicy(m, maxSteps, func(en []int) int {
		if len(en) == 1 {
			return en[0]
		}
		return en[rng.IntN(len(en))]
	})
}

// RoundRobin runs a clone of m under a fair deterministic policy: each
// step goes to the first enabled actor after the one that took the
// previous step, in actor order, wrapping around. It is the schedule of a
// single run when no seed or schedule is given: unlike the default policy
// of Run (keep running the last actor), it never starves an actor behind
// one that never blocks, such as a fork bomb.
func RoundRobin(m Model, maxSteps int) Result {
	last := -1
	res, _ := runPolicy(m, maxSteps, func(en []int) int {
		a := en[0]
		for _, x := range en {
			if x > last {
				a = x
				break
			}
		}
		last = a
		return a
	})
	return res
}

// runPolicy runs a clone of m, letting choose pick each step's actor among
// the enabled ones (a non-empty ascending list), until a violation,
// quiescence or maxSteps steps.
func runPolicy(m Model, maxSteps int, choose func(en []int) int) (Result, Model) {
	var res Result
	c := m.Clone()
	en := make([]int, 0, 8)
	for {
		en = c.Enabled(en[:0])
		if len(en) == 0 {
			res.Final = true
			res.Violation = c.Check(true)
			return res, c
		}
		if maxSteps > 0 && res.Steps >= maxSteps {
			res.Truncated = true
			return res, c
		}
		a := choose(en)
		c.Step(a)
		res.Schedule = append(res.Schedule, a)
		res.Steps++
		if v := c.Check(false); v != "" {
			res.Violation = v
			return res, c
		}
	}
}
