//go:build linux

package hostlinux

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cgsim/model"
)

// Detected is what probing the running kernel found: the model options
// that match it, and the observations behind them.
type Detected struct {
	Release  string
	Options  model.Options
	Evidence []string
}

// Detect probes the running kernel for the kill mechanism and the
// populated timing:
//
//   - kill: a helper in cgroup B (never killed) clones a child that exits
//     at once into cgroup A, killed once while empty. A SIGKILLed child is
//     the CLONE_INTO_CGROUP snapshot bug (kill=seq-into-cgroup-bug, 6.14
//     to the 2026 fix); otherwise kill_seq (6.14+) or the CGRP_KILL flag
//     (5.14-6.13), told apart by the release.
//   - populated: a helper exits and is reaped, and cgroup.events is read
//     right after wait4 returns, 20 times. "populated 1" ever seen means
//     the count drops after the final context switch (6.19+,
//     populated=at-final-switch); else at cgroup_exit (at-exit).
func Detect() (Detected, error) {
	d := Detected{Options: model.DefaultOptions()}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err == nil {
		d.Release = cstr(u.Release[:])
	}
	r, err := NewRun("detect")
	if err != nil {
		return d, err
	}
	defer r.Close()
	for _, cg := range []string{"/a", "/b", "/p"} {
		if err := os.Mkdir(r.Path(cg), 0o755); err != nil {
			return d, err
		}
	}
	if err := os.WriteFile(r.Path("/a/cgroup.kill"), []byte("1"), 0); err != nil {
		return d, fmt.Errorf("cgroup.kill: %w", err)
	}
	out, err := cloneStatus(r, "/b", "/a")
	if err != nil {
		return d, err
	}
	d.Evidence = append(d.Evidence, "clone3(CLONE_INTO_CGROUP) into a cgroup killed once while empty, from a never-killed cgroup: child "+out)
	switch {
	case out == "signal 9":
		d.Options.Kill = model.KillSeqIntoCgroupBug
	case versionAtLeast(d.Release, 6, 14):
		d.Options.Kill = model.KillSeq
	default:
		d.Options.Kill = model.KillFlag
	}
	late := 0
	for i := 0; i < 20; i++ {
		p, err := r.Start("/p", "exit:0")
		if err != nil {
			return d, err
		}
		_, _ = p.Wait()
		ev, err := os.ReadFile(r.Path("/p/cgroup.events"))
		if err != nil {
			return d, err
		}
		if strings.HasPrefix(string(ev), "populated 1") {
			late++
		}
	}
	d.Evidence = append(d.Evidence, fmt.Sprintf("cgroup.events read right after wait4 reaped the cgroup's only task: populated 1 in %d of 20", late))
	if late > 0 {
		d.Options.Populated = model.PopulatedAtFinalSwitch
	}
	return d, nil
}

// cloneStatus runs the clone-into helper and returns the child's wait
// status ("exited N" or "signal N"); any other answer is the helper's
// failure, an error.
func cloneStatus(r *Run, from, into string) (string, error) {
	out, _, err := helperOutput(r, from, "clone-into:"+r.Path(into), true)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(out, "exited ") && !strings.HasPrefix(out, "signal ") {
		return "", fmt.Errorf("clone-into helper: %q", out)
	}
	return out, nil
}

// helperOutput runs helper prog in cgroup cg and returns what it first
// writes, and the process; with wait, it also waits for the helper to
// exit (else the helper runs on, tracked by the run).
func helperOutput(r *Run, cg, prog string, wait bool) (string, *os.Process, error) {
	rd, wr, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer rd.Close()
	fd, err := syscall.Open(r.Path(cg), oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		wr.Close()
		return "", nil, err
	}
	defer syscall.Close(fd)
	self, err := os.Executable()
	if err != nil {
		wr.Close()
		return "", nil, err
	}
	attr := &os.ProcAttr{
		Env:   append(os.Environ(), HelperEnv+"="+prog),
		Files: []*os.File{nil, wr, os.Stderr},
		Sys:   &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd},
	}
	p, err := os.StartProcess(self, []string{self}, attr)
	wr.Close()
	if err != nil {
		return "", nil, err
	}
	r.Track(p)
	done := make(chan struct{})
	var b []byte
	go func() {
		buf := make([]byte, 256)
		n, _ := rd.Read(buf)
		b = buf[:n]
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return "", p, fmt.Errorf("helper %q: no answer in 5 s", prog)
	}
	if wait {
		_, _ = p.Wait()
	}
	return strings.TrimSpace(string(b)), p, nil
}

func cstr(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

// versionAtLeast compares a release such as "6.18.44-foo" with maj.min.
func versionAtLeast(release string, maj, min int) bool {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return false
	}
	a, _ := strconv.Atoi(parts[0])
	b, _ := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return a > maj || (a == maj && b >= min)
}
