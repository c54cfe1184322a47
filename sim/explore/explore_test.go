package explore

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExhaustiveVariants(t *testing.T) {
	tests := []struct {
		variant, nf, no int
		violates        bool
	}{
		{1, 1, 0, true},
		{1, 2, 1, true},
		{2, 1, 0, true},
		{2, 2, 1, true},
		{3, 1, 0, false},
		{3, 3, 1, false},
	}
	for _, tc := range tests {
		for _, compact := range []bool{false, true} {
			name := fmt.Sprintf("v%d/nf=%d/no=%d/compact=%v", tc.variant, tc.nf, tc.no, compact)
			t.Run(name, func(t *testing.T) {
				m := newToy(tc.variant, tc.nf, tc.no)
				before := m.AppendKey(nil)
				b := Unbounded()
				b.HashCompact = compact
				rep := Exhaustive(m, b)
				t.Logf("states=%d transitions=%d maxdepth=%d violation=%q schedule=%q visited=%dB",
					rep.States, rep.Transitions, rep.MaxDepthSeen, rep.Violation, rep.Schedule, rep.VisitedBytes)
				assert.Equal(t, before, m.AppendKey(nil), "Exhaustive mutated its model")
				assert.False(t, rep.Truncated)
				if compact {
					assert.Positive(t, rep.OmissionProbability)
				} else {
					assert.Zero(t, rep.OmissionProbability)
				}
				if !tc.violates {
					assert.Empty(t, rep.Violation)
					assert.Empty(t, rep.Schedule)
					assert.Zero(t, rep.Violations)
					assert.True(t, rep.Complete)
					return
				}
				require.NotEmpty(t, rep.Violation)
				assert.Equal(t, 1, rep.Violations)
				assert.False(t, rep.Complete)

				// The reported schedule replays exactly, with or without a limit.
				for _, limit := range []int{0, len(rep.Schedule)} {
					r := Run(m, rep.Schedule, limit)
					assert.Equal(t, rep.Violation, r.Violation)
					assert.Equal(t, rep.Schedule, r.Schedule)
				}

				// The raw search path replays too, and shrinking never lengthens it.
				nb := b
				nb.NoShrink = true
				raw := Exhaustive(m, nb)
				require.Equal(t, rep.Violation, raw.Violation)
				assert.Equal(t, rep.Violation, Run(m, raw.Schedule, 0).Violation)
				assert.LessOrEqual(t, len(rep.Schedule), len(raw.Schedule))
				t.Logf("raw path %d steps, shrunk %d", len(raw.Schedule), len(rep.Schedule))

				s := Shrink(m, raw.Schedule, 0, nil)
				assert.LessOrEqual(t, len(s), len(raw.Schedule))
				assert.Equal(t, rep.Violation, Run(m, s, 0).Violation)
			})
		}
	}
}

func TestExhaustiveDeterministic(t *testing.T) {
	for _, b := range []Bounds{Unbounded(), {MaxPreemptions: 1}, {MaxPreemptions: -1, HashCompact: true, KeepGoing: true}} {
		m := newToy(2, 2, 1)
		assert.Equal(t, Exhaustive(m, b), Exhaustive(m, b))
	}
}

