package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// run runs simrun in this process and returns its exit status, standard
// output and standard error.
func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestExitStatus holds every exit status to a command that must give it;
// the testscript goldens show the output of most of them.
func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // a line stdout must contain
	}{
		{"expected race found", []string{"explore", "fork-vs-kill", "-kill=flag", "-q", "-o", os.DevNull}, exitOK, "verdict: as expected: this is the race"},
		{"nothing expected, nothing found", []string{"explore", "fork-vs-kill", "-kill=atomic", "-q"}, exitOK, "verdict: as expected: no violation found"},
		{"one run holds", []string{"run", "zap"}, exitOK, "verdict: every property held (exit 0)"},
		{"one run shows the expected race", []string{"run", "test_kill_clone_into_killed", "-kill=seq-into-cgroup-bug"}, exitOK, "VIOLATION: not-reached"},
		{"fixes close the window", []string{"explore", "fork-vs-kill", "-kill=seq", "-fix=post_fork_kill_if_parent_killed,kill_signal_under_css_set_lock", "-q"}, exitNotFound, "verdict: expected race not found"},
		{"random search cut by -max-steps", []string{"explore", "fork-bomb", "-kill=seq", "-seeds=1-1", "-max-steps=10", "-q"}, exitCutShort, "verdict: cut short"},
		{"run cut by -max-steps", []string{"run", "fork-bomb", "-max-steps", "5"}, exitCutShort, "verdict: cut short"},
		{"race not contained", []string{"race", "zombie-leader", "cgroup.kill", "-kill=atomic"}, exitViolation, "outcome: escaped"},
		{"race contained", []string{"race", "pid-reuse-outside", "cgroup.kill", "-seed", "18"}, exitOK, "outcome: contained"},
		{"help", []string{"-h"}, exitOK, "Exit status:"},
		{"help of a command", []string{"help", "list"}, exitOK, "usage: simrun list"},
		{"version", []string{"version"}, exitOK, "cgsim "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(tc.args...)
			require.Equal(t, tc.code, code, "%s\n%s", out, errs)
			require.Contains(t, out, tc.out)
		})
	}
}

