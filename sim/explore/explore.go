// Package explore is cgsim's exploration engine: it searches the
// interleavings of a world made of actors that take atomic steps.
//
// A world is a [Model]. The engine offers four ways to drive one:
//
//   - [Run] / [RunObserved] replay a [Schedule] (skipping choices that are
//     not enabled) and finish it with a deterministic default policy;
//   - [Random] performs one seeded random walk;
//   - [Exhaustive] performs a depth-first search over every scheduler
//     choice, with optional depth, preemption and state-count bounds;
//   - [Shrink] reduces a violating schedule by delta debugging.
//
// Determinism is the product: for the same Model and the same inputs every
// function here returns byte-identical results on every run and machine. The
// package never iterates over Go maps, never reads the clock, never uses the
// global random source and never starts goroutines. Models must be
// deterministic too.
package explore

import (
	"fmt"
	"strconv"
	"strings"
)

// Model is a world the explorer can search. Implementations are deterministic.
type Model interface {
	// Enabled appends to buf the actors that can take a step now, in ascending order, and returns it.
	Enabled(buf []int) []int
	// Step advances actor a (one of Enabled) by one atomic step.
	Step(a int)
	// Clone returns an independent deep copy.
	Clone() Model
	// AppendKey appends a canonical encoding of the state: equal states give equal keys.
	AppendKey(buf []byte) []byte
	// Check returns "" or a description of a violated property. It is called after every
	// step with final=false, and once with final=true when no actor is enabled (quiescence).
	Check(final bool) string
}

// Recycler is an optional interface of a Model: CloneInto makes the same
// copy as Clone, but into dst, a state the search has discarded (one that
// came from this model's Clone or CloneInto and is referenced nowhere
// else), reusing its memory. Exhaustive uses it to avoid allocating a new
// state for every explored edge.
type Recycler interface {
	CloneInto(dst Model) Model
}

// Components is an optional interface of a Model: its state key split into
// components that change independently (one task, one cgroup, ...), so
// that an exhaustive search encodes again only what a step changed, and
// stores a state as a short vector of interned component ids instead of
// its whole key (the "collapse" compression of SPIN).
//
// Two states of a model must be equal exactly when they have the same
// number of components and equal encodings component by component.
type Components interface {
	// NumComponents is the number of components of the state.
	NumComponents() int
	// AppendComponent appends the canonical encoding of component i to buf.
	AppendComponent(i int, buf []byte) []byte
	// SameComponents appends to buf one entry per component i of the
	// state: the index of a component of prev (a state of the same model,
	// typically the one this state was cloned from before a step) whose
	// encoding is certainly equal to component i's, or -1. A -1 for an
	// unchanged component costs only time.
	SameComponents(prev Model, buf []int32) []int32
}

// Schedule is a sequence of scheduler choices: element i is the actor chosen
// at step i.
type Schedule []int

// String formats the schedule as space-separated decimal actor ids, for
// example "0 1 1 0". The empty schedule formats as "". [ParseSchedule]
// inverts it.
func (s Schedule) String() string {
	var b strings.Builder
	b.Grow(3 * len(s))
	for i, a := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(a))
	}
	return b.String()
}

// ParseSchedule parses the format written by [Schedule.String]: non-negative
// decimal actor ids separated by white space (commas are accepted as
// separators too). The empty or all-blank string gives an empty, non-nil
// schedule.
func ParseSchedule(s string) (Schedule, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
	})
	out := make(Schedule, 0, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("explore: schedule choice %d: %q is not an integer", i, f)
		}
		if v < 0 {
			return nil, fmt.Errorf("explore: schedule choice %d: negative actor %d", i, v)
		}
		out = append(out, v)
	}
	return out, nil
}

// Result describes one run of a model (see [Run] and [Random]).
type Result struct {
	// Steps is the number of steps taken.
	Steps int
	// Schedule is what actually ran: one actor per step, len(Schedule) == Steps.
	// Replaying it with Run reproduces the run exactly, independently of the
	// default policy.
	Schedule Schedule
	// Violation is "" or the first violation reported by Model.Check.
	Violation string
	// Final is true if the run reached quiescence (no actor enabled); the
	// final check was then performed.
	Final bool
	// Truncated is true if the run stopped because it hit maxSteps.
	Truncated bool
}

// Observer is called by [RunObserved] after every step (before that step's
// check) with the 0-based step index, the actor that stepped and the model
// state after the step. It must not modify m or keep it past the call.
type Observer func(step int, actor int, m Model)

// Run replays sched on a clone of m (m itself is not modified) and returns
// what happened.
//
// The scheduled choices are taken in order; a choice that is not enabled at
// that point is skipped (so edited or shrunk schedules stay valid) and the
// next choice is tried for the same step. Once the schedule is exhausted the
// run continues with the default policy: keep running the last actor if it is
// still enabled, else run the lowest enabled actor. The run ends at the first
// violation, at quiescence (after the final check), or after maxSteps steps
// (Truncated). maxSteps <= 0 means no limit, in which case a model that never
// quiesces makes Run loop forever.
func Run(m Model, sched Schedule, maxSteps int) Result {
	r, _, _ := run(m, sched, maxSteps, nil)
	return r
}

// RunObserved is [Run] with an observer called after each step, for tracing.
// A nil observer is allowed.
func RunObserved(m Model, sched Schedule, maxSteps int, obs Observer) Result {
	r, _, _ := run(m, sched, maxSteps, obs)
	return r
}

// run implements Run; it also returns how many entries of sched were
// consumed (taken or skipped), and the state the run ended in.
func run(m Model, sched Schedule, maxSteps int, obs Observer) (Result, int, Model) {
	var res Result
	c := m.Clone()
	en := make([]int, 0, 8)
	i, last := 0, -1
	for {
		en = c.Enabled(en[:0])
		if len(en) == 0 {
			res.Final = true
			res.Violation = c.Check(true)
			return res, i, c
		}
		if maxSteps > 0 && res.Steps >= maxSteps {
			res.Truncated = true
			return res, i, c
		}
		a := -1
		for i < len(sched) {
			x := sched[i]
			i++
			if contains(en, x) {
				a = x
				break
			}
		}
		if a < 0 {
			a = defaultChoice(en, last)
		}
		c.Step(a)
		res.Schedule = append(res.Schedule, a)
		res.Steps++
		last = a
		if obs != nil {
			obs(res.Steps-1, a, c)
		}
		if v := c.Check(false); v != "" {
			res.Violation = v
			return res, i, c
		}
	}
}

// defaultChoice is the default policy: last if enabled, else the lowest
// enabled actor. en is non-empty and ascending.
func defaultChoice(en []int, last int) int {
	if last >= 0 && contains(en, last) {
		return last
	}
	return en[0]
}

// contains reports whether en holds a. Enabled sets are small, so a linear
// scan beats binary search (and does not rely on the order).
func contains(en []int, a int) bool {
	for _, x := range en {
		if x == a {
			return true
		}
	}
	return false
}
