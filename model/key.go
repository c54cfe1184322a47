package model

import (
	"encoding/binary"
	"unsafe"
)

// The state key, component by component.
//
// The explorer decides whether it has seen a state by its key. Encoding
// the whole machine at every state used to cost twice the step it
// describes, although a step changes one task and a few objects around it.
// So the key is split into components that change independently: the
// globals (table sizes, locks, pid numbers, kill iterators), then one
// component per task, thread group, pid namespace, cgroup and css_set, in
// that order. A search encodes only the components a step changed
// (SameKeyComponent finds the others unchanged in the state it stepped
// from) and interns or hashes each component once (sim/explore).
//
// Each component's encoding is canonical (a function of the state alone)
// and self-delimiting; AppendKey is their concatenation. Two machines have
// equal keys exactly when they have the same number of components and
// equal encodings one by one: the globals component records every table's
// size, so the layout of the rest follows from it.

// Component kinds, in key order.
const (
	compGlobals = iota
	compTask
	compGroup
	compNS
	compCgroup
	compCset
)

// NumKeyComponents is the number of components of the machine's key.
func (k *Kernel) NumKeyComponents() int {
	return 1 + len(k.tasks) + len(k.groups) + len(k.ns) + len(k.cgroups) + len(k.csets)
}

// keyComponent maps component i to its kind and the object's index.
func (k *Kernel) keyComponent(i int) (kind, idx int) {
	if i == 0 {
		return compGlobals, 0
	}
	i--
	for kind, n := range [...]int{len(k.tasks), len(k.groups), len(k.ns), len(k.cgroups), len(k.csets)} {
		if i < n {
			return compTask + kind, i
		}
		i -= n
	}
	panic("model: key component out of range")
}

// componentIndex is keyComponent's inverse: the component of object idx
// of kind, or -1 if the machine has no such object.
func (k *Kernel) componentIndex(kind, idx int) int {
	base := 1
	for c, n := range [...]int{len(k.tasks), len(k.groups), len(k.ns), len(k.cgroups), len(k.csets)} {
		if compTask+c == kind {
			if idx >= n {
				return -1
			}
			return base + idx
		}
		base += n
	}
	return 0 // compGlobals
}

// AppendKeyComponent appends the canonical encoding of component i
// (0 <= i < NumKeyComponents()).
func (k *Kernel) AppendKeyComponent(i int, b []byte) []byte {
	kind, idx := k.keyComponent(i)
	switch kind {
	case compGlobals:
		return k.appendGlobalsKey(b)
	case compTask:
		return k.appendTaskKey(b, TaskID(idx))
	case compGroup:
		return appendGroupKey(b, &k.groups[idx])
	case compNS:
		return appendNSKey(b, &k.ns[idx])
	case compCgroup:
		return appendCgroupKey(b, &k.cgroups[idx])
	}
	return appendCsetKey(b, &k.csets[idx])
}

// SameKeyComponent returns the index of the component of prev that
// encodes the same object as component i of k and is equal to it, or -1
// if the object is new or changed (or the check would cost as much as
// encoding it). prev is typically the state k was cloned from before a
// step: only what the step changed is then encoded again.
func (k *Kernel) SameKeyComponent(i int, prev *Kernel) int {
	kind, idx := k.keyComponent(i)
	j := prev.componentIndex(kind, idx)
	if j < 0 {
		return -1
	}
	same := false
	switch kind {
	case compGlobals:
		same = k.globalsEqual(prev)
	case compTask:
		same = k.tasks[idx] == prev.tasks[idx]
	case compGroup:
		same = k.groups[idx] == prev.groups[idx]
	case compNS:
		a, p := &k.ns[idx], &prev.ns[idx]
		same = a.ChildReaper == p.ChildReaper && a.Allocated == p.Allocated && a.cursor == p.cursor &&
			a.Adding == p.Adding && a.Terminating == p.Terminating && a.ReaperToInit == p.ReaperToInit && a.PidMax == p.PidMax
	case compCgroup:
		same = k.cgroups[idx] == prev.cgroups[idx]
	case compCset:
		same = k.csets[idx] == prev.csets[idx]
	}
	if !same {
		return -1
	}
	return j
}

// AppendKey appends a canonical encoding of the machine state: two
// kernels with equal keys behave identically from here on. It is the
// concatenation of the key components (see NumKeyComponents). Names of
// cgroups count (a path names a cgroup), the trace and coverage do not:
// they are history rather than state.
func (k *Kernel) AppendKey(b []byte) []byte {
	n := k.NumKeyComponents()
	for i := 0; i < n; i++ {
		b = k.AppendKeyComponent(i, b)
	}
	return b
}

// Encoding helpers: fixed-width little-endian words. Components are
// interned or hashed, never stored per state, so speed matters more than
// size here.

