package explore

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compToy is the toy with its state key in components: one per byte of
// its state (plus the layout), compared with the state it was stepped
// from.
type compToy struct{ *toy }

func (c compToy) Clone() Model { return compToy{c.toy.Clone().(*toy)} }

func (c compToy) NumComponents() int { return len(c.s) }

func (c compToy) AppendComponent(i int, buf []byte) []byte { return append(buf, c.s[i]) }

func (c compToy) SameComponents(prev Model, buf []int32) []int32 {
	p := prev.(compToy)
	for i := range c.s {
		if i%3 == 0 && i < len(p.s) && p.s[i] == c.s[i] {
			buf = append(buf, int32(i))
		} else {
			buf = append(buf, -1) // "cannot tell": encoded again
		}
	}
	return buf
}

func TestComponentsKeepTheSearch(t *testing.T) {
	for _, tc := range []struct{ variant, nf, no int }{{1, 2, 1}, {2, 2, 1}, {3, 3, 1}} {
		for _, keep := range []bool{false, true} {
			b := Unbounded()
			b.KeepGoing = keep
			plain := Exhaustive(newToy(tc.variant, tc.nf, tc.no), b)
			comp := Exhaustive(compToy{newToy(tc.variant, tc.nf, tc.no)}, b)
			assert.Equal(t, plain.States, comp.States)
			assert.Equal(t, plain.Transitions, comp.Transitions)
			assert.Equal(t, plain.Violation, comp.Violation)
			assert.Equal(t, plain.Violations, comp.Violations)
			assert.Equal(t, plain.Schedule, comp.Schedule)
		}
	}
}

func TestMaxMemory(t *testing.T) {
	m := newToy(3, 3, 1)
	full := Exhaustive(m, Unbounded())
	require.True(t, full.Complete)
	t.Logf("full search: %d states, %d bytes", full.States, full.VisitedBytes)

	// A bound the exact table outgrows: it switches to hash compaction and
	// completes.
	b := Unbounded()
	b.MaxMemory = 50 << 10
	rep := Exhaustive(m, b)
	t.Logf("bound %d: states %d, compacted %v, bytes %d", b.MaxMemory, rep.States, rep.Compacted, rep.VisitedBytes)
	assert.True(t, rep.Compacted)
	assert.False(t, rep.MemoryBound)
	assert.True(t, rep.Complete)
	assert.Equal(t, full.States, rep.States)
	assert.Positive(t, rep.OmissionProbability)
	assert.LessOrEqual(t, int64(rep.VisitedBytes), b.MaxMemory)

	// A bound too small even for the hashes: the search stops, and says so.
	b.MaxMemory = 20 << 10
	rep = Exhaustive(m, b)
	t.Logf("bound %d: states %d, bytes %d", b.MaxMemory, rep.States, rep.VisitedBytes)
	assert.True(t, rep.MemoryBound)
	assert.True(t, rep.Truncated)
	assert.False(t, rep.Complete)
	assert.Less(t, rep.States, full.States)
	assert.LessOrEqual(t, int64(rep.VisitedBytes), b.MaxMemory)
	assert.Equal(t, rep, Exhaustive(m, b), "deterministic")
}

// stopAfter closes stop when the model has taken n steps in all, as an
// operator interrupting a long search would.
type stopAfter struct {
	*toy
	steps *int
	n     int
	stop  chan struct{}
}

func (s stopAfter) Clone() Model { return stopAfter{s.toy.Clone().(*toy), s.steps, s.n, s.stop} }

func (s stopAfter) Step(a int) {
	s.toy.Step(a)
	*s.steps++
	if *s.steps == s.n {
		close(s.stop)
	}
}

func TestStop(t *testing.T) {
	// Stopped before it starts: nothing but the initial state.
	stop := make(chan struct{})
	close(stop)
	b := Unbounded()
	b.Stop = stop
	rep := Exhaustive(newToy(3, 3, 1), b)
	assert.True(t, rep.Interrupted)
	assert.False(t, rep.Complete)
	assert.Equal(t, 1, rep.States)

	// Stopped in the middle of a keep-going search: the report has the
	// statistics and the best counterexample so far, and it replays.
	full := Exhaustive(newToy(1, 2, 1), Bounds{MaxPreemptions: -1, KeepGoing: true})
	require.Greater(t, full.Violations, 1)
	steps := 0
	m := stopAfter{newToy(1, 2, 1), &steps, full.Transitions / 2, make(chan struct{})}
	rep = Exhaustive(m, Bounds{MaxPreemptions: -1, KeepGoing: true, Stop: m.stop})
	t.Logf("interrupted after %d of %d transitions: %d violations, best %q (%d steps)", rep.Transitions, full.Transitions, rep.Violations, rep.Schedule, len(rep.Schedule))
	assert.True(t, rep.Interrupted)
	assert.False(t, rep.Complete)
	assert.Less(t, rep.Transitions, full.Transitions)
	require.NotEmpty(t, rep.Violation)
	assert.Equal(t, rep.Violation, Run(newToy(1, 2, 1), rep.Schedule, 0).Violation)
}

