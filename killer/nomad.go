package killer

import "cgsim/model"

// HashiCorp Nomad's task killers (client/lib/cgroupslib/editor.go at
// aa026cc99cfb; userspace-killers.md §3). The executor does not live in
// the task cgroup (it clones the task into it), so it never kills itself.

// NomadV1 is lifeCG1.Kill, run against the v2 freezer (the model has the
// v2 hierarchy only): write FROZEN (here cgroup.freeze=1) and do NOT wait
// for it, read this cgroup's cgroup.procs once (not recursive), SIGKILL
// each pid ignoring errors, thaw. Cleanup retries removal in the
// background, so Kill itself reports success.
var NomadV1 = Killer{
	ID:       "nomad-v1",
	Name:     "Nomad v1 freezer",
	Source:   "nomad client/lib/cgroupslib/editor.go lifeCG1.Kill (aa026cc99cfb)",
	Weakness: "the freeze is not awaited: a task still running forks a child that is not in the one snapshot, and the thaw frees it; not recursive",
	Run: func(h Host, t Target) error {
		if err := h.WriteFile(t.file("cgroup.freeze"), "1"); err != nil {
			return err // a write error aborts the whole Kill
		}
		procs, err := h.ReadFile(t.file("cgroup.procs"))
		if err == nil {
			for _, pid := range ParsePids(procs) {
				_ = h.Kill(pid, model.SIGKILL) // errors are ignored
			}
		}
		_ = thaw(h, t.Cgroup)
		return nil
	},
}

// NomadV2 is lifeCG2.Kill then Cleanup → Teardown: write cgroup.kill, and
// at once os.RemoveAll the task cgroup. cgroup.kill returns before the
// tasks have exited, so the rmdir can fail with EBUSY; Wranglers.Destroy
// ignores both errors.
var NomadV2 = Killer{
	ID:       "nomad-v2",
	Name:     "Nomad v2 cgroup.kill + teardown",
	Source:   "nomad client/lib/cgroupslib/editor.go lifeCG2.Kill, Teardown; proclib/wrangler.go Destroy",
	Weakness: "rmdir right after cgroup.kill races the dying tasks (EBUSY), and the error is dropped: the cgroup leaks",
	Removes:  true,
	Run: func(h Host, t Target) error {
		_ = h.WriteFile(t.file("cgroup.kill"), "1")
		_ = h.Rmdir(t.Cgroup)
		return nil
	},
}

// NomadGroupKiller is the historical group_killer.go (client/lib/cgutil,
// 2022, before a9447e2a0a moved v2 to cgroup.kill): move the executor
// itself out of the task cgroup first (into the root here, "init.scope"
// there) so that freezing does not freeze the killer, freeze through the
// runc fs2 manager (which waits for "frozen 1"; errors ignored), read this
// cgroup's pids once, SIGKILL each, thaw, wait4 each (ECHILD for
// non-children is "normal"), and sleep a little so that rmdir does not see
// a transient EBUSY.
var NomadGroupKiller = Killer{
	ID:       "nomad-group-killer",
	Name:     "Nomad group_killer (2022)",
	Source:   "nomad client/lib/cgutil/group_killer.go (a9447e2a0a^), copied from runc's old signalAllProcesses",
	Weakness: "one snapshot of this cgroup only (not recursive); a task migrated in after the read survives",
	Run: func(h Host, t Target) error {
		_ = h.WriteFile("/cgroup.procs", "0") // move self out
		_ = freezeAndWait(h, t.Cgroup, 1000)
		procs, err := h.ReadFile(t.file("cgroup.procs"))
		if err != nil {
			_ = thaw(h, t.Cgroup)
			return err
		}
		pids := ParsePids(procs)
		for _, pid := range pids {
			_ = h.Kill(pid, model.SIGKILL)
		}
		_ = thaw(h, t.Cgroup)
		for _, pid := range pids {
			_, _ = h.Waitpid(pid, 0)
		}
		h.Sleep(1)
		return nil
	},
}
