package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"cgsim/model"
	"cgsim/sim"
	"cgsim/sim/explore"
)

func cmdReplay(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = commandUsage(fs, `usage: simrun replay FILE [flags]

Replay a schedule file written by explore: the same trace and verdict,
byte for byte. A schedule of a scenario file is refused if the file has
changed since (its sha256 is recorded).
`)
	asJSON := fs.Bool("json", false, "write the trace as JSON Lines")
	file, err := parse(fs, args)
	if err != nil {
		return 2, err
	}
	f, err := os.Open(file)
	if err != nil {
		return 2, err
	}
	defer f.Close()
	var name, optText, schedText, sum string
	haveSched := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, _ := strings.Cut(text, " ")
		switch key {
		case "scenario":
			name = val
		case "options":
			optText = val
		case "sha256":
			sum = val
		case "schedule":
			schedText, haveSched = val, true
		default:
			return 2, fmt.Errorf("%s:%d: unknown key %q (want scenario, sha256, options or schedule)", file, line, key)
		}
	}
	if err := sc.Err(); err != nil {
		return 2, err
	}
	if name == "" || !haveSched {
		return 2, fmt.Errorf("%s: want 'scenario' and 'schedule' lines", file)
	}
	s, err := scenario(name)
	if err != nil {
		return 2, fmt.Errorf("%s: %w", file, err)
	}
	if sum != "" {
		if got, err := fileSum(s.File); err != nil || got != sum {
			return 2, fmt.Errorf("%s: scenario file %s has changed since the schedule was written (sha256 %s, now %s)", file, name, sum, got)
		}
	}
	opts, err := model.ParseOptions(optText)
	if err != nil {
		return 2, fmt.Errorf("%s: options: %w", file, err)
	}
	sched, err := explore.ParseSchedule(schedText)
	if err != nil {
		return 2, fmt.Errorf("%s: schedule: %w", file, err)
	}
	w, err := s.Build(opts)
	if err != nil {
		return 2, err
	}
	return report(w, sim.TraceHeader{Scenario: name, Options: opts.String()}, sched, 100000, *asJSON, "", stdout)
}
