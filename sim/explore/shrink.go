package explore

// Shrink returns a schedule, no longer than sched, whose [Run] (with the same
// m and maxSteps) still satisfies still. A nil still means "Run reports the
// same non-empty Violation as Run(m, sched, maxSteps)". If sched itself does
// not satisfy still (or, with a nil still, does not violate), a copy of sched
// is returned unchanged. m is not modified and sched is not aliased.
//
// The reduction is delta debugging and fully deterministic; it repeats the
// following passes until none of them makes progress:
//
//  1. drop the tail of the schedule that Run never consumed;
//  2. remove chunks of decreasing size (len/2, len/4, ..., 1);
//  3. replace each choice by every lower actor id, lowest first.
//
// Each candidate costs one Run, and pass 2 may try O(n²) candidates for a
// schedule of length n, so keep maxSteps tight: it also bounds how far the
// default policy may continue after a candidate's explicit choices.
func Shrink(m Model, sched Schedule, maxSteps int, still func(Result) bool) Schedule {
	s, _ := ShrinkWithin(m, sched, maxSteps, still, 0)
	return s
}

// ShrinkWithin is Shrink that stops once its candidate runs have taken
// budget steps in all (0: no limit), returning the shortest schedule found
// so far and whether the budget cut it short. A random schedule of a fork
// bomb is thousands of steps long, and shrinking it completely can take
// minutes; a budget keeps a command-line search responsive.
func ShrinkWithin(m Model, sched Schedule, maxSteps int, still func(Result) bool, budget int) (Schedule, bool) {
	if still == nil {
		want := Run(m, sched, maxSteps).Violation
		if want == "" {
			return append(Schedule{}, sched...), false
		}
		still = func(r Result) bool { return r.Violation == want }
	}
	return shrink(m, sched, maxSteps, func(r Result, _ Model) bool { return still(r) }, budget)
}

// shrink is ShrinkWithin with a predicate that also sees the state the
// candidate run ended in.
func shrink(m Model, sched Schedule, maxSteps int, still func(Result, Model) bool, budget int) (Schedule, bool) {
	cur := append(Schedule{}, sched...)
	spent := 0
	cut := false
	// test runs cand and, if it still qualifies, returns it trimmed to the
	// prefix that Run consumed (the rest cannot influence the run).
	test := func(cand Schedule) (Schedule, bool) {
		if budget > 0 && spent >= budget {
			cut = true
			return nil, false
		}
		r, used, fin := run(m, cand, maxSteps, nil)
		spent += r.Steps
		if !still(r, fin) {
			return nil, false
		}
		return cand[:used], true
	}
	t, ok := test(cur)
	if !ok {
		return cur, false
	}
	cur = t
	buf := make(Schedule, 0, len(cur))
	for changed := true; changed && !cut; {
		changed = false
		size := max(len(cur)/2, 1)
		for {
			for start := 0; start+size <= len(cur); {
				buf = append(append(buf[:0], cur[:start]...), cur[start+size:]...)
				if t, ok := test(buf); ok {
					cur = append(cur[:0], t...)
					changed = true
					continue // retry the same position on the shorter schedule
				}
				start += size
			}
			if size == 1 {
				break
			}
			size /= 2
		}
		for i := 0; i < len(cur); i++ {
			for v := 0; v < cur[i]; v++ {
				buf = append(buf[:0], cur...)
				buf[i] = v
				if t, ok := test(buf); ok {
					cur = append(cur[:0], t...)
					changed = true
					break
				}
			}
		}
	}
	return cur, cut
}
