// Package scenarios holds cgsim's scenarios: named machines with the
// kernel options they run under, what they teach, where they come from,
// what must hold, and how to explore them. Scenario files (YAML, see
// docs/scenarios.md) are parsed and checked here and built into sim
// worlds; the bundled ones (bundled/*.yaml) are compiled into the binary.
package scenarios

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Expect is what exploring a scenario must find.
type Expect uint8

// Expectations.
const (
	// ExpectHolds: no property may be violated on any explored schedule.
	ExpectHolds Expect = iota
	// ExpectViolation: a violation must be found (a race of the catalogue).
	ExpectViolation
)

// Case overrides a scenario's expectation under some kernel options; nil
// fields match any value.
type Case struct {
	Kill      *model.KillMode
	Zap       *model.ZapMode
	Populated *model.PopulatedMode
	Coredump  *model.CoredumpMode
	Expect    Expect
}

func (c Case) matches(o model.Options) bool {
	return (c.Kill == nil || *c.Kill == o.Kill) && (c.Zap == nil || *c.Zap == o.Zap) &&
		(c.Populated == nil || *c.Populated == o.Populated) && (c.Coredump == nil || *c.Coredump == o.Coredump)
}

// Scenario is one scenario, bundled or read from a file.
type Scenario struct {
	Name string
	// Summary is one line for `simrun list`.
	Summary string
	// Teaches says what the scenario shows; Source where it comes from.
	Teaches, Source string
	// File is the file it was read from; Bundled is true for the files
	// compiled into the binary (looked up by name).
	File    string
	Bundled bool
	// Options are the kernel options it runs under by default.
	Options model.Options
	// Build makes the machine for the given options.
	Build func(opts model.Options) (*sim.World, error)
	// BuildSetup is Build that also says how the machine was set up, for
	// a run on the real kernel (package conform). Scenario files have it;
	// scenarios built by Go code do not (nil). initLevel is the pid
	// namespace level of the scenario's init: 0 makes it the global init,
	// as Build does; n > 0 makes it pid 1 of a namespace n levels down, as
	// it is on the real kernel, where the init of a run is pid 1 of a new
	// namespace below the harness's (Setup.Hosts are the tasks above it).
	BuildSetup func(opts model.Options, initLevel int) (*sim.World, *Setup, error)
	// Default is what exploring must find; the first of Cases that matches
	// the options overrides it.
	Default Expect
	Cases   []Case
	// Mode is the default exploration: "exhaustive" (within Bounds) or
	// "random" (seeds FirstSeed..LastSeed, MaxSteps steps each).
	Mode                string
	Bounds              explore.Bounds
	FirstSeed, LastSeed uint64
	MaxSteps            int
	// KillGate, if set, is the label of the cgroup.kill write whose outcome
	// the scenario asks about: runs stop once it is decided (sim.KillGate).
	KillGate string
}

// Expectation returns what exploring must find under opts.
func (s *Scenario) Expectation(opts model.Options) Expect {
	for _, c := range s.Cases {
		if c.matches(opts) {
			return c.Expect
		}
	}
	return s.Default
}

// ExploreMode is the scenario's default exploration mode.
func (s *Scenario) ExploreMode() string {
	if s.Mode != "" {
		return s.Mode
	}
	return "exhaustive"
}

// Seeds is the scenario's default seed range for random exploration.
func (s *Scenario) Seeds() (uint64, uint64) {
	if s.FirstSeed == 0 {
		return 1, 100
	}
	return s.FirstSeed, s.LastSeed
}

// Steps is the step limit of one run.
func (s *Scenario) Steps() int {
	if s.MaxSteps == 0 {
		return 100000
	}
	return s.MaxSteps
}

//go:embed bundled/*.yaml
var bundled embed.FS

var registry = map[string]*Scenario{}

// BundledErrors are the errors of bundled files that did not load. A
// bundled file is part of the program and TestBundledScenarios requires
// this to be empty; the other scenarios stay usable meanwhile.
var BundledErrors []error

func init() {
	entries, err := bundled.ReadDir("bundled")
	if err != nil {
		BundledErrors = append(BundledErrors, err)
		return
	}
	for _, e := range entries {
		file := path.Join("bundled", e.Name())
		data, err := bundled.ReadFile(file)
		if err == nil {
			var s *Scenario
			if s, err = Parse("scenarios/"+file, data); err == nil {
				if _, dup := registry[s.Name]; dup {
					err = fmt.Errorf("scenarios/%s: a bundled scenario is already called %q", file, s.Name)
				} else {
					s.Bundled = true
					registry[s.Name] = s
				}
			}
		}
		if err != nil {
			BundledErrors = append(BundledErrors, err)
		}
	}
}

// Lookup returns the bundled scenario called name.
func Lookup(name string) (*Scenario, bool) {
	s, ok := registry[name]
	return s, ok
}

