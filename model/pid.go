package model

import "sort"

// MaxPidNSLevel is MAX_PID_NS_LEVEL (include/linux/pid_namespace.h).
const MaxPidNSLevel = 32

// ReservedPids is RESERVED_PIDS (kernel/pid.c): after the cursor has
// passed it, allocation wraps to this number instead of 1.
const ReservedPids = 300

// newPidNS is create_pid_namespace (kernel/pid_namespace.c): ENOSPC beyond
// MAX_PID_NS_LEVEL. The namespace starts with PIDNS_ADDING and no pids.
func (k *Kernel) newPidNS(parent NSID) (NSID, Errno) {
	level := int8(0)
	if parent != NoNS {
		level = k.ns[parent].Level + 1
		if int(level) > MaxPidNSLevel {
			return NoNS, ENOSPC
		}
	}
	k.ns = append(k.ns, PidNS{Parent: parent, Level: level, ChildReaper: NoTask, Adding: true, cursor: 1})
	return NSID(len(k.ns) - 1), OK
}

// nsAt returns the ancestor of ns (or ns itself) at the given level.
func (k *Kernel) nsAt(ns NSID, level int8) NSID {
	for ns != NoNS && k.ns[ns].Level > level {
		ns = k.ns[ns].Parent
	}
	if ns == NoNS || k.ns[ns].Level != level {
		return NoNS
	}
	return ns
}

// IsAncestorNS reports whether a is ns or one of its ancestors.
func (k *Kernel) IsAncestorNS(a, ns NSID) bool {
	for ; ns != NoNS; ns = k.ns[ns].Parent {
		if ns == a {
			return true
		}
	}
	return false
}

// PidIn is task_pid_nr_ns(): the task's number in namespace ns, or 0 if
// the task is not visible there (ns is not on the path from the root to
// the task's active namespace).
func (k *Kernel) PidIn(t TaskID, ns NSID) int32 {
	tk := k.rtask(t)
	l := k.ns[ns].Level
	if l > tk.Level || k.nsAt(tk.NS, l) != ns {
		return 0
	}
	return k.upids[tk.pidOff+int32(l)]
}

// Pids returns the task's numbers from level 0 down to its active
// namespace (what /proc/PID/status NSpid shows from the root).
func (k *Kernel) Pids(t TaskID) []int32 {
	tk := k.rtask(t)
	return k.upids[tk.pidOff : tk.pidOff+int32(tk.Level)+1]
}

// Getpid is getpid() of t's thread group: the leader's number in t's
// active namespace (tgid); Gettid is the task's own number.
func (k *Kernel) Getpid(t TaskID) int32 {
	return k.PidIn(k.groups[k.tasks[t].Group].Leader, k.tasks[t].NS)
}

// FindTask is find_task_by_pid_ns(): the task whose pid in ns is nr, if
// that pid is attached (copy_process has committed the task and
// release_task has not yet detached it).
func (k *Kernel) FindTask(ns NSID, nr int32) TaskID {
	idr := k.ns[ns].idr
	i := sort.Search(len(idr), func(i int) bool { return idr[i].nr >= nr })
	if i < len(idr) && idr[i].nr == nr && idr[i].task != NoTask {
		t := idr[i].task
		if k.tasks[t].pidAttached {
			return t
		}
	}
	return NoTask
}

// nrInUse reports whether nr is allocated in ns (attached or not).
func (ns *PidNS) nrInUse(nr int32) bool {
	i := sort.Search(len(ns.idr), func(i int) bool { return ns.idr[i].nr >= nr })
	return i < len(ns.idr) && ns.idr[i].nr == nr && ns.idr[i].task != NoTask
}

func (ns *PidNS) idrInsert(nr int32, t TaskID) {
	i := sort.Search(len(ns.idr), func(i int) bool { return ns.idr[i].nr >= nr })
	if i < len(ns.idr) && ns.idr[i].nr == nr {
		ns.idr[i].task = t // reuse a tombstone
		ns.idrDead--
		return
	}
	ns.idr = append(ns.idr, pidEntry{})
	copy(ns.idr[i+1:], ns.idr[i:])
	ns.idr[i] = pidEntry{nr, t}
}

func (ns *PidNS) idrRemove(nr int32) {
	i := sort.Search(len(ns.idr), func(i int) bool { return ns.idr[i].nr >= nr })
	if i >= len(ns.idr) || ns.idr[i].nr != nr {
		return
	}
	ns.idr[i].task = NoTask
	ns.idrDead++
	if int(ns.idrDead)*2 > len(ns.idr) {
		j := 0
		for _, e := range ns.idr {
			if e.task != NoTask {
				ns.idr[j] = e
				j++
			}
		}
		ns.idr = ns.idr[:j]
		ns.idrDead = 0
	}
}

// allocNr is idr_alloc_cyclic(&ns->idr, NULL, pid_min, pid_max): the first
// free number at or after the cursor, wrapping to pid_min. pid_min is 1
// until the cursor has passed RESERVED_PIDS (alloc_pid in kernel/pid.c).
// It returns 0 when the space is full (idr ENOSPC, which alloc_pid turns
// into EAGAIN).
func (k *Kernel) allocNr(ns *PidNS) int32 {
	pidMax := k.nsPidMax(ns)
	pidMin := int32(1)
	if ns.cursor > ReservedPids {
		pidMin = ReservedPids
	}
	start := ns.cursor
	if start < pidMin || start >= pidMax {
		start = pidMin
	}
	for nr := start; nr < pidMax; nr++ {
		if !ns.nrInUse(nr) {
			return nr
		}
	}
	for nr := pidMin; nr < start; nr++ {
		if !ns.nrInUse(nr) {
			return nr
		}
	}
	return 0
}

