package model

import (
	"encoding/binary"
	"sort"
)

// Symmetry: renaming interchangeable tasks.
//
// A machine's behaviour does not depend on which task ids and pid numbers
// its tasks carry, only on what the tasks are and how they are linked:
// rename every task id (and, with it, the id of the task's thread group
// and its pid numbers) consistently everywhere the machine stores one,
// and the renamed machine steps exactly as the original does, step for
// renamed step. Two states that are renamings of each other then reach
// the same outcomes up to the renaming (they are bisimilar), so an
// exhaustive search needs to explore only one of them (Emerson and
// Sistla, "Symmetry and model checking", 1996; Ip and Dill, "Better
// verification through symmetry", 1996).
//
// The model renames only tasks of a symmetry class: tasks created at
// setup as single-threaded process leaders in the same pid namespace,
// which the caller (package sim) has checked are interchangeable: the
// same program, parent and cgroup, and no program, property or gate that
// names one of them. Their descendants keep their ids (a descendant's
// links to its renamed parent are renamed); this keeps the renaming a
// permutation of a few fixed ids, which is what makes it cheap and easy
// to check, at the price of merging fewer states than a renaming of
// descendants would.
//
// What the renaming must reach (Renamed does each of these):
//   - the task table, the thread-group table and every TaskID/GroupID
//     field: the links (parent, children, siblings, threads, css_set
//     lists), the locks' owners (cgroup_mutex, the threadgroup rwsem,
//     oom_lock), the kill walks' iterators and yielded tasks, a fork's
//     child, vfork and exec links, process group and session owners,
//     each namespace's child_reaper and idr;
//   - the pid numbers: the renamed tasks exchange their numbers, so that
//     a task's number follows its id (the number of the first forker
//     stays the first forker's whichever task sits there). Stored pid
//     numbers outside the pid tables (a register holding what getpid or
//     wait returned, a pid written to cgroup.procs) are not renamed: the
//     caller allows symmetry only for programs that store none of a
//     renamed task (sim.World.Symmetry).
//
// Pid numbers are renamed only while no task that stays put holds a moved
// task's number in the same namespace (a renamed task's number freed and
// reused): the exchange would then not be a renaming of the namespace's
// idr, and Renamed reports it by returning false (the caller keeps the
// state unrenamed, which is always sound: the search merges fewer
// states). The caller also rules out a wrap of the cursor, which a
// renaming of numbers does not commute with (PidHeadroom).

// SymmetryClassBlocker returns "" if the tasks ts may form a symmetry
// class of this machine, else why not: each must be a live,
// single-threaded process leader with its own thread group, in the same
// pid namespace and at the same level as the others, with the same
// parent, and no two may share a thread group.
func (k *Kernel) SymmetryClassBlocker(ts []TaskID) string {
	if len(ts) < 2 {
		return "a class needs two tasks"
	}
	first := k.rtask(ts[0])
	seen := map[GroupID]bool{}
	for _, t := range ts {
		if int(t) < 0 || int(t) >= len(k.tasks) {
			return "no such task"
		}
		tk := k.rtask(t)
		switch {
		case tk.Group == NoGroup || tk.Exit != ExitNone:
			return "a task of the class has exited"
		case tk.Flags&PF_KTHREAD != 0:
			return "a kernel thread"
		case !k.IsLeader(t) || k.groups[tk.Group].NrThreads != 1:
			return "a task of the class is not a single-threaded process"
		case tk.NS != first.NS || tk.Level != first.Level:
			return "the tasks of the class are in different pid namespaces"
		case tk.Parent != first.Parent:
			return "the tasks of the class have different parents"
		case seen[tk.Group]:
			return "two tasks of the class share a thread group"
		}
		seen[tk.Group] = true
	}
	return ""
}

