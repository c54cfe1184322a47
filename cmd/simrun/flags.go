package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
)

// command is a subcommand's flags and help. Help (-h) goes to standard
// output and succeeds; a bad flag is an error (status 2) that points to
// the help.
type command struct {
	fs     *flag.FlagSet
	help   string
	stdout io.Writer
	// positive flags must be > 0 when given; nonNegative >= 0.
	positive, nonNegative []string
}

// newCommand makes the flag set of subcommand name; help teaches what it
// does (its flags are listed after it).
func newCommand(name, help string, stdout io.Writer) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &command{fs: fs, help: help, stdout: stdout}
}

// printHelp writes the help and the flags to standard output.
func (c *command) printHelp() {
	fmt.Fprint(c.stdout, c.help)
	n := 0
	c.fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(c.stdout, "\nflags:\n")
		c.fs.SetOutput(c.stdout)
		c.fs.PrintDefaults()
		c.fs.SetOutput(io.Discard)
	}
}

// parseFlags parses args (flags and positional arguments in any order)
// and returns the positional arguments. It returns flag.ErrHelp after
// printing the help for -h.
func (c *command) parseFlags(args []string) ([]string, error) {
	var pos []string
	for {
		for len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-") {
			pos, args = append(pos, args[0]), args[1:]
		}
		if len(args) == 0 {
			break
		}
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printHelp()
				return nil, err
			}
			return nil, fmt.Errorf("%s: %v (see 'simrun %s -h')", c.fs.Name(), err, c.fs.Name())
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		// A positional argument before more flags.
		pos, args = append(pos, args[0]), args[1:]
	}
	var err error
	c.fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		neg := strings.HasPrefix(v, "-")
		zero := v == "0" || v == "0s"
		switch {
		case err != nil:
		case contains(c.positive, f.Name) && (neg || zero):
			err = fmt.Errorf("%s: -%s %s: want a positive number", c.fs.Name(), f.Name, v)
		case contains(c.nonNegative, f.Name) && neg:
			err = fmt.Errorf("%s: -%s %s: want zero or more", c.fs.Name(), f.Name, v)
		}
	})
	return pos, err
}

// parseOne is parseFlags for a command that takes exactly one positional
// argument; what names it in the error ("scenario name").
func (c *command) parseOne(args []string, what string) (string, error) {
	pos, err := c.parseFlags(args)
	if err != nil {
		return "", err
	}
	switch {
	case len(pos) == 0:
		return "", fmt.Errorf("%s: missing %s (see 'simrun %s -h')", c.fs.Name(), what, c.fs.Name())
	case len(pos) > 1:
		return "", fmt.Errorf("%s: unexpected argument %q", c.fs.Name(), pos[1])
	}
	return pos[0], nil
}

// set reports whether flag name was given.
func (c *command) set(name string) bool {
	found := false
	c.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// kernelFlags are the kernel option flags of a command.
type kernelFlags struct{ kill, zap, populated, coredump, fix *string }

// addKernelFlags registers the kernel option flags on c.
func (c *command) addKernelFlags() kernelFlags {
	fs := c.fs
	return kernelFlags{
		kill:      fs.String("kill", "", "cgroup.kill mechanism: flag, seq, seq-into-cgroup-bug or atomic (default: the scenario's)"),
		zap:       fs.String("zap", "", "pid namespace zap: current, v3.3 or 2007 (default: the scenario's)"),
		populated: fs.String("populated", "", "populated timing: at-exit or at-final-switch (default: the scenario's)"),
		coredump:  fs.String("coredump", "", "where a core dump's zapped threads wait: current (5.16+) or v5.15 (default: the scenario's)"),
		fix:       fs.String("fix", "", "candidate kernel fixes to run under, comma-separated: "+strings.Join(scenarios.FixNames(), ", ")+"; none: without the scenario's"),
	}
}

// apply sets the options the flags give in o.
func (kf kernelFlags) apply(o model.Options) (model.Options, error) {
	var err error
	if *kf.kill != "" {
		if o.Kill, err = model.ParseKillMode(*kf.kill); err != nil {
			return o, fmt.Errorf("-kill: %v", err)
		}
	}
	if *kf.zap != "" {
		if o.Zap, err = model.ParseZapMode(*kf.zap); err != nil {
			return o, fmt.Errorf("-zap: %v", err)
		}
	}
	if *kf.populated != "" {
		if o.Populated, err = model.ParsePopulatedMode(*kf.populated); err != nil {
			return o, fmt.Errorf("-populated: %v", err)
		}
	}
	if *kf.coredump != "" {
		if o.Coredump, err = model.ParseCoredumpMode(*kf.coredump); err != nil {
			return o, fmt.Errorf("-coredump: %v", err)
		}
	}
	if *kf.fix != "" {
		if o, err = scenarios.ApplyFixes(o, *kf.fix); err != nil {
			return o, fmt.Errorf("-fix: %v", err)
		}
	}
	return o, nil
}

// any reports whether a kernel option flag was given.
func (kf kernelFlags) any() bool {
	return *kf.kill != "" || *kf.zap != "" || *kf.populated != "" || *kf.coredump != "" || *kf.fix != ""
}

// load parses a subcommand's flags, looks up the scenario, applies the
// kernel option flags to its options and builds its machine.
func (c *command) load(kf kernelFlags, args []string) (string, *scenarios.Scenario, model.Options, *sim.World, error) {
	name, err := c.parseOne(args, "scenario name")
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

// scenario resolves NAME|FILE: a bundled scenario's name, or the path of a
// scenario file (anything with a '/' or ending in .yaml or .yml).
func scenario(name string) (*scenarios.Scenario, error) {
	if strings.ContainsRune(name, '/') || strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return scenarios.LoadFile(name)
	}
	if strings.HasSuffix(name, ".schedule") {
		return nil, fmt.Errorf("%s is a schedule file, not a scenario (replay it with 'simrun replay %s')", name, name)
	}
	s, ok := scenarios.Lookup(name)
	if !ok {
		if _, err := os.Stat(name); err == nil {
			return nil, fmt.Errorf("unknown scenario %q (see 'simrun list'); to read the file of that name, write ./%s", name, name)
		}
		return nil, fmt.Errorf("unknown scenario %q (see 'simrun list'; a scenario file's path must contain '/' or end in .yaml)", name)
	}
	return s, nil
}
