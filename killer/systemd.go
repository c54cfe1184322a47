package killer

import (
	"strings"

	"cgsim/model"
)

// systemd's killers, after src/basic/cgroup-util.c and src/core/unit.c
// (upstream main c00fea9db1, 262~devel; userspace-killers.md §2).

// cgroupFlags are systemd's CGroupFlags.
type cgroupFlags uint8

const (
	cgroupSigcont    cgroupFlags = 1 << iota // CGROUP_SIGCONT
	cgroupIgnoreSelf                         // CGROUP_IGNORE_SELF
)

// cgKill is cg_kill(): repeat passes over cgroup.procs until a pass meets
// no pid number outside killed (the "done" set of pid NUMBERS). From v255
// each pid is pinned with pidfd_open right after it is read and signalled
// through the pidfd (pidref_set_pid, pidref_kill); before, kill(2).
func cgKill(h Host, path string, sig model.Signal, flags cgroupFlags, killed map[int32]bool, pidfd bool) (int, error) {
	if sig == model.SIGCONT || sig == model.SIGKILL {
		flags &^= cgroupSigcont // a frozen or stopped task dies of SIGKILL anyway
	}
	self := h.Getpid()
	n := 0
	var firstErr error
	for {
		done := true
		procs, err := h.ReadFile(join(path, "cgroup.procs"))
		if err == model.ENOENT || err == model.ENODEV {
			return n, firstErr // the cgroup is gone
		}
		if err != nil {
			return n, err
		}
		for _, pid := range ParsePids(procs) {
			if pid == 0 {
				continue // not mapped into our pid namespace
			}
			if flags&cgroupIgnoreSelf != 0 && pid == self {
				continue
			}
			if killed[pid] {
				continue
			}
			var err error
			if pidfd {
				fd, oerr := h.PidfdOpen(pid)
				if oerr == model.ESRCH {
					continue // gone since the read
				}
				if oerr == nil {
					err = h.PidfdSendSignal(fd, sig)
				} else {
					err = h.Kill(pid, sig) // pidref falls back to a bare pid
				}
			} else {
				err = h.Kill(pid, sig)
			}
			if err == nil {
				n++
				if flags&cgroupSigcont != 0 {
					_ = h.Kill(pid, model.SIGCONT)
				}
			} else if err != model.ESRCH && firstErr == nil {
				firstErr = err
			}
			done = false
			killed[pid] = true
		}
		if done {
			return n, firstErr
		}
	}
}

// cgKillRecursive is cg_kill_recursive(): cg_kill on the cgroup, then on
// every child read by one readdir pass, pre-order, one shared set.
func cgKillRecursive(h Host, path string, sig model.Signal, flags cgroupFlags, killed map[int32]bool, pidfd bool) (int, error) {
	n, err := cgKill(h, path, sig, flags, killed, pidfd)
	children, derr := h.ReadDir(path)
	if derr == model.ENOENT {
		return n, err
	}
	for _, c := range children {
		m, cerr := cgKillRecursive(h, join(path, c), sig, flags, killed, pidfd)
		n += m
		if err == nil {
			err = cerr
		}
	}
	return n, err
}

// waitEmpty polls cgroup.events until it says "populated 0" (systemd
// watches it with inotify) for at most budget steps.
func waitEmpty(h Host, path string, budget int) bool {
	for i := 0; i < budget; i++ {
		ev, err := h.ReadFile(join(path, "cgroup.events"))
		if err == model.ENOENT || err == model.ENODEV || (err == nil && strings.HasPrefix(ev, "populated 0")) {
			return true
		}
		h.Sleep(1)
	}
	return false
}

// SystemdCgKill is cg_kill_recursive(path, SIGKILL, CGROUP_IGNORE_SELF)
// with pidfds (v255+), the loop under the stop path and the fallbacks of
// systemd-oomd and udev.
var SystemdCgKill = Killer{
	ID:       "systemd-cg-kill",
	Name:     "systemd cg_kill_recursive",
	Source:   "systemd src/basic/cgroup-util.c cg_kill, cg_kill_recursive (v255+: pidfd per pid)",
	Weakness: "done set of pid numbers (a recycled pid in the cgroup is skipped); migration into a visited subgroup; no pass limit",
	Run: func(h Host, t Target) error {
		_, err := cgKillRecursive(h, t.Cgroup, t.sig(), cgroupIgnoreSelf, map[int32]bool{}, true)
		return err
	},
}

// SystemdCgKillOld is the same loop before v255: kill(2) on the number.
var SystemdCgKillOld = Killer{
	ID:       "systemd-cg-kill-old",
	Name:     "systemd cg_kill_recursive (<v255)",
	Source:   "systemd src/basic/cgroup-util.c cg_kill before 4d1b2df199 (v255): kill(pid)",
	Weakness: "as cg_kill, and a pid recycled between the read and kill(2) reaches a stranger",
	Run: func(h Host, t Target) error {
		_, err := cgKillRecursive(h, t.Cgroup, t.sig(), cgroupIgnoreSelf, map[int32]bool{}, false)
		return err
	},
}

// killMode is systemd's KillMode=.
type killMode uint8

const (
	killControlGroup killMode = iota
	killMixed
	killProcess
)

