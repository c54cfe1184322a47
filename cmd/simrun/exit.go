package main

import (
	"fmt"
	"io"

	"cgsim/sim"
)

// Exit statuses. Each names what a CI job needs to tell apart; the table
// is in README.md and `simrun -h`.
const (
	// exitOK: as expected. Every property held where the scenario expects
	// them to, or the violation it expects under these options was found.
	exitOK = 0
	// exitViolation: a violation the scenario does not expect (run,
	// replay, explore, diff), a killer that did not contain its target
	// (race), a real kernel that disagrees with the model (conform, hunt).
	exitViolation = 1
	// exitBadInput: bad usage or input: an unknown scenario, a bad flag
	// value, a scenario file's error, a schedule that does not match its
	// scenario, options or this cgsim.
	exitBadInput = 2
	// exitNotFound: the search covered everything within its bounds and
	// found no violation, but the scenario expects one under these options
	// (the race it teaches is missing).
	exitNotFound = 3
	// exitCutShort: no violation found, but a bound cut the search or the
	// run (depth, preemptions, states, -max-steps) before the end: no
	// verdict either way.
	exitCutShort = 4
)

// statusNames are the exit statuses as JSON verdict records spell them.
var statusNames = map[int]string{
	exitOK:        "as-expected",
	exitViolation: "unexpected-violation",
	exitBadInput:  "bad-input",
	exitNotFound:  "expected-race-not-found",
	exitCutShort:  "cut-short",
}

// exitTable is the table of exit statuses for the usage text.
const exitTable = `Exit status:
  0  as expected: every property held, or the violation the scenario expects
     under these options was found
  1  unexpected violation (race: the killer did not contain its target;
     conform, hunt: the real kernel disagrees with the model)
  2  bad input: usage, unknown scenario, bad flag value, scenario file error,
     a schedule that does not match its scenario, options, steps or verdict
  3  expected race not found: the search was complete within its bounds,
     found no violation, and the scenario expects one under these options
  4  cut short: no violation found, but a bound (depth, preemptions, states,
     -max-steps) stopped the search or the run early: no verdict
`

// judgement is a run's or a search's outcome held against the scenario's
// expectation.
type judgement struct {
	// Violation is "" or the violation found.
	Violation string
	// Cut: the search or run stopped at a bound before its end.
	Cut bool
	// Search: a search (explore) rather than one run; only a search can
	// miss an expected race. Random: a random search (seeds), which
	// samples the interleavings instead of covering them.
	Search, Random bool
	// Expect: the scenario expects a violation under these options.
	Expect bool
	// Interrupted: a signal (Ctrl-C, SIGTERM) stopped the search (with Cut).
	Interrupted bool
}

// code is the exit status of a judgement.
func (j judgement) code() int {
	switch {
	case j.Violation != "" && j.Expect:
		return exitOK
	case j.Violation != "":
		return exitViolation
	case j.Cut:
		return exitCutShort
	case j.Search && j.Expect:
		return exitNotFound
	}
	return exitOK
}

// text is the verdict line for people, ending with the exit status.
func (j judgement) text() string { return "verdict: " + j.sentence() }

// sentence is the verdict without the "verdict: " of the line.
func (j judgement) sentence() string {
	code := j.code()
	var s string
	switch code {
	case exitOK:
		switch {
		case j.Violation != "":
			s = "as expected: this is the race the scenario teaches under these options"
		case j.Search && j.Random:
			s = "as expected: no violation on any seed tried (a random search samples the interleavings; it does not cover them)"
		case j.Search:
			s = "as expected: no violation found, and the search covered every interleaving within its bounds"
		case j.Expect:
			s = "every property held on this run (the scenario's race under these options needs another schedule: explore finds it)"
		default:
			s = "every property held"
		}
	case exitViolation:
		s = "unexpected violation: the scenario expects every property to hold under these options"
	case exitCutShort:
		if j.Interrupted {
			s = "cut short: no violation found before the search was interrupted: what it had not reached was not explored"
		} else if j.Search && j.Random {
			s = "cut short: no violation found, but runs stopped at -max-steps before their end: their final checks did not run"
		} else if j.Search {
			s = "cut short: no violation found, but the bounds cut the search: what lies beyond them was not explored"
		} else {
			s = "cut short: no violation in the steps run, but the run stopped at -max-steps before its end: the final checks did not run"
		}
	case exitNotFound:
		if j.Random {
			s = "expected race not found: no seed tried shows a violation, and the scenario expects one under these options"
		} else {
			s = "expected race not found: the search was complete within its bounds, found no violation, and the scenario expects one under these options"
		}
	}
	return fmt.Sprintf("%s (exit %d)", s, code)
}

// verdictRecord is the last record of every -json output: the exit status
// and what decided it, with the command's own details.
type verdictRecord struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Exit   int    `json:"exit"`
	// Verdict is the verdict line the text output ends with.
	Verdict string `json:"verdict,omitempty"`
	// Error is the message of a bad input (status "bad-input").
	Error     string `json:"error,omitempty"`
	Violation string `json:"violation,omitempty"`
	// ExpectViolation: the scenario expects a violation under the options.
	ExpectViolation bool `json:"expect_violation,omitempty"`
	// Steps is the length of a run; Reached the coverage points it reached.
	Steps   int      `json:"steps,omitempty"`
	Reached []string `json:"reached,omitempty"`
	// Truncated: the run or the search stopped at a bound.
	Truncated bool `json:"truncated,omitempty"`
	*exploreDetail
	*raceDetail
	*diffDetail
}

// newVerdict makes the verdict record of a judgement.
func newVerdict(j judgement) verdictRecord {
	code := j.code()
	return verdictRecord{Type: "verdict", Status: statusNames[code], Exit: code, Verdict: j.sentence(),
		Violation: j.Violation, ExpectViolation: j.Expect, Truncated: j.Cut}
}

// plainVerdict is the verdict record of a command that judges nothing
// against a scenario (matrix, conform, hunt): its exit status.
func plainVerdict(code int, text string) verdictRecord {
	return verdictRecord{Type: "verdict", Status: statusNames[code], Exit: code, Verdict: text}
}

// writeBadInput writes the verdict record of a bad input, for -json.
func writeBadInput(out io.Writer, err error) {
	_ = sim.WriteRecord(out, verdictRecord{Type: "verdict", Status: statusNames[exitBadInput], Exit: exitBadInput, Error: err.Error()})
}