func putU32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }

func putI32(b []byte, vs ...int32) []byte {
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return b
}

func putString(b []byte, s string) []byte {
	b = putU32(b, uint32(len(s)))
	return append(b, s...)
}

// appendGlobalsKey encodes what belongs to no single object: the table
// sizes (which fix the layout of the other components), cgroup_mutex and
// the threadgroup rwsem, every pid number (Task.pidOff indexes them) and
// the kill iterators.
func (k *Kernel) appendGlobalsKey(b []byte) []byte {
	b = putI32(b, int32(len(k.tasks)), int32(len(k.groups)), int32(len(k.ns)), int32(len(k.cgroups)), int32(len(k.csets)),
		int32(k.cgroupMutex), k.tgReaders, int32(k.tgWriter), int32(len(k.upids)), int32(k.oomLockOwner))
	b = putI32(b, k.upids...)
	b = putU32(b, uint32(len(k.iters)))
	for _, it := range k.iters {
		b = putU32(b, uint32(it))
	}
	return b
}

func (k *Kernel) globalsEqual(p *Kernel) bool {
	if len(k.tasks) != len(p.tasks) || len(k.groups) != len(p.groups) || len(k.ns) != len(p.ns) ||
		len(k.cgroups) != len(p.cgroups) || len(k.csets) != len(p.csets) ||
		k.cgroupMutex != p.cgroupMutex || k.tgReaders != p.tgReaders || k.tgWriter != p.tgWriter || k.oomLockOwner != p.oomLockOwner ||
		len(k.upids) != len(p.upids) || len(k.iters) != len(p.iters) {
		return false
	}
	// upids and names are append-only and shared copy-on-write: equal
	// lengths over the same array are equal contents.
	if len(k.upids) > 0 && &k.upids[0] != &p.upids[0] {
		for i, v := range k.upids {
			if p.upids[i] != v {
				return false
			}
		}
	}
	for i, v := range k.iters {
		if p.iters[i] != v {
			return false
		}
	}
	return true
}

// appendTaskKey encodes one task. A released task (or a child never
// committed) takes no further step and links to nothing: only what it
// left behind for its group can matter. Back links (childTail, sibPrev,
// thrPrev, cgPrev) and Cgroup follow from the forward links and Cset. In
// user mode the kernel frame is empty, so only its path counts. A mkdir in
// flight names its cgroup by an index into Kernel.names (append-only
// history): the name itself is encoded too.
func (k *Kernel) appendTaskKey(b []byte, t TaskID) []byte {
	tk := &k.tasks[t]
	if tk.Exit == ExitDead && tk.Frame.Path != KExit {
		b = append(b, 0xff, byte(tk.ExitSignal))
		return putI32(b, tk.ExitCode, int32(tk.Group), int32(tk.execHeir))
	}
	b = append(b, 1, byte(tk.Exit), byte(tk.cgList), bools(tk.Frozen, tk.trapFreeze, tk.Stopped, tk.newTask, tk.pidAttached, tk.handlerExit),
		byte(tk.ExitSignal), byte(tk.Level))
	b = putI32(b, int32(tk.Flags), int32(tk.Group), int32(tk.Parent), int32(tk.childHead), int32(tk.sibNext),
		int32(tk.thrNext), tk.ExitCode, tk.pidOff, int32(tk.NS), int32(tk.PidNSForChildren), int32(tk.Cset), int32(tk.cgNext), int32(tk.vforkParent))
	b = binary.LittleEndian.AppendUint64(b, uint64(tk.Pending))
	b = binary.LittleEndian.AppendUint64(b, uint64(tk.Blocked))
	f := &tk.Frame
	b = append(b, byte(f.Path))
	if f.Path != KUser {
		b = append(b, f.PC, bools(f.iterSkipped, f.holdsMutex, f.holdsRwsem), byte(f.iterList))
		b = putI32(b, int32(f.Err), int32(f.Flags), int32(f.Child), int32(f.Seq), int32(f.Cg), int32(f.Cur),
			int32(f.Iter), int32(f.Cset), int32(f.Dcset), f.Arg, f.Arg2, f.Arg3)
		b = binary.LittleEndian.AppendUint64(b, uint64(f.Delayed))
		b = putI32(b, f.SetTid[:]...)
		b = putI32(b, f.ExitSig)
		if f.Path == KCgroupWrite && f.Arg == int32(fileMkdir) && f.Arg2 >= 0 && int(f.Arg2) < len(k.names) {
			b = putString(b, k.names[f.Arg2])
		}
	}
	b = putI32(b, tk.User.N[:]...)
	return putI32(b, tk.User.Prog, tk.User.PC, tk.User.R[0], tk.User.R[1], tk.User.R[2],
		tk.Ret, int32(tk.Err), tk.WaitStatus)
}

