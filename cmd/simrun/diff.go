package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
)

const diffHelp = `usage: simrun diff SCHEDULE [kernel flags]

Replay a counterexample under another set of kernel options (a candidate
fix, another kernel version) and show where the two runs part: run A is
the schedule file's run under its own options, run B follows the same
schedule under the options the flags give (-fix=..., -kill=..., ...). The
output names both option sets, the steps both runs share, the first step
where they differ (each run's version of it; if under B the scheduled
task cannot take its step, why), the rest of run B (the default policy
finishes it once the schedule no longer fits), and both verdicts, with
the command that reruns B.

Exit status: 0 run B holds every property, 1 run B violates one (the fix
does not close the window on this schedule), 2 bad input.
`

// diffDetail is what the verdict record of diff adds.
type diffDetail struct {
	OptionsA string `json:"options_a"`
	OptionsB string `json:"options_b"`
	// FirstDifference is the first step where the runs differ (0: none).
	FirstDifference int    `json:"first_difference"`
	ViolationA      string `json:"violation_a,omitempty"`
	ScheduleB       string `json:"schedule_b"`
}

// diffShown is how many of run B's steps after the first difference are
// shown.
const diffShown = 30

func cmdDiff(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("diff", diffHelp, stdout)
	kf := c.addKernelFlags()
	maxSteps := c.fs.Int("max-steps", 100000, "stop run B after this many steps")
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header, run B's steps, the verdict with where the runs differ (docs/trace-format.md)")
	c.positive = []string{"max-steps"}
	file, err := c.parseOne(args, "schedule file")
	if err != nil {
		return exitBadInput, err
	}
	sf, s, warn, err := readSchedule(file)
	if err != nil {
		return exitBadInput, err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "simrun: warning:", warn)
	}
	optsB, err := kf.apply(sf.Options)
	if err != nil {
		return exitBadInput, fmt.Errorf("diff: %v", err)
	}
	if optsB == sf.Options {
		return exitBadInput, fmt.Errorf("diff: give other kernel options for run B (-fix=%s, -kill=..., ...); the schedule already runs under %s", strings.Join(scenarios.FixNames(), ","), sf.Options)
	}
	wA, err := s.Build(sf.Options)
	if err != nil {
		return exitBadInput, err
	}
	fa, resA, err := sf.follow(wA)
	if err != nil {
		return exitBadInput, err
	}
	wB, err := s.Build(optsB)
	if err != nil {
		return exitBadInput, fmt.Errorf("diff: scenario %s under %s: %v", s.Name, optsB, err)
	}
	fb, resB, stuck := sim.Follow(wB, sf.Schedule, *maxSteps, sim.Diverge, nil)
	trA, trB := fa.Trace(), fb.Trace()
	first := 0 // 1-based step of the first difference
	for i := 0; i < max(len(trA), len(trB)); i++ {
		if i >= len(trA) || i >= len(trB) || !sameEvent(trA[i], trB[i]) {
			first = i + 1
			break
		}
	}
	jB := judgement{Violation: fb.MapNames(resB.Violation), Cut: resB.Truncated}
	code := exitOK
	if jB.Violation != "" {
		code = exitViolation
	} else if jB.Cut {
		code = exitCutShort
	}
	rerun := fmt.Sprintf("simrun run %s %s -schedule '%s'", scenarioArg(s), optionFlags(optsB), resB.Schedule)
	if *asJSON {
		h := header("diff", s, optsB)
		h.Schedule, h.Tasks = resB.Schedule.String(), fb.TaskNames()
		if err := sim.WriteJSONL(stdout, h, trB); err != nil {
			return exitBadInput, err
		}
		text := "run B holds every property"
		if code != exitOK {
			text = "run B: " + verdictOf(jB.Violation, resB.Truncated)
		}
		v := plainVerdict(code, text)
		v.Violation, v.Steps, v.Truncated = jB.Violation, resB.Steps, resB.Truncated
		v.diffDetail = &diffDetail{OptionsA: sf.Options.String(), OptionsB: optsB.String(), FirstDifference: first,
			ViolationA: fa.MapNames(resA.Violation), ScheduleB: resB.Schedule.String()}
		return code, sim.WriteRecord(stdout, v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "schedule %s: scenario %s, %d steps\n", file, s.Name, sf.Steps)
	fmt.Fprintf(&b, "A: %s (the schedule's options)\nB: %s\n", sf.Options, optsB)
	writeTaskKey(&b, fa)
	switch {
	case first == 0:
		fmt.Fprintf(&b, "\nthe runs are the same, step for step (%d steps): these options make no difference on this schedule\n", len(trA))
	default:
		if first > 1 {
			fmt.Fprintf(&b, "\nsteps 1 to %d are the same in both runs\n", first-1)
		} else {
			b.WriteString("\nthe runs differ from the first step\n")
		}
		fmt.Fprintf(&b, "first difference, at step %d:\n", first)
		if se, ok := stuck.(*sim.ScheduleError); ok && se.Index == first-1 {
			fmt.Fprintf(&b, "B cannot follow the schedule here: %s\n  (B goes on with the default policy: the last task while it can step, else the lowest)\n", se.Reason)
		}
		b.WriteString("A:\n")
		if first <= len(trA) {
			b.WriteString(indent(sim.EventText(trA[first-1])))
		} else {
			fmt.Fprintf(&b, "  (A has ended: %s)\n", verdictOf(fa.MapNames(resA.Violation), false))
		}
		b.WriteString("B:\n")
		if first <= len(trB) {
			b.WriteString(indent(sim.EventText(trB[first-1])))
			rest := trB[first:]
			if len(rest) > 0 {
				fmt.Fprintf(&b, "then B goes on (steps %d to %d):\n", first+1, len(trB))
				for i, e := range rest {
					if i == diffShown {
						fmt.Fprintf(&b, "  ... %d more steps (the command below shows them)\n", len(rest)-i)
						break
					}
					if se, ok := stuck.(*sim.ScheduleError); ok && se.Index == first+i {
						fmt.Fprintf(&b, "  B cannot follow the schedule at step %d: %s\n  (B goes on with the default policy)\n", first+i+1, se.Reason)
					}
					b.WriteString(indent(sim.EventText(e)))
				}
			}
		} else {
			fmt.Fprintf(&b, "  (B has ended: %s)\n", verdictOf(jB.Violation, resB.Truncated))
		}
	}
	fmt.Fprintf(&b, "\nA (%d steps): %s\n", resA.Steps, verdictOf(fa.MapNames(resA.Violation), false))
	fmt.Fprintf(&b, "B (%d steps): %s\n", resB.Steps, verdictOf(jB.Violation, resB.Truncated))
	fmt.Fprintf(&b, "run B again with:\n  %s\n", rerun)
	_, err = io.WriteString(stdout, b.String())
	return code, err
}

