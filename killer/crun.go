package killer

import "cgsim/model"

// crun's kill and delete (src/libcrun/cgroup-utils.c cgroup_killall_path,
// destroy_cgroup_path; container.c; linux.c libcrun_kill_linux at
// ba38286f7d23; userspace-killers.md §4.5).

// crunKillall is cgroup_killall_path: cgroup.kill for SIGKILL (when
// killFile), else freeze WITHOUT waiting, read every pid of the subtree,
// kill each (the first error other than ESRCH aborts), thaw.
func crunKillall(h Host, path string, sig model.Signal, killFile bool) error {
	if sig == model.SIGKILL && killFile {
		if h.WriteFile(join(path, "cgroup.kill"), "1") == nil {
			return nil
		}
	}
	froze := h.WriteFile(join(path, "cgroup.freeze"), "1") == nil
	pids, err := readPidsRecursive(h, path, false)
	if err == model.ENOENT {
		err = nil
	}
	if err == nil {
		for _, pid := range pids {
			if kerr := h.Kill(pid, sig); kerr != nil && kerr != model.ESRCH {
				err = kerr
				break
			}
		}
	}
	if froze {
		_ = thaw(h, path)
	}
	return err
}

// crunDelete is `crun delete --force`: a private pid namespace gets
// SIGKILL on its init through a pidfd (pin first, then signal), anything
// else the cgroup killall; then destroy: killall again, and rmdir retried
// up to 500 times with a killall before each retry.
func crunDelete(h Host, t Target, killFile bool) error {
	if t.InitPid != 0 {
		if fd, err := h.PidfdOpen(t.InitPid); err == nil {
			if err := h.PidfdSendSignal(fd, model.SIGKILL); err != nil && err != model.ESRCH {
				return err
			}
		}
	} else if err := crunKillall(h, t.Cgroup, model.SIGKILL, killFile); err != nil {
		return err
	}
	_ = crunKillall(h, t.Cgroup, model.SIGKILL, killFile)
	for i := 0; i < 500; i++ {
		err := h.Rmdir(t.Cgroup)
		if err == model.EBUSY {
			err = crunRmdirAll(h, t.Cgroup, killFile)
		}
		if err == nil || err == model.ENOENT {
			return nil
		}
		if err != model.EBUSY {
			return err
		}
		h.Sleep(1)
		_ = crunKillall(h, t.Cgroup, model.SIGKILL, killFile)
	}
	return model.EBUSY
}

// crunRmdirAll is rmdir_all: remove the child cgroups first (a child that
// is busy has its processes SIGKILLed, then is recursed into), then the
// cgroup itself.
func crunRmdirAll(h Host, path string, killFile bool) error {
	children, err := h.ReadDir(path)
	if err != nil {
		return err
	}
	for _, c := range children {
		cp := join(path, c)
		if h.Rmdir(cp) == model.EBUSY {
			_ = crunKillall(h, cp, model.SIGKILL, killFile)
			_ = crunRmdirAll(h, cp, killFile)
		}
	}
	return h.Rmdir(path)
}

// Crun is `crun delete --force` on a 5.14+ kernel.
var Crun = Killer{
	ID:       "crun",
	Name:     "crun delete --force",
	Source:   "crun container_delete_internal, cgroup_killall_path, destroy_cgroup_path (ba38286f7d23)",
	Weakness: "the freeze of the fallback is not awaited; the killall uses plain pids",
	Removes:  true,
	Run:      func(h Host, t Target) error { return crunDelete(h, t, true) },
}

// CrunFallback is crun delete --force where cgroup.kill is missing.
var CrunFallback = Killer{
	ID:       "crun-freezer",
	Name:     "crun delete --force (<5.14)",
	Source:   "crun cgroup_killall_path fallback: freeze (not awaited), read, kill, thaw; destroy retries",
	Weakness: "a fork in the FREEZING window is missed by one pass, but the destroy loop re-kills until rmdir succeeds",
	Removes:  true,
	Run:      func(h Host, t Target) error { return crunDelete(h, t, false) },
}
