package model

import "strings"

// Path returns the cgroup's path from the root ("/" for the root).
func (k *Kernel) Path(c CgroupID) string {
	if c == RootCG {
		return "/"
	}
	var parts []string
	for ; c != RootCG && c != NoCgroup; c = k.cgroups[c].Parent {
		parts = append(parts, k.cgroups[c].Name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// Lookup resolves a path ("/a/b", "a/b" or "/") to a live cgroup.
func (k *Kernel) Lookup(path string) (CgroupID, bool) {
	c := RootCG
	for _, name := range strings.Split(strings.Trim(path, "/"), "/") {
		if name == "" {
			continue
		}
		c = k.child(c, name)
		if c == NoCgroup {
			return NoCgroup, false
		}
	}
	return c, true
}

func (k *Kernel) child(c CgroupID, name string) CgroupID {
	for ch := k.cgroups[c].childHead; ch != NoCgroup; ch = k.cgroups[ch].sibNext {
		if k.cgroups[ch].Online && k.cgroups[ch].Name == name {
			return ch
		}
	}
	return NoCgroup
}

// Children returns the live children of c in creation order.
func (k *Kernel) Children(c CgroupID) []CgroupID {
	var out []CgroupID
	for ch := k.cgroups[c].childHead; ch != NoCgroup; ch = k.cgroups[ch].sibNext {
		if k.cgroups[ch].Online {
			out = append(out, ch)
		}
	}
	return out
}

// nextPre is css_next_descendant_pre() restricted to live cgroups under
// root: the next cgroup of a pre-order walk, or NoCgroup at the end.
func (k *Kernel) nextPre(pos, root CgroupID) CgroupID {
	if ch := k.firstLiveChild(pos); ch != NoCgroup {
		return ch
	}
	for pos != root {
		for n := k.cgroups[pos].sibNext; n != NoCgroup; n = k.cgroups[n].sibNext {
			if k.cgroups[n].Online {
				return n
			}
		}
		pos = k.cgroups[pos].Parent
	}
	return NoCgroup
}

func (k *Kernel) firstLiveChild(c CgroupID) CgroupID {
	for ch := k.cgroups[c].childHead; ch != NoCgroup; ch = k.cgroups[ch].sibNext {
		if k.cgroups[ch].Online {
			return ch
		}
	}
	return NoCgroup
}

// Populated is cgroup_is_populated(): the cgroup or a descendant holds a
// task on a css_set tasks list (zombies and dying leaders do not count).
func (k *Kernel) Populated(c CgroupID) bool {
	cg := &k.cgroups[c]
	return cg.NrTasks > 0 || cg.nrPopulatedChildren > 0
}

// cgLink appends t to c's tasks list (css_set_move_task(t, NULL, cset)).
// update says whether to re-evaluate the frozen state: cgroup_post_fork
// skips it for a child of a freezing cgroup (the child freezes a moment
// later in do_freezer_trap), so the cgroup does not flicker to frozen 0.
func (k *Kernel) cgLink(t TaskID, c CgroupID) { k.cgLinkUpdate(t, c, true) }

func (k *Kernel) cgLinkUpdate(t TaskID, c CgroupID, update bool) {
	tk := &k.tasks[t]
	cg := &k.cgroups[c]
	was := k.Populated(c)
	tk.Cgroup = c
	tk.cgList = onTasks
	tk.cgPrev, tk.cgNext = cg.taskTail, NoTask
	if cg.taskTail != NoTask {
		k.tasks[cg.taskTail].cgNext = t
	} else {
		cg.taskHead = t
	}
	cg.taskTail = t
	cg.NrTasks++
	if !was {
		k.populatedChanged(c, true)
	}
	if update {
		k.cgroupUpdateFrozen(c)
	}
}

// cgUnlink removes t from whichever list of its cgroup it is on, moving
// any kill iterator positioned on it to the next task first
// (css_set_skip_task_iters).
func (k *Kernel) cgUnlink(t TaskID) {
	tk := &k.tasks[t]
	if tk.cgList == onNoList {
		return
	}
	c := tk.Cgroup
	cg := &k.cgroups[c]
	for _, it := range k.iters {
		f := &k.tasks[it].Frame
		if f.Iter == t {
			f.Iter, f.iterList = k.rawNext(t)
			f.iterSkipped = true
		}
	}
	head, tail := &cg.taskHead, &cg.taskTail
	if tk.cgList == onDying {
		head, tail = &cg.dyingHead, &cg.dyingTail
	}
	if tk.cgPrev != NoTask {
		k.tasks[tk.cgPrev].cgNext = tk.cgNext
	} else {
		*head = tk.cgNext
	}
	if tk.cgNext != NoTask {
		k.tasks[tk.cgNext].cgPrev = tk.cgPrev
	} else {
		*tail = tk.cgPrev
	}
	wasTasks := tk.cgList == onTasks
	tk.cgList, tk.cgNext, tk.cgPrev = onNoList, NoTask, NoTask
	if wasTasks {
		cg.NrTasks--
		if !k.Populated(c) {
			k.populatedChanged(c, false)
		}
	}
	k.cgroupUpdateFrozen(c)
}

// cgAddDying puts t on the dying_tasks list of its cgroup (cgroup_exit for
// a leader whose group is still live).
func (k *Kernel) cgAddDying(t TaskID) {
	tk := &k.tasks[t]
	cg := &k.cgroups[tk.Cgroup]
	tk.cgList = onDying
	tk.cgPrev, tk.cgNext = cg.dyingTail, NoTask
	if cg.dyingTail != NoTask {
		k.tasks[cg.dyingTail].cgNext = t
	} else {
		cg.dyingHead = t
	}
	cg.dyingTail = t
}

// rawNext is the list successor of t as css_task_iter_advance walks it:
// along the tasks list, then on to the dying list of the same cgroup.
func (k *Kernel) rawNext(t TaskID) (TaskID, cgList) {
	tk := &k.tasks[t]
	if tk.cgNext != NoTask {
		return tk.cgNext, tk.cgList
	}
	if tk.cgList == onTasks {
		return k.cgroups[tk.Cgroup].dyingHead, onDying
	}
	return NoTask, onNoList
}

// populatedChanged is cgroup_update_populated(): propagate a populated
// transition of c up the tree, notifying cgroup.events at each level that
// flips.
func (k *Kernel) populatedChanged(c CgroupID, populated bool) {
	for {
		k.cgroups[c].EventsGen++
		if k.tracing {
			k.notef("%s populated %d", k.Path(c), b2i(populated))
		}
		p := k.cgroups[c].Parent
		if p == NoCgroup {
			return
		}
		was := k.Populated(p)
		if populated {
			k.cgroups[p].nrPopulatedChildren++
		} else {
			k.cgroups[p].nrPopulatedChildren--
		}
		if k.Populated(p) == was {
			return
		}
		c = p
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// IsThreadRoot is cgroup_is_thread_root().
func (k *Kernel) IsThreadRoot(c CgroupID) bool {
	cg := &k.cgroups[c]
	if cg.Threaded {
		return false
	}
	if cg.nrThreadedChildren > 0 {
		return true
	}
	return cg.taskHead != NoTask && cg.SubtreeControl&ThreadedControllers != 0
}

// IsValidDomain is cgroup_is_valid_domain(): not threaded, and no
// non-root ancestor is a thread root or threaded.
func (k *Kernel) IsValidDomain(c CgroupID) bool {
	if k.cgroups[c].Threaded {
		return false
	}
	for c = k.cgroups[c].Parent; c != NoCgroup; c = k.cgroups[c].Parent {
		if c != RootCG && k.IsThreadRoot(c) {
			return false
		}
		if k.cgroups[c].Threaded {
			return false
		}
	}
	return true
}

// canBeThreadRoot is cgroup_can_be_thread_root().
func (k *Kernel) canBeThreadRoot(c CgroupID) bool {
	if c == RootCG {
		return true
	}
	cg := &k.cgroups[c]
	if cg.Threaded {
		return false
	}
	if k.nrPopulatedDomainChildren(c) > 0 {
		return false
	}
	return cg.SubtreeControl&^ThreadedControllers == 0
}

func (k *Kernel) nrPopulatedDomainChildren(c CgroupID) int {
	n := 0
	for _, ch := range k.Children(c) {
		if !k.cgroups[ch].Threaded && k.Populated(ch) {
			n++
		}
	}
	return n
}

// Type is what cgroup.type shows (cgroup_type_show).
func (k *Kernel) Type(c CgroupID) string {
	switch {
	case k.cgroups[c].Threaded:
		return "threaded"
	case !k.IsValidDomain(c):
		return "domain invalid"
	case k.IsThreadRoot(c):
		return "domain threaded"
	}
	return "domain"
}

// effectiveFreeze reports whether c or an ancestor has cgroup.freeze 1
// (freezer.e_freeze > 0).
func (k *Kernel) effectiveFreeze(c CgroupID) bool {
	for ; c != NoCgroup; c = k.cgroups[c].Parent {
		if k.cgroups[c].Freeze {
			return true
		}
	}
	return false
}

// Frozen is the "frozen" line of cgroup.events: the CGRP_FROZEN bit that
// cgroup_update_frozen() maintains (not a recount: a child forked into a
// frozen cgroup does not flip it to 0 before it freezes itself).
func (k *Kernel) Frozen(c CgroupID) bool { return k.cgroups[c].frozenSeen }

// computeFrozen is the condition cgroup_update_frozen() evaluates: the
// cgroup is freezing, every task linked in it is frozen (or stopped:
// do_signal_stop calls cgroup_enter_frozen), and every live descendant is
// frozen. A kthread never freezes, so a cgroup holding one never does.
func (k *Kernel) computeFrozen(c CgroupID) bool {
	if !k.effectiveFreeze(c) {
		return false
	}
	cg := &k.cgroups[c]
	for t := cg.taskHead; t != NoTask; t = k.tasks[t].cgNext {
		if !k.frozenOrStopped(t) {
			return false
		}
	}
	for _, ch := range k.Children(c) {
		if !k.cgroups[ch].frozenSeen {
			return false
		}
	}
	return true
}

// frozenOrStopped reports whether t counts as frozen for its cgroup: it
// sits in the freezer trap, or it has stopped in do_signal_stop (which
// calls cgroup_enter_frozen) — in user mode or in an interruptible sleep
// (pause, wait4) that the stop interrupted, not while still finishing a
// system call.
func (k *Kernel) frozenOrStopped(t TaskID) bool {
	tk := &k.tasks[t]
	if tk.Frozen {
		return true
	}
	p := tk.Frame.Path
	return tk.Stopped && (p == KUser || p == KPause || p == KWait)
}

// cgroupUpdateFrozen is cgroup_update_frozen(): notify cgroup.events when
// the frozen state of c (and so possibly of its ancestors) flips.
func (k *Kernel) cgroupUpdateFrozen(c CgroupID) {
	for ; c != NoCgroup; c = k.cgroups[c].Parent {
		cg := &k.cgroups[c]
		if !cg.Freeze && !k.effectiveFreeze(c) && !cg.frozenSeen {
			continue
		}
		f := k.computeFrozen(c)
		if f != cg.frozenSeen {
			cg.frozenSeen = f
			cg.EventsGen++
			if k.tracing {
				k.notef("%s frozen %d", k.Path(c), b2i(f))
			}
		}
	}
}

// pidsEnabled reports whether c has a pids css (its parent enables +pids).
func (k *Kernel) pidsEnabled(c CgroupID) bool {
	p := k.cgroups[c].Parent
	return p != NoCgroup && k.cgroups[p].SubtreeControl&CtrlPids != 0
}

// pidsTryCharge is pids_try_charge(): charge one pid to c and every
// ancestor with a pids css; if any ends above its pids.max, undo and
// report the cgroup whose limit was hit (pids_can_fork → EAGAIN).
func (k *Kernel) pidsTryCharge(c CgroupID) CgroupID {
	over := NoCgroup
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if !k.pidsEnabled(p) {
			continue
		}
		cg := &k.cgroups[p]
		cg.PidsCurrent++
		if cg.PidsMax >= 0 && cg.PidsCurrent > cg.PidsMax && over == NoCgroup {
			over = p
		}
	}
	if over != NoCgroup {
		k.pidsUncharge(c)
		// pids_event(): hierarchical "max" events from the limiting cgroup up.
		for p := over; p != RootCG; p = k.cgroups[p].Parent {
			if k.pidsEnabled(p) {
				k.cgroups[p].PidsEventsMax++
			}
		}
	}
	return over
}

// pidsCharge charges without checking the limit (pids_can_attach).
func (k *Kernel) pidsCharge(c CgroupID) {
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if k.pidsEnabled(p) {
			k.cgroups[p].PidsCurrent++
		}
	}
}

// pidsUncharge is pids_uncharge() (pids_release at release_task).
func (k *Kernel) pidsUncharge(c CgroupID) {
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if k.pidsEnabled(p) {
			k.cgroups[p].PidsCurrent--
		}
	}
}

// Members returns the tasks linked on c's tasks list, in list order.
func (k *Kernel) Members(c CgroupID) []TaskID {
	var out []TaskID
	for t := k.cgroups[c].taskHead; t != NoTask; t = k.tasks[t].cgNext {
		out = append(out, t)
	}
	return out
}

// DyingMembers returns the tasks on c's dying_tasks list.
func (k *Kernel) DyingMembers(c CgroupID) []TaskID {
	var out []TaskID
	for t := k.cgroups[c].dyingHead; t != NoTask; t = k.tasks[t].cgNext {
		out = append(out, t)
	}
	return out
}
