package killer

import "cgsim/model"

// runc's kill (libcontainer/container_linux.go Container.signal and
// init_linux.go signalAllProcesses at 76d9cf5da568; userspace-killers.md
// §4.1-4.3).

// runcSignalAll is signalAllProcesses: cgroup.kill for SIGKILL on a v2
// hierarchy (runc 1.2+, when killFile is true: a 5.14+ kernel); otherwise
// freeze and wait for "frozen 1", read every pid of the subtree once
// (cgroup.threads where cgroup.procs is EOPNOTSUPP), kill each, thaw.
func runcSignalAll(h Host, t Target, killFile bool) error {
	if t.sig() == model.SIGKILL && killFile {
		err := h.WriteFile(t.file("cgroup.kill"), "1")
		if err != model.ENOENT {
			return err
		}
	}
	_ = freezeAndWait(h, t.Cgroup, 1000) // an error is only logged
	pids, err := readPidsRecursive(h, t.Cgroup, true)
	if err != nil {
		_ = thaw(h, t.Cgroup)
		return err
	}
	for _, pid := range pids {
		_ = h.Kill(pid, t.sig()) // ESRCH ignored, other errors logged
	}
	_ = thaw(h, t.Cgroup)
	return nil
}

// runcSignal is Container.signal: with a private pid namespace, or for a
// signal other than SIGKILL, signal the init only (after hasInit checked
// it is still there) and rely on zap_pid_ns_processes; else every process
// of the cgroup.
func runcSignal(h Host, t Target, killFile bool) error {
	if t.InitPid != 0 {
		if err := h.Kill(t.InitPid, 0); err != nil {
			return err // hasInit: not running
		}
		return h.Kill(t.InitPid, t.sig())
	}
	return runcSignalAll(h, t, killFile)
}

// Runc is `runc kill CONTAINER KILL` on a 5.14+ kernel.
var Runc = Killer{
	ID:       "runc",
	Name:     "runc kill",
	Source:   "runc libcontainer Container.signal, signalAllProcesses (runc 1.2+, 76d9cf5da568)",
	Weakness: "with a private pid namespace it kills the init only: cgroup members outside the namespace survive",
	Run:      func(h Host, t Target) error { return runcSignal(h, t, true) },
}

// RuncFallback is runc kill where cgroup.kill is missing (kernels before
// 5.14): freeze, one snapshot, kill, thaw.
var RuncFallback = Killer{
	ID:       "runc-freezer",
	Name:     "runc kill (<5.14: freezer)",
	Source:   "runc signalAllProcesses fallback: Freeze, GetAllPids, kill, Thaw",
	Weakness: "one snapshot: a task migrated in after the read, or any fork if the freeze failed, survives",
	Run:      func(h Host, t Target) error { return runcSignal(h, t, false) },
}