// All returns every bundled scenario sorted by name.
func All() []*Scenario {
	out := make([]*Scenario, 0, len(registry))
	for _, s := range registry {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Exploration is how to explore a scenario; zero fields take the
// scenario's own settings.
type Exploration struct {
	Mode                string // "exhaustive" or "random"
	FirstSeed, LastSeed uint64
	MaxSteps            int
	// CheckInvariants checks the model's invariants after every step.
	CheckInvariants bool
	// NoShrink reports a violating schedule as found, without shrinking it
	// (shrinking a long random schedule costs far more than finding it).
	NoShrink bool
	// ShrinkBudget bounds the steps shrinking a random schedule may run
	// (0: DefaultShrinkBudget).
	ShrinkBudget int
	// Progress, if set, is called now and then with a line saying how far
	// the search is (simrun prints it on stderr for long runs).
	Progress func(msg string)
	// Exhaustive searches: settings that override the scenario's own
	// (Bounds) when set. Reduce overrides when ReduceSet; MaxMemory when
	// positive; HashCompact, KeepGoing and KeyByState when true.
	Reduce      explore.Reduction
	ReduceSet   bool
	MaxMemory   int64
	HashCompact bool
	KeepGoing   bool
	KeyByState  bool
	// Order, when OrderSet, overrides the scenario's search order.
	Order    explore.Order
	OrderSet bool
	// Stop, if set, interrupts an exhaustive search (explore.Bounds.Stop)
	// or a random one between seeds when it is closed.
	Stop <-chan struct{}
}

// Outcome is what an exploration found.
type Outcome struct {
	Mode string
	// Exhaustive: the search's report.
	Report explore.Report
	// Random: the seeds tried, and the one that violated (0 for none).
	FirstSeed, LastSeed, Seed uint64
	Steps                     int
	// Violation is "" or the first violation found; Schedule (shrunk)
	// reproduces it.
	Violation string
	Schedule  explore.Schedule
	// ShrinkCut is true when shrinking stopped at its budget: Schedule
	// reproduces the violation but may not be the shortest.
	ShrinkCut bool
	// Truncated counts the random runs cut at MaxSteps before their end:
	// their final checks did not run.
	Truncated int
	// Interrupted: Exploration.Stop ended a random search before its last
	// seed (LastSeed is then the last seed tried). An exhaustive search
	// says so in Report.Interrupted.
	Interrupted bool
}

// stopped reports whether stop is closed (never, for nil).
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// ParseBytes reads a size in bytes: a number with an optional unit (B,
// KB/MB/GB/TB in powers of 1000, KiB/MiB/GiB/TiB in powers of 1024;
// "8GiB", "512MB", "1000000"). It must be positive.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("%q: want a number of bytes, with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %v", s, err)
	}
	units := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
	u, ok := units[strings.TrimSpace(t[i:])]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, strings.TrimSpace(t[i:]))
	}
	if n <= 0 || n > (1<<62)/u {
		return 0, fmt.Errorf("%q: out of range", s)
	}
	return n * u, nil
}

// DefaultShrinkBudget is the shrinking budget of a random exploration, in
// steps: a few seconds.
const DefaultShrinkBudget = 3_000_000

// Explore builds the scenario's machine under opts and explores it.
func (s *Scenario) Explore(opts model.Options, x Exploration) (*Outcome, error) {
	w, err := s.Build(opts)
	if err != nil {
		return nil, err
	}
	w.CheckInvariants = x.CheckInvariants
	if x.Mode == "" {
		x.Mode = s.ExploreMode()
	}
	if x.FirstSeed == 0 {
		x.FirstSeed, x.LastSeed = s.Seeds()
	}
	if x.MaxSteps == 0 {
		x.MaxSteps = s.Steps()
	}
	out := &Outcome{Mode: x.Mode}
	switch x.Mode {
	case "exhaustive":
		b := s.Bounds
		b.NoShrink = b.NoShrink || x.NoShrink
		if x.ReduceSet {
			b.Reduce = x.Reduce
		}
		if x.MaxMemory > 0 {
			b.MaxMemory = x.MaxMemory
		}
		b.HashCompact = b.HashCompact || x.HashCompact
		b.KeepGoing = b.KeepGoing || x.KeepGoing
		b.KeyByState = b.KeyByState || x.KeyByState
		if x.OrderSet {
			b.Order = x.Order
		}
		b.Stop = x.Stop
		if x.Progress != nil {
			b.Progress = func(n int) { x.Progress(fmt.Sprintf("%d states", n)) }
		}
		out.Report = explore.Exhaustive(w, b)
		out.Violation, out.Schedule = out.Report.Violation, out.Report.Schedule
	case "random":
		out.FirstSeed, out.LastSeed = x.FirstSeed, x.LastSeed
		for seed := x.FirstSeed; seed <= x.LastSeed; seed++ {
			res := explore.Random(w, seed, x.MaxSteps)
			if res.Truncated {
				out.Truncated++
			}
			if res.Violation != "" {
				out.Seed, out.Steps, out.Violation = seed, res.Steps, res.Violation
				out.Schedule = res.Schedule
				if !x.NoShrink {
					budget := x.ShrinkBudget
					if budget == 0 {
						budget = DefaultShrinkBudget
					}
					out.Schedule, out.ShrinkCut = explore.ShrinkWithin(w, res.Schedule, x.MaxSteps, nil, budget)
				}
				break
			}
			if stopped(x.Stop) {
				out.Interrupted = true
				out.LastSeed = seed
				break
			}
			if x.Progress != nil && (seed-x.FirstSeed+1)%16 == 0 {
				x.Progress(fmt.Sprintf("seed %d of %d-%d", seed, x.FirstSeed, x.LastSeed))
			}
			if seed == x.LastSeed {
				break // seed+1 would wrap at the top of the range
			}
		}
	default:
		return nil, fmt.Errorf("mode %q: want exhaustive or random", x.Mode)
	}
	return out, nil
}
