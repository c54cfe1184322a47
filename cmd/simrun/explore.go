package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const exploreHelp = `usage: simrun explore NAME|FILE [flags]

Search the scenario's interleavings for a violation: every one
(-mode exhaustive, within the scenario's bounds) or many random ones
(-mode random, one run per seed). A violation is shrunk to a short
schedule, written to a schedule file (every step of the run, its scenario,
options, length and violation) and printed with the command that replays
it.

Exit status: 0 as expected (the violation the scenario expects under these
options was found, or none was and none is expected), 1 unexpected
violation, 2 bad input, 3 the expected race was not found by a search
complete within its bounds, 4 no violation found but a bound cut the
search (exhaustive: depth, preemptions, states or -max-memory; random: runs
stopped at -max-steps before their end) or Ctrl-C (SIGINT, SIGTERM) stopped
it. With -keep-going every distinct counterexample is written (NAME.schedule,
NAME.2.schedule, ...). See 'simrun -h'.
`

// exploreDetail is what the verdict record of explore adds.
type exploreDetail struct {
	Mode string `json:"mode"`
	// Exhaustive.
	States      int    `json:"states,omitempty"`
	Transitions int    `json:"transitions,omitempty"`
	MaxDepth    int    `json:"max_depth,omitempty"`
	Bounds      string `json:"bounds,omitempty"`
	// Random.
	FirstSeed uint64 `json:"first_seed,omitempty"`
	LastSeed  uint64 `json:"last_seed,omitempty"`
	Seed      uint64 `json:"seed,omitempty"`
	CutRuns   int    `json:"cut_runs,omitempty"`
	// A violation's schedule and where it was written.
	Schedule     string `json:"schedule,omitempty"`
	ScheduleFile string `json:"schedule_file,omitempty"`
	ShrinkCut    bool   `json:"shrink_cut,omitempty"`
	// Exhaustive: the reductions in effect (and why one asked for is
	// not), hash compaction and its omission probability, an interruption.
	Reduced             string  `json:"reduced,omitempty"`
	ReductionNote       string  `json:"reduction_note,omitempty"`
	Compacted           bool    `json:"compacted,omitempty"`
	OmissionProbability float64 `json:"omission_probability,omitempty"`
	Interrupted         bool    `json:"interrupted,omitempty"`
	// -keep-going: every distinct counterexample, the first one (Schedule)
	// included.
	Counterexamples []counterexampleRecord `json:"counterexamples,omitempty"`
}

// counterexampleRecord is one distinct counterexample of a -keep-going
// search: its violation, the coverage points its run reached, its schedule
// and the file it was written to.
type counterexampleRecord struct {
	Violation    string   `json:"violation"`
	Coverage     []string `json:"coverage,omitempty"`
	Steps        int      `json:"steps"`
	ScheduleFile string   `json:"schedule_file"`
}

// writeCounterexamples writes each distinct counterexample of rep to a
// schedule file of its own (the first to first, the best one, which the
// caller wrote; then first's name with .2, .3, ... before .schedule),
// each replayed to the full run it makes, and returns them in the order
// found.
func writeCounterexamples(s *scenarios.Scenario, opts model.Options, x scenarios.Exploration, rep explore.Report, first string) ([]counterexampleRecord, error) {
	w, err := s.Build(opts)
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(first, ".schedule")
	var out []counterexampleRecord
	n := 1
	for _, ce := range rep.Counterexamples {
		res := explore.Run(w, ce.Schedule, steps(s, x))
		if res.Violation != ce.Violation {
			return nil, fmt.Errorf("explore: internal error: a counterexample does not reproduce its violation (%q, replayed: %q)", ce.Violation, res.Violation)
		}
		file := first
		if ce.Violation != rep.Violation || !sameSchedule(ce.Schedule, rep.Schedule) {
			n++
			file = fmt.Sprintf("%s.%d.schedule", base, n)
			if err := writeSchedule(file, s, opts, res.Schedule, ce.Violation); err != nil {
				return nil, err
			}
		}
		out = append(out, counterexampleRecord{Violation: w.MapNames(ce.Violation), Coverage: model.Coverage(ce.Coverage).Names(),
			Steps: len(res.Schedule), ScheduleFile: file})
	}
	return out, nil
}

