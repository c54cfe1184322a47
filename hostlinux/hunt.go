package hostlinux

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"
)

// HuntReport is what hunting a race of the catalogue on the real kernel
// found. It never says "passed": a race not reproduced in N tries may
// still be there.
type HuntReport struct {
	Race       string
	Tries      int
	Reproduced int
	// Hits are the delays in microseconds (between releasing the forker
	// and writing cgroup.kill) of the tries that reproduced it.
	Hits []int
	// What the tries saw, by kind, for the report.
	Seen map[string]int
}

// String is "fork-vs-kill: reproduced k of N (…)" or "not reproduced in N".
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
	if h.Reproduced == 0 {
		return fmt.Sprintf("%s: not reproduced in %d tries (%s)", h.Race, h.Tries, strings.Join(seen, ", "))
	}
	return fmt.Sprintf("%s: reproduced %d of %d tries (%s)", h.Race, h.Reproduced, h.Tries, strings.Join(seen, ", "))
}

// Hunters are the races `simrun hunt` can try on the real kernel.
var Hunters = map[string]func(n int, progress func(done int)) (HuntReport, error){
	"fork-vs-kill":             HuntForkVsKill,
	"clone-into-killed-cgroup": HuntCloneIntoKilled,
	"zap":                      HuntZapFork,
}

// HuntZapFork tries n times to make a task outlive its pid namespace: the
// namespace's init starts a task that forks 40 sleeping children one after
// another, and this process SIGKILLs the init after a delay swept over
// 3-43 ms, while the forks are going on (a helper takes milliseconds to
// start). zap_pid_ns_processes clears
// PIDNS_ADDING, kills the namespace and waits for it to empty; a fork
// racing it must either be killed or fail with ENOMEM. A try reproduces
// an escape when the namespace's cgroup is still populated 300 ms after
// the init has been reaped.
func HuntZapFork(n int, progress func(done int)) (HuntReport, error) {
	rep := HuntReport{Race: "zap", Seen: map[string]int{}}
	r, err := NewRun("hunt")
	if err != nil {
		return rep, err
	}
	defer r.Close()
	for i := 0; i < n; i++ {
		cg := fmt.Sprintf("/z%d", i)
		if err := os.Mkdir(r.Path(cg), 0o755); err != nil {
			return rep, err
		}
		p, err := r.StartFlags(cg, "ns-init:40", syscall.CLONE_NEWPID)
		if err != nil {
			return rep, err
		}
		delay := 3*time.Millisecond + time.Duration((i*7919)%40000)*time.Microsecond
		time.Sleep(delay)
		procs, _ := os.ReadFile(r.Path(cg + "/cgroup.procs"))
		before := len(strings.Fields(string(procs)))
		_ = p.Kill()
		_, _ = p.Wait()
		empty := false
		for t := 0; t < 150 && !empty; t++ {
			ev, _ := os.ReadFile(r.Path(cg + "/cgroup.events"))
			empty = strings.HasPrefix(string(ev), "populated 0")
			if !empty {
				time.Sleep(2 * time.Millisecond)
			}
		}
		rep.Tries++
		switch {
		case !empty:
			rep.Reproduced++
			rep.Hits = append(rep.Hits, int(delay/time.Microsecond))
			rep.Seen["a task outlived its namespace"]++
		case before > 1:
			rep.Seen["zapped while forking"]++
		default:
			rep.Seen["zapped before the forker started"]++
		}
		_ = destroy(r.Path(cg))
		if progress != nil {
			progress(i + 1)
		}
	}
	return rep, nil
}

