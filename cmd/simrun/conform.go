//go:build linux

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"cgsim/conform"
	"cgsim/hostlinux"
	"cgsim/killer"
	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
)

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
	code := exitOK
	for _, s := range list {
		p, err := conform.Prepare(s, opts, o)
		var u *conform.Unsupported
		if errors.As(err, &u) {
			if asJSON {
				_ = sim.WriteRecord(stdout, skipRecord{Type: "skip", Scenario: s.Name, Reason: u.Reason})
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
			if err := sim.WriteRecord(stdout, coverageRecord{Type: "coverage", Coverage: cov}); err != nil {
				return exitBadInput, err
			}
			continue
		}
		cov.Report(stdout, verbose)
	}
	return code, nil
}

func cmdConform(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("conform", "", stdout)
	fs := c.fs
	c.help = (`usage: simrun conform NAME|FILE|bundled|killers [flags]

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
	asJSON := fs.Bool("json", false, "write JSON Lines: a header, one record per scenario (conform.Coverage) or killer pair, the verdict (docs/trace-format.md)")
	c.positive = []string{"seeds", "runs"}
	name, err := c.parseOne(args, "scenario name (or bundled, or killers)")
	if err != nil {
		return exitBadInput, err
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
	if *asJSON {
		if err := sim.WriteHeader(stdout, sim.TraceHeader{Command: "conform", Scenario: name, Options: d.Options.String(), Kernel: d.Release}); err != nil {
			return exitBadInput, err
		}
	} else {
		fmt.Fprintf(stdout, "kernel %s, simulated as %s\n", d.Release, d.Options)
	}
	finish := func(code int, err error) (int, error) {
		if err != nil || !*asJSON {
			return code, err
		}
		text := "the real kernel agrees with the model"
		if code != exitOK {
			text = "the real kernel disagrees with the model"
		}
		return code, sim.WriteRecord(stdout, plainVerdict(code, text))
	}
	if name != "killers" {
		return finish(conformScenarios(list, d.Options, conform.Options{Seeds: *seeds}, *runs, *verbose, *asJSON, stdout))
	}
	if *seeds == 0 {
		*seeds = 10
	}
	code := exitOK
	for _, s := range hostlinux.Setups {
		for _, k := range killer.Killers {
			if k.NotReal != "" {
				// A killer with no real implementation (a job-control
				// kill, say) has nothing to compare.
				if *asJSON {
					if err := sim.WriteRecord(stdout, skipRecord{Type: "skip", Scenario: s.Name + "/" + k.ID, Reason: k.NotReal}); err != nil {
						return exitBadInput, err
					}
				} else {
					fmt.Fprintf(stdout, "%-9s %-9s %-22s %s\n", "skip", s.Name, k.ID, k.NotReal)
				}
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
				mark, code = "DISAGREE", exitViolation
			}
			if *asJSON {
				var sims []string
				for _, o := range simulated {
					sims = append(sims, o.String())
				}
				if err := sim.WriteRecord(stdout, pairRecord{Type: "pair", Setup: s.Name, Killer: k.ID, Agree: mark == "agree", Real: real.String(), Detail: detail, Simulated: sims}); err != nil {
					return exitBadInput, err
				}
				continue
			}
			if detail != "" {
				detail = " (" + detail + ")"
			}
			fmt.Fprintf(stdout, "%-9s %-9s %-22s real: %s%s | simulator: %v\n", mark, s.Name, k.ID, real, detail, simulated)
		}
	}
	return finish(code, nil)
}

// skipRecord is a scenario real processes cannot run, in -json output.
type skipRecord struct {
	Type     string `json:"type"`
	Scenario string `json:"scenario"`
	Reason   string `json:"reason"`
}

// coverageRecord is conform.Coverage as a -json record.
type coverageRecord struct {
	Type string `json:"type"`
	*conform.Coverage
}

// pairRecord is one killer on one machine of real processes, in -json output.
type pairRecord struct {
	Type      string   `json:"type"`
	Setup     string   `json:"setup"`
	Killer    string   `json:"killer"`
	Agree     bool     `json:"agree"`
	Real      string   `json:"real"`
	Detail    string   `json:"detail,omitempty"`
	Simulated []string `json:"simulated"`
}