func appendGroupKey(b []byte, g *Group) []byte {
	b = putI32(b, int32(g.Leader), int32(g.threadHead), g.Live, g.NrThreads, int32(g.Flags), g.GroupExitCode)
	b = binary.LittleEndian.AppendUint64(b, uint64(g.Shared))
	b = binary.LittleEndian.AppendUint64(b, uint64(g.ign))
	b = binary.LittleEndian.AppendUint64(b, uint64(g.hnd))
	b = binary.LittleEndian.AppendUint64(b, uint64(g.hndExit))
	b = append(b, bools(g.NoCldWait, g.IsChildSubreaper, g.HasChildSubreaper, g.GroupExec, g.SessionLeader, g.OomVictim))
	b = append(b, bools(g.CoreState, g.CoreUnlimited))
	return putI32(b, int32(g.Pgid), int32(g.Sid), int32(g.OomScoreAdj), g.coreWaiters)
}

func appendNSKey(b []byte, p *PidNS) []byte {
	b = putI32(b, int32(p.ChildReaper), p.Allocated, p.cursor, p.PidMax)
	return append(b, bools(p.Adding, p.Terminating, p.ReaperToInit))
}

func appendCgroupKey(b []byte, c *Cgroup) []byte {
	b = append(b, bools(c.Online, c.Threaded, c.KillFlag, c.Freeze, c.frozenSeen, c.OomGroup))
	b = putI32(b, int32(c.SubtreeControl), int32(c.csetHead), int32(c.KillSeq),
		c.PidsMax, c.PidsCurrent, c.PidsEventsMax, int32(c.EventsGen),
		int32(c.childHead), int32(c.sibNext), c.MaxDescendants, c.MaxDepth, int32(c.DomCgrp))
	return putString(b, c.Name)
}

func appendCsetKey(b []byte, x *CssSet) []byte {
	return putI32(b, int32(x.Cgroup), x.V1, int32(x.DomCset), x.refcount, int32(x.linkNext),
		int32(x.tcHead), int32(x.tcNext), int32(x.taskHead), int32(x.dyingHead), int32(x.order))
}

// AppendSameKeyComponents appends, for each key component i of k, the
// index of the component of prev that encodes the same object and is
// equal to it, or -1 (SameKeyComponent for every component at once).
func (k *Kernel) AppendSameKeyComponents(prev *Kernel, buf []int32) []int32 {
	if k.globalsEqual(prev) {
		buf = append(buf, 0)
	} else {
		buf = append(buf, -1)
	}
	base := int32(1)
	// Objects are compared as whole structs, byte for byte: a change to a
	// field the encoding leaves out (or to padding) only costs an
	// encoding.
	for i := range k.tasks {
		if i < len(prev.tasks) && rawEqual(&k.tasks[i], &prev.tasks[i]) {
			buf = append(buf, base+int32(i))
		} else {
			buf = append(buf, -1)
		}
	}
	base += int32(len(prev.tasks))
	for i := range k.groups {
		if i < len(prev.groups) && rawEqual(&k.groups[i], &prev.groups[i]) {
			buf = append(buf, base+int32(i))
		} else {
			buf = append(buf, -1)
		}
	}
	base += int32(len(prev.groups))
	for i := range k.ns {
		a := &k.ns[i]
		if i < len(prev.ns) {
			p := &prev.ns[i]
			if a.ChildReaper == p.ChildReaper && a.Allocated == p.Allocated && a.cursor == p.cursor &&
				a.Adding == p.Adding && a.Terminating == p.Terminating && a.ReaperToInit == p.ReaperToInit && a.PidMax == p.PidMax {
				buf = append(buf, base+int32(i))
				continue
			}
		}
		buf = append(buf, -1)
	}
	base += int32(len(prev.ns))
	for i := range k.cgroups {
		if i < len(prev.cgroups) && rawEqual(&k.cgroups[i], &prev.cgroups[i]) {
			buf = append(buf, base+int32(i))
		} else {
			buf = append(buf, -1)
		}
	}
	base += int32(len(prev.cgroups))
	for i := range k.csets {
		if i < len(prev.csets) && rawEqual(&k.csets[i], &prev.csets[i]) {
			buf = append(buf, base+int32(i))
		} else {
			buf = append(buf, -1)
		}
	}
	return buf
}

// rawEqual compares two objects byte for byte (padding included). Equal
// bytes mean equal fields; unequal bytes may still be equal fields (a
// string with the same contents elsewhere, padding), which callers treat
// as a change. It is only for objects without pointers to compare deeper
// than their headers.
func rawEqual[T any](a, b *T) bool {
	n := int(unsafe.Sizeof(*a))
	return unsafe.String((*byte)(unsafe.Pointer(a)), n) == unsafe.String((*byte)(unsafe.Pointer(b)), n)
}
