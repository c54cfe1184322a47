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

	// ReduceNone is no reduction: every interleaving.
	ReduceNone Reduction = 0
	// ReduceAll is every reduction.
	ReduceAll = ReducePOR | ReduceSymmetry
)

var reductionNames = []struct {
	r    Reduction
	name string
}{{ReducePOR, "por"}, {ReduceSymmetry, "symmetry"}}

// String names the set as ParseReduction reads it: "none", "all", or the
// members joined by "+" ("por", "symmetry").
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
// "symmetry") separated by "+" or ",".
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
			return 0, fmt.Errorf("explore: unknown reduction %q (want none, all, por or symmetry)", part)
		}
	}
	return r, nil
}

// setupReduction decides which of the requested reductions the search
// can use, and records the decision in the report.
func (s *search) setupReduction() {
	want := s.b.Reduce
	var notes []string
	if want != ReduceNone {
		notes = append(notes, "not implemented yet")
	}
	s.rep.ReductionNote = strings.Join(notes, "; ")
}
