package explore

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

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
	// MaxMemory bounds, in bytes, the memory of the search's tables (the
	// visited set and the interned key components; the depth-first stack,
	// which holds one state per step of the current path, is not counted);
	// 0 means unlimited. When an exact visited set would outgrow it, the
	// search switches to hash compaction (Report.Compacted) and goes on;
	// when the compacted table is full too, the search stops with
	// Report.Truncated and Report.MemoryBound set. So a search never grows
	// until the OOM killer ends it, and never stops silently.
	MaxMemory int64
	// HashCompact stores a 64-bit hash (see [Hash64]) of each state key
	// instead of the key. The visited set then costs about 16 bytes/slot
	// regardless of the key size, at the price of a small probability that a
	// state colliding with an earlier one is wrongly treated as visited and
	// its subtree omitted; Report.OmissionProbability estimates it.
	HashCompact bool
	// KeepGoing continues the search after a violation instead of stopping
	// at the first one. Violating states are not expanded (a run stops at
	// its first violation); Report.Violations counts them, and
	// Report.Counterexamples keeps one counterexample per distinct
	// violation (message and coverage), the shortest found.
	//
	// For a model that reports coverage ([Coverer]), KeepGoing also keys
	// the visited set by the pair (state, coverage) instead of the state
	// alone, so its searches visit more states than a search to the end
	// keyed by state would (Report.States counts the pairs). Coverage is
	// history, not state: two runs can reach the same state through
	// different race windows, and a search keyed by state alone explores
	// that state once, for the first run that reaches it, and prunes the
	// other, so the other window's counterexample would never be
	// reported. Keyed by the pair, a state is explored once for each
	// distinct coverage it is reached with. Without KeepGoing the search
	// stops at the first violation and keys by state alone: its counts do
	// not change.
	KeepGoing bool
	// KeyByState, with KeepGoing, keys the visited set by the state alone,
	// as a model checker going on past errors does (SPIN's pan -c0): the
	// state counts are then comparable with one, at the price of the
	// counterexamples whose race window reaches an explored state second
	// (see KeepGoing). It is for measuring, not for finding every window.
	KeyByState bool
	// NoShrink reports the violating paths exactly as the depth-first search
	// found them, skipping the [Shrink] pass (whose cost grows quadratically
	// with the path length).
	NoShrink bool
	// Reduce selects the state-space reductions (see [Reduction]); the zero
	// value is none. A reduction the model or the bounds do not support is
	// switched off, and Report.Reduced/ReductionNote say so.
	Reduce Reduction
	// Order selects the order in which the choices out of a state are
	// tried (see [Order]). It changes which violation is found first and how
	// soon, never what a complete search covers.
	Order Order
	// Stop, if set, interrupts the search when it is closed (or receives):
	// it is polled between states. The search then returns what it has:
	// its statistics and the best counterexample so far, with
	// Report.Interrupted set. Pass a context's Done() to bound a search by
	// a context.
	Stop <-chan struct{}
	// Progress, if set, is called with the number of states visited so far
	// every 65,536 new states (simrun prints it for long searches). It
	// must not touch the model.
	Progress func(states int)
}

// Unbounded returns the Bounds of a complete search: no depth, preemption
// or state limit, exact visited set, stop at the first violation.
func Unbounded() Bounds { return Bounds{MaxPreemptions: -1} }

// Order is the order in which Exhaustive tries the choices out of a state.
type Order uint8

const (
	// OrderAscending tries the enabled actors in ascending order.
	OrderAscending Order = iota
	// OrderPriority tries them by the model's [Prioritizer] ranking,
	// highest first, ties in ascending order: a heuristic that lets a
	// model put the actor that makes a race happen (the task writing
	// cgroup.kill) before the ones that merely take part in it, which finds
	// violations sooner. It needs a model that implements Prioritizer
	// (otherwise it is OrderAscending).
	OrderPriority
)

// String names the order as ParseOrder reads it.
func (o Order) String() string {
	if o == OrderPriority {
		return "priority"
	}
	return "ascending"
}

