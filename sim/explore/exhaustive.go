package explore

import "math"

// Bounds configures [Exhaustive]. Note that the zero value means "no
// preemptions allowed" (MaxPreemptions 0); start from [Unbounded] for a full
// search.
type Bounds struct {
	// MaxDepth bounds the number of steps from the initial state; 0 means
	// unlimited. States at depth MaxDepth are checked but not expanded.
	MaxDepth int
	// MaxPreemptions bounds the preemptions along every explored path; -1
	// means unlimited. A preemption is a choice of an actor other than the one
	// that took the previous step while that actor is still enabled. Choosing
	// freely after the previous actor blocked or finished is not a
	// preemption, nor is the first step.
	MaxPreemptions int
	// MaxStates bounds the number of distinct states; 0 means unlimited. The
	// search stops (Truncated) when one more state would exceed it.
	MaxStates int
	// HashCompact stores a 64-bit hash (see [Hash64]) of each state key
	// instead of the key. The visited set then costs about 16 bytes/slot
	// regardless of the key size, at the price of a small probability that a
	// state colliding with an earlier one is wrongly treated as visited and
	// its subtree omitted; Report.OmissionProbability estimates it.
	HashCompact bool
	// KeepGoing continues the search after a violation instead of stopping
	// at the first one. Violating states are not expanded (a run stops at
	// its first violation); Report.Violations counts them and
	// Report.Violation/Schedule describe the first one found.
	KeepGoing bool
	// NoShrink reports the violating path exactly as the depth-first search
	// found it, skipping the [Shrink] pass (whose cost grows quadratically
	// with the path length).
	NoShrink bool
	// Progress, if set, is called with the number of states visited so far
	// every 65,536 new states (simrun prints it for long searches). It
	// must not touch the model.
	Progress func(states int)
}

// Unbounded returns the Bounds of a complete search: no depth, preemption
// or state limit, exact visited set, stop at the first violation.
func Unbounded() Bounds { return Bounds{MaxPreemptions: -1} }

// Report is the outcome of [Exhaustive].
type Report struct {
	// States is the number of distinct states visited (by key), including
	// the initial state.
	States int
	// Transitions is the number of steps executed (edges explored).
	Transitions int
	// MaxDepthSeen is the largest distance, in steps, from the initial state
	// at which a state was visited.
	MaxDepthSeen int
	// Violation is "" or the (first) violation found.
	Violation string
	// Schedule leads from the initial state to Violation: every choice is
	// enabled when taken, and Run(m, Schedule, 0) reproduces the violation
	// at its last step (or at quiescence right after it). Unless
	// Bounds.NoShrink is set it has been shortened with Shrink, so it may
	// differ from the path the search followed, and is never longer.
	Schedule Schedule
	// Violations is the number of distinct violating states found: 0 or 1
	// unless Bounds.KeepGoing is set.
	Violations int
	// Truncated is true when a bound (depth, preemptions or states) cut the
	// search: some reachable behaviour may not have been explored.
	Truncated bool
	// Complete is true when the search covered every state reachable from
	// the initial one: it was neither truncated nor stopped at a violation.
	// (With HashCompact, up to the OmissionProbability.)
	Complete bool
	// OmissionProbability is, with HashCompact, the estimated probability
	// States²/2^65 that two distinct states had equal hashes, so that one
	// of them (and possibly states reachable only through it) was omitted.
	// It is 0 for an exact search.
	OmissionProbability float64
	// VisitedBytes is the memory held by the visited set at the end.
	VisitedBytes int
}

// frame is one state on the depth-first stack.
type frame struct {
	m      Model // nil once handed to the last child
	en     []int // choices to explore from here (buffer reused across pushes)
	next   int   // index in en of the next choice
	prev   int   // actor whose step produced this state; -1 at the root
	prevEn bool  // prev is enabled here: another choice is a preemption
	pre    int   // preemptions used to get here
	depth  int
}

