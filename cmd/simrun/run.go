package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"cgsim/sim"
	"cgsim/sim/explore"
)

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun run NAME|FILE [flags]

One run of a scenario: the trace (one entry per step: the step number, the
task with its pid in every namespace it is visible in, the kernel function
modelled, and what changed), then the verdict. Without -seed or -schedule
the run is round robin. Exit status 1 if a property or expectation was
violated.
`)
	kf := addKernelFlags(fs)
	seed := fs.Uint64("seed", 0, "random schedule from this seed (0: round robin: each step goes to the next runnable task after the previous one, by task id)")
	sched := fs.String("schedule", "", "schedule to replay, task ids separated by spaces")
	maxSteps := fs.Int("max-steps", 100000, "stop after this many steps")
	asJSON := fs.Bool("json", false, "write the trace as JSON Lines")
	traceFile := fs.String("trace", "", "write the trace to this file instead of standard output")
	name, _, opts, w, err := kf.load(fs, args)
	if err != nil {
		return 2, err
	}
	if *maxSteps <= 0 {
		return 2, fmt.Errorf("run: -max-steps %d: want a positive number", *maxSteps)
	}
	schedule, err := pickSchedule(w, *sched, *seed, *maxSteps)
	if err != nil {
		return 2, err
	}
	h := sim.TraceHeader{Scenario: name, Options: opts.String(), Seed: *seed}
	return report(w, h, schedule, *maxSteps, *asJSON, *traceFile, stdout)
}

// pickSchedule is the schedule a run follows: the one given, else the
// random schedule of seed, else round robin.
func pickSchedule(w *sim.World, sched string, seed uint64, maxSteps int) (explore.Schedule, error) {
	switch {
	case sched != "":
		return explore.ParseSchedule(sched)
	case seed != 0:
		return explore.Random(w, seed, maxSteps).Schedule, nil
	}
	return explore.RoundRobin(w, maxSteps).Schedule, nil
}

// report replays schedule on w, writes the trace and the verdict.
func report(w *sim.World, h sim.TraceHeader, schedule explore.Schedule, maxSteps int, asJSON bool, traceFile string, stdout io.Writer) (int, error) {
	fw, res := sim.Replay(w, schedule, maxSteps)
	h.Schedule = res.Schedule.String()
	out := stdout
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return 2, err
		}
		defer f.Close()
		out = f
	}
	var err error
	if asJSON {
		err = sim.WriteJSONL(out, h, fw.Trace())
	} else {
		err = sim.WriteText(out, h, fw.Trace())
	}
	if err != nil {
		return 2, err
	}
	fmt.Fprintf(stdout, "steps: %d\n", res.Steps)
	if cov := fw.K.Cover.Names(); len(cov) > 0 {
		fmt.Fprintf(stdout, "reached: %s\n", strings.Join(cov, ", "))
	}
	switch {
	case res.Violation != "":
		fmt.Fprintf(stdout, "VIOLATION: %s\n", res.Violation)
		return 1, nil
	case res.Truncated:
		fmt.Fprintf(stdout, "verdict: no violation in %d steps (stopped at -max-steps)\n", res.Steps)
	default:
		fmt.Fprintln(stdout, "verdict: every property held")
	}
	return 0, nil
}
