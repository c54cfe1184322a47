package model

import (
	"fmt"
	"slices"
)

// CheckInvariants verifies the model's structural invariants and returns
// the first violation, or nil:
//   - every live task (not released, committed by fork) is linked on
//     exactly one list of exactly one cgroup, and that cgroup's list holds it;
//     a released task is on no list;
//   - parent/child links are symmetric: a task on p's children list has
//     Parent p, and every committed leader with a parent is on its list;
//   - thread lists are consistent with each task's Group and counts;
//   - pid maps are consistent at every level: each attached task's number
//     at each level maps back to it, and pid_allocated equals the count;
//   - populated counters equal a recount, for every cgroup;
//   - no runnable task in user mode has SIGKILL pending and is about to
//     run user code (NeedsKernelStep must be true for it);
//   - the live css_sets' creation orders are a permutation, and oom_lock
//     is held only by a task in the OOM killer;
//   - a task with a pushed exit_group handler frame is in user mode and
//     not exiting.
func (k *Kernel) CheckInvariants() error {
	// css_set lists and cgroup cset_links.
	seen := make([]int8, len(k.tasks))
	if err := k.checkCsets(seen); err != nil {
		return err
	}
	for c := range k.cgroups {
		cg := k.rcgroup(CgroupID(c))
		// Populated recount.
		want := int32(0)
		for _, ch := range k.allChildren(CgroupID(c)) {
			if k.recountPopulated(ch) {
				want++
			}
		}
		if want != cg.nrPopulatedChildren {
			return fmt.Errorf("cgroup %s: nr_populated children %d, recount %d", k.Path(CgroupID(c)), cg.nrPopulatedChildren, want)
		}
	}
	for t := range k.tasks {
		tk := k.rtask(TaskID(t))
		if seen[t] > 1 {
			return fmt.Errorf("T%d is on %d cgroup lists", t, seen[t])
		}
		committed := tk.Group != NoGroup
		if !committed {
			if seen[t] != 0 {
				return fmt.Errorf("uncommitted T%d is on a cgroup list", t)
			}
			continue
		}
		live := tk.Exit != ExitDead && tk.Flags&PF_EXITING == 0 && !k.inFork(TaskID(t))
		if tk.handlerExit && (tk.Frame.Path != KUser || tk.Flags&PF_EXITING != 0) {
			return fmt.Errorf("T%d has a handler frame to run but is in %s (PF_EXITING %v)", t, tk.Frame.Path, tk.Flags&PF_EXITING != 0)
		}
		if live && (seen[t] != 1 || tk.cgList != onTasks) {
			return fmt.Errorf("live T%d is not on its cgroup's tasks list", t)
		}
		if tk.Exit == ExitDead && tk.cgList == onDying {
			return fmt.Errorf("released T%d still on a dying list", t)
		}
		// Children symmetry.
		prev := NoTask
		for c := tk.childHead; c != NoTask; c = k.tasks[c].sibNext {
			if k.tasks[c].Parent != TaskID(t) || k.tasks[c].sibPrev != prev {
				return fmt.Errorf("T%d's children list holds T%d whose parent is T%d", t, c, k.tasks[c].Parent)
			}
			if !k.IsLeader(c) {
				return fmt.Errorf("T%d's children list holds non-leader T%d", t, c)
			}
			prev = c
		}
		if prev != tk.childTail {
			return fmt.Errorf("T%d children tail inconsistent", t)
		}
		if k.IsLeader(TaskID(t)) && tk.Exit != ExitDead && tk.Parent != NoTask {
			if !k.onChildren(tk.Parent, TaskID(t)) {
				return fmt.Errorf("T%d (parent T%d) is not on its parent's children list", t, tk.Parent)
			}
		}
		// Pid maps.
		if tk.pidAttached {
			for l := int8(0); l <= tk.Level; l++ {
				ns := k.nsAt(tk.NS, l)
				nr := k.upids[tk.pidOff+int32(l)]
				if got := k.FindTask(ns, nr); got != TaskID(t) {
					return fmt.Errorf("T%d: pid %d in ns %d maps to T%d", t, nr, ns, got)
				}
			}
		}
		// No user code with SIGKILL pending.
		if tk.Frame.Path == KUser && tk.Exit == ExitNone && tk.Flags&PF_KTHREAD == 0 && tk.Pending.Has(SIGKILL) && !k.NeedsKernelStep(TaskID(t)) {
			return fmt.Errorf("T%d would run user code with SIGKILL pending", t)
		}
	}
	// Thread groups.
	for g := range k.groups {
		gr := k.rgroup(GroupID(g))
		n := int32(0)
		live := int32(0)
		for th := gr.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			if k.tasks[th].Group != GroupID(g) {
				return fmt.Errorf("group %d thread list holds T%d of group %d", g, th, k.tasks[th].Group)
			}
			n++
			if k.tasks[th].Flags&PF_EXITING == 0 {
				live++
			}
		}
		if n != gr.NrThreads {
			return fmt.Errorf("group %d: nr_threads %d, list has %d", g, gr.NrThreads, n)
		}
		if live != gr.Live {
			return fmt.Errorf("group %d: signal->live %d, recount %d", g, gr.Live, live)
		}
	}
	// A process group or session keeps its struct pid (and so its
	// numbers) allocated.
	for g := range k.groups {
		for _, owner := range []TaskID{k.groups[g].Pgid, k.groups[g].Sid} {
			if owner != NoTask && !k.pidHeld(owner) {
				return fmt.Errorf("group %d: its process group or session T%d has no pid any more", g, owner)
			}
		}
	}
	// A core dump: core_state is set exactly while one thread of the
	// group is the dumper (KCoredump), whose group has SIGNAL_GROUP_EXIT;
	// the dumper's count of zapped threads to come is the number of
	// threads that have not passed coredump_task_exit (PF_POSTCOREDUMP).
	for g := range k.groups {
		gr := k.rgroup(GroupID(g))
		dumpers, toCome := 0, int32(0)
		for th := gr.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			tt := k.rtask(th)
			if tt.Frame.Path == KCoredump {
				dumpers++
			} else if tt.Flags&PF_POSTCOREDUMP == 0 {
				toCome++
			}
		}
		if gr.CoreState != (dumpers == 1) || dumpers > 1 {
			return fmt.Errorf("group %d: core_state %v with %d dumper(s)", g, gr.CoreState, dumpers)
		}
		if gr.CoreState && (gr.Flags&SIGNAL_GROUP_EXIT == 0 || gr.coreWaiters != toCome) {
			return fmt.Errorf("group %d dumps core: flags %#x, nr_threads %d, %d thread(s) still to reach coredump_task_exit", g, gr.Flags, gr.coreWaiters, toCome)
		}
	}
	// oom_lock is held only by a task in the OOM killer.
	if o := k.oomLockOwner; o != NoTask && (k.tasks[o].Frame.Path != KOOM || k.tasks[o].Frame.PC == oomLockWait) {
		return fmt.Errorf("oom_lock held by T%d, which is not in the OOM killer", o)
	}
	// pid_allocated per namespace.
	for n := range k.ns {
		cnt := int32(0)
		for _, e := range k.ns[n].idr {
			if e.task != NoTask {
				cnt++
			}
		}
		if cnt != k.ns[n].Allocated {
			return fmt.Errorf("pid ns %d: pid_allocated %d, idr holds %d", n, k.ns[n].Allocated, cnt)
		}
	}
	return nil
}

