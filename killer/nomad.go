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
