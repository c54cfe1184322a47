package model

import (
	"encoding/binary"
	"slices"
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
// size here. The fixed-size parts of a component are laid out in a local
// array at constant offsets (no bounds checks, no append per field) and
// appended at once.

var le = binary.LittleEndian

func putU32(b []byte, v uint32) []byte { return le.AppendUint32(b, v) }

func putI32(b []byte, vs ...int32) []byte {
	for _, v := range vs {
		b = le.AppendUint32(b, uint32(v))
	}
	return b
}

func putString(b []byte, s string) []byte {
	b = putU32(b, uint32(len(s)))
	return append(b, s...)
}

// bit returns 1<<i if x, else 0: one bit of a packed set of flags.
func bit(x bool, i uint) byte {
	if x {
		return 1 << i
	}
	return 0
}

// appendGlobalsKey encodes what belongs to no single object: the table
// sizes (which fix the layout of the other components), cgroup_mutex and
// the threadgroup rwsem, every pid number (Task.pidOff indexes them) and
// the kill iterators.
func (k *Kernel) appendGlobalsKey(b []byte) []byte {
	var e [40]byte
	le.PutUint32(e[0:], uint32(len(k.tasks)))
	le.PutUint32(e[4:], uint32(len(k.groups)))
	le.PutUint32(e[8:], uint32(len(k.ns)))
	le.PutUint32(e[12:], uint32(len(k.cgroups)))
	le.PutUint32(e[16:], uint32(len(k.csets)))
	le.PutUint32(e[20:], uint32(k.cgroupMutex))
	le.PutUint32(e[24:], uint32(k.tgReaders))
	le.PutUint32(e[28:], uint32(k.tgWriter))
	le.PutUint32(e[32:], uint32(len(k.upids)))
	le.PutUint32(e[36:], uint32(k.oomLockOwner))
	b = append(b, e[:]...)
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
//
// Layout: a tag byte (0xff released, 1 otherwise), then for a live task
// the task part (taskHead bytes), in a kernel path the frame part
// (taskFrame bytes, then the mkdir name if any), and the user part
// (taskUser bytes).
func (k *Kernel) appendTaskKey(b []byte, t TaskID) []byte {
	tk := &k.tasks[t]
	if tk.Exit == ExitDead && tk.Frame.Path != KExit {
		var e [14]byte
		e[0], e[1] = 0xff, byte(tk.ExitSignal)
		le.PutUint32(e[2:], uint32(tk.ExitCode))
		le.PutUint32(e[6:], uint32(tk.Group))
		le.PutUint32(e[10:], uint32(tk.execHeir))
		return append(b, e[:]...)
	}
	const taskHead, taskFrame, taskUser = 75, 71, 48
	var e [taskHead + taskFrame + taskUser]byte
	e[0], e[1], e[2] = 1, byte(tk.Exit), byte(tk.cgList)
	e[3] = bit(tk.Frozen, 0) | bit(tk.trapFreeze, 1) | bit(tk.Stopped, 2) | bit(tk.newTask, 3) |
		bit(tk.pidAttached, 4) | bit(tk.handlerExit, 5)
	e[4], e[5] = byte(tk.ExitSignal), byte(tk.Level)
	le.PutUint32(e[6:], tk.Flags)
	le.PutUint32(e[10:], uint32(tk.Group))
	le.PutUint32(e[14:], uint32(tk.Parent))
	le.PutUint32(e[18:], uint32(tk.childHead))
	le.PutUint32(e[22:], uint32(tk.sibNext))
	le.PutUint32(e[26:], uint32(tk.thrNext))
	le.PutUint32(e[30:], uint32(tk.ExitCode))
	le.PutUint32(e[34:], uint32(tk.pidOff))
	le.PutUint32(e[38:], uint32(tk.NS))
	le.PutUint32(e[42:], uint32(tk.PidNSForChildren))
	le.PutUint32(e[46:], uint32(tk.Cset))
	le.PutUint32(e[50:], uint32(tk.cgNext))
	le.PutUint32(e[54:], uint32(tk.vforkParent))
	le.PutUint64(e[58:], uint64(tk.Pending))
	le.PutUint64(e[66:], uint64(tk.Blocked))
	f := &tk.Frame
	e[74] = byte(f.Path)
	n := taskHead
	mkdir := false
	if f.Path != KUser {
		x := e[taskHead : taskHead+taskFrame]
		x[0] = f.PC
		x[1] = bit(f.iterSkipped, 0) | bit(f.holdsMutex, 1) | bit(f.holdsRwsem, 2)
		x[2] = byte(f.iterList)
		le.PutUint32(x[3:], uint32(f.Err))
		le.PutUint32(x[7:], f.Flags)
		le.PutUint32(x[11:], uint32(f.Child))
		le.PutUint32(x[15:], f.Seq)
		le.PutUint32(x[19:], uint32(f.Cg))
		le.PutUint32(x[23:], uint32(f.Cur))
		le.PutUint32(x[27:], uint32(f.Iter))
		le.PutUint32(x[31:], uint32(f.Cset))
		le.PutUint32(x[35:], uint32(f.Dcset))
		le.PutUint32(x[39:], uint32(f.Arg))
		le.PutUint32(x[43:], uint32(f.Arg2))
		le.PutUint32(x[47:], uint32(f.Arg3))
		le.PutUint64(x[51:], uint64(f.Delayed))
		le.PutUint32(x[59:], uint32(f.SetTid[0]))
		le.PutUint32(x[63:], uint32(f.SetTid[1]))
		le.PutUint32(x[67:], uint32(f.ExitSig))
		n += taskFrame
		mkdir = f.Path == KCgroupWrite && f.Arg == int32(fileMkdir) && f.Arg2 >= 0 && int(f.Arg2) < len(k.names)
	}
	u := e[n : n+taskUser]
	le.PutUint32(u[0:], uint32(tk.User.N[0]))
	le.PutUint32(u[4:], uint32(tk.User.N[1]))
	le.PutUint32(u[8:], uint32(tk.User.N[2]))
	le.PutUint32(u[12:], uint32(tk.User.N[3]))
	le.PutUint32(u[16:], uint32(tk.User.Prog))
	le.PutUint32(u[20:], uint32(tk.User.PC))
	le.PutUint32(u[24:], uint32(tk.User.R[0]))
	le.PutUint32(u[28:], uint32(tk.User.R[1]))
	le.PutUint32(u[32:], uint32(tk.User.R[2]))
	le.PutUint32(u[36:], uint32(tk.Ret))
	le.PutUint32(u[40:], uint32(tk.Err))
	le.PutUint32(u[44:], uint32(tk.WaitStatus))
	if k.live != nil {
		k.maskDead(tk, u)
	}
	if !mkdir {
		return append(b, e[:n+taskUser]...)
	}
	// A mkdir in flight: its name goes between the frame and the user part.
	b = append(b, e[:n]...)
	b = putString(b, k.names[f.Arg2])
	return append(b, u...)
}

func appendGroupKey(b []byte, g *Group) []byte {
	var e [74]byte
	le.PutUint32(e[0:], uint32(g.Leader))
	le.PutUint32(e[4:], uint32(g.threadHead))
	le.PutUint32(e[8:], uint32(g.Live))
	le.PutUint32(e[12:], uint32(g.NrThreads))
	le.PutUint32(e[16:], g.Flags)
	le.PutUint32(e[20:], uint32(g.GroupExitCode))
	le.PutUint64(e[24:], uint64(g.Shared))
	le.PutUint64(e[32:], uint64(g.ign))
	le.PutUint64(e[40:], uint64(g.hnd))
	le.PutUint64(e[48:], uint64(g.hndExit))
	e[56] = bit(g.NoCldWait, 0) | bit(g.IsChildSubreaper, 1) | bit(g.HasChildSubreaper, 2) | bit(g.GroupExec, 3) |
		bit(g.SessionLeader, 4) | bit(g.OomVictim, 5)
	e[57] = bit(g.CoreState, 0) | bit(g.CoreUnlimited, 1)
	le.PutUint32(e[58:], uint32(g.Pgid))
	le.PutUint32(e[62:], uint32(g.Sid))
	le.PutUint32(e[66:], uint32(int32(g.OomScoreAdj)))
	le.PutUint32(e[70:], uint32(g.coreWaiters))
	return append(b, e[:]...)
}

func appendNSKey(b []byte, p *PidNS) []byte {
	var e [17]byte
	le.PutUint32(e[0:], uint32(p.ChildReaper))
	le.PutUint32(e[4:], uint32(p.Allocated))
	le.PutUint32(e[8:], uint32(p.cursor))
	le.PutUint32(e[12:], uint32(p.PidMax))
	e[16] = bit(p.Adding, 0) | bit(p.Terminating, 1) | bit(p.ReaperToInit, 2)
	return append(b, e[:]...)
}

func appendCgroupKey(b []byte, c *Cgroup) []byte {
	var e [53]byte
	e[0] = bit(c.Online, 0) | bit(c.Threaded, 1) | bit(c.KillFlag, 2) | bit(c.Freeze, 3) | bit(c.frozenSeen, 4) | bit(c.OomGroup, 5)
	le.PutUint32(e[1:], uint32(c.SubtreeControl))
	le.PutUint32(e[5:], uint32(c.csetHead))
	le.PutUint32(e[9:], c.KillSeq)
	le.PutUint32(e[13:], uint32(c.PidsMax))
	le.PutUint32(e[17:], uint32(c.PidsCurrent))
	le.PutUint32(e[21:], uint32(c.PidsEventsMax))
	le.PutUint32(e[25:], c.EventsGen)
	le.PutUint32(e[29:], uint32(c.childHead))
	le.PutUint32(e[33:], uint32(c.sibNext))
	le.PutUint32(e[37:], uint32(c.MaxDescendants))
	le.PutUint32(e[41:], uint32(c.MaxDepth))
	le.PutUint32(e[45:], uint32(c.DomCgrp))
	le.PutUint32(e[49:], uint32(len(c.Name)))
	b = append(b, e[:]...)
	return append(b, c.Name...)
}

func appendCsetKey(b []byte, x *CssSet) []byte {
	var e [40]byte
	le.PutUint32(e[0:], uint32(x.Cgroup))
	le.PutUint32(e[4:], uint32(x.V1))
	le.PutUint32(e[8:], uint32(x.DomCset))
	le.PutUint32(e[12:], uint32(x.refcount))
	le.PutUint32(e[16:], uint32(x.linkNext))
	le.PutUint32(e[20:], uint32(x.tcHead))
	le.PutUint32(e[24:], uint32(x.tcNext))
	le.PutUint32(e[28:], uint32(x.taskHead))
	le.PutUint32(e[32:], uint32(x.dyingHead))
	le.PutUint32(e[36:], uint32(x.order))
	return append(b, e[:]...)
}

// AppendSameKeyComponents appends, for each key component i of k, the
// index of the component of prev that encodes the same object and is
// equal to it, or -1 (SameKeyComponent for every component at once).
//
// When prev is the kernel k was cloned from (Clone or CloneInto), not
// written since, the answer comes from the objects k marked as written
// (dirty.go): an object not marked is prev's, byte for byte. Against any
// other kernel it is CompareKeyComponents.
func (k *Kernel) AppendSameKeyComponents(prev *Kernel, buf []int32) []int32 {
	if prev != k.from || prev.epoch != k.fromEpoch {
		return k.CompareKeyComponents(prev, buf)
	}
	if k.globalsEqual(prev) {
		buf = append(buf, 0)
	} else {
		buf = append(buf, -1)
	}
	// A table only shrinks when a fork is cancelled, which marks the task
	// it gives back: an index below both lengths not marked holds the
	// same object in both. The answers are written in place.
	d := &k.dirty
	n := len(buf)
	buf = slices.Grow(buf, len(k.tasks)+len(k.groups)+len(k.ns)+len(k.cgroups)+len(k.csets))
	out := buf[n : n+len(k.tasks)+len(k.groups)+len(k.ns)+len(k.cgroups)+len(k.csets)]
	j := 0
	base := int32(1)
	for i := range k.tasks {
		v := int32(-1)
		if i < len(prev.tasks) && !d.taskDirty(i) {
			v = base + int32(i)
		}
		out[j] = v
		j++
	}
	base += int32(len(prev.tasks))
	for i := range k.groups {
		v := int32(-1)
		if i < len(prev.groups) && !d.groupDirty(i) {
			v = base + int32(i)
		}
		out[j] = v
		j++
	}
	base += int32(len(prev.groups))
	for i := range k.ns {
		v := int32(-1)
		if i < len(prev.ns) && !dirtyBit64(d.ns, i) {
			v = base + int32(i)
		}
		out[j] = v
		j++
	}
	base += int32(len(prev.ns))
	for i := range k.cgroups {
		v := int32(-1)
		if i < len(prev.cgroups) && !dirtyBit64(d.cgroup, i) {
			v = base + int32(i)
		}
		out[j] = v
		j++
	}
	base += int32(len(prev.cgroups))
	for i := range k.csets {
		v := int32(-1)
		if i < len(prev.csets) && !dirtyBit64(d.cset, i) {
			v = base + int32(i)
		}
		out[j] = v
		j++
	}
	return buf[:n+len(out)]
}

// CompareKeyComponents is AppendSameKeyComponents by comparing every
// object with prev's, byte for byte: for any prev, and the reference the
// change tracking is checked against (UnmarkedChanges).
func (k *Kernel) CompareKeyComponents(prev *Kernel, buf []int32) []int32 {
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
