// Command simrun runs cgsim's bundled scenarios: one run with its trace,
// an exploration of every interleaving (or of many random ones), and the
// replay of a schedule a search found.
//
//	simrun list
//	simrun run NAME|FILE [-seed N] [-kill=…] [-zap=…] [-json] [-trace FILE]
//	simrun explore NAME|FILE [-mode exhaustive|random] [-seeds 1-1000] [-o FILE]
//	simrun replay FILE
//	simrun explain NAME|FILE [-step N] [-dot]
//
// Exit status: 0 when every expectation held, 1 when a property or
// expectation was violated, 2 for bad input or usage. Output is
// deterministic (progress lines on stderr are paced by the clock).
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"cgsim/conform"
	"cgsim/hostlinux"
	"cgsim/killer"
	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const usage = `simrun runs cgsim scenarios: simulated Linux machines where cgroup.kill,
the pid namespace zap and fork race, explored step by step.

Usage:
  simrun list [NAME|FILE...]          bundled scenarios, one line each; or what
                                      the ones named teach and expect
  simrun run NAME|FILE [flags]        one run: the trace, then the verdict
  simrun explore NAME|FILE [flags]    search the interleavings for a violation
  simrun replay FILE                  replay a schedule file written by explore
  simrun explain NAME|FILE [flags]    the machine at a step: process tree, pid
                                      namespaces, cgroup tree (-dot for Graphviz)
  simrun matrix [flags]               every userspace killer against every race:
                                      contained, escaped, wrong process killed, ...
  simrun race [RACE KILLER] [flags]   one run of a killer against a race, with its
                                      trace and outcome (no arguments: the lists)
  simrun hunt NAME [-n N] [-time D]   try a race on this machine's real kernel, up to
                                      N times; classified counts (root, gcc)
  simrun conform NAME|FILE|bundled|killers
                                      run on this machine's real kernel and in the
                                      simulator, compare, side by side (root)

NAME is a bundled scenario (simrun list); FILE a scenario file (YAML, a
path with a '/' or ending in .yaml; the format is in docs/scenarios.md).

Kernel options (run, explore, explain):
  -kill=flag|seq|seq-into-cgroup-bug|atomic   cgroup.kill mechanism (5.14–6.13 flag,
                                              6.14+ kill_seq, 6.14–6.18 with the
                                              CLONE_INTO_CGROUP bug, gVisor-style atomic)
  -zap=current|v3.3|2007                      pid namespace zap of a dying init (today's;
                                              2.6.24–3.3; the 2007 patch)
  -populated=at-exit|at-final-switch          when an exiting task stops populating

Run 'simrun COMMAND -h' for a command's flags. Exit status: 0 every
expectation held, 1 a property or expectation was violated, 2 bad input or
usage (a scenario file's errors as file:line:col).
`