func sameSchedule(a, b explore.Schedule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// counterexampleLines lists the distinct counterexamples grouped by the
// coverage points their runs reached (the race windows), in the order
// each group was first found.
func counterexampleLines(w *sim.World, violations int, ces []counterexampleRecord) []string {
	noun := "counterexamples"
	if len(ces) == 1 {
		noun = "counterexample"
	}
	lines := []string{fmt.Sprintf("%d violating states, %d distinct %s (by violation and coverage points):", violations, len(ces), noun)}
	var groups []string
	byGroup := map[string][]counterexampleRecord{}
	for _, ce := range ces {
		g := strings.Join(ce.Coverage, ", ")
		if g == "" {
			g = "(no coverage point)"
		}
		if _, ok := byGroup[g]; !ok {
			groups = append(groups, g)
		}
		byGroup[g] = append(byGroup[g], ce)
	}
	for _, g := range groups {
		lines = append(lines, "  reaching "+g+":")
		for _, ce := range byGroup[g] {
			lines = append(lines, fmt.Sprintf("    %s (%d steps): %s", ce.ScheduleFile, ce.Steps, ce.Violation))
		}
	}
	return lines
}

func cmdExplore(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("explore", exploreHelp, stdout)
	kf := c.addKernelFlags()
	mode := c.fs.String("mode", "", "exhaustive (every interleaving, within the scenario's bounds) or random (default: the scenario's)")
	seeds := c.fs.String("seeds", "", "random mode: seeds to try, as N or N-M (default: the scenario's, else 1-100)")
	maxSteps := c.fs.Int("max-steps", 0, "random mode: steps per run (default: the scenario's, else 100000)")
	outFile := c.fs.String("o", "", "write a violating schedule to this file (default NAME.schedule)")
	quiet := c.fs.Bool("q", false, "no progress lines on stderr")
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header and the verdict record with the search's figures (docs/trace-format.md)")
	c.positive = []string{"max-steps"}
	reduce := c.fs.String("reduce", "", "exhaustive mode: state-space reductions, none, por, symmetry, dead (joined by +) or all (default: the scenario's, else none)")
	maxMemory := c.fs.String("max-memory", "", "exhaustive mode: bound the search's tables (8GiB, 512MiB, ...): past it the visited set is hash-compacted, and when that is full the search stops, cut short")
	hashCompact := c.fs.Bool("hash-compact", false, "exhaustive mode: store a 64-bit hash of each state instead of its key (the probability of a missed state is reported)")
	keepGoing := c.fs.Bool("keep-going", false, "exhaustive mode: go on past violations and report every distinct counterexample (by message and coverage points), each written to its own schedule file")
	keyByState := c.fs.Bool("key-by-state", false, "exhaustive mode, with -keep-going: key the visited set by the state alone, as SPIN's pan -c0 does (state counts comparable with a model checker's; a race window that reaches an explored state second is not reported)")
	order := c.fs.String("order", "", "exhaustive mode: the order choices are tried in, ascending (task ids) or priority (the cgroup.kill writer and other killers first: finds a violation sooner, covers the same)")
	_, s, opts, _, err := c.load(kf, args)
	if err != nil {
		return exitBadInput, err
	}
	x := scenarios.Exploration{Mode: *mode, MaxSteps: *maxSteps, HashCompact: *hashCompact, KeepGoing: *keepGoing, KeyByState: *keyByState}
	if *reduce != "" {
		if x.Reduce, err = explore.ParseReduction(*reduce); err != nil {
			return exitBadInput, fmt.Errorf("explore: -reduce: %v", strings.TrimPrefix(err.Error(), "explore: "))
		}
		x.ReduceSet = true
	}
	if *order != "" {
		if x.Order, err = explore.ParseOrder(*order); err != nil {
			return exitBadInput, fmt.Errorf("explore: -order: %v", strings.TrimPrefix(err.Error(), "explore: "))
		}
		x.OrderSet = true
	}
	if *maxMemory != "" {
		if x.MaxMemory, err = scenarios.ParseBytes(*maxMemory); err != nil {
			return exitBadInput, fmt.Errorf("explore: -max-memory: %v", err)
		}
	}
	if *seeds != "" {
		if x.FirstSeed, x.LastSeed, err = scenarios.ParseSeedRange(*seeds); err != nil {
			return exitBadInput, fmt.Errorf("explore: -seeds: %v", err)
		}
	}
	if x.Mode != "" && x.Mode != "exhaustive" && x.Mode != "random" {
		return exitBadInput, fmt.Errorf("explore: -mode %q: want exhaustive or random", x.Mode)
	}
	if x.Mode == "" {
		x.Mode = s.ExploreMode()
	}
	if x.Mode == "exhaustive" && (*seeds != "" || *maxSteps != 0) {
		return exitBadInput, fmt.Errorf("explore: -seeds and -max-steps are for -mode random; exhaustive mode is bounded by the scenario's explore settings")
	}
	if x.Mode == "random" && (x.ReduceSet || x.MaxMemory > 0 || x.HashCompact || x.KeepGoing || x.KeyByState || x.OrderSet) {
		return exitBadInput, fmt.Errorf("explore: -reduce, -max-memory, -hash-compact, -keep-going, -key-by-state and -order are for -mode exhaustive")
	}
	if x.KeyByState && !x.KeepGoing && !s.Bounds.KeepGoing {
		return exitBadInput, fmt.Errorf("explore: -key-by-state is for -keep-going (a search that stops at its first violation keys by state already)")
	}
	// Ctrl-C or SIGTERM stops the search: it returns its statistics and
	// the best counterexample so far, which is written as usual.
	stop, interrupted, release := interruptOnSignal()
	defer release()
	x.Stop = stop
	if !*quiet {
		x.Progress = progress(stderr)
	}
	h := header("explore", s, opts)
	if *asJSON {
		if err := sim.WriteHeader(stdout, h); err != nil {
			return exitBadInput, err
		}
	} else {
		fmt.Fprintf(stdout, "scenario %s, %s, mode %s\n", s.Name, opts, x.Mode)
	}
	out, err := s.Explore(opts, x)
	if err != nil {
		return exitBadInput, err
	}
	d := &exploreDetail{Mode: out.Mode}
	j := judgement{Search: true, Random: out.Mode == "random", Expect: s.Expectation(opts) == scenarios.ExpectViolation}
	var lines []string
	switch out.Mode {
	case "exhaustive":
		rep := out.Report
		d.States, d.Transitions, d.MaxDepth = rep.States, rep.Transitions, rep.MaxDepthSeen
		line := fmt.Sprintf("explored %d states, %d transitions, max depth %d", rep.States, rep.Transitions, rep.MaxDepthSeen)
		if rep.Truncated {
			d.Bounds = boundsString(s.Bounds, x)
			line += fmt.Sprintf(" (cut by the bounds: %s)", d.Bounds)
			j.Cut = true
		}
		lines = append(lines, line)
		if rep.Reduced != explore.ReduceNone || rep.ReductionNote != "" {
			d.Reduced, d.ReductionNote = rep.Reduced.String(), rep.ReductionNote
			l := "reduction: " + d.Reduced
			if rep.ReductionNote != "" {
				l += " (" + rep.ReductionNote + ")"
			}
			lines = append(lines, l)
		}
		if rep.Compacted || s.Bounds.HashCompact || x.HashCompact {
			d.Compacted, d.OmissionProbability = true, rep.OmissionProbability
			lines = append(lines, fmt.Sprintf("hash compaction: probability that a state was missed by a hash collision <= %.3g", rep.OmissionProbability))
		}
		if rep.Interrupted {
			d.Interrupted = true
			j.Cut, j.Interrupted = true, true
			lines = append(lines, fmt.Sprintf("interrupted by %s: the figures above are what the search had reached", *interrupted))
		}
	case "random":
		d.FirstSeed, d.LastSeed, d.CutRuns = out.FirstSeed, out.LastSeed, out.Truncated
		if out.Interrupted {
			d.Interrupted = true
			j.Cut, j.Interrupted = true, true
			lines = append(lines, fmt.Sprintf("interrupted by %s after seed %d", *interrupted, out.LastSeed))
		}
		if out.Violation != "" {
			d.Seed = out.Seed
			lines = append(lines, fmt.Sprintf("seed %d violates after %d steps", out.Seed, out.Steps))
		} else {
			line := fmt.Sprintf("seeds %d-%d: no violation", out.FirstSeed, out.LastSeed)
			if out.Truncated > 0 {
				line += fmt.Sprintf(" (%d of the runs stopped at -max-steps %d before their end)", out.Truncated, steps(s, x))
				j.Cut = true
			}
			lines = append(lines, line)
		}
	}
	w, err := s.Build(opts)
	if err != nil {
		return exitBadInput, err
	}
	if out.Violation != "" {
		// The search's schedule may skip choices or lean on the default
		// policy after its end: write the run it makes, every step, which
		// replays exactly.
		res := explore.Run(w, out.Schedule, steps(s, x))
		if res.Violation != out.Violation {
			return exitBadInput, fmt.Errorf("explore: internal error: the schedule found does not reproduce its violation (%q, replayed: %q)", out.Violation, res.Violation)
		}
		sched := res.Schedule
		j.Violation = w.MapNames(out.Violation)
		j.Cut = false
		d.Schedule, d.ShrinkCut = sched.String(), out.ShrinkCut
		d.ScheduleFile = *outFile
		if d.ScheduleFile == "" {
			d.ScheduleFile = s.Name + ".schedule"
		}
		if err := writeSchedule(d.ScheduleFile, s, opts, sched, out.Violation); err != nil {
			return exitBadInput, err
		}
		lines = append(lines, "VIOLATION: "+j.Violation)
		shown := sched.String()
		if len(sched) > 64 {
			shown = "(in the schedule file)"
		}
		if out.ShrinkCut {
			lines = append(lines, fmt.Sprintf("schedule (%d steps; shrinking stopped at its budget, a shorter one may exist): %s", len(sched), shown))
		} else {
			lines = append(lines, fmt.Sprintf("shortest schedule found (%d steps): %s", len(sched), shown))
		}
		lines = append(lines, fmt.Sprintf("schedule written to %s; replay it with:\n  simrun replay %s", d.ScheduleFile, d.ScheduleFile))
		if x.KeepGoing || s.Bounds.KeepGoing {
			more, err := writeCounterexamples(s, opts, x, out.Report, d.ScheduleFile)
			if err != nil {
				return exitBadInput, err
			}
			d.Counterexamples = more
			lines = append(lines, counterexampleLines(w, out.Report.Violations, more)...)
		}
	}
	if *asJSON {
		v := newVerdict(j)
		v.exploreDetail = d
		return j.code(), sim.WriteRecord(stdout, v)
	}
	for _, l := range lines {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintln(stdout, j.text())
	return j.code(), nil
}

// steps is the step limit of one run of the exploration.
func steps(s *scenarios.Scenario, x scenarios.Exploration) int {
	if x.MaxSteps > 0 {
		return x.MaxSteps
	}
	return s.Steps()
}

// progress returns a Progress function that writes to w once the search
// has run for a second, then at most once a second. The wall clock only
// paces these lines on stderr; it never reaches a trace or a verdict.
func progress(w io.Writer) func(string) {
	start := time.Now()
	last := start
	return func(msg string) {
		now := time.Now()
		if now.Sub(start) < time.Second || now.Sub(last) < time.Second {
			return
		}
		last = now
		fmt.Fprintf(w, "simrun: %s (%.0fs)\n", msg, now.Sub(start).Seconds())
	}
}

func boundsString(b explore.Bounds, x scenarios.Exploration) string {
	var parts []string
	if x.MaxMemory > 0 {
		b.MaxMemory = x.MaxMemory
	}
	if b.MaxMemory > 0 {
		parts = append(parts, fmt.Sprintf("memory %d bytes", b.MaxMemory))
	}
	if b.MaxDepth > 0 {
		parts = append(parts, fmt.Sprintf("depth %d", b.MaxDepth))
	}
	if b.MaxPreemptions >= 0 {
		parts = append(parts, fmt.Sprintf("%d preemptions", b.MaxPreemptions))
	}
	if b.MaxStates > 0 {
		parts = append(parts, fmt.Sprintf("%d states", b.MaxStates))
	}
	return strings.Join(parts, ", ")
}
