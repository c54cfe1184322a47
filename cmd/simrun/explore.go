package main

import (
	"fmt"
	"io"
	"strings"
	"time"

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
search (exhaustive: depth, preemptions or states; random: runs stopped at
-max-steps before their end). See 'simrun -h'.
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
	// Hooks for the search controls being built in sim/explore: once
	// explore.Bounds (and scenarios.Exploration) carry them, register
	// -keep-going, -max-memory and a Ctrl-C that stops with the best
	// schedule so far here, pass them in x below, and report a search they
	// stopped as cut short (exitCutShort), as a bound does.
	_, s, opts, _, err := c.load(kf, args)
	if err != nil {
		return exitBadInput, err
	}
	x := scenarios.Exploration{Mode: *mode, MaxSteps: *maxSteps}
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
			d.Bounds = boundsString(s.Bounds)
			line += fmt.Sprintf(" (cut by the bounds: %s)", d.Bounds)
			j.Cut = true
		}
		lines = append(lines, line)
	case "random":
		d.FirstSeed, d.LastSeed, d.CutRuns = out.FirstSeed, out.LastSeed, out.Truncated
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

func boundsString(b explore.Bounds) string {
	var parts []string
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
