package explore

import (
	"fmt"
	"strings"
)

// Reduction is a set of state-space reductions for [Exhaustive]. Each one
// keeps the verdict of the search (whether a violation is reachable) and
// the set of quiescent states it reaches; each can be switched off.
type Reduction uint8

const (
	// ReducePOR is partial-order reduction (see Reducer): from each state
	// the search follows a persistent subset of the enabled actors, one
	// that cannot miss a quiescent state, a violation or a reachable
	// coverage point of the full search.
	ReducePOR Reduction = 1 << iota
	// ReduceSymmetry identifies states that differ only by a permutation
	// of interchangeable actors (see Symmetric).
	ReduceSymmetry
	// ReduceDead identifies states that differ only in values no later
	// step reads (see DeadValues): SPIN's dead variable elimination.
	ReduceDead

	// ReduceNone is no reduction: every interleaving.
	ReduceNone Reduction = 0
	// ReduceAll is every reduction.
	ReduceAll = ReducePOR | ReduceSymmetry | ReduceDead
)

var reductionNames = []struct {
	r    Reduction
	name string
}{{ReducePOR, "por"}, {ReduceSymmetry, "symmetry"}, {ReduceDead, "dead"}}

// String names the set as ParseReduction reads it: "none", "all", or the
// members joined by "+" ("por", "symmetry", "dead").
func (r Reduction) String() string {
	switch r {
	case ReduceNone:
		return "none"
	case ReduceAll:
		return "all"
	}
	var parts []string
	for _, n := range reductionNames {
		if r&n.r != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "+")
}

// ParseReduction reads "none", "all", or reduction names ("por",
// "symmetry", "dead") separated by "+" or ",".
func ParseReduction(s string) (Reduction, error) {
	switch s {
	case "none", "":
		return ReduceNone, nil
	case "all":
		return ReduceAll, nil
	}
	var r Reduction
	for _, part := range strings.FieldsFunc(s, func(c rune) bool { return c == '+' || c == ',' }) {
		found := false
		for _, n := range reductionNames {
			if part == n.name {
				r |= n.r
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("explore: unknown reduction %q (want none, all, por, symmetry or dead)", part)
		}
	}
	return r, nil
}

// setupReduction decides which of the requested reductions the search
// can use, and records the decision in the report.
func (s *search) setupReduction() {
	want := s.b.Reduce
	var notes []string
	if want&ReduceDead != 0 {
		// First: the other reductions then work on the copy whose keys
		// leave the dead values out.
		if dv, ok := s.m.(DeadValues); !ok {
			notes = append(notes, "dead: the model does not know which of its values are read (explore.DeadValues)")
		} else if m, why := dv.WithDeadValues(); why != "" {
			notes = append(notes, "dead: "+why)
		} else {
			s.m = m
			s.rep.Reduced |= ReduceDead
		}
	}
	if want&ReducePOR != 0 {
		r, ok := s.m.(Reducer)
		switch {
		case !ok:
			notes = append(notes, "por: the model does not describe its steps (explore.Reducer)")
		case s.preBound:
			notes = append(notes, "por: a preemption bound counts the orders it merges")
		default:
			if why := r.ReductionBlocker(); why != "" {
				notes = append(notes, "por: "+why)
			} else {
				s.red = r
				s.rep.Reduced |= ReducePOR
			}
		}
	}
	if want&ReduceSymmetry != 0 {
		sy, ok := s.m.(Symmetric)
		switch {
		case !ok:
			notes = append(notes, "symmetry: the model has no interchangeable actors (explore.Symmetric)")
		case s.preBound:
			notes = append(notes, "symmetry: a preemption bound counts the actor that stepped last, which a renaming changes")
		case s.red != nil:
			notes = append(notes, "symmetry: not combined with por (the persistent sets are computed for the state, the visited set holds its representative)")
		default:
			if canon, why := sy.Symmetry(); why != "" {
				notes = append(notes, "symmetry: "+why)
			} else {
				s.canon = canon
				s.rep.Reduced |= ReduceSymmetry
			}
		}
	}
	s.rep.ReductionNote = strings.Join(notes, "; ")
}

// Reducer is the optional interface of a Model for partial-order
// reduction (ReducePOR).
type Reducer interface {
	// ReductionBlocker returns "" if Persistent may be used on this model,
	// else why not (it is asked once, of the initial state).
	ReductionBlocker() string
	// Persistent appends to buf a persistent subset of en (the enabled
	// actors, ascending) and returns it: a non-empty subset such that,
	// from this state, no sequence of steps of actors outside it contains
	// a step that is dependent on (does not commute with, enables or
	// disables) the next step of an actor in it. It may return all of en.
	//
	// A search that follows only persistent subsets reaches every
	// quiescent state the full search reaches (Godefroid 1996, Theorem
	// 4.3), so it finds every violation of a property checked at
	// quiescence. With the cycle proviso that Exhaustive adds (a state
	// whose reduced successor is on the depth-first stack is expanded
	// fully), no step is postponed for ever either, so every step that
	// some run takes is taken by an explored run: a violation reported
	// after a step (a coverage point reached, a kernel panic) is found
	// too. Properties of intermediate states are not preserved: a model
	// with such properties must report a blocker.
	Persistent(en []int, buf []int) []int
}

// Symmetric is the optional interface of a Model for symmetry reduction
// (ReduceSymmetry).
//
// A symmetry is a renaming of the model's actors (and of whatever names
// them) under which the model steps the same: if a state steps to b with
// actor a, its renaming steps to b's renaming with a's renamed actor, and
// the properties give the same verdict. Two states that are renamings of
// each other then reach the same verdicts and the same outcomes up to
// the renaming, so the search explores only one of them: it keys each
// state by a representative of its class (Emerson and Sistla 1996, Ip and
// Dill 1996). It still expands the state itself, so every run it reports
// is a run of the model, replayable as it is.
type Symmetric interface {
	// Symmetry is asked once, of the initial state. It returns the
	// canonicalizer, or why the model cannot use one ("" and nil are
	// never returned together). canon(c, scratch) returns a renaming of c
	// that is the same for any two renamings of each other as far as it
	// can tell, or nil when c is its own representative: a canonicalizer
	// that always returns nil merges nothing and is still sound. scratch
	// is what it returned before (or nil), for it to reuse; the search
	// never steps or keeps what canon returns.
	Symmetry() (canon func(c, scratch Model) Model, why string)
}

// DeadValues is the optional interface of a Model for ReduceDead.
//
// A value of the state that no step can read any more (a register the
// program never reads again, the result of a call already consumed) is
// dead: two states that differ only in dead values step alike, to states
// that again differ only in dead values, with the same verdicts. Keying
// them alike is SPIN's dead variable elimination; the search still steps
// the states themselves, so every run it reports is a run of the model.
type DeadValues interface {
	// WithDeadValues is asked once, of the initial state. It returns a
	// copy of the model whose keys (AppendKey, and AppendComponent for a
	// Components model) leave out the values no later step reads, and
	// whose clones do too; or why the model cannot ("" and nil are never
	// returned together). The search then runs on the copy.
	WithDeadValues() (Model, string)
}
