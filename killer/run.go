package killer

import (
	"fmt"

	"cgsim/model"
	"cgsim/sim"
)

// Drive makes task t of w run killer k against target, after warmup idle
// steps (so that the target's tasks are running when it starts). The
// task exits 0 when the killer returns nil, else with the errno it
// returned. Every signal the killer sends to a live task outside the
// target's subtree is noted in w's log under "wrong-kill".
func Drive(w *sim.World, t model.TaskID, k Killer, target Target, warmup int) {
	w.Drive(t, func(sys *sim.Sys) int32 {
		h := &simHost{sys: sys}
		h.onSignal = func(v model.TaskID, sig model.Signal) {
			w := sys.World()
			if v == model.NoTask || !w.K.Alive(v) || v == sys.Task() {
				return
			}
			vcg := w.K.CgroupOf(v)
			cg, ok := w.K.Lookup(target.Cgroup)
			if ok && w.K.InSubtree(vcg, cg) {
				return
			}
			w.Note(sys.Task(), "wrong-kill", fmt.Sprintf("%s to %s in %s", sig, w.Describe(v), w.K.Path(vcg)))
		}
		h.Sleep(warmup)
		return int32(Errno(k.Run(h, target)))
	})
}

// Outcome is how one run of a killer against a race ended, worst first.
type Outcome uint8

// Outcomes, from worst to best. A run gets the first that applies.
const (
	// WrongKill: the killer signalled a live task outside the target (a
	// recycled pid).
	WrongKill Outcome = iota
	// Escaped: the killer reported success, yet a task of the target is
	// alive at the end and not certain to die.
	Escaped
	// KillerDied: the killer was killed before it returned.
	KillerDied
	// NoTermination: the killer had not returned when the run was cut off,
	// or it can never run again (frozen by its own freeze).
	NoTermination
	// Leaked: the killer reported success but the cgroup it meant to
	// remove is still there.
	Leaked
	// GaveUp: the killer returned an error (the errno is in the detail).
	GaveUp
	// Contained: the killer reported success and nothing of the target
	// survived.
	Contained
	numOutcomes
)

var outcomeNames = [...]string{"wrong process killed", "escaped", "killer died", "did not terminate", "cgroup leaked", "gave up", "contained"}

// String names the outcome.
func (o Outcome) String() string { return outcomeNames[o] }

// Classify says how a run ended: w is the world at its end, killerTask
// the killer's task, k the killer, target the cgroup it was sent against
// (resolved at setup), truncated whether the run was cut off.
func Classify(w *sim.World, killerTask model.TaskID, k Killer, target model.CgroupID, truncated bool) (Outcome, string) {
	kern := w.K
	if r := w.Records("wrong-kill"); len(r) > 0 {
		return WrongKill, r[0].Data
	}
	done, status := w.DrivenDone(killerTask)
	var live []model.TaskID
	for _, t := range w.LiveUserTasksIn(target) {
		if t != killerTask && !kern.Doomed(t) {
			live = append(live, t)
		}
	}
	dead := !kern.Alive(killerTask) || kern.Doomed(killerTask)
	switch {
	case done && status == 0 && len(live) > 0:
		return Escaped, fmt.Sprintf("%s alive", describeAll(w, live))
	case !done && dead:
		return KillerDied, "the killer was SIGKILLed before it returned"
	case !done:
		if truncated {
			return NoTermination, "still running when the run was cut off"
		}
		return NoTermination, "can never run again (frozen or blocked for ever)"
	case status != 0 && len(live) > 0:
		return GaveUp, fmt.Sprintf("returned %s, with %s alive", model.Errno(status), describeAll(w, live))
	case status != 0:
		return GaveUp, "returned " + model.Errno(status).String()
	case k.Removes && kern.Cgroup(target).Online:
		return Leaked, kern.Path(target) + " still exists"
	}
	return Contained, ""
}

// describeAll names at most three tasks, then how many more there are.
func describeAll(w *sim.World, ts []model.TaskID) string {
	if len(ts) > 3 {
		return fmt.Sprintf("%s and %d more", w.DescribeAll(ts[:3]), len(ts)-3)
	}
	return w.DescribeAll(ts)
}
