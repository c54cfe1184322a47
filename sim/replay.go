package sim

import "cgsim/sim/explore"

// Replay runs sched on a traced copy of w (choices that are not enabled
// are skipped; after the schedule the default policy runs to quiescence)
// and returns the final world, with its trace, and the result.
func Replay(w *World, sched explore.Schedule, maxSteps int) (*World, explore.Result) {
	c := w.CloneWorld()
	c.SetTracing(true)
	var last *World
	res := explore.RunObserved(c, sched, maxSteps, func(_ int, _ int, m explore.Model) {
		last = m.(*World)
	})
	if last == nil {
		last = c
	}
	return last, res
}
