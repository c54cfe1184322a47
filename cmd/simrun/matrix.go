package main

import (
	"fmt"
	"io"

	"cgsim/killer"
	"cgsim/sim"
)

const matrixHelp = `usage: simrun matrix [flags]

Run every userspace killer (systemd, Nomad, runc, crun, kubelet, Mesos, a
naive loop, plain cgroup.kill) against every race class, seeds 1..N of
random exploration each, and print the worst outcome of each pair as a
Markdown table, then one line per pair that was not contained: how many
seeds, a seed that shows it (replay it with simrun race), and why.
docs/killers.md holds this output for kill=seq and kill=atomic. -json
writes one record per pair instead.

Exit status 0 (the matrix is a report), or 2 for bad input.
`

// cellRecord is one pair of the matrix in -json output.
type cellRecord struct {
	Type    string `json:"type"`
	Killer  string `json:"killer"`
	Race    string `json:"race"`
	Outcome string `json:"outcome"`
	// Count of Seeds ended with Outcome; Seed shows it, with Detail.
	Count  int    `json:"count"`
	Seeds  uint64 `json:"seeds"`
	Seed   uint64 `json:"seed,omitempty"`
	Detail string `json:"detail,omitempty"`
	Why    string `json:"why,omitempty"`
	// Counts of every outcome, by name.
	Counts map[string]int `json:"counts"`
}

func cmdMatrix(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("matrix", matrixHelp, stdout)
	kf := c.addKernelFlags()
	seeds := c.fs.Uint64("seeds", 100, "seeds per pair")
	maxSteps := c.fs.Int("max-steps", 10000, "steps per run before it is cut off")
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header, one record per pair, the verdict (docs/trace-format.md)")
	c.positive = []string{"seeds", "max-steps"}
	pos, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	if len(pos) > 0 {
		return exitBadInput, fmt.Errorf("matrix: unexpected argument %q", pos[0])
	}
	camp := killer.DefaultCampaign()
	if camp.Options, err = kf.apply(camp.Options); err != nil {
		return exitBadInput, fmt.Errorf("matrix: %v", err)
	}
	camp.Seeds, camp.MaxSteps = *seeds, *maxSteps
	m, err := camp.Matrix()
	if err != nil {
		return exitBadInput, err
	}
	if !*asJSON {
		killer.WriteDoc(stdout, []killer.Campaign{camp}, [][][]killer.Cell{m})
		return exitOK, nil
	}
	if err := sim.WriteHeader(stdout, sim.TraceHeader{Command: "matrix", Options: camp.Options.String()}); err != nil {
		return exitBadInput, err
	}
	for i, k := range killer.Killers {
		for j, r := range killer.Races {
			cell := m[i][j]
			rec := cellRecord{Type: "cell", Killer: k.ID, Race: r.Name, Outcome: cell.Outcome.String(),
				Count: cell.Counts[cell.Outcome], Seeds: cell.Seeds, Counts: map[string]int{}}
			if cell.Outcome != killer.Contained {
				rec.Seed, rec.Detail, rec.Why = cell.Seed, cell.Detail, killer.Why(k, r, cell.Outcome)
			}
			for o, n := range cell.Counts {
				if n > 0 {
					rec.Counts[killer.Outcome(o).String()] = n
				}
			}
			if err := sim.WriteRecord(stdout, rec); err != nil {
				return exitBadInput, err
			}
		}
	}
	return exitOK, sim.WriteRecord(stdout, plainVerdict(exitOK, fmt.Sprintf("%d killers × %d races, seeds 1-%d", len(killer.Killers), len(killer.Races), camp.Seeds)))
}