// ParseOrder reads "ascending" or "priority".
func ParseOrder(s string) (Order, error) {
	switch s {
	case "ascending":
		return OrderAscending, nil
	case "priority":
		return OrderPriority, nil
	}
	return 0, fmt.Errorf("explore: unknown order %q (want ascending or priority)", s)
}

// Prioritizer is an optional interface of a Model for [OrderPriority].
type Prioritizer interface {
	// Priority ranks actor a in the current state: higher goes first.
	Priority(a int) int
}

// Counterexample is one violation an exhaustive search found.
type Counterexample struct {
	// Violation is the message Model.Check returned.
	Violation string
	// Coverage is what the violating run reached, if the model reports
	// coverage ([Coverer]); counterexamples are distinct by Violation and
	// Coverage.
	Coverage uint64
	// Schedule reproduces the violation with [Run], at its last step or at
	// quiescence right after it; it is the shortest the search found for
	// this Violation and Coverage (shrunk unless Bounds.NoShrink).
	Schedule Schedule
}

// Coverer is an optional interface of a Model: what the run that led to
// the current state reached (a bit set, such as model.Coverage), to tell
// counterexamples apart.
type Coverer interface {
	Coverage() uint64
}

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
	// Violation is "" or the best violation found: the one with the
	// shortest path (the first found among equally short ones). Without
	// Bounds.KeepGoing the search stops at the first violation it finds.
	Violation string
	// Schedule leads from the initial state to Violation: every choice is
	// enabled when taken, and Run(m, Schedule, 0) reproduces the violation
	// at its last step (or at quiescence right after it). Unless
	// Bounds.NoShrink is set it has been shortened with Shrink, so it may
	// differ from the path the search followed, and is never longer.
	Schedule Schedule
	// Violations is the number of distinct violating states found: 0 or 1
	// unless Bounds.KeepGoing is set (then, for a [Coverer] model, the
	// number of distinct violating (state, coverage) pairs).
	Violations int
	// Counterexamples holds one counterexample per distinct violation
	// (message and coverage), in the order they were first found. Without
	// KeepGoing it holds the one violation found, if any.
	Counterexamples []Counterexample
	// Truncated is true when a bound (depth, preemptions, states or
	// memory) cut the search: some reachable behaviour may not have been
	// explored.
	Truncated bool
	// MemoryBound is true when Bounds.MaxMemory stopped the search (with
	// Truncated).
	MemoryBound bool
	// Compacted is true when the visited set switched from exact keys to
	// hash compaction at Bounds.MaxMemory; OmissionProbability then covers
	// the states stored from that point on.
	Compacted bool
	// Interrupted is true when Bounds.Stop cut the search short.
	Interrupted bool
	// Complete is true when the search covered every state reachable from
	// the initial one (up to the reductions in Reduced, which preserve the
	// verdicts and the quiescent states): it was neither truncated, nor
	// interrupted, nor stopped at a violation. (With hash compaction, up
	// to the OmissionProbability.)
	Complete bool
	// OmissionProbability is, with hash compaction, the estimated
	// probability n²/2^65 that two distinct states among the n stored as
	// hashes had equal hashes, so that one of them (and possibly states
	// reachable only through it) was omitted. It is 0 for an exact search.
	OmissionProbability float64
	// VisitedBytes is the memory held by the visited set at the end (the
	// interned key components included).
	VisitedBytes int
	// Reduced is the set of reductions that were in effect.
	Reduced Reduction
	// ReductionNote says why a requested reduction was switched off ("" if
	// none was).
	ReductionNote string
}

// frame is one state on the depth-first stack.
type frame struct {
	m      Model // nil once the state has been expanded
	en     []int // choices to explore from here (buffer reused across pushes)
	next   int   // index in en of the next choice
	prev   int   // actor whose step produced this state; -1 at the root
	prevEn bool  // prev is enabled here: another choice is a preemption
	pre    int   // preemptions used to get here
	depth  int
	comp   []uint32 // componentwise keys: the state's interned component ids
	same   []int32  // scratch: SameComponents of a child against this state
	// Partial-order reduction: all is every enabled actor when en is a
	// persistent subset of it (reduced); h and off find the state's
	// visited-set slot, whose on-stack bit the cycle proviso reads.
	all     []int
	reduced bool
	h, off  uint64
}

