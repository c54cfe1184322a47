package sim

import (
	"fmt"
	"strings"

	"cgsim/model"
	"cgsim/sim/explore"
)

// Replay runs sched on a traced copy of w (choices that are not enabled
// are skipped; after the schedule the default policy runs to quiescence)
// and returns the final world, with its trace, and the result. It is the
// lenient replay of explore.Run; Follow is the exact one.
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

// FollowMode says what Follow does once the schedule is used up.
type FollowMode uint8

const (
	// Continue: after the schedule, the default policy of explore.Run
	// runs to quiescence, a violation or maxSteps (keep running the
	// last task while it can step, else the lowest that can).
	Continue FollowMode = iota
	// Exact: the run must end, at a violation or at quiescence, exactly
	// when the schedule does, as it does for a schedule explore wrote.
	Exact
	// Diverge: as Continue, but a choice that cannot step ends the
	// following there instead of failing the run: the default policy
	// takes over, and Follow returns the run with a *ScheduleError that
	// says where and why (for running a schedule under other options).
	Diverge
)

// ScheduleError is a schedule that does not fit the machine it is run
// on: a choice names a task that does not exist or cannot step at that
// point, or (Exact) the run ends before or after the schedule does.
type ScheduleError struct {
	// Index is the 0-based position in the schedule of the choice at
	// fault (the step number is Index+1); Len the schedule's length.
	Index, Len int
	// Reason says what is wrong, with the tasks that could step.
	Reason string
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("schedule entry %d of %d (step %d): %s", e.Index+1, e.Len, e.Index+1, e.Reason)
}

// Follow runs sched on a traced copy of w, exactly: every choice must be a
// task that can step at that point, else it returns a *ScheduleError and
// no run (a lenient replay would skip the choice and show a different run
// from the one the schedule recorded); in Diverge mode it returns the run
// the default policy finishes, with that error. observe, if not nil, is called
// after every step with the world after it (it must not keep or change
// it). The run ends at the first violation, at quiescence or after
// maxSteps steps (maxSteps <= 0: no limit); mode says what happens once
// the schedule is used up. For a valid schedule the run is the one
// explore.Run makes.
func Follow(w *World, sched explore.Schedule, maxSteps int, mode FollowMode, observe func(c *World)) (*World, explore.Result, error) {
	c := w.CloneWorld()
	c.SetTracing(true)
	var res explore.Result
	var stuck *ScheduleError
	en := make([]int, 0, 8)
	last := -1
	for {
		en = c.Enabled(en[:0])
		i := res.Steps
		if len(en) == 0 {
			res.Final = true
			res.Violation = c.Check(true)
			if mode == Exact && i < len(sched) {
				return nil, res, &ScheduleError{Index: i, Len: len(sched), Reason: fmt.Sprintf("the run has ended: after step %d no task can step (%s), but the schedule goes on", i, c.verdictWord(res.Violation))}
			}
			return c, res, stuck.orNil()
		}
		if maxSteps > 0 && res.Steps >= maxSteps {
			res.Truncated = true
			if mode == Exact && i < len(sched) {
				return nil, res, &ScheduleError{Index: i, Len: len(sched), Reason: fmt.Sprintf("the run was cut at %d steps (the step limit), before the schedule ended", maxSteps)}
			}
			return c, res, stuck.orNil()
		}
		var a int
		switch {
		case i < len(sched):
			a = sched[i]
			if !contains(en, a) {
				e := &ScheduleError{Index: i, Len: len(sched), Reason: c.whyNot(a, en)}
				if mode != Diverge {
					return nil, res, e
				}
				stuck, sched = e, sched[:i]
				a = defaultChoice(en, last)
			}
		case mode == Exact:
			return nil, res, &ScheduleError{Index: i, Len: len(sched), Reason: fmt.Sprintf("the schedule ends here, but the run goes on (no property is violated yet; %s)", c.describeIDs(en))}
		default:
			a = defaultChoice(en, last)
		}
		c.Step(a)
		res.Schedule = append(res.Schedule, a)
		res.Steps++
		last = a
		if observe != nil {
			observe(c)
		}
		if v := c.Check(false); v != "" {
			res.Violation = v
			if mode == Exact && res.Steps < len(sched) {
				return nil, res, &ScheduleError{Index: res.Steps, Len: len(sched), Reason: fmt.Sprintf("the run has ended: step %d violates %s, but the schedule goes on", res.Steps, c.MapNames(v))}
			}
			return c, res, stuck.orNil()
		}
	}
}

