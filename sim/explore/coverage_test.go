package explore

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// windows is the fork-vs-kill race cut down to its two windows, which end
// in the same state: a forker (actor 0) passes its fatal-signal check,
// then links its child; a killer (actor 1) starts its walk, which passes
// the forker's place at once, then signals the forker. A child linked
// after the walk started escapes. It escapes through window 1 when the
// killer's signal lands between the forker's check and its link (the
// forker passed its check before the kill, covW1), through window 2
// when the link lands between the walk's start and the signal (the link
// came after the walk, covW2). Both leave the forker and the killer done
// and the child escaped: the same state, with different coverage.
//
// Actor 2, when bystander > 0, takes that many steps that touch nothing
// the others read (for partial-order reduction to skip). pad adds zero
// bytes to the key (for a memory bound to bite on a model this small).
// quiet switches the violation off (for complete searches without
// KeepGoing).
type windows struct {
	fpc, kpc, escaped, bpc byte
	cover                  uint64
	bystander              byte
	pad                    int
	quiet                  bool
}

const (
	covW1 = 1 << iota // the killer signalled the forker between its check and its link
	covW2             // the forker linked its child between the walk's start and the signal
)

func newWindows(bystander byte, pad int) *windows {
	return &windows{bystander: bystander, pad: pad}
}

func (w *windows) Enabled(buf []int) []int {
	if w.fpc < 2 {
		buf = append(buf, 0)
	}
	if w.kpc < 2 {
		buf = append(buf, 1)
	}
	if w.bpc < w.bystander {
		buf = append(buf, 2)
	}
	return buf
}

func (w *windows) Step(a int) {
	switch a {
	case 0:
		switch w.fpc {
		case 0: // the fatal-signal check
			if w.kpc == 2 {
				w.fpc = 2 // killed before the fork: no child
			} else {
				w.fpc = 1
			}
		case 1: // the link
			if w.kpc >= 1 {
				w.escaped = 1 // the walk has passed
			}
			if w.kpc == 1 {
				w.cover |= covW2
			}
			w.fpc = 2
		}
	case 1:
		if w.kpc == 1 && w.fpc == 1 {
			w.cover |= covW1
		}
		w.kpc++
	case 2:
		w.bpc++
	}
}

func (w *windows) Clone() Model { c := *w; return &c }

func (w *windows) AppendKey(buf []byte) []byte {
	buf = append(buf, w.fpc, w.kpc, w.escaped, w.bpc)
	for range w.pad {
		buf = append(buf, 0)
	}
	return buf
}

func (w *windows) Check(final bool) string {
	if final && w.escaped != 0 && !w.quiet {
		return "the child escaped"
	}
	return ""
}

func (w *windows) Coverage() uint64 { return w.cover }

// hiddenCoverage is a model with its coverage hidden: a search keys its
// states by state alone.
type hiddenCoverage struct{ w *windows }

func (h hiddenCoverage) Enabled(buf []int) []int     { return h.w.Enabled(buf) }
func (h hiddenCoverage) Step(a int)                  { h.w.Step(a) }
func (h hiddenCoverage) Clone() Model                { return hiddenCoverage{h.w.Clone().(*windows)} }
func (h hiddenCoverage) AppendKey(buf []byte) []byte { return h.w.AppendKey(buf) }
func (h hiddenCoverage) Check(final bool) string     { return h.w.Check(final) }

// compWindows keys windows by components, one per byte of its key.
type compWindows struct{ *windows }

func (c compWindows) Clone() Model { return compWindows{c.windows.Clone().(*windows)} }

func (c compWindows) NumComponents() int { return 4 }

func (c compWindows) AppendComponent(i int, buf []byte) []byte {
	return append(buf, c.AppendKey(nil)[i])
}

func (c compWindows) SameComponents(prev Model, buf []int32) []int32 {
	p := prev.AppendKey(nil)
	for i, b := range c.AppendKey(nil)[:4] {
		if p[i] == b {
			buf = append(buf, int32(i))
		} else {
			buf = append(buf, -1)
		}
	}
	return buf
}

// porWindows is windows with partial-order reduction: the bystander's
// steps are independent of every other step, so the bystander alone is a
// persistent set whenever it can step.
type porWindows struct{ *windows }

func (p porWindows) Clone() Model { return porWindows{p.windows.Clone().(*windows)} }

func (p porWindows) ReductionBlocker() string { return "" }

func (p porWindows) Persistent(en []int, buf []int) []int {
	if contains(en, 2) {
		return append(buf, 2)
	}
	return append(buf, en...)
}

// symWindows is windows with symmetry reduction by the identity
// renaming, returned as a copy: every state is its own representative,
// but the search keys each by the copy canon returns, the symmetry
// path's key. symCompWindows is the same with componentwise keys.
type symWindows struct{ *windows }

func (w symWindows) Clone() Model { return symWindows{w.windows.Clone().(*windows)} }

func (w symWindows) Symmetry() (func(c, scratch Model) Model, string) {
	return func(c, _ Model) Model { return c.(symWindows).windows.Clone() }, ""
}

type symCompWindows struct{ compWindows }

func (w symCompWindows) Clone() Model { return symCompWindows{w.compWindows.Clone().(compWindows)} }

func (w symCompWindows) Symmetry() (func(c, scratch Model) Model, string) {
	return func(c, _ Model) Model { return c.(symCompWindows).compWindows.Clone() }, ""
}