// search is one run of Exhaustive.
type search struct {
	b   Bounds
	m   Model
	rep Report

	vis   *visited
	comps *visited                     // interned key components (componentwise models)
	cm    Components                   // the model's Components, or nil
	cov   bool                         // key by (coverage, state): KeepGoing and a Coverer
	pri   bool                         // order by Prioritizer
	red   Reducer                      // partial-order reduction, or nil
	canon func(c, scratch Model) Model // symmetry reduction's canonicalizer, or nil
	rep0  Model                        // canon's scratch
	pbuf  []int

	stack []frame
	free  []Model // discarded states for a Recycler model to reuse
	key   []byte
	enc   []byte
	comp  []uint32 // the component ids of the state being keyed (push hands the buffer to the new frame and takes the frame's old one)

	preBound, depthBound bool

	cex     []Counterexample
	cexPath []Schedule // the path of each counterexample as found
	cexIdx  map[string]int
	best    int  // index in cex of the shortest counterexample, -1 if none
	stopped bool // stopped at a violation
}

// Exhaustive searches every interleaving of m's actors depth first (with an
// explicit stack, so depth is limited only by memory) and reports what it
// found. m is not modified: the search starts from a clone.
//
// Choices are explored in ascending actor order (see Bounds.Order). A
// visited set keyed by AppendKey (or, for a model that implements
// [Components], by its key components; with b.KeepGoing and a [Coverer]
// model, by the coverage too) prunes states already explored;
// with a preemption or depth bound it also remembers the fewest
// preemptions and the smallest depth with which a state was reached, and
// explores the state again when it is reached with fewer (so bounding never
// hides a state that is reachable within the bounds). Check(false) is
// called for each new state and again when a state is re-explored under a
// bound (Check is deterministic, so a revisit cannot change its answer),
// and Check(true) once for each new quiescent state. The search stops at
// the first violation unless b.KeepGoing is set; the reported schedules
// are then shortened with [Shrink] unless b.NoShrink is set.
//
// Cost: one Clone (or CloneInto) and one Step per explored edge; for a
// Components model, the components the step changed are encoded and
// interned, the others are found unchanged; amortised O(1) visited-set
// work with no per-state allocation.
func Exhaustive(m Model, b Bounds) Report {
	s := &search{b: b, m: m, best: -1}
	s.run()
	return s.rep
}

func (s *search) run() {
	b := s.b
	s.vis = newVisited(!b.HashCompact)
	if cm, ok := s.m.(Components); ok {
		s.cm = cm
		s.comps = newVisited(true)
	}
	if _, ok := s.m.(Coverer); ok && b.KeepGoing && !b.KeyByState {
		s.cov = true
	}
	if _, ok := s.m.(Prioritizer); ok && b.Order == OrderPriority {
		s.pri = true
	}
	s.preBound = b.MaxPreemptions >= 0
	s.depthBound = b.MaxDepth > 0
	if b.MaxMemory > 0 {
		s.vis.limit = b.MaxMemory
	}

	s.setupReduction()
	root := s.m.Clone()
	s.keyOf(root, nil)
	h := keyHash(s.key)
	slot, _ := s.vis.find(h, s.key)
	s.vis.insert(slot, h, s.key, s.auxOf(0, 0))
	s.rep.States = 1
	// The initial state is not checked with final=false: Check runs after
	// steps. A quiescent initial state gets its final check.
	if !s.push(root, -1, 0, 0, false) {
		s.loop()
	}
	s.finish()
}

// auxOf packs the bound-relevant parts of a visit; unbounded dimensions
// are recorded as 0 so that every revisit is dominated.
func (s *search) auxOf(pre, depth int) uint64 {
	var a uint64
	if s.preBound {
		a = uint64(pre) << 32
	}
	if s.depthBound {
		a |= uint64(uint32(depth))
	}
	return a
}