// checkCsets checks every css_set: its tasks and dying lists (each task's
// Cset, Cgroup, list and back link, nr_tasks, leaders only on dying
// lists), its place on its cgroup's cset_links and its dom_cset's
// threaded_csets, the cgroups' NrTasks, and the reference counts against
// a recount of their holders (tasks not yet released, forks between
// cgroup_can_fork and cgroup_post_fork, kill iterators, threaded
// css_sets, and init_css_set's static reference). seen counts the lists
// each task is on.
func (k *Kernel) checkCsets(seen []int8) error {
	refs := make([]int32, len(k.csets))
	if len(refs) > 0 {
		refs[InitCset]++
	}
	nr := make([]int32, len(k.cgroups))
	for cs := range k.csets {
		x := k.rcset(CsetID(cs))
		if x.Cgroup == NoCgroup {
			if x.refcount != 0 || x.taskHead != NoTask || x.dyingHead != NoTask {
				return fmt.Errorf("free css_set %d has refcount %d or tasks", cs, x.refcount)
			}
			continue
		}
		if x.DomCset != CsetID(cs) {
			refs[x.DomCset]++
			if !k.onThreaded(x.DomCset, CsetID(cs)) {
				return fmt.Errorf("%s: not on the threaded_csets of its dom_cset %d", k.CsetName(CsetID(cs)), x.DomCset)
			}
		}
		for _, l := range []cgList{onTasks, onDying} {
			head, tail := x.taskHead, x.taskTail
			if l == onDying {
				head, tail = x.dyingHead, x.dyingTail
			}
			n := int32(0)
			prev := NoTask
			for t := head; t != NoTask; t = k.tasks[t].cgNext {
				tk := k.rtask(t)
				if tk.Cset != CsetID(cs) || tk.Cgroup != x.Cgroup || tk.cgList != l || tk.cgPrev != prev {
					return fmt.Errorf("%s list %d: T%d has css_set %d cgroup %d list %d prev %d (want %d)", k.CsetName(CsetID(cs)), l, t, tk.Cset, tk.Cgroup, tk.cgList, tk.cgPrev, prev)
				}
				if l == onDying && !k.IsLeader(t) {
					return fmt.Errorf("%s dying list: T%d is not a group leader", k.CsetName(CsetID(cs)), t)
				}
				seen[t]++
				n++
				prev = t
			}
			if prev != tail {
				return fmt.Errorf("%s list %d: tail T%d, list ends at T%d", k.CsetName(CsetID(cs)), l, tail, prev)
			}
			if l == onTasks {
				if n != x.nrTasks {
					return fmt.Errorf("%s: nr_tasks %d, list has %d", k.CsetName(CsetID(cs)), x.nrTasks, n)
				}
				nr[x.Cgroup] += n
			}
		}
	}
	for c := range k.cgroups {
		prev := NoCset
		for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
			if k.csets[cs].Cgroup != CgroupID(c) || k.csets[cs].linkPrev != prev {
				return fmt.Errorf("cgroup %s cset_links: css_set %d has cgroup %d prev %d (want %d)", k.Path(CgroupID(c)), cs, k.csets[cs].Cgroup, k.csets[cs].linkPrev, prev)
			}
			prev = cs
		}
		if prev != k.cgroups[c].csetTail {
			return fmt.Errorf("cgroup %s: cset_links tail %d, list ends at %d", k.Path(CgroupID(c)), k.cgroups[c].csetTail, prev)
		}
		if nr[c] != k.cgroups[c].NrTasks {
			return fmt.Errorf("cgroup %s: NrTasks %d, its css_sets hold %d", k.Path(CgroupID(c)), k.cgroups[c].NrTasks, nr[c])
		}
	}
	for i := range k.tasks {
		tk := k.rtask(TaskID(i))
		if tk.Cset != NoCset {
			if tk.Exit == ExitDead && (tk.Frame.Path != KExit || tk.Frame.PC > exitFinalSwitch) {
				return fmt.Errorf("freed T%d still holds css_set %d", i, tk.Cset)
			}
			refs[tk.Cset]++
		}
		f := &tk.Frame
		switch {
		case f.Path == KFork && f.Cset != NoCset:
			refs[f.Cset]++
		case f.Path == KCgroupWrite && slices.Contains(k.iters, TaskID(i)):
			if f.Cset != NoCset {
				refs[f.Cset]++
			}
			if f.Dcset != NoCset {
				refs[f.Dcset]++
			}
		case f.Path == KOOM && f.Cset != NoCset:
			refs[f.Cset]++ // css_task_iter without THREADED pins cur_cset only
		}
	}
	// The live css_sets' creation orders are 0..n-1, each once.
	seenOrder := make([]bool, len(k.csets))
	for cs := range k.csets {
		x := k.rcset(CsetID(cs))
		if x.Cgroup == NoCgroup {
			continue
		}
		if x.order < 0 || int(x.order) >= len(k.csets) || seenOrder[x.order] {
			return fmt.Errorf("css_set %d: creation order %d out of range or taken", cs, x.order)
		}
		seenOrder[x.order] = true
	}
	for cs := range k.csets {
		if refs[cs] != k.csets[cs].refcount {
			return fmt.Errorf("css_set %d: refcount %d, holders %d", cs, k.csets[cs].refcount, refs[cs])
		}
		if refs[cs] > 0 && k.csets[cs].Cgroup == NoCgroup {
			return fmt.Errorf("css_set %d is free but referenced %d times", cs, refs[cs])
		}
	}
	return nil
}

