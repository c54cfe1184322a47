package main

import (
	"fmt"
	"io"

	"cgsim/killer"
	"cgsim/sim"
	"cgsim/sim/explore"
)

const raceHelp = `usage: simrun race RACE KILLER [flags]

One run of a userspace killer against a race class: the trace (the
killer is the task named "killer"; each of its system calls is a step),
then how it ended: contained, escaped, wrong process killed, killer died,
did not terminate, cgroup leaked or gave up. Without arguments, list the
races and the killers.

Exit status: 0 contained, 1 any other outcome, 2 bad input.
`

// raceDetail is what the verdict record of race adds.
type raceDetail struct {
	Race    string `json:"race"`
	Killer  string `json:"killer"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
	Why     string `json:"why,omitempty"`
}

func cmdRace(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("race", raceHelp, stdout)
	kf := c.addKernelFlags()
	seed := c.fs.Uint64("seed", 1, "follow the random schedule of this seed")
	maxSteps := c.fs.Int("max-steps", 0, "cut the run off after this many steps (default: the race's limit in the matrix, else 10000)")
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header, one record per step, the verdict (docs/trace-format.md)")
	c.positive = []string{"seed", "max-steps"}
	pos, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	if len(pos) == 0 {
		fmt.Fprintln(stdout, "races:")
		for _, r := range killer.Races {
			fmt.Fprintf(stdout, "  %s\n", r.Name)
		}
		fmt.Fprintln(stdout, "killers:")
		for _, k := range killer.Killers {
			fmt.Fprintf(stdout, "  %-20s %s\n", k.ID, k.Name)
		}
		return exitOK, nil
	}
	if len(pos) != 2 {
		return exitBadInput, fmt.Errorf("race: want RACE KILLER (run 'simrun race' for the lists)")
	}
	r, ok := killer.LookupRace(pos[0])
	if !ok {
		return exitBadInput, fmt.Errorf("race: unknown race %q (run 'simrun race' for the list)", pos[0])
	}
	k, ok := killer.Lookup(pos[1])
	if !ok {
		return exitBadInput, fmt.Errorf("race: unknown killer %q (run 'simrun race' for the list)", pos[1])
	}
	opts, err := kf.apply(killer.DefaultCampaign().Options)
	if err != nil {
		return exitBadInput, fmt.Errorf("race: %v", err)
	}
	m, err := r.Build(opts, k)
	if err != nil {
		return exitBadInput, err
	}
	steps := *maxSteps
	switch {
	case steps == 0 && r.MaxSteps > 0:
		steps = r.MaxSteps
	case steps == 0:
		steps = killer.DefaultCampaign().MaxSteps
	}
	sched := explore.Random(m.W, *seed, steps).Schedule
	fw, res := sim.Replay(m.W, sched, len(sched))
	h := sim.TraceHeader{Command: "race", Scenario: r.Name + " × " + k.ID, Options: m.W.K.Opts.String(), Seed: *seed,
		Schedule: res.Schedule.String(), Tasks: fw.TaskNames()}
	if *asJSON {
		err = sim.WriteJSONL(stdout, h, fw.Trace())
	} else {
		err = sim.WriteText(stdout, h, fw.Trace())
	}
	if err != nil {
		return exitBadInput, err
	}
	out, detail := killer.Classify(fw, m.Killer, k, m.Target, res.Truncated)
	code := exitOK
	if out != killer.Contained {
		code = exitViolation
	}
	why := killer.Why(k, r, out)
	if *asJSON {
		v := plainVerdict(code, "outcome: "+out.String())
		v.Steps, v.Truncated = res.Steps, res.Truncated
		v.raceDetail = &raceDetail{Race: r.Name, Killer: k.ID, Outcome: out.String(), Detail: detail, Why: why}
		return code, sim.WriteRecord(stdout, v)
	}
	fmt.Fprintf(stdout, "steps: %d\noutcome: %s", res.Steps, out)
	if detail != "" {
		fmt.Fprintf(stdout, " (%s)", detail)
	}
	fmt.Fprintln(stdout)
	if why != "" {
		fmt.Fprintf(stdout, "why: %s\n", why)
	}
	return code, nil
}