func dominated(stored, now uint64) bool {
	return stored>>32 <= now>>32 && uint32(stored) <= uint32(now)
}

// keyOf sets s.key to c's state key. For a Components model it also sets
// s.comp to c's component ids; parent is the frame c was stepped from (nil
// for the root): components SameComponents finds unchanged there take the
// parent's ids without being encoded again.
//
// It is the one place a visited-set key is made (the root, every
// successor, the cycle proviso's on-stack mark and, through the key's
// hash, hash compaction all use s.key), so when s.cov is set the key
// starts with c's coverage, as a uvarint: a prefix, because a uvarint
// ends itself, keeps the pair (coverage, key) unambiguous even for a
// model whose keys are not prefix-free. The interned components stay
// the state's alone. Under symmetry reduction the rest of the key is the
// representative's, after the same prefix: coverage points name no actor,
// so a renaming of c was reached with c's coverage.
func (s *search) keyOf(c Model, parent *frame) {
	key := s.key[:0]
	if s.cov {
		key = binary.AppendUvarint(key, c.(Coverer).Coverage())
	}
	prefix := len(key)
	s.ownKey(c, parent, key)
	if s.canon == nil {
		return
	}
	// Symmetry reduction: the key is the representative's. s.comp stays
	// c's own components, which c's children are compared with.
	r := s.canon(c, s.rep0)
	if r == nil {
		return
	}
	s.rep0 = r
	key = s.key[:prefix]
	if s.cm == nil {
		s.key = r.AppendKey(key)
		return
	}
	cm := r.(Components)
	for i, n := 0, cm.NumComponents(); i < n; i++ {
		s.enc = cm.AppendComponent(i, s.enc[:0])
		key = binary.AppendUvarint(key, uint64(s.intern(s.enc)))
	}
	s.key = key
}

// ownKey sets s.key (and s.comp for a Components model) to key followed
// by c's own key.
func (s *search) ownKey(c Model, parent *frame, key []byte) {
	if s.cm == nil {
		s.key = c.AppendKey(key)
		return
	}
	cm := c.(Components)
	n := cm.NumComponents()
	if cap(s.comp) < n {
		s.comp = make([]uint32, n)
	}
	comp := s.comp[:n]
	if parent == nil {
		for i := range comp {
			s.enc = cm.AppendComponent(i, s.enc[:0])
			comp[i] = s.intern(s.enc)
		}
	} else {
		parent.same = cm.SameComponents(parent.m, parent.same[:0])
		same, pc := parent.same[:n], parent.comp
		for i := range comp {
			if j := same[i]; j >= 0 {
				comp[i] = pc[j]
			} else {
				s.enc = cm.AppendComponent(i, s.enc[:0])
				comp[i] = s.intern(s.enc)
			}
		}
	}
	s.comp, s.key = comp, appendIDs(key, comp)
}

// appendIDs appends each of ids to key as a uvarint (the bytes of
// binary.AppendUvarint), growing key once.
func appendIDs(key []byte, ids []uint32) []byte {
	key = slices.Grow(key, binary.MaxVarintLen32*len(ids))
	n := len(key)
	b := key[n : n+binary.MaxVarintLen32*len(ids)]
	k := 0
	for _, id := range ids {
		for id >= 0x80 {
			b[k] = byte(id) | 0x80
			id >>= 7
			k++
		}
		b[k] = byte(id)
		k++
	}
	return key[:n+k]
}

// intern returns the id of component encoding enc, adding it if new.
func (s *search) intern(enc []byte) uint32 {
	h := componentHash(enc)
	slot, found := s.comps.find(h, enc)
	if found {
		return uint32(s.comps.aux[slot])
	}
	id := uint64(s.comps.n)
	s.comps.insert(slot, h, enc, id)
	return uint32(id)
}