func TestPreemptionBound(t *testing.T) {
	tests := []struct {
		variant, nf, no int
		bound           int
		violates        bool
	}{
		// Variant 1 needs one preemption: the forker passes its kill-bit check,
		// then the killer runs its whole pass before the forker links.
		{1, 1, 0, 0, false},
		{1, 1, 0, 1, true},
		{1, 1, 0, -1, true},
		// Variant 2 needs two: the forker must snapshot after seq++ (preempting
		// the killer) and pass its check before the killer signals it (a
		// second preemption back to the killer).
		{2, 1, 0, 0, false},
		{2, 1, 0, 1, false},
		{2, 1, 0, 2, true},
		{2, 1, 0, -1, true},
		{3, 3, 1, 0, false},
		{3, 3, 1, 2, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("v%d/nf=%d/no=%d/bound=%d", tc.variant, tc.nf, tc.no, tc.bound), func(t *testing.T) {
			m := newToy(tc.variant, tc.nf, tc.no)
			rep := Exhaustive(m, Bounds{MaxPreemptions: tc.bound})
			t.Logf("states=%d violation=%q schedule=%q truncated=%v", rep.States, rep.Violation, rep.Schedule, rep.Truncated)
			if !tc.violates {
				assert.Empty(t, rep.Violation)
				if tc.bound >= 0 {
					assert.True(t, rep.Truncated)
					assert.False(t, rep.Complete)
				}
				return
			}
			require.NotEmpty(t, rep.Violation)
			assert.Equal(t, rep.Violation, Run(m, rep.Schedule, 0).Violation)
			if tc.bound >= 0 {
				assert.LessOrEqual(t, preemptions(m, rep.Schedule), tc.bound)
			}
		})
	}
	// Bounding only ever shrinks the explored state space.
	m := newToy(3, 3, 1)
	full := Exhaustive(m, Unbounded())
	prev := 0
	for k := 0; k <= 12; k++ {
		rep := Exhaustive(m, Bounds{MaxPreemptions: k})
		assert.LessOrEqual(t, rep.States, full.States)
		assert.GreaterOrEqual(t, rep.States, prev)
		prev = rep.States
	}
	assert.Equal(t, full.States, prev, "a generous bound must reach every state")
}

// preemptions counts the preemptions along a schedule whose choices are all enabled.
func preemptions(m Model, s Schedule) int {
	c := m.Clone()
	n, last := 0, -1
	var en []int
	for _, a := range s {
		en = c.Enabled(en[:0])
		if last >= 0 && a != last && contains(en, last) {
			n++
		}
		c.Step(a)
		last = a
	}
	return n
}

func TestBoundsTruncate(t *testing.T) {
	m := newToy(3, 3, 1)
	full := Exhaustive(m, Unbounded())
	require.True(t, full.Complete)

	rep := Exhaustive(m, Bounds{MaxPreemptions: -1, MaxStates: 10})
	assert.True(t, rep.Truncated)
	assert.False(t, rep.Complete)
	assert.Equal(t, 10, rep.States)

	rep = Exhaustive(m, Bounds{MaxPreemptions: -1, MaxStates: full.States})
	assert.False(t, rep.Truncated)
	assert.True(t, rep.Complete)

	rep = Exhaustive(m, Bounds{MaxPreemptions: -1, MaxDepth: 4})
	assert.True(t, rep.Truncated)
	assert.Equal(t, 4, rep.MaxDepthSeen)
	assert.Less(t, rep.States, full.States)

	rep = Exhaustive(m, Bounds{MaxPreemptions: -1, MaxDepth: full.MaxDepthSeen})
	assert.False(t, rep.Truncated)
	assert.Equal(t, full.States, rep.States)
}

func TestKeepGoing(t *testing.T) {
	m := newToy(1, 2, 1)
	rep := Exhaustive(m, Bounds{MaxPreemptions: -1, KeepGoing: true})
	t.Logf("states=%d violations=%d first=%q", rep.States, rep.Violations, rep.Schedule)
	assert.Greater(t, rep.Violations, 1)
	assert.True(t, rep.Complete)
	assert.Equal(t, rep.Violation, Run(m, rep.Schedule, 0).Violation)
}

func TestRunPolicy(t *testing.T) {
	m := newToy(3, 1, 0) // actor 0 = forker, 1 = killer
	// 7 is never enabled and is skipped; the killer then goes; the default
	// policy finishes with the forker, which finds its kill bit set.
	var seen []int
	r := RunObserved(m, Schedule{7, 1}, 0, func(step, actor int, _ Model) {
		assert.Equal(t, len(seen), step)
		seen = append(seen, actor)
	})
	assert.Equal(t, Result{Steps: 3, Schedule: Schedule{1, 0, 0}, Final: true}, r)
	assert.Equal(t, []int(r.Schedule), seen)

	// Default policy alone: the forker runs to completion, then the killer.
	r = Run(m, nil, 0)
	assert.Equal(t, Schedule{0, 0, 0, 0, 1}, r.Schedule)
	assert.True(t, r.Final)

	r = Run(m, nil, 2)
	assert.Equal(t, Result{Steps: 2, Schedule: Schedule{0, 0}, Truncated: true}, r)
}