func TestCounterexamples(t *testing.T) {
	m := newToy(1, 2, 1)
	rep := Exhaustive(m, Bounds{MaxPreemptions: -1, KeepGoing: true})
	t.Logf("%d violating states, %d distinct counterexamples", rep.Violations, len(rep.Counterexamples))
	require.NotEmpty(t, rep.Counterexamples)
	seen := map[string]bool{}
	shortest := -1
	for _, c := range rep.Counterexamples {
		assert.False(t, seen[c.Violation], "distinct: %q", c.Violation)
		seen[c.Violation] = true
		r := Run(m, c.Schedule, 0)
		assert.Equal(t, c.Violation, r.Violation, "replays: %s", c.Schedule)
		if shortest < 0 || len(c.Schedule) < shortest {
			shortest = len(c.Schedule)
		}
		t.Logf("%q: %s", c.Violation, c.Schedule)
	}
	// The report's own counterexample is among them.
	assert.True(t, seen[rep.Violation])

	// Without KeepGoing: the one violation found.
	one := Exhaustive(m, Unbounded())
	require.Len(t, one.Counterexamples, 1)
	assert.Equal(t, one.Violation, one.Counterexamples[0].Violation)
	assert.Equal(t, one.Schedule, one.Counterexamples[0].Schedule)
}

// killerFirst gives the toy's killer priority.
type killerFirst struct{ *toy }

func (k killerFirst) Clone() Model { return killerFirst{k.toy.Clone().(*toy)} }

func (k killerFirst) Priority(a int) int {
	if a == k.nf {
		return 1
	}
	return 0
}

func TestOrderPriority(t *testing.T) {
	for _, variant := range []int{1, 2, 3} {
		asc := Exhaustive(killerFirst{newToy(variant, 3, 1)}, Bounds{MaxPreemptions: -1, NoShrink: true})
		b := Bounds{MaxPreemptions: -1, NoShrink: true, Order: OrderPriority}
		pri := Exhaustive(killerFirst{newToy(variant, 3, 1)}, b)
		t.Logf("variant %d: ascending %d states to %q, killer first %d states to %q", variant, asc.States, asc.Violation, pri.States, pri.Violation)
		assert.Equal(t, asc.Violation != "", pri.Violation != "")
		if pri.Violation != "" {
			assert.Equal(t, pri.Violation, Run(newToy(variant, 3, 1), pri.Schedule, 0).Violation)
		}
		// The order does not change what a complete search covers.
		b.KeepGoing = true
		ka := Exhaustive(killerFirst{newToy(variant, 3, 1)}, Bounds{MaxPreemptions: -1, NoShrink: true, KeepGoing: true})
		kp := Exhaustive(killerFirst{newToy(variant, 3, 1)}, b)
		assert.Equal(t, ka.States, kp.States)
		assert.Equal(t, ka.Transitions, kp.Transitions)
		assert.Equal(t, ka.Violations, kp.Violations)
	}
}

func TestParseReduction(t *testing.T) {
	for _, r := range []Reduction{ReduceNone, ReducePOR, ReduceSymmetry, ReduceDead, ReducePOR | ReduceDead, ReduceAll} {
		got, err := ParseReduction(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	got, err := ParseReduction("symmetry,por")
	require.NoError(t, err)
	assert.Equal(t, ReducePOR|ReduceSymmetry, got)
	got, err = ParseReduction("dead+symmetry,por")
	require.NoError(t, err)
	assert.Equal(t, ReduceAll, got)
	_, err = ParseReduction("sleep")
	assert.Error(t, err)
}

// The visited set's memory bound: compaction keeps the hashes.
func TestVisitedCompact(t *testing.T) {
	v := newVisited(true)
	keys := [][]byte{[]byte("a"), []byte("bb"), []byte("ccc")}
	for _, k := range keys {
		h := keyHash(k)
		slot, found := v.find(h, k)
		require.False(t, found)
		v.insert(slot, h, k, 0)
	}
	before := v.bytes()
	v.compact()
	assert.Less(t, v.bytes(), before)
	for _, k := range keys {
		_, found := v.find(keyHash(k), k)
		assert.True(t, found)
	}
	_, found := v.find(keyHash([]byte("d")), []byte("d"))
	assert.False(t, found)
	assert.False(t, bytes.Equal(keys[0], keys[1]))
}
