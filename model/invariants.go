package model

import (
	"encoding/binary"
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
		cg := &k.cgroups[c]
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
		tk := &k.tasks[t]
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
		gr := &k.groups[g]
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
		gr := &k.groups[g]
		dumpers, toCome := 0, int32(0)
		for th := gr.threadHead; th != NoTask; th = k.tasks[th].thrNext {
			tt := &k.tasks[th]
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
		x := &k.csets[cs]
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
				tk := &k.tasks[t]
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
		tk := &k.tasks[i]
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
		x := &k.csets[cs]
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
		f := &k.tasks[i].Frame
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

// AppendKey appends a canonical encoding of the machine state: two
// kernels with equal keys behave identically from here on. Names of
// cgroups are left out (a cgroup is identified by its id), as are the
// trace and coverage, which are history rather than state.
func (k *Kernel) AppendKey(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(k.tasks)))
	for i := range k.tasks {
		tk := &k.tasks[i]
		if tk.Exit == ExitDead && tk.Frame.Path != KExit {
			// Released (or never committed): it takes no further step and
			// links to nothing; only what it left behind can matter.
			b = append(b, 0xff, byte(tk.ExitSignal))
			b = appendInt(b, int64(tk.ExitCode), int64(tk.Group), int64(tk.execHeir))
			continue
		}
		b = binary.AppendUvarint(b, uint64(tk.Flags))
		b = append(b, byte(tk.Exit), byte(tk.cgList), bools(tk.Frozen, tk.trapFreeze, tk.Stopped, tk.newTask, tk.pidAttached, tk.handlerExit))
		b = appendInt(b, int64(tk.Group), int64(tk.Parent), int64(tk.childHead), int64(tk.sibNext),
			int64(tk.thrNext), int64(tk.ExitSignal), int64(tk.ExitCode), int64(tk.pidOff), int64(tk.Level),
			int64(tk.NS), int64(tk.PidNSForChildren), int64(tk.Cset), int64(tk.cgNext), int64(tk.vforkParent))
		b = binary.AppendUvarint(b, uint64(tk.Pending))
		b = binary.AppendUvarint(b, uint64(tk.Blocked))
		f := &tk.Frame
		b = append(b, byte(f.Path))
		if f.Path != KUser {
			b = append(b, f.PC, bools(f.iterSkipped, f.holdsMutex, f.holdsRwsem), byte(f.iterList))
			b = appendInt(b, int64(f.Err), int64(f.Flags), int64(f.Child), int64(f.Seq), int64(f.Cg), int64(f.Cur),
				int64(f.Iter), int64(f.Cset), int64(f.Dcset), int64(f.Arg), int64(f.Arg2), int64(f.Arg3),
				int64(f.SetTid[0]), int64(f.SetTid[1]), int64(f.ExitSig))
			b = binary.AppendUvarint(b, uint64(f.Delayed))
		}
		b = appendInt(b, int64(tk.User.Prog), int64(tk.User.PC), int64(tk.User.R[0]), int64(tk.User.R[1]), int64(tk.User.R[2]),
			int64(tk.User.N[0]), int64(tk.User.N[1]), int64(tk.User.N[2]), int64(tk.User.N[3]),
			int64(tk.Ret), int64(tk.Err), int64(tk.WaitStatus))
	}
	for i := range k.groups {
		g := &k.groups[i]
		b = appendInt(b, int64(g.Leader), int64(g.threadHead), int64(g.Live), int64(g.NrThreads),
			int64(g.Flags), int64(g.GroupExitCode))
		b = binary.AppendUvarint(b, uint64(g.Shared))
		b = binary.AppendUvarint(b, uint64(g.ign))
		b = binary.AppendUvarint(b, uint64(g.hnd))
		b = binary.AppendUvarint(b, uint64(g.hndExit))
		b = append(b, bools(g.NoCldWait, g.IsChildSubreaper, g.HasChildSubreaper, g.GroupExec, g.SessionLeader, g.OomVictim))
		b = appendInt(b, int64(g.Pgid), int64(g.Sid), int64(g.OomScoreAdj), int64(b2i(g.CoreState)), int64(g.coreWaiters), int64(b2i(g.CoreUnlimited)))
	}
	for i := range k.ns {
		p := &k.ns[i]
		b = appendInt(b, int64(p.ChildReaper), int64(p.Allocated), int64(p.cursor), int64(p.PidMax))
		b = append(b, bools(p.Adding, p.Terminating, p.ReaperToInit))
	}
	for i := range k.cgroups {
		c := &k.cgroups[i]
		b = append(b, bools(c.Online, c.Threaded, c.KillFlag, c.Freeze, c.frozenSeen, c.OomGroup))
		b = appendInt(b, int64(c.SubtreeControl), int64(c.csetHead), int64(c.KillSeq),
			int64(c.PidsMax), int64(c.PidsCurrent), int64(c.PidsEventsMax), int64(c.EventsGen),
			int64(c.childHead), int64(c.sibNext), int64(c.MaxDescendants), int64(c.MaxDepth), int64(c.DomCgrp))
	}
	b = binary.AppendUvarint(b, uint64(len(k.csets)))
	for i := range k.csets {
		x := &k.csets[i]
		b = appendInt(b, int64(x.Cgroup), int64(x.V1), int64(x.DomCset), int64(x.refcount), int64(x.linkNext),
			int64(x.tcHead), int64(x.tcNext), int64(x.taskHead), int64(x.dyingHead), int64(x.order))
	}
	b = appendInt(b, int64(k.cgroupMutex), int64(k.tgReaders), int64(k.tgWriter), int64(len(k.upids)), int64(k.oomLockOwner))
	for _, nr := range k.upids {
		b = binary.AppendVarint(b, int64(nr))
	}
	for _, it := range k.iters {
		b = appendInt(b, int64(it))
	}
	return b
}

// appendInt appends each value as a zig-zag varint: most fields are small
// ids and counters, so keys stay short for the visited set.
func appendInt(b []byte, vs ...int64) []byte {
	for _, v := range vs {
		b = binary.AppendVarint(b, v)
	}
	return b
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
