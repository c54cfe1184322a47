package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"cgsim/model"
	"cgsim/scenarios"
	"cgsim/sim"
	"cgsim/sim/explore"
)

// scheduleMagic is the first line of a schedule file.
const scheduleMagic = "# cgsim schedule"

// A schedule file (docs/trace-format.md):
//
//	# cgsim schedule
//	cgsim 0.14.0
//	scenario fork-vs-kill
//	options kill=flag zap=current populated=at-exit pid_max=32768
//	steps 8
//	violation empty-after-kill: T3[pid 4] alive in /test after cgroup.kill returned
//	schedule 1 1 2 2 2 2 2 1
//
// For a scenario file, "file" is its absolute path and "sha256" its
// contents' digest, so that the schedule replays from any directory and a
// replay of an edited file is refused instead of silently diverging.
// Every line is required (file and sha256 only for a scenario file); the
// schedule line has no length limit.
type scheduleFile struct {
	Path     string // where it was read from
	Version  string
	Scenario string
	File     string
	Sum      string
	Options  model.Options
	Steps    int
	// Violation is the violation the run ends with.
	Violation string
	Schedule  explore.Schedule
}

// scheduleKeys are the keys of a schedule file, in the order written.
var scheduleKeys = []string{"cgsim", "scenario", "file", "sha256", "options", "steps", "violation", "schedule"}

// writeSchedule writes the schedule of a run of s under opts that ends
// with violation.
func writeSchedule(path string, s *scenarios.Scenario, opts model.Options, sched explore.Schedule, violation string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ncgsim %s\nscenario %s\n", scheduleMagic, sim.Version, s.Name)
	if !s.Bundled {
		abs, err := filepath.Abs(s.File)
		if err != nil {
			return err
		}
		sum, err := fileSum(s.File)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "file %s\nsha256 %s\n", abs, sum)
	}
	fmt.Fprintf(&b, "options %s\nsteps %d\nviolation %s\nschedule %s\n", opts, len(sched), oneLine(violation), sched)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// oneLine keeps a message on one line of a schedule file.
func oneLine(s string) string {
	return strings.ReplaceAll(s, "\n", `\n`)
}

func fileSum(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sha256.Sum256(data)), nil
}

// isScheduleFile reports whether arg names a schedule file: it ends in
// .schedule, or it is a file whose first line is the schedule magic.
func isScheduleFile(arg string) bool {
	if strings.HasSuffix(arg, ".schedule") {
		return true
	}
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") {
		return false
	}
	f, err := os.Open(arg)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, len(scheduleMagic))
	n, _ := f.Read(buf)
	return string(buf[:n]) == scheduleMagic
}

