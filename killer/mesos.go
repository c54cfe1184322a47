package killer

import "cgsim/model"

// Mesos is cgroups::destroy (src/linux/cgroups.cpp; userspace-killers.md
// §5.4): the Destroyer runs a TasksKiller on every cgroup of the subtree
// (here one after the other, deepest first), on the v2 freezer: freeze
// and wait for it, read the pids, SIGKILL them all, thaw, wait until every
// killed pid is gone, and fail if the cgroup still holds processes.
var Mesos = Killer{
	ID:       "mesos",
	Name:     "Mesos TasksKiller",
	Source:   "apache/mesos src/linux/cgroups.cpp TasksKiller (freeze, kill, thaw, reap, verify)",
	Weakness: "a task migrated in after the read survives, but the final check reports it",
	Run: func(h Host, t Target) error {
		cgs, err := subtree(h, t.Cgroup)
		if err != nil {
			return err
		}
		for i := len(cgs) - 1; i >= 0; i-- {
			if err := mesosTasksKiller(h, cgs[i]); err != nil {
				return err
			}
		}
		return nil
	},
}

// mesosTasksKiller is TasksKiller on one cgroup.
func mesosTasksKiller(h Host, path string) error {
	if err := freezeAndWait(h, path, 100); err != nil {
		_ = thaw(h, path)
		return err
	}
	procs, err := h.ReadFile(join(path, "cgroup.procs"))
	if err != nil {
		_ = thaw(h, path)
		return err
	}
	pids := ParsePids(procs)
	for _, pid := range pids {
		_ = h.Kill(pid, model.SIGKILL)
	}
	_ = thaw(h, path)
	for _, pid := range pids { // the reapers: wait for each pid to go
		for i := 0; i < 100 && h.Kill(pid, 0) == nil; i++ {
			h.Sleep(1)
		}
	}
	procs, err = h.ReadFile(join(path, "cgroup.procs"))
	if err == nil && len(ParsePids(procs)) > 0 {
		return model.EBUSY // "processes remain"
	}
	return nil
}

// subtree lists a cgroup and its descendants, pre-order, by readdir.
func subtree(h Host, path string) ([]string, error) {
	out := []string{path}
	children, err := h.ReadDir(path)
	if err != nil {
		return out, err
	}
	for _, c := range children {
		more, err := subtree(h, join(path, c))
		out = append(out, more...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
