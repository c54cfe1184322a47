//go:build linux

package hostlinux

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// csrc/hunt.c is the hunter: the C program that runs the tries of every race
// but clone-into-killed-cgroup on the real kernel (a Go process is always
// multi-threaded, forks slowly, and its scheduling jitter is tens of
// microseconds; the windows hunted are a microsecond or two wide).
//
//go:embed csrc/hunt.c
var huntSource []byte

// HuntOptions say how to hunt a race. The zero value is not useful:
// start from DefaultHuntOptions. Options a race does not use are ignored.
type HuntOptions struct {
	// N is the most tries; Time, if not zero, bounds the hunt's duration
	// as well (the tries done by then are reported).
	N    int
	Time time.Duration

	// Csets (fork-vs-kill): "on" gives the forker a css_set of its own
	// (and the crowd after it another), by cloning it from a process in a
	// throw-away cgroup of the v1 hierarchy V1; "off" puts the forker on
	// the crowd's css_set; "alternate" does one try of each in every pair
	// of tries (in a drawn order), so that the two are measured side by
	// side under the same load.
	Csets string
	// Order (fork-vs-kill): where the forker is in the walk of
	// __cgroup_kill: "first", "middle" (half the crowd before it, half
	// after) or "last".
	Order string
	// Crowd (fork-vs-kill, kill-skips-dying): how many sleeping
	// processes the walk must signal one by one besides the forker.
	Crowd int
	// CrowdCPU (fork-vs-kill): the crowd sleeps on the "killer"'s CPU
	// or on the "forker"'s.
	CrowdCPU string
	// Clone (fork-vs-kill): "vfork" (clone with CLONE_VM|CLONE_VFORK,
	// no page table copy) or "fork" (a plain fork).
	Clone string
	// Child (fork-vs-kill): "exit" (a child leaves at once unless the
	// kill has begun) or "pause" (every child stays; needs Clone "fork").
	Child string
	// RT: the forkers and the killer run SCHED_FIFO, so that the other
	// processes of a shared machine do not get between the steps.
	RT bool
	// Jitter is the range in microseconds of the random delays that
	// place the kill at different points of the forks; 0 picks the
	// race's default.
	Jitter int
	// Bound (fork-bomb): pids.max of the bomb's v1 pids cgroup.
	Bound int
	// Injector (zap): a process outside the namespace forks into it
	// after setns, besides the forker inside.
	Injector bool
	// Mode (zombie-leader): "wait" writes cgroup.kill once the leader is
	// a zombie; "race" writes it around the leader's exit.
	Mode string
	// V1 names the v1 hierarchy (by controller, or "name=..." for a
	// named one) that holds fork-vs-kill's throw-away cgroups.
	V1 string

	// Progress, if not nil, is called after each try with the number
	// of tries done.
	Progress func(done int)
}

// DefaultHuntOptions are the options `simrun hunt` starts from: the
// arrangement that reproduces fork-vs-kill most often on this machine
// (docs/conformance.md has the measurements).
func DefaultHuntOptions() HuntOptions {
	return HuntOptions{
		N: 1000, Csets: "on", Order: "last", Crowd: 64, CrowdCPU: "killer", Clone: "vfork", Child: "exit",
		RT: true, Bound: 16, Injector: true, Mode: "wait", V1: "freezer",
	}
}

// HuntReport is what hunting a race on the real kernel found: every try
// classified. It never says "passed": a race not reproduced in N tries
// may still be there.
type HuntReport struct {
	Race string
	// Config is the arrangement, as the hunter was told it.
	Config string
	// Tries and Reproduced count the tries, and those that showed the
	// race (a child alive after cgroup.kill returned, a task alive after
	// its namespace's init was reaped, a process that survived
	// cgroup.kill, a child SIGKILLed at birth).
	Tries      int
	Reproduced int
	// Seen counts the tries by class, for the report.
	Seen map[string]int
	// Details sums what the tries counted besides their class (forks
	// refused with ENOMEM, ...).
	Details map[string]int
	// Hits describe the tries that reproduced the race (for
	// fork-vs-kill: when the escaping fork began, from the return of the
	// write, and how long the walk took).
	Hits []string
	// Duration is how long the hunt took; Load the one-minute load
	// average of the machine when it began and when it ended.
	Duration time.Duration
	Load     [2]float64
}