// readSchedule reads and checks a schedule file and loads its scenario.
// warn is a note for standard error (a schedule written by another cgsim
// version), "" if none.
func readSchedule(path string) (sf *scheduleFile, s *scenarios.Scenario, warn string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, "", err
	}
	sf = &scheduleFile{Path: path}
	vals := map[string]string{}
	lines := bytes.Split(data, []byte("\n"))
	if len(lines) == 0 || strings.TrimSpace(string(lines[0])) != scheduleMagic {
		return nil, nil, "", fmt.Errorf("%s:1: not a schedule file (want %q as the first line; 'simrun explore' writes them)", path, scheduleMagic)
	}
	where := map[string]int{}
	for i, raw := range lines {
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		if !contains(scheduleKeys, key) {
			return nil, nil, "", fmt.Errorf("%s:%d: unknown key %q (want %s)", path, i+1, key, strings.Join(scheduleKeys, ", "))
		}
		if first, dup := where[key]; dup {
			return nil, nil, "", fmt.Errorf("%s:%d: duplicate key %q (first at line %d)", path, i+1, key, first)
		}
		where[key] = i + 1
		vals[key] = strings.TrimSpace(val)
	}
	missing := func(key, why string) error {
		return fmt.Errorf("%s: no %q line (%s): the schedule is incomplete; 'simrun explore' writes it again", path, key, why)
	}
	for _, k := range []struct{ key, why string }{
		{"cgsim", "the cgsim version that wrote it"},
		{"scenario", "the scenario it is a run of"},
		{"options", "the kernel options it ran under"},
		{"steps", "its length"},
		{"violation", "what the run ends with"},
		{"schedule", "the task of every step"},
	} {
		if _, ok := vals[k.key]; !ok {
			return nil, nil, "", missing(k.key, k.why)
		}
	}
	line := func(key string) string { return fmt.Sprintf("%s:%d", path, where[key]) }
	sf.Version, sf.Scenario, sf.File, sf.Sum, sf.Violation = vals["cgsim"], vals["scenario"], vals["file"], vals["sha256"], vals["violation"]
	if sf.Version != sim.Version {
		warn = fmt.Sprintf("%s was written by cgsim %s; this is cgsim %s (the replay is checked step by step)", path, sf.Version, sim.Version)
	}
	if sf.Options, err = model.ParseOptions(vals["options"]); err != nil {
		return nil, nil, "", fmt.Errorf("%s: options: %v", line("options"), err)
	}
	if got := sf.Options.String(); got != vals["options"] {
		return nil, nil, "", fmt.Errorf("%s: options %q are not complete as written (want every option spelled out, as in %q)", line("options"), vals["options"], got)
	}
	if sf.Steps, err = strconv.Atoi(vals["steps"]); err != nil || sf.Steps < 0 {
		return nil, nil, "", fmt.Errorf("%s: steps %q: want the number of steps", line("steps"), vals["steps"])
	}
	if sf.Schedule, err = explore.ParseSchedule(vals["schedule"]); err != nil {
		return nil, nil, "", fmt.Errorf("%s: %v", line("schedule"), err)
	}
	if len(sf.Schedule) != sf.Steps {
		return nil, nil, "", fmt.Errorf("%s: the schedule has %d entries, the steps line says %d", line("schedule"), len(sf.Schedule), sf.Steps)
	}
	switch {
	case sf.File == "" && sf.Sum != "":
		return nil, nil, "", fmt.Errorf("%s: a sha256 line without a file line", line("sha256"))
	case sf.File != "" && sf.Sum == "":
		return nil, nil, "", missing("sha256", "the scenario file's digest, so that an edited file is refused")
	case sf.File == "":
		var ok bool
		if s, ok = scenarios.Lookup(sf.Scenario); !ok {
			return nil, nil, "", fmt.Errorf("%s: no bundled scenario %q in this cgsim (and no file line naming a scenario file)", line("scenario"), sf.Scenario)
		}
	default:
		file := sf.File
		if _, err := os.Stat(file); err != nil {
			// Moved with the schedule: look next to it.
			near := filepath.Join(filepath.Dir(path), filepath.Base(file))
			if _, err2 := os.Stat(near); err2 != nil {
				return nil, nil, "", fmt.Errorf("%s: scenario file %s: %v (nor is it next to the schedule, as %s)", line("file"), file, err, near)
			}
			file = near
		}
		sum, err := fileSum(file)
		if err != nil {
			return nil, nil, "", err
		}
		if sum != sf.Sum {
			return nil, nil, "", fmt.Errorf("%s: scenario file %s has changed since the schedule was written (sha256 %s, now %s)", path, file, sf.Sum, sum)
		}
		if s, err = scenarios.LoadFile(file); err != nil {
			return nil, nil, "", err
		}
		if s.Name != sf.Scenario {
			return nil, nil, "", fmt.Errorf("%s: scenario file %s is scenario %q, the schedule is of %q", line("scenario"), file, s.Name, sf.Scenario)
		}
	}
	return sf, s, warn, nil
}

// follow replays a schedule file exactly: every step as recorded, ending
// where it ends, with the violation it records. The error says what does
// not match.
func (sf *scheduleFile) follow(w *sim.World) (*sim.World, explore.Result, error) {
	fw, res, err := sim.Follow(w, sf.Schedule, sf.Steps+1, sim.Exact, nil)
	if err != nil {
		return nil, res, fmt.Errorf("%s does not match scenario %s under %s: %v", sf.Path, sf.Scenario, sf.Options, err)
	}
	if err := sf.check(res); err != nil {
		return nil, res, err
	}
	return fw, res, nil
}

// check compares a run's end with the one the file records.
func (sf *scheduleFile) check(res explore.Result) error {
	if oneLine(res.Violation) != sf.Violation {
		got := res.Violation
		if got == "" {
			got = "no violation"
		}
		return fmt.Errorf("%s: the run ends with %q, the schedule file records %q (written by cgsim %s; this is cgsim %s)", sf.Path, got, sf.Violation, sf.Version, sim.Version)
	}
	return nil
}