func main() {
	hostlinux.MaybeHelper() // simrun re-executes itself as helper processes for real-kernel runs
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

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
	for _, err := range scenarios.BundledErrors {
		fmt.Fprintln(stderr, "simrun: warning: bundled scenario not loaded:", err)
	}
	var err error
	code := 0
	switch args[0] {
	case "list":
		code, err = cmdList(args[1:], stdout)
	case "run":
		code, err = cmdRun(args[1:], stdout, stderr)
	case "explore":
		code, err = cmdExplore(args[1:], stdout, stderr)
	case "replay":
		code, err = cmdReplay(args[1:], stdout, stderr)
	case "explain":
		code, err = cmdExplain(args[1:], stdout, stderr)
	case "matrix":
		code, err = cmdMatrix(args[1:], stdout, stderr)
	case "race":
		code, err = cmdRace(args[1:], stdout, stderr)
	case "hunt":
		code, err = cmdHunt(args[1:], stdout, stderr)
	case "conform":
		code, err = cmdConform(args[1:], stdout, stderr)
	default:
		err = fmt.Errorf("unknown command %q (want list, run, explore, replay, explain, matrix, race, hunt or conform)", args[0])
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

// cmdList lists the bundled scenarios, or describes the ones named.
func cmdList(args []string, stdout io.Writer) (int, error) {
	if len(args) == 0 {
		width := 0
		for _, s := range scenarios.All() {
			width = max(width, len(s.Name))
		}
		for _, s := range scenarios.All() {
			fmt.Fprintf(stdout, "%-*s  %s\n", width, s.Name, s.Summary)
		}
		return 0, nil
	}
	for i, name := range args {
		s, err := scenario(name)
		if err != nil {
			return 2, err
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		describe(stdout, s)
	}
	return 0, nil
}

// describe writes what a scenario is: its summary, what it teaches, where
// it comes from, the options it runs under and what exploring must find.
func describe(w io.Writer, s *scenarios.Scenario) {
	fmt.Fprintf(w, "%s: %s\n", s.Name, s.Summary)
	if s.File != "" {
		fmt.Fprintf(w, "file: %s\n", s.File)
	}
	if s.Teaches != "" {
		fmt.Fprintf(w, "\n%s\n", s.Teaches)
	}
	if s.Source != "" {
		fmt.Fprintf(w, "\nsource: %s\n", s.Source)
	}
	fmt.Fprintf(w, "\noptions: %s\n", s.Options)
	fmt.Fprintf(w, "exploration: %s", s.ExploreMode())
	if s.ExploreMode() == "random" {
		lo, hi := s.Seeds()
		fmt.Fprintf(w, ", seeds %d-%d, %d steps each", lo, hi, s.Steps())
	}
	if s.KillGate != "" {
		fmt.Fprintf(w, ", stopping once the kill %q is decided", s.KillGate)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "a violation is expected under:")
	none := true
	for _, kill := range model.KillModes {
		for _, zap := range model.ZapModes {
			o := s.Options
			o.Kill, o.Zap = kill, zap
			if s.Expectation(o) == scenarios.ExpectViolation {
				fmt.Fprintf(w, " kill=%s/zap=%s", kill, zap)
				none = false
			}
		}
	}
	if none {
		fmt.Fprint(w, " none (every property must hold)")
	}
	fmt.Fprintln(w)
}

// commandUsage returns a FlagSet.Usage that teaches: what the command does,
// then its flags.
func commandUsage(fs *flag.FlagSet, text string) func() {
	return func() {
		fmt.Fprint(fs.Output(), text, "\nflags:\n")
		fs.PrintDefaults()
	}
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

// scenario resolves NAME|FILE: a bundled scenario's name, or the path of a
// scenario file (anything with a '/' or ending in .yaml or .yml).
func scenario(name string) (*scenarios.Scenario, error) {
	if strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return scenarios.LoadFile(name)
	}
	s, ok := scenarios.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (see 'simrun list'; a scenario file's path must contain '/' or end in .yaml)", name)
	}
	return s, nil
}

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

func cmdReplay(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun replay FILE [flags]

Replay a schedule file written by explore: the same trace and verdict,
byte for byte. A schedule of a scenario file is refused if the file has
changed since (its sha256 is recorded).
`)
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
	var name, optText, schedText, sum string
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
		case "sha256":
			sum = val
		case "schedule":
			schedText, haveSched = val, true
		default:
			return 2, fmt.Errorf("%s:%d: unknown key %q (want scenario, sha256, options or schedule)", file, line, key)
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
	if sum != "" {
		if got, err := fileSum(s.File); err != nil || got != sum {
			return 2, fmt.Errorf("%s: scenario file %s has changed since the schedule was written (sha256 %s, now %s)", file, name, sum, got)
		}
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
	fs.Usage = commandUsage(fs, `usage: simrun explain NAME|FILE [flags]

The machine after a number of steps: every task with its pid in each pid
namespace, its parent and what it does next; the pid namespaces with
their child_reaper; the cgroup tree with its members, type, populated and
frozen. -dot writes Graphviz instead.
`)
	kf := addKernelFlags(fs)
	step := fs.Int("step", -1, "show the machine after this many steps (-1: at the end of the run)")
	seed := fs.Uint64("seed", 0, "follow the random schedule of this seed (0: round robin)")
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

func cmdMatrix(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun matrix [flags]

Run every userspace killer (systemd, Nomad, runc, crun, kubelet, Mesos, a
naive loop, plain cgroup.kill) against every race class, seeds 1..N of
random exploration each, and print the worst outcome of each pair as a
Markdown table, then one line per pair that was not contained: how many
seeds, a seed that shows it (replay it with simrun race), and why.
docs/killers.md holds this output for kill=seq and kill=atomic.
`)
	kf := addKernelFlags(fs)
	seeds := fs.Uint64("seeds", 0, "seeds per pair (default 100)")
	maxSteps := fs.Int("max-steps", 0, "steps per run before it is cut off (default 10000)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if fs.NArg() > 0 {
		return 2, fmt.Errorf("matrix: unexpected argument %q", fs.Arg(0))
	}
	c := killer.DefaultCampaign()
	var err error
	if c.Options, err = kf.apply(c.Options); err != nil {
		return 2, err
	}
	if *seeds > 0 {
		c.Seeds = *seeds
	}
	if *maxSteps > 0 {
		c.MaxSteps = *maxSteps
	}
	m, err := c.Matrix()
	if err != nil {
		return 2, err
	}
	killer.WriteDoc(stdout, []killer.Campaign{c}, [][][]killer.Cell{m})
	return 0, nil
}

func cmdRace(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("race", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun race RACE KILLER [flags]

One run of a userspace killer against a race class: the trace (the
killer is the task named "killer"; each of its system calls is a step),
then how it ended: contained, escaped, wrong process killed, killer died,
did not terminate, cgroup leaked or gave up. Exit status 1 unless
contained. Without arguments, list the races and the killers.
`)
	kf := addKernelFlags(fs)
	seed := fs.Uint64("seed", 1, "random schedule of this seed")
	maxSteps := fs.Int("max-steps", 0, "cut the run off after this many steps (default: the race's limit in the matrix, else 10000)")
	asJSON := fs.Bool("json", false, "write the trace as JSON Lines")
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	pos = append(pos, fs.Args()...)
	if len(pos) == 0 {
		fmt.Fprintln(stdout, "races:")
		for _, r := range killer.Races {
			fmt.Fprintf(stdout, "  %s\n", r.Name)
		}
		fmt.Fprintln(stdout, "killers:")
		for _, k := range killer.Killers {
			fmt.Fprintf(stdout, "  %-20s %s\n", k.ID, k.Name)
		}
		return 0, nil
	}
	if len(pos) != 2 {
		return 2, fmt.Errorf("race: want RACE KILLER (run 'simrun race' for the lists)")
	}
	r, ok := killer.LookupRace(pos[0])
	if !ok {
		return 2, fmt.Errorf("race: unknown race %q (run 'simrun race' for the list)", pos[0])
	}
	k, ok := killer.Lookup(pos[1])
	if !ok {
		return 2, fmt.Errorf("race: unknown killer %q (run 'simrun race' for the list)", pos[1])
	}
	opts, err := kf.apply(killer.DefaultCampaign().Options)
	if err != nil {
		return 2, err
	}
	m, err := r.Build(opts, k)
	if err != nil {
		return 2, err
	}
	steps := *maxSteps
	switch {
	case steps < 0:
		return 2, fmt.Errorf("race: -max-steps %d: want a positive number", steps)
	case steps == 0 && r.MaxSteps > 0:
		steps = r.MaxSteps
	case steps == 0:
		steps = killer.DefaultCampaign().MaxSteps
	}
	sched := explore.Random(m.W, *seed, steps).Schedule
	fw, res := sim.Replay(m.W, sched, len(sched))
	h := sim.TraceHeader{Scenario: r.Name + " × " + k.ID, Options: m.W.K.Opts.String(), Seed: *seed, Schedule: res.Schedule.String()}
	if *asJSON {
		err = sim.WriteJSONL(stdout, h, fw.Trace())
	} else {
		err = sim.WriteText(stdout, h, fw.Trace())
	}
	if err != nil {
		return 2, err
	}
	out, detail := killer.Classify(fw, m.Killer, k, m.Target, res.Truncated)
	fmt.Fprintf(stdout, "steps: %d\noutcome: %s", res.Steps, out)
	if detail != "" {
		fmt.Fprintf(stdout, " (%s)", detail)
	}
	fmt.Fprintln(stdout)
	if why := killer.Why(k, r, out); why != "" {
		fmt.Fprintf(stdout, "why: %s\n", why)
	}
	if out != killer.Contained {
		return 1, nil
	}
	return 0, nil
}

func cmdHunt(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	races := hostlinux.HuntNames()
	var list strings.Builder
	for _, name := range races {
		fmt.Fprintf(&list, "  %-25s %s\n", name, hostlinux.Hunters[name].About)
	}
	fs.Usage = commandUsage(fs, `usage: simrun hunt NAME [-n N] [-time D] [flags]

Try a race of the catalogue on this machine's real kernel, up to N times
and for at most D, arranging the tasks and the timing to widen its
window, classify every try, and report "reproduced k of N" or "not
reproduced in N" (never "passed": a race not seen may still be there).
Needs root, gcc and a writable cgroup v2 hierarchy with cgroup.kill;
everything runs in new cgroups (v2, and v1 where a hunt needs one) that
are removed at the end, also on interrupt. For zap and kill-skips-dying
the model says no task can escape on this kernel: a reproduction is a
disagreement and the exit status is 1. Races:

`+list.String()+`
The arrangement flags (docs/conformance.md has what each does to the
rate): -csets, -order, -crowd, -crowdcpu, -clone and -child shape
fork-vs-kill;
-csets=alternate runs on and off interleaved and reports both.
`)
	def := hostlinux.DefaultHuntOptions()
	n := fs.Int("n", def.N, "at most this many tries")
	limit := fs.Duration("time", 0, "and at most this long (0: no bound), e.g. 5m")
	csets := fs.String("csets", def.Csets, "fork-vs-kill: the forker on a css_set of its own (on), on the crowd's (off), or alternate")
	order := fs.String("order", def.Order, "fork-vs-kill: the forker's place in the kill's walk: first, middle or last")
	crowd := fs.Int("crowd", def.Crowd, "fork-vs-kill, kill-skips-dying: sleeping processes the walk signals besides the forker")
	crowdCPU := fs.String("crowdcpu", def.CrowdCPU, "fork-vs-kill: the crowd sleeps on the killer's CPU or the forker's")
	clone := fs.String("clone", def.Clone, "fork-vs-kill: vfork (CLONE_VM|CLONE_VFORK) or fork")
	child := fs.String("child", def.Child, "fork-vs-kill: children exit at once (exit) or stay (pause, with -clone=fork)")
	rt := fs.Bool("rt", def.RT, "forkers and killer run SCHED_FIFO on their CPUs")
	jitter := fs.Int("jitter", 0, "range of the random delays in µs (0: the race's default)")
	bound := fs.Int("bound", def.Bound, "fork-bomb: pids.max of the bomb")
	injector := fs.Bool("injector", def.Injector, "zap: also fork into the namespace from outside it (setns)")
	mode := fs.String("mode", def.Mode, "zombie-leader: wait (kill once the leader is a zombie) or race (around its exit)")
	v1 := fs.String("v1", def.V1, "fork-vs-kill: the v1 hierarchy of the throw-away cgroups that make css_sets")
	name, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	hunt, ok := hostlinux.Hunters[name]
	if !ok {
		return 2, fmt.Errorf("hunt: no real-kernel hunt for %q (want %s)", name, strings.Join(races, ", "))
	}
	if err := hostlinux.Check(); err != nil {
		return 2, fmt.Errorf("hunt: %v", err)
	}
	if name != "clone-into-killed-cgroup" {
		if err := hostlinux.HaveCC(); err != nil {
			return 2, fmt.Errorf("hunt: %v", err)
		}
	}
	// On an interrupt, remove the runs' cgroups, v1 ones included.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	finished := make(chan struct{})
	defer func() { signal.Stop(sigs); close(finished) }()
	go func() {
		select {
		case sig := <-sigs:
			hostlinux.CloseHunts()
			fmt.Fprintf(os.Stderr, "simrun: %v: removed this run's cgroups\n", sig)
			os.Exit(2)
		case <-finished:
		}
	}()
	tick := progress(stderr)
	o := def
	o.N, o.Time, o.Csets, o.Order, o.Crowd, o.Clone, o.Child = *n, *limit, *csets, *order, *crowd, *clone, *child
	o.RT, o.Jitter, o.Bound, o.Injector, o.Mode, o.V1, o.CrowdCPU = *rt, *jitter, *bound, *injector, *mode, *v1, *crowdCPU
	o.Progress = func(done int) { tick(fmt.Sprintf("%d of %d tries", done, *n)) }
	reps, err := hunt.Run(o)
	if err != nil {
		return 2, err
	}
	code := 0
	for _, rep := range reps {
		fmt.Fprintln(stdout, rep)
		for k, v := range rep.Details {
			fmt.Fprintf(stdout, "  %s: %d\n", k, v)
		}
		for i, h := range rep.Hits {
			if i == 20 {
				fmt.Fprintf(stdout, "  ... %d more\n", len(rep.Hits)-i)
				break
			}
			fmt.Fprintf(stdout, "  hit: %s\n", h)
		}
		if hunt.EscapeIsDisagreement && rep.Reproduced > 0 {
			fmt.Fprintf(stdout, "DISAGREE  %s: the model finds no such escape on this kernel\n", name)
			code = 1
		}
	}
	return code, nil
}

// cleanupOnSignal removes every real-kernel run of this process if it is
// interrupted, then exits; the returned function stops watching.
func cleanupOnSignal() func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			hostlinux.CloseAll()
			fmt.Fprintf(os.Stderr, "simrun: %v: removed this run's cgroups\n", sig)
			os.Exit(2)
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}

// conformScenarios compares each scenario runs times on real processes
// against the simulator's outcomes (computed once) and reports, per
// scenario, which of them the real runs reached and how often; a
// disagreeing run is shown side by side as it happens. A scenario that
// cannot run on real processes is skipped with its reason. asJSON prints
// one conform.Coverage per scenario instead.
func conformScenarios(list []*scenarios.Scenario, opts model.Options, o conform.Options, runs int, verbose, asJSON bool, stdout io.Writer) (int, error) {
	code := 0
	enc := json.NewEncoder(stdout)
	for _, s := range list {
		p, err := conform.Prepare(s, opts, o)
		var u *conform.Unsupported
		if errors.As(err, &u) {
			if asJSON {
				_ = enc.Encode(map[string]string{"scenario": s.Name, "skip": u.Reason})
			} else {
				fmt.Fprintf(stdout, "skip      %s: %s\n", s.Name, u.Reason)
			}
			continue
		}
		if err != nil {
			return 2, fmt.Errorf("conform: %s: %v", s.Name, err)
		}
		cov := conform.NewCoverage(p)
		for i := 0; i < runs; i++ {
			r, err := hostlinux.NewRun("conform")
			if err != nil {
				return 2, err
			}
			res, err := p.RunReal(r)
			if cerr := r.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				return 2, fmt.Errorf("conform: %s: %v", s.Name, err)
			}
			cov.Add(res)
			if !res.Agree && !asJSON {
				res.Report(stdout, verbose)
			}
		}
		if !cov.Agree() {
			code = 1
		}
		if asJSON {
			if err := enc.Encode(cov); err != nil {
				return 2, err
			}
			continue
		}
		cov.Report(stdout, verbose)
	}
	return code, nil
}

func cmdConform(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun conform NAME|FILE|bundled|killers [flags]

Run on this machine's real kernel and in the simulator, side by side, and
compare what both can observe. The simulator runs under the kernel options
detected for this kernel (printed first).

NAME|FILE: the scenario's tasks run as real processes executing the same
programs (a small single-threaded C interpreter; fork is a real clone3
and the child goes on at the child's instruction, a CLONE_THREAD clone a
real thread), in new cgroups and a new pid namespace whose init is the
scenario's init (the simulator's init stands at the same pid namespace
level). Compared: the results of the labelled calls, how each process
ended (alive and where, or dead of which signal or exit status, reaped or
a zombie), and every cgroup's populated, frozen and type. Each real
outcome must be one the simulator reaches on one of -seeds random
schedules; if not, the lines that differ from the closest simulated
outcome are printed side by side and the exit status is 1. After -runs
real runs, one line says which of the simulator's outcomes they reached
and how often ("3 of 5 simulated outcomes seen over 20 runs: A ×12,
B ×7, C ×1"); where the simulator has several, the lines that set each
apart follow. A scenario that real processes cannot run (kernel threads,
literal pids, a controller this machine does not offer, ...) is refused
with the reason (exit 2). "bundled": every bundled scenario.

"killers": every userspace killer against three machines of real helper
processes (sleepers, a subtree, a threaded cgroup).

Needs root and a writable cgroup v2 hierarchy with cgroup.kill;
everything runs in new cgroups that are removed at the end, also on
interrupt.
`)
	seeds := fs.Uint64("seeds", 0, "simulator seeds (default: 100 per scenario, 10 per killer pair)")
	runs := fs.Int("runs", 1, "real runs of a scenario (each must agree)")
	verbose := fs.Bool("v", false, "print the whole observation of every simulated outcome a real run reached")
	asJSON := fs.Bool("json", false, "print one JSON object per scenario (conform.Coverage) instead of text")
	name, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	var list []*scenarios.Scenario
	switch name {
	case "killers":
	case "bundled":
		list = scenarios.All()
	default:
		s, err := scenario(name)
		if err != nil {
			return 2, err
		}
		if _, _, err := conform.Plan(s, s.Options); err != nil {
			return 2, fmt.Errorf("conform: %s: %v", s.Name, err)
		}
		list = []*scenarios.Scenario{s}
	}
	if err := hostlinux.Check(); err != nil {
		return 2, fmt.Errorf("conform: %v", err)
	}
	if name != "killers" {
		if err := hostlinux.HaveCC(); err != nil {
			return 2, fmt.Errorf("conform: scenario files run on real processes in a C interpreter: %v", err)
		}
	}
	stop := cleanupOnSignal()
	defer stop()
	d, err := hostlinux.Detect()
	if err != nil {
		return 2, err
	}
	if name != "killers" {
		fmt.Fprintf(stdout, "kernel %s, simulated as %s\n", d.Release, d.Options)
		return conformScenarios(list, d.Options, conform.Options{Seeds: *seeds}, max(*runs, 1), *verbose, *asJSON, stdout)
	}
	if *seeds == 0 {
		*seeds = 10
	}
	fmt.Fprintf(stdout, "kernel %s, simulated as %s\n", d.Release, d.Options)
	code := 0
	for _, s := range hostlinux.Setups {
		for _, k := range killer.Killers {
			if k.NotReal != "" {
				fmt.Fprintf(stdout, "%-9s %-9s %-22s %s\n", "skip", s.Name, k.ID, k.NotReal)
				continue
			}
			simulated, err := hostlinux.Simulate(s, k, d.Options, *seeds)
			if err != nil {
				return 2, err
			}
			r, err := hostlinux.NewRun("conform")
			if err != nil {
				return 2, err
			}
			real, detail, err := hostlinux.RunReal(r, s, k)
			if cerr := r.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return 2, err
			}
			mark := "agree"
			if !slices.Contains(simulated, real) {
				mark, code = "DISAGREE", 1
			}
			if detail != "" {
				detail = " (" + detail + ")"
			}
			fmt.Fprintf(stdout, "%-9s %-9s %-22s real: %s%s | simulator: %v\n", mark, s.Name, k.ID, real, detail, simulated)
		}
	}
	return code, nil
}