// classes lists a report's counterexamples by coverage (the windows
// model has one violation), ascending.
func classes(rep Report) []uint64 {
	var out []uint64
	for _, c := range rep.Counterexamples {
		out = append(out, c.Coverage)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// TestKeepGoingKeysByCoverage: the two windows end in the same state with
// different coverage, and a keep-going search reports both, each shortest
// and replayable, because it keys its states by (state, coverage). Keyed
// by state alone (the coverage hidden), the second window's run reaches
// a state already explored and is pruned: one counterexample. Without
// KeepGoing the state counts do not change.
func TestKeepGoingKeysByCoverage(t *testing.T) {
	keep := Bounds{MaxPreemptions: -1, KeepGoing: true}
	m := newWindows(0, 0)
	rep := Exhaustive(m, keep)
	require.True(t, rep.Complete)
	assert.Equal(t, []uint64{covW1, covW2}, classes(rep))
	for _, c := range rep.Counterexamples {
		r, _, fin := run(m, c.Schedule, 0, nil)
		assert.Equal(t, c.Violation, r.Violation, "replays: %s", c.Schedule)
		assert.Equal(t, c.Coverage, fin.(Coverer).Coverage(), "reaches its window: %s", c.Schedule)
		assert.Len(t, c.Schedule, 4, "shortest: every escape takes the four steps")
		t.Logf("coverage %b: %s", c.Coverage, c.Schedule)
	}

	hidden := Exhaustive(hiddenCoverage{newWindows(0, 0)}, keep)
	require.True(t, hidden.Complete)
	assert.Len(t, hidden.Counterexamples, 1, "keyed by state alone, one window is pruned")
	assert.Greater(t, rep.States, hidden.States, "(state, coverage) pairs split states")
	assert.Greater(t, rep.Violations, hidden.Violations)
	t.Logf("keep-going: %d states keyed by (state, coverage), %d by state", rep.States, hidden.States)

	// Without KeepGoing the key is the state alone: the same counts as
	// with the coverage hidden, for a complete search and for one that
	// stops at its first violation.
	quiet := newWindows(0, 0)
	quiet.quiet = true
	full := Exhaustive(quiet, Unbounded())
	require.True(t, full.Complete)
	assert.Equal(t, Exhaustive(hiddenCoverage{quiet}, Unbounded()).States, full.States)
	assert.Equal(t, hidden.States, full.States)
	first := Exhaustive(m, Unbounded())
	firstHidden := Exhaustive(hiddenCoverage{m}, Unbounded())
	assert.Equal(t, firstHidden.States, first.States)
	assert.Equal(t, firstHidden.Transitions, first.Transitions)
}

// TestKeepGoingCoverageOnEveryKeyPath: componentwise keys, hash
// compaction (asked for, or switched to at a memory bound in the middle
// of the search), symmetry reduction and partial-order reduction all key
// by the coverage too, so they report the same distinct counterexamples as the plain
// exact search (and the same figures, except the reduction).
func TestKeepGoingCoverageOnEveryKeyPath(t *testing.T) {
	keep := Bounds{MaxPreemptions: -1, KeepGoing: true, NoShrink: true}
	plain := Exhaustive(newWindows(2, 200), keep)
	require.True(t, plain.Complete)
	require.Equal(t, []uint64{covW1, covW2}, classes(plain))
	same := func(name string, rep Report) {
		t.Helper()
		assert.True(t, rep.Complete, name)
		assert.Equal(t, plain.States, rep.States, name)
		assert.Equal(t, plain.Transitions, rep.Transitions, name)
		assert.Equal(t, plain.Violations, rep.Violations, name)
		assert.Equal(t, plain.Counterexamples, rep.Counterexamples, name)
	}

	same("components", Exhaustive(compWindows{newWindows(2, 200)}, keep))

	b := keep
	b.HashCompact = true
	same("hash compaction", Exhaustive(newWindows(2, 200), b))

	// The exact table (24 KiB) and its first 4 KiB key chunk fit; the
	// second chunk (8 KiB) does not: the search switches to hash
	// compaction after some twenty states.
	b = keep
	b.MaxMemory = 32 << 10
	rep := Exhaustive(newWindows(2, 200), b)
	assert.True(t, rep.Compacted, "compacted in the middle of the search")
	same("memory bound", rep)

	// Symmetry reduction keys a state by its representative: after the
	// same coverage prefix.
	b = keep
	b.Reduce = ReduceSymmetry
	for _, m := range []Model{symWindows{newWindows(2, 200)}, symCompWindows{compWindows{newWindows(2, 200)}}} {
		rep := Exhaustive(m, b)
		assert.Equal(t, ReduceSymmetry, rep.Reduced, rep.ReductionNote)
		same(fmt.Sprintf("symmetry %T", m), rep)
	}

	b = keep
	b.Reduce = ReducePOR
	red := Exhaustive(porWindows{newWindows(2, 200)}, b)
	assert.Equal(t, ReducePOR, red.Reduced, red.ReductionNote)
	assert.True(t, red.Complete)
	assert.Less(t, red.States, plain.States)
	assert.Equal(t, classes(plain), classes(red))
	// The same with the reduction switched off is the plain search.
	same("por switched off", Exhaustive(porWindows{newWindows(2, 200)}, keep))

	assert.Equal(t, plain, Exhaustive(newWindows(2, 200), keep), "deterministic")
}