func TestRandom(t *testing.T) {
	m := newToy(3, 3, 1)
	a, b := Random(m, 42, 0), Random(m, 42, 0)
	assert.Equal(t, a, b)
	assert.True(t, a.Final)
	assert.Equal(t, a, Run(m, a.Schedule, 0), "a random run replays")

	distinct := map[string]bool{}
	for seed := uint64(0); seed < 20; seed++ {
		distinct[Random(m, seed, 0).Schedule.String()] = true
	}
	assert.Greater(t, len(distinct), 10)

	r := Random(m, 7, 3)
	assert.True(t, r.Truncated)
	assert.Equal(t, 3, r.Steps)

	// Random walks find the variant 1 bug too.
	found := false
	for seed := uint64(0); seed < 200 && !found; seed++ {
		r := Random(newToy(1, 1, 0), seed, 0)
		if r.Violation != "" {
			found = true
			assert.Equal(t, r.Violation, Run(newToy(1, 1, 0), r.Schedule, 0).Violation)
		}
	}
	assert.True(t, found)
}

func TestShrink(t *testing.T) {
	m := newToy(1, 2, 1)
	raw := Exhaustive(m, Bounds{MaxPreemptions: -1, NoShrink: true})
	require.NotEmpty(t, raw.Violation)
	// Pad with noise: choices of absent actors and extra steps.
	padded := Schedule{9, 0, 5}
	padded = append(padded, raw.Schedule...)
	padded = append(padded, 2, 2, 9, 1, 0)
	require.Equal(t, raw.Violation, Run(m, padded, 0).Violation)

	s := Shrink(m, padded, 0, nil)
	t.Logf("raw %q (%d) → shrunk %q (%d)", raw.Schedule, len(raw.Schedule), s, len(s))
	assert.LessOrEqual(t, len(s), len(raw.Schedule))
	assert.Equal(t, raw.Violation, Run(m, s, 0).Violation)
	assert.Equal(t, s, Shrink(m, padded, 0, nil), "deterministic")
	assert.Equal(t, s, Shrink(m, s, 0, nil), "fixpoint")

	// A custom predicate: any violation at all.
	s2 := Shrink(m, padded, 0, func(r Result) bool { return r.Violation != "" })
	assert.LessOrEqual(t, len(s2), len(s))

	// Not violating: returned unchanged (as a copy).
	ok := Schedule{0, 0, 0, 0}
	got := Shrink(newToy(3, 1, 0), ok, 0, nil)
	assert.Equal(t, ok, got)
	got[0] = 5
	assert.Equal(t, 0, ok[0])
}

