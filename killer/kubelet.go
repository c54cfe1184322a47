package killer

import "cgsim/model"

// Kubelet is podContainerManagerImpl.Destroy
// (pkg/kubelet/cm/pod_container_manager_linux.go, 00b39fcf8334;
// userspace-killers.md §5.1): tryKillingCgroupProcesses reads every pid of
// the pod cgroup once, then up to 5 rounds SIGKILL each pid not yet known
// gone (ESRCH is "process done"); then RemovePath. A failed Destroy is
// retried by a later housekeeping pass, which is not modelled.
var Kubelet = Killer{
	ID:       "kubelet",
	Name:     "kubelet pod cgroup Destroy",
	Source:   "kubernetes pkg/kubelet/cm/pod_container_manager_linux.go tryKillingCgroupProcesses, Destroy",
	Weakness: "one read per call: children forked after it are never seen; the 5 rounds re-kill stale numbers",
	Removes:  true,
	Run: func(h Host, t Target) error {
		pids, err := readPidsRecursive(h, t.Cgroup, false)
		if err != nil {
			return err
		}
		removed := make([]bool, len(pids))
		ok := false
		for round := 0; round < 5 && !ok; round++ {
			ok = true
			for i, pid := range pids {
				if removed[i] {
					continue
				}
				switch err := h.Kill(pid, model.SIGKILL); err {
				case nil, model.ESRCH:
					removed[i] = true
				default:
					ok = false
				}
			}
		}
		if !ok {
			return model.EBUSY
		}
		return removePath(h, t.Cgroup, 10)
	},
}