// push puts the (already deduplicated and checked) state c on the stack
// unless it is a leaf, performing the final check when it is quiescent
// and new (revisit false). It reports whether the search must stop.
func (s *search) push(c Model, prev, pre, depth int, revisit bool) bool {
	if depth > s.rep.MaxDepthSeen {
		s.rep.MaxDepthSeen = depth
	}
	if len(s.stack) < cap(s.stack) {
		s.stack = s.stack[:len(s.stack)+1]
	} else {
		s.stack = append(s.stack, frame{})
	}
	f := &s.stack[len(s.stack)-1]
	f.en = c.Enabled(f.en[:0])
	if len(f.en) == 0 {
		s.stack = s.stack[:len(s.stack)-1]
		defer s.discard(c)
		if revisit {
			return false // checked and counted on the first visit
		}
		if v := c.Check(true); v != "" {
			// The stack no longer holds this state: pass its step.
			return s.violation(v, c, prev)
		}
		return false
	}
	if s.depthBound && depth >= s.b.MaxDepth {
		s.stack = s.stack[:len(s.stack)-1]
		s.discard(c)
		s.rep.Truncated = true
		return false
	}
	f.m, f.next, f.prev, f.pre, f.depth = c, 0, prev, pre, depth
	if s.cm != nil {
		// The frame takes s.comp; keyOf refills the frame's old buffer.
		f.comp, s.comp = s.comp, f.comp[:0]
	}
	f.prevEn = prev >= 0 && contains(f.en, prev)
	f.reduced = false
	if s.red != nil && len(f.en) > 1 {
		s.pbuf = c.(Reducer).Persistent(f.en, s.pbuf[:0])
		if len(s.pbuf) < len(f.en) {
			f.all = append(f.all[:0], f.en...)
			f.en = append(f.en[:0], s.pbuf...)
			f.reduced = true
			s.markOnStack(f, true)
		}
	}
	if s.pri && len(f.en) > 1 {
		orderByPriority(c.(Prioritizer), f.en)
	}
	if s.preBound && f.prevEn && pre >= s.b.MaxPreemptions && len(f.en) > 1 {
		// Only the non-preempting choice remains within the bound.
		f.en = append(f.en[:0], prev)
		s.rep.Truncated = true
	}
	return false
}

// onStack marks, in a visited slot's aux, a state on the depth-first stack
// whose choices were reduced (see the cycle proviso in loop).
const onStack = 1 << 63

// markOnStack sets or clears the on-stack bit of f's state. It is set in
// push, when s.key is the state's key; it is cleared by the hash and, in
// an exact table, the key's position in the arena (the table may have
// grown meanwhile, and s.key moved on).
func (s *search) markOnStack(f *frame, on bool) {
	v := s.vis
	if on {
		f.h = keyHash(s.key)
		slot, found := v.find(f.h, s.key)
		if !found {
			panic("explore: a state on the stack is not in the visited set")
		}
		f.off = 0
		if v.exact {
			f.off = v.off[slot]
		}
		v.aux[slot] |= onStack
		return
	}
	mask := uint64(len(v.hs) - 1)
	for i := f.h >> v.shift; v.hs[i] != 0; i = (i + 1) & mask {
		if v.hs[i] == f.h && (!v.exact || v.off[i] == f.off) {
			v.aux[i] &^= onStack
			return
		}
	}
}

// expandFully adds to a reduced frame the enabled actors its persistent
// subset left out.
func (s *search) expandFully(f *frame) {
	f.reduced = false
	s.markOnStack(f, false)
	for _, a := range f.all {
		if !contains(f.en, a) {
			f.en = append(f.en, a)
		}
	}
}

// orderByPriority sorts en (ascending) by descending priority, stably.
func orderByPriority(p Prioritizer, en []int) {
	// Insertion sort: enabled sets are small.
	for i := 1; i < len(en); i++ {
		a, pa := en[i], p.Priority(en[i])
		j := i
		for j > 0 && p.Priority(en[j-1]) < pa {
			en[j] = en[j-1]
			j--
		}
		en[j] = a
	}
}