// orNil returns e as an error, nil if e is nil.
func (e *ScheduleError) orNil() error {
	if e == nil {
		return nil
	}
	return e
}

// defaultChoice is explore.Run's default policy: the last task if it can
// still step, else the lowest that can.
func defaultChoice(en []int, last int) int {
	if last >= 0 && contains(en, last) {
		return last
	}
	return en[0]
}

func (w *World) verdictWord(v string) string {
	if v == "" {
		return "every property held"
	}
	return "violation: " + w.MapNames(v)
}

func contains(en []int, a int) bool {
	for _, x := range en {
		if x == a {
			return true
		}
	}
	return false
}

// whyNot says why task a cannot take the next step.
func (w *World) whyNot(a int, en []int) string {
	n := w.K.NumTasks()
	can := w.describeIDs(en)
	if a >= n {
		return fmt.Sprintf("task %d does not exist (the machine has tasks 0 to %d at this point: was the schedule written for another scenario or other options?); %s", a, n-1, can)
	}
	t := model.TaskID(a)
	tk := w.K.Task(t)
	var why string
	switch {
	case tk.Group == model.NoGroup:
		why = "it does not exist yet"
	case tk.Exit == model.ExitDead:
		why = "it has exited and been released"
	case tk.Exit == model.ExitZombie && tk.Frame.Path != model.KExit:
		why = "it is a zombie"
	case w.K.Runnable(t) && w.Gate != nil && !w.Gate(w, t):
		why = "the scenario's kill-gate stops it (the kill is decided)"
	default:
		why = "it cannot step (" + w.taskState(t) + ")"
	}
	return fmt.Sprintf("task %s cannot take this step: %s; %s", w.describeID(t), why, can)
}

// describeID names a task by its schedule number for messages: "3
// (writer)" or "4" for a task without a scenario name.
func (w *World) describeID(t model.TaskID) string {
	if n := w.Name(t); n != "" {
		return fmt.Sprintf("%d (%s)", t, n)
	}
	return fmt.Sprint(t)
}

func (w *World) describeIDs(en []int) string {
	var p []string
	for _, a := range en {
		p = append(p, w.describeID(model.TaskID(a)))
	}
	if len(p) == 0 {
		return "no task can step"
	}
	return "can step: " + strings.Join(p, ", ")
}

// Frame is one step of a recorded run: what the step did, the coverage
// points it reached first, the forks inside the race window after it, and
// the machine's state after it with what the step changed.
type Frame struct {
	Event TraceEvent `json:"event"`
	// Reached are the coverage points (model.Coverage names) this step
	// reached for the first time in the run.
	Reached []string `json:"reached,omitempty"`
	// Window lists the tasks whose fork is inside the race window after
	// this step: the child is committed (visible to kill, wait and the
	// zap) but cgroup_post_fork has not yet linked it into its cgroup, so
	// no css_set walk can see it (model.Kernel.ForkCommitted).
	Window []int32 `json:"window,omitempty"`
	// State is the machine after the step; Changes what the step changed.
	State   []Fact   `json:"state"`
	Changes []Change `json:"changes,omitempty"`
}

// Recording is one run followed step by step (RecordRun).
type Recording struct {
	// Initial is the machine before the first step.
	Initial []Fact
	Frames  []Frame
	Result  explore.Result
	// Final is the world at the end, with its trace.
	Final *World
}

// RecordRun follows sched on w as Follow does and keeps, for every step, the
// machine's state after it and what changed. It costs a state snapshot per
// step: meant for runs a person reads (explain, html), not searches.
func RecordRun(w *World, sched explore.Schedule, maxSteps int, mode FollowMode) (*Recording, error) {
	r := &Recording{Initial: w.Facts()}
	prev := r.Initial
	var cov model.Coverage = w.K.Cover
	fw, res, err := Follow(w, sched, maxSteps, mode, func(c *World) {
		st := c.Facts()
		tr := c.Trace()
		f := Frame{Event: tr[len(tr)-1], State: st, Changes: DiffFacts(prev, st)}
		if n := c.K.Cover &^ cov; n != 0 {
			f.Reached = n.Names()
			cov |= n
		}
		for t := 0; t < c.K.NumTasks(); t++ {
			if c.K.ForkCommitted(model.TaskID(t)) {
				f.Window = append(f.Window, int32(t))
			}
		}
		r.Frames = append(r.Frames, f)
		prev = st
	})
	if err != nil {
		return nil, err
	}
	r.Result, r.Final = res, fw
	return r, nil
}