// SymmetrySignature appends a description of task t that a renaming of
// the class members (member reports them) does not change: its own state
// and its thread group's, with the members it links to left out, and its
// place in the lists it is on. Sorting a class by signature picks the
// same order for two states that are renamings of each other, unless two
// members have equal signatures and differ in what the signature leaves
// out; then the states may stay apart, which costs states, not
// soundness.
//
// With places false the places in lists are left out: tasks that differ
// only by them (the tasks of a class at setup, one after the other on
// their css_set and their parent's children) sign alike.
func (k *Kernel) SymmetrySignature(b []byte, t TaskID, member func(TaskID) bool, progs []int32, places bool) []byte {
	tk := k.rtask(t)
	ref := func(u TaskID) int32 {
		if u != NoTask && member(u) {
			return -2 // a member: which one is what the renaming changes
		}
		return int32(u)
	}
	b = append(b, byte(tk.Exit), byte(tk.cgList), bools(tk.Frozen, tk.trapFreeze, tk.Stopped, tk.newTask, tk.pidAttached, tk.handlerExit),
		byte(tk.ExitSignal))
	b = putI32(b, int32(tk.Flags), tk.ExitCode, int32(tk.PidNSForChildren), int32(tk.Cset),
		ref(tk.childHead), ref(tk.vforkParent), ref(tk.execHeir))
	b = binary.LittleEndian.AppendUint64(b, uint64(tk.Pending))
	b = binary.LittleEndian.AppendUint64(b, uint64(tk.Blocked))
	f := &tk.Frame
	b = append(b, byte(f.Path))
	if f.Path != KUser {
		b = append(b, f.PC, bools(f.iterSkipped, f.holdsMutex, f.holdsRwsem), byte(f.iterList))
		arg := f.Arg
		if f.Path == KFork {
			arg = progOf(progs, arg) // the child's program (setChildUser)
		}
		b = putI32(b, int32(f.Err), int32(f.Flags), int32(f.Seq), int32(f.Cg), int32(f.Cset), int32(f.Dcset), arg, f.Arg2, f.Arg3)
		b = binary.LittleEndian.AppendUint64(b, uint64(f.Delayed))
	}
	b = putI32(b, progOf(progs, tk.User.Prog), tk.User.PC, tk.User.R[0], tk.User.R[1], tk.User.R[2], tk.Ret, int32(tk.Err), tk.WaitStatus)
	// Places in lists: the css_set list and the parent's children.
	if places {
		b = putI32(b, k.listIndex(t, func(u TaskID) TaskID { return k.tasks[u].cgNext }, k.cgListHead(t)),
			k.listIndex(t, func(u TaskID) TaskID { return k.tasks[u].sibNext }, k.childListHead(t)))
	}
	if g := tk.Group; g != NoGroup {
		gr := k.rgroup(g)
		b = binary.LittleEndian.AppendUint64(b, uint64(gr.Shared))
		b = binary.LittleEndian.AppendUint64(b, uint64(gr.ign))
		b = binary.LittleEndian.AppendUint64(b, uint64(gr.hnd))
		b = binary.LittleEndian.AppendUint64(b, uint64(gr.hndExit))
		b = append(b, bools(gr.NoCldWait, gr.IsChildSubreaper, gr.HasChildSubreaper, gr.GroupExec, gr.SessionLeader, gr.OomVictim),
			bools(gr.CoreState, gr.CoreUnlimited))
		b = putI32(b, gr.Live, gr.NrThreads, int32(gr.Flags), gr.GroupExitCode, int32(gr.OomScoreAdj), gr.coreWaiters,
			ref(gr.Pgid), ref(gr.Sid))
	}
	return b
}

// progOf maps program p by progs (identity past its end).
func progOf(progs []int32, p int32) int32 {
	if p >= 0 && int(p) < len(progs) {
		return progs[p]
	}
	return p
}

// Renaming is a renaming of a machine's tasks and of its user programs.
type Renaming struct {
	// Tasks maps each task id to its new id: a permutation that moves
	// only members of symmetry classes (SymmetryClassBlocker), as long as
	// the machine's task table (identity past its end).
	Tasks []TaskID
	// Progs maps each user program (UserRegs.Prog) to the program that
	// stands for it: programs with the same code behave alike, so a
	// renaming may use one id for all of them (identity past its end).
	Progs []int32
}

// cgListHead is the head of the css_set list t is on, or NoTask.
func (k *Kernel) cgListHead(t TaskID) TaskID {
	tk := k.rtask(t)
	switch {
	case tk.Cset == NoCset:
		return NoTask
	case tk.cgList == onTasks:
		return k.csets[tk.Cset].taskHead
	case tk.cgList == onDying:
		return k.csets[tk.Cset].dyingHead
	}
	return NoTask
}

// childListHead is the head of the children list t is on, or NoTask.
func (k *Kernel) childListHead(t TaskID) TaskID {
	if p := k.tasks[t].Parent; p != NoTask {
		return k.tasks[p].childHead
	}
	return NoTask
}

// listIndex is t's position on the list from head through next, or -1.
func (k *Kernel) listIndex(t TaskID, next func(TaskID) TaskID, head TaskID) int32 {
	i := int32(0)
	for u := head; u != NoTask; u = next(u) {
		if u == t {
			return i
		}
		i++
		if int(i) > len(k.tasks) {
			break // not a list: the invariants would say so
		}
	}
	return -1
}

