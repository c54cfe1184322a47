// Command simrun is cgsim's workbench: it runs the bundled scenarios and
// scenario files, searches their interleavings, replays, explains, diffs
// and draws the counterexamples it finds, and holds the simulator against
// the real kernel.
//
//	simrun list [NAME|FILE...]
//	simrun run NAME|FILE [-seed N | -schedule IDS] [-kill=…] [-fix=…] [-json] [-trace FILE]
//	simrun explore NAME|FILE [-mode exhaustive|random] [-seeds 1-1000] [-o FILE] [-json]
//	simrun replay SCHEDULE [-json]
//	simrun explain NAME|FILE|SCHEDULE [-step N] [-dot]
//	simrun diff SCHEDULE -fix=…|-kill=…|…
//	simrun html SCHEDULE|NAME|FILE [-o run.html]
//	simrun matrix | race | hunt | conform | version
//
// Exit status: 0 as expected, 1 unexpected violation, 2 bad input, 3
// expected race not found, 4 cut short by a bound (exitTable). Output is
// deterministic (progress lines on stderr are paced by the clock).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"cgsim/scenarios"
	"cgsim/sim"
)

const usage = `simrun runs cgsim scenarios: simulated Linux machines where cgroup.kill,
the pid namespace zap and fork race, explored step by step.

Usage:
  simrun list [NAME|FILE...]          bundled scenarios, one line each; or what
                                      the ones named teach and expect
  simrun run NAME|FILE [flags]        one run: the trace, then the verdict
  simrun explore NAME|FILE [flags]    search the interleavings for a violation;
                                      writes the schedule of one it finds
  simrun replay SCHEDULE              replay a schedule file written by explore
  simrun explain NAME|FILE|SCHEDULE   the machine at a step: process tree, pid
                                      namespaces, cgroup tree (-dot for Graphviz);
                                      a schedule's run step by step, with what
                                      each step changed
  simrun diff SCHEDULE -fix=...       replay a schedule under other kernel options
                                      and show the first step where the runs differ
  simrun html SCHEDULE|NAME|FILE      the run as one HTML page: a lane per task, the
                                      race window, the machine at each step
  simrun matrix [flags]               every userspace killer against every race:
                                      contained, escaped, wrong process killed, ...
  simrun race [RACE KILLER] [flags]   one run of a killer against a race, with its
                                      trace and outcome (no arguments: the lists)
  simrun hunt NAME [-n N] [-time D]   try a race on this machine's real kernel, up to
                                      N times; classified counts (Linux, root, gcc)
  simrun conform NAME|FILE|bundled|killers
                                      run on this machine's real kernel and in the
                                      simulator, compare, side by side (Linux, root)
  simrun version                      cgsim's version and formats

NAME is a bundled scenario (simrun list); FILE a scenario file (YAML, a
path with a '/' or ending in .yaml; the format is in docs/scenarios.md);
SCHEDULE a schedule file written by explore (docs/trace-format.md).

Kernel options (run, explore, explain, diff, html, matrix, race):
  -kill=flag|seq|seq-into-cgroup-bug|atomic   cgroup.kill mechanism (5.14–6.13 flag,
                                              6.14+ kill_seq, 6.14–6.18 with the
                                              CLONE_INTO_CGROUP bug, gVisor-style atomic)
  -zap=current|v3.3|2007                      pid namespace zap of a dying init (today's;
                                              2.6.24–3.3; the 2007 patch)
  -populated=at-exit|at-final-switch          when an exiting task stops populating
  -coredump=current|v5.15                     where a core dump's zapped threads wait
                                              (5.16+: before exit_signals; ≤5.15: after)
  -fix=NAME[,NAME]                            candidate kernel fixes (none: without the
                                              scenario's):
` + "%s" + `
-json (run, replay, explore, diff, matrix, race, conform) writes JSON Lines: a
header record, the command's records, and a verdict record last.

Run 'simrun COMMAND -h' for a command's flags.

` + exitTable

// commands maps each subcommand to its function.
var commands = map[string]func(args []string, stdout, stderr io.Writer) (int, error){
	"list":    cmdList,
	"run":     cmdRun,
	"explore": cmdExplore,
	"replay":  cmdReplay,
	"explain": cmdExplain,
	"diff":    cmdDiff,
	"html":    cmdHTML,
	"matrix":  cmdMatrix,
	"race":    cmdRace,
	"hunt":    cmdHunt,
	"conform": cmdConform,
	"version": cmdVersion,
}

// commandNames lists the subcommands in the order the usage gives them.
var commandNames = []string{"list", "run", "explore", "replay", "explain", "diff", "html", "matrix", "race", "hunt", "conform", "version"}

func main() {
	maybeHelper() // simrun re-executes itself as helper processes for real-kernel runs
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// usageText is the usage with the candidate fixes listed.
func usageText() string {
	var fixes strings.Builder
	for _, f := range scenarios.Fixes {
		fmt.Fprintf(&fixes, "      %s:\n%s", f.Name, wrap(f.About, "        ", 76))
	}
	return fmt.Sprintf(usage, fixes.String())
}

// wrap breaks text into lines of at most width columns, each starting
// with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, w := range strings.Fields(text) {
		if line != indent && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += w
	}
	b.WriteString(line + "\n")
	return b.String()
}

// Main is simrun with its arguments and output streams; it returns the
// exit status. Help goes to stdout (status 0); a usage error's message to
// stderr (status 2).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText())
		return exitBadInput
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && commands[args[1]] != nil {
			return Main([]string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usageText())
		return exitOK
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, err := range scenarios.BundledErrors {
		fmt.Fprintln(stderr, "simrun: warning: bundled scenario not loaded:", err)
	}
	cmd := commands[args[0]]
	if cmd == nil {
		fmt.Fprintf(stderr, "simrun: unknown command %q (want %s; see 'simrun -h')\n", args[0], strings.Join(commandNames, ", "))
		return exitBadInput
	}
	code, err := cmd(args[1:], stdout, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintln(stderr, "simrun:", err)
		if jsonMode(args[1:]) {
			writeBadInput(stdout, err)
		}
		if code == exitOK {
			code = exitBadInput
		}
		return code
	}
	return code
}

// jsonMode reports whether args ask for -json, so that a bad input still
// ends the JSON Lines output with a verdict record.
func jsonMode(args []string) bool {
	for _, a := range args {
		switch a {
		case "-json", "--json", "-json=true", "--json=true":
			return true
		}
	}
	return false
}

// cmdVersion prints cgsim's version and the versions of its formats.
func cmdVersion(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("version", "usage: simrun version\n\ncgsim's version, the versions of the formats it reads and writes, and the Go\ntoolchain and platform it was built with.\n", stdout)
	pos, err := c.parseFlags(args)
	if err != nil {
		return exitBadInput, err
	}
	if len(pos) > 0 {
		return exitBadInput, fmt.Errorf("version: unexpected argument %q", pos[0])
	}
	fmt.Fprintf(stdout, "cgsim %s\nscenario files: version %d\nschedule files: written by this version, checked step by step by any\nJSON Lines: schema %d\n%s %s/%s\n",
		sim.Version, scenarios.Version, sim.TraceSchema, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK, nil
}