// allocPid is alloc_pid(ns, ...) (kernel/pid.c): one number per level
// from the innermost namespace outwards, then, under pidmap_lock, the
// PIDNS_ADDING check (ENOMEM for a namespace whose init has died) and
// pid_allocated++ at every level. The 2007 model refuses allocation in a
// terminating namespace instead (alloc_pidmap). The pid is allocated but
// not attached: FindTask does not see it until copy_process commits.
func (k *Kernel) allocPid(t TaskID, ns NSID) Errno {
	return k.allocPidSetTid(t, ns, [MaxSetTid]int32{})
}

// allocPidSetTid is alloc_pid with clone3's set_tid: setTid[i] (until the
// first 0) is the number wanted at level Level-i, the innermost first.
// EINVAL when more numbers are given than the namespace has levels, for a
// number below 1 or at or above pid_max, or for a number other than 1 in
// a namespace that has no init yet; EEXIST when the number is taken at
// that level (idr_alloc's ENOSPC). A number asked for does not move the
// namespace's cursor (idr_alloc, not idr_alloc_cyclic). The
// CAP_CHECKPOINT_RESTORE check is not modelled: the tasks are root.
func (k *Kernel) allocPidSetTid(t TaskID, ns NSID, setTid [MaxSetTid]int32) Errno {
	level := k.ns[ns].Level
	n := 0
	for n < MaxSetTid && setTid[n] != 0 {
		n++
	}
	if n > int(level)+1 {
		return EINVAL
	}
	nrs := make([]int32, level+1)
	for l := level; l >= 0; l-- {
		cur := k.nsAt(ns, l)
		p := k.mns(cur)
		if k.Opts.Zap == Zap2007 && p.Terminating {
			for l2 := level; l2 > l; l2-- {
				k.mns(k.nsAt(ns, l2)).idrRemove(nrs[l2])
			}
			k.resetCursorIfFirst(ns)
			return ENOMEM
		}
		if i := int(level - l); i < n {
			tid := setTid[i]
			err := OK
			switch {
			case tid < 1 || tid >= k.nsPidMax(p):
				err = EINVAL
			case tid != 1 && p.ChildReaper == NoTask:
				// "Also fail if a PID != 1 is requested and no PID 1
				// exists."
				err = EINVAL
			case p.nrInUse(tid):
				err = EEXIST
			}
			if err != OK {
				for l2 := level; l2 > l; l2-- {
					k.mns(k.nsAt(ns, l2)).idrRemove(nrs[l2])
				}
				k.resetCursorIfFirst(ns)
				return err
			}
			nrs[l] = tid
			p.idrInsert(tid, t)
			continue
		}
		nr := k.allocNr(p) // a new namespace's cursor is 1: its first pid is 1
		if nr == 0 {
			// Undo the levels already taken.
			for l2 := level; l2 > l; l2-- {
				k.mns(k.nsAt(ns, l2)).idrRemove(nrs[l2])
			}
			k.resetCursorIfFirst(ns)
			return EAGAIN
		}
		nrs[l] = nr
		p.idrInsert(nr, t)
		p.cursor = nr + 1
	}
	if !k.ns[ns].Adding {
		for l := level; l >= 0; l-- {
			k.mns(k.nsAt(ns, l)).idrRemove(nrs[l])
		}
		k.resetCursorIfFirst(ns)
		return ENOMEM
	}
	for l := level; l >= 0; l-- {
		k.mns(k.nsAt(ns, l)).Allocated++
	}
	tk := k.mtask(t)
	tk.pidOff = int32(len(k.upids))
	tk.Level = level
	tk.NS = ns
	k.upids = append(k.upids, nrs...)
	return OK
}

// resetCursorIfFirst is alloc_pid's out_free: "On failure to allocate the
// first pid, reset the state" (idr_set_cursor(&ns->idr, 0)), so that the
// namespace's next process still gets pid 1.
func (k *Kernel) resetCursorIfFirst(ns NSID) {
	if p := k.mns(ns); p.Adding && p.Allocated == 0 {
		p.cursor = 1
	}
}

// freePid is free_pid() (kernel/pid.c): remove the numbers from every
// level's idr and decrement pid_allocated. When the very first process of
// a namespace is freed while PIDNS_ADDING is still set (it failed to
// fork, or it exited before anything else was created: the count drops
// to 0), the namespace becomes unusable: the kernel sets the count to 0,
// which clears PIDNS_ADDING.
func (k *Kernel) freePid(t TaskID) {
	tk := k.mtask(t)
	for l := tk.Level; l >= 0; l-- {
		ns := k.nsAt(tk.NS, l)
		p := k.mns(ns)
		p.idrRemove(k.upids[tk.pidOff+int32(l)])
		p.Allocated--
		if p.Allocated == 0 && p.Adding && p.ChildReaper == NoTask {
			// case PIDNS_ADDING: /* Handle a fork failure of the first
			// process */ — the namespace never had an init, so it becomes
			// unusable. (Under zap=current a namespace whose init died has
			// PIDNS_ADDING cleared already; under zap=v3.3 and 2007 it keeps
			// it, and an emptied namespace stays usable, as it did then.)
			p.Adding = false
		}
	}
	tk.pidAttached = false
}

// disablePidAllocation is disable_pid_allocation() (kernel/pid.c).
func (k *Kernel) disablePidAllocation(ns NSID) { k.mns(ns).Adding = false }