// Exhaustive searches every interleaving of m's actors depth first (with an
// explicit stack, so depth is limited only by memory) and reports what it
// found. m is not modified: the search starts from a clone.
//
// Choices are explored in ascending actor order. A visited set keyed by
// AppendKey prunes states already explored; with a preemption or depth bound
// it also remembers the fewest preemptions and the smallest depth with which
// a state was reached, and explores the state again when it is reached with
// fewer (so bounding never hides a state that is reachable within the
// bounds). Check(false) is called for each new state and again when a state
// is re-explored under a bound (Check is deterministic, so a revisit cannot
// change its answer), and Check(true) once for each new quiescent state. The search stops at the first violation unless
// b.KeepGoing is set; the reported schedule is then shortened with [Shrink]
// unless b.NoShrink is set.
//
// Cost: one Clone per explored edge except the last one out of each state
// (which steps the parent's own copy), one AppendKey into a reused buffer,
// and amortised O(1) visited-set work with no per-state allocation.
func Exhaustive(m Model, b Bounds) Report {
	var rep Report
	vis := newVisited(!b.HashCompact)
	preBound := b.MaxPreemptions >= 0
	depthBound := b.MaxDepth > 0
	// auxOf packs the bound-relevant parts of a visit; unbounded dimensions
	// are recorded as 0 so that every revisit is dominated.
	auxOf := func(pre, depth int) uint64 {
		var a uint64
		if preBound {
			a = uint64(pre) << 32
		}
		if depthBound {
			a |= uint64(uint32(depth))
		}
		return a
	}
	dominated := func(stored, now uint64) bool {
		return stored>>32 <= now>>32 && uint32(stored) <= uint32(now)
	}

	var (
		stack   []frame
		key     []byte
		first   Schedule // path to the first violation
		stopped bool     // stopped at a violation
	)
	// violation records a violation reached by the frames on the stack plus,
	// if a >= 0, the step a. It reports whether the search must stop.
	violation := func(v string, a int) bool {
		rep.Violations++
		if rep.Violation == "" {
			rep.Violation = v
			first = make(Schedule, 0, len(stack))
			for i := 1; i < len(stack); i++ {
				first = append(first, stack[i].prev)
			}
			if a >= 0 {
				first = append(first, a)
			}
		}
		if !b.KeepGoing {
			stopped = true
			return true
		}
		return false
	}
	// push puts the (already deduplicated and checked) state c on the stack
	// unless it is a leaf, performing the final check when it is quiescent
	// and new (revisit false). It reports whether the search must stop.
	// free holds discarded states for a Recycler model to reuse.
	var free []Model
	discard := func(c Model) {
		if _, ok := c.(Recycler); ok {
			free = append(free, c)
		}
	}
	push := func(c Model, prev, pre, depth int, revisit bool) bool {
		if depth > rep.MaxDepthSeen {
			rep.MaxDepthSeen = depth
		}
		if len(stack) < cap(stack) {
			stack = stack[:len(stack)+1]
		} else {
			stack = append(stack, frame{})
		}
		f := &stack[len(stack)-1]
		f.en = c.Enabled(f.en[:0])
		if len(f.en) == 0 {
			stack = stack[:len(stack)-1]
			defer discard(c)
			if revisit {
				return false // checked and counted on the first visit
			}
			if v := c.Check(true); v != "" {
				// The stack no longer holds this state: pass its step.
				return violation(v, prev)
			}
			return false
		}
		if depthBound && depth >= b.MaxDepth {
			stack = stack[:len(stack)-1]
			discard(c)
			rep.Truncated = true
			return false
		}
		f.m, f.next, f.prev, f.pre, f.depth = c, 0, prev, pre, depth
		f.prevEn = prev >= 0 && contains(f.en, prev)
		if preBound && f.prevEn && pre >= b.MaxPreemptions && len(f.en) > 1 {
			// Only the non-preempting choice remains within the bound.
			f.en = append(f.en[:0], prev)
			rep.Truncated = true
		}
		return false
	}

	root := m.Clone()
	key = root.AppendKey(key[:0])
	h := keyHash(key)
	slot, _ := vis.find(h, key)
	vis.insert(slot, h, key, auxOf(0, 0))
	rep.States = 1
	// The initial state is not checked with final=false: Check runs after
	// steps. A quiescent initial state gets its final check.
	if push(root, -1, 0, 0, false) {
		goto done
	}

	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next >= len(f.en) {
			f.m = nil
			stack = stack[:len(stack)-1]
			continue
		}
		a := f.en[f.next]
		f.next++
		pre := f.pre
		if f.prevEn && a != f.prev {
			pre++
		}
		depth := f.depth + 1
		var c Model
		if f.next == len(f.en) {
			c, f.m = f.m, nil
		} else if r, ok := f.m.(Recycler); ok && len(free) > 0 {
			c = r.CloneInto(free[len(free)-1])
			free = free[:len(free)-1]
		} else {
			c = f.m.Clone()
		}
		c.Step(a)
		rep.Transitions++

		key = c.AppendKey(key[:0])
		h := keyHash(key)
		aux := auxOf(pre, depth)
		slot, found := vis.find(h, key)
		if found {
			if dominated(vis.aux[slot], aux) {
				discard(c)
				continue
			}
			vis.aux[slot] = aux // reached with fewer preemptions or steps
		} else {
			if b.MaxStates > 0 && rep.States >= b.MaxStates {
				rep.Truncated = true
				break
			}
			vis.insert(slot, h, key, aux)
			rep.States++
			if b.Progress != nil && rep.States&0xffff == 0 {
				b.Progress(rep.States)
			}
		}
		if v := c.Check(false); v != "" {
			discard(c)
			if found {
				continue // already counted when first visited
			}
			if violation(v, a) {
				break
			}
			continue
		}
		if push(c, a, pre, depth, found) {
			break
		}
	}

done:
	rep.Complete = !rep.Truncated && !stopped
	if b.HashCompact {
		n := float64(rep.States)
		rep.OmissionProbability = n * n / math.Exp2(65)
	}
	rep.VisitedBytes = vis.bytes()
	if rep.Violation != "" {
		rep.Schedule = first
		if !b.NoShrink {
			rep.Schedule = shortest(m, first, rep.Violation)
		}
	}
	return rep
}

// shortest shrinks path (which reproduces violation v) until the full trace
// of its run stops getting shorter, and returns that trace.
func shortest(m Model, path Schedule, v string) Schedule {
	cur := path
	for {
		limit := len(cur)
		still := func(r Result) bool { return r.Violation == v && r.Steps <= limit }
		s := Shrink(m, cur, limit, still)
		r := Run(m, s, limit)
		if !still(r) { // cannot happen for a deterministic model
			return cur
		}
		if len(r.Schedule) >= len(cur) {
			return r.Schedule
		}
		cur = r.Schedule
	}
}
