package killer

import (
	"strings"

	"cgsim/model"
)

// Helpers the container runtimes share (opencontainers/cgroups utils.go,
// crun cgroup-utils.c), written once.

// readPidsRecursive is GetAllPids: cgroup.procs of the cgroup and of every
// descendant, walked once, in readdir order. In a threaded cgroup reading
// cgroup.procs fails with EOPNOTSUPP and runc re-reads cgroup.threads
// (readProcsFile); threads is true to do that.
func readPidsRecursive(h Host, path string, threads bool) ([]int32, error) {
	procs, err := h.ReadFile(join(path, "cgroup.procs"))
	if err == model.EOPNOTSUPP && threads {
		procs, err = h.ReadFile(join(path, "cgroup.threads"))
	}
	if err != nil {
		return nil, err
	}
	pids := ParsePids(procs)
	children, err := h.ReadDir(path)
	if err != nil {
		return pids, err
	}
	for _, c := range children {
		more, err := readPidsRecursive(h, join(path, c), threads)
		pids = append(pids, more...)
		if err != nil {
			return pids, err
		}
	}
	return pids, nil
}

// freezeAndWait writes cgroup.freeze and polls cgroup.events for "frozen
// 1" up to budget times (runc fs2/freezer.go: every 10 ms, 1000 times).
func freezeAndWait(h Host, path string, budget int) error {
	if err := h.WriteFile(join(path, "cgroup.freeze"), "1"); err != nil {
		return err
	}
	for i := 0; i < budget; i++ {
		ev, err := h.ReadFile(join(path, "cgroup.events"))
		if err != nil {
			return err
		}
		if strings.Contains(ev, "frozen 1") {
			return nil
		}
		h.Sleep(1)
	}
	return model.EBUSY // "unable to freeze"
}

func thaw(h Host, path string) error { return h.WriteFile(join(path, "cgroup.freeze"), "0") }

// removePath is RemovePath (opencontainers/cgroups utils.go): rmdir; on
// failure remove the children first, then rmdir again, retrying EBUSY up
// to tries times with a growing sleep.
func removePath(h Host, path string, tries int) error {
	err := h.Rmdir(path)
	if err == nil || err == model.ENOENT {
		return nil
	}
	children, derr := h.ReadDir(path)
	if derr == model.ENOENT {
		return nil
	}
	for _, c := range children {
		if err := removePath(h, join(path, c), tries); err != nil {
			return err
		}
	}
	delay := 1
	for i := 0; i < tries; i++ {
		err = h.Rmdir(path)
		if err == nil || err == model.ENOENT {
			return nil
		}
		if err != model.EBUSY {
			return err
		}
		h.Sleep(delay)
		delay *= 2
	}
	return err
}