// TestBadInput: every bad input is status 2 with a message on stderr and
// nothing on stdout (help is on stdout, errors are not).
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{nil, "simrun runs cgsim scenarios"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"run"}, "run: missing scenario name"},
		{[]string{"run", "no-such-scenario"}, `unknown scenario "no-such-scenario"`},
		{[]string{"run", "fork-vs-kill", "-kill=maybe"}, `-kill: unknown kill mode "maybe"`},
		{[]string{"run", "fork-vs-kill", "-fix=nonesuch"}, `-fix: unknown fix "nonesuch"`},
		{[]string{"run", "fork-vs-kill", "-nonesuch"}, "run: flag provided but not defined: -nonesuch (see 'simrun run -h')"},
		{[]string{"run", "fork-vs-kill", "-max-steps", "0"}, "run: -max-steps 0: want a positive number"},
		{[]string{"run", "fork-vs-kill", "-max-steps", "-3"}, "run: -max-steps -3: want a positive number"},
		{[]string{"run", "fork-vs-kill", "-seed", "0"}, "run: -seed 0: want a positive number"},
		{[]string{"run", "fork-vs-kill", "-seed", "-1"}, `invalid value "-1" for flag -seed`},
		{[]string{"run", "fork-vs-kill", "-schedule", "1 1 9"}, "task 9 does not exist"},
		{[]string{"run", "fork-vs-kill", "-schedule", "0"}, "task 0 (init) cannot take this step"},
		{[]string{"explore", "fork-vs-kill", "-mode=sideways"}, `-mode "sideways": want exhaustive or random`},
		{[]string{"explore", "fork-bomb", "-seeds=9-1"}, "want seeds as N or N-M"},
		{[]string{"explore", "fork-bomb", "-seeds=0"}, "want seeds as N or N-M"},
		{[]string{"explore", "fork-bomb", "-max-steps=0"}, "explore: -max-steps 0: want a positive number"},
		{[]string{"explore", "fork-vs-kill", "-seeds=1-5"}, "-seeds and -max-steps are for -mode random"},
		{[]string{"explain", "zap", "-step", "-2"}, "explain: -step -2: want zero or more"},
		{[]string{"explain", "zap", "-step", "500"}, "explain: -step 500: the run ends after 31 steps"},
		{[]string{"matrix", "-seeds", "0"}, "matrix: -seeds 0: want a positive number"},
		{[]string{"race", "zombie-leader", "naive", "-max-steps", "-1"}, "race: -max-steps -1: want a positive number"},
		{[]string{"hunt", "fork-vs-kill", "-n", "0"}, "hunt: -n 0: want a positive number"},
		{[]string{"conform", "zap", "-runs", "0"}, "conform: -runs 0: want a positive number"},
		{[]string{"replay", "/nonexistent/file"}, "no such file or directory"},
		{[]string{"replay"}, "replay: missing schedule file"},
		{[]string{"diff", "/nonexistent/x.schedule", "-fix=post_fork_kill_if_parent_killed"}, "no such file or directory"},

		{[]string{"html", "no-such-scenario"}, `unknown scenario "no-such-scenario"`},
		{[]string{"html", "zap", "-max-steps", "0"}, "html: -max-steps 0: want a positive number"},
		{[]string{"list", "nonesuch"}, `unknown scenario "nonesuch"`},
		{[]string{"version", "extra"}, `version: unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(tc.args...)
			require.Equal(t, exitBadInput, code, "%s\n%s", out, errs)
			require.Contains(t, errs, tc.msg)
			require.Empty(t, out)
		})
	}
}

// TestJSONLines: every -json output is JSON Lines from the first line to
// the last: a header with the schema version, then records, and a verdict
// record last with the exit status; bad input too.
func TestJSONLines(t *testing.T) {
	dir := t.TempDir()
	sched := filepath.Join(dir, "fvk.schedule")
	code, out, errs := run("explore", "fork-vs-kill", "-kill=flag", "-q", "-o", sched)
	require.Equal(t, exitOK, code, out+errs)
	for _, tc := range []struct {
		args   []string
		code   int
		status string
		types  []string // the record types, in order, repeats folded
	}{
		{[]string{"run", "zap", "-json"}, exitOK, "as-expected", []string{"header", "step", "verdict"}},
		{[]string{"run", "fork-bomb", "-json", "-max-steps", "5"}, exitCutShort, "cut-short", []string{"header", "step", "verdict"}},
		{[]string{"replay", sched, "-json"}, exitOK, "as-expected", []string{"header", "step", "verdict"}},
		{[]string{"explore", "fork-vs-kill", "-kill=flag", "-json", "-q", "-o", filepath.Join(dir, "x.schedule")}, exitOK, "as-expected", []string{"header", "verdict"}},
		{[]string{"explore", "fork-vs-kill", "-kill=seq", "-fix=post_fork_kill_if_parent_killed,kill_signal_under_css_set_lock", "-json", "-q"}, exitNotFound, "expected-race-not-found", []string{"header", "verdict"}},
		{[]string{"race", "zombie-leader", "cgroup.kill", "-json"}, exitViolation, "unexpected-violation", []string{"header", "step", "verdict"}},
		{[]string{"matrix", "-seeds", "1", "-json"}, exitOK, "as-expected", []string{"header", "cell", "verdict"}},
		{[]string{"diff", sched, "-fix=post_fork_kill_if_parent_killed", "-json"}, exitOK, "as-expected", []string{"header", "step", "verdict"}},
		{[]string{"run", "nonesuch", "-json"}, exitBadInput, "bad-input", []string{"verdict"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := run(tc.args...)
			require.Equal(t, tc.code, code, "%s\n%s", out, errs)
			var types []string
			var last map[string]any
			for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
				var rec map[string]any
				require.NoError(t, json.Unmarshal([]byte(line), &rec), "line %d: %s", i+1, line)
				typ, _ := rec["type"].(string)
				require.NotEmpty(t, typ, "line %d has no type: %s", i+1, line)
				if typ == "header" {
					require.EqualValues(t, 1, rec["schema"])
				}
				if len(types) == 0 || types[len(types)-1] != typ {
					types = append(types, typ)
				}
				last = rec
			}
			require.Equal(t, tc.types, types)
			require.Equal(t, tc.status, last["status"])
			require.EqualValues(t, tc.code, last["exit"])
		})
	}
}

// TestDeterministicOutput: the same command gives the same bytes.
func TestDeterministicOutput(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"run", "fork-bomb", "-seed", "3"},
		{"run", "fork-bomb", "-seed", "3", "-json"},
		{"explore", "fork-vs-kill-csets", "-q", "-o", filepath.Join(dir, "a.schedule")},
		{"explain", "zap", "-dot"},
		{"html", "zap", "-o", filepath.Join(dir, "zap.html")},
	} {
		_, a, _ := run(args...)
		_, b, _ := run(args...)
		require.Equal(t, a, b, "%v", args)
	}
	page1, err := os.ReadFile(filepath.Join(dir, "zap.html"))
	require.NoError(t, err)
	run("html", "zap", "-o", filepath.Join(dir, "zap.html"))
	page2, err := os.ReadFile(filepath.Join(dir, "zap.html"))
	require.NoError(t, err)
	require.Equal(t, page1, page2)
}
