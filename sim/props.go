package sim

import (
	"fmt"
	"strings"

	"cgsim/model"
)

// LiveUserTasksIn returns the tasks of cg's subtree that are alive (not
// exiting) and are not kernel threads, in task id order.
func (w *World) LiveUserTasksIn(cg model.CgroupID) []model.TaskID {
	var out []model.TaskID
	for t, n := 0, w.K.NumTasks(); t < n; t++ {
		if w.liveUserTaskIn(model.TaskID(t), cg) {
			out = append(out, model.TaskID(t))
		}
	}
	return out
}

// liveUserTaskIn reports whether t is one of LiveUserTasksIn(cg).
func (w *World) liveUserTaskIn(t model.TaskID, cg model.CgroupID) bool {
	k := w.K
	tk := k.Task(t)
	if tk.Group == model.NoGroup || !k.Alive(t) || tk.Flags&model.PF_KTHREAD != 0 || tk.Cgroup == model.NoCgroup {
		return false
	}
	return k.InSubtree(tk.Cgroup, cg)
}

// EmptyAfterKill is the postcondition "the cgroup is empty except for
// kernel threads" once the cgroup.kill write labelled label has returned
// success: checked at quiescence. A task that is certain to die (SIGKILL
// pending, group exiting) counts as gone, so the property can also be
// checked when a world stops early with KillSettled.
func EmptyAfterKill(cg model.CgroupID, label string) Property {
	return emptyAfter(cg, label, "empty-after-kill", "cgroup.kill", nil)
}

// EmptyAfterOOM is the postcondition of an OOM group kill (memory.oom.group
// set on cg, the OOM event labelled label): once the event has returned
// success, no user task of cg's subtree is alive at quiescence unless it
// is certain to die, or is one the OOM killer exempts on purpose
// (oom_kill_memcg_member: oom_score_adj -1000, the global init).
func EmptyAfterOOM(cg model.CgroupID, label string) Property {
	return emptyAfter(cg, label, "empty-after-oom", "the OOM group kill", func(w *World, t model.TaskID) bool {
		g := w.K.GroupOf(t)
		return g.OomScoreAdj == model.OOM_SCORE_ADJ_MIN || w.K.PidIn(g.Leader, model.RootNS) == 1 // is_global_init
	})
}

func emptyAfter(cg model.CgroupID, label, name, what string, exempt func(*World, model.TaskID) bool) Property {
	return Property{
		Name:  name,
		Scope: AtEnd,
		Check: func(w *World, final bool) string {
			if !final {
				return ""
			}
			// Checked at every end state: the log and the tasks are
			// read in place (Records and LiveUserTasksIn allocate).
			ok := false
			for i := range w.Log {
				if r := &w.Log[i]; r.Label == label && r.Err == model.OK {
					ok = true
					break
				}
			}
			if !ok {
				return ""
			}
			var live []model.TaskID
			for t, n := 0, w.K.NumTasks(); t < n; t++ {
				id := model.TaskID(t)
				if w.liveUserTaskIn(id, cg) && !w.K.Doomed(id) && (exempt == nil || !exempt(w, id)) {
					live = append(live, id)
				}
			}
			if len(live) > 0 {
				return fmt.Sprintf("%s alive in %s after %s returned", w.DescribeAll(live), w.K.Path(cg), what)
			}
			return ""
		},
	}
}

// NamespaceDead is the postcondition "nothing in a zapped namespace
// survives": at quiescence, once the namespace's init has died, no task
// with a pid in ns is alive, and the namespace refuses new pids.
func NamespaceDead(ns model.NSID) Property {
	return Property{
		Name:  "namespace-dead",
		Scope: AtEnd,
		Check: func(w *World, final bool) string {
			if !final {
				return ""
			}
			k := w.K
			if r := k.NS(ns).ChildReaper; r == model.NoTask || !k.Done(r) {
				return "" // init has not died
			}
			var live []model.TaskID
			for t := 0; t < k.NumTasks(); t++ {
				id := model.TaskID(t)
				if k.Task(id).Group != model.NoGroup && k.Alive(id) && k.IsAncestorNS(ns, k.Task(id).NS) {
					live = append(live, id)
				}
			}
			if len(live) > 0 {
				return fmt.Sprintf("%s of pid ns %d alive after its init died", w.DescribeAll(live), ns)
			}
			return ""
		},
	}
}

// InitOutlivesNamespace is the property of today's zap: when the
// namespace init's exit completes (it is a zombie or released), every
// other pid of the namespace has been freed (pid_allocated ≤ init_pids).
// It is checked after every step.
func InitOutlivesNamespace(ns model.NSID, init model.TaskID) Property {
	return Property{
		Name:  "zap-waits",
		Tasks: []model.TaskID{init},
		Check: func(w *World, _ bool) string {
			k := w.K
			if k.Task(init).Exit == model.ExitNone {
				return ""
			}
			own := int32(0)
			if k.Task(init).Exit != model.ExitDead {
				own = 1 // init's own pid, until it is reaped
			}
			if n := k.NS(ns).Allocated - own; n > 0 {
				var live []model.TaskID
				for t := 0; t < k.NumTasks(); t++ {
					id := model.TaskID(t)
					if id != init && k.Task(id).Group != model.NoGroup && k.Task(id).Exit != model.ExitDead && k.IsAncestorNS(ns, k.Task(id).NS) {
						live = append(live, id)
					}
				}
				return fmt.Sprintf("init's exit completed while pid ns %d still holds %d other pid(s) (%s)", ns, n, w.DescribeAll(live))
			}
			return ""
		},
	}
}

