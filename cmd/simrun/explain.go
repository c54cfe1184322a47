package main

import (
	"fmt"
	"io"
	"strings"

	"cgsim/sim"
	"cgsim/sim/explore"
)

const explainHelp = `usage: simrun explain NAME|FILE|SCHEDULE [flags]

The machine after a number of steps: every task with its pid in each pid
namespace, its parent and what it does next; the pid namespaces with
their child_reaper; the cgroup tree with its members, type, populated,
frozen and kill_seq / CGRP_KILL; who holds cgroup_mutex. -dot writes the
same as a Graphviz digraph.

With a schedule file (written by explore), explain shows exactly the run
it holds, step by step: the machine before the first step, then each step
as the trace shows it followed by what it changed in the machine (~ a
changed line with what it was and is now, + a new one, - one gone), then
the verdict. -step N shows the machine after step N of that run instead.

Exit status 0, or 2 for bad input (explain shows; it does not judge).
`

func cmdExplain(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("explain", explainHelp, stdout)
	kf := c.addKernelFlags()
	step := c.fs.Int("step", -1, "show the machine after this many steps (default: at the end of the run; with a schedule file: every step)")
	seed := c.fs.Uint64("seed", 0, "follow the random schedule of this seed (default: round robin)")
	sched := c.fs.String("schedule", "", "follow this schedule (task ids separated by spaces)")
	dot := c.fs.Bool("dot", false, "write Graphviz instead of text")
	c.positive = []string{"seed"}
	c.nonNegative = []string{"step"}
	pos, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	if len(pos) == 1 && isScheduleFile(pos[0]) {
		if kf.any() || *seed != 0 || *sched != "" {
			return exitBadInput, fmt.Errorf("explain: a schedule file fixes the scenario, the options and the schedule: -kill, -zap, -populated, -fix, -seed and -schedule are for NAME|FILE (simrun diff runs a schedule under other options)")
		}
		return explainSchedule(pos[0], *step, *dot, stdout, stderr)
	}
	_, s, opts, w, err := c.load(kf, args)
	if err != nil {
		return exitBadInput, err
	}
	if *sched != "" && *seed != 0 {
		return exitBadInput, fmt.Errorf("explain: -seed and -schedule: give one")
	}
	schedule, err := pickSchedule(w, *sched, *seed, 100000)
	if err != nil {
		return exitBadInput, fmt.Errorf("explain: -schedule: %v", err)
	}
	limit := 100000
	if *step >= 0 {
		limit = *step
	}
	fw := w
	if limit > 0 {
		if fw, _, err = sim.Follow(w, schedule, limit, sim.Continue, nil); err != nil {
			return exitBadInput, fmt.Errorf("explain: -schedule does not fit %s under %s: %v", s.Name, opts, err)
		}
	}
	if *step > fw.Steps {
		return exitBadInput, fmt.Errorf("explain: -step %d: the run ends after %d steps", *step, fw.Steps)
	}
	if *dot {
		return exitOK, fw.Dot(stdout)
	}
	fmt.Fprintf(stdout, "scenario: %s\n", s.Name)
	return exitOK, fw.Explain(stdout)
}

// explainSchedule shows the run of a schedule file step by step, or the
// machine after one of its steps.
func explainSchedule(file string, step int, dot bool, stdout, stderr io.Writer) (int, error) {
	sf, s, warn, err := readSchedule(file)
	if err != nil {
		return exitBadInput, err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "simrun: warning:", warn)
	}
	w, err := s.Build(sf.Options)
	if err != nil {
		return exitBadInput, err
	}
	// The whole run must match the file, whatever part is shown.
	if _, _, err := sf.follow(w); err != nil {
		return exitBadInput, err
	}
	if step >= 0 || dot {
		if step < 0 {
			step = sf.Steps
		}
		if step > sf.Steps {
			return exitBadInput, fmt.Errorf("explain: -step %d: the schedule has %d steps", step, sf.Steps)
		}
		fw := w
		if step > 0 {
			fw, _, _ = sim.Follow(w, sf.Schedule[:step], step, sim.Continue, nil)
		}
		if dot {
			return exitOK, fw.Dot(stdout)
		}
		fmt.Fprintf(stdout, "scenario: %s (schedule %s, step %d of %d)\n", s.Name, file, step, sf.Steps)
		return exitOK, fw.Explain(stdout)
	}
	rec, err := sim.RecordRun(w, sf.Schedule, sf.Steps+1, sim.Exact)
	if err != nil {
		return exitBadInput, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s, schedule %s (%d steps)\n", s.Name, file, sf.Steps)
	fmt.Fprintf(&b, "schedule %s\n", explore.Schedule(sf.Schedule))
	writeTaskKey(&b, w)
	b.WriteString("\nthe machine before the first step:\n\n")
	if err := w.Explain(&b); err != nil {
		return exitBadInput, err
	}
	b.WriteString("\nstep by step: what each step did, then what it changed (~ changed, + new, - gone):\n\n")
	for _, f := range rec.Frames {
		b.WriteString(sim.EventText(f.Event))
		for _, p := range f.Reached {
			fmt.Fprintf(&b, "      reached %s\n", p)
		}
		if err := sim.WriteChanges(&b, "      ", f.Changes); err != nil {
			return exitBadInput, err
		}
	}
	fmt.Fprintf(&b, "\nsteps: %d\n", rec.Result.Steps)
	if v := rec.Final.MapNames(rec.Result.Violation); v != "" {
		fmt.Fprintf(&b, "VIOLATION: %s\n", v)
	} else {
		b.WriteString("every property held\n")
	}
	_, err = io.WriteString(stdout, b.String())
	return exitOK, err
}

// writeTaskKey writes which task each number of a schedule is.
func writeTaskKey(b *strings.Builder, w *sim.World) {
	b.WriteString("tasks:")
	for i, t := range w.TaskNames() {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, " %d %s", t.ID, t.Name)
	}
	b.WriteString("; tasks forked during the run are T<id>\n")
}