// sameEvent reports whether two steps are the same for a reader: the same
// task, pids, kernel function and changes.
func sameEvent(a, b sim.TraceEvent) bool {
	return a.Task == b.Task && a.Func == b.Func && slices.Equal(a.Pids, b.Pids) && slices.Equal(a.What, b.What)
}

func verdictOf(violation string, cut bool) string {
	switch {
	case violation != "":
		return "VIOLATION: " + violation
	case cut:
		return "no violation, stopped at -max-steps"
	}
	return "every property held"
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n"
}

// scenarioArg is how a command line names s: its name, or its file.
func scenarioArg(s *scenarios.Scenario) string {
	if s.Bundled {
		return s.Name
	}
	return s.File
}

// optionFlags are the flags that give o on the command line.
func optionFlags(o model.Options) string {
	var fixes []string
	for _, f := range scenarios.Fixes {
		if f.On(o) {
			fixes = append(fixes, f.Name)
		}
	}
	fix := "none"
	if len(fixes) > 0 {
		fix = strings.Join(fixes, ",")
	}
	s := fmt.Sprintf("-kill=%s -zap=%s -populated=%s -fix=%s", o.Kill, o.Zap, o.Populated, fix)
	if o.Coredump != model.CoredumpCurrent {
		s += " -coredump=" + o.Coredump.String()
	}
	return s
}
