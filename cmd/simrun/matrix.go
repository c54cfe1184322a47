package main

import (
	"flag"
	"fmt"
	"io"

	"cgsim/killer"
)

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
