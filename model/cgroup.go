package model

import (
	"fmt"
	"strings"
)

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
	cg := k.rcgroup(c)
	return cg.NrTasks > 0 || cg.nrPopulatedChildren > 0
}

// ---- css_sets (kernel/cgroup/cgroup.c) ----

// V1Index interns the name of a placement in the v1 hierarchies (see
// CssSet.V1); "" is the root of each and has index 0.
func (k *Kernel) V1Index(name string) int32 {
	if name == "" {
		return 0
	}
	for i, n := range k.v1Names {
		if n == name {
			return int32(i) + 1
		}
	}
	k.v1Names = append(k.v1Names[:len(k.v1Names):len(k.v1Names)], name)
	return int32(len(k.v1Names))
}

// V1Name is the name V1Index interned as i.
func (k *Kernel) V1Name(i int32) string {
	if i == 0 {
		return ""
	}
	return k.v1Names[i-1]
}

// Cset returns the css_set (read-only view; do not modify).
func (k *Kernel) Cset(cs CsetID) *CssSet { return &k.csets[cs] }

// NumCsets is the number of css_set slots (free ones included).
func (k *Kernel) NumCsets() int { return len(k.csets) }

// Csets returns the css_sets of c in cset_links order: the order in which
// css_task_iter walks them.
func (k *Kernel) Csets(c CgroupID) []CsetID {
	var out []CsetID
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		out = append(out, cs)
	}
	return out
}

// ThreadedCsets returns the threaded_csets of the domain css_set cs.
func (k *Kernel) ThreadedCsets(cs CsetID) []CsetID {
	var out []CsetID
	for x := k.csets[cs].tcHead; x != NoCset; x = k.csets[x].tcNext {
		out = append(out, x)
	}
	return out
}

// findCssSet is find_css_set(): the css_set whose v2 cgroup is c and
// whose v1 cgroups are v1, with a new reference for the caller. If there
// is none it is created, linked at the tail of c's cset_links
// (link_css_set: "always add links to the tail of the lists so that the
// lists are in chronological order"), and, for a threaded cgroup, linked
// at the tail of the threaded_csets of its dom_cset, the css_set of the
// thread root with the same v1 cgroups (found or created the same way).
// compare_css_sets also requires the candidate's dom_cset to be in c's
// dom_cgrp, so a cgroup that became threaded gets new css_sets.
func (k *Kernel) findCssSet(v1 int32, c CgroupID) CsetID {
	dom := k.cgroups[c].DomCgrp
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		x := k.mcset(cs)
		if x.V1 == v1 && k.csets[x.DomCset].Cgroup == dom {
			x.refcount++
			return cs
		}
	}
	cs := NoCset
	live := int32(0)
	for i := range k.csets {
		if k.csets[i].Cgroup != NoCgroup {
			live++
		} else if cs == NoCset {
			cs = CsetID(i)
		}
	}
	if cs == NoCset {
		k.csets = append(k.csets, CssSet{})
		cs = CsetID(len(k.csets) - 1)
	}
	*k.mcset(cs) = CssSet{
		Cgroup: c, V1: v1, DomCset: cs, refcount: 1, order: live,
		linkNext: NoCset, linkPrev: k.cgroups[c].csetTail,
		tcHead: NoCset, tcTail: NoCset, tcNext: NoCset, tcPrev: NoCset,
		taskHead: NoTask, taskTail: NoTask, dyingHead: NoTask, dyingTail: NoTask,
	}
	cg := k.mcgroup(c)
	if cg.csetTail != NoCset {
		k.mcset(cg.csetTail).linkNext = cs
	} else {
		cg.csetHead = cs
	}
	cg.csetTail = cs
	if k.tracing {
		k.notef("find_css_set: new css_set %s", k.CsetName(cs))
	}
	if k.cgroups[c].Threaded {
		d := k.findCssSet(v1, dom) // the threaded css_set holds this reference
		x, dx := k.mcset(cs), k.mcset(d)
		x.DomCset = d
		x.tcPrev = dx.tcTail
		if dx.tcTail != NoCset {
			k.mcset(dx.tcTail).tcNext = cs
		} else {
			dx.tcHead = cs
		}
		dx.tcTail = cs
	}
	return cs
}

// getCset is get_css_set().
func (k *Kernel) getCset(cs CsetID) { k.mcset(cs).refcount++ }

