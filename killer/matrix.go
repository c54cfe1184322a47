package killer

import (
	"fmt"
	"io"
	"strings"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// Cell is what random exploration found for one killer against one race:
// the worst outcome over the seeds, a seed that shows it, and how many
// seeds ended each way.
type Cell struct {
	// Seeds is how many seeds were explored.
	Seeds   uint64
	Outcome Outcome
	Detail  string
	Seed    uint64
	Counts  [numOutcomes]int
}

// Campaign is how the matrix is computed: seeds 1..Seeds of random
// exploration, each run cut off after MaxSteps steps, under Options.
type Campaign struct {
	Options  model.Options
	Seeds    uint64
	MaxSteps int
}

// DefaultCampaign is the matrix of docs/killers.md and `simrun matrix`.
func DefaultCampaign() Campaign {
	return Campaign{Options: model.DefaultOptions(), Seeds: 100, MaxSteps: 10000}
}

// Run explores race r against killer k.
func (c Campaign) Run(r Race, k Killer) (Cell, error) {
	m, err := r.Build(c.Options, k)
	if err != nil {
		return Cell{}, fmt.Errorf("%s/%s: %w", r.Name, k.Name, err)
	}
	cell := Cell{Outcome: numOutcomes}
	seeds, steps := c.Seeds, c.MaxSteps
	if r.Seeds > 0 && r.Seeds < seeds {
		seeds = r.Seeds
	}
	if r.MaxSteps > 0 && r.MaxSteps < steps {
		steps = r.MaxSteps
	}
	cell.Seeds = seeds
	for seed := uint64(1); seed <= seeds; seed++ {
		res, fm := explore.RandomFinal(m.W, seed, steps)
		out, detail := Classify(fm.(*sim.World), m.Killer, k, m.Target, res.Truncated)
		cell.Counts[out]++
		if out < cell.Outcome {
			cell.Outcome, cell.Detail, cell.Seed = out, detail, seed
		}
	}
	return cell, nil
}

// Matrix is every killer against every race: Matrix[i][j] is Killers[i]
// against Races[j].
func (c Campaign) Matrix() ([][]Cell, error) {
	out := make([][]Cell, len(Killers))
	for i, k := range Killers {
		out[i] = make([]Cell, len(Races))
		for j, r := range Races {
			cell, err := c.Run(r, k)
			if err != nil {
				return nil, err
			}
			out[i][j] = cell
		}
	}
	return out, nil
}

// WriteTable writes the matrix as a Markdown table: a row per killer, a
// column per race, the worst outcome in each cell with how many of the
// seeds ended that way.
func WriteTable(w io.Writer, c Campaign, m [][]Cell) {
	fmt.Fprintf(w, "| killer |")
	for _, r := range Races {
		fmt.Fprintf(w, " %s |", r.Name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(Races)))
	for i, k := range Killers {
		fmt.Fprintf(w, "| %s |", k.Name)
		for _, cell := range m[i] {
			fmt.Fprintf(w, " %s |", cellText(cell))
		}
		fmt.Fprintln(w)
	}
}

func cellText(cell Cell) string {
	if cell.Outcome == Contained {
		return "contained"
	}
	return fmt.Sprintf("**%s** (%d/%d)", cell.Outcome, cell.Counts[cell.Outcome], cell.Seeds)
}

// WriteWhy writes one line per cell that is not "contained": the killer,
// the race, the outcome with how many seeds ended so, a seed that shows
// it and what was seen there, and why (Why).
func WriteWhy(w io.Writer, c Campaign, m [][]Cell) {
	for i, k := range Killers {
		for j, r := range Races {
			cell := m[i][j]
			if cell.Outcome == Contained {
				continue
			}
			fmt.Fprintf(w, "- **%s × %s: %s** (%d/%d; seed %d: %s): %s.\n", k.Name, r.Name, cell.Outcome,
				cell.Counts[cell.Outcome], cell.Seeds, cell.Seed, cell.Detail, Why(k, r, cell.Outcome))
		}
	}
}

// WriteDoc writes the generated part of docs/killers.md: the killers and
// the races, then for each campaign its settings, the table and the
// explanations.
func WriteDoc(w io.Writer, cs []Campaign, ms [][][]Cell) {
	fmt.Fprintf(w, "### The killers\n\n| id | killer | follows | known weakness |\n|---|---|---|---|\n")
	for _, k := range Killers {
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", k.ID, k.Name, k.Source, k.Weakness)
	}
	fmt.Fprintf(w, "\n### The races\n\n")
	for _, r := range Races {
		fmt.Fprintf(w, "- `%s`: %s\n", r.Name, r.Teaches)
	}
	for i, c := range cs {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "### %s, seeds 1-%d, at most %d steps a run\n\n", c.Options, c.Seeds, c.MaxSteps)
		WriteTable(w, c, ms[i])
		fmt.Fprintln(w)
		WriteWhy(w, c, ms[i])
	}
}
