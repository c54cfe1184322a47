package main

import (
	"fmt"
	"io"

	"cgsim/scenarios"
)

const replayHelp = `usage: simrun replay FILE [flags]

Replay a schedule file written by explore: the same trace and verdict,
byte for byte. The replay is exact: the file names its scenario (a
bundled one, or a scenario file by absolute path with its sha256, so it
replays from any directory), the options, the length and the violation
the run ends with, and every step must be taken by the task the schedule
names. A schedule that does not match (an edited scenario file, a task
that cannot step, a run that ends earlier or later or with another
verdict, a missing line) is refused with what differs (status 2).

Exit status: 0 as expected, 1 unexpected violation, 2 bad input or a
schedule that does not match (see 'simrun -h').
`

func cmdReplay(args []string, stdout, stderr io.Writer) (int, error) {
	c := newCommand("replay", replayHelp, stdout)
	asJSON := c.fs.Bool("json", false, "write JSON Lines: a header, one record per step, the verdict (docs/trace-format.md)")
	file, err := c.parseOne(args, "schedule file")
	if err != nil {
		return exitBadInput, err
	}
	sf, s, warn, err := readSchedule(file)
	if err != nil {
		return exitBadInput, err
	}
	if warn != "" {
		fmt.Fprintln(stderr, "simrun: warning:", warn)
	}
	w, err := s.Build(sf.Options)
	if err != nil {
		return exitBadInput, err
	}
	fw, res, err := sf.follow(w)
	if err != nil {
		return exitBadInput, err
	}
	return report(fw, header("replay", s, sf.Options), res, s.Expectation(sf.Options) == scenarios.ExpectViolation, *asJSON, "", stdout)
}