func TestParseSchedule(t *testing.T) {
	good := []struct {
		in   string
		want Schedule
	}{
		{"", Schedule{}},
		{"   ", Schedule{}},
		{"0", Schedule{0}},
		{"0 1 1 0", Schedule{0, 1, 1, 0}},
		{" 3\t12\n0 ", Schedule{3, 12, 0}},
		{"1,2, 3", Schedule{1, 2, 3}},
	}
	for _, tc := range good {
		got, err := ParseSchedule(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		back, err := ParseSchedule(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	assert.Equal(t, "0 1 1 0", Schedule{0, 1, 1, 0}.String())
	assert.Equal(t, "", Schedule(nil).String())

	for _, in := range []string{"x", "0 1 a", "-1", "1 -2", "1.5", "99999999999999999999999"} {
		_, err := ParseSchedule(in)
		assert.Error(t, err, in)
	}
}

func TestHash64(t *testing.T) {
	// Pinned values: the hash must never change across versions or platforms,
	// or HashCompact searches stop being reproducible.
	assert.Equal(t, uint64(0x98d71b9822d19482), Hash64(nil))
	assert.Equal(t, uint64(0xbfcdde27660e7b82), Hash64([]byte("abcdefghij")))
	assert.Equal(t, uint64(0x47562b445043e73d), Hash64([]byte("cgsim explore")))
	assert.Equal(t, Hash64(nil), Hash64([]byte{}))
	seen := map[uint64]bool{}
	for n := 0; n < 64; n++ {
		for _, fill := range []byte{0, 1, 0xff} {
			if n == 0 && fill != 0 {
				continue
			}
			p := make([]byte, n)
			for i := range p {
				p[i] = fill
			}
			h := Hash64(p)
			assert.False(t, seen[h], "collision at n=%d fill=%d", n, fill)
			seen[h] = true
		}
	}
}

func benchExhaustive(b *testing.B, bounds Bounds) {
	m := newToy(3, 4, 2)
	var states, visited int
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		rep := Exhaustive(m, bounds)
		if rep.Violation != "" || !rep.Complete {
			b.Fatalf("unexpected report %+v", rep)
		}
		states += rep.States
		visited = rep.VisitedBytes * 1000 / rep.States
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(states)/b.Elapsed().Seconds(), "states/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(states), "allocB/state")
	b.ReportMetric(float64(visited)/1000, "visitedB/state")
	b.ReportMetric(float64(states)/float64(b.N), "states/op")
}

func BenchmarkExhaustive(b *testing.B) {
	b.Run("exact", func(b *testing.B) { benchExhaustive(b, Unbounded()) })
	b.Run("compact", func(b *testing.B) { benchExhaustive(b, Bounds{MaxPreemptions: -1, HashCompact: true}) })
}

// counter is the classic lost update: each of n actors reads a shared
// counter, then writes back read+1. Quiescence requires counter == n.
type counter struct {
	c   int
	pc  []int // 0 read, 1 write, 2 done
	tmp []int
}

func newCounter(n int) *counter { return &counter{pc: make([]int, n), tmp: make([]int, n)} }

func (m *counter) Enabled(buf []int) []int {
	for i, pc := range m.pc {
		if pc < 2 {
			buf = append(buf, i)
		}
	}
	return buf
}

func (m *counter) Step(a int) {
	if m.pc[a] == 0 {
		m.tmp[a] = m.c
	} else {
		m.c = m.tmp[a] + 1
	}
	m.pc[a]++
}

func (m *counter) Clone() Model {
	return &counter{c: m.c, pc: append([]int(nil), m.pc...), tmp: append([]int(nil), m.tmp...)}
}

func (m *counter) AppendKey(buf []byte) []byte {
	buf = append(buf, byte(m.c))
	for i := range m.pc {
		buf = append(buf, byte(m.pc[i]), byte(m.tmp[i]))
	}
	return buf
}

func (m *counter) Check(final bool) string {
	if final && m.c != len(m.pc) {
		return fmt.Sprintf("lost update: counter %d, want %d", m.c, len(m.pc))
	}
	return ""
}

func TestLostUpdate(t *testing.T) {
	m := newCounter(3)
	rep := Exhaustive(m, Unbounded())
	t.Logf("states=%d violation=%q schedule=%q", rep.States, rep.Violation, rep.Schedule)
	require.NotEmpty(t, rep.Violation)
	assert.Equal(t, rep.Violation, Run(m, rep.Schedule, 0).Violation)
	// Every actor must finish, so the trace has all six steps.
	assert.Len(t, rep.Schedule, 6)

	// No actors at all: the initial state is quiescent and violates.
	empty := newCounter(0)
	empty.c = 1
	rep = Exhaustive(empty, Unbounded())
	assert.Equal(t, "lost update: counter 1, want 0", rep.Violation)
	assert.Empty(t, rep.Schedule)
	assert.Equal(t, 1, rep.States)
	assert.Equal(t, Result{Final: true, Violation: rep.Violation}, Run(empty, nil, 0))
}