func (s *search) discard(c Model) {
	if _, ok := c.(Recycler); ok {
		s.free = append(s.free, c)
	}
}

// clone copies f's state for a child, reusing a discarded state if the
// model allows it.
func (s *search) clone(f *frame) Model {
	if r, ok := f.m.(Recycler); ok && len(s.free) > 0 {
		c := r.CloneInto(s.free[len(s.free)-1])
		s.free = s.free[:len(s.free)-1]
		return c
	}
	return f.m.Clone()
}

// loop runs the depth-first search until the stack is empty or the
// search must stop.
func (s *search) loop() {
	b := &s.b
	for len(s.stack) > 0 {
		f := &s.stack[len(s.stack)-1]
		if f.next >= len(f.en) {
			if f.reduced {
				s.markOnStack(f, false)
			}
			s.discard(f.m)
			f.m = nil
			s.stack = s.stack[:len(s.stack)-1]
			continue
		}
		if b.Stop != nil && s.rep.Transitions&255 == 0 && s.interrupted() {
			return
		}
		a := f.en[f.next]
		f.next++
		pre := f.pre
		if f.prevEn && a != f.prev {
			pre++
		}
		depth := f.depth + 1
		var c Model
		if f.next == len(f.en) && !f.reduced && s.cm == nil {
			// The last choice out of f steps f's own state: no clone.
			// (Not for componentwise keys, which compare the child with
			// f's state, nor for a reduced frame, which the cycle proviso
			// may still expand.)
			c, f.m = f.m, nil
		} else {
			c = s.clone(f)
		}
		c.Step(a)
		s.rep.Transitions++

		s.keyOf(c, f)
		h := keyHash(s.key)
		aux := s.auxOf(pre, depth)
		slot, found := s.vis.find(h, s.key)
		if found {
			stored := s.vis.aux[slot]
			if f.reduced && stored&onStack != 0 {
				// The cycle proviso: a reduced successor closes a cycle
				// on the stack, so this state is expanded fully lest a
				// step be postponed round the cycle for ever.
				s.expandFully(f)
			}
			if dominated(stored&^onStack, aux) {
				s.discard(c)
				continue
			}
			s.vis.aux[slot] = aux | s.vis.aux[slot]&onStack // reached with fewer preemptions or steps
		} else {
			if b.MaxStates > 0 && s.rep.States >= b.MaxStates {
				s.discard(c)
				s.rep.Truncated = true
				return
			}
			if exact := s.vis.exact; !s.room() {
				s.discard(c)
				return
			} else if s.vis.exact != exact {
				slot, _ = s.vis.find(h, s.key) // room compacted the table
			}
			s.vis.insert(slot, h, s.key, aux)
			s.rep.States++
			if b.Progress != nil && s.rep.States&0xffff == 0 {
				b.Progress(s.rep.States)
			}
		}
		if v := c.Check(false); v != "" {
			if found {
				s.discard(c)
				continue // already counted when first visited
			}
			stop := s.violation(v, c, a)
			s.discard(c)
			if stop {
				return
			}
			continue
		}
		if s.push(c, a, pre, depth, found) {
			return
		}
	}
}

// interrupted polls Bounds.Stop.
func (s *search) interrupted() bool {
	select {
	case <-s.b.Stop:
		s.rep.Interrupted = true
		return true
	default:
		return false
	}
}

// room makes sure one more state fits within Bounds.MaxMemory, switching
// an exact visited set to hash compaction if that is what it takes. It
// reports false, with Truncated and MemoryBound set, when no room is left.
func (s *search) room() bool {
	if s.b.MaxMemory <= 0 {
		return true
	}
	s.vis.limit = s.b.MaxMemory - int64(s.compBytes())
	if s.vis.limit <= 0 {
		// The interned components alone fill the bound (a limit of 0
		// would read as none).
		s.vis.limit = 1
		s.rep.Truncated = true
		s.rep.MemoryBound = true
		return false
	}
	if s.vis.fits(len(s.key)) {
		return true
	}
	if s.vis.exact {
		s.vis.compact()
		s.rep.Compacted = true
		if s.vis.fits(len(s.key)) {
			return true
		}
	}
	s.rep.Truncated = true
	s.rep.MemoryBound = true
	return false
}