// putCset is put_css_set_locked(): drop a reference; the last one unlinks
// the css_set from its cgroup's cset_links (and from its dom_cset's
// threaded_csets, dropping the reference it held there) and frees it.
func (k *Kernel) putCset(cs CsetID) {
	x := k.mcset(cs)
	x.refcount--
	if x.refcount > 0 {
		return
	}
	cg := k.mcgroup(x.Cgroup)
	if x.linkPrev != NoCset {
		k.mcset(x.linkPrev).linkNext = x.linkNext
	} else {
		cg.csetHead = x.linkNext
	}
	if x.linkNext != NoCset {
		k.mcset(x.linkNext).linkPrev = x.linkPrev
	} else {
		cg.csetTail = x.linkPrev
	}
	dom := x.DomCset
	if dom != cs {
		dx := k.mcset(dom)
		if x.tcPrev != NoCset {
			k.mcset(x.tcPrev).tcNext = x.tcNext
		} else {
			dx.tcHead = x.tcNext
		}
		if x.tcNext != NoCset {
			k.mcset(x.tcNext).tcPrev = x.tcPrev
		} else {
			dx.tcTail = x.tcPrev
		}
	}
	order := x.order
	*k.mcset(cs) = CssSet{Cgroup: NoCgroup, DomCset: NoCset, linkNext: NoCset, linkPrev: NoCset,
		tcHead: NoCset, tcTail: NoCset, tcNext: NoCset, tcPrev: NoCset,
		taskHead: NoTask, taskTail: NoTask, dyingHead: NoTask, dyingTail: NoTask}
	for i := range k.csets {
		if y := k.mcset(CsetID(i)); y.Cgroup != NoCgroup && y.order > order {
			y.order-- // the creation order of the css_sets left
		}
	}
	if dom != cs {
		k.putCset(dom)
	}
}

// CsetName renders a css_set for traces: "cset#2(/test v1=a)".
func (k *Kernel) CsetName(cs CsetID) string {
	x := k.rcset(cs)
	s := fmt.Sprintf("cset#%d(%s", cs, k.Path(x.Cgroup))
	if x.V1 != 0 {
		s += " v1=" + k.V1Name(x.V1)
	}
	return s + ")"
}

// cgLink appends t to the tasks list of css_set cs
// (css_set_move_task(t, NULL, cset)); the caller hands t a reference to
// cs. update says whether to re-evaluate the frozen state:
// cgroup_post_fork skips it for a child of a freezing cgroup (the child
// freezes a moment later in do_freezer_trap), so the cgroup does not
// flicker to frozen 0.
func (k *Kernel) cgLink(t TaskID, cs CsetID) { k.cgLinkUpdate(t, cs, true) }

func (k *Kernel) cgLinkUpdate(t TaskID, cs CsetID, update bool) {
	tk := k.mtask(t)
	x := k.mcset(cs)
	c := x.Cgroup
	was := k.Populated(c)
	tk.Cset, tk.Cgroup = cs, c
	tk.cgList = onTasks
	tk.cgPrev, tk.cgNext = x.taskTail, NoTask
	if x.taskTail != NoTask {
		k.mtask(x.taskTail).cgNext = t
	} else {
		x.taskHead = t
	}
	x.taskTail = t
	x.nrTasks++
	k.mcgroup(c).NrTasks++
	if !was {
		k.populatedChanged(c, true)
	}
	if update {
		k.cgroupUpdateFrozen(c)
	}
}

// cgUnlink removes t from whichever list of its css_set it is on, first
// moving any kill iterator positioned on it to the next entry of that
// list (css_set_skip_task_iters → css_task_iter_skip). t keeps its
// reference to the css_set.
func (k *Kernel) cgUnlink(t TaskID) {
	tk := k.mtask(t)
	if tk.cgList == onNoList {
		return
	}
	c := tk.Cgroup
	x := k.mcset(tk.Cset)
	for _, it := range k.iters {
		f := &k.mtask(it).Frame
		if f.Cset == tk.Cset && f.Iter == t && f.iterList == tk.cgList {
			f.Iter = tk.cgNext // NoTask: the list head
			f.iterSkipped = true
		}
	}
	head, tail := &x.taskHead, &x.taskTail
	if tk.cgList == onDying {
		head, tail = &x.dyingHead, &x.dyingTail
	}
	if tk.cgPrev != NoTask {
		k.mtask(tk.cgPrev).cgNext = tk.cgNext
	} else {
		*head = tk.cgNext
	}
	if tk.cgNext != NoTask {
		k.mtask(tk.cgNext).cgPrev = tk.cgPrev
	} else {
		*tail = tk.cgPrev
	}
	wasTasks := tk.cgList == onTasks
	tk.cgList, tk.cgNext, tk.cgPrev = onNoList, NoTask, NoTask
	if wasTasks {
		x.nrTasks--
		k.mcgroup(c).NrTasks--
		if !k.Populated(c) {
			k.populatedChanged(c, false)
		}
	}
	k.cgroupUpdateFrozen(c)
}