func (k *Kernel) onThreaded(dom, cs CsetID) bool {
	for x := k.csets[dom].tcHead; x != NoCset; x = k.csets[x].tcNext {
		if x == cs {
			return true
		}
	}
	return false
}

func (k *Kernel) inFork(t TaskID) bool {
	// A child between cgroup_fork and cgroup_post_fork is on no list.
	for i := range k.tasks {
		f := &k.rtask(TaskID(i)).Frame
		if f.Path == KFork && f.Child == t {
			return true
		}
	}
	return false
}

func (k *Kernel) onChildren(p, c TaskID) bool {
	for x := k.tasks[p].childHead; x != NoTask; x = k.tasks[x].sibNext {
		if x == c {
			return true
		}
	}
	return false
}

func (k *Kernel) allChildren(c CgroupID) []CgroupID {
	var out []CgroupID
	for ch := k.cgroups[c].childHead; ch != NoCgroup; ch = k.cgroups[ch].sibNext {
		out = append(out, ch)
	}
	return out
}

func (k *Kernel) recountPopulated(c CgroupID) bool {
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		if k.csets[cs].taskHead != NoTask {
			return true
		}
	}
	for _, ch := range k.allChildren(c) {
		if k.recountPopulated(ch) {
			return true
		}
	}
	return false
}

func bools(bs ...bool) byte {
	var v byte
	for i, x := range bs {
		if x {
			v |= 1 << i
		}
	}
	return v
}