// HuntForkVsKill tries n times to make a child escape cgroup.kill. To
// slow the kill's walk down where the kernel holds no lock for the fork
// (the window of kernel-semantics.md 1.7 needs the walk to reach the
// forking parent late), /t first gets a crowd: a helper with 300 threads,
// which the walk passes one by one before it reaches the forker, started
// last. Then the forker, a helper in /t blocked on a pipe, is released to
// fork one child while
// this process busy-waits a varying delay (0 to 400 µs, stepping through
// the range so that the write lands at different points of the fork: the
// helper's clone comes some tens of microseconds after its release) and
// writes "1" to /t/cgroup.kill. A try reproduces the race when, 200 ms
// after the helper has died, /t is still populated: the child was never
// killed.
func HuntForkVsKill(n int, progress func(done int)) (HuntReport, error) {
	rep := HuntReport{Race: "fork-vs-kill", Seen: map[string]int{}}
	r, err := NewRun("hunt")
	if err != nil {
		return rep, err
	}
	defer r.Close()
	for i := 0; i < n; i++ {
		spin := (i * 7919) % 400
		kind, err := forkVsKillOnce(r, fmt.Sprintf("/t%d", i), time.Duration(spin)*time.Microsecond)
		if err != nil {
			return rep, err
		}
		rep.Tries++
		rep.Seen[kind]++
		if kind == "child escaped" {
			rep.Reproduced++
			rep.Hits = append(rep.Hits, spin)
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return rep, nil
}

func forkVsKillOnce(r *Run, cg string, delay time.Duration) (string, error) {
	if err := os.Mkdir(r.Path(cg), 0o755); err != nil {
		return "", err
	}
	defer destroy(r.Path(cg))
	rd, wr, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer wr.Close()
	out, crowd, err := helperOutput(r, cg, "threads:300", false)
	if crowd != nil {
		// Kill it with the cgroup, then reap it (deferred calls run last
		// first, so this one destroys the cgroup itself).
		defer func() { _ = destroy(r.Path(cg)); _, _ = crowd.Wait() }()
	}
	if err != nil || out != "ready" {
		rd.Close()
		return "", fmt.Errorf("crowd helper: %q %v", out, err)
	}
	p, err := r.Start(cg, "fork-wait:1", rd)
	rd.Close()
	if err != nil {
		return "", err
	}
	// Let the helper reach its read of the pipe.
	time.Sleep(2 * time.Millisecond)
	kill, err := os.OpenFile(r.Path(cg+"/cgroup.kill"), os.O_WRONLY, 0)
	if err != nil {
		return "", err
	}
	defer kill.Close()
	if _, err := wr.Write([]byte("g")); err != nil {
		return "", err
	}
	for start := time.Now(); time.Since(start) < delay; {
	}
	if _, err := kill.Write([]byte("1")); err != nil {
		return "", err
	}
	st, _ := p.Wait()
	empty := false
	for t := 0; t < 100 && !empty; t++ {
		ev, _ := os.ReadFile(r.Path(cg + "/cgroup.events"))
		empty = strings.HasPrefix(string(ev), "populated 0")
		if !empty {
			time.Sleep(2 * time.Millisecond)
		}
	}
	switch {
	case !empty:
		return "child escaped", nil
	case st != nil && st.ExitCode() == -1:
		return "killed with its child, or before it forked", nil
	}
	return "helper exited", nil
}

// HuntCloneIntoKilled tries n times the spurious SIGKILL of a child
// cloned with CLONE_INTO_CGROUP into a cgroup killed once while empty
// (kill=seq-into-cgroup-bug). It is deterministic where the bug exists.
func HuntCloneIntoKilled(n int, progress func(done int)) (HuntReport, error) {
	rep := HuntReport{Race: "clone-into-killed-cgroup", Seen: map[string]int{}}
	r, err := NewRun("hunt")
	if err != nil {
		return rep, err
	}
	defer r.Close()
	for i := 0; i < n; i++ {
		a, b := fmt.Sprintf("/a%d", i), fmt.Sprintf("/b%d", i)
		for _, cg := range []string{a, b} {
			if err := os.Mkdir(r.Path(cg), 0o755); err != nil {
				return rep, err
			}
		}
		if err := os.WriteFile(r.Path(a+"/cgroup.kill"), []byte("1"), 0); err != nil {
			return rep, err
		}
		out, err := cloneStatus(r, b, a)
		if err != nil {
			return rep, err
		}
		rep.Tries++
		rep.Seen["child "+out]++
		if out == "signal 9" {
			rep.Reproduced++
		}
		_ = destroy(r.Path(a))
		_ = destroy(r.Path(b))
		if progress != nil {
			progress(i + 1)
		}
	}
	return rep, nil
}
