package killer

import "cgsim/model"

// Naive is the one-pass killer every shell script starts with:
//
//	for pid in $(cat cgroup.procs); do kill -9 $pid; done
//
// One read, one signal per pid, no second look. The kernel selftests'
// cg_killall fallback (tools/testing/selftests/cgroup/lib/cgroup_util.c)
// does exactly this when cgroup.kill is missing.
var Naive = Killer{
	ID:       "naive",
	Name:     "naive one pass",
	Source:   "a shell loop over cgroup.procs; selftests cg_killall without cgroup.kill",
	Weakness: "one snapshot: a child forked after the read survives; a recycled pid kills a stranger",
	Run: func(h Host, t Target) error {
		procs, err := h.ReadFile(t.file("cgroup.procs"))
		if err != nil {
			return err
		}
		for _, pid := range ParsePids(procs) {
			if err := h.Kill(pid, t.sig()); err != nil && err != model.ESRCH {
				return err
			}
		}
		return nil
	},
}

// CgroupKill is a plain write of "1" to cgroup.kill (kernel 5.14+,
// cgroup_kill_write): the kernel kills the whole subtree, including
// forks racing the kill (kill_seq) and excluding kernel threads. It
// returns before the tasks have died.
var CgroupKill = Killer{
	ID:       "cgroup.kill",
	Name:     "cgroup.kill",
	Source:   "echo 1 > cgroup.kill (kernel/cgroup/cgroup.c cgroup_kill_write, 5.14+)",
	Weakness: "kills the writer if it is inside; EOPNOTSUPP in a threaded cgroup; returns before the tasks are gone",
	Run: func(h Host, t Target) error {
		return h.WriteFile(t.file("cgroup.kill"), "1")
	},
}