func (s *search) compBytes() int {
	if s.comps == nil {
		return 0
	}
	return s.comps.bytes()
}

// violation records violation v, reached by the frames on the stack plus,
// if a >= 0, the step a, in state c. It reports whether the search must
// stop.
func (s *search) violation(v string, c Model, a int) bool {
	s.rep.Violations++
	path := make(Schedule, 0, len(s.stack))
	for i := 1; i < len(s.stack); i++ {
		path = append(path, s.stack[i].prev)
	}
	if a >= 0 {
		path = append(path, a)
	}
	var cov uint64
	if cv, ok := c.(Coverer); ok {
		cov = cv.Coverage()
	}
	if s.cexIdx == nil {
		s.cexIdx = map[string]int{}
	}
	class := v + "\x00" + string(binary.AppendUvarint(nil, cov))
	if i, ok := s.cexIdx[class]; ok {
		if len(path) < len(s.cexPath[i]) {
			s.cexPath[i] = path
		}
	} else {
		s.cexIdx[class] = len(s.cex)
		s.cex = append(s.cex, Counterexample{Violation: v, Coverage: cov})
		s.cexPath = append(s.cexPath, path)
	}
	if !s.b.KeepGoing {
		s.stopped = true
		return true
	}
	return false
}

// finish fills in the report: completeness, the hash-compaction
// estimate, and the counterexamples (shrunk unless NoShrink).
func (s *search) finish() {
	rep := &s.rep
	rep.Complete = !rep.Truncated && !s.stopped && !rep.Interrupted
	if !s.vis.exact {
		n := float64(rep.States)
		rep.OmissionProbability = n * n / math.Exp2(65)
	}
	rep.VisitedBytes = s.vis.bytes() + s.compBytes()
	// With KeepGoing a counterexample stands for its class (violation and
	// coverage), which shrinking keeps; otherwise it stands for its
	// violation, and shrinking may reach other coverage points on a
	// shorter path (the coverage is then that of the shrunk run).
	_, covers := s.m.(Coverer)
	for i := range s.cex {
		c := &s.cex[i]
		c.Schedule = s.cexPath[i]
		if s.b.NoShrink {
			continue
		}
		c.Schedule = shortest(s.m, c.Schedule, c.Violation, c.Coverage, s.b.KeepGoing)
		if covers && !s.b.KeepGoing {
			_, _, fin := run(s.m, c.Schedule, len(c.Schedule), nil)
			c.Coverage = fin.(Coverer).Coverage()
		}
	}
	for i := range s.cex {
		if s.best < 0 || len(s.cexPath[i]) < len(s.cexPath[s.best]) {
			s.best = i
		}
	}
	if s.best >= 0 {
		rep.Violation = s.cex[s.best].Violation
		rep.Schedule = s.cex[s.best].Schedule
		rep.Counterexamples = s.cex
	}
}

// shortest shrinks path (which reproduces violation v with coverage cov)
// until the full trace of its run stops getting shorter, and returns that
// trace. A candidate must reproduce the same violation and, if sameCov is
// set and the model reports coverage, the same coverage.
func shortest(m Model, path Schedule, v string, cov uint64, sameCov bool) Schedule {
	_, covers := m.(Coverer)
	covers = covers && sameCov
	cur := path
	for {
		limit := len(cur)
		still := func(r Result, fin Model) bool {
			if r.Violation != v || r.Steps > limit {
				return false
			}
			return !covers || fin.(Coverer).Coverage() == cov
		}
		s, _ := shrink(m, cur, limit, still, 0)
		r, _, fin := run(m, s, limit, nil)
		if !still(r, fin) { // cannot happen for a deterministic model
			return cur
		}
		if len(r.Schedule) >= len(cur) {
			return r.Schedule
		}
		cur = r.Schedule
	}
}