// String is "fork-vs-kill: reproduced k of N tries (…)" or "… not
// reproduced in N tries (…)", with the classes, the duration, the load
// and the arrangement.
func (h HuntReport) String() string {
	var kinds []string
	for k := range h.Seen {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var seen []string
	for _, k := range kinds {
		seen = append(seen, fmt.Sprintf("%s %d", k, h.Seen[k]))
	}
	var b strings.Builder
	if h.Reproduced == 0 {
		fmt.Fprintf(&b, "%s: not reproduced in %d tries (%s)", h.Race, h.Tries, strings.Join(seen, ", "))
	} else {
		fmt.Fprintf(&b, "%s: reproduced %d of %d tries (%s)", h.Race, h.Reproduced, h.Tries, strings.Join(seen, ", "))
	}
	if h.Duration > 0 {
		fmt.Fprintf(&b, " in %.1fs, load %.2f→%.2f", h.Duration.Seconds(), h.Load[0], h.Load[1])
	}
	if h.Config != "" {
		fmt.Fprintf(&b, " [%s]", h.Config)
	}
	return b.String()
}

// Hunt is one race's hunt on the real kernel.
type Hunt struct {
	// About says in a line what the hunt does.
	About string
	// Run hunts; the reports are one per arrangement (two for
	// fork-vs-kill with Csets "alternate", else one).
	Run func(HuntOptions) ([]HuntReport, error)
	// EscapeIsDisagreement is set for races the model says cannot happen
	// on this kernel (zap=current, kill-skips-dying): a reproduction is
	// a disagreement with the model, not a confirmation.
	EscapeIsDisagreement bool
}

// Hunters are the races `simrun hunt` can try on the real kernel. The
// CGRP_KILL-flag window of 5.14–6.13 (fork-vs-kill under kill=flag) has
// no hunt: kill_seq replaced the flag in 6.14, so that interleaving is
// caught by cgroup_post_fork here and a hunt would only show the fix.
var Hunters = map[string]Hunt{
	"fork-vs-kill": {
		About: "a child forked while cgroup.kill walks the cgroup escapes it (the kill_seq residual window, 6.14+)",
		Run:   HuntForkVsKill,
	},
	"fork-bomb": {
		About: "a fork bomb held at pids.max (a v1 pids cgroup) is killed through cgroup.kill; a child escapes by the same window",
		Run:   func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("fork-bomb", o)) },
	},
	"zap": {
		About:                "forks from inside and from outside (setns) a pid namespace race the death of its init; a task outlives the namespace",
		Run:                  func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("zap", o)) },
		EscapeIsDisagreement: true,
	},
	"zombie-leader": {
		About: "a process whose leader thread exited survives cgroup.kill (deterministic; Mode race writes it around the exit)",
		Run:   func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("zombie-leader", o)) },
	},
	"exec-vs-kill": {
		About: "a thread execs while cgroup.kill walks its cgroup: de_thread has zapped the leader, the exec'ing thread is no leader yet, and the process survives in its new program",
		Run:   func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("exec-vs-kill", o)) },
	},
	"kill-skips-dying": {
		About:                "kill(2) of a member races cgroup.kill, which skips tasks with SIGKILL pending; a task survives",
		Run:                  func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("kill-skips-dying", o)) },
		EscapeIsDisagreement: true,
	},
	"pgrp-kill": {
		About:                "a shell's kill(-pgid, SIGKILL) of a job whose leader forks in a loop: a child forked during the kill is left alive (the model says never: the multiprocess-signal restart of copy_process)",
		Run:                  func(o HuntOptions) ([]HuntReport, error) { return one(huntC2("pgrp-kill", o)) },
		EscapeIsDisagreement: true,
	},
	"clone-into-killed-cgroup": {
		About: "clone3(CLONE_INTO_CGROUP) into a cgroup killed once while empty: the child is SIGKILLed at birth (6.14–6.18 bug)",
		Run:   func(o HuntOptions) ([]HuntReport, error) { return one(HuntCloneIntoKilled(o)) },
	},
}

