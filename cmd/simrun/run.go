package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const runHelp = `usage: simrun run NAME|FILE [flags]

One run of a scenario: the trace (one entry per step: the step number, the
task with its pid in every namespace it is visible in, the kernel function
modelled, and what changed), then the verdict. Without -seed or -schedule
the run is round robin. A -schedule must fit the machine step by step: a
task that does not exist or cannot step at that point is refused (status
2); once the schedule is used up, the run goes on with the default policy
(the last task while it can step, else the lowest that can).

Exit status: 0 as expected, 1 unexpected violation, 2 bad input, 4 stopped
at -max-steps with no violation (see 'simrun -h').
`

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("run", runHelp, stdout)
	kf := c.addKernelFlags()
	seed := c.fs.Uint64("seed", 0, "follow the random schedule of this seed (1 or more; without it: round robin, each step to the next task that can step after the previous one, by task id)")
	sched := c.fs.String("schedule", "", "follow this schedule: task ids separated by spaces (see the trace's '# tasks' line)")
	maxSteps := c.fs.Int("max-steps", 100000, "stop after this many steps")
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header, one record per step, the verdict (docs/trace-format.md)")
	traceFile := c.fs.String("trace", "", "write the trace to this file instead of standard output (the verdict stays on standard output)")
	outFile := c.fs.String("o", "", "also write the run's schedule file, for replay, explain, diff and html (a run that ended, at quiescence or a violation)")
	c.positive = []string{"seed", "max-steps"}
	_, s, opts, w, err := c.load(kf, args)
	if err != nil {
		return exitBadInput, err
	}
	if *sched != "" && *seed != 0 {
		return exitBadInput, fmt.Errorf("run: -seed and -schedule: give one")
	}
	schedule, err := pickSchedule(w, *sched, *seed, *maxSteps)
	if err != nil {
		return exitBadInput, fmt.Errorf("run: -schedule: %v", err)
	}
	fw, res, err := sim.Follow(w, schedule, *maxSteps, sim.Continue, nil)
	if err != nil {
		return exitBadInput, fmt.Errorf("run: -schedule does not fit %s under %s: %v", s.Name, opts, err)
	}
	var notes []string
	if *outFile != "" {
		if res.Truncated {
			return exitBadInput, fmt.Errorf("run: -o %s: the run stopped at -max-steps %d before its end; a schedule file holds a run to its end", *outFile, *maxSteps)
		}
		if err := writeSchedule(*outFile, s, opts, res.Schedule, res.Violation); err != nil {
			return exitBadInput, err
		}
		notes = append(notes, fmt.Sprintf("schedule written to %s; replay it with:\n  simrun replay %s", *outFile, *outFile))
	}
	h := header("run", s, opts)
	h.Seed = *seed
	return report(fw, h, res, s.Expectation(opts) == scenarios.ExpectViolation, *asJSON, *traceFile, stdout, notes...)
}

// header is the trace header of a run of s under opts.
func header(command string, s *scenarios.Scenario, opts model.Options) sim.TraceHeader {
	h := sim.TraceHeader{Command: command, Scenario: s.Name, Options: opts.String()}
	if !s.Bundled {
		h.File = s.File
	}
	return h
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

// report writes the trace of a finished run fw (text or JSON Lines, to
// traceFile if given) and its verdict, and returns the exit status.
// notes are lines for people written before the verdict line.
func report(fw *sim.World, h sim.TraceHeader, res explore.Result, expect, asJSON bool, traceFile string, stdout io.Writer, notes ...string) (int, error) {
	h.Schedule = res.Schedule.String()
	h.Tasks = fw.TaskNames()
	out := stdout
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return exitBadInput, err
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
		return exitBadInput, err
	}
	j := judgement{Violation: fw.MapNames(res.Violation), Cut: res.Truncated, Expect: expect}
	cov := fw.K.Cover.Names()
	if asJSON {
		v := newVerdict(j)
		v.Steps, v.Reached = res.Steps, cov
		return j.code(), sim.WriteRecord(stdout, v)
	}
	fmt.Fprintf(stdout, "steps: %d\n", res.Steps)
	if len(cov) > 0 {
		fmt.Fprintf(stdout, "reached: %s\n", strings.Join(cov, ", "))
	}
	if j.Violation != "" {
		fmt.Fprintf(stdout, "VIOLATION: %s\n", j.Violation)
	}
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	fmt.Fprintln(stdout, j.text())
	return j.code(), nil
}
