package killer

import "slices"

// Why explains, in one sentence, why killer k had outcome o against race
// r: the mechanism behind the cell of the matrix. The outcome itself
// always comes from exploration; these sentences only explain it, and a
// test requires one for every cell that is not "contained" (and none for
// a cell that is). It returns "" when no rule covers the cell.
func Why(k Killer, r Race, o Outcome) string {
	for _, w := range whys {
		if w.race == r.Name && w.outcome == o && (len(w.killers) == 0 || slices.Contains(w.killers, k.Name)) {
			return w.text
		}
	}
	return ""
}

const processMode = "KillMode=process signals the main process only, by design: every other process of the cgroup is left running, and the stop still succeeds"

const tiniChild = "tini without -g forwards the signal to its main child only (kill(child_pid)), and exits once that child is reaped; outside a private pid namespace no zap follows, and every other process of the cgroup is left running"

const tiniOutsider = "tini's exit as pid 1 zaps its own pid namespace only: a cgroup member from outside the namespace is never signalled"

type why struct {
	race    string
	killers []string // empty: any killer
	outcome Outcome
	text    string
}

// The killer families, by mechanism.
var (
	viaCgroupKill = []string{CgroupKill.Name, SystemctlKill.Name, NomadV2.Name, Runc.Name}
	oneSnapshot   = []string{Naive.Name, NomadV1.Name, NomadGroupKiller.Name}
	cgKillLoop    = []string{SystemdCgKill.Name, SystemdCgKillOld.Name, SystemdStop.Name, SystemdStopMixed.Name}
	freezers      = []string{NomadV1.Name, RuncFallback.Name, CrunFallback.Name, Mesos.Name}
)

