package model

import "strconv"

// What a step changed.
//
// The explorer keys a state component by component and encodes again only
// the components a step changed (AppendSameKeyComponents). Comparing every
// object with the parent's, byte for byte, cost as much as a fifth of a
// search, for a step that changes one task and a few objects. Instead the
// kernel records which objects were written since it was cloned: every
// write to a task, thread group, pid namespace, cgroup or css_set goes
// through an accessor (mtask, mgroup, mns, mcgroup, mcset) that marks the
// object and returns a pointer to it. Clone and CloneInto start the copy
// with nothing marked, so in a state stepped from its parent, an object
// not marked is byte for byte the parent's.
//
// The rule, for code in this package: an element of k.tasks, k.groups,
// k.ns, k.cgroups or k.csets is read by indexing (k.tasks[t].Exit) and
// written, or its address taken, only through the accessors. A pointer an
// accessor returned may be kept for the rest of the step (marking does
// not depend on which fields are written). TestDirtyWriteSites
// (dirty_sites_test.go) finds every use of the tables that could write
// outside the functions allowed to; the sim tests
// (sim/dirty_check_test.go) check on every transition of many searches
// that every object the byte compare finds changed is marked.
//
// Marking too much costs only an encoding; a missed mark would merge
// distinct states, so when in doubt, mark.

// dirtySet is the set of objects written since the kernel was cloned, one
// bit per object. An index past the last bit of its kind counts as that
// bit: objects past the first 127 tasks (63 of the other kinds) share one
// bit, which is conservative.
type dirtySet struct {
	task, group      [2]uint64
	ns, cgroup, cset uint64
}

// dirtyAll marks everything: for a kernel whose relation to the one it
// was cloned from is not what a step makes (Renamed).
var dirtyAll = dirtySet{
	task: [2]uint64{^uint64(0), ^uint64(0)}, group: [2]uint64{^uint64(0), ^uint64(0)},
	ns: ^uint64(0), cgroup: ^uint64(0), cset: ^uint64(0),
}

// bit128 returns the word and mask of index i in a two-word set, indices
// past 127 sharing bit 127 (negative ones too: they convert to large
// unsigned numbers).
func bit128(i int32) (int, uint64) {
	u := min(uint32(i), 127)
	return int(u >> 6), 1 << (u & 63)
}

// bit64 is bit128 for a one-word set.
func bit64(i int32) uint64 {
	return 1 << min(uint32(i), 63)
}

// mtask returns task t for writing, marking it changed.
func (k *Kernel) mtask(t TaskID) *Task {
	w, m := bit128(int32(t))
	k.dirty.task[w] |= m
	return &k.tasks[t]
}

// mgroup returns thread group g for writing, marking it changed.
func (k *Kernel) mgroup(g GroupID) *Group {
	w, m := bit128(int32(g))
	k.dirty.group[w] |= m
	return &k.groups[g]
}

// mns returns pid namespace n for writing, marking it changed.
func (k *Kernel) mns(n NSID) *PidNS {
	k.dirty.ns |= bit64(int32(n))
	return &k.ns[n]
}

// mcgroup returns cgroup c for writing, marking it changed.
func (k *Kernel) mcgroup(c CgroupID) *Cgroup {
	k.dirty.cgroup |= bit64(int32(c))
	return &k.cgroups[c]
}

// mcset returns css_set c for writing, marking it changed.
func (k *Kernel) mcset(c CsetID) *CssSet {
	k.dirty.cset |= bit64(int32(c))
	return &k.csets[c]
}

// taskDirty reports whether task i may have changed since the clone.
func (d *dirtySet) taskDirty(i int) bool {
	w, m := bit128(int32(i))
	return d.task[w]&m != 0
}

// groupDirty reports whether thread group i may have changed.
func (d *dirtySet) groupDirty(i int) bool {
	w, m := bit128(int32(i))
	return d.group[w]&m != 0
}

// dirtyBit64 reports whether index i of a one-word set is marked.
func dirtyBit64(set uint64, i int) bool {
	return set&bit64(int32(i)) != 0
}

// cloned records in d, a copy of k made by Clone or CloneInto, that it was
// made from k, with nothing written since.
func (d *Kernel) cloned(k *Kernel, epoch uint64) {
	d.dirty = dirtySet{}
	d.epoch = epoch
	d.from, d.fromEpoch = k, k.epoch
}

// UnmarkedChanges checks the change tracking of k against prev: it
// returns a description of the objects that differ from prev's byte for
// byte (CompareKeyComponents) but that AppendSameKeyComponents reports
// unchanged, or "" if there are none. When k was cloned from prev before
// a step, a non-empty answer is a write that bypassed the marking
// accessors: a bug that would merge distinct states. (Against any other
// kernel AppendSameKeyComponents compares, and the answer is "".)
func (k *Kernel) UnmarkedChanges(prev *Kernel) string {
	cmp := k.CompareKeyComponents(prev, nil)
	same := k.AppendSameKeyComponents(prev, nil)
	var b []byte
	for i := range cmp {
		if cmp[i] < 0 && same[i] >= 0 {
			kind, idx := k.keyComponent(i)
			b = append(b, [...]string{"globals", "task", "group", "pid ns", "cgroup", "css_set"}[kind]...)
			b = append(b, ' ')
			b = strconv.AppendInt(b, int64(idx), 10)
			b = append(b, " changed but not marked; "...)
		}
	}
	return string(b)
}

// rtask returns task t for reading only: what it points to must not be
// written (TestDirtyWriteSites checks that the variable holding it is
// only read through). It spares the read paths a mark.
func (k *Kernel) rtask(t TaskID) *Task { return &k.tasks[t] }

// rgroup returns thread group g for reading only (see rtask).
func (k *Kernel) rgroup(g GroupID) *Group { return &k.groups[g] }

// rns returns pid namespace n for reading only (see rtask).
func (k *Kernel) rns(n NSID) *PidNS { return &k.ns[n] }

// rcgroup returns cgroup c for reading only (see rtask).
func (k *Kernel) rcgroup(c CgroupID) *Cgroup { return &k.cgroups[c] }

// rcset returns css_set c for reading only (see rtask).
func (k *Kernel) rcset(c CsetID) *CssSet { return &k.csets[c] }