// Renamed makes dst a copy of k in which task r.Tasks[t] is what task t
// is in k, for every t, with every reference renamed (see the comment at
// the top of this file), and every user program p replaced by r.Progs[p].
// It reports false, leaving dst as it was, when the pid numbers cannot be
// exchanged (a moved task's number is held by a task that does not move).
// dst must be a kernel no one else uses; its tables are reused.
func (k *Kernel) Renamed(dst *Kernel, r Renaming) (*Kernel, bool) {
	perm := r.Tasks[:len(r.Tasks):len(r.Tasks)]
	for len(perm) < len(k.tasks) {
		perm = append(perm, TaskID(len(perm)))
	}
	// The thread groups follow their leaders. The pid numbers stay with
	// the ids: the task at perm[t] keeps the numbers perm[t] had, so in
	// each namespace on the moved tasks' chain the number of t becomes
	// the number of perm[t] (rho).
	gperm := make([]GroupID, len(k.groups))
	for g := range gperm {
		gperm[g] = GroupID(g)
	}
	type pidSwap struct {
		ns       NSID
		from, to int32
	}
	var swaps []pidSwap
	for t, u := range perm {
		if TaskID(t) == u {
			continue
		}
		a, b := &k.tasks[t], &k.tasks[u]
		gperm[a.Group] = b.Group
		ns := a.NS
		for l := int32(a.Level); l >= 0 && ns != NoNS; l-- {
			swaps = append(swaps, pidSwap{ns, k.upids[a.pidOff+l], k.upids[b.pidOff+l]})
			ns = k.ns[ns].Parent
		}
	}
	if len(swaps) == 0 && len(r.Progs) == 0 {
		return k.CloneInto(dst), true
	}
	rho := func(ns NSID, nr int32) int32 {
		for _, s := range swaps {
			if s.ns == ns && s.from == nr {
				return s.to
			}
		}
		return nr
	}
	// A moved number held by a task that does not move (a number freed by
	// a released member and reused) makes the exchange something else
	// than a renaming.
	for _, s := range swaps {
		for _, e := range k.ns[s.ns].idr {
			if e.nr == s.from && e.task != NoTask && perm[e.task] == e.task {
				return nil, false
			}
		}
	}
	d := k.CloneInto(dst)
	d.dirty = dirtyAll // renamed below: nothing is where it was in k
	rt := func(u TaskID) TaskID {
		if u < 0 || int(u) >= len(perm) {
			return u
		}
		return perm[u]
	}
	rg := func(g GroupID) GroupID {
		if g < 0 || int(g) >= len(gperm) {
			return g
		}
		return gperm[g]
	}
	for t := range k.tasks {
		x := k.tasks[t]
		x.Parent, x.childHead, x.childTail = rt(x.Parent), rt(x.childHead), rt(x.childTail)
		x.sibNext, x.sibPrev, x.thrNext, x.thrPrev = rt(x.sibNext), rt(x.sibPrev), rt(x.thrNext), rt(x.thrPrev)
		x.cgNext, x.cgPrev, x.vforkParent, x.execHeir = rt(x.cgNext), rt(x.cgPrev), rt(x.vforkParent), rt(x.execHeir)
		x.Group = rg(x.Group)
		f := &x.Frame
		f.Child = rt(f.Child)
		if f.Path != KFork {
			f.Iter = rt(f.Iter) // a fork keeps a user register there (setChildUser)
		}
		if f.Path == KOOM {
			f.Arg = int32(rt(TaskID(f.Arg))) // the memory hog (oom.go)
		}
		if f.Path == KFork {
			f.Arg = progOf(r.Progs, f.Arg) // the child's program (setChildUser)
		}
		x.User.Prog = progOf(r.Progs, x.User.Prog)
		// The numbers stay with the id: the task at perm[t] gets the
		// numbers perm[t] had.
		x.pidOff = k.tasks[perm[t]].pidOff
		d.tasks[perm[t]] = x
	}
	for g := range k.groups {
		x := k.groups[g]
		x.Leader, x.threadHead, x.threadTail = rt(x.Leader), rt(x.threadHead), rt(x.threadTail)
		x.Pgid, x.Sid = rt(x.Pgid), rt(x.Sid)
		d.groups[gperm[g]] = x
	}
	for i := range d.ns {
		n := &d.ns[i]
		n.ChildReaper = rt(n.ChildReaper)
		for j := range n.idr {
			e := &n.idr[j]
			e.nr, e.task = rho(NSID(i), e.nr), rt(e.task)
		}
		sort.Slice(n.idr, func(a, b int) bool { return n.idr[a].nr < n.idr[b].nr })
	}
	for i := range d.csets {
		c := &d.csets[i]
		c.taskHead, c.taskTail, c.dyingHead, c.dyingTail = rt(c.taskHead), rt(c.taskTail), rt(c.dyingHead), rt(c.dyingTail)
	}
	for i, t := range d.iters {
		d.iters[i] = rt(t)
	}
	d.cgroupMutex, d.tgWriter, d.oomLockOwner, d.lastChild = rt(d.cgroupMutex), rt(d.tgWriter), rt(d.oomLockOwner), rt(d.lastChild)
	return d, true
}

// PidHeadroom is the fewest pid numbers any pid namespace can still
// allocate before its cursor wraps (alloc_pid's idr_alloc_cyclic going
// back to pid_min): pid_max minus the cursor, the least over the
// namespaces. A renaming of pid numbers is a symmetry only while no
// number is reused, which needs a wrap.
func (k *Kernel) PidHeadroom() int32 {
	least := int32(1<<31 - 1)
	for i := range k.ns {
		n := k.rns(NSID(i))
		max := n.PidMax
		if max == 0 {
			max = k.Opts.PidMax
		}
		if h := max - n.cursor; h < least {
			least = h
		}
	}
	return least
}
