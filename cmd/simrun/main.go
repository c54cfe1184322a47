// Command simrun runs cgsim's bundled scenarios: one run with its trace,
// an exploration of every interleaving (or of many random ones), and the
// replay of a schedule a search found.
//
//	simrun list
//	simrun run NAME [-seed N] [-kill=…] [-zap=…] [-json] [-trace FILE]
//	simrun explore NAME [-mode exhaustive|random] [-seeds 1-1000] [-o FILE]
//	simrun replay FILE
//
// Exit status: 0 when no property was violated, 1 when one was, 2 for bad
// input or usage. Output is deterministic.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const usage = `simrun runs cgsim scenarios: simulated Linux machines where cgroup.kill,
the pid namespace zap and fork race, explored step by step.

Usage:
  simrun list                         bundled scenarios, one line each
  simrun run NAME [flags]             one run: the trace, then the verdict
  simrun explore NAME [flags]         search the interleavings for a violation
  simrun replay FILE                  replay a schedule file written by explore
  simrun explain NAME [flags]         the machine at a step: process tree, pid
                                      namespaces, cgroup tree (-dot for Graphviz)

Kernel options (run, explore):
  -kill=flag|seq|seq-into-cgroup-bug|atomic   cgroup.kill mechanism (5.14–6.13 flag,
                                              6.14+ kill_seq, 6.14–6.18 with the
                                              CLONE_INTO_CGROUP bug, gVisor-style atomic)
  -zap=current|v3.3|2007                      pid namespace zap of a dying init (today's;
                                              2.6.24–3.3; the 2007 patch)
  -populated=at-exit|at-final-switch          when an exiting task stops populating

