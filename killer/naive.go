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

// notRealGroup is why the process-group killers do not run on the real
// Host: a signal to a process group or to every process cannot be
// confined to the run's cgroup on a shared machine.
const notRealGroup = "kill(-pgid) and kill(-1) reach processes by process group or by visibility, which the real Host cannot confine to the run's cgroup"

// JobControl is a shell's job control: each job is a process group (its
// first process leads it; the bench puts the target's processes in it,
// as a shell's setpgid in the parent and the child does), and `kill %1`
// is one kill(-pgid) (bash jobs.c kill_pid with a negative pid).
var JobControl = Killer{
	ID:       "job-control",
	Name:     "shell job control kill(-pgid)",
	Source:   "bash jobs.c kill_pid(-pgid, SIGKILL): one kill(2) of the job's process group",
	Weakness: "a process that left the job's process group (setsid, setpgid), or came into the cgroup from elsewhere, is not signalled",
	NotReal:  notRealGroup,
	Run: func(h Host, t Target) error {
		if t.MainPid == 0 {
			return model.ESRCH
		}
		return h.Kill(-t.MainPid, t.sig())
	},
}

// Broadcast is the last kill of a shutdown: kill(-1, SIGKILL), every
// process the caller may signal but init and its own (sysvinit killall5,
// systemd-shutdown's broadcast; also tini and dumb-init when their child
// is gone).
var Broadcast = Killer{
	ID:       "kill-all",
	Name:     "kill(-1) broadcast",
	Source:   "kill(-1, SIGKILL): kill_something_info's broadcast (sysvinit killall5, systemd-shutdown)",
	Weakness: "kills every process the caller may signal, not only the target's",
	NotReal:  notRealGroup,
	Run: func(h Host, t Target) error {
		return h.Kill(-1, t.sig())
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