// cgAddDying puts t on the dying_tasks list of its css_set (cgroup_exit
// for a leader whose group is still live).
func (k *Kernel) cgAddDying(t TaskID) {
	tk := k.mtask(t)
	x := k.mcset(tk.Cset)
	tk.cgList = onDying
	tk.cgPrev, tk.cgNext = x.dyingTail, NoTask
	if x.dyingTail != NoTask {
		k.mtask(x.dyingTail).cgNext = t
	} else {
		x.dyingHead = t
	}
	x.dyingTail = t
}

// cgMove moves a live task to the css_set with v2 cgroup dst and v1
// cgroups v1 (cgroup_migrate_execute: get the new css_set,
// css_set_move_task, put the old one).
func (k *Kernel) cgMove(t TaskID, v1 int32, dst CgroupID) {
	old := k.tasks[t].Cset
	cs := k.findCssSet(v1, dst)
	k.cgUnlink(t)
	k.cgLink(t, cs)
	k.putCset(old)
}

// populatedChanged is cgroup_update_populated(): propagate a populated
// transition of c up the tree, notifying cgroup.events at each level that
// flips.
func (k *Kernel) populatedChanged(c CgroupID, populated bool) {
	for {
		k.mcgroup(c).EventsGen++
		if k.tracing {
			k.notef("%s populated %d", k.Path(c), b2i(populated))
		}
		p := k.cgroups[c].Parent
		if p == NoCgroup {
			return
		}
		was := k.Populated(p)
		if populated {
			k.mcgroup(p).nrPopulatedChildren++
		} else {
			k.mcgroup(p).nrPopulatedChildren--
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
	cg := k.rcgroup(c)
	if cg.Threaded {
		return false
	}
	if cg.nrThreadedChildren > 0 {
		return true
	}
	return cg.NrTasks > 0 && cg.SubtreeControl&ThreadedControllers != 0
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
	cg := k.rcgroup(c)
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
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		for t := k.csets[cs].taskHead; t != NoTask; t = k.tasks[t].cgNext {
			if !k.frozenOrStopped(t) {
				return false
			}
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
	tk := k.rtask(t)
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
		cg := k.mcgroup(c)
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
		cg := k.mcgroup(p)
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
				k.mcgroup(p).PidsEventsMax++
			}
		}
	}
	return over
}

// pidsCharge charges without checking the limit (pids_can_attach).
func (k *Kernel) pidsCharge(c CgroupID) {
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if k.pidsEnabled(p) {
			k.mcgroup(p).PidsCurrent++
		}
	}
}

// pidsUncharge is pids_uncharge() (pids_release at release_task).
func (k *Kernel) pidsUncharge(c CgroupID) {
	for p := c; p != RootCG && p != NoCgroup; p = k.cgroups[p].Parent {
		if k.pidsEnabled(p) {
			k.mcgroup(p).PidsCurrent--
		}
	}
}

// Members returns the tasks linked on the tasks lists of c's css_sets,
// css_set by css_set in cset_links order.
func (k *Kernel) Members(c CgroupID) []TaskID {
	var out []TaskID
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		for t := k.csets[cs].taskHead; t != NoTask; t = k.tasks[t].cgNext {
			out = append(out, t)
		}
	}
	return out
}

// DyingMembers returns the tasks on the dying_tasks lists of c's css_sets.
func (k *Kernel) DyingMembers(c CgroupID) []TaskID {
	var out []TaskID
	for cs := k.cgroups[c].csetHead; cs != NoCset; cs = k.csets[cs].linkNext {
		for t := k.csets[cs].dyingHead; t != NoTask; t = k.tasks[t].cgNext {
			out = append(out, t)
		}
	}
	return out
}
