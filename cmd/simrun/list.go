package main

import (
	"fmt"
	"io"

	"cgsim/model"
	"cgsim/scenarios"
)

// cmdList lists the bundled scenarios, or describes the ones named.
const listHelp = `usage: simrun list [NAME|FILE...]

Without arguments: the bundled scenarios, one line each (name and
summary). With names or scenario files: what each teaches, where it comes
from, the kernel options it runs under, how it is explored, and under
which options exploring must find a violation.

Exit status 0, or 2 for an unknown scenario or a scenario file's error.
`

// cmdList lists the bundled scenarios, or describes the ones named.
func cmdList(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("list", listHelp, stdout)
	names, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	if len(names) == 0 {
		width := 0
		for _, s := range scenarios.All() {
			width = max(width, len(s.Name))
		}
		for _, s := range scenarios.All() {
			fmt.Fprintf(stdout, "%-*s  %s\n", width, s.Name, s.Summary)
		}
		return exitOK, nil
	}
	for i, name := range names {
		s, err := scenario(name)
		if err != nil {
			return exitBadInput, err
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		describe(stdout, s)
	}
	return exitOK, nil
}

// describe writes what a scenario is: its summary, what it teaches, where
// it comes from, the options it runs under and what exploring must find.
func describe(w io.Writer, s *scenarios.Scenario) {
	fmt.Fprintf(w, "%s: %s\n", s.Name, s.Summary)
	if s.File != "" {
		fmt.Fprintf(w, "file: %s\n", s.File)
	}
	if s.Teaches != "" {
		fmt.Fprintf(w, "\n%s\n", s.Teaches)
	}
	if s.Source != "" {
		fmt.Fprintf(w, "\nsource: %s\n", s.Source)
	}
	fmt.Fprintf(w, "\noptions: %s\n", s.Options)
	fmt.Fprintf(w, "exploration: %s", s.ExploreMode())
	if s.ExploreMode() == "random" {
		lo, hi := s.Seeds()
		fmt.Fprintf(w, ", seeds %d-%d, %d steps each", lo, hi, s.Steps())
	}
	if s.KillGate != "" {
		fmt.Fprintf(w, ", stopping once the kill %q is decided", s.KillGate)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "a violation is expected under:")
	none := true
	for _, kill := range model.KillModes {
		for _, zap := range model.ZapModes {
			o := s.Options
			o.Kill, o.Zap = kill, zap
			if s.Expectation(o) == scenarios.ExpectViolation {
				fmt.Fprintf(w, " kill=%s/zap=%s", kill, zap)
				none = false
			}
		}
	}
	if none {
		fmt.Fprint(w, " none (every property must hold)")
	}
	fmt.Fprintln(w)
}
