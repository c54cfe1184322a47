package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"cgsim/killer"
	"cgsim/sim"
	"cgsim/sim/explore"
)

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
