package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim/explore"
)

func cmdExplore(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun explore NAME|FILE [flags]

Search the scenario's interleavings for a violation: every one
(-mode exhaustive, within the scenario's bounds) or many random ones
(-mode random, one run per seed). A violation is shrunk to a short
schedule, written to a file and printed with the command that replays it.
Exit status 1 if a violation was found, or if the scenario expects one
under these options and none was found.
`)
	kf := addKernelFlags(fs)
	mode := fs.String("mode", "", "exhaustive (every interleaving, within the scenario's bounds) or random (default: the scenario's)")
	seeds := fs.String("seeds", "", "random mode: seeds to try, as N or N-M (default: the scenario's, else 1-100)")
	maxSteps := fs.Int("max-steps", 0, "random mode: steps per run (default: the scenario's, else 100000)")
	outFile := fs.String("o", "", "write a violating schedule to this file (default NAME.schedule)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	name, s, opts, _, err := kf.load(fs, args)
	if err != nil {
		return 2, err
	}
	if *maxSteps < 0 {
		return 2, fmt.Errorf("explore: -max-steps %d: want a positive number", *maxSteps)
	}
	x := scenarios.Exploration{Mode: *mode, MaxSteps: *maxSteps}
	if *seeds != "" {
		if x.FirstSeed, x.LastSeed, err = scenarios.ParseSeedRange(*seeds); err != nil {
			return 2, fmt.Errorf("-seeds: %v", err)
		}
	}
	if x.Mode != "" && x.Mode != "exhaustive" && x.Mode != "random" {
		return 2, fmt.Errorf("-mode %q: want exhaustive or random", x.Mode)
	}
	if !*quiet {
		x.Progress = progress(stderr)
	}
	if x.Mode == "" {
		x.Mode = s.ExploreMode()
	}
	fmt.Fprintf(stdout, "scenario %s, %s, mode %s\n", s.Name, opts, x.Mode)
	out, err := s.Explore(opts, x)
	if err != nil {
		return 2, err
	}
	switch out.Mode {
	case "exhaustive":
		rep := out.Report
		fmt.Fprintf(stdout, "explored %d states, %d transitions, max depth %d", rep.States, rep.Transitions, rep.MaxDepthSeen)
		if rep.Truncated {
			fmt.Fprintf(stdout, " (cut by the bounds: %s)", boundsString(s.Bounds))
		}
		fmt.Fprintln(stdout)
	case "random":
		if out.Violation != "" {
			fmt.Fprintf(stdout, "seed %d violates after %d steps\n", out.Seed, out.Steps)
		} else {
			fmt.Fprintf(stdout, "seeds %d-%d: no violation\n", out.FirstSeed, out.LastSeed)
		}
	}
	expected := s.Expectation(opts) == scenarios.ExpectViolation
	if out.Violation == "" {
		fmt.Fprintln(stdout, "verdict: no violation found")
		if expected {
			fmt.Fprintln(stdout, "note: this scenario expects a violation under these options, and the search did not find one")
			return 1, nil
		}
		return 0, nil
	}
	fmt.Fprintf(stdout, "VIOLATION: %s\n", out.Violation)
	shown := out.Schedule.String()
	if len(out.Schedule) > 64 {
		shown = "(in the schedule file)"
	}
	if out.ShrinkCut {
		fmt.Fprintf(stdout, "schedule (%d steps; shrinking stopped at its budget, a shorter one may exist): %s\n", len(out.Schedule), shown)
	} else {
		fmt.Fprintf(stdout, "shortest schedule found (%d steps): %s\n", len(out.Schedule), shown)
	}
	if expected {
		fmt.Fprintln(stdout, "note: this is the race this scenario teaches under these options")
	}
	file := *outFile
	if file == "" {
		file = s.Name + ".schedule"
	}
	if err := writeSchedule(file, name, s, opts, out.Schedule); err != nil {
		return 2, err
	}
	fmt.Fprintf(stdout, "schedule written to %s; replay it with:\n  simrun replay %s\n", file, file)
	return 1, nil
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

// A schedule file:
//
//	# cgsim schedule
//	scenario fork-vs-kill
//	options kill=flag zap=current populated=at-exit pid_max=32768
//	schedule 1 1 2 2 2 2 1
//
// For a scenario file, "scenario" is the path as given and a line
// "sha256 HEX" records the file's contents, so that a replay of an edited
// file is refused instead of silently diverging.
func writeSchedule(file, name string, s *scenarios.Scenario, opts model.Options, sched explore.Schedule) error {
	text := fmt.Sprintf("# cgsim schedule\nscenario %s\n", name)
	if !s.Bundled {
		sum, err := fileSum(s.File)
		if err != nil {
			return err
		}
		text += "sha256 " + sum + "\n"
	}
	text += fmt.Sprintf("options %s\nschedule %s\n", opts, sched)
	return os.WriteFile(file, []byte(text), 0o644)
}

func fileSum(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}
