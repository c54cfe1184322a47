package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzScheduleFile: no schedule file, however broken, makes simrun panic;
// every command that reads one exits with a status of the table.
// `go test ./cmd/simrun -run '^$' -fuzz FuzzScheduleFile` searches; plain
// go test runs the seeds.
func FuzzScheduleFile(f *testing.F) {
	good := "# cgsim schedule\ncgsim 0.14.0\nscenario fork-vs-kill\noptions kill=flag zap=current populated=at-exit pid_max=32768\nsteps 8\nviolation empty-after-kill: T3[pid 4] alive in /test after cgroup.kill returned\nschedule 1 1 2 2 2 2 2 1\n"
	for _, s := range []string{
		good,
		"# cgsim schedule\ncgsim 0.14.0\nscenario fork-vs-kill\noptions kill=flag zap=current populated=at-exit pid_max=32768\nsteps 3\nviolation\nschedule 99999999 1 -1\n",
		"# cgsim schedule\nscenario zap\nfile /dev/null\nsha256 00\noptions kill=seq zap=current populated=at-exit pid_max=2\nsteps 0\nviolation\nschedule\n",
		"# cgsim schedule\ncgsim x\nscenario fork-vs-kill\noptions kill=flag zap=current populated=at-exit pid_max=32768 post_fork_kill_if_parent_killed=7\nsteps 1\nviolation\nschedule 0\n",
		"",
		"# cgsim schedule\n\x00\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		file := filepath.Join(t.TempDir(), "x.schedule")
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"replay", file},
			{"replay", file, "-json"},
			{"explain", file},
			{"explain", file, "-step", "3"},
			{"diff", file, "-kill=atomic"},
			{"html", file, "-o", filepath.Join(t.TempDir(), "x.html")},
		} {
			if code, _, _ := run(args...); code < 0 || code > 4 {
				t.Fatalf("%v: exit status %d", args, code)
			}
		}
	})
}

// FuzzRunSchedule: no -schedule makes simrun panic.
func FuzzRunSchedule(f *testing.F) {
	for _, s := range []string{"1 1 2 2 2 2 2 1", "0", "7", "1,1,,2", "-1", "18446744073709551615", "1 1 1 1 1 1 1 1 1 1 1 1 1 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sched string) {
		for _, name := range []string{"fork-vs-kill", "zap"} {
			if code, _, _ := run("run", name, "-schedule", sched, "-max-steps", "200"); code < 0 || code > 4 {
				t.Fatalf("run %s -schedule %q: exit status %d", name, sched, code)
			}
		}
	})
}