// Describe names a task for messages: "child[pid 4]" or "T7[pid 9/1]".
func (w *World) Describe(t model.TaskID) string {
	d := w.K.Describe(t)
	if n := w.Name(t); n != "" {
		return n + d[len(fmt.Sprintf("T%d", t)):]
	}
	return d
}

// DescribeAll names tasks for messages, separated by commas.
func (w *World) DescribeAll(ts []model.TaskID) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += w.Describe(t)
	}
	return s
}

// Settle runs t alone until it cannot step any more (setup helper: for
// example, let an init install its signal dispositions and go to sleep).
// It stops after limit steps.
func (w *World) Settle(t model.TaskID, limit int) {
	if w.driven(t) >= 0 {
		return // driven tasks start with the run
	}
	tr := w.tracing
	w.tracing = false
	w.K.SetTracing(false)
	for i := 0; i < limit && w.enabled(t); i++ {
		w.Step(int(t))
	}
	w.tracing = tr
	w.K.SetTracing(tr)
	w.Steps = 0
	if w.drv != nil {
		w.drv.origin, w.drv.hist = nil, nil // setup is not history
	}
	w.Log = w.Log[:0:0] // the array may be shared: the next record copies
	for i := range w.counts {
		w.counts[i] = 0
	}
}

// KillGate is a Gate for worlds that ask what one cgroup.kill write
// (labelled label) leaves behind. Until the write has returned, every
// task may run. From then on only forks between their commit and
// cgroup_post_fork may run, and when none is left the run ends. This is
// sound for EmptyAfterKill: after the write returns, every task it
// signalled is certain to die (Doomed); a task with SIGKILL pending cannot
// commit a fork (copy_process fails it with EINTR); and the decision of a
// pending cgroup_post_fork reads only the destination cgroup's CGRP_KILL /
// kill_seq (and, under the candidate fix, the parent's own pending set),
// which no other task's step can change once no kill is in progress. So
// the tasks of the cgroup that are not doomed once those forks finish are
// exactly the ones alive at quiescence of the unrestricted world. The
// same holds for an OOM event's group kill and EmptyAfterOOM (its walk
// changes no kill flag or count, so a pending cgroup_post_fork links its
// child alive); what the gate leaves out is what runs after the event
// returned, such as a migration into the cgroup that completes later.
func KillGate(label string) func(w *World, t model.TaskID) bool {
	return func(w *World, t model.TaskID) bool {
		if w.Count(label) == 0 {
			return true
		}
		return w.K.ForkCommitted(t)
	}
}

// PidsWithinMax is the property of the pids controller: cg's pids.current
// never exceeds its pids.max (pids_try_charge), checked after every step.
func PidsWithinMax(cg model.CgroupID) Property {
	return Property{
		Name: "pids-within-max",
		Check: func(w *World, _ bool) string {
			c := w.K.Cgroup(cg)
			if c.PidsMax >= 0 && c.PidsCurrent > c.PidsMax {
				return fmt.Sprintf("%s: pids.current %d > pids.max %d", w.K.Path(cg), c.PidsCurrent, c.PidsMax)
			}
			return ""
		},
	}
}

// Fate is the postcondition that each of ts is alive at quiescence
// (alive=true: it has not begun to exit and no fatal signal is pending) or
// is gone or certain to die (alive=false).
func Fate(ts []model.TaskID, alive bool) Property {
	name := "dead"
	if alive {
		name = "alive"
	}
	return Property{
		Name:  name,
		Scope: AtEnd,
		Tasks: append([]model.TaskID(nil), ts...),
		Check: func(w *World, final bool) string {
			if !final {
				return ""
			}
			for _, t := range ts {
				live := w.K.Alive(t) && !w.K.Doomed(t)
				if live != alive {
					if alive {
						return fmt.Sprintf("%s is dead or dying at the end", w.Describe(t))
					}
					return fmt.Sprintf("%s is alive at the end", w.Describe(t))
				}
			}
			return ""
		},
	}
}

// CgroupState is the postcondition that each cgroup of cgs is
// unpopulated (state "unpopulated": cgroup.events says "populated 0") or
// frozen ("frozen": "frozen 1") at quiescence.
func CgroupState(cgs []model.CgroupID, state string) Property {
	return Property{
		Name:  state,
		Scope: AtEnd,
		Check: func(w *World, final bool) string {
			if !final {
				return ""
			}
			for _, cg := range cgs {
				switch {
				case state == "unpopulated" && w.K.Populated(cg):
					return fmt.Sprintf("%s is populated at the end (%s)", w.K.Path(cg), w.DescribeAll(w.LiveUserTasksIn(cg)))
				case state == "frozen" && !w.K.Frozen(cg):
					return fmt.Sprintf("%s is not frozen at the end", w.K.Path(cg))
				}
			}
			return ""
		},
	}
}

// NotReached is the property that no run reaches the coverage points of
// cov (an interleaving that must never happen, such as a spurious SIGKILL
// of a CLONE_INTO_CGROUP child); checked after every step.
func NotReached(cov model.Coverage) Property {
	return Property{
		Name:  "not-reached",
		Scope: OnHistory,
		Check: func(w *World, _ bool) string {
			if hit := w.K.Cover & cov; hit != 0 {
				return "reached " + strings.Join(hit.Names(), ", ")
			}
			return ""
		},
	}
}
