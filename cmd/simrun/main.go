// Command simrun runs cgsim's bundled scenarios: one run with its trace,
// an exploration of every interleaving (or of many random ones), and the
// replay of a schedule a search found.
//
//	simrun list
//	simrun run NAME|FILE [-seed N] [-kill=…] [-zap=…] [-json] [-trace FILE]
//	simrun explore NAME|FILE [-mode exhaustive|random] [-seeds 1-1000] [-o FILE]
//	simrun replay FILE
//	simrun explain NAME|FILE [-step N] [-dot]
//
// Exit status: 0 when every expectation held, 1 when a property or
// expectation was violated, 2 for bad input or usage. Output is
// deterministic (progress lines on stderr are paced by the clock).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"cgsim/scenarios"
)

const usage = `simrun runs cgsim scenarios: simulated Linux machines where cgroup.kill,
the pid namespace zap and fork race, explored step by step.

Usage:
  simrun list [NAME|FILE...]          bundled scenarios, one line each; or what
                                      the ones named teach and expect
  simrun run NAME|FILE [flags]        one run: the trace, then the verdict
  simrun explore NAME|FILE [flags]    search the interleavings for a violation
  simrun replay FILE                  replay a schedule file written by explore
  simrun explain NAME|FILE [flags]    the machine at a step: process tree, pid
                                      namespaces, cgroup tree (-dot for Graphviz)
  simrun matrix [flags]               every userspace killer against every race:
                                      contained, escaped, wrong process killed, ...
  simrun race [RACE KILLER] [flags]   one run of a killer against a race, with its
                                      trace and outcome (no arguments: the lists)
  simrun hunt NAME [-n N] [-time D]   try a race on this machine's real kernel, up to
                                      N times; classified counts (root, gcc)
  simrun conform NAME|FILE|bundled|killers
                                      run on this machine's real kernel and in the
                                      simulator, compare, side by side (root)

NAME is a bundled scenario (simrun list); FILE a scenario file (YAML, a
path with a '/' or ending in .yaml; the format is in docs/scenarios.md).

Kernel options (run, explore, explain):
  -kill=flag|seq|seq-into-cgroup-bug|atomic   cgroup.kill mechanism (5.14–6.13 flag,
                                              6.14+ kill_seq, 6.14–6.18 with the
                                              CLONE_INTO_CGROUP bug, gVisor-style atomic)
  -zap=current|v3.3|2007                      pid namespace zap of a dying init (today's;
                                              2.6.24–3.3; the 2007 patch)
  -populated=at-exit|at-final-switch          when an exiting task stops populating

Run 'simrun COMMAND -h' for a command's flags. Exit status: 0 every
expectation held, 1 a property or expectation was violated, 2 bad input or
usage (a scenario file's errors as file:line:col).
`

func main() {
	maybeHelper() // simrun re-executes itself as helper processes for real-kernel runs
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Main is simrun with its arguments and output streams; it returns the
// exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, err := range scenarios.BundledErrors {
		fmt.Fprintln(stderr, "simrun: warning: bundled scenario not loaded:", err)
	}
	var err error
	code := 0
	switch args[0] {
	case "list":
		code, err = cmdList(args[1:], stdout)
	case "run":
		code, err = cmdRun(args[1:], stdout, stderr)
	case "explore":
		code, err = cmdExplore(args[1:], stdout, stderr)
	case "replay":
		code, err = cmdReplay(args[1:], stdout, stderr)
	case "explain":
		code, err = cmdExplain(args[1:], stdout, stderr)
	case "matrix":
		code, err = cmdMatrix(args[1:], stdout, stderr)
	case "race":
		code, err = cmdRace(args[1:], stdout, stderr)
	case "hunt":
		code, err = cmdHunt(args[1:], stdout, stderr)
	case "conform":
		code, err = cmdConform(args[1:], stdout, stderr)
	default:
		err = fmt.Errorf("unknown command %q (want list, run, explore, replay, explain, matrix, race, hunt or conform)", args[0])
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "simrun:", err)
			return 2
		}
		return 0
	}
	return code
}
