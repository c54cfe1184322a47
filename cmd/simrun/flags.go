package main

import (
	"flag"
	"fmt"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
)

// commandUsage returns a FlagSet.Usage that teaches: what the command does,
// then its flags.
func commandUsage(fs *flag.FlagSet, text string) func() {
	return func() {
		fmt.Fprint(fs.Output(), text, "\nflags:\n")
		fs.PrintDefaults()
	}
}

// kernelFlags registers the kernel option flags on fs.
type kernelFlags struct{ kill, zap, populated *string }

func addKernelFlags(fs *flag.FlagSet) kernelFlags {
	return kernelFlags{
		kill:      fs.String("kill", "", "cgroup.kill mechanism: flag, seq, seq-into-cgroup-bug or atomic (default: the scenario's)"),
		zap:       fs.String("zap", "", "pid namespace zap: current, v3.3 or 2007 (default: the scenario's)"),
		populated: fs.String("populated", "", "populated timing: at-exit or at-final-switch (default: the scenario's)"),
	}
}

func (kf kernelFlags) apply(o model.Options) (model.Options, error) {
	var err error
	if *kf.kill != "" {
		if o.Kill, err = model.ParseKillMode(*kf.kill); err != nil {
			return o, err
		}
	}
	if *kf.zap != "" {
		if o.Zap, err = model.ParseZapMode(*kf.zap); err != nil {
			return o, err
		}
	}
	if *kf.populated != "" {
		if o.Populated, err = model.ParsePopulatedMode(*kf.populated); err != nil {
			return o, err
		}
	}
	return o, nil
}

// load parses a subcommand's flags, looks up the scenario, applies the
// kernel option flags to its options and builds its machine.
func (kf kernelFlags) load(fs *flag.FlagSet, args []string) (string, *scenarios.Scenario, model.Options, *sim.World, error) {
	name, err := parse(fs, args)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	s, err := scenario(name)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	opts, err := kf.apply(s.Options)
	if err != nil {
		return "", nil, model.Options{}, nil, err
	}
	w, err := s.Build(opts)
	return name, s, opts, w, err
}

// parse parses a subcommand's flags; the scenario name may come before or
// after them.
func parse(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if name == "" {
		return "", fmt.Errorf("%s: missing scenario name (see 'simrun list')", fs.Name())
	}
	return name, nil
}

// scenario resolves NAME|FILE: a bundled scenario's name, or the path of a
// scenario file (anything with a '/' or ending in .yaml or .yml).
func scenario(name string) (*scenarios.Scenario, error) {
	if strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return scenarios.LoadFile(name)
	}
	s, ok := scenarios.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown scenario %q (see 'simrun list'; a scenario file's path must contain '/' or end in .yaml)", name)
	}
	return s, nil
}