var whys = []why{
	// KillMode=process, whatever the race
	{"fork-during-snapshot", []string{SystemdStopProcess.Name}, Escaped, processMode},
	{"pid-reuse-outside", []string{SystemdStopProcess.Name}, Escaped, processMode},
	{"migration-into-visited", []string{SystemdStopProcess.Name}, Escaped, processMode},
	{"private-pidns-outsider", []string{SystemdStopProcess.Name}, Escaped, processMode},
	{"rmdir-after-kill", []string{SystemdStopProcess.Name}, Escaped, processMode},
	{"freeze-not-awaited", []string{SystemdStopProcess.Name}, Escaped, processMode},
	// tini without -g, whatever the race
	{"fork-during-snapshot", []string{Tini.Name}, Escaped, tiniChild},
	{"fork-bomb-small-pid-space", []string{Tini.Name}, Escaped, tiniChild},
	{"pid-reuse-outside", []string{Tini.Name}, Escaped, tiniChild},
	{"migration-into-visited", []string{Tini.Name}, Escaped, tiniChild},
	{"private-pidns-outsider", []string{Tini.Name}, Escaped, tiniOutsider},
	{"rmdir-after-kill", []string{Tini.Name}, Escaped, tiniChild},
	{"freeze-not-awaited", []string{Tini.Name}, Escaped, tiniChild},

	// fork-during-snapshot
	{"fork-during-snapshot", viaCgroupKill, Escaped, "one of the kernel's own kill_seq windows (kill=seq, docs/model.md): the increment came before the fork's snapshot in cgroup_can_fork while the walk had already passed the parent, or the whole fork fit between css_task_iter_next and send_sig; kill=atomic closes both"},
	{"fork-during-snapshot", []string{Naive.Name}, Escaped, "it reads cgroup.procs once, and the child forked after the read is never signalled"},
	{"fork-during-snapshot", []string{NomadV1.Name, NomadGroupKiller.Name}, Escaped, "it reads cgroup.procs once, without waiting for its freeze to take effect, and the child forked after the read is never signalled"},
	{"fork-during-snapshot", cgKillLoop, Escaped, "a pass read cgroup.procs after the parent was signalled but before cgroup_post_fork linked the child, saw no new pid, and ended the loop: the child is invisible in cgroup.procs between copy_process's commit and cgroup_post_fork"},
	{"fork-during-snapshot", []string{Kubelet.Name}, GaveUp, "one read per call: the child forked after it keeps the cgroup populated and RemovePath fails with EBUSY (a later housekeeping pass would read again)"},
	{"fork-during-snapshot", []string{NomadV2.Name}, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},

	// fork-bomb-small-pid-space
	{"fork-bomb-small-pid-space", viaCgroupKill, Escaped, "the kernel's own kill_seq windows (kill=seq), which a bomb forking without pause keeps hitting; kill=atomic closes them"},
	{"fork-bomb-small-pid-space", viaCgroupKill, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},
	{"fork-bomb-small-pid-space", oneSnapshot, Escaped, "it signals the processes of one read of cgroup.procs, and the bomb's children forked after that read are never signalled"},
	{"fork-bomb-small-pid-space", cgKillLoop, Escaped, "with numbers recycled at once, a new child can get a number already in its done set and be skipped, or sit between commit and cgroup_post_fork when a pass finds nothing new: either way the loop ends with children alive"},
	{"fork-bomb-small-pid-space", nil, NoTermination, "it had not returned after 3,000 steps: its passes, timeouts or rmdir retries need more steps than it gets while the bomb's tasks take most of them"},
	{"fork-bomb-small-pid-space", []string{SystemdStopProcess.Name}, Escaped, processMode},

	// pid-reuse-outside
	{"pid-reuse-outside", []string{Broadcast.Name}, WrongKill, "kill(-1) signals every process the killer may signal: the stranger outside the target is killed with the rest, by design (it is a shutdown's last kill)"},
	{"pid-reuse-outside", nil, WrongKill, "between its read of cgroup.procs and its signal (or its pidfd_open, which pins whoever has the number then), the listed task exited and its number went to a task outside the target"},
	{"pid-reuse-outside", []string{NomadV2.Name}, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},

	// migration-into-visited
	{"migration-into-visited", cgKillLoop, Escaped, "the task moved from /t/b into /t/a after cg_kill had finished /t/a and before it read /t/b, so no pass ever listed it"},
	{"migration-into-visited", []string{Naive.Name, NomadV1.Name, NomadGroupKiller.Name}, Escaped, "it reads /t's own cgroup.procs only, which is empty: the tasks in /t/a and /t/b are never listed (not recursive)"},
	{"migration-into-visited", []string{Kubelet.Name}, GaveUp, "its one recursive read listed /t/a before the task moved in and /t/b after it left, so the task was never signalled and the rmdir failed with EBUSY"},
	{"migration-into-visited", []string{NomadV2.Name}, Leaked, "rmdir of /t fails while its child cgroups /t/a and /t/b exist, and Nomad drops the error"},

	// zombie-leader
	{"zombie-leader", viaCgroupKill, Escaped, "cgroup.kill iterates processes and sends SIGKILL to the zombie leader only (PIDTYPE_PID); complete_signal finds no thread that wants it, so the live thread runs on (the gap confirmed on 6.18)"},
	{"zombie-leader", []string{Crun.Name}, GaveUp, "cgroup.kill misses the live thread (the zombie-leader gap), so every rmdir fails with EBUSY and its 500 retries, each with another cgroup.kill, never succeed"},

	// exec-during-kill
	{"exec-during-kill", viaCgroupKill, Escaped, "de_thread has put SIGKILL on the leader (zap_other_threads), so cgroup.kill skips it or signals its zombie, and the exec'ing thread is no leader yet, so the PROCS walk never yields it: after the walk it takes over the pid and the process runs its new program (reproduced on 6.18, simrun hunt exec-vs-kill)"},

	// kthread-in-target
	{"kthread-in-target", []string{SystemdStop.Name, SystemdStopMixed.Name, Kubelet.Name, Mesos.Name, Crun.Name, CrunFallback.Name}, GaveUp, "the kernel thread cannot be killed and keeps the cgroup populated, so waiting for empty or rmdir fails with EBUSY, although only a kernel thread is left"},
	{"kthread-in-target", []string{NomadV2.Name}, Leaked, "the kernel thread keeps the cgroup populated, the rmdir fails with EBUSY, and Nomad drops the error"},

	// killer-inside-target
	{"killer-inside-target", nil, KillerDied, "the killer lives in the cgroup it kills: cgroup.kill (or its own kill of every listed pid) SIGKILLs it too"},
	{"killer-inside-target", freezers, NoTermination, "the killer froze the cgroup it lives in, itself included, and can never run again to thaw it"},
	{"killer-inside-target", []string{SystemdStop.Name}, GaveUp, "IGNORE_SELF spares the killer, which then keeps the cgroup populated, so the wait for empty times out"},

	// threaded-target
	{"threaded-target", nil, GaveUp, "cgroup.kill and reads of cgroup.procs fail with EOPNOTSUPP in a threaded cgroup, and it has no other way to list or kill"},
	{"threaded-target", []string{NomadV1.Name, NomadV2.Name}, Escaped, "its write of cgroup.kill, or its read of cgroup.procs, fails with EOPNOTSUPP in a threaded cgroup, and it ignores the error and reports success"},

	// private-pidns-outsider
	{"private-pidns-outsider", []string{Runc.Name, RuncFallback.Name}, Escaped, "with a private pid namespace it kills the init only; zap_pid_ns_processes kills the namespace, not the cgroup, so the visitor from the host pid namespace survives"},
	{"private-pidns-outsider", []string{NomadV2.Name}, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},

	// rmdir-after-kill
	{"rmdir-after-kill", []string{NomadV2.Name}, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},

	// freeze-not-awaited
	{"freeze-not-awaited", viaCgroupKill, Escaped, "the kernel's own window (kill=seq) against a task that forks without pause: see fork-during-snapshot; kill=atomic closes it"},
	{"freeze-not-awaited", []string{NomadV2.Name}, Leaked, "cgroup.kill returns before its victims have exited, so the immediate rmdir fails with EBUSY and Nomad drops the error"},
	{"freeze-not-awaited", []string{Naive.Name}, Escaped, "its one read of cgroup.procs comes while the forker is still forking, and the children linked after it are never signalled"},
	{"freeze-not-awaited", []string{NomadV1.Name}, Escaped, "it reads cgroup.procs without waiting for \"frozen 1\", while a fork is in flight; the child, linked after the read, is never signalled and runs again after the thaw"},
	{"freeze-not-awaited", cgKillLoop, Escaped, "a pass read cgroup.procs after the forker was signalled but before cgroup_post_fork linked its last child, saw no new pid, and ended the loop"},
	{"freeze-not-awaited", []string{Kubelet.Name}, GaveUp, "one read per call: children forked after it keep the cgroup populated and RemovePath fails with EBUSY"},
}
