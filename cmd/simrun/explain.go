package main

import (
	"flag"
	"fmt"
	"io"

	"cgsim/sim"
)

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