Run 'simrun COMMAND -h' for a command's flags. Exit status: 0 nothing was
violated, 1 a property was violated, 2 bad input or usage.
`

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

// Main is simrun with its arguments and output streams; it returns the
// exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var err error
	code := 0
	switch args[0] {
	case "list":
		for _, s := range scenarios.All() {
			fmt.Fprintf(stdout, "%-26s %s\n", s.Name, s.Summary)
		}
	case "run":
		code, err = cmdRun(args[1:], stdout, stderr)
	case "explore":
		code, err = cmdExplore(args[1:], stdout, stderr)
	case "replay":
		code, err = cmdReplay(args[1:], stdout, stderr)
	case "explain":
		code, err = cmdExplain(args[1:], stdout, stderr)
	default:
		err = fmt.Errorf("unknown command %q (want list, run, explore, replay or explain)", args[0])
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "simrun:", err)
			return 2
		}
		return 0
	}
	return code
}

// kernelFlags registers the kernel option flags on fs.
type kernelFlags struct{ kill, zap, populated *string }

func addKernelFlags(fs *flag.FlagSet) kernelFlags {
	return kernelFlags{
		kill:      fs.String("kill", "", "cgroup.kill mechanism: flag, seq, seq-into-cgroup-bug or atomic (default: the scenario's)"),
		zap:       fs.String("zap", "", "pid namespace zap: current, v3.3 or 2007 (default: the scenario's)"),
		populated: fs.String("populated", "", "populated timing: at-exit or at-final-switch (default: the scenario's)"),
	}
}

func (kf kernelFlags) apply(o model.Options) (model.Options, error) {
	var err error
	if *kf.kill != "" {
		if o.Kill, err = model.ParseKillMode(*kf.kill); err != nil {
			return o, err
		}
	}
	if *kf.zap != "" {
		if o.Zap, err = model.ParseZapMode(*kf.zap); err != nil {
			return o, err
		}
	}
	if *kf.populated != "" {
		if o.Populated, err = model.ParsePopulatedMode(*kf.populated); err != nil {
			return o, err
		}
	}
	return o, nil
}

// load parses a subcommand's flags, looks up the scenario, applies the
// kernel option flags to its options and builds its machine.
func (kf kernelFlags) load(fs *flag.FlagSet, args []string) (string, *scenarios.Scenario, model.Options, *sim.World, error) {
	name, err := parse(fs, args)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	s, err := scenario(name)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	opts, err := kf.apply(s.Options)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	w, err := s.Build(opts)
	return name, s, opts, w, err
}

// parse parses a subcommand's flags; the scenario name may come before or
// after them.
func parse(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if name == "" {
		return "", fmt.Errorf("%s: missing scenario name (see 'simrun list')", fs.Name())
	}
	return name, nil
}

func scenario(name string) (*scenarios.Scenario, error) {
	s, ok := scenarios.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (see 'simrun list')", name)
	}
	return s, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kf := addKernelFlags(fs)
	seed := fs.Uint64("seed", 0, "random schedule from this seed (0: the default schedule: keep running the last task, else the lowest-numbered one)")
	sched := fs.String("schedule", "", "schedule to replay, task ids separated by spaces")
	maxSteps := fs.Int("max-steps", 100000, "stop after this many steps")
	asJSON := fs.Bool("json", false, "write the trace as JSON Lines")
	traceFile := fs.String("trace", "", "write the trace to this file instead of standard output")
	name, _, opts, w, err := kf.load(fs, args)
	if err != nil {
		return 2, err
	}
	schedule, err := pickSchedule(w, *sched, *seed, *maxSteps)
	if err != nil {
		return 2, err
	}
	h := sim.TraceHeader{Scenario: name, Options: opts.String(), Seed: *seed}
	return report(w, h, schedule, *maxSteps, *asJSON, *traceFile, stdout)
}

// pickSchedule is the schedule a run follows: the one given, else the
// random schedule of seed, else none (the default policy).
func pickSchedule(w *sim.World, sched string, seed uint64, maxSteps int) (explore.Schedule, error) {
	switch {
	case sched != "":
		return explore.ParseSchedule(sched)
	case seed != 0:
		return explore.Random(w, seed, maxSteps).Schedule, nil
	}
	return nil, nil
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

func cmdExplore(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kf := addKernelFlags(fs)
	mode := fs.String("mode", "", "exhaustive (every interleaving, within the scenario's bounds) or random (default: the scenario's)")
	seeds := fs.String("seeds", "", "random mode: seeds to try, as N or N-M (default: the scenario's, else 1-100)")
	maxSteps := fs.Int("max-steps", 0, "random mode: steps per run (0: the scenario's, else 100000)")
	outFile := fs.String("o", "", "write a violating schedule to this file (default NAME.schedule)")
	name, s, opts, w, err := kf.load(fs, args)
	if err != nil {
		return 2, err
	}
	steps := *maxSteps
	if steps == 0 {
		steps = s.MaxSteps
	}
	if steps == 0 {
		steps = 100000
	}
	if *mode == "" {
		*mode = "exhaustive"
		if s.Seeds > 0 {
			*mode = "random"
		}
	}
	if *seeds == "" {
		*seeds = "1-100"
		if s.Seeds > 0 {
			*seeds = fmt.Sprintf("1-%d", s.Seeds)
		}
	}
	fmt.Fprintf(stdout, "scenario %s, %s, mode %s\n", name, opts, *mode)
	var violation string
	var schedule explore.Schedule
	switch *mode {
	case "exhaustive":
		rep := explore.Exhaustive(w, s.Bounds)
		fmt.Fprintf(stdout, "explored %d states, %d transitions, max depth %d", rep.States, rep.Transitions, rep.MaxDepthSeen)
		if rep.Truncated {
			fmt.Fprintf(stdout, " (cut by the bounds: %s)", boundsString(s.Bounds))
		}
		fmt.Fprintln(stdout)
		violation, schedule = rep.Violation, rep.Schedule
	case "random":
		lo, hi, err := parseRange(*seeds)
		if err != nil {
			return 2, err
		}
		for seed := lo; seed <= hi; seed++ {
			res := explore.Random(w, seed, steps)
			if res.Violation != "" {
				fmt.Fprintf(stdout, "seed %d violates after %d steps\n", seed, res.Steps)
				violation = res.Violation
				schedule = explore.Shrink(w, res.Schedule, steps, nil)
				break
			}
		}
		if violation == "" {
			fmt.Fprintf(stdout, "seeds %d-%d: no violation\n", lo, hi)
		}
	default:
		return 2, fmt.Errorf("-mode %q: want exhaustive or random", *mode)
	}
	expected := s.Expectation(opts) == scenarios.ExpectViolation
	if violation == "" {
		fmt.Fprintln(stdout, "verdict: no violation found")
		if expected {
			fmt.Fprintln(stdout, "note: this scenario's race is expected under these options; the search did not reach it")
		}
		return 0, nil
	}
	fmt.Fprintf(stdout, "VIOLATION: %s\n", violation)
	fmt.Fprintf(stdout, "shortest schedule found (%d steps): %s\n", len(schedule), schedule)
	if expected {
		fmt.Fprintln(stdout, "note: this is the race this scenario teaches under these options")
	}
	file := *outFile
	if file == "" {
		file = name + ".schedule"
	}
	if err := writeSchedule(file, name, opts, schedule); err != nil {
		return 2, err
	}
	fmt.Fprintf(stdout, "schedule written to %s; replay it with:\n  simrun replay %s\n", file, file)
	return 1, nil
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

func parseRange(s string) (uint64, uint64, error) {
	lo, hi, found := strings.Cut(s, "-")
	a, err := strconv.ParseUint(lo, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("-seeds %q: want N or N-M", s)
	}
	b := a
	if found {
		if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a {
			return 0, 0, fmt.Errorf("-seeds %q: want N or N-M with N <= M", s)
		}
	}
	return a, b, nil
}

// A schedule file:
//
//	# cgsim schedule
//	scenario fork-vs-kill
//	options kill=flag zap=current populated=at-exit pid_max=32768
//	schedule 1 1 2 2 2 2 1
func writeSchedule(file, name string, opts model.Options, s explore.Schedule) error {
	text := fmt.Sprintf("# cgsim schedule\nscenario %s\noptions %s\nschedule %s\n", name, opts, s)
	return os.WriteFile(file, []byte(text), 0o644)
}

func cmdReplay(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "write the trace as JSON Lines")
	file, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	f, err := os.Open(file)
	if err != nil {
		return 2, err
	}
	defer f.Close()
	var name, optText, schedText string
	haveSched := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, _ := strings.Cut(text, " ")
		switch key {
		case "scenario":
			name = val
		case "options":
			optText = val
		case "schedule":
			schedText, haveSched = val, true
		default:
			return 2, fmt.Errorf("%s:%d: unknown key %q (want scenario, options or schedule)", file, line, key)
		}
	}
	if err := sc.Err(); err != nil {
		return 2, err
	}
	if name == "" || !haveSched {
		return 2, fmt.Errorf("%s: want 'scenario' and 'schedule' lines", file)
	}
	s, err := scenario(name)
	if err != nil {
		return 2, fmt.Errorf("%s: %w", file, err)
	}
	opts, err := model.ParseOptions(optText)
	if err != nil {
		return 2, fmt.Errorf("%s: options: %w", file, err)
	}
	sched, err := explore.ParseSchedule(schedText)
	if err != nil {
		return 2, fmt.Errorf("%s: schedule: %w", file, err)
	}
	w, err := s.Build(opts)
	if err != nil {
		return 2, err
	}
	return report(w, sim.TraceHeader{Scenario: name, Options: opts.String()}, sched, 100000, *asJSON, "", stdout)
}

func cmdExplain(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kf := addKernelFlags(fs)
	step := fs.Int("step", -1, "show the machine after this many steps (-1: at the end of the run)")
	seed := fs.Uint64("seed", 0, "follow the random schedule of this seed (0: the default schedule)")
	sched := fs.String("schedule", "", "follow this schedule (task ids separated by spaces)")
	dot := fs.Bool("dot", false, "write Graphviz instead of text")
	name, _, opts, w, err := kf.load(fs, args)
	if err != nil {
		return 2, err
	}
	schedule, err := pickSchedule(w, *sched, *seed, 100000)
	if err != nil {
		return 2, err
	}
	max := 100000
	if *step >= 0 {
		max = *step
	}
	var fw *sim.World
	if max == 0 {
		fw = w
	} else {
		fw, _ = sim.Replay(w, schedule, max)
	}
	if *dot {
		return 0, fw.Dot(stdout)
	}
	fmt.Fprintf(stdout, "scenario: %s\n", name)
	_ = opts
	return 0, fw.Explain(stdout)
}