// systemdStop is stopping a service with no ExecStop= (service.c
// service_enter_signal; unit.c unit_kill_context): STOP_SIGTERM,
// STOP_SIGKILL, then (STOP_POST, with no ExecStopPost=) FINAL_SIGTERM and
// FINAL_SIGKILL. Each state runs unit_kill_context and, if it signalled
// something worth waiting for, waits for the cgroup to empty, for the main
// process to exit (STOP_* only: the leftovers are then the FINAL_* states'
// business) or for the timeout (TimeoutStopSec=; here 40 polls), which
// moves on to the next state. A timeout in FINAL_SIGKILL is "Processes
// still around after final SIGKILL. Entering failed mode." (EBUSY here).
//
// unit_kill_context signals the main process through its pidref (and
// SIGCONT after a catchable signal), then, for KillMode=control-group, or
// mixed when the signal is SIGKILL, cg_kill_recursive over the cgroup with
// SIGCONT|IGNORE_SELF and the main pid excluded; 262~devel sets pids.max
// to 0 around a SIGKILL pass. There is no control process here.
func systemdStop(h Host, t Target, mode killMode) error {
	var main Pidfd
	haveMain := false
	if t.MainPid != 0 {
		if fd, err := h.PidfdOpen(t.MainPid); err == nil {
			main, haveMain = fd, true
		}
	}
	mainGone := func() bool { return !haveMain || h.PidfdSendSignal(main, 0) == model.ESRCH }
	killContext := func(sig model.Signal) bool {
		wait := false
		set := map[int32]bool{}
		if haveMain {
			if h.PidfdSendSignal(main, sig) == nil {
				wait = true
				if sig != model.SIGKILL && sig != model.SIGCONT {
					_ = h.PidfdSendSignal(main, model.SIGCONT)
				}
			}
			set[t.MainPid] = true
		}
		if mode == killControlGroup || (mode == killMixed && sig == model.SIGKILL) {
			old, rerr := "", error(model.ENOENT)
			if sig == model.SIGKILL {
				if old, rerr = h.ReadFile(t.file("pids.max")); rerr == nil {
					_ = h.WriteFile(t.file("pids.max"), "0")
				}
			}
			if n, _ := cgKillRecursive(h, t.Cgroup, sig, cgroupSigcont|cgroupIgnoreSelf, set, true); n > 0 {
				wait = true
			}
			if rerr == nil {
				_ = h.WriteFile(t.file("pids.max"), strings.TrimSpace(old))
			}
		}
		return wait
	}
	const (
		empty = iota
		mainExited
		timeout
		nothing
	)
	state := func(sig model.Signal, final bool) int {
		if !killContext(sig) {
			return nothing // skip ahead at once
		}
		for i := 0; i < 40; i++ {
			if waitEmpty(h, t.Cgroup, 1) {
				return empty
			}
			if !final && mainGone() {
				return mainExited
			}
		}
		return timeout
	}
	switch state(model.SIGTERM, false) { // STOP_SIGTERM
	case empty:
		return nil
	case timeout, nothing:
		if state(model.SIGKILL, false) == empty { // STOP_SIGKILL
			return nil
		}
	}
	switch state(model.SIGTERM, true) { // FINAL_SIGTERM
	case empty:
		return nil
	case timeout, nothing:
		if state(model.SIGKILL, true) == timeout { // FINAL_SIGKILL
			return model.EBUSY
		}
	}
	return nil
}

// SystemdStop is `systemctl stop` of a service with the default
// KillMode=control-group.
var SystemdStop = Killer{
	ID:       "systemd-stop",
	Name:     "systemd stop (KillMode=control-group)",
	Source:   "systemd src/core/service.c service_enter_signal, src/core/unit.c unit_kill_context (262~devel)",
	Weakness: "the cg_kill weaknesses in each pass; after the final timeout it gives up (failed) and leaves the cgroup",
	Run:      func(h Host, t Target) error { return systemdStop(h, t, killControlGroup) },
}

// SystemdStopMixed is the same with KillMode=mixed: SIGTERM to the main
// process only, SIGKILL to the whole cgroup.
var SystemdStopMixed = Killer{
	ID:       "systemd-stop-mixed",
	Name:     "systemd stop (KillMode=mixed)",
	Source:   "systemd unit_kill_context with KillMode=mixed",
	Weakness: "the rest of the cgroup sees only the SIGKILL phase, with the cg_kill weaknesses",
	Run:      func(h Host, t Target) error { return systemdStop(h, t, killMixed) },
}

// SystemdStopProcess is the same with KillMode=process: only the main
// process is ever signalled; the rest of the cgroup is left, by design.
var SystemdStopProcess = Killer{
	ID:       "systemd-stop-process",
	Name:     "systemd stop (KillMode=process)",
	Source:   "systemd unit_kill_context with KillMode=process",
	Weakness: "by design it signals the main process only: every other process of the cgroup is left running",
	Run:      func(h Host, t Target) error { return systemdStop(h, t, killProcess) },
}

// SystemctlKill is `systemctl kill -s KILL UNIT` (unit_kill, v257+):
// cgroup.kill through cg_kill_kernel_sigkill, and on EOPNOTSUPP the
// userspace loop without IGNORE_SELF and SIGCONT.
var SystemctlKill = Killer{
	ID:       "systemctl-kill",
	Name:     "systemctl kill -s KILL",
	Source:   "systemd src/core/unit.c unit_kill, cg_kill_kernel_sigkill (v257+)",
	Weakness: "asynchronous: returns before the tasks die; falls back to the loop in a threaded cgroup",
	Run: func(h Host, t Target) error {
		err := h.WriteFile(t.file("cgroup.kill"), "1")
		if err != model.EOPNOTSUPP {
			return err
		}
		_, err = cgKillRecursive(h, t.Cgroup, model.SIGKILL, 0, map[int32]bool{}, true)
		return err
	},
}