// HuntNames lists the races of Hunters, sorted.
func HuntNames() []string {
	var names []string
	for name := range Hunters {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func one(rep HuntReport, err error) ([]HuntReport, error) { return []HuntReport{rep}, err }

// HuntForkVsKill hunts the residual kill_seq window of 6.14+ (docs/model.md
// §3.2, kernel-semantics.md 1.7): a child forked while __cgroup_kill walks
// the cgroup, linked by cgroup_post_fork after the walk has left its
// parent's css_set, when the fork's kill_seq snapshot came after the
// increment and its fatal-signal check before the parent's SIGKILL. The
// hunter (hunt.c, try_forkkill) forks vfork-style in a tight loop on one
// CPU and writes cgroup.kill from another, with a crowd of processes on
// css_sets walked before the forker's. With Csets "alternate" the two
// reports are csets=on and csets=off, interleaved pair by pair.
func HuntForkVsKill(o HuntOptions) ([]HuntReport, error) {
	if o.Csets != "alternate" {
		return one(huntC2("fork-vs-kill", o))
	}
	rep, err := huntC("fork-vs-kill", o)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// huntC2 is huntC for a race with a single report.
func huntC2(race string, o HuntOptions) (HuntReport, error) {
	reps, err := huntC(race, o)
	if err != nil {
		return HuntReport{Race: race}, err
	}
	return reps[0], nil
}

// huntClass is how a hunter's class of try reads in a report, and whether
// it reproduced the race.
type huntClass struct {
	label      string
	reproduced bool
}

var huntClasses = map[string]map[string]huntClass{
	"fork-vs-kill": {
		"escaped":               {"escaped", true},
		"raced":                 {"raced, contained", false},
		"between-forks":         {"contained, no fork in flight", false},
		"killed-before-forking": {"killed before forking", false},
		"forker-survived":       {"the forker survived the kill", false},
	},
	"fork-bomb": {
		"escaped":       {"escaped", true},
		"raced":         {"a fork completed during the kill, contained", false},
		"growing":       {"killed while growing, contained", false},
		"held-at-bound": {"killed held at pids.max, contained", false},
	},
	"zap": {
		"escaped":               {"a task outlived its namespace", true},
		"raced":                 {"zapped while forking", false},
		"between-forks":         {"zapped between forks", false},
		"killed-before-forking": {"zapped before forking", false},
	},
	"zombie-leader": {
		"survived": {"survived", true},
		"killed":   {"killed", false},
	},
	"exec-vs-kill": {
		"escaped":    {"the exec'd process survived", true},
		"exec-first": {"the exec was done before the write, killed", false},
		"contained":  {"killed", false},
	},
	"pgrp-kill": {
		"escaped":               {"a member of the job survived", true},
		"raced":                 {"a fork in flight at the kill, all died", false},
		"between-forks":         {"killed between forks", false},
		"killed-before-forking": {"killed before forking", false},
	},
	"clone-into-killed-cgroup": {
		"signalled": {"child killed at birth", true},
		"exited":    {"child exited 0", false},
	},
	"kill-skips-dying": {
		"escaped":           {"a task survived", true},
		"kill2-first":       {"kill(2) first, all died", false},
		"cgroup-kill-first": {"cgroup.kill first, all died", false},
		"overlapped":        {"kill(2) during the walk, all died", false},
	},
}

// huntDefaultJitter is each race's delay range (µs) when Jitter is 0.
var huntDefaultJitter = map[string]int{
	"fork-vs-kill": 100, "fork-bomb": 200, "zap": 100, "zombie-leader": 200, "kill-skips-dying": 60, "exec-vs-kill": 400, "pgrp-kill": 400,
	"clone-into-killed-cgroup": 0,
}

// huntArgs turns the options a race uses into the hunter's key=value
// arguments (and the report's Config, without the paths).
func huntArgs(race string, o HuntOptions) ([]string, error) {
	onoff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	jitter := o.Jitter
	if jitter == 0 {
		jitter = huntDefaultJitter[race]
	}
	secs := 86400
	if o.Time > 0 {
		secs = int((o.Time + time.Second - 1) / time.Second)
	}
	if o.N <= 0 {
		return nil, fmt.Errorf("hunt %s: want at least one try", race)
	}
	args := []string{"n=" + strconv.Itoa(o.N), "secs=" + strconv.Itoa(secs)}
	if race != "clone-into-killed-cgroup" {
		args = append(args, "jitter="+strconv.Itoa(jitter), "rt="+onoff(o.RT))
	}
	switch race {
	case "fork-vs-kill":
		args = append(args, "csets="+o.Csets, "order="+o.Order, "crowd="+strconv.Itoa(o.Crowd), "crowdcpu="+o.CrowdCPU,
			"clone="+o.Clone, "child="+o.Child)
	case "fork-bomb":
		args = append(args, "bound="+strconv.Itoa(o.Bound))
	case "zap":
		args = append(args, "injector="+onoff(o.Injector))
	case "zombie-leader":
		args = append(args, "mode="+o.Mode)
	case "kill-skips-dying":
		args = append(args, "crowd="+strconv.Itoa(o.Crowd))
	}
	return args, nil
}

// huntV1Controller is the v1 hierarchy a race needs a throw-away cgroup
// in ("" for none).
func huntV1Controller(race string, o HuntOptions, csets string) string {
	switch race {
	case "fork-vs-kill":
		if csets != "off" {
			return o.V1
		}
	case "fork-bomb":
		return "pids"
	}
	return ""
}

// huntC runs the hunter for race in a new run (its cgroup holds the
// hunter in /h and each try's cgroups), with a throw-away v1 cgroup of
// the same unique name where the race needs one, and collects its lines.
// Everything is removed at the end, also when the hunter fails.
func huntC(race string, o HuntOptions) (reps []HuntReport, err error) {
	args, err := huntArgs(race, o)
	if err != nil {
		return nil, err
	}
	bin, err := BuildC("cgsim-hunt", huntSource)
	if err != nil {
		return nil, err
	}
	r, err := NewRun("hunt")
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := r.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	run := []string{race, "base=" + r.Base}
	if ctl := huntV1Controller(race, o, o.Csets); ctl != "" {
		dir, err := r.V1(ctl)
		if err != nil {
			return nil, err
		}
		run = append(run, "v1="+dir)
	}
	if err := os.Mkdir(r.Path("/h"), 0o755); err != nil {
		return nil, err
	}
	fd, err := syscall.Open(r.Path("/h"), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	cmd := exec.Command(bin, append(run, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	begin, load0 := time.Now(), loadAvg()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.Track(cmd.Process)
	// A hunter that hangs is killed: the time bound plus a minute.
	limit := 24 * time.Hour
	if o.Time > 0 {
		limit = o.Time + time.Minute
	}
	timer := time.AfterFunc(limit, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	byArrangement := map[string]*HuntReport{}
	var order []string
	config := strings.Join(args[2:], " ") // without n= and secs=
	done, perr := parseHunt(race, out, func(arr string) *HuntReport {
		if rep, ok := byArrangement[arr]; ok {
			return rep
		}
		c := config
		if arr != "" {
			c = strings.Replace(c, "csets=alternate", "csets="+arr, 1)
		}
		rep := &HuntReport{Race: race, Config: c, Seen: map[string]int{}, Details: map[string]int{}}
		byArrangement[arr] = rep
		order = append(order, arr)
		return rep
	}, o.Progress)
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	if perr != nil {
		return nil, perr
	}
	if werr != nil || done < 0 {
		return nil, fmt.Errorf("hunt %s: the hunter failed: %v %s", race, werr, strings.TrimSpace(stderr.String()))
	}
	dur, load1 := time.Since(begin), loadAvg()
	sort.Strings(order) // "", or "off" before "on": on first below
	for i := len(order) - 1; i >= 0; i-- {
		rep := byArrangement[order[i]]
		rep.Duration, rep.Load = dur, [2]float64{load0, load1}
		reps = append(reps, *rep)
	}
	if len(reps) == 0 {
		reps = append(reps, HuntReport{Race: race, Config: config, Seen: map[string]int{}, Duration: dur, Load: [2]float64{load0, load1}})
	}
	return reps, nil
}

// parseHunt reads the hunter's lines: "try I CLASS key=value...", then
// "done N"; "error ..." is the hunter's failure. It returns N (-1 when
// the hunter never said done).
func parseHunt(race string, out io.Reader, report func(arrangement string) *HuntReport, progress func(int)) (int, error) {
	classes := huntClasses[race]
	sc := bufio.NewScanner(out)
	tries := 0
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "error":
			return -1, fmt.Errorf("hunt %s: %s", race, strings.Join(f[1:], " "))
		case "done":
			n, _ := strconv.Atoi(f[1])
			return n, nil
		case "try":
		default:
			continue
		}
		if len(f) < 3 {
			return -1, fmt.Errorf("hunt %s: bad line %q", race, sc.Text())
		}
		kv := map[string]string{}
		for _, w := range f[3:] {
			if k, v, ok := strings.Cut(w, "="); ok {
				kv[k] = v
			}
		}
		c, ok := classes[f[2]]
		if !ok {
			return -1, fmt.Errorf("hunt %s: unknown class %q", race, f[2])
		}
		rep := report(kv["csets"])
		rep.Tries++
		rep.Seen[c.label]++
		if c.reproduced {
			rep.Reproduced++
			rep.Hits = append(rep.Hits, huntHit(race, kv))
		}
		if n, err := strconv.Atoi(kv["enomem"]); err == nil && n > 0 {
			rep.Details["forks into the dying namespace refused with ENOMEM"] += n
		}
		tries++
		if progress != nil {
			progress(tries)
		}
	}
	if err := sc.Err(); err != nil {
		return -1, err
	}
	return -1, nil
}

// huntHit describes a try that reproduced the race.
func huntHit(race string, kv map[string]string) string {
	switch race {
	case "fork-vs-kill":
		return fmt.Sprintf("fork began %sµs before the write returned; walk %sµs", strings.TrimPrefix(kv["last_us"], "-"), kv["walk_us"])
	case "zombie-leader":
		return "delay " + kv["delay_us"] + "µs"
	case "exec-vs-kill":
		return "cgroup.kill written " + kv["delay_us"] + "µs after the thread was told to exec"
	case "clone-into-killed-cgroup":
		return "the child died of signal " + kv["sig"] + " at birth"
	}
	var parts []string
	for _, k := range []string{"left", "injected_left", "survivors", "reaped"} {
		if v, ok := kv[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// loadAvg is the machine's one-minute load average (0 if unreadable).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// HuntCloneIntoKilled tries the spurious SIGKILL of a child cloned with
// CLONE_INTO_CGROUP into a cgroup killed once while empty
// (kill=seq-into-cgroup-bug): cgroup_css_set_fork takes the kill_seq
// snapshot from the parent's cgroup before it resolves the target, and
// cgroup_post_fork compares it with the target's (hunt.c, try_into). It
// is deterministic where the bug exists, so it needs no arrangement.
func HuntCloneIntoKilled(o HuntOptions) (HuntReport, error) {
	return huntC2("clone-into-killed-cgroup", o)
}
